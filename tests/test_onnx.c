/* ONNX interop (lib/onnx): libmlp -> ONNX -> libmlp gives the same model and the same
 * outputs for every activation and bias mode, with and without input scaling; imported
 * models predict as a double-precision reference of their layers does and train further;
 * hostile files (tests/corpus/onnx, written by tests/onnx/make_corpus.py) are refused with
 * the status and the words listed here. A build without ONNX refuses every call. The
 * comparisons with PyTorch and ONNX Runtime are tests/onnx/torch_roundtrip.py and
 * tests/onnx/ort_check.js. */
#include "mlp.h"
#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool have_onnx(void) { return mlp_onnx_supported(NULL) == MLP_OK; }

/* A model of topology t with random parameters, and standard scaling when scaled. */
static mlp_model *make_model(const tu_topo *t, uint64_t seed, bool scaled)
{
    mlp_net *net = tu_net_new(t, seed);
    ck_assert_ptr_nonnull(net);
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, t->sizes[0]), MLP_OK);
    if (scaled) {
        float off[TU_MAX_WIDTH], sc[TU_MAX_WIDTH];
        uint64_t s = seed * 3 + 1;
        tu_fill_uniform(&s, off, t->sizes[0], -50.0, 50.0);
        tu_fill_uniform(&s, sc, t->sizes[0], 0.01, 3.0);
        ck_assert_int_eq(mlp_preprocess_set_scaling(pre, MLP_SCALE_STANDARD, off, sc), MLP_OK);
    }
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(&m, net, pre, NULL), MLP_OK);
    return m;
}

static float *predict(const mlp_model *m, const float *x, size_t n)
{
    float *out = malloc(n * mlp_model_output_size(m) * sizeof(float));
    ck_assert_int_eq(mlp_model_predict(m, x, n, out), MLP_OK);
    return out;
}

static mlp_model *round_trip(const mlp_model *m)
{
    void *data = NULL;
    size_t size = 0;
    mlp_error_detail d = {.message = ""};
    ck_assert_int_eq(mlp_model_export_onnx_mem(m, &data, &size, &d), MLP_OK);
    mlp_model *back = NULL;
    mlp_status st = mlp_model_import_onnx_mem(&back, data, size, &d);
    ck_assert_msg(st == MLP_OK, "import of an export: %s: %s", mlp_strerror(st), d.message);
    mlp_free(data);
    return back;
}

