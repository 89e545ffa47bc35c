/* Finite-difference gradient checks of every activation x loss x bias mode, hand-computed
 * losses, and proof that the comparison catches wrong gradients. */
#include "test_util.h"

#include <check.h>

#define FD_H 1e-2       /* central-difference step on float parameters */
#define FD_TOL 1e-2     /* max|a-b| / max(1e-3, max|a|, max|b|) */
#define FD_BATCH 3

typedef struct fd_result {
    double err;         /* scale-aware error over the checked coordinates */
    size_t checked, skipped;
    mlp_status status;  /* of mlp_gradient */
    float *grad;        /* analytic, param_count floats (caller frees) */
    double *fd;         /* finite differences (0 where skipped) */
    double *fd_half;    /* finite differences of the 1/2-convention MSE */
    size_t n;
} fd_result;

static void fd_result_free(fd_result *r)
{
    free(r->grad);
    free(r->fd);
    free(r->fd_half);
}

/* Sign pattern of every (leaky) ReLU pre-activation over the batch, into sig. */
static size_t relu_signature(const tu_topo *t, const float *p, const float *x, size_t batch,
                             char *sig)
{
    tu_trace tr;
    size_t n = 0;
    for (size_t r = 0; r < batch; r++) {
        tu_ref_forward_record(t, p, x + r * t->sizes[0], &tr);
        for (size_t k = 0; k < t->layers; k++)
            if (t->acts[k] == MLP_ACT_RELU || t->acts[k] == MLP_ACT_LEAKY_RELU)
                for (size_t j = 0; j < t->sizes[k + 1]; j++) sig[n++] = tr.a[k + 1][j] > 0.0;
    }
    return n;
}

static int has_relu(const tu_topo *t)
{
    for (size_t k = 0; k < t->layers; k++)
        if (t->acts[k] == MLP_ACT_RELU || t->acts[k] == MLP_ACT_LEAKY_RELU) return 1;
    return 0;
}

/* Library loss of the batch from mlp_forward outputs, in double, by the documented formula. */
static double batch_loss(const mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                         size_t batch, mlp_loss loss, float *out, int half)
{
    size_t nL = mlp_net_output_size(net);
    if (mlp_forward(net, ws, x, batch, out) != MLP_OK) return NAN;
    double s = 0.0;
    for (size_t r = 0; r < batch; r++) s += tu_loss_f(loss, out + r * nL, y + r * nL, nL);
    return half ? 0.5 * s : s;
}

