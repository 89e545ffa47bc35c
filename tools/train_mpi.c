/* `mlp train --mpi`: every rank runs the same command on the same data; mlp_mpi_train
 * splits each batch over them. Rank 0 alone talks to the user and writes files. */
#include "train_mpi.h"

#include <fcntl.h>
#include <limits.h>
#include <mlp_mpi.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct {
    bool active;
    int rank, size;
    FILE *captured; /* this rank's stderr (ranks other than 0) */
    mlp_mpi_session *session; /* the communicator with the watchdog */
} mpi;

/* Seconds a rank waits for the others before the watchdog ends the job: MLP_MPI_TIMEOUT
 * (0 waits for ever), else this. Long enough for rank 0's per-epoch evaluation and its
 * model file, short enough that a stopped rank does not hold the others for long. */
#define DEFAULT_TIMEOUT 60.0

static double watchdog_seconds(void)
{
    const char *v = getenv("MLP_MPI_TIMEOUT");
    if (!v || !*v) return DEFAULT_TIMEOUT;
    char *end;
    double t = strtod(v, &end);
    return *end == '\0' && t >= 0.0 && t < 1e9 ? t : -1.0;
}

/* MLP_MPI_GRADIENTS: "bf16" sends the gradient in bfloat16 (mlp_mpi_options.bf16_gradients),
 * "float" or unset keeps it float; anything else: -1. */
static int bf16_gradients_wanted(void)
{
    const char *v = getenv("MLP_MPI_GRADIENTS");
    if (!v || !*v || strcmp(v, "float") == 0) return 0;
    return strcmp(v, "bf16") == 0 ? 1 : -1;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

/* Under mpirun Ctrl-C reaches mpirun only (each rank has its own process group): mpirun
 * sends every rank SIGTERM odls_base_sigkill_timeout seconds later, then SIGKILL as long
 * again after that, and it forwards SIGUSR1 as it is. Both stop training the way Ctrl-C
 * does: the ranks agree to stop at the end of the epoch, and rank 0 saves the model when
 * it has the time (docs/mpi.md). */
static void install_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_flags = (int)SA_RESETHAND; /* a second SIGTERM ends the process */
    sigaction(SIGTERM, &sa, NULL);
}

bool train_mpi_wanted(const train_options *o)
{
    return o->mpi || getenv("OMPI_COMM_WORLD_SIZE") != NULL;
}

/* Ranks sharing this host: the cores are split among them. */
static int ranks_on_this_host(void)
{
    MPI_Comm local;
    int n = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) ==
        MPI_SUCCESS) {
        MPI_Comm_size(local, &n);
        MPI_Comm_free(&local);
    }
    return n;
}

/* stderr into a temporary file, to hand a failure's message to rank 0; stdout discarded. */
static void mute(void)
{
    fflush(stdout);
    fflush(stderr);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    mpi.captured = tmpfile();
    if (mpi.captured) dup2(fileno(mpi.captured), STDERR_FILENO);
}

int train_mpi_start(train_options *o)
{
    int argc = 0;
    char **argv = NULL;
    if (MPI_Init(&argc, &argv) != MPI_SUCCESS) {
        cli_error("--mpi: MPI_Init failed");
        return CLI_DATA_ERROR;
    }
    mpi.active = true;
    install_stop_signals();
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi.size);
    /* refused before any data is read, by rank 0 alone: one line, not one per rank */
    const char *refused = NULL;
    if (o->precision != MLP_PRECISION_FP32)
        refused = "--precision bf16 does not work with --mpi: data-parallel training runs in "
                  "fp32 (drop --precision, or train without mpirun)";
    mlp_mpi_options mo = mlp_mpi_options_default();
    mo.timeout_seconds = watchdog_seconds();
    if (!refused && mo.timeout_seconds < 0.0)
        refused = "MLP_MPI_TIMEOUT must be a number of seconds >= 0 (0 waits for ever)";
    const int bf16 = bf16_gradients_wanted();
    if (!refused && bf16 < 0)
        refused = "MLP_MPI_GRADIENTS must be 'bf16' or 'float' (the default)";
    mo.bf16_gradients = bf16 == 1;
    mlp_error_detail d = {0};
    if (!refused && mlp_mpi_session_create(&mpi.session, MPI_COMM_WORLD, &mo, &d) != MLP_OK)
        refused = d.message;
    if (refused) {
        if (mpi.rank == 0) cli_error("%s", refused);
        MPI_Finalize();
        mpi.active = false;
        return CLI_USAGE_ERROR;
    }
    if (o->threads == 0) { /* ranks x threads within this host's cores */
        int per_rank = cli_cpu_count() / ranks_on_this_host();
        o->threads = per_rank < 1 ? 1 : per_rank;
    }
    if (mpi.rank != 0) {
        o->quiet = true;
        o->out = o->curve = o->plot = NULL;
        o->no_save = true;
        mute();
    }
    return CLI_OK;
}

