#!/usr/bin/env bash
# mlp convert: a model trained by the tool goes to ONNX and back and predicts the same
# numbers as before (input scaling included); a graph libmlp cannot run is refused with
# the node and operator named (exit 1); names without .onnx are a usage error (exit 2).
# Skipped (77) in a build without ONNX.  Usage: cli_convert.sh MLP CORPUS_DIR
set -u
mlp=$1 corpus=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
awk 'BEGIN { srand(5); print "a,b,c,y"
     for (i = 0; i < 60; i++) { a = 100 + 20 * rand(); b = -3 + rand(); c = 5000 * rand()
                                printf "%.3f,%.3f,%.1f,%s\n", a, b, c, (a > 110 ? "hi" : "lo") } }' \
    >"$tmp/train.csv"
"$mlp" train --train "$tmp/train.csv" --label y --layers 8 --epochs 3 --quiet \
    --out "$tmp/m.mlp" >/dev/null || fail "mlp train"
out=$("$mlp" convert "$tmp/m.mlp" "$tmp/m.onnx" 2>&1)
rc=$?
if [ $rc -ne 0 ] && grep -q 'meson option onnx' <<<"$out"; then
    echo "libmlp built without ONNX: skipped"; exit 77
fi
[ $rc -eq 0 ] || fail "mlp convert to ONNX: $out"
"$mlp" convert "$tmp/m.onnx" "$tmp/back.mlp" || fail "mlp convert from ONNX"
cut -d, -f1-3 "$tmp/train.csv" >"$tmp/x.csv"
"$mlp" predict "$tmp/m.mlp" "$tmp/x.csv" --out "$tmp/p1.csv" || fail "predict m.mlp"
"$mlp" predict "$tmp/back.mlp" "$tmp/x.csv" --out "$tmp/p2.csv" || fail "predict back.mlp"
# the imported model has no class names: compare the probabilities only
cut -d, -f2- "$tmp/p1.csv" | tail -n +2 >"$tmp/q1"
cut -d, -f2- "$tmp/p2.csv" | tail -n +2 >"$tmp/q2"
cmp -s "$tmp/q1" "$tmp/q2" || fail "predictions differ after the round trip: $(diff "$tmp/q1" "$tmp/q2" | head -3)"
echo "ok: model -> ONNX -> model predicts the same probabilities ($(wc -l <"$tmp/q1") rows)"

err=$("$mlp" convert "$corpus/conv.onnx" "$tmp/conv.mlp" 2>&1)
[ $? -eq 1 ] || fail "a Conv graph: exit status not 1"
grep -q 'node "conv1" (op Conv): operator not supported' <<<"$err" || fail "message: $err"
[ ! -e "$tmp/conv.mlp" ] || fail "a refused import wrote a file"
echo "ok: $err"
"$mlp" convert "$tmp/m.mlp" "$tmp/copy.mlp" >/dev/null 2>&1
[ $? -eq 2 ] || fail "neither name ends in .onnx: exit status not 2"
"$mlp" convert "$tmp/m.mlp" >/dev/null 2>&1
[ $? -eq 2 ] || fail "one argument: exit status not 2"
echo "ok: usage errors exit 2"
