/* Reading a CSV file into a table of text cells (RFC 4180 quoting, csv_feed.h), every row
 * knowing the line it starts on. */
#include "csv_feed.h"
#include "table_internal.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct read_ctx {
    mlp_table *t;
    const char *name;
    mlp_error_detail *detail;
    mlp_status st;
    size_t line;
    size_t text_len, text_cap, cell_cap, line_cap;
    size_t fields;       /* cells of the record being read */
    size_t record_line;  /* line of its first cell */
    int width_known;
} read_ctx;

static void no_memory(read_ctx *c)
{
    c->st = mlp_data_error(c->detail, MLP_ERR_NO_MEMORY, 0, 0, "%s: out of memory", c->name);
}

/* Cells of all records go straight into the table; a record's cells are the last
 * `fields` offsets. */
static void on_field(void *s, size_t len, void *data)
{
    read_ctx *c = data;
    mlp_table *t = c->t;
    if (c->st != MLP_OK) return;
    const char *p = s;
    size_t nl = 0;
    for (size_t i = 0; i < len; i++) nl += p[i] == '\n';
    if (c->fields == 0) c->record_line = c->line - nl;
    const char *nul = memchr(p, '\0', len);
    if (nul) { /* it would end the cell's text: a binary file, or text in UTF-16 */
        size_t after = 0;
        for (const char *q = nul; q < p + len; q++) after += *q == '\n';
        c->st = mlp_data_error(c->detail, MLP_ERR_PARSE, c->line - after, c->fields + 1,
                               "%s:%zu: a NUL byte in cell %zu (not a text file, or not "
                               "UTF-8)", c->name, c->line - after, c->fields + 1);
        return;
    }
    while (len && (*p == ' ' || *p == '\t')) p++, len--;
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    size_t ncells = t->rows * (t->cols ? t->cols : 0) + c->fields;
    if (!c->width_known) ncells = c->fields;
    if (len >= SIZE_MAX - c->text_len - 1 ||
        !mlp_mem_grow((void **)&t->text, &c->text_cap, c->text_len + len + 1, 1) ||
        !mlp_mem_grow((void **)&t->cell, &c->cell_cap, ncells + 1, sizeof *t->cell)) {
        no_memory(c);
        return;
    }
    if (len) memcpy(t->text + c->text_len, p, len);
    t->text[c->text_len + len] = '\0';
    t->cell[ncells] = c->text_len;
    c->text_len += len + 1;
    c->fields++;
}

static void on_record(int term, void *data)
{
    read_ctx *c = data;
    mlp_table *t = c->t;
    (void)term;
    size_t n = c->fields;
    c->fields = 0;
    if (c->st != MLP_OK || n == 0) return;
    size_t first = c->width_known ? t->rows * t->cols : 0;
    if (n == 1 && t->text[t->cell[first]] == '\0') { /* a blank line */
        c->text_len = t->cell[first];
        return;
    }
    if (!c->width_known) {
        t->cols = n;
        c->width_known = 1;
    } else if (n != t->cols) {
        c->st = mlp_data_error(c->detail, MLP_ERR_PARSE, c->record_line, 0,
                               "%s:%zu: %zu cells where the first row has %zu", c->name,
                               c->record_line, n, t->cols);
        return;
    }
    if (!mlp_mem_grow((void **)&t->line, &c->line_cap, t->rows + 1, sizeof *t->line)) {
        no_memory(c);
        return;
    }
    t->line[t->rows++] = c->record_line;
}

static void parse(read_ctx *c, FILE *fp, char delimiter)
{
    csv_feed f = {delimiter, &c->line, &c->st, on_field, on_record, c};
    switch (mlp_csv_feed_stream(fp, &f)) {
    case CSV_FEED_OK:
        break;
    case CSV_FEED_QUOTING:
        c->st = mlp_data_error(c->detail, MLP_ERR_PARSE, c->line, c->fields + 1,
                               "%s:%zu: malformed quoting (RFC 4180)", c->name, c->line);
        break;
    case CSV_FEED_UNCLOSED:
        c->st = mlp_data_error(c->detail, MLP_ERR_PARSE, c->line, 0,
                               "%s:%zu: quoted field not closed before the end of the file",
                               c->name, c->line);
        break;
    case CSV_FEED_IO:
        c->st = mlp_data_error(c->detail, MLP_ERR_IO, 0, 0, "%s: read error", c->name);
        break;
    default:
        if (c->st == MLP_OK) no_memory(c);
    }
}

/* Row 0 as a header: every cell non-empty and neither a number, a date nor missing. */
static int looks_like_header(const mlp_table *t)
{
    if (t->rows == 0) return 0;
    for (size_t j = 0; j < t->cols; j++) {
        const char *s = t->text + t->cell[j];
        double v;
        if (mlp_table_is_missing(s, MLP_TABLE_MISSING_DEFAULT) ||
            mlp_table_parse_number(s, &v) || mlp_table_parse_date(s, &v))
            return 0;
    }
    return 1;
}

