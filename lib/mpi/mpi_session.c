/* A session: the communicator data-parallel training runs on, the hook that makes mlp_train's
 * epoch loop data-parallel (mlp_train_parallel), and the watchdog that ends the job when a
 * rank stops answering. Two guards make up the watchdog: before each collective every rank
 * announces its arrival to every other and waits for theirs with a deadline (so the message
 * can name the ranks that did not come); inside the collective itself a thread ends the job
 * when the call outlives the deadline (a rank that stopped after it arrived). */
#include "mpi_internal.h"

#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRIVE_TAG 4242
#define MAX_SUMS 7 /* doubles summed with one status in one reduction */
/* mlp_mpi_options before bf16_gradients was appended */
#define OPTIONS_FIRST_SIZE (offsetof(mlp_mpi_options, shard_optimizer) + sizeof(bool))
/* ... and before overlap_backward */
#define OPTIONS_SECOND_SIZE (offsetof(mlp_mpi_options, bf16_gradients) + sizeof(bool))

struct mlp_mpi_session {
    MPI_Comm comm, arrive_comm; /* the collectives; the arrival messages */
    int rank, ranks;
    double timeout;
    int abort_status;
    mlp_train_parallel hook;
    unsigned long long seq, *arrived; /* this rank's arrivals; a slot per rank */
    MPI_Request *reqs;                /* two per rank */
    bool shard;                       /* shard_optimizer */
    mlp_mpi_exchange *exchange;       /* the gradient exchange of each update */
    bool planned;                     /* exchange planned for this run's net */
    atomic_llong blocked_since;       /* monotonic ns inside a collective, 0 outside */
    char blocked_what[96];
    pthread_t thread;
    bool has_thread, quit;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void end_job(const mlp_mpi_session *s, const char *why)
{
    fprintf(stderr, "mlp_mpi: rank %d of %d: %s: ending the job\n", s->rank, s->ranks, why);
    fflush(stderr);
    MPI_Abort(s->comm, s->abort_status);
}

/* Every other rank's arrival at this rank's next collective, within the deadline. */
static void arrive(mlp_mpi_session *s, const char *what)
{
    if (s->timeout <= 0.0 || s->ranks == 1) return;
    s->seq++;
    int n = 0;
    for (int p = 0; p < s->ranks; p++) {
        if (p == s->rank) continue;
        MPI_Irecv(&s->arrived[p], 1, MPI_UNSIGNED_LONG_LONG, p, ARRIVE_TAG, s->arrive_comm,
                  &s->reqs[n++]);
        MPI_Isend(&s->seq, 1, MPI_UNSIGNED_LONG_LONG, p, ARRIVE_TAG, s->arrive_comm,
                  &s->reqs[n++]);
    }
    const long long deadline = now_ns() + (long long)(s->timeout * 1e9);
    for (unsigned spins = 0;; spins++) {
        int done = 0;
        MPI_Testall(n, s->reqs, &done, MPI_STATUSES_IGNORE);
        if (done) return;
        if (spins > 1000) sched_yield(); /* ranks may outnumber the cores */
        if (now_ns() > deadline) break;
    }
    char missing[160] = "";
    size_t len = 0;
    for (int p = 0, i = 0; p < s->ranks; p++) {
        if (p == s->rank) continue;
        int got = 0;
        MPI_Test(&s->reqs[i], &got, MPI_STATUS_IGNORE); /* the receive from p */
        i += 2;
        if (!got && len < sizeof missing - 16)
            len += (size_t)snprintf(missing + len, sizeof missing - len, "%s%d",
                                    len ? ", " : "", p);
    }
    char why[320];
    snprintf(why, sizeof why, "rank %s did not reach %s within %g s (it died, hangs or was "
             "stopped)", missing, what, s->timeout);
    end_job(s, why);
}

static void block_begin(mlp_mpi_session *s, const char *what)
{
    if (!s->has_thread) return;
    snprintf(s->blocked_what, sizeof s->blocked_what, "%s", what);
    atomic_store(&s->blocked_since, now_ns());
}

static void block_end(mlp_mpi_session *s)
{
    if (s->has_thread) atomic_store(&s->blocked_since, 0);
}

/* The watchdog thread: ends the job when a collective outlives the deadline. */
static void *watch(void *arg)
{
    mlp_mpi_session *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->quit) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        const long long since = atomic_load(&s->blocked_since);
        if (!s->quit && since && (double)(now_ns() - since) > s->timeout * 1e9) {
            /* every rank arrived, so the culprit is one of the others */
            char others[96] = "";
            size_t len = 0;
            for (int p = 0; p < s->ranks && len < sizeof others - 16; p++)
                if (p != s->rank)
                    len += (size_t)snprintf(others + len, sizeof others - len, "%s%d",
                                            len ? ", " : "", p);
            char why[320];
            snprintf(why, sizeof why, "%s did not complete within %g s: rank %s%s arrived but "
                     "died, hangs or was stopped inside it", s->blocked_what, s->timeout,
                     s->ranks > 2 ? "one of " : "", others);
            end_job(s, why);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* This rank's failure as a message that names it. */
static void name_failure(const mlp_mpi_session *s, mlp_status local, const mlp_error_detail *d,
                         mlp_error_detail *mine)
{
    memset(mine, 0, sizeof *mine);
    if (local == MLP_OK) return;
    if (d) {
        mine->line = d->line;
        mine->column = d->column;
    }
    snprintf(mine->message, sizeof mine->message, "rank %d: %.*s", s->rank,
             (int)sizeof mine->message - 16,
             d && d->message[0] ? d->message : mlp_strerror(local));
}

mlp_status mlp_mpi_session_agree(mlp_mpi_session *s, mlp_status local,
                                 const mlp_error_detail *local_detail, mlp_error_detail *detail,
                                 int *failing_rank)
{
    arrive(s, "an agreement on every rank's outcome");
    block_begin(s, "an agreement on every rank's outcome");
    mlp_status st = mlp_mpi_agree(s->comm, local, local_detail, detail, failing_rank);
    block_end(s);
    return st;
}

/* The doubles and a failure count in one small reduction, and on a failure the failing
 * rank's status and message everywhere. */
static mlp_status sum_small(mlp_mpi_session *s, double *doubles, size_t n_doubles,
                            mlp_status local, mlp_error_detail *detail)
{
    if (n_doubles > MAX_SUMS) local = MLP_ERR_INVALID_ARG; /* the loop sends at most 2 */
    double buf[MAX_SUMS + 1] = {0};
    const size_t nd = n_doubles > MAX_SUMS ? 0 : n_doubles;
    if (nd) memcpy(buf, doubles, nd * sizeof *buf);
    buf[nd] = local != MLP_OK;
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)nd + 1, MPI_DOUBLE, MPI_SUM, s->comm);
    if (buf[nd] != 0.0) {
        mlp_error_detail mine;
        name_failure(s, local, detail, &mine);
        return mlp_mpi_agree(s->comm, local, &mine, detail, NULL);
    }
    if (nd) memcpy(doubles, buf, nd * sizeof *buf);
    return MLP_OK;
}

