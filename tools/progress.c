/* Progress of `mlp train` on stderr: a bar redrawn in place on a terminal (at most ~10
 * times a second), one line per epoch always (the fit's numbers, in the targets' units);
 * the run's description on stdout before the first epoch. */
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
    double elapsed = cli_now() - m->start;
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

static double unsigned_nan(double x) { return isnan(x) ? fabs(x) : x; }

void train_monitor_describe(train_monitor *m)
{
    if (m->described || !m->report) return;
    m->described = true;
    const mlp_fit_report *r = m->report;
    m->task = r->task;
    train_monitor_clear(m);
    if (r->encoding) {
        cli_table_summary(m->out, r->encoding);
        for (size_t i = 0; i < 3; i++)
            if (m->table_names[i])
                cli_table_report_print_short(m->out, m->table_names[i], &r->table_reports[i]);
    }
    for (size_t i = 0; i < r->lines_before_training && i < r->line_count; i++)
        fprintf(m->out, "%s\n", r->lines[i]);
    fflush(m->out);
}

/* "  val_loss L  val_rmse R" for one part, when it has numbers. */
static void part_numbers(const train_monitor *m, const char *who, double loss, double metric)
{
    if (isnan(loss)) return;
    fprintf(stderr, "  %s_loss %.4f  %s_%s %.4f", who, unsigned_nan(loss), who,
            m->task == MLP_TASK_CLASSIFY ? "acc" : "rmse", unsigned_nan(metric));
}

bool train_monitor_epoch(const mlp_fit_epoch *e, void *user_data)
{
    train_monitor *m = user_data;
    train_monitor_describe(m);
    if (!cli_history_push(&m->history, e->train_loss, e->val_loss, e->val_metric,
                          e->test_loss, e->test_metric)) {
        m->failed = true;
        return false;
    }
    train_monitor_clear(m);
    if (m->quiet) return true;
    int width = e->epochs >= 100 ? 3 : e->epochs >= 10 ? 2 : 1;
    fprintf(stderr, "epoch %*zu/%zu  train_loss %.4f", width, e->epoch + 1, e->epochs,
            unsigned_nan(e->train_loss));
    part_numbers(m, "val", e->val_loss, e->val_metric);
    part_numbers(m, "test", e->test_loss, e->test_metric);
    fprintf(stderr, "  lr %.3g  %.1f s\n", (double)e->learning_rate, e->seconds);
    fflush(stderr);
    return true;
}

bool train_monitor_callback(const mlp_progress *p, void *user_data)
{
    train_monitor *m = user_data;
    train_monitor_describe(m);
    if (p->end_of_epoch) return !cli_interrupted;
    /* Ctrl-C: finish this epoch, so that the saved epoch, optimizer steps and RNG agree and
     * --resume goes on exactly. */
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
