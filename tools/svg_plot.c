/* --plot: a self-contained SVG line chart of the training loss (left axis) and the test
 * accuracy or RMSE (right axis; the validation split's without test data) per epoch; the
 * validation loss is drawn dashed and the test loss dotted on the left axis, and the
 * epoch whose parameters were restored is marked. */
#include "cli.h"

#include <math.h>
#include <string.h>

enum { W = 860, H = 540, LEFT = 84, RIGHT = 84, TOP = 84, BOTTOM = 64 };
#define COLOR_LOSS "#1f77b4"
#define COLOR_TEST_LOSS "#ff7f0e"
#define COLOR_METRIC "#d62728"
#define COLOR_VAL_LOSS "#2ca02c"
#define COLOR_BEST "#7f7f7f"

typedef struct axis {
    double lo, hi, step;
    int decimals;
} axis;

/* Rounds a range out to "nice" ticks (1, 2, 5 x 10^k), about `ticks` of them. Any input
 * gives a finite axis with lo < hi and at most MAX_TICKS ticks: a non-finite bound or a
 * range below the rounding step of its values (losses of 1e36 equal in all but the last
 * bits) is widened first, so that the ticks, computed by index, are distinct numbers. */
enum { MAX_TICKS = 64 };

static axis nice_axis(double lo, double hi, int ticks, bool integer)
{
    axis a;
    if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
    if (lo > hi) {
        double t = lo;
        lo = hi, hi = t;
    }
    /* A range of a few ulps cannot carry `ticks` distinct labels: pad it out. */
    double scale = fmax(fabs(lo), fabs(hi)), min_span = scale * 1e-9;
    if (!(hi - lo > min_span)) {
        double pad = scale > 0 ? scale * 0.1 : 1.0;
        lo -= pad;
        hi += pad;
    }
    if (!isfinite(hi - lo)) { /* near +-DBL_MAX */
        lo /= 4;
        hi /= 4;
    }
    double raw = (hi - lo) / ticks, mag = pow(10.0, floor(log10(raw))), f = raw / mag;
    a.step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    if (integer && a.step < 1) a.step = 1;
    a.lo = floor(lo / a.step + 1e-9) * a.step;
    a.hi = ceil(hi / a.step - 1e-9) * a.step;
    if (!isfinite(a.step) || !isfinite(a.lo) || !isfinite(a.hi) || !(a.hi > a.lo) ||
        (a.hi - a.lo) / a.step > MAX_TICKS) {
        a.lo = lo, a.hi = hi, a.step = (hi - lo) / ticks; /* plain, still finite and distinct */
    }
    a.decimals = a.step >= 1 ? 0 : (int)ceil(-log10(a.step) - 1e-9);
    if (a.decimals > 12) a.decimals = 12;
    return a;
}

/* Number of ticks of a (the last one at a->hi, within rounding). */
static int tick_count(const axis *a)
{
    double n = floor((a->hi - a->lo) / a->step + 1e-6);
    return n < 0 ? 1 : n > MAX_TICKS ? MAX_TICKS + 1 : (int)n + 1;
}

static void range_of(const double *v, size_t n, double *lo, double *hi, bool *any)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        if (!*any || v[i] < *lo) *lo = v[i];
        if (!*any || v[i] > *hi) *hi = v[i];
        *any = true;
    }
}

static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

typedef struct frame {
    double x0, x1, y0, y1; /* plot area in pixels */
    axis ax;               /* epochs */
} frame;

static double px(const frame *f, double epoch)
{
    return f->x0 + (epoch - f->ax.lo) / (f->ax.hi - f->ax.lo) * (f->x1 - f->x0);
}

static double py(const frame *f, const axis *a, double v)
{
    return f->y1 - (v - a->lo) / (a->hi - a->lo) * (f->y1 - f->y0);
}

static void series(FILE *fp, const frame *f, const axis *a, const double *v, size_t n,
                   const char *color, const char *dash)
{
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            if (open) fputs("\"/>\n", fp);
            open = false;
            continue;
        }
        if (!open)
            fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                    color, dash);
        fprintf(fp, "%s%.1f,%.1f", open ? " " : "", px(f, (double)(i + 1)), py(f, a, v[i]));
        open = true;
    }
    if (open) fputs("\"/>\n", fp);
    if (n > 60) return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
                    px(f, (double)(i + 1)), py(f, a, v[i]), color);
}

