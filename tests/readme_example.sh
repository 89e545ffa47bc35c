#!/usr/bin/env bash
# Runs a guide's C example (compiled from the guide by tests/meson.build) and compares its
# output with the line the guide prints for it: the "# ..." comment right after the command
# that runs it (`... && ./xor`, or `&& ./NAME` with NAME the third argument).
#   bash readme_example.sh EXAMPLE GUIDE.md [NAME]
set -u
EXE=${1:?usage: readme_example.sh EXAMPLE GUIDE [NAME]}
GUIDE=${2:?usage: readme_example.sh EXAMPLE GUIDE [NAME]}
NAME=${3:-xor}
expected=$(awk -v run="&& ./$NAME" 'index($0, run) { getline; sub(/^# /, ""); print; exit }' "$GUIDE")
[ -n "$expected" ] || { echo "FAIL no '# output' line after '&& ./$NAME' in $GUIDE"; exit 1; }
actual=$("$EXE") || { echo "FAIL the example exits with status $?"; exit 1; }
if [ "$actual" != "$expected" ]; then
    printf 'FAIL the example prints\n  %s\nbut %s says\n  %s\n' "$actual" "$GUIDE" "$expected"
    exit 1
fi
echo "ok   the example of $GUIDE prints: $actual"
