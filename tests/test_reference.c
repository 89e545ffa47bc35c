/* The BLAS forward/backward paths against a naive double-precision triple loop
 * (tests/test_util.h) for batch sizes 1, 2, 7 and 64, mixed widths, every bias mode. */
#include "test_util.h"

#include <check.h>

#define REF_TOL 1e-4

static const size_t batches[] = {1, 2, 7, 64};

typedef struct shape {
    size_t layers;
    size_t sizes[5];
    mlp_activation acts[4];
    mlp_loss loss;
} shape;

static const shape shapes[] = {
    {3, {5, 17, 1, 4}, {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_SIGMOID}, MLP_LOSS_MSE},
    {3, {6, 3, 9, 5}, {MLP_ACT_LEAKY_RELU, MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX}, MLP_LOSS_CROSS_ENTROPY},
    {1, {8, 12}, {MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {2, {1, 33, 1}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_LOSS_MSE},
    {4, {7, 20, 11, 2, 3}, {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR, MLP_ACT_SOFTMAX},
     MLP_LOSS_MSE},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static void fill_data(uint64_t *s, const tu_topo *t, mlp_loss loss, size_t batch, float *x,
                      float *y)
{
    size_t n0 = t->sizes[0], nL = t->sizes[t->layers];
    tu_fill_uniform(s, x, batch * n0, -1.5, 1.5);
    if (loss == MLP_LOSS_CROSS_ENTROPY)
        tu_fill_distributions(s, y, batch, nL);
    else
        tu_fill_uniform(s, y, batch * nL, -1.0, 1.0);
}

/* Loop index: shape _i / 4, bias mode _i % 4. */
START_TEST(forward_and_gradient_match_reference)
{
    const shape *sh = &shapes[_i / 4];
    tu_topo t = tu_topo_make(sh->layers, sh->sizes, sh->acts, (mlp_bias_mode)(_i % 4));
    mlp_net *net = tu_net_new(&t, 100 + (uint64_t)_i);
    ck_assert_ptr_nonnull(net);
    size_t P = mlp_param_count(net), n0 = t.sizes[0], nL = t.sizes[t.layers];
    ck_assert_uint_eq(P, tu_layout_of(&t).count);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 64), MLP_OK);
    float *x = malloc(64 * n0 * sizeof(float)), *y = malloc(64 * nL * sizeof(float));
    float *out = malloc(64 * nL * sizeof(float)), *g = malloc(P * sizeof(float));
    double *ref_out = malloc(64 * nL * sizeof(double)), *ref_g = malloc(P * sizeof(double));
    uint64_t s = 5 + (uint64_t)_i;
    for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
        size_t B = batches[bi];
        fill_data(&s, &t, sh->loss, B, x, y);
        const float *p = mlp_net_params_const(net);

        ck_assert_int_eq(mlp_forward(net, ws, x, B, out), MLP_OK);
        tu_ref_forward(&t, p, x, B, ref_out);
        double ef = tu_rel_err_fd(out, ref_out, B * nL, 1e-3);
        ck_assert_msg(ef < REF_TOL, "shape %d bias %s batch %zu: forward err %.3g", _i / 4,
                      tu_bias_name(t.bias), B, ef);
        /* the workspace keeps the same rows */
        ck_assert_uint_eq(tu_first_diff(out, mlp_workspace_output(ws), B * nL), B * nL);

        double ls = -1.0;
        for (size_t i = 0; i < P; i++) ref_g[i] = 0.0;
        double ref_ls = tu_ref_gradient(&t, p, x, y, B, sh->loss, ref_g);
        ck_assert_int_eq(mlp_gradient(net, ws, x, y, B, sh->loss, g, &ls), MLP_OK);
        double eg = tu_rel_err_fd(g, ref_g, P, 1e-3);
        ck_assert_msg(eg < REF_TOL, "shape %d bias %s batch %zu: gradient err %.3g", _i / 4,
                      tu_bias_name(t.bias), B, eg);
        ck_assert_msg(fabs(ls - ref_ls) <= 1e-5 * fmax(1.0, fabs(ref_ls)),
                      "shape %d bias %s batch %zu: loss_sum %.9g, reference %.9g", _i / 4,
                      tu_bias_name(t.bias), B, ls, ref_ls);
        /* mlp_gradient leaves the outputs of the batch in the workspace */
        double eo = tu_rel_err_fd(mlp_workspace_output(ws), ref_out, B * nL, 1e-3);
        ck_assert_msg(eo < REF_TOL, "workspace output after mlp_gradient: err %.3g", eo);
    }
    free(x); free(y); free(out); free(g); free(ref_out); free(ref_g);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* NULL outputs: the rows are read from the workspace; the batch path agrees with record
 * by record calls (sgemm vs sgemv) to float rounding. */
START_TEST(batch_equals_records)
{
    static const size_t sizes[] = {9, 16, 4};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 31);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 7), MLP_OK);
    float x[7 * 9], batch_out[7 * 4], one[4];
    uint64_t s = 8;
    tu_fill_uniform(&s, x, 7 * 9, -1, 1);
    ck_assert_int_eq(mlp_forward(net, ws, x, 7, NULL), MLP_OK);
    memcpy(batch_out, mlp_workspace_output(ws), sizeof batch_out);
    for (size_t r = 0; r < 7; r++) {
        ck_assert_int_eq(mlp_forward(net, ws, x + r * 9, 1, one), MLP_OK);
        ck_assert_double_lt(tu_rel_err_ff(one, batch_out + r * 4, 4, 1e-3), 1e-5);
    }
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* mlp_evaluate: mean loss and argmax accuracy against the reference; NaN accuracy for one
 * output. The data set is larger than the workspace's max_batch (evaluated in chunks). */
