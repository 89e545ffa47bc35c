/* Optimizers against the formulas documented in mlp.h, step by step, on a 3-parameter net
 * with given gradient vectors; reductions; schedules; state, step count, reset, resume. */
#include "test_util.h"

#include <check.h>

#define P 3
static const float p_start[P] = {0.5f, -1.0f, 0.25f};
static const float grads[3][P] = {{0.5f, -0.05f, 2.0f}, {-0.3f, 0.2f, 1.0f}, {0.1f, 0.1f, -0.5f}};

static const char *kind_name(mlp_optimizer_kind k)
{
    static const char *n[] = {"sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"};
    return (unsigned)k < MLP_OPT_COUNT ? n[k] : "?";
}

static mlp_net *tiny_net(void)
{
    static const size_t sizes[] = {2, 1};
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_uint_eq(mlp_net_param_count(net), P);
    memcpy(mlp_net_params(net), p_start, sizeof p_start);
    return net;
}

static mlp_optimizer_config test_config(mlp_optimizer_kind kind, float wd, mlp_reduction red)
{
    mlp_optimizer_config c = mlp_optimizer_config_default(kind);
    c.learning_rate = 0.1f;
    c.momentum = 0.8f;
    c.beta1 = 0.85f;
    c.beta2 = 0.99f;
    c.rho = 0.7f;
    c.epsilon = 1e-3f; /* large enough that its place (outside the sqrt) matters */
    c.weight_decay = wd;
    c.reduction = red;
    return c;
}

/* The documented update in double. a: velocity / Adam m / RMSprop s; b: Adam v. */
typedef struct ref_state {
    double p[P], a[P], b[P];
    unsigned long t;
} ref_state;

static void ref_step(ref_state *r, const mlp_optimizer_config *c, const float *g_sum, size_t batch)
{
    double lr = c->learning_rate, wd = c->weight_decay;
    double scale = c->reduction == MLP_REDUCE_MEAN ? 1.0 / (double)batch : 1.0;
    r->t++;
    for (int i = 0; i < P; i++) {
        double g = g_sum[i] * scale;
        if (c->kind != MLP_OPT_ADAMW) g += wd * r->p[i]; /* coupled L2 */
        switch (c->kind) {
        case MLP_OPT_SGD: r->p[i] -= lr * g; break;
        case MLP_OPT_MOMENTUM:
            r->a[i] = c->momentum * r->a[i] + g;
            r->p[i] -= lr * r->a[i];
            break;
        case MLP_OPT_NESTEROV:
            r->a[i] = c->momentum * r->a[i] + g;
            r->p[i] -= lr * (g + c->momentum * r->a[i]);
            break;
        case MLP_OPT_ADAM:
        case MLP_OPT_ADAMW: {
            r->a[i] = c->beta1 * r->a[i] + (1.0 - c->beta1) * g;
            r->b[i] = c->beta2 * r->b[i] + (1.0 - c->beta2) * g * g;
            double mh = r->a[i] / (1.0 - pow(c->beta1, (double)r->t));
            double vh = r->b[i] / (1.0 - pow(c->beta2, (double)r->t));
            double u = mh / (sqrt(vh) + c->epsilon);
            if (c->kind == MLP_OPT_ADAMW) u += wd * r->p[i]; /* decoupled, old params */
            r->p[i] -= lr * u;
            break;
        }
        case MLP_OPT_RMSPROP:
            r->a[i] = c->rho * r->a[i] + (1.0 - c->rho) * g * g;
            r->p[i] -= lr * g / (sqrt(r->a[i]) + c->epsilon);
            break;
        default: break;
        }
    }
}

static size_t state_vectors(mlp_optimizer_kind k)
{
    switch (k) {
    case MLP_OPT_SGD: return 0;
    case MLP_OPT_ADAM:
    case MLP_OPT_ADAMW: return 2;
    default: return 1;
    }
}

