#!/usr/bin/env bash
# `mlp train`'s data-sized defaults (lib/fit/, mlp_model_fit): the cross-validation or
# validation split and epoch budget it chooses and says, regression targets standardised and folded back (the saved
# net predicts in the data's units), the guard that falls back to the training mean,
# --scale robust in the model file, train_seconds with three significant digits.
# bash cli_defaults.sh PATH_TO_MLP
set -u
MLP=${1:?usage: cli_defaults.sh PATH_TO_MLP}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-defaults.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
# y = 5000 + 1000 (2a - b): far from 0 and wide, as raw targets often are; linear.
awk 'BEGIN { srand(9); print "a,b,y"; for (i = 0; i < 400; i++) { a = rand(); b = rand();
     printf "%.5f,%.5f,%.4f\n", a, b, 5000 + 1000 * (2 * a - b) } }' >train.csv
# The same range, far from linear: a bump in the middle of the square.
awk 'BEGIN { srand(7); print "a,b,y"; for (i = 0; i < 400; i++) { a = rand(); b = rand();
     d = (a - 0.5) ^ 2 + (b - 0.5) ^ 2; printf "%.5f,%.5f,%.4f\n", a, b, 5000 + 1000 * exp(-12 * d) } }' >bump.csv
# Two classes, 70% and 30%, independent of the inputs.
awk 'BEGIN { srand(5); print "a,b,c"; for (i = 0; i < 400; i++)
     printf "%.5f,%.5f,%s\n", rand(), rand(), rand() < 0.7 ? "x" : "y" }' >noise.csv

failed=0
ok() { echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "${2:-}" ] && sed 's/^/       | /' "$2" | tail -n 8; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name" out; fi; }

# Defaults only, under 2000 records: 5-fold cross-validation, an epoch budget for the fold
# nets, the guard's verdict, all said.
"$MLP" train --train train.csv --task regress --seed 1 --out m.mlp --quiet >out 2>&1
check "defaults: exit 0" test $? -eq 0
check "defaults: says the cross-validation" grep -q '^auto: 5-fold cross-validation over the 400 training records' out
check "defaults: says the epoch budget" grep -Eq '^auto: batch 32, up to [0-9]+ epochs' out
check "defaults: the fold nets trained, and with ten times the weight decay" grep -q '^trained 5 nets, one per fold, and 5 with weight decay 3, in' out
check "defaults: the guard's verdict: on a linear target, the linear model" grep -q '^guard: kept: the ridge, fitted on all records' out
rmse=$(sed -n 's/.*[a-z]_rmse=\([0-9.]*\).*/\1/p' out)
check "defaults: rmse ${rmse:-?} below 50 (targets spread about 640)" \
    awk -v r="${rmse:-1e9}" 'BEGIN { exit !(r < 50) }'
secs=$(sed -n 's/.*train_seconds=\([^ ]*\)$/\1/p' out)
check "train_seconds ${secs:-?} has three significant digits" \
    awk -v s="${secs:-x}" 'BEGIN { exit !(s != "" && sprintf("%.3g", s) == s) }'
# --plot and --curve of a model without optimizer state (the ridge model, chosen on the
# folds or on the split): the plot's title takes the optimizer from the settings.
for folds in 5 0; do
    rm -f lp.svg lc.csv
    "$MLP" train --train train.csv --task regress --seed 1 --folds $folds --plot lp.svg \
        --curve lc.csv --no-save --quiet >out 2>&1
    check "--plot of the ridge model (--folds $folds): exit 0, written" \
        bash -c "test $? -eq 0 && grep -q 'adamw lr 0.001' lp.svg && test -s lc.csv"
    if [ $folds = 5 ]; then # no epochs of its own: the report and the plot say why
        check "--curve of the ridge chosen on the folds: says why it has no epochs" \
            grep -q '^curve: no epochs: 5-fold cross-validation chose a linear model' out
        check "--plot of the ridge chosen on the folds: the empty frame says why" \
            grep -q '>5-fold cross-validation chose a linear model, fitted without epochs;<' lp.svg
    else # the net's epochs, and the report says the net was replaced
        check "--curve of the ridge chosen on the split: the net's epochs, said" \
            bash -c "grep -q '^curve: the epochs of the net trained, which the model selection' out && test \$(wc -l <lc.csv) -gt 2"
    fi
