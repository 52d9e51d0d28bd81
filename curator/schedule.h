/* When to poll a feed next: from its observed update rate, bounded by the
 * configured minimum and maximum, raised by what the publisher asked for
 * (RSS ttl, sy:updatePeriod, Cache-Control max-age), moved out of its
 * skipHours and skipDays, with jitter so that feeds polled together
 * drift apart; and how long to back off after failures.
 *
 * Pure functions of their arguments (the jitter is passed in), so the
 * rules are tested without a clock or a network. The poller applies
 * them; the store keeps what they need between polls.
 */
#ifndef CURATOR_SCHEDULE_H
#define CURATOR_SCHEDULE_H

#include <stddef.h>

#define SCHEDULE_RETRY_AFTER_MAX (7 * 86400)    /* longest wait honoured */
#define SCHEDULE_RETRY_AFTER_MIN 60

struct schedule_cfg {
    long interval;          /* the first interval of a feed, seconds */
    long min_interval;
    long max_interval;
    long backoff_max;       /* longest wait after failures */
};

/* What a successful poll saw. */
struct schedule_obs {
    long prev_interval;         /* the interval before this poll, 0: none */
    int changed;                /* a new body was parsed (not a 304 and
                                   not the same bytes as last time) */
    const long long *dates;     /* item times (Unix), any order; 0s are
                                   ignored */
    size_t n_dates;
    long ttl;                   /* RSS ttl in seconds, 0: none */
    long period;                /* sy:updatePeriod / updateFrequency in
                                   seconds, 0: none */
    long long max_age;          /* Cache-Control max-age, -1: none */
};

/* The interval until the next poll, before jitter:
 *
 * - a changed feed with two or more dated items: the mean gap between
 *   its newest items (at most ten), or half the time since its newest
 *   item when it has been quiet for longer than that;
 * - a changed feed without dates: half the previous interval;
 * - an unchanged feed: the previous interval times 1.5;
 * - a feed seen for the first time: the configured interval;
 *
 * then raised to the ttl, the syndication period and max-age, and
 * bounded by the minimum and maximum. */
long schedule_interval(const struct schedule_cfg *c,
                       const struct schedule_obs *o, long long now);

/* The time of the next poll: now + interval scaled by 0.9 to 1.1 (u in
 * [0, 1) picks where), moved to the start of the first hour that
 * skip_hours (bit h: hour h, UTC) and skip_days (bit 0 Monday to bit 6
 * Sunday, UTC) allow. A mask that skips everything is ignored. */
long long schedule_next(long interval, unsigned skip_hours,
                        unsigned skip_days, long long now, double u);

/* The first time at or after 't' that is in no skipped hour or day. */
long long schedule_skip(long long t, unsigned skip_hours, unsigned skip_days);

/* Seconds to wait after the 'failures'-th consecutive failure (1 or
 * more): min_interval doubled per failure, up to backoff_max, scaled by
 * 0.8 to 1.2 (u in [0, 1)) and never past backoff_max. */
long schedule_backoff(const struct schedule_cfg *c, int failures, double u);

/* Seconds to wait for a Retry-After of 'seconds': at least
 * SCHEDULE_RETRY_AFTER_MIN, at most SCHEDULE_RETRY_AFTER_MAX. */
long schedule_retry_after(long long seconds);

/* The syndication module's hint in the head of an RSS document (the
 * bytes before the first item): sy:updatePeriod (hourly, daily, weekly,
 * monthly, yearly) divided by sy:updateFrequency (default 1), in
 * seconds; 0 when absent or unreadable. The parser does not report
 * feed-level extension elements, so the poller reads this from the raw
 * head it keeps anyway. */
long schedule_sy_period(const char *head, size_t len);

/* A uniform number in [0, 1) for the jitter. */
double schedule_random(void);

#endif
