/* Fitting a table encoding on the training table: which columns are labels, each other
 * column's type (numeric, categorical, date, ignored), its categories or mean, the task. */
#include "table_internal.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A text column with a distinct value in more than half of its rows, and more than this
 * many values, is taken for an identifier and ignored. */
#define ID_MIN_DISTINCT 50

/* An integer label with at least COUNT_MIN_DISTINCT values is a count or a measure, not
 * classes, when one value occurs in fewer than MIN_CLASS_ROWS rows: the tail of a count
 * (a class seen once or twice could not be learned anyway). */
#define MIN_CLASS_ROWS 5
#define COUNT_MIN_DISTINCT 10

enum { MARK_AUTO = 0, MARK_IGNORE, MARK_CATEGORICAL, MARK_NUMERIC, MARK_DATE, MARK_LABEL };

/* The option field that names each mark's columns, for messages. */
static const char *const mark_names[] = {"", "ignore", "categorical", "numeric", "date",
                                         "label"};

/* ------------------------------------------------------------------ distinct values */

typedef struct value_set {
    const char **slot;
    size_t n, cap; /* cap a power of two, or 0 */
} value_set;

/* Adds s (borrowed); 0 when out of memory. */
static int set_add(value_set *v, const char *s)
{
    if (2 * (v->n + 1) > v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        const char **slot = mlp_mem_calloc(cap, sizeof *slot);
        if (!slot) return 0;
        for (size_t i = 0; i < v->cap; i++) {
            if (!v->slot[i]) continue;
            size_t k = mlp_hash_text(v->slot[i]) & (cap - 1);
            while (slot[k]) k = (k + 1) & (cap - 1);
            slot[k] = v->slot[i];
        }
        mlp_mem_free(v->slot);
        v->slot = slot;
        v->cap = cap;
    }
    size_t k = mlp_hash_text(s) & (v->cap - 1);
    while (v->slot[k] && strcmp(v->slot[k], s) != 0) k = (k + 1) & (v->cap - 1);
    if (!v->slot[k]) {
        v->slot[k] = s;
        v->n++;
    }
    return 1;
}

/* The set's values as sorted copies (with `extra` appended when not NULL). */
static char **set_sorted(const value_set *v, const char *extra, size_t *n)
{
    size_t count = v->n + (extra != NULL);
    char **out = mlp_mem_calloc(count ? count : 1, sizeof *out);
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < v->cap; i++) {
        if (!v->slot[i]) continue;
        if (!(out[k++] = mlp_mem_strdup(v->slot[i]))) goto fail;
    }
    if (mlp_table_sort_values(out, k, NULL) != MLP_OK) goto fail;
    if (extra && !(out[k++] = mlp_mem_strdup(extra))) goto fail;
    *n = k;
    return out;
fail:
    for (size_t i = 0; i < k; i++) mlp_mem_free(out[i]);
    mlp_mem_free(out);
    return NULL;
}

/* ------------------------------------------------------------------ columns by name */

static void column_words(const mlp_table *t, size_t j, char *buf, size_t size)
{
    if (t->names)
        snprintf(buf, size, "column %zu '%.60s'", j, t->names[j]);
    else
        snprintf(buf, size, "column %zu", j);
}

