/* CSV reader on libcsv (RFC 4180 quoting): numeric feature columns and one label column.
 * The file is fed to the parser one physical line at a time, so the callbacks know the
 * line they are on; a field's own line is that line minus the newlines inside it (quoted
 * fields may span lines). Columns in messages are 1-based field numbers. */
#include "csv_internal.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------ small helpers */

/* Trims spaces and tabs in place (s is NUL-terminated at s[*len]); returns the new start. */
static char *trim(char *s, size_t *len)
{
    size_t n = *len;
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    s[n] = '\0';
    *len = n;
    return s;
}

/* The whole (trimmed) text must be one finite float (C locale). */
static int parse_number(const char *s, size_t len, double *out)
{
    double v;
    if (!mlp_parse_double(s, len, &v) || !isfinite(v) || !isfinite((float)v)) return 0;
    *out = v;
    return 1;
}

/* Slot of name: its own when present, else the empty one where it would go. */
static size_t find_slot(const csv_ctx *c, const char *name)
{
    size_t i = mlp_hash_text(name) & (c->n_slots - 1);
    while (c->slots[i] && strcmp(c->classes[c->slots[i] - 1], name) != 0)
        i = (i + 1) & (c->n_slots - 1);
    return i;
}

size_t csv_class_id(csv_ctx *c, const char *name)
{
    if (c->n_slots) {
        size_t slot = find_slot(c, name);
        if (c->slots[slot]) return c->slots[slot] - 1;
    }
    return csv_add_class(c, name);
}

/* Adds a class (copied) and returns its id; SIZE_MAX on allocation failure. */
size_t csv_add_class(csv_ctx *c, const char *name)
{
    if (2 * (c->n_classes + 1) > c->n_slots) {
        size_t ns = c->n_slots ? 2 * c->n_slots : 64;
        size_t *slots = mlp_mem_calloc(ns, sizeof *slots);
        if (!slots) return SIZE_MAX;
        mlp_mem_free(c->slots);
        c->slots = slots;
        c->n_slots = ns;
        for (size_t id = 0; id < c->n_classes; id++) slots[find_slot(c, c->classes[id])] = id + 1;
    }
    if (!mlp_mem_grow((void **)&c->classes, &c->classes_cap, c->n_classes + 1, sizeof *c->classes))
        return SIZE_MAX;
    char *copy = mlp_mem_strdup(name);
    if (!copy) return SIZE_MAX;
    size_t slot = find_slot(c, name);
    c->classes[c->n_classes] = copy;
    c->slots[slot] = ++c->n_classes;
    return c->n_classes - 1;
}

mlp_status csv_fail(csv_ctx *c, mlp_status st, size_t line, size_t col, const char *fmt,
                       ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line && col)
        mlp_data_error(c->detail, st, line, col, "%s:%zu:%zu: %s", c->path, line, col, msg);
    else if (line)
        mlp_data_error(c->detail, st, line, 0, "%s:%zu: %s", c->path, line, msg);
    else
        mlp_data_error(c->detail, st, 0, 0, "%s: %s", c->path, msg);
    c->st = st;
    return st;
}

mlp_status csv_no_memory(csv_ctx *c)
{
    return csv_fail(c, MLP_ERR_NO_MEMORY, 0, 0, "%s", "out of memory");
}

/* Field j of the current record, trimmed; *len receives its length. */
static char *field_text(csv_ctx *c, size_t j, size_t *len)
{
    *len = c->fields[j].len;
    return trim(c->text + c->fields[j].off, len);
}

/* ------------------------------------------------------------------ records */

/* First record: decides the number of columns, the label column and whether it is a
 * header. Returns 1 when the record was a header (consumed). */
