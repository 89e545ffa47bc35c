/* The model handle on raw tables: the table encoding fitted in training, kept in the
 * model's preprocessing, turns text rows into the records mlp_model_predict takes; a model
 * without one reads the columns as numbers, leaving out its label column when present. */
#include "api/model_handle.h"
#include "data/table_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

mlp_status mlp_model_set_encoding(mlp_model *model, const mlp_table_encoding *enc)
{
    return mlp_model_set_encoding_ex(model, enc, NULL);
}

mlp_status mlp_model_set_encoding_ex(mlp_model *model, const mlp_table_encoding *enc,
                                     mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (enc && mlp_table_encoding_input_size(enc) != mlp_net_input_size(model->net))
        return mlp_fail(detail, MLP_ERR_DIMENSION, "enc makes %zu inputs, the model takes %zu",
                        mlp_table_encoding_input_size(enc), mlp_net_input_size(model->net));
    if (enc) { /* an encoding that does not fit the net would be saved, then refused */
        char why[200];
        if (mlp_model_sections_agree(model->net, model->pre, enc, why, sizeof why) != MLP_OK)
            return mlp_fail(detail, MLP_ERR_INVALID_ARG, "enc does not fit the model: %s", why);
    }
    mlp_status st = mlp_preprocess_set_encoding(model->pre, enc);
    if (st != MLP_OK) return mlp_fail(detail, st, "no memory for the copy of enc");
    return MLP_OK;
}

/* label as a 0-based index when it is only digits, else -1 (a header name). */
static long label_as_index(const char *label)
{
    size_t n = strlen(label);
    if (n == 0 || n > 9) return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)label[i])) return -1;
    return strtol(label, NULL, 10);
}

/* The column of t named name, or -1. */
static long column_named(const mlp_table *t, const char *name)
{
    for (size_t j = 0; t->names && j < t->cols; j++)
        if (strcmp(t->names[j], name) == 0) return (long)j;
    return -1;
}

/* The column a table of n_0 + 1 columns holds the label in (see mlp_model_table_inputs). */
static mlp_status label_column(const mlp_model *m, const mlp_table *t, const char *label,
                               long *col, mlp_error_detail *d)
{
    const char *name = label ? label : mlp_preprocess_label_name(m->pre);
    long index = label ? label_as_index(label) : mlp_preprocess_label_index(m->pre);
    if (label && index < 0) { /* by name: the table needs a header */
        if (!t->names)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "label '%s': the table has no header row "
                            "to find it in", label);
        if ((*col = column_named(t, label)) < 0)
            return mlp_fail(d, MLP_ERR_INVALID_ARG, "label: the table has no column named "
                            "'%s'", label);
        return MLP_OK;
    }
    if (!label && name && (*col = column_named(t, name)) >= 0) return MLP_OK;
    if (index >= (long)t->cols)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "label column %ld is not in the table (%zu "
                        "columns, counted from 0)", index, t->cols);
    *col = index >= 0 ? index : (long)t->cols - 1;
    return MLP_OK;
}

/* Cells as numbers, row by row, skipping column skip (-1: none). */
static mlp_status fill_numbers(const mlp_table *t, long skip, float *x, mlp_error_detail *d)
{
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            if ((long)j == skip) continue;
            const char *s = "";
            double v;
            if (!mlp_table_get(t, i, j, &v, &s) && !mlp_table_parse_number(s, &v))
                return mlp_data_error(d, MLP_ERR_PARSE, t->line[i], j + 1,
                                      "%s:%zu: column %zu%s%.60s%s: '%.60s' is not a finite "
                                      "number", t->source ? t->source : "table", t->line[i],
                                      j, t->names ? " '" : "", t->names ? t->names[j] : "",
                                      t->names ? "'" : "", s);
            *x++ = (float)v;
        }
    return MLP_OK;
}

/* A model without a table encoding: every column a number, the label column left out. */
static mlp_status numeric_inputs(const mlp_model *m, const mlp_table *t, const char *label,
                                 mlp_dataset **out, mlp_error_detail *d)
{
    size_t in = mlp_net_input_size(m->net);
    long skip = -1;
    if (t->cols != in && t->cols != in + 1)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "the table has %zu columns, but the model "
                        "takes %zu inputs (or %zu columns with the label column)", t->cols, in,
                        in + 1);
    if (t->cols == in + 1) {
        mlp_status st = label_column(m, t, label, &skip, d);
        if (st != MLP_OK) return st;
    }
    mlp_dataset *ds = NULL;
    mlp_status st = mlp_dataset_create(&ds, t->rows, in, 0);
    if (st != MLP_OK) return mlp_fail(d, st, "no memory for %zu records", t->rows);
    st = fill_numbers(t, skip, mlp_dataset_inputs(ds), d);
    if (st != MLP_OK) {
        mlp_dataset_free(ds);
        return st;
    }
    *out = ds;
    return MLP_OK;
}

mlp_status mlp_model_table_inputs_ex(const mlp_model *model, const mlp_table *table,
                                     const char *label, mlp_dataset **out,
                                     mlp_table_report_ex *report, mlp_error_detail *detail)
{
    if (report && report->struct_size != sizeof *report)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "report: struct_size %zu is not "
                        "sizeof(mlp_table_report_ex)", report->struct_size);
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (!table) return mlp_fail(detail, MLP_ERR_NULL_ARG, "table is NULL");
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (table->rows == 0) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "the table has no rows");
    const mlp_table_encoding *enc = mlp_preprocess_encoding(model->pre);
    if (enc) return mlp_table_encode_ex(enc, table, false, out, report, detail);
    if (report) *report = (mlp_table_report_ex){.struct_size = sizeof *report,
                                                .rows_read = table->rows};
    return numeric_inputs(model, table, label, out, detail);
}

mlp_status mlp_model_table_inputs(const mlp_model *model, const mlp_table *table,
                                  const char *label, mlp_dataset **out,
                                  mlp_table_report *report, mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    if (!table) return mlp_fail(detail, MLP_ERR_NULL_ARG, "table is NULL");
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (table->rows == 0) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "the table has no rows");
    const mlp_table_encoding *enc = mlp_preprocess_encoding(model->pre);
    if (enc) return mlp_table_encode_inputs(enc, table, out, report, detail);
    if (report) *report = (mlp_table_report){.rows_read = table->rows};
    return numeric_inputs(model, table, label, out, detail);
}

mlp_status mlp_model_predict_table(const mlp_model *model, const mlp_table *table, float *out,
                                   mlp_table_report *report, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    mlp_dataset *ds = NULL;
    mlp_status st = mlp_model_table_inputs(model, table, NULL, &ds, report, detail);
    if (st != MLP_OK) return st;
    st = mlp_model_predict_ex(model, mlp_dataset_inputs_const(ds), mlp_dataset_count(ds), out,
                              detail);
    mlp_dataset_free(ds);
    return st;
}
