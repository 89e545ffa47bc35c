/* Resident-set measurement around training, from /proc/self/status. */
#include "memory.h"

#include <stdio.h>
#include <string.h>

#include "gemm_bound.h"
#include "libmlp_peer.h"

long bench_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, len) && line[len] == ':' && sscanf(line + len + 1, "%ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0). */
static bool reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

static void computed_sizes(const bench_workload *w, const bench_mlp *m, bench_memory_report *r)
{
    size_t p = bench_param_count(w), state = 0, units = 0;
    mlp_optimizer_state(m->opt, &state);
    for (size_t k = 1; k <= w->n_layers; k++) units += w->sizes[k];
    r->params = p * sizeof(float);
    r->gradient = p * sizeof(float);
    r->optimizer_state = state * sizeof(float);
    /* One activation row and one delta row per record for every layer's outputs. */
    r->workspace = 2 * w->batch * units * sizeof(float);
    r->total = r->params + r->gradient + r->optimizer_state + r->workspace;
}

int bench_memory_train(const bench_workload *w, double seconds, bench_memory_report *r)
{
    *r = (bench_memory_report){0};
    bench_data d;
    if (!bench_data_create(&d, w, 7)) return -1;
    bench_timing warm = {0.0, 0.0, 1};
    double gflops;
    bench_sgemm_peak(512, &warm, &gflops); /* OpenBLAS's buffers into the baseline */

    r->hwm_reset = reset_peak();
    r->rss_before_kb = bench_status_kb("VmRSS");
    bench_mlp m;
    int rc = -1;
    if (bench_mlp_create(&m, w, &d) == MLP_OK) {
        rc = 0;
        double start = bench_now();
        do {
            if (bench_mlp_step(&m) < 0) rc = -1;
            r->steps++;
        } while (rc == 0 && (r->steps < 3 || bench_now() - start < seconds));
        r->rss_after_kb = bench_status_kb("VmRSS");
        r->hwm_after_kb = bench_status_kb("VmHWM");
        computed_sizes(w, &m, r);
        bench_mlp_free(&m);
    }
    bench_data_free(&d);
    return rc;
}
