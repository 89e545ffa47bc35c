#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv, strdup */
/* bf16 mixed precision (MLP_PRECISION_BF16): the API and its statuses everywhere; on a CPU
 * with native bf16 in a oneDNN build, forward passes and gradients against the double
 * reference within a bf16 tolerance, training against the float run's loss, and float
 * results bit for bit unchanged by a workspace that was once bf16.
 *
 * The tolerance. bf16 keeps 8 significant bits: rounding a value to it changes it by at
 * most u = 2^-9 relative (half an ulp of 2^-8 relative), so a product of two rounded
 * operands is off by at most 2u + u^2 ~ 2^-8 relative; oneDNN accumulates in float, whose
 * error (2^-24 x accumulation length, at most 2^-14 here) is negligible beside it. A dot
 * product of K such terms is then off by at most 2^-8 x sum_i |x_i w_i|, and with
 * independent rounding errors typically by 2^-8 x sqrt(K) x rms(x_i w_i). The suites'
 * scale-aware error (max |a - b| / max |b|, tests/test_util.h) divides by the largest entry,
 * which for our sizes (K up to 61 in a layer, batch sums of up to 33 records in a weight
 * gradient) is at least rms(term) x sqrt(K): the error of one bf16 GEMM is then about
 * 2^-8 = 3.9e-3. A gradient goes through up to 2L - 1 chained GEMMs (L forward, L - 1 back
 * to the inputs, then the weight product), and each adds its share to first order: for
 * L = 3, 5 x 2^-8 = 2.0e-2. BF16_TOL is that bound; the errors measured here are 0.7e-3 to
 * 6e-3 (forward 1.3e-3 to 3e-3).
 * The forward pass alone goes through L GEMMs: BF16_FWD_TOL = 3 x 2^-8 = 1.2e-2. So that a
 * bf16 path that silently ran in float cannot pass either, the errors must also exceed
 * BF16_MIN_ERR = 2^-14, above float's errors here (1e-6) and far below bf16's. */
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BF16_TOL (5.0 / 256.0)
#define BF16_FWD_TOL (3.0 / 256.0)
#define BF16_MIN_ERR (1.0 / 16384.0)
/* Training: the bf16 run's final loss within this fraction of the float run's, plus 1e-3
 * (measured: 0.00867 against 0.00873, a 0.7% difference). */
#define BF16_LOSS_MARGIN 0.05


/* ------------------------------------------------------------------ everywhere */

