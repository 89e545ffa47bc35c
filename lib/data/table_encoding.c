/* A fitted table encoding: its lifetime, what it says about each column, and turning a
 * table into numeric records with it. */
#include "table_internal.h"

#include <locale.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586
#define DAYS_PER_YEAR 365.2425

size_t mlp_table_column_width(const table_column *c)
{
    switch (c->type) {
    case MLP_COLUMN_NUMERIC: return 1 + (c->indicator != 0);
    case MLP_COLUMN_DATE: return TABLE_DATE_WIDTH + (c->indicator != 0);
    case MLP_COLUMN_CATEGORICAL: return c->n_categories;
    default: return 0;
    }
}

size_t mlp_table_encoding_width(const mlp_table_encoding *enc)
{
    size_t w = 0;
    for (size_t j = 0; j < enc->n_columns; j++) w += mlp_table_column_width(&enc->cols[j]);
    return w;
}

mlp_table_encoding *mlp_table_encoding_alloc(size_t n_columns, size_t n_labels)
{
    mlp_table_encoding *enc = mlp_mem_calloc(1, sizeof *enc);
    if (!enc) return NULL;
    enc->n_columns = n_columns;
    enc->n_labels = n_labels;
    enc->cols = mlp_mem_calloc(n_columns ? n_columns : 1, sizeof *enc->cols);
    enc->label_cols = mlp_mem_calloc(n_labels ? n_labels : 1, sizeof *enc->label_cols);
    enc->task = MLP_TASK_REGRESS;
    if (!enc->cols || !enc->label_cols) {
        mlp_table_encoding_free(enc);
        return NULL;
    }
    return enc;
}

static void free_strings(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) mlp_mem_free(s[i]);
    mlp_mem_free(s);
}

void mlp_table_column_clear(table_column *c)
{
    mlp_mem_free(c->name);
    free_strings(c->categories, c->n_categories);
    for (size_t k = 0; k < MLP_TABLE_INVALID_EXAMPLES; k++) mlp_mem_free(c->invalid_examples[k]);
}

void mlp_table_encoding_free(mlp_table_encoding *enc)
{
    if (!enc) return;
    for (size_t j = 0; enc->cols && j < enc->n_columns; j++) mlp_table_column_clear(&enc->cols[j]);
    mlp_mem_free(enc->cols);
    mlp_mem_free(enc->label_cols);
    free_strings(enc->classes, enc->n_classes);
    mlp_mem_free(enc->missing_tokens);
    mlp_mem_free(enc);
}

static char **copy_strings(char *const *s, size_t n)
{
    char **out = mlp_mem_calloc(n ? n : 1, sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = mlp_mem_strdup(s[i]))) {
            free_strings(out, i);
            return NULL;
        }
    return out;
}

mlp_status mlp_table_encoding_clone(mlp_table_encoding **out, const mlp_table_encoding *enc)
{
    return mlp_table_encoding_clone_ex(out, enc, NULL);
}

mlp_status mlp_table_encoding_clone_ex(mlp_table_encoding **out, const mlp_table_encoding *enc,
                                       mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!enc) return mlp_fail(detail, MLP_ERR_NULL_ARG, "enc is NULL");
    mlp_table_encoding *c = mlp_table_encoding_alloc(enc->n_columns, enc->n_labels);
    if (!c) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for a copy of enc");
    memcpy(c->label_cols, enc->label_cols, enc->n_labels * sizeof *c->label_cols);
    c->task = enc->task;
    c->has_names = enc->has_names;
    memcpy(c->task_reason, enc->task_reason, sizeof c->task_reason);
    int ok = (c->missing_tokens = mlp_mem_strdup(enc->missing_tokens)) != NULL;
    if (ok && enc->n_classes) {
        ok = (c->classes = copy_strings(enc->classes, enc->n_classes)) != NULL;
        if (ok) c->n_classes = enc->n_classes;
    }
    for (size_t j = 0; ok && j < enc->n_columns; j++) {
        const table_column *s = &enc->cols[j];
        table_column *d = &c->cols[j];
        *d = *s;
        d->name = NULL;
        d->categories = NULL;
        d->n_categories = 0;
        memset(d->invalid_examples, 0, sizeof d->invalid_examples);
        if (s->name && !(d->name = mlp_mem_strdup(s->name))) ok = 0;
        for (size_t k = 0; ok && k < MLP_TABLE_INVALID_EXAMPLES && s->invalid_examples[k]; k++)
            ok = (d->invalid_examples[k] = mlp_mem_strdup(s->invalid_examples[k])) != NULL;
        if (ok && s->n_categories) {
            ok = (d->categories = copy_strings(s->categories, s->n_categories)) != NULL;
            if (ok) d->n_categories = s->n_categories;
        }
    }
    if (!ok) {
        mlp_table_encoding_free(c);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for a copy of enc");
    }
    *out = c;
    return MLP_OK;
}

