/* A fitted table encoding: its lifetime, what it says about each column, and turning a
 * table into numeric records with it. */
#include "table_internal.h"

#include <locale.h>
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

void mlp_table_encoding_free(mlp_table_encoding *enc)
{
    if (!enc) return;
    for (size_t j = 0; enc->cols && j < enc->n_columns; j++) {
        mlp_mem_free(enc->cols[j].name);
        free_strings(enc->cols[j].categories, enc->cols[j].n_categories);
    }
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
    if (!out || !enc) return MLP_ERR_NULL_ARG;
    mlp_table_encoding *c = mlp_table_encoding_alloc(enc->n_columns, enc->n_labels);
    if (!c) return MLP_ERR_NO_MEMORY;
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
        if (s->name && !(d->name = mlp_mem_strdup(s->name))) ok = 0;
        if (ok && s->n_categories) {
            ok = (d->categories = copy_strings(s->categories, s->n_categories)) != NULL;
            if (ok) d->n_categories = s->n_categories;
        }
    }
    if (!ok) {
        mlp_table_encoding_free(c);
        return MLP_ERR_NO_MEMORY;
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
    size_t *map;            /* encoding column -> table column, SIZE_MAX when absent */
    mlp_table_report rep;
    mlp_error_detail *detail;
} encode_ctx;

static void words(const encode_ctx *e, size_t j, char *buf, size_t size)
{
    const table_column *c = &e->enc->cols[j];
    if (c->name)
        snprintf(buf, size, "column %zu '%.60s'", e->map[j] + 1, c->name);
    else
        snprintf(buf, size, "column %zu", e->map[j] + 1);
}

static const char *cell_at(const encode_ctx *e, size_t r, size_t j)
{
    return e->t->text + e->t->cell[r * e->t->cols + e->map[j]];
}

static mlp_status bad_cell(const encode_ctx *e, size_t r, size_t j, const char *what)
{
    char w[96];
    words(e, j, w, sizeof w);
    return mlp_data_error(e->detail, MLP_ERR_PARSE, e->t->line[r], e->map[j] + 1,
                          "%s:%zu: %s: %s: '%.60s'", e->t->source, e->t->line[r], w, what,
                          cell_at(e, r, j));
}

/* Finds each column of the encoding in the table. */
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
    for (size_t j = 0, k = 0; j < enc->n_columns; j++) {
        const table_column *c = &enc->cols[j];
        e->map[j] = SIZE_MAX;
        if (by_name) {
            e->map[j] = mlp_table_find_name(t, c->name);
        } else if (!(labels_absent && c->type == MLP_COLUMN_LABEL)) {
            e->map[j] = k++;
        }
        int needed = (c->type == MLP_COLUMN_LABEL && with_targets) ||
                     (c->type != MLP_COLUMN_LABEL && c->type != MLP_COLUMN_IGNORED);
        if (needed && e->map[j] == SIZE_MAX)
            return mlp_data_error(e->detail, MLP_ERR_INVALID_ARG, 0, 0,
                                  "%s: no %scolumn '%.60s' (column %zu of the training table)",
                                  t->source, c->type == MLP_COLUMN_LABEL ? "label " : "",
                                  c->name ? c->name : "", j + 1);
    }
    return MLP_OK;
}

static size_t find_text(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return i;
    return SIZE_MAX;
}

static void put_date(float *x, double days)
{
    double phase = TWO_PI * fmod(days, DAYS_PER_YEAR) / DAYS_PER_YEAR;
    x[0] = (float)days;
    x[1] = (float)sin(phase);
    x[2] = (float)cos(phase);
}

/* Features of row r into x. */
static mlp_status encode_row(encode_ctx *e, size_t r, float *x)
{
    const mlp_table_encoding *enc = e->enc;
    const char *missing = enc->missing_tokens;
    for (size_t j = 0; j < enc->n_columns; j++) {
        const table_column *c = &enc->cols[j];
        if (c->type == MLP_COLUMN_LABEL || c->type == MLP_COLUMN_IGNORED) continue;
        const char *s = cell_at(e, r, j);
        int is_missing = mlp_table_is_missing(s, missing);
        double v = c->mean;
        e->rep.missing_cells += is_missing != 0;
        size_t w = mlp_table_column_width(c);
        switch (c->type) {
        case MLP_COLUMN_NUMERIC:
            if (!is_missing && !mlp_table_parse_number(s, &v))
                return bad_cell(e, r, j, "not a number (a numeric column in training)");
            x[0] = (float)v;
            break;
        case MLP_COLUMN_DATE:
            if (!is_missing && !mlp_table_parse_date(s, &v))
                return bad_cell(e, r, j, "not a date (YYYY-MM-DD or YYYY/MM/DD)");
            put_date(x, v);
            break;
        default: { /* categorical */
            memset(x, 0, w * sizeof *x);
            size_t k = SIZE_MAX;
            if (is_missing && c->missing_category)
                k = c->n_categories - 1;
            else if (!is_missing)
                k = find_text(c->categories, c->n_categories - (c->missing_category != 0), s);
            if (k != SIZE_MAX) x[k] = 1.0f;
            else if (!is_missing) e->rep.unseen_categories++;
            break;
        }
        }
        if (c->indicator) x[w - 1] = is_missing ? 1.0f : 0.0f;
        x += w;
    }
    return MLP_OK;
}

