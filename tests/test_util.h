/* Shared helpers of the core test suites: a private RNG, the documented parameter layout,
 * and a naive double-precision reference forward/backward pass that follows DESIGN.md's
 * math contract literally (one record at a time, plain loops, no BLAS).
 * Everything is static inline so that each suite uses what it needs. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include "mlp.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TU_MAX_LAYERS 8
#define TU_MAX_WIDTH 1024 /* wide enough for the one-record kernels' BLAS branch */

/* ------------------------------------------------------------------ test RNG */

/* splitmix64: independent of the library's RNG on purpose. */
static inline uint64_t tu_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline double tu_uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(tu_next(s) >> 11) * 0x1.0p-53);
}

static inline void tu_fill_uniform(uint64_t *s, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)tu_uniform(s, lo, hi);
}

/* Rows of probability vectors (positive, summing to 1): targets for cross-entropy. */
static inline void tu_fill_distributions(uint64_t *s, float *y, size_t rows, size_t n)
{
    for (size_t r = 0; r < rows; r++) {
        double sum = 0.0;
        for (size_t j = 0; j < n; j++) {
            y[r * n + j] = (float)tu_uniform(s, 0.05, 1.0);
            sum += y[r * n + j];
        }
        for (size_t j = 0; j < n; j++) y[r * n + j] = (float)(y[r * n + j] / sum);
    }
}

/* ------------------------------------------------------------------ topology + layout */

typedef struct tu_topo {
    size_t layers;
    size_t sizes[TU_MAX_LAYERS + 1];
    mlp_activation acts[TU_MAX_LAYERS];
    mlp_bias_mode bias;
} tu_topo;

/* The layout documented in mlp.h, computed independently of the library. */
typedef struct tu_layout {
    size_t w_off[TU_MAX_LAYERS];
    size_t b_off[TU_MAX_LAYERS]; /* SIZE_MAX without bias */
    size_t b_count[TU_MAX_LAYERS];
    size_t count;
} tu_layout;

static inline tu_layout tu_layout_of(const tu_topo *t)
{
    tu_layout lay;
    size_t off = 0;
    for (size_t k = 0; k < t->layers; k++) {
        lay.w_off[k] = off;
        off += t->sizes[k + 1] * t->sizes[k];
        lay.b_off[k] = SIZE_MAX;
        lay.b_count[k] = 0;
        if (t->bias == MLP_BIAS_PER_NEURON) {
            lay.b_off[k] = off;
            lay.b_count[k] = t->sizes[k + 1];
            off += t->sizes[k + 1];
        } else if (t->bias == MLP_BIAS_PER_LAYER) {
            lay.b_off[k] = off;
            lay.b_count[k] = 1;
            off += 1;
        }
    }
    if (t->bias == MLP_BIAS_PER_NETWORK) {
        for (size_t k = 0; k < t->layers; k++) {
            lay.b_off[k] = off;
            lay.b_count[k] = 1;
        }
        off += 1;
    }
    lay.count = off;
    return lay;
}

static inline tu_topo tu_topo_make(size_t layers, const size_t *sizes, const mlp_activation *acts,
                                   mlp_bias_mode bias)
{
    tu_topo t;
    memset(&t, 0, sizeof t);
    t.layers = layers;
    for (size_t i = 0; i <= layers; i++) t.sizes[i] = sizes[i];
    for (size_t i = 0; i < layers; i++) t.acts[i] = acts[i];
    t.bias = bias;
    return t;
}

/* Creates the net, initialises it (Glorot, seed) and sets every bias to uniform(-0.5, 0.5)
 * so that bias modes matter. Returns NULL on failure. */
static inline mlp_net *tu_net_new(const tu_topo *t, uint64_t seed)
{
    mlp_net *net = NULL;
    if (mlp_net_create(&net, t->layers, t->sizes, t->acts, t->bias) != MLP_OK) return NULL;
    if (mlp_net_init(net, MLP_INIT_GLOROT, seed) != MLP_OK) {
        mlp_net_free(net);
        return NULL;
    }
    tu_layout lay = tu_layout_of(t);
    float *p = mlp_net_params(net);
    uint64_t s = seed ^ 0xB1A5ull;
    for (size_t k = 0; k < t->layers; k++)
        if (lay.b_off[k] != SIZE_MAX)
            tu_fill_uniform(&s, p + lay.b_off[k], lay.b_count[k], -0.5, 0.5);
    return net;
}

