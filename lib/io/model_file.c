/*
 * Model files: a net, optionally its input preprocessing and its optimizer, in one
 * versioned binary file. This comment is the format specification.
 *
 * Every integer is little-endian and written byte by byte (never a struct); every float
 * is its IEEE-754 binary32 bit pattern taken as a u32 (memcpy), so values round-trip bit
 * for bit. i64 is two's complement. A string is a u32 byte count then that many bytes
 * (no terminator, no NUL inside); the count 0xFFFFFFFF means "absent" (NULL), no bytes.
 *
 * Format version 1:
 *
 *   offset  size  field
 *   0       8     magic "MLPMODEL"
 *   8       4     u32 format version (MLP_MODEL_FORMAT_VERSION)
 *   12      4     u32 section count (1..3)
 *   16      8     u64 file length in bytes, this header and the CRC included
 *   24      8     u64 epoch (as passed to mlp_model_save)
 *   32            sections, back to back, each:
 *                   u32 tag (four ASCII bytes, see below)
 *                   u32 flags (0 in version 1)
 *                   u64 body length in bytes
 *                   body
 *   length-4  4   u32 CRC-32 (zlib crc32) of every byte before it
 *
 * Sections (each at most once; "NET " required; any order):
 *
 *   "NET "  u32 layer count L (>= 1)
 *           u32 bias mode (mlp_bias_mode)
 *           u64 widths n_0 .. n_L (L+1 values, each >= 1)
 *           u32 activations of weight layers 0 .. L-1 (mlp_activation; softmax last only)
 *           u64 parameter count P (must equal what the topology implies)
 *           f32 parameters I[0 .. P), in mlp_net_params order
 *           u64 RNG state [4] (mlp_net_get_rng_state: shuffling resumes where it was)
 *
 *   "PREP"  u64 input size (== n_0)
 *           u32 scaling (mlp_scaling)
 *           u32 task (mlp_task)
 *           i64 label column index (>= -1)
 *           str label column name (may be absent)
 *           u64 class count C (0, or n_L)
 *           f32 offset[n_0]
 *           f32 scale[n_0]        (offset and scale finite)
 *           str class names [C]   (each present)
 *
 *   "OPTM"  u32 kind (mlp_optimizer_kind), u32 reduction, u32 schedule, u32 reserved (0)
 *           f32 learning_rate, momentum, beta1, beta2, rho, epsilon, weight_decay,
 *               step_gamma, min_learning_rate
 *           u64 step_epochs, total_epochs
 *           u64 step count (updates applied, at most MLP_OPTIMIZER_MAX_STEPS)
 *           u64 state count S (0, P or 2P floats, as mlp_optimizer_state gives them)
 *           f32 state[S]          (finite; squared-gradient averages >= 0)
 *
 * A section's body length must equal the size its fields imply. Readers check, in order:
 * magic (FORMAT), version (0: FORMAT, newer: VERSION), file length (beyond 4 GiB or below
 * the minimum: FORMAT; the file shorter: TRUNCATED; longer: FORMAT), CRC (CHECKSUM), then
 * every section field (FORMAT), all before allocating anything sized by the file.
 * A later version may add sections or fields; this reader refuses files newer than itself.
 */
#include "mlp_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MODEL_MAGIC "MLPMODEL"
#define MODEL_MAGIC_LEN 8u
#define MODEL_HEADER_LEN 32u
#define SECTION_HEADER_LEN 16u
#define MODEL_CRC_LEN 4u
#define MODEL_MAX_BYTES ((uint64_t)4 << 30)
#define STR_ABSENT 0xFFFFFFFFu

#define TAG(a, b, c, d) \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_NET TAG('N', 'E', 'T', ' ')
#define TAG_PREP TAG('P', 'R', 'E', 'P')
#define TAG_OPTM TAG('O', 'P', 'T', 'M')

/* Fixed-size parts of the section bodies. */
#define NET_FIXED_LEN (4u + 4u + 8u)            /* L, bias mode, P (+ arrays) */
#define PREP_FIXED_LEN (8u + 4u + 4u + 8u + 8u) /* size, scaling, task, index, C (+ str) */
#define OPTM_FIXED_LEN (16u + 9u * 4u + 4u * 8u)

/* ------------------------------------------------------------------ details */

static void set_detail(mlp_error_detail *detail, const char *fmt, ...)
{
    if (!detail) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail->message, sizeof detail->message, fmt, ap);
    va_end(ap);
}

static void clear_detail(mlp_error_detail *detail)
{
    if (!detail) return;
    detail->line = 0;
    detail->column = 0;
    detail->message[0] = '\0';
}

static void errno_text(int err, char *buf, size_t len)
{
    mlp_errno_text(err, buf, len);
}

/* ------------------------------------------------------------------ encoding */

