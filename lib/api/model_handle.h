/* Internal: the model handle's layout, shared by the files of lib/api/ (the layer above
 * io, train and data: it uses them, nothing below includes it). */
#ifndef MLP_API_MODEL_HANDLE_H
#define MLP_API_MODEL_HANDLE_H

#include "mlp_internal.h"
#include "engine/packed.h"

#include <stdatomic.h>

struct mlp_model {
    mlp_net *net;
    mlp_preprocess *pre; /* never NULL */
    mlp_optimizer *opt;  /* NULL: predict only */
    size_t epoch;
    /* Packed weights every scratch's float passes share (model_packed.c): made by the
     * second pass that sees the same parameters, published once with a compare-and-swap
     * (calls that only read a model run on many threads at once), then only read until
     * the model is freed or trained. NULL: none yet. */
    _Atomic(mlp_packed_set *) packed;
    atomic_uint_least64_t packed_seen; /* a hash of the parameters the last pass saw */
};

struct mlp_model_scratch {
    mlp_workspace *ws;
    float *scaled; /* max_batch x n_0: the scaled copy of a chunk */
    size_t max_batch;
};

/* model_predict.c: copies rows [first, first + count) of raw_rows into s->scaled and scales
 * them with the model's preprocessing (count <= s->max_batch; arguments checked). */
mlp_status mlp_model_scale_chunk(const mlp_model *model, mlp_model_scratch *s,
                                 const float *raw_rows, size_t first, size_t count);
/* The same, then the forward pass into out (NULL: read mlp_workspace_output). */
mlp_status mlp_model_forward_chunk(const mlp_model *model, mlp_model_scratch *s,
                                   const float *raw_rows, size_t first, size_t count,
                                   float *out);

/* model_packed.c: the model's packed weights of its net's current parameters (NULL: none,
 * this pass runs unpacked), made when this is the second pass in a row to see them. Safe
 * on any number of threads at once. */
const mlp_packed_set *mlp_model_packed(const mlp_model *model);
/* Frees them (the model is not shared: it is being trained or freed). */
void mlp_model_drop_packed(mlp_model *model);

#endif /* MLP_API_MODEL_HANDLE_H */
