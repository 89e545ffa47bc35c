/* Float inference from packed weights (lib/engine/packed_*.c) against the double-precision
 * reference: odd widths on both sides of every block (32 outputs per panel, 1024 inputs per
 * cache block, 96 rows per kernel call, tiles of 12/8/4/2/1 rows), every bias mode and
 * activation, one record and batches, split by records or by outputs across threads; and
 * that the packed weights are never stale (parameters changed through every route, another
 * net in the same workspace, a new net where a freed one was). Skips where this CPU or build
 * has no packed kernels. */
#include "test_util.h"

#include "api/model_handle.h"
#include "engine/packed.h"

#include <check.h>
#include <pthread.h>

#define REF_TOL 1e-4

typedef struct packed_net {
    const char *name;
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_bias_mode bias;
} packed_net;

static const packed_net nets[] = {
    {"one output", 2, {5, 1, 3}, {MLP_ACT_TANH, MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON},
    {"panel edges", 3, {17, 33, 31, 4}, {MLP_ACT_LEAKY_RELU, MLP_ACT_RELU, MLP_ACT_SOFTMAX},
     MLP_BIAS_PER_NEURON},
    {"whole panels", 2, {3, 32, 64}, {MLP_ACT_SIGMOID, MLP_ACT_TANH}, MLP_BIAS_PER_LAYER},
    {"inputs past a block", 2, {300, 65, 10}, {MLP_ACT_RELU, MLP_ACT_SOFTMAX},
     MLP_BIAS_PER_NETWORK},
    {"no bias", 2, {1000, 70, 2}, {MLP_ACT_SIGMOID, MLP_ACT_LINEAR}, MLP_BIAS_NONE},
    {"block exactly", 2, {1024, 40, 3}, {MLP_ACT_TANH, MLP_ACT_SIGMOID}, MLP_BIAS_PER_NEURON},
    /* two layers over MLP_THREAD_MIN_WEIGHTS: one record splits both by panels across the
     * threads (odd panel counts: 15, then 11) */
    {"two large layers", 3, {300, 450, 333, 5}, {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX},
     MLP_BIAS_PER_NEURON},
    {"large pair at the end", 2, {400, 350, 400}, {MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX},
     MLP_BIAS_PER_LAYER},
};
#define N_NETS (sizeof nets / sizeof nets[0])
/* Tiles of 12 and their tails, one more than a kernel call's 96 rows, and more than two
 * calls. */
static const size_t batches[] = {1, 2, 3, 11, 12, 13, 25, 37, 97, 241};
#define N_BATCHES (sizeof batches / sizeof batches[0])
#define MAX_BATCH 241

static int have_packed(void)
{
    mlp_workspace *ws = NULL;
    const size_t sizes[] = {2, 2};
    const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    int have = mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_NONE) == MLP_OK &&
               mlp_workspace_create_inference(&ws, net, 1) == MLP_OK &&
               mlp_workspace_set_threads(ws, 1) == MLP_OK && ws->packed != NULL;
    mlp_workspace_free(ws);
    mlp_net_free(net);
    return have;
}

static tu_topo topo_of(const packed_net *r)
{
    return tu_topo_make(r->layers, r->sizes, r->acts, r->bias);
}

/* mlp_forward of batch rows, which must run packed, against the reference. */
static void expect_reference(const char *what, const tu_topo *t, mlp_net *net,
                             mlp_workspace *ws, const float *x, size_t batch)
{
    const size_t nL = t->sizes[t->layers];
    float *out = malloc(batch * nL * sizeof(float));
    double *ref = malloc(batch * nL * sizeof(double));
    ck_assert_int_eq(mlp_forward(net, ws, x, batch, out), MLP_OK);
    ck_assert_msg(ws->packed->last_packed, "%s batch %zu: did not run packed", what, batch);
    tu_ref_forward(t, mlp_net_params_const(net), x, batch, ref);
    const double e = tu_rel_err_fd(out, ref, batch * nL, 1e-3);
    ck_assert_msg(e < REF_TOL, "%s batch %zu: err %.3g", what, batch, e);
    free(out);
    free(ref);
}

