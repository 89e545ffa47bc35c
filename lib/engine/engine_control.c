/* Which one-record implementations the plan may choose (one_record.c). The library that
 * ships allows all of them and reads nothing from the environment: the plan decides from
 * the shape, the threads and the CPU. The test-control build of the same objects
 * (libmlp_engine_test, compiled with MLP_ENGINE_TEST_CONTROL; tests and the one-record
 * bench link it) reads these variables, so that CI runs every compiled variant on one CPU:
 *   MLP_KERNELS=generic|avx2|avx512|blas   the hand-loop table, when this CPU can run it;
 *   MLP_ENGINE_OFF=tiny,fuse,split,blas    special cases turned off;
 *   MLP_ENGINE_ON=bf16team                 a variant the library does not ship on: a bf16
 *       workspace made now shares its element-wise passes with the OpenMP team (bf16_passes.c). */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

#ifdef MLP_ENGINE_TEST_CONTROL
/* Whether the comma-separated list `list` (may be NULL) names `word`. */
static int names(const char *list, const char *word)
{
    const size_t n = strlen(word);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0')) return 1;
    return 0;
}
#endif

mlp_engine_control mlp_engine_control_read(void)
{
    mlp_engine_control c;
    memset(&c, 0, sizeof c);
#ifdef MLP_ENGINE_TEST_CONTROL
    const char *off = getenv("MLP_ENGINE_OFF");
    c.kernels = getenv("MLP_KERNELS");
    c.no_tiny = names(off, "tiny");
    c.no_fuse = names(off, "fuse");
    c.no_split = names(off, "split");
    c.no_blas = names(off, "blas");
    c.bf16_team = names(getenv("MLP_ENGINE_ON"), "bf16team");
#endif
    return c;
}
