/* IDX (MNIST family) reader, plain or gzip (zlib reads both transparently).
 * Nothing is allocated from an unchecked header field: the labels are read in bounded
 * chunks into a buffer that grows only as data actually arrives, and the images go straight
 * into the data set's floats, allocated once the file is known to be able to hold them (a
 * plain file its size, gzip at most deflate's ratio of it). */
#include "mlp_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_DIMS 255
#define IDX_CHUNK ((size_t)1 << 20)
/* Deflate expands at most 1032 to 1; a gzip header and trailer add a few bytes. */
#define GZIP_MAX_RATIO 1032u
#define GZIP_SLACK 4096u

typedef struct idx_file {
    const char *path;
    gzFile gz;
    unsigned ndims;
    size_t dims[IDX_MAX_DIMS];
    size_t body;          /* product of the dimensions: bytes of data */
} idx_file;

/* Maps a failed or short gzread to a status with a message. */
static mlp_status read_error(idx_file *f, mlp_error_detail *detail, const char *what)
{
    int errnum = Z_OK;
    const char *msg = gzerror(f->gz, &errnum);
    if (errnum == Z_ERRNO)
        return mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: read error in %s: %s", f->path,
                              what, strerror(errno));
    if (errnum == Z_MEM_ERROR) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0,
                                                     "%s: out of memory", f->path);
    if (errnum == Z_DATA_ERROR)
        return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0, "%s: corrupt gzip data in %s: %s",
                              f->path, what, msg ? msg : "");
    /* Z_BUF_ERROR (gzip stream cut short) or a plain end of file. */
    return mlp_data_error(detail, MLP_ERR_TRUNCATED, 0, 0, "%s: file ends inside the %s",
                          f->path, what);
}

/* Reads exactly n (small) bytes; TRUNCATED/IO/FORMAT otherwise. */
static mlp_status read_exact(idx_file *f, void *buf, unsigned n, mlp_error_detail *detail,
                             const char *what)
{
    int got = gzread(f->gz, buf, n);
    if (got < 0 || (unsigned)got != n) return read_error(f, detail, what);
    return MLP_OK;
}

/* Opens path and validates its header: magic, type, dimension count (min..max), sizes. */
static mlp_status open_header(idx_file *f, const char *path, unsigned min_dims,
                              unsigned max_dims, mlp_error_detail *detail)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return mlp_data_error(detail, errno == 0 || errno == ENOMEM ? MLP_ERR_NO_MEMORY
                                                                    : MLP_ERR_IO, 0, 0,
                              "%s: cannot open: %s", path,
                              errno ? strerror(errno) : "out of memory");
    gzbuffer(f->gz, 128u * 1024u); /* fewer system calls than the 8 KiB default */
    unsigned char magic[4];
    mlp_status st = read_exact(f, magic, 4, detail, "header");
    if (st != MLP_OK) return st;
    if (magic[0] != 0 || magic[1] != 0)
        return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                              "%s: bad magic %02x %02x (an IDX file starts with 00 00)", path,
                              magic[0], magic[1]);
    if (magic[2] != IDX_TYPE_UBYTE)
        return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                              "%s: data type 0x%02x not supported (only 0x08, unsigned byte)",
                              path, magic[2]);
    f->ndims = magic[3];
    if (f->ndims < min_dims || f->ndims > max_dims) {
        if (min_dims == max_dims)
            return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                                  "%s: %u dimensions, expected exactly %u", path, f->ndims,
                                  min_dims);
        return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                              "%s: %u dimensions, expected at least %u", path, f->ndims,
                              min_dims);
    }
    unsigned char raw[4 * IDX_MAX_DIMS];
    st = read_exact(f, raw, 4 * f->ndims, detail, "header");
    if (st != MLP_OK) return st;
    f->body = 1;
    for (unsigned d = 0; d < f->ndims; d++) {
        const unsigned char *b = raw + 4 * d;
        uint32_t v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        if (v == 0)
            return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0, "%s: dimension %u is zero",
                                  path, d);
        f->dims[d] = v;
        if (!mlp_mul_size(f->body, v, &f->body))
            return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                                  "%s: dimensions overflow the address space", path);
    }
    return MLP_OK;
}

