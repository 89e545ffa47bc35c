/* int8 inference (mlp_net_quantize, MLP_PRECISION_INT8).
 *
 * The reference: every layer of an int8 pass is recomputed in double from the library's own
 * inputs to that layer: the inputs rounded to 8 bits as documented (the same float
 * operations, so the same bytes), sum_k (q_k - zero) w_jk exact, times the two scales, plus
 * the bias, through the activation in double. What is left between the two is float
 * rounding of the scaling (a few ulps): INT8_REF_TOL = 1e-5 of the layer's largest output.
 *
 * The bound against the float net: with x' the int8 pass's input to a layer and x the float
 * pass's, |x'_k - x_k| <= E_k, the 8-bit rounding adds at most s/2 (s the input step, no
 * clipping since the scales are calibrated on these very records) and the weights differ
 * from the float ones by at most s_j/2 (s_j the row's scale). Then for pre-activation j
 *   |a'_j - a_j| <= sum_k |x_k| s_j/2 + (E_k + s/2)(|W_jk| + s_j/2),
 * and the activations are 1-Lipschitz (softmax: at most 1/2 times the largest input
 * change), which carries the bound to the next layer. Every int8 output must lie within
 * that bound of the float output (plus 1e-5 for float rounding); the measured errors are
 * printed (a fraction of the bound, as rounding errors cancel). */
#include "test_util.h"

#include "mlp_internal.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INT8_REF_TOL 1e-5

typedef struct int8_case {
    size_t layers;
    size_t sizes[4];
    mlp_activation acts[3];
    mlp_bias_mode bias;
    size_t batch;
    mlp_quantize_mode mode;
    double lo; /* inputs uniform in [lo, 1] */
} int8_case;