START_TEST(test_statuses)
{
    ck_assert_int_eq(MLP_ERR_UNSUPPORTED, 18);
    ck_assert_ptr_nonnull(strstr(mlp_strerror(MLP_ERR_UNSUPPORTED), "bf16"));
    ck_assert_int_eq(mlp_precision_supported(MLP_PRECISION_FP32, NULL), MLP_OK);
    ck_assert_int_eq(mlp_precision_supported(MLP_PRECISION_COUNT, NULL), MLP_ERR_INVALID_ARG);
    mlp_error_detail d = {.message = "x"};
    mlp_status st = mlp_precision_supported(MLP_PRECISION_BF16, &d);
    ck_assert(st == MLP_OK || st == MLP_ERR_UNSUPPORTED);
    if (st == MLP_ERR_UNSUPPORTED) /* the reason: no oneDNN, or the CPU */
        ck_assert_ptr_nonnull(strstr(d.message, "bf16"));

    const size_t sizes[] = {3, 4, 2};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 7), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 8), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(NULL, MLP_PRECISION_FP32), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_COUNT), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, (mlp_precision)-1), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_precision(ws), MLP_PRECISION_FP32);
    ck_assert_int_eq(mlp_workspace_precision(NULL), MLP_PRECISION_FP32);
    const size_t bytes = mlp_workspace_bytes(ws);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_BF16), st);
    ck_assert_int_eq(mlp_workspace_precision(ws),
                     st == MLP_OK ? MLP_PRECISION_BF16 : MLP_PRECISION_FP32);
    ck_assert(st == MLP_OK ? mlp_workspace_bytes(ws) > bytes : mlp_workspace_bytes(ws) == bytes);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_uint_eq(mlp_workspace_bytes(ws), bytes);

    /* The model handle's scratch takes the same setting. */
    mlp_net *owned = NULL;
    mlp_model *model = NULL;
    mlp_model_scratch *scratch = NULL;
    ck_assert_int_eq(mlp_net_clone(&owned, net), MLP_OK);
    ck_assert_int_eq(mlp_model_create(&model, owned, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_create(&scratch, model, 4), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_set_precision(NULL, MLP_PRECISION_BF16), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_model_scratch_set_precision(scratch, MLP_PRECISION_COUNT),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_model_scratch_set_precision(scratch, MLP_PRECISION_BF16), st);
    float raw[2 * 3] = {0.5f, -1, 2, 1, 0, -0.5f}, pred[2 * 2], want[2 * 2];
    ck_assert_int_eq(mlp_model_predict_with(model, scratch, raw, 2, pred), MLP_OK);
    ck_assert_int_eq(mlp_model_predict(model, raw, 2, want), MLP_OK); /* float */
    for (int i = 0; i < 4; i++) /* bf16 rounding of 3-term sums: well within 2^-5 */
        ck_assert_float_le(fabsf(pred[i] - want[i]), 0.03f * (1.0f + fabsf(want[i])));
    mlp_model_scratch_free(scratch);
    mlp_model_free(model);

    /* mlp_train refuses what the workspace refuses, before changing anything. */
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float x[2 * 3] = {1, 2, 3, 4, 5, 6}, y[2 * 2] = {1, 0, 0, 1};
    mlp_train_config tc = mlp_train_config_default();
    ck_assert_int_eq(tc.precision, MLP_PRECISION_FP32);
    tc.epochs = 1;
    tc.precision = MLP_PRECISION_COUNT;
    ck_assert_int_eq(mlp_train(net, opt, x, y, 2, NULL, NULL, 0, &tc, NULL), MLP_ERR_INVALID_ARG);
    tc.precision = MLP_PRECISION_BF16;
    float *before = tu_copy(mlp_net_params(net), mlp_net_param_count(net));
    mlp_status tst = mlp_train(net, opt, x, y, 2, NULL, NULL, 0, &tc, NULL);
    ck_assert_int_eq(tst, st);
    if (st != MLP_OK) {
        ck_assert_int_eq(memcmp(before, mlp_net_params(net), mlp_net_param_count(net) * sizeof(float)),
                         0);
        ck_assert_int_eq(mlp_net_trained_precision(net), MLP_PRECISION_FP32);
    } else { /* this net is far below the size rule: every layer ran in float */
        ck_assert_int_eq(mlp_net_trained_precision(net), MLP_PRECISION_FP32);
    }
    ck_assert_int_eq(mlp_net_trained_precision(NULL), MLP_PRECISION_FP32);
    free(before);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* ------------------------------------------------------------------ model file */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void reseal(unsigned char *b, size_t len)
{
    wr64(b + 16, len);
    wr32(b + len - 4, (uint32_t)crc32(0L, b, (uInt)(len - 4)));
}

/* An image with a "PREC" section holding `value` appended (version as given): built by
 * hand from a float net's image, which has none. */
static unsigned char *with_prec(const unsigned char *img, size_t len, uint32_t version,
                                uint32_t value, size_t *out_len)
{
    const size_t add = 16 + 4;
    unsigned char *b = malloc(len + add);
    memcpy(b, img, len - 4);
    unsigned char *s = b + len - 4;
    memcpy(s, "PREC", 4);
    wr32(s + 4, 0);
    wr64(s + 8, 4);
    wr32(s + 16, value);
    wr32(b + 8, version);
    wr32(b + 12, rd32(b + 12) + 1);
    *out_len = len + add;
    reseal(b, *out_len);
    return b;
}

START_TEST(test_model_file_precision)
{
    const size_t sizes[] = {3, 4, 2};
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL, *back = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 3), MLP_OK);
    void *img = NULL;
    size_t len = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &len, net, NULL, NULL, 0), MLP_OK);
    const unsigned char *b = img;
    ck_assert_uint_eq(rd32(b + 8), 1);  /* float, no table: the lowest version */
    ck_assert_uint_eq(rd32(b + 12), 1); /* float: no "PREC" section */

    /* A version-1 image (what earlier libraries wrote) still loads, as float. */
    unsigned char *v1 = malloc(len);
    memcpy(v1, img, len);
    mlp_model_info info;
    ck_assert_int_eq(mlp_model_open_parts_mem(v1, len, &back, NULL, NULL, &info, NULL), MLP_OK);
    ck_assert_uint_eq(info.format_version, 1);
    ck_assert_int_eq(mlp_net_trained_precision(back), MLP_PRECISION_FP32);
    mlp_net_free(back);

    /* A "PREC" section: read in version 3, refused in versions 1 and 2 and with a bad
     * value. */
    size_t n2;
    unsigned char *p2 = with_prec(img, len, 3, MLP_PRECISION_BF16, &n2);
    ck_assert_int_eq(mlp_model_open_parts_mem(p2, n2, &back, NULL, NULL, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(back), MLP_PRECISION_BF16);
    /* ... written back as read */
    void *again = NULL;
    size_t again_len = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&again, &again_len, back, NULL, NULL, 0), MLP_OK);
    ck_assert_uint_eq(again_len, n2);
    ck_assert_int_eq(memcmp(again, p2, n2), 0);
    mlp_free(again);
    /* ... and kept by a clone */
    mlp_net *copy = NULL;
    ck_assert_int_eq(mlp_net_clone(&copy, back), MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(copy), MLP_PRECISION_BF16);
    mlp_net_free(copy);
    mlp_net_free(back);
    free(p2);
    mlp_error_detail d;
    for (uint32_t v = 1; v <= 2; v++) {
        unsigned char *old = with_prec(img, len, v, MLP_PRECISION_BF16, &n2);
        ck_assert_int_eq(mlp_model_open_parts_mem(old, n2, &back, NULL, NULL, NULL, &d),
                         MLP_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(d.message, "section"));
        free(old);
    }
    unsigned char *bad = with_prec(img, len, 3, MLP_PRECISION_COUNT, &n2);
    ck_assert_int_eq(mlp_model_open_parts_mem(bad, n2, &back, NULL, NULL, NULL, &d), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(d.message, "precision"));
    free(bad);
    free(v1);
    mlp_free(img);
    mlp_net_free(net);
}
END_TEST

