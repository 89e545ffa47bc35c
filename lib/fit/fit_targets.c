/* Regression targets standardised (per output: the training part's mean and deviation)
 * while training; afterwards folded into the linear output layer, so that the model
 * predicts in the data's units. */
#include "fit/fit_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const bias_words[MLP_BIAS_COUNT] = {
    "NONE", "PER_NEURON", "PER_LAYER with several outputs", "PER_NETWORK",
};

mlp_status fit_targets_check(mlp_bias_mode bias, mlp_activation output, size_t outputs,
                             mlp_error_detail *detail)
{
    if (output != MLP_ACT_LINEAR)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.output_activation is %d: "
                        "regression folds the target scaling into a linear output layer",
                        (int)output);
    if (bias == MLP_BIAS_PER_NEURON || (bias == MLP_BIAS_PER_LAYER && outputs == 1))
        return MLP_OK;
    return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->model.bias_mode is %s: regression "
                    "folds the targets' mean into a bias of each output after training; use "
                    "PER_NEURON (or PER_LAYER with one output)", bias_words[bias]);
}

/* Targets are floats, and so are the model's outputs: squared errors, summed over many
 * records, must stay within float (about 3.4e38), and the folded output layer too. Far from
 * 0 is fine (nanosecond timestamps near 1.7e18), far from the training mean is not. */
static mlp_status target_refused(const mlp_table_encoding *enc, const char *part, size_t j,
                                 size_t i, double v, const char *why, mlp_error_detail *detail)
{
    const char *name = enc ? mlp_table_encoding_label_name(enc, j) : NULL;
    char col[160];
    if (name) snprintf(col, sizeof col, "column '%s'", name);
    else snprintf(col, sizeof col, "output %zu", j);
    return mlp_fail(detail, MLP_ERR_NON_FINITE, "%s: regression target %s of record %zu is "
                    "%g: %s (the loss in the targets' units would overflow float); rescale "
                    "them", part, col, i + 1, v, why);
}

mlp_status fit_targets_check_range(const mlp_dataset *ds, const char *part,
                                   const mlp_table_encoding *enc, const fit_targets *t,
                                   mlp_error_detail *detail)
{
    if (!ds) return MLP_OK;
    size_t n = mlp_dataset_count(ds), k = mlp_dataset_target_size(ds);
    const float *y = mlp_dataset_targets_const(ds);
    char why[160];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double v = y[i * k + j];
            if (isfinite(v) && fabs(v) <= FIT_MAX_TARGET) continue;
            snprintf(why, sizeof why, "targets must be finite and within +-%g", FIT_MAX_TARGET);
            return target_refused(enc, part, j, i, v, why, detail);
        }
    for (size_t i = 0; t && t->mean && i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double v = y[i * k + j];
            if (fabs(v - t->mean[j]) <= FIT_MAX_TARGET_SPREAD) continue;
            snprintf(why, sizeof why, "targets must lie within +-%g of the training mean %g",
                     FIT_MAX_TARGET_SPREAD, t->mean[j]);
            return target_refused(enc, part, j, i, v, why, detail);
        }
    return MLP_OK;
}

mlp_status fit_targets_fit(fit_targets *t, const mlp_dataset *train)
{
    size_t n = mlp_dataset_count(train), k = mlp_dataset_target_size(train);
    const float *y = mlp_dataset_targets_const(train);
    t->k = k;
    t->mean = mlp_mem_calloc(k, sizeof *t->mean);
    t->sd = mlp_mem_calloc(k, sizeof *t->sd);
    if (!t->mean || !t->sd) {
        fit_targets_free(t);
        return MLP_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) t->mean[j] += y[i * k + j] / (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double d = y[i * k + j] - t->mean[j];
            t->sd[j] += d * d / (double)n;
        }
    for (size_t j = 0; j < k; j++) t->sd[j] = t->sd[j] > 0 ? sqrt(t->sd[j]) : 1.0;
    return MLP_OK;
}

void fit_targets_apply(const fit_targets *t, mlp_dataset *ds, bool inverse)
{
    if (!ds || !t->mean) return;
    size_t n = mlp_dataset_count(ds), k = t->k;
    float *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double v = y[i * k + j];
            y[i * k + j] = (float)(inverse ? v * t->sd[j] + t->mean[j]
                                           : (v - t->mean[j]) / t->sd[j]);
        }
}

/* y = sd (W h + b) + mean: the last layer's rows and biases scaled, the mean added. With
 * a single bias for the layer (PER_LAYER, one output) the same holds with k = 1. */
void fit_targets_fold(const fit_targets *t, mlp_net *net, bool inverse)
{
    if (!t->mean) return;
    size_t last = mlp_net_layer_count(net) - 1, in = mlp_net_size(net, last);
    float *p = mlp_net_params(net);
    float *w = p + mlp_net_weights_offset(net, last), *b = p + mlp_net_bias_offset(net, last);
    for (size_t j = 0; j < t->k; j++) {
        for (size_t i = 0; i < in; i++)
            w[j * in + i] = (float)(inverse ? w[j * in + i] / t->sd[j] : w[j * in + i] * t->sd[j]);
        b[j] = (float)(inverse ? (b[j] - t->mean[j]) / t->sd[j] : b[j] * t->sd[j] + t->mean[j]);
    }
}

void fit_targets_free(fit_targets *t)
{
    mlp_mem_free(t->mean);
    mlp_mem_free(t->sd);
    memset(t, 0, sizeof *t);
}
