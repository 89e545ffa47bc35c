/*
 * The model format, shared by its encoder (model_encode.c), its validating parser
 * (model_parse.c), the builder of objects from parsed bytes (model_decode.c) and the file
 * functions on top of them (model_file.c). Never installed.
 *
 * A model: a net, optionally its input preprocessing and its optimizer, in one versioned
 * binary image, the same in memory (mlp_model_write_parts_mem) and in a file (mlp_model_write_parts).
 * This comment is the format specification.
 *
 * Every integer is little-endian and written byte by byte (never a struct); every float
 * is its IEEE-754 binary32 bit pattern taken as a u32 (memcpy), so values round-trip bit
 * for bit. i64 is two's complement. A string is a u32 byte count then that many bytes
 * (no terminator, no NUL inside); the count 0xFFFFFFFF means "absent" (NULL), no bytes.
 *
 * Format version 2 (version 1 is the same without the "PREC" section; readers take both):
 *
 *   offset  size  field
 *   0       8     magic "MLPMODEL"
 *   8       4     u32 format version (MLP_MODEL_FORMAT_VERSION)
 *   12      4     u32 section count (1..4; 1..3 in version 1)
 *   16      8     u64 file length in bytes, this header and the CRC included
 *   24      8     u64 epoch (as passed to mlp_model_write_parts)
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
 *           u64 RNG state [4] (mlp_net_rng_state: shuffling resumes where it was)
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
 * Format version 2 adds one optional section, only with "PREP" (a model without it is
 * still written as version 1; "TABL" in a version 1 file is FORMAT):
 *
 *   "TABL"  the table encoding (mlp_preprocess_encoding; lib/data/table_internal.h)
 *           u64 column count N (>= 1), u64 label count K (1..N)
 *           u64 label columns [K] (distinct, < N, each of type LABEL)
 *           u32 task (mlp_task), u32 has_names (0, 1)
 *           str missing-value tokens (present)
 *           u64 class count C (classification: n_L; regression 0, and K == n_L)
 *           str class names [C] (present)
 *           N columns, each:
 *             str name (present exactly when has_names)
 *             u32 type (mlp_column_type), u32 flags (bit 0 missing indicator, bit 1
 *             missing category; others 0)
 *             u64 missing count, u64 distinct count
 *             u64 mean (binary64 bits, finite)
 *             u64 category count M (>= 1 for CATEGORICAL, else 0), str categories [M]
 *           The features the columns encode to must number n_0 (mlp_table_encoding_input_size).
 *
 * Format version 3 adds one more optional section (written only for a net whose last
 * training step was not float; a model without it keeps the version it had; "PREC" in a
 * version 1 or 2 file is FORMAT):
 *
 *   "PREC"  u32 training precision (mlp_precision) of the last step
 *           (mlp_net_trained_precision); absent means MLP_PRECISION_FP32. How the net was
 *           trained, not how to run it: a bf16-trained net runs in either precision.
 *
 * Format version 4 adds one more optional section (written only for a quantized net,
 * mlp_net_quantize; a model without it keeps the version it had; "QNT8" in an older
 * version's file is FORMAT, and readers of versions 1-3 refuse a version 4 file):
 *
 *   "QNT8"  u32 activation mode (mlp_quantize_mode), u32 reserved (0)
 *           then for each weight layer k = 0 .. L-1 (n_in = n_k, n_out = n_(k+1)):
 *             u32 input zero point (0: inputs 0..255; 128: signed, 1..255)
 *             f32 input scale (STATIC: finite, > 0; DYNAMIC: 0)
 *             f32 weight scale [n_out] (finite, >= 0)
 *             i8  weights [n_out x n_in] (row-major, -127..127)
 *           The float parameters in "NET " stay the reference; these are what int8
 *           passes multiply, byte for byte on every machine.
 *
 * A section's body length must equal the size its fields imply. Readers check, in order:
 * magic (FORMAT), version (0: FORMAT, newer: VERSION), file length (beyond 4 GiB or below
 * the minimum: FORMAT; the file shorter: TRUNCATED; longer: FORMAT), CRC (CHECKSUM), then
 * every section field (FORMAT), all before allocating anything sized by the file.
 * A later version may add sections or fields; this reader refuses files newer than itself.
 */
