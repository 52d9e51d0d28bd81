/* Unit tests for the recency filter, loaded the way the host loads it
 * (tests/support/plugin.h): exact half-life scores and "published ...
 * ago" reasons, unknown and future dates, hostile clocks, and every way
 * of giving the options, right and wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "plugin.h"

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-12)

#define NOW 1767225600LL        /* tp_item()'s clock: 2026-01-01 */
#define MIN 60LL
#define HOUR 3600LL
#define DAY 86400LL

static int
group_setup(void **state)
{
    return tp_fixture_load(state, "recency");
}

/* Score an item published at 'published' with the clock at 'now'. */
static double
score_at(struct tp_plugin *p, long long published, long long now,
         struct tp_sink *s)
{
    struct curator_item it = tp_item(1, "Title", "");
    struct curator_profile who = tp_profile(7, "ann");
    double v;

    it.published = published;
    it.now = now;
    assert_int_equal(tp_score_ok(p, &it, &who, &v, s), 0);
    return v;
}

/* An item 'age' seconds old scores 'want', with 'reason' or none. */
static void
check_age(struct tp_plugin *p, long long age, double want,
          const char *reason)
{
    struct tp_sink s;

    assert_double_eq(score_at(p, NOW - age, NOW, &s), want);
    assert_int_equal(tp_sink_is(&s, want, reason), 0);
}

static void
test_entry(void **state)
{
    /* Recency never makes a user a candidate and keeps no state. */
    assert_int_equal(tp_check_entry(*state, "recency", 0), 0);
}

static void
test_default_decay(void **state)
{
    struct tp_plugin *p = *state;

    /* Half-life 2 days, max 1. */
    check_age(p, 0, 1.0, "published just now");
    check_age(p, 59, exp2(-59.0 / (2 * DAY)), "published just now");
    check_age(p, MIN, exp2(-60.0 / (2 * DAY)), "published 1 minute ago");
    check_age(p, 150, exp2(-150.0 / (2 * DAY)), "published 2 minutes ago");
    check_age(p, HOUR - 1, exp2(-3599.0 / (2 * DAY)),
              "published 59 minutes ago");
    check_age(p, HOUR, exp2(-1.0 / 48), "published 1 hour ago");
    check_age(p, 3 * HOUR, exp2(-3.0 / 48), "published 3 hours ago");
    check_age(p, 12 * HOUR, exp2(-0.25), "published 12 hours ago");
    check_age(p, DAY - 1, exp2(-(DAY - 1.0) / (2 * DAY)),
              "published 23 hours ago");
    check_age(p, DAY, exp2(-0.5), "published 1 day ago");
    check_age(p, 36 * HOUR, exp2(-0.75), "published 1 day ago");
    check_age(p, 2 * DAY - 1, exp2(-(2 * DAY - 1.0) / (2 * DAY)),
              "published 1 day ago");
    /* From one half-life on: the score, no reason. */
    check_age(p, 2 * DAY, 0.5, NULL);
    check_age(p, 4 * DAY, 0.25, NULL);
    check_age(p, 6 * DAY, 0.125, NULL);
    check_age(p, 20 * DAY, 1.0 / 1024, NULL);
}

static void
test_unknown_and_future(void **state)
{
    struct tp_plugin *p = *state;
    struct tp_sink s;

    /* No date: no opinion. */
    assert_double_eq(score_at(p, 0, NOW, &s), 0.0);
    assert_int_equal(s.n, 0);
    /* Clock skew: dated later than now counts as new. */
    check_age(p, -HOUR, 1.0, "published just now");
    check_age(p, -400 * DAY, 1.0, "published just now");
    /* Dates before 1970 are dates. */
    assert_double_eq(score_at(p, -1, 2 * DAY - 1, &s), 0.5);
    assert_int_equal(s.n, 0);
}

static void
test_hostile_clocks(void **state)
{
    struct tp_plugin *p = *state;
    struct tp_sink s;

    /* The subtraction would overflow a long long: very old, score 0. */
    assert_double_eq(score_at(p, LLONG_MIN, LLONG_MAX, &s), 0.0);
    assert_int_equal(s.n, 0);
    assert_double_eq(score_at(p, LLONG_MIN + 1, NOW, &s), 0.0);
    assert_int_equal(s.n, 0);
    /* And the other way round: far future, new. */
    assert_double_eq(score_at(p, LLONG_MAX, LLONG_MIN, &s), 1.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "published just now");
    /* A host clock of 0 still compares. */
    assert_double_eq(score_at(p, -2 * DAY, 0, &s), 0.5);
    /* 10000 years: underflows to 0, still finite. */
    assert_double_eq(score_at(p, NOW - 10000 * 365 * DAY, NOW, &s), 0.0);
    assert_int_equal(s.n, 0);
}

static void
test_no_sink(void **state)
{
    struct tp_plugin *p = *state;
    struct curator_item it = tp_item(1, "Title", "");
    struct curator_profile who = tp_profile(7, "ann");
    struct curator_explain mute = { NULL, NULL, NULL };
    double v = NAN;
    int exclude = 0;

    it.published = NOW - 2 * DAY;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, NULL), 0);
    assert_double_eq(v, 0.5);
    it.published = NOW - HOUR;
    v = NAN;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, &mute),
                     0);
    assert_double_eq(v, exp2(-1.0 / 48));
}

