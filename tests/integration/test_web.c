/* Integration: the web page over HTTP with libcurl. Most tests start the
 * server in-process (web_start()) on a temporary store seeded through
 * the store's own functions: users of every role with passwords, two
 * feeds with hostile titles, scored items with reasons and a gem. They
 * check every route's status for each role, the security headers, CSRF
 * and origin refusals, login throttling, the size limits, bad input
 * refused with nothing stored, the signed links from digests, and the
 * export moved into a fresh instance. One test runs the real curatord
 * and signs in to it.
 */
#define _GNU_SOURCE     /* asprintf, strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "token.h"
#include "webclient.h"

/* One server on its own store. */
struct inst {
    struct t_web srv;
    long long alice, eve, ed, ad;   /* subscriber x2, editor, admin */
    long long feed1, feed2;
    long long item[6];
    unsigned char key[TOKEN_KEY_LEN];
};



static int
digest_cb(void *ctx, const struct store_digest_user *u)
{
    *(long long *)ctx = u->email_on;
    return 0;
}

/* Whether 'data' is well-formed XML whose root is 'root'. */
static int
xml_root_is(const char *data, size_t len, const char *root)
{
    xmlDocPtr d = xmlReadMemory(data, (int)len, "x.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR
                                | XML_PARSE_NOWARNING);
    int ok = d && xmlDocGetRootElement(d)
             && strcmp((const char *)xmlDocGetRootElement(d)->name, root)
                == 0;
    xmlFreeDoc(d);
    return ok;
}


/* Seeding. */

static void
seed(struct inst *in)
{
    struct store *st;
    long long now = (long long)time(NULL), gid;
    st = t_web_store(&in->srv);
    in->alice = t_web_user(st, "alice", "subscriber", T_WEB_PW);
    in->eve = t_web_user(st, "eve", "subscriber", T_WEB_PW);
    in->ed = t_web_user(st, "ed", "editor", T_WEB_PW);
    in->ad = t_web_user(st, "ad", "admin", T_WEB_PW);
    long long feeds[2];
    t_web_seed_sample(st, now, feeds, in->item);
    in->feed1 = feeds[0];
    in->feed2 = feeds[1];
    t_web_seed_sample_profiles(st, now, in->alice, in->eve, in->ed, feeds,
                               in->item, &gid);
    assert_int_equal(store_secret(st, "link_hmac", in->key, sizeof in->key),
                     CUR_OK);
    store_close(st);
}

static struct inst *
inst_new(int do_seed, int signup)
{
    struct inst *in = calloc(1, sizeof *in);
    assert_non_null(in);
    t_web_init(&in->srv);
    if (do_seed)
        seed(in);
    else
        store_close(t_web_store(&in->srv));
    struct web_cfg wc = t_web_cfg();
    wc.allow_signup = signup;
    t_web_start(&in->srv, &wc);
    return in;
}

static void
inst_free(struct inst *in)
{
    t_web_stop(&in->srv);
    free(in);
}

static long long
digest_email_on(struct inst *in, long long uid)
{
    struct store *st = t_web_store(&in->srv);
    long long v = -1;
    assert_int_equal(store_digest_user(st, uid, digest_cb, &v), CUR_OK);
    store_close(st);
    return v;
}

static struct inst *shared;

static int
group_setup(void **state)
{
    (void)state;
    shared = inst_new(1, 0);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    inst_free(shared);
    return 0;
}

/* Counting what the store holds. */
struct counts {
    int verdicts, last_verdict, saved, half_weight, journal, goals;
    int interests, mutes, subs;
    char note[256];
};

static int
count_verdict(void *ctx, const struct store_verdict *v)
{
    struct counts *n = ctx;
    n->verdicts++;
    n->last_verdict = v->verdict;
    return 0;
}

static int
count_saved(void *ctx, const struct store_saved *s)
{
    struct counts *n = ctx;
    n->saved++;
    snprintf(n->note, sizeof n->note, "%s", s->note);
    return 0;
}

static int
count_weight(void *ctx, const struct store_subscription *s)
{
    struct counts *n = ctx;
    n->subs++;
    if (s->weight == 0.5)
        n->half_weight++;
    return 0;
}

static int
count_journal(void *ctx, const struct store_journal *j)
{
    (void)j;
    ((struct counts *)ctx)->journal++;
    return 0;
}

static int
count_goal(void *ctx, long long id, const char *name)
{
    (void)id;
    (void)name;
    ((struct counts *)ctx)->goals++;
    return 0;
}

static int
count_interest(void *ctx, const struct store_interest_row *in)
{
    (void)in;
    ((struct counts *)ctx)->interests++;
    return 0;
}

static int
count_mute(void *ctx, const struct store_mute_row *m)
{
    (void)m;
    ((struct counts *)ctx)->mutes++;
    return 0;
}

static struct counts
profile_counts(struct inst *in, long long uid)
{
    struct counts n = { 0 };
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_goal_list(st, uid, count_goal, &n), CUR_OK);
    assert_int_equal(store_interest_rows(st, uid, count_interest, &n),
                     CUR_OK);
    assert_int_equal(store_mute_rows(st, uid, count_mute, &n), CUR_OK);
    assert_int_equal(store_journal_list(st, uid, NULL, 100, count_journal,
                                        &n), CUR_OK);
    assert_int_equal(store_saved_list(st, uid, 100, count_saved, &n),
                     CUR_OK);
    assert_int_equal(store_feedback_user(st, uid, count_verdict, &n),
                     CUR_OK);
    assert_int_equal(store_subscription_list(st, uid, count_weight, &n),
                     CUR_OK);
    store_close(st);
    return n;
}

/* Tests. */

static void
test_headers_and_not_found(void **state)
{
    (void)state;
    CURL *c = t_web_client(shared->srv.port);
    struct t_resp r;
    static const char *const paths[] = {
        "/", "/login", "/nope", "/healthz", "/static/style.css",
        "/unsubscribe?u=1&t=x", "/today",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        t_web_get(c, paths[i], &r);
        assert_true(t_web_hdr_has(&r, "Content-Security-Policy: default-src "
                                      "'none'"));
        assert_true(t_web_hdr_has(&r, "frame-ancestors 'none'"));
        assert_false(t_web_hdr_has(&r, "unsafe-inline"));
        assert_true(t_web_hdr_has(&r, "X-Content-Type-Options: nosniff"));
        assert_true(t_web_hdr_has(&r, "Referrer-Policy: same-origin"));
        t_web_free(&r);
    }
    assert_int_equal(t_web_get(c, "/no/such/page", &r), 404);
    assert_true(t_web_has(&r, "<h1>Page not found</h1>"));
    assert_true(t_web_hdr_has(&r, "sandbox"));
    t_web_free(&r);
    /* A script in the URL is never echoed raw. */
    assert_int_equal(t_web_get(c, "/%3Cscript%3Ealert(1)%3C/script%3E",
                               &r), 404);
    assert_false(t_web_has(&r, "<script>"));
    t_web_free(&r);
    assert_int_equal(t_web_http(c, "PUT", "/today", NULL, 0,
                                "text/plain", NULL, &r), 405);
    assert_true(t_web_hdr_has(&r, "Allow: GET, HEAD"));
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/healthz", &r), 200);
    assert_string_equal(r.body.data, "ok\n");
    t_web_free(&r);
    curl_easy_cleanup(c);
}

static void
test_static_caching(void **state)
{
    (void)state;
    CURL *c = t_web_client(shared->srv.port);
    struct t_resp r;
    char inm[128];
    assert_int_equal(t_web_get(c, "/static/style.css", &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Type: text/css"));
    assert_true(t_web_hdr_has(&r, "Cache-Control: public, max-age="));
    const char *e = strcasestr(r.hdr.data, "ETag: ");
    assert_non_null(e);
    snprintf(inm, sizeof inm, "If-None-Match: %.*s", (int)strcspn(e + 6,
             "\r\n"), e + 6);
    t_web_free(&r);
    const char *hs[] = { inm, NULL };
    assert_int_equal(t_web_http(c, "GET", "/static/style.css", NULL,
                                0, NULL, hs, &r), 304);
    assert_int_equal(r.body.len, 0);
    t_web_free(&r);
    curl_easy_cleanup(c);
}

static void
test_home_anonymous(void **state)
{
    (void)state;
    CURL *c = t_web_client(shared->srv.port);
    struct t_resp r;
    assert_int_equal(t_web_get(c, "/", &r), 200);
    assert_true(t_web_has(&r, "<ol class=\"items\">"));
    /* Titles escaped; a javascript: link never becomes an href. */
    assert_true(t_web_has(&r, "Coaching &lt;script&gt;alert(1)&lt;/script&gt; "
                              "tips"));
    assert_false(t_web_has(&r, "<script>"));
    assert_false(t_web_has(&r, "javascript:"));
    assert_true(t_web_has(&r, "Alpha &lt;News&gt;"));
    t_web_free(&r);
    curl_easy_cleanup(c);
}

static void
test_login_logout_cookie(void **state)
{
    (void)state;
    CURL *c = t_web_client(shared->srv.port);
    struct t_resp r;
    char cookie[200] = "";

    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "alice", "password", T_WEB_PW, "next",
                                  "/journal", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /journal"));
    assert_true(t_web_hdr_has(&r, "Set-Cookie: curator_session="));
    assert_true(t_web_hdr_has(&r, "HttpOnly"));
    assert_true(t_web_hdr_has(&r, "SameSite=Lax"));
    const char *s = strcasestr(r.hdr.data, "curator_session=");
    snprintf(cookie, sizeof cookie, "Cookie: %.*s", (int)strcspn(s, ";"),
             s);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    assert_true(t_web_has(&r, "<h1>Today</h1>"));
    t_web_free(&r);
    /* Sign out; the old cookie is dead afterwards. */
    assert_int_equal(t_web_submit(c, "/today", "/logout", &r,
                                  (char *)NULL), 303);
    t_web_free(&r);
    CURL *old = t_web_client_nojar(shared->srv.port);
    const char *hs[] = { cookie, NULL };
    assert_int_equal(t_web_http(old, "GET", "/today", NULL, 0, NULL,
                                hs, &r), 303);
    assert_true(t_web_hdr_has(&r, "Location: /login?next=/today"));
    t_web_free(&r);
    curl_easy_cleanup(old);
    /* An open redirect is not possible through next. */
    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "alice", "password", T_WEB_PW, "next",
                                  "//evil.example/", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /today"));
    t_web_free(&r);
    curl_easy_cleanup(c);
}

static void
test_login_refusals(void **state)
{
    (void)state;
    CURL *c = t_web_client(shared->srv.port);
    struct t_resp r;
    /* Wrong password, unknown user: the same answer. */
    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "alice", "password", "wrong password",
                                  (char *)NULL), 401);
    assert_true(t_web_has(&r, "Wrong name or password."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "nobody", "password", "wrong password",
                                  (char *)NULL), 401);
    assert_true(t_web_has(&r, "Wrong name or password."));
    t_web_free(&r);
    /* A huge password is refused at once, unhashed. */
    char *huge = malloc(4096);
    memset(huge, 'a', 4095);
    huge[4095] = '\0';
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "alice", "password", huge, (char *)NULL),
                     400);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    t_web_free(&r);
    free(huge);
    /* No CSRF token: 403, even with the right password. */
    char *body = t_web_encode(NULL, "name", "alice", "password", T_WEB_PW,
                              (char *)NULL);
    assert_int_equal(t_web_post(c, "/login", body, &r), 403);
    t_web_free(&r);
    free(body);
    curl_easy_cleanup(c);
}

