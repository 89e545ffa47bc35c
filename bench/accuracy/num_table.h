/* The accuracy benchmark's numeric splits (make_sets.py writes NAME/train.num, test.num):
 * a line "inputs outputs classes", then one record per line, inputs then targets (for
 * classification one target, the class index). */
#ifndef ACC_NUM_TABLE_H
#define ACC_NUM_TABLE_H

#include <stddef.h>

typedef struct num_table {
    size_t rows, inputs, outputs, classes; /* classes 0: regression */
    double *x;                             /* rows x inputs */
    double *y;                             /* rows x outputs */
} num_table;

/* 0 on success; on failure a message on stderr and -1. */
int num_table_read(const char *path, num_table *t);
void num_table_free(num_table *t);
/* Width of the net's output: the class count, or the regression outputs. */
size_t num_table_targets(const num_table *t);
/* Row i's target as the net sees it: one-hot (lo elsewhere, hi at the class) or the values. */
void num_table_target_row(const num_table *t, size_t i, double lo, double hi, double *out);

#endif
