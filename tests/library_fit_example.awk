# Prints the complete C program of docs/library.md's section "Fitting a model in one call":
# the first ```c block with main() after that heading, exactly as it stands (tests/meson.build
# compiles it, library_example.sh runs it).
/^#+ Fitting a model in one call/ { section = 1; next }
section && /^```c$/ { inside = 1; block = ""; next }
inside && /^```$/ {
    inside = 0
    if (block ~ /int main\(/) { printf "%s", block; found = 1; exit }
    next
}
inside { block = block $0 "\n" }
END { if (!found) { print "library_fit_example.awk: no ```c block with main() under \"Fitting a model in one call\"" > "/dev/stderr"; exit 1 } }
