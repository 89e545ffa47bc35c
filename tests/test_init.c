/* Initialisation schemes: orthogonality, documented distributions, seeding. */
#include "test_util.h"

#include <check.h>

static mlp_net *create(size_t layers, const size_t *sizes, const mlp_activation *acts)
{
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, layers, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    return net;
}

/* max |G - I| where G = W W^T (rows <= cols) or W^T W (rows > cols), in double. */
static double orthogonality_error(const float *W, size_t rows, size_t cols)
{
    int by_rows = rows <= cols;
    size_t n = by_rows ? rows : cols, m = by_rows ? cols : rows;
    double worst = 0.0;
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < m; k++)
                s += by_rows ? (double)W[a * cols + k] * W[b * cols + k]
                             : (double)W[k * cols + a] * W[k * cols + b];
            worst = fmax(worst, fabs(s - (a == b ? 1.0 : 0.0)));
        }
    return worst;
}

START_TEST(orthogonal_rows_or_columns)
{
    static const size_t sizes[] = {8, 5, 12, 12, 1, 6};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_TANH, MLP_ACT_RELU,
                                          MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    mlp_net *net = create(5, sizes, acts);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_ORTHOGONAL, seed), MLP_OK);
        const float *p = mlp_net_params_const(net);
        for (size_t k = 0; k < 5; k++) {
            size_t rows = sizes[k + 1], cols = sizes[k];
            double e = orthogonality_error(p + mlp_net_weights_offset(net, k), rows, cols);
            ck_assert_msg(e < 2e-5, "seed %llu layer %zu (%zu x %zu): max |G - I| = %.3g",
                          (unsigned long long)seed, k, rows, cols, e);
        }
    }
    /* not a trivial answer such as a permutation or the identity */
    const float *W2 = mlp_net_params_const(net) + mlp_net_weights_offset(net, 2);
    size_t nonzero = 0;
    for (size_t i = 0; i < 144; i++) nonzero += fabsf(W2[i]) > 1e-3f;
    ck_assert_uint_gt(nonzero, 100);
    mlp_net_free(net);
}
END_TEST

typedef struct stats {
    double mean, var, max_abs, frac_below_half, frac_beyond;
} stats;

/* Mean, variance, max |w|; fraction of |w| < half and of |w| > beyond. */
static stats weight_stats(const float *w, size_t n, double half, double beyond)
{
    stats s = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) s.mean += w[i];
    s.mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = w[i] - s.mean;
        s.var += d * d;
        s.max_abs = fmax(s.max_abs, fabs(w[i]));
        s.frac_below_half += fabs(w[i]) < half;
        s.frac_beyond += fabs(w[i]) > beyond;
    }
    s.var /= (double)(n - 1);
    s.frac_below_half /= (double)n;
    s.frac_beyond /= (double)n;
    return s;
}

/* Glorot: uniform(-a, a), a = sqrt(6 / (fan_in + fan_out)): variance a^2 / 3, bounded,
 * flat (half the mass below a/2). */
START_TEST(glorot_uniform)
{
    static const size_t sizes[] = {400, 300};
    static const mlp_activation acts[] = {MLP_ACT_TANH};
    mlp_net *net = create(1, sizes, acts);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 11), MLP_OK);
    double a = sqrt(6.0 / 700.0);
    stats s = weight_stats(mlp_net_params_const(net), 120000, a / 2, a);
    ck_assert_msg(fabs(s.mean) < 1e-3, "mean %.3g", s.mean);
    ck_assert_msg(fabs(s.var / (a * a / 3) - 1) < 0.03, "variance %.4g, expected %.4g", s.var,
                  a * a / 3);
    ck_assert_msg(s.max_abs <= a * (1 + 1e-6), "max |w| %.4g beyond a = %.4g", s.max_abs, a);
    ck_assert_msg(fabs(s.frac_below_half - 0.5) < 0.01, "P(|w| < a/2) = %.4g", s.frac_below_half);
    mlp_net_free(net);
}
END_TEST

/* He: normal(0, sqrt(2 / fan_in)): variance 2 / fan_in, 4.55% of the mass beyond 2 sigma. */
START_TEST(he_normal)
{
    static const size_t sizes[] = {400, 300};
    static const mlp_activation acts[] = {MLP_ACT_RELU};
    mlp_net *net = create(1, sizes, acts);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 12), MLP_OK);
    double sigma = sqrt(2.0 / 400.0);
    stats s = weight_stats(mlp_net_params_const(net), 120000, sigma, 2 * sigma);
    ck_assert_msg(fabs(s.mean) < 1e-3, "mean %.3g", s.mean);
    ck_assert_msg(fabs(s.var / (sigma * sigma) - 1) < 0.03, "variance %.4g, expected %.4g", s.var,
                  sigma * sigma);
    ck_assert_msg(fabs(s.frac_beyond - 0.0455) < 0.005, "P(|w| > 2 sigma) = %.4g, normal: 0.0455",
                  s.frac_beyond);
    ck_assert_msg(fabs(s.frac_below_half - 0.6827) < 0.01, "P(|w| < sigma) = %.4g, normal: 0.6827",
                  s.frac_below_half);
    mlp_net_free(net);
}
END_TEST

