/* Unit tests for digest selection, composition, queueing and spool
 * delivery (curator/digest.c) on a real SQLite store. Scores are written
 * with store_score_put() as the scorer writes them, so selection is
 * checked on its own: threshold, items sent before, gems first with the
 * editor's note, grouping by goal with caps, near-copies folded, closing
 * counts, one message per user and period, .eml files written
 * atomically; and the store's candidates query the selection reads.
 * Messages are parsed back with tests/support/mime_check.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* What the candidates query hands back, copied. */
struct cands {
    size_t n;
    long long id[8];
    double score[8];
    char text[8][64], editor[8][16], note[8][32];
    int has_text[8], has_gem[8], has_note[8];
};

static int
cand_row(void *ctx, const struct store_candidate *c)
{
    struct cands *k = ctx;
    assert_true(k->n < 8);
    assert_null(c->scored.excluded_by);
    k->id[k->n] = c->scored.item_id;
    k->score[k->n] = c->scored.score;
    k->has_text[k->n] = c->text != NULL;
    k->has_gem[k->n] = c->gem_editor != NULL;
    k->has_note[k->n] = c->gem_note != NULL;
    snprintf(k->text[k->n], sizeof k->text[0], "%s", c->text ? c->text : "");
    snprintf(k->editor[k->n], sizeof k->editor[0], "%s",
             c->gem_editor ? c->gem_editor : "");
    snprintf(k->note[k->n], sizeof k->note[0], "%s",
             c->gem_note ? c->gem_note : "");
    k->n++;
    return 0;
}

static int
top_id_row(void *ctx, const struct store_scored *s)
{
    struct cands *k = ctx;
    assert_true(k->n < 8);
    k->id[k->n++] = s->item_id;
    return 0;
}

/* store_digest_candidates(): included, unsent, in the window, best
 * first, with text and live gem; store_score_top() keeps included and
 * excluded apart. */
static void
test_candidates(void **state)
{
    struct fx *fx = *state;
    static const char *const t[] = { "One", "Two", "Three", "Four",
                                     "Five" };
    long long ia[5];
    struct cands k;

    poll_in(fx, fx->feed_a, t, 5, ia);
    score(fx, ia[0], 3, "keyword\t3\tx\n");
    assert_int_equal(store_score_put(fx->st, fx->ann, ia[1], 9, "mute",
                                     "mute\t-1\tmuted\n", NOW), CUR_OK);
    score(fx, ia[2], 1, "gems\t1\tpick\n");
    score(fx, ia[3], 4, "keyword\t4\tx\n");
    score(fx, ia[4], 2, "gems\t2\tpick\n");
    assert_int_equal(store_gem_put(fx->st, ia[2], fx->editor, "Read this",
                                   "", "", 0), CUR_OK);
    /* Expired an hour ago. */
    assert_int_equal(store_gem_put(fx->st, ia[4], fx->editor, "Old news",
                                   "", "", NOW - 3600), CUR_OK);
    /* ia[3] went out in an earlier digest. */
    assert_int_equal(store_outbox_add(fx->st, fx->ann, "2026-01-04",
                                      NOW - 86400, "<m1@example.org>",
                                      "ann@example.org", "x", 1, &ia[3], 1,
                                      NOW - 86400), CUR_OK);

    memset(&k, 0, sizeof k);
    assert_int_equal(store_digest_candidates(fx->st, fx->ann, NOW - 86400,
                                             NOW, 10, cand_row, &k), CUR_OK);
    assert_int_equal(k.n, 3);
    assert_int_equal(k.id[0], ia[0]);
    assert_int_equal(k.id[1], ia[4]);
    assert_int_equal(k.id[2], ia[2]);
    assert_true(k.score[0] == 3 && k.score[1] == 2 && k.score[2] == 1);
    assert_string_equal(k.text[0], "Some text about the story.");
    assert_false(k.has_gem[0] || k.has_note[0]);
    /* The expired gem is no gem at NOW... */
    assert_false(k.has_gem[1] || k.has_note[1]);
    assert_string_equal(k.editor[2], "eve");
    assert_string_equal(k.note[2], "Read this");
    /* ...but is at 0 (what the digest asks: the gem it was scored
     * with). */
    memset(&k, 0, sizeof k);
    assert_int_equal(store_digest_candidates(fx->st, fx->ann, NOW - 86400,
                                             0, 10, cand_row, &k), CUR_OK);
    assert_int_equal(k.n, 3);
    assert_string_equal(k.note[1], "Old news");
    /* The limit counts unsent candidates only. */
    memset(&k, 0, sizeof k);
    assert_int_equal(store_digest_candidates(fx->st, fx->ann, NOW - 86400,
                                             NOW, 1, cand_row, &k), CUR_OK);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.id[0], ia[0]);
    /* Fetched before the window; someone else; no such user. */
    memset(&k, 0, sizeof k);
    assert_int_equal(store_digest_candidates(fx->st, fx->ann, NOW - 1800,
                                             NOW, 10, cand_row, &k), CUR_OK);
    assert_int_equal(store_digest_candidates(fx->st, fx->editor, 0, NOW,
                                             10, cand_row, &k), CUR_OK);
    assert_int_equal(store_digest_candidates(fx->st, -1, 0, NOW, 10,
                                             cand_row, &k), CUR_OK);
    assert_int_equal(k.n, 0);

    /* The scores listing shows sent items; excluded ones only apart. */
    memset(&k, 0, sizeof k);
    assert_int_equal(store_score_top(fx->st, fx->ann, NOW - 86400, 0, 10,
                                     top_id_row, &k), CUR_OK);
    assert_int_equal(k.n, 4);
    assert_int_equal(k.id[0], ia[3]);
    assert_int_equal(k.id[1], ia[0]);
    assert_int_equal(k.id[2], ia[4]);
    assert_int_equal(k.id[3], ia[2]);
    memset(&k, 0, sizeof k);
    assert_int_equal(store_score_top(fx->st, fx->ann, NOW - 86400, 1, 10,
                                     top_id_row, &k), CUR_OK);
    assert_int_equal(k.n, 1);
    assert_int_equal(k.id[0], ia[1]);
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

