/* Integration: the operations side over HTTP (libcurl). In-process, on a
 * seeded store: every new route (admin Feeds, Outbox, Filters, Teams;
 * the members' team pages) for anonymous visitors and each role, with
 * and without the CSRF token; the Feeds page's health columns and its
 * retry, disable and enable changing the store; the Outbox page's counts
 * and its retry of one and of every failed message; /healthz with no
 * daemon. With the real curatord: the Filters page lists the shipped
 * filters of a copy of config/curator.ini with their ABI versions, and
 * /healthz turns 503 while the daemon's loop is held in a slow filter
 * (tests/plugins/slow.so) for longer than the stall limit (60 s with a
 * 1 s tick), then 200 again once it moves.
 */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "feed.h"
#include "filter.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "webclient.h"

struct inst {
    struct t_web srv;
    long long alice, ed, ad;
    long long good, bad, fresh;     /* feeds */
    long long item;
    long long queued, failed, failed2, retrying, sent;  /* outbox */
};

static struct inst *in;

/* Asks /healthz for its JSON form. */
static const char *const JSON[] = { "Accept: application/json", NULL };

/* Seeding. */

/* A feed polled at 'when' with 'n' items (fetched then). */
static long long
seed_feed(struct store *st, const char *url, const char *title, size_t n,
          long long when, long long now)
{
    long long fid;
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(store_feed_add(st, url, "cli", &fid), CUR_OK);
    for (size_t i = 0; i < n; i++) {
        struct item *it = feed_add_item(f);
        char guid[32];
        snprintf(guid, sizeof guid, "g%zu", i);
        it->guid = strdup(guid);
        it->title = strdup("An item");
        it->published = when;
    }
    struct store_poll poll = { .now = when, .next_poll = now + 3600,
                               .status = 200, .title = title };
    assert_int_equal(store_feed_polled(st, fid, &poll, f, NULL), CUR_OK);
    feed_free(f);
    return fid;
}

static long long
seed_message(struct store *st, long long user, const char *period,
             long long now)
{
    char mid[64];
    long long id;
    snprintf(mid, sizeof mid, "<digest.%s@test>", period);
    assert_int_equal(store_outbox_add(st, user, period, now, mid,
                                      "alice@example.org", "body", 4, NULL,
                                      0, now), CUR_OK);
    assert_int_equal(store_outbox_find(st, user, period, &id), CUR_OK);
    return id;
}

