#!/usr/bin/env bash
# The `mlp` tool on real-world-shaped tables: text, missing and date columns with no flag
# but --label, the task chosen from the label, multi-output regression, honest result
# prefixes, predict/eval on what train took (label column present, stdin, IDX images), the
# same predictions after the model file round trip, and errors that name the column.
# bash cli_tables.sh PATH_TO_MLP; tables are generated here (awk, fixed seeds).
set -u

MLP=${1:?usage: cli_tables.sh PATH_TO_MLP [PATH_TO_MAKE_TABLES]}
MAKE_TABLES=${2:-}
case $MAKE_TABLES in /*|'') ;; *) MAKE_TABLES=$PWD/$MAKE_TABLES ;; esac
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-tables.XXXXXX") || exit 1
if [ -n "${MLP_SMOKE_KEEP:-}" ]; then echo "cli_tables: files in $T"; else trap 'rm -rf "$T"' EXIT; fi
cd "$T" || exit 1

passed=0
failed=0
skipped=
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    shift
    for f in "$@"; do [ -f "$f" ] && sed 's/^/       | /' "$f" | tail -n 20; done
}
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else fail "$name" o e; fi
}
run() { "$@" >o 2>e; rc=$?; }
expect_ok() {
    local name=$1
    shift
    run "$@"
    cp o "out.$name"
    if [ "$rc" = 0 ] && ! grep -Eq 'Sanitizer|runtime error:' e; then ok "$name"; else fail "$name (status $rc)" o e; fi
}
expect_fail() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [ "$rc" = "$want" ] && head -n 1 e | grep -q '^mlp[a-z ]*: ' && [ ! -s o ]; then ok "$name"
    else fail "$name (status $rc, expected $want)" o e; fi
}
last_line() { tail -n 1 "$1"; }

# Penguin-like table: island and sex (text), NA cells, a date, the species to learn from
# mass and flipper length (which separate the species). Rows 1..600 train, 601..800 test.
awk 'BEGIN {
    srand(11)
    print "id,island,bill_mm,flipper_mm,mass_g,sex,seen,species"
    split("Biscoe Dream Torgersen", isl, " ")
    for (i = 1; i <= 800; i++) {
        s = int(rand() * 3)
        sp = s == 0 ? "Adelie" : s == 1 ? "Chinstrap" : "Gentoo"
        fl = 190 + 12 * s + 4 * (rand() - 0.5)
        ma = 3500 + 800 * (s == 2) + 300 * (s == 1) + 200 * (rand() - 0.5)
        bill = 40 + 5 * (s == 1) + 3 * rand()
        island = isl[(s + int(rand() * 2)) % 3 + 1]
        sex = rand() < 0.5 ? "male" : "female"
        if (rand() < 0.05) bill = "NA"
        if (rand() < 0.05) sex = ""
        if (rand() < 0.03) island = "NA"
        day = sprintf("2019-%02d-%02d", 1 + int(rand() * 12), 1 + int(rand() * 28))
        if (i % 97 == 0) sp = "NA"   # a missing label: the row is dropped
        printf "P%04d,%s,%s,%.1f,%.0f,%s,%s,%s\n", i, island, bill, fl, ma, sex, day, sp
    }
}' >penguins.csv
head -n 601 penguins.csv >train.csv
{ head -n 1 penguins.csv; tail -n 200 penguins.csv; } >test.csv

expect_ok train "$MLP" train --train train.csv --test test.csv --label species --quiet \
    --out m.mlp
cp o train.out
check "summary: a header line" grep -q '^columns (8, fitted on the training split' train.out
check "summary: id is an identifier, ignored" grep -Eq '^ +0 id +ignored .*identifier' train.out
check "summary: island categorical with its categories" grep -Eq '^ +1 island +categorical +missing [0-9]+, 4 categories: Biscoe, Dream, Torgersen, \(missing\)' train.out
check "summary: bill numeric, mean imputed, indicator" grep -Eq '^ +2 bill_mm +numeric +missing [1-9][0-9]*, mean .* imputed, \+ missing indicator' train.out
check "summary: the date column" grep -Eq '^ +6 seen +date +missing 0 -> days since 1970' train.out
check "summary: the label" grep -Eq '^ +7 species +label' train.out
check "task: classification, and why" grep -q "^task: classification: label column 7 'species' has text values (3 distinct) (--task regress to override)" train.out
# The automatic validation split takes its rows from train.csv: the drops of both parts.
dropped=$(sed -nE 's/^(train.csv|validation split): [0-9]+ rows, ([0-9]+) dropped \(label missing[^)]*\).*/\2/p' train.out | awk '{ n += $1 } END { print n + 0 }')
check "rows with a missing label are dropped and counted ($dropped of 6)" test "$dropped" = 6
check "result: test_ prefix with --test" grep -Eq '^result: test_accuracy=[01]\.[0-9]{4} test_loss=' <(last_line train.out)
acc=$(last_line train.out | sed 's/.*test_accuracy=\([0-9.]*\).*/\1/')
check "accuracy on separable species ($acc >= 0.95)" awk -v a="$acc" 'BEGIN { exit !(a >= 0.95) }'

