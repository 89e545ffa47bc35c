/* Net creation, accessors, the documented parameter layout, clone and copy_params. */
#include "test_util.h"

#include <check.h>

static const size_t sizes342[] = {3, 4, 2};
static const mlp_activation acts342[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};

static mlp_net *make(mlp_bias_mode bias)
{
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes342, acts342, bias), MLP_OK);
    ck_assert_ptr_nonnull(net);
    return net;
}

START_TEST(accessors)
{
    mlp_net *net = make(MLP_BIAS_PER_LAYER);
    ck_assert_uint_eq(mlp_net_layer_count(net), 2);
    ck_assert_uint_eq(mlp_net_size(net, 0), 3);
    ck_assert_uint_eq(mlp_net_size(net, 1), 4);
    ck_assert_uint_eq(mlp_net_size(net, 2), 2);
    ck_assert_uint_eq(mlp_net_size(net, 3), 0);
    ck_assert_uint_eq(mlp_net_input_size(net), 3);
    ck_assert_uint_eq(mlp_net_output_size(net), 2);
    ck_assert_int_eq(mlp_net_activation(net, 0), MLP_ACT_TANH);
    ck_assert_int_eq(mlp_net_activation(net, 1), MLP_ACT_SIGMOID);
    ck_assert_int_eq(mlp_net_activation(net, 2), MLP_ACT_COUNT);
    ck_assert_int_eq(mlp_net_bias_mode(net), MLP_BIAS_PER_LAYER);
    ck_assert_ptr_eq(mlp_net_params(net), mlp_net_params_const(net));
    ck_assert_uint_eq(mlp_net_weights_offset(net, 2), SIZE_MAX);
    ck_assert_uint_eq(mlp_net_bias_offset(net, 2), SIZE_MAX);
    /* parameters start at zero */
    const float *p = mlp_net_params_const(net);
    for (size_t i = 0; i < mlp_net_param_count(net); i++) ck_assert_float_eq(p[i], 0.0f);
    mlp_net_free(net);
    mlp_net_free(NULL); /* allowed */
}
END_TEST

typedef struct layout_case {
    mlp_bias_mode bias;
    size_t w[2], b[2], bc[2], count;
} layout_case;

/* 3-4-2: W0 12 floats, W1 8 floats. */
static const layout_case layouts[] = {
    {MLP_BIAS_PER_NEURON, {0, 16}, {12, 24}, {4, 2}, 26},
    {MLP_BIAS_PER_LAYER, {0, 13}, {12, 21}, {1, 1}, 22},
    {MLP_BIAS_PER_NETWORK, {0, 12}, {20, 20}, {1, 1}, 21},
    {MLP_BIAS_NONE, {0, 12}, {SIZE_MAX, SIZE_MAX}, {0, 0}, 20},
};

START_TEST(layout_per_bias_mode)
{
    const layout_case *c = &layouts[_i];
    mlp_net *net = make(c->bias);
    ck_assert_uint_eq(mlp_net_param_count(net), c->count);
    for (size_t k = 0; k < 2; k++) {
        ck_assert_msg(mlp_net_weights_offset(net, k) == c->w[k], "%s: W%zu at %zu, expected %zu",
                      tu_bias_name(c->bias), k, mlp_net_weights_offset(net, k), c->w[k]);
        ck_assert_msg(mlp_net_bias_offset(net, k) == c->b[k], "%s: b%zu at %zu, expected %zu",
                      tu_bias_name(c->bias), k, mlp_net_bias_offset(net, k), c->b[k]);
        ck_assert_msg(mlp_net_bias_count(net, k) == c->bc[k], "%s: b%zu count %zu, expected %zu",
                      tu_bias_name(c->bias), k, mlp_net_bias_count(net, k), c->bc[k]);
    }
    /* the test's independent layout agrees */
    tu_topo t = tu_topo_make(2, sizes342, acts342, c->bias);
    tu_layout lay = tu_layout_of(&t);
    ck_assert_uint_eq(lay.count, c->count);
    mlp_net_free(net);
}
END_TEST

/* W is row-major n_(k+1) x n_k: row j holds the weights into neuron j. Checked through
 * forward on unit inputs of a linear net. */
