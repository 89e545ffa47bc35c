/* Identities between API calls: batch gradient = sum of record gradients, a SUM/MEAN SGD
 * train step = params - lr * (scaled) sum, shared-bias gradients = sums of per-neuron ones. */
#include "test_util.h"

#include <check.h>

enum { B = 6 };

static const size_t sizes[] = {4, 7, 3};
static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};

/* Loop over bias modes. */
START_TEST(batch_gradient_is_sum_of_records)
{
    tu_topo t = tu_topo_make(2, sizes, acts, (mlp_bias_mode)_i);
    mlp_net *net = tu_net_new(&t, 21);
    size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, B), MLP_OK);
    float x[B * 4], y[B * 3];
    uint64_t s = 4;
    tu_fill_uniform(&s, x, B * 4, -1, 1);
    tu_fill_uniform(&s, y, B * 3, 0, 1);
    float *g = calloc(P, sizeof(float)), *gr = calloc(P, sizeof(float));
    double *sum = calloc(P, sizeof(double));
    double ls = 0.0, lr_sum = 0.0, l1 = 0.0;
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, B, MLP_LOSS_MSE, g, &ls), MLP_OK);
    for (size_t r = 0; r < B; r++) {
        ck_assert_int_eq(mlp_gradient(net, ws, x + r * 4, y + r * 3, 1, MLP_LOSS_MSE, gr, &l1),
                         MLP_OK);
        lr_sum += l1;
        for (size_t i = 0; i < P; i++) sum[i] += gr[i];
    }
    double e = tu_rel_err_fd(g, sum, P, 1e-3);
    ck_assert_msg(e < 1e-5, "bias %s: batch gradient vs sum of records err %.3g",
                  tu_bias_name(t.bias), e);
    ck_assert_double_eq_tol(ls, lr_sum, 1e-5 * fmax(1.0, fabs(ls)));

    /* the same sum through mlp_gradient_accumulate over two chunks */
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 2, MLP_LOSS_MSE, gr, NULL), MLP_OK);
    ck_assert_int_eq(mlp_gradient_accumulate(net, ws, x + 8, y + 6, B - 2, MLP_LOSS_MSE, gr, NULL),
                     MLP_OK);
    ck_assert_double_lt(tu_rel_err_fd(gr, sum, P, 1e-3), 1e-5);
    free(g); free(gr); free(sum);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* One mlp_train_step with SGD (its update fused into the backward pass):
 * params - lr * sum_i grad C_i (SUM), or lr / B (MEAN). Loop over bias x reduction. */
START_TEST(sgd_step_is_params_minus_lr_sum)
{
    mlp_bias_mode bias = (mlp_bias_mode)(_i % 4);
    mlp_reduction red = (mlp_reduction)(_i / 4);
    tu_topo t = tu_topo_make(2, sizes, acts, bias);
    mlp_net *net = tu_net_new(&t, 33);
    size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, B), MLP_OK);
    float x[B * 4], y[B * 3];
    uint64_t s = 6;
    tu_fill_uniform(&s, x, B * 4, -1, 1);
    tu_fill_uniform(&s, y, B * 3, 0, 1);
    double *sum = calloc(P, sizeof(double));
    float *gr = calloc(P, sizeof(float));
    double ls_records = 0.0, l1;
    for (size_t r = 0; r < B; r++) {
        ck_assert_int_eq(mlp_gradient(net, ws, x + r * 4, y + r * 3, 1, MLP_LOSS_MSE, gr, &l1),
                         MLP_OK);
        ls_records += l1;
        for (size_t i = 0; i < P; i++) sum[i] += gr[i];
    }
    float *before = tu_copy(mlp_net_params_const(net), P);
    mlp_optimizer_config cfg = mlp_optimizer_config_default(MLP_OPT_SGD);
    cfg.learning_rate = 0.37f;
    cfg.reduction = red;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &cfg), MLP_OK);
    double ls = 0.0;
    ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, B, MLP_LOSS_MSE, &ls), MLP_OK);
    ck_assert_double_eq_tol(ls, ls_records, 1e-5 * fmax(1.0, ls));
    double scale = red == MLP_REDUCE_MEAN ? 0.37 / B : 0.37;
    double *expect = malloc(P * sizeof(double));
    for (size_t i = 0; i < P; i++) expect[i] = before[i] - scale * sum[i];
    double e = tu_rel_err_fd(mlp_net_params_const(net), expect, P, 1e-3);
    ck_assert_msg(e < 1e-5, "bias %s reduction %s: params after step err %.3g",
                  tu_bias_name(bias), red == MLP_REDUCE_MEAN ? "mean" : "sum", e);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 1);
    free(before); free(expect); free(sum); free(gr);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* One record with plain SGD (the library may fuse the update into backpropagation): the
 * result is still params - lr * (grad + wd * params), with grad from mlp_gradient at the
 * old params. Deep net so that a delta computed from already-updated weights shows.
 * Loop: bias mode _i % 4, weight decay 0 or 0.1 (_i / 4). */
