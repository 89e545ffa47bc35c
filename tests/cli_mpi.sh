#!/usr/bin/env bash
# `mlp train --mpi` under mpirun: bash cli_mpi.sh PATH_TO_MLP PATH_TO_MPIRUN
# The result line (less train_seconds) is the one of a run without MPI, on 1, 2 and 3 ranks,
# for a minibatch and a whole-epoch batch, with validation, and after --resume; a rank that
# cannot read its data ends every rank non-zero with that rank's message (a hang fails:
# every mpirun runs under `timeout`). Prints ok/FAIL per check, "N passed, M failed" last.
set -u
MLP=${1:?usage: cli_mpi.sh PATH_TO_MLP PATH_TO_MPIRUN}
MPIRUN=${2:?usage: cli_mpi.sh PATH_TO_MLP PATH_TO_MPIRUN}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 # CI runs as root
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-mpi.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; shift; for f in "$@"; do sed 's/^/       | /' "$f" | tail -n 15; done; }
# The result line without the time, which differs from run to run.
result() { grep '^result:' "$1" | sed 's/ train_seconds=.*//'; }
mpi() { local np=$1; shift; timeout 120 "$MPIRUN" -np "$np" --oversubscribe "$@" </dev/null; }

# 3 classes from 4 features, 301 records (no batch size below divides it).
awk 'BEGIN { srand(5); print "a,b,c,d,label";
  for (i = 0; i < 301; i++) { a = rand(); b = rand(); c = rand(); d = rand();
    l = (a + b > c + d) ? "yes" : (a > 0.5 ? "maybe" : "no");
    printf "%.4f,%.4f,%.4f,%.4f,%s\n", a, b, c, d, l } }' >train.csv

for args in "--optimizer momentum --batch 16" "--optimizer adam --batch 0 --lr 0.01" \
            "--optimizer sgd --batch 7 --val-fraction 0.2"; do
    common="train --train train.csv --epochs 4 --layers 16 --quiet --no-save $args"
    "$MLP" $common >alone.out 2>alone.err
    want=$(result alone.out)
    if [ -z "$want" ]; then fail "no result line without MPI ($args)" alone.out alone.err; continue; fi
    "$MLP" $common --mpi >one.out 2>one.err
    [ "$(result one.out)" = "$want" ] && ok "--mpi without mpirun ($args)" || fail "--mpi without mpirun ($args)" one.out one.err
    for np in 1 2 3; do
        mpi "$np" "$MLP" $common --mpi >np.out 2>np.err
        rc=$?
        if [ $rc = 0 ] && [ "$(result np.out)" = "$want" ] && grep -q "^mpi: $np rank" np.out; then
            ok "mpirun -np $np: the same result line ($args)"
        else
            fail "mpirun -np $np: the same result line ($args), rc $rc, want '$want'" np.out np.err
        fi
    done
done

# Without --mpi under mpirun: still one data-parallel run, one report, one model file.
mpi 2 "$MLP" train --train train.csv --epochs 2 --quiet -o auto.mlp >auto.out 2>auto.err
if [ $? = 0 ] && grep -q '^mpi: 2 ranks' auto.out && [ "$(grep -c '^result:' auto.out)" = 1 ] && [ -s auto.mlp ]; then
    ok "under mpirun without --mpi: data-parallel, rank 0 reports and saves"
else
    fail "under mpirun without --mpi" auto.out auto.err
fi

# --resume under mpirun continues exactly as one uninterrupted single-process run.
common="train --train train.csv --layers 16 --quiet --batch 10 --optimizer adam --val-fraction 0"
"$MLP" $common --epochs 5 --no-save >full.out 2>&1
mpi 2 "$MLP" $common --epochs 2 -o part.mlp --mpi >part.out 2>&1
mpi 3 "$MLP" $common --epochs 5 --resume part.mlp -o part.mlp --mpi >resumed.out 2>&1
if [ -n "$(result full.out)" ] && [ "$(result resumed.out)" = "$(result full.out)" ] &&
    grep -q 'resumed after epoch 2' resumed.out; then
    ok "--resume on 2 then 3 ranks equals 5 epochs in one process"
else
    fail "--resume under mpirun" full.out part.out resumed.out
fi

# Rank 1 cannot read its data: every rank exits non-zero, rank 0 prints rank 1's message.
start=$(date +%s)
timeout 120 "$MPIRUN" --oversubscribe -np 1 "$MLP" train --train train.csv --no-save --quiet --mpi \
    : -np 1 "$MLP" train --train missing.csv --no-save --quiet --mpi </dev/null >miss.out 2>miss.err
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && grep -q 'rank 1 of 2: missing.csv' miss.err; then
    ok "a rank without its data ends every rank (exit $rc after $(( $(date +%s) - start )) s)"
else
    fail "a rank without its data ends every rank (exit $rc; 124 is a hang)" miss.out miss.err
fi
# ... and rank 0 unable to write its model after training: non-zero too.
mpi 2 "$MLP" train --train train.csv --epochs 1 --quiet -o /nonexistent-dir/m.mlp --mpi >w.out 2>w.err
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q 'nonexistent-dir' w.err && ok "an unwritable output ends every rank" || fail "unwritable output (exit $rc)" w.out w.err

echo "$passed passed, $failed failed"
[ $failed = 0 ]
