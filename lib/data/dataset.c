/* Data sets: records as contiguous rows, class names and label column; seeded split. */
#include "mlp_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mlp_dataset {
    size_t count;
    size_t input_size;
    size_t target_size;
    float *inputs;       /* count x input_size; never NULL (1 float when empty) */
    float *targets;      /* count x target_size; never NULL */
    char **class_names;  /* class_count strings, or NULL */
    size_t class_count;
    char *label_name;    /* header text of the label column, or NULL */
    long label_index;    /* 0-based label column, -1 when none */
};

static void free_names(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) mlp_mem_free(names[i]);
    mlp_mem_free(names);
}

mlp_status mlp_dataset_create(mlp_dataset **out, size_t count, size_t input_size,
                              size_t target_size)
{
    return mlp_dataset_create_ex(out, count, input_size, target_size, NULL);
}

mlp_status mlp_dataset_create_ex(mlp_dataset **out, size_t count, size_t input_size,
                                 size_t target_size, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (input_size == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "input_size is 0: a record needs 1 input "
                        "or more");
    size_t n_in, n_tg, b_in, b_tg;
    if (!mlp_mul_size(count, input_size, &n_in) || !mlp_mul_size(count, target_size, &n_tg) ||
        !mlp_mul_size(n_in, sizeof(float), &b_in) || !mlp_mul_size(n_tg, sizeof(float), &b_tg))
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "%zu records of %zu inputs and %zu targets "
                        "do not fit in memory", count, input_size, target_size);
    mlp_dataset *ds = mlp_mem_calloc(1, sizeof *ds);
    if (!ds) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the data set");
    /* At least one float each, so that the row pointers are never NULL. */
    ds->inputs = mlp_mem_calloc(n_in ? n_in : 1, sizeof(float));
    ds->targets = mlp_mem_calloc(n_tg ? n_tg : 1, sizeof(float));
    if (!ds->inputs || !ds->targets) {
        mlp_mem_free(ds->inputs);
        mlp_mem_free(ds->targets);
        mlp_mem_free(ds);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for %zu records of %zu inputs "
                        "and %zu targets", count, input_size, target_size);
    }
    ds->count = count;
    ds->input_size = input_size;
    ds->target_size = target_size;
    ds->label_index = -1;
    *out = ds;
    return MLP_OK;
}

mlp_status mlp_dataset_reset_targets(mlp_dataset *ds, size_t target_size)
{
    size_t n;
    if (!mlp_mul_size(ds->count ? ds->count : 1, target_size ? target_size : 1, &n))
        return MLP_ERR_NO_MEMORY;
    float *t = mlp_mem_calloc(n, sizeof *t);
    if (!t) return MLP_ERR_NO_MEMORY;
    mlp_mem_free(ds->targets);
    ds->targets = t;
    ds->target_size = target_size;
    return MLP_OK;
}

void mlp_dataset_free(mlp_dataset *ds)
{
    if (!ds) return;
    mlp_mem_free(ds->inputs);
    mlp_mem_free(ds->targets);
    free_names(ds->class_names, ds->class_count);
    mlp_mem_free(ds->label_name);
    mlp_mem_free(ds);
}

size_t mlp_dataset_count(const mlp_dataset *ds) { return ds ? ds->count : 0; }
size_t mlp_dataset_input_size(const mlp_dataset *ds) { return ds ? ds->input_size : 0; }
size_t mlp_dataset_target_size(const mlp_dataset *ds) { return ds ? ds->target_size : 0; }
float *mlp_dataset_inputs(mlp_dataset *ds) { return ds ? ds->inputs : NULL; }
float *mlp_dataset_targets(mlp_dataset *ds) { return ds ? ds->targets : NULL; }
const float *mlp_dataset_inputs_const(const mlp_dataset *ds) { return ds ? ds->inputs : NULL; }
const float *mlp_dataset_targets_const(const mlp_dataset *ds) { return ds ? ds->targets : NULL; }
size_t mlp_dataset_class_count(const mlp_dataset *ds) { return ds ? ds->class_count : 0; }

const char *mlp_dataset_class_name(const mlp_dataset *ds, size_t index)
{
    if (!ds || index >= ds->class_count) return NULL;
    return ds->class_names[index];
}

const char *mlp_dataset_label_name(const mlp_dataset *ds) { return ds ? ds->label_name : NULL; }
long mlp_dataset_label_index(const mlp_dataset *ds) { return ds ? ds->label_index : -1; }

