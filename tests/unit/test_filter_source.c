/* Unit tests for the source filter, loaded the way the host loads it
 * (tests/support/plugin.h): exact scores and reasons for each weight,
 * the options and their refusals, and the feed -> users index behind
 * want() through profile changes, drops and hostile weights.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "plugin.h"

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-12)

/* Each test starts from a fresh ctx with the default options
 * (tp_fixture_init). */
static int
group_setup(void **state)
{
    return tp_fixture_load(state, "source");
}

/* Score an item of 'feed_id' for 'who'; 0 returned, finite, not excluded. */
static double
score_feed(struct tp_plugin *p, long long feed_id,
           const struct curator_profile *who, struct tp_sink *s)
{
    struct curator_item it = tp_item(1, "Title", "");
    double v;

    it.feed_id = feed_id;
    assert_int_equal(tp_score_ok(p, &it, who, &v, s), 0);
    return v;
}

/* The score for one weight of feed 1, and exactly one or no reason. */
static void
check_weight(struct tp_plugin *p, double weight, double want,
             const char *reason)
{
    struct curator_source_weight w[] = { { 1, weight } };
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;

    who.sources = w;
    who.n_sources = 1;
    assert_double_eq(score_feed(p, 1, &who, &s), want);
    assert_int_equal(tp_sink_is(&s, want, reason), 0);
}

/* Items of 'feed_id' added; the users named, which must be unique. */
static size_t
wanted(struct tp_plugin *p, long long feed_id, struct tp_wanted *w)
{
    struct curator_item it = tp_item(1, "Title", "");

    it.feed_id = feed_id;
    assert_int_equal(tp_add(p, &it, w), 0);
    assert_true(tp_wanted_unique(w));
    return w->n;
}

static void
set_weights(struct tp_plugin *p, long long user_id,
            const struct curator_source_weight *w, size_t n)
{
    struct curator_profile who = tp_profile(user_id, "u");

    who.sources = w;
    who.n_sources = n;
    assert_int_equal(p->f->set_profile(p->ctx, &who), 0);
}

static void
test_entry(void **state)
{
    assert_int_equal(tp_check_entry(*state, "source", TP_SET_PROFILE
                                    | TP_DROP_PROFILE | TP_ADD_ITEM), 0);
}

static void
test_default_scores(void **state)
{
    struct tp_plugin *p = *state;

    check_weight(p, 2, 2.0, "you rated this source more");
    check_weight(p, 0.5, -2.0, "you rated this source less");
    check_weight(p, 4, 4.0, "you rated this source more");
    check_weight(p, 0.25, -4.0, "you rated this source less");
    check_weight(p, 10, 2 * log2(10.0), "you rated this source more");
    /* Neutral: no opinion, no reason. */
    check_weight(p, 1, 0.0, NULL);
    /* Never from this source: -floor, pushed down but not excluded. */
    check_weight(p, 0, -10.0, "you rated this source less");
    /* Nothing scores below -floor. */
    check_weight(p, 0.001, -10.0, "you rated this source less");
    check_weight(p, 1.0 / 32, -10.0, "you rated this source less");
    check_weight(p, 1.0 / 16, -8.0, "you rated this source less");
}

static void
test_other_feeds_and_empty(void **state)
{
    struct tp_plugin *p = *state;
    struct curator_source_weight w[] = { { 2, 4.0 }, { 3, 0.0 } };
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;
    struct curator_item it = tp_item(1, "Title", "");
    double v = NAN;
    int exclude = 0;

    /* No weights at all, and NULL with a count. */
    assert_double_eq(score_feed(p, 1, &who, &s), 0.0);
    assert_int_equal(s.n, 0);
    who.n_sources = 3;
    assert_double_eq(score_feed(p, 1, &who, &s), 0.0);
    assert_int_equal(s.n, 0);

    /* Weights for other feeds only. */
    who.sources = w;
    who.n_sources = 2;
    assert_double_eq(score_feed(p, 1, &who, &s), 0.0);
    assert_int_equal(s.n, 0);
    assert_double_eq(score_feed(p, 2, &who, &s), 4.0);
    assert_double_eq(score_feed(p, 3, &who, &s), -10.0);

    /* No sink, or a sink without add(): the score alone. */
    it.feed_id = 2;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, NULL), 0);
    assert_double_eq(v, 4.0);
    struct curator_explain mute = { NULL, NULL, NULL };
    v = NAN;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, &mute),
                     0);
    assert_double_eq(v, 4.0);
    assert_int_equal(exclude, 0);
}

