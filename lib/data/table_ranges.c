/* Reading a table by byte ranges on threads: the file is cut into shares on record
 * boundaries, each share is read by the one reader (mlp_table_read_part), and the shares'
 * columns are joined in file order. A first pass counts each share's quotes and records
 * (memchr speed). Without quotes (the usual numeric file) every line break ends a record:
 * the columns are allocated once at their final size and each share parses straight into
 * its rows (no copy, and memory is touched once). With quotes, a cut goes to the first line
 * break with an even number of quotes before it (outside quotes, as RFC 4180 quoting
 * guarantees), each share fills columns of its own, and they are copied together. A
 * column turns into text only as the whole file decides (its cells that are not numbers,
 * counted row by row as one reading counts them), so the table is the one reading's,
 * whatever the number of threads. Any failure is left to one reading, which gives its
 * message. */
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
    size_t quotes;       /* first pass: quotes */
    size_t records;      /* first pass: lines that are not blank */
    int nonblank;        /* first pass: the line being counted has a cell */
    int blank_tail;      /* first pass: the share's last line is blank */
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
    int pass;            /* 0: count; 1: read */
    float **num;         /* without quotes: the columns, shares writing their rows */
    size_t *line;        /* without quotes: the rows' lines, likewise */
    size_t cols, rows;
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

/* Whether ch makes a line not blank (mlp_csv_line_is_blank; a carriage return too may
 * be blank: a bare one sends the file to libcsv, and the counts are checked after). */
static int is_cell(char ch, char delim)
{
    return ch == delim || (ch != ' ' && ch != '\t' && ch != '\r');
}

typedef struct counter {
    share *s;
    char delim;
} counter;

static int count_block(void *ctx, const char *p, size_t n, size_t at)
{
    counter *c = ctx;
    share *s = c->s;
    const char *e = p + n;
    (void)at;
    for (const char *q = p; (q = memchr(q, '"', (size_t)(e - q))) != NULL; q++) s->quotes++;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *eol = nl ? nl : e;
        for (const char *q = p; !s->nonblank && q < eol; q++) s->nonblank = is_cell(*q, c->delim);
        if (!nl) break;
        s->records += (size_t)s->nonblank;
        s->blank_tail = !s->nonblank;
        s->nonblank = 0;
        p = nl + 1;
    }
    return 0;
}

/* The byte after the first line with a cell at or after pos (size when none). */
static int first_record_end(void *ctx, const char *p, size_t n, size_t at)
{
    counter *c = ctx;
    share *s = c->s;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n' && s->nonblank) {
            s->end = at + i + 1;
            return 1;
        }
        if (p[i] == '\n') continue;
        if (!s->nonblank) s->nonblank = is_cell(p[i], c->delim);
    }
    return 0;
}

static int first_line_end(void *ctx, const char *p, size_t n, size_t at)
{
    size_t *out = ctx;
    const char *nl = memchr(p, '\n', n);
    if (nl) *out = at + (size_t)(nl - p) + 1;
    return nl != NULL;
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
        counter c = {s, j->o->delimiter};
        s->st = each_block(j->fd, s->begin, s->end, count_block, &c);
        if (s->nonblank) { /* the file's last line, without a line break */
            s->records++;
            s->blank_tail = 0;
        }
        return;
    }
    s->part = (table_part){.fd = j->fd, .begin = s->begin, .end = s->end,
                           .has_header = k == 0 && !j->num ? j->o->has_header : 0,
                           .keep_numeric = 1,
                           .progress = j->o->progress ? share_progress : NULL,
                           .progress_user_data = s, .total = j->size};
    if (j->num) {
        s->part.preset = j->num;
        s->part.preset_cols = j->cols;
        s->part.preset_row0 = s->quotes; /* the pass set it to the share's first row */
        s->part.preset_rows = s->records + (k + 1 == j->n); /* a blank last line: row + 1 */
        s->part.preset_line = j->line;
    }
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

/* The shares' tables joined into t: the first share's (own columns), or a table of
 * j->cols columns without rows (numbers already in j->num). */
