/* Internal: the layout of tables and table encodings, shared by lib/data/table_*.c, the
 * model format (lib/io/model_table.c) and the model handle. */
#ifndef MLP_DATA_TABLE_INTERNAL_H
#define MLP_DATA_TABLE_INTERNAL_H

#include "mlp_internal.h"

#include <stdatomic.h>

/* A column's cells. Every column starts numeric: its cells are floats (NaN for a cell that
 * is not a number), and the few cells that are not numbers keep their text beside them
 * (`other`, by row), so a numeric column never holds text for its numbers. A column whose
 * cells are mostly not numbers turns into a text column: every cell's text, where a number
 * is the shortest text of its float (mlp_table_number_text), whichever way it was written. */
typedef struct table_other {
    size_t row, off; /* off into the column's text */
} table_other;

typedef struct table_shown {
    char *text;
    size_t *off;
} table_shown;

typedef struct table_col {
    int is_text;
    float *num;            /* numeric: rows values */
    size_t num_cap;
    table_other *other;    /* numeric: the cells that are not numbers, by row (empty: none) */
    size_t n_other, other_cap;
    size_t *off;           /* text: rows offsets into text */
    size_t off_cap;
    char *text;            /* NUL-terminated cells, one after the other */
    size_t text_len, text_cap;
    _Atomic(table_shown *) shown; /* numeric: every cell's text, made on first mlp_table_cell */
    int keep_numeric;      /* a share of a file being read: never turns into text here */
    int borrowed;          /* num is a share's slice of the caller's array: not grown, not
                              freed; a row past num_cap fails */
} table_col;

/* The columns a table and the tables split from it share (freed with the last one). */
typedef struct table_store {
    atomic_size_t refs;
    size_t rows;       /* rows of the columns */
    table_col col[];   /* cols columns */
} table_store;

struct mlp_table {
    size_t rows, cols;
    table_store *store;
    table_col *col;    /* store->col */
    size_t *sel;       /* rows: the store's row of each row; NULL: the same row */
    size_t *line;      /* rows: the file line each row starts on (0 when not from a file) */
    size_t line_cap;
    char **names;      /* cols header names, or NULL without a header row */
    size_t *name_slot; /* with names: open-addressing hash of the names, column + 1 (0 empty) */
    size_t n_name_slots;
    char *source;      /* file name for messages */
};

/* Room for mlp_table_number_text (the longest float in %.9g, a sign and a NUL). */
#define TABLE_NUMBER_TEXT 32
/* The text a number cell reads back as: integers below 1e9 in full, else the shortest %g
 * that gives the same float back. */
void mlp_table_number_text(float v, char buf[TABLE_NUMBER_TEXT]);
/* Cell (r, j): 1 and *v when it is a number, else 0 and *s its text ("" when empty); no
 * allocation, no formatting (the hot path of fitting and encoding). */
static inline int mlp_table_get(const mlp_table *t, size_t r, size_t j, double *v,
                                const char **s);
/* Puts cell text s[0..len) (trimmed; s[len] need not be readable) as row `row` of column
 * c, parsing it; 0 when out of memory. Rows arrive in order (a row may be put again: a
 * blank line is overwritten by the next record). */
int mlp_table_col_put(table_col *c, size_t row, const char *s, size_t len);
/* A numeric column turns into text once more than half of its cells, and at least this
 * many, are not numbers (checked as each such cell is put): it is text, and keeping it as
 * floats would keep most of it twice. */
#define TABLE_TEXT_AFTER 16
/* Numeric column c (rows rows) as a text column, the same as if it had turned on the way;
 * 0 when out of memory (c unchanged). */
int mlp_table_col_to_text(table_col *c, size_t rows);
/* Moves src (src_rows rows) after dst's dst_rows rows, both numeric or both text; dst made
 * room for total_rows at once (the rows of every share to come). src is left empty; 0 when
 * out of memory. */
int mlp_table_col_append(table_col *dst, size_t dst_rows, table_col *src, size_t src_rows,
                         size_t total_rows);
/* New shared columns (cols, no rows yet), one reference; NULL when out of memory. */
table_store *mlp_table_store_new(size_t cols);
/* Drops a reference to the columns, freeing them with the last. */
void mlp_table_store_release(table_store *s, size_t cols);
/* The text of a non-number cell of numeric column c at row r ("" when none kept). */
const char *mlp_table_col_other(const table_col *c, size_t r);
/* A table of the rows sel[0..n) of t, sharing its columns. */
mlp_status mlp_table_subset(const mlp_table *t, const size_t *sel, size_t n, mlp_table **out);

static inline int mlp_table_get(const mlp_table *t, size_t r, size_t j, double *v,
                                const char **s)
{
    const table_col *c = &t->col[j];
    if (t->sel) r = t->sel[r];
    if (c->is_text) {
        *s = c->text + c->off[r];
        return 0;
    }
    float f = c->num[r];
    if (f == f) {
        *v = f;
        return 1;
    }
    *s = mlp_table_col_other(c, r);
    return 0;
}

/* One reading of CSV text into a new table (table_read.c): fp to its end, or (fp NULL)
 * bytes [begin, end) of the file fd, a share starting and ending on record boundaries. */