/* ------------------------------------------------------------------ accessors */

static const table_column *column(const mlp_table_encoding *enc, size_t col)
{
    return enc && col < enc->n_columns ? &enc->cols[col] : NULL;
}

size_t mlp_table_encoding_input_size(const mlp_table_encoding *enc)
{
    return enc ? mlp_table_encoding_width(enc) : 0;
}
size_t mlp_table_encoding_column_count(const mlp_table_encoding *enc)
{
    return enc ? enc->n_columns : 0;
}
const char *mlp_table_encoding_column_name(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->name : NULL;
}
mlp_column_type mlp_table_encoding_column_type(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->type : MLP_COLUMN_TYPE_COUNT;
}
size_t mlp_table_encoding_column_missing(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->missing : 0;
}
size_t mlp_table_encoding_column_distinct(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->distinct : 0;
}
size_t mlp_table_encoding_column_invalid(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->invalid : 0;
}
const char *mlp_table_encoding_column_invalid_value(const mlp_table_encoding *enc, size_t col,
                                                    size_t k)
{
    const table_column *c = column(enc, col);
    return c && k < MLP_TABLE_INVALID_EXAMPLES ? c->invalid_examples[k] : NULL;
}
size_t mlp_table_encoding_column_other(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->other : 0;
}
size_t mlp_table_encoding_column_width(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? mlp_table_column_width(c) : 0;
}
const char *mlp_table_encoding_category(const mlp_table_encoding *enc, size_t col, size_t k)
{
    const table_column *c = column(enc, col);
    return c && k < c->n_categories ? c->categories[k] : NULL;
}
double mlp_table_encoding_column_mean(const mlp_table_encoding *enc, size_t col)
{
    const table_column *c = column(enc, col);
    return c ? c->mean : NAN;
}
mlp_status mlp_table_encoding_column_info(const mlp_table_encoding *enc, size_t col,
                                          mlp_table_column_info *info,
                                          mlp_error_detail *detail)
{
    if (!enc) return mlp_fail(detail, MLP_ERR_NULL_ARG, "enc is NULL");
    if (!info) return mlp_fail(detail, MLP_ERR_NULL_ARG, "info is NULL");
    /* the first layout is today's: every struct_size from it up to ours is one we know */
    if (info->struct_size < sizeof *info)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "info->struct_size is %zu, less than any "
                        "mlp_table_column_info (%zu bytes): set it to "
                        "sizeof(mlp_table_column_info)", info->struct_size, sizeof *info);
    if (info->struct_size > sizeof *info)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "info->struct_size is %zu, more than this "
                        "libmlp's mlp_table_column_info (%zu bytes): the program was compiled "
                        "against a newer mlp.h", info->struct_size, sizeof *info);
    const table_column *c = column(enc, col);
    if (!c)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "col is %zu, but the encoding has %zu "
                        "columns", col, enc->n_columns);
    mlp_table_column_info i = {
        .struct_size = info->struct_size, .name = c->name, .type = c->type, .label = SIZE_MAX,
        .width = mlp_table_column_width(c), .missing = c->missing, .distinct = c->distinct,
        .categories = c->n_categories, .other = c->other, .invalid = c->invalid,
        .mean = c->mean,
    };
    for (size_t k = 0; k < enc->n_labels; k++)
        if (enc->label_cols[k] == col) i.label = k;
    for (size_t k = 0; k < MLP_TABLE_INVALID_EXAMPLES; k++)
        i.invalid_values[k] = c->invalid_examples[k];
    memcpy(info, &i, info->struct_size);
    return MLP_OK;
}

mlp_task mlp_table_encoding_task(const mlp_table_encoding *enc)
{
    return enc ? enc->task : MLP_TASK_COUNT;
}
const char *mlp_table_encoding_task_reason(const mlp_table_encoding *enc)
{
    return enc ? enc->task_reason : "";
}
size_t mlp_table_encoding_label_count(const mlp_table_encoding *enc)
{
    return enc ? enc->n_labels : 0;
}
const char *mlp_table_encoding_label_name(const mlp_table_encoding *enc, size_t k)
{
    return enc && k < enc->n_labels ? enc->cols[enc->label_cols[k]].name : NULL;
}
size_t mlp_table_encoding_label_column(const mlp_table_encoding *enc, size_t k)
{
    return enc && k < enc->n_labels ? enc->label_cols[k] : SIZE_MAX;
}
size_t mlp_table_encoding_class_count(const mlp_table_encoding *enc)
{
    return enc ? enc->n_classes : 0;
}
const char *mlp_table_encoding_class_name(const mlp_table_encoding *enc, size_t k)
{
    return enc && k < enc->n_classes ? enc->classes[k] : NULL;
}

