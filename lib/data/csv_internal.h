/* Internal: the numeric CSV reader's state, shared by csv.c (options, records, classes)
 * and csv_ranges.c (reading byte ranges of a file, in parallel or as a shard). */
#ifndef MLP_DATA_CSV_INTERNAL_H
#define MLP_DATA_CSV_INTERNAL_H

#include "csv_feed.h"

#include <locale.h>

typedef struct field_ref {
    size_t off, len; /* into csv_ctx.text (NUL-terminated there) */
    size_t line;     /* physical line the field starts on */
} field_ref;

typedef struct csv_ctx {
    const char *path;
    const mlp_csv_options *opt;
    mlp_error_detail *detail;
    mlp_status st;
    size_t line;                 /* physical line being fed, 1-based */
    /* the record being assembled */
    char *text;
    size_t text_len, text_cap;
    field_ref *fields;
    size_t nfields, fields_cap;
    /* layout, known after the first record */
    int layout_known;
    size_t ncols, label_col, n_in; /* label_col SIZE_MAX: no label (MLP_CSV_NO_LABEL) */
    int no_label;
    char *label_name;
    /* rows read so far */
    size_t rows;
    int rows_fixed;              /* x, y_value, y_class hold row_limit rows and never grow */
    size_t row_limit;
    size_t x_cap, y_cap;         /* in elements */
    float *x;                    /* rows x n_in */
    float *y_value;              /* REGRESS: rows */
    size_t *y_class;             /* CLASSIFY: rows class ids */
    /* classes: names by id, hash slots hold id + 1 (0 = empty) */
    char **classes;
    size_t n_classes, classes_cap;
    size_t *slots;
    size_t n_slots;
    int fixed_classes;
} csv_ctx;

/* libcsv-style callbacks: a field of the record being read; the end of a record (the first
 * decides the layout, the others become rows). */
void csv_on_field(void *s, size_t len, void *data);
void csv_on_record(int term, void *data);
/* The id of a class, added (copied) when new; SIZE_MAX when out of memory. */
size_t csv_class_id(csv_ctx *c, const char *name);
/* Adds a class (copied) and returns its id; SIZE_MAX when out of memory. */
size_t csv_add_class(csv_ctx *c, const char *name);
/* Sorts the classes (numerically when every one is a number), renumbering y_class. */
mlp_status csv_sort_classes(csv_ctx *c);
/* Sets c->st and detail to "path:line:col: message". */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
mlp_status csv_fail(csv_ctx *c, mlp_status st, size_t line, size_t col, const char *fmt, ...);
mlp_status csv_no_memory(csv_ctx *c);
/* Frees what c owns (its buffers, rows, classes, label name). */
void csv_ctx_free(csv_ctx *c);

/* Reads the plain file fd (size bytes; c holds the checked options, no layout yet) by byte
 * ranges on up to `threads` threads, straight into *out: the whole file, or with ranks > 1
 * the records of share `rank` of its data bytes. A thread gets at least range_bytes (0: the
 * default, 4 MiB). *plain is set to 0, and nothing else done, when the file holds quotes,
 * NUL bytes or bare carriage returns (libcsv must read it). */
mlp_status csv_load_ranges(csv_ctx *c, int fd, size_t size, size_t rank, size_t ranks,
                           int threads, size_t range_bytes, locale_t cloc, mlp_dataset **out,
                           int *plain);

#endif /* MLP_DATA_CSV_INTERNAL_H */
