/* Dropout against the double-precision reference: given the masks the workspace drew
 * (read from the workspace, hence an internal suite), the gradient of every hidden
 * activation, bias mode and loss, through mlp_gradient, mlp_train_step (fused plain SGD at
 * batch 1 and B, and the gradient path of Adam) and mlp_train. */
#include "test_util.h"
#include "mlp_internal.h"

#include <check.h>

#define REF_TOL 1e-4
#define RATE 0.5f

static const mlp_activation hidden_acts[] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_RELU,
                                             MLP_ACT_LEAKY_RELU, MLP_ACT_LINEAR};
#define N_ACTS (sizeof hidden_acts / sizeof hidden_acts[0])

/* 3-6-5-2 (the shape the defect was found on) with `act` on both hidden layers; MSE with a
 * sigmoid output, or cross-entropy with softmax. */
static tu_topo topo(mlp_activation act, mlp_loss loss, mlp_bias_mode bias)
{
    static const size_t sizes[] = {3, 6, 5, 2};
    mlp_activation acts[] = {act, act,
                             loss == MLP_LOSS_MSE ? MLP_ACT_SIGMOID : MLP_ACT_SOFTMAX};
    return tu_topo_make(3, sizes, acts, bias);
}

static void fill(uint64_t *s, const tu_topo *t, mlp_loss loss, size_t batch, float *x, float *y)
{
    tu_fill_uniform(s, x, batch * t->sizes[0], -1.5, 1.5);
    if (loss == MLP_LOSS_CROSS_ENTROPY)
        tu_fill_distributions(s, y, batch, t->sizes[t->layers]);
    else
        tu_fill_uniform(s, y, batch * t->sizes[t->layers], 0.0, 1.0);
}

/* The reference gradient with ws's current masks. */
static double ref_with_ws_masks(const tu_topo *t, const float *p, const float *x,
                                const float *y, size_t batch, mlp_loss loss,
                                const mlp_workspace *ws, double *ref)
{
    size_t P = tu_layout_of(t).count;
    for (size_t i = 0; i < P; i++) ref[i] = 0.0;
    return tu_ref_gradient_masked(t, p, x, y, batch, loss, (tu_masks)ws->mask, ref);
}

/* Every mask entry is 0 or 1/(1-rate), and both occur. */
static void assert_masks_drawn(const tu_topo *t, const mlp_workspace *ws, size_t batch)
{
    const float keep = 1.0f / (1.0f - RATE);
    size_t dropped = 0, kept = 0;
    for (size_t k = 1; k < t->layers; k++)
        for (size_t i = 0; i < batch * t->sizes[k]; i++) {
            float m = ws->mask[k][i];
            ck_assert_msg(m == 0.0f || m == keep, "mask entry %g", (double)m);
            dropped += m == 0.0f;
            kept += m == keep;
        }
    ck_assert_msg(batch == 1 || (dropped > 0 && kept > 0), "masks %zu dropped, %zu kept",
                  dropped, kept);
}

/* Loop index: activation _i % N_ACTS, bias mode _i / N_ACTS % 4, loss _i / (4 N_ACTS). */
START_TEST(gradient_matches_reference)
{
    mlp_activation act = hidden_acts[_i % N_ACTS];
    mlp_bias_mode bias = (mlp_bias_mode)(_i / N_ACTS % 4);
    mlp_loss loss = (mlp_loss)(_i / (4 * N_ACTS));
    tu_topo t = topo(act, loss, bias);
    mlp_net *net = tu_net_new(&t, 40 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 7), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(ws, RATE, 9 + (uint64_t)_i), MLP_OK);
    float x[7 * 3], y[7 * 2], *g = malloc(P * sizeof(float));
    double *ref = malloc(P * sizeof(double));
    uint64_t s = 3 + (uint64_t)_i;
    static const size_t batches[] = {1, 7};
    for (size_t bi = 0; bi < 2; bi++) {
        size_t B = batches[bi];
        fill(&s, &t, loss, B, x, y);
        double ls = -1.0;
        ck_assert_int_eq(mlp_gradient(net, ws, x, y, B, loss, g, &ls), MLP_OK);
        assert_masks_drawn(&t, ws, B);
        double ref_ls = ref_with_ws_masks(&t, mlp_net_params_const(net), x, y, B, loss, ws, ref);
        double e = tu_rel_err_fd(g, ref, P, 1e-3);
        ck_assert_msg(e < REF_TOL, "%s hidden, bias %s, %s, batch %zu: gradient err %.3g",
                      tu_act_name(act), tu_bias_name(bias), tu_loss_name(loss), B, e);
        ck_assert_msg(fabs(ls - ref_ls) <= 1e-5 * fmax(1.0, fabs(ref_ls)),
                      "loss %.9g, reference %.9g", ls, ref_ls);
    }
    free(g);
    free(ref);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Plain SGD's fused update (batch 1 and 5, with weight decay) equals
 * (1 - lr wd) p - lr g_ref; Adam's gradient path leaves g_ref in the workspace. */
