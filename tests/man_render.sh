#!/usr/bin/env bash
# Each rendered man page formats without a roff or man warning (man --warnings).
#   bash man_render.sh PAGE...
set -u
failed=0
for page in "$@"; do
    warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -n "$warnings" ]; then
        printf 'FAIL %s:\n%s\n' "$page" "$warnings"
        failed=1
    else
        echo "ok   $page renders without warnings"
    fi
done
exit "$failed"
