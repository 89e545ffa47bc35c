/* End-to-end training: XOR in every regime, bit-for-bit reproducibility, and batch gradient
 * descent of a linear net converging to the LAPACKE least-squares solution. */
#include "test_util.h"

#include <check.h>
#include <lapacke.h>

static const float xor_x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float xor_y[4] = {0, 1, 1, 0};

static mlp_net *xor_net(uint64_t seed)
{
    static const size_t sizes[] = {2, 4, 1};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, seed), MLP_OK);
    return net;
}

static double xor_mse(const mlp_net *net)
{
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    double loss = -1.0;
    ck_assert_int_eq(mlp_evaluate(net, ws, xor_x, xor_y, 4, MLP_LOSS_MSE, &loss, NULL), MLP_OK);
    mlp_workspace_free(ws);
    return loss;
}

/* Trains XOR with SGD; returns the final mean MSE. */
static double train_xor(mlp_net *net, size_t batch_size, float lr, size_t epochs,
                        mlp_train_result *res)
{
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = lr;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_MSE;
    tc.epochs = epochs;
    tc.batch_size = batch_size;
    ck_assert_int_eq(mlp_train(net, opt, xor_x, xor_y, 4, NULL, NULL, 0, &tc, res), MLP_OK);
    mlp_optimizer_free(opt);
    return xor_mse(net);
}

/* Stochastic gradient descent (batch_size 1) from a fixed seed: MSE < 0.01. */
START_TEST(xor_stochastic)
{
    mlp_net *net = xor_net(1);
    double before = xor_mse(net);
    mlp_train_result res;
    double after = train_xor(net, 1, 0.5f, 2000, &res);
    ck_assert_msg(after < 0.01, "XOR by SGD: MSE %.4g after 2000 epochs (from %.4g)", after, before);
    ck_assert_uint_eq(res.epochs_run, 2000);
    ck_assert_uint_eq(res.best_epoch, 1999);
    ck_assert(!res.stopped_early && !res.stopped_by_callback);
    ck_assert_msg(isnan(res.best_val_loss), "best_val_loss without validation: %g",
                  res.best_val_loss);
    /* the answers round right */
    mlp_workspace *ws = NULL;
    float out[4];
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, xor_x, 4, out), MLP_OK);
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(out[i], xor_y[i], 0.25f);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Batch (0), stochastic (1) and minibatch (2, 3: a short last batch) all learn XOR. */
START_TEST(xor_every_regime)
{
    static const size_t batch_sizes[] = {0, 1, 2, 3};
    static const float lrs[] = {0.5f, 0.5f, 0.5f, 0.5f};
    for (size_t i = 0; i < 4; i++) {
        mlp_net *net = xor_net(1);
        double before = xor_mse(net);
        double after = train_xor(net, batch_sizes[i], lrs[i], 4000, NULL);
        ck_assert_msg(after < 0.02 && after < 0.25 * before,
                      "batch_size %zu: MSE %.4g after 4000 epochs (from %.4g)", batch_sizes[i],
                      after, before);
        mlp_net_free(net);
    }
}
END_TEST

/* Same seed, same everything: bit-for-bit identical parameters (shuffling on). */
START_TEST(reproducible)
{
    static const size_t batch_sizes[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        mlp_net *a = xor_net(7), *b = xor_net(7);
        train_xor(a, batch_sizes[i], 0.3f, 300, NULL);
        train_xor(b, batch_sizes[i], 0.3f, 300, NULL);
        size_t P = mlp_net_param_count(a);
        ck_assert_msg(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P) == P,
                      "batch_size %zu: two runs differ", batch_sizes[i]);
        mlp_net_free(a);
        mlp_net_free(b);
    }
}
END_TEST

/* Linear regression data: y = x A + c + noise, N records, n inputs, m outputs. */
enum { LS_N = 64, LS_IN = 3, LS_OUT = 2 };

