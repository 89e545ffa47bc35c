/* The ONNX calls in a build without protobuf-c (meson option onnx): each one says so. */
#include "mlp_internal.h"

#include <stdio.h>

mlp_status mlp_onnx_supported(mlp_error_detail *detail)
{
    if (detail) {
        detail->line = detail->column = 0;
        snprintf(detail->message, sizeof detail->message,
                 "onnx: this libmlp was built without protobuf-c (meson option onnx)");
    }
    return MLP_ERR_UNSUPPORTED;
}

mlp_status mlp_model_import_onnx(mlp_model **out, const char *path, mlp_error_detail *detail)
{
    (void)out, (void)path;
    return mlp_onnx_supported(detail);
}

mlp_status mlp_model_import_onnx_mem(mlp_model **out, const void *data, size_t size,
                                     mlp_error_detail *detail)
{
    (void)out, (void)data, (void)size;
    return mlp_onnx_supported(detail);
}

mlp_status mlp_model_export_onnx(const mlp_model *model, const char *path,
                                 mlp_error_detail *detail)
{
    (void)model, (void)path;
    return mlp_onnx_supported(detail);
}

mlp_status mlp_model_export_onnx_mem(const mlp_model *model, void **data, size_t *size,
                                     mlp_error_detail *detail)
{
    (void)model, (void)data, (void)size;
    return mlp_onnx_supported(detail);
}