static mlp_status join(job *j, mlp_table *t, size_t head_lines)
{
    share *s = j->s;
    size_t n = j->n, rows = 0, lines = head_lines;
    int in_place = j->line != NULL;
    for (size_t k = 0; k < n; k++) {
        if (s[k].t->cols != t->cols || (j->num && s[k].t->rows != s[k].records))
            return MLP_ERR_PARSE; /* one reading says where */
        rows += s[k].t->rows;
    }
    if (j->line) { /* in place: the shares' lines are there, counted from their starts */
        mlp_mem_free(t->line);
        t->line = j->line;
        t->line_cap = j->rows + 1;
        j->line = NULL;
        for (size_t k = 0; k < n; k++) s[k].t->line = NULL;
    } else if (!mlp_mem_grow((void **)&t->line, &t->line_cap, rows ? rows : 1,
                             sizeof *t->line)) {
        return MLP_ERR_NO_MEMORY;
    }
    for (size_t k = 0, at = 0; k < n; k++) {
        const mlp_table *p = s[k].t;
        if (p != t)
            for (size_t i = 0; i < p->rows; i++)
                t->line[at + i] = (in_place ? t->line[at + i] : p->line[i]) + lines;
        at += p->rows;
        lines += s[k].part.lines;
    }
    for (size_t c = 0; c < t->cols; c++) {
        int text = turns_text(s, n, c);
        table_col *dst = &t->col[c];
        if (j->num) { /* the numbers are in place: the column takes the array */
            dst->num = j->num[c];
            dst->num_cap = j->rows + 1;
            j->num[c] = NULL;
        }
        for (size_t k = 0, at = 0; k < n; k++) {
            table_col *src = &s[k].t->col[c];
            if (src != dst &&
                !mlp_table_col_append(dst, at, src, s[k].t->rows, rows))
                return MLP_ERR_NO_MEMORY;
            at += s[k].t->rows;
        }
        dst->keep_numeric = 0;
        if (text && !mlp_table_col_to_text(dst, rows)) return MLP_ERR_NO_MEMORY;
    }
    t->rows = t->store->rows = rows;
    return MLP_OK;
}

/* Moves the start of share k > 0 (just after a line break) to just after the first line
 * break from there on with an even number of quotes before it, the shares' quote counts
 * telling how many come before its start. */
static mlp_status cut_outside_quotes(job *j)
{
    share *s = j->s;
    size_t quotes = 0;
    mlp_status st = MLP_OK;
    for (size_t k = 1; k < j->n && st == MLP_OK; k++) {
        quotes += s[k - 1].quotes;
        if (!(quotes & 1) || s[k].begin == j->size) continue;
        boundary b = {1, j->size};
        st = each_block(j->fd, s[k].begin, j->size, find_boundary, &b);
        s[k].begin = b.out > s[k - 1].begin ? b.out : s[k - 1].begin;
    }
    for (size_t k = 0; k + 1 < j->n; k++) s[k].end = s[k + 1].begin;
    return st;
}

/* Without quotes: the header (if any) read alone, the columns allocated for every row,
 * each share's first row (in its quotes field, unused from here). *ok 0 when the shares'
 * counts do not allow it (a share ends in a blank line, or the first record is not in the
 * first share). */
