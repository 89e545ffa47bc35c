/**
 * @file mlp.h
 * @brief libmlp: multilayer perceptrons trained by backpropagation, every layer a matrix,
 * every heavy step a BLAS call.
 *
 * The short path, which most callers need and nothing else (sections "model handle" and
 * "fitting in one call", right after the settings):
 *
 *   mlp_table *t;  mlp_model *m;  mlp_error_detail why;
 *   mlp_table_open(&t, "train.csv", NULL, &why);                 (or mlp_dataset_open_csv: numbers)
 *   mlp_fit_config cfg = mlp_fit_config_default();               (the `mlp train` defaults)
 *   mlp_fit_report rep = {.struct_size = sizeof rep};
 *   mlp_model_fit_table(&m, t, &cfg, &rep, &why);                (mlp_model_fit: a data set)
 *   mlp_model_predict_table(m, new_rows, outputs, NULL, &why);   (or mlp_model_classify_ex)
 *   mlp_model_write(m, "model.mlp", &why);  ...  mlp_model_open(&m, "model.mlp", NULL, &why);
 *
 * Order of this header: status and errors; the objects (opaque handles); settings (enums
 * and config structs, which the handle and fit embed); the model handle; fitting in one
 * call; ONNX. Then, for callers who build their own loops, in the order of the layers: the
 * net, workspaces (with bf16 and int8 inference), propagation, optimizers, training, data
 * sources, net files; then data: data sets (IDX, CSV, the disk cache), preprocessing, text
 * tables and their encoding. Each _ex variant is declared beside its base call. Expert
 * calls (the allocator, RNG state, parameter offsets, optimizer state, data-parallel
 * transport, model images in caller buffers, one-field column accessors) are in
 * mlp_advanced.h, which this header still includes at its end, so that programs written
 * when they were declared here compile unchanged, until the next major version; define
 * MLP_NO_ADVANCED before including mlp.h to leave them out (and include mlp_advanced.h
 * where you use one).
 *
 * Names: mlp_<object>_<verb or noun>, the object the call works on or makes first
 * (mlp_net_create, mlp_dataset_split, mlp_model_predict); the math on a net and a
 * workspace is a bare verb (mlp_forward, mlp_gradient, mlp_evaluate, mlp_train). An accessor
 * is named after what it returns, never get_ (mlp_net_params, mlp_threads,
 * mlp_optimizer_settings); a setter says set_. Stored bytes have one verb pair: _open makes
 * a new object from a file (_open_mem from bytes in memory, _open_stream from a FILE *, a
 * foreign format named last: mlp_dataset_open_csv) and _write stores one (_write_mem into
 * a new buffer); _close ends an object that keeps its file open (mlp_csv_cache); ONNX, a
 * format of other libraries, is imported and exported. _ex is a later form of the call
 * declared just before it, with more arguments (a detail, a report, the outputs too);
 * _default returns a config struct's defaults. The names from before this rule are kept,
 * exported and working, as deprecated aliases (section "deprecated names" at the end; a
 * compiler warning names the new call) until the next major version removes them.
 *
 * Errors, one rule everywhere: every fallible call returns mlp_status (MLP_OK or the reason;
 * mlp_strerror gives its words), and on failure nothing the caller passed in has been
 * changed. Which argument and why comes in an mlp_error_detail that the caller passes as
 * the last argument (may be NULL). Every fallible call, in this header and in
 * mlp_advanced.h, has a form that takes one: the call itself or, for a call older than the
 * detail argument, its _ex form declared right after it (the base call does what the _ex
 * call does with detail NULL, and returns the same status). The passes (mlp_forward, mlp_gradient,
 * mlp_train_step, mlp_optimizer_step, ...) work out their message only after a failure, so
 * their _ex forms run as fast as the base calls. The message is kept nowhere else: not in
 * the process (no global state) and not in the handle, so the calls that only read a model
 * (predict, classify, evaluate, write) stay safe from many threads on one model at once,
 * each thread with its own detail (a last error kept on the handle, as sqlite keeps one,
 * would be shared by those threads). tests/error_style.sh fails when a call returns a
 * status without a detail form.
 *
 * Conventions of this header:
 *  - the library never prints, exits or aborts, and keeps no global mutable state
 *    (except OpenBLAS's own thread count, see mlp_set_threads, and the allocator that
 *    mlp_set_allocator installs once at start-up);
 *  - "layer k" is a weight layer, k = 0 .. mlp_net_layer_count()-1; it maps
 *    n_k inputs to n_(k+1) outputs (the math's layer l = k+1: the layer of neurons it
 *    feeds, layer 0 being the inputs);
 *  - records are rows: a batch of B records is a B x n row-major float array;
 *  - enum values are explicit and append-only: compiled programs hold them and model files
 *    store them (activation, bias mode, optimizer kind, reduction, schedule, task, scaling).
 *    A new value is only ever added last, before the _COUNT entry (a count, not a value,
 *    which grows); no value is renumbered, reused or removed;
 *  - the shared library exports exactly the functions declared MLP_API here and in
 *    mlp_advanced.h (lib/libmlp.map);
 *  - config structs (mlp_optimizer_config, mlp_train_config, mlp_csv_options,
 *    mlp_model_config, mlp_source, mlp_allocator) start with struct_size: take them from
 *    their _default() call (or set struct_size = sizeof yourself) and change the fields you
 *    need. A later release only appends fields; it reads struct_size bytes of your struct and
 *    gives the fields your header did not have their defaults, so a compiled program keeps
 *    working against a newer library. A struct_size below the first layout's (e.g. a struct
 *    zeroed instead of taken from _default) or above the library's own (a program compiled
 *    against a newer mlp.h than the library it runs with) is refused: INVALID_ARG, with a
 *    message where the call takes an mlp_error_detail. The _default() functions return the
 *    struct by value; when a struct grows, the old version node of libmlp.map keeps a
 *    _default() returning the old layout, so old programs never receive more bytes than they
 *    hold.
 */
#ifndef MLP_H
#define MLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* MLP_VERSION_MAJOR, _MINOR, _PATCH, _STRING and _NUMBER, generated from meson.build. */
#include "mlp_version.h"

/** Marks the functions the shared library exports (default visibility while the library
 * is built; empty for its users). */
#if defined(MLP_BUILDING_LIBRARY) && defined(__GNUC__)
#define MLP_API __attribute__((visibility("default")))
#else
#define MLP_API
#endif

/** Marks a name kept, as a thin wrapper over its new name, for the programs written before
 * the naming rule above, until the next major version: calling it warns with the name to use
 * (GCC, Clang). Define MLP_NO_DEPRECATION_WARNINGS to compile such a program quietly. */
#if defined(__GNUC__) && !defined(MLP_NO_DEPRECATION_WARNINGS)
#define MLP_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#define MLP_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status and errors */

/** What a fallible call returns: MLP_OK or the reason it failed (mlp_strerror). */
typedef enum mlp_status {
    MLP_OK = 0,                     /**< success */
    MLP_ERR_NULL_ARG = 1,           /**< a required pointer was NULL */
    MLP_ERR_INVALID_ARG = 2,        /**< a value out of range: zero size, unknown enum, ... */
    MLP_ERR_DIMENSION = 3,          /**< sizes that do not agree with each other */
    MLP_ERR_SOFTMAX_HIDDEN = 4,     /**< softmax requested on a hidden layer */
    MLP_ERR_NON_FINITE = 5,         /**< NaN or infinite hyper-parameter or data value */
    MLP_ERR_NO_MEMORY = 6,          /**< an allocation failed */
    MLP_ERR_BATCH_TOO_LARGE = 7,    /**< batch larger than the workspace was made for */
    MLP_ERR_WORKSPACE_MISMATCH = 8, /**< workspace/optimizer made for another topology */
    MLP_ERR_NUMERICAL = 9,          /**< a LAPACK factorisation failed or was singular */
    MLP_ERR_IO = 10,                /**< a file could not be opened, read or written */
    MLP_ERR_FORMAT = 11,            /**< not a file of the expected format (bad magic, field) */
    MLP_ERR_TRUNCATED = 12,         /**< the file ends before its declared content */
    MLP_ERR_CHECKSUM = 13,          /**< CRC mismatch: the file is corrupted */
    MLP_ERR_VERSION = 14,           /**< the file was written by a newer format version */
    MLP_ERR_PARSE = 15,             /**< malformed text (CSV); see mlp_error_detail */
    MLP_ERR_DIVERGED = 16,          /**< training produced a NaN or infinite loss or parameter;
                                       see mlp_train_result.diverged_epoch/_batch */
    MLP_ERR_STATE = 17,             /**< the call is not allowed now (mlp_set_allocator after
                                       the library has allocated) */
    MLP_ERR_UNSUPPORTED = 18,       /**< not available in this build or on this CPU (bf16:
                                       see mlp_precision_supported) */
    MLP_STATUS_COUNT                /**< the number of statuses (not a status) */
} mlp_status;

/** A static English description of the status; never NULL. */
MLP_API const char *mlp_strerror(mlp_status status);

/** Optional extra detail a reader fills on failure (line/column are 1-based, 0 if unknown). */
typedef struct mlp_error_detail {
    size_t line;       /**< 1-based line of the problem, 0 if unknown */
    size_t column;     /**< 1-based column (CSV: field number), 0 if unknown */
    char message[256]; /**< what went wrong, NUL-terminated ("" when nothing was said) */
} mlp_error_detail;

/** Frees a buffer the library allocated for the caller (mlp_model_write_mem,
 * mlp_model_export_onnx_mem, mlp_model_write_parts_mem); NULL is a no-op. */
MLP_API void mlp_free(void *p);

/** Version of the library running, which may differ from the header a program was compiled
 * with (MLP_VERSION_STRING, MLP_VERSION_NUMBER): its string, e.g. "0.1.0", and its number,
 * MAJOR * 10000 + MINOR * 100 + PATCH, e.g. 100. */
MLP_API const char *mlp_version(void);
/** Version number of the library running, MAJOR * 10000 + MINOR * 100 + PATCH; compare it
 * with MLP_VERSION_NUMBER, the header's. */
MLP_API int mlp_version_number(void);

/** Sets the number of threads OpenBLAS uses for every BLAS call in the process (n >= 1).
 * This is OpenBLAS's process-wide setting, not libmlp state: call it once at start-up,
 * before training, not concurrently with BLAS work. Running several inference threads
 * of your own, set it to 1 so that threads x BLAS threads never exceeds the cores. */
MLP_API mlp_status mlp_set_threads(int n);
/** mlp_set_threads with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_set_threads_ex(int n, mlp_error_detail *detail);
/** Threads OpenBLAS will use now. */
MLP_API int mlp_threads(void);

/* ------------------------------------------------------------------ objects */

/** A network: topology, activations, bias mode, the parameter vector and an RNG. Made by
 * mlp_net_create (or clone, load), freed by mlp_net_free. */
typedef struct mlp_net mlp_net;

/** Scratch for forward/backward passes of up to max_batch records: activations, deltas, a
 * gradient buffer and dropout masks. The net is never modified by inference, so many
 * threads may run one net at once, each with its own workspace. A workspace fits every
 * net of the same topology. */
typedef struct mlp_workspace mlp_workspace;

/** An update rule with its settings and its state (the parameter vector's layout). Made by
 * mlp_optimizer_create (or mlp_model_open_parts), freed by mlp_optimizer_free. */
typedef struct mlp_optimizer mlp_optimizer;

/** Records as contiguous rows: inputs count x input_size, targets count x target_size. */
typedef struct mlp_dataset mlp_dataset;

/** What turns raw records into net inputs and net outputs into answers; it travels in the
 * model file. x' = (x - offset) * scale per input feature. */
typedef struct mlp_preprocess mlp_preprocess;

/** A table of cells read from CSV: rows x columns, with column names when it has a header
 * row. Cells are trimmed of spaces and tabs; numbers are kept as floats, other cells as
 * text (see mlp_table_open_ex). */
typedef struct mlp_table mlp_table;

/** A fitted table encoding: column types, categories, means, labels and task. */
typedef struct mlp_table_encoding mlp_table_encoding;

/** Data-parallel training's transport (mlp_train_config.parallel), defined in
 * mlp_advanced.h. */
typedef struct mlp_train_parallel mlp_train_parallel;

/* ------------------------------------------------------------------ settings */

/** Slope of leaky ReLU for negative inputs. */
#define MLP_LEAKY_RELU_SLOPE 0.01f

/** Activation function of a weight layer's outputs. */
typedef enum mlp_activation {
    MLP_ACT_LINEAR = 0,     /**< identity */
    MLP_ACT_SIGMOID = 1,    /**< 1 / (1 + e^-a) */
    MLP_ACT_TANH = 2,       /**< tanh a */
    MLP_ACT_RELU = 3,       /**< max(0, a) */
    MLP_ACT_LEAKY_RELU = 4, /**< slope MLP_LEAKY_RELU_SLOPE below zero */
    MLP_ACT_SOFTMAX = 5,    /**< output layer only */
    MLP_ACT_COUNT           /**< the number of activations (not one) */
} mlp_activation;

/** How biases are shared: per neuron, per layer, one for the net, or none. */
typedef enum mlp_bias_mode {
    MLP_BIAS_NONE = 0,        /**< no bias */
    MLP_BIAS_PER_NEURON = 1,  /**< b^l has n_l entries */
    MLP_BIAS_PER_LAYER = 2,   /**< one scalar per layer, broadcast to its neurons */
    MLP_BIAS_PER_NETWORK = 3, /**< one scalar shared by every layer */
    MLP_BIAS_COUNT            /**< the number of bias modes (not one) */
} mlp_bias_mode;

/** Loss of one record C_i, over the n_L outputs o and targets y. */
typedef enum mlp_loss {
    MLP_LOSS_MSE = 0,           /**< C_i = (1/n_L) sum_j (o_j - y_j)^2 */
    MLP_LOSS_CROSS_ENTROPY = 1, /**< C_i = -sum_j y_j log o_j; needs a softmax output layer */
    MLP_LOSS_AUTO = 2,          /**< chosen from the net's output layer wherever a loss is
                                     taken: CROSS_ENTROPY after softmax, MSE otherwise (the
                                     pairs the tool uses; mlp_train_config's default) */
    MLP_LOSS_COUNT              /**< the number of losses (not one) */
} mlp_loss;

/** Weight initialisation scheme (mlp_net_init); biases start at zero. */
typedef enum mlp_init {
    MLP_INIT_AUTO = 0,       /**< He for (leaky) ReLU layers, Glorot for the others */
    MLP_INIT_GLOROT = 1,     /**< uniform(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    MLP_INIT_HE = 2,         /**< normal(0, sqrt(2 / fan_in)) */
    MLP_INIT_ORTHOGONAL = 3, /**< QR (LAPACKE) of a Gaussian matrix: rows or columns orthonormal */
    MLP_INIT_COUNT           /**< the number of schemes (not one) */
} mlp_init;

/** How the optimizer scales the summed gradient of a batch of B records. */
typedef enum mlp_reduction {
    MLP_REDUCE_SUM = 0,  /**< I <- I - lr * sum_i grad C_i (the source's formula) */
    MLP_REDUCE_MEAN = 1, /**< I <- I - (lr / B) * sum_i grad C_i */
    MLP_REDUCE_COUNT     /**< the number of reductions (not one) */
} mlp_reduction;

/** What the targets are: one-hot classes or numbers. */
typedef enum mlp_task {
    MLP_TASK_CLASSIFY = 0, /**< targets one-hot over class_count classes */
    MLP_TASK_REGRESS = 1,  /**< targets the numeric value(s) */
    MLP_TASK_COUNT         /**< the number of tasks (not one) */
} mlp_task;

/** Input scaling fitted on a training split (mlp_preprocess_fit). */
typedef enum mlp_scaling {
    MLP_SCALE_NONE = 0,     /**< the identity: offset 0, scale 1 */
    MLP_SCALE_MINMAX = 1,   /**< to [0,1] with the training split's min and max */
    MLP_SCALE_STANDARD = 2, /**< zero mean, unit variance with the training split's statistics */
    MLP_SCALE_ROBUST = 3,   /**< median to 0, interquartile range to 1.349 (the IQR of a unit
                                 normal, so normal data scale as STANDARD): a few extreme
                                 values move neither, so the bulk of a heavy-tailed feature
                                 keeps its spread */
    MLP_SCALE_COUNT         /**< the number of scalings (not one) */
} mlp_scaling;

/** Arithmetic of the matrix products (GEMMs) of the batch passes. */
typedef enum mlp_precision {
    MLP_PRECISION_FP32 = 0, /**< float everywhere (OpenBLAS): the default */
    MLP_PRECISION_BF16 = 1, /**< mixed: GEMM operands rounded to bfloat16 (8 significant
                                 bits), products accumulated and written in float (oneDNN);
                                 parameters, gradient, optimizer state, bias, activations,
                                 loss and update stay float */
    MLP_PRECISION_INT8 = 2, /**< inference only, for a quantized net (mlp_net_quantize):
                                 int8 weights and activations, int32 sums, float results */
    MLP_PRECISION_COUNT     /**< the number of precisions (not a precision) */
} mlp_precision;

/** The update rule; g is the reduced gradient, lr the learning rate. */
typedef enum mlp_optimizer_kind {
    MLP_OPT_SGD = 0,      /**< plain gradient descent: I <- I - lr * g */
    MLP_OPT_MOMENTUM = 1, /**< v <- mu v + g;  I <- I - lr v */
    MLP_OPT_NESTEROV = 2, /**< v <- mu v + g;  I <- I - lr (g + mu v) */
    MLP_OPT_ADAM = 3,     /**< bias-corrected moments; weight_decay is L2 added to g */
    MLP_OPT_ADAMW = 4,    /**< Adam with decoupled decay: I <- I - lr (m^/(sqrt v^ + eps) + wd I) */
    MLP_OPT_RMSPROP = 5,  /**< s <- rho s + (1-rho) g^2;  I <- I - lr g / (sqrt s + eps) */
    MLP_OPT_COUNT         /**< the number of optimizers (not one) */
} mlp_optimizer_kind;

/** Learning-rate schedule over the epochs (lr is the configured rate). */
typedef enum mlp_schedule {
    MLP_SCHEDULE_CONSTANT = 0, /**< lr at every epoch */
    MLP_SCHEDULE_STEP = 1,   /**< lr * gamma^(floor(epoch / step_epochs)) */
    MLP_SCHEDULE_COSINE = 2, /**< min_lr + (lr - min_lr) (1 + cos(pi epoch / total_epochs)) / 2 */
    MLP_SCHEDULE_COUNT       /**< the number of schedules (not one) */
} mlp_schedule;

/** An optimizer's settings (defaults in parentheses; mlp_optimizer_config_default). */
typedef struct mlp_optimizer_config {
    size_t struct_size;      /**< sizeof(mlp_optimizer_config), set by the _default call */
    mlp_optimizer_kind kind; /**< the update rule */
    float learning_rate;     /**< > 0 and finite */
    mlp_reduction reduction; /**< how a batch's summed gradient is scaled (default SUM) */
    float momentum;          /**< MOMENTUM, NESTEROV: mu in [0,1) (0.9) */
    float beta1;             /**< ADAM(W): the first moment's decay (0.9) */
    float beta2;             /**< ADAM(W): the second moment's decay (0.999) */
    float rho;               /**< RMSPROP decay (0.9) */
    float epsilon;           /**< ADAM(W), RMSPROP: > 0 (1e-8), else INVALID_ARG: it keeps
                                the update finite where a gradient is exactly zero */
    float weight_decay;      /**< >= 0, on every parameter; L2 (coupled: wd I added to the
                                reduced gradient) for all but ADAMW, decoupled there (0) */
    mlp_schedule schedule;   /**< CONSTANT */
    size_t step_epochs;      /**< STEP: epochs per decay (10) */
    float step_gamma;        /**< STEP: factor (0.1) */
    size_t total_epochs;     /**< COSINE: length of the half period (100) */
    float min_learning_rate; /**< COSINE: floor (0) */
} mlp_optimizer_config;

