/* What each ONNX node of an MLP chain does to the layers being imported: Gemm and MatMul
 * open a layer, Add gives it a bias, an activation closes it; Flatten, Reshape, Sub, Mul and
 * Div act on the input before the first layer. Constants are initializers, Constant nodes or
 * a Transpose of one. */
#include "onnx_import.h"

#include <stdio.h>
#include <string.h>

/* An initializer or a Constant node's value named name; NULL when neither. */
static const Onnx__TensorProto *find_const(const importer *im, const char *name)
{
    const Onnx__GraphProto *g = im->g;
    for (size_t i = 0; i < g->n_initializer; i++)
        if (strcmp(str(g->initializer[i]->name), name) == 0) return g->initializer[i];
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        if (strcmp(str(n->op_type), "Constant") || n->n_output != 1 || n->n_attribute != 1 ||
            strcmp(str(n->output[0]), name))
            continue;
        const Onnx__AttributeProto *a = n->attribute[0];
        if (strcmp(str(a->name), "value") == 0 && a->t) return a->t;
    }
    return NULL;
}

static const Onnx__AttributeProto *attr_find(const Onnx__NodeProto *node, const char *name)
{
    for (size_t i = 0; i < node->n_attribute; i++)
        if (strcmp(str(node->attribute[i]->name), name) == 0) return node->attribute[i];
    return NULL;
}

/* Every attribute of node is one of allowed (NULL-terminated). */
static mlp_status attrs_allowed(importer *im, const Onnx__NodeProto *node,
                                const char *const *allowed)
{
    for (size_t i = 0; i < node->n_attribute; i++) {
        const char *name = str(node->attribute[i]->name);
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, name) == 0;
        if (!ok) return FAIL(im, "onnx: %s: attribute \"%.60s\" is not supported", im->lbl, name);
    }
    return MLP_OK;
}

static mlp_status attr_int(importer *im, const Onnx__NodeProto *node, const char *name,
                           int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = attr_find(node, name);
    if (!a) {
        *out = def;
        return MLP_OK;
    }
    if (!a->has_i || (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT))
        return FAIL(im, "onnx: %s: attribute \"%s\" is not an integer", im->lbl, name);
    *out = a->i;
    return MLP_OK;
}

static mlp_status attr_float(importer *im, const Onnx__NodeProto *node, const char *name,
                             float def, float *out)
{
    const Onnx__AttributeProto *a = attr_find(node, name);
    if (!a) {
        *out = def;
        return MLP_OK;
    }
    if (!a->has_f || (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT))
        return FAIL(im, "onnx: %s: attribute \"%s\" is not a float", im->lbl, name);
    if (!mlp_is_finite(a->f))
        return FAIL(im, "onnx: %s: attribute \"%s\" is NaN or infinite", im->lbl, name);
    *out = a->f;
    return MLP_OK;
}

/* Transpose(constant) -> w, as torch.onnx.export writes without constant folding: the
 * constant's values transposed, with the shape in im->transposed. */
static mlp_status read_transpose(importer *im, size_t k, float **v, size_t *n,
                                 const Onnx__TensorProto **t)
{
    const Onnx__NodeProto *node = im->g->node[k];
    const Onnx__TensorProto *src = node->n_input == 1 ? find_const(im, str(node->input[0])) : NULL;
    const Onnx__AttributeProto *perm = attr_find(node, "perm");
    mlp_status st = attrs_allowed(im, node, (const char *const[]){"perm", NULL});
    if (st != MLP_OK) return st;
    if (!src || src->n_dims != 2 ||
        (perm && (perm->n_ints != 2 || perm->ints[0] != 1 || perm->ints[1] != 0)))
        return FAIL(im, "onnx: %s: its input is a Transpose that is not of a 2-d constant",
                    im->lbl);
    float *a;
    if ((st = mlp_onnx_tensor_floats(src, str(node->input[0]), &a, n, im->detail)) != MLP_OK)
        return st;
    size_t rows = (size_t)src->dims[0], cols = (size_t)src->dims[1];
    float *b = mlp_mem_alloc(*n ? *n * sizeof(float) : 1);
    if (!b) {
        mlp_mem_free(a);
        return MLP_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) b[j * rows + i] = a[i * cols + j];
    mlp_mem_free(a);
    onnx__tensor_proto__init(&im->transposed);
    im->transposed_dims[0] = (int64_t)cols;
    im->transposed_dims[1] = (int64_t)rows;
    im->transposed.n_dims = 2;
    im->transposed.dims = im->transposed_dims;
    im->seen[k] = 1;
    *v = b;
    *t = &im->transposed;
    return MLP_OK;
}