/* ---- rounds of digests ---- */

#define ROUND_USERS 4

struct queued {
    char id[ROUND_USERS][256];
    char *body[ROUND_USERS];
    size_t len[ROUND_USERS];
    int n, bad;
};

static int
queued_row(void *ctx, const struct store_outbox *m)
{
    struct queued *q = ctx;
    for (int i = 0; i < q->n; i++)
        if (strcmp(q->id[i], m->message_id) == 0) {
            if (q->len[i] != m->len
                || memcmp(q->body[i], m->body, m->len) != 0)
                q->bad++;
            free(q->body[i]);
            q->body[i] = NULL;
            return 0;
        }
    q->bad++;
    return 0;
}

/* Every vote link in 'text' carries its own valid token; returns how
 * many there are. */
static int
check_votes(struct fx *fx, const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "/vote?u=")) != NULL; p++) {
        long long u, i;
        char v[8], tok[64], extra[48];
        assert_int_equal(sscanf(p, "/vote?u=%lld&i=%lld&v=%7[a-z]&t=%63s",
                                &u, &i, v, tok), 4);
        snprintf(extra, sizeof extra, "%lld:%s", i, v);
        assert_true(token_check(fx->cfg.key, "feedback", u, extra, tok));
        n++;
    }
    return n;
}

/* What a round queues (with what it keeps from one digest to the next:
 * item details, rendered snippets, team members, signed links) is byte
 * for byte what composing each digest alone gives. */
