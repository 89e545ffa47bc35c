/* The GEMM-only bound: exactly the BLAS calls one step of a workload needs, timed alone. */
#ifndef MLP_BENCH_GEMM_BOUND_H
#define MLP_BENCH_GEMM_BOUND_H

#include "timing.h"
#include "workloads.h"

/* Buffers of a workload's shapes, and one step of exactly the products it needs:
 *  inference: the forward products as libmlp runs them, alone: mlp_forward of a net of the
 *            same widths, linear, no bias, in an inference workspace with the bench's
 *            threads (so from packed weights where the CPU has the kernels; else sgemm)
 *  training, forward per layer k: Z_(k+1) = Z_k W_k^T   (sgemm N,T; batch 1: sgemv N)
 *  training, per layer k: dW_k = Delta_(k+1)^T Z_k       (sgemm T,N; batch 1: sger)
 *            per layer k >= 1: Delta_k = Delta_(k+1) W_k (sgemm N,N; batch 1: sgemv T)
 * Nothing else (no activation, loss or update): the time libmlp cannot go below with this
 * BLAS and thread count. NULL when out of memory. */
typedef struct bench_bound bench_bound;
bench_bound *bench_bound_create(const bench_workload *w);
void bench_bound_free(bench_bound *b);
/* One step (a bench_step_fn): returns the batch. */
long bench_bound_step(void *b);

/* The machine's SGEMM peak with the current threads: an n x n x n sgemm per step, so
 * GFLOP/s = 2 n^3 x steps/s (the step returns 1). Measured inside every workload's
 * interleaved windows, it sees the same load as the workload. NULL when out of memory. */
typedef struct bench_peak bench_peak;
bench_peak *bench_peak_create(int n);
void bench_peak_free(bench_peak *p);
long bench_peak_step(void *p);
double bench_peak_gflops(int n, double steps_per_s);

/* bench_peak measured alone: GFLOP/s into *gflops; 0, or -1 when out of memory. */
int bench_sgemm_peak(int n, const bench_timing *timing, double *gflops);

#endif
