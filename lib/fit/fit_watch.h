/* Internal: the progress callback a fit gives mlp_train (fit_watch.c). */
#ifndef MLP_FIT_WATCH_H
#define MLP_FIT_WATCH_H

#include "fit/fit_internal.h"

typedef struct fit_watch {
    const mlp_fit_config *c;
    const fit_targets *t;
    double scale;                 /* standardised training loss -> the targets' units */
    const mlp_net *net;
    mlp_workspace *ws;            /* inference workspace of net */
    const mlp_dataset *val, *test;
    bool test_each_epoch;
    mlp_loss loss;
    mlp_task task;
    double eval_seconds;          /* spent on the evaluations here */
    mlp_status failed;            /* an evaluation's failure stops training */
    bool stopped;                 /* a caller's callback returned false */
} fit_watch;

double fit_now(void);
void fit_watch_init(fit_watch *w, const mlp_fit_config *c, const fit_targets *t);
/* Whether the caller asked for any callback (else mlp_train runs without one). */
bool fit_watch_wanted(const fit_watch *w);
bool fit_watch_progress(const mlp_progress *p, void *user_data);

#endif /* MLP_FIT_WATCH_H */
