/* ONNX -> model: follows the graph from its one input to its one output, node by node, and
 * maps each node onto the net's layers (a Gemm or MatMul opens a layer, Add gives it a bias,
 * an activation closes it) or onto the input scaling. Whatever does not fit that chain is
 * refused with the node and the operator named: the import never guesses. */
#include "onnx_import.h"

#include <stdio.h>
#include <string.h>

/* Follows the chain from input to output: each tensor feeds exactly one node. */
static mlp_status walk(importer *im, const char *input, const char *output, unsigned char *seen)
{
    const Onnx__GraphProto *g = im->g;
    const char *cur = input;
    char lbl[160];
    for (;;) {
        size_t k = 0, pos = 0, users = 0;
        for (size_t i = 0; i < g->n_node; i++) {
            const Onnx__NodeProto *n = g->node[i];
            size_t hits = 0, at = 0;
            for (size_t j = 0; j < n->n_input; j++)
                if (n->input[j] && strcmp(n->input[j], cur) == 0) hits++, at = j;
            if (hits > 1) {
                im->lbl = mlp_onnx_node_label(n, i, lbl, sizeof lbl);
                return FAIL(im, "onnx: %s: reads \"%.80s\" twice", im->lbl, cur);
            }
            if (hits && users++ == 0) k = i, pos = at;
        }
        int is_output = strcmp(cur, output) == 0;
        if (users == 0 && is_output) return MLP_OK;
        if (users == 0)
            return FAIL(im, "onnx: tensor \"%.80s\" feeds no node and is not the graph output",
                        cur);
        im->lbl = mlp_onnx_node_label(g->node[k], k, lbl, sizeof lbl);
        if (is_output)
            return FAIL(im, "onnx: the graph output \"%.80s\" also feeds %s", cur, im->lbl);
        if (users > 1)
            return FAIL(im, "onnx: tensor \"%.80s\" feeds %zu nodes, %s the first: a branch, "
                            "not an MLP chain", cur, users, im->lbl);
        if (seen[k]) return FAIL(im, "onnx: %s: the graph has a cycle", im->lbl);
        seen[k] = 1;
        mlp_status st = mlp_onnx_read_node(im, g->node[k], pos);
        if (st != MLP_OK) return st;
        cur = g->node[k]->output[0];
    }
}

