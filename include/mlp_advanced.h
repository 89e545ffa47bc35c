/**
 * @file mlp_advanced.h
 * @brief libmlp's expert calls: the allocator hook, the net's RNG state and parameter
 * offsets, optimizer state, the data-parallel transport, model images in the caller's
 * buffers, setting preprocessing fields directly, and the one-field accessors of a table
 * encoding's columns (mlp_table_encoding_column_info in mlp.h gives them all at once).
 *
 * Most programs need none of these: they serve resumable training loops of one's own,
 * data-parallel transports (mlp_mpi.h) and custom storage. The calls here follow the
 * conventions of mlp.h, whose types they use.
 *
 * Source compatibility: these declarations were part of mlp.h, and mlp.h still includes
 * this header at its end, so that existing programs compile unchanged, until the next major
 * version. A program that wants mlp.h alone defines MLP_NO_ADVANCED before including it
 * (and includes mlp_advanced.h where it uses an expert call). From the next major version,
 * mlp.h will not include this header.
 */
#ifndef MLP_ADVANCED_H
#define MLP_ADVANCED_H

#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ memory */

/** The memory functions libmlp uses for every allocation it makes: its objects, workspaces,
 * buffers returned to the caller (mlp_free), the CSV parser's buffers and LAPACK's work
 * arrays. Aligned blocks are carved out of larger ones, so alloc need only be as aligned as
 * malloc. Outside the hook: OpenBLAS's own buffers and threads, the C library's FILE
 * buffers and thread stacks. Each function gets the user pointer; realloc and free get
 * only pointers this allocator returned (never NULL for free). */
typedef struct mlp_allocator {
    size_t struct_size;                                  /**< sizeof(mlp_allocator), as the
                                                              caller was compiled with */
    void *(*alloc)(size_t size, void *user);             /**< as malloc (size > 0) */
    void *(*realloc)(void *ptr, size_t size, void *user); /**< as realloc (ptr, size > 0) */
    void (*free)(void *ptr, void *user);                 /**< as free (ptr != NULL) */
    void *user;                                          /**< passed to each function */
} mlp_allocator;

/** Installs allocator (copied) for the whole process, once, before any other libmlp call,
 * as curl_global_init_mem: it cannot change under objects that exist, since their memory
 * must go back to the allocator it came from. NULL_ARG when allocator or one of its
 * functions is NULL; INVALID_ARG when its struct_size is not one this library knows (set it
 * to sizeof(mlp_allocator)); STATE (nothing changed) when an allocator was installed already or the
 * library has allocated with the default one (malloc, realloc, free). Not thread-safe:
 * call it before starting threads that use libmlp. */
MLP_API mlp_status mlp_set_allocator(const mlp_allocator *allocator);
/** mlp_set_allocator with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_set_allocator_ex(const mlp_allocator *allocator,
                                        mlp_error_detail *detail);

/* ------------------------------------------------------------------ network */

/** The RNG state (xoshiro256**, 4 words), to save and restore so that a resumed training
 * run shuffles exactly as an uninterrupted one. Setting an all-zero state: INVALID_ARG. */
#define MLP_RNG_STATE_WORDS 4
/** Copies the net's RNG state into state. */
MLP_API void mlp_net_rng_state(const mlp_net *net, uint64_t state[MLP_RNG_STATE_WORDS]);
/** Sets the net's RNG state from state (not all zero, else INVALID_ARG). */
MLP_API mlp_status mlp_net_set_rng_state(mlp_net *net, const uint64_t state[MLP_RNG_STATE_WORDS]);
/** mlp_net_set_rng_state with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_set_rng_state_ex(mlp_net *net,
                                            const uint64_t state[MLP_RNG_STATE_WORDS],
                                            mlp_error_detail *detail);
/** Permutes order[0..count) with the net's RNG: the draw mlp_train makes at the start of
 * each epoch when shuffling (on order set to 0, 1, ..., count-1 first). A data-parallel
 * trainer running on several processes (mlp_mpi.h) draws every epoch's record order with it,
 * so each process sees the batches mlp_train would.
 * @param net the net whose RNG draws (and advances)
 * @param order count indices, permuted in place
 * @param count entries of order; 0 draws nothing
 * @return MLP_OK; NULL_ARG (net, or order with count > 0), nothing changed */
