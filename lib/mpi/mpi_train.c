/* mlp_mpi_train: mlp_train's own epoch loop over a session without a watchdog. */
#include "mpi_internal.h"

#include <stdio.h>
#include <string.h>

/* The first layout of mlp_train_config (0.1) ends with threads: the least struct_size. */
#define TRAIN_CONFIG_MIN_SIZE (offsetof(mlp_train_config, threads) + sizeof(int))

mlp_status mlp_mpi_train(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt, const float *inputs,
                         const float *targets, size_t count, const float *val_inputs,
                         const float *val_targets, size_t val_count,
                         const mlp_train_config *config, mlp_train_result *result,
                         mlp_error_detail *detail)
{
    mlp_mpi_session *s;
    mlp_status st = mlp_mpi_session_create(&s, comm, NULL, detail);
    if (st != MLP_OK) return st;
    /* the caller's fields over this version's defaults, then the hook */
    mlp_train_config cfg = mlp_train_config_default();
    mlp_error_detail own = {0}, *d = detail ? detail : &own;
    if (!config || config->struct_size < TRAIN_CONFIG_MIN_SIZE ||
        config->struct_size > sizeof cfg) {
        int rank;
        MPI_Comm_rank(comm, &rank);
        mlp_error_detail mine = {0};
        st = config ? MLP_ERR_INVALID_ARG : MLP_ERR_NULL_ARG;
        snprintf(mine.message, sizeof mine.message, "rank %d: %s", rank,
                 config ? "config->struct_size is not from mlp_train_config_default"
                        : "config is NULL");
        st = mlp_mpi_session_agree(s, st, &mine, d, NULL);
    } else {
        memcpy(&cfg, config, config->struct_size);
        cfg.struct_size = sizeof cfg;
        mlp_mpi_train_config_attach(&cfg, s);
        /* its first collective is the agreement the ranks above join */
        st = mlp_train_ex(net, opt, inputs, targets, count, val_inputs, val_targets,
                          val_count, &cfg, result, d);
    }
    mlp_mpi_session_free(s);
    return st;
}
