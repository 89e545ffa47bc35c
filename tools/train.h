/* `mlp train`: its options and the monitor that watches mlp_train. */
#ifndef MLP_CLI_TRAIN_H
#define MLP_CLI_TRAIN_H

#include "cli.h"

#include <signal.h>

#define CLI_MAX_HIDDEN 32

/* Which options the user gave explicitly (data-set presets fill in the others). */
enum {
    SET_LAYERS = 1u << 0, SET_ACTIVATION = 1u << 1, SET_OPTIMIZER = 1u << 2, SET_LR = 1u << 3,
    SET_BATCH = 1u << 4, SET_EPOCHS = 1u << 5, SET_DROPOUT = 1u << 6, SET_SCHEDULE = 1u << 7,
    SET_SCALE = 1u << 8, SET_LOSS = 1u << 9, SET_WEIGHT_DECAY = 1u << 10,
    SET_PATIENCE = 1u << 11, SET_TASK = 1u << 12, SET_VAL = 1u << 13,
};

typedef struct train_options {
    /* data */
    const char *train_path, *train_labels, *test_path, *test_labels, *dataset;
    const char *label;
    /* tables: column lists (names or 0-based indices, comma-separated) and missing tokens */
    const char *ignore, *categorical, *numeric, *date, *missing;
    mlp_task task;
    mlp_scaling scaling;
    double val_fraction;
    /* network */
    size_t hidden[CLI_MAX_HIDDEN];
    size_t n_hidden;
    mlp_activation activation;
    mlp_bias_mode bias;
    mlp_init init;
    mlp_loss loss;
    /* optimisation */
    mlp_optimizer_kind optimizer;
    double lr, momentum, weight_decay, dropout;
    mlp_schedule schedule;
    size_t batch, epochs, patience;
    uint64_t seed;
    int threads; /* 0: not given (cli_blas_start picks the cores) */
    mlp_precision precision; /* --precision: of the training GEMMs (fp32) */
    /* output */
    const char *out, *curve, *plot;
    const char *resume; /* model file to continue training from */
    bool no_save, quiet;
    bool loo_guard; /* too few records to validate: leave-one-out model selection */
    bool mpi; /* --mpi: data-parallel over the ranks of mpirun (train_mpi.c) */
    unsigned set;
} train_options;

/* Parses argv (argv[0] = "train"); returns CLI_OK, a usage error, or -1 after --help. */
int train_options_parse(int argc, char **argv, train_options *o);
/* Fills what the user left unset: data-set presets, then the general defaults. */
void train_options_finish(train_options *o, bool idx_data);
/* Default learning rate for an optimizer (mean-reduced gradients). */
double train_default_lr(mlp_optimizer_kind kind);

/* train_table.c: CSV tables, encoded with an encoding fitted on the training split (or the
 * resumed model's). Nothing is printed but errors: train_tables_print gives the column
 * summary and the row reports (dropped rows, imputed cells, unseen categories). */
typedef struct train_tables {
    mlp_dataset *train, *val, *test; /* val only with --val-fraction */
    mlp_table_encoding *enc;
    mlp_task task;
    bool fitted;                     /* enc fitted here (not the resumed model's) */
    mlp_table_report_ex reports[3];     /* train, validation, test */
    const char *report_names[3];
    size_t n_reports;
    char *auto_text;                 /* what train_auto_settings chose, or NULL */
} train_tables;

/* Applies train_auto_settings (train_auto.c) with the table's row count before the split;
 * its lines are kept in auto_text for train_tables_print. */
int train_tables_load(train_options *o, const mlp_preprocess *resumed, train_tables *out);
void train_tables_print(const train_tables *tt, FILE *fp);
void train_tables_free(train_tables *t);

/* ---- train_auto.c: defaults that adapt to the data (bench/accuracy chose them). */
/* With `records` training records (before any split): a validation split with early
 * stopping, the batch, and an epoch budget and patience, where the user set none; says
 * what it chose on report. IDX data, presets (--dataset) and --resume keep theirs. */
void train_auto_settings(train_options *o, size_t records, FILE *report);

/* Regression targets standardised (per output, the training split's mean and std) while
 * training; afterwards folded into the linear output layer so that the saved net predicts
 * in the data's units. */
typedef struct train_targets {
    size_t k;
    double *mean, *sd; /* NULL: not in use */
} train_targets;
int train_targets_fit(train_targets *t, const mlp_dataset *train);
/* y' = (y - mean) / sd, or back with inverse; a NULL ds or an unfitted t is a no-op. */
void train_targets_apply(const train_targets *t, mlp_dataset *ds, bool inverse);
/* Output layer W, b -> sd W, sd b + mean (needs a linear output with a bias per neuron). */
int train_targets_fold(const train_targets *t, mlp_net *net);
void train_targets_free(train_targets *t);

/* Model selection on val: the trained net, a linear model of the inputs fitted by ridge
 * least squares on train (regression; penalty chosen on val) and the constant prediction of
 * the training data's mean targets (class frequencies). The lowest validation loss wins (a
 * classifier must also reach the majority's accuracy; ties go to the net). The constant
 * replaces the output layer; the linear model replaces *net and *ws and frees *opt (NULL:
 * its state belongs to the old net). Says which and why on report. */
int train_guard(mlp_net **net, mlp_workspace **ws, mlp_optimizer **opt,
                const mlp_dataset *train, const mlp_dataset *val, mlp_loss loss, mlp_task task,
                FILE *report);
/* Tables too small for a validation split (train_options.loo_guard), regression: a net
 * trained on a handful of records cannot be judged, so a linear model (ridge) or the mean,
 * whichever has the lower leave-one-out error, replaces it (*net, *ws; *opt freed, NULL). */
int train_loo_guard(mlp_net **net, mlp_workspace **ws, mlp_optimizer **opt,
                    const mlp_dataset *train, mlp_task task, FILE *report);

/* Watches training through mlp_train's progress callback: progress bar or epoch lines on
 * stderr, per-epoch evaluation of the test set, history for --curve/--plot. */
typedef struct train_monitor {
    const mlp_net *net;
    mlp_task task;
    mlp_loss loss;
    /* evaluated after every epoch when not NULL (the test set) */
    const float *eval_inputs, *eval_targets;
    size_t eval_count;
    mlp_workspace *eval_ws;
    bool has_val;      /* mlp_train validates: use its numbers when there is no test set */
    bool tty, quiet;
    size_t train_count;
    double start, last_draw, eval_seconds;
    size_t bar_width;  /* characters last drawn, to clear them */
    cli_history history;
    bool interrupt_noted; /* the Ctrl-C message is out */
    bool failed;       /* an evaluation or allocation failed inside the callback */
    mlp_status fail_status;
} train_monitor;

bool train_monitor_callback(const mlp_progress *p, void *user_data);
/* Erases a half-drawn progress bar. */
void train_monitor_clear(train_monitor *m);

/* Set by SIGINT: training stops at the end of the current epoch and the run finishes
 * normally; a second SIGINT ends the process. */
extern volatile sig_atomic_t cli_interrupted;
void cli_install_interrupt_handler(void);

#endif
