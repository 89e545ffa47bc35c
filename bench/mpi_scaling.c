/* mlp-bench-mpi: data-parallel scaling of training, run under mpirun.
 *
 *   mpirun -np 2 build/bench/mlp-bench-mpi [windows]
 *
 * W1 (784-1024-1024-10, ReLU, softmax + cross-entropy, Adam) at a global batch of 256 and
 * W2 (784-128-10, the same) at 32, one BLAS thread per rank. In each window round, rank 0
 * alone (MPI_COMM_SELF: 1 rank x 1 thread; the other ranks sleep) and then every rank run
 * the same work, so load from other processes falls on both alike: STEPS single steps
 * (mlp_mpi_train_step: one allreduce after the pass) and the epoch loop (mlp_train with a
 * session attached), per batch once running: an epoch of LOOP_BATCHES batches less one of
 * STEPS, so that a call's start-up (checks, rank 0's state broadcast, the final gather)
 * drops out. The loop runs with the exchange overlapped with the backward pass (the
 * default) and after it, with an allreduce and the whole step on every rank, and with
 * bf16 gradients. It prints the medians, the speed-ups, where the time of a sharded step
 * goes (done by hand: gradient, reduce-scatter + allgather, the step on the slice), the
 * communication share and the overlap: the communication time hidden (the loop's step
 * after the pass less the overlapped one) over the exchange's time. */
#include <mlp_mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 10 /* per window */
#define LOOP_BATCHES 40 /* the epoch loop's longer call */

typedef struct workload {
    const char *name;
    size_t layers, sizes[4], batch;
} workload;

static const workload workloads[] = {
    {"W1", 3, {784, 1024, 1024, 10}, 256},
    {"W2", 2, {784, 128, 10, 0}, 32},
};

typedef struct bench {
    const workload *w;
    mlp_net *net;
    mlp_optimizer *opt;
    mlp_workspace *ws;
    float *x, *y; /* STEPS global batches */
} bench;

static uint64_t state = 12345;
static float uniform(void)
{
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(state >> 40) * 0x1.0p-24f;
}

static int bench_init(bench *b, const workload *w)
{
    const mlp_activation acts[] = {MLP_ACT_RELU, w->layers == 3 ? MLP_ACT_RELU : MLP_ACT_SOFTMAX,
                                   MLP_ACT_SOFTMAX};
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.reduction = MLP_REDUCE_MEAN;
    oc.learning_rate = 1e-4f;
    b->w = w;
    const size_t n = LOOP_BATCHES * w->batch, out = w->sizes[w->layers];
    if (mlp_net_create(&b->net, w->layers, w->sizes, acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(b->net, MLP_INIT_AUTO, 1) != MLP_OK ||
        mlp_optimizer_create(&b->opt, b->net, &oc) != MLP_OK ||
        mlp_workspace_create(&b->ws, b->net, w->batch) != MLP_OK)
        return -1;
    b->x = malloc(n * 784 * sizeof *b->x);
    b->y = calloc(n * out, sizeof *b->y);
    if (!b->x || !b->y) return -1;
    for (size_t i = 0; i < n * 784; i++) b->x[i] = uniform();
    for (size_t i = 0; i < n; i++) b->y[i * out + i % out] = 1.0f;
    return 0;
}

static void bench_free(bench *b)
{
    free(b->x);
    free(b->y);
    mlp_workspace_free(b->ws);
    mlp_optimizer_free(b->opt);
    mlp_net_free(b->net);
}

/* STEPS steps of the global batch over comm; seconds per step. */
static double time_steps(MPI_Comm comm, bench *b)
{
    int rank, ranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &ranks);
    size_t first, n;
    const size_t G = b->w->batch, out = b->w->sizes[b->w->layers];
    mlp_mpi_shard(G, rank, ranks, &first, &n);
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    for (int s = 0; s < STEPS; s++)
        if (mlp_mpi_train_step(comm, b->net, b->ws, b->opt, b->x + first * 784,
                               b->y + first * out, n, G, MLP_LOSS_CROSS_ENTROPY,
                               NULL) != MLP_OK)
            return -1.0;
    double t = (MPI_Wtime() - t0) / STEPS, slowest;
    MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    return slowest;
}