#ifndef MLP_MODEL_FORMAT_H
#define MLP_MODEL_FORMAT_H

#include "mlp_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#define TAG_TABL TAG('T', 'A', 'B', 'L')
#define TAG_PREC TAG('P', 'R', 'E', 'C')
#define PREC_LEN 4u
#define TAG_QNT8 TAG('Q', 'N', 'T', '8')

/* Fixed-size parts of the section bodies. */
#define NET_FIXED_LEN (4u + 4u + 8u)            /* L, bias mode, P (+ arrays) */
#define PREP_FIXED_LEN (8u + 4u + 4u + 8u + 8u) /* size, scaling, task, index, C (+ str) */
#define OPTM_FIXED_LEN (16u + 9u * 4u + 4u * 8u)

/* ------------------------------------------------------------------ details */

/* A printf-style message in detail (may be NULL), at line and column 0. */
#define set_detail(detail, ...) ((void)mlp_fail(detail, MLP_OK, __VA_ARGS__))

static inline void clear_detail(mlp_error_detail *detail)
{
    if (!detail) return;
    detail->line = 0;
    detail->column = 0;
    detail->message[0] = '\0';
}

/* ------------------------------------------------------------------ bytes */

static inline uint32_t ld_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ld_u64(const unsigned char *p)
{
    return (uint64_t)ld_u32(p) | (uint64_t)ld_u32(p + 4) << 32;
}

