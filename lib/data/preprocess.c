/* Input scaling x' = (x - offset) * scale per feature, and the label description that
 * turns net outputs back into answers. Statistics are accumulated in double. */
#include "mlp_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mlp_preprocess {
    size_t input_size;
    mlp_scaling scaling;
    float *offset;       /* input_size */
    float *scale;        /* input_size */
    mlp_task task;
    char *label_name;    /* NULL when none */
    long label_index;    /* -1 when none */
    char **class_names;
    size_t class_count;
    mlp_table_encoding *encoding; /* table encoding (lib/data/table_*.c), NULL when none */
};

static void free_names(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) mlp_mem_free(names[i]);
    mlp_mem_free(names);
}

/* Deep copy of names[0..n); *out NULL when n == 0. */
static mlp_status copy_names(char ***out, const char *const *names, size_t n)
{
    *out = NULL;
    if (n == 0) return MLP_OK;
    if (!names) return MLP_ERR_NULL_ARG;
    char **c = mlp_mem_calloc(n, sizeof *c);
    if (!c) return MLP_ERR_NO_MEMORY;
    for (size_t i = 0; i < n; i++) {
        mlp_status st = !names[i] ? MLP_ERR_NULL_ARG
                        : (c[i] = mlp_mem_strdup(names[i])) ? MLP_OK : MLP_ERR_NO_MEMORY;
        if (st != MLP_OK) {
            free_names(c, n);
            return st;
        }
    }
    *out = c;
    return MLP_OK;
}

static void set_identity(float *offset, float *scale, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        offset[i] = 0.0f;
        scale[i] = 1.0f;
    }
}

static const char no_memory[] = "no memory for the preprocessing";

mlp_status mlp_preprocess_create(mlp_preprocess **out, size_t input_size)
{
    return mlp_preprocess_create_ex(out, input_size, NULL);
}

mlp_status mlp_preprocess_create_ex(mlp_preprocess **out, size_t input_size,
                                    mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (input_size == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "input_size is 0: no inputs to scale");
    size_t bytes;
    if (!mlp_mul_size(input_size, sizeof(float), &bytes))
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "input_size %zu does not fit in memory",
                        input_size);
    mlp_preprocess *p = mlp_mem_calloc(1, sizeof *p);
    if (!p) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "%s", no_memory);
    p->offset = mlp_mem_alloc(bytes);
    p->scale = mlp_mem_alloc(bytes);
    if (!p->offset || !p->scale) {
        mlp_preprocess_free(p);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "%s", no_memory);
    }
    p->input_size = input_size;
    p->scaling = MLP_SCALE_NONE;
    set_identity(p->offset, p->scale, input_size);
    p->task = MLP_TASK_CLASSIFY;
    p->label_index = -1;
    *out = p;
    return MLP_OK;
}

void mlp_preprocess_free(mlp_preprocess *pre)
{
    if (!pre) return;
    mlp_mem_free(pre->offset);
    mlp_mem_free(pre->scale);
    mlp_mem_free(pre->label_name);
    free_names(pre->class_names, pre->class_count);
    mlp_table_encoding_free(pre->encoding);
    mlp_mem_free(pre);
}

mlp_status mlp_preprocess_clone(mlp_preprocess **out, const mlp_preprocess *src)
{
    return mlp_preprocess_clone_ex(out, src, NULL);
}

/* src is a valid preprocessing: only memory can fail. */
mlp_status mlp_preprocess_clone_ex(mlp_preprocess **out, const mlp_preprocess *src,
                                   mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!src) return mlp_fail(detail, MLP_ERR_NULL_ARG, "src is NULL");
    mlp_preprocess *p = NULL;
    mlp_status st = mlp_preprocess_create(&p, src->input_size);
    if (st == MLP_OK)
        st = mlp_preprocess_set_scaling(p, src->scaling, src->offset, src->scale);
    if (st == MLP_OK)
        st = mlp_preprocess_set_label_info(p, src->task, src->label_name, src->label_index,
                                           src->class_count,
                                           (const char *const *)src->class_names);
    if (st == MLP_OK && src->encoding) st = mlp_preprocess_set_encoding(p, src->encoding);
    if (st != MLP_OK) {
        mlp_preprocess_free(p);
        return mlp_fail(detail, st, "no memory for a copy of src");
    }
    *out = p;
    return MLP_OK;
}

/* Quantile q of n sorted values, linearly interpolated. */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    return i + 1 < n ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* ROBUST: median and 1.349 / IQR per feature, from a sorted copy of each column; the
 * standard scaling (already in offset/scale) stays where the quartiles coincide. */
