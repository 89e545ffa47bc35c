/* Internal: feeding a CSV stream to a reader's field and record callbacks (libcsv's
 * callback signatures), shared by the numeric reader (csv.c) and the table reader. */
#ifndef MLP_DATA_CSV_FEED_H
#define MLP_DATA_CSV_FEED_H

#include "mlp_internal.h"

typedef enum csv_feed_result {
    CSV_FEED_OK = 0,
    CSV_FEED_QUOTING,  /* malformed quoting on line *line */
    CSV_FEED_UNCLOSED, /* a quoted field not closed at the end of the file */
    CSV_FEED_NO_MEMORY,
    CSV_FEED_IO        /* a read error (errno set by the C library) */
} csv_feed_result;

typedef struct csv_feed {
    char delimiter;
    size_t *line;              /* the reader's physical line (1-based), advanced per line */
    const mlp_status *stop;    /* the reader's status: feeding stops once it is not OK */
    void (*on_field)(void *text, size_t len, void *data);
    void (*on_record)(int term, void *data);
    void *data;
    /* may be NULL: called after each block with the bytes of the stream read so far */
    void (*progress)(size_t bytes_read, void *data);
} csv_feed;

/* Reads fp to its end. Fields reach on_field trimmed of spaces and tabs as libcsv trims
 * unquoted fields, without their quotes; blank lines give no record; a UTF-8 byte-order
 * mark before the first line is skipped. Blocks without quotes, NUL bytes or bare carriage
 * returns are split here (fast); from the first block with one on, libcsv (RFC 4180,
 * strict) reads the rest, a line at a time, so that fields keep their lines. */
csv_feed_result mlp_csv_feed_stream(FILE *fp, const csv_feed *f);
/* mlp_csv_feed_stream on bytes [begin, end) of the file fd (read with pread, so many
 * threads may read one descriptor): a share of a file that starts and ends on record
 * boundaries. A byte-order mark is skipped only at the file's start. */
csv_feed_result mlp_csv_feed_range(int fd, size_t begin, size_t end, const csv_feed *f);
/* What a result other than OK means, as the status and message of a reader (name, its
 * line and the cell the feed stopped at); OK gives `current` back unchanged (a reader's own
 * failure stops the feed too). */
mlp_status mlp_csv_feed_status(csv_feed_result r, mlp_status current, const char *name,
                               size_t line, size_t cell, mlp_error_detail *detail);
/* The fast path alone: the lines of [p, end) (whole lines) to the callbacks, *f->line
 * advanced per line; only for blocks that do not need libcsv. */
void mlp_csv_split_block(const csv_feed *f, char *p, char *end);
/* Whether the line [p, eol) (without its line break and carriage return) has only spaces
 * and tabs (other than the delimiter): a blank line, which gives no record. */
int mlp_csv_line_is_blank(const char *p, const char *eol, char delim);
/* Whether [p, p + n) holds a quote, a NUL byte or a carriage return not before '\n'. */
int mlp_csv_block_needs_libcsv(const char *p, size_t n);

#endif /* MLP_DATA_CSV_FEED_H */
