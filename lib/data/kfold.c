/* Record indices for k-fold cross-validation, seeded as mlp_split_indices is. */
#include "mlp_internal.h"

#include <stdlib.h>

static int compare_sizes(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

mlp_status mlp_kfold_indices(size_t n, size_t k, uint64_t seed, size_t **idx_out,
                             size_t **start_out)
{
    if (!idx_out || !start_out) return MLP_ERR_NULL_ARG;
    if (k < 2 || k > n) return MLP_ERR_INVALID_ARG;
    size_t *idx = mlp_mem_alloc(n * sizeof *idx);
    size_t *start = mlp_mem_alloc((k + 1) * sizeof *start);
    if (!idx || !start) {
        mlp_mem_free(idx);
        mlp_mem_free(start);
        return MLP_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    mlp_rng_shuffle(&rng, idx, n);
    /* The first n % k folds take one record more; each fold in file order. */
    size_t base = n / k, extra = n % k;
    start[0] = 0;
    for (size_t f = 0; f < k; f++) {
        start[f + 1] = start[f] + base + (f < extra);
        qsort(idx + start[f], start[f + 1] - start[f], sizeof *idx, compare_sizes);
    }
    *idx_out = idx;
    *start_out = start;
    return MLP_OK;
}
