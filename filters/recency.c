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
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RECENCY_MAX_MAX 1000.0

struct recency {
    double max;
    long long half_life;        /* seconds, > 0 */
};

static int
recency_init(const struct curator_filter_option *opts, size_t n_opts,
             void **ctx, char *err, size_t errlen)
{
    struct recency *r = malloc(sizeof *r);

    if (r == NULL)
        return opt_error(err, errlen, "out of memory");
    r->max = 1.0;
    r->half_life = 2 * 86400;
    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";
        int rc;

        if (strcmp(key, "max") == 0)
            rc = opt_number(key, value, 0, 0, RECENCY_MAX_MAX, &r->max, err,
                            errlen);
        else if (strcmp(key, "half_life") == 0)
            rc = opt_duration(key, value, &r->half_life, err, errlen);
        else
            rc = opt_unknown(key, err, errlen);
        if (rc != 0) {
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