static const int8_case CASES[] = {
    {2, {7, 13, 3}, {MLP_ACT_RELU, MLP_ACT_SOFTMAX}, MLP_BIAS_PER_NEURON, 5, MLP_QUANTIZE_STATIC, -1},
    {2, {7, 13, 3}, {MLP_ACT_RELU, MLP_ACT_SOFTMAX}, MLP_BIAS_PER_NEURON, 1, MLP_QUANTIZE_DYNAMIC, -1},
    {3, {33, 70, 17, 4}, {MLP_ACT_TANH, MLP_ACT_SIGMOID, MLP_ACT_LINEAR}, MLP_BIAS_PER_LAYER, 9,
     MLP_QUANTIZE_STATIC, 0},
    {3, {33, 70, 17, 4}, {MLP_ACT_LEAKY_RELU, MLP_ACT_RELU, MLP_ACT_LINEAR}, MLP_BIAS_NONE, 17,
     MLP_QUANTIZE_DYNAMIC, 0},
    {2, {129, 65, 10}, {MLP_ACT_RELU, MLP_ACT_SOFTMAX}, MLP_BIAS_PER_NETWORK, 64,
     MLP_QUANTIZE_STATIC, -0.5},
    {1, {4, 1}, {MLP_ACT_LINEAR}, MLP_BIAS_PER_NEURON, 3, MLP_QUANTIZE_DYNAMIC, -1},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

typedef struct fixture {
    tu_topo t;
    mlp_net *net;
    float *x;
    size_t batch;
} fixture;

static fixture make(const int8_case *c, uint64_t seed)
{
    fixture f;
    f.t = tu_topo_make(c->layers, c->sizes, c->acts, c->bias);
    f.net = tu_net_new(&f.t, seed);
    ck_assert_ptr_nonnull(f.net);
    f.batch = c->batch;
    f.x = malloc(c->batch * c->sizes[0] * sizeof *f.x);
    uint64_t s = seed * 31 + 1;
    tu_fill_uniform(&s, f.x, c->batch * c->sizes[0], c->lo, 1.0);
    mlp_quantize_config cfg = mlp_quantize_config_default();
    cfg.mode = c->mode;
    ck_assert_int_eq(mlp_net_quantize(f.net, f.x, c->batch, &cfg, NULL), MLP_OK);
    return f;
}

static void unmake(fixture *f)
{
    mlp_net_free(f->net);
    free(f->x);
}

/* The library's rounding of one input (int8_forward.c), replicated operation for operation. */
static int quantize_value(float x, float inv, int zero)
{
    const float lo = zero ? -127.0f : 0.0f, hi = zero ? 127.0f : 255.0f;
    float v = fminf(fmaxf(x * inv, lo), hi);
    v += v >= 0.0f ? 0.5f : -0.5f;
    return (int)v;
}

static double act(mlp_activation g, double a) { return tu_act(g, a); }

/* Layer k of the int8 pass in double, from the library's float inputs in to out. */
static void ref_layer(const mlp_net *net, size_t k, const float *in, size_t batch, double *out)
{
    const mlp_int8_layer *l = &net->int8->layers[k];
    const float *p = net->params;
    for (size_t i = 0; i < batch; i++) {
        const float *row = in + i * l->n_in;
        float step = l->in_scale;
        if (step == 0.0f) {
            float m = 0.0f;
            for (size_t c = 0; c < l->n_in; c++) m = fmaxf(m, l->in_zero ? fabsf(row[c]) : row[c]);
            step = m > 0.0f ? m / (l->in_zero ? 127.0f : 255.0f) : 1.0f;
        }
        const float inv = 1.0f / step;
        double *a = out + i * l->n_out;
        for (size_t j = 0; j < l->n_out; j++) {
            double s = 0.0;
            for (size_t c = 0; c < l->n_in; c++)
                s += (double)(quantize_value(row[c], inv, l->in_zero)) * l->w[j * l->n_in + c];
            double b = 0.0;
            if (net->bias_offset[k] != SIZE_MAX)
                b = p[net->bias_offset[k] + (mlp_net_bias_count(net, k) > 1 ? j : 0)];
            a[j] = s * (double)step * (double)l->w_scale[j] + b;
        }
        if (net->activations[k] == MLP_ACT_SOFTMAX) {
            double m = a[0], sum = 0.0;
            for (size_t j = 1; j < l->n_out; j++) m = fmax(m, a[j]);
            for (size_t j = 0; j < l->n_out; j++) sum += (a[j] = exp(a[j] - m));
            for (size_t j = 0; j < l->n_out; j++) a[j] /= sum;
        } else {
            for (size_t j = 0; j < l->n_out; j++) a[j] = act(net->activations[k], a[j]);
        }
    }
}

/* Each layer of the int8 pass against ref_layer, on the library's own inputs to it. Needs
 * the workspace internals (ws->z). */
START_TEST(test_layers_against_double)
{
    const int8_case *c = &CASES[_i % (int)N_CASES];
    fixture f = make(c, 100 + (uint64_t)(_i % (int)N_CASES));
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_precision(ws), MLP_PRECISION_INT8);
    /* The second round forces the portable kernel, whatever this CPU has. */
    if (_i >= (int)N_CASES) mlp_int8_scratch_use_generic(ws->int8);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, NULL), MLP_OK);
    double worst = 0.0;
    /* Hidden layers whose next layer has a fixed step leave bytes only: their values are
     * rebuilt from the bytes, (q - zero) step, which round back to the same bytes. */
    float *bytes_in[4] = {NULL};
    for (size_t k = 1; k < c->layers; k++) {
        const mlp_int8_layer *l = &f.net->int8->layers[k];
        if (l->in_scale == 0.0f) continue;
        const uint8_t *q = mlp_int8_scratch_inputs(ws->int8, k);
        const float *st = mlp_int8_scratch_steps(ws->int8, k);
        bytes_in[k] = malloc(f.batch * l->n_in * sizeof(float));
        for (size_t i = 0; i < f.batch; i++)
            for (size_t v = 0; v < l->n_in; v++)
                bytes_in[k][i * l->n_in + v] =
                    (float)((int)q[i * l->k_pad + v] - l->in_zero) * st[i];
    }
    for (size_t k = 0; k < c->layers; k++) {
        const float *in = k == 0 ? f.x : bytes_in[k] ? bytes_in[k] : ws->z[k];
        const size_t n = f.batch * c->sizes[k + 1];
        double *ref = malloc(n * sizeof *ref);
        ref_layer(f.net, k, in, f.batch, ref);
        if (k + 1 < c->layers && bytes_in[k + 1]) { /* within half a step of the bytes */
            const float step = f.net->int8->layers[k + 1].in_scale;
            for (size_t v = 0; v < n; v++)
                ck_assert_msg(fabs(bytes_in[k + 1][v] - ref[v]) <= 0.5 * step * (1 + 1e-4),
                              "case %d layer %zu value %zu: byte off", _i, k, v);
        } else {
            double e = tu_rel_err_fd(ws->z[k + 1], ref, n, 1e-3);
            worst = fmax(worst, e);
            ck_assert_msg(e < INT8_REF_TOL, "case %d layer %zu: error %g", _i, k, e);
        }
        free(ref);
    }
    for (size_t k = 0; k < 4; k++) free(bytes_in[k]);
    printf("int8 case %d (%s kernel): largest layer error against double %.2g\n",
           _i % (int)N_CASES, mlp_int8_scratch_kernel(ws->int8), worst);
    mlp_workspace_free(ws);
    unmake(&f);
}
END_TEST

