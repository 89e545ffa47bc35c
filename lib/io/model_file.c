/* Model files: the in-memory image of model_encode.c / model_decode.c written atomically
 * to a path (atomic_write.c) and read back from one. */
#include "model_format.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

mlp_status mlp_model_write_parts(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                                 const mlp_optimizer *opt, size_t epoch, mlp_error_detail *detail)
{
    clear_detail(detail);
    if (!path || !net) return MLP_ERR_NULL_ARG;
    if (!path[0]) return MLP_ERR_INVALID_ARG;
    void *data = NULL;
    size_t size = 0;
    mlp_status st = mlp_model_write_parts_mem(&data, &size, net, pre, opt, epoch);
    if (st != MLP_OK) return st;
    st = mlp_file_write_atomic_unchecked(path, data, size, detail);
    mlp_free(data);
    return st;
}

/* ------------------------------------------------------------------ reading */

static int read_full(int fd, unsigned char *p, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t k = read(fd, p + *got, n - *got);
        if (k < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        if (k == 0) break;
        *got += (size_t)k;
    }
    return 1;
}

/* Reads the whole file into *buf (*len bytes), after checking its header against its size
 * so that nothing is allocated for a file that cannot be a model. */
static mlp_status read_model(const char *path, unsigned char **buf, size_t *len,
                             mlp_error_detail *detail)
{
    char err[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mlp_errno_text(errno, err, sizeof err);
        set_detail(detail, "cannot open %s: %s", path, err);
        return MLP_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        set_detail(detail, "%s is not a regular file", path);
        return MLP_ERR_IO;
    }
    unsigned char h[MODEL_HEADER_LEN];
    size_t have;
    if (!read_full(fd, h, sizeof h, &have)) {
        mlp_errno_text(errno, err, sizeof err);
        close(fd);
        set_detail(detail, "cannot read %s: %s", path, err);
        return MLP_ERR_IO;
    }
    uint64_t length = 0;
    uint32_t version = 0;
    mlp_status s = mlp_model_check_header(h, have, (uint64_t)st.st_size, &version, &length,
                                          detail);
    if (s != MLP_OK) {
        close(fd);
        return s;
    }
    /* Bounded by the file's real size and the 4 GiB limit; one extra byte notices growth. */
    unsigned char *b = mlp_mem_alloc((size_t)length + 1);
    if (!b) {
        close(fd);
        return MLP_ERR_NO_MEMORY;
    }
    memcpy(b, h, MODEL_HEADER_LEN);
    size_t got;
    int ok = read_full(fd, b + MODEL_HEADER_LEN, (size_t)length + 1 - MODEL_HEADER_LEN, &got);
    int saved = errno;
    close(fd);
    if (!ok) {
        mlp_errno_text(saved, err, sizeof err);
        set_detail(detail, "cannot read %s: %s", path, err);
        mlp_mem_free(b);
        return MLP_ERR_IO;
    }
    got += MODEL_HEADER_LEN;
    if (got != length) {
        mlp_mem_free(b);
        set_detail(detail, "file changed size while being read");
        return got < length ? MLP_ERR_TRUNCATED : MLP_ERR_FORMAT;
    }
    *buf = b;
    *len = (size_t)length;
    return MLP_OK;
}

mlp_status mlp_model_open_parts(const char *path, mlp_net **net, mlp_preprocess **pre,
                                mlp_optimizer **opt, mlp_model_info *info,
                                mlp_error_detail *detail)
{
    clear_detail(detail);
    if (!path || !net) {
        set_detail(detail, "path and net are required");
        return MLP_ERR_NULL_ARG;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    mlp_status s = read_model(path, &buf, &len, detail);
    if (s != MLP_OK) return s;
    s = mlp_model_open_parts_mem(buf, len, net, pre, opt, info, detail);
    mlp_mem_free(buf);
    return s;
}
