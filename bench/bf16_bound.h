/* The bf16 GEMM-only bound: exactly the oneDNN bf16 matmuls one step of a workload needs in
 * libmlp's bf16 mode, timed alone (the bf16 twin of gemm_bound.h). */
#ifndef MLP_BENCH_BF16_BOUND_H
#define MLP_BENCH_BF16_BOUND_H

#include "workloads.h"

/* Buffers of a workload's shapes (bf16 operands, float results) and one step of:
 *  forward   per layer k: Z_(k+1) = Z_k W_k^T           (N,T)
 *  training, per layer k: dW_k += Delta_(k+1)^T Z_k      (T,N; accumulated: the fused
 *                                                         SGD update's form)
 *            per layer k >= 1: Delta_k = Delta_(k+1) W_k (N,N)
 * as oneDNN matmul primitives made once, the shapes and attributes libmlp uses. Nothing
 * else: no rounding to bf16, activation, loss or update. NULL without oneDNN in this build,
 * without native bf16 on this CPU, or out of memory. */
typedef struct bench_bf16_bound bench_bf16_bound;
bench_bf16_bound *bench_bf16_bound_create(const bench_workload *w);
void bench_bf16_bound_free(bench_bf16_bound *b);
/* One step (a bench_step_fn): returns the batch, -1 when oneDNN failed. */
long bench_bf16_bound_step(void *b);

#endif
