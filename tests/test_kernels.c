/* Every one-record kernel of every variant this CPU runs (engine/kernels.h: generic, avx2,
 * avx512, blas), called directly and compared with a double-precision loop on odd sizes
 * (1, 3, 17, 33, 257 rows and columns, 4-row blocks and 16-lane chunks with remainders),
 * and the MLP_KERNELS override that scripts/test uses to run the suites once per variant. */
#define _POSIX_C_SOURCE 200809L /* setenv, strdup */
#include "test_util.h"
#include "engine/kernels.h"

#include <check.h>

#define TOL 2e-6

static const char *const variants[] = {"generic", "avx2", "avx512", "blas"};
#define N_VARIANTS (sizeof variants / sizeof variants[0])
static const size_t sizes[] = {1, 3, 17, 33, 257};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

/* The table forcing `name` selects, or NULL when this CPU cannot run it. */
static const mlp_kernel_table *table_named(const char *name)
{
    const mlp_kernel_table *k = mlp_kernels_select(name);
    return strcmp(k->name, name) == 0 ? k : NULL;
}

typedef struct case_data {
    size_t rows, cols;
    float *w, *x, *d, *z, *y;
    double *ref;
} case_data;

static case_data case_new(size_t rows, size_t cols, uint64_t seed)
{
    case_data c = {rows, cols, NULL, NULL, NULL, NULL, NULL, NULL};
    size_t n = rows > cols ? rows : cols;
    c.w = malloc(rows * cols * sizeof(float));
    c.x = malloc(cols * sizeof(float));
    c.z = malloc(cols * sizeof(float));
    c.d = malloc(rows * sizeof(float));
    c.y = malloc((rows * cols > n ? rows * cols : n) * sizeof(float));
    c.ref = malloc((rows * cols > n ? rows * cols : n) * sizeof(double));
    uint64_t s = seed;
    tu_fill_uniform(&s, c.w, rows * cols, -1, 1);
    tu_fill_uniform(&s, c.x, cols, -1, 1);
    tu_fill_uniform(&s, c.z, cols, -1, 1);
    tu_fill_uniform(&s, c.d, rows, -1, 1);
    return c;
}

static void case_free(case_data *c)
{
    free(c->w); free(c->x); free(c->d); free(c->z); free(c->y); free(c->ref);
}

/* max |got - want| relative to max(1, max |want|) */
static double err(const float *got, const double *want, size_t n)
{
    return tu_rel_err_fd(got, want, n, 1.0);
}

static void check_variant(const mlp_kernel_table *k, size_t rows, size_t cols)
{
    case_data c = case_new(rows, cols, rows * 1000 + cols);
    const size_t R = rows, C = cols;
    const float step = 0.3f, keeps[2] = {1.0f, 0.9f};
#define EXPECT_CLOSE(got, n, what)                                                          \
    do {                                                                                    \
        double e_ = err(got, c.ref, n);                                                     \
        ck_assert_msg(e_ < TOL, "%s %zu x %zu: %s err %.3g", k->name, R, C, what, e_);     \
    } while (0)

    /* y = W x */
    k->matvec(c.w, R, C, c.x, c.y);
    for (size_t j = 0; j < R; j++) {
        double s = 0;
        for (size_t i = 0; i < C; i++) s += (double)c.w[j * C + i] * c.x[i];
        c.ref[j] = s;
    }
    EXPECT_CLOSE(c.y, R, "matvec");

    /* out = W^T d */
    k->matvec_trans(c.w, R, C, c.d, c.y);
    for (size_t i = 0; i < C; i++) {
        double s = 0;
        for (size_t j = 0; j < R; j++) s += (double)c.w[j * C + i] * c.d[j];
        c.ref[i] = s;
    }
    EXPECT_CLOSE(c.y, C, "matvec_trans");

    /* g (+)= d z^T */
    for (int acc = 0; acc < 2; acc++) {
        for (size_t i = 0; i < R * C; i++) c.y[i] = 0.5f;
        k->rank1(c.y, R, C, c.d, c.z, acc);
        for (size_t j = 0; j < R; j++)
            for (size_t i = 0; i < C; i++)
                c.ref[j * C + i] = (acc ? 0.5 : 0.0) + (double)c.d[j] * c.z[i];
        EXPECT_CLOSE(c.y, R * C, acc ? "rank1 accumulate" : "rank1");
    }

    for (int ki = 0; ki < 2; ki++) {
        const float keep = keeps[ki];
        float *w = tu_copy(c.w, R * C), *dp = malloc(C * sizeof(float));
        double *w_ref = malloc(R * C * sizeof(double));
        for (size_t j = 0; j < R; j++)
            for (size_t i = 0; i < C; i++)
                w_ref[j * C + i] = (double)keep * c.w[j * C + i] - (double)step * c.d[j] * c.z[i];
        /* delta_prev = W^T d with the old W, then the update */
        k->backprop_update(w, R, C, c.d, c.z, step, keep, dp);
        for (size_t i = 0; i < C; i++) {
            double s = 0;
            for (size_t j = 0; j < R; j++) s += (double)c.w[j * C + i] * c.d[j];
            c.ref[i] = s;
        }
        EXPECT_CLOSE(dp, C, "backprop_update delta_prev");
        memcpy(c.ref, w_ref, R * C * sizeof(double));
        EXPECT_CLOSE(w, R * C, "backprop_update weights");
        /* the same without delta_prev (the input layer) */
        memcpy(w, c.w, R * C * sizeof(float));
        k->backprop_update(w, R, C, c.d, c.z, step, keep, NULL);
        EXPECT_CLOSE(w, R * C, "backprop_update weights, no delta_prev");
        /* update, then y = (updated W) x */
        memcpy(w, c.w, R * C * sizeof(float));
        k->update_matvec(w, R, C, c.d, c.z, step, keep, c.x, c.y);
        EXPECT_CLOSE(w, R * C, "update_matvec weights");
        for (size_t j = 0; j < R; j++) {
            double s = 0;
            for (size_t i = 0; i < C; i++) s += w_ref[j * C + i] * c.x[i];
            c.ref[j] = s;
        }
        EXPECT_CLOSE(c.y, R, "update_matvec outputs");
        free(w);
        free(dp);
        free(w_ref);
    }
#undef EXPECT_CLOSE
    case_free(&c);
}