/* ------------------------------------------------------------------ bf16 hardware */

typedef struct bf16_case {
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_bias_mode bias;
    mlp_loss loss;
    size_t batches[2]; /* the workspace's maximum and a shorter last batch; 0: 33 and 18 */
} bf16_case;

/* Odd widths (no multiple of a vector length) and both losses, every bias mode. The last
 * two are large enough (batch x width from 16k floats) for the element-wise passes to be
 * split across the OpenMP team (bf16_passes.c), in uneven shares of rows: an activation
 * pass writing the next layer's bf16 inputs, derivative passes rounding the deltas, the
 * weight refresh; the shorter batch runs some passes serially. */
static const bf16_case cases[] = {
    {3, {37, 61, 29, 7}, {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX}, MLP_BIAS_PER_NEURON,
     MLP_LOSS_CROSS_ENTROPY, {0, 0}},
    {3, {23, 45, 17, 5}, {MLP_ACT_SIGMOID, MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_BIAS_PER_LAYER,
     MLP_LOSS_MSE, {0, 0}},
    {2, {50, 33, 3, 0}, {MLP_ACT_TANH, MLP_ACT_SOFTMAX}, MLP_BIAS_PER_NETWORK, MLP_LOSS_MSE,
     {0, 0}},
    {2, {19, 40, 4, 0}, {MLP_ACT_SIGMOID, MLP_ACT_SIGMOID}, MLP_BIAS_NONE, MLP_LOSS_MSE, {0, 0}},
    {3, {97, 301, 257, 9}, {MLP_ACT_SIGMOID, MLP_ACT_RELU, MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON,
     MLP_LOSS_MSE, {151, 67}},
    {2, {61, 263, 131, 0}, {MLP_ACT_LEAKY_RELU, MLP_ACT_TANH}, MLP_BIAS_PER_NEURON,
     MLP_LOSS_MSE,
     {149, 70}},
};
#define N_CASES (sizeof cases / sizeof cases[0])
/* Two batch sizes: a workspace's maximum and a shorter last batch (another primitive). */
static const size_t default_batches[] = {33, 18};
#define BATCHES(c) ((c)->batches[0] ? (c)->batches : default_batches)

static void make_data(const tu_topo *t, size_t batch, mlp_loss loss, uint64_t seed, float **x,
                      float **y)
{
    uint64_t s = seed;
    const size_t n0 = t->sizes[0], nL = t->sizes[t->layers];
    *x = malloc(batch * n0 * sizeof **x);
    *y = malloc(batch * nL * sizeof **y);
    tu_fill_uniform(&s, *x, batch * n0, -1.0, 1.0);
    if (loss == MLP_LOSS_CROSS_ENTROPY || t->acts[t->layers - 1] == MLP_ACT_SOFTMAX)
        tu_fill_distributions(&s, *y, batch, nL);
    else
        tu_fill_uniform(&s, *y, batch * nL, 0.1, 0.9);
}

/* Every layer in bf16: these nets are far below the size rule, which would keep them float. */
static void all_layers_bf16(mlp_workspace *ws, const mlp_net *net)
{
    for (size_t k = 0; k < mlp_net_layer_count(net); k++)
        ck_assert_int_eq(mlp_workspace_set_layer_precision(ws, k, MLP_PRECISION_BF16), MLP_OK);
}

static mlp_workspace *bf16_workspace(const mlp_net *net, size_t max_batch)
{
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, max_batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_BF16), MLP_OK);
    all_layers_bf16(ws, net);
    return ws;
}

START_TEST(test_forward_reference)
{
    const bf16_case *c = &cases[_i];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 11 + (uint64_t)_i);
    mlp_workspace *ws = bf16_workspace(net, batches[0]);
    mlp_workspace *inf = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&inf, net, batches[0]), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(inf, MLP_PRECISION_BF16), MLP_OK);
    all_layers_bf16(inf, net);
    const size_t nL = t.sizes[t.layers];
    for (size_t bi = 0; bi < 2; bi++) {
        const size_t batch = batches[bi];
        float *x, *y;
        make_data(&t, batch, c->loss, 100 + bi, &x, &y);
        double *ref = malloc(batch * nL * sizeof *ref);
        float *out = malloc(batch * nL * sizeof *out);
        tu_ref_forward(&t, mlp_net_params(net), x, batch, ref);
        for (int w = 0; w < 2; w++) {
            ck_assert_int_eq(mlp_forward(net, w ? inf : ws, x, batch, out), MLP_OK);
            double e = tu_rel_err_fd(out, ref, batch * nL, 1e-3);
            ck_assert_msg(e < BF16_FWD_TOL && e > BF16_MIN_ERR,
                          "case %d batch %zu: forward error %g", _i, batch, e);
        }
        /* mlp_evaluate (bf16 weights kept across its chunks) gives the forward's loss. */
        double loss, ref_loss = 0.0;
        ck_assert_int_eq(mlp_evaluate(net, ws, x, y, batch, c->loss, &loss, NULL), MLP_OK);
        for (size_t r = 0; r < batch; r++) ref_loss += tu_loss(c->loss, ref + r * nL, y + r * nL, nL);
        ref_loss /= (double)batch;
        ck_assert_msg(fabs(loss - ref_loss) <= BF16_FWD_TOL * fmax(fabs(ref_loss), 1e-3),
                      "case %d: evaluate loss %g, reference %g", _i, loss, ref_loss);
        free(ref);
        free(out);
        free(x);
        free(y);
    }
    mlp_workspace_free(inf);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

