/* The int8 products of a quantized layer: unsigned 8-bit inputs times signed 8-bit weights
 * summed in int32 (exact), then scaled to float. Two kernels on the same packed weights
 * (model/int8_weights.c): a portable loop, and AVX512-VNNI, whose VPDPBUSD multiplies 4
 * input bytes by the 4 weights of 16 outputs and adds them to 16 int32 sums. Both scale a
 * sum the same way, so their results are equal bit for bit.
 * Against oneDNN 2.6's int8 matmul (u8 x s8, f32 output with per-column scales fixed at
 * creation, weights reordered to its layout), one thread each on W5's three products,
 * alternating windows, medians of 9 (shared machine, load 16 on 2 cores): batch 256, 6.37 ms
 * here against 6.33 ms (a tie); batch 1, 79 us against 107 us (this kernel 1.36x faster).
 * Hence no oneDNN for int8: the same speed where it is fast, faster at batch 1, and every
 * build has it. */
#include "mlp_internal.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <cpuid.h>
#include <immintrin.h>
#define INT8_X86 1
#endif

/* One output block of 16: the scaling both kernels share, y = (s_i s_j) (sum - corr_j). */
static inline float dequant(int32_t sum, int32_t corr, float row_scale, float w_scale)
{
    return (float)(sum - corr) * (row_scale * w_scale);
}

void mlp_int8_gemm_generic(const mlp_int8_layer *l, const uint8_t *q, size_t batch,
                           const float *row_scale, float *out, size_t ldo)
{
    const size_t k4 = l->k_pad / 4, blocks = l->n_pad / 16;
    for (size_t i = 0; i < batch; i++) {
        const uint8_t *x = q + i * l->k_pad;
        for (size_t jb = 0; jb < blocks; jb++) {
            const int8_t *w = l->packed + jb * k4 * 64;
            int32_t acc[16] = {0};
            for (size_t k = 0; k < k4; k++)
                for (int t = 0; t < 16; t++)
                    for (int u = 0; u < 4; u++)
                        acc[t] += (int32_t)x[4 * k + u] * w[k * 64 + t * 4 + u];
            for (int t = 0; t < 16 && jb * 16 + (size_t)t < l->n_out; t++) {
                const size_t j = jb * 16 + (size_t)t;
                out[i * ldo + j] = dequant(acc[t], l->w_corr[j], row_scale[i], l->w_scale[j]);
            }
        }
    }
}

#if INT8_X86
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* acc += the products of b's and w's bytes, in place: GCC 12 compiles the intrinsic
 * _mm512_dpbusd_epi32 with a register copy around every product (and spills on the 4 x 4
 * tile), which halved the kernel's speed; the instruction itself is what the intrinsic is. */
static inline __attribute__((always_inline)) VNNI __m512i dpbusd(__m512i acc, __m512i b,
                                                                  __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(b), "v"(w));
    return acc;
}

/* Rows [i0, i0 + R) by column blocks [jb, jb + C) of 16, R and C constants after inlining:
 * R x C sums in registers, C weight vectors loaded once per 4 inputs for R rows. */
static inline __attribute__((always_inline)) VNNI void
vnni_tile(const mlp_int8_layer *l, const uint8_t *q, size_t i0, const int R, size_t jb,
          const int C, const float *row_scale, float *out, size_t ldo)
{
    const size_t k4 = l->k_pad / 4;
    __m512i acc[4][4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_si512();
    const int8_t *w = l->packed + jb * k4 * 64;
    const uint8_t *x = q + i0 * l->k_pad;
    for (size_t k = 0; k < k4; k++) {
        __m512i wv[4];
#pragma GCC unroll 4
        for (int c = 0; c < C; c++)
            wv[c] = _mm512_load_si512((const void *)(w + ((size_t)c * k4 + k) * 64));
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            int32_t four;
            memcpy(&four, x + (size_t)r * l->k_pad + 4 * k, 4);
            const __m512i xb = _mm512_set1_epi32(four);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) acc[r][c] = dpbusd(acc[r][c], xb, wv[c]);
        }
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; c++) {
        const size_t j0 = (jb + (size_t)c) * 16, left = l->n_out - j0;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        const __m512i corr = _mm512_load_si512((const void *)(l->w_corr + j0));
        const __m512 ws = _mm512_load_ps(l->w_scale + j0);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const __m512 s = _mm512_mul_ps(_mm512_set1_ps(row_scale[i0 + (size_t)r]), ws);
            const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][c], corr));
            _mm512_mask_storeu_ps(out + (i0 + (size_t)r) * ldo + j0, m,
                                  _mm512_mul_ps(v, s));
        }
    }
}

/* The full 4 x 4 tile with named sums: GCC keeps an array of them in registers only with
 * copies around every VPDPBUSD (measured: 2 register moves per product and spills). */
