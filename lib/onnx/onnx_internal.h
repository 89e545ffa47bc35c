/* Internal: the ONNX reader and writer (lib/onnx), on protobuf-c code generated from
 * onnx.proto. Sits beside api/: it builds and reads models through the public calls. */
#ifndef MLP_ONNX_INTERNAL_H
#define MLP_ONNX_INTERNAL_H

#include "mlp_internal.h"
#include "onnx.pb-c.h"

#include <stdint.h>

/* Messages nested deeper than this are refused before protobuf-c (which recurses without a
 * limit) sees them: an MLP graph nests about six deep. */
#define MLP_ONNX_MAX_DEPTH 32
/* Nodes and initializers per graph: far above any MLP, low enough that the quadratic name
 * lookups of the import stay fast on hostile files. */
#define MLP_ONNX_MAX_ITEMS 4096
/* Opset versions of the default domain whose operators the import knows. */
#define MLP_ONNX_MIN_OPSET 7
#define MLP_ONNX_MAX_OPSET 21

/* onnx_wire.c: walks the protobuf wire format of data against desc's schema: every length
 * inside the buffer, no group, no message nested deeper than MLP_ONNX_MAX_DEPTH.
 * TRUNCATED or FORMAT with a message. */
mlp_status mlp_onnx_check_wire(const uint8_t *data, size_t size,
                               const ProtobufCMessageDescriptor *desc, mlp_error_detail *detail);

/* onnx_read.c: protobuf-c's allocator routed to lib/mem.c. */
void mlp_onnx_allocator(ProtobufCAllocator *a);
/* Checks (mlp_onnx_check_wire) and unpacks an ONNX model; free with mlp_onnx_model_free. */
mlp_status mlp_onnx_unpack(Onnx__ModelProto **out, const void *data, size_t size,
                           mlp_error_detail *detail);
void mlp_onnx_model_free(Onnx__ModelProto *model);
/* The whole file (or stream) in a new buffer (mlp_mem_free). IO with errno's text. */
mlp_status mlp_onnx_read_file(const char *path, unsigned char **data, size_t *size,
                              mlp_error_detail *detail);

/* onnx_graph.c: tensors and attributes. */
/* "node \"name\" (op Gemm)" or "node #3 (op Gemm)" into buf, for messages. */
const char *mlp_onnx_node_label(const Onnx__NodeProto *node, size_t index, char *buf,
                                size_t len);
/* Elements of t (product of its dims): FORMAT for a negative dim or an overflow. */
mlp_status mlp_onnx_tensor_count(const Onnx__TensorProto *t, const char *name, size_t *count,
                                 mlp_error_detail *detail);
/* t's values as floats in a new buffer (mlp_mem_free), *count of them: FLOAT tensors (raw
 * data or float_data), finite values only. FORMAT for another type, external data, a data
 * length that does not match the dims, NaN or infinity. */
mlp_status mlp_onnx_tensor_floats(const Onnx__TensorProto *t, const char *name, float **out,
                                  size_t *count, mlp_error_detail *detail);
/* t's values as int64 (INT64 tensors, raw data or int64_data), at most cap of them. */
mlp_status mlp_onnx_tensor_ints(const Onnx__TensorProto *t, const char *name, int64_t *out,
                                size_t cap, size_t *count, mlp_error_detail *detail);

#endif /* MLP_ONNX_INTERNAL_H */