static void expect_close(const float *got, const double *want, size_t n, const char *what,
                         const char *ctx, int step)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs(got[i] - want[i]) <= 2e-6 + 2e-5 * fabs(want[i]),
                      "%s step %d: %s[%zu] = %.9g, expected %.9g", ctx, step, what, i,
                      (double)got[i], want[i]);
}

/* Loop index: kind _i % 6, weight decay on when (_i / 6) % 2, MEAN reduction when _i >= 12
 * (MEAN is tested without weight decay: the header leaves open whether decay is scaled). */
START_TEST(three_steps_match_formulas)
{
    mlp_optimizer_kind kind = (mlp_optimizer_kind)(_i % 6);
    float wd = (_i / 6) % 2 ? 0.05f : 0.0f;
    mlp_reduction red = _i >= 12 ? MLP_REDUCE_MEAN : MLP_REDUCE_SUM;
    size_t batch = red == MLP_REDUCE_MEAN ? 4 : 1;
    if (red == MLP_REDUCE_MEAN) wd = 0.0f;
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s wd=%g %s batch=%zu", kind_name(kind), (double)wd,
             red == MLP_REDUCE_MEAN ? "mean" : "sum", batch);

    mlp_net *net = tiny_net();
    mlp_optimizer_config c = test_config(kind, wd, red);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    size_t count = 12345;
    float *state = mlp_optimizer_state(opt, &count);
    ck_assert_msg(count == state_vectors(kind) * P, "%s: state count %zu, expected %zu", ctx,
                  count, state_vectors(kind) * P);
    for (size_t i = 0; i < count; i++) ck_assert_float_eq(state[i], 0.0f);

    ref_state r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < P; i++) r.p[i] = p_start[i];
    for (int step = 0; step < 3; step++) {
        ck_assert_int_eq(mlp_optimizer_step(opt, net, grads[step], batch), MLP_OK);
        ref_step(&r, &c, grads[step], batch);
        expect_close(mlp_net_params_const(net), r.p, P, "param", ctx, step + 1);
        ck_assert_uint_eq(mlp_optimizer_step_count(opt), (uint64_t)step + 1);
        state = mlp_optimizer_state(opt, &count);
        if (state_vectors(kind) >= 1) expect_close(state, r.a, P, "state[0]", ctx, step + 1);
        if (state_vectors(kind) == 2) expect_close(state + P, r.b, P, "state[1]", ctx, step + 1);
    }
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* Resuming: copy state and step count into a fresh optimizer; step 3 is the same. Reset
 * zeroes both. Loop over kinds. */
START_TEST(resume_and_reset)
{
    mlp_optimizer_kind kind = (mlp_optimizer_kind)_i;
    mlp_net *a = tiny_net();
    mlp_optimizer_config c = test_config(kind, 0.01f, MLP_REDUCE_SUM);
    mlp_optimizer *oa = NULL, *ob = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&oa, a, &c), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&ob, a, &c), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(oa, a, grads[0], 1), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(oa, a, grads[1], 1), MLP_OK);
    mlp_net *b = NULL;
    ck_assert_int_eq(mlp_net_clone(&b, a), MLP_OK);
    size_t na = 0, nb = 0;
    float *sa = mlp_optimizer_state(oa, &na), *sb = mlp_optimizer_state(ob, &nb);
    ck_assert_uint_eq(na, nb);
    if (na) memcpy(sb, sa, na * sizeof(float));
    ck_assert_int_eq(mlp_optimizer_set_step_count(ob, 2), MLP_OK);
    ck_assert_uint_eq(mlp_optimizer_step_count(ob), 2);
    ck_assert_int_eq(mlp_optimizer_step(oa, a, grads[2], 1), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(ob, b, grads[2], 1), MLP_OK);
    ck_assert_msg(tu_first_diff(mlp_net_params(a), mlp_net_params(b), P) == P,
                  "%s: resumed step differs", kind_name(kind));

    mlp_optimizer_reset(oa);
    ck_assert_uint_eq(mlp_optimizer_step_count(oa), 0);
    sa = mlp_optimizer_state(oa, &na);
    for (size_t i = 0; i < na; i++) ck_assert_float_eq(sa[i], 0.0f);
    /* after reset the first step is the first step again */
    memcpy(mlp_net_params(a), p_start, sizeof p_start);
    ck_assert_int_eq(mlp_optimizer_step(oa, a, grads[0], 1), MLP_OK);
    ref_state r;
    memset(&r, 0, sizeof r);
    for (int i = 0; i < P; i++) r.p[i] = p_start[i];
    ref_step(&r, &c, grads[0], 1);
    expect_close(mlp_net_params_const(a), r.p, P, "param", kind_name(kind), 1);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