/* Analytic gradient (mlp_gradient) vs central differences of the documented loss. */
static fd_result gradient_check(const tu_topo *t, mlp_loss loss, uint64_t seed)
{
    fd_result res;
    memset(&res, 0, sizeof res);
    res.status = MLP_ERR_INVALID_ARG;
    res.err = INFINITY;
    size_t n0 = t->sizes[0], nL = t->sizes[t->layers];
    float x[FD_BATCH * TU_MAX_WIDTH], y[FD_BATCH * TU_MAX_WIDTH], out[FD_BATCH * TU_MAX_WIDTH];
    /* Redraw net and inputs until every (leaky) ReLU pre-activation is clear of its kink
     * (a dead hidden layer without bias puts the next pre-activations exactly at 0). */
    mlp_net *net = NULL;
    for (uint64_t attempt = 0; attempt < 200; attempt++) {
        mlp_net_free(net);
        net = tu_net_new(t, seed + attempt * 7919);
        if (!net) return res;
        uint64_t s = seed * 31 + 7 + attempt;
        tu_fill_uniform(&s, x, FD_BATCH * n0, -1.0, 1.0);
        if (loss == MLP_LOSS_CROSS_ENTROPY)
            tu_fill_distributions(&s, y, FD_BATCH, nL);
        else
            tu_fill_uniform(&s, y, FD_BATCH * nL, 0.0, 1.0);
        if (!has_relu(t) || tu_ref_kink_margin(t, mlp_net_params(net), x, FD_BATCH) > 0.05) break;
    }
    size_t P = mlp_net_param_count(net);
    res.n = P;

    mlp_workspace *ws = NULL;
    mlp_workspace_create(&ws, net, FD_BATCH);
    res.grad = calloc(P, sizeof(float));
    res.fd = calloc(P, sizeof(double));
    res.fd_half = calloc(P, sizeof(double));
    double loss_sum = -1.0;
    res.status = mlp_gradient(net, ws, x, y, FD_BATCH, loss, res.grad, &loss_sum);
    if (res.status != MLP_OK) goto done;

    float *p = mlp_net_params(net);
    int relu = has_relu(t);
    char sig0[FD_BATCH * TU_MAX_LAYERS * TU_MAX_WIDTH], sig1[sizeof sig0], sig2[sizeof sig0];
    size_t ns = relu ? relu_signature(t, p, x, FD_BATCH, sig0) : 0;
    float *ga = malloc(P * sizeof(float));
    double *gf = malloc(P * sizeof(double));
    for (size_t i = 0; i < P; i++) {
        float p0 = p[i];
        float pp = (float)(p0 + FD_H), pm = (float)(p0 - FD_H);
        p[i] = pp;
        double lp = batch_loss(net, ws, x, y, FD_BATCH, loss, out, 0);
        int skip = relu && (relu_signature(t, p, x, FD_BATCH, sig1) != ns ||
                            memcmp(sig0, sig1, ns) != 0 ||
                            tu_ref_kink_margin(t, p, x, FD_BATCH) < 1e-4);
        p[i] = pm;
        double lm = batch_loss(net, ws, x, y, FD_BATCH, loss, out, 0);
        skip = skip || (relu && (relu_signature(t, p, x, FD_BATCH, sig2) != ns ||
                                 memcmp(sig0, sig2, ns) != 0 ||
                                 tu_ref_kink_margin(t, p, x, FD_BATCH) < 1e-4));
        p[i] = p0;
        res.fd[i] = (lp - lm) / ((double)pp - (double)pm);
        res.fd_half[i] = 0.5 * res.fd[i];
        if (skip) {
            res.skipped++;
            res.fd[i] = res.fd_half[i] = 0.0;
            continue;
        }
        ga[res.checked] = res.grad[i];
        gf[res.checked] = res.fd[i];
        res.checked++;
    }
    res.err = tu_rel_err_fd(ga, gf, res.checked, 1e-3);
    free(ga);
    free(gf);
done:
    mlp_workspace_free(ws);
    mlp_net_free(net);
    return res;
}

static const size_t widths[3][4] = {{3, 4}, {3, 5, 4}, {4, 5, 3, 3}};

/* Loop index i: bias mode i % 4, layer count i / 4 + 1. Every hidden x output activation x
 * loss on that shape; cross-entropy without softmax output must be rejected. */
START_TEST(fd_every_combination)
{
    mlp_bias_mode bias = (mlp_bias_mode)(_i % 4);
    size_t layers = (size_t)_i / 4 + 1;
    size_t n_hidden_kinds = layers == 1 ? 1 : 5;
    int failures = 0, runs = 0;
    char first[512] = "";
    for (size_t h = 0; h < n_hidden_kinds; h++) {
        for (int o = 0; o < MLP_ACT_COUNT; o++) {
            for (int l = 0; l <= MLP_LOSS_CROSS_ENTROPY; l++) { /* AUTO names one of these */
                mlp_activation acts[3] = {(mlp_activation)h, (mlp_activation)h, (mlp_activation)h};
                acts[layers - 1] = (mlp_activation)o;
                tu_topo t = tu_topo_make(layers, widths[layers - 1], acts, bias);
                uint64_t seed = 1000 + (uint64_t)(_i * 100 + (int)h * 20 + o * 2 + l);
                fd_result r = gradient_check(&t, (mlp_loss)l, seed);
                runs++;
                int bad;
                if (l == MLP_LOSS_CROSS_ENTROPY && o != MLP_ACT_SOFTMAX) {
                    bad = r.status != MLP_ERR_INVALID_ARG;
                } else {
                    bad = r.status != MLP_OK || !(r.err < FD_TOL) || r.checked < r.n / 2;
                }
                if (bad && !failures)
                    snprintf(first, sizeof first,
                             "layers=%zu bias=%s hidden=%s output=%s loss=%s: status=%d (%s) "
                             "err=%.3g checked=%zu skipped=%zu of %zu",
                             layers, tu_bias_name(bias), tu_act_name(acts[0]),
                             tu_act_name((mlp_activation)o), tu_loss_name((mlp_loss)l),
                             (int)r.status, mlp_strerror(r.status), r.err, r.checked, r.skipped,
                             r.n);
                failures += bad;
                fd_result_free(&r);
            }
        }
    }
    ck_assert_msg(failures == 0, "%d of %d combinations failed; first: %s", failures, runs, first);
}
END_TEST

