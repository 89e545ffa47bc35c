/* Internal declarations shared by the files of lib/; never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "mlp.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- rng.c: xoshiro256** seeded by splitmix64; state lives in the object using it. */
typedef struct mlp_rng {
    uint64_t s[4];
} mlp_rng;

void mlp_rng_seed(mlp_rng *rng, uint64_t seed);
uint64_t mlp_rng_next(mlp_rng *rng);
/* Uniform in [0, 1). */
float mlp_rng_uniform(mlp_rng *rng);
/* Standard normal (Box-Muller). */
float mlp_rng_normal(mlp_rng *rng);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t mlp_rng_below(mlp_rng *rng, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void mlp_rng_shuffle(mlp_rng *rng, size_t *idx, size_t n);

/* ---- mem.c: every allocation goes through these (the allocator of mlp_set_allocator or
 * the C library's); never malloc/calloc/realloc/free directly (tests/raw_alloc.sh).
 * mlp_mem_calloc checks count * size for overflow; blocks of mlp_mem_aligned_alloc (align a
 * power of two >= sizeof(void *)) go back through mlp_mem_aligned_free only. */
void *mlp_mem_alloc(size_t size);
void *mlp_mem_calloc(size_t count, size_t size);
void *mlp_mem_realloc(void *ptr, size_t size);
void mlp_mem_free(void *ptr);
/* Grows the array *p of *cap elements of elem bytes to hold need (doubling, from 16);
 * 1 on success, 0 on overflow or allocation failure (*p and *cap unchanged). */
int mlp_mem_grow(void **p, size_t *cap, size_t need, size_t elem);
void *mlp_mem_aligned_alloc(size_t align, size_t size);
void mlp_mem_aligned_free(void *ptr);
/* strdup through the allocator; NULL for NULL or on allocation failure. */
char *mlp_mem_strdup(const char *s);

/* ---- net.c */
struct mlp_net {
    size_t n_layers;
    size_t *sizes;              /* n_layers + 1 */
    mlp_activation *activations;/* n_layers */
    mlp_bias_mode bias_mode;
    size_t *weights_offset;     /* n_layers */
    size_t *bias_offset;        /* n_layers; SIZE_MAX without bias */
    size_t param_count;
    size_t max_width;           /* max over sizes[] */
    uint64_t topology_hash;     /* of n_layers, sizes, activations, bias mode */
    float *params;
    mlp_rng rng;
    mlp_precision trained_precision; /* of the last training step (model files record it) */
    uint64_t param_version;     /* mlp_net_param_version: bumped wherever params may change */
    uint64_t identity;          /* drawn at creation: see mlp_net_stamp */
    struct mlp_int8_net *int8;  /* int8 weights (mlp_net_quantize); NULL: not quantized */
};

/* What weights derived from a net's parameters (a workspace's bf16 or packed copy, a
 * model's packed copy) were made from: the net, its identity, its parameter version and a
 * sample of its weights. The identity, drawn when the net is made, tells a net apart from
 * one freed before it at the same address whose counter stood at the same value (two
 * loaded models both start at 0); the sample catches writes through a pointer kept from
 * before mlp_net_params was last called, which the counter cannot see. */
typedef struct mlp_net_stamp {
    const mlp_net *net; /* NULL: made from nothing yet */
    uint64_t identity, version, sample;
} mlp_net_stamp;

/* 16 weights of every layer, spread over it, their bit patterns hashed (net.c). */
uint64_t mlp_net_weights_sample(const mlp_net *net);

static inline mlp_net_stamp mlp_net_stamp_of(const mlp_net *net)
{
    return (mlp_net_stamp){net, net->identity, net->param_version, mlp_net_weights_sample(net)};
}

/* Whether what s stamps was made from net's current parameters. */
static inline int mlp_net_stamp_current(const mlp_net_stamp *s, const mlp_net *net)
{
    return s->net == net && s->identity == net->identity && s->version == net->param_version &&
           s->sample == mlp_net_weights_sample(net);
}

/* Whether two stamps are of the same parameters (both made, or both not). */
static inline int mlp_net_stamp_equal(const mlp_net_stamp *a, const mlp_net_stamp *b)
{
    return a->net == b->net && a->identity == b->identity && a->version == b->version &&
           a->sample == b->sample;
}

/* ---- model/int8_weights.c: the int8 weights of a quantized net (mlp_net_quantize).
 * Kept beside the float parameters, which stay the reference. */
typedef struct mlp_int8_layer {
    size_t n_in, n_out;
    size_t k_pad, n_pad;  /* n_in rounded up to 4, n_out to 16: the kernels' blocks */
    int8_t *w;            /* n_out x n_in, row-major, -127..127 (what model files hold) */
    int8_t *packed;       /* the kernels' layout: [n_pad/16][k_pad/4][16 outputs][4 inputs],
                             zero in the padding */
    float *w_scale;       /* n_pad: weight j,k is w[j,k] x w_scale[j]; 0 in the padding */
    int32_t *w_corr;      /* n_pad: in_zero x sum_k w[j,k] (the zero point's share) */
    float in_scale;       /* STATIC: the step of the quantized inputs; DYNAMIC: 0 */
    int in_zero;          /* 0: inputs never negative, 0..255; 128: signed, 1..255 */
} mlp_int8_layer;

typedef struct mlp_int8_net {
    size_t n_layers;
    mlp_quantize_mode mode;
    uint64_t param_version; /* the net's at quantization: a different one means stale */
    mlp_int8_layer *layers;
} mlp_int8_net;

/* An int8 net for net's topology, weights zero; NULL on allocation failure. */
mlp_int8_net *mlp_int8_net_alloc(const mlp_net *net, mlp_quantize_mode mode);
void mlp_int8_net_free(mlp_int8_net *q);
/* Fills the packed copy and the zero-point correction of layer l from w and in_zero. */
void mlp_int8_layer_pack(mlp_int8_layer *l);
/* A deep copy; NULL on allocation failure. */
mlp_int8_net *mlp_int8_net_clone(const mlp_int8_net *q);
/* Whether an int8 pass may run for net: quantized and not stale. */
int mlp_int8_ready(const mlp_net *net);

/* Nets with equal layer count, widths, activations and bias mode. */
int mlp_net_same_topology(const mlp_net *a, const mlp_net *b);

/* True when x is neither NaN nor infinite. */
static inline int mlp_is_finite(float x) { return x - x == 0.0f; }

/* finite.c: true when none of v[0..n) is NaN or infinite (one pass, vectorised). */
int mlp_all_finite(const float *v, size_t n);

/* Overflow-checked a * b for sizes read from files or callers. Returns 0 on overflow. */
static inline int mlp_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* ---- data layer (dataset.c, idx.c, csv.c, preprocess.c) -------------------------- */

/* Replaces ds's class names by deep copies of names[0..n) (n may be 0: none).
 * NULL_ARG when a name is NULL, NO_MEMORY; ds unchanged on failure. */
mlp_status mlp_dataset_set_class_names(mlp_dataset *ds, const char *const *names, size_t n);
/* dataset.c: the records of a seeded train/validation split of n (mlp_dataset_split's rule:
 * the first round(val_fraction * n) of a seeded permutation, at least one on each side when
 * val_fraction > 0): *out (n entries, mlp_mem_free) holds the *n_val validation indices,
 * then the training ones, each part in ascending order. INVALID_ARG, NO_MEMORY, with a
 * message in detail (may be NULL) that calls the n records `what` ("ds", "table"). */
mlp_status mlp_split_indices(size_t n, float val_fraction, uint64_t seed, size_t **out,
                             size_t *n_val, const char *what, mlp_error_detail *detail);
/* Sets the label column: header text (copied; NULL for none) and 0-based index (-1 none). */
mlp_status mlp_dataset_set_label_column(mlp_dataset *ds, const char *name, long index);
/* Folds of a k-fold split: a seeded permutation of 0..n-1 (mlp_split_indices' seeding) cut
 * into k folds of n/k or n/k + 1 records; fold f is idx[start[f] .. start[f + 1]), in
 * ascending order within a fold. *idx (n) and *start (k + 1) are mlp_mem_alloc'd.
 * INVALID_ARG when k < 2 or k > n. */
mlp_status mlp_kfold_indices(size_t n, size_t k, uint64_t seed, size_t **idx, size_t **start);

/* train/softmax_fit.c: softmax regression, mean cross-entropy + l2/2 |W|^2 (biases not
 * penalised), minimised by full-batch L-BFGS in double from zero (deterministic). x is
 * n x d (scaled inputs), y n x k (one-hot or class probabilities). theta receives k*(d+1)
 * doubles: W (k x d, row-major, a net's weight layout) then b (k). Stops when the largest
 * gradient entry is at most tol, when the loss stops falling, or after max_iter steps. */
typedef struct mlp_softmax_fit_info {
    size_t iterations;
    double loss;         /* the penalised objective at the end */
    double gradient_max; /* its largest gradient entry, in absolute value */
    int converged;
} mlp_softmax_fit_info;
#define MLP_SOFTMAX_FIT_MAX_ITER 500
#define MLP_SOFTMAX_FIT_TOL 1e-6
mlp_status mlp_softmax_fit(const float *x, const float *y, size_t n, size_t d, size_t k,
                           double l2, size_t max_iter, double tol, double *theta,
                           mlp_softmax_fit_info *info);
/* The same into a net of one layer, softmax output, per-neuron bias (its parameters set;
 * INVALID_ARG for another shape), with the default iterations and tolerance. */
mlp_status mlp_softmax_fit_net(mlp_net *net, const float *x, const float *y, size_t n,
                               double l2, mlp_softmax_fit_info *info);

/* io/model_consistency.c: whether net, preprocessing (may be NULL) and table encoding
 * (may be NULL) describe one model: input widths, outputs against classes or labels, the
 * task against a softmax output, the class names in the same order. INVALID_ARG with the
 * reason in why (size bytes) when they contradict each other. */
mlp_status mlp_model_sections_agree(const mlp_net *net, const mlp_preprocess *pre,
                                    const mlp_table_encoding *enc, char *why, size_t size);

/* io/model_decode.c: mlp_model_open_parts_mem refusing an image beyond limits (NULL: none)
 * after validating it and before building anything: INVALID_ARG naming the limit. */
mlp_status mlp_model_open_parts_mem_limited(const void *data, size_t size,
                                            const mlp_model_open_options *limits,
                                            mlp_net **net, mlp_preprocess **pre,
                                            mlp_optimizer **opt, mlp_model_info *info,
                                            mlp_error_detail *detail);

/* str_index.c: a lookup of borrowed keys by their text (mlp_hash_text; the first of
 * repeated keys wins; NULL keys are skipped). */
typedef struct mlp_str_index {
    const char *const *keys;
    size_t *slot; /* index + 1; 0 empty */
    size_t cap;   /* a power of two */
} mlp_str_index;
mlp_status mlp_str_index_build(mlp_str_index *ix, const char *const *keys, size_t n);
/* The key's index, or SIZE_MAX. */
size_t mlp_str_index_find(const mlp_str_index *ix, const char *s);
void mlp_str_index_free(mlp_str_index *ix);
/* status.c: fills detail (may be NULL) with line, column and a printf-style message (the
 * data readers' errors); returns status. */
mlp_status mlp_data_error(mlp_error_detail *detail, mlp_status status, size_t line,
                          size_t column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* The same without a position (line and column 0): a message naming the argument and the
 * reason. */
#define mlp_fail(detail, status, ...) mlp_data_error(detail, status, 0, 0, __VA_ARGS__)
/* status.c: a config struct from a caller compiled against any version of mlp.h: out
 * (size bytes, holding the defaults) receives the struct_size bytes the caller's struct `in`
 * declares, and struct_size = size; fields added after the caller's version keep their
 * defaults. INVALID_ARG, with a message naming `name`, for a struct_size below min_size
 * (not from a _default() call) or above size (a newer header than this library). */
mlp_status mlp_read_config(void *out, size_t size, const void *in, size_t min_size,
                           const char *name, const char *type, mlp_error_detail *detail);
/* The end of the last field of each config struct's first layout (0.1): the least
 * struct_size accepted. A field appended later leaves these as they are. */
#define MLP_OPTIMIZER_CONFIG_MIN_SIZE \
    (offsetof(mlp_optimizer_config, min_learning_rate) + sizeof(float))
#define MLP_TRAIN_CONFIG_MIN_SIZE (offsetof(mlp_train_config, threads) + sizeof(int))
#define MLP_CSV_OPTIONS_MIN_SIZE (offsetof(mlp_csv_options, delimiter) + sizeof(char))
#define MLP_SOURCE_MIN_SIZE (offsetof(mlp_source, user_data) + sizeof(void *))
#define MLP_MODEL_CONFIG_MIN_SIZE \
    (offsetof(mlp_model_config, optimizer) + MLP_OPTIMIZER_CONFIG_MIN_SIZE)
/* status.c: strerror_r's text for err into buf (thread-safe). */
void mlp_errno_text(int err, char *buf, size_t len);
/* atomic_write.c: mlp_file_write_atomic without its argument checks (path non-empty, buf
 * not NULL): replaces path by buf atomically (see the file's header); IO with the failing
 * step and errno's text in detail, NO_MEMORY. */
mlp_status mlp_file_write_atomic_unchecked(const char *path, const unsigned char *buf,
                                           size_t len, mlp_error_detail *detail);

/* read_line.c: reads one line of fp, '\n' included if present, into *buf (NUL-terminated,
 * grown through the allocator; *cap its size) and returns its length: 0 at the end of the
 * file, on a read error (ferror(fp)), or when the buffer could not grow (*status set to
 * NO_MEMORY; otherwise *status is not touched). Embedded NUL bytes are kept. */
size_t mlp_read_line(char **buf, size_t *cap, FILE *fp, mlp_status *status);
/* Runs fn(ctx, k) for k in [0, n) (n at most 64), k = 0 on the calling thread and each
 * other on a thread of its own (on the calling thread, in turn, when one cannot start);
 * returns when all are done. */
void mlp_run_parallel(size_t n, void (*fn)(void *ctx, size_t k), void *ctx);
/* s[0..len) as one number, exactly the double strtod gives in the C locale (including inf
 * and nan: callers apply their own policy); 0 when the whole span is not one number. s[len]
 * must be readable (the readers pass NUL-terminated cells). Short decimals never consult the
 * locale; other forms call strtod, so readers still run under uselocale(C). */
int mlp_parse_double(const char *s, size_t len, double *out);
/* table_cells.c: sorts text values, numerically when every one is a number (a finite float,
 * ties by text), else by strcmp: classes and categories. from (may be NULL) receives, for
 * each position, the position its value had before. NO_MEMORY leaves them as they were
 * (an order by text would be another encoding). */
mlp_status mlp_table_sort_values(char **values, size_t n, size_t *from);
/* Gives ds target_size columns of zeros, replacing its targets (readers that learn the class
 * count after the inputs). */
mlp_status mlp_dataset_reset_targets(mlp_dataset *ds, size_t target_size);
/* mlp_dataset_open_csv (ranks 1) or mlp_dataset_open_csv_shard with each thread's byte range at least
 * range_bytes (0: the default); tests use small ranges to split small files. */
mlp_status mlp_csv_load_ranged(mlp_dataset **out, const char *path,
                               const mlp_csv_options *options, size_t rank, size_t ranks,
                               size_t range_bytes, mlp_error_detail *detail);
/* mlp_csv_cache_open reading the CSV chunk_bytes at a time (0: the default, 64 MiB); *built
 * (may be NULL) says whether the cache was (re)built. */
mlp_status mlp_csv_cache_open_ex(mlp_csv_cache **out, const char *csv_path,
                                 const char *cache_path, const mlp_csv_options *options,
                                 size_t chunk_bytes, int *built, mlp_error_detail *detail);
/* qsort's order of doubles, ascending (no NaN among them). */
static inline int mlp_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
/* The index of the largest of n values (the first of equal ones): classes from outputs. */
static inline size_t mlp_argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

/* FNV-1a, the library's one hash: h continues over n bytes at p (start from
 * MLP_FNV_START). Tables of names, the disk cache's freshness key, topology checks. (The
 * MPI module, which sees only the public API, keeps its own word-wise hash.) */
#define MLP_FNV_START 0xcbf29ce484222325ull
static inline uint64_t mlp_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
/* FNV-1a of a NUL-terminated string, for the readers' hash tables. */
static inline size_t mlp_hash_text(const char *s)
{
    return (size_t)mlp_fnv1a(MLP_FNV_START, s, strlen(s));
}

/* ---- end of data layer block ------------------------------------------------------ */


/* ---- activation.c */
/* Adds the bias (NULL, one scalar when bias_count == 1, else n entries) and applies the
 * activation to the batch x n rows of z, in one pass. For softmax the pre-activations are
 * also written to logits (batch x n), which the cross-entropy loss needs. */
void mlp_activation_forward(mlp_activation act, float *z, size_t batch, size_t n,
                            const float *bias, size_t bias_count, float *logits);
/* The same, also writing the results rounded to bf16 into bf16 (batch x n; NULL: not):
 * the next layer's bf16 inputs, without a pass of their own. */
void mlp_activation_forward_bf16(mlp_activation act, float *z, size_t batch, size_t n,
                                 const float *bias, size_t bias_count, float *logits,
                                 uint16_t *bf16);
/* delta (batch x n) *= g'(a), with g' expressed through the outputs z = g(a);
 * for softmax the Jacobian-vector product z (.) (delta - <delta, z>). */
void mlp_activation_backward(mlp_activation act, const float *z, float *delta, size_t batch,
                             size_t n);

/* ---- loss.c */
/* Sum over the batch of C_i; logits needed for cross-entropy (softmax output). */
double mlp_loss_sum(mlp_loss loss, const float *outputs, const float *logits,
                    const float *targets, size_t batch, size_t n);
/* delta = dC_i/do for MSE, written before the output activation's backward pass;
 * for cross-entropy with softmax it is dC_i/da directly (fused, stable). Returns sum C_i
 * (0 unless want_loss: on tiny nets the loss costs as much as the delta). */
double mlp_loss_output_delta(mlp_loss loss, const float *outputs, const float *logits,
                             const float *targets, float *delta, size_t batch, size_t n,
                             int want_loss);

/* ---- workspace.c */
typedef struct mlp_kernel_table mlp_kernel_table;
/* Which kernels serve one record, decided once per workspace (engine/one_record.c). */
typedef struct mlp_one_record_plan {
    const mlp_kernel_table *hand;   /* this CPU's hand loops (the fused SGD step uses them) */
    const mlp_kernel_table **layer; /* per layer, for inference and for the gradient of one
                                       record (forward, backward, rank-1): hand, or BLAS on
                                       large layers */
    unsigned char *split;           /* per layer: rows split across the workspace's threads */
    int tiny;                       /* the hand table's tiny-net step fits (for MSE) */
    /* what engine_control.c allows: all, except in the test-control build */
    const char *forced_kernels;
    int no_tiny, no_fuse, no_split, no_blas;
} mlp_one_record_plan;

struct mlp_workspace {
    mlp_net *shape;       /* a parameter-less copy of the topology it was made for */
    size_t max_batch;
    float **z;            /* z[k+1]: outputs of layer k, max_batch x n_(k+1); z[0] unused */
    float *logits;        /* softmax pre-activations, max_batch x n_L */
    float *delta;         /* two ping-pong buffers, max_batch x max_width each */
    float *delta_prev;
    float *grad;          /* param_count: the gradient mlp_train_step uses; NULL for
                             inference-only workspaces, which have no delta_prev either */
    int training;         /* made by mlp_workspace_create (not _create_inference) */
    size_t delta_count;   /* floats in delta: max_batch x max_width, or x n_0 for inference */
    size_t bytes, dropout_bytes; /* mlp_workspace_bytes; the dropout buffers' share */
    size_t bf16_bytes;    /* the bf16 state's share of bytes */
    float **mask;         /* dropout scale per hidden output (0 or 1/(1-p)); NULL rows if off */
    float **undropped;    /* hidden outputs g(a) before the mask (for g'); NULL rows if off */
    float dropout;
    mlp_rng dropout_rng;
    const float *last_output;
    struct mlp_ws_pool *pool; /* worker threads (mlp_workspace_set_threads); NULL: none */
    mlp_one_record_plan plan;
    struct mlp_bf16 *bf16;    /* the bf16 GEMM state (mlp_workspace_set_precision); NULL:
                                 float, and nothing of the bf16 path runs */
    struct mlp_int8_scratch *int8; /* the int8 passes' buffers (MLP_PRECISION_INT8); NULL:
                                      float or bf16 */
    struct mlp_packed *packed; /* float inference from packed weights (engine/packed.h);
                                  NULL where this build or CPU has no kernels for it */
};

/* ---- engine/int8_*.c: int8 inference passes of a quantized net */
typedef struct mlp_int8_scratch mlp_int8_scratch;
/* Buffers for ws's shape and max batch (quantized inputs, per-record scales). */
mlp_status mlp_int8_scratch_create(mlp_int8_scratch **out, const mlp_workspace *ws,
                                   size_t *bytes);
void mlp_int8_scratch_free(mlp_int8_scratch *s);
/* The forward pass in int8 (net ready: mlp_int8_ready); ws->last_output set. The outputs
 * of hidden layers whose next layer has a fixed step (STATIC) are written as that layer's
 * bytes only: ws->z of those layers is not written. */
void mlp_int8_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch);
/* out (batch rows of n_out floats, ldo apart) = row_scale[i] w_scale[j] (sum_k q[i,k]
 * w[j,k] - w_corr[j]), q batch x k_pad bytes. The portable kernel, and AVX512-VNNI's
 * (NULL when this build or CPU has none); each workspace picks one (int8_forward.c). */
void mlp_int8_gemm_generic(const mlp_int8_layer *l, const uint8_t *q, size_t batch,
                           const float *row_scale, float *out, size_t ldo);
typedef void (*mlp_int8_gemm_fn)(const mlp_int8_layer *, const uint8_t *, size_t,
                                 const float *, float *, size_t);
mlp_int8_gemm_fn mlp_int8_gemm_vnni_get(void);
/* The kernel of an int8 workspace's passes: "vnni" or "generic"; tests force the portable
 * one on any CPU (the shipped library reads no environment). */
const char *mlp_int8_scratch_kernel(const mlp_int8_scratch *s);
void mlp_int8_scratch_use_generic(mlp_int8_scratch *s);
/* Layer k's input bytes (max_batch x k_pad) and each record's step, as the last pass left
 * them (tests rebuild every layer from these). */
const uint8_t *mlp_int8_scratch_inputs(const mlp_int8_scratch *s, size_t k);
const float *mlp_int8_scratch_steps(const mlp_int8_scratch *s, size_t k);

/* Whether [p, p + bytes) overlaps a buffer of ws: the ones a forward pass writes
 * (MLP_WS_FORWARD: outputs, logits) or any (MLP_WS_ALL: also deltas, gradient, masks). */
enum { MLP_WS_FORWARD = 0, MLP_WS_ALL = 1 };
int mlp_workspace_overlaps(const mlp_workspace *ws, const void *p, size_t bytes, int which);

/* MLP_OK when ws fits net and batch. */
mlp_status mlp_workspace_check(const mlp_workspace *ws, const mlp_net *net, size_t batch);

/* ---- workspace_threads.c: a workspace's worker team; the caller is thread 0 */
typedef struct mlp_ws_pool mlp_ws_pool;
typedef void (*mlp_ws_job)(void *ctx, int tid, int n);
/* Runs job(ctx, t, n) for t = 0 .. n-1, t = 0 on the caller; returns when all are done. */
void mlp_ws_pool_run(mlp_ws_pool *pool, mlp_ws_job job, void *ctx);
/* Threads including the caller; 1 for NULL. */
int mlp_ws_pool_size(const mlp_ws_pool *pool);
/* Thread t's (1 <= t < n) private buffer of max_width floats, cache-line separated. */
float *mlp_ws_pool_partial(mlp_ws_pool *pool, int t);
/* Stops and joins the workers, frees the pool; NULL is a no-op. */
void mlp_ws_pool_free(mlp_ws_pool *pool);

/* ---- engine/bf16_gemm.c (oneDNN; engine/bf16_none.c in builds without it): the GEMMs
 * of a bf16 workspace's batch passes, bf16 operands, float accumulation and results. */
typedef struct mlp_bf16 mlp_bf16;
/* MLP_OK when this build and CPU run bf16 natively; UNSUPPORTED with the reason in detail. */
mlp_status mlp_bf16_supported(mlp_error_detail *detail);
/* The state for ws's shape and max batch (bf16 weights, activations, deltas, primitives);
 * *bytes receives its buffers' size. UNSUPPORTED, NO_MEMORY. */
mlp_status mlp_bf16_create(mlp_bf16 **out, const mlp_workspace *ws, size_t *bytes);
void mlp_bf16_free(mlp_bf16 *b);
/* dst[0..n) = src rounded to bf16 (nearest even); only where mlp_bf16_supported. */
void mlp_bf16_round(uint16_t *dst, const float *src, size_t n);
/* dst[0..n) = alpha src rounded to bf16. */
void mlp_bf16_round_scaled(uint16_t *dst, const float *src, size_t n, float alpha);
/* bf16_passes.c: element-wise passes shared with oneDNN's OpenMP team (the calling thread
 * alone when team is 0 or below a size where waking the team would cost more); results
 * identical to the serial functions named. mlp_bf16_round: */
void mlp_bf16_round_team(uint16_t *dst, const float *src, size_t n, int team);
/* mlp_activation_forward_bf16: */
void mlp_bf16_activation_team(mlp_activation act, float *z, size_t batch, size_t n,
                              const float *bias, size_t bias_count, float *logits,
                              uint16_t *bf16, int team);
/* mlp_activation_backward on delta (batch x n; skipped when z is NULL), then delta rounded
 * to bf16 into d and alpha delta into ds (each skipped when NULL), row by row while the row
 * is in the first-level cache. */
void mlp_bf16_delta_team(mlp_activation act, const float *z, float *delta, size_t batch,
                         size_t n, uint16_t *d, uint16_t *ds, float alpha, int team);
/* The size rule (bf16_layer_rule.c): whether a layer of n_in -> n_out at `batch` records
 * runs faster in bf16 than in float. */
int mlp_bf16_layer_pays(size_t batch, size_t n_in, size_t n_out);
/* Its threshold in multiply-adds per product (batch x n_in x n_out): 4M, or 32k where
 * OpenMP (oneDNN's threads) runs one thread. */
size_t mlp_bf16_min_multiply_adds(void);
/* Whether layer k's batch products run in bf16 (else in float); set at creation by the
 * size rule for the workspace's max batch, changed by mlp_bf16_set_layer. */
int mlp_bf16_layer_on(const mlp_bf16 *b, size_t k);
void mlp_bf16_set_layer(mlp_bf16 *b, size_t k, int on);
/* Whether its element-wise passes are shared with the OpenMP team (bf16_passes.c): never in
 * the library that ships (see bf16_passes.c), in the test-control build with
 * MLP_ENGINE_ON=bf16team. */
int mlp_bf16_team(const mlp_bf16 *b);
/* Whether any layer runs in bf16. */
int mlp_bf16_any_on(const mlp_bf16 *b);
/* Where the activation pass of layer k-1 writes layer k's bf16 inputs; NULL when layer k
 * runs in float (or k is past the output layer). */
uint16_t *mlp_bf16_inputs(mlp_bf16 *b, size_t k);
/* A forward pass of net (batch > 1) starts: the bf16 weights are reused when they were made
 * from net's current parameters (mlp_net_stamp), else each layer's are refreshed. */
void mlp_bf16_pass_begin(mlp_bf16 *b, const mlp_net *net);
/* ... and ends: the bf16 weights are net's current ones. */
void mlp_bf16_pass_end(mlp_bf16 *b, const mlp_net *net);
/* The bf16 weights of every bf16 layer were refreshed by the update that made net's
 * parameters what they are (a training step): stamps them current. */
void mlp_bf16_weights_current(mlp_bf16 *b, const mlp_net *net);
/* Refreshes the bf16 weights of the parameters [first, first + n) (bf16 layers only): an
 * optimizer's update, chunk by chunk, while the chunk is in the caches. */
void mlp_bf16_refresh_range(mlp_bf16 *b, const mlp_net *net, size_t first, size_t n);
/* out (batch x n_(k+1)) = in W_k^T, in (batch x n_k) rounded to bf16 and kept for the
 * weight gradient unless in_ready (the activation pass wrote them: mlp_bf16_inputs). */
void mlp_bf16_forward(mlp_bf16 *b, const mlp_net *net, size_t k, const float *in, size_t batch,
                      float *out, int in_ready);
/* Layer k's delta (batch x n_(k+1)) made final: the derivative pass of act (z = g(a); NULL
 * when delta already is dC/da) fused with its roundings to bf16 for layer k's two products,
 * the weight product's taking alpha delta (mlp_bf16_backward_weights with the same alpha
 * then rounds nothing). */
void mlp_bf16_delta_ready(mlp_bf16 *b, size_t k, mlp_activation act, const float *z,
                          float *delta, size_t batch, float alpha);
/* delta_prev (batch x n_k) = delta W_k, with the bf16 W_k of the forward pass. */
void mlp_bf16_backward_data(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                            size_t batch, float *delta_prev);
/* dst (n_(k+1) x n_k) = alpha delta^T Z_k + keep dst (accumulate) or alpha delta^T Z_k,
 * Z_k the bf16 inputs the forward pass kept (in: the same in float). When dst is W_k itself
 * (plain SGD's fused update), W_k's bf16 copy is refreshed. */
void mlp_bf16_backward_weights(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                               const float *in, size_t batch, float alpha, int accumulate,
                               float keep, float *dst);

/* ---- propagate.c */
/* Forward pass into ws (dropout applied when `training` and ws has a rate). */
void mlp_propagate_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                           size_t batch, int training);
/* Forward + backward; grad is overwritten (accumulate 0) or added to. Returns sum C_i. */
double mlp_propagate_gradient(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                              const float *targets, size_t batch, mlp_loss loss, float *grad,
                              int accumulate);