static int
setup(void **state)
{
    struct store *st;
    long long now = (long long)time(NULL);
    (void)state;

    in = calloc(1, sizeof *in);
    assert_non_null(in);
    t_web_init(&in->srv);
    st = t_web_store(&in->srv);
    in->alice = t_web_user(st, "alice", "subscriber", T_WEB_PW);
    in->ed = t_web_user(st, "ed", "editor", T_WEB_PW);
    in->ad = t_web_user(st, "ad", "admin", T_WEB_PW);
    /* Healthy with 3 items this week; failing twice with 2 items from
     * ten days ago; never polled. */
    in->good = seed_feed(st, "https://good.example/feed", "Good <feed>", 3,
                         now - 600, now);
    in->bad = seed_feed(st, "https://bad.example/feed", "Bad", 2,
                        now - 10 * 86400, now);
    for (int i = 0; i < 2; i++) {
        struct store_poll p = { .now = now - 300, .next_poll = now + 7200,
                                .status = 503,
                                .error = "HTTP 503 <script>x</script>" };
        assert_int_equal(store_feed_polled(st, in->bad, &p, NULL, NULL),
                         CUR_OK);
    }
    assert_int_equal(store_feed_add(st, "https://fresh.example/feed", "cli",
                                    &in->fresh), CUR_OK);
    assert_int_equal(store_subscribe(st, in->alice, in->good), CUR_OK);
    assert_int_equal(store_subscribe(st, in->ed, in->good), CUR_OK);
    assert_int_equal(store_subscribe(st, in->ad, in->good), CUR_OK);
    assert_int_equal(store_item_ensure(st, "https://good.example/feed",
                                       "cli", "g0", NULL, NULL, 0, now,
                                       &in->item), CUR_OK);
    /* The outbox: queued, failed twice over, retrying, sent. */
    in->queued = seed_message(st, in->alice, "p1", now);
    in->failed = seed_message(st, in->alice, "p2", now);
    in->failed2 = seed_message(st, in->alice, "p3", now);
    in->retrying = seed_message(st, in->alice, "p4", now);
    in->sent = seed_message(st, in->alice, "p5", now);
    assert_int_equal(store_outbox_failed(st, in->failed, 1,
                                         "550 <mailbox> unavailable", 0),
                     CUR_OK);
    assert_int_equal(store_outbox_failed(st, in->failed2, 1,
                                         "554 rejected", 0), CUR_OK);
    assert_int_equal(store_outbox_failed(st, in->retrying, 0,
                                         "451 try later", now + 3600),
                     CUR_OK);
    assert_int_equal(store_outbox_sent(st, in->sent, now), CUR_OK);
    store_close(st);

    t_web_start(&in->srv, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    t_web_stop(&in->srv);
    free(in);
    return 0;
}

/* The tests. */

static void
test_route_matrix(void **state)
{
    (void)state;
    char share[64];
    snprintf(share, sizeof share, "/teams/share?item=%lld", in->item);
    struct {
        const char *path;
        long anon, sub, ed, ad;
    } gets[] = {
        { "/admin/feeds", 303, 403, 403, 200 },
        { "/admin/outbox", 303, 403, 403, 200 },
        { "/admin/filters", 303, 403, 403, 200 },
        { "/admin/teams", 303, 403, 403, 200 },
        { "/teams", 303, 200, 200, 200 },
        { share, 303, 200, 200, 200 },
        { "/teams/1", 303, 404, 404, 404 },
        { "/healthz", 200, 200, 200, 200 },
    };
    static const char *const posts[] = {
        "/admin/feeds", "/admin/outbox", "/admin/teams", "/teams/share",
    };
    CURL *c[4] = {
        t_web_client(in->srv.port),
        t_web_signed_in(in->srv.port, "alice"),
        t_web_signed_in(in->srv.port, "ed"),
        t_web_signed_in(in->srv.port, "ad"),
    };
    struct t_resp r;

    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        long want[4] = { gets[i].anon, gets[i].sub, gets[i].ed, gets[i].ad };
        for (int k = 0; k < 4; k++) {
            long got = t_web_get(c[k], gets[i].path, &r);
            if (got != want[k])
                fail_msg("GET %s as role %d: %ld, not %ld", gets[i].path, k,
                         got, want[k]);
            if (want[k] == 303)
                assert_true(t_web_hdr_has(&r, "Location: /login?next="));
            t_web_free(&r);
        }
    }
    /* Without the token every change is refused, whoever asks; with it,
     * a role below admin is still refused on the admin pages. */
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        for (int k = 0; k < 4; k++) {
            assert_int_equal(t_web_form(c[k], posts[i], NULL, &r, "act",
                                        "retry", "feed", "1", "id", "1",
                                        (char *)NULL),
                             403);
            t_web_free(&r);
        }
        if (strncmp(posts[i], "/admin/", 7) != 0)
            continue;
        for (int k = 1; k < 3; k++) {
            assert_int_equal(t_web_submit(c[k], "/teams", posts[i], &r, "act",
                                          "retry-all", (char *)NULL), 403);
            t_web_free(&r);
        }
    }
    /* GET-only routes refuse POST. */
    assert_int_equal(t_web_submit(c[3], "/teams", "/admin/filters", &r,
                                  (char *)NULL),
                     405);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c[3], "/teams", "/teams", &r, (char *)NULL),
                     405);
    t_web_free(&r);
    /* Nothing was retried by the refused posts. */
    struct store_outbox_totals t;
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_ops_outbox_totals(st, &t), CUR_OK);
    store_close(st);
    assert_int_equal(t.failed, 2);
    for (int k = 0; k < 4; k++)
        curl_easy_cleanup(c[k]);
}

