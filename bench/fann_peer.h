/* FANN (float) on the same network: the benchmark's first peer. */
#ifndef MLP_BENCH_FANN_PEER_H
#define MLP_BENCH_FANN_PEER_H

#include "timing.h"
#include "workloads.h"

/* FANN set up for w: fann_train (incremental) for batch 1, fann_train_epoch with
 * FANN_TRAIN_BATCH over a data set of the batch otherwise, fann_run per record for
 * inference. FANN works one record at a time, so its time per record does not depend on
 * the batch: for big nets the records per step are capped (*records_per_step says how
 * many) to keep a step short. NULL when FANN failed. */
typedef struct bench_fann bench_fann;
bench_fann *bench_fann_create(const bench_workload *w, const bench_data *d,
                              size_t *records_per_step);
void bench_fann_free(bench_fann *f);
/* One step (a bench_step_fn): returns the records processed, or -1. */
long bench_fann_step(void *f);

#endif