static int first_record(csv_ctx *c)
{
    const mlp_csv_options *o = c->opt;
    size_t line = c->fields[0].line;
    if (c->nfields < 2 - (size_t)c->no_label) {
        csv_fail(c, MLP_ERR_PARSE, line, 0,
                 "%zu column(s): need at least one feature column and a label column", c->nfields);
        return 0;
    }
    c->ncols = c->nfields;
    c->n_in = c->ncols - !c->no_label;
    int header = o->has_header == 1 || o->label_name != NULL;
    if (c->no_label) {
        c->label_col = SIZE_MAX; /* features only, e.g. records to predict */
    } else if (o->label_name) {
        size_t j = SIZE_MAX, len;
        for (size_t i = 0; i < c->ncols; i++) {
            if (strcmp(field_text(c, i, &len), o->label_name) != 0) continue;
            if (j != SIZE_MAX) {
                csv_fail(c, MLP_ERR_PARSE, line, i + 1,
                         "columns %zu and %zu are both named '%.60s': which is the label?", j + 1,
                         i + 1, o->label_name);
                return 0;
            }
            j = i;
        }
        if (j == SIZE_MAX) {
            csv_fail(c, MLP_ERR_INVALID_ARG, line, 0, "no column named '%s' in the header",
                     o->label_name);
            return 0;
        }
        c->label_col = j;
    } else if (o->label_index == -1) {
        c->label_col = c->ncols - 1;
    } else if ((unsigned long)o->label_index >= c->ncols) {
        csv_fail(c, MLP_ERR_INVALID_ARG, line, 0, "label_index %ld is beyond the last column (%zu)",
                 o->label_index, c->ncols);
        return 0;
    } else {
        c->label_col = (size_t)o->label_index;
    }
    if (o->has_header == -1 && !header) {
        /* Detect: a non-empty, non-numeric feature field makes the row a header. */
        for (size_t j = 0; j < c->ncols && !header; j++) {
            size_t len;
            double v;
            const char *s = field_text(c, j, &len);
            if (j != c->label_col && len > 0 && !parse_number(s, len, &v)) header = 1;
        }
    }
    c->layout_known = 1;
    if (!header || c->no_label) return header;
    size_t len;
    if (!(c->label_name = mlp_mem_strdup(field_text(c, c->label_col, &len)))) csv_no_memory(c);
    return 1;
}

static size_t class_of(csv_ctx *c, const char *label, size_t line, size_t col)
{
    size_t id = SIZE_MAX;
    if (c->n_slots) {
        size_t slot = find_slot(c, label);
        if (c->slots[slot]) id = c->slots[slot] - 1;
    }
    if (id != SIZE_MAX) return id;
    if (c->fixed_classes) {
        csv_fail(c, MLP_ERR_PARSE, line, col, "label '%.60s' is not one of the given classes",
                 label);
        return SIZE_MAX;
    }
    if ((id = csv_add_class(c, label)) == SIZE_MAX) csv_no_memory(c);
    return id;
}

static void data_record(csv_ctx *c)
{
    if (c->nfields != c->ncols) {
        csv_fail(c, MLP_ERR_PARSE, c->fields[0].line, 0, "%zu fields where the first row has %zu",
                 c->nfields, c->ncols);
        return;
    }
    size_t r = c->rows, x_need;
    int regress = c->opt->task == MLP_TASK_REGRESS;
    if (c->rows_fixed && r >= c->row_limit) { /* the outputs are sized by a first pass */
        csv_fail(c, MLP_ERR_IO, c->fields[0].line, 0, "%s",
                 "more records than a first pass counted: did the file change?");
        return;
    }
    if (!mlp_mul_size(r + 1, c->n_in, &x_need) ||
        !mlp_mem_grow((void **)&c->x, &c->x_cap, x_need, sizeof(float)) ||
        !(c->no_label ? 1
          : regress ? mlp_mem_grow((void **)&c->y_value, &c->y_cap, r + 1, sizeof(float))
                    : mlp_mem_grow((void **)&c->y_class, &c->y_cap, r + 1, sizeof(size_t)))) {
        csv_no_memory(c);
        return;
    }
    float *x = c->x + r * c->n_in;
    for (size_t j = 0, k = 0; j < c->ncols; j++) {
        size_t len, line = c->fields[j].line;
        char *s = field_text(c, j, &len);
        double v;
        if (j == c->label_col && !regress) {
            size_t id = class_of(c, s, line, j + 1);
            if (id == SIZE_MAX) return;
            c->y_class[r] = id;
            continue;
        }
        if (!parse_number(s, len, &v)) {
            if (len)
                csv_fail(c, MLP_ERR_PARSE, line, j + 1, "not a finite number: '%.60s'", s);
            else
                csv_fail(c, MLP_ERR_PARSE, line, j + 1, "empty field where a number is expected");
            return;
        }
        if (j == c->label_col)
            c->y_value[r] = (float)v;
        else
            x[k++] = (float)v;
    }
    c->rows++;
}

/* ------------------------------------------------------------------ libcsv callbacks */

