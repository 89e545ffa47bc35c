/* The ONNX Runtime peer: bench/ort_bench.js in a node subprocess (onnxruntime-node), on
 * the libmlp row's own net exported with mlp_model_export_onnx, driven window by window so
 * that its windows interleave with libmlp's. Inference workloads only. */
#ifndef MLP_BENCH_ORT_PEER_H
#define MLP_BENCH_ORT_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mlp.h"
#include "workloads.h"

/* ONNX Runtime's best intra-op thread count on one workload. */
typedef struct bench_ort_result {
    bool found;
    double samples_per_s;
    int threads; /* intraOpNumThreads */
} bench_ort_result;

typedef struct bench_ort bench_ort;

/* Starts `node script --serve DIR`, DIR holding node_modules/onnxruntime-node: $MLP_ORT_DIR,
 * else ${XDG_CACHE_HOME:-$HOME/.cache}/libmlp/ort. NULL when node, the package or ONNX
 * support in libmlp is missing (why says which); version receives ONNX Runtime's. */
bench_ort *bench_ort_start(const char *script, int threads, char *version, size_t version_len,
                           char *why, size_t why_len);
void bench_ort_stop(bench_ort *o);
/* Exports net to a temporary ONNX file and loads it for w's batch; false on failure. */
bool bench_ort_set_case(bench_ort *o, const bench_workload *w, const mlp_net *net);
/* The same net quantized by ONNX Runtime's own scheme: dynamic int8 (bench/ort_quantize.py,
 * the script `quantizer`, run by $MLP_BENCH_PYTHON or python3 with onnx and numpy). */
bool bench_ort_set_case_int8(bench_ort *o, const bench_workload *w, const mlp_net *net,
                             const char *quantizer);
/* Configurations: intra-op threads 1..max(2, threads). */
size_t bench_ort_config_count(const bench_ort *o);
void *bench_ort_config(bench_ort *o, size_t i, double seconds);
/* One window in the server: the samples it ran, -1 when the server is gone. */
long bench_ort_step(void *config);
bench_ort_result bench_ort_describe(const bench_ort *o, size_t i, double samples_per_s);

#endif