static void
test_options(void **state)
{
    struct tp_plugin *p = *state;
    char err[256];

    assert_int_equal(tp_init(p, err, sizeof err, "max", "3", "half_life",
                             "1h", NULL), 0);
    assert_string_equal(err, "");
    check_age(p, 0, 3.0, "published just now");
    check_age(p, 30 * MIN, 3 * exp2(-0.5), "published 30 minutes ago");
    check_age(p, HOUR, 1.5, NULL);
    check_age(p, 2 * HOUR, 0.75, NULL);

    /* Max 0: never an opinion, never a reason. */
    assert_int_equal(tp_init(p, err, sizeof err, "max", "0", NULL), 0);
    check_age(p, 0, 0.0, NULL);
    check_age(p, HOUR, 0.0, NULL);

    /* A fractional max; the last value given counts. */
    assert_int_equal(tp_init(p, err, sizeof err, "max", "9", "max", "0.5",
                             NULL), 0);
    check_age(p, 2 * DAY, 0.25, NULL);
}

/* half_life 'value' gives 'secs' seconds: half the max at that age. */
static void
check_duration(struct tp_plugin *p, const char *value, long long secs)
{
    char err[256];

    assert_int_equal(tp_init(p, err, sizeof err, "half_life", value, NULL),
                     0);
    check_age(p, secs, 0.5, NULL);
    check_age(p, 2 * secs, 0.25, NULL);
    assert_double_eq(score_at(p, NOW - (secs - 1), NOW, &(struct tp_sink){0}),
                     exp2(-(secs - 1.0) / (double)secs));
}

static void
test_durations(void **state)
{
    struct tp_plugin *p = *state;

    check_duration(p, "90", 90);
    check_duration(p, "90s", 90);
    check_duration(p, "1", 1);
    check_duration(p, "5m", 5 * MIN);
    check_duration(p, "2h", 2 * HOUR);
    check_duration(p, "2d", 2 * DAY);
    check_duration(p, "1w", 7 * DAY);
    check_duration(p, "0007d", 7 * DAY);
    check_duration(p, "520w", 520 * 7 * DAY);
    /* The largest that fit: a day-old item has barely aged. */
    char err[256];
    assert_int_equal(tp_init(p, err, sizeof err, "half_life",
                             "9223372036854775807", NULL), 0);
    check_age(p, DAY, exp2(-(double)DAY / (double)LLONG_MAX),
              "published 1 day ago");
    assert_int_equal(tp_init(p, err, sizeof err, "half_life",
                             "15250284452471w", NULL), 0);
    check_age(p, DAY, exp2(-1.0 / (15250284452471.0 * 7)),
              "published 1 day ago");

    /* A week-long half-life explains a 6-day-old item. */
    assert_int_equal(tp_init(p, err, sizeof err, "half_life", "1w", NULL),
                     0);
    check_age(p, 6 * DAY, exp2(-6.0 / 7), "published 6 days ago");
    check_age(p, 7 * DAY, 0.5, NULL);
}

static void
test_options_refused(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const bad_durations[] = {
        "-1d", "abc", "0", "0d", "000s", "99999999999999999999d",
        "9223372036854775808", "15250284452472w", "9223372036854775807m",
        "", " 1d", "1d ", "1.5d", "1x", "1dd", "1D", "d", "+1d", "1 d",
        "0x10", "1e3",
    };
    static const char *const bad_max[] = {
        "", "x", "-1", "-0.1", "nan", "inf", "1e400", "1000.01", " 1", "1 ",
        "2d",
    };
    char err[256], want[512];

    assert_int_equal(tp_refuses(p, "halflife", "1d",
                                "unknown option 'halflife'"), 0);
    assert_int_not_equal(tp_init(p, err, sizeof err, "max", "1", "weight",
                                 "2", NULL), 0);
    assert_string_equal(err, "unknown option 'weight'");

    for (size_t i = 0; i < sizeof bad_durations / sizeof *bad_durations;
         i++) {
        snprintf(want, sizeof want, "half_life: '%s' is not a duration (a "
                 "whole number > 0 of seconds, or with suffix s, m, h, d "
                 "or w)", bad_durations[i]);
        assert_int_equal(tp_refuses(p, "half_life", bad_durations[i], want),
                         0);
    }
    for (size_t i = 0; i < sizeof bad_max / sizeof *bad_max; i++) {
        snprintf(want, sizeof want, "max: '%s' is not a number from 0 to "
                 "1000", bad_max[i]);
        assert_int_equal(tp_refuses(p, "max", bad_max[i], want), 0);
    }
    /* A good option before a bad one does not save it. */
    assert_int_not_equal(tp_init(p, err, sizeof err, "max", "2",
                                 "half_life", "-1d", NULL), 0);
    assert_string_equal(err, "half_life: '-1d' is not a duration (a whole "
                        "number > 0 of seconds, or with suffix s, m, h, d "
                        "or w)");

    /* A short buffer is cut, not overrun; none at all is fine. */
    assert_int_equal(tp_refuses_cut(p, "half_life", "abc", 12,
                                    "half_life: "), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test_setup(test_default_decay, tp_fixture_init),
        cmocka_unit_test_setup(test_unknown_and_future, tp_fixture_init),
        cmocka_unit_test_setup(test_hostile_clocks, tp_fixture_init),
        cmocka_unit_test_setup(test_no_sink, tp_fixture_init),
        cmocka_unit_test_setup(test_options, tp_fixture_init),
        cmocka_unit_test_setup(test_durations, tp_fixture_init),
        cmocka_unit_test_setup(test_options_refused, tp_fixture_init),
    };
    return cmocka_run_group_tests_name("unit: filter recency", tests,
                                       group_setup, tp_fixture_unload);
}
