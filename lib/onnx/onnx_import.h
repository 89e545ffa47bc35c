/* Internal: the ONNX importer's state, shared by onnx_import.c (the walk from input to output,
 * the model it builds) and onnx_nodes.c (what each node does to the layers). */
#ifndef MLP_ONNX_IMPORT_H
#define MLP_ONNX_IMPORT_H

#include "onnx_internal.h"

typedef struct layer {
    float *w; /* n_out x n_in, the net's layout */
    float *b; /* n_out, NULL without a bias */
    size_t n_in, n_out;
    mlp_activation act;
    int closed; /* its activation is known */
} layer;

typedef struct importer {
    const Onnx__GraphProto *g;
    int64_t opset;
    mlp_error_detail *detail;
    const char *lbl; /* the node being read, for messages */
    layer *layers;
    size_t n_layers;
    size_t width;      /* features per record of the current tensor; 0 while unknown */
    size_t input_rank; /* 0 when the graph does not say */
    int flat;          /* the current tensor is (batch, width) */
    float *offset, *scale;
    int ended; /* a softmax closed the net */
    unsigned char *seen; /* nodes read, by index */
    Onnx__TensorProto transposed; /* the shape of a Transpose of a constant */
    int64_t transposed_dims[2];
} importer;

#define FAIL(im, ...) mlp_fail((im)->detail, MLP_ERR_FORMAT, __VA_ARGS__)

/* s, or "" for an absent string field. */
static inline const char *str(const char *s) { return s ? s : ""; }

/* onnx_nodes.c: one node on the chain, reading the current tensor as its input `pos`:
 * a layer opened, given a bias or an activation, or the input reshaped or scaled. FORMAT
 * with the node and operator named when it does not fit. */
mlp_status mlp_onnx_read_node(importer *im, const Onnx__NodeProto *node, size_t pos);

#endif /* MLP_ONNX_IMPORT_H */