/* ------------------------------------------------------------------ encoding */

typedef struct encode_ctx {
    const mlp_table_encoding *enc;
    const mlp_table *t;
    size_t *map;             /* encoding column -> table column, SIZE_MAX when absent */
    mlp_str_index *lookup;   /* per encoding column: its categories (categorical only) */
    mlp_str_index classes;   /* classification: class name -> output */
    mlp_table_report_ex rep;
    mlp_error_detail *detail;
    int numeric_tokens;      /* a missing-value token is a number */
} encode_ctx;

/* Encoding column j of row r: missing, a number (*v) or other text (*s); with buf, a
 * number's text too (in buf). */
static int cell_at(const encode_ctx *e, size_t r, size_t j, double *v, const char **s,
                   char *buf)
{
    *s = NULL;
    int k = mlp_table_cell_kind(e->t, r, e->map[j], e->enc->missing_tokens, e->numeric_tokens,
                                v, s);
    if (k == TABLE_CELL_NUMBER && buf && !*s) {
        mlp_table_number_text((float)*v, buf);
        *s = buf;
    }
    return k;
}

/* Finds each column of the encoding in the table: by header name (hashed: wide tables
 * would otherwise cost columns x columns comparisons), else by position. */
static mlp_status map_columns(encode_ctx *e, int with_targets)
{
    const mlp_table_encoding *enc = e->enc;
    const mlp_table *t = e->t;
    int by_name = enc->has_names && t->names;
    size_t labels_absent = t->cols + enc->n_labels == enc->n_columns;
    if (!by_name && t->cols != enc->n_columns && !labels_absent)
        return mlp_data_error(e->detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "%s: %zu columns, where the model's table had %zu (or %zu "
                              "without its label columns)", t->source, t->cols, enc->n_columns,
                              enc->n_columns - enc->n_labels);
    mlp_status st = MLP_OK; /* by name: the table's own index of its header (table_read.c) */
    for (size_t j = 0, k = 0; st == MLP_OK && j < enc->n_columns; j++) {
        const table_column *c = &enc->cols[j];
        e->map[j] = SIZE_MAX;
        if (by_name)
            e->map[j] = mlp_table_find_name(t, c->name);
        else if (!(labels_absent && c->type == MLP_COLUMN_LABEL))
            e->map[j] = k++;
        int needed = (c->type == MLP_COLUMN_LABEL && with_targets) ||
                     (c->type != MLP_COLUMN_LABEL && c->type != MLP_COLUMN_IGNORED);
        if (needed && e->map[j] == SIZE_MAX)
            st = mlp_data_error(e->detail, MLP_ERR_INVALID_ARG, 0, 0,
                                "%s: no %scolumn '%.60s' (column %zu of the training table)",
                                t->source, c->type == MLP_COLUMN_LABEL ? "label " : "",
                                c->name ? c->name : "", j);
    }
    return st;
}

/* The lookups of categories and classes. */
static mlp_status build_lookups(encode_ctx *e, int with_targets)
{
    const mlp_table_encoding *enc = e->enc;
    for (size_t j = 0; j < enc->n_columns; j++) {
        const table_column *c = &enc->cols[j];
        if (c->type != MLP_COLUMN_CATEGORICAL) continue;
        size_t n = c->n_categories - (c->missing_category != 0); /* "(missing)" is no value */
        if (mlp_str_index_build(&e->lookup[j], (const char *const *)c->categories, n) != MLP_OK)
            return MLP_ERR_NO_MEMORY;
    }
    if (with_targets && enc->task == MLP_TASK_CLASSIFY &&
        mlp_str_index_build(&e->classes, (const char *const *)enc->classes, enc->n_classes) !=
            MLP_OK)
        return MLP_ERR_NO_MEMORY;
    return MLP_OK;
}

static void put_date(float *x, double days)
{
    double phase = TWO_PI * fmod(days, DAYS_PER_YEAR) / DAYS_PER_YEAR;
    x[0] = (float)days;
    x[1] = (float)sin(phase);
    x[2] = (float)cos(phase);
}

/* A numeric or date cell that is neither: imputed, counted, the first one kept. */
static void note_invalid(encode_ctx *e, size_t r, size_t j, const char *s)
{
    if (e->rep.invalid_cells++ == 0) {
        e->rep.invalid_line = e->t->line[r];
        e->rep.invalid_column = e->map[j];
        snprintf(e->rep.invalid_value, sizeof e->rep.invalid_value, "%s", s);
    }
}