static mlp_status encode_targets(encode_ctx *e, size_t r, float *y)
{
    const mlp_table_encoding *enc = e->enc;
    for (size_t k = 0; k < enc->n_labels; k++) {
        size_t j = enc->label_cols[k];
        const char *s = cell_at(e, r, j);
        double v;
        if (enc->task == MLP_TASK_REGRESS) {
            if (!mlp_table_parse_number(s, &v)) return bad_cell(e, r, j, "label not a number");
            y[k] = (float)v;
        } else {
            size_t id = find_text(enc->classes, enc->n_classes, s);
            if (id == SIZE_MAX)
                return bad_cell(e, r, j, "label not one of the classes seen in training");
            memset(y, 0, enc->n_classes * sizeof *y);
            y[id] = 1.0f;
        }
    }
    return MLP_OK;
}

static int label_missing(const encode_ctx *e, size_t r)
{
    for (size_t k = 0; k < e->enc->n_labels; k++)
        if (mlp_table_is_missing(cell_at(e, r, e->enc->label_cols[k]), e->enc->missing_tokens))
            return 1;
    return 0;
}

static mlp_status encode(encode_ctx *e, int with_targets, mlp_dataset **out)
{
    const mlp_table_encoding *enc = e->enc;
    const mlp_table *t = e->t;
    mlp_status st = map_columns(e, with_targets);
    if (st != MLP_OK) return st;
    size_t keep = t->rows;
    if (with_targets)
        for (size_t r = 0; r < t->rows; r++) keep -= label_missing(e, r);
    size_t width = mlp_table_encoding_width(enc);
    size_t targets = !with_targets ? 0
                     : enc->task == MLP_TASK_CLASSIFY ? enc->n_classes : enc->n_labels;
    mlp_dataset *ds = NULL;
    if ((st = mlp_dataset_create(&ds, keep, width, targets)) != MLP_OK) return st;
    float *x = mlp_dataset_inputs(ds), *y = mlp_dataset_targets(ds);
    for (size_t r = 0, i = 0; st == MLP_OK && r < t->rows; r++) {
        if (with_targets && label_missing(e, r)) {
            e->rep.rows_dropped++;
            continue;
        }
        st = encode_row(e, r, x + i * width);
        if (st == MLP_OK && with_targets) st = encode_targets(e, r, y + i * targets);
        i++;
    }
    if (st == MLP_OK && with_targets && enc->task == MLP_TASK_CLASSIFY)
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

static mlp_status encode_entry(const mlp_table_encoding *enc, const mlp_table *t,
                               int with_targets, mlp_dataset **out, mlp_table_report *report,
                               mlp_error_detail *detail)
{
    if (!enc || !t || !out) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    encode_ctx e;
    memset(&e, 0, sizeof e);
    e.enc = enc;
    e.t = t;
    e.detail = detail;
    e.rep.rows_read = t->rows;
    e.map = mlp_mem_alloc((enc->n_columns ? enc->n_columns : 1) * sizeof *e.map);
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (e.map && cloc) {
        locale_t old = uselocale(cloc);
        st = encode(&e, with_targets, out);
        uselocale(old);
    }
    if (cloc) freelocale(cloc);
    mlp_mem_free(e.map);
    if (st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, st, 0, 0, "out of memory");
    if (st == MLP_OK && report) *report = e.rep;
    return st;
}

mlp_status mlp_table_encode(const mlp_table_encoding *enc, const mlp_table *table,
                            mlp_dataset **out, mlp_table_report *report,
                            mlp_error_detail *detail)
{
    return encode_entry(enc, table, 1, out, report, detail);
}

mlp_status mlp_table_encode_inputs(const mlp_table_encoding *enc, const mlp_table *table,
                                   mlp_dataset **out, mlp_table_report *report,
                                   mlp_error_detail *detail)
{
    return encode_entry(enc, table, 0, out, report, detail);
}
