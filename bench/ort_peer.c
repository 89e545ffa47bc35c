/* Talks to ort_bench.js --serve: CASE loads an exported net, WINDOW runs it for a while. */
#include "ort_peer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "subprocess.h"

#define ORT_MAX_CONFIGS 16

typedef struct ort_config {
    bench_ort *ort;
    int threads;
    double seconds;
} ort_config;

struct bench_ort {
    bench_child child;
    bool alive;
    int max_threads;
    ort_config configs[ORT_MAX_CONFIGS];
};

static bool ask(bench_ort *o, const char *command, char *answer, size_t len)
{
    if (!o->alive) return false;
    if (fprintf(o->child.in, "%s\n", command) < 0 || !fgets(answer, (int)len, o->child.out)) {
        o->alive = false;
        return false;
    }
    return true;
}

bench_ort *bench_ort_start(const char *script, int threads, char *version, size_t version_len,
                           char *why, size_t why_len)
{
    char dir[512], line[256], ver[64];
    const char *env = getenv("MLP_ORT_DIR"), *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (env && env[0]) snprintf(dir, sizeof dir, "%s", env);
    else if (cache && cache[0]) snprintf(dir, sizeof dir, "%s/libmlp/ort", cache);
    else snprintf(dir, sizeof dir, "%s/.cache/libmlp/ort", home ? home : "");
    if (mlp_onnx_supported(NULL) != MLP_OK) {
        snprintf(why, why_len, "absent (libmlp built without ONNX)");
        return NULL;
    }
    bench_ort *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    char *argv[] = {"node", (char *)script, "--serve", dir, NULL};
    if (bench_child_start(&o->child, argv) == 0) {
        if (fgets(line, sizeof line, o->child.out) && sscanf(line, "ORT %63s", ver) == 1) {
            snprintf(version, version_len, "%s", ver);
            o->alive = true;
        } else {
            bench_child_finish(&o->child);
        }
    }
    if (!o->alive) {
        snprintf(why, why_len, "absent (no node, or no onnxruntime-node in %s)", dir);
        free(o);
        return NULL;
    }
    o->max_threads = threads > 2 ? threads : 2;
    if (o->max_threads > ORT_MAX_CONFIGS) o->max_threads = ORT_MAX_CONFIGS;
    for (int k = 0; k < o->max_threads; k++) o->configs[k] = (ort_config){o, k + 1, 0.0};
    return o;
}

void bench_ort_stop(bench_ort *o)
{
    if (!o) return;
    bench_child_finish(&o->child);
    free(o);
}

/* Exports net (a float copy) to path; for int8, rewritten by the quantizer script. */
static bool export_net(const mlp_net *net, const char *path, const char *quantizer)
{
    mlp_net *copy = NULL;
    mlp_model *m = NULL;
    if (mlp_net_clone(&copy, net) != MLP_OK) return false;
    mlp_net_dequantize(copy); /* ONNX Runtime quantizes the float weights itself */
    if (mlp_model_create(&m, copy, NULL, NULL) != MLP_OK) {
        mlp_net_free(copy);
        return false;
    }
    bool ok = mlp_model_export_onnx(m, path, NULL) == MLP_OK;
    mlp_model_free(m);
    if (!ok || !quantizer) return ok;
    /* $MLP_BENCH_PYTHON, else python3, else the system's (a python3 earlier in PATH, such
     * as pyenv's, may lack Debian's onnx and numpy) */
    const char *env_python = getenv("MLP_BENCH_PYTHON");
    const char *candidates[] = {env_python, "python3", "/usr/bin/python3"};
    int status = -1;
    for (size_t c = 0; c < sizeof candidates / sizeof candidates[0] && status != 0; c++) {
        if (!candidates[c] || !candidates[c][0]) continue;
        char *argv[] = {(char *)candidates[c], (char *)quantizer, (char *)path, (char *)path,
                        NULL};
        free(bench_spawn_capture(argv, &status));
        if (c == 0) break; /* an explicit choice is not second-guessed */
    }
    return status == 0;
}

static bool set_case(bench_ort *o, const bench_workload *w, const mlp_net *net,
                     const char *quantizer)
{
    if (!o->alive || w->mode != BENCH_INFER || !net) return false;
    char path[128], command[256], answer[256];
    snprintf(path, sizeof path, "/tmp/mlp-bench-ort-%ld-%s-%zu.onnx", (long)getpid(), w->name,
             w->batch);
    bool ok = export_net(net, path, quantizer);
    if (ok) {
        snprintf(command, sizeof command, "CASE %s %zu %zu %d", path, mlp_net_input_size(net),
                 w->batch, o->max_threads);
        ok = ask(o, command, answer, sizeof answer) && !strncmp(answer, "OK", 2);
        if (!ok && o->alive) fprintf(stderr, "mlp-bench: ONNX Runtime: %s", answer);
    } else if (quantizer) {
        fprintf(stderr, "mlp-bench: ONNX Runtime int8: %s failed (python3 with onnx and "
                        "numpy?)\n", quantizer);
    }
    unlink(path);
    return ok;
}

bool bench_ort_set_case(bench_ort *o, const bench_workload *w, const mlp_net *net)
{
    return set_case(o, w, net, NULL);
}

bool bench_ort_set_case_int8(bench_ort *o, const bench_workload *w, const mlp_net *net,
                             const char *quantizer)
{
    return set_case(o, w, net, quantizer);
}

size_t bench_ort_config_count(const bench_ort *o) { return (size_t)o->max_threads; }

void *bench_ort_config(bench_ort *o, size_t i, double seconds)
{
    o->configs[i].seconds = seconds;
    return &o->configs[i];
}

long bench_ort_step(void *ctx)
{
    ort_config *c = ctx;
    char command[64], answer[64];
    long samples;
    snprintf(command, sizeof command, "WINDOW %d %g", c->threads, c->seconds);
    if (!ask(c->ort, command, answer, sizeof answer) || sscanf(answer, "SAMPLES %ld", &samples) != 1)
        return -1;
    return samples;
}

bench_ort_result bench_ort_describe(const bench_ort *o, size_t i, double samples_per_s)
{
    return (bench_ort_result){true, samples_per_s, o->configs[i].threads};
}