START_TEST(weights_are_row_major)
{
    static const size_t sz[] = {3, 2};
    static const mlp_activation ac[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sz, ac, MLP_BIAS_PER_NEURON), MLP_OK);
    float *p = mlp_net_params(net);
    for (int i = 0; i < 8; i++) p[i] = (float)(i + 1); /* W = [[1,2,3],[4,5,6]], b = [7,8] */
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 3), MLP_OK);
    const float x[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    float o[6];
    ck_assert_int_eq(mlp_forward(net, ws, x, 3, o), MLP_OK);
    const float expect[6] = {1 + 7, 4 + 8, 2 + 7, 5 + 8, 3 + 7, 6 + 8};
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(o[i], expect[i], 1e-6f);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(clone_is_deep)
{
    mlp_net *net = make(MLP_BIAS_PER_NEURON);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 7), MLP_OK);
    size_t P = mlp_net_param_count(net);
    mlp_net *c = NULL;
    ck_assert_int_eq(mlp_net_clone(&c, net), MLP_OK);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(mlp_net_params(c), mlp_net_params(net));
    ck_assert_uint_eq(mlp_net_param_count(c), P);
    ck_assert_uint_eq(mlp_net_layer_count(c), 2);
    ck_assert_uint_eq(mlp_net_size(c, 1), 4);
    ck_assert_int_eq(mlp_net_activation(c, 0), MLP_ACT_TANH);
    ck_assert_int_eq(mlp_net_activation(c, 1), MLP_ACT_SIGMOID);
    ck_assert_int_eq(mlp_net_bias_mode(c), MLP_BIAS_PER_NEURON);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params(c), mlp_net_params(net), P), P);
    /* the RNG state travels: the next draws agree */
    ck_assert_int_eq(mlp_net_init_layer(net, 1, MLP_INIT_HE), MLP_OK);
    ck_assert_int_eq(mlp_net_init_layer(c, 1, MLP_INIT_HE), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params(c), mlp_net_params(net), P), P);
    /* writing the clone leaves the original alone */
    float *before = tu_copy(mlp_net_params(net), P);
    for (size_t i = 0; i < P; i++) mlp_net_params(c)[i] = 42.0f;
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params(net), P), P);
    /* and freeing the original leaves the clone usable */
    mlp_net_free(net);
    ck_assert_float_eq(mlp_net_params(c)[P - 1], 42.0f);
    ck_assert_uint_eq(mlp_net_output_size(c), 2);
    free(before);
    mlp_net_free(c);
}
END_TEST

START_TEST(copy_params)
{
    mlp_net *a = make(MLP_BIAS_PER_NEURON), *b = make(MLP_BIAS_PER_NEURON);
    ck_assert_int_eq(mlp_net_init(a, MLP_INIT_GLOROT, 1), MLP_OK);
    size_t P = mlp_net_param_count(a);
    ck_assert_int_eq(mlp_net_copy_params(b, a), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P), P);
    ck_assert_ptr_ne(mlp_net_params(a), mlp_net_params(b));

    /* other widths, other bias mode, other activations: DIMENSION, dst unchanged */
    static const size_t other_sizes[] = {3, 5, 2};
    static const mlp_activation other_acts[] = {MLP_ACT_RELU, MLP_ACT_SIGMOID};
    mlp_net *w = NULL, *bm = NULL, *ac = NULL;
    ck_assert_int_eq(mlp_net_create(&w, 2, other_sizes, acts342, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&bm, 2, sizes342, acts342, MLP_BIAS_PER_LAYER), MLP_OK);
    ck_assert_int_eq(mlp_net_create(&ac, 2, sizes342, other_acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_copy_params(w, a), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_net_copy_params(a, w), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_net_copy_params(bm, a), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_net_copy_params(ac, a), MLP_ERR_DIMENSION);
    for (size_t i = 0; i < mlp_net_param_count(w); i++) ck_assert_float_eq(mlp_net_params(w)[i], 0.0f);
    for (size_t i = 0; i < mlp_net_param_count(ac); i++) ck_assert_float_eq(mlp_net_params(ac)[i], 0.0f);
    ck_assert_int_eq(mlp_net_copy_params(NULL, a), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_net_copy_params(b, NULL), MLP_ERR_NULL_ARG);
    mlp_net_free(a); mlp_net_free(b); mlp_net_free(w); mlp_net_free(bm); mlp_net_free(ac);
}
END_TEST