static uint32_t ld_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld_u64(const unsigned char *p)
{
    return (uint64_t)ld_u32(p) | (uint64_t)ld_u32(p + 4) << 32;
}

static float ld_f32(const unsigned char *p)
{
    uint32_t bits = ld_u32(p);
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static void st_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void st_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A write cursor over a buffer of exactly the computed size. */
typedef struct writer {
    unsigned char *p;
    size_t pos;
} writer;

static void put_u32(writer *w, uint32_t v) { st_u32(w->p + w->pos, v); w->pos += 4; }
static void put_u64(writer *w, uint64_t v) { st_u64(w->p + w->pos, v); w->pos += 8; }
static void put_bytes(writer *w, const void *src, size_t n)
{
    if (n) memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static void put_f32(writer *w, float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    put_u32(w, bits);
}

static void put_f32s(writer *w, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) put_f32(w, x[i]);
}

static void put_str(writer *w, const char *s)
{
    if (!s) {
        put_u32(w, STR_ABSENT);
        return;
    }
    size_t n = strlen(s);
    put_u32(w, (uint32_t)n);
    put_bytes(w, s, n);
}

/* A bounded read cursor: take() returns NULL instead of reading past the end. */
typedef struct reader {
    const unsigned char *p;
    size_t len;
    size_t pos;
} reader;

static const unsigned char *take(reader *r, size_t n)
{
    if (n > r->len - r->pos) return NULL;
    const unsigned char *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static int get_u32(reader *r, uint32_t *v)
{
    const unsigned char *at = take(r, 4);
    if (!at) return 0;
    *v = ld_u32(at);
    return 1;
}

static int get_u64(reader *r, uint64_t *v)
{
    const unsigned char *at = take(r, 8);
    if (!at) return 0;
    *v = ld_u64(at);
    return 1;
}

/* Takes n items of `width` bytes (overflow-checked) and returns where they start. */
static const unsigned char *take_n(reader *r, size_t n, size_t width)
{
    size_t bytes;
    if (!mlp_mul_size(n, width, &bytes)) return NULL;
    return take(r, bytes);
}

static const unsigned char *take_f32s(reader *r, size_t n) { return take_n(r, n, 4); }

/* Index of the first NaN or infinite one of n little-endian floats at p; n when none. */
static size_t first_non_finite(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!mlp_is_finite(ld_f32(p + 4 * i))) return i;
    return n;
}

/* A string in the file: where its bytes are, and whether it is present. */
typedef struct str_ref {
    const unsigned char *at;
    uint32_t len;
    int present;
} str_ref;

/* Reads a string reference; 0 when it overruns or holds a NUL byte. */
static int get_str(reader *r, str_ref *s)
{
    uint32_t len;
    if (!get_u32(r, &len)) return 0;
    s->present = len != STR_ABSENT;
    s->len = s->present ? len : 0;
    s->at = take(r, s->len);
    if (!s->at) return 0;
    return memchr(s->at, '\0', s->len) == NULL;
}

static char *dup_str(const str_ref *s)
{
    char *out = malloc((size_t)s->len + 1);
    if (!out) return NULL;
    if (s->len) memcpy(out, s->at, s->len);
    out[s->len] = '\0';
    return out;
}

/* ------------------------------------------------------------------ sizes */

/* Bytes a string takes in the file; 0 when it is too long to encode. */
static uint64_t str_size(const char *s)
{
    if (!s) return 4;
    size_t n = strlen(s);
    if ((uint64_t)n >= STR_ABSENT) return 0;
    return 4 + (uint64_t)n;
}

static uint64_t net_body_size(const mlp_net *net)
{
    uint64_t L = mlp_net_layer_count(net);
    return NET_FIXED_LEN + 8 * (L + 1) + 4 * L + 4 * (uint64_t)mlp_param_count(net) +
           8 * MLP_RNG_STATE_WORDS;
}

/* ------------------------------------------------------------------ saving */

/* Checks that pre fits net and can be encoded; returns its body size in *size. */
static mlp_status check_preprocess(const mlp_preprocess *pre, const mlp_net *net,
                                   uint64_t *size)
{
    size_t n = mlp_preprocess_input_size(pre);
    if (n != mlp_net_input_size(net)) return MLP_ERR_DIMENSION;
    if ((unsigned)mlp_preprocess_scaling(pre) >= MLP_SCALE_COUNT ||
        (unsigned)mlp_preprocess_task(pre) >= MLP_TASK_COUNT ||
        mlp_preprocess_label_index(pre) < -1)
        return MLP_ERR_INVALID_ARG;
    const float *offset = mlp_preprocess_offset(pre), *scale = mlp_preprocess_scale(pre);
    if (!offset || !scale) return MLP_ERR_INVALID_ARG;
    for (size_t i = 0; i < n; i++)
        if (!mlp_is_finite(offset[i]) || !mlp_is_finite(scale[i])) return MLP_ERR_NON_FINITE;
    size_t classes = mlp_preprocess_class_count(pre);
    if (classes != 0 && classes != mlp_net_output_size(net)) return MLP_ERR_DIMENSION;

    uint64_t total = PREP_FIXED_LEN + 8 * (uint64_t)n;
    uint64_t s = str_size(mlp_preprocess_label_name(pre));
    if (!s) return MLP_ERR_INVALID_ARG;
    total += s;
    for (size_t c = 0; c < classes; c++) {
        const char *name = mlp_preprocess_class_name(pre, c);
        if (!name || !(s = str_size(name))) return MLP_ERR_INVALID_ARG;
        total += s;
    }
    *size = total;
    return MLP_OK;
}

/* Checks that opt was made for net; returns its body size in *size. */
static mlp_status check_optimizer(const mlp_optimizer *opt, const mlp_net *net,
                                  uint64_t *size)
{
    size_t count = 0, P = mlp_param_count(net);
    const float *state = mlp_optimizer_state_const(opt, &count);
    if (!mlp_optimizer_fits(opt, net)) return MLP_ERR_WORKSPACE_MISMATCH;
    if (count != 0 && count != P && count != 2 * P) return MLP_ERR_WORKSPACE_MISMATCH;
    if (count && !state) return MLP_ERR_INVALID_ARG;
    if (!mlp_optimizer_get_config(opt)) return MLP_ERR_INVALID_ARG;
    *size = OPTM_FIXED_LEN + 4 * (uint64_t)count;
    return MLP_OK;
}

static void put_section_header(writer *w, uint32_t tag, uint64_t body)
{
    put_u32(w, tag);
    put_u32(w, 0);
    put_u64(w, body);
}

static void put_net(writer *w, const mlp_net *net)
{
    size_t L = mlp_net_layer_count(net);
    put_u32(w, (uint32_t)L);
    put_u32(w, (uint32_t)mlp_net_bias_mode(net));
    for (size_t i = 0; i <= L; i++) put_u64(w, mlp_net_size(net, i));
    for (size_t k = 0; k < L; k++) put_u32(w, (uint32_t)mlp_net_activation(net, k));
    put_u64(w, mlp_param_count(net));
    put_f32s(w, mlp_net_params_const(net), mlp_param_count(net));
    uint64_t rng[MLP_RNG_STATE_WORDS];
    mlp_net_get_rng_state(net, rng);
    for (size_t i = 0; i < MLP_RNG_STATE_WORDS; i++) put_u64(w, rng[i]);
}

static void put_preprocess(writer *w, const mlp_preprocess *pre)
{
    size_t n = mlp_preprocess_input_size(pre), classes = mlp_preprocess_class_count(pre);
    put_u64(w, n);
    put_u32(w, (uint32_t)mlp_preprocess_scaling(pre));
    put_u32(w, (uint32_t)mlp_preprocess_task(pre));
    put_u64(w, (uint64_t)(int64_t)mlp_preprocess_label_index(pre));
    put_str(w, mlp_preprocess_label_name(pre));
    put_u64(w, classes);
    put_f32s(w, mlp_preprocess_offset(pre), n);
    put_f32s(w, mlp_preprocess_scale(pre), n);
    for (size_t c = 0; c < classes; c++) put_str(w, mlp_preprocess_class_name(pre, c));
}

static void put_optimizer(writer *w, const mlp_optimizer *opt)
{
    const mlp_optimizer_config *c = mlp_optimizer_get_config(opt);
    size_t count = 0;
    const float *state = mlp_optimizer_state_const(opt, &count);
    put_u32(w, (uint32_t)c->kind);
    put_u32(w, (uint32_t)c->reduction);
    put_u32(w, (uint32_t)c->schedule);
    put_u32(w, 0);
    put_f32(w, c->learning_rate);
    put_f32(w, c->momentum);
    put_f32(w, c->beta1);
    put_f32(w, c->beta2);
    put_f32(w, c->rho);
    put_f32(w, c->epsilon);
    put_f32(w, c->weight_decay);
    put_f32(w, c->step_gamma);
    put_f32(w, c->min_learning_rate);
    put_u64(w, c->step_epochs);
    put_u64(w, c->total_epochs);
    put_u64(w, mlp_optimizer_step_count(opt));
    put_u64(w, count);
    put_f32s(w, state, count);
}

mlp_status mlp_model_save(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                          const mlp_optimizer *opt, size_t epoch, mlp_error_detail *detail)
{
    clear_detail(detail);
    if (!path || !net) return MLP_ERR_NULL_ARG;
    if (!path[0]) return MLP_ERR_INVALID_ARG;
    size_t L = mlp_net_layer_count(net);
    if (L == 0 || L > UINT32_MAX) return MLP_ERR_INVALID_ARG;

    uint64_t net_size = net_body_size(net), pre_size = 0, opt_size = 0;
    mlp_status st;
    if (pre && (st = check_preprocess(pre, net, &pre_size)) != MLP_OK) return st;
    if (opt && (st = check_optimizer(opt, net, &opt_size)) != MLP_OK) return st;
    if (!mlp_all_finite(mlp_net_params_const(net), mlp_param_count(net))) return MLP_ERR_NON_FINITE;
    if (opt) {
        size_t n;
        const float *state = mlp_optimizer_state_const(opt, &n);
        if (!mlp_all_finite(state, n)) return MLP_ERR_NON_FINITE;
    }

    uint64_t total = MODEL_HEADER_LEN + SECTION_HEADER_LEN + net_size + MODEL_CRC_LEN;
    if (pre) total += SECTION_HEADER_LEN + pre_size;
    if (opt) total += SECTION_HEADER_LEN + opt_size;
    if (total > MODEL_MAX_BYTES || total > SIZE_MAX) return MLP_ERR_INVALID_ARG;

    writer w = {malloc((size_t)total), 0};
    if (!w.p) return MLP_ERR_NO_MEMORY;
    put_bytes(&w, MODEL_MAGIC, MODEL_MAGIC_LEN);
    put_u32(&w, MLP_MODEL_FORMAT_VERSION);
    put_u32(&w, 1u + (pre != NULL) + (opt != NULL));
    put_u64(&w, total);
    put_u64(&w, epoch);
    put_section_header(&w, TAG_NET, net_size);
    put_net(&w, net);
    if (pre) {
        put_section_header(&w, TAG_PREP, pre_size);
        put_preprocess(&w, pre);
    }
    if (opt) {
        put_section_header(&w, TAG_OPTM, opt_size);
        put_optimizer(&w, opt);
    }
    st_u32(w.p + w.pos, (uint32_t)crc32(0L, w.p, (uInt)w.pos));
    w.pos += MODEL_CRC_LEN;

    st = w.pos == total ? mlp_write_atomic(path, w.p, w.pos, detail) : MLP_ERR_INVALID_ARG;
    free(w.p);
    return st;
}

/* ------------------------------------------------------------------ validation */

/* What a valid net section holds; pointers into the file buffer. */
typedef struct net_plan {
    size_t n_layers;
    mlp_bias_mode bias;
    const unsigned char *sizes_at;
    const unsigned char *acts_at;
    size_t param_count;
    const unsigned char *params_at;
    const unsigned char *rng_at;
} net_plan;

typedef struct pre_plan {
    size_t input_size;
    mlp_scaling scaling;
    mlp_task task;
    long label_index;
    str_ref label_name;
    size_t class_count;
    const unsigned char *offset_at;
    const unsigned char *scale_at;
    const unsigned char *classes_at; /* the class names' strings */
    size_t classes_len;
} pre_plan;

typedef struct opt_plan {
    mlp_optimizer_config config;
    uint64_t step_count;
    size_t state_count;
    const unsigned char *state_at;
} opt_plan;

#define FAIL(...) do { set_detail(detail, __VA_ARGS__); return MLP_ERR_FORMAT; } while (0)

static mlp_status parse_net(reader *r, net_plan *np, mlp_error_detail *detail)
{
    uint32_t L, bias;
    uint64_t P;
    if (!get_u32(r, &L) || !get_u32(r, &bias)) FAIL("net section too short");
    if (L == 0) FAIL("net has no layers");
    if (bias >= MLP_BIAS_COUNT) FAIL("unknown bias mode %u", (unsigned)bias);
    /* L+1 widths and L activations must fit the section before anything is read. */
    np->sizes_at = take_n(r, (size_t)L + 1, 8);
    np->acts_at = np->sizes_at ? take_n(r, L, 4) : NULL;
    if (!np->acts_at) FAIL("net section too short for %u layers", (unsigned)L);
    for (size_t i = 0; i <= L; i++) {
        uint64_t n = ld_u64(np->sizes_at + 8 * i);
        if (n == 0 || n > SIZE_MAX) FAIL("invalid width %llu of layer %zu",
                                         (unsigned long long)n, i);
    }
    for (size_t k = 0; k < L; k++) {
        uint32_t a = ld_u32(np->acts_at + 4 * k);
        if (a >= MLP_ACT_COUNT) FAIL("unknown activation %u of layer %zu", (unsigned)a, k);
        if (a == MLP_ACT_SOFTMAX && k + 1 < L) FAIL("softmax on hidden layer %zu", k);
    }
    if (!get_u64(r, &P)) FAIL("net section too short");

    /* The implied count, computed without allocating: widths are read one pair at a time. */
    size_t total = 0, w, b;
    for (size_t k = 0; k < L; k++) {
        size_t in = (size_t)ld_u64(np->sizes_at + 8 * k);
        size_t out = (size_t)ld_u64(np->sizes_at + 8 * (k + 1));
        if (!mlp_mul_size(out, in, &w)) FAIL("layer %zu is too large", k);
        b = bias == MLP_BIAS_PER_NEURON ? out : bias == MLP_BIAS_PER_LAYER;
        if (w > SIZE_MAX - total || b > SIZE_MAX - total - w) FAIL("net is too large");
        total += w + b;
    }
    if (bias == MLP_BIAS_PER_NETWORK) {
        if (total == SIZE_MAX) FAIL("net is too large");
        total++;
    }
    if (P != total) FAIL("parameter count %llu does not match the topology (%zu)",
                         (unsigned long long)P, total);
    np->params_at = take_f32s(r, total);
    if (!np->params_at) FAIL("net section too short for %zu parameters", total);
    /* A NaN model is no model: the library never writes one (see mlp_model_save). */
    size_t bad = first_non_finite(np->params_at, total);
    if (bad < total) FAIL("parameter %zu is not finite", bad);
    np->rng_at = take_n(r, MLP_RNG_STATE_WORDS, 8);
    if (!np->rng_at) FAIL("net section too short for the RNG state");
    if (r->pos != r->len) FAIL("net section longer than its content");
    np->n_layers = L;
    np->bias = (mlp_bias_mode)bias;
    np->param_count = total;
    return MLP_OK;
}

static mlp_status parse_preprocess(reader *r, const net_plan *np, pre_plan *pp,
                                   mlp_error_detail *detail)
{
    uint64_t n, index, classes;
    uint32_t scaling, task;
    if (!get_u64(r, &n) || !get_u32(r, &scaling) || !get_u32(r, &task) ||
        !get_u64(r, &index))
        FAIL("preprocess section too short");
    if (n != ld_u64(np->sizes_at)) FAIL("preprocess input size %llu differs from the net's",
                                        (unsigned long long)n);
    if (scaling >= MLP_SCALE_COUNT) FAIL("unknown scaling %u", (unsigned)scaling);
    if (task >= MLP_TASK_COUNT) FAIL("unknown task %u", (unsigned)task);
    int64_t li = (int64_t)index;
    if (li < -1 || li > LONG_MAX) FAIL("invalid label index %lld", (long long)li);
    if (!get_str(r, &pp->label_name)) FAIL("invalid label name");
    if (!get_u64(r, &classes)) FAIL("preprocess section too short");
    if (classes != 0 && classes != ld_u64(np->sizes_at + 8 * np->n_layers))
        FAIL("class count %llu differs from the net's output size",
             (unsigned long long)classes);
    pp->offset_at = take_f32s(r, (size_t)n);
    pp->scale_at = pp->offset_at ? take_f32s(r, (size_t)n) : NULL;
    if (!pp->scale_at) FAIL("preprocess section too short for %llu features",
                            (unsigned long long)n);
    for (size_t i = 0; i < n; i++)
        if (!mlp_is_finite(ld_f32(pp->offset_at + 4 * i)) ||
            !mlp_is_finite(ld_f32(pp->scale_at + 4 * i)))
            FAIL("non-finite scaling of feature %zu", i);
    pp->classes_at = r->p + r->pos;
    pp->classes_len = r->len - r->pos;
    for (size_t c = 0; c < classes; c++) {
        str_ref s;
        if (!get_str(r, &s) || !s.present) FAIL("invalid name of class %zu", c);
    }
    if (r->pos != r->len) FAIL("preprocess section longer than its content");
    pp->input_size = (size_t)n;
    pp->scaling = (mlp_scaling)scaling;
    pp->task = (mlp_task)task;
    pp->label_index = (long)li;
    pp->class_count = (size_t)classes;
    return MLP_OK;
}

static mlp_status parse_optimizer(reader *r, const net_plan *np, opt_plan *op,
                                  mlp_error_detail *detail)
{
    const unsigned char *f = take(r, OPTM_FIXED_LEN);
    if (!f) FAIL("optimizer section too short");
    uint32_t kind = ld_u32(f), reduction = ld_u32(f + 4), schedule = ld_u32(f + 8);
    if (kind >= MLP_OPT_COUNT) FAIL("unknown optimizer kind %u", (unsigned)kind);
    if (reduction >= MLP_REDUCE_COUNT) FAIL("unknown reduction %u", (unsigned)reduction);
    if (schedule >= MLP_SCHEDULE_COUNT) FAIL("unknown schedule %u", (unsigned)schedule);
    if (ld_u32(f + 12) != 0) FAIL("reserved optimizer field is not zero");

    mlp_optimizer_config *c = &op->config;
    *c = mlp_optimizer_config_default((mlp_optimizer_kind)kind);
    c->reduction = (mlp_reduction)reduction;
    c->schedule = (mlp_schedule)schedule;
    float *floats[9] = {&c->learning_rate, &c->momentum, &c->beta1, &c->beta2, &c->rho,
                        &c->epsilon, &c->weight_decay, &c->step_gamma,
                        &c->min_learning_rate};
    for (size_t i = 0; i < 9; i++) {
        *floats[i] = ld_f32(f + 16 + 4 * i);
        if (!mlp_is_finite(*floats[i])) FAIL("non-finite optimizer setting %zu", i);
    }
    uint64_t step_epochs = ld_u64(f + 52), total_epochs = ld_u64(f + 60);
    if (step_epochs > SIZE_MAX || total_epochs > SIZE_MAX) FAIL("epoch counts too large");
    c->step_epochs = (size_t)step_epochs;
    c->total_epochs = (size_t)total_epochs;
    op->step_count = ld_u64(f + 68);

    uint64_t count = ld_u64(f + 76), P = np->param_count;
    if (count != 0 && count != P && count != 2 * P)
        FAIL("optimizer state of %llu floats does not fit %llu parameters",
             (unsigned long long)count, (unsigned long long)P);
    op->state_at = take_f32s(r, (size_t)count);
    if (!op->state_at) FAIL("optimizer section too short for its state");
    size_t bad = first_non_finite(op->state_at, (size_t)count);
    if (bad < count) FAIL("optimizer state value %zu is not finite", bad);
    if (r->pos != r->len) FAIL("optimizer section longer than its content");
    op->state_count = (size_t)count;
    return MLP_OK;
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

/* Checks the first `have` bytes of a header: magic, version, length. On success sets
 * *length to the declared file length. */
static mlp_status check_header(const unsigned char *h, size_t have, uint64_t file_size,
                               uint32_t *version, uint64_t *length, mlp_error_detail *detail)
{
    size_t m = have < MODEL_MAGIC_LEN ? have : MODEL_MAGIC_LEN;
    if (memcmp(h, MODEL_MAGIC, m) != 0) FAIL("not a libmlp model file (bad magic)");
    if (have >= 12) {
        *version = ld_u32(h + 8);
        if (*version == 0) FAIL("invalid format version 0");
        if (*version > MLP_MODEL_FORMAT_VERSION) {
            set_detail(detail, "format version %u is newer than this library's (%u)",
                       (unsigned)*version, (unsigned)MLP_MODEL_FORMAT_VERSION);
            return MLP_ERR_VERSION;
        }
    }
    if (have < MODEL_HEADER_LEN) {
        set_detail(detail, "file ends inside the header (%zu bytes)", have);
        return MLP_ERR_TRUNCATED;
    }
    *length = ld_u64(h + 16);
    if (*length < MODEL_HEADER_LEN + SECTION_HEADER_LEN + MODEL_CRC_LEN)
        FAIL("declared length %llu is too small", (unsigned long long)*length);
    if (*length > MODEL_MAX_BYTES || *length > SIZE_MAX)
        FAIL("declared length %llu exceeds the 4 GiB limit", (unsigned long long)*length);
    if (file_size < *length) {
        set_detail(detail, "file has %llu of its %llu bytes", (unsigned long long)file_size,
                   (unsigned long long)*length);
        return MLP_ERR_TRUNCATED;
    }
    if (file_size > *length) FAIL("%llu bytes after the declared end",
                                  (unsigned long long)(file_size - *length));
    return MLP_OK;
}

/* Reads and checks the whole file into *buf (*len bytes). */
static mlp_status read_model(const char *path, unsigned char **buf, size_t *len,
                             uint32_t *version, mlp_error_detail *detail)
{
    char err[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno_text(errno, err, sizeof err);
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
        errno_text(errno, err, sizeof err);
        close(fd);
        set_detail(detail, "cannot read %s: %s", path, err);
        return MLP_ERR_IO;
    }
    uint64_t length = 0;
    mlp_status s = check_header(h, have, (uint64_t)st.st_size, version, &length, detail);
    if (s != MLP_OK) {
        close(fd);
        return s;
    }
    /* Bounded by the file's real size and the 4 GiB limit; one extra byte notices growth. */
    unsigned char *b = malloc((size_t)length + 1);
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
        errno_text(saved, err, sizeof err);
        set_detail(detail, "cannot read %s: %s", path, err);
        free(b);
        return MLP_ERR_IO;
    }
    got += MODEL_HEADER_LEN;
    if (got != length) {
        free(b);
        set_detail(detail, "file changed size while being read");
        return got < length ? MLP_ERR_TRUNCATED : MLP_ERR_FORMAT;
    }
    uint32_t stored = ld_u32(b + length - MODEL_CRC_LEN);
    uint32_t actual = (uint32_t)crc32(0L, b, (uInt)(length - MODEL_CRC_LEN));
    if (stored != actual) {
        free(b);
        set_detail(detail, "CRC-32 mismatch (stored %08x, computed %08x)", (unsigned)stored,
                   (unsigned)actual);
        return MLP_ERR_CHECKSUM;
    }
    *buf = b;
    *len = (size_t)length;
    return MLP_OK;
}

/* Walks the sections of a checked file and validates each; nothing is allocated. */
static mlp_status parse_model(const unsigned char *b, size_t len, net_plan *np,
                              pre_plan *pp, opt_plan *op, int *has_pre, int *has_opt,
                              mlp_error_detail *detail)
{
    uint32_t count = ld_u32(b + 12);
    if (count == 0 || count > 3) FAIL("invalid section count %u", (unsigned)count);
    reader file = {b, len - MODEL_CRC_LEN, MODEL_HEADER_LEN};
    reader body[3] = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}};
    int seen[3] = {0, 0, 0};
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *h = take(&file, SECTION_HEADER_LEN);
        if (!h) FAIL("section %u header overruns the file", (unsigned)i);
        uint32_t tag = ld_u32(h), flags = ld_u32(h + 4);
        uint64_t size = ld_u64(h + 8);
        int which = tag == TAG_NET ? 0 : tag == TAG_PREP ? 1 : tag == TAG_OPTM ? 2 : -1;
        if (which < 0) FAIL("unknown section tag 0x%08x", (unsigned)tag);
        if (seen[which]) FAIL("duplicate section 0x%08x", (unsigned)tag);
        if (flags != 0) FAIL("section 0x%08x has unknown flags", (unsigned)tag);
        if (size > file.len - file.pos) FAIL("section 0x%08x overruns the file", (unsigned)tag);
        body[which] = (reader){take(&file, (size_t)size), (size_t)size, 0};
        seen[which] = 1;
    }
    if (file.pos != file.len) FAIL("bytes after the last section");
    if (!seen[0]) FAIL("no net section");

    mlp_status s = parse_net(&body[0], np, detail);
    if (s == MLP_OK && seen[1]) s = parse_preprocess(&body[1], np, pp, detail);
    if (s == MLP_OK && seen[2]) s = parse_optimizer(&body[2], np, op, detail);
    *has_pre = seen[1];
    *has_opt = seen[2];
    return s;
}

