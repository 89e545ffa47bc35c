/* mlp-bench: libmlp's training and inference speed against the machine's SGEMM, the
 * GEMM-only bound of every workload, FANN and PyTorch, in one run. See --help. */
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bf16_bound.h"
#include "bf16_refresh.h"
#include "gemm_bound.h"
#include "libmlp_peer.h"
#include "memory.h"
#include "report.h"
#include "subprocess.h"
#include "timing.h"
#include "torch_peer.h"
#include "ort_peer.h"
#include "workloads.h"
#if MLP_BENCH_HAVE_FANN
#include "fann_peer.h"
#endif

#ifndef MLP_BENCH_SOURCE_DIR
#define MLP_BENCH_SOURCE_DIR "bench"
#endif
#define PEAK_N 2048
#define MAX_ROWS 16

typedef struct options {
    bool csv, quick, fann, torch, ort, memory, memory_only, profile, bf16, int8;
    int threads;
    double seconds; /* per window; 0 = the mode's default */
    const char *only;
} options;

static void usage(FILE *f)
{
    fputs("usage: mlp-bench [--csv] [--quick] [--threads N] [--only W1,W3] [--no-fann]\n"
          "                 [--no-torch] [--no-ort] [--no-memory] [--no-bf16] [--seconds S]\n"
          "                 [--memory] [--profile] [--no-int8]\n"
          "  --csv        one CSV row per workload on stdout (the table and notes on stderr)\n"
          "  --quick      short windows: the whole suite in well under a minute\n"
          "  --threads N  OpenBLAS threads (mlp_set_threads), default 2\n"
          "  --only LIST  workloads to run, e.g. W1,W3 (W5 is both of its batch sizes)\n"
          "  --no-fann, --no-torch, --no-ort  skip a peer (ort: ONNX Runtime, inference rows)\n"
          "  --no-memory  skip the W1 memory measurement (a fresh child process)\n"
          "  --no-bf16    skip the bf16 rows (every selected batch row again in bf16 mixed\n"
          "               precision, where this build and CPU have it: against its own bf16\n"
          "               GEMM bound, libmlp's float row and PyTorch under bf16 autocast)\n"
          "  --no-int8    skip the int8 rows (every inference row again with the net quantized,\n"
          "               mlp_net_quantize: against libmlp's float row in the same windows and\n"
          "               PyTorch's quantize_dynamic)\n"
          "  --seconds S  seconds per timing window (median of the windows is reported)\n"
          "  --memory     only the memory measurement of training W1, in this process\n"
          "  --profile    libmlp's steps alone (no bound, peak or peers): for perf/callgrind\n"
          "Set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as for any OpenBLAS program;\n"
          "OMP_WAIT_POLICY (OpenMP: oneDNN, PyTorch) is PASSIVE unless set;\n"
          "MLP_BENCH_PYTHON chooses the interpreter for bench/torch_bench.py;\n"
          "MLP_ORT_DIR holds node_modules/onnxruntime-node (~/.cache/libmlp/ort).\n",
          f);
}

static int parse_options(int argc, char **argv, options *o)
{
    *o = (options){.fann = true, .torch = true, .ort = true, .memory = true, .bf16 = true,
                   .int8 = true, .threads = 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--csv")) o->csv = true;
        else if (!strcmp(a, "--quick")) o->quick = true;
        else if (!strcmp(a, "--no-fann")) o->fann = false;
        else if (!strcmp(a, "--no-torch")) o->torch = false;
        else if (!strcmp(a, "--no-ort")) o->ort = false;
        else if (!strcmp(a, "--no-memory")) o->memory = false;
        else if (!strcmp(a, "--no-bf16")) o->bf16 = false;
        else if (!strcmp(a, "--no-int8")) o->int8 = false;
        else if (!strcmp(a, "--memory")) o->memory_only = true;
        else if (!strcmp(a, "--profile")) o->profile = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--threads") && value) {
            o->threads = atoi(value), i++;
            if (o->threads < 1) return -1;
        } else if (!strcmp(a, "--seconds") && value) {
            o->seconds = atof(value), i++;
            if (!(o->seconds > 0)) return -1;
        } else if (!strcmp(a, "--only") && value) {
            o->only = value, i++;
        } else {
            return -1;
        }
    }
    if (o->profile) o->memory = o->fann = o->torch = o->ort = o->bf16 = o->int8 = false;
    return 0;
}

