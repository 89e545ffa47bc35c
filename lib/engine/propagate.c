/* Forward and backward passes: the only caller of BLAS level 3 (and 2 for one record). */
#include "kernels.h"
#include "packed.h"

#include <cblas.h>
#include <string.h>

/* Inverted dropout: draw a fresh mask for count outputs and apply it. Each 64-bit draw
 * decides two units (32 bits each: the rate is resolved to 2^-32). The outputs before the
 * mask are kept: g'(a) must be computed from g(a), not from the scaled value. */
static void dropout_forward(mlp_workspace *ws, size_t k, float *z, size_t count)
{
    float *mask = ws->mask[k];
    memcpy(ws->undropped[k], z, count * sizeof *z);
    const float keep_scale = 1.0f / (1.0f - ws->dropout);
    const uint32_t threshold = (uint32_t)((double)ws->dropout * 4294967296.0);
    for (size_t i = 0; i < count; i += 2) {
        uint64_t r = mlp_rng_next(&ws->dropout_rng);
        mask[i] = (uint32_t)r < threshold ? 0.0f : keep_scale;
        if (i + 1 < count) mask[i + 1] = (uint32_t)(r >> 32) < threshold ? 0.0f : keep_scale;
    }
    for (size_t i = 0; i < count; i++) z[i] *= mask[i];
}

void mlp_propagate_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                           size_t batch, int training)
{
    const size_t L = net->n_layers;
    if (ws->int8) { /* inference workspaces only; mlp_workspace_check saw the net ready */
        mlp_int8_forward(net, ws, inputs, batch);
        return;
    }
    if (!training && mlp_packed_forward(net, ws, inputs, batch)) return;
    mlp_bf16 *b = batch > 1 ? ws->bf16 : NULL; /* one record: always float */
    const int dropping = training && ws->dropout > 0.0f;
    if (b) mlp_bf16_pass_begin(b, net);
    const float *in = inputs;
    int in_ready = 0; /* layer k's bf16 inputs were written by layer k-1's activation pass */
    for (size_t k = 0; k < L; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *w = net->params + net->weights_offset[k];
        float *out = ws->z[k + 1];
        if (batch == 1)
            ws->plan.layer[k]->matvec(w, n_out, n_in, in, out);
        else if (b && mlp_bf16_layer_on(b, k))
            mlp_bf16_forward(b, net, k, in, batch, out, in_ready);
        else /* Z = X W^T */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)n_out,
                        (int)n_in, 1.0f, in, (int)n_in, w, (int)n_in, 0.0f, out, (int)n_out);
        const float *bias = net->bias_offset[k] == SIZE_MAX ? NULL : net->params + net->bias_offset[k];
        /* the mask comes after the activation: with dropout the next layer rounds its own */
        uint16_t *next = b && !dropping ? mlp_bf16_inputs(b, k + 1) : NULL;
        float *logits = k + 1 == L ? ws->logits : NULL;
        if (b && mlp_bf16_layer_on(b, k)) /* on the products' threads */
            mlp_bf16_activation_team(net->activations[k], out, batch, n_out, bias,
                                     mlp_net_bias_count(net, k), logits, next,
                                     mlp_bf16_team(b));
        else
            mlp_activation_forward_bf16(net->activations[k], out, batch, n_out, bias,
                                        mlp_net_bias_count(net, k), logits, next);
        if (dropping && k + 1 < L) dropout_forward(ws, k + 1, out, batch * n_out);
        in_ready = next != NULL;
        in = out;
    }
    if (b) mlp_bf16_pass_end(b, net);
    ws->last_output = ws->z[L];
}

/* Where backpropagation puts dC/dI: added to or written into a gradient vector, or
 * applied straight to the parameters as plain SGD, I <- keep I - step dC/dI, which saves
 * writing the gradient and a second pass over it. */
typedef struct sink {
    float *grad;    /* gradient mode when not NULL */
    int accumulate; /* gradient mode: add instead of overwrite */
    float *params;  /* update mode: the net's parameters */
    float step;     /* update mode: lr (lr / B for the mean reduction) */
    float keep;     /* update mode: 1 - lr * weight_decay */
    const mlp_gradient_notify *notify; /* gradient mode: told of each final suffix */
} sink;

