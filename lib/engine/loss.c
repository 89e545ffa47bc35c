/* Losses: MSE exactly as the source notes define it (no 1/2), and softmax cross-entropy. */
#include "mlp_internal.h"

#include <math.h>

/* log(sum_j exp(a_j)) of one row, shifted by the maximum so it never overflows. */
static double log_sum_exp(const float *a, size_t n)
{
    float max = a[0];
    for (size_t j = 1; j < n; j++) max = a[j] > max ? a[j] : max;
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) sum += exp((double)(a[j] - max));
    return (double)max + log(sum);
}

static double cross_entropy_row(const float *logits, const float *y, size_t n)
{
    double lse = log_sum_exp(logits, n), c = 0.0;
    for (size_t j = 0; j < n; j++)
        if (y[j] != 0.0f) c -= (double)y[j] * ((double)logits[j] - lse);
    return c;
}

double mlp_loss_sum(mlp_loss loss, const float *outputs, const float *logits,
                    const float *targets, size_t batch, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < batch; i++) {
        const float *o = outputs + i * n, *y = targets + i * n;
        if (loss == MLP_LOSS_CROSS_ENTROPY) {
            total += cross_entropy_row(logits + i * n, y, n);
        } else {
            double s = 0.0;
            for (size_t j = 0; j < n; j++) {
                double d = (double)o[j] - (double)y[j];
                s += d * d;
            }
            total += s / (double)n;
        }
    }
    return total;
}

double mlp_loss_output_delta(mlp_loss loss, const float *outputs, const float *logits,
                             const float *targets, float *delta, size_t batch, size_t n,
                             int want_loss)
{
    double total = want_loss ? mlp_loss_sum(loss, outputs, logits, targets, batch, n) : 0.0;
    if (loss == MLP_LOSS_CROSS_ENTROPY) {
        /* dC/da_k = o_k * sum_j y_j - y_k: the softmax Jacobian folded in. */
        for (size_t i = 0; i < batch; i++) {
            const float *o = outputs + i * n, *y = targets + i * n;
            float ysum = 0.0f;
            for (size_t j = 0; j < n; j++) ysum += y[j];
            for (size_t j = 0; j < n; j++) delta[i * n + j] = o[j] * ysum - y[j];
        }
    } else {
        const float scale = 2.0f / (float)n;
        for (size_t i = 0; i < batch * n; i++) delta[i] = scale * (outputs[i] - targets[i]);
    }
    return total;
}
