/* Plain SGD on one record for tiny nets (mlp_tiny_net_fits, MSE): the whole step in one
 * function, so a 2-8-1 net costs a few hundred instructions instead of a dozen calls into
 * layer-generic kernels whose set-up outweighs 16 multiply-adds. Compiled per variant.
 *
 * At trip counts of 1, 2 and 8 the auto-vectoriser's prologues and epilogues cost more than
 * the loops they wrap, so it is switched off here (GCC) and the code vectorises by hand:
 * per-neuron work (bias, activation, its derivative) runs on whole chunks of 8 lanes over
 * local buffers padded to a multiple of 8; rows of W take 8-lane chunks while 8 columns
 * remain, then scalars. */
#include "kernels.h"
#include "fast_math.h"

#include <string.h>

#define CHUNK 8

#if defined(__GNUC__) && !defined(__clang__)
/* ... and no loop-to-memcpy rewrites: a libc call to copy one float. */
#define NO_AUTO_VECTORIZE \
    __attribute__((optimize("no-tree-vectorize", "no-tree-loop-distribute-patterns")))
#else
#define NO_AUTO_VECTORIZE
#endif

#ifdef MLP_HAVE_V8
typedef mlp_v8f vec;
typedef mlp_v8i ivec;

/* A vector from 8 scalars: lane inserts in registers. Loading a vector over scalars just
 * stored would stall store-to-load forwarding, and this step is one long dependency chain. */
#define VEC_OF(s) ((vec){(s)[0], (s)[1], (s)[2], (s)[3], (s)[4], (s)[5], (s)[6], (s)[7]})

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define HAVE_SHUFFLE 1
#endif
#endif

/* Every lane of *v = the sum of its 8 lanes (a butterfly: 3 adds deep instead of 7). */
static inline void hsum_all(vec *v)
{
#ifdef HAVE_SHUFFLE
    *v += __builtin_shufflevector(*v, *v, 4, 5, 6, 7, 0, 1, 2, 3);
    *v += __builtin_shufflevector(*v, *v, 2, 3, 0, 1, 6, 7, 4, 5);
    *v += __builtin_shufflevector(*v, *v, 1, 0, 3, 2, 5, 4, 7, 6);
#else
    const vec x = *v;
    const float s = ((x[0] + x[4]) + (x[2] + x[6])) + ((x[1] + x[5]) + (x[3] + x[7]));
    *v = (vec){s, s, s, s, s, s, s, s};
#endif
}

/* *v = g(*v). */
static inline void activate(mlp_activation act, vec *v)
{
    switch (act) {
    case MLP_ACT_SIGMOID: mlp_fast_sigmoid_v8(v); break;
    case MLP_ACT_TANH: mlp_fast_tanh_v8(v); break;
    case MLP_ACT_RELU: *v = (vec)((ivec)*v & ~(*v <= 0.0f)); break; /* NaN stays NaN */
    case MLP_ACT_LEAKY_RELU: *v = MLP_V8_SELECT(*v > 0.0f, *v, MLP_LEAKY_RELU_SLOPE * *v); break;
    default: break; /* linear */
    }
}

/* *d *= g'(a), through the outputs z = g(a). */
static inline void derive(mlp_activation act, const vec *z, vec *d)
{
    switch (act) {
    case MLP_ACT_SIGMOID: *d *= *z - *z * *z; break;
    case MLP_ACT_TANH: *d *= 1.0f - *z * *z; break;
    case MLP_ACT_RELU: *d = (vec)((ivec)*d & (*z > 0.0f)); break;
    case MLP_ACT_LEAKY_RELU: *d = MLP_V8_SELECT(*z > 0.0f, *d, MLP_LEAKY_RELU_SLOPE * *d); break;
    default: break; /* linear */
    }
}

/* Every lane of *out = one neuron's W row . in; n_in a multiple of 8, in padded. */
static inline void dot_chunks(vec *out, const float *w, const float *in, size_t n_in)
{
    vec acc, x;
    memcpy(&acc, w, sizeof acc);
    memcpy(&x, in, sizeof x);
    acc *= x;
    for (size_t i = CHUNK; i < n_in; i += CHUNK) {
        vec wv;
        memcpy(&wv, w + i, sizeof wv);
        memcpy(&x, in + i, sizeof x);
        acc += wv * x;
    }
    hsum_all(&acc);
    *out = acc;
}

#if defined(__GNUC__)
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif

/* s[l] = b_(j0+l) + W row (j0+l) . in for l < lanes, 0 above; w points at row j0. Always
 * inlined, so the small-width cases below get the inner loop unrolled. */