/* Rows of a weight-gradient GEMM per piece when a notify waits on them: about this many
 * floats, so a transport gets a chance to progress its exchange a few times per layer. */
#define NOTIFY_PIECE_FLOATS ((size_t)1 << 17)

static void notify(const sink *out, size_t from)
{
    if (out->notify) out->notify->ready(out->notify->user_data, out->grad, from);
}

static float sum_all(const float *delta, size_t count)
{
    float s = 0.0f;
    for (size_t i = 0; i < count; i++) s += delta[i];
    return s;
}

/* Bias gradient of layer k: column sums of delta (batch x n), or their total for a shared
 * bias. PER_NETWORK updates are summed into *shared and applied once, after every layer. */
static void bias_backward(const mlp_net *net, size_t k, const float *delta, size_t batch,
                          size_t n, const sink *out, float *shared)
{
    if (net->bias_mode == MLP_BIAS_NONE) return;
    const size_t off = net->bias_offset[k];
    if (net->bias_mode == MLP_BIAS_PER_NETWORK && out->params) {
        *shared += sum_all(delta, batch * n);
    } else if (net->bias_mode != MLP_BIAS_PER_NEURON) {
        float s = sum_all(delta, batch * n);
        if (out->params) out->params[off] = out->keep * out->params[off] - out->step * s;
        else out->grad[off] += s;
    } else if (out->params) {
        float *b = out->params + off;
        for (size_t j = 0; j < n; j++) b[j] *= out->keep;
        for (size_t i = 0; i < batch; i++)
            for (size_t j = 0; j < n; j++) b[j] -= out->step * delta[i * n + j];
    } else {
        float *gb = out->grad + off;
        for (size_t i = 0; i < batch; i++)
            for (size_t j = 0; j < n; j++) gb[j] += delta[i * n + j];
    }
}

/* The factor of the weight product (dst = alpha Delta^T Z + beta dst) for this sink. */
static float weights_alpha(const sink *out) { return out->params ? -out->step : 1.0f; }

/* Weight gradient of layer k, dW = Delta^T Z_prev, into the sink. */
static void weights_backward(const mlp_net *net, const mlp_workspace *ws, size_t k,
                             const float *delta, const float *in, size_t batch, const sink *out)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1], off = net->weights_offset[k];
    if (out->grad && batch == 1) {
        ws->plan.layer[k]->rank1(out->grad + off, n_out, n_in, delta, in, out->accumulate);
        return;
    }
    const int bf16 = batch > 1 && ws->bf16 && mlp_bf16_layer_on(ws->bf16, k);
    const float alpha = weights_alpha(out);
    const float beta = out->params ? out->keep : out->accumulate ? 1.0f : 0.0f;
    float *dst = out->grad ? out->grad + off : out->params + off;
    if (bf16) { /* the bf16 inputs of this pass's forward; one record ran in float */
        mlp_bf16_backward_weights(ws->bf16, net, k, delta, in, batch, alpha,
                                  out->params || out->accumulate, beta, dst);
        return;
    }
    if (!out->notify) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n_out, (int)n_in, (int)batch,
                    alpha, delta, (int)n_out, in, (int)n_in, beta, dst, (int)n_in);
        return;
    }
    /* In pieces of rows, the last rows first: each piece completes a suffix of the
     * gradient (the layer's bias, after its weights, is already done), which the notify
     * may start sending while the next piece is computed. Each entry is the same dot
     * product over the batch as in one call. */
    size_t rows = NOTIFY_PIECE_FLOATS / (n_in ? n_in : 1);
    if (rows == 0) rows = 1;
    for (size_t end = n_out; end > 0;) {
        const size_t r0 = end > rows ? end - rows : 0;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(end - r0), (int)n_in,
                    (int)batch, alpha, delta + r0, (int)n_out, in, (int)n_in, beta,
                    dst + r0 * n_in, (int)n_in);
        end = r0;
        /* a bias shared by every layer (the vector's last entry) is final only at layer 0 */
        if (end > 0 && (net->bias_mode != MLP_BIAS_PER_NETWORK || k == 0))
            notify(out, off + end * n_in);
    }
}

static void zero_bias_gradients(const mlp_net *net, float *grad)
{
    for (size_t k = 0; k < net->n_layers; k++)
        if (net->bias_offset[k] != SIZE_MAX)
            memset(grad + net->bias_offset[k], 0, mlp_net_bias_count(net, k) * sizeof *grad);
}