/* A gradient pass that reports its progress: ready(user_data, grad, from) each time
 * grad[from .. param_count) is final (the output layer's first: the vector ends with it),
 * and between pieces of a layer's work with a smaller from, so that a transport can send
 * what is done and progress its exchange while the rest is computed. */
typedef struct mlp_gradient_notify {
    void (*ready)(void *user_data, float *grad, size_t from);
    void *user_data;
} mlp_gradient_notify;
/* mlp_propagate_gradient (overwriting grad) with notify. */
double mlp_propagate_gradient_notify(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                     const float *targets, size_t batch, mlp_loss loss,
                                     float *grad, const mlp_gradient_notify *notify);
/* Forward + backward with plain SGD applied during the backward pass (batch >= 2, or any
 * batch with dropout): I <- keep I - step dC/dI, no gradient vector. Returns sum C_i. */
double mlp_propagate_sgd(mlp_net *net, mlp_workspace *ws, const float *inputs,
                         const float *targets, size_t batch, mlp_loss loss, float step, float keep);
/* Argument checks shared by the public propagation entry points. */
mlp_status mlp_check_loss(const mlp_net *net, mlp_loss loss);
/* The loss AUTO stands for on net (CROSS_ENTROPY after softmax, else MSE); others as given. */
mlp_loss mlp_loss_resolve(const mlp_net *net, mlp_loss loss);
/* INVALID_ARG when inputs or targets lie in a buffer of ws, or grad (may be NULL) does
 * without being ws's own gradient buffer. */