static ALWAYS_INLINE void dots(float s[CHUNK], const float *w, const float *in, size_t n_in,
                               size_t lanes, const float *b, size_t b_step, int chunked)
{
    const vec zero = {0};
    memcpy(s, &zero, sizeof zero);
    for (size_t l = 0; l < lanes; l++, w += n_in) {
        float t = b ? b[l * b_step] : 0.0f;
        if (chunked) {
            vec sum;
            dot_chunks(&sum, w, in, n_in);
            t += sum[0];
        } else {
            for (size_t i = 0; i < n_in; i++) t += w[i] * in[i];
        }
        s[l] = t;
    }
}

/* W <- keep W - lr d z^T over n_out rows of n_in, passing nothing back (the input layer). */
static ALWAYS_INLINE void update_rows(float *w, const float *z, const float *d, size_t n_in,
                                      size_t n_out, float keep, float lr)
{
    for (size_t j = 0; j < n_out; j++, w += n_in) {
        const float sd = lr * d[j];
        for (size_t i = 0; i < n_in; i++) w[i] = keep * w[i] - sd * z[i];
    }
}

/* d = dC/da of the output layer (0 in the padding) from its outputs o; returns the squared
 * error's sum when want_loss (else 0). */
static ALWAYS_INLINE double output_delta(const mlp_net *net, const float *o, const float *y,
                                         float *d, int want_loss)
{
    const size_t nl = net->sizes[net->n_layers];
    double loss = 0.0;
    const float scale = 2.0f / (float)nl; /* dC/do of (1/n_L) sum e^2 */
    const ivec lane = {0, 1, 2, 3, 4, 5, 6, 7};
    for (size_t j0 = 0; j0 < nl; j0 += CHUNK) {
        const size_t lanes = nl - j0 < CHUNK ? nl - j0 : CHUNK;
        float t[CHUNK] = {0};
        for (size_t l = 0; l < lanes; l++) t[l] = y[j0 + l];
        vec ov, e;
        memcpy(&ov, o + j0, sizeof ov);
        e = (vec)((ivec)(ov - VEC_OF(t)) & (lane < (int)lanes)); /* 0 in the padding */
        if (want_loss)
            for (size_t l = 0; l < lanes; l++) loss += (double)e[l] * (double)e[l];
        vec dv = scale * e;
        derive(net->activations[net->n_layers - 1], &ov, &dv);
        memcpy(d + j0, &dv, sizeof dv);
    }
    return loss;
}

/* dn = W^T dk with the old W, read in the same pass as the update W <- keep W - lr dk z^T
 * (a hidden layer: its delta passes on). */
static ALWAYS_INLINE void update_rows_passing_back(float *w, const float *z, const float *dk,
                                                   float *dn, size_t n_in, size_t n_out,
                                                   float keep, float lr)
{
    const vec zero = {0};
    for (size_t i = 0; i < n_in; i += CHUNK) memcpy(dn + i, &zero, sizeof zero);
    const size_t full = n_in / CHUNK * CHUNK; /* columns taken 8 at a time */
    for (size_t j = 0; j < n_out; j++, w += n_in) {
        const float dj = dk[j], sd = lr * dj;
        size_t i = 0;
        for (; i < full; i += CHUNK) {
            vec wv, zv, acc;
            memcpy(&wv, w + i, sizeof wv);
            memcpy(&zv, z + i, sizeof zv);
            memcpy(&acc, dn + i, sizeof acc);
            acc += wv * dj;
            wv = keep * wv - sd * zv;
            memcpy(dn + i, &acc, sizeof acc);
            memcpy(w + i, &wv, sizeof wv);
        }
        for (; i < n_in; i++) {
            dn[i] += w[i] * dj;
            w[i] = keep * w[i] - sd * z[i];
        }
    }
}

/* A layer's bias update (b: its bias, NULL for none) from its delta dk; a per-network
 * bias's share is added to *shared (applied once, after the last layer). */
static ALWAYS_INLINE void update_bias(mlp_bias_mode bias_mode, float *b, size_t n_out,
                                      const float *dk, float keep, float lr, float *shared)
{
    if (bias_mode == MLP_BIAS_PER_NEURON) {
        size_t j = 0;
        for (; j + CHUNK <= n_out; j += CHUNK) { /* dk is padded, b is not */
            vec bv, dv;
            memcpy(&bv, b + j, sizeof bv);
            memcpy(&dv, dk + j, sizeof dv);
            bv = keep * bv - lr * dv;
            memcpy(b + j, &bv, sizeof bv);
        }
        for (; j < n_out; j++) b[j] = keep * b[j] - lr * dk[j];
    } else if (bias_mode != MLP_BIAS_NONE) {
        float sum = 0.0f;
        for (size_t j = 0; j < n_out; j++) sum += dk[j];
        if (bias_mode == MLP_BIAS_PER_LAYER)
            *b = keep * *b - lr * sum;
        else
            *shared += sum; /* PER_NETWORK */
    }
}

