/* Several nets of one topology held as one net whose outputs before the output activation
 * are the mean of theirs: the hidden layers side by side (the first reads the same inputs,
 * the later ones see only their own net's neurons, block-diagonal), the output layer their
 * weights divided by the count side by side, and the mean of their biases. A model file
 * then holds the ensemble as it holds any net, and predicting needs nothing new. */
#include "fit/fit_internal.h"

#include <string.h>

/* Parameters of the merged net; 0 when nets cannot merge (bias not per neuron, or the
 * topologies differ). */
static size_t merged_count(mlp_net *const *nets, size_t k)
{
    size_t L = mlp_net_layer_count(nets[0]), count = 0;
    for (size_t f = 0; f < k; f++) {
        if (mlp_net_bias_mode(nets[f]) != MLP_BIAS_PER_NEURON ||
            mlp_net_layer_count(nets[f]) != L)
            return 0;
        for (size_t i = 0; i <= L; i++)
            if (mlp_net_size(nets[f], i) != mlp_net_size(nets[0], i)) return 0;
    }
    for (size_t l = 0; l < L; l++) {
        size_t in = mlp_net_size(nets[0], l) * (l ? k : 1);
        size_t out = mlp_net_size(nets[0], l + 1) * (l + 1 < L ? k : 1);
        count += out * in + out;
    }
    return count;
}

/* Layer l of net f into the merged net m. */
static void place(mlp_net *m, const mlp_net *net, size_t f, size_t k, size_t l)
{
    size_t L = mlp_net_layer_count(net);
    size_t in = mlp_net_size(net, l), out = mlp_net_size(net, l + 1);
    size_t stride = mlp_net_size(m, l); /* inputs of the merged layer */
    size_t col = l ? f * in : 0;        /* the first layer reads the shared inputs */
    const float *p = mlp_net_params_const(net);
    const float *w = p + mlp_net_weights_offset(net, l), *b = p + mlp_net_bias_offset(net, l);
    float *q = mlp_net_params(m);
    float *mw = q + mlp_net_weights_offset(m, l), *mb = q + mlp_net_bias_offset(m, l);
    if (l + 1 < L) { /* hidden: net f's own block of neurons */
        for (size_t j = 0; j < out; j++) {
            memcpy(mw + (f * out + j) * stride + col, w + j * in, in * sizeof *w);
            mb[f * out + j] = b[j];
        }
        return;
    }
    float scale = 1.0f / (float)k; /* output: the mean over the nets */
    for (size_t j = 0; j < out; j++) {
        for (size_t c = 0; c < in; c++) mw[j * stride + col + c] += scale * w[j * in + c];
        mb[j] += scale * b[j];
    }
}

mlp_status fit_ensemble_merge(mlp_net *const *nets, size_t k, size_t max_params,
                              mlp_net **out)
{
    *out = NULL;
    size_t count = k ? merged_count(nets, k) : 0;
    if (count == 0 || count > max_params) return MLP_ERR_INVALID_ARG;
    size_t L = mlp_net_layer_count(nets[0]);
    size_t sizes[65];
    mlp_activation acts[64];
    if (L > 64) return MLP_ERR_INVALID_ARG;
    for (size_t i = 0; i <= L; i++)
        sizes[i] = mlp_net_size(nets[0], i) * (i > 0 && i < L ? k : 1);
    for (size_t l = 0; l < L; l++) acts[l] = mlp_net_activation(nets[0], l);
    mlp_status st = mlp_net_create(out, L, sizes, acts, MLP_BIAS_PER_NEURON);
    if (st != MLP_OK) return st;
    memset(mlp_net_params(*out), 0, mlp_net_param_count(*out) * sizeof(float));
    for (size_t f = 0; f < k; f++)
        for (size_t l = 0; l < L; l++) place(*out, nets[f], f, k, l);
    return MLP_OK;
}
