/* A small CSV table reader for `mlp predict`, whose input may lack the label column (the
 * library's CSV loader always wants one). Fields may be quoted; the first row is a header
 * when it has text where the second row has numbers. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct fields {
    char **v;
    size_t n, cap;
} fields;

static bool fields_push(fields *f, const char *start, size_t len)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        char **v = realloc(f->v, cap * sizeof *v);
        if (!v) return false;
        f->v = v;
        f->cap = cap;
    }
    char *s = malloc(len + 1);
    if (!s) return false;
    memcpy(s, start, len);
    s[len] = '\0';
    f->v[f->n++] = s;
    return true;
}

static void fields_clear(fields *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->v[i]);
    f->n = 0;
}

/* Splits one line into fields; -1 on an unterminated quote, -2 out of memory. */
static int split_line(const char *line, fields *f)
{
    size_t len = strlen(line);
    char *buf = malloc(len + 1);
    if (!buf) return -2;
    const char *p = line;
    for (;;) {
        size_t k = 0;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    free(buf);
                    return -1;
                }
                if (*p == '"' && p[1] == '"') {
                    buf[k++] = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    buf[k++] = *p++;
                }
            }
            while (*p && *p != ',') p++;
        } else {
            while (*p && *p != ',') buf[k++] = *p++;
            while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t')) k--;
        }
        if (!fields_push(f, buf, k)) {
            free(buf);
            return -2;
        }
        if (*p != ',') break;
        p++;
    }
    free(buf);
    return 0;
}

static bool is_number(const char *s)
{
    if (!*s) return false;
    char *end;
    errno = 0;
    strtod(s, &end);
    return *end == '\0';
}

void cli_table_free(cli_table *t)
{
    if (t->header) {
        for (size_t i = 0; i < t->cols; i++) free(t->header[i]);
        free(t->header);
    }
    if (t->cells) {
        for (size_t i = 0; i < t->rows * t->cols; i++) free(t->cells[i]);
        free(t->cells);
    }
    memset(t, 0, sizeof *t);
}

static bool append_row(cli_table *t, fields *f, size_t *cap)
{
    if (t->rows == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        char **cells = realloc(t->cells, c * t->cols * sizeof *cells);
        if (!cells) return false;
        t->cells = cells;
        *cap = c;
    }
    memcpy(t->cells + t->rows * t->cols, f->v, t->cols * sizeof *f->v);
    f->n = 0; /* ownership moved */
    t->rows++;
    return true;
}

/* The first row is a header when a field of it is not a number where the second row has
 * one (or, alone in the file, when none of its fields is a number). */
static bool resolve_first_row(cli_table *t, char ***first, const fields *second,
                              size_t *row_cap)
{
    char **row = *first;
    bool header = false, any_number = false;
    for (size_t j = 0; j < t->cols; j++) {
        bool num = is_number(row[j]);
        any_number = any_number || num;
        if (!num && second && j < second->n && is_number(second->v[j])) header = true;
    }
    if (!second) header = !any_number;
    if (header) {
        t->header = row;
    } else {
        fields f = {row, t->cols, t->cols};
        if (!append_row(t, &f, row_cap)) return false;
        free(row);
    }
    *first = NULL;
    return true;
}

int cli_table_read(const char *path, cli_table *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = cli_open_text(path);
    if (!fp) return CLI_DATA_ERROR;
    path = cli_input_name(path);
    fields f = {0};
    char *line = NULL;
    size_t line_cap = 0, row_cap = 0, line_no = 0;
    ssize_t len;
    int rc = CLI_OK;
    char **first = NULL; /* the first row's fields until the second row is seen */
    while ((len = getline(&line, &line_cap, fp)) >= 0) {
        line_no++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        if ((size_t)len != strlen(line)) {
            cli_error("%s:%zu: not a text file (NUL byte)", path, line_no);
            rc = CLI_DATA_ERROR;
            break;
        }
        int s = split_line(line, &f);
        if (s == -1) {
            cli_error("%s:%zu: unterminated quoted field", path, line_no);
            rc = CLI_DATA_ERROR;
            break;
        }
        if (s == -2) goto oom;
        if (out->cols == 0) {
            out->cols = f.n;
            /* Header or data? Decided with the second row (a string label column is not a
             * header): keep the first row aside until then. */
            first = f.v;
            f.v = NULL;
            f.n = f.cap = 0;
            continue;
        } else if (first) {
            if (!resolve_first_row(out, &first, &f, &row_cap)) goto oom;
            if (f.n != out->cols) {
                cli_error("%s:%zu: %zu fields, but the first row has %zu", path, line_no, f.n,
                          out->cols);
                rc = CLI_DATA_ERROR;
                break;
            }
        } else if (f.n != out->cols) {
            cli_error("%s:%zu: %zu fields, but the first row has %zu", path, line_no, f.n,
                      out->cols);
            rc = CLI_DATA_ERROR;
            break;
        }
        if (!append_row(out, &f, &row_cap)) goto oom;
    }
    if (rc == CLI_OK && first && !resolve_first_row(out, &first, NULL, &row_cap)) goto oom;
    if (rc == CLI_OK && ferror(fp)) {
        cli_error("%s: read error", path);
        rc = CLI_DATA_ERROR;
    }
    if (rc == CLI_OK && out->rows == 0) {
        cli_error("%s: no records", path);
        rc = CLI_DATA_ERROR;
    }
    goto done;
oom:
    cli_error("%s: out of memory", path);
    rc = CLI_DATA_ERROR;
done:
    if (first) {
        for (size_t i = 0; i < out->cols; i++) free(first[i]);
        free(first);
    }
    fields_clear(&f);
    free(f.v);
    free(line);
    cli_close_text(fp);
    if (rc != CLI_OK) cli_table_free(out);
    return rc;
}

void cli_csv_field(FILE *fp, const char *text)
{
    if (!strpbrk(text, ",\"\n\r")) {
        fputs(text, fp);
        return;
    }
    fputc('"', fp);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}
