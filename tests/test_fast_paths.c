/* Every one-record route against the double-precision reference, not against another fast
 * path: forward and gradient at batch 1 (hand kernels, and BLAS on layers above 2^18
 * weights), plain-SGD mlp_train_step (tiny-net path, general path, split across workspace
 * threads), and mlp_train's pipelined stochastic epoch (with and without threads). Each net
 * sits on one side of a threshold: widths <= 32 (tiny path), >= 2^17 weights (threads),
 * > 2^18 weights (BLAS). */
#include "test_util.h"

#include <check.h>

#define REF_TOL 1e-4
#define LR 0.02
#define WD 0.1

typedef struct route_net {
    const char *name;
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_loss loss;
} route_net;

static const route_net nets[] = {
    /* tiny path: every width <= 32, MSE; 33 is just past it */
    {"tiny", 2, {5, 32, 3}, {MLP_ACT_TANH, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {"tiny W4 shape", 2, {2, 8, 1}, {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {"tiny one input", 2, {1, 16, 3}, {MLP_ACT_LEAKY_RELU, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {"tiny deep", 3, {3, 8, 8, 1}, {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {"tiny four inputs", 2, {4, 9, 2}, {MLP_ACT_TANH, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {"just past tiny", 2, {5, 33, 3}, {MLP_ACT_RELU, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {"rows in fours", 2, {7, 36, 2}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {"odd widths, softmax", 3, {17, 3, 33, 4}, {MLP_ACT_LEAKY_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX},
     MLP_LOSS_CROSS_ENTROPY},
    {"one neuron", 2, {1, 257, 1}, {MLP_ACT_SIGMOID, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    /* 257 x 513 = 131841 >= 2^17 weights: split across threads when the workspace has
     * them; 257 x 509 = 130813 just below */
    {"thread split", 2, {513, 257, 3}, {MLP_ACT_TANH, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {"just below thread split", 2, {509, 257, 3}, {MLP_ACT_RELU, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    /* 513 x 513 = 263169 > 2^18 weights: BLAS kernels, not fused with the pipeline; the
     * second such layer also backpropagates through BLAS */
    {"blas layers", 3, {513, 513, 513, 2}, {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX},
     MLP_LOSS_CROSS_ENTROPY},
};
#define N_NETS (sizeof nets / sizeof nets[0])

static tu_topo topo_of(const route_net *r)
{
    return tu_topo_make(r->layers, r->sizes, r->acts, MLP_BIAS_PER_NEURON);
}

static void fill_records(const tu_topo *t, mlp_loss loss, size_t count, uint64_t seed, float **x,
                         float **y)
{
    size_t n0 = t->sizes[0], nL = t->sizes[t->layers];
    *x = malloc(count * n0 * sizeof(float));
    *y = malloc(count * nL * sizeof(float));
    uint64_t s = seed;
    tu_fill_uniform(&s, *x, count * n0, -1.0, 1.0);
    if (loss == MLP_LOSS_CROSS_ENTROPY)
        tu_fill_distributions(&s, *y, count, nL);
    else
        tu_fill_uniform(&s, *y, count * nL, -0.5, 0.5);
}

/* One reference SGD step from float parameters p: (1 - lr wd) p - lr g, in double, then
 * rounded to float as the library stores them. */
static void ref_sgd_step(const tu_topo *t, float *p, size_t P, const float *x, const float *y,
                         mlp_loss loss, double *g)
{
    for (size_t i = 0; i < P; i++) g[i] = 0.0;
    tu_ref_gradient(t, p, x, y, 1, loss, g);
    for (size_t i = 0; i < P; i++) p[i] = (float)((1.0 - LR * WD) * p[i] - LR * g[i]);
}

/* Forward and gradient of single records. */
START_TEST(one_record_forward_and_gradient)
{
    const route_net *r = &nets[_i];
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 50 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net), nL = t.sizes[t.layers];
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    float *x, *y, *g = malloc(P * sizeof(float)), out[8];
    fill_records(&t, r->loss, 3, 9, &x, &y);
    double *ref = malloc(P * sizeof(double)), ref_out[8];
    for (size_t i = 0; i < 3; i++) {
        const float *xi = x + i * t.sizes[0], *yi = y + i * nL;
        ck_assert_int_eq(mlp_forward(net, ws, xi, 1, out), MLP_OK);
        tu_ref_forward(&t, mlp_net_params_const(net), xi, 1, ref_out);
        double e = tu_rel_err_fd(out, ref_out, nL, 1e-3);
        ck_assert_msg(e < REF_TOL, "%s record %zu: forward err %.3g", r->name, i, e);
        for (size_t j = 0; j < P; j++) ref[j] = 0.0;
        tu_ref_gradient(&t, mlp_net_params_const(net), xi, yi, 1, r->loss, ref);
        ck_assert_int_eq(mlp_gradient(net, ws, xi, yi, 1, r->loss, g, NULL), MLP_OK);
        e = tu_rel_err_fd(g, ref, P, 1e-3);
        ck_assert_msg(e < REF_TOL, "%s record %zu: gradient err %.3g", r->name, i, e);
    }
    free(x); free(y); free(g); free(ref);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* mlp_train_step, plain SGD with weight decay, one record at a time, with 1 or 2 workspace
 * threads: every step equals the reference step from the same parameters.
 * Loop index: net _i / 2, threads 1 + _i % 2. */
START_TEST(sgd_train_step_matches_reference)
{
    const route_net *r = &nets[_i / 2];
    const int threads = 1 + _i % 2;
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 60 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net), n0 = t.sizes[0], nL = t.sizes[t.layers];
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, threads), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = (float)LR;
    oc.weight_decay = (float)WD;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float *x, *y;
    fill_records(&t, r->loss, 4, 13, &x, &y);
    double *g = malloc(P * sizeof(double));
    for (size_t i = 0; i < 4; i++) {
        float *want = tu_copy(mlp_net_params_const(net), P);
        double loss = -1.0, ref_out[8];
        tu_ref_forward(&t, want, x + i * n0, 1, ref_out);
        double ref_loss = tu_loss(r->loss, ref_out, y + i * nL, nL);
        ref_sgd_step(&t, want, P, x + i * n0, y + i * nL, r->loss, g);
        ck_assert_int_eq(mlp_train_step(net, ws, opt, x + i * n0, y + i * nL, 1, r->loss, &loss),
                         MLP_OK);
        double e = tu_rel_err_ff(mlp_net_params_const(net), want, P, 1e-3);
        ck_assert_msg(e < REF_TOL, "%s, %d threads, record %zu: step err %.3g", r->name,
                      threads, i, e);
        ck_assert_msg(fabs(loss - ref_loss) <= 1e-4 * fmax(1.0, fabs(ref_loss)),
                      "%s record %zu: loss %.9g, reference %.9g", r->name, i, loss, ref_loss);
        free(want);
    }
    free(x); free(y); free(g);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* mlp_train, batch 1, plain SGD, no shuffling, without and with per-batch progress (the
 * pipelined epoch and the step-by-step one), 1 or 2 threads: after two epochs the
 * parameters equal the reference's sequence of steps. Loop index: net _i / 4, threads
 * 1 + _i % 2, per-batch progress _i / 2 % 2. */
static bool count_calls(const mlp_progress *p, void *user)
{
    (void)p;
    ++*(size_t *)user;
    return true;
}

START_TEST(sgd_epochs_match_reference)
{
    const route_net *r = &nets[_i / 4];
    const int threads = 1 + _i % 2, every_batch = _i / 2 % 2;
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 80 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net), n0 = t.sizes[0], nL = t.sizes[t.layers];
    enum { N = 5, EPOCHS = 2 };
    float *x, *y;
    fill_records(&t, r->loss, N, 17, &x, &y);
    float *want = tu_copy(mlp_net_params_const(net), P);
    double *g = malloc(P * sizeof(double));
    for (size_t e = 0; e < EPOCHS; e++)
        for (size_t i = 0; i < N; i++) ref_sgd_step(&t, want, P, x + i * n0, y + i * nL, r->loss, g);

    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = (float)LR;
    oc.weight_decay = (float)WD;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = r->loss;
    tc.epochs = EPOCHS;
    tc.batch_size = 1;
    tc.shuffle = false;
    tc.threads = threads;
    size_t calls = 0;
    if (every_batch) {
        tc.progress = count_calls;
        tc.user_data = &calls;
        tc.progress_every_batch = true;
    }
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert_uint_eq(res.epochs_run, EPOCHS);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), N * EPOCHS);
    if (every_batch) ck_assert_uint_eq(calls, (N + 1) * EPOCHS);
    double e = tu_rel_err_ff(mlp_net_params_const(net), want, P, 1e-3);
    ck_assert_msg(e < REF_TOL, "%s, %d threads, %s: err %.3g after %d epochs", r->name,
                  threads, every_batch ? "per-batch progress" : "pipelined", e, EPOCHS);
    free(x); free(y); free(g); free(want);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

static Suite *fast_paths_suite(void)
{
    Suite *s = suite_create("fast_paths");
    TCase *tc = tcase_create("vs_reference");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, one_record_forward_and_gradient, 0, (int)N_NETS);
    tcase_add_loop_test(tc, sgd_train_step_matches_reference, 0, (int)(2 * N_NETS));
    tcase_add_loop_test(tc, sgd_epochs_match_reference, 0, (int)(4 * N_NETS));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fast_paths_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
