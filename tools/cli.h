/* Shared declarations of the `mlp` command-line tool (tools/). Public libmlp API only. */
#ifndef MLP_CLI_H
#define MLP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mlp.h"

/* Exit statuses: success, bad data (files, formats, dimensions), bad usage (flags), a
 * training run stopped by Ctrl-C (or, under mpirun, SIGTERM or SIGUSR1) that saved what it
 * had: 128 + SIGINT, as a shell reports a process Ctrl-C ended. */
enum { CLI_OK = 0, CLI_DATA_ERROR = 1, CLI_USAGE_ERROR = 2, CLI_INTERRUPTED = 130 };

/* ---- util.c */
/* Prints "mlp: <message>\n" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "mlp <cmd>: <message>" and a pointer to --help; returns CLI_USAGE_ERROR. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports an unknown option or a missing argument seen by getopt_long; returns 2. */
int cli_getopt_error(const char *cmd, int c, int optopt_value, char *const argv[], int optind_value);
/* Resets getopt for a new parse of a sub-command's argv. */
void cli_getopt_reset(void);
/* Options of a command whose only option is --help (-h): -1 after printing its help, a
 * usage error for any other option, else CLI_OK with optind at the first operand. */
int cli_parse_help_only(const char *cmd, int argc, char **argv, void (*help)(void));
/* Strict number parsing of a flag's value: the whole string, in range. Return false and
 * print a usage message naming the flag on failure. */
bool cli_parse_size(const char *cmd, const char *flag, const char *text, size_t min, size_t max,
                    size_t *out);
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out);
bool cli_parse_int(const char *cmd, const char *flag, const char *text, int min, int max, int *out);
/* A finite double in [min, max] (max_open: strictly below max), 0 or at least FLT_MIN in
 * magnitude (the library takes it as a float). */
bool cli_parse_double(const char *cmd, const char *flag, const char *text, double min,
                      double max, bool max_open, double *out);
/* Picks text among names[0..n); false with a usage message listing them otherwise. */
bool cli_parse_choice(const char *cmd, const char *flag, const char *text,
                      const char *const *names, int n, int *out);
/* A flag's comma-separated value (--ignore id,name) as the array an options struct takes:
 * items point into text, a copy of the value split at every comma (an empty value is one
 * empty item); NULL gives no items. cli_list_split returns false out of memory. */
typedef struct cli_list {
    const char **items;
    size_t count;
    char *text;
} cli_list;
bool cli_list_split(cli_list *list, const char *value);
void cli_list_free(cli_list *list);
/* Monotonic clock in seconds. */
double cli_now(void);
/* A readable regular file; prints "mlp: PATH: reason" otherwise. */
bool cli_check_input_file(const char *path);
/* path can be written: stdout/a device/a FIFO, or a file whose directory exists and is
 * writable (a symlink's target's); prints why not otherwise. */
bool cli_check_output_path(const char *path);
/* The directory part of path ("." without a slash); malloc'ed, NULL when out of memory. */
char *cli_dir_of(const char *path);
/* Prints a library failure as "mlp: context: what[ (line L, column C): detail]". */
void cli_report_status(const char *context, mlp_status st, const mlp_error_detail *detail);
/* Whether this build and CPU run `precision` (--precision); prints why not. */
bool cli_precision_ok(mlp_precision precision);

/* ---- names.c: enum <-> word */
extern const char *const cli_activation_names[MLP_ACT_COUNT];
extern const char *const cli_optimizer_names[MLP_OPT_COUNT];
extern const char *const cli_schedule_names[MLP_SCHEDULE_COUNT];
extern const char *const cli_scaling_names[MLP_SCALE_COUNT];
extern const char *const cli_bias_names[MLP_BIAS_COUNT];
extern const char *const cli_init_names[MLP_INIT_COUNT];
extern const char *const cli_loss_names[MLP_LOSS_COUNT];
extern const char *const cli_task_names[MLP_TASK_COUNT];
extern const char *const cli_precision_names[MLP_PRECISION_COUNT];
const char *cli_name(const char *const *names, int count, int value);

/* ---- output_file.c: outputs that appear whole or not at all. A file is written into
 * memory and committed with the library's atomic write (mlp_file_write_atomic); what cannot
 * be replaced is written through: `-` (stdout), a character device, a FIFO, the file stdout
 * is open on. Symbolic links are followed: their target is replaced. */
typedef struct cli_atomic_file {
    FILE *fp;         /* write here */
    char *final_path; /* the file replaced (a symlink's target), or the path written */
    bool buffered;    /* fp is a memory stream, committed atomically; else written through */
    char *data;       /* the memory stream's bytes */
    size_t size;
} cli_atomic_file;

/* *through when path is written in place; else *target (malloc'ed) is the file to replace.
 * Prints why not and returns false for a directory, a dangling symlink, stat errors. */
bool cli_output_resolve(const char *path, char **target, bool *through);
bool cli_atomic_open(cli_atomic_file *af, const char *path);
/* Closes and writes the file atomically (or flushes what was written through). */
bool cli_atomic_commit(cli_atomic_file *af);
void cli_atomic_abort(cli_atomic_file *af);
/* Whether two output or input paths name the same file (regular files by identity, files
 * still to be made by directory and name, `-` only as itself). */
bool cli_same_output(const char *a, const char *b);

/* ---- data.c: loading labelled data sets with clear messages. */
/* A label column given as "3" (0-based index) or a header name. */
typedef struct cli_label_spec {
    const char *name; /* NULL when by index */
    long index;       /* -1 = last column */
} cli_label_spec;

