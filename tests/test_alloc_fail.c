/* Allocation failure: for every public call below and every k, the k-th allocation the call
 * makes (library, libc, zlib, libcsv, LAPACKE, all alike) fails.
 * Built with ALLOC_VIA_HOOK (suite alloc_hook), the failing allocator is the application's,
 * installed with mlp_set_allocator instead of interposing malloc: then only the library's
 * own allocations fail, every one of them must reach the hook (each call allocates through
 * it), nothing may be absorbed, and it runs under AddressSanitizer too. The call must return
 * NO_MEMORY, leave what it was given unchanged, and leak nothing: every block allocated
 * during the call is freed by the time it returns (or by freeing what it returned).
 * malloc and friends are interposed in this executable, so it cannot run under
 * AddressSanitizer (skipped there, exit 77). Plain main: exit 0 pass, 1 fail. */
#define _GNU_SOURCE /* RTLD_NEXT-free interposition via glibc's __libc_* entry points */
#include "mlp.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#if defined(ALLOC_VIA_HOOK)
/* no interposition: runs everywhere */
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALLOC_SKIP 1
#endif
#endif

#ifndef ALLOC_SKIP
#ifdef ALLOC_VIA_HOOK
#define __libc_malloc malloc /* the test's own blocks: the C library's, untracked */
#define __libc_free free
#else
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);
#endif

/* ------------------------------------------------------------------ the interposer */

/* Live blocks allocated while tracking: an open-addressing set (no allocation of its own). */
#define SLOTS (1u << 16)
static void *live[SLOTS];
static size_t live_count;
static volatile int tracking;
static size_t calls, fail_at; /* fail the fail_at-th allocation (1-based); 0 = never */
static bool failed_one;

static size_t slot_of(void *p)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 40) & (SLOTS - 1);
}

static void live_add(void *p)
{
    size_t i = slot_of(p);
    while (live[i] && live[i] != (void *)1) i = (i + 1) & (SLOTS - 1);
    live[i] = p;
    live_count++;
}

static bool live_remove(void *p)
{
    for (size_t i = slot_of(p); live[i]; i = (i + 1) & (SLOTS - 1))
        if (live[i] == p) {
            live[i] = (void *)1; /* tombstone */
            live_count--;
            return true;
        }
    return false;
}

/* True when this allocation is to fail. */
static bool should_fail(void)
{
    if (!tracking) return false;
    if (++calls == fail_at) {
        failed_one = true;
        errno = ENOMEM;
        return true;
    }
    return false;
}

static void *track(void *p)
{
    if (p && tracking) live_add(p);
    return p;
}

#ifdef ALLOC_VIA_HOOK
static void *hook_alloc(size_t size, void *user)
{
    (void)user;
    return should_fail() ? NULL : track(malloc(size));
}

static void *hook_realloc(void *p, size_t size, void *user)
{
    (void)user;
    if (should_fail()) return NULL;
    bool was_live = tracking && live_remove(p); /* before realloc may free p */
    void *q = realloc(p, size);
    if (!q && was_live) live_add(p);
    return track(q);
}

static void hook_free(void *p, void *user)
{
    (void)user;
    if (tracking) live_remove(p);
    free(p);
}

/* The installation rules, checked before the hook goes in for the rest of the run. */
static int check_install_rules(void)
{
    static int tag;
    mlp_allocator a = {sizeof a, hook_alloc, hook_realloc, hook_free, &tag};
    mlp_allocator no_free = {sizeof no_free, hook_alloc, hook_realloc, NULL, &tag};
    mlp_allocator unsized = {0, hook_alloc, hook_realloc, hook_free, &tag};
    int bad = 0;
    if (mlp_set_allocator(NULL) != MLP_ERR_NULL_ARG) bad = printf("FAIL set_allocator(NULL)\n");
    if (mlp_set_allocator(&no_free) != MLP_ERR_NULL_ARG)
        bad = printf("FAIL set_allocator without free\n");
    if (mlp_set_allocator(&unsized) != MLP_ERR_INVALID_ARG)
        bad = printf("FAIL set_allocator with struct_size 0\n");
    if (mlp_set_allocator(&a) != MLP_OK) bad = printf("FAIL set_allocator\n");
    if (mlp_set_allocator(&a) != MLP_ERR_STATE) bad = printf("FAIL set_allocator twice\n");
    return bad != 0;
}
#else

void *malloc(size_t size)
{
    return should_fail() ? NULL : track(__libc_malloc(size));
}

void *calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : track(__libc_calloc(n, size));
}

void *realloc(void *p, size_t size)
{
    if (should_fail()) return NULL;
    void *q = __libc_realloc(p, size);
    if (q && p && tracking) live_remove(p);
    return track(q);
}

