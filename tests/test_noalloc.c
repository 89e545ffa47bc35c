/* Proves that mlp_forward, mlp_gradient and mlp_train_step allocate nothing once the
 * workspace and the optimizer exist: malloc and friends are interposed in this executable
 * and counted while a flag is set. Plain main (no Check): exit 0 pass, 1 fail, 77 skip. */
#include "mlp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define NOALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOALLOC_SKIP 1
#endif
#endif

#ifndef NOALLOC_SKIP
/* glibc's own allocator entry points, under the names it exports for this purpose. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t size);

static volatile int counting;
static volatile size_t allocations, frees;

void *malloc(size_t size)
{
    if (counting) allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (counting) allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    if (counting) allocations++;
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (counting && p) frees++;
    __libc_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    if (counting) allocations++;
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    if (counting) allocations++;
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
    if (counting) allocations++;
    return __libc_memalign(alignment, size);
}

static void count_start(void)
{
    allocations = frees = 0;
    counting = 1;
}

static size_t count_stop(void)
{
    counting = 0;
    return allocations + frees;
}

enum { N_IN = 20, N_OUT = 10, MAX_B = 32 };
static const size_t sizes[] = {N_IN, 64, 32, N_OUT};
static const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_TANH, MLP_ACT_SOFTMAX};
static float x[MAX_B * N_IN], y[MAX_B * N_OUT], out[MAX_B * N_OUT], grad[8192];

static int failures;

static void fill(void)
{
    for (size_t i = 0; i < MAX_B * N_IN; i++) x[i] = (float)((i * 37 % 101) / 50.0 - 1.0);
    for (size_t r = 0; r < MAX_B; r++)
        for (size_t j = 0; j < N_OUT; j++) y[r * N_OUT + j] = (float)(j == r % N_OUT);
}

static mlp_net *new_net(void)
{
    mlp_net *net = NULL;
    if (mlp_net_create(&net, 3, sizes, acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(net, MLP_INIT_AUTO, 5) != MLP_OK) {
        printf("FAIL: cannot create the net\n");
        exit(1);
    }
    return net;
}

static void expect(const char *what, mlp_status st, size_t calls)
{
    if (st != MLP_OK) {
        printf("FAIL %-60s status %s\n", what, mlp_strerror(st));
        failures++;
    } else if (calls) {
        printf("FAIL %-60s %zu allocator calls\n", what, calls);
        failures++;
    } else {
        printf("ok   %s\n", what);
    }
}

/* Runs every call once on a throwaway net so that OpenBLAS's own lazy buffers exist. */
static void warm_up(mlp_optimizer_kind kind)
{
    mlp_net *net = new_net();
    mlp_workspace *ws = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    mlp_workspace_create(&ws, net, MAX_B);
    mlp_optimizer_create(&opt, net, &oc);
    for (size_t b = 1; b <= MAX_B; b += MAX_B - 1) {
        mlp_forward(net, ws, x, b, out);
        mlp_gradient(net, ws, x, y, b, MLP_LOSS_CROSS_ENTROPY, grad, NULL);
        mlp_train_step(net, ws, opt, x, y, b, MLP_LOSS_CROSS_ENTROPY, NULL);
    }
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}

static void run_case(mlp_optimizer_kind kind, size_t batch, float dropout)
{
    char what[128];
    const char *name = kind == MLP_OPT_SGD ? "sgd" : "adam";
    mlp_net *net = new_net();
    mlp_workspace *ws = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    if (mlp_workspace_create(&ws, net, MAX_B) != MLP_OK || mlp_optimizer_create(&opt, net, &oc) != MLP_OK ||
        (dropout > 0 && mlp_workspace_set_dropout(ws, dropout, 9) != MLP_OK)) {
        printf("FAIL: cannot create the workspace/optimizer\n");
        exit(1);
    }
    mlp_status st = MLP_OK;
    double loss;
    /* the very first calls on the fresh workspace and optimizer count too */
    count_start();
    for (int i = 0; i < 5 && st == MLP_OK; i++)
        st = mlp_train_step(net, ws, opt, x, y, batch, MLP_LOSS_CROSS_ENTROPY, &loss);
    size_t calls = count_stop();
    snprintf(what, sizeof what, "mlp_train_step x5, %s, batch %zu, dropout %.1f", name, batch,
             (double)dropout);
    expect(what, st, calls);

    count_start();
    for (int i = 0; i < 5 && st == MLP_OK; i++) st = mlp_forward(net, ws, x, batch, out);
    calls = count_stop();
    snprintf(what, sizeof what, "mlp_forward x5, batch %zu, dropout %.1f", batch, (double)dropout);
    expect(what, st, calls);

    count_start();
    for (int i = 0; i < 5 && st == MLP_OK; i++) {
        st = mlp_gradient(net, ws, x, y, batch, MLP_LOSS_CROSS_ENTROPY, grad, &loss);
        if (st == MLP_OK)
            st = mlp_gradient_accumulate(net, ws, x, y, batch, MLP_LOSS_CROSS_ENTROPY, grad, &loss);
    }
    calls = count_stop();
    snprintf(what, sizeof what, "mlp_gradient/_accumulate x5, batch %zu, dropout %.1f", batch,
             (double)dropout);
    expect(what, st, calls);

    count_start();
    for (int i = 0; i < 5 && st == MLP_OK; i++) st = mlp_optimizer_step(opt, net, grad, batch);
    calls = count_stop();
    snprintf(what, sizeof what, "mlp_optimizer_step x5, %s", name);
    expect(what, st, calls);

    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}

/* One-record SGD with the workspace's worker threads on a net with a large layer: the
 * workers allocate nothing either (the interposer counts every thread). */
