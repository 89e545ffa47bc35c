/* A binary float cache of a numeric CSV, for data larger than memory: one pass writes the
 * records as fixed-size rows of floats (in chunks of the file, each read by byte ranges as
 * mlp_dataset_open_csv_shard reads a share), and training reads them back a batch at a time through
 * an mlp_source, with pread: memory stays one chunk while building and one batch while
 * training, whatever the file's size. The cache is rebuilt when the CSV, or the options it
 * was read with, change (size, modification time, a hash of its first and last bytes). */
#include "csv_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_MAGIC "MLPCSVC1"
#define CACHE_CHUNK_BYTES ((size_t)32 << 20) /* CSV bytes read into memory at once */
#define SAMPLE_BYTES 65536

typedef struct cache_header {
    char magic[8];
    uint64_t rows, n_in, task, n_classes, labelled;
    uint64_t csv_size, csv_sample_hash, options_hash;
    int64_t csv_mtime_sec, csv_mtime_nsec;
    uint64_t names_offset, names_bytes;
} cache_header;

typedef struct cache_view {
    mlp_csv_cache *cache;
    const size_t *records; /* NULL: every record, in order */
    size_t count;
} cache_view;

struct mlp_csv_cache {
    int fd;
    cache_header h;
    size_t row_floats;     /* n_in, + 1 when labelled (the value, or the class id) */
    char **classes;        /* sorted */
    uint32_t *class_of_id; /* the id stored in a row -> its sorted class */
    size_t *split;         /* mlp_csv_cache_split: validation then training indices */
    cache_view all, train, val;
    float *row;            /* RUN_ROWS rows, read */
    const mlp_preprocess *pre; /* applied to the inputs sources give (NULL: raw rows) */
};

/* ------------------------------------------------------------------ freshness */

static uint64_t hash_text(uint64_t h, const char *s)
{
    return s ? mlp_fnv1a(h, s, strlen(s) + 1) : mlp_fnv1a(h, "", 0) * 31;
}

/* What decides the records: the options, not the threads or the progress callback. */
static uint64_t options_hash(const mlp_csv_options *o)
{
    uint64_t h = MLP_FNV_START;
    long fields[4] = {o->has_header, o->label_index, (long)o->task, o->delimiter};
    h = mlp_fnv1a(h, fields, sizeof fields);
    h = hash_text(h, o->label_name);
    for (size_t i = 0; o->class_names && i < o->class_count; i++)
        h = hash_text(h, o->class_names[i]);
    return h;
}

/* Size, modification time and a hash of the first and last bytes of the CSV. */
static int csv_identity(const char *path, cache_header *h)
{
    struct stat sb;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    int ok = fstat(fd, &sb) == 0;
    unsigned char buf[SAMPLE_BYTES];
    uint64_t hash = MLP_FNV_START;
    for (int part = 0; ok && part < 2; part++) {
        off_t at = part == 0 || sb.st_size <= SAMPLE_BYTES ? 0 : sb.st_size - SAMPLE_BYTES;
        ssize_t got = pread(fd, buf, sizeof buf, at);
        if (got < 0) ok = 0;
        else hash = mlp_fnv1a(hash, buf, (size_t)got);
    }
    close(fd);
    if (!ok) return 0;
    h->csv_size = (uint64_t)sb.st_size;
    h->csv_mtime_sec = (int64_t)sb.st_mtim.tv_sec;
    h->csv_mtime_nsec = (int64_t)sb.st_mtim.tv_nsec;
    h->csv_sample_hash = hash;
    return 1;
}

/* ------------------------------------------------------------------ building */

typedef struct builder {
    FILE *out;
    cache_header h;
    csv_ctx classes; /* the class list in order of first appearance (names only) */
} builder;

