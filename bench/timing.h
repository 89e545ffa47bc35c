/* Timing for mlp-bench: a monotonic clock and median-of-windows throughput. */
#ifndef MLP_BENCH_TIMING_H
#define MLP_BENCH_TIMING_H

#include <stdbool.h>
#include <stddef.h>

/* How a measurement is taken: warm-up seconds, then `windows` windows of `window_s`
 * seconds each (a window always runs at least one step). */
typedef struct bench_timing {
    double warmup_s;
    double window_s;
    int windows;
} bench_timing;

/* One unit of work of a measurement; returns the number of samples it processed, or a
 * negative number on failure (the measurement then stops and reports failure). */
typedef long (*bench_step_fn)(void *ctx);

/* Seconds from CLOCK_MONOTONIC. */
double bench_now(void);

/* Median over the windows of samples/s of repeated calls of step(ctx).
 * Returns 0 on success, -1 when a step failed. */
int bench_measure(const bench_timing *timing, bench_step_fn step, void *ctx,
                  double *samples_per_s);

/* The same for n steps measured together: each is warmed up, then every window round runs
 * one window of each step in turn, so that load from other processes falls on all of them
 * alike and their ratios stay meaningful. samples_per_s[j] receives step j's median and
 * ok[j] whether it never failed (a failed step is left out of the later windows).
 * Returns 0, or -1 when out of memory. */
int bench_measure_many(const bench_timing *timing, size_t n, const bench_step_fn *steps,
                       void *const *ctxs, double *samples_per_s, bool *ok);

/* Median of values[0..n), n >= 1 (sorts the array). */
double bench_median(double *values, size_t n);

#endif
