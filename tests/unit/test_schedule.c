/* Unit tests for curator/schedule.c: intervals from the observed rate and
 * the publisher's hints, bounds, jitter, skipHours/skipDays, back-off and
 * Retry-After, and the sy:updatePeriod reader. The jitter is passed in,
 * so every figure is exact. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "schedule.h"

static const struct schedule_cfg cfg = {
    .interval = 3600, .min_interval = 900, .max_interval = 86400,
    .backoff_max = 86400,
};

/* 2026-11-02 (a Monday) 00:00:00 UTC. */
#define MONDAY 1793577600LL

static void
test_first_poll(void **state)
{
    (void)state;
    struct schedule_obs o = { .max_age = -1 };
    /* Nothing known: the configured interval. */
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 3600);
    /* Dated items, posted every 2 h up to now: their rate. */
    long long d[] = { MONDAY - 7200, MONDAY, MONDAY - 14400 };
    o.changed = 1;
    o.dates = d;
    o.n_dates = 3;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 7200);
}

static void
test_observed_rate(void **state)
{
    (void)state;
    long long d[30];
    struct schedule_obs o = { .prev_interval = 3600, .changed = 1,
                              .dates = d, .max_age = -1 };

    /* Eleven items an hour apart, older ones days apart: only the
     * newest ten gaps count. */
    for (int i = 0; i < 30; i++)
        d[i] = i <= 10 ? MONDAY - (long long)i * 3600
                       : MONDAY - (long long)i * 86400;
    o.n_dates = 30;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 3600);
    /* Quiet for ten hours since: half of that. */
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY + 36000), 18000);
    /* Quiet for a month: the maximum. */
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY + 30 * 86400),
                     86400);
    /* A burst a minute apart: the minimum. */
    for (int i = 0; i < 30; i++)
        d[i] = MONDAY - i * 60;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 900);
    /* Dates in the future and zeros say nothing. */
    long long odd[] = { 0, MONDAY + 10 * 86400, MONDAY };
    o.dates = odd;
    o.n_dates = 3;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 1800);
}

static void
test_changed_or_not(void **state)
{
    (void)state;
    struct schedule_obs o = { .prev_interval = 4000, .max_age = -1 };
    /* Unchanged (304): 1.5 times longer, up to the maximum. */
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 6000);
    o.prev_interval = 80000;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 86400);
    /* Changed but undated: half, down to the minimum. */
    o.changed = 1;
    o.prev_interval = 4000;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 2000);
    o.prev_interval = 1000;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 900);
}

static void
test_publisher_hints(void **state)
{
    (void)state;
    struct schedule_obs o = { .prev_interval = 3600, .changed = 1,
                              .max_age = -1 };
    o.ttl = 7200;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 7200);
    o.ttl = 0;
    o.period = 43200;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 43200);
    o.period = 0;
    o.max_age = 5000;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 5000);
    /* Hints never pass the maximum; max-age 0 is no hint at all. */
    o.max_age = 0;
    o.ttl = 7 * 86400;
    assert_int_equal(schedule_interval(&cfg, &o, MONDAY), 86400);
}

