/* Status words, version, and OpenBLAS's thread setting. */
#include "mlp_internal.h"

#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_words[MLP_STATUS_COUNT] = {
    [MLP_OK] = "success",
    [MLP_ERR_NULL_ARG] = "a required pointer argument is NULL",
    [MLP_ERR_INVALID_ARG] = "an argument is out of range (zero size or unknown value)",
    [MLP_ERR_DIMENSION] = "dimensions do not agree",
    [MLP_ERR_SOFTMAX_HIDDEN] = "softmax is only allowed on the output layer",
    [MLP_ERR_NON_FINITE] = "a hyper-parameter or data value is NaN or infinite",
    [MLP_ERR_NO_MEMORY] = "out of memory",
    [MLP_ERR_BATCH_TOO_LARGE] = "batch is larger than the workspace was created for",
    [MLP_ERR_WORKSPACE_MISMATCH] = "workspace or optimizer belongs to a net of another topology",
    [MLP_ERR_NUMERICAL] = "a linear-algebra routine failed (singular or not positive definite)",
    [MLP_ERR_IO] = "a file could not be opened, read or written",
    [MLP_ERR_FORMAT] = "the file is not in the expected format",
    [MLP_ERR_TRUNCATED] = "the file is truncated",
    [MLP_ERR_CHECKSUM] = "checksum mismatch: the file is corrupted",
    [MLP_ERR_VERSION] = "the file was written by a newer format version",
    [MLP_ERR_PARSE] = "malformed text input",
    [MLP_ERR_DIVERGED] = "training diverged: a loss or parameter became NaN or infinite",
    [MLP_ERR_STATE] = "the call is not allowed in the library's current state",
    [MLP_ERR_UNSUPPORTED] = "not supported by this build or this CPU (bf16 needs oneDNN and a CPU with AVX512_BF16)",
};

const char *mlp_strerror(mlp_status status)
{
    if ((unsigned)status >= MLP_STATUS_COUNT) return "unknown status code";
    return status_words[status];
}

mlp_status mlp_data_error(mlp_error_detail *detail, mlp_status status, size_t line,
                          size_t column, const char *fmt, ...)
{
    if (detail) {
        detail->line = line;
        detail->column = column;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail->message, sizeof detail->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

mlp_status mlp_read_config(void *out, size_t size, const void *in, size_t min_size,
                           const char *name, const char *type, mlp_error_detail *detail)
{
    size_t given;
    memcpy(&given, in, sizeof given); /* struct_size, every config struct's first member */
    if (given < min_size)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG,
                        "%s->struct_size is %zu, less than any %s (%zu bytes or more): take "
                        "the struct from its _default() call, or set struct_size = sizeof(%s)",
                        name, given, type, min_size, type);
    if (given > size)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG,
                        "%s->struct_size is %zu, more than this libmlp's %s (%zu bytes): the "
                        "program was compiled against a newer mlp.h than the library it runs "
                        "with", name, given, type, size);
    memcpy(out, in, given); /* fields the caller's header did not have keep out's defaults */
    memcpy(out, &size, sizeof size);
    return MLP_OK;
}

void mlp_errno_text(int err, char *buf, size_t len)
{
    if (strerror_r(err, buf, len) != 0) snprintf(buf, len, "error %d", err);
}

const char *mlp_version(void)
{
    return MLP_VERSION_STRING;
}

int mlp_version_number(void)
{
    return MLP_VERSION_NUMBER;
}

mlp_status mlp_set_threads(int n)
{
    return mlp_set_threads_ex(n, NULL);
}

mlp_status mlp_set_threads_ex(int n, mlp_error_detail *detail)
{
    if (n < 1)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "n is %d: OpenBLAS needs 1 thread or more",
                        n);
#ifdef OPENBLAS_VERSION
    openblas_set_num_threads(n);
#endif
    return MLP_OK;
}

int mlp_threads(void)
{
#ifdef OPENBLAS_VERSION
    return openblas_get_num_threads();
#else
    return 1;
#endif
}
