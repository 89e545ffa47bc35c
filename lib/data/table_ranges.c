/* Reading a table by byte ranges on threads: the file is cut into shares on record
 * boundaries (a line break outside quotes: an even number of quotes before it, which
 * RFC 4180 quoting guarantees), each share is read into a table of its own by the one
 * reader (mlp_table_read_part), and the shares' columns are joined in file order. A column
 * turns into text only as the whole file decides (its cells that are not numbers, counted
 * row by row as one reading counts them), so the table is the one reading's, whatever the
 * number of threads. Any failure is left to one reading, which gives its message. */
#include "table_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define MIN_RANGE_BYTES (4u << 20) /* a thread's least share: below, threads cost more */
#define MAX_RANGES 64
#define SCAN_BYTES 65536

typedef struct share {
    size_t begin, end;   /* bytes: records that start in it */
    size_t quotes;       /* quotes in the share's first cut (before moving to a boundary) */
    table_part part;
    mlp_table *t;
    mlp_status st;
    size_t reported;     /* bytes this share has added to the job's count */
    struct job *job;
} share;

typedef struct job {
    int fd;
    const char *name;
    const mlp_table_read_options_ex *o;
    share *s;
    size_t n, size;
    int pass;            /* 0: count quotes; 1: read */
    atomic_size_t done;  /* bytes read by every share, for progress */
} job;

/* Calls fn on successive blocks of [begin, end) until it returns nonzero; IO on a read
 * error or when the file is shorter than end. */
static mlp_status each_block(int fd, size_t begin, size_t end,
                             int (*fn)(void *ctx, const char *p, size_t n, size_t at), void *ctx)
{
    char buf[SCAN_BYTES];
    for (size_t at = begin; at < end;) {
        size_t want = end - at < sizeof buf ? end - at : sizeof buf;
        ssize_t got = pread(fd, buf, want, (off_t)at);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return MLP_ERR_IO;
        if (fn(ctx, buf, (size_t)got, at)) break;
        at += (size_t)got;
    }
    return MLP_OK;
}

static int count_quotes(void *ctx, const char *p, size_t n, size_t at)
{
    size_t *q = ctx;
    (void)at;
    for (const char *e = p + n; (p = memchr(p, '"', (size_t)(e - p))) != NULL; p++) ++*q;
    return 0;
}

typedef struct boundary {
    int odd;     /* inside quotes */
    size_t out;  /* the byte after the first line break outside quotes */
} boundary;

static int find_boundary(void *ctx, const char *p, size_t n, size_t at)
{
    boundary *b = ctx;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') b->odd ^= 1;
        else if (p[i] == '\n' && !b->odd) {
            b->out = at + i + 1;
            return 1;
        }
    }
    return 0;
}

/* Progress of a share: its bytes into the shared count, reported from share 0's thread
 * (the caller's). */
static void share_progress(size_t done, size_t total, void *user_data)
{
    share *s = user_data;
    job *j = s->job;
    (void)total;
    size_t all = atomic_fetch_add(&j->done, done - s->reported) + (done - s->reported);
    s->reported = done;
    if (s == j->s) j->o->progress(all, j->size, j->o->progress_user_data);
}

static void run_share(void *ctx, size_t k)
{
    job *j = ctx;
    share *s = &j->s[k];
    if (j->pass == 0) {
        s->st = each_block(j->fd, s->begin, s->end, count_quotes, &s->quotes);
        return;
    }
    s->part = (table_part){NULL, j->fd, s->begin, s->end, k == 0 ? j->o->has_header : 0, 1,
                           j->o->progress ? share_progress : NULL, s, j->size, 0};
    mlp_error_detail detail; /* one reading gives the message */
    s->st = mlp_table_read_part(&s->t, &s->part, j->name, j->o->delimiter, &detail);
}

/* Whether one reading turns column c into text: its cells that are not numbers, counted
 * in file order, pass the rule of mlp_table_col_put at one of them. */