static void
test_jitter_and_skip(void **state)
{
    (void)state;
    /* 0.9 to 1.1 times the interval. */
    assert_int_equal(schedule_next(1000, 0, 0, MONDAY, 0.0), MONDAY + 900);
    assert_int_equal(schedule_next(1000, 0, 0, MONDAY, 0.5), MONDAY + 1000);
    assert_int_equal(schedule_next(1000, 0, 0, MONDAY, 0.999999),
                     MONDAY + 1099);
    /* skipHours 0-5: Monday 01:00 moves to 06:00. */
    unsigned night = 0x3f;
    assert_int_equal(schedule_skip(MONDAY + 3600 + 17, night, 0),
                     MONDAY + 6 * 3600);
    assert_int_equal(schedule_skip(MONDAY + 7 * 3600, night, 0),
                     MONDAY + 7 * 3600);
    /* skipDays Monday and Tuesday (bits 0, 1): Wednesday 00:00. */
    assert_int_equal(schedule_skip(MONDAY + 5, 0, 3), MONDAY + 2 * 86400);
    /* Both: Wednesday 06:00. */
    assert_int_equal(schedule_skip(MONDAY + 5, night, 3),
                     MONDAY + 2 * 86400 + 6 * 3600);
    /* Everything skipped: ignored. */
    assert_int_equal(schedule_skip(MONDAY + 5, 0xffffff, 0), MONDAY + 5);
    assert_int_equal(schedule_skip(MONDAY + 5, 0, 0x7f), MONDAY + 5);
    assert_int_equal(schedule_next(3600, night, 0, MONDAY, 0.5),
                     MONDAY + 6 * 3600);
}

static void
test_backoff(void **state)
{
    (void)state;
    /* min_interval doubled per failure, +-20 %, capped. */
    assert_int_equal(schedule_backoff(&cfg, 1, 0.5), 900);
    assert_int_equal(schedule_backoff(&cfg, 2, 0.5), 1800);
    assert_int_equal(schedule_backoff(&cfg, 5, 0.5), 14400);
    assert_int_equal(schedule_backoff(&cfg, 1, 0.0), 720);
    assert_int_equal(schedule_backoff(&cfg, 1, 0.999999), 1079);
    assert_int_equal(schedule_backoff(&cfg, 8, 0.5), 86400);
    assert_int_equal(schedule_backoff(&cfg, 9, 0.999999), 86400);
    assert_int_equal(schedule_backoff(&cfg, 10000, 0.0), 69120);
    /* Retry-After: at least a minute, at most a week. */
    assert_int_equal(schedule_retry_after(120), 120);
    assert_int_equal(schedule_retry_after(0), 60);
    assert_int_equal(schedule_retry_after(99999999999LL), 7 * 86400);
}

static long
sy(const char *doc)
{
    return schedule_sy_period(doc, strlen(doc));
}

static void
test_sy_period(void **state)
{
    (void)state;
    assert_int_equal(sy("<rss><channel><sy:updatePeriod>hourly"
                        "</sy:updatePeriod>"), 3600);
    assert_int_equal(sy("<channel><sy:updatePeriod> daily </sy:updatePeriod"
                        "><sy:updateFrequency>4</sy:updateFrequency>"),
                     21600);
    assert_int_equal(sy("<channel><syn:updatePeriod>WEEKLY"
                        "</syn:updatePeriod>"), 7 * 86400);
    assert_int_equal(sy("<updatePeriod>monthly</updatePeriod>"), 30 * 86400);
    /* Unknown values, bad frequencies and items' own text. */
    assert_int_equal(sy("<sy:updatePeriod>often</sy:updatePeriod>"), 0);
    assert_int_equal(sy("<sy:updatePeriod>daily</sy:updatePeriod>"
                        "<sy:updateFrequency>0</sy:updateFrequency>"),
                     86400);
    assert_int_equal(sy("<channel><item><sy:updatePeriod>daily"
                        "</sy:updatePeriod></item>"), 0);
    assert_int_equal(sy("<feed><entry><x:updatePeriod>daily"
                        "</x:updatePeriod>"), 0);
    assert_int_equal(sy(""), 0);
    assert_int_equal(sy("<sy:updatePeriod>daily"), 0);
    assert_int_equal(sy("<sy:updatePeriod"), 0);
}

static void
test_random(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        double u = schedule_random();
        assert_true(u >= 0.0 && u < 1.0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_poll),
        cmocka_unit_test(test_observed_rate),
        cmocka_unit_test(test_changed_or_not),
        cmocka_unit_test(test_publisher_hints),
        cmocka_unit_test(test_jitter_and_skip),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_sy_period),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests_name("unit: schedule", tests, NULL, NULL);
}
