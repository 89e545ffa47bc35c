#!/usr/bin/env bash
# Time per epoch on Fashion-MNIST, libmlp's `mlp train` against PyTorch, one after the
# other in one run: the same network (784-256-128-10 ReLU, softmax + cross-entropy, Adam,
# batch 128, no dropout) and, for libmlp, also the tool's default recipe.
# Usage: bench/fashion_epoch.sh [BUILD_DIR] [EPOCHS]
set -euo pipefail
build=${1:-build}
epochs=${2:-4}
export OPENBLAS_CORETYPE="${OPENBLAS_CORETYPE:-Haswell}"
export OPENBLAS_L2_SIZE="${OPENBLAS_L2_SIZE:-512}"
here=$(dirname "$0")
python=${MLP_BENCH_PYTHON:-/usr/bin/python3}

mlp_epoch() { # extra flags...: prints seconds per epoch from the tool's summary line
    "$build/tools/mlp" train --dataset fashion-mnist --quiet --no-save --epochs "$epochs" "$@" |
        sed -n 's/.*(\([0-9.]*\) s\/epoch).*/\1/p'
}

echo "network 784-256-128-10 ReLU, Adam lr 0.001, batch 128, $epochs epochs"
echo "libmlp mlp train, same network, no dropout: $(mlp_epoch --optimizer adam --lr 0.001 \
    --weight-decay 0 --schedule constant --dropout 0 --batch 128 --layers 256,128) s/epoch"
echo "libmlp mlp train, default recipe (AdamW, cosine, dropout 0.2): $(mlp_epoch) s/epoch"
if "$python" -c 'import torch' 2>/dev/null; then
    for setting in "1 2" "2 1" "1 1" "2 2"; do
        set -- $setting
        line=$(OPENBLAS_NUM_THREADS=$2 "$python" "$here/fashion_torch.py" --epochs "$epochs" \
               --threads "$1" 2>/dev/null | tail -n 1)
        echo "PyTorch torch threads $1, OPENBLAS_NUM_THREADS $2: $line"
    done
else
    echo "PyTorch: not installed (python3-torch)"
fi
