/* AVX-512 versions of the three kernels the large one-record layers spend their time in
 * (one zmm load per 16 weights halves the load instructions of the AVX2 loops, which is
 * what limits streaming a layer from L2); the other entries of the table are AVX2's. */
#include "kernels.h"

#include <stdint.h>

#if MLP_KERNELS_AVX512
#include <immintrin.h>
#define MLP_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

MLP_AVX512 static inline __mmask16 tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }

/* Floats before p's next 64-byte boundary (0 when aligned or not float-aligned), at most n. */
static inline size_t head_floats(const float *p, size_t n)
{
    const uintptr_t a = (uintptr_t)p;
    size_t h = a % 4 ? 0 : (size_t)((64 - a % 64) % 64) / 4;
    return h < n ? h : n;
}

/* y[r] = sum of acc[r]'s lanes after rotating them back to column order (lane l held the
 * columns i = l - h mod 16), in a fixed order: the sum does not depend on h. */
MLP_AVX512 static inline void reduce_rotated(const __m512 *acc, int rows, size_t h, float *y)
{
    const __m512i rot = _mm512_add_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int)h));
    const __m512i idx = _mm512_and_si512(rot, _mm512_set1_epi32(15));
    for (int r = 0; r < rows; r++) y[r] = _mm512_reduce_add_ps(_mm512_permutexvar_ps(idx, acc[r]));
}

/* R rows of W (row r at w + r * cols) times x. Chunks of 16 columns start at column -h,
 * where h puts w's first row on a cache line (its later rows too when cols % 16 == 0);
 * lane l of a row's accumulator adds the columns i = l - h (mod 16) in increasing order,
 * one FMA chain per row (masked lanes are left untouched), and the lanes are rotated back
 * to column order before a fixed-order reduction. So the result does not depend on h,
 * that is on where the weights were allocated: the same bits for every run. */
#define MATVEC_ROWS(R)                                                                     \
    MLP_AVX512 static void matvec_rows##R(const float *w, size_t cols, const float *x,     \
                                          float *y)                                          \
    {                                                                                      \
        const size_t h = (size_t)(((uintptr_t)w / sizeof(float)) % 16);                    \
        __m512 acc[R];                                                                     \
        for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();                          \
        size_t c = 0;                                                                      \
        const size_t end = cols + h;                                                       \
        /* partial chunks (the first and the last) masked, whole ones plain */             \
        while (c < end) {                                                                  \
            const size_t lo = c < h ? h - c : 0, hi = end - c < 16 ? end - c : 16;         \
            const ptrdiff_t off = (ptrdiff_t)c - (ptrdiff_t)h;                             \
            if (lo == 0 && hi == 16) {                                                     \
                for (; c + 16 <= end; c += 16) {                                           \
                    const size_t o = c - h;                                                \
                    const __m512 xv = _mm512_loadu_ps(x + o);                              \
                    for (int r = 0; r < R; r++)                                            \
                        acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(w + r * cols + o), xv,    \
                                                 acc[r]);                                  \
                }                                                                          \
                continue;                                                                  \
            }                                                                              \
            const __mmask16 m = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));      \
            const __m512 xv = _mm512_maskz_loadu_ps(m, (const char *)x + off * 4);         \
            for (int r = 0; r < R; r++)                                                    \
                acc[r] = _mm512_mask3_fmadd_ps(                                            \
                    _mm512_maskz_loadu_ps(m, (const char *)(w + r * cols) + off * 4), xv,  \
                    acc[r], m);                                                            \
            c += 16;                                                                       \
        }                                                                                  \
        reduce_rotated(acc, R, h, y);                                                      \
    }
MATVEC_ROWS(8)
MATVEC_ROWS(4)
MATVEC_ROWS(1)

MLP_AVX512 static void matvec_avx512(const float *w, size_t rows, size_t cols, const float *x,
                                     float *y)
{
    size_t j = 0;
    for (; j + 8 <= rows; j += 8) matvec_rows8(w + j * cols, cols, x, y + j);
    for (; j + 4 <= rows; j += 4) matvec_rows4(w + j * cols, cols, x, y + j);
    for (; j < rows; j++) matvec_rows1(w + j * cols, cols, x, y + j);
}