static void
test_today_ranked(void **state)
{
    (void)state;
    CURL *c = t_web_signed_in(shared->srv.port, "alice");
    struct t_resp r;
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    /* Gems first, then the goal, then the rest. */
    const char *picks = strstr(r.body.data, "<h2>Editor picks</h2>");
    const char *goal = strstr(r.body.data, "<h2>Goal: Leadership</h2>");
    const char *more = strstr(r.body.data, "<h2>More for you</h2>");
    assert_non_null(picks);
    assert_non_null(goal);
    assert_non_null(more);
    assert_true(picks < goal && goal < more);
    assert_true(t_web_has(&r, "Leadership notes"));
    assert_true(t_web_has(&r, "Worth &lt;it&gt;"));
    /* Reasons with contributions; titles escaped; the excluded item is
     * not listed, the near-copy is folded. */
    assert_true(t_web_has(&r, "title matches &quot;coaching&quot; (goal: "
                              "Leadership) <span class=\"contrib\">"
                              "+4.00</span>"));
    assert_true(t_web_has(&r,
                          "Coaching &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_false(t_web_has(&r, "Onboarding in ninety days"));
    assert_false(t_web_has(&r, "Coaching copy elsewhere</a>"));
    assert_true(t_web_has(&r, "Also in: Beta"));
    assert_false(t_web_has(&r, "<script>"));
    assert_false(t_web_has(&r, "href=\"javascript:"));
    char up[64];
    snprintf(up, sizeof up, "name=\"act\" value=\"up:%lld\"",
             shared->item[0]);
    assert_true(t_web_has(&r, up));
    /* One form, one CSRF field for the whole list. */
    const char *f = strstr(r.body.data, "<form class=\"today\"");
    assert_non_null(f);
    const char *c1 = strstr(f, "name=\"csrf\"");
    assert_non_null(c1);
    assert_null(strstr(c1 + 1, "name=\"csrf\""));
    t_web_free(&r);
    curl_easy_cleanup(c);
}

static void
test_today_actions(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    char item[32];
    struct store *st;

    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    snprintf(item, sizeof item, "%lld", in->item[0]);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "up", "back", "today",
                                  (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /today?done=up#item-"));
    t_web_free(&r);
    char verb[64];
    snprintf(verb, sizeof verb, "save:%lld", in->item[0]);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "act",
                                  verb, "back", "today", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "less", (char *)NULL), 303);
    t_web_free(&r);
    /* Another user's item (eve's feed only) is not alice's to touch:
     * alice is subscribed to both here, so use an unknown id. */
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  "999999", "act", "up", (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "explode", (char *)NULL), 400);
    t_web_free(&r);
    /* Stored: the verdict, the save, the source weight. */
    st = t_web_store(&in->srv);
    struct counts n = { 0 };
    assert_int_equal(store_feedback_user(st, in->alice, count_verdict, &n),
                     CUR_OK);
    assert_int_equal(store_saved_list(st, in->alice, 10, count_saved, &n),
                     CUR_OK);
    assert_int_equal(store_subscription_list(st, in->alice, count_weight,
                                             &n), CUR_OK);
    assert_int_equal(n.verdicts, 1);
    assert_int_equal(n.last_verdict, 1);
    assert_int_equal(n.saved, 1);
    assert_true(n.half_weight == 1);
    store_close(st);
    /* The page shows it. */
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    assert_true(t_web_has(&r, "aria-pressed=\"true\">\xF0\x9F\x91\x8D"));
    snprintf(verb, sizeof verb, "value=\"unsave:%lld\">Saved \xE2\x9C\x93",
             in->item[0]);
    assert_true(t_web_has(&r, verb));
    t_web_free(&r);
    curl_easy_cleanup(c);
    inst_free(in);
}

static void
test_interests_edit(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    struct counts n;

    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_get(c, "/interests", &r), 200);
    assert_true(t_web_has(&r, "name=\"goal_name\" maxlength=\"127\" required "
                              "value=\"Leadership\""));
    assert_true(t_web_has(&r, "value=\"coaching\""));
    t_web_free(&r);

    /* A bad weight: the form again, the message beside the field, and
     * nothing stored (the good new row neither). */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "4", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "lots", "term.1",
                                  "mentoring", "weight.1", "3", "mutes",
                                  "ninety", "action", "save", (char *)NULL),
                     400);
    assert_true(t_web_has(&r,
                          "id=\"weight.0-error\">A number from -10 to 10."));
    assert_true(t_web_has(&r, "value=\"lots\""));
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.interests, 1);
    assert_int_equal(n.mutes, 0);

    /* Hostile terms are refused too. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "1", "term.0", "a\"b", "weight.0",
                                  "1", "action", "save", (char *)NULL), 400);
    assert_true(t_web_has(&r, "No quotes or control characters inside."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "1", "term.0", "x", "weight.0", "1",
                                  "goal.0", "424242", "action", "save",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "Choose one of your goals."));
    t_web_free(&r);

    /* Preview: a ranking, nothing stored. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "4", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "2", "term.1",
                                  "\"ninety days\"", "weight.1", "5",
                                  "action", "preview", (char *)NULL), 200);
    assert_true(t_web_has(&r, "Preview: the last 7 days"));
    assert_true(t_web_has(&r, "With your changes"));
    assert_true(t_web_has(&r, "Onboarding in ninety days"));
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.interests, 1);

    /* Save: the change, the new interest, a mute. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "4", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "2.5", "term.1",
                                  "mentoring", "weight.1", "-3", "mutes",
                                  "ninety\r\n\"hard sell\"\r\n", "action",
                                  "save", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /interests?done=profile"));
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.interests, 2);
    assert_int_equal(n.mutes, 2);
    assert_int_equal(t_web_get(c, "/interests?done=profile", &r), 200);
    assert_true(t_web_has(&r, "value=\"2.5\""));
    assert_true(t_web_has(&r, "value=\"-3\""));
    assert_true(t_web_has(&r, "Your interests are saved."));
    t_web_free(&r);

    /* Removing. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "2", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "2.5", "orig.1",
                                  "mentoring", "term.1", "mentoring",
                                  "weight.1", "-3", "remove.1", "1", "mutes",
                                  "ninety", "action", "save", (char *)NULL),
                     303);
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.interests, 1);
    assert_int_equal(n.mutes, 1);

    /* Goals: add, refuse an empty or repeated one, remove only one's
     * own. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "add", "goal_name", "Growth <b>",
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "add", "goal_name", "  ",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "Give the goal a name."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "add", "goal_name", "growth <B>",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "You have that goal already."));
    assert_true(t_web_has(&r, "value=\"Growth &lt;b&gt;\""));
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.goals, 2);
    /* Renaming: to a name in use is refused beside that goal. */
    long long lead;
    struct store *st0 = t_web_store(&in->srv);
    assert_int_equal(store_goal_find(st0, in->alice, "Leadership", &lead),
                     CUR_OK);
    store_close(st0);
    char lid[32];
    snprintf(lid, sizeof lid, "%lld", lead);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "rename", "goal", lid, "goal_name",
                                  "GROWTH <b>", (char *)NULL), 400);
    char eid[64];
    snprintf(eid, sizeof eid, "id=\"goal-%lld-error\">You have that goal",
             lead);
    assert_true(t_web_has(&r, eid));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "rename", "goal", lid, "goal_name",
                                  "Leading people", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/interests", &r), 200);
    assert_true(t_web_has(&r, "value=\"Leading people\""));
    t_web_free(&r);
    long long eve_goal;
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_goal_add(st, in->eve, "Eve's", &eve_goal),
                     CUR_OK);
    store_close(st);
    char id[32];
    snprintf(id, sizeof id, "%lld", eve_goal);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "remove", "goal", id,
                                  (char *)NULL),
                     404);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests/goals",
                                  &r, "act", "rename", "goal", id, "goal_name",
                                  "Mine now", (char *)NULL), 404);
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.goals, 1);
    curl_easy_cleanup(c);
    inst_free(in);
}