# eval applies what training fitted, on the same numbers; predict ignores the label column.
expect_ok eval "$MLP" eval m.mlp test.csv
check "eval: same numbers as training's test evaluation" test "$(last_line out.eval)" = "$(last_line train.out | sed 's/ train_seconds=.*//')"
expect_ok eval-label "$MLP" eval --label species m.mlp test.csv
check "eval --label with the model's own label: same numbers" test "$(last_line out.eval-label)" = "$(last_line out.eval)"
expect_fail eval-other-label 1 "$MLP" eval --label island m.mlp test.csv
expect_ok predict "$MLP" predict m.mlp test.csv
check "predict: header and one row per record" test "$(wc -l <out.predict)" -eq 201
check "predict: header names the classes" test "$(head -n 1 out.predict)" = "class,p_Adelie,p_Chinstrap,p_Gentoo"
cut -d, -f8 --complement test.csv >test_nolabel.csv
expect_ok predict-nolabel "$MLP" predict m.mlp test_nolabel.csv
check "predict without the label column: same rows" cmp -s out.predict out.predict-nolabel
awk -F, -v OFS=, '{ print $8, $3, $1, $2, $7, $6, $5, $4 }' test.csv >test_shuffled.csv
expect_ok predict-reordered "$MLP" predict m.mlp test_shuffled.csv
check "predict with the columns in another order: same rows" cmp -s out.predict out.predict-reordered
expect_ok predict-stdin bash -c 'cat test.csv | "$1" predict m.mlp -' _ "$MLP"
check "predict from stdin: same rows" cmp -s out.predict out.predict-stdin
# Unseen categories: counted, encoded as all zeros, no failure.
sed '2s/,Biscoe,/,Atlantis,/; 3s/,Dream,/,Atlantis,/; 4s/,Torgersen,/,Atlantis,/' test.csv >test_unseen.csv
expect_ok predict-unseen "$MLP" predict m.mlp test_unseen.csv
check "predict: unseen categories counted" grep -Eq '[1-9] cells with a category not seen in training' e

# The same predictions after the model file round trip: resume for 0 more epochs is not
# possible, so retrain with the same seed and compare bytes, and save/load via predict.
expect_ok retrain "$MLP" train --train train.csv --test test.csv --label species --quiet --out m2.mlp
check "same seed, same model file" cmp -s m.mlp m2.mlp
check "info: format version 2 (table encoding)" bash -c '"$1" info m.mlp | grep -q "^format version: *2"' _ "$MLP"

# Without --test: val_ for a validation split, train_ otherwise.
expect_ok train-val "$MLP" train --train train.csv --label species --val-fraction 0.2 --quiet --no-save
check "validation split: val_ prefix" grep -Eq '^result: val_accuracy=' <(last_line out.train-val)
check "validation split: summary fitted on the training split (480 rows)" grep -Eq '^train.csv: 480 rows' out.train-val
expect_ok train-only "$MLP" train --train train.csv --label species --quiet --no-save --epochs 2 --val-fraction 0
check "training data only: train_ prefix" grep -Eq '^result: train_accuracy=' <(last_line out.train-only)

# Overrides.
expect_ok overrides "$MLP" train --train train.csv --label species --quiet --no-save --epochs 1 \
    --ignore seen,sex --categorical id --missing NA,unknown
check "--ignore: stated" grep -Eq '^ +6 seen +ignored' out.overrides
check "--categorical: an identifier used as categories" grep -Eq '^ +0 id +categorical' out.overrides

# Task from the label: a numeric label with many values is regression, said so.
awk 'BEGIN { srand(5); print "x1,x2,colour,y"; for (i = 0; i < 400; i++) { a = rand(); b = rand(); c = rand() < 0.5 ? "red" : "blue"; printf "%.4f,%.4f,%s,%.4f\n", a, b, c, 3 * a - b + (c == "red") } }' >reg.csv
expect_ok regress-auto "$MLP" train --train reg.csv --label y --quiet --no-save --epochs 3 --val-fraction 0
check "numeric label: regression, and why" grep -q "^task: regression: label column 3 'y' is numeric with [0-9]* distinct values" out.regress-auto
check "regression result line" grep -Eq '^result: train_rmse=' <(last_line out.regress-auto)
expect_fail regress-ce 2 "$MLP" train --train reg.csv --label y --loss ce --no-save