static void ls_data(float *x, float *y)
{
    static const double A[LS_IN][LS_OUT] = {{1.5, -0.5}, {-2.0, 0.25}, {0.75, 1.0}};
    static const double c[LS_OUT] = {0.3, -0.7};
    uint64_t s = 2024;
    tu_fill_uniform(&s, x, LS_N * LS_IN, -1, 1);
    for (size_t r = 0; r < LS_N; r++)
        for (size_t j = 0; j < LS_OUT; j++) {
            double v = c[j] + tu_uniform(&s, -0.2, 0.2);
            for (size_t i = 0; i < LS_IN; i++) v += x[r * LS_IN + i] * A[i][j];
            y[r * LS_OUT + j] = (float)v;
        }
}

/* Least squares of [x 1] -> y by LAPACKE_dgels: sol is (LS_IN + 1) x LS_OUT (last row c). */
static void ls_solve(const float *x, const float *y, double *sol)
{
    double a[LS_N * (LS_IN + 1)], b[LS_N * LS_OUT];
    for (size_t r = 0; r < LS_N; r++) {
        for (size_t i = 0; i < LS_IN; i++) a[r * (LS_IN + 1) + i] = x[r * LS_IN + i];
        a[r * (LS_IN + 1) + LS_IN] = 1.0;
        for (size_t j = 0; j < LS_OUT; j++) b[r * LS_OUT + j] = y[r * LS_OUT + j];
    }
    ck_assert_int_eq(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', LS_N, LS_IN + 1, LS_OUT, a, LS_IN + 1,
                                   b, LS_OUT), 0);
    memcpy(sol, b, (LS_IN + 1) * LS_OUT * sizeof(double));
}

/* No hidden layer, linear output, per-neuron bias, batch GD (batch_size 0): the parameters
 * converge to the least-squares solution. Loop: SUM (lr 0.5 / N) and MEAN (lr 0.5). */
START_TEST(linear_net_reaches_least_squares)
{
    mlp_reduction red = (mlp_reduction)_i;
    float x[LS_N * LS_IN], y[LS_N * LS_OUT];
    ls_data(x, y);
    double sol[(LS_IN + 1) * LS_OUT];
    ls_solve(x, y, sol);

    static const size_t sizes[] = {LS_IN, LS_OUT};
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 3), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.reduction = red;
    oc.learning_rate = red == MLP_REDUCE_SUM ? 0.5f / LS_N : 0.5f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = 0;
    tc.epochs = 1500;
    mlp_train_result res;
    ck_assert_int_eq(mlp_train(net, opt, x, y, LS_N, NULL, NULL, 0, &tc, &res), MLP_OK);
    ck_assert_uint_eq(res.epochs_run, 1500);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 1500); /* one update per epoch */

    /* params: W (LS_OUT x LS_IN, row j = output j) then b */
    const float *p = mlp_net_params_const(net);
    double got[(LS_IN + 1) * LS_OUT];
    for (size_t j = 0; j < LS_OUT; j++) {
        for (size_t i = 0; i < LS_IN; i++) got[i * LS_OUT + j] = p[j * LS_IN + i];
        got[LS_IN * LS_OUT + j] = p[LS_OUT * LS_IN + j];
    }
    double e = tu_rel_err_dd(got, sol, (LS_IN + 1) * LS_OUT, 1e-3);
    ck_assert_msg(e < 1e-3, "%s: distance to the dgels solution %.3g (W00 %.6g vs %.6g)",
                  red == MLP_REDUCE_SUM ? "sum" : "mean", e, got[0], sol[0]);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

static Suite *training_suite(void)
{
    Suite *s = suite_create("training");
    TCase *tc = tcase_create("training");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, xor_stochastic);
    tcase_add_test(tc, xor_every_regime);
    tcase_add_test(tc, reproducible);
    tcase_add_loop_test(tc, linear_net_reaches_least_squares, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(training_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
