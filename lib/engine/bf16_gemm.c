/* The bf16 GEMMs of a bf16 workspace (mlp_workspace_set_precision): operands rounded to
 * bfloat16 by this file's conversion loops, products by oneDNN's matmul with float
 * accumulation and float results. Only built with oneDNN; OpenBLAS stays the float
 * provider. Nothing here runs unless a workspace was set to bf16, which needs a CPU with
 * native bf16 (mlp_bf16_supported): oneDNN's emulation on other CPUs is never used. */
#include "mlp_internal.h"
#include "kernels.h"

#include <oneapi/dnnl/dnnl.h>

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define BF16_X86 1
#endif

/* The products of one layer: forward, backward to the inputs, weight gradient written or
 * accumulated (a sum post-op). */
enum { OP_FORWARD, OP_DATA, OP_WEIGHTS, OP_WEIGHTS_SUM, OP_COUNT };
/* Primitives kept per layer and product: the epoch's batch size and its last, shorter one. */
#define SLOTS 2

typedef struct matmul {
    dnnl_primitive_t prim; /* NULL: empty slot */
    dnnl_memory_t src, weights, dst; /* handles re-pointed at every call */
    size_t batch;
    unsigned long last_use;
} matmul;

struct mlp_bf16 {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    size_t n_layers, max_batch;
    const size_t *sizes;       /* the workspace shape's widths */
    uint16_t **w;              /* w[k]: bf16 W_k, n_(k+1) x n_k */
    uint16_t **z;              /* z[k]: bf16 inputs of layer k, max_batch x n_k */
    uint16_t *d;               /* bf16 delta of layer d_layer, max_batch x max_width */
    uint16_t *ds;              /* bf16 of ds_alpha x the delta of ds_layer, for the weight
                                  product */
    size_t d_layer;            /* SIZE_MAX: d holds nothing yet in this pass */
    size_t ds_layer;           /* SIZE_MAX: ds holds nothing yet in this pass */
    float ds_alpha;
    unsigned char *on;         /* per layer: its products in bf16 (else float) */
    int team;                  /* element-wise passes shared with the OpenMP team
                                  (bf16_passes.c); only in the test-control build */
    mlp_net_stamp w_stamp;     /* the parameters w[] were rounded from (mlp_net_stamp) */
    int w_fresh;               /* this pass: w[] are the net's current weights */
    matmul *cache;             /* n_layers x OP_COUNT x SLOTS */
    unsigned long clock;
};

/* ------------------------------------------------------------------ CPU check */

/* AVX512_BF16: CPUID leaf 7 subleaf 1, EAX bit 5 (with AVX-512 F, BW and VL for the
 * conversion loops). */
static int cpu_has_bf16(void)
{
#if BF16_X86
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    if (!f || !bw || !vl || a < 1) return 0;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1;
#else
    return 0;
#endif
}

