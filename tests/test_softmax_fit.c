/* Softmax regression (lib/train/softmax_fit.c) against float64 references: a case whose
 * optimum solves a scalar equation, the optimality conditions of a random case computed
 * here in plain loops, and the net it fills predicting the reference's probabilities. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"

/* Separable 1-D, two classes: x = +1 is class 0, x = -1 class 1. By symmetry W = (w, -w),
 * b = 0, and the optimum solves l2 w = 1 / (1 + exp(2 w)). */
START_TEST(two_classes_closed_form)
{
    enum { N = 20 };
    float x[N], y[2 * N];
    for (int i = 0; i < N; i++) {
        x[i] = i % 2 ? -1.0f : 1.0f;
        y[2 * i] = i % 2 ? 0.0f : 1.0f;
        y[2 * i + 1] = i % 2 ? 1.0f : 0.0f;
    }
    const double l2 = 0.1;
    double lo = 0.0, hi = 50.0;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        if (l2 * mid < 1.0 / (1.0 + exp(2.0 * mid))) lo = mid; else hi = mid;
    }
    double w = 0.5 * (lo + hi), theta[4];
    mlp_softmax_fit_info info;
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, 1, 2, l2, 500, 1e-10, theta, &info), MLP_OK);
    ck_assert(info.converged);
    ck_assert_double_eq_tol(theta[0], w, 1e-7);
    ck_assert_double_eq_tol(theta[1], -w, 1e-7);
    ck_assert_double_eq_tol(theta[2], 0.0, 1e-9);
    ck_assert_double_eq_tol(theta[3], 0.0, 1e-9);
    ck_assert_double_eq_tol(info.loss, log1p(exp(-2.0 * w)) + l2 * w * w, 1e-12);
}
END_TEST

/* The gradient of the objective at theta, in plain float64 loops. */
static void reference_gradient(const float *x, const float *y, size_t n, size_t d, size_t k,
                               double l2, const double *theta, double *grad)
{
    const double *w = theta, *b = theta + k * d;
    memset(grad, 0, k * (d + 1) * sizeof *grad);
    double *z = malloc(k * sizeof *z);
    for (size_t i = 0; i < n; i++) {
        double top = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < k; j++) {
            z[j] = b[j];
            for (size_t c = 0; c < d; c++) z[j] += w[j * d + c] * x[i * d + c];
            top = fmax(top, z[j]);
        }
        for (size_t j = 0; j < k; j++) sum += exp(z[j] - top);
        for (size_t j = 0; j < k; j++) {
            double g = exp(z[j] - top) / sum - y[i * k + j];
            for (size_t c = 0; c < d; c++) grad[j * d + c] += g * x[i * d + c] / (double)n;
            grad[k * d + j] += g / (double)n;
        }
    }
    for (size_t i = 0; i < k * d; i++) grad[i] += l2 * w[i];
    free(z);
}

/* Overlapping classes (no separating plane), 3 classes, 5 features. */
static void random_case(float *x, float *y, size_t n, size_t d, size_t k)
{
    mlp_rng rng;
    mlp_rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) {
        size_t cls = i % k;
        for (size_t c = 0; c < d; c++)
            x[i * d + c] = (float)(2.0 * mlp_rng_uniform(&rng) - 1.0 + 0.6 * (double)(cls == c));
        for (size_t j = 0; j < k; j++) y[i * k + j] = j == cls ? 1.0f : 0.0f;
    }
}

START_TEST(random_case_is_optimal)
{
    enum { N = 90, D = 5, K = 3, M = K * (D + 1) };
    float x[N * D], y[N * K];
    random_case(x, y, N, D, K);
    double theta[M], again[M], grad[M];
    mlp_softmax_fit_info info;
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, K, 0.01, 500, 1e-9, theta, &info), MLP_OK);
    ck_assert(info.converged);
    reference_gradient(x, y, N, D, K, 0.01, theta, grad);
    for (size_t i = 0; i < M; i++) ck_assert_msg(fabs(grad[i]) < 1e-7, "grad[%zu] %g", i, grad[i]);
    /* Deterministic: the same bits again. */
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, K, 0.01, 500, 1e-9, again, &info), MLP_OK);
    ck_assert_int_eq(memcmp(theta, again, sizeof theta), 0);
    /* Arguments. */
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, 1, 0.01, 500, 1e-9, theta, &info),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, K, -1.0, 500, 1e-9, theta, &info),
                     MLP_ERR_INVALID_ARG);
    x[3] = NAN;
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, K, 0.01, 500, 1e-9, theta, &info),
                     MLP_ERR_NON_FINITE);
}
END_TEST

