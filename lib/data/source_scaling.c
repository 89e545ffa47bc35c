/* Input scaling fitted over the records of a source in streaming passes, a batch at a
 * time: what mlp_preprocess_fit computes on the same records in memory (the same sums in
 * the same order), for data that does not fit in memory (the binary CSV cache). */
#include "mlp_internal.h"

#include <math.h>
#include <string.h>

#define PASS_ROWS 1024 /* records read at once */

typedef struct pass {
    const mlp_source *src;
    size_t d, k;
    float *x, *y;
    size_t *idx;
} pass;

/* Calls fn on every record's inputs, in order. */
static mlp_status each_row(pass *p, void (*fn)(const float *row, size_t d, double *a,
                                                double *b), double *a, double *b)
{
    for (size_t first = 0; first < p->src->count; first += PASS_ROWS) {
        size_t n = p->src->count - first < PASS_ROWS ? p->src->count - first : PASS_ROWS;
        for (size_t i = 0; i < n; i++) p->idx[i] = first + i;
        mlp_status st = p->src->read ? p->src->read(p->src->user_data, p->idx, n, p->x, p->y)
                                     : MLP_OK;
        const float *x = p->src->read ? p->x : p->src->inputs + first * p->d;
        if (st != MLP_OK) return st;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < p->d; j++)
                if (!mlp_is_finite(x[i * p->d + j])) return MLP_ERR_NON_FINITE;
            fn(x + i * p->d, p->d, a, b);
        }
    }
    return MLP_OK;
}

static void add_sum(const float *row, size_t d, double *sum, double *unused)
{
    (void)unused;
    for (size_t j = 0; j < d; j++) sum[j] += row[j];
}

static void add_squares(const float *row, size_t d, double *mean, double *sq)
{
    for (size_t j = 0; j < d; j++) {
        double dev = row[j] - mean[j];
        sq[j] += dev * dev;
    }
}

static void add_range(const float *row, size_t d, double *lo, double *hi)
{
    for (size_t j = 0; j < d; j++) {
        if (row[j] < lo[j]) lo[j] = row[j];
        if (row[j] > hi[j]) hi[j] = row[j];
    }
}

static mlp_status fit(pass *p, mlp_scaling scaling, double *a, double *b, float *offset,
                      float *scale)
{
    size_t d = p->d, n = p->src->count;
    for (size_t j = 0; j < d; j++) a[j] = scaling == MLP_SCALE_MINMAX ? INFINITY : 0.0;
    for (size_t j = 0; j < d; j++) b[j] = scaling == MLP_SCALE_MINMAX ? -INFINITY : 0.0;
    mlp_status st;
    if (scaling == MLP_SCALE_MINMAX) {
        st = each_row(p, add_range, a, b);
    } else { /* two passes: the mean, then the squared deviations (no cancellation) */
        st = each_row(p, add_sum, a, NULL);
        for (size_t j = 0; j < d; j++) a[j] /= (double)n;
        if (st == MLP_OK) st = each_row(p, add_squares, a, b);
    }
    for (size_t j = 0; st == MLP_OK && j < d; j++) {
        double spread = scaling == MLP_SCALE_MINMAX ? b[j] - a[j] : sqrt(b[j] / (double)n);
        double s = spread > 0.0 ? 1.0 / spread : 1.0;
        if (!isfinite((float)s)) s = 1.0; /* 1/spread beyond a float: a constant feature */
        offset[j] = (float)a[j];
        scale[j] = (float)s;
    }
    return st;
}

mlp_status mlp_source_fit_scaling(mlp_preprocess *pre, const mlp_source *records,
                                  size_t target_size, mlp_scaling scaling,
                                  mlp_error_detail *detail)
{
    if (!pre || !records) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre or records is NULL");
    if (records->count == 0 || (!records->read && !records->inputs))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "records: no records");
    if (scaling == MLP_SCALE_ROBUST || (unsigned)scaling >= MLP_SCALE_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "scaling: NONE, STANDARD or MINMAX (ROBUST "
                        "needs every value of a column at once)");
    if (scaling == MLP_SCALE_NONE) return mlp_preprocess_set_scaling(pre, scaling, NULL, NULL);
    pass p = {records, mlp_preprocess_input_size(pre), target_size, NULL, NULL, NULL};
    size_t d = p.d ? p.d : 1;
    double *acc = mlp_mem_alloc(2 * d * sizeof *acc);
    float *offset = mlp_mem_alloc(2 * d * sizeof *offset);
    p.x = mlp_mem_alloc(PASS_ROWS * d * sizeof *p.x);
    p.y = mlp_mem_alloc(PASS_ROWS * (target_size ? target_size : 1) * sizeof *p.y);
    p.idx = mlp_mem_alloc(PASS_ROWS * sizeof *p.idx);
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (acc && offset && p.x && p.y && p.idx) st = fit(&p, scaling, acc, acc + d, offset,
                                                       offset + d);
    if (st == MLP_OK) st = mlp_preprocess_set_scaling(pre, scaling, offset, offset + d);
    mlp_mem_free(acc);
    mlp_mem_free(offset);
    mlp_mem_free(p.x);
    mlp_mem_free(p.y);
    mlp_mem_free(p.idx);
    if (st == MLP_ERR_NO_MEMORY) return mlp_fail(detail, st, "out of memory");
    if (st == MLP_ERR_NON_FINITE)
        return mlp_fail(detail, st, "records: an input is NaN or infinite");
    if (st != MLP_OK) return mlp_fail(detail, st, "records: the source's read failed");
    return MLP_OK;
}
