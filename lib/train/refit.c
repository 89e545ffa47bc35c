/* Closed-form ridge refit of the output layer on the features of the hidden layers. */
#include "mlp_internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REFIT_CHUNK 256

/* Features h of the last hidden layer (the inputs for a one-layer net), as doubles with a
 * trailing 1 when the layer has a bias: rows x m. */
static void features_to_double(const float *h, size_t rows, size_t width, int with_one, double *out)
{
    size_t m = width + (size_t)with_one;
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < width; j++) out[i * m + j] = h[i * width + j];
        if (with_one) out[i * m + width] = 1.0;
    }
}

mlp_status mlp_refit_output_layer(mlp_net *net, const float *inputs, const float *targets,
                                  size_t count, float lambda)
{
    return mlp_refit_output_layer_ex(net, inputs, targets, count, lambda, NULL);
}

mlp_status mlp_refit_output_layer_ex(mlp_net *net, const float *inputs, const float *targets,
                                     size_t count, float lambda, mlp_error_detail *detail)
{
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (!inputs) return mlp_fail(detail, MLP_ERR_NULL_ARG, "inputs is NULL");
    if (!targets) return mlp_fail(detail, MLP_ERR_NULL_ARG, "targets is NULL");
    if (!mlp_is_finite(lambda))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "lambda is NaN or infinite");
    if (count == 0) return mlp_fail(detail, MLP_ERR_INVALID_ARG, "count is 0: no records");
    if (lambda < 0.0f)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "lambda is %g, below 0", (double)lambda);
    const size_t L = net->n_layers, last = L - 1;
    if (net->activations[last] != MLP_ACT_LINEAR)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "net's output layer is not linear: the "
                        "closed form holds for a linear output layer only");
    if (net->bias_mode != MLP_BIAS_PER_NEURON && net->bias_mode != MLP_BIAS_NONE)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "net's bias mode is neither per neuron "
                        "nor none");
    const size_t width = net->sizes[last], nl = net->sizes[L];
    const int with_one = net->bias_mode == MLP_BIAS_PER_NEURON;
    const size_t m = width + (size_t)with_one;
    if (m > INT_MAX) /* BLAS and LAPACK dimensions are int */
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "net's last hidden layer (%zu neurons) "
                        "is too wide for LAPACK", width);
    if (!mlp_all_finite(inputs, count * net->sizes[0]))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "inputs hold a NaN or infinite value");
    if (!mlp_all_finite(targets, count * nl))
        return mlp_fail(detail, MLP_ERR_NON_FINITE, "targets hold a NaN or infinite value");

    /* Normal equations in double: (H^T H + lambda I') X = H^T Y, X = [W^T; b^T]. LAPACK works
     * column-major: the upper triangle of the row-major H^T H is its column-major lower
     * triangle, and H^T Y is accumulated column-major (as the row-major Y^T H), so LAPACK
     * needs no transposition buffers of its own (memory stays with the library's allocator). */
    double *ata = mlp_mem_calloc(m * m, sizeof *ata), *aty = mlp_mem_calloc(m * nl, sizeof *aty);
    double *hd = mlp_mem_alloc(REFIT_CHUNK * m * sizeof *hd);
    double *yd = mlp_mem_alloc(REFIT_CHUNK * nl * sizeof *yd);
    mlp_workspace *ws = NULL;
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (!ata || !aty || !hd || !yd) goto done;
    if (L > 1 && (st = mlp_workspace_create_inference(&ws, net, REFIT_CHUNK)) != MLP_OK) goto done;
    for (size_t start = 0; start < count; start += REFIT_CHUNK) {
        size_t b = count - start < REFIT_CHUNK ? count - start : REFIT_CHUNK;
        const float *h = inputs + start * net->sizes[0];
        if (L > 1) { /* run the hidden layers only: a one-layer-shorter view of the net */
            mlp_net hidden = *net;
            hidden.n_layers = L - 1;
            mlp_propagate_forward(&hidden, ws, h, b, 0);
            h = ws->z[L - 1];
        }
        features_to_double(h, b, width, with_one, hd);
        for (size_t i = 0; i < b * nl; i++) yd[i] = targets[start * nl + i];
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)m, (int)b, 1.0, hd, (int)m, 1.0,
                    ata, (int)m);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nl, (int)m, (int)b, 1.0, yd,
                    (int)nl, hd, (int)m, 1.0, aty, (int)m);
    }
    for (size_t j = 0; j < width; j++) ata[j * m + j] += lambda; /* the bias is not penalised */
    lapack_int info = LAPACKE_dposv_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, (lapack_int)nl,
                                         ata, (lapack_int)m, aty, (lapack_int)m);
    if (info != 0) {
        st = MLP_ERR_NUMERICAL;
        goto done;
    }
    for (size_t i = 0; i < m * nl; i++) { /* hidden features may overflow, or the solution */
        if (!(fabs(aty[i]) <= FLT_MAX)) {
            st = MLP_ERR_NUMERICAL;
            goto done;
        }
    }
    net->param_version++;
    float *w = net->params + net->weights_offset[last];
    for (size_t o = 0; o < nl; o++) { /* X[j][o] at aty[o * m + j] */
        for (size_t j = 0; j < width; j++) w[o * width + j] = (float)aty[o * m + j];
        if (with_one) net->params[net->bias_offset[last] + o] = (float)aty[o * m + width];
    }
    st = MLP_OK;
done:
    mlp_workspace_free(ws);
    mlp_mem_free(ata);
    mlp_mem_free(aty);
    mlp_mem_free(hd);
    mlp_mem_free(yd);
    if (st == MLP_ERR_NUMERICAL)
        return mlp_fail(detail, st, "the ridge system is singular or overflows: raise lambda");
    if (st != MLP_OK) return mlp_fail(detail, st, "no memory for the refit of %zu records", count);
    return st;
}
