/* Model -> ONNX: input scaling as Sub and Mul, each layer as a Gemm (the weights as stored,
 * transB = 1) and its activation. The tensors point into the model's own parameters; the
 * graph's structs live in one block of fixed-size slots, packed by protobuf-c. */
#include "onnx_internal.h"

#include <stdio.h>
#include <string.h>

#define EXPORT_OPSET 13
#define EXPORT_IR_VERSION 7 /* the IR of opset 13 (ONNX 1.8) */
#define NAME_LEN 32

/* Slots for the nodes, tensors and names of a graph of L layers. */
typedef struct slots {
    Onnx__NodeProto *nodes;
    Onnx__NodeProto **node_ptrs;
    Onnx__AttributeProto *attrs;
    Onnx__AttributeProto **attr_ptrs;
    Onnx__TensorProto *tensors;
    Onnx__TensorProto **tensor_ptrs;
    int64_t *dims;     /* 2 per tensor */
    char (*names)[NAME_LEN];
    char **io;         /* 3 input names + 1 output name per node */
    size_t n_nodes, n_tensors, n_names;
} slots;

static char *new_name(slots *s, const char *fmt, size_t k)
{
    char *n = s->names[s->n_names++];
    snprintf(n, NAME_LEN, fmt, k);
    return n;
}

/* A float initializer of dims (d0) or (d0, d1) over values (not copied). */
static char *add_tensor(slots *s, const char *name, const float *values, int64_t d0, int64_t d1)
{
    Onnx__TensorProto *t = &s->tensors[s->n_tensors];
    onnx__tensor_proto__init(t);
    t->dims = s->dims + 2 * s->n_tensors;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->n_dims = d1 ? 2 : 1;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_float_data = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    t->float_data = (float *)values; /* only read by the packer */
    t->name = (char *)name;
    s->tensor_ptrs[s->n_tensors++] = t;
    return t->name;
}

/* A node op(in0[, in1[, in2]]) -> out, with at most one attribute. */
static Onnx__NodeProto *add_node(slots *s, const char *op, const char *in0, const char *in1,
                                 const char *in2, const char *out)
{
    size_t k = s->n_nodes++;
    Onnx__NodeProto *n = &s->nodes[k];
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = new_name(s, "node%zu", k);
    n->input = s->io + 4 * k;
    n->input[0] = (char *)in0;
    n->n_input = 1;
    if (in1) n->input[n->n_input++] = (char *)in1;
    if (in2) n->input[n->n_input++] = (char *)in2;
    n->output = s->io + 4 * k + 3;
    n->output[0] = (char *)out;
    n->n_output = 1;
    s->node_ptrs[k] = n;
    return n;
}

static void set_attr(slots *s, Onnx__NodeProto *n, const char *name, int is_float, float f,
                     int64_t i)
{
    size_t k = (size_t)(n - s->nodes);
    Onnx__AttributeProto *a = &s->attrs[k];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = is_float ? ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
                       : ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (is_float) a->has_f = 1, a->f = f;
    else a->has_i = 1, a->i = i;
    s->attr_ptrs[k] = a;
    n->attribute = &s->attr_ptrs[k];
    n->n_attribute = 1;
}

static void slots_free(slots *s)
{
    mlp_mem_free(s->nodes);
    mlp_mem_free(s->node_ptrs);
    mlp_mem_free(s->attrs);
    mlp_mem_free(s->attr_ptrs);
    mlp_mem_free(s->tensors);
    mlp_mem_free(s->tensor_ptrs);
    mlp_mem_free(s->dims);
    mlp_mem_free(s->names);
    mlp_mem_free(s->io);
}

