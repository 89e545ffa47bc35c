/* mlp_refit_output_layer against an independent ridge solve: LAPACKE_dgels on the
 * augmented system [H 1; sqrt(lambda) I 0] X = [Y; 0], H from the reference forward. */
#include "test_util.h"

#include <check.h>
#include <lapacke.h>

/* Ridge solution for the last layer of t on (x, y): W (n_L x width) and b (n_L), double. */
static void ridge_reference(const tu_topo *t, const float *p, const float *x, const float *y,
                            size_t count, double lambda, double *W, double *b)
{
    size_t L = t->layers, width = t->sizes[L - 1], nL = t->sizes[L];
    int with_one = t->bias == MLP_BIAS_PER_NEURON;
    size_t m = width + (size_t)with_one, rows = count + width;
    double *A = calloc(rows * m, sizeof(double)), *B = calloc(rows * nL, sizeof(double));
    tu_trace tr;
    for (size_t r = 0; r < count; r++) {
        tu_ref_forward_record(t, p, x + r * t->sizes[0], &tr);
        for (size_t j = 0; j < width; j++) A[r * m + j] = tr.z[L - 1][j];
        if (with_one) A[r * m + width] = 1.0;
        for (size_t o = 0; o < nL; o++) B[r * nL + o] = y[r * nL + o];
    }
    for (size_t j = 0; j < width; j++) A[(count + j) * m + j] = sqrt(lambda);
    ck_assert_int_eq(LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (lapack_int)rows, (lapack_int)m,
                                   (lapack_int)nL, A, (lapack_int)m, B, (lapack_int)nL), 0);
    for (size_t o = 0; o < nL; o++) {
        for (size_t j = 0; j < width; j++) W[o * width + j] = B[j * nL + o];
        b[o] = with_one ? B[width * nL + o] : 0.0;
    }
    free(A);
    free(B);
}

static double mse(const mlp_net *net, const float *x, const float *y, size_t count)
{
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 16), MLP_OK);
    double l = -1;
    ck_assert_int_eq(mlp_evaluate(net, ws, x, y, count, MLP_LOSS_MSE, &l, NULL), MLP_OK);
    mlp_workspace_free(ws);
    return l;
}

typedef struct refit_case {
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_bias_mode bias;
    float lambda;
    size_t count;
} refit_case;

static const refit_case cases[] = {
    {2, {4, 20, 2}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON, 0.1f, 50},
    {2, {4, 20, 2}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON, 2.0f, 50},
    {2, {4, 20, 2}, {MLP_ACT_SIGMOID, MLP_ACT_LINEAR}, MLP_BIAS_NONE, 0.5f, 50},
    {3, {3, 8, 12, 3}, {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON, 0.01f, 300},
    {1, {5, 2}, {MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON, 0.0f, 40}, /* no hidden layer: OLS */
    {1, {5, 2}, {MLP_ACT_LINEAR}, MLP_BIAS_NONE, 0.3f, 40},
};
#define N_CASES (sizeof cases / sizeof cases[0])

START_TEST(matches_ridge_reference)
{
    const refit_case *c = &cases[_i];
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 40 + (uint64_t)_i);
    ck_assert_ptr_nonnull(net);
    size_t P = mlp_net_param_count(net), n0 = t.sizes[0], L = t.layers, nL = t.sizes[L];
    size_t width = t.sizes[L - 1];
    float *x = malloc(c->count * n0 * sizeof(float)), *y = malloc(c->count * nL * sizeof(float));
    uint64_t s = 9 + (uint64_t)_i;
    tu_fill_uniform(&s, x, c->count * n0, -1.5, 1.5);
    for (size_t r = 0; r < c->count; r++) /* a smooth target plus noise */
        for (size_t o = 0; o < nL; o++)
            y[r * nL + o] = (float)(sin(x[r * n0] + (double)o) + 0.5 * x[r * n0 + 1] * x[r * n0 + 2]
                                    + tu_uniform(&s, -0.1, 0.1));
    float *before = tu_copy(mlp_net_params_const(net), P);
    double loss_before = mse(net, x, y, c->count);

    double *W = malloc(nL * width * sizeof(double)), b[4];
    ridge_reference(&t, before, x, y, c->count, c->lambda, W, b);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, y, c->count, c->lambda), MLP_OK);

    const float *p = mlp_net_params_const(net);
    size_t w_off = mlp_net_weights_offset(net, L - 1);
    /* everything before the last layer is untouched, bit for bit */
    ck_assert_msg(tu_first_diff(p, before, w_off) == w_off, "case %d: hidden layers changed", _i);
    double ew = tu_rel_err_fd(p + w_off, W, nL * width, 1e-3);
    ck_assert_msg(ew < 1e-3, "case %d (lambda %g): W differs from the ridge solution, err %.3g",
                  _i, (double)c->lambda, ew);
    if (c->bias == MLP_BIAS_PER_NEURON) {
        double eb = tu_rel_err_fd(p + mlp_net_bias_offset(net, L - 1), b, nL, 1e-3);
        ck_assert_msg(eb < 1e-3, "case %d: b differs from the ridge solution, err %.3g", _i, eb);
    }
    /* with lambda 0 the refit is the least-squares optimum: never worse than before */
    if (c->lambda == 0.0f) ck_assert_double_le(mse(net, x, y, c->count), loss_before + 1e-9);
    free(x); free(y); free(before); free(W);
    mlp_net_free(net);
}
END_TEST

