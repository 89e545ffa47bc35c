/* Reading a CSV file into a table (RFC 4180 quoting, csv_feed.h), every row knowing the line
 * it starts on: each cell goes straight into its column, parsed (table_store.c), so a numeric
 * column never holds the text of its numbers. */
#include "csv_feed.h"
#include "table_internal.h"

#include <errno.h>
#include <locale.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct read_ctx {
    mlp_table *t;
    const char *name;
    mlp_error_detail *detail;
    mlp_status st;
    size_t line;
    int has_header;      /* 1, 0, -1: detect from the first record */
    int keep_numeric;    /* columns never turn into text (table_part) */
    const table_part *part;
    size_t fields;       /* cells of the record being read */
    size_t record_line;  /* line of its first cell */
    /* the first record's cells as written, until it is known to be a header or data */
    char *head;
    size_t head_len, head_cap;
    size_t *head_off;
    size_t head_n, head_off_cap;
    void (*progress)(size_t done, size_t total, void *user_data);
    void *progress_user_data;
    size_t total;        /* bytes of the file, for progress (0: unknown) */
} read_ctx;

static void no_memory(read_ctx *c)
{
    c->st = mlp_data_error(c->detail, MLP_ERR_NO_MEMORY, 0, 0, "%s: out of memory", c->name);
}

/* A cell: into its column (parsed there), or, for the first record, kept as text. */
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
    size_t j = c->fields++;
    int ok = 1;
    if (!t->col) { /* the first record: text, cell by cell (its width is not known yet) */
        ok = len < SIZE_MAX - c->head_len - 1 &&
             mlp_mem_grow((void **)&c->head, &c->head_cap, c->head_len + len + 1, 1) &&
             mlp_mem_grow((void **)&c->head_off, &c->head_off_cap, j + 1, sizeof(size_t));
        if (ok) {
            if (len) memcpy(c->head + c->head_len, p, len);
            c->head[c->head_len + len] = '\0';
            c->head_off[j] = c->head_len;
            c->head_len += len + 1;
            c->head_n = j + 1;
        }
    } else if (j < t->cols) {
        ok = mlp_table_col_put(&t->col[j], t->rows, p, len);
    }
    if (!ok) no_memory(c);
}

/* Row 0 as a header: every cell non-empty and neither a number, a date nor missing. */
static int looks_like_header(const read_ctx *c)
{
    for (size_t j = 0; j < c->head_n; j++) {
        const char *s = c->head + c->head_off[j];
        double v;
        if (mlp_table_is_missing(s, MLP_TABLE_MISSING_DEFAULT) ||
            mlp_table_parse_number(s, &v) || mlp_table_parse_date(s, &v))
            return 0;
    }
    return 1;
}

static int add_row_line(read_ctx *c)
{
    mlp_table *t = c->t;
    const table_part *p = c->part;
    if (p && p->preset_line ? t->rows >= t->line_cap
                            : !mlp_mem_grow((void **)&t->line, &t->line_cap, t->rows + 1,
                                            sizeof *t->line))
        return 0;
    t->line[t->rows++] = c->record_line;
    return 1;
}

/* The first record gives the width; it becomes the names, or row 0. */
static void first_record(read_ctx *c)
{
    mlp_table *t = c->t;
    size_t n = c->head_n;
    if (!(t->store = mlp_table_store_new(n))) {
        no_memory(c);
        return;
    }
    t->col = t->store->col;
    t->cols = n;
    for (size_t j = 0; j < n; j++) t->col[j].keep_numeric = c->keep_numeric;
    const table_part *p = c->part;
    if (p && p->preset) { /* the numbers go straight into the caller's arrays */
        if (n != p->preset_cols) {
            c->st = MLP_ERR_PARSE; /* the caller leaves the message to one reading */
            return;
        }
        for (size_t j = 0; j < n; j++) {
            t->col[j].num = p->preset[j] + p->preset_row0;
            t->col[j].num_cap = p->preset_rows;
            t->col[j].borrowed = 1;
        }
    }
    if (c->has_header == 1 || (c->has_header == -1 && looks_like_header(c))) {
        if (!(t->names = mlp_mem_calloc(n, sizeof *t->names))) {
            no_memory(c);
            return;
        }
        for (size_t j = 0; j < n; j++)
            if (!(t->names[j] = mlp_mem_strdup(c->head + c->head_off[j]))) {
                no_memory(c);
                return;
            }
        mlp_status st = mlp_table_index_names(t, c->detail);
        if (st != MLP_OK) c->st = st;
        return;
    }
    for (size_t j = 0; j < n; j++) {
        const char *s = c->head + c->head_off[j];
        if (!mlp_table_col_put(&t->col[j], 0, s, strlen(s))) {
            no_memory(c);
            return;
        }
    }
    if (!add_row_line(c)) no_memory(c);
}

