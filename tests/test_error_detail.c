/* The lower layers' _ex calls (nets, workspaces, passes, optimizers, preprocessing, model
 * images, the allocator and threads) say which argument is wrong and why, and return the
 * status of their base call; one representative mistake per family, each message checked
 * for the argument's name. */
#include "mlp.h"
#include "mlp_advanced.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IN 3
#define OUT 2
#define BATCH 4

static mlp_net *net_of(mlp_activation out)
{
    const size_t sizes[3] = {IN, 5, OUT};
    const mlp_activation acts[2] = {MLP_ACT_TANH, out};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    ck_assert_int_eq(mlp_net_init(net, MLP_INIT_HE, 1), MLP_OK);
    return net;
}

/* status want, the base call's status too, and a message that names `field`. */
static void expect(mlp_status got, mlp_status base, mlp_status want,
                   const mlp_error_detail *d, const char *field)
{
    ck_assert_msg(got == want, "status %d, want %d (%s)", (int)got, (int)want, d->message);
    ck_assert_msg(base == got, "base call %d, _ex %d", (int)base, (int)got);
    ck_assert_msg(strstr(d->message, field) != NULL, "message '%s' does not name '%s'",
                  d->message, field);
}

START_TEST(threads_and_allocator)
{
    mlp_error_detail d;
    expect(mlp_set_threads_ex(0, &d), mlp_set_threads(0), MLP_ERR_INVALID_ARG, &d, "n is 0");
    mlp_allocator a;
    memset(&a, 0, sizeof a); /* not from mlp_allocator_default: struct_size 0 */
    expect(mlp_set_allocator_ex(&a, &d), mlp_set_allocator(&a), MLP_ERR_INVALID_ARG, &d,
           "allocator->struct_size");
    expect(mlp_set_allocator_ex(NULL, &d), mlp_set_allocator(NULL), MLP_ERR_NULL_ARG, &d,
           "allocator");
}
END_TEST

