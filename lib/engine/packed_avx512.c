/* The AVX-512 kernels of packed inference (packed_forward.c): a layer's weights repacked
 * once into panels of MLP_PACK_NR outputs, input-major ([panel][input][32 outputs], zero
 * past the last output), so that the batch kernel reads one contiguous stream of whole
 * vectors per panel and the record-at-a-time kernel one stream per panel too.
 *
 * Batch kernel: Z = X W^T in register tiles of up to 12 records x 32 outputs (24 zmm
 * accumulators); the inputs are cut into blocks of KC (1024: on W5's 784 and 1024 inputs it
 * measured best against 256 and 512, a panel's block then read from L2), and each block of
 * the rows is first copied input-major (the tile then reads one stream, not rows a page
 * apart that share the L1's sets). Every output of a batch pass is one FMA chain over the inputs in increasing
 * order, whatever the batch size, tile or thread split: a record's result does not depend
 * on the batch it came in (from 2 records on; one record runs the matvec kernel below). */
#include "packed.h"

#if MLP_KERNELS_AVX512
#include <immintrin.h>

#define MLP_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define NR MLP_PACK_NR
#define KC MLP_PACK_KC

/* Masks of the two 16-output halves of a panel holding `valid` outputs (1..32). */
static inline __mmask16 half_mask(size_t valid, int half)
{
    const size_t v = half ? (valid > 16 ? valid - 16 : 0) : (valid > 16 ? 16 : valid);
    return (__mmask16)((1u << v) - 1u);
}

/* c (R rows, ldc apart, `valid` outputs) (+)= a x b (kc x 32), a packed: kc x R. */
#define TILE(R)                                                                            \
    MLP_AVX512 static void tile##R(const float *a, const float *b, size_t kc,               \
                                   float *c, size_t ldc, size_t valid, int accumulate)      \
    {                                                                                      \
        const __mmask16 m0 = half_mask(valid, 0), m1 = half_mask(valid, 1);                \
        __m512 lo[R], hi[R];                                                               \
        _Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                             \
            lo[r] = accumulate ? _mm512_maskz_loadu_ps(m0, c + r * ldc) : _mm512_setzero_ps(); \
            hi[r] = accumulate ? _mm512_maskz_loadu_ps(m1, c + r * ldc + 16)                \
                               : _mm512_setzero_ps();                                      \
        }                                                                                  \
        for (size_t k = 0; k < kc; k++) {                                                  \
            const __m512 b0 = _mm512_load_ps(b + k * NR), b1 = _mm512_load_ps(b + k * NR + 16); \
            _Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                         \
                const __m512 av = _mm512_set1_ps(a[k * R + (size_t)r]);                               \
                lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);                                    \
                hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);                                    \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 16") for (int r = 0; r < R; r++) {                             \
            _mm512_mask_storeu_ps(c + r * ldc, m0, lo[r]);                                 \
            _mm512_mask_storeu_ps(c + r * ldc + 16, m1, hi[r]);                            \
        }                                                                                  \
    }
TILE(12)
TILE(8)
TILE(4)
TILE(2)
TILE(1)

typedef void (*tile_fn)(const float *, const float *, size_t, float *, size_t, size_t, int);

/* The rows r .. r + R of in, inputs k0 .. k0 + kc, input-major into dst (kc x R). */
static void pack_rows(const float *in, size_t n_in, size_t r, size_t R, size_t k0, size_t kc,
                      float *dst)
{
    for (size_t i = 0; i < R; i++)
        for (size_t k = 0; k < kc; k++) dst[k * R + i] = in[(r + i) * n_in + k0 + k];
}

/* Rows r0 .. r1, panels p0 .. p1 of out (ldo = n_out) = in (ldi = n_in) W^T, W packed;
 * at most MLP_PACK_MC rows (scratch: MLP_PACK_MC x KC floats, 64-byte aligned). */
