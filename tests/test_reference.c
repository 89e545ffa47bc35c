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
    size_t P = mlp_net_param_count(net), n0 = t.sizes[0], nL = t.sizes[t.layers];
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

/* mlp_forward fed its own output (n_0 = n_L): one layer, where the pass writes the buffer
 * it reads, and three layers. Loop index: layers 1 or 3, batch 1 or 6. */
START_TEST(forward_from_own_output)
{
    static const size_t sizes[] = {5, 9, 7, 5};
    static const mlp_activation acts3[] = {MLP_ACT_TANH, MLP_ACT_RELU, MLP_ACT_SIGMOID};
    static const mlp_activation acts1[] = {MLP_ACT_TANH};
    const size_t layers = _i / 2 ? 3 : 1, B = _i % 2 ? 6 : 1;
    const size_t one_layer[] = {5, 5};
    tu_topo t = layers == 3 ? tu_topo_make(3, sizes, acts3, MLP_BIAS_PER_NEURON)
                            : tu_topo_make(1, one_layer, acts1, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 4);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 6), MLP_OK);
    float x[30], out[30];
    double ref1[30], ref2[30];
    uint64_t s = 2;
    tu_fill_uniform(&s, x, B * 5, -1, 1);
    const float *p = mlp_net_params_const(net);
    tu_ref_forward(&t, p, x, B, ref1);
    float first[30];
    for (size_t i = 0; i < B * 5; i++) first[i] = (float)ref1[i];
    tu_ref_forward(&t, p, first, B, ref2); /* the net applied twice */
    ck_assert_int_eq(mlp_forward(net, ws, x, B, NULL), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, mlp_workspace_output(ws), B, out), MLP_OK);
    double e = tu_rel_err_fd(out, ref2, B * 5, 1e-3);
    ck_assert_msg(e < REF_TOL, "%zu layers, batch %zu: output fed back, err %.3g", layers, B, e);
    /* outputs may be the workspace's own rows too */
    ck_assert_int_eq(mlp_forward(net, ws, x, B, NULL), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, mlp_workspace_output(ws), B,
                                 (float *)mlp_workspace_output(ws)), MLP_OK);
    e = tu_rel_err_fd(mlp_workspace_output(ws), ref2, B * 5, 1e-3);
    ck_assert_msg(e < REF_TOL, "%zu layers, batch %zu: in place, err %.3g", layers, B, e);
    /* evaluate reads its inputs from the output too; the targets may not be there */
    double loss = -1.0, ref_loss = 0.0;
    ck_assert_int_eq(mlp_forward(net, ws, x, B, NULL), MLP_OK);
    float y[30];
    tu_fill_uniform(&s, y, B * 5, -1, 1);
    for (size_t r = 0; r < B; r++) ref_loss += tu_loss(MLP_LOSS_MSE, ref2 + r * 5, y + r * 5, 5);
    ck_assert_int_eq(mlp_evaluate(net, ws, mlp_workspace_output(ws), y, B, MLP_LOSS_MSE, &loss,
                                  NULL), MLP_OK);
    ck_assert_double_eq_tol(loss, ref_loss / (double)B, 1e-5);
    ck_assert_int_eq(mlp_evaluate(net, ws, x, mlp_workspace_output(ws), B, MLP_LOSS_MSE, &loss,
                                  NULL), MLP_ERR_INVALID_ARG);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Backpropagation reads its inputs and targets after writing the workspace: rows that live
 * there are refused, and nothing changes. */
START_TEST(gradient_refuses_workspace_rows)
{
    static const size_t sizes[] = {4, 4};
    static const mlp_activation acts[] = {MLP_ACT_SIGMOID};
    tu_topo t = tu_topo_make(1, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 6);
    size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 2), MLP_OK);
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float x[8] = {0.1f, 0.2f, 0.3f, 0.4f, -1, 0, 1, 2}, y[8] = {0};
    float *g = calloc(P, sizeof *g), *before = tu_copy(mlp_net_params_const(net), P);
    ck_assert_int_eq(mlp_forward(net, ws, x, 2, NULL), MLP_OK);
    const float *own = mlp_workspace_output(ws);
    float *wg = mlp_workspace_gradient(ws);
    ck_assert_int_eq(mlp_gradient(net, ws, own, y, 2, MLP_LOSS_MSE, g, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_gradient(net, ws, x, own, 2, MLP_LOSS_MSE, g, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 2, MLP_LOSS_MSE, (float *)own, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_gradient_accumulate(net, ws, wg, y, 1, MLP_LOSS_MSE, g, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_train_step(net, ws, opt, own, y, 1, MLP_LOSS_MSE, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_train_step(net, ws, opt, x, own + 4, 1, MLP_LOSS_MSE, NULL),
                     MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(before, mlp_net_params_const(net), P), P);
    for (size_t i = 0; i < P; i++) ck_assert_float_eq(g[i], 0.0f);
    /* the workspace's own gradient buffer is a valid destination */
    double ref[64] = {0};
    tu_ref_gradient(&t, before, x, y, 2, MLP_LOSS_MSE, ref);
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 2, MLP_LOSS_MSE, wg, NULL), MLP_OK);
    ck_assert_double_lt(tu_rel_err_fd(wg, ref, P, 1e-3), REF_TOL);
    free(g);
    free(before);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* NaN in, NaN out through every activation's fast path, without undefined behaviour (the
 * sanitizer build checks float-to-int conversions): batch and one-record forward, and the
 * one-record training routes (tiny and wide nets). */
START_TEST(nan_propagates)
{
    static const mlp_activation acts[] = {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_RELU,
                                          MLP_ACT_LEAKY_RELU, MLP_ACT_LINEAR};
    const size_t widths[] = {8, 40}; /* the tiny-net and the general one-record paths */
    for (size_t a = 0; a < 5; a++)
        for (size_t wi = 0; wi < 2; wi++) {
            const size_t sizes[] = {3, widths[wi], 2};
            const mlp_activation two[] = {acts[a], MLP_ACT_SIGMOID};
            tu_topo t = tu_topo_make(2, sizes, two, MLP_BIAS_PER_NEURON);
            mlp_net *net = tu_net_new(&t, 8);
            mlp_workspace *ws = NULL;
            ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
            float x[12], out[8], y[2] = {0.5f, 0.5f};
            for (size_t i = 0; i < 12; i++) x[i] = i % 3 ? 0.5f : NAN;
            for (size_t B = 1; B <= 4; B += 3) {
                ck_assert_int_eq(mlp_forward(net, ws, x, B, out), MLP_OK);
                for (size_t i = 0; i < B * 2; i++)
                    ck_assert_msg(isnan(out[i]), "%s width %zu batch %zu: output %g",
                                  tu_act_name(acts[a]), widths[wi], B, (double)out[i]);
            }
            mlp_optimizer *opt = NULL;
            mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
            ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
            double loss = 0.0;
            ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, 1, MLP_LOSS_MSE, &loss), MLP_OK);
            ck_assert_msg(isnan(loss), "%s width %zu: one-record loss %g", tu_act_name(acts[a]),
                          widths[wi], loss);
            mlp_optimizer_free(opt);
            mlp_workspace_free(ws);
            mlp_net_free(net);
        }
}
END_TEST

