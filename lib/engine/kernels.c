/* Hand loops for one record, where a BLAS call costs more than the work (kann's finding,
 * measured again here: see bench/). The entry points are compiled twice, baseline and
 * x86-64-v3 (AVX2 + FMA), and picked at load time; the helpers inline into both. */
#include "mlp_internal.h"

#include <cblas.h>

/* Weights per layer above which the one-record paths call OpenBLAS instead (its
 * multithreaded sgemv wins once the matrix leaves the L2 cache). */
#define MLP_SMALL_LAYER (1u << 18)

/* y[0..3] = four rows of W times x: x is loaded once for four rows, and the 8 accumulators
 * (4 rows x 2 vectors of 8) hide the FMA latency. */
static inline void dot4(const float *restrict w, size_t cols, const float *restrict x,
                        float *restrict y)
{
    const float *w0 = w, *w1 = w + cols, *w2 = w + 2 * cols, *w3 = w + 3 * cols;
    float a0[16] = {0}, a1[16] = {0}, a2[16] = {0}, a3[16] = {0};
    size_t i = 0;
    for (; i + 16 <= cols; i += 16)
        for (size_t t = 0; t < 16; t++) {
            const float xv = x[i + t];
            a0[t] += w0[i + t] * xv;
            a1[t] += w1[i + t] * xv;
            a2[t] += w2[i + t] * xv;
            a3[t] += w3[i + t] * xv;
        }
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    for (; i < cols; i++) {
        s0 += w0[i] * x[i];
        s1 += w1[i] * x[i];
        s2 += w2[i] * x[i];
        s3 += w3[i] * x[i];
    }
    for (size_t t = 0; t < 16; t++) {
        s0 += a0[t];
        s1 += a1[t];
        s2 += a2[t];
        s3 += a3[t];
    }
    y[0] = s0;
    y[1] = s1;
    y[2] = s2;
    y[3] = s3;
}

