/**
 * @file mlp_mpi.h
 * libmlp_mpi: data-parallel training over MPI, an optional module beside libmlp.
 *
 * Every rank holds the same net and optimizer. Per step each rank computes the summed
 * gradient of its share of the global batch (mlp_gradient), one MPI_Allreduce (float, sum)
 * adds the shares, and every rank applies the same optimizer step to the same sum, so all
 * ranks hold the same parameters at all times. The global batch is the one mlp_train would
 * use: every rank draws the same permutation from the net's RNG (mlp_net_shuffle).
 *
 * Conventions are those of mlp.h: statuses, no printing, no exit or abort. Every function
 * here is collective over the communicator: all its ranks call it with the same arguments
 * (except the data, which may differ in content, not in size) and all return the same
 * status. Link with -lmlp_mpi -lmlp and MPI (pkg-config mlp_mpi).
 *
 * Memory: the training buffers are mlp_train's and follow mlp_set_allocator; a session's
 * own small state comes from malloc, as MPI's own allocations do.
 */
#ifndef MLP_MPI_H
#define MLP_MPI_H

#include <mpi.h>

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Agrees on the outcome of a local step: every rank passes its own status, and all ranks
 * receive the status of the lowest-numbered rank that failed (MLP_OK when none did),
 * with that rank's message. Use it before work that needs every rank, e.g. after each
 * rank read its data, so that one rank's failure ends all of them instead of leaving the
 * others waiting in a collective.
 *
 * @param comm the communicator (collective over it)
 * @param local this rank's status
 * @param local_detail this rank's message for a failure (may be NULL: then the status's
 *        words, mlp_strerror, are sent)
 * @param detail receives the failing rank's message, line and column (may be NULL; the
 *        same object as local_detail is allowed)
 * @param failing_rank receives the failing rank, or -1 when every rank succeeded (may be
 *        NULL)
 * @return the failing rank's status, or MLP_OK
 */
MLP_API mlp_status mlp_mpi_agree(MPI_Comm comm, mlp_status local,
                                 const mlp_error_detail *local_detail,
                                 mlp_error_detail *detail, int *failing_rank);

/**
 * A 64-bit hash of the net's topology: layer count, widths, activations and bias mode
 * (not the parameters). Equal nets give equal hashes on every machine.
 *
 * @param net the net (NULL gives 0)
 * @return the hash
 */
MLP_API uint64_t mlp_mpi_topology_hash(const mlp_net *net);

/**
 * Starts data-parallel training from one state: checks that every rank's net has rank 0's
 * topology and, when opt is not NULL, the same optimizer settings, then copies rank 0's
 * parameters, RNG state and (with opt) optimizer state and step count to every rank.
 *
 * @param comm the communicator
 * @param net this rank's net
 * @param opt this rank's optimizer, or NULL
 * @param detail receives the message on failure (may be NULL), e.g. "rank 1: the network's
 *        topology differs from rank 0's"
 * @return MLP_OK; NULL_ARG (net NULL on some rank); WORKSPACE_MISMATCH (a topology or
 *         optimizer that differs from rank 0's); nothing changes on failure
 */
MLP_API mlp_status mlp_mpi_sync(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt,
                                mlp_error_detail *detail);

/**
 * Rank `rank`'s share of a global batch of `global_batch` records split over `ranks`:
 * records [*first, *first + *count). The first global_batch % ranks ranks get one record
 * more; ranks beyond global_batch get none.
 *
 * @param global_batch records in the global batch
 * @param rank this rank, 0 .. ranks-1
 * @param ranks ranks in all (>= 1)
 * @param first receives the index of the rank's first record in the global batch
 * @param count receives the number of its records (0 when it has none)
 */
MLP_API void mlp_mpi_shard(size_t global_batch, int rank, int ranks, size_t *first,
                           size_t *count);

