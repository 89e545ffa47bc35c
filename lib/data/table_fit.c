/* Fitting a table encoding on the training table: which columns are labels, each other
 * column's type (numeric, categorical, date, ignored), its categories or mean, the task. */
#include "table_internal.h"

#include <ctype.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A text column with a distinct value in more than half of its rows, and more than this
 * many values, is taken for an identifier and ignored. */
#define ID_MIN_DISTINCT 50

/* A column whose cells are numbers in at least this share, but not all, is an error (a
 * stray text cell), not a categorical column. */
#define MOSTLY_NUMBERS 0.9

enum { MARK_AUTO = 0, MARK_IGNORE, MARK_CATEGORICAL, MARK_NUMERIC, MARK_LABEL };

/* ------------------------------------------------------------------ distinct values */

typedef struct value_set {
    const char **slot;
    size_t n, cap; /* cap a power of two, or 0 */
} value_set;

static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* Adds s (borrowed); 0 when out of memory. */
static int set_add(value_set *v, const char *s)
{
    if (2 * (v->n + 1) > v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        const char **slot = mlp_mem_calloc(cap, sizeof *slot);
        if (!slot) return 0;
        for (size_t i = 0; i < v->cap; i++) {
            if (!v->slot[i]) continue;
            size_t k = hash_str(v->slot[i]) & (cap - 1);
            while (slot[k]) k = (k + 1) & (cap - 1);
            slot[k] = v->slot[i];
        }
        mlp_mem_free(v->slot);
        v->slot = slot;
        v->cap = cap;
    }
    size_t k = hash_str(s) & (v->cap - 1);
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
    mlp_table_sort_values(out, k);
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
        snprintf(buf, size, "column %zu '%.60s'", j + 1, t->names[j]);
    else
        snprintf(buf, size, "column %zu", j + 1);
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

/* Marks the columns of a comma-separated list; labels also fill enc->label_cols. */
static mlp_status mark_list(const mlp_table *t, const char *list, int mark, const char *what,
                            unsigned char *marks, mlp_table_encoding *enc,
                            mlp_error_detail *detail)
{
    static const char *const mark_names[] = {"", "--ignore", "--categorical", "--numeric",
                                             "the label"};
    const char *p = list;
    while (p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[256];
        if (len >= sizeof item) len = sizeof item - 1;
        memcpy(item, p, len);
        item[len] = '\0';
        size_t j;
        if (!find_column(t, item, &j))
            return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                                  "%s: %s column '%s' is not in the table (%zu columns%s)",
                                  t->source, what, item, t->cols,
                                  t->names ? "" : ", no header row: give 0-based indices");
        if (marks[j] != MARK_AUTO) {
            char words[96];
            column_words(t, j, words, sizeof words);
            return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, j + 1,
                                  "%s: %s is named twice (%s and %s)", t->source, words,
                                  mark_names[marks[j]], mark_names[mark]);
        }
        marks[j] = (unsigned char)mark;
        if (mark == MARK_LABEL) enc->label_cols[enc->n_labels++] = j;
        p = comma ? comma + 1 : NULL;
    }
    return MLP_OK;
}

static size_t list_items(const char *list)
{
    size_t n = 1;
    for (const char *p = list; *p; p++) n += *p == ',';
    return n;
}

/* ------------------------------------------------------------------ fitting */

typedef struct fit_ctx {
    const mlp_table *t;
    const unsigned char *use; /* rows whose labels are all present */
    size_t used;
    const char *missing;
    mlp_error_detail *detail;
} fit_ctx;

static const char *cell(const fit_ctx *f, size_t r, size_t j)
{
    return f->t->text + f->t->cell[r * f->t->cols + j];
}

