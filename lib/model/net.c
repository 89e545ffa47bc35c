/* Topology, parameter layout and accessors of mlp_net. */
#include "mlp_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

static mlp_status check_topology(size_t n_layers, const size_t *sizes,
                                 const mlp_activation *activations, mlp_bias_mode bias_mode,
                                 mlp_error_detail *d)
{
    if (!sizes) return mlp_fail(d, MLP_ERR_NULL_ARG, "sizes is NULL");
    if (!activations) return mlp_fail(d, MLP_ERR_NULL_ARG, "activations is NULL");
    if (n_layers == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "n_layers is 0: a net needs a weight layer");
    if ((unsigned)bias_mode >= MLP_BIAS_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "bias_mode is %d, not an mlp_bias_mode",
                        (int)bias_mode);
    for (size_t i = 0; i <= n_layers; i++) /* BLAS takes int dimensions */
        if (sizes[i] == 0 || sizes[i] > INT_MAX)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "sizes[%zu] is %zu, outside [1, INT_MAX]",
                            i, sizes[i]);
    for (size_t k = 0; k < n_layers; k++) {
        if ((unsigned)activations[k] >= MLP_ACT_COUNT)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "activations[%zu] is %d, not an "
                            "mlp_activation", k, (int)activations[k]);
        if (activations[k] == MLP_ACT_SOFTMAX && k + 1 != n_layers)
            return mlp_fail(d, MLP_ERR_SOFTMAX_HIDDEN, "activations[%zu] is softmax on a hidden "
                            "layer: softmax belongs to the output layer (activations[%zu])",
                            k, n_layers - 1);
    }
    return MLP_OK;
}

/* Fills the offsets; returns 0 if the parameter count overflows. */
static int compute_layout(mlp_net *net)
{
    size_t off = 0;
    for (size_t k = 0; k < net->n_layers; k++) {
        size_t w;
        if (!mlp_mul_size(net->sizes[k + 1], net->sizes[k], &w) || off > SIZE_MAX - w) return 0;
        net->weights_offset[k] = off;
        off += w;
        size_t b = net->bias_mode == MLP_BIAS_PER_NEURON ? net->sizes[k + 1]
                 : net->bias_mode == MLP_BIAS_PER_LAYER ? 1 : 0;
        net->bias_offset[k] = b ? off : SIZE_MAX;
        if (off > SIZE_MAX - b) return 0;
        off += b;
    }
    if (net->bias_mode == MLP_BIAS_PER_NETWORK) {
        for (size_t k = 0; k < net->n_layers; k++) net->bias_offset[k] = off;
        off += 1;
    }
    net->param_count = off;
    return off <= SIZE_MAX / sizeof(float);
}

/* FNV-1a over everything that defines a topology, computed once at creation: different
 * topologies are told apart in O(1); equal hashes are confirmed field by field. */
static uint64_t topology_hash(const mlp_net *net)
{
    uint64_t fields[3] = {net->n_layers, (uint64_t)net->bias_mode, net->param_count};
    uint64_t h = mlp_fnv1a(MLP_FNV_START, fields, sizeof fields);
    h = mlp_fnv1a(h, net->sizes, (net->n_layers + 1) * sizeof *net->sizes);
    return mlp_fnv1a(h, net->activations, net->n_layers * sizeof *net->activations);
}

/* The net's identity (mlp_net_stamp): from the kernel's generator, else from the clock and
 * the net's addresses. Never part of a result: it only tells nets apart. */
static uint64_t draw_identity(const mlp_net *net)
{
    uint64_t id = 0;
#if defined(__linux__)
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) == (ssize_t)sizeof id) return id;
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    const uintptr_t where[2] = {(uintptr_t)net, (uintptr_t)net->params};
    id = mlp_fnv1a(MLP_FNV_START, &ts, sizeof ts);
    return mlp_fnv1a(id, where, sizeof where);
}

mlp_status mlp_net_create(mlp_net **out, size_t n_layers, const size_t *sizes,
                          const mlp_activation *activations, mlp_bias_mode bias_mode)
{
    return mlp_net_create_ex(out, n_layers, sizes, activations, bias_mode, NULL);
}

