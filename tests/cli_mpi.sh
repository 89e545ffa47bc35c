#!/usr/bin/env bash
# `mlp train --mpi` under mpirun: bash cli_mpi.sh PATH_TO_MLP PATH_TO_MPIRUN
# The result line (less train_seconds) is the one of a run without MPI, on 1, 2 and 3 ranks,
# for a minibatch and a whole-epoch batch, with validation, and after --resume; a rank that
# cannot read its data ends every rank non-zero with that rank's message (a hang fails:
# every mpirun runs under `timeout`); ranks with different data or settings, --precision
# bf16, and a rank stopped or killed mid-training end every rank with one line naming it.
# Prints ok/FAIL per check, "N passed, M failed" last.
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

# Ranks that read different files of the same size: refused at the start, one line.
sed 's/^0\.1/0.2/' train.csv >stale.csv
timeout 120 "$MPIRUN" --oversubscribe -np 1 "$MLP" train --train train.csv --no-save --quiet --mpi \
    : -np 1 "$MLP" train --train stale.csv --no-save --quiet --mpi </dev/null >stale.out 2>stale.err
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && [ "$(cmp -s train.csv stale.csv; echo $?)" = 1 ] &&
    [ "$(wc -c <train.csv)" = "$(wc -c <stale.csv)" ] &&
    grep -q 'rank 1: the content of the training or validation data' stale.err &&
    [ "$(grep -c '^mlp:' stale.err)" = 1 ]; then
    ok "ranks reading different files of the same size are refused (one line)"
else
    fail "different files of the same size (exit $rc)" stale.out stale.err
fi

# A settings mismatch between ranks: one line, about the settings.
timeout 120 "$MPIRUN" --oversubscribe -np 1 "$MLP" train --train train.csv --no-save --quiet --mpi --batch 8 \
    : -np 1 "$MLP" train --train train.csv --no-save --quiet --mpi --batch 16 </dev/null >set.out 2>set.err
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && grep -q 'rank 1: the training settings' set.err &&
    [ "$(grep -c '^mlp:' set.err)" = 1 ]; then
    ok "a settings mismatch prints one line naming the settings"
else
    fail "settings mismatch (exit $rc)" set.out set.err
fi

# --precision bf16 under MPI: refused before the data is read, one line, exit 2.
mpi 2 "$MLP" train --train train.csv --no-save --quiet --mpi --precision bf16 >bf.out 2>bf.err
rc=$?
if [ $rc = 2 ] && grep -q 'precision bf16 does not work with --mpi' bf.err &&
    [ "$(grep -c '^mlp:' bf.err)" = 1 ] && ! grep -q '^columns\|^data:' bf.out; then
    ok "--precision bf16 under MPI fails early with one clear line"
else
    fail "--precision bf16 under MPI (exit $rc)" bf.out bf.err
fi

# MLP_MPI_GRADIENTS=bf16: the report says so, the run trains (a result near the float one);
# a value that is neither bf16 nor float is refused before the data is read.
MLP_MPI_GRADIENTS=bf16 mpi 2 -x MLP_MPI_GRADIENTS "$MLP" train --train train.csv --epochs 4 \
    --layers 16 --quiet --no-save --optimizer adam --batch 16 >g16.out 2>g16.err
rc=$?
if [ $rc = 0 ] && grep -q 'gradients exchanged in bf16' g16.out && grep -q '^result:' g16.out; then
    ok "MLP_MPI_GRADIENTS=bf16 trains and says so"
else
    fail "MLP_MPI_GRADIENTS=bf16 (exit $rc)" g16.out g16.err
fi
MLP_MPI_GRADIENTS=half mpi 2 -x MLP_MPI_GRADIENTS "$MLP" train --train train.csv --quiet \
    --no-save >gbad.out 2>gbad.err
rc=$?
if [ $rc = 2 ] && grep -q "MLP_MPI_GRADIENTS must be 'bf16' or 'float'" gbad.err; then
    ok "a bad MLP_MPI_GRADIENTS is refused with one line"
else
    fail "bad MLP_MPI_GRADIENTS (exit $rc)" gbad.out gbad.err
fi

