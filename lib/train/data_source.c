/* Data sources (mlp_source): training and validation records from arrays read in place or
 * from the caller's callback, a batch of rows at a time. The epoch loop (train_loop.c)
 * reads arrays itself where it can read a row in place; everything else comes here. */
#include "mlp_internal.h"

#include <string.h>

mlp_status mlp_feed_open(mlp_feed *f, const mlp_source *s, const char *name, const mlp_net *net,
                         mlp_error_detail *detail)
{
    *f = (mlp_feed){.name = name, .n0 = net->sizes[0], .nl = net->sizes[net->n_layers]};
    if (!s || s->count == 0) return MLP_OK; /* count: in every layout, after struct_size */
    mlp_source own = {.struct_size = sizeof own};
    mlp_status st = mlp_read_config(&own, sizeof own, s, MLP_SOURCE_MIN_SIZE, name, "mlp_source",
                                    detail);
    if (st != MLP_OK) return st;
    s = &own;
    const bool arrays = s->inputs || s->targets;
    if (arrays && s->read)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG,
                        "%s has both arrays (inputs/targets) and a read callback: set one",
                        name);
    if (!arrays && !s->read)
        return mlp_fail(detail, MLP_ERR_NULL_ARG,
                        "%s has %zu records but neither inputs/targets nor a read callback",
                        name, s->count);
    if (arrays && (!s->inputs || !s->targets))
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s->%s is NULL", name,
                        s->inputs ? "targets" : "inputs");
    /* the rows must be addressable: count x n floats (SIZE_MAX bytes at most) */
    size_t bytes;
    if (!mlp_mul_size(s->count, (f->n0 > f->nl ? f->n0 : f->nl) * sizeof(float), &bytes))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s->count %zu is too large", name,
                        s->count);
    f->x = s->inputs;
    f->y = s->targets;
    f->read = s->read;
    f->user_data = s->user_data;
    f->count = s->count;
    return MLP_OK;
}

mlp_status mlp_feed_check_arrays(const mlp_feed *f, mlp_error_detail *detail)
{
    if (!f->x) return MLP_OK;
    if (!mlp_all_finite(f->x, f->count * f->n0))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "%s inputs hold a NaN or infinite value",
                        f->name);
    if (!mlp_all_finite(f->y, f->count * f->nl))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "%s targets hold a NaN or infinite value",
                        f->name);
    return MLP_OK;
}

/* The first of rows [0, n) with a NaN or infinite value, n when none. */
static size_t first_bad_row(const float *v, size_t n, size_t width)
{
    for (size_t i = 0; i < n; i++)
        if (!mlp_all_finite(v + i * width, width)) return i;
    return n;
}

mlp_status mlp_feed_rows(const mlp_feed *f, const size_t *records, size_t n, float *x, float *y,
                         size_t epoch, mlp_error_detail *detail)
{
    if (f->x) {
        for (size_t i = 0; i < n; i++) {
            memcpy(x + i * f->n0, f->x + records[i] * f->n0, f->n0 * sizeof *x);
            memcpy(y + i * f->nl, f->y + records[i] * f->nl, f->nl * sizeof *y);
        }
        return MLP_OK;
    }
    mlp_status st = f->read(f->user_data, records, n, x, y);
    if (st != MLP_OK)
        return mlp_fail(detail, st,
                        "%s source: reading %zu record(s) from record %zu failed in epoch %zu: %s",
                        f->name, n, records[0], epoch, mlp_strerror(st));
    /* arrays are checked once before training; a callback's rows as they arrive */
    if (!mlp_all_finite(x, n * f->n0) || !mlp_all_finite(y, n * f->nl)) {
        size_t bx = first_bad_row(x, n, f->n0), by = first_bad_row(y, n, f->nl);
        size_t i = bx < by ? bx : by;
        return mlp_fail(detail, MLP_ERR_NON_FINITE,
                        "%s source: record %zu read in epoch %zu has a NaN or infinite %s",
                        f->name, records[i], epoch, bx <= by ? "input" : "target");
    }
    return MLP_OK;
}
