#!/usr/bin/env bash
# Every allocation of the library goes through lib/mem.c, so that an application's allocator
# (mlp_set_allocator) sees them all: no other file of lib/ calls the C library's allocation
# functions, getline (its buffer comes from malloc), LAPACKE's high-level driver functions
# (they allocate work and transposition arrays; the _work variants take ours), or sets a
# libcsv parser up without the allocator. Usage: raw_alloc.sh LIBDIR
set -euo pipefail
dir=$1
status=0
# Code only: comments (/* ... */ on one line, and lines that continue a comment) dropped.
scan() { # label, extended regex
    local hits
    hits=$(find "$dir" -name '*.[ch]' ! -path "$dir/mem.c" -print0 | xargs -0 awk -v re="$2" '
        { line = $0; gsub(/\/\*.*\*\//, "", line) }
        line ~ /^[ \t]*(\/\*|\*)/ { next }
        line ~ re { print FILENAME ":" FNR ": " $0 }')
    if [ -n "$hits" ]; then
        echo "$1:"
        echo "$hits"
        status=1
    fi
}
scan "direct C library allocation (use mlp_mem_* from lib/mem.c)" \
    '(^|[^A-Za-z0-9_.>])(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup|getline|getdelim)[ \t]*\('
scan "LAPACKE high-level call (use the _work variant, column-major)" \
    'LAPACKE_[a-z]+[ \t]*\('
if grep -rl 'csv_init' "$dir" | xargs -r grep -L 'csv_set_realloc_func' | grep .; then
    echo "a libcsv parser without csv_set_realloc_func/csv_set_free_func (above)"
    status=1
fi
[ $status = 0 ] && echo "lib/: every allocation goes through lib/mem.c"
exit $status