/* True when name is in the comma-separated list (case-insensitive), or there is no list. */
static bool selected(const char *list, const char *name)
{
    if (!list) return true;
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && !strncasecmp(p, name, n)) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

static bench_timing make_timing(const options *o)
{
    bench_timing t = o->quick ? (bench_timing){0.1, 0.15, 3} : (bench_timing){0.5, 0.5, 5};
    if (o->seconds > 0) t.window_s = t.warmup_s = o->seconds;
    return t;
}

static const bench_workload *w1_workload(void)
{
    size_t n;
    return &bench_workloads(&n)[0];
}

/* Field order of the machine-readable memory line a --memory --csv child prints. */
static void print_memory_csv(const bench_memory_report *m)
{
    printf("memory,%zu,%zu,%zu,%zu,%zu,%ld,%ld,%ld,%d,%zu\n", m->params, m->gradient,
           m->optimizer_state, m->workspace, m->total, m->rss_before_kb, m->rss_after_kb,
           m->hwm_after_kb, (int)m->hwm_reset, m->steps);
}

static bool parse_memory_csv(const char *text, bench_memory_report *m)
{
    const char *line = strstr(text, "memory,");
    int reset = 0;
    if (!line) return false;
    int n = sscanf(line, "memory,%zu,%zu,%zu,%zu,%zu,%ld,%ld,%ld,%d,%zu", &m->params, &m->gradient,
                   &m->optimizer_state, &m->workspace, &m->total, &m->rss_before_kb,
                   &m->rss_after_kb, &m->hwm_after_kb, &reset, &m->steps);
    m->hwm_reset = reset != 0;
    return n == 10;
}

static int run_memory_only(const options *o)
{
    bench_memory_report m;
    if (bench_memory_train(w1_workload(), o->quick ? 0.5 : 2.0, &m) != 0) {
        fprintf(stderr, "mlp-bench: training W1 failed\n");
        return 1;
    }
    if (o->csv)
        print_memory_csv(&m);
    else
        bench_print_memory(stdout, &m, w1_workload());
    return 0;
}

/* The memory measurement in a fresh process: this program again, with --memory. */
static bool memory_in_child(const options *o, bench_memory_report *m)
{
    char threads[16];
    snprintf(threads, sizeof threads, "%d", o->threads);
    char *argv[] = {"/proc/self/exe", "--memory", "--csv", "--threads", threads,
                    o->quick ? "--quick" : NULL, NULL};
    int status;
    char *text = bench_spawn_capture(argv, &status);
    bool ok = text && status == 0 && parse_memory_csv(text, m);
    free(text);
    return ok;
}

#define MAX_PEERS (4 + 16 + 16)
#define NO_PEER SIZE_MAX

/* The steps one row measures together, in window order. */
typedef struct peer_set {
    bench_step_fn steps[MAX_PEERS];
    void *ctxs[MAX_PEERS];
    double rates[MAX_PEERS];
    bool ok[MAX_PEERS];
    size_t n;
} peer_set;

/* Adds a step when ctx is not NULL; its index, or NO_PEER. */
static size_t add_peer(peer_set *p, bench_step_fn step, void *ctx)
{
    if (!ctx || p->n == MAX_PEERS) return NO_PEER;
    p->steps[p->n] = step;
    p->ctxs[p->n] = ctx;
    return p->n++;
}

static bool peer_ok(const peer_set *p, size_t i) { return i != NO_PEER && p->ok[i]; }

/* libmlp, the GEMM bound, the SGEMM peak, FANN and every PyTorch configuration on one
 * workload, their windows interleaved (see bench_measure_many). */