/* oneDNN may be capped below bf16 (ONEDNN_MAX_CPU_ISA): it would then emulate. */
static int onednn_runs_bf16(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

mlp_status mlp_bf16_supported(mlp_error_detail *detail)
{
    const char *why = !cpu_has_bf16() ? "this CPU has no native bf16 (AVX512_BF16)"
                      : !onednn_runs_bf16() ? "oneDNN is limited below its bf16 ISA "
                                              "(ONEDNN_MAX_CPU_ISA)"
                                            : NULL;
    if (!why) return MLP_OK;
    if (detail) {
        detail->line = detail->column = 0;
        snprintf(detail->message, sizeof detail->message, "bf16: %s", why);
    }
    return MLP_ERR_UNSUPPORTED;
}

/* ------------------------------------------------------------------ conversion */

#if BF16_X86
/* dst[i] = bf16(src[i]), round to nearest even (NaN stays NaN), 32 at a time. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void to_bf16(uint16_t *dst, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    for (; i < n; i += 16) {
        const size_t left = n - i < 16 ? n - i : 16;
        const __mmask16 m = (__mmask16)((1u << left) - 1u);
        __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16((void *)(dst + i), m, (__m256i)v);
    }
}

/* dst[i] = bf16(alpha src[i]). */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void to_bf16_scaled(uint16_t *dst, const float *src, size_t n, float alpha)
{
    const __m512 a = _mm512_set1_ps(alpha);
    for (size_t i = 0; i < n; i += 16) {
        const size_t left = n - i < 16 ? n - i : 16;
        const __mmask16 m = (__mmask16)((1u << left) - 1u);
        __m256bh v = _mm512_cvtneps_pbh(_mm512_mul_ps(a, _mm512_maskz_loadu_ps(m, src + i)));
        _mm256_mask_storeu_epi16((void *)(dst + i), m, (__m256i)v);
    }
}
#else
/* Unreachable: mlp_bf16_supported refuses CPUs without these instructions. */
static void to_bf16(uint16_t *dst, const float *src, size_t n)
{
    (void)dst, (void)src, (void)n;
}
static void to_bf16_scaled(uint16_t *dst, const float *src, size_t n, float alpha)
{
    (void)dst, (void)src, (void)n, (void)alpha;
}
#endif

void mlp_bf16_round(uint16_t *dst, const float *src, size_t n) { to_bf16(dst, src, n); }

void mlp_bf16_round_scaled(uint16_t *dst, const float *src, size_t n, float alpha)
{
    to_bf16_scaled(dst, src, n, alpha);
}

/* ------------------------------------------------------------------ primitives */

static int md(dnnl_memory_desc_t *d, dnnl_data_type_t t, dnnl_dim_t rows, dnnl_dim_t cols,
              int transposed)
{
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {transposed ? 1 : cols, transposed ? rows : 1};
    return dnnl_memory_desc_init_by_strides(d, 2, dims, t, strides) == dnnl_success;
}

static void matmul_release(matmul *m)
{
    if (m->prim) dnnl_primitive_destroy(m->prim);
    if (m->src) dnnl_memory_destroy(m->src);
    if (m->weights) dnnl_memory_destroy(m->weights);
    if (m->dst) dnnl_memory_destroy(m->dst);
    *m = (matmul){.prim = NULL};
}

/* The three shapes, as dst (M x N) = src (M x K) weights (K x N):
 *   OP_FORWARD  Z_(k+1) = Z_k W_k^T    M batch, K n_k, N n_(k+1); weights W_k transposed
 *   OP_DATA     D_k = D_(k+1) W_k      M batch, K n_(k+1), N n_k
 *   OP_WEIGHTS  G_k = D_(k+1)^T Z_k    M n_(k+1), K batch, N n_k; src transposed, and a sum
 *               post-op for _SUM. alpha is applied to D_(k+1) as it is rounded to bf16:
 *               an output scale given at run time would make oneDNN 2.6 leave its brgemm
 *               kernels for a slower gemm-based matmul. */
static int matmul_build(mlp_bf16 *b, matmul *m, size_t k, int op, size_t batch)
{
    const dnnl_dim_t B = (dnnl_dim_t)batch, in = (dnnl_dim_t)b->sizes[k],
                     out = (dnnl_dim_t)b->sizes[k + 1];
    dnnl_memory_desc_t s, w, d;
    int ok;
    if (op == OP_FORWARD)
        ok = md(&s, dnnl_bf16, B, in, 0) && md(&w, dnnl_bf16, in, out, 1) &&
             md(&d, dnnl_f32, B, out, 0);
    else if (op == OP_DATA)
        ok = md(&s, dnnl_bf16, B, out, 0) && md(&w, dnnl_bf16, out, in, 0) &&
             md(&d, dnnl_f32, B, in, 0);
    else
        ok = md(&s, dnnl_bf16, out, B, 1) && md(&w, dnnl_bf16, B, in, 0) &&
             md(&d, dnnl_f32, out, in, 0);
    if (!ok) return 0;

    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_matmul_desc_t desc;
    ok = dnnl_matmul_desc_init(&desc, &s, &w, NULL, &d) == dnnl_success &&
         dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && op == OP_WEIGHTS_SUM)
        ok = dnnl_post_ops_create(&post) == dnnl_success &&
             dnnl_post_ops_append_sum(post, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, post) == dnnl_success;
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, b->engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&m->prim, pd) == dnnl_success;
    /* Handles with no data yet: each call points them at its buffers. */
    ok = ok && dnnl_memory_create(&m->src, &s, b->engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&m->weights, &w, b->engine, DNNL_MEMORY_NONE) == dnnl_success &&
         dnnl_memory_create(&m->dst, &d, b->engine, DNNL_MEMORY_NONE) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post) dnnl_post_ops_destroy(post);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!ok) matmul_release(m);
    m->batch = batch;
    return ok;
}