static mlp_status plan_in_place(job *j, mlp_table **head, size_t *head_lines, int *ok)
{
    share *s = j->s, first = {0};
    counter c = {&first, j->o->delimiter};
    first.end = j->size;
    *ok = 0;
    mlp_status st = each_block(j->fd, 0, j->size, first_record_end, &c);
    if (st != MLP_OK || first.end > s[0].end) return st;
    for (size_t k = 0; k + 1 < j->n; k++)
        if (s[k].blank_tail) return MLP_OK;
    table_part part = {.fd = j->fd, .begin = 0, .end = first.end,
                       .has_header = j->o->has_header};
    mlp_error_detail detail;
    if ((st = mlp_table_read_part(head, &part, j->name, j->o->delimiter, &detail)) != MLP_OK)
        return st;
    if ((*head)->names) { /* the shares start after it */
        s[0].begin = first.end;
        s[0].records--;
        *head_lines = part.lines;
    }
    j->cols = (*head)->cols;
    for (size_t k = 0; k < j->n; k++) {
        s[k].quotes = j->rows;
        j->rows += s[k].records;
    }
    if (!(j->num = mlp_mem_calloc(j->cols, sizeof *j->num)) ||
        !(j->line = mlp_mem_alloc((j->rows + 1) * sizeof *j->line)))
        return MLP_ERR_NO_MEMORY;
    for (size_t c2 = 0; c2 < j->cols; c2++)
        if (!(j->num[c2] = mlp_mem_alloc((j->rows + 1) * sizeof **j->num)))
            return MLP_ERR_NO_MEMORY;
    *ok = 1;
    return MLP_OK;
}

/* The table the shares are joined into, in place: the header's, or a new one. */
static mlp_status in_place_table(job *j, mlp_table *head, mlp_table **out)
{
    if (head->names) {
        mlp_table_store_release(head->store, head->cols);
        head->store = NULL;
        head->col = NULL;
        *out = head;
    } else {
        mlp_table_free(head);
        if (!(*out = mlp_mem_calloc(1, sizeof **out)) ||
            !((*out)->source = mlp_mem_strdup(j->name)))
            return MLP_ERR_NO_MEMORY;
    }
    mlp_table *t = *out;
    t->rows = 0;
    t->cols = j->cols;
    if (!(t->store = mlp_table_store_new(j->cols))) return MLP_ERR_NO_MEMORY;
    t->col = t->store->col;
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
    job j = {.fd = fd, .name = name, .o = o, .s = s, .n = n, .size = size};
    mlp_status st = MLP_OK;
    for (size_t k = 0; k < n; k++) {
        s[k].begin = size / n * k;
        s[k].job = &j;
    }
    for (size_t k = 1; k < n && st == MLP_OK; k++) { /* cut after a line break */
        size_t at = size;
        st = each_block(fd, s[k].begin, size, first_line_end, &at);
        s[k].begin = at > s[k - 1].begin ? at : s[k - 1].begin;
    }
    for (size_t k = 0; k < n; k++) s[k].end = k + 1 < n ? s[k + 1].begin : size;
    if (st == MLP_OK) mlp_run_parallel(n, run_share, &j); /* count */
    size_t quotes = 0;
    for (size_t k = 0; k < n && st == MLP_OK; k++) {
        st = s[k].st;
        quotes += s[k].quotes;
    }
    mlp_table *head = NULL, *t = NULL;
    size_t head_lines = 0;
    int in_place = 0;
    if (st == MLP_OK && quotes == 0) st = plan_in_place(&j, &head, &head_lines, &in_place);
    if (st == MLP_OK && !in_place) st = cut_outside_quotes(&j);
    if (st == MLP_OK) {
        j.pass = 1;
        mlp_run_parallel(n, run_share, &j);
        for (size_t k = 0; k < n && st == MLP_OK; k++) st = s[k].st;
    }
    if (st == MLP_OK) {
        if (in_place) {
            st = in_place_table(&j, head, &t);
            head = NULL;
        } else {
            t = s[0].t;
        }
    }
    if (st == MLP_OK) st = join(&j, t, head_lines);
    if (st == MLP_OK && o->progress) o->progress(size, size, o->progress_user_data);
    for (size_t k = 0; j.line && k < n; k++) /* the shares borrowed it */
        if (s[k].t) s[k].t->line = NULL;
    for (size_t k = 0; k < n; k++)
        if (s[k].t != t) mlp_table_free(s[k].t);
    mlp_table_free(head);
    mlp_mem_free(j.line);
    for (size_t c = 0; j.num && c < j.cols; c++) mlp_mem_free(j.num[c]);
    mlp_mem_free(j.num);
    if (st == MLP_OK) *out = t;
    else mlp_table_free(t);
    mlp_mem_free(s);
    return st;
}
