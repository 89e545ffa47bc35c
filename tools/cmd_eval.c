/* `mlp eval MODEL DATA`: the model's preprocessing applied to raw data, then the same
 * evaluation and result line as `mlp train`. */
#include "model_io.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "eval";

static void eval_help(void)
{
    fputs("Usage: mlp eval [OPTIONS] MODEL DATA\n"
          "Evaluates MODEL on DATA (CSV with its label column, or IDX images with --labels)\n"
          "(- for CSV on stdin) and prints, as the last line on stdout, the same result line\n"
          "as mlp train:\n"
          "  result: test_accuracy=A test_loss=L        (test_rmse=R for regression)\n"
          "\n"
          "  --labels FILE     IDX labels for IDX images in DATA\n"
          "  --label COL       CSV label column (name or 0-based index); default: the one\n"
          "                    the model was trained with\n"
          CLI_MODEL_ARGS_HELP,
          stdout);
}

/* --label for a table model: only its own label(s), by name or 0-based index, one by one. */
static bool same_label(const mlp_table_encoding *enc, const char *label_opt)
{
    size_t n = mlp_table_encoding_label_count(enc);
    const char *p = label_opt;
    for (size_t k = 0; k < n; k++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *name = mlp_table_encoding_label_name(enc, k);
        char index[24];
        snprintf(index, sizeof index, "%zu", mlp_table_encoding_label_column(enc, k));
        bool match = (name && strlen(name) == len && strncmp(name, p, len) == 0) ||
                     (strlen(index) == len && strncmp(index, p, len) == 0);
        if (!match || (k + 1 < n) != (comma != NULL)) return false;
        p = comma ? comma + 1 : p;
    }
    return true;
}

/* The labelled records of DATA: IDX images and labels, a table through the model's table
 * encoding, or CSV numbers with the model's label column and classes. */
static int load_data(const mlp_model *m, const char *path, const char *labels,
                     const char *label_opt, mlp_dataset **ds)
{
    const mlp_preprocess *pre = mlp_model_preprocess(m);
    mlp_task task = mlp_preprocess_task(pre);
    if (labels) {
        if (task != MLP_TASK_CLASSIFY) {
            cli_error("%s is a regression model; IDX data is for classification", path);
            return CLI_DATA_ERROR;
        }
        return cli_load_idx(path, labels, mlp_model_output_size(m), ds);
    }
    const mlp_table_encoding *enc = mlp_preprocess_encoding(pre);
    if (enc) { /* a model trained on a table: its columns by name, its encoding */
        if (label_opt && !same_label(enc, label_opt)) {
            cli_error("%s: --label %s is not the label the model was trained on (a model "
                      "trained on a table knows its label columns)", path, label_opt);
            return CLI_DATA_ERROR;
        }
        mlp_table *t = NULL;
        mlp_table_report_ex rep = {.struct_size = sizeof rep};
        int rc = cli_table_load(path, &t);
        if (rc == CLI_OK) rc = cli_table_encode(enc, t, cli_input_name(path), true, ds, &rep);
        if (rc == CLI_OK) cli_table_report_print(stdout, cli_input_name(path), &rep);
        mlp_table_free(t);
        return rc;
    }
    cli_label_spec label = {NULL, -1};
    if (label_opt)
        label = cli_label_parse(label_opt);
    else if (mlp_preprocess_label_name(pre))
        label.name = mlp_preprocess_label_name(pre);
    else
        label.index = mlp_preprocess_label_index(pre);
    size_t n = 0;
    const char **classes = cli_preprocess_classes(pre, &n);
    if (n > 0 && !classes) {
        cli_error("out of memory");
        return CLI_DATA_ERROR;
    }
    int rc = cli_load_csv(path, label, task, classes, n, ds);
    free(classes);
    return rc;
}

/* "rmse per output: a=.. b=.." for a regression model of several outputs. */
static void print_output_rmse(const mlp_model *m, const double *rmse)
{
    fputs("rmse per output:", stdout);
    for (size_t k = 0; k < mlp_model_output_size(m); k++) {
        char buf[32];
        printf(" %s=%.4f", cli_output_name(mlp_model_preprocess(m), k, buf, sizeof buf),
               rmse[k]);
    }
    putchar('\n');
}

int cmd_eval(int argc, char **argv)
{
    static const model_args_spec spec = {"labels", 0, "DATA", eval_help};
    model_args a;
    int rc0 = cli_parse_model_args(argc, argv, CMD, &spec, &a);
    if (rc0 != CLI_OK) return rc0 == -1 ? CLI_OK : rc0;
    const char *labels = a.extra, *label = a.label;
    if (labels && label) return cli_usage_error(CMD, "--label is for CSV data, --labels for IDX");
    const char *model_path = a.model_path, *data_path = a.data_path;

    mlp_model *m = NULL;
    int rc = cli_model_open(model_path, &m, NULL);
    if (rc != CLI_OK) return rc;
    mlp_dataset *ds = NULL;
    mlp_model_scratch *scratch = NULL;
    rc = load_data(m, data_path, labels, label, &ds);
    if (rc == CLI_OK) rc = cli_model_scratch(m, model_path, mlp_dataset_count(ds), a.precision,
                                               &scratch);
    if (rc == CLI_OK) rc = cli_blas_start(CMD, a.threads);
    size_t outputs = mlp_model_output_size(m);
    bool regress = mlp_preprocess_task(mlp_model_preprocess(m)) == MLP_TASK_REGRESS;
    double *rmse = regress && outputs > 1 ? calloc(outputs, sizeof *rmse) : NULL;
    if (rc == CLI_OK && regress && outputs > 1 && !rmse) {
        cli_error("out of memory");
        rc = CLI_DATA_ERROR;
    }
    mlp_model_metrics met = {.struct_size = sizeof met};
    mlp_error_detail detail = {0};
    mlp_status st = MLP_OK;
    if (rc == CLI_OK && (st = mlp_model_evaluate(m, scratch, ds, &met, rmse, &detail)) != MLP_OK) {
        cli_report_status(cli_input_name(data_path), st, &detail);
        rc = CLI_DATA_ERROR;
    }
    if (rc == CLI_OK && regress && met.count && !isfinite(met.rmse)) { /* never a silent inf */
        cli_error("%s: the RMSE is %g: the model's outputs overflow float on some records "
                  "(inputs far outside the training data?)", cli_input_name(data_path), met.rmse);
        rc = CLI_DATA_ERROR;
    }
    if (rc == CLI_OK) {
        printf("evaluated %s on %s: %zu records\n", model_path, data_path, met.count);
        if (rmse) print_output_rmse(m, rmse);
    }
    /* A quantized model evaluated in int8: its difference from the float model. */
    if (rc == CLI_OK && mlp_net_is_quantized(mlp_model_net(m)) &&
        (a.precision == MLP_PRECISION_COUNT || a.precision == MLP_PRECISION_INT8) &&
        (st = cli_print_int8_comparison(stdout, m, scratch, ds, &met, &detail)) != MLP_OK) {
        cli_report_status(cli_input_name(data_path), st, &detail);
        rc = CLI_DATA_ERROR;
    }
    if (rc == CLI_OK) {
        cli_metrics cm = {met.count, met.loss, met.accuracy, met.rmse};
        cli_print_result(stdout, "test", regress ? MLP_TASK_REGRESS : MLP_TASK_CLASSIFY, &cm);
        putchar('\n');
    }
    free(rmse);
    mlp_model_scratch_free(scratch);
    mlp_dataset_free(ds);
    mlp_model_free(m);
    return rc;
}
