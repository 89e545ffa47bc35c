/* Per-thread scratch: activations, deltas, gradient, dropout masks. */
#include "mlp_internal.h"
#include "packed.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static float *alloc_floats(size_t rows, size_t cols)
{
    size_t n;
    if (!mlp_mul_size(rows, cols, &n) || n > SIZE_MAX / sizeof(float)) return NULL;
    return mlp_mem_alloc((n ? n : 1) * sizeof(float));
}

/* Frees rows[0..L] and rows itself; NULL is a no-op. */
static void free_rows(float **rows, size_t L)
{
    if (!rows) return;
    for (size_t k = 0; k <= L; k++) mlp_mem_free(rows[k]);
    mlp_mem_free(rows);
}

/* L + 1 row pointers with a max_batch x n_k buffer for every hidden layer k = 1 .. L-1
 * (none when `hidden` is 0); NULL on allocation failure, with nothing leaked. */
static float **alloc_hidden_rows(const mlp_workspace *ws, int hidden)
{
    const size_t L = ws->shape->n_layers;
    float **rows = mlp_mem_calloc(L + 1, sizeof *rows);
    for (size_t k = 1; rows && hidden && k < L; k++) {
        rows[k] = alloc_floats(ws->max_batch, ws->shape->sizes[k]);
        if (!rows[k]) {
            free_rows(rows, L);
            rows = NULL;
        }
    }
    return rows;
}

void mlp_workspace_free(mlp_workspace *ws)
{
    if (!ws) return;
    mlp_ws_pool_free(ws->pool); /* joins the workers first */
    if (ws->z)
        for (size_t k = 0; k <= ws->shape->n_layers; k++) mlp_mem_free(ws->z[k]);
    free_rows(ws->mask, ws->shape->n_layers);
    free_rows(ws->undropped, ws->shape->n_layers);
    mlp_mem_free(ws->z);
    mlp_mem_free(ws->logits);
    mlp_mem_free(ws->delta);
    mlp_mem_free(ws->delta_prev);
    mlp_mem_free(ws->grad);
    mlp_one_record_plan_free(&ws->plan);
    mlp_bf16_free(ws->bf16);
    mlp_int8_scratch_free(ws->int8);
    mlp_packed_free(ws->packed);
    mlp_net_free(ws->shape);
    mlp_mem_free(ws);
}

/* A workspace for training (deltas, gradient) or for inference only (activations, and a
 * max_batch x n_0 buffer where mlp_forward copies inputs that lie in the outputs). */
static mlp_status workspace_create(mlp_workspace **out, const mlp_net *net, size_t max_batch,
                                   int training, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (max_batch == 0 || max_batch > INT_MAX) /* BLAS takes int sizes */
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "max_batch is %zu, outside [1, INT_MAX]",
                        max_batch);
    mlp_workspace *ws = mlp_mem_calloc(1, sizeof *ws);
    if (!ws) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the workspace");
    mlp_status st = mlp_net_create(&ws->shape, net->n_layers, net->sizes, net->activations,
                                   net->bias_mode);
    if (st != MLP_OK) {
        mlp_mem_free(ws);
        return mlp_fail(detail, st, "no memory for the workspace");
    }
    /* The shape keeps no parameters: only the topology is compared. */
    mlp_mem_free(ws->shape->params);
    ws->shape->params = NULL;

    size_t L = net->n_layers;
    ws->max_batch = max_batch;
    ws->training = training;
    ws->delta_count = max_batch * (training ? net->max_width : net->sizes[0]);
    ws->z = mlp_mem_calloc(L + 1, sizeof *ws->z);
    ws->mask = mlp_mem_calloc(L + 1, sizeof *ws->mask);
    ws->undropped = mlp_mem_calloc(L + 1, sizeof *ws->undropped);
    int ok = ws->z && ws->mask && ws->undropped;
    for (size_t k = 1; ok && k <= L; k++) ok = (ws->z[k] = alloc_floats(max_batch, net->sizes[k])) != NULL;
    ok = ok && (ws->logits = alloc_floats(max_batch, net->sizes[L]));
    ok = ok && (ws->delta = alloc_floats(ws->delta_count, 1));
    if (training) {
        ok = ok && (ws->delta_prev = alloc_floats(max_batch, net->max_width));
        ok = ok && (ws->grad = alloc_floats(net->param_count, 1));
    }
    ok = ok && mlp_one_record_plan_init(&ws->plan, L) == MLP_OK;
    if (!ok) {
        mlp_workspace_free(ws);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for a workspace of %zu records",
                        max_batch);
    }
    if (training) memset(ws->grad, 0, net->param_count * sizeof *ws->grad);
    size_t floats = ws->delta_count + max_batch * net->sizes[L]; /* delta, logits */
    for (size_t k = 1; k <= L; k++) floats += max_batch * net->sizes[k];
    if (training) floats += max_batch * net->max_width + net->param_count;
    ws->bytes = sizeof *ws + floats * sizeof(float) + 3 * (L + 1) * sizeof(float *);
    mlp_one_record_plan_update(ws);
    *out = ws;
    return MLP_OK;
}