mlp_status mlp_net_create_ex(mlp_net **out, size_t n_layers, const size_t *sizes,
                             const mlp_activation *activations, mlp_bias_mode bias_mode,
                             mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (n_layers > SIZE_MAX / sizeof(size_t) - 1)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "n_layers (%zu) is too large", n_layers);
    mlp_status st = check_topology(n_layers, sizes, activations, bias_mode, detail);
    if (st != MLP_OK) return st;

    mlp_net *net = mlp_mem_calloc(1, sizeof *net);
    if (!net) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the net");
    net->n_layers = n_layers;
    net->bias_mode = bias_mode;
    net->sizes = mlp_mem_alloc((n_layers + 1) * sizeof *net->sizes);
    net->activations = mlp_mem_alloc(n_layers * sizeof *net->activations);
    net->weights_offset = mlp_mem_alloc(n_layers * sizeof *net->weights_offset);
    net->bias_offset = mlp_mem_alloc(n_layers * sizeof *net->bias_offset);
    if (!net->sizes || !net->activations || !net->weights_offset || !net->bias_offset) {
        mlp_net_free(net);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the net");
    }
    memcpy(net->sizes, sizes, (n_layers + 1) * sizeof *sizes);
    memcpy(net->activations, activations, n_layers * sizeof *activations);
    for (size_t i = 0; i <= n_layers; i++)
        if (sizes[i] > net->max_width) net->max_width = sizes[i];
    if (!compute_layout(net)) {
        mlp_net_free(net);
        return mlp_fail(detail, MLP_ERR_INVALID_ARG,
                        "sizes: the parameter count overflows the address space");
    }
    net->topology_hash = topology_hash(net);
    net->params = mlp_mem_calloc(net->param_count, sizeof *net->params);
    if (!net->params) {
        size_t n = net->param_count;
        mlp_net_free(net);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for %zu parameters", n);
    }
    mlp_rng_seed(&net->rng, 0);
    net->identity = draw_identity(net);
    *out = net;
    return MLP_OK;
}

void mlp_net_free(mlp_net *net)
{
    if (!net) return;
    mlp_mem_free(net->sizes);
    mlp_mem_free(net->activations);
    mlp_mem_free(net->weights_offset);
    mlp_mem_free(net->bias_offset);
    mlp_mem_free(net->params);
    mlp_int8_net_free(net->int8);
    mlp_mem_free(net);
}

mlp_status mlp_net_clone(mlp_net **out, const mlp_net *src)
{
    return mlp_net_clone_ex(out, src, NULL);
}

mlp_status mlp_net_clone_ex(mlp_net **out, const mlp_net *src, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!src) return mlp_fail(detail, MLP_ERR_NULL_ARG, "src is NULL");
    mlp_net *net;
    mlp_status st = mlp_net_create(&net, src->n_layers, src->sizes, src->activations, src->bias_mode);
    if (st != MLP_OK) return mlp_fail(detail, st, "no memory for a copy of src");
    memcpy(net->params, src->params, src->param_count * sizeof *src->params);
    net->rng = src->rng;
    net->trained_precision = src->trained_precision;
    net->param_version = src->param_version; /* the int8 weights below stay as current */
    if (src->int8 && !(net->int8 = mlp_int8_net_clone(src->int8))) {
        mlp_net_free(net);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for a copy of src's int8 weights");
    }
    *out = net;
    return MLP_OK;
}

/* Runs twice per training step (workspace and optimizer), so on tiny nets its cost shows:
 * plain loops, not memcmp calls whose set-up outweighs comparing three sizes. */
int mlp_net_same_topology(const mlp_net *a, const mlp_net *b)
{
    if (a == b) return 1;
    if (a->topology_hash != b->topology_hash) return 0; /* the usual mismatch, in O(1) */
    const size_t L = a->n_layers;
    if (L != b->n_layers || a->bias_mode != b->bias_mode) return 0;
    for (size_t k = 0; k < L; k++)
        if (a->sizes[k] != b->sizes[k] || a->activations[k] != b->activations[k]) return 0;
    return a->sizes[L] == b->sizes[L];
}

mlp_status mlp_net_copy_params(mlp_net *dst, const mlp_net *src)
{
    return mlp_net_copy_params_ex(dst, src, NULL);
}

mlp_status mlp_net_copy_params_ex(mlp_net *dst, const mlp_net *src, mlp_error_detail *detail)
{
    if (!dst) return mlp_fail(detail, MLP_ERR_NULL_ARG, "dst is NULL");
    if (!src) return mlp_fail(detail, MLP_ERR_NULL_ARG, "src is NULL");
    if (!mlp_net_same_topology(dst, src))
        return mlp_fail(detail, MLP_ERR_DIMENSION, "src (%zu parameters) has another topology "
                        "than dst (%zu): layer sizes, activations and bias mode must agree",
                        src->param_count, dst->param_count);
    memcpy(dst->params, src->params, src->param_count * sizeof *src->params);
    dst->param_version++;
    return MLP_OK;
}

