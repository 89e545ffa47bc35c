#!/usr/bin/env bash
# The shared library exports exactly the functions declared MLP_API in its public headers:
# nothing internal leaks (kernels, activations, target_clones resolvers) and nothing
# declared is missing. Usage: exports.sh LIBRARY HEADER...
set -euo pipefail
lib=$1
shift
headers=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every declaration is on one line: MLP_API <return type> mlp_name(
cat "${headers[@]}" | grep -o 'MLP_API [^(]*\bmlp_[a-z0-9_]*(' | sed 's/.*\(mlp_[a-z0-9_]*\)($/\1/' \
    | sort -u >"$tmp/declared"
# Defined dynamic symbols, version suffix (@@MLP_x.y) dropped; the version nodes themselves
# (absolute symbols, type A) are not functions.
nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' | sed 's/@.*//' | sort -u \
    >"$tmp/exported"
# Functions only: anything exported that is not code (data, a resolver) is a leak too.
nm -D --defined-only "$lib" | awk '$2 != "A" && $2 != "T" { print "not a plain function: " $0 }' \
    >"$tmp/odd"

[ -s "$tmp/declared" ] || { echo "no MLP_API declarations found in ${headers[*]}"; exit 1; }
status=0
if ! diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
    echo "exports of $lib differ from the MLP_API functions of ${headers[*]}"
    echo "(- declared but not exported, + exported but not declared):"
    grep '^[-+]mlp\|^[-+][^-+]' "$tmp/diff" || true
    status=1
fi
if [ -s "$tmp/odd" ]; then cat "$tmp/odd"; status=1; fi
[ $status = 0 ] && echo "$(wc -l <"$tmp/declared") functions declared, the same exported"
exit $status
