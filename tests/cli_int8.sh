#!/usr/bin/env bash
# `mlp quantize` and the int8 side of eval/predict/info: a CSV model quantized with static
# scales (CSV calibration with its label column) and without calibration (dynamic), eval's
# lines comparing int8 with the float model, --precision fp32 giving the float model's
# result, a version 4 file, and the usage errors.
#   bash cli_int8.sh PATH_TO_MLP
set -u
MLP=${1:?usage: cli_int8.sh PATH_TO_MLP}
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-int8.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

failed=0
ok() { echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/       | /' o e 2>/dev/null | tail -n 20; }
run() { "$@" >o 2>e; rc=$?; }

# Three classes from two features (a fixed awk generator).
awk 'BEGIN { srand(3); print "x1,x2,label";
     for (i = 0; i < 600; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1;
       c = a + b > 0.3 ? "hi" : a - b > 0 ? "mid" : "lo"; printf "%.4f,%.4f,%s\n", a, b, c } }' >data.csv

run "$MLP" train --train data.csv --label label --epochs 30 -o f.mlp
[ "$rc" = 0 ] && ok "train a float model" || fail "train (status $rc)"

run "$MLP" quantize f.mlp data.csv -o q.mlp
if [ "$rc" = 0 ] && grep -q "static input scales" o && grep -q "calibration: 600 records" o; then
    ok "quantize with CSV calibration (label column present)"
else fail "quantize (status $rc)"; fi

run "$MLP" info q.mlp
if grep -q "format version: 4" o && grep -q "int8: *quantized, static" o; then ok "info: version 4, int8"
else fail "info of the quantized model"; fi

run "$MLP" eval q.mlp data.csv
if [ "$rc" = 0 ] && grep -q "^int8 against the float model: accuracy" o &&
   grep -q "^int8 outputs differ" o && tail -n 1 o | grep -q "^result: test_accuracy="; then
    ok "eval: int8 against float, result line last"
else fail "eval of the quantized model (status $rc)"; fi
float_line=$(grep "float [0-9.]*," o | sed 's/.*(float \([0-9.]*\),.*/\1/')

run "$MLP" eval q.mlp data.csv --precision fp32
q_fp32=$(tail -n 1 o)
run "$MLP" eval f.mlp data.csv
f_fp32=$(tail -n 1 o)
if [ "$q_fp32" = "$f_fp32" ] && grep -q "test_accuracy=$float_line" <<<"$f_fp32" &&
   ! grep -q "^int8" o; then
    ok "eval --precision fp32 of the quantized model is the float model's ($f_fp32)"
else fail "fp32 of the quantized model: '$q_fp32' against '$f_fp32' (int8 line said $float_line)"; fi

run "$MLP" quantize f.mlp -o d.mlp
run2_ok=$rc
run "$MLP" info d.mlp
if [ "$run2_ok" = 0 ] && grep -q "int8: *quantized, dynamic" o; then ok "quantize without calibration: dynamic"
else fail "dynamic quantize"; fi

run "$MLP" predict q.mlp data.csv
if [ "$rc" = 0 ] && [ "$(wc -l <o)" = 601 ]; then ok "predict with the quantized model"
else fail "predict (status $rc)"; fi

run "$MLP" quantize f.mlp data.csv
[ "$rc" = 2 ] && grep -q -- "-o OUT is required" e && ok "usage: -o is required" || fail "no -o (status $rc)"
run "$MLP" quantize f.mlp --mode static -o x.mlp
[ "$rc" = 2 ] && ok "usage: --mode static without calibration" || fail "static without calibration (status $rc)"
run "$MLP" quantize f.mlp data.csv --mode fast -o x.mlp
[ "$rc" = 2 ] && ok "usage: unknown --mode" || fail "unknown mode (status $rc)"
run "$MLP" quantize missing.mlp data.csv -o x.mlp
[ "$rc" = 1 ] && [ ! -e x.mlp ] && ok "a missing model: status 1, nothing written" || fail "missing model (status $rc)"
printf 'x1,label\n1,hi\n' >narrow.csv
run "$MLP" quantize f.mlp narrow.csv -o x.mlp
[ "$rc" = 1 ] && [ ! -e x.mlp ] && grep -q x2 e && ok "calibration without a model column: status 1, names it" ||
    fail "narrow calibration (status $rc)"

run "$MLP" eval f.mlp data.csv --precision int8
if [ "$rc" = 1 ] && grep -q "not quantized" e && grep -q "mlp quantize f.mlp CALIBRATION.csv -o" e; then
    ok "eval --precision int8 of a float model: says to quantize it first, with the command"
else fail "int8 of a float model (status $rc)"; fi
run "$MLP" predict f.mlp data.csv --precision int8
[ "$rc" = 1 ] && grep -q "mlp quantize f.mlp" e && ok "predict --precision int8 of a float model: the same" ||
    fail "predict int8 of a float model (status $rc)"

[ "$failed" = 0 ] && echo "cli_int8: all passed" || echo "cli_int8: $failed failed"
[ "$failed" = 0 ]