static void
test_options(void **state)
{
    struct tp_plugin *p = *state;
    char err[256];

    assert_int_equal(tp_init(p, err, sizeof err, "scale", "3", "floor", "4",
                             NULL), 0);
    assert_string_equal(err, "");
    check_weight(p, 2, 3.0, "you rated this source more");
    check_weight(p, 0.5, -3.0, "you rated this source less");
    check_weight(p, 0, -4.0, "you rated this source less");
    check_weight(p, 0.25, -4.0, "you rated this source less");

    /* Scale 0: only "never" keeps an opinion. */
    assert_int_equal(tp_init(p, err, sizeof err, "scale", "0", NULL), 0);
    check_weight(p, 8, 0.0, NULL);
    check_weight(p, 0.5, 0.0, NULL);
    check_weight(p, 0, -10.0, "you rated this source less");

    /* Floor 0: "never" has no opinion either; the last value counts. */
    assert_int_equal(tp_init(p, err, sizeof err, "floor", "7", "floor", "0",
                             NULL), 0);
    check_weight(p, 0, 0.0, NULL);
    check_weight(p, 0.5, 0.0, NULL);
    check_weight(p, 2, 2.0, "you rated this source more");

    /* The limits themselves are fine. */
    assert_int_equal(tp_init(p, err, sizeof err, "scale", "100", "floor",
                             "1000", NULL), 0);
    check_weight(p, 0, -1000.0, "you rated this source less");
    check_weight(p, 10, 100 * log2(10.0), "you rated this source more");
}

static void
test_options_refused(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const bad[] = {
        "", "abc", "-1", "2x", " 2", "nan", "inf", "-inf", "1e400", "100.5",
        "0x", "2 ",
    };
    char err[256], want[256];

    assert_int_equal(tp_refuses(p, "scales", "2", "unknown option 'scales'"),
                     0);
    assert_int_not_equal(tp_init(p, err, sizeof err, "scale", "2",
                                 "weight", "1", NULL), 0);
    assert_string_equal(err, "unknown option 'weight'");

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(want, sizeof want, "scale: '%s' is not a number from 0 "
                 "to 100", bad[i]);
        assert_int_equal(tp_refuses(p, "scale", bad[i], want), 0);
    }
    assert_int_equal(tp_refuses(p, "floor", "1001", "floor: '1001' is not "
                                "a number from 0 to 1000"), 0);
    assert_int_equal(tp_refuses(p, "floor", "-0.5", "floor: '-0.5' is not "
                                "a number from 0 to 1000"), 0);

    /* A short error buffer is cut, not overrun; none at all is fine. */
    assert_int_equal(tp_refuses_cut(p, "floor", "x", 8, "floor: "), 0);
    assert_int_equal(p->f->init(NULL, 0, &p->ctx, NULL, 0), 0);
}

