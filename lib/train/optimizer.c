/* Update rules over the contiguous parameter vector; state has the same layout. */
#include "mlp_internal.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mlp_optimizer {
    mlp_optimizer_config config;
    mlp_net *shape;       /* topology it was made for (no parameters) */
    size_t n;             /* parameter count */
    size_t state_vectors; /* 0, 1 or 2 */
    float *state;         /* state_vectors * n floats */
    uint64_t steps;
    float lr_now;         /* learning rate after the schedule */
};

mlp_optimizer_config mlp_optimizer_config_default(mlp_optimizer_kind kind)
{
    mlp_optimizer_config c = {
        .struct_size = sizeof c, .kind = kind, .learning_rate = 0.01f, .reduction = MLP_REDUCE_SUM, .momentum = 0.9f,
        .beta1 = 0.9f, .beta2 = 0.999f, .rho = 0.9f, .epsilon = 1e-8f, .weight_decay = 0.0f,
        .schedule = MLP_SCHEDULE_CONSTANT, .step_epochs = 10, .step_gamma = 0.1f,
        .total_epochs = 100, .min_learning_rate = 0.0f,
    };
    return c;
}

/* A setting in [lo, hi) (hi_open) or [lo, hi]: INVALID_ARG naming it otherwise. */
static mlp_status check_range(const char *name, float v, float lo, bool lo_open, float hi,
                              mlp_error_detail *d)
{
    if ((lo_open ? v > lo : v >= lo) && v < hi) return MLP_OK;
    return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->%s is %g, outside %c%g, %g)", name,
                    (double)v, lo_open ? '(' : '[', (double)lo, (double)hi);
}