/* Every route for each role: anonymous, subscriber (alice), editor
 * (ed), admin (ad). GET pages: 200, 303 to sign-in, 403 or 404. */
struct expect {
    const char *path;
    long anon, sub, editor, admin;
};

static void
test_route_matrix_get(void **state)
{
    (void)state;
    char item[64], unsub[256], vote[256], feed[256], tok[TOKEN_LEN + 1];
    char extra[48];
    snprintf(item, sizeof item, "/item/%lld", shared->item[0]);
    token_make(shared->key, "unsubscribe", shared->alice, NULL, tok);
    snprintf(unsub, sizeof unsub, "/unsubscribe?u=%lld&t=%s", shared->alice,
             tok);
    snprintf(extra, sizeof extra, "%lld:up", shared->item[0]);
    token_make(shared->key, "feedback", shared->alice, extra, tok);
    snprintf(vote, sizeof vote, "/vote?u=%lld&i=%lld&v=up&t=%s",
             shared->alice, shared->item[0], tok);
    token_make(shared->key, "feed", shared->alice, NULL, tok);
    snprintf(feed, sizeof feed, "/feed/%lld/%s.atom", shared->alice, tok);
    const struct expect table[] = {
        { "/", 200, 303, 303, 303 },
        { "/healthz", 200, 200, 200, 200 },
        { "/static/style.css", 200, 200, 200, 200 },
        { "/login", 200, 303, 303, 303 },
        { "/signup", 404, 404, 404, 404 },
        { "/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 404, 404,
          404, 404 },
        { "/today", 303, 200, 200, 200 },
        { item, 303, 200, 404, 404 },
        { "/item/999999", 303, 404, 404, 404 },
        { "/interests", 303, 200, 200, 200 },
        { "/sources", 303, 200, 200, 200 },
        { "/sources/opml", 303, 200, 200, 200 },
        { "/schedule", 303, 200, 200, 200 },
        { "/portfolio", 303, 200, 200, 200 },
        { "/portfolio.atom", 303, 200, 200, 200 },
        { "/journal", 303, 200, 200, 200 },
        { "/account", 303, 200, 200, 200 },
        { "/account/export.json", 303, 200, 200, 200 },
        { "/gems", 303, 403, 200, 200 },
        { "/admin", 303, 403, 403, 200 },
        { unsub, 200, 200, 200, 200 },
        { vote, 200, 200, 200, 200 },
        { feed, 200, 200, 200, 200 },
        { "/nowhere", 404, 404, 404, 404 },
    };
    CURL *who[4] = {
        t_web_client(shared->srv.port),
        t_web_signed_in(shared->srv.port, "alice"),
        t_web_signed_in(shared->srv.port, "ed"),
        t_web_signed_in(shared->srv.port, "ad"),
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const long want[4] = { table[i].anon, table[i].sub, table[i].editor,
                               table[i].admin };
        for (int k = 0; k < 4; k++) {
            struct t_resp r;
            long got = t_web_get(who[k], table[i].path, &r);
            if (got != want[k])
                fail_msg("GET %s as %d: %ld, want %ld", table[i].path, k,
                         got, want[k]);
            if (k == 0 && got == 303 && strcmp(table[i].path, "/") != 0
                && strcmp(table[i].path, "/login") != 0)
                assert_true(t_web_hdr_has(&r, "Location: /login?next="));
            t_web_free(&r);
        }
    }
    for (int k = 0; k < 4; k++)
        curl_easy_cleanup(who[k]);
}

/* Every state-changing route refuses anonymous posts, posts without the
 * CSRF token, and posts above the role. */
static void
test_route_matrix_post(void **state)
{
    (void)state;
    static const char *const posts[] = {
        "/logout", "/today/act", "/interests", "/interests/goals",
        "/sources", "/sources/opml", "/schedule", "/portfolio", "/journal",
        "/account", "/account/password", "/account/delete",
        "/account/import", "/gems", "/admin",
    };
    CURL *anon = t_web_client(shared->srv.port);
    CURL *alice = t_web_signed_in(shared->srv.port, "alice");
    CURL *ed = t_web_signed_in(shared->srv.port, "ed");
    struct t_resp r;

    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        assert_int_equal(t_web_post(anon, posts[i], "x=1", &r), 403);
        assert_true(t_web_has(&r, "Sign in first"));
        t_web_free(&r);
        assert_int_equal(t_web_post(alice, posts[i], "x=1", &r), 403);
        t_web_free(&r);
        assert_int_equal(t_web_post(alice, posts[i], "csrf=AAAAAAAAAAAAAAAA"
                                    "AAAAAAAAAAAAAAAAAAAAAAAAAAA", &r), 403);
        t_web_free(&r);
    }
    /* Roles, with a good token. */
    assert_int_equal(t_web_submit(alice, "/today", "/gems", &r,
                                  "item", "1", "note", "x", (char *)NULL), 403);
    t_web_free(&r);
    assert_int_equal(t_web_submit(alice, "/today", "/admin", &r,
                                  "act", "invite", "role", "admin", "days", "7",
                                  (char *)NULL), 403);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, "/gems", "/admin", &r, "act",
                                  "invite", "role", "admin", "days", "7",
                                  (char *)NULL), 403);
    t_web_free(&r);
    curl_easy_cleanup(anon);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(ed);
}

static void
test_csrf_and_origin(void **state)
{
    (void)state;
    CURL *alice = t_web_signed_in(shared->srv.port, "alice");
    CURL *eve = t_web_signed_in(shared->srv.port, "eve");
    struct t_resp r;
    char port_origin[128];
    snprintf(port_origin, sizeof port_origin, "Origin: http://127.0.0.1:%u",
             shared->srv.port);
    struct counts before = profile_counts(shared, shared->alice);

    char tok[64], eve_tok[64], body[512], eve_body[512];
    t_web_csrf(alice, "/journal", tok, sizeof tok);
    t_web_csrf(eve, "/journal", eve_tok, sizeof eve_tok);
    snprintf(body, sizeof body, "csrf=%s&act=add&body=hello", tok);
    snprintf(eve_body, sizeof eve_body, "csrf=%s&act=add&body=hello",
             eve_tok);

    const char *cross[] = { "Sec-Fetch-Site: cross-site", NULL };
    const char *site[] = { "Sec-Fetch-Site: same-site", NULL };
    const char *evil[] = { "Origin: https://evil.example", NULL };
    const char *null_origin[] = { "Origin: null", NULL };
    const char *ok_origin[] = { port_origin, "Sec-Fetch-Site: same-origin",
                                NULL };
    const char *const *refused[] = { cross, site, evil, null_origin };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(t_web_http(alice, "POST", "/journal", body,
                                    strlen(body),
                                    "application/x-www-form-urlencoded",
                                    refused[i], &r), 403);
        assert_true(t_web_has(&r, "Form expired"));
        t_web_free(&r);
    }
    /* Another session's token is not this one's. */
    assert_int_equal(t_web_post(alice, "/journal", eve_body, &r), 403);
    t_web_free(&r);
    struct counts mid = profile_counts(shared, shared->alice);
    assert_int_equal(mid.journal, before.journal);
    assert_int_equal(t_web_http(alice, "POST", "/journal", body,
                                strlen(body),
                                "application/x-www-form-urlencoded", ok_origin,
                                &r), 303);
    t_web_free(&r);
    struct counts after = profile_counts(shared, shared->alice);
    assert_int_equal(after.journal, before.journal + 1);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(eve);
}

static void
test_size_limits(void **state)
{
    (void)state;
    CURL *alice = t_web_signed_in(shared->srv.port, "alice");
    CURL *anon = t_web_client(shared->srv.port);
    struct t_resp r;
    size_t big = 2u << 20;
    char *body = malloc(big + 1);
    memset(body, 'a', big);
    body[big] = '\0';
    struct timespec t0, t1;

    /* Told by Content-Length: refused before the body is read. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(t_web_post(anon, "/login", body, &r), 413);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t_web_has(&r, "Too large"));
    t_web_free(&r);
    assert_true(t1.tv_sec - t0.tv_sec < 3);
    /* The server answers 413 as soon as it knows the size and closes;
     * a client still sending the body may see the connection reset
     * first (0) on a slow build. Either way nothing was accepted. */
    long code = t_web_post(alice, "/journal", body, &r);
    assert_true(code == 413 || code == 0);
    t_web_free(&r);
    /* Chunked: counted as it arrives. */
    CURL *c = t_web_client(shared->srv.port);
    CURLcode cc = t_web_chunked(c, "/login", big, 'a', NULL, &r);
    /* 413, or the connection closed under a client still sending. */
    assert_true(r.status == 413 || cc == CURLE_SEND_ERROR
                || cc == CURLE_RECV_ERROR);
    t_web_free(&r);
    curl_easy_cleanup(c);
    /* Signed in, an import may be larger (here: 2 MiB of non-JSON). */
    assert_int_equal(t_web_upload(alice, "/account", "/account/import",
                                  "export", "big.json", body, big, &r), 400);
    assert_true(t_web_has(&r, "not JSON"));
    t_web_free(&r);
    /* Headers over 32 KiB: 431; a URL over it: 414. */
    char *hdr = malloc(40 << 10);
    snprintf(hdr, 40 << 10, "X-Big: %0*d", 36 << 10, 0);
    const char *hs[] = { hdr, NULL };
    assert_int_equal(t_web_http(anon, "GET", "/healthz", NULL, 0,
                                NULL, hs, &r), 431);
    t_web_free(&r);
    free(hdr);
    char *path = malloc(80 << 10);
    snprintf(path, 80 << 10, "/healthz?%0*d", 72 << 10, 0);
    assert_int_equal(t_web_get(anon, path, &r), 414);
    t_web_free(&r);
    free(path);
    free(body);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(anon);
}