/* W <- keep W - step d z^T, with delta_prev = W^T d (old W) when not NULL: four rows share
 * the loads of z (and of delta_prev). */
MLP_AVX512 static void backprop_update_avx512(float *restrict w, size_t rows, size_t cols,
                                              const float *restrict d, const float *restrict z,
                                              float step, float keep,
                                              float *restrict delta_prev)
{
    const __m512 kv = _mm512_set1_ps(keep);
    const int plain = keep == 1.0f;
    if (delta_prev)
        for (size_t i = 0; i < cols; i++) delta_prev[i] = 0.0f;
    size_t j = 0;
    for (; j + 4 <= rows; j += 4) {
        float *w0 = w + j * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        const __m512 d0 = _mm512_set1_ps(d[j]), d1 = _mm512_set1_ps(d[j + 1]),
                     d2 = _mm512_set1_ps(d[j + 2]), d3 = _mm512_set1_ps(d[j + 3]);
        const __m512 s0 = _mm512_set1_ps(step * d[j]), s1 = _mm512_set1_ps(step * d[j + 1]),
                     s2 = _mm512_set1_ps(step * d[j + 2]), s3 = _mm512_set1_ps(step * d[j + 3]);
        const size_t head = head_floats(w0, cols);
        for (size_t i = 0; i < cols;) { /* a first short chunk aligns w0's loads and stores */
            const size_t len = i == 0 && head ? head : cols - i >= 16 ? 16 : cols - i;
            const __mmask16 m = len == 16 ? (__mmask16)0xFFFF : tail_mask(len);
            const __m512 zv = _mm512_maskz_loadu_ps(m, z + i);
            __m512 v0 = _mm512_maskz_loadu_ps(m, w0 + i), v1 = _mm512_maskz_loadu_ps(m, w1 + i);
            __m512 v2 = _mm512_maskz_loadu_ps(m, w2 + i), v3 = _mm512_maskz_loadu_ps(m, w3 + i);
            if (delta_prev) {
                __m512 acc = _mm512_maskz_loadu_ps(m, delta_prev + i);
                acc = _mm512_fmadd_ps(v0, d0, acc);
                acc = _mm512_fmadd_ps(v1, d1, acc);
                acc = _mm512_fmadd_ps(v2, d2, acc);
                acc = _mm512_fmadd_ps(v3, d3, acc);
                _mm512_mask_storeu_ps(delta_prev + i, m, acc);
            }
            if (!plain) {
                v0 = _mm512_mul_ps(v0, kv);
                v1 = _mm512_mul_ps(v1, kv);
                v2 = _mm512_mul_ps(v2, kv);
                v3 = _mm512_mul_ps(v3, kv);
            }
            _mm512_mask_storeu_ps(w0 + i, m, _mm512_fnmadd_ps(s0, zv, v0));
            _mm512_mask_storeu_ps(w1 + i, m, _mm512_fnmadd_ps(s1, zv, v1));
            _mm512_mask_storeu_ps(w2 + i, m, _mm512_fnmadd_ps(s2, zv, v2));
            _mm512_mask_storeu_ps(w3 + i, m, _mm512_fnmadd_ps(s3, zv, v3));
            i += len;
        }
    }
    for (; j < rows; j++) {
        float *w0 = w + j * cols;
        const __m512 d0 = _mm512_set1_ps(d[j]), s0 = _mm512_set1_ps(step * d[j]);
        for (size_t i = 0; i < cols; i += 16) {
            const __mmask16 m = cols - i >= 16 ? (__mmask16)0xFFFF : tail_mask(cols - i);
            __m512 v0 = _mm512_maskz_loadu_ps(m, w0 + i);
            if (delta_prev)
                _mm512_mask_storeu_ps(delta_prev + i, m,
                                      _mm512_fmadd_ps(v0, d0, _mm512_maskz_loadu_ps(m, delta_prev + i)));
            if (!plain) v0 = _mm512_mul_ps(v0, kv);
            _mm512_mask_storeu_ps(w0 + i, m, _mm512_fnmadd_ps(s0, _mm512_maskz_loadu_ps(m, z + i), v0));
        }
    }
}
/* The deferred first-layer update fused with the next record's forward pass, one pass over
 * W: W <- keep W - step d z^T, then y = W x with the updated weights while in registers.
 * R rows share the loads of z and x. The dot products run in matvec_rows's chunk order
 * (lane rotation by the alignment h), so y has the same bits as matvec_avx512 on the
 * updated W, whatever R and wherever W lies. */
