/* Evaluation with a model handle: loss, accuracy or RMSE of raw labelled records, chunk by
 * chunk through a scratch, with the loss the net's output layer implies. The one evaluation
 * of the library and the tool, so that `mlp eval` and a C caller print the same numbers. */
#include "api/model_handle.h"

#include <math.h>
#include <string.h>

#define METRICS_MIN_SIZE (offsetof(mlp_model_metrics, rmse) + sizeof(double))

static mlp_status check_evaluate(const mlp_model *model, mlp_model_scratch *scratch,
                                 const mlp_dataset *data, const mlp_model_metrics *metrics,
                                 mlp_error_detail *d)
{
    if (!model) return mlp_fail(d, MLP_ERR_NULL_ARG, "model is NULL");
    if (!data) return mlp_fail(d, MLP_ERR_NULL_ARG, "data is NULL");
    if (!metrics) return mlp_fail(d, MLP_ERR_NULL_ARG, "metrics is NULL");
    if (metrics->struct_size < METRICS_MIN_SIZE)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "metrics->struct_size is %zu, less than any "
                        "mlp_model_metrics (%zu bytes or more): set it to "
                        "sizeof(mlp_model_metrics)", metrics->struct_size,
                        (size_t)METRICS_MIN_SIZE);
    size_t in = mlp_net_input_size(model->net), out = mlp_net_output_size(model->net);
    if (mlp_dataset_count(data) == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "data has no records");
    if (mlp_dataset_input_size(data) != in)
        return mlp_fail(d, MLP_ERR_DIMENSION, "data has %zu inputs per record, the model %zu",
                        mlp_dataset_input_size(data), in);
    if (mlp_dataset_target_size(data) != out)
        return mlp_fail(d, MLP_ERR_DIMENSION, "data has %zu targets per record, the model %zu "
                        "outputs", mlp_dataset_target_size(data), out);
    if (scratch && mlp_workspace_check(scratch->ws, model->net, 1) != MLP_OK)
        return mlp_fail(d, MLP_ERR_WORKSPACE_MISMATCH, "scratch was made for a model of "
                        "another topology");
    const float *x = mlp_dataset_inputs_const(data);
    size_t values = mlp_dataset_count(data) * in;
    if (mlp_all_finite(x, values)) return MLP_OK;
    size_t i = 0;
    while (mlp_is_finite(x[i])) i++;
    return mlp_fail(d, MLP_ERR_NON_FINITE, "data: record %zu, input %zu is NaN or infinite",
                    i / in, i % in);
}

/* Sums over the records: loss, correct argmaxes, squared error per output. */
static mlp_status evaluate_chunks(const mlp_model *model, mlp_model_scratch *s,
                                  const mlp_dataset *data, mlp_loss loss, double *loss_sum,
                                  size_t *correct, double *sq)
{
    const mlp_net *net = model->net;
    const size_t count = mlp_dataset_count(data), nl = mlp_net_output_size(net);
    const float *x = mlp_dataset_inputs_const(data), *y = mlp_dataset_targets_const(data);
    mlp_workspace *ws = s->ws;
    for (size_t start = 0; start < count; start += s->max_batch) {
        size_t b = count - start < s->max_batch ? count - start : s->max_batch;
        mlp_status st = mlp_model_scale_chunk(model, s, x, start, b);
        if (st != MLP_OK) return st;
        const float *t = y + start * nl;
        *loss_sum += mlp_evaluate_rows(net, ws, s->scaled, t, b, loss, correct);
        const float *o = mlp_workspace_output(ws);
        for (size_t k = 0; sq && k < b * nl; k++) {
            double e = (double)o[k] - (double)t[k];
            sq[k % nl] += e * e;
        }
    }
    return MLP_OK;
}

mlp_status mlp_model_evaluate(const mlp_model *model, mlp_model_scratch *scratch,
                              const mlp_dataset *data, mlp_model_metrics *metrics,
                              double *output_rmse, mlp_error_detail *detail)
{
    mlp_status st = check_evaluate(model, scratch, data, metrics, detail);
    if (st != MLP_OK) return st;
    const size_t count = mlp_dataset_count(data), nl = mlp_net_output_size(model->net);
    const mlp_task task = mlp_preprocess_task(model->pre);
    const mlp_loss loss = mlp_loss_resolve(model->net, MLP_LOSS_AUTO);
    mlp_model_scratch *own = NULL;
    if (!scratch) {
        st = mlp_model_scratch_create(&own, model, count < MLP_MODEL_PREDICT_CHUNK
                                                       ? count : MLP_MODEL_PREDICT_CHUNK);
        if (st != MLP_OK) return mlp_fail(detail, st, "no memory for the evaluation scratch");
        scratch = own;
    }
    double *sq = output_rmse && task == MLP_TASK_REGRESS ? mlp_mem_calloc(nl, sizeof *sq)
                                                          : NULL;
    double loss_sum = 0.0;
    size_t correct = 0;
    if (output_rmse && task == MLP_TASK_REGRESS && !sq)
        st = mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the per-output errors");
    if (st == MLP_OK) st = evaluate_chunks(model, scratch, data, loss, &loss_sum, &correct, sq);
    if (st == MLP_OK) {
        mlp_model_metrics m = {.struct_size = sizeof m, .count = count};
        m.loss = loss_sum / (double)count;
        m.accuracy = task == MLP_TASK_CLASSIFY && nl > 1 ? (double)correct / (double)count : NAN;
        /* the MSE loss is the mean squared error over the outputs: its root is the RMSE */
        m.rmse = task == MLP_TASK_REGRESS && loss == MLP_LOSS_MSE ? sqrt(m.loss) : NAN;
        size_t size = metrics->struct_size < sizeof m ? metrics->struct_size : sizeof m;
        memcpy(metrics, &m, size);
        metrics->struct_size = size;
        for (size_t k = 0; output_rmse && k < nl; k++)
            output_rmse[k] = sq ? sqrt(sq[k] / (double)count) : NAN;
    } else if (detail && !detail->message[0]) {
        mlp_fail(detail, st, "%s", mlp_strerror(st));
    }
    mlp_mem_free(sq);
    mlp_model_scratch_free(own);
    return st;
}
