/* `mlp train`: its options and the monitor that watches the fit (mlp_model_fit). */
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
    SET_MOMENTUM = 1u << 14, SET_BIAS = 1u << 15, SET_INIT = 1u << 16, SET_FOLDS = 1u << 17,
};

typedef struct train_options {
    /* data */
    const char *train_path, *train_labels, *test_path, *test_labels, *dataset;
    const char *label;
    /* tables: column lists (names or 0-based indices, comma-separated) and missing tokens */
    const char *ignore, *categorical, *numeric, *date, *missing;
    size_t max_categories; /* 0: the library's default */
    mlp_task task;
    mlp_scaling scaling;
    double val_fraction;
    size_t folds; /* --folds: cross-validation folds (0: none) */
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
    bool mpi; /* --mpi: data-parallel over the ranks of mpirun (train_mpi.c) */
    const char *cache; /* --cache: train a numeric CSV through this binary cache */
    unsigned set;
} train_options;

/* Parses argv (argv[0] = "train"); returns CLI_OK, a usage error, or -1 after --help. */
int train_options_parse(int argc, char **argv, train_options *o);
/* Fills what the user left unset: data-set presets, then the general defaults. */
void train_options_finish(train_options *o, bool idx_data);
/* --cache: a numeric CSV trained through its binary cache (train_cache.c); a CLI_* status. */
int train_cache_run(const train_options *o);
/* Default learning rate for an optimizer (mean-reduced gradients). */
double train_default_lr(mlp_optimizer_kind kind);

/* Watches a fit through its callbacks: the run's description before the first epoch,
 * a progress bar (terminal) and one line per epoch on stderr, the history for --curve and
 * --plot, Ctrl-C. */
typedef struct train_monitor {
    mlp_task task;
    const mlp_fit_report *report; /* the fit's, read by the first callback */
    FILE *out;                    /* where the description goes (stdout, or stderr) */
    const char *table_names[3];   /* for the tables' encoding reports */
    bool described;               /* the description is out */
    bool tty, quiet;
    double start, last_draw;
    size_t bar_width;  /* characters last drawn, to clear them */
    cli_history history;
    bool interrupt_noted; /* the Ctrl-C message is out */
    bool failed;       /* an allocation failed inside a callback */
} train_monitor;

/* mlp_train_config.progress: the bar, Ctrl-C. */
bool train_monitor_callback(const mlp_progress *p, void *user_data);
/* mlp_fit_config.epoch_callback: the epoch line and the history. */
bool train_monitor_epoch(const mlp_fit_epoch *e, void *user_data);
/* Prints the fit report's lines before training once (the first callback does it). */
void train_monitor_describe(train_monitor *m);
/* Erases a half-drawn progress bar. */
void train_monitor_clear(train_monitor *m);

/* Set by SIGINT: training stops at the end of the current epoch and the run finishes
 * normally; a second SIGINT ends the process. */
extern volatile sig_atomic_t cli_interrupted;
void cli_install_interrupt_handler(void);

#endif
