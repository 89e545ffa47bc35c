/* mlp_mpi_train_shards: data-parallel training where each rank holds only its own records.
 * The global set is the ranks' records in rank order; each rank reads its own through a
 * callback source that maps global record numbers to its arrays, and the epoch loop
 * (owns_records) computes of each batch the records this rank holds. */
#include "mpi_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct shard_source {
    const float *x, *y;
    size_t first, n0, nl;
} shard_source;

static mlp_status read_own(void *user, const size_t *records, size_t n, float *x, float *y)
{
    const shard_source *s = user;
    for (size_t i = 0; i < n; i++) {
        const size_t r = records[i] - s->first; /* the loop asks only for this rank's */
        memcpy(x + i * s->n0, s->x + r * s->n0, s->n0 * sizeof *x);
        memcpy(y + i * s->nl, s->y + r * s->nl, s->nl * sizeof *y);
    }
    return MLP_OK;
}

/* This rank's first record in the global order and the total, from every rank's count. */
static void place(MPI_Comm comm, size_t count, size_t *first, size_t *total)
{
    unsigned long long mine = count, before = 0, all = 0;
    MPI_Exscan(&mine, &before, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    MPI_Allreduce(&mine, &all, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm);
    int rank;
    MPI_Comm_rank(comm, &rank);
    *first = rank == 0 ? 0 : (size_t)before; /* MPI_Exscan leaves rank 0's undefined */
    *total = (size_t)all;
}

mlp_status mlp_mpi_train_shards(MPI_Comm comm, mlp_mpi_session *session, mlp_net *net,
                                mlp_optimizer *opt, const float *inputs, const float *targets,
                                size_t count, const float *val_inputs,
                                const float *val_targets, size_t val_count,
                                const mlp_train_config *config, mlp_train_result *result,
                                mlp_error_detail *detail)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    mlp_status st = MLP_OK;
    mlp_error_detail mine = {0};
    if (!session || !net || !config || (count && (!inputs || !targets)) ||
        (val_count && (!val_inputs || !val_targets))) {
        st = MLP_ERR_NULL_ARG;
        snprintf(mine.message, sizeof mine.message, "rank %d: session, net, config or the "
                 "data of a non-zero count is NULL", rank);
    }
    mlp_error_detail own = {0}, *d = detail ? detail : &own;
    st = session ? mlp_mpi_session_agree(session, st, &mine, d, NULL)
                 : mlp_mpi_agree(comm, st, &mine, d, NULL);
    if (st != MLP_OK) return st;
    size_t first, total, val_first, val_total;
    place(comm, count, &first, &total);
    place(comm, val_count, &val_first, &val_total);
    const size_t n0 = mlp_net_input_size(net), nl = mlp_net_output_size(net);
    shard_source ts = {.x = inputs, .y = targets, .first = first, .n0 = n0, .nl = nl};
    shard_source vs = {.x = val_inputs, .y = val_targets, .first = val_first, .n0 = n0,
                       .nl = nl};
    const mlp_source train = {.struct_size = sizeof train, .count = total, .read = read_own,
                              .user_data = &ts};
    const mlp_source val = {.struct_size = sizeof val, .count = val_total, .read = read_own,
                            .user_data = &vs};
    mlp_train_config cfg = mlp_train_config_default();
    if (config->struct_size != sizeof cfg) { /* the same on every rank: the same refusal */
        snprintf(d->message, sizeof d->message, "config->struct_size is not from this "
                 "library's mlp_train_config_default");
        return MLP_ERR_INVALID_ARG;
    }
    cfg = *config;
    mlp_mpi_train_config_attach(&cfg, session);
    mlp_mpi_session_own_records(session, true, first, count, val_first, val_count);
    st = mlp_train_source(net, opt, &train, val_total ? &val : NULL, &cfg, result, d);
    mlp_mpi_session_own_records(session, false, 0, 0, 0, 0);
    return st;
}
