/* mlp: train, evaluate and run multilayer perceptrons from the command line. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void main_help(FILE *fp)
{
    fputs("Usage: mlp COMMAND [OPTIONS] ...\n"
          "Multilayer perceptrons trained by backpropagation (libmlp).\n"
          "\n"
          "Commands:\n"
          "  train     train a network on CSV or IDX data (mlp train --dataset fashion-mnist)\n"
          "  eval      evaluate a model file on labelled data\n"
          "  predict   write the model's predictions for a CSV file\n"
          "  info      describe a model file\n"
          "  quantize  quantize a model for int8 inference\n"
          "\n"
          "  mlp COMMAND --help   options of a command\n"
          "  mlp --version\n"
          "Exit status: 0 success, 1 bad data or I/O, 2 bad usage.\n",
          fp);
}

/* Every command's output is flushed and checked here, before the libraries' teardown at
 * exit can lose it: a full disk or a closed stdout is an I/O error, not a success. */
static int finish(int rc)
{
    int err = fflush(stdout) != 0 ? errno : 0;
    if ((err || ferror(stdout)) && rc == CLI_OK) {
        cli_error("writing to standard output: %s", err ? strerror(err) : "I/O error");
        rc = CLI_DATA_ERROR;
    }
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fputs("mlp: missing command\n", stderr);
        main_help(stderr);
        return CLI_USAGE_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        main_help(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("mlp %d.%d.%d (libmlp %s)\n", MLP_VERSION_MAJOR, MLP_VERSION_MINOR,
               MLP_VERSION_PATCH, mlp_version());
        return CLI_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"train", cmd_train}, {"eval", cmd_eval}, {"predict", cmd_predict}, {"info", cmd_info},
        {"quantize", cmd_quantize},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    if (cmd[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", cmd);
    return cli_usage_error(NULL, "unknown command '%s' (train, eval, predict, info, quantize)", cmd);
}

int main(int argc, char **argv)
{
    /* Not a terminal: one 64 KiB buffer (glibc's default is the device's block size, 4 KiB
     * for /dev/full), so that a help text or report is written in one piece by finish()'s
     * fflush, whose errno names a write failure, not by a printf that loses it. Set before
     * any output, as setvbuf requires. */
    static char stdout_buffer[65536]; /* glibc ignores a size given without a buffer */
    if (!isatty(STDOUT_FILENO)) setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
    cli_blas_defer(argv);
    return finish(run(argc, argv));
}
