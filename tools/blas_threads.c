/* OpenBLAS threads, started only by the commands that compute, and only as many as the
 * machine and the process limits allow.
 *
 * OpenBLAS (pthreads build) starts its worker threads when the library is loaded, before
 * main, unless OPENBLAS_NUM_THREADS (or GOTO_/OMP_NUM_THREADS) says otherwise. Under a low
 * address-space limit (ulimit -v) such a worker retries the mmap of its buffer forever and
 * the process hangs at exit; under a low process limit the workers that could not start
 * crash OpenBLAS's shutdown. So `mlp` re-executes itself once with OPENBLAS_NUM_THREADS=1
 * when none of these is set, and raises the count (mlp_set_threads) right before the
 * first computation, after checking that the threads and their buffers fit. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEFER_MARK "MLP_TOOL_DEFERRED_BLAS_THREADS"

/* OpenBLAS 0.3.21 maps one buffer of 128 MiB per thread at its first BLAS call
 * (BUFFER_SIZE on x86-64; strace shows it); a worker also has an 8 MiB stack and may get a
 * 64 MiB malloc arena. SLACK leaves room for what mlp_train allocates before its first
 * BLAS call (a check, not a guarantee: a limit just above this can still hang OpenBLAS). */
#define BLAS_BUFFER_BYTES ((size_t)128 << 20)
#define WORKER_EXTRA_BYTES ((size_t)72 << 20)
#define SLACK_BYTES ((size_t)64 << 20)

static bool deferred; /* this process started OpenBLAS with one thread */

void cli_blas_defer(char **argv)
{
    if (getenv(DEFER_MARK)) { /* the re-executed process */
        deferred = true;
        unsetenv(DEFER_MARK);
        unsetenv("OPENBLAS_NUM_THREADS");
        return;
    }
    /* oneDNN (the bf16 GEMMs) runs on OpenMP, whose idle threads spin by default: on a
     * loaded machine a bf16 epoch of the demo took 32-37 s that way and 0.5-0.7 s with
     * PASSIVE. Unless the user chose, they sleep; libgomp reads it when it is loaded, before
     * main, so it too needs the re-execution. */
    const bool omp = !getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0;
    if (getenv("OPENBLAS_NUM_THREADS") || getenv("GOTO_NUM_THREADS") ||
        getenv("OMP_NUM_THREADS")) { /* the user chose: OpenBLAS has done what they asked */
        if (omp) {
            fflush(NULL);
            execv("/proc/self/exe", argv);
            unsetenv("OMP_WAIT_POLICY");
        }
        return;
    }
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0 || setenv(DEFER_MARK, "1", 1) != 0)
        return;
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* No /proc: carry on with the threads OpenBLAS started. */
    unsetenv(DEFER_MARK);
    unsetenv("OPENBLAS_NUM_THREADS");
}

int cli_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *idle_thread(void *arg) { return arg; }

/* How many of n threads can start now (the process limit), at least 1. Probed only under
 * a finite RLIMIT_NPROC: every probe thread costs a malloc arena of address space. */
static int threads_startable(int n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return n;
    pthread_t t[256];
    int made = 0;
    while (made < n - 1 && made < 256 && pthread_create(&t[made], NULL, idle_thread, NULL) == 0)
        made++;
    for (int i = 0; i < made; i++) pthread_join(t[i], NULL);
    return made + 1;
}

/* Whether n threads' buffers fit in the address space (ulimit -v). */
static bool buffers_fit(int n)
{
    size_t len = (size_t)n * BLAS_BUFFER_BYTES + (size_t)(n - 1) * WORKER_EXTRA_BYTES +
                 SLACK_BYTES;
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    munmap(p, len);
    return true;
}

int cli_blas_start(const char *cmd, int requested)
{
    int cores = cli_cpu_count();
    int n = requested > 0 ? requested : deferred ? cores : mlp_threads();
    if (n > cores) {
        if (requested > 0)
            fprintf(stderr, "mlp %s: --threads %d: capped to the %d core%s of this machine\n",
                    cmd, requested, cores, cores == 1 ? "" : "s");
        n = cores;
    }
    if (n < 1) n = 1;
    if (!buffers_fit(1)) {
        cli_error("the address-space limit (ulimit -v) leaves no room for the %zu MiB buffer "
                  "of OpenBLAS, which would hang retrying it: raise the limit",
                  BLAS_BUFFER_BYTES >> 20);
        return CLI_DATA_ERROR;
    }
    int fit = n;
    while (fit > 1 && !buffers_fit(fit)) fit--;
    if (fit > 1) fit = threads_startable(fit);
    if (fit < n) {
        fprintf(stderr, "mlp %s: using %d BLAS thread%s: the process limits leave no room "
                        "for %d\n", cmd, fit, fit == 1 ? "" : "s", n);
        n = fit;
    }
    if (n != mlp_threads() && mlp_set_threads(n) != MLP_OK) {
        cli_error("cannot start %d BLAS threads", n);
        return CLI_DATA_ERROR;
    }
    return CLI_OK;
}
