#!/usr/bin/env bash
# Runs a guide's complete C program (compiled from the guide by tests/meson.build) and
# compares what it prints with the ```text block that follows "It prints:" in the guide.
#   bash doc_example.sh EXAMPLE GUIDE.md
set -u
EXE=${1:?usage: doc_example.sh EXAMPLE GUIDE}
GUIDE=${2:?usage: doc_example.sh EXAMPLE GUIDE}
expected=$(awk '/^It prints:$/ { want = 1; next }
                want && /^```text$/ { inside = 1; next }
                inside && /^```$/ { exit }
                inside { print }' "$GUIDE")
[ -n "$expected" ] || { echo "FAIL no \"It prints:\" block in $GUIDE"; exit 1; }
actual=$("$EXE") || { echo "FAIL the example of $GUIDE exits with status $?"; exit 1; }
if [ "$actual" != "$expected" ]; then
    echo "FAIL the example of $GUIDE prints what the guide does not show:"
    diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual")
    exit 1
fi
echo "ok   the example of $(basename "$GUIDE") prints what the guide shows"