START_TEST(train_step_matches_reference)
{
    mlp_activation act = hidden_acts[_i % N_ACTS];
    mlp_loss loss = (mlp_loss)(_i / N_ACTS % 2);
    mlp_optimizer_kind kind = _i / (2 * N_ACTS) ? MLP_OPT_ADAM : MLP_OPT_SGD;
    tu_topo t = topo(act, loss, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 70 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net);
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    oc.learning_rate = 0.05f;
    oc.weight_decay = kind == MLP_OPT_SGD ? 0.1f : 0.0f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 5), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(ws, RATE, 17), MLP_OK);
    float x[5 * 3], y[5 * 2];
    double *ref = malloc(P * sizeof(double)), *want = malloc(P * sizeof(double));
    uint64_t s = 11 + (uint64_t)_i;
    static const size_t batches[] = {1, 5};
    for (size_t bi = 0; bi < 2; bi++) {
        size_t B = batches[bi];
        fill(&s, &t, loss, B, x, y);
        float *before = tu_copy(mlp_net_params_const(net), P);
        ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, B, loss, NULL), MLP_OK);
        ref_with_ws_masks(&t, before, x, y, B, loss, ws, ref);
        double e;
        if (kind == MLP_OPT_SGD) {
            for (size_t i = 0; i < P; i++)
                want[i] = (1.0 - 0.05 * 0.1) * before[i] - 0.05 * ref[i];
            e = tu_rel_err_fd(mlp_net_params_const(net), want, P, 1e-3);
        } else {
            e = tu_rel_err_fd(mlp_workspace_gradient(ws), ref, P, 1e-3);
        }
        ck_assert_msg(e < REF_TOL, "%s hidden, %s, %s, batch %zu: err %.3g", tu_act_name(act),
                      tu_loss_name(loss), kind == MLP_OPT_SGD ? "sgd" : "adam", B, e);
        free(before);
    }
    free(ref);
    free(want);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

/* mlp_train with dropout, one record, one epoch: one SGD step whose masks are those a
 * workspace with the same seed draws for the same record (the dropout RNG is documented
 * as seeded by dropout_seed). */
START_TEST(train_matches_reference)
{
    mlp_activation act = hidden_acts[_i];
    tu_topo t = topo(act, MLP_LOSS_MSE, MLP_BIAS_PER_LAYER);
    mlp_net *net = tu_net_new(&t, 90 + (uint64_t)_i);
    size_t P = mlp_net_param_count(net);
    float x[3], y[2];
    uint64_t s = 5;
    fill(&s, &t, MLP_LOSS_MSE, 1, x, y);
    float *before = tu_copy(mlp_net_params_const(net), P);

    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.1f;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 1;
    tc.batch_size = 1;
    tc.dropout = RATE;
    tc.dropout_seed = 23;
    ck_assert_int_eq(mlp_train(net, opt, x, y, 1, NULL, NULL, 0, &tc, NULL), MLP_OK);

    mlp_workspace *ws = NULL; /* redraw the masks of that step */
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(ws, RATE, 23), MLP_OK);
    mlp_propagate_forward(net, ws, x, 1, 1);
    double *ref = malloc(P * sizeof(double));
    ref_with_ws_masks(&t, before, x, y, 1, MLP_LOSS_MSE, ws, ref);
    for (size_t i = 0; i < P; i++) ref[i] = before[i] - 0.1 * ref[i];
    double e = tu_rel_err_fd(mlp_net_params_const(net), ref, P, 1e-3);
    ck_assert_msg(e < REF_TOL, "%s hidden: mlp_train step err %.3g", tu_act_name(act), e);
    free(ref);
    free(before);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

static Suite *dropout_suite(void)
{
    Suite *s = suite_create("dropout");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, gradient_matches_reference, 0, (int)(N_ACTS * 4 * 2));
    tcase_add_loop_test(tc, train_step_matches_reference, 0, (int)(N_ACTS * 2 * 2));
    tcase_add_loop_test(tc, train_matches_reference, 0, (int)N_ACTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dropout_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