static mlp_status robust(const mlp_dataset *ds, float *offset, float *scale)
{
    size_t n = mlp_dataset_count(ds), d = mlp_dataset_input_size(ds), bytes;
    if (!mlp_mul_size(n, sizeof(double), &bytes)) return MLP_ERR_NO_MEMORY;
    double *col = mlp_mem_alloc(bytes);
    if (!col) return MLP_ERR_NO_MEMORY;
    const float *x = mlp_dataset_inputs_const(ds);
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++) col[i] = x[i * d + j];
        qsort(col, n, sizeof *col, mlp_compare_doubles);
        double iqr = quantile(col, n, 0.75) - quantile(col, n, 0.25);
        double s = iqr > 0.0 ? 1.349 / iqr : 0.0;
        if (!(s > 0.0) || !isfinite((float)s)) continue;
        offset[j] = (float)quantile(col, n, 0.5);
        scale[j] = (float)s;
    }
    mlp_mem_free(col);
    return MLP_OK;
}

/* Per-feature offset/scale of `scaling` over ds's rows, in double. */
static mlp_status compute(const mlp_dataset *ds, mlp_scaling scaling, float *offset,
                          float *scale, double *acc, mlp_error_detail *detail)
{
    if (scaling == MLP_SCALE_ROBUST) {
        mlp_status st = compute(ds, MLP_SCALE_STANDARD, offset, scale, acc, detail);
        return st == MLP_OK ? robust(ds, offset, scale) : st;
    }
    size_t n = mlp_dataset_count(ds), d = mlp_dataset_input_size(ds);
    const float *x = mlp_dataset_inputs_const(ds);
    double *a = acc, *b = acc + d; /* min,max or sum,sum of squared deviations */
    for (size_t j = 0; j < d; j++) {
        a[j] = scaling == MLP_SCALE_MINMAX ? x[j] : 0.0;
        b[j] = scaling == MLP_SCALE_MINMAX ? x[j] : 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const float *row = x + i * d;
        for (size_t j = 0; j < d; j++) {
            if (!mlp_is_finite(row[j]))
                return mlp_fail(detail, MLP_ERR_NON_FINITE, "ds: record %zu, input %zu is NaN "
                                "or infinite", i, j);
            if (scaling == MLP_SCALE_MINMAX) {
                if (row[j] < a[j]) a[j] = row[j];
                if (row[j] > b[j]) b[j] = row[j];
            } else {
                a[j] += row[j];
            }
        }
    }
    if (scaling == MLP_SCALE_STANDARD) {
        /* Two passes: the mean, then the squared deviations (no cancellation). */
        for (size_t j = 0; j < d; j++) a[j] /= (double)n;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                double dev = x[i * d + j] - a[j];
                b[j] += dev * dev;
            }
    }
    for (size_t j = 0; j < d; j++) {
        double spread = scaling == MLP_SCALE_MINMAX ? b[j] - a[j] : sqrt(b[j] / (double)n);
        double s = spread > 0.0 ? 1.0 / spread : 1.0;
        /* A spread so small that 1/spread overflows a float counts as constant. */
        if (!isfinite((float)s)) s = 1.0;
        offset[j] = (float)a[j];
        scale[j] = (float)s;
    }
    return MLP_OK;
}

mlp_status mlp_preprocess_fit(mlp_preprocess *pre, const mlp_dataset *ds, mlp_scaling scaling)
{
    return mlp_preprocess_fit_ex(pre, ds, scaling, NULL);
}

mlp_status mlp_preprocess_fit_ex(mlp_preprocess *pre, const mlp_dataset *ds,
                                 mlp_scaling scaling, mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if (!ds) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ds is NULL");
    if ((unsigned)scaling >= MLP_SCALE_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "scaling is %d, not an mlp_scaling",
                        (int)scaling);
    if (mlp_dataset_input_size(ds) != pre->input_size)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "ds has %zu inputs per record, pre %zu",
                        mlp_dataset_input_size(ds), pre->input_size);
    if (scaling == MLP_SCALE_NONE) {
        set_identity(pre->offset, pre->scale, pre->input_size);
        pre->scaling = MLP_SCALE_NONE;
        return MLP_OK;
    }
    if (mlp_dataset_count(ds) == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ds has no records to fit the scaling on");
    size_t d = pre->input_size, nacc;
    if (!mlp_mul_size(d, 2 * sizeof(double), &nacc) || d > SIZE_MAX / 2)
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "%s", no_memory);
    /* Computed into scratch so that pre is unchanged on failure. */
    double *acc = mlp_mem_alloc(nacc);
    float *tmp = mlp_mem_alloc(2 * d * sizeof(float));
    if (!acc || !tmp) {
        mlp_mem_free(acc);
        mlp_mem_free(tmp);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "%s", no_memory);
    }
    mlp_status st = compute(ds, scaling, tmp, tmp + d, acc, detail);
    if (st == MLP_ERR_NO_MEMORY) mlp_fail(detail, st, "%s", no_memory);
    if (st == MLP_OK) {
        memcpy(pre->offset, tmp, d * sizeof(float));
        memcpy(pre->scale, tmp + d, d * sizeof(float));
        pre->scaling = scaling;
    }
    mlp_mem_free(acc);
    mlp_mem_free(tmp);
    return st;
}