static int turns_text(const share *s, size_t n, size_t c)
{
    size_t other = 0, base = 0;
    for (size_t k = 0; k < n; k++) {
        const mlp_table *t = s[k].t;
        const table_col *col = &t->col[c];
        for (size_t i = 0; i < col->n_other; i++) {
            size_t row = base + col->other[i].row;
            if (++other >= TABLE_TEXT_AFTER && 2 * other > row + 1) return 1;
        }
        base += t->rows;
    }
    return 0;
}

/* The shares' tables joined into the first one's. */
static mlp_status join(share *s, size_t n)
{
    mlp_table *t = s[0].t;
    size_t rows = 0, lines = 0;
    for (size_t k = 0; k < n; k++) {
        if (s[k].t->cols != t->cols) return MLP_ERR_PARSE; /* one reading says where */
        rows += s[k].t->rows;
    }
    if (!mlp_mem_grow((void **)&t->line, &t->line_cap, rows ? rows : 1, sizeof *t->line))
        return MLP_ERR_NO_MEMORY;
    for (size_t k = 0, at = 0; k < n; k++) {
        const mlp_table *p = s[k].t;
        if (k > 0)
            for (size_t i = 0; i < p->rows; i++) t->line[at + i] = p->line[i] + lines;
        at += p->rows;
        lines += s[k].part.lines;
    }
    for (size_t c = 0; c < t->cols; c++) {
        int text = turns_text(s, n, c);
        for (size_t k = 0; k < n; k++) {
            table_col *col = &s[k].t->col[c];
            col->keep_numeric = 0;
            if (text && !mlp_table_col_to_text(col, s[k].t->rows)) return MLP_ERR_NO_MEMORY;
        }
        for (size_t k = 1, at = t->rows; k < n; k++) {
            if (!mlp_table_col_append(&t->col[c], at, &s[k].t->col[c], s[k].t->rows, rows))
                return MLP_ERR_NO_MEMORY;
            at += s[k].t->rows;
        }
    }
    t->rows = t->store->rows = rows;
    return MLP_OK;
}

mlp_status mlp_table_read_ranges(mlp_table **out, int fd, size_t size, const char *name,
                                 const mlp_table_read_options_ex *o, size_t range_bytes)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = o->threads > 0 ? (size_t)o->threads : cores > 0 ? (size_t)cores : 1;
    if (n > MAX_RANGES) n = MAX_RANGES;
    size_t least = range_bytes ? range_bytes : MIN_RANGE_BYTES;
    if (n > size / least) n = size / least;
    if (n < 2) return MLP_ERR_INVALID_ARG;
    share *s = mlp_mem_calloc(n, sizeof *s);
    if (!s) return MLP_ERR_NO_MEMORY;
    job j = {fd, name, o, s, n, size, 0, 0};
    for (size_t k = 0; k < n; k++) {
        s[k].begin = size / n * k;
        s[k].end = k + 1 < n ? size / n * (k + 1) : size;
        s[k].job = &j;
    }
    /* the quotes before each cut tell whether it falls inside a quoted field */
    mlp_run_parallel(n, run_share, &j);
    mlp_status st = MLP_OK;
    size_t quotes = 0;
    for (size_t k = 0; k < n && st == MLP_OK; k++) st = s[k].st;
    for (size_t k = 1; k < n && st == MLP_OK; k++) {
        quotes += s[k - 1].quotes;
        boundary b = {(int)(quotes & 1), size};
        st = each_block(fd, s[k].begin, size, find_boundary, &b);
        s[k].begin = b.out > s[k - 1].begin ? b.out : s[k - 1].begin;
    }
    for (size_t k = 0; k + 1 < n; k++) s[k].end = s[k + 1].begin;
    if (st == MLP_OK) {
        j.pass = 1;
        mlp_run_parallel(n, run_share, &j);
        for (size_t k = 0; k < n && st == MLP_OK; k++) st = s[k].st;
    }
    if (st == MLP_OK) st = join(s, n);
    if (st == MLP_OK && o->progress) o->progress(size, size, o->progress_user_data);
    for (size_t k = st == MLP_OK ? 1 : 0; k < n; k++) mlp_table_free(s[k].t);
    if (st == MLP_OK) *out = s[0].t;
    mlp_mem_free(s);
    return st;
}
