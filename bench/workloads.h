/* The benchmark's workloads (W1..W5) and their synthetic, seeded, in-memory data. */
#ifndef MLP_BENCH_WORKLOADS_H
#define MLP_BENCH_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>

#define BENCH_MAX_LAYERS 3

typedef enum bench_mode {
    BENCH_TRAIN = 0, /* one optimizer step (forward, backward, SGD update) per batch */
    BENCH_INFER      /* one forward pass per batch */
} bench_mode;

/* Every layer, output included, is sigmoid; loss MSE; optimizer plain SGD. */
typedef struct bench_workload {
    const char *name;                   /* "W1" .. "W5" (W5 has two rows) */
    size_t n_layers;                    /* weight layers */
    size_t sizes[BENCH_MAX_LAYERS + 1]; /* inputs first */
    size_t batch;
    bench_mode mode;
} bench_workload;

/* The table of rows, in order; *count receives its length. */
const bench_workload *bench_workloads(size_t *count);

/* "784-1024-1024-10" into buf. */
const char *bench_network_string(const bench_workload *w, char *buf, size_t len);

/* Trainable numbers with one bias per neuron: sum n_(k+1) (n_k + 1). */
size_t bench_param_count(const bench_workload *w);

/* GFLOP/s at samples_per_s: 6 x parameters per trained sample, 2 x per inferred one. */
double bench_gflops(const bench_workload *w, double samples_per_s);

/* Synthetic records: inputs uniform in [0,1), targets uniform in (0.05,0.95). */
typedef struct bench_data {
    size_t count;       /* a whole number of batches */
    size_t batch;
    size_t n_in, n_out;
    float *inputs;      /* count x n_in */
    float *targets;     /* count x n_out */
} bench_data;

/* Data for w (enough batches to not sit in cache for the big nets); false on no memory. */
bool bench_data_create(bench_data *d, const bench_workload *w, unsigned long long seed);
void bench_data_free(bench_data *d);
/* Start of batch number i < count / batch: inputs and targets. */
const float *bench_data_inputs(const bench_data *d, size_t i);
const float *bench_data_targets(const bench_data *d, size_t i);
/* The batch after i, back to 0 after the last (no division: W4's steps are tiny). */
static inline size_t bench_data_next(const bench_data *d, size_t i)
{
    return (i + 1) * d->batch >= d->count ? 0 : i + 1;
}

#endif
