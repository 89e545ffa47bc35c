/* The bf16 GEMM-only bound with oneDNN's matmul (see bf16_bound.h). */
#include "bf16_bound.h"

#include <oneapi/dnnl/dnnl.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"

enum { FWD, DATA, WEIGHTS, OPS };

typedef struct product {
    dnnl_primitive_t prim;
    dnnl_memory_t src, weights, dst;
} product;

struct bench_bf16_bound {
    const bench_workload *w;
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    uint16_t *weights[BENCH_MAX_LAYERS], *acts[BENCH_MAX_LAYERS + 1];
    uint16_t *deltas[BENCH_MAX_LAYERS + 1];
    float *out[BENCH_MAX_LAYERS + 1], *grads[BENCH_MAX_LAYERS];
    product p[BENCH_MAX_LAYERS][OPS];
};

/* n bf16 values of about `value` (1.0 is 0x3f80): small, so no sum overflows. */
static uint16_t *bf16_filled(size_t n, float value)
{
    uint16_t *p = malloc((n ? n : 1) * sizeof *p);
    if (!p) return NULL;
    for (size_t i = 0; i < n; i++) {
        float x = value * (float)((i % 7) + 1);
        uint32_t bits;
        memcpy(&bits, &x, sizeof bits);
        p[i] = (uint16_t)(bits >> 16);
    }
    return p;
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static int md(dnnl_memory_desc_t *d, dnnl_data_type_t t, dnnl_dim_t rows, dnnl_dim_t cols,
              int transposed)
{
    dnnl_dims_t dims = {rows, cols};
    dnnl_dims_t strides = {transposed ? 1 : cols, transposed ? rows : 1};
    return dnnl_memory_desc_init_by_strides(d, 2, dims, t, strides) == dnnl_success;
}

static int make(bench_bf16_bound *b, product *p, const dnnl_memory_desc_t *s,
                const dnnl_memory_desc_t *w, const dnnl_memory_desc_t *d, int accumulate,
                void *src, void *weights, void *dst)
{
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int ok = dnnl_matmul_desc_init(&desc, s, w, NULL, d) == dnnl_success &&
             dnnl_primitive_attr_create(&attr) == dnnl_success;
    if (ok && accumulate) {
        ok = dnnl_post_ops_create(&post) == dnnl_success &&
             dnnl_post_ops_append_sum(post, 1.0f) == dnnl_success &&
             dnnl_primitive_attr_set_post_ops(attr, post) == dnnl_success;
    }
    ok = ok && dnnl_primitive_desc_create(&pd, &desc, attr, b->engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&p->prim, pd) == dnnl_success &&
         dnnl_memory_create(&p->src, s, b->engine, src) == dnnl_success &&
         dnnl_memory_create(&p->weights, w, b->engine, weights) == dnnl_success &&
         dnnl_memory_create(&p->dst, d, b->engine, dst) == dnnl_success;
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (post) dnnl_post_ops_destroy(post);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return ok;
}

void bench_bf16_bound_free(bench_bf16_bound *b)
{
    if (!b) return;
    for (size_t k = 0; k < BENCH_MAX_LAYERS; k++) {
        for (int o = 0; o < OPS; o++) {
            product *p = &b->p[k][o];
            if (p->prim) dnnl_primitive_destroy(p->prim);
            if (p->src) dnnl_memory_destroy(p->src);
            if (p->weights) dnnl_memory_destroy(p->weights);
            if (p->dst) dnnl_memory_destroy(p->dst);
        }
        free(b->weights[k]);
        free(b->grads[k]);
    }
    for (size_t k = 0; k <= BENCH_MAX_LAYERS; k++) {
        free(b->acts[k]);
        free(b->deltas[k]);
        free(b->out[k]);
    }
    if (b->stream) dnnl_stream_destroy(b->stream);
    if (b->engine) dnnl_engine_destroy(b->engine);
    free(b);
}

bench_bf16_bound *bench_bf16_bound_create(const bench_workload *w)
{
    if (w->batch < 2 || mlp_precision_supported(MLP_PRECISION_BF16, NULL) != MLP_OK)
        return NULL;
    bench_bf16_bound *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->w = w;
    const dnnl_dim_t B = (dnnl_dim_t)w->batch;
    int ok = dnnl_engine_create(&b->engine, dnnl_cpu, 0) == dnnl_success &&
             dnnl_stream_create(&b->stream, b->engine, dnnl_stream_default_flags) == dnnl_success;
    for (size_t k = 0; ok && k <= w->n_layers; k++) {
        ok = (b->acts[k] = bf16_filled(w->batch * w->sizes[k], 0.01f)) &&
             (b->deltas[k] = bf16_filled(w->batch * w->sizes[k], 0.001f)) &&
             (b->out[k] = zeros(w->batch * w->sizes[k]));
        if (ok && k < w->n_layers)
            ok = (b->weights[k] = bf16_filled(w->sizes[k + 1] * w->sizes[k], 0.01f)) &&
                 (b->grads[k] = zeros(w->sizes[k + 1] * w->sizes[k]));
    }
    for (size_t k = 0; ok && k < w->n_layers; k++) {
        const dnnl_dim_t in = (dnnl_dim_t)w->sizes[k], out = (dnnl_dim_t)w->sizes[k + 1];
        dnnl_memory_desc_t s, wt, d;
        ok = md(&s, dnnl_bf16, B, in, 0) && md(&wt, dnnl_bf16, in, out, 1) &&
             md(&d, dnnl_f32, B, out, 0) &&
             make(b, &b->p[k][FWD], &s, &wt, &d, 0, b->acts[k], b->weights[k], b->out[k + 1]);
        if (!ok || w->mode != BENCH_TRAIN) continue;
        ok = md(&s, dnnl_bf16, out, B, 1) && md(&wt, dnnl_bf16, B, in, 0) &&
             md(&d, dnnl_f32, out, in, 0) &&
             make(b, &b->p[k][WEIGHTS], &s, &wt, &d, 1, b->deltas[k + 1], b->acts[k],
                  b->grads[k]);
        if (ok && k > 0)
            ok = md(&s, dnnl_bf16, B, out, 0) && md(&wt, dnnl_bf16, out, in, 0) &&
                 md(&d, dnnl_f32, B, in, 0) &&
                 make(b, &b->p[k][DATA], &s, &wt, &d, 0, b->deltas[k + 1], b->weights[k],
                      b->out[k]);
    }
    if (ok) return b;
    bench_bf16_bound_free(b);
    return NULL;
}

static int run(bench_bf16_bound *b, product *p)
{
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_WEIGHTS, p->weights},
                               {DNNL_ARG_DST, p->dst}};
    return dnnl_primitive_execute(p->prim, b->stream, 3, args) == dnnl_success &&
           dnnl_stream_wait(b->stream) == dnnl_success;
}

long bench_bf16_bound_step(void *ctx)
{
    bench_bf16_bound *b = ctx;
    const bench_workload *w = b->w;
    int ok = 1;
    for (size_t k = 0; ok && k < w->n_layers; k++) ok = run(b, &b->p[k][FWD]);
    for (size_t k = w->n_layers; ok && w->mode == BENCH_TRAIN && k-- > 0;) {
        if (k > 0) ok = run(b, &b->p[k][DATA]);
        ok = ok && run(b, &b->p[k][WEIGHTS]);
    }
    return ok ? (long)w->batch : -1;
}