/* The primitive of (k, op, batch): cached, or built in the least recently used slot.
 * NULL only when oneDNN fails to build it (out of memory). */
static matmul *matmul_get(mlp_bf16 *b, size_t k, int op, size_t batch)
{
    matmul *slots = b->cache + (k * OP_COUNT + (size_t)op) * SLOTS, *victim = slots;
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].prim && slots[i].batch == batch) {
            slots[i].last_use = ++b->clock;
            return &slots[i];
        }
        if (!slots[i].prim || slots[i].last_use < victim->last_use) victim = &slots[i];
    }
    matmul_release(victim);
    if (!matmul_build(b, victim, k, op, batch)) return NULL;
    victim->last_use = ++b->clock;
    return victim;
}

/* Runs the product on these buffers; 0 when it could not (then dst is not written). */
static int matmul_run(mlp_bf16 *b, matmul *m, const void *src, const void *weights, float *dst)
{
    if (dnnl_memory_set_data_handle(m->src, (void *)src) != dnnl_success ||
        dnnl_memory_set_data_handle(m->weights, (void *)weights) != dnnl_success ||
        dnnl_memory_set_data_handle(m->dst, dst) != dnnl_success)
        return 0;
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, m->src}, {DNNL_ARG_WEIGHTS, m->weights},
                               {DNNL_ARG_DST, m->dst}};
    return dnnl_primitive_execute(m->prim, b->stream, 3, args) == dnnl_success &&
           dnnl_stream_wait(b->stream) == dnnl_success;
}

/* ------------------------------------------------------------------ state */

void mlp_bf16_free(mlp_bf16 *b)
{
    if (!b) return;
    if (b->cache)
        for (size_t i = 0; i < b->n_layers * OP_COUNT * SLOTS; i++) matmul_release(&b->cache[i]);
    for (size_t k = 0; b->w && k < b->n_layers; k++) mlp_mem_aligned_free(b->w[k]);
    for (size_t k = 0; b->z && k < b->n_layers; k++) mlp_mem_aligned_free(b->z[k]);
    mlp_mem_free(b->w);
    mlp_mem_free(b->z);
    mlp_mem_aligned_free(b->d);
    mlp_mem_aligned_free(b->ds);
    mlp_mem_free(b->cache);
    mlp_mem_free(b->on);
    if (b->stream) dnnl_stream_destroy(b->stream);
    if (b->engine) dnnl_engine_destroy(b->engine);
    mlp_mem_free(b);
}

static uint16_t *alloc_bf16(size_t rows, size_t cols, size_t *bytes)
{
    size_t n;
    if (!mlp_mul_size(rows, cols, &n) || n > SIZE_MAX / 2) return NULL;
    *bytes += n * 2;
    return mlp_mem_aligned_alloc(64, (n * 2 + 63) / 64 * 64);
}

