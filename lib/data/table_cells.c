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

int mlp_table_missing_has_number(const char *list)
{
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char token[64];
        double v;
        if (len < sizeof token) {
            memcpy(token, p, len);
            token[len] = '\0';
            if (mlp_table_parse_number(token, &v)) return 1;
        }
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

int mlp_table_cell_kind(const mlp_table *t, size_t r, size_t j, const char *list,
                        int numeric_tokens, double *v, const char **s)
{
    if (mlp_table_get(t, r, j, v, s)) {
        if (numeric_tokens) {
            char buf[TABLE_NUMBER_TEXT];
            mlp_table_number_text((float)*v, buf);
            if (mlp_table_is_missing(buf, list)) return TABLE_CELL_MISSING;
        }
        return TABLE_CELL_NUMBER;
    }
    if (mlp_table_is_missing(*s, list)) return TABLE_CELL_MISSING;
    return mlp_table_parse_number(*s, v) ? TABLE_CELL_NUMBER : TABLE_CELL_TEXT;
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
    size_t from;
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

mlp_status mlp_table_sort_values(char **values, size_t n, size_t *from)
{
    for (size_t i = 0; from && i < n; i++) from[i] = i;
    if (n < 2) return MLP_OK;
    /* no fallback when out of memory: an order by text would be another encoding */
    value_key *keys = mlp_mem_alloc(n * sizeof *keys);
    if (!keys) return MLP_ERR_NO_MEMORY;
    int numeric = 1;
    for (size_t i = 0; i < n; i++) {
        keys[i].text = values[i];
        keys[i].from = i;
        if (numeric && !mlp_table_parse_number(values[i], &keys[i].number)) numeric = 0;
    }
    qsort(keys, n, sizeof *keys, numeric ? cmp_number : cmp_text);
    for (size_t i = 0; i < n; i++) {
        values[i] = keys[i].text;
        if (from) from[i] = keys[i].from;
    }
    mlp_mem_free(keys);
    return MLP_OK;
}

mlp_status mlp_table_split(const mlp_table *t, float val_fraction, uint64_t seed,
                           mlp_table **train, mlp_table **val)
{
    return mlp_table_split_ex(t, val_fraction, seed, train, val, NULL);
}

mlp_status mlp_table_split_ex(const mlp_table *t, float val_fraction, uint64_t seed,
                              mlp_table **train, mlp_table **val, mlp_error_detail *detail)
{
    if (!t || !train || !val)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL",
                        !t ? "table" : !train ? "train" : "val");
    /* The same choice as mlp_dataset_split. */
    size_t *idx, nv;
    mlp_status st = mlp_split_indices(t->rows, val_fraction, seed, &idx, &nv, "the table",
                                      detail);
    if (st != MLP_OK) return st;
    mlp_table *a = NULL, *b = NULL;
    st = mlp_table_subset(t, idx + nv, t->rows - nv, &a);
    if (st == MLP_OK) st = mlp_table_subset(t, idx, nv, &b);
    mlp_mem_free(idx);
    if (st != MLP_OK) {
        mlp_table_free(a);
        return mlp_fail(detail, st, "no memory for the two parts of the table (%zu rows)",
                        t->rows);
    }
    *train = a;
    *val = b;
    return MLP_OK;
}
