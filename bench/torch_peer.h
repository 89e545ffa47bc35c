/* The PyTorch peer: runs torch_bench.py in a python3 subprocess and reads its results. */
#ifndef MLP_BENCH_TORCH_PEER_H
#define MLP_BENCH_TORCH_PEER_H

#include <stdbool.h>
#include <stddef.h>

#include "timing.h"
#include "workloads.h"

typedef struct bench_torch_result {
    bool found;
    double samples_per_s;
    int torch_threads; /* the torch.set_num_threads value that was fastest */
    int blas_threads;  /* the OPENBLAS_NUM_THREADS it ran with */
} bench_torch_result;

/* Runs the script for the n workloads once with OPENBLAS_NUM_THREADS=blas_threads and once
 * with 1 (read at start-up, hence two processes); each tries torch.set_num_threads
 * 1..max(2, blas_threads). The best per workload wins. The interpreter is
 * $MLP_BENCH_PYTHON, else the first of python3, /usr/bin/python3 that imports torch.
 * Fills out[0..n) and version (torch's); false when no interpreter with torch was found. */
bool bench_torch(const char *script, const bench_workload *const *rows, size_t n,
                 const bench_timing *timing, int blas_threads, bench_torch_result *out,
                 char *version, size_t version_len);

#endif