static mlp_status hook_sum(void *user, float *floats, size_t n_floats, double *doubles,
                           size_t n_doubles, mlp_status local, mlp_error_detail *detail)
{
    mlp_mpi_session *s = user;
    const char *what = n_floats ? "a sum of floats" : "the sum of a validation or a stop";
    arrive(s, what);
    block_begin(s, what);
    mlp_status st = sum_small(s, doubles, n_doubles, local, detail);
    if (st == MLP_OK && n_floats) mlp_mpi_sum_floats(s->comm, floats, n_floats);
    block_end(s);
    return st;
}

/* The backward pass finished grad[from ..): the exchange starts what lies there. */
static void hook_gradient_ready(void *user, float *grad, size_t from)
{
    mlp_mpi_session *s = user;
    if (s->planned) mlp_mpi_exchange_ready(s->exchange, grad, from);
}

/* The sum without the exchange (a vector too long for MPI's int displacements): one
 * allreduce in pieces and the whole step on every rank. */
static mlp_status update_whole(mlp_mpi_session *s, mlp_net *net, mlp_optimizer *opt, float *grad,
                               size_t batch, double *doubles, size_t n_doubles, mlp_status local,
                               mlp_error_detail *detail)
{
    mlp_status st = sum_small(s, doubles, n_doubles, local, detail);
    for (size_t i = 0; i < n_doubles && st == MLP_OK; i++)
        if (doubles[i] - doubles[i] != 0.0) return MLP_OK; /* NaN or infinite: not applied */
    if (st != MLP_OK) return st;
    mlp_mpi_sum_floats(s->comm, grad, mlp_net_param_count(net));
    return mlp_optimizer_step(opt, net, grad, batch);
}

