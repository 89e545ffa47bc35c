/* The fit report's lines of text, and the words they use for the library's enums. */
#include "fit/fit_internal.h"

#include <stdio.h>

void fit_report_line(mlp_fit_report *r, const char *fmt, ...)
{
    if (r->line_count >= MLP_FIT_REPORT_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->lines[r->line_count++], MLP_FIT_LINE_SIZE, fmt, ap);
    va_end(ap);
}

static const char *word(const char *const *words, unsigned n, unsigned v)
{
    return v < n && words[v] ? words[v] : "?";
}

const char *fit_name_activation(mlp_activation a)
{
    static const char *const w[MLP_ACT_COUNT] = {"linear", "sigmoid", "tanh", "relu",
                                                 "leaky-relu", "softmax"};
    return word(w, MLP_ACT_COUNT, (unsigned)a);
}

const char *fit_name_optimizer(mlp_optimizer_kind k)
{
    static const char *const w[MLP_OPT_COUNT] = {"sgd", "momentum", "nesterov", "adam",
                                                 "adamw", "rmsprop"};
    return word(w, MLP_OPT_COUNT, (unsigned)k);
}

const char *fit_name_schedule(mlp_schedule s)
{
    static const char *const w[MLP_SCHEDULE_COUNT] = {"constant", "step", "cosine"};
    return word(w, MLP_SCHEDULE_COUNT, (unsigned)s);
}

const char *fit_name_scaling(mlp_scaling s)
{
    static const char *const w[MLP_SCALE_COUNT] = {
        [MLP_SCALE_NONE] = "none", [MLP_SCALE_MINMAX] = "minmax",
        [MLP_SCALE_STANDARD] = "standard", [MLP_SCALE_ROBUST] = "robust"};
    return word(w, MLP_SCALE_COUNT, (unsigned)s);
}

const char *fit_name_loss(mlp_loss l)
{
    static const char *const w[MLP_LOSS_COUNT] = {"mse", "ce", "auto"};
    return word(w, MLP_LOSS_COUNT, (unsigned)l);
}