#undef FAIL

/* ------------------------------------------------------------------ building */

/* Maps a constructor's refusal of validated-looking data to FORMAT. */
static mlp_status as_format(mlp_status s, const char *what, mlp_error_detail *detail)
{
    if (s == MLP_OK || s == MLP_ERR_NO_MEMORY) return s;
    set_detail(detail, "%s refused: %s", what, mlp_strerror(s));
    return MLP_ERR_FORMAT;
}

static mlp_status build_net(const net_plan *np, mlp_net **out, mlp_error_detail *detail)
{
    size_t L = np->n_layers;
    size_t *sizes = malloc((L + 1) * sizeof *sizes);
    mlp_activation *acts = malloc(L * sizeof *acts);
    mlp_status s = MLP_ERR_NO_MEMORY;
    mlp_net *net = NULL;
    if (sizes && acts) {
        for (size_t i = 0; i <= L; i++) sizes[i] = (size_t)ld_u64(np->sizes_at + 8 * i);
        for (size_t k = 0; k < L; k++) acts[k] = (mlp_activation)ld_u32(np->acts_at + 4 * k);
        s = as_format(mlp_net_create(&net, L, sizes, acts, np->bias), "net", detail);
    }
    free(sizes);
    free(acts);
    if (s != MLP_OK) return s;
    if (mlp_param_count(net) != np->param_count) {
        mlp_net_free(net);
        set_detail(detail, "parameter layout differs from this library's");
        return MLP_ERR_FORMAT;
    }
    float *p = mlp_net_params(net);
    for (size_t i = 0; i < np->param_count; i++) p[i] = ld_f32(np->params_at + 4 * i);
    uint64_t rng[MLP_RNG_STATE_WORDS];
    for (size_t i = 0; i < MLP_RNG_STATE_WORDS; i++) rng[i] = ld_u64(np->rng_at + 8 * i);
    if (mlp_net_set_rng_state(net, rng) != MLP_OK) {
        mlp_net_free(net);
        set_detail(detail, "invalid RNG state (all zero)");
        return MLP_ERR_FORMAT;
    }
    *out = net;
    return MLP_OK;
}