MLP_API mlp_status mlp_net_shuffle(mlp_net *net, size_t *order, size_t count);
/** mlp_net_shuffle with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_shuffle_ex(mlp_net *net, size_t *order, size_t count,
                                      mlp_error_detail *detail);
/** Offset of W_k in the parameter vector; SIZE_MAX when out of range. */
MLP_API size_t mlp_net_weights_offset(const mlp_net *net, size_t layer);
/** Offset of the bias used by layer k (the shared one for PER_NETWORK); SIZE_MAX when the
 * net has no bias or layer is out of range. */
MLP_API size_t mlp_net_bias_offset(const mlp_net *net, size_t layer);
/** Number of bias floats layer k reads: n_(k+1), 1 or 0. */
MLP_API size_t mlp_net_bias_count(const mlp_net *net, size_t layer);

/**
 * How many times net's parameters may have changed since it was made: a counter that
 * mlp_net_params (the writable pointer), mlp_net_copy_params, mlp_net_init,
 * mlp_net_init_layer, mlp_optimizer_step, mlp_optimizer_step_range, every training step
 * (mlp_train_step, mlp_train, mlp_train_ex, mlp_train_source, mlp_model_train, the fit and
 * MPI training that run them) and the least-squares refit (mlp_refit_output_layer)
 * increase; nothing else changes the parameters. Anything cached from the parameters (the
 * int8 weights of mlp_net_quantize, a bf16 workspace's bf16 weights, an inference
 * workspace's packed weights) is valid while the counter is the one it was made at.
 * mlp_net_params counts when it is called: a caller that keeps the pointer and writes
 * through it later calls mlp_net_params again after writing, so that caches see the
 * change. Loading a model file sets it to 0.
 * @param net the net
 * @return the counter; 0 for NULL
 */
MLP_API uint64_t mlp_net_param_version(const mlp_net *net);

/* ------------------------------------------------------------------ optimizer state */

/** mlp_optimizer_step on parameters [first, first + count) only: grad holds those count
 * values, and only those parameters and their optimizer state change; the step is counted
 * as one (each part of a vector split over processes takes one such step: together they
 * give mlp_optimizer_step's update). count 0 only counts the step. Errors: as
 * mlp_optimizer_step, and INVALID_ARG for a range beyond the parameters. */
MLP_API mlp_status mlp_optimizer_step_range(mlp_optimizer *opt, mlp_net *net,
                                            const float *grad, size_t batch, size_t first,
                                            size_t count);
/** mlp_optimizer_step_range with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_optimizer_step_range_ex(mlp_optimizer *opt, mlp_net *net,
                                               const float *grad, size_t batch, size_t first,
                                               size_t count, mlp_error_detail *detail);
/** Number of updates applied so far (Adam's t), and setting it when resuming. The count
 * never exceeds MLP_OPTIMIZER_MAX_STEPS: setting more is INVALID_ARG (NULL_ARG for NULL), and
 * a step that would pass it returns INVALID_ARG without updating. */
#define MLP_OPTIMIZER_MAX_STEPS (UINT64_MAX - 1)
/** Number of updates applied so far (Adam's t). */
MLP_API uint64_t mlp_optimizer_step_count(const mlp_optimizer *opt);
/** Sets the update count, when resuming a saved run (at most MLP_OPTIMIZER_MAX_STEPS). */
MLP_API mlp_status mlp_optimizer_set_step_count(mlp_optimizer *opt, uint64_t steps);
/** mlp_optimizer_set_step_count with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_optimizer_set_step_count_ex(mlp_optimizer *opt, uint64_t steps,
                                                   mlp_error_detail *detail);
/** Optimizer state: `*count` floats, 0, 1 or 2 vectors of mlp_net_param_count floats one after
 * the other (velocity; Adam's m then v; RMSprop's s). Writable, for resuming. */
MLP_API float *mlp_optimizer_state(mlp_optimizer *opt, size_t *count);
/** The optimizer state, read-only; *count receives its length in floats. */
MLP_API const float *mlp_optimizer_state_const(const mlp_optimizer *opt, size_t *count);

/* ------------------------------------------------------------------ data-parallel training */

