/* The C side of the ONNX comparisons with PyTorch and ONNX Runtime (torch_roundtrip.py, ort_check.js):
 *   onnx_check predict MODEL IN.f32 N OUT.f32   outputs of N records (raw little-endian
 *                                               floats) through a model (.onnx imported,
 *                                               else a libmlp model file)
 *   onnx_check export DIR [TABLE.csv]           libmlp models of every activation, bias
 *                                               mode and scaling as DIR/NAME.onnx, with
 *                                               inputs and libmlp's outputs, listed in
 *                                               DIR/manifest.txt ("NAME N n_0 n_L"); with a
 *                                               CSV, a table model too: its inputs are the
 *                                               rows encoded by mlp_model_table_inputs, its
 *                                               outputs mlp_model_predict_table's
 * Exits 77 when the library has no ONNX support. */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, mlp_status st, const mlp_error_detail *d)
{
    fprintf(stderr, "onnx_check: %s: %s%s%s\n", what, mlp_strerror(st), d && d->message[0] ? ": " : "",
            d ? d->message : "");
    return 1;
}

static int predict(const char *model, const char *in_path, size_t n, const char *out_path)
{
    mlp_model *m = NULL;
    mlp_error_detail d = {.message = ""};
    size_t len = strlen(model);
    mlp_status st = len > 5 && strcmp(model + len - 5, ".onnx") == 0
                        ? mlp_model_import_onnx(&m, model, &d)
                        : mlp_model_open(&m, model, NULL, &d);
    if (st != MLP_OK) return fail(model, st, &d);
    size_t n0 = mlp_model_input_size(m), nl = mlp_model_output_size(m);
    float *x = malloc(n * n0 * sizeof(float)), *y = malloc(n * nl * sizeof(float));
    FILE *fp = fopen(in_path, "rb");
    if (!fp || fread(x, sizeof(float), n * n0, fp) != n * n0) {
        fprintf(stderr, "onnx_check: %s: cannot read %zu x %zu floats\n", in_path, n, n0);
        return 1;
    }
    fclose(fp);
    if ((st = mlp_model_predict(m, x, n, y)) != MLP_OK) return fail("predict", st, NULL);
    fp = fopen(out_path, "wb");
    if (!fp || fwrite(y, sizeof(float), n * nl, fp) != n * nl || fclose(fp) != 0) {
        fprintf(stderr, "onnx_check: cannot write %s\n", out_path);
        return 1;
    }
    printf("%zu %zu\n", n0, nl);
    free(x);
    free(y);
    mlp_model_free(m);
    return 0;
}

static uint64_t rng = 0x5eed;
static float uniform(float lo, float hi)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((double)(rng >> 11) * 0x1.0p-53);
}

static int write_floats(const char *dir, const char *name, const char *ext, const float *v,
                        size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    FILE *fp = fopen(path, "wb");
    int ok = fp && fwrite(v, sizeof(float), n, fp) == n;
    if (fp && fclose(fp) != 0) ok = 0;
    return ok ? 0 : 1;
}

/* One case: a net of `layers` layers, hidden activation h, output o, bias mode, scaling. */
static int export_case(const char *dir, FILE *manifest, size_t layers, const size_t *sizes,
                       mlp_activation h, mlp_activation o, mlp_bias_mode bias, int scaled)
{
    mlp_activation acts[8];
    for (size_t k = 0; k < layers; k++) acts[k] = k + 1 < layers ? h : o;
    mlp_net *net = NULL;
    mlp_status st = mlp_net_create(&net, layers, sizes, acts, bias);
    if (st == MLP_OK) st = mlp_net_init(net, MLP_INIT_AUTO, rng);
    if (st != MLP_OK) return fail("net", st, NULL);
    float *p = mlp_net_params(net);
    for (size_t k = 0; k < layers; k++) /* biases away from zero, so that each one counts */
        for (size_t j = 0; j < mlp_net_bias_count(net, k); j++)
            p[mlp_net_bias_offset(net, k) + j] = uniform(-0.5f, 0.5f);
    size_t n0 = sizes[0], nl = sizes[layers], n = 64;
    mlp_preprocess *pre = NULL;
    st = mlp_preprocess_create(&pre, n0);
    float off[64], sc[64];
    for (size_t j = 0; j < n0; j++) off[j] = uniform(-20.0f, 20.0f), sc[j] = uniform(0.05f, 2.0f);
    if (st == MLP_OK && scaled) st = mlp_preprocess_set_scaling(pre, MLP_SCALE_STANDARD, off, sc);
    mlp_model *m = NULL;
    if (st == MLP_OK) st = mlp_model_create(&m, net, pre, NULL);
    if (st != MLP_OK) return fail("model", st, NULL);
    float *x = malloc(n * n0 * sizeof(float)), *y = malloc(n * nl * sizeof(float));
    for (size_t i = 0; i < n * n0; i++) x[i] = scaled ? off[i % n0] + uniform(-3.0f, 3.0f) / sc[i % n0]
                                                      : uniform(-3.0f, 3.0f);
    if ((st = mlp_model_predict(m, x, n, y)) != MLP_OK) return fail("predict", st, NULL);
    char name[128], path[512];
    static const char *const act_names[] = {"linear", "sigmoid", "tanh", "relu", "leaky", "softmax"};
    snprintf(name, sizeof name, "L%zu-%s-%s-bias%d-%s", layers, act_names[h], act_names[o], (int)bias,
             scaled ? "scaled" : "raw");
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    mlp_error_detail d = {.message = ""};
    if ((st = mlp_model_export_onnx(m, path, &d)) != MLP_OK) return fail(path, st, &d);
    if (write_floats(dir, name, "in.f32", x, n * n0) || write_floats(dir, name, "out.f32", y, n * nl))
        return 1;
    fprintf(manifest, "%s %zu %zu %zu\n", name, n, n0, nl);
    free(x);
    free(y);
    mlp_model_free(m);
    return 0;
}

