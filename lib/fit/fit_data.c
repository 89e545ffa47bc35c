/* The parts a fit trains on: the caller's data set (or table) split into training and
 * validation parts, copies the fit may scale in place. Tables are split before the
 * encoding is fitted, so that it sees the training part only. */
#include "fit/fit_internal.h"

#include <string.h>

/* A copy of ds in its order (a split of 0 would permute it). */
static mlp_status copy_dataset(const mlp_dataset *ds, mlp_dataset **out)
{
    size_t n = mlp_dataset_count(ds), in = mlp_dataset_input_size(ds);
    size_t k = mlp_dataset_target_size(ds), classes = mlp_dataset_class_count(ds);
    mlp_dataset *d = NULL;
    const char **names = classes ? mlp_mem_alloc(classes * sizeof *names) : NULL;
    mlp_status st = classes && !names ? MLP_ERR_NO_MEMORY : mlp_dataset_create(&d, n, in, k);
    for (size_t i = 0; st == MLP_OK && i < classes; i++) names[i] = mlp_dataset_class_name(ds, i);
    if (st == MLP_OK) st = mlp_dataset_set_class_names(d, names, classes);
    if (st == MLP_OK)
        st = mlp_dataset_set_label_column(d, mlp_dataset_label_name(ds),
                                          mlp_dataset_label_index(ds));
    mlp_mem_free(names);
    if (st != MLP_OK) {
        mlp_dataset_free(d);
        return st;
    }
    memcpy(mlp_dataset_inputs(d), mlp_dataset_inputs_const(ds), n * in * sizeof(float));
    if (k) memcpy(mlp_dataset_targets(d), mlp_dataset_targets_const(ds), n * k * sizeof(float));
    *out = d;
    return MLP_OK;
}

static mlp_status check_split(const fit_plan *p, size_t records, mlp_error_detail *detail)
{
    if (p->val_fraction > 0 && records < 2)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "config->val_fraction is %g: %zu "
                        "record%s cannot be split", p->val_fraction, records,
                        records == 1 ? "" : "s");
    return MLP_OK;
}

mlp_status fit_dataset_prepare(const mlp_fit_config *c, fit_plan *plan,
                               const mlp_dataset *train, fit_data *d, mlp_error_detail *detail)
{
    memset(d, 0, sizeof *d);
    d->task = MLP_TASK_COUNT;
    d->records = mlp_dataset_count(train);
    if (d->records == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "train: the data set has no records");
    mlp_status st = check_split(plan, d->records, detail);
    if (st != MLP_OK) return st;
    if (plan->val_fraction > 0)
        st = mlp_dataset_split(train, (float)plan->val_fraction, c->model.seed, &d->train,
                               &d->val);
    else
        st = copy_dataset(train, &d->train);
    if (st == MLP_OK && c->test) {
        if (mlp_dataset_input_size(c->test) != mlp_dataset_input_size(train) ||
            mlp_dataset_target_size(c->test) != mlp_dataset_target_size(train))
            st = mlp_fail(detail, MLP_ERR_DIMENSION, "config->test has %zu inputs and %zu "
                          "targets, the training data %zu and %zu",
                          mlp_dataset_input_size(c->test), mlp_dataset_target_size(c->test),
                          mlp_dataset_input_size(train), mlp_dataset_target_size(train));
        else if (mlp_dataset_count(c->test) > 0)
            st = copy_dataset(c->test, &d->test);
    }
    if (st != MLP_OK) fit_data_free(d);
    return st;
}

static mlp_status encode(const mlp_table_encoding *enc, const mlp_table *t, const char *name,
                         mlp_dataset **out, mlp_table_report *rep, mlp_error_detail *detail)
{
    mlp_table_report_ex ex = {.struct_size = sizeof ex};
    mlp_status st = mlp_table_encode_ex(enc, t, true, out, &ex, detail);
    if (st == MLP_OK && rep) /* rows of an unseen class are left out like unlabelled ones */
        *rep = (mlp_table_report){ex.rows_read, ex.rows_dropped + ex.unseen_classes,
                                  ex.missing_cells, ex.unseen_categories};
    if (st == MLP_OK && mlp_dataset_count(*out) == 0) {
        mlp_dataset_free(*out);
        *out = NULL;
        if (ex.unseen_classes)
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s: no record with a class the "
                            "encoding knows (first '%s' on line %zu)", name, ex.unseen_class,
                            ex.unseen_line);
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "%s: no record left (every label cell "
                        "missing)", name);
    }
    return st;
}

mlp_status fit_table_prepare(const mlp_fit_config *c, fit_plan *plan, const mlp_table *train,
                             const mlp_table_encoding *enc, mlp_table_encoding **fitted,
                             fit_data *d, mlp_fit_report *r, mlp_error_detail *detail)
{
    memset(d, 0, sizeof *d);
    d->records = mlp_table_row_count(train);
    if (d->records == 0)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "train: the table has no rows");
    mlp_status st = check_split(plan, d->records, detail);
    mlp_table *fit_part = NULL, *val_part = NULL;
    if (st == MLP_OK && plan->val_fraction > 0)
        st = mlp_table_split(train, (float)plan->val_fraction, c->model.seed, &fit_part,
                             &val_part);
    const mlp_table *on = fit_part ? fit_part : train;
    if (st == MLP_OK && !enc) {
        mlp_table_fit_options o = mlp_table_fit_options_default();
        o.label = c->table.label;
        o.task = c->table.task;
        o.ignore = c->table.ignore;
        o.categorical = c->table.categorical;
        o.numeric = c->table.numeric;
        o.missing = c->table.missing;
        o.date = c->table_date;
        o.max_categories = c->table_max_categories;
        st = mlp_table_encoding_fit_ex(fitted, on, &o, detail);
        enc = st == MLP_OK ? *fitted : NULL;
    }
    if (st == MLP_OK) st = encode(enc, on, "train", &d->train, &r->table_reports[0], detail);
    if (st == MLP_OK && val_part)
        st = encode(enc, val_part, "the validation split", &d->val, &r->table_reports[1], detail);
    if (st == MLP_OK && c->test_table && mlp_table_row_count(c->test_table) > 0)
        st = encode(enc, c->test_table, "config->test_table", &d->test, &r->table_reports[2],
                    detail);
    mlp_table_free(fit_part);
    mlp_table_free(val_part);
    if (st != MLP_OK) {
        fit_data_free(d);
        return st;
    }
    d->enc = enc;
    r->encoding = enc; /* the fit's until the model holds its copy */
    d->task = mlp_table_encoding_task(enc);
    return MLP_OK;
}

void fit_data_free(fit_data *d)
{
    mlp_dataset_free(d->train);
    mlp_dataset_free(d->val);
    mlp_dataset_free(d->test);
    memset(d, 0, sizeof *d);
}