void csv_on_field(void *s, size_t len, void *data)
{
    csv_ctx *c = data;
    if (c->st != MLP_OK) return;
    size_t nl = 0;
    for (size_t i = 0; i < len; i++) nl += ((const char *)s)[i] == '\n';
    const char *nul = memchr(s, '\0', len);
    if (nul) { /* it would end the field's text: a binary file, or text in UTF-16 */
        size_t after = 0;
        for (const char *q = nul; q < (const char *)s + len; q++) after += *q == '\n';
        csv_fail(c, MLP_ERR_PARSE, c->line - after, c->nfields + 1, "%s",
                 "a NUL byte in the field (not a text file, or not UTF-8)");
        return;
    }
    if (len >= SIZE_MAX - c->text_len - 1 ||
        !mlp_mem_grow((void **)&c->text, &c->text_cap, c->text_len + len + 1, 1) ||
        !mlp_mem_grow((void **)&c->fields, &c->fields_cap, c->nfields + 1, sizeof *c->fields)) {
        csv_no_memory(c);
        return;
    }
    if (len) memcpy(c->text + c->text_len, s, len);
    c->text[c->text_len + len] = '\0';
    c->fields[c->nfields++] = (field_ref){c->text_len, len, c->line - nl};
    c->text_len += len + 1;
}

void csv_on_record(int term, void *data)
{
    csv_ctx *c = data;
    (void)term;
    if (c->st == MLP_OK && c->nfields > 0 && !(c->nfields == 1 && c->fields[0].len == 0)) {
        if (!c->layout_known) {
            if (!first_record(c) && c->st == MLP_OK) data_record(c);
        } else {
            data_record(c);
        }
    }
    c->nfields = 0;
    c->text_len = 0;
}

/* ------------------------------------------------------------------ options, result */

static mlp_status check_options(const mlp_csv_options *o, mlp_error_detail *detail)
{
#define BAD(...) return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0, __VA_ARGS__)
    if (o->has_header < -1 || o->has_header > 1) BAD("has_header must be 1, 0 or -1");
    if (o->label_name && o->has_header == 0) BAD("label_name needs a header row");
    if (o->label_index < MLP_CSV_NO_LABEL)
        BAD("label_index must be >= 0, -1 (last column) or MLP_CSV_NO_LABEL");
    if ((unsigned)o->task >= MLP_TASK_COUNT) BAD("unknown task %d", (int)o->task);
    if (o->delimiter == '\0' || o->delimiter == '"' || o->delimiter == '\n' ||
        o->delimiter == '\r')
        BAD("delimiter must not be NUL, a quote or a line break");
    if (o->threads < 0) BAD("threads must be >= 0 (0: every core)");
    if (o->task == MLP_TASK_CLASSIFY && (o->class_names != NULL) != (o->class_count != 0))
        BAD("class_names and class_count must be given together");
    if (o->task == MLP_TASK_CLASSIFY && o->class_names) {
        for (size_t i = 0; i < o->class_count; i++) {
            if (!o->class_names[i]) BAD("class_names[%zu] is NULL", i);
            for (size_t j = 0; j < i; j++)
                if (strcmp(o->class_names[i], o->class_names[j]) == 0)
                    BAD("class name '%.60s' is given twice", o->class_names[i]);
        }
    }
    return MLP_OK;
#undef BAD
}

/* Sorts collected classes (numerically when every one is a number) and renumbers rows. */
mlp_status csv_sort_classes(csv_ctx *c)
{
    size_t n = c->n_classes;
    size_t *from = mlp_mem_alloc((n ? n : 1) * sizeof *from);
    size_t *remap = mlp_mem_alloc((n ? n : 1) * sizeof *remap);
    if (!from || !remap) {
        mlp_mem_free(from);
        mlp_mem_free(remap);
        return csv_no_memory(c);
    }
    if (mlp_table_sort_values(c->classes, n, from) != MLP_OK) {
        mlp_mem_free(from);
        mlp_mem_free(remap);
        return csv_no_memory(c);
    }
    for (size_t i = 0; i < n; i++) remap[from[i]] = i;
    /* the hash slots hold ids: they follow the new order */
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i]) c->slots[i] = remap[c->slots[i] - 1] + 1;
    for (size_t r = 0; r < c->rows; r++) c->y_class[r] = remap[c->y_class[r]];
    mlp_mem_free(from);
    mlp_mem_free(remap);
    return MLP_OK;
}