static double backpropagate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                            const float *targets, size_t batch, mlp_loss loss, const sink *out)
{
    const size_t L = net->n_layers;
    mlp_propagate_forward(net, ws, inputs, batch, 1);
    float *delta = ws->delta, *delta_prev = ws->delta_prev;
    double loss_sum = mlp_loss_output_delta(loss, ws->z[L], ws->logits, targets, delta, batch,
                                            net->sizes[L], 1);
    /* bf16 layers: each delta's derivative pass also rounds it for the layer's products */
    mlp_bf16 *b = batch > 1 && ws->bf16 ? ws->bf16 : NULL;
    const float alpha = weights_alpha(out);
    const int ce = loss == MLP_LOSS_CROSS_ENTROPY; /* CE's delta already is dC/da */
    if (b && mlp_bf16_layer_on(b, L - 1))
        mlp_bf16_delta_ready(b, L - 1, net->activations[L - 1], ce ? NULL : ws->z[L], delta,
                             batch, alpha);
    else if (!ce)
        mlp_activation_backward(net->activations[L - 1], ws->z[L], delta, batch, net->sizes[L]);
    if (out->grad && !out->accumulate) zero_bias_gradients(net, out->grad);
    float shared = 0.0f;

    for (size_t k = L; k-- > 0;) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *w = net->params + net->weights_offset[k];
        if (k > 0) { /* first, while W is still the one the forward pass used */
            if (batch == 1) /* delta_prev = W^T delta */
                ws->plan.layer[k]->matvec_trans(w, n_out, n_in, delta, delta_prev);
            else if (ws->bf16 && mlp_bf16_layer_on(ws->bf16, k))
                mlp_bf16_backward_data(ws->bf16, net, k, delta, batch, delta_prev);
            else /* Delta_prev = Delta W */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)n_in,
                            (int)n_out, 1.0f, delta, (int)n_out, w, (int)n_in, 0.0f, delta_prev,
                            (int)n_in);
        }
        if (out->notify) { /* the bias first: it follows the weights in the vector */
            bias_backward(net, k, delta, batch, n_out, out, &shared);
            weights_backward(net, ws, k, delta, k == 0 ? inputs : ws->z[k], batch, out);
            /* a bias shared by every layer (the vector's last entry) is final only at the end */
            if (net->bias_mode != MLP_BIAS_PER_NETWORK || k == 0)
                notify(out, net->weights_offset[k]);
        } else {
            weights_backward(net, ws, k, delta, k == 0 ? inputs : ws->z[k], batch, out);
            bias_backward(net, k, delta, batch, n_out, out, &shared);
        }
        if (k == 0) break; /* no delta for the inputs */
        const float *z_act = ws->z[k]; /* g(a) of layer k's inputs */
        if (ws->dropout > 0.0f) { /* dropped units pass no gradient; kept ones are scaled */
            for (size_t i = 0; i < batch * n_in; i++) delta_prev[i] *= ws->mask[k][i];
            z_act = ws->undropped[k];
        }
        if (b && mlp_bf16_layer_on(b, k - 1))
            mlp_bf16_delta_ready(b, k - 1, net->activations[k - 1], z_act, delta_prev, batch,
                                 alpha);
        else
            mlp_activation_backward(net->activations[k - 1], z_act, delta_prev, batch, n_in);
        float *t = delta;
        delta = delta_prev;
        delta_prev = t;
    }
    if (net->bias_mode == MLP_BIAS_PER_NETWORK && out->params) {
        float *b = out->params + net->bias_offset[0];
        *b = out->keep * *b - out->step * shared;
    }
    return loss_sum;
}

double mlp_propagate_gradient(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                              const float *targets, size_t batch, mlp_loss loss, float *grad,
                              int accumulate)
{
    sink out = {.grad = grad, .accumulate = accumulate};
    return backpropagate(net, ws, inputs, targets, batch, loss, &out);
}

double mlp_propagate_gradient_notify(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                     const float *targets, size_t batch, mlp_loss loss,
                                     float *grad, const mlp_gradient_notify *notify)
{
    sink out = {.grad = grad, .notify = notify};
    return backpropagate(net, ws, inputs, targets, batch, loss, &out);
}

