/* Weight initialisation: Glorot, He, and orthogonal (QR of a Gaussian matrix, LAPACKE). */
#include "mlp_internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACKE reports its own workspace and transposition buffers failing as negative codes. */
static mlp_status lapack_status(lapack_int info)
{
    return info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR
               ? MLP_ERR_NO_MEMORY : MLP_ERR_NUMERICAL;
}

static mlp_init auto_scheme(mlp_activation act)
{
    return act == MLP_ACT_RELU || act == MLP_ACT_LEAKY_RELU ? MLP_INIT_HE : MLP_INIT_GLOROT;
}

/* W (rows x cols) with orthonormal rows (rows <= cols) or columns (rows > cols).
 * Q of the QR of a tall Gaussian matrix, signs fixed by diag(R) so Q is Haar-distributed. */
static mlp_status init_orthogonal(float *w, size_t rows, size_t cols, mlp_rng *rng)
{
    size_t m = rows > cols ? rows : cols, n = rows > cols ? cols : rows;
    size_t mn;
    if (!mlp_mul_size(m, n, &mn)) return MLP_ERR_INVALID_ARG;
    float *a = malloc(mn * sizeof *a), *tau = malloc(n * sizeof *tau), *sign = malloc(n * sizeof *sign);
    mlp_status st = MLP_OK;
    if (!a || !tau || !sign) {
        st = MLP_ERR_NO_MEMORY;
        goto done;
    }
    for (size_t i = 0; i < mn; i++) a[i] = mlp_rng_normal(rng);
    /* a is m x n, row-major. */
    lapack_int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)n, a,
                                     (lapack_int)n, tau);
    if (info != 0) {
        st = lapack_status(info);
        goto done;
    }
    for (size_t j = 0; j < n; j++) sign[j] = a[j * n + j] < 0 ? -1.0f : 1.0f;
    info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)n, (lapack_int)n, a,
                          (lapack_int)n, tau);
    if (info != 0) {
        st = lapack_status(info);
        goto done;
    }
    if (rows > cols) { /* W = Q (rows x cols), orthonormal columns */
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) w[i * cols + j] = a[i * n + j] * sign[j];
    } else { /* W = Q^T (rows x cols), orthonormal rows */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < m; j++) w[i * cols + j] = a[j * n + i] * sign[i];
    }
done:
    free(a);
    free(tau);
    free(sign);
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

mlp_status mlp_net_init_layer(mlp_net *net, size_t layer, mlp_init scheme)
{
    if (!net) return MLP_ERR_NULL_ARG;
    if (layer >= net->n_layers || (unsigned)scheme >= MLP_INIT_COUNT) return MLP_ERR_INVALID_ARG;
    return init_weights(net, layer, scheme);
}

mlp_status mlp_net_init(mlp_net *net, mlp_init scheme, uint64_t seed)
{
    if (!net) return MLP_ERR_NULL_ARG;
    if ((unsigned)scheme >= MLP_INIT_COUNT) return MLP_ERR_INVALID_ARG;
    /* Work on a copy so that a failure (out of memory in QR) changes nothing. */
    float *saved = malloc(net->param_count * sizeof *saved);
    if (!saved) return MLP_ERR_NO_MEMORY;
    memcpy(saved, net->params, net->param_count * sizeof *saved);
    mlp_rng saved_rng = net->rng;
    mlp_rng_seed(&net->rng, seed);
    memset(net->params, 0, net->param_count * sizeof *net->params);
    for (size_t k = 0; k < net->n_layers; k++) {
        mlp_status st = init_weights(net, k, scheme);
        if (st != MLP_OK) {
            memcpy(net->params, saved, net->param_count * sizeof *saved);
            net->rng = saved_rng;
            free(saved);
            return st;
        }
    }
    free(saved);
    return MLP_OK;
}
