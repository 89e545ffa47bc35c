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

static void describe_bf16(const mlp_net *net, const fit_plan *p, mlp_fit_report *r);

void fit_describe(const mlp_fit_config *c, const fit_plan *p, const mlp_net *net,
                  const mlp_optimizer *opt, const mlp_preprocess *pre, mlp_task task,
                  mlp_loss loss, bool standardised, mlp_fit_report *r)
{
    char topo[512], data[256], part[96], batch[32];
    size_t used = 0;
    topo[0] = '\0';
    for (size_t i = 0; i <= mlp_net_layer_count(net) && used < sizeof topo; i++) {
        int k = snprintf(topo + used, sizeof topo - used, "%s%zu", i ? "-" : "",
                         mlp_net_size(net, i));
        if (k < 0) break;
        used += (size_t)k;
    }
    int n = snprintf(data, sizeof data, "data: %zu training records", r->train_count);
    if (r->val_count)
        n += snprintf(data + n, sizeof data - (size_t)n, ", %zu validation", r->val_count);
    if (r->test_count) snprintf(data + n, sizeof data - (size_t)n, ", %zu test", r->test_count);
    if (task == MLP_TASK_CLASSIFY)
        snprintf(part, sizeof part, ", %zu classes", mlp_net_output_size(net));
    else
        snprintf(part, sizeof part, ", regression%s",
                 standardised ? " (targets standardised while training)" : "");
    fit_report_line(r, "%s; %zu features (%s scaling)%s", data, r->input_size,
                    fit_name_scaling(mlp_preprocess_scaling(pre)), part);
    size_t last = mlp_net_layer_count(net) - 1;
    fit_report_line(r, "net: %s, %s hidden, %s output, %s loss, %zu parameters", topo,
                    last ? fit_name_activation(mlp_net_activation(net, 0)) : "no",
                    fit_name_activation(mlp_net_activation(net, last)), fit_name_loss(loss),
                    mlp_net_param_count(net));
    const mlp_optimizer_config *oc = mlp_optimizer_settings(opt);
    if (p->batch) snprintf(batch, sizeof batch, "batch %zu", p->batch);
    else snprintf(batch, sizeof batch, "full batch");
    fit_report_line(r, "training: %s lr %g (%s), weight decay %g, %s, %zu epochs, dropout %g, "
                       "seed %llu", fit_name_optimizer(oc->kind), (double)oc->learning_rate,
                    fit_name_schedule(oc->schedule), (double)oc->weight_decay, batch,
                    p->epochs, (double)c->train.dropout, (unsigned long long)c->model.seed);
    if (c->train.precision == MLP_PRECISION_BF16) describe_bf16(net, p, r);
}

/* "precision: bf16 ...": which layers the size rule keeps in float at the training batch
 * (full batch: mlp_train's chunks of up to 256 records). */
static void describe_bf16(const mlp_net *net, const fit_plan *p, mlp_fit_report *r)
{
    const size_t L = mlp_net_layer_count(net);
    size_t batch = p->batch ? p->batch : r->train_count < 256 ? r->train_count : 256;
    char kept[192] = "";
    size_t used = 0, n_kept = 0;
    for (size_t k = 0; k < L; k++) {
        if (mlp_layer_precision(net, k, batch, MLP_PRECISION_BF16) == MLP_PRECISION_BF16) continue;
        int n = snprintf(kept + used, sizeof kept - used, "%s%zu (%zu-%zu)", n_kept ? ", " : "",
                         k + 1, mlp_net_size(net, k), mlp_net_size(net, k + 1));
        if (n < 0 || (size_t)n >= sizeof kept - used) break;
        used += (size_t)n;
        n_kept++;
    }
    if (n_kept == 0)
        fit_report_line(r, "precision: bf16 on every layer");
    else
        fit_report_line(r, "precision: bf16; layer%s %s kept in float: below %zuk "
                           "multiply-adds per product at batch %zu, too small for bf16 to pay%s",
                        n_kept > 1 ? "s" : "", kept, mlp_bf16_min_multiply_adds() >> 10, batch,
                        n_kept == L ? " (the whole net runs in float)" : "");
}

void fit_report_trained(mlp_fit_report *r, bool validated)
{
    size_t ran = r->epochs_run > r->start_epoch ? r->epochs_run - r->start_epoch : 0;
    char tail[160];
    int n = 0;
    tail[0] = '\0';
    if (r->start_epoch)
        n += snprintf(tail + n, sizeof tail - (size_t)n, "; resumed after epoch %zu",
                      r->start_epoch);
    if (r->stopped_early) n += snprintf(tail + n, sizeof tail - (size_t)n, "; stopped early");
    if (r->stopped_by_callback)
        n += snprintf(tail + n, sizeof tail - (size_t)n, "; interrupted");
    if (validated)
        snprintf(tail + n, sizeof tail - (size_t)n, "; best validation epoch %zu restored",
                 r->best_epoch + 1);
    fit_report_line(r, "trained %zu epoch%s in %.3g s (%.3g s/epoch)%s", ran, ran == 1 ? "" : "s",
                    r->train_seconds, ran ? r->train_seconds / (double)ran : 0.0, tail);
}