/* The weights: round(w / s_j), |q| <= 127, each row's largest |w| at 127. */
START_TEST(test_weights)
{
    fixture f = make(&CASES[2], 7);
    for (size_t k = 0; k < f.net->n_layers; k++) {
        const mlp_int8_layer *l = &f.net->int8->layers[k];
        const float *w = f.net->params + f.net->weights_offset[k];
        for (size_t j = 0; j < l->n_out; j++) {
            int top = 0;
            for (size_t c = 0; c < l->n_in; c++) {
                const int q = l->w[j * l->n_in + c];
                ck_assert_int_le(abs(q), 127);
                if (abs(q) > top) top = abs(q);
                ck_assert_double_le(fabs(q * (double)l->w_scale[j] - w[j * l->n_in + c]),
                                    0.5001 * l->w_scale[j]);
            }
            ck_assert_int_eq(top, 127);
        }
    }
    unmake(&f);
}
END_TEST

/* The whole net within the scale-derived bound of the float net (see the top). */
START_TEST(test_bound_against_float)
{
    const int8_case *c = &CASES[_i];
    fixture f = make(c, 300 + (uint64_t)_i);
    const mlp_net *net = f.net;
    const size_t L = c->layers, nL = c->sizes[L];
    mlp_workspace *ws = NULL, *wf = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&wf, net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(wf, MLP_PRECISION_FP32), MLP_OK);
    float *o8 = malloc(f.batch * nL * sizeof *o8), *of = malloc(f.batch * nL * sizeof *of);
    ck_assert_int_eq(mlp_forward(net, ws, f.x, f.batch, o8), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, wf, f.x, f.batch, NULL), MLP_OK);
    double worst_ratio = 0.0;
    for (size_t r = 0; r < f.batch; r++) {
        double E[TU_MAX_WIDTH] = {0}, En[TU_MAX_WIDTH];
        for (size_t k = 0; k < L; k++) {
            const mlp_int8_layer *l = &net->int8->layers[k];
            const float *W = net->params + net->weights_offset[k];
            const float *x = k == 0 ? f.x + r * c->sizes[0] : wf->z[k] + r * l->n_in;
            double s = l->in_scale;
            if (s == 0.0) { /* dynamic: the row's own step, from the int8 pass's input */
                const float *xq = k == 0 ? x : ws->z[k] + r * l->n_in;
                double m = 0.0;
                for (size_t i = 0; i < l->n_in; i++) m = fmax(m, fabs(xq[i]));
                s = m / (l->in_zero ? 127.0 : 255.0);
            }
            double top = 0.0;
            for (size_t j = 0; j < l->n_out; j++) {
                const double sj = l->w_scale[j];
                double b = 0.0;
                for (size_t i = 0; i < l->n_in; i++)
                    b += fabs(x[i]) * sj / 2 + (E[i] + s / 2) * (fabs(W[j * l->n_in + i]) + sj / 2);
                En[j] = b;
                top = fmax(top, b);
            }
            for (size_t j = 0; j < l->n_out; j++)
                E[j] = c->acts[k] == MLP_ACT_SOFTMAX ? top / 2 : En[j];
        }
        for (size_t j = 0; j < nL; j++) {
            const double d = fabs((double)o8[r * nL + j] - wf->z[L][r * nL + j]);
            ck_assert_msg(d <= E[j] + 1e-5 * (1 + fabs(o8[r * nL + j])),
                          "case %d record %zu output %zu: |int8 - float| %g above the bound %g",
                          _i, r, j, d, E[j]);
            if (E[j] > 0) worst_ratio = fmax(worst_ratio, d / E[j]);
        }
    }
    printf("int8 case %d: largest |int8 - float| is %.2f of its bound\n", _i, worst_ratio);
    free(o8);
    free(of);
    mlp_workspace_free(ws);
    mlp_workspace_free(wf);
    unmake(&f);
}
END_TEST

