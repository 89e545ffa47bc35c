/* Atomic replacement of a file: the target is always either its old complete content or the
 * new complete content, and a crash leaves no temporary behind for long.
 *
 * On Linux the data goes to an unnamed O_TMPFILE in the target's directory; only once it is
 * written and synced does it get a name (linkat), which rename() then moves over the target
 * at once. A kill during the write leaves nothing; one between linkat and rename leaves
 * DIR/BASE.tmp.PID.XXXXXX. Elsewhere (or on file systems without O_TMPFILE) the data is
 * written under such a name directly. Every save first removes the temporaries of its own
 * target whose process PID no longer exists. */
#define _GNU_SOURCE /* O_TMPFILE, linkat's AT_SYMLINK_FOLLOW */
#include "mlp_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_TAG ".tmp."

typedef struct target {
    const char *path;
    char *dir;        /* "." when path has no slash */
    const char *base; /* inside path */
    char *tmp;        /* room for PATH.tmp.PID.XXXXXX */
    mode_t mode;
} target;

static mlp_status fail(mlp_error_detail *detail, int err, const char *what, const char *path)
{
    if (err == ENOMEM) return MLP_ERR_NO_MEMORY;
    if (detail) {
        char text[128];
        mlp_errno_text(err, text, sizeof text);
        snprintf(detail->message, sizeof detail->message, "cannot %s %s: %s", what, path, text);
    }
    return MLP_ERR_IO;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

/* True for BASE.tmp.PID.XXXXXX whose PID is not a live process (nor this one). */
static int stale_temporary(const char *name, const char *base, size_t blen)
{
    if (strncmp(name, base, blen) != 0 || strncmp(name + blen, TMP_TAG, sizeof TMP_TAG - 1) != 0)
        return 0;
    const char *p = name + blen + sizeof TMP_TAG - 1;
    if (*p < '0' || *p > '9') return 0; /* strtol would take signs and spaces */
    char *end;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (end == p || *end != '.' || strlen(end + 1) != 6 || errno || pid <= 0) return 0;
    if (pid == (long)getpid()) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Best effort: a directory that cannot be listed keeps its stale files. */
static void remove_stale(const target *t)
{
    DIR *d = opendir(t->dir);
    if (!d) return;
    const size_t blen = strlen(t->base), dlen = strlen(t->dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!stale_temporary(e->d_name, t->base, blen)) continue;
        char *full = mlp_mem_alloc(dlen + 1 + strlen(e->d_name) + 1);
        if (!full) break;
        sprintf(full, "%s/%s", t->dir, e->d_name);
        (void)unlink(full);
        mlp_mem_free(full);
    }
    closedir(d);
}

/* t->tmp = PATH.tmp.PID.XXXXXX with XXXXXX still to fill (mkstemp or next_name). */
static void template_name(target *t)
{
    sprintf(t->tmp, "%s" TMP_TAG "%ld.XXXXXX", t->path, (long)getpid());
}

/* Fills the XXXXXX of t->tmp from a counter and the clock (linkat has no mkstemp). */
static void next_name(target *t, unsigned attempt)
{
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)ts.tv_sec ^ attempt * 40503u;
    char *p = t->tmp + strlen(t->tmp) - 6;
    for (int i = 0; i < 6; i++, x /= 36) p[i] = digits[x % 36];
}

#ifdef O_TMPFILE
/* Writes into an unnamed file, then names it t->tmp. 1 done, 0 failed (errno; *where says
 * which step), -1 O_TMPFILE or /proc unavailable (nothing was changed: use the fallback). */
static int write_unnamed(target *t, const unsigned char *buf, size_t len, const char **where)
{
    int fd = open(t->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) return errno == ENOMEM ? (*where = "create a file in", 0) : -1;
    *where = "write";
    int ok = fchmod(fd, t->mode) == 0 && write_all(fd, buf, len) && fsync(fd) == 0;
    int err = errno;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    int linked = -1;
    for (unsigned attempt = 0; ok && attempt < 100; attempt++) {
        template_name(t);
        next_name(t, attempt);
        linked = linkat(AT_FDCWD, proc, AT_FDCWD, t->tmp, AT_SYMLINK_FOLLOW);
        if (linked == 0 || errno != EEXIST) break;
    }
    if (ok && linked != 0) err = errno;
    close(fd);
    if (!ok) {
        errno = err;
        return 0;
    }
    if (linked != 0) {
        errno = err;
        *where = "name a file in";
        return err == ENOENT || err == EPERM || err == EOPNOTSUPP ? -1 : 0;
    }
    return 1;
}
#endif

/* Writes under the name t->tmp directly. 1 done, 0 failed (errno, *where). */
static int write_named(target *t, const unsigned char *buf, size_t len, const char **where)
{
    template_name(t);
    int fd = mkstemp(t->tmp);
    if (fd < 0) {
        *where = "create a file in";
        return 0;
    }
    *where = "write";
    int ok = fchmod(fd, t->mode) == 0 && write_all(fd, buf, len) && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        unlink(t->tmp);
        errno = err;
    }
    return ok;
}

/* Makes the rename durable; best effort. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

mlp_status mlp_file_write_atomic_unchecked(const char *path, const unsigned char *buf,
                                           size_t len, mlp_error_detail *detail)
{
    target t = {.path = path};
    const char *slash = strrchr(path, '/');
    t.base = slash ? slash + 1 : path;
    size_t dlen = slash ? (slash == path ? 1 : (size_t)(slash - path)) : 1;
    t.dir = mlp_mem_alloc(dlen + 1);
    t.tmp = mlp_mem_alloc(strlen(path) + sizeof TMP_TAG + 3 * sizeof(long) + 8);
    if (!t.dir || !t.tmp) {
        mlp_mem_free(t.dir);
        mlp_mem_free(t.tmp);
        return MLP_ERR_NO_MEMORY;
    }
    if (slash) memcpy(t.dir, path, dlen);
    else t.dir[0] = '.';
    t.dir[dlen] = '\0';
    /* Keep an existing file's mode, else 0644. */
    struct stat st;
    t.mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;

    remove_stale(&t);
    const char *where = "write";
    int done = -1;
#ifdef O_TMPFILE
    done = write_unnamed(&t, buf, len, &where);
#endif
    if (done < 0) done = write_named(&t, buf, len, &where);
    mlp_status s = MLP_OK;
    if (!done) {
        s = fail(detail, errno, where, strcmp(where, "write") == 0 ? path : t.dir);
    } else if (rename(t.tmp, path) != 0) {
        int err = errno;
        unlink(t.tmp);
        s = fail(detail, err, "replace", path);
    } else {
        sync_dir(t.dir);
    }
    mlp_mem_free(t.dir);
    mlp_mem_free(t.tmp);
    return s;
}

mlp_status mlp_file_write_atomic(const char *path, const void *data, size_t size,
                                 mlp_error_detail *detail)
{
    if (!path) return mlp_fail(detail, MLP_ERR_NULL_ARG, "path is NULL");
    if (!data && size) return mlp_fail(detail, MLP_ERR_NULL_ARG, "data is NULL");
    if (!path[0]) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "path is empty");
    mlp_fail(detail, MLP_OK, "%s", ""); /* line, column and message cleared */
    mlp_status st = mlp_file_write_atomic_unchecked(path, data ? data : (const void *)"", size,
                                                    detail);
    if (st == MLP_ERR_NO_MEMORY) mlp_fail(detail, st, "no memory to write %s", path);
    return st;
}
