/* Collective checks: agreeing on a status, the topology hash, and one starting state. */
#include "mpi_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* What a failing rank sends: its status, line, column and message. */
typedef struct failure_message {
    int status;
    unsigned long long line, column;
    char message[sizeof ((mlp_error_detail *)0)->message];
} failure_message;

mlp_status mlp_mpi_agree(MPI_Comm comm, mlp_status local, const mlp_error_detail *local_detail,
                         mlp_error_detail *detail, int *failing_rank)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    int mine = local != MLP_OK ? rank : INT_MAX, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (failing_rank) *failing_rank = first == INT_MAX ? -1 : first;
    if (first == INT_MAX) return MLP_OK;
    failure_message m;
    memset(&m, 0, sizeof m);
    if (rank == first) {
        m.status = (int)local;
        if (local_detail) {
            m.line = local_detail->line;
            m.column = local_detail->column;
            snprintf(m.message, sizeof m.message, "%s", local_detail->message);
        }
        if (!m.message[0]) snprintf(m.message, sizeof m.message, "%s", mlp_strerror(local));
    }
    MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, comm);
    if (detail) {
        detail->line = (size_t)m.line;
        detail->column = (size_t)m.column;
        memcpy(detail->message, m.message, sizeof detail->message);
        detail->message[sizeof detail->message - 1] = '\0';
    }
    return (mlp_status)m.status;
}

/* FNV-1a over 64-bit words: the same on every machine whatever the struct layout. */
uint64_t mlp_mpi_hash_word(uint64_t h, uint64_t word)
{
    for (int i = 0; i < 8; i++) {
        h ^= (word >> (8 * i)) & 0xffu;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t mlp_mpi_topology_hash(const mlp_net *net)
{
    if (!net) return 0;
    uint64_t h = MLP_MPI_HASH_START;
    const size_t layers = mlp_net_layer_count(net);
    h = mlp_mpi_hash_word(h, layers);
    for (size_t i = 0; i <= layers; i++) h = mlp_mpi_hash_word(h, mlp_net_size(net, i));
    for (size_t k = 0; k < layers; k++) h = mlp_mpi_hash_word(h, (uint64_t)mlp_net_activation(net, k));
    return mlp_mpi_hash_word(h, (uint64_t)mlp_net_bias_mode(net));
}

static uint64_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Every optimizer setting: ranks that differ here would drift apart step by step. */
static uint64_t optimizer_hash(const mlp_optimizer *opt)
{
    const mlp_optimizer_config *c = mlp_optimizer_settings(opt);
    uint64_t h = MLP_MPI_HASH_START;
    h = mlp_mpi_hash_word(h, (uint64_t)c->kind);
    h = mlp_mpi_hash_word(h, (uint64_t)c->reduction);
    const float floats[] = {c->learning_rate, c->momentum, c->beta1, c->beta2, c->rho,
                            c->epsilon, c->weight_decay, c->step_gamma, c->min_learning_rate};
    for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++)
        h = mlp_mpi_hash_word(h, float_bits(floats[i]));
    h = mlp_mpi_hash_word(h, (uint64_t)c->schedule);
    h = mlp_mpi_hash_word(h, c->step_epochs);
    return mlp_mpi_hash_word(h, c->total_epochs);
}

mlp_status mlp_mpi_check_same(MPI_Comm comm, uint64_t hash, const char *what,
                              mlp_error_detail *detail)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t root = hash;
    MPI_Bcast(&root, 1, MPI_UINT64_T, 0, comm);
    mlp_error_detail mine = {0};
    mlp_status st = MLP_OK;
    if (root != hash) {
        st = MLP_ERR_WORKSPACE_MISMATCH;
        snprintf(mine.message, sizeof mine.message,
                 "rank %d: the %s differs from rank 0's (hash %016llx, rank 0 %016llx)", rank,
                 what, (unsigned long long)hash, (unsigned long long)root);
    }
    return mlp_mpi_agree(comm, st, &mine, detail, NULL);
}

/* Broadcasts count floats from rank 0 in pieces that fit an int count. */
void mlp_mpi_bcast_floats(MPI_Comm comm, float *data, size_t count)
{
    for (size_t done = 0; done < count;) {
        size_t n = count - done < MLP_MPI_MAX_COUNT ? count - done : MLP_MPI_MAX_COUNT;
        MPI_Bcast(data + done, (int)n, MPI_FLOAT, 0, comm);
        done += n;
    }
}

mlp_status mlp_mpi_sync(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt,
                        mlp_error_detail *detail)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    mlp_error_detail mine = {0};
    mlp_status st = MLP_OK;
    if (!net) {
        st = MLP_ERR_NULL_ARG;
        snprintf(mine.message, sizeof mine.message, "rank %d: no network", rank);
    }
    st = mlp_mpi_agree(comm, st, &mine, detail, NULL);
    if (st != MLP_OK) return st;
    st = mlp_mpi_check_same(comm, mlp_mpi_topology_hash(net), "network's topology", detail);
    /* with an optimizer on some ranks only, the hashes differ too */
    if (st == MLP_OK)
        st = mlp_mpi_check_same(comm, opt ? optimizer_hash(opt) : 0, "optimizer's settings",
                                detail);
    if (st != MLP_OK) return st;
    mlp_mpi_bcast_floats(comm, mlp_net_params(net), mlp_net_param_count(net));
    uint64_t rng[MLP_RNG_STATE_WORDS];
    mlp_net_rng_state(net, rng);
    MPI_Bcast(rng, MLP_RNG_STATE_WORDS, MPI_UINT64_T, 0, comm);
    mlp_net_set_rng_state(net, rng); /* rank 0's state is valid, so never all zero */
    if (opt) {
        size_t n;
        float *state = mlp_optimizer_state(opt, &n);
        mlp_mpi_bcast_floats(comm, state, n);
        uint64_t steps = mlp_optimizer_step_count(opt);
        MPI_Bcast(&steps, 1, MPI_UINT64_T, 0, comm);
        mlp_optimizer_set_step_count(opt, steps); /* rank 0's count is within range */
    }
    return MLP_OK;
}

void mlp_mpi_shard(size_t global_batch, int rank, int ranks, size_t *first, size_t *count)
{
    size_t f = 0, c = 0;
    if (ranks >= 1 && rank >= 0 && rank < ranks) {
        const size_t r = (size_t)rank, n = (size_t)ranks;
        const size_t base = global_batch / n, extra = global_batch % n;
        c = base + (r < extra ? 1 : 0);
        f = r * base + (r < extra ? r : extra);
    }
    if (first) *first = f;
    if (count) *count = c;
}