mlp_status mlp_workspace_create(mlp_workspace **out, const mlp_net *net, size_t max_batch)
{
    return mlp_workspace_create_ex(out, net, max_batch, NULL);
}

mlp_status mlp_workspace_create_ex(mlp_workspace **out, const mlp_net *net, size_t max_batch,
                                   mlp_error_detail *detail)
{
    return workspace_create(out, net, max_batch, 1, detail);
}

mlp_status mlp_workspace_create_inference(mlp_workspace **out, const mlp_net *net,
                                          size_t max_batch)
{
    return mlp_workspace_create_inference_ex(out, net, max_batch, NULL);
}

/* A quantized net's inference workspaces start in int8: quantizing is asking for it. */
mlp_status mlp_workspace_create_inference_ex(mlp_workspace **out, const mlp_net *net,
                                             size_t max_batch, mlp_error_detail *detail)
{
    mlp_status st = workspace_create(out, net, max_batch, 0, detail);
    if (st == MLP_OK && mlp_int8_ready(net) &&
        (st = mlp_workspace_set_precision_ex(*out, MLP_PRECISION_INT8, detail)) != MLP_OK) {
        mlp_workspace_free(*out);
        *out = NULL;
    }
    return st;
}

size_t mlp_workspace_bytes(const mlp_workspace *ws) { return ws ? ws->bytes : 0; }

size_t mlp_workspace_max_batch(const mlp_workspace *ws) { return ws ? ws->max_batch : 0; }

mlp_status mlp_workspace_set_dropout(mlp_workspace *ws, float rate, uint64_t seed)
{
    return mlp_workspace_set_dropout_ex(ws, rate, seed, NULL);
}

mlp_status mlp_workspace_set_dropout_ex(mlp_workspace *ws, float rate, uint64_t seed,
                                        mlp_error_detail *detail)
{
    if (!ws) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ws is NULL");
    if (!mlp_is_finite(rate))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "rate is NaN or infinite");
    if (rate < 0.0f || rate >= 1.0f)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "rate is %g, outside [0, 1)", (double)rate);
    if (!ws->training)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ws is an inference workspace: dropout "
                        "needs one from mlp_workspace_create");
    /* Allocate everything first so that a failure leaves the old setting intact. */
    float **mask = alloc_hidden_rows(ws, rate > 0.0f);
    float **undropped = alloc_hidden_rows(ws, rate > 0.0f);
    if (!mask || !undropped) {
        free_rows(mask, ws->shape->n_layers);
        free_rows(undropped, ws->shape->n_layers);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the dropout masks");
    }
    free_rows(ws->mask, ws->shape->n_layers);
    free_rows(ws->undropped, ws->shape->n_layers);
    ws->mask = mask;
    ws->undropped = undropped;
    size_t hidden = 0; /* floats of one mask set */
    for (size_t k = 1; rate > 0.0f && k < ws->shape->n_layers; k++)
        hidden += ws->max_batch * ws->shape->sizes[k];
    ws->bytes = ws->bytes - ws->dropout_bytes + 2 * hidden * sizeof(float);
    ws->dropout_bytes = 2 * hidden * sizeof(float);
    ws->dropout = rate;
    mlp_rng_seed(&ws->dropout_rng, seed);
    return MLP_OK;
}

mlp_status mlp_precision_supported(mlp_precision precision, mlp_error_detail *detail)
{
    if ((unsigned)precision >= MLP_PRECISION_COUNT) return MLP_ERR_INVALID_ARG;
    /* int8 has a portable kernel: every build and CPU runs it (VNNI where there is one). */
    return precision == MLP_PRECISION_BF16 ? mlp_bf16_supported(detail) : MLP_OK;
}

mlp_status mlp_workspace_set_precision(mlp_workspace *ws, mlp_precision precision)
{
    return mlp_workspace_set_precision_ex(ws, precision, NULL);
}

