/* Reads make_sets.py's numeric splits. */
#include "num_table.h"

#include <stdio.h>
#include <stdlib.h>

static int grow(double **p, size_t need, size_t *cap)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need) c *= 2;
    double *q = realloc(*p, c * sizeof *q);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

int num_table_read(const char *path, num_table *t)
{
    *t = (num_table){0};
    FILE *fp = fopen(path, "r");
    if (!fp) {
        perror(path);
        return -1;
    }
    if (fscanf(fp, "%zu %zu %zu", &t->inputs, &t->outputs, &t->classes) != 3 ||
        t->inputs == 0 || t->outputs == 0) {
        fprintf(stderr, "%s: bad header\n", path);
        fclose(fp);
        return -1;
    }
    size_t capx = 0, capy = 0;
    for (;;) {
        if (grow(&t->x, (t->rows + 1) * t->inputs, &capx) ||
            grow(&t->y, (t->rows + 1) * t->outputs, &capy)) {
            fprintf(stderr, "%s: out of memory\n", path);
            break;
        }
        size_t got = 0;
        for (size_t j = 0; j < t->inputs; j++)
            got += fscanf(fp, "%lf", &t->x[t->rows * t->inputs + j]) == 1;
        if (got == 0) {
            fclose(fp);
            return t->rows ? 0 : -1;
        }
        for (size_t j = 0; j < t->outputs; j++)
            got += fscanf(fp, "%lf", &t->y[t->rows * t->outputs + j]) == 1;
        if (got != t->inputs + t->outputs) {
            fprintf(stderr, "%s: record %zu is short\n", path, t->rows + 1);
            break;
        }
        t->rows++;
    }
    fclose(fp);
    num_table_free(t);
    return -1;
}

void num_table_free(num_table *t)
{
    free(t->x);
    free(t->y);
    *t = (num_table){0};
}

size_t num_table_targets(const num_table *t) { return t->classes ? t->classes : t->outputs; }

void num_table_target_row(const num_table *t, size_t i, double lo, double hi, double *out)
{
    if (!t->classes) {
        for (size_t j = 0; j < t->outputs; j++) out[j] = t->y[i * t->outputs + j];
        return;
    }
    for (size_t k = 0; k < t->classes; k++) out[k] = lo;
    out[(size_t)t->y[i]] = hi;
}
