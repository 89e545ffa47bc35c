/* The _ex forms of the passes (forward, gradient, evaluate, training step). Each runs its
 * base call unchanged, so the hot path pays nothing for the message, and only after a
 * failure checks the arguments again, in the base call's order, to say which one failed
 * and why; a failed call changed nothing, so the second look sees what the first saw. */
#include "mlp_internal.h"

#include <string.h>

/* Which arguments a pass takes (a NULL one of these is named). */
enum { NEEDS_TARGETS = 1, NEEDS_GRAD = 2, NEEDS_TRAINING = 4, NEEDS_FINITE = 8 };

static mlp_status non_finite(const float *v, size_t records, size_t width, const char *name,
                             mlp_error_detail *d)
{
    for (size_t i = 0; i < records * width; i++)
        if (!mlp_is_finite(v[i]))
            return mlp_fail(d, MLP_ERR_NON_FINITE, "%s: record %zu, value %zu is NaN or "
                            "infinite", name, i / width, i % width);
    return MLP_OK;
}

/* The message for mlp_workspace_check(ws, net, batch)'s failure st. */
static mlp_status workspace_detail(const mlp_workspace *ws, size_t batch, mlp_status st,
                                   mlp_error_detail *d)
{
    switch (st) {
    case MLP_ERR_WORKSPACE_MISMATCH:
        return mlp_fail(d, st, "ws was made for a net of another topology than net");
    case MLP_ERR_INVALID_ARG: return mlp_fail(d, st, "batch is 0: no records");
    case MLP_ERR_BATCH_TOO_LARGE:
        return mlp_fail(d, st, "batch is %zu, more than ws's max_batch %zu", batch,
                        ws->max_batch);
    default:
        return mlp_fail(d, st, "ws runs in int8 but net has no current int8 weights: "
                        "quantize it again after changing its parameters");
    }
}

static mlp_status loss_detail(const mlp_net *net, mlp_loss loss, mlp_error_detail *d)
{
    if (mlp_check_loss(net, loss) == MLP_OK) return MLP_OK;
    if ((unsigned)loss >= MLP_LOSS_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "loss is %d, not an mlp_loss", (int)loss);
    return mlp_fail(d, MLP_ERR_INVALID_ARG, "loss is cross-entropy but net's output layer is "
                    "not softmax: use MLP_LOSS_MSE or MLP_LOSS_AUTO");
}

/* The first argument of a pass that fails its checks, in the base calls' order; st (the
 * base call's status) when none does (a failure further in). */
static mlp_status pass_detail(const mlp_net *net, const mlp_workspace *ws, const float *inputs,
                              const float *targets, const float *grad, size_t batch,
                              mlp_loss loss, int needs, mlp_status st, mlp_error_detail *d)
{
    if (!net) return mlp_fail(d, MLP_ERR_NULL_ARG, "net is NULL");
    if (!ws) return mlp_fail(d, MLP_ERR_NULL_ARG, "ws is NULL");
    if (!inputs) return mlp_fail(d, MLP_ERR_NULL_ARG, "inputs is NULL");
    if ((needs & NEEDS_TARGETS) && !targets)
        return mlp_fail(d, MLP_ERR_NULL_ARG, "targets is NULL");
    if ((needs & NEEDS_GRAD) && !grad) return mlp_fail(d, MLP_ERR_NULL_ARG, "grad is NULL");
    mlp_status ws_st = mlp_workspace_check(ws, net, batch);
    if (ws_st != MLP_OK) return workspace_detail(ws, batch, ws_st, d);
    if (!(needs & NEEDS_TARGETS)) return mlp_fail(d, st, "%s", mlp_strerror(st));
    if ((needs & NEEDS_TRAINING) && !ws->training)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "ws is an inference workspace: training needs "
                        "one from mlp_workspace_create");
    if (loss_detail(net, mlp_loss_resolve(net, loss), d) != MLP_OK) return MLP_ERR_INVALID_ARG;
    if (mlp_check_no_alias(net, ws, inputs, targets, batch, grad) != MLP_OK)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "inputs, targets or grad lie in ws's own "
                        "buffers, which the pass overwrites: copy them out first");
    if ((needs & NEEDS_FINITE) &&
        (non_finite(inputs, batch, net->sizes[0], "inputs", d) != MLP_OK ||
         non_finite(targets, batch, net->sizes[net->n_layers], "targets", d) != MLP_OK))
        return MLP_ERR_NON_FINITE;
    return mlp_fail(d, st, "%s", mlp_strerror(st));
}