/* Whether the row being read is one empty cell (given that it has one cell). */
static int blank_row(const mlp_table *t)
{
    const table_col *c = &t->col[0];
    size_t r = t->rows;
    if (c->is_text) return c->text[c->off[r]] == '\0';
    return c->num[r] != c->num[r] && !(c->n_other && c->other[c->n_other - 1].row == r);
}

static void on_record(int term, void *data)
{
    read_ctx *c = data;
    mlp_table *t = c->t;
    (void)term;
    size_t n = c->fields;
    c->fields = 0;
    if (c->st != MLP_OK || n == 0) return;
    if (n == 1 && (t->col ? blank_row(t) : c->head[0] == '\0')) { /* a blank line */
        c->head_len = 0;
        return;
    }
    if (!t->col) {
        first_record(c);
        return;
    }
    if (n != t->cols) {
        c->st = mlp_data_error(c->detail, MLP_ERR_PARSE, c->record_line, 0,
                               "%s:%zu: %zu cells where the first row has %zu", c->name,
                               c->record_line, n, t->cols);
        return;
    }
    if (!add_row_line(c)) no_memory(c);
}

static void on_progress(size_t bytes, void *data)
{
    read_ctx *c = data;
    if (c->progress) c->progress(bytes, c->total, c->progress_user_data);
}

/* Numeric columns hold exactly their rows (they grew by doubling). */
static void trim_columns(mlp_table *t)
{
    for (size_t j = 0; j < t->cols; j++) {
        table_col *col = &t->col[j];
        if (col->is_text || col->borrowed || !t->rows || col->num_cap <= t->rows) continue;
        float *num = mlp_mem_realloc(col->num, t->rows * sizeof *num);
        if (num) {
            col->num = num;
            col->num_cap = t->rows;
        }
    }
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

mlp_table_read_options_ex mlp_table_read_options_ex_default(void)
{
    mlp_table_read_options_ex o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.has_header = -1;
    o.delimiter = ',';
    return o;
}

void mlp_table_free(mlp_table *t)
{
    if (!t) return;
    if (t->names)
        for (size_t j = 0; j < t->cols; j++) mlp_mem_free(t->names[j]);
    mlp_table_store_release(t->store, t->cols);
    mlp_mem_free(t->sel);
    mlp_mem_free(t->names);
    mlp_mem_free(t->name_slot);
    mlp_mem_free(t->line);
    mlp_mem_free(t->source);
    mlp_mem_free(t);
}

/* The caller's options (NULL: the defaults), checked. */
static mlp_status read_options(mlp_table_read_options_ex *o,
                               const mlp_table_read_options_ex *options,
                               mlp_error_detail *detail)
{
    *o = mlp_table_read_options_ex_default();
    mlp_status st = options ? mlp_read_config(o, sizeof *o, options,
                                              offsetof(mlp_table_read_options_ex,
                                                       progress_user_data) +
                                                  sizeof(void *),
                                              "options", "mlp_table_read_options_ex", detail)
                            : MLP_OK;
    if (st != MLP_OK) return st;
    if (o->has_header < -1 || o->has_header > 1 || o->delimiter == '\0' || o->delimiter == '"' ||
        o->delimiter == '\n' || o->delimiter == '\r' || o->threads < 0)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "has_header must be 1, 0 or -1; the delimiter not NUL, a quote "
                              "or a line break; threads >= 0");
    return MLP_OK;
}

