/* Reading a plain CSV file (no quotes) by byte ranges: a range owns the lines that start in
 * it, so ranges split anywhere and are read independently, on threads or by MPI ranks.
 * A first pass counts each range's records and lines (memchr speed); the outputs are then
 * allocated once at their final size and each range parses straight into its rows, so
 * memory is the float matrix plus a bounded buffer per thread, and every line number in a
 * message is the file's. */
#include "csv_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_BYTES (1u << 20)      /* read at once by a thread */
#define MIN_RANGE_BYTES (4u << 20)  /* a thread's least share: below, threads cost more */
#define MAX_THREADS 64

typedef struct range {
    size_t begin, end;          /* bytes, whole lines */
    size_t newlines, records;   /* first pass */
    size_t first_line, row0;
    int plain;
    mlp_error_detail detail;
    csv_ctx w;                  /* second pass */
} range;

typedef struct job {
    int fd;
    char delim;
    locale_t cloc;
    range *r;
    size_t n;
    int pass;                   /* 0 count, 1 parse */
    const csv_ctx *main;
    atomic_size_t done;         /* bytes parsed, for progress */
    size_t total;
} job;

typedef struct worker {
    job *j;
    size_t k;
    mlp_status st;
} worker;

/* Calls fn on [begin, end) of fd in blocks of whole lines; fn returns nonzero to stop. */
static mlp_status each_block(int fd, size_t begin, size_t end,
                             int (*fn)(void *ctx, char *p, char *e), void *ctx)
{
    size_t cap = BLOCK_BYTES, have = 0, pos = begin;
    char *buf = mlp_mem_alloc(cap);
    mlp_status st = buf ? MLP_OK : MLP_ERR_NO_MEMORY;
    while (st == MLP_OK && (pos < end || have)) {
        size_t want = cap - have < end - pos ? cap - have : end - pos;
        if (want) {
            ssize_t got = pread(fd, buf + have, want, (off_t)pos);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) { /* an error, or the file shrank since its size was taken */
                st = MLP_ERR_IO;
                break;
            }
            pos += (size_t)got;
            have += (size_t)got;
        }
        char *e = buf + have;
        if (pos < end) {
            while (e > buf && e[-1] != '\n') e--;
            if (e == buf) { /* a line longer than the buffer */
                if (!mlp_mem_grow((void **)&buf, &cap, cap + 1, 1)) st = MLP_ERR_NO_MEMORY;
                continue;
            }
        }
        if (fn(ctx, buf, e)) break;
        have = (size_t)(buf + have - e);
        memmove(buf, e, have);
    }
    mlp_mem_free(buf);
    return st;
}

/* ------------------------------------------------------------------ first pass */

static int count_block(void *ctx, char *p, char *e)
{
    range *r = ((worker *)ctx)->j->r + ((worker *)ctx)->k;
    char delim = ((worker *)ctx)->j->delim;
    if (mlp_csv_block_needs_libcsv(p, (size_t)(e - p))) {
        r->plain = 0;
        return 1;
    }
    while (p < e) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        char *eol = nl ? nl : e;
        r->newlines += nl != NULL;
        if (!mlp_csv_line_is_blank(p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, delim))
            r->records++;
        p = nl ? nl + 1 : e;
    }
    return 0;
}

/* ------------------------------------------------------------------ second pass */

typedef struct parse_ctx {
    worker *wk;
    csv_feed feed;
    const mlp_csv_options *opt;
} parse_ctx;

static int parse_block(void *ctx, char *p, char *e)
{
    parse_ctx *pc = ctx;
    job *j = pc->wk->j;
    range *r = j->r + pc->wk->k;
    mlp_csv_split_block(&pc->feed, p, e);
    size_t done = atomic_fetch_add(&j->done, (size_t)(e - p)) + (size_t)(e - p);
    /* progress from the calling thread only (it reads range 0) */
    if (pc->wk->k == 0 && pc->opt->progress) pc->opt->progress(done, j->total,
                                                                pc->opt->progress_user_data);
    return r->w.st != MLP_OK;
}