static mlp_status build(csv_ctx *c, mlp_dataset **out)
{
    int regress = c->opt->task == MLP_TASK_REGRESS, classify = !regress && !c->no_label;
    size_t k = c->no_label ? 0 : regress ? 1 : c->n_classes;
    mlp_dataset *ds = NULL;
    if (classify && !c->fixed_classes && csv_sort_classes(c) != MLP_OK) return c->st;
    mlp_status st = mlp_dataset_create(&ds, c->rows, c->n_in, k);
    if (st == MLP_OK && classify)
        st = mlp_dataset_set_class_names(ds, (const char *const *)c->classes, c->n_classes);
    if (st == MLP_OK && !c->no_label)
        st = mlp_dataset_set_label_column(ds, c->label_name, (long)c->label_col);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return csv_no_memory(c);
    }
    memcpy(mlp_dataset_inputs(ds), c->x, c->rows * c->n_in * sizeof(float));
    float *y = mlp_dataset_targets(ds);
    for (size_t r = 0; r < c->rows && !c->no_label; r++) {
        if (regress)
            y[r] = c->y_value[r];
        else
            y[r * k + c->y_class[r]] = 1.0f;
    }
    *out = ds;
    return MLP_OK;
}

void csv_ctx_free(csv_ctx *c)
{
    mlp_mem_free(c->text);
    mlp_mem_free(c->fields);
    mlp_mem_free(c->label_name);
    mlp_mem_free(c->x);
    mlp_mem_free(c->y_value);
    mlp_mem_free(c->y_class);
    for (size_t i = 0; i < c->n_classes; i++) mlp_mem_free(c->classes[i]);
    mlp_mem_free(c->classes);
    mlp_mem_free(c->slots);
}

/* ------------------------------------------------------------------ entry points */

mlp_csv_options mlp_csv_options_default(void)
{
    mlp_csv_options o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.has_header = -1;
    o.label_name = NULL;
    o.label_index = -1;
    o.task = MLP_TASK_CLASSIFY;
    o.class_names = NULL;
    o.class_count = 0;
    o.delimiter = ',';
    o.threads = 0;
    o.progress = NULL;
    o.progress_user_data = NULL;
    return o;
}

/* Feeds the open file to the parser; the result is in c->st. */
static void parse_file(csv_ctx *c, FILE *fp)
{
    csv_feed f = {c->opt->delimiter, &c->line, &c->st, csv_on_field, csv_on_record, c, NULL};
    csv_feed_result r = mlp_csv_feed_stream(fp, &f); /* before c->st and c->line are read */
    c->st = mlp_csv_feed_status(r, c->st, c->path, c->line, c->nfields + 1, c->detail);
}

/* The caller's options (NULL: the defaults) at this library's size, checked. */
static mlp_status read_options(mlp_csv_options *o, const mlp_csv_options *options,
                               mlp_error_detail *detail)
{
    *o = mlp_csv_options_default();
    mlp_status st = options ? mlp_read_config(o, sizeof *o, options, MLP_CSV_OPTIONS_MIN_SIZE,
                                              "options", "mlp_csv_options", detail)
                            : MLP_OK;
    return st == MLP_OK ? check_options(o, detail) : st;
}

static mlp_status ctx_init(csv_ctx *c, const mlp_csv_options *o, const char *name,
                           mlp_error_detail *detail)
{
    memset(c, 0, sizeof *c);
    c->path = name;
    c->opt = o;
    c->detail = detail;
    c->st = MLP_OK;
    c->no_label = o->label_index == MLP_CSV_NO_LABEL && !o->label_name;
    if (o->task == MLP_TASK_CLASSIFY && o->class_names) {
        c->fixed_classes = 1;
        for (size_t i = 0; i < o->class_count; i++)
            if (csv_add_class(c, o->class_names[i]) == SIZE_MAX) return csv_no_memory(c);
    }
    return MLP_OK;
}

/* A regular file read from its start goes by byte ranges (threads, shards); it returns 0
 * in *tried when the file is not one, or needs libcsv. */
