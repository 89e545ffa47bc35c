/* Float inference from packed weights (packed.h): per layer, the AVX-512 product and the
 * fused bias + activation pass over each thread's block of outputs while it is in cache.
 * Threads are the workspace's team: a batch is split by records, each thread taking its
 * records through every layer (one hand-off per pass); one record, or a batch too small to
 * give every thread a tile of rows, layer by layer by panels of outputs. (Two large layers
 * of one record in a single hand-off, the second split by inputs into partial sums that
 * the caller adds, measured 5-9% slower on W5 than a hand-off per layer: not kept.) */
#include "kernels.h"
#include "packed.h"

#define NR MLP_PACK_NR
#define MC MLP_PACK_MC

typedef struct layer_job {
    const mlp_net *net;
    const mlp_packed *p;
    float *const *w;     /* the packed weights of this pass (mlp_packed_ready) */
    size_t k, batch;
    const float *in;
    float *out, *logits; /* logits: the output layer's, else NULL */
    float **outs;        /* every layer's outputs (the workspace's z) */
    float *output_logits;
    int by_rows;         /* every output of the records at hand: activation included */
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

/* Rows r0 .. r1, panels p0 .. p1 of layer j, with thread t's scratch; then their bias and
 * activation, except softmax split by panels (whole rows: the caller's, after the team). */
static void layer_part(const layer_job *j, size_t r0, size_t r1, size_t p0, size_t p1, int t)
{
    const size_t n_in = j->net->sizes[j->k], n_out = j->net->sizes[j->k + 1];
    const float *w = j->w[j->k];
    const size_t c0 = p0 * NR, c1 = p1 * NR < n_out ? p1 * NR : n_out;
    const int activated = j->by_rows || j->net->activations[j->k] != MLP_ACT_SOFTMAX;
    if (j->batch == 1) {
        mlp_packed_matvec_avx512(w, n_out, n_in, j->in, 0, n_in, p0, p1, j->out);
        if (activated) activate(j, 0, 1, c0, c1);
        return;
    }
    float *scratch = j->p->scratch + (size_t)t * MC * MLP_PACK_KC;
    for (size_t r = r0; r < r1; r += MC) {
        const size_t end = r1 - r < MC ? r1 : r + MC;
        mlp_packed_gemm_avx512(w, n_out, n_in, j->in, r, end, p0, p1, j->out, scratch);
        if (activated) activate(j, r, end, c0, c1);
    }
}

static size_t panels_of(const layer_job *j)
{
    return (j->net->sizes[j->k + 1] + NR - 1) / NR;
}

/* Thread t's panels of one layer, every record. */
static void layer_share(void *ctx, int t, int n)
{
    const layer_job *j = ctx;
    const size_t panels = panels_of(j);
    const size_t p0 = panels * (size_t)t / (size_t)n, p1 = panels * (size_t)(t + 1) / (size_t)n;
    if (p0 < p1) layer_part(j, 0, j->batch, p0, p1, t);
}

/* Thread t's records through every layer: one hand-off per pass, not one per layer. */
static void net_share(void *ctx, int t, int n)
{
    const layer_job *first = ctx;
    const size_t r0 = first->batch * (size_t)t / (size_t)n;
    const size_t r1 = first->batch * (size_t)(t + 1) / (size_t)n;
    if (r0 == r1) return;
    for (layer_job j = *first; j.k < j.net->n_layers; j.k++) {
        j.out = j.outs[j.k + 1];
        j.logits = j.k + 1 == j.net->n_layers ? j.output_logits : NULL;
        layer_part(&j, r0, r1, 0, panels_of(&j), t);
        j.in = j.out;
    }
}
#endif

int mlp_packed_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch)
{
#if MLP_KERNELS_AVX512
    mlp_packed *p = ws->packed;
    if (!p || ws->bf16 || ws->int8) return 0;
    const int threads = mlp_ws_pool_size(ws->pool);
    /* Batches need a scratch per thread: a team grown while in int8 has none here, nor a
     * workspace that only borrows a model's weights; unpacked until set_threads. */
    float *const *w = batch == 1 || threads <= p->scratch_threads ? mlp_packed_ready(p, net)
                                                                   : NULL;
    p->last_packed = w != NULL;
    if (!w) return 0;
    const size_t L = net->n_layers;
    layer_job j = {.net = net, .p = p, .w = w, .k = 0, .batch = batch, .in = inputs, .outs = ws->z,
                   .output_logits = ws->logits, .by_rows = 1};
    /* a tile of records for every thread: each takes its records through the whole net */
    if (threads > 1 && batch >= (size_t)threads * 12) {
        mlp_ws_pool_run(ws->pool, net_share, &j);
        ws->last_output = ws->z[L];
        return 1;
    }
    while (j.k < L) {
        const size_t n_in = net->sizes[j.k], n_out = net->sizes[j.k + 1];
        j.out = ws->z[j.k + 1];
        j.logits = j.k + 1 == L ? ws->logits : NULL;
        /* one record or a few: threads by panels where the layer outweighs a hand-off */
        j.by_rows = !(threads > 1 && batch * n_in * n_out >= MLP_THREAD_MIN_WEIGHTS);
        if (j.by_rows)
            layer_part(&j, 0, batch, 0, panels_of(&j), 0);
        else
            mlp_ws_pool_run(ws->pool, layer_share, &j);
        if (!j.by_rows && net->activations[j.k] == MLP_ACT_SOFTMAX) /* whole rows, after */
            mlp_activation_forward(MLP_ACT_SOFTMAX, j.out, batch, n_out,
                                   net->bias_offset[j.k] == SIZE_MAX
                                       ? NULL
                                       : net->params + net->bias_offset[j.k],
                                   mlp_net_bias_count(net, j.k), j.logits);
        j.in = j.out;
        j.k++;
    }
    ws->last_output = ws->z[L];
    return 1;
#else
    (void)net, (void)ws, (void)inputs, (void)batch;
    return 0;
#endif
}