void free(void *p)
{
    if (p && tracking) live_remove(p);
    __libc_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (should_fail()) return ENOMEM;
    void *p = track(__libc_memalign(alignment, size));
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    return should_fail() ? NULL : track(__libc_memalign(alignment, size));
}

void *memalign(size_t alignment, size_t size)
{
    return should_fail() ? NULL : track(__libc_memalign(alignment, size));
}
#endif

/* ------------------------------------------------------------------ fixtures */

enum { N_IN = 6, N_HID = 40, N_OUT = 3, N_REC = 24 };
static const size_t sizes[] = {N_IN, N_HID, N_OUT};
static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};
static float xs[N_REC * N_IN], ys[N_REC * N_OUT];
static char dir[64], model_path[128], csv_path[128], img_path[128], lbl_path[128],
    img_gz_path[128], save_path[128], table_model_path[128];
static mlp_table *base_table;         /* csv_path as a table */
static mlp_table_encoding *base_enc;  /* fitted on it */

static mlp_net *base_net;        /* never changed by a case */
static mlp_preprocess *base_pre;
static mlp_optimizer *base_opt;
static mlp_dataset *base_ds;

static int failures;
static size_t points;   /* failure points exercised, over every case */
static size_t absorbed; /* of which libc or a best-effort step absorbed */

static void die(const char *what)
{
    printf("FAIL setup: %s\n", what);
    exit(1);
}

static mlp_net *new_net(mlp_activation out_act)
{
    const mlp_activation a[] = {MLP_ACT_TANH, out_act};
    mlp_net *net = NULL;
    if (mlp_net_create(&net, 2, sizes, a, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(net, MLP_INIT_AUTO, 5) != MLP_OK)
        die("net");
    return net;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) die(path);
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *b = __libc_malloc(1 << 20);
    *n = fread(b, 1, 1 << 20, f);
    fclose(f);
    return b;
}

static void make_files(void)
{
    snprintf(dir, sizeof dir, "/tmp/mlp_allocXXXXXX");
    if (!mkdtemp(dir)) die("mkdtemp");
    snprintf(model_path, sizeof model_path, "%s/model.mlp", dir);
    snprintf(save_path, sizeof save_path, "%s/saved.mlp", dir);
    snprintf(csv_path, sizeof csv_path, "%s/data.csv", dir);
    snprintf(img_path, sizeof img_path, "%s/img.idx", dir);
    snprintf(lbl_path, sizeof lbl_path, "%s/lbl.idx", dir);
    snprintf(img_gz_path, sizeof img_gz_path, "%s/img.idx.gz", dir);
    if (mlp_model_write_parts(model_path, base_net, base_pre, base_opt, 3, NULL) != MLP_OK) die("save");
    if (mlp_model_write_parts(save_path, base_net, NULL, NULL, 0, NULL) != MLP_OK) die("save");
    /* A header, a long line (getline grows its buffer), quoted fields, three classes. */
    char csv[8192];
    size_t n = (size_t)snprintf(csv, sizeof csv, "a,b,\"c, quoted\",d,e,f,label\n");
    for (int r = 0; r < 30; r++)
        n += (size_t)snprintf(csv + n, sizeof csv - n, "%d.%0200d,2,3,4,5,%d,%s\n", r, 0, r % 7,
                              r % 3 == 0 ? "cat" : r % 3 == 1 ? "dog" : "\"e,mu\"");
    write_file(csv_path, csv, n);
    unsigned char img[16 + 5 * 4], lbl[8 + 5];
    memcpy(img, "\0\0\x08\x03\0\0\0\x05\0\0\0\x02\0\0\0\x02", 16);
    for (int i = 0; i < 20; i++) img[16 + i] = (unsigned char)(i * 13);
    memcpy(lbl, "\0\0\x08\x01\0\0\0\x05", 8);
    for (int i = 0; i < 5; i++) lbl[8 + i] = (unsigned char)(i % 3);
    write_file(img_path, img, sizeof img);
    write_file(lbl_path, lbl, sizeof lbl);
    gzFile gz = gzopen(img_gz_path, "wb");
    if (!gz || gzwrite(gz, img, sizeof img) != (int)sizeof img || gzclose(gz) != Z_OK) die("gz");
    /* The CSV as a table, an encoding fitted on it, and a model file that carries it. */
    mlp_table_options o = mlp_table_options_default();
    o.label = "label";
    if (mlp_table_open(&base_table, csv_path, NULL, NULL) != MLP_OK ||
        mlp_table_encoding_fit(&base_enc, base_table, &o, NULL) != MLP_OK)
        die("table");
    snprintf(table_model_path, sizeof table_model_path, "%s/table.mlp", dir);
    size_t tsizes[] = {mlp_table_encoding_input_size(base_enc), 3};
    mlp_activation tact = MLP_ACT_SOFTMAX;
    mlp_net *tnet = NULL;
    mlp_preprocess *tpre = NULL;
    if (mlp_net_create(&tnet, 1, tsizes, &tact, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_preprocess_create(&tpre, tsizes[0]) != MLP_OK ||
        mlp_preprocess_set_encoding(tpre, base_enc) != MLP_OK ||
        mlp_model_write_parts(table_model_path, tnet, tpre, NULL, 0, NULL) != MLP_OK)
        die("table model");
    mlp_preprocess_free(tpre);
    mlp_net_free(tnet);
}

static void remove_files(void)
{
    const char *paths[] = {model_path, save_path, csv_path, img_path, lbl_path, img_gz_path,
                           table_model_path};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) unlink(paths[i]);
    rmdir(dir);
}

