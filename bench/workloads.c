/* The workload table and its synthetic data. */
#include "workloads.h"

#include <stdio.h>
#include <stdlib.h>

static const bench_workload table[] = {
    {"W1", 3, {784, 1024, 1024, 10}, 256, BENCH_TRAIN},
    {"W2", 2, {784, 128, 10, 0}, 32, BENCH_TRAIN},
    {"W3", 2, {784, 128, 10, 0}, 1, BENCH_TRAIN},
    {"W4", 2, {2, 8, 1, 0}, 1, BENCH_TRAIN},
    {"W5", 3, {784, 1024, 1024, 10}, 256, BENCH_INFER},
    {"W5", 3, {784, 1024, 1024, 10}, 1, BENCH_INFER},
};

const bench_workload *bench_workloads(size_t *count)
{
    *count = sizeof table / sizeof table[0];
    return table;
}

const char *bench_network_string(const bench_workload *w, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k <= w->n_layers && used < len; k++) {
        int n = snprintf(buf + used, len - used, k ? "-%zu" : "%zu", w->sizes[k]);
        if (n < 0) break;
        used += (size_t)n;
    }
    return buf;
}

size_t bench_param_count(const bench_workload *w)
{
    size_t p = 0;
    for (size_t k = 0; k < w->n_layers; k++) p += w->sizes[k + 1] * (w->sizes[k] + 1);
    return p;
}

double bench_gflops(const bench_workload *w, double samples_per_s)
{
    double per_sample = (w->mode == BENCH_TRAIN ? 6.0 : 2.0) * (double)bench_param_count(w);
    return per_sample * samples_per_s * 1e-9;
}

/* splitmix64: a seeded generator private to the benchmark. */
static unsigned long long next_random(unsigned long long *state)
{
    unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static float uniform01(unsigned long long *state)
{
    return (float)(next_random(state) >> 40) * (1.0f / 16777216.0f);
}

bool bench_data_create(bench_data *d, const bench_workload *w, unsigned long long seed)
{
    /* At least 1024 records and 16 batches, so big batches do not replay from cache. */
    size_t batches = 16;
    if (batches * w->batch < 1024) batches = (1024 + w->batch - 1) / w->batch;
    d->batch = w->batch;
    d->count = batches * w->batch;
    d->n_in = w->sizes[0];
    d->n_out = w->sizes[w->n_layers];
    d->inputs = malloc(d->count * d->n_in * sizeof(float));
    d->targets = malloc(d->count * d->n_out * sizeof(float));
    if (!d->inputs || !d->targets) {
        bench_data_free(d);
        return false;
    }
    unsigned long long state = seed;
    for (size_t i = 0; i < d->count * d->n_in; i++) d->inputs[i] = uniform01(&state);
    for (size_t i = 0; i < d->count * d->n_out; i++)
        d->targets[i] = 0.05f + 0.9f * uniform01(&state);
    return true;
}

void bench_data_free(bench_data *d)
{
    free(d->inputs);
    free(d->targets);
    d->inputs = d->targets = NULL;
}

const float *bench_data_inputs(const bench_data *d, size_t i)
{
    return d->inputs + i * d->batch * d->n_in;
}

const float *bench_data_targets(const bench_data *d, size_t i)
{
    return d->targets + i * d->batch * d->n_out;
}
