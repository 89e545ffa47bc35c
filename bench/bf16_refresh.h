/* What refreshing the bf16 copy of the weights costs: paid by a bf16 pass that finds the
 * parameters changed (mlp_net_param_version); training steps pay it inside their update,
 * passes over an unchanged net not at all. */
#ifndef MLP_BENCH_BF16_REFRESH_H
#define MLP_BENCH_BF16_REFRESH_H

#include "timing.h"
#include "workloads.h"

/* Seconds per refresh of the weights of w's network, from the public API alone:
 * mlp_forward on each of 16 batches, each after mlp_net_params (a changed net), refreshes 16
 * times; one mlp_evaluate over the same 16 batches of the unchanged net none, and the rest of
 * the work is the same (evaluate adds the loss and argmax of the outputs, which makes the
 * estimate slightly low). Batches of 16 records, so that the
 * refresh is a large part of a pass and the difference stands out of a loaded machine's
 * noise. Measured in interleaved windows; *forward_s receives the seconds of one such
 * pass without the refresh. -1 when bf16 is unsupported. */
int bench_bf16_refresh(const bench_workload *w, const bench_timing *t, double *refresh_s,
                       double *forward_s);

#endif