START_TEST(net_calls)
{
    mlp_error_detail d;
    mlp_net *a = net_of(MLP_ACT_SOFTMAX), *b = NULL, *copy = NULL;
    const size_t sizes[2] = {IN, OUT};
    const mlp_activation acts[1] = {MLP_ACT_LINEAR};
    ck_assert_int_eq(mlp_net_create(&b, 1, sizes, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    expect(mlp_net_copy_params_ex(a, b, &d), mlp_net_copy_params(a, b), MLP_ERR_DIMENSION, &d,
           "src");
    expect(mlp_net_clone_ex(&copy, NULL, &d), mlp_net_clone(&copy, NULL), MLP_ERR_NULL_ARG,
           &d, "src is NULL");
    expect(mlp_net_init_ex(a, MLP_INIT_COUNT, 1, &d), mlp_net_init(a, MLP_INIT_COUNT, 1),
           MLP_ERR_INVALID_ARG, &d, "scheme");
    expect(mlp_net_init_layer_ex(a, 7, MLP_INIT_HE, &d),
           mlp_net_init_layer(a, 7, MLP_INIT_HE), MLP_ERR_INVALID_ARG, &d, "layer is 7");
    const uint64_t zero[MLP_RNG_STATE_WORDS] = {0};
    expect(mlp_net_set_rng_state_ex(a, zero, &d), mlp_net_set_rng_state(a, zero),
           MLP_ERR_INVALID_ARG, &d, "state");
    expect(mlp_net_shuffle_ex(a, NULL, 3, &d), mlp_net_shuffle(a, NULL, 3), MLP_ERR_NULL_ARG,
           &d, "order");
    ck_assert_ptr_null(copy);
    mlp_net_free(a);
    mlp_net_free(b);
}
END_TEST

START_TEST(workspace_calls)
{
    mlp_error_detail d;
    mlp_net *net = net_of(MLP_ACT_SOFTMAX);
    mlp_workspace *ws = NULL, *inf = NULL;
    expect(mlp_workspace_create_ex(&ws, net, 0, &d), mlp_workspace_create(&ws, net, 0),
           MLP_ERR_INVALID_ARG, &d, "max_batch");
    expect(mlp_workspace_create_inference_ex(&ws, NULL, 4, &d),
           mlp_workspace_create_inference(&ws, NULL, 4), MLP_ERR_NULL_ARG, &d, "net");
    ck_assert_int_eq(mlp_workspace_create(&ws, net, BATCH), MLP_OK);
    ck_assert_int_eq(mlp_workspace_create_inference(&inf, net, BATCH), MLP_OK);
    expect(mlp_workspace_set_dropout_ex(ws, 1.5f, 1, &d), mlp_workspace_set_dropout(ws, 1.5f, 1),
           MLP_ERR_INVALID_ARG, &d, "rate is 1.5");
    expect(mlp_workspace_set_dropout_ex(inf, 0.5f, 1, &d),
           mlp_workspace_set_dropout(inf, 0.5f, 1), MLP_ERR_INVALID_ARG, &d, "inference");
    expect(mlp_workspace_set_precision_ex(ws, MLP_PRECISION_INT8, &d),
           mlp_workspace_set_precision(ws, MLP_PRECISION_INT8), MLP_ERR_INVALID_ARG, &d,
           "training workspace");
    expect(mlp_workspace_set_threads_ex(ws, 0, &d), mlp_workspace_set_threads(ws, 0),
           MLP_ERR_INVALID_ARG, &d, "n is 0");
    expect(mlp_workspace_set_layer_precision_ex(inf, 0, MLP_PRECISION_BF16, &d),
           mlp_workspace_set_layer_precision(inf, 0, MLP_PRECISION_BF16), MLP_ERR_INVALID_ARG,
           &d, "bf16");
    mlp_workspace_free(ws);
    mlp_workspace_free(inf);
    mlp_net_free(net);
}
END_TEST

START_TEST(pass_calls)
{
    mlp_error_detail d;
    mlp_net *net = net_of(MLP_ACT_LINEAR), *other = net_of(MLP_ACT_SOFTMAX);
    mlp_workspace *ws = NULL;
    ck_assert_int_eq(mlp_workspace_create(&ws, net, BATCH), MLP_OK);
    float x[8 * IN] = {0}, y[8 * OUT] = {0}, out[8 * OUT];
    float *grad = calloc(mlp_net_param_count(net), sizeof *grad);
    double loss = 0;
    expect(mlp_forward_ex(net, ws, x, BATCH + 1, out, &d), mlp_forward(net, ws, x, BATCH + 1, out),
           MLP_ERR_BATCH_TOO_LARGE, &d, "max_batch");
    expect(mlp_forward_ex(net, ws, NULL, 1, out, &d), mlp_forward(net, ws, NULL, 1, out),
           MLP_ERR_NULL_ARG, &d, "inputs");
    expect(mlp_forward_ex(other, ws, x, 1, out, &d), mlp_forward(other, ws, x, 1, out),
           MLP_ERR_WORKSPACE_MISMATCH, &d, "topology");
    expect(mlp_gradient_ex(net, ws, x, y, 1, MLP_LOSS_CROSS_ENTROPY, grad, &loss, &d),
           mlp_gradient(net, ws, x, y, 1, MLP_LOSS_CROSS_ENTROPY, grad, &loss),
           MLP_ERR_INVALID_ARG, &d, "softmax");
    y[1] = NAN;
    expect(mlp_gradient_accumulate_ex(net, ws, x, y, 1, MLP_LOSS_MSE, grad, &loss, &d),
           mlp_gradient_accumulate(net, ws, x, y, 1, MLP_LOSS_MSE, grad, &loss),
           MLP_ERR_NON_FINITE, &d, "targets: record 0, value 1");
    y[1] = 0.0f;
    expect(mlp_gradient_ex(net, ws, x, y, 1, MLP_LOSS_MSE, NULL, &loss, &d),
           mlp_gradient(net, ws, x, y, 1, MLP_LOSS_MSE, NULL, &loss), MLP_ERR_NULL_ARG, &d,
           "grad");
    expect(mlp_evaluate_ex(net, ws, x, y, 0, MLP_LOSS_MSE, &loss, NULL, &d),
           mlp_evaluate(net, ws, x, y, 0, MLP_LOSS_MSE, &loss, NULL), MLP_ERR_INVALID_ARG, &d,
           "count");
    mlp_optimizer *opt = NULL, *wrong = NULL;
    const mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_ADAM);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    ck_assert_int_eq(mlp_optimizer_create(&wrong, other, &oc), MLP_OK);
    expect(mlp_train_step_ex(net, ws, wrong, x, y, 1, MLP_LOSS_MSE, &loss, &d),
           mlp_train_step(net, ws, wrong, x, y, 1, MLP_LOSS_MSE, &loss),
           MLP_ERR_WORKSPACE_MISMATCH, &d, "opt");
    expect(mlp_train_step_ex(net, ws, opt, x, y, 0, MLP_LOSS_MSE, &loss, &d),
           mlp_train_step(net, ws, opt, x, y, 0, MLP_LOSS_MSE, &loss), MLP_ERR_INVALID_ARG, &d,
           "batch is 0");
    /* a success leaves the detail alone and gives the base call's result */
    strcpy(d.message, "untouched");
    ck_assert_int_eq(mlp_forward_ex(net, ws, x, 2, out, &d), MLP_OK);
    ck_assert_str_eq(d.message, "untouched");
    ck_assert_int_eq(mlp_forward_ex(net, ws, x, 2, out, NULL), MLP_OK);
    ck_assert_int_eq(mlp_forward_ex(net, ws, NULL, 2, out, NULL), MLP_ERR_NULL_ARG);
    free(grad);
    mlp_optimizer_free(opt);
    mlp_optimizer_free(wrong);
    mlp_workspace_free(ws);
    mlp_net_free(net);
    mlp_net_free(other);
}
END_TEST

START_TEST(optimizer_and_refit_calls)
{
    mlp_error_detail d;
    mlp_net *net = net_of(MLP_ACT_LINEAR), *other = net_of(MLP_ACT_SOFTMAX);
    mlp_optimizer *opt = NULL;
    const mlp_optimizer_config oc = mlp_optimizer_config_default(MLP_OPT_MOMENTUM);
    ck_assert_int_eq(mlp_optimizer_create(&opt, net, &oc), MLP_OK);
    size_t P = mlp_net_param_count(net);
    float *grad = calloc(P, sizeof *grad);
    expect(mlp_optimizer_step_ex(opt, net, grad, 0, &d), mlp_optimizer_step(opt, net, grad, 0),
           MLP_ERR_INVALID_ARG, &d, "batch is 0");
    expect(mlp_optimizer_step_ex(opt, other, grad, 1, &d),
           mlp_optimizer_step(opt, other, grad, 1), MLP_ERR_WORKSPACE_MISMATCH, &d, "topology");
    expect(mlp_optimizer_step_range_ex(opt, net, grad, 1, P, 1, &d),
           mlp_optimizer_step_range(opt, net, grad, 1, P, 1), MLP_ERR_INVALID_ARG, &d, "first");
    expect(mlp_optimizer_set_epoch_ex(NULL, 1, &d), mlp_optimizer_set_epoch(NULL, 1),
           MLP_ERR_NULL_ARG, &d, "opt");
    expect(mlp_optimizer_set_step_count_ex(opt, UINT64_MAX, &d),
           mlp_optimizer_set_step_count(opt, UINT64_MAX), MLP_ERR_INVALID_ARG, &d, "steps");
    ck_assert_uint_eq(mlp_optimizer_step_count(opt), 0);
    float x[BATCH * IN] = {0}, y[BATCH * OUT] = {0};
    expect(mlp_refit_output_layer_ex(net, x, y, BATCH, -1.0f, &d),
           mlp_refit_output_layer(net, x, y, BATCH, -1.0f), MLP_ERR_INVALID_ARG, &d, "lambda");
    expect(mlp_refit_output_layer_ex(other, x, y, BATCH, 1.0f, &d),
           mlp_refit_output_layer(other, x, y, BATCH, 1.0f), MLP_ERR_INVALID_ARG, &d,
           "not linear");
    free(grad);
    mlp_optimizer_free(opt);
    mlp_net_free(net);
    mlp_net_free(other);
}
END_TEST

START_TEST(image_calls)
{
    mlp_error_detail d;
    mlp_net *net = net_of(MLP_ACT_LINEAR);
    mlp_preprocess *pre = NULL;
    ck_assert_int_eq(mlp_preprocess_create(&pre, IN + 1), MLP_OK);
    void *data = NULL;
    size_t size = 0, written = 0;
    expect(mlp_model_write_parts_mem_ex(&data, &size, net, pre, NULL, 0, &d),
           mlp_model_write_parts_mem(&data, &size, net, pre, NULL, 0), MLP_ERR_DIMENSION, &d,
           "pre has 4 inputs");
    expect(mlp_model_write_parts_size_ex(NULL, net, NULL, NULL, &d),
           mlp_model_write_parts_size(NULL, net, NULL, NULL), MLP_ERR_NULL_ARG, &d, "size");
    ck_assert_int_eq(mlp_model_write_parts_size(&size, net, NULL, NULL), MLP_OK);
    char buf[16];
    expect(mlp_model_write_parts_into_ex(buf, sizeof buf, &written, net, NULL, NULL, 0, &d),
           mlp_model_write_parts_into(buf, sizeof buf, &written, net, NULL, NULL, 0),
           MLP_ERR_DIMENSION, &d, "capacity is 16");
    mlp_net_params(net)[0] = INFINITY;
    expect(mlp_model_write_parts_mem_ex(&data, &size, net, NULL, NULL, 0, &d),
           mlp_model_write_parts_mem(&data, &size, net, NULL, NULL, 0), MLP_ERR_NON_FINITE, &d,
           "net holds a NaN");
    ck_assert_ptr_null(data);
    mlp_preprocess_free(pre);
    mlp_net_free(net);
}
END_TEST

START_TEST(preprocess_calls)
{
    mlp_error_detail d;
    mlp_preprocess *pre = NULL, *copy = NULL;
    expect(mlp_preprocess_create_ex(&pre, 0, &d), mlp_preprocess_create(&pre, 0),
           MLP_ERR_INVALID_ARG, &d, "input_size");
    ck_assert_int_eq(mlp_preprocess_create(&pre, IN), MLP_OK);
    expect(mlp_preprocess_clone_ex(&copy, NULL, &d), mlp_preprocess_clone(&copy, NULL),
           MLP_ERR_NULL_ARG, &d, "src");
    mlp_dataset *ds = NULL;
    ck_assert_int_eq(mlp_dataset_create(&ds, 3, IN + 1, 1), MLP_OK);
    expect(mlp_preprocess_fit_ex(pre, ds, MLP_SCALE_STANDARD, &d),
           mlp_preprocess_fit(pre, ds, MLP_SCALE_STANDARD), MLP_ERR_DIMENSION, &d, "ds has 4");
    expect(mlp_preprocess_apply_ex(pre, ds, &d), mlp_preprocess_apply(pre, ds),
           MLP_ERR_DIMENSION, &d, "ds has 4");
    float rows[IN] = {0};
    expect(mlp_preprocess_apply_rows_ex(pre, rows, 1, IN + 1, &d),
           mlp_preprocess_apply_rows(pre, rows, 1, IN + 1), MLP_ERR_DIMENSION, &d, "input_size");
    expect(mlp_preprocess_set_labels_ex(pre, NULL, MLP_TASK_CLASSIFY, &d),
           mlp_preprocess_set_labels(pre, NULL, MLP_TASK_CLASSIFY), MLP_ERR_NULL_ARG, &d, "ds");
    const float offset[IN] = {0, NAN, 0}, scale[IN] = {1, 1, 1};
    expect(mlp_preprocess_set_scaling_ex(pre, MLP_SCALE_STANDARD, offset, scale, &d),
           mlp_preprocess_set_scaling(pre, MLP_SCALE_STANDARD, offset, scale),
           MLP_ERR_NON_FINITE, &d, "offset[1]");
    expect(mlp_preprocess_set_label_info_ex(pre, MLP_TASK_COUNT, NULL, -1, 0, NULL, &d),
           mlp_preprocess_set_label_info(pre, MLP_TASK_COUNT, NULL, -1, 0, NULL),
           MLP_ERR_INVALID_ARG, &d, "task");
    expect(mlp_preprocess_set_encoding_ex(NULL, NULL, &d), mlp_preprocess_set_encoding(NULL, NULL),
           MLP_ERR_NULL_ARG, &d, "pre");
    mlp_table_encoding *enc = NULL;
    expect(mlp_table_encoding_clone_ex(&enc, NULL, &d), mlp_table_encoding_clone(&enc, NULL),
           MLP_ERR_NULL_ARG, &d, "enc");
    expect(mlp_csv_cache_set_preprocess_ex(NULL, pre, &d), mlp_csv_cache_set_preprocess(NULL, pre),
           MLP_ERR_NULL_ARG, &d, "cache");
    ck_assert_ptr_null(copy);
    mlp_dataset_free(ds);
    mlp_preprocess_free(pre);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("error_detail");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, threads_and_allocator);
    tcase_add_test(tc, net_calls);
    tcase_add_test(tc, workspace_calls);
    tcase_add_test(tc, pass_calls);
    tcase_add_test(tc, optimizer_and_refit_calls);
    tcase_add_test(tc, image_calls);
    tcase_add_test(tc, preprocess_calls);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
