/* The bf16 bound in a build without oneDNN: absent. */
#include "bf16_bound.h"

#include <stddef.h>

bench_bf16_bound *bench_bf16_bound_create(const bench_workload *w)
{
    (void)w;
    return NULL;
}

void bench_bf16_bound_free(bench_bf16_bound *b) { (void)b; }

long bench_bf16_bound_step(void *b)
{
    (void)b;
    return -1;
}
