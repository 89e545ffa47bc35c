/* `mlp train --mpi`: data-parallel training under mpirun (train_mpi.c), or a stub that
 * explains that this build has no MPI (train_mpi_none.c). Only rank 0 prints, plots and
 * writes files; every other rank's stdout is discarded and its stderr kept to be reported
 * by rank 0 when that rank fails. */
#ifndef MLP_CLI_TRAIN_MPI_H
#define MLP_CLI_TRAIN_MPI_H

#include "train.h"

/* Whether this run trains over MPI: --mpi, or started by mpirun (Open MPI's environment). */
bool train_mpi_wanted(const train_options *o);
/* MPI_Init, then on ranks other than 0: quiet, no output files, stdout discarded, stderr
 * captured; unless --threads was given, the cores shared among the ranks of this host.
 * Returns CLI_OK, or CLI_USAGE_ERROR (no MPI in this build). */
int train_mpi_start(train_options *o);
/* Collective: every rank passes its outcome so far; all return the first failing rank's,
 * whose message rank 0 prints. Call it before training, so that a rank that cannot read its
 * data ends every rank instead of leaving them waiting. */
int train_mpi_agree(int rc);
/* mlp_train with the session attached (every rank, each batch split over them), with
 * mlp_train's arguments; rank 0 prints the split on report and the one line of a failure
 * other than divergence (the failing rank's message). */
mlp_status train_mpi_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                           const float *targets, size_t count, const float *val_inputs,
                           const float *val_targets, size_t val_count,
                           const mlp_train_config *cfg, mlp_train_result *result, FILE *report);
/* The end of the run on every rank: train_mpi_agree once more (a failure after training,
 * such as rank 0 unable to write its files, gives every rank its exit status), then
 * MPI_Finalize. Returns the agreed status. */
int train_mpi_finish(int rc);

#endif