static void
test_hostile_weights(void **state)
{
    struct tp_plugin *p = *state;
    struct curator_source_weight w[] = {
        { 1, NAN }, { 2, -1 }, { 3, 11 }, { 4, INFINITY }, { 5, -INFINITY },
        { 6, 1e300 }, { 7, -0.0 },
        /* Feed 8: an invalid weight, then the valid one that counts, then
         * a duplicate that does not. */
        { 8, NAN }, { 8, 4 }, { 8, 0.5 },
    };
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_wanted tw;
    struct tp_sink s;

    who.sources = w;
    who.n_sources = sizeof w / sizeof w[0];
    for (long long feed = 1; feed <= 6; feed++) {
        assert_double_eq(score_feed(p, feed, &who, &s), 0.0);
        assert_int_equal(s.n, 0);
    }
    /* -0 is a valid 0. */
    assert_double_eq(score_feed(p, 7, &who, &s), -10.0);
    assert_double_eq(score_feed(p, 8, &who, &s), 4.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "you rated this source more");

    /* The index keeps the same choice: wanted for 8 alone, once. */
    assert_int_equal(p->f->set_profile(p->ctx, &who), 0);
    for (long long feed = 1; feed <= 7; feed++)
        assert_int_equal(wanted(p, feed, &tw), 0);
    assert_int_equal(wanted(p, 8, &tw), 1);
    assert_int_equal(tw.user[0], 7);
}

static void
test_want(void **state)
{
    struct tp_plugin *p = *state;
    static const struct curator_source_weight w1[] = { { 1, 2 } };
    static const struct curator_source_weight w2[] = { { 1, 0.5 } };
    static const struct curator_source_weight w3[] = { { 1, 1 } };
    static const struct curator_source_weight w4[] = { { 2, 3 }, { 1, 0 } };
    static const struct curator_source_weight w5[] = {
        { 1, 5 }, { 3, 7 }, { 1, 7 },
    };
    struct tp_wanted tw;

    /* No profiles yet: nobody. */
    assert_int_equal(wanted(p, 1, &tw), 0);

    set_weights(p, 1, w1, 1);
    set_weights(p, 2, w2, 1);
    set_weights(p, 3, w3, 1);
    set_weights(p, 4, w4, 2);
    set_weights(p, 5, w5, 3);
    /* Only weights above 1 make a user wanted, each user once. */
    assert_int_equal(wanted(p, 1, &tw), 2);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 5));
    assert_int_equal(wanted(p, 2, &tw), 1);
    assert_int_equal(tw.user[0], 4);
    assert_int_equal(wanted(p, 3, &tw), 1);
    assert_int_equal(tw.user[0], 5);
    assert_int_equal(wanted(p, 9, &tw), 0);

    /* A changed profile replaces the old one. */
    set_weights(p, 1, w2, 1);
    set_weights(p, 2, w1, 1);
    assert_int_equal(wanted(p, 1, &tw), 2);
    assert_true(tp_wanted_has(&tw, 2));
    assert_true(tp_wanted_has(&tw, 5));
    /* The same profile twice is still one entry. */
    set_weights(p, 2, w1, 1);
    assert_int_equal(wanted(p, 1, &tw), 2);
    /* Emptied weights: no longer wanted anywhere. */
    set_weights(p, 5, NULL, 0);
    assert_int_equal(wanted(p, 1, &tw), 1);
    assert_int_equal(tw.user[0], 2);
    assert_int_equal(wanted(p, 3, &tw), 0);

    /* Dropped users go; an unknown id is harmless. */
    p->f->drop_profile(p->ctx, 2);
    p->f->drop_profile(p->ctx, 2);
    p->f->drop_profile(p->ctx, 999);
    assert_int_equal(wanted(p, 1, &tw), 0);
    assert_int_equal(wanted(p, 2, &tw), 1);
    assert_int_equal(tw.user[0], 4);
    /* A NULL want is tolerated. */
    struct curator_item it = tp_item(1, "Title", "");
    it.feed_id = 2;
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);
}

