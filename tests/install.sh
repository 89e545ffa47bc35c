#!/usr/bin/env bash
# An installed libmlp works anywhere: installs BUILD_DIR (already built) into a temporary
# staging root, moves the installed tree to another, temporary prefix (nothing may depend
# on the prefix it was configured with), then against that copy
#   - builds and runs a C program with pkg-config (tests/install/consumer.c),
#   - builds and runs a C++ program with CMake's find_package(mlp) (tests/install/),
#   - runs the installed `mlp --version` without LD_LIBRARY_PATH (its RUNPATH),
#   - renders the installed man pages and finds the API reference when they were built,
#     and `man mlp_model_train` (Doxygen's per-function pages, -Ddocs).
# Prints ok/FAIL per step; exit status 1 on any failure.
#   bash tests/install.sh BUILD_DIR
set -u
BUILD=${1:?usage: install.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-install.XXXXXX") || exit 1
if [ -n "${MLP_INSTALL_KEEP:-}" ]; then echo "install test: files in $T"; else trap 'rm -rf "$T"' EXIT; fi
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
unset LD_LIBRARY_PATH PKG_CONFIG_PATH CMAKE_PREFIX_PATH

failed=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; [ -f "$T/log" ] && sed 's/^/       | /' "$T/log" | tail -n 20; failed=1; }
step() { # step NAME CMD...: runs CMD with its output in $T/log
    local name=$1
    shift
    if "$@" >"$T/log" 2>&1; then ok "$name"; else fail "$name"; fi
}

# The build's directories, read once (meson introspect is slow): prefix, libdir, ...
eval "$(meson introspect "$BUILD" --buildoptions | python3 -c '
import json, shlex, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
for k in ("prefix", "libdir", "bindir", "mandir", "datadir"):
    print("%s=%s" % (k, shlex.quote(opts[k])))')"
[ -n "${prefix:-}" ] || { echo "install test: cannot read the options of $BUILD"; exit 1; }
case $libdir in /*) echo "install test: libdir $libdir is absolute; the test needs one under the prefix"; exit 1 ;; esac

step "meson install into a staging root" meson install -C "$BUILD" --no-rebuild --quiet --destdir "$T/stage"
P=$T/prefix
step "the installed tree moves to another prefix" mv "$T/stage$prefix" "$P"
[ "$failed" -eq 0 ] || exit 1

# C with pkg-config: the .pc file is relocatable, its paths follow the moved tree.
export PKG_CONFIG_PATH=$P/$libdir/pkgconfig
cflags=$(pkg-config --cflags mlp) libs=$(pkg-config --libs mlp) pc_libdir=$(pkg-config --variable=libdir mlp)
if [ "$(cd "$pc_libdir" 2>/dev/null && pwd -P)" = "$(cd "$P/$libdir" && pwd -P)" ]; then
    ok "pkg-config finds the moved prefix ($pc_libdir)"
else
    fail "pkg-config libdir is '$pc_libdir', not $P/$libdir (a build directory made before
       meson.build set pkgconfig.relocatable: meson configure $BUILD -Dpkgconfig.relocatable=true)"
fi
step "C consumer builds with pkg-config" \
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror "$HERE/install/consumer.c" $cflags $libs \
    -Wl,-rpath,"$pc_libdir" -o "$T/consumer_c"
step "C consumer runs" "$T/consumer_c"
grep -q "^c consumer: libmlp" "$T/log" && cat "$T/log"

# C++ with CMake: find_package(mlp) through CMAKE_PREFIX_PATH, target mlp::mlp.
step "CMake configures the C++ consumer (find_package(mlp))" \
    cmake -S "$HERE/install" -B "$T/cmake" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_BUILD_TYPE=Release
step "C++ consumer builds with CMake" cmake --build "$T/cmake"
step "C++ consumer runs" "$T/cmake/consumer"
grep -q "^c++ consumer: libmlp" "$T/log" && cat "$T/log"

# The tool: found through its RUNPATH ($ORIGIN/..), the library of this prefix.
step "installed mlp --version runs without LD_LIBRARY_PATH" "$P/$bindir/mlp" --version
grep -q '^mlp [0-9]' "$T/log" && cat "$T/log"
if ldd "$P/$bindir/mlp" | grep -q "libmlp.so.0 => $P/"; then
    ok "installed mlp loads the libmlp of its own prefix"
else
    ldd "$P/$bindir/mlp" >"$T/log" 2>&1
    fail "installed mlp does not load $P/$libdir/libmlp.so.0"
fi

# Documentation, when this build made it (-Dman, -Ddocs).
for page in "$P/$mandir/man1/mlp.1" "$P/$mandir/man3/libmlp.3"; do
    [ -f "$page" ] || continue
    step "man $(basename "$page") renders" env MANWIDTH=80 man -l "$page"
done
[ -f "$P/$datadir/doc/libmlp/LICENSE" ] && ok "LICENSE installed" || fail "no $datadir/doc/libmlp/LICENSE"
if [ -d "$P/$datadir/doc/libmlp/html" ]; then
    [ -f "$P/$datadir/doc/libmlp/html/index.html" ] && ok "API reference installed" ||
        fail "no $datadir/doc/libmlp/html/index.html"
fi
# The per-function pages of the reference (Doxygen's man output, -Ddocs): `man FUNCTION`
# finds the installed page through MANPATH, and only libmlp's names are installed.
if [ -d "$P/$datadir/doc/libmlp/html" ]; then
    page=$P/$mandir/man3/mlp_model_train.3
    [ -f "$page" ] && ok "man page mlp_model_train(3) installed" || fail "no $mandir/man3/mlp_model_train.3"
    step "man mlp_model_train renders from the installed tree" \
        env MANPATH="$P/$mandir" MANWIDTH=80 man 3 mlp_model_train
    grep -q "mlp_model_train" "$T/log" || fail "man mlp_model_train does not show the function"
    others=$(find "$P/$mandir/man3" -name '*.3' ! -name 'mlp*' ! -name 'MLP*' ! -name libmlp.3)
    [ -z "$others" ] && ok "man3 holds only libmlp's names" || {
        echo "$others" >"$T/log"
        fail "man pages outside libmlp's names installed"
    }
fi
[ "$failed" -eq 0 ] && echo "install test: all passed"
exit "$failed"
