/* The fit's progress callback around mlp_train's: losses back in the targets' units, the
 * test data evaluated after each epoch, the caller's progress and epoch callbacks. */
#include "fit/fit_watch.h"

#include <math.h>
#include <time.h>

double fit_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void fit_watch_init(fit_watch *w, const mlp_fit_config *c, const fit_targets *t)
{
    w->c = c;
    w->t = t;
    w->scale = 1.0;
    if (t->mean) { /* one output: exact; several: the mean of their variances */
        double s = 0.0;
        for (size_t j = 0; j < t->k; j++) s += t->sd[j] * t->sd[j];
        w->scale = s / (double)t->k;
    }
}

bool fit_watch_wanted(const fit_watch *w)
{
    return w->c->train.progress || w->c->epoch_callback;
}

static bool epoch_end(fit_watch *w, const mlp_progress *p, mlp_progress *q)
{
    mlp_fit_epoch e = {p->epoch, p->epochs, q->train_loss, NAN, NAN, NAN, NAN,
                       p->learning_rate, p->epoch_seconds};
    if (w->val && !isnan(p->val_loss)) {
        if (w->t->mean && w->t->k > 1) { /* exactly, output by output */
            fit_metrics m;
            double t0 = fit_now();
            w->failed = fit_evaluate(w->net, w->ws, w->val, w->loss, w->task, w->t, &m);
            w->eval_seconds += fit_now() - t0;
            if (w->failed != MLP_OK) return false;
            q->val_loss = m.loss;
        }
        e.val_loss = q->val_loss;
        e.val_metric = w->task == MLP_TASK_CLASSIFY ? p->val_accuracy
                       : w->loss == MLP_LOSS_MSE ? sqrt(q->val_loss) : NAN;
    }
    if (w->test_each_epoch) {
        fit_metrics m;
        double t0 = fit_now();
        w->failed = fit_evaluate(w->net, w->ws, w->test, w->loss, w->task, w->t, &m);
        w->eval_seconds += fit_now() - t0;
        if (w->failed != MLP_OK) return false;
        e.test_loss = m.loss;
        e.test_metric = m.metric;
    }
    return w->c->epoch_callback ? w->c->epoch_callback(&e, w->c->epoch_user_data) : true;
}

bool fit_watch_progress(const mlp_progress *p, void *user_data)
{
    fit_watch *w = user_data;
    mlp_progress q = *p;
    q.train_loss = p->train_loss * w->scale;
    if (!isnan(p->val_loss)) q.val_loss = p->val_loss * w->scale;
    bool go = true;
    if (p->end_of_epoch) go = epoch_end(w, p, &q);
    if (!go) {
        w->stopped = true;
        return false;
    }
    if (w->c->train.progress) go = w->c->train.progress(&q, w->c->train.user_data);
    if (!go) w->stopped = true;
    return go;
}