/* After the data: nothing may follow, and a gzip stream must end well. */
static mlp_status check_end(idx_file *f, mlp_error_detail *detail)
{
    unsigned char extra;
    int got = gzread(f->gz, &extra, 1);
    if (got != 0) {
        if (got < 0) return read_error(f, detail, "data");
        return mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                              "%s: trailing data after the %zu bytes the header declares",
                              f->path, f->body);
    }
    int errnum = Z_OK;
    gzerror(f->gz, &errnum);
    if (errnum == Z_OK) return MLP_OK;
    /* A gzip stream that ends early after all the data, or a bad CRC. */
    if (errnum == Z_BUF_ERROR)
        return mlp_data_error(detail, MLP_ERR_TRUNCATED, 0, 0, "%s: gzip stream ends early",
                              f->path);
    return read_error(f, detail, "data");
}

/* Reads the f->body data bytes into *out (malloc'd), growing the buffer only as data
 * arrives, and checks that nothing follows them. */
static mlp_status read_body(idx_file *f, unsigned char **out, mlp_error_detail *detail)
{
    unsigned char *buf = NULL;
    size_t cap = 0, have = 0;
    while (have < f->body) {
        size_t want = f->body - have;
        if (want > IDX_CHUNK) want = IDX_CHUNK;
        if (have + want > cap) {
            /* Double, but never beyond the declared size. */
            size_t ncap = cap ? (cap > f->body / 2 ? f->body : 2 * cap) : want;
            if (ncap < have + want) ncap = have + want;
            unsigned char *nb = mlp_mem_realloc(buf, ncap);
            if (!nb) {
                mlp_mem_free(buf);
                return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "%s: out of memory",
                                      f->path);
            }
            buf = nb;
            cap = ncap;
        }
        int got = gzread(f->gz, buf + have, (unsigned)want);
        if (got <= 0) {
            mlp_status st = read_error(f, detail, "data");
            if (st == MLP_ERR_TRUNCATED)
                mlp_data_error(detail, st, 0, 0,
                               "%s: truncated: header declares %zu data bytes, file has %zu",
                               f->path, f->body, have);
            mlp_mem_free(buf);
            return st;
        }
        have += (size_t)got;
    }
    mlp_status st = check_end(f, detail);
    if (st != MLP_OK) {
        mlp_mem_free(buf);
        return st;
    }
    *out = buf;
    return MLP_OK;
}

/* The images' f->body bytes as floats into x (f->body of them), a chunk at a time. */
static mlp_status read_floats(idx_file *f, float *x, mlp_error_detail *detail)
{
    size_t cap = f->body < IDX_CHUNK ? f->body : IDX_CHUNK, have = 0;
    unsigned char *buf = mlp_mem_alloc(cap);
    if (!buf) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "%s: out of memory",
                                    f->path);
    mlp_status st = MLP_OK;
    while (st == MLP_OK && have < f->body) {
        size_t want = f->body - have < cap ? f->body - have : cap;
        int got = gzread(f->gz, buf, (unsigned)want);
        if (got <= 0) {
            st = read_error(f, detail, "data");
            if (st == MLP_ERR_TRUNCATED)
                mlp_data_error(detail, st, 0, 0,
                               "%s: truncated: header declares %zu data bytes, file has %zu",
                               f->path, f->body, have);
            break;
        }
        for (size_t i = 0; i < (size_t)got; i++) x[have + i] = (float)buf[i];
        have += (size_t)got;
    }
    mlp_mem_free(buf);
    return st == MLP_OK ? check_end(f, detail) : st;
}

/* Whether the file can hold the data bytes its header declares (TRUNCATED if not), so that
 * a corrupt header cannot make the reader allocate more than the file could fill. */
static mlp_status check_room(idx_file *f, mlp_error_detail *detail)
{
    struct stat sb;
    if (stat(f->path, &sb) != 0 || !S_ISREG(sb.st_mode)) return MLP_OK; /* a pipe: no bound */
    size_t size = (size_t)sb.st_size, header = 4 + 4 * (size_t)f->ndims, room;
    if (gzdirect(f->gz))
        room = size > header ? size - header : 0;
    else if (!mlp_mul_size(size, GZIP_MAX_RATIO, &room))
        room = SIZE_MAX;
    else
        room += GZIP_SLACK;
    if (f->body <= room) return MLP_OK;
    return mlp_data_error(detail, MLP_ERR_TRUNCATED, 0, 0,
                          "%s: truncated: header declares %zu data bytes, the file holds at "
                          "most %zu", f->path, f->body, room);
}