START_TEST(test_gradient_reference)
{
    const bf16_case *c = &cases[_i];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 21 + (uint64_t)_i);
    mlp_workspace *ws = bf16_workspace(net, batches[0]);
    const size_t P = mlp_net_param_count(net);
    for (size_t bi = 0; bi < 2; bi++) {
        const size_t batch = batches[bi];
        float *x, *y;
        make_data(&t, batch, c->loss, 200 + bi, &x, &y);
        double *ref = calloc(P, sizeof *ref);
        const double ref_loss = tu_ref_gradient(&t, mlp_net_params(net), x, y, batch, c->loss, ref);
        float *grad = malloc(P * sizeof *grad);
        double loss;
        ck_assert_int_eq(mlp_gradient(net, ws, x, y, batch, c->loss, grad, &loss), MLP_OK);
        double e = tu_rel_err_fd(grad, ref, P, 1e-3);
        ck_assert_msg(e < BF16_TOL && e > BF16_MIN_ERR, "case %d batch %zu: gradient error %g",
                      _i, batch, e);
        ck_assert_msg(fabs(loss - ref_loss) <= BF16_FWD_TOL * fabs(ref_loss),
                      "case %d: loss %g, reference %g", _i, loss, ref_loss);
        /* Accumulating a second time doubles it (the weight product's sum post-op). */
        ck_assert_int_eq(mlp_gradient_accumulate(net, ws, x, y, batch, c->loss, grad, NULL),
                         MLP_OK);
        for (size_t i = 0; i < P; i++) ref[i] *= 2.0;
        e = tu_rel_err_fd(grad, ref, P, 1e-3);
        ck_assert_msg(e < BF16_TOL, "case %d batch %zu: accumulated error %g", _i, batch, e);
        free(ref);
        free(grad);
        free(x);
        free(y);
    }
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Plain SGD fuses the update into the weight product (output scale -step, sum post-op,
 * weight decay applied first): one step against I - lr (g_ref + wd I) in double. */
START_TEST(test_sgd_step_reference)
{
    const bf16_case *c = &cases[_i];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 31 + (uint64_t)_i);
    const size_t P = mlp_net_param_count(net), batch = batches[0];
    mlp_workspace *ws = bf16_workspace(net, batch);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.5f;
    oc.weight_decay = 0.01f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float *x, *y;
    make_data(&t, batch, c->loss, 300, &x, &y);
    double *ref = calloc(P, sizeof *ref), *step = malloc(P * sizeof *step);
    float *p0 = tu_copy(mlp_net_params(net), P);
    tu_ref_gradient(&t, mlp_net_params(net), x, y, batch, c->loss, ref);
    for (size_t i = 0; i < P; i++)
        step[i] = 0.5 * (ref[i] / (double)batch + 0.01 * p0[i]);
    ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, batch, c->loss, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(net), MLP_PRECISION_BF16);
    float *got = malloc(P * sizeof *got);
    for (size_t i = 0; i < P; i++) got[i] = p0[i] - mlp_net_params(net)[i];
    double e = tu_rel_err_fd(got, step, P, 1e-6);
    ck_assert_msg(e < BF16_TOL && e > BF16_MIN_ERR, "case %d: SGD step error %g", _i, e);
    free(got);
    free(p0);
    free(ref);
    free(step);
    free(x);
    free(y);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* A small classification problem: 3 Gaussian blobs in 20 dimensions, a 20-256-256-3 net,
 * Adam, 30 epochs of minibatches of 64, the same seeds in float and bf16. The size rule runs
 * the 256-256 layer in bf16 (64 x 256 x 256 = 4M multiply-adds) and the two others (327k, 49k)
 * in float:
 * mlp_train's mixed run. */
static double train_blobs(mlp_precision precision, mlp_net **out_net)
{
    enum { N = 600, D = 20, C = 3 };
    float *x = malloc(N * D * sizeof *x), *y = calloc(N * C, sizeof *y), centres[C][D];
    uint64_t s = 77;
    for (int c = 0; c < C; c++)
        for (int j = 0; j < D; j++) centres[c][j] = (float)tu_uniform(&s, -1.0, 1.0);
    for (int i = 0; i < N; i++) {
        int c = i % C;
        for (int j = 0; j < D; j++) x[i * D + j] = centres[c][j] + (float)tu_uniform(&s, -1.2, 1.2);
        y[i * C + c] = 1.0f;
    }
    const size_t sizes[] = {D, 256, 256, C};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 3, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, 5), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.003f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 30;
    tc.batch_size = 64;
    tc.precision = precision;
    mlp_train_result r;
    ck_assert_int_eq(mlp_train(net, opt, x, y, N, NULL, NULL, 0, &tc, &r), MLP_OK);
    /* The final loss of the trained net, measured in float for both runs. */
    mlp_workspace *ws = NULL;
    double loss;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 64), MLP_OK);
    ck_assert_int_eq(mlp_evaluate(net, ws, x, y, N, MLP_LOSS_CROSS_ENTROPY, &loss, NULL), MLP_OK);
    mlp_workspace_free(ws);
    mlp_optimizer_free(opt);
    free(x);
    free(y);
    *out_net = net;
    return loss;
}

