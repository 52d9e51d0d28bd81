/* Option parsing shared by the filters, header-only (a filter links
 * nothing from libcurator or from another filter): readers for numbers,
 * whole numbers and durations, and the messages init() gives back,
 * "KEY: 'VALUE' is not WHAT" for a bad value and "unknown option 'KEY'".
 * Every function that takes err writes at most errlen bytes, cutting a
 * long message, and accepts err NULL or errlen 0; the ones that report
 * a failure return -1 so that init() can return what they return.
 *
 * Everything here is static inline so that a filter using only part of
 * it compiles without unused-function warnings.
 */
#ifndef CURATOR_FILTER_OPTIONS_H
#define CURATOR_FILTER_OPTIONS_H

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What opt_parse_number() refuses beyond strtod()'s own syntax. */
#define OPT_UNSIGNED 1u         /* no sign, "inf" or "nan": a digit or '.'
                                   comes first */
#define OPT_DECIMAL 2u          /* no hex: digits, '.', 'e' and signs only */

static inline int
opt_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format a message into err. Returns -1. */
static inline int
opt_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* "KEY: 'VALUE' is not WHAT" into err. Returns -1. */
static inline int
opt_refuse(const char *key, const char *value, const char *what, char *err,
           size_t errlen)
{
    return opt_error(err, errlen, "%s: '%s' is not %s", key, value, what);
}

/* "unknown option 'KEY'" into err. Returns -1. */
static inline int
opt_unknown(const char *key, char *err, size_t errlen)
{
    return opt_error(err, errlen, "unknown option '%s'", key);
}

/* A number lo..hi: all of s in strtod() syntax, less what 'flags' bar,
 * with no leading space (which strtod() would skip). Returns 0 with
 * *out set, or -1 with *out untouched. */
static inline int
opt_parse_number(const char *s, unsigned flags, double lo, double hi,
                 double *out)
{
    char *end;
    double v;

    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    if ((flags & OPT_UNSIGNED) && !((*s >= '0' && *s <= '9') || *s == '.'))
        return -1;
    if ((flags & OPT_DECIMAL) && s[strspn(s, "0123456789.eE+-")] != '\0')
        return -1;
    v = strtod(s, &end);
    /* Negated so that a NaN fails too. */
    if (*end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* opt_parse_number() of option key's value, or -1 with "KEY: 'VALUE' is
 * not a number from LO to HI" in err (bounds printed with up to 15
 * significant digits, so 1000000 stays 1000000). */
static inline int
opt_number(const char *key, const char *value, unsigned flags, double lo,
           double hi, double *out, char *err, size_t errlen)
{
    char what[96];

    if (opt_parse_number(value, flags, lo, hi, out) == 0)
        return 0;
    snprintf(what, sizeof what, "a number from %.15g to %.15g", lo, hi);
    return opt_refuse(key, value, what, err, errlen);
}

/* A whole number lo..hi (lo >= 0) in decimal digits alone: no sign,
 * space or base prefix. Returns 0 with *out set, or -1 with *out
 * untouched. */
static inline int
opt_parse_whole(const char *s, long long lo, long long hi, long long *out)
{
    long long v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        int d = *s - '0';
        if (d < 0 || d > 9 || v > (LLONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        if (v > hi)
            return -1;
    }
    if (v < lo)
        return -1;
    *out = v;
    return 0;
}

/* opt_parse_whole() of option key's value, or -1 with "KEY: 'VALUE' is
 * not a whole number from LO to HI" in err. */
static inline int
opt_whole(const char *key, const char *value, long long lo, long long hi,
          long long *out, char *err, size_t errlen)
{
    char what[96];

    if (opt_parse_whole(value, lo, hi, out) == 0)
        return 0;
    snprintf(what, sizeof what, "a whole number from %lld to %lld", lo, hi);
    return opt_refuse(key, value, what, err, errlen);
}

/* A duration in seconds, "90", "90s", "5m", "2h", "1d" or "1w": whole
 * units, > 0, no overflow. Returns 0 with *out set, or -1 with "KEY:
 * 'VALUE' is not a duration (...)" in err and *out untouched. */
static inline int
opt_duration(const char *key, const char *value, long long *out, char *err,
             size_t errlen)
{
    const char *s = value;
    long long v = 0, unit;

    if (!isdigit((unsigned char)*s))
        goto bad;
    for (; isdigit((unsigned char)*s); s++) {
        int d = *s - '0';
        if (v > (LLONG_MAX - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    switch (*s) {
    case '\0': unit = 1; break;
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 604800; break;
    default: goto bad;
    }
    if ((*s != '\0' && s[1] != '\0') || v == 0 || v > LLONG_MAX / unit)
        goto bad;
    *out = v * unit;
    return 0;
bad:
    return opt_refuse(key, value, "a duration (a whole number > 0 of "
                      "seconds, or with suffix s, m, h, d or w)", err,
                      errlen);
}

#endif
