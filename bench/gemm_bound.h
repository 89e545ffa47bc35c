/* The GEMM-only bound: exactly the BLAS calls one step of a workload needs, timed alone. */
#ifndef MLP_BENCH_GEMM_BOUND_H
#define MLP_BENCH_GEMM_BOUND_H

#include "timing.h"
#include "workloads.h"

/* Buffers of a workload's shapes, and one step of exactly the BLAS calls it needs:
 *  forward   per layer k: Z_(k+1) = Z_k W_k^T           (sgemm N,T; batch 1: sgemv N)
 *  training, per layer k: dW_k = Delta_(k+1)^T Z_k       (sgemm T,N; batch 1: sger)
 *            per layer k >= 1: Delta_k = Delta_(k+1) W_k (sgemm N,N; batch 1: sgemv T)
 * Nothing else (no activation, loss or update): the time libmlp cannot go below with this
 * BLAS and thread count. NULL when out of memory. */
typedef struct bench_bound bench_bound;
bench_bound *bench_bound_create(const bench_workload *w);
void bench_bound_free(bench_bound *b);
/* One step (a bench_step_fn): returns the batch. */
long bench_bound_step(void *b);

/* GFLOP/s of an n x n x n sgemm (the machine's SGEMM peak with the current threads). */
int bench_sgemm_peak(int n, const bench_timing *timing, double *gflops);

#endif
