/* The forward pass of a quantized net (MLP_PRECISION_INT8). Each layer: its inputs as 8-bit
 * bytes, the int8 product (int8_gemm.c) by tiles of records x 64 outputs, and on each tile
 * while it is in cache the bias, the activation and, where the next layer's input step is
 * fixed (STATIC), the rounding to that layer's bytes: hidden layers never go through a float
 * buffer. DYNAMIC steps depend on a whole row, so those layers write floats and the next
 * layer rounds its rows first.
 * Threads: a batch with rows for every thread is split by records, each thread taking its
 * records through every layer (one hand-off per pass); one record or a few, by blocks of 64
 * outputs, layer by layer, where the layer outweighs a hand-off. */
#include "kernels.h" /* MLP_THREAD_MIN_WEIGHTS: the same threshold as the float passes */
#include "fast_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Outputs per column group (the kernels' 4 blocks of 16) and records per tile. */
#define GROUP 64
#define TILE_ROWS 16
/* Records per thread below which a batch is split by outputs instead. */
#define ROWS_PER_THREAD 8

struct mlp_int8_scratch {
    size_t n_layers;
    uint8_t **q;        /* q[k]: max_batch x k_pad of layer k: its quantized inputs */
    float **row_scale;  /* row_scale[k]: max_batch: the step of each record's bytes */
    mlp_int8_gemm_fn gemm;
};

/* The kernel, chosen once per workspace: VNNI where the CPU has it, else the portable one
 * (tests force the portable one with mlp_int8_scratch_use_generic). */
static mlp_int8_gemm_fn pick_kernel(void)
{
    mlp_int8_gemm_fn vnni = mlp_int8_gemm_vnni_get();
    return vnni ? vnni : mlp_int8_gemm_generic;
}

const char *mlp_int8_scratch_kernel(const mlp_int8_scratch *s)
{
    return s->gemm == mlp_int8_gemm_generic ? "generic" : "vnni";
}

void mlp_int8_scratch_use_generic(mlp_int8_scratch *s) { s->gemm = mlp_int8_gemm_generic; }

const uint8_t *mlp_int8_scratch_inputs(const mlp_int8_scratch *s, size_t k)
{
    return s->q[k];
}

const float *mlp_int8_scratch_steps(const mlp_int8_scratch *s, size_t k)
{
    return s->row_scale[k];
}

mlp_status mlp_int8_scratch_create(mlp_int8_scratch **out, const mlp_workspace *ws,
                                   size_t *bytes)
{
    const size_t L = ws->shape->n_layers;
    mlp_int8_scratch *s = mlp_mem_calloc(1, sizeof *s);
    if (!s) return MLP_ERR_NO_MEMORY;
    s->n_layers = L;
    s->q = mlp_mem_calloc(L, sizeof *s->q);
    s->row_scale = mlp_mem_calloc(L, sizeof *s->row_scale);
    size_t total = sizeof *s + 2 * L * sizeof(void *);
    int ok = s->q && s->row_scale;
    for (size_t k = 0; ok && k < L; k++) {
        size_t n;
        const size_t k_pad = (ws->shape->sizes[k] + 3) / 4 * 4;
        ok = mlp_mul_size(ws->max_batch, k_pad, &n);
        n = (n + 63) / 64 * 64;
        if (ok) s->q[k] = mlp_mem_aligned_alloc(64, n);
        if (ok) s->row_scale[k] = mlp_mem_alloc(ws->max_batch * sizeof **s->row_scale);
        ok = ok && s->q[k] && s->row_scale[k];
        total += n + ws->max_batch * sizeof **s->row_scale;
    }
    if (!ok) {
        mlp_int8_scratch_free(s);
        return MLP_ERR_NO_MEMORY;
    }
    s->gemm = pick_kernel();
    *bytes = total;
    *out = s;
    return MLP_OK;
}