/* ------------------------------------------------------------------ reference math */

static inline double tu_act(mlp_activation g, double a)
{
    switch (g) {
    case MLP_ACT_LINEAR: return a;
    case MLP_ACT_SIGMOID: return 1.0 / (1.0 + exp(-a));
    case MLP_ACT_TANH: return tanh(a);
    case MLP_ACT_RELU: return a > 0.0 ? a : 0.0;
    case MLP_ACT_LEAKY_RELU: return a > 0.0 ? a : (double)MLP_LEAKY_RELU_SLOPE * a;
    default: return NAN; /* softmax is handled per layer */
    }
}

/* g'(a) given a and z = g(a). */
static inline double tu_act_deriv(mlp_activation g, double a, double z)
{
    switch (g) {
    case MLP_ACT_LINEAR: return 1.0;
    case MLP_ACT_SIGMOID: return z * (1.0 - z);
    case MLP_ACT_TANH: return 1.0 - z * z;
    case MLP_ACT_RELU: return a > 0.0 ? 1.0 : 0.0;
    case MLP_ACT_LEAKY_RELU: return a > 0.0 ? 1.0 : (double)MLP_LEAKY_RELU_SLOPE;
    default: return NAN;
    }
}

static inline double tu_bias_value(const tu_topo *t, const tu_layout *lay, const float *p,
                                   size_t k, size_t j)
{
    switch (t->bias) {
    case MLP_BIAS_PER_NEURON: return p[lay->b_off[k] + j];
    case MLP_BIAS_PER_LAYER:
    case MLP_BIAS_PER_NETWORK: return p[lay->b_off[k]];
    default: return 0.0;
    }
}

/* Loss of one record in double, as documented. */
static inline double tu_loss(mlp_loss loss, const double *o, const float *y, size_t n)
{
    double c = 0.0;
    if (loss == MLP_LOSS_MSE) {
        for (size_t j = 0; j < n; j++) c += (o[j] - y[j]) * (o[j] - y[j]);
        return c / (double)n;
    }
    for (size_t j = 0; j < n; j++)
        if (y[j] != 0.0f) c -= y[j] * log(o[j]);
    return c;
}

static inline double tu_loss_f(mlp_loss loss, const float *o, const float *y, size_t n)
{
    double od[TU_MAX_WIDTH];
    for (size_t j = 0; j < n; j++) od[j] = o[j];
    return tu_loss(loss, od, y, n);
}

/* Per-record scratch of the reference pass: pre-activations a, outputs g(a) before
 * dropout, and outputs z after it (the next layer's inputs) per layer (z[0] is the input). */
typedef struct tu_trace {
    double a[TU_MAX_LAYERS + 1][TU_MAX_WIDTH];
    double g[TU_MAX_LAYERS + 1][TU_MAX_WIDTH];
    double z[TU_MAX_LAYERS + 1][TU_MAX_WIDTH];
} tu_trace;

/* Dropout masks of a batch, as the library documents them: mask[k] (k = 1 .. layers-1,
 * hidden outputs) holds batch x n_k factors, 0 or 1/(1-rate); NULL rows or a NULL pointer
 * mean no dropout. */
typedef const float *const *tu_masks;

