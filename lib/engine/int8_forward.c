/* The forward pass of a quantized net (MLP_PRECISION_INT8): each layer's inputs rounded to
 * 8 bits, the int8 product (int8_gemm.c), then the float bias and activation pass that
 * float nets use. */
#include "kernels.h" /* MLP_THREAD_MIN_WEIGHTS: the same threshold as the float passes */

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mlp_int8_scratch {
    uint8_t *q;         /* max_batch x (widest n_k rounded up to 4): quantized inputs */
    float *row_scale;   /* max_batch: the step of each record's quantized inputs */
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

mlp_status mlp_int8_scratch_create(mlp_int8_scratch **out, const mlp_workspace *ws,
                                   size_t *bytes)
{
    size_t widest = 0, n;
    for (size_t k = 0; k < ws->shape->n_layers; k++)
        if (ws->shape->sizes[k] > widest) widest = ws->shape->sizes[k];
    widest = (widest + 3) / 4 * 4;
    if (!mlp_mul_size(ws->max_batch, widest, &n)) return MLP_ERR_NO_MEMORY;
    mlp_int8_scratch *s = mlp_mem_calloc(1, sizeof *s);
    if (!s) return MLP_ERR_NO_MEMORY;
    s->q = mlp_mem_aligned_alloc(64, (n + 63) / 64 * 64);
    s->row_scale = mlp_mem_alloc(ws->max_batch * sizeof *s->row_scale);
    if (!s->q || !s->row_scale) {
        mlp_int8_scratch_free(s);
        return MLP_ERR_NO_MEMORY;
    }
    s->gemm = pick_kernel();
    *bytes = sizeof *s + n + ws->max_batch * sizeof *s->row_scale;
    *out = s;
    return MLP_OK;
}

void mlp_int8_scratch_free(mlp_int8_scratch *s)
{
    if (!s) return;
    mlp_mem_aligned_free(s->q);
    mlp_mem_free(s->row_scale);
    mlp_mem_free(s);
}

/* Row i of x (n floats) to k_pad bytes: round(x / step) + zero, clamped to the layer's
 * range (1..255 signed, 0..255 unsigned), padding 0. The step is the layer's (STATIC) or
 * the row's largest magnitude over the range's half-width (DYNAMIC). Rounding is half away
 * from zero, written so that the loop vectorises. */
static void quantize_rows(const mlp_int8_layer *l, const float *x, size_t batch, uint8_t *q,
                          float *row_scale)
{
    const size_t n = l->n_in;
    const float zero = (float)l->in_zero;
    const float lo = l->in_zero ? -127.0f : 0.0f, hi = l->in_zero ? 127.0f : 255.0f;
    for (size_t i = 0; i < batch; i++) {
        const float *row = x + i * n;
        float step = l->in_scale;
        if (step == 0.0f) { /* dynamic */
            float m = 0.0f;
            if (l->in_zero)
                for (size_t k = 0; k < n; k++) m = fabsf(row[k]) > m ? fabsf(row[k]) : m;
            else
                for (size_t k = 0; k < n; k++) m = row[k] > m ? row[k] : m;
            step = m > 0.0f ? m / hi : 1.0f;
        }
        const float inv = 1.0f / step;
        uint8_t *out = q + i * l->k_pad;
        /* Comparisons, not fminf/fmaxf: those are library calls unless NaN and signed-zero
         * rules are relaxed, and they kept this loop scalar (a third of an int8 pass). */
        for (size_t k = 0; k < n; k++) {
            float v = row[k] * inv;
            v = v < lo ? lo : v > hi ? hi : v;
            v += v >= 0.0f ? 0.5f : -0.5f;
            out[k] = (uint8_t)((int)v + (int)zero);
        }
        for (size_t k = n; k < l->k_pad; k++) out[k] = 0;
        row_scale[i] = step;
    }
}

/* Large layers split their output blocks of 64 across the workspace's threads. */
typedef struct split_job {
    mlp_int8_gemm_fn gemm;
    const mlp_int8_layer *l;
    const uint8_t *q;
    size_t batch;
    const float *row_scale;
    float *out;
} split_job;

static void run_split(void *ctx, int tid, int n)
{
    const split_job *j = ctx;
    const size_t groups = (j->l->n_pad / 16 + 3) / 4; /* the kernel's column blocks */
    const size_t first = groups * (size_t)tid / (size_t)n,
                 last = groups * (size_t)(tid + 1) / (size_t)n;
    if (first >= last) return;
    /* The layer restricted to outputs [64 first, 64 last): the same packed blocks. */
    mlp_int8_layer part = *j->l;
    const size_t j0 = 64 * first, j1 = 64 * last < j->l->n_out ? 64 * last : j->l->n_out;
    part.packed = j->l->packed + j0 * j->l->k_pad;
    part.w_scale = j->l->w_scale + j0;
    part.w_corr = j->l->w_corr + j0;
    part.n_out = j1 - j0;
    part.n_pad = (part.n_out + 15) / 16 * 16;
    j->gemm(&part, j->q, j->batch, j->row_scale, j->out + j0, j->l->n_out);
}

void mlp_int8_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch)
{
    const size_t L = net->n_layers;
    mlp_int8_scratch *s = ws->int8;
    const float *in = inputs;
    for (size_t k = 0; k < L; k++) {
        const mlp_int8_layer *l = &net->int8->layers[k];
        float *out = ws->z[k + 1];
        quantize_rows(l, in, batch, s->q, s->row_scale);
        split_job job = {s->gemm, l, s->q, batch, s->row_scale, out};
        if (ws->pool && l->n_in * l->n_out >= MLP_THREAD_MIN_WEIGHTS)
            mlp_ws_pool_run(ws->pool, run_split, &job);
        else
            s->gemm(l, s->q, batch, s->row_scale, out, l->n_out);
        const float *bias = net->bias_offset[k] == SIZE_MAX ? NULL
                                                            : net->params + net->bias_offset[k];
        mlp_activation_forward(net->activations[k], out, batch, l->n_out, bias,
                               mlp_net_bias_count(net, k), k + 1 == L ? ws->logits : NULL);
        in = out;
    }
    ws->last_output = ws->z[L];
}
