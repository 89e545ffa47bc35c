/* mlp-bench-mpi-shards: each rank reads only its share of a CSV file and trains on it
 * (mlp_dataset_open_csv_shard, mlp_mpi_train_shards), or with `whole` reads the whole file
 * on every rank (mlp_dataset_open_csv, mlp_mpi_train); it prints each rank's records, load
 * time and peak RSS. The inputs are standardised with the global means and deviations
 * (per-rank sums added with MPI_Allreduce), so both ways train on the same numbers.
 *
 *   mpirun -np 2 build/bench/mlp-bench-mpi-shards FILE.csv [whole]
 *
 * FILE.csv: numeric features, the last column a regression target, a header line. */
#include <mlp_mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* x standardised in place with the means and deviations over every rank's records. */
static void standardise(float *x, size_t count, size_t n0)
{
    double *s = calloc(2 * n0 + 1, sizeof *s);
    for (size_t i = 0; i < count; i++)
        for (size_t j = 0; j < n0; j++) {
            s[j] += x[i * n0 + j];
            s[n0 + j] += (double)x[i * n0 + j] * x[i * n0 + j];
        }
    s[2 * n0] = (double)count;
    MPI_Allreduce(MPI_IN_PLACE, s, (int)(2 * n0 + 1), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    for (size_t j = 0; j < n0; j++) {
        const double mean = s[j] / s[2 * n0], var = s[n0 + j] / s[2 * n0] - mean * mean;
        const double sd = var > 1e-12 ? sqrt(var) : 1.0;
        for (size_t i = 0; i < count; i++) x[i * n0 + j] = (float)((x[i * n0 + j] - mean) / sd);
    }
    free(s);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (argc < 2) {
        if (rank == 0) fprintf(stderr, "usage: mlp-bench-mpi-shards FILE.csv [whole]\n");
        MPI_Finalize();
        return 2;
    }
    const bool whole = argc > 2 && strcmp(argv[2], "whole") == 0;
    mlp_set_threads(1);
    mlp_csv_options co = mlp_csv_options_default();
    co.task = MLP_TASK_REGRESS;
    co.has_header = 1;
    co.threads = 1;
    mlp_dataset *ds = NULL;
    mlp_error_detail d = {0};
    const double t0 = MPI_Wtime();
    mlp_status st = whole ? mlp_dataset_open_csv(&ds, argv[1], &co, &d)
                          : mlp_dataset_open_csv_shard(&ds, argv[1], (size_t)rank,
                                                       (size_t)ranks, &co, &d);
    const double load = MPI_Wtime() - t0;
    if (st != MLP_OK) {
        fprintf(stderr, "rank %d: %s\n", rank, d.message);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    const size_t n0 = mlp_dataset_input_size(ds), count = mlp_dataset_count(ds);
    const long rss_loaded = peak_rss_kib();
    standardise(mlp_dataset_inputs(ds), count, n0);
    const size_t sizes[] = {n0, 32, 1};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_LINEAR};
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 1e-3f;
    if (mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(net, MLP_INIT_AUTO, 1) != MLP_OK ||
        mlp_optimizer_create(&opt, net, &oc) != MLP_OK)
        MPI_Abort(MPI_COMM_WORLD, 1);
    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 2;
    tc.batch_size = 256;
    mlp_train_result r;
    const double t1 = MPI_Wtime();
    if (whole) {
        st = mlp_mpi_train(MPI_COMM_WORLD, net, opt, mlp_dataset_inputs_const(ds),
                           mlp_dataset_targets_const(ds), count, NULL, NULL, 0, &tc, &r, &d);
    } else {
        mlp_mpi_session *s;
        st = mlp_mpi_session_create(&s, MPI_COMM_WORLD, NULL, &d);
        if (st == MLP_OK)
            st = mlp_mpi_train_shards(MPI_COMM_WORLD, s, net, opt, mlp_dataset_inputs_const(ds),
                                      mlp_dataset_targets_const(ds), count, NULL, NULL, 0, &tc,
                                      &r, &d);
        mlp_mpi_session_free(s);
    }
    const double train = MPI_Wtime() - t1;
    printf("rank %d of %d (%s): %zu records x %zu, load %.2f s (peak RSS after it %.1f MiB), "
           "train %.2f s, loss %.6g, peak RSS %.1f MiB\n", rank, ranks,
           whole ? "whole file" : "its shard", count, n0, load, rss_loaded / 1024.0, train,
           r.final_train_loss, peak_rss_kib() / 1024.0);
    fflush(stdout);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    mlp_dataset_free(ds);
    MPI_Finalize();
    return st == MLP_OK ? 0 : 1;
}
