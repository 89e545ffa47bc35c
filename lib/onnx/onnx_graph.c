/* ONNX tensors and node labels: the values of initializers, checked against their dims. */
#include "onnx_internal.h"

#include <stdio.h>
#include <string.h>

const char *mlp_onnx_node_label(const Onnx__NodeProto *node, size_t index, char *buf,
                                size_t len)
{
    const char *op = node->op_type ? node->op_type : "";
    if (node->name && node->name[0])
        snprintf(buf, len, "node \"%.80s\" (op %.40s)", node->name, op);
    else
        snprintf(buf, len, "node #%zu (op %.40s)", index, op);
    return buf;
}

mlp_status mlp_onnx_tensor_count(const Onnx__TensorProto *t, const char *name, size_t *count,
                                 mlp_error_detail *detail)
{
    size_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0)
            return mlp_fail(detail, MLP_ERR_FORMAT, "onnx: tensor \"%.80s\": negative dimension",
                            name);
        if ((uint64_t)t->dims[i] > SIZE_MAX || !mlp_mul_size(n, (size_t)t->dims[i], &n))
            return mlp_fail(detail, MLP_ERR_FORMAT,
                            "onnx: tensor \"%.80s\": dimensions too large", name);
    }
    *count = n;
    return MLP_OK;
}

/* The checks both value readers share: stored here, of this type, with count elements. */
static mlp_status check_tensor(const Onnx__TensorProto *t, const char *name, int type,
                               const char *type_name, size_t *count, mlp_error_detail *detail)
{
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: tensor \"%.80s\": external data is not supported", name);
    if (t->segment)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: tensor \"%.80s\": segmented tensors are not supported", name);
    if (!t->has_data_type || t->data_type != type)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: tensor \"%.80s\": element type %d, expected %s", name,
                        t->has_data_type ? (int)t->data_type : 0, type_name);
    return mlp_onnx_tensor_count(t, name, count, detail);
}

mlp_status mlp_onnx_tensor_floats(const Onnx__TensorProto *t, const char *name, float **out,
                                  size_t *count, mlp_error_detail *detail)
{
    size_t n = 0;
    mlp_status st = check_tensor(t, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, "float (1)",
                                 &n, detail);
    if (st != MLP_OK) return st;
    int raw = t->has_raw_data && t->raw_data.len > 0;
    size_t have = raw ? t->raw_data.len / 4 : t->n_float_data;
    if ((raw && t->raw_data.len % 4) || have != n)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: tensor \"%.80s\": %zu values for dimensions of %zu", name, have, n);
    float *v = mlp_mem_alloc(n ? n * sizeof(float) : 1);
    if (!v) return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        if (raw) { /* little-endian in the file, whatever the host */
            const uint8_t *b = t->raw_data.data + 4 * i;
            uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                         (uint32_t)b[3] << 24;
            memcpy(&v[i], &u, sizeof u);
        } else {
            v[i] = t->float_data[i];
        }
        if (!mlp_is_finite(v[i])) {
            mlp_mem_free(v);
            return mlp_fail(detail, MLP_ERR_FORMAT,
                            "onnx: tensor \"%.80s\": value %zu is NaN or infinite", name, i);
        }
    }
    *out = v;
    *count = n;
    return MLP_OK;
}

mlp_status mlp_onnx_tensor_ints(const Onnx__TensorProto *t, const char *name, int64_t *out,
                                size_t cap, size_t *count, mlp_error_detail *detail)
{
    size_t n = 0;
    mlp_status st = check_tensor(t, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, "int64 (7)", &n,
                                 detail);
    if (st != MLP_OK) return st;
    int raw = t->has_raw_data && t->raw_data.len > 0;
    size_t have = raw ? t->raw_data.len / 8 : t->n_int64_data;
    if ((raw && t->raw_data.len % 8) || have != n)
        return mlp_fail(detail, MLP_ERR_FORMAT,
                        "onnx: tensor \"%.80s\": %zu values for dimensions of %zu", name, have, n);
    if (n > cap)
        return mlp_fail(detail, MLP_ERR_FORMAT, "onnx: tensor \"%.80s\": %zu values, at most %zu",
                        name, n, cap);
    for (size_t i = 0; i < n; i++) {
        if (raw) {
            uint64_t u = 0;
            for (int k = 7; k >= 0; k--) u = u << 8 | t->raw_data.data[8 * i + (size_t)k];
            memcpy(&out[i], &u, sizeof u);
        } else {
            out[i] = t->int64_data[i];
        }
    }
    *count = n;
    return MLP_OK;
}