/* The portable kernel and VNNI's give the same floats, bit for bit, on odd shapes. */
START_TEST(test_kernels_agree)
{
    mlp_int8_gemm_fn vnni = mlp_int8_gemm_vnni_get();
    if (!vnni) {
        printf("test_int8: no AVX512-VNNI on this CPU: only the portable kernel runs\n");
        return;
    }
    const size_t shapes[][3] = {{1, 1, 1}, {3, 5, 17}, {4, 64, 64}, {7, 33, 129}, {13, 784, 70},
                                {1, 1024, 1000}};
    uint64_t s = 5;
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        const size_t B = shapes[t][0], K = shapes[t][1], N = shapes[t][2];
        const size_t sizes[] = {K, N};
        const mlp_activation acts[] = {MLP_ACT_LINEAR};
        mlp_net *net = NULL;
        ck_assert_int_eq(mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_NONE), MLP_OK);
        ck_assert_int_eq(mlp_net_init(net, MLP_INIT_GLOROT, t + 1), MLP_OK);
        ck_assert_int_eq(mlp_net_quantize(net, NULL, 0, &(mlp_quantize_config){
            .struct_size = sizeof(mlp_quantize_config), .mode = MLP_QUANTIZE_DYNAMIC}, NULL),
            MLP_OK);
        mlp_int8_layer *l = &net->int8->layers[0];
        l->in_zero = (int)(t % 2) * 128; /* both zero points */
        mlp_int8_layer_pack(l);
        uint8_t *q = calloc(B * l->k_pad, 1);
        float *rs = malloc(B * sizeof *rs), *a = malloc(B * N * 4), *b = malloc(B * N * 4);
        for (size_t i = 0; i < B; i++) {
            rs[i] = (float)tu_uniform(&s, 0.01, 1);
            for (size_t k = 0; k < K; k++) q[i * l->k_pad + k] = (uint8_t)(tu_next(&s) & 255);
        }
        mlp_int8_gemm_generic(l, q, B, rs, a, N);
        vnni(l, q, B, rs, b, N);
        ck_assert_msg(tu_first_diff(a, b, B * N) == B * N, "shape %zu: kernels differ", t);
        free(q);
        free(rs);
        free(a);
        free(b);
        mlp_net_free(net);
    }
}
END_TEST

/* Saved and loaded: version 4, the same int8 weights, the same int8 outputs bit for bit;
 * an unquantized net keeps its old version; older versions cannot hold the section. */