static inline float dot(const float *restrict a, const float *restrict b, size_t n)
{
    if (n < 16) { /* tiny layers: no accumulator set-up */
        float s = 0.0f;
        for (size_t i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (size_t t = 0; t < 16; t++) acc[t] += a[i + t] * b[i + t];
    float s = 0.0f;
    for (; i < n; i++) s += a[i] * b[i];
    for (size_t t = 0; t < 16; t++) s += acc[t];
    return s;
}

/* ---- AVX-512 versions of the two kernels the large one-record layers spend their time in
 * (one zmm load per 16 weights halves the load instructions of the AVX2 clone, which is
 * what limits streaming a layer from L2). Picked per call with __builtin_cpu_supports. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MLP_AVX512_KERNELS 1
#include <immintrin.h>
#define MLP_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))

static int have_avx512(void) { return __builtin_cpu_supports("avx512f"); }

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
#endif

static inline void matvec_hand(const float *w, size_t rows, size_t cols, const float *x,
                               float *y)
{
    size_t j = 0;
    if (cols >= 16)
        for (; j + 4 <= rows; j += 4) dot4(w + j * cols, cols, x, y + j);
    for (; j < rows; j++) y[j] = dot(w + j * cols, x, cols);
}

MLP_VECTORIZE
void mlp_kernel_matvec(const float *w, size_t rows, size_t cols, const float *x, float *y)
{
    if (rows * cols > MLP_SMALL_LAYER) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, x, 1,
                    0.0f, y, 1);
        return;
    }
    matvec_hand(w, rows, cols, x, y);
}

MLP_VECTORIZE
void mlp_kernel_matvec_hand(const float *w, size_t rows, size_t cols, const float *x, float *y)
{
#ifdef MLP_AVX512_KERNELS
    if (have_avx512()) {
        matvec_avx512(w, rows, cols, x, y);
        return;
    }
#endif
    matvec_hand(w, rows, cols, x, y);
}

static inline void axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

MLP_VECTORIZE
void mlp_kernel_matvec_trans(const float *w, size_t rows, size_t cols, const float *d, float *out)
{
    if (rows * cols > MLP_SMALL_LAYER) {
        cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, d, 1,
                    0.0f, out, 1);
        return;
    }
    for (size_t i = 0; i < cols; i++) out[i] = 0.0f;
    for (size_t j = 0; j < rows; j++) axpy(out, d[j], w + j * cols, cols);
}

MLP_VECTORIZE
void mlp_kernel_rank1(float *g, size_t rows, size_t cols, const float *d, const float *z,
                      int accumulate)
{
    if (rows * cols > MLP_SMALL_LAYER) {
        if (!accumulate)
            for (size_t i = 0; i < rows * cols; i++) g[i] = 0.0f;
        cblas_sger(CblasRowMajor, (int)rows, (int)cols, 1.0f, d, 1, z, 1, g, (int)cols);
        return;
    }
    for (size_t j = 0; j < rows; j++) {
        float *row = g + j * cols;
        if (!accumulate)
            for (size_t i = 0; i < cols; i++) row[i] = 0.0f;
        axpy(row, d[j], z, cols);
    }
}

/* Four rows at once: delta_prev is read and written once per four rows. */
static inline void backprop_update_rows4(float *restrict w, size_t cols,
                                         const float *restrict d, const float *restrict z,
                                         float step, float keep, float *restrict delta_prev)
{
    float *w0 = w, *w1 = w + cols, *w2 = w + 2 * cols, *w3 = w + 3 * cols;
    const float d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
    const float s0 = step * d0, s1 = step * d1, s2 = step * d2, s3 = step * d3;
    for (size_t i = 0; i < cols; i++) {
        /* the weights before their update */
        delta_prev[i] += w0[i] * d0 + w1[i] * d1 + w2[i] * d2 + w3[i] * d3;
        w0[i] = keep * w0[i] - s0 * z[i];
        w1[i] = keep * w1[i] - s1 * z[i];
        w2[i] = keep * w2[i] - s2 * z[i];
        w3[i] = keep * w3[i] - s3 * z[i];
    }
}

static inline void backprop_update_row(float *restrict w, size_t cols, float d,
                                       const float *restrict z, float step, float keep,
                                       float *restrict delta_prev)
{
    const float sd = step * d;
    if (delta_prev)
        for (size_t i = 0; i < cols; i++) {
            delta_prev[i] += w[i] * d; /* the weight before its update */
            w[i] = keep * w[i] - sd * z[i];
        }
    else if (keep == 1.0f)
        for (size_t i = 0; i < cols; i++) w[i] -= sd * z[i];
    else
        for (size_t i = 0; i < cols; i++) w[i] = keep * w[i] - sd * z[i];
}

MLP_VECTORIZE
void mlp_kernel_backprop_update(float *w, size_t rows, size_t cols, const float *d,
                                const float *z, float step, float keep, float *delta_prev)
{
#ifdef MLP_AVX512_KERNELS
    if (have_avx512()) {
        backprop_update_avx512(w, rows, cols, d, z, step, keep, delta_prev);
        return;
    }
#endif
    size_t j = 0;
    if (delta_prev) {
        for (size_t i = 0; i < cols; i++) delta_prev[i] = 0.0f;
        for (; j + 4 <= rows; j += 4)
            backprop_update_rows4(w + j * cols, cols, d + j, z, step, keep, delta_prev);
    }
    for (; j < rows; j++)
        backprop_update_row(w + j * cols, cols, d[j], z, step, keep, delta_prev);
}

MLP_VECTORIZE
void mlp_kernel_update_matvec(float *w, size_t rows, size_t cols, const float *d,
                              const float *z, float step, float keep, const float *x, float *y)
{
#ifdef MLP_AVX512_KERNELS
    if (have_avx512()) {
        update_matvec_avx512(w, rows, cols, d, z, step, keep, x, y);
        return;
    }
#endif
    /* Four rows are updated, then (still in L1) multiplied by x sharing its loads. */
    size_t j = 0;
    if (cols >= 16)
        for (; j + 4 <= rows; j += 4) {
            for (size_t r = 0; r < 4; r++)
                backprop_update_row(w + (j + r) * cols, cols, d[j + r], z, step, keep, NULL);
            dot4(w + j * cols, cols, x, y + j);
        }
    for (; j < rows; j++) {
        backprop_update_row(w + j * cols, cols, d[j], z, step, keep, NULL);
        y[j] = dot(w + j * cols, x, cols);
    }
}