static mlp_status build_preprocess(const pre_plan *pp, mlp_preprocess **out,
                                   mlp_error_detail *detail)
{
    size_t n = pp->input_size, C = pp->class_count;
    mlp_preprocess *pre = NULL;
    float *offset = malloc((n ? n : 1) * sizeof *offset);
    float *scale = malloc((n ? n : 1) * sizeof *scale);
    char **names = calloc(C ? C : 1, sizeof *names);
    char *label = NULL;
    mlp_status s = MLP_ERR_NO_MEMORY;
    if (!offset || !scale || !names) goto done;
    if (pp->label_name.present && !(label = dup_str(&pp->label_name))) goto done;
    reader r = {pp->classes_at, pp->classes_len, 0}; /* checked by parse_preprocess */
    for (size_t c = 0; c < C; c++) {
        str_ref sr = {NULL, 0, 0};
        if (!get_str(&r, &sr)) {
            s = MLP_ERR_FORMAT;
            goto done;
        }
        if (!(names[c] = dup_str(&sr))) goto done;
    }
    for (size_t i = 0; i < n; i++) {
        offset[i] = ld_f32(pp->offset_at + 4 * i);
        scale[i] = ld_f32(pp->scale_at + 4 * i);
    }
    s = as_format(mlp_preprocess_create(&pre, n), "preprocess", detail);
    if (s == MLP_OK)
        s = as_format(mlp_preprocess_set_scaling(pre, pp->scaling, offset, scale),
                      "scaling", detail);
    if (s == MLP_OK)
        s = as_format(mlp_preprocess_set_label_info(pre, pp->task, label, pp->label_index, C,
                                                    (const char *const *)names),
                      "label information", detail);
done:
    if (s != MLP_OK) mlp_preprocess_free(pre);
    else *out = pre;
    if (names)
        for (size_t c = 0; c < C; c++) free(names[c]);
    free(names);
    free(label);
    free(offset);
    free(scale);
    return s;
}