/* ------------------------------------------------------------------ cases */

/* A case runs one public call (tracked) into its outputs; `unchanged` checks the inputs it
 * may not alter after a failure; `release` frees what a successful call returned. */
typedef struct ctx {
    void *out[3];
    mlp_net *net;       /* a working copy for calls that change a net */
    mlp_optimizer *opt;
    mlp_workspace *ws;
    float *before;      /* the working copy's parameters before the call */
    size_t before_n;
    mlp_model *model;   /* for the model-handle calls */
} ctx;

typedef struct alloc_case {
    const char *name;
    void (*prepare)(ctx *c);                 /* untracked */
    mlp_status (*run)(ctx *c);               /* tracked, failure injected */
    bool (*unchanged)(ctx *c);               /* after a failure; NULL: outputs only */
    void (*release)(ctx *c);                 /* untracked: frees outputs and the copy */
    /* Where libc or the library may absorb a failure (stdio falls back to an unbuffered
     * stream; the save's clean-up of stale temporaries is best effort): true when an OK
     * result after a failure is the whole result of a run without one. NULL: never. */
    bool (*absorbed)(ctx *c);
} alloc_case;

#define SENTINEL ((void *)0x5e)

static void prep_none(ctx *c)
{
    for (int i = 0; i < 3; i++) c->out[i] = SENTINEL;
}

static bool outputs_untouched(ctx *c)
{
    for (int i = 0; i < 3; i++)
        if (c->out[i] != SENTINEL) return false;
    return true;
}

static void snapshot(ctx *c)
{
    c->before_n = mlp_net_param_count(c->net);
    c->before = __libc_malloc(c->before_n * sizeof(float));
    memcpy(c->before, mlp_net_params(c->net), c->before_n * sizeof(float));
}

static bool params_unchanged(ctx *c)
{
    return memcmp(c->before, mlp_net_params(c->net), c->before_n * sizeof(float)) == 0;
}

static void release_all(ctx *c)
{
    mlp_net_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    mlp_preprocess_free(c->out[1] != SENTINEL ? c->out[1] : NULL);
    mlp_optimizer_free(c->out[2] != SENTINEL ? c->out[2] : NULL);
    mlp_workspace_free(c->ws);
    mlp_optimizer_free(c->opt);
    mlp_net_free(c->net);
    mlp_model_free(c->model);
    __libc_free(c->before);
    memset(c, 0, sizeof *c);
}

static void release_dataset(ctx *c)
{
    mlp_dataset_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    mlp_dataset_free(c->out[1] != SENTINEL ? c->out[1] : NULL);
    c->out[0] = c->out[1] = SENTINEL;
    release_all(c);
}

static void release_ws(ctx *c)
{
    mlp_workspace_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    c->out[0] = SENTINEL;
    release_all(c);
}

static mlp_status run_create(ctx *c)
{
    return mlp_net_create((mlp_net **)&c->out[0], 2, sizes, acts, MLP_BIAS_PER_NEURON);
}

static mlp_status run_clone(ctx *c)
{
    return mlp_net_clone((mlp_net **)&c->out[0], base_net);
}

static void prep_copy(ctx *c)
{
    prep_none(c);
    if (mlp_net_clone(&c->net, base_net) != MLP_OK) die("clone");
    snapshot(c);
}

static mlp_status run_init_orthogonal(ctx *c)
{
    return mlp_net_init(c->net, MLP_INIT_ORTHOGONAL, 9);
}

static mlp_status run_workspace(ctx *c)
{
    return mlp_workspace_create((mlp_workspace **)&c->out[0], base_net, 16);
}

static void prep_ws(ctx *c)
{
    prep_copy(c);
    if (mlp_workspace_create(&c->ws, base_net, 4) != MLP_OK) die("workspace");
}

static void prep_inference_ws(ctx *c)
{
    prep_copy(c);
    if (mlp_workspace_create_inference(&c->ws, base_net, 4) != MLP_OK) die("workspace");
}

static mlp_status run_dropout(ctx *c)
{
    return mlp_workspace_set_dropout(c->ws, 0.3f, 1);
}

static mlp_status run_threads(ctx *c)
{
    return mlp_workspace_set_threads(c->ws, 3);
}