mlp_status mlp_bf16_create(mlp_bf16 **out, const mlp_workspace *ws, size_t *bytes)
{
    mlp_status st = mlp_bf16_supported(NULL);
    if (st != MLP_OK) return st;
    const mlp_net *shape = ws->shape;
    const size_t L = shape->n_layers;
    mlp_bf16 *b = mlp_mem_calloc(1, sizeof *b);
    if (!b) return MLP_ERR_NO_MEMORY;
    b->n_layers = L;
    b->max_batch = ws->max_batch;
    b->sizes = shape->sizes;
    b->d_layer = b->ds_layer = SIZE_MAX;
    b->team = mlp_engine_control_read().bf16_team;
    size_t total = sizeof *b;
    b->w = mlp_mem_calloc(L, sizeof *b->w);
    b->z = mlp_mem_calloc(L, sizeof *b->z);
    b->cache = mlp_mem_calloc(L * OP_COUNT * SLOTS, sizeof *b->cache);
    b->on = mlp_mem_calloc(L, 1);
    int ok = b->w && b->z && b->cache && b->on;
    for (size_t k = 0; ok && k < L; k++)
        b->on[k] = mlp_bf16_layer_pays(ws->max_batch, shape->sizes[k], shape->sizes[k + 1]);
    for (size_t k = 0; ok && k < L; k++)
        ok = (b->w[k] = alloc_bf16(shape->sizes[k + 1], shape->sizes[k], &total)) &&
             (b->z[k] = alloc_bf16(ws->max_batch, shape->sizes[k], &total));
    if (ok && ws->training)
        ok = (b->d = alloc_bf16(ws->max_batch, shape->max_width, &total)) &&
             (b->ds = alloc_bf16(ws->max_batch, shape->max_width, &total));
    ok = ok && dnnl_engine_create(&b->engine, dnnl_cpu, 0) == dnnl_success &&
         dnnl_stream_create(&b->stream, b->engine, dnnl_stream_default_flags) == dnnl_success;
    /* The products at the maximum batch, made now so that a step never has to. */
    for (size_t k = 0; ok && k < L; k++)
        for (int op = 0; ok && op < OP_COUNT; op++)
            ok = b->on[k] && (op == OP_FORWARD || ws->training) && (op != OP_DATA || k > 0)
                     ? matmul_get(b, k, op, ws->max_batch) != NULL
                     : 1;
    if (!ok) {
        mlp_bf16_free(b);
        return MLP_ERR_NO_MEMORY;
    }
    *bytes = total + L * OP_COUNT * SLOTS * sizeof *b->cache;
    *out = b;
    return MLP_OK;
}

int mlp_bf16_layer_on(const mlp_bf16 *b, size_t k) { return b->on[k]; }

int mlp_bf16_team(const mlp_bf16 *b) { return b->team; }

int mlp_bf16_any_on(const mlp_bf16 *b)
{
    for (size_t k = 0; k < b->n_layers; k++)
        if (b->on[k]) return 1;
    return 0;
}

void mlp_bf16_set_layer(mlp_bf16 *b, size_t k, int on)
{
    b->on[k] = (unsigned char)(on != 0);
    b->w_stamp.net = NULL; /* a layer turned on has no bf16 weights yet */
}

uint16_t *mlp_bf16_inputs(mlp_bf16 *b, size_t k) { return k < b->n_layers && b->on[k] ? b->z[k] : NULL; }

void mlp_bf16_pass_begin(mlp_bf16 *b, const mlp_net *net)
{
    b->d_layer = b->ds_layer = SIZE_MAX;
    b->w_fresh = mlp_net_stamp_current(&b->w_stamp, net);
}

void mlp_bf16_pass_end(mlp_bf16 *b, const mlp_net *net) { b->w_stamp = mlp_net_stamp_of(net); }

void mlp_bf16_weights_current(mlp_bf16 *b, const mlp_net *net) { b->w_stamp = mlp_net_stamp_of(net); }

void mlp_bf16_refresh_range(mlp_bf16 *b, const mlp_net *net, size_t first, size_t n)
{
    for (size_t k = 0; k < b->n_layers; k++) {
        const size_t off = net->weights_offset[k], count = net->sizes[k + 1] * net->sizes[k];
        const size_t lo = first > off ? first : off;
        const size_t hi = first + n < off + count ? first + n : off + count;
        if (b->on[k] && lo < hi) to_bf16(b->w[k] + (lo - off), net->params + lo, hi - lo);
    }
}

/* ------------------------------------------------------------------ products */