static mlp_status run_range(worker *wk)
{
    job *j = wk->j;
    range *r = j->r + wk->k;
    locale_t old = uselocale(j->cloc);
    mlp_status st;
    if (j->pass == 0) {
        r->plain = 1;
        st = each_block(j->fd, r->begin, r->end, count_block, wk);
    } else {
        parse_ctx pc = {wk,
                        {j->delim, &r->w.line, &r->w.st, csv_on_field, csv_on_record, &r->w,
                         NULL},
                        j->main->opt};
        st = r->records ? each_block(j->fd, r->begin, r->end, parse_block, &pc) : MLP_OK;
        if (st == MLP_OK && r->w.st == MLP_OK && r->w.rows != r->records)
            csv_fail(&r->w, MLP_ERR_IO, 0, 0, "%s",
                     "fewer records than a first pass counted: did the file change?");
        if (st == MLP_OK) st = r->w.st;
    }
    uselocale(old);
    if (st == MLP_ERR_IO && r->detail.message[0] == '\0')
        mlp_data_error(&r->detail, st, 0, 0, "%s: read error: %s", j->main->path,
                       strerror(errno ? errno : EIO));
    return st;
}

static void run_one(void *ctx, size_t k)
{
    worker *wk = ctx;
    wk[k].st = run_range(&wk[k]);
}

/* Runs every range, range 0 on this thread. */
static void run_all(job *j, worker *wk)
{
    for (size_t k = 0; k < j->n; k++) wk[k] = (worker){j, k, MLP_OK};
    mlp_run_parallel(j->n, run_one, wk);
}

/* ------------------------------------------------------------------ layout */

/* The start of the first line that begins at or after pos (size when none). */
static mlp_status line_start(int fd, size_t pos, size_t size, size_t *out)
{
    char buf[65536];
    if (pos == 0) {
        *out = 0;
        return MLP_OK;
    }
    for (size_t at = pos - 1; at < size;) {
        size_t want = size - at < sizeof buf ? size - at : sizeof buf;
        ssize_t got = pread(fd, buf, want, (off_t)at);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return MLP_ERR_IO;
        char *nl = memchr(buf, '\n', (size_t)got);
        if (nl) {
            *out = at + (size_t)(nl - buf) + 1;
            return MLP_OK;
        }
        at += (size_t)got;
    }
    *out = size;
    return MLP_OK;
}

/* Reads the first record (header or data) through the ordinary callbacks; *data_begin is
 * where the data records start and *data_line its line. *plain 0 when it needs libcsv. */
static mlp_status first_record(csv_ctx *c, int fd, size_t size, size_t *data_begin,
                               size_t *data_line, int *plain)
{
    size_t cap = 0, have = 0;
    char *buf = NULL;
    mlp_status st = MLP_OK;
    for (;;) { /* enough of the file for its first non-blank line */
        if (!mlp_mem_grow((void **)&buf, &cap, have + 65536, 1)) {
            st = csv_no_memory(c);
            break;
        }
        size_t want = size - have < cap - have ? size - have : cap - have;
        ssize_t got = want ? pread(fd, buf + have, want, (off_t)have) : 0;
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 || (want && got == 0)) {
            st = MLP_ERR_IO;
            break;
        }
        have += (size_t)got;
        size_t skip = have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        char *p = buf + skip, *end = buf + have, *nl = NULL;
        size_t blank_lines = 0;
        while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL &&
               mlp_csv_line_is_blank(p, nl > p && nl[-1] == '\r' ? nl - 1 : nl,
                                     c->opt->delimiter)) {
            p = nl + 1;
            blank_lines++;
        }
        if (!nl && have < size) continue; /* the line goes on */
        char *eol = nl ? nl + 1 : end;
        if (mlp_csv_block_needs_libcsv(buf, (size_t)(eol - buf))) {
            *plain = 0;
            break;
        }
        c->line = blank_lines;
        csv_feed f = {c->opt->delimiter, &c->line, &c->st, csv_on_field, csv_on_record, c, NULL};
        mlp_csv_split_block(&f, p, eol);
        st = c->st;
        int was_data = c->rows == 1;
        *data_begin = was_data ? (size_t)(p - buf) : (size_t)(eol - buf);
        *data_line = was_data ? c->line : c->line + 1;
        /* row 0, if data, is read again with its range: the layout is what was wanted */
        c->rows = 0;
        mlp_mem_free(c->x);
        mlp_mem_free(c->y_value);
        mlp_mem_free(c->y_class);
        c->x = c->y_value = NULL;
        c->y_class = NULL;
        c->x_cap = c->y_cap = 0;
        break;
    }
    mlp_mem_free(buf);
    return st;
}

/* Splits [begin, end) into n ranges of about equal bytes, on line starts. */
static mlp_status split(int fd, size_t begin, size_t end, size_t n, range *r)
{
    r[0].begin = begin;
    for (size_t k = 1; k < n; k++) {
        mlp_status st = line_start(fd, begin + (end - begin) / n * k, end, &r[k].begin);
        if (st != MLP_OK) return st;
        if (r[k].begin < r[k - 1].begin) r[k].begin = r[k - 1].begin;
    }
    for (size_t k = 0; k < n; k++) r[k].end = k + 1 < n ? r[k + 1].begin : end;
    return MLP_OK;
}