/* Loop index: net x threads (1, 2, 3). */
START_TEST(forward_matches_reference)
{
    const packed_net *r = &nets[(size_t)_i / 3];
    const int threads = _i % 3 + 1;
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 70 + (uint64_t)_i);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, net, MAX_BATCH), MLP_OK);
    const size_t before = mlp_workspace_bytes(ws);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, threads), MLP_OK);
    ck_assert_uint_gt(mlp_workspace_bytes(ws), before + mlp_net_param_count(net) / 2);
    float *x = malloc(MAX_BATCH * t.sizes[0] * sizeof(float)), *out = malloc(t.sizes[t.layers] * sizeof(float));
    uint64_t s = 5 + (uint64_t)_i;
    tu_fill_uniform(&s, x, MAX_BATCH * t.sizes[0], -1.0, 1.0);
    /* the first pass at these parameters runs unpacked, the second packs */
    ck_assert_int_eq(mlp_forward(net, ws, x, 1, out), MLP_OK);
    ck_assert(!ws->packed->last_packed);
    for (size_t b = 0; b < N_BATCHES; b++) {
        char what[96];
        snprintf(what, sizeof what, "%s, %d threads", r->name, threads);
        expect_reference(what, &t, net, ws, x, batches[b]);
    }
    free(x);
    free(out);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* More inputs than one cache block (two blocks and a tail): one tanh layer, its reference
 * computed here in double (the shared reference stops at 1024 wide). Loop index: threads. */
START_TEST(input_blocks_match_reference)
{
    const size_t n_in = 2100, n_out = 70, B = 97;
    const size_t sizes[] = {n_in, n_out};
    const mlp_activation acts[] = {MLP_ACT_TANH};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, 31), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, net, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, _i + 1), MLP_OK);
    float *x = malloc(B * n_in * sizeof(float)), *out = malloc(B * n_out * sizeof(float));
    double *ref = malloc(B * n_out * sizeof(double));
    uint64_t s = 17;
    tu_fill_uniform(&s, x, B * n_in, -1.0, 1.0);
    const float *p = mlp_net_params_const(net);
    const float *w = p + mlp_net_weights_offset(net, 0), *b = p + mlp_net_bias_offset(net, 0);
    for (size_t r = 0; r < B; r++)
        for (size_t j = 0; j < n_out; j++) {
            double a = b[j];
            for (size_t k = 0; k < n_in; k++) a += (double)w[j * n_in + k] * x[r * n_in + k];
            ref[r * n_out + j] = tanh(a);
        }
    static const size_t counts[] = {1, 13, 97};
    for (size_t c = 0; c < 3; c++) {
        ck_assert_int_eq(mlp_forward(net, ws, x, counts[c], out), MLP_OK); /* packs */
        ck_assert_int_eq(mlp_forward(net, ws, x, counts[c], out), MLP_OK);
        ck_assert(ws->packed->last_packed);
        const double e = tu_rel_err_fd(out, ref, counts[c] * n_out, 1e-3);
        ck_assert_msg(e < REF_TOL, "%zu records, %d threads: err %.3g", counts[c], _i + 1, e);
    }
    free(x);
    free(out);
    free(ref);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Two forward passes (the second packs) then the reference on a batch of 13 and one. */
static void run_twice_and_check(const char *what, const tu_topo *t, mlp_net *net,
                                mlp_workspace *ws, const float *x)
{
    ck_assert_int_eq(mlp_forward(net, ws, x, 13, NULL), MLP_OK);
    expect_reference(what, t, net, ws, x, 13);
    expect_reference(what, t, net, ws, x, 1);
}

START_TEST(never_stale)
{
    const packed_net *r = &nets[1];
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 3);
    mlp_workspace *ws = NULL, *tw = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, net, 16), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_OK);
    const size_t n0 = t.sizes[0], nL = t.sizes[t.layers], P = mlp_net_param_count(net);
    float *x = malloc(16 * n0 * sizeof(float)), *y = malloc(16 * nL * sizeof(float));
    uint64_t s = 11;
    tu_fill_uniform(&s, x, 16 * n0, -1.0, 1.0);
    tu_fill_distributions(&s, y, 16, nL);
    run_twice_and_check("packed", &t, net, ws, x);

    /* written through mlp_net_params: a new version */
    float *p = mlp_net_params(net);
    for (size_t i = 0; i < P; i++) p[i] = -p[i];
    ck_assert_int_eq(mlp_forward(net, ws, x, 13, NULL), MLP_OK);
    ck_assert(!ws->packed->last_packed); /* the first pass of a version runs unpacked */
    run_twice_and_check("after mlp_net_params", &t, net, ws, x);

    /* written through that pointer again, no new version: the weights' sample differs (the
     * stamp shared with the bf16 copies), so these are new parameters, first unpacked */
    for (size_t i = 0; i < P; i++) p[i] *= 0.5f;
    ck_assert_int_eq(mlp_forward(net, ws, x, 13, NULL), MLP_OK);
    ck_assert(!ws->packed->last_packed);
    run_twice_and_check("through a kept pointer", &t, net, ws, x);

    /* a training step, mlp_net_init, mlp_net_copy_params */
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create(&tw, net, 16), MLP_OK);
    ck_assert_int_eq(mlp_train_step(net, tw, opt, x, y, 16, MLP_LOSS_AUTO, NULL), MLP_OK);
    run_twice_and_check("after a training step", &t, net, ws, x);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 99), MLP_OK);
    run_twice_and_check("after mlp_net_init", &t, net, ws, x);
    mlp_net *other = tu_net_new(&t, 4);
    ck_assert_int_eq(mlp_net_copy_params(net, other), MLP_OK);
    run_twice_and_check("after mlp_net_copy_params", &t, net, ws, x);

    /* another net of the same topology through the same workspace, in turns */
    for (int round = 0; round < 2; round++) {
        run_twice_and_check("other net", &t, other, ws, x);
        run_twice_and_check("first net again", &t, net, ws, x);
    }
    /* new nets where freed ones were (the same address and version is likely) */
    for (uint64_t seed = 20; seed < 24; seed++) {
        mlp_net_free(other);
        other = tu_net_new(&t, seed);
        run_twice_and_check("a new net", &t, other, ws, x);
    }
    free(x);
    free(y);
    mlp_optimizer_free(opt);
    mlp_workspace_free(tw);
    mlp_workspace_free(ws);
    mlp_net_free(other);
    mlp_net_free(net);
}
END_TEST