/** Defaults for `kind` as listed above, learning rate 0.01, reduction SUM. SUM follows the
 * batch gradient descent rule I <- I - l * sum_i grad C_i (a sum, no 1/B), so that
 * mlp_optimizer_step and mlp_train_step do exactly what the math contract writes; with SUM
 * the step grows with the batch size, which is why the applications' default,
 * mlp_model_config_default (and the `mlp` tool), uses MEAN with its own learning rate
 * instead. */
MLP_API mlp_optimizer_config mlp_optimizer_config_default(mlp_optimizer_kind kind);

/** Progress report passed to the callback: after every batch (end_of_epoch false) and once at
 * the end of every epoch (true; validation fields filled, NaN without validation data). */
typedef struct mlp_progress {
    size_t epoch;            /**< 0-based */
    size_t epochs;           /**< epochs of the run (the configured total) */
    size_t batch;            /**< batches done in this epoch */
    size_t batches;          /**< batches per epoch */
    size_t samples_done;     /**< in this epoch */
    double train_loss;       /**< mean loss per record so far this epoch */
    double val_loss;         /**< mean validation loss per record (end of epoch; else NaN) */
    double val_accuracy;     /**< validation accuracy (end of epoch; else NaN) */
    double epoch_seconds;    /**< elapsed in this epoch */
    bool end_of_epoch;       /**< true once per epoch, after its last batch and validation */
    float learning_rate;     /**< the learning rate in force this epoch */
} mlp_progress;

/** Return false to stop training (mlp_train then returns MLP_OK, result->stopped_by_callback). */
typedef bool (*mlp_progress_fn)(const mlp_progress *progress, void *user_data);

/** How mlp_train trains (defaults in parentheses; mlp_train_config_default). */
typedef struct mlp_train_config {
    size_t struct_size;         /**< sizeof(mlp_train_config), set by the _default call */
    mlp_loss loss;              /**< AUTO: cross-entropy after a softmax output, else MSE */
    size_t epochs;              /**< 10: total, counting from epoch 0 */
    size_t start_epoch;         /**< first epoch to run (0); > 0 resumes a saved run: the
                                   schedule continues at this epoch */
    size_t batch_size;          /**< 0 = batch GD (whole epoch, one update); 1 = stochastic;
                                   else minibatch (32) */
    bool shuffle;               /**< reshuffle every epoch with the net's RNG (true) */
    float dropout;              /**< inverted dropout on hidden layers, [0,1) (0) */
    uint64_t dropout_seed;      /**< (0) */
    size_t patience;            /**< early stopping: epochs without validation-loss
                                   improvement before stopping; 0 = off (0) */
    bool restore_best;          /**< with validation data: end with the best epoch's params (true) */
    mlp_progress_fn progress;   /**< may be NULL */
    void *user_data;            /**< passed to progress unchanged */
    bool progress_every_batch;  /**< call progress after batches too (false) */
    size_t progress_interval;   /**< with progress_every_batch: every this many batches, and
                                   after the epoch's last (1; 0 means 1). One-record plain
                                   SGD applies each record's first-layer update during the
                                   next record's forward pass; that pending update is
                                   applied before every progress call, so a progress
                                   report every few hundred records keeps the fast path */
    int threads;                /**< threads of mlp_train's workspace, 1..256, else
                                   INVALID_ARG (1): with batch_size 1 its large layers are
                                   split by rows across them (mlp_workspace_set_threads);
                                   other batch sizes ignore it */
    mlp_precision precision;    /**< of the training and validation passes (FP32); BF16 as
                                   mlp_workspace_set_precision, UNSUPPORTED where that
                                   build or CPU cannot */
    const mlp_train_parallel *parallel; /**< NULL: this process alone (NULL). Otherwise
                                   data-parallel training (mlp_train_parallel): every
                                   worker calls mlp_train with the same config and data;
                                   FP32 only (precision BF16 is INVALID_ARG), threads and
                                   the fused plain-SGD path unused, dropout masks drawn
                                   from dropout_seed + rank. The struct must outlive the
                                   call. */
} mlp_train_config;

/** The defaults given in mlp_train_config's comments. */
MLP_API mlp_train_config mlp_train_config_default(void);

/** What a training run did (mlp_train, mlp_model_train). */
typedef struct mlp_train_result {
    size_t epochs_run;          /**< epochs completed, counting from 0: resume from here */
    size_t best_epoch;          /**< 0-based; by validation loss, else the last */
    double final_train_loss;    /**< mean per record, last epoch */
    double best_val_loss;       /**< NaN without validation data */
    double best_val_accuracy;   /**< at best_epoch */
    bool stopped_early;         /**< early stopping (patience) ended the run */
    bool stopped_by_callback;   /**< the progress callback returned false */
    double seconds;             /**< wall-clock time of the run */
    size_t diverged_epoch;      /**< DIVERGED only: the 0-based epoch that diverged */
    size_t diverged_batch;      /**< DIVERGED only: 0-based batch of that epoch whose loss was
                                   NaN/inf, or the epoch's last batch when every loss was
                                   finite but the parameters after its update were not */
} mlp_train_result;

/** What mlp_model_build makes from a training set. */
typedef struct mlp_model_config {
    size_t struct_size;                  /**< sizeof(mlp_model_config), set by the _default call */
    size_t hidden_count;                 /**< hidden layers (2) */
    const size_t *hidden_sizes;          /**< hidden_count widths, each 1 or more (the
                                            default points to {128, 64}); NULL gives every
                                            hidden layer 32 neurons */
    mlp_activation hidden_activation;    /**< RELU */
    mlp_activation output_activation;    /**< MLP_ACT_COUNT: SOFTMAX for classification,
                                            LINEAR for regression (MLP_ACT_COUNT) */
    mlp_bias_mode bias_mode;             /**< PER_NEURON */
    mlp_init init;                       /**< AUTO */
    uint64_t seed;                       /**< initialisation and shuffling (1) */
    mlp_task task;                       /**< MLP_TASK_COUNT: CLASSIFY when the data set has
                                            class names, else REGRESS (MLP_TASK_COUNT) */
    mlp_scaling scaling;                 /**< fitted on the training set (STANDARD) */
    mlp_optimizer_config optimizer;      /**< ADAMW, lr 0.001, weight decay 0.3, MEAN
                                              reduction */
} mlp_model_config;

/** The defaults given in mlp_model_config's comments, which are the `mlp` tool's: it takes
 * them from here. They were chosen on bench/accuracy (sixteen public tables; see the
 * README): two ReLU layers with decoupled weight decay generalised best there. Training
 * with mlp_model_train adds no early stopping by itself: give it a validation set and a
 * patience, as the tool does. */
MLP_API mlp_model_config mlp_model_config_default(void);

/** Where the scales of the activations (the inputs of each layer) come from. */
typedef enum mlp_quantize_mode {
    MLP_QUANTIZE_STATIC = 0,  /**< fixed per layer, from a calibration set's largest values */
    MLP_QUANTIZE_DYNAMIC = 1, /**< per record, from its own largest value at every pass */
    MLP_QUANTIZE_COUNT        /**< the number of modes (not a mode) */
} mlp_quantize_mode;

/** Post-training quantization settings (mlp_quantize_config_default). */
typedef struct mlp_quantize_config {
    size_t struct_size;     /**< sizeof(mlp_quantize_config), set by the _default call */
    mlp_quantize_mode mode; /**< STATIC; DYNAMIC is used when no calibration set is given */
    size_t calibration_rows;/**< at most this many calibration records are run (0: all) */
} mlp_quantize_config;

/** The defaults in mlp_quantize_config's comments. */
MLP_API mlp_quantize_config mlp_quantize_config_default(void);

/** What mlp_table_encoding_fit fits (defaults in parentheses). */
typedef struct mlp_table_options {
    /** Target column(s): a header name or 0-based index, or several separated by commas
     * (several: multi-output regression). NULL: the last column. */
    const char *label;
    /** MLP_TASK_COUNT: from the label: classification when most label cells are text;
     * regression when they are numbers and there are more than
     * MLP_TABLE_MAX_NUMERIC_CLASSES distinct values, or one is not an integer, or there are
     * 10 distinct values or more of which one is in fewer than 5 rows (a count), or there
     * are several label columns; classification otherwise. A regression leaves out the
     * rows whose label is not a number (counted in the task reason). */
    mlp_task task;
    const char *ignore;      /**< columns not used: comma-separated names or indices (NULL) */
    const char *categorical; /**< columns read as categories, e.g. numeric codes (NULL) */
    const char *numeric;     /**< columns read as numbers (NULL) */
    /** Cells that mean "missing", comma-separated, matched ignoring case; an empty cell is
     * always missing. NULL: MLP_TABLE_MISSING_DEFAULT. */
    const char *missing;
} mlp_table_options;

/** The missing-value tokens of mlp_table_options's default. */
#define MLP_TABLE_MISSING_DEFAULT "NA,NaN,?,null"
/** Distinct integer labels up to which a numeric label is classification by default. */
#define MLP_TABLE_MAX_NUMERIC_CLASSES 20

/** The defaults given in mlp_table_options's comments.
 * @return the default options */
MLP_API mlp_table_options mlp_table_options_default(void);

/** mlp_table_options with more choices and a struct_size, for mlp_table_encoding_fit_ex
 * and mlp_fit_config.table_options (defaults in parentheses). Column lists are arrays of
 * names, each a header name or a 0-based index in decimal ("3"), with their counts: a
 * name may hold a comma. The comma-separated string fields before them are deprecated
 * (kept until the next major version): each string is read as well as its array, so a
 * column in both is named twice (INVALID_ARG). */
typedef struct mlp_table_fit_options {
    size_t struct_size;      /**< sizeof(mlp_table_fit_options), set by the _default call */
    const char *label;       /**< deprecated, use labels: as mlp_table_options.label */
    mlp_task task;           /**< as mlp_table_options.task (MLP_TASK_COUNT: inferred) */
    const char *ignore;      /**< deprecated, use ignore_columns: comma-separated (NULL) */
    const char *categorical; /**< deprecated, use categorical_columns (NULL) */
    const char *numeric;     /**< deprecated, use numeric_columns (NULL) */
    const char *missing;     /**< deprecated, use missing_values: comma-separated tokens */
    const char *date;        /**< deprecated, use date_columns (NULL) */
    /** Categories kept per categorical column: the most frequent values (ties in sorted
     * order); the others are encoded as all zeros, as a value training did not see, and
     * counted (mlp_table_encoding_column_other), which bounds the encoded width (and the
     * memory of the encoded data) of a column with very many values. 0:
     * MLP_TABLE_MAX_CATEGORIES; SIZE_MAX: every value. */
    size_t max_categories;
    /** Target column(s); several: multi-output regression. None here and no label: the
     * last column (NULL, 0). */
    const char *const *labels;
    size_t label_count;                     /**< entries of labels (0) */
    const char *const *ignore_columns;      /**< columns not used (NULL) */
    size_t ignore_count;                    /**< entries of ignore_columns (0) */
    const char *const *categorical_columns; /**< columns read as categories, e.g. numeric
                                                 codes (NULL) */
    size_t categorical_count;               /**< entries of categorical_columns (0) */
    const char *const *numeric_columns;     /**< columns read as numbers (NULL) */
    size_t numeric_count;                   /**< entries of numeric_columns (0) */
    const char *const *date_columns;        /**< columns read as dates (NULL) */
    size_t date_count;                      /**< entries of date_columns (0) */
    /** Cells that mean "missing", matched ignoring case (an empty cell always is); none
     * here and no missing string: MLP_TABLE_MISSING_DEFAULT's. A token may not hold a comma
     * (model files keep the list comma-separated): INVALID_ARG. (NULL) */
    const char *const *missing_values;
    size_t missing_count;                   /**< entries of missing_values (0) */
} mlp_table_fit_options;

/** The default of mlp_table_fit_options.max_categories (docs/tables.md says why). */
#define MLP_TABLE_MAX_CATEGORIES 256

/** The defaults given in mlp_table_fit_options's comments.
 * @return the default options, struct_size set */
MLP_API mlp_table_fit_options mlp_table_fit_options_default(void);

/** What encoding a table met. */
typedef struct mlp_table_report {
    size_t rows_read;         /**< data rows of the table */
    size_t rows_dropped;      /**< rows left out: a label cell missing, a regression label
                                   that is not a number, a class training did not see
                                   (mlp_table_encode_ex tells them apart) */
    size_t missing_cells;     /**< feature cells imputed (cells of the wrong kind too) */
    size_t unseen_categories; /**< categorical cells with a value training did not see */
} mlp_table_report;

/** What encoding a table met, in detail (struct_size first: set it to sizeof). */
typedef struct mlp_table_report_ex {
    size_t struct_size;       /**< sizeof(mlp_table_report_ex), set by the caller */
    size_t rows_read;         /**< data rows of the table */
    size_t rows_dropped;      /**< rows left out: a label cell missing, or a regression
                                   label that is not a number */
    size_t missing_cells;     /**< feature cells imputed (invalid_cells included) */
    size_t unseen_categories; /**< categorical cells with a value training did not see */
    size_t invalid_cells;     /**< numeric or date cells that are not one: imputed */
    size_t unseen_classes;    /**< rows left out: a class training did not see */
    size_t invalid_line;      /**< the file line of the first invalid cell (0: none) */
    size_t invalid_column;    /**< its 0-based column in the table */
    char invalid_value[64];   /**< its text, truncated */
    size_t unseen_line;       /**< the file line of the first unseen class (0: none) */
    char unseen_class[64];    /**< its text, truncated */
    /** Categorical cells of a column whose rarer training values were not kept
     * (mlp_table_fit_options.max_categories) with a value not among its categories: all
     * zeros, not counted in unseen_categories (nor in mlp_table_report). */
    size_t other_cells;
} mlp_table_report_ex;

/* ------------------------------------------------------------------ model handle */

/**
 * The short path for applications: one handle that owns a net, its preprocessing and
 * (for training) an optimizer; prediction takes raw records and scales a copy of them.
 * It is a layer on top of the calls above, which stay available (mlp_model_net etc.).
 *
 *   mlp_dataset_open_csv(&train, "train.csv", NULL, NULL);
 *   mlp_model_build(&m, train, &model_config);   (net sized from the data, scaling fitted)
 *   mlp_model_train(m, train, NULL, NULL, NULL);
 *   mlp_model_write(m, "model.mlp", NULL);
 *   mlp_model_classify(m, raw_rows, n, classes);  (or mlp_model_predict for the outputs)
 *
 * Thread safety: predict, classify, write and the accessors only read the model, so any
 * number of threads may call them on one model at once; mlp_model_train and mlp_model_free
 * need the model to themselves. Each prediction uses its own scratch (see below). With
 * threads of your own, mlp_set_threads(1) keeps threads x BLAS threads within the cores.
 */
typedef struct mlp_model mlp_model;

/** Format version of the model files this library writes (it reads this one and older).
 * Version 2 adds the table encoding (mlp_preprocess_set_encoding), version 3 the training
 * precision of bf16-trained nets (mlp_net_trained_precision); a model is written with the
 * lowest version that holds it (version 1 without either), which older readers read.
 * Version 4 adds the int8 weights and scales of a quantized net (mlp_net_quantize); older
 * readers refuse it (MLP_ERR_VERSION). */
#define MLP_MODEL_FORMAT_VERSION 4u

/** What a loaded model file held (mlp_model_open_parts, mlp_model_open). */
typedef struct mlp_model_info {
    uint32_t format_version; /**< the file's format version (<= MLP_MODEL_FORMAT_VERSION) */
    bool has_preprocess;     /**< the file has a preprocessing */
    bool has_optimizer;      /**< the file has an optimizer (config, state, step count) */
    size_t epoch;            /**< the epoch saved with it */
} mlp_model_info;
/** Loads a model file (mlp_model_open_parts) into a new handle: net, preprocessing (identity when
 * the file has none), optimizer when saved, and the saved epoch (mlp_model_epoch). info and
 * detail may be NULL. Errors as mlp_model_open_parts; *out is unchanged on failure. */
MLP_API mlp_status mlp_model_open(mlp_model **out, const char *path, mlp_model_info *info,
                                  mlp_error_detail *detail);

/** What mlp_model_open_mem_ex accepts from an image before it allocates for it; 0 in a
 * limit is no limit (the defaults). */
typedef struct mlp_model_open_options {
    size_t struct_size; /**< sizeof(mlp_model_open_options), set by the _default call */
    size_t max_bytes;   /**< the image's size in bytes (0) */
    size_t max_params;  /**< the net's parameters, weights and biases (0) */
    size_t max_width;   /**< the widest layer, inputs and outputs included (0) */
} mlp_model_open_options;

/** The defaults given in mlp_model_open_options's comments (no limit).
 * @return the default options, struct_size set */
MLP_API mlp_model_open_options mlp_model_open_options_default(void);

/**
 * A model handle from a model image in memory (a database blob, a resource bundle, a
 * network message): mlp_model_open_parts_mem into a new handle, as mlp_model_open does for a path.
 * What an image costs, so that a caller can bound it before opening one it did not write:
 * opening holds about the image's size again (the parameters, every count checked against
 * the bytes present, so a small image cannot claim a large net); predicting holds a scratch
 * of max_batch x (n_0 + the sum of the layer widths) floats, plus the softmax logits:
 * mlp_model_predict and mlp_model_classify make one of mlp_model_predict_batch records, so
 * that it stays within MLP_MODEL_PREDICT_MEMORY bytes (a 1 -> 1M -> 1 net: 16 records,
 * 64 MiB, where 256 records took 1 GB). mlp_model_open_mem_ex refuses images beyond the
 * size, parameter count or width you accept.
 * @param out receives the new model, to free with mlp_model_free; unchanged on failure
 * @param data the image (mlp_model_write_mem, mlp_model_write_parts_mem, or a model file's bytes);
 *        only read, and free to reuse once the call returns
 * @param size its length in bytes
 * @param info receives format version, parts present and saved epoch; may be NULL
 * @param detail receives a message on failure; may be NULL
 * @return MLP_OK, or the errors of mlp_model_open_parts_mem (NULL_ARG, TRUNCATED, CHECKSUM,
 *         FORMAT, VERSION, NO_MEMORY)
 */
MLP_API mlp_status mlp_model_open_mem(mlp_model **out, const void *data, size_t size,
                                      mlp_model_info *info, mlp_error_detail *detail);
/** mlp_model_open_mem with limits on what the image may cost: an image beyond one is
 * refused after its header and net section are validated, before anything is allocated for
 * it. Opening then holds about max_bytes; predicting through mlp_model_predict holds at most
 * MLP_MODEL_PREDICT_MEMORY bytes or one record's activations, whichever is more (about
 * 4 x (2 max_width + the sum of the widths) bytes).
 * @param out receives the new model; unchanged on failure
 * @param data the image; only read
 * @param size its length in bytes
 * @param options the limits; NULL: none (mlp_model_open_mem)
 * @param info receives format version, parts present and saved epoch; may be NULL
 * @param detail receives a message on failure (the limit and the image's value); may be NULL
 * @return as mlp_model_open_mem; INVALID_ARG for an image beyond a limit or an unknown
 *         struct_size */
MLP_API mlp_status mlp_model_open_mem_ex(mlp_model **out, const void *data, size_t size,
                                         const mlp_model_open_options *options,
                                         mlp_model_info *info, mlp_error_detail *detail);

/** A model from parts, taking ownership: on success the model owns net, pre and opt and
 * frees them in mlp_model_free (do not free or use them for writing afterwards); on failure
 * they stay the caller's, unchanged. pre may be NULL (identity scaling, no class names,
 * and the task the output layer implies: classification after softmax or sigmoid, else
 * regression); opt may be NULL (the model then predicts but cannot train). The
 * model's epoch starts at 0. Errors: NULL_ARG (out or net), DIMENSION (pre has another
 * input size, or class names whose count is not the net's output size),
 * WORKSPACE_MISMATCH (opt made for another topology), NO_MEMORY. */