typedef struct table_part {
    FILE *fp;
    int fd;
    size_t begin, end;
    int has_header;   /* as in the options; 0 for a share after the first */
    int keep_numeric; /* a share: columns stay numeric (the whole file decides) */
    void (*progress)(size_t done, size_t total, void *user_data);
    void *progress_user_data;
    size_t total;     /* passed to progress */
    /* non-NULL: preset_cols arrays; the part's numbers go to rows [preset_row0,
     * preset_row0 + preset_rows) of them (the first record must have preset_cols cells;
     * a row past them fails) */
    float *const *preset;
    size_t preset_cols, preset_row0, preset_rows;
    /* non-NULL (with preset): the rows' lines go to the same rows of this array, which the
     * part's table borrows (the caller takes it back before freeing the table) */
    size_t *preset_line;
    size_t lines;     /* out: lines read */
} table_part;
/* Reads a part; messages name `name` and count lines from the part's start. */
mlp_status mlp_table_read_part(mlp_table **out, table_part *part, const char *name,
                               char delimiter, mlp_error_detail *detail);
/* Reads the regular file fd (size bytes, from its start) by byte ranges on o->threads
 * threads, each given at least range_bytes (0: the default, 4 MiB), into *out: the table
 * mlp_table_read_part gives for the whole file. Anything else than OK (one thread would
 * do, a share failed) leaves *out alone: the caller then reads the file as a stream, for
 * the one reading's message. */
mlp_status mlp_table_read_ranges(mlp_table **out, int fd, size_t size, const char *name,
                                 const mlp_table_read_options_ex *o, size_t range_bytes);

/* Builds t's name index from t->names; PARSE (naming both columns) when two columns have
 * the same name: columns are matched by name, so a second one would silently read the
 * first one's cells. */
mlp_status mlp_table_index_names(mlp_table *t, mlp_error_detail *detail);
/* The column named name, SIZE_MAX when none (or t has no header row); O(1). */
size_t mlp_table_find_name(const mlp_table *t, const char *name);

/* Days since 1970-01-01 of a cell in YYYY-MM-DD or YYYY/MM/DD form (optionally followed by
 * 'T' or ' ' and anything, e.g. a time); 0 when it is not such a date. */
int mlp_table_parse_date(const char *s, double *days);
/* The whole cell is one finite number (C locale). */
int mlp_table_parse_number(const char *s, double *out);
/* The cell is one of the comma-separated tokens of list (ignoring case), or empty. */
int mlp_table_is_missing(const char *s, const char *list);

/* What a cell is under a missing-value list. */
enum { TABLE_CELL_MISSING, TABLE_CELL_NUMBER, TABLE_CELL_TEXT };
/* Whether a token of the comma-separated list is a number (then a number cell can be a
 * missing one, compared by its text). */
int mlp_table_missing_has_number(const char *list);
/* Cell (r, j): missing (under list; numeric_tokens from mlp_table_missing_has_number), a
 * number (*v), or other text (*s, owned by the table). */
int mlp_table_cell_kind(const mlp_table *t, size_t r, size_t j, const char *list,
                        int numeric_tokens, double *v, const char **s);

#define TABLE_DATE_WIDTH 3u /* days, sin and cos of the day of the year */
#define TABLE_MISSING_CATEGORY "(missing)"

typedef struct table_column {
    char *name;            /* header name, NULL without one */
    mlp_column_type type;
    size_t missing;        /* missing cells in the training table */
    size_t distinct;       /* distinct non-missing text values (categorical/ignored) */
    int indicator;         /* numeric/date: a 0/1 "was missing" feature follows */
    double mean;           /* numeric/date: imputed value (date: days) */
    char **categories;     /* categorical: sorted; "(missing)" last when missing_category */
    size_t n_categories;
    int missing_category;  /* categorical: missing cells are the last category */
    size_t other;          /* categorical: cells of the values not kept (not saved) */
    size_t invalid;        /* numeric/date: cells of another kind, imputed (not saved) */
    char *invalid_examples[MLP_TABLE_INVALID_EXAMPLES]; /* the first distinct ones */
} table_column;

struct mlp_table_encoding {
    size_t n_columns;
    table_column *cols;
    size_t n_labels;
    size_t *label_cols;    /* column indices of the labels, in the order given */
    mlp_task task;
    char **classes;        /* classification: sorted class names */
    size_t n_classes;
    char *missing_tokens;  /* the comma-separated list in force */
    int has_names;         /* the training table had a header */
    char task_reason[320]; /* not saved */
};

/* Features a column encodes to. */
size_t mlp_table_column_width(const table_column *c);
/* Total features; recomputed from the columns. */
size_t mlp_table_encoding_width(const mlp_table_encoding *enc);
/* An empty encoding of n columns (all NUMERIC, no names); NULL when out of memory. */
mlp_table_encoding *mlp_table_encoding_alloc(size_t n_columns, size_t n_labels);
/* Frees what a column owns (not the column). */
void mlp_table_column_clear(table_column *c);

#endif /* MLP_DATA_TABLE_INTERNAL_H */
