/* The gradient exchange of one update, in buckets that can start during the backward pass.
 *
 * The vector is cut into buckets from its end (the output layer's entries, which the
 * backward pass finishes first): bucket i is [n - (i+1) B, n - i B), the last one clipped
 * at 0. The cut depends only on n and the rank count, so every rank starts the same
 * nonblocking collectives in the same order, whether it starts them during its pass (as
 * each bucket's entries become final) or all at the update (a rank without records in a
 * batch). Sharded: each bucket's part of every rank's slice goes to that rank
 * (MPI_Ireduce_scatter, or MPI_Ialltoallv of bf16 copies summed here in rank order), into
 * this rank's slice buffer; whole: MPI_Iallreduce in place (or MPI_Iallgather of bf16
 * copies, summed here in rank order). Open MPI progresses nonblocking collectives only
 * inside MPI calls: each report from the pass tests the started ones. */
#include "mpi_internal.h"

#include <stdlib.h>
#include <string.h>

/* Buckets of at least this many floats (smaller ones cost more in latency than they hide),
 * and at most MAX_BUCKETS of them. */
#define MIN_BUCKET ((size_t)1 << 14)
#define MAX_BUCKETS 8

struct mlp_mpi_exchange {
    MPI_Comm comm;
    int rank, ranks;
    bool shard, bf16, overlap;
    size_t n, bucket, n_buckets; /* the plan, for n parameters */
    size_t started;              /* buckets started in this update */
    MPI_Request reqs[MAX_BUCKETS];
    int *counts, *displs;        /* every rank's slice of the vector (sharded) */
    int *part;                   /* n_buckets x ranks: bucket i's part of rank r's slice */
    int *part_at;                /* n_buckets x ranks: where that part starts */
    int *recv_counts, *recv_displs; /* n_buckets x ranks: the bf16 all-to-all's receives */
    float *slice;                /* this rank's summed slice (sharded) */
    uint16_t *send16, *recv16;   /* the bf16 copies sent and received */
};

/* float to bfloat16, rounded to nearest even; NaN stays NaN. */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static float from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

mlp_mpi_exchange *mlp_mpi_exchange_create(MPI_Comm comm, bool shard, bool bf16, bool overlap)
{
    mlp_mpi_exchange *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->comm = comm;
    MPI_Comm_rank(comm, &e->rank);
    MPI_Comm_size(comm, &e->ranks);
    e->shard = shard;
    e->bf16 = bf16;
    e->overlap = overlap;
    const size_t r = (size_t)e->ranks;
    e->counts = calloc(r, sizeof *e->counts);
    e->displs = calloc(r, sizeof *e->displs);
    e->part = calloc(r * MAX_BUCKETS, sizeof *e->part);
    e->part_at = calloc(r * MAX_BUCKETS, sizeof *e->part_at);
    e->recv_counts = calloc(r * MAX_BUCKETS, sizeof *e->recv_counts);
    e->recv_displs = calloc(r * MAX_BUCKETS, sizeof *e->recv_displs);
    if (!e->counts || !e->displs || !e->part || !e->part_at || !e->recv_counts ||
        !e->recv_displs) {
        mlp_mpi_exchange_free(e);
        return NULL;
    }
    return e;
}

