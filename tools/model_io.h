/* Loading a model file for eval/predict/info, with the command's messages. */
#ifndef MLP_CLI_MODEL_IO_H
#define MLP_CLI_MODEL_IO_H

#include "cli.h"

typedef struct cli_model {
    mlp_net *net;
    mlp_preprocess *pre; /* NULL when the file has none */
    mlp_optimizer *opt;  /* only when asked for */
    mlp_model_info info;
} cli_model;

/* Returns CLI_OK or CLI_DATA_ERROR (message printed). */
int cli_model_load(const char *path, bool with_optimizer, cli_model *m);
void cli_model_free(cli_model *m);
/* Task of the model: its preprocessing's, else guessed from the output layer. */
mlp_task cli_model_task(const cli_model *m);
/* Input/output sizes of the data agree with the net; prints the mismatch otherwise. */
bool cli_model_check_sizes(const cli_model *m, const char *data, size_t inputs, size_t outputs);

#endif