static double
elapsed_login(CURL *c, const char *name)
{
    struct timespec t0, t1;
    struct t_resp r;
    char tok[64], body[256];
    t_web_csrf(c, "/login", tok, sizeof tok);
    snprintf(body, sizeof body, "csrf=%s&name=%s&password=wrong+password+x",
             tok, name);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long st = t_web_post(c, "/login", body, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (st != 401)
        print_message("login as %s: %ld %s\n", name, st, r.body.data);
    t_web_free(&r);
    assert_int_equal(st, 401);
    return (double)(t1.tv_sec - t0.tv_sec)
           + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int
by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
test_login_throttle(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    double known[4], unknown[4];

    /* Unknown names cost what known ones do. */
    for (int i = 0; i < 4; i++) {
        known[i] = elapsed_login(c, "alice");
        unknown[i] = elapsed_login(c, "nobody");
    }
    /* The fastest of each: the least disturbed by other load. */
    qsort(known, 4, sizeof known[0], by_double);
    qsort(unknown, 4, sizeof unknown[0], by_double);
    double k = known[0], u = unknown[0];
    print_message("login timing: known %.1f ms, unknown %.1f ms\n",
                  k * 1e3, u * 1e3);
    /* Wide bounds: a loaded machine disturbs whole runs of samples, and
     * skipping the hash for unknown names would cost a few percent of a
     * known one's time, far below them. */
    assert_true(u > k * 0.4 && u < k * 2.5);
    /* The fifth failure for alice; then even the right password gets 429
     * for 15 minutes. */
    elapsed_login(c, "alice");
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 429);
    assert_int_equal(t_web_submit(c, "/login", "/login", &r, "name",
                                  "ALICE", "password", T_WEB_PW, (char *)NULL),
                     429);
    assert_true(t_web_hdr_has(&r, "Retry-After: 900"));
    assert_true(t_web_has(&r, "Too many"));
    t_web_free(&r);
    /* Another account from this address still works... */
    CURL *c2 = t_web_client(in->srv.port);
    assert_int_equal(t_web_login(c2, "eve", T_WEB_PW), 303);
    curl_easy_cleanup(c2);
    /* ...until the address itself has 20 failures. */
    for (int i = 0; i < 11; i++) {
        char name[32];
        snprintf(name, sizeof name, "nobody-%d", i);
        elapsed_login(c, name);
    }
    assert_int_equal(t_web_login(c, "ed", T_WEB_PW), 429);
    /* X-Forwarded-For does not make another address (WEB-8). */
    const char *xff[] = { "X-Forwarded-For: 203.0.113.9", NULL };
    char tok[64], body[256];
    t_web_csrf(c, "/login", tok, sizeof tok);
    snprintf(body, sizeof body, "csrf=%s&name=ed&password=%s", tok,
             "correct+horse+battery");
    assert_int_equal(t_web_http(c, "POST", "/login", body, strlen(body),
                                T_WEB_FORM, xff, &r), 429);
    t_web_free(&r);
    /* Another address does get in. */
    CURL *other = t_web_client(in->srv.port);
    curl_easy_setopt(other, CURLOPT_INTERFACE, "127.0.0.2");
    assert_int_equal(t_web_login(other, "ed", T_WEB_PW), 303);
    curl_easy_cleanup(other);
    curl_easy_cleanup(c);
    inst_free(in);
}

static void
test_session_idle_expiry(void **state)
{
    (void)state;
    struct inst *in = calloc(1, sizeof *in);
    t_web_init(&in->srv);
    seed(in);
    struct web_cfg wc = {
        .address = "127.0.0.1", .threads = 1, .allow_private = 1,
        .session_idle = 2,
    };
    t_web_start(&in->srv, &wc);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    t_web_free(&r);
    sleep(3);
    assert_int_equal(t_web_get(c, "/today", &r), 303);
    t_web_free(&r);
    curl_easy_cleanup(c);
    inst_free(in);
}


static void
test_sources(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    char *www = NULL;
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    char url[256];
    struct counts n;

    assert_true(asprintf(&www, "%s/www", in->srv.dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    assert_non_null(fixture);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);
    free(t_write_file(www, "page.html", "<!DOCTYPE html><html><head>"
        "<title>A site</title><link rel=\"alternate\" "
        "type=\"application/rss+xml\" title=\"Site &lt;feed&gt;\" "
        "href=\"/feed.xml\"></head><body>hi</body></html>"));
    free(t_write_file(www, "plain.html", "<html><body>no feeds"
                      "</body></html>"));
    struct t_http *h = t_http_start(www);
    assert_non_null(h);
    assert_int_equal(t_web_login(c, "eve", T_WEB_PW), 303);

    /* A page offering a feed: listed with a Subscribe button. */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/page.html",
             t_http_port(h));
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", url, (char *)NULL), 200);
    assert_true(t_web_has(&r, "Feeds this page offers"));
    assert_true(t_web_has(&r, "Site &lt;feed&gt;"));
    assert_true(t_web_has(&r, "/feed.xml"));
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 1);
    /* A feed URL: subscribed at once. */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/feed.xml",
             t_http_port(h));
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", url, (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /sources?done=subscribed"));
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 2);
    assert_int_equal(t_web_get(c, "/sources", &r), 200);
    assert_true(t_web_has(&r, "Fixture RSS"));
    assert_true(t_web_has(&r, "Refresh now"));
    t_web_free(&r);

    /* Refresh now (FETCH-9): taken once; a feed already due, or read a
     * moment ago, is left alone; only one's own sources. */
    struct store *st = t_web_store(&in->srv);
    long long rid = 0, now = (long long)time(NULL);
    char fidtxt[32];
    assert_int_equal(store_feed_find(st, url, &rid), CUR_OK);
    snprintf(fidtxt, sizeof fidtxt, "%lld", rid);
    struct store_poll earlier = { .now = now - 1000, .next_poll = now + 900,
                                  .status = 200, .unchanged = 1 };
    assert_int_equal(store_feed_polled(st, rid, &earlier, NULL, NULL),
                     CUR_OK);
    const char *want[] = { "refresh", "refresh-due" };
    for (int k = 0; k < 2; k++) {
        char loc[64];
        snprintf(loc, sizeof loc, "Location: /sources?done=%s", want[k]);
        assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                      "refresh", "feed", fidtxt,
                                      (char *)NULL), 303);
        assert_true(t_web_hdr_has(&r, loc));
        t_web_free(&r);
    }
    struct store_poll just = { .now = now, .next_poll = now + 900,
                               .status = 200, .unchanged = 1 };
    assert_int_equal(store_feed_polled(st, rid, &just, NULL, NULL), CUR_OK);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "refresh", "feed", fidtxt, (char *)NULL),
                     303);
    assert_true(t_web_hdr_has(&r, "Location: /sources?done=refresh-recent"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "refresh", "feed", "999999", (char *)NULL),
                     404);
    t_web_free(&r);
    store_close(st);
    /* Refused: not a URL, a script URL, a page with no feed. */
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", "javascript:alert(1)",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "Give a full http:// or https:// address."));
    assert_true(t_web_has(&r, "value=\"javascript:alert(1)\""));
    t_web_free(&r);
    /* A page without links: the feed found at a usual path. */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/plain.html",
             t_http_port(h));
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", url, (char *)NULL), 200);
    assert_true(t_web_has(&r, "Found at a usual address"));
    t_web_free(&r);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/missing",
             t_http_port(h));
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", url, (char *)NULL), 400);
    assert_true(t_web_has(&r, "id=\"url-error\">cannot read"));
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 2);
    /* Weight and unsubscribe, only of one's own sources. */
    char fid[32];
    snprintf(fid, sizeof fid, "%lld", in->feed2);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "weight", "feed", fid, "weight", "11",
                                  (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "weight", "feed", fid, "weight", "0.5",
                                  (char *)NULL), 303);
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.half_weight, 1);
    /* Mute and unmute a source of one's own. */
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "mute", "feed", fid, (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(profile_counts(in, in->eve).mutes, 1);
    assert_int_equal(t_web_get(c, "/sources", &r), 200);
    assert_true(t_web_has(&r, "value=\"unmute\""));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "unmute", "feed", fid, (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(profile_counts(in, in->eve).mutes, 0);
    snprintf(fid, sizeof fid, "%lld", in->feed1);
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "unsubscribe", "feed", fid, (char *)NULL),
                     404);
    t_web_free(&r);
    /* OPML out: well-formed, escaped. */
    assert_int_equal(t_web_get(c, "/sources/opml", &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Disposition: attachment"));
    assert_true(xml_root_is(r.body.data, r.body.len, "opml"));
    assert_true(t_web_has(&r, "xmlUrl=\"https://b.example/feed\""));
    t_web_free(&r);
    /* OPML in: good feeds subscribed, a file: URL refused, all in one. */
    const char *opml =
        "<?xml version=\"1.0\"?><opml version=\"2.0\"><head><title>t"
        "</title></head><body><outline text=\"Tech\"><outline type=\"rss\" "
        "text=\"New one\" xmlUrl=\"https://new.example/rss\"/><outline "
        "type=\"rss\" text=\"bad\" xmlUrl=\"file:///etc/passwd\"/>"
        "</outline></body></opml>";
    assert_int_equal(t_web_upload(c, "/sources", "/sources/opml",
                                  "opml", "subs.opml", opml, strlen(opml), &r),
                     303);
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 3);
    const char *broken = "<opml version=\"2.0\"><body><outline xmlUrl=";
    assert_int_equal(t_web_upload(c, "/sources", "/sources/opml",
                                  "opml", "bad.opml", broken, strlen(broken),
                                  &r),
                     400);
    assert_true(t_web_has(&r, "id=\"opml-error\""));
    t_web_free(&r);
    const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE o [<!ENTITY a "
                       "\"aaaa\">]><opml version=\"2.0\"><body><outline "
                       "xmlUrl=\"https://x.example/&a;\"/></body></opml>";
    assert_int_equal(t_web_upload(c, "/sources", "/sources/opml",
                                  "opml", "bomb.opml", bomb, strlen(bomb), &r),
                     400);
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 3);
    curl_easy_cleanup(c);
    t_http_stop(h);
    free(www);
    inst_free(in);
}