MLP_AVX512 void mlp_packed_gemm_avx512(const float *packed, size_t n_out, size_t n_in,
                                       const float *in, size_t r0, size_t r1, size_t p0,
                                       size_t p1, float *out, float *scratch)
{
    static const struct {
        int rows;
        tile_fn fn;
    } tiles[] = {{12, tile12}, {8, tile8}, {4, tile4}, {2, tile2}, {1, tile1}};
    for (size_t k0 = 0; k0 < n_in; k0 += KC) {
        const size_t kc = n_in - k0 < KC ? n_in - k0 : KC;
        size_t r = r0;
        for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++)
            for (const size_t R = (size_t)tiles[t].rows; r + R <= r1; r += R)
                pack_rows(in, n_in, r, R, k0, kc, scratch + (r - r0) * kc);
        for (size_t p = p0; p < p1; p++) {
            const float *b = packed + (p * n_in + k0) * NR;
            const size_t valid = n_out - p * NR < NR ? n_out - p * NR : NR;
            r = r0;
            for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++)
                for (const size_t R = (size_t)tiles[t].rows; r + R <= r1; r += R)
                    tiles[t].fn(scratch + (r - r0) * kc, b, kc, out + r * n_out + p * NR,
                                n_out, valid, k0 > 0);
        }
    }
}

/* Stores a panel's two halves (`valid` outputs of 32). */
MLP_AVX512 static inline void store_panel(float *y, size_t valid, __m512 lo, __m512 hi)
{
    _mm512_mask_storeu_ps(y, half_mask(valid, 0), lo);
    _mm512_mask_storeu_ps(y + 16, half_mask(valid, 1), hi);
}

/* Panels p0 .. p1 of y = W[:, k0 .. k1] x[k0 .. k1] for one record. Two panels at a time:
 * one broadcast of x[k] feeds four FMAs (1.25 loads per FMA, against 1.5 for one panel),
 * which measured 4-7% faster on W5's 1024-wide layers, whose weights stream from L3. Two
 * partial sums per output (even and odd k), added at the end. */
MLP_AVX512 void mlp_packed_matvec_avx512(const float *packed, size_t n_out, size_t n_in,
                                         const float *x, size_t k0, size_t k1, size_t p0,
                                         size_t p1, float *y)
{
    size_t p = p0;
    for (; p + 2 <= p1; p += 2) {
        const float *b = packed + p * n_in * NR, *c = b + n_in * NR;
        __m512 a[8];
        for (int j = 0; j < 8; j++) a[j] = _mm512_setzero_ps();
        size_t k = k0;
        for (; k + 2 <= k1; k += 2)
#pragma GCC unroll 2
            for (int j = 0; j < 2; j++) {
                const size_t o = (k + (size_t)j) * NR;
                const __m512 xv = _mm512_set1_ps(x[k + (size_t)j]);
                a[4 * j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + o), a[4 * j]);
                a[4 * j + 1] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + o + 16), a[4 * j + 1]);
                a[4 * j + 2] = _mm512_fmadd_ps(xv, _mm512_load_ps(c + o), a[4 * j + 2]);
                a[4 * j + 3] = _mm512_fmadd_ps(xv, _mm512_load_ps(c + o + 16), a[4 * j + 3]);
            }
        if (k < k1) {
            const __m512 xv = _mm512_set1_ps(x[k]);
            a[0] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR), a[0]);
            a[1] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR + 16), a[1]);
            a[2] = _mm512_fmadd_ps(xv, _mm512_load_ps(c + k * NR), a[2]);
            a[3] = _mm512_fmadd_ps(xv, _mm512_load_ps(c + k * NR + 16), a[3]);
        }
        for (size_t q = 0; q < 2; q++) {
            const size_t o = (p + q) * NR, valid = n_out - o < NR ? n_out - o : NR;
            store_panel(y + o, valid, _mm512_add_ps(a[2 * q], a[2 * q + 4]),
                        _mm512_add_ps(a[2 * q + 1], a[2 * q + 5]));
        }
    }
    if (p < p1) { /* the last panel of an odd count */
        const float *b = packed + p * n_in * NR;
        __m512 a[4];
        for (int j = 0; j < 4; j++) a[j] = _mm512_setzero_ps();
        size_t k = k0;
        for (; k + 2 <= k1; k += 2)
#pragma GCC unroll 2
            for (int j = 0; j < 2; j++) {
                const size_t o = (k + (size_t)j) * NR;
                const __m512 xv = _mm512_set1_ps(x[k + (size_t)j]);
                a[2 * j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + o), a[2 * j]);
                a[2 * j + 1] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + o + 16), a[2 * j + 1]);
            }
        if (k < k1) {
            const __m512 xv = _mm512_set1_ps(x[k]);
            a[0] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR), a[0]);
            a[1] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR + 16), a[1]);
        }
        const size_t o = p * NR, valid = n_out - o < NR ? n_out - o : NR;
        store_panel(y + o, valid, _mm512_add_ps(a[0], a[2]), _mm512_add_ps(a[1], a[3]));
    }
}
#endif
