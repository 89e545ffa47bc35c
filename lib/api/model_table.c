/* The model handle on raw tables: the table encoding fitted in training, kept in the
 * model's preprocessing, turns text rows into the records mlp_model_predict takes. */
#include "model_handle.h"

#include <stdlib.h>
#include <string.h>

mlp_status mlp_model_set_encoding(mlp_model *model, const mlp_table_encoding *enc)
{
    if (!model) return MLP_ERR_NULL_ARG;
    if (enc && mlp_table_encoding_input_size(enc) != mlp_net_input_size(model->net))
        return MLP_ERR_DIMENSION;
    /* An encoding that does not fit the net would be saved, then refused on load. */
    if (enc) {
        mlp_status st = mlp_model_sections_agree(model->net, model->pre, enc, NULL, 0);
        if (st != MLP_OK) return st;
    }
    return mlp_preprocess_set_encoding(model->pre, enc);
}

mlp_status mlp_model_predict_table(const mlp_model *model, const mlp_table *table, float *out,
                                   mlp_table_report *report, mlp_error_detail *detail)
{
    if (!model || !table || !out)
        return mlp_data_error(detail, MLP_ERR_NULL_ARG, 0, 0, "NULL argument");
    const mlp_table_encoding *enc = mlp_preprocess_encoding(model->pre);
    if (!enc)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0,
                              "the model has no table encoding (it was not trained on a table)");
    if (mlp_table_row_count(table) == 0)
        return mlp_data_error(detail, MLP_ERR_INVALID_ARG, 0, 0, "the table has no rows");
    mlp_dataset *ds = NULL;
    mlp_status st = mlp_table_encode_inputs(enc, table, &ds, report, detail);
    if (st != MLP_OK) return st;
    st = mlp_model_predict(model, mlp_dataset_inputs_const(ds), mlp_dataset_count(ds), out);
    if (st != MLP_OK) mlp_data_error(detail, st, 0, 0, "%s", mlp_strerror(st));
    mlp_dataset_free(ds);
    return st;
}