/* Without a daemon: the store is checked, the poller is not ours. */
static void
test_health_without_daemon(void **state)
{
    (void)state;
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    assert_int_equal(t_web_get(c, "/healthz", &r), 200);
    assert_string_equal(r.body.data, "ok\n");
    assert_true(t_web_hdr_has(&r, "Content-Type: text/plain"));
    t_web_free(&r);
    assert_int_equal(t_web_http(c, "GET", "/healthz", NULL, 0, NULL, JSON,
                                &r), 200);
    assert_string_equal(r.body.data, "{\"status\":\"ok\",\"store\":\"ok\","
                        "\"poller\":\"not applicable\"}\n");
    assert_true(t_web_hdr_has(&r, "Content-Type: application/json"));
    t_web_free(&r);
    curl_easy_cleanup(c);
    c = t_web_signed_in(in->srv.port, "ad");
    assert_int_equal(t_web_get(c, "/admin/filters", &r), 200);
    assert_true(t_web_has(&r, "No daemon runs in this process"));
    t_web_free(&r);
    curl_easy_cleanup(c);
}

struct feed_rows {
    long long id[8];
    long long week[8];
    int failures[8];
    long long next[8], disabled[8];
    char reason[128];
    int n;
};

static int
feed_rows_cb(void *ctx, const struct store_feed_health *h)
{
    struct feed_rows *f = ctx;
    if (f->n < 8) {
        f->id[f->n] = h->id;
        f->week[f->n] = h->items_week;
        f->failures[f->n] = h->failures;
        f->next[f->n] = h->next_poll;
        f->disabled[f->n] = h->disabled_at;
        if (h->disabled_reason)
            snprintf(f->reason, sizeof f->reason, "%s", h->disabled_reason);
    }
    f->n++;
    return 0;
}

static struct feed_rows
feed_rows(void)
{
    struct feed_rows f = { .n = 0 };
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_ops_feeds(st, (long long)time(NULL), 50, 0,
                                     feed_rows_cb, &f), CUR_OK);
    store_close(st);
    return f;
}

/* Counts the bad feed among the due ones. */
static int
due_cb(void *ctx, const struct store_feed *f)
{
    if (f->id == in->bad)
        (*(long long *)ctx)++;
    return 0;
}

