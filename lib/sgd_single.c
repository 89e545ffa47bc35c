/* Plain gradient descent on one record with the update fused into backpropagation: each
 * weight matrix is read once for delta_prev = W^T delta and written in the same pass
 * (W <- keep W - lr delta z^T), and no gradient vector is materialised. This is what makes
 * pure SGD on small nets cost a few hundred cycles per record. */
#include "mlp_internal.h"

/* ---- layers split by rows across the workspace's threads (mlp_workspace_set_threads) */

/* First row of thread t's share: a multiple of 4 (the kernels' row blocks), the same for
 * every record so that a thread always touches the same weights. */
static size_t share_begin(size_t rows, int t, int n)
{
    if (t >= n) return rows;
    size_t r = (rows * (size_t)t / (size_t)n + 3) & ~(size_t)3;
    return r < rows ? r : rows;
}

static int split_layer(const mlp_workspace *ws, size_t n_out, size_t n_in)
{
    return ws->pool && n_out >= 2 && n_out * n_in >= MLP_THREAD_MIN_WEIGHTS;
}

typedef struct layer_job {
    const mlp_net *net;
    mlp_workspace *ws;
    size_t k;
    float *w;
    const float *in;  /* forward: the layer's inputs; backward: z of the layer below */
    float *out;       /* forward: the layer's outputs; backward: delta of the layer */
    float step, keep;
    float *delta_prev; /* backward: NULL for the first layer */
    int activate;      /* forward: bias + activation per share (not softmax) */
} layer_job;

static void forward_share(void *ctx, int t, int n)
{
    const layer_job *j = ctx;
    const mlp_net *net = j->net;
    const size_t n_in = net->sizes[j->k], n_out = net->sizes[j->k + 1];
    const size_t r0 = share_begin(n_out, t, n), r1 = share_begin(n_out, t + 1, n);
    if (r1 == r0) return;
    mlp_kernel_matvec_hand(j->w + r0 * n_in, r1 - r0, n_in, j->in, j->out + r0);
    if (!j->activate) return;
    const size_t bias_count = mlp_net_bias_count(net, j->k);
    const float *bias = net->bias_offset[j->k] == SIZE_MAX ? NULL : net->params + net->bias_offset[j->k];
    if (bias && bias_count > 1) /* per neuron: this share's entries (one of them: a scalar) */
        mlp_activation_forward(net->activations[j->k], j->out + r0, 1, r1 - r0, bias + r0,
                               r1 - r0, NULL);
    else
        mlp_activation_forward(net->activations[j->k], j->out + r0, 1, r1 - r0, bias,
                               bias_count, NULL);
}

/* Thread 0 accumulates delta_prev in place, thread t > 0 in its own buffer; the caller
 * adds those in thread order afterwards. */
static void backward_share(void *ctx, int t, int n)
{
    const layer_job *j = ctx;
    const size_t n_in = j->net->sizes[j->k], n_out = j->net->sizes[j->k + 1];
    const size_t r0 = share_begin(n_out, t, n), r1 = share_begin(n_out, t + 1, n);
    float *dp = j->delta_prev && t > 0 ? mlp_ws_pool_partial(j->ws->pool, t) : j->delta_prev;
    mlp_kernel_backprop_update(j->w + r0 * n_in, r1 - r0, n_in, j->out + r0, j->in, j->step,
                               j->keep, dp);
}

static void backprop_update(const mlp_net *net, mlp_workspace *ws, size_t k, float *delta,
                            const float *z, float step, float keep, float *delta_prev)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    float *w = net->params + net->weights_offset[k];
    if (!split_layer(ws, n_out, n_in)) {
        mlp_kernel_backprop_update(w, n_out, n_in, delta, z, step, keep, delta_prev);
        return;
    }
    layer_job job = {.net = net, .ws = ws, .k = k, .w = w, .in = z, .out = delta,
                     .step = step, .keep = keep, .delta_prev = delta_prev};
    mlp_ws_pool_run(ws->pool, backward_share, &job);
    if (!delta_prev) return;
    const int n = mlp_ws_pool_size(ws->pool);
    for (int t = 1; t < n; t++) {
        const float *restrict part = mlp_ws_pool_partial(ws->pool, t);
        for (size_t i = 0; i < n_in; i++) delta_prev[i] += part[i];
    }
}

static void forward_one(const mlp_net *net, mlp_workspace *ws, const float *x)
{
    const float *in = x;
    for (size_t k = 0; k < net->n_layers; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        float *out = ws->z[k + 1];
        const float *w = net->params + net->weights_offset[k];
        const int last = k + 1 == net->n_layers;
        const mlp_activation act = net->activations[k];
        int done = 0;
        if (split_layer(ws, n_out, n_in)) {
            layer_job job = {.net = net, .ws = ws, .k = k, .w = (float *)w, .in = in,
                             .out = out, .activate = act != MLP_ACT_SOFTMAX};
            mlp_ws_pool_run(ws->pool, forward_share, &job);
            done = job.activate;
        } else {
            mlp_kernel_matvec(w, n_out, n_in, in, out);
        }
        if (!done) {
            const float *bias = net->bias_offset[k] == SIZE_MAX ? NULL : net->params + net->bias_offset[k];
            mlp_activation_forward(act, out, 1, n_out, bias, mlp_net_bias_count(net, k),
                                   last ? ws->logits : NULL);
        }
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
        backprop_update(net, ws, k, delta, k == 0 ? x : ws->z[k], lr, keep,
                        k ? delta_prev : NULL);
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
