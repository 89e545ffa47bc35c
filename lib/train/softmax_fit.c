/* Softmax regression (multinomial logistic regression with an L2 penalty on the weights):
 * a net with no hidden layer and a softmax output, trained to convergence by full-batch
 * L-BFGS with a backtracking line search, in double precision. Deterministic, no learning
 * rate to pick: the linear candidate of model selection for classification. */
#include "mlp_internal.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define HISTORY 10        /* L-BFGS correction pairs kept */
#define ARMIJO 1e-4       /* sufficient decrease of the line search */
#define MAX_HALVINGS 40

typedef struct problem {
    const double *x; /* n x d */
    const double *y; /* n x k */
    size_t n, d, k;
    double l2;
    double *z;       /* n x k scratch: logits, then probabilities - targets */
} problem;

/* Penalised mean cross-entropy at theta = [W (k x d), b (k)] and its gradient. */
static double objective(const problem *p, const double *theta, double *grad)
{
    const size_t n = p->n, d = p->d, k = p->k;
    const double *w = theta, *b = theta + k * d;
    for (size_t i = 0; i < n; i++) memcpy(p->z + i * k, b, k * sizeof *b);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)d, 1.0, p->x,
                (int)d, w, (int)d, 1.0, p->z, (int)k);
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double *zi = p->z + i * k, top = zi[0], sum = 0.0;
        const double *yi = p->y + i * k;
        for (size_t j = 1; j < k; j++) top = zi[j] > top ? zi[j] : top;
        for (size_t j = 0; j < k; j++) sum += exp(zi[j] - top);
        double log_sum = top + log(sum);
        for (size_t j = 0; j < k; j++) {
            loss -= yi[j] * (zi[j] - log_sum);
            zi[j] = exp(zi[j] - log_sum) - yi[j]; /* dC/dz */
        }
    }
    loss /= (double)n;
    double penalty = 0.0;
    for (size_t i = 0; i < k * d; i++) penalty += w[i] * w[i];
    loss += 0.5 * p->l2 * penalty;
    if (grad) {
        memcpy(grad, w, k * d * sizeof *grad);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)d, (int)n,
                    1.0 / (double)n, p->z, (int)k, p->x, (int)d, p->l2, grad, (int)d);
        double *gb = grad + k * d;
        memset(gb, 0, k * sizeof *gb);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++) gb[j] += p->z[i * k + j];
        for (size_t j = 0; j < k; j++) gb[j] /= (double)n;
    }
    return loss;
}

static double dot(const double *a, const double *b, size_t n)
{
    return cblas_ddot((int)n, a, 1, b, 1);
}

/* The L-BFGS direction -H g from the stored pairs (two-loop recursion). */
static void direction(const double *g, double *dir, double *s, double *yv, double *rho,
                      double *alpha, size_t stored, size_t newest, size_t m)
{
    memcpy(dir, g, m * sizeof *dir);
    for (size_t t = 0; t < stored; t++) {
        size_t i = (newest + HISTORY - t) % HISTORY;
        alpha[i] = rho[i] * dot(s + i * m, dir, m);
        cblas_daxpy((int)m, -alpha[i], yv + i * m, 1, dir, 1);
    }
    if (stored) {
        double gamma = dot(s + newest * m, yv + newest * m, m) /
                       dot(yv + newest * m, yv + newest * m, m);
        cblas_dscal((int)m, gamma, dir, 1);
    }
    for (size_t t = stored; t-- > 0;) {
        size_t i = (newest + HISTORY - t) % HISTORY;
        double beta = rho[i] * dot(yv + i * m, dir, m);
        cblas_daxpy((int)m, alpha[i] - beta, s + i * m, 1, dir, 1);
    }
    cblas_dscal((int)m, -1.0, dir, 1);
}

static double max_abs(const double *v, size_t n)
{
    double a = 0.0;
    for (size_t i = 0; i < n; i++) a = fabs(v[i]) > a ? fabs(v[i]) : a;
    return a;
}

