/* What refreshing the bf16 copy of the weights costs (once per training step, once per
 * mlp_forward call, once per mlp_evaluate call in libmlp's bf16 mode). */
#ifndef MLP_BENCH_BF16_REFRESH_H
#define MLP_BENCH_BF16_REFRESH_H

#include "timing.h"
#include "workloads.h"

/* Seconds per refresh of w's weights, from the public API alone: mlp_forward on each of
 * 16 batches refreshes 16 times, one mlp_evaluate over the same 16 batches once, and the
 * rest of the work is the same (evaluate adds the loss and argmax of 10 outputs, which
 * makes the estimate slightly low). Measured in interleaved windows; also gives the
 * seconds of one forward pass of a batch (*forward_s). -1 when bf16 is unsupported. */
int bench_bf16_refresh(const bench_workload *w, const bench_timing *t, double *refresh_s,
                       double *forward_s);

#endif