static void measure_row(bench_row *r, const options *o, const bench_timing *t,
                        bench_torch *torch, bench_ort *ort)
{
    const bench_workload *w = r->w;
    bench_data d;
    if (!bench_data_create(&d, w, 1234)) {
        r->mlp_error = "out of memory for the data";
        return;
    }
    if (!o->csv) fprintf(stderr, "  %s batch %zu ...\n", w->name, w->batch);
    peer_set p = {.n = 0};
    bench_mlp m;
    mlp_status s = bench_mlp_create(&m, w, &d);
    size_t i_mlp = add_peer(&p, bench_mlp_step, s == MLP_OK ? &m : NULL);
    bench_bound *bound = o->profile ? NULL : bench_bound_create(w);
    size_t i_bound = add_peer(&p, bench_bound_step, bound);
    bench_mlp unpacked;
    const bool with_unpacked = !o->profile && w->mode == BENCH_INFER &&
                               bench_mlp_create_unpacked(&unpacked, w, &d) == MLP_OK;
    size_t i_unpacked = add_peer(&p, bench_mlp_step, with_unpacked ? &unpacked : NULL);
    bench_peak *peak = o->profile ? NULL : bench_peak_create(PEAK_N);
    size_t i_peak = add_peer(&p, bench_peak_step, peak);
    size_t i_fann = NO_PEER;
#if MLP_BENCH_HAVE_FANN
    bench_fann *fann = o->fann ? bench_fann_create(w, &d, &r->fann_records) : NULL;
    i_fann = add_peer(&p, bench_fann_step, fann);
#endif
    size_t i_torch = p.n;
    if (torch && bench_torch_set_case(torch, w))
        for (size_t c = 0; c < bench_torch_config_count(torch); c++)
            add_peer(&p, bench_torch_step, bench_torch_config(torch, c, t->window_s));
    /* ONNX Runtime on this row's own net, exported (inference rows) */
    size_t i_ort = p.n;
    if (ort && s == MLP_OK && bench_ort_set_case(ort, w, m.net))
        for (size_t c = 0; c < bench_ort_config_count(ort); c++)
            add_peer(&p, bench_ort_step, bench_ort_config(ort, c, t->window_s));
    size_t n_peers = p.n;

    if (bench_measure_many(t, p.n, p.steps, p.ctxs, p.rates, p.ok) != 0) p.n = n_peers = 0;
    if ((r->mlp_ok = peer_ok(&p, i_mlp))) r->mlp = p.rates[i_mlp];
    else r->mlp_error = mlp_strerror(s != MLP_OK ? s : m.status);
    if ((r->bound_ok = peer_ok(&p, i_bound))) r->bound = p.rates[i_bound];
    if ((r->unpacked_ok = peer_ok(&p, i_unpacked))) r->unpacked = p.rates[i_unpacked];
    if ((r->fann_ok = peer_ok(&p, i_fann))) r->fann = p.rates[i_fann];
    if (peer_ok(&p, i_peak)) r->peak_gflops = bench_peak_gflops(PEAK_N, p.rates[i_peak]);
    for (size_t j = i_ort; j < n_peers; j++)
        if (p.ok[j] && (!r->ort.found || p.rates[j] > r->ort.samples_per_s))
            r->ort = bench_ort_describe(ort, j - i_ort, p.rates[j]);
    for (size_t j = i_torch; j < i_ort && j < n_peers; j++)
        if (p.ok[j] && (!r->torch.found || p.rates[j] > r->torch.samples_per_s))
            r->torch = bench_torch_describe(torch, j - i_torch, p.rates[j]);
#if MLP_BENCH_HAVE_FANN
    bench_fann_free(fann);
#endif
    bench_peak_free(peak);
    bench_bound_free(bound);
    if (with_unpacked) bench_mlp_free(&unpacked);
    if (s == MLP_OK) bench_mlp_free(&m);
    bench_data_free(&d);
}

/* A bf16 or an int8 row: libmlp in that precision, libmlp in float and PyTorch in that
 * precision (bf16 autocast; quantize_dynamic), with the bf16 GEMM bound beside a bf16 row
 * and ONNX Runtime's dynamic int8 beside an int8 row, their windows interleaved. */