static mlp_status run_optimizer(ctx *c)
{
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    return mlp_optimizer_create((mlp_optimizer **)&c->out[0], base_net, &oc);
}

static void release_opt_out(ctx *c)
{
    mlp_optimizer_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    c->out[0] = SENTINEL;
    release_all(c);
}

static mlp_status run_load(ctx *c)
{
    return mlp_model_open_parts(model_path, (mlp_net **)&c->out[0], (mlp_preprocess **)&c->out[1],
                          (mlp_optimizer **)&c->out[2], NULL, NULL);
}

/* The model file's bytes (untracked), for mlp_model_open_parts_mem. */
static unsigned char *model_bytes;
static size_t model_len;

static void prep_load_mem(ctx *c)
{
    prep_none(c);
    if (!model_bytes && !(model_bytes = read_file(model_path, &model_len))) die("read model");
}

static mlp_status run_load_mem(ctx *c)
{
    return mlp_model_open_parts_mem(model_bytes, model_len, (mlp_net **)&c->out[0],
                              (mlp_preprocess **)&c->out[1], (mlp_optimizer **)&c->out[2],
                              NULL, NULL);
}

/* mlp_model_write_parts_mem's buffer goes to out[0], its size to mem_size; release_mem frees the
 * buffer with mlp_free. */
#define MEM_SIZE_UNSET ((size_t)12345)
static size_t mem_size;

static mlp_status run_save_mem(ctx *c)
{
    mem_size = MEM_SIZE_UNSET;
    return mlp_model_write_parts_mem(&c->out[0], &mem_size, base_net, base_pre, base_opt, 7);
}

static bool save_mem_unchanged(ctx *c)
{
    return outputs_untouched(c) && mem_size == MEM_SIZE_UNSET;
}

static void release_mem(ctx *c)
{
    mlp_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    c->out[0] = SENTINEL;
    release_all(c);
}

static mlp_status run_csv(ctx *c)
{
    return mlp_dataset_open_csv((mlp_dataset **)&c->out[0], csv_path, NULL, NULL);
}

static mlp_status run_idx(ctx *c)
{
    return mlp_dataset_open_idx((mlp_dataset **)&c->out[0], img_path, lbl_path, 0, NULL);
}

static mlp_status run_idx_gz(ctx *c)
{
    return mlp_dataset_open_idx((mlp_dataset **)&c->out[0], img_gz_path, lbl_path, 0, NULL);
}

static mlp_status run_table_load(ctx *c)
{
    return mlp_table_open((mlp_table **)&c->out[0], csv_path, NULL, NULL);
}

static void release_tables(ctx *c)
{
    mlp_table_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    mlp_table_free(c->out[1] != SENTINEL ? c->out[1] : NULL);
    c->out[0] = c->out[1] = SENTINEL;
    release_all(c);
}

/* libcsv retries a failed buffer growth with a smaller step: a complete table is right. */
static bool table_complete(ctx *c)
{
    const mlp_table *a = c->out[0], *b = base_table;
    if (!a || a == SENTINEL || mlp_table_row_count(a) != mlp_table_row_count(b) ||
        mlp_table_column_count(a) != mlp_table_column_count(b))
        return false;
    for (size_t r = 0; r < mlp_table_row_count(b); r++)
        for (size_t j = 0; j < mlp_table_column_count(b); j++)
            if (strcmp(mlp_table_cell(a, r, j), mlp_table_cell(b, r, j)) != 0) return false;
    return true;
}

/* Sorting categories falls back to an in-place sort without memory: the same encoding. */
static bool encoding_complete(ctx *c)
{
    const mlp_table_encoding *a = c->out[0], *b = base_enc;
    if (!a || a == SENTINEL ||
        mlp_table_encoding_input_size(a) != mlp_table_encoding_input_size(b) ||
        mlp_table_encoding_class_count(a) != mlp_table_encoding_class_count(b))
        return false;
    for (size_t j = 0; j < mlp_table_encoding_column_count(b); j++)
        for (size_t k = 0; k < mlp_table_encoding_column_width(b, j); k++) {
            const char *x = mlp_table_encoding_category(a, j, k);
            const char *y = mlp_table_encoding_category(b, j, k);
            if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) return false;
        }
    for (size_t k = 0; k < mlp_table_encoding_class_count(b); k++)
        if (strcmp(mlp_table_encoding_class_name(a, k), mlp_table_encoding_class_name(b, k)))
            return false;
    return true;
}

static mlp_status run_table_split(ctx *c)
{
    return mlp_table_split(base_table, 0.25f, 3, (mlp_table **)&c->out[0],
                           (mlp_table **)&c->out[1]);
}

static mlp_status run_table_fit(ctx *c)
{
    mlp_table_options o = mlp_table_options_default();
    o.label = "label";
    return mlp_table_encoding_fit((mlp_table_encoding **)&c->out[0], base_table, &o, NULL);
}

