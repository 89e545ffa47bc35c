/* Opt-in tests that need most of the machine's memory (MLP_LARGE_TESTS=1; `meson test
 * --suite large`). Elsewhere they are a skip (exit 77), so two builds can test side by side
 * on one machine. Each says what it costs and checks that it costs no more. */
#include <mlp.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKIP 77

static size_t proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t kb = 0, n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && sscanf(line + n, ": %zu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

static size_t mem_available_kb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    size_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

#define FAIL(...) (fprintf(stderr, "FAIL sgd_beyond_int_max: " __VA_ARGS__), 1)

/* Plain SGD on a vector of more than INT_MAX floats (BLAS counts are int): the first and the
 * last parameter are updated. The parameters serve as their own gradient (p <- p - lr p), so
 * the test holds one 8.6 GB vector, and its peak resident memory must stay near that. */
static int sgd_beyond_int_max(void)
{
    static const size_t sizes[] = {65536, 32769}; /* 2^31 + 2^16 weights */
    static const mlp_activation acts[] = {MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    if (mlp_net_create(&net, 1, sizes, acts, MLP_BIAS_NONE) != MLP_OK)
        return FAIL("mlp_net_create\n");
    size_t n = mlp_net_param_count(net);
    if (n <= (size_t)INT_MAX) return FAIL("only %zu parameters\n", n);
    float *p = mlp_net_params(net);
    p[0] = 1.0f;
    p[n - 1] = 1.0f;
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_SGD);
    c.learning_rate = 0.25f;
    mlp_optimizer *opt = NULL;
    int failed = mlp_optimizer_create(&opt, net, &c) != MLP_OK ? FAIL("optimizer\n") : 0;
    if (!failed && mlp_optimizer_step(opt, net, p, 1) != MLP_OK) failed = FAIL("step\n");
    if (!failed && (p[0] != 0.75f || p[n - 1] != 0.75f))
        failed = FAIL("p[0] = %g, p[n-1] = %g, want 0.75\n", p[0], p[n - 1]);
    size_t vector_kb = n * sizeof(float) / 1024, peak_kb = proc_status_kb("VmHWM");
    printf("sgd_beyond_int_max: %zu parameters (%.1f GB), peak resident %.1f GB\n", n,
           (double)vector_kb / 1048576.0 * 1.073741824, (double)peak_kb / 1048576.0 * 1.073741824);
    if (!failed && peak_kb > vector_kb + vector_kb / 10)
        failed = FAIL("peak resident memory %zu kB is more than 1.1x the vector's %zu kB\n",
                      peak_kb, vector_kb);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    return failed;
}

int main(void)
{
    const char *on = getenv("MLP_LARGE_TESTS");
    if (!on || strcmp(on, "1") != 0) {
        printf("SKIP: the large-memory tests run with MLP_LARGE_TESTS=1 (about 9 GB)\n");
        return SKIP;
    }
#if defined(__SANITIZE_ADDRESS__)
    printf("SKIP: too slow under AddressSanitizer\n");
    return SKIP;
#endif
    if (mem_available_kb() < (size_t)10 << 20) {
        printf("SKIP: under 10 GiB of memory available\n");
        return SKIP;
    }
    return sgd_beyond_int_max();
}
