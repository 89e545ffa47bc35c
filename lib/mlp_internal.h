/* Internal declarations shared by the files of lib/; never installed. */
#ifndef MLP_INTERNAL_H
#define MLP_INTERNAL_H

#include "mlp.h"

#include <stddef.h>
#include <stdint.h>

/* ---- rng.c: xoshiro256** seeded by splitmix64; state lives in the object using it. */
typedef struct mlp_rng {
    uint64_t s[4];
} mlp_rng;

void mlp_rng_seed(mlp_rng *rng, uint64_t seed);
uint64_t mlp_rng_next(mlp_rng *rng);
/* Uniform in [0, 1). */
float mlp_rng_uniform(mlp_rng *rng);
/* Standard normal (Box-Muller). */
float mlp_rng_normal(mlp_rng *rng);
/* Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t mlp_rng_below(mlp_rng *rng, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void mlp_rng_shuffle(mlp_rng *rng, size_t *idx, size_t n);

/* ---- net.c */
struct mlp_net {
    size_t n_layers;
    size_t *sizes;              /* n_layers + 1 */
    mlp_activation *activations;/* n_layers */
    mlp_bias_mode bias_mode;
    size_t *weights_offset;     /* n_layers */
    size_t *bias_offset;        /* n_layers; SIZE_MAX without bias */
    size_t param_count;
    size_t max_width;           /* max over sizes[] */
    float *params;
    mlp_rng rng;
};

/* Nets with equal layer count, widths, activations and bias mode. */
int mlp_net_same_topology(const mlp_net *a, const mlp_net *b);

/* True when x is neither NaN nor infinite. */
static inline int mlp_is_finite(float x) { return x - x == 0.0f; }

/* Overflow-checked a * b for sizes read from files or callers. Returns 0 on overflow. */
static inline int mlp_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

#endif /* MLP_INTERNAL_H */
