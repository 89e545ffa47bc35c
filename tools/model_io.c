/* Model loading and argument parsing shared by eval, predict and info. */
#include "model_io.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_model_args(int argc, char **argv, const char *cmd, const model_args_spec *spec,
                         model_args *out)
{
    const struct option opts[] = {
        {spec->extra_name, required_argument, NULL, 'x'}, {"label", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"precision", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
    };
    char shortopts[8] = ":h";
    if (spec->extra_short) { /* e.g. -o for --out */
        shortopts[2] = spec->extra_short;
        shortopts[3] = ':';
    }
    *out = (model_args){0};
    out->precision = MLP_PRECISION_COUNT; /* not given: the model's own (int8 when quantized) */
    int threads = 0, c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (c == spec->extra_short) c = 'x';
        switch (c) {
        case 'h': spec->help(); return -1;
        case 'x': out->extra = optarg; break;
        case 'c': out->label = optarg; break;
        case 't':
            if (!cli_parse_int(cmd, "--threads", optarg, 1, 1024, &threads))
                return CLI_USAGE_ERROR;
            break;
        case 'p': {
            int v;
            if (!cli_parse_choice(cmd, "--precision", optarg, cli_precision_names,
                                  MLP_PRECISION_COUNT, &v))
                return CLI_USAGE_ERROR;
            out->precision = (mlp_precision)v;
            break;
        }
        default: return cli_getopt_error(cmd, c, optopt, argv, optind);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(cmd, "expected MODEL and %s, got %d argument%s", spec->data_word,
                               argc - optind, argc - optind == 1 ? "" : "s");
    out->model_path = argv[optind];
    out->data_path = argv[optind + 1];
    out->threads = threads;
    return CLI_OK;
}

int cli_model_save(const char *path, const mlp_net *net, const mlp_preprocess *pre,
                   const mlp_optimizer *opt, size_t epoch)
{
    char *target;
    bool through;
    if (!cli_output_resolve(path, &target, &through)) return CLI_DATA_ERROR;
    mlp_error_detail detail = {0};
    mlp_status st = MLP_OK;
    if (through) { /* stdout, a device, a FIFO: the model's image written as it is */
        void *data = NULL;
        size_t size = 0;
        st = mlp_model_write_parts_mem(&data, &size, net, pre, opt, epoch);
        cli_atomic_file af;
        bool ok = st == MLP_OK && cli_atomic_open(&af, path);
        if (ok && fwrite(data, 1, size, af.fp) != size) {
            cli_error("%s: %s", path, strerror(errno));
            cli_atomic_abort(&af);
            ok = false;
        } else if (ok) {
            ok = cli_atomic_commit(&af);
        }
        mlp_free(data);
        if (st == MLP_OK) return ok ? CLI_OK : CLI_DATA_ERROR;
    } else {
        st = mlp_model_write_parts(target, net, pre, opt, epoch, &detail);
        free(target);
    }
    if (st != MLP_OK) {
        cli_report_status(path, st, &detail);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}

int cli_model_open(const char *path, mlp_model **out, mlp_model_info *info)
{
    *out = NULL;
    if (!cli_check_input_file(path)) return CLI_DATA_ERROR;
    mlp_error_detail detail = {0};
    mlp_status st = mlp_model_open(out, path, info, &detail);
    if (st == MLP_OK) return CLI_OK;
    *out = NULL;
    if (st == MLP_ERR_FORMAT && !detail.message[0])
        cli_error("%s: not an mlp model file", path);
    else
        cli_report_status(path, st, &detail);
    return CLI_DATA_ERROR;
}

bool cli_model_classifies(const mlp_model *m)
{
    return mlp_preprocess_task(mlp_model_preprocess(m)) == MLP_TASK_CLASSIFY &&
           mlp_model_output_size(m) > 1;
}

int cli_model_scratch(const mlp_model *m, const char *model_path, size_t records,
                      mlp_precision precision, mlp_model_scratch **out)
{
    *out = NULL;
    const bool given = precision != MLP_PRECISION_COUNT;
    if (given && !cli_precision_ok(precision)) return CLI_DATA_ERROR;
    if (precision == MLP_PRECISION_INT8 && !mlp_net_is_quantized(mlp_model_net(m))) {
        cli_error("--precision int8: %s is a float model, not quantized; make an int8 copy "
                  "first with `mlp quantize %s CALIBRATION.csv -o OUT.mlp` (calibration: "
                  "training records) and use OUT.mlp",
                  model_path, model_path);
        return CLI_DATA_ERROR;
    }
    /* no bigger than the data, nor than the library's memory bound for wide nets */
    size_t batch = mlp_model_predict_batch(m, records);
    mlp_status st = mlp_model_scratch_create(out, m, batch);
    if (st == MLP_OK && given) st = mlp_model_scratch_set_precision(*out, precision);
    /* float passes over several chunks from packed weights; without the memory for the
     * packed copy they stay unpacked (the call changes nothing when it fails) */
    const bool float_passes = !mlp_net_is_quantized(mlp_model_net(m)) &&
                              (!given || precision == MLP_PRECISION_FP32);
    if (st == MLP_OK && float_passes && records > batch)
        (void)mlp_model_scratch_set_threads(*out, mlp_threads());
    if (st != MLP_OK) {
        cli_report_status("--precision", st, NULL);
        mlp_model_scratch_free(*out);
        *out = NULL;
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}
