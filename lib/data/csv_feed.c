/* The CSV tokenizer both text readers share: a block splitter for the plain case, libcsv
 * for quoting (see csv_feed.h). */
#include "csv_feed.h"

#include <csv.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BLOCK_BYTES (1u << 20)

static int is_blank(char ch, char delim) { return (ch == ' ' || ch == '\t') && ch != delim; }

int mlp_csv_line_is_blank(const char *p, const char *eol, char delim)
{
    while (p < eol && is_blank(*p, delim)) p++;
    return p == eol;
}

/* Lines of [p, end) (whole lines, each ending in '\n' except perhaps the file's last),
 * known to hold no quote, NUL or bare carriage return. */
void mlp_csv_split_block(const csv_feed *f, char *p, char *end)
{
    const char delim = f->delimiter;
    while (p < end && *f->stop == MLP_OK) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        (*f->line)++;
        if (eol > p && eol[-1] == '\r') eol--;
        if (mlp_csv_line_is_blank(p, eol, delim)) {
            p = next;
            continue;
        }
        for (;;) {
            char *s = p;
            char *stop = memchr(s, delim, (size_t)(eol - s));
            char *fe = stop ? stop : eol;
            while (s < fe && is_blank(*s, delim)) s++;
            char *t = fe;
            while (t > s && is_blank(t[-1], delim)) t--;
            f->on_field(s, (size_t)(t - s), f->data);
            if (!stop) break;
            p = stop + 1;
        }
        f->on_record('\n', f->data);
        p = next;
    }
}

/* A block libcsv must read: a quote, a NUL byte or a carriage return not before '\n'. */
int mlp_csv_block_needs_libcsv(const char *p, size_t n)
{
    if (memchr(p, '"', n) || memchr(p, '\0', n)) return 1;
    for (const char *r = p; (r = memchr(r, '\r', n - (size_t)(r - p))) != NULL; r++)
        if (r + 1 == p + n || r[1] != '\n') return 1;
    return 0;
}

/* Where a feed's bytes come from: a stream to its end, or a byte range of a file. */
typedef struct feed_src {
    FILE *fp;
    int fd;
    size_t pos, end;
} feed_src;

/* Up to n bytes into buf; 0 at the end. *io set on a read error. */
static size_t src_read(feed_src *s, char *buf, size_t n, int *io)
{
    if (s->fp) {
        size_t got = fread(buf, 1, n, s->fp);
        if (got == 0 && ferror(s->fp)) *io = 1;
        return got;
    }
    if (n > s->end - s->pos) n = s->end - s->pos;
    while (n) {
        ssize_t got = pread(s->fd, buf, n, (off_t)s->pos);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) *io = 1;
        if (got <= 0) return 0;
        s->pos += (size_t)got;
        return (size_t)got;
    }
    return 0;
}

typedef struct slow_state {
    struct csv_parser p;
    csv_feed_result res;
} slow_state;

static void slow_line(const csv_feed *f, slow_state *s, const char *line, size_t n)
{
    (*f->line)++;
    if (csv_parse(&s->p, line, n, f->on_field, f->on_record, f->data) != n &&
        *f->stop == MLP_OK)
        s->res = csv_error(&s->p) == CSV_EPARSE ? CSV_FEED_QUOTING : CSV_FEED_NO_MEMORY;
}

/* libcsv, a line at a time, from buf[off, have) to the end of the source; buf (capacity
 * *cap) is the caller's block buffer, grown here for a line longer than it. */