void mlp_net_seed(mlp_net *net, uint64_t seed)
{
    if (net) mlp_rng_seed(&net->rng, seed);
}

mlp_status mlp_net_shuffle(mlp_net *net, size_t *order, size_t count)
{
    return mlp_net_shuffle_ex(net, order, count, NULL);
}

mlp_status mlp_net_shuffle_ex(mlp_net *net, size_t *order, size_t count,
                              mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (!order && count > 0)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "order is NULL but count is %zu", count);
    mlp_rng_shuffle(&net->rng, order, count);
    return MLP_OK;
}

void mlp_net_rng_state(const mlp_net *net, uint64_t state[MLP_RNG_STATE_WORDS])
{
    if (net && state) memcpy(state, net->rng.s, sizeof net->rng.s);
}

mlp_status mlp_net_set_rng_state(mlp_net *net, const uint64_t state[MLP_RNG_STATE_WORDS])
{
    return mlp_net_set_rng_state_ex(net, state, NULL);
}

mlp_status mlp_net_set_rng_state_ex(mlp_net *net, const uint64_t state[MLP_RNG_STATE_WORDS],
                                    mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (!state) return mlp_fail(detail, MLP_ERR_NULL_ARG, "state is NULL");
    if (!(state[0] | state[1] | state[2] | state[3])) /* the generator's fixed point */
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "state is all zero, which the generator "
                        "never leaves: take it from mlp_net_rng_state");
    memcpy(net->rng.s, state, sizeof net->rng.s);
    return MLP_OK;
}

size_t mlp_net_layer_count(const mlp_net *net) { return net ? net->n_layers : 0; }

size_t mlp_net_size(const mlp_net *net, size_t i)
{
    return net && i <= net->n_layers ? net->sizes[i] : 0;
}

size_t mlp_net_input_size(const mlp_net *net) { return net ? net->sizes[0] : 0; }
size_t mlp_net_output_size(const mlp_net *net) { return net ? net->sizes[net->n_layers] : 0; }

mlp_activation mlp_net_activation(const mlp_net *net, size_t layer)
{
    return net && layer < net->n_layers ? net->activations[layer] : MLP_ACT_COUNT;
}

mlp_precision mlp_net_trained_precision(const mlp_net *net)
{
    return net ? net->trained_precision : MLP_PRECISION_FP32;
}

mlp_bias_mode mlp_net_bias_mode(const mlp_net *net) { return net ? net->bias_mode : MLP_BIAS_COUNT; }
size_t mlp_net_param_count(const mlp_net *net) { return net ? net->param_count : 0; }
/* The writable pointer: whatever the caller does with it may change the parameters. */
float *mlp_net_params(mlp_net *net)
{
    if (!net) return NULL;
    net->param_version++;
    return net->params;
}
uint64_t mlp_net_param_version(const mlp_net *net) { return net ? net->param_version : 0; }

uint64_t mlp_net_weights_sample(const mlp_net *net)
{
    uint64_t h = MLP_FNV_START;
    for (size_t k = 0; k < net->n_layers; k++) {
        const float *w = net->params + net->weights_offset[k];
        const size_t n = net->sizes[k] * net->sizes[k + 1];
        for (size_t i = 0; i < 16; i++) {
            uint32_t bits;
            memcpy(&bits, w + (n - 1) * i / 15, sizeof bits);
            h = mlp_fnv1a(h, &bits, sizeof bits);
        }
    }
    return h;
}
const float *mlp_net_params_const(const mlp_net *net) { return net ? net->params : NULL; }

size_t mlp_net_weights_offset(const mlp_net *net, size_t layer)
{
    return net && layer < net->n_layers ? net->weights_offset[layer] : SIZE_MAX;
}

size_t mlp_net_bias_offset(const mlp_net *net, size_t layer)
{
    return net && layer < net->n_layers ? net->bias_offset[layer] : SIZE_MAX;
}

size_t mlp_net_bias_count(const mlp_net *net, size_t layer)
{
    if (!net || layer >= net->n_layers) return 0;
    switch (net->bias_mode) {
    case MLP_BIAS_PER_NEURON: return net->sizes[layer + 1];
    case MLP_BIAS_PER_LAYER:
    case MLP_BIAS_PER_NETWORK: return 1;
    default: return 0;
    }
}