MLP_API mlp_status mlp_model_create(mlp_model **out, mlp_net *net, mlp_preprocess *pre,
                                    mlp_optimizer *opt);
/** mlp_model_create with a message in detail (may be NULL) naming the part that does not fit
 * and why. */
MLP_API mlp_status mlp_model_create_ex(mlp_model **out, mlp_net *net, mlp_preprocess *pre,
                                       mlp_optimizer *opt, mlp_error_detail *detail);
/** Frees the model and everything it owns; NULL is a no-op. */
MLP_API void mlp_model_free(mlp_model *model);
/** Saves net, preprocessing, optimizer (when the model has one) and epoch with
 * mlp_model_write_parts (atomic; same errors). Reads the model only. */
MLP_API mlp_status mlp_model_write(const mlp_model *model, const char *path,
                                   mlp_error_detail *detail);

/**
 * The model's image in memory, as mlp_model_write saves it: net, preprocessing, optimizer
 * when the model has one, and epoch. Reads the model only. mlp_model_open_mem reads it back.
 * @param model the model
 * @param data receives a new buffer, to free with mlp_free; unchanged on failure
 * @param size receives its length in bytes; unchanged on failure
 * @return MLP_OK, or the errors of mlp_model_write_parts_mem (NULL_ARG, NON_FINITE, NO_MEMORY)
 */
MLP_API mlp_status mlp_model_write_mem(const mlp_model *model, void **data, size_t *size);
/** mlp_model_write_mem with a message in detail (may be NULL) naming the argument and the
 * reason (a NaN or infinite parameter, no memory for the image). */
MLP_API mlp_status mlp_model_write_mem_ex(const mlp_model *model, void **data, size_t *size,
                                          mlp_error_detail *detail);

/** Parts, owned by the model (NULL for a NULL model; the optimizer may be NULL). */
MLP_API const mlp_net *mlp_model_net(const mlp_model *model);
/** The model's preprocessing (owned by the model). */
MLP_API const mlp_preprocess *mlp_model_preprocess(const mlp_model *model);
/** The model's optimizer, NULL when it has none (owned by the model). */
MLP_API mlp_optimizer *mlp_model_optimizer(mlp_model *model);
MLP_API size_t mlp_model_input_size(const mlp_model *model);  /**< n_0; 0 for NULL */
MLP_API size_t mlp_model_output_size(const mlp_model *model); /**< n_L; 0 for NULL */
/** Epochs trained so far (loaded, or result->epochs_run of the last mlp_model_train). */
MLP_API size_t mlp_model_epoch(const mlp_model *model);
/** Name of class `index` (from the data the model was built or loaded with); NULL when out
 * of range or the model has no class names. Owned by the model. */
MLP_API const char *mlp_model_class_name(const mlp_model *model, size_t index);

/** Scratch for predicting with a model's topology, up to max_batch records per forward pass:
 * an inference workspace for max_batch records (mlp_workspace_create_inference: activations
 * and max_batch x n_0 floats) plus max_batch x n_0 floats for the scaled copy of the
 * inputs. One per thread (a scratch is
 * not shared by concurrent calls); it fits every model of the same topology.
 * Errors: NULL_ARG, INVALID_ARG (max_batch 0 or above INT_MAX), NO_MEMORY. */
typedef struct mlp_model_scratch mlp_model_scratch;
/** A scratch for model's topology and up to max_batch records per pass. */
MLP_API mlp_status mlp_model_scratch_create(mlp_model_scratch **out, const mlp_model *model,
                                            size_t max_batch);
/** mlp_model_scratch_create with a message in detail (may be NULL) naming the argument and
 * the reason. */
MLP_API mlp_status mlp_model_scratch_create_ex(mlp_model_scratch **out,
                                               const mlp_model *model, size_t max_batch,
                                               mlp_error_detail *detail);
/** Frees scratch; NULL is a no-op. */
MLP_API void mlp_model_scratch_free(mlp_model_scratch *scratch);
/**
 * Sets the precision of the scratch's forward passes (mlp_workspace_set_precision on its
 * workspace): with BF16, mlp_model_predict_with and mlp_model_classify_with run their
 * GEMMs in bf16 (the calls without a scratch stay float).
 * @param scratch   the scratch
 * @param precision MLP_PRECISION_FP32, MLP_PRECISION_BF16, or MLP_PRECISION_INT8 (the
 *        default of a quantized model's scratch: mlp_model_quantize)
 * @return as mlp_workspace_set_precision; the previous setting is kept on failure
 */
MLP_API mlp_status mlp_model_scratch_set_precision(mlp_model_scratch *scratch,
                                                   mlp_precision precision);
/**
 * mlp_model_scratch_set_precision with a message on failure.
 * @param scratch   the scratch
 * @param precision MLP_PRECISION_FP32, MLP_PRECISION_BF16 or MLP_PRECISION_INT8
 * @param detail    receives the argument and the reason on failure (for UNSUPPORTED, what
 *        this build or CPU lacks); may be NULL
 * @return as mlp_model_scratch_set_precision
 */
MLP_API mlp_status mlp_model_scratch_set_precision_ex(mlp_model_scratch *scratch,
                                                      mlp_precision precision,
                                                      mlp_error_detail *detail);

/**
 * Runs the scratch's float forward passes on n threads from weights packed once
 * (mlp_workspace_set_threads on its inference workspace: where the CPU has AVX-512 the
 * packed copy takes about the weights' size again). Keep the scratch across calls: the
 * weights are packed at the second pass over the same parameters. The results equal the
 * unpacked ones to float rounding.
 * @param scratch the scratch
 * @param threads 1 or more
 * @return as mlp_workspace_set_threads; INVALID_ARG for a bf16 scratch; nothing changes
 *         on failure
 */
MLP_API mlp_status mlp_model_scratch_set_threads(mlp_model_scratch *scratch, int threads);
/**
 * mlp_model_scratch_set_threads with a message on failure.
 * @param scratch the scratch
 * @param threads 1 to 256
 * @param detail  receives the argument and the reason on failure; may be NULL
 * @return as mlp_model_scratch_set_threads
 */
MLP_API mlp_status mlp_model_scratch_set_threads_ex(mlp_model_scratch *scratch, int threads,
                                                    mlp_error_detail *detail);

/** Records per forward pass of the mlp_model_predict / mlp_model_classify variants that
 * bring no scratch, at most (mlp_model_predict_batch). */
#define MLP_MODEL_PREDICT_CHUNK 256

/** Bytes of scratch those variants keep to, unless one record needs more (wide nets). */
#define MLP_MODEL_PREDICT_MEMORY ((size_t)64 << 20)

/** Records per forward pass of mlp_model_predict and mlp_model_classify for n records:
 * min(n, MLP_MODEL_PREDICT_CHUNK), fewer for a net so wide that the scratch
 * (mlp_model_scratch_create) would exceed MLP_MODEL_PREDICT_MEMORY; at least 1. The batch to
 * give mlp_model_scratch_create for the same bound; the results do not depend on it.
 * @param model the model; NULL gives 1
 * @param n the records to predict
 * @return the batch */
MLP_API size_t mlp_model_predict_batch(const mlp_model *model, size_t n);

/** Outputs (n x n_L) of n raw records (n x n_0, unscaled): each chunk of up to the scratch's
 * max_batch records is copied, scaled with the model's preprocessing
 * (mlp_preprocess_apply_rows) and run through mlp_forward, so the results are those of
 * these calls, bit for bit. raw_rows are never modified: scaling twice cannot happen.
 * Allocates nothing. Errors: NULL_ARG, INVALID_ARG (n 0), WORKSPACE_MISMATCH (scratch made
 * for another topology), NON_FINITE (a raw value is NaN or infinite); out is unchanged on
 * any error. Many threads may predict with one model at once, each with its own scratch. */
MLP_API mlp_status mlp_model_predict_with(const mlp_model *model, mlp_model_scratch *scratch,
                                          const float *raw_rows, size_t n, float *out);
/** mlp_model_predict_with with a message in detail (may be NULL) naming the argument and the
 * reason (for a NaN input, its record and input). */
MLP_API mlp_status mlp_model_predict_with_ex(const mlp_model *model,
                                             mlp_model_scratch *scratch, const float *raw_rows,
                                             size_t n, float *out, mlp_error_detail *detail);
/** The same with a scratch of B = mlp_model_predict_batch(model, n) records made and freed
 * inside the call: a couple of dozen allocations (a few more per layer) of
 * B x (2 n_0 + n_1 + ... + n_L + n_L) floats in all. For many small calls, keep a scratch
 * per thread and use mlp_model_predict_with. Float passes run, from the second call over
 * the same parameters on, from weights packed once for the CPU's kernels (where it has
 * them: AVX-512), which the model keeps (about the weights' size again, made once by
 * whichever call comes first, shared by every thread's calls, freed by mlp_model_free and
 * remade after mlp_model_train); results equal the unpacked ones to float rounding. Calls
 * after the parameters change otherwise (mlp_model_net's parameters written) run unpacked.
 * Errors as mlp_model_predict_with, and NO_MEMORY. */
MLP_API mlp_status mlp_model_predict(const mlp_model *model, const float *raw_rows, size_t n,
                                     float *out);
/** mlp_model_predict with a message in detail (may be NULL) naming the argument and the
 * reason. */
MLP_API mlp_status mlp_model_predict_ex(const mlp_model *model, const float *raw_rows,
                                        size_t n, float *out, mlp_error_detail *detail);
/** Class index of each of n raw records: the argmax of its outputs (the first on ties), as
 * mlp_evaluate counts accuracy; mlp_model_class_name gives its name. Same path, cost and
 * errors as the predict calls, and INVALID_ARG when the model is for regression
 * (mlp_preprocess_task) or has a single output. classes is unchanged on any error. */
MLP_API mlp_status mlp_model_classify_with(const mlp_model *model, mlp_model_scratch *scratch,
                                           const float *raw_rows, size_t n, size_t *classes);
/** mlp_model_classify_with with the outputs the classes were chosen from (one forward pass
 * for both) and a message on failure.
 * @param model the model (only read)
 * @param scratch a scratch of the model's topology
 * @param raw_rows n x n_0 raw records
 * @param n records, 1 or more
 * @param classes receives n class indices
 * @param outputs receives the n x n_L outputs (softmax: the probabilities), or NULL
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return as mlp_model_classify_with */
MLP_API mlp_status mlp_model_classify_with_ex(const mlp_model *model,
                                              mlp_model_scratch *scratch, const float *raw_rows,
                                              size_t n, size_t *classes, float *outputs,
                                              mlp_error_detail *detail);
/** mlp_model_classify_with with a scratch made inside the call (as mlp_model_predict). */
MLP_API mlp_status mlp_model_classify(const mlp_model *model, const float *raw_rows, size_t n,
                                      size_t *classes);
/** mlp_model_classify with the outputs (NULL: not wanted) and a message in detail (may be
 * NULL), as mlp_model_classify_with_ex. */
MLP_API mlp_status mlp_model_classify_ex(const mlp_model *model, const float *raw_rows,
                                         size_t n, size_t *classes, float *outputs,
                                         mlp_error_detail *detail);

/** What mlp_model_evaluate measured. */
typedef struct mlp_model_metrics {
    size_t struct_size; /**< sizeof(mlp_model_metrics): set it; the call fills that many bytes */
    size_t count;       /**< records evaluated */
    double loss;        /**< mean loss per record: cross-entropy after a softmax output, else
                             the mean squared error over the outputs (MLP_LOSS_AUTO) */
    double accuracy;    /**< classification: the share of records whose argmax output is the
                             argmax target; NaN for regression */
    double rmse;        /**< regression: root mean squared error over records and outputs, in
                             the targets' units; NaN for classification */
} mlp_model_metrics;

/**
 * Loss, accuracy (classification) or RMSE (regression) of the model on a labelled data set
 * of raw records, each chunk scaled and run forward as mlp_model_predict_with runs it; the
 * numbers are those of mlp_evaluate on the scaled records, and what `mlp eval` prints.
 * @param model the model (only read)
 * @param scratch a scratch of the model's topology (its precision is used), or NULL for one
 *        made inside the call (mlp_model_scratch_create's precision: int8 for a quantized
 *        model whose int8 weights are current, else float)
 * @param data raw records with targets (input size n_0, target size n_L; only read)
 * @param metrics filled on success; its struct_size set by the caller
 * @param output_rmse n_L doubles receiving each output's RMSE (regression), or NULL
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return MLP_OK; NULL_ARG, INVALID_ARG (no records, metrics->struct_size too small),
 *         DIMENSION (data's sizes are not the model's), WORKSPACE_MISMATCH (scratch),
 *         NON_FINITE (an input value), NO_MEMORY; nothing is written on failure
 */
MLP_API mlp_status mlp_model_evaluate(const mlp_model *model, mlp_model_scratch *scratch,
                                      const mlp_dataset *data, mlp_model_metrics *metrics,
                                      double *output_rmse, mlp_error_detail *detail);
/** Outputs of every row of a raw table of text cells: its records as
 * mlp_model_table_inputs makes them (the model's table encoding, or the columns as numbers
 * without one) predicted as mlp_model_predict predicts.
 * @param model the model (only read)
 * @param table the rows (only read)
 * @param out rows x n_L outputs; unchanged on any error
 * @param report what the encoding met; may be NULL
 * @param detail the message on failure (naming the column); may be NULL
 * @return OK; INVALID_ARG (the table has no rows), NULL_ARG, and the errors of
 *         mlp_model_table_inputs and mlp_model_predict */
MLP_API mlp_status mlp_model_predict_table(const mlp_model *model, const mlp_table *table,
                                           float *out, mlp_table_report *report,
                                           mlp_error_detail *detail);

/**
 * The raw records of a table of text cells, ready for mlp_model_predict_with: encoded with
 * the model's table encoding when it has one (mlp_table_encode_inputs; the label columns may
 * be present, then ignored), else read as numbers, one column per input, where the table
 * may hold one column more, the label column, which is left out: the one named by label
 * (a header name, or a 0-based index in decimal), else the model's label column (by name
 * when the table has a header, else by index), else the last.
 * @param model the model (only read)
 * @param table the rows (only read)
 * @param label the column to leave out, or NULL; ignored with a table encoding
 * @param out receives a new data set (target size 0); unchanged on failure
 * @param report what the encoding met (without a table encoding: rows_read, the rest 0);
 *        may be NULL
 * @param detail the message on failure, naming the record and column; may be NULL
 * @return OK; NULL_ARG, INVALID_ARG (no rows; a column count that is neither the model's
 *         inputs nor one more; a label column not in the table), PARSE (a cell that is not a
 *         finite number; line and column in detail), the errors of mlp_table_encode_inputs,
 *         NO_MEMORY
 */
MLP_API mlp_status mlp_model_table_inputs(const mlp_model *model, const mlp_table *table,
                                          const char *label, mlp_dataset **out,
                                          mlp_table_report *report, mlp_error_detail *detail);
/** mlp_model_table_inputs with the detailed report (mlp_table_report_ex: invalid cells with
 * the first one's line, column and text).
 * @param model the model (only read)
 * @param table the rows (only read)
 * @param label as mlp_model_table_inputs
 * @param out receives a new data set (target size 0); unchanged on failure
 * @param report what the encoding met; may be NULL; struct_size must be its sizeof
 * @param detail the message on failure; may be NULL
 * @return as mlp_model_table_inputs; INVALID_ARG also for another struct_size */
MLP_API mlp_status mlp_model_table_inputs_ex(const mlp_model *model, const mlp_table *table,
                                             const char *label, mlp_dataset **out,
                                             mlp_table_report_ex *report,
                                             mlp_error_detail *detail);

/** Attaches a copy of a table encoding to the model's preprocessing
 * (mlp_preprocess_set_encoding), so that mlp_model_write saves it and
 * mlp_model_predict_table can encode raw tables. Needs the model to itself.
 * @param model the model
 * @param enc the encoding, copied; NULL removes the one attached
 * @return OK; DIMENSION (enc's input size is not the model's), INVALID_ARG (enc does not
 *         fit the net or the labels: its classes are not the net's outputs or the
 *         preprocessing's classes in the same order, its labels are not the outputs of a
 *         regression, or it is a regression and the net ends in a softmax), NULL_ARG,
 *         NO_MEMORY (the model unchanged in every failure) */
MLP_API mlp_status mlp_model_set_encoding(mlp_model *model, const mlp_table_encoding *enc);
/** mlp_model_set_encoding with a message in detail (may be NULL) naming the argument and the
 * reason. */
MLP_API mlp_status mlp_model_set_encoding_ex(mlp_model *model, const mlp_table_encoding *enc,
                                             mlp_error_detail *detail);
/** A new model for the data set train: net n_0 = input size, hidden layers, n_L = target
 * size, initialised with the seed; preprocessing scaling fitted on train (not applied to
 * it: train is only read) with its task, label column and class names; an optimizer.
 * config may be NULL (defaults). Errors: NULL_ARG, INVALID_ARG (empty data set, no target
 * columns, classification with fewer than 2, a hidden width of 0, a bad enum or optimizer
 * setting), SOFTMAX_HIDDEN, NON_FINITE (a NaN/inf input met by the scaling fit), NO_MEMORY;
 * *out unchanged on failure. */
MLP_API mlp_status mlp_model_build(mlp_model **out, const mlp_dataset *train,
                                   const mlp_model_config *config);
/** mlp_model_build with a message in detail (may be NULL) naming the argument or field and
 * the reason, such as "config->hidden_sizes[0] is 0: every hidden layer needs 1 neuron or
 * more" or "config->optimizer.learning_rate is -0.1, outside (0, inf)". */
MLP_API mlp_status mlp_model_build_ex(mlp_model **out, const mlp_dataset *train,
                                      const mlp_model_config *config,
                                      mlp_error_detail *detail);
/** Trains the model with mlp_train on the raw records of train (and val when not NULL and
 * not empty, for validation/early stopping), each scaled with the model's preprocessing in
 * a copy (the data sets are only read): the same steps as mlp_preprocess_apply on copies
 * and mlp_train with the model's net and optimizer. config NULL: mlp_train_config_default
 * with the loss chosen from the output layer (cross-entropy for softmax, else MSE). Sets
 * the model's epoch to result->epochs_run on success. result may be NULL. Costs a copy of
 * the inputs of train and val. Errors: NULL_ARG, INVALID_ARG (no optimizer in the model,
 * or an empty train), DIMENSION (data set sizes that do not fit the net), NO_MEMORY
 * (nothing changed), and mlp_train's (DIVERGED restores as mlp_train documents). */
MLP_API mlp_status mlp_model_train(mlp_model *model, const mlp_dataset *train,
                                   const mlp_dataset *val, const mlp_train_config *config,
                                   mlp_train_result *result);
/** mlp_model_train with a message in detail (may be NULL) naming the argument or field and
 * the reason, such as "config->patience is 5 but val is NULL: early stopping needs validation
 * data (or patience 0)" or "config->dropout is 1.5, outside [0, 1)". */
MLP_API mlp_status mlp_model_train_ex(mlp_model *model, const mlp_dataset *train,
                                      const mlp_dataset *val, const mlp_train_config *config,
                                      mlp_train_result *result, mlp_error_detail *detail);

/**
 * Quantizes the model's net for int8 inference (mlp_net_quantize) with calibration records
 * in raw form (scaled with the model's preprocessing in a copy, as mlp_model_predict does):
 * STATIC scales from them, or DYNAMIC ones when calibration is NULL or config asks for
 * DYNAMIC. mlp_model_predict and mlp_model_classify then run in int8; the float parameters
 * stay in the model as the reference (mlp_model_scratch_set_precision(s, FP32) runs them),
 * and mlp_model_write saves both.
 * @param model       the model, to itself for the call
 * @param calibration raw records, with n_0 inputs (targets ignored); may be NULL
 * @param config      NULL: mlp_quantize_config_default
 * @param detail      which argument and why on failure (may be NULL)
 * @return as mlp_net_quantize, and DIMENSION (calibration's input size differs)
 */
