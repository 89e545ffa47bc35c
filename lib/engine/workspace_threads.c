/* The workspace's own worker threads (mlp_workspace_set_threads): a fixed team that runs
 * one job at a time. A job has n shares; share t belongs to thread t (the caller is thread
 * 0), so a one-record pass hands a thread the same rows of a large layer every time and
 * those rows stay in that core's cache from record to record.
 *
 * Hand-off: the caller publishes the job and bumps `generation`; a worker spins on it (then
 * yields, then sleeps on a condition variable so an idle workspace burns no core) and
 * claims its share with a compare-and-swap of the share's generation stamp. Once done with
 * share 0 the caller claims (steals) every share whose worker has not claimed it yet, so a
 * descheduled worker (more runnable threads than cores) costs the record its speed-up, not
 * a scheduler time slice. Which thread runs a share never changes what it computes: the
 * results are the same bit for bit. The caller then waits (spin, yield, sleep) until every
 * claimed share is finished. Sleeping is announced through counters read after the
 * publishing stores (all sequentially consistent), and sleepers re-check under the mutex,
 * so no wake-up is lost. No global state: everything lives in the pool the workspace owns. */
#include "mlp_internal.h"
#include "packed.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__) && defined(__GNUC__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() ((void)0)
#endif

/* Busy-wait rounds before yielding, then yields before sleeping: a few tens of
 * microseconds to a few hundred, far longer than the gap between two records' jobs. */
#define SPIN_ROUNDS 4096
#define YIELD_ROUNDS 64
/* The most threads a workspace may have. */
#define MAX_THREADS 256
/* Floats per thread in the partial buffers: rounded to a cache line so that no two
 * threads write one line. */
#define LINE_FLOATS 16

typedef struct share_stamp {
    _Alignas(64) atomic_uint gen; /* generation of the last job that claimed this share */
} share_stamp;

typedef struct worker {
    mlp_ws_pool *pool;
    int tid;
    pthread_t thread;
} worker;

struct mlp_ws_pool {
    int n; /* threads including the caller */
    worker *workers; /* n - 1 */
    share_stamp *shares; /* n; share 0 is always the caller's */
    float *partial_mem; /* (n - 1) x stride floats, for threads 1 .. n-1 */
    size_t stride;

    mlp_ws_job job;
    void *ctx;

    _Alignas(64) atomic_uint generation; /* bumped once per job (and to stop) */
    atomic_int stop;
    atomic_int sleepers; /* workers blocked (or about to) on `wake` */
    _Alignas(64) atomic_uint finished; /* shares finished by workers, cumulative */
    atomic_int caller_sleeping;
    unsigned expected; /* caller only: `finished` once the current job is over */

    pthread_mutex_t lock;
    pthread_cond_t wake; /* workers: a new generation */
    pthread_cond_t done; /* caller: a worker finished */
};

static void wait_generation(mlp_ws_pool *p, unsigned seen)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (atomic_load_explicit(&p->generation, memory_order_acquire) != seen) return;
        cpu_relax();
    }
    for (int i = 0; i < YIELD_ROUNDS; i++) {
        if (atomic_load_explicit(&p->generation, memory_order_acquire) != seen) return;
        sched_yield();
    }
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->sleepers, 1);
    while (atomic_load(&p->generation) == seen) pthread_cond_wait(&p->wake, &p->lock);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->lock);
}

/* Claims share t of job g: its stamp goes from g - 1 to g exactly once, by one thread. A
 * worker that wakes up late, after the caller has moved on, finds a newer stamp and fails. */
static int claim(mlp_ws_pool *p, int t, unsigned g)
{
    unsigned expect = g - 1u;
    return atomic_compare_exchange_strong(&p->shares[t].gen, &expect, g);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    mlp_ws_pool *p = w->pool;
    unsigned seen = 0;
    for (;;) {
        wait_generation(p, seen);
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
        /* A successful claim holds the job open, so job and ctx are still this one's. */
        if (!claim(p, w->tid, seen)) continue;
        p->job(p->ctx, w->tid, p->n);
        atomic_fetch_add(&p->finished, 1); /* seq_cst: ordered before the flag load */
        if (atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
    return NULL;
}

static void publish(mlp_ws_pool *p)
{
    atomic_fetch_add(&p->generation, 1); /* seq_cst: ordered before the sleepers load */
    if (atomic_load(&p->sleepers)) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->lock);
    }
}

static int all_finished(mlp_ws_pool *p)
{
    return atomic_load_explicit(&p->finished, memory_order_acquire) == p->expected;
}

static void wait_finished(mlp_ws_pool *p)
{
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        if (all_finished(p)) return;
        cpu_relax();
    }
    for (int i = 0; i < YIELD_ROUNDS; i++) {
        if (all_finished(p)) return;
        sched_yield();
    }
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->caller_sleeping, 1);
    while (atomic_load(&p->finished) != p->expected) pthread_cond_wait(&p->done, &p->lock);
    atomic_store(&p->caller_sleeping, 0);
    pthread_mutex_unlock(&p->lock);
}