void mlp_mpi_exchange_free(mlp_mpi_exchange *e)
{
    if (!e) return;
    free(e->counts);
    free(e->displs);
    free(e->part);
    free(e->part_at);
    free(e->recv_counts);
    free(e->recv_displs);
    free(e->slice);
    free(e->send16);
    free(e->recv16);
    free(e);
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static size_t bucket_start(const mlp_mpi_exchange *e, size_t i)
{
    const size_t end_gap = (i + 1) * e->bucket;
    return i + 1 == e->n_buckets || end_gap >= e->n ? 0 : e->n - end_gap;
}

static size_t bucket_end(const mlp_mpi_exchange *e, size_t i) { return e->n - i * e->bucket; }

mlp_status mlp_mpi_exchange_plan(mlp_mpi_exchange *e, size_t n)
{
    if (e->n == n && n) return MLP_OK;
    const size_t ranks = (size_t)e->ranks;
    /* the displacements are ints: whole vectors of every rank must fit one */
    if (n == 0 || n > (size_t)INT_MAX / ranks) return MLP_ERR_INVALID_ARG;
    e->n = n; /* bucket_start and bucket_end read it; 0 again on failure */
    size_t b = n;
    if (e->overlap) {
        b = max_size(MIN_BUCKET, (n + MAX_BUCKETS - 1) / MAX_BUCKETS);
        if (b > n) b = n;
    }
    e->bucket = b;
    e->n_buckets = (n + b - 1) / b;
    for (size_t r = 0; r < ranks; r++) {
        size_t first, count;
        mlp_mpi_shard(n, (int)r, e->ranks, &first, &count);
        e->displs[r] = (int)first;
        e->counts[r] = (int)count;
    }
    const size_t me = (size_t)e->rank, my_first = (size_t)e->displs[me];
    const size_t my_end = my_first + (size_t)e->counts[me];
    for (size_t i = 0; i < e->n_buckets; i++) {
        const size_t a = bucket_start(e, i), z = bucket_end(e, i);
        for (size_t r = 0; r < ranks; r++) {
            const size_t f = (size_t)e->displs[r], l = f + (size_t)e->counts[r];
            const size_t lo = max_size(a, f), hi = min_size(z, l);
            e->part[i * ranks + r] = hi > lo ? (int)(hi - lo) : 0;
            e->part_at[i * ranks + r] = (int)(hi > lo ? lo : a);
        }
        /* what this rank receives of bucket i from each rank: its own part, laid out as
         * ranks consecutive copies at ranks x (the part's place in the slice) */
        const size_t lo = max_size(a, my_first), hi = min_size(z, my_end);
        const size_t mine = hi > lo ? hi - lo : 0, at = hi > lo ? lo - my_first : 0;
        for (size_t r = 0; r < ranks; r++) {
            e->recv_counts[i * ranks + r] = (int)mine;
            e->recv_displs[i * ranks + r] = (int)(ranks * at + r * mine);
        }
    }
    const size_t mine = e->shard ? (size_t)e->counts[me] : n;
    float *slice = NULL;
    uint16_t *s16 = NULL, *r16 = NULL;
    if (e->shard) slice = malloc(max_size(mine, 1) * sizeof *slice);
    if (e->bf16) {
        s16 = malloc(n * sizeof *s16);
        r16 = malloc(max_size(mine * ranks, 1) * sizeof *r16);
    }
    if ((e->shard && !slice) || (e->bf16 && (!s16 || !r16))) {
        free(slice);
        free(s16);
        free(r16);
        e->n = 0;
        return MLP_ERR_NO_MEMORY;
    }
    free(e->slice);
    free(e->send16);
    free(e->recv16);
    e->slice = slice;
    e->send16 = s16;
    e->recv16 = r16;
    e->started = 0;
    return MLP_OK;
}

static void start_bucket(mlp_mpi_exchange *e, float *grad, size_t i)
{
    const size_t ranks = (size_t)e->ranks, a = bucket_start(e, i), z = bucket_end(e, i);
    const int *part = e->part + i * ranks, *at = e->part_at + i * ranks;
    MPI_Request *req = &e->reqs[i];
    if (e->bf16)
        for (size_t j = a; j < z; j++) e->send16[j] = to_bf16(grad[j]);
    if (e->shard && e->bf16) {
        MPI_Ialltoallv(e->send16, part, at, MPI_UINT16_T, e->recv16, e->recv_counts + i * ranks,
                       e->recv_displs + i * ranks, MPI_UINT16_T, e->comm, req);
    } else if (e->shard) {
        const size_t me = (size_t)e->rank;
        float *into = e->slice + ((size_t)at[me] - (size_t)e->displs[me]);
        if (part[me] == 0) into = e->slice;
        MPI_Ireduce_scatter(grad + a, into, part, MPI_FLOAT, MPI_SUM, e->comm, req);
    } else if (e->bf16) {
        MPI_Iallgather(e->send16 + a, (int)(z - a), MPI_UINT16_T, e->recv16 + ranks * a,
                       (int)(z - a), MPI_UINT16_T, e->comm, req);
    } else {
        MPI_Iallreduce(MPI_IN_PLACE, grad + a, (int)(z - a), MPI_FLOAT, MPI_SUM, e->comm, req);
    }
}

void mlp_mpi_exchange_ready(mlp_mpi_exchange *e, float *grad, size_t from)
{
    if (!e->n) return;
    while (e->started < e->n_buckets && bucket_start(e, e->started) >= from)
        start_bucket(e, grad, e->started++);
    if (e->started) {
        int done;
        MPI_Testall((int)e->started, e->reqs, &done, MPI_STATUSES_IGNORE);
    }
}

void mlp_mpi_exchange_start_rest(mlp_mpi_exchange *e, float *grad)
{
    while (e->started < e->n_buckets) start_bucket(e, grad, e->started++);
}

/* The bf16 copies received, summed in float in rank order: the same sums on every rank. */
static void sum_bf16(mlp_mpi_exchange *e, float *grad)
{
    const size_t ranks = (size_t)e->ranks;
    if (e->shard) {
        const size_t me = (size_t)e->rank;
        for (size_t i = 0; i < e->n_buckets; i++) {
            const size_t mine = (size_t)e->recv_counts[i * ranks];
            if (!mine) continue;
            const size_t at = (size_t)e->part_at[i * ranks + me] - (size_t)e->displs[me];
            const uint16_t *in = e->recv16 + ranks * at;
            for (size_t j = 0; j < mine; j++) {
                float sum = 0.0f;
                for (size_t r = 0; r < ranks; r++) sum += from_bf16(in[r * mine + j]);
                e->slice[at + j] = sum;
            }
        }
        return;
    }
    for (size_t i = 0; i < e->n_buckets; i++) {
        const size_t a = bucket_start(e, i), len = bucket_end(e, i) - a;
        const uint16_t *in = e->recv16 + ranks * a;
        for (size_t j = 0; j < len; j++) {
            float sum = 0.0f;
            for (size_t r = 0; r < ranks; r++) sum += from_bf16(in[r * len + j]);
            grad[a + j] = sum;
        }
    }
}

float *mlp_mpi_exchange_finish(mlp_mpi_exchange *e, float *grad)
{
    mlp_mpi_exchange_start_rest(e, grad);
    MPI_Waitall((int)e->started, e->reqs, MPI_STATUSES_IGNORE);
    e->started = 0;
    if (e->bf16) sum_bf16(e, grad);
    return e->shard ? e->slice : grad;
}

size_t mlp_mpi_exchange_slice(const mlp_mpi_exchange *e, size_t *count)
{
    *count = (size_t)e->counts[e->rank];
    return (size_t)e->displs[e->rank];
}

const int *mlp_mpi_exchange_counts(const mlp_mpi_exchange *e) { return e->counts; }
const int *mlp_mpi_exchange_displs(const mlp_mpi_exchange *e) { return e->displs; }
size_t mlp_mpi_exchange_size(const mlp_mpi_exchange *e) { return e->n; }