/* Through int8 and back (a larger team made while in int8 has no scratch for packed passes
 * until set_threads is called again in float), and bf16 inference workspaces take no
 * threads. */
START_TEST(precision_switches)
{
    const packed_net *r = &nets[3];
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 12);
    const size_t n0 = t.sizes[0];
    float *x = malloc(40 * n0 * sizeof(float));
    uint64_t s = 13;
    tu_fill_uniform(&s, x, 40 * n0, -1.0, 1.0);
    mlp_quantize_config qc = mlp_quantize_config_default();
    qc.mode = MLP_QUANTIZE_DYNAMIC;
    ck_assert_int_eq(mlp_net_quantize(net, NULL, 0, &qc, NULL), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, net, 40), MLP_OK); /* int8 */
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, x, 40, NULL), MLP_OK);
    expect_reference("float, 2 threads", &t, net, ws, x, 40);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_INT8), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 3), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, ws, x, 40, NULL), MLP_OK); /* int8, 3 threads */
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_FP32), MLP_OK);
    const size_t nL = t.sizes[t.layers];
    float *out = malloc(40 * nL * sizeof(float));
    double *ref = malloc(40 * nL * sizeof(double));
    ck_assert_int_eq(mlp_forward(net, ws, x, 40, out), MLP_OK); /* 3 threads, scratch for 2 */
    ck_assert(!ws->packed->last_packed);
    tu_ref_forward(&t, mlp_net_params_const(net), x, 40, ref);
    ck_assert(tu_rel_err_fd(out, ref, 40 * nL, 1e-3) < REF_TOL);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 3), MLP_OK);
    expect_reference("float again, 3 threads", &t, net, ws, x, 40);
    if (mlp_workspace_set_precision(ws, MLP_PRECISION_BF16) == MLP_OK)
        ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_ERR_INVALID_ARG);
    free(out);
    free(ref);
    free(x);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* Training passes never use packed weights; a training workspace has none. */
START_TEST(training_workspaces_unpacked)
{
    tu_topo t = topo_of(&nets[3]);
    mlp_net *net = tu_net_new(&t, 8);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(ws, 2), MLP_OK);
    ck_assert_ptr_null(ws->packed);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}
END_TEST

/* mlp_model_predict (a scratch per call) against the reference for n records. */
static void expect_model_reference(const char *what, const tu_topo *t, const mlp_model *m,
                                   const float *x, size_t n)
{
    const size_t nL = t->sizes[t->layers];
    float *out = malloc(n * nL * sizeof(float));
    double *ref = malloc(n * nL * sizeof(double));
    ck_assert_int_eq(mlp_model_predict(m, x, n, out), MLP_OK);
    tu_ref_forward(t, mlp_net_params_const(mlp_model_net(m)), x, n, ref);
    const double e = tu_rel_err_fd(out, ref, n * nL, 1e-3);
    ck_assert_msg(e < REF_TOL, "%s, %zu records: err %.3g", what, n, e);
    free(out);
    free(ref);
}

/* A model handle keeps one packed copy, made at the second call over the same parameters,
 * which the per-call scratches share; never used once the parameters change. Loop index:
 * the net. */