/* Resolves one item of a list: a header name, else a 0-based index. */
static int find_column(const mlp_table *t, const char *item, size_t *col)
{
    if (t->names)
        for (size_t j = 0; j < t->cols; j++)
            if (strcmp(t->names[j], item) == 0) {
                *col = j;
                return 1;
            }
    if (!*item) return 0;
    for (const char *p = item; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    if (strlen(item) > 9) return 0;
    size_t j = (size_t)strtoul(item, NULL, 10);
    if (j >= t->cols) return 0;
    *col = j;
    return 1;
}

/* Marks one column named by item (the option field mark_names[mark]); labels also fill
 * enc->label_cols. */
static mlp_status mark_column(const mlp_table *t, const char *item, int mark,
                              unsigned char *marks, mlp_table_encoding *enc,
                              mlp_error_detail *detail)
{
    size_t j;
    if (!find_column(t, item, &j))
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "%s: %s column '%.200s' is not in the table (%zu columns%s)",
                              t->source, mark_names[mark], item, t->cols,
                              t->names ? "" : ", no header row: give 0-based indices");
    if (marks[j] != MARK_AUTO) {
        char words[96];
        column_words(t, j, words, sizeof words);
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, j + 1,
                              "%s: %s is named twice (in the %s and %s options)",
                              t->source, words, mark_names[marks[j]], mark_names[mark]);
    }
    marks[j] = (unsigned char)mark;
    if (mark == MARK_LABEL) enc->label_cols[enc->n_labels++] = j;
    return MLP_OK;
}

/* Marks the columns of a comma-separated list (a deprecated string option). */
static mlp_status mark_list(const mlp_table *t, const char *list, int mark,
                            unsigned char *marks, mlp_table_encoding *enc,
                            mlp_error_detail *detail)
{
    mlp_status st = MLP_OK;
    for (const char *p = list; p && st == MLP_OK;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[256];
        if (len >= sizeof item) len = sizeof item - 1;
        memcpy(item, p, len);
        item[len] = '\0';
        st = mark_column(t, item, mark, marks, enc, detail);
        p = comma ? comma + 1 : NULL;
    }
    return st;
}

/* Marks the columns of an array option (options->field, count entries). */
static mlp_status mark_array(const mlp_table *t, const char *const *items, size_t count,
                             const char *field, int mark, unsigned char *marks,
                             mlp_table_encoding *enc, mlp_error_detail *detail)
{
    if (count && !items)
        return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "options->%s is NULL but its "
                              "count is %zu", field, count);
    mlp_status st = MLP_OK;
    for (size_t i = 0; i < count && st == MLP_OK; i++)
        st = items[i] ? mark_column(t, items[i], mark, marks, enc, detail)
                      : mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0,
                                       "options->%s[%zu] is NULL", field, i);
    return st;
}

static size_t list_items(const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++) n += *p == ',';
    return n;
}

/* The missing-value tokens in force, comma-separated as model files keep them: the
 * deprecated string, then the array; MLP_TABLE_MISSING_DEFAULT when neither is given. */
static mlp_status missing_tokens(const mlp_table_fit_options *o, char **out,
                                 mlp_error_detail *detail)
{
    if (o->missing_count && !o->missing_values)
        return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "options->missing_values is "
                              "NULL but missing_count is %zu", o->missing_count);
    const char *first = o->missing ? o->missing
                        : o->missing_count ? "" : MLP_TABLE_MISSING_DEFAULT;
    size_t len = strlen(first) + 1;
    for (size_t i = 0; i < o->missing_count; i++) {
        const char *v = o->missing_values[i];
        if (!v)
            return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0,
                                  "options->missing_values[%zu] is NULL", i);
        if (strchr(v, ','))
            return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                                  "options->missing_values[%zu] '%.100s' holds a comma, which "
                                  "a missing-value token cannot hold", i, v);
        len += strlen(v) + 1;
    }
    char *s = mlp_mem_alloc(len);
    if (!s) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    size_t used = strlen(first);
    memcpy(s, first, used);
    for (size_t i = 0; i < o->missing_count; i++) {
        if (used) s[used++] = ',';
        size_t n = strlen(o->missing_values[i]);
        memcpy(s + used, o->missing_values[i], n);
        used += n;
    }
    s[used] = '\0';
    *out = s;
    return MLP_OK;
}

/* ------------------------------------------------------------------ fitting */

typedef struct fit_ctx {
    const mlp_table *t;
    unsigned char *use; /* rows whose labels are all present (and numbers, for regression) */
    size_t used;
    const char *missing;
    int numeric_tokens; /* a missing-value token is a number */
    mlp_error_detail *detail;
    size_t max_categories; /* at least 1 */
} fit_ctx;

