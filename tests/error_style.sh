#!/usr/bin/env bash
# mlp.h's error rule holds: every public call that returns mlp_status takes an
# mlp_error_detail, or has an _ex form that does (see "Errors" at the top of mlp.h); and each
# _ex form is declared right after its base call (or its base call's siblings). The list of
# status-only calls below is empty: a call may join it only with a comment here saying why no
# message could say more than its status.
#   bash error_style.sh HEADER...
set -euo pipefail
python3 - "$@" <<'PY'
import re, sys
status_only = set("""
""".split())
text = "".join(open(p).read() for p in sys.argv[1:])
text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
decls = re.findall(r"MLP_API\s+mlp_status\s+(mlp_\w+)\s*\(([^;]*?)\)\s*(MLP_DEPRECATED\([^)]*\))?\s*;",
                   text, flags=re.S)
if len(decls) < 50:
    sys.exit("FAIL found only %d status-returning declarations: the parser is broken" % len(decls))
detail = {name: "mlp_error_detail" in args for name, args, _ in decls}
failed = False
for name, args, deprecated in decls:
    if deprecated:
        continue
    ok = detail[name] or detail.get(name + "_ex", False)
    if not ok and name not in status_only:
        print("FAIL %s returns mlp_status without an mlp_error_detail or an _ex form with one" % name)
        failed = True
    if ok and name in status_only:
        print("FAIL %s is listed as status-only but has a detail form: remove it from the list" % name)
        failed = True
order = [n for n in re.findall(r"MLP_API[^;(]*?\b(mlp_\w+)\s*\(", text)]
for i, name in enumerate(order):
    if name.endswith("_ex") and (i == 0 or not order[i - 1].startswith(name[:-3])):
        print("FAIL %s is not declared right after %s" % (name, name[:-3]))
        failed = True
for name in sorted(status_only - set(detail)):
    print("FAIL %s is listed as status-only but is not declared" % name)
    failed = True
if failed:
    sys.exit(1)
current = [d for d in decls if not d[2]]
print("ok   %d status-returning calls: %d with a detail form, %d status-only"
      % (len(current), len(current) - len(status_only), len(status_only)))
PY
