/* Status words, version, and OpenBLAS's thread setting. */
#include "mlp_internal.h"

#include <cblas.h>
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
    if (n < 1) return MLP_ERR_INVALID_ARG;
#ifdef OPENBLAS_VERSION
    openblas_set_num_threads(n);
#endif
    return MLP_OK;
}

int mlp_get_threads(void)
{
#ifdef OPENBLAS_VERSION
    return openblas_get_num_threads();
#else
    return 1;
#endif
}
