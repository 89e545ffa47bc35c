/* libmlp as an application's backend: one model loaded once, requests answered from four
 * threads at the same time, each thread with its own scratch (no allocation per request).
 *
 *   backend [MODEL.mlp]
 *
 * Without MODEL it first trains one the short way (build from a data set, train, write) on
 * generated points, "inside" or "outside" the unit circle, and saves it to
 * backend-demo.mlp. The model is loaded from its path (mlp_model_open); a loader from
 * memory would serve a model kept in a database or a bundle the same way. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <mlp.h>

#define THREADS 4
#define REQUESTS 2000 /* per thread */
#define BATCH 50      /* records per request */

static float point_coord(unsigned *s) { return 2.5f * (float)rand_r(s) / (float)RAND_MAX - 1.25f; }
static int inside(const float *p) { return p[0] * p[0] + p[1] * p[1] < 1.0f; }

/* Trains a classifier of generated points and writes it to path. */
static mlp_status train_demo_model(const char *path)
{
    mlp_dataset *data;
    mlp_status st = mlp_dataset_create(&data, 2000, 2, 2);
    if (st != MLP_OK) return st;
    float *x = mlp_dataset_inputs(data), *y = mlp_dataset_targets(data);
    unsigned seed = 1;
    for (size_t i = 0; i < 2000; i++) {
        x[2 * i] = point_coord(&seed);
        x[2 * i + 1] = point_coord(&seed);
        y[2 * i + (size_t)inside(x + 2 * i)] = 1.0f; /* one-hot: class 0 outside, 1 inside */
    }
    mlp_model_config mc = mlp_model_config_default();
    mc.task = MLP_TASK_CLASSIFY;        /* the data set has no class names: say it */
    mc.optimizer.learning_rate = 0.01f;
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 40;
    mlp_model *model = NULL;
    st = mlp_model_build(&model, data, &mc);
    if (st == MLP_OK) st = mlp_model_train(model, data, NULL, &tc, NULL);
    if (st == MLP_OK) st = mlp_model_write(model, path, NULL);
    mlp_model_free(model);
    mlp_dataset_free(data);
    return st;
}

typedef struct worker {
    const mlp_model *model; /* shared, read-only */
    unsigned seed;
    size_t correct, answered;
    mlp_status st;
} worker;

static void *serve(void *arg)
{
    worker *w = arg;
    mlp_model_scratch *scratch; /* this thread's: made once, reused by every request */
    w->st = mlp_model_scratch_create(&scratch, w->model, BATCH);
    if (w->st != MLP_OK) return NULL;
    float rows[BATCH * 2];
    size_t classes[BATCH];
    for (int r = 0; r < REQUESTS && w->st == MLP_OK; r++) {
        for (int i = 0; i < BATCH * 2; i++) rows[i] = point_coord(&w->seed);
        w->st = mlp_model_classify_with(w->model, scratch, rows, BATCH, classes);
        for (int i = 0; i < BATCH && w->st == MLP_OK; i++)
            w->correct += classes[i] == (size_t)inside(rows + 2 * i);
        w->answered += BATCH;
    }
    mlp_model_scratch_free(scratch);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "backend-demo.mlp";
    mlp_set_threads(1); /* our own threads do the parallel work: one BLAS thread each */
    mlp_status st = argc > 1 ? MLP_OK : train_demo_model(path);
    if (st != MLP_OK) return fprintf(stderr, "training: %s\n", mlp_strerror(st)), 1;

    mlp_model *model;
    mlp_error_detail detail = {0, 0, ""};
    st = mlp_model_open(&model, path, NULL, &detail);
    if (st != MLP_OK) {
        fprintf(stderr, "%s: %s (%s)\n", path, mlp_strerror(st), detail.message);
        return 1;
    }
    if (mlp_model_input_size(model) != 2) {
        fprintf(stderr, "%s: expected a model with 2 inputs\n", path);
        mlp_model_free(model);
        return 1;
    }

    worker w[THREADS];
    pthread_t th[THREADS];
    int started[THREADS], failed = 0;
    for (int t = 0; t < THREADS; t++) {
        w[t] = (worker){model, 100u + (unsigned)t, 0, 0, MLP_OK};
        started[t] = pthread_create(&th[t], NULL, serve, &w[t]) == 0;
    }
    size_t correct = 0, answered = 0;
    for (int t = 0; t < THREADS; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        if (!started[t] || w[t].st != MLP_OK) {
            fprintf(stderr, "thread %d: %s\n", t,
                    started[t] ? mlp_strerror(w[t].st) : "could not be started");
            failed = 1;
        }
        correct += w[t].correct;
        answered += w[t].answered;
    }
    printf("%d threads answered %zu records; %.1f%% classified as the circle says\n", THREADS,
           answered, answered ? 100.0 * (double)correct / (double)answered : 0.0);
    mlp_model_free(model);
    return failed;
}
