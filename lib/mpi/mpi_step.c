/* One data-parallel step: local gradient, one allreduce, the same update everywhere. */
#include "mpi_internal.h"

#include <string.h>

void mlp_mpi_sum_floats(MPI_Comm comm, float *data, size_t count)
{
    for (size_t done = 0; done < count;) {
        size_t n = count - done < MLP_MPI_MAX_COUNT ? count - done : MLP_MPI_MAX_COUNT;
        MPI_Allreduce(MPI_IN_PLACE, data + done, (int)n, MPI_FLOAT, MPI_SUM, comm);
        done += n;
    }
}

mlp_status mlp_mpi_reduce_and_step(MPI_Comm comm, mlp_net *net, mlp_optimizer *opt, float *grad,
                                   size_t global_batch, mlp_status local_status,
                                   double *loss_sum)
{
    /* The losses and a failure count in one small reduction; a failure skips the big one. */
    double scalars[2] = {local_status == MLP_OK ? *loss_sum : 0.0, local_status != MLP_OK};
    MPI_Allreduce(MPI_IN_PLACE, scalars, 2, MPI_DOUBLE, MPI_SUM, comm);
    if (scalars[1] != 0.0) return mlp_mpi_agree(comm, local_status, NULL, NULL, NULL);
    *loss_sum = scalars[0];
    mlp_mpi_sum_floats(comm, grad, mlp_net_param_count(net));
    /* the same state and the same sum on every rank: the same status and update */
    return mlp_optimizer_step(opt, net, grad, global_batch);
}

mlp_status mlp_mpi_train_step(MPI_Comm comm, mlp_net *net, mlp_workspace *ws,
                              mlp_optimizer *opt, const float *inputs, const float *targets,
                              size_t local_batch, size_t global_batch, mlp_loss loss,
                              double *loss_sum)
{
    mlp_status st = MLP_OK;
    float *grad = NULL;
    if (!net || !ws || !opt) st = MLP_ERR_NULL_ARG;
    else if (global_batch == 0 || local_batch > global_batch) st = MLP_ERR_INVALID_ARG;
    else if (!(grad = mlp_workspace_gradient(ws))) st = MLP_ERR_INVALID_ARG; /* inference ws */
    double c = 0.0;
    if (st == MLP_OK && local_batch > 0)
        st = mlp_gradient(net, ws, inputs, targets, local_batch, loss, grad, &c);
    else if (st == MLP_OK) /* no records here this step: this rank adds zeros */
        memset(grad, 0, mlp_net_param_count(net) * sizeof *grad);
    st = mlp_mpi_reduce_and_step(comm, net, opt, grad, global_batch, st, &c);
    if (st == MLP_OK && loss_sum) *loss_sum = c;
    return st;
}