/* What cell (r, j) is: missing, a number (*v) or other text (*s). */
static int kind(const fit_ctx *f, size_t r, size_t j, double *v, const char **s)
{
    return mlp_table_cell_kind(f->t, r, j, f->missing, f->numeric_tokens, v, s);
}

/* Numeric or date column: cells of another kind are counted and imputed like missing
 * ones; the first few distinct ones are kept to be shown. */
static mlp_status keep_invalid(const fit_ctx *f, size_t j, table_column *col)
{
    size_t kept = 0;
    double v;
    for (size_t r = 0; r < f->t->rows && kept < MLP_TABLE_INVALID_EXAMPLES; r++) {
        const char *s = NULL;
        char buf[TABLE_NUMBER_TEXT];
        if (!f->use[r]) continue;
        int what = kind(f, r, j, &v, &s);
        int valid = col->type == MLP_COLUMN_NUMERIC
                        ? what == TABLE_CELL_NUMBER
                        : what == TABLE_CELL_TEXT && mlp_table_parse_date(s, &v);
        if (what == TABLE_CELL_MISSING || valid) continue;
        if (what == TABLE_CELL_NUMBER && !s) { /* a number kept as a float: its text */
            mlp_table_number_text((float)v, buf);
            s = buf;
        }
        size_t k = 0;
        while (k < kept && strcmp(col->invalid_examples[k], s) != 0) k++;
        if (k < kept) continue;
        if (!(col->invalid_examples[kept++] = mlp_mem_strdup(s))) return MLP_ERR_NO_MEMORY;
    }
    return MLP_OK;
}

/* A column given as numbers or dates with no cell of that kind: the option is wrong. */
static mlp_status none_of_kind(const fit_ctx *f, size_t j, int mark, size_t present)
{
    char words[96];
    column_words(f->t, j, words, sizeof words);
    return mlp_data_error(f->detail, MLP_ERR_INVALID_ARG, 0, j + 1,
                          "%s: %s is in the %s option, but none of its %zu cells is %s",
                          f->t->source, words, mark_names[mark], present,
                          mark == MARK_DATE ? "a date" : "a number");
}

typedef struct value_count {
    size_t count, index; /* index: in the sorted values */
} value_count;

