/* What the files of the MPI module share; they use only the public API of libmlp. */
#ifndef MLP_MPI_INTERNAL_H
#define MLP_MPI_INTERNAL_H

#include "mlp_mpi.h"

#include <limits.h>

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

#endif
