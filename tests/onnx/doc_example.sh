#!/usr/bin/env bash
# The C program of docs/onnx.md, compiled as it stands there (onnx_doc_example), imports a
# PyTorch-style ONNX file, predicts one record (two probabilities summing to 1) and exports
# back.onnx. Skipped (77) in a build without ONNX.  Usage: doc_example.sh EXE MODEL.onnx
set -u
exe=$(realpath "$1") model=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
out=$("$exe" "$model" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'meson option onnx'; then
    echo "libmlp built without ONNX: skipped"; exit 77
fi
[ $rc -eq 0 ] || { echo "FAIL: exit $rc: $out"; exit 1; }
echo "$out"
awk '{ s = $1 + $2; exit !(NF == 2 && s > 0.9999 && s < 1.0001) }' <<<"$out" ||
    { echo "FAIL: expected two probabilities, got: $out"; exit 1; }
[ -s back.onnx ] || { echo "FAIL: back.onnx not written"; exit 1; }
echo "ok: predicted and exported"
