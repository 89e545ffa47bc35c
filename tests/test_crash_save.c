/* Crash safety of mlp_model_write_parts: a child saves two different models in turn, as fast as
 * it can, and is SIGKILLed at a random moment, again and again. After every kill the target
 * must load and be one of the two models, whole; the next save (here, in the parent) must
 * leave the directory with the target alone, no temporary file.
 * Built twice: as is (O_TMPFILE on Linux), and with CRASH_NO_TMPFILE, where open() below
 * refuses O_TMPFILE as a file system without it would, so that the named-temporary
 * fallback and its clean-up on the next save are what the kills exercise. */
#define _GNU_SOURCE /* O_TMPFILE */
#include "test_util.h"
#include "test_tmpdir.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#ifdef CRASH_NO_TMPFILE
/* Interposes libc's open for the library: O_TMPFILE fails, everything else goes through. */
int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if ((flags & O_TMPFILE) == O_TMPFILE) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}
#endif

#define KILLS 40

static mlp_net *make_net(size_t hidden, uint64_t seed)
{
    const size_t sizes[] = {64, hidden, 10};
    const mlp_activation acts[] = {MLP_ACT_RELU, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_AUTO, seed), MLP_OK);
    return net;
}

static bool same_params(const mlp_net *a, const mlp_net *b)
{
    return mlp_net_param_count(a) == mlp_net_param_count(b) &&
           memcmp(mlp_net_params_const(a), mlp_net_params_const(b),
                  mlp_net_param_count(a) * sizeof(float)) == 0;
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(kill_during_saves)
{
    char dir[64];
    tu_tmpdir_create(dir, "mlp_crash_");
    char path[128];
    snprintf(path, sizeof path, "%s/model.mlp", dir);
    /* A small and a large model (about 1 KB and 4 MB): kills land inside writes too. */
    mlp_net *a = make_net(4, 1), *b = make_net(16000, 2);
    ck_assert_int_eq(mlp_model_write_parts(path, a, NULL, NULL, 0, NULL), MLP_OK);
    uint64_t rng = 99;
    size_t left_behind = 0;
    for (int k = 0; k < KILLS; k++) {
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
            for (unsigned i = 0;; i++)
                if (mlp_model_write_parts(path, i % 2 ? b : a, NULL, NULL, i, NULL) != MLP_OK) _exit(3);
        }
        struct timespec ts = {0, (long)(tu_next(&rng) % 40000000u) + 1000000}; /* 1-41 ms */
        nanosleep(&ts, NULL);
        ck_assert_int_eq(kill(child, SIGKILL), 0);
        int status;
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert_msg(WIFSIGNALED(status), "the saving child failed (status %d)", status);
        mlp_net *back = NULL;
        mlp_error_detail detail;
        mlp_status st = mlp_model_open_parts(path, &back, NULL, NULL, NULL, &detail);
        ck_assert_msg(st == MLP_OK, "kill %d: %s (%s)", k, mlp_strerror(st), detail.message);
        ck_assert_msg(same_params(back, a) || same_params(back, b), "kill %d: a mixed model", k);
        mlp_net_free(back);
        left_behind += entries(dir) - 1;
        ck_assert_int_eq(mlp_model_write_parts(path, k % 2 ? a : b, NULL, NULL, 0, NULL), MLP_OK);
        ck_assert_msg(entries(dir) == 1, "kill %d: a temporary file outlived the next save", k);
    }
    printf("crash_save: %d kills, %zu temporary files left by them, none after the next save\n",
           KILLS, left_behind);
    mlp_net_free(a);
    mlp_net_free(b);
    tu_tmpdir_remove(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crash_save");
    TCase *tc = tcase_create("crash_save");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kill_during_saves);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