/* Every product has a float twin (OpenBLAS) for the one case where oneDNN cannot build or
 * run it: memory exhausted while making the primitive of a batch size other than the
 * workspace's maximum (those are made by mlp_bf16_create). The pass then completes,
 * that product in float. */

void mlp_bf16_forward(mlp_bf16 *b, const mlp_net *net, size_t k, const float *in, size_t batch,
                      float *out, int in_ready)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    const float *w = net->params + net->weights_offset[k];
    if (!b->w_fresh) mlp_bf16_round_team(b->w[k], w, n_out * n_in, b->team); /* changed */
    if (!in_ready) mlp_bf16_round_team(b->z[k], in, batch * n_in, b->team);
    matmul *m = matmul_get(b, k, OP_FORWARD, batch);
    if (!m || !matmul_run(b, m, b->z[k], b->w[k], out))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)n_out, (int)n_in,
                    1.0f, in, (int)n_in, w, (int)n_in, 0.0f, out, (int)n_out);
}

/* Rounds layer k's delta (batch x n_(k+1)) to bf16 once for both of its products. */
static void delta_to_bf16(mlp_bf16 *b, size_t k, const float *delta, size_t batch)
{
    if (b->d_layer == k) return;
    mlp_bf16_round_team(b->d, delta, batch * b->sizes[k + 1], b->team);
    b->d_layer = k;
}

void mlp_bf16_delta_ready(mlp_bf16 *b, size_t k, mlp_activation act, const float *z,
                          float *delta, size_t batch, float alpha)
{
    /* d: the data product's operand (layers past the first), and the weight product's when
     * it takes delta unscaled; ds: the weight product's otherwise. */
    uint16_t *d = k > 0 || alpha == 1.0f ? b->d : NULL;
    uint16_t *ds = alpha != 1.0f ? b->ds : NULL;
    mlp_bf16_delta_team(act, z, delta, batch, b->sizes[k + 1], d, ds, alpha, b->team);
    b->d_layer = d ? k : SIZE_MAX;
    b->ds_layer = ds ? k : SIZE_MAX;
    b->ds_alpha = alpha;
}

void mlp_bf16_backward_data(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                            size_t batch, float *delta_prev)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    delta_to_bf16(b, k, delta, batch);
    matmul *m = matmul_get(b, k, OP_DATA, batch);
    if (!m || !matmul_run(b, m, b->d, b->w[k], delta_prev))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)n_in,
                    (int)n_out, 1.0f, delta, (int)n_out, net->params + net->weights_offset[k],
                    (int)n_in, 0.0f, delta_prev, (int)n_in);
}

void mlp_bf16_backward_weights(mlp_bf16 *b, const mlp_net *net, size_t k, const float *delta,
                               const float *in, size_t batch, float alpha, int accumulate,
                               float keep, float *dst)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    const uint16_t *src = b->d;
    if (alpha == 1.0f) {
        delta_to_bf16(b, k, delta, batch);
    } else { /* bf16(alpha delta): the same relative rounding as alpha bf16(delta) */
        if (b->ds_layer != k || b->ds_alpha != alpha)
            to_bf16_scaled(b->ds, delta, batch * n_out, alpha);
        b->ds_layer = k;
        b->ds_alpha = alpha;
        src = b->ds;
    }
    if (accumulate && keep != 1.0f) /* weight decay: dst <- keep dst, then the sum */
        for (size_t i = 0; i < n_out * n_in; i++) dst[i] *= keep;
    matmul *m = matmul_get(b, k, accumulate ? OP_WEIGHTS_SUM : OP_WEIGHTS, batch);
    if (!m || !matmul_run(b, m, src, b->z[k], dst))
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)batch,
                    alpha, delta, (int)n_out, in, (int)n_in, accumulate ? 1.0f : 0.0f, dst,
                    (int)n_in);
    /* Plain SGD updated W_k in place: its bf16 copy now, while W_k is still in the caches,
     * not in the next forward pass (the step then stamps w[] current). */
    if (dst == net->params + net->weights_offset[k])
        mlp_bf16_round_team(b->w[k], dst, n_out * n_in, b->team);
}
