/* Internal: the model handle's layout, shared by the files of lib/api/ (the layer above
 * io, train and data: it uses them, nothing below includes it). */
#ifndef MLP_API_MODEL_HANDLE_H
#define MLP_API_MODEL_HANDLE_H

#include "mlp_internal.h"

struct mlp_model {
    mlp_net *net;
    mlp_preprocess *pre; /* never NULL */
    mlp_optimizer *opt;  /* NULL: predict only */
    size_t epoch;
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

#endif /* MLP_API_MODEL_HANDLE_H */
