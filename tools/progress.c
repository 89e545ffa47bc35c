/* Progress of `mlp train` on stderr: a bar redrawn in place on a terminal (at most ~10
 * times a second), one line per epoch always; per-epoch test evaluation for the curve. */
#include "train.h"

#include <math.h>
#include <string.h>

volatile sig_atomic_t cli_interrupted = 0;

static void on_interrupt(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_install_interrupt_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sa.sa_flags = (int)SA_RESETHAND; /* a second Ctrl-C ends the process */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void train_monitor_clear(train_monitor *m)
{
    if (m->bar_width == 0) return;
    fprintf(stderr, "\r%*s\r", (int)m->bar_width, "");
    m->bar_width = 0;
}

static void format_duration(double s, char *buf, size_t size)
{
    if (!isfinite(s) || s < 0) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void draw_bar(train_monitor *m, const mlp_progress *p)
{
    enum { CELLS = 24 };
    char bar[CELLS + 1];
    size_t filled = p->batches ? p->batch * CELLS / p->batches : 0;
    for (size_t i = 0; i < CELLS; i++) bar[i] = i < filled ? '#' : '-';
    bar[CELLS] = '\0';
    double elapsed = cli_now() - m->start - m->eval_seconds;
    double done = (double)(p->epoch * p->batches + p->batch);
    double total = (double)(p->epochs * p->batches);
    char eta[32];
    format_duration(done > 0 ? elapsed / done * (total - done) : 0, eta, sizeof eta);
    double rate = p->epoch_seconds > 0 ? (double)p->samples_done / p->epoch_seconds : 0;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "epoch %zu/%zu [%s] batch %zu/%zu  %.0f samples/s  ETA %s  loss %.4f",
                     p->epoch + 1, p->epochs, bar, p->batch, p->batches, rate, eta,
                     p->train_loss);
    if (n < 0) return;
    size_t len = strlen(line);
    fprintf(stderr, "\r%s", line);
    if (len < m->bar_width) fprintf(stderr, "%*s", (int)(m->bar_width - len), "");
    fflush(stderr);
    m->bar_width = len;
}

static void epoch_numbers(train_monitor *m, const mlp_progress *p, double *loss, double *metric)
{
    *loss = NAN;
    *metric = NAN;
    if (m->eval_inputs) {
        double t = cli_now();
        cli_metrics r;
        mlp_status st = cli_evaluate(m->net, m->eval_ws, m->eval_inputs, m->eval_targets,
                                     m->eval_count, m->loss, m->task, &r);
        m->eval_seconds += cli_now() - t;
        if (st != MLP_OK) {
            m->failed = true;
            m->fail_status = st;
            return;
        }
        *loss = r.loss;
        *metric = m->task == MLP_TASK_CLASSIFY ? r.accuracy : r.rmse;
    } else if (m->has_val) {
        *loss = p->val_loss;
        *metric = m->task == MLP_TASK_CLASSIFY ? p->val_accuracy : sqrt(p->val_loss);
    }
}

static double unsigned_nan(double x) { return isnan(x) ? fabs(x) : x; }

static void epoch_line(train_monitor *m, const mlp_progress *p, double loss, double metric)
{
    train_monitor_clear(m);
    if (m->quiet) return;
    int width = p->epochs >= 100 ? 3 : p->epochs >= 10 ? 2 : 1;
    fprintf(stderr, "epoch %*zu/%zu  train_loss %.4f", width, p->epoch + 1, p->epochs,
            unsigned_nan(p->train_loss));
    if (m->history.test_name) {
        const char *who = m->eval_inputs ? "test" : "val";
        fprintf(stderr, "  %s_loss %.4f  %s_%s %.4f", who, unsigned_nan(loss), who,
                m->task == MLP_TASK_CLASSIFY ? "acc" : "rmse", unsigned_nan(metric));
    }
    fprintf(stderr, "  lr %.3g  %.1f s\n", (double)p->learning_rate, p->epoch_seconds);
    fflush(stderr);
}

bool train_monitor_callback(const mlp_progress *p, void *user_data)
{
    train_monitor *m = user_data;
    if (!p->end_of_epoch) {
        /* Ctrl-C: finish this epoch, so that the saved epoch, optimizer steps and RNG
         * agree and --resume goes on exactly. */
        if (cli_interrupted && !m->interrupt_noted) {
            train_monitor_clear(m);
            fprintf(stderr, "mlp train: interrupted: finishing epoch %zu to save it (Ctrl-C "
                            "again quits without saving)\n", p->epoch + 1);
            m->interrupt_noted = true;
        }
        double now = cli_now();
        if (m->tty && !m->quiet && (now - m->last_draw >= 0.1 || p->batch == p->batches)) {
            m->last_draw = now;
            draw_bar(m, p);
        }
        return true;
    }
    double loss, metric;
    epoch_numbers(m, p, &loss, &metric);
    if (m->failed) return false;
    if (!cli_history_push(&m->history, p->train_loss, loss, metric)) {
        m->failed = true;
        m->fail_status = MLP_ERR_NO_MEMORY;
        return false;
    }
    epoch_line(m, p, loss, metric);
    return !cli_interrupted;
}
