#!/usr/bin/env bash
# The API reference is complete: Doxygen over every public header (docs/Doxyfile) must
# print no warning (an undocumented function, type, member, enum value or macro, a @param
# naming no parameter, a bad command), and every header must say @file (Doxygen leaves the
# functions of a header without one out of the reference, silently).
#   bash api_docs.sh DOXYGEN DOXYFILE INCLUDE_DIR
set -u
DOXYGEN=${1:?usage: api_docs.sh DOXYGEN DOXYFILE INCLUDE_DIR}
DOXYFILE=${2:?usage: api_docs.sh DOXYGEN DOXYFILE INCLUDE_DIR}
INCLUDE=${3:?usage: api_docs.sh DOXYGEN DOXYFILE INCLUDE_DIR}

T=$(mktemp -d "${TMPDIR:-/tmp}/mlp-api-docs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
failed=0
for h in "$INCLUDE"/*.h; do
    if ! grep -qE '^[ /*]*[@\\]file' "$h"; then
        echo "FAIL $h has no @file comment: its functions would be missing from the reference"
        failed=1
    fi
done
# The configured Doxyfile, with the warnings to a file and no HTML (later lines win).
{ cat "$DOXYFILE"
  echo "OUTPUT_DIRECTORY = $T"
  echo "GENERATE_HTML = NO"
  echo "WARN_LOGFILE = $T/warnings"
} | "$DOXYGEN" - >"$T/out" 2>&1 || { cat "$T/out"; echo "FAIL doxygen exited with an error"; exit 1; }
if [ -s "$T/warnings" ]; then
    cat "$T/warnings"
    echo "FAIL $(wc -l <"$T/warnings") doxygen warning lines (document every public symbol)"
    failed=1
fi
[ "$failed" -eq 0 ] && echo "ok   every public header documented"
exit "$failed"