/* Moves row 0 into the column names. */
static mlp_status take_header(mlp_table *t, mlp_error_detail *detail)
{
    t->names = mlp_mem_calloc(t->cols, sizeof *t->names);
    if (!t->names) return MLP_ERR_NO_MEMORY;
    for (size_t j = 0; j < t->cols; j++)
        if (!(t->names[j] = mlp_mem_strdup(t->text + t->cell[j]))) return MLP_ERR_NO_MEMORY;
    mlp_status st = mlp_table_index_names(t, detail);
    if (st != MLP_OK) return st;
    t->rows--;
    memmove(t->cell, t->cell + t->cols, t->rows * t->cols * sizeof *t->cell);
    memmove(t->line, t->line + 1, t->rows * sizeof *t->line);
    return MLP_OK;
}

mlp_status mlp_table_index_names(mlp_table *t, mlp_error_detail *detail)
{
    size_t n = 16;
    while (n < 2 * t->cols) n *= 2;
    mlp_mem_free(t->name_slot);
    t->n_name_slots = 0;
    if (!(t->name_slot = mlp_mem_calloc(n, sizeof *t->name_slot))) return MLP_ERR_NO_MEMORY;
    t->n_name_slots = n;
    for (size_t j = 0; j < t->cols; j++) {
        size_t k = mlp_hash_text(t->names[j]) & (n - 1);
        for (; t->name_slot[k]; k = (k + 1) & (n - 1)) {
            size_t other = t->name_slot[k] - 1;
            if (strcmp(t->names[other], t->names[j]) == 0)
                return mlp_data_error(detail, MLP_ERR_PARSE, 0, j + 1,
                                      "%s: columns %zu and %zu are both named '%.60s': columns "
                                      "are matched by name, rename one", t->source, other + 1,
                                      j + 1, t->names[j]);
        }
        t->name_slot[k] = j + 1;
    }
    return MLP_OK;
}

size_t mlp_table_find_name(const mlp_table *t, const char *name)
{
    if (!t->names || !t->n_name_slots) return SIZE_MAX;
    size_t n = t->n_name_slots;
    for (size_t k = mlp_hash_text(name) & (n - 1); t->name_slot[k]; k = (k + 1) & (n - 1))
        if (strcmp(t->names[t->name_slot[k] - 1], name) == 0) return t->name_slot[k] - 1;
    return SIZE_MAX;
}

mlp_table_read_options mlp_table_read_options_default(void)
{
    mlp_table_read_options o = {-1, ','};
    return o;
}

void mlp_table_free(mlp_table *t)
{
    if (!t) return;
    if (t->names)
        for (size_t j = 0; j < t->cols; j++) mlp_mem_free(t->names[j]);
    mlp_mem_free(t->names);
    mlp_mem_free(t->name_slot);
    mlp_mem_free(t->text);
    mlp_mem_free(t->cell);
    mlp_mem_free(t->line);
    mlp_mem_free(t->source);
    mlp_mem_free(t);
}

mlp_status mlp_table_open_stream(mlp_table **out, FILE *fp, const char *name,
                                 const mlp_table_read_options *options,
                                 mlp_error_detail *detail)
{
    if (!out || !fp) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_table_read_options o = options ? *options : mlp_table_read_options_default();
    if (o.has_header < -1 || o.has_header > 1 || o.delimiter == '\0' || o.delimiter == '"' ||
        o.delimiter == '\n' || o.delimiter == '\r')
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "has_header must be 1, 0 or -1; the delimiter not NUL, a quote "
                              "or a line break");
    read_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name ? name : "(stream)";
    c.detail = detail;
    c.t = mlp_mem_calloc(1, sizeof *c.t);
    if (!c.t || !(c.t->source = mlp_mem_strdup(c.name))) {
        mlp_table_free(c.t);
        return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    }
    /* Numbers in the C locale, whatever the application set ("C" always exists, so a
     * failure is memory). */
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!cloc) {
        mlp_table_free(c.t);
        return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    }
    locale_t old = uselocale(cloc);
    parse(&c, fp, o.delimiter);
    if (c.st == MLP_OK && c.t->rows > 0 &&
        (o.has_header == 1 || (o.has_header == -1 && looks_like_header(c.t))))
        c.st = take_header(c.t, detail);
    uselocale(old);
    freelocale(cloc);
    if (c.st == MLP_OK && c.t->cols == 0)
        c.st = mlp_data_error(detail, MLP_ERR_PARSE, 0, 0, "%s: no rows", c.name);
    if (c.st != MLP_OK) {
        if (c.st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, c.st, 0, 0, "out of memory");
        mlp_table_free(c.t);
        return c.st;
    }
    *out = c.t;
    return MLP_OK;
}

mlp_status mlp_table_open(mlp_table **out, const char *path,
                          const mlp_table_read_options *options, mlp_error_detail *detail)
{
    if (!out || !path) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return mlp_data_error(detail, e == ENOMEM ? MLP_ERR_NO_MEMORY : MLP_ERR_IO, 0, 0,
                              "%s: cannot open: %s", path, strerror(e));
    }
    mlp_status st = mlp_table_open_stream(out, fp, path, options, detail);
    fclose(fp);
    return st;
}

size_t mlp_table_row_count(const mlp_table *t) { return t ? t->rows : 0; }
size_t mlp_table_column_count(const mlp_table *t) { return t ? t->cols : 0; }

const char *mlp_table_column_name(const mlp_table *t, size_t col)
{
    return t && t->names && col < t->cols ? t->names[col] : NULL;
}

const char *mlp_table_cell(const mlp_table *t, size_t row, size_t col)
{
    if (!t || row >= t->rows || col >= t->cols) return NULL;
    return t->text + t->cell[row * t->cols + col];
}