/* Forward pass of record r of a batch, x its input row, with the batch's masks (or NULL). */
static inline void tu_ref_forward_masked(const tu_topo *t, const float *p, const float *x,
                                         tu_masks masks, size_t r, tu_trace *tr)
{
    tu_layout lay = tu_layout_of(t);
    for (size_t i = 0; i < t->sizes[0]; i++) tr->z[0][i] = tr->g[0][i] = x[i];
    for (size_t k = 0; k < t->layers; k++) {
        size_t nin = t->sizes[k], nout = t->sizes[k + 1];
        const float *W = p + lay.w_off[k];
        double *a = tr->a[k + 1], *g = tr->g[k + 1], *z = tr->z[k + 1];
        for (size_t j = 0; j < nout; j++) {
            double s = tu_bias_value(t, &lay, p, k, j);
            for (size_t i = 0; i < nin; i++) s += (double)W[j * nin + i] * tr->z[k][i];
            a[j] = s;
        }
        if (t->acts[k] == MLP_ACT_SOFTMAX) {
            double m = a[0], sum = 0.0;
            for (size_t j = 1; j < nout; j++) m = fmax(m, a[j]);
            for (size_t j = 0; j < nout; j++) sum += (g[j] = exp(a[j] - m));
            for (size_t j = 0; j < nout; j++) g[j] /= sum;
        } else {
            for (size_t j = 0; j < nout; j++) g[j] = tu_act(t->acts[k], a[j]);
        }
        const float *mask = masks && k + 1 < t->layers ? masks[k + 1] : NULL;
        for (size_t j = 0; j < nout; j++) z[j] = mask ? g[j] * mask[r * nout + j] : g[j];
    }
}

/* Forward pass of one record x, no dropout. */
static inline void tu_ref_forward_record(const tu_topo *t, const float *p, const float *x,
                                         tu_trace *tr)
{
    tu_ref_forward_masked(t, p, x, NULL, 0, tr);
}

/* Forward of `batch` rows into out (batch x n_L, double). */
static inline void tu_ref_forward(const tu_topo *t, const float *p, const float *x, size_t batch,
                                  double *out)
{
    tu_trace *tr = malloc(sizeof *tr);
    size_t n0 = t->sizes[0], nL = t->sizes[t->layers];
    for (size_t r = 0; r < batch; r++) {
        tu_ref_forward_record(t, p, x + r * n0, tr);
        for (size_t j = 0; j < nL; j++) out[r * nL + j] = tr->z[t->layers][j];
    }
    free(tr);
}

/* Sum over the batch of grad C_i, added into grad (double, layout of t), and sum of C_i
 * returned, with the batch's dropout masks (NULL: none): a dropped unit passes no gradient,
 * a kept one passes mask * g'(a), with g' taken at the undropped output.
 * Cross-entropy uses the softmax output's combined delta o*sum(y) - y. */
static inline double tu_ref_gradient_masked(const tu_topo *t, const float *p, const float *x,
                                            const float *y, size_t batch, mlp_loss loss,
                                            tu_masks masks, double *grad)
{
    tu_layout lay = tu_layout_of(t);
    size_t L = t->layers, n0 = t->sizes[0], nL = t->sizes[L];
    double total = 0.0;
    tu_trace *tr = malloc(sizeof *tr);
    double delta[TU_MAX_WIDTH], prev[TU_MAX_WIDTH];
    for (size_t r = 0; r < batch; r++) {
        const float *yr = y + r * nL;
        tu_ref_forward_masked(t, p, x + r * n0, masks, r, tr);
        const double *o = tr->z[L];
        total += tu_loss(loss, o, yr, nL);
        /* delta^L = dC/da^L */
        if (loss == MLP_LOSS_CROSS_ENTROPY) {
            double ys = 0.0;
            for (size_t j = 0; j < nL; j++) ys += yr[j];
            for (size_t j = 0; j < nL; j++) delta[j] = o[j] * ys - yr[j];
        } else {
            double dO[TU_MAX_WIDTH];
            for (size_t j = 0; j < nL; j++) dO[j] = 2.0 / (double)nL * (o[j] - yr[j]);
            if (t->acts[L - 1] == MLP_ACT_SOFTMAX) {
                double dot = 0.0;
                for (size_t j = 0; j < nL; j++) dot += dO[j] * o[j];
                for (size_t j = 0; j < nL; j++) delta[j] = o[j] * (dO[j] - dot);
            } else {
                for (size_t j = 0; j < nL; j++)
                    delta[j] = dO[j] * tu_act_deriv(t->acts[L - 1], tr->a[L][j], o[j]);
            }
        }
        for (size_t k = L; k-- > 0;) {
            size_t nin = t->sizes[k], nout = t->sizes[k + 1];
            const float *W = p + lay.w_off[k];
            double *gW = grad + lay.w_off[k];
            for (size_t j = 0; j < nout; j++)
                for (size_t i = 0; i < nin; i++) gW[j * nin + i] += delta[j] * tr->z[k][i];
            if (t->bias == MLP_BIAS_PER_NEURON) {
                for (size_t j = 0; j < nout; j++) grad[lay.b_off[k] + j] += delta[j];
            } else if (t->bias != MLP_BIAS_NONE) {
                for (size_t j = 0; j < nout; j++) grad[lay.b_off[k]] += delta[j];
            }
            if (k == 0) break;
            const float *mask = masks ? masks[k] : NULL;
            for (size_t i = 0; i < nin; i++) {
                double s = 0.0;
                for (size_t j = 0; j < nout; j++) s += (double)W[j * nin + i] * delta[j];
                if (mask) s *= mask[r * nin + i];
                prev[i] = s * tu_act_deriv(t->acts[k - 1], tr->a[k][i], tr->g[k][i]);
            }
            memcpy(delta, prev, nin * sizeof(double));
        }
    }
    free(tr);
    return total;
}

