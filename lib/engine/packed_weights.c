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

static mlp_packed *create(const mlp_net *shape, size_t *bytes)
{
    mlp_packed *p = mlp_mem_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n_layers = shape->n_layers;
    p->sizes = shape->sizes;
    p->w = mlp_mem_calloc(shape->n_layers, sizeof *p->w);
    int ok = p->w != NULL;
    for (size_t k = 0; ok && k < p->n_layers; k++) {
        const size_t n = mlp_packed_floats(p->sizes[k + 1], p->sizes[k]);
        ok = n <= SIZE_MAX / sizeof(float) &&
             (p->w[k] = mlp_mem_aligned_alloc(64, n * sizeof(float))) != NULL;
        *bytes += n * sizeof(float);
    }
    if (!ok) {
        mlp_packed_free(p);
        return NULL;
    }
    return p;
}

mlp_status mlp_packed_reserve(mlp_packed **state, const mlp_net *shape, int threads,
                              size_t *grew)
{
    *grew = 0;
    if (!cpu_runs_kernels()) return MLP_OK;
    mlp_packed *p = *state;
    size_t bytes = 0;
    if (!p && !(p = create(shape, &bytes))) return MLP_ERR_NO_MEMORY;
    if (p->scratch_threads < threads) {
        float *s = mlp_mem_aligned_alloc(64, scratch_bytes(threads));
        if (!s) {
            if (p != *state) mlp_packed_free(p);
            return MLP_ERR_NO_MEMORY;
        }
        mlp_mem_aligned_free(p->scratch);
        bytes += scratch_bytes(threads) - scratch_bytes(p->scratch_threads);
        p->scratch = s;
        p->scratch_threads = threads;
    }
    *state = p;
    *grew = bytes;
    return MLP_OK;
}

int mlp_packed_ready(mlp_packed *p, const mlp_net *net)
{
    const mlp_net_stamp now = mlp_net_stamp_of(net);
    if (mlp_net_stamp_equal(&p->stamp, &now)) return 1;
    const int second = mlp_net_stamp_equal(&p->seen, &now);
    p->seen = now;
    if (!second) return 0;
    for (size_t k = 0; k < p->n_layers; k++)
        mlp_pack_weights(net->params + net->weights_offset[k], net->sizes[k + 1], net->sizes[k],
                         p->w[k]);
    p->stamp = now;
    return 1;
}