static void
test_feeds_page(void **state)
{
    (void)state;
    CURL *c = t_web_signed_in(in->srv.port, "ad");
    struct t_resp r;
    char num[24], want[128];
    long long now = (long long)time(NULL);

    /* The query: troubled first, the week's items counted per feed. */
    struct feed_rows f = feed_rows();
    assert_int_equal(f.n, 3);
    assert_int_equal(f.id[0], in->bad);
    assert_int_equal(f.failures[0], 2);
    assert_int_equal(f.week[0], 0);
    assert_int_equal(f.id[1], in->good);
    assert_int_equal(f.week[1], 3);
    assert_int_equal(f.id[2], in->fresh);
    assert_int_equal(f.week[2], 0);
    struct store *st = t_web_store(&in->srv);
    struct store_feed_totals t;
    assert_int_equal(store_ops_feed_totals(st, &t), CUR_OK);
    assert_int_equal(t.feeds, 3);
    assert_int_equal(t.failing, 1);
    assert_int_equal(t.disabled, 0);
    assert_int_equal(store_ops_feeds(st, now, 0, 0, feed_rows_cb, &f),
                     CUR_EINVAL);
    store_close(st);

    /* The page: escaped, with the health columns. */
    assert_int_equal(t_web_get(c, "/admin/feeds", &r), 200);
    assert_true(t_web_has(&r, "3 feeds: 1 failing, 0 disabled."));
    assert_true(t_web_has(&r, "HTTP 503 &lt;script&gt;x&lt;/script&gt;"));
    assert_false(t_web_has(&r, "<script>"));
    assert_true(t_web_has(&r, "Good &lt;feed&gt;"));
    assert_true(t_web_has(&r, "<strong>Failing</strong> (HTTP 503)"));
    assert_true(t_web_has(&r, "Not polled yet"));
    assert_true(t_web_has(&r, "<td class=\"num\">3</td>"));
    assert_true(t_web_has(&r, "<td class=\"num\">2</td>"));
    assert_true(t_web_has(&r, "<th>Items per week</th>"));
    assert_true(t_web_has(&r, "href=\"/admin/outbox\""));
    t_web_free(&r);

    /* Retry: due now, failures kept. */
    snprintf(num, sizeof num, "%lld", in->bad);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "retry", "feed", num, (char *)NULL), 303);
    snprintf(want, sizeof want, "Location: /admin/feeds?done=retry#feed-%s",
             num);
    assert_true(t_web_hdr_has(&r, want));
    t_web_free(&r);
    f = feed_rows();
    assert_int_equal(f.id[0], in->bad);
    assert_true(f.next[0] <= (long long)time(NULL));
    assert_true(f.next[0] >= now);
    assert_int_equal(f.failures[0], 2);
    assert_int_equal(t_web_get(c, "/admin/feeds?done=retry", &r), 200);
    assert_true(t_web_has(&r, "The feed is due now"));
    t_web_free(&r);

    /* Disable: not due any more, the admin named; retry refused. */
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "disable", "feed", num, (char *)NULL), 303);
    t_web_free(&r);
    f = feed_rows();
    assert_true(f.disabled[0] > 0);
    assert_string_equal(f.reason, "disabled by admin ad");
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "retry", "feed", num, (char *)NULL), 400);
    assert_true(t_web_has(&r, "That feed is disabled"));
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/admin/feeds", &r), 200);
    assert_true(t_web_has(&r, "3 feeds: 0 failing, 1 disabled."));
    assert_true(t_web_has(&r, "disabled by admin ad"));
    assert_true(t_web_has(&r, "value=\"enable\">Enable</button>"));
    t_web_free(&r);
    /* The poller does not see it. */
    long long seen = 0;
    st = t_web_store(&in->srv);
    assert_int_equal(store_feed_due(st, (long long)time(NULL) + 1, due_cb,
                                    &seen), CUR_OK);
    store_close(st);
    assert_int_equal(seen, 0);

    /* Enable: due now, polled again. */
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "enable", "feed", num, (char *)NULL), 303);
    t_web_free(&r);
    f = feed_rows();
    assert_int_equal(f.disabled[0], 0);
    assert_true(f.next[0] <= (long long)time(NULL));

    /* Bad input: nothing changes. */
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "retry", "feed", "abc", (char *)NULL), 400);
    assert_true(t_web_has(&r, "That action names no feed."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "explode", "feed", num, (char *)NULL), 400);
    assert_true(t_web_has(&r, "That action is unknown."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/feeds", &r, "act",
                                  "disable", "feed", "999999", (char *)NULL),
                     404);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/admin/feeds?page=0", &r), 400);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/admin/feeds?page=2", &r), 200);
    assert_true(t_web_has(&r, "No feeds here."));
    assert_true(t_web_has(&r, "href=\"/admin/feeds?page=1\""));
    t_web_free(&r);
    assert_int_equal(t_web_form(c, "/admin/feeds", NULL, &r, "act", "disable",
                                "feed", num, (char *)NULL), 403);
    t_web_free(&r);
    f = feed_rows();
    assert_int_equal(f.disabled[0], 0);
    curl_easy_cleanup(c);
}

struct msg_state {
    long long id;
    char status[16];
    long long next;
    int attempts;
    int found;
};

static int
msg_cb(void *ctx, const struct store_outbox *m)
{
    struct msg_state *s = ctx;
    if (m->id != s->id)
        return 0;
    snprintf(s->status, sizeof s->status, "%s", m->status);
    s->next = m->next_attempt;
    s->attempts = m->attempts;
    s->found = 1;
    return 0;
}

/* One message's status and next attempt, straight from the store. */
static struct msg_state
message(long long id)
{
    struct msg_state s = { id, "", 0, 0, 0 };
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_outbox_list(st, 100, msg_cb, &s), CUR_OK);
    store_close(st);
    assert_true(s.found);
    return s;
}