static void
test_score_prefers_view(void **state)
{
    struct tp_plugin *p = *state;
    static const struct curator_source_weight stored[] = { { 1, 2 } };
    static const struct curator_source_weight now[] = { { 1, 0.5 } };
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;

    set_weights(p, 7, stored, 1);
    /* The view passed in is the truth, whatever was stored. */
    who.sources = now;
    who.n_sources = 1;
    assert_double_eq(score_feed(p, 1, &who, &s), -2.0);
    who.sources = NULL;
    who.n_sources = 0;
    assert_double_eq(score_feed(p, 1, &who, &s), 0.0);
    /* A dropped user is still scored from the view. */
    p->f->drop_profile(p->ctx, 7);
    who.sources = now;
    who.n_sources = 1;
    assert_double_eq(score_feed(p, 1, &who, &s), -2.0);
}

static void
test_many_users(void **state)
{
    struct tp_plugin *p = *state;
    struct curator_source_weight w[2];
    struct tp_wanted tw;

    /* 3000 users: user u likes feed u % 30 (2) and dislikes u % 7 + 100. */
    for (long long u = 1; u <= 3000; u++) {
        w[0] = (struct curator_source_weight){ u % 30, 2 };
        w[1] = (struct curator_source_weight){ u % 7 + 100, 0.5 };
        set_weights(p, u, w, 2);
    }
    assert_int_equal(wanted(p, 4, &tw), 100);
    for (size_t i = 0; i < tw.n; i++)
        assert_int_equal(tw.user[i] % 30, 4);
    assert_int_equal(wanted(p, 103, &tw), 0);
    /* Keep every third user, moved to feed 99; drop the others. */
    w[0] = (struct curator_source_weight){ 99, 3 };
    for (long long u = 1; u <= 3000; u++) {
        if (u % 3)
            p->f->drop_profile(p->ctx, u);
        else
            set_weights(p, u, w, 1);
    }
    for (long long feed = 0; feed < 30; feed++)
        assert_int_equal(wanted(p, feed, &tw), 0);
    assert_int_equal(wanted(p, 99, &tw), 1000);
    for (size_t i = 0; i < tw.n; i++)
        assert_int_equal(tw.user[i] % 3, 0);
}

static void
test_large_profile(void **state)
{
    struct tp_plugin *p = *state;
    size_t n = 100000;
    struct curator_source_weight *w = malloc(n * sizeof *w);
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_wanted tw;
    struct tp_sink s;

    assert_non_null(w);
    /* Descending feeds, every weight from 0 to 10 in steps. */
    for (size_t i = 0; i < n; i++)
        w[i] = (struct curator_source_weight){ (long long)(n - i),
                                               (double)(i % 11) };
    who.sources = w;
    who.n_sources = n;
    assert_int_equal(p->f->set_profile(p->ctx, &who), 0);
    /* Feed n - 8 has weight 8; feed n - 1 weight 1. */
    assert_int_equal(wanted(p, (long long)n - 8, &tw), 1);
    assert_int_equal(wanted(p, (long long)n - 1, &tw), 0);
    assert_double_eq(score_feed(p, (long long)n - 8, &who, &s), 6.0);
    p->f->drop_profile(p->ctx, 7);
    assert_int_equal(wanted(p, (long long)n - 8, &tw), 0);
    free(w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test_setup(test_default_scores, tp_fixture_init),
        cmocka_unit_test_setup(test_other_feeds_and_empty, tp_fixture_init),
        cmocka_unit_test_setup(test_options, tp_fixture_init),
        cmocka_unit_test_setup(test_options_refused, tp_fixture_init),
        cmocka_unit_test_setup(test_hostile_weights, tp_fixture_init),
        cmocka_unit_test_setup(test_want, tp_fixture_init),
        cmocka_unit_test_setup(test_score_prefers_view, tp_fixture_init),
        cmocka_unit_test_setup(test_many_users, tp_fixture_init),
        cmocka_unit_test_setup(test_large_profile, tp_fixture_init),
    };
    return cmocka_run_group_tests_name("unit: filter source", tests,
                                       group_setup, tp_fixture_unload);
}