/* Different activations in one net, deeper than the loop above. */
START_TEST(fd_mixed_activations)
{
    static const size_t sizes[] = {4, 6, 5, 7, 3};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LEAKY_RELU, MLP_ACT_SIGMOID,
                                          MLP_ACT_SOFTMAX};
    for (int b = 0; b < MLP_BIAS_COUNT; b++) {
        for (int l = 0; l <= MLP_LOSS_CROSS_ENTROPY; l++) { /* AUTO names one of these */
            tu_topo t = tu_topo_make(4, sizes, acts, (mlp_bias_mode)b);
            fd_result r = gradient_check(&t, (mlp_loss)l, 77 + (uint64_t)b);
            ck_assert_msg(r.status == MLP_OK && r.err < FD_TOL && r.checked >= r.n / 2,
                          "bias=%s loss=%s status=%d err=%.3g checked=%zu/%zu",
                          tu_bias_name((mlp_bias_mode)b), tu_loss_name((mlp_loss)l), r.status,
                          r.err, r.checked, r.n);
            fd_result_free(&r);
        }
    }
}
END_TEST

/* The comparison is sharp: factor 2, the 1/2-convention MSE, or one wrong coordinate fail. */
START_TEST(fd_detects_wrong_gradients)
{
    static const size_t sizes[] = {3, 5, 2};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
    fd_result r = gradient_check(&t, MLP_LOSS_MSE, 4242);
    ck_assert_int_eq(r.status, MLP_OK);
    ck_assert_uint_eq(r.skipped, 0);
    ck_assert_msg(r.err < FD_TOL, "correct gradient rejected: err %.3g", r.err);

    size_t P = r.n;
    float *wrong = malloc(P * sizeof(float));
    /* factor 2 */
    for (size_t i = 0; i < P; i++) wrong[i] = 2.0f * r.grad[i];
    double e2 = tu_rel_err_fd(wrong, r.fd, P, 1e-3);
    ck_assert_msg(e2 > 10 * FD_TOL, "factor-2 gradient passed: err %.3g", e2);
    /* the analytic gradient against finite differences of (1/2) sum (o-y)^2 / n */
    double eh = tu_rel_err_fd(r.grad, r.fd_half, P, 1e-3);
    ck_assert_msg(eh > 10 * FD_TOL, "1/2-convention MSE passed: err %.3g", eh);
    /* one coordinate off by 5% of the largest entry */
    double gmax = 0.0;
    for (size_t i = 0; i < P; i++) gmax = fmax(gmax, fabs(r.grad[i]));
    for (size_t i = 0; i < P; i++) wrong[i] = r.grad[i];
    wrong[P / 2] += (float)(0.05 * gmax);
    double e1 = tu_rel_err_fd(wrong, r.fd, P, 1e-3);
    ck_assert_msg(e1 > 2 * FD_TOL, "one perturbed coordinate passed: err %.3g", e1);
    /* two weights swapped */
    for (size_t i = 0; i < P; i++) wrong[i] = r.grad[i];
    float tmp = wrong[0];
    wrong[0] = wrong[1];
    wrong[1] = tmp;
    if (fabs(r.grad[0] - r.grad[1]) > 0.05 * gmax) {
        double es = tu_rel_err_fd(wrong, r.fd, P, 1e-3);
        ck_assert_msg(es > FD_TOL, "swapped coordinates passed: err %.3g", es);
    }
    free(wrong);
    fd_result_free(&r);
}
END_TEST

