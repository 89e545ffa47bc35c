#!/usr/bin/env bash
# Smoke tests of the `mlp` command-line tool: bash cli_smoke.sh PATH_TO_MLP
# Tiny data sets are generated in a temporary directory (awk, fixed seeds); every check
# prints ok/FAIL, and the last line is "N passed, M failed" (exit status 1 on any failure).
set -u

MLP=${1:?usage: cli_smoke.sh PATH_TO_MLP}
case $MLP in /*) ;; *) MLP=$PWD/$MLP ;; esac
[ -x "$MLP" ] || { echo "cli_smoke: $MLP is not an executable"; exit 1; }
# python3 writes the IDX files and checks the SVG and CSV outputs (meson itself needs it).
command -v python3 >/dev/null 2>&1 || { echo "cli_smoke: SKIP: no python3"; exit 77; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}

# A sanitizer build (linked with libasan) cannot run under `ulimit -v`: those checks skip.
SANITIZED=
if ldd "$MLP" 2>/dev/null | grep -q 'libasan'; then SANITIZED=1; fi

T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-smoke.XXXXXX") || exit 1
# MLP_SMOKE_KEEP=1 keeps the directory for a look after a failure.
if [ -n "${MLP_SMOKE_KEEP:-}" ]; then echo "cli_smoke: files in $T"; else trap 'rm -rf "$T"' EXIT; fi
cd "$T" || exit 1
mkdir out

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    shift
    for f in "$@"; do [ -f "$f" ] && sed 's/^/       | /' "$f" | tail -n 15; done
}

# run NAME CMD...: runs CMD, stdout in $T/o, stderr in $T/e, status in $rc.
run() {
    local name=$1
    shift
    "$@" >o 2>e
    rc=$?
    cp o "out.$name" 2>/dev/null
    # A sanitizer build must not report anything, whatever the exit status.
    if grep -Eq 'Sanitizer|runtime error:' e; then rc="$rc+sanitizer-report"; fi
}

# expect_ok NAME CMD...: status 0.
expect_ok() {
    local name=$1
    run "$@"
    if [ "$rc" = 0 ]; then ok "$name"; else fail "$name (status $rc)" o e; fi
}

# expect_fail NAME STATUS CMD...: the given status, a one-line-or-more "mlp...: " message on
# stderr, nothing on stdout, and no crash.
expect_fail() {
    local name=$1 want=$2
    shift 2
    run "$name" "$@"
    if [ "$rc" != "$want" ]; then
        fail "$name (status $rc, expected $want)" o e
    elif ! head -n 1 e | grep -q '^mlp[a-z ]*: '; then
        fail "$name (no 'mlp: ...' message on stderr)" e
    elif [ -s o ]; then
        fail "$name (output on stdout)" o
    else
        ok "$name"
    fi
}

# check NAME TEST...: a plain condition.
check() {
    local name=$1
    shift
    if "$@" 2>/dev/null; then ok "$name"; else fail "$name"; fi
}

last_line() { tail -n 1 "$1"; }
field() { # field FILE KEY: the value of KEY=... in the file's last line
    last_line "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
no_temp_files() { ! ls -A "$1" | grep -q 'tmp'; }

# ---------------------------------------------------------------- data
# Three overlapping Gaussian classes in 4 features, a string label in the middle column.
awk 'BEGIN {
    srand(12345)
    print "f1,f2,species,f3,f4"
    split("setosa versicolor virginica", name, " ")
    for (i = 0; i < 600; i++) {
        c = i % 3
        for (j = 1; j <= 4; j++) {
            u = rand(); v = rand(); if (u < 1e-9) u = 1e-9
            z[j] = sqrt(-2 * log(u)) * cos(6.283185307 * v)
        }
        printf "%.4f,%.4f,%s,%.4f,%.4f\n", z[1] + 2.5 * (c == 1), z[2] + 2.5 * (c == 2),
               name[c + 1], z[3] * 0.5 + c, z[4]
    }
}' >all.csv
{ head -n 1 all.csv; sed -n '2,481p' all.csv; } >train.csv
{ head -n 1 all.csv; sed -n '482,601p' all.csv; } >test.csv
cut -d, -f3 --complement test.csv >test_nolabel.csv
tail -n +2 test.csv >test_noheader.csv

# Regression: y = sin(x1) + 0.5 x2 - 0.3 x3 + noise, label last.
awk 'BEGIN {
    srand(777)
    print "x1,x2,x3,y"
    for (i = 0; i < 500; i++) {
        x1 = 6 * rand() - 3; x2 = 2 * rand() - 1; x3 = 4 * rand()
        printf "%.4f,%.4f,%.4f,%.5f\n", x1, x2, x3, sin(x1) + 0.5 * x2 - 0.3 * x3 + 0.05 * (rand() - 0.5)
    }
}' >reg_all.csv
{ head -n 1 reg_all.csv; sed -n '2,401p' reg_all.csv; } >reg_train.csv
{ head -n 1 reg_all.csv; sed -n '402,501p' reg_all.csv; } >reg_test.csv

# The prefix names what was measured: test_ (--test data), val_ (a validation split), train_.
result_classify() { echo "^result: $1_accuracy=[01]\.[0-9]{4} $1_loss=[0-9]+\.[0-9]{4} train_seconds=[0-9.e+-]+\$"; }
RESULT_CLASSIFY=$(result_classify test)
RESULT_REGRESS='^result: test_rmse=[0-9]+\.[0-9]{4} test_loss=[0-9]+\.[0-9]{4} train_seconds=[0-9.e+-]+$'

# ---------------------------------------------------------------- help, version
expect_ok help "$MLP" --help
check "help lists the commands" grep -q 'train' out.help
expect_ok version "$MLP" --version
check "version names the library" grep -q '^mlp [0-9]' out.version
for c in train eval predict info; do
    expect_ok "$c-help" "$MLP" "$c" --help
    check "$c --help says Usage" grep -q '^Usage: mlp '"$c" "out.$c-help"
done

# ---------------------------------------------------------------- classification
expect_ok train-csv "$MLP" train --train train.csv --test test.csv --label species \
    --layers 32,16 --epochs 30 --batch 16 --seed 3 --val-fraction 0 --out out/m.mlp \
    --curve out/curve.csv --plot out/curve.svg
cp out.train-csv train.out
check "train: result line format" grep -Eq "$RESULT_CLASSIFY" <(last_line train.out)
acc=$(field train.out test_accuracy)
check "train: test accuracy ${acc:-?} >= 0.85" ge "${acc:-0}" 0.85
check "train: model file written" test -s out/m.mlp
check "train: no temporary files left" no_temp_files out

check "curve: header" test "$(head -n 1 out/curve.csv)" = "epoch,train_loss,val_loss,val_accuracy,test_loss,test_accuracy"
check "curve: one row per epoch" test "$(wc -l <out/curve.csv)" -eq 31
check "curve: 6 fields per row, train loss and test numbers" awk -F, 'NR > 1 && (NF != 6 || $2 !~ /^[0-9.e+-]+$/ || $6 !~ /^[0-9.]+$/) { exit 1 }' out/curve.csv
check "curve: last test accuracy agrees with the result" \
    test "$(awk -F, 'END { printf "%.4f", $6 }' out/curve.csv)" = "$acc"
check "plot: an SVG document" grep -q '^<svg' out/curve.svg
check "plot: two series" test "$(grep -c '<polyline' out/curve.svg)" -ge 2
check "plot: axis titles and legend" grep -q 'epoch</text>' out/curve.svg
check "plot: well-formed XML" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' out/curve.svg

expect_ok eval-csv "$MLP" eval out/m.mlp test.csv
want=$(last_line train.out | sed 's/ train_seconds=.*//')
check "eval: same numbers as training's test evaluation" test "$(last_line out.eval-csv)" = "$want"
expect_ok eval-label-index "$MLP" eval --label 2 out/m.mlp test.csv
check "eval --label 2: same numbers" test "$(last_line out.eval-label-index)" = "$want"