static mlp_status hook_update(void *user, mlp_net *net, mlp_optimizer *opt, float *grad,
                              size_t batch, double *doubles, size_t n_doubles, mlp_status local,
                              mlp_error_detail *detail)
{
    mlp_mpi_session *s = user;
    if (!s->planned) {
        arrive(s, "the gradient sum");
        block_begin(s, "the gradient sum");
        mlp_status st = update_whole(s, net, opt, grad, batch, doubles, n_doubles, local, detail);
        block_end(s);
        return st;
    }
    /* what the pass did not start (all of it on a rank without records) starts now, in
     * the same order on every rank; the losses and statuses are agreed meanwhile */
    mlp_mpi_exchange_start_rest(s->exchange, grad);
    arrive(s, "the gradient sum");
    block_begin(s, "the gradient sum");
    mlp_status st = sum_small(s, doubles, n_doubles, local, detail);
    float *sum = mlp_mpi_exchange_finish(s->exchange, grad);
    bool apply = st == MLP_OK;
    for (size_t i = 0; i < n_doubles && apply; i++)
        if (doubles[i] - doubles[i] != 0.0) apply = false; /* NaN or infinite: not applied */
    if (apply && s->shard && s->ranks > 1) {
        size_t count;
        const size_t first = mlp_mpi_exchange_slice(s->exchange, &count);
        /* the same checks on every rank: the same status */
        st = mlp_optimizer_step_range(opt, net, sum, batch, first, count);
        if (st == MLP_OK)
            MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, mlp_net_params(net),
                           mlp_mpi_exchange_counts(s->exchange),
                           mlp_mpi_exchange_displs(s->exchange), MPI_FLOAT, s->comm);
    } else if (apply) {
        st = mlp_optimizer_step(opt, net, sum, batch);
    }
    block_end(s);
    return st;
}

/* A sharded step kept only this rank's slice of each state vector current. */
static void hook_finish(void *user, mlp_optimizer *opt)
{
    mlp_mpi_session *s = user;
    size_t total;
    float *state = mlp_optimizer_state(opt, &total);
    const size_t n = s->planned ? mlp_mpi_exchange_size(s->exchange) : 0;
    s->planned = false;
    if (!s->shard || s->ranks == 1 || !n || !state || total % n != 0) return;
    arrive(s, "the end of training");
    block_begin(s, "the end of training");
    for (size_t v = 0; v < total / n; v++)
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, state + v * n,
                       mlp_mpi_exchange_counts(s->exchange), mlp_mpi_exchange_displs(s->exchange),
                       MPI_FLOAT, s->comm);
    block_end(s);
}

static mlp_status hook_start(void *user, mlp_net *net, mlp_optimizer *opt, mlp_status local,
                             uint64_t settings_hash, uint64_t data_hash, mlp_error_detail *detail)
{
    mlp_mpi_session *s = user;
    s->planned = false; /* the exchange is planned for this run's net below */
    mlp_error_detail mine;
    name_failure(s, local, detail, &mine);
    mlp_status st = mlp_mpi_session_agree(s, local, &mine, detail, NULL);
    if (st != MLP_OK) return st;
    block_begin(s, "the start-up checks");
    /* the settings and the data before anything changes; the topology first, since data
     * and settings of another net differ too */
    st = mlp_mpi_check_same(s->comm, mlp_mpi_topology_hash(net), "network's topology", detail);
    if (st == MLP_OK)
        st = mlp_mpi_check_same(s->comm, settings_hash, "training settings or data size",
                                detail);
    if (st == MLP_OK)
        st = mlp_mpi_check_same(s->comm, data_hash,
                                "content of the training or validation data (the same size, "
                                "other values: every rank must read the same data)", detail);
    if (st == MLP_OK) st = mlp_mpi_sync(s->comm, net, opt, detail);
    block_end(s);
    if (st != MLP_OK || s->ranks == 1) return st;
    /* the same n on every rank (the topologies agree): the same plan, or the same refusal
     * of a vector too long for int displacements (then the plain allreduce) */
    mlp_status plan = mlp_mpi_exchange_plan(s->exchange, mlp_net_param_count(net));
    mlp_error_detail why = {0};
    if (plan == MLP_ERR_NO_MEMORY)
        snprintf(why.message, sizeof why.message, "rank %d: could not allocate the buffers of "
                 "the gradient exchange", s->rank);
    st = mlp_mpi_session_agree(s, plan == MLP_ERR_NO_MEMORY ? plan : MLP_OK, &why, detail, NULL);
    s->planned = st == MLP_OK && plan == MLP_OK;
    return st;
}

