/* mlp-bench-bf16-step: a bf16 training step with its element-wise passes on the calling
 * thread (as shipped) and shared with oneDNN's OpenMP team (MLP_ENGINE_ON=bf16team, read by
 * the test-control build this bench links when the workspace is made), against the
 * bf16 GEMM bound, in one run with interleaved windows (mlp_train_step as mlp-bench runs
 * it: sigmoid layers, MSE, plain SGD). Prints one CSV row per case. Usage:
 *   mlp-bench-bf16-step [W1|W2] [seconds per window]   (default W1, 0.5) */
#include "bf16_bound.h"
#include "timing.h"
#include "workloads.h"

#include <mlp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bf16_case {
    const char *name;
    const char *on; /* MLP_ENGINE_ON while the workspace is made; NULL: as shipped */
    const bench_workload *w;
    const bench_data *d;
    mlp_net *net;
    mlp_workspace *ws;
    mlp_optimizer *opt;
    size_t next;
} bf16_case;

static int make(bf16_case *c)
{
    mlp_activation acts[BENCH_MAX_LAYERS];
    for (size_t k = 0; k < c->w->n_layers; k++) acts[k] = MLP_ACT_SIGMOID;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.1f;
    oc.reduction = MLP_REDUCE_MEAN;
    if (c->on) setenv("MLP_ENGINE_ON", c->on, 1);
    int ok = mlp_net_create(&c->net, c->w->n_layers, c->w->sizes, acts, MLP_BIAS_PER_NEURON) ==
                 MLP_OK &&
             mlp_net_init(c->net, MLP_INIT_GLOROT, 42) == MLP_OK &&
             mlp_workspace_create(&c->ws, c->net, c->w->batch) == MLP_OK &&
             mlp_workspace_set_precision(c->ws, MLP_PRECISION_BF16) == MLP_OK &&
             mlp_optimizer_create(&c->opt, c->net, &oc) == MLP_OK;
    unsetenv("MLP_ENGINE_ON");
    return ok;
}

static long step(void *ctx)
{
    bf16_case *c = ctx;
    const size_t i = c->next;
    c->next = bench_data_next(c->d, i);
    return mlp_train_step(c->net, c->ws, c->opt, bench_data_inputs(c->d, i),
                          bench_data_targets(c->d, i), c->w->batch, MLP_LOSS_MSE,
                          NULL) == MLP_OK
               ? (long)c->w->batch
               : -1;
}

int main(int argc, char **argv)
{
    /* As mlp-bench: OpenMP's idle threads sleep unless the caller chose (read at load). */
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("OMP_WAIT_POLICY");
    }
    const char *name = argc > 1 ? argv[1] : "W1";
    const double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    if (mlp_precision_supported(MLP_PRECISION_BF16, NULL) != MLP_OK || mlp_set_threads(2)) {
        fprintf(stderr, "mlp-bench-bf16-step: no bf16 on this build or CPU\n");
        return 77;
    }
    size_t n_all;
    const bench_workload *all = bench_workloads(&n_all), *w = NULL;
    for (size_t i = 0; i < n_all && !w; i++)
        if (!strcmp(all[i].name, name) && all[i].mode == BENCH_TRAIN && all[i].batch > 1)
            w = &all[i];
    bench_data d;
    if (!w || seconds <= 0 || !bench_data_create(&d, w, 1234)) {
        fprintf(stderr, "usage: mlp-bench-bf16-step [W1|W2] [seconds per window]\n");
        return 2;
    }
    bf16_case cases[] = {
        {.name = "passes on the calling thread (as shipped)", .w = w, .d = &d},
        {.name = "passes shared with the OpenMP team", .on = "bf16team", .w = w, .d = &d},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    bench_step_fn steps[N + 1];
    void *ctxs[N + 1];
    for (size_t j = 0; j < N; j++) {
        if (!make(&cases[j])) {
            fprintf(stderr, "mlp-bench-bf16-step: %s: could not be made\n", cases[j].name);
            return 1;
        }
        steps[j] = step;
        ctxs[j] = &cases[j];
    }
    bench_bf16_bound *bound = bench_bf16_bound_create(w);
    steps[N] = bench_bf16_bound_step;
    ctxs[N] = bound;
    double rates[N + 1];
    bool ok[N + 1];
    const bench_timing t = {seconds, seconds, 7};
    if (!bound || bench_measure_many(&t, N + 1, steps, ctxs, rates, ok) != 0 || !ok[N]) {
        fprintf(stderr, "mlp-bench-bf16-step: the bound could not be measured\n");
        return 1;
    }
    printf("case,workload,samples_per_s,ratio_to_bf16_bound\n");
    for (size_t j = 0; j < N; j++)
        if (ok[j])
            printf("%s,%s,%.0f,%.3f\n", cases[j].name, w->name, rates[j], rates[j] / rates[N]);
    printf("bf16 GEMM bound,%s,%.0f,1.000\n", w->name, rates[N]);
    for (size_t j = 0; j < N; j++) {
        mlp_optimizer_free(cases[j].opt);
        mlp_workspace_free(cases[j].ws);
        mlp_net_free(cases[j].net);
    }
    bench_bf16_bound_free(bound);
    bench_data_free(&d);
    return 0;
}
