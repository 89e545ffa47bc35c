/* Training: one step (batch, stochastic, minibatch) and evaluation; the epoch loop is
 * train_loop.c. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double mlp_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

mlp_status mlp_step_unchecked(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                              const float *inputs, const float *targets, size_t batch,
                              mlp_loss loss, double *loss_sum, mlp_pending *pending)
{
    if (!mlp_optimizer_steps_left(opt, 1)) return MLP_ERR_INVALID_ARG;
    mlp_bf16 *b = batch > 1 ? ws->bf16 : NULL; /* one record: always float */
    net->trained_precision = b && mlp_bf16_any_on(b) ? MLP_PRECISION_BF16 : MLP_PRECISION_FP32;
    const mlp_optimizer_config *oc = mlp_optimizer_settings(opt);
    if (oc->kind == MLP_OPT_SGD) { /* plain gradient descent: update fused into backprop */
        const float lr = mlp_optimizer_learning_rate(opt);
        const float step = oc->reduction == MLP_REDUCE_MEAN ? lr / (float)batch : lr;
        double c;
        if (batch == 1 && ws->dropout == 0.0f) {
            c = mlp_one_record_sgd(net, ws, inputs, targets, loss, lr, oc->weight_decay,
                                   loss_sum != NULL, pending);
        } else {
            mlp_one_record_flush(net, ws, pending);
            c = mlp_propagate_sgd(net, ws, inputs, targets, batch, loss, step,
                                  1.0f - lr * oc->weight_decay);
        }
        net->param_version++;
        /* the fused update refreshed every bf16 layer's weights as it wrote them */
        if (b) mlp_bf16_weights_current(b, net);
        if (loss_sum) *loss_sum = c;
        mlp_optimizer_count_steps(opt, 1);
        return MLP_OK;
    }
    mlp_one_record_flush(net, ws, pending);
    double c = mlp_propagate_gradient(net, ws, inputs, targets, batch, loss, ws->grad, 0);
    if (loss_sum) *loss_sum = c;
    return mlp_optimizer_step_bf16(opt, net, ws->grad, batch, b);
}

mlp_status mlp_train_step(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                          const float *inputs, const float *targets, size_t batch,
                          mlp_loss loss, double *loss_sum)
{
    if (!net || !ws || !opt || !inputs || !targets) return MLP_ERR_NULL_ARG;
    mlp_status st = mlp_workspace_check(ws, net, batch);
    if (st == MLP_OK && !ws->training) st = MLP_ERR_INVALID_ARG; /* an inference workspace */
    loss = mlp_loss_resolve(net, loss);
    if (st == MLP_OK && loss != MLP_LOSS_MSE) st = mlp_check_loss(net, loss); /* MSE fits all */
    if (st == MLP_OK && !mlp_optimizer_fits(opt, net)) st = MLP_ERR_WORKSPACE_MISMATCH;
    if (st == MLP_OK) st = mlp_check_no_alias(net, ws, inputs, targets, batch, NULL);
    if (st != MLP_OK) return st;
    return mlp_step_unchecked(net, ws, opt, inputs, targets, batch, loss, loss_sum, NULL);
}

double mlp_evaluate_rows(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                         const float *targets, size_t b, mlp_loss loss, size_t *correct)
{
    const size_t nl = net->sizes[net->n_layers];
    mlp_propagate_forward(net, ws, mlp_forward_inputs(net, ws, inputs, b), b, 0);
    double sum = mlp_loss_sum(loss, ws->z[net->n_layers], ws->logits, targets, b, nl);
    for (size_t i = 0; i < b; i++)
        *correct += mlp_argmax(ws->last_output + i * nl, nl) == mlp_argmax(targets + i * nl, nl);
    return sum;
}

mlp_status mlp_evaluate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                        const float *targets, size_t count, mlp_loss loss, double *mean_loss,
                        double *accuracy)
{
    if (!net || !ws || !inputs || !targets) return MLP_ERR_NULL_ARG;
    if (count == 0) return MLP_ERR_INVALID_ARG;
    mlp_status st = mlp_workspace_check(ws, net, 1);
    if (st == MLP_OK) st = mlp_check_loss(net, loss = mlp_loss_resolve(net, loss));
    if (st != MLP_OK) return st;
    const size_t n0 = net->sizes[0], nl = net->sizes[net->n_layers];
    /* targets are read after each chunk's forward pass: not from the buffers it writes */
    if (mlp_workspace_overlaps(ws, targets, count * nl * sizeof *targets, MLP_WS_FORWARD))
        return MLP_ERR_INVALID_ARG;
    double total = 0.0;
    size_t correct = 0;
    for (size_t start = 0; start < count; start += ws->max_batch) {
        size_t b = count - start < ws->max_batch ? count - start : ws->max_batch;
        total += mlp_evaluate_rows(net, ws, inputs + start * n0, targets + start * nl, b, loss,
                                   &correct);
    }
    if (mean_loss) *mean_loss = total / (double)count;
    if (accuracy) *accuracy = nl > 1 ? (double)correct / (double)count : NAN;
    return MLP_OK;
}

mlp_train_config mlp_train_config_default(void)
{
    mlp_train_config c = {
        .struct_size = sizeof c, .loss = MLP_LOSS_AUTO, .epochs = 10, .start_epoch = 0, .batch_size = 32, .shuffle = true, .dropout = 0.0f,
        .dropout_seed = 0, .patience = 0, .restore_best = true, .progress = NULL,
        .user_data = NULL, .progress_every_batch = false, .progress_interval = 1, .threads = 1,
        .precision = MLP_PRECISION_FP32,
    };
    return c;
}