/* Non-linear output, shared bias modes, bad arguments: rejected, nothing changed. */
START_TEST(rejects)
{
    static const size_t sizes[] = {3, 6, 2};
    float x[3 * 10], y[2 * 10];
    uint64_t s = 1;
    tu_fill_uniform(&s, x, 30, -1, 1);
    tu_fill_uniform(&s, y, 20, -1, 1);
    struct { mlp_activation out; mlp_bias_mode bias; } bad[] = {
        {MLP_ACT_SIGMOID, MLP_BIAS_PER_NEURON}, {MLP_ACT_TANH, MLP_BIAS_PER_NEURON},
        {MLP_ACT_RELU, MLP_BIAS_NONE},          {MLP_ACT_SOFTMAX, MLP_BIAS_PER_NEURON},
        {MLP_ACT_LINEAR, MLP_BIAS_PER_LAYER},   {MLP_ACT_LINEAR, MLP_BIAS_PER_NETWORK},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mlp_activation acts[2] = {MLP_ACT_TANH, bad[i].out};
        tu_topo t = tu_topo_make(2, sizes, acts, bad[i].bias);
        mlp_net *net = tu_net_new(&t, 3);
        size_t P = mlp_net_param_count(net);
        float *before = tu_copy(mlp_net_params_const(net), P);
        mlp_status st = mlp_refit_output_layer(net, x, y, 10, 0.1f);
        ck_assert_msg(st == MLP_ERR_INVALID_ARG, "output %s bias %s: got %d, expected INVALID_ARG",
                      tu_act_name(bad[i].out), tu_bias_name(bad[i].bias), st);
        ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
        free(before);
        mlp_net_free(net);
    }
    mlp_activation acts[2] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 3);
    size_t P = mlp_net_param_count(net);
    float *before = tu_copy(mlp_net_params_const(net), P);
    ck_assert_int_eq(mlp_refit_output_layer(NULL, x, y, 10, 0.1f), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_refit_output_layer(net, NULL, y, 10, 0.1f), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, NULL, 10, 0.1f), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, y, 0, 0.1f), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, y, 10, -1.0f), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, y, 10, NAN), MLP_ERR_NON_FINITE);
    ck_assert_int_eq(mlp_refit_output_layer(net, x, y, 10, INFINITY), MLP_ERR_NON_FINITE);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
    /* singular: 3 records, 6 features + bias, no ridge. Either a solution or NUMERICAL with
     * nothing changed. */
    mlp_status st = mlp_refit_output_layer(net, x, y, 3, 0.0f);
    ck_assert_msg(st == MLP_OK || st == MLP_ERR_NUMERICAL, "singular system: %d", st);
    if (st != MLP_OK) ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
    for (size_t i = 0; i < P; i++) ck_assert(isfinite(mlp_net_params_const(net)[i]));
    free(before);
    mlp_net_free(net);
}
END_TEST

static Suite *refit_suite(void)
{
    Suite *s = suite_create("refit");
    TCase *tc = tcase_create("refit");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, matches_ridge_reference, 0, (int)N_CASES);
    tcase_add_test(tc, rejects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(refit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
