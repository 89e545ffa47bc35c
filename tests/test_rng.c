/* The internal RNG (lib/model/rng.c): determinism, ranges, moments, shuffle, below(n). */
#include "mlp_internal.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

START_TEST(deterministic)
{
    mlp_rng a, b, c;
    mlp_rng_seed(&a, 123);
    mlp_rng_seed(&b, 123);
    mlp_rng_seed(&c, 124);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mlp_rng_next(&a), y = mlp_rng_next(&b), z = mlp_rng_next(&c);
        ck_assert_uint_eq(x, y);
        same_c += x == z;
    }
    ck_assert_int_lt(same_c, 2);
    /* reseeding restarts the sequence */
    mlp_rng_seed(&a, 123);
    mlp_rng_seed(&b, 123);
    mlp_rng_next(&b);
    mlp_rng_seed(&b, 123);
    for (int i = 0; i < 10; i++) ck_assert_uint_eq(mlp_rng_next(&a), mlp_rng_next(&b));
    /* seed 0 is a valid seed (state not all zero) */
    mlp_rng_seed(&a, 0);
    uint64_t or_all = 0;
    for (int i = 0; i < 10; i++) or_all |= mlp_rng_next(&a);
    ck_assert_uint_ne(or_all, 0);
}
END_TEST

START_TEST(uniform_range_and_moments)
{
    mlp_rng r;
    mlp_rng_seed(&r, 7);
    const int n = 1000000;
    double sum = 0, sum2 = 0;
    float lo = 1, hi = 0;
    int outside = 0;
    for (int i = 0; i < n; i++) {
        float u = mlp_rng_uniform(&r);
        outside += !(u >= 0.0f && u < 1.0f);
        lo = fminf(lo, u);
        hi = fmaxf(hi, u);
        sum += u;
        sum2 += (double)u * u;
    }
    ck_assert_msg(outside == 0, "%d uniform draws outside [0,1)", outside);
    double mean = sum / n, var = sum2 / n - mean * mean;
    ck_assert_double_eq_tol(mean, 0.5, 0.002);
    ck_assert_double_eq_tol(var, 1.0 / 12.0, 0.001);
    ck_assert_float_lt(lo, 1e-4f);
    ck_assert_float_gt(hi, 1.0f - 1e-4f);
}
END_TEST

START_TEST(normal_moments)
{
    mlp_rng r;
    mlp_rng_seed(&r, 8);
    const int n = 200000;
    double sum = 0, sum2 = 0, sum4 = 0, beyond2 = 0;
    for (int i = 0; i < n; i++) {
        double z = mlp_rng_normal(&r);
        sum += z;
        sum2 += z * z;
        sum4 += z * z * z * z;
        beyond2 += fabs(z) > 2.0;
    }
    ck_assert(isfinite(sum4));
    double mean = sum / n, var = sum2 / n - mean * mean;
    ck_assert_double_eq_tol(mean, 0.0, 0.01);
    ck_assert_double_eq_tol(var, 1.0, 0.02);
    ck_assert_double_eq_tol(sum4 / n, 3.0, 0.1); /* kurtosis of a normal */
    ck_assert_double_eq_tol(beyond2 / n, 0.0455, 0.003);
}
END_TEST

START_TEST(shuffle_is_permutation)
{
    enum { N = 100 };
    size_t idx[N], again[N];
    int seen[N];
    mlp_rng r, r2;
    mlp_rng_seed(&r, 9);
    mlp_rng_seed(&r2, 9);
    int moved_total = 0;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < N; i++) idx[i] = again[i] = i;
        mlp_rng_shuffle(&r, idx, N);
        mlp_rng_shuffle(&r2, again, N);
        memset(seen, 0, sizeof seen);
        int moved = 0;
        for (size_t i = 0; i < N; i++) {
            ck_assert_uint_lt(idx[i], N);
            seen[idx[i]]++;
            moved += idx[i] != i;
            ck_assert_uint_eq(idx[i], again[i]); /* same seed, same shuffle */
        }
        for (size_t i = 0; i < N; i++) ck_assert_int_eq(seen[i], 1);
        ck_assert_int_gt(moved, N / 2);
        moved_total += moved;
    }
    /* every position is reachable: element 0 lands everywhere over many shuffles */
    int where[5] = {0};
    for (int k = 0; k < 5000; k++) {
        size_t small[5] = {0, 1, 2, 3, 4};
        mlp_rng_shuffle(&r, small, 5);
        for (size_t i = 0; i < 5; i++)
            if (small[i] == 0) where[i]++;
    }
    for (int i = 0; i < 5; i++) ck_assert_int_gt(where[i], 850); /* expected 1000 each */
    /* n = 0 and n = 1 are no-ops */
    size_t one = 42;
    mlp_rng_shuffle(&r, &one, 1);
    ck_assert_uint_eq(one, 42);
    mlp_rng_shuffle(&r, NULL, 0);
    (void)moved_total;
}
END_TEST

START_TEST(below_in_range)
{
    mlp_rng r;
    mlp_rng_seed(&r, 10);
    const uint64_t ns[] = {1, 2, 3, 7, 1000, (1ull << 63) + 1, UINT64_MAX};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        int bad = 0;
        for (int i = 0; i < 10000; i++) bad += mlp_rng_below(&r, ns[k]) >= ns[k];
        ck_assert_msg(bad == 0, "below(%llu): %d draws out of range", (unsigned long long)ns[k], bad);
    }
    /* roughly uniform over 7 values */
    int counts[7] = {0};
    for (int i = 0; i < 70000; i++) counts[mlp_rng_below(&r, 7)]++;
    for (int i = 0; i < 7; i++) ck_assert_int_gt(counts[i], 9500);
    for (int i = 0; i < 7; i++) ck_assert_int_lt(counts[i], 10500);
}
END_TEST

START_TEST(internal_helpers)
{
    ck_assert(mlp_is_finite(1.0f));
    ck_assert(!mlp_is_finite(NAN));
    ck_assert(!mlp_is_finite(INFINITY));
    ck_assert(!mlp_is_finite(-INFINITY));
    size_t out = 0;
    ck_assert(mlp_mul_size(3, 4, &out));
    ck_assert_uint_eq(out, 12);
    ck_assert(mlp_mul_size(0, SIZE_MAX, &out));
    ck_assert_uint_eq(out, 0);
    ck_assert(!mlp_mul_size(SIZE_MAX / 2 + 1, 2, &out));
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, uniform_range_and_moments);
    tcase_add_test(tc, normal_moments);
    tcase_add_test(tc, shuffle_is_permutation);
    tcase_add_test(tc, below_in_range);
    tcase_add_test(tc, internal_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rng_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
