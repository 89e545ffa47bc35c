/* Decimal text to double exactly as strtod gives it in the C locale, without asking the
 * locale: the common short decimals are converted here (exact: the digits fit a double's
 * mantissa and the power of ten is exact, so one multiplication or division rounds
 * correctly); anything else (long mantissas, large exponents, hex, inf, nan, leading
 * space) goes to strtod, which the readers run under a C locale. */
#include "mlp_internal.h"

#include <stdlib.h>
#include <string.h>

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define MANTISSA_EXACT (1ull << 53)

/* strtod on s[0..len), the whole span consumed. The readers' spans end in a NUL (cells are
 * stored NUL-terminated): strtod reads them in place. Other short spans are copied to the
 * stack; a long one is read in place, and refused when strtod would read past it (nothing
 * here allocates: a number never fails for want of memory). */
static int parse_slow(const char *s, size_t len, double *out)
{
    char small[128], *end = NULL;
    const char *p = s;
    if (s[len] != '\0' && len < sizeof small) {
        memcpy(small, s, len);
        small[len] = '\0';
        p = small;
    }
    double v = strtod(p, &end);
    if (end != p + len) return 0;
    *out = v;
    return 1;
}

int mlp_parse_double(const char *s, size_t len, double *out)
{
    if (len == 0) return 0;
    const char *p = s, *end = s + len;
    int neg = 0;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    uint64_t m = 0;
    int digits = 0, any = 0;
    long exp10 = 0;
    for (; p < end && (unsigned)(*p - '0') < 10; p++, any = 1) {
        if (m == 0 && *p == '0') continue; /* leading zeros are not significant */
        if (++digits > 19) return parse_slow(s, len, out);
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (p < end && *p == '.') {
        for (p++; p < end && (unsigned)(*p - '0') < 10; p++, any = 1) {
            exp10--;
            if (m == 0 && *p == '0') continue;
            if (++digits > 19) return parse_slow(s, len, out);
            m = m * 10 + (uint64_t)(*p - '0');
        }
    }
    if (!any) return parse_slow(s, len, out); /* inf, nan, ".", hex, space: strtod decides */
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        long e = 0;
        if (q < end && (*q == '+' || *q == '-')) eneg = *q++ == '-';
        if (q == end || (unsigned)(*q - '0') >= 10) return parse_slow(s, len, out);
        for (; q < end && (unsigned)(*q - '0') < 10; q++)
            if (e < 100000) e = e * 10 + (*q - '0');
        exp10 += eneg ? -e : e;
        p = q;
    }
    if (p != end) return parse_slow(s, len, out);
    double v;
    if (m == 0) {
        v = 0.0;
    } else if (m <= MANTISSA_EXACT && exp10 >= -22 && exp10 <= 22) {
        v = exp10 >= 0 ? (double)m * pow10_exact[exp10] : (double)m / pow10_exact[-exp10];
    } else if (m <= MANTISSA_EXACT && exp10 > 22 && exp10 <= 22 + 15) {
        /* m * 10^(exp10 - 22) is an exact integer when it stays within the mantissa */
        uint64_t scaled = m;
        for (long k = 0; k < exp10 - 22 && scaled <= MANTISSA_EXACT; k++) scaled *= 10;
        if (scaled > MANTISSA_EXACT) return parse_slow(s, len, out);
        v = (double)scaled * pow10_exact[22];
    } else {
        return parse_slow(s, len, out);
    }
    *out = neg ? -v : v;
    return 1;
}