/**
 * Data-parallel training through mlp_train's own epoch loop: the same epochs, batches,
 * rollback, early stopping and divergence checks, with each batch split over `workers`
 * processes that each compute the gradient of their share; `update` combines the shares
 * and applies the step, `sum` adds the validation sums and agrees on stops.
 * Filled by a transport, e.g. mlp_mpi_train_config_attach (libmlp_mpi); a caller rarely
 * fills one by hand. Every worker runs mlp_train (or mlp_train_source) with the same
 * settings and the same data; all return the same status and hold the same parameters.
 */
struct mlp_train_parallel {
    size_t struct_size;  /**< sizeof(mlp_train_parallel) */
    int rank;            /**< this worker, 0 .. workers-1: it computes records
                            [rank*b/workers ...) of each batch of b (as mlp_mpi_shard) */
    int workers;         /**< workers in all (>= 1) */
    void *user_data;     /**< passed to the callbacks unchanged */
    /**
     * Once, after mlp_train's own checks and allocations, on every worker: agree on
     * `local` (this worker's status so far) and, when every worker is fine, make the
     * workers start from one state (worker 0's parameters, RNG and optimizer state) and
     * check that their settings (`settings_hash`) and data (`data_hash`: a checksum of the
     * training and validation arrays, 0 for a callback source) are the same. Returns the
     * agreed status with a message in detail.
     */
    mlp_status (*start)(void *user_data, mlp_net *net, mlp_optimizer *opt, mlp_status local,
                        uint64_t settings_hash, uint64_t data_hash, mlp_error_detail *detail);
    /**
     * Sums `floats` (may be NULL with n_floats 0) and `doubles` over the workers, in
     * place, and agrees on `local`: when any worker's status is not MLP_OK, every worker
     * gets the lowest failing worker's status and message (the sums are then unspecified).
     * The same inputs in the same order give bit-identical sums on every worker.
     */
    mlp_status (*sum)(void *user_data, float *floats, size_t n_floats, double *doubles,
                      size_t n_doubles, mlp_status local, mlp_error_detail *detail);
    /**
     * One update: sums `doubles` (the batch's loss) and agrees on `local` as sum does;
     * then, unless a summed double is NaN or infinite, applies opt's step for a batch of
     * `batch` records with `grad` (this worker's share's gradient, may be overwritten)
     * summed over the workers, so that every worker ends with the same parameters. It
     * may keep only this worker's part of opt's state current (finish makes it whole).
     */
    mlp_status (*update)(void *user_data, mlp_net *net, mlp_optimizer *opt, float *grad,
                         size_t batch, double *doubles, size_t n_doubles, mlp_status local,
                         mlp_error_detail *detail);
    /** After the last epoch, on every worker: makes opt's state whole again. */
    void (*finish)(void *user_data, mlp_optimizer *opt);
    /**
     * Optional (NULL: not called; a struct_size that ends at finish reads NULL): called
     * during the backward pass of this worker's share of a batch each time
     * grad[from .. param_count) is final (the output layer's entries first, since the
     * vector ends with them), and again between pieces of a layer's work, so that the
     * transport can start sending the finished part and progress its exchange while the
     * rest is computed. `grad` is the vector `update` then receives; the part from `from`
     * on is not written again before that call. A worker with no records in a batch (or
     * whose read failed) gets no call before its update: the transport starts whatever
     * was not started then, in the same order as the others.
     */
    void (*gradient_ready)(void *user_data, float *grad, size_t from);
    /**
     * Whether each worker holds only its own records (false: every worker can read every
     * record, and computes its share of each batch, as mlp_mpi_shard splits it). When
     * true, the training and validation data are callback sources (mlp_source.read) whose
     * indices are the global ones, and this worker reads only training records
     * [own_first, own_first + own_count) and validation records [val_own_first,
     * val_own_first + val_own_count): of each batch it computes the records it owns (a
     * share that varies from batch to batch), and it validates its own records. The
     * workers' ranges must cover every record once. Fields a struct_size that ends
     * before them does not reach read false and 0.
     */
    bool owns_records;
    size_t own_first;     /**< this worker's first training record (owns_records) */
    size_t own_count;     /**< its number of training records */
    size_t val_own_first; /**< its first validation record */
    size_t val_own_count; /**< its number of validation records */
};
/** The least struct_size of an mlp_train_parallel: the layout that ends at finish. */
#define MLP_TRAIN_PARALLEL_MIN_SIZE \
    (offsetof(mlp_train_parallel, finish) + sizeof(void (*)(void *, mlp_optimizer *)))