static inline float ld_f32(const unsigned char *p)
{
    uint32_t bits = ld_u32(p);
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static inline void st_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline void st_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ------------------------------------------------------------------ writing */

/* A write cursor over a buffer of exactly the computed size. */
typedef struct writer {
    unsigned char *p;
    size_t pos;
} writer;

static inline void put_u32(writer *w, uint32_t v) { st_u32(w->p + w->pos, v); w->pos += 4; }
static inline void put_u64(writer *w, uint64_t v) { st_u64(w->p + w->pos, v); w->pos += 8; }
static inline void put_bytes(writer *w, const void *src, size_t n)
{
    if (n) memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static inline void put_f32(writer *w, float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    put_u32(w, bits);
}

static inline void put_f32s(writer *w, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) put_f32(w, x[i]);
}

static inline void put_str(writer *w, const char *s)
{
    if (!s) {
        put_u32(w, STR_ABSENT);
        return;
    }
    size_t n = strlen(s);
    put_u32(w, (uint32_t)n);
    put_bytes(w, s, n);
}

/* Bytes a string takes in the file; 0 when it is too long to encode. */
static inline uint64_t str_size(const char *s)
{
    if (!s) return 4;
    size_t n = strlen(s);
    if ((uint64_t)n >= STR_ABSENT) return 0;
    return 4 + (uint64_t)n;
}

/* ------------------------------------------------------------------ reading */

/* A bounded read cursor: take() returns NULL instead of reading past the end. */
typedef struct reader {
    const unsigned char *p;
    size_t len;
    size_t pos;
} reader;

static inline const unsigned char *take(reader *r, size_t n)
{
    if (n > r->len - r->pos) return NULL;
    const unsigned char *at = r->p + r->pos;
    r->pos += n;
    return at;
}

static inline int get_u32(reader *r, uint32_t *v)
{
    const unsigned char *at = take(r, 4);
    if (!at) return 0;
    *v = ld_u32(at);
    return 1;
}

static inline int get_u64(reader *r, uint64_t *v)
{
    const unsigned char *at = take(r, 8);
    if (!at) return 0;
    *v = ld_u64(at);
    return 1;
}

/* Takes n items of `width` bytes (overflow-checked) and returns where they start. */
static inline const unsigned char *take_n(reader *r, size_t n, size_t width)
{
    size_t bytes;
    if (!mlp_mul_size(n, width, &bytes)) return NULL;
    return take(r, bytes);
}

static inline const unsigned char *take_f32s(reader *r, size_t n) { return take_n(r, n, 4); }

/* Index of the first NaN or infinite one of n little-endian floats at p; n when none. */
static inline size_t first_non_finite(const unsigned char *p, size_t n)
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
static inline int get_str(reader *r, str_ref *s)
{
    uint32_t len;
    if (!get_u32(r, &len)) return 0;
    s->present = len != STR_ABSENT;
    s->len = s->present ? len : 0;
    s->at = take(r, s->len);
    if (!s->at) return 0;
    return memchr(s->at, '\0', s->len) == NULL;
}

static inline char *dup_str(const str_ref *s)
{
    char *out = mlp_mem_alloc((size_t)s->len + 1);
    if (!out) return NULL;
    if (s->len) memcpy(out, s->at, s->len);
    out[s->len] = '\0';
    return out;
}

/* ------------------------------------------------------------------ parsing */

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

/* Everything a valid image holds, found by mlp_model_parse without allocating. */
typedef struct model_plan {
    uint32_t version;
    size_t epoch;
    int has_pre, has_opt, has_table;
    const unsigned char *table_at; /* the "TABL" body, checked by mlp_model_table_check */
    size_t table_len;
    mlp_precision trained_precision; /* FP32 when the file has no "PREC" section */
    const unsigned char *int8_at;    /* the checked "QNT8" body; NULL when absent */
    net_plan net;
    pre_plan pre;
    opt_plan opt;
} model_plan;

/* Checks the first `have` bytes of an image of `total` bytes: magic (FORMAT), version
 * (FORMAT, VERSION), declared length against the limits (FORMAT) and against total
 * (TRUNCATED when shorter, FORMAT when longer). Sets *version when have >= 12 and *length
 * on success. The file reader calls it on the header alone before reading the rest. */
mlp_status mlp_model_check_header(const unsigned char *h, size_t have, uint64_t total,
                                  uint32_t *version, uint64_t *length,
                                  mlp_error_detail *detail);

/* Validates a whole image b[0..len) in the order of the specification above (header, CRC,
 * sections, fields) and fills *plan with pointers into b; allocates nothing. */
mlp_status mlp_model_parse(const unsigned char *b, size_t len, model_plan *plan,
                           mlp_error_detail *detail);

/* ------------------------------------------------------------------ the QNT8 section */
/* (model_int8.c: the int8 weights of a quantized net) */

/* Body size of net's section: 0 when net is not quantized. */
uint64_t mlp_model_int8_size(const mlp_net *net);
void mlp_model_int8_put(writer *w, const mlp_net *net);
/* Validates a body against the net section's widths, without allocating. */
mlp_status mlp_model_int8_check(const unsigned char *body, size_t len, const net_plan *np,
                                mlp_error_detail *detail);
/* Attaches the int8 weights of a checked body to net (NO_MEMORY only). */
mlp_status mlp_model_int8_build(const unsigned char *body, mlp_net *net);

/* ------------------------------------------------------------------ the TABL section */
/* (model_table.c: the table encoding of lib/data/table_internal.h) */

/* Body size of enc's section; 0 when it cannot be encoded (a string too long). */
uint64_t mlp_model_table_size(const mlp_table_encoding *enc);
void mlp_model_table_put(writer *w, const mlp_table_encoding *enc);
/* Validates a body without allocating: its fields, its encoded width == input_size and,
 * for classification, its class count == outputs. */
mlp_status mlp_model_table_check(const unsigned char *body, size_t len, size_t input_size,
                                 size_t outputs, mlp_error_detail *detail);
/* Builds the encoding of a checked body (NO_MEMORY only). */
mlp_status mlp_model_table_build(const unsigned char *body, size_t len, size_t input_size,
                                 size_t outputs, mlp_table_encoding **out);

#endif /* MLP_MODEL_FORMAT_H */