START_TEST(fills_a_softmax_net)
{
    enum { N = 90, D = 5, K = 3, M = K * (D + 1) };
    float x[N * D], y[N * K], out[N * K];
    random_case(x, y, N, D, K);
    size_t sizes[] = {D, K};
    mlp_activation act = MLP_ACT_SOFTMAX;
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, &act, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_softmax_fit_info info;
    ck_assert_int_eq(mlp_softmax_fit_net(net, x, y, N, 0.01, &info), MLP_OK);
    ck_assert(info.converged);
    double theta[M];
    ck_assert_int_eq(mlp_softmax_fit(x, y, N, D, K, 0.01, MLP_SOFTMAX_FIT_MAX_ITER,
                                     MLP_SOFTMAX_FIT_TOL, theta, &info), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, x, N, out), MLP_OK);
    for (size_t i = 0; i < N; i++) {
        double z[K], top = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < K; j++) {
            z[j] = theta[K * D + j];
            for (size_t c = 0; c < D; c++) z[j] += theta[j * D + c] * x[i * D + c];
            top = fmax(top, z[j]);
        }
        for (size_t j = 0; j < K; j++) sum += exp(z[j] - top);
        for (size_t j = 0; j < K; j++)
            ck_assert_double_eq_tol(out[i * K + j], exp(z[j] - top) / sum, 1e-5);
    }
    mlp_workspace_free(ws);
    mlp_net_free(net);
    /* Another shape is refused. */
    size_t deep[] = {D, 4, K};
    mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    ck_assert_int_eq(mlp_net_create(&net, 2, deep, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_softmax_fit_net(net, x, y, N, 0.01, &info), MLP_ERR_INVALID_ARG);
    mlp_net_free(net);
}
END_TEST

/* k-fold indices (lib/data/kfold.c): a partition of 0..n-1 into near-equal folds, each in
 * ascending order, the same for the same seed. */
START_TEST(kfold_partition)
{
    size_t *idx = NULL, *start = NULL;
    ck_assert_int_eq(mlp_kfold_indices(10, 3, 42, &idx, &start), MLP_OK);
    ck_assert_uint_eq(start[0], 0);
    ck_assert_uint_eq(start[1], 4);
    ck_assert_uint_eq(start[2], 7);
    ck_assert_uint_eq(start[3], 10);
    int seen[10] = {0};
    for (size_t f = 0; f < 3; f++)
        for (size_t i = start[f]; i < start[f + 1]; i++) {
            ck_assert_uint_lt(idx[i], 10);
            seen[idx[i]]++;
            if (i > start[f]) ck_assert_uint_lt(idx[i - 1], idx[i]);
        }
    for (int i = 0; i < 10; i++) ck_assert_int_eq(seen[i], 1);
    size_t *idx2 = NULL, *start2 = NULL;
    ck_assert_int_eq(mlp_kfold_indices(10, 3, 42, &idx2, &start2), MLP_OK);
    ck_assert_int_eq(memcmp(idx, idx2, 10 * sizeof *idx), 0);
    mlp_mem_free(idx2);
    mlp_mem_free(start2);
    /* Another seed, other folds (for this seed pair). */
    ck_assert_int_eq(mlp_kfold_indices(10, 3, 43, &idx2, &start2), MLP_OK);
    ck_assert_int_ne(memcmp(idx, idx2, 10 * sizeof *idx), 0);
    mlp_mem_free(idx2);
    mlp_mem_free(start2);
    mlp_mem_free(idx);
    mlp_mem_free(start);
    /* Leave-one-out is k = n; fewer than 2 folds or more folds than records: refused. */
    ck_assert_int_eq(mlp_kfold_indices(5, 5, 1, &idx, &start), MLP_OK);
    for (size_t f = 0; f < 5; f++) ck_assert_uint_eq(start[f + 1] - start[f], 1);
    mlp_mem_free(idx);
    mlp_mem_free(start);
    ck_assert_int_eq(mlp_kfold_indices(5, 6, 1, &idx, &start), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_kfold_indices(5, 1, 1, &idx, &start), MLP_ERR_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("softmax_fit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, two_classes_closed_form);
    tcase_add_test(tc, random_case_is_optimal);
    tcase_add_test(tc, fills_a_softmax_net);
    tcase_add_test(tc, kfold_partition);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