/* The floats of the constant input `name` of the node being read. */
static mlp_status const_floats(importer *im, const char *name, float **v, size_t *n,
                               const Onnx__TensorProto **t)
{
    *t = find_const(im, name);
    if (*t) return mlp_onnx_tensor_floats(*t, name, v, n, im->detail);
    for (size_t k = 0; k < im->g->n_node; k++) {
        const Onnx__NodeProto *p = im->g->node[k];
        if (strcmp(str(p->op_type), "Transpose") == 0 && p->n_output == 1 &&
            strcmp(str(p->output[0]), name) == 0)
            return read_transpose(im, k, v, n, t);
    }
    return FAIL(im, "onnx: %s: input \"%.80s\" is neither the previous result nor a "
                    "constant (a branch or a merge: not an MLP chain)", im->lbl, name);
}

static layer *open_layer(importer *im)
{
    return im->n_layers && !im->layers[im->n_layers - 1].closed ? &im->layers[im->n_layers - 1]
                                                                 : NULL;
}

/* A new layer from weights v, stored (n_out x n_in) when rows_out, else (n_in x n_out). */
static mlp_status add_layer(importer *im, float *v, size_t rows, size_t cols, int rows_out,
                            float alpha)
{
    size_t n_out = rows_out ? rows : cols, n_in = rows_out ? cols : rows;
    if (im->ended) return FAIL(im, "onnx: %s: a layer after the softmax", im->lbl);
    if (!im->flat)
        return FAIL(im, "onnx: %s: the input has rank %zu: Flatten or Reshape it to (batch, "
                        "features) first", im->lbl, im->input_rank);
    if (im->width && im->width != n_in)
        return FAIL(im, "onnx: %s: weights for %zu inputs, the previous result has %zu",
                    im->lbl, n_in, im->width);
    if (n_in == 0 || n_out == 0) return FAIL(im, "onnx: %s: empty weights", im->lbl);
    layer *open = open_layer(im);
    if (open) { /* a layer followed by a layer: the first one is linear */
        open->act = MLP_ACT_LINEAR;
        open->closed = 1;
    }
    float *w = mlp_mem_alloc(n_out * n_in * sizeof(float));
    if (!w) return MLP_ERR_NO_MEMORY;
    for (size_t j = 0; j < n_out; j++)
        for (size_t i = 0; i < n_in; i++) {
            w[j * n_in + i] = alpha * (rows_out ? v[j * n_in + i] : v[i * n_out + j]);
            if (!mlp_is_finite(w[j * n_in + i])) {
                mlp_mem_free(w);
                return FAIL(im, "onnx: %s: alpha times a weight is infinite", im->lbl);
            }
        }
    im->layers[im->n_layers++] = (layer){.w = w, .n_in = n_in, .n_out = n_out};
    im->width = n_out;
    return MLP_OK;
}