/* Most frequent first; ties in the values' sorted order. */
static int by_count(const void *a, const void *b)
{
    const value_count *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Keeps the `keep` most frequent of the sorted values[0..n) of column j (in their sorted
 * order, at the front of values; the others freed); *other receives the cells of the
 * others. */
static mlp_status keep_frequent(const fit_ctx *f, size_t j, char **values, size_t n,
                                size_t keep, size_t *other)
{
    mlp_str_index ix;
    value_count *vc = mlp_mem_calloc(n, sizeof *vc);
    if (!vc || mlp_str_index_build(&ix, (const char *const *)values, n) != MLP_OK) {
        mlp_mem_free(vc);
        return MLP_ERR_NO_MEMORY;
    }
    for (size_t k = 0; k < n; k++) vc[k].index = k;
    for (size_t r = 0; r < f->t->rows; r++) {
        const char *s;
        double v;
        if (!f->use[r] || kind(f, r, j, &v, &s) == TABLE_CELL_MISSING) continue;
        if (!(s = mlp_table_cell(f->t, r, j))) {
            mlp_str_index_free(&ix);
            mlp_mem_free(vc);
            return MLP_ERR_NO_MEMORY;
        }
        size_t k = mlp_str_index_find(&ix, s);
        if (k != SIZE_MAX) vc[k].count++;
    }
    mlp_str_index_free(&ix);
    qsort(vc, n, sizeof *vc, by_count);
    *other = 0;
    for (size_t k = keep; k < n; k++) { /* dropped: freed, marked */
        *other += vc[k].count;
        mlp_mem_free(values[vc[k].index]);
        values[vc[k].index] = NULL;
    }
    mlp_mem_free(vc);
    size_t kept = 0;
    for (size_t k = 0; k < n; k++)
        if (values[k]) values[kept++] = values[k];
    return MLP_OK;
}

/* Text column: its categories (the max_categories most frequent values, the others
 * counted), or ignored as an identifier. */
static mlp_status fit_text(const fit_ctx *f, size_t j, int mark, size_t present,
                           table_column *col)
{
    value_set set = {NULL, 0, 0};
    for (size_t r = 0; r < f->t->rows; r++) {
        const char *s;
        double v;
        if (!f->use[r] || kind(f, r, j, &v, &s) == TABLE_CELL_MISSING) continue;
        if (!(s = mlp_table_cell(f->t, r, j)) || !set_add(&set, s)) {
            mlp_mem_free(set.slot);
            return MLP_ERR_NO_MEMORY;
        }
    }
    col->distinct = set.n;
    mlp_status st = MLP_OK;
    if (mark == MARK_AUTO && set.n > ID_MIN_DISTINCT && 2 * set.n > present) {
        col->type = MLP_COLUMN_IGNORED; /* an identifier: one value per row teaches nothing */
    } else {
        col->type = MLP_COLUMN_CATEGORICAL;
        col->missing_category = col->missing > 0;
        col->categories = set_sorted(&set, col->missing_category ? TABLE_MISSING_CATEGORY : NULL,
                                     &col->n_categories);
        if (!col->categories) st = MLP_ERR_NO_MEMORY;
        if (st == MLP_OK && set.n > f->max_categories) {
            st = keep_frequent(f, j, col->categories, set.n, f->max_categories, &col->other);
            if (st == MLP_OK) {
                if (col->missing_category) /* "(missing)" moves up behind the values kept */
                    col->categories[f->max_categories] = col->categories[set.n];
                col->n_categories = f->max_categories + (col->missing_category != 0);
            }
        }
    }
    mlp_mem_free(set.slot);
    return st;
}

/* A column's type: asked for, or numbers when more than half of its present cells are
 * numbers, dates when more than half are dates, else text (categories or an identifier).
 * In a numeric or date column, the cells of another kind are invalid: imputed. */
static mlp_status fit_feature(const fit_ctx *f, size_t j, int mark, table_column *col)
{
    size_t present = 0, numbers = 0, dates = 0;
    double sum = 0.0, dsum = 0.0, v;
    for (size_t r = 0; r < f->t->rows; r++) {
        if (!f->use[r]) continue;
        const char *s;
        int k = kind(f, r, j, &v, &s);
        if (k == TABLE_CELL_MISSING) {
            col->missing++;
            continue;
        }
        present++;
        if (k == TABLE_CELL_NUMBER) {
            sum += v;
            numbers++;
        } else if (mlp_table_parse_date(s, &v)) {
            dsum += v;
            dates++;
        }
    }
    if (mark == MARK_IGNORE || present == 0) {
        col->type = MLP_COLUMN_IGNORED;
        return MLP_OK;
    }
    if (mark == MARK_NUMERIC && numbers == 0) return none_of_kind(f, j, mark, present);
    if (mark == MARK_DATE && dates == 0) return none_of_kind(f, j, mark, present);
    if (mark == MARK_NUMERIC || (mark == MARK_AUTO && 2 * numbers > present)) {
        col->type = MLP_COLUMN_NUMERIC;
        col->mean = sum / (double)numbers;
        col->invalid = present - numbers;
    } else if (mark == MARK_DATE || (mark == MARK_AUTO && 2 * dates > present)) {
        col->type = MLP_COLUMN_DATE;
        col->mean = dsum / (double)dates;
        col->invalid = present - dates;
    } else {
        return fit_text(f, j, mark, present, col);
    }
    col->indicator = col->missing + col->invalid > 0;
    return col->invalid ? keep_invalid(f, j, col) : MLP_OK;
}

/* What the numbers of a label say: all integers, how many distinct values, and the fewest
 * rows any value has. */
typedef struct label_stats {
    size_t present, numbers, distinct, rarest;
    int integer;
} label_stats;

static mlp_status label_numbers(const fit_ctx *f, size_t c, label_stats *ls)
{
    double *v = mlp_mem_alloc((f->t->rows ? f->t->rows : 1) * sizeof *v);
    if (!v) return MLP_ERR_NO_MEMORY;
    memset(ls, 0, sizeof *ls);
    ls->integer = 1;
    for (size_t r = 0; r < f->t->rows; r++) {
        if (!f->use[r]) continue;
        ls->present++;
        const char *s;
        if (kind(f, r, c, &v[ls->numbers], &s) != TABLE_CELL_NUMBER) continue;
        if (v[ls->numbers] != floor(v[ls->numbers])) ls->integer = 0;
        ls->numbers++;
    }
    qsort(v, ls->numbers, sizeof *v, mlp_compare_doubles);
    ls->rarest = SIZE_MAX;
    for (size_t i = 0, run = 1; i < ls->numbers; i++, run++)
        if (i + 1 == ls->numbers || v[i + 1] != v[i]) {
            ls->distinct++;
            if (run < ls->rarest) ls->rarest = run;
            run = 0;
        }
    mlp_mem_free(v);
    return MLP_OK;
}

/* The task of one label column when not asked for, and why. Mostly text: classification;
 * numbers: regression unless they are integers with at most MLP_TABLE_MAX_NUMERIC_CLASSES
 * values, and not COUNT_MIN_DISTINCT values or more of which one is rare. */
static mlp_task infer_task(const label_stats *ls, const char *words, size_t text_distinct,
                           char *why, size_t size)
{
    if (2 * ls->numbers <= ls->present) {
        snprintf(why, size, "label %s has text values (%zu distinct)", words, text_distinct);
        return MLP_TASK_CLASSIFY;
    }
    if (!ls->integer || ls->distinct > MLP_TABLE_MAX_NUMERIC_CLASSES) {
        snprintf(why, size, "label %s is numeric with %zu distinct values%s", words,
                 ls->distinct, ls->integer ? "" : ", not all integers");
        return MLP_TASK_REGRESS;
    }
    if (ls->distinct >= COUNT_MIN_DISTINCT && ls->rarest < MIN_CLASS_ROWS) {
        snprintf(why, size, "label %s has %zu distinct integer values, one of them in %zu "
                 "row%s (fewer than %d): counts or measures, not classes", words,
                 ls->distinct, ls->rarest, ls->rarest == 1 ? "" : "s", MIN_CLASS_ROWS);
        return MLP_TASK_REGRESS;
    }
    snprintf(why, size, "label %s has %zu distinct integer values, at most %d%s", words,
             ls->distinct, MLP_TABLE_MAX_NUMERIC_CLASSES,
             ls->distinct >= COUNT_MIN_DISTINCT ? ", none in fewer than 5 rows" : "");
    return MLP_TASK_CLASSIFY;
}

/* Regression: rows whose label is not a number are left out, like missing labels. */
static size_t drop_text_labels(fit_ctx *f, const mlp_table_encoding *enc)
{
    size_t dropped = 0;
    double v;
    const char *s;
    for (size_t r = 0; r < f->t->rows; r++)
        for (size_t k = 0; f->use[r] && k < enc->n_labels; k++)
            if (kind(f, r, enc->label_cols[k], &v, &s) != TABLE_CELL_NUMBER) {
                f->use[r] = 0;
                f->used--;
                dropped++;
            }
    return dropped;
}

/* Task and classes from the label column(s), before the features: their statistics use
 * the rows the labels keep. */
static mlp_status fit_labels(fit_ctx *f, mlp_task asked, mlp_table_encoding *enc)
{
    const mlp_table *t = f->t;
    size_t j = enc->label_cols[0];
    char words[96];
    column_words(t, j, words, sizeof words);
    if (f->used == 0)
        return mlp_data_error(f->detail, MLP_ERR_INVALID_ARG, 0, j + 1,
                              "%s: the label %s has no value in any row", t->source, words);
    if (enc->n_labels > 1 && asked == MLP_TASK_CLASSIFY)
        return mlp_data_error(f->detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "%s: %zu label columns: classification takes one", t->source,
                              enc->n_labels);
    value_set set = {NULL, 0, 0};
    for (size_t r = 0; r < t->rows; r++) {
        const char *s = f->use[r] ? mlp_table_cell(t, r, j) : "";
        if (f->use[r] && (!s || !set_add(&set, s))) {
            mlp_mem_free(set.slot);
            return MLP_ERR_NO_MEMORY;
        }
    }
    label_stats ls;
    mlp_status st = label_numbers(f, j, &ls);
    char *why = enc->task_reason;
    size_t size = sizeof enc->task_reason;
    if (st != MLP_OK) {
    } else if (enc->n_labels > 1) {
        enc->task = MLP_TASK_REGRESS;
        snprintf(why, size, "%zu label columns: multi-output regression", enc->n_labels);
    } else if (asked != MLP_TASK_COUNT) {
        enc->task = asked;
        snprintf(why, size, "as asked");
    } else {
        enc->task = infer_task(&ls, words, set.n, why, size);
    }
    if (st == MLP_OK && enc->task == MLP_TASK_REGRESS) {
        if (ls.numbers == 0)
            st = mlp_data_error(f->detail, MLP_ERR_PARSE, 0, j + 1,
                                "%s: label %s has no number (regression needs numbers)",
                                t->source, words);
        size_t dropped = st == MLP_OK ? drop_text_labels(f, enc) : 0;
        if (dropped) {
            size_t used = strlen(why);
            snprintf(why + used, size - used, "; %zu row%s whose label is not a number left "
                     "out", dropped, dropped == 1 ? "" : "s");
        }
        if (st == MLP_OK && f->used == 0)
            st = mlp_data_error(f->detail, MLP_ERR_PARSE, 0, j + 1,
                                "%s: no row has a number in every label column", t->source);
    } else if (st == MLP_OK) {
        enc->classes = set_sorted(&set, NULL, &enc->n_classes);
        if (!enc->classes) st = MLP_ERR_NO_MEMORY;
    }
    mlp_mem_free(set.slot);
    return st;
}

static mlp_status fit(mlp_table_encoding *enc, const mlp_table *t,
                      const mlp_table_fit_options *o, unsigned char *marks, unsigned char *use,
                      mlp_error_detail *detail)
{
    const char *missing = enc->missing_tokens;
    mlp_status st = MLP_OK;
    if (o->label) st = mark_list(t, o->label, MARK_LABEL, marks, enc, detail);
    if (st == MLP_OK)
        st = mark_array(t, o->labels, o->label_count, "labels", MARK_LABEL, marks, enc, detail);
    const char *lists[] = {o->ignore, o->categorical, o->numeric, o->date};
    const char *const *arrays[] = {o->ignore_columns, o->categorical_columns, o->numeric_columns,
                                   o->date_columns};
    const size_t counts[] = {o->ignore_count, o->categorical_count, o->numeric_count,
                             o->date_count};
    const char *fields[] = {"ignore_columns", "categorical_columns", "numeric_columns",
                            "date_columns"};
    const int list_marks[] = {MARK_IGNORE, MARK_CATEGORICAL, MARK_NUMERIC, MARK_DATE};
    for (size_t i = 0; i < 4 && st == MLP_OK; i++) {
        if (lists[i]) st = mark_list(t, lists[i], list_marks[i], marks, enc, detail);
        if (st == MLP_OK)
            st = mark_array(t, arrays[i], counts[i], fields[i], list_marks[i], marks, enc,
                            detail);
    }
    if (st != MLP_OK) return st;
    fit_ctx f = {t, use, 0, missing, mlp_table_missing_has_number(missing), detail,
                 o->max_categories ? o->max_categories : MLP_TABLE_MAX_CATEGORIES};
    for (size_t r = 0; r < t->rows; r++) {
        use[r] = 1;
        for (size_t k = 0; k < enc->n_labels; k++) {
            double v;
            const char *s;
            if (kind(&f, r, enc->label_cols[k], &v, &s) == TABLE_CELL_MISSING) use[r] = 0;
        }
        f.used += use[r];
    }
    if ((st = fit_labels(&f, o->task, enc)) != MLP_OK) return st;
    for (size_t j = 0; j < t->cols; j++) {
        table_column *c = &enc->cols[j];
        if (t->names && !(c->name = mlp_mem_strdup(t->names[j]))) return MLP_ERR_NO_MEMORY;
        if (marks[j] == MARK_LABEL) {
            c->type = MLP_COLUMN_LABEL;
            continue;
        }
        if ((st = fit_feature(&f, j, marks[j], c)) != MLP_OK) return st;
    }
    if (mlp_table_encoding_width(enc) == 0)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "%s: no feature column left to learn from", t->source);
    return MLP_OK;
}

