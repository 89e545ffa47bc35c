/* Weight initialisation: Glorot, He, and orthogonal (QR of a Gaussian matrix, LAPACKE). */
#include "mlp_internal.h"

#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static mlp_init auto_scheme(mlp_activation act)
{
    return act == MLP_ACT_RELU || act == MLP_ACT_LEAKY_RELU ? MLP_INIT_HE : MLP_INIT_GLOROT;
}

/* LAPACK's optimal work-array size for a query answered in q. */
static size_t work_size(float q, size_t at_least)
{
    size_t n = q > 0.0f && q < 1e12f ? (size_t)q : 0;
    return n > at_least ? n : at_least;
}

/* W (rows x cols) with orthonormal rows (rows <= cols) or columns (rows > cols).
 * Q of the QR of a tall Gaussian matrix, signs fixed by diag(R) so Q is Haar-distributed.
 * The Gaussian draws are made in row-major order and stored column-major, the layout LAPACK
 * works in: LAPACKE's row-major interface would transpose through buffers of its own, and
 * the work arrays here come from the library's allocator. */
static mlp_status init_orthogonal(float *w, size_t rows, size_t cols, mlp_rng *rng)
{
    size_t m = rows > cols ? rows : cols, n = rows > cols ? cols : rows;
    size_t mn;
    if (!mlp_mul_size(m, n, &mn) || m > INT_MAX) return MLP_ERR_INVALID_ARG;
    const lapack_int lm = (lapack_int)m, ln = (lapack_int)n;
    float *a = mlp_mem_alloc(mn * sizeof *a), *tau = mlp_mem_alloc(n * sizeof *tau);
    float *sign = mlp_mem_alloc(n * sizeof *sign), *work = NULL;
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (!a || !tau || !sign) goto done;
    for (size_t i = 0; i < m; i++) /* A (m x n), column-major: A[i][j] at a[j * m + i] */
        for (size_t j = 0; j < n; j++) a[j * m + i] = mlp_rng_normal(rng);
    float q1 = 0.0f, q2 = 0.0f;
    lapack_int info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, lm, ln, a, lm, tau, &q1, -1);
    if (info == 0)
        info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, lm, ln, ln, a, lm, tau, &q2, -1);
    if (info != 0) goto numerical;
    size_t lwork = work_size(q1 > q2 ? q1 : q2, n);
    if (lwork > INT_MAX || !(work = mlp_mem_alloc(lwork * sizeof *work))) goto done;
    info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, lm, ln, a, lm, tau, work, (lapack_int)lwork);
    if (info != 0) goto numerical;
    for (size_t j = 0; j < n; j++) sign[j] = a[j * m + j] < 0 ? -1.0f : 1.0f;
    info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, lm, ln, ln, a, lm, tau, work, (lapack_int)lwork);
    if (info != 0) goto numerical;
    if (rows > cols) { /* W = Q (rows x cols), orthonormal columns */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) w[i * cols + j] = a[j * m + i] * sign[j];
    } else { /* W = Q^T (rows x cols), orthonormal rows */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) w[i * cols + j] = a[i * m + j] * sign[i];
    }
    st = MLP_OK;
    goto done;
numerical:
    st = MLP_ERR_NUMERICAL;
done:
    mlp_mem_free(a);
    mlp_mem_free(tau);
    mlp_mem_free(sign);
    mlp_mem_free(work);
    return st;
}

static mlp_status init_weights(mlp_net *net, size_t k, mlp_init scheme)
{
    size_t fan_in = net->sizes[k], fan_out = net->sizes[k + 1];
    float *w = net->params + net->weights_offset[k];
    size_t count = fan_in * fan_out;
    if (scheme == MLP_INIT_AUTO) scheme = auto_scheme(net->activations[k]);
    switch (scheme) {
    case MLP_INIT_GLOROT: {
        float a = sqrtf(6.0f / (float)(fan_in + fan_out));
        for (size_t i = 0; i < count; i++) w[i] = a * (2.0f * mlp_rng_uniform(&net->rng) - 1.0f);
        return MLP_OK;
    }
    case MLP_INIT_HE: {
        float sd = sqrtf(2.0f / (float)fan_in);
        for (size_t i = 0; i < count; i++) w[i] = sd * mlp_rng_normal(&net->rng);
        return MLP_OK;
    }
    case MLP_INIT_ORTHOGONAL:
        return init_orthogonal(w, fan_out, fan_in, &net->rng);
    default:
        return MLP_ERR_INVALID_ARG;
    }
}

/* What a failed init_weights of layer k says: the scheme was checked before. */
static mlp_status init_failed(mlp_error_detail *detail, mlp_status st, size_t k)
{
    if (st == MLP_ERR_NO_MEMORY)
        return mlp_fail(detail, st, "no memory to initialise layer %zu", k);
    if (st == MLP_ERR_NUMERICAL)
        return mlp_fail(detail, st, "the QR factorisation of layer %zu's orthogonal weights "
                        "failed", k);
    return mlp_fail(detail, st, "layer %zu is too large for orthogonal initialisation", k);
}

mlp_status mlp_net_init_layer(mlp_net *net, size_t layer, mlp_init scheme)
{
    return mlp_net_init_layer_ex(net, layer, scheme, NULL);
}

mlp_status mlp_net_init_layer_ex(mlp_net *net, size_t layer, mlp_init scheme,
                                 mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (layer >= net->n_layers)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "layer is %zu, but the net has %zu weight "
                        "layers (0 to %zu)", layer, net->n_layers, net->n_layers - 1);
    if ((unsigned)scheme >= MLP_INIT_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "scheme is %d, not an mlp_init", (int)scheme);
    net->param_version++;
    mlp_status st = init_weights(net, layer, scheme);
    return st == MLP_OK ? st : init_failed(detail, st, layer);
}

mlp_status mlp_net_init(mlp_net *net, mlp_init scheme, uint64_t seed)
{
    return mlp_net_init_ex(net, scheme, seed, NULL);
}

mlp_status mlp_net_init_ex(mlp_net *net, mlp_init scheme, uint64_t seed,
                           mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if ((unsigned)scheme >= MLP_INIT_COUNT)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "scheme is %d, not an mlp_init", (int)scheme);
    net->param_version++;
    /* Work on a copy so that a failure (out of memory in QR) changes nothing. */
    float *saved = mlp_mem_alloc(net->param_count * sizeof *saved);
    if (!saved) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory to initialise the net");
    memcpy(saved, net->params, net->param_count * sizeof *saved);
    mlp_rng saved_rng = net->rng;
    mlp_rng_seed(&net->rng, seed);
    memset(net->params, 0, net->param_count * sizeof *net->params);
    for (size_t k = 0; k < net->n_layers; k++) {
        mlp_status st = init_weights(net, k, scheme);
        if (st != MLP_OK) {
            memcpy(net->params, saved, net->param_count * sizeof *saved);
            net->rng = saved_rng;
            mlp_mem_free(saved);
            return init_failed(detail, st, k);
        }
    }
    mlp_mem_free(saved);
    return MLP_OK;
}
