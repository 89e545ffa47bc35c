/* How a table holds its cells (table_internal.h): numeric columns as floats with the few
 * cells that are not numbers kept as text, text columns as text; the text of a numeric
 * column made on demand for mlp_table_cell. */
#include "table_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void mlp_table_number_text(float v, char buf[TABLE_NUMBER_TEXT])
{
    if (v == floorf(v) && fabsf(v) < 1e9f) { /* integers as written, not 1.2345679e+08 */
        snprintf(buf, TABLE_NUMBER_TEXT, "%.0f", (double)v);
        return;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, TABLE_NUMBER_TEXT, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) return;
    }
}

/* s[0..len) as a number a table keeps: finite, and finite as a float. s[len] need not be
 * readable (cells in a read buffer): the cell is copied, NUL-terminated. */
static int cell_number(const char *s, size_t len, double *v)
{
    char small[512];
    if (len == 0) return 0;
    if (len < sizeof small) {
        memcpy(small, s, len);
        small[len] = '\0';
        return mlp_parse_double(small, len, v) && isfinite(*v) && isfinite((float)*v);
    }
    char *copy = mlp_mem_alloc(len + 1); /* a number this long is rare: zeros, digits */
    if (!copy) return 0;
    memcpy(copy, s, len);
    copy[len] = '\0';
    int ok = mlp_parse_double(copy, len, v) && isfinite(*v) && isfinite((float)*v);
    mlp_mem_free(copy);
    return ok;
}

static int add_text(table_col *c, const char *s, size_t len, size_t *off)
{
    if (len >= SIZE_MAX - c->text_len - 1 ||
        !mlp_mem_grow((void **)&c->text, &c->text_cap, c->text_len + len + 1, 1))
        return 0;
    if (len) memcpy(c->text + c->text_len, s, len);
    c->text[c->text_len + len] = '\0';
    *off = c->text_len;
    c->text_len += len + 1;
    return 1;
}

const char *mlp_table_col_other(const table_col *c, size_t r)
{
    size_t lo = 0, hi = c->n_other;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->other[mid].row < r) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->n_other && c->other[lo].row == r ? c->text + c->other[lo].off : "";
}

/* The text every cell of numeric column c (rows rows) reads back as, in a new text block
 * and offsets; 0 when out of memory. */
static int numeric_as_text(const table_col *c, size_t rows, char **text, size_t **off)
{
    table_col t;
    memset(&t, 0, sizeof t);
    t.off = mlp_mem_alloc((rows ? rows : 1) * sizeof *t.off);
    int ok = t.off != NULL;
    for (size_t r = 0, k = 0; ok && r < rows; r++) {
        char buf[TABLE_NUMBER_TEXT];
        const char *s = "";
        if (c->num[r] == c->num[r]) {
            mlp_table_number_text(c->num[r], buf);
            s = buf;
        } else if (k < c->n_other && c->other[k].row == r) {
            s = c->text + c->other[k++].off;
        }
        ok = add_text(&t, s, strlen(s), &t.off[r]);
    }
    if (!ok) {
        mlp_mem_free(t.off);
        mlp_mem_free(t.text);
        return 0;
    }
    *text = t.text ? t.text : NULL;
    *off = t.off;
    return 1;
}

/* Numeric column c (rows rows so far) becomes a text column. */
static int to_text(table_col *c, size_t rows)
{
    char *text = NULL;
    size_t *off = NULL;
    if (!numeric_as_text(c, rows, &text, &off)) return 0;
    mlp_mem_free(c->text);
    mlp_mem_free(c->num);
    mlp_mem_free(c->other);
    c->num = NULL;
    c->other = NULL;
    c->num_cap = c->n_other = c->other_cap = 0;
    c->text = text;
    c->off = off;
    c->off_cap = rows ? rows : 1;
    c->text_len = 0;
    for (size_t r = 0; r < rows; r++) c->text_len = off[r] + strlen(text + off[r]) + 1;
    c->text_cap = c->text_len;
    c->is_text = 1;
    return 1;
}

int mlp_table_col_put(table_col *c, size_t row, const char *s, size_t len)
{
    double v = 0.0;
    int number = cell_number(s, len, &v);
    if (c->is_text) {
        char buf[TABLE_NUMBER_TEXT];
        if (number) { /* a number reads back the same in every kind of column */
            mlp_table_number_text((float)v, buf);
            s = buf;
            len = strlen(buf);
        }
        return mlp_mem_grow((void **)&c->off, &c->off_cap, row + 1, sizeof *c->off) &&
               add_text(c, s, len, &c->off[row]);
    }
    if (c->borrowed ? row >= c->num_cap
                    : !mlp_mem_grow((void **)&c->num, &c->num_cap, row + 1, sizeof *c->num))
        return 0;
    c->num[row] = number ? (float)v : NAN;
    if (number || len == 0) return 1;
    size_t off;
    if (!mlp_mem_grow((void **)&c->other, &c->other_cap, c->n_other + 1, sizeof *c->other) ||
        !add_text(c, s, len, &off))
        return 0;
    c->other[c->n_other++] = (table_other){row, off};
    if (!c->keep_numeric && c->n_other >= TABLE_TEXT_AFTER && 2 * c->n_other > row + 1)
        return to_text(c, row + 1);
    return 1;
}

int mlp_table_col_to_text(table_col *c, size_t rows) { return to_text(c, rows); }