mlp_status mlp_check_no_alias(const mlp_net *net, const mlp_workspace *ws, const float *inputs,
                              const float *targets, size_t batch, const float *grad);
/* inputs, or a copy of them in ws when a forward pass would overwrite them. */
const float *mlp_forward_inputs(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                size_t batch);

/* ---- optimizer.c */
int mlp_optimizer_fits(const mlp_optimizer *opt, const mlp_net *net);
/* mlp_optimizer_step that also refreshes the bf16 weights of b (may be NULL: none) inside
 * its update, and stamps them current (a bf16 workspace's training step). */
mlp_status mlp_optimizer_step_bf16(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                   size_t batch, mlp_bf16 *b);
/* Whether n more steps keep the step count within MLP_OPTIMIZER_MAX_STEPS. */
int mlp_optimizer_steps_left(const mlp_optimizer *opt, uint64_t n);
/* Adds n steps done outside mlp_optimizer_step (fused plain SGD); check steps_left first. */
void mlp_optimizer_count_steps(mlp_optimizer *opt, uint64_t n);
/* NON_FINITE for a NaN/Inf state entry, INVALID_ARG for a negative squared average. */
mlp_status mlp_optimizer_check_state(const mlp_optimizer *opt);

/* The largest count one BLAS call takes (its counts are int). */
#define MLP_BLAS_MAX_COUNT ((size_t)INT_MAX)