mlp_status mlp_dataset_set_class_names(mlp_dataset *ds, const char *const *names, size_t n)
{
    if (!ds || (n && !names)) return MLP_ERR_NULL_ARG;
    char **copy = NULL;
    if (n) {
        copy = mlp_mem_calloc(n, sizeof *copy);
        if (!copy) return MLP_ERR_NO_MEMORY;
        for (size_t i = 0; i < n; i++) {
            if (!names[i]) {
                free_names(copy, n);
                return MLP_ERR_NULL_ARG;
            }
            if (!(copy[i] = mlp_mem_strdup(names[i]))) {
                free_names(copy, n);
                return MLP_ERR_NO_MEMORY;
            }
        }
    }
    free_names(ds->class_names, ds->class_count);
    ds->class_names = copy;
    ds->class_count = n;
    return MLP_OK;
}

mlp_status mlp_dataset_set_label_column(mlp_dataset *ds, const char *name, long index)
{
    if (!ds) return MLP_ERR_NULL_ARG;
    if (index < -1) return MLP_ERR_INVALID_ARG;
    char *copy = NULL;
    if (name && !(copy = mlp_mem_strdup(name))) return MLP_ERR_NO_MEMORY;
    mlp_mem_free(ds->label_name);
    ds->label_name = copy;
    ds->label_index = index;
    return MLP_OK;
}

/* A new data set with ds's shape and labels, holding the records sel[0..n) of ds. */
static mlp_status subset(const mlp_dataset *ds, const size_t *sel, size_t n, mlp_dataset **out)
{
    mlp_dataset *d = NULL;
    mlp_status st = mlp_dataset_create(&d, n, ds->input_size, ds->target_size);
    if (st == MLP_OK)
        st = mlp_dataset_set_class_names(d, (const char *const *)ds->class_names,
                                         ds->class_count);
    if (st == MLP_OK) st = mlp_dataset_set_label_column(d, ds->label_name, ds->label_index);
    if (st != MLP_OK) {
        mlp_dataset_free(d);
        return st;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(d->inputs + i * ds->input_size, ds->inputs + sel[i] * ds->input_size,
               ds->input_size * sizeof(float));
        if (ds->target_size)
            memcpy(d->targets + i * ds->target_size, ds->targets + sel[i] * ds->target_size,
                   ds->target_size * sizeof(float));
    }
    *out = d;
    return MLP_OK;
}

mlp_status mlp_split_indices(size_t n, float val_fraction, uint64_t seed, size_t **out,
                             size_t *n_val_out, const char *what, mlp_error_detail *detail)
{
    if (!(val_fraction >= 0.0f && val_fraction < 1.0f))
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "val_fraction is %g, outside [0, 1)",
                        (double)val_fraction);
    size_t n_val = (size_t)floor((double)val_fraction * (double)n + 0.5);
    if (val_fraction > 0.0f) {
        /* Both parts non-empty: needs two records at least. */
        if (n < 2)
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "val_fraction is %g but %s has %zu "
                            "record%s: a split needs 2 or more", (double)val_fraction, what, n,
                            n == 1 ? "" : "s");
        if (n_val == 0) n_val = 1;
        if (n_val >= n) n_val = n - 1;
    }
    size_t *idx = mlp_mem_alloc((n ? n : 1) * sizeof *idx);
    unsigned char *in_val = mlp_mem_calloc(n ? n : 1, 1);
    if (!idx || !in_val) {
        mlp_mem_free(idx);
        mlp_mem_free(in_val);
        return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory to split %zu records", n);
    }
    /* The first n_val of a seeded permutation go to val; both parts keep file order. */
    for (size_t i = 0; i < n; i++) idx[i] = i;
    mlp_rng rng;
    mlp_rng_seed(&rng, seed);
    mlp_rng_shuffle(&rng, idx, n);
    for (size_t i = 0; i < n_val; i++) in_val[idx[i]] = 1;
    size_t nv = 0, nt = n_val;
    for (size_t i = 0; i < n; i++) {
        if (in_val[i])
            idx[nv++] = i;
        else
            idx[nt++] = i; /* training indices after the n_val validation ones */
    }
    mlp_mem_free(in_val);
    *out = idx;
    *n_val_out = n_val;
    return MLP_OK;
}

mlp_status mlp_dataset_split(const mlp_dataset *ds, float val_fraction, uint64_t seed,
                             mlp_dataset **train, mlp_dataset **val)
{
    return mlp_dataset_split_ex(ds, val_fraction, seed, train, val, NULL);
}