static mlp_status fit_feature(const fit_ctx *f, size_t j, int mark, table_column *col)
{
    const mlp_table *t = f->t;
    size_t present = 0, first_bad = SIZE_MAX, numbers = 0;
    int numeric = 1, date = 1;
    double sum = 0.0, dsum = 0.0, v;
    value_set set = {NULL, 0, 0};
    for (size_t r = 0; r < t->rows; r++) {
        if (!f->use[r]) continue;
        const char *s = cell(f, r, j);
        if (mlp_table_is_missing(s, f->missing)) {
            col->missing++;
            continue;
        }
        present++;
        if (mlp_table_parse_number(s, &v)) {
            sum += v;
            numbers++;
        } else if (numeric) {
            numeric = 0;
            first_bad = r;
        }
        if (date && mlp_table_parse_date(s, &v))
            dsum += v;
        else
            date = 0;
    }
    /* Distinct values only where categories or identifiers may come of them: a second pass
     * spares a numeric column the hashing of every cell. */
    for (size_t r = 0; (!numeric || mark == MARK_CATEGORICAL) && r < t->rows; r++) {
        const char *s = cell(f, r, j);
        if (!f->use[r] || mlp_table_is_missing(s, f->missing)) continue;
        if (!set_add(&set, s)) {
            mlp_mem_free(set.slot);
            return MLP_ERR_NO_MEMORY;
        }
    }
    col->distinct = set.n;
    mlp_status st = MLP_OK;
    if (mark == MARK_NUMERIC && !numeric) {
        char words[96];
        column_words(t, j, words, sizeof words);
        st = mlp_data_error(f->detail, MLP_ERR_PARSE, t->line[first_bad], j + 1,
                            "%s:%zu: %s (--numeric): not a number: '%.60s'", t->source,
                            t->line[first_bad], words, cell(f, first_bad, j));
    } else if (mark == MARK_AUTO && !numeric && numbers >= MOSTLY_NUMBERS * present) {
        /* Numbers with a few text cells: more likely a typo or an unknown missing-value
         * marker than categories; say so rather than guess. */
        char words[96];
        column_words(t, j, words, sizeof words);
        st = mlp_data_error(f->detail, MLP_ERR_PARSE, t->line[first_bad], j + 1,
                            "%s:%zu: %s: not a number: '%.60s', in a column of numbers (%zu "
                            "of %zu cells); if it marks a missing value, add it to the "
                            "missing-value tokens, or read the column as categories",
                            t->source, t->line[first_bad], words, cell(f, first_bad, j),
                            numbers, present);
    } else if (mark == MARK_IGNORE || present == 0) {
        col->type = MLP_COLUMN_IGNORED;
    } else if (mark == MARK_NUMERIC || (mark == MARK_AUTO && numeric)) {
        col->type = MLP_COLUMN_NUMERIC;
        col->mean = sum / (double)present;
        col->indicator = col->missing > 0;
    } else if (mark == MARK_AUTO && date) {
        col->type = MLP_COLUMN_DATE;
        col->mean = dsum / (double)present;
        col->indicator = col->missing > 0;
    } else if (mark == MARK_AUTO && set.n > ID_MIN_DISTINCT && 2 * set.n > present) {
        col->type = MLP_COLUMN_IGNORED; /* an identifier: one value per row teaches nothing */
    } else {
        col->type = MLP_COLUMN_CATEGORICAL;
        col->missing_category = col->missing > 0;
        col->categories = set_sorted(&set, col->missing_category ? TABLE_MISSING_CATEGORY : NULL,
                                     &col->n_categories);
        if (!col->categories) st = MLP_ERR_NO_MEMORY;
    }
    mlp_mem_free(set.slot);
    return st;
}

/* Task and classes from the label column(s). */
static mlp_status fit_labels(const fit_ctx *f, mlp_task asked, mlp_table_encoding *enc)
{
    const mlp_table *t = f->t;
    size_t j = enc->label_cols[0];
    char words[96];
    column_words(t, j, words, sizeof words);
    if (f->used == 0)
        return mlp_data_error(f->detail, MLP_ERR_INVALID_ARG, 0, j + 1,
                              "%s: the label %s has no value in any row", t->source, words);
    if (enc->n_labels > 1) {
        if (asked == MLP_TASK_CLASSIFY)
            return mlp_data_error(f->detail, MLP_ERR_INVALID_ARG, 0, 0,
                                  "%s: %zu label columns: classification takes one",
                                  t->source, enc->n_labels);
        enc->task = MLP_TASK_REGRESS;
        snprintf(enc->task_reason, sizeof enc->task_reason,
                 "%zu label columns: multi-output regression", enc->n_labels);
    }
    value_set set = {NULL, 0, 0};
    int numeric = 1, integer = 1;
    size_t bad_row = SIZE_MAX, bad_col = j;
    for (size_t k = 0; k < enc->n_labels; k++) {
        size_t c = enc->label_cols[k];
        for (size_t r = 0; r < t->rows; r++) {
            if (!f->use[r]) continue;
            const char *s = cell(f, r, c);
            double v;
            if (!mlp_table_parse_number(s, &v)) {
                if (numeric) bad_row = r, bad_col = c;
                numeric = 0;
            } else if (v != floor(v)) {
                integer = 0;
            }
            if (k == 0 && !set_add(&set, s)) {
                mlp_mem_free(set.slot);
                return MLP_ERR_NO_MEMORY;
            }
        }
    }
    mlp_status st = MLP_OK;
    if (enc->n_labels == 1) {
        if (asked != MLP_TASK_COUNT) {
            enc->task = asked;
            snprintf(enc->task_reason, sizeof enc->task_reason, "asked for (--task)");
        } else if (!numeric) {
            enc->task = MLP_TASK_CLASSIFY;
            snprintf(enc->task_reason, sizeof enc->task_reason,
                     "label %s has text values (%zu distinct)", words, set.n);
        } else if (set.n > MLP_TABLE_MAX_NUMERIC_CLASSES || !integer) {
            enc->task = MLP_TASK_REGRESS;
            snprintf(enc->task_reason, sizeof enc->task_reason,
                     "label %s is numeric with %zu distinct values%s (--task classify to "
                     "override)", words, set.n, integer ? "" : ", not all integers");
        } else {
            enc->task = MLP_TASK_CLASSIFY;
            snprintf(enc->task_reason, sizeof enc->task_reason,
                     "label %s has %zu distinct integer values, at most %d (--task regress "
                     "to override)", words, set.n, MLP_TABLE_MAX_NUMERIC_CLASSES);
        }
    }
    if (enc->task == MLP_TASK_REGRESS && !numeric) {
        column_words(t, bad_col, words, sizeof words);
        st = mlp_data_error(f->detail, MLP_ERR_PARSE, t->line[bad_row], bad_col + 1,
                            "%s:%zu: label %s is not a number: '%.60s' (regression needs "
                            "numbers)", t->source, t->line[bad_row], words,
                            cell(f, bad_row, bad_col));
    } else if (enc->task == MLP_TASK_CLASSIFY) {
        enc->classes = set_sorted(&set, NULL, &enc->n_classes);
        if (!enc->classes) st = MLP_ERR_NO_MEMORY;
    }
    mlp_mem_free(set.slot);
    return st;
}

