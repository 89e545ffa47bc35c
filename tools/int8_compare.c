/* `mlp eval` of a quantized model: the int8 results against the float model's, which stays
 * the reference, on the same records. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>

static size_t argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (v[j] > v[best]) best = j;
    return best;
}

/* Largest and mean |int8 - float| over every output, and the records whose class agrees. */
static mlp_status compare_outputs(const mlp_net *net, mlp_workspace *w8, mlp_workspace *wf,
                                  const float *inputs, size_t count, double *max_diff,
                                  double *mean_diff, size_t *agree)
{
    const size_t n0 = mlp_net_input_size(net), nl = mlp_net_output_size(net);
    const size_t batch = mlp_workspace_max_batch(w8);
    double sum = 0.0;
    *max_diff = 0.0;
    *agree = 0;
    for (size_t i = 0; i < count; i += batch) {
        const size_t b = count - i < batch ? count - i : batch;
        mlp_status st = mlp_forward(net, w8, inputs + i * n0, b, NULL);
        if (st == MLP_OK) st = mlp_forward(net, wf, inputs + i * n0, b, NULL);
        if (st != MLP_OK) return st;
        const float *o8 = mlp_workspace_output(w8), *of = mlp_workspace_output(wf);
        for (size_t r = 0; r < b; r++) {
            for (size_t j = 0; j < nl; j++) {
                const double d = fabs((double)o8[r * nl + j] - of[r * nl + j]);
                sum += d;
                if (d > *max_diff) *max_diff = d;
            }
            *agree += argmax(o8 + r * nl, nl) == argmax(of + r * nl, nl);
        }
    }
    *mean_diff = count ? sum / ((double)count * (double)nl) : 0.0;
    return MLP_OK;
}

mlp_status cli_print_int8_comparison(FILE *fp, const mlp_net *net, mlp_workspace *ws,
                                     const float *inputs, const float *targets, size_t count,
                                     mlp_loss loss, mlp_task task, const cli_metrics *int8)
{
    mlp_workspace *wf = NULL;
    cli_metrics fm;
    double max_diff = 0.0, mean_diff = 0.0;
    size_t agree = 0;
    mlp_status st = mlp_workspace_create_inference(&wf, net, mlp_workspace_max_batch(ws));
    if (st == MLP_OK) st = mlp_workspace_set_precision(wf, MLP_PRECISION_FP32);
    if (st == MLP_OK) st = cli_evaluate(net, wf, inputs, targets, count, loss, task, &fm);
    if (st == MLP_OK)
        st = compare_outputs(net, ws, wf, inputs, count, &max_diff, &mean_diff, &agree);
    mlp_workspace_free(wf);
    if (st != MLP_OK) return st;
    if (task == MLP_TASK_CLASSIFY)
        fprintf(fp, "int8 against the float model: accuracy %.4f (float %.4f, %+.2f points), "
                    "same class for %.2f%% of records\n", int8->accuracy, fm.accuracy,
                100.0 * (int8->accuracy - fm.accuracy), 100.0 * (double)agree / (double)count);
    else
        fprintf(fp, "int8 against the float model: rmse %.4f (float %.4f, %+.2f%%)\n",
                int8->rmse, fm.rmse, 100.0 * (int8->rmse - fm.rmse) / fm.rmse);
    fprintf(fp, "int8 outputs differ from the float ones by at most %.4g (mean %.3g); loss "
                "%.4f (float %.4f)\n", max_diff, mean_diff, int8->loss, fm.loss);
    return MLP_OK;
}