MLP_API mlp_status mlp_model_quantize(mlp_model *model, const mlp_dataset *calibration,
                                      const mlp_quantize_config *config,
                                      mlp_error_detail *detail);

/* ------------------------------------------------------------------ fitting in one call */

/** mlp_fit_config's train.epochs, batch_size and patience: chosen from the data. */
#define MLP_FIT_AUTO 0
/** mlp_fit_config's train.batch_size: every training record in one update (batch GD). */
#define MLP_FIT_FULL_BATCH ((size_t)-1)
/** mlp_fit_config's train.patience: no early stopping (the best epoch is still restored
 * when there is validation data). */
#define MLP_FIT_NO_EARLY_STOP ((size_t)-1)

/** What one epoch of a fit did, in the targets' units (regression losses and RMSE as the
 * data measures them, not in the standardised units the net trains in). */
typedef struct mlp_fit_epoch {
    size_t epoch;          /**< 0-based */
    size_t epochs;         /**< the epoch budget */
    double train_loss;     /**< mean loss per training record during the epoch (regression
                              with several outputs: the standardised loss times the mean of
                              the outputs' variances, exact for one output) */
    double val_loss;       /**< on the validation split; NaN without one */
    double val_metric;     /**< accuracy (classification) or RMSE (regression); NaN without */
    double test_loss;      /**< on mlp_fit_config's test data; NaN when none or not
                              evaluated this epoch */
    double test_metric;    /**< accuracy or RMSE on the test data; NaN as test_loss */
    float learning_rate;   /**< in force this epoch */
    double seconds;        /**< of training in this epoch */
} mlp_fit_epoch;

/** Called after every epoch of a fit; return false to stop (the fit then finishes as after
 * early stopping: best epoch restored, model selection, report). */
typedef bool (*mlp_fit_epoch_fn)(const mlp_fit_epoch *epoch, void *user_data);

/** The training run a fit delegates to: mlp_train's arguments and contract, plus user_data.
 * NULL in mlp_fit_config: mlp_train. Lets a caller train data-parallel (e.g. over MPI) while
 * the fit keeps its budget, split, scaling and model selection. */
typedef mlp_status (*mlp_fit_train_fn)(void *user_data, mlp_net *net, mlp_optimizer *opt,
                                       const float *inputs, const float *targets, size_t count,
                                       const float *val_inputs, const float *val_targets,
                                       size_t val_count, const mlp_train_config *config,
                                       mlp_train_result *result);

/**
 * What mlp_model_fit and mlp_model_fit_table do (mlp_fit_config_default: the `mlp train`
 * tool's defaults, which take everything from here). The embedded model and train configs
 * are read at their own struct_size.
 *
 * From model: hidden layers (128-64), activations (ReLU), bias mode, init, seed (1: weights,
 * shuffling, the validation split; dropout uses seed + 1), task (MLP_TASK_COUNT: from the
 * data), input scaling (STANDARD) and the optimizer (AdamW, lr 0.001, weight decay 0.3, MEAN
 * reduction; total_epochs 0 and step_epochs 0 take the epoch budget and a third of it).
 *
 * From train: loss (AUTO: cross-entropy for classification, MSE for regression; MSE with
 * classification gives a sigmoid output), epochs, batch_size and patience (MLP_FIT_AUTO:
 * from the record count, see below; MLP_FIT_FULL_BATCH, MLP_FIT_NO_EARLY_STOP), dropout,
 * threads, precision, progress and user_data (every call with the losses in the targets'
 * units), progress_every_batch, progress_interval (0: every ~256 records). start_epoch,
 * shuffle and restore_best are the fit's own (ignored).
 *
 * The budget (MLP_FIT_AUTO): with a validation split, batch = n/8 within [8, 32] for n
 * training records, epochs = about 20000 updates within [50, 2000], patience = epochs/10
 * within [10, 50]; without one, batch the same and 20 epochs.
 */
typedef struct mlp_fit_config {
    size_t struct_size;        /**< sizeof(mlp_fit_config), set by the _default call */
    mlp_model_config model;    /**< the net, its scaling and optimizer, the seed */
    mlp_train_config train;    /**< the training loop's settings (see above) */
    /** Part of the records held out for early stopping and model selection: < 0 automatic
     * (-1: from MLP_FIT_CV_MAX_RECORDS records up 0.15; from 20 up to that, none: k-fold
     * cross-validation instead, see cv_folds; below 20, none, and for regression
     * leave-one-out picks a ridge linear model or the mean instead of the net), 0 none,
     * else in (0, 1). Tables are split before the encoding is fitted, so it sees the
     * training part only. */
    double val_fraction;
    mlp_table_options table;   /**< mlp_model_fit_table: the encoding's options */
    /** Class names for classification data without any (e.g. IDX labels): class_count
     * names, one per output; NULL keeps the data set's. */
    const char *const *class_names;
    size_t class_count;        /**< entries of class_names */
    /** Test data watched while fitting, never trained on: evaluated at the end (the
     * report's test_ fields) and after every epoch when it holds at most twice the training
     * records (mlp_fit_epoch). test for mlp_model_fit, test_table (encoded with the fitted
     * encoding) for mlp_model_fit_table; NULL: none. */
    const mlp_dataset *test;
    const mlp_table *test_table; /**< see test */
    mlp_fit_epoch_fn epoch_callback; /**< after every epoch; may be NULL */
    void *epoch_user_data;     /**< passed to epoch_callback unchanged */
    mlp_fit_train_fn trainer;  /**< NULL: mlp_train */
    void *trainer_data;        /**< passed to trainer unchanged */
    /** mlp_model_fit_table: columns read as dates, as mlp_table_fit_options.date (NULL) */
    const char *table_date;
    /** mlp_model_fit_table: as mlp_table_fit_options.max_categories (0:
     * MLP_TABLE_MAX_CATEGORIES) */
    size_t table_max_categories;
    /** Model selection by k-fold cross-validation instead of a validation split: < 0
     * automatic (-1: MLP_FIT_CV_FOLDS folds when val_fraction is automatic and the records
     * number from 20 to below MLP_FIT_CV_MAX_RECORDS), 0 never, k >= 2 that many folds
     * (val_fraction must then be automatic or 0; a resumed fit never cross-validates).
     * Each candidate is fitted on k-1 folds and scored on the one left out: the net
     * (stopped early on 15% of its training folds; also with more weight decay, see
     * cv_decay_factor), the linear model at each penalty, the constant. The net or the
     * linear model with the lower pooled held-out loss wins (a classifier: unless the other
     * is more accurate by over one standard error) unless it beats the constant by no more
     * than one standard error (of the paired per-record difference; a classifier: in
     * accuracy, its loss also below the constant's): then the constant does. A linear
     * model or the constant
     * is fitted again on all the records; the net kept is the k fold nets with their
     * outputs averaged before the output activation, held as one net k times as wide
     * (block-diagonal; no optimizer state, so it cannot be resumed), or the best fold net
     * alone when that would pass 2^24 parameters or the bias is not per neuron. Inputs are
     * scaled (and tables encoded) on all the records. */
    int cv_folds;
    /** mlp_model_fit_table: the encoding's options with column arrays
     * (mlp_table_fit_options_default, then set what differs); when not NULL it replaces
     * table, table_date and table_max_categories, which are then ignored. Its task
     * MLP_TASK_COUNT takes model.task. (NULL) */
    const mlp_table_fit_options *table_options;
    /** Cross-validation also tries the net with model.optimizer.weight_decay times this
     * factor, and keeps the net with the lower pooled held-out loss (on a few hundred
     * records the default decay often lets the net overfit); 1 or less: only the config's
     * net, at half the training time. (10; the `mlp train` tool: 1 when --weight-decay is
     * given) */
    double cv_decay_factor;
} mlp_fit_config;

/** Folds of the automatic cross-validation (mlp_fit_config.cv_folds). */
#define MLP_FIT_CV_FOLDS 5

/** Records from which the automatic choice holds out a validation split instead of
 * cross-validating (chosen on bench/accuracy, see docs/accuracy.md). */
#define MLP_FIT_CV_MAX_RECORDS 2000

/** The defaults given in mlp_fit_config's comments. */
MLP_API mlp_fit_config mlp_fit_config_default(void);

/** Which model a fit kept (model selection on the validation split or by cross-validation,
 * or leave-one-out on tables too small to split). */
typedef enum mlp_fit_verdict {
    MLP_FIT_UNJUDGED = 0,     /**< no selection: no validation data, or a resumed run */
    MLP_FIT_NET = 1,          /**< the trained net did best (ties go to it on a validation
                                   split; see mlp_fit_config.cv_folds for the folds' rule) */
    MLP_FIT_LINEAR = 2,       /**< a linear model of the inputs replaced the net: ridge
                                   (regression) or softmax regression (classification) */
    MLP_FIT_CONSTANT = 3,     /**< the constant (training mean, class frequencies) did */
    MLP_FIT_LOO_LINEAR = 4,   /**< leave-one-out, under 20 records: the ridge model */
    MLP_FIT_LOO_CONSTANT = 5, /**< leave-one-out, under 20 records: the mean */
    MLP_FIT_VERDICT_COUNT     /**< the number of verdicts (not one) */
} mlp_fit_verdict;

/** Lines of text a report holds at most. */
#define MLP_FIT_REPORT_LINES 16
/** Size of each line of a report, NUL included. */
#define MLP_FIT_LINE_SIZE 384

/**
 * What a fit chose and measured. Set struct_size = sizeof(mlp_fit_report) before the call;
 * the fit fills that many bytes. The budget, split, task, encoding and the lines before
 * training (lines[0 .. lines_before_training)) are filled before the first epoch, so a
 * progress or epoch callback may print them; the rest at the end. Losses and RMSE are in the
 * targets' units; metric is accuracy (classification) or RMSE (regression).
 */
typedef struct mlp_fit_report {
    size_t struct_size;         /**< sizeof(mlp_fit_report), set by the caller */
    mlp_task task;              /**< the task fitted */
    mlp_loss loss;              /**< the loss trained (never AUTO) */
    size_t records;             /**< training records (table: rows) given, before the split */
    size_t train_count;         /**< records trained on */
    size_t val_count;           /**< validation split (0: none) */
    size_t test_count;          /**< test records (0: none) */
    double val_fraction;        /**< the fraction in effect */
    bool val_auto;              /**< val_fraction was chosen from the record count */
    size_t batch_size;          /**< in effect (0: full batch) */
    bool batch_auto;            /**< chosen from the record count */
    size_t epochs;              /**< the epoch budget (total, counting a resumed run's) */
    bool epochs_auto;           /**< chosen from the record count */
    size_t patience;            /**< early stopping's patience (0: off) */
    bool patience_auto;         /**< chosen from the epoch budget */
    size_t input_size;          /**< features after encoding */
    size_t param_count;         /**< of the net trained */
    size_t start_epoch;         /**< > 0 for a resumed run */
    size_t epochs_run;          /**< epochs completed, counting from 0 */
    size_t best_epoch;          /**< 0-based epoch restored (the last without validation) */
    bool stopped_early;         /**< early stopping ended the run */
    bool stopped_by_callback;   /**< a callback returned false */
    double train_seconds;       /**< training time, less the per-epoch test evaluations */
    double net_val_loss;        /**< model selection: the net's validation loss (LOO: NaN) */
    double linear_val_loss;     /**< the linear model's: ridge, or softmax regression for a
                                   softmax classifier (LOO: its mean squared error); NaN
                                   when not a candidate (sigmoid or MSE classifiers) */
    double constant_val_loss;   /**< the constant's (LOO: its mean squared error) */
    double linear_alpha;        /**< the linear model's L2 penalty per record chosen; NaN
                                   if none */
    mlp_fit_verdict verdict;    /**< the model kept */
    double train_loss;          /**< the model kept, on the training records */
    double train_metric;        /**< its accuracy or RMSE there */
    double val_loss;            /**< on the validation split; NaN without */
    double val_metric;          /**< accuracy or RMSE there; NaN without */
    double test_loss;           /**< on the test data; NaN without */
    double test_metric;         /**< accuracy or RMSE there; NaN without */
    /** mlp_model_fit_table: the encoding fitted (owned by the model once the call returns;
     * valid while it lives); NULL otherwise. */
    const mlp_table_encoding *encoding;
    /** mlp_model_fit_table: what encoding met in the training part, the validation split
     * and the test table. */
    mlp_table_report table_reports[3];
    size_t line_count;            /**< lines filled */
    size_t lines_before_training; /**< lines[0 .. this) describe the run before training */
    /** The report as text, one line each, without a newline: the budget and why, the data,
     * the net, the training settings; after training the epochs run and restored, the model
     * selection's candidates and verdict. The `mlp train` tool prints these lines. */
    char lines[MLP_FIT_REPORT_LINES][MLP_FIT_LINE_SIZE];
    /** Folds of the cross-validation that chose the model (0: none); the *_val_loss fields
     * then hold each candidate's held-out loss pooled over the folds, train_seconds the
     * fold nets' training, and epochs_run stays 0 (no net is trained on all records). */
    size_t cv_folds;
} mlp_fit_report;

/**
 * Fits a model to a data set as `mlp train` does: the budget from the record count, a
 * seeded validation split, input scaling fitted on the training part, regression targets
 * standardised while training and folded into the output layer (the model predicts in the
 * data's units), early stopping with the best epoch restored, then model selection on the
 * validation split between the trained net, a ridge linear model of the inputs and the
 * constant (mean or class frequencies); under 20 records without a split, leave-one-out
 * between ridge and the mean (regression). The same data, config and seed give the same
 * model, bit for bit.
 * @param out receives the model (net, preprocessing, optimizer unless a linear or
 *        leave-one-out model was kept, epoch); unchanged on failure
 * @param train the training records, raw (only read); classification when it has class
 *        names (or config->class_names) unless config->model.task says otherwise
 * @param config settings; NULL: mlp_fit_config_default()
 * @param report receives what was chosen and measured; may be NULL
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return OK; NULL_ARG; INVALID_ARG (a setting out of range or impossible: a zeroed config,
 *         a hidden width of 0, a learning rate <= 0, dropout outside [0, 1), patience
 *         without validation data, regression with a bias mode the target scaling cannot
 *         be folded into: all before training); NON_FINITE (also, before training, a
 *         regression target, training, validation or test, not finite, beyond +-1e30 or
 *         further than 1e15 from the training mean, whose loss would overflow float: the
 *         detail names the column and the record; after training, a fitted model with a
 *         NaN or infinite parameter or loss: no model is made);
 *         NO_MEMORY; DIVERGED and the
 *         errors of mlp_train (or the trainer's)
 */
MLP_API mlp_status mlp_model_fit(mlp_model **out, const mlp_dataset *train,
                                 const mlp_fit_config *config, mlp_fit_report *report,
                                 mlp_error_detail *detail);

/**
 * mlp_model_fit on a table of text cells: the validation split is taken from the table
 * first, the encoding (config->table) is fitted on the training part only and stored in the
 * model (mlp_model_predict_table then reads raw tables), then the encoded parts are fitted
 * as mlp_model_fit fits them.
 * @param out receives the model; unchanged on failure
 * @param train the training table (only read)
 * @param config settings; NULL: mlp_fit_config_default()
 * @param report receives what was chosen and measured; may be NULL
 * @param detail receives the argument and the reason (or the column and line) on failure
 * @return as mlp_model_fit, and the errors of mlp_table_encoding_fit and mlp_table_encode
 */
MLP_API mlp_status mlp_model_fit_table(mlp_model **out, const mlp_table *train,
                                       const mlp_fit_config *config, mlp_fit_report *report,
                                       mlp_error_detail *detail);

/**
 * Continues a saved fit (mlp_model_open of a model that has an optimizer) up to
 * config->train.epochs in all, as if it had not stopped: the model's own preprocessing,
 * optimizer and epoch; regression targets standardised again with the training data's mean
 * and deviation, the net unfolded with them, trained, and folded back (on the same data the
 * same space as the first run). No budget is chosen and no model selection runs; the
 * validation split (config->val_fraction > 0, taken as the first run took it) only restores
 * the best epoch and stops early. Everything else in config (net, optimizer, scaling) is the
 * model's, not config's.
 * @param model the model to continue (needs it to itself)
 * @param train the training records, raw, with the model's input and output sizes
 * @param config train.epochs (> the model's epoch), patience, batch_size (MLP_FIT_AUTO: the
 *        fit's rule on these records, what an automatic first run chose), progress,
 *        threads, precision, dropout, val_fraction, model.seed (the split's; shuffling
 *        continues from the model's RNG)
 * @param report receives what happened; may be NULL
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return OK, the errors of mlp_model_fit, INVALID_ARG (no optimizer, epochs not above the
 *         model's), DIMENSION (data of other sizes)
 */
MLP_API mlp_status mlp_model_resume(mlp_model *model, const mlp_dataset *train,
                                    const mlp_fit_config *config, mlp_fit_report *report,
                                    mlp_error_detail *detail);

/**
 * mlp_model_resume on a table, encoded with the model's encoding (INVALID_ARG when it has
 * none); a validation split is taken from the table before encoding, as the fit took it.
 * @param model the model to continue
 * @param train the training table (only read)
 * @param config as mlp_model_resume
 * @param report receives what happened; may be NULL
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return as mlp_model_resume, and the errors of mlp_table_encode
 */
MLP_API mlp_status mlp_model_resume_table(mlp_model *model, const mlp_table *train,
                                          const mlp_fit_config *config, mlp_fit_report *report,
                                          mlp_error_detail *detail);

/* ------------------------------------------------------------------ ONNX */

/*
 * ONNX interop (docs/onnx.md): models trained elsewhere (torch.onnx.export) run through
 * libmlp, and libmlp models run in ONNX Runtime. Needs a build with protobuf-c (meson option
 * onnx); without it every call below returns MLP_ERR_UNSUPPORTED with a message.
 */

/**
 * Whether this build reads and writes ONNX.
 * @param detail filled with the reason when it does not (may be NULL)
 * @return MLP_OK; MLP_ERR_UNSUPPORTED (built without protobuf-c, meson option onnx)
 */
MLP_API mlp_status mlp_onnx_supported(mlp_error_detail *detail);

/**
 * A model from an ONNX file holding a feed-forward MLP, as torch.onnx.export writes one: a
 * chain from the one float input to the one output of Gemm (transB, alpha, beta folded) or
 * MatMul (+ Add of a bias) layers, each followed by at most one of Relu, LeakyRelu (alpha
 * MLP_LEAKY_RELU_SLOPE only), Sigmoid, Tanh, or (last layer only) Softmax or LogSoftmax;
 * Identity anywhere; Flatten or Reshape to (batch, n_0) and input scaling (Sub of an offset,
 * then Mul or Div by a scale) before the first layer. Opsets 7 to 21; initializers as raw data
 * or float lists, or Constant nodes. LogSoftmax is imported as softmax: the model's outputs
 * are then probabilities, the exp of the file's (same argmax). The model has identity
 * preprocessing unless the file scaled its input, task CLASSIFY after softmax and REGRESS
 * otherwise, and an optimizer (mlp_model_config_default's), so mlp_model_train trains it
 * further. Anything else (another operator, a branch, a cycle, an attribute the library
 * cannot honour, a non-float tensor, external data) is refused, never approximated.
 * @param out receives the new model (mlp_model_free); unchanged on failure
 * @param path the .onnx file
 * @param detail the reason on failure, naming the node and operator where one is at fault
 *        (may be NULL)
 * @return MLP_OK; IO; FORMAT (not an ONNX model, or a graph libmlp cannot run: detail says
 *         why); TRUNCATED; UNSUPPORTED (no ONNX in this build); NULL_ARG; NO_MEMORY
 */
