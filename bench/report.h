/* What one run measured, and its two presentations: the human table and the CSV. */
#ifndef MLP_BENCH_REPORT_H
#define MLP_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "memory.h"
#include "ort_peer.h"
#include "torch_peer.h"
#include "workloads.h"

typedef struct bench_row {
    const bench_workload *w;
    bool mlp_ok;
    double mlp;           /* libmlp samples/s */
    const char *mlp_error;
    bool bound_ok;
    double bound;         /* GEMM-only bound samples/s */
    bool fann_ok;
    double fann;
    size_t fann_records;  /* records per FANN step (capped for big nets) */
    bench_torch_result torch;
    bench_ort_result ort; /* ONNX Runtime on the same net, exported (inference rows) */
    bool unpacked_ok;
    double unpacked;      /* float inference rows: libmlp without packed weights (OpenBLAS),
                             same windows */
    double peak_gflops;   /* SGEMM peak measured in this row's windows, 0 if not */
    bool bf16;            /* a bf16 row: mlp in bf16, bound the bf16 GEMMs, torch autocast */
    bool fp32_ok;
    double fp32;          /* bf16 and int8 rows: libmlp in float, in the same windows */
    bool int8;            /* an int8 row: mlp quantized (MLP_PRECISION_INT8), torch
                             quantize_dynamic, no bound */
} bench_row;

typedef struct bench_run {
    int threads;
    bool quick;
    double peak_gflops;   /* the highest of the rows' SGEMM peaks, 0 when not measured */
    int peak_n;
    const char *fann_note;  /* why FANN is absent, or NULL */
    const char *torch_note; /* why PyTorch is absent, or torch's version */
    const char *ort_note;   /* why ONNX Runtime is absent, or its version */
    const char *bf16_note;  /* why there are no bf16 rows, or NULL */
    const char *int8_note;  /* why there are no int8 rows, or NULL */
    bool refresh_ok;        /* the bf16 weight refresh of W1, measured */
    double refresh_s, refresh_forward_s;
    bool memory_ok;
    bench_memory_report memory;
    const bench_row *rows;
    size_t n_rows;
} bench_run;

void bench_print_csv(FILE *f, const bench_run *run);
void bench_print_table(FILE *f, const bench_run *run);
/* The project's performance targets, each PASS, MISS or n/a. */
void bench_print_targets(FILE *f, const bench_run *run);
void bench_print_memory(FILE *f, const bench_memory_report *m, const bench_workload *w);

#endif
