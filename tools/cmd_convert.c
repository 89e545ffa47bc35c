/* `mlp convert IN OUT`: ONNX to a model file and back; the direction from the names. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static void convert_help(void)
{
    fputs("Usage: mlp convert IN OUT\n"
          "Converts between ONNX and libmlp model files; a name ending in .onnx is ONNX.\n"
          "  mlp convert model.onnx model.mlp   imports an MLP exported by PyTorch\n"
          "                                     (torch.onnx.export); refuses other graphs\n"
          "  mlp convert model.mlp model.onnx   exports for ONNX Runtime (opset 13)\n"
          "  -h, --help\n",
          stdout);
}

static bool is_onnx(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".onnx") == 0;
}

int cmd_convert(int argc, char **argv)
{
    int rc = cli_parse_help_only("convert", argc, argv, convert_help);
    if (rc != CLI_OK) return rc == -1 ? CLI_OK : rc;
    if (argc - optind != 2)
        return cli_usage_error("convert", "expected IN and OUT, got %d arguments", argc - optind);
    const char *in = argv[optind], *out = argv[optind + 1];
    if (!is_onnx(in) && !is_onnx(out))
        return cli_usage_error("convert", "neither '%s' nor '%s' ends in .onnx", in, out);
    mlp_error_detail why = {.message = ""};
    if (mlp_onnx_supported(&why) != MLP_OK) {
        cli_error("%s", why.message);
        return CLI_DATA_ERROR;
    }
    if (!cli_check_input_file(in) || !cli_check_output_path(out)) return CLI_DATA_ERROR;
    mlp_model *m = NULL;
    mlp_status st = is_onnx(in) ? mlp_model_import_onnx(&m, in, &why)
                                : mlp_model_open(&m, in, NULL, &why);
    if (st != MLP_OK) {
        cli_report_status(in, st, &why);
        return CLI_DATA_ERROR;
    }
    why.message[0] = '\0';
    st = is_onnx(out) ? mlp_model_export_onnx(m, out, &why) : mlp_model_write(m, out, &why);
    if (st != MLP_OK) cli_report_status(out, st, &why);
    else if (mlp_preprocess_encoding(mlp_model_preprocess(m)) && is_onnx(out))
        fprintf(stderr, "mlp convert: %s takes encoded rows: the table encoding stays in %s\n",
                out, in);
    mlp_model_free(m);
    return st == MLP_OK ? CLI_OK : CLI_DATA_ERROR;
}