/* Seconds of one mlp_train call of `batches` global batches (one epoch) over comm. */
static double time_epoch(MPI_Comm comm, bench *b, const mlp_mpi_options *mo, size_t batches)
{
    mlp_mpi_session *s;
    if (mlp_mpi_session_create(&s, comm, mo, NULL) != MLP_OK) return -1.0;
    mlp_train_config tc = mlp_train_config_default();
    tc.loss = MLP_LOSS_CROSS_ENTROPY;
    tc.epochs = 1;
    tc.batch_size = b->w->batch;
    mlp_mpi_train_config_attach(&tc, s);
    MPI_Barrier(comm);
    double t0 = MPI_Wtime();
    mlp_status st = mlp_train(b->net, b->opt, b->x, b->y, batches * b->w->batch, NULL, NULL, 0,
                              &tc, NULL);
    double t = MPI_Wtime() - t0, slowest;
    MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
    mlp_mpi_session_free(s);
    return st == MLP_OK ? slowest : -1.0;
}

/* The epoch loop (mlp_train with a session attached) over comm, seconds per batch once
 * running: the difference of an epoch of LOOP_BATCHES batches and one of STEPS, over the
 * batches between, so the start-up of a call (the checks, rank 0's state broadcast, the
 * optimizer state gathered at the end) drops out. */
static double time_loop_opts(MPI_Comm comm, bench *b, bool shard, bool bf16, bool overlap)
{
    mlp_mpi_options mo = mlp_mpi_options_default();
    mo.shard_optimizer = shard;
    mo.bf16_gradients = bf16;
    mo.overlap_backward = overlap;
    const double few = time_epoch(comm, b, &mo, STEPS);
    const double many = time_epoch(comm, b, &mo, LOOP_BATCHES);
    return few < 0.0 || many < 0.0 ? -1.0 : (many - few) / (LOOP_BATCHES - STEPS);
}

static double time_loop(MPI_Comm comm, bench *b) { return time_loop_opts(comm, b, true, false, true); }

static double time_loop_after(MPI_Comm comm, bench *b)
{
    return time_loop_opts(comm, b, true, false, false);
}

/* The sharded step by hand, each part timed: this rank's gradient, the exchange
 * (reduce-scatter of the gradient and allgather of the parameters), the optimizer step on
 * this rank's slice. */