static void
test_outbox_page(void **state)
{
    (void)state;
    CURL *c = t_web_signed_in(in->srv.port, "ad");
    struct t_resp r;
    char num[24];
    long long now = (long long)time(NULL);

    assert_int_equal(t_web_get(c, "/admin/outbox", &r), 200);
    assert_true(t_web_has(&r, "<dd id=\"n-queued\">1</dd>"));
    assert_true(t_web_has(&r, "<dd id=\"n-retrying\">1</dd>"));
    assert_true(t_web_has(&r, "<dd id=\"n-failed\">2</dd>"));
    assert_true(t_web_has(&r, "<dd id=\"n-sent\">1</dd>"));
    assert_true(t_web_has(&r, "550 &lt;mailbox&gt; unavailable"));
    assert_false(t_web_has(&r, "<mailbox>"));
    assert_true(t_web_has(&r, "554 rejected"));
    assert_true(t_web_has(&r, "451 try later"));
    assert_true(t_web_has(&r, "<td>Retrying</td>"));
    assert_true(t_web_has(&r, "value=\"retry-all\""));
    /* Failed first; queued and sent messages are not listed. */
    char *f1 = strstr(r.body.data, "554 rejected");
    char *f2 = strstr(r.body.data, "451 try later");
    assert_true(f1 != NULL && f2 != NULL && f1 < f2);
    snprintf(num, sizeof num, "id=\"msg-%lld\"", in->queued);
    assert_false(t_web_has(&r, num));
    snprintf(num, sizeof num, "id=\"msg-%lld\"", in->sent);
    assert_false(t_web_has(&r, num));
    t_web_free(&r);

    /* Retry one failed message: queued again, due now. */
    snprintf(num, sizeof num, "%lld", in->failed);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/outbox", &r, "act",
                                  "retry", "id", num, (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /admin/outbox?done=resend"));
    t_web_free(&r);
    struct msg_state m = message(in->failed);
    assert_string_equal(m.status, "queued");
    assert_true(m.next >= now && m.next <= (long long)time(NULL));
    assert_int_equal(m.attempts, 1);
    assert_string_equal(message(in->failed2).status, "failed");

    /* A sent message is not sent again; bad ids and actions refused. */
    snprintf(num, sizeof num, "%lld", in->sent);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/outbox", &r, "act",
                                  "retry", "id", num, (char *)NULL), 404);
    t_web_free(&r);
    assert_string_equal(message(in->sent).status, "sent");
    assert_int_equal(t_web_submit(c, "/teams", "/admin/outbox", &r, "act",
                                  "retry", "id", "-1", (char *)NULL), 400);
    assert_true(t_web_has(&r, "That action names no message."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/outbox", &r, "act",
                                  "purge", (char *)NULL), 400);
    t_web_free(&r);

    /* Fail it again, then retry every failed one. */
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_outbox_failed(st, in->failed, 1, "550 again", 0),
                     CUR_OK);
    store_close(st);
    assert_int_equal(t_web_submit(c, "/teams", "/admin/outbox", &r, "act",
                                  "retry-all", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /admin/outbox?done=resend-all"));
    t_web_free(&r);
    assert_string_equal(message(in->failed).status, "queued");
    assert_string_equal(message(in->failed2).status, "queued");
    assert_string_equal(message(in->retrying).status, "queued");
    assert_true(message(in->retrying).next > (long long)time(NULL) + 600);
    assert_string_equal(message(in->sent).status, "sent");
    assert_int_equal(t_web_get(c, "/admin/outbox?done=resend-all", &r), 200);
    assert_true(t_web_has(&r, "<dd id=\"n-failed\">0</dd>"));
    assert_true(t_web_has(&r, "<dd id=\"n-queued\">1</dd>"));
    assert_true(t_web_has(&r, "<dd id=\"n-retrying\">3</dd>"));
    assert_true(t_web_has(&r, "The failed messages are queued again."));
    assert_false(t_web_has(&r, "value=\"retry-all\""));
    t_web_free(&r);
    curl_easy_cleanup(c);
}

/* The real daemon. */

/* GET 'path' from the server on port 'p' with a client of its own. */
static long
get_status_x(unsigned p, const char *path, const char *const *headers,
             struct t_resp *r)
{
    CURL *c = t_web_client(p);
    long st = t_web_http(c, "GET", path, NULL, 0, NULL, headers, r);
    curl_easy_cleanup(c);
    return st;
}

static long
get_status(unsigned p, const char *path, struct t_resp *r)
{
    return get_status_x(p, path, NULL, r);
}

/* An admin account in the daemon's store, made beside it. */
static void
add_admin(const char *dbpath, const char *name)
{
    struct store *st;
    assert_int_equal(store_open(dbpath, &st), CUR_OK);
    t_web_user(st, name, "admin", T_WEB_PW);
    store_close(st);
}

struct health_wait {
    unsigned port;
    long want;
};

static int
health_is(void *arg)
{
    struct health_wait *h = arg;
    struct t_resp r;
    long st = get_status(h->port, "/healthz", &r);
    t_web_free(&r);
    return st == h->want;
}

/* The shipped config, copied with a free port and this build's filters:
 * the Filters page lists them with their versions. */
static void
test_daemon_filters_page(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), cmd[8192], *db, *config, want[128];
    unsigned web = t_free_port();
    struct t_resp r;

    assert_non_null(dir);
    snprintf(cmd, sizeof cmd,
             "cp -R config '%s/config' && mkdir -p '%s/var/spool' && "
             "sed -i 's/^port = .*/port = %u/; s|^filter_dir = .*|"
             "filter_dir = %s/filters|' '%s/config/curator.ini'",
             dir, dir, web, t_build_abs(), dir);
    assert_int_equal(system(cmd), 0);
    assert_true(asprintf(&db, "%s/var/curator.db", dir) > 0);
    assert_true(asprintf(&config, "%s/config/curator.ini", dir) > 0);
    pid_t pid = t_daemon_spawn(config, NULL, NULL);
    assert_true(pid > 0);
    struct health_wait hw = { web, 200 };
    assert_true(t_wait_for(health_is, &hw, 20000));
    assert_int_equal(get_status_x(web, "/healthz", JSON, &r), 200);
    assert_true(t_web_has(&r, "{\"status\":\"ok\",\"store\":\"ok\","
                          "\"poller\":\"alive\","
                          "\"poller_last_pass_seconds\":"));
    assert_true(t_web_has(&r, ",\"poller_limit_seconds\":60}"));
    t_web_free(&r);

    add_admin(db, "boss");
    CURL *c = t_web_signed_in(web, "boss");
    assert_int_equal(t_web_get(c, "/admin/filters", &r), 200);
    static const char *const shipped[] = {
        "keyword", "mute", "source", "gems", "bayes", "recency", "dedupe",
    };
    const char *at = r.body.data;
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        /* In the config's order, each with its file and version. */
        snprintf(want, sizeof want, "<tr><td>%s</td><td class=\"url\">",
                 shipped[i]);
        const char *row = strstr(at, want);
        if (row == NULL)
            fail_msg("filter %s not listed in order", shipped[i]);
        snprintf(want, sizeof want, "/filters/%s.so</td><td>%d.%d</td>",
                 shipped[i], CURATOR_FILTER_ABI_MAJOR,
                 CURATOR_FILTER_ABI_MINOR);
        assert_non_null(strstr(row, want));
        at = row + 1;
    }
    assert_true(t_web_has(&r, "<td class=\"num\">1.00</td><td>Active</td>"));
    assert_false(t_web_has(&r, "Suspended"));
    t_web_free(&r);
    /* A reload hands the list over again. */
    assert_int_equal(kill(pid, SIGHUP), 0);
    t_sleep_ms(1500);
    assert_int_equal(t_web_get(c, "/admin/filters", &r), 200);
    assert_true(t_web_has(&r, "<tr><td>dedupe</td>"));
    t_web_free(&r);
    curl_easy_cleanup(c);

    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(t_daemon_wait(pid, 15000), 0);
    t_rmtree(dir);
    free(db);
    free(config);
    free(dir);
}

