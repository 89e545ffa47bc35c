/* Internal: the layout of tables and table encodings, shared by lib/data/table_*.c, the
 * model format (lib/io/model_table.c) and the model handle. */
#ifndef MLP_DATA_TABLE_INTERNAL_H
#define MLP_DATA_TABLE_INTERNAL_H

#include "mlp_internal.h"

struct mlp_table {
    size_t rows, cols;
    char *text;        /* every cell, NUL-terminated, one after the other */
    size_t *cell;      /* rows x cols offsets into text */
    size_t *line;      /* rows: the file line each row starts on (0 when not from a file) */
    char **names;      /* cols header names, or NULL without a header row */
    size_t *name_slot; /* with names: open-addressing hash of the names, column + 1 (0 empty) */
    size_t n_name_slots;
    char *source;      /* file name for messages */
};

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
/* Sorts text values (numerically when every one is a number, else by strcmp); NO_MEMORY
 * leaves them as they were. */
mlp_status mlp_table_sort_values(char **values, size_t n);

#endif /* MLP_DATA_TABLE_INTERNAL_H */
