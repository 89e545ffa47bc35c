#!/usr/bin/env bash
# `mlp train --resume` honours the flags a continued run can take (epochs, patience, batch,
# threads, outputs) and refuses, with a usage error naming the saved value, those that would
# change what the saved run is (network, label, task, scaling, optimizer and its settings);
# what it prints is what is in effect. Regression targets whose loss would overflow float
# are refused before training (exit 1), naming the column; predictions that overflow float
# are never written.
# bash cli_resume.sh PATH_TO_MLP
set -u
MLP=${1:?usage: cli_resume.sh PATH_TO_MLP}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-resume.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# Two classes from a and b; c is a number the label could be mistaken for.
awk 'BEGIN { srand(3); print "a,b,c,k"; for (i = 0; i < 300; i++) { a = rand(); b = rand();
     printf "%.5f,%.5f,%.3f,%s\n", a, b, rand(), (a + b > 1 ? "hi" : "lo") } }' >train.csv

failed=0
ok() { echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "${2:-}" ] && sed 's/^/       | /' "$2" | tail -n 8; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name" out; fi; }

saved=(--train train.csv --label k --layers 8 --optimizer momentum --lr 0.05 --momentum 0.8
       --weight-decay 0 --val-fraction 0 --seed 2 --quiet)
"$MLP" train "${saved[@]}" --epochs 3 --batch 16 --out r.mlp >out 2>&1
check "first run: exit 0" test $? -eq 0

# Flags that would change the saved run: exit 2, the saved value named, nothing trained.
refused() { # FLAG VALUE SAVED
    "$MLP" train --train train.csv --resume r.mlp --epochs 5 --quiet --no-save "$1" "$2" >out 2>&1
    local rc=$?
    check "--resume $1 $2: refused (exit 2, got $rc)" test "$rc" -eq 2
    check "  ...names the saved value: $3" grep -q -- "$1: --resume keeps the saved run's .*$3" out
}
refused --label c "(k)"
refused --lr 0.5 "(0.05)"
refused --optimizer adam "(momentum)"
refused --momentum 0.5 "(0.8)"
refused --weight-decay 0.1 "(0)"
refused --schedule cosine "(constant)"
refused --layers 16 "(8)"
refused --activation tanh "(relu)"
refused --bias layer "(neuron)"
refused --task regress "(classify)"
refused --scale minmax "(standard)"
refused --init he "weights"
refused --ignore c "column encoding"
refused --max-categories 5 "column encoding"

# The saved run's own values, and the flags a resumed run honours: in effect, and said.
"$MLP" train "${saved[@]}" --label 3 --resume r.mlp --epochs 5 --batch 7 --patience 0 --threads 1 \
    --no-save --plot p.svg >out 2>&1
check "same values, --batch 7: exit 0" test $? -eq 0
check "  ...prints the saved optimizer and the new batch" \
    grep -q '^training: momentum lr 0.05 (constant), weight decay 0, batch 7, 5 epochs' out
check "  ...resumed after epoch 3" grep -q 'resumed after epoch 3' out
check "  ...the plot's title is what ran" grep -q 'momentum lr 0.05, batch 7' p.svg
"$MLP" train --train train.csv --resume r.mlp --epochs 4 --no-save >out 2>&1
check "no flags: the saved optimizer said" grep -q '^training: momentum lr 0.05 (constant)' out

# Targets near the float limit: refused before training, naming the column; no model.
awk 'BEGIN { srand(4); print "x,y"; for (i = 0; i < 100; i++) { x = rand();
     printf "%.4f,%s\n", x, (x < 0.5 ? "-3.4e38" : "3.4e38") } }' >huge.csv
"$MLP" train --train huge.csv --task regress --epochs 3 --quiet --out h.mlp >out 2>&1
check "targets near 3.4e38: exit 1" test $? -eq 1
check "  ...names the column and the limit" grep -q "regression target column 'y' .*within +-1e+30" out
check "  ...no model written" test ! -e h.mlp

# A model that loaded fine, inputs far beyond its training data: its outputs overflow float.
# predict writes no inf: exit 1, the record named, no output file.
awk 'BEGIN { srand(5); print "x,y"; for (i = 0; i < 100; i++) { x = rand();
     printf "%.4f,%.4f\n", x, 2 * x + 1 } }' >line.csv
# (--folds 0: the net, not the ridge model cross-validation picks, whose outputs stay finite)
"$MLP" train --train line.csv --epochs 3 --folds 0 --quiet --out line.mlp >out 2>&1
check "a line: trained" test $? -eq 0
printf 'x\n0.5\n1e38\n' >far.csv
"$MLP" predict line.mlp far.csv -o far.out >out 2>&1
check "predict on inputs near 1e38: exit 1" test $? -eq 1
check "  ...names the record" grep -q 'far.csv: record 2: the prediction is not finite' out
check "  ...no output written" test ! -e far.out
"$MLP" predict line.mlp far.csv >out 2>/dev/null
check "  ...and no inf on stdout" bash -c '! grep -qi "inf\|nan" out'
printf 'x,y\n0.5,2\n1e38,3\n' >far_eval.csv
"$MLP" eval line.mlp far_eval.csv >out 2>&1
check "eval on inputs near 1e38: exit 1, no inf result" test $? -eq 1
check "  ...says why" grep -q "far_eval.csv: the RMSE is inf" out

[ "$failed" -eq 0 ] || { echo "$failed check(s) failed"; exit 1; }
echo "all checks passed"