static int slots_alloc(slots *s, size_t layers)
{
    size_t n = 2 * layers + 2; /* nodes, and tensors: W and b per layer, offset and scale */
    memset(s, 0, sizeof *s);
    s->nodes = mlp_mem_calloc(n, sizeof *s->nodes);
    s->node_ptrs = mlp_mem_calloc(n, sizeof *s->node_ptrs);
    s->attrs = mlp_mem_calloc(n, sizeof *s->attrs);
    s->attr_ptrs = mlp_mem_calloc(n, sizeof *s->attr_ptrs);
    s->tensors = mlp_mem_calloc(n, sizeof *s->tensors);
    s->tensor_ptrs = mlp_mem_calloc(n, sizeof *s->tensor_ptrs);
    s->dims = mlp_mem_calloc(2 * n, sizeof *s->dims);
    s->names = mlp_mem_calloc(3 * n, sizeof *s->names);
    s->io = mlp_mem_calloc(4 * n, sizeof *s->io);
    return s->nodes && s->node_ptrs && s->attrs && s->attr_ptrs && s->tensors &&
           s->tensor_ptrs && s->dims && s->names && s->io;
}

/* The graph's nodes and initializers; returns the name of its last tensor. */
static const char *build_graph(slots *s, const mlp_model *model)
{
    const mlp_net *net = mlp_model_net(model);
    const mlp_preprocess *pre = mlp_model_preprocess(model);
    const float *p = mlp_net_params_const(net);
    size_t L = mlp_net_layer_count(net), n0 = mlp_net_input_size(net);
    const char *cur = "input";
    if (mlp_preprocess_scaling(pre) != MLP_SCALE_NONE) { /* (x - offset) * scale, as libmlp */
        const char *off = add_tensor(s, "scaling_offset", mlp_preprocess_offset(pre),
                                     (int64_t)n0, 0);
        const char *sc = add_tensor(s, "scaling_scale", mlp_preprocess_scale(pre), (int64_t)n0, 0);
        const char *centred = new_name(s, "centred", 0);
        add_node(s, "Sub", cur, off, NULL, centred);
        cur = new_name(s, "scaled", 0);
        add_node(s, "Mul", centred, sc, NULL, cur);
    }
    for (size_t k = 0; k < L; k++) {
        size_t in = mlp_net_size(net, k), out = mlp_net_size(net, k + 1);
        const char *w = add_tensor(s, new_name(s, "W%zu", k), p + mlp_net_weights_offset(net, k),
                                   (int64_t)out, (int64_t)in);
        const char *b = NULL;
        size_t nb = mlp_net_bias_count(net, k); /* n_out, or 1 broadcast (per layer, net) */
        if (nb) b = add_tensor(s, new_name(s, "B%zu", k), p + mlp_net_bias_offset(net, k),
                               (int64_t)nb, 0);
        const char *a = new_name(s, "layer%zu", k);
        set_attr(s, add_node(s, "Gemm", cur, w, b, a), "transB", 0, 0.0f, 1);
        cur = a;
        mlp_activation act = mlp_net_activation(net, k);
        static const char *const ops[MLP_ACT_COUNT] = {
            [MLP_ACT_SIGMOID] = "Sigmoid", [MLP_ACT_TANH] = "Tanh", [MLP_ACT_RELU] = "Relu",
            [MLP_ACT_LEAKY_RELU] = "LeakyRelu", [MLP_ACT_SOFTMAX] = "Softmax"};
        if (act == MLP_ACT_LINEAR) continue;
        const char *z = new_name(s, "z%zu", k);
        Onnx__NodeProto *n = add_node(s, ops[act], cur, NULL, NULL, z);
        if (act == MLP_ACT_LEAKY_RELU) set_attr(s, n, "alpha", 1, MLP_LEAKY_RELU_SLOPE, 0);
        if (act == MLP_ACT_SOFTMAX) set_attr(s, n, "axis", 0, 0.0f, 1);
        cur = z;
    }
    return cur;
}

/* The graph's input (batch, n_0) and output (batch, n_L): protobuf-c messages that point
 * at each other, kept together for the packing. */
typedef struct io_values {
    Onnx__TensorShapeProto__Dimension dims[2][2];
    Onnx__TensorShapeProto__Dimension *dim_ptrs[2][2];
    Onnx__TensorShapeProto shapes[2];
    Onnx__TypeProto__Tensor tensor_types[2];
    Onnx__TypeProto types[2];
    Onnx__ValueInfoProto values[2];
    Onnx__ValueInfoProto *value_ptrs[2];
} io_values;

