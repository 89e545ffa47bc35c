/* mlp_workspace_set_threads: one-record plain SGD with a workspace's worker threads gives
 * the single-thread results up to float rounding, the same bits on every run, clean
 * errors, and workers that are joined (ASan/TSan builds check the leaks and races). */
#define _POSIX_C_SOURCE 200809L
#include "mlp.h"
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RECORDS = 24, STEPS = 40 };

typedef struct topo {
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_loss loss;
} topo;

/* Every one has a layer of >= 131072 weights (MLP_THREAD_MIN_WEIGHTS); the third a large
 * hidden layer too, whose delta_prev is summed from the threads' partial buffers. */
static const topo topos[] = {
    {2, {600, 256, 10}, {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {2, {784, 256, 10}, {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {3, {130, 1025, 255, 10}, {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_SOFTMAX}, MLP_LOSS_CROSS_ENTROPY},
    {2, {131, 1001, 3}, {MLP_ACT_SIGMOID, MLP_ACT_TANH}, MLP_LOSS_MSE},
    /* two rows split: the second thread's share is empty */
    {2, {65600, 2, 1}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
};
enum { N_TOPOS = sizeof topos / sizeof topos[0] };


typedef struct run {
    mlp_net *net;
    float *outputs; /* RECORDS x n_L: mlp_forward after training */
    float *last;    /* the workspace's output after the last training step */
    double loss;    /* summed over the steps */
} run;

static void run_free(run *r)
{
    mlp_net_free(r->net);
    free(r->outputs);
    free(r->last);
}

/* STEPS one-record SGD steps on net `t` with a workspace of `threads` threads. */
static run train(const topo *t, mlp_bias_mode bias, int threads, float weight_decay)
{
    run r = {0};
    const size_t n0 = t->sizes[0], nl = t->sizes[t->layers];
    ck_assert_int_eq(mlp_net_create(&r.net, t->layers, t->sizes, t->acts, bias), MLP_OK);
    ck_assert_int_eq(mlp_net_init(r.net, MLP_INIT_AUTO, 77), MLP_OK);
    /* non-zero biases, so that every bias mode is exercised in the forward shares */
    float *p = mlp_net_params(r.net);
    for (size_t k = 0; k < t->layers; k++) {
        size_t off = mlp_net_bias_offset(r.net, k), n = mlp_net_bias_count(r.net, k);
        for (size_t j = 0; off != SIZE_MAX && j < n; j++) p[off + j] = 0.01f * (float)(j % 7) - 0.03f;
    }
    float *x = malloc(RECORDS * n0 * sizeof *x), *y = calloc(RECORDS * nl, sizeof *y);
    ck_assert(x && y);
    uint64_t s = 1234;
    tu_fill_uniform(&s, x, RECORDS * n0, -1.0, 1.0);
    for (size_t i = 0; i < RECORDS; i++) y[i * nl + i % nl] = 1.0f;

    mlp_workspace *ws = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.05f;
    oc.weight_decay = weight_decay;
    ck_assert_int_eq(mlp_workspace_create(&ws, r.net, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, threads), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&opt, r.net, &oc), MLP_OK);
    for (int i = 0; i < STEPS; i++) {
        double c = 0.0;
        size_t row = (size_t)i % RECORDS;
        ck_assert_int_eq(mlp_train_step(r.net, ws, opt, x + row * n0, y + row * nl, 1, t->loss, &c),
                         MLP_OK);
        r.loss += c;
    }
    r.last = malloc(nl * sizeof *r.last);
    r.outputs = malloc(RECORDS * nl * sizeof *r.outputs);
    ck_assert(r.last && r.outputs);
    memcpy(r.last, mlp_workspace_output(ws), nl * sizeof *r.last);
    for (size_t i = 0; i < RECORDS; i++)
        ck_assert_int_eq(mlp_forward(r.net, ws, x + i * n0, 1, r.outputs + i * nl), MLP_OK);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    free(x);
    free(y);
    return r;
}

/* max |a - b| / max(|b|, floor) */
static double rel_err(const float *a, const float *b, size_t n, double floor_)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / fmax(fabs((double)b[i]), floor_);
        if (isnan(d)) return INFINITY;
        if (d > worst) worst = d;
    }
    return worst;
}

static void expect_close(const run *a, const run *b, const topo *t)
{
    const size_t nl = t->sizes[t->layers];
    ck_assert_uint_eq(mlp_net_param_count(a->net), mlp_net_param_count(b->net));
    ck_assert_double_le(rel_err(mlp_net_params_const(a->net), mlp_net_params_const(b->net),
                                mlp_net_param_count(a->net), 1e-2), 1e-4);
    ck_assert_double_le(rel_err(a->last, b->last, nl, 1e-3), 1e-4);
    ck_assert_double_le(rel_err(a->outputs, b->outputs, RECORDS * nl, 1e-3), 1e-4);
    ck_assert_double_le(fabs(a->loss - b->loss), 1e-4 * fmax(1.0, fabs(b->loss)));
}

static void expect_same_bits(const run *a, const run *b, const topo *t)
{
    const size_t nl = t->sizes[t->layers];
    ck_assert(memcmp(mlp_net_params_const(a->net), mlp_net_params_const(b->net),
                     mlp_net_param_count(a->net) * sizeof(float)) == 0);
    ck_assert(memcmp(a->last, b->last, nl * sizeof(float)) == 0);
    ck_assert(memcmp(&a->loss, &b->loss, sizeof a->loss) == 0);
}

/* _i: topology x bias mode */
START_TEST(threads_match_single_thread)
{
    const topo *t = &topos[_i / MLP_BIAS_COUNT];
    const mlp_bias_mode bias = (mlp_bias_mode)(_i % MLP_BIAS_COUNT);
    const float wd = _i % 2 ? 1e-3f : 0.0f;
    run one = train(t, bias, 1, wd);
    for (int n = 2; n <= 3; n++) {
        run many = train(t, bias, n, wd);
        expect_close(&many, &one, t);
        run_free(&many);
    }
    run_free(&one);
}
END_TEST

START_TEST(threads_repeat_bit_for_bit)
{
    const topo *t = &topos[_i];
    for (int n = 2; n <= 4; n += 2) {
        run a = train(t, MLP_BIAS_PER_NEURON, n, 1e-4f);
        run b = train(t, MLP_BIAS_PER_NEURON, n, 1e-4f);
        expect_same_bits(&a, &b, t);
        run_free(&a);
        run_free(&b);
    }
}
END_TEST

START_TEST(set_threads_errors)
{
    const topo *t = &topos[1];
    mlp_net *net = NULL;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_net_create(&net, t->layers, t->sizes, t->acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(NULL, 2), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, -3), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 100000), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 3), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 3), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 0), MLP_ERR_INVALID_ARG); /* keeps 3 */
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 1), MLP_OK);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Live workers (never used, used, more threads than rows per share) are joined by free. */
START_TEST(free_joins_workers)
{
    const topo *t = &topos[1];
    mlp_net *net = NULL;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_net_create(&net, t->layers, t->sizes, t->acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 3), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float x[784] = {0}, y[10] = {1};
    for (int n = 2; n <= 40; n += 19) {
        for (int use = 0; use < 2; use++) {
            mlp_workspace *ws = NULL;
            ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
            ck_assert_int_eq(mlp_workspace_set_threads(ws, n), MLP_OK);
            for (int i = 0; use && i < 50; i++)
                ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, 1, MLP_LOSS_MSE, NULL), MLP_OK);
            mlp_workspace_free(ws);
        }
    }
    /* a workspace whose workers went to sleep still trains and frees */
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_OK);
    struct timespec pause = {0, 50 * 1000 * 1000};
    for (int i = 0; i < 3; i++) {
        nanosleep(&pause, NULL);
        ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, 1, MLP_LOSS_MSE, NULL), MLP_OK);
    }
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

static Suite *workspace_threads_suite(void)
{
    Suite *s = suite_create("workspace_threads");
    TCase *tc = tcase_create("workspace_threads");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, threads_match_single_thread, 0, N_TOPOS * MLP_BIAS_COUNT);
    tcase_add_loop_test(tc, threads_repeat_bit_for_bit, 0, N_TOPOS);
    tcase_add_test(tc, set_threads_errors);
    tcase_add_test(tc, free_joins_workers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    mlp_set_threads(1);
    SRunner *sr = srunner_create(workspace_threads_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