#define UPDATE_MATVEC_ROWS(R)                                                              \
    MLP_AVX512 static void update_matvec_rows##R(float *w, size_t cols, const float *d,    \
                                                 const float *z, float step, float keep,   \
                                                 const float *x, float *y)                 \
    {                                                                                      \
        const size_t h = (size_t)(((uintptr_t)w / sizeof(float)) % 16);                    \
        const __m512 kv = _mm512_set1_ps(keep);                                            \
        const int plain = keep == 1.0f;                                                    \
        __m512 acc[R], sv[R];                                                              \
        for (int r = 0; r < R; r++) {                                                      \
            acc[r] = _mm512_setzero_ps();                                                  \
            sv[r] = _mm512_set1_ps(step * d[r]);                                           \
        }                                                                                  \
        size_t c = 0;                                                                      \
        const size_t end = cols + h;                                                       \
        while (c < end) {                                                                  \
            const size_t lo = c < h ? h - c : 0, hi = end - c < 16 ? end - c : 16;         \
            const ptrdiff_t off = (ptrdiff_t)c - (ptrdiff_t)h;                             \
            if (lo == 0 && hi == 16) {                                                     \
                for (; c + 16 <= end; c += 16) {                                           \
                    const size_t o = c - h;                                                \
                    const __m512 xv = _mm512_loadu_ps(x + o), zv = _mm512_loadu_ps(z + o); \
                    for (int r = 0; r < R; r++) {                                          \
                        float *wr = w + r * cols + o;                                      \
                        __m512 v = _mm512_loadu_ps(wr);                                    \
                        if (!plain) v = _mm512_mul_ps(v, kv);                              \
                        v = _mm512_fnmadd_ps(sv[r], zv, v);                                \
                        _mm512_storeu_ps(wr, v);                                           \
                        acc[r] = _mm512_fmadd_ps(v, xv, acc[r]);                           \
                    }                                                                      \
                }                                                                          \
                continue;                                                                  \
            }                                                                              \
            const __mmask16 m = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));      \
            const __m512 xv = _mm512_maskz_loadu_ps(m, (const char *)x + off * 4);         \
            const __m512 zv = _mm512_maskz_loadu_ps(m, (const char *)z + off * 4);         \
            for (int r = 0; r < R; r++) {                                                  \
                char *wr = (char *)(w + r * cols) + off * 4;                               \
                __m512 v = _mm512_maskz_loadu_ps(m, wr);                                   \
                if (!plain) v = _mm512_mul_ps(v, kv);                                      \
                v = _mm512_fnmadd_ps(sv[r], zv, v);                                        \
                _mm512_mask_storeu_ps(wr, m, v);                                           \
                acc[r] = _mm512_mask3_fmadd_ps(v, xv, acc[r], m);                          \
            }                                                                              \
            c += 16;                                                                       \
        }                                                                                  \
        reduce_rotated(acc, R, h, y);                                                      \
    }
UPDATE_MATVEC_ROWS(8)
UPDATE_MATVEC_ROWS(4)
UPDATE_MATVEC_ROWS(1)

MLP_AVX512 static void update_matvec_avx512(float *w, size_t rows, size_t cols, const float *d,
                                            const float *z, float step, float keep,
                                            const float *x, float *y)
{
    size_t j = 0;
    for (; j + 8 <= rows; j += 8)
        update_matvec_rows8(w + j * cols, cols, d + j, z, step, keep, x, y + j);
    for (; j + 4 <= rows; j += 4)
        update_matvec_rows4(w + j * cols, cols, d + j, z, step, keep, x, y + j);
    for (; j < rows; j++) update_matvec_rows1(w + j * cols, cols, d + j, z, step, keep, x, y + j);
}

const mlp_kernel_table mlp_kernels_avx512 = {
    .name = "avx512",
    .matvec = matvec_avx512,
    .matvec_trans = mlp_hand_matvec_trans_avx2,
    .rank1 = mlp_hand_rank1_avx2,
    .backprop_update = backprop_update_avx512,
    .update_matvec = update_matvec_avx512,
    .tiny_step = mlp_tiny_step_avx2,
};
#endif
