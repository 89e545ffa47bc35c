# Prints the complete C program of docs/libmlp.3.scd: the first ``` block that defines
# main(), with scdoc's escaped backslashes (\\) made single again.
/^```$/ {
    if (inside) {
        inside = 0
        if (block ~ /int main\(/) { printf "%s", block; found = 1; exit }
        block = ""
    } else {
        inside = 1
    }
    next
}
inside { line = $0; gsub(/\\\\/, "\\", line); block = block line "\n" }
END { if (!found) { print "man_c_example.awk: no ``` block with main() in the page" > "/dev/stderr"; exit 1 } }