static void y_ticks(FILE *fp, const frame *f, const axis *a, bool right, const char *color,
                    bool grid)
{
    for (int i = 0, n = tick_count(a); i < n; i++) {
        double v = a->lo + i * a->step, y = py(f, a, v);
        double x = right ? f->x1 : f->x0;
        if (grid)
            fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                    f->x0, y, f->x1, y);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x, y, right ? x + 5 : x - 5, y);
        if (fabs(v) < a->step * 1e-6) v = 0;
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" text-anchor=\"%s\">",
                right ? x + 8 : x - 8, y + 4, color, right ? "start" : "end");
        /* Exponent notation where fixed decimals would be long. */
        if (fmax(fabs(a->lo), fabs(a->hi)) >= 1e7 || a->decimals > 6)
            fprintf(fp, "%.4g</text>\n", v);
        else
            fprintf(fp, "%.*f</text>\n", a->decimals, v);
    }
}

/* One row above the plot area, centred, so it never hides the data. */
static void legend(FILE *fp, const frame *f, const char *const *labels, const char *const *colors,
                   const char *const *dashes, int n)
{
    double widths[5], total = 0;
    int first_row = n; /* entries on the upper row; the rest go below it */
    for (int i = 0; i < n; i++) {
        widths[i] = 44 + 7.0 * (double)strlen(labels[i]) + 24;
        total += widths[i];
        if (first_row == n && total > f->x1 - f->x0) first_row = i;
    }
    double row = 0;
    for (int i = 0; i < first_row; i++) row += widths[i];
    double x = (f->x0 + f->x1 - row) / 2, y = f->y0 - (first_row < n ? 36 : 16);
    for (int i = 0; i < n; i++) {
        if (i == first_row) { /* the second row, centred */
            row = 0;
            for (int j = i; j < n; j++) row += widths[j];
            x = (f->x0 + f->x1 - row) / 2;
            y = f->y0 - 16;
        }
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    "stroke-width=\"2\"%s/>\n", x, y, x + 34, y, colors[i], dashes[i]);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 42, y + 4);
        xml_text(fp, labels[i]);
        fputs("</text>\n", fp);
        x += widths[i];
    }
}

/* What one chart shows: the three series' ranges and axes. */
typedef struct chart {
    frame f;
    axis loss, metric;
    bool any_train, any_val_loss, any_test_loss, any_metric;
    const double *metric_series; /* the test's, else the validation split's */
    const char *who, *metric_name;
} chart;

static bool any_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) return true;
    return false;
}

static chart layout(const cli_history *h)
{
    chart c;
    size_t n = h->count;
    double llo = 0, lhi = 0, mlo = 0, mhi = 0;
    bool any_loss = false;
    c.any_metric = false;
    range_of(h->train_loss, n, &llo, &lhi, &any_loss);
    c.any_train = any_loss;
    range_of(h->val_loss, n, &llo, &lhi, &any_loss); /* one range for the losses */
    range_of(h->test_loss, n, &llo, &lhi, &any_loss);
    c.any_val_loss = any_finite(h->val_loss, n);
    c.any_test_loss = any_finite(h->test_loss, n);
    bool test_metric = any_finite(h->test_metric, n);
    c.metric_series = test_metric ? h->test_metric : h->val_metric;
    range_of(c.metric_series, n, &mlo, &mhi, &c.any_metric);

    c.f = (frame){LEFT, W - RIGHT, TOP, H - BOTTOM, {0, 0, 0, 0}};
    c.f.ax = n > 1 ? nice_axis(1, (double)n, 8, true) : nice_axis(0, 2, 2, true);
    if (c.f.ax.lo < 1 && n > 1) c.f.ax.lo = 1;
    c.loss = nice_axis(any_loss ? llo : 0, any_loss ? lhi : 1, 6, false);
    if (c.loss.lo < 0 && any_loss && llo >= 0) c.loss.lo = 0;
    c.metric = nice_axis(c.any_metric ? mlo : 0, c.any_metric ? mhi : 1, 6, false);
    if (!h->regress) {
        if (c.metric.lo < 0) c.metric.lo = 0;
        if (c.metric.hi > 1) c.metric.hi = 1;
    } else if (c.metric.lo < 0 && mlo >= 0) {
        c.metric.lo = 0;
    }
    c.who = test_metric ? "test" : "validation";
    c.metric_name = h->regress ? "RMSE" : "accuracy";
    return c;
}

