/* Unit tests for the filter host (curator/score.c) against a real SQLite
 * store: ABI refusals with their messages, dropped non-finite results,
 * incremental scoring (each item once, only users who can see it, casual
 * readers), rescoring one user after a profile change, gems reaching
 * users beyond a feed's subscribers, and the stored reasons.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "feed.h"
#include "filter.h"
#include "log.h"
#include "score.h"
#include "store.h"
#include "support.h"

#define NOW 1767225600LL        /* 2026-01-01T00:00:00Z */

struct fx {
    char *dir;
    struct store *st;
    long long ann, bob, cat;    /* ann: coaching; bob: casual; cat: none */
    long long feed_a, feed_b;
};

static char *
plugin_path(const char *dir, const char *name)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s/%s.so", t_build_dir(), dir, name) > 0);
    return p;
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char *db;

    log_open(NULL, LOG_ERR);
    fx->dir = t_mkdtemp();
    assert_true(asprintf(&db, "%s/c.db", fx->dir) > 0);
    assert_int_equal(store_open(db, &fx->st), CUR_OK);
    free(db);
    assert_int_equal(store_user_add(fx->st, "ann", "ann@example.org",
                                    &fx->ann), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "bob", "bob@example.org",
                                    &fx->bob), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "cat", "cat@example.org",
                                    &fx->cat), CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "https://a.example/feed", "cli",
                                    &fx->feed_a), CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "https://b.example/feed", "cli",
                                    &fx->feed_b), CUR_OK);
    /* ann and bob read feed a; cat reads feed b and has an interest. */
    assert_int_equal(store_subscribe(fx->st, fx->ann, fx->feed_a), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, fx->bob, fx->feed_a), CUR_OK);
    assert_int_equal(store_subscribe(fx->st, fx->cat, fx->feed_b), CUR_OK);
    assert_int_equal(store_interest_put(fx->st, fx->ann, "coaching", 2.0, 0,
                                        0), CUR_OK);
    assert_int_equal(store_interest_put(fx->st, fx->cat, "coaching", 1.0, 0,
                                        0), CUR_OK);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static void
poll_in(struct fx *fx, long long feed, const char *const *titles, size_t n)
{
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        struct item *it = feed_add_item(f);
        assert_non_null(it);
        it->guid = strdup(titles[i]);
        it->title = strdup(titles[i]);
        it->text = strdup("plain text of the story");
        it->published = NOW - 3600;
    }
    struct store_poll p = { .now = NOW, .next_poll = NOW + 3600,
                            .status = 200, .title = "Feed" };
    int added;
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &added),
                     CUR_OK);
    feed_free(f);
}

/* A one-filter chain from tests/plugins or filters. */
static int
open_one(const char *dir, const char *name, struct scorer **sc, char *err,
         size_t errlen)
{
    struct config_filter cf = { .name = (char *)name, .weight = 1.0 };
    cf.path = plugin_path(dir, name);
    int rc = scorer_open(&cf, 1, 14 * 86400, sc, err, errlen);
    free(cf.path);
    return rc;
}

static void
refused(const char *name, const char *const *needles)
{
    struct scorer *sc = NULL;
    char err[512] = "";
    assert_int_equal(open_one("tests/plugins", name, &sc, err, sizeof err),
                     CUR_ECONFIG);
    assert_null(sc);
    assert_non_null(strstr(err, name));     /* the file is named */
    for (; *needles; needles++) {
        if (strstr(err, *needles) == NULL)
            fail_msg("'%s' not in: %s", *needles, err);
    }
}

static void
test_refuse_missing_file(void **state)
{
    const char *const n[] = { "cannot load", NULL };
    (void)state;
    refused("does-not-exist", n);
}

static void
test_refuse_missing_symbol(void **state)
{
    const char *const n[] = { "no curator_filter_entry symbol", NULL };
    (void)state;
    refused("nosymbol", n);
}

static void
test_refuse_wrong_major(void **state)
{
    char ours[32];
    snprintf(ours, sizeof ours, "ABI %d.%d", CURATOR_FILTER_ABI_MAJOR,
             CURATOR_FILTER_ABI_MINOR);
    const char *const n[] = { "ABI 99.3", ours, NULL };
    (void)state;
    refused("badmajor", n);
}