/* Loop index: variant. */
START_TEST(kernels_match_reference)
{
    const mlp_kernel_table *k = table_named(variants[_i]);
    if (!k) {
        fprintf(stderr, "kernels: %s not runnable on this CPU, not tested\n", variants[_i]);
        return;
    }
    for (size_t r = 0; r < N_SIZES; r++)
        for (size_t c = 0; c < N_SIZES; c++) check_variant(k, sizes[r], sizes[c]);
}
END_TEST

/* The test-control build's override (this suite links it) reaches a workspace's plan;
 * generic and blas run everywhere, the best table is the default. */
START_TEST(override_selects_variant)
{
    unsetenv("MLP_ENGINE_OFF"); /* this test sets it itself (scripts/test may have) */
    ck_assert_ptr_nonnull(table_named("generic"));
    ck_assert_ptr_nonnull(table_named("blas"));
    ck_assert_ptr_null(table_named("no-such-variant")); /* ignored: the default serves */
    static const size_t sz[] = {4, 8, 2};
    static const mlp_activation acts[] = {MLP_ACT_TANH, MLP_ACT_LINEAR};
    mlp_net *net = NULL;
    ck_assert_int_eq(mlp_net_create(&net, 2, sz, acts, MLP_BIAS_PER_NEURON), MLP_OK);
    for (size_t v = 0; v < N_VARIANTS; v++) {
        if (!table_named(variants[v])) continue;
        setenv("MLP_KERNELS", variants[v], 1);
        mlp_workspace *ws = NULL;
        ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
        ck_assert_str_eq(ws->plan.hand->name, variants[v]);
        ck_assert_int_eq(ws->plan.tiny, ws->plan.hand->tiny_step != NULL);
        mlp_workspace_free(ws);
    }
    unsetenv("MLP_KERNELS");
    /* MLP_ENGINE_OFF turns the plan's special cases off */
    mlp_workspace *ws = NULL;
    setenv("MLP_ENGINE_OFF", "fuse,tiny", 1);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert(ws->plan.no_tiny && ws->plan.no_fuse && !ws->plan.no_split);
    ck_assert(!ws->plan.tiny);
    mlp_workspace_free(ws);
    setenv("MLP_ENGINE_OFF", "tinyx,split", 1);
    ck_assert_int_eq(mlp_workspace_create(&ws, net, 1), MLP_OK);
    ck_assert(!ws->plan.no_tiny && !ws->plan.no_fuse && ws->plan.no_split);
    ck_assert_int_eq(ws->plan.tiny, ws->plan.hand->tiny_step != NULL);
    mlp_workspace_free(ws);
    unsetenv("MLP_ENGINE_OFF");
    mlp_net_free(net);
}
END_TEST

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("variants");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, kernels_match_reference, 0, (int)N_VARIANTS);
    tcase_add_test(tc, override_selects_variant);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernels_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
