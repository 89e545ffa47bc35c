/* The GEMM-only bound and the SGEMM peak. */
#include "gemm_bound.h"

#include <cblas.h>
#include <stdlib.h>

#include "mlp.h"

struct bench_bound {
    const bench_workload *w;
    float *weights[BENCH_MAX_LAYERS];  /* n_(k+1) x n_k */
    float *grads[BENCH_MAX_LAYERS];    /* n_(k+1) x n_k */
    float *acts[BENCH_MAX_LAYERS + 1]; /* B x n_k, acts[0] the inputs */
    float *deltas[BENCH_MAX_LAYERS + 1];
    /* inference: the products as libmlp runs them (packed, its threads), on a net of the
     * same widths with nothing else to do (linear, no bias) */
    mlp_net *net;
    mlp_workspace *ws;
};

static float *filled(size_t n, float value)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (p)
        for (size_t i = 0; i < n; i++) p[i] = value * (float)((i % 7) + 1);
    return p;
}

void bench_bound_free(bench_bound *c)
{
    if (!c) return;
    mlp_workspace_free(c->ws);
    mlp_net_free(c->net);
    for (size_t k = 0; k <= BENCH_MAX_LAYERS; k++) {
        if (k < BENCH_MAX_LAYERS) {
            free(c->weights[k]);
            free(c->grads[k]);
        }
        free(c->acts[k]);
        free(c->deltas[k]);
    }
    free(c);
}

/* The inference bound's net and workspace; 0 when they cannot be made (c is then freed). */
static int products_net(bench_bound *c)
{
    const bench_workload *w = c->w;
    mlp_activation acts[BENCH_MAX_LAYERS];
    for (size_t k = 0; k < w->n_layers; k++) acts[k] = MLP_ACT_LINEAR;
    int n = mlp_threads();
    n = n < 1 ? 1 : n > 256 ? 256 : n;
    if (mlp_net_create(&c->net, w->n_layers, w->sizes, acts, MLP_BIAS_NONE) == MLP_OK &&
        mlp_net_init(c->net, MLP_INIT_GLOROT, 42) == MLP_OK &&
        mlp_workspace_create_inference(&c->ws, c->net, w->batch) == MLP_OK &&
        mlp_workspace_set_threads(c->ws, n) == MLP_OK)
        return 1;
    bench_bound_free(c);
    return 0;
}

bench_bound *bench_bound_create(const bench_workload *w)
{
    bench_bound *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->w = w;
    size_t b = w->batch;
    for (size_t k = 0; k <= w->n_layers; k++) {
        c->acts[k] = filled(b * w->sizes[k], 0.01f);
        c->deltas[k] = filled(b * w->sizes[k], 0.001f);
        if (!c->acts[k] || !c->deltas[k]) break;
        if (k == w->n_layers) return w->mode == BENCH_INFER && !products_net(c) ? NULL : c;
        c->weights[k] = filled(w->sizes[k + 1] * w->sizes[k], 0.01f);
        c->grads[k] = filled(w->sizes[k + 1] * w->sizes[k], 0.0f);
        if (!c->weights[k] || !c->grads[k]) break;
    }
    bench_bound_free(c);
    return NULL;
}

static void forward(const bench_bound *c)
{
    const bench_workload *w = c->w;
    int b = (int)w->batch;
    for (size_t k = 0; k < w->n_layers; k++) {
        int in = (int)w->sizes[k], out = (int)w->sizes[k + 1];
        if (b == 1)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, c->weights[k], in,
                        c->acts[k], 1, 0.0f, c->acts[k + 1], 1);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, out, in, 1.0f, c->acts[k],
                        in, c->weights[k], in, 0.0f, c->acts[k + 1], out);
    }
}

static void backward(const bench_bound *c)
{
    const bench_workload *w = c->w;
    int b = (int)w->batch;
    for (size_t k = w->n_layers; k-- > 0;) {
        int in = (int)w->sizes[k], out = (int)w->sizes[k + 1];
        if (b == 1) {
            cblas_sger(CblasRowMajor, out, in, 1.0f, c->deltas[k + 1], 1, c->acts[k], 1,
                       c->grads[k], in);
            if (k > 0)
                cblas_sgemv(CblasRowMajor, CblasTrans, out, in, 1.0f, c->weights[k], in,
                            c->deltas[k + 1], 1, 0.0f, c->deltas[k], 1);
        } else {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, b, 1.0f,
                        c->deltas[k + 1], out, c->acts[k], in, 0.0f, c->grads[k], in);
            if (k > 0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, in, out, 1.0f,
                            c->deltas[k + 1], out, c->weights[k], in, 0.0f, c->deltas[k], in);
        }
    }
}

long bench_bound_step(void *ctx)
{
    const bench_bound *c = ctx;
    if (c->ws) /* inference */
        return mlp_forward(c->net, c->ws, c->acts[0], c->w->batch, NULL) == MLP_OK
                   ? (long)c->w->batch
                   : -1;
    forward(c);
    if (c->w->mode == BENCH_TRAIN) backward(c);
    return (long)c->w->batch;
}

struct bench_peak {
    int n;
    float *a, *b, *c;
};

void bench_peak_free(bench_peak *p)
{
    if (!p) return;
    free(p->a);
    free(p->b);
    free(p->c);
    free(p);
}

bench_peak *bench_peak_create(int n)
{
    size_t nn = (size_t)n * (size_t)n;
    bench_peak *p = malloc(sizeof *p);
    if (!p) return NULL;
    *p = (bench_peak){n, filled(nn, 0.001f), filled(nn, 0.001f), filled(nn, 0.0f)};
    if (p->a && p->b && p->c) return p;
    bench_peak_free(p);
    return NULL;
}

long bench_peak_step(void *ctx)
{
    bench_peak *p = ctx;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, p->n, p->n, p->n, 1.0f, p->a, p->n,
                p->b, p->n, 0.0f, p->c, p->n);
    return 1;
}

double bench_peak_gflops(int n, double steps_per_s)
{
    return 2.0 * (double)n * (double)n * (double)n * steps_per_s * 1e-9;
}

int bench_sgemm_peak(int n, const bench_timing *timing, double *gflops)
{
    bench_peak *p = bench_peak_create(n);
    double per_s;
    int rc = p ? bench_measure(timing, bench_peak_step, p, &per_s) : -1;
    if (rc == 0) *gflops = bench_peak_gflops(n, per_s);
    bench_peak_free(p);
    return rc;
}