static void
test_refuse_short_table(void **state)
{
    const char *const n[] = { "16 bytes", "needs at least", NULL };
    (void)state;
    refused("short", n);
}

static void
test_refuse_bad_init(void **state)
{
    struct scorer *sc = NULL;
    char err[512] = "";
    struct config_filter_opt o = { "colour", "blue" };
    struct config_filter cf = { .name = "badinit", .weight = 1.0,
                                .opts = &o, .n_opts = 1 };
    (void)state;
    cf.path = plugin_path("tests/plugins", "badinit");
    assert_int_equal(scorer_open(&cf, 1, 86400, &sc, err, sizeof err),
                     CUR_ECONFIG);
    free(cf.path);
    assert_non_null(strstr(err, "badinit.so"));
    assert_non_null(strstr(err, "unknown option 'colour'"));
}

struct collected {
    size_t n;
    long long item[16];
    double score[16];
    char reasons[16][512];
    char excluded[16][32];
};

static int
collect(void *ctx, const struct store_scored *s)
{
    struct collected *c = ctx;
    if (c->n < 16) {
        c->item[c->n] = s->item_id;
        c->score[c->n] = s->score;
        snprintf(c->reasons[c->n], sizeof c->reasons[c->n], "%s",
                 s->reasons);
        snprintf(c->excluded[c->n], sizeof c->excluded[c->n], "%s",
                 s->excluded_by ? s->excluded_by : "");
        c->n++;
    }
    return 0;
}

static void
top(struct fx *fx, long long user, struct collected *c)
{
    memset(c, 0, sizeof *c);
    assert_int_equal(store_score_top(fx->st, user, NOW - 86400, 0, 16,
                                     collect, c), CUR_OK);
}

static void
test_nan_dropped(void **state)
{
    struct fx *fx = *state;
    struct scorer *sc;
    struct scorer_stats s = { 0 };
    struct collected c;
    char err[256];
    const char *const titles[] = { "fine story", "nan story",
                                   "error story" };

    assert_int_equal(open_one("tests/plugins", "nan", &sc, err, sizeof err),
                     CUR_OK);
    assert_int_equal(scorer_load(sc, fx->st, NOW, 1), CUR_OK);
    poll_in(fx, fx->feed_a, titles, 3);
    assert_int_equal(scorer_run(sc, fx->st, NOW, &s), CUR_OK);
    assert_int_equal(s.items, 3);
    /* ann and bob see feed a: "fine" scores 1 for both; the NaN and the
     * error are dropped, each once per user, and nothing selects those
     * pairs for ann; bob, a casual reader, keeps them at 0. */
    assert_int_equal(s.dropped, 4);
    top(fx, fx->ann, &c);
    assert_int_equal(c.n, 1);
    assert_true(fabs(c.score[0] - 1.0) < 1e-9);
    assert_string_equal(c.reasons[0], "nan\t1\tnan plugin says 1\n");
    top(fx, fx->bob, &c);
    assert_int_equal(c.n, 3);
    assert_true(fabs(c.score[0] - 1.0) < 1e-9);
    assert_true(fabs(c.score[1]) < 1e-9 && fabs(c.score[2]) < 1e-9);
    /* cat reads feed b only. */
    top(fx, fx->cat, &c);
    assert_int_equal(c.n, 0);
    /* Each item once: a second run scores nothing. */
    memset(&s, 0, sizeof s);
    assert_int_equal(scorer_run(sc, fx->st, NOW, &s), CUR_OK);
    assert_int_equal(s.items, 0);
    scorer_close(sc);
}

/* The shipped keyword filter through the host: only users with a hit
 * who can see the item are stored; a profile change rescores. */