# Multi-output regression: one net, an output per label, RMSE per output and overall.
awk 'BEGIN { srand(9); print "a,b,kind,s,d,p"; for (i = 0; i < 1200; i++) { x = 2 * rand() - 1; y = 2 * rand() - 1; k = rand() < 0.5 ? "u" : "v"; printf "%.4f,%.4f,%s,%.4f,%.4f,%.4f\n", x, y, k, x + y, x - y, (k == "u") ? x * y : 0 } }' >multi.csv
head -n 1001 multi.csv >multi_train.csv
{ head -n 1 multi.csv; tail -n 200 multi.csv; } >multi_test.csv
expect_ok multi "$MLP" train --train multi_train.csv --test multi_test.csv --label s,d,p --quiet --out multi.mlp --epochs 40
check "multi-output: the task and why" grep -q '^task: regression: 3 label columns' out.multi
check "multi-output: a net with 3 outputs" grep -Eq '^net: 4-.*-3, ' out.multi
check "multi-output: RMSE per output" grep -Eq '^rmse per output: s=[0-9.]+ d=[0-9.]+ p=[0-9.]+$' out.multi
rmse=$(last_line out.multi | sed 's/.*test_rmse=\([0-9.]*\).*/\1/')
check "multi-output: learns ($rmse < 0.1)" awk -v r="$rmse" 'BEGIN { exit !(r < 0.1) }'
expect_ok multi-eval "$MLP" eval multi.mlp multi_test.csv
check "multi-output eval: same per-output RMSE" test "$(grep '^rmse per output' out.multi-eval)" = "$(grep '^rmse per output' out.multi)"
check "multi-output eval: same overall numbers" test "$(last_line out.multi-eval)" = "$(last_line out.multi | sed 's/ train_seconds=.*//')"
expect_ok multi-indices "$MLP" train --train multi_train.csv --label 3,4,5 --quiet --no-save --epochs 1
check "multi-output by indices" grep -q '^task: regression: 3 label columns' out.multi-indices
expect_ok multi-predict "$MLP" predict multi.mlp multi_test.csv
check "multi-output predict: one column per output, named" test "$(head -n 1 out.multi-predict)" = "s,d,p"
check "multi-output predict: 3 numbers per row" awk -F, 'NR > 1 && NF != 3 { exit 1 }' out.multi-predict

# predict reads IDX images (plain): a model trained on a 4-pixel IDX set.
printf '\x00\x00\x08\x03\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x02\x00\xff\x00\xff\xff\x00\xff\x00\x00\xff\x00\xff\xff\x00\xff\x00' >img.idx
printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x00\x01' >lab.idx
expect_ok idx-train "$MLP" train --train img.idx --train-labels lab.idx --layers 4 --epochs 2 --quiet --out idx.mlp
expect_ok idx-predict "$MLP" predict idx.mlp img.idx
check "predict on IDX images: a header and 4 rows" test "$(wc -l <out.idx-predict)" -eq 5

