/* Every allocation of the library goes through here, to the allocator the application
 * installed with mlp_set_allocator or to the C library's. The choice is made once per
 * process: the first allocation fixes the default, after which no other can be installed
 * (memory must be freed by the allocator it came from). */
#include "mlp_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { MEM_UNSET, MEM_DEFAULT, MEM_INSTALLING, MEM_CUSTOM };

static _Atomic int mem_state = MEM_UNSET;
static mlp_allocator mem_custom; /* written once, before mem_state becomes MEM_CUSTOM */

/* The installed allocator, or NULL for the C library's; fixes the default on first use. */
static const mlp_allocator *mem_active(void)
{
    int s = atomic_load_explicit(&mem_state, memory_order_acquire);
    if (s == MEM_UNSET) {
        if (atomic_compare_exchange_strong_explicit(&mem_state, &s, MEM_DEFAULT,
                                                    memory_order_acq_rel,
                                                    memory_order_acquire))
            return NULL;
    }
    /* Only a caller breaking the contract (allocating while installing) can see this. */
    while (s == MEM_INSTALLING) s = atomic_load_explicit(&mem_state, memory_order_acquire);
    return s == MEM_CUSTOM ? &mem_custom : NULL;
}

mlp_status mlp_set_allocator(const mlp_allocator *allocator)
{
    return mlp_set_allocator_ex(allocator, NULL);
}

mlp_status mlp_set_allocator_ex(const mlp_allocator *allocator, mlp_error_detail *detail)
{
    if (!allocator) return mlp_fail(detail, MLP_ERR_NULL_ARG, "allocator is NULL");
    mlp_allocator a; /* the caller's struct_size bytes (config-struct rule of mlp.h) */
    memset(&a, 0, sizeof a);
    mlp_status st = mlp_read_config(&a, sizeof a, allocator, sizeof a, "allocator",
                                    "mlp_allocator", detail);
    if (st != MLP_OK) return st;
    if (!a.alloc || !a.realloc || !a.free)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "allocator->%s is NULL: alloc, realloc and "
                        "free are all needed",
                        !a.alloc ? "alloc" : !a.realloc ? "realloc" : "free");
    int expected = MEM_UNSET;
    if (!atomic_compare_exchange_strong_explicit(&mem_state, &expected, MEM_INSTALLING,
                                                 memory_order_acq_rel, memory_order_acquire))
        return mlp_fail(detail, MLP_ERR_STATE, "an allocator is installed already: "
                        "mlp_set_allocator works once, before any other call");
    mem_custom = a;
    atomic_store_explicit(&mem_state, MEM_CUSTOM, memory_order_release);
    return MLP_OK;
}

void *mlp_mem_alloc(size_t size)
{
    const mlp_allocator *a = mem_active();
    if (size == 0) size = 1; /* one answer for malloc(0) on every allocator */
    return a ? a->alloc(size, a->user) : malloc(size);
}

void *mlp_mem_calloc(size_t count, size_t size)
{
    size_t bytes;
    if (!mlp_mul_size(count, size, &bytes)) return NULL;
    const mlp_allocator *a = mem_active();
    if (!a) return calloc(bytes ? bytes : 1, 1); /* lazily zeroed pages for large blocks */
    void *p = a->alloc(bytes ? bytes : 1, a->user);
    if (p) memset(p, 0, bytes);
    return p;
}

void *mlp_mem_realloc(void *ptr, size_t size)
{
    if (!ptr) return mlp_mem_alloc(size);
    const mlp_allocator *a = mem_active();
    if (size == 0) size = 1;
    return a ? a->realloc(ptr, size, a->user) : realloc(ptr, size);
}

void mlp_mem_free(void *ptr)
{
    if (!ptr) return;
    const mlp_allocator *a = mem_active();
    if (a)
        a->free(ptr, a->user);
    else
        free(ptr);
}

int mlp_mem_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    size_t ncap = *cap ? *cap : 16, bytes;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return 0;
        ncap *= 2;
    }
    if (!mlp_mul_size(ncap, elem, &bytes)) return 0;
    void *np = mlp_mem_realloc(*p, bytes);
    if (!np) return 0;
    *p = np;
    *cap = ncap;
    return 1;
}

/* Aligned blocks: over-allocate by align bytes and keep the block's start just below the
 * aligned pointer, so any allocator (and the default one alike) serves them. */
void *mlp_mem_aligned_alloc(size_t align, size_t size)
{
    size_t extra = align + sizeof(void *);
    if (align < sizeof(void *) || (align & (align - 1)) || size > SIZE_MAX - extra) return NULL;
    unsigned char *raw = mlp_mem_alloc(size + extra);
    if (!raw) return NULL;
    uintptr_t at = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
    unsigned char *p = raw + (at - (uintptr_t)raw);
    memcpy(p - sizeof raw, &raw, sizeof raw);
    return p;
}

void mlp_mem_aligned_free(void *ptr)
{
    if (!ptr) return;
    void *raw;
    memcpy(&raw, (unsigned char *)ptr - sizeof raw, sizeof raw);
    mlp_mem_free(raw);
}

char *mlp_mem_strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = mlp_mem_alloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