mlp_status mlp_table_read_part(mlp_table **out, table_part *part, const char *name,
                               char delimiter, mlp_error_detail *detail)
{
    read_ctx c;
    memset(&c, 0, sizeof c);
    c.name = name ? name : "(stream)";
    c.detail = detail;
    c.has_header = part->has_header;
    c.keep_numeric = part->keep_numeric;
    c.part = part;
    c.progress = part->progress;
    c.progress_user_data = part->progress_user_data;
    c.total = part->total;
    c.t = mlp_mem_calloc(1, sizeof *c.t);
    if (!c.t || !(c.t->source = mlp_mem_strdup(c.name))) {
        mlp_table_free(c.t);
        return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    }
    if (part->preset_line) { /* the caller's slice: taken back before the table is freed */
        c.t->line = part->preset_line + part->preset_row0;
        c.t->line_cap = part->preset_rows;
    }
    /* Numbers in the C locale, whatever the application set ("C" always exists, so a
     * failure is memory). */
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!cloc) {
        mlp_table_free(c.t);
        return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    }
    locale_t old = uselocale(cloc);
    csv_feed f = {delimiter, &c.line, &c.st, on_field, on_record, &c,
                  part->progress ? on_progress : NULL};
    /* before c.st and c.line are read */
    csv_feed_result r = part->fp ? mlp_csv_feed_stream(part->fp, &f)
                                 : mlp_csv_feed_range(part->fd, part->begin, part->end, &f);
    c.st = mlp_csv_feed_status(r, c.st, c.name, c.line, c.fields + 1, detail);
    uselocale(old);
    freelocale(cloc);
    mlp_mem_free(c.head);
    mlp_mem_free(c.head_off);
    part->lines = c.line;
    if (c.st == MLP_OK && c.t->cols == 0)
        c.st = mlp_data_error(detail, MLP_ERR_PARSE, 0, 0, "%s: no rows", c.name);
    if (c.st != MLP_OK) {
        if (c.st == MLP_ERR_NO_MEMORY) mlp_data_error(detail, c.st, 0, 0, "out of memory");
        if (part->preset_line) c.t->line = NULL; /* not the table's to free */
        mlp_table_free(c.t);
        return c.st;
    }
    trim_columns(c.t);
    c.t->store->rows = c.t->rows;
    *out = c.t;
    return MLP_OK;
}

/* Reads fp from its current position with the checked options o: a regular file read from
 * its start by byte ranges on threads, else as a stream. */
static mlp_status load_stream(mlp_table **out, FILE *fp, const char *name,
                              const mlp_table_read_options_ex *o, mlp_error_detail *detail)
{
    table_part part;
    memset(&part, 0, sizeof part);
    part.fp = fp;
    part.has_header = o->has_header;
    part.progress = o->progress;
    part.progress_user_data = o->progress_user_data;
    struct stat sb;
    int fd = fileno(fp);
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        part.total = (size_t)sb.st_size;
        if (ftello(fp) == 0 &&
            mlp_table_read_ranges(out, fd, part.total, name ? name : "(stream)", o, 0) == MLP_OK) {
            fseeko(fp, 0, SEEK_END); /* read to its end, as a stream would be */
            return MLP_OK;
        }
    }
    return mlp_table_read_part(out, &part, name, o->delimiter, detail);
}

mlp_status mlp_table_open_stream_ex(mlp_table **out, FILE *fp, const char *name,
                                    const mlp_table_read_options_ex *options,
                                    mlp_error_detail *detail)
{
    if (!out || !fp) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_table_read_options_ex o;
    mlp_status st = read_options(&o, options, detail);
    return st == MLP_OK ? load_stream(out, fp, name, &o, detail) : st;
}

/* The old options as the new ones. */
static mlp_table_read_options_ex widen(const mlp_table_read_options *options)
{
    mlp_table_read_options_ex o = mlp_table_read_options_ex_default();
    if (options) {
        o.has_header = options->has_header;
        o.delimiter = options->delimiter;
    }
    return o;
}

mlp_status mlp_table_open_stream(mlp_table **out, FILE *fp, const char *name,
                                 const mlp_table_read_options *options,
                                 mlp_error_detail *detail)
{
    mlp_table_read_options_ex o = widen(options);
    return mlp_table_open_stream_ex(out, fp, name, &o, detail);
}

mlp_status mlp_table_open_ex(mlp_table **out, const char *path,
                             const mlp_table_read_options_ex *options, mlp_error_detail *detail)
{
    if (!out || !path) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    mlp_table_read_options_ex o;
    mlp_status st = read_options(&o, options, detail);
    if (st != MLP_OK) return st;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return mlp_data_error(detail, e == ENOMEM ? MLP_ERR_NO_MEMORY : MLP_ERR_IO, 0, 0,
                              "%s: cannot open: %s", path, strerror(e));
    }
    st = load_stream(out, fp, path, &o, detail);
    fclose(fp);
    return st;
}

mlp_status mlp_table_open(mlp_table **out, const char *path,
                          const mlp_table_read_options *options, mlp_error_detail *detail)
{
    mlp_table_read_options_ex o = widen(options);
    return mlp_table_open_ex(out, path, &o, detail);
}

size_t mlp_table_row_count(const mlp_table *t) { return t ? t->rows : 0; }
size_t mlp_table_column_count(const mlp_table *t) { return t ? t->cols : 0; }

const char *mlp_table_column_name(const mlp_table *t, size_t col)
{
    return t && t->names && col < t->cols ? t->names[col] : NULL;
}
