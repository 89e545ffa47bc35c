#!/usr/bin/env bash
# `mlp train --cache` on a CSV larger than the memory the process may take: under an
# address-space limit (ulimit -v) of what a tiny run needs plus 48 MiB, a 72+ MiB CSV (1.5
# times that headroom; small integers, so its floats take more room than its text) does
# not load in memory (`mlp train` without --cache fails), trains
# through its binary cache, and gives the same model file as the same command without the
# limit; the cache is reused, and rebuilt when the CSV changes. The library's loading suite
# shows that cache training is in-memory training, bit for bit (cache_scaling_like_memory).
# bash cli_cache.sh PATH_TO_MLP
set -u
MLP=${1:?usage: cli_cache.sh PATH_TO_MLP}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
export OPENBLAS_NUM_THREADS=1
if [ -n "${MLP_SANITIZED:-}" ]; then
    echo "skip: an address-space limit means nothing under AddressSanitizer"; exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-cli-cache.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

failed=0
ok() { echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; [ -f "${2:-}" ] && sed 's/^/       | /' "$2" | tail -n 8; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name" out; fi; }

gen() { # ROWS SEED: 12 features (integers 0..9), 3 classes
    awk -v n="$1" -v s="$2" 'BEGIN { srand(s); print "f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,k";
        for (i = 0; i < n; i++) { t = 0; for (j = 1; j <= 12; j++) { v = int(rand() * 10);
            t += v; printf "%d,", v } printf "%d\n", (t > 58) + (t > 50) } }'
}
run=(train --cache data.cache --train data.csv --label k --layers 8 --epochs 1 --batch 512
     --seed 3 --threads 1 --quiet)

# The smallest limit (in KiB, steps of 16 MiB) under which a tiny run succeeds.
gen 200 1 >data.csv
base=0
for ((v = 131072; v <= 2097152; v += 16384)); do
    if (ulimit -v $v; "$MLP" "${run[@]}" -o tiny.mlp >/dev/null 2>&1); then base=$v; break; fi
    rm -f data.cache
done
if [ "$base" -eq 0 ]; then echo "skip: no address-space limit below 2 GiB lets mlp run"; exit 77; fi
limit=$((base + 49152))
rm -f data.cache tiny.mlp

# 1.5 times the 48 MiB headroom at least: 72 MiB of CSV (26 bytes a row).
rows=2950000
gen $rows 2 >data.csv
size=$(stat -c %s data.csv)
check "the CSV ($size bytes) is 1.5 times the headroom" test "$size" -ge $((3 * 49152 * 1024 / 2))
(ulimit -v $limit; "$MLP" train --train data.csv --label k --layers 8 --epochs 1 --quiet \
    --threads 1 -o mem.mlp) >out 2>&1
check "in memory, under the limit: it fails" test $? -ne 0
(ulimit -v $limit; "$MLP" "${run[@]}" -o limited.mlp) >out 2>&1
check "through the cache, under the limit: exit 0" test $? -eq 0
check "  ...the cache is written" test -s data.cache
check "  ...the model is written" test -s limited.mlp
"$MLP" "${run[@]}" -o free.mlp >out 2>&1
check "the cache reused, no limit: exit 0" test $? -eq 0
check "  ...the same model" cmp -s limited.mlp free.mlp
rm -f data.cache
"$MLP" "${run[@]}" -o rebuilt.mlp >out 2>&1
check "the cache rebuilt without the limit: the same model" cmp -s limited.mlp rebuilt.mlp
head -1001 data.csv >head.csv
"$MLP" predict limited.mlp head.csv >pred.txt 2>out
check "the model predicts its CSV's records" test "$(wc -l <pred.txt)" -ge 1000
"$MLP" train --cache data.cache --dataset fashion-mnist >out 2>&1
check "--cache with IDX data: usage error" test $? -eq 2

[ "$failed" -eq 0 ] || { echo "$failed check(s) failed"; exit 1; }
echo "all checks passed"