/* Column f's 7 codes as categories, the 2 most frequent kept (the count and the choice). */
static mlp_status run_table_fit_capped(ctx *c)
{
    mlp_table_fit_options o = mlp_table_fit_options_default();
    o.label = "label";
    o.categorical = "f";
    o.max_categories = 2;
    return mlp_table_encoding_fit_ex((mlp_table_encoding **)&c->out[0], base_table, &o, NULL);
}

static void release_encoding(ctx *c)
{
    mlp_table_encoding_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    c->out[0] = SENTINEL;
    release_all(c);
}

static mlp_status run_table_encode(ctx *c)
{
    return mlp_table_encode(base_enc, base_table, (mlp_dataset **)&c->out[0], NULL, NULL);
}

static mlp_status run_table_model_load(ctx *c)
{
    return mlp_model_open_parts(table_model_path, (mlp_net **)&c->out[0],
                          (mlp_preprocess **)&c->out[1], NULL, NULL, NULL);
}

static mlp_status run_split(ctx *c)
{
    return mlp_dataset_split(base_ds, 0.25f, 3, (mlp_dataset **)&c->out[0],
                             (mlp_dataset **)&c->out[1]);
}

static void prep_train(ctx *c, mlp_optimizer_kind kind)
{
    prep_copy(c);
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    if (mlp_optimizer_create(&c->opt, c->net, &oc) != MLP_OK) die("optimizer");
}

static void prep_adam(ctx *c) { prep_train(c, MLP_OPT_ADAM); }
static void prep_sgd(ctx *c) { prep_train(c, MLP_OPT_SGD); }

static bool train_unchanged(ctx *c)
{
    size_t n;
    const float *s = mlp_optimizer_state_const(c->opt, &n);
    for (size_t i = 0; i < n; i++)
        if (s[i] != 0.0f) return false;
    return params_unchanged(c) && mlp_optimizer_step_count(c->opt) == 0;
}

static mlp_status run_train_minibatch(ctx *c)
{
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 2;
    tc.batch_size = 8;
    tc.dropout = 0.2f;
    return mlp_train(c->net, c->opt, xs, ys, N_REC - 8, xs, ys, 8, &tc, NULL);
}

static mlp_status run_train_stochastic(ctx *c)
{
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 2;
    tc.batch_size = 1;
    return mlp_train(c->net, c->opt, xs, ys, N_REC, NULL, NULL, 0, &tc, NULL);
}

/* A callback source over xs/ys (rows of the net's input and output widths). */
static mlp_status read_xy(void *user, const size_t *records, size_t n, float *inputs,
                          float *targets)
{
    (void)user;
    for (size_t i = 0; i < n; i++) {
        memcpy(inputs + i * N_IN, xs + records[i] * N_IN, N_IN * sizeof(float));
        memcpy(targets + i * N_OUT, ys + records[i] * N_OUT, N_OUT * sizeof(float));
    }
    return MLP_OK;
}

static mlp_status run_train_source(ctx *c)
{
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 2;
    tc.batch_size = 1;
    mlp_source train = {.struct_size = sizeof train, .count = N_REC - 8, .read = read_xy};
    mlp_source val = {.struct_size = sizeof val, .count = 8, .read = read_xy};
    return mlp_train_source(c->net, c->opt, &train, &val, &tc, NULL, NULL);
}

static mlp_status run_save(ctx *c)
{
    (void)c;
    return mlp_model_write_parts(save_path, base_net, base_pre, base_opt, 7, NULL);
}

static unsigned char *saved_before;
static size_t saved_len;

static void prep_save(ctx *c)
{
    prep_none(c);
    if (mlp_model_write_parts(save_path, base_net, NULL, NULL, 0, NULL) != MLP_OK) die("save");
    __libc_free(saved_before);
    saved_before = read_file(save_path, &saved_len);
}

static bool save_unchanged(ctx *c)
{
    (void)c;
    size_t n;
    unsigned char *now = read_file(save_path, &n);
    bool same = now && n == saved_len && memcmp(now, saved_before, n) == 0;
    __libc_free(now);
    /* No temporary file beside it either: the seven fixtures only. */
    size_t entries = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) entries += e->d_name[0] != '.';
    if (d) closedir(d);
    return same && entries == 7;
}

static unsigned char *saved_reference;
static size_t saved_reference_len;

static bool save_complete(ctx *c)
{
    (void)c;
    size_t n;
    unsigned char *now = read_file(save_path, &n);
    bool same = now && n == saved_reference_len && memcmp(now, saved_reference, n) == 0;
    __libc_free(now);
    return same;
}

static mlp_dataset *csv_reference;