static inline __attribute__((always_inline)) VNNI void
vnni_tile_4x4(const mlp_int8_layer *l, const uint8_t *q, size_t i0, size_t jb,
              const float *row_scale, float *out, size_t ldo)
{
    const size_t k4 = l->k_pad / 4, kp = l->k_pad;
    __m512i a00 = _mm512_setzero_si512(), a01 = a00, a02 = a00, a03 = a00;
    __m512i a10 = a00, a11 = a00, a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00;
    __m512i a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    const int8_t *w = l->packed + jb * k4 * 64;
    const uint8_t *x = q + i0 * kp;
    for (size_t k = 0; k < k4; k++) {
        const __m512i w0 = _mm512_load_si512((const void *)(w + k * 64));
        const __m512i w1 = _mm512_load_si512((const void *)(w + (k4 + k) * 64));
        const __m512i w2 = _mm512_load_si512((const void *)(w + (2 * k4 + k) * 64));
        const __m512i w3 = _mm512_load_si512((const void *)(w + (3 * k4 + k) * 64));
        int32_t f0, f1, f2, f3;
        memcpy(&f0, x + 4 * k, 4);
        memcpy(&f1, x + kp + 4 * k, 4);
        memcpy(&f2, x + 2 * kp + 4 * k, 4);
        memcpy(&f3, x + 3 * kp + 4 * k, 4);
        __m512i b = _mm512_set1_epi32(f0);
        a00 = dpbusd(a00, b, w0), a01 = dpbusd(a01, b, w1);
        a02 = dpbusd(a02, b, w2), a03 = dpbusd(a03, b, w3);
        b = _mm512_set1_epi32(f1);
        a10 = dpbusd(a10, b, w0), a11 = dpbusd(a11, b, w1);
        a12 = dpbusd(a12, b, w2), a13 = dpbusd(a13, b, w3);
        b = _mm512_set1_epi32(f2);
        a20 = dpbusd(a20, b, w0), a21 = dpbusd(a21, b, w1);
        a22 = dpbusd(a22, b, w2), a23 = dpbusd(a23, b, w3);
        b = _mm512_set1_epi32(f3);
        a30 = dpbusd(a30, b, w0), a31 = dpbusd(a31, b, w1);
        a32 = dpbusd(a32, b, w2), a33 = dpbusd(a33, b, w3);
    }
    const __m512i acc[4][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13},
                               {a20, a21, a22, a23}, {a30, a31, a32, a33}};
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        const size_t j0 = (jb + (size_t)c) * 16, left = l->n_out - j0;
        const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
        const __m512i corr = _mm512_load_si512((const void *)(l->w_corr + j0));
        const __m512 ws = _mm512_load_ps(l->w_scale + j0);
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            const __m512 sc = _mm512_mul_ps(_mm512_set1_ps(row_scale[i0 + (size_t)r]), ws);
            const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][c], corr));
            _mm512_mask_storeu_ps(out + (i0 + (size_t)r) * ldo + j0, m, _mm512_mul_ps(v, sc));
        }
    }
}

#define TILE_CASE(R, C) \
    case (R - 1) * 4 + (C - 1): vnni_tile(l, q, i, R, jb, C, row_scale, out, ldo); break;

/* Column blocks of 4 x 16 outputs outermost: their weights (64 x n_in bytes) stay in cache
 * while every row block of 4 records passes over them. */
static VNNI void gemm_vnni(const mlp_int8_layer *l, const uint8_t *q, size_t batch,
                           const float *row_scale, float *out, size_t ldo)
{
    const size_t blocks = l->n_pad / 16;
    for (size_t jb = 0; jb < blocks; jb += 4) {
        const int C = blocks - jb < 4 ? (int)(blocks - jb) : 4;
        for (size_t i = 0; i < batch; i += 4) {
            const int R = batch - i < 4 ? (int)(batch - i) : 4;
            switch ((R - 1) * 4 + (C - 1)) {
                TILE_CASE(1, 1) TILE_CASE(1, 2) TILE_CASE(1, 3) TILE_CASE(1, 4)
                TILE_CASE(2, 1) TILE_CASE(2, 2) TILE_CASE(2, 3) TILE_CASE(2, 4)
                TILE_CASE(3, 1) TILE_CASE(3, 2) TILE_CASE(3, 3) TILE_CASE(3, 4)
                TILE_CASE(4, 1) TILE_CASE(4, 2) TILE_CASE(4, 3)
            case 15: vnni_tile_4x4(l, q, i, jb, row_scale, out, ldo); break;
            default: break;
            }
        }
    }
}

/* AVX512-VNNI: CPUID leaf 7, ECX bit 11, with AVX-512 F, BW and VL (EBX 16, 30, 31). */
static int cpu_has_vnni(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1) && ((c >> 11) & 1);
}

mlp_int8_gemm_fn mlp_int8_gemm_vnni_get(void) { return cpu_has_vnni() ? gemm_vnni : NULL; }
#else
mlp_int8_gemm_fn mlp_int8_gemm_vnni_get(void) { return NULL; }
#endif