# A stray text cell in a numeric column is a missing value, counted and shown with the
# flags that read it otherwise; columns are numbered from 0 as --label counts them.
awk -F, -v OFS=, 'NR == 9 { $4 = "long" } 1' train.csv >bad_number.csv
expect_ok stray-text "$MLP" train --train bad_number.csv --label species --no-save --epochs 2
check "  ...the summary counts it, with the value and the flags" grep -Eq "^ +3 flipper_mm +numeric +missing 0, 1 invalid \('long'; imputed as missing; --categorical or --missing" out.stray-text
check "  ...and imputes it (indicator)" grep -Eq "^ +3 flipper_mm .*mean .* imputed, \+ missing indicator" out.stray-text
expect_fail no-such-label 1 "$MLP" train --train train.csv --label colour --no-save
check "  ...names the missing column" grep -q "label column 'colour' is not in the table" e
# ... and when the odd value is only in the test file: imputed, counted, named.
awk -F, -v OFS=, 'NR == 3 { $5 = "heavy" } 1' test.csv >test_text_in_numeric.csv
expect_ok eval-text-in-numeric "$MLP" eval m.mlp test_text_in_numeric.csv
check "  ...counted with its line and column" grep -q "1 of them not of their column's type, first 'heavy' on line 3 in column 4" out.eval-text-in-numeric
expect_ok predict-text-in-numeric "$MLP" predict m.mlp test_text_in_numeric.csv
check "  ...predict too, on stderr" grep -q "first 'heavy' on line 3 in column 4" e
# A class the model never saw, in the test file: left out of the scores, counted, named.
awk -F, -v OFS=, 'NR == 4 || NR == 7 { $8 = "Emperor" } 1' test.csv >test_unseen_class.csv
expect_ok eval-unseen-class "$MLP" eval m.mlp test_unseen_class.csv
check "  ...counted and named" grep -q "2 left out (a class not seen in training, first 'Emperor' on line 4)" out.eval-unseen-class
check "  ...scored on the other rows" grep -q "^evaluated m.mlp on test_unseen_class.csv: 196 records" out.eval-unseen-class
# A count label (0-17, skewed: some counts in one or two rows) is regression, said so,
# and the validation split never fails on a count its training part lacks.
awk 'BEGIN { srand(3); print "group,dose,cases"; for (i = 0; i < 90; i++) { d = rand(); c = int(d * d * d * 18); printf "g%d,%.3f,%d\n", i % 6, d, c } }' >counts.csv
expect_ok count-label "$MLP" train --train counts.csv --label cases --no-save --epochs 5
check "  ...regression, and why" grep -Eq "^task: regression: label column 2 'cases' has [0-9]+ distinct integer values, one of them in [12] rows? \(fewer than 5\): counts or measures, not classes \(--task classify to override\)" out.count-label
# One invalid date (2024-02-30) among valid ones: still a date column, the cell imputed.
awk 'BEGIN { srand(4); print "day,x,y"; for (i = 0; i < 300; i++) { m = 1 + int(rand() * 12); d = 1 + int(rand() * 28); if (i == 17) { m = 2; d = 30 } x = rand(); printf "2024-%02d-%02d,%.3f,%s\n", m, d, x, (m > 6) ? "late" : "early" } }' >dates.csv
expect_ok invalid-date "$MLP" train --train dates.csv --label y --no-save --epochs 2
check "  ...a date column with one invalid cell" grep -Eq "^ +0 day +date +missing 0, 1 invalid \('2024-02-30'" out.invalid-date
expect_ok date-override "$MLP" train --train dates.csv --label y --no-save --epochs 2 --date day
check "  ...--date reads it as dates" grep -Eq "^ +0 day +date " out.date-override
# 10,000 categories in 25,000 rows (an encoding once 10,000 wide, 1 GB): the 256 most
# frequent kept, the rest all zeros and counted in the column's summary.
awk 'BEGIN { print "code,y"; for (i = 0; i < 25000; i++) printf "c%d,%d\n", i % 10000, i % 2 }' >codes.csv
expect_ok many-categories "$MLP" train --train codes.csv --label y --no-save --epochs 1
check "  ...256 categories kept, the rest counted" grep -Eq "^ +0 code +categorical .*\(the 256 most frequent; [0-9]+ rarer values in [0-9]+ cells encoded as all zeros\)" out.many-categories
check "  ...256 input features" grep -q "256 input features" out.many-categories
expect_ok max-categories "$MLP" train --train codes.csv --label y --no-save --epochs 1 --max-categories 10
check "  ...--max-categories 10: 10 input features" grep -q "10 input features" out.max-categories
cut -d, -f5 --complement test.csv >test_no_mass.csv
expect_fail predict-missing-column 1 "$MLP" predict m.mlp test_no_mass.csv
check "  ...names the column" grep -q "no column 'mass_g' (column 4 of the training table)" e

# The real-world walk-through of docs/tool.md (R's MASS data; scripts/test installs r-cran-mass):
# no flag but --label on a table with text and missing columns.
if [ -n "$MAKE_TABLES" ] && command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(MASS)' >/dev/null 2>&1; then
    expect_ok make-tables "$MAKE_TABLES" real
    expect_ok survey "$MLP" train --train real/survey-train.csv --test real/survey-test.csv --label Sex --quiet --out survey.mlp
    check "survey: text columns one-hot" grep -Eq '^ +3 W.Hnd +categorical +missing 1, 3 categories: Left, Right, \(missing\)' out.survey
    check "survey: the row without a label dropped" grep -q '1 dropped (label missing or not a number)' out.survey
    acc=$(last_line out.survey | sed 's/.*test_accuracy=\([0-9.]*\).*/\1/')
    check "survey: above the training majority class (Female, 25/59 = 0.42 of the test rows): $acc > 0.6" awk -v a="$acc" 'BEGIN { exit !(a > 0.6) }'
    expect_ok aids2 "$MLP" train --train real/aids2-train.csv --test real/aids2-test.csv --label status --quiet --no-save
    check "aids2: the diagnosis date read as a date" grep -Eq '^ +2 diag +date ' out.aids2
else
    skipped="real-world tables (no Rscript with MASS, or no make-tables path)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] || exit 1
# A part that could not run makes the test a skip (77), not a pass.
if [ -n "$skipped" ]; then echo "SKIP: $skipped"; exit 77; fi