void mlp_int8_scratch_free(mlp_int8_scratch *s)
{
    if (!s) return;
    for (size_t k = 0; k < s->n_layers; k++) {
        if (s->q) mlp_mem_aligned_free(s->q[k]);
        if (s->row_scale) mlp_mem_free(s->row_scale[k]);
    }
    mlp_mem_free(s->q);
    mlp_mem_free(s->row_scale);
    mlp_mem_free(s);
}

/* One value to its byte: round(v / step) + zero, clamped to the layer's range (1..255
 * signed, 0..255 unsigned), half away from zero. Comparisons, not fminf/fmaxf: those are
 * library calls unless NaN and signed-zero rules are relaxed, and they keep loops scalar. */
static inline uint8_t to_byte(float v, float inv, float lo, float hi, int zero)
{
    v *= inv;
    v = v < lo ? lo : v > hi ? hi : v;
    v += v >= 0.0f ? 0.5f : -0.5f;
    return (uint8_t)((int)v + zero);
}

/* Rows [r0, r1) of x (n floats each) to layer l's bytes, the padding 0. The step is the
 * layer's (STATIC) or the row's largest magnitude over the range's half-width (DYNAMIC). */
MLP_VECTORIZE
static void quantize_rows(const mlp_int8_layer *l, const float *x, size_t r0, size_t r1,
                          uint8_t *q, float *row_scale)
{
    const size_t n = l->n_in;
    const int zero = l->in_zero;
    const float lo = zero ? -127.0f : 0.0f, hi = zero ? 127.0f : 255.0f;
    for (size_t i = r0; i < r1; i++) {
        const float *row = x + i * n;
        float step = l->in_scale;
        if (step == 0.0f) { /* dynamic */
            float m = 0.0f;
            if (zero)
                for (size_t k = 0; k < n; k++) m = fabsf(row[k]) > m ? fabsf(row[k]) : m;
            else
                for (size_t k = 0; k < n; k++) m = row[k] > m ? row[k] : m;
            step = m > 0.0f ? m / hi : 1.0f;
        }
        const float inv = 1.0f / step;
        uint8_t *out = q + i * l->k_pad;
        for (size_t k = 0; k < n; k++) out[k] = to_byte(row[k], inv, lo, hi, zero);
        for (size_t k = n; k < l->k_pad; k++) out[k] = 0;
        row_scale[i] = step;
    }
}

/* Everything one layer's tiles need. */
typedef struct layer_ctx {
    const mlp_int8_layer *l;
    const uint8_t *q;       /* the layer's input bytes */
    const float *row_scale;
    const float *bias;      /* NULL, one scalar (bias_count 1) or n_out */
    size_t bias_count;
    mlp_activation act;
    float *out;             /* float outputs (batch x n_out) where next is NULL */
    const mlp_int8_layer *next; /* the next layer, its step fixed: bytes out instead */
    uint8_t *next_q;
    float *next_scale;
    mlp_int8_gemm_fn gemm;
} layer_ctx;

/* In place: a = v + bias, through the activation (softmax: the bias only; its rows are
 * finished later). One simple loop per case, so that each vectorises. */
#define ACT_LOOP(EXPR)                                                                  \
    for (size_t r = 0; r < rows; r++) {                                                \
        float *restrict v = buf + r * GROUP;                                           \
        if (per_neuron)                                                                \
            for (size_t c = 0; c < nc; c++) { const float a = v[c] + bias[c]; v[c] = (EXPR); } \
        else                                                                           \
            for (size_t c = 0; c < nc; c++) { const float a = v[c] + b0; v[c] = (EXPR); } \
    }

/* The bias and activation of a tile (rows x nc values, GROUP apart in buf), then to floats
 * (out, ldo apart) or, q not NULL, to the next layer's bytes (ldq apart) at step 1 / inv. */