void mlp_ws_pool_run(mlp_ws_pool *p, mlp_ws_job job, void *ctx)
{
    p->job = job;
    p->ctx = ctx;
    publish(p);
    const unsigned g = atomic_load_explicit(&p->generation, memory_order_relaxed);
    job(ctx, 0, p->n);
    for (int t = 1; t < p->n; t++) {
        if (claim(p, t, g))
            job(ctx, t, p->n); /* its worker is late: do its share here */
        else
            p->expected++; /* claimed by its worker: wait for it */
    }
    wait_finished(p);
}

int mlp_ws_pool_size(const mlp_ws_pool *p) { return p ? p->n : 1; }

float *mlp_ws_pool_partial(mlp_ws_pool *p, int t)
{
    return p->partial_mem + (size_t)(t - 1) * p->stride;
}

/* Stops and joins the first `started` workers, then frees everything. */
static void pool_destroy(mlp_ws_pool *p, int started)
{
    if (started > 0) {
        atomic_store(&p->stop, 1);
        publish(p);
        for (int i = 0; i < started; i++) pthread_join(p->workers[i].thread, NULL);
    }
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    mlp_mem_aligned_free(p->partial_mem);
    mlp_mem_aligned_free(p->shares);
    mlp_mem_free(p->workers);
    mlp_mem_free(p);
}

void mlp_ws_pool_free(mlp_ws_pool *p)
{
    if (p) pool_destroy(p, p->n - 1);
}

static mlp_status pool_create(mlp_ws_pool **out, int n, size_t max_width)
{
    mlp_ws_pool *p = mlp_mem_calloc(1, sizeof *p);
    if (!p) return MLP_ERR_NO_MEMORY;
    p->n = n;
    p->stride = (max_width + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS;
    atomic_init(&p->generation, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->finished, 0);
    atomic_init(&p->caller_sleeping, 0);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        mlp_mem_free(p);
        return MLP_ERR_NO_MEMORY;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        mlp_mem_free(p);
        return MLP_ERR_NO_MEMORY;
    }
    if (pthread_cond_init(&p->done, NULL) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        mlp_mem_free(p);
        return MLP_ERR_NO_MEMORY;
    }
    p->workers = mlp_mem_calloc((size_t)(n - 1), sizeof *p->workers);
    p->shares = mlp_mem_aligned_alloc(64, (size_t)n * sizeof *p->shares);
    if (p->shares)
        for (int t = 0; t < n; t++) atomic_init(&p->shares[t].gen, 0);
    size_t floats;
    if (!p->workers || !p->shares || !mlp_mul_size(p->stride, (size_t)(n - 1), &floats) ||
        floats > SIZE_MAX / sizeof(float) - LINE_FLOATS ||
        !(p->partial_mem =
              mlp_mem_aligned_alloc(64, (floats ? floats : LINE_FLOATS) * sizeof(float)))) {
        pool_destroy(p, 0);
        return MLP_ERR_NO_MEMORY;
    }
    /* Workers start with every signal blocked: the user's handlers run on the user's
     * threads only. */
    sigset_t all, old;
    sigfillset(&all);
    int masked = pthread_sigmask(SIG_SETMASK, &all, &old) == 0;
    int started = 0;
    for (; started < n - 1; started++) {
        worker *w = &p->workers[started];
        w->pool = p;
        w->tid = started + 1;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) break;
    }
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < n - 1) {
        pool_destroy(p, started);
        return MLP_ERR_NO_MEMORY;
    }
    *out = p;
    return MLP_OK;
}

mlp_status mlp_workspace_set_threads(mlp_workspace *ws, int n)
{
    return mlp_workspace_set_threads_ex(ws, n, NULL);
}

mlp_status mlp_workspace_set_threads_ex(mlp_workspace *ws, int n, mlp_error_detail *detail)
{
    if (!ws) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ws is NULL");
    if (n < 1 || n > MAX_THREADS)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "n is %d, outside [1, %d]", n, MAX_THREADS);
    if (!ws->training && ws->bf16)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ws runs in bf16, which oneDNN threads "
                        "itself: set threads before the precision, or on a float workspace");
    const int new_team = n != mlp_ws_pool_size(ws->pool);
    mlp_ws_pool *fresh = NULL;
    if (new_team && n > 1) {
        mlp_status st = pool_create(&fresh, n, ws->shape->max_width);
        if (st != MLP_OK) /* the old team, if any, is untouched */
            return mlp_fail(detail, st, "%d threads could not be started", n);
    }
    /* An inference workspace's float passes run from packed weights from now on, where this
     * CPU has the kernels (packed.h), split across the team; int8 passes split without. */
    if (!ws->training && !ws->int8) {
        size_t grew = 0;
        mlp_status st = mlp_packed_reserve(&ws->packed, ws->shape, n, &grew);
        if (st != MLP_OK) { /* nothing changed */
            mlp_ws_pool_free(fresh);
            return mlp_fail(detail, st, "no memory for the packed weights of %d threads", n);
        }
        ws->bytes += grew;
    }
    if (!new_team) return MLP_OK;
    mlp_ws_pool_free(ws->pool);
    ws->pool = fresh;
    mlp_one_record_plan_update(ws); /* which layers are split */
    return MLP_OK;
}
