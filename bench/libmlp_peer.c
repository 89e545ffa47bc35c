/* libmlp on a workload: mlp_train_step for minibatch training, mlp_train (one epoch over
 * the bench's records, in order) for one-record training, mlp_forward for inference. */
#include "libmlp_peer.h"

void bench_mlp_free(bench_mlp *m)
{
    mlp_optimizer_free(m->opt);
    mlp_workspace_free(m->ws);
    mlp_net_free(m->net);
    m->opt = NULL;
    m->ws = NULL;
    m->net = NULL;
}

/* The bench's thread count (mlp_set_threads), within mlp_train's 1..256. */
static int bench_threads(void)
{
    int n = mlp_threads();
    return n < 1 ? 1 : n > 256 ? 256 : n;
}

mlp_status bench_mlp_create(bench_mlp *m, const bench_workload *w, const bench_data *d)
{
    *m = (bench_mlp){.w = w, .d = d};
    mlp_activation acts[BENCH_MAX_LAYERS];
    for (size_t k = 0; k < w->n_layers; k++) acts[k] = MLP_ACT_SIGMOID;
    mlp_optimizer_config cfg = mlp_optimizer_config_default(MLP_OPT_SGD);
    cfg.learning_rate = 0.1f;
    cfg.reduction = MLP_REDUCE_MEAN;
    mlp_status s = mlp_net_create(&m->net, w->n_layers, w->sizes, acts, MLP_BIAS_PER_NEURON);
    if (s == MLP_OK) s = mlp_net_init(m->net, MLP_INIT_GLOROT, 42);
    /* Inference as an application serving a net runs it: an inference workspace with the
     * bench's threads, whose float passes run from packed weights (where the CPU has the
     * kernels; docs/performance.md). */
    if (s == MLP_OK && w->mode == BENCH_INFER) {
        s = mlp_workspace_create_inference(&m->ws, m->net, w->batch);
        if (s == MLP_OK) s = mlp_workspace_set_threads(m->ws, bench_threads());
    } else if (s == MLP_OK) {
        s = mlp_workspace_create(&m->ws, m->net, w->batch);
    }
    /* One-record training splits its large layers across the bench's thread count (the
     * OpenBLAS count, set by mlp_set_threads; the row paths then call no BLAS). */
    if (s == MLP_OK && w->mode == BENCH_TRAIN && w->batch == 1)
        s = mlp_workspace_set_threads(m->ws, mlp_threads());
    if (s == MLP_OK && w->mode == BENCH_TRAIN) s = mlp_optimizer_create(&m->opt, m->net, &cfg);
    if (s != MLP_OK) bench_mlp_free(m);
    m->status = s;
    return s;
}

mlp_status bench_mlp_create_bf16(bench_mlp *m, const bench_workload *w, const bench_data *d)
{
    mlp_status s = bench_mlp_create(m, w, d);
    if (s == MLP_OK) s = mlp_workspace_set_precision(m->ws, MLP_PRECISION_BF16);
    if (s != MLP_OK && m->net) bench_mlp_free(m);
    m->status = s;
    return s;
}

mlp_status bench_mlp_create_unpacked(bench_mlp *m, const bench_workload *w, const bench_data *d)
{
    mlp_status s = bench_mlp_create(m, w, d);
    if (s == MLP_OK) {
        mlp_workspace_free(m->ws);
        m->ws = NULL;
        s = mlp_workspace_create(&m->ws, m->net, w->batch);
    }
    if (s != MLP_OK && m->net) bench_mlp_free(m);
    m->status = s;
    return s;
}

mlp_status bench_mlp_create_int8(bench_mlp *m, const bench_workload *w, const bench_data *d)
{
    mlp_status s = bench_mlp_create(m, w, d);
    if (s == MLP_OK && w->mode != BENCH_INFER) s = MLP_ERR_INVALID_ARG;
    if (s == MLP_OK) s = mlp_net_quantize(m->net, d->inputs, d->count, NULL, NULL);
    if (s == MLP_OK) {
        mlp_workspace_free(m->ws);
        m->ws = NULL;
        s = mlp_workspace_create_inference(&m->ws, m->net, w->batch);
    }
    if (s == MLP_OK && mlp_workspace_precision(m->ws) != MLP_PRECISION_INT8)
        s = MLP_ERR_STATE;
    if (s == MLP_OK) s = mlp_workspace_set_threads(m->ws, mlp_threads());
    if (s != MLP_OK && m->net) bench_mlp_free(m);
    m->status = s;
    return s;
}

long bench_mlp_step(void *ctx)
{
    bench_mlp *m = ctx;
    size_t i = m->next_batch;
    m->next_batch = bench_data_next(m->d, i);
    const float *x = bench_data_inputs(m->d, i);
    mlp_status s;
    if (m->w->mode == BENCH_TRAIN && m->w->batch == 1) {
        /* Stochastic training as an application runs it: one epoch of mlp_train over all
         * the records, threads as the workspace above (large layers split by rows). */
        mlp_train_config tc = mlp_train_config_default();
        tc.loss = MLP_LOSS_MSE;
        tc.epochs = 1;
        tc.batch_size = 1;
        tc.shuffle = false;
        tc.restore_best = false;
        tc.threads = bench_threads();
        s = mlp_train(m->net, m->opt, m->d->inputs, m->d->targets, m->d->count, NULL, NULL, 0,
                      &tc, NULL);
        if (s != MLP_OK) {
            m->status = s;
            return -1;
        }
        return (long)m->d->count;
    }
    if (m->w->mode == BENCH_TRAIN)
        s = mlp_train_step(m->net, m->ws, m->opt, x, bench_data_targets(m->d, i), m->w->batch,
                           MLP_LOSS_MSE, NULL);
    else
        s = mlp_forward(m->net, m->ws, x, m->w->batch, NULL);
    if (s != MLP_OK) {
        m->status = s;
        return -1;
    }
    return (long)m->w->batch;
}
