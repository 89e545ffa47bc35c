/* mlp-bench-one-record: what each special case of the one-record engine
 * (lib/engine/one_record.c) earns, measured in one run with interleaved windows: stochastic
 * plain-SGD epochs through mlp_train, as `mlp train --batch 1` runs them, with everything on
 * and with one case turned off (MLP_ENGINE_OFF, MLP_KERNELS, read by the test-control build
 * this bench links, when mlp_train makes its
 * workspace). Prints one CSV row per case: case, network, samples/s, ratio to all on. */
#include "timing.h"

#include <mlp.h>
#include <stdio.h>
#include <stdlib.h>

/* W3 784-128-10, W4 2-8-1, WIDE 784-512-10 (training); W5 784-1024-1024-10 (inference). */
typedef enum net_kind { W3, W4, WIDE, W5 } net_kind;

typedef struct one_case {
    const char *name;
    net_kind kind;
    const char *kernels; /* MLP_KERNELS, NULL: the CPU's best */
    const char *off;     /* MLP_ENGINE_OFF, NULL: nothing off */
    int threads;
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_workspace *ws; /* inference cases */
    float *x, *y;
    size_t count;
} one_case;

static one_case cases[] = {
    {.name = "W3 all on", .kind = W3, .threads = 2},
    {.name = "W3 no first-layer fusion", .kind = W3, .off = "fuse", .threads = 2},
    {.name = "W3 AVX2 loops instead of AVX-512", .kind = W3, .kernels = "avx2", .threads = 2},
    {.name = "W3 generic loops", .kind = W3, .kernels = "generic", .threads = 2},
    {.name = "W3 BLAS level 2 for every layer", .kind = W3, .kernels = "blas", .threads = 2},
    {.name = "W4 all on", .kind = W4, .threads = 1},
    {.name = "W4 no tiny-net step", .kind = W4, .off = "tiny", .threads = 1},
    {.name = "784-512-10 all on (2 threads)", .kind = WIDE, .threads = 2},
    {.name = "784-512-10 no thread split", .kind = WIDE, .off = "split", .threads = 2},
    {.name = "W5 inference all on", .kind = W5},
    {.name = "W5 inference with hand loops on 1M-weight layers", .kind = W5, .off = "blas"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static const char *network(const one_case *c)
{
    static const char *const names[] = {"784-128-10", "2-8-1", "784-512-10", "784-1024-1024-10"};
    return names[c->kind];
}

static int setup(one_case *c)
{
    static const size_t shapes[][4] = {{784, 128, 10}, {2, 8, 1}, {784, 512, 10},
                                       {784, 1024, 1024, 10}};
    const size_t *sizes = shapes[c->kind];
    const size_t layers = c->kind == W5 ? 3 : 2;
    const mlp_activation acts[] = {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID, MLP_ACT_SIGMOID};
    c->count = c->kind == W4 ? 16384 : c->kind == W5 ? 64 : 1024;
    if (mlp_net_create(&c->net, layers, sizes, acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(c->net, MLP_INIT_AUTO, 1) != MLP_OK)
        return -1;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    if (mlp_optimizer_create(&c->opt, c->net, &oc) != MLP_OK) return -1;
    c->x = malloc(c->count * sizes[0] * sizeof(float));
    c->y = malloc(c->count * sizes[layers] * sizeof(float));
    if (!c->x || !c->y) return -1;
    unsigned long long s = 1;
    for (size_t i = 0; i < c->count * sizes[0]; i++)
        c->x[i] = (float)((s = s * 6364136223846793005ULL + 1442695040888963407ULL) >> 40) / 16777216.0f;
    for (size_t i = 0; i < c->count * sizes[layers]; i++) c->y[i] = 0.05f + 0.9f * (float)(i % 7) / 7.0f;
    return 0;
}

/* The case's overrides, read by the workspaces made after this call. */
static void set_overrides(const one_case *c)
{
    if (c->kernels) setenv("MLP_KERNELS", c->kernels, 1);
    else unsetenv("MLP_KERNELS");
    if (c->off) setenv("MLP_ENGINE_OFF", c->off, 1);
    else unsetenv("MLP_ENGINE_OFF");
}

/* Records one at a time through mlp_forward (the W5 cases; the workspace is made once). */
static long infer(void *ctx)
{
    one_case *c = ctx;
    for (size_t r = 0; r < c->count; r++)
        if (mlp_forward(c->net, c->ws, c->x + r * 784, 1, NULL) != MLP_OK) return -1;
    return (long)c->count;
}

/* One stochastic epoch. */
static long epoch(void *ctx)
{
    one_case *c = ctx;
    set_overrides(c);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 1;
    tc.batch_size = 1;
    tc.threads = c->threads;
    mlp_status st = mlp_train(c->net, c->opt, c->x, c->y, c->count, NULL, NULL, 0, &tc, NULL);
    return st == MLP_OK ? (long)c->count : -1;
}

int main(int argc, char **argv)
{
    const double window = argc > 1 ? atof(argv[1]) : 0.5;
    if (!(window > 0)) {
        fprintf(stderr, "usage: mlp-bench-one-record [SECONDS_PER_WINDOW]\n");
        return 2;
    }
    bench_step_fn steps[N_CASES];
    void *ctxs[N_CASES];
    double rates[N_CASES];
    bool ok[N_CASES];
    for (size_t i = 0; i < N_CASES; i++) {
        if (setup(&cases[i]) != 0) {
            fprintf(stderr, "mlp-bench-one-record: out of memory\n");
            return 1;
        }
        steps[i] = epoch;
        ctxs[i] = &cases[i];
        if (cases[i].kind == W5) { /* inference: the plan is made with the workspace */
            set_overrides(&cases[i]);
            if (mlp_workspace_create(&cases[i].ws, cases[i].net, 1) != MLP_OK) return 1;
            steps[i] = infer;
        }
    }
    bench_timing t = {.warmup_s = window, .window_s = window, .windows = 7};
    if (bench_measure_many(&t, N_CASES, steps, ctxs, rates, ok) != 0) return 1;
    printf("case,network,samples_per_s,ratio_to_all_on\n");
    for (size_t i = 0; i < N_CASES; i++) {
        size_t base = 0; /* the first case of the same network: everything on */
        while (cases[base].kind != cases[i].kind) base++;
        if (!ok[i]) printf("%s,%s,failed,\n", cases[i].name, network(&cases[i]));
        else printf("%s,%s,%.0f,%.2f\n", cases[i].name, network(&cases[i]), rates[i],
                    rates[i] / rates[base]);
    }
    return 0;
}
