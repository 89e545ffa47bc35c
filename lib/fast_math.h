/* Branch-free float exp that the compiler can vectorise (libm's expf is a call per element).
 * Range reduction x = k ln2 + r, |r| <= ln2/2, then a degree-6 polynomial: relative error
 * about 2e-7, i.e. within a few ulp of expf over the clamped range. */
#ifndef MLP_FAST_MATH_H
#define MLP_FAST_MATH_H

#include <stdint.h>
#include <string.h>

static inline float mlp_fast_exp(float x)
{
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float k = __builtin_floorf(x * 1.44269504f + 0.5f);
    const float r = (x - k * 0.693145752f) - k * 1.42860677e-6f; /* ln2 split hi + lo */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const int32_t bits = ((int32_t)k + 127) << 23; /* 2^k, k in [-126, 127] after the clamp */
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

static inline float mlp_fast_sigmoid(float a) { return 1.0f / (1.0f + mlp_fast_exp(-a)); }

/* tanh(a) = sign(a) (1 - e) / (1 + e), e = exp(-2|a|): never overflows. */
static inline float mlp_fast_tanh(float a)
{
    const float e = mlp_fast_exp(-2.0f * __builtin_fabsf(a));
    const float t = (1.0f - e) / (1.0f + e);
    return a < 0.0f ? -t : t;
}

#endif /* MLP_FAST_MATH_H */