static mlp_status write_chunk(builder *b, mlp_dataset *ds)
{
    size_t n = mlp_dataset_count(ds), n_in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    size_t *local = NULL; /* this chunk's class -> id in the cache */
    if (b->h.labelled && b->h.task == MLP_TASK_CLASSIFY) {
        local = mlp_mem_alloc((k ? k : 1) * sizeof *local);
        if (!local) return MLP_ERR_NO_MEMORY;
        for (size_t c = 0; c < k; c++)
            if ((local[c] = csv_class_id(&b->classes, mlp_dataset_class_name(ds, c))) ==
                SIZE_MAX) {
                mlp_mem_free(local);
                return MLP_ERR_NO_MEMORY;
            }
    }
    mlp_status st = MLP_OK;
    for (size_t i = 0; i < n && st == MLP_OK; i++) {
        float t = 0.0f;
        if (local) {
            size_t c = 0;
            while (c + 1 < k && y[i * k + c] != 1.0f) c++;
            t = (float)local[c];
        } else if (b->h.labelled) {
            t = y[i];
        }
        if (fwrite(x + i * n_in, sizeof *x, n_in, b->out) != n_in ||
            (b->h.labelled && fwrite(&t, sizeof t, 1, b->out) != 1))
            st = MLP_ERR_IO;
    }
    b->h.rows += n;
    mlp_mem_free(local);
    return st;
}

/* Sorts the classes as mlp_dataset_open_csv does and writes them with the id -> class table. */
static mlp_status write_classes(builder *b)
{
    size_t n = b->classes.n_classes;
    size_t *order = mlp_mem_alloc((n ? n : 1) * sizeof *order);
    if (!order) return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) order[i] = i;
    b->classes.y_class = order; /* sorting renumbers these: first-seen id -> sorted */
    b->classes.rows = n;
    mlp_status st = n ? csv_sort_classes(&b->classes) : MLP_OK;
    b->classes.y_class = NULL;
    b->classes.rows = 0;
    long at = ftell(b->out);
    b->h.names_offset = (uint64_t)(at < 0 ? 0 : at);
    b->h.n_classes = n;
    for (size_t i = 0; st == MLP_OK && i < n; i++) {
        uint32_t id = (uint32_t)order[i];
        if (fwrite(&id, sizeof id, 1, b->out) != 1) st = MLP_ERR_IO;
    }
    for (size_t i = 0; st == MLP_OK && i < n; i++) {
        const char *s = b->classes.classes[i];
        if (fwrite(s, 1, strlen(s) + 1, b->out) != strlen(s) + 1) st = MLP_ERR_IO;
    }
    at = ftell(b->out);
    b->h.names_bytes = (uint64_t)(at < 0 ? 0 : at) - b->h.names_offset;
    mlp_mem_free(order);
    return st;
}

