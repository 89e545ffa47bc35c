/* Float inference from packed weights (packed.h): per layer, the AVX-512 product and the
 * fused bias + activation pass over each thread's block of outputs while it is in cache.
 * Threads are the workspace's team: a batch is split by records, one record (or a batch
 * too small to give every thread a tile of rows) by panels of outputs. */
#include "kernels.h"
#include "packed.h"

#define NR MLP_PACK_NR
#define MC MLP_PACK_MC

typedef struct layer_job {
    const mlp_net *net;
    const mlp_packed *p;
    size_t k, batch;
    const float *in;
    float *out, *logits; /* logits: the output layer's, else NULL */
    int by_rows;
} layer_job;

#if MLP_KERNELS_AVX512
/* Bias and activation of rows r0 .. r1, outputs c0 .. c1 (softmax: whole rows only). */
static void activate(const layer_job *j, size_t r0, size_t r1, size_t c0, size_t c1)
{
    const mlp_net *net = j->net;
    const size_t n_out = net->sizes[j->k + 1], count = mlp_net_bias_count(net, j->k);
    const float *bias =
        net->bias_offset[j->k] == SIZE_MAX ? NULL : net->params + net->bias_offset[j->k];
    const mlp_activation act = net->activations[j->k];
    if (c0 == 0 && c1 == n_out) {
        mlp_activation_forward(act, j->out + r0 * n_out, r1 - r0, n_out, bias, count,
                               j->logits ? j->logits + r0 * n_out : NULL);
        return;
    }
    const int per_neuron = bias && count > 1;
    for (size_t r = r0; r < r1; r++)
        mlp_activation_forward(act, j->out + r * n_out + c0, 1, c1 - c0,
                               per_neuron ? bias + c0 : bias, per_neuron ? c1 - c0 : count,
                               NULL);
}

static void layer_share(void *ctx, int t, int n)
{
    const layer_job *j = ctx;
    const size_t n_in = j->net->sizes[j->k], n_out = j->net->sizes[j->k + 1];
    const size_t panels = (n_out + NR - 1) / NR;
    const float *w = j->p->w[j->k];
    float *scratch = j->p->scratch + (size_t)t * MC * MLP_PACK_KC;
    size_t r0 = 0, r1 = j->batch, p0 = 0, p1 = panels;
    if (j->by_rows) {
        r0 = j->batch * (size_t)t / (size_t)n;
        r1 = j->batch * (size_t)(t + 1) / (size_t)n;
    } else {
        p0 = panels * (size_t)t / (size_t)n;
        p1 = panels * (size_t)(t + 1) / (size_t)n;
    }
    if (r0 == r1 || p0 == p1) return;
    const size_t c0 = p0 * NR, c1 = p1 * NR < n_out ? p1 * NR : n_out;
    /* softmax needs whole rows: split by panels, it runs after the team (the caller) */
    const int softmax = j->net->activations[j->k] == MLP_ACT_SOFTMAX;
    if (j->batch == 1) {
        mlp_packed_matvec_avx512(w, n_out, n_in, j->in, p0, p1, j->out);
        if (!softmax || j->by_rows) activate(j, 0, 1, c0, c1);
        return;
    }
    for (size_t r = r0; r < r1; r += MC) {
        const size_t end = r1 - r < MC ? r1 : r + MC;
        mlp_packed_gemm_avx512(w, n_out, n_in, j->in, r, end, p0, p1, j->out, scratch);
        if (!softmax || j->by_rows) activate(j, r, end, c0, c1);
    }
}
#endif

int mlp_packed_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch)
{
#if MLP_KERNELS_AVX512
    mlp_packed *p = ws->packed;
    if (!p || ws->bf16 || ws->int8) return 0;
    const int threads = mlp_ws_pool_size(ws->pool);
    if (!(p->last_packed = mlp_packed_ready(p, net))) return 0;
    const size_t L = net->n_layers;
    const float *in = inputs;
    for (size_t k = 0; k < L; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        layer_job j = {.net = net, .p = p, .k = k, .batch = batch, .in = in, .out = ws->z[k + 1],
                       .logits = k + 1 == L ? ws->logits : NULL};
        /* Threads where the layer's work outweighs a hand-off. */
        const int split = threads > 1 && batch * n_in * n_out >= MLP_THREAD_MIN_WEIGHTS;
        j.by_rows = !split || batch >= (size_t)threads * 12;
        if (split)
            mlp_ws_pool_run(ws->pool, layer_share, &j);
        else
            layer_share(&j, 0, 1);
        if (!j.by_rows && net->activations[k] == MLP_ACT_SOFTMAX) /* whole rows, after */
            mlp_activation_forward(MLP_ACT_SOFTMAX, j.out, batch, n_out,
                                   net->bias_offset[k] == SIZE_MAX
                                       ? NULL
                                       : net->params + net->bias_offset[k],
                                   mlp_net_bias_count(net, k), j.logits);
        in = j.out;
    }
    ws->last_output = ws->z[L];
    return 1;
#else
    (void)net, (void)ws, (void)inputs, (void)batch;
    return 0;
#endif
}