MLP_API mlp_status mlp_model_import_onnx(mlp_model **out, const char *path,
                                         mlp_error_detail *detail);

/**
 * mlp_model_import_onnx from the bytes of an ONNX model in memory (only read).
 * @param out receives the new model; unchanged on failure
 * @param data the ONNX model's bytes
 * @param size their count
 * @param detail the reason on failure (may be NULL)
 * @return as mlp_model_import_onnx, without IO
 */
MLP_API mlp_status mlp_model_import_onnx_mem(mlp_model **out, const void *data, size_t size,
                                             mlp_error_detail *detail);

/**
 * Writes the model as an ONNX graph (opset 13) that ONNX Runtime runs with the model's
 * outputs: input "input" (batch x n_0 raw floats), the scaling as Sub (offset) and Mul
 * (scale), one Gemm per layer (weights as stored, transB = 1; the bias as a vector per
 * neuron, a scalar per layer or network, or none), its activation, output "output"
 * (batch x n_L). A table encoding is not exported: feed the ONNX graph the encoded rows
 * (mlp_model_table_inputs). A quantized net (mlp_model_quantize) is written with its float
 * parameters. Atomic, as mlp_model_write_parts.
 * @param model the model (only read)
 * @param path the file to write
 * @param detail the reason on failure (may be NULL)
 * @return MLP_OK; IO; UNSUPPORTED (no ONNX in this build); NULL_ARG; NO_MEMORY
 */
MLP_API mlp_status mlp_model_export_onnx(const mlp_model *model, const char *path,
                                         mlp_error_detail *detail);

/**
 * The ONNX graph of mlp_model_export_onnx in memory.
 * @param model the model (only read)
 * @param data receives a new buffer, to free with mlp_free; unchanged on failure
 * @param size receives its length in bytes; unchanged on failure
 * @param detail the reason on failure (may be NULL)
 * @return as mlp_model_export_onnx, without IO
 */
MLP_API mlp_status mlp_model_export_onnx_mem(const mlp_model *model, void **data, size_t *size,
                                             mlp_error_detail *detail);

/* ------------------------------------------------------------------ network */

/** Creates a net with n_layers weight layers. sizes has n_layers+1 entries (inputs first,
 * all >= 1); activations has n_layers entries (softmax only on the last). Parameters start
 * at zero and the RNG at seed 0: call mlp_net_init. *out receives a net to free with
 * mlp_net_free. Errors: NULL_ARG, INVALID_ARG, SOFTMAX_HIDDEN, NO_MEMORY. */
MLP_API mlp_status mlp_net_create(mlp_net **out, size_t n_layers, const size_t *sizes,
                                  const mlp_activation *activations, mlp_bias_mode bias_mode);

/**
 * mlp_net_create with a message on failure.
 * @param out receives the net
 * @param n_layers weight layers, >= 1
 * @param sizes n_layers + 1 widths, each in [1, INT_MAX]
 * @param activations n_layers activations (softmax only on the last)
 * @param bias_mode bias mode
 * @param detail receives the message on failure; may be NULL
 * @return as mlp_net_create
 */
MLP_API mlp_status mlp_net_create_ex(mlp_net **out, size_t n_layers, const size_t *sizes,
                                     const mlp_activation *activations, mlp_bias_mode bias_mode,
                                     mlp_error_detail *detail);
MLP_API void mlp_net_free(mlp_net *net); /**< NULL is a no-op, as for every _free */
/** A deep copy: topology, parameters, RNG state and int8 weights (mlp_net_quantize). */
MLP_API mlp_status mlp_net_clone(mlp_net **out, const mlp_net *src);
/** mlp_net_clone with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_clone_ex(mlp_net **out, const mlp_net *src,
                                    mlp_error_detail *detail);
/** Copies the parameters of src into dst; DIMENSION unless the topologies are equal. */
MLP_API mlp_status mlp_net_copy_params(mlp_net *dst, const mlp_net *src);
/** mlp_net_copy_params with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_copy_params_ex(mlp_net *dst, const mlp_net *src,
                                          mlp_error_detail *detail);

/** Seeds the net's RNG and initialises every layer with `scheme` (AUTO picks per layer
 * from its activation); biases are set to zero. Same seed, same parameters. */
MLP_API mlp_status mlp_net_init(mlp_net *net, mlp_init scheme, uint64_t seed);
/** mlp_net_init with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_init_ex(mlp_net *net, mlp_init scheme, uint64_t seed,
                                   mlp_error_detail *detail);
/** Re-initialises one layer's weights with `scheme`, drawing from the net's RNG. */
MLP_API mlp_status mlp_net_init_layer(mlp_net *net, size_t layer, mlp_init scheme);
/** mlp_net_init_layer with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_net_init_layer_ex(mlp_net *net, size_t layer, mlp_init scheme,
                                         mlp_error_detail *detail);
/** Reseeds the RNG used by initialisation and shuffling (mlp_train). */
MLP_API void mlp_net_seed(mlp_net *net, uint64_t seed);

/** Number of weight layers L (0 for NULL). */
MLP_API size_t mlp_net_layer_count(const mlp_net *net);
/** Width n_i for i = 0 (inputs) .. layer_count (outputs); 0 when out of range. */
MLP_API size_t mlp_net_size(const mlp_net *net, size_t i);
/** Inputs per record, n_0. */
MLP_API size_t mlp_net_input_size(const mlp_net *net);
/** Outputs per record, n_L. */
MLP_API size_t mlp_net_output_size(const mlp_net *net);
/** Activation of weight layer `layer`; MLP_ACT_COUNT when out of range. */
MLP_API mlp_activation mlp_net_activation(const mlp_net *net, size_t layer);
/** The net's bias mode. */
MLP_API mlp_bias_mode mlp_net_bias_mode(const mlp_net *net);
/**
 * The parameter vector I: every trainable number in one contiguous float buffer.
 * Layout, layer k = 0 .. L-1 in order:
 *   W_k   n_(k+1) x n_k, row-major (row j holds the weights into neuron j)
 *   b_k   n_(k+1) floats (PER_NEURON), 1 float (PER_LAYER), nothing otherwise
 * then, for PER_NETWORK only, the one shared bias as the last float.
 * Gradients and optimizer state use exactly this layout.
 */
MLP_API size_t mlp_net_param_count(const mlp_net *net);
/** The parameter vector (mlp_net_param_count floats, the layout above), writable: changing it
 * changes the net. Owned by the net. */
MLP_API float *mlp_net_params(mlp_net *net);
/** The parameter vector, read-only. */
MLP_API const float *mlp_net_params_const(const mlp_net *net);

/**
 * The precision of the last training step applied to net's parameters (mlp_train_step,
 * mlp_train; set by mlp_model_open_parts from the file), recorded in model files.
 * @param net the net
 * @return MLP_PRECISION_BF16 when the last step ran its GEMMs in bf16, else
 *         MLP_PRECISION_FP32 (also for a new net and for NULL)
 */
MLP_API mlp_precision mlp_net_trained_precision(const mlp_net *net);

/* ------------------------------------------------------------------ workspace */

/** A workspace for net's topology and batches of up to max_batch records (>= 1), for every
 * pass: forward, gradient, training. Errors: NULL_ARG, INVALID_ARG, NO_MEMORY. */
MLP_API mlp_status mlp_workspace_create(mlp_workspace **out, const mlp_net *net, size_t max_batch);
/** mlp_workspace_create with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_create_ex(mlp_workspace **out, const mlp_net *net,
                                           size_t max_batch, mlp_error_detail *detail);
/** A workspace for mlp_forward and mlp_evaluate only: activations and outputs, no deltas and
 * no gradient buffer (mlp_net_param_count floats fewer). mlp_gradient, mlp_gradient_accumulate,
 * mlp_train_step and mlp_workspace_set_dropout refuse it (INVALID_ARG) and
 * mlp_workspace_gradient returns NULL for it. mlp_workspace_set_threads gives it packed
 * float passes (see there) and splits its int8 passes. */
MLP_API mlp_status mlp_workspace_create_inference(mlp_workspace **out, const mlp_net *net,
                                                  size_t max_batch);
/** mlp_workspace_create_inference with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_create_inference_ex(mlp_workspace **out, const mlp_net *net,
                                                     size_t max_batch,
                                                     mlp_error_detail *detail);
/** Bytes of the buffers ws holds (activations, deltas, gradient, dropout masks), for
 * budgeting; not counting worker threads (mlp_workspace_set_threads). 0 for NULL. */
MLP_API size_t mlp_workspace_bytes(const mlp_workspace *ws);
/** Frees ws and joins its worker threads; NULL is a no-op. */
MLP_API void mlp_workspace_free(mlp_workspace *ws);
/** The largest batch ws takes. */
MLP_API size_t mlp_workspace_max_batch(const mlp_workspace *ws);
/** Inverted dropout on hidden-layer outputs during mlp_gradient/mlp_train_step with this
 * workspace (rate in [0,1), 0 turns it off): each hidden output is multiplied by 0 (with
 * probability rate) or 1/(1-rate), and backpropagation uses the same mask with the
 * derivative g'(a) of the undropped output. Masks are drawn from an RNG seeded here and kept
 * in the workspace, which allocates a mask and an undropped copy of every hidden layer's
 * outputs (max_batch rows each). mlp_forward never drops. */
MLP_API mlp_status mlp_workspace_set_dropout(mlp_workspace *ws, float rate, uint64_t seed);
/** mlp_workspace_set_dropout with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_set_dropout_ex(mlp_workspace *ws, float rate, uint64_t seed,
                                                mlp_error_detail *detail);
/** Gives ws n - 1 worker threads of its own (n in [1, 256]; 1, the default, means none and
 * joins any). One-record plain SGD (mlp_train_step and mlp_train at batch 1, no dropout)
 * then splits every layer of at least 131072 weights by rows across the n threads, the calling
 * thread included: each thread keeps the same rows, so a layer too large for one core's
 * cache fits in several. Results are deterministic (fixed split, fixed summation order)
 * and equal the single-thread ones up to float rounding. On an inference workspace in
 * MLP_PRECISION_FP32 (any n, 1 included; bf16 ones refuse threads: INVALID_ARG) this call
 * also allocates a packed copy of the weights (about the size of the weights, kept until
 * the workspace is freed, counted in mlp_workspace_bytes) where the CPU has AVX-512: its float
 * forward passes then run from weights packed once for the CPU's kernels, split across the
 * n threads (a batch by records, one record by outputs). The packed copy is remade when
 * the parameters change (mlp_net_param_version, or another net), at the second pass that
 * sees the new ones: a pass after every training step stays unpacked. In MLP_PRECISION_INT8
 * its passes split the outputs of every layer of at least 131072 weights (results equal
 * the single-thread ones bit for bit). Idle workers
 * spin briefly, then
 * sleep; mlp_workspace_free joins them. Use it when the process has that many idle cores
 * (with OpenBLAS threads, mind mlp_set_threads). Errors: NULL_ARG, INVALID_ARG, NO_MEMORY
 * (threads or memory unavailable; the previous setting is kept). */
MLP_API mlp_status mlp_workspace_set_threads(mlp_workspace *ws, int n);
/** mlp_workspace_set_threads with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_set_threads_ex(mlp_workspace *ws, int n,
                                                mlp_error_detail *detail);
/** Output rows of the last mlp_forward/mlp_gradient call (batch x n_L), owned by ws. */
MLP_API const float *mlp_workspace_output(const mlp_workspace *ws);
/** The workspace's gradient buffer (mlp_net_param_count floats) that mlp_train_step fills
 * (except for plain SGD, whose update is fused; see mlp_train_step). */
MLP_API float *mlp_workspace_gradient(mlp_workspace *ws);

/**
 * Whether this build and this CPU run `precision` natively. FP32 always does; BF16 needs
 * a library built with oneDNN and a CPU with AVX512_BF16 (or AMX-BF16): bf16 is never
 * emulated.
 * @param precision the precision asked for
 * @param detail    filled with the reason when it is not supported (may be NULL)
 * @return MLP_OK; MLP_ERR_UNSUPPORTED (no oneDNN in this build, or the CPU lacks native
 *         bf16); MLP_ERR_INVALID_ARG for an unknown value
 */
MLP_API mlp_status mlp_precision_supported(mlp_precision precision, mlp_error_detail *detail);

/**
 * Sets the precision of ws's batch passes (2 records or more: mlp_forward, mlp_evaluate,
 * mlp_gradient, mlp_train_step; one-record passes stay float). BF16 runs in bf16 the layers
 * large enough for it to pay (mlp_layer_precision's size rule, at ws's max batch; the others
 * stay float: mlp_workspace_layer_precision says which, mlp_workspace_set_layer_precision
 * overrides it). It keeps a bfloat16 copy of those layers' weights, made from the float
 * parameters when a pass finds them changed (mlp_net_param_version, with the net's
 * identity: a pass with another net, or after any call that bumps the counter, remakes them;
 * a training step in this workspace refreshes them inside its update, so inference calls
 * and the next step reuse them), and bfloat16 copies of the activations and
 * deltas: about 2 bytes per weight plus 2 x max_batch x (n_0 + ... + n_L) bytes more
 * (mlp_workspace_bytes counts them). Unlike float passes, bf16 ones allocate: oneDNN builds
 * small temporaries on every GEMM call (about 30 allocations per pass, all freed before it
 * returns), and oneDNN's memory does not go through mlp_set_allocator (the bf16 copies
 * above do). Results then differ from float ones by bf16 rounding:
 * relative errors near 2^-8 x sqrt(accumulation length) in each product. FP32 frees them;
 * float results are then bit for bit those of a workspace never set to BF16.
 * INT8 (inference workspaces only; INVALID_ARG for a training one) runs the int8 weights of
 * a quantized net (mlp_net_quantize), one-record passes included: a pass with a net that
 * has none, or stale ones, fails with MLP_ERR_STATE. Inference workspaces made for a
 * quantized net start in INT8.
 * @param ws        the workspace (training or inference)
 * @param precision MLP_PRECISION_FP32, MLP_PRECISION_BF16 or MLP_PRECISION_INT8
 * @return MLP_OK; MLP_ERR_NULL_ARG; MLP_ERR_INVALID_ARG (unknown value);
 *         MLP_ERR_UNSUPPORTED (see mlp_precision_supported); MLP_ERR_NO_MEMORY; on failure
 *         the previous setting is kept
 */
MLP_API mlp_status mlp_workspace_set_precision(mlp_workspace *ws, mlp_precision precision);
/** mlp_workspace_set_precision with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_set_precision_ex(mlp_workspace *ws, mlp_precision precision,
                                                  mlp_error_detail *detail);

/**
 * The precision of ws's batch passes.
 * @param ws the workspace
 * @return its precision; MLP_PRECISION_FP32 for NULL
 */
MLP_API mlp_precision mlp_workspace_precision(const mlp_workspace *ws);

/**
 * The precision layer `layer` of net runs its batch products in, in a workspace of max
 * batch `batch` set to `precision`. For BF16 the size rule: a layer runs in bf16 when
 * batch x n_in x n_out is at least 1M (2^20) multiply-adds, below which the fixed cost of a
 * bf16 product (waking oneDNN's threads) outweighs its faster arithmetic, or at least 32k
 * where OpenMP runs oneDNN on one thread (OMP_NUM_THREADS=1, read when this is called);
 * measured: lib/engine/bf16_layer_rule.c. Smaller layers run in float; one record
 * (batch < 2) is always float. FP32 and INT8 as given.
 * @param net       the net
 * @param layer     0 .. n_layers - 1
 * @param batch     the workspace's max batch
 * @param precision the workspace's precision
 * @return the layer's precision; MLP_PRECISION_COUNT for NULL, a layer out of range or an
 *         unknown precision
 */
MLP_API mlp_precision mlp_layer_precision(const mlp_net *net, size_t layer, size_t batch,
                                          mlp_precision precision);

/**
 * The precision layer `layer` of ws's batch passes runs in: for a BF16 workspace, BF16 or
 * FP32 per layer (mlp_layer_precision at its max batch, or as set by
 * mlp_workspace_set_layer_precision); else the workspace's precision.
 * @return the precision; MLP_PRECISION_COUNT for NULL or a layer out of range
 */
MLP_API mlp_precision mlp_workspace_layer_precision(const mlp_workspace *ws, size_t layer);

/**
 * Overrides the size rule for one layer of a BF16 workspace: BF16 runs that layer's
 * products in bf16 however small, FP32 in float. mlp_workspace_set_precision (BF16 again
 * after another precision) applies the rule anew.
 * @param ws        a workspace set to MLP_PRECISION_BF16
 * @param layer     0 .. n_layers - 1
 * @param precision MLP_PRECISION_BF16 or MLP_PRECISION_FP32
 * @return MLP_OK; NULL_ARG; INVALID_ARG (layer out of range, another precision, or ws not
 *         in BF16)
 */
MLP_API mlp_status mlp_workspace_set_layer_precision(mlp_workspace *ws, size_t layer,
                                                     mlp_precision precision);
/** mlp_workspace_set_layer_precision with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_workspace_set_layer_precision_ex(mlp_workspace *ws, size_t layer,
                                                        mlp_precision precision,
                                                        mlp_error_detail *detail);

/* ------------------------------------------------------------------ int8 inference */

/**
 * Quantizes net for int8 inference: every weight matrix to int8, one scale per output
 * neuron (symmetric: the neuron's largest |weight| maps to 127); the inputs of each layer
 * to 8 bits at every pass (unsigned 0..255 after ReLU, sigmoid or softmax, which are never
 * negative, else -127..127), scaled by the calibration set's largest value per layer
 * (STATIC) or by each record's own (DYNAMIC: a record's result never depends on the others
 * in its batch). Biases and activations stay float. The float parameters are kept and stay
 * the reference: workspaces made for the net afterwards (mlp_workspace_create_inference)
 * run in MLP_PRECISION_INT8, and mlp_workspace_set_precision(ws, MLP_PRECISION_FP32) runs
 * the float net again. Model files keep the int8 weights and scales (format version 4).
 * A later change of the parameters (mlp_net_param_version) makes the int8 weights stale:
 * int8 passes then fail with MLP_ERR_STATE until the net is quantized again.
 * @param net         the net (its int8 weights are replaced)
 * @param calibration scaled inputs (rows x n_0, as mlp_forward takes them); NULL (rows 0)
 *                    for DYNAMIC
 * @param rows        records in calibration
 * @param config      NULL: mlp_quantize_config_default
 * @param detail      which argument and why on failure (may be NULL)
 * @return MLP_OK; NULL_ARG; INVALID_ARG (bad config, STATIC without calibration rows);
 *         NON_FINITE (calibration values); NO_MEMORY; on failure net is unchanged
 */
MLP_API mlp_status mlp_net_quantize(mlp_net *net, const float *calibration, size_t rows,
                                    const mlp_quantize_config *config,
                                    mlp_error_detail *detail);
/** Whether net holds int8 weights (mlp_net_quantize, or a quantized model file); they may be
 * stale (see mlp_net_quantize). 0 for NULL. */
MLP_API int mlp_net_is_quantized(const mlp_net *net);
/** The activation mode of a quantized net; MLP_QUANTIZE_COUNT when it is not quantized. */
MLP_API mlp_quantize_mode mlp_net_quantize_mode(const mlp_net *net);
/** Drops net's int8 weights (a no-op when it has none): the float net alone remains. */
MLP_API void mlp_net_dequantize(mlp_net *net);

/* ------------------------------------------------------------------ propagation */

/** Forward pass of `batch` rows (batch x n_0) into outputs (batch x n_L; may be NULL, then
 * read mlp_workspace_output). sgemm for batches, sgemv for one record. inputs may be rows
 * of ws's own output (mlp_workspace_output, e.g. an autoencoder fed back): they are copied
 * first. Errors: NULL_ARG, WORKSPACE_MISMATCH, INVALID_ARG (batch 0), BATCH_TOO_LARGE. */