done
# A weight decay given is the one tried: no second net on the folds.
"$MLP" train --train train.csv --task regress --seed 1 --weight-decay 0.3 --no-save --quiet >out 2>&1
check "--weight-decay given: one net per fold" grep -q '^trained 5 nets, one per fold, in' out
# The saved net predicts in the data's units (the target scaling is folded into it).
"$MLP" predict m.mlp train.csv >pred 2>&1
paste -d, <(tail -n +2 pred) <(tail -n +2 train.csv | cut -d, -f3) >pairs
check "predict: rmse against the targets below 50" \
    awk -F, '{ d = $1 - $2; s += d * d; n++ } END { exit !(n == 400 && sqrt(s / n) < 50) }' pairs

# On a target far from linear the trained net wins over both: on the folds (the fold nets
# kept as one net of 5 x 128, 5 x 64 neurons, without optimizer state), and on a split.
"$MLP" train --train bump.csv --task regress --seed 1 --out b.mlp --quiet >out 2>&1
check "guard: the fold nets, on a nonlinear target" grep -Eq '^guard: kept: the 5 fold nets( with more weight decay)?, their outputs averaged' out
"$MLP" info b.mlp >info 2>&1
check "  ...held as one net of 2-640-320-1" grep -q '2-640-320-1' info
"$MLP" train --train bump.csv --task regress --seed 1 --folds 0 --no-save --quiet >out 2>&1
check "guard: the net, on a nonlinear target (--folds 0)" grep -q '^guard: validation loss .* better than predicting the training mean .* and than a linear model' out
check "--folds 0: the split" grep -q '^auto: validation split 0.15 of the 400' out
"$MLP" train --train bump.csv --task regress --seed 1 --folds 3 --val-fraction 0 --epochs 5 --no-save --quiet >out 2>&1
check "--folds 3: given, said" grep -q '^given: 3-fold cross-validation over the 400' out
"$MLP" train --train bump.csv --task regress --folds 3 --val-fraction 0.2 --no-save >out 2>&1
check "--folds with --val-fraction: exit 2" test $? -eq 2
"$MLP" train --train bump.csv --task regress --folds 1 --no-save >out 2>&1
check "--folds 1: exit 2" test $? -eq 2

# Too few records to hold out a validation split: leave-one-out picks ridge or the mean.
head -n 13 train.csv >tiny.csv
"$MLP" train --train tiny.csv --task regress --seed 1 --out t.mlp --quiet >out 2>&1
check "tiny table: said" grep -q '^auto: 12 training records are too few' out
check "tiny table: leave-one-out prefers the linear model on a linear target" \
    grep -q '^guard: leave-one-out over the 12 training records prefers a linear model' out
"$MLP" predict t.mlp train.csv >pred 2>&1
paste -d, <(tail -n +2 pred) <(tail -n +2 train.csv | cut -d, -f3) >pairs
check "tiny table: the linear model predicts the other 388 records (rmse below 50)" \
    awk -F, '{ d = $1 - $2; s += d * d; n++ } END { exit !(n == 400 && sqrt(s / n) < 50) }' pairs

# --epochs sets the budget and keeps the validation split and early stopping, and says so;
# --patience 0 turns early stopping off; --val-fraction 0 trains on everything.
"$MLP" train --train train.csv --task regress --epochs 4 --folds 0 --no-save --quiet >out 2>&1
check "--epochs 4: the split kept" grep -q '^auto: validation split 0.15 of the 400' out
check "--epochs 4: the budget said" grep -q '^budget: batch 32 (auto), up to 4 epochs (given), early stopping after' out
check "--epochs 4: four epochs" grep -q '^trained 4 epochs' out
"$MLP" train --train train.csv --task regress --epochs 4 --patience 0 --folds 0 --no-save --quiet >out 2>&1
check "--patience 0: no early stopping, said" grep -q '^budget: .*4 epochs (given), no early stopping (patience off)' out
"$MLP" train --train train.csv --task regress --epochs 4 --val-fraction 0 --no-save --quiet >out 2>&1
check "--val-fraction 0: no split" bash -c 'grep -q "^trained 4 epochs" out && ! grep -q "validation epoch" out && grep -q "^data: 400 training records;" out'

# A classifier that cannot beat the class frequencies (one epoch at a vanishing learning
# rate from a random start, on labels independent of the inputs) is replaced by them.
"$MLP" train --train noise.csv --epochs 1 --lr 1e-9 --val-fraction 0.25 \
    --seed 2 --out g.mlp --quiet >out 2>&1