static void
test_sources_private_refused(void **state)
{
    (void)state;
    struct inst *in = calloc(1, sizeof *in);
    t_web_init(&in->srv);
    seed(in);
    struct web_cfg wc = { .address = "127.0.0.1", .threads = 1 };
    t_web_start(&in->srv, &wc);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    char *www;
    assert_true(asprintf(&www, "%s/www", in->srv.dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);
    struct t_http *h = t_http_start(www);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/feed.xml",
             t_http_port(h));
    assert_int_equal(t_web_login(c, "eve", T_WEB_PW), 303);
    /* FETCH-3: a web user cannot make the server fetch loopback. */
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "find", "url", url, (char *)NULL), 400);
    t_web_free(&r);
    /* Nor subscribe to it straight away (the form after a search posts
     * "subscribe"): address literals in any spelling, and localhost. */
    const char *hosts[] = {
        "127.0.0.1:%u", "localhost:%u", "127.1:%u", "0x7f.0.0.1:%u",
        "[::1]:%u", "[::ffff:127.0.0.1]:%u", "10.0.0.8:%u",
        "169.254.169.254:%u",
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char host[64];
        snprintf(host, sizeof host, hosts[i], t_http_port(h));
        snprintf(url, sizeof url, "http://%s/feed.xml", host);
        assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                      "subscribe", "url", url,
                                      (char *)NULL), 400);
        assert_true(t_web_has(&r, "That address is internal"));
        t_web_free(&r);
    }
    assert_int_equal(t_http_requests(h), 0);
    struct counts n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 1);
    /* A public name is taken: the poller checks it when it connects. */
    assert_int_equal(t_web_submit(c, "/sources", "/sources", &r, "act",
                                  "subscribe", "url",
                                  "https://feeds.example.org/rss",
                                  (char *)NULL), 303);
    t_web_free(&r);
    n = profile_counts(in, in->eve);
    assert_int_equal(n.subs, 2);
    t_http_stop(h);
    free(www);
    curl_easy_cleanup(c);
    inst_free(in);
}

struct sched_copy {
    int weekly, weekday, hour, email, html, max_items;
    double min_score;
    char tz[64];
};

static int
sched_cb(void *ctx, const struct store_digest_user *u)
{
    struct sched_copy *s = ctx;
    s->weekly = u->weekly;
    s->weekday = u->weekday;
    s->hour = u->hour;
    s->email = u->email_on;
    s->html = u->html;
    s->max_items = u->max_items;
    s->min_score = u->min_score;
    snprintf(s->tz, sizeof s->tz, "%s", u->tz);
    return 0;
}

static struct sched_copy
sched_of(struct inst *in, long long uid)
{
    struct sched_copy s;
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_digest_user(st, uid, sched_cb, &s), CUR_OK);
    store_close(st);
    return s;
}

static void
test_schedule(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_get(c, "/schedule", &r), 200);
    assert_true(t_web_has(&r, "value=\"UTC\""));
    t_web_free(&r);
    /* Two bad fields: both told, nothing stored (not even the good
     * ones). */
    assert_int_equal(t_web_submit(c, "/schedule", "/schedule", &r,
                                  "email", "on", "frequency", "weekly",
                                  "weekday", "3", "hour", "25", "tz",
                                  "Mars/Olympus_Mons", "max_items", "10",
                                  "max_per_goal", "3", "min_score", "1.5",
                                  "format", "text", (char *)NULL), 400);
    assert_true(t_web_has(&r, "id=\"hour-error\""));
    assert_true(t_web_has(&r, "id=\"tz-error\">An IANA time zone"));
    assert_true(t_web_has(&r, "value=\"Mars/Olympus_Mons\""));
    t_web_free(&r);
    struct sched_copy s = sched_of(in, in->alice);
    assert_int_equal(s.weekly, 0);
    assert_int_equal(s.max_items, 20);
    assert_string_equal(s.tz, "UTC");
    assert_int_equal(t_web_submit(c, "/schedule", "/schedule", &r,
                                  "frequency", "weekly", "weekday", "3", "hour",
                                  "9", "tz", "Europe/London", "max_items", "10",
                                  "max_per_goal", "3", "min_score", "1.5",
                                  "format", "text", "pause_until", "",
                                  (char *)NULL), 303);
    t_web_free(&r);
    s = sched_of(in, in->alice);
    assert_int_equal(s.weekly, 1);
    assert_int_equal(s.weekday, 3);
    assert_int_equal(s.hour, 9);
    assert_int_equal(s.email, 0);
    assert_int_equal(s.html, 0);
    assert_int_equal(s.max_items, 10);
    assert_true(s.min_score == 1.5);
    assert_string_equal(s.tz, "Europe/London");
    /* Hostile values. */
    assert_int_equal(t_web_submit(c, "/schedule", "/schedule", &r,
                                  "frequency", "hourly", "weekday", "-1",
                                  "hour", "1e3", "tz", "../../etc/passwd",
                                  "max_items", "0", "max_per_goal", "101",
                                  "min_score", "nan", "format", "pdf",
                                  "pause_until", "tomorrow", (char *)NULL),
                     400);
    t_web_free(&r);
    s = sched_of(in, in->alice);
    assert_int_equal(s.hour, 9);
    curl_easy_cleanup(c);
    inst_free(in);
}