mlp_status mlp_preprocess_apply(const mlp_preprocess *pre, mlp_dataset *ds)
{
    return mlp_preprocess_apply_ex(pre, ds, NULL);
}

mlp_status mlp_preprocess_apply_ex(const mlp_preprocess *pre, mlp_dataset *ds,
                                   mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if (!ds) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ds is NULL");
    if (mlp_dataset_input_size(ds) != pre->input_size)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "ds has %zu inputs per record, pre %zu",
                        mlp_dataset_input_size(ds), pre->input_size);
    return mlp_preprocess_apply_rows(pre, mlp_dataset_inputs(ds), mlp_dataset_count(ds),
                                     mlp_dataset_input_size(ds));
}

mlp_status mlp_preprocess_apply_rows(const mlp_preprocess *pre, float *rows, size_t count,
                                     size_t input_size)
{
    return mlp_preprocess_apply_rows_ex(pre, rows, count, input_size, NULL);
}

mlp_status mlp_preprocess_apply_rows_ex(const mlp_preprocess *pre, float *rows, size_t count,
                                        size_t input_size, mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if (!rows && count)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "rows is NULL but count is %zu", count);
    if (input_size != pre->input_size)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "input_size is %zu, pre scales %zu inputs",
                        input_size, pre->input_size);
    if (pre->scaling == MLP_SCALE_NONE) return MLP_OK;
    const float *off = pre->offset, *sc = pre->scale;
    for (size_t i = 0; i < count; i++) {
        float *row = rows + i * input_size;
        /* In double: x - offset spans up to 2 * FLT_MAX (a feature over +-3e38). */
        for (size_t j = 0; j < input_size; j++)
            row[j] = (float)(((double)row[j] - off[j]) * sc[j]);
    }
    return MLP_OK;
}

mlp_status mlp_preprocess_set_scaling(mlp_preprocess *pre, mlp_scaling scaling,
                                      const float *offset, const float *scale)
{
    return mlp_preprocess_set_scaling_ex(pre, scaling, offset, scale, NULL);
}

mlp_status mlp_preprocess_set_scaling_ex(mlp_preprocess *pre, mlp_scaling scaling,
                                         const float *offset, const float *scale,
                                         mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if ((unsigned)scaling >= MLP_SCALE_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "scaling is %d, not an mlp_scaling",
                        (int)scaling);
    if (scaling == MLP_SCALE_NONE) {
        set_identity(pre->offset, pre->scale, pre->input_size);
        pre->scaling = scaling;
        return MLP_OK;
    }
    if (!offset || !scale)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL: a scaling other than "
                        "MLP_SCALE_NONE needs both offset and scale", !offset ? "offset" : "scale");
    for (size_t j = 0; j < pre->input_size; j++)
        if (!mlp_is_finite(offset[j]) || !mlp_is_finite(scale[j]))
            return mlp_fail(detail, MLP_ERR_NON_FINITE, "%s[%zu] is NaN or infinite",
                            !mlp_is_finite(offset[j]) ? "offset" : "scale", j);
    if (offset != pre->offset) memmove(pre->offset, offset, pre->input_size * sizeof(float));
    if (scale != pre->scale) memmove(pre->scale, scale, pre->input_size * sizeof(float));
    pre->scaling = scaling;
    return MLP_OK;
}

mlp_scaling mlp_preprocess_scaling(const mlp_preprocess *pre)
{
    return pre ? pre->scaling : MLP_SCALE_NONE;
}
size_t mlp_preprocess_input_size(const mlp_preprocess *pre) { return pre ? pre->input_size : 0; }
const float *mlp_preprocess_offset(const mlp_preprocess *pre) { return pre ? pre->offset : NULL; }
const float *mlp_preprocess_scale(const mlp_preprocess *pre) { return pre ? pre->scale : NULL; }

mlp_status mlp_preprocess_set_label_info(mlp_preprocess *pre, mlp_task task,
                                         const char *label_name, long label_index,
                                         size_t class_count, const char *const *class_names)
{
    return mlp_preprocess_set_label_info_ex(pre, task, label_name, label_index, class_count,
                                            class_names, NULL);
}

