/* The bf16 weight refresh, measured through the public API (see bf16_refresh.h). */
#include "bf16_refresh.h"

#include <stdlib.h>

#include "mlp.h"

#define BATCHES 16
#define BATCH 16

typedef struct refresh_ctx {
    const bench_workload *w;
    mlp_net *net;
    mlp_workspace *ws;
    float *x, *y;
} refresh_ctx;

/* BATCHES forward passes of a net that changed before each: BATCHES refreshes. */
static long forwards(void *p)
{
    refresh_ctx *c = p;
    const size_t B = c->w->batch, n0 = c->w->sizes[0];
    for (size_t i = 0; i < BATCHES; i++)
        if (!mlp_net_params(c->net) || mlp_forward(c->net, c->ws, c->x + i * B * n0, B, NULL) != MLP_OK)
            return -1;
    return (long)(BATCHES * B);
}

/* The same passes in one evaluation of the unchanged net: no refresh. */
static long evaluation(void *p)
{
    refresh_ctx *c = p;
    double loss;
    if (mlp_evaluate(c->net, c->ws, c->x, c->y, BATCHES * c->w->batch, MLP_LOSS_MSE, &loss,
                     NULL) != MLP_OK)
        return -1;
    return (long)(BATCHES * c->w->batch);
}

int bench_bf16_refresh(const bench_workload *net_of, const bench_timing *t, double *refresh_s,
                       double *forward_s)
{
    bench_workload small = *net_of;
    small.batch = BATCH;
    const bench_workload *w = &small;
    refresh_ctx c = {.w = w};
    const size_t n = BATCHES * w->batch, n0 = w->sizes[0], nL = w->sizes[w->n_layers];
    mlp_activation acts[BENCH_MAX_LAYERS];
    for (size_t k = 0; k < w->n_layers; k++) acts[k] = MLP_ACT_SIGMOID;
    int rc = -1;
    c.x = calloc(n * n0, sizeof *c.x);
    c.y = calloc(n * nL, sizeof *c.y);
    if (c.x && c.y && mlp_net_create(&c.net, w->n_layers, w->sizes, acts, MLP_BIAS_PER_NEURON) == MLP_OK &&
        mlp_net_init(c.net, MLP_INIT_GLOROT, 42) == MLP_OK &&
        mlp_workspace_create_inference(&c.ws, c.net, w->batch) == MLP_OK &&
        mlp_workspace_set_precision(c.ws, MLP_PRECISION_BF16) == MLP_OK) {
        for (size_t i = 0; i < n * n0; i++) c.x[i] = (float)(i % 97) / 97.0f;
        bench_step_fn steps[2] = {forwards, evaluation};
        void *ctxs[2] = {&c, &c};
        double rates[2];
        bool ok[2];
        if (bench_measure_many(t, 2, steps, ctxs, rates, ok) == 0 && ok[0] && ok[1]) {
            /* seconds per batch: forward = pass + refresh, evaluate = pass */
            const double f = (double)w->batch / rates[0], e = (double)w->batch / rates[1];
            *refresh_s = f - e;
            *forward_s = f - *refresh_s;
            rc = 0;
        }
    }
    mlp_workspace_free(c.ws);
    mlp_net_free(c.net);
    free(c.x);
    free(c.y);
    return rc;
}