/* Features of row r into x. */
static void encode_row(encode_ctx *e, size_t r, float *x)
{
    const mlp_table_encoding *enc = e->enc;
    for (size_t j = 0; j < enc->n_columns; j++) {
        const table_column *c = &enc->cols[j];
        if (c->type == MLP_COLUMN_LABEL || c->type == MLP_COLUMN_IGNORED) continue;
        const char *s;
        char buf[TABLE_NUMBER_TEXT];
        double v = c->mean;
        int kind = cell_at(e, r, j, &v, &s, c->type == MLP_COLUMN_NUMERIC ? NULL : buf);
        int is_missing = kind == TABLE_CELL_MISSING;
        if (is_missing) v = c->mean;
        size_t w = mlp_table_column_width(c);
        int valid = c->type == MLP_COLUMN_DATE ? kind == TABLE_CELL_TEXT &&
                                                     mlp_table_parse_date(s, &v)
                                               : kind == TABLE_CELL_NUMBER;
        if ((c->type == MLP_COLUMN_NUMERIC || c->type == MLP_COLUMN_DATE) && !is_missing &&
            !valid) {
            note_invalid(e, r, j, s);
            v = c->mean;
            is_missing = 1;
        }
        e->rep.missing_cells += is_missing != 0;
        switch (c->type) {
        case MLP_COLUMN_NUMERIC:
            x[0] = (float)v;
            break;
        case MLP_COLUMN_DATE:
            put_date(x, v);
            break;
        default: { /* categorical */
            memset(x, 0, w * sizeof *x);
            size_t k = SIZE_MAX;
            if (is_missing && c->missing_category)
                k = c->n_categories - 1;
            else if (!is_missing)
                k = mlp_str_index_find(&e->lookup[j], s);
            if (k != SIZE_MAX) x[k] = 1.0f;
            else if (!is_missing && c->distinct > c->n_categories - (c->missing_category != 0))
                e->rep.other_cells++; /* its rarer values were not kept */
            else if (!is_missing) e->rep.unseen_categories++;
            break;
        }
        }
        if (c->indicator) x[w - 1] = is_missing ? 1.0f : 0.0f;
        x += w;
    }
}

/* Whether row r has targets to learn from: its label cells present, numbers for a
 * regression, a class training saw for a classification. Counts the rows it refuses. */
static int row_has_targets(encode_ctx *e, size_t r, int count)
{
    const mlp_table_encoding *enc = e->enc;
    for (size_t k = 0; k < enc->n_labels; k++) {
        const char *s;
        char buf[TABLE_NUMBER_TEXT];
        double v;
        int kind = cell_at(e, r, enc->label_cols[k], &v, &s, buf);
        if (kind == TABLE_CELL_MISSING ||
            (enc->task == MLP_TASK_REGRESS && kind != TABLE_CELL_NUMBER)) {
            e->rep.rows_dropped += count;
            return 0;
        }
        if (enc->task == MLP_TASK_CLASSIFY && mlp_str_index_find(&e->classes, s) == SIZE_MAX) {
            if (count && e->rep.unseen_classes++ == 0) {
                e->rep.unseen_line = e->t->line[r];
                snprintf(e->rep.unseen_class, sizeof e->rep.unseen_class, "%s", s);
            }
            return 0;
        }
    }
    return 1;
}

static void encode_targets(encode_ctx *e, size_t r, float *y)
{
    const mlp_table_encoding *enc = e->enc;
    for (size_t k = 0; k < enc->n_labels; k++) {
        const char *s;
        char buf[TABLE_NUMBER_TEXT];
        double v = 0.0;
        cell_at(e, r, enc->label_cols[k], &v, &s, buf); /* checked by row_has_targets */
        if (enc->task == MLP_TASK_REGRESS) {
            y[k] = (float)v;
        } else {
            memset(y, 0, enc->n_classes * sizeof *y);
            y[mlp_str_index_find(&e->classes, s)] = 1.0f;
        }
    }
}

