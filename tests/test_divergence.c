/* Divergence: non-finite data is refused up front, and every route into overflow (learning
 * rate, weight decay, a step schedule's gamma; each training regime) ends in MLP_ERR_DIVERGED
 * with the net, RNG and optimizer exactly as after the last finite epoch. */
#include "test_util.h"

#include <check.h>

#define N_REC 32
#define N_IN 4
#define N_OUT 2
#define EPOCHS 40

static float xs[N_REC * N_IN], ys[N_REC * N_OUT];

static void make_data(void)
{
    uint64_t s = 7;
    tu_fill_uniform(&s, xs, N_REC * N_IN, -1.0, 1.0);
    tu_fill_uniform(&s, ys, N_REC * N_OUT, -1.0, 1.0);
}

static mlp_net *make_net(size_t hidden)
{
    const size_t sizes[] = {N_IN, hidden, N_OUT};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 3), MLP_OK);
    return net;
}

static bool all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

typedef struct route {
    const char *name;
    mlp_optimizer_kind kind;
    float lr, weight_decay, gamma; /* gamma > 0: step schedule, one epoch per step */
    size_t batch, hidden;          /* hidden 64: not the tiny-net path */
} route;

static const route routes[] = {
    {"sgd lr 1e4, minibatch", MLP_OPT_SGD, 1e4f, 0, 0, 8, 8},
    {"sgd lr 1e4, stochastic tiny net", MLP_OPT_SGD, 1e4f, 0, 0, 1, 8},
    {"sgd lr 1e4, stochastic pipelined", MLP_OPT_SGD, 1e4f, 0, 0, 1, 64},
    {"sgd lr 1e4, full batch", MLP_OPT_SGD, 1e4f, 0, 0, 0, 8},
    {"sgd weight decay 1e6", MLP_OPT_SGD, 0.01f, 1e6f, 0, 8, 8},
    {"adamw weight decay 1e6", MLP_OPT_ADAMW, 0.01f, 1e6f, 0, 8, 8},
    {"nesterov weight decay 1e6, stochastic", MLP_OPT_NESTEROV, 0.01f, 1e6f, 0, 1, 8},
    {"momentum step gamma 1e30", MLP_OPT_MOMENTUM, 0.01f, 0, 1e30f, 8, 8},
    {"sgd step gamma 1e30, pipelined", MLP_OPT_SGD, 0.01f, 0, 1e30f, 1, 64},
};

static mlp_optimizer *make_opt(const mlp_net *net, const route *r)
{
    mlp_optimizer_config oc = mlp_optimizer_config_default(r->kind);
    oc.learning_rate = r->lr;
    oc.weight_decay = r->weight_decay;
    if (r->gamma > 0) {
        oc.schedule = MLP_SCHEDULE_STEP;
        oc.step_epochs = 1;
        oc.step_gamma = r->gamma;
    }
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    return opt;
}

static mlp_train_config config(const route *r, size_t epochs)
{
    mlp_train_config tc = mlp_train_config_default();
    tc.batch_size = r->batch;
    tc.epochs = epochs;
    return tc;
}

