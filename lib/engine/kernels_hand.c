/* Hand loops for one record, where a BLAS call costs more than the work (kann's finding,
 * measured again here: see bench/). Compiled once per variant (kernels.h): the same source
 * is the "generic" table with the baseline flags and the "avx2" one with -mavx2 -mfma. */
#include "kernels.h"
#include "fast_math.h"

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

void MLP_KERNEL_NAME(mlp_hand_matvec)(const float *w, size_t rows, size_t cols, const float *x, float *y)
{
    size_t j = 0;
    if (cols >= 16)
        for (; j + 4 <= rows; j += 4) dot4(w + j * cols, cols, x, y + j);
    for (; j < rows; j++) y[j] = dot(w + j * cols, x, cols);
}

static inline void axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

void MLP_KERNEL_NAME(mlp_hand_matvec_trans)(const float *w, size_t rows, size_t cols, const float *d, float *out)
{
    for (size_t i = 0; i < cols; i++) out[i] = 0.0f;
    for (size_t j = 0; j < rows; j++) axpy(out, d[j], w + j * cols, cols);
}

void MLP_KERNEL_NAME(mlp_hand_rank1)(float *g, size_t rows, size_t cols, const float *d, const float *z,
                  int accumulate)
{
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

void MLP_KERNEL_NAME(mlp_hand_backprop_update)(float *w, size_t rows, size_t cols, const float *d, const float *z,
                            float step, float keep, float *delta_prev)
{
    size_t j = 0;
    if (delta_prev) {
        for (size_t i = 0; i < cols; i++) delta_prev[i] = 0.0f;
        for (; j + 4 <= rows; j += 4)
            backprop_update_rows4(w + j * cols, cols, d + j, z, step, keep, delta_prev);
    }
    for (; j < rows; j++)
        backprop_update_row(w + j * cols, cols, d[j], z, step, keep, delta_prev);
}

void MLP_KERNEL_NAME(mlp_hand_update_matvec)(float *w, size_t rows, size_t cols, const float *d, const float *z,
                          float step, float keep, const float *x, float *y)
{
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

#define MLP_KERNEL_STR2(s) #s
#define MLP_KERNEL_STR(s) MLP_KERNEL_STR2(s)

const mlp_kernel_table MLP_KERNEL_NAME(mlp_kernels) = {
    .name = MLP_KERNEL_STR(MLP_KERNEL_SUFFIX),
    .matvec = MLP_KERNEL_NAME(mlp_hand_matvec),
    .matvec_trans = MLP_KERNEL_NAME(mlp_hand_matvec_trans),
    .rank1 = MLP_KERNEL_NAME(mlp_hand_rank1),
    .backprop_update = MLP_KERNEL_NAME(mlp_hand_backprop_update),
    .update_matvec = MLP_KERNEL_NAME(mlp_hand_update_matvec),
#ifdef MLP_HAVE_V8
    .tiny_step = MLP_KERNEL_NAME(mlp_tiny_step),
#else
    .tiny_step = NULL,
#endif
};