/**
 * One data-parallel update: the summed gradient of this rank's local_batch records (its
 * share of the global batch, e.g. mlp_mpi_shard; 0 records contribute zeros) into ws's
 * gradient buffer, one MPI_Allreduce over the whole gradient, then mlp_optimizer_step with
 * global_batch records, so a MEAN reduction divides by the global batch and the result does
 * not depend on the number of ranks. Every optimizer, plain SGD included, takes this
 * gradient path: SGD's update fused into the backward pass (mlp_train_step) needs the whole
 * batch's gradient inside the pass, which here exists only after the allreduce.
 *
 * @param comm the communicator
 * @param net this rank's net (the same parameters on every rank, see mlp_mpi_sync)
 * @param ws a training workspace of at least local_batch records
 * @param opt the optimizer
 * @param inputs local_batch x n_0 (may be NULL when local_batch is 0)
 * @param targets local_batch x n_L (may be NULL when local_batch is 0)
 * @param local_batch this rank's records (0 allowed)
 * @param global_batch records over all ranks (>= 1, the sum of every rank's local_batch)
 * @param loss the loss
 * @param loss_sum receives sum_i C_i over the global batch, before the update (may be NULL)
 * @return MLP_OK, or on every rank the first failing rank's status (as mlp_gradient and
 *         mlp_optimizer_step; INVALID_ARG for a local_batch above global_batch); the
 *         parameters are then unchanged
 */
MLP_API mlp_status mlp_mpi_train_step(MPI_Comm comm, mlp_net *net, mlp_workspace *ws,
                                      mlp_optimizer *opt, const float *inputs,
                                      const float *targets, size_t local_batch,
                                      size_t global_batch, mlp_loss loss, double *loss_sum);

/** Settings of an mlp_mpi_session (defaults in parentheses; mlp_mpi_options_default). */
typedef struct mlp_mpi_options {
    size_t struct_size;     /**< sizeof(mlp_mpi_options), set by the _default call */
    double timeout_seconds; /**< the watchdog: a rank that waits longer than this for the
                               others (a rank died, hangs or was stopped) writes one line
                               naming the rank it waits for on stderr and ends the job with
                               MPI_Abort; 0 waits for ever (0) */
    int abort_status;       /**< the exit status MPI_Abort gives the job (1) */
    bool shard_optimizer;   /**< each update: a reduce-scatter of the gradient, the
                               optimizer step on this rank's slice of the parameters
                               (mlp_optimizer_step_range), an allgather of the parameters;
                               the optimizer state is made whole after the last epoch.
                               false: one allreduce and the whole step on every rank
                               (true) */
    bool bf16_gradients;    /**< send each rank's gradient rounded to bfloat16 (half the
                               bytes of the gradient exchange), summed in float in rank
                               order on the receiving rank; the parameters still travel in
                               float, so the ranks stay bit-identical. The result is no
                               longer mlp_train's to float precision: the gradient carries
                               bf16's 8-bit mantissa (as PyTorch DDP's bf16 compression
                               hook). A later field: a struct_size of the layout that ends
                               at shard_optimizer reads false (false) */
    bool overlap_backward;  /**< start the exchange of the gradient during the backward pass:
                               in buckets from the output layer's end, each as soon as its
                               entries are final, progressed between pieces of the
                               remaining layers' work, so that communication hides behind
                               computation. The same sums as one exchange after the pass
                               (the same rounding with a sharded step). A later field: an
                               older struct_size reads true (true) */
} mlp_mpi_options;

/**
 * The default options.
 *
 * @return options with no watchdog (timeout 0), abort status 1, a sharded optimizer step,
 *         float gradients, the exchange overlapped with the backward pass
 */
MLP_API mlp_mpi_options mlp_mpi_options_default(void);

/** A communicator prepared for data-parallel training (its own duplicate of comm, the
 * watchdog). Opaque. */
typedef struct mlp_mpi_session mlp_mpi_session;

