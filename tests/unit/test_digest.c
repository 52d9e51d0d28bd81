/* Unit tests for digest selection, composition, queueing and spool
 * delivery (curator/digest.c) on a real SQLite store. Scores are written
 * with store_score_put() as the scorer writes them, so selection is
 * checked on its own: threshold, items sent before, gems first with the
 * editor's note, grouping by goal with caps, near-copies folded, closing
 * counts, one message per user and period, .eml files written
 * atomically. Messages are parsed back with tests/support/mime_check.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "mime_check.h"
#include "store.h"
#include "support.h"
#include "token.h"

/* Monday 2026-01-05 10:00 UTC: after the default 07:00 send time. */
#define NOW 1767607200LL

struct fx {
    char *dir, *spool;
    struct store *st;
    struct digest_cfg cfg;
    long long ann, editor, feed_a, feed_b;
    long long ids[16];
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char *db;

    log_open(NULL, LOG_ERR);
    fx->dir = t_mkdtemp();
    assert_true(asprintf(&db, "%s/c.db", fx->dir) > 0);
    assert_true(asprintf(&fx->spool, "%s/spool", fx->dir) > 0);
    assert_int_equal(mkdir(fx->spool, 0700), 0);
    assert_int_equal(store_open(db, &fx->st), CUR_OK);
    free(db);
    assert_int_equal(store_user_add(fx->st, "ann", "ann@example.org",
                                    &fx->ann), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "eve", "eve@example.org",
                                    &fx->editor), CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "https://a.example/feed", "cli",
                                    &fx->feed_a), CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "https://b.example/feed", "cli",
                                    &fx->feed_b), CUR_OK);
    fx->cfg.base_url = "https://curator.example.org/";
    fx->cfg.from_email = "digest@example.org";
    fx->cfg.from_name = "Curator";
    fx->cfg.spool_dir = fx->spool;
    fx->cfg.window = 14 * 86400;
    fx->cfg.retry_max = 3600;
    fx->cfg.timeout = 5;
    memset(fx->cfg.key, 7, sizeof fx->cfg.key);
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
    free(fx->spool);
    free(fx);
    return 0;
}

/* Store items titled as given in 'feed', fetched an hour before NOW. */
static void
poll_in(struct fx *fx, long long feed, const char *const *titles, size_t n,
        long long *ids)
{
    struct feed *f = calloc(1, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        struct item *it = feed_add_item(f);
        char link[128];
        snprintf(link, sizeof link, "https://news.example/%lld/%zu", feed, i);
        it->guid = strdup(titles[i]);
        it->title = strdup(titles[i]);
        it->link = strdup(link);
        it->text = strdup("Some text about the story.");
        it->published = NOW - 7200;
    }
    struct store_poll p = { .now = NOW - 3600, .next_poll = NOW,
                            .status = 200, .title = feed == fx->feed_a
                                                    ? "Alpha" : "Beta" };
    int added;
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &added), CUR_OK);
    feed_free(f);
    /* Ids come in order, after every item stored so far. */
    long long first;
    assert_int_equal(store_item_count(fx->st, &first), CUR_OK);
    for (size_t i = 0; i < n; i++)
        ids[i] = first - (long long)n + 1 + (long long)i;
}

static void
score(struct fx *fx, long long item, double s, const char *reasons)
{
    assert_int_equal(store_score_put(fx->st, fx->ann, item, s, NULL, reasons,
                                     NOW), CUR_OK);
}

static void
compose(struct fx *fx, struct digest_out *out, struct mime_check *m)
{
    digest_out_init(out);
    assert_int_equal(digest_compose(fx->st, &fx->cfg, fx->ann, NOW, -1, out),
                     CUR_OK);
    assert_int_equal(mime_check(out->message.data, out->message.len, m,
                                NULL, 0), 0);
}

static void
test_selection_and_grouping(void **state)
{
    struct fx *fx = *state;
    const char *const a[] = { "Coaching basics", "Coaching advanced",
                              "Coaching expert", "Budget planning",
                              "Low scorer", "Editor favourite" };
    const char *const b[] = { "Coaching basics (copy)" };
    long long ia[6], ib[1];
    struct digest_out out;
    struct mime_check m;

    poll_in(fx, fx->feed_a, a, 6, ia);
    poll_in(fx, fx->feed_b, b, 1, ib);
    score(fx, ia[0], 6, "keyword\t6\ttitle matches \"coaching\" "
                        "(goal: Leadership)\n");
    score(fx, ia[1], 5, "keyword\t5\ttitle matches \"coaching\" "
                        "(goal: Leadership)\n");
    score(fx, ia[2], 4, "keyword\t4\ttitle matches \"coaching\" "
                        "(goal: Leadership)\n");
    score(fx, ia[3], 3, "keyword\t3\ttitle matches \"budget\"\n");
    score(fx, ia[4], 0.1, "recency\t0.1\tpublished 2 hours ago\n");
    score(fx, ia[5], 2, "gems\t5\teditor pick by eve: \"Read this\"\n");
    score(fx, ib[0], 5.5, "keyword\t5.5\ttitle matches \"coaching\" "
                          "(goal: Leadership)\n");
    assert_int_equal(store_item_duplicate(fx->st, ib[0], ia[0]), CUR_OK);
    assert_int_equal(store_gem_put(fx->st, ia[5], fx->editor, "Read this",
                                   "leadership", "", 0), CUR_OK);
    assert_int_equal(store_digest_set(fx->st, fx->ann, "max_per_goal", NULL,
                                      2), CUR_OK);

    compose(fx, &out, &m);
    /* Gem, two of three Leadership items (cap 2), the budget item; the
     * copy folded into its original; the low scorer below threshold. */
    assert_int_equal(out.n_items, 4);
    assert_int_equal(out.n_below, 1);
    assert_string_equal(m.to_email, "ann@example.org");
    assert_non_null(strstr(m.subject, "Curator digest"));
    const char *t = m.text;
    const char *gem = strstr(t, "Editor favourite");
    const char *lead = strstr(t, "Goal: Leadership");
    const char *first = strstr(t, "Coaching basics");
    const char *more = strstr(t, "Budget planning");
    assert_non_null(gem);
    assert_non_null(lead);
    assert_non_null(first);
    assert_non_null(more);
    assert_true(gem < lead && lead < first && first < more);
    assert_null(strstr(t, "Coaching expert"));
    assert_null(strstr(t, "Low scorer"));
    assert_non_null(strstr(t, "Read this"));
    assert_non_null(strstr(t, "Beta"));            /* also in: Beta */
    assert_non_null(m.html);
    assert_non_null(strstr(m.html, "/vote?u="));
    assert_non_null(mime_check_header(&m, "List-Unsubscribe-Post"));
    assert_string_equal(m.message_id, out.message_id);
    mime_check_free(&m);
    digest_out_free(&out);
}