START_TEST(model_keeps_packed_weights)
{
    const packed_net *r = &nets[(size_t)_i];
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 40 + (uint64_t)_i);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(&m, net, NULL, NULL), MLP_OK);
    const size_t n0 = t.sizes[0];
    float *x = malloc(37 * n0 * sizeof(float));
    uint64_t s = 9;
    tu_fill_uniform(&s, x, 37 * n0, -1.0, 1.0);
    expect_model_reference("first call", &t, m, x, 37);
    ck_assert_ptr_null(atomic_load(&m->packed));
    expect_model_reference("second call", &t, m, x, 37);
    const mlp_packed_set *set = atomic_load(&m->packed);
    ck_assert_ptr_nonnull(set);
    expect_model_reference("one record", &t, m, x, 1);
    expect_model_reference("13 records", &t, m, x + n0, 13);
    ck_assert_ptr_eq(atomic_load(&m->packed), set); /* made once */
    /* new parameters: the copy is stale and no call uses it */
    float *p = mlp_net_params(net);
    for (size_t i = 0; i < mlp_net_param_count(net); i++) p[i] *= -0.75f;
    expect_model_reference("after mlp_net_params", &t, m, x, 13);
    expect_model_reference("after mlp_net_params, again", &t, m, x, 1);
    /* through the kept pointer, no new version */
    for (size_t i = 0; i < mlp_net_param_count(net); i++) p[i] *= 0.5f;
    expect_model_reference("through a kept pointer", &t, m, x, 13);
    /* what mlp_model_train does first: a new copy for the new parameters */
    mlp_model_drop_packed(m);
    expect_model_reference("dropped", &t, m, x, 2);
    expect_model_reference("dropped, again", &t, m, x, 2);
    ck_assert_ptr_nonnull(atomic_load(&m->packed));
    free(x);
    mlp_model_free(m);
}
END_TEST

typedef struct predict_thread {
    const mlp_model *m;
    const float *x;
    size_t n, nL;
    float *out; /* 8 calls x n x nL */
} predict_thread;

static void *predict_many(void *arg)
{
    predict_thread *a = arg;
    for (size_t c = 0; c < 8; c++)
        if (mlp_model_predict(a->m, a->x, a->n, a->out + c * a->n * a->nL) != MLP_OK)
            return arg;
    return NULL;
}

/* Many threads predicting with one fresh model: one of them publishes the packed copy, the
 * others use it or run unpacked; every result is the reference's. */
START_TEST(model_packed_weights_across_threads)
{
    const packed_net *r = &nets[6];
    tu_topo t = topo_of(r);
    mlp_net *net = tu_net_new(&t, 77);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(&m, net, NULL, NULL), MLP_OK);
    const size_t n0 = t.sizes[0], nL = t.sizes[t.layers], n = _i ? 5 : 1;
    float *x = malloc(n * n0 * sizeof(float));
    uint64_t s = 21;
    tu_fill_uniform(&s, x, n * n0, -1.0, 1.0);
    double *ref = malloc(n * nL * sizeof(double));
    tu_ref_forward(&t, mlp_net_params_const(net), x, n, ref);
    enum { THREADS = 4 };
    predict_thread a[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (predict_thread){m, x, n, nL, malloc(8 * n * nL * sizeof(float))};
        ck_assert_int_eq(pthread_create(&th[i], NULL, predict_many, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *failed = &a[i];
        ck_assert_int_eq(pthread_join(th[i], &failed), 0);
        ck_assert_ptr_null(failed);
        for (size_t c = 0; c < 8; c++) {
            const double e = tu_rel_err_fd(a[i].out + c * n * nL, ref, n * nL, 1e-3);
            ck_assert_msg(e < REF_TOL, "thread %d call %zu: err %.3g", i, c, e);
        }
        free(a[i].out);
    }
    ck_assert_ptr_nonnull(atomic_load(&m->packed));
    free(ref);
    free(x);
    mlp_model_free(m);
}
END_TEST

int main(void)
{
    if (!have_packed()) {
        printf("SKIP: no packed kernels in this build or on this CPU (AVX-512)\n");
        return 77;
    }
    Suite *s = suite_create("packed");
    TCase *tc = tcase_create("vs_reference");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, forward_matches_reference, 0, (int)(3 * N_NETS));
    tcase_add_loop_test(tc, input_blocks_match_reference, 0, 3);
    tcase_add_test(tc, never_stale);
    tcase_add_test(tc, precision_switches);
    tcase_add_test(tc, training_workspaces_unpacked);
    tcase_add_loop_test(tc, model_keeps_packed_weights, 0, (int)N_NETS);
    tcase_add_loop_test(tc, model_packed_weights_across_threads, 0, 2);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