static void
test_portfolio_and_journal(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    CURL *eve = t_web_client(in->srv.port);
    struct t_resp r;
    char item[32];
    struct counts n;

    snprintf(item, sizeof item, "%lld", in->item[0]);
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_login(eve, "eve", T_WEB_PW), 303);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "save", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/portfolio", &r), 200);
    assert_true(t_web_has(&r, "Coaching &lt;script&gt;"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/portfolio", "/portfolio", &r,
                                  "item", item, "act", "note", "note",
                                  "Useful <b>for</b> 1:1s", (char *)NULL), 303);
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.saved, 1);
    assert_string_equal(n.note, "Useful <b>for</b> 1:1s");
    char *long_note = malloc(10002);
    memset(long_note, 'n', 10001);
    long_note[10001] = '\0';
    assert_int_equal(t_web_submit(c, "/portfolio", "/portfolio", &r,
                                  "item", item, "act", "note", "note",
                                  long_note, (char *)NULL), 400);
    assert_true(t_web_has(&r, "at most 10,000 bytes"));
    t_web_free(&r);
    free(long_note);
    n = profile_counts(in, in->alice);
    assert_string_equal(n.note, "Useful <b>for</b> 1:1s");
    assert_int_equal(t_web_get(c, "/portfolio", &r), 200);
    assert_true(t_web_has(&r, "Useful &lt;b&gt;for&lt;/b&gt; 1:1s"));
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/portfolio.atom", &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Type: application/atom+xml"));
    assert_true(xml_root_is(r.body.data, r.body.len, "feed"));
    assert_true(t_web_has(&r, "<content type=\"text\">Useful &lt;b&gt;for"));
    t_web_free(&r);
    /* Eve cannot touch alice's portfolio item. */
    assert_int_equal(t_web_submit(eve, "/portfolio", "/portfolio", &r,
                                  "item", item, "act", "remove", (char *)NULL),
                     404);
    t_web_free(&r);

    /* The journal: an entry about the item, one without, search,
     * edit, refusals, delete. */
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "add", "item", item, "body",
                                  "Tried the reflective listening idea.\nIt "
                                  "worked <well>.", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "add", "body", "Planning next quarter",
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "add", "body", "  \r\n ", (char *)NULL), 400);
    assert_true(t_web_has(&r, "Write something first."));
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.journal, 2);
    assert_int_equal(t_web_get(c, "/journal?q=reflect", &r), 200);
    assert_true(t_web_has(&r, "reflective listening"));
    assert_true(t_web_has(&r, "worked &lt;well&gt;."));
    assert_false(t_web_has(&r, "Planning next quarter"));
    t_web_free(&r);
    /* FTS syntax in a search is just words. */
    assert_int_equal(t_web_get(c, "/journal?q=%22%20OR%20*%20NEAR(", &r), 200);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/journal?q=quart", &r), 200);
    assert_true(t_web_has(&r, "Planning next quarter"));
    const char *e = strstr(r.body.data, "/journal?edit=");
    assert_non_null(e);
    char id[32];
    snprintf(id, sizeof id, "%lld", strtoll(e + 14, NULL, 10));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "update", "id", id, "body",
                                  "Planning next quarter: done", (char *)NULL),
                     303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(eve, "/journal", "/journal", &r, "act",
                                  "update", "id", id, "body", "hijack",
                                  (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(t_web_submit(eve, "/journal", "/journal", &r, "act",
                                  "delete", "id", id, (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/journal", &r), 200);
    assert_true(t_web_has(&r, "Planning next quarter: done"));
    assert_false(t_web_has(&r, "hijack"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "delete", "id", id, (char *)NULL), 303);
    t_web_free(&r);
    n = profile_counts(in, in->alice);
    assert_int_equal(n.journal, 1);
    curl_easy_cleanup(c);
    curl_easy_cleanup(eve);
    inst_free(in);
}

static void
test_signed_links(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    char path[256], tok[TOKEN_LEN + 1], extra[48], bad[TOKEN_LEN + 1];

    /* Unsubscribe: GET confirms only, POST (no cookie) unsubscribes. */
    token_make(in->key, "unsubscribe", in->alice, NULL, tok);
    snprintf(path, sizeof path, "/unsubscribe?u=%lld&t=%s", in->alice, tok);
    assert_int_equal(t_web_get(c, path, &r), 200);
    assert_true(t_web_has(&r, "name=\"List-Unsubscribe\" value=\"One-Click\""));
    t_web_free(&r);
    assert_int_equal(digest_email_on(in, in->alice), 1);
    assert_int_equal(t_web_post(c, path, "List-Unsubscribe=One-Click",
                                &r), 200);
    assert_true(t_web_has(&r, "You are unsubscribed"));
    t_web_free(&r);
    assert_int_equal(digest_email_on(in, in->alice), 0);
    /* Off by one byte, or another user's: 403. */
    memcpy(bad, tok, sizeof bad);
    bad[5] = bad[5] == 'A' ? 'B' : 'A';
    snprintf(path, sizeof path, "/unsubscribe?u=%lld&t=%s", in->alice, bad);
    assert_int_equal(t_web_post(c, path, "List-Unsubscribe=One-Click",
                                &r), 403);
    t_web_free(&r);
    snprintf(path, sizeof path, "/unsubscribe?u=%lld&t=%s", in->eve, tok);
    assert_int_equal(t_web_post(c, path, "List-Unsubscribe=One-Click",
                                &r), 403);
    t_web_free(&r);
    assert_int_equal(digest_email_on(in, in->eve), 1);

    /* Votes: GET shows a button and records nothing. */
    snprintf(extra, sizeof extra, "%lld:down", in->item[1]);
    token_make(in->key, "feedback", in->alice, extra, tok);
    snprintf(path, sizeof path, "/vote?u=%lld&i=%lld&v=down&t=%s",
             in->alice, in->item[1], tok);
    assert_int_equal(t_web_get(c, path, &r), 200);
    assert_true(t_web_has(&r, "Less like this?"));
    assert_true(t_web_has(&r, "Feedback that lands"));
    t_web_free(&r);
    assert_int_equal(profile_counts(in, in->alice).verdicts, 0);
    assert_int_equal(t_web_post(c, path, "", &r), 200);
    t_web_free(&r);
    struct counts n = profile_counts(in, in->alice);
    assert_int_equal(n.verdicts, 1);
    assert_int_equal(n.last_verdict, -1);
    /* The same token does not vote up, nor for another item. */
    snprintf(path, sizeof path, "/vote?u=%lld&i=%lld&v=up&t=%s", in->alice,
             in->item[1], tok);
    assert_int_equal(t_web_post(c, path, "", &r), 403);
    t_web_free(&r);
    snprintf(path, sizeof path, "/vote?u=%lld&i=%lld&v=down&t=%s",
             in->alice, in->item[0], tok);
    assert_int_equal(t_web_post(c, path, "", &r), 403);
    t_web_free(&r);
    assert_int_equal(profile_counts(in, in->alice).last_verdict, -1);

    /* The private feed: valid Atom, escaped, the ranked items. */
    token_make(in->key, "feed", in->alice, NULL, tok);
    snprintf(path, sizeof path, "/feed/%lld/%s.atom", in->alice, tok);
    assert_int_equal(t_web_get(c, path, &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Type: application/atom+xml"));
    assert_true(xml_root_is(r.body.data, r.body.len, "feed"));
    assert_true(t_web_has(&r,
                          "Coaching &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_true(t_web_has(&r, "<entry>"));
    assert_false(t_web_has(&r, "Onboarding in ninety days"));
    t_web_free(&r);
    snprintf(path, sizeof path, "/feed/%lld/%s.atom", in->eve, tok);
    assert_int_equal(t_web_get(c, path, &r), 403);
    t_web_free(&r);
    snprintf(path, sizeof path, "/feed/%lld/%s.xml", in->alice, tok);
    assert_int_equal(t_web_get(c, path, &r), 403);
    t_web_free(&r);
    curl_easy_cleanup(c);
    inst_free(in);
}


static void
test_account(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *c = t_web_client(in->srv.port);
    CURL *other = t_web_client(in->srv.port);
    struct t_resp r;
    struct store_user_info u;
    struct store *st;

    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_login(other, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_get(c, "/account", &r), 200);
    assert_true(t_web_has(&r, "alice@example.org"));
    assert_true(t_web_has(&r, "/feed/"));
    t_web_free(&r);
    /* Email: refused with a header injection, saved when good. */
    assert_int_equal(t_web_submit(c, "/account", "/account", &r,
                                  "email", "a@b.example\r\nBcc: x@y.example",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "id=\"email-error\""));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account", &r,
                                  "email", "alice@new.example", (char *)NULL),
                     303);
    t_web_free(&r);
    st = t_web_store(&in->srv);
    assert_int_equal(store_user_info(st, in->alice, &u), CUR_OK);
    store_close(st);
    assert_string_equal(u.email, "alice@new.example");
    /* Password: the current one first; the two new ones agree. */
    assert_int_equal(t_web_submit(c, "/account", "/account/password",
                                  &r, "current", "not it", "password",
                                  "a new long password", "password2",
                                  "a new long password", (char *)NULL), 400);
    assert_true(t_web_has(&r, "That is not your current password."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account/password",
                                  &r, "current", T_WEB_PW, "password", "short",
                                  "password2", "short", (char *)NULL), 400);
    assert_true(t_web_has(&r, "Use at least 8 characters."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account/password",
                                  &r, "current", T_WEB_PW, "password",
                                  "a new long password", "password2",
                                  "a different one", (char *)NULL), 400);
    assert_true(t_web_has(&r, "The two passwords differ."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account/password",
                                  &r, "current", T_WEB_PW, "password",
                                  "a new long password", "password2",
                                  "a new long password", (char *)NULL), 303);
    t_web_free(&r);
    /* This session stays, the other one is signed out. */
    assert_int_equal(t_web_get(c, "/account", &r), 200);
    t_web_free(&r);
    assert_int_equal(t_web_get(other, "/account", &r), 303);
    t_web_free(&r);
    CURL *fresh = t_web_client(in->srv.port);
    assert_int_equal(t_web_login(fresh, "alice", T_WEB_PW), 401);
    assert_int_equal(t_web_login(fresh, "alice", "a new long password"), 303);
    curl_easy_cleanup(fresh);
    /* The stored hash is argon2id. */
    char hash[256];
    long long id;
    st = t_web_store(&in->srv);
    assert_int_equal(store_user_password_hash(st, "alice", &id, hash,
                                              sizeof hash), CUR_OK);
    store_close(st);
    assert_true(strncmp(hash, "$argon2id$", 10) == 0);
    /* Delete: the box and the password, then everything is gone. */
    assert_int_equal(t_web_submit(c, "/account", "/account/delete", &r,
                                  "current_delete", "a new long password",
                                  (char *)NULL), 400);
    assert_true(t_web_has(&r, "Tick the box to confirm."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account/delete", &r,
                                  "current_delete", "wrong password", "confirm",
                                  "yes", (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/account", "/account/delete", &r,
                                  "current_delete", "a new long password",
                                  "confirm", "yes", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /?done=deleted"));
    t_web_free(&r);
    st = t_web_store(&in->srv);
    assert_int_equal(store_user_info(st, in->alice, &u), CUR_ENOTFOUND);
    struct counts n = { 0 };
    assert_int_equal(store_subscription_list(st, in->alice, count_weight,
                                             &n), CUR_OK);
    assert_int_equal(n.subs, 0);
    store_close(st);
    assert_int_equal(t_web_get(c, "/today", &r), 303);
    t_web_free(&r);
    curl_easy_cleanup(c);
    curl_easy_cleanup(other);
    inst_free(in);
}

static void
test_export_import(void **state)
{
    (void)state;
    struct inst *from = inst_new(1, 0);
    CURL *c = t_web_client(from->srv.port);
    struct t_resp r;
    char item[32];

    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    snprintf(item, sizeof item, "%lld", from->item[0]);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "save", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/portfolio", "/portfolio", &r,
                                  "item", item, "act", "note", "note",
                                  "My \"note\" \xE2\x9C\x93", (char *)NULL),
                     303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/today", "/today/act", &r, "item",
                                  item, "act", "down", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/journal", "/journal", &r, "act",
                                  "add", "item", item, "body", "Entry one",
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "2", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "2", "term.1",
                                  "\"hard sell\"", "weight.1", "-2", "mutes",
                                  "spam", "action", "save", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/account/export.json", &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Disposition: attachment; "
                                  "filename=\"curator-alice-"));
    json_error_t je;
    json_t *doc = json_loadb(r.body.data, r.body.len, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "format")),
                        "curator-export");
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "goals")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "interests")), 2);
    assert_int_equal(json_array_size(json_object_get(doc,
                                                     "subscriptions")), 2);
    assert_int_equal(json_array_size(json_object_get(doc, "saved")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "journal")), 1);
    assert_int_equal(json_array_size(json_object_get(doc, "feedback")), 1);
    json_t *saved = json_array_get(json_object_get(doc, "saved"), 0);
    assert_string_equal(json_string_value(json_object_get(saved, "note")),
                        "My \"note\" \xE2\x9C\x93");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(saved, "item"), "feed")), "https://a.example/feed");
    json_decref(doc);
    char *exported = buf_steal(&r.body);
    size_t exported_len = strlen(exported);
    t_web_free(&r);
    curl_easy_cleanup(c);

    /* A fresh Curator with one empty account. */
    struct inst *to = inst_new(0, 0);
    struct store *st = t_web_store(&to->srv);
    long long bob;
    assert_int_equal(store_user_add(st, "bob", "bob@example.org", &bob),
                     CUR_OK);
    assert_int_equal(store_user_set_password(st, bob, T_WEB_PW), CUR_OK);
    store_close(st);
    c = t_web_client(to->srv.port);
    assert_int_equal(t_web_login(c, "bob", T_WEB_PW), 303);
    /* Broken imports: refused with the reason, nothing stored. */
    const char *not_json = "{\"format\": ";
    assert_int_equal(t_web_upload(c, "/account", "/account/import",
                                  "export", "x.json", not_json,
                                  strlen(not_json), &r), 400);
    assert_true(t_web_has(&r, "not JSON"));
    t_web_free(&r);
    const char *other = "{\"format\": \"something-else\", \"version\": 1}";
    assert_int_equal(t_web_upload(c, "/account", "/account/import",
                                  "export", "x.json", other, strlen(other), &r),
                     400);
    assert_true(t_web_has(&r, "not a Curator export"));
    t_web_free(&r);
    const char *late_bad =
        "{\"format\": \"curator-export\", \"version\": 1, \"goals\": "
        "[\"Fine\"], \"interests\": [{\"term\": \"ok\", \"weight\": 99}]}";
    assert_int_equal(t_web_upload(c, "/account", "/account/import",
                                  "export", "x.json", late_bad,
                                  strlen(late_bad), &r), 400);
    assert_true(t_web_has(&r,
                          "interests[0].weight must be a number from -10 to "
                              "10"));
    t_web_free(&r);
    const char *file_url =
        "{\"format\": \"curator-export\", \"version\": 1, \"subscriptions\": "
        "[{\"url\": \"file:///etc/passwd\"}]}";
    /* A local feed of the old server is matched, never made. */
    assert_int_equal(t_web_upload(c, "/account", "/account/import",
                                  "export", "x.json", file_url,
                                  strlen(file_url), &r), 303);
    t_web_free(&r);
    long long fid;
    st = t_web_store(&to->srv);
    assert_int_equal(store_feed_find(st, "file:///etc/passwd", &fid),
                     CUR_ENOTFOUND);
    store_close(st);
    struct counts n = profile_counts(to, bob);
    assert_int_equal(n.goals + n.interests + n.subs + n.saved, 0);
    /* The real export: everything arrives; twice is the same as once. */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(t_web_upload(c, "/account", "/account/import",
                                      "export", "alice.json", exported,
                                      exported_len, &r), 303);
        t_web_free(&r);
    }
    n = profile_counts(to, bob);
    assert_int_equal(n.goals, 1);
    assert_int_equal(n.interests, 2);
    assert_int_equal(n.mutes, 1);
    assert_int_equal(n.subs, 2);
    assert_int_equal(n.saved, 1);
    assert_string_equal(n.note, "My \"note\" \xE2\x9C\x93");
    assert_int_equal(n.journal, 1);
    assert_int_equal(n.verdicts, 1);
    assert_int_equal(n.last_verdict, -1);
    assert_int_equal(t_web_get(c, "/portfolio", &r), 200);
    assert_true(t_web_has(&r, "Coaching &lt;script&gt;alert(1)&lt;/script&gt; "
                              "tips"));
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/journal", &r), 200);
    assert_true(t_web_has(&r, "Entry one"));
    t_web_free(&r);
    free(exported);
    curl_easy_cleanup(c);
    inst_free(to);
    inst_free(from);
}