START_TEST(test_model_file)
{
    fixture f = make(&CASES[4], 9);
    void *img = NULL;
    size_t size = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &size, f.net, NULL, NULL, 3), MLP_OK);
    unsigned char *b = img;
    ck_assert_uint_eq(b[8], 4);
    mlp_net *back = NULL;
    mlp_model_info info;
    mlp_error_detail d;
    ck_assert_int_eq(mlp_model_open_parts_mem(img, size, &back, NULL, NULL, &info, &d), MLP_OK);
    ck_assert_uint_eq(info.format_version, 4);
    ck_assert(mlp_net_is_quantized(back));
    ck_assert_int_eq(mlp_net_quantize_mode(back), MLP_QUANTIZE_STATIC);
    for (size_t k = 0; k < f.net->n_layers; k++) {
        const mlp_int8_layer *x = &f.net->int8->layers[k], *y = &back->int8->layers[k];
        ck_assert_int_eq(memcmp(x->w, y->w, x->n_out * x->n_in), 0);
        ck_assert_int_eq(memcmp(x->packed, y->packed, x->n_pad * x->k_pad), 0);
        ck_assert_int_eq(memcmp(x->w_scale, y->w_scale, x->n_pad * 4), 0);
        ck_assert(x->in_scale == y->in_scale && x->in_zero == y->in_zero);
    }
    const size_t nL = mlp_net_output_size(f.net);
    float *o1 = malloc(f.batch * nL * 4), *o2 = malloc(f.batch * nL * 4);
    mlp_workspace *w1 = NULL, *w2 = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&w1, f.net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&w2, back, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_forward(f.net, w1, f.x, f.batch, o1), MLP_OK);
    ck_assert_int_eq(mlp_forward(back, w2, f.x, f.batch, o2), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(o1, o2, f.batch * nL), f.batch * nL);

    /* A reader of versions 1-3 refuses version 4 by its header; this library refuses
     * version 5 the same way. */
    unsigned char *v = malloc(size);
    memcpy(v, img, size);
    v[8] = 5;
    ck_assert_int_eq(mlp_model_open_parts_mem(v, size, &back, NULL, NULL, NULL, &d), MLP_ERR_VERSION);
    ck_assert_ptr_nonnull(strstr(d.message, "newer"));
    /* A "QNT8" section in a version 3 file is FORMAT (CRC made valid). */
    v[8] = 3;
    uint32_t crc = (uint32_t)crc32(0L, v, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) v[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    mlp_net *none = NULL;
    ck_assert_int_eq(mlp_model_open_parts_mem(v, size, &none, NULL, NULL, NULL, &d), MLP_ERR_FORMAT);
    ck_assert_ptr_null(none);
    free(v);

    /* Dequantized: the file goes back to the lowest version. */
    mlp_net_dequantize(f.net);
    void *plain = NULL;
    size_t plain_size = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&plain, &plain_size, f.net, NULL, NULL, 3), MLP_OK);
    ck_assert_uint_eq(((unsigned char *)plain)[8], 1);
    mlp_free(plain);
    mlp_free(img);
    free(o1);
    free(o2);
    mlp_workspace_free(w1);
    mlp_workspace_free(w2);
    mlp_net_free(back);
    unmake(&f);
}
END_TEST