START_TEST(single_record_sgd_step)
{
    static const size_t deep[] = {4, 6, 5, 3};
    static const mlp_activation deep_acts[] = {MLP_ACT_TANH, MLP_ACT_LEAKY_RELU, MLP_ACT_SIGMOID};
    mlp_bias_mode bias = (mlp_bias_mode)(_i % 4);
    float wd = _i / 4 ? 0.1f : 0.0f;
    tu_topo t = tu_topo_make(3, deep, deep_acts, bias);
    mlp_net *net = tu_net_new(&t, 77);
    size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    float x[4], y[3];
    uint64_t s = 15;
    tu_fill_uniform(&s, x, 4, -1, 1);
    tu_fill_uniform(&s, y, 3, 0, 1);
    float *g = calloc(P, sizeof(float));
    double ls_grad = 0.0, ls_step = 0.0;
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 1, MLP_LOSS_MSE, g, &ls_grad), MLP_OK);
    float *before = tu_copy(mlp_net_params_const(net), P);
    for (int red = 0; red < 2; red++) { /* SUM and MEAN agree for one record */
        memcpy(mlp_net_params(net), before, P * sizeof(float));
        mlp_optimizer_config cfg = mlp_optimizer_config_default(MLP_OPT_SGD);
        cfg.learning_rate = 0.3f;
        cfg.weight_decay = wd;
        cfg.reduction = (mlp_reduction)red;
        mlp_optimizer *opt = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&opt, net, &cfg), MLP_OK);
        ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, 1, MLP_LOSS_MSE, &ls_step), MLP_OK);
        ck_assert_double_eq_tol(ls_step, ls_grad, 1e-6 * fmax(1.0, ls_grad));
        double *expect = malloc(P * sizeof(double));
        for (size_t i = 0; i < P; i++) expect[i] = before[i] - 0.3 * ((double)g[i] + wd * before[i]);
        double e = tu_rel_err_fd(mlp_net_params_const(net), expect, P, 1e-3);
        ck_assert_msg(e < 1e-5, "bias %s wd %g reduction %d: params after one-record step err %.3g",
                      tu_bias_name(bias), (double)wd, red, e);
        ck_assert_uint_eq(mlp_optimizer_step_count(opt), 1);
        free(expect);
        mlp_optimizer_free(opt);
    }
    free(before);
    free(g);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Builds a PER_NEURON twin of `shared` (same weights, every bias entry equal to the shared
 * scalar of its layer) and returns the gradients of both on the same data. */