START_TEST(test_training_converges)
{
    mlp_net *f32 = NULL, *b16 = NULL;
    const double lf = train_blobs(MLP_PRECISION_FP32, &f32);
    const double lb = train_blobs(MLP_PRECISION_BF16, &b16);
    ck_assert_int_eq(mlp_net_trained_precision(f32), MLP_PRECISION_FP32);
    ck_assert_int_eq(mlp_net_trained_precision(b16), MLP_PRECISION_BF16);
    /* log 3 = 1.10 at the start: both must have learned, and bf16 as far as float. */
    ck_assert_msg(lf < 0.2, "float final loss %g", lf);
    ck_assert_msg(fabs(lb - lf) <= BF16_LOSS_MARGIN * lf + 1e-3,
                  "bf16 final loss %g, float %g (margin %g)", lb, lf, BF16_LOSS_MARGIN);
    /* ... and not by running in float: the parameters differ. */
    ck_assert_int_ne(memcmp(mlp_net_params_const(f32), mlp_net_params_const(b16),
                            mlp_net_param_count(f32) * sizeof(float)), 0);
    /* The model file records it. */
    void *img = NULL;
    size_t len = 0;
    mlp_net *back = NULL;
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &len, b16, NULL, NULL, 3), MLP_OK);
    ck_assert_uint_eq(rd32((const unsigned char *)img + 8), 3); /* "PREC" needs version 3 */
    ck_assert_int_eq(mlp_model_open_parts_mem(img, len, &back, NULL, NULL, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(back), MLP_PRECISION_BF16);
    mlp_net_free(back);
    mlp_free(img);
    mlp_net_free(f32);
    mlp_net_free(b16);
}
END_TEST

/* Float results, bit for bit: a workspace that was bf16 and is set back to float computes
 * what a workspace that never was does, and mlp_train with FP32 set explicitly what the
 * default does. (tests/bf16_fp32_identical.sh compares with a build without oneDNN.) */
START_TEST(test_fp32_unchanged)
{
    const bf16_case *c = &cases[0];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 41);
    const size_t P = mlp_net_param_count(net), batch = batches[0], nL = t.sizes[t.layers];
    mlp_workspace *plain = NULL, *was = bf16_workspace(net, batch);
    ck_assert_int_eq(mlp_workspace_create(&plain, net, batch), MLP_OK);
    float *x, *y;
    make_data(&t, batch, c->loss, 400, &x, &y);
    float *g1 = malloc(P * sizeof *g1), *g2 = malloc(P * sizeof *g2);
    float *o1 = malloc(batch * nL * sizeof *o1), *o2 = malloc(batch * nL * sizeof *o2);
    ck_assert_int_eq(mlp_gradient(net, was, x, y, batch, c->loss, g2, NULL), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(was, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_gradient(net, plain, x, y, batch, c->loss, g1, NULL), MLP_OK);
    ck_assert_int_eq(mlp_gradient(net, was, x, y, batch, c->loss, g2, NULL), MLP_OK);
    ck_assert_int_eq(memcmp(g1, g2, P * sizeof *g1), 0);
    ck_assert_int_eq(mlp_forward(net, plain, x, batch, o1), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, was, x, batch, o2), MLP_OK);
    ck_assert_int_eq(memcmp(o1, o2, batch * nL * sizeof *o1), 0);
    /* and it is float's answer: the double reference at float's tolerance */
    double *ref = calloc(P, sizeof *ref);
    tu_ref_gradient(&t, mlp_net_params(net), x, y, batch, c->loss, ref);
    ck_assert_double_lt(tu_rel_err_fd(g1, ref, P, 1e-3), 1e-5);
    free(ref);

    mlp_net *a = NULL, *b = NULL;
    ck_assert_int_eq(mlp_net_clone(&a, net), MLP_OK);
    ck_assert_int_eq(mlp_net_clone(&b, net), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *oa = NULL, *ob = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&oa, a, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&ob, b, &oc), MLP_OK);
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = c->loss;
    tc.epochs = 3;
    tc.batch_size = 8;
    ck_assert_int_eq(mlp_train(a, oa, x, y, batch, NULL, NULL, 0, &tc, NULL), MLP_OK);
    tc.precision = MLP_PRECISION_FP32;
    ck_assert_int_eq(mlp_train(b, ob, x, y, batch, NULL, NULL, 0, &tc, NULL), MLP_OK);
    ck_assert_int_eq(memcmp(mlp_net_params(a), mlp_net_params(b), P * sizeof(float)), 0);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
    free(g1);
    free(g2);
    free(o1);
    free(o2);
    free(x);
    free(y);
    mlp_workspace_free(plain);
    mlp_workspace_free(was);
    mlp_net_free(net);
}
END_TEST

