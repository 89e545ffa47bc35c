/* The names from before mlp.h's naming rule still work, exported, each as the call it now
 * names (they are deprecated: this file defines MLP_NO_DEPRECATION_WARNINGS to call them
 * quietly), and mlp.h compiles without mlp_advanced.h (tests/header_alone.c). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, fmemopen */
#define MLP_NO_DEPRECATION_WARNINGS
#include "mlp.h"
#include "test_tmpdir.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmp[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static const char csv[] = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n";

START_TEST(net_and_optimizer_names)
{
    size_t sizes[] = {3, 4, 2};
    mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_SOFTMAX};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_uint_eq(mlp_param_count(net), mlp_net_param_count(net));
    ck_assert_uint_eq(mlp_net_param_count(net), 4 * 3 + 4 + 2 * 4 + 2);
    ck_assert_int_eq(mlp_get_threads(), mlp_threads());
    uint64_t a[MLP_RNG_STATE_WORDS], b[MLP_RNG_STATE_WORDS];
    mlp_net_seed(net, 42);
    mlp_net_get_rng_state(net, a);
    mlp_net_rng_state(net, b);
    ck_assert(memcmp(a, b, sizeof a) == 0);
    mlp_optimizer_config cfg = mlp_optimizer_config_default(MLP_OPT_ADAM);
    mlp_optimizer *opt = NULL;
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &cfg), MLP_OK);
    ck_assert_ptr_eq(mlp_optimizer_get_config(opt), mlp_optimizer_settings(opt));
    ck_assert_int_eq(mlp_optimizer_settings(opt)->kind, MLP_OPT_ADAM);

    /* the model file pair: old save, new open; new write, old load; the images agree */
    char path[128];
    snprintf(path, sizeof path, "%s/net.mlp", tmp);
    ck_assert_int_eq(mlp_model_save(path, net, NULL, opt, 3, NULL), MLP_OK);
    mlp_net *back = NULL;
    mlp_model_info info;
    ck_assert_int_eq(mlp_model_open_parts(path, &back, NULL, NULL, &info, NULL), MLP_OK);
    ck_assert_uint_eq(info.epoch, 3);
    mlp_net_free(back);
    back = NULL;
    ck_assert_int_eq(mlp_model_write_parts(path, net, NULL, NULL, 4, NULL), MLP_OK);
    ck_assert_int_eq(mlp_model_load(path, &back, NULL, NULL, &info, NULL), MLP_OK);
    ck_assert_uint_eq(info.epoch, 4);
    mlp_net_free(back);
    void *old_image = NULL, *new_image = NULL;
    size_t old_size = 0, new_size = 0, sized = 0, written = 0;
    ck_assert_int_eq(mlp_model_save_mem(&old_image, &old_size, net, NULL, opt, 5), MLP_OK);
    ck_assert_int_eq(mlp_model_write_parts_mem(&new_image, &new_size, net, NULL, opt, 5), MLP_OK);
    ck_assert_uint_eq(old_size, new_size);
    ck_assert(memcmp(old_image, new_image, old_size) == 0);
    ck_assert_int_eq(mlp_model_save_size(&sized, net, NULL, opt), MLP_OK);
    ck_assert_uint_eq(sized, old_size);
    char *buf = malloc(sized);
    ck_assert_int_eq(mlp_model_save_into(buf, sized, &written, net, NULL, opt, 5), MLP_OK);
    ck_assert(written == sized && memcmp(buf, old_image, sized) == 0);
    ck_assert_int_eq(mlp_model_write_parts_size(&sized, net, NULL, opt), MLP_OK);
    ck_assert_uint_eq(sized, old_size);
    back = NULL;
    ck_assert_int_eq(mlp_model_load_mem(old_image, old_size, &back, NULL, NULL, NULL, NULL),
                     MLP_OK);
    mlp_net_free(back);
    free(buf);
    mlp_free(old_image);
    mlp_free(new_image);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
}
END_TEST

START_TEST(data_names)
{
    char path[128];
    snprintf(path, sizeof path, "%s/data.csv", tmp);
    write_file(path, csv);
    mlp_dataset *old_ds = NULL, *new_ds = NULL;
    ck_assert_int_eq(mlp_csv_load(&old_ds, path, NULL, NULL), MLP_OK);
    ck_assert_int_eq(mlp_dataset_open_csv(&new_ds, path, NULL, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(old_ds), 4);
    ck_assert(memcmp(mlp_dataset_inputs_const(old_ds), mlp_dataset_inputs_const(new_ds),
                     4 * 2 * sizeof(float)) == 0);
    mlp_dataset_free(old_ds);
    mlp_dataset_free(new_ds);

    FILE *f = fmemopen((void *)csv, strlen(csv), "r");
    ck_assert_int_eq(mlp_csv_load_stream(&old_ds, f, NULL, NULL, NULL), MLP_OK);
    fclose(f);
    ck_assert_uint_eq(mlp_dataset_count(old_ds), 4);
    mlp_dataset_free(old_ds);

    mlp_csv_options o = mlp_csv_options_default();
    static const char *const classes[] = {"x", "y"};
    o.class_names = classes;
    o.class_count = 2;
    ck_assert_int_eq(mlp_csv_load_shard(&old_ds, path, 0, 1, &o, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_dataset_count(old_ds), 4);
    mlp_dataset_free(old_ds);

    mlp_error_detail d;
    ck_assert_int_eq(mlp_idx_load(&old_ds, "/nonexistent/images", NULL, 0, &d), MLP_ERR_IO);

    mlp_table *t = NULL;
    ck_assert_int_eq(mlp_table_load(&t, path, NULL, NULL), MLP_OK);
    ck_assert_uint_eq(mlp_table_row_count(t), 4);
    mlp_table_free(t);
    f = fmemopen((void *)csv, strlen(csv), "r");
    ck_assert_int_eq(mlp_table_load_stream(&t, f, NULL, NULL, NULL), MLP_OK);
    fclose(f);
    ck_assert_str_eq(mlp_table_cell(t, 3, 2), "y");
    mlp_table_free(t);
}
END_TEST

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/mlp-namesXXXXXX");
    if (!mkdtemp(tmp)) return EXIT_FAILURE;
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("all");
    tcase_add_test(tc, net_and_optimizer_names);
    tcase_add_test(tc, data_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    tu_tmpdir_remove(tmp);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