static mlp_status build_optimizer(const opt_plan *op, const mlp_net *net, size_t epoch,
                                  mlp_optimizer **out, mlp_error_detail *detail)
{
    mlp_optimizer *opt = NULL;
    mlp_status s = as_format(mlp_optimizer_create(&opt, net, &op->config), "optimizer",
                             detail);
    if (s != MLP_OK) return s;
    size_t count = 0;
    float *state = mlp_optimizer_state(opt, &count);
    if (count != op->state_count || (count && !state)) {
        mlp_optimizer_free(opt);
        set_detail(detail, "optimizer state has %zu floats, this kind needs %zu",
                   op->state_count, count);
        return MLP_ERR_FORMAT;
    }
    for (size_t i = 0; i < count; i++) state[i] = ld_f32(op->state_at + 4 * i);
    s = as_format(mlp_optimizer_set_step_count(opt, op->step_count), "optimizer step count",
                  detail);
    if (s == MLP_OK) s = as_format(mlp_optimizer_check_state(opt), "optimizer state", detail);
    if (s == MLP_OK)
        s = as_format(mlp_optimizer_set_epoch(opt, epoch), "optimizer epoch", detail);
    if (s != MLP_OK) {
        mlp_optimizer_free(opt);
        return s;
    }
    *out = opt;
    return MLP_OK;
}