static void shared_vs_per_neuron(mlp_bias_mode mode, float **g_shared, float **g_neuron,
                                 tu_topo *ts, tu_topo *tn)
{
    static const size_t sz[] = {3, 5, 4, 2};
    static const mlp_activation ac[] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR};
    *ts = tu_topo_make(3, sz, ac, mode);
    *tn = tu_topo_make(3, sz, ac, MLP_BIAS_PER_NEURON);
    mlp_net *a = tu_net_new(ts, 50), *b = tu_net_new(tn, 51);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    tu_layout la = tu_layout_of(ts), lb = tu_layout_of(tn);
    float *pa = mlp_net_params(a), *pb = mlp_net_params(b);
    for (size_t k = 0; k < 3; k++) {
        memcpy(pb + lb.w_off[k], pa + la.w_off[k], sz[k] * sz[k + 1] * sizeof(float));
        for (size_t j = 0; j < sz[k + 1]; j++)
            pb[lb.b_off[k] + j] = mode == MLP_BIAS_NONE ? 0.0f : pa[la.b_off[k]];
    }
    mlp_workspace *wa = NULL, *wb = NULL;
    ck_assert_int_eq(mlp_workspace_create(&wa, a, 5), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wb, b, 5), MLP_OK);
    float x[15], y[10];
    uint64_t s = 12;
    tu_fill_uniform(&s, x, 15, -1, 1);
    tu_fill_uniform(&s, y, 10, -1, 1);
    *g_shared = calloc(la.count, sizeof(float));
    *g_neuron = calloc(lb.count, sizeof(float));
    ck_assert_int_eq(mlp_gradient(a, wa, x, y, 5, MLP_LOSS_MSE, *g_shared, NULL), MLP_OK);
    ck_assert_int_eq(mlp_gradient(b, wb, x, y, 5, MLP_LOSS_MSE, *g_neuron, NULL), MLP_OK);
    /* same function: same outputs */
    float oa[10], ob[10];
    ck_assert_int_eq(mlp_forward(a, wa, x, 5, oa), MLP_OK);
    ck_assert_int_eq(mlp_forward(b, wb, x, 5, ob), MLP_OK);
    ck_assert_double_lt(tu_rel_err_ff(oa, ob, 10, 1e-3), 1e-6);
    mlp_workspace_free(wa);
    mlp_workspace_free(wb);
    mlp_net_free(a);
    mlp_net_free(b);
}

START_TEST(per_layer_bias_is_sum_of_per_neuron)
{
    tu_topo ts, tn;
    float *gs, *gn;
    shared_vs_per_neuron(MLP_BIAS_PER_LAYER, &gs, &gn, &ts, &tn);
    tu_layout la = tu_layout_of(&ts), lb = tu_layout_of(&tn);
    for (size_t k = 0; k < ts.layers; k++) {
        size_t nw = ts.sizes[k] * ts.sizes[k + 1];
        ck_assert_double_lt(tu_rel_err_ff(gs + la.w_off[k], gn + lb.w_off[k], nw, 1e-3), 1e-5);
        double sum = 0.0;
        for (size_t j = 0; j < ts.sizes[k + 1]; j++) sum += gn[lb.b_off[k] + j];
        ck_assert_msg(fabs(gs[la.b_off[k]] - sum) <= 1e-5 * fmax(1.0, fabs(sum)),
                      "layer %zu: per-layer bias gradient %.9g, sum of per-neuron %.9g", k,
                      (double)gs[la.b_off[k]], sum);
    }
    free(gs);
    free(gn);
}
END_TEST

START_TEST(per_network_bias_is_sum_over_layers)
{
    tu_topo ts, tn;
    float *gs, *gn;
    shared_vs_per_neuron(MLP_BIAS_PER_NETWORK, &gs, &gn, &ts, &tn);
    tu_layout la = tu_layout_of(&ts), lb = tu_layout_of(&tn);
    double sum = 0.0;
    for (size_t k = 0; k < ts.layers; k++) {
        size_t nw = ts.sizes[k] * ts.sizes[k + 1];
        ck_assert_double_lt(tu_rel_err_ff(gs + la.w_off[k], gn + lb.w_off[k], nw, 1e-3), 1e-5);
        for (size_t j = 0; j < ts.sizes[k + 1]; j++) sum += gn[lb.b_off[k] + j];
    }
    ck_assert_uint_eq(la.b_off[0], la.count - 1);
    ck_assert_msg(fabs(gs[la.count - 1] - sum) <= 1e-5 * fmax(1.0, fabs(sum)),
                  "per-network bias gradient %.9g, sum over all layers %.9g",
                  (double)gs[la.count - 1], sum);
    free(gs);
    free(gn);
}
END_TEST

START_TEST(no_bias_equals_zero_per_neuron_bias)
{
    tu_topo ts, tn;
    float *gs, *gn;
    shared_vs_per_neuron(MLP_BIAS_NONE, &gs, &gn, &ts, &tn);
    tu_layout la = tu_layout_of(&ts), lb = tu_layout_of(&tn);
    for (size_t k = 0; k < ts.layers; k++) {
        size_t nw = ts.sizes[k] * ts.sizes[k + 1];
        ck_assert_double_lt(tu_rel_err_ff(gs + la.w_off[k], gn + lb.w_off[k], nw, 1e-3), 1e-5);
    }
    free(gs);
    free(gn);
}
END_TEST