/* Loop: every activation on the last layer x bias mode x scaling. */
START_TEST(export_import_same_outputs)
{
    if (!have_onnx()) return;
    static const mlp_activation hidden[] = {MLP_ACT_RELU, MLP_ACT_LEAKY_RELU, MLP_ACT_SIGMOID,
                                            MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_activation last = (mlp_activation)(_i % MLP_ACT_COUNT);
    mlp_bias_mode bias = (mlp_bias_mode)((_i / MLP_ACT_COUNT) % MLP_BIAS_COUNT);
    bool scaled = _i / (MLP_ACT_COUNT * MLP_BIAS_COUNT);
    size_t sizes[] = {7, 13, 5, 4};
    mlp_activation acts[] = {hidden[_i % 5], hidden[(_i + 2) % 5], last};
    tu_topo t = tu_topo_make(3, sizes, acts, bias);
    mlp_model *m = make_model(&t, 100 + (uint64_t)_i, scaled);
    mlp_model *back = round_trip(m);
    const mlp_net *a = mlp_model_net(m), *b = mlp_model_net(back);
    ck_assert_uint_eq(mlp_net_layer_count(b), 3);
    for (size_t k = 0; k < 3; k++) {
        ck_assert_int_eq(mlp_net_activation(b, k), acts[k]);
        ck_assert_int_eq(memcmp(mlp_net_params_const(a) + mlp_net_weights_offset(a, k),
                                mlp_net_params_const(b) + mlp_net_weights_offset(b, k),
                                sizes[k + 1] * sizes[k] * sizeof(float)), 0);
    }
    /* per layer and per network biases come back per neuron, with the same values */
    ck_assert_int_eq(mlp_net_bias_mode(b), bias == MLP_BIAS_NONE ? MLP_BIAS_NONE
                                                                  : MLP_BIAS_PER_NEURON);
    enum { N = 37 };
    float x[N * 7];
    uint64_t s = 9;
    tu_fill_uniform(&s, x, N * 7, -60.0, 60.0);
    float *ya = predict(m, x, N), *yb = predict(back, x, N);
    ck_assert_msg(memcmp(ya, yb, N * 4 * sizeof(float)) == 0,
                  "outputs differ at %zu (act %d, bias %d, scaled %d)", tu_first_diff(ya, yb, N * 4),
                  (int)last, (int)bias, (int)scaled);
    free(ya);
    free(yb);
    mlp_model_free(back);
    mlp_model_free(m);
}
END_TEST

/* What a corpus file gives: a status and words of the message. */
static const struct {
    const char *file;
    mlp_status status;
    const char *words;
} cases[] = {
    {"ok-gemm-softmax.onnx", MLP_OK, ""},
    {"ok-flatten-matmul.onnx", MLP_OK, ""},
    {"ok-logsoftmax-opset11.onnx", MLP_OK, ""},
    {"ok-scaled-reshape.onnx", MLP_OK, ""},
    {"conv.onnx", MLP_ERR_FORMAT, "node \"conv1\" (op Conv): operator not supported"},
    {"branch.onnx", MLP_ERR_FORMAT, "a branch"},
    {"cycle.onnx", MLP_ERR_FORMAT, "node \"i2\" (op Identity): the graph has a cycle"},
    {"leaky-alpha.onnx", MLP_ERR_FORMAT, "node \"lr\" (op LeakyRelu): alpha 0.2"},
    {"double-weights.onnx", MLP_ERR_FORMAT, "tensor \"W\": element type 11"},
    {"int-input.onnx", MLP_ERR_FORMAT, "element type 7"},
    {"huge-dims.onnx", MLP_ERR_FORMAT, "dimensions too large"},
    {"short-data.onnx", MLP_ERR_FORMAT, "3 values for dimensions of 3145728"},
    {"trans-a.onnx", MLP_ERR_FORMAT, "(op Gemm): transA = 1"},
    {"unknown-attr.onnx", MLP_ERR_FORMAT, "node \"r\" (op Relu): attribute \"foo\""},
    {"external-data.onnx", MLP_ERR_FORMAT, "external data"},
    {"softmax-hidden.onnx", MLP_ERR_FORMAT, "node \"after\" (op Gemm): a layer after the softmax"},
    {"old-opset.onnx", MLP_ERR_FORMAT, "opset 6"},
    {"two-activations.onnx", MLP_ERR_FORMAT, "node \"second\" (op Tanh)"},
    {"deep-nesting.onnx", MLP_ERR_FORMAT, "nested"},
    {"truncated.onnx", MLP_ERR_TRUNCATED, "past the end"},
    {"garbage.onnx", MLP_ERR_FORMAT, "not an ONNX model"},
    {"empty.onnx", MLP_ERR_FORMAT, "no graph"},
};

START_TEST(corpus_statuses)
{
    const char *root = getenv("MLP_CORPUS_DIR");
    ck_assert_ptr_nonnull(root);
    char path[512];
    snprintf(path, sizeof path, "%s/onnx/%s", root, cases[_i].file);
    mlp_model *m = NULL;
    mlp_error_detail d = {.message = ""};
    mlp_status st = mlp_model_import_onnx(&m, path, &d);
    if (!have_onnx()) {
        ck_assert_int_eq(st, MLP_ERR_UNSUPPORTED);
        ck_assert_ptr_nonnull(strstr(d.message, "meson option onnx"));
        return;
    }
    ck_assert_msg(st == cases[_i].status, "%s: %s (%s), expected %s", cases[_i].file,
                  mlp_strerror(st), d.message, mlp_strerror(cases[_i].status));
    ck_assert_msg(strstr(d.message, cases[_i].words) != NULL, "%s: message \"%s\" lacks \"%s\"",
                  cases[_i].file, d.message, cases[_i].words);
    ck_assert((st == MLP_OK) == (m != NULL));
    mlp_model_free(m);
}
END_TEST

/* An imported model's outputs against its layers computed in double, then trained. */
START_TEST(imported_predicts_and_trains)
{
    if (!have_onnx()) return;
    const char *root = getenv("MLP_CORPUS_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/onnx/ok-flatten-matmul.onnx", root);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_import_onnx(&m, path, NULL), MLP_OK);
    const mlp_net *net = mlp_model_net(m);
    ck_assert_uint_eq(mlp_net_input_size(net), 6); /* Flatten of (N, 2, 3) */
    ck_assert_int_eq(mlp_net_activation(net, 0), MLP_ACT_TANH);
    ck_assert_ptr_nonnull(mlp_model_optimizer(m));
    size_t sizes[] = {6, 2};
    mlp_activation acts[] = {MLP_ACT_TANH};
    tu_topo t = tu_topo_make(1, sizes, acts, mlp_net_bias_mode(net));
    enum { N = 50 };
    float x[N * 6];
    double ref[N * 2];
    uint64_t s = 4;
    tu_fill_uniform(&s, x, N * 6, -2.0, 2.0);
    float *y = predict(m, x, N);
    tu_ref_forward(&t, mlp_net_params_const(net), x, N, ref);
    ck_assert_double_lt(tu_rel_err_fd(y, ref, N * 2, 1e-3), 1e-5);

    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, N, 6, 2), MLP_OK);
    memcpy(mlp_dataset_inputs(ds), x, sizeof x);
    for (size_t i = 0; i < N * 2; i++) mlp_dataset_targets(ds)[i] = (float)(i % 3) * 0.3f;
    float before[14];
    memcpy(before, mlp_net_params_const(net), sizeof before);
    mlp_train_config cfg = mlp_train_config_default();
    cfg.epochs = 2;
    ck_assert_int_eq(mlp_model_train(m, ds, NULL, &cfg, NULL), MLP_OK);
    ck_assert_int_ne(memcmp(before, mlp_net_params_const(net), sizeof before), 0);
    free(y);
    mlp_dataset_free(ds);
    mlp_model_free(m);
}
END_TEST

