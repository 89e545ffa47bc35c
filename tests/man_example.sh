#!/usr/bin/env bash
# Runs the complete program of libmlp(3) (compiled from docs/libmlp.3.scd by
# tests/meson.build) on the walk-through data with its label moved last, as the page says.
#   bash man_example.sh EXAMPLE SPECIES_TRAIN_CSV
set -u
EXE=${1:?usage: man_example.sh EXAMPLE CSV}
CSV=${2:?usage: man_example.sh EXAMPLE CSV}
case $EXE in /*) ;; *) EXE=$PWD/$EXE ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-man-example.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
awk -F, -v OFS=, '{ print $1, $2, $4, $5, $3 }' "$CSV" >"$T/train.csv"
cd "$T" || exit 1
out=$("$EXE" train.csv) || { echo "FAIL the libmlp(3) example exits with status $?"; exit 1; }
if ! printf '%s\n' "$out" | grep -qE '^loss [0-9.]+; first record: (setosa|versicolor|virginica)$'; then
    echo "FAIL the libmlp(3) example printed: $out"
    exit 1
fi
[ -s model.mlp ] || { echo "FAIL the libmlp(3) example wrote no model.mlp"; exit 1; }
"$EXE" missing.csv 2>err && { echo "FAIL a missing file gave status 0"; exit 1; }
grep -q 'missing.csv' err || { echo "FAIL no message naming the missing file"; cat err; exit 1; }
echo "ok   the libmlp(3) example: $out"