MLP_API mlp_status mlp_forward(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                               size_t batch, float *outputs);
/** mlp_forward with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_forward_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                  size_t batch, float *outputs, mlp_error_detail *detail);

/** Backpropagation: writes sum_i grad C_i over the batch into grad (mlp_net_param_count floats)
 * and, if loss_sum is not NULL, sum_i C_i. targets is batch x n_L. Errors as mlp_forward,
 * and INVALID_ARG when the loss does not fit the net (cross-entropy needs softmax) or when
 * inputs or targets lie in ws's buffers (mlp_workspace_output, mlp_workspace_gradient),
 * which the pass overwrites before it reads them, or grad does without being
 * mlp_workspace_gradient(ws); NON_FINITE (grad untouched) when an input or target value is
 * NaN or infinite. */
MLP_API mlp_status mlp_gradient(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                const float *targets, size_t batch, mlp_loss loss,
                                float *grad, double *loss_sum);
/** mlp_gradient with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_gradient_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                   const float *targets, size_t batch, mlp_loss loss,
                                   float *grad, double *loss_sum, mlp_error_detail *detail);
/** The same, adding into grad instead of overwriting it (for sums over several chunks). */
MLP_API mlp_status mlp_gradient_accumulate(const mlp_net *net, mlp_workspace *ws,
                                           const float *inputs, const float *targets,
                                           size_t batch, mlp_loss loss, float *grad,
                                           double *loss_sum);
/** mlp_gradient_accumulate with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_gradient_accumulate_ex(const mlp_net *net, mlp_workspace *ws,
                                              const float *inputs, const float *targets,
                                              size_t batch, mlp_loss loss, float *grad,
                                              double *loss_sum, mlp_error_detail *detail);

/** Mean loss and accuracy of count records, run in chunks of the workspace's max batch
 * (accuracy: argmax of outputs vs argmax of targets; NaN when n_L == 1). Either out pointer
 * may be NULL. */
MLP_API mlp_status mlp_evaluate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                const float *targets, size_t count, mlp_loss loss,
                                double *mean_loss, double *accuracy);
/** mlp_evaluate with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_evaluate_ex(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                                   const float *targets, size_t count, mlp_loss loss,
                                   double *mean_loss, double *accuracy,
                                   mlp_error_detail *detail);

/* ------------------------------------------------------------------ optimizer */

/** An optimizer for nets of net's topology; its state (zeroed) has the parameter layout.
 * Errors: NULL_ARG, NON_FINITE (a NaN/Inf setting), INVALID_ARG (a setting out of the
 * range given above), NO_MEMORY. */
MLP_API mlp_status mlp_optimizer_create(mlp_optimizer **out, const mlp_net *net,
                                        const mlp_optimizer_config *config);

/**
 * mlp_optimizer_create with a message on failure.
 * @param out receives the optimizer
 * @param net a net of the topology to optimize
 * @param config settings (mlp_optimizer_config_default)
 * @param detail receives the message on failure; may be NULL
 * @return as mlp_optimizer_create
 */
MLP_API mlp_status mlp_optimizer_create_ex(mlp_optimizer **out, const mlp_net *net,
                                           const mlp_optimizer_config *config,
                                           mlp_error_detail *detail);
/** Frees opt; NULL is a no-op. */
MLP_API void mlp_optimizer_free(mlp_optimizer *opt);
/** The settings opt was made with (owned by opt). */
MLP_API const mlp_optimizer_config *mlp_optimizer_settings(const mlp_optimizer *opt);
/** Applies one update from grad (the sum over `batch` records, as mlp_gradient gives it).
 * Errors: NULL_ARG, WORKSPACE_MISMATCH (opt made for another topology), INVALID_ARG
 * (batch 0, or the step count at MLP_OPTIMIZER_MAX_STEPS). */
MLP_API mlp_status mlp_optimizer_step(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                      size_t batch);
/** mlp_optimizer_step with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_optimizer_step_ex(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                         size_t batch, mlp_error_detail *detail);
/** Sets the epoch the schedule is evaluated at (mlp_train calls it every epoch). */
MLP_API mlp_status mlp_optimizer_set_epoch(mlp_optimizer *opt, size_t epoch);
/** mlp_optimizer_set_epoch with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_optimizer_set_epoch_ex(mlp_optimizer *opt, size_t epoch,
                                              mlp_error_detail *detail);
/** Learning rate in force now (after the schedule). */
MLP_API float mlp_optimizer_learning_rate(const mlp_optimizer *opt);
/** Zeroes the state and the step count. */
MLP_API void mlp_optimizer_reset(mlp_optimizer *opt);

/* ------------------------------------------------------------------ training */

/** One update: gradient of the batch (in ws's gradient buffer) then mlp_optimizer_step.
 * For MLP_OPT_SGD the update is fused into the backward pass (each weight matrix written
 * once, no gradient vector): same rule, different rounding, and ws's gradient buffer is
 * left as it was. Allocates nothing. loss_sum (may be NULL) receives sum_i C_i before the
 * update. */
MLP_API mlp_status mlp_train_step(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                                  const float *inputs, const float *targets, size_t batch,
                                  mlp_loss loss, double *loss_sum);
/** mlp_train_step with a detail: on failure, which argument and why, worked
 * out after the failure so that the call runs as fast as without. */
MLP_API mlp_status mlp_train_step_ex(mlp_net *net, mlp_workspace *ws, mlp_optimizer *opt,
                                     const float *inputs, const float *targets, size_t batch,
                                     mlp_loss loss, double *loss_sum,
                                     mlp_error_detail *detail);

/** Trains `epochs` epochs on count records (inputs count x n_0, targets count x n_L),
 * validating after each epoch on val_* when val_count > 0. The optimizer's schedule is set
 * per epoch. Allocates its workspace once. result may be NULL. Stochastic plain SGD
 * (batch_size 1, MLP_OPT_SGD, no dropout) applies each record's first-layer weight update
 * during the next record's forward pass, one pass over those weights instead of two: the
 * same steps as a loop of mlp_train_step, up to float rounding, and the parameters are
 * complete whenever progress is called.
 * NON_FINITE (nothing changed) when an input or target value, training or validation, is
 * NaN or infinite. INVALID_ARG (nothing changed) for config->patience > 0 without validation
 * data (val_count 0) and for cross-entropy on a net whose output is not softmax;
 * mlp_train_ex says which argument and why. The arrays are one data source among others:
 * mlp_train_source takes them or a callback. DIVERGED when a batch's loss or, at an
 * epoch's end, a parameter is NaN or infinite (a learning rate, weight decay or schedule that
 * overflows): the net's parameters and RNG and the optimizer's state and step count are then
 * put back as they were at the start of that epoch, all finite (result->epochs_run ==
 * result->diverged_epoch, so a resumed run with a smaller step continues from there), and
 * result names the epoch and batch. The check costs one copy of the parameters and optimizer
 * state per epoch and one pass over the parameters. */
MLP_API mlp_status mlp_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                             const float *targets, size_t count, const float *val_inputs,
                             const float *val_targets, size_t val_count,
                             const mlp_train_config *config, mlp_train_result *result);

/**
 * mlp_train with a message on failure. Besides mlp_train's checks it rejects what cannot
 * mean what the caller wants: config->patience > 0 without validation data, and
 * cross-entropy on a net whose output layer is not softmax (INVALID_ARG).
 * @param net the net to train
 * @param opt its optimizer
 * @param inputs count x n_0 training inputs
 * @param targets count x n_L training targets
 * @param count training records, >= 1
 * @param val_inputs val_count x n_0, or NULL when val_count is 0
 * @param val_targets val_count x n_L, or NULL when val_count is 0
 * @param val_count validation records (0: none)
 * @param config training settings
 * @param result receives what happened; may be NULL
 * @param detail receives the message on failure; may be NULL
 * @return as mlp_train
 */
MLP_API mlp_status mlp_train_ex(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                                const float *targets, size_t count, const float *val_inputs,
                                const float *val_targets, size_t val_count,
                                const mlp_train_config *config, mlp_train_result *result,
                                mlp_error_detail *detail);

/** Least-squares readout: with the net's hidden layers fixed, refits the last layer in
 * closed form on (inputs, targets) by ridge regression (LAPACKE), minimising
 * sum ||W h + b - y||^2 + lambda ||W||^2. Needs a linear output layer and a bias mode of
 * PER_NEURON or NONE. Helps when the last layer is undertrained for MSE regression: it gives
 * that layer's exact optimum for the current features in one solve. NON_FINITE when an input
 * or target value is NaN or infinite, NUMERICAL when the solve fails or its solution does
 * not fit in floats (the net is then unchanged), NO_MEMORY. */
MLP_API mlp_status mlp_refit_output_layer(mlp_net *net, const float *inputs,
                                          const float *targets, size_t count, float lambda);
/** mlp_refit_output_layer with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_refit_output_layer_ex(mlp_net *net, const float *inputs,
                                             const float *targets, size_t count, float lambda,
                                             mlp_error_detail *detail);

/* ------------------------------------------------------------------ data sources */

/*
 * Training data that is not one array in memory: the caller's storage, or a file larger
 * than memory, read a batch at a time through a callback (as kann's reader callback). The
 * arrays of mlp_train are one source among others: a source with inputs and targets set
 * is read in place exactly as mlp_train reads them.
 *
 * Order and shuffling: mlp_train_source asks for records by index, in the order mlp_train
 * visits array rows, and draws the same shuffles from the net's RNG. With
 * config->shuffle false (or batch GD, batch_size 0) every epoch reads records 0, 1, 2, ...
 * in consecutive runs, so a reader that can only go forward works (rewinding at record 0);
 * with shuffle true each minibatch is a random set of indices, one fresh permutation of
 * 0..count-1 per epoch, and the reader needs random access (fixed-size records and pread,
 * a database keyed by index). Validation records are read in order, in runs of up to 256,
 * once per epoch. The same records in the same order give the parameters mlp_train gives
 * on them as arrays, bit for bit.
 */

/**
 * Fills n rows with records records[0..n) of a source (each index < the source's count).
 * It runs on the thread that called mlp_train_source, between training steps, and must not
 * touch the net or optimizer being trained.
 * @param user_data the source's user_data
 * @param records the n record indices to read, in the order their rows are wanted
 * @param n number of records, 1 or more (at most the batch size, or 256 for validation)
 * @param inputs n x n_0 floats to fill, row-major
 * @param targets n x n_L floats to fill, row-major
 * @return MLP_OK, or any other status (MLP_ERR_IO for a failed read), which stops training
 *         and is what mlp_train_source returns
 */
typedef mlp_status (*mlp_source_read_fn)(void *user_data, const size_t *records, size_t n,
                                         float *inputs, float *targets);

/** Where training or validation records come from: arrays (read set to NULL) or a callback
 *  (inputs and targets NULL). */
typedef struct mlp_source {
    size_t struct_size;       /**< sizeof(mlp_source): set it (see "config structs" above) */
    size_t count;             /**< number of records */
    const float *inputs;      /**< arrays: count x n_0, read in place; else NULL */
    const float *targets;     /**< arrays: count x n_L; else NULL */
    mlp_source_read_fn read;  /**< callback: fills rows on request; else NULL */
    void *user_data;          /**< passed to read */
} mlp_source;

/**
 * mlp_train on records from sources: the same epochs, batches, shuffles, validation, early
 * stopping, progress calls and results, and with array sources the same code path.
 * A callback source's rows are checked for NaN and infinity as they are read (arrays are
 * checked once before the first step, as mlp_train does). A read that fails, or a row with
 * a NaN or infinite value (NON_FINITE), stops training the way DIVERGED does: the net's
 * parameters and RNG and the optimizer's state and step count are put back as they were
 * at the start of that epoch (result->epochs_run names it: epochs before it stay trained;
 * resume from there), and the status is returned with a message in detail naming the
 * source, epoch and records. Nothing else is changed on any error.
 * @param net the net to train
 * @param opt its optimizer (made for net's topology)
 * @param train training records (count >= 1)
 * @param val validation records, or NULL (or a count of 0) for none
 * @param config training settings (mlp_train_config_default), not NULL
 * @param result receives what happened; may be NULL
 * @param detail receives a message naming the argument or source and the reason on
 *        failure; may be NULL
 * @return MLP_OK, the errors of mlp_train_ex, or a callback's own status
 */
MLP_API mlp_status mlp_train_source(mlp_net *net, mlp_optimizer *opt, const mlp_source *train,
                                    const mlp_source *val, const mlp_train_config *config,
                                    mlp_train_result *result, mlp_error_detail *detail);

/* ------------------------------------------------------------------ net files */

/** Saves net (topology, activations, bias mode, parameters), and when not NULL the
 * preprocessing and the optimizer (config, state, step count) with `epoch`, in a versioned
 * little-endian binary file with a CRC-32: the image of mlp_model_write_parts_mem. Atomic:
 * path holds either its old content or the new one, whole. The data is written and synced in
 * path's directory in an unnamed file (O_TMPFILE, Linux) or, without it, in
 * PATH.tmp.PID.XXXXXX, then renamed over path; a process killed in between can leave
 * PATH.tmp.PID.XXXXXX, which the next save of path removes once PID is no longer running. IO
 * names the failing step, path and errno's text in detail (may be NULL), e.g. a full disk;
 * NO_MEMORY; INVALID_ARG for an empty path; WORKSPACE_MISMATCH when opt was made for another
 * topology; DIMENSION when pre has another input size; NON_FINITE when a parameter or optimizer
 * state value is NaN or infinite (no file is written: the loader refuses such a model as
 * FORMAT). */
MLP_API mlp_status mlp_model_write_parts(const char *path, const mlp_net *net,
                                         const mlp_preprocess *pre, const mlp_optimizer *opt,
                                         size_t epoch, mlp_error_detail *detail);
/** The same model image as mlp_model_write_parts writes, in memory: *data receives a new buffer of
 * *size bytes, to free with mlp_free (for a database blob, a resource, a message).
 * mlp_model_open_parts_mem reads it back. Errors as mlp_model_write_parts without IO: NULL_ARG
 * (data, size or net NULL), INVALID_ARG, WORKSPACE_MISMATCH, DIMENSION, NON_FINITE, NO_MEMORY;
 * on failure *data and *size are unchanged. */
MLP_API mlp_status mlp_model_write_parts_mem(void **data, size_t *size, const mlp_net *net,
                                             const mlp_preprocess *pre, const mlp_optimizer *opt,
                                             size_t epoch);
/** mlp_model_write_parts_mem with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_model_write_parts_mem_ex(void **data, size_t *size, const mlp_net *net,
                                                const mlp_preprocess *pre,
                                                const mlp_optimizer *opt, size_t epoch,
                                                mlp_error_detail *detail);
/** Loads a model. *net is always filled on success; *pre and *opt (each optional: pass NULL
 * to skip) are set to new objects or to NULL when the file has none; a loaded optimizer's
 * schedule is set at the saved epoch. Every field is validated before anything is
 * allocated: IO (missing/unreadable), TRUNCATED, CHECKSUM, FORMAT, VERSION, with a message
 * in detail (may be NULL). A loaded optimizer is checked as mlp_optimizer_create and
 * mlp_optimizer_set_step_count check theirs, and its state must be finite with no negative
 * squared-gradient average (FORMAT otherwise). On failure no output is changed. */
MLP_API mlp_status mlp_model_open_parts(const char *path, mlp_net **net, mlp_preprocess **pre,
                                        mlp_optimizer **opt, mlp_model_info *info,
                                        mlp_error_detail *detail);
/** The same from a model image of `size` bytes in memory (mlp_model_write_parts_mem, or a file's
 * bytes), with the same outputs, checks and statuses except IO; data is only read and
 * may be freed once it returns. NULL_ARG when data or net is NULL; a size other than the
 * image's declared length is TRUNCATED (shorter) or FORMAT (longer). */
MLP_API mlp_status mlp_model_open_parts_mem(const void *data, size_t size, mlp_net **net,
                                            mlp_preprocess **pre, mlp_optimizer **opt,
                                            mlp_model_info *info, mlp_error_detail *detail);
/**
 * Replaces the file at path by size bytes of data atomically, as mlp_model_write_parts writes a
 * model (path holds its old content or the new one, whole; the data is synced before the
 * rename; an existing file's mode is kept). For any output a program wants to appear whole
 * or not at all (a CSV of predictions, a plot). path itself is replaced: a symbolic link is
 * replaced by a file, not followed.
 * @param path the file, in a directory that exists and is writable
 * @param data the bytes (may be NULL when size is 0)
 * @param size their count
 * @param detail receives the failing step, path and errno's text on failure; may be NULL
 * @return MLP_OK; NULL_ARG, INVALID_ARG (an empty path), IO, NO_MEMORY
 */
MLP_API mlp_status mlp_file_write_atomic(const char *path, const void *data, size_t size,
                                         mlp_error_detail *detail);

/* ------------------------------------------------------------------ data */

/** A zero-filled data set; input_size >= 1, count and target_size may be 0 (the row
 * pointers are never NULL). No class names, label index -1. Errors: NULL_ARG,
 * INVALID_ARG, NO_MEMORY. */
MLP_API mlp_status mlp_dataset_create(mlp_dataset **out, size_t count, size_t input_size,
                                      size_t target_size);
/** mlp_dataset_create with a message in detail (may be NULL) naming the argument and the
 * reason. */
MLP_API mlp_status mlp_dataset_create_ex(mlp_dataset **out, size_t count, size_t input_size,
                                         size_t target_size, mlp_error_detail *detail);
/** Frees ds; NULL is a no-op. */
MLP_API void mlp_dataset_free(mlp_dataset *ds);
/** Number of records. */
MLP_API size_t mlp_dataset_count(const mlp_dataset *ds);
/** Inputs per record. */
MLP_API size_t mlp_dataset_input_size(const mlp_dataset *ds);
/** Targets per record (the class count for one-hot classification). */
MLP_API size_t mlp_dataset_target_size(const mlp_dataset *ds);
/** The inputs, count x input_size floats, writable; owned by ds. */
MLP_API float *mlp_dataset_inputs(mlp_dataset *ds);
/** The targets, count x target_size floats, writable; owned by ds. */
MLP_API float *mlp_dataset_targets(mlp_dataset *ds);
/** The inputs, read-only. */
MLP_API const float *mlp_dataset_inputs_const(const mlp_dataset *ds);
/** The targets, read-only. */
MLP_API const float *mlp_dataset_targets_const(const mlp_dataset *ds);
/** Class names (classification from CSV/IDX), NULL/0 when none. Owned by ds. */
MLP_API size_t mlp_dataset_class_count(const mlp_dataset *ds);
/** Name of class index; NULL when out of range or without names. */
MLP_API const char *mlp_dataset_class_name(const mlp_dataset *ds, size_t index);
/** The label column: its header text (NULL without a header) and its 0-based index in the
 * file (-1 when none, e.g. IDX). Owned by ds. */
MLP_API const char *mlp_dataset_label_name(const mlp_dataset *ds);
/** The label column's 0-based index in the file, -1 when none. */
MLP_API long mlp_dataset_label_index(const mlp_dataset *ds);

/*
 * Classes of a data set. One rule, wherever a data set comes from (CSV, IDX, a table, these
 * calls): a data set with class names is for classification, its targets one-hot rows over
 * mlp_dataset_class_count classes (the target size); one without is for regression.
 * mlp_model_build infers its task from that rule, and mlp_model_class_name answers with the
 * names.
 */

/**
 * A data set for classification from integer labels: targets one-hot over class_count
 * classes (made by the library), with class names.
 * @param out receives the new data set (free with mlp_dataset_free); unchanged on failure
 * @param count records, 1 or more
 * @param input_size inputs per record, 1 or more
 * @param inputs count x input_size floats copied in; NULL leaves them zero, to fill through
 *        mlp_dataset_inputs
 * @param labels count class indices, each below class_count
 * @param class_count classes, 2 or more (the target size)
 * @param class_names class_count names, copied; NULL names them "0", "1", ...
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return MLP_OK; NULL_ARG (out, labels, a name), INVALID_ARG (count, input_size or
 *         class_count out of range, a label >= class_count), NO_MEMORY
 */