expect_ok predict-csv "$MLP" predict out/m.mlp test.csv
check "predict: one row per input row (+ header)" test "$(wc -l <out.predict-csv)" -eq "$(wc -l <test.csv)"
check "predict: header names the classes" test "$(head -n 1 out.predict-csv)" = "class,p_setosa,p_versicolor,p_virginica"
check "predict: probabilities sum to 1" awk -F, 'NR > 1 { s = $2 + $3 + $4; if (s < 0.999 || s > 1.001 || $1 !~ /^(setosa|versicolor|virginica)$/) exit 1 }' out.predict-csv
correct=$(paste -d, <(cut -d, -f3 test.csv) <(cut -d, -f1 out.predict-csv) | awk -F, 'NR > 1 && $1 == $2 { n++ } END { printf "%.4f", n / (NR - 1) }')
check "predict: classes agree with the accuracy ($correct)" test "$correct" = "$acc"
expect_ok predict-nolabel "$MLP" predict out/m.mlp test_nolabel.csv
check "predict without the label column: same rows" cmp -s out.predict-csv out.predict-nolabel
expect_ok predict-noheader "$MLP" predict out/m.mlp test_noheader.csv
check "predict without header: no header, same rows" cmp -s <(tail -n +2 out.predict-csv) out.predict-noheader
expect_ok predict-out "$MLP" predict --out out/pred.csv out/m.mlp test.csv
check "predict --out: same content" cmp -s out.predict-csv out/pred.csv
check "predict --out: nothing on stdout" test ! -s out.predict-out

