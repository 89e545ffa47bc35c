/* Running helper processes: the PyTorch script, a fresh mlp-bench for the memory figure. */
#ifndef MLP_BENCH_SUBPROCESS_H
#define MLP_BENCH_SUBPROCESS_H

#include <stdio.h>
#include <sys/types.h>

/* Runs argv[0] (searched in PATH) with argv, its stderr inherited, and returns its whole
 * stdout as a malloc'd NUL-terminated string (free it), or NULL when it could not be
 * started. *exit_status receives its exit status (-1 when killed by a signal). */
char *bench_spawn_capture(char *const argv[], int *exit_status);

/* A child talked to line by line: `in` writes to its stdin (line-buffered), `out` reads
 * its stdout; stderr is inherited. */
typedef struct bench_child {
    pid_t pid;
    FILE *in;
    FILE *out;
} bench_child;

/* Starts argv[0] (searched in PATH); 0, or -1 when it could not be started. */
int bench_child_start(bench_child *c, char *const argv[]);
/* Closes its stdin (the child's cue to exit), waits for it; its exit status, -1 if killed. */
int bench_child_finish(bench_child *c);

#endif
