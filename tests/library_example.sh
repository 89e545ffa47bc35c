#!/usr/bin/env bash
# Runs the C program of docs/library.md (compiled from the guide by tests/meson.build) on the
# example tables: it fits, prints the report's lines, predicts and saves; the lines are the
# ones `mlp train` prints for the same table and settings (the timing aside).
#   bash library_example.sh EXAMPLE MLP DATA_DIR
set -u
EXE=${1:?usage: library_example.sh EXAMPLE MLP DATA_DIR}
MLP=${2:?usage: library_example.sh EXAMPLE MLP DATA_DIR}
DATA=${3:?usage: library_example.sh EXAMPLE MLP DATA_DIR}
EXE=$(realpath "$EXE") MLP=$(realpath "$MLP") DATA=$(realpath "$DATA")
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-library-example.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$EXE" "$DATA/species-train.csv" "$DATA/species-new.csv" >lib.out 2>lib.err ||
    { echo "FAIL the example exits with status $?"; cat lib.err; exit 1; }
"$MLP" train --train "$DATA/species-train.csv" --label species --quiet --no-save >tool.out 2>&1 ||
    { echo "FAIL mlp train failed"; cat tool.out; exit 1; }
# The report's lines, without the timings of the "trained" lines.
strip() { grep -E '^(auto|budget|data|net|training|trained|guard):? ' "$1" | sed -E 's/ in [0-9.e+-]* s( \([0-9.e+-]* s\/epoch\))?//'; }
status=0
if [ -z "$(strip lib.out)" ] || [ "$(strip lib.out)" != "$(strip tool.out)" ]; then
    echo "FAIL the example's report differs from mlp train's:"
    diff <(strip lib.out) <(strip tool.out)
    status=1
else
    echo "ok   the example prints mlp train's report ($(strip lib.out | wc -l) lines)"
fi
grep -q '^first row: ' lib.out && echo "ok   it predicts a class" || { echo "FAIL no prediction"; status=1; }
[ -s model.mlp ] && echo "ok   it saves the model" || { echo "FAIL no model.mlp"; status=1; }
exit $status