static void describe_io(io_values *v, const mlp_net *net)
{
    size_t widths[2] = {mlp_net_input_size(net), mlp_net_output_size(net)};
    for (int i = 0; i < 2; i++) { /* (batch, n_0) in, (batch, n_L) out */
        onnx__tensor_shape_proto__dimension__init(&v->dims[i][0]);
        v->dims[i][0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        v->dims[i][0].dim_param = "batch";
        onnx__tensor_shape_proto__dimension__init(&v->dims[i][1]);
        v->dims[i][1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        v->dims[i][1].dim_value = (int64_t)widths[i];
        v->dim_ptrs[i][0] = &v->dims[i][0];
        v->dim_ptrs[i][1] = &v->dims[i][1];
        onnx__tensor_shape_proto__init(&v->shapes[i]);
        v->shapes[i].n_dim = 2;
        v->shapes[i].dim = v->dim_ptrs[i];
        onnx__type_proto__tensor__init(&v->tensor_types[i]);
        v->tensor_types[i].has_elem_type = 1;
        v->tensor_types[i].elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        v->tensor_types[i].shape = &v->shapes[i];
        onnx__type_proto__init(&v->types[i]);
        v->types[i].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
        v->types[i].tensor_type = &v->tensor_types[i];
        onnx__value_info_proto__init(&v->values[i]);
        v->values[i].name = i ? "output" : "input";
        v->values[i].type = &v->types[i];
        v->value_ptrs[i] = &v->values[i];
    }
}

static mlp_status export_mem(const mlp_model *model, void **data, size_t *size,
                             mlp_error_detail *detail)
{
    const mlp_net *net = mlp_model_net(model);
    size_t L = mlp_net_layer_count(net);
    slots s;
    if (!slots_alloc(&s, L)) {
        slots_free(&s);
        return MLP_ERR_NO_MEMORY;
    }
    const char *last = build_graph(&s, model);
    /* The last node writes "output" (renamed: its name is only referenced by itself). */
    s.nodes[s.n_nodes - 1].output[0] = "output";
    (void)last;

    io_values io;
    describe_io(&io, net);
    Onnx__GraphProto graph;
    onnx__graph_proto__init(&graph);
    graph.name = "libmlp";
    graph.n_node = s.n_nodes;
    graph.node = s.node_ptrs;
    graph.n_initializer = s.n_tensors;
    graph.initializer = s.tensor_ptrs;
    graph.n_input = 1;
    graph.input = &io.value_ptrs[0];
    graph.n_output = 1;
    graph.output = &io.value_ptrs[1];
    Onnx__OperatorSetIdProto opset;
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = "";
    opset.has_version = 1;
    opset.version = EXPORT_OPSET;
    Onnx__OperatorSetIdProto *opset_ptr = &opset;
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1;
    m.ir_version = EXPORT_IR_VERSION;
    m.n_opset_import = 1;
    m.opset_import = &opset_ptr;
    m.producer_name = "libmlp";
    m.producer_version = (char *)mlp_version();
    m.graph = &graph;

    size_t n = onnx__model_proto__get_packed_size(&m);
    unsigned char *buf = mlp_mem_alloc(n ? n : 1);
    mlp_status st = MLP_OK;
    if (!buf)
        st = MLP_ERR_NO_MEMORY;
    else if (onnx__model_proto__pack(&m, buf) != n)
        st = mlp_fail(detail, MLP_ERR_FORMAT, "onnx: protobuf-c packed another size");
    slots_free(&s);
    if (st != MLP_OK) {
        mlp_mem_free(buf);
        return st;
    }
    *data = buf;
    *size = n;
    return MLP_OK;
}

mlp_status mlp_model_export_onnx_mem(const mlp_model *model, void **data, size_t *size,
                                     mlp_error_detail *detail)
{
    if (!model || !data || !size) return MLP_ERR_NULL_ARG;
    return export_mem(model, data, size, detail);
}

mlp_status mlp_model_export_onnx(const mlp_model *model, const char *path,
                                 mlp_error_detail *detail)
{
    if (!model || !path) return MLP_ERR_NULL_ARG;
    if (!path[0]) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "path: empty");
    void *data;
    size_t size;
    mlp_status st = export_mem(model, &data, &size, detail);
    if (st != MLP_OK) return st;
    st = mlp_file_write_atomic_unchecked(path, data, size, detail);
    mlp_mem_free(data);
    return st;
}
