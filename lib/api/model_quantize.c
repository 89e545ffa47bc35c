/* mlp_model_quantize: the model's preprocessing applied to a copy of the calibration
 * records, then mlp_net_quantize on its net. */
#include "api/model_handle.h"

#include <string.h>

mlp_status mlp_model_quantize(mlp_model *model, const mlp_dataset *calibration,
                              const mlp_quantize_config *config, mlp_error_detail *detail)
{
    if (!model) return mlp_fail(detail, MLP_ERR_NULL_ARG, "model is NULL");
    mlp_quantize_config cfg = mlp_quantize_config_default();
    if (config) {
        mlp_status st = mlp_read_config(&cfg, sizeof cfg, config,
                                        offsetof(mlp_quantize_config, calibration_rows) +
                                            sizeof(size_t),
                                        "config", "mlp_quantize_config", detail);
        if (st != MLP_OK) return st;
    }
    if (!calibration) { /* nothing to measure the activations on: per-record scales */
        cfg.mode = MLP_QUANTIZE_DYNAMIC;
        return mlp_net_quantize(model->net, NULL, 0, &cfg, detail);
    }
    const size_t n0 = mlp_net_input_size(model->net);
    if (mlp_dataset_input_size(calibration) != n0)
        return mlp_fail(detail, MLP_ERR_DIMENSION, "calibration has %zu inputs, the model %zu",
                        mlp_dataset_input_size(calibration), n0);
    size_t rows = mlp_dataset_count(calibration);
    if (cfg.calibration_rows && rows > cfg.calibration_rows) rows = cfg.calibration_rows;
    float *x = mlp_mem_alloc((rows ? rows : 1) * n0 * sizeof *x);
    if (!x) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the scaled calibration");
    memcpy(x, mlp_dataset_inputs_const(calibration), rows * n0 * sizeof *x);
    mlp_status st = mlp_preprocess_apply_rows(model->pre, x, rows, n0);
    if (st == MLP_OK) st = mlp_net_quantize(model->net, x, rows, &cfg, detail);
    else mlp_fail(detail, st, "calibration: scaling: %s", mlp_strerror(st));
    mlp_mem_free(x);
    return st;
}