static mlp_status encode(encode_ctx *e, int with_targets, mlp_dataset **out)
{
    const mlp_table_encoding *enc = e->enc;
    const mlp_table *t = e->t;
    mlp_status st = map_columns(e, with_targets);
    if (st == MLP_OK) st = build_lookups(e, with_targets);
    if (st != MLP_OK) return st;
    size_t keep = t->rows;
    if (with_targets)
        for (size_t r = 0; r < t->rows; r++) keep -= !row_has_targets(e, r, 0);
    size_t width = mlp_table_encoding_width(enc);
    size_t targets = !with_targets ? 0
                     : enc->task == MLP_TASK_CLASSIFY ? enc->n_classes : enc->n_labels;
    mlp_dataset *ds = NULL;
    if ((st = mlp_dataset_create(&ds, keep, width, targets)) != MLP_OK) return st;
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t r = 0, i = 0; r < t->rows; r++) {
        if (with_targets && !row_has_targets(e, r, 1)) continue;
        encode_row(e, r, x + i * width);
        if (with_targets) encode_targets(e, r, y + i * targets);
        i++;
    }
    if (with_targets && enc->task == MLP_TASK_CLASSIFY)
        st = mlp_dataset_set_class_names(ds, (const char *const *)enc->classes, enc->n_classes);
    if (st == MLP_OK && enc->n_labels)
        st = mlp_dataset_set_label_column(ds, enc->cols[enc->label_cols[0]].name,
                                          (long)enc->label_cols[0]);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return st;
    }
    *out = ds;
    return MLP_OK;
}

/* The first layout of mlp_table_report_ex: the smallest struct_size a caller may pass. */
#define REPORT_EX_MIN_SIZE offsetof(mlp_table_report_ex, unseen_class[64])

static mlp_status encode_entry(const mlp_table_encoding *enc, const mlp_table *t,
                               int with_targets, mlp_dataset **out, mlp_table_report_ex *report,
                               mlp_error_detail *detail)
{
    if (!enc || !t || !out) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    if (report && (report->struct_size < REPORT_EX_MIN_SIZE ||
                   report->struct_size > sizeof *report))
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "report: struct_size %zu is not one this library knows (set it "
                              "to sizeof(mlp_table_report_ex))", report->struct_size);
    encode_ctx e;
    memset(&e, 0, sizeof e);
    e.enc = enc;
    e.t = t;
    e.detail = detail;
    e.rep.struct_size = sizeof e.rep;
    e.rep.rows_read = t->rows;
    e.numeric_tokens = mlp_table_missing_has_number(enc->missing_tokens);
    size_t n = enc->n_columns ? enc->n_columns : 1;
    e.map = mlp_mem_alloc(n * sizeof *e.map);
    e.lookup = mlp_mem_calloc(n, sizeof *e.lookup);
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (e.map && e.lookup && cloc) {
        locale_t old = uselocale(cloc);
        st = encode(&e, with_targets, out);
        uselocale(old);
    }
    if (cloc) freelocale(cloc);
    for (size_t j = 0; e.lookup && j < enc->n_columns; j++) mlp_str_index_free(&e.lookup[j]);
    mlp_str_index_free(&e.classes);
    mlp_mem_free(e.lookup);
    mlp_mem_free(e.map);
    if (st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, st, 0, 0, "out of memory");
    if (st == MLP_OK && report) {
        size_t size = report->struct_size;
        e.rep.struct_size = size;
        memcpy(report, &e.rep, size);
    }
    return st;
}

/* The short report: unseen classes are rows left out, invalid cells imputed ones. */
static mlp_status encode_short(const mlp_table_encoding *enc, const mlp_table *t,
                               int with_targets, mlp_dataset **out, mlp_table_report *report,
                               mlp_error_detail *detail)
{
    mlp_table_report_ex ex;
    memset(&ex, 0, sizeof ex);
    ex.struct_size = sizeof ex;
    mlp_status st = encode_entry(enc, t, with_targets, out, &ex, detail);
    if (st == MLP_OK && report) {
        report->rows_read = ex.rows_read;
        report->rows_dropped = ex.rows_dropped + ex.unseen_classes;
        report->missing_cells = ex.missing_cells;
        report->unseen_categories = ex.unseen_categories;
    }
    return st;
}

mlp_status mlp_table_encode(const mlp_table_encoding *enc, const mlp_table *table,
                            mlp_dataset **out, mlp_table_report *report,
                            mlp_error_detail *detail)
{
    return encode_short(enc, table, 1, out, report, detail);
}

mlp_status mlp_table_encode_inputs(const mlp_table_encoding *enc, const mlp_table *table,
                                   mlp_dataset **out, mlp_table_report *report,
                                   mlp_error_detail *detail)
{
    return encode_short(enc, table, 0, out, report, detail);
}

mlp_status mlp_table_encode_ex(const mlp_table_encoding *enc, const mlp_table *table,
                               bool with_targets, mlp_dataset **out,
                               mlp_table_report_ex *report, mlp_error_detail *detail)
{
    return encode_entry(enc, table, with_targets, out, report, detail);
}
