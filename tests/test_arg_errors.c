/* The _ex calls name the argument and the reason in mlp_error_detail; the combinations that
 * cannot mean what the caller wants are refused; MLP_LOSS_AUTO picks the loss from the
 * output layer (closed-form check: a zero net's softmax output is uniform). */
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <string.h>

/* The status, and every word of `words` (NULL-terminated) in the message. */
static void expect(mlp_status got, mlp_status want, const mlp_error_detail *d,
                   const char *const *words)
{
    ck_assert_msg(got == want, "status %d, want %d (%s)", (int)got, (int)want, d->message);
    for (const char *const *w = words; *w; w++)
        ck_assert_msg(strstr(d->message, *w), "\"%s\" not in \"%s\"", *w, d->message);
}
#define EXPECT(got, want, d, ...) expect(got, want, d, (const char *const[]){__VA_ARGS__, NULL})

static const size_t sizes[] = {3, 4, 2};
static const mlp_activation tanh_lin[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
static const mlp_activation tanh_soft[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};

START_TEST(net_create_messages)
{
    mlp_net *net = (mlp_net *)0x1;
    mlp_error_detail d = {7, 7, ""};
    size_t bad[] = {3, 0, 2};
    EXPECT(mlp_net_create_ex(&net, 2, bad, tanh_lin, MLP_BIAS_PER_NEURON, &d),
           MLP_ERR_INVALID_ARG, &d, "sizes[1]", "is 0");
    ck_assert_uint_eq(d.line, 0);
    ck_assert_uint_eq(d.column, 0);
    const mlp_activation soft_hidden[] = {MLP_ACT_SOFTMAX, MLP_ACT_LINEAR};
    EXPECT(mlp_net_create_ex(&net, 2, sizes, soft_hidden, MLP_BIAS_PER_NEURON, &d),
           MLP_ERR_SOFTMAX_HIDDEN, &d, "activations[0]", "softmax", "output layer");
    const mlp_activation unknown[] = {MLP_ACT_TANH, (mlp_activation)42};
    EXPECT(mlp_net_create_ex(&net, 2, sizes, unknown, MLP_BIAS_PER_NEURON, &d),
           MLP_ERR_INVALID_ARG, &d, "activations[1]", "42");
    EXPECT(mlp_net_create_ex(&net, 2, sizes, tanh_lin, (mlp_bias_mode)9, &d),
           MLP_ERR_INVALID_ARG, &d, "bias_mode", "9");
    EXPECT(mlp_net_create_ex(&net, 0, sizes, tanh_lin, MLP_BIAS_PER_NEURON, &d),
           MLP_ERR_INVALID_ARG, &d, "n_layers");
    EXPECT(mlp_net_create_ex(&net, 2, NULL, tanh_lin, MLP_BIAS_PER_NEURON, &d),
           MLP_ERR_NULL_ARG, &d, "sizes");
    ck_assert_ptr_eq(net, (mlp_net *)0x1); /* unchanged on failure */
    /* the old call says the same status, and detail may be NULL */
    ck_assert_int_eq(mlp_net_create(&net, 2, bad, tanh_lin, MLP_BIAS_PER_NEURON), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create_ex(&net, 2, bad, tanh_lin, MLP_BIAS_PER_NEURON, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_net_create_ex(&net, 2, sizes, tanh_lin, MLP_BIAS_PER_NEURON, &d), MLP_OK);
    mlp_net_free(net);
}
END_TEST

START_TEST(optimizer_messages)
{
    mlp_net *net;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, tanh_lin, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_optimizer *opt = NULL;
    mlp_error_detail d = {0, 0, ""};
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_ADAM);
    c.learning_rate = 0.0f;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_INVALID_ARG, &d,
           "config->learning_rate", "is 0", "(0,");
    c = mlp_optimizer_config_default(MLP_OPT_ADAM);
    c.beta2 = 1.0f;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_INVALID_ARG, &d, "config->beta2",
           "[0, 1)");
    c = mlp_optimizer_config_default(MLP_OPT_RMSPROP);
    c.epsilon = 0.0f;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_INVALID_ARG, &d, "config->epsilon");
    c = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    c.momentum = NAN;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_NON_FINITE, &d, "config->momentum",
           "NaN");
    c = mlp_optimizer_config_default(MLP_OPT_SGD);
    c.schedule = MLP_SCHEDULE_STEP;
    c.step_epochs = 0;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_INVALID_ARG, &d,
           "config->step_epochs", "STEP");
    c = mlp_optimizer_config_default(MLP_OPT_SGD);
    c.kind = (mlp_optimizer_kind)17;
    EXPECT(mlp_optimizer_create_ex(&opt, net, &c, &d), MLP_ERR_INVALID_ARG, &d, "config->kind");
    EXPECT(mlp_optimizer_create_ex(&opt, net, NULL, &d), MLP_ERR_NULL_ARG, &d, "config");
    ck_assert_ptr_null(opt);
    c = mlp_optimizer_config_default(MLP_OPT_SGD);
    c.weight_decay = -1.0f;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &c), MLP_ERR_INVALID_ARG);
    mlp_net_free(net);
}
END_TEST

typedef struct fixture {
    mlp_net *net;
    mlp_optimizer *opt;
    float x[8 * 3], y[8 * 2];
} fixture;