static void
test_keyword_incremental_and_rescore(void **state)
{
    struct fx *fx = *state;
    struct scorer *sc;
    struct scorer_stats s = { 0 };
    struct collected c;
    char err[256];
    const char *const a_titles[] = { "Coaching for new managers",
                                     "Quarterly budget notes" };
    const char *const b_titles[] = { "Coaching across borders" };

    assert_int_equal(open_one("filters", "keyword", &sc, err, sizeof err),
                     CUR_OK);
    assert_int_equal(scorer_load(sc, fx->st, NOW, 1), CUR_OK);
    poll_in(fx, fx->feed_a, a_titles, 2);
    poll_in(fx, fx->feed_b, b_titles, 1);
    assert_int_equal(scorer_run(sc, fx->st, NOW, &s), CUR_OK);
    assert_int_equal(s.items, 3);
    top(fx, fx->ann, &c);
    assert_int_equal(c.n, 1);      /* the coaching item of feed a only */
    assert_true(c.score[0] > 0);
    assert_non_null(strstr(c.reasons[0], "keyword\t"));
    assert_non_null(strstr(c.reasons[0], "coaching"));
    top(fx, fx->cat, &c);
    assert_int_equal(c.n, 1);      /* feed b's coaching item */
    top(fx, fx->bob, &c);
    assert_int_equal(c.n, 2);      /* casual: everything from feed a */

    /* ann now also wants budgets: a refresh notices the new revision and
     * rescores her window only. */
    assert_int_equal(store_interest_put(fx->st, fx->ann, "budget", 1.0, 0,
                                        0), CUR_OK);
    memset(&s, 0, sizeof s);
    assert_int_equal(scorer_refresh(sc, fx->st, NOW, &s), CUR_OK);
    assert_int_equal(s.users, 1);
    top(fx, fx->ann, &c);
    assert_int_equal(c.n, 2);
    /* Nothing changed since: no rescore. */
    memset(&s, 0, sizeof s);
    assert_int_equal(scorer_refresh(sc, fx->st, NOW, &s), CUR_OK);
    assert_int_equal(s.users, 0);
    scorer_close(sc);
}

/* A gem tagged by someone else (the web page) after the scorer loaded:
 * the next refresh scores it again for everyone, so it reaches cat, who
 * does not read its feed but has "coaching" among her interests. */
static void
test_gem_from_elsewhere_reaches(void **state)
{
    struct fx *fx = *state;
    struct scorer *sc;
    struct collected c;
    struct scorer_stats s = { 0 };
    char err[256];
    long long editor;
    const char *const a_titles[] = { "Quarterly budget notes" };

    assert_int_equal(open_one("filters", "gems", &sc, err, sizeof err),
                     CUR_OK);
    poll_in(fx, fx->feed_a, a_titles, 1);
    assert_int_equal(scorer_load(sc, fx->st, NOW, 1), CUR_OK);
    assert_int_equal(scorer_run(sc, fx->st, NOW, &s), CUR_OK);
    top(fx, fx->cat, &c);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_user_add(fx->st, "eve", "eve@example.org",
                                    &editor), CUR_OK);
    assert_int_equal(store_gem_put(fx->st, 1, editor, "Budgets are "
                                   "coaching moments", "coaching", "", 0),
                     CUR_OK);
    assert_int_equal(scorer_refresh(sc, fx->st, NOW + 10, &s), CUR_OK);
    top(fx, fx->cat, &c);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.reasons[0], "gems\t"));
    assert_non_null(strstr(c.reasons[0], "Budgets are coaching moments"));
    scorer_close(sc);
}

static void
test_reasons_parse(void **state)
{
    struct score_reason r[4];
    (void)state;
    size_t n = scorer_reasons_parse("keyword\t2.1\ttitle matches \"x\"\n"
                                    "junk line\n"
                                    "recency\t-0.5\tpublished 3 hours ago\n",
                                    r, 4);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].filter, "keyword");
    assert_true(fabs(r[0].contribution - 2.1) < 1e-9);
    assert_string_equal(r[0].text, "title matches \"x\"");
    assert_string_equal(r[1].filter, "recency");
    assert_true(fabs(r[1].contribution + 0.5) < 1e-9);
    assert_int_equal(scorer_reasons_parse("", r, 4), 0);
    assert_int_equal(scorer_reasons_parse("\t\t\n\t", r, 4), 1);
    assert_string_equal(r[0].filter, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuse_missing_file),
        cmocka_unit_test(test_refuse_missing_symbol),
        cmocka_unit_test(test_refuse_wrong_major),
        cmocka_unit_test(test_refuse_short_table),
        cmocka_unit_test(test_refuse_bad_init),
        cmocka_unit_test_setup_teardown(test_nan_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyword_incremental_and_rescore,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gem_from_elsewhere_reaches,
                                        setup, teardown),
        cmocka_unit_test(test_reasons_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