mlp_status mlp_preprocess_set_label_info_ex(mlp_preprocess *pre, mlp_task task,
                                            const char *label_name, long label_index,
                                            size_t class_count,
                                            const char *const *class_names,
                                            mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if ((unsigned)task >= MLP_TASK_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "task is %d, not an mlp_task", (int)task);
    if (label_index < -1)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "label_index is %ld: a column index, or "
                        "-1 for none", label_index);
    char **names = NULL, *label = NULL;
    mlp_status st = copy_names(&names, class_names, class_count);
    if (st == MLP_ERR_NULL_ARG)
        return mlp_fail(detail, st, "class_names (or one of its %zu names) is NULL",
                        class_count);
    if (st != MLP_OK) return mlp_fail(detail, st, "no memory for %zu class names", class_count);
    if (label_name && !(label = mlp_mem_strdup(label_name))) {
        free_names(names, class_count);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for label_name");
    }
    mlp_mem_free(pre->label_name);
    free_names(pre->class_names, pre->class_count);
    pre->task = task;
    pre->label_name = label;
    pre->label_index = label_index;
    pre->class_names = names;
    pre->class_count = class_count;
    return MLP_OK;
}

mlp_status mlp_preprocess_set_labels(mlp_preprocess *pre, const mlp_dataset *ds, mlp_task task)
{
    return mlp_preprocess_set_labels_ex(pre, ds, task, NULL);
}

mlp_status mlp_preprocess_set_labels_ex(mlp_preprocess *pre, const mlp_dataset *ds,
                                        mlp_task task, mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    if (!ds) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ds is NULL");
    size_t n = mlp_dataset_class_count(ds);
    const char **names = NULL;
    if (n) {
        names = mlp_mem_alloc(n * sizeof *names);
        if (!names) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for %zu class names", n);
        for (size_t i = 0; i < n; i++) names[i] = mlp_dataset_class_name(ds, i);
    }
    mlp_status st = mlp_preprocess_set_label_info_ex(pre, task, mlp_dataset_label_name(ds),
                                                     mlp_dataset_label_index(ds), n, names,
                                                     detail);
    mlp_mem_free(names);
    return st;
}

mlp_task mlp_preprocess_task(const mlp_preprocess *pre)
{
    return pre ? pre->task : MLP_TASK_COUNT;
}
const char *mlp_preprocess_label_name(const mlp_preprocess *pre)
{
    return pre ? pre->label_name : NULL;
}
long mlp_preprocess_label_index(const mlp_preprocess *pre) { return pre ? pre->label_index : -1; }
size_t mlp_preprocess_class_count(const mlp_preprocess *pre)
{
    return pre ? pre->class_count : 0;
}
const char *mlp_preprocess_class_name(const mlp_preprocess *pre, size_t index)
{
    if (!pre || index >= pre->class_count) return NULL;
    return pre->class_names[index];
}

mlp_status mlp_preprocess_set_encoding(mlp_preprocess *pre, const mlp_table_encoding *enc)
{
    return mlp_preprocess_set_encoding_ex(pre, enc, NULL);
}

mlp_status mlp_preprocess_set_encoding_ex(mlp_preprocess *pre, const mlp_table_encoding *enc,
                                          mlp_error_detail *detail)
{
    if (!pre) return mlp_fail(detail, MLP_ERR_NULL_ARG, "pre is NULL");
    mlp_table_encoding *copy = NULL;
    if (enc && mlp_table_encoding_input_size(enc) != pre->input_size)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "enc makes %zu inputs, pre scales %zu",
                        mlp_table_encoding_input_size(enc), pre->input_size);
    if (enc) {
        mlp_status st = mlp_table_encoding_clone_ex(&copy, enc, detail);
        if (st != MLP_OK) return st;
    }
    mlp_table_encoding_free(pre->encoding);
    pre->encoding = copy;
    return MLP_OK;
}

const mlp_table_encoding *mlp_preprocess_encoding(const mlp_preprocess *pre)
{
    return pre ? pre->encoding : NULL;
}

/* The cache's file keeps the plain setter; its two checks are made here first, in words. */
mlp_status mlp_csv_cache_set_preprocess_ex(mlp_csv_cache *cache, const mlp_preprocess *pre,
                                           mlp_error_detail *detail)
{
    if (!cache) return mlp_fail(detail, MLP_ERR_NULL_ARG, "cache is NULL");
    if (pre && pre->input_size != mlp_csv_cache_input_size(cache))
        return mlp_fail(detail, MLP_ERR_DIMENSION, "pre scales %zu inputs, the cache's records "
                        "have %zu", pre->input_size, mlp_csv_cache_input_size(cache));
    return mlp_csv_cache_set_preprocess(cache, pre);
}