check "guard: falls back and says so" grep -q '^guard: .* class frequencies .* it now predicts that constant' out
"$MLP" predict g.mlp noise.csv | tail -n +2 | sort -u >consts
check "guard: one constant prediction" test "$(wc -l <consts)" -eq 1
# The frequencies of all 400 training records (train and validation parts).
want=$(tail -n +2 noise.csv | awk -F, '$3 == "x" { n++ } END { printf "%.4f", n / NR }')
check "guard: the constant is the class frequencies (p_x $want)" \
    awk -F, -v w="$want" '{ d = $2 - w; exit !(NR == 1 && d < 1e-3 && d > -1e-3) }' consts
# With the defaults (cross-validation), nothing beats the class frequencies either.
"$MLP" train --train noise.csv --seed 2 --layers 16 --no-save --quiet >out 2>&1
check "guard: on the folds, the class frequencies" grep -q '^guard: kept: the class frequencies' out

# --scale robust is stored in the model.
"$MLP" train --train train.csv --task regress --scale robust --epochs 2 --out r.mlp --quiet \
    >out 2>&1
"$MLP" info r.mlp >info 2>&1
check "--scale robust: stored" grep -q 'robust scaling of 2 inputs' info

# --resume of a regression run continues in the space it trains in (targets standardised
# again, the saved net unfolded): 50 + 50 epochs end where a straight 100 ends.
plain=(--train bump.csv --task regress --val-fraction 0 --seed 1 --quiet)
"$MLP" train "${plain[@]}" --epochs 100 --no-save >straight 2>&1
"$MLP" train "${plain[@]}" --epochs 50 --out half.mlp >/dev/null 2>&1
"$MLP" train "${plain[@]}" --epochs 100 --resume half.mlp --no-save >resumed 2>&1
a=$(sed -n 's/.*train_rmse=\([0-9.]*\).*/\1/p' straight)
b=$(sed -n 's/.*train_rmse=\([0-9.]*\).*/\1/p' resumed)
check "--resume of a regression run: rmse ${b:-?} as the straight run's ${a:-?} (within 2%)" \
    awk -v a="${a:-1}" -v b="${b:-1e9}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.02 * a + 0.5) }'

# A regression model whose biases cannot take the target scaling is refused before
# training (usage error, exit 2), with the fix.
"$MLP" train --train train.csv --task regress --bias network --no-save >out 2>&1
check "--bias network with regression: exit 2" test $? -eq 2
check "  ...says why and what to use" grep -q 'bias_mode is PER_NETWORK.*use PER_NEURON' out
"$MLP" train --train train.csv --task regress --bias layer --epochs 3 --out l.mlp --quiet >out 2>&1
check "--bias layer with one output: trained" test $? -eq 0

# Regression in the targets' units: the epoch lines, the curve (with the validation columns)
# and the plot (validation curve, restored epoch marked) agree with the result line.
"$MLP" train --train bump.csv --task regress --seed 1 --folds 0 --no-save --curve c.csv --plot p.svg >out 2>err
best=$(sed -n 's/.*best validation epoch \([0-9]*\) restored.*/\1/p' out)
res=$(sed -n 's/.*val_rmse=\([0-9.]*\).*/\1/p' out)
check "curve: validation columns" test "$(head -n 1 c.csv)" = "epoch,train_loss,val_loss,val_rmse,test_loss,test_rmse"
at=$(awk -F, -v e="${best:-0}" 'NR > 1 && $1 == e { print $4 }' c.csv)
check "curve: val_rmse ${at:-?} of the restored epoch ${best:-?} is the result's ${res:-?}" \
    awk -v a="${at:-0}" -v b="${res:-1}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.001 * b + 1e-4) }'
line=$(grep -E "^epoch +${best:-0}/" err | sed -n 's/.*val_rmse \([0-9.]*\).*/\1/p')
check "epoch line ${best:-?}: val_rmse ${line:-?} in the targets' units" \
    awk -v a="${line:-0}" -v b="${res:-1}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.001 * b + 1e-4) }'
check "plot: the validation loss drawn" grep -q '>validation loss<' p.svg
check "plot: the restored epoch marked" grep -q ">best epoch ${best:-?}, restored<" p.svg

[ "$failed" -eq 0 ] || { echo "$failed check(s) failed"; exit 1; }
echo "all checks passed"