/* Patches a byte of a saved image, makes its CRC valid again, and loads it. */
static mlp_status load_patched(const void *img, size_t size, size_t at, unsigned char value,
                               mlp_error_detail *d)
{
    unsigned char *v = malloc(size);
    memcpy(v, img, size);
    v[at] = value;
    uint32_t crc = (uint32_t)crc32(0L, v, (uInt)(size - 4));
    for (int i = 0; i < 4; i++) v[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    mlp_net *net = NULL;
    mlp_status st = mlp_model_open_parts_mem(v, size, &net, NULL, NULL, NULL, d);
    mlp_net_free(net);
    free(v);
    return st;
}

START_TEST(test_corrupt_section)
{
    fixture f = make(&CASES[0], 11);
    void *img = NULL;
    size_t size = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &size, f.net, NULL, NULL, 0), MLP_OK);
    const unsigned char *b = img, *tag = NULL;
    for (size_t i = 32; i + 4 < size && !tag; i++)
        if (memcmp(b + i, "QNT8", 4) == 0) tag = b + i;
    ck_assert_ptr_nonnull(tag);
    const size_t body = (size_t)(tag - b) + 16; /* mode, reserved, then layer 0 */
    const size_t n_out = CASES[0].sizes[1];
    mlp_error_detail d;
    ck_assert_int_eq(load_patched(img, size, body, 9, &d), MLP_ERR_FORMAT);      /* mode */
    ck_assert_int_eq(load_patched(img, size, body + 4, 1, &d), MLP_ERR_FORMAT);  /* reserved */
    ck_assert_int_eq(load_patched(img, size, body + 8, 7, &d), MLP_ERR_FORMAT);  /* zero point */
    ck_assert_int_eq(load_patched(img, size, body + 15, 0xFF, &d), MLP_ERR_FORMAT); /* scale NaN */
    ck_assert_int_eq(load_patched(img, size, body + 19, 0x80, &d), MLP_ERR_FORMAT); /* w scale < 0 */
    ck_assert_int_eq(load_patched(img, size, body + 16 + 4 * n_out, 0x80, &d), MLP_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(d.message, "-128"));
    ck_assert_int_eq(load_patched(img, size, body + 16 + 4 * n_out, 0x7F, &d), MLP_OK);
    mlp_free(img);
    unmake(&f);
}
END_TEST

START_TEST(test_bad_arguments)
{
    fixture f = make(&CASES[0], 12);
    mlp_error_detail d;
    mlp_quantize_config cfg = mlp_quantize_config_default();
    ck_assert_int_eq(mlp_net_quantize(NULL, f.x, 1, NULL, &d), MLP_ERR_NULL_ARG);
    ck_assert_int_eq(mlp_net_quantize(f.net, NULL, 0, NULL, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "STATIC"));
    ck_assert_int_eq(mlp_net_quantize(f.net, NULL, 3, NULL, &d), MLP_ERR_NULL_ARG);
    cfg.mode = MLP_QUANTIZE_COUNT;
    ck_assert_int_eq(mlp_net_quantize(f.net, f.x, 1, &cfg, &d), MLP_ERR_INVALID_ARG);
    cfg = mlp_quantize_config_default();
    cfg.struct_size = 3;
    ck_assert_int_eq(mlp_net_quantize(f.net, f.x, 1, &cfg, &d), MLP_ERR_INVALID_ARG);
    f.x[2] = NAN;
    ck_assert_int_eq(mlp_net_quantize(f.net, f.x, 1, NULL, &d), MLP_ERR_NON_FINITE);
    f.x[2] = 0.5f;
    ck_assert(mlp_net_is_quantized(f.net)); /* the failures left the earlier one */
    ck_assert_int_eq(mlp_net_quantize_mode(NULL), MLP_QUANTIZE_COUNT);
    ck_assert(!mlp_net_is_quantized(NULL));
    mlp_net_dequantize(NULL);

    /* int8 is for inference workspaces. */
    mlp_workspace *tw = NULL;
    ck_assert_int_eq(mlp_workspace_create(&tw, f.net, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_precision(tw), MLP_PRECISION_FP32);
    ck_assert_int_eq(mlp_workspace_set_precision(tw, MLP_PRECISION_INT8), MLP_ERR_INVALID_ARG);
    mlp_workspace_free(tw);
    ck_assert_int_eq(mlp_precision_supported(MLP_PRECISION_INT8, NULL), MLP_OK);

    /* An int8 workspace with a net that has no int8 weights: STATE, not float results. */
    mlp_net *plain = NULL;
    ck_assert_int_eq(mlp_net_clone(&plain, f.net), MLP_OK);
    ck_assert(mlp_net_is_quantized(plain)); /* a clone keeps the int8 weights, current */
    mlp_workspace *cw = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&cw, plain, 4), MLP_OK);
    ck_assert_int_eq(mlp_workspace_precision(cw), MLP_PRECISION_INT8);
    mlp_workspace_free(cw);
    mlp_net_dequantize(plain);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, 4), MLP_OK);
    float out[4 * 3];
    ck_assert_int_eq(mlp_forward(plain, ws, f.x, 4, out), MLP_ERR_STATE);
    mlp_net_free(plain);
    mlp_workspace_free(ws);
    unmake(&f);
}
END_TEST

