/* Plain gradient descent on one record with the update fused into backpropagation: each
 * weight matrix is read once for delta_prev = W^T delta and written in the same pass
 * (W <- keep W - lr delta z^T), and no gradient vector is materialised. This is what makes
 * pure SGD on small nets cost a few hundred cycles per record. */
#include "mlp_internal.h"

static void forward_one(const mlp_net *net, mlp_workspace *ws, const float *x)
{
    const float *in = x;
    for (size_t k = 0; k < net->n_layers; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        float *out = ws->z[k + 1];
        mlp_kernel_matvec(net->params + net->weights_offset[k], n_out, n_in, in, out);
        const float *bias = net->bias_offset[k] == SIZE_MAX ? NULL : net->params + net->bias_offset[k];
        mlp_activation_forward(net->activations[k], out, 1, n_out, bias, mlp_net_bias_count(net, k),
                               k + 1 == net->n_layers ? ws->logits : NULL);
        in = out;
    }
    ws->last_output = ws->z[net->n_layers];
}

double mlp_sgd_single_step(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                           mlp_loss loss, float lr, float weight_decay, int want_loss)
{
    const size_t L = net->n_layers;
    const float keep = 1.0f - lr * weight_decay; /* L2 decay folded into the update */
    forward_one(net, ws, x);
    float *delta = ws->delta, *delta_prev = ws->delta_prev;
    double c = mlp_loss_output_delta(loss, ws->z[L], ws->logits, y, delta, 1, net->sizes[L],
                                     want_loss);
    if (loss != MLP_LOSS_CROSS_ENTROPY)
        mlp_activation_backward(net->activations[L - 1], ws->z[L], delta, 1, net->sizes[L]);
    float shared_bias_grad = 0.0f; /* PER_NETWORK: summed over layers, applied once */
    for (size_t k = L; k-- > 0;) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        if (net->bias_mode == MLP_BIAS_PER_NEURON) {
            float *b = net->params + net->bias_offset[k];
            for (size_t j = 0; j < n_out; j++) b[j] = keep * b[j] - lr * delta[j];
        } else if (net->bias_mode != MLP_BIAS_NONE) {
            float s = 0.0f;
            for (size_t j = 0; j < n_out; j++) s += delta[j];
            if (net->bias_mode == MLP_BIAS_PER_LAYER) {
                float *b = net->params + net->bias_offset[k];
                *b = keep * *b - lr * s;
            } else {
                shared_bias_grad += s;
            }
        }
        mlp_kernel_backprop_update(net->params + net->weights_offset[k], n_out, n_in, delta,
                                   k == 0 ? x : ws->z[k], lr, keep, k ? delta_prev : NULL);
        if (k == 0) break;
        mlp_activation_backward(net->activations[k - 1], ws->z[k], delta_prev, 1, n_in);
        float *t = delta;
        delta = delta_prev;
        delta_prev = t;
    }
    if (net->bias_mode == MLP_BIAS_PER_NETWORK) {
        float *b = net->params + net->bias_offset[0];
        *b = keep * *b - lr * shared_bias_grad;
    }
    return c;
}