/* Adds beta * c (n_out values, or one broadcast) to the open layer's bias. */
static mlp_status add_bias(importer *im, const Onnx__TensorProto *t, const float *c, size_t n,
                           float beta)
{
    layer *l = open_layer(im);
    int per_neuron = n == l->n_out && (t->n_dims == 1 || (t->n_dims == 2 && t->dims[0] == 1));
    if (n != 1 && !per_neuron)
        return FAIL(im, "onnx: %s: a bias of %zu values in %zu dimensions for %zu neurons",
                    im->lbl, n, t->n_dims, l->n_out);
    if (!l->b && !(l->b = mlp_mem_calloc(l->n_out, sizeof(float)))) return MLP_ERR_NO_MEMORY;
    for (size_t j = 0; j < l->n_out; j++) {
        l->b[j] += beta * c[n == 1 ? 0 : j];
        if (!mlp_is_finite(l->b[j]))
            return FAIL(im, "onnx: %s: beta times a bias is infinite", im->lbl);
    }
    return MLP_OK;
}

static mlp_status op_gemm(importer *im, const Onnx__NodeProto *node)
{
    static const char *const allowed[] = {"alpha", "beta", "transA", "transB", NULL};
    int64_t trans_a, trans_b;
    float alpha, beta;
    mlp_status st = attrs_allowed(im, node, allowed);
    if (st == MLP_OK) st = attr_int(im, node, "transA", 0, &trans_a);
    if (st == MLP_OK) st = attr_int(im, node, "transB", 0, &trans_b);
    if (st == MLP_OK) st = attr_float(im, node, "alpha", 1.0f, &alpha);
    if (st == MLP_OK) st = attr_float(im, node, "beta", 1.0f, &beta);
    if (st != MLP_OK) return st;
    if (trans_a != 0)
        return FAIL(im, "onnx: %s: transA = %lld transposes the batch, not an MLP layer",
                    im->lbl, (long long)trans_a);
    if (node->n_input < 2) return FAIL(im, "onnx: %s: no weights", im->lbl);
    float *v = NULL, *c = NULL;
    size_t n, nc;
    const Onnx__TensorProto *t, *tc;
    if ((st = const_floats(im, node->input[1], &v, &n, &t)) != MLP_OK) return st;
    if (t->n_dims != 2)
        st = FAIL(im, "onnx: %s: weights of rank %zu, expected 2", im->lbl, t->n_dims);
    if (st == MLP_OK)
        st = add_layer(im, v, (size_t)t->dims[0], (size_t)t->dims[1], trans_b != 0, alpha);
    mlp_mem_free(v);
    if (st != MLP_OK || node->n_input < 3 || !node->input[2] || !node->input[2][0]) return st;
    if ((st = const_floats(im, node->input[2], &c, &nc, &tc)) != MLP_OK) return st;
    if (beta != 0.0f) st = add_bias(im, tc, c, nc, beta);
    mlp_mem_free(c);
    return st;
}

static mlp_status op_matmul(importer *im, const Onnx__NodeProto *node)
{
    float *v;
    size_t n;
    const Onnx__TensorProto *t;
    mlp_status st = attrs_allowed(im, node, (const char *const[]){NULL});
    if (st == MLP_OK) st = const_floats(im, node->input[1], &v, &n, &t);
    if (st != MLP_OK) return st;
    if (t->n_dims != 2)
        st = FAIL(im, "onnx: %s: weights of rank %zu, expected 2", im->lbl, t->n_dims);
    else
        st = add_layer(im, v, (size_t)t->dims[0], (size_t)t->dims[1], 0, 1.0f);
    mlp_mem_free(v);
    return st;
}

static mlp_status op_add(importer *im, const Onnx__NodeProto *node, size_t pos)
{
    if (!open_layer(im))
        return FAIL(im, "onnx: %s: an Add that does not follow a MatMul or Gemm", im->lbl);
    float *c;
    size_t n;
    const Onnx__TensorProto *t;
    mlp_status st = attrs_allowed(im, node, (const char *const[]){NULL});
    if (st == MLP_OK) st = const_floats(im, node->input[1 - pos], &c, &n, &t);
    if (st != MLP_OK) return st;
    st = add_bias(im, t, c, n, 1.0f);
    mlp_mem_free(c);
    return st;
}

