/* Config structs carry struct_size: a struct of the first (0.1) layout, in a buffer of
 * exactly that size (as a program compiled against that header holds it), is accepted and
 * read no further (ASan checks the bound); a struct_size below it (a zeroed struct) or
 * above this library's (a newer header) is refused with a message. */
#include "test_util.h"

#include <check.h>
#include <stddef.h>
#include <string.h>

/* The end of the last field of each struct's 0.1 layout. */
#define TRAIN_V1 (offsetof(mlp_train_config, threads) + sizeof(int))
#define OPT_V1 (offsetof(mlp_optimizer_config, min_learning_rate) + sizeof(float))
#define CSV_V1 (offsetof(mlp_csv_options, delimiter) + sizeof(char))
#define MODEL_V1 (offsetof(mlp_model_config, optimizer) + OPT_V1)

/* A copy of the first `size` bytes of src in a buffer of exactly that size, struct_size set. */
static void *old_sized(const void *src, size_t size)
{
    unsigned char *p = malloc(size);
    ck_assert_ptr_nonnull(p);
    memcpy(p, src, size);
    memcpy(p, &size, sizeof size);
    return p;
}

static const size_t sizes[] = {2, 6, 2};
static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};

START_TEST(defaults_carry_their_size)
{
    ck_assert_uint_eq(mlp_train_config_default().struct_size, sizeof(mlp_train_config));
    ck_assert_uint_eq(mlp_optimizer_config_default(MLP_OPT_ADAM).struct_size,
                      sizeof(mlp_optimizer_config));
    ck_assert_uint_eq(mlp_csv_options_default().struct_size, sizeof(mlp_csv_options));
    mlp_model_config mc = mlp_model_config_default();
    ck_assert_uint_eq(mc.struct_size, sizeof(mlp_model_config));
    ck_assert_uint_eq(mc.optimizer.struct_size, sizeof(mlp_optimizer_config));
    ck_assert_uint_le(TRAIN_V1, sizeof(mlp_train_config));
}
END_TEST

START_TEST(train_and_optimizer_configs)
{
    float x[16 * 2], y[16 * 2];
    uint64_t s = 4;
    tu_fill_uniform(&s, x, 32, -1, 1);
    tu_fill_distributions(&s, y, 16, 2);
    mlp_net *a, *b;
    ck_assert_int_eq(mlp_net_create(&a, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(a, MLP_INIT_GLOROT, 2), MLP_OK);
    ck_assert_int_eq(mlp_net_clone(&b, a), MLP_OK);
    mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    oc.learning_rate = 0.03f;
    mlp_optimizer_config *old_oc = old_sized(&oc, OPT_V1);
    mlp_optimizer *oa, *ob;
    mlp_error_detail d = {0, 0, ""};
    ck_assert_int_eq(mlp_optimizer_create_ex(&oa, a, &oc, &d), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create_ex(&ob, b, old_oc, &d), MLP_OK);
    /* the optimizer keeps the config at the library's size */
    ck_assert_uint_eq(mlp_optimizer_settings(ob)->struct_size, sizeof(mlp_optimizer_config));
    ck_assert(mlp_optimizer_settings(ob)->learning_rate == 0.03f);

    mlp_train_config tc = mlp_train_config_default();
    tc.epochs = 3;
    tc.batch_size = 4;
    mlp_train_config *old_tc = old_sized(&tc, TRAIN_V1);
    ck_assert_int_eq(mlp_train_ex(a, oa, x, y, 16, NULL, NULL, 0, &tc, NULL, &d), MLP_OK);
    ck_assert_int_eq(mlp_train_ex(b, ob, x, y, 16, NULL, NULL, 0, old_tc, NULL, &d), MLP_OK);
    ck_assert_uint_eq(tu_first_diff(mlp_net_params_const(a), mlp_net_params_const(b),
                                    mlp_net_param_count(a)), mlp_net_param_count(a));

    /* zeroed (not from _default) and too new: refused, naming the field and the cause */
    mlp_train_config zero;
    memset(&zero, 0, sizeof zero);
    zero.epochs = 3;
    ck_assert_int_eq(mlp_train_ex(a, oa, x, y, 16, NULL, NULL, 0, &zero, NULL, &d),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "config->struct_size is 0"));
    ck_assert_ptr_nonnull(strstr(d.message, "sizeof(mlp_train_config)"));
    mlp_train_config big = tc;
    big.struct_size = sizeof big + 8;
    ck_assert_int_eq(mlp_train(a, oa, x, y, 16, NULL, NULL, 0, &big, NULL), MLP_ERR_INVALID_ARG);
    ck_assert_int_eq(mlp_train_ex(a, oa, x, y, 16, NULL, NULL, 0, &big, NULL, &d),
                     MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "newer mlp.h"));
    mlp_optimizer *oc2 = NULL;
    oc.struct_size = OPT_V1 - 1;
    ck_assert_int_eq(mlp_optimizer_create_ex(&oc2, a, &oc, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "mlp_optimizer_config"));
    ck_assert_ptr_null(oc2);
    free(old_oc);
    free(old_tc);
    mlp_optimizer_free(oa);
    mlp_optimizer_free(ob);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

START_TEST(csv_and_model_configs)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    fputs("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", f);
    rewind(f);
    mlp_csv_options o = mlp_csv_options_default();
    mlp_csv_options *old_o = old_sized(&o, CSV_V1);
    mlp_dataset *ds = NULL;
    mlp_error_detail d = {0, 0, ""};
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&ds, f, "t.csv", old_o, &d), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(ds), 4);
    o.struct_size = 0;
    rewind(f);
    mlp_dataset *none = NULL;
    ck_assert_int_eq(mlp_dataset_open_csv_stream(&none, f, "t.csv", &o, &d), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(d.message, "options->struct_size"));
    ck_assert_ptr_null(none);

    mlp_model_config mc = mlp_model_config_default();
    mlp_model_config *old_mc = old_sized(&mc, MODEL_V1);
    mlp_model *m = NULL;
    ck_assert_int_eq(mlp_model_build(&m, ds, old_mc), MLP_OK);
    mlp_model_free(m);
    m = NULL;
    mc.struct_size = sizeof mc + 1;
    ck_assert_int_eq(mlp_model_build(&m, ds, &mc), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    mc = mlp_model_config_default();
    mc.optimizer.struct_size = 0; /* the nested config is checked as well */
    ck_assert_int_eq(mlp_model_build(&m, ds, &mc), MLP_ERR_INVALID_ARG);
    ck_assert_ptr_null(m);
    free(old_o);
    free(old_mc);
    mlp_dataset_free(ds);
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config_size");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_carry_their_size);
    tcase_add_test(tc, train_and_optimizer_configs);
    tcase_add_test(tc, csv_and_model_configs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