/* The same without dropout. */
static inline double tu_ref_gradient(const tu_topo *t, const float *p, const float *x,
                                     const float *y, size_t batch, mlp_loss loss, double *grad)
{
    return tu_ref_gradient_masked(t, p, x, y, batch, loss, NULL, grad);
}

/* Smallest |pre-activation| of any (leaky) ReLU unit over the batch: how far from a kink. */
static inline double tu_ref_kink_margin(const tu_topo *t, const float *p, const float *x,
                                        size_t batch)
{
    tu_trace *tr = malloc(sizeof *tr);
    double m = INFINITY;
    for (size_t r = 0; r < batch; r++) {
        tu_ref_forward_record(t, p, x + r * t->sizes[0], tr);
        for (size_t k = 0; k < t->layers; k++)
            if (t->acts[k] == MLP_ACT_RELU || t->acts[k] == MLP_ACT_LEAKY_RELU)
                for (size_t j = 0; j < t->sizes[k + 1]; j++) m = fmin(m, fabs(tr->a[k + 1][j]));
    }
    free(tr);
    return m;
}

/* ------------------------------------------------------------------ comparisons */

/* max|a-b| / max(floor, max|a|, max|b|): the scale-aware error the suites compare with. */
static inline double tu_rel_err_dd(const double *a, const double *b, size_t n, double floor_)
{
    double diff = 0.0, scale = floor_;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs(a[i] - b[i]));
        scale = fmax(scale, fmax(fabs(a[i]), fabs(b[i])));
    }
    if (isnan(diff)) return INFINITY;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(a[i]) || !isfinite(b[i])) return INFINITY;
    return diff / scale;
}

static inline double tu_rel_err_fd(const float *a, const double *b, size_t n, double floor_)
{
    double *ad = malloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) ad[i] = a[i];
    double e = tu_rel_err_dd(ad, b, n, floor_);
    free(ad);
    return e;
}

static inline double tu_rel_err_ff(const float *a, const float *b, size_t n, double floor_)
{
    double *bd = malloc((n ? n : 1) * sizeof(double));
    for (size_t i = 0; i < n; i++) bd[i] = b[i];
    double e = tu_rel_err_fd(a, bd, n, floor_);
    free(bd);
    return e;
}

/* Index of the first difference of two float arrays bit for bit, or n when identical. */
static inline size_t tu_first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) return i;
    return n;
}

static inline float *tu_copy(const float *src, size_t n)
{
    float *d = malloc((n ? n : 1) * sizeof(float));
    if (n) memcpy(d, src, n * sizeof(float));
    return d;
}

static inline const char *tu_act_name(mlp_activation g)
{
    static const char *names[] = {"linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"};
    return (unsigned)g < MLP_ACT_COUNT ? names[g] : "?";
}

static inline const char *tu_bias_name(mlp_bias_mode b)
{
    static const char *names[] = {"none", "per_neuron", "per_layer", "per_network"};
    return (unsigned)b < MLP_BIAS_COUNT ? names[b] : "?";
}

static inline const char *tu_loss_name(mlp_loss l)
{
    return l == MLP_LOSS_MSE ? "mse" : l == MLP_LOSS_CROSS_ENTROPY ? "cross_entropy" : "?";
}

#endif /* TEST_UTIL_H */