/* Trains r into divergence; checks the state against the same run stopped before it. */
static void check_route(const route *r, size_t min_epoch)
{
    make_data();
    mlp_net *net = make_net(r->hidden), *ref = NULL;
    ck_assert_int_eq(mlp_net_clone(&ref, net), MLP_OK);
    mlp_optimizer *opt = make_opt(net, r), *ref_opt = make_opt(ref, r);
    mlp_train_config tc = config(r, EPOCHS);
    mlp_train_result res;
    mlp_status st = mlp_train(net, opt, xs, ys, N_REC, NULL, NULL, 0, &tc, &res);
    ck_assert_msg(st == MLP_ERR_DIVERGED, "%s: status %d (%s)", r->name, st, mlp_strerror(st));
    const size_t e = res.diverged_epoch, P = mlp_net_param_count(net);
    const size_t batches = r->batch ? (N_REC + r->batch - 1) / r->batch : 1;
    ck_assert_msg(e < EPOCHS && res.diverged_batch < batches, "%s: epoch %zu batch %zu",
                  r->name, e, res.diverged_batch);
    ck_assert_uint_eq(res.epochs_run, e);
    ck_assert_msg(e >= min_epoch, "%s: diverged in epoch %zu", r->name, e);
    ck_assert_msg(all_finite(mlp_net_params(net), P), "%s: parameters not finite", r->name);
    /* The same run stopped before the diverging epoch: every bit of the state agrees. */
    if (e > 0) {
        mlp_train_config rc = config(r, e);
        ck_assert_int_eq(mlp_train(ref, ref_opt, xs, ys, N_REC, NULL, NULL, 0, &rc, NULL), MLP_OK);
    }
    ck_assert_msg(memcmp(mlp_net_params(net), mlp_net_params(ref), P * sizeof(float)) == 0,
                  "%s: parameters are not those after epoch %zu", r->name, e);
    uint64_t a[MLP_RNG_STATE_WORDS], b[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(net, a);
    mlp_net_rng_state(ref, b);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), mlp_optimizer_step_count(ref_opt));
    size_t n1, n2;
    const float *s1 = mlp_optimizer_state_const(opt, &n1), *s2 = mlp_optimizer_state_const(ref_opt, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(n1 == 0 || memcmp(s1, s2, n1 * sizeof(float)) == 0);
    mlp_optimizer_free(opt);
    mlp_optimizer_free(ref_opt);
    mlp_net_free(ref);
    mlp_net_free(net);
}

START_TEST(each_route_diverges_and_rolls_back)
{
    check_route(&routes[_i], 0);
}
END_TEST

/* A gamma that only overflows late: the rollback must land on a later epoch, not epoch 0. */
START_TEST(late_divergence_keeps_earlier_epochs)
{
    const route r = {"sgd gamma 10", MLP_OPT_SGD, 0.001f, 0, 10.0f, 8, 8};
    check_route(&r, 3);
    const route m = {"adamw gamma 10", MLP_OPT_ADAMW, 0.001f, 0, 10.0f, 1, 64};
    check_route(&m, 3);
}
END_TEST

/* NaN or infinity anywhere in the data: NON_FINITE before anything changes. */
START_TEST(non_finite_data_is_refused)
{
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    make_data();
    mlp_net *net = make_net(8), *orig = NULL;
    ck_assert_int_eq(mlp_net_clone(&orig, net), MLP_OK);
    const size_t P = mlp_net_param_count(net);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, N_REC), MLP_OK);
    float *grad = malloc(P * sizeof *grad);
    for (int where = 0; where < 4; where++) { /* inputs, targets, val inputs, val targets */
        for (size_t v = 0; v < 3; v++) {
            float x[N_REC * N_IN], y[N_REC * N_OUT];
            memcpy(x, xs, sizeof x);
            memcpy(y, ys, sizeof y);
            if (where % 2 == 0) x[N_REC * N_IN - 3] = bad[v];
            else y[5] = bad[v];
            const float *tx = where < 2 ? x : xs, *ty = where < 2 ? y : ys;
            mlp_train_config tc = mlp_train_config_default();
            tc.epochs = 2;
            mlp_status st = mlp_train(net, opt, tx, ty, N_REC, x, y, where < 2 ? 0 : N_REC, &tc, NULL);
            ck_assert_msg(st == MLP_ERR_NON_FINITE, "where %d value %zu: %s", where, v, mlp_strerror(st));
            ck_assert(memcmp(mlp_net_params(net), mlp_net_params(orig), P * sizeof(float)) == 0);
            ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
            if (where >= 2) continue;
            for (size_t i = 0; i < P; i++) grad[i] = 42.0f;
            ck_assert_int_eq(mlp_gradient(net, ws, x, y, N_REC, MLP_LOSS_MSE, grad, NULL),
                             MLP_ERR_NON_FINITE);
            for (size_t i = 0; i < P; i++) ck_assert_float_eq(grad[i], 42.0f);
            ck_assert_int_eq(mlp_gradient_accumulate(net, ws, x, y, N_REC, MLP_LOSS_MSE, grad, NULL),
                             MLP_ERR_NON_FINITE);
            ck_assert_int_eq(mlp_refit_output_layer(net, x, y, N_REC, 0.1f), MLP_ERR_NON_FINITE);
            ck_assert(memcmp(mlp_net_params(net), mlp_net_params(orig), P * sizeof(float)) == 0);
        }
    }
    free(grad);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(orig);
    mlp_net_free(net);
}
END_TEST