/* Changing the parameters makes the int8 weights stale: passes and saves say so until the
 * net is quantized again; FP32 passes are unaffected, and equal a never-int8 workspace's. */
START_TEST(test_stale_and_fp32)
{
    fixture f = make(&CASES[2], 13);
    const size_t nL = mlp_net_output_size(f.net), n = f.batch * nL;
    mlp_workspace *ws = NULL, *plain = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, f.batch), MLP_OK);
    float *a = malloc(n * 4), *b = malloc(n * 4);
    uint64_t v = mlp_net_param_version(f.net);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, a), MLP_OK);
    ck_assert_uint_eq(mlp_net_param_version(f.net), v); /* passes change nothing */
    mlp_net_params(f.net)[0] += 0.25f;
    ck_assert_uint_gt(mlp_net_param_version(f.net), v);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, a), MLP_ERR_STATE);
    void *img = NULL;
    size_t size = 0;
    ck_assert_int_eq(mlp_model_write_parts_mem(&img, &size, f.net, NULL, NULL, 0), MLP_ERR_STATE);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, a), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&plain, f.net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_workspace_precision(plain), MLP_PRECISION_FP32); /* stale: float */
    ck_assert_int_eq(mlp_forward(f.net, plain, f.x, f.batch, b), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(a, b, n), n);
    ck_assert_int_eq(mlp_net_quantize(f.net, f.x, f.batch, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_precision(ws, MLP_PRECISION_INT8), MLP_OK);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, a), MLP_OK);
    /* the other bumps: copy, init */
    v = mlp_net_param_version(f.net);
    ck_assert_int_eq(mlp_net_init(f.net, MLP_INIT_GLOROT, 3), MLP_OK);
    ck_assert_uint_gt(mlp_net_param_version(f.net), v);
    free(a);
    free(b);
    mlp_workspace_free(ws);
    mlp_workspace_free(plain);
    unmake(&f);
}
END_TEST

/* The model handle: raw calibration records scaled by the model, predictions in int8, the
 * float model still reachable through a scratch set to FP32. */