/* Newlines in [begin, end): line numbers of a shard's first line. */
static int count_newlines(void *ctx, char *p, char *e)
{
    size_t *n = ctx;
    for (; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) ++*n;
    return 0;
}

/* ------------------------------------------------------------------ outputs */

static mlp_status fill_targets(csv_ctx *c, mlp_dataset *ds, size_t rows, size_t *y_class)
{
    int regress = c->opt->task == MLP_TASK_REGRESS;
    if (c->no_label || regress) return MLP_OK;
    if (!c->fixed_classes) {
        c->y_class = y_class;
        c->rows = rows;
        mlp_status st = csv_sort_classes(c);
        c->y_class = NULL;
        c->rows = 0;
        if (st == MLP_OK) st = mlp_dataset_reset_targets(ds, c->n_classes);
        if (st != MLP_OK) return csv_no_memory(c);
    }
    float *y = mlp_dataset_targets(ds);
    for (size_t i = 0; i < rows; i++) y[i * c->n_classes + y_class[i]] = 1.0f;
    mlp_status st = mlp_dataset_set_class_names(ds, (const char *const *)c->classes,
                                                c->n_classes);
    return st == MLP_OK ? MLP_OK : csv_no_memory(c);
}

/* A worker's classes into the shared list, its rows renumbered. */
static mlp_status merge_classes(csv_ctx *c, range *r, size_t *y_class)
{
    if (c->fixed_classes || c->no_label || c->opt->task == MLP_TASK_REGRESS) return MLP_OK;
    size_t *map = mlp_mem_alloc((r->w.n_classes ? r->w.n_classes : 1) * sizeof *map);
    if (!map) return csv_no_memory(c);
    for (size_t i = 0; i < r->w.n_classes; i++)
        if ((map[i] = csv_class_id(c, r->w.classes[i])) == SIZE_MAX) {
            mlp_mem_free(map);
            return csv_no_memory(c);
        }
    for (size_t i = 0; i < r->records; i++) y_class[r->row0 + i] = map[y_class[r->row0 + i]];
    mlp_mem_free(map);
    return MLP_OK;
}

static void worker_init(csv_ctx *w, const csv_ctx *c, range *r, mlp_dataset *ds,
                        size_t *y_class)
{
    *w = *c;
    w->detail = &r->detail;
    w->st = MLP_OK;
    w->line = r->first_line - 1;
    w->text = NULL;
    w->text_len = w->text_cap = 0;
    w->fields = NULL;
    w->nfields = w->fields_cap = 0;
    w->rows = 0;
    w->rows_fixed = 1;
    w->row_limit = r->records;
    w->x = mlp_dataset_inputs(ds) + r->row0 * c->n_in;
    w->x_cap = r->records * c->n_in;
    w->y_cap = r->records;
    w->y_value = c->opt->task == MLP_TASK_REGRESS && !c->no_label
                     ? mlp_dataset_targets(ds) + r->row0 : NULL;
    w->y_class = y_class ? y_class + r->row0 : NULL;
    if (!c->fixed_classes) {
        w->classes = NULL;
        w->slots = NULL;
        w->n_classes = w->classes_cap = w->n_slots = 0;
    }
}

static void worker_free(csv_ctx *w, const csv_ctx *c)
{
    mlp_mem_free(w->text);
    mlp_mem_free(w->fields);
    if (!c->fixed_classes) {
        for (size_t i = 0; i < w->n_classes; i++) mlp_mem_free(w->classes[i]);
        mlp_mem_free(w->classes);
        mlp_mem_free(w->slots);
    }
}

/* The first range (in file order) that failed: its message goes to the caller. */
static mlp_status first_failure(csv_ctx *c, range *r, worker *wk, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (wk[k].st != MLP_OK) {
            if (c->detail) *c->detail = r[k].detail;
            return c->st = wk[k].st;
        }
    return MLP_OK;
}

/* A share's message numbered its lines from the share's start: the lines before it are
 * counted now (only on failure: a share reads only its own bytes otherwise). */
static void shift_lines(csv_ctx *c, int fd, size_t data_begin, size_t begin)
{
    size_t before = 0;
    mlp_error_detail *d = c->detail;
    if (!d || d->line == 0 || each_block(fd, data_begin, begin, count_newlines, &before) != MLP_OK)
        return;
    char old[64], rest[sizeof d->message];
    int n = snprintf(old, sizeof old, ":%zu", d->line);
    size_t plen = strlen(c->path);
    if (n < 0 || strncmp(d->message, c->path, plen) != 0 ||
        strncmp(d->message + plen, old, (size_t)n) != 0)
        return;
    snprintf(rest, sizeof rest, "%s", d->message + plen + (size_t)n);
    d->line += before;
    snprintf(d->message, sizeof d->message, "%.40s:%zu%.200s", c->path, d->line, rest);
}