/* C_i = (1/n_L) sum_j (o_j - y_j)^2, no 1/2: value and gradient by hand. */
START_TEST(mse_by_hand)
{
    static const size_t sizes[] = {2, 2};
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_uint_eq(mlp_net_param_count(net), 6);
    float *p = mlp_net_params(net);
    const float set[6] = {1, 2, 3, 4, 0.5f, -1}; /* W = [[1,2],[3,4]], b = [0.5,-1] */
    memcpy(p, set, sizeof set);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 2), MLP_OK);
    const float x[4] = {1, -1, 0, 2};
    const float y[4] = {0, 1, 1, 0};
    /* record 0: a = (-0.5, -2), o - y = (-0.5, -3), C = (0.25 + 9) / 2 = 4.625
     * record 1: a = (4.5, 7),   o - y = (3.5, 7),    C = (12.25 + 49) / 2 = 30.625 */
    float g[6];
    double ls = 0.0;
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 1, MLP_LOSS_MSE, g, &ls), MLP_OK);
    ck_assert_double_eq_tol(ls, 4.625, 1e-6);
    /* dC/da = (2/n_L)(o - y) = (-0.5, -3); dW = delta x^T; db = delta */
    const float g0[6] = {-0.5f, 0.5f, -3, 3, -0.5f, -3};
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(g[i], g0[i], 1e-6f);

    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 2, MLP_LOSS_MSE, g, &ls), MLP_OK);
    ck_assert_double_eq_tol(ls, 4.625 + 30.625, 1e-5);
    /* record 1: delta = (3.5, 7), x = (0, 2): dW = [[0,7],[0,14]] */
    const float g01[6] = {-0.5f, 7.5f, -3, 17, 3.0f, 4};
    for (int i = 0; i < 6; i++) ck_assert_float_eq_tol(g[i], g01[i], 1e-5f);

    double mean = 0.0;
    ck_assert_int_eq(mlp_evaluate(net, ws, x, y, 2, MLP_LOSS_MSE, &mean, NULL), MLP_OK);
    ck_assert_double_eq_tol(mean, (4.625 + 30.625) / 2, 1e-5);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Softmax + cross-entropy by hand, and its stable form with huge logits. */
