#!/usr/bin/env bash
# `mlp train` on a run that diverges: exit status 1, a message naming the epoch, and no model
# file (neither the target nor a temporary beside it). bash cli_divergence.sh PATH_TO_MLP
set -u
MLP=${1:?usage: cli_divergence.sh PATH_TO_MLP}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-div.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
awk 'BEGIN { srand(5); print "a,b,y"; for (i = 0; i < 64; i++) { a = rand(); b = rand();
     printf "%.4f,%.4f,%.4f\n", a, b, 3 * a - b } }' >"$T/train.csv"

failed=0
# check NAME ARGS...: the run must fail with 1, say "diverged", and leave no file in out/.
check() {
    local name=$1
    shift
    rm -rf "$T/out" && mkdir "$T/out"
    "$MLP" train --train "$T/train.csv" --task regress --layers 8 --epochs 20 --quiet \
        --out "$T/out/m.mlp" --curve "$T/out/c.csv" "$@" >"$T/o" 2>"$T/e"
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -q 'diverged in epoch' "$T/e" && [ -z "$(ls -A "$T/out")" ]; then
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (status $rc; files: $(ls -A "$T/out" | tr '\n' ' '))"
        sed 's/^/       | /' "$T/e" | tail -n 5
    fi
}
check "sgd lr 1e4" --optimizer sgd --lr 1e4
check "sgd weight decay 1e6" --optimizer sgd --lr 0.01 --weight-decay 1e6
check "momentum lr 1e4, batch 1" --optimizer momentum --lr 1e4 --batch 1
check "adamw weight decay 1e6, whole batch" --optimizer adamw --lr 0.01 --weight-decay 1e6 --batch 0
# The runs above diverge in the cross-validation's fold nets (64 records); this one in the
# net trained beside a validation split.
check "sgd lr 1e4, a validation split" --optimizer sgd --lr 1e4 --folds 0
# Control: a sane run of the same data writes its model.
rm -rf "$T/out" && mkdir "$T/out"
if "$MLP" train --train "$T/train.csv" --task regress --layers 8 --epochs 3 --quiet \
    --out "$T/out/m.mlp" >"$T/o" 2>"$T/e" && [ -f "$T/out/m.mlp" ]; then
    echo "ok   control run saves"
else
    failed=$((failed + 1))
    echo "FAIL control run saves"
fi
[ "$failed" -eq 0 ]