START_TEST(test_model_handle)
{
    const int8_case *c = &CASES[0];
    fixture f = make(c, 14);
    mlp_net_dequantize(f.net);
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_clone(&net, f.net), MLP_OK);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_create(&m, net, NULL, NULL), MLP_OK);
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, f.batch, c->sizes[0], c->sizes[c->layers]), MLP_OK);
    memcpy(mlp_dataset_inputs(ds), f.x, f.batch * c->sizes[0] * 4);
    mlp_error_detail d;
    ck_assert_int_eq(mlp_model_quantize(m, ds, NULL, &d), MLP_OK);
    ck_assert_int_eq(mlp_net_quantize_mode(mlp_model_net(m)), MLP_QUANTIZE_STATIC);
    const size_t n = f.batch * c->sizes[c->layers];
    float *p8 = malloc(n * 4), *pf = malloc(n * 4), *ref = malloc(n * 4);
    ck_assert_int_eq(mlp_model_predict(m, f.x, f.batch, p8), MLP_OK);
    mlp_model_scratch *s = NULL;
    ck_assert_int_eq(mlp_model_scratch_create(&s, m, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_model_scratch_set_precision(s, MLP_PRECISION_FP32), MLP_OK);
    ck_assert_int_eq(mlp_model_predict_with(m, s, f.x, f.batch, pf), MLP_OK);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&ws, f.net, f.batch), MLP_OK);
    ck_assert_int_eq(mlp_forward(f.net, ws, f.x, f.batch, ref), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(pf, ref, n), n); /* the float model, bit for bit */
    ck_assert_uint_lt(tu_first_diff(p8, ref, n), n); /* int8 differs ... */
    ck_assert_double_lt(tu_rel_err_ff(p8, ref, n, 1e-3), 0.05); /* ... a little */
    ck_assert_int_eq(mlp_model_quantize(m, NULL, NULL, &d), MLP_OK);
    ck_assert_int_eq(mlp_net_quantize_mode(mlp_model_net(m)), MLP_QUANTIZE_DYNAMIC);
    mlp_dataset *wrong = NULL;
    ck_assert_int_eq(mlp_dataset_create(&wrong, 2, c->sizes[0] + 1, 1), MLP_OK);
    ck_assert_int_eq(mlp_model_quantize(m, wrong, NULL, &d), MLP_ERR_DIMENSION);
    ck_assert_int_eq(mlp_model_quantize(NULL, ds, NULL, &d), MLP_ERR_NULL_ARG);
    mlp_dataset_free(wrong);
    free(p8);
    free(pf);
    free(ref);
    mlp_workspace_free(ws);
    mlp_model_scratch_free(s);
    mlp_dataset_free(ds);
    mlp_model_free(m);
    unmake(&f);
}
END_TEST

/* An int8 workspace with threads splits its large layers' outputs: the same floats, bit
 * for bit, as one thread; leaving INT8 stops the threads (float inference takes none). */
START_TEST(test_threads_bit_equal)
{
    const size_t sizes[] = {401, 403, 7}; /* 161603 weights: split; 2821: not */
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 5), MLP_OK);
    const size_t B = 9;
    float *x = malloc(B * 401 * 4), *a = malloc(B * 7 * 4), *b = malloc(B * 7 * 4);
    uint64_t s = 77;
    tu_fill_uniform(&s, x, B * 401, -1, 1);
    ck_assert_int_eq(mlp_net_quantize(net, x, B, NULL, NULL), MLP_OK);
    mlp_workspace *one = NULL, *two = NULL;
    ck_assert_int_eq(mlp_workspace_create_inference(&one, net, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&two, net, B), MLP_OK);
    ck_assert_int_eq(mlp_workspace_set_threads(two, 2), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, one, x, B, a), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, two, x, B, b), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(a, b, B * 7), B * 7);
    ck_assert_int_eq(mlp_forward(net, two, x, 1, b), MLP_OK); /* one record, threaded */
    ck_assert_uint_eq(tu_first_diff(a, b, 7), 7);
    ck_assert_int_eq(mlp_workspace_set_precision(two, MLP_PRECISION_FP32), MLP_OK);
    /* float passes keep the threads where they run from packed weights (test_packed) */
    ck_assert_int_eq(mlp_workspace_set_threads(two, 2), MLP_OK);
    ck_assert_int_eq(mlp_forward(net, two, x, B, b), MLP_OK);
    free(x);
    free(a);
    free(b);
    mlp_workspace_free(one);
    mlp_workspace_free(two);
    mlp_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("int8");
    TCase *tc = tcase_create("int8");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_layers_against_double, 0, 2 * (int)N_CASES);
    tcase_add_loop_test(tc, test_bound_against_float, 0, (int)N_CASES);
    tcase_add_test(tc, test_weights);
    tcase_add_test(tc, test_kernels_agree);
    tcase_add_test(tc, test_model_file);
    tcase_add_test(tc, test_corrupt_section);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_stale_and_fp32);
    tcase_add_test(tc, test_model_handle);
    tcase_add_test(tc, test_threads_bit_equal);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