expect_ok info "$MLP" info out/m.mlp
check "info: topology" grep -q '^topology: *4-32-16-3' out.info
check "info: activations" grep -q '3: 16 -> 3 softmax' out.info
check "info: bias and parameter count" grep -q '^parameters: *739$' out.info
check "info: classes" grep -q 'setosa, versicolor, virginica' out.info
check "info: label column" grep -q 'species' out.info
check "info: scaling" grep -q 'standard' out.info
check "info: optimizer state stored" grep -q '^optimizer: *stored' out.info
check "info: format version" grep -q '^format version: *[0-9]' out.info

# Validation split instead of test data; no held-out data at all.
expect_ok train-val "$MLP" train --train train.csv --label species --layers 16 --epochs 5 \
    --val-fraction 0.25 --patience 2 --no-save --curve out/val.csv
check "train --val-fraction: says it reports the validation split" grep -q 'validation split' out.train-val
check "train --val-fraction: val_ result line" grep -Eq "$(result_classify val)" <(last_line out.train-val)
expect_ok train-notest "$MLP" train --train train.csv --label species --layers 16 --epochs 3 --val-fraction 0 --no-save
check "train without test data: says it reports training data" grep -q 'training data' out.train-notest
check "train without test data: train_ result line" grep -Eq "$(result_classify train)" <(last_line out.train-notest)

# Other optimizers, schedules, activations, losses run.
expect_ok train-variants "$MLP" train --train train.csv --test test.csv --label 2 \
    --layers 16,8 --activation tanh --optimizer nesterov --schedule step --loss mse \
    --lr 0.1 --dropout 0.2 --scale minmax --epochs 20 --out out/mse.mlp --quiet
acc=$(field out.train-variants test_accuracy)
check "train nesterov/tanh/mse: accuracy ${acc:-?} >= 0.7" ge "${acc:-0}" 0.7
expect_ok eval-mse "$MLP" eval out/mse.mlp test.csv
check "eval of an mse classifier: same numbers" \
    test "$(last_line out.eval-mse)" = "$(last_line out.train-variants | sed 's/ train_seconds=.*//')"

# ---------------------------------------------------------------- regression
expect_ok train-regress "$MLP" train --train reg_train.csv --test reg_test.csv --task regress \
    --layers 32,32 --epochs 60 --batch 16 --lr 0.003 --schedule cosine --out out/reg.mlp
check "regress: result line format" grep -Eq "$RESULT_REGRESS" <(last_line out.train-regress)
rmse=$(field out.train-regress test_rmse)
check "regress: test rmse ${rmse:-?} <= 0.25" le "${rmse:-9}" 0.25
expect_ok eval-regress "$MLP" eval out/reg.mlp reg_test.csv
check "eval regress: same numbers" \
    test "$(last_line out.eval-regress)" = "$(last_line out.train-regress | sed 's/ train_seconds=.*//')"
expect_ok predict-regress "$MLP" predict out/reg.mlp reg_test.csv
check "predict regress: header and one number per row" \
    awk 'NR == 1 { if ($0 != "y") exit 1; next } !/^-?[0-9.]+(e[-+][0-9]+)?$/ { exit 1 } END { if (NR != 101) exit 1 }' out.predict-regress
expect_ok info-regress "$MLP" info out/reg.mlp
check "info regress: linear output, task" grep -q 'task: *regress' out.info-regress

