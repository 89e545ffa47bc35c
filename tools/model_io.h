/* Loading a model file for eval/predict/info, with the command's messages. */
#ifndef MLP_CLI_MODEL_IO_H
#define MLP_CLI_MODEL_IO_H

#include "cli.h"

/* Opens a model file into a handle; CLI_OK or CLI_DATA_ERROR (message printed). */
int cli_model_open(const char *path, mlp_model **out, mlp_model_info *info);
/* Whether predictions are classes: the model's task is classification, with 2 outputs or
 * more (mlp_model_classify's condition). */
bool cli_model_classifies(const mlp_model *m);
/* A scratch for predicting or evaluating `records` records of the model read from
 * model_path at --precision (the scratch's own when MLP_PRECISION_COUNT: int8 for a
 * quantized model); CLI_OK or CLI_DATA_ERROR (message printed: for int8 on a model that is
 * not quantized, the command that makes one). */
int cli_model_scratch(const mlp_model *m, const char *model_path, size_t records,
                      mlp_precision precision, mlp_model_scratch **out);

/* mlp_model_write_parts to path, or to what path resolves to (cli_output_resolve): a symlink's
 * target is replaced, stdout/devices/FIFOs get the bytes. CLI_OK or CLI_DATA_ERROR. */
int cli_model_save(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                   const mlp_optimizer *opt, size_t epoch);

/* The arguments of `mlp eval` and `mlp predict`: MODEL DATA, --label COL, --threads N,
 * --help, and one command-specific option taking a value (--labels, --out). */
typedef struct model_args_spec {
    const char *extra_name; /* long name of the command's own option */
    char extra_short;       /* its short letter, or 0 */
    const char *data_word;  /* "DATA" or "CSV", for the usage message */
    void (*help)(void);
} model_args_spec;

typedef struct model_args {
    const char *model_path, *data_path, *label, *extra;
    int threads; /* --threads, 0 when not given (for cli_blas_start) */
    mlp_precision precision; /* --precision; MLP_PRECISION_COUNT when not given: the
                                scratch's own (fp32, or int8 for a quantized model) */
} model_args;

/* The help's lines for the options cli_parse_model_args shares, and the exit statuses. */
#define CLI_MODEL_ARGS_HELP                                                                   \
    "  --threads N       BLAS threads (the cores; at most the cores)\n"                       \
    "  --precision fp32|bf16|int8  GEMM arithmetic (int8 for a quantized model, else\n"       \
    "                    fp32); bf16: bfloat16 operands, float sums (oneDNN, CPUs with\n"     \
    "                    AVX512_BF16); int8: a quantized model's (mlp quantize)\n"            \
    "  -h, --help\n"                                                                          \
    "Exit status: 0 success, 1 bad data or model, 2 bad usage.\n"
/* CLI_OK, a usage error (message printed), or -1 after --help. */
int cli_parse_model_args(int argc, char **argv, const char *cmd, const model_args_spec *spec,
                         model_args *out);

#endif
