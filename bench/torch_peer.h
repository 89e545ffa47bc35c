/* The PyTorch peer: torch_bench.py --serve in python3 subprocesses, driven window by
 * window so that its windows interleave with libmlp's. */
#ifndef MLP_BENCH_TORCH_PEER_H
#define MLP_BENCH_TORCH_PEER_H

#include <stdbool.h>
#include <stddef.h>

#include "timing.h"
#include "workloads.h"

/* PyTorch's best configuration on one workload. */
typedef struct bench_torch_result {
    bool found;
    double samples_per_s;
    int torch_threads; /* torch.set_num_threads */
    int blas_threads;  /* OPENBLAS_NUM_THREADS */
} bench_torch_result;

typedef struct bench_torch bench_torch;

/* Starts one server per OPENBLAS_NUM_THREADS value (blas_threads, and 1; it is read at
 * start-up); each is tried with torch.set_num_threads 1..max(2, blas_threads): the
 * configurations. The interpreter is $MLP_BENCH_PYTHON, else the first of python3,
 * /usr/bin/python3 that imports torch. NULL when none does; version receives torch's. */
bench_torch *bench_torch_start(const char *script, int blas_threads, char *version,
                               size_t version_len);
void bench_torch_stop(bench_torch *t);

/* Builds w's net and data in every server; false when no server is left. */
bool bench_torch_set_case(bench_torch *t, const bench_workload *w);
/* The same with the case's precision word ("bf16": under torch.autocast("cpu",
 * dtype=torch.bfloat16); "int8": torch_bench.py's quantize_dynamic),
 * NULL for float. A server that refuses the case is dropped: ask for int8 rows last. */
bool bench_torch_set_case_as(bench_torch *t, const bench_workload *w, const char *precision);
size_t bench_torch_config_count(const bench_torch *t);
/* Step context of configuration i for bench_torch_step: one call runs one window of
 * `seconds` in the server and returns the samples it processed, -1 when the server is gone. */
void *bench_torch_config(bench_torch *t, size_t i, double seconds);
long bench_torch_step(void *config);
/* The result of configuration i measured at samples_per_s. */
bench_torch_result bench_torch_describe(const bench_torch *t, size_t i, double samples_per_s);

#endif
