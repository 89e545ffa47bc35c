/* The result line shared by `mlp train` and `mlp eval`. `mlp eval` measures with the
 * library's mlp_model_evaluate; cli_evaluate, on a bare net and workspace, remains for
 * `mlp train` until its report comes from the library. */
#include "cli.h"

#include <math.h>
#include <string.h>

size_t cli_eval_batch(size_t count)
{
    return count == 0 ? 1 : count < CLI_EVAL_BATCH ? count : CLI_EVAL_BATCH;
}

mlp_status cli_evaluate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                        const float *targets, size_t count, mlp_loss loss, mlp_task task,
                        cli_metrics *out)
{
    double mean_loss = NAN, accuracy = NAN;
    mlp_status st = mlp_evaluate(net, ws, inputs, targets, count, loss, &mean_loss,
                                 task == MLP_TASK_CLASSIFY ? &accuracy : NULL);
    if (st != MLP_OK) return st;
    out->count = count;
    out->loss = mean_loss;
    out->accuracy = task == MLP_TASK_CLASSIFY ? accuracy : NAN;
    /* The MSE loss is the mean squared error over outputs: its root is the RMSE. */
    out->rmse = task == MLP_TASK_REGRESS && loss == MLP_LOSS_MSE ? sqrt(mean_loss) : NAN;
    return MLP_OK;
}

/* "nan" rather than "-nan" for a diverged run. */
static double unsigned_nan(double x) { return isnan(x) ? fabs(x) : x; }

void cli_print_result(FILE *fp, const char *prefix, mlp_task task, const cli_metrics *m)
{
    if (task == MLP_TASK_CLASSIFY)
        fprintf(fp, "result: %s_accuracy=%.4f %s_loss=%.4f", prefix, unsigned_nan(m->accuracy),
                prefix, unsigned_nan(m->loss));
    else
        fprintf(fp, "result: %s_rmse=%.4f %s_loss=%.4f", prefix, unsigned_nan(m->rmse), prefix,
                unsigned_nan(m->loss));
}

void cli_topology_string(const mlp_net *net, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i <= mlp_net_layer_count(net); i++) {
        int k = snprintf(buf + used, size - used, "%s%zu", i ? "-" : "", mlp_net_size(net, i));
        if (k < 0 || (size_t)k >= size - used) break;
        used += (size_t)k;
    }
}