# ---------------------------------------------------------------- IDX (python3 writes it)
mkdir -p datasets/tiny
python3 - datasets/tiny <<'EOF'
import gzip, random, struct, sys
d = sys.argv[1]
rng = random.Random(5)
def write(name, n):
    labels = [i % 3 for i in range(n)]
    pix = bytearray()
    for c in labels:
        for r in range(6):
            for k in range(6):
                on = (c == 0 and r < 2) or (c == 1 and k < 2) or (c == 2 and r == k)
                pix.append(min(255, max(0, (200 if on else 20) + rng.randint(-40, 40))))
    for comp, suffix in ((False, ""), (True, ".gz")):
        op = gzip.open if comp else open
        with op(f"{d}/{name}-images-idx3-ubyte{suffix}", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, 6, 6) + bytes(pix))
        with op(f"{d}/{name}-labels-idx1-ubyte{suffix}", "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + bytes(labels))
write("train", 300)
write("t10k", 60)
EOF
D=datasets/tiny
expect_ok train-idx "$MLP" train --train $D/train-images-idx3-ubyte --train-labels $D/train-labels-idx1-ubyte \
    --test $D/t10k-images-idx3-ubyte.gz --test-labels $D/t10k-labels-idx1-ubyte.gz \
    --layers 16 --epochs 10 --out out/idx.mlp
acc=$(field out.train-idx test_accuracy)
check "idx: accuracy ${acc:-?} >= 0.95" ge "${acc:-0}" 0.95
check "idx: minmax scaling by default" grep -q 'minmax' out.train-idx
expect_ok eval-idx "$MLP" eval --labels $D/t10k-labels-idx1-ubyte out/idx.mlp $D/t10k-images-idx3-ubyte
check "eval idx: same numbers" \
    test "$(last_line out.eval-idx)" = "$(last_line out.train-idx | sed 's/ train_seconds=.*//')"
expect_ok train-dataset env MLP_DATASETS="$T/datasets" "$MLP" train --dataset tiny --layers 8 \
    --epochs 3 --no-save
check "train --dataset: result line" grep -Eq "$RESULT_CLASSIFY" <(last_line out.train-dataset)
expect_fail eval-idx-dims 1 "$MLP" eval --labels $D/t10k-labels-idx1-ubyte out/m.mlp $D/t10k-images-idx3-ubyte
expect_fail idx-as-csv 1 "$MLP" train --train $D/train-images-idx3-ubyte.gz --no-save
head -c 100 $D/train-images-idx3-ubyte >short.idx
expect_fail idx-truncated 1 "$MLP" train --train short.idx --train-labels $D/train-labels-idx1-ubyte --no-save
expect_fail idx-count-mismatch 1 "$MLP" train --train $D/train-images-idx3-ubyte \
    --train-labels $D/t10k-labels-idx1-ubyte --no-save

# ---------------------------------------------------------------- usage errors: status 2
T1=(train --train train.csv --no-save)
expect_fail no-command 2 "$MLP"
expect_fail unknown-command 2 "$MLP" frobnicate
expect_fail unknown-flag 2 "$MLP" "${T1[@]}" --bogus
expect_fail unknown-flag-eval 2 "$MLP" eval --bogus out/m.mlp test.csv
expect_fail lr-not-a-number 2 "$MLP" "${T1[@]}" --lr abc
expect_fail lr-negative 2 "$MLP" "${T1[@]}" --lr -0.1
expect_fail epochs-negative 2 "$MLP" "${T1[@]}" --epochs -3
expect_fail epochs-zero 2 "$MLP" "${T1[@]}" --epochs 0
expect_fail batch-fraction 2 "$MLP" "${T1[@]}" --batch 1.5
expect_fail dropout-one 2 "$MLP" "${T1[@]}" --dropout 1
expect_fail layers-empty-item 2 "$MLP" "${T1[@]}" --layers 10,,5
expect_fail layers-word 2 "$MLP" "${T1[@]}" --layers big
expect_fail activation-softmax 2 "$MLP" "${T1[@]}" --activation softmax
expect_fail optimizer-unknown 2 "$MLP" "${T1[@]}" --optimizer foo
expect_fail missing-value 2 "$MLP" "${T1[@]}" --lr
expect_fail threads-zero 2 "$MLP" "${T1[@]}" --threads 0
expect_fail no-data 2 "$MLP" train --epochs 3
expect_fail stray-argument 2 "$MLP" "${T1[@]}" extra.csv
expect_fail ce-regress 2 "$MLP" "${T1[@]}" --task regress --loss ce
expect_fail patience-without-val 2 "$MLP" "${T1[@]}" --patience 3 --val-fraction 0
expect_fail eval-one-arg 2 "$MLP" eval out/m.mlp
expect_fail info-two-args 2 "$MLP" info out/m.mlp out/m.mlp

# ---------------------------------------------------------------- data errors: status 1
expect_fail train-missing 1 "$MLP" train --train nope.csv --no-save
expect_fail test-missing 1 "$MLP" train --train train.csv --test nope.csv --no-save
expect_fail eval-missing-model 1 "$MLP" eval nope.mlp test.csv
expect_fail eval-missing-data 1 "$MLP" eval out/m.mlp nope.csv
expect_fail info-not-a-model 1 "$MLP" info test.csv
head -c 60 out/m.mlp >trunc.mlp
expect_fail info-truncated-model 1 "$MLP" info trunc.mlp
cp out/m.mlp flipped.mlp
printf '\x55' | dd of=flipped.mlp bs=1 seek=200 conv=notrunc 2>/dev/null
expect_fail info-corrupt-model 1 "$MLP" info flipped.mlp
cut -d, -f1 --complement test.csv >test_3features.csv
expect_fail eval-dimension-mismatch 1 "$MLP" eval out/m.mlp test_3features.csv
check "  ...names the missing column" grep -q "no column 'f1'" e
expect_fail predict-dimension-mismatch 1 "$MLP" predict out/reg.mlp test.csv
sed '5s/^[^,]*,/oops,/' train.csv >bad.csv
# A stray word in a column of numbers is a missing value, counted and shown.
expect_ok csv-not-a-number "$MLP" train --train bad.csv --label species --no-save --epochs 2
check "  ...shown in the summary" grep -q "1 invalid ('oops'" out.csv-not-a-number
expect_fail label-not-found 1 "$MLP" train --train train.csv --label colour --no-save
awk -F, 'NR == 3 { $3 = "unknown"; OFS = "," } 1' OFS=, test.csv >unknown_class.csv
# A class the model never saw: left out of the scores and counted, never fatal.
expect_ok eval-unknown-class "$MLP" eval out/m.mlp unknown_class.csv
check "  ...counted" grep -q "1 left out (a class not seen in training, first 'unknown' on line 3)" out.eval-unknown-class
expect_fail idx-on-regression-model 1 "$MLP" eval --labels test.csv out/reg.mlp test.csv
expect_fail dataset-missing 1 env MLP_DATASETS="$T/none" "$MLP" train --dataset fashion-mnist --no-save
expect_fail out-dir-missing 1 "$MLP" train --train train.csv --out nodir/m.mlp
: >empty.csv
expect_fail csv-empty 1 "$MLP" train --train empty.csv --no-save

# ---------------------------------------------------------------- resume
# 6 epochs straight equal 3 epochs, then --resume for 3 more (Adam state, shuffling; the
# schedule is constant because a cosine over 3 epochs is another run than one over 6).
common=(--train train.csv --test test.csv --label species --layers 16 --batch 8 --seed 5
        --val-fraction 0 --epochs 6)
expect_ok resume-straight "$MLP" train "${common[@]}" --out out/straight.mlp
expect_ok resume-first "$MLP" train "${common[@]}" --epochs 3 --out out/first.mlp
expect_ok resume-second "$MLP" train "${common[@]}" --resume out/first.mlp --out out/resumed.mlp
check "resume: same result line as the uninterrupted run" \
    test "$(last_line out.resume-straight | sed 's/ train_seconds=.*//')" = \
         "$(last_line out.resume-second | sed 's/ train_seconds=.*//')"
check "resume: says where it resumed" grep -q 'resumed after epoch 3' out.resume-second
expect_fail resume-already-done 2 "$MLP" train "${common[@]}" --epochs 3 --resume out/first.mlp --no-save
expect_fail resume-missing-model 1 "$MLP" train "${common[@]}" --resume out/none.mlp --no-save

# No output files after failures.
mkdir fails
expect_fail fail-leaves-nothing 1 "$MLP" train --train train.csv --test nope.csv \
    --out fails/m.mlp --curve fails/c.csv --plot fails/p.svg
expect_fail predict-fail-leaves-nothing 1 "$MLP" predict --out fails/p.csv out/reg.mlp test.csv
check "no output files after failures" test -z "$(ls -A fails)"
expect_ok predict-bad-cell "$MLP" predict --out p_bad.csv out/m.mlp bad.csv
check "  ...a stray word is imputed and counted" grep -q "first 'oops' on line 5 in column 0" e

# ---------------------------------------------------------------- reliability
# --plot finishes whatever the numbers: losses near 2.9e36 that differ in their last bits
# (nanosecond timestamps as regression targets) once made the tick loop spin forever,
# writing without end; ulimit -f turns that into a quick failure instead of a full disk.
awk 'BEGIN { srand(1); print "x1,x2,t"
             for (i = 0; i < 300; i++) printf "%.4f,%.4f,%.0f\n", rand(), rand(), 1.7e18 + i * 1e9 }' >stamps.csv