START_TEST(cross_entropy_by_hand)
{
    static const size_t sizes[] = {1, 2};
    static const mlp_activation acts[] = {MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    float *p = mlp_net_params(net);
    p[0] = 1.0f; /* W = [[1],[-1]], b = 0 */
    p[1] = -1.0f;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    float x = 1.0f, y[2] = {1, 0}, g[4], o[2];
    double ls = 0.0;
    ck_assert_int_eq(mlp_gradient(net, ws, &x, y, 1, MLP_LOSS_CROSS_ENTROPY, g, &ls), MLP_OK);
    double o0 = exp(1.0) / (exp(1.0) + exp(-1.0));
    ck_assert_double_eq_tol(ls, -log(o0), 1e-6);
    /* delta = o - y; dW = delta * x; db = delta */
    ck_assert_float_eq_tol(g[0], (float)(o0 - 1.0), 1e-6f);
    ck_assert_float_eq_tol(g[1], (float)(1.0 - o0), 1e-6f);
    ck_assert_float_eq_tol(g[2], (float)(o0 - 1.0), 1e-6f);
    ck_assert_float_eq_tol(g[3], (float)(1.0 - o0), 1e-6f);
    ck_assert_int_eq(mlp_forward(net, ws, &x, 1, o), MLP_OK);
    ck_assert_float_eq_tol(o[0], (float)o0, 1e-6f);
    ck_assert_float_eq_tol(o[0] + o[1], 1.0f, 1e-6f);

    /* logits +-100, wrong class: C = 200 + log(1 + e^-200), finite; delta = (1, -1) */
    x = 100.0f;
    y[0] = 0.0f;
    y[1] = 1.0f;
    ck_assert_int_eq(mlp_gradient(net, ws, &x, y, 1, MLP_LOSS_CROSS_ENTROPY, g, &ls), MLP_OK);
    ck_assert_msg(isfinite(ls) && fabs(ls - 200.0) < 1e-3, "stable CE: got loss %.9g", ls);
    ck_assert_float_eq_tol(g[0], 100.0f, 1e-3f);
    ck_assert_float_eq_tol(g[1], -100.0f, 1e-3f);
    ck_assert_float_eq_tol(g[2], 1.0f, 1e-6f);
    ck_assert_float_eq_tol(g[3], -1.0f, 1e-6f);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* MSE on a softmax output is allowed; cross-entropy on any other output is INVALID_ARG
 * and leaves grad and loss_sum untouched. */
START_TEST(cross_entropy_needs_softmax)
{
    static const size_t sizes[] = {2, 3, 2};
    for (int o = 0; o < MLP_ACT_COUNT; o++) {
        mlp_activation acts[2] = {MLP_ACT_TANH, (mlp_activation)o};
        tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_NEURON);
        mlp_net *net = tu_net_new(&t, 5);
        ck_assert_ptr_nonnull(net);
        mlp_workspace *ws = NULL;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
        size_t P = mlp_net_param_count(net);
        float g[64];
        for (size_t i = 0; i < P; i++) g[i] = 7.0f;
        const float x[2] = {0.3f, -0.2f}, y[2] = {0.25f, 0.75f};
        double ls = -123.0;
        mlp_status st = mlp_gradient(net, ws, x, y, 1, MLP_LOSS_CROSS_ENTROPY, g, &ls);
        if (o == MLP_ACT_SOFTMAX) {
            ck_assert_int_eq(st, MLP_OK);
        } else {
            ck_assert_msg(st == MLP_ERR_INVALID_ARG, "output %s: CE gave %d", tu_act_name(acts[1]),
                          st);
            for (size_t i = 0; i < P; i++) ck_assert_float_eq(g[i], 7.0f);
            ck_assert_double_eq(ls, -123.0);
        }
        ck_assert_int_eq(mlp_gradient(net, ws, x, y, 1, MLP_LOSS_MSE, g, &ls), MLP_OK);
        mlp_workspace_free(ws);
        mlp_net_free(net);
    }
}
END_TEST

/* mlp_gradient_accumulate adds into grad; mlp_gradient overwrites. */
START_TEST(accumulate_adds)
{
    static const size_t sizes[] = {3, 4, 2};
    static const mlp_activation acts[] = {MLP_ACT_SIGMOID, MLP_ACT_LINEAR};
    tu_topo t = tu_topo_make(2, sizes, acts, MLP_BIAS_PER_LAYER);
    mlp_net *net = tu_net_new(&t, 9);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    size_t P = mlp_net_param_count(net);
    uint64_t s = 3;
    float x[12], y[8], g[64], acc[64];
    tu_fill_uniform(&s, x, 12, -1, 1);
    tu_fill_uniform(&s, y, 8, -1, 1);
    for (size_t i = 0; i < P; i++) g[i] = 99.0f;
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 4, MLP_LOSS_MSE, g, NULL), MLP_OK);
    for (size_t i = 0; i < P; i++) acc[i] = 1.0f;
    ck_assert_int_eq(mlp_gradient_accumulate(net, ws, x, y, 4, MLP_LOSS_MSE, acc, NULL), MLP_OK);
    for (size_t i = 0; i < P; i++) ck_assert_float_eq_tol(acc[i], 1.0f + g[i], 1e-5f);
    /* the overwrite did not keep the 99s */
    double ref[64] = {0};
    tu_ref_gradient(&t, mlp_net_params(net), x, y, 4, MLP_LOSS_MSE, ref);
    ck_assert_double_lt(tu_rel_err_fd(g, ref, P, 1e-3), 1e-4);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

static Suite *gradient_suite(void)
{
    Suite *s = suite_create("gradient");
    TCase *tc = tcase_create("finite_differences");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, fd_every_combination, 0, 12);
    tcase_add_test(tc, fd_mixed_activations);
    tcase_add_test(tc, fd_detects_wrong_gradients);
    suite_add_tcase(s, tc);
    TCase *hand = tcase_create("by_hand");
    tcase_add_test(hand, mse_by_hand);
    tcase_add_test(hand, cross_entropy_by_hand);
    tcase_add_test(hand, cross_entropy_needs_softmax);
    tcase_add_test(hand, accumulate_adds);
    suite_add_tcase(s, hand);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(gradient_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
