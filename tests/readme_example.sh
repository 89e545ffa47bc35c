#!/usr/bin/env bash
# Runs the README's C example (compiled from the README by tests/meson.build) and compares
# its output with the line the README prints for it: the "# ..." comment right after the
# command that runs it (`... && ./xor`).
#   bash readme_example.sh EXAMPLE README.md
set -u
EXE=${1:?usage: readme_example.sh EXAMPLE README}
README=${2:?usage: readme_example.sh EXAMPLE README}
expected=$(awk '/&& \.\/xor/ { getline; sub(/^# /, ""); print; exit }' "$README")
[ -n "$expected" ] || { echo "FAIL no '# output' line after '&& ./xor' in $README"; exit 1; }
actual=$("$EXE") || { echo "FAIL the README example exits with status $?"; exit 1; }
if [ "$actual" != "$expected" ]; then
    printf 'FAIL the README example prints\n  %s\nbut the README says\n  %s\n' "$actual" "$expected"
    exit 1
fi
echo "ok   the README example prints: $actual"