static void
test_round_matches_single(void **state)
{
    struct fx *fx = *state;
    const char *const a[] = { "Coaching one", "Coaching two",
                              "Coaching three", "Budget", "Shared gem",
                              "Low" };
    long long ia[6], users[ROUND_USERS], team;
    struct queued q = { .n = ROUND_USERS };
    int queued;

    users[0] = fx->ann;
    assert_int_equal(store_user_add(fx->st, "bob", "bob@example.org",
                                    &users[1]), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "cat", "cat@example.org",
                                    &users[2]), CUR_OK);
    assert_int_equal(store_user_add(fx->st, "dan", "dan@example.org",
                                    &users[3]), CUR_OK);
    poll_in(fx, fx->feed_a, a, 6, ia);
    assert_int_equal(store_gem_put(fx->st, ia[4], fx->editor, "Read this",
                                   "coaching", "", 0), CUR_OK);
    /* Everyone gets the shared items; each a different mix. */
    for (int u = 0; u < ROUND_USERS; u++) {
        for (int k = 0; k < 6; k++) {
            const char *why = k == 4 ? "gems\t5\teditor pick by eve\n"
                            : k < 3 ? "keyword\t4\ttitle matches "
                                      "\"coaching\" (goal: Leadership)\n"
                                    : "keyword\t2\ttitle matches "
                                      "\"budget\"\n";
            double sc = k == 5 ? 0.1 : 6.0 - k + u * 0.1;
            if ((k + u) % 5 == 4)
                continue;
            assert_int_equal(store_score_put(fx->st, users[u], ia[k], sc,
                                             NULL, why, NOW), CUR_OK);
        }
    }
    assert_int_equal(store_digest_set(fx->st, users[2], "max_per_goal",
                                      NULL, 1), CUR_OK);
    assert_int_equal(store_digest_set(fx->st, users[3], "html", NULL, 0),
                     CUR_OK);
    /* ann and bob are a team; bob shares an item with it. */
    assert_int_equal(store_team_add(fx->st, "leads", &team), CUR_OK);
    assert_int_equal(store_team_member_add(fx->st, team, users[0]), CUR_OK);
    assert_int_equal(store_team_member_add(fx->st, team, users[1]), CUR_OK);
    assert_int_equal(store_share_add(fx->st, team, users[1], ia[5],
                                     "worth it"), CUR_OK);

    for (int u = 0; u < ROUND_USERS; u++) {
        struct digest_out out;
        struct mime_check m;
        digest_out_init(&out);
        assert_int_equal(digest_compose(fx->st, &fx->cfg, users[u], NOW, -1,
                                        &out), CUR_OK);
        snprintf(q.id[u], sizeof q.id[u], "%s", out.message_id);
        q.len[u] = out.message.len;
        q.body[u] = malloc(out.message.len);
        memcpy(q.body[u], out.message.data, out.message.len);
        assert_int_equal(mime_check(out.message.data, out.message.len, &m,
                                    NULL, 0), 0);
        /* Two links per item, each signed for this user and item. */
        assert_int_equal(check_votes(fx, m.text), 2 * (int)out.n_items);
        if (u == 0)
            assert_non_null(strstr(m.text, "Shared by your team"));
        if (u == 3)
            assert_null(m.html);
        mime_check_free(&m);
        digest_out_free(&out);
    }
    assert_int_equal(digest_queue_due(fx->st, &fx->cfg, NOW, &queued),
                     CUR_OK);
    assert_int_equal(queued, ROUND_USERS);
    assert_int_equal(store_outbox_due(fx->st, NOW, 100, queued_row, &q),
                     CUR_OK);
    assert_int_equal(q.bad, 0);
    for (int u = 0; u < ROUND_USERS; u++)
        assert_null(q.body[u]);     /* each one found */
}

/* Outbox rows by hand, for delivery tests: 'n' users with one message
 * each; message i goes to rcpt[i] (NULL: the user's address). */
static void
queue_by_hand(struct fx *fx, int n, const char *const *rcpt)
{
    for (int i = 0; i < n; i++) {
        char name[32], email[64], key[32], id[64], *msg;
        long long uid;
        snprintf(name, sizeof name, "u%d", i);
        snprintf(email, sizeof email, "u%d@example.org", i);
        snprintf(key, sizeof key, "2026-01-%02d", 1 + i % 28);
        snprintf(id, sizeof id, "digest.%d@example.org", i);
        assert_true(asprintf(&msg, "Message-ID: <%s>\r\nSubject: %d\r\n\r\n"
                             "Body of %d\r\n", id, i, i) > 0);
        assert_int_equal(store_user_add(fx->st, name, email, &uid), CUR_OK);
        assert_int_equal(store_outbox_add(fx->st, uid, key, NOW, id,
                                          rcpt && rcpt[i] ? rcpt[i] : email,
                                          msg, strlen(msg), NULL, 0, NOW),
                         CUR_OK);
        free(msg);
    }
}

/* Spool mode writes a batch with shared syncs, then records every
 * outcome: a message refused here fails alone. */
