/* Line reading for the text readers, with the buffer from the library's allocator (getline
 * would grow it with malloc behind the application's allocator). */
#include "mlp_internal.h"

size_t mlp_read_line(char **buf, size_t *cap, FILE *fp, mlp_status *status)
{
    size_t len = 0;
    int ch;
    flockfile(fp); /* one lock for the line, then the unlocked per-byte reads */
    while ((ch = getc_unlocked(fp)) != EOF) {
        if (len + 2 > *cap) { /* room for this byte and the terminating NUL */
            size_t grown = *cap ? *cap * 2 : 256;
            char *p = grown > *cap ? mlp_mem_realloc(*buf, grown) : NULL;
            if (!p) {
                *status = MLP_ERR_NO_MEMORY;
                len = 0;
                break;
            }
            *buf = p;
            *cap = grown;
        }
        (*buf)[len++] = (char)ch;
        if (ch == '\n') break;
    }
    funlockfile(fp);
    if (len) (*buf)[len] = '\0';
    return len;
}
