# Prints a guide's complete C example: the first ```c block that defines main(),
# exactly as it stands in the guide (tests/meson.build compiles it, readme_example.sh
# runs it).
/^```c$/ { inside = 1; block = ""; next }
inside && /^```$/ {
    inside = 0
    if (block ~ /int main\(/) { printf "%s", block; found = 1; exit }
    next
}
inside { block = block $0 "\n" }
END { if (!found) { print "readme_c_example.awk: no ```c block with main() in the guide" > "/dev/stderr"; exit 1 } }