/* The last line this rank wrote on stderr (its error message), without "mlp: ". */
static void captured_message(char *buf, size_t size)
{
    buf[0] = '\0';
    if (!mpi.captured) return;
    fflush(stderr);
    if (fseek(mpi.captured, 0, SEEK_END) != 0) return;
    long end = ftell(mpi.captured);
    if (end <= 0) return;
    long from = end > (long)size - 1 ? end - (long)size + 1 : 0;
    if (fseek(mpi.captured, from, SEEK_SET) != 0) return;
    size_t n = fread(buf, 1, size - 1, mpi.captured);
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\n') buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    if (line) memmove(buf, line + 1, strlen(line + 1) + 1);
    if (strncmp(buf, "mlp: ", 5) == 0) memmove(buf, buf + 5, strlen(buf + 5) + 1);
}

int train_mpi_agree(int rc)
{
    if (!mpi.active) return rc;
    /* every rank's arrival within the watchdog's time, then the exchange */
    (void)mlp_mpi_session_agree(mpi.session, MLP_OK, NULL, NULL, NULL);
    int mine = rc != CLI_OK ? mpi.rank : INT_MAX, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (first == INT_MAX) return CLI_OK;
    struct { int rc; char message[1024]; } m = {rc, ""};
    if (mpi.rank == first) captured_message(m.message, sizeof m.message);
    MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, first, MPI_COMM_WORLD);
    if (mpi.rank == 0 && first != 0) /* rank 0's own message is out already */
        cli_error("rank %d of %d: %s", first, mpi.size,
                  m.message[0] ? m.message : "failed (no message)");
    return m.rc;
}

mlp_status train_mpi_train(mlp_net *net, mlp_optimizer *opt, const float *inputs,
                           const float *targets, size_t count, const float *val_inputs,
                           const float *val_targets, size_t val_count,
                           const mlp_train_config *cfg, mlp_train_result *result, FILE *report)
{
    size_t global = cfg->batch_size == 0 || cfg->batch_size > count ? count : cfg->batch_size;
    size_t most;
    mlp_mpi_shard(global, 0, mpi.size, NULL, &most);
    fprintf(report, "mpi: %d rank%s, global batch %zu (up to %zu records per rank), %d BLAS "
                    "thread%s per rank%s\n", mpi.size, mpi.size == 1 ? "" : "s", global, most,
            mlp_get_threads(), mlp_get_threads() == 1 ? "" : "s",
            bf16_gradients_wanted() == 1 && mpi.size > 1
                ? ", gradients exchanged in bf16 (MLP_MPI_GRADIENTS)"
                : "");
    fflush(report);
    mlp_error_detail detail = {0};
    mlp_train_config c = *cfg;
    mlp_mpi_train_config_attach(&c, mpi.session);
    mlp_status st = mlp_train_ex(net, opt, inputs, targets, count, val_inputs, val_targets,
                                 val_count, &c, result, &detail);
    /* the one line of a failure (the caller reports divergence in its own words) */
    if (st != MLP_OK && st != MLP_ERR_DIVERGED)
        cli_error("training: %s", detail.message[0] ? detail.message : mlp_strerror(st));
    return st;
}

int train_mpi_finish(int rc)
{
    if (!mpi.active) return rc;
    /* Every rank gets here, also one that failed after training (rank 0 writing its
     * files): one more agreement gives all the same exit status and message. A rank that
     * dies instead makes mpirun end the others (a process gone without MPI_Finalize). */
    rc = train_mpi_agree(rc);
    mlp_mpi_session_free(mpi.session);
    MPI_Finalize();
    return rc;
}