mlp_status csv_load_ranges(csv_ctx *c, int fd, size_t size, size_t rank, size_t ranks,
                           int threads, size_t range_bytes, locale_t cloc, mlp_dataset **out,
                           int *plain)
{
    size_t data_begin = 0, data_line = 1;
    *plain = 1;
    mlp_status st = first_record(c, fd, size, &data_begin, &data_line, plain);
    if (st != MLP_OK || !*plain) return st == MLP_ERR_IO ? csv_fail(c, st, 0, 0, "%s",
                                                                    "read error") : st;
    if (!c->layout_known) return csv_fail(c, MLP_ERR_PARSE, 0, 0, "%s", "no data rows");
    /* this rank's share of the data bytes */
    size_t begin = data_begin, end = size;
    if (ranks > 1) {
        size_t step = (size - data_begin) / ranks;
        if ((st = line_start(fd, data_begin + step * rank, size, &begin)) != MLP_OK ||
            (st = line_start(fd, rank + 1 == ranks ? size : data_begin + step * (rank + 1),
                             size, &end)) != MLP_OK)
            return csv_fail(c, st, 0, 0, "%s", "read error");
        if (rank == 0) begin = data_begin;
        if (begin > end) begin = end;
    }
    size_t n = threads < 1 ? 1 : (size_t)threads;
    if (n > MAX_THREADS) n = MAX_THREADS;
    size_t least = range_bytes ? range_bytes : MIN_RANGE_BYTES;
    if (n > (end - begin) / least + 1) n = (end - begin) / least + 1;
    range *r = mlp_mem_calloc(n, sizeof *r);
    worker wk[MAX_THREADS];
    size_t *y_class = NULL;
    mlp_dataset *ds = NULL;
    if (!r) return csv_no_memory(c);
    job j = {fd, c->opt->delimiter, cloc, r, n, 0, c, 0, end - begin};
    if ((st = split(fd, begin, end, n, r)) != MLP_OK) {
        csv_fail(c, st, 0, 0, "%s", "read error");
        goto done;
    }
    run_all(&j, wk);
    for (size_t k = 0; k < n; k++)
        if (wk[k].st == MLP_OK && !r[k].plain) *plain = 0;
    if (!*plain || (st = first_failure(c, r, wk, n)) != MLP_OK) goto done;
    /* line numbers (counted from the share's start: a failing share counts the lines
     * before it, below) and rows */
    size_t line = data_line, rows = 0;
    for (size_t k = 0; k < n; k++) {
        r[k].first_line = line;
        r[k].row0 = rows;
        line += r[k].newlines;
        rows += r[k].records;
    }
    if (rows == 0 && ranks <= 1) {
        st = csv_fail(c, MLP_ERR_PARSE, 0, 0, "%s", "no data rows");
        goto done;
    }
    int regress = c->opt->task == MLP_TASK_REGRESS;
    size_t k_out = c->no_label ? 0 : regress ? 1 : c->fixed_classes ? c->n_classes : 0;
    if (mlp_dataset_create(&ds, rows, c->n_in, k_out) != MLP_OK ||
        (!c->no_label && !regress &&
         !(y_class = mlp_mem_alloc((rows ? rows : 1) * sizeof *y_class)))) {
        st = csv_no_memory(c);
        goto done;
    }
    for (size_t k = 0; k < n; k++) worker_init(&r[k].w, c, &r[k], ds, y_class);
    j.pass = 1;
    run_all(&j, wk);
    st = first_failure(c, r, wk, n);
    if (st != MLP_OK && ranks > 1 && begin > data_begin) shift_lines(c, fd, data_begin, begin);
    for (size_t k = 0; k < n && st == MLP_OK; k++) st = merge_classes(c, &r[k], y_class);
    for (size_t k = 0; k < n; k++) worker_free(&r[k].w, c);
    if (st == MLP_OK) st = fill_targets(c, ds, rows, y_class);
    if (st == MLP_OK && !c->no_label &&
        mlp_dataset_set_label_column(ds, c->label_name, (long)c->label_col) != MLP_OK)
        st = csv_no_memory(c);
done:
    mlp_mem_free(y_class);
    mlp_mem_free(r);
    if (st == MLP_OK && *plain) *out = ds;
    else mlp_dataset_free(ds);
    return st;
}