static mlp_status op_activation(importer *im, const Onnx__NodeProto *node, const char *op)
{
    layer *l = open_layer(im);
    if (!l)
        return FAIL(im, "onnx: %s: an activation that does not follow a MatMul or Gemm "
                        "(libmlp has one activation per layer)", im->lbl);
    mlp_status st;
    if (strcmp(op, "LeakyRelu") == 0) {
        float alpha;
        st = attrs_allowed(im, node, (const char *const[]){"alpha", NULL});
        if (st == MLP_OK) st = attr_float(im, node, "alpha", 0.01f, &alpha);
        if (st != MLP_OK) return st;
        if (alpha != MLP_LEAKY_RELU_SLOPE)
            return FAIL(im, "onnx: %s: alpha %g; libmlp's leaky ReLU has slope %g", im->lbl,
                        (double)alpha, (double)MLP_LEAKY_RELU_SLOPE);
        l->act = MLP_ACT_LEAKY_RELU;
    } else if (strcmp(op, "Softmax") == 0 || strcmp(op, "LogSoftmax") == 0) {
        int64_t axis;
        st = attrs_allowed(im, node, (const char *const[]){"axis", NULL});
        if (st == MLP_OK) st = attr_int(im, node, "axis", im->opset >= 13 ? -1 : 1, &axis);
        if (st != MLP_OK) return st;
        if (axis != 1 && axis != -1)
            return FAIL(im, "onnx: %s: axis %lld; libmlp's softmax runs over the features "
                            "(axis 1)", im->lbl, (long long)axis);
        l->act = MLP_ACT_SOFTMAX;
        im->ended = 1;
    } else {
        if ((st = attrs_allowed(im, node, (const char *const[]){NULL})) != MLP_OK) return st;
        l->act = strcmp(op, "Relu") == 0      ? MLP_ACT_RELU
                 : strcmp(op, "Sigmoid") == 0 ? MLP_ACT_SIGMOID
                                              : MLP_ACT_TANH;
    }
    l->closed = 1;
    return MLP_OK;
}

/* Flatten or Reshape of the input to (batch, features). */
static mlp_status op_flatten(importer *im, const Onnx__NodeProto *node, int reshape)
{
    if (im->n_layers)
        return FAIL(im, "onnx: %s: a reshape between layers is not supported", im->lbl);
    size_t total = im->width;
    if (!total)
        return FAIL(im, "onnx: %s: the graph input's shape is unknown", im->lbl);
    mlp_status st;
    if (!reshape) {
        int64_t axis;
        st = attrs_allowed(im, node, (const char *const[]){"axis", NULL});
        if (st == MLP_OK) st = attr_int(im, node, "axis", 1, &axis);
        if (st != MLP_OK) return st;
        if (axis != 1 && !(axis == -1 && im->input_rank == 2))
            return FAIL(im, "onnx: %s: axis %lld; only axis 1 keeps the batch", im->lbl,
                        (long long)axis);
    } else {
        int64_t allow_zero, s[2];
        size_t n;
        st = attrs_allowed(im, node, (const char *const[]){"allowzero", NULL});
        if (st == MLP_OK) st = attr_int(im, node, "allowzero", 0, &allow_zero);
        if (st != MLP_OK) return st;
        const Onnx__TensorProto *t = node->n_input == 2 ? find_const(im, node->input[1]) : NULL;
        if (!t) return FAIL(im, "onnx: %s: the shape is not a constant", im->lbl);
        if ((st = mlp_onnx_tensor_ints(t, str(node->input[1]), s, 2, &n, im->detail)) != MLP_OK)
            return st;
        int keeps_batch = (s[0] == -1 || (s[0] == 0 && !allow_zero));
        if (n != 2 || !((keeps_batch && (uint64_t)s[1] == total) ||
                        (s[0] == 0 && !allow_zero && s[1] == -1)))
            return FAIL(im, "onnx: %s: a shape other than (batch, %zu)", im->lbl, total);
    }
    im->flat = 1;
    return MLP_OK;
}