expect_ok plot-huge-losses bash -c 'ulimit -f 5000; exec timeout 120 "$@"' _ "$MLP" train \
    --train stamps.csv --task regress --epochs 8 --no-save --plot out/stamps.svg --quiet
check "plot of huge losses: a small SVG" test "$(wc -c <out/stamps.svg)" -lt 100000
check "plot of huge losses: well-formed XML" python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' out/stamps.svg

# Outputs that cannot be replaced are written through: `-`, a FIFO, the file stdout is on
# (/dev/fd/1); a symlink's target is replaced and the link kept.
expect_ok predict-dash "$MLP" predict -o - out/m.mlp test.csv
check "predict -o -: the predictions on stdout" cmp -s out.predict-csv out.predict-dash
check "predict -o -: no file named '-'" test ! -e -
mkfifo fifo
timeout 60 cat fifo >from_fifo &
reader=$!
expect_ok predict-fifo timeout 60 "$MLP" predict -o fifo out/m.mlp test.csv
wait $reader
check "predict -o FIFO: still a FIFO" test -p fifo
check "predict -o FIFO: the reader got the predictions" cmp -s out.predict-csv from_fifo
expect_ok curve-dev-fd "$MLP" train --train train.csv --label species --layers 4 --epochs 2 \
    --no-save --quiet --curve /dev/fd/1