/* One-record passes stay float in a bf16 workspace (the hand kernels run them). */
START_TEST(test_one_record_stays_float)
{
    const bf16_case *c = &cases[1];
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *net = tu_net_new(&t, 51);
    const size_t P = mlp_net_param_count(net);
    mlp_workspace *ws = bf16_workspace(net, 4);
    float *x, *y;
    make_data(&t, 1, c->loss, 500, &x, &y);
    float *g = malloc(P * sizeof *g);
    double *ref = calloc(P, sizeof *ref);
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, 1, c->loss, g, NULL), MLP_OK);
    tu_ref_gradient(&t, mlp_net_params(net), x, y, 1, c->loss, ref);
    ck_assert_double_lt(tu_rel_err_fd(g, ref, P, 1e-3), 1e-5);
    free(g);
    free(ref);
    free(x);
    free(y);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* The size rule's mixed run: at batch 64 a 4-64-1024-3 net runs its 64-1024 layer in bf16
 * (4M multiply-adds: above the 1M bar) and its 4-64 layer in float (16k: below either bar; the
 * 1024-3 layer, 197k, is float on several threads, bf16 where OpenMP runs one), with no
 * override; forward, gradient and a plain SGD step against the float64 reference, within
 * bf16's tolerance and above float's error (the bf16 layer did run). */
START_TEST(test_mixed_reference)
{
    const size_t sizes[] = {4, 64, 1024, 3}, batch = 64;
    const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX};
    tu_topo t = tu_topo_make(3, sizes, acts, MLP_BIAS_PER_NEURON);
    mlp_net *net = tu_net_new(&t, 61);
    const size_t P = mlp_net_param_count(net), nL = sizes[3];
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_BF16), MLP_OK);
    const mlp_precision want[] = {MLP_PRECISION_FP32, MLP_PRECISION_BF16,
                                  mlp_layer_precision(net, 2, batch, MLP_PRECISION_BF16)};
    ck_assert(want[2] == MLP_PRECISION_FP32 || want[2] == MLP_PRECISION_BF16);
    for (size_t k = 0; k < 3; k++) {
        ck_assert_int_eq(mlp_workspace_layer_precision(ws, k), want[k]);
        ck_assert_int_eq(mlp_layer_precision(net, k, batch, MLP_PRECISION_BF16), want[k]);
        ck_assert_int_eq(mlp_layer_precision(net, k, 1, MLP_PRECISION_BF16), MLP_PRECISION_FP32);
        ck_assert_int_eq(mlp_layer_precision(net, k, batch, MLP_PRECISION_FP32),
                         MLP_PRECISION_FP32);
    }
    ck_assert_int_eq(mlp_layer_precision(net, 3, batch, MLP_PRECISION_BF16), MLP_PRECISION_COUNT);
    ck_assert_int_eq(mlp_workspace_layer_precision(ws, 3), MLP_PRECISION_COUNT);
    float *x, *y;
    make_data(&t, batch, MLP_LOSS_CROSS_ENTROPY, 600, &x, &y);
    double *ref = malloc(batch * nL * sizeof *ref), *gref = calloc(P, sizeof *gref);
    float *out = malloc(batch * nL * sizeof *out), *grad = malloc(P * sizeof *grad);
    tu_ref_forward(&t, mlp_net_params(net), x, batch, ref);
    ck_assert_int_eq(mlp_forward(net, ws, x, batch, out), MLP_OK);
    double e = tu_rel_err_fd(out, ref, batch * nL, 1e-3);
    ck_assert_msg(e < BF16_FWD_TOL && e > BF16_MIN_ERR, "mixed forward error %g", e);
    tu_ref_gradient(&t, mlp_net_params(net), x, y, batch, MLP_LOSS_CROSS_ENTROPY, gref);
    ck_assert_int_eq(mlp_gradient(net, ws, x, y, batch, MLP_LOSS_CROSS_ENTROPY, grad, NULL),
                     MLP_OK);
    e = tu_rel_err_fd(grad, gref, P, 1e-3);
    ck_assert_msg(e < BF16_TOL && e > BF16_MIN_ERR, "mixed gradient error %g", e);
    /* one plain SGD step (the update fused into the products, in both precisions) */
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.5f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    float *p0 = tu_copy(mlp_net_params(net), P);
    ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, batch, MLP_LOSS_CROSS_ENTROPY, NULL),
                     MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(net), MLP_PRECISION_BF16);
    for (size_t i = 0; i < P; i++) {
        grad[i] = p0[i] - mlp_net_params(net)[i];
        gref[i] *= 0.5 / (double)batch;
    }
    e = tu_rel_err_fd(grad, gref, P, 1e-6);
    ck_assert_msg(e < BF16_TOL && e > BF16_MIN_ERR, "mixed SGD step error %g", e);
    /* the override: every layer in float gives float's answer */
    for (size_t k = 0; k < 3; k++)
        ck_assert_int_eq(mlp_workspace_set_layer_precision(ws, k, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_layer_precision(ws, 3, MLP_PRECISION_FP32),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_layer_precision(ws, 0, MLP_PRECISION_INT8),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_set_layer_precision(NULL, 0, MLP_PRECISION_FP32),
                     MLP_ERR_NULL_ARG);
    tu_ref_forward(&t, mlp_net_params(net), x, batch, ref);
    ck_assert_int_eq(mlp_forward(net, ws, x, batch, out), MLP_OK);
    ck_assert_double_lt(tu_rel_err_fd(out, ref, batch * nL, 1e-3), 1e-5);
    /* ... and a float workspace takes no layer setting */
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_layer_precision(ws, 1, MLP_PRECISION_BF16),
                     MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_workspace_layer_precision(ws, 1), MLP_PRECISION_FP32);
    free(p0);
    free(ref);
    free(gref);
    free(out);
    free(grad);
    free(x);
    free(y);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Forward through ws and against the double reference of net's current parameters. */
