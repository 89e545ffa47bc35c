#!/usr/bin/env bash
# libmlp -> ONNX -> ONNX Runtime (ort_check.js). ONNX Runtime is onnxruntime-node, from
# $MLP_ORT_DIR or ${XDG_CACHE_HOME:-~/.cache}/libmlp/ort (scripts/test installs it there:
# npm install --prefix DIR onnxruntime-node --ignore-scripts). Skipped (77) without node or
# the package.  Usage: ort_check.sh ONNX_CHECK [TABLE.csv]
set -u
check=${1:?usage: ort_check.sh ONNX_CHECK}
here=$(cd "$(dirname "$0")" && pwd)
ort_dir=${MLP_ORT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/libmlp/ort}
command -v node >/dev/null || { echo "node not found: skipped"; exit 77; }
[ -d "$ort_dir/node_modules/onnxruntime-node" ] ||
    { echo "onnxruntime-node not in $ort_dir (npm install --prefix $ort_dir onnxruntime-node --ignore-scripts): skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$check" export "$tmp" ${2:+"$2"}
rc=$?
[ $rc -eq 0 ] || exit $rc
node "$here/ort_check.js" "$tmp" "$ort_dir"