double mlp_propagate_sgd(mlp_net *net, mlp_workspace *ws, const float *inputs,
                         const float *targets, size_t batch, mlp_loss loss, float step, float keep)
{
    sink out = {.params = net->params, .step = step, .keep = keep};
    return backpropagate(net, ws, inputs, targets, batch, loss, &out);
}

mlp_loss mlp_loss_resolve(const mlp_net *net, mlp_loss loss)
{
    if (loss != MLP_LOSS_AUTO) return loss;
    return net->activations[net->n_layers - 1] == MLP_ACT_SOFTMAX ? MLP_LOSS_CROSS_ENTROPY
                                                                  : MLP_LOSS_MSE;
}

mlp_status mlp_check_loss(const mlp_net *net, mlp_loss loss)
{
    if (loss == MLP_LOSS_AUTO) return MLP_ERR_INVALID_ARG; /* resolved by every entry point */
    if ((unsigned)loss >= MLP_LOSS_COUNT) return MLP_ERR_INVALID_ARG;
    if (loss == MLP_LOSS_CROSS_ENTROPY && net->activations[net->n_layers - 1] != MLP_ACT_SOFTMAX)
        return MLP_ERR_INVALID_ARG;
    return MLP_OK;
}

const float *mlp_forward_inputs(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                               size_t batch)
{
    const size_t bytes = batch * net->sizes[0] * sizeof *inputs;
    if (!mlp_workspace_overlaps(ws, inputs, bytes, MLP_WS_FORWARD)) return inputs;
    /* The pass would overwrite its own inputs (e.g. mlp_workspace_output fed back in):
     * read them from the delta buffer instead, which a forward pass does not touch and
     * which holds max_batch x max_width >= batch x n_0 floats. */
    memcpy(ws->delta, inputs, bytes);
    return ws->delta;
}

/* Inputs and targets are read after the workspace's buffers are written, and a gradient
 * written while they are read: none may lie in those buffers (except grad == ws->grad). */
mlp_status mlp_check_no_alias(const mlp_net *net, const mlp_workspace *ws, const float *inputs,
                              const float *targets, size_t batch, const float *grad)
{
    const size_t n0 = net->sizes[0], nL = net->sizes[net->n_layers];
    if (mlp_workspace_overlaps(ws, inputs, batch * n0 * sizeof *inputs, MLP_WS_ALL) ||
        mlp_workspace_overlaps(ws, targets, batch * nL * sizeof *targets, MLP_WS_ALL))
        return MLP_ERR_INVALID_ARG;
    if (grad && grad != ws->grad &&
        mlp_workspace_overlaps(ws, grad, net->param_count * sizeof *grad, MLP_WS_ALL))
        return MLP_ERR_INVALID_ARG;
    return MLP_OK;
}

mlp_status mlp_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs, size_t batch,
                       float *outputs)
{
    if (!net || !ws || !inputs) return MLP_ERR_NULL_ARG;
    mlp_status st = mlp_workspace_check(ws, net, batch);
    if (st != MLP_OK) return st;
    mlp_propagate_forward(net, ws, mlp_forward_inputs(net, ws, inputs, batch), batch, 0);
    if (outputs && outputs != ws->last_output)
        memmove(outputs, ws->last_output, batch * mlp_net_output_size(net) * sizeof *outputs);
    return MLP_OK;
}

static mlp_status gradient_entry(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                 const float *targets, size_t batch, mlp_loss loss, float *grad,
                                 double *loss_sum, int accumulate)
{
    if (!net || !ws || !inputs || !targets || !grad) return MLP_ERR_NULL_ARG;
    mlp_status st = mlp_workspace_check(ws, net, batch);
    if (st == MLP_OK && !ws->training) st = MLP_ERR_INVALID_ARG; /* no deltas */
    if (st == MLP_OK) st = mlp_check_loss(net, loss = mlp_loss_resolve(net, loss));
    if (st == MLP_OK) st = mlp_check_no_alias(net, ws, inputs, targets, batch, grad);
    if (st != MLP_OK) return st;
    if (!mlp_all_finite(inputs, batch * net->sizes[0]) ||
        !mlp_all_finite(targets, batch * net->sizes[net->n_layers]))
        return MLP_ERR_NON_FINITE;
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
