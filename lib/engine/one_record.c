/* The one-record engine: every plain-SGD step of one record (the seed's stochastic
 * gradient descent) runs here, from mlp_train_step and from mlp_train's epochs alike.
 * The update is fused into backpropagation: each weight matrix is read once for
 * delta_prev = W^T delta and written in the same pass (W <- keep W - lr delta z^T), and no
 * gradient vector is materialised. Which kernel serves which layer is decided once per
 * workspace, in mlp_one_record_plan_update:
 *  - a tiny net (kernels.h) takes its variant's whole-step function (W4: 2-8-1);
 *  - a layer of at least MLP_THREAD_MIN_WEIGHTS weights is split by rows across the
 *    workspace's threads, each keeping its rows in its own cache;
 *  - every other layer runs the hand loops, whatever its size: at one record per step
 *    OpenBLAS level 2 is several times slower (docs/performance.md, "One record at a time");
 *  - in an epoch (mlp_one_record_sgd with a pending update), the first layer's update of
 *    one record is applied in the next record's forward pass, one pass over W0 fewer. */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>


int mlp_tiny_net_fits(const mlp_net *net)
{
    if (net->max_width > MLP_TINY_WIDTH || net->n_layers > MLP_TINY_LAYERS) return 0;
    return net->activations[net->n_layers - 1] != MLP_ACT_SOFTMAX;
}

int mlp_one_record_splits(const mlp_net *net, size_t k)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    return n_out >= 2 && n_out * n_in >= MLP_THREAD_MIN_WEIGHTS;
}

mlp_status mlp_one_record_plan_init(mlp_one_record_plan *plan, size_t n_layers)
{
    /* Everything allowed, except in the test-control build (engine_control.c). */
    mlp_engine_control c = mlp_engine_control_read();
    plan->forced_kernels = c.kernels;
    plan->no_tiny = c.no_tiny;
    plan->no_fuse = c.no_fuse;
    plan->no_split = c.no_split;
    plan->no_blas = c.no_blas;
    plan->layer = mlp_mem_calloc(n_layers, sizeof *plan->layer);
    plan->split = mlp_mem_calloc(n_layers, sizeof *plan->split);
    return plan->layer && plan->split ? MLP_OK : MLP_ERR_NO_MEMORY;
}

void mlp_one_record_plan_free(mlp_one_record_plan *plan)
{
    mlp_mem_free(plan->layer);
    mlp_mem_free(plan->split);
}

void mlp_one_record_plan_update(mlp_workspace *ws)
{
    const mlp_net *shape = ws->shape;
    mlp_one_record_plan *plan = &ws->plan;
    if (!plan->hand) plan->hand = mlp_kernels_select(plan->forced_kernels);
    plan->tiny = !plan->no_tiny && plan->hand->tiny_step && mlp_tiny_net_fits(shape);
    for (size_t k = 0; k < shape->n_layers; k++) {
        const size_t n_in = shape->sizes[k], n_out = shape->sizes[k + 1];
        plan->split[k] = !plan->no_split && ws->pool && mlp_one_record_splits(shape, k);
        const int large = !plan->no_blas && n_out * n_in > MLP_SMALL_LAYER;
        plan->layer[k] = large ? &mlp_kernels_blas : plan->hand;
    }
}

/* ---- layers split by rows across the workspace's threads (mlp_workspace_set_threads) */

/* First row of thread t's share: a multiple of 4 (the kernels' row blocks), the same for
 * every record so that a thread always touches the same weights. */
static size_t share_begin(size_t rows, int t, int n)
{
    if (t >= n) return rows;
    size_t r = (rows * (size_t)t / (size_t)n + 3) & ~(size_t)3;
    return r < rows ? r : rows;
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
    /* forward: a deferred update W <- keep W - step d z^T to apply in the same pass, the
     * updated weights then multiplied by `in` (NULL d: none) */
    const float *pend_d, *pend_z;
    float pend_step, pend_keep;
} layer_job;