mlp_status mlp_model_load(const char *path, mlp_net **net, mlp_preprocess **pre,
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
    uint32_t version = 0;
    mlp_status s = read_model(path, &buf, &len, &version, detail);
    if (s != MLP_OK) return s;

    net_plan np;
    pre_plan pp;
    opt_plan op;
    int has_pre = 0, has_opt = 0;
    uint64_t epoch = ld_u64(buf + 24);
    s = parse_model(buf, len, &np, &pp, &op, &has_pre, &has_opt, detail);
    if (s == MLP_OK && epoch > SIZE_MAX) {
        set_detail(detail, "epoch %llu too large", (unsigned long long)epoch);
        s = MLP_ERR_FORMAT;
    }

    mlp_net *n = NULL;
    mlp_preprocess *p = NULL;
    mlp_optimizer *o = NULL;
    if (s == MLP_OK) s = build_net(&np, &n, detail);
    if (s == MLP_OK && has_pre && pre) s = build_preprocess(&pp, &p, detail);
    if (s == MLP_OK && has_opt && opt) s = build_optimizer(&op, n, (size_t)epoch, &o, detail);
    free(buf);
    if (s != MLP_OK) {
        mlp_optimizer_free(o);
        mlp_preprocess_free(p);
        mlp_net_free(n);
        return s;
    }
    *net = n;
    if (pre) *pre = p;
    if (opt) *opt = o;
    if (info) {
        info->format_version = version;
        info->has_preprocess = has_pre;
        info->has_optimizer = has_opt;
        info->epoch = (size_t)epoch;
    }
    return MLP_OK;
}