static void
test_admin_invite_roles(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *ad = t_web_client(in->srv.port);
    CURL *eve = t_web_client(in->srv.port);
    CURL *anon = t_web_client(in->srv.port);
    struct t_resp r;
    char path[200];

    assert_int_equal(t_web_login(ad, "ad", T_WEB_PW), 303);
    assert_int_equal(t_web_login(eve, "eve", T_WEB_PW), 303);
    assert_int_equal(t_web_submit(ad, "/admin", "/admin", &r, "act",
                                  "invite", "role", "editor", "days", "0",
                                  (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ad, "/admin", "/admin", &r, "act",
                                  "invite", "role", "root", "days", "7",
                                  (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ad, "/admin", "/admin", &r, "act",
                                  "invite", "role", "editor", "days", "7",
                                  (char *)NULL), 200);
    const char *l = strstr(r.body.data, "/invite/");
    assert_non_null(l);
    snprintf(path, sizeof path, "%.*s", (int)(8 + STORE_TOKEN_LEN), l);
    t_web_free(&r);
    /* The invitation: a form; bad input told; then an editor account,
     * signed in; the link works once. */
    assert_int_equal(t_web_get(anon, path, &r), 200);
    assert_true(t_web_has(&r, "This invitation makes you an editor."));
    t_web_free(&r);
    assert_int_equal(t_web_submit(anon, path, path, &r, "name",
                                  "<b>x</b>", "email", "nope", "password", "pw",
                                  "password2", "pw", (char *)NULL), 400);
    assert_true(t_web_has(&r, "id=\"name-error\""));
    assert_true(t_web_has(&r, "id=\"email-error\""));
    assert_true(t_web_has(&r, "id=\"password-error\""));
    t_web_free(&r);
    assert_int_equal(t_web_submit(anon, path, path, &r, "name", "alice",
                                  "email", "x@example.org", "password",
                                  "long enough pw", "password2",
                                  "long enough pw", (char *)NULL), 400);
    assert_true(t_web_has(&r, "That name is taken"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(anon, path, path, &r, "name", "nina",
                                  "email", "nina@example.org", "password",
                                  "long enough pw", "password2",
                                  "long enough pw", (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(anon, "/gems", &r), 200);
    t_web_free(&r);
    CURL *again = t_web_client(in->srv.port);
    assert_int_equal(t_web_get(again, path, &r), 404);
    t_web_free(&r);
    curl_easy_cleanup(again);
    /* A role change ends the user's sessions. */
    char uid[32];
    snprintf(uid, sizeof uid, "%lld", in->eve);
    assert_int_equal(t_web_submit(ad, "/admin", "/admin", &r, "act",
                                  "role", "user", uid, "role", "editor",
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(eve, "/today", &r), 303);
    t_web_free(&r);
    assert_int_equal(t_web_login(eve, "eve", T_WEB_PW), 303);
    assert_int_equal(t_web_get(eve, "/gems", &r), 200);
    t_web_free(&r);
    /* No admin can demote themselves. */
    snprintf(uid, sizeof uid, "%lld", in->ad);
    assert_int_equal(t_web_submit(ad, "/admin", "/admin", &r, "act",
                                  "role", "user", uid, "role", "subscriber",
                                  (char *)NULL), 400);
    t_web_free(&r);
    /* Invitations from the store (the CLI's way). */
    char token[STORE_TOKEN_LEN + 1];
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_invite_create(st, "subscriber", time(NULL) - 1, 0,
                                         token), CUR_OK);
    store_close(st);
    snprintf(path, sizeof path, "/invite/%s", token);
    again = t_web_client(in->srv.port);
    assert_int_equal(t_web_get(again, path, &r), 404);
    t_web_free(&r);
    curl_easy_cleanup(again);
    curl_easy_cleanup(ad);
    curl_easy_cleanup(eve);
    curl_easy_cleanup(anon);
    inst_free(in);
}

struct gem_seen {
    char note[128];
};

static int
gem_cb(void *ctx, const struct store_scoring_item *it)
{
    struct gem_seen *g = ctx;
    snprintf(g->note, sizeof g->note, "%s", it->gem_note ? it->gem_note : "");
    return 0;
}

static void
test_gems(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 0);
    CURL *ed = t_web_client(in->srv.port);
    struct t_resp r;
    char item[32];
    snprintf(item, sizeof item, "%lld", in->item[2]);
    assert_int_equal(t_web_login(ed, "ed", T_WEB_PW), 303);
    assert_int_equal(t_web_get(ed, "/gems", &r), 200);
    assert_true(t_web_has(&r, "Onboarding in ninety days"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, "/gems", "/gems", &r, "item", item,
                                  "note", "", "days", "14", (char *)NULL), 400);
    assert_true(t_web_has(&r, "Write a note"));
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, "/gems", "/gems", &r, "item",
                                  "99999", "note", "x", (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, "/gems", "/gems", &r, "item", item,
                                  "note", "Every new lead <should> read it",
                                  "audience", "Leadership", "days", "14",
                                  (char *)NULL), 303);
    t_web_free(&r);
    struct gem_seen g = { "" };
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_scoring_item(st, in->item[2], time(NULL), gem_cb,
                                        &g), CUR_OK);
    store_close(st);
    assert_string_equal(g.note, "Every new lead <should> read it");
    curl_easy_cleanup(ed);
    inst_free(in);
}

static void
test_signup(void **state)
{
    (void)state;
    struct inst *in = inst_new(1, 1);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    long long n0, n1;
    struct store *st = t_web_store(&in->srv);
    store_user_count(st, &n0);
    store_close(st);
    assert_int_equal(t_web_get(c, "/signup", &r), 200);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/signup", "/signup", &r, "name",
                                  "sam", "email", "sam@example.org\r\nBcc: x@y",
                                  "password", "long enough pw", "password2",
                                  "long enough pw", (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(t_web_submit(c, "/signup", "/signup", &r, "name",
                                  "'; DROP TABLE items;--", "email",
                                  "sam@example.org", "password",
                                  "long enough pw", "password2",
                                  "long enough pw", (char *)NULL),
                     400);
    assert_true(t_web_has(&r, "value=\"&#39;; DROP TABLE items;--\""));
    t_web_free(&r);
    st = t_web_store(&in->srv);
    store_user_count(st, &n1);
    long long items = 0;
    store_item_count(st, &items);
    store_close(st);
    assert_int_equal(n1, n0);
    assert_int_equal(items, 6);
    assert_int_equal(t_web_submit(c, "/signup", "/signup", &r, "name",
                                  "sam", "email", "sam@example.org", "password",
                                  "long enough pw", "password2",
                                  "long enough pw", (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /today?done=welcome"));
    t_web_free(&r);
    assert_int_equal(t_web_get(c, "/today?done=welcome", &r), 200);
    assert_true(t_web_has(&r, "Welcome to Curator."));
    t_web_free(&r);
    curl_easy_cleanup(c);
    inst_free(in);
}

/* WEB-1: one address past its connection limit is refused while another
 * address is served. */
static void
test_per_ip_limit(void **state)
{
    (void)state;
    struct inst *in = calloc(1, sizeof *in);
    t_web_init(&in->srv);
    seed(in);
    struct web_cfg wc = { .address = "127.0.0.1", .threads = 2,
                          .allow_private = 1, .per_ip = 4 };
    t_web_start(&in->srv, &wc);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)in->srv.port) };
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof sa),
                         0);
    }
    usleep(200 * 1000);
    CURL *c = t_web_client(in->srv.port);
    CURL *other = t_web_client(in->srv.port);
    curl_easy_setopt(other, CURLOPT_INTERFACE, "127.0.0.2");
    struct t_resp r;
    assert_int_equal(t_web_get(c, "/healthz", &r), 0);
    t_web_free(&r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(t_web_get(other, "/healthz", &r), 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    t_web_free(&r);
    for (int i = 0; i < 4; i++)
        close(fds[i]);
    usleep(300 * 1000);
    assert_int_equal(t_web_get(c, "/healthz", &r), 200);
    t_web_free(&r);
    curl_easy_cleanup(c);
    curl_easy_cleanup(other);
    inst_free(in);
}




/* With the config's filters, the preview is the real filter chain on a
 * private copy: its reasons are the keyword filter's own. */
static void
test_preview_with_filters(void **state)
{
    (void)state;
    struct inst *in = calloc(1, sizeof *in);
    char *text, *path, err[CONFIG_ERR_MAX];
    struct config *cfg;
    t_web_init(&in->srv);
    seed(in);
    assert_true(asprintf(&text, "[store]\npath = curator.db\n"
                         "[score]\nfilter_dir = %s/filters\n"
                         "[filter keyword]\n[filter mute]\n"
                         "[filter recency]\n", t_build_abs()) > 0);
    path = t_write_file(in->srv.dir, "curator.ini", text);
    free(text);
    assert_int_equal(config_load(path, &cfg, err, sizeof err), CUR_OK);
    struct web_cfg wc = { .address = "127.0.0.1", .threads = 2,
                          .config = cfg };
    t_web_start(&in->srv, &wc);
    CURL *c = t_web_client(in->srv.port);
    struct t_resp r;
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r,
                                  "rows", "2", "orig.0", "coaching", "term.0",
                                  "coaching", "weight.0", "2", "term.1",
                                  "onboarding", "weight.1", "5", "mutes",
                                  "mentoring", "action", "preview",
                                  (char *)NULL),
                     200);
    assert_true(t_web_has(&r, "by the same filters as your digest"));
    const char *mine = strstr(r.body.data, "With your changes");
    assert_non_null(mine);
    assert_non_null(strstr(mine, "Onboarding in ninety days"));
    assert_non_null(strstr(mine, "&quot;onboarding&quot;"));
    /* The muted word keeps its item out of the preview. */
    assert_null(strstr(mine, "Mentoring programmes"));
    t_web_free(&r);
    /* Nothing of it was stored. */
    struct counts n = profile_counts(in, in->alice);
    assert_int_equal(n.interests, 1);
    assert_int_equal(n.mutes, 0);
    curl_easy_cleanup(c);
    inst_free(in);
    config_free(cfg);
    free(path);
}