MLP_API mlp_status mlp_dataset_create_classes(mlp_dataset **out, size_t count,
                                              size_t input_size, const float *inputs,
                                              const size_t *labels, size_t class_count,
                                              const char *const *class_names,
                                              mlp_error_detail *detail);

/**
 * Names the classes of a data set whose targets are one-hot rows (filled by the caller),
 * making it a classification set; count 0 removes the names (a regression set).
 * @param ds the data set
 * @param count names: 0, or the target size (2 or more)
 * @param names count names, copied (NULL with count 0)
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return MLP_OK; NULL_ARG (ds, names, a name), DIMENSION (count is not the target size),
 *         INVALID_ARG (a target size below 2), NO_MEMORY (ds unchanged)
 */
MLP_API mlp_status mlp_dataset_set_classes(mlp_dataset *ds, size_t count,
                                           const char *const *names, mlp_error_detail *detail);

/** Seeded split: round(val_fraction * count) random records go to *val, the rest to *train,
 * each in the original order; both new data sets (class names and label column copied).
 * val_fraction in [0,1), else INVALID_ARG. 0 gives a full copy in *train and an empty
 * *val; above 0 both parts get at least one record (INVALID_ARG when count < 2). Same
 * seed, same split. */
MLP_API mlp_status mlp_dataset_split(const mlp_dataset *ds, float val_fraction, uint64_t seed,
                                     mlp_dataset **train, mlp_dataset **val);
/** mlp_dataset_split with a message in detail (may be NULL) naming the argument and the
 * reason (a fraction out of range, too few records to split). */
MLP_API mlp_status mlp_dataset_split_ex(const mlp_dataset *ds, float val_fraction,
                                        uint64_t seed, mlp_dataset **train, mlp_dataset **val,
                                        mlp_error_detail *detail);
/** IDX (MNIST family) images + labels, plain or gzip. Images become count x (product of the
 * non-leading dimensions) floats with the raw byte values (0..255); labels become one-hot
 * rows over `class_count` classes (0 = max label + 1), class names "0", "1", ...
 * Every header field is validated: IO (open/read), FORMAT (magic, type other than 0x08,
 * dimension count, zero dimension, trailing data, label >= class_count, corrupt gzip),
 * TRUNCATED (file shorter than its header says), DIMENSION (image count != label count).
 * labels_path NULL reads the images alone (for prediction): target size 0, no class
 * names, class_count ignored. */
MLP_API mlp_status mlp_dataset_open_idx(mlp_dataset **out, const char *images_path,
                                        const char *labels_path, size_t class_count,
                                        mlp_error_detail *detail);

/** How mlp_dataset_open_csv reads a file (defaults in parentheses; mlp_csv_options_default). */
typedef struct mlp_csv_options {
    size_t struct_size;          /**< sizeof(mlp_csv_options), set by the _default call */
    int has_header;              /**< 1 yes, 0 no, -1 detect: the first row is a header when a
                                    feature field in it is non-empty and not a number (-1) */
    const char *label_name;      /**< label column by header name (implies a header), or NULL */
    long label_index;            /**< label column by 0-based index; -1 = last column (-1);
                                    MLP_CSV_NO_LABEL: none, every column a feature (records
                                    to predict; target size 0); ignored when label_name is
                                    set */
    mlp_task task;               /**< CLASSIFY */
    /** CLASSIFY: fixed class list (e.g. the training set's; a label outside it is a PARSE
     * error), or NULL to collect the classes found, sorted: numerically when every label
     * is a number ("9" before "10"), else by strcmp. Labels are trimmed of spaces/tabs. */
    const char *const *class_names;
    size_t class_count;          /**< entries of class_names (0 with NULL) */
    char delimiter;              /**< ',' */
    /** Threads that read a regular file without quoted fields, each a share of its bytes
     * (0: as many as the machine has cores); the records and messages do not depend on it. */
    int threads;
    /** Called now and then while a regular file is read, on the calling thread, with the
     * bytes read so far and the total; NULL: none. */
    void (*progress)(size_t bytes_done, size_t bytes_total, void *user_data);
    void *progress_user_data;    /**< passed to progress */
} mlp_csv_options;

/** mlp_csv_options.label_index for a file without a label column. */
#define MLP_CSV_NO_LABEL (-2L)

/** The defaults given in mlp_csv_options's comments. */
MLP_API mlp_csv_options mlp_csv_options_default(void);
/** Reads numeric feature columns and one label column (RFC 4180 quoting; numbers in the C
 * locale). Malformed input (a field that is empty or not a finite number, a row with a
 * different number of fields, bad quoting, no data rows) gives MLP_ERR_PARSE with the
 * 1-based line and column (field number; 0 for a whole-row error) in detail. Blank lines
 * are skipped. INVALID_ARG for bad options or a label column not in the file, IO when the
 * file cannot be read. options may be NULL (defaults). */
MLP_API mlp_status mlp_dataset_open_csv(mlp_dataset **out, const char *path,
                                        const mlp_csv_options *options, mlp_error_detail *detail);
/** The same from an open stream, read once from its current position to its end and not
 * closed (a pipe, stdin); name is used in messages (NULL: "(stream)"). */
MLP_API mlp_status mlp_dataset_open_csv_stream(mlp_dataset **out, FILE *fp, const char *name,
                                               const mlp_csv_options *options,
                                               mlp_error_detail *detail);
/** A numeric CSV file as a binary cache of float rows on disk, for training on data larger
 * than memory: records are read a batch at a time (pread) through an mlp_source. */
typedef struct mlp_csv_cache mlp_csv_cache;
/** Opens the cache of a CSV file, building it first when it is missing or stale: one pass
 * over the CSV, a chunk of 32 MiB at a time (read as mlp_dataset_open_csv reads, threads included),
 * writes every record as fixed-size float rows to cache_path (through a temporary file
 * renamed into place). A cache is reused while the CSV's size, modification time and a hash
 * of its first and last 64 KiB, and the options that decide the records (header, label,
 * task, classes, delimiter), are unchanged. Memory: one chunk while building, one row while
 * reading. Classes are sorted as mlp_dataset_open_csv sorts them.
 * @param out receives the cache (mlp_csv_cache_close); unchanged on failure
 * @param csv_path the CSV file
 * @param cache_path the cache file (e.g. beside the CSV, or in a cache directory)
 * @param options as for mlp_dataset_open_csv; NULL: the defaults
 * @param detail the message on failure; may be NULL
 * @return as mlp_dataset_open_csv; IO when the cache cannot be written; FORMAT for a damaged
 *         cache */
MLP_API mlp_status mlp_csv_cache_open(mlp_csv_cache **out, const char *csv_path,
                                      const char *cache_path, const mlp_csv_options *options,
                                      mlp_error_detail *detail);
/** Closes a cache (the file stays for the next run); NULL is a no-op.
 * @param cache the cache */
MLP_API void mlp_csv_cache_close(mlp_csv_cache *cache);
/** Records in the cache.
 * @param cache the cache; NULL gives 0
 * @return the record count */
MLP_API size_t mlp_csv_cache_count(const mlp_csv_cache *cache);
/** Inputs per record.
 * @param cache the cache; NULL gives 0
 * @return the input width */
MLP_API size_t mlp_csv_cache_input_size(const mlp_csv_cache *cache);
/** Targets per record: the class count (one-hot), 1 for regression, 0 without a label.
 * @param cache the cache; NULL gives 0
 * @return the target width */
MLP_API size_t mlp_csv_cache_target_size(const mlp_csv_cache *cache);
/** Name of class k (classification).
 * @param cache the cache
 * @param k 0-based class
 * @return the name, owned by the cache; NULL out of range or for regression */
MLP_API const char *mlp_csv_cache_class_name(const mlp_csv_cache *cache, size_t k);
/** Every record of the cache as a source for mlp_train_source (a read callback; the source
 * is valid while the cache is open, and used by one training at a time).
 * @param cache the cache
 * @return the source (count 0 for NULL) */
MLP_API mlp_source mlp_csv_cache_source(mlp_csv_cache *cache);
/** Seeded split of the cache's records, on record indices, as mlp_dataset_split splits a
 * data set (same seed and count, same records): two sources, valid while the cache is open
 * and until the next split.
 * @param cache the cache
 * @param val_fraction in [0, 1)
 * @param seed the split's seed
 * @param train receives the training records' source
 * @param val receives the validation records' source
 * @return OK, INVALID_ARG (as mlp_dataset_split), NULL_ARG, NO_MEMORY */
MLP_API mlp_status mlp_csv_cache_split(mlp_csv_cache *cache, float val_fraction,
                                       uint64_t seed, mlp_source *train, mlp_source *val);
/** mlp_csv_cache_split with a message on failure.
 * @param cache the cache
 * @param val_fraction in [0, 1)
 * @param seed the split's seed
 * @param train receives the training records' source
 * @param val receives the validation records' source
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return as mlp_csv_cache_split */
MLP_API mlp_status mlp_csv_cache_split_ex(mlp_csv_cache *cache, float val_fraction,
                                          uint64_t seed, mlp_source *train, mlp_source *val,
                                          mlp_error_detail *detail);

/* ------------------------------------------------------------------ preprocessing */

/** A preprocessing for input_size features: scaling NONE (offset 0, scale 1), task CLASSIFY,
 * no label name, label index -1, no class names. */
MLP_API mlp_status mlp_preprocess_create(mlp_preprocess **out, size_t input_size);
/** mlp_preprocess_create with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_create_ex(mlp_preprocess **out, size_t input_size,
                                            mlp_error_detail *detail);
/** Frees pre; NULL is a no-op. */
MLP_API void mlp_preprocess_free(mlp_preprocess *pre);
/** A deep copy. */
MLP_API mlp_status mlp_preprocess_clone(mlp_preprocess **out, const mlp_preprocess *src);
/** mlp_preprocess_clone with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_clone_ex(mlp_preprocess **out, const mlp_preprocess *src,
                                           mlp_error_detail *detail);
/** Fits the scaling on ds (the training split only), statistics in double. MINMAX: offset
 * min, scale 1/(max-min); STANDARD: offset mean, scale 1/(population std); ROBUST: offset
 * median, scale 1.349/IQR (quartiles by linear interpolation; a feature whose quartiles
 * coincide, e.g. a mostly-zero one, keeps the STANDARD scaling). A constant feature gets
 * scale 1, so it maps to 0; ROBUST costs a sorted copy of one column. NONE resets to the
 * identity. DIMENSION when ds has another input size, INVALID_ARG when it is empty,
 * NON_FINITE on NaN/inf inputs. */
MLP_API mlp_status mlp_preprocess_fit(mlp_preprocess *pre, const mlp_dataset *ds,
                                      mlp_scaling scaling);
/** mlp_preprocess_fit with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_fit_ex(mlp_preprocess *pre, const mlp_dataset *ds,
                                         mlp_scaling scaling, mlp_error_detail *detail);
/** Applies the scaling to every input row of ds in place (DIMENSION on another size). */
MLP_API mlp_status mlp_preprocess_apply(const mlp_preprocess *pre, mlp_dataset *ds);
/** mlp_preprocess_apply with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_apply_ex(const mlp_preprocess *pre, mlp_dataset *ds,
                                           mlp_error_detail *detail);
/** The same on count raw rows of input_size floats (e.g. records to predict). */
MLP_API mlp_status mlp_preprocess_apply_rows(const mlp_preprocess *pre, float *rows,
                                             size_t count, size_t input_size);
/** mlp_preprocess_apply_rows with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_apply_rows_ex(const mlp_preprocess *pre, float *rows,
                                                size_t count, size_t input_size,
                                                mlp_error_detail *detail);
/** The scaling in force. */
MLP_API mlp_scaling mlp_preprocess_scaling(const mlp_preprocess *pre);
/** Features per record it scales. */
MLP_API size_t mlp_preprocess_input_size(const mlp_preprocess *pre);
/** The offsets, input_size floats (owned by pre). */
MLP_API const float *mlp_preprocess_offset(const mlp_preprocess *pre);
/** The scales, input_size floats (owned by pre). */
MLP_API const float *mlp_preprocess_scale(const mlp_preprocess *pre);
/** Task, label column and class names, copied from ds (mlp_dataset_open_csv,
 * mlp_dataset_open_idx). */
MLP_API mlp_status mlp_preprocess_set_labels(mlp_preprocess *pre, const mlp_dataset *ds,
                                             mlp_task task);
/** mlp_preprocess_set_labels with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_set_labels_ex(mlp_preprocess *pre, const mlp_dataset *ds,
                                                mlp_task task, mlp_error_detail *detail);
/** The task of the labels it was given. */
MLP_API mlp_task mlp_preprocess_task(const mlp_preprocess *pre);
MLP_API const char *mlp_preprocess_label_name(const mlp_preprocess *pre); /**< may be NULL */
/** The label column's 0-based index, -1 when none. */
MLP_API long mlp_preprocess_label_index(const mlp_preprocess *pre);
/** Number of class names (0 when none). */
MLP_API size_t mlp_preprocess_class_count(const mlp_preprocess *pre);
/** Name of class index; NULL when out of range. Owned by pre. */
MLP_API const char *mlp_preprocess_class_name(const mlp_preprocess *pre, size_t index);

/* Larger than memory: preprocessing for the binary CSV cache (mlp_csv_cache above). */

/** Makes the cache's sources (mlp_csv_cache_source, mlp_csv_cache_split) give their inputs
 * scaled by pre (mlp_preprocess_apply_rows), as a model's preprocessing scales raw records;
 * NULL: raw rows again. pre is borrowed: it must stay alive while the sources are read.
 * @param cache the cache
 * @param pre the preprocessing (its scaling is used), or NULL
 * @return OK, NULL_ARG, DIMENSION (pre's input size is not the cache's) */
MLP_API mlp_status mlp_csv_cache_set_preprocess(mlp_csv_cache *cache, const mlp_preprocess *pre);
/** mlp_csv_cache_set_preprocess with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_csv_cache_set_preprocess_ex(mlp_csv_cache *cache,
                                                   const mlp_preprocess *pre,
                                                   mlp_error_detail *detail);

/** Fits pre's input scaling over every record of a source in streaming passes, a batch at a
 * time (STANDARD reads each record twice: the mean, then the deviations): the offsets and
 * scales mlp_preprocess_fit gives on the same records in memory, bit for bit, in the memory
 * of a batch. Fit on raw rows (before mlp_csv_cache_set_preprocess). Only the scaling of pre
 * changes.
 * @param pre receives the scaling; its input size is the records' width
 * @param records the records: arrays, or a read callback (e.g. a cache split's training part)
 * @param target_size targets per record (the width of the read callback's target rows)
 * @param scaling NONE, STANDARD or MINMAX (ROBUST needs whole columns: INVALID_ARG)
 * @param detail the argument and reason on failure; may be NULL
 * @return OK, NULL_ARG, INVALID_ARG, NON_FINITE (a NaN or infinite input), NO_MEMORY, or
 *         the read callback's status */
MLP_API mlp_status mlp_source_fit_scaling(mlp_preprocess *pre, const mlp_source *records,
                                          size_t target_size, mlp_scaling scaling,
                                          mlp_error_detail *detail);

/**
 * Fits a net to a numeric CSV too large for memory, through its binary cache, in the memory
 * of a batch rather than of the file: the cache is built, or reused while the CSV is
 * unchanged (mlp_csv_cache_open), its records split on indices (mlp_csv_cache_split), the
 * input scaling fitted in one streaming pass over the training part
 * (mlp_source_fit_scaling), and the net trained from the cache a batch at a time
 * (mlp_train_source), with early stopping on the validation part. This is `mlp train
 * --cache`.
 *
 * config->model and config->train set the net and the training as they do for
 * mlp_model_fit; epochs, batch_size and patience left MLP_FIT_AUTO take mlp_model_fit's
 * budget from the training records, and val_fraction < 0 holds out 0.15. The rest of
 * mlp_model_fit's procedure needs the data in memory and is not applied: regression targets
 * are not standardised, no linear or constant model is compared, no cross-validation
 * (cv_folds > 0 is INVALID_ARG), no test data (test, test_table: INVALID_ARG); the table
 * options do not apply (the CSV must be numeric, its label read as csv says).
 * @param out receives the model (free with mlp_model_free); its epoch is the epochs run;
 *        unchanged on failure
 * @param csv_path the CSV file
 * @param cache_path the cache file, written when missing or stale
 * @param csv how to read the CSV, its label and task (NULL: mlp_csv_options_default);
 *        config->model.task must be MLP_TASK_COUNT or csv's task
 * @param config NULL: mlp_fit_config_default
 * @param report may be NULL; struct_size set by the caller. Filled: task, loss, records,
 *        train_count, val_count, val_fraction, batch_size, epochs, patience (and their _auto),
 *        input_size, param_count, epochs_run, best_epoch, stopped_early,
 *        stopped_by_callback, train_seconds, train_loss (the last epoch's), val_loss and
 *        val_metric (accuracy; NaN for regression) at the best epoch; verdict UNJUDGED
 * @param detail the argument, or the file and line, and the reason on failure; may be NULL
 * @return OK; NULL_ARG; INVALID_ARG (config, or a classification with fewer than 2
 *         classes); the errors of mlp_csv_cache_open, mlp_source_fit_scaling and
 *         mlp_train_source
 */
MLP_API mlp_status mlp_model_fit_csv_cache(mlp_model **out, const char *csv_path,
                                           const char *cache_path, const mlp_csv_options *csv,
                                           const mlp_fit_config *config, mlp_fit_report *report,
                                           mlp_error_detail *detail);

/** Attaches a copy of a table encoding to the preprocessing: it then travels in the model
 * file (format version 2).
 * @param pre the preprocessing
 * @param enc the encoding, copied; NULL removes the one attached
 * @return OK; DIMENSION (enc's input size is not pre's), NULL_ARG, NO_MEMORY (pre
 *         unchanged) */
MLP_API mlp_status mlp_preprocess_set_encoding(mlp_preprocess *pre,
                                               const mlp_table_encoding *enc);
/** mlp_preprocess_set_encoding with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_preprocess_set_encoding_ex(mlp_preprocess *pre,
                                                  const mlp_table_encoding *enc,
                                                  mlp_error_detail *detail);
/** The attached table encoding.
 * @param pre the preprocessing
 * @return the encoding, owned by pre; NULL when none */
MLP_API const mlp_table_encoding *mlp_preprocess_encoding(const mlp_preprocess *pre);

/* ------------------------------------------------------------------ tables */

/*
 * Real-world tables: text (categorical) columns, missing cells, dates. A table is read from
 * CSV (mlp_table: numbers kept as floats, other cells as text); an encoding
 * (mlp_table_encoding) is fitted on the training table only: each column's type, the categories
 * of categorical columns, the means that impute missing numbers. It turns any table with the
 * same columns into numeric records (mlp_dataset) and travels in the model file with the
 * preprocessing (mlp_preprocess_set_encoding), so that evaluation and prediction apply exactly
 * what training fitted.
 *
 *   mlp_table_open(&t, "train.csv", NULL, NULL);
 *   mlp_table_encoding_fit(&enc, t, &options, NULL);       (types, categories, means)
 *   mlp_table_encode(enc, t, &train, NULL, NULL);          (numeric records, targets)
 *   mlp_model_build(&m, train, NULL); mlp_model_set_encoding(m, enc);
 *   mlp_model_train(m, train, NULL, NULL, NULL); mlp_model_write(m, "model.mlp", NULL);
 *   ... mlp_model_open(&m, "model.mlp", NULL, NULL);
 *   mlp_model_predict_table(m, new_rows_table, outputs, NULL, NULL);
 */

/** How mlp_table_open reads a file (defaults in parentheses). */
typedef struct mlp_table_read_options {
    int has_header; /**< 1 yes, 0 no, -1 detect: the first row is a header when none of its
                       cells is empty, a number, a date or a missing-value token (-1) */
    char delimiter; /**< ',' */
} mlp_table_read_options;

