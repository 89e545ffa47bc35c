/* Losses and metrics of a fit in the targets' units: a regression net trained on
 * standardised targets has its squared errors scaled back per output. */
#include "fit/fit_internal.h"

#include <math.h>

#define EVAL_BATCH 256

/* Squared errors of net on ds, each scaled by sd[j] (NULL: 1): summed per output into
 * sums[j], or all into sums[0] when one_sum. */
static mlp_status squared_errors(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                                 const double *sd, bool one_sum, double *sums)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    for (size_t j = 0; j < (one_sum ? 1 : k); j++) sums[j] = 0.0;
    float *o = mlp_mem_alloc(EVAL_BATCH * k * sizeof *o);
    if (!o) return MLP_ERR_NO_MEMORY;
    mlp_status st = MLP_OK;
    for (size_t i = 0; st == MLP_OK && i < n; i += EVAL_BATCH) {
        size_t b = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        st = mlp_forward(net, ws, x + i * in, b, o);
        for (size_t r = 0; st == MLP_OK && r < b; r++)
            for (size_t j = 0; j < k; j++) {
                double d = (double)o[r * k + j] - (double)y[(i + r) * k + j];
                if (sd) d *= sd[j];
                sums[one_sum ? 0 : j] += d * d;
            }
    }
    mlp_mem_free(o);
    return st;
}

/* MSE over outputs in the data's units: sum_j ((o_j - y_j) sd_j)^2 / k per record. */
static mlp_status regress_loss(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                               const fit_targets *t, double *mse)
{
    double sum = 0.0;
    mlp_status st = squared_errors(net, ws, ds, t->sd, true, &sum);
    *mse = sum / (double)(mlp_dataset_count(ds) * mlp_dataset_target_size(ds));
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
    mlp_status st = squared_errors(net, ws, ds, NULL, false, rmse);
    for (size_t j = 0; j < mlp_dataset_target_size(ds); j++)
        rmse[j] = sqrt(rmse[j] / (double)mlp_dataset_count(ds));
    return st;
}

mlp_status fit_evaluate_records(const mlp_net *net, mlp_workspace *ws, const mlp_dataset *ds,
                                mlp_loss loss, mlp_task task, const fit_targets *t,
                                double *loss_each, double *hit_each)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds);
    const float *x = mlp_dataset_inputs_const(ds), *y = mlp_dataset_targets_const(ds);
    bool units = task == MLP_TASK_REGRESS && t && t->mean && loss == MLP_LOSS_MSE;
    float *o = units ? mlp_mem_alloc(k * sizeof *o) : NULL;
    if (units && !o) return MLP_ERR_NO_MEMORY;
    mlp_status st = MLP_OK;
    for (size_t i = 0; st == MLP_OK && i < n; i++) {
        double acc = NAN;
        if (units) { /* the squared errors scaled back per output, as regress_loss does */
            st = mlp_forward(net, ws, x + i * in, 1, o);
            double sum = 0.0;
            for (size_t j = 0; st == MLP_OK && j < k; j++) {
                double d = ((double)o[j] - (double)y[i * k + j]) * t->sd[j];
                sum += d * d;
            }
            loss_each[i] = sum / (double)k;
        } else {
            st = mlp_evaluate(net, ws, x + i * in, y + i * k, 1, loss, &loss_each[i],
                              task == MLP_TASK_CLASSIFY ? &acc : NULL);
        }
        if (hit_each) hit_each[i] = acc;
    }
    mlp_mem_free(o);
    return st;
}
