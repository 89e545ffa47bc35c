/* Prediction with a model handle: raw rows copied, scaled, run forward, chunk by chunk. The
 * model is only read, so threads share it; each call has a scratch of its own. */
#include "api/model_handle.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

mlp_status mlp_model_scratch_create(mlp_model_scratch **out, const mlp_model *model,
                                    size_t max_batch)
{
    return mlp_model_scratch_create_ex(out, model, max_batch, NULL);
}

mlp_status mlp_model_scratch_create_ex(mlp_model_scratch **out, const mlp_model *model,
                                       size_t max_batch, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (max_batch == 0 || max_batch > INT_MAX)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "max_batch is %zu, outside [1, INT_MAX]",
                        max_batch);
    size_t n;
    if (!mlp_mul_size(max_batch, mlp_net_input_size(model->net), &n) ||
        n > SIZE_MAX / sizeof(float))
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "max_batch (%zu) records do not fit in "
                        "memory", max_batch);
    mlp_model_scratch *s = mlp_mem_calloc(1, sizeof *s);
    if (!s) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the scratch");
    s->max_batch = max_batch;
    s->scaled = mlp_mem_alloc(n * sizeof(float));
    mlp_status st = s->scaled ? mlp_workspace_create_inference(&s->ws, model->net, max_batch)
                              : MLP_ERR_NO_MEMORY;
    if (st != MLP_OK) {
        mlp_model_scratch_free(s);
        return mlp_fail(detail, st, "no memory for a scratch of %zu records", max_batch);
    }
    *out = s;
    return MLP_OK;
}

mlp_status mlp_model_scratch_set_precision(mlp_model_scratch *scratch, mlp_precision precision)
{
    return mlp_model_scratch_set_precision_ex(scratch, precision, NULL);
}

mlp_status mlp_model_scratch_set_precision_ex(mlp_model_scratch *scratch,
                                              mlp_precision precision, mlp_error_detail *detail)
{
    if (!scratch) return mlp_fail(detail, MLP_ERR_NULL_ARG, "scratch is NULL");
    if ((unsigned)precision >= MLP_PRECISION_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "precision is %d, not an mlp_precision",
                        (int)precision);
    mlp_status st = mlp_precision_supported(precision, detail);
    if (st != MLP_OK) return st;
    st = mlp_workspace_set_precision(scratch->ws, precision);
    if (st == MLP_ERR_NO_MEMORY)
        return mlp_fail(detail, st, "no memory for the scratch's %s copies",
                        precision == MLP_PRECISION_BF16 ? "bf16" : "int8");
    if (st != MLP_OK)
        return mlp_fail(detail, st, "the scratch cannot run in precision %d", (int)precision);
    return MLP_OK;
}

mlp_status mlp_model_scratch_set_threads(mlp_model_scratch *scratch, int threads)
{
    return mlp_model_scratch_set_threads_ex(scratch, threads, NULL);
}

mlp_status mlp_model_scratch_set_threads_ex(mlp_model_scratch *scratch, int threads,
                                            mlp_error_detail *detail)
{
    if (!scratch) return mlp_fail(detail, MLP_ERR_NULL_ARG, "scratch is NULL");
    if (threads < 1 || threads > 256)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "threads is %d, outside [1, 256]",
                        threads);
    mlp_status st = mlp_workspace_set_threads(scratch->ws, threads);
    if (st == MLP_ERR_INVALID_ARG)
        return mlp_fail(detail, st, "the scratch's precision does not take threads (bf16)");
    if (st != MLP_OK)
        return mlp_fail(detail, st, "%d threads or their packed weights are not available",
                        threads);
    return MLP_OK;
}

void mlp_model_scratch_free(mlp_model_scratch *scratch)
{
    if (!scratch) return;
    mlp_workspace_free(scratch->ws);
    mlp_mem_free(scratch->scaled);
    mlp_mem_free(scratch);
}