/* Element type and shape of a graph input or output: float, (batch, ...) when given. */
static mlp_status read_value_info(importer *im, const Onnx__ValueInfoProto *v, int is_input)
{
    const char *what = is_input ? "input" : "output";
    const Onnx__TypeProto *t = v->type;
    if (!t) return MLP_OK; /* no type given: the nodes decide */
    if (t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
        return FAIL(im, "onnx: the graph %s \"%.80s\" is not a tensor", what, str(v->name));
    const Onnx__TypeProto__Tensor *tt = t->tensor_type;
    if (tt->has_elem_type && tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return FAIL(im, "onnx: the graph %s \"%.80s\" has element type %d; libmlp reads float "
                        "(1)", what, str(v->name), (int)tt->elem_type);
    if (!is_input || !tt->shape) return MLP_OK;
    const Onnx__TensorShapeProto *s = tt->shape;
    if (s->n_dim < 2)
        return FAIL(im, "onnx: the graph input \"%.80s\" has rank %zu; libmlp reads (batch, "
                        "features)", str(v->name), s->n_dim);
    size_t width = 1;
    for (size_t i = 1; i < s->n_dim && width; i++) {
        const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
        int known = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (known && (d->dim_value <= 0 || (uint64_t)d->dim_value > UINT32_MAX ||
                      !mlp_mul_size(width, (size_t)d->dim_value, &width)))
            return FAIL(im, "onnx: the graph input \"%.80s\": dimension %zu out of range",
                        str(v->name), i);
        if (!known) width = 0;
    }
    im->input_rank = s->n_dim;
    im->width = width;
    im->flat = s->n_dim == 2;
    return MLP_OK;
}

/* The file's input scaling (Sub, Mul/Div) on pre; the part the file left out is the
 * identity. Shown as STANDARD scaling: (x - offset) * scale. */
static mlp_status set_scaling(importer *im, mlp_preprocess *pre, size_t n)
{
    if (!im->offset && !im->scale) return MLP_OK;
    float *off = im->offset ? im->offset : mlp_mem_calloc(n, sizeof(float));
    float *sc = im->scale ? im->scale : mlp_mem_alloc(n * sizeof(float));
    mlp_status st = off && sc ? MLP_OK : MLP_ERR_NO_MEMORY;
    if (st == MLP_OK && !im->scale)
        for (size_t j = 0; j < n; j++) sc[j] = 1.0f;
    if (st == MLP_OK) st = mlp_preprocess_set_scaling(pre, MLP_SCALE_STANDARD, off, sc);
    if (off != im->offset) mlp_mem_free(off);
    if (sc != im->scale) mlp_mem_free(sc);
    return st;
}

/* The net, the scaling and an optimizer, as one model. */
static mlp_status build(importer *im, mlp_model **out)
{
    size_t L = im->n_layers;
    size_t *sizes = mlp_mem_calloc(L + 1, sizeof *sizes);
    mlp_activation *acts = mlp_mem_calloc(L, sizeof *acts);
    mlp_net *net = NULL;
    mlp_preprocess *pre = NULL;
    mlp_optimizer *opt = NULL;
    mlp_status st = sizes && acts ? MLP_OK : MLP_ERR_NO_MEMORY;
    int bias = 0;
    if (st == MLP_OK) {
        sizes[0] = im->layers[0].n_in;
        for (size_t k = 0; k < L; k++) {
            sizes[k + 1] = im->layers[k].n_out;
            acts[k] = im->layers[k].act;
            bias |= im->layers[k].b != NULL;
        }
        /* Layers without a bias in a net with some get zeros (trainable from then on). */
        st = mlp_net_create(&net, L, sizes, acts, bias ? MLP_BIAS_PER_NEURON : MLP_BIAS_NONE);
    }
    for (size_t k = 0; st == MLP_OK && k < L; k++) {
        const layer *l = &im->layers[k];
        float *p = mlp_net_params(net);
        memcpy(p + mlp_net_weights_offset(net, k), l->w, l->n_out * l->n_in * sizeof(float));
        if (l->b) memcpy(p + mlp_net_bias_offset(net, k), l->b, l->n_out * sizeof(float));
    }
    if (st == MLP_OK) st = mlp_preprocess_create(&pre, sizes[0]);
    if (st == MLP_OK) st = set_scaling(im, pre, sizes[0]);
    if (st == MLP_OK)
        st = mlp_preprocess_set_label_info(pre, im->ended ? MLP_TASK_CLASSIFY : MLP_TASK_REGRESS,
                                           NULL, -1, 0, NULL);
    if (st == MLP_OK) { /* so that mlp_model_train can go on training it */
        mlp_model_config cfg = mlp_model_config_default();
        st = mlp_optimizer_create(&opt, net, &cfg.optimizer);
    }
    if (st == MLP_OK) st = mlp_model_create(out, net, pre, opt);
    if (st != MLP_OK) {
        mlp_optimizer_free(opt);
        mlp_preprocess_free(pre);
        mlp_net_free(net);
    }
    mlp_mem_free(sizes);
    mlp_mem_free(acts);
    return st;
}

/* The default domain's opset, the graph's one input and output, the chain between them. */
static mlp_status import_model(const Onnx__ModelProto *m, importer *im, mlp_model **out)
{
    const Onnx__GraphProto *g = m->graph;
    if (!g) return FAIL(im, "onnx: the file holds no graph (not an ONNX model)");
    im->g = g;
    im->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = str(m->opset_import[i]->domain);
        if (!d[0] || strcmp(d, "ai.onnx") == 0)
            im->opset = m->opset_import[i]->has_version ? m->opset_import[i]->version : -1;
    }
    if (im->opset < MLP_ONNX_MIN_OPSET || im->opset > MLP_ONNX_MAX_OPSET)
        return FAIL(im, "onnx: opset %lld of the default domain; libmlp reads opsets %d to %d",
                    (long long)im->opset, MLP_ONNX_MIN_OPSET, MLP_ONNX_MAX_OPSET);
    size_t inputs = 0;
    for (size_t i = 0; i < g->n_node; i++) inputs += g->node[i]->n_input;
    if (g->n_node > MLP_ONNX_MAX_ITEMS || g->n_initializer > MLP_ONNX_MAX_ITEMS ||
        inputs > 4 * MLP_ONNX_MAX_ITEMS)
        return FAIL(im, "onnx: %zu nodes, %zu initializers: more than an MLP libmlp imports "
                        "(at most %d each)", g->n_node, g->n_initializer, MLP_ONNX_MAX_ITEMS);
    const Onnx__ValueInfoProto *input = NULL;
    size_t n_inputs = 0;
    for (size_t i = 0; i < g->n_input; i++) { /* older exporters list initializers too */
        int is_init = 0;
        for (size_t j = 0; j < g->n_initializer && !is_init; j++)
            is_init = strcmp(str(g->input[i]->name), str(g->initializer[j]->name)) == 0;
        if (!is_init) input = g->input[i], n_inputs++;
    }
    if (n_inputs != 1 || g->n_output != 1)
        return FAIL(im, "onnx: %zu graph inputs (initializers aside) and %zu outputs; an MLP "
                        "has one of each", n_inputs, g->n_output);
    im->flat = 1; /* unless the input's shape says otherwise */
    mlp_status st = read_value_info(im, input, 1);
    if (st == MLP_OK) st = read_value_info(im, g->output[0], 0);
    if (st != MLP_OK) return st;
    unsigned char *seen = mlp_mem_calloc(g->n_node + 1, 1);
    im->layers = mlp_mem_calloc(g->n_node + 1, sizeof *im->layers);
    if (!seen || !im->layers) st = MLP_ERR_NO_MEMORY;
    im->seen = seen;
    if (st == MLP_OK) st = walk(im, str(input->name), str(g->output[0]->name), seen);
    for (size_t i = 0; st == MLP_OK && i < g->n_node; i++)
        if (!seen[i] && strcmp(str(g->node[i]->op_type), "Constant")) {
            char lbl[160];
            st = FAIL(im, "onnx: %s is not on the path from the input to the output",
                      mlp_onnx_node_label(g->node[i], i, lbl, sizeof lbl));
        }
    if (st == MLP_OK && im->n_layers == 0)
        st = FAIL(im, "onnx: the graph has no Gemm or MatMul layer");
    if (st == MLP_OK && !im->layers[im->n_layers - 1].closed)
        im->layers[im->n_layers - 1].act = MLP_ACT_LINEAR;
    if (st == MLP_OK) st = build(im, out);
    mlp_mem_free(seen);
    return st;
}

static void importer_free(importer *im)
{
    for (size_t k = 0; im->layers && k < im->n_layers; k++) {
        mlp_mem_free(im->layers[k].w);
        mlp_mem_free(im->layers[k].b);
    }
    mlp_mem_free(im->layers);
    mlp_mem_free(im->offset);
    mlp_mem_free(im->scale);
}

mlp_status mlp_onnx_supported(mlp_error_detail *detail)
{
    (void)detail;
    return MLP_OK;
}

mlp_status mlp_model_import_onnx_mem(mlp_model **out, const void *data, size_t size,
                                     mlp_error_detail *detail)
{
    if (!out || !data) return MLP_ERR_NULL_ARG;
    Onnx__ModelProto *m = NULL;
    mlp_status st = mlp_onnx_unpack(&m, data, size, detail);
    if (st != MLP_OK) return st;
    importer im = {.detail = detail};
    st = import_model(m, &im, out);
    importer_free(&im);
    mlp_onnx_model_free(m);
    return st;
}

mlp_status mlp_model_import_onnx(mlp_model **out, const char *path, mlp_error_detail *detail)
{
    if (!out || !path) return MLP_ERR_NULL_ARG;
    unsigned char *data;
    size_t size;
    mlp_status st = mlp_onnx_read_file(path, &data, &size, detail);
    if (st != MLP_OK) return st;
    st = mlp_model_import_onnx_mem(out, data, size, detail);
    mlp_mem_free(data);
    return st;
}
