/* Output files appear whole or not at all: write a temporary file beside the target,
 * then rename it over the target. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool cli_atomic_open(cli_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    size_t n = strlen(path);
    af->final_path = strdup(path);
    af->temp_path = malloc(n + sizeof ".tmp.XXXXXX");
    if (!af->final_path || !af->temp_path) {
        cli_error("%s: out of memory", path);
        goto fail;
    }
    memcpy(af->temp_path, path, n);
    memcpy(af->temp_path + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    int fd = mkstemp(af->temp_path);
    if (fd < 0) {
        cli_error("%s: cannot create a temporary file: %s", path, strerror(errno));
        goto fail;
    }
    /* mkstemp makes the file 0600; give it the usual permissions. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) { /* not fatal: keep 0600 */ }
    af->fp = fdopen(fd, "w");
    if (!af->fp) {
        cli_error("%s: %s", path, strerror(errno));
        close(fd);
        unlink(af->temp_path);
        goto fail;
    }
    return true;
fail:
    free(af->final_path);
    free(af->temp_path);
    memset(af, 0, sizeof *af);
    return false;
}

static void release(cli_atomic_file *af)
{
    free(af->final_path);
    free(af->temp_path);
    memset(af, 0, sizeof *af);
}

bool cli_atomic_commit(cli_atomic_file *af)
{
    bool ok = true;
    int err = 0;
    if (ferror(af->fp) || fflush(af->fp) != 0 || fsync(fileno(af->fp)) != 0) {
        ok = false;
        err = errno;
    }
    if (fclose(af->fp) != 0 && ok) {
        ok = false;
        err = errno;
    }
    af->fp = NULL;
    if (ok && rename(af->temp_path, af->final_path) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        cli_error("%s: write failed: %s", af->final_path, err ? strerror(err) : "I/O error");
        unlink(af->temp_path);
    }
    release(af);
    return ok;
}

void cli_atomic_abort(cli_atomic_file *af)
{
    if (af->fp) fclose(af->fp);
    if (af->temp_path) unlink(af->temp_path);
    release(af);
}