/** One share of a CSV file's records, for data-parallel training (MPI): the data bytes
 * after the header are cut into `ranks` parts of about equal size on line starts, and this
 * call reads only the records whose lines start in part `rank` (0-based), so each process
 * holds about 1/ranks of the data. The shards of ranks 0..ranks-1, in order, are the records
 * mlp_dataset_open_csv reads, in order; their counts differ by a few records. Memory: the share's
 * float matrix plus a buffer per thread. Needs a regular file without quoted fields (else
 * INVALID_ARG), and for classification the class list (options->class_names: a share may
 * lack some classes), else INVALID_ARG. Messages name the file's own lines.
 * @return as mlp_dataset_open_csv; INVALID_ARG also for rank >= ranks or ranks 0 */
MLP_API mlp_status mlp_dataset_open_csv_shard(mlp_dataset **out, const char *path, size_t rank,
                                              size_t ranks, const mlp_csv_options *options,
                                              mlp_error_detail *detail);

/* ------------------------------------------------------------------ preprocessing */

/** Sets the scaling directly (mlp_model_open_parts uses it): `scaling` and input_size offsets and
 * scales, copied (finite); for NONE both may be NULL and the identity is stored.
 * Errors: NULL_ARG, INVALID_ARG, NON_FINITE. */
MLP_API mlp_status mlp_preprocess_set_scaling(mlp_preprocess *pre, mlp_scaling scaling,
                                              const float *offset, const float *scale);
/** mlp_preprocess_set_scaling with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_set_scaling_ex(mlp_preprocess *pre, mlp_scaling scaling,
                                                 const float *offset, const float *scale,
                                                 mlp_error_detail *detail);
/** Sets task, label column and class names directly (mlp_model_open_parts uses it); strings are
 * copied, label_name may be NULL, class_names may be NULL when class_count is 0.
 * Errors: NULL_ARG, INVALID_ARG, NO_MEMORY. */
MLP_API mlp_status mlp_preprocess_set_label_info(mlp_preprocess *pre, mlp_task task,
                                                 const char *label_name, long label_index,
                                                 size_t class_count,
                                                 const char *const *class_names);
/** mlp_preprocess_set_label_info with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_set_label_info_ex(mlp_preprocess *pre, mlp_task task,
                                                    const char *label_name, long label_index,
                                                    size_t class_count,
                                                    const char *const *class_names,
                                                    mlp_error_detail *detail);

/* ------------------------------------------------------------------ net files */

/** The same image into a buffer of the caller's: mlp_model_write_parts_size gives its size in
 * *size, and mlp_model_write_parts_into writes it to buf (capacity bytes) and its size to
 * *written. The size does not depend on epoch. Errors as mlp_model_write_parts_mem, and
 * DIMENSION when capacity is smaller than the image (nothing is written). */
MLP_API mlp_status mlp_model_write_parts_size(size_t *size, const mlp_net *net,
                                              const mlp_preprocess *pre, const mlp_optimizer *opt);
/** mlp_model_write_parts_size with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_model_write_parts_size_ex(size_t *size, const mlp_net *net,
                                                 const mlp_preprocess *pre,
                                                 const mlp_optimizer *opt,
                                                 mlp_error_detail *detail);
/** Writes the model image into buf (see mlp_model_write_parts_size). */
MLP_API mlp_status mlp_model_write_parts_into(void *buf, size_t capacity, size_t *written,
                                              const mlp_net *net, const mlp_preprocess *pre,
                                              const mlp_optimizer *opt, size_t epoch);
/** mlp_model_write_parts_into with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_model_write_parts_into_ex(void *buf, size_t capacity, size_t *written,
                                                 const mlp_net *net, const mlp_preprocess *pre,
                                                 const mlp_optimizer *opt, size_t epoch,
                                                 mlp_error_detail *detail);

/* ------------------------------------------------------------------ table encodings */

/* One field of a training column each: mlp_table_encoding_column_info (mlp.h) fills them all
 * in one call and is the one to use in new code. These stay here, not deprecated: they
 * are correct and cheap, and programs (and parts of libmlp) that read one field keep
 * working unchanged; they moved out of mlp.h only to keep its table section short. */