static void measure_precision_row(bench_row *r, const options *o, const bench_timing *t,
                                  bench_torch *torch, bench_ort *ort)
{
    const bench_workload *w = r->w;
    const char *precision = r->bf16 ? "bf16" : "int8";
    bench_data d;
    if (!bench_data_create(&d, w, 1234)) {
        r->mlp_error = "out of memory for the data";
        return;
    }
    if (!o->csv) fprintf(stderr, "  %s batch %zu, %s ...\n", w->name, w->batch, precision);
    peer_set p = {.n = 0};
    bench_mlp m, f;
    mlp_status s = r->bf16 ? bench_mlp_create_bf16(&m, w, &d) : bench_mlp_create_int8(&m, w, &d);
    size_t i_mlp = add_peer(&p, bench_mlp_step, s == MLP_OK ? &m : NULL);
    bench_bf16_bound *bound = r->bf16 ? bench_bf16_bound_create(w) : NULL;
    size_t i_bound = add_peer(&p, bench_bf16_bound_step, bound);
    mlp_status sf = bench_mlp_create(&f, w, &d);
    size_t i_fp32 = add_peer(&p, bench_mlp_step, sf == MLP_OK ? &f : NULL);
    size_t i_torch = p.n;
    if (torch && bench_torch_set_case_as(torch, w, precision))
        for (size_t c = 0; c < bench_torch_config_count(torch); c++)
            add_peer(&p, bench_torch_step, bench_torch_config(torch, c, t->window_s));
    size_t i_ort = p.n;
    if (ort && r->int8 && sf == MLP_OK &&
        bench_ort_set_case_int8(ort, w, f.net, MLP_BENCH_SOURCE_DIR "/ort_quantize.py"))
        for (size_t c = 0; c < bench_ort_config_count(ort); c++)
            add_peer(&p, bench_ort_step, bench_ort_config(ort, c, t->window_s));
    size_t n_peers = p.n;

    if (bench_measure_many(t, p.n, p.steps, p.ctxs, p.rates, p.ok) != 0) p.n = n_peers = 0;
    if ((r->mlp_ok = peer_ok(&p, i_mlp))) r->mlp = p.rates[i_mlp];
    else r->mlp_error = mlp_strerror(s != MLP_OK ? s : m.status);
    if ((r->bound_ok = peer_ok(&p, i_bound))) r->bound = p.rates[i_bound];
    if ((r->fp32_ok = peer_ok(&p, i_fp32))) r->fp32 = p.rates[i_fp32];
    for (size_t j = i_ort; j < n_peers; j++)
        if (p.ok[j] && (!r->ort.found || p.rates[j] > r->ort.samples_per_s))
            r->ort = bench_ort_describe(ort, j - i_ort, p.rates[j]);
    for (size_t j = i_torch; j < i_ort && j < n_peers; j++)
        if (p.ok[j] && (!r->torch.found || p.rates[j] > r->torch.samples_per_s))
            r->torch = bench_torch_describe(torch, j - i_torch, p.rates[j]);
    bench_bf16_bound_free(bound);
    if (s == MLP_OK) bench_mlp_free(&m);
    if (sf == MLP_OK) bench_mlp_free(&f);
    bench_data_free(&d);
}