# A rank that hangs (SIGSTOP) or dies (SIGKILL) mid-training: every rank ends non-zero within
# the watchdog's time (MLP_MPI_TIMEOUT) plus mpirun's own clean-up, the message names the
# rank, and rank 0 writes no model. rank_pid JOB RANK: the process of that rank among the
# children of mpirun (the child of `timeout`, JOB), by the rank in its environment.
rank_pid() {
    local m p
    for m in $(pgrep -P "$1"); do
        for p in $(pgrep -P "$m"); do
            tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "OMPI_COMM_WORLD_RANK=$2" &&
                echo "$p" && return
        done
    done
}
for sig in STOP KILL; do
    rm -f hang.mlp
    MLP_MPI_TIMEOUT=3 timeout 120 "$MPIRUN" --oversubscribe -np 2 "$MLP" train \
        --train train.csv --quiet --mpi --epochs 100000 --patience 0 --batch 8 -o hang.mlp \
        </dev/null >hang.out 2>hang.err &
    job=$!
    pid=
    for _ in $(seq 50); do pid=$(rank_pid $job 1); [ -n "$pid" ] && break; sleep 0.2; done
    sleep 2 # into the epochs
    start=$(date +%s)
    [ -n "$pid" ] && kill -"$sig" "$pid"
    wait $job
    rc=$?
    took=$(( $(date +%s) - start ))
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null # never leave it stopped
    if [ -n "$pid" ] && [ $rc != 0 ] && [ $rc != 124 ] && [ ! -e hang.mlp ] && [ $took -lt 40 ] &&
        grep -q 'rank 1' hang.err; then
        ok "a rank hit by SIG$sig ends the job (exit $rc $took s later), no model"
    else
        fail "SIG$sig on rank 1 (pid '$pid', exit $rc after $took s; 124 is a hang)" hang.out hang.err
    fi
done

# Interrupted runs: Ctrl-C without mpirun, and SIGUSR1 to mpirun (forwarded to every rank):
# exit 130, "interrupted", the model of the epochs done. Ctrl-C to mpirun: it sends the
# ranks SIGTERM odls_base_sigkill_timeout seconds later (1 by default), SIGKILL as long
# again after that, and exits 1 whatever they do; the ranks finish the epoch and say
# "interrupted" when mpirun leaves them the time. With --mca odls_base_sigkill_timeout 10
# (docs/mpi.md) it does: the model is saved (INT10).
long="train --train train.csv --epochs 100000 --patience 0 --batch 8 -o int.mlp"
for how in alone INT USR1 INT10; do
    rm -f int.mlp
    if [ $how = alone ]; then
        timeout 120 "$MLP" $long </dev/null >int.out 2>int.err &
    elif [ $how = INT10 ]; then
        timeout 120 "$MPIRUN" --oversubscribe --mca odls_base_sigkill_timeout 10 -np 2 \
            "$MLP" $long --mpi </dev/null >int.out 2>int.err &
    else
        timeout 120 "$MPIRUN" --oversubscribe -np 2 "$MLP" $long --mpi </dev/null >int.out 2>int.err &
    fi
    job=$!
    for _ in $(seq 100); do grep -q '^epoch' int.err 2>/dev/null && break; sleep 0.1; done
    target=$(pgrep -P $job)
    kill -"$(case $how in alone|INT10) echo INT ;; *) echo $how ;; esac)" $target
    wait $job
    rc=$?
    if [ $how = INT10 ]; then
        if [ $rc != 0 ] && [ $rc != 124 ] && grep -q 'interrupted' int.out int.err &&
            grep -q 'model saved to int.mlp' int.out && "$MLP" info int.mlp >/dev/null 2>&1; then
            ok "Ctrl-C to mpirun with odls_base_sigkill_timeout 10: interrupted, the model saved (mpirun exit $rc)"
        else
            fail "Ctrl-C to mpirun with odls_base_sigkill_timeout 10: exit $rc" int.out int.err
        fi
    elif [ $how = INT ] && [ $rc != 0 ] && [ $rc != 124 ]; then
        # Whether a rank says "interrupted" before mpirun's SIGKILL a second later depends on
        # the machine's load: the prompt end (no hang, no success status) is what is certain.
        if grep -q 'interrupted' int.out int.err; then said="they said so"
        else said="mpirun killed them before they said so"; fi
        ok "Ctrl-C to mpirun: the job ends at once, not as a success (mpirun exit $rc; $said)"
    elif [ $how != INT ] && [ $rc = 130 ] && grep -q 'interrupted' int.out && [ -s int.mlp ]; then
        ok "interrupted ($how): exit 130, the model saved"
    else
        fail "interrupted ($how): exit $rc" int.out int.err
    fi
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
