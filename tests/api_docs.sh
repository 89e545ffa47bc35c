#!/usr/bin/env bash
# The API reference is complete: Doxygen over every public header (docs/Doxyfile) must
# print no warning (an undocumented function, type, member or macro, a @param naming no
# parameter or a partial parameter list, a bad command), every enum value must be
# documented, and every header must say @file (Doxygen leaves the
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
# The configured Doxyfile, with the warnings to a file and XML instead of HTML (later lines
# win): Doxygen checks @param names only while it writes an output.
{ cat "$DOXYFILE"
  echo "OUTPUT_DIRECTORY = $T"
  echo "GENERATE_HTML = NO"
  echo "GENERATE_XML = YES"
  echo "WARN_LOGFILE = $T/warnings"
} | "$DOXYGEN" - >"$T/out" 2>&1 || { cat "$T/out"; echo "FAIL doxygen exited with an error"; exit 1; }
if [ -s "$T/warnings" ]; then
    cat "$T/warnings"
    echo "FAIL $(wc -l <"$T/warnings") doxygen warning lines (document every public symbol)"
    failed=1
fi
# Headers after mlp.h follow the convention for new API from the start: every parameter
# and return value documented (@param, @return). mlp.h, and mlp_advanced.h (declarations
# that moved out of mlp.h with their comments), document their parameters in prose and are
# checked for complete, correct lists only where they use @param.
others=$(ls "$INCLUDE"/*.h | grep -v '/mlp\.h$' | grep -v '/mlp_advanced\.h$')
if [ -n "$others" ]; then
    { cat "$DOXYFILE"
      echo "INPUT = $(echo $others)"
      echo "OUTPUT_DIRECTORY = $T/others"
      echo "GENERATE_HTML = YES" # not XML: Doxygen 1.9.4 then flags documented parameters too
      echo "GENERATE_XML = NO"
      echo "WARN_NO_PARAMDOC = YES"
      echo "WARN_LOGFILE = $T/warnings-others"
    } | "$DOXYGEN" - >"$T/out" 2>&1 || { cat "$T/out"; echo "FAIL doxygen exited with an error"; exit 1; }
    if [ -s "$T/warnings-others" ]; then
        cat "$T/warnings-others"
        echo "FAIL $(wc -l <"$T/warnings-others") doxygen warning lines in $(echo $others) (document every parameter and return value)"
        failed=1
    fi
fi

# Doxygen does not warn about an undocumented enum value: read them from its XML.
python3 - "$T/xml" <<'PY' || failed=1
import glob, sys
import xml.etree.ElementTree as ET
bad = []
for path in glob.glob(sys.argv[1] + "/*_8h.xml"):
    for enum in ET.parse(path).iter("memberdef"):
        if enum.get("kind") != "enum":
            continue
        for value in enum.iter("enumvalue"):
            text = "".join(value.find("briefdescription").itertext()) + \
                   "".join(value.find("detaileddescription").itertext())
            if not text.strip():
                loc = enum.find("location")
                bad.append("%s:%s: enum value %s of %s is not documented" % (
                    loc.get("file"), loc.get("line"), value.findtext("name"), enum.findtext("name")))
for line in sorted(bad):
    print("FAIL " + line)
sys.exit(1 if bad else 0)
PY
[ "$failed" -eq 0 ] && echo "ok   every public header documented"
exit "$failed"