static mlp_status build(const char *csv, const char *cache_path, const mlp_csv_options *o,
                        size_t chunk_bytes, mlp_error_detail *detail)
{
    builder b;
    memset(&b, 0, sizeof b);
    memcpy(b.h.magic, CACHE_MAGIC, sizeof b.h.magic);
    b.classes.path = csv;
    b.classes.opt = o;
    if (!csv_identity(csv, &b.h))
        return mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: cannot read: %s", csv,
                              strerror(errno));
    b.h.options_hash = options_hash(o);
    b.h.task = (uint64_t)o->task;
    b.h.labelled = !(o->label_index == MLP_CSV_NO_LABEL && !o->label_name);
    size_t n_tmp = strlen(cache_path) + 5;
    char *tmp = mlp_mem_alloc(n_tmp);
    if (!tmp) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    snprintf(tmp, n_tmp, "%s.tmp", cache_path);
    b.out = fopen(tmp, "wb");
    mlp_status st = MLP_OK;
    if (!b.out || fwrite(&b.h, sizeof b.h, 1, b.out) != 1)
        st = mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: cannot write: %s", tmp,
                            strerror(errno));
    size_t chunks = b.h.csv_size / (chunk_bytes ? chunk_bytes : CACHE_CHUNK_BYTES) + 1;
    for (size_t i = 0; st == MLP_OK && i < chunks; i++) {
        mlp_dataset *ds = NULL;
        st = mlp_csv_load_ranged(&ds, csv, o, i, chunks, 0, detail);
        if (st == MLP_OK) {
            if (i == 0) b.h.n_in = mlp_dataset_input_size(ds);
            if ((st = write_chunk(&b, ds)) != MLP_OK)
                mlp_data_error(detail, st, 0, 0, "%s: cannot write the cache", tmp);
        }
        if (o->progress) o->progress((size_t)((i + 1) * b.h.csv_size / chunks), b.h.csv_size,
                                     o->progress_user_data);
        mlp_dataset_free(ds);
    }
    if (st == MLP_OK && b.h.rows == 0)
        st = mlp_data_error(detail, MLP_ERR_PARSE, 0, 0, "%s: no data rows", csv);
    if (st == MLP_OK && (st = write_classes(&b)) != MLP_OK)
        mlp_data_error(detail, st, 0, 0, "%s: cannot write the cache", tmp);
    if (st == MLP_OK &&
        (fseek(b.out, 0, SEEK_SET) != 0 || fwrite(&b.h, sizeof b.h, 1, b.out) != 1))
        st = mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: cannot write", tmp);
    if (b.out && fclose(b.out) != 0 && st == MLP_OK)
        st = mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: cannot write", tmp);
    if (st == MLP_OK && rename(tmp, cache_path) != 0)
        st = mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: cannot rename to %s: %s", tmp,
                            cache_path, strerror(errno));
    if (st != MLP_OK) remove(tmp);
    for (size_t i = 0; i < b.classes.n_classes; i++) mlp_mem_free(b.classes.classes[i]);
    mlp_mem_free(b.classes.classes);
    mlp_mem_free(b.classes.slots);
    mlp_mem_free(tmp);
    return st;
}

/* ------------------------------------------------------------------ reading */