mlp_status mlp_workspace_set_precision_ex(mlp_workspace *ws, mlp_precision precision,
                                          mlp_error_detail *detail)
{
    if (!ws) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ws is NULL");
    if ((unsigned)precision >= MLP_PRECISION_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "precision is %d, not an mlp_precision",
                        (int)precision);
    mlp_status st = mlp_precision_supported(precision, detail);
    if (st != MLP_OK) return st;
    if (precision == mlp_workspace_precision(ws)) return MLP_OK;
    if (precision == MLP_PRECISION_INT8 && ws->training)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ws is a training workspace: int8 runs "
                        "in one from mlp_workspace_create_inference");
    mlp_bf16 *b = NULL;
    mlp_int8_scratch *q = NULL;
    size_t bytes = 0;
    if (precision == MLP_PRECISION_BF16) st = mlp_bf16_create(&b, ws, &bytes);
    if (precision == MLP_PRECISION_INT8) st = mlp_int8_scratch_create(&q, ws, &bytes);
    if (st == MLP_ERR_NO_MEMORY)
        return mlp_fail(detail, st, "no memory for the workspace's %s state",
                        precision == MLP_PRECISION_BF16 ? "bf16" : "int8");
    if (st != MLP_OK)
        return mlp_fail(detail, st, "the net cannot run in %s",
                        precision == MLP_PRECISION_BF16 ? "bf16" : "int8");
    mlp_bf16_free(ws->bf16);
    mlp_int8_scratch_free(ws->int8);
    if (!ws->training && ws->int8 && !ws->packed) { /* the threads were for int8 alone */
        mlp_ws_pool_free(ws->pool);
        ws->pool = NULL;
        mlp_one_record_plan_update(ws);
    }
    ws->bf16 = b;
    ws->int8 = q;
    /* bf16_bytes: the share of whichever low-precision state the workspace holds */
    ws->bytes = ws->bytes - ws->bf16_bytes + bytes;
    ws->bf16_bytes = bytes;
    return MLP_OK;
}

mlp_precision mlp_workspace_precision(const mlp_workspace *ws)
{
    return !ws ? MLP_PRECISION_FP32 : ws->bf16 ? MLP_PRECISION_BF16
                 : ws->int8 ? MLP_PRECISION_INT8 : MLP_PRECISION_FP32;
}

const float *mlp_workspace_output(const mlp_workspace *ws) { return ws ? ws->last_output : NULL; }
float *mlp_workspace_gradient(mlp_workspace *ws) { return ws ? ws->grad : NULL; }

/* [p, p + bytes) meets [buf, buf + count floats); NULL buffers meet nothing. */
static int meets(const void *p, size_t bytes, const float *buf, size_t count)
{
    if (!p || !buf || bytes == 0 || count == 0) return 0;
    const uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
    return a < b + count * sizeof *buf && b < a + bytes;
}

int mlp_workspace_overlaps(const mlp_workspace *ws, const void *p, size_t bytes, int which)
{
    const mlp_net *shape = ws->shape;
    const size_t L = shape->n_layers, B = ws->max_batch;
    int hit = meets(p, bytes, ws->logits, B * shape->sizes[L]);
    for (size_t k = 1; k <= L; k++) {
        hit |= meets(p, bytes, ws->z[k], B * shape->sizes[k]);
        if (which == MLP_WS_ALL && k < L)
            hit |= meets(p, bytes, ws->mask[k], B * shape->sizes[k]) |
                   meets(p, bytes, ws->undropped[k], B * shape->sizes[k]);
    }
    if (which == MLP_WS_ALL)
        hit |= meets(p, bytes, ws->delta, ws->delta_count) |
               meets(p, bytes, ws->delta_prev, B * shape->max_width) |
               meets(p, bytes, ws->grad, shape->param_count);
    return hit;
}

mlp_status mlp_workspace_check(const mlp_workspace *ws, const mlp_net *net, size_t batch)
{
    if (!mlp_net_same_topology(ws->shape, net)) return MLP_ERR_WORKSPACE_MISMATCH;
    if (batch == 0) return MLP_ERR_INVALID_ARG;
    if (batch > ws->max_batch) return MLP_ERR_BATCH_TOO_LARGE;
    if (ws->int8 && !mlp_int8_ready(net)) return MLP_ERR_STATE; /* none, or stale */
    return MLP_OK;
}

/* The checks are made here, with their messages, and again by the base call (in the bf16
 * layer rule), which stays the plain setter. */
mlp_status mlp_workspace_set_layer_precision_ex(mlp_workspace *ws, size_t layer,
                                                mlp_precision precision,
                                                mlp_error_detail *detail)
{
    if (!ws) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ws is NULL");
    if (layer >= ws->shape->n_layers)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "layer is %zu, but the net has %zu weight "
                        "layers", layer, ws->shape->n_layers);
    if (precision != MLP_PRECISION_BF16 && precision != MLP_PRECISION_FP32)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "precision is %d: a layer of a bf16 "
                        "workspace runs in MLP_PRECISION_BF16 or MLP_PRECISION_FP32",
                        (int)precision);
    if (!ws->bf16)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ws does not run in bf16: set its "
                        "precision to MLP_PRECISION_BF16 first");
    return mlp_workspace_set_layer_precision(ws, layer, precision);
}