/* An inference-only workspace: the same outputs bit for bit as a training one, less memory
 * by at least the gradient, and every training call refused without effect. */
START_TEST(inference_workspace)
{
    static const size_t sizes[] = {6, 20, 9, 3};
    static const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    tu_topo t = tu_topo_make(3, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 21);
    const size_t P = mlp_net_param_count(net), B = 5;
    mlp_workspace *tw = NULL, *iw = NULL;
    ck_assert_int_eq(mlp_workspace_create(&tw, net, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&iw, net, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(NULL, net, B), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_workspace_create_inference(&iw, net, 0), MLP_ERR_INVALID_ARG);
    float x[5 * 6], y[5 * 3], a[5 * 3], b[5 * 3], *g = calloc(P, sizeof *g);
    uint64_t s = 4;
    tu_fill_uniform(&s, x, B * 6, -1, 1);
    tu_fill_distributions(&s, y, B, 3);
    for (size_t batch = 1; batch <= B; batch += B - 1) {
        ck_assert_int_eq(mlp_forward(net, tw, x, batch, a), MLP_OK);
        ck_assert_int_eq(mlp_forward(net, iw, x, batch, b), MLP_OK);
        ck_assert_uint_eq(tu_first_diff(a, b, batch * 3), batch * 3);
    }
    double la, lb;
    ck_assert_int_eq(mlp_evaluate(net, tw, x, y, B, MLP_LOSS_CROSS_ENTROPY, &la, NULL), MLP_OK);
    ck_assert_int_eq(mlp_evaluate(net, iw, x, y, B, MLP_LOSS_CROSS_ENTROPY, &lb, NULL), MLP_OK);
    ck_assert_double_eq(la, lb);
    /* memory: the documented buffers, at least the gradient less */
    ck_assert_uint_gt(mlp_workspace_bytes(iw), 0);
    ck_assert_uint_ge(mlp_workspace_bytes(tw), mlp_workspace_bytes(iw) + P * sizeof(float));
    ck_assert_uint_eq(mlp_workspace_bytes(NULL), 0);
    size_t before = mlp_workspace_bytes(tw);
    ck_assert_int_eq(mlp_workspace_set_dropout(tw, 0.5f, 1), MLP_OK);
    ck_assert_uint_eq(mlp_workspace_bytes(tw), before + 2 * B * (20 + 9) * sizeof(float));
    ck_assert_int_eq(mlp_workspace_set_dropout(tw, 0.0f, 1), MLP_OK);
    ck_assert_uint_eq(mlp_workspace_bytes(tw), before);
    /* training calls refuse it and change nothing */
    float *p0 = tu_copy(mlp_net_params_const(net), P);
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_ptr_null(mlp_workspace_gradient(iw));
    ck_assert_int_eq(mlp_gradient(net, iw, x, y, 1, MLP_LOSS_CROSS_ENTROPY, g, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_gradient_accumulate(net, iw, x, y, 1, MLP_LOSS_CROSS_ENTROPY, g, NULL),
                     MLP_ERR_INVALID_ARG);
    for (size_t batch = 1; batch <= B; batch += B - 1)
        ck_assert_int_eq(mlp_train_step(net, iw, opt, x, y, batch, MLP_LOSS_CROSS_ENTROPY, NULL),
                         MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_dropout(iw, 0.5f, 1), MLP_ERR_INVALID_ARG);
    ck_assert_uint_eq(tu_first_diff(p0, mlp_net_params_const(net), P), P);
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    for (size_t i = 0; i < P; i++) ck_assert_float_eq(g[i], 0.0f);
    free(p0);
    free(g);
    mlp_optimizer_free(opt);
    mlp_workspace_free(tw);
    mlp_workspace_free(iw);
    mlp_net_free(net);
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
    tcase_add_loop_test(tc, forward_from_own_output, 0, 4);
    tcase_add_test(tc, gradient_refuses_workspace_rows);
    tcase_add_test(tc, nan_propagates);
    tcase_add_test(tc, inference_workspace);
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
