/* `mlp train --mpi` in a build without MPI: a clear refusal. */
#include "train_mpi.h"

bool train_mpi_wanted(const train_options *o) { return o->mpi; }

int train_mpi_start(train_options *o)
{
    (void)o;
    return cli_usage_error("train", "--mpi: this mlp was built without MPI (install "
                                    "libopenmpi-dev openmpi-bin and rebuild)");
}

int train_mpi_agree(int rc) { return rc; }

mlp_status train_mpi_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                           const float *targets, size_t count, const float *val_inputs,
                           const float *val_targets, size_t val_count,
                           const mlp_train_config *cfg, mlp_train_result *result, FILE *report)
{
    (void)report;
    return mlp_train(net, opt, inputs, targets, count, val_inputs, val_targets, val_count, cfg,
                     result);
}

int train_mpi_finish(int rc) { return rc; }
