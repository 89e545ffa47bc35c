/* Forward and backward passes: the only caller of BLAS level 3 (and 2 for one record). */
#include "mlp_internal.h"

#include <cblas.h>
#include <string.h>

/* Inverted dropout: draw a fresh mask for rows x n outputs and apply it. */
static void dropout_forward(mlp_workspace *ws, size_t k, float *z, size_t count)
{
    float *mask = ws->mask[k];
    const float keep_scale = 1.0f / (1.0f - ws->dropout);
    for (size_t i = 0; i < count; i++) {
        mask[i] = mlp_rng_uniform(&ws->dropout_rng) < ws->dropout ? 0.0f : keep_scale;
        z[i] *= mask[i];
    }
}

void mlp_propagate_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                           size_t batch, int training)
{
    const size_t L = net->n_layers;
    const float *in = inputs;
    for (size_t k = 0; k < L; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *w = net->params + net->weights_offset[k];
        float *out = ws->z[k + 1];
        if (batch == 1)
            mlp_kernel_matvec(w, n_out, n_in, in, out);
        else /* Z = X W^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)n_out,
                        (int)n_in, 1.0f, in, (int)n_in, w, (int)n_in, 0.0f, out, (int)n_out);
        const float *bias = net->bias_offset[k] == SIZE_MAX ? NULL : net->params + net->bias_offset[k];
        mlp_activation_forward(net->activations[k], out, batch, n_out, bias,
                               mlp_net_bias_count(net, k), k + 1 == L ? ws->logits : NULL);
        if (training && ws->dropout > 0.0f && k + 1 < L) dropout_forward(ws, k + 1, out, batch * n_out);
        in = out;
    }
    ws->last_output = ws->z[L];
}

/* Adds the column sums of delta (batch x n) into the bias gradient of layer k. */
static void add_bias_gradient(const mlp_net *net, size_t k, const float *delta, size_t batch,
                              size_t n, float *grad)
{
    if (net->bias_mode == MLP_BIAS_NONE) return;
    float *gb = grad + net->bias_offset[k];
    if (net->bias_mode == MLP_BIAS_PER_NEURON) {
        for (size_t i = 0; i < batch; i++)
            for (size_t j = 0; j < n; j++) gb[j] += delta[i * n + j];
    } else { /* one scalar, used by every neuron (and every layer, PER_NETWORK) */
        float s = 0.0f;
        for (size_t i = 0; i < batch * n; i++) s += delta[i];
        gb[0] += s;
    }
}

static void zero_bias_gradients(const mlp_net *net, float *grad)
{
    for (size_t k = 0; k < net->n_layers; k++)
        if (net->bias_offset[k] != SIZE_MAX)
            memset(grad + net->bias_offset[k], 0, mlp_net_bias_count(net, k) * sizeof *grad);
}

double mlp_propagate_gradient(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                              const float *targets, size_t batch, mlp_loss loss, float *grad,
                              int accumulate)
{
    const size_t L = net->n_layers;
    mlp_propagate_forward(net, ws, inputs, batch, 1);
    float *delta = ws->delta, *delta_prev = ws->delta_prev;
    double loss_sum = mlp_loss_output_delta(loss, ws->z[L], ws->logits, targets, delta, batch,
                                            net->sizes[L]);
    if (loss != MLP_LOSS_CROSS_ENTROPY) /* CE's delta already is dC/da */
        mlp_activation_backward(net->activations[L - 1], ws->z[L], delta, batch, net->sizes[L]);
    if (!accumulate) zero_bias_gradients(net, grad);

    for (size_t k = L; k-- > 0;) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *in = k == 0 ? inputs : ws->z[k];
        const float *w = net->params + net->weights_offset[k];
        float *gw = grad + net->weights_offset[k];
        if (batch == 1) {
            mlp_kernel_rank1(gw, n_out, n_in, delta, in, accumulate);
        } else { /* dW (+)= Delta^T Z_prev */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)batch,
                        1.0f, delta, (int)n_out, in, (int)n_in, accumulate ? 1.0f : 0.0f, gw,
                        (int)n_in);
        }
        add_bias_gradient(net, k, delta, batch, n_out, grad);
        if (k == 0) break; /* no delta for the inputs */
        if (batch == 1) /* delta_prev = W^T delta */
            mlp_kernel_matvec_trans(w, n_out, n_in, delta, delta_prev);
        else /* Delta_prev = Delta W */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)n_in,
                        (int)n_out, 1.0f, delta, (int)n_out, w, (int)n_in, 0.0f, delta_prev,
                        (int)n_in);
        if (ws->dropout > 0.0f) /* dropped units pass no gradient; kept ones are scaled */
            for (size_t i = 0; i < batch * n_in; i++) delta_prev[i] *= ws->mask[k][i];
        mlp_activation_backward(net->activations[k - 1], ws->z[k], delta_prev, batch, n_in);
        float *t = delta;
        delta = delta_prev;
        delta_prev = t;
    }
    return loss_sum;
}

mlp_status mlp_check_loss(const mlp_net *net, mlp_loss loss)
{
    if ((unsigned)loss >= MLP_LOSS_COUNT) return MLP_ERR_INVALID_ARG;
    if (loss == MLP_LOSS_CROSS_ENTROPY && net->activations[net->n_layers - 1] != MLP_ACT_SOFTMAX)
        return MLP_ERR_INVALID_ARG;
    return MLP_OK;
}

mlp_status mlp_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch,
                       float *outputs)
{
    if (!net || !ws || !inputs) return MLP_ERR_NULL_ARG;
    mlp_status st = mlp_workspace_check(ws, net, batch);
    if (st != MLP_OK) return st;
    mlp_propagate_forward(net, ws, inputs, batch, 0);
    if (outputs) memcpy(outputs, ws->last_output, batch * mlp_net_output_size(net) * sizeof *outputs);
    return MLP_OK;
}

static mlp_status gradient_entry(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                 const float *targets, size_t batch, mlp_loss loss, float *grad,
                                 double *loss_sum, int accumulate)
{
    if (!net || !ws || !inputs || !targets || !grad) return MLP_ERR_NULL_ARG;
    mlp_status st = mlp_workspace_check(ws, net, batch);
    if (st == MLP_OK) st = mlp_check_loss(net, loss);
    if (st != MLP_OK) return st;
    double c = mlp_propagate_gradient(net, ws, inputs, targets, batch, loss, grad, accumulate);
    if (loss_sum) *loss_sum = c;
    return MLP_OK;
}

mlp_status mlp_gradient(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                        const float *targets, size_t batch, mlp_loss loss, float *grad,
                        double *loss_sum)
{
    return gradient_entry(net, ws, inputs, targets, batch, loss, grad, loss_sum, 0);
}

mlp_status mlp_gradient_accumulate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                   const float *targets, size_t batch, mlp_loss loss, float *grad,
                                   double *loss_sum)
{
    return gradient_entry(net, ws, inputs, targets, batch, loss, grad, loss_sum, 1);
}
