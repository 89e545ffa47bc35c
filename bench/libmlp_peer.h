/* libmlp itself on a workload: the numbers the other columns are compared with. */
#ifndef MLP_BENCH_LIBMLP_PEER_H
#define MLP_BENCH_LIBMLP_PEER_H

#include <stddef.h>

#include "mlp.h"
#include "timing.h"
#include "workloads.h"

/* A ready-to-run libmlp setup for a workload: net (Glorot, seeded), a workspace for the
 * batch (inference rows: an inference workspace with the bench's threads) and a plain-SGD
 * optimizer (learning rate 0.1, mean reduction). */
typedef struct bench_mlp {
    const bench_workload *w;
    const bench_data *d;
    mlp_net *net;
    mlp_workspace *ws;
    mlp_optimizer *opt;
    size_t next_batch;
    mlp_status status; /* of the last failed call, MLP_OK otherwise */
} bench_mlp;

mlp_status bench_mlp_create(bench_mlp *m, const bench_workload *w, const bench_data *d);
/* The same with the workspace in bf16 mixed precision (mlp_workspace_set_precision):
 * UNSUPPORTED without oneDNN or native bf16. */
mlp_status bench_mlp_create_bf16(bench_mlp *m, const bench_workload *w, const bench_data *d);
/* The same net quantized to int8 (mlp_net_quantize, static scales from the bench's inputs)
 * in an inference workspace (MLP_PRECISION_INT8), its large layers split across the bench's
 * threads; inference workloads only. */
mlp_status bench_mlp_create_int8(bench_mlp *m, const bench_workload *w, const bench_data *d);
/* The same net run as before packed weights: a training workspace, no threads of its own, so
 * forward passes are OpenBLAS's sgemm/sgemv on the net's own weights (with OpenBLAS's
 * threads). Inference rows report it beside the packed default. */
mlp_status bench_mlp_create_unpacked(bench_mlp *m, const bench_workload *w,
                                     const bench_data *d);
void bench_mlp_free(bench_mlp *m);
/* One training step or one forward pass of the next batch; returns the batch, or -1. */
long bench_mlp_step(void *m);

#endif
