/* A model handle's packed weights (model_handle.h): one copy that the scratches of every
 * caller share, so that mlp_model_predict, which makes a scratch per call, runs packed too,
 * and scratches kept by callers need no copy of their own. The model is only read by
 * predictions, on any number of threads: the copy is published once with a
 * compare-and-swap and never changed nor freed while the model can be read. When the
 * net's parameters change after it was made (the stamp tells), passes run unpacked until
 * mlp_model_train (which has the model to itself) drops it for a new one. */
#include "api/model_handle.h"

static uint64_t stamp_hash(const mlp_net_stamp *s)
{
    const uint64_t words[4] = {(uint64_t)(uintptr_t)s->net, s->identity, s->version, s->sample};
    return mlp_fnv1a(MLP_FNV_START, words, sizeof words) | 1u; /* never 0, the initial value */
}

const mlp_packed_set *mlp_model_packed(const mlp_model *model)
{
    /* a const model's cache: the atomics are the only fields written */
    mlp_model *m = (mlp_model *)model;
    const mlp_net_stamp now = mlp_net_stamp_of(m->net);
    mlp_packed_set *set = atomic_load_explicit(&m->packed, memory_order_acquire);
    if (set) return mlp_net_stamp_equal(&set->stamp, &now) ? set : NULL;
    /* packing pays from the second pass over the same parameters */
    const uint64_t key = stamp_hash(&now);
    if (atomic_exchange_explicit(&m->packed_seen, key, memory_order_relaxed) != key) return NULL;
    mlp_packed_set *fresh = mlp_packed_set_create(m->net);
    if (!fresh) return NULL; /* no kernels or no memory: unpacked */
    mlp_packed_set *expect = NULL;
    if (atomic_compare_exchange_strong_explicit(&m->packed, &expect, fresh, memory_order_acq_rel,
                                                memory_order_acquire))
        return fresh;
    mlp_packed_set_free(fresh); /* another thread published first: use its copy */
    return mlp_net_stamp_equal(&expect->stamp, &now) ? expect : NULL;
}

void mlp_model_drop_packed(mlp_model *model)
{
    mlp_packed_set_free(atomic_exchange_explicit(&model->packed, NULL, memory_order_acq_rel));
    atomic_store_explicit(&model->packed_seen, 0, memory_order_relaxed);
}
