/* Median-of-windows throughput measurement on CLOCK_MONOTONIC. */
#include "timing.h"

#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_WINDOWS 1000

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *values, size_t n)
{
    qsort(values, n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/* Runs step until `seconds` have passed (at least once); samples and time out. The clock is
 * read after chunks of steps that grow until a chunk takes CHUNK_S, so that reading it
 * costs nothing next to tiny steps (W4's take a few hundred nanoseconds). */
#define CHUNK_S 1e-4
static int run_window(bench_step_fn step, void *ctx, double seconds, double *samples,
                      double *elapsed)
{
    double start = bench_now(), last = start, now;
    double done = 0.0;
    long chunk = 1;
    do {
        for (long c = 0; c < chunk; c++) {
            long n = step(ctx);
            if (n < 0) return -1;
            done += (double)n;
        }
        now = bench_now();
        if (now - last < CHUNK_S && chunk < (1L << 20)) chunk *= 2;
        last = now;
    } while (now - start < seconds);
    *samples = done;
    *elapsed = now - start;
    return 0;
}

int bench_measure_many(const bench_timing *timing, size_t n, const bench_step_fn *steps,
                       void *const *ctxs, double *samples_per_s, bool *ok)
{
    int windows = timing->windows;
    if (windows < 1) windows = 1;
    if (windows > BENCH_MAX_WINDOWS) windows = BENCH_MAX_WINDOWS;
    double *rates = malloc(n * (size_t)windows * sizeof *rates);
    if (!rates) return -1;

    double samples = 0.0, elapsed = 1.0;
    for (size_t j = 0; j < n; j++)
        ok[j] = run_window(steps[j], ctxs[j], timing->warmup_s, &samples, &elapsed) == 0;
    for (int w = 0; w < windows; w++)
        for (size_t j = 0; j < n; j++) {
            if (!ok[j]) continue;
            ok[j] = run_window(steps[j], ctxs[j], timing->window_s, &samples, &elapsed) == 0;
            rates[j * (size_t)windows + (size_t)w] = samples / elapsed;
        }
    for (size_t j = 0; j < n; j++)
        samples_per_s[j] = ok[j] ? bench_median(rates + j * (size_t)windows, (size_t)windows) : 0;
    free(rates);
    return 0;
}

int bench_measure(const bench_timing *timing, bench_step_fn step, void *ctx,
                  double *samples_per_s)
{
    bool ok;
    if (bench_measure_many(timing, 1, &step, &ctx, samples_per_s, &ok) != 0) return -1;
    return ok ? 0 : -1;
}