/* Every check before any output is written: on error nothing changes. */
static mlp_status check_call(const mlp_model *model, mlp_model_scratch *scratch,
                             const float *raw_rows, size_t n, const void *out,
                             const char *out_name, mlp_error_detail *d)
{
    if (!model) return mlp_fail(d, MLP_ERR_NULL_ARG, "model is NULL");
    if (!scratch) return mlp_fail(d, MLP_ERR_NULL_ARG, "scratch is NULL");
    if (!raw_rows) return mlp_fail(d, MLP_ERR_NULL_ARG, "raw_rows is NULL");
    if (!out) return mlp_fail(d, MLP_ERR_NULL_ARG, "%s is NULL", out_name);
    if (n == 0) return mlp_fail(d, MLP_ERR_INVALID_ARG, "n is 0: no records to predict");
    if (mlp_workspace_check(scratch->ws, model->net, 1) != MLP_OK)
        return mlp_fail(d, MLP_ERR_WORKSPACE_MISMATCH, "scratch was made for a model of "
                        "another topology");
    size_t in = mlp_net_input_size(model->net), values;
    if (!mlp_mul_size(n, in, &values))
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "n (%zu) x %zu inputs overflows", n, in);
    if (mlp_all_finite(raw_rows, values)) return MLP_OK;
    for (size_t i = 0; i < values; i++)
        if (!mlp_is_finite(raw_rows[i]))
            return mlp_fail(d, MLP_ERR_NON_FINITE, "raw_rows: record %zu, input %zu is NaN or "
                            "infinite", i / in, i % in);
    return MLP_OK;
}

/* Scales rows [first, first + count) into the scratch and runs them forward into out (may
 * be NULL: then read from the workspace). Arguments already checked. */
mlp_status mlp_model_forward_chunk(const mlp_model *model, mlp_model_scratch *s,
                                   const float *raw_rows, size_t first, size_t count,
                                   float *out)
{
    mlp_status st = mlp_model_scale_chunk(model, s, raw_rows, first, count);
    if (st == MLP_OK) st = mlp_forward(model->net, s->ws, s->scaled, count, out);
    return st;
}

mlp_status mlp_model_scale_chunk(const mlp_model *model, mlp_model_scratch *s,
                                 const float *raw_rows, size_t first, size_t count)
{
    size_t in = mlp_net_input_size(model->net);
    memcpy(s->scaled, raw_rows + first * in, count * in * sizeof(float));
    return mlp_preprocess_apply_rows(model->pre, s->scaled, count, in);
}

mlp_status mlp_model_predict_with(const mlp_model *model, mlp_model_scratch *scratch,
                                  const float *raw_rows, size_t n, float *out)
{
    return mlp_model_predict_with_ex(model, scratch, raw_rows, n, out, NULL);
}

mlp_status mlp_model_predict_with_ex(const mlp_model *model, mlp_model_scratch *scratch,
                                     const float *raw_rows, size_t n, float *out,
                                     mlp_error_detail *detail)
{
    mlp_status st = check_call(model, scratch, raw_rows, n, out, "out", detail);
    size_t nl = st == MLP_OK ? mlp_net_output_size(model->net) : 0;
    for (size_t i = 0; st == MLP_OK && i < n; i += scratch->max_batch) {
        size_t count = n - i < scratch->max_batch ? n - i : scratch->max_batch;
        st = mlp_model_forward_chunk(model, scratch, raw_rows, i, count, out + i * nl);
    }
    return st;
}

static mlp_status check_classifier(const mlp_model *model, mlp_error_detail *d)
{
    if (!model) return mlp_fail(d, MLP_ERR_NULL_ARG, "model is NULL");
    if (mlp_preprocess_task(model->pre) != MLP_TASK_CLASSIFY)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "model is a regression model (its "
                        "preprocessing's task): use mlp_model_predict for its outputs");
    if (mlp_net_output_size(model->net) < 2)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "model has a single output: no classes to "
                        "choose between");
    return MLP_OK;
}

mlp_status mlp_model_classify_with(const mlp_model *model, mlp_model_scratch *scratch,
                                   const float *raw_rows, size_t n, size_t *classes)
{
    return mlp_model_classify_with_ex(model, scratch, raw_rows, n, classes, NULL, NULL);
}

mlp_status mlp_model_classify_with_ex(const mlp_model *model, mlp_model_scratch *scratch,
                                      const float *raw_rows, size_t n, size_t *classes,
                                      float *outputs, mlp_error_detail *detail)
{
    mlp_status st = check_call(model, scratch, raw_rows, n, classes, "classes", detail);
    if (st == MLP_OK) st = check_classifier(model, detail);
    size_t nl = st == MLP_OK ? mlp_net_output_size(model->net) : 0;
    for (size_t i = 0; st == MLP_OK && i < n; i += scratch->max_batch) {
        size_t count = n - i < scratch->max_batch ? n - i : scratch->max_batch;
        float *dst = outputs ? outputs + i * nl : NULL;
        st = mlp_model_forward_chunk(model, scratch, raw_rows, i, count, dst);
        const float *o = dst ? dst : mlp_workspace_output(scratch->ws);
        for (size_t r = 0; st == MLP_OK && r < count; r++) classes[i + r] = mlp_argmax(o + r * nl, nl);
    }
    return st;
}

