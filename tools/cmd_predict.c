/* `mlp predict MODEL CSV`: one output row per input row (class and probabilities, or the
 * regression value). The label column may be present (then dropped) or absent. */
#include "model_io.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "predict";

static void predict_help(void)
{
    fputs("Usage: mlp predict [OPTIONS] MODEL DATA\n"
          "Writes one row per input record: for classification the predicted class and the\n"
          "probability of every class, for regression the predicted value(s), one column per\n"
          "output. DATA is CSV (- for stdin) or IDX images (plain or gzip). The output has a\n"
          "header row when the input has one (always for IDX). A model trained on a table\n"
          "applies the encoding fitted in training and finds the columns by name: the label\n"
          "column(s) may be present (ignored) or absent. For other models, when CSV has one\n"
          "column more than the model's inputs, the model's label column is dropped.\n"
          "\n"
          "  -o, --out FILE    write to FILE instead of stdout (a regular file atomically,\n"
          "                    a device or FIFO written through, a symlink's target)\n"
          "  --label COL       the label column to drop (name or 0-based index); default:\n"
          "                    the one the model was trained with\n"
          CLI_MODEL_ARGS_HELP,
          stdout);
}

/* IDX images (plain or gzip: a first byte of 0 or 0x1f, which no CSV has), or CSV read as a
 * table and turned into the model's records by the library (its table encoding, or the
 * columns as numbers without the label column). The input is opened once and its first
 * byte pushed back, so a pipe is read exactly once. */
static int load_inputs(const mlp_model *m, const char *path, const char *label_opt,
                       mlp_dataset **ds, bool *header)
{
    *ds = NULL;
    *header = true;
    const char *name = cli_input_name(path);
    FILE *fp = stdin;
    if (strcmp(path, "-") != 0) {
        if (!cli_check_input_file(path)) return CLI_DATA_ERROR;
        if (!(fp = fopen(path, "rb"))) {
            cli_error("%s: %s", path, strerror(errno));
            return CLI_DATA_ERROR;
        }
    }
    int c = getc(fp);
    if (c != EOF) ungetc(c, fp);
    bool binary = c == 0x00 || c == 0x1f;
    mlp_error_detail detail = {0};
    mlp_status st;
    if (binary && fp != stdin) {
        fclose(fp);
        if ((st = mlp_dataset_open_idx(ds, path, NULL, 0, &detail)) != MLP_OK) {
            *ds = NULL;
            cli_report_status(path, st, &detail);
            return CLI_DATA_ERROR;
        }
        return CLI_OK;
    }
    if (binary) {
        cli_error("%s: binary data on stdin: give IDX images as a file", name);
        return CLI_DATA_ERROR;
    }
    mlp_table *t = NULL;
    st = mlp_table_open_stream(&t, fp, name, NULL, &detail);
    if (fp != stdin) fclose(fp);
    mlp_table_report_ex rep = {.struct_size = sizeof rep};
    if (st == MLP_OK) {
        *header = mlp_table_column_name(t, 0) != NULL;
        st = mlp_model_table_inputs_ex(m, t, label_opt, ds, &rep, &detail);
    }
    mlp_table_free(t);
    if (st != MLP_OK) {
        *ds = NULL;
        cli_report_status(name, st, &detail);
        return CLI_DATA_ERROR;
    }
    cli_table_report_print(stderr, name, &rep);
    return CLI_OK;
}

static void write_header(FILE *fp, const mlp_model *m, bool classify)
{
    size_t out = mlp_model_output_size(m);
    if (classify) {
        fputs("class", fp);
        for (size_t k = 0; k < out; k++) {
            fputc(',', fp);
            const char *name = mlp_model_class_name(m, k);
            if (name) {
                cli_csv_field_prefixed(fp, "p_", name); /* one field, quoted as a whole */
            } else {
                fprintf(fp, "p_%zu", k);
            }
        }
    } else {
        for (size_t k = 0; k < out; k++) {
            char buf[32];
            const char *name = cli_output_name(mlp_model_preprocess(m), k, buf, sizeof buf);
            if (k) fputc(',', fp);
            if (name != buf)
                cli_csv_field(fp, name);
            else
                fprintf(fp, "prediction_%zu", k);
        }
    }
    fputc('\n', fp);
}

/* One record: its class and the outputs it was chosen from, or the regression outputs. */
static void write_row(FILE *fp, const mlp_model *m, const size_t *class_index, const float *y)
{
    size_t out = mlp_model_output_size(m);
    if (class_index) {
        const char *name = mlp_model_class_name(m, *class_index);
        if (name)
            cli_csv_field(fp, name);
        else
            fprintf(fp, "%zu", *class_index);
        for (size_t k = 0; k < out; k++) fprintf(fp, ",%.6f", (double)y[k]);
    } else {
        for (size_t k = 0; k < out; k++) fprintf(fp, "%s%.6g", k ? "," : "", (double)y[k]);
    }
    fputc('\n', fp);
}

