/* Messages, strict parsing of flag values, clocks and path checks for the mlp tool. */
#include "cli.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("mlp: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "mlp%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'mlp%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_USAGE_ERROR;
}

int cli_getopt_error(const char *cmd, int c, int optopt_value, char *const argv[], int optind_value)
{
    const char *arg = optind_value > 0 ? argv[optind_value - 1] : "?";
    if (c == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", arg);
    if (optopt_value != 0 && optopt_value != '?')
        return cli_usage_error(cmd, "unknown option '-%c'", optopt_value);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_parse_help_only(const char *cmd, int argc, char **argv, void (*help)(void))
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c != 'h') return cli_getopt_error(cmd, c, optopt, argv, optind);
        help();
        return -1;
    }
    return CLI_OK;
}

void cli_getopt_reset(void)
{
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
}

static bool starts_blank(const char *text)
{
    return text[0] == '\0' || text[0] == ' ' || text[0] == '\t';
}

bool cli_parse_size(const char *cmd, const char *flag, const char *text, size_t min, size_t max,
                    size_t *out)
{
    char *end;
    errno = 0;
    /* strtoull accepts "-3" (wrapping it): insist on digits. */
    if (starts_blank(text) || text[0] == '-' || text[0] == '+') goto bad;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) goto bad;
    *out = (size_t)v;
    return true;
bad:
    if (max == SIZE_MAX)
        cli_usage_error(cmd, "%s: expected an integer >= %zu, got '%s'", flag, min, text);
    else
        cli_usage_error(cmd, "%s: expected an integer from %zu to %zu, got '%s'", flag, min,
                        max, text);
    return false;
}

bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    if (starts_blank(text) || text[0] == '-' || text[0] == '+') goto bad;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno != 0 || *end != '\0') goto bad;
    *out = (uint64_t)v;
    return true;
bad:
    cli_usage_error(cmd, "%s: expected a non-negative integer, got '%s'", flag, text);
    return false;
}

bool cli_parse_int(const char *cmd, const char *flag, const char *text, int min, int max, int *out)
{
    char *end;
    errno = 0;
    if (starts_blank(text)) goto bad;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) goto bad;
    *out = (int)v;
    return true;
bad:
    cli_usage_error(cmd, "%s: expected an integer from %d to %d, got '%s'", flag, min, max, text);
    return false;
}

bool cli_parse_double(const char *cmd, const char *flag, const char *text, double min,
                      double max, bool max_open, double *out)
{
    char *end;
    errno = 0;
    if (starts_blank(text)) goto bad;
    double v = strtod(text, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max || (max_open && v >= max))
        goto bad;
    /* The library takes floats: a value that would become 0 or lose its precision as a
     * float (below FLT_MIN, e.g. 1e-50) is refused rather than silently changed. */
    if (v != 0 && fabs(v) < FLT_MIN) {
        cli_usage_error(cmd, "%s: '%s' is too small for a float (0 or at least %g)", flag, text,
                        (double)FLT_MIN);
        return false;
    }
    *out = v;
    return true;
bad:
    cli_usage_error(cmd, "%s: expected a number in [%g, %g%c, got '%s'", flag, min, max,
                    max_open ? ')' : ']', text);
    return false;
}

bool cli_parse_choice(const char *cmd, const char *flag, const char *text,
                      const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++) {
        if (names[i] && strcmp(names[i], text) == 0) {
            *out = i;
            return true;
        }
    }
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        if (!names[i]) continue;
        int k = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", names[i]);
        if (k < 0 || (size_t)k >= sizeof list - used) break;
        used += (size_t)k;
    }
    cli_usage_error(cmd, "%s: unknown value '%s' (one of: %s)", flag, text, list);
    return false;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool cli_check_input_file(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("%s: is a directory, not a file", path);
        return false;
    }
    if (access(path, R_OK) != 0) {
        cli_error("%s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

char *cli_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

bool cli_check_output_path(const char *path)
{
    char *target;
    bool through;
    if (!cli_output_resolve(path, &target, &through)) return false;
    if (through) return true; /* stdout, a device or a FIFO: opening it will tell */
    char *dir = cli_dir_of(target);
    bool ok = false;
    struct stat st;
    if (!dir)
        cli_error("%s: out of memory", path);
    else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_error("%s: directory '%s' does not exist", path, dir);
    else if (access(dir, W_OK) != 0)
        cli_error("%s: cannot write in directory '%s': %s", path, dir, strerror(errno));
    else
        ok = true;
    free(dir);
    free(target);
    return ok;
}

void cli_report_status(const char *context, mlp_status st, const mlp_error_detail *detail)
{
    if (detail && detail->message[0] && strstr(detail->message, context)) {
        cli_error("%s", detail->message); /* the library's message names the file itself */
    } else if (detail && detail->message[0]) {
        if (detail->line && detail->column)
            cli_error("%s:%zu:%zu: %s", context, detail->line, detail->column, detail->message);
        else if (detail->line)
            cli_error("%s:%zu: %s", context, detail->line, detail->message);
        else
            cli_error("%s: %s", context, detail->message);
    } else if (detail && detail->line) {
        cli_error("%s:%zu: %s", context, detail->line, mlp_strerror(st));
    } else {
        cli_error("%s: %s", context, mlp_strerror(st));
    }
}

bool cli_precision_ok(mlp_precision precision)
{
    mlp_error_detail why = {.message = ""};
    mlp_status st = mlp_precision_supported(precision, &why);
    if (st != MLP_OK) cli_report_status("--precision", st, why.message[0] ? &why : NULL);
    return st == MLP_OK;
}

bool cli_list_split(cli_list *list, const char *value)
{
    memset(list, 0, sizeof *list);
    if (!value) return true;
    size_t n = 1;
    for (const char *p = value; *p; p++) n += *p == ',';
    list->text = strdup(value);
    list->items = malloc(n * sizeof *list->items);
    if (!list->text || !list->items) {
        cli_list_free(list);
        return false;
    }
    for (char *p = list->text, *comma;; p = comma + 1) {
        list->items[list->count++] = p;
        if (!(comma = strchr(p, ','))) break;
        *comma = '\0';
    }
    return true;
}

void cli_list_free(cli_list *list)
{
    free(list->items);
    free(list->text);
    memset(list, 0, sizeof *list);
}
