#!/usr/bin/env bash
# Loading benchmark: libmlp's CSV readers beside pandas read_csv(dtype=float32) and numpy
# loadtxt on one generated numeric CSV, measured alternately in one run (each round runs
# every reader once, in turn), medians of wall time and peak RSS from /usr/bin/time -v.
# Usage: bench/loading/run.sh BUILD_DIR [ROUNDS] [ROWS] [FEATURES] [EXTRA_LABEL=COMMAND ...]
#   (defaults: 5 rounds, 200000 x 50 features + label = 93 MB)
# EXTRA entries add rows, e.g. "main=/tmp/main/bench/mlp-load-csv FILE csv 1".
# MLP_BENCH_BASELINE=OTHER_BUILD_DIR adds "before" rows: that build's table reader and
# `mlp train` (e.g. the library at an earlier commit, built the same way).
# MLP_BENCH_CSV=FILE measures that file instead of generating one.
set -euo pipefail
build=$1 rounds=${2:-5} rows=${3:-200000} features=${4:-50}
shift $(( $# < 4 ? $# : 4 ))
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
csv=${MLP_BENCH_CSV:-$dir/numeric.csv}
[ -f "$csv" ] || "$py" "$here/gen_csv.py" "$csv" "$rows" "$features"
export OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 OMP_NUM_THREADS=1

declare -A cmd
order=()
add() { cmd[$1]=$2; order+=("$1"); }
add "libmlp mlp_dataset_open_csv 1 thread" "$build/bench/mlp-load-csv $csv csv 1"
add "libmlp mlp_dataset_open_csv 2 threads" "$build/bench/mlp-load-csv $csv csv 2"
add "libmlp mlp_table_open 1 thread" "$build/bench/mlp-load-csv $csv table 1"
add "libmlp mlp_table_open 2 threads" "$build/bench/mlp-load-csv $csv table 2"
train="train --train $csv --epochs 1 --layers none --quiet -o $dir/m.mlp"
add "mlp train --epochs 1 --layers none" "$build/tools/mlp $train"
add "  the same, --cache (built each time)" "rm -f $dir/c.cache; $build/tools/mlp $train --cache $dir/c.cache"
add "  the same, --cache (reused)" "$build/tools/mlp $train --cache $dir/r.cache"
"$build/tools/mlp" $train --cache "$dir/r.cache" >/dev/null # built before the rounds
if [ -n "${MLP_BENCH_BASELINE:-}" ]; then
    add "before: mlp_table_open" "$MLP_BENCH_BASELINE/bench/mlp-load-csv $csv table"
    add "before: mlp train --epochs 1 --layers none" "$MLP_BENCH_BASELINE/tools/mlp $train"
fi
if "$py" -c 'import pandas' 2>/dev/null; then
    add "pandas read_csv float32" "$py -c \"import pandas,numpy; pandas.read_csv('$csv', dtype=numpy.float32)\""
else
    echo "pandas: not installed, skipped" >&2
fi
if "$py" -c 'import numpy' 2>/dev/null; then
    add "numpy loadtxt float32" "$py -c \"import numpy; numpy.loadtxt('$csv', delimiter=',', skiprows=1, dtype=numpy.float32)\""
fi
for extra in "$@"; do add "${extra%%=*}" "${extra#*=}"; done

for ((r = 0; r < rounds; r++)); do
    for name in "${order[@]}"; do
        log=$dir/time.log
        if ! /usr/bin/time -v -o "$log" bash -c "${cmd[$name]}" >/dev/null 2>"$dir/err"; then
            echo "$name: failed: $(tail -2 "$dir/err")" >&2
            continue
        fi
        wall=$(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0;
                for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$log")
        rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$log")
        cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$log")
        echo "$name|$wall|$rss|$cpu" >>"$dir/results"
    done
done
printf '%s: %s (%s bytes), %d rounds, alternating; median wall s, median peak RSS MB, median CPU s (user + system)\n' \
    "$(basename "$csv")" "$(du -h "$csv" | cut -f1)" "$(stat -c %s "$csv")" "$rounds"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)], v[1], v[NR] }'; }
for name in "${order[@]}"; do
    grep -qF "$name|" "$dir/results" || continue
    read -r w wmin wmax < <(grep -F "$name|" "$dir/results" | cut -d'|' -f2 | median)
    read -r m _ _ < <(grep -F "$name|" "$dir/results" | cut -d'|' -f3 | median)
    read -r c _ _ < <(grep -F "$name|" "$dir/results" | cut -d'|' -f4 | median)
    printf '  %-42s %7.2f s (min %.2f max %.2f) %8.1f MB %6.2f s CPU\n' "$name" "$w" "$wmin" \
        "$wmax" "$(awk -v m="$m" 'BEGIN { print m / 1024 }')" "$c"
done
