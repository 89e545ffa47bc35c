/* The library as shipped reads no environment variable: MLP_KERNELS and MLP_ENGINE_OFF,
 * which the test-control build takes (lib/engine/engine_control.c), change nothing here
 * (this suite links the shipped static library). */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "engine/kernels.h"

#include <check.h>
#include <stdlib.h>

START_TEST(environment_ignored)
{
    static const size_t sz[] = {4, 8, 2};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sz, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    mlp_workspace *plain = NULL, *forced = NULL;
    unsetenv("MLP_KERNELS");
    unsetenv("MLP_ENGINE_OFF");
    ck_assert_int_eq(mlp_workspace_create(&plain, net, 1), MLP_OK);
    setenv("MLP_KERNELS", "blas", 1);
    setenv("MLP_ENGINE_OFF", "tiny,fuse,split,blas", 1);
    ck_assert_int_eq(mlp_workspace_create(&forced, net, 1), MLP_OK);
    ck_assert_ptr_eq(forced->plan.hand, plain->plan.hand);
    ck_assert_ptr_eq(forced->plan.hand, mlp_kernels_select(NULL));
    ck_assert(!forced->plan.no_tiny && !forced->plan.no_fuse && !forced->plan.no_split &&
              !forced->plan.no_blas);
    ck_assert_int_eq(forced->plan.tiny, plain->plan.tiny);
    mlp_workspace_free(plain);
    mlp_workspace_free(forced);
    mlp_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_control");
    TCase *tc = tcase_create("engine_control");
    tcase_add_test(tc, environment_ignored);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
