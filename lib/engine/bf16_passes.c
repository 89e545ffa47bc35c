/* The element-wise passes of a bf16 step (activation, derivative with the deltas' roundings,
 * the weight refresh) either on the calling thread or shared with the OpenMP team that runs
 * oneDNN's products, which is idle between two products. The work is cut into pieces of
 * whole rows (or aligned runs of one array) that the threads take as they arrive, each
 * running the serial code on its piece: the results are the same bit for bit whatever the
 * thread count or the split.
 *
 * Sharing is built but not shipped on (mlp_bf16_team; the test-control build turns it on
 * with MLP_ENGINE_ON=bf16team, as mlp-bench-bf16-step does): with spinning OpenMP threads
 * it halves a 256 x 1024 pass (sigmoid and rounding 139 -> 71 us, a 1M-weight refresh 69 ->
 * 38 us), but under OMP_WAIT_POLICY=PASSIVE, which mlp and mlp-bench set, a sleeping
 * thread took about 75 us to start on the shared 2-core machine, so the caller did the pass
 * alone and then waited (148 us), and whole W1 steps were 2-8% slower (W2 12-25%) than
 * with the passes on the calling thread. Whether an idle machine's wake-ups are short
 * enough for it to pay is mlp-bench-bf16-step's question. Built only with oneDNN, whose
 * OpenMP runtime this is. */
#include "mlp_internal.h"

/* Below this many floats a pass stays on the calling thread even when sharing: waking the
 * team (3 us at best on the 2-core machine, when its threads have just gone to sleep) would
 * cost more than the pass. */
#define PARALLEL_MIN_FLOATS ((size_t)16 << 10)
/* A piece is about this many floats: small enough that a late thread still finds work,
 * large enough that taking one costs nothing next to it. */
#define PIECE_FLOATS ((size_t)8 << 10)
/* Runs of one array are cut at multiples of this many floats (a cache line of bf16). */
#define RUN_ALIGN 32

/* Pieces of `unit` floats each (a row, or RUN_ALIGN floats) for count units. */
static size_t units_per_piece(size_t unit)
{
    const size_t u = PIECE_FLOATS / (unit ? unit : 1);
    return u ? u : 1;
}

static size_t pieces(size_t count, size_t per) { return (count + per - 1) / per; }

static int team_wanted(size_t floats, int team)
{
    return team && floats >= PARALLEL_MIN_FLOATS;
}

void mlp_bf16_round_team(uint16_t *dst, const float *src, size_t n, int team)
{
    if (!team_wanted(n, team)) {
        mlp_bf16_round(dst, src, n);
        return;
    }
    const size_t per = units_per_piece(1) / RUN_ALIGN * RUN_ALIGN;
    const long count = (long)pieces(n, per);
#pragma omp parallel for schedule(guided)
    for (long p = 0; p < count; p++) {
        const size_t lo = (size_t)p * per, hi = lo + per < n ? lo + per : n;
        mlp_bf16_round(dst + lo, src + lo, hi - lo);
    }
}

void mlp_bf16_activation_team(mlp_activation act, float *z, size_t batch, size_t n,
                              const float *bias, size_t bias_count, float *logits,
                              uint16_t *bf16, int team)
{
    if (!team_wanted(batch * n, team)) {
        mlp_activation_forward_bf16(act, z, batch, n, bias, bias_count, logits, bf16);
        return;
    }
    const size_t per = units_per_piece(n);
    const long count = (long)pieces(batch, per);
#pragma omp parallel for schedule(guided)
    for (long p = 0; p < count; p++) {
        const size_t lo = (size_t)p * per, hi = lo + per < batch ? lo + per : batch;
        mlp_activation_forward_bf16(act, z + lo * n, hi - lo, n, bias, bias_count,
                                    logits ? logits + lo * n : NULL, bf16 ? bf16 + lo * n : NULL);
    }
}

/* Rows [lo, hi) of the derivative pass and its roundings (see mlp_bf16_delta_team). */
static void delta_rows(mlp_activation act, const float *z, float *delta, size_t lo, size_t hi,
                       size_t n, uint16_t *d, uint16_t *ds, float alpha)
{
    const size_t at = lo * n, count = (hi - lo) * n;
    if (z) mlp_activation_backward(act, z + at, delta + at, hi - lo, n);
    if (d) mlp_bf16_round(d + at, delta + at, count);
    if (ds) mlp_bf16_round_scaled(ds + at, delta + at, count, alpha);
}

void mlp_bf16_delta_team(mlp_activation act, const float *z, float *delta, size_t batch,
                         size_t n, uint16_t *d, uint16_t *ds, float alpha, int team)
{
    if (!team_wanted(batch * n, team)) {
        delta_rows(act, z, delta, 0, batch, n, d, ds, alpha);
        return;
    }
    const size_t per = units_per_piece(n);
    const long count = (long)pieces(batch, per);
#pragma omp parallel for schedule(guided)
    for (long p = 0; p < count; p++) {
        const size_t lo = (size_t)p * per, hi = lo + per < batch ? lo + per : batch;
        delta_rows(act, z, delta, lo, hi, n, d, ds, alpha);
    }
}
