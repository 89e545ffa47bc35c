/* Post-training quantization (mlp_net_quantize): int8 weights with one scale per output
 * neuron, and the scale and zero point of every layer's inputs, measured on a calibration
 * set by the float net (STATIC) or left to each pass (DYNAMIC). */
#include "mlp_internal.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define QUANTIZE_CONFIG_MIN_SIZE (offsetof(mlp_quantize_config, calibration_rows) + sizeof(size_t))
/* Calibration records per float forward pass. */
#define CALIBRATION_CHUNK 256

mlp_quantize_config mlp_quantize_config_default(void)
{
    return (mlp_quantize_config){
        .struct_size = sizeof(mlp_quantize_config),
        .mode = MLP_QUANTIZE_STATIC,
        .calibration_rows = 0,
    };
}

/* Row j of W (n floats) to int8: its largest |w| maps to 127, rounding to nearest. */
static void quantize_row(const float *w, size_t n, int8_t *q, float *scale)
{
    float m = 0.0f;
    for (size_t k = 0; k < n; k++) m = fmaxf(m, fabsf(w[k]));
    *scale = m > 0.0f ? m / 127.0f : 0.0f;
    const float inv = m > 0.0f ? 127.0f / m : 0.0f;
    for (size_t k = 0; k < n; k++) {
        long v = lrintf(w[k] * inv);
        q[k] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
}

/* Activations whose outputs are never negative: their layer inputs use 0..255. */
static int never_negative(mlp_activation a)
{
    return a == MLP_ACT_RELU || a == MLP_ACT_SIGMOID || a == MLP_ACT_SOFTMAX;
}

/* The largest |input| (signed) or input (unsigned) of every layer over the calibration
 * rows, and whether the net's own inputs ever go below zero, by float forward passes. */
static mlp_status calibrate(const mlp_net *net, const float *x, size_t rows, float *peak,
                            int *inputs_signed)
{
    mlp_workspace *ws = NULL;
    const size_t chunk = rows < CALIBRATION_CHUNK ? rows : CALIBRATION_CHUNK;
    mlp_status st = mlp_workspace_create_inference(&ws, net, chunk);
    if (st == MLP_OK) st = mlp_workspace_set_precision(ws, MLP_PRECISION_FP32);
    const size_t L = net->n_layers, n0 = net->sizes[0];
    for (size_t k = 0; k < L; k++) peak[k] = 0.0f;
    *inputs_signed = 0;
    for (size_t i = 0; st == MLP_OK && i < rows; i += chunk) {
        const size_t b = rows - i < chunk ? rows - i : chunk;
        const float *in = x + i * n0;
        for (size_t v = 0; v < b * n0; v++) {
            if (in[v] < 0.0f) *inputs_signed = 1;
            peak[0] = fmaxf(peak[0], fabsf(in[v]));
        }
        st = mlp_forward(net, ws, in, b, NULL);
        for (size_t k = 1; st == MLP_OK && k < L; k++) {
            const float *z = ws->z[k];
            for (size_t v = 0; v < b * net->sizes[k]; v++) peak[k] = fmaxf(peak[k], fabsf(z[v]));
        }
    }
    mlp_workspace_free(ws);
    return st;
}

mlp_status mlp_net_quantize(mlp_net *net, const float *calibration, size_t rows,
                            const mlp_quantize_config *config, mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    mlp_quantize_config cfg = mlp_quantize_config_default();
    if (config) {
        mlp_status st = mlp_read_config(&cfg, sizeof cfg, config, QUANTIZE_CONFIG_MIN_SIZE,
                                        "config", "mlp_quantize_config", detail);
        if (st != MLP_OK) return st;
    }
    if ((unsigned)cfg.mode >= MLP_QUANTIZE_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->mode is %d, not an "
                        "mlp_quantize_mode", (int)cfg.mode);
    if (rows && !calibration) return mlp_fail(detail, MLP_ERR_NULL_ARG, "calibration is NULL");
    if (cfg.mode == MLP_QUANTIZE_STATIC && rows == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "calibration: STATIC scales need "
                        "calibration records (or mode DYNAMIC)");
    if (cfg.calibration_rows && rows > cfg.calibration_rows) rows = cfg.calibration_rows;
    size_t values;
    if (!mlp_mul_size(rows, net->sizes[0], &values))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "rows: too many");
    if (rows && !mlp_all_finite(calibration, values))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "calibration holds a NaN or infinity");

    const size_t L = net->n_layers;
    float *peak = mlp_mem_calloc(L, sizeof *peak);
    mlp_int8_net *q = mlp_int8_net_alloc(net, cfg.mode);
    int inputs_signed = 1; /* unknown without calibration: the safe range */
    mlp_status st = peak && q ? MLP_OK : MLP_ERR_NO_MEMORY;
    /* The stale int8 weights must not serve the calibration's float passes. */
    if (st == MLP_OK && rows) {
        mlp_int8_net *old = net->int8;
        net->int8 = NULL;
        st = calibrate(net, calibration, rows, peak, &inputs_signed);
        net->int8 = old;
    }
    for (size_t k = 0; st == MLP_OK && k < L; k++) {
        mlp_int8_layer *l = &q->layers[k];
        const float *w = net->params + net->weights_offset[k];
        for (size_t j = 0; j < l->n_out; j++)
            quantize_row(w + j * l->n_in, l->n_in, l->w + j * l->n_in, &l->w_scale[j]);
        const int is_signed = k == 0 ? inputs_signed : !never_negative(net->activations[k - 1]);
        l->in_zero = is_signed ? 128 : 0;
        l->in_scale = 0.0f;
        if (cfg.mode == MLP_QUANTIZE_STATIC)
            l->in_scale = peak[k] > 0.0f ? peak[k] / (is_signed ? 127.0f : 255.0f) : 1.0f;
        mlp_int8_layer_pack(l);
    }
    mlp_mem_free(peak);
    if (st != MLP_OK) {
        mlp_int8_net_free(q);
        return mlp_fail(detail, st, "calibration: %s", mlp_strerror(st));
    }
    q->param_version = net->param_version;
    mlp_int8_net_free(net->int8);
    net->int8 = q;
    return MLP_OK;
}