/** The defaults given in mlp_table_read_options's comments.
 * @return the default options */
MLP_API mlp_table_read_options mlp_table_read_options_default(void);

/** How mlp_table_open_ex reads a file: mlp_table_read_options with a struct_size (fields are
 * only appended), threads and progress (defaults in parentheses). */
typedef struct mlp_table_read_options_ex {
    size_t struct_size; /**< sizeof(mlp_table_read_options_ex), set by the _default call */
    int has_header;     /**< as in mlp_table_read_options (-1) */
    char delimiter;     /**< ',' */
    int threads;        /**< threads reading a large regular file by byte ranges (0: one per
                           core); the table is the same whatever the count */
    /** Called on the calling thread as the file is read, with the bytes read so far and the
     * file's size (0 when not a regular file); NULL: none. */
    void (*progress)(size_t bytes_done, size_t bytes_total, void *user_data);
    void *progress_user_data; /**< passed to progress */
} mlp_table_read_options_ex;

/** The defaults given in mlp_table_read_options_ex's comments.
 * @return the default options */
MLP_API mlp_table_read_options_ex mlp_table_read_options_ex_default(void);
/** Reads a CSV file (RFC 4180 quoting) into a table. Every row must have the first row's
 * number of cells; blank lines are skipped; a table may have no data rows.
 * @param out receives the new table (free with mlp_table_free); unchanged on failure
 * @param path the file
 * @param options how to read it; NULL: the defaults
 * @param detail line and message on failure; may be NULL
 * @return OK; PARSE (a row of another length, bad quoting; line in detail), IO (the file
 *         cannot be read), INVALID_ARG (bad options), NULL_ARG, NO_MEMORY */
MLP_API mlp_status mlp_table_open(mlp_table **out, const char *path,
                                  const mlp_table_read_options *options,
                                  mlp_error_detail *detail);

/** mlp_table_open with threads and progress. Cells that are numbers are kept as floats (a
 * numeric column costs 4 bytes a cell; its other cells keep their text), so
 * mlp_table_cell gives a number back as the shortest text of its float ("1.50" reads
 * back as "1.5", "007" as "7"), the same in every column.
 * @param out receives the new table (free with mlp_table_free); unchanged on failure
 * @param path the file
 * @param options how to read it; NULL: the defaults
 * @param detail line and message on failure; may be NULL
 * @return as mlp_table_open; INVALID_ARG for a struct_size this library does not know */
MLP_API mlp_status mlp_table_open_ex(mlp_table **out, const char *path,
                                     const mlp_table_read_options_ex *options,
                                     mlp_error_detail *detail);
/** mlp_table_open from an open stream, read to its end and not closed (stdin, a pipe,
 * fmemopen over text in memory).
 * @param out receives the new table; unchanged on failure
 * @param fp the stream
 * @param name the stream's name in messages; NULL: "(stream)"
 * @param options how to read it; NULL: the defaults
 * @param detail line and message on failure; may be NULL
 * @return as mlp_table_open */
MLP_API mlp_status mlp_table_open_stream(mlp_table **out, FILE *fp, const char *name,
                                         const mlp_table_read_options *options,
                                         mlp_error_detail *detail);

/** mlp_table_open_ex from an open stream, read to its end and not closed.
 * @param out receives the new table; unchanged on failure
 * @param fp the stream
 * @param name the stream's name in messages; NULL: "(stream)"
 * @param options how to read it; NULL: the defaults
 * @param detail line and message on failure; may be NULL
 * @return as mlp_table_open_ex */
MLP_API mlp_status mlp_table_open_stream_ex(mlp_table **out, FILE *fp, const char *name,
                                            const mlp_table_read_options_ex *options,
                                            mlp_error_detail *detail);
/** Frees a table; NULL is a no-op.
 * @param table the table */
MLP_API void mlp_table_free(mlp_table *table);
/** Data rows (the header row not counted).
 * @param table the table; NULL gives 0
 * @return the row count */
MLP_API size_t mlp_table_row_count(const mlp_table *table);
/** Columns.
 * @param table the table; NULL gives 0
 * @return the column count */
MLP_API size_t mlp_table_column_count(const mlp_table *table);
/** Header text of a column.
 * @param table the table
 * @param col 0-based column
 * @return the name, owned by the table; NULL without a header row or out of range */
MLP_API const char *mlp_table_column_name(const mlp_table *table, size_t col);
/** Text of a cell, trimmed; a number as the shortest text of its float (see
 * mlp_table_open_ex). The text of a numeric column is made for the whole column on the
 * first call that asks for one of its numbers (safe from several threads).
 * @param table the table
 * @param row 0-based data row
 * @param col 0-based column
 * @return the text, owned by the table; NULL out of range or out of memory */
MLP_API const char *mlp_table_cell(const mlp_table *table, size_t row, size_t col);
/** Seeded split of the rows as mlp_dataset_split splits records (same seed and row count,
 * same rows): round(val_fraction * rows) go to *val, the rest to *train, in file order.
 * @param table the table (only read)
 * @param val_fraction in [0, 1)
 * @param seed the split's seed
 * @param train receives the training rows (a new table)
 * @param val receives the validation rows (a new table)
 * @return OK; INVALID_ARG (fraction out of range, fewer than 2 rows with a fraction above
 *         0), NULL_ARG, NO_MEMORY */
MLP_API mlp_status mlp_table_split(const mlp_table *table, float val_fraction, uint64_t seed,
                                   mlp_table **train, mlp_table **val);
/** mlp_table_split with a message on failure.
 * @param table the table (only read)
 * @param val_fraction in [0, 1)
 * @param seed the split's seed
 * @param train receives the training rows (a new table)
 * @param val receives the validation rows (a new table)
 * @param detail receives the argument and the reason on failure; may be NULL
 * @return as mlp_table_split */
MLP_API mlp_status mlp_table_split_ex(const mlp_table *table, float val_fraction,
                                      uint64_t seed, mlp_table **train, mlp_table **val,
                                      mlp_error_detail *detail);

/** What a column of the training table became. Unless an option says otherwise, a column
 * is numeric when more than half of its present cells are numbers, a date when more than
 * half are dates, else categorical (or an identifier); in a numeric or date column the
 * cells of another kind ("rotary" among numbers, "2024-02-30" among dates) are invalid:
 * imputed as missing cells and counted (mlp_table_encoding_column_invalid). */
typedef enum mlp_column_type {
    MLP_COLUMN_NUMERIC = 0,     /**< one feature; missing cells get the training mean */
    MLP_COLUMN_CATEGORICAL = 1, /**< one-hot over the training categories (sorted); an
                                   unseen value is all zeros; missing cells are a category
                                   "(missing)" when the training data had any */
    MLP_COLUMN_DATE = 2,        /**< YYYY-MM-DD or YYYY/MM/DD (a time after it is ignored):
                                   days since 1970-01-01 and the season (sine, cosine of the
                                   day of the year): three features, missing cells the means */
    MLP_COLUMN_IGNORED = 3,     /**< not used: asked, every cell missing, or text with a
                                   distinct value in most rows (an identifier) */
    MLP_COLUMN_LABEL = 4,       /**< a target column */
    MLP_COLUMN_TYPE_COUNT       /**< the number of types (not a type) */
} mlp_column_type;
/** Fits column types, categories, means and the task on a table (the training split).
 * Statistics use the rows whose label cells are present.
 * @param out receives the new encoding (free with mlp_table_encoding_free); unchanged on
 *        failure
 * @param table the training table (only read)
 * @param options labels, task and overrides; NULL: the defaults
 * @param detail the message on failure, naming the column by number and header name
 * @return OK; INVALID_ARG (a label or override column not in the table, a column named
 *         twice, no feature column left, several labels for classification, a label with
 *         no value, a column asked to be numeric with no number), PARSE (a regression
 *         label with no number), NULL_ARG, NO_MEMORY. A cell of the wrong kind in a
 *         numeric or date column is never an error: it is imputed and counted. */
MLP_API mlp_status mlp_table_encoding_fit(mlp_table_encoding **out, const mlp_table *table,
                                          const mlp_table_options *options,
                                          mlp_error_detail *detail);
/** mlp_table_encoding_fit with mlp_table_fit_options (a date override).
 * @param out receives the new encoding; unchanged on failure
 * @param table the training table (only read)
 * @param options labels, task and overrides; NULL: the defaults
 * @param detail the message on failure; may be NULL
 * @return as mlp_table_encoding_fit; INVALID_ARG also for an unknown struct_size, or a
 *         column asked to be numeric or a date of which no cell is one */
MLP_API mlp_status mlp_table_encoding_fit_ex(mlp_table_encoding **out, const mlp_table *table,
                                             const mlp_table_fit_options *options,
                                             mlp_error_detail *detail);
/** Frees an encoding; NULL is a no-op.
 * @param enc the encoding */
MLP_API void mlp_table_encoding_free(mlp_table_encoding *enc);
/** A deep copy.
 * @param out receives the copy
 * @param enc the encoding
 * @return OK, NULL_ARG, NO_MEMORY */
MLP_API mlp_status mlp_table_encoding_clone(mlp_table_encoding **out,
                                            const mlp_table_encoding *enc);
/** mlp_table_encoding_clone with a detail: on failure, which argument and why. */
MLP_API mlp_status mlp_table_encoding_clone_ex(mlp_table_encoding **out,
                                               const mlp_table_encoding *enc,
                                               mlp_error_detail *detail);

/** The table's records as numbers: inputs mlp_table_encoding_input_size wide, targets the
 * label values (regression) or one-hot classes (classification; class names, label name
 * and index set as mlp_dataset_open_csv sets them). Columns are found by header name when both
 * have names, else by position. Rows whose label cell is missing are dropped (counted).
 * Rows with a class training did not see are left out (counted); feature cells that do
 * not parse in a numeric or date column are imputed (counted).
 * @param enc the encoding
 * @param table the table (only read)
 * @param out receives the new data set; unchanged on failure
 * @param report what the encoding met; may be NULL
 * @param detail the message on failure, naming the column and line; may be NULL
 * @return OK; INVALID_ARG (a column of the encoding missing from the table), NULL_ARG,
 *         NO_MEMORY */
MLP_API mlp_status mlp_table_encode(const mlp_table_encoding *enc, const mlp_table *table,
                                    mlp_dataset **out, mlp_table_report *report,
                                    mlp_error_detail *detail);
/** Inputs only (target size 0), one record per row, for prediction; the label columns may
 * be present (then ignored) or absent.
 * @param enc the encoding
 * @param table the table (only read)
 * @param out receives the new data set; unchanged on failure
 * @param report what the encoding met; may be NULL
 * @param detail the message on failure; may be NULL
 * @return as mlp_table_encode */
MLP_API mlp_status mlp_table_encode_inputs(const mlp_table_encoding *enc,
                                           const mlp_table *table, mlp_dataset **out,
                                           mlp_table_report *report, mlp_error_detail *detail);

/** mlp_table_encode (with_targets true) or mlp_table_encode_inputs (false) with the
 * detailed report. A row whose class training did not see is left out and counted, never
 * an error (a model cannot predict it right; its accuracy on the other rows is still
 * worth having); so are rows whose regression label is not a number. Feature cells that
 * do not parse in a numeric or date column are imputed and counted.
 * @param enc the encoding
 * @param table the table (only read)
 * @param with_targets true: labels become targets; false: inputs only
 * @param out receives the new data set; unchanged on failure
 * @param report what the encoding met; may be NULL; its struct_size must be set
 * @param detail the message on failure; may be NULL
 * @return OK; INVALID_ARG (a column of the encoding missing from the table, an unknown
 *         struct_size), NULL_ARG, NO_MEMORY */
MLP_API mlp_status mlp_table_encode_ex(const mlp_table_encoding *enc, const mlp_table *table,
                                       bool with_targets, mlp_dataset **out,
                                       mlp_table_report_ex *report, mlp_error_detail *detail);

/** Features the encoding produces (the net's input size).
 * @param enc the encoding; NULL gives 0
 * @return the feature count */
MLP_API size_t mlp_table_encoding_input_size(const mlp_table_encoding *enc);
/** Columns of the training table.
 * @param enc the encoding; NULL gives 0
 * @return the column count */
MLP_API size_t mlp_table_encoding_column_count(const mlp_table_encoding *enc);
/** How many invalid values of a column an encoding keeps as examples. */
#define MLP_TABLE_INVALID_EXAMPLES 3
/** What an encoding knows of one column of its training table
 * (mlp_table_encoding_column_info). Set struct_size to sizeof(mlp_table_column_info)
 * before the call: a later release appends fields and fills only the struct_size bytes your
 * program has. The strings are owned by the encoding. */
typedef struct mlp_table_column_info {
    size_t struct_size;   /**< sizeof(mlp_table_column_info), set by the caller */
    const char *name;     /**< header name; NULL without a header */
    mlp_column_type type; /**< the type fitted (or given) */
    size_t label;         /**< its place among the labels (0-based); SIZE_MAX: not a label */
    size_t width;         /**< features it encodes to; 0 for ignored and label columns */
    size_t missing;       /**< missing cells in the training table */
    size_t distinct;      /**< distinct non-missing values (text and categorical columns; 0
                               for numbers) */
    size_t categories;    /**< categories kept (mlp_table_encoding_category 0 .. this - 1) */
    size_t other;         /**< categorical: cells whose value was not kept as a category
                               (beyond mlp_table_fit_options.max_categories), encoded as all
                               zeros; 0 once loaded from a model file */
    size_t invalid;       /**< numeric or date: cells neither of its type nor a missing-value
                               token (e.g. "rotary" among numbers), imputed; 0 once loaded */
    const char *invalid_values[MLP_TABLE_INVALID_EXAMPLES]; /**< the first distinct invalid
                               values; NULL past the last one */
    double mean;          /**< imputed for missing cells: numeric the value, date days since
                               1970; else 0 */
} mlp_table_column_info;

/** Everything the encoding knows of one training column, in one call (the one-field
 * accessors mlp_table_encoding_column_name, _type, ... are in mlp_advanced.h).
 * @param enc the encoding
 * @param col 0-based column, below mlp_table_encoding_column_count
 * @param info receives the column's facts; its struct_size must be set
 * @param detail the message on failure; may be NULL
 * @return OK; NULL_ARG; INVALID_ARG (col out of range, an unknown struct_size); info
 *         unchanged on failure */
MLP_API mlp_status mlp_table_encoding_column_info(const mlp_table_encoding *enc, size_t col,
                                                  mlp_table_column_info *info,
                                                  mlp_error_detail *detail);
/** A category of a categorical column.
 * @param enc the encoding
 * @param col 0-based column
 * @param k 0-based category (its one-hot position)
 * @return the category text, owned by enc; NULL out of range */
MLP_API const char *mlp_table_encoding_category(const mlp_table_encoding *enc, size_t col,
                                                size_t k);
/** The task fitted or given.
 * @param enc the encoding
 * @return the task; MLP_TASK_COUNT for NULL */
MLP_API mlp_task mlp_table_encoding_task(const mlp_table_encoding *enc);
/** Why this task, in words (e.g. "label column 4 'price' is numeric with 412 distinct
 * values"); empty for an encoding loaded from a model file.
 * @param enc the encoding
 * @return the text, owned by enc */
MLP_API const char *mlp_table_encoding_task_reason(const mlp_table_encoding *enc);
/** Label columns (outputs of a regression; 1 for classification).
 * @param enc the encoding
 * @return the count */
MLP_API size_t mlp_table_encoding_label_count(const mlp_table_encoding *enc);
/** Header name of label k.
 * @param enc the encoding
 * @param k 0-based label, in the order they were given
 * @return the name, owned by enc; NULL without a header or out of range */
MLP_API const char *mlp_table_encoding_label_name(const mlp_table_encoding *enc, size_t k);
/** Training-table column of label k.
 * @param enc the encoding
 * @param k 0-based label
 * @return the 0-based column; SIZE_MAX out of range */
MLP_API size_t mlp_table_encoding_label_column(const mlp_table_encoding *enc, size_t k);
/** Classes of a classification label, sorted as mlp_dataset_open_csv sorts them.
 * @param enc the encoding
 * @return the class count; 0 for regression */
MLP_API size_t mlp_table_encoding_class_count(const mlp_table_encoding *enc);
/** Name of class k.
 * @param enc the encoding
 * @param k 0-based class (its output)
 * @return the name, owned by enc; NULL out of range */
MLP_API const char *mlp_table_encoding_class_name(const mlp_table_encoding *enc, size_t k);

/* ------------------------------------------------------------------ deprecated names */

/* The names before the naming rule at the top of this header. Each is still exported (the
 * ABI keeps them) and behaves exactly as the call it names, until the next major version,
 * which removes them. */

/** Deprecated: mlp_net_param_count. */
MLP_API size_t mlp_param_count(const mlp_net *net) MLP_DEPRECATED("use mlp_net_param_count");
/** Deprecated: mlp_threads. */
MLP_API int mlp_get_threads(void) MLP_DEPRECATED("use mlp_threads");
/** Deprecated: mlp_optimizer_settings. */
MLP_API const mlp_optimizer_config *mlp_optimizer_get_config(const mlp_optimizer *opt)
    MLP_DEPRECATED("use mlp_optimizer_settings");
/** Deprecated: mlp_dataset_open_csv. */
MLP_API mlp_status mlp_csv_load(mlp_dataset **out, const char *path,
                                const mlp_csv_options *options, mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_dataset_open_csv");
/** Deprecated: mlp_dataset_open_csv_stream. */
MLP_API mlp_status mlp_csv_load_stream(mlp_dataset **out, FILE *fp, const char *name,
                                       const mlp_csv_options *options,
                                       mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_dataset_open_csv_stream");

/** Deprecated: mlp_dataset_open_idx. */
MLP_API mlp_status mlp_idx_load(mlp_dataset **out, const char *images_path,
                                const char *labels_path, size_t class_count,
                                mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_dataset_open_idx");
/** Deprecated: mlp_table_open. */
MLP_API mlp_status mlp_table_load(mlp_table **out, const char *path,
                                  const mlp_table_read_options *options,
                                  mlp_error_detail *detail) MLP_DEPRECATED("use mlp_table_open");
/** Deprecated: mlp_table_open_stream. */
MLP_API mlp_status mlp_table_load_stream(mlp_table **out, FILE *fp, const char *name,
                                         const mlp_table_read_options *options,
                                         mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_table_open_stream");

/** Deprecated: mlp_model_open_parts. */
MLP_API mlp_status mlp_model_load(const char *path, mlp_net **net, mlp_preprocess **pre,
                                  mlp_optimizer **opt, mlp_model_info *info,
                                  mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_model_open_parts");
/** Deprecated: mlp_model_open_parts_mem. */
MLP_API mlp_status mlp_model_load_mem(const void *data, size_t size, mlp_net **net,
                                      mlp_preprocess **pre, mlp_optimizer **opt,
                                      mlp_model_info *info, mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_model_open_parts_mem");

/** Deprecated: mlp_model_write_parts. */
MLP_API mlp_status mlp_model_save(const char *path, const mlp_net *net,
                                  const mlp_preprocess *pre, const mlp_optimizer *opt,
                                  size_t epoch, mlp_error_detail *detail)
    MLP_DEPRECATED("use mlp_model_write_parts");

/** Deprecated: mlp_model_write_parts_mem. */
MLP_API mlp_status mlp_model_save_mem(void **data, size_t *size, const mlp_net *net,
                                      const mlp_preprocess *pre, const mlp_optimizer *opt,
                                      size_t epoch) MLP_DEPRECATED("use mlp_model_write_parts_mem");

#ifdef __cplusplus
}
#endif

/* The expert calls, included unless MLP_NO_ADVANCED is defined (see mlp_advanced.h). */
#ifndef MLP_NO_ADVANCED
#include "mlp_advanced.h"
#endif

#endif /* MLP_H */