/* The first of b records whose outputs are not all finite (inputs far outside what the
 * model was trained on overflow float), b when none: such a row is never written. */
static size_t first_non_finite(const float *y, size_t b, size_t out)
{
    for (size_t r = 0; r < b; r++)
        for (size_t k = 0; k < out; k++)
            if (!isfinite(y[r * out + k])) return r;
    return b;
}

/* Predicts chunk by chunk through one scratch and writes the rows. */
static int predict(const mlp_model *m, const mlp_dataset *ds, bool header, const char *path,
                   const model_args *a, FILE *fp)
{
    size_t in = mlp_model_input_size(m), out = mlp_model_output_size(m);
    size_t rows = mlp_dataset_count(ds);
    if (mlp_dataset_input_size(ds) != in) { /* IDX images of another size */
        cli_error("%s has %zu input features, but the model expects %zu", path,
                  mlp_dataset_input_size(ds), in);
        return CLI_DATA_ERROR;
    }
    mlp_model_scratch *s = NULL;
    if (cli_model_scratch(m, a->model_path, rows, a->precision, &s) != CLI_OK) return CLI_DATA_ERROR;
    if (cli_blas_start(CMD, a->threads) != CLI_OK) {
        mlp_model_scratch_free(s);
        return CLI_DATA_ERROR;
    }
    size_t batch = mlp_model_predict_batch(m, rows); /* the scratch's (cli_model_scratch) */
    float *y = malloc(batch * out * sizeof *y);
    size_t *classes = malloc(batch * sizeof *classes);
    bool classify = cli_model_classifies(m);
    mlp_error_detail detail = {0};
    mlp_status st = y && classes ? MLP_OK : MLP_ERR_NO_MEMORY;
    bool overflow = false;
    if (st == MLP_OK && header) write_header(fp, m, classify);
    const float *x = mlp_dataset_inputs_const(ds);
    for (size_t i = 0; st == MLP_OK && !overflow && i < rows; i += batch) {
        size_t b = rows - i < batch ? rows - i : batch;
        st = classify ? mlp_model_classify_with_ex(m, s, x + i * in, b, classes, y, &detail)
                      : mlp_model_predict_with_ex(m, s, x + i * in, b, y, &detail);
        size_t bad = st == MLP_OK ? first_non_finite(y, b, out) : b;
        if (bad < b) {
            cli_error("%s: record %zu: the prediction is not finite (its inputs overflow the "
                      "model's float arithmetic: far outside the training data?)", path,
                      i + bad + 1);
            overflow = true;
            break;
        }
        for (size_t r = 0; st == MLP_OK && r < b; r++)
            write_row(fp, m, classify ? classes + r : NULL, y + r * out);
    }
    free(y);
    free(classes);
    mlp_model_scratch_free(s);
    if (st != MLP_OK) {
        cli_report_status(path, st, &detail);
        return CLI_DATA_ERROR;
    }
    return overflow ? CLI_DATA_ERROR : CLI_OK;
}

int cmd_predict(int argc, char **argv)
{
    static const model_args_spec spec = {"out", 'o', "CSV", predict_help};
    model_args a;
    int rc0 = cli_parse_model_args(argc, argv, CMD, &spec, &a);
    if (rc0 != CLI_OK) return rc0 == -1 ? CLI_OK : rc0;
    const char *out = a.extra, *label = a.label;
    const char *model_path = a.model_path, *data_path = a.data_path;
    if (out && strcmp(out, "-") != 0) {
        if (cli_same_output(out, model_path) || cli_same_output(out, data_path))
            return cli_usage_error(CMD, "--out '%s' would overwrite the %s file", out,
                                   cli_same_output(out, model_path) ? "model" : "input");
    }
    if (out && !cli_check_output_path(out)) return CLI_DATA_ERROR;

    mlp_model *m = NULL;
    int rc = cli_model_open(model_path, &m, NULL);
    if (rc != CLI_OK) return rc;
    mlp_dataset *ds = NULL;
    bool header = true;
    rc = load_inputs(m, data_path, label, &ds, &header);
    if (rc == CLI_OK) {
        cli_atomic_file af = {0};
        FILE *fp = stdout;
        if (out) {
            if (cli_atomic_open(&af, out))
                fp = af.fp;
            else
                rc = CLI_DATA_ERROR;
        }
        if (rc == CLI_OK) rc = predict(m, ds, header, cli_input_name(data_path), &a, fp);
        if (out && af.fp) {
            if (rc == CLI_OK)
                rc = cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
            else
                cli_atomic_abort(&af);
        }
        mlp_dataset_free(ds);
    }
    mlp_model_free(m);
    return rc;
}