/* Finite data whose least-squares solution does not fit in a float: NUMERICAL, net kept. */
START_TEST(refit_overflow_keeps_the_net)
{
    make_data();
    mlp_net *net = make_net(8), *orig = NULL;
    ck_assert_int_eq(mlp_net_clone(&orig, net), MLP_OK);
    float y[N_REC * N_OUT];
    for (size_t i = 0; i < N_REC * N_OUT; i++) y[i] = ys[i] * 3e38f;
    ck_assert_int_eq(mlp_refit_output_layer(net, xs, y, N_REC, 0.0f), MLP_ERR_NUMERICAL);
    ck_assert(memcmp(mlp_net_params(net), mlp_net_params(orig),
                     mlp_net_param_count(net) * sizeof(float)) == 0);
    ck_assert_int_eq(mlp_refit_output_layer(net, xs, ys, N_REC, 0.1f), MLP_OK);
    ck_assert(all_finite(mlp_net_params(net), mlp_net_param_count(net)));
    mlp_net_free(orig);
    mlp_net_free(net);
}
END_TEST

/* Inference on NaN inputs: NaN outputs, through every activation's fast exp (whose int
 * conversion of NaN was undefined behaviour, caught by the sanitizer builds). */
START_TEST(forward_propagates_nan)
{
    static const mlp_activation hidden[] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR};
    for (size_t h = 0; h < 3; h++) {
        const size_t sizes[] = {N_IN, 8, N_OUT};
        const mlp_activation acts[] = {hidden[h], MLP_ACT_SOFTMAX};
        mlp_net *net = NULL;
        ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 1), MLP_OK);
        mlp_workspace *ws = NULL;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
        float x[4 * N_IN], out[4 * N_OUT];
        for (size_t i = 0; i < 4 * N_IN; i++) x[i] = NAN;
        for (size_t b = 1; b <= 4; b += 3) {
            ck_assert_int_eq(mlp_forward(net, ws, x, b, out), MLP_OK);
            for (size_t i = 0; i < b * N_OUT; i++)
                ck_assert_msg(isnan(out[i]), "hidden %d, batch %zu: %g", (int)hidden[h], b, out[i]);
        }
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
}
END_TEST

START_TEST(status_has_words)
{
    ck_assert_int_eq(MLP_ERR_DIVERGED, 16);
    ck_assert_ptr_nonnull(strstr(mlp_strerror(MLP_ERR_DIVERGED), "diverged"));
}
END_TEST

static Suite *divergence_suite(void)
{
    Suite *s = suite_create("divergence");
    TCase *tc = tcase_create("divergence");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, each_route_diverges_and_rolls_back, 0,
                        (int)(sizeof routes / sizeof routes[0]));
    tcase_add_test(tc, late_divergence_keeps_earlier_epochs);
    tcase_add_test(tc, non_finite_data_is_refused);
    tcase_add_test(tc, refit_overflow_keeps_the_net);
    tcase_add_test(tc, forward_propagates_nan);
    tcase_add_test(tc, status_has_words);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(divergence_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
