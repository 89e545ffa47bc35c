/* `mlp predict MODEL CSV`: one output row per input row (class and probabilities, or the
 * regression value). The label column may be present (then dropped) or absent. */
#include "model_io.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
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
          "  --threads N       BLAS threads (the cores; at most the cores)\n"
          "  --precision fp32|bf16  GEMM arithmetic (fp32); bf16: bfloat16 operands, float\n"
          "                    sums (oneDNN, CPUs with AVX512_BF16)\n"
          "  -h, --help\n"
          "Exit status: 0 success, 1 bad data or model, 2 bad usage.\n",
          stdout);
}

/* Column of the table to drop as the label, or -1 when the table holds features only
 * (models without a table encoding: every column a number). */
static bool label_column(const cli_model *m, const mlp_table *t, const char *path,
                         const char *label_opt, long *out)
{
    size_t in = mlp_net_input_size(m->net), cols = mlp_table_column_count(t);
    *out = -1;
    if (cols == in) return true;
    if (cols != in + 1) {
        cli_error("%s has %zu columns, but the model expects %zu input features (or %zu with "
                  "the label column)", path, cols, in, in + 1);
        return false;
    }
    cli_label_spec spec = cli_label_parse(label_opt);
    if (!label_opt && m->pre) {
        spec.name = mlp_preprocess_label_name(m->pre);
        spec.index = mlp_preprocess_label_index(m->pre);
    }
    bool header = mlp_table_column_name(t, 0) != NULL;
    if (spec.name && header) {
        for (size_t j = 0; j < cols; j++)
            if (strcmp(mlp_table_column_name(t, j), spec.name) == 0) {
                *out = (long)j;
                return true;
            }
        if (label_opt) {
            cli_error("%s: no column named '%s'", path, spec.name);
            return false;
        }
    } else if (spec.name && label_opt) {
        cli_error("%s: no header row to find column '%s' in", path, spec.name);
        return false;
    }
    if (spec.index >= (long)cols) {
        cli_error("%s: label column %ld out of range (%zu columns)", path, spec.index, cols);
        return false;
    }
    *out = spec.index >= 0 ? spec.index : (long)cols - 1;
    return true;
}

static int fill_numbers(const mlp_table *t, long skip, const char *path, float *x)
{
    size_t rows = mlp_table_row_count(t), cols = mlp_table_column_count(t);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < cols; j++) {
            if ((long)j == skip) continue;
            const char *s = mlp_table_cell(t, i, j), *name = mlp_table_column_name(t, j);
            char *end;
            errno = 0;
            double v = strtod(s, &end);
            if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
                cli_error("%s: record %zu, column %zu%s%s%s: '%s' is not a finite number", path,
                          i + 1, j + 1, name ? " (" : "", name ? name : "", name ? ")" : "", s);
                return CLI_DATA_ERROR;
            }
            *x++ = (float)v;
        }
    }
    return CLI_OK;
}

/* The raw records of a table: through the model's table encoding when it has one (label
 * columns, found by name, are ignored), else as numbers. */
static int table_inputs(const cli_model *m, const mlp_table *t, const char *path,
                        const char *label_opt, mlp_dataset **ds)
{
    const mlp_table_encoding *enc = m->pre ? mlp_preprocess_encoding(m->pre) : NULL;
    if (enc) {
        mlp_table_report_ex rep;
        memset(&rep, 0, sizeof rep);
        int rc = cli_table_encode(enc, t, path, false, ds, &rep);
        if (rc == CLI_OK) cli_table_report_print(stderr, path, &rep);
        return rc;
    }
    long skip;
    if (!label_column(m, t, path, label_opt, &skip)) return CLI_DATA_ERROR;
    if (mlp_table_row_count(t) == 0) {
        cli_error("%s: no records", path);
        return CLI_DATA_ERROR;
    }
    mlp_status st = mlp_dataset_create(ds, mlp_table_row_count(t), mlp_net_input_size(m->net), 0);
    if (st != MLP_OK) {
        cli_report_status(path, st, NULL);
        return CLI_DATA_ERROR;
    }
    return fill_numbers(t, skip, path, mlp_dataset_inputs(*ds));
}

/* IDX images (plain or gzip: a first byte of 0 or 0x1f, which no CSV has), or CSV. The
 * input is opened once and its first byte pushed back, so a pipe is read exactly once. */
static int load_inputs(const cli_model *m, const char *path, const char *label_opt,
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
    if ((c == 0x00 || c == 0x1f) && fp != stdin) {
        fclose(fp);
        mlp_error_detail detail;
        memset(&detail, 0, sizeof detail);
        mlp_status st = mlp_idx_load(ds, path, NULL, 0, &detail);
        if (st != MLP_OK) {
            *ds = NULL;
            cli_report_status(path, st, &detail);
            return CLI_DATA_ERROR;
        }
        return CLI_OK;
    }
    mlp_table *t = NULL;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_status st = c == 0x00 || c == 0x1f ? MLP_ERR_FORMAT
                                          : mlp_table_load_stream(&t, fp, name, NULL, &detail);
    if (fp != stdin) fclose(fp);
    if (st != MLP_OK) {
        if (c == 0x00 || c == 0x1f)
            cli_error("%s: binary data on stdin: give IDX images as a file", name);
        else
            cli_report_status(name, st, &detail);
        return CLI_DATA_ERROR;
    }
    *header = mlp_table_column_name(t, 0) != NULL;
    int rc = table_inputs(m, t, name, label_opt, ds);
    mlp_table_free(t);
    if (rc != CLI_OK) {
        mlp_dataset_free(*ds);
        *ds = NULL;
    }
    return rc;
}