/**
 * Makes a session over comm (collective: every rank calls it). With a timeout the
 * session starts one watchdog thread on this rank; it ends the job as
 * mlp_mpi_options.timeout_seconds says and otherwise only sleeps. Its buffers come from
 * malloc.
 *
 * @param out receives the session
 * @param comm the communicator (duplicated: the caller may keep using comm)
 * @param options NULL for the defaults
 * @param detail receives the message on failure (may be NULL)
 * @return MLP_OK; NULL_ARG (out NULL); INVALID_ARG (a negative or NaN timeout, a
 *         struct_size of no layout this library knows); NO_MEMORY
 */
MLP_API mlp_status mlp_mpi_session_create(mlp_mpi_session **out, MPI_Comm comm,
                                          const mlp_mpi_options *options,
                                          mlp_error_detail *detail);

/**
 * Frees a session and stops its watchdog.
 *
 * @param session the session (collective over its ranks; NULL does nothing)
 */
MLP_API void mlp_mpi_session_free(mlp_mpi_session *session);

/**
 * Makes mlp_train (and mlp_train_source, and whatever calls them) train data-parallel over
 * the session's ranks: sets config->parallel to the session's hook (mlp_train_parallel).
 * Every rank then calls mlp_train with the same settings and the same data; each computes
 * its share of every batch and of the validation set, the shares are summed (by default a
 * reduce-scatter in buckets started during the backward pass, see mlp_mpi_options), and
 * all ranks apply the same update, so they hold bit-identical parameters and return
 * the same status and result. At the start mlp_train makes every rank start from rank 0's
 * parameters, RNG and optimizer state, after checking that the topologies, the optimizer
 * settings, the training settings and sizes, and a checksum of the training and
 * validation arrays agree (WORKSPACE_MISMATCH naming the first rank that differs,
 * e.g. one that read a stale copy of the data). A failure on one rank (a check, a
 * source's read) fails every rank with that rank's message ("rank 1: ..."). The result
 * equals mlp_train's on one process up to float rounding (the batch sum is added in
 * another order); with dropout each rank draws its masks from dropout_seed + rank.
 *
 * @param config a config from mlp_train_config_default (its struct_size this header's)
 * @param session the session; it must outlive every mlp_train call with this config
 * @return MLP_OK; NULL_ARG; INVALID_ARG (config of another struct_size)
 */
MLP_API mlp_status mlp_mpi_train_config_attach(mlp_train_config *config,
                                               mlp_mpi_session *session);

/**
 * mlp_mpi_agree over the session's ranks, with its watchdog: a rank that does not arrive
 * within the session's timeout ends the job (its message names the missing ranks).
 *
 * @param session the session (collective over its ranks)
 * @param local this rank's status
 * @param local_detail this rank's message for a failure (may be NULL)
 * @param detail receives the failing rank's message (may be NULL)
 * @param failing_rank receives the failing rank, or -1 (may be NULL)
 * @return the lowest failing rank's status, or MLP_OK
 */
MLP_API mlp_status mlp_mpi_session_agree(mlp_mpi_session *session, mlp_status local,
                                         const mlp_error_detail *local_detail,
                                         mlp_error_detail *detail, int *failing_rank);

