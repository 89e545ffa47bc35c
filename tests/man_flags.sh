#!/usr/bin/env bash
# The man page cannot drift from the tool: every flag that `mlp COMMAND --help` prints
# must appear in that command's section of docs/mlp.1.scd ("## COMMAND"), and every flag
# of `mlp --help` in the page. A flag is a word starting with "--" (or "-x" before a
# comma, as in "-o, --out"), taken from the help text as printed.
#   bash man_flags.sh PATH_TO_MLP PATH_TO_mlp.1.scd
set -u
MLP=${1:?usage: man_flags.sh PATH_TO_MLP MAN_SOURCE}
PAGE=${2:?usage: man_flags.sh PATH_TO_MLP MAN_SOURCE}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}

flags_of() { # the flags in a help text on stdin, one per line
    grep -oE -- '(^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*|-[A-Za-z],)' |
        sed -E 's/^[^-]*//; s/,$//' | sort -u
}
section_of() { # the text of "## NAME" up to the next heading in the page
    awk -v name="$1" '/^#/ { inside = ($0 == "## " name) ; next } inside' "$PAGE"
}
mentions() { # mentions FLAG: the flag as a whole word on stdin
    grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)"
}

missing=0 checked=0
check() { # check WHERE FLAGS_TEXT SECTION_TEXT
    local where=$1 flag
    while read -r flag; do
        [ -n "$flag" ] || continue
        checked=$((checked + 1))
        if ! printf '%s\n' "$3" | mentions "$flag"; then
            echo "FAIL $where: $flag is in the --help text but not in $PAGE"
            missing=$((missing + 1))
        fi
    done <<<"$2"
}

main_help=$("$MLP" --help) || { echo "FAIL mlp --help exits non-zero"; exit 1; }
check "mlp --help" "$(printf '%s\n' "$main_help" | flags_of)" "$(cat "$PAGE")"

# The commands are those `mlp --help` lists under "Commands:".
commands=$(printf '%s\n' "$main_help" |
    awk '/^Commands:/ { on = 1; next } on && /^  [a-z]+  / { print $1 } on && /^$/ { on = 0 }')
[ -n "$commands" ] || { echo "FAIL no commands found in mlp --help"; exit 1; }
for cmd in $commands; do
    help=$("$MLP" "$cmd" --help) || { echo "FAIL mlp $cmd --help exits non-zero"; missing=$((missing + 1)); continue; }
    section=$(section_of "$cmd")
    if [ -z "$section" ]; then
        echo "FAIL $PAGE has no section '## $cmd'"
        missing=$((missing + 1))
        continue
    fi
    check "mlp $cmd" "$(printf '%s\n' "$help" | flags_of)" "$section"
done
echo "$checked flags checked in $(echo $commands | wc -w) commands, $missing missing"
[ "$missing" -eq 0 ]