static int
count_eml(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".eml") && e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static void
test_once_per_period_and_spool(void **state)
{
    struct fx *fx = *state;
    const char *const a[] = { "Coaching one", "Coaching two" };
    long long ia[2];
    int queued, sent, failed;

    poll_in(fx, fx->feed_a, a, 2, ia);
    score(fx, ia[0], 3, "keyword\t3\ttitle matches \"coaching\"\n");
    assert_int_equal(digest_queue_due(fx->st, &fx->cfg, NOW, &queued),
                     CUR_OK);
    assert_int_equal(queued, 1);
    /* The same period again, later the same day: nothing new. */
    score(fx, ia[1], 3, "keyword\t3\ttitle matches \"coaching\"\n");
    assert_int_equal(digest_queue_due(fx->st, &fx->cfg, NOW + 3600,
                                      &queued), CUR_OK);
    assert_int_equal(queued, 0);
    assert_int_equal(digest_deliver(fx->st, &fx->cfg, NOW, &sent, &failed),
                     CUR_OK);
    assert_int_equal(sent, 1);
    assert_int_equal(failed, 0);
    assert_int_equal(count_eml(fx->spool), 1);
    /* Delivered once: a second round sends nothing. */
    assert_int_equal(digest_deliver(fx->st, &fx->cfg, NOW, &sent, &failed),
                     CUR_OK);
    assert_int_equal(sent, 0);
    /* Next day: only the item not sent before. */
    struct digest_out out;
    struct mime_check m;
    digest_out_init(&out);
    assert_int_equal(digest_compose(fx->st, &fx->cfg, fx->ann,
                                    NOW + 86400, -1, &out), CUR_OK);
    assert_int_equal(out.n_items, 1);
    assert_int_equal(mime_check(out.message.data, out.message.len, &m, NULL,
                                0), 0);
    assert_non_null(strstr(m.text, "Coaching two"));
    assert_null(strstr(m.text, "Coaching one"));
    mime_check_free(&m);
    digest_out_free(&out);
    /* email off: not queued. */
    assert_int_equal(store_digest_set(fx->st, fx->ann, "email", NULL, 0),
                     CUR_OK);
    assert_int_equal(digest_queue_due(fx->st, &fx->cfg, NOW + 86400,
                                      &queued), CUR_OK);
    assert_int_equal(queued, 0);
}

static void
test_nothing_to_send(void **state)
{
    struct fx *fx = *state;
    int queued;
    assert_int_equal(digest_queue_due(fx->st, &fx->cfg, NOW, &queued),
                     CUR_OK);
    assert_int_equal(queued, 0);
    assert_int_equal(count_eml(fx->spool), 0);
}

static void
test_hostile_title_no_header_injection(void **state)
{
    struct fx *fx = *state;
    const char *const a[] = { "Evil\r\nBcc: victim@example.org <script>" };
    long long ia[1];
    struct digest_out out;
    struct mime_check m;

    poll_in(fx, fx->feed_a, a, 1, ia);
    score(fx, ia[0], 3, "keyword\t3\ttitle matches \"evil\"\n");
    compose(fx, &out, &m);
    assert_null(mime_check_header(&m, "Bcc"));
    assert_null(strstr(m.html, "<script>"));
    mime_check_free(&m);
    digest_out_free(&out);
}

static void
test_signed_links(void **state)
{
    struct fx *fx = *state;
    char url[600];
    digest_feedback_url(&fx->cfg, 42, 7, 1, url, sizeof url);
    assert_true(strncmp(url, "https://curator.example.org/vote?u=42&i=7"
                        "&v=up&t=", 49) == 0);
    const char *tok = strstr(url, "&t=") + 3;
    assert_true(token_check(fx->cfg.key, "feedback", 42, "7:up", tok));
    assert_false(token_check(fx->cfg.key, "feedback", 42, "7:down", tok));
    assert_false(token_check(fx->cfg.key, "feedback", 43, "7:up", tok));
    digest_unsubscribe_url(&fx->cfg, 42, url, sizeof url);
    tok = strstr(url, "&t=") + 3;
    assert_true(token_check(fx->cfg.key, "unsubscribe", 42, NULL, tok));
    assert_false(token_check(fx->cfg.key, "unsubscribe", 42, NULL, "x"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_selection_and_grouping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_once_per_period_and_spool,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_send, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_title_no_header_injection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