/* The floats a scratch holds per record: the scaled copy and the input, every layer's
 * activations, the softmax logits (mlp_model_predict_ex's documented count). */
static size_t floats_per_record(const mlp_net *net)
{
    size_t L = mlp_net_layer_count(net), f = 2 * mlp_net_input_size(net);
    for (size_t l = 0; l < L; l++) f += mlp_net_size(net, l + 1);
    return f + mlp_net_output_size(net);
}

size_t mlp_model_predict_batch(const mlp_model *model, size_t n)
{
    if (!model || n == 0) return 1;
    size_t b = n < MLP_MODEL_PREDICT_CHUNK ? n : MLP_MODEL_PREDICT_CHUNK;
    size_t fit = MLP_MODEL_PREDICT_MEMORY / sizeof(float) / floats_per_record(model->net);
    return b < fit ? b : fit ? fit : 1;
}

/* A scratch for one call; NULL_ARG/INVALID_ARG first so that they win over NO_MEMORY. */
static mlp_status call_scratch(mlp_model_scratch **s, const mlp_model *model,
                               const float *raw_rows, size_t n, const void *out,
                               const char *out_name, mlp_error_detail *d)
{
    if (!model) return mlp_fail(d, MLP_ERR_NULL_ARG, "model is NULL");
    if (!raw_rows) return mlp_fail(d, MLP_ERR_NULL_ARG, "raw_rows is NULL");
    if (!out) return mlp_fail(d, MLP_ERR_NULL_ARG, "%s is NULL", out_name);
    if (n == 0) return mlp_fail(d, MLP_ERR_INVALID_ARG, "n is 0: no records to predict");
    mlp_status st = mlp_model_scratch_create_ex(s, model, mlp_model_predict_batch(model, n), d);
    /* Its float passes run from the model's packed weights where the model has them (from
     * its second call over the same parameters; without the memory, as before). The
     * scratch lives for this call only, while the model, and so the weights, cannot be
     * trained or freed. Kept scratches (mlp_model_predict_with) allocate nothing: they
     * take packed weights of their own from mlp_model_scratch_set_threads. */
    mlp_workspace *ws = st == MLP_OK ? (*s)->ws : NULL;
    size_t grew = 0;
    if (ws && mlp_workspace_precision(ws) == MLP_PRECISION_FP32 &&
        mlp_packed_share(&ws->packed, ws->shape, mlp_model_packed(model), ws->max_batch > 1,
                         &grew) == MLP_OK)
        ws->bytes += grew;
    return st;
}

mlp_status mlp_model_predict(const mlp_model *model, const float *raw_rows, size_t n,
                             float *out)
{
    return mlp_model_predict_ex(model, raw_rows, n, out, NULL);
}

mlp_status mlp_model_predict_ex(const mlp_model *model, const float *raw_rows, size_t n,
                                float *out, mlp_error_detail *detail)
{
    mlp_model_scratch *s = NULL;
    mlp_status st = call_scratch(&s, model, raw_rows, n, out, "out", detail);
    if (st == MLP_OK) st = mlp_model_predict_with_ex(model, s, raw_rows, n, out, detail);
    mlp_model_scratch_free(s);
    return st;
}

mlp_status mlp_model_classify(const mlp_model *model, const float *raw_rows, size_t n,
                              size_t *classes)
{
    return mlp_model_classify_ex(model, raw_rows, n, classes, NULL, NULL);
}

mlp_status mlp_model_classify_ex(const mlp_model *model, const float *raw_rows, size_t n,
                                 size_t *classes, float *outputs, mlp_error_detail *detail)
{
    mlp_status st = check_classifier(model, detail);
    mlp_model_scratch *s = NULL;
    if (st == MLP_OK) st = call_scratch(&s, model, raw_rows, n, classes, "classes", detail);
    if (st == MLP_OK)
        st = mlp_model_classify_with_ex(model, s, raw_rows, n, classes, outputs, detail);
    mlp_model_scratch_free(s);
    return st;
}