/* A model built on a CSV table (text columns one-hot encoded, scaled): the ONNX graph takes
 * the encoded rows and gives what mlp_model_predict_table gives for the text rows. */
static int export_table(const char *dir, FILE *manifest, const char *csv)
{
    mlp_table *t = NULL;
    mlp_table_encoding *enc = NULL;
    mlp_dataset *train = NULL, *rows = NULL;
    mlp_model *m = NULL;
    mlp_error_detail d = {.message = ""};
    mlp_status st = mlp_table_open(&t, csv, NULL, &d);
    if (st == MLP_OK) st = mlp_table_encoding_fit(&enc, t, NULL, &d);
    if (st == MLP_OK) st = mlp_table_encode(enc, t, &train, NULL, &d);
    if (st == MLP_OK) st = mlp_model_build(&m, train, NULL);
    if (st == MLP_OK) st = mlp_model_set_encoding(m, enc);
    if (st == MLP_OK) st = mlp_model_table_inputs(m, t, NULL, &rows, NULL, &d);
    if (st != MLP_OK) return fail(csv, st, &d);
    size_t n = mlp_table_row_count(t), n0 = mlp_model_input_size(m), nl = mlp_model_output_size(m);
    float *y = malloc(n * nl * sizeof(float));
    if ((st = mlp_model_predict_table(m, t, y, NULL, &d)) != MLP_OK) return fail("table", st, &d);
    char path[512];
    snprintf(path, sizeof path, "%s/table.onnx", dir);
    if ((st = mlp_model_export_onnx(m, path, &d)) != MLP_OK) return fail(path, st, &d);
    if (write_floats(dir, "table", "in.f32", mlp_dataset_inputs(rows), n * n0) ||
        write_floats(dir, "table", "out.f32", y, n * nl))
        return 1;
    fprintf(manifest, "table %zu %zu %zu\n", n, n0, nl);
    free(y);
    mlp_dataset_free(rows);
    mlp_dataset_free(train);
    mlp_model_free(m);
    mlp_table_encoding_free(enc);
    mlp_table_free(t);
    return 0;
}

static int export_all(const char *dir, const char *csv)
{
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *manifest = fopen(path, "w");
    if (!manifest) return 1;
    static const size_t shapes[][6] = {{1, 5, 3}, {2, 9, 16, 4}, {3, 12, 33, 7, 5}, {4, 3, 4, 4, 4, 2}};
    int rc = 0, c = 0;
    for (int h = MLP_ACT_LINEAR; h <= MLP_ACT_LEAKY_RELU; h++)
        for (int o = MLP_ACT_LINEAR; o < MLP_ACT_COUNT; o++)
            for (int b = 0; b < MLP_BIAS_COUNT; b++, c++) {
                const size_t *s = shapes[c % 4];
                rc |= export_case(dir, manifest, s[0], s + 1, (mlp_activation)h, (mlp_activation)o,
                                  (mlp_bias_mode)b, c % 3 != 0);
            }
    if (csv) rc |= export_table(dir, manifest, csv);
    return fclose(manifest) != 0 || rc;
}

int main(int argc, char **argv)
{
    if (mlp_onnx_supported(NULL) != MLP_OK) {
        puts("libmlp built without ONNX (meson option onnx): skipped");
        return 77;
    }
    if (argc == 6 && strcmp(argv[1], "predict") == 0)
        return predict(argv[2], argv[3], strtoul(argv[4], NULL, 10), argv[5]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "export") == 0)
        return export_all(argv[2], argc == 4 ? argv[3] : NULL);
    fputs("usage: onnx_check predict MODEL IN.f32 N OUT.f32 | export DIR [TABLE.csv]\n", stderr);
    return 2;
}