static void forward_share(void *ctx, int t, int n)
{
    const layer_job *j = ctx;
    const mlp_net *net = j->net;
    const size_t n_in = net->sizes[j->k], n_out = net->sizes[j->k + 1];
    const size_t r0 = share_begin(n_out, t, n), r1 = share_begin(n_out, t + 1, n);
    if (r1 == r0) return;
    const mlp_kernel_table *kern = j->ws->plan.hand;
    if (j->pend_d)
        kern->update_matvec(j->w + r0 * n_in, r1 - r0, n_in, j->pend_d + r0, j->pend_z,
                            j->pend_step, j->pend_keep, j->in, j->out + r0);
    else
        kern->matvec(j->w + r0 * n_in, r1 - r0, n_in, j->in, j->out + r0);
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
    j->ws->plan.hand->backprop_update(j->w + r0 * n_in, r1 - r0, n_in, j->out + r0, j->in,
                                      j->step, j->keep, dp);
}

static void backprop_update(mlp_net *net, mlp_workspace *ws, size_t k, float *delta,
                            const float *z, float step, float keep, float *delta_prev)
{
    const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
    float *w = net->params + net->weights_offset[k];
    if (!ws->plan.split[k]) {
        ws->plan.hand->backprop_update(w, n_out, n_in, delta, z, step, keep, delta_prev);
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

/* Applies a pending first-layer update on its own (split like the backward pass). */
void mlp_one_record_flush(mlp_net *net, mlp_workspace *ws, mlp_pending *p)
{
    if (!p || !p->d) return;
    backprop_update(net, ws, 0, (float *)p->d, p->z, p->step, p->keep, NULL);
    p->d = NULL;
}

/* Forward pass of one record; p (may be NULL) holds the previous record's first-layer
 * update, applied here in the first layer's pass over W0. */
static void forward_one(mlp_net *net, mlp_workspace *ws, const float *x, mlp_pending *p)
{
    if (p && p->d && ws->plan.no_fuse) mlp_one_record_flush(net, ws, p);
    const float *in = x;
    for (size_t k = 0; k < net->n_layers; k++) {
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        float *out = ws->z[k + 1];
        float *w = net->params + net->weights_offset[k]; /* k = 0: the pending update */
        const int last = k + 1 == net->n_layers;
        const mlp_activation act = net->activations[k];
        int done = 0;
        if (ws->plan.split[k]) {
            layer_job job = {.net = net, .ws = ws, .k = k, .w = w, .in = in,
                             .out = out, .activate = act != MLP_ACT_SOFTMAX};
            if (k == 0 && p && p->d) {
                job.pend_d = p->d;
                job.pend_z = p->z;
                job.pend_step = p->step;
                job.pend_keep = p->keep;
            }
            mlp_ws_pool_run(ws->pool, forward_share, &job);
            if (k == 0 && p) p->d = NULL;
            done = job.activate;
        } else if (k == 0 && p && p->d) {
            ws->plan.hand->update_matvec(w, n_out, n_in, p->d, p->z, p->step, p->keep,
                                         in, out);
            p->d = NULL;
        } else {
            ws->plan.hand->matvec(w, n_out, n_in, in, out);
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

double mlp_one_record_sgd(mlp_net *net, mlp_workspace *ws, const float *x, const float *y,
                          mlp_loss loss, float lr, float weight_decay, int want_loss,
                          mlp_pending *p)
{
    if (ws->plan.tiny && loss == MLP_LOSS_MSE) {
        mlp_one_record_flush(net, ws, p);
        return ws->plan.hand->tiny_step(net, ws, x, y, lr, weight_decay, want_loss);
    }
    const size_t L = net->n_layers;
    const float keep = 1.0f - lr * weight_decay; /* L2 decay folded into the update */
    forward_one(net, ws, x, p);
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
        if (k == 0 && p) { /* deferred: fused into the next record's forward pass */
            *p = (mlp_pending){.d = delta, .z = x, .step = lr, .keep = keep};
            break;
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