typedef struct mlp_pending mlp_pending;
/* ---- train/train.c */
/* mlp_train_step after its argument checks (the epoch loop's step): with a pending
 * one-record update (may be NULL), as mlp_one_record_sgd. */
mlp_status mlp_step_unchecked(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                              const float *inputs, const float *targets, size_t batch,
                              mlp_loss loss, double *loss_sum, mlp_pending *pending);
/* Seconds on the monotonic clock. */
double mlp_now_seconds(void);
/* Loss sum of b rows (b <= ws's max batch) and, in *correct, how many rows' output argmax
 * equals their target argmax: one chunk of mlp_evaluate, arguments already checked. */
double mlp_evaluate_rows(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                         const float *targets, size_t b, mlp_loss loss, size_t *correct);

/* ---- train/data_source.c: where mlp_train's records come from */
/* A checked mlp_source: arrays read in place (x, y), or the caller's callback. */
typedef struct mlp_feed {
    const float *x, *y;      /* arrays; NULL for a callback */
    mlp_source_read_fn read; /* callback; NULL for arrays */
    void *user_data;
    size_t count, n0, nl;
    const char *name;        /* "train" or "val", for messages */
} mlp_feed;
/* f from s (NULL or count 0: an empty feed) for net's sizes; INVALID_ARG / NULL_ARG with a
 * message naming `name` when s is neither arrays nor a callback or is of another size. */
