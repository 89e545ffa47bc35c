/* Peak memory of training a workload: computed from sizes next to the measured RSS. */
#ifndef MLP_BENCH_MEMORY_H
#define MLP_BENCH_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "workloads.h"

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), -1 when unreadable. */
long bench_status_kb(const char *field);

typedef struct bench_memory_report {
    /* Computed from sizes (bytes). */
    size_t params, gradient, optimizer_state, workspace, total;
    /* Measured (kB): resident set before creating the net, after training; peak. */
    long rss_before_kb, rss_after_kb, hwm_after_kb;
    bool hwm_reset;   /* the peak was reset at the baseline (else it is an upper bound) */
    size_t steps;     /* training steps taken */
} bench_memory_report;

/* Trains w (libmlp, plain SGD) for about `seconds` in this process and reports memory.
 * The baseline is taken after the data exist and OpenBLAS has run once, so the growth is
 * what the net, workspace and optimizer add. Returns 0, or -1 when a call failed. */
int bench_memory_train(const bench_workload *w, double seconds, bench_memory_report *r);

#endif