static void time_parts(bench *b, double parts[3])
{
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    size_t first, n, P = mlp_net_param_count(b->net);
    const size_t G = b->w->batch, out = b->w->sizes[b->w->layers];
    mlp_mpi_shard(G, rank, ranks, &first, &n);
    float *grad = mlp_workspace_gradient(b->ws);
    int *counts = malloc((size_t)ranks * sizeof *counts), *displs = malloc((size_t)ranks * sizeof *displs);
    for (int r = 0; r < ranks; r++) {
        size_t f, c;
        mlp_mpi_shard(P, r, ranks, &f, &c);
        counts[r] = (int)c;
        displs[r] = (int)f;
    }
    memset(parts, 0, 3 * sizeof *parts);
    MPI_Barrier(MPI_COMM_WORLD);
    for (int s = 0; s < STEPS; s++) {
        double t0 = MPI_Wtime();
        mlp_gradient(b->net, b->ws, b->x + first * 784, b->y + first * out, n,
                     MLP_LOSS_CROSS_ENTROPY, grad, NULL);
        double t1 = MPI_Wtime();
        MPI_Reduce_scatter(MPI_IN_PLACE, grad, counts, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        double t2 = MPI_Wtime();
        mlp_optimizer_step_range(b->opt, b->net, grad, G, (size_t)displs[rank],
                                 (size_t)counts[rank]);
        double t3 = MPI_Wtime();
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, mlp_net_params(b->net), counts,
                       displs, MPI_FLOAT, MPI_COMM_WORLD);
        double t4 = MPI_Wtime();
        parts[0] += (t1 - t0) / STEPS;
        parts[1] += (t2 - t1 + t4 - t3) / STEPS;
        parts[2] += (t3 - t2) / STEPS;
    }
    free(counts);
    free(displs);
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

/* Rank 0 alone, while the others sleep; then every rank. */
static void solo_then_all(bench *b, double (*run)(MPI_Comm, bench *), int rank, double *solo,
                          double *all)
{
    if (rank == 0) {
        *solo = run(MPI_COMM_SELF, b);
        MPI_Request req;
        MPI_Ibarrier(MPI_COMM_WORLD, &req);
        MPI_Wait(&req, MPI_STATUS_IGNORE);
    } else {
        wait_politely();
    }
    *all = run(MPI_COMM_WORLD, b);
}

enum { SOLO, ALL, LOOP_SOLO, LOOP_ALL, LOOP_AFTER_SOLO, LOOP_AFTER, LOOP_ALLREDUCE, LOOP_BF16,
       GRAD, COMM, OPT, COLUMNS };

static void run_workload(const workload *w, int windows, int rank, int ranks)
{
    bench b = {0};
    if (bench_init(&b, w) != 0) {
        fprintf(stderr, "mlp-bench-mpi: rank %d: out of memory\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double *v[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) v[c] = calloc((size_t)windows, sizeof *v[c]);
    time_steps(MPI_COMM_WORLD, &b); /* warm-up: buffers, BLAS, transport */
    for (int i = 0; i < windows; i++) {
        solo_then_all(&b, time_steps, rank, &v[SOLO][i], &v[ALL][i]);
        solo_then_all(&b, time_loop, rank, &v[LOOP_SOLO][i], &v[LOOP_ALL][i]);
        solo_then_all(&b, time_loop_after, rank, &v[LOOP_AFTER_SOLO][i], &v[LOOP_AFTER][i]);
        v[LOOP_ALLREDUCE][i] = time_loop_opts(MPI_COMM_WORLD, &b, false, false, true);
        v[LOOP_BF16][i] = time_loop_opts(MPI_COMM_WORLD, &b, true, true, true);
        double parts[3];
        time_parts(&b, parts);
        v[GRAD][i] = parts[0];
        v[COMM][i] = parts[1];
        v[OPT][i] = parts[2];
    }
    double m[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) m[c] = median(v[c], windows);
    if (rank == 0) {
        printf("%s %zu", w->name, w->sizes[0]);
        for (size_t k = 1; k <= w->layers; k++) printf("-%zu", w->sizes[k]);
        printf(" (%zu parameters), Adam, global batch %zu, 1 BLAS thread per rank, median of "
               "%d windows of %d steps\n", mlp_net_param_count(b.net), w->batch, windows, STEPS);
        printf("  step (mlp_mpi_train_step): 1 rank %.2f ms, %d ranks %.2f ms, speed-up %.2fx\n",
               1e3 * m[SOLO], ranks, 1e3 * m[ALL], m[SOLO] / m[ALL]);
        printf("  epoch loop (mlp_train + session), per batch once running (%d-batch epoch "
               "less a %d-batch one): 1 rank %.2f ms, %d ranks %.2f ms, speed-up %.2fx "
               "(sharded step, exchange overlapped with the backward pass)\n", LOOP_BATCHES,
               STEPS, 1e3 * m[LOOP_SOLO], ranks, 1e3 * m[LOOP_ALL], m[LOOP_SOLO] / m[LOOP_ALL]);
        printf("    exchange after the backward pass: 1 rank %.2f ms, %d ranks %.2f ms, "
               "speed-up %.2fx; allreduce + whole step (overlapped) %.2f ms (%.2fx); bf16 "
               "gradients (sharded, overlapped) %.2f ms (%.2fx)\n", 1e3 * m[LOOP_AFTER_SOLO],
               ranks, 1e3 * m[LOOP_AFTER], m[LOOP_AFTER_SOLO] / m[LOOP_AFTER],
               1e3 * m[LOOP_ALLREDUCE], m[LOOP_SOLO] / m[LOOP_ALLREDUCE], 1e3 * m[LOOP_BF16],
               m[LOOP_SOLO] / m[LOOP_BF16]);
        const double step = m[GRAD] + m[COMM] + m[OPT];
        double hidden = m[LOOP_AFTER] - m[LOOP_ALL];
        if (hidden < 0.0) hidden = 0.0;
        if (hidden > m[COMM]) hidden = m[COMM];
        printf("  %d ranks, a sharded step by hand on rank 0: gradient %.2f ms, exchange "
               "(reduce-scatter + allgather) %.2f ms, optimizer on the slice %.2f ms: "
               "communication %.0f%% of the step; overlap %.0f%% (%.2f of %.2f ms hidden: the "
               "loop's step after the pass less overlapped); exposed communication %.0f%% of "
               "the overlapped step\n", ranks, 1e3 * m[GRAD], 1e3 * m[COMM], 1e3 * m[OPT],
               100.0 * m[COMM] / step, m[COMM] > 0.0 ? 100.0 * hidden / m[COMM] : 0.0,
               1e3 * hidden, 1e3 * m[COMM],
               m[LOOP_ALL] > 0.0 ? 100.0 * (m[COMM] - hidden) / m[LOOP_ALL] : 0.0);
        printf("  spread of the step: 1 rank %.2f-%.2f ms, %d ranks %.2f-%.2f ms\n",
               1e3 * v[SOLO][0], 1e3 * v[SOLO][windows - 1], ranks, 1e3 * v[ALL][0],
               1e3 * v[ALL][windows - 1]);
    }
    for (int c = 0; c < COLUMNS; c++) free(v[c]);
    bench_free(&b);
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
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        run_workload(&workloads[i], windows, rank, ranks);
    MPI_Finalize();
    return 0;
}
