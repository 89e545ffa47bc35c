/* The FANN peer: same layers, sigmoid everywhere, plain gradient descent. */
#include "fann_peer.h"

#include <stdlib.h>

#include <floatfann.h>

/* Most parameter x record products one FANN step may cost (about 0.1 s of work). */
#define FANN_STEP_WORK 16000000.0

struct bench_fann {
    struct fann *ann;
    struct fann_train_data *train; /* the records of one batch step */
    const bench_data *d;
    bench_mode mode;
    size_t records; /* per step */
    size_t cursor;  /* next record for incremental training and inference */
};

static long step_incremental(bench_fann *c)
{
    size_t i = c->cursor;
    c->cursor = i + 1 == c->d->count ? 0 : i + 1;
    fann_train(c->ann, c->d->inputs + i * c->d->n_in, c->d->targets + i * c->d->n_out);
    return 1;
}

static long step_infer(bench_fann *c)
{
    for (size_t r = 0; r < c->records; r++) {
        size_t i = c->cursor;
        c->cursor = i + 1 == c->d->count ? 0 : i + 1;
        if (!fann_run(c->ann, c->d->inputs + i * c->d->n_in)) return -1;
    }
    return (long)c->records;
}

long bench_fann_step(void *ctx)
{
    bench_fann *c = ctx;
    if (c->mode == BENCH_INFER) return step_infer(c);
    if (!c->train) return step_incremental(c);
    fann_train_epoch(c->ann, c->train);
    return (long)c->records;
}

/* The batch's records as a fann_train_data (FANN copies them into its own arrays). */
static struct fann_train_data *make_train_data(const bench_data *d, size_t records)
{
    struct fann_train_data *t =
        fann_create_train((unsigned)records, (unsigned)d->n_in, (unsigned)d->n_out);
    if (!t) return NULL;
    for (size_t i = 0; i < records; i++) {
        for (size_t j = 0; j < d->n_in; j++) t->input[i][j] = d->inputs[i * d->n_in + j];
        for (size_t j = 0; j < d->n_out; j++) t->output[i][j] = d->targets[i * d->n_out + j];
    }
    return t;
}

void bench_fann_free(bench_fann *c)
{
    if (!c) return;
    if (c->train) fann_destroy_train(c->train);
    if (c->ann) fann_destroy(c->ann);
    free(c);
}

bench_fann *bench_fann_create(const bench_workload *w, const bench_data *d,
                              size_t *records_per_step)
{
    unsigned layers[BENCH_MAX_LAYERS + 1];
    for (size_t k = 0; k <= w->n_layers; k++) layers[k] = (unsigned)w->sizes[k];
    bench_fann *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = (bench_fann){.d = d, .mode = w->mode, .records = w->batch};
    double work = (double)bench_param_count(w) * (double)w->batch;
    double cap = (w->mode == BENCH_TRAIN ? 1.0 : 3.0) * FANN_STEP_WORK;
    if (work > cap) {
        c->records = (size_t)(cap / (double)bench_param_count(w));
        if (c->records < 4) c->records = 4;
        if (c->records > w->batch) c->records = w->batch;
    }
    *records_per_step = c->records;

    c->ann = fann_create_standard_array((unsigned)(w->n_layers + 1), layers);
    if (!c->ann) {
        bench_fann_free(c);
        return NULL;
    }
    fann_set_activation_function_hidden(c->ann, FANN_SIGMOID);
    fann_set_activation_function_output(c->ann, FANN_SIGMOID);
    fann_set_learning_rate(c->ann, 0.1f);
    fann_randomize_weights(c->ann, -0.1f, 0.1f);
    if (w->mode == BENCH_TRAIN && w->batch > 1) {
        fann_set_training_algorithm(c->ann, FANN_TRAIN_BATCH);
        c->train = make_train_data(d, c->records);
        if (!c->train) {
            bench_fann_free(c);
            return NULL;
        }
    } else {
        fann_set_training_algorithm(c->ann, FANN_TRAIN_INCREMENTAL);
    }
    return c;
}