MLP_VECTORIZE
static void finish_tile(mlp_activation act, float *restrict buf, size_t rows, size_t nc,
                        const float *bias, size_t bias_count, float *out, size_t ldo,
                        uint8_t *q, size_t ldq, float inv, int zero)
{
    const int per_neuron = bias && bias_count > 1;
    const float b0 = bias && bias_count == 1 ? bias[0] : 0.0f;
    switch (act) {
    case MLP_ACT_SIGMOID: ACT_LOOP(mlp_fast_sigmoid(a)); break;
    case MLP_ACT_TANH: ACT_LOOP(mlp_fast_tanh(a)); break;
    case MLP_ACT_RELU: ACT_LOOP(a <= 0.0f ? 0.0f : a); break;
    case MLP_ACT_LEAKY_RELU: ACT_LOOP(a > 0.0f ? a : MLP_LEAKY_RELU_SLOPE * a); break;
    default: ACT_LOOP(a); break; /* linear; softmax's bias (the rows: finish_rows) */
    }
    const float lo = zero ? -127.0f : 0.0f, hi = zero ? 127.0f : 255.0f;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict v = buf + r * GROUP;
        if (q) {
            uint8_t *restrict d = q + r * ldq;
            for (size_t c = 0; c < nc; c++) d[c] = to_byte(v[c], inv, lo, hi, zero);
        } else {
            memcpy(out + r * ldo, v, nc * sizeof *v);
        }
    }
}

/* Rows [r0, r1) by column groups [g0, g1) of one layer. */
static void layer_block(const layer_ctx *x, size_t r0, size_t r1, size_t g0, size_t g1)
{
    const mlp_int8_layer *l = x->l;
    float buf[TILE_ROWS * GROUP] __attribute__((aligned(64)));
    const float inv = x->next ? 1.0f / x->next->in_scale : 1.0f;
    const int zero = x->next ? x->next->in_zero : 0;
    for (size_t g = g0; g < g1; g++) {
        const size_t j0 = g * GROUP, nc = l->n_out - j0 < GROUP ? l->n_out - j0 : GROUP;
        /* The layer restricted to outputs [j0, j0 + nc): the same packed blocks. */
        mlp_int8_layer part = *l;
        part.packed = l->packed + j0 * l->k_pad;
        part.w_scale = l->w_scale + j0;
        part.w_corr = l->w_corr + j0;
        part.n_out = nc;
        part.n_pad = (nc + 15) / 16 * 16;
        const float *bias = x->bias && x->bias_count > 1 ? x->bias + j0 : x->bias;
        for (size_t r = r0; r < r1; r += TILE_ROWS) {
            const size_t rows = r1 - r < TILE_ROWS ? r1 - r : TILE_ROWS;
            x->gemm(&part, x->q + r * l->k_pad, rows, x->row_scale + r, buf, GROUP);
            if (x->next) {
                const size_t ldq = x->next->k_pad;
                finish_tile(x->act, buf, rows, nc, bias, x->bias_count, NULL, 0,
                            x->next_q + r * ldq + j0, ldq, inv, zero);
                if (j0 + nc == l->n_out) /* the next layer's padding inputs */
                    for (size_t i = r; i < r + rows; i++) {
                        memset(x->next_q + i * ldq + l->n_out, 0, ldq - l->n_out);
                        x->next_scale[i] = x->next->in_scale;
                    }
            } else {
                finish_tile(x->act, buf, rows, nc, bias, x->bias_count,
                            x->out + r * l->n_out + j0, l->n_out, NULL, 0, 1.0f, 0);
            }
        }
    }
}

/* A pass: the net, the workspace, the batch. */
typedef struct pass {
    const mlp_net *net;
    mlp_workspace *ws;
    const float *inputs;
    size_t batch;
} pass;