NO_AUTO_VECTORIZE
double MLP_KERNEL_NAME(mlp_tiny_step)(mlp_net *net, mlp_workspace *ws, const float *x,
                                      const float *y, float lr, float weight_decay, int want_loss)
{
    const size_t L = net->n_layers;
    const float keep = 1.0f - lr * weight_decay;
    const mlp_bias_mode bias_mode = net->bias_mode;
    float *p = net->params;
    /* a[k + 1]: outputs of layer k in whole chunks (padding lanes hold finite junk);
     * a[0] is unused (x is read in place). The forward pass stays in this function: as a
     * helper, even always inlined, it cost 7-17% per step on a 5-32-3 net. */
    _Alignas(32) float a[MLP_TINY_LAYERS + 1][MLP_TINY_WIDTH];
    const float *in = x;
    for (size_t k = 0; k < L; k++) { /* forward: a = g(W in + b) */
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        const float *w = p + net->weights_offset[k];
        const float *b = bias_mode == MLP_BIAS_NONE ? NULL : p + net->bias_offset[k];
        const size_t b_step = bias_mode == MLP_BIAS_PER_NEURON; /* else one shared scalar */
        const mlp_activation act = net->activations[k];
        for (size_t j0 = 0; j0 < n_out; j0 += CHUNK, w += CHUNK * n_in) {
            const size_t lanes = n_out - j0 < CHUNK ? n_out - j0 : CHUNK;
            const float *bj = b ? b + j0 * b_step : NULL;
            const int chunked = k > 0 && n_in % CHUNK == 0;
            vec v;
            if (lanes == 1 && chunked) { /* one neuron (a regression output): all in registers */
                dot_chunks(&v, w, in, n_in);
                if (bj) v += *bj;
            } else {
                float s[CHUNK];
                switch (n_in) { /* constant widths: unrolled inner loops */
                case 1: dots(s, w, in, 1, lanes, bj, b_step, 0); break;
                case 2: dots(s, w, in, 2, lanes, bj, b_step, 0); break;
                case 3: dots(s, w, in, 3, lanes, bj, b_step, 0); break;
                case 4: dots(s, w, in, 4, lanes, bj, b_step, 0); break;
                default: dots(s, w, in, n_in, lanes, bj, b_step, chunked); break;
                }
                v = VEC_OF(s);
            }
            activate(act, &v);
            memcpy(a[k + 1] + j0, &v, sizeof v);
        }
        in = a[k + 1];
    }

    const size_t nl = net->sizes[L];
    const float *o = a[L];
    _Alignas(32) float d[MLP_TINY_WIDTH], dp[MLP_TINY_WIDTH];
    const double loss = output_delta(net, o, y, d, want_loss);

    float *dk = d, *dn = dp, shared = 0.0f;
    for (size_t k = L; k-- > 0;) { /* backward, the update fused in */
        const size_t n_in = net->sizes[k], n_out = net->sizes[k + 1];
        float *w = p + net->weights_offset[k];
        const float *z = k == 0 ? x : a[k];
        if (k > 0) {
            update_rows_passing_back(w, z, dk, dn, n_in, n_out, keep, lr);
        } else { /* the input layer: no delta to pass on */
            switch (n_in) {
            case 1: update_rows(w, z, dk, 1, n_out, keep, lr); break;
            case 2: update_rows(w, z, dk, 2, n_out, keep, lr); break;
            case 3: update_rows(w, z, dk, 3, n_out, keep, lr); break;
            case 4: update_rows(w, z, dk, 4, n_out, keep, lr); break;
            default: update_rows(w, z, dk, n_in, n_out, keep, lr); break;
            }
        }
        update_bias(bias_mode, bias_mode == MLP_BIAS_NONE ? NULL : p + net->bias_offset[k], n_out,
                    dk, keep, lr, &shared);
        if (k == 0) break;
        const mlp_activation act = net->activations[k - 1];
        for (size_t i = 0; i < n_in; i += CHUNK) {
            vec zv, dv;
            memcpy(&zv, z + i, sizeof zv);
            memcpy(&dv, dn + i, sizeof dv);
            derive(act, &zv, &dv);
            memcpy(dn + i, &dv, sizeof dv);
        }
        float *t = dk;
        dk = dn;
        dn = t;
    }
    if (bias_mode == MLP_BIAS_PER_NETWORK) {
        float *b = p + net->bias_offset[0];
        *b = keep * *b - lr * shared;
    }
    float *out = ws->z[L]; /* the workspace's output, which mlp_workspace_output reads */
    for (size_t j = 0; j < nl; j++) out[j] = o[j];
    ws->last_output = out;
    return loss / (double)nl;
}
#endif