check "--curve /dev/fd/1: the curve on stdout" grep -q '^epoch,train_loss' out.curve-dev-fd
echo old >out/target.csv
ln -s target.csv out/link.csv
expect_ok predict-symlink "$MLP" predict -o out/link.csv out/m.mlp test.csv
check "predict -o SYMLINK: the link stays a link" test -L out/link.csv
check "predict -o SYMLINK: its target holds the predictions" cmp -s out.predict-csv out/target.csv
ln -s missing.csv out/dangling.csv
expect_fail predict-dangling-symlink 1 "$MLP" predict -o out/dangling.csv out/m.mlp test.csv
run train-out-dash "$MLP" train --train train.csv --label species --layers 4 --epochs 2 \
    --val-fraction 0 --seed 9 --quiet --out -
cp o model_on_stdout.mlp
cp e report_on_stderr.txt
expect_ok train-out-file "$MLP" train --train train.csv --label species --layers 4 --epochs 2 \
    --val-fraction 0 --seed 9 --quiet --out out/same.mlp
check "train --out -: the model on stdout" cmp -s model_on_stdout.mlp out/same.mlp
check "train --out -: the report on stderr" grep -Eq "$(result_classify train)" <(last_line report_on_stderr.txt)

# Outputs never overwrite inputs or each other: usage errors, and nothing changes.
cp train.csv keep.csv
expect_fail out-over-train 2 "$MLP" train --train keep.csv --label species --out keep.csv
check "  ...the training data is intact" cmp -s train.csv keep.csv
expect_fail curve-over-test 2 "$MLP" train --train train.csv --test keep.csv --label species --no-save --curve ./keep.csv
expect_fail out-equals-curve 2 "$MLP" train --train train.csv --label species --out out/x --curve out/x
expect_fail plot-equals-curve 2 "$MLP" train --train train.csv --label species --no-save --plot out/y --curve out/../out/y
expect_fail predict-over-input 2 "$MLP" predict -o keep.csv out/m.mlp keep.csv
expect_fail predict-over-model 2 "$MLP" predict -o out/m.mlp out/m.mlp test.csv
check "  ...the model is intact" "$MLP" info out/m.mlp

