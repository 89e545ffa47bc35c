/* A small CSV table reader for `mlp predict`, whose input may lack the label column (the
 * library's CSV loader always wants one). Fields may be quoted; the first row is a header
 * when it has text where the second row has numbers. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One row: its fields, NUL-terminated one after the other in one block of text (about the
 * size of the line), so that a table costs its text plus a pointer per cell. */
typedef struct fields {
    char **v;
    size_t n, cap;
    char *text;
} fields;

static bool fields_push(fields *f, char *field)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        char **v = realloc(f->v, cap * sizeof *v);
        if (!v) return false;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = field;
    return true;
}

static void fields_clear(fields *f)
{
    free(f->text);
    f->text = NULL;
    f->n = 0;
}

/* Splits one line into fields; -1 on an unterminated quote, -2 out of memory. */
static int split_line(const char *line, fields *f)
{
    size_t len = strlen(line);
    char *buf = malloc(len + 1); /* quotes and separators give way to the NULs */
    if (!buf) return -2;
    fields_clear(f);
    f->text = buf;
    size_t k = 0;
    const char *p = line;
    for (;;) {
        char *start = buf + k;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') return -1;
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
            while (buf + k > start && (buf[k - 1] == ' ' || buf[k - 1] == '\t')) k--;
        }
        buf[k++] = '\0';
        if (!fields_push(f, start)) return -2;
        if (*p != ',') break;
        p++;
    }
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
    free(t->header);
    free(t->header_text);
    if (t->row_text)
        for (size_t i = 0; i < t->rows; i++) free(t->row_text[i]);
    free(t->row_text);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

/* Moves the row (its text and cell pointers) into the table. */
static bool append_row(cli_table *t, fields *f, size_t *cap)
{
    if (t->rows == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        char **cells = realloc(t->cells, c * t->cols * sizeof *cells);
        if (!cells) return false;
        t->cells = cells;
        char **text = realloc(t->row_text, c * sizeof *text);
        if (!text) return false;
        t->row_text = text;
        *cap = c;
    }
    memcpy(t->cells + t->rows * t->cols, f->v, t->cols * sizeof *f->v);
    t->row_text[t->rows++] = f->text;
    f->text = NULL; /* ownership moved */
    f->n = 0;
    return true;
}

/* The first row is a header when a field of it is not a number where the second row has
 * one (or, alone in the file, when none of its fields is a number). */
static bool resolve_first_row(cli_table *t, fields *first, const fields *second,
                              size_t *row_cap)
{
    char **row = first->v;
    bool header = false, any_number = false;
    for (size_t j = 0; j < t->cols; j++) {
        bool num = is_number(row[j]);
        any_number = any_number || num;
        if (!num && second && j < second->n && is_number(second->v[j])) header = true;
    }
    if (!second) header = !any_number;
    if (header) {
        t->header = first->v;
        t->header_text = first->text;
        memset(first, 0, sizeof *first);
        return true;
    }
    return append_row(t, first, row_cap);
}

int cli_table_read(const char *path, cli_table *out)
{
    memset(out, 0, sizeof *out);
    FILE *fp = cli_open_text(path);
    if (!fp) return CLI_DATA_ERROR;
    path = cli_input_name(path);
    fields f = {0}, first = {0}; /* the first row waits for the second to be seen */
    bool have_first = false;
    char *line = NULL;
    size_t line_cap = 0, row_cap = 0, line_no = 0;
    ssize_t len;
    int rc = CLI_OK;
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
            /* Header or data? Decided with the second row (a string label column is not a
             * header): keep the first row aside until then. */
            out->cols = f.n;
            first = f;
            memset(&f, 0, sizeof f);
            have_first = true;
            continue;
        }
        if (have_first) {
            if (!resolve_first_row(out, &first, &f, &row_cap)) goto oom;
            have_first = false;
        }
        if (f.n != out->cols) {
            cli_error("%s:%zu: %zu fields, but the first row has %zu", path, line_no, f.n,
                      out->cols);
            rc = CLI_DATA_ERROR;
            break;
        }
        if (!append_row(out, &f, &row_cap)) goto oom;
    }
    if (rc == CLI_OK && have_first) {
        if (!resolve_first_row(out, &first, NULL, &row_cap)) goto oom;
        have_first = false;
    }
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
    fields_clear(&first);
    free(first.v);
    fields_clear(&f);
    free(f.v);
    free(line);
    cli_close_text(fp);
    if (rc != CLI_OK) cli_table_free(out);
    return rc;
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
