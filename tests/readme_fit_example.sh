#!/usr/bin/env bash
# Runs the README's C program (compiled from README.md by tests/meson.build) on an example
# table: it fits with the defaults, prints the report (the budget, the data, the net, the
# epochs run and the model selection's verdict) and saves a model that `mlp info` opens.
#   bash readme_fit_example.sh EXAMPLE MLP DATA_DIR
set -u
EXE=$(realpath "${1:?usage: readme_fit_example.sh EXAMPLE MLP DATA_DIR}")
MLP=$(realpath "${2:?usage: readme_fit_example.sh EXAMPLE MLP DATA_DIR}")
DATA=$(realpath "${3:?usage: readme_fit_example.sh EXAMPLE MLP DATA_DIR}")
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-readme-fit.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$EXE" "$DATA/species-train.csv" species >out 2>err ||
    { echo "FAIL the README program exits with status $?"; cat err; exit 1; }
status=0
for want in '^auto: ' '^data: ' '^net: ' '^trained ' '^guard: '; do
    grep -q "$want" out || { echo "FAIL no line matching '$want' in its report"; status=1; }
done
"$MLP" info model.mlp >/dev/null 2>&1 || { echo "FAIL mlp info cannot open its model.mlp"; status=1; }
[ $status -eq 0 ] && echo "ok   the README program fits, reports ($(wc -l <out) lines) and saves"
[ $status -eq 0 ] || cat out
exit $status
