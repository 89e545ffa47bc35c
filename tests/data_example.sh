#!/usr/bin/env bash
# Runs the C example of docs/data.md (compiled from the guide by tests/meson.build) in a
# temporary directory and compares its output with the "# ..." line after `&& ./data_demo`.
#   bash data_example.sh EXAMPLE GUIDE.md
set -u
EXE=$(realpath "${1:?usage: data_example.sh EXAMPLE GUIDE}")
GUIDE=${2:?usage: data_example.sh EXAMPLE GUIDE}
expected=$(awk '/&& \.\/data_demo/ { getline; sub(/^# /, ""); print; exit }' "$GUIDE")
[ -n "$expected" ] || { echo "FAIL no '# output' line after '&& ./data_demo' in $GUIDE"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
actual=$(cd "$dir" && "$EXE") || { echo "FAIL the example exits with status $?"; exit 1; }
if [ "$actual" != "$expected" ]; then
    printf 'FAIL the example prints\n  %s\nbut %s says\n  %s\n' "$actual" "$GUIDE" "$expected"
    exit 1
fi
echo "ok   the example of $GUIDE prints: $actual"
