/* Talks to torch_bench.py --serve: CASE builds a net, WINDOW runs it for a while. */
#include "torch_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "subprocess.h"

#define TORCH_MAX_SERVERS 2
#define TORCH_MAX_CONFIGS 16

typedef struct torch_server {
    bench_child child;
    int blas_threads;
    bool alive;
} torch_server;

typedef struct torch_config {
    torch_server *server;
    int torch_threads;
    double seconds;
} torch_config;

struct bench_torch {
    torch_server servers[TORCH_MAX_SERVERS];
    size_t n_servers;
    torch_config configs[TORCH_MAX_CONFIGS];
    size_t n_configs;
};

/* Starts the script with `python`; true once it has said TORCH (then version is filled). */
static bool server_start(torch_server *s, const char *python, const char *script,
                         int blas_threads, char *version, size_t version_len)
{
    char blas[16], line[256], ver[64];
    snprintf(blas, sizeof blas, "%d", blas_threads);
    setenv("OPENBLAS_NUM_THREADS", blas, 1); /* ours is set already; the child reads it */
    char *argv[] = {(char *)python, (char *)script, "--serve", NULL};
    s->blas_threads = blas_threads;
    s->alive = false;
    if (bench_child_start(&s->child, argv) != 0) return false;
    if (fgets(line, sizeof line, s->child.out) && sscanf(line, "TORCH %63s", ver) == 1) {
        snprintf(version, version_len, "%s", ver);
        return s->alive = true;
    }
    bench_child_finish(&s->child);
    return false;
}

/* Sends one command line and reads the answer line; false (server dropped) on failure. */
static bool server_ask(torch_server *s, const char *command, char *answer, size_t len)
{
    if (!s->alive) return false;
    if (fprintf(s->child.in, "%s\n", command) < 0 || !fgets(answer, (int)len, s->child.out)) {
        s->alive = false;
        return false;
    }
    return true;
}

bench_torch *bench_torch_start(const char *script, int blas_threads, char *version,
                               size_t version_len)
{
    bench_torch *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    const char *env_python = getenv("MLP_BENCH_PYTHON");
    const char *candidates[] = {env_python, "python3", "/usr/bin/python3"};
    const char *python = NULL;
    for (size_t c = 0; c < sizeof candidates / sizeof candidates[0] && !python; c++) {
        if (!candidates[c] || !candidates[c][0]) continue;
        if (server_start(&t->servers[0], candidates[c], script, blas_threads, version,
                         version_len))
            python = candidates[c];
        else if (c == 0)
            break; /* an explicit choice is not second-guessed */
    }
    if (!python) {
        free(t);
        return NULL;
    }
    t->n_servers = 1;
    if (blas_threads > 1 &&
        server_start(&t->servers[1], python, script, 1, version, version_len))
        t->n_servers = 2;
    int max_torch = blas_threads > 2 ? blas_threads : 2;
    for (size_t s = 0; s < t->n_servers; s++)
        for (int k = 1; k <= max_torch && t->n_configs < TORCH_MAX_CONFIGS; k++)
            t->configs[t->n_configs++] = (torch_config){&t->servers[s], k, 0.0};
    return t;
}

void bench_torch_stop(bench_torch *t)
{
    if (!t) return;
    for (size_t s = 0; s < t->n_servers; s++) fflush(t->servers[s].child.in);
    for (size_t s = 0; s < t->n_servers; s++) bench_child_finish(&t->servers[s].child);
    free(t);
}

bool bench_torch_set_case(bench_torch *t, const bench_workload *w)
{
    return bench_torch_set_case_as(t, w, NULL);
}

bool bench_torch_set_case_as(bench_torch *t, const bench_workload *w, const char *precision)
{
    char command[128], net[64], answer[64];
    snprintf(command, sizeof command, "CASE %s:%s:%zu:%s%s%s", w->name,
             w->mode == BENCH_TRAIN ? "train" : "infer", w->batch,
             bench_network_string(w, net, sizeof net), precision ? ":" : "",
             precision ? precision : "");
    bool any = false;
    for (size_t s = 0; s < t->n_servers; s++) {
        torch_server *server = &t->servers[s];
        if (server_ask(server, command, answer, sizeof answer) && !strncmp(answer, "OK", 2))
            any = true;
        else
            server->alive = false;
    }
    return any;
}

size_t bench_torch_config_count(const bench_torch *t) { return t->n_configs; }

void *bench_torch_config(bench_torch *t, size_t i, double seconds)
{
    t->configs[i].seconds = seconds;
    return &t->configs[i];
}

long bench_torch_step(void *ctx)
{
    torch_config *c = ctx;
    char command[64], answer[64];
    long samples;
    snprintf(command, sizeof command, "WINDOW %d %g", c->torch_threads, c->seconds);
    if (!server_ask(c->server, command, answer, sizeof answer) ||
        sscanf(answer, "SAMPLES %ld", &samples) != 1)
        return -1;
    return samples;
}

bench_torch_result bench_torch_describe(const bench_torch *t, size_t i, double samples_per_s)
{
    return (bench_torch_result){true, samples_per_s, t->configs[i].torch_threads,
                                t->configs[i].server->blas_threads};
}
