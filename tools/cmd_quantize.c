/* `mlp quantize MODEL [CALIBRATION] -o OUT`: the model's net quantized for int8 inference
 * (mlp_net_quantize) with scales measured on the calibration records, written to OUT with
 * its float parameters, preprocessing and optimizer. */
#include "model_io.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "quantize";

static void quantize_help(void)
{
    fputs("Usage: mlp quantize [OPTIONS] MODEL [CALIBRATION] -o OUT\n"
          "Quantizes MODEL for int8 inference and writes it to OUT: weights to int8 with one\n"
          "scale per output neuron; each layer's inputs to 8 bits with a scale measured on\n"
          "CALIBRATION (CSV with or without its label column, or IDX images with --labels;\n"
          "a few thousand representative records, e.g. part of the training set). Without\n"
          "CALIBRATION the scales are taken from each record at every pass (dynamic).\n"
          "The float parameters stay in OUT as the reference: mlp eval OUT reports the int8\n"
          "results and their difference from the float model; --precision fp32 runs it.\n"
          "\n"
          "  -o, --out FILE        the quantized model (required)\n"
          "  --labels FILE         IDX labels for IDX images in CALIBRATION\n"
          "  --label COL           CSV label column (name or 0-based index); default: the\n"
          "                        one the model was trained with\n"
          "  --mode static|dynamic activation scales (static with CALIBRATION)\n"
          "  --calibration-rows N  use at most the first N records (all)\n"
          "  -h, --help\n"
          "Exit status: 0 success, 1 bad data or model, 2 bad usage.\n",
          stdout);
}

typedef struct quantize_args {
    const char *model, *calibration, *out, *labels, *label;
    mlp_quantize_config cfg;
    bool mode_given;
} quantize_args;

static const char *const mode_names[MLP_QUANTIZE_COUNT] = {
    [MLP_QUANTIZE_STATIC] = "static", [MLP_QUANTIZE_DYNAMIC] = "dynamic",
};

/* CLI_OK, a usage error (printed) or -1 after --help. */
static int parse_args(int argc, char **argv, quantize_args *a)
{
    const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"labels", required_argument, NULL, 'l'},
        {"label", required_argument, NULL, 'c'}, {"mode", required_argument, NULL, 'm'},
        {"calibration-rows", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (quantize_args){.cfg = mlp_quantize_config_default()};
    int c, v;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': quantize_help(); return -1;
        case 'o': a->out = optarg; break;
        case 'l': a->labels = optarg; break;
        case 'c': a->label = optarg; break;
        case 'm':
            if (!cli_parse_choice(CMD, "--mode", optarg, mode_names, MLP_QUANTIZE_COUNT, &v))
                return CLI_USAGE_ERROR;
            a->cfg.mode = (mlp_quantize_mode)v;
            a->mode_given = true;
            break;
        case 'r':
            if (!cli_parse_size(CMD, "--calibration-rows", optarg, 1, SIZE_MAX,
                                &a->cfg.calibration_rows))
                return CLI_USAGE_ERROR;
            break;
        default: return cli_getopt_error(CMD, c, optopt, argv, optind);
        }
    }
    int left = argc - optind;
    if (left < 1 || left > 2)
        return cli_usage_error(CMD, "expected MODEL and CALIBRATION, got %d argument%s", left,
                               left == 1 ? "" : "s");
    a->model = argv[optind];
    a->calibration = left == 2 ? argv[optind + 1] : NULL;
    if (!a->out) return cli_usage_error(CMD, "-o OUT is required");
    if (!a->calibration && (a->labels || a->label || a->cfg.calibration_rows))
        return cli_usage_error(CMD, "--labels, --label and --calibration-rows need CALIBRATION");
    if (!a->calibration && a->mode_given && a->cfg.mode == MLP_QUANTIZE_STATIC)
        return cli_usage_error(CMD, "--mode static needs CALIBRATION");
    if (!a->calibration) a->cfg.mode = MLP_QUANTIZE_DYNAMIC;
    return CLI_OK;
}

