/* libmlp as an application's backend: one model loaded once, requests answered from four
 * threads at the same time, each thread with its own scratch (no allocation per request).
 *
 *   backend [MODEL.mlp]
 *
 * The model comes from memory, as from an application's own container (a database blob, a
 * resource bundle): MODEL's bytes are read into a buffer, or, without MODEL, a model is first
 * trained the short way (build from a data set, train) on generated points, "inside" or
 * "outside" the unit circle, and its image kept in memory (mlp_model_write_mem). Either
 * buffer is opened with mlp_model_open_mem. */
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

/* Trains a classifier of generated points; *image receives its model image. */
static mlp_status train_demo_model(void **image, size_t *size)
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
    if (st == MLP_OK) st = mlp_model_write_mem(model, image, size);
    mlp_model_free(model);
    mlp_dataset_free(data);
    return st;
}

/* The whole file in a buffer from malloc (an application's blob); NULL on failure. */
static void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t used = 0, cap = 0, got;
    do {
        if (used == cap) {
            char *bigger = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!bigger) break;
            buf = bigger;
        }
        got = fread(buf + used, 1, cap - used, f);
        used += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    *size = used;
    return buf;
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
    const char *path = argc > 1 ? argv[1] : "(trained in memory)";
    mlp_set_threads(1); /* our own threads do the parallel work: one BLAS thread each */
    void *image = NULL;
    size_t image_size = 0;
    if (argc > 1) {
        if (!(image = read_file(path, &image_size))) return perror(path), 1;
    } else {
        mlp_status st = train_demo_model(&image, &image_size);
        if (st != MLP_OK) return fprintf(stderr, "training: %s\n", mlp_strerror(st)), 1;
    }

    mlp_model *model;
    mlp_error_detail detail = {0, 0, ""};
    mlp_status st = mlp_model_open_mem(&model, image, image_size, NULL, &detail);
    if (argc > 1) /* the buffer is not needed once the model is open */
        free(image);
    else
        mlp_free(image);
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