static void
test_spool_batch_outcomes(void **state)
{
    struct fx *fx = *state;
    const char *rcpt[5] = { NULL, NULL, "not-an-address", NULL, NULL };
    long long queued, failed;
    int sent, nfail;

    queue_by_hand(fx, 5, rcpt);
    assert_int_equal(digest_deliver(fx->st, &fx->cfg, NOW, &sent, &nfail),
                     CUR_OK);
    assert_int_equal(sent, 4);
    assert_int_equal(nfail, 1);
    assert_int_equal(count_eml(fx->spool), 4);
    assert_int_equal(store_outbox_depth(fx->st, &queued, &failed), CUR_OK);
    assert_int_equal(queued, 0);
    assert_int_equal(failed, 1);
    /* Nothing left to do. */
    assert_int_equal(digest_deliver(fx->st, &fx->cfg, NOW, &sent, &nfail),
                     CUR_OK);
    assert_int_equal(sent + nfail, 0);
}

static long long
db_count(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    long long n = -1;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

/* PRAGMA integrity_check says ok. */
static int
db_intact(const char *db)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    int ok = 0;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s,
                                        NULL), SQLITE_OK);
    ok = sqlite3_step(s) == SQLITE_ROW
         && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
    sqlite3_finalize(s);
    sqlite3_close(h);
    return ok;
}

/* Every spooled file is a whole message, the one its row holds. */
static void
spool_matches_outbox(struct fx *fx, const char *db, int n)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    int rows = 0;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT o.message_id, b.body,"
                                        " o.status FROM outbox o JOIN"
                                        " outbox_bodies b ON b.outbox_id ="
                                        " o.id", -1, &s, NULL), SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        char path[600], *got;
        size_t len;
        snprintf(path, sizeof path, "%s/%s.eml", fx->spool,
                 (const char *)sqlite3_column_text(s, 0));
        got = t_read_file(path, &len);
        assert_non_null(got);
        assert_int_equal(len, (size_t)sqlite3_column_bytes(s, 1));
        assert_memory_equal(got, sqlite3_column_blob(s, 1), len);
        assert_string_equal((const char *)sqlite3_column_text(s, 2),
                            "sent");
        free(got);
        rows++;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    assert_int_equal(rows, n);
    assert_int_equal(count_eml(fx->spool), n);
}

/* kill -9 of a delivery in spool mode at random moments, then a clean
 * run: no message lost, none written twice or half (SECURITY.md DUR-3;
 * a file is one message however many attempts). No database handle
 * crosses the fork (DUR-6). */
static void
test_spool_kill(void **state)
{
    struct fx *fx = *state;
    const int n = 300, kills = 8;
    char *db;
    int sent, failed, unspooled = 0, recorded = 0;

    assert_true(asprintf(&db, "%s/c.db", fx->dir) > 0);
    queue_by_hand(fx, n, NULL);
    store_close(fx->st);
    fx->st = NULL;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int k = 0; k < kills; k++) {
        long before = (long)db_count(db, "SELECT count(*) FROM outbox"
                                         " WHERE status = 'sent'");
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct store *st;
            if (store_open(db, &st) != CUR_OK)
                _exit(2);
            digest_deliver(st, &fx->cfg, NOW, &sent, &failed);
            _exit(0);
        }
        /* Later and later: the first kills land while files are
         * written, the last ones after some outcomes are recorded. */
        long ms = rand() % (20 + 40 * k);
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        long after = (long)db_count(db, "SELECT count(*) FROM outbox"
                                        " WHERE status = 'sent'");
        if (WIFSIGNALED(status)) {
            unspooled += count_eml(fx->spool) > after;
            recorded += after > before;
        }
        assert_true(db_intact(db));
    }
    assert_int_equal(store_open(db, &fx->st), CUR_OK);
    assert_int_equal(digest_deliver(fx->st, &fx->cfg, NOW, &sent, &failed),
                     CUR_OK);
    assert_int_equal(failed, 0);
    spool_matches_outbox(fx, db, n);
    print_message("spool kill: %d kills; %d left files spooled but not "
                  "recorded, %d after some were recorded\n", kills,
                  unspooled, recorded);
    free(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_selection_and_grouping, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_once_per_period_and_spool,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_to_send, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_title_no_header_injection,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_matches_single, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spool_batch_outcomes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spool_kill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