/* Sub (offset), then Mul or Div (scale), before the first layer: the model's scaling. */
static mlp_status op_scaling(importer *im, const Onnx__NodeProto *node, const char *op,
                             size_t pos)
{
    if (im->n_layers || !im->flat || !im->width)
        return FAIL(im, "onnx: %s: only the input, as (batch, features), may be scaled",
                    im->lbl);
    int sub = strcmp(op, "Sub") == 0, div = strcmp(op, "Div") == 0;
    float **dst = sub ? &im->offset : &im->scale;
    if (sub && im->scale) return FAIL(im, "onnx: %s: Sub after Mul or Div", im->lbl);
    if (*dst) return FAIL(im, "onnx: %s: the input is scaled twice", im->lbl);
    if ((sub || div) && pos != 0)
        return FAIL(im, "onnx: %s: the constant is the first operand", im->lbl);
    float *c;
    size_t n;
    const Onnx__TensorProto *t;
    mlp_status st = attrs_allowed(im, node, (const char *const[]){NULL});
    if (st == MLP_OK) st = const_floats(im, node->input[1 - pos], &c, &n, &t);
    if (st != MLP_OK) return st;
    if (n != 1 && n != im->width)
        st = FAIL(im, "onnx: %s: %zu values for %zu features", im->lbl, n, im->width);
    else if (!(*dst = mlp_mem_alloc(im->width * sizeof(float))))
        st = MLP_ERR_NO_MEMORY;
    for (size_t j = 0; st == MLP_OK && j < im->width; j++) {
        float v = c[n == 1 ? 0 : j];
        if (div) v = 1.0f / v; /* x / c as x * (1 / c): within an ulp */
        if (!mlp_is_finite(v)) st = FAIL(im, "onnx: %s: division by zero", im->lbl);
        (*dst)[j] = v;
    }
    mlp_mem_free(c);
    return st;
}

mlp_status mlp_onnx_read_node(importer *im, const Onnx__NodeProto *node, size_t pos)
{
    const char *op = str(node->op_type), *domain = str(node->domain);
    if (domain[0] && strcmp(domain, "ai.onnx"))
        return FAIL(im, "onnx: %s: operator domain \"%.60s\" is not supported", im->lbl, domain);
    if (node->n_output != 1 || !node->output[0] || !node->output[0][0])
        return FAIL(im, "onnx: %s: %zu outputs, expected 1", im->lbl, node->n_output);
    size_t n_in = node->n_input;
    int unary = n_in == 1 && pos == 0, binary = n_in == 2 && pos <= 1;
    if (strcmp(op, "Identity") == 0 && unary)
        return attrs_allowed(im, node, (const char *const[]){NULL});
    if (strcmp(op, "Gemm") == 0 && pos == 0 && (n_in == 2 || n_in == 3))
        return op_gemm(im, node);
    if (strcmp(op, "MatMul") == 0 && binary && pos == 0) return op_matmul(im, node);
    if (strcmp(op, "Add") == 0 && binary) return op_add(im, node, pos);
    if ((strcmp(op, "Sub") == 0 || strcmp(op, "Mul") == 0 || strcmp(op, "Div") == 0) && binary)
        return op_scaling(im, node, op, pos);
    if (strcmp(op, "Flatten") == 0 && unary) return op_flatten(im, node, 0);
    if (strcmp(op, "Reshape") == 0 && binary && pos == 0) return op_flatten(im, node, 1);
    static const char *const activations[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh",
                                              "Softmax", "LogSoftmax"};
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if (strcmp(op, activations[i]) == 0 && unary) return op_activation(im, node, op);
    for (size_t i = 0; i < sizeof activations / sizeof activations[0]; i++)
        if (strcmp(op, activations[i]) == 0)
            return FAIL(im, "onnx: %s: %zu inputs", im->lbl, n_in);
    return FAIL(im, "onnx: %s: operator not supported (libmlp imports Gemm, MatMul, Add, Relu, "
                    "LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax, Flatten, Reshape, Identity, "
                    "and Sub, Mul, Div of the input)", im->lbl);
}

