/* Output files appear whole or not at all: the tool writes into memory and hands the bytes
 * to the library's atomic write (mlp_file_write_atomic: a synced temporary file renamed over
 * the target), the one atomic writer of the project. What cannot be replaced is written
 * through instead: `-` (stdout), character devices (/dev/null), FIFOs, and the file stdout
 * already is (/dev/stdout redirected to a file). A symbolic link is followed: its final
 * target is replaced and the link stays; a link to nothing is refused. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* True when st is the file stdout is open on (then renaming would detach it). */
static bool is_stdout_file(const struct stat *st)
{
    struct stat out;
    return fstat(STDOUT_FILENO, &out) == 0 && out.st_dev == st->st_dev &&
           out.st_ino == st->st_ino;
}

bool cli_output_resolve(const char *path, char **target, bool *through)
{
    *target = NULL;
    *through = false;
    if (path[0] == '\0') {
        cli_error("empty output file name");
        return false;
    }
    if (strcmp(path, "-") == 0) {
        *through = true;
        return true;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cli_error("%s: is a directory, not a file", path);
            return false;
        }
        if (!S_ISREG(st.st_mode) || is_stdout_file(&st)) {
            *through = true;
            return true;
        }
        *target = realpath(path, NULL); /* the symlink's final target, if any */
        if (!*target) {
            cli_error("%s: %s", path, strerror(errno));
            return false;
        }
        return true;
    }
    if (errno != ENOENT) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    if (lstat(path, &st) == 0) {
        cli_error("%s: a symbolic link to a file that does not exist (not followed)", path);
        return false;
    }
    *target = strdup(path);
    if (!*target) cli_error("%s: out of memory", path);
    return *target != NULL;
}

bool cli_atomic_open(cli_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    bool through;
    if (!cli_output_resolve(path, &af->final_path, &through)) return false;
    if (through) {
        af->fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        af->final_path = strdup(path);
        if (!af->fp || !af->final_path) {
            cli_error("%s: %s", path, af->fp ? "out of memory" : strerror(errno));
            cli_atomic_abort(af);
            return false;
        }
        return true;
    }
    af->buffered = true;
    af->fp = open_memstream(&af->data, &af->size);
    if (!af->fp) {
        cli_error("%s: %s", path, strerror(errno));
        cli_atomic_abort(af);
        return false;
    }
    return true;
}

static void release(cli_atomic_file *af)
{
    free(af->final_path);
    free(af->data);
    memset(af, 0, sizeof *af);
}

/* Written through: flush and check; stdout stays open for what follows. */
static bool commit_through(cli_atomic_file *af)
{
    bool ok = !ferror(af->fp) && fflush(af->fp) == 0;
    int err = ok ? 0 : errno;
    if (af->fp != stdout && fclose(af->fp) != 0 && ok) {
        ok = false;
        err = errno;
    }
    if (!ok) cli_error("%s: write failed: %s", af->final_path, err ? strerror(err) : "I/O error");
    release(af);
    return ok;
}

bool cli_atomic_commit(cli_atomic_file *af)
{
    if (!af->buffered) return commit_through(af);
    bool ok = !ferror(af->fp);
    if (fclose(af->fp) != 0) ok = false; /* the memory stream's buffer is final only now */
    af->fp = NULL;
    if (!ok) {
        cli_error("%s: out of memory", af->final_path);
        release(af);
        return false;
    }
    mlp_error_detail detail = {0};
    mlp_status st = mlp_file_write_atomic(af->final_path, af->data, af->size, &detail);
    if (st != MLP_OK) cli_report_status(af->final_path, st, &detail);
    release(af);
    return st == MLP_OK;
}

void cli_atomic_abort(cli_atomic_file *af)
{
    if (af->fp && af->fp != stdout) fclose(af->fp);
    release(af);
}

bool cli_same_output(const char *a, const char *b)
{
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0) return strcmp(a, b) == 0;
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) /* two writes to /dev/null do not collide */
        return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return false;
    /* Neither exists yet: the same name in the same directory. */
    char *da = cli_dir_of(a), *db = cli_dir_of(b);
    char *ra = da ? realpath(da, NULL) : NULL, *rb = db ? realpath(db, NULL) : NULL;
    const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
    bool same = ra && rb && strcmp(ra, rb) == 0 &&
                strcmp(ba ? ba + 1 : a, bb ? bb + 1 : b) == 0;
    free(da), free(db), free(ra), free(rb);
    return same;
}