/** Header name of a training column.
 * @param enc the encoding
 * @param col 0-based column
 * @return the name, owned by enc; NULL without a header or out of range */
MLP_API const char *mlp_table_encoding_column_name(const mlp_table_encoding *enc, size_t col);
/** Type fitted for a column.
 * @param enc the encoding
 * @param col 0-based column
 * @return the type; MLP_COLUMN_TYPE_COUNT out of range */
MLP_API mlp_column_type mlp_table_encoding_column_type(const mlp_table_encoding *enc,
                                                       size_t col);
/** Missing cells the column had in the training table.
 * @param enc the encoding
 * @param col 0-based column
 * @return the count; 0 out of range */
MLP_API size_t mlp_table_encoding_column_missing(const mlp_table_encoding *enc, size_t col);
/** Distinct non-missing values seen in training (text and categorical columns; 0 for
 * numbers).
 * @param enc the encoding
 * @param col 0-based column
 * @return the count; 0 out of range */
MLP_API size_t mlp_table_encoding_column_distinct(const mlp_table_encoding *enc, size_t col);
/** Features the column encodes to.
 * @param enc the encoding
 * @param col 0-based column
 * @return the width; 0 for ignored and label columns and out of range */
MLP_API size_t mlp_table_encoding_column_width(const mlp_table_encoding *enc, size_t col);
/** Cells of a numeric or date column of the training table that are neither a value of
 * its type nor a missing-value token (e.g. "rotary" among numbers, "2024-02-30" among
 * dates): imputed as missing cells. Not kept in model files (0 once loaded).
 * @param enc the encoding
 * @param col 0-based column
 * @return the count; 0 out of range */
MLP_API size_t mlp_table_encoding_column_invalid(const mlp_table_encoding *enc, size_t col);
/** The first distinct invalid values of a column (mlp_table_encoding_column_invalid).
 * @param enc the encoding
 * @param col 0-based column
 * @param k 0-based, below MLP_TABLE_INVALID_EXAMPLES
 * @return the text, owned by enc; NULL past the last one or out of range */
MLP_API const char *mlp_table_encoding_column_invalid_value(const mlp_table_encoding *enc,
                                                            size_t col, size_t k);

/** Cells of a categorical column of the training table whose value was not kept as a
 * category (beyond mlp_table_fit_options.max_categories): encoded as all zeros. Its rarer
 * values number mlp_table_encoding_column_distinct less the categories kept. Not kept in
 * model files (0 once loaded).
 * @param enc the encoding
 * @param col 0-based column
 * @return the count; 0 out of range */
MLP_API size_t mlp_table_encoding_column_other(const mlp_table_encoding *enc, size_t col);
/** Training mean imputed for missing cells.
 * @param enc the encoding
 * @param col 0-based column
 * @return numeric: the value; date: days since 1970; else 0; NaN out of range */
MLP_API double mlp_table_encoding_column_mean(const mlp_table_encoding *enc, size_t col);

/* ------------------------------------------------------------------ deprecated names */

/* The names before mlp.h's naming rule, kept (exported, behaving as the call they name)
 * until the next major version. */

/** Deprecated: mlp_net_rng_state. */
MLP_API void mlp_net_get_rng_state(const mlp_net *net, uint64_t state[MLP_RNG_STATE_WORDS])
    MLP_DEPRECATED("use mlp_net_rng_state");
/** Deprecated: mlp_dataset_open_csv_shard. */
MLP_API mlp_status mlp_csv_load_shard(mlp_dataset **out, const char *path, size_t rank,
                                      size_t ranks, const mlp_csv_options *options,
                                      mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_dataset_open_csv_shard");
/** Deprecated: mlp_model_write_parts_size. */
MLP_API mlp_status mlp_model_save_size(size_t *size, const mlp_net *net,
                                       const mlp_preprocess *pre, const mlp_optimizer *opt)
    MLP_DEPRECATED("use mlp_model_write_parts_size");
/** Deprecated: mlp_model_write_parts_into. */
MLP_API mlp_status mlp_model_save_into(void *buf, size_t capacity, size_t *written,
                                       const mlp_net *net, const mlp_preprocess *pre,
                                       const mlp_optimizer *opt, size_t epoch)
    MLP_DEPRECATED("use mlp_model_write_parts_into");

#ifdef __cplusplus
}
#endif

#endif /* MLP_ADVANCED_H */
