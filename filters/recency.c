/* recency: favours fresh items with a half-life decay.
 *
 * An item published 'age' seconds before the host's clock scores
 * max * 2^(-age / half_life), options max (default 1) and half_life (a
 * duration, default "2d"): 1 when new, 0.5 one half-life later. An item
 * dated in the future (clock skew) counts as new; one with no date gets
 * no opinion. Only an item younger than one half-life gets a reason
 * ("published 3 hours ago"). The filter keeps no state per item or user
 * and never names users: recency alone never makes an item a candidate.
 */
#include "filter.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define RECENCY_MAX_MAX 1000.0

struct recency {
    double max;
    long long half_life;        /* seconds, > 0 */
};

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "90", "90s", "5m", "2h", "1d", "1w": whole units, > 0, no overflow. */
static int
parse_duration(const char *s, long long *out)
{
    long long v = 0, unit;

    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        int d = *s - '0';
        if (v > (LLONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    switch (*s) {
    case '\0': unit = 1; break;
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 604800; break;
    default: return -1;
    }
    if (*s != '\0' && s[1] != '\0')
        return -1;
    if (v == 0 || v > LLONG_MAX / unit)
        return -1;
    *out = v * unit;
    return 0;
}

static int
recency_init(const struct curator_filter_option *opts, size_t n_opts,
             void **ctx, char *err, size_t errlen)
{
    struct recency *r = malloc(sizeof *r);

    if (r == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    r->max = 1.0;
    r->half_life = 2 * 86400;
    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";

        if (strcmp(key, "max") == 0) {
            char *end;
            double v = strtod(value, &end);
            if (value[0] == '\0' || isspace((unsigned char)value[0])
                || *end != '\0' || !isfinite(v) || v < 0
                || v > RECENCY_MAX_MAX) {
                set_err(err, errlen,
                        "%s: '%s' is not a number from 0 to 1000", key,
                        value);
                free(r);
                return -1;
            }
            r->max = v;
        } else if (strcmp(key, "half_life") == 0) {
            if (parse_duration(value, &r->half_life) != 0) {
                set_err(err, errlen, "%s: '%s' is not a duration (a whole "
                        "number > 0 of seconds, or with suffix s, m, h, d "
                        "or w)", key, value);
                free(r);
                return -1;
            }
        } else {
            set_err(err, errlen, "unknown option '%s'", key);
            free(r);
            return -1;
        }
    }
    *ctx = r;
    return 0;
}

/* "published 3 hours ago" for an age in seconds (>= 0). */
static void
explain_age(struct curator_explain *why, double v, double age)
{
    static const struct {
        double secs;
        const char *one, *many;
    } units[] = {
        { 86400, "day", "days" },
        { 3600, "hour", "hours" },
        { 60, "minute", "minutes" },
    };

    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (age >= units[i].secs) {
            long long n = (long long)(age / units[i].secs);
            curator_explain_add(why, v, "published %lld %s ago", n,
                                n == 1 ? units[i].one : units[i].many);
            return;
        }
    }
    curator_explain_add(why, v, "published just now");
}

static int
recency_score(void *ctx, const struct curator_item *it,
              const struct curator_profile *who, double *score,
              int *exclude, struct curator_explain *why)
{
    const struct recency *r = ctx;
    double age, v;

    (void)who;
    (void)exclude;
    *score = 0;
    if (it->published == 0)
        return 0;
    /* In double: a hostile date must not overflow the subtraction. */
    age = (double)it->now - (double)it->published;
    if (age < 0)
        age = 0;
    v = r->max * exp2(-age / (double)r->half_life);
    if (!isfinite(v) || v <= 0)
        return 0;
    *score = v;
    if (age < (double)r->half_life)
        explain_age(why, v, age);
    return 0;
}

static void
recency_free(void *ctx)
{
    free(ctx);
}

static const struct curator_filter recency_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "recency",
    .init = recency_init,
    .score = recency_score,
    .free = recency_free,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &recency_filter;
}
