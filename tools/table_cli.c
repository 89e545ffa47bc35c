/* Tables in the tool: reading CSV (a file or stdin) into a library table, encoding it with
 * a model's table encoding, and the per-column summary printed before training. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Files larger than this show a progress line while they load (on a terminal). */
#define PROGRESS_BYTES ((size_t)64 << 20)

typedef struct load_progress {
    const char *name;
    double last;
    bool drawn;
} load_progress;

static void show_progress(size_t done, size_t total, void *user_data)
{
    load_progress *p = user_data;
    double now = cli_now();
    if (total < PROGRESS_BYTES || (now - p->last < 0.25 && done < total)) return;
    p->last = now;
    p->drawn = true;
    fprintf(stderr, "\rreading %s: %zu of %zu MB (%.0f%%)", p->name, done >> 20, total >> 20,
            100.0 * (double)done / (double)total);
    fflush(stderr);
}

int cli_table_load(const char *path, mlp_table **out)
{
    *out = NULL;
    FILE *fp = cli_open_text(path);
    if (!fp) return CLI_DATA_ERROR;
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    load_progress p = {cli_input_name(path), 0.0, false};
    if (isatty(STDERR_FILENO)) {
        o.progress = show_progress;
        o.progress_user_data = &p;
    }
    mlp_status st = mlp_table_open_stream_ex(out, fp, cli_input_name(path), &o, &detail);
    if (p.drawn) fputs("\r\033[K", stderr); /* the line goes once the file is read */
    cli_close_text(fp);
    if (st != MLP_OK) {
        *out = NULL;
        cli_report_status(cli_input_name(path), st, &detail);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

int cli_table_encode(const mlp_table_encoding *enc, const mlp_table *t, const char *name,
                     bool with_targets, mlp_dataset **out, mlp_table_report_ex *rep)
{
    mlp_error_detail detail;
    memset(&detail, 0, sizeof detail);
    memset(rep, 0, sizeof *rep);
    rep->struct_size = sizeof *rep;
    mlp_status st = mlp_table_encode_ex(enc, t, with_targets, out, rep, &detail);
    if (st != MLP_OK) {
        *out = NULL;
        cli_report_status(name, st, &detail);
        return CLI_DATA_ERROR;
    }
    if (mlp_dataset_count(*out) == 0) {
        if (rep->unseen_classes)
            cli_error("%s: no records with a class seen in training (first '%s' on line %zu)",
                      name, rep->unseen_class, rep->unseen_line);
        else
            cli_error("%s: no records%s", name, rep->rows_dropped ? " with a label" : "");
        mlp_dataset_free(*out);
        *out = NULL;
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

void cli_table_report_print(FILE *fp, const char *name, const mlp_table_report_ex *rep)
{
    if (!rep->rows_dropped && !rep->missing_cells && !rep->unseen_categories &&
        !rep->unseen_classes && !rep->other_cells)
        return;
    fprintf(fp, "%s: %zu rows", name, rep->rows_read);
    if (rep->rows_dropped)
        fprintf(fp, ", %zu dropped (label missing or not a number)", rep->rows_dropped);
    if (rep->unseen_classes)
        fprintf(fp, ", %zu left out (a class not seen in training, first '%s' on line %zu)",
                rep->unseen_classes, rep->unseen_class, rep->unseen_line);
    if (rep->missing_cells) fprintf(fp, ", %zu missing cells imputed", rep->missing_cells);
    if (rep->invalid_cells)
        fprintf(fp, " (%zu of them not of their column's type, first '%s' on line %zu in "
                "column %zu)", rep->invalid_cells, rep->invalid_value, rep->invalid_line,
                rep->invalid_column);
    if (rep->unseen_categories)
        fprintf(fp, ", %zu cells with a category not seen in training (encoded as all zeros)",
                rep->unseen_categories);
    if (rep->other_cells)
        fprintf(fp, ", %zu cells with a value beyond a column's most frequent categories "
                "(encoded as all zeros)", rep->other_cells);
    fputc('\n', fp);
}

void cli_table_report_print_short(FILE *fp, const char *name, const mlp_table_report *rep)
{
    mlp_table_report_ex ex = {.struct_size = sizeof ex,
                              .rows_read = rep->rows_read,
                              .rows_dropped = rep->rows_dropped,
                              .missing_cells = rep->missing_cells,
                              .unseen_categories = rep->unseen_categories};
    cli_table_report_print(fp, name, &ex);
}

static const char *const type_names[MLP_COLUMN_TYPE_COUNT] = {
    "numeric", "categorical", "date", "ignored", "label",
};

/* A column's categories, shortened to fit a line. */
static void print_categories(FILE *fp, const mlp_table_encoding *enc, size_t j,
                             const mlp_table_column_info *c)
{
    size_t n = c->categories, used = 0;
    fprintf(fp, ", %zu categories: ", n);
    for (size_t k = 0; k < n; k++) {
        const char *name = mlp_table_encoding_category(enc, j, k);
        if (used + strlen(name) > 60) {
            fprintf(fp, "... (%zu more)", n - k);
            return;
        }
        used += fprintf(fp, "%s%s", k ? ", " : "", name);
    }
}

/* Cells of a numeric or date column that were not of its type: imputed, with examples
 * and the flag that reads the column otherwise. */
static void print_invalid(FILE *fp, const mlp_table_column_info *c)
{
    if (!c->invalid) return;
    fprintf(fp, ", %zu invalid (", c->invalid);
    for (size_t k = 0; k < MLP_TABLE_INVALID_EXAMPLES && c->invalid_values[k]; k++)
        fprintf(fp, "%s'%.20s'", k ? ", " : "", c->invalid_values[k]);
    fprintf(fp, "%s; imputed as missing; --categorical or --missing to read them otherwise)",
            c->invalid > MLP_TABLE_INVALID_EXAMPLES ? ", ..." : "");
}

static void print_column(FILE *fp, const mlp_table_encoding *enc, size_t j,
                         const mlp_table_column_info *c)
{
    size_t imputed = c->missing + c->invalid;
    const char *tn = c->type < MLP_COLUMN_TYPE_COUNT ? type_names[c->type] : "?";
    fprintf(fp, c->type == MLP_COLUMN_LABEL ? "  %3zu %-20s %s" : "  %3zu %-20s %-11s", j,
            c->name ? c->name : "-", tn);
    if (c->type != MLP_COLUMN_LABEL) fprintf(fp, " missing %zu", c->missing);
    print_invalid(fp, c);
    switch (c->type) {
    case MLP_COLUMN_NUMERIC:
        fprintf(fp, ", mean %.4g%s", c->mean, imputed ? " imputed, + missing indicator" : "");
        break;
    case MLP_COLUMN_DATE:
        fprintf(fp, " -> days since 1970 and season (sin, cos)%s",
                imputed ? ", mean imputed, + missing indicator" : "");
        break;
    case MLP_COLUMN_CATEGORICAL: {
        print_categories(fp, enc, j, c);
        size_t kept = c->width - (c->missing > 0);
        if (c->other) /* beyond max_categories: the rarer values as all zeros */
            fprintf(fp, " (the %zu most frequent; %zu rarer values in %zu cells encoded "
                    "as all zeros)", kept, c->distinct - kept, c->other);
        break;
    }
    case MLP_COLUMN_IGNORED:
        if (c->distinct > 0)
            fprintf(fp, " (%zu distinct text values: an identifier; --categorical to use it)",
                    c->distinct);
        break;
    default:
        break;
    }
    fputc('\n', fp);
}

void cli_table_summary(FILE *fp, const mlp_table_encoding *enc)
{
    size_t n = mlp_table_encoding_column_count(enc);
    fprintf(fp, "columns (%zu, fitted on the training split; %zu input features):\n", n,
            mlp_table_encoding_input_size(enc));
    for (size_t j = 0; j < n; j++) {
        mlp_table_column_info c = {.struct_size = sizeof c};
        if (mlp_table_encoding_column_info(enc, j, &c, NULL) == MLP_OK)
            print_column(fp, enc, j, &c);
    }
    mlp_task task = mlp_table_encoding_task(enc);
    const char *why = mlp_table_encoding_task_reason(enc); /* empty once loaded from a file */
    if (*why)
        fprintf(fp, "task: %s: %s (--task %s to override)\n",
                task == MLP_TASK_CLASSIFY ? "classification" : "regression", why,
                task == MLP_TASK_CLASSIFY ? "regress" : "classify");
}

/* Name of output k of a model: its label column's, else "output_k" into buf. */
const char *cli_output_name(const mlp_preprocess *pre, size_t k, char *buf, size_t size)
{
    const mlp_table_encoding *enc = pre ? mlp_preprocess_encoding(pre) : NULL;
    const char *name = NULL;
    if (enc && mlp_table_encoding_task(enc) == MLP_TASK_REGRESS)
        name = mlp_table_encoding_label_name(enc, k);
    else if (pre && k == 0)
        name = mlp_preprocess_label_name(pre);
    if (name) return name;
    snprintf(buf, size, "output_%zu", k);
    return buf;
}

/* The characters of s inside a quoted field: quotes doubled. */
static void put_quoted(FILE *fp, const char *s)
{
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
}

void cli_csv_field_prefixed(FILE *fp, const char *prefix, const char *text)
{
    if (!strpbrk(prefix, ",\"\n\r") && !strpbrk(text, ",\"\n\r")) {
        fputs(prefix, fp);
        fputs(text, fp);
        return;
    }
    fputc('"', fp);
    put_quoted(fp, prefix);
    put_quoted(fp, text);
    fputc('"', fp);
}

void cli_csv_field(FILE *fp, const char *text) { cli_csv_field_prefixed(fp, "", text); }
