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
    fputs("Usage: mlp predict [OPTIONS] MODEL CSV\n"
          "Writes one row per input row: for classification the predicted class and the\n"
          "probability of every class, for regression the predicted value. The output has a\n"
          "header row when the input has one. When CSV has one column more than the model's\n"
          "inputs, the model's label column is dropped. CSV may be - (stdin).\n"
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

/* Column of the table to drop as the label, or -1 when the table holds features only. */
static bool label_column(const cli_model *m, const cli_table *t, const char *path,
                         const char *label_opt, long *out)
{
    size_t in = mlp_net_input_size(m->net);
    *out = -1;
    if (t->cols == in) return true;
    if (t->cols != in + 1) {
        cli_error("%s has %zu columns, but the model expects %zu input features (or %zu with "
                  "the label column)", path, t->cols, in, in + 1);
        return false;
    }
    cli_label_spec spec = cli_label_parse(label_opt);
    if (!label_opt && m->pre) {
        spec.name = mlp_preprocess_label_name(m->pre);
        spec.index = mlp_preprocess_label_index(m->pre);
    }
    if (spec.name && t->header) {
        for (size_t j = 0; j < t->cols; j++)
            if (strcmp(t->header[j], spec.name) == 0) {
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
    if (spec.index >= (long)t->cols) {
        cli_error("%s: label column %ld out of range (%zu columns)", path, spec.index, t->cols);
        return false;
    }
    *out = spec.index >= 0 ? spec.index : (long)t->cols - 1;
    return true;
}

static int fill_inputs(const cli_table *t, long skip, const char *path, float *x)
{
    for (size_t i = 0; i < t->rows; i++) {
        for (size_t j = 0; j < t->cols; j++) {
            if ((long)j == skip) continue;
            const char *s = t->cells[i * t->cols + j];
            char *end;
            errno = 0;
            double v = strtod(s, &end);
            if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v)) {
                cli_error("%s: record %zu, column %zu%s%s%s: '%s' is not a finite number", path,
                          i + 1, j + 1, t->header ? " (" : "", t->header ? t->header[j] : "",
                          t->header ? ")" : "", s);
                return CLI_DATA_ERROR;
            }
            *x++ = (float)v;
        }
    }
    return CLI_OK;
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
        const char *name = m->pre ? mlp_preprocess_label_name(m->pre) : NULL;
        for (size_t k = 0; k < out; k++) {
            if (k) fputc(',', fp);
            if (name && out == 1)
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

static int predict(const cli_model *m, const cli_table *t, const char *path,
                   const char *label_opt, const model_args *a, FILE *fp)
{
    long skip;
    if (!label_column(m, t, path, label_opt, &skip)) return CLI_DATA_ERROR;
    size_t in = mlp_net_input_size(m->net), out = mlp_net_output_size(m->net);
    mlp_dataset *ds = NULL;
    mlp_workspace *ws = NULL;
    size_t batch = cli_eval_batch(t->rows); /* no bigger than the data */
    float *y = malloc(batch * out * sizeof *y);
    mlp_status st = mlp_dataset_create(&ds, t->rows, in, 1);
    if (st == MLP_OK) st = mlp_workspace_create_inference(&ws, m->net, batch);
    if (st == MLP_OK && !y) st = MLP_ERR_NO_MEMORY;
    if (st == MLP_OK && (!cli_set_precision(ws, a->precision) ||
                         cli_blas_start(CMD, a->threads) != CLI_OK)) {
        free(y);
        mlp_workspace_free(ws);
        mlp_dataset_free(ds);
        return CLI_DATA_ERROR;
    }
    /* A failure is reported once, below, whichever step it came from. */
    int rc = st == MLP_OK ? fill_inputs(t, skip, path, mlp_dataset_inputs(ds)) : CLI_OK;
    if (rc == CLI_OK && st == MLP_OK && m->pre) st = mlp_preprocess_apply(m->pre, ds);
    bool classify = cli_model_task(m) == MLP_TASK_CLASSIFY;
    if (rc == CLI_OK && st == MLP_OK && t->header) write_header(fp, m, classify);
    const float *x = ds ? mlp_dataset_inputs_const(ds) : NULL;
    for (size_t i = 0; rc == CLI_OK && st == MLP_OK && i < t->rows; i += batch) {
        size_t b = t->rows - i < batch ? t->rows - i : batch;
        st = mlp_forward(m->net, ws, x + i * in, b, y);
        for (size_t r = 0; st == MLP_OK && r < b; r++) write_row(fp, m, classify, y + r * out);
    }
    if (rc == CLI_OK && st != MLP_OK) {
        cli_report_status(path, st, NULL);
        rc = CLI_DATA_ERROR;
    }
    free(y);
    mlp_workspace_free(ws);
    mlp_dataset_free(ds);
    return rc;
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
    cli_table t;
    rc = cli_table_read(data_path, &t);
    if (rc == CLI_OK) {
        cli_atomic_file af = {0};
        FILE *fp = stdout;
        if (out) {
            if (cli_atomic_open(&af, out))
                fp = af.fp;
            else
                rc = CLI_DATA_ERROR;
        }
        if (rc == CLI_OK) rc = predict(&m, &t, cli_input_name(data_path), label, &a, fp);
        if (out && af.fp) {
            if (rc == CLI_OK)
                rc = cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
            else
                cli_atomic_abort(&af);
        }
        cli_table_free(&t);
    }
    cli_model_free(&m);
    return rc;
}