cli_label_spec cli_label_parse(const char *text);
/* CSV with a label column; classes fixes the class list (NULL: collect them). Returns a
 * CLI_* status and prints the message. */
int cli_load_csv(const char *path, cli_label_spec label, mlp_task task,
                 const char *const *classes, size_t class_count, mlp_dataset **out);
/* IDX images + labels (class_count 0: from the labels). */
int cli_load_idx(const char *images, const char *labels, size_t class_count, mlp_dataset **out);
/* Class names of ds as an array of borrowed strings (free the array only); NULL if none. */
const char **cli_dataset_classes(const mlp_dataset *ds, size_t *count);
const char **cli_preprocess_classes(const mlp_preprocess *pre, size_t *count);
/* Opens a CSV input once: `-` is stdin. NULL (message printed) when it cannot be read or
 * starts like IDX or gzip data. Close with cli_close_text (stdin stays open). */
FILE *cli_open_text(const char *path);
void cli_close_text(FILE *fp);
/* path for messages: "stdin" for `-`. */
const char *cli_input_name(const char *path);

/* ---- table_cli.c: CSV tables through the library's table encoding. */
/* Reads CSV (- is stdin) into a table; CLI_OK or CLI_DATA_ERROR (message printed). */
int cli_table_load(const char *path, mlp_table **out);
/* Encodes t with enc (targets too when with_targets); messages name `name`. */
int cli_table_encode(const mlp_table_encoding *enc, const mlp_table *t, const char *name,
                     bool with_targets, mlp_dataset **out, mlp_table_report_ex *rep);
/* One line on dropped rows, imputed cells and unseen categories (nothing when none). */
void cli_table_report_print(FILE *fp, const char *name, const mlp_table_report_ex *rep);
/* The same from the short report (the fit report's). */
void cli_table_report_print_short(FILE *fp, const char *name, const mlp_table_report *rep);
/* The per-column summary and the task chosen, with why. */
void cli_table_summary(FILE *fp, const mlp_table_encoding *enc);
/* Name of output k: its label column's, else "output_k" written into buf. */
const char *cli_output_name(const mlp_preprocess *pre, size_t k, char *buf, size_t size);
/* Writes one CSV field, quoting it when needed. */
void cli_csv_field(FILE *fp, const char *text);
/* Writes prefix and text as one CSV field ("p_" + a class name), quoted when needed. */
void cli_csv_field_prefixed(FILE *fp, const char *prefix, const char *text);

/* ---- evaluate.c: the result line of train and eval; cli_evaluate is train's evaluation of
 * a bare net (eval uses mlp_model_evaluate, whose numbers are the same). */
typedef struct cli_metrics {
    size_t count;
    double loss;
    double accuracy; /* NaN for regression */
    double rmse;     /* NaN for classification */
} cli_metrics;

mlp_status cli_evaluate(const mlp_net *net, mlp_workspace *ws, const float *inputs,
                        const float *targets, size_t count, mlp_loss loss, mlp_task task,
                        cli_metrics *out);
/* Batch size of the evaluation workspace. */
#define CLI_EVAL_BATCH 256
/* The evaluation batch for count records: CLI_EVAL_BATCH, or fewer for fewer records. */
size_t cli_eval_batch(size_t count);
/* "result: P_accuracy=... P_loss=..." without a newline; P names what was measured:
 * "test" (a test file), "val" (a validation split) or "train" (the training data). */
void cli_print_result(FILE *fp, const char *prefix, mlp_task task, const cli_metrics *m);
/* "784-256-128-10" into buf. */
void cli_topology_string(const mlp_net *net, char *buf, size_t size);

/* ---- history.c: per-epoch numbers for --curve and --plot, in the targets' units. */
typedef struct cli_history {
    size_t count, capacity;
    double *train_loss, *val_loss, *val_metric, *test_loss, *test_metric; /* metric: accuracy
                                                                              or RMSE */
    bool regress;
    size_t best_epoch; /* 1-based epoch restored (validation), 0 when none */
    const char *none_why; /* no epochs (count 0): why, shown in the plot; NULL: nothing */
} cli_history;

bool cli_history_push(cli_history *h, double train_loss, double val_loss, double val_metric,
                      double test_loss, double test_metric);
void cli_history_free(cli_history *h);
/* Writes epoch,train_loss,val_loss,val_accuracy,test_loss,test_accuracy (rmse for
 * regression) atomically; empty fields where there is no number. */
int cli_write_curve(const char *path, const cli_history *h);

/* ---- svg_plot.c */
int cli_write_plot(const char *path, const cli_history *h, const char *title);

/* ---- blas_threads.c: OpenBLAS threads only for the commands that compute. */
/* First thing in main: re-executes the tool with OpenBLAS held to one thread unless the
 * environment sets its thread count (argv is main's). Returns when nothing is to be done. */
void cli_blas_defer(char **argv);
/* Before a command's first computation: requested threads (0: the cores, or what the
 * environment set), capped to the cores and to what the process limits allow (notes on
 * stderr). CLI_OK, or CLI_DATA_ERROR with a message when OpenBLAS could not work at all. */
int cli_blas_start(const char *cmd, int requested);
/* CPUs this process may run on. */
int cli_cpu_count(void);

/* ---- commands */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_quantize(int argc, char **argv);

/* ---- int8_compare.c: after evaluating a quantized model in int8 (with scratch s8), the
 * float model on the same raw records and two lines comparing them. */
mlp_status cli_print_int8_comparison(FILE *fp, const mlp_model *m, mlp_model_scratch *s8,
                                     const mlp_dataset *ds, const mlp_model_metrics *int8,
                                     mlp_error_detail *detail);
int cmd_convert(int argc, char **argv);

#endif