static mlp_status load_ranges(mlp_dataset **out, FILE *fp, const char *name,
                              const mlp_csv_options *o, size_t rank, size_t ranks,
                              size_t range_bytes, locale_t cloc, mlp_error_detail *detail,
                              int *tried)
{
    struct stat sb;
    int fd = fileno(fp);
    *tried = 0;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || ftello(fp) != 0)
        return MLP_OK;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads > 0 ? o->threads : cores > 0 ? (int)cores : 1;
    csv_ctx c;
    mlp_status st = ctx_init(&c, o, name, detail);
    if (st == MLP_OK)
        st = csv_load_ranges(&c, fd, (size_t)sb.st_size, rank, ranks, threads, range_bytes,
                             cloc, out, tried);
    csv_ctx_free(&c);
    if (*tried) fseeko(fp, 0, SEEK_END); /* read to its end, as a stream would be */
    return st;
}

/* Parses the open stream fp (read once, from its current position; not closed); a share of
 * its records with ranks > 1. */
static mlp_status load_stream(mlp_dataset **out, FILE *fp, const char *name,
                              const mlp_csv_options *options, size_t rank, size_t ranks,
                              size_t range_bytes, mlp_error_detail *detail)
{
    mlp_csv_options own;
    const mlp_csv_options *o = &own;
    mlp_status st = read_options(&own, options, detail);
    if (st != MLP_OK) return st;
    /* Numbers are read in the C locale, whatever the application set ("C" always exists,
     * so a failure is memory). */
    locale_t cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!cloc) return mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0, "out of memory");
    int tried = 0;
    st = load_ranges(out, fp, name, o, rank, ranks, range_bytes, cloc, detail, &tried);
    if (tried || st != MLP_OK) {
        freelocale(cloc);
        return st;
    }
    if (ranks > 1) {
        freelocale(cloc);
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "%s: a share of the records is read from a regular file without "
                              "quoted fields, NUL bytes or bare carriage returns", name);
    }
    csv_ctx c;
    st = ctx_init(&c, o, name, detail);
    if (st != MLP_OK) {
        freelocale(cloc);
        csv_ctx_free(&c);
        return st;
    }
    locale_t old = uselocale(cloc);
    parse_file(&c, fp);
    uselocale(old);
    freelocale(cloc);
    if (c.st == MLP_OK && c.rows == 0) csv_fail(&c, MLP_ERR_PARSE, 0, 0, "%s", "no data rows");
    if (c.st == MLP_OK) build(&c, out);
    st = c.st;
    csv_ctx_free(&c);
    return st;
}

mlp_status mlp_csv_load_ranged(mlp_dataset **out, const char *path,
                               const mlp_csv_options *options, size_t rank, size_t ranks,
                               size_t range_bytes, mlp_error_detail *detail)
{
    if (!out || !path) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    /* Bad options are reported before the file is opened. */
    mlp_csv_options checked;
    mlp_status st = read_options(&checked, options, detail);
    if (st != MLP_OK) return st;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return mlp_data_error(detail, e == ENOMEM ? MLP_ERR_NO_MEMORY : MLP_ERR_IO, 0, 0,
                              "%s: cannot open: %s", path, strerror(e));
    }
    st = load_stream(out, fp, path, options, rank, ranks, range_bytes, detail);
    fclose(fp);
    return st;
}

mlp_status mlp_dataset_open_csv(mlp_dataset **out, const char *path, const mlp_csv_options *options,
                                mlp_error_detail *detail)
{
    return mlp_csv_load_ranged(out, path, options, 0, 1, 0, detail);
}

mlp_status mlp_dataset_open_csv_shard(mlp_dataset **out, const char *path, size_t rank, size_t ranks,
                                      const mlp_csv_options *options, mlp_error_detail *detail)
{
    if (ranks == 0 || rank >= ranks)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "rank %zu of %zu: rank must be below ranks (>= 1)", rank, ranks);
    mlp_csv_options checked;
    mlp_status st = read_options(&checked, options, detail);
    if (st != MLP_OK) return st;
    if (ranks > 1 && checked.task == MLP_TASK_CLASSIFY && !checked.class_names &&
        !(checked.label_index == MLP_CSV_NO_LABEL && !checked.label_name))
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "options->class_names: a share of a classification file needs "
                              "the class list (each share may lack some classes)");
    return mlp_csv_load_ranged(out, path, options, rank, ranks, 0, detail);
}

mlp_status mlp_dataset_open_csv_stream(mlp_dataset **out, FILE *fp, const char *name,
                                       const mlp_csv_options *options, mlp_error_detail *detail)
{
    if (!out || !fp) return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    return load_stream(out, fp, name ? name : "(stream)", options, 0, 1, 0, detail);
}