static void run_threads_case(void)
{
    static const size_t big[] = {300, 256, 10};
    static const mlp_activation big_acts[] = {MLP_ACT_SIGMOID, MLP_ACT_SOFTMAX};
    static float bx[300], by[10] = {1};
    for (size_t i = 0; i < 300; i++) bx[i] = (float)((i * 37 % 101) / 50.0 - 1.0);
    mlp_net *net = NULL;
    mlp_workspace *ws = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_SGD);
    if (mlp_net_create(&net, 2, big, big_acts, MLP_BIAS_PER_NEURON) != MLP_OK ||
        mlp_net_init(net, MLP_INIT_AUTO, 5) != MLP_OK || mlp_workspace_create(&ws, net, 1) != MLP_OK ||
        mlp_workspace_set_threads(ws, 2) != MLP_OK || mlp_optimizer_create(&opt, net, &oc) != MLP_OK) {
        printf("FAIL: cannot create the threaded workspace\n");
        exit(1);
    }
    mlp_status st = MLP_OK;
    double loss;
    count_start();
    for (int i = 0; i < 50 && st == MLP_OK; i++)
        st = mlp_train_step(net, ws, opt, bx, by, 1, MLP_LOSS_CROSS_ENTROPY, &loss);
    size_t calls = count_stop();
    expect("mlp_train_step x50, sgd, batch 1, 2 workspace threads", st, calls);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}

/* bf16 mixed precision (noalloc_bf16; main skips it where unsupported): the primitives for the workspace's
 * maximum batch are made by mlp_workspace_set_precision, but oneDNN's execute call builds
 * an argument map and its scratch memory on the heap every time (about 30 allocations per
 * call here): the promise for bf16 is weaker, nothing kept, every allocation of a call freed
 * within it (the count checked is allocations not freed), so memory does not grow. */
static void run_bf16_case(mlp_optimizer_kind kind)
{
    const char *name = kind == MLP_OPT_SGD ? "sgd" : "adam";
    char what[128];
    mlp_net *net = new_net();
    mlp_workspace *ws = NULL;
    mlp_optimizer *opt = NULL;
    mlp_optimizer_config oc = mlp_optimizer_config_default(kind);
    if (mlp_workspace_create(&ws, net, MAX_B) != MLP_OK ||
        mlp_workspace_set_precision(ws, MLP_PRECISION_BF16) != MLP_OK ||
        mlp_optimizer_create(&opt, net, &oc) != MLP_OK) {
        printf("FAIL: cannot create the bf16 workspace/optimizer\n");
        exit(1);
    }
    double loss;
    mlp_status st = mlp_train_step(net, ws, opt, x, y, MAX_B, MLP_LOSS_CROSS_ENTROPY, &loss);
    if (st == MLP_OK) st = mlp_forward(net, ws, x, MAX_B, out);
    count_start();
    for (int i = 0; i < 5 && st == MLP_OK; i++) {
        st = mlp_train_step(net, ws, opt, x, y, MAX_B, MLP_LOSS_CROSS_ENTROPY, &loss);
        if (st == MLP_OK) st = mlp_forward(net, ws, x, MAX_B, out);
        if (st == MLP_OK)
            st = mlp_gradient(net, ws, x, y, MAX_B, MLP_LOSS_CROSS_ENTROPY, grad, &loss);
    }
    count_stop();
    const size_t kept = allocations - frees;
    snprintf(what, sizeof what, "bf16: mlp_train_step/_forward/_gradient x5, %s, batch %d "
             "(%zu made and freed)", name, (int)MAX_B, frees);
    expect(what, st, kept);
    mlp_optimizer_free(opt);
    mlp_workspace_free(ws);
    mlp_net_free(net);
}

/* The interposer itself works: a malloc while counting is seen. */
static void self_test(void)
{
    count_start();
    void *volatile p = malloc(16);
    free(p);
    size_t calls = count_stop();
    if (calls != 2) {
        printf("FAIL: the malloc interposer saw %zu calls instead of 2\n", calls);
        exit(1);
    }
}

/* Two meson tests share this executable: `noalloc` (no argument) runs the fp32 cases;
 * `noalloc_bf16` (argument "bf16") the bf16 ones, a skip (77) where the build or the CPU has
 * no bf16. */
int main(int argc, char **argv)
{
    const bool bf16 = argc > 1 && strcmp(argv[1], "bf16") == 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    if (bf16 && mlp_precision_supported(MLP_PRECISION_BF16, NULL) != MLP_OK) {
        printf("SKIP: this build or CPU has no bf16\n");
        return 77;
    }
    self_test();
    if (mlp_set_threads(1) != MLP_OK) {
        printf("FAIL: mlp_set_threads(1)\n");
        return 1;
    }
    fill();
    static const mlp_optimizer_kind kinds[] = {MLP_OPT_SGD, MLP_OPT_ADAM};
    for (size_t k = 0; k < 2; k++) warm_up(kinds[k]);
    if (bf16) {
        run_bf16_case(MLP_OPT_SGD);
        run_bf16_case(MLP_OPT_ADAM);
    } else {
        static const size_t batches[] = {1, 32};
        for (size_t k = 0; k < 2; k++)
            for (size_t b = 0; b < 2; b++) run_case(kinds[k], batches[b], 0.0f);
        run_case(MLP_OPT_ADAM, 32, 0.3f);
        run_case(MLP_OPT_SGD, 1, 0.3f);
        run_threads_case();
    }
    printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
    return failures ? 1 : 0;
}

#else
int main(void)
{
    printf("SKIP: malloc interposition is not possible under AddressSanitizer\n");
    return 77;
}
#endif