/* A filter that takes 70 s for the one item holds the daemon's loop
 * past the 60 s limit: /healthz says so with 503, and 200 again once
 * the loop moves on. The web answers all along. */
static void
test_daemon_health_stalls(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), *www, *cfg, *config;
    unsigned web = t_free_port();
    struct t_resp r;

    assert_non_null(dir);
    assert_true(asprintf(&www, "%s/www", dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    assert_non_null(fixture);
    /* One item, so that one slow call holds the loop. */
    char *second = strstr(fixture, "<item>");
    assert_non_null(second);
    second = strstr(second + 1, "<item>");
    assert_non_null(second);
    char *end = strstr(fixture, "</channel>");
    assert_non_null(end);
    memmove(second, end, strlen(end) + 1);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);
    struct t_http *h = t_http_start(www);
    assert_non_null(h);
    assert_true(asprintf(&cfg,
        "[store]\npath = curator.db\n[log]\nlevel = warn\n"
        "[web]\naddress = 127.0.0.1\nport = %u\nthreads = 2\n"
        "[poll]\ninterval = 1h\ntick = 1s\ntimeout = 10s\n"
        "[digest]\ninterval = 1d\nspool = spool\n"
        "[score]\nfilter_dir = %s/filters\n"
        "[filter slow]\npath = %s/tests/plugins/slow.so\n"
        "delay_ms = 70000\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = fixture\n"
        "[feeds]\nfixture = http://127.0.0.1:%u/feed.xml\n",
        web, t_build_abs(), t_build_abs(), t_http_port(h)) > 0);
    config = t_write_file(dir, "curator.ini", cfg);
    free(cfg);
    char *spool;
    assert_true(asprintf(&spool, "%s/spool", dir) > 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    free(spool);

    pid_t pid = t_daemon_spawn(config, NULL, NULL);
    assert_true(pid > 0);
    struct health_wait hw = { web, 200 };
    assert_true(t_wait_for(health_is, &hw, 20000));
    /* Polled, then held in the filter: stalled after 60 s. */
    long long t0 = t_now_ms();
    hw.want = 503;
    assert_true(t_wait_for(health_is, &hw, 90000));
    assert_true(t_now_ms() - t0 >= 55000);
    assert_int_equal(get_status(web, "/healthz", &r), 503);
    assert_true(t_web_has(&r,
                          "unhealthy\nstore: ok\npoller: stalled (last pass "));
    assert_true(t_web_has(&r, "limit 60s)"));
    t_web_free(&r);
    assert_int_equal(get_status_x(web, "/healthz", JSON, &r), 503);
    assert_true(t_web_has(&r, "{\"status\":\"unhealthy\",\"store\":\"ok\","
                          "\"poller\":\"stalled\""));
    t_web_free(&r);
    /* Other pages still answer meanwhile. */
    assert_int_equal(get_status(web, "/login", &r), 200);
    t_web_free(&r);
    /* The call ends, the loop passes: alive again. */
    hw.want = 200;
    assert_true(t_wait_for(health_is, &hw, 200000));
    assert_int_equal(get_status(web, "/healthz", &r), 200);
    assert_string_equal(r.body.data, "ok\n");
    t_web_free(&r);
    assert_int_equal(get_status_x(web, "/healthz", JSON, &r), 200);
    assert_true(t_web_has(&r, "\"poller\":\"alive\""));
    t_web_free(&r);

    /* It may be in the filter again: end it without waiting. */
    kill(pid, SIGKILL);
    t_daemon_wait(pid, 15000);
    t_http_stop(h);
    t_rmtree(dir);
    free(config);
    free(www);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_matrix),
        cmocka_unit_test(test_health_without_daemon),
        cmocka_unit_test(test_feeds_page),
        cmocka_unit_test(test_outbox_page),
        cmocka_unit_test_teardown(test_daemon_filters_page,
                                  t_daemon_teardown),
        cmocka_unit_test_teardown(test_daemon_health_stalls,
                                  t_daemon_teardown),
    };
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: operations", tests,
                                         setup, teardown);
    curl_global_cleanup();
    return rc;
}