START_TEST(evaluate_matches_reference)
{
    static const size_t sizes[] = {4, 6, 3};
    static const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 12);
    enum { N = 50 };
    float x[N * 4], y[N * 3];
    double out[N * 3];
    uint64_t s = 77;
    tu_fill_uniform(&s, x, N * 4, -1, 1);
    for (size_t r = 0; r < N; r++) /* one-hot targets */
        for (size_t j = 0; j < 3; j++) y[r * 3 + j] = (float)(tu_next(&s) % 3 == j);
    for (size_t r = 0; r < N; r++) { /* make every row a valid one-hot */
        int any = 0;
        for (size_t j = 0; j < 3; j++) any += y[r * 3 + j] != 0.0f;
        if (any != 1) {
            for (size_t j = 0; j < 3; j++) y[r * 3 + j] = 0.0f;
            y[r * 3 + r % 3] = 1.0f;
        }
    }
    tu_ref_forward(&t, mlp_net_params_const(net), x, N, out);
    double ref_loss = 0.0, ref_acc = 0.0;
    for (size_t r = 0; r < N; r++) {
        ref_loss += tu_loss(MLP_LOSS_CROSS_ENTROPY, out + r * 3, y + r * 3, 3);
        size_t ao = 0, ay = 0;
        for (size_t j = 1; j < 3; j++) {
            if (out[r * 3 + j] > out[r * 3 + ao]) ao = j;
            if (y[r * 3 + j] > y[r * 3 + ay]) ay = j;
        }
        ref_acc += ao == ay;
    }
    ref_loss /= N;
    ref_acc /= N;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 16), MLP_OK);
    double loss = -1, acc = -1;
    mlp_status st = mlp_evaluate(net, ws, x, y, N, MLP_LOSS_CROSS_ENTROPY, &loss, &acc);
    ck_assert_msg(st == MLP_OK, "mlp_evaluate of %d records with max_batch 16: %s", N,
                  mlp_strerror(st));
    ck_assert_double_eq_tol(loss, ref_loss, 1e-5);
    ck_assert_double_eq_tol(acc, ref_acc, 1e-12);
    ck_assert_int_eq(mlp_evaluate(net, ws, x, y, N, MLP_LOSS_CROSS_ENTROPY, NULL, NULL), MLP_OK);
    mlp_workspace_free(ws);
    mlp_net_free(net);

    /* one output: accuracy is NaN */
    static const size_t sizes1[] = {4, 1};
    static const mlp_activation acts1[] = {MLP_ACT_LINEAR};
    tu_topo t1 = tu_topo_make(1, sizes1, acts1, MLP_BIAS_PER_NEURON);
    net = tu_net_new(&t1, 3);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_evaluate(net, ws, x, y, 10, MLP_LOSS_MSE, &loss, &acc), MLP_OK);
    ck_assert_msg(isnan(acc), "accuracy with one output: %g, expected NaN", acc);
    tu_ref_forward(&t1, mlp_net_params_const(net), x, 10, out);
    ref_loss = 0.0;
    for (size_t r = 0; r < 10; r++) ref_loss += tu_loss(MLP_LOSS_MSE, out + r, y + r, 1);
    ck_assert_double_eq_tol(loss, ref_loss / 10, 1e-5);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* A workspace serves every net of the same topology. */
START_TEST(workspace_shared_by_same_topology)
{
    static const size_t sizes[] = {3, 5, 2};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_LAYER);
    mlp_net *a = tu_net_new(&t, 1), *b = tu_net_new(&t, 2);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, a, 4), MLP_OK);
    float x[12], out[8];
    double ref[8];
    uint64_t s = 1;
    tu_fill_uniform(&s, x, 12, -1, 1);
    ck_assert_int_eq(mlp_forward(b, ws, x, 4, out), MLP_OK);
    tu_ref_forward(&t, mlp_net_params_const(b), x, 4, ref);
    ck_assert_double_lt(tu_rel_err_fd(out, ref, 8, 1e-3), REF_TOL);
    mlp_workspace_free(ws);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

static Suite *reference_suite(void)
{
    Suite *s = suite_create("reference");
    TCase *tc = tcase_create("blas_vs_loops");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, forward_and_gradient_match_reference, 0, (int)(4 * N_SHAPES));
    tcase_add_test(tc, batch_equals_records);
    tcase_add_test(tc, evaluate_matches_reference);
    tcase_add_test(tc, workspace_shared_by_same_topology);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reference_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
