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

/* Panels p0 .. p1 of y = W x for one record: four partial sums per output (inputs k = 4i+j
 * in sum j), added in a fixed order. */
MLP_AVX512 void mlp_packed_matvec_avx512(const float *packed, size_t n_out, size_t n_in,
                                         const float *x, size_t p0, size_t p1, float *y)
{
    for (size_t p = p0; p < p1; p++) {
        const float *b = packed + p * n_in * NR;
        __m512 lo[4], hi[4];
        for (int j = 0; j < 4; j++) lo[j] = hi[j] = _mm512_setzero_ps();
        size_t k = 0;
        for (; k + 4 <= n_in; k += 4)
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const __m512 xv = _mm512_set1_ps(x[k + (size_t)j]);
                lo[j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + (k + (size_t)j) * NR), lo[j]);
                hi[j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + (k + (size_t)j) * NR + 16), hi[j]);
            }
        for (int j = 0; k < n_in; k++, j++) {
            const __m512 xv = _mm512_set1_ps(x[k]);
            lo[j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR), lo[j]);
            hi[j] = _mm512_fmadd_ps(xv, _mm512_load_ps(b + k * NR + 16), hi[j]);
        }
        const __m512 l = _mm512_add_ps(_mm512_add_ps(lo[0], lo[1]), _mm512_add_ps(lo[2], lo[3]));
        const __m512 h = _mm512_add_ps(_mm512_add_ps(hi[0], hi[1]), _mm512_add_ps(hi[2], hi[3]));
        const size_t valid = n_out - p * NR < NR ? n_out - p * NR : NR;
        _mm512_mask_storeu_ps(y + p * NR, half_mask(valid, 0), l);
        _mm512_mask_storeu_ps(y + p * NR + 16, half_mask(valid, 1), h);
    }
}
#endif