mlp_mpi_options mlp_mpi_options_default(void)
{
    return (mlp_mpi_options){.struct_size = sizeof(mlp_mpi_options), .timeout_seconds = 0.0,
                             .abort_status = 1, .shard_optimizer = true,
                             .overlap_backward = true};
}

static void set_detail(mlp_error_detail *d, const char *message)
{
    if (!d) return;
    memset(d, 0, sizeof *d);
    snprintf(d->message, sizeof d->message, "%s", message);
}

mlp_status mlp_mpi_session_create(mlp_mpi_session **out, MPI_Comm comm,
                                  const mlp_mpi_options *options, mlp_error_detail *detail)
{
    if (!out) {
        set_detail(detail, "out is NULL");
        return MLP_ERR_NULL_ARG;
    }
    *out = NULL;
    mlp_mpi_options o = mlp_mpi_options_default();
    if (options && options->struct_size != sizeof o &&
        options->struct_size != OPTIONS_FIRST_SIZE &&
        options->struct_size != OPTIONS_SECOND_SIZE) {
        set_detail(detail, "options->struct_size is not sizeof(mlp_mpi_options): use "
                           "mlp_mpi_options_default");
        return MLP_ERR_INVALID_ARG;
    }
    if (options) memcpy(&o, options, options->struct_size); /* later fields: defaults */
    o.struct_size = sizeof o;
    if (!(o.timeout_seconds >= 0.0) || !isfinite(o.timeout_seconds)) {
        set_detail(detail, "options->timeout_seconds is negative, NaN or infinite (0 waits "
                           "for ever)");
        return MLP_ERR_INVALID_ARG;
    }
    mlp_mpi_session *s = calloc(1, sizeof *s);
    if (!s) return MLP_ERR_NO_MEMORY;
    MPI_Comm_dup(comm, &s->comm);
    MPI_Comm_dup(comm, &s->arrive_comm);
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->ranks);
    s->timeout = o.timeout_seconds;
    s->abort_status = o.abort_status;
    s->shard = o.shard_optimizer;
    s->arrived = calloc((size_t)s->ranks, sizeof *s->arrived);
    s->reqs = calloc(2 * (size_t)s->ranks, sizeof *s->reqs);
    s->exchange = mlp_mpi_exchange_create(s->comm, o.shard_optimizer,
                                          o.bf16_gradients && s->ranks > 1, o.overlap_backward);
    atomic_init(&s->blocked_since, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    mlp_status st = s->arrived && s->reqs && s->exchange ? MLP_OK : MLP_ERR_NO_MEMORY;
    if (st == MLP_OK && s->timeout > 0.0) {
        s->has_thread = pthread_create(&s->thread, NULL, watch, s) == 0;
        if (!s->has_thread) st = MLP_ERR_NO_MEMORY;
    }
    s->hook = (mlp_train_parallel){.struct_size = sizeof s->hook, .rank = s->rank,
                                   .workers = s->ranks, .user_data = s, .start = hook_start,
                                   .sum = hook_sum, .update = hook_update,
                                   .finish = hook_finish,
                                   .gradient_ready = hook_gradient_ready};
    if (st != MLP_OK) {
        set_detail(detail, "could not allocate the session or start its watchdog thread");
        mlp_mpi_session_free(s);
        return st;
    }
    *out = s;
    return MLP_OK;
}

void mlp_mpi_session_free(mlp_mpi_session *s)
{
    if (!s) return;
    if (s->has_thread) {
        pthread_mutex_lock(&s->lock);
        s->quit = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    MPI_Comm_free(&s->arrive_comm);
    MPI_Comm_free(&s->comm);
    free(s->arrived);
    free(s->reqs);
    mlp_mpi_exchange_free(s->exchange);
    free(s);
}

mlp_status mlp_mpi_train_config_attach(mlp_train_config *config, mlp_mpi_session *session)
{
    if (!config || !session) return MLP_ERR_NULL_ARG;
    if (config->struct_size != sizeof *config) return MLP_ERR_INVALID_ARG;
    config->parallel = &session->hook;
    return MLP_OK;
}

void mlp_mpi_session_own_records(mlp_mpi_session *s, bool owns, size_t first, size_t count,
                                 size_t val_first, size_t val_count)
{
    s->hook.owns_records = owns;
    s->hook.own_first = first;
    s->hook.own_count = count;
    s->hook.val_own_first = val_first;
    s->hook.val_own_count = val_count;
}
