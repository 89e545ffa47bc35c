/* The CSV tokenizer both text readers share: a block splitter for the plain case, libcsv
 * for quoting (see csv_feed.h). */
#include "csv_feed.h"

#include <csv.h>
#include <errno.h>
#include <string.h>

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

/* libcsv from the start of [p, end) to the end of the file. */
static csv_feed_result slow_rest(FILE *fp, const csv_feed *f, const char *p, const char *end)
{
    slow_state s = {.res = CSV_FEED_OK};
    if (csv_init(&s.p, CSV_STRICT | CSV_STRICT_FINI) != 0) return CSV_FEED_NO_MEMORY;
    csv_set_delim(&s.p, (unsigned char)f->delimiter);
    csv_set_realloc_func(&s.p, mlp_mem_realloc); /* the parser's field buffer too */
    csv_set_free_func(&s.p, mlp_mem_free);
    char *buf = NULL;
    size_t cap = 0, n;
    mlp_status grow = MLP_OK;
    while (p < end && s.res == CSV_FEED_OK && *f->stop == MLP_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) { /* the block's last line goes on in the file: join the two parts */
            size_t part = (size_t)(end - p), more = mlp_read_line(&buf, &cap, fp, &grow);
            char *joined = grow == MLP_OK ? mlp_mem_alloc(part + more + 1) : NULL;
            if (!joined) {
                s.res = CSV_FEED_NO_MEMORY;
                break;
            }
            memcpy(joined, p, part);
            if (more) memcpy(joined + part, buf, more);
            slow_line(f, &s, joined, part + more);
            mlp_mem_free(joined);
            break;
        }
        slow_line(f, &s, p, (size_t)(nl + 1 - p));
        p = nl + 1;
    }
    while (s.res == CSV_FEED_OK && *f->stop == MLP_OK &&
           (n = mlp_read_line(&buf, &cap, fp, &grow)) > 0)
        slow_line(f, &s, buf, n);
    mlp_mem_free(buf);
    if (s.res == CSV_FEED_OK && grow != MLP_OK) s.res = CSV_FEED_NO_MEMORY;
    if (s.res == CSV_FEED_OK && ferror(fp)) s.res = CSV_FEED_IO;
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

csv_feed_result mlp_csv_feed_stream(FILE *fp, const csv_feed *f)
{
    size_t cap = BLOCK_BYTES, have = 0, read = 0;
    char *buf = mlp_mem_alloc(cap);
    if (!buf) return CSV_FEED_NO_MEMORY;
    csv_feed_result res = CSV_FEED_OK;
    int first = 1;
    errno = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, cap - have, fp);
        have += got;
        read += got;
        if (got == 0 && ferror(fp)) {
            res = CSV_FEED_IO;
            break;
        }
        int eof = got == 0 || feof(fp);
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
            res = slow_rest(fp, f, start, buf + have);
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
