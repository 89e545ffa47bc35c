/* `mlp info MODEL`: what a model file holds. */
#include "model_io.h"

#include <getopt.h>
#include <string.h>

static void info_help(void)
{
    fputs("Usage: mlp info MODEL\n"
          "Shows the topology, activations, bias mode, parameter count, format version,\n"
          "preprocessing (scaling, label column, classes) and stored optimizer state.\n"
          "  -h, --help\n",
          stdout);
}

static void print_preprocess(const mlp_preprocess *pre, bool stored)
{
    if (!stored) {
        puts("preprocessing:  none stored (inputs used as given)");
        return;
    }
    mlp_scaling s = mlp_preprocess_scaling(pre);
    printf("preprocessing:  %s scaling of %zu inputs", cli_name(cli_scaling_names,
           MLP_SCALE_COUNT, (int)s), mlp_preprocess_input_size(pre));
    if (s == MLP_SCALE_STANDARD) printf(" (x - mean) / std");
    if (s == MLP_SCALE_MINMAX) printf(" (x - min) / (max - min)");
    if (s == MLP_SCALE_ROBUST) printf(" (x - median) * 1.349 / IQR");
    putchar('\n');
    mlp_task task = mlp_preprocess_task(pre);
    printf("task:           %s\n", cli_name(cli_task_names, MLP_TASK_COUNT, (int)task));
    const char *name = mlp_preprocess_label_name(pre);
    long index = mlp_preprocess_label_index(pre);
    if (name)
        printf("label column:   %s (index %ld)\n", name, index);
    else if (index >= 0)
        printf("label column:   index %ld\n", index);
    else
        printf("label column:   none (labels from a separate IDX file)\n");
    const mlp_table_encoding *enc = mlp_preprocess_encoding(pre);
    if (enc && mlp_table_encoding_label_count(enc) > 1) {
        printf("label columns: ");
        for (size_t k = 0; k < mlp_table_encoding_label_count(enc); k++) {
            const char *l = mlp_table_encoding_label_name(enc, k);
            if (l) printf("%s %s", k ? "," : "", l);
            else printf("%s %zu", k ? "," : "", mlp_table_encoding_label_column(enc, k));
        }
        putchar('\n');
    }
    size_t n = mlp_preprocess_class_count(pre);
    if (n > 0) {
        printf("classes:        %zu:", n);
        for (size_t i = 0; i < n; i++) {
            if (i == 20 && n > 24) {
                printf(" ... (%zu more)", n - i);
                break;
            }
            const char *c = mlp_preprocess_class_name(pre, i);
            printf("%s %s", i ? "," : "", c ? c : "?");
        }
        putchar('\n');
    }
    if (enc) cli_table_summary(stdout, enc); /* the table encoding fitted in training */
}

static void print_optimizer(mlp_optimizer *opt, const mlp_model_info *info)
{
    if (!info->has_optimizer || !opt) {
        puts("optimizer:      not stored");
        return;
    }
    const mlp_optimizer_config *c = mlp_optimizer_settings(opt);
    size_t count = 0;
    mlp_optimizer_state_const(opt, &count);
    printf("optimizer:      stored: %s, lr %g, %s schedule, weight decay %g, %s reduction\n",
           cli_name(cli_optimizer_names, MLP_OPT_COUNT, (int)c->kind), (double)c->learning_rate,
           cli_name(cli_schedule_names, MLP_SCHEDULE_COUNT, (int)c->schedule),
           (double)c->weight_decay, c->reduction == MLP_REDUCE_MEAN ? "mean" : "sum");
    printf("                state %zu floats, %llu steps, epoch %zu\n", count,
           (unsigned long long)mlp_optimizer_step_count(opt), info->epoch);
}

int cmd_info(int argc, char **argv)
{
    int rc = cli_parse_help_only("info", argc, argv, info_help);
    if (rc != CLI_OK) return rc == -1 ? CLI_OK : rc;
    if (argc - optind != 1)
        return cli_usage_error("info", "expected one MODEL file, got %d arguments", argc - optind);
    const char *path = argv[optind];
    mlp_model *m = NULL;
    mlp_model_info info;
    rc = cli_model_open(path, &m, &info);
    if (rc != CLI_OK) return rc;
    const mlp_net *net = mlp_model_net(m);

    char topo[1024];
    cli_topology_string(net, topo, sizeof topo);
    size_t L = mlp_net_layer_count(net);
    printf("model:          %s\n", path);
    printf("format version: %u\n", (unsigned)info.format_version);
    printf("topology:       %s (%zu inputs, %zu outputs, %zu weight layers)\n", topo,
           mlp_net_input_size(net), mlp_net_output_size(net), L);
    for (size_t k = 0; k < L; k++)
        printf("%s%zu: %zu -> %zu %s\n", k ? "                " : "layers:         ", k + 1,
               mlp_net_size(net, k), mlp_net_size(net, k + 1),
               cli_name(cli_activation_names, MLP_ACT_COUNT, (int)mlp_net_activation(net, k)));
    printf("bias:           %s\n",
           cli_name(cli_bias_names, MLP_BIAS_COUNT, (int)mlp_net_bias_mode(net)));
    printf("parameters:     %zu\n", mlp_net_param_count(net));
    printf("trained in:     %s\n", cli_name(cli_precision_names, MLP_PRECISION_COUNT,
                                              (int)mlp_net_trained_precision(net)));
    /* the loss MLP_LOSS_AUTO takes: cross-entropy after a softmax output, else MSE */
    if (mlp_net_is_quantized(net))
        printf("int8:           quantized, %s input scales (float parameters kept)\n",
               mlp_net_quantize_mode(net) == MLP_QUANTIZE_STATIC ? "static" : "dynamic");
    printf("loss:           %s\n", mlp_net_activation(net, L - 1) == MLP_ACT_SOFTMAX
                                        ? "ce (softmax output)" : "mse");
    print_preprocess(mlp_model_preprocess(m), info.has_preprocess);
    print_optimizer(mlp_model_optimizer(m), &info);
    mlp_model_free(m);
    return CLI_OK;
}