mlp_table_options mlp_table_options_default(void)
{
    mlp_table_options o;
    memset(&o, 0, sizeof o);
    o.task = MLP_TASK_COUNT;
    return o;
}

mlp_table_fit_options mlp_table_fit_options_default(void)
{
    mlp_table_fit_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.task = MLP_TASK_COUNT;
    return o;
}

mlp_status mlp_table_encoding_fit_ex(mlp_table_encoding **out, const mlp_table *t,
                                     const mlp_table_fit_options *options,
                                     mlp_error_detail *detail)
{
    if (!out || !t) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_table_fit_options o = mlp_table_fit_options_default();
    if (options) {
        if (options->struct_size < offsetof(mlp_table_fit_options, date) + sizeof o.date ||
            options->struct_size > sizeof o)
            return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                                  "options: struct_size %zu is not one this library knows "
                                  "(take the options from mlp_table_fit_options_default)",
                                  options->struct_size);
        memcpy(&o, options, options->struct_size);
    }
    if ((unsigned)o.task > MLP_TASK_COUNT)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0, "unknown task %d", (int)o.task);
    char last[24];
    if (!o.label && o.label_count == 0) { /* the last column, by index */
        snprintf(last, sizeof last, "%zu", t->cols - 1);
        o.label = last;
    }
    char *tokens = NULL;
    mlp_status st = missing_tokens(&o, &tokens, detail);
    if (st != MLP_OK) return st;
    size_t labels = (o.label ? list_items(o.label) : 0) + o.label_count;
    mlp_table_encoding *enc = mlp_table_encoding_alloc(t->cols, labels);
    unsigned char *marks = mlp_mem_calloc(t->cols, 1);
    unsigned char *use = mlp_mem_alloc(t->rows ? t->rows : 1);
    st = MLP_ERR_NO_MEMORY;
    if (enc && marks && use) {
        enc->n_labels = 0;
        enc->has_names = t->names != NULL;
        enc->missing_tokens = tokens;
        tokens = NULL;
        locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (cloc) {
            locale_t old = uselocale(cloc);
            st = fit(enc, t, &o, marks, use, detail);
            uselocale(old);
        }
        if (cloc) freelocale(cloc);
    }
    if (st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, st, 0, 0, "out of memory");
    mlp_mem_free(tokens);
    mlp_mem_free(marks);
    mlp_mem_free(use);
    if (st != MLP_OK) {
        mlp_table_encoding_free(enc);
        return st;
    }
    *out = enc;
    return MLP_OK;
}

mlp_status mlp_table_encoding_fit(mlp_table_encoding **out, const mlp_table *t,
                                  const mlp_table_options *options, mlp_error_detail *detail)
{
    mlp_table_fit_options o = mlp_table_fit_options_default();
    if (options) {
        o.label = options->label;
        o.task = options->task;
        o.ignore = options->ignore;
        o.categorical = options->categorical;
        o.numeric = options->numeric;
        o.missing = options->missing;
    }
    return mlp_table_encoding_fit_ex(out, t, &o, detail);
}