static bool csv_complete(ctx *c)
{
    const mlp_dataset *a = c->out[0], *b = csv_reference;
    size_t n = mlp_dataset_count(b), ni = mlp_dataset_input_size(b), nt = mlp_dataset_target_size(b);
    return a && a != SENTINEL && mlp_dataset_count(a) == n && mlp_dataset_input_size(a) == ni &&
           mlp_dataset_target_size(a) == nt &&
           memcmp(mlp_dataset_inputs_const(a), mlp_dataset_inputs_const(b), n * ni * sizeof(float)) == 0 &&
           memcmp(mlp_dataset_targets_const(a), mlp_dataset_targets_const(b), n * nt * sizeof(float)) == 0;
}

static void prep_refit(ctx *c)
{
    prep_none(c);
    c->net = new_net(MLP_ACT_LINEAR);
    snapshot(c);
}

static mlp_status run_refit(ctx *c)
{
    return mlp_refit_output_layer(c->net, xs, ys, N_REC, 0.1f);
}

static mlp_status run_pre_fit(ctx *c)
{
    (void)c;
    return mlp_preprocess_fit(base_pre, base_ds, MLP_SCALE_STANDARD);
}

static mlp_status run_pre_clone(ctx *c)
{
    return mlp_preprocess_clone((mlp_preprocess **)&c->out[1], base_pre);
}

/* The model handle: a model built on base_ds, its parameters in c->before. */
static float pred_out[N_REC * N_OUT];
static size_t pred_classes[N_REC];

static void prep_model(ctx *c)
{
    prep_none(c);
    mlp_model_config mc = mlp_model_config_default();
    mc.task = MLP_TASK_CLASSIFY;
    if (mlp_model_build(&c->model, base_ds, &mc) != MLP_OK) die("model");
    c->before_n = mlp_net_param_count(mlp_model_net(c->model));
    c->before = __libc_malloc(c->before_n * sizeof(float));
    memcpy(c->before, mlp_net_params_const(mlp_model_net(c->model)), c->before_n * sizeof(float));
    for (size_t i = 0; i < N_REC * N_OUT; i++) pred_out[i] = -7.0f;
    for (size_t i = 0; i < N_REC; i++) pred_classes[i] = 99;
}

static bool model_unchanged(ctx *c)
{
    for (size_t i = 0; i < N_REC * N_OUT; i++)
        if (pred_out[i] != -7.0f) return false;
    for (size_t i = 0; i < N_REC; i++)
        if (pred_classes[i] != 99) return false;
    return outputs_untouched(c) &&
           mlp_optimizer_step_count(mlp_model_optimizer(c->model)) == 0 &&
           memcmp(c->before, mlp_net_params_const(mlp_model_net(c->model)),
                  c->before_n * sizeof(float)) == 0;
}

static void release_model_out(ctx *c)
{
    mlp_model_free(c->out[0] != SENTINEL ? c->out[0] : NULL);
    c->out[0] = SENTINEL;
    release_all(c);
}

static mlp_status run_model_open(ctx *c)
{
    return mlp_model_open((mlp_model **)&c->out[0], model_path, NULL, NULL);
}

static mlp_status run_model_open_mem(ctx *c)
{
    return mlp_model_open_mem((mlp_model **)&c->out[0], model_bytes, model_len, NULL, NULL);
}

static mlp_status run_model_build(ctx *c)
{
    return mlp_model_build((mlp_model **)&c->out[0], base_ds, NULL);
}

static mlp_status run_model_predict(ctx *c)
{
    return mlp_model_predict(c->model, xs, N_REC, pred_out);
}

static mlp_status run_model_classify(ctx *c)
{
    return mlp_model_classify(c->model, xs, N_REC, pred_classes);
}

static mlp_status run_model_train(ctx *c)
{
    return mlp_model_train(c->model, base_ds, base_ds, NULL, NULL);
}

static mlp_status run_model_evaluate(ctx *c)
{
    mlp_model_metrics met = {.struct_size = sizeof met};
    return mlp_model_evaluate(c->model, NULL, base_ds, &met, NULL, NULL);
}

static mlp_status run_model_classify_ex(ctx *c)
{
    return mlp_model_classify_ex(c->model, xs, N_REC, pred_classes, pred_out, NULL);
}

static mlp_status run_model_table_inputs(ctx *c)
{
    return mlp_model_table_inputs(c->model, base_table, NULL, (mlp_dataset **)&c->out[1],
                                  NULL, NULL);
}

/* A model without a table encoding: base_table read as numbers. */
static void prep_table_model(ctx *c)
{
    prep_none(c);
    if (mlp_model_create(&c->model, new_net(MLP_ACT_SOFTMAX), NULL, NULL) != MLP_OK)
        die("model");
}

