/* A workspace's packed weights: made once from the net's parameters, kept while they are
 * the same parameters (packed.h says how that is told). */
#include "packed.h"

#define NR MLP_PACK_NR

size_t mlp_packed_floats(size_t n_out, size_t n_in)
{
    return (n_out + NR - 1) / NR * NR * n_in;
}

void mlp_pack_weights(const float *w, size_t n_out, size_t n_in, float *dst)
{
    const size_t panels = (n_out + NR - 1) / NR;
    for (size_t p = 0; p < panels; p++)
        for (size_t j = 0; j < NR; j++) {
            const size_t o = p * NR + j;
            float *d = dst + p * n_in * NR + j;
            if (o < n_out)
                for (size_t k = 0; k < n_in; k++) d[k * NR] = w[o * n_in + k];
            else
                for (size_t k = 0; k < n_in; k++) d[k * NR] = 0.0f;
        }
}

static int cpu_runs_kernels(void)
{
#if MLP_KERNELS_AVX512
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

void mlp_packed_free(mlp_packed *p)
{
    if (!p) return;
    for (size_t k = 0; p->w && k < p->n_layers; k++) mlp_mem_aligned_free(p->w[k]);
    mlp_mem_free(p->w);
    mlp_mem_aligned_free(p->scratch);
    mlp_mem_free(p);
}

static size_t scratch_bytes(int threads)
{
    return (size_t)threads * MLP_PACK_MC * MLP_PACK_KC * sizeof(float);
}

/* *w: a packed buffer per layer (*bytes += their size). 0: no memory (*w as far as made,
 * for free_weights). */
static int alloc_weights(float ***w, size_t n_layers, const size_t *sizes, size_t *bytes)
{
    *w = mlp_mem_calloc(n_layers, sizeof **w);
    int ok = *w != NULL;
    for (size_t k = 0; ok && k < n_layers; k++) {
        const size_t n = mlp_packed_floats(sizes[k + 1], sizes[k]);
        ok = n <= SIZE_MAX / sizeof(float) &&
             ((*w)[k] = mlp_mem_aligned_alloc(64, n * sizeof(float))) != NULL;
        *bytes += n * sizeof(float);
    }
    return ok;
}

static void free_weights(float **w, size_t n_layers)
{
    for (size_t k = 0; w && k < n_layers; k++) mlp_mem_aligned_free(w[k]);
    mlp_mem_free(w);
}

static mlp_packed *create(const mlp_net *shape)
{
    mlp_packed *p = mlp_mem_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_layers = shape->n_layers;
    p->sizes = shape->sizes;
    return p;
}

mlp_status mlp_packed_reserve(mlp_packed **state, const mlp_net *shape, int threads,
                              size_t *grew)
{
    *grew = 0;
    if (!cpu_runs_kernels()) return MLP_OK;
    mlp_packed *p = *state;
    size_t bytes = 0;
    if (!p && !(p = create(shape))) return MLP_ERR_NO_MEMORY;
    float **w = NULL;
    if (!p->w && !alloc_weights(&w, p->n_layers, p->sizes, &bytes)) {
        free_weights(w, p->n_layers);
        if (p != *state) mlp_packed_free(p);
        return MLP_ERR_NO_MEMORY;
    }
    if (p->scratch_threads < threads) {
        float *s = mlp_mem_aligned_alloc(64, scratch_bytes(threads));
        if (!s) {
            free_weights(w, p->n_layers);
            if (p != *state) mlp_packed_free(p);
            return MLP_ERR_NO_MEMORY;
        }
        mlp_mem_aligned_free(p->scratch);
        bytes += scratch_bytes(threads) - scratch_bytes(p->scratch_threads);
        p->scratch = s;
        p->scratch_threads = threads;
    }
    if (w) p->w = w;
    *state = p;
    *grew = bytes;
    return MLP_OK;
}

mlp_status mlp_packed_share(mlp_packed **state, const mlp_net *shape, const mlp_packed_set *set,
                            int batch_scratch, size_t *grew)
{
    *grew = 0;
    if (!set && (!*state || !(*state)->shared)) return MLP_OK;
    mlp_packed *p = *state;
    if (!p && !(p = create(shape))) return MLP_ERR_NO_MEMORY;
    if (set && batch_scratch && p->scratch_threads < 1) {
        float *s = mlp_mem_aligned_alloc(64, scratch_bytes(1));
        if (!s) {
            if (p != *state) mlp_packed_free(p);
            return MLP_ERR_NO_MEMORY;
        }
        p->scratch = s;
        p->scratch_threads = 1;
        *grew = scratch_bytes(1);
    }
    p->shared = set;
    *state = p;
    return MLP_OK;
}

static void pack_all(const mlp_net *net, float **w)
{
    for (size_t k = 0; k < net->n_layers; k++)
        mlp_pack_weights(net->params + net->weights_offset[k], net->sizes[k + 1], net->sizes[k],
                         w[k]);
}

mlp_packed_set *mlp_packed_set_create(const mlp_net *net)
{
    if (!cpu_runs_kernels()) return NULL;
    mlp_packed_set *set = mlp_mem_calloc(1, sizeof *set);
    if (!set) return NULL;
    set->n_layers = net->n_layers;
    size_t bytes = 0;
    if (!alloc_weights(&set->w, net->n_layers, net->sizes, &bytes)) {
        mlp_packed_set_free(set);
        return NULL;
    }
    pack_all(net, set->w);
    set->stamp = mlp_net_stamp_of(net);
    return set;
}

void mlp_packed_set_free(mlp_packed_set *set)
{
    if (!set) return;
    free_weights(set->w, set->n_layers);
    mlp_mem_free(set);
}

float *const *mlp_packed_ready(mlp_packed *p, const mlp_net *net)
{
    const mlp_net_stamp now = mlp_net_stamp_of(net);
    if (p->shared && mlp_net_stamp_equal(&p->shared->stamp, &now)) return p->shared->w;
    if (!p->w) return NULL; /* borrows only */
    if (mlp_net_stamp_equal(&p->stamp, &now)) return p->w;
    const int second = mlp_net_stamp_equal(&p->seen, &now);
    p->seen = now;
    if (!second) return NULL;
    pack_all(net, p->w);
    p->stamp = now;
    return p->w;
}
