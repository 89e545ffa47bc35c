/* A string -> index lookup (open addressing over borrowed keys): finding columns by header
 * name, classes and categories in O(1) instead of a scan of every name per cell. */
#include "mlp_internal.h"

#include <string.h>

mlp_status mlp_str_index_build(mlp_str_index *ix, const char *const *keys, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    ix->keys = keys;
    ix->cap = cap;
    ix->slot = mlp_mem_calloc(cap, sizeof *ix->slot);
    if (!ix->slot) return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) continue;
        size_t k = mlp_hash_text(keys[i]) & (cap - 1);
        while (ix->slot[k] && strcmp(keys[ix->slot[k] - 1], keys[i]) != 0) k = (k + 1) & (cap - 1);
        if (!ix->slot[k]) ix->slot[k] = i + 1; /* a repeated key keeps its first index */
    }
    return MLP_OK;
}

size_t mlp_str_index_find(const mlp_str_index *ix, const char *s)
{
    if (!ix->slot || !s) return SIZE_MAX;
    size_t k = mlp_hash_text(s) & (ix->cap - 1);
    while (ix->slot[k]) {
        if (strcmp(ix->keys[ix->slot[k] - 1], s) == 0) return ix->slot[k] - 1;
        k = (k + 1) & (ix->cap - 1);
    }
    return SIZE_MAX;
}

void mlp_str_index_free(mlp_str_index *ix)
{
    mlp_mem_free(ix->slot);
    ix->slot = NULL;
    ix->cap = 0;
}
