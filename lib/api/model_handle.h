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

#endif /* MLP_API_MODEL_HANDLE_H */