/**
 * mlp_train over the ranks of comm: a session without a watchdog
 * (mlp_mpi_session_create), mlp_mpi_train_config_attach on a copy of config, then
 * mlp_train_ex, so the same epoch loop runs: the same epochs, batches (from the same
 * permutation of the net's RNG), schedule, validation, early stopping, best-epoch restore,
 * divergence rollback and result, with each global batch split over the ranks
 * (mlp_mpi_shard). Every rank passes the whole data set (the same records:
 * each one reads only its share of every batch); the validation set is split over the
 * ranks too, and its loss and accuracy summed across them. After the checks mlp_train
 * makes (on every rank: a NaN record seen by one rank fails all), it runs mlp_mpi_sync
 * (rank 0's parameters, RNG and optimizer state everywhere) and checks that the settings
 * and data sizes agree. The parameters after n ranks equal those of mlp_train on one process up to
 * float rounding (the batch sum is added in another order), not bit for bit; all ranks
 * hold identical parameters. Dropout draws each rank's masks from dropout_seed + rank, so
 * with dropout the result depends on the number of ranks. config->threads is unused (the
 * one-record threads serve plain SGD's fused path, which is not used here); a precision
 * other than MLP_PRECISION_FP32 is refused (INVALID_ARG).
 *
 * The progress callback runs on every rank with the same numbers; training stops when it
 * returns false on any rank.
 *
 * @param comm the communicator
 * @param net this rank's net
 * @param opt this rank's optimizer
 * @param inputs count x n_0, the whole training set
 * @param targets count x n_L
 * @param count training records
 * @param val_inputs val_count x n_0 (may be NULL when val_count is 0)
 * @param val_targets val_count x n_L (may be NULL when val_count is 0)
 * @param val_count validation records
 * @param config as mlp_train
 * @param result receives what mlp_train gives (may be NULL)
 * @param detail receives the message of a failure at the start (may be NULL)
 * @return as mlp_train, the same on every rank; WORKSPACE_MISMATCH (with a message in
 *         detail) when a rank's net, optimizer, settings or data sizes differ from rank 0's
 */
MLP_API mlp_status mlp_mpi_train(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt,
                                 const float *inputs, const float *targets, size_t count,
                                 const float *val_inputs, const float *val_targets,
                                 size_t val_count, const mlp_train_config *config,
                                 mlp_train_result *result, mlp_error_detail *detail);

/**
 * mlp_train over the session's ranks when each rank holds only its own records (its shard
 * of a data set too large for one machine, e.g. read with mlp_dataset_open_csv_shard or an
 * IDX file's range): the data set is the ranks' records in rank order, training and
 * validation alike, and the result is the one mlp_train gives on that whole set up to
 * float rounding, as mlp_mpi_train. Each global batch is drawn from the same permutation
 * as mlp_train's; of each, a rank computes the records it holds (so ranks' shares vary
 * from batch to batch; its workspace holds a whole batch), and each rank validates its own
 * records. No rank ever reads another's records. No checksum of the data is compared
 * (the ranks' data differ by design); the topology, settings and sizes are. Scaling of
 * the inputs is the caller's: fit it on the whole set (sums over the ranks), not on one
 * shard.
 *
 * @param comm the session's communicator (the one it was created on)
 * @param session the session (its options apply: overlap, bf16, sharded step, watchdog)
 * @param net this rank's net
 * @param opt this rank's optimizer
 * @param inputs count x n_0, this rank's training records (NULL when count is 0)
 * @param targets count x n_L
 * @param count this rank's training records (0 allowed; at least one rank has some)
 * @param val_inputs val_count x n_0, this rank's validation records (may be NULL)
 * @param val_targets val_count x n_L
 * @param val_count this rank's validation records
 * @param config as mlp_train, of this library's struct_size
 * @param result receives what mlp_train gives (may be NULL)
 * @param detail receives the message of a failure (may be NULL)
 * @return as mlp_train, the same on every rank; NULL_ARG (a NULL session, net, config, or
 *         the data of a non-zero count on some rank); INVALID_ARG (config of another
 *         struct_size)
 */
MLP_API mlp_status mlp_mpi_train_shards(MPI_Comm comm, mlp_mpi_session *session, mlp_net *net,
                                        mlp_optimizer *opt, const float *inputs,
                                        const float *targets, size_t count,
                                        const float *val_inputs, const float *val_targets,
                                        size_t val_count, const mlp_train_config *config,
                                        mlp_train_result *result, mlp_error_detail *detail);

#ifdef __cplusplus
}
#endif

#endif /* MLP_MPI_H */