mlp_status mlp_dataset_split_ex(const mlp_dataset *ds, float val_fraction, uint64_t seed,
                                mlp_dataset **train, mlp_dataset **val,
                                mlp_error_detail *detail)
{
    if (!ds || !train || !val)
        return mlp_fail(detail, MLP_ERR_NULL_ARG, "%s is NULL",
                        !ds ? "ds" : !train ? "train" : "val");
    size_t *idx, nv;
    mlp_status st = mlp_split_indices(ds->count, val_fraction, seed, &idx, &nv, "ds", detail);
    if (st != MLP_OK) return st;
    mlp_dataset *t = NULL, *v = NULL;
    st = subset(ds, idx + nv, ds->count - nv, &t);
    if (st == MLP_OK) st = subset(ds, idx, nv, &v);
    mlp_mem_free(idx);
    if (st != MLP_OK) {
        mlp_dataset_free(t);
        return mlp_fail(detail, st, "no memory for the two parts of ds (%zu records)",
                        ds->count);
    }
    *train = t;
    *val = v;
    return MLP_OK;
}

mlp_status mlp_dataset_set_classes(mlp_dataset *ds, size_t count, const char *const *names,
                                   mlp_error_detail *detail)
{
    if (!ds) return mlp_fail(detail, MLP_ERR_NULL_ARG, "ds is NULL");
    if (count && !names) return mlp_fail(detail, MLP_ERR_NULL_ARG, "names is NULL");
    for (size_t i = 0; i < count; i++)
        if (!names[i]) return mlp_fail(detail, MLP_ERR_NULL_ARG, "names[%zu] is NULL", i);
    if (count && ds->target_size < 2)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "ds has %zu target column(s): one-hot "
                        "classes need 2 or more", ds->target_size);
    if (count && count != ds->target_size)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "count is %zu but ds's targets are one-hot "
                        "over %zu classes (its target size)", count, ds->target_size);
    mlp_status st = mlp_dataset_set_class_names(ds, names, count);
    if (st != MLP_OK) return mlp_fail(detail, st, "no memory for the class names");
    return MLP_OK;
}

/* "0", "1", ...: the names IDX labels get. */
static char **index_names(size_t n)
{
    char **names = mlp_mem_calloc(n, sizeof *names);
    for (size_t i = 0; names && i < n; i++) {
        char buf[24];
        snprintf(buf, sizeof buf, "%zu", i);
        if (!(names[i] = mlp_mem_strdup(buf))) {
            free_names(names, n);
            return NULL;
        }
    }
    return names;
}

static mlp_status check_labels(size_t count, size_t input_size, const size_t *labels,
                               size_t class_count, mlp_error_detail *d)
{
    if (count == 0) return mlp_fail(d, MLP_ERR_INVALID_ARG, "count is 0: no records");
    if (input_size == 0) return mlp_fail(d, MLP_ERR_INVALID_ARG, "input_size is 0");
    if (class_count < 2)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "class_count is %zu: classification needs 2 "
                        "classes or more", class_count);
    for (size_t i = 0; i < count; i++)
        if (labels[i] >= class_count)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "labels[%zu] is %zu, not below class_count "
                            "(%zu)", i, labels[i], class_count);
    return MLP_OK;
}

mlp_status mlp_dataset_create_classes(mlp_dataset **out, size_t count, size_t input_size,
                                      const float *inputs, const size_t *labels,
                                      size_t class_count, const char *const *class_names,
                                      mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!labels) return mlp_fail(detail, MLP_ERR_NULL_ARG, "labels is NULL");
    mlp_status st = check_labels(count, input_size, labels, class_count, detail);
    if (st != MLP_OK) return st;
    mlp_dataset *ds = NULL;
    char **made = class_names ? NULL : index_names(class_count);
    if (!class_names && !made) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory");
    st = mlp_dataset_create(&ds, count, input_size, class_count);
    if (st != MLP_OK) mlp_fail(detail, st, "no memory for %zu records", count);
    if (st == MLP_OK)
        st = mlp_dataset_set_classes(ds, class_count,
                                     class_names ? class_names : (const char *const *)made,
                                     detail);
    free_names(made, class_count);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return st;
    }
    if (inputs) memcpy(ds->inputs, inputs, count * input_size * sizeof(float));
    for (size_t i = 0; i < count; i++) ds->targets[i * class_count + labels[i]] = 1.0f;
    *out = ds;
    return MLP_OK;
}
