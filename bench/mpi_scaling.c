/* mlp-bench-mpi: data-parallel scaling of one training step, run under mpirun.
 *
 *   mpirun -np 2 build/bench/mlp-bench-mpi [windows]
 *
 * W1 (784-1024-1024-10, ReLU, softmax + cross-entropy, Adam) at a global batch of 256, one
 * BLAS thread per rank. In each window round, rank 0 alone (MPI_COMM_SELF: 1 rank x 1
 * thread; the other ranks sleep) and then every rank (mlp_mpi_train_step on MPI_COMM_WORLD)
 * run the same number of steps, so load from other processes falls on both alike. It
 * prints the medians, the speed-up, and where the time of a step goes: this rank's
 * gradient, the allreduce of the gradient vector (timed separately by a step done by hand
 * the same way mlp_mpi_train_step does it), and the optimizer step. */
#include <mlp_mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GLOBAL_BATCH 256
#define STEPS 10 /* per window */

typedef struct bench {
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_workspace *ws;
    float *x, *y;
} bench;

static uint64_t state = 12345;
static float uniform(void)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(state >> 40) * 0x1.0p-24f;
}

static int bench_init(bench *b)
{
    const size_t sizes[] = {784, 1024, 1024, 10};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 1e-4f;
    if (mlp_net_create(&b->net, 3, sizes, acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(b->net, MLP_INIT_AUTO, 1) != MLP_OK ||
        mlp_optimizer_create(&b->opt, b->net, &oc) != MLP_OK ||
        mlp_workspace_create(&b->ws, b->net, GLOBAL_BATCH) != MLP_OK)
        return -1;
    b->x = malloc(GLOBAL_BATCH * 784 * sizeof *b->x);
    b->y = calloc(GLOBAL_BATCH * 10, sizeof *b->y);
    if (!b->x || !b->y) return -1;
    for (size_t i = 0; i < GLOBAL_BATCH * 784; i++) b->x[i] = uniform();
    for (size_t i = 0; i < GLOBAL_BATCH; i++) b->y[i * 10 + i % 10] = 1.0f;
    return 0;
}

/* STEPS steps of the global batch over comm; seconds per step. */
static double time_steps(MPI_Comm comm, bench *b)
{
    int rank, ranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    size_t first, n;
    mlp_mpi_shard(GLOBAL_BATCH, rank, ranks, &first, &n);
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    for (int s = 0; s < STEPS; s++)
        if (mlp_mpi_train_step(comm, b->net, b->ws, b->opt, b->x + first * 784,
                               b->y + first * 10, n, GLOBAL_BATCH, MLP_LOSS_CROSS_ENTROPY,
                               NULL) != MLP_OK)
            return -1.0;
    double t = (MPI_Wtime() - t0) / STEPS, slowest;
    MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    return slowest;
}

/* The same step by hand, each part timed: gradient, allreduce, optimizer step. */
static void time_parts(bench *b, double parts[3])
{
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    size_t first, n, P = mlp_param_count(b->net);
    mlp_mpi_shard(GLOBAL_BATCH, rank, ranks, &first, &n);
    float *grad = mlp_workspace_gradient(b->ws);
    memset(parts, 0, 3 * sizeof *parts);
    MPI_Barrier(MPI_COMM_WORLD);
    for (int s = 0; s < STEPS; s++) {
        double t0 = MPI_Wtime();
        mlp_gradient(b->net, b->ws, b->x + first * 784, b->y + first * 10, n,
                     MLP_LOSS_CROSS_ENTROPY, grad, NULL);
        double t1 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, grad, (int)P, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double t2 = MPI_Wtime();
        mlp_optimizer_step(b->opt, b->net, grad, GLOBAL_BATCH);
        double t3 = MPI_Wtime();
        parts[0] += (t1 - t0) / STEPS;
        parts[1] += (t2 - t1) / STEPS;
        parts[2] += (t3 - t2) / STEPS;
    }
}

/* Other ranks wait for rank 0's solo run without spinning on a core. */
static void wait_politely(void)
{
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    int done = 0;
    const struct timespec ms = {0, 1000000};
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE), !done) nanosleep(&ms, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int windows = argc > 1 ? atoi(argv[1]) : 7;
    if (windows < 1 || windows > 1000) windows = 7;
    mlp_set_threads(1);
    bench b = {0};
    if (bench_init(&b) != 0) {
        fprintf(stderr, "mlp-bench-mpi: rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double *solo = calloc((size_t)windows, sizeof *solo), *all = calloc((size_t)windows, sizeof *all);
    double *grad_t = calloc((size_t)windows, sizeof *grad_t), *comm_t = calloc((size_t)windows, sizeof *comm_t);
    double *opt_t = calloc((size_t)windows, sizeof *opt_t);
    time_steps(MPI_COMM_WORLD, &b); /* warm-up: buffers, BLAS, transport */
    for (int w = 0; w < windows; w++) {
        if (rank == 0) {
            solo[w] = time_steps(MPI_COMM_SELF, &b);
            MPI_Request req;
            MPI_Ibarrier(MPI_COMM_WORLD, &req);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
        } else {
            wait_politely();
        }
        all[w] = time_steps(MPI_COMM_WORLD, &b);
        double parts[3];
        time_parts(&b, parts);
        grad_t[w] = parts[0];
        comm_t[w] = parts[1];
        opt_t[w] = parts[2];
    }
    if (rank == 0) {
        double s = median(solo, windows), a = median(all, windows);
        double g = median(grad_t, windows), c = median(comm_t, windows), o = median(opt_t, windows);
        printf("W1 784-1024-1024-10 (%zu parameters), Adam, global batch %d, 1 BLAS thread per "
               "rank, median of %d windows of %d steps\n", mlp_param_count(b.net), GLOBAL_BATCH,
               windows, STEPS);
        printf("1 rank:  %.2f ms/step\n", 1e3 * s);
        printf("%d ranks: %.2f ms/step (speed-up %.2fx)\n", ranks, 1e3 * a, s / a);
        printf("%d ranks, parts of a step on rank 0: gradient %.2f ms, allreduce %.2f ms "
               "(%.0f%% of the step), optimizer %.2f ms\n", ranks, 1e3 * g, 1e3 * c,
               100.0 * c / (g + c + o), 1e3 * o);
        printf("spread: 1 rank %.2f-%.2f ms, %d ranks %.2f-%.2f ms\n", 1e3 * solo[0],
               1e3 * solo[windows - 1], ranks, 1e3 * all[0], 1e3 * all[windows - 1]);
    }
    free(solo);
    free(all);
    free(grad_t);
    free(comm_t);
    free(opt_t);
    free(b.x);
    free(b.y);
    mlp_workspace_free(b.ws);
    mlp_optimizer_free(b.opt);
    mlp_net_free(b.net);
    MPI_Finalize();
    return 0;
}