/* The real daemon: it polls and scores, the web signs alice in and shows
 * her ranking; a change of interests through the web is picked up by
 * the daemon's scorer on its own. */
struct daemon_wait {
    const char *db;
    const char *needle;         /* in a reason of alice's top scores */
    int min;
};

static int
top_row(void *ctx, const struct store_scored *s)
{
    struct daemon_wait *w = ctx;
    if (w->needle == NULL || strstr(s->reasons, w->needle))
        w->min--;
    return 0;
}

static int
daemon_scored(void *arg)
{
    struct daemon_wait *w = arg, copy = *w;
    struct store *st;
    long long uid;
    if (access(w->db, F_OK) != 0 || store_open(w->db, &st) != CUR_OK)
        return 0;
    if (store_user_find(st, "alice", &uid) == CUR_OK)
        store_score_top(st, uid, 0, 0, 50, top_row, &copy);
    store_close(st);
    return copy.min <= 0;
}


static const char *daemon_dir;

static void
test_real_daemon(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), *www, *db, *cfg_text, *config, *errlog;
    assert_true(asprintf(&www, "%s/www", dir) > 0);
    assert_true(asprintf(&db, "%s/curator.db", dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    char *sp;
    assert_true(asprintf(&sp, "%s/spool", dir) > 0);
    assert_int_equal(mkdir(sp, 0700), 0);
    free(sp);
    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);
    struct t_http *h = t_http_start(www);
    unsigned port = t_free_port();
    assert_true(asprintf(&cfg_text,
        "[store]\npath = curator.db\n[log]\nlevel = warn\n"
        "[web]\naddress = 127.0.0.1\nport = %u\nthreads = 2\n"
        "[poll]\ninterval = 1h\ntick = 1s\ntimeout = 10s\n"
        "[digest]\ninterval = 1d\nspool = spool\n"
        "[score]\nwindow = 30d\nfilter_dir = %s/filters\n"
        "[filter keyword]\n[filter mute]\n[filter recency]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = fixture:2\n"
        "[feeds]\nfixture = http://127.0.0.1:%u/feed.xml\n",
        port, t_build_abs(), t_http_port(h)) > 0);
    config = t_write_file(dir, "curator.ini", cfg_text);
    free(cfg_text);
    assert_true(asprintf(&errlog, "%s/stderr.log", dir) > 0);
    pid_t pid = t_daemon_spawn(config, NULL, errlog);
    free(errlog);
    assert_true(pid > 0);
    daemon_dir = dir;
    struct daemon_wait w = { db, "fixture", 1 };
    assert_true(t_wait_for(daemon_scored, &w, 30000));

    /* A password for the demo user, the CLI's way. */
    struct store *st;
    long long uid;
    assert_int_equal(store_open(db, &st), CUR_OK);
    assert_int_equal(store_user_find(st, "alice", &uid), CUR_OK);
    assert_int_equal(store_user_set_password(st, uid, T_WEB_PW), CUR_OK);
    store_close(st);

    CURL *c = t_web_client(port);
    struct t_resp r;
    assert_int_equal(t_web_login(c, "alice", T_WEB_PW), 303);
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    assert_true(t_web_has(&r, "First fixture item"));
    assert_true(t_web_has(&r, "Second fixture item"));
    assert_false(t_web_has(&r, "Third &amp; last item"));
    assert_true(t_web_has(&r, "&quot;fixture&quot;"));
    assert_true(t_web_hdr_has(&r,
                              "Content-Security-Policy: default-src 'none'"));
    t_web_free(&r);
    /* A new interest through the web; the daemon rescores alone. */
    assert_int_equal(t_web_submit(c, "/interests", "/interests", &r, "rows",
                                  "2", "orig.0", "fixture", "term.0", "fixture",
                                  "weight.0", "2", "term.1", "ampersand",
                                  "weight.1", "5", "action", "save",
                                  (char *)NULL), 303);
    t_web_free(&r);
    struct daemon_wait w2 = { db, "ampersand", 1 };
    assert_true(t_wait_for(daemon_scored, &w2, 30000));
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    assert_true(t_web_has(&r, "&quot;ampersand&quot;"));
    assert_true(t_web_has(&r, "Third &amp; last item"));
    t_web_free(&r);

    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(t_daemon_wait(pid, 30000), 0);
    curl_easy_cleanup(c);
    t_http_stop(h);
    t_rmtree(dir);
    daemon_dir = NULL;
    free(config);
    free(db);
    free(www);
    free(dir);
}

/* A failed assertion jumps out of the test: the daemon must not stay. */
static int
daemon_teardown(void **state)
{
    t_daemon_teardown(state);
    if (daemon_dir != NULL)
        t_rmtree(daemon_dir);
    daemon_dir = NULL;
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_not_found),
        cmocka_unit_test(test_static_caching),
        cmocka_unit_test(test_home_anonymous),
        cmocka_unit_test(test_login_logout_cookie),
        cmocka_unit_test(test_login_refusals),
        cmocka_unit_test(test_today_ranked),
        cmocka_unit_test(test_today_actions),
        cmocka_unit_test(test_interests_edit),
        cmocka_unit_test(test_route_matrix_get),
        cmocka_unit_test(test_route_matrix_post),
        cmocka_unit_test(test_csrf_and_origin),
        cmocka_unit_test(test_size_limits),
        cmocka_unit_test(test_login_throttle),
        cmocka_unit_test(test_session_idle_expiry),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_sources_private_refused),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_portfolio_and_journal),
        cmocka_unit_test(test_signed_links),
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_export_import),
        cmocka_unit_test(test_admin_invite_roles),
        cmocka_unit_test(test_gems),
        cmocka_unit_test(test_signup),
        cmocka_unit_test(test_per_ip_limit),
        cmocka_unit_test(test_preview_with_filters),
        cmocka_unit_test_teardown(test_real_daemon, daemon_teardown),
    };
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: web", tests,
                                         group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