static double forward_error(const tu_topo *t, mlp_net *net, mlp_workspace *ws, const float *x,
                            size_t batch, float *out)
{
    const size_t nL = t->sizes[t->layers];
    double *ref = malloc(batch * nL * sizeof *ref);
    tu_ref_forward(t, mlp_net_params_const(net), x, batch, ref);
    ck_assert_int_eq(mlp_forward(net, ws, x, batch, out), MLP_OK);
    double e = tu_rel_err_fd(out, ref, batch * nL, 1e-3);
    free(ref);
    return e;
}

/* The bf16 weights kept across passes are never stale: after a write through
 * mlp_net_params, with another net (one made where a freed one was, its counter at the same
 * value), and after training steps (refreshed inside the update: the next forward pass gives
 * bit for bit what a fresh workspace gives). */
START_TEST(test_weights_kept_not_stale)
{
    const bf16_case *c = &cases[_i ? 4 : 0]; /* 4: the refresh split across threads */
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    const size_t batch = batches[0], nL = t.sizes[t.layers];
    mlp_net *net = tu_net_new(&t, 71);
    mlp_workspace *ws = bf16_workspace(net, batch);
    float *x, *y;
    make_data(&t, batch, c->loss, 700, &x, &y);
    float *out = malloc(batch * nL * sizeof *out), *fresh = malloc(batch * nL * sizeof *fresh);
    ck_assert_double_lt(forward_error(&t, net, ws, x, batch, out), BF16_FWD_TOL);
    /* a write through the pointer: the next pass sees it */
    float *p = mlp_net_params(net);
    for (size_t i = 0; i < mlp_net_param_count(net); i++) p[i] = -p[i];
    ck_assert_double_lt(forward_error(&t, net, ws, x, batch, out), BF16_FWD_TOL);
    /* another net, freshly made (and likely where the first one was): its own weights */
    for (uint64_t seed = 72; seed < 75; seed++) {
        mlp_net_free(net);
        net = tu_net_new(&t, seed);
        ck_assert_uint_eq(mlp_net_param_version(net), 2); /* tu_net_new: init, bias writes */
        ck_assert_double_lt(forward_error(&t, net, ws, x, batch, out), BF16_FWD_TOL);
    }
    /* training steps, plain SGD (fused update) then Adam (optimizer pass) */
    for (int kind = 0; kind < 2; kind++) {
        mlp_optimizer_config oc = mlp_optimizer_config_default(kind ? MLP_OPT_ADAM : MLP_OPT_SGD);
        oc.learning_rate = 0.05f;
        mlp_optimizer *opt = NULL;
        ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
        for (int step = 0; step < 3; step++) {
            ck_assert_int_eq(mlp_train_step(net, ws, opt, x, y, batch, c->loss, NULL), MLP_OK);
            ck_assert_int_eq(mlp_forward(net, ws, x, batch, out), MLP_OK);
            mlp_workspace *other = bf16_workspace(net, batch);
            ck_assert_int_eq(mlp_forward(net, other, x, batch, fresh), MLP_OK);
            mlp_workspace_free(other);
            ck_assert_int_eq(memcmp(out, fresh, batch * nL * sizeof *out), 0);
        }
        mlp_optimizer_free(opt);
    }
    free(out);
    free(fresh);
    free(x);
    free(y);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* One record with dropout and plain SGD takes the batch path (mlp_propagate_sgd): in a bf16
 * workspace its forward pass ran in float, so its weight product must too (it once read the
 * bf16 inputs of an earlier batch pass). The same step as in a float workspace, bit for bit. */
START_TEST(test_one_record_dropout_sgd)
{
    const bf16_case *c = &cases[1];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *a = tu_net_new(&t, 81), *b = NULL;
    ck_assert_int_eq(mlp_net_clone(&b, a), MLP_OK);
    const size_t P = mlp_net_param_count(a), batch = batches[0];
    mlp_workspace *wf = NULL, *wb = bf16_workspace(b, batch);
    ck_assert_int_eq(mlp_workspace_create(&wf, a, batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(wf, 0.25f, 9), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_dropout(wb, 0.25f, 9), MLP_OK);
    float *x, *y;
    make_data(&t, batch, c->loss, 800, &x, &y);
    /* a batch pass first, leaving bf16 inputs behind in the bf16 workspace */
    ck_assert_int_eq(mlp_forward(b, wb, x + mlp_net_input_size(b), batch - 1, NULL), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.3f;
    mlp_optimizer *oa = NULL, *ob = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&oa, a, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&ob, b, &oc), MLP_OK);
    ck_assert_int_eq(mlp_train_step(a, wf, oa, x, y, 1, c->loss, NULL), MLP_OK);
    ck_assert_int_eq(mlp_train_step(b, wb, ob, x, y, 1, c->loss, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_trained_precision(b), MLP_PRECISION_FP32);
    ck_assert_int_eq(memcmp(mlp_net_params_const(a), mlp_net_params_const(b), P * sizeof(float)),
                     0);
    free(x);
    free(y);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_workspace_free(wf);
    mlp_workspace_free(wb);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

/* The element-wise passes give the same results bit for bit whether shared with the OpenMP
 * team or not: in bf16_numerics_team (the test-control build, MLP_ENGINE_ON=bf16team) a
 * workspace made with the variable set shares them and one made without it does not; in
 * the other builds both run them on the calling thread. Three SGD steps, then a gradient. */
START_TEST(test_team_passes_identical)
{
    const bf16_case *c = &cases[4];
    const size_t *batches = BATCHES(c);
    tu_topo t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    mlp_net *a = tu_net_new(&t, 91), *b = NULL;
    ck_assert_int_eq(mlp_net_clone(&b, a), MLP_OK);
    const size_t P = mlp_net_param_count(a), batch = batches[0];
    const char *on = getenv("MLP_ENGINE_ON");
    char *saved = on ? strdup(on) : NULL;
    mlp_workspace *wa = bf16_workspace(a, batch);
    unsetenv("MLP_ENGINE_ON");
    mlp_workspace *wb = bf16_workspace(b, batch);
    if (saved) setenv("MLP_ENGINE_ON", saved, 1);
    free(saved);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    oc.learning_rate = 0.2f;
    oc.reduction = MLP_REDUCE_MEAN;
    mlp_optimizer *oa = NULL, *ob = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&oa, a, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&ob, b, &oc), MLP_OK);
    for (size_t bi = 0; bi < 2; bi++) {
        float *x, *y;
        make_data(&t, batches[bi], c->loss, 900 + bi, &x, &y);
        for (int s = 0; s < 3; s++) {
            ck_assert_int_eq(mlp_train_step(a, wa, oa, x, y, batches[bi], c->loss, NULL), MLP_OK);
            ck_assert_int_eq(mlp_train_step(b, wb, ob, x, y, batches[bi], c->loss, NULL), MLP_OK);
        }
        ck_assert_int_eq(memcmp(mlp_net_params(a), mlp_net_params(b), P * sizeof(float)), 0);
        float *ga = malloc(P * sizeof *ga), *gb = malloc(P * sizeof *gb);
        ck_assert_int_eq(mlp_gradient(a, wa, x, y, batches[bi], c->loss, ga, NULL), MLP_OK);
        ck_assert_int_eq(mlp_gradient(b, wb, x, y, batches[bi], c->loss, gb, NULL), MLP_OK);
        ck_assert_int_eq(memcmp(ga, gb, P * sizeof *ga), 0);
        free(ga);
        free(gb);
        free(x);
        free(y);
    }
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_workspace_free(wa);
    mlp_workspace_free(wb);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

/* Two meson tests share this executable: `bf16` (no argument) runs the API and model-file
 * cases, which hold with or without the bf16 backend; `bf16_numerics` (argument "numerics")
 * runs the numerics against the float64 reference, and is a skip (exit 77) where the build or
 * the CPU has no bf16. */
int main(int argc, char **argv)
{
    int numerics = argc > 1 && strcmp(argv[1], "numerics") == 0;
    Suite *s = suite_create("bf16");
    if (!numerics) {
        TCase *api = tcase_create("api");
        tcase_add_test(api, test_statuses);
        tcase_add_test(api, test_model_file_precision);
        suite_add_tcase(s, api);
    } else {
        mlp_error_detail why;
        if (mlp_precision_supported(MLP_PRECISION_BF16, &why) != MLP_OK) {
            printf("test_bf16: SKIP the bf16 numerics: %s\n", why.message);
            return 77;
        }
        TCase *hw = tcase_create("bf16");
        tcase_set_timeout(hw, 120);
        tcase_add_loop_test(hw, test_forward_reference, 0, (int)N_CASES);
        tcase_add_loop_test(hw, test_gradient_reference, 0, (int)N_CASES);
        tcase_add_loop_test(hw, test_sgd_step_reference, 0, (int)N_CASES);
        tcase_add_test(hw, test_training_converges);
        tcase_add_test(hw, test_fp32_unchanged);
        tcase_add_test(hw, test_one_record_stays_float);
        tcase_add_test(hw, test_mixed_reference);
        tcase_add_loop_test(hw, test_weights_kept_not_stale, 0, 2);
        tcase_add_test(hw, test_one_record_dropout_sgd);
        tcase_add_test(hw, test_team_passes_identical);
        suite_add_tcase(s, hw);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