/* AUTO: He for (leaky) ReLU layers, Glorot for the others; biases zeroed. */
START_TEST(auto_picks_per_layer)
{
    static const size_t sizes[] = {400, 300, 200, 100};
    static const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LEAKY_RELU};
    mlp_net *net = create(3, sizes, acts);
    size_t P = mlp_net_param_count(net);
    for (size_t i = 0; i < P; i++) mlp_net_params(net)[i] = 5.0f; /* biases must be reset */
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 13), MLP_OK);
    const float *p = mlp_net_params_const(net);
    double he0 = 2.0 / 400.0, gl1 = 2.0 / 500.0, he2 = 2.0 / 200.0;
    stats s0 = weight_stats(p + mlp_net_weights_offset(net, 0), 120000, 1, 1);
    stats s1 = weight_stats(p + mlp_net_weights_offset(net, 1), 60000, 1, 1);
    stats s2 = weight_stats(p + mlp_net_weights_offset(net, 2), 20000, 1, 1);
    ck_assert_msg(fabs(s0.var / he0 - 1) < 0.03, "relu layer: variance %.4g, He %.4g", s0.var, he0);
    ck_assert_msg(fabs(s1.var / gl1 - 1) < 0.04, "tanh layer: variance %.4g, Glorot %.4g", s1.var,
                  gl1);
    ck_assert_msg(s1.max_abs <= sqrt(6.0 / 500.0) * (1 + 1e-6), "tanh layer not bounded uniform");
    ck_assert_msg(fabs(s2.var / he2 - 1) < 0.05, "leaky layer: variance %.4g, He %.4g", s2.var,
                  he2);
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < mlp_net_bias_count(net, k); j++)
            ck_assert_float_eq(p[mlp_net_bias_offset(net, k) + j], 0.0f);
    mlp_net_free(net);
}
END_TEST

START_TEST(seeding)
{
    static const size_t sizes[] = {6, 9, 4};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    for (int scheme = 0; scheme < MLP_INIT_COUNT; scheme++) {
        mlp_net *a = create(2, sizes, acts), *b = create(2, sizes, acts);
        size_t P = mlp_net_param_count(a);
        ck_assert_int_eq(mlp_net_init(a, (mlp_init)scheme, 99), MLP_OK);
        /* b's RNG is used first, init reseeds it */
        ck_assert_int_eq(mlp_net_init(b, (mlp_init)scheme, 5), MLP_OK);
        ck_assert_int_eq(mlp_net_init(b, (mlp_init)scheme, 99), MLP_OK);
        ck_assert_msg(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P) == P,
                      "scheme %d: same seed, different params", scheme);
        ck_assert_int_eq(mlp_net_init(b, (mlp_init)scheme, 100), MLP_OK);
        size_t same = 0;
        for (size_t i = 0; i < sizes[0] * sizes[1]; i++) /* W_0 only: biases are 0 */
            same += mlp_net_params(a)[i] == mlp_net_params(b)[i];
        ck_assert_msg(same < 3, "scheme %d: seeds 99 and 100 share %zu of the first layer's weights",
                      scheme, same);
        mlp_net_free(a);
        mlp_net_free(b);
    }
}
END_TEST

/* init_layer draws from the net's RNG (mlp_net_seed), touches only that layer's weights. */
START_TEST(init_layer_touches_one_layer)
{
    static const size_t sizes[] = {6, 9, 4};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *a = create(2, sizes, acts), *b = create(2, sizes, acts);
    size_t P = mlp_net_param_count(a);
    ck_assert_int_eq(mlp_net_init(a, MLP_INIT_GLOROT, 1), MLP_OK);
    float *p = mlp_net_params(a);
    size_t w1 = mlp_net_weights_offset(a, 1), b0 = mlp_net_bias_offset(a, 0);
    p[b0] = 3.0f; /* a bias: init_layer re-initialises weights only */
    float *before = tu_copy(p, P);
    mlp_net_seed(a, 17);
    ck_assert_int_eq(mlp_net_init_layer(a, 1, MLP_INIT_HE), MLP_OK);
    for (size_t i = 0; i < w1; i++) ck_assert_float_eq(p[i], before[i]);
    size_t changed = 0;
    for (size_t i = w1; i < w1 + 36; i++) changed += p[i] != before[i];
    ck_assert_uint_gt(changed, 30);
    /* same seed, same layer */
    ck_assert_int_eq(mlp_net_init(b, MLP_INIT_GLOROT, 1), MLP_OK);
    mlp_net_params(b)[b0] = 3.0f;
    mlp_net_seed(b, 17);
    ck_assert_int_eq(mlp_net_init_layer(b, 1, MLP_INIT_HE), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P), P);
    ck_assert_int_eq(mlp_net_init_layer(a, 2, MLP_INIT_HE), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_init_layer(a, 0, MLP_INIT_COUNT), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P), P);
    free(before);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

static Suite *init_suite(void)
{
    Suite *s = suite_create("init");
    TCase *tc = tcase_create("init");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, orthogonal_rows_or_columns);
    tcase_add_test(tc, glorot_uniform);
    tcase_add_test(tc, he_normal);
    tcase_add_test(tc, auto_picks_per_layer);
    tcase_add_test(tc, seeding);
    tcase_add_test(tc, init_layer_touches_one_layer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(init_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