static mlp_status check_config(const mlp_optimizer_config *c, mlp_error_detail *d)
{
    static const char *const names[] = {"learning_rate", "momentum", "beta1", "beta2", "rho",
                                        "epsilon", "weight_decay", "step_gamma",
                                        "min_learning_rate"};
    const float values[] = {c->learning_rate, c->momentum, c->beta1, c->beta2, c->rho,
                            c->epsilon, c->weight_decay, c->step_gamma, c->min_learning_rate};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        if (!mlp_is_finite(values[i]))
            return mlp_fail(d, MLP_ERR_NON_FINITE, "config->%s is NaN or infinite", names[i]);
    if ((unsigned)c->kind >= MLP_OPT_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->kind is %d, not an mlp_optimizer_kind",
                        (int)c->kind);
    if ((unsigned)c->reduction >= MLP_REDUCE_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->reduction is %d, not an "
                        "mlp_reduction", (int)c->reduction);
    if ((unsigned)c->schedule >= MLP_SCHEDULE_COUNT)
        return mlp_fail(d, MLP_ERR_INVALID_ARG, "config->schedule is %d, not an mlp_schedule",
                        (int)c->schedule);
    /* epsilon keeps m / (sqrt v + eps) finite where a gradient is exactly zero */
    const int uses_epsilon = c->kind == MLP_OPT_ADAM || c->kind == MLP_OPT_ADAMW ||
                             c->kind == MLP_OPT_RMSPROP;
    mlp_status st = check_range("epsilon", c->epsilon, 0.0f, uses_epsilon, INFINITY, d);
    if (st == MLP_OK) st = check_range("learning_rate", c->learning_rate, 0.0f, true, INFINITY, d);
    if (st == MLP_OK) st = check_range("weight_decay", c->weight_decay, 0.0f, false, INFINITY, d);
    if (st == MLP_OK) st = check_range("momentum", c->momentum, 0.0f, false, 1.0f, d);
    if (st == MLP_OK) st = check_range("beta1", c->beta1, 0.0f, false, 1.0f, d);
    if (st == MLP_OK) st = check_range("beta2", c->beta2, 0.0f, false, 1.0f, d);
    if (st == MLP_OK) st = check_range("rho", c->rho, 0.0f, false, 1.0f, d);
    if (st == MLP_OK)
        st = check_range("min_learning_rate", c->min_learning_rate, 0.0f, false, INFINITY, d);
    if (st == MLP_OK) st = check_range("step_gamma", c->step_gamma, 0.0f, true, INFINITY, d);
    if (st != MLP_OK) return st;
    if (c->schedule == MLP_SCHEDULE_STEP && c->step_epochs == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->step_epochs is 0 with the STEP schedule: decay every 1 or more");
    if (c->schedule == MLP_SCHEDULE_COSINE && c->total_epochs == 0)
        return mlp_fail(d, MLP_ERR_INVALID_ARG,
                        "config->total_epochs is 0 with the COSINE schedule: 1 or more");
    return MLP_OK;
}

static size_t state_vectors_for(mlp_optimizer_kind kind)
{
    switch (kind) {
    case MLP_OPT_MOMENTUM:
    case MLP_OPT_NESTEROV:
    case MLP_OPT_RMSPROP: return 1;
    case MLP_OPT_ADAM:
    case MLP_OPT_ADAMW: return 2;
    default: return 0;
    }
}

mlp_status mlp_optimizer_create(mlp_optimizer **out, const mlp_net *net,
                                const mlp_optimizer_config *config)
{
    return mlp_optimizer_create_ex(out, net, config, NULL);
}

mlp_status mlp_optimizer_create_ex(mlp_optimizer **out, const mlp_net *net,
                                   const mlp_optimizer_config *config, mlp_error_detail *detail)
{
    if (!out) return mlp_fail(detail, MLP_ERR_NULL_ARG, "out is NULL");
    if (!net) return mlp_fail(detail, MLP_ERR_NULL_ARG, "net is NULL");
    if (!config) return mlp_fail(detail, MLP_ERR_NULL_ARG, "config is NULL");
    mlp_optimizer_config c = mlp_optimizer_config_default(MLP_OPT_SGD);
    mlp_status st = mlp_read_config(&c, sizeof c, config, MLP_OPTIMIZER_CONFIG_MIN_SIZE,
                                    "config", "mlp_optimizer_config", detail);
    if (st != MLP_OK) return st;
    config = &c; /* the caller's, at this library's size */
    st = check_config(config, detail);
    if (st != MLP_OK) return st;
    mlp_optimizer *opt = mlp_mem_calloc(1, sizeof *opt);
    if (!opt) return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the optimizer");
    st = mlp_net_create(&opt->shape, net->n_layers, net->sizes, net->activations, net->bias_mode);
    if (st != MLP_OK) {
        mlp_mem_free(opt);
        return mlp_fail(detail, st, "no memory for the optimizer");
    }
    mlp_mem_free(opt->shape->params);
    opt->shape->params = NULL;
    opt->config = *config;
    opt->n = net->param_count;
    opt->state_vectors = state_vectors_for(config->kind);
    if (opt->state_vectors) {
        opt->state = mlp_mem_calloc(opt->state_vectors * opt->n, sizeof *opt->state);
        if (!opt->state) {
            mlp_optimizer_free(opt);
            return mlp_fail(detail, MLP_ERR_NO_MEMORY, "no memory for the optimizer state");
        }
    }
    opt->lr_now = config->learning_rate;
    *out = opt;
    return MLP_OK;
}

void mlp_optimizer_free(mlp_optimizer *opt)
{
    if (!opt) return;
    mlp_net_free(opt->shape);
    mlp_mem_free(opt->state);
    mlp_mem_free(opt);
}

const mlp_optimizer_config *mlp_optimizer_settings(const mlp_optimizer *opt)
{
    return opt ? &opt->config : NULL;
}

mlp_status mlp_optimizer_set_epoch(mlp_optimizer *opt, size_t epoch)
{
    return mlp_optimizer_set_epoch_ex(opt, epoch, NULL);
}

mlp_status mlp_optimizer_set_epoch_ex(mlp_optimizer *opt, size_t epoch, mlp_error_detail *detail)
{
    if (!opt) return mlp_fail(detail, MLP_ERR_NULL_ARG, "opt is NULL");
    const mlp_optimizer_config *c = &opt->config;
    double lr = c->learning_rate;
    if (c->schedule == MLP_SCHEDULE_STEP) {
        lr *= pow((double)c->step_gamma, (double)(epoch / c->step_epochs));
    } else if (c->schedule == MLP_SCHEDULE_COSINE) {
        double t = epoch >= c->total_epochs ? 1.0 : (double)epoch / (double)c->total_epochs;
        lr = c->min_learning_rate + (lr - c->min_learning_rate) * 0.5 * (1.0 + cos(3.141592653589793 * t));
    }
    opt->lr_now = (float)lr;
    return MLP_OK;
}

float mlp_optimizer_learning_rate(const mlp_optimizer *opt) { return opt ? opt->lr_now : 0.0f; }
uint64_t mlp_optimizer_step_count(const mlp_optimizer *opt) { return opt ? opt->steps : 0; }

mlp_status mlp_optimizer_set_step_count(mlp_optimizer *opt, uint64_t steps)
{
    return mlp_optimizer_set_step_count_ex(opt, steps, NULL);
}

mlp_status mlp_optimizer_set_step_count_ex(mlp_optimizer *opt, uint64_t steps,
                                           mlp_error_detail *detail)
{
    if (!opt) return mlp_fail(detail, MLP_ERR_NULL_ARG, "opt is NULL");
    if (steps > MLP_OPTIMIZER_MAX_STEPS)
        return mlp_fail(detail, MLP_ERR_INVALID_ARG, "steps is %llu, more than "
                        "MLP_OPTIMIZER_MAX_STEPS", (unsigned long long)steps);
    opt->steps = steps;
    return MLP_OK;
}

int mlp_optimizer_steps_left(const mlp_optimizer *opt, uint64_t n)
{
    return opt->steps <= MLP_OPTIMIZER_MAX_STEPS && n <= MLP_OPTIMIZER_MAX_STEPS - opt->steps;
}

void mlp_optimizer_count_steps(mlp_optimizer *opt, uint64_t n) { opt->steps += n; }

mlp_status mlp_optimizer_check_state(const mlp_optimizer *opt)
{
    const size_t n = opt->n, total = opt->state_vectors * n;
    for (size_t i = 0; i < total; i++)
        if (!mlp_is_finite(opt->state[i])) return MLP_ERR_NON_FINITE;
    /* squared-gradient averages (Adam's v, RMSprop's s) are never negative: sqrt of one
     * would be NaN */
    const float *sq = opt->config.kind == MLP_OPT_RMSPROP ? opt->state
                    : opt->state_vectors == 2 ? opt->state + n : NULL;
    for (size_t i = 0; sq && i < n; i++)
        if (sq[i] < 0.0f) return MLP_ERR_INVALID_ARG;
    return MLP_OK;
}

float *mlp_optimizer_state(mlp_optimizer *opt, size_t *count)
{
    if (count) *count = opt ? opt->state_vectors * opt->n : 0;
    return opt ? opt->state : NULL;
}

const float *mlp_optimizer_state_const(const mlp_optimizer *opt, size_t *count)
{
    if (count) *count = opt ? opt->state_vectors * opt->n : 0;
    return opt ? opt->state : NULL;
}

void mlp_optimizer_reset(mlp_optimizer *opt)
{
    if (!opt) return;
    if (opt->state) memset(opt->state, 0, opt->state_vectors * opt->n * sizeof *opt->state);
    opt->steps = 0;
}

/* Each rule is one pass over the contiguous vectors. g is scaled by `scale` (the reduction);
 * `decay` is the coupled L2 coefficient added to the gradient. */
static void step_sgd(float *p, const float *g, size_t n, float lr, float scale, float decay)
{
    /* BLAS counts are int: a vector of more than INT_MAX floats goes in pieces */
    for (size_t off = 0; off < n; off += MLP_BLAS_MAX_COUNT) {
        const int len = (int)(n - off < MLP_BLAS_MAX_COUNT ? n - off : MLP_BLAS_MAX_COUNT);
        if (decay != 0.0f) cblas_sscal(len, 1.0f - lr * decay, p + off, 1);
        cblas_saxpy(len, -lr * scale, g + off, 1, p + off, 1);
    }
}

MLP_VECTORIZE
static void step_momentum(float *p, const float *g, float *v, size_t n, float lr, float scale,
                          float decay, float mu, int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        float gi = scale * g[i] + decay * p[i];
        v[i] = mu * v[i] + gi;
        p[i] -= lr * (nesterov ? gi + mu * v[i] : v[i]);
    }
}