/* Layer k's context; its inputs' bytes are the caller's to make. */
static layer_ctx layer_of(const pass *p, size_t k)
{
    const mlp_net *net = p->net;
    const mlp_int8_net *qn = net->int8;
    mlp_int8_scratch *s = p->ws->int8;
    const mlp_int8_layer *next = k + 1 < net->n_layers ? &qn->layers[k + 1] : NULL;
    if (next && next->in_scale == 0.0f) next = NULL; /* dynamic: floats, then its rows */
    return (layer_ctx){
        .l = &qn->layers[k],
        .q = s->q[k],
        .row_scale = s->row_scale[k],
        .bias = net->bias_offset[k] == SIZE_MAX ? NULL : net->params + net->bias_offset[k],
        .bias_count = mlp_net_bias_count(net, k),
        .act = net->activations[k],
        .out = p->ws->z[k + 1],
        .next = next,
        .next_q = next ? s->q[k + 1] : NULL,
        .next_scale = next ? s->row_scale[k + 1] : NULL,
        .gemm = s->gemm,
    };
}

/* Layer k's input bytes for rows [r0, r1) where no earlier tile wrote them. */
static void layer_inputs(const pass *p, size_t k, size_t r0, size_t r1)
{
    const mlp_int8_net *qn = p->net->int8;
    if (k > 0 && qn->layers[k].in_scale != 0.0f) return; /* written by layer k - 1 */
    mlp_int8_scratch *s = p->ws->int8;
    const float *x = k == 0 ? p->inputs : p->ws->z[k];
    quantize_rows(&qn->layers[k], x, r0, r1, s->q[k], s->row_scale[k]);
}

/* The output layer's softmax over whole rows [r0, r1) (its bias is already added). */
static void finish_rows(const pass *p, size_t r0, size_t r1)
{
    const size_t L = p->net->n_layers, n = p->net->sizes[L];
    if (p->net->activations[L - 1] != MLP_ACT_SOFTMAX || r0 == r1) return;
    mlp_activation_forward(MLP_ACT_SOFTMAX, p->ws->z[L] + r0 * n, r1 - r0, n, NULL, 0,
                           p->ws->logits + r0 * n);
}

static size_t groups_of(const mlp_int8_layer *l) { return (l->n_out + GROUP - 1) / GROUP; }

/* Thread t's records through every layer. */
static void rows_share(void *ctx, int t, int n)
{
    const pass *p = ctx;
    const size_t r0 = p->batch * (size_t)t / (size_t)n, r1 = p->batch * (size_t)(t + 1) / (size_t)n;
    if (r0 == r1) return;
    for (size_t k = 0; k < p->net->n_layers; k++) {
        layer_inputs(p, k, r0, r1);
        const layer_ctx x = layer_of(p, k);
        layer_block(&x, r0, r1, 0, groups_of(x.l));
    }
    finish_rows(p, r0, r1);
}

typedef struct column_job {
    const layer_ctx *x;
    size_t batch;
} column_job;

/* Thread t's column groups of one layer, every record. */
static void columns_share(void *ctx, int t, int n)
{
    const column_job *j = ctx;
    const size_t groups = groups_of(j->x->l);
    const size_t g0 = groups * (size_t)t / (size_t)n, g1 = groups * (size_t)(t + 1) / (size_t)n;
    if (g0 < g1) layer_block(j->x, 0, j->batch, g0, g1);
}

void mlp_int8_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch)
{
    const size_t L = net->n_layers;
    const int threads = mlp_ws_pool_size(ws->pool);
    pass p = {net, ws, inputs, batch};
    if (threads > 1 && batch >= (size_t)threads * ROWS_PER_THREAD) {
        mlp_ws_pool_run(ws->pool, rows_share, &p);
    } else {
        for (size_t k = 0; k < L; k++) {
            layer_inputs(&p, k, 0, batch);
            const layer_ctx x = layer_of(&p, k);
            column_job j = {&x, batch};
            if (threads > 1 && x.l->n_in * x.l->n_out >= MLP_THREAD_MIN_WEIGHTS)
                mlp_ws_pool_run(ws->pool, columns_share, &j);
            else
                layer_block(&x, 0, batch, 0, groups_of(x.l));
        }
        finish_rows(&p, 0, batch);
    }
    ws->last_output = ws->z[L];
}
