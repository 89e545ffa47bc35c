/* Activations: fused bias + activation forward pass, and the derivative pass. */
#include "mlp_internal.h"
#include "fast_math.h"

#include <math.h>
#include <string.h>

static inline float bias_at(const float *bias, size_t bias_count, size_t j)
{
    return bias_count == 1 ? bias[0] : bias[j];
}

static void softmax_rows(float *z, size_t batch, size_t n, float *logits)
{
    for (size_t i = 0; i < batch; i++) {
        float *row = z + i * n;
        if (logits) memcpy(logits + i * n, row, n * sizeof *row);
        float max = row[0];
        for (size_t j = 1; j < n; j++) max = row[j] > max ? row[j] : max;
        float sum = 0.0f;
        for (size_t j = 0; j < n; j++) {
            row[j] = expf(row[j] - max); /* shifted: never overflows */
            sum += row[j];
        }
        float inv = 1.0f / sum;
        for (size_t j = 0; j < n; j++) row[j] *= inv;
    }
}

/* One switch outside the loops so the inner loops vectorise. Each row is rounded to bf16
 * (when asked) while it is still in the first-level cache. */
#define APPLY_ROWS(EXPR)                                                         \
    for (size_t i = 0; i < batch; i++) {                                         \
        float *restrict row = z + i * n;                                         \
        if (bias_count == 0)                                                     \
            for (size_t j = 0; j < n; j++) { float a = row[j]; row[j] = (EXPR); } \
        else if (bias_count == 1)                                                \
            for (size_t j = 0; j < n; j++) { float a = row[j] + b0; row[j] = (EXPR); } \
        else                                                                     \
            for (size_t j = 0; j < n; j++) { float a = row[j] + bias[j]; row[j] = (EXPR); } \
        if (bf16) mlp_bf16_round(bf16 + i * n, row, n);                          \
    }

void mlp_activation_forward(mlp_activation act, float *z, size_t batch, size_t n,
                            const float *bias, size_t bias_count, float *logits)
{
    mlp_activation_forward_bf16(act, z, batch, n, bias, bias_count, logits, NULL);
}

MLP_VECTORIZE
void mlp_activation_forward_bf16(mlp_activation act, float *restrict z, size_t batch, size_t n,
                                 const float *restrict bias, size_t bias_count, float *logits,
                                 uint16_t *bf16)
{
    if (!bias) bias_count = 0;
    const float b0 = bias_count == 1 ? bias[0] : 0.0f;
    switch (act) {
    case MLP_ACT_LINEAR:
        if (bias_count) {
            APPLY_ROWS(a);
        } else if (bf16) {
            mlp_bf16_round(bf16, z, batch * n);
        }
        break;
    case MLP_ACT_SIGMOID:
        APPLY_ROWS(mlp_fast_sigmoid(a));
        break;
    case MLP_ACT_TANH:
        APPLY_ROWS(mlp_fast_tanh(a));
        break;
    case MLP_ACT_RELU:
        APPLY_ROWS(a <= 0.0f ? 0.0f : a); /* NaN stays NaN: divergence is not hidden */
        break;
    case MLP_ACT_LEAKY_RELU:
        APPLY_ROWS(a > 0.0f ? a : MLP_LEAKY_RELU_SLOPE * a);
        break;
    case MLP_ACT_SOFTMAX:
        if (bias_count)
            for (size_t i = 0; i < batch; i++)
                for (size_t j = 0; j < n; j++) z[i * n + j] += bias_at(bias, bias_count, j);
        softmax_rows(z, batch, n, logits);
        if (bf16) mlp_bf16_round(bf16, z, batch * n); /* an output layer: never in practice */
        break;
    default:
        break;
    }
}

MLP_VECTORIZE
void mlp_activation_backward(mlp_activation act, const float *restrict z,
                             float *restrict delta, size_t batch, size_t n)
{
    size_t total = batch * n;
    switch (act) {
    case MLP_ACT_LINEAR:
        break;
    case MLP_ACT_SIGMOID:
        for (size_t i = 0; i < total; i++) delta[i] *= z[i] * (1.0f - z[i]);
        break;
    case MLP_ACT_TANH:
        for (size_t i = 0; i < total; i++) delta[i] *= 1.0f - z[i] * z[i];
        break;
    case MLP_ACT_RELU:
        for (size_t i = 0; i < total; i++) delta[i] = z[i] > 0.0f ? delta[i] : 0.0f;
        break;
    case MLP_ACT_LEAKY_RELU: /* z > 0 exactly when a > 0, since the slope is positive */
        for (size_t i = 0; i < total; i++)
            delta[i] = z[i] > 0.0f ? delta[i] : MLP_LEAKY_RELU_SLOPE * delta[i];
        break;
    case MLP_ACT_SOFTMAX:
        for (size_t i = 0; i < batch; i++) {
            const float *zr = z + i * n;
            float *dr = delta + i * n;
            float dot = 0.0f;
            for (size_t j = 0; j < n; j++) dot += dr[j] * zr[j];
            for (size_t j = 0; j < n; j++) dr[j] = zr[j] * (dr[j] - dot);
        }
        break;
    default:
        break;
    }
}
