#!/usr/bin/env bash
# PyTorch -> ONNX -> libmlp (torch_roundtrip.py) with a Python that imports torch:
# $MLP_PYTHON, python3 or /usr/bin/python3 (Debian's python3-torch). Skipped (77) without one.
#   Usage: torch_roundtrip.sh ONNX_CHECK MLP
set -u
here=$(cd "$(dirname "$0")" && pwd)
"$1" predict /dev/null /dev/null 0 /dev/null >/dev/null 2>&1
[ $? -eq 77 ] && { echo "libmlp built without ONNX (meson option onnx): skipped"; exit 77; }
for py in "${MLP_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$py" ] && "$py" -c 'import torch, numpy' 2>/dev/null && break
    py=
done
[ -n "$py" ] || { echo "no python3 with torch and numpy (Debian python3-torch): skipped"; exit 77; }
exec "$py" "$here/torch_roundtrip.py" "$@"