/* Minimises the objective from theta (in place). */
static void lbfgs(const problem *p, double *theta, double *work, size_t max_iter, double tol,
                  mlp_softmax_fit_info *info)
{
    const size_t m = p->k * (p->d + 1);
    double *g = work, *dir = g + m, *next = dir + m, *gnext = next + m;
    double *s = gnext + m, *yv = s + HISTORY * m, *rho = yv + HISTORY * m, *alpha = rho + HISTORY;
    double f = objective(p, theta, g);
    size_t stored = 0, newest = 0, it = 0;
    info->converged = max_abs(g, m) <= tol;
    for (; it < max_iter && !info->converged; it++) {
        direction(g, dir, s, yv, rho, alpha, stored, newest, m);
        double slope = dot(g, dir, m);
        if (!(slope < 0.0)) { /* not a descent direction: restart from the gradient */
            stored = 0;
            memcpy(dir, g, m * sizeof *dir);
            cblas_dscal((int)m, -1.0, dir, 1);
            slope = dot(g, dir, m);
        }
        double step = stored ? 1.0 : 1.0 / (1.0 + max_abs(g, m)), fnext = f;
        int accepted = 0;
        for (int h = 0; h < MAX_HALVINGS && !accepted; h++, step *= 0.5) {
            for (size_t i = 0; i < m; i++) next[i] = theta[i] + step * dir[i];
            fnext = objective(p, next, gnext);
            accepted = isfinite(fnext) && fnext <= f + ARMIJO * step * slope;
        }
        if (!accepted) break; /* no decrease left at double precision: at the minimum */
        size_t slot = stored ? (newest + 1) % HISTORY : newest;
        double *si = s + slot * m, *yi = yv + slot * m;
        for (size_t i = 0; i < m; i++) {
            si[i] = next[i] - theta[i];
            yi[i] = gnext[i] - g[i];
        }
        double sy = dot(si, yi, m);
        if (sy > 1e-12 * dot(yi, yi, m)) { /* keep the curvature pair only when positive */
            rho[slot] = 1.0 / sy;
            newest = slot;
            if (stored < HISTORY) stored++;
        }
        memcpy(theta, next, m * sizeof *theta);
        memcpy(g, gnext, m * sizeof *g);
        double drop = f - fnext;
        f = fnext;
        info->converged = max_abs(g, m) <= tol || drop <= 1e-15 * (1.0 + fabs(f));
    }
    info->iterations = it;
    info->loss = f;
    info->gradient_max = max_abs(g, m);
}

mlp_status mlp_softmax_fit(const float *x, const float *y, size_t n, size_t d, size_t k,
                           double l2, size_t max_iter, double tol, double *theta,
                           mlp_softmax_fit_info *info)
{
    if (!x || !y || !theta || !info) return MLP_ERR_NULL_ARG;
    if (n == 0 || d == 0 || k < 2 || !(l2 >= 0.0) || !(tol > 0.0) || n > INT_MAX ||
        d > INT_MAX || k > INT_MAX)
        return MLP_ERR_INVALID_ARG;
    if (!mlp_all_finite(x, n * d) || !mlp_all_finite(y, n * k)) return MLP_ERR_NON_FINITE;
    const size_t m = k * (d + 1);
    double *xd = mlp_mem_alloc(n * d * sizeof *xd);
    double *yd = mlp_mem_alloc(n * k * sizeof *yd);
    double *z = mlp_mem_alloc(n * k * sizeof *z);
    double *work = mlp_mem_alloc(((4 + 2 * HISTORY) * m + 2 * HISTORY) * sizeof *work);
    mlp_status st = MLP_ERR_NO_MEMORY;
    if (xd && yd && z && work) {
        for (size_t i = 0; i < n * d; i++) xd[i] = x[i];
        for (size_t i = 0; i < n * k; i++) yd[i] = y[i];
        problem p = {xd, yd, n, d, k, l2, z};
        memset(theta, 0, m * sizeof *theta); /* zero keeps sum_j b_j = 0: a unique answer */
        lbfgs(&p, theta, work, max_iter, tol, info);
        st = MLP_OK;
    }
    mlp_mem_free(xd);
    mlp_mem_free(yd);
    mlp_mem_free(z);
    mlp_mem_free(work);
    return st;
}

mlp_status mlp_softmax_fit_net(mlp_net *net, const float *x, const float *y, size_t n,
                               double l2, mlp_softmax_fit_info *info)
{
    if (!net || !info) return MLP_ERR_NULL_ARG;
    if (net->n_layers != 1 || net->activations[0] != MLP_ACT_SOFTMAX ||
        net->bias_mode != MLP_BIAS_PER_NEURON)
        return MLP_ERR_INVALID_ARG;
    const size_t d = net->sizes[0], k = net->sizes[1], m = k * (d + 1);
    double *theta = mlp_mem_alloc(m * sizeof *theta);
    if (!theta) return MLP_ERR_NO_MEMORY;
    mlp_status st = mlp_softmax_fit(x, y, n, d, k, l2, MLP_SOFTMAX_FIT_MAX_ITER,
                                    MLP_SOFTMAX_FIT_TOL, theta, info);
    if (st == MLP_OK) {
        float *w = mlp_net_params(net) + mlp_net_weights_offset(net, 0);
        float *b = mlp_net_params(net) + mlp_net_bias_offset(net, 0);
        for (size_t i = 0; i < k * d; i++) w[i] = (float)theta[i];
        for (size_t j = 0; j < k; j++) b[j] = (float)theta[k * d + j];
    }
    mlp_mem_free(theta);
    return st;
}