int main(int argc, char **argv)
{
    /* OpenMP's idle threads (oneDNN's bf16 GEMMs, PyTorch) sleep unless the caller chose, as
     * in the mlp tool: spinning ones made bf16 steps 5-50x slower on a loaded machine.
     * libgomp reads the setting when it is loaded, hence the re-execution. */
    if (!getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
        execv("/proc/self/exe", argv);
        unsetenv("OMP_WAIT_POLICY");
    }
    options o;
    if (parse_options(argc, argv, &o) != 0) {
        usage(stderr);
        return 2;
    }
    mlp_status s = mlp_set_threads(o.threads);
    if (s != MLP_OK) {
        fprintf(stderr, "mlp-bench: mlp_set_threads(%d): %s\n", o.threads, mlp_strerror(s));
        return 1;
    }
    if (o.memory_only) return run_memory_only(&o);
    signal(SIGPIPE, SIG_IGN); /* a PyTorch server that dies is a missing peer, not our end */

    bench_timing t = make_timing(&o);
    size_t n_all;
    const bench_workload *all = bench_workloads(&n_all);
    bench_row rows[MAX_ROWS];
    size_t n = 0;
    for (size_t i = 0; i < n_all && n < MAX_ROWS; i++)
        if (selected(o.only, all[i].name)) rows[n++] = (bench_row){.w = &all[i]};
    if (n == 0) {
        fprintf(stderr, "mlp-bench: --only selects no workload\n");
        return 2;
    }
    /* bf16 rows: every selected batch row again (one-record steps stay float). */
    char bf16_why[256] = "";
    mlp_error_detail why;
    const bool bf16 = o.bf16 && mlp_precision_supported(MLP_PRECISION_BF16, &why) == MLP_OK;
    if (o.bf16 && !bf16) snprintf(bf16_why, sizeof bf16_why, "%s", why.message);
    for (size_t i = 0, n_fp32 = n; bf16 && i < n_fp32 && n < MAX_ROWS; i++)
        if (rows[i].w->batch > 1) rows[n++] = (bench_row){.w = rows[i].w, .bf16 = true};
    /* int8 rows last: a PyTorch server that cannot quantize is dropped for the rows after. */
    for (size_t i = 0, n_before = n; o.int8 && i < n_before && n < MAX_ROWS; i++)
        if (!rows[i].bf16 && rows[i].w->mode == BENCH_INFER)
            rows[n++] = (bench_row){.w = rows[i].w, .int8 = true};

    bench_run run = {.threads = o.threads, .quick = o.quick, .peak_n = PEAK_N, .rows = rows,
                     .n_rows = n, .int8_note = o.int8 ? NULL : "skipped (--no-int8)",
                     .bf16_note = !o.bf16 ? "skipped (--no-bf16)"
                                               : bf16 ? NULL : bf16_why};
    bool memory_wanted = o.memory && selected(o.only, "W1");
    if (memory_wanted) run.memory_ok = memory_in_child(&o, &run.memory);

    bench_torch *torch = NULL;
    char torch_version[64] = "", torch_note[128] = "skipped (--no-torch)";
    if (o.torch) {
        if (!o.csv) fprintf(stderr, "mlp-bench: starting PyTorch ...\n");
        const char *script = getenv("MLP_BENCH_TORCH_SCRIPT");
        if (!script) script = MLP_BENCH_SOURCE_DIR "/torch_bench.py";
        torch = bench_torch_start(script, o.threads, torch_version, sizeof torch_version);
        if (torch)
            snprintf(torch_note, sizeof torch_note, "torch %s", torch_version);
        else
            snprintf(torch_note, sizeof torch_note, "absent (no python3 imports torch)");
    }
    run.torch_note = torch_note;
    bench_ort *ort = NULL;
    char ort_version[64] = "", ort_note[600] = "skipped (--no-ort)";
    if (o.ort) {
        ort = bench_ort_start(MLP_BENCH_SOURCE_DIR "/ort_bench.js", o.threads, ort_version,
                              sizeof ort_version, ort_note, sizeof ort_note);
        if (ort) snprintf(ort_note, sizeof ort_note, "onnxruntime-node %s", ort_version);
    }
    run.ort_note = ort_note;
#if MLP_BENCH_HAVE_FANN
    run.fann_note = o.fann ? NULL : "skipped (--no-fann)";
#else
    run.fann_note = "not built (FANN not found at configure time)";
#endif

    for (size_t i = 0; i < n; i++) {
        if (rows[i].bf16 || rows[i].int8) {
            measure_precision_row(&rows[i], &o, &t, torch, ort);
            continue;
        }
        measure_row(&rows[i], &o, &t, torch, ort);
        if (rows[i].peak_gflops > run.peak_gflops) run.peak_gflops = rows[i].peak_gflops;
    }
    if (bf16 && selected(o.only, "W1"))
        run.refresh_ok = bench_bf16_refresh(w1_workload(), &t, &run.refresh_s,
                                            &run.refresh_forward_s) == 0;
    bench_torch_stop(torch);
    bench_ort_stop(ort);

    FILE *notes = o.csv ? stderr : stdout;
    if (o.csv) {
        bench_print_csv(stdout, &run);
        fflush(stdout);
    }
    bench_print_table(notes, &run); /* with --csv on stderr: the CSV stays machine-readable */
    if (run.memory_ok) {
        fputc('\n', notes);
        bench_print_memory(notes, &run.memory, w1_workload());
    } else if (memory_wanted) {
        fputs("\nMemory of training W1: the --memory child failed\n", notes);
    }
    fputc('\n', notes);
    bench_print_targets(notes, &run);
    return 0;
}
