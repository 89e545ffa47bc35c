/* What a table cell holds: missing, a number, a date; sorting of text values; row split. */
#include "table_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int mlp_table_parse_number(const char *s, double *out)
{
    double v;
    if (!mlp_parse_double(s, strlen(s), &v) || !isfinite(v) || !isfinite((float)v)) return 0;
    *out = v;
    return 1;
}

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

/* One pass over the list, no strlen (this runs on every cell of a table); ASCII case only,
 * whatever the caller's locale. */
int mlp_table_is_missing(const char *s, const char *list)
{
    if (!*s) return 1;
    for (const char *p = list; p && *p;) {
        size_t i = 0;
        while (p[i] && p[i] != ',' && s[i] && ascii_lower((unsigned char)p[i]) ==
                                                 ascii_lower((unsigned char)s[i]))
            i++;
        if ((p[i] == ',' || !p[i]) && !s[i]) return 1;
        while (p[i] && p[i] != ',') i++;
        if (!p[i]) break;
        p += i + 1;
    }
    return 0;
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int mlp_table_parse_date(const char *s, double *days)
{
    int y, m, d;
    for (int i = 0; i < 10; i++) /* before reading s[4]: a short cell ends sooner */
        if (!s[i]) return 0;
    char sep = s[4];
    if ((sep != '-' && sep != '/') || s[7] != sep) return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d)) return 0;
    if (s[10] != '\0' && s[10] != 'T' && s[10] != ' ') return 0;
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > month_days[m - 1]) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) return 0;
    *days = (double)days_from_civil(y, m, d);
    return 1;
}

typedef struct value_key {
    char *text;
    double number;
} value_key;

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const value_key *)a)->text, ((const value_key *)b)->text);
}

static int cmp_number(const void *a, const void *b)
{
    const value_key *x = a, *y = b;
    if (x->number != y->number) return x->number < y->number ? -1 : 1;
    return strcmp(x->text, y->text);
}

mlp_status mlp_table_sort_values(char **values, size_t n)
{
    if (n < 2) return MLP_OK;
    /* no fallback when out of memory: an order by text would be another encoding */
    value_key *keys = mlp_mem_alloc(n * sizeof *keys);
    if (!keys) return MLP_ERR_NO_MEMORY;
    int numeric = 1;
    for (size_t i = 0; i < n; i++) {
        keys[i].text = values[i];
        if (numeric && !mlp_table_parse_number(values[i], &keys[i].number)) numeric = 0;
    }
    qsort(keys, n, sizeof *keys, numeric ? cmp_number : cmp_text);
    for (size_t i = 0; i < n; i++) values[i] = keys[i].text;
    mlp_mem_free(keys);
    return MLP_OK;
}

/* A table of the rows sel[0..n) of t (text shared by copying it whole). */
static mlp_status subset(const mlp_table *t, const size_t *sel, size_t n, mlp_table **out)
{
    mlp_table *s = mlp_mem_calloc(1, sizeof *s);
    size_t text_len = 0, cells;
    if (!s) return MLP_ERR_NO_MEMORY;
    if (t->rows) {
        size_t last = t->cell[t->rows * t->cols - 1];
        text_len = last + strlen(t->text + last) + 1;
    }
    s->rows = n;
    s->cols = t->cols;
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (!mlp_mul_size(n ? n : 1, t->cols, &cells)) goto done;
    s->text = mlp_mem_alloc(text_len ? text_len : 1);
    s->cell = mlp_mem_alloc(cells * sizeof *s->cell);
    s->line = mlp_mem_alloc((n ? n : 1) * sizeof *s->line);
    s->source = mlp_mem_strdup(t->source);
    if (!s->text || !s->cell || !s->line || !s->source) goto done;
    if (text_len) memcpy(s->text, t->text, text_len);
    for (size_t i = 0; i < n; i++) {
        memcpy(s->cell + i * t->cols, t->cell + sel[i] * t->cols, t->cols * sizeof *s->cell);
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

mlp_status mlp_table_split(const mlp_table *t, float val_fraction, uint64_t seed,
                           mlp_table **train, mlp_table **val)
{
    if (!t || !train || !val) return MLP_ERR_NULL_ARG;
    /* The same choice as mlp_dataset_split. */
    size_t *idx, nv;
    mlp_status st = mlp_split_indices(t->rows, val_fraction, seed, &idx, &nv);
    if (st != MLP_OK) return st;
    mlp_table *a = NULL, *b = NULL;
    st = subset(t, idx + nv, t->rows - nv, &a);
    if (st == MLP_OK) st = subset(t, idx, nv, &b);
    mlp_mem_free(idx);
    if (st != MLP_OK) {
        mlp_table_free(a);
        return st;
    }
    *train = a;
    *val = b;
    return MLP_OK;
}