static mlp_status run_dataset_create_classes(ctx *c)
{
    size_t labels[N_REC];
    for (size_t i = 0; i < N_REC; i++) labels[i] = i % N_OUT;
    return mlp_dataset_create_classes((mlp_dataset **)&c->out[1], N_REC, N_IN, xs, labels,
                                      N_OUT, NULL, NULL);
}

static mlp_status run_file_write_atomic(ctx *c)
{
    (void)c;
    return mlp_file_write_atomic(save_path, xs, sizeof xs, NULL);
}

/* The clean-up of stale temporaries is best effort: the write itself is whole. */
static bool atomic_complete(ctx *c)
{
    (void)c;
    size_t n;
    unsigned char *now = read_file(save_path, &n);
    bool same = now && n == sizeof xs && memcmp(now, xs, n) == 0;
    __libc_free(now);
    return same;
}

static const alloc_case cases[] = {
    {"mlp_net_create", prep_none, run_create, NULL, release_all, NULL},
    {"mlp_net_clone", prep_none, run_clone, NULL, release_all, NULL},
    {"mlp_net_init (orthogonal, LAPACKE)", prep_copy, run_init_orthogonal, params_unchanged, release_all, NULL},
    {"mlp_workspace_create", prep_none, run_workspace, NULL, release_ws, NULL},
    {"mlp_workspace_set_dropout", prep_ws, run_dropout, NULL, release_all, NULL},
    {"mlp_workspace_set_threads", prep_ws, run_threads, NULL, release_all, NULL},
    {"mlp_workspace_set_threads (inference: packed weights)", prep_inference_ws, run_threads,
     NULL, release_all, NULL},
    {"mlp_optimizer_create", prep_none, run_optimizer, NULL, release_opt_out, NULL},
    {"mlp_model_open_parts", prep_none, run_load, NULL, release_all, NULL},
    {"mlp_model_open_parts_mem", prep_load_mem, run_load_mem, NULL, release_all, NULL},
    {"mlp_model_write_parts_mem", prep_none, run_save_mem, save_mem_unchanged, release_mem, NULL},
    {"mlp_dataset_open_csv", prep_none, run_csv, NULL, release_dataset, csv_complete},
    {"mlp_dataset_open_idx", prep_none, run_idx, NULL, release_dataset, NULL},
    {"mlp_dataset_open_idx (gzip)", prep_none, run_idx_gz, NULL, release_dataset, NULL},
    {"mlp_dataset_split", prep_none, run_split, NULL, release_dataset, NULL},
    {"mlp_table_open", prep_none, run_table_load, NULL, release_tables, table_complete},
    {"mlp_table_split", prep_none, run_table_split, NULL, release_tables, NULL},
    {"mlp_table_encoding_fit", prep_none, run_table_fit, NULL, release_encoding, encoding_complete},
    {"mlp_table_encoding_fit_ex (categories capped)", prep_none, run_table_fit_capped, NULL,
     release_encoding, encoding_complete},
    {"mlp_table_encode", prep_none, run_table_encode, NULL, release_dataset, NULL},
    {"mlp_model_open_parts (table encoding)", prep_none, run_table_model_load, NULL, release_all, NULL},
    {"mlp_preprocess_fit", prep_none, run_pre_fit, NULL, release_all, NULL},
    {"mlp_preprocess_clone", prep_none, run_pre_clone, NULL, release_all, NULL},
    {"mlp_train (adam, minibatch, dropout, validation)", prep_adam, run_train_minibatch, train_unchanged, release_all, NULL},
    {"mlp_train (sgd, stochastic)", prep_sgd, run_train_stochastic, train_unchanged, release_all, NULL},
    {"mlp_train_source (sgd, callback, validation)", prep_sgd, run_train_source, train_unchanged, release_all, NULL},
    {"mlp_model_write_parts", prep_save, run_save, save_unchanged, release_all, save_complete},
    {"mlp_refit_output_layer", prep_refit, run_refit, params_unchanged, release_all, NULL},
    {"mlp_model_open", prep_none, run_model_open, NULL, release_model_out, NULL},
    {"mlp_model_open_mem", prep_load_mem, run_model_open_mem, NULL, release_model_out, NULL},
    {"mlp_model_build", prep_none, run_model_build, NULL, release_model_out, NULL},
    {"mlp_model_predict", prep_model, run_model_predict, model_unchanged, release_all, NULL},
    {"mlp_model_classify", prep_model, run_model_classify, model_unchanged, release_all, NULL},
    {"mlp_model_train", prep_model, run_model_train, model_unchanged, release_all, NULL},
    {"mlp_model_evaluate", prep_model, run_model_evaluate, model_unchanged, release_all, NULL},
    {"mlp_model_classify_ex", prep_model, run_model_classify_ex, model_unchanged, release_all, NULL},
    {"mlp_model_table_inputs", prep_table_model, run_model_table_inputs, NULL, release_dataset, NULL},
    {"mlp_dataset_create_classes", prep_none, run_dataset_create_classes, NULL, release_dataset, NULL},
    {"mlp_file_write_atomic", prep_none, run_file_write_atomic, NULL, release_all, atomic_complete},
};