static void write_header(FILE *fp, const cli_model *m, bool classify)
{
    size_t out = mlp_net_output_size(m->net);
    if (classify) {
        fputs("class", fp);
        for (size_t k = 0; k < out; k++) {
            fputc(',', fp);
            const char *name = m->pre && k < mlp_preprocess_class_count(m->pre)
                                   ? mlp_preprocess_class_name(m->pre, k) : NULL;
            if (name) {
                cli_csv_field_prefixed(fp, "p_", name); /* one field, quoted as a whole */
            } else {
                fprintf(fp, "p_%zu", k);
            }
        }
    } else {
        for (size_t k = 0; k < out; k++) {
            char buf[32];
            const char *name = cli_output_name(m->pre, k, buf, sizeof buf);
            if (k) fputc(',', fp);
            if (name != buf)
                cli_csv_field(fp, name);
            else
                fprintf(fp, "prediction_%zu", k);
        }
    }
    fputc('\n', fp);
}

static void write_row(FILE *fp, const cli_model *m, bool classify, const float *y)
{
    size_t out = mlp_net_output_size(m->net);
    if (classify) {
        size_t best = 0;
        for (size_t k = 1; k < out; k++)
            if (y[k] > y[best]) best = k;
        const char *name = m->pre && best < mlp_preprocess_class_count(m->pre)
                               ? mlp_preprocess_class_name(m->pre, best) : NULL;
        if (name)
            cli_csv_field(fp, name);
        else
            fprintf(fp, "%zu", best);
        for (size_t k = 0; k < out; k++) fprintf(fp, ",%.6f", (double)y[k]);
    } else {
        for (size_t k = 0; k < out; k++) fprintf(fp, "%s%.6g", k ? "," : "", (double)y[k]);
    }
    fputc('\n', fp);
}

static int predict(const cli_model *m, mlp_dataset *ds, bool header, const char *path,
                   const model_args *a, FILE *fp)
{
    size_t in = mlp_net_input_size(m->net), out = mlp_net_output_size(m->net);
    size_t rows = mlp_dataset_count(ds);
    if (mlp_dataset_input_size(ds) != in) {
        cli_error("%s has %zu input features, but the model expects %zu", path,
                  mlp_dataset_input_size(ds), in);
        return CLI_DATA_ERROR;
    }
    mlp_workspace *ws = NULL;
    size_t batch = cli_eval_batch(rows); /* no bigger than the data */
    float *y = malloc(batch * out * sizeof *y);
    mlp_status st = mlp_workspace_create_inference(&ws, m->net, batch);
    if (st == MLP_OK && !y) st = MLP_ERR_NO_MEMORY;
    if (st == MLP_OK && (!cli_set_precision(ws, a->precision) ||
                         cli_blas_start(CMD, a->threads) != CLI_OK)) {
        free(y);
        mlp_workspace_free(ws);
        return CLI_DATA_ERROR;
    }
    if (st == MLP_OK && m->pre) st = mlp_preprocess_apply(m->pre, ds);
    bool classify = cli_model_task(m) == MLP_TASK_CLASSIFY;
    if (st == MLP_OK && header) write_header(fp, m, classify);
    const float *x = mlp_dataset_inputs_const(ds);
    for (size_t i = 0; st == MLP_OK && i < rows; i += batch) {
        size_t b = rows - i < batch ? rows - i : batch;
        st = mlp_forward(m->net, ws, x + i * in, b, y);
        for (size_t r = 0; st == MLP_OK && r < b; r++) write_row(fp, m, classify, y + r * out);
    }
    free(y);
    mlp_workspace_free(ws);
    if (st != MLP_OK) {
        cli_report_status(path, st, NULL);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
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

    cli_model m;
    int rc = cli_model_load(model_path, false, &m);
    if (rc != CLI_OK) return rc;
    mlp_dataset *ds = NULL;
    bool header = true;
    rc = load_inputs(&m, data_path, label, &ds, &header);
    if (rc == CLI_OK) {
        cli_atomic_file af = {0};
        FILE *fp = stdout;
        if (out) {
            if (cli_atomic_open(&af, out))
                fp = af.fp;
            else
                rc = CLI_DATA_ERROR;
        }
        if (rc == CLI_OK) rc = predict(&m, ds, header, cli_input_name(data_path), &a, fp);
        if (out && af.fp) {
            if (rc == CLI_OK)
                rc = cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
            else
                cli_atomic_abort(&af);
        }
        mlp_dataset_free(ds);
    }
    cli_model_free(&m);
    return rc;
}