int mlp_table_col_append(table_col *dst, size_t dst_rows, table_col *src, size_t src_rows,
                         size_t total_rows)
{
    size_t base = dst->text_len;
    if (src->text_len >= SIZE_MAX - base ||
        !mlp_mem_grow((void **)&dst->text, &dst->text_cap, base + src->text_len, 1))
        return 0;
    if (dst->is_text) {
        if (dst->off_cap < total_rows) {
            size_t *off = mlp_mem_realloc(dst->off, total_rows * sizeof *off);
            if (!off) return 0;
            dst->off = off;
            dst->off_cap = total_rows;
        }
        for (size_t r = 0; r < src_rows; r++) dst->off[dst_rows + r] = src->off[r] + base;
    } else {
        if (dst->num_cap < total_rows) {
            float *num = mlp_mem_realloc(dst->num, total_rows * sizeof *num);
            if (!num) return 0;
            dst->num = num;
            dst->num_cap = total_rows;
        }
        if (!mlp_mem_grow((void **)&dst->other, &dst->other_cap, dst->n_other + src->n_other,
                          sizeof *dst->other))
            return 0;
        if (src_rows && !src->borrowed) /* a borrowed slice is in place already */
            memcpy(dst->num + dst_rows, src->num, src_rows * sizeof *src->num);
        for (size_t i = 0; i < src->n_other; i++)
            dst->other[dst->n_other++] =
                (table_other){src->other[i].row + dst_rows, src->other[i].off + base};
    }
    if (src->text_len) memcpy(dst->text + base, src->text, src->text_len);
    dst->text_len += src->text_len;
    if (!src->borrowed) mlp_mem_free(src->num);
    mlp_mem_free(src->other);
    mlp_mem_free(src->off);
    mlp_mem_free(src->text);
    src->num = NULL;
    src->other = NULL;
    src->off = NULL;
    src->text = NULL;
    src->num_cap = src->n_other = src->other_cap = src->off_cap = 0;
    src->text_len = src->text_cap = 0;
    return 1;
}

static void shown_free(table_shown *sh)
{
    if (!sh) return;
    mlp_mem_free(sh->text);
    mlp_mem_free(sh->off);
    mlp_mem_free(sh);
}

static void col_clear(table_col *c)
{
    if (!c->borrowed) mlp_mem_free(c->num);
    mlp_mem_free(c->other);
    mlp_mem_free(c->off);
    mlp_mem_free(c->text);
    shown_free(atomic_load(&c->shown));
}

table_store *mlp_table_store_new(size_t cols)
{
    size_t bytes;
    if (!mlp_mul_size(cols, sizeof(table_col), &bytes) || bytes > SIZE_MAX - sizeof(table_store))
        return NULL;
    table_store *s = mlp_mem_calloc(1, sizeof *s + bytes);
    if (s) atomic_init(&s->refs, 1);
    return s;
}

void mlp_table_store_release(table_store *s, size_t cols)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    for (size_t j = 0; j < cols; j++) col_clear(&s->col[j]);
    mlp_mem_free(s);
}

const char *mlp_table_cell(const mlp_table *t, size_t row, size_t col)
{
    if (!t || row >= t->rows || col >= t->cols) return NULL;
    table_col *c = &t->col[col];
    if (t->sel) row = t->sel[row];
    if (c->is_text) return c->text + c->off[row];
    if (c->num[row] != c->num[row]) return mlp_table_col_other(c, row);
    /* A number's text, made for the whole column once (readers may race: one wins). */
    table_shown *sh = atomic_load(&c->shown);
    if (!sh) {
        table_shown *made = mlp_mem_calloc(1, sizeof *made);
        if (!made || !numeric_as_text(c, t->store->rows, &made->text, &made->off)) {
            mlp_mem_free(made);
            return NULL;
        }
        if (atomic_compare_exchange_strong(&c->shown, &sh, made)) sh = made;
        else shown_free(made);
    }
    return sh->text + sh->off[row];
}

mlp_status mlp_table_subset(const mlp_table *t, const size_t *sel, size_t n, mlp_table **out)
{
    mlp_table *s = mlp_mem_calloc(1, sizeof *s);
    if (!s) return MLP_ERR_NO_MEMORY;
    s->rows = n;
    s->cols = t->cols;
    mlp_status st = MLP_ERR_NO_MEMORY;
    s->sel = mlp_mem_alloc((n ? n : 1) * sizeof *s->sel);
    s->line = mlp_mem_alloc((n ? n : 1) * sizeof *s->line);
    s->source = mlp_mem_strdup(t->source);
    if (!s->sel || !s->line || !s->source) goto done;
    atomic_fetch_add(&t->store->refs, 1);
    s->store = t->store;
    s->col = t->col;
    for (size_t i = 0; i < n; i++) {
        s->sel[i] = t->sel ? t->sel[sel[i]] : sel[i];
        s->line[i] = t->line[sel[i]];
    }
    if (t->names) {
        if (!(s->names = mlp_mem_calloc(t->cols, sizeof *s->names))) goto done;
        for (size_t j = 0; j < t->cols; j++)
            if (!(s->names[j] = mlp_mem_strdup(t->names[j]))) goto done;
        if (mlp_table_index_names(s, NULL) != MLP_OK) goto done;
    }
    st = MLP_OK;
done:
    if (st != MLP_OK) mlp_table_free(s);
    else *out = s;
    return st;
}