/* Runs the call with the k-th allocation failing; returns false once k is past its last. */
static bool run_with_failure(const alloc_case *t, size_t k)
{
    ctx c;
    memset(&c, 0, sizeof c);
    t->prepare(&c);
    calls = 0;
    fail_at = k;
    failed_one = false;
    live_count = 0;
    memset(live, 0, sizeof live);
    tracking = 1;
    mlp_status st = t->run(&c);
    tracking = 0;
    bool reached = failed_one;
    bool ok = true;
#ifdef ALLOC_VIA_HOOK
    if (k == 1 && !reached) { /* every call below allocates: through the hook it must */
        printf("FAIL %s: no allocation reached the application's allocator\n", t->name);
        ok = false;
    }
#endif
    if (!reached) {
        if (st != MLP_OK) {
            printf("FAIL %s: status %s with no allocation failing\n", t->name, mlp_strerror(st));
            ok = false;
        }
    } else if (st == MLP_OK && t->absorbed && t->absorbed(&c)) {
        absorbed++; /* libc's fallbacks: with the hook, best-effort clean-up steps only */
    } else if (st != MLP_ERR_NO_MEMORY) {
        printf("FAIL %s: allocation %zu failed, status %s\n", t->name, k, mlp_strerror(st));
        ok = false;
    } else if (!(t->unchanged ? t->unchanged(&c) : outputs_untouched(&c))) {
        printf("FAIL %s: allocation %zu failed and the inputs or outputs changed\n", t->name, k);
        ok = false;
    }
    /* Freeing what the call returned must bring every block back (tracked frees). */
    tracking = 1;
    t->release(&c);
    tracking = 0;
    if (live_count) {
        printf("FAIL %s: allocation %zu failed, %zu blocks leaked\n", t->name, k, live_count);
        ok = false;
    }
    if (!ok) failures++;
    return reached && ok;
}

int main(void)
{
#ifdef ALLOC_VIA_HOOK
    if (check_install_rules()) return 1;
#endif
    for (size_t i = 0; i < N_REC * N_IN; i++) xs[i] = (float)((i * 37 % 101) / 50.0 - 1.0);
    for (size_t r = 0; r < N_REC; r++)
        for (size_t j = 0; j < N_OUT; j++) ys[r * N_OUT + j] = (float)(j == r % N_OUT);
    base_net = new_net(MLP_ACT_SOFTMAX);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    if (mlp_optimizer_create(&base_opt, base_net, &oc) != MLP_OK) die("optimizer");
    const char *names[] = {"a", "b", "c"};
    if (mlp_preprocess_create(&base_pre, N_IN) != MLP_OK ||
        mlp_preprocess_set_label_info(base_pre, MLP_TASK_CLASSIFY, "label", 6, 3, names) != MLP_OK)
        die("preprocess");
    if (mlp_dataset_create(&base_ds, N_REC, N_IN, N_OUT) != MLP_OK) die("dataset");
    memcpy(mlp_dataset_inputs(base_ds), xs, sizeof xs);
    memcpy(mlp_dataset_targets(base_ds), ys, sizeof ys);
    make_files();
    /* Every case once without failures: OpenBLAS's lazy buffers and threads exist after. */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ctx c;
        memset(&c, 0, sizeof c);
        cases[i].prepare(&c);
        if (cases[i].run(&c) != MLP_OK) die(cases[i].name);
        if (cases[i].run == run_csv) { /* the reference result */
            csv_reference = c.out[0];
            c.out[0] = SENTINEL;
        }
        if (cases[i].run == run_save) saved_reference = read_file(save_path, &saved_reference_len);
        cases[i].release(&c);
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int before = failures;
        size_t k = 1;
        while (run_with_failure(&cases[i], k)) k++;
        points += k - 1;
        if (failures == before) printf("ok   %-50s %zu allocation failure points\n", cases[i].name, k - 1);
    }
    remove_files();
    __libc_free(saved_before);
    __libc_free(model_bytes);
    mlp_dataset_free(base_ds);
    mlp_preprocess_free(base_pre);
    mlp_optimizer_free(base_opt);
    mlp_net_free(base_net);
    printf("%zu allocation failure points (%zu absorbed by libc's fallbacks or best-effort "
           "clean-up, with a complete result), %d failures\n", points, absorbed, failures);
    mlp_dataset_free(csv_reference);
    mlp_table_encoding_free(base_enc);
    mlp_table_free(base_table);
    __libc_free(saved_reference);
    return failures ? 1 : 0;
}
#else
#include <stdio.h>
int main(void)
{
    printf("skipped: malloc cannot be interposed under a sanitizer\n");
    return 77;
}
#endif