# Each input is read exactly once, so a pipe gives all of its records; `-` is stdin.
expect_ok train-dash bash -c 'cat train.csv | "$1" train --train - --test test.csv --label species --layers 32,16 --epochs 30 --batch 16 --seed 3 --val-fraction 0 --no-save' _ "$MLP"
check "train --train -: same result as from the file" test "$(last_line out.train-dash | sed 's/ train_seconds=.*//')" = "$want"
expect_ok train-dev-stdin bash -c 'cat train.csv | "$1" train --train /dev/stdin --test test.csv --label species --layers 32,16 --epochs 30 --batch 16 --seed 3 --val-fraction 0 --no-save' _ "$MLP"
check "train --train /dev/stdin: all 480 records" grep -q '^data: 480 training records' out.train-dev-stdin
expect_ok eval-dash bash -c 'cat test.csv | "$1" eval out/m.mlp -' _ "$MLP"
check "eval -: same numbers" test "$(last_line out.eval-dash)" = "$want"
expect_ok predict-stdin bash -c 'cat test.csv | "$1" predict out/m.mlp -' _ "$MLP"
check "predict MODEL -: same rows" cmp -s out.predict-csv out.predict-stdin
expect_ok predict-process-substitution bash -c '"$1" predict out/m.mlp <(cat test.csv)' _ "$MLP"
check "predict from a pipe path: same rows" cmp -s out.predict-csv out.predict-process-substitution
expect_fail train-test-both-stdin 2 "$MLP" train --train - --test - --no-save

# A write error on stdout is an error, for every command; a failure is never silent.
if [ -w /dev/full ]; then
    for args in "--help" "--version" "train --help" "info out/m.mlp" "eval out/m.mlp test.csv" \
                "predict out/m.mlp test.csv" "predict -o - out/m.mlp test.csv" \
                "train --train train.csv --label species --layers 4 --epochs 1 --no-save --quiet"; do
        # shellcheck disable=SC2086
        "$MLP" $args >/dev/full 2>e
        rc=$?
        if [ "$rc" = 1 ] && grep -q '^mlp[a-z ]*: .*No space left' e; then ok "stdout on /dev/full: mlp $args"
        else fail "stdout on /dev/full: mlp $args (status $rc)" e; fi
    done
fi
# Inference keeps its scratch within MLP_MODEL_PREDICT_MEMORY: a 1,000,000-wide layer, which
# took about 1 GiB per workspace buffer for a batch of 256, predicts in chunks of 16 records
# under a 900 MB address-space limit (a failed allocation is NO_MEMORY: alloc_fail).
head -n 11 train.csv >tiny.csv
expect_ok train-wide "$MLP" train --train tiny.csv --label species --layers 1000000 \
    --optimizer sgd --batch 0 --epochs 1 --out out/wide.mlp --quiet
if [ -z "$SANITIZED" ]; then # AddressSanitizer cannot start under an address-space limit
    expect_ok predict-wide-bounded env OPENBLAS_NUM_THREADS=1 bash -c 'ulimit -v 900000; exec "$@"' _ \
        "$MLP" predict out/wide.mlp all.csv
fi
rm -f out/wide.mlp

# Limits of the machine: threads capped to the cores (and said so); under a low address-space
# limit the commands that need no BLAS finish, and training refuses instead of hanging in
# OpenBLAS (which retries its 128 MiB buffer forever). The timeouts only catch a hang.
expect_ok threads-capped "$MLP" train --train train.csv --label species --layers 4 --epochs 1 \
    --no-save --quiet --threads 1024
check "--threads 1024: capped, and said so on stderr" grep -q 'capped to the [0-9]* core' e
if [ -z "$SANITIZED" ]; then
    for args in "--version" "--help" "info out/m.mlp" "train --help"; do
        # shellcheck disable=SC2086
        expect_ok "ulimit -v: mlp $args" bash -c 'ulimit -v 120000; exec timeout 60 "$@"' _ "$MLP" $args
    done
    check "ulimit -v: the version line is not lost" grep -q '^mlp [0-9]' "out.ulimit -v: mlp --version"
    expect_fail ulimit-v-train 1 bash -c 'ulimit -v 120000; exec timeout 60 "$@"' _ "$MLP" \
        train --train train.csv --label species --layers 64 --epochs 1 --no-save --quiet
fi

# Ctrl-C saves a batch-exact state: the current epoch is finished, so the model's epoch
# and optimizer steps agree (480 records / batch 8 = 60 steps an epoch) and --resume from
# it gives the same result as a run that was never interrupted.
"$MLP" train --train train.csv --label species --layers 16 --batch 8 --seed 5 --epochs 100000 \
    --val-fraction 0 --out out/int.mlp >int.out 2>int.err &