/* Widths above the tiny-net path's limit (32), so one record takes the layer-generic path. */
static const size_t wide_sizes[] = {4, 45, 3};

/* The fused SGD paths (update applied inside backprop) against the unfused one: MOMENTUM
 * with mu = 0 is the same rule, run as gradient + optimizer step. Loop over bias mode x
 * reduction x (batch 1, batch B) x dropout x (tiny, wide net), all with weight decay. */
START_TEST(fused_sgd_matches_unfused_rule)
{
    mlp_bias_mode bias = (mlp_bias_mode)(_i % 4);
    mlp_reduction red = (mlp_reduction)(_i / 4 % 2);
    size_t batch = _i / 8 % 2 ? B : 1;
    float dropout = _i / 16 % 2 ? 0.3f : 0.0f;
    tu_topo t = tu_topo_make(2, _i / 32 ? wide_sizes : sizes, acts, bias);
    mlp_net *fused = tu_net_new(&t, 91), *plain = NULL;
    ck_assert_int_eq(mlp_net_clone(&plain, fused), MLP_OK);
    size_t P = mlp_net_param_count(fused);
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_SGD);
    c.learning_rate = 0.2f;
    c.reduction = red;
    c.weight_decay = 0.05f;
    mlp_optimizer_config m = c;
    m.kind = MLP_OPT_MOMENTUM;
    m.momentum = 0.0f;
    mlp_optimizer *of = NULL, *op = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&of, fused, &c), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&op, plain, &m), MLP_OK);
    mlp_workspace *wf = NULL, *wp = NULL;
    ck_assert_int_eq(mlp_workspace_create(&wf, fused, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&wp, plain, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(wf, dropout, 5), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(wp, dropout, 5), MLP_OK);
    float x[B * 4], y[B * 3];
    uint64_t s = 8;
    tu_fill_uniform(&s, x, B * 4, -1, 1);
    tu_fill_uniform(&s, y, B * 3, 0, 1);
    for (int step = 0; step < 3; step++) {
        double lf, lp;
        ck_assert_int_eq(mlp_train_step(fused, wf, of, x, y, batch, MLP_LOSS_MSE, &lf), MLP_OK);
        ck_assert_int_eq(mlp_train_step(plain, wp, op, x, y, batch, MLP_LOSS_MSE, &lp), MLP_OK);
        ck_assert_double_eq_tol(lf, lp, 1e-5 * fmax(1.0, lp));
    }
    double e = tu_rel_err_ff(mlp_net_params_const(fused), mlp_net_params_const(plain), P, 1e-3);
    ck_assert_msg(e < 1e-5, "bias %s %s batch %zu dropout %.1f: fused vs unfused err %.3g",
                  tu_bias_name(bias), red == MLP_REDUCE_MEAN ? "mean" : "sum", batch,
                  (double)dropout, e);
    ck_assert_uint_eq(mlp_optimizer_step_count(of), 3);
    mlp_workspace_free(wf);
    mlp_workspace_free(wp);
    mlp_optimizer_free(of);
    mlp_optimizer_free(op);
    mlp_net_free(fused);
    mlp_net_free(plain);
}
END_TEST

static Suite *identities_suite(void)
{
    Suite *s = suite_create("identities");
    TCase *tc = tcase_create("identities");
    tcase_add_loop_test(tc, batch_gradient_is_sum_of_records, 0, MLP_BIAS_COUNT);
    tcase_add_loop_test(tc, sgd_step_is_params_minus_lr_sum, 0, 2 * MLP_BIAS_COUNT);
    tcase_add_loop_test(tc, single_record_sgd_step, 0, 2 * MLP_BIAS_COUNT);
    tcase_add_loop_test(tc, fused_sgd_matches_unfused_rule, 0, 64);
    tcase_add_test(tc, per_layer_bias_is_sum_of_per_neuron);
    tcase_add_test(tc, per_network_bias_is_sum_over_layers);
    tcase_add_test(tc, no_bias_equals_zero_per_neuron_bias);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(identities_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
