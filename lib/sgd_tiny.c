/* Plain SGD on one record for tiny nets (every width <= MLP_TINY_WIDTH, no softmax, MSE):
 * the whole step in one function, so a 2-8-1 net costs a few hundred instructions instead
 * of a dozen calls into layer-generic kernels whose set-up outweighs 16 multiply-adds. */
#include "mlp_internal.h"
#include "fast_math.h"

/* Adds the bias and applies g to n values in place; one switch, then a loop that
 * vectorises. */
static inline void activate(mlp_activation act, float *restrict z, size_t n,
                            const float *restrict bias, size_t bias_count)
{
    float b[MLP_TINY_WIDTH];
    for (size_t j = 0; j < n; j++) b[j] = bias_count == 0 ? 0.0f : bias[bias_count == 1 ? 0 : j];
    switch (act) {
    case MLP_ACT_SIGMOID: for (size_t j = 0; j < n; j++) z[j] = mlp_fast_sigmoid(z[j] + b[j]); break;
    case MLP_ACT_TANH: for (size_t j = 0; j < n; j++) z[j] = mlp_fast_tanh(z[j] + b[j]); break;
    case MLP_ACT_RELU:
        for (size_t j = 0; j < n; j++) z[j] = z[j] + b[j] > 0.0f ? z[j] + b[j] : 0.0f;
        break;
    case MLP_ACT_LEAKY_RELU:
        for (size_t j = 0; j < n; j++) {
            float a = z[j] + b[j];
            z[j] = a > 0.0f ? a : MLP_LEAKY_RELU_SLOPE * a;
        }
        break;
    default: for (size_t j = 0; j < n; j++) z[j] += b[j]; break; /* linear */
    }
}

/* delta *= g'(a), through the outputs z. */
static inline void derive(mlp_activation act, const float *restrict z, float *restrict d, size_t n)
{
    switch (act) {
    case MLP_ACT_SIGMOID: for (size_t j = 0; j < n; j++) d[j] *= z[j] * (1.0f - z[j]); break;
    case MLP_ACT_TANH: for (size_t j = 0; j < n; j++) d[j] *= 1.0f - z[j] * z[j]; break;
    case MLP_ACT_RELU: for (size_t j = 0; j < n; j++) d[j] = z[j] > 0.0f ? d[j] : 0.0f; break;
    case MLP_ACT_LEAKY_RELU:
        for (size_t j = 0; j < n; j++) d[j] = z[j] > 0.0f ? d[j] : MLP_LEAKY_RELU_SLOPE * d[j];
        break;
    default: break;
    }
}

int mlp_sgd_tiny_applies(const mlp_net *net, mlp_loss loss)
{
    if (loss != MLP_LOSS_MSE || net->max_width > MLP_TINY_WIDTH) return 0;
    return net->activations[net->n_layers - 1] != MLP_ACT_SOFTMAX;
}

MLP_VECTORIZE
double mlp_sgd_tiny_step(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                         float lr, float weight_decay, int want_loss)
{
    const size_t L = net->n_layers;
    const float keep = 1.0f - lr * weight_decay;
    float *p = net->params;
    const float *in = x;
    for (size_t k = 0; k < L; k++) { /* forward: z = g(W in + b) */
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *w = p + net->weights_offset[k];
        float *z = ws->z[k + 1];
        for (size_t j = 0; j < n_out; j++) {
            float s = 0.0f;
            for (size_t i = 0; i < n_in; i++) s += w[j * n_in + i] * in[i];
            z[j] = s;
        }
        const size_t bo = net->bias_offset[k];
        activate(net->activations[k], z, n_out, bo == SIZE_MAX ? NULL : p + bo,
                 net->bias_mode == MLP_BIAS_NONE ? 0 : net->bias_mode == MLP_BIAS_PER_NEURON ? n_out : 1);
        in = z;
    }
    const size_t nl = net->sizes[L];
    const float *o = ws->z[L];
    float d[MLP_TINY_WIDTH], dp[MLP_TINY_WIDTH], shared = 0.0f;
    double loss = 0.0;
    for (size_t j = 0; j < nl; j++) {
        const float e = o[j] - y[j];
        d[j] = (2.0f / (float)nl) * e; /* dC/do of (1/n_L) sum e^2 */
        if (want_loss) loss += (double)e * (double)e;
    }
    derive(net->activations[L - 1], o, d, nl);
    for (size_t k = L; k-- > 0;) { /* backward, the update fused in */
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        float *w = p + net->weights_offset[k];
        const float *z = k == 0 ? x : ws->z[k];
        if (k > 0) {
            for (size_t i = 0; i < n_in; i++) dp[i] = 0.0f;
            for (size_t j = 0; j < n_out; j++)
                for (size_t i = 0; i < n_in; i++) dp[i] += w[j * n_in + i] * d[j];
        }
        for (size_t j = 0; j < n_out; j++) {
            const float sd = lr * d[j];
            for (size_t i = 0; i < n_in; i++) w[j * n_in + i] = keep * w[j * n_in + i] - sd * z[i];
        }
        if (net->bias_mode != MLP_BIAS_NONE) {
            float *b = p + net->bias_offset[k];
            if (net->bias_mode == MLP_BIAS_PER_NEURON) {
                for (size_t j = 0; j < n_out; j++) b[j] = keep * b[j] - lr * d[j];
            } else {
                float s = 0.0f;
                for (size_t j = 0; j < n_out; j++) s += d[j];
                if (net->bias_mode == MLP_BIAS_PER_LAYER) *b = keep * *b - lr * s;
                else shared += s; /* PER_NETWORK: applied once, below */
            }
        }
        if (k == 0) break;
        derive(net->activations[k - 1], ws->z[k], dp, n_in);
        for (size_t i = 0; i < n_in; i++) d[i] = dp[i];
    }
    if (net->bias_mode == MLP_BIAS_PER_NETWORK) {
        float *b = p + net->bias_offset[0];
        *b = keep * *b - lr * shared;
    }
    ws->last_output = ws->z[L];
    return loss / (double)nl;
}