trainer=$!
for _ in $(seq 600); do grep -q '^epoch *3/' int.err && break; sleep 0.1; done
kill -INT "$trainer"
wait "$trainer"
rc=$?
check "Ctrl-C: exit 130 (interrupted) after saving" test "$rc" = 130
check "Ctrl-C: says so" grep -q 'interrupted' int.out
expect_ok info-interrupted "$MLP" info out/int.mlp
read -r steps epochs < <(sed -n 's/.* \([0-9]*\) steps, epoch \([0-9]*\).*/\1 \2/p' out.info-interrupted)
check "Ctrl-C: $steps optimizer steps = 60 x $epochs epochs" test "${steps:-1}" = "$((60 * ${epochs:-0}))"
if [ -n "${epochs:-}" ]; then
    more=(--train train.csv --label species --layers 16 --batch 8 --seed 5 --val-fraction 0 --epochs $((epochs + 2)) --quiet)
    expect_ok resume-interrupted "$MLP" train "${more[@]}" --resume out/int.mlp --out out/int2.mlp
    expect_ok straight-interrupted "$MLP" train "${more[@]}" --no-save
    check "Ctrl-C then --resume: the uninterrupted run's result" \
        test "$(last_line out.resume-interrupted | sed 's/ train_seconds=.*//')" = \
             "$(last_line out.straight-interrupted | sed 's/ train_seconds=.*//')"
fi
# --resume reads the data with the model's classes: other labels are refused, as eval does.
sed 's/setosa/zebra/; s/versicolor/yak/; s/virginica/xerus/' train.csv >zoo.csv
expect_fail resume-other-labels 1 "$MLP" train --train zoo.csv --label species --layers 16 --batch 8 \
    --seed 5 --epochs 6 --resume out/first.mlp --no-save
check "  ...names the label" grep -q 'zebra\|yak\|xerus' e

# Small things: the predict header is RFC 4180 CSV whatever the class names hold; a float
# flag whose value a float cannot hold (it would become 0) is a usage error.
awk -F, 'NR == 1 { print; next } { $3 = $3 == "setosa" ? "\"big, red\"" : $3 == "versicolor" ? "\"say \"\"hi\"\"\"" : "plain"; print }' OFS=, train.csv >odd_names.csv
expect_ok train-odd-names "$MLP" train --train odd_names.csv --label species --layers 8 --epochs 2 --out out/odd.mlp --quiet
expect_ok predict-odd-names "$MLP" predict out/odd.mlp test_nolabel.csv
check "predict header with commas and quotes: valid CSV" \
    test "$(head -n 1 out.predict-odd-names)" = 'class,"p_big, red",p_plain,"p_say ""hi"""'
check "predict output with odd class names: 4 fields in every row" python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["class", "p_big, red", "p_plain", "p_say \"hi\""], rows[0]
assert all(len(r) == 4 for r in rows)' out.predict-odd-names
for flag in "--lr 1e-50" "--weight-decay 1e-45" "--momentum 1e-300" "--dropout 1e-40" "--val-fraction 1e-39"; do
    # shellcheck disable=SC2086
    expect_fail "float-underflow ${flag%% *}" 2 "$MLP" "${T1[@]}" $flag
done

# --precision: bf16 trains and is recorded where this build and CPU have it; elsewhere it is
# refused with exit status 1 and the reason, before any data is read. No validation split:
# the model selection would keep the softmax regression (fitted in double) over a 2-epoch net.
expect_fail precision-bad 2 "$MLP" "${T1[@]}" --precision bf17
if "$MLP" train --train train.csv --label species --layers 8 --batch 16 --epochs 2 \
        --val-fraction 0 --precision bf16 --out out/bf16.mlp >o 2>e; then
    # a net this small is below the size rule: every layer stays float, and the tool says so
    check "bf16: the layers kept in float are named" \
        grep -q '^precision: bf16; layers 1 ([0-9]*-8), 2 (8-[0-9]*) kept in float: .*too small for bf16 to pay (the whole net runs in float)' o
    check "bf16 model of float layers: mlp info says fp32" grep -q '^trained in: *fp32' \
        <("$MLP" info out/bf16.mlp)
    expect_ok eval-bf16 "$MLP" eval out/bf16.mlp test.csv --precision bf16
    expect_ok predict-bf16 "$MLP" predict out/bf16.mlp test.csv --precision bf16
    rm -f out/bf16.mlp
else
    check "bf16 refused: status 1 and the reason" \
        grep -q '^mlp: --precision: bf16: .*\(oneDNN\|bf16\)' e
    expect_fail eval-bf16-refused 1 "$MLP" eval out/m.mlp test.csv --precision bf16
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
