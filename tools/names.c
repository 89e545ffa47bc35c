/* Command-line words for the library's enums (index = enum value). */
#include "cli.h"

const char *const cli_activation_names[MLP_ACT_COUNT] = {
    [MLP_ACT_LINEAR] = "linear",   [MLP_ACT_SIGMOID] = "sigmoid",
    [MLP_ACT_TANH] = "tanh",       [MLP_ACT_RELU] = "relu",
    [MLP_ACT_LEAKY_RELU] = "leaky-relu", [MLP_ACT_SOFTMAX] = "softmax",
};
const char *const cli_optimizer_names[MLP_OPT_COUNT] = {
    [MLP_OPT_SGD] = "sgd",     [MLP_OPT_MOMENTUM] = "momentum", [MLP_OPT_NESTEROV] = "nesterov",
    [MLP_OPT_ADAM] = "adam",   [MLP_OPT_ADAMW] = "adamw",       [MLP_OPT_RMSPROP] = "rmsprop",
};
const char *const cli_schedule_names[MLP_SCHEDULE_COUNT] = {
    [MLP_SCHEDULE_CONSTANT] = "constant", [MLP_SCHEDULE_STEP] = "step",
    [MLP_SCHEDULE_COSINE] = "cosine",
};
const char *const cli_scaling_names[MLP_SCALE_COUNT] = {
    [MLP_SCALE_NONE] = "none", [MLP_SCALE_MINMAX] = "minmax", [MLP_SCALE_STANDARD] = "standard",
    [MLP_SCALE_ROBUST] = "robust",
};
const char *const cli_bias_names[MLP_BIAS_COUNT] = {
    [MLP_BIAS_NONE] = "none", [MLP_BIAS_PER_NEURON] = "neuron",
    [MLP_BIAS_PER_LAYER] = "layer", [MLP_BIAS_PER_NETWORK] = "network",
};
const char *const cli_init_names[MLP_INIT_COUNT] = {
    [MLP_INIT_AUTO] = "auto", [MLP_INIT_GLOROT] = "glorot", [MLP_INIT_HE] = "he",
    [MLP_INIT_ORTHOGONAL] = "orthogonal",
};
const char *const cli_loss_names[MLP_LOSS_COUNT] = {
    [MLP_LOSS_MSE] = "mse", [MLP_LOSS_CROSS_ENTROPY] = "ce",
};
const char *const cli_task_names[MLP_TASK_COUNT] = {
    [MLP_TASK_CLASSIFY] = "classify", [MLP_TASK_REGRESS] = "regress",
};

const char *const cli_precision_names[MLP_PRECISION_COUNT] = {
    [MLP_PRECISION_FP32] = "fp32", [MLP_PRECISION_BF16] = "bf16", [MLP_PRECISION_INT8] = "int8",
};

const char *cli_name(const char *const *names, int count, int value)
{
    if (value < 0 || value >= count || !names[value]) return "?";
    return names[value];
}
