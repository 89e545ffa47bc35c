/* What the files of the MPI module share; they use only the public API of libmlp. */
#ifndef MLP_MPI_INTERNAL_H
#define MLP_MPI_INTERNAL_H

#include "mlp_mpi.h"

#include <limits.h>
#include <stdbool.h>

/* MPI counts are ints: buffers go in pieces of at most this many elements. */
#define MLP_MPI_MAX_COUNT ((size_t)1 << 30)
#define MLP_MPI_HASH_START 0xcbf29ce484222325ull /* FNV-1a offset basis */

uint64_t mlp_mpi_hash_word(uint64_t h, uint64_t word);
/* Every rank's hash equals rank 0's, else WORKSPACE_MISMATCH on all with the first
 * differing rank's message naming `what`. */
mlp_status mlp_mpi_check_same(MPI_Comm comm, uint64_t hash, const char *what,
                              mlp_error_detail *detail);
void mlp_mpi_bcast_floats(MPI_Comm comm, float *data, size_t count);
/* In-place sum over the ranks, in pieces that fit an int count. */
void mlp_mpi_sum_floats(MPI_Comm comm, float *data, size_t count);

/* The second half of a step, once this rank has its local gradient in grad (local_status
 * says whether it could): the losses summed (*loss_sum in: local, out: global), one
 * allreduce of the gradient, the optimizer step on the global batch. */
mlp_status mlp_mpi_reduce_and_step(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt, float *grad,
                                   size_t global_batch, mlp_status local_status,
                                   double *loss_sum);

/* Sets the session hook's owns_records and ranges (mlp_train_parallel). */
void mlp_mpi_session_own_records(mlp_mpi_session *s, bool owns, size_t first, size_t count,
                                 size_t val_first, size_t val_count);

/* The gradient exchange of an update (mpi_exchange.c), in buckets that start as the
 * backward pass finishes them. */
typedef struct mlp_mpi_exchange mlp_mpi_exchange;
/* NULL when out of memory. comm is borrowed. */
mlp_mpi_exchange *mlp_mpi_exchange_create(MPI_Comm comm, bool shard, bool bf16, bool overlap);
void mlp_mpi_exchange_free(mlp_mpi_exchange *e);
/* The buckets and buffers for vectors of n floats (the same on every rank); INVALID_ARG
 * where MPI's int counts cannot hold them, NO_MEMORY (no plan then). */
mlp_status mlp_mpi_exchange_plan(mlp_mpi_exchange *e, size_t n);
/* grad[from ..) is final: starts the buckets that lie in it, and tests the started ones. */
void mlp_mpi_exchange_ready(mlp_mpi_exchange *e, float *grad, size_t from);
/* Starts every bucket not started yet. */
void mlp_mpi_exchange_start_rest(mlp_mpi_exchange *e, float *grad);
/* Completes the exchange: the sum of this rank's slice (sharded; mlp_mpi_exchange_slice
 * says which) or of the whole vector, in grad. */
float *mlp_mpi_exchange_finish(mlp_mpi_exchange *e, float *grad);
/* This rank's slice: its first entry, and *count entries. */
size_t mlp_mpi_exchange_slice(const mlp_mpi_exchange *e, size_t *count);
/* The n of the plan (0 before one). */
size_t mlp_mpi_exchange_size(const mlp_mpi_exchange *e);
/* Every rank's slice as MPI counts and displacements. */
const int *mlp_mpi_exchange_counts(const mlp_mpi_exchange *e);
const int *mlp_mpi_exchange_displs(const mlp_mpi_exchange *e);

#endif