static fixture make(const mlp_activation *acts)
{
    fixture f;
    ck_assert_int_eq(mlp_net_create(&f.net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(f.net, MLP_INIT_GLOROT, 5), MLP_OK);
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&f.opt, f.net, &c), MLP_OK);
    uint64_t s = 3;
    tu_fill_uniform(&s, f.x, 24, -1, 1);
    tu_fill_distributions(&s, f.y, 8, 2);
    return f;
}

static void unmake(fixture *f)
{
    mlp_optimizer_free(f->opt);
    mlp_net_free(f->net);
}

START_TEST(train_messages)
{
    fixture f = make(tanh_lin);
    float *before = tu_copy(mlp_net_params_const(f.net), mlp_net_param_count(f.net));
    mlp_error_detail d = {0, 0, ""};
    mlp_train_config tc = mlp_train_config_default();
    tc.patience = 5;
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "config->patience", "no validation data");
    ck_assert_int_eq(mlp_train(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL),
                     MLP_ERR_INVALID_ARG); /* the old call refuses it too */
    tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY; /* on a linear output */
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "config->loss", "cross-entropy", "softmax");
    tc = mlp_train_config_default();
    tc.dropout = 1.5f;
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "config->dropout", "[0, 1)");
    tc = mlp_train_config_default();
    tc.threads = 0;
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "config->threads", "[1, 256]");
    tc = mlp_train_config_default();
    tc.start_epoch = 10;
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "config->start_epoch", "config->epochs");
    tc = mlp_train_config_default();
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, f.y, 4, &tc, NULL, &d),
           MLP_ERR_NULL_ARG, &d, "val_inputs");
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 0, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_INVALID_ARG, &d, "count is 0");
    f.x[5] = INFINITY;
    EXPECT(mlp_train_ex(f.net, f.opt, f.x, f.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_NON_FINITE, &d, "train inputs");
    f.x[5] = 0.0f;
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(f.net), mlp_net_param_count(f.net)),
                      mlp_net_param_count(f.net));
    free(before);
    /* another topology's optimizer */
    fixture g = make(tanh_soft);
    const size_t other[] = {3, 5, 2};
    mlp_net *n2;
    ck_assert_int_eq(mlp_net_create(&n2, 2, other, tanh_lin, MLP_BIAS_PER_NEURON), MLP_OK);
    EXPECT(mlp_train_ex(n2, g.opt, g.x, g.y, 8, NULL, NULL, 0, &tc, NULL, &d),
           MLP_ERR_WORKSPACE_MISMATCH, &d, "opt", "another topology");
    mlp_net_free(n2);
    unmake(&g);
    unmake(&f);
}
END_TEST

/* AUTO is cross-entropy after softmax: on a zero net the softmax output is uniform, so the
 * mean loss is log(n_L) exactly as -sum y log(1/2) for one-hot or distribution targets. */
START_TEST(auto_loss_follows_the_output_layer)
{
    ck_assert_int_eq(mlp_train_config_default().loss, MLP_LOSS_AUTO);
    fixture f = make(tanh_soft);
    memset(mlp_net_params(f.net), 0, mlp_net_param_count(f.net) * sizeof(float));
    mlp_workspace *ws;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, 8), MLP_OK);
    double l;
    ck_assert_int_eq(mlp_evaluate(f.net, ws, f.x, f.y, 8, MLP_LOSS_AUTO, &l, NULL), MLP_OK);
    ck_assert_double_eq_tol(l, log(2.0), 1e-6);
    mlp_workspace_free(ws);
    unmake(&f);

    /* linear output: AUTO is MSE; the zero net outputs 0, so the loss is mean(y^2) */
    f = make(tanh_lin);
    memset(mlp_net_params(f.net), 0, mlp_net_param_count(f.net) * sizeof(float));
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, 8), MLP_OK);
    double want = 0.0;
    for (int i = 0; i < 16; i++) want += (double)f.y[i] * f.y[i];
    want /= 16.0; /* (1/n_L) sum_j, averaged over 8 records */
    ck_assert_int_eq(mlp_evaluate(f.net, ws, f.x, f.y, 8, MLP_LOSS_AUTO, &l, NULL), MLP_OK);
    ck_assert_double_eq_tol(l, want, 1e-6);
    mlp_workspace_free(ws);
    unmake(&f);

    /* training with the default config is training with the loss AUTO names, bit for bit */
    fixture a = make(tanh_soft), b = make(tanh_soft);
    mlp_train_config ta = mlp_train_config_default(), tb = ta;
    tb.loss = MLP_LOSS_CROSS_ENTROPY;
    ck_assert_int_eq(mlp_train(a.net, a.opt, a.x, a.y, 8, NULL, NULL, 0, &ta, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train(b.net, b.opt, b.x, b.y, 8, NULL, NULL, 0, &tb, NULL), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(a.net), mlp_net_params_const(b.net),
                                    mlp_net_param_count(a.net)), mlp_net_param_count(a.net));
    unmake(&a);
    unmake(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("arg_errors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, net_create_messages);
    tcase_add_test(tc, optimizer_messages);
    tcase_add_test(tc, train_messages);
    tcase_add_test(tc, auto_loss_follows_the_output_layer);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
