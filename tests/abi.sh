#!/usr/bin/env bash
# The shared library's ABI against the baseline kept in the repository (abi/libmlp.abi,
# written by scripts/abi-baseline with libabigail's abidw): functions may be added, but no
# exported function may be removed or change its signature, and no public type its layout.
# Usage: abi.sh LIBRARY BASELINE HEADER_DIR...
set -euo pipefail
lib=$1 baseline=$2
shift 2
dirs=()
for d in "$@"; do dirs+=(--headers-dir2 "$d"); done
# --no-added-syms: additions are compatible; --drop-private-types: the opaque handles'
# insides (lib/mlp_internal.h) are not ABI.
set +e
abidiff --no-added-syms --drop-private-types "${dirs[@]}" "$baseline" "$lib"
rc=$?
set -e
if [ $rc -ne 0 ]; then
    echo "abidiff exit status $rc (4: an ABI change, 8: an incompatible one) against $baseline."
    echo "If the change is intended (a new soversion), rewrite the baseline: scripts/abi-baseline"
    exit 1
fi
echo "ABI compatible with $baseline"