mlp_status mlp_feed_open(mlp_feed *f, const mlp_source *s, const char *name, const mlp_net *net,
                         mlp_error_detail *detail);
/* NON_FINITE with a message when an array feed holds a NaN or infinite value. */
mlp_status mlp_feed_check_arrays(const mlp_feed *f, mlp_error_detail *detail);
/* Rows of records[0..n) copied (arrays) or read (callback) into x (n x n0) and y (n x nl);
 * a callback's status, or NON_FINITE for a NaN/inf value read, with a message. */
mlp_status mlp_feed_rows(const mlp_feed *f, const size_t *records, size_t n, float *x, float *y,
                         size_t epoch, mlp_error_detail *detail);

/* Auto-vectorised passes (activations, optimizer updates, losses): a baseline and an
 * x86-64-v3 clone picked at load time. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MLP_VECTORIZE __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define MLP_VECTORIZE
#endif

/* ---- engine/one_record.c: the one-record plain-SGD engine */
/* The first layer's weight update of the last record, not yet applied: an epoch applies it
 * in the next record's forward pass. */
struct mlp_pending {
    const float *d; /* that record's first-layer delta (a workspace buffer); NULL: none */
    const float *z; /* its inputs */
    float step, keep;
};
/* One record, plain SGD (p <- (1 - lr wd) p - lr g), the update fused into backprop;
 * returns C (0 unless want_loss). With p (may be NULL), a pending update is applied
 * first and this record's first-layer update may be left in p: call mlp_one_record_flush
 * before anything reads the parameters. */
double mlp_one_record_sgd(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                          mlp_loss loss, float lr, float weight_decay, int want_loss,
                          mlp_pending *p);
/* Applies p's pending update, if any. */
void mlp_one_record_flush(mlp_net *net, mlp_workspace *ws, mlp_pending *p);
/* Whether a workspace with threads splits layer k of net by rows across them. */
int mlp_one_record_splits(const mlp_net *net, size_t k);
/* Plan arrays for n_layers layers (NO_MEMORY), their release, and the plan's (re)making
 * from ws's shape, threads and kernel choice (after creation and mlp_workspace_set_threads).
 * mlp_one_record_plan_update is the one-record engine's single dispatch point: every choice
 * of implementation for a record (tiny step, hand loops or BLAS per layer, row split) is made
 * there, from the shape, the threads and the CPU; the passes only follow the plan. */
mlp_status mlp_one_record_plan_init(mlp_one_record_plan *plan, size_t n_layers);
void mlp_one_record_plan_free(mlp_one_record_plan *plan);
void mlp_one_record_plan_update(mlp_workspace *ws);

#endif /* MLP_INTERNAL_H */