static void draw_axes(FILE *fp, const chart *c, const char *title)
{
    const frame *f = &c->f;
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\" "
                "font-size=\"13\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H, W, H);
    fprintf(fp, "<text x=\"%d\" y=\"30\" font-size=\"17\" text-anchor=\"middle\">", W / 2);
    xml_text(fp, title);
    fputs("</text>\n", fp);

    /* epochs 1, then the multiples of the step (1 + k step otherwise) */
    bool from_one = f->ax.lo == 1 && f->ax.step > 1;
    axis multiples = f->ax;
    if (from_one) multiples.lo = 0;
    for (int i = 0, n = tick_count(&multiples); i < n; i++) {
        double e = i == 0 ? f->ax.lo : multiples.lo + i * f->ax.step;
        double x = px(f, e);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n",
                x, f->y0, x, f->y1);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                x, f->y1, x, f->y1 + 5);
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>\n", x,
                f->y1 + 20, e);
    }
    y_ticks(fp, f, &c->loss, false, COLOR_LOSS, true);
    if (c->any_metric) y_ticks(fp, f, &c->metric, true, COLOR_METRIC, false);

    /* frame and axis titles */
    fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                "stroke=\"#333\"/>\n", f->x0, f->y0, f->x1 - f->x0, f->y1 - f->y0);
    fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n",
            (f->x0 + f->x1) / 2, H - 18);
    fprintf(fp, "<text transform=\"translate(22,%.1f) rotate(-90)\" text-anchor=\"middle\" "
                "fill=\"%s\">loss (mean per record)</text>\n", (f->y0 + f->y1) / 2, COLOR_LOSS);
    if (c->any_metric)
        fprintf(fp, "<text transform=\"translate(%d,%.1f) rotate(90)\" text-anchor=\"middle\" "
                    "fill=\"%s\">%s %s</text>\n", W - 20, (f->y0 + f->y1) / 2, COLOR_METRIC,
                c->who, c->metric_name);
}

static void draw_data(FILE *fp, const chart *c, const cli_history *h)
{
    const char *labels[5], *colors[5], *dashes[5];
    char metric_label[64], best_label[64];
    int k = 0;
    if (c->any_train) {
        series(fp, &c->f, &c->loss, h->train_loss, h->count, COLOR_LOSS, "");
        labels[k] = "training loss", colors[k] = COLOR_LOSS, dashes[k++] = "";
    }
    if (c->any_val_loss) {
        const char *dash = " stroke-dasharray=\"6,4\"";
        series(fp, &c->f, &c->loss, h->val_loss, h->count, COLOR_VAL_LOSS, dash);
        labels[k] = "validation loss", colors[k] = COLOR_VAL_LOSS, dashes[k++] = dash;
    }
    if (c->any_test_loss) {
        const char *dash = " stroke-dasharray=\"2,3\"";
        series(fp, &c->f, &c->loss, h->test_loss, h->count, COLOR_TEST_LOSS, dash);
        labels[k] = "test loss", colors[k] = COLOR_TEST_LOSS, dashes[k++] = dash;
    }
    if (h->best_epoch >= 1 && h->best_epoch <= h->count) { /* the epoch restored */
        const char *dash = " stroke-dasharray=\"3,3\"";
        double x = px(&c->f, (double)h->best_epoch);
        fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>\n",
                x, c->f.y0, x, c->f.y1, COLOR_BEST, dash);
        snprintf(best_label, sizeof best_label, "best epoch %zu, restored", h->best_epoch);
        labels[k] = best_label, colors[k] = COLOR_BEST, dashes[k++] = dash;
    }
    if (c->any_metric) {
        series(fp, &c->f, &c->metric, c->metric_series, h->count, COLOR_METRIC, "");
        snprintf(metric_label, sizeof metric_label, "%s %s (right axis)", c->who,
                 c->metric_name);
        labels[k] = metric_label, colors[k] = COLOR_METRIC, dashes[k++] = "";
    }
    if (k > 0) legend(fp, &c->f, labels, colors, dashes, k);
}

int cli_write_plot(const char *path, const cli_history *h, const char *title)
{
    chart c = layout(h);
    cli_atomic_file af;
    if (!cli_atomic_open(&af, path)) return CLI_DATA_ERROR;
    draw_axes(af.fp, &c, title);
    draw_data(af.fp, &c, h);
    if (h->count == 0 && h->none_why) { /* an empty frame says why, a clause a line */
        char line[256];
        const char *s = h->none_why;
        for (int row = 0; *s; row++) {
            const char *end = strstr(s, "; ");
            size_t len = end ? (size_t)(end - s) + 1 : strlen(s);
            if (len >= sizeof line) len = sizeof line - 1;
            memcpy(line, s, len);
            line[len] = '\0';
            fprintf(af.fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                    (c.f.x0 + c.f.x1) / 2, (c.f.y0 + c.f.y1) / 2 + 20.0 * row);
            xml_text(af.fp, line);
            fputs("</text>\n", af.fp);
            s += len;
            while (*s == ' ') s++;
        }
    }
    fputs("</svg>\n", af.fp);
    return cli_atomic_commit(&af) ? CLI_OK : CLI_DATA_ERROR;
}