/* The calibration records as the model reads data: its table encoding, IDX images, or CSV
 * with the model's label column (dropped when present). */
static int load_calibration(const mlp_model *m, const quantize_args *a, mlp_dataset **ds)
{
    const mlp_preprocess *pre = mlp_model_preprocess(m);
    if (a->labels) return cli_load_idx(a->calibration, a->labels, mlp_model_output_size(m), ds);
    const mlp_table_encoding *enc = mlp_preprocess_encoding(pre);
    if (enc) {
        mlp_table *t = NULL;
        mlp_table_report_ex rep = {.struct_size = sizeof rep};
        int rc = cli_table_load(a->calibration, &t);
        if (rc == CLI_OK)
            rc = cli_table_encode(enc, t, cli_input_name(a->calibration), false, ds, &rep);
        mlp_table_free(t);
        return rc;
    }
    cli_label_spec label = {NULL, -1};
    if (a->label) label = cli_label_parse(a->label);
    else if (mlp_preprocess_label_name(pre)) label.name = mlp_preprocess_label_name(pre);
    else label.index = mlp_preprocess_label_index(pre);
    size_t n = 0;
    const char **classes = cli_preprocess_classes(pre, &n);
    if (n > 0 && !classes) {
        cli_error("out of memory");
        return CLI_DATA_ERROR;
    }
    int rc = cli_load_csv(a->calibration, label, mlp_preprocess_task(pre), classes, n, ds);
    free(classes);
    return rc;
}

int cmd_quantize(int argc, char **argv)
{
    quantize_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK) return rc == -1 ? CLI_OK : rc;
    if (!cli_check_output_path(a.out)) return CLI_DATA_ERROR;
    mlp_model *m = NULL;
    rc = cli_model_open(a.model, &m, NULL);
    if (rc != CLI_OK) return rc;
    mlp_dataset *ds = NULL;
    if (a.calibration) rc = load_calibration(m, &a, &ds);
    if (rc == CLI_OK && ds && mlp_dataset_input_size(ds) != mlp_model_input_size(m)) {
        cli_error("%s has %zu input features, but the model expects %zu", a.calibration,
                  mlp_dataset_input_size(ds), mlp_model_input_size(m));
        rc = CLI_DATA_ERROR;
    }
    mlp_error_detail detail = {0};
    mlp_status st = MLP_OK;
    if (rc == CLI_OK && (st = mlp_model_quantize(m, ds, &a.cfg, &detail)) != MLP_OK) {
        cli_report_status(a.calibration ? a.calibration : a.model, st, &detail);
        rc = CLI_DATA_ERROR;
    }
    /* The model's parts as they are, int8 weights included (cli_model_save: a symlink's
     * target, stdout or a device as well as a file). */
    if (rc == CLI_OK)
        rc = cli_model_save(a.out, mlp_model_net(m), mlp_model_preprocess(m),
                            mlp_model_optimizer(m), mlp_model_epoch(m));
    if (rc == CLI_OK) {
        size_t used = ds ? mlp_dataset_count(ds) : 0;
        if (a.cfg.calibration_rows && used > a.cfg.calibration_rows) used = a.cfg.calibration_rows;
        char topo[256];
        cli_topology_string(mlp_model_net(m), topo, sizeof topo);
        printf("quantized %s (%s) to int8: weights per output neuron; %s\n", a.model, topo,
               a.cfg.mode == MLP_QUANTIZE_STATIC ? "static input scales" : "dynamic input scales "
                                                                          "(per record)");
        if (used) printf("calibration: %zu records of %s\n", used, a.calibration);
        printf("wrote %s (float parameters kept as the reference)\n", a.out);
    }
    mlp_dataset_free(ds);
    mlp_model_free(m);
    return rc;
}
