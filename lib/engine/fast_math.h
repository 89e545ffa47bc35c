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
    const float k0 = __builtin_floorf(x * 1.44269504f + 0.5f);
    const float k = k0 == k0 ? k0 : 0.0f; /* NaN in: r below is NaN, so NaN out, and no
                                             NaN-to-int conversion (undefined behaviour) */
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

/* exp, sigmoid and tanh on 8 lanes at once with GCC/Clang vector extensions, for callers
 * that hold whole chunks of 8 in registers (the tiny-net path, whose step is one dependency
 * chain: latency matters more than throughput). Same range reduction and polynomial as the
 * scalar versions, so results differ from them by rounding only, but evaluated for a short
 * chain: k by the round-to-nearest magic-number trick instead of a floor, and the
 * polynomial by Estrin's scheme instead of Horner's. In and out through pointers: 32-byte
 * vector arguments would change the ABI of the non-AVX clone. */
#if defined(__GNUC__)
#define MLP_HAVE_V8 1
typedef float mlp_v8f __attribute__((vector_size(32)));
typedef int32_t mlp_v8i __attribute__((vector_size(32)));

/* Lane-wise m ? a : b for a comparison mask m (all ones or all zeros per lane); C has no
 * vector ?: operator. */
#define MLP_V8_SELECT(m, a, b) ((mlp_v8f)(((m) & (mlp_v8i)(a)) | (~(m) & (mlp_v8i)(b))))

/* *v = exp(*v). The clamp of the scalar version becomes a fix-up at the end: out-of-range
 * lanes compute junk (never trapping) and then take the clamped results, so the compares
 * run beside the arithmetic instead of ahead of it. */
static inline void mlp_fast_exp_v8(mlp_v8f *v)
{
    const mlp_v8f x = *v;
    const mlp_v8f zero = {0}, magic = zero + 12582912.0f; /* 1.5 * 2^23 rounds to integers */
    const mlp_v8i low = x < -87.0f, high = x > 88.0f;
    const mlp_v8f t = x * 1.44269504f + magic; /* k = round(x / ln2) sits in t's low bits */
    const mlp_v8f k = t - magic;
    const mlp_v8f r = (x - k * 0.693145752f) - k * 1.42860677e-6f; /* ln2 split hi + lo */
    const mlp_v8f r2 = r * r, r4 = r2 * r2;
    const mlp_v8f lo3 = r2 * (r * (1.0f / 6.0f) + 0.5f) + (r + 1.0f);
    const mlp_v8f hi3 = r2 * (1.0f / 720.0f) + (r * (1.0f / 120.0f) + 1.0f / 24.0f);
    const mlp_v8i ki = (mlp_v8i)t - (mlp_v8i)magic;
    mlp_v8f e = (r4 * hi3 + lo3) * (mlp_v8f)((ki + 127) << 23);
    e = MLP_V8_SELECT(low, zero + 0x1.666d0cp-126f, e); /* mlp_fast_exp(-87) */
    *v = MLP_V8_SELECT(high, zero + 0x1.f1056ep+126f, e); /* mlp_fast_exp(88) */
}

/* *v = sigmoid(*v). */
static inline void mlp_fast_sigmoid_v8(mlp_v8f *v)
{
    mlp_v8f e = -*v;
    mlp_fast_exp_v8(&e);
    *v = 1.0f / (1.0f + e);
}

/* *v = tanh(*v). */
static inline void mlp_fast_tanh_v8(mlp_v8f *v)
{
    const mlp_v8f a = *v;
    mlp_v8f e = -2.0f * (mlp_v8f)((mlp_v8i)a & 0x7fffffff); /* -2|a| */
    mlp_fast_exp_v8(&e);
    const mlp_v8f t = (1.0f - e) / (1.0f + e);
    *v = MLP_V8_SELECT(a < 0.0f, -t, t);
}
#endif

#endif /* MLP_FAST_MATH_H */
