/* Unit tests for teams, shares and collections (curator/store_team.c)
 * and the digest's "Shared by your team" section: folded per item, a
 * count only from three sharers up, only for members, never one's own
 * share; collections subscribe their followers as they grow. */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "mime_check.h"
#include "store.h"
#include "support.h"

#define NOW 1767607200LL    /* Monday 2026-01-05 10:00 UTC */

struct fx {
    char *dir;
    struct store *st;
    long long u[5], team, feed, item;
    struct digest_cfg cfg;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char *db, name[16], email[64];

    log_open(NULL, LOG_ERR);
    fx->dir = t_mkdtemp();
    assert_true(asprintf(&db, "%s/c.db", fx->dir) > 0);
    assert_int_equal(store_open(db, &fx->st), CUR_OK);
    free(db);
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "u%d", i);
        snprintf(email, sizeof email, "u%d@example.org", i);
        assert_int_equal(store_user_add(fx->st, name, email, &fx->u[i]),
                         CUR_OK);
    }
    assert_int_equal(store_team_add(fx->st, "Product", &fx->team), CUR_OK);
    for (int i = 0; i < 4; i++)     /* u4 is not in the team */
        assert_int_equal(store_team_member_add(fx->st, fx->team, fx->u[i]),
                         CUR_OK);
    assert_int_equal(store_feed_add(fx->st, "https://a.example/f", "cli",
                                    &fx->feed), CUR_OK);
    struct feed *f = calloc(1, sizeof *f);
    struct item *it = feed_add_item(f);
    it->guid = strdup("g1");
    it->title = strdup("A story worth sharing");
    it->link = strdup("https://a.example/story");
    it->text = strdup("text");
    struct store_poll p = { .now = NOW - 3600, .next_poll = NOW,
                            .status = 200, .title = "Alpha" };
    int added;
    assert_int_equal(store_feed_polled(fx->st, fx->feed, &p, f, &added),
                     CUR_OK);
    feed_free(f);
    fx->item = 1;
    fx->cfg.base_url = "https://curator.example.org";
    fx->cfg.from_email = "digest@example.org";
    fx->cfg.from_name = "Curator";
    fx->cfg.window = 14 * 86400;
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

/* The decoded text part of user i's digest now ("" when none). */
static char *
digest_text(struct fx *fx, int i)
{
    struct digest_out out;
    struct mime_check m;
    char *t;
    digest_out_init(&out);
    assert_int_equal(digest_compose(fx->st, &fx->cfg, fx->u[i], NOW, 0,
                                    &out), CUR_OK);
    assert_int_equal(mime_check(out.message.data, out.message.len, &m, NULL,
                                0), 0);
    t = strdup(m.text);
    mime_check_free(&m);
    digest_out_free(&out);
    return t;
}

static void
test_team_section(void **state)
{
    struct fx *fx = *state;
    char *t;

    /* One teammate shared: no count. */
    assert_int_equal(store_share_add(fx->st, fx->team, fx->u[1], fx->item,
                                     "Read the second half"), CUR_OK);
    t = digest_text(fx, 0);
    assert_non_null(strstr(t, "Shared by your team"));
    assert_non_null(strstr(t, "shared by a teammate in Product: \"Read the "
                              "second half\""));
    free(t);
    /* The sharer does not get their own share back. */
    t = digest_text(fx, 1);
    assert_null(strstr(t, "Shared by your team"));
    free(t);
    /* Three teammates: folded into one entry with the count. */
    assert_int_equal(store_share_add(fx->st, fx->team, fx->u[2], fx->item,
                                     ""), CUR_OK);
    assert_int_equal(store_share_add(fx->st, fx->team, fx->u[3], fx->item,
                                     "Short and useful"), CUR_OK);
    t = digest_text(fx, 0);
    assert_non_null(strstr(t, "shared by 3 teammates in Product"));
    assert_non_null(strstr(t, "A story worth sharing"));
    assert_null(strstr(strstr(t, "A story worth sharing") + 1,
                       "A story worth sharing\n"));
    free(t);
    /* Not a member: nothing. */
    t = digest_text(fx, 4);
    assert_null(strstr(t, "Shared by your team"));
    free(t);
}

static void
test_bad_names_and_members(void **state)
{
    struct fx *fx = *state;
    int member;
    assert_int_equal(store_team_add(fx->st, "", NULL), CUR_EINVAL);
    assert_int_equal(store_team_add(fx->st, "bad\nname", NULL), CUR_EINVAL);
    assert_int_equal(store_team_add(fx->st, "product", NULL), CUR_EEXIST);
    assert_int_equal(store_team_member(fx->st, fx->team, fx->u[4], &member),
                     CUR_OK);
    assert_false(member);
    assert_int_equal(store_team_member_add(fx->st, fx->team, 999),
                     CUR_ENOTFOUND);
}

static int
count_sub(void *ctx, long long user, long long feed)
{
    long long *want = ctx;
    if (user == want[0] && feed == want[1])
        want[2]++;
    return 0;
}

static void
test_collection_follow_and_grow(void **state)
{
    struct fx *fx = *state;
    long long coll, feed2;
    assert_int_equal(store_collection_add(fx->st, "Leadership reads",
                                          fx->u[0], &coll), CUR_OK);
    assert_int_equal(store_collection_feed_add(fx->st, coll, fx->feed),
                     CUR_OK);
    assert_int_equal(store_collection_follow(fx->st, coll, fx->u[4]),
                     CUR_OK);
    long long want[3] = { fx->u[4], fx->feed, 0 };
    assert_int_equal(store_subscriptions_all(fx->st, count_sub, want),
                     CUR_OK);
    assert_int_equal(want[2], 1);
    /* The editor adds a feed: followers get it too. */
    assert_int_equal(store_feed_add(fx->st, "https://b.example/f", "cli",
                                    &feed2), CUR_OK);
    assert_int_equal(store_collection_feed_add(fx->st, coll, feed2), CUR_OK);
    long long want2[3] = { fx->u[4], feed2, 0 };
    assert_int_equal(store_subscriptions_all(fx->st, count_sub, want2),
                     CUR_OK);
    assert_int_equal(want2[2], 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_team_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names_and_members, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collection_follow_and_grow,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