/* LogSoftmax comes in as softmax: the outputs are probabilities, those of the graph (MatMul,
 * Sigmoid, Gemm with alpha 0.5 and beta 2 on a (1, 2) bias) computed in double by numpy from
 * the file's weights when make_corpus.py wrote it. */
START_TEST(log_softmax_is_softmax)
{
    if (!have_onnx()) return;
    const char *root = getenv("MLP_CORPUS_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/onnx/ok-logsoftmax-opset11.onnx", root);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_import_onnx(&m, path, NULL), MLP_OK);
    ck_assert_int_eq(mlp_net_activation(mlp_model_net(m), 1), MLP_ACT_SOFTMAX);
    float x[2 * 3] = {0.5f, -1.0f, 2.0f, 3.0f, 0.0f, -0.25f}, y[2 * 2];
    ck_assert_int_eq(mlp_model_predict(m, x, 2, y), MLP_OK);
    const double want[4] = {0.71660683, 0.28339317, 0.85422173, 0.14577827};
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(y[i], want[i], 1e-6);
    mlp_model_free(m);
}
END_TEST

/* Reshape (a Constant shape), Sub, Div, Identity, Gemm, LeakyRelu at opset 17: the scaling
 * becomes the model's preprocessing; outputs as numpy computed them from the file. */
START_TEST(scaled_reshape)
{
    if (!have_onnx()) return;
    const char *root = getenv("MLP_CORPUS_DIR");
    char path[512];
    snprintf(path, sizeof path, "%s/onnx/ok-scaled-reshape.onnx", root);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_import_onnx(&m, path, NULL), MLP_OK);
    const mlp_preprocess *pre = mlp_model_preprocess(m);
    ck_assert_int_eq(mlp_preprocess_scaling(pre), MLP_SCALE_STANDARD);
    ck_assert_float_eq(mlp_preprocess_scale(pre)[3], 0.5f);
    ck_assert_int_eq(mlp_net_activation(mlp_model_net(m), 0), MLP_ACT_LEAKY_RELU);
    float x[6] = {0.5f, -1.0f, 2.0f, 3.0f, 0.0f, -0.25f}, y[2];
    ck_assert_int_eq(mlp_model_predict(m, x, 1, y), MLP_OK);
    ck_assert_double_eq_tol(y[0], -0.02822856, 1e-7);
    ck_assert_double_eq_tol(y[1], -0.01966298, 1e-7);
    mlp_model_free(m);
}
END_TEST

START_TEST(bad_arguments)
{
    mlp_model *m = NULL;
    void *data = NULL;
    size_t size = 0;
    mlp_status expect = have_onnx() ? MLP_ERR_NULL_ARG : MLP_ERR_UNSUPPORTED;
    ck_assert_int_eq(mlp_model_import_onnx(NULL, "x.onnx", NULL), expect);
    ck_assert_int_eq(mlp_model_import_onnx(&m, NULL, NULL), expect);
    ck_assert_int_eq(mlp_model_import_onnx_mem(&m, NULL, 3, NULL), expect);
    ck_assert_int_eq(mlp_model_export_onnx(NULL, "x.onnx", NULL), expect);
    ck_assert_int_eq(mlp_model_export_onnx_mem(NULL, &data, &size, NULL), expect);
    ck_assert_ptr_null(m);
    mlp_error_detail d = {.message = ""};
    mlp_status st = mlp_model_import_onnx(&m, "/nonexistent/x.onnx", &d);
    ck_assert_int_eq(st, have_onnx() ? MLP_ERR_IO : MLP_ERR_UNSUPPORTED);
    ck_assert_ptr_null(m);
}
END_TEST

static Suite *onnx_suite(void)
{
    Suite *s = suite_create("onnx");
    TCase *tc = tcase_create("onnx");
    tcase_add_loop_test(tc, export_import_same_outputs, 0, 2 * MLP_ACT_COUNT * MLP_BIAS_COUNT);
    tcase_add_loop_test(tc, corpus_statuses, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, imported_predicts_and_trains);
    tcase_add_test(tc, log_softmax_is_softmax);
    tcase_add_test(tc, scaled_reshape);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

/* In a build without ONNX the cases only check the UNSUPPORTED answers: a skip (77), not a
 * pass, when those hold. */
int main(void)
{
    SRunner *sr = srunner_create(onnx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed) return EXIT_FAILURE;
    if (!have_onnx()) {
        printf("test_onnx: SKIP the ONNX cases: this build has no ONNX support (meson option "
               "onnx); its UNSUPPORTED answers passed\n");
        return 77;
    }
    return EXIT_SUCCESS;
}