START_TEST(single_layer_and_wide)
{
    static const size_t sz[] = {1, 1};
    static const mlp_activation ac[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sz, ac, MLP_BIAS_PER_NETWORK), MLP_OK);
    ck_assert_uint_eq(mlp_net_param_count(net), 2);
    ck_assert_uint_eq(mlp_net_bias_offset(net, 0), 1);
    mlp_net_free(net);
    static const size_t sz5[] = {2, 3, 4, 5, 6, 7};
    static const mlp_activation ac5[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_LEAKY_RELU,
                                         MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX};
    ck_assert_int_eq(mlp_net_create(&net, 5, sz5, ac5, MLP_BIAS_PER_LAYER), MLP_OK);
    size_t off = 0;
    for (size_t k = 0; k < 5; k++) {
        ck_assert_uint_eq(mlp_net_weights_offset(net, k), off);
        off += sz5[k] * sz5[k + 1];
        ck_assert_uint_eq(mlp_net_bias_offset(net, k), off);
        off += 1;
    }
    ck_assert_uint_eq(mlp_net_param_count(net), off);
    mlp_net_free(net);
}
END_TEST

START_TEST(version_and_threads)
{
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", MLP_VERSION_MAJOR, MLP_VERSION_MINOR,
             MLP_VERSION_PATCH);
    ck_assert_ptr_nonnull(mlp_version());
    ck_assert_str_eq(mlp_version(), expect);
    ck_assert_str_eq(MLP_VERSION_STRING, expect);
    /* The library, the header and meson's project version (set by tests/meson.build). */
    const char *project = getenv("MLP_PROJECT_VERSION");
    ck_assert_ptr_nonnull(project);
    ck_assert_str_eq(mlp_version(), project);
    ck_assert_int_eq(mlp_version_number(), MLP_VERSION_NUMBER);
    ck_assert_int_eq(MLP_VERSION_NUMBER,
                     MLP_VERSION_MAJOR * 10000 + MLP_VERSION_MINOR * 100 + MLP_VERSION_PATCH);
    ck_assert(MLP_VERSION_MINOR < 100 && MLP_VERSION_PATCH < 100);
    ck_assert_int_eq(mlp_set_threads(1), MLP_OK);
    ck_assert_int_eq(mlp_threads(), 1);
    ck_assert_int_eq(mlp_set_threads(0), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_threads(), 1);
}
END_TEST

/* Enum values are append-only (mlp.h): model files store them and programs are compiled
 * with them, so each one is pinned here. */
START_TEST(enum_values_are_fixed)
{
    ck_assert_int_eq(MLP_ERR_NULL_ARG, 1);
    ck_assert_int_eq(MLP_ERR_NO_MEMORY, 6);
    ck_assert_int_eq(MLP_ERR_IO, 10);
    ck_assert_int_eq(MLP_ERR_DIVERGED, 16);
    ck_assert_int_eq(MLP_ERR_STATE, 17);
    ck_assert_int_eq(MLP_ERR_UNSUPPORTED, 18);
    ck_assert_int_eq(MLP_STATUS_COUNT, 19);
    ck_assert_int_eq(MLP_PRECISION_FP32, 0);
    ck_assert_int_eq(MLP_PRECISION_BF16, 1);
    ck_assert_int_eq(MLP_PRECISION_INT8, 2);
    ck_assert_int_eq(MLP_PRECISION_COUNT, 3);
    ck_assert_int_eq(MLP_QUANTIZE_STATIC, 0);
    ck_assert_int_eq(MLP_QUANTIZE_DYNAMIC, 1);
    ck_assert_int_eq(MLP_QUANTIZE_COUNT, 2);
    const int act[] = {MLP_ACT_LINEAR, MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_RELU,
                       MLP_ACT_LEAKY_RELU, MLP_ACT_SOFTMAX, MLP_ACT_COUNT};
    const int bias[] = {MLP_BIAS_NONE, MLP_BIAS_PER_NEURON, MLP_BIAS_PER_LAYER,
                        MLP_BIAS_PER_NETWORK, MLP_BIAS_COUNT};
    const int opt[] = {MLP_OPT_SGD, MLP_OPT_MOMENTUM, MLP_OPT_NESTEROV, MLP_OPT_ADAM,
                       MLP_OPT_ADAMW, MLP_OPT_RMSPROP, MLP_OPT_COUNT};
    const int sched[] = {MLP_SCHEDULE_CONSTANT, MLP_SCHEDULE_STEP, MLP_SCHEDULE_COSINE,
                         MLP_SCHEDULE_COUNT};
    const int small[] = {MLP_REDUCE_SUM, MLP_REDUCE_MEAN, MLP_REDUCE_COUNT,
                         MLP_TASK_CLASSIFY, MLP_TASK_REGRESS, MLP_TASK_COUNT};
    const int loss[] = {MLP_LOSS_MSE, MLP_LOSS_CROSS_ENTROPY, MLP_LOSS_AUTO, MLP_LOSS_COUNT};
    const int scale[] = {MLP_SCALE_NONE, MLP_SCALE_MINMAX, MLP_SCALE_STANDARD,
                         MLP_SCALE_ROBUST, MLP_SCALE_COUNT};
    const int init[] = {MLP_INIT_AUTO, MLP_INIT_GLOROT, MLP_INIT_HE, MLP_INIT_ORTHOGONAL,
                        MLP_INIT_COUNT};
    for (int i = 0; i < 7; i++) ck_assert_int_eq(act[i], i);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(bias[i], i);
    for (int i = 0; i < 7; i++) ck_assert_int_eq(opt[i], i);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(sched[i], i);
    for (int i = 0; i < 6; i++) ck_assert_int_eq(small[i], i % 3);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(loss[i], i);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(scale[i], i);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(init[i], i);
}
END_TEST

