/* Losses and metrics of a fit in the targets' units: a regression net trained on
 * standardised targets has its squared errors scaled back per output. */
#include "fit/fit_internal.h"

#include <math.h>

#define EVAL_BATCH 256

/* MSE over outputs in the data's units: sum_j ((o_j - y_j) sd_j)^2 / k per record. */
static mlp_status regress_loss(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                               const fit_targets *t, double *mse)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    float *o = mlp_mem_alloc(EVAL_BATCH * k * sizeof *o);
    if (!o) return MLP_ERR_NO_MEMORY;
    double sum = 0.0;
    mlp_status st = MLP_OK;
    for (size_t i = 0; st == MLP_OK && i < n; i += EVAL_BATCH) {
        size_t b = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        st = mlp_forward(net, ws, x + i * in, b, o);
        for (size_t r = 0; st == MLP_OK && r < b; r++)
            for (size_t j = 0; j < k; j++) {
                double d = ((double)o[r * k + j] - y[(i + r) * k + j]) * t->sd[j];
                sum += d * d;
            }
    }
    mlp_mem_free(o);
    *mse = sum / (double)(n * k);
    return st;
}

mlp_status fit_evaluate(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                        mlp_loss loss, mlp_task task, const fit_targets *t, fit_metrics *out)
{
    out->loss = out->metric = NAN;
    if (!ds || mlp_dataset_count(ds) == 0) return MLP_OK;
    double mean_loss = NAN, accuracy = NAN;
    mlp_status st;
    if (task == MLP_TASK_REGRESS && t && t->mean && loss == MLP_LOSS_MSE)
        st = regress_loss(net, ws, ds, t, &mean_loss);
    else
        st = mlp_evaluate(net, ws, mlp_dataset_inputs_const(ds), mlp_dataset_targets_const(ds),
                          mlp_dataset_count(ds), loss, &mean_loss,
                          task == MLP_TASK_CLASSIFY ? &accuracy : NULL);
    if (st != MLP_OK) return st;
    out->loss = mean_loss;
    /* the MSE loss is the mean squared error over outputs: its root is the RMSE */
    out->metric = task == MLP_TASK_CLASSIFY ? accuracy
                  : loss == MLP_LOSS_MSE ? sqrt(mean_loss) : NAN;
    return MLP_OK;
}

mlp_status fit_output_rmse(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                           double *rmse)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    float *o = mlp_mem_alloc(EVAL_BATCH * k * sizeof *o);
    if (!o) return MLP_ERR_NO_MEMORY;
    for (size_t j = 0; j < k; j++) rmse[j] = 0.0;
    mlp_status st = MLP_OK;
    for (size_t i = 0; st == MLP_OK && i < n; i += EVAL_BATCH) {
        size_t b = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        st = mlp_forward(net, ws, x + i * in, b, o);
        for (size_t r = 0; st == MLP_OK && r < b; r++)
            for (size_t j = 0; j < k; j++) {
                double d = (double)o[r * k + j] - (double)y[(i + r) * k + j];
                rmse[j] += d * d;
            }
    }
    for (size_t j = 0; j < k; j++) rmse[j] = sqrt(rmse[j] / (double)n);
    mlp_mem_free(o);
    return st;
}