static void close_file(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Builds the data set from the validated labels, reading the images (header read) into
 * it; labels already checked < class_count. */
static mlp_status build(mlp_dataset **out, idx_file *im, const unsigned char *lab,
                        size_t count, size_t input_size, size_t class_count,
                        mlp_error_detail *detail)
{
    mlp_dataset *ds = NULL;
    mlp_status st = check_room(im, detail);
    if (st != MLP_OK) return st;
    st = mlp_dataset_create(&ds, count, input_size, class_count);
    if (st != MLP_OK)
        return mlp_data_error(detail, st, 0, 0, "cannot allocate %zu x (%zu + %zu) floats",
                              count, input_size, class_count);
    float *y = mlp_dataset_targets(ds);
    st = read_floats(im, mlp_dataset_inputs(ds), detail);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return st;
    }
    for (size_t i = 0; lab && i < count; i++) y[i * class_count + lab[i]] = 1.0f;
    /* Class names "0", "1", ...: decimal of the label value. */
    char **names = class_count ? mlp_mem_calloc(class_count, sizeof *names) : NULL;
    st = names || !class_count ? MLP_OK : MLP_ERR_NO_MEMORY;
    for (size_t c = 0; st == MLP_OK && c < class_count; c++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%zu", c);
        if (!(names[c] = mlp_mem_strdup(tmp))) st = MLP_ERR_NO_MEMORY;
    }
    if (st == MLP_OK) st = mlp_dataset_set_class_names(ds, (const char *const *)names,
                                                       class_count);
    if (names)
        for (size_t c = 0; c < class_count; c++) mlp_mem_free(names[c]);
    mlp_mem_free(names);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return mlp_data_error(detail, st, 0, 0, "out of memory");
    }
    *out = ds;
    return MLP_OK;
}

mlp_status mlp_dataset_open_idx(mlp_dataset **out, const char *images_path, const char *labels_path,
                                size_t class_count, mlp_error_detail *detail)
{
    if (!out || !images_path)
        return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    if (!labels_path) class_count = 0; /* images only (for prediction): no targets */
    idx_file im, lb;
    unsigned char *lab = NULL;
    memset(&lb, 0, sizeof lb);
    /* Both headers first, so that a count mismatch fails before any body is read. */
    mlp_status st = open_header(&im, images_path, 2, IDX_MAX_DIMS, detail);
    if (st == MLP_OK && labels_path) st = open_header(&lb, labels_path, 1, 1, detail);
    size_t count = im.dims[0];
    size_t input_size = 0;
    if (st == MLP_OK && labels_path && lb.dims[0] != count)
        st = mlp_data_error(detail, MLP_ERR_DIMENSION, 0, 0,
                            "%s has %zu images but %s has %zu labels", images_path, count,
                            labels_path, lb.dims[0]);
    if (st == MLP_OK) {
        input_size = im.body / count;
        if (labels_path) st = read_body(&lb, &lab, detail);
    }
    if (st == MLP_OK && labels_path) {
        /* Labels against class_count (0: max label + 1). */
        size_t max_label = 0;
        for (size_t i = 0; i < count; i++)
            if (lab[i] > max_label) max_label = lab[i];
        if (class_count == 0) class_count = max_label + 1;
        for (size_t i = 0; st == MLP_OK && i < count; i++)
            if (lab[i] >= class_count)
                st = mlp_data_error(detail, MLP_ERR_FORMAT, 0, 0,
                                    "%s: label %u of record %zu is not below class_count %zu",
                                    labels_path, lab[i], i, class_count);
    }
    if (labels_path) close_file(&lb);
    if (st == MLP_OK) st = build(out, &im, lab, count, input_size, class_count, detail);
    close_file(&im);
    mlp_mem_free(lab);
    return st;
}