START_TEST(workspace_accessors)
{
    mlp_net *net = make(MLP_BIAS_PER_NEURON);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 9), MLP_OK);
    ck_assert_uint_eq(mlp_workspace_max_batch(ws), 9);
    ck_assert_ptr_nonnull(mlp_workspace_gradient(ws));
    float x[3 * 9] = {0}, out[2 * 9];
    ck_assert_int_eq(mlp_forward(net, ws, x, 9, out), MLP_OK);
    ck_assert_ptr_nonnull(mlp_workspace_output(ws));
    ck_assert_uint_eq(tu_first_diff(out, mlp_workspace_output(ws), 18), 18);
    mlp_workspace_free(ws);
    mlp_workspace_free(NULL);
    mlp_net_free(net);
}
END_TEST

/* mlp_net_shuffle: a permutation drawn from the net's RNG, the same from the same state
 * (test_mpi checks that it is the order mlp_train uses). */
START_TEST(shuffle_draws_from_the_net_rng)
{
    mlp_net *a = make(MLP_BIAS_PER_NEURON), *b = make(MLP_BIAS_PER_NEURON);
    mlp_net_seed(a, 99);
    mlp_net_seed(b, 99);
    enum { N = 50 };
    size_t p[N], q[N], r[N];
    for (size_t i = 0; i < N; i++) p[i] = q[i] = r[i] = i;
    uint64_t before[MLP_RNG_STATE_WORDS], after[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(a, before);
    ck_assert_int_eq(mlp_net_shuffle(a, p, 0), MLP_OK); /* nothing drawn */
    mlp_net_rng_state(a, after);
    ck_assert(memcmp(before, after, sizeof before) == 0);
    ck_assert_int_eq(mlp_net_shuffle(a, p, N), MLP_OK);
    ck_assert_int_eq(mlp_net_shuffle(b, q, N), MLP_OK);
    ck_assert(memcmp(p, q, sizeof p) == 0); /* same state, same order */
    bool seen[N] = {false}, moved = false;
    for (size_t i = 0; i < N; i++) {
        ck_assert_uint_lt(p[i], N);
        ck_assert(!seen[p[i]]);
        seen[p[i]] = true;
        moved |= p[i] != i;
    }
    ck_assert(moved);
    ck_assert_int_eq(mlp_net_shuffle(a, r, N), MLP_OK); /* the RNG moved on */
    ck_assert(memcmp(p, r, sizeof p) != 0);
    ck_assert_int_eq(mlp_net_shuffle(NULL, r, N), MLP_ERR_NULL_ARG);
    mlp_net_rng_state(a, before);
    ck_assert_int_eq(mlp_net_shuffle(a, NULL, N), MLP_ERR_NULL_ARG);
    mlp_net_rng_state(a, after);
    ck_assert(memcmp(before, after, sizeof before) == 0);
    ck_assert_int_eq(mlp_net_shuffle(a, NULL, 0), MLP_OK);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net");
    tcase_add_test(tc, accessors);
    tcase_add_loop_test(tc, layout_per_bias_mode, 0, 4);
    tcase_add_test(tc, weights_are_row_major);
    tcase_add_test(tc, clone_is_deep);
    tcase_add_test(tc, copy_params);
    tcase_add_test(tc, single_layer_and_wide);
    tcase_add_test(tc, version_and_threads);
    tcase_add_test(tc, enum_values_are_fixed);
    tcase_add_test(tc, workspace_accessors);
    tcase_add_test(tc, shuffle_draws_from_the_net_rng);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(net_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
