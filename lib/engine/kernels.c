/* The BLAS table (OpenBLAS level 2: its threaded sgemv wins once a layer leaves the L2
 * cache) and the choice of the hand-loop table for this CPU. */
#include "kernels.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

static void blas_matvec(const float *w, size_t rows, size_t cols, const float *x, float *y)
{
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, x, 1,
                0.0f, y, 1);
}

static void blas_matvec_trans(const float *w, size_t rows, size_t cols, const float *d,
                              float *out)
{
    cblas_sgemv(CblasRowMajor, CblasTrans, (int)rows, (int)cols, 1.0f, w, (int)cols, d, 1, 0.0f,
                out, 1);
}

static void blas_rank1(float *g, size_t rows, size_t cols, const float *d, const float *z,
                       int accumulate)
{
    if (!accumulate) memset(g, 0, rows * cols * sizeof *g);
    cblas_sger(CblasRowMajor, (int)rows, (int)cols, 1.0f, d, 1, z, 1, g, (int)cols);
}

/* W <- keep W - step d z^T; rows scaled one at a time (a layer may exceed INT_MAX floats). */
static void blas_update(float *w, size_t rows, size_t cols, const float *d, const float *z,
                        float step, float keep)
{
    if (keep != 1.0f)
        for (size_t j = 0; j < rows; j++) cblas_sscal((int)cols, keep, w + j * cols, 1);
    cblas_sger(CblasRowMajor, (int)rows, (int)cols, -step, d, 1, z, 1, w, (int)cols);
}

static void blas_backprop_update(float *w, size_t rows, size_t cols, const float *d,
                                 const float *z, float step, float keep, float *delta_prev)
{
    if (delta_prev) blas_matvec_trans(w, rows, cols, d, delta_prev); /* the old W */
    blas_update(w, rows, cols, d, z, step, keep);
}

static void blas_update_matvec(float *w, size_t rows, size_t cols, const float *d,
                               const float *z, float step, float keep, const float *x, float *y)
{
    blas_update(w, rows, cols, d, z, step, keep);
    blas_matvec(w, rows, cols, x, y);
}

const mlp_kernel_table mlp_kernels_blas = {
    .name = "blas",
    .matvec = blas_matvec,
    .matvec_trans = blas_matvec_trans,
    .rank1 = blas_rank1,
    .backprop_update = blas_backprop_update,
    .update_matvec = blas_update_matvec,
    .tiny_step = NULL,
};

const mlp_kernel_table *mlp_kernels_select(const char *forced)
{
    const mlp_kernel_table *runnable[4] = {&mlp_kernels_blas, &mlp_kernels_generic};
    size_t n = 2;
#if MLP_KERNELS_X86
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        runnable[n++] = &mlp_kernels_avx2;
#if MLP_KERNELS_AVX512
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
            runnable[n++] = &mlp_kernels_avx512;
#endif
    }
#endif
    for (size_t i = 0; forced && i < n; i++)
        if (strcmp(forced, runnable[i]->name) == 0) return runnable[i];
    return runnable[n - 1];
}