MLP_VECTORIZE
static void step_adam(float *p, const float *g, float *m, float *v, size_t n, float lr,
                      float scale, const mlp_optimizer_config *c, uint64_t t)
{
    const float b1 = c->beta1, b2 = c->beta2, eps = c->epsilon;
    const int decoupled = c->kind == MLP_OPT_ADAMW;
    const float l2 = decoupled ? 0.0f : c->weight_decay, wd = decoupled ? c->weight_decay : 0.0f;
    const float c1 = (float)(1.0 / (1.0 - pow((double)b1, (double)t)));
    const float c2 = (float)(1.0 / (1.0 - pow((double)b2, (double)t)));
    for (size_t i = 0; i < n; i++) {
        float gi = scale * g[i] + l2 * p[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float update = (m[i] * c1) / (sqrtf(v[i] * c2) + eps);
        p[i] -= lr * (update + wd * p[i]);
    }
}

MLP_VECTORIZE
static void step_rmsprop(float *p, const float *g, float *s, size_t n, float lr, float scale,
                         float decay, float rho, float eps)
{
    for (size_t i = 0; i < n; i++) {
        float gi = scale * g[i] + decay * p[i];
        s[i] = rho * s[i] + (1.0f - rho) * gi * gi;
        p[i] -= lr * gi / (sqrtf(s[i]) + eps);
    }
}

/* The update of parameters [first, first + n), grad holding those n values; with b, the bf16
 * copies of the weights updated are refreshed chunk by chunk, each chunk still in the first
 * caches (no pass of their own over the parameters). */
static mlp_status step_range(mlp_optimizer *opt, mlp_net *net, const float *grad, size_t batch,
                             size_t first, size_t n, mlp_bf16 *b)
{
    if (!opt || !net || !grad) return MLP_ERR_NULL_ARG;
    if (!mlp_net_same_topology(opt->shape, net)) return MLP_ERR_WORKSPACE_MISMATCH;
    if (batch == 0 || !mlp_optimizer_steps_left(opt, 1)) return MLP_ERR_INVALID_ARG;
    if (first > opt->n || n > opt->n - first) return MLP_ERR_INVALID_ARG;
    const mlp_optimizer_config *c = &opt->config;
    const float scale = c->reduction == MLP_REDUCE_MEAN ? 1.0f / (float)batch : 1.0f;
    const float lr = opt->lr_now;
    opt->steps++;
    net->param_version++;
    /* 4096 floats: 16 KiB of parameters (and of each state vector) stay in L1 for the
     * refresh; without one, a single chunk. */
    const size_t chunk = b ? 4096 : n;
    for (size_t at = 0; at < n; at += chunk) {
        const size_t m = n - at < chunk ? n - at : chunk;
        float *p = net->params + first + at, *s = opt->state ? opt->state + first + at : NULL;
        const float *g = grad + at;
        switch (c->kind) {
        case MLP_OPT_SGD: step_sgd(p, g, m, lr, scale, c->weight_decay); break;
        case MLP_OPT_MOMENTUM:
        case MLP_OPT_NESTEROV:
            step_momentum(p, g, s, m, lr, scale, c->weight_decay, c->momentum,
                          c->kind == MLP_OPT_NESTEROV);
            break;
        case MLP_OPT_ADAM:
        case MLP_OPT_ADAMW: step_adam(p, g, s, s + opt->n, m, lr, scale, c, opt->steps); break;
        case MLP_OPT_RMSPROP:
            step_rmsprop(p, g, s, m, lr, scale, c->weight_decay, c->rho, c->epsilon);
            break;
        default: break;
        }
        if (b) mlp_bf16_refresh_range(b, net, first + at, m);
    }
    /* every weight was refreshed: the bf16 copies are the new parameters' */
    if (b && first == 0 && n == opt->n) mlp_bf16_weights_current(b, net);
    return MLP_OK;
}

mlp_status mlp_optimizer_step(mlp_optimizer *opt, mlp_net *net, const float *grad, size_t batch)
{
    return step_range(opt, net, grad, batch, 0, opt ? opt->n : 0, NULL);
}

mlp_status mlp_optimizer_step_bf16(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                   size_t batch, mlp_bf16 *b)
{
    return step_range(opt, net, grad, batch, 0, opt ? opt->n : 0, b);
}

mlp_status mlp_optimizer_step_range(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                    size_t batch, size_t first, size_t count)
{
    static const float none = 0.0f; /* count 0: grad may be NULL */
    return step_range(opt, net, count ? grad : (grad ? grad : &none), batch, first, count, NULL);
}

/* After step_range failed (changing nothing): its checks again, in its order, with words.
 * The steps themselves stay free of them. */
static mlp_status step_detail(const mlp_optimizer *opt, const mlp_net *net, const float *grad,
                              size_t batch, size_t first, size_t n, mlp_status st,
                              mlp_error_detail *d)
{
    if (!opt) return mlp_fail(d, st, "opt is NULL");
    if (!net) return mlp_fail(d, st, "net is NULL");
    if (!grad) return mlp_fail(d, st, "grad is NULL");
    if (!mlp_net_same_topology(opt->shape, net))
        return mlp_fail(d, st, "opt was made for a net of another topology than net");
    if (batch == 0) return mlp_fail(d, st, "batch is 0: the gradient of no records");
    if (!mlp_optimizer_steps_left(opt, 1))
        return mlp_fail(d, st, "opt has made MLP_OPTIMIZER_MAX_STEPS steps: no more can be "
                        "counted");
    if (first > opt->n || n > opt->n - first)
        return mlp_fail(d, st, "first %zu + count %zu is beyond the net's %zu parameters",
                        first, n, opt->n);
    return mlp_fail(d, st, "%s", mlp_strerror(st));
}

mlp_status mlp_optimizer_step_ex(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                 size_t batch, mlp_error_detail *detail)
{
    mlp_status st = mlp_optimizer_step(opt, net, grad, batch);
    if (st != MLP_OK && detail)
        step_detail(opt, net, grad, batch, 0, opt ? opt->n : 0, st, detail);
    return st;
}

mlp_status mlp_optimizer_step_range_ex(mlp_optimizer *opt, mlp_net *net, const float *grad,
                                       size_t batch, size_t first, size_t count,
                                       mlp_error_detail *detail)
{
    static const float none = 0.0f;
    mlp_status st = mlp_optimizer_step_range(opt, net, grad, batch, first, count);
    if (st != MLP_OK && detail)
        step_detail(opt, net, count ? grad : (grad ? grad : &none), batch, first, count, st,
                    detail);
    return st;
}

int mlp_optimizer_fits(const mlp_optimizer *opt, const mlp_net *net)
{
    return mlp_net_same_topology(opt->shape, net);
}