static mlp_status read_at(int fd, void *p, size_t n, uint64_t at)
{
    for (size_t done = 0; done < n;) {
        ssize_t got = pread(fd, (char *)p + done, n - done, (off_t)(at + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return MLP_ERR_IO;
        done += (size_t)got;
    }
    return MLP_OK;
}

static size_t target_size(const mlp_csv_cache *c)
{
    if (!c->h.labelled) return 0;
    return c->h.task == MLP_TASK_CLASSIFY ? (size_t)c->h.n_classes : 1;
}

#define RUN_ROWS 256 /* consecutive records read with one pread */

static mlp_status read_rows(void *user_data, const size_t *records, size_t n, float *inputs,
                            float *targets)
{
    cache_view *v = user_data;
    mlp_csv_cache *c = v->cache;
    size_t n_in = (size_t)c->h.n_in, k = target_size(c), row_bytes = c->row_floats * sizeof(float);
    for (size_t i = 0; i < n;) {
        size_t first = v->records ? v->records[records[i]] : records[i], run = 1;
        while (i + run < n && run < RUN_ROWS &&
               (v->records ? v->records[records[i + run]] : records[i + run]) == first + run)
            run++;
        mlp_status st = read_at(c->fd, c->row, run * row_bytes,
                                sizeof(cache_header) + (uint64_t)first * row_bytes);
        if (st != MLP_OK) return st;
        for (size_t j = 0; j < run; j++, i++) {
            const float *row = c->row + j * c->row_floats;
            memcpy(inputs + i * n_in, row, n_in * sizeof(float));
            if (!k) continue;
            float t = row[n_in];
            if (c->h.task != MLP_TASK_CLASSIFY) {
                targets[i] = t;
                continue;
            }
            size_t id = (size_t)t;
            if (t < 0 || id >= k) return MLP_ERR_FORMAT;
            memset(targets + i * k, 0, k * sizeof(float));
            targets[i * k + c->class_of_id[id]] = 1.0f;
        }
    }
    return c->pre ? mlp_preprocess_apply_rows(c->pre, inputs, n, n_in) : MLP_OK;
}

mlp_status mlp_csv_cache_set_preprocess(mlp_csv_cache *cache, const mlp_preprocess *pre)
{
    if (!cache) return MLP_ERR_NULL_ARG;
    if (pre && mlp_preprocess_input_size(pre) != (size_t)cache->h.n_in)
        return MLP_ERR_DIMENSION;
    cache->pre = pre;
    return MLP_OK;
}

static mlp_status open_file(mlp_csv_cache **out, const char *cache_path, mlp_error_detail *detail)
{
    mlp_csv_cache *c = mlp_mem_calloc(1, sizeof *c);
    if (!c) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    c->fd = open(cache_path, O_RDONLY);
    struct stat sb;
    mlp_status st = MLP_OK;
    if (c->fd < 0 || fstat(c->fd, &sb) != 0 || read_at(c->fd, &c->h, sizeof c->h, 0) != MLP_OK)
        st = MLP_ERR_IO;
    c->row_floats = (size_t)c->h.n_in + (c->h.labelled != 0);
    uint64_t rows_end = sizeof c->h + c->h.rows * c->row_floats * sizeof(float);
    if (st == MLP_OK &&
        (memcmp(c->h.magic, CACHE_MAGIC, sizeof c->h.magic) != 0 || c->h.n_in == 0 ||
         c->h.names_offset != rows_end || c->h.names_offset + c->h.names_bytes !=
                                                (uint64_t)sb.st_size ||
         c->h.n_classes > c->h.names_bytes))
        st = MLP_ERR_FORMAT;
    size_t nc = (size_t)c->h.n_classes;
    char *names = NULL;
    if (st == MLP_OK) {
        c->row = mlp_mem_alloc(RUN_ROWS * c->row_floats * sizeof(float));
        c->class_of_id = mlp_mem_alloc((nc ? nc : 1) * sizeof *c->class_of_id);
        c->classes = mlp_mem_calloc(nc ? nc : 1, sizeof *c->classes);
        names = mlp_mem_alloc((size_t)c->h.names_bytes + 1);
        if (!c->row || !c->class_of_id || !c->classes || !names) st = MLP_ERR_NO_MEMORY;
    }
    if (st == MLP_OK) st = read_at(c->fd, names, (size_t)c->h.names_bytes, c->h.names_offset);
    if (st == MLP_OK) {
        names[c->h.names_bytes] = '\0';
        memcpy(c->class_of_id, names, nc * sizeof *c->class_of_id);
        const char *p = names + nc * sizeof *c->class_of_id, *end = names + c->h.names_bytes;
        for (size_t i = 0; i < nc && st == MLP_OK; i++) {
            if (p >= end || c->class_of_id[i] >= nc) st = MLP_ERR_FORMAT;
            else if (!(c->classes[i] = mlp_mem_strdup(p))) st = MLP_ERR_NO_MEMORY;
            else p += strlen(p) + 1;
        }
    }
    mlp_mem_free(names);
    c->all = (cache_view){c, NULL, (size_t)c->h.rows};
    if (st != MLP_OK) {
        mlp_csv_cache_close(c);
        return mlp_data_error(detail, st, 0, 0, "%s: %s", cache_path,
                              st == MLP_ERR_FORMAT ? "not a libmlp CSV cache, or damaged"
                                                   : mlp_strerror(st));
    }
    *out = c;
    return MLP_OK;
}

/* Whether the cache at cache_path was built from csv as it is now, with these options. */
static int fresh(const char *cache_path, const char *csv, const mlp_csv_options *o)
{
    cache_header now, saved;
    memset(&now, 0, sizeof now);
    int fd = open(cache_path, O_RDONLY);
    if (fd < 0) return 0;
    int ok = read_at(fd, &saved, sizeof saved, 0) == MLP_OK;
    close(fd);
    return ok && csv_identity(csv, &now) && memcmp(saved.magic, CACHE_MAGIC, 8) == 0 &&
           saved.csv_size == now.csv_size && saved.csv_mtime_sec == now.csv_mtime_sec &&
           saved.csv_mtime_nsec == now.csv_mtime_nsec &&
           saved.csv_sample_hash == now.csv_sample_hash &&
           saved.options_hash == options_hash(o);
}

mlp_status mlp_csv_cache_open_ex(mlp_csv_cache **out, const char *csv_path,
                                 const char *cache_path, const mlp_csv_options *options,
                                 size_t chunk_bytes, int *built, mlp_error_detail *detail)
{
    if (!out || !csv_path || !cache_path)
        return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_csv_options o = mlp_csv_options_default();
    if (options) {
        mlp_status st = mlp_read_config(&o, sizeof o, options, MLP_CSV_OPTIONS_MIN_SIZE,
                                        "options", "mlp_csv_options", detail);
        if (st != MLP_OK) return st;
    }
    int rebuild = !fresh(cache_path, csv_path, &o);
    if (built) *built = rebuild;
    if (rebuild) {
        mlp_status st = build(csv_path, cache_path, &o, chunk_bytes, detail);
        if (st != MLP_OK) return st;
    }
    return open_file(out, cache_path, detail);
}

mlp_status mlp_csv_cache_open(mlp_csv_cache **out, const char *csv_path, const char *cache_path,
                              const mlp_csv_options *options, mlp_error_detail *detail)
{
    return mlp_csv_cache_open_ex(out, csv_path, cache_path, options, 0, NULL, detail);
}

void mlp_csv_cache_close(mlp_csv_cache *c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    for (size_t i = 0; c->classes && i < c->h.n_classes; i++) mlp_mem_free(c->classes[i]);
    mlp_mem_free(c->classes);
    mlp_mem_free(c->class_of_id);
    mlp_mem_free(c->split);
    mlp_mem_free(c->row);
    mlp_mem_free(c);
}

size_t mlp_csv_cache_count(const mlp_csv_cache *c) { return c ? (size_t)c->h.rows : 0; }
size_t mlp_csv_cache_input_size(const mlp_csv_cache *c) { return c ? (size_t)c->h.n_in : 0; }
size_t mlp_csv_cache_target_size(const mlp_csv_cache *c) { return c ? target_size(c) : 0; }

const char *mlp_csv_cache_class_name(const mlp_csv_cache *c, size_t k)
{
    return c && c->h.task == MLP_TASK_CLASSIFY && k < c->h.n_classes ? c->classes[k] : NULL;
}

static mlp_source view_source(cache_view *v)
{
    mlp_source s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    s.count = v->count;
    s.read = read_rows;
    s.user_data = v;
    return s;
}

mlp_source mlp_csv_cache_source(mlp_csv_cache *c)
{
    if (!c) {
        mlp_source none;
        memset(&none, 0, sizeof none);
        none.struct_size = sizeof none;
        return none;
    }
    return view_source(&c->all);
}

mlp_status mlp_csv_cache_split(mlp_csv_cache *c, float val_fraction, uint64_t seed,
                               mlp_source *train, mlp_source *val)
{
    return mlp_csv_cache_split_ex(c, val_fraction, seed, train, val, NULL);
}

mlp_status mlp_csv_cache_split_ex(mlp_csv_cache *c, float val_fraction, uint64_t seed,
                                  mlp_source *train, mlp_source *val, mlp_error_detail *detail)
{
    if (!c || !train || !val)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL",
                        !c ? "cache" : !train ? "train" : "val");
    size_t *idx = NULL, nv = 0;
    mlp_status st = mlp_split_indices((size_t)c->h.rows, val_fraction, seed, &idx, &nv,
                                      "the cache", detail);
    if (st != MLP_OK) return st;
    mlp_mem_free(c->split);
    c->split = idx;
    c->val = (cache_view){c, idx, nv};
    c->train = (cache_view){c, idx + nv, (size_t)c->h.rows - nv};
    *train = view_source(&c->train);
    *val = view_source(&c->val);
    return MLP_OK;
}
