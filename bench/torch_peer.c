/* Runs torch_bench.py and matches its RESULT lines to the workloads. */
#include "torch_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subprocess.h"

#define TORCH_MAX_ROWS 16
#define TORCH_ARG_LEN 64

static const char *mode_name(bench_mode mode) { return mode == BENCH_TRAIN ? "train" : "infer"; }

/* Keeps, per row, the best result of the script's output; false without a TORCH line. */
static bool parse_output(char *text, const bench_workload *const *rows, size_t n,
                         int blas_threads, bench_torch_result *out, char *version,
                         size_t version_len)
{
    bool seen = false;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[16], mode[8], ver[64];
        size_t batch;
        double rate;
        int threads;
        if (sscanf(line, "TORCH %63s", ver) == 1) {
            snprintf(version, version_len, "%s", ver);
            seen = true;
        } else if (sscanf(line, "RESULT %15s %7s %zu %lf %d", name, mode, &batch, &rate,
                          &threads) == 5) {
            for (size_t i = 0; i < n; i++)
                if (!strcmp(rows[i]->name, name) && !strcmp(mode_name(rows[i]->mode), mode) &&
                    rows[i]->batch == batch && (!out[i].found || rate > out[i].samples_per_s))
                    out[i] = (bench_torch_result){true, rate, threads, blas_threads};
        }
    }
    return seen;
}

/* The script's arguments after argv[0] (the interpreter); storage in opts and cases. */
static void build_argv(char **argv, const char *script, const bench_workload *const *rows,
                       size_t n, const bench_timing *timing, int max_threads,
                       char opts[4][TORCH_ARG_LEN], char cases[][TORCH_ARG_LEN])
{
    char net[TORCH_ARG_LEN];
    snprintf(opts[0], TORCH_ARG_LEN, "%g", timing->window_s);
    snprintf(opts[1], TORCH_ARG_LEN, "%d", timing->windows);
    snprintf(opts[2], TORCH_ARG_LEN, "%g", timing->warmup_s);
    int used = snprintf(opts[3], TORCH_ARG_LEN, "1");
    for (int t = 2; t <= max_threads && used < TORCH_ARG_LEN; t++)
        used += snprintf(opts[3] + used, (size_t)(TORCH_ARG_LEN - used), ",%d", t);
    size_t a = 1;
    argv[a++] = (char *)script;
    argv[a++] = "--seconds", argv[a++] = opts[0];
    argv[a++] = "--windows", argv[a++] = opts[1];
    argv[a++] = "--warmup", argv[a++] = opts[2];
    argv[a++] = "--torch-threads", argv[a++] = opts[3];
    for (size_t i = 0; i < n; i++) {
        snprintf(cases[i], TORCH_ARG_LEN, "%s:%s:%zu:%s", rows[i]->name,
                 mode_name(rows[i]->mode), rows[i]->batch,
                 bench_network_string(rows[i], net, sizeof net));
        argv[a++] = cases[i];
    }
    argv[a] = NULL;
}

/* One run of the script with `python`; false when it did not run or had no torch. */
static bool run_once(char **argv, const char *python, int blas_threads,
                     const bench_workload *const *rows, size_t n, bench_torch_result *out,
                     char *version, size_t version_len)
{
    char blas[16];
    snprintf(blas, sizeof blas, "%d", blas_threads);
    setenv("OPENBLAS_NUM_THREADS", blas, 1); /* ours is set already; the child reads it */
    argv[0] = (char *)python;
    int status;
    char *text = bench_spawn_capture(argv, &status);
    if (!text) return false;
    bool ok = status == 0 && parse_output(text, rows, n, blas_threads, out, version, version_len);
    free(text);
    return ok;
}

bool bench_torch(const char *script, const bench_workload *const *rows, size_t n,
                 const bench_timing *timing, int blas_threads, bench_torch_result *out,
                 char *version, size_t version_len)
{
    if (n > TORCH_MAX_ROWS) n = TORCH_MAX_ROWS;
    for (size_t i = 0; i < n; i++) out[i] = (bench_torch_result){false, 0.0, 0, 0};
    char opts[4][TORCH_ARG_LEN], cases[TORCH_MAX_ROWS][TORCH_ARG_LEN];
    char *argv[12 + TORCH_MAX_ROWS];
    build_argv(argv, script, rows, n, timing, blas_threads > 2 ? blas_threads : 2, opts, cases);

    const char *env_python = getenv("MLP_BENCH_PYTHON");
    const char *candidates[] = {env_python, "python3", "/usr/bin/python3"};
    const char *python = NULL;
    for (size_t c = 0; c < sizeof candidates / sizeof candidates[0] && !python; c++) {
        if (!candidates[c] || !candidates[c][0]) continue;
        if (run_once(argv, candidates[c], blas_threads, rows, n, out, version, version_len))
            python = candidates[c];
        else if (c == 0)
            break; /* an explicit choice is not second-guessed */
    }
    if (python && blas_threads > 1)
        run_once(argv, python, 1, rows, n, out, version, version_len);
    return python != NULL;
}
