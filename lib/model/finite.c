/* Scans for NaN and infinities: the divergence checks of training and the data checks. */
#include "mlp_internal.h"

#include <string.h>

int mlp_all_finite(const float *v, size_t n)
{
    /* Integer test of the exponent bits: vectorises, and -ffast-math cannot drop it. */
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, v + i, sizeof bits);
        bad |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    return !bad;
}