static csv_feed_result slow_rest(feed_src *src, const csv_feed *f, char **bufp, size_t *cap,
                                 size_t off, size_t have, size_t *read, int eof)
{
    slow_state s = {.res = CSV_FEED_OK};
    if (csv_init(&s.p, CSV_STRICT | CSV_STRICT_FINI) != 0) return CSV_FEED_NO_MEMORY;
    csv_set_delim(&s.p, (unsigned char)f->delimiter);
    csv_set_realloc_func(&s.p, mlp_mem_realloc); /* the parser's field buffer too */
    csv_set_free_func(&s.p, mlp_mem_free);
    for (;;) {
        char *buf = *bufp, *p = buf + off, *end = buf + have, *nl;
        while (s.res == CSV_FEED_OK && *f->stop == MLP_OK &&
               (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            slow_line(f, &s, p, (size_t)(nl + 1 - p));
            p = nl + 1;
        }
        if (s.res != CSV_FEED_OK || *f->stop != MLP_OK) break;
        if (f->progress) f->progress(*read, f->data);
        if (eof) { /* the last line, without a line break */
            if (p < end) slow_line(f, &s, p, (size_t)(end - p));
            break;
        }
        have = (size_t)(end - p);
        memmove(buf, p, have);
        off = 0;
        if (have == *cap && !mlp_mem_grow((void **)bufp, cap, *cap + 1, 1)) {
            s.res = CSV_FEED_NO_MEMORY;
            break;
        }
        int io = 0;
        size_t got = src_read(src, *bufp + have, *cap - have, &io);
        if (io) {
            s.res = CSV_FEED_IO;
            break;
        }
        eof = got == 0;
        have += got;
        *read += got;
    }
    if (s.res == CSV_FEED_OK && *f->stop == MLP_OK &&
        csv_fini(&s.p, f->on_field, f->on_record, f->data) != 0 && *f->stop == MLP_OK)
        s.res = csv_error(&s.p) == CSV_EPARSE ? CSV_FEED_UNCLOSED : CSV_FEED_NO_MEMORY;
    csv_free(&s.p);
    return s.res;
}

mlp_status mlp_csv_feed_status(csv_feed_result r, mlp_status current, const char *name,
                               size_t line, size_t cell, mlp_error_detail *detail)
{
    switch (r) {
    case CSV_FEED_OK:
        return current;
    case CSV_FEED_QUOTING:
        return mlp_data_error(detail, MLP_ERR_PARSE, line, cell,
                              "%s:%zu:%zu: malformed quoting (RFC 4180: a quote inside a field "
                              "must be doubled and the field quoted)", name, line, cell);
    case CSV_FEED_UNCLOSED:
        return mlp_data_error(detail, MLP_ERR_PARSE, line, cell,
                              "%s:%zu:%zu: quoted field not closed before the end of the file",
                              name, line, cell);
    case CSV_FEED_IO:
        return mlp_data_error(detail, MLP_ERR_IO, 0, 0, "%s: read error: %s", name,
                              strerror(errno ? errno : EIO));
    default:
        return current != MLP_OK ? current
                                 : mlp_data_error(detail, MLP_ERR_NO_MEMORY, 0, 0,
                                                  "%s: out of memory", name);
    }
}

/* Feeds src to its end; skip_bom: the source is a file's start. */
static csv_feed_result feed(feed_src *src, const csv_feed *f, int skip_bom)
{
    size_t cap = BLOCK_BYTES, have = 0, read = 0;
    char *buf = mlp_mem_alloc(cap);
    if (!buf) return CSV_FEED_NO_MEMORY;
    csv_feed_result res = CSV_FEED_OK;
    int first = skip_bom;
    errno = 0;
    for (;;) {
        int io = 0;
        size_t got = src_read(src, buf + have, cap - have, &io);
        have += got;
        read += got;
        if (io) {
            res = CSV_FEED_IO;
            break;
        }
        int eof = got == 0 || (src->fp && feof(src->fp)) || (!src->fp && src->pos == src->end);
        char *start = buf;
        if (first && have >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) start += 3;
        if (first && (have >= 3 || eof)) first = 0;
        else if (first) continue; /* too short yet to tell a byte-order mark */
        char *last = buf + have;
        while (last > start && last[-1] != '\n') last--;
        last = last > start ? last - 1 : NULL;
        char *end = eof ? buf + have : last ? last + 1 : NULL;
        if (!end) { /* a line longer than the buffer */
            if (!mlp_mem_grow((void **)&buf, &cap, cap + 1, 1)) {
                res = CSV_FEED_NO_MEMORY;
                break;
            }
            continue;
        }
        if (mlp_csv_block_needs_libcsv(start, (size_t)(end - start))) {
            res = slow_rest(src, f, &buf, &cap, (size_t)(start - buf), have, &read, eof);
            break;
        }
        mlp_csv_split_block(f, start, end);
        if (f->progress) f->progress(read, f->data);
        if (*f->stop != MLP_OK || eof) break;
        have = (size_t)(buf + have - end);
        memmove(buf, end, have);
    }
    mlp_mem_free(buf);
    return res;
}

csv_feed_result mlp_csv_feed_stream(FILE *fp, const csv_feed *f)
{
    feed_src src = {fp, -1, 0, 0};
    return feed(&src, f, 1);
}

csv_feed_result mlp_csv_feed_range(int fd, size_t begin, size_t end, const csv_feed *f)
{
    feed_src src = {NULL, fd, begin, end};
    return feed(&src, f, begin == 0);
}