static mlp_status fit(mlp_table_encoding *enc, const mlp_table *t, const mlp_table_options *o,
                      unsigned char *marks, unsigned char *use, mlp_error_detail *detail)
{
    const char *missing = enc->missing_tokens;
    mlp_status st = mark_list(t, o->label ? o->label : "", MARK_LABEL, "label", marks, enc,
                              detail);
    if (st == MLP_OK && o->ignore) st = mark_list(t, o->ignore, MARK_IGNORE, "--ignore", marks,
                                                  enc, detail);
    if (st == MLP_OK && o->categorical)
        st = mark_list(t, o->categorical, MARK_CATEGORICAL, "--categorical", marks, enc, detail);
    if (st == MLP_OK && o->numeric)
        st = mark_list(t, o->numeric, MARK_NUMERIC, "--numeric", marks, enc, detail);
    if (st != MLP_OK) return st;
    fit_ctx f = {t, use, 0, missing, detail};
    for (size_t r = 0; r < t->rows; r++) {
        use[r] = 1;
        for (size_t k = 0; k < enc->n_labels; k++)
            if (mlp_table_is_missing(cell(&f, r, enc->label_cols[k]), missing)) use[r] = 0;
        f.used += use[r];
    }
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
    return fit_labels(&f, o->task, enc);
}

mlp_table_options mlp_table_options_default(void)
{
    mlp_table_options o;
    memset(&o, 0, sizeof o);
    o.task = MLP_TASK_COUNT;
    return o;
}

mlp_status mlp_table_encoding_fit(mlp_table_encoding **out, const mlp_table *t,
                                  const mlp_table_options *options, mlp_error_detail *detail)
{
    if (!out || !t) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_table_options o = options ? *options : mlp_table_options_default();
    if ((unsigned)o.task > MLP_TASK_COUNT)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0, "unknown task %d", (int)o.task);
    char last[24];
    if (!o.label) { /* the last column, by index */
        snprintf(last, sizeof last, "%zu", t->cols - 1);
        o.label = last;
    }
    mlp_table_encoding *enc = mlp_table_encoding_alloc(t->cols, list_items(o.label));
    unsigned char *marks = mlp_mem_calloc(t->cols, 1);
    unsigned char *use = mlp_mem_alloc(t->rows ? t->rows : 1);
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (enc && marks && use) {
        enc->n_labels = 0;
        enc->has_names = t->names != NULL;
        enc->missing_tokens = mlp_mem_strdup(o.missing ? o.missing : MLP_TABLE_MISSING_DEFAULT);
        locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        if (enc->missing_tokens && cloc) {
            locale_t old = uselocale(cloc);
            st = fit(enc, t, &o, marks, use, detail);
            uselocale(old);
        }
        if (cloc) freelocale(cloc);
    }
    if (st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, st, 0, 0, "out of memory");
    mlp_mem_free(marks);
    mlp_mem_free(use);
    if (st != MLP_OK) {
        mlp_table_encoding_free(enc);
        return st;
    }
    *out = enc;
    return MLP_OK;
}
