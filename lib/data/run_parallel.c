/* Running n independent jobs on threads: the readers' byte ranges. */
#include "mlp_internal.h"

#include <pthread.h>

#define MAX_JOBS 64

typedef struct job {
    void (*fn)(void *ctx, size_t k);
    void *ctx;
    size_t k;
} job;

static void *job_main(void *arg)
{
    job *j = arg;
    j->fn(j->ctx, j->k);
    return NULL;
}

void mlp_run_parallel(size_t n, void (*fn)(void *ctx, size_t k), void *ctx)
{
    pthread_t tid[MAX_JOBS];
    job jobs[MAX_JOBS];
    int started[MAX_JOBS] = {0};
    if (n > MAX_JOBS) n = MAX_JOBS;
    for (size_t k = 1; k < n; k++) {
        jobs[k] = (job){fn, ctx, k};
        started[k] = pthread_create(&tid[k], NULL, job_main, &jobs[k]) == 0;
    }
    fn(ctx, 0);
    for (size_t k = 1; k < n; k++) {
        if (started[k]) pthread_join(tid[k], NULL);
        else fn(ctx, k);
    }
}
