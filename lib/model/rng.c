/* xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
#include "mlp_internal.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void mlp_rng_seed(mlp_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

uint64_t mlp_rng_next(mlp_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float mlp_rng_uniform(mlp_rng *rng)
{
    /* 24 high bits: every value exactly representable, never 1.0f. */
    return (float)(mlp_rng_next(rng) >> 40) * 0x1.0p-24f;
}

float mlp_rng_normal(mlp_rng *rng)
{
    /* Box-Muller on doubles; u1 in (0,1] so log never sees 0. */
    double u1 = ((double)(mlp_rng_next(rng) >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(mlp_rng_next(rng) >> 11) * 0x1.0p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint64_t mlp_rng_below(mlp_rng *rng, uint64_t n)
{
    /* Rejection sampling: discard the top partial range. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = mlp_rng_next(rng); while (x >= limit);
    return x % n;
}

void mlp_rng_shuffle(mlp_rng *rng, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)mlp_rng_below(rng, i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