mlp_status mlp_forward_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                          size_t batch, float *outputs, mlp_error_detail *detail)
{
    mlp_status st = mlp_forward(net, ws, inputs, batch, outputs);
    if (st == MLP_OK || !detail) return st;
    pass_detail(net, ws, inputs, NULL, NULL, batch, MLP_LOSS_AUTO, 0, st, detail);
    return st;
}

mlp_status mlp_gradient_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                           const float *targets, size_t batch, mlp_loss loss, float *grad,
                           double *loss_sum, mlp_error_detail *detail)
{
    mlp_status st = mlp_gradient(net, ws, inputs, targets, batch, loss, grad, loss_sum);
    if (st == MLP_OK || !detail) return st;
    pass_detail(net, ws, inputs, targets, grad, batch, loss,
                NEEDS_TARGETS | NEEDS_GRAD | NEEDS_TRAINING | NEEDS_FINITE, st, detail);
    return st;
}

mlp_status mlp_gradient_accumulate_ex(const mlp_net *net, mlp_workspace *ws,
                                      const float *inputs, const float *targets, size_t batch,
                                      mlp_loss loss, float *grad, double *loss_sum,
                                      mlp_error_detail *detail)
{
    mlp_status st = mlp_gradient_accumulate(net, ws, inputs, targets, batch, loss, grad,
                                            loss_sum);
    if (st == MLP_OK || !detail) return st;
    pass_detail(net, ws, inputs, targets, grad, batch, loss,
                NEEDS_TARGETS | NEEDS_GRAD | NEEDS_TRAINING | NEEDS_FINITE, st, detail);
    return st;
}

mlp_status mlp_evaluate_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                           const float *targets, size_t count, mlp_loss loss,
                           double *mean_loss, double *accuracy, mlp_error_detail *detail)
{
    mlp_status st = mlp_evaluate(net, ws, inputs, targets, count, loss, mean_loss, accuracy);
    if (st == MLP_OK || !detail) return st;
    if (net && ws && inputs && targets && count == 0)
        return mlp_fail(detail, st, "count is 0: no records to evaluate");
    if (net && ws && inputs && targets && mlp_workspace_check(ws, net, 1) == MLP_OK &&
        loss_detail(net, mlp_loss_resolve(net, loss), detail) == MLP_OK)
        return mlp_fail(detail, st, "targets lie in ws's own buffers, which the forward "
                        "passes overwrite: copy them out first");
    /* chunks of ws->max_batch records: batch 1 is the check that matters here */
    pass_detail(net, ws, inputs, targets, NULL, 1, loss, NEEDS_TARGETS, st, detail);
    return st;
}

mlp_status mlp_train_step_ex(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                             const float *inputs, const float *targets, size_t batch,
                             mlp_loss loss, double *loss_sum, mlp_error_detail *detail)
{
    mlp_status st = mlp_train_step(net, ws, opt, inputs, targets, batch, loss, loss_sum);
    if (st == MLP_OK || !detail) return st;
    if (net && ws && inputs && targets && !opt)
        return mlp_fail(detail, st, "opt is NULL");
    if (net && ws && opt && inputs && targets && mlp_workspace_check(ws, net, batch) == MLP_OK &&
        ws->training) {
        if (mlp_loss_resolve(net, loss) != MLP_LOSS_MSE &&
            loss_detail(net, mlp_loss_resolve(net, loss), detail) != MLP_OK)
            return st;
        if (!mlp_optimizer_fits(opt, net))
            return mlp_fail(detail, st, "opt was made for a net of another topology than net");
        if (mlp_check_no_alias(net, ws, inputs, targets, batch, NULL) == MLP_OK &&
            !mlp_optimizer_steps_left(opt, 1))
            return mlp_fail(detail, st, "opt has made MLP_OPTIMIZER_MAX_STEPS steps: no more "
                            "can be counted");
    }
    pass_detail(net, ws, inputs, targets, NULL, batch, loss, NEEDS_TARGETS | NEEDS_TRAINING,
                st, detail);
    return st;
}
