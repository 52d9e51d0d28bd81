/* Poll scheduling rules: intervals, back-off, skipHours/skipDays and the
 * syndication hint. */
#include "schedule.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SCHEDULE_RATE_ITEMS 10  /* newest items used for the rate */

static long
clamp(long long v, long lo, long hi)
{
    if (v < lo)
        return lo;
    if (v > hi)
        return hi;
    return (long)v;
}

static int
cmp_desc(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x < y) - (x > y);
}

/* The mean gap between the newest dated items, stretched when the feed
 * has been quiet for longer; 0 when there are fewer than two dates. */
static long long
observed_rate(const long long *dates, size_t n, long long now)
{
    long long newest[SCHEDULE_RATE_ITEMS + 1];
    size_t k = 0;

    /* Keep the newest few in a small sorted array: feeds hold up to
     * thousands of items and only the head matters. Future dates are
     * clock errors and say nothing about the rate. */
    for (size_t i = 0; i < n; i++) {
        if (dates[i] <= 0 || dates[i] > now + 86400)
            continue;
        if (k < SCHEDULE_RATE_ITEMS + 1) {
            newest[k++] = dates[i];
            qsort(newest, k, sizeof newest[0], cmp_desc);
        } else if (dates[i] > newest[k - 1]) {
            newest[k - 1] = dates[i];
            qsort(newest, k, sizeof newest[0], cmp_desc);
        }
    }
    if (k < 2)
        return 0;
    size_t last = k - 1 < SCHEDULE_RATE_ITEMS ? k - 1 : SCHEDULE_RATE_ITEMS;
    long long gap = (newest[0] - newest[last]) / (long long)last;
    long long quiet = now - newest[0];
    if (quiet > gap)
        gap = quiet / 2 > gap ? quiet / 2 : gap;
    return gap > 0 ? gap : 1;
}

long
schedule_interval(const struct schedule_cfg *c, const struct schedule_obs *o,
                  long long now)
{
    long long v;

    if (o->prev_interval <= 0) {
        v = c->interval;
        if (o->changed) {
            long long rate = observed_rate(o->dates, o->n_dates, now);
            if (rate > 0)
                v = rate;
        }
    } else if (o->changed) {
        v = observed_rate(o->dates, o->n_dates, now);
        if (v == 0)
            v = o->prev_interval / 2;
    } else {
        v = o->prev_interval + o->prev_interval / 2;
    }
    if (v < o->ttl)
        v = o->ttl;
    if (v < o->period)
        v = o->period;
    if (v < o->max_age)
        v = o->max_age;
    return clamp(v, c->min_interval, c->max_interval);
}

long long
schedule_skip(long long t, unsigned skip_hours, unsigned skip_days)
{
    skip_hours &= 0xffffffu;
    skip_days &= 0x7fu;
    if (skip_hours == 0xffffffu || skip_days == 0x7fu
        || (skip_hours == 0 && skip_days == 0))
        return t;
    /* At most a week of hours to look through. */
    for (int i = 0; i < 24 * 8; i++) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        int day = (tm.tm_wday + 6) % 7;     /* 0 Monday */
        if (!(skip_days & (1u << day)) && !(skip_hours & (1u << tm.tm_hour)))
            return t;
        t = t - t % 3600 + 3600;
    }
    return t;
}

long long
schedule_next(long interval, unsigned skip_hours, unsigned skip_days,
              long long now, double u)
{
    long long wait = (long long)((double)interval * (0.9 + 0.2 * u));
    if (wait < 1)
        wait = 1;
    return schedule_skip(now + wait, skip_hours, skip_days);
}

long
schedule_backoff(const struct schedule_cfg *c, int failures, double u)
{
    long long wait = c->min_interval;
    for (int i = 1; i < failures && wait < c->backoff_max; i++)
        wait *= 2;
    if (wait > c->backoff_max)
        wait = c->backoff_max;
    wait = (long long)((double)wait * (0.8 + 0.4 * u));
    return clamp(wait, 1, c->backoff_max);
}

long
schedule_retry_after(long long seconds)
{
    return clamp(seconds, SCHEDULE_RETRY_AFTER_MIN, SCHEDULE_RETRY_AFTER_MAX);
}

/* The text of the element whose local name is 'name' in 'head' (no
 * attributes), trimmed, into out; 0 when there is none. */
static int
element_text(const char *head, size_t len, const char *name, char *out,
             size_t size)
{
    size_t nlen = strlen(name);
    const char *end = head + len;

    for (const char *p = head; p < end; p++) {
        p = memchr(p, '<', (size_t)(end - p));
        if (p == NULL)
            return 0;
        /* Skip a prefix: "<sy:updatePeriod>". */
        const char *q = p + 1;
        while (q < end && (isalnum((unsigned char)*q) || *q == '_'
                           || *q == '-' || *q == '.'))
            q++;
        const char *local = q < end && *q == ':' ? q + 1 : p + 1;
        if ((size_t)(end - local) <= nlen || memcmp(local, name, nlen) != 0
            || local[nlen] != '>')
            continue;
        const char *v = local + nlen + 1, *stop = v;
        while (stop < end && *stop != '<')
            stop++;
        if (stop == end)
            return 0;           /* cut off: the value may be too */
        while (v < stop && isspace((unsigned char)*v))
            v++;
        while (stop > v && isspace((unsigned char)stop[-1]))
            stop--;
        size_t n = (size_t)(stop - v);
        if (n == 0 || n >= size)
            return 0;
        memcpy(out, v, n);
        out[n] = '\0';
        return 1;
    }
    return 0;
}

long
schedule_sy_period(const char *head, size_t len)
{
    static const struct {
        const char *name;
        long seconds;
    } periods[] = {
        { "hourly", 3600 }, { "daily", 86400 }, { "weekly", 7 * 86400 },
        { "monthly", 30 * 86400 }, { "yearly", 365 * 86400 },
    };
    char v[32];
    long period = 0, freq = 1;

    /* Only the channel's own elements: stop at the first item. */
    const char *item = NULL;
    for (const char *p = head; p && p < head + len; p++) {
        p = memchr(p, '<', (size_t)(head + len - p));
        if (p == NULL)
            break;
        if ((size_t)(head + len - p) >= 6
            && (memcmp(p, "<item", 5) == 0 || memcmp(p, "<entry", 6) == 0)) {
            item = p;
            break;
        }
    }
    if (item)
        len = (size_t)(item - head);
    if (!element_text(head, len, "updatePeriod", v, sizeof v))
        return 0;
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (strcasecmp(v, periods[i].name) == 0)
            period = periods[i].seconds;
    if (element_text(head, len, "updateFrequency", v, sizeof v)) {
        char *e;
        long f = strtol(v, &e, 10);
        if (*e == '\0' && f >= 1 && f <= 100000)
            freq = f;
    }
    return period / freq;
}

double
schedule_random(void)
{
    return randombytes_uniform(1u << 30) / (double)(1u << 30);
}