START_TEST(defaults)
{
    for (int k = 0; k < MLP_OPT_COUNT; k++) {
        mlp_optimizer_config c = mlp_optimizer_config_default((mlp_optimizer_kind)k);
        ck_assert_int_eq(c.kind, k);
        ck_assert_float_eq(c.learning_rate, 0.01f);
        ck_assert_int_eq(c.reduction, MLP_REDUCE_SUM);
        ck_assert_float_eq(c.momentum, 0.9f);
        ck_assert_float_eq(c.beta1, 0.9f);
        ck_assert_float_eq(c.beta2, 0.999f);
        ck_assert_float_eq(c.rho, 0.9f);
        ck_assert_float_eq(c.epsilon, 1e-8f);
        ck_assert_float_eq(c.weight_decay, 0.0f);
        ck_assert_int_eq(c.schedule, MLP_SCHEDULE_CONSTANT);
        ck_assert_uint_eq(c.step_epochs, 10);
        ck_assert_float_eq(c.step_gamma, 0.1f);
        ck_assert_uint_eq(c.total_epochs, 100);
        ck_assert_float_eq(c.min_learning_rate, 0.0f);
    }
    mlp_net *net = tiny_net();
    mlp_optimizer_config c = test_config(MLP_OPT_ADAM, 0.02f, MLP_REDUCE_MEAN);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    const mlp_optimizer_config *got = mlp_optimizer_settings(opt);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(got->kind, MLP_OPT_ADAM);
    ck_assert_float_eq(got->beta1, 0.85f);
    ck_assert_float_eq(got->weight_decay, 0.02f);
    ck_assert_int_eq(got->reduction, MLP_REDUCE_MEAN);
    ck_assert_float_eq(mlp_optimizer_learning_rate(opt), 0.1f);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

START_TEST(schedule_step)
{
    mlp_net *net = tiny_net();
    mlp_optimizer_config c = test_config(MLP_OPT_SGD, 0.0f, MLP_REDUCE_SUM);
    c.schedule = MLP_SCHEDULE_STEP;
    c.step_epochs = 3;
    c.step_gamma = 0.5f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    const size_t epochs[] = {0, 1, 2, 3, 5, 6, 7, 9, 30};
    for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
        ck_assert_int_eq(mlp_optimizer_set_epoch(opt, epochs[i]), MLP_OK);
        double want = 0.1 * pow(0.5, (double)(epochs[i] / 3));
        ck_assert_msg(fabs(mlp_optimizer_learning_rate(opt) - want) <= 1e-7 + 1e-6 * want,
                      "step schedule at epoch %zu: %.9g, expected %.9g", epochs[i],
                      (double)mlp_optimizer_learning_rate(opt), want);
    }
    /* the update uses the scheduled rate: epoch 3 -> 0.05 */
    ck_assert_int_eq(mlp_optimizer_set_epoch(opt, 3), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(opt, net, grads[0], 1), MLP_OK);
    double want[P];
    for (int i = 0; i < P; i++) want[i] = p_start[i] - 0.05 * grads[0][i];
    expect_close(mlp_net_params_const(net), want, P, "param", "step schedule epoch 3", 1);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

START_TEST(schedule_cosine_and_constant)
{
    mlp_net *net = tiny_net();
    mlp_optimizer_config c = test_config(MLP_OPT_MOMENTUM, 0.0f, MLP_REDUCE_SUM);
    c.schedule = MLP_SCHEDULE_COSINE;
    c.total_epochs = 10;
    c.min_learning_rate = 0.01f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    const double pi = 3.14159265358979323846;
    for (size_t e = 0; e <= 10; e++) {
        ck_assert_int_eq(mlp_optimizer_set_epoch(opt, e), MLP_OK);
        double want = 0.01 + (0.1 - 0.01) * (1 + cos(pi * (double)e / 10.0)) / 2;
        ck_assert_msg(fabs(mlp_optimizer_learning_rate(opt) - want) <= 1e-6 * want + 1e-8,
                      "cosine at epoch %zu: %.9g, expected %.9g", e,
                      (double)mlp_optimizer_learning_rate(opt), want);
    }
    mlp_optimizer_free(opt);

    c.schedule = MLP_SCHEDULE_CONSTANT;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    for (size_t e = 0; e < 50; e += 7) {
        ck_assert_int_eq(mlp_optimizer_set_epoch(opt, e), MLP_OK);
        ck_assert_float_eq(mlp_optimizer_learning_rate(opt), 0.1f);
    }
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* A net of another topology: WORKSPACE_MISMATCH, nothing changes. */
START_TEST(other_topology_rejected)
{
    mlp_net *net = tiny_net();
    static const size_t sizes[] = {3, 1};
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *other = NULL;
    ck_assert_int_eq(mlp_net_create(&other, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_optimizer_config c = test_config(MLP_OPT_ADAM, 0.0f, MLP_REDUCE_SUM);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    float g[4] = {1, 1, 1, 1};
    ck_assert_int_eq(mlp_optimizer_step(opt, other, g, 1), MLP_ERR_WORKSPACE_MISMATCH);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    for (size_t i = 0; i < 4; i++) ck_assert_float_eq(mlp_net_params(other)[i], 0.0f);
    mlp_optimizer_free(opt);
    mlp_net_free(other);
    mlp_net_free(net);
}
END_TEST

/* Steps on two ranges of the vector (the step count put back between them, as two
 * processes each counting one step) give mlp_optimizer_step's update bit for bit, for every
 * kind with weight decay; a range beyond the parameters changes nothing. */
START_TEST(step_range_splits_the_update)
{
    for (int k = 0; k < MLP_OPT_COUNT; k++) {
        mlp_net *whole = tiny_net(), *split = tiny_net();
        mlp_optimizer_config c = test_config((mlp_optimizer_kind)k, 0.01f, MLP_REDUCE_MEAN);
        mlp_optimizer *a = NULL, *b = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&a, whole, &c), MLP_OK);
        ck_assert_int_eq(mlp_optimizer_create(&b, split, &c), MLP_OK);
        for (int s = 0; s < 3; s++) {
            ck_assert_int_eq(mlp_optimizer_step(a, whole, grads[s], 4), MLP_OK);
            const uint64_t t = mlp_optimizer_step_count(b);
            ck_assert_int_eq(mlp_optimizer_step_range(b, split, grads[s], 4, 0, 2), MLP_OK);
            ck_assert_int_eq(mlp_optimizer_set_step_count(b, t), MLP_OK);
            ck_assert_int_eq(mlp_optimizer_step_range(b, split, grads[s] + 2, 4, 2, 1), MLP_OK);
        }
        ck_assert_msg(memcmp(mlp_net_params(whole), mlp_net_params(split), P * sizeof(float)) == 0,
                      "%s: the split update differs", kind_name((mlp_optimizer_kind)k));
        ck_assert_uint_eq(mlp_optimizer_step_count(a), mlp_optimizer_step_count(b));
        size_t na, nb;
        const float *sa = mlp_optimizer_state_const(a, &na), *sb = mlp_optimizer_state_const(b, &nb);
        ck_assert_uint_eq(na, nb);
        if (na) ck_assert(memcmp(sa, sb, na * sizeof *sa) == 0);
        ck_assert_int_eq(mlp_optimizer_step_range(b, split, grads[0], 4, 2, 2), MLP_ERR_INVALID_ARG);
        ck_assert_int_eq(mlp_optimizer_step_range(b, split, NULL, 4, 3, 0), MLP_OK);
        mlp_optimizer_free(a);
        mlp_optimizer_free(b);
        mlp_net_free(whole);
        mlp_net_free(split);
    }
}
END_TEST

/* The step count never wraps: Adam at t = 0 divides by 1 - beta^0 = 0. */
START_TEST(step_count_bounded)
{
    mlp_net *net = tiny_net();
    mlp_optimizer_config c = test_config(MLP_OPT_ADAM, 0.0f, MLP_REDUCE_SUM);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_set_step_count(NULL, 1), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_optimizer_set_step_count(opt, UINT64_MAX), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    /* the last step allowed runs and is finite; the one after it is refused */
    ck_assert_int_eq(mlp_optimizer_set_step_count(opt, MLP_OPTIMIZER_MAX_STEPS - 1), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_step(opt, net, grads[0], 1), MLP_OK);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), MLP_OPTIMIZER_MAX_STEPS);
    float *before = tu_copy(mlp_net_params_const(net), P);
    for (size_t i = 0; i < P; i++) ck_assert_msg(isfinite(before[i]), "param %zu: %g", i, (double)before[i]);
    ck_assert_int_eq(mlp_optimizer_step(opt, net, grads[1], 1), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), MLP_OPTIMIZER_MAX_STEPS);
    /* the fused plain-SGD route of mlp_train_step counts too */
    mlp_optimizer *sgd = NULL;
    mlp_optimizer_config cs = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&sgd, net, &cs), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_set_step_count(sgd, MLP_OPTIMIZER_MAX_STEPS), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    float x[2] = {1, 2}, y[1] = {3};
    ck_assert_int_eq(mlp_train_step(net, ws, sgd, x, y, 1, MLP_LOSS_MSE, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
    free(before);
    mlp_workspace_free(ws);
    mlp_optimizer_free(sgd);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* epsilon 0 would make 0 / (sqrt 0 + 0) = NaN for a parameter whose gradient is exactly 0:
 * refused where it is used, accepted (unused) elsewhere. */
START_TEST(epsilon_must_be_positive)
{
    mlp_net *net = tiny_net();
    for (int k = 0; k < MLP_OPT_COUNT; k++) {
        mlp_optimizer_config c = test_config((mlp_optimizer_kind)k, 0.0f, MLP_REDUCE_SUM);
        int uses = k == MLP_OPT_ADAM || k == MLP_OPT_ADAMW || k == MLP_OPT_RMSPROP;
        mlp_optimizer *opt = NULL;
        c.epsilon = 0.0f;
        mlp_status st = mlp_optimizer_create(&opt, net, &c);
        ck_assert_msg(st == (uses ? MLP_ERR_INVALID_ARG : MLP_OK), "%s, epsilon 0: %s",
                      kind_name((mlp_optimizer_kind)k), mlp_strerror(st));
        ck_assert(uses ? opt == NULL : opt != NULL);
        mlp_optimizer_free(opt);
        opt = NULL;
        c.epsilon = -1e-8f;
        ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_ERR_INVALID_ARG);
        ck_assert_ptr_null(opt);
    }
    mlp_net_free(net);
}
END_TEST


static Suite *optimizer_suite(void)
{
    Suite *s = suite_create("optimizer");
    TCase *tc = tcase_create("optimizer");
    tcase_add_loop_test(tc, three_steps_match_formulas, 0, 18);
    tcase_add_loop_test(tc, resume_and_reset, 0, MLP_OPT_COUNT);
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, schedule_step);
    tcase_add_test(tc, schedule_cosine_and_constant);
    tcase_add_test(tc, other_topology_rejected);
    tcase_add_test(tc, step_range_splits_the_update);
    tcase_add_test(tc, step_count_bounded);
    tcase_add_test(tc, epsilon_must_be_positive);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(optimizer_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
