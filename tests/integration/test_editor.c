/* Integration: the editors' pages over HTTP with libcurl, on a server
 * started in-process (web_start()) over a temporary store seeded through
 * the store's own functions. Every editor route for each role; the
 * Recent search by words, feed, tag and dates, with hostile search text
 * that must never bring a 500; tagging a gem with tags, an audience of
 * goals and teams, and an expiry, bad fields refused with nothing
 * stored, and the gem reaching a team member through the real gems
 * filter; Reach's counts (and no names); collections made, filled,
 * emptied and deleted, followed from the Sources page (a feed added
 * later reaches followers, nobody is unsubscribed by a removal), and
 * their OPML read back with curator/opml.h. Also the store: a profile
 * carries the user's teams.
 */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "opml.h"
#include "score.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "webclient.h"

#define DAY 86400LL
#define N_BULK 60               /* items in the third feed, for paging */

struct inst {
    struct t_web srv;
    long long alice, eve, sam, ed, ed2, ad, team;
    long long feed1, feed2, feed3;
    long long coaching, feedback, onboarding, mentoring, budget;
    long long now;
};

static struct inst *in;

/* ---- HTTP. ---- */

/* A path with one query argument percent-encoded. */
static char *
with_arg(CURL *c, const char *path, const char *name, const char *value)
{
    char *e = curl_easy_escape(c, value, 0), *s;
    assert_true(asprintf(&s, "%s?%s=%s", path, name, e) > 0);
    curl_free(e);
    return s;
}

/* A number as text, in one of four rotating buffers: use it at once. */
static char *
num(long long v)
{
    static char s[4][32];
    static int i;
    i = (i + 1) % 4;
    snprintf(s[i], sizeof s[i], "%lld", v);
    return s[i];
}

/* ---- Seeding. ---- */

static void
seed(void)
{
    struct store *st;
#define ITEM(title, tag, age) \
    { title, NULL, "Plain text about the subject of the title.", NULL, tag, \
      age }
    static const struct t_seed_item one[] = {
        ITEM("Coaching tips for new leads", "Leadership", 3600),
        ITEM("Feedback that lands", "People", 7200),
        ITEM("Onboarding in ninety days", NULL, 10 * DAY),
    };
    static const struct t_seed_item two[] = {
        ITEM("Mentoring programmes & <you>", NULL, 1800),
        ITEM("Quarterly budget notes", "Finance", 5400),
    };
    struct t_seed_item bulk[N_BULK];
    char titles[N_BULK][48];
    long long ids[N_BULK];

    st = t_web_store(&in->srv);
    in->alice = t_web_user(st, "alice", "subscriber", T_WEB_PW);
    in->eve = t_web_user(st, "eve", "subscriber", T_WEB_PW);
    in->sam = t_web_user(st, "sam", "subscriber", T_WEB_PW);
    in->ed = t_web_user(st, "ed", "editor", T_WEB_PW);
    in->ed2 = t_web_user(st, "ed2", "editor", T_WEB_PW);
    in->ad = t_web_user(st, "ad", "admin", T_WEB_PW);
    in->feed1 = t_web_seed_feed(st, "https://a.example/feed", "Alpha", one,
                                3, in->now, ids);
    in->coaching = ids[0];
    in->feedback = ids[1];
    in->onboarding = ids[2];
    in->feed2 = t_web_seed_feed(st, "https://b.example/feed", "Beta <News>",
                                two, 2, in->now, ids);
    in->mentoring = ids[0];
    in->budget = ids[1];
    for (size_t i = 0; i < N_BULK; i++) {
        snprintf(titles[i], sizeof titles[i], "Cluster note %02zu", i);
        bulk[i] = (struct t_seed_item)ITEM(titles[i], NULL,
                                           20 * DAY + (long)i);
    }
#undef ITEM
    in->feed3 = t_web_seed_feed(st, "https://c.example/feed", "Gamma", bulk,
                                N_BULK, in->now, NULL);
    /* alice and eve read feed 1 and care for coaching; alice is in the
     * Platform team. */
    assert_int_equal(store_subscribe(st, in->alice, in->feed1), CUR_OK);
    assert_int_equal(store_subscribe(st, in->eve, in->feed1), CUR_OK);
    assert_int_equal(store_interest_put(st, in->alice, "coaching", 2, 0, 0),
                     CUR_OK);
    assert_int_equal(store_interest_put(st, in->eve, "coaching", 2, 0, 0),
                     CUR_OK);
    assert_int_equal(store_team_add(st, "Platform", &in->team), CUR_OK);
    assert_int_equal(store_team_member_add(st, in->team, in->alice),
                     CUR_OK);
    store_close(st);
}

static int
group_setup(void **state)
{
    (void)state;
    log_open(NULL, LOG_ERR);
    in = calloc(1, sizeof *in);
    assert_non_null(in);
    in->now = (long long)time(NULL);
    t_web_init(&in->srv);
    seed();
    t_web_start(&in->srv, NULL);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    t_web_stop(&in->srv);
    free(in);
    return 0;
}

/* ---- Roles. ---- */

static void
test_routes(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/editor", "/editor?q=coaching", "/editor/reach",
        "/editor/collections", "/gems",
    };
    CURL *anon = t_web_client(in->srv.port);
    CURL *alice = t_web_signed_in(in->srv.port, "alice");
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    CURL *ad = t_web_signed_in(in->srv.port, "ad");
    struct t_resp r;

    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        assert_int_equal(t_web_get(anon, paths[i], &r), 303);
        assert_true(t_web_hdr_has(&r, "Location: /login?next=/"));
        t_web_free(&r);
        assert_int_equal(t_web_get(alice, paths[i], &r), 403);
        assert_false(t_web_has(&r, "Coaching tips"));
        t_web_free(&r);
        assert_int_equal(t_web_status(ed, paths[i]), 200);
        assert_int_equal(t_web_status(ad, paths[i]), 200);
    }
    /* Posts: anonymous, without a token, and as a subscriber with one. */
    static const char *const posts[] = { "/editor/collections", "/gems" };
    for (size_t i = 0; i < sizeof posts / sizeof *posts; i++) {
        assert_int_equal(t_web_post(anon, posts[i], "act=create&name=x", &r),
                         403);
        t_web_free(&r);
        assert_int_equal(t_web_post(ed, posts[i], "act=create&name=x", &r),
                         403);
        t_web_free(&r);
        assert_int_equal(t_web_submit(alice, "/today", posts[i], &r, "act",
                                      "create", "name", "x", "item",
                                      num(in->coaching), "note", "x",
                                      (char *)NULL), 403);
        t_web_free(&r);
    }
    /* The editors' pages read but never take GET-only paths by POST. */
    assert_int_equal(t_web_submit(ed, "/editor", "/editor", &r, "q", "x",
                                  (char *)NULL), 405);
    t_web_free(&r);
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_collection_find(st, "x", &(long long){ 0 }),
                     CUR_ENOTFOUND);
    store_close(st);
    /* The nav links the editors' pages to each other. */
    assert_int_equal(t_web_get(ed, "/editor/reach", &r), 200);
    assert_true(t_web_has(&r, "href=\"/editor/collections\""));
    assert_true(t_web_has(&r, "href=\"/editor\""));
    t_web_free(&r);
    curl_easy_cleanup(anon);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(ed);
    curl_easy_cleanup(ad);
}

/* ---- Recent. ---- */

static void
recent(CURL *c, const char *query, long want, struct t_resp *r)
{
    char *path;
    assert_true(asprintf(&path, "/editor%s%s", query[0] ? "?" : "", query)
                > 0);
    long got = t_web_get(c, path, r);
    if (got != want)
        fail_msg("GET %s: %ld, want %ld", path, got, want);
    free(path);
}

static void
day(long long t, char *out, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, len, "%Y-%m-%d", &tm);
}

static void
test_recent(void **state)
{
    (void)state;
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    struct t_resp r;
    char q[256], d1[16], d2[16];

    /* Everything, newest first: the newest item leads. */
    recent(ed, "", 200, &r);
    const char *m = strstr(r.body.data, "Mentoring programmes &amp; "
                           "&lt;you&gt;");
    const char *co = strstr(r.body.data, "Coaching tips for new leads");
    assert_non_null(m);
    assert_non_null(co);
    assert_true(m < co);
    assert_true(t_web_has(&r, "Beta &lt;News&gt;"));
    assert_false(t_web_has(&r, "<you>"));
    snprintf(q, sizeof q, "href=\"/gems?item=%lld\"", in->coaching);
    assert_true(t_web_has(&r, q));
    /* 65 items: a next page. */
    assert_true(t_web_has(&r, "rel=\"next\""));
    t_web_free(&r);
    recent(ed, "page=2", 200, &r);
    assert_true(t_web_has(&r, "Cluster note"));
    assert_true(t_web_has(&r, "rel=\"prev\""));
    assert_false(t_web_has(&r, "rel=\"next\""));
    t_web_free(&r);

    /* Words in the title, prefixes, phrases, exclusions. */
    recent(ed, "q=coaching", 200, &r);
    assert_true(t_web_has(&r, "Coaching tips"));
    assert_false(t_web_has(&r, "Mentoring"));
    assert_false(t_web_has(&r, "Feedback that lands"));
    t_web_free(&r);
    recent(ed, "q=COACH%2A", 200, &r);
    assert_true(t_web_has(&r, "Coaching tips"));
    t_web_free(&r);
    recent(ed, "q=%22ninety+days%22", 200, &r);
    assert_true(t_web_has(&r, "Onboarding in ninety days"));
    assert_false(t_web_has(&r, "Coaching tips"));
    t_web_free(&r);
    recent(ed, "q=%22days+ninety%22", 200, &r);
    assert_true(t_web_has(&r, "Nothing matches"));
    t_web_free(&r);
    recent(ed, "q=subject+-coaching", 200, &r);
    assert_false(t_web_has(&r, "Coaching tips"));
    assert_true(t_web_has(&r, "Feedback that lands"));
    t_web_free(&r);

    /* Feed, tag (a category, any case; or a gem's tag) and dates. */
    snprintf(q, sizeof q, "feed=%lld", in->feed2);
    recent(ed, q, 200, &r);
    assert_true(t_web_has(&r, "Mentoring"));
    assert_true(t_web_has(&r, "Quarterly budget"));
    assert_false(t_web_has(&r, "Coaching tips"));
    t_web_free(&r);
    snprintf(q, sizeof q, "q=coaching&feed=%lld", in->feed2);
    recent(ed, q, 200, &r);
    assert_true(t_web_has(&r, "Nothing matches"));
    t_web_free(&r);
    recent(ed, "tag=LEADERSHIP", 200, &r);
    assert_true(t_web_has(&r, "Coaching tips"));
    assert_false(t_web_has(&r, "Feedback that lands"));
    t_web_free(&r);
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_gem_put(st, in->budget, in->ed, "Numbers",
                                   "budgeting,finance-101", "", 0), CUR_OK);
    store_close(st);
    recent(ed, "tag=Budgeting", 200, &r);
    assert_true(t_web_has(&r, "Quarterly budget"));
    assert_true(t_web_has(&r, "<strong>gem</strong>"));
    assert_false(t_web_has(&r, "Coaching tips"));
    t_web_free(&r);
    recent(ed, "tag=budget", 200, &r);
    assert_true(t_web_has(&r, "Nothing matches"));
    t_web_free(&r);
    day(in->now - 12 * DAY, d1, sizeof d1);
    day(in->now - 8 * DAY, d2, sizeof d2);
    snprintf(q, sizeof q, "from=%s&to=%s", d1, d2);
    recent(ed, q, 200, &r);
    assert_true(t_web_has(&r, "Onboarding in ninety days"));
    assert_false(t_web_has(&r, "Coaching tips"));
    assert_false(t_web_has(&r, "Cluster note"));
    t_web_free(&r);
    /* The last day counts whole. */
    day(in->now - 10 * DAY, d1, sizeof d1);
    snprintf(q, sizeof q, "from=%s&to=%s", d1, d1);
    recent(ed, q, 200, &r);
    assert_true(t_web_has(&r, "Onboarding in ninety days"));
    t_web_free(&r);
    curl_easy_cleanup(ed);
}

static void
test_recent_hostile(void **state)
{
    (void)state;
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    static const char *const hostile[] = {
        "\"", "\"\"", "AND OR", "OR", "NOT", "*", "**", "NEAR(", "NEAR(a b",
        "a NEAR/2 b", "title:coaching", "{title}: x", "^coaching", "a + b",
        "(", ")", "-", "--", "-\"", "- -", "coaching*\"", "\"a\" OR \"b\"",
        "'; DROP TABLE items;--", "\\", "%", "_", "a\"b\"c", "x -y -z",
        "caf\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80*",
    };
    struct t_resp r;
    char *path;

    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        path = with_arg(ed, "/editor", "q", hostile[i]);
        long st = t_web_get(ed, path, &r);
        if (st != 200 && !(st == 400 && t_web_has(&r, "id=\"q-error\"")))
            fail_msg("q=%s: %ld", hostile[i], st);
        t_web_free(&r);
        free(path);
    }
    /* Only exclusions, or nothing searchable: 400 with the reason. */
    recent(ed, "q=-coaching", 400, &r);
    assert_true(t_web_has(&r, "not only what to leave out"));
    t_web_free(&r);
    recent(ed, "q=%2A%22%28", 400, &r);
    assert_true(t_web_has(&r, "Nothing to search for"));
    t_web_free(&r);
    /* Long (ten times the limit): 400, and not shown back. */
    char *long_q = malloc(10001);
    assert_non_null(long_q);
    memset(long_q, 'a', 2000);
    long_q[2000] = '\0';
    path = with_arg(ed, "/editor", "q", long_q);
    assert_int_equal(t_web_get(ed, path, &r), 400);
    assert_true(t_web_has(&r, "at most 200 bytes"));
    assert_false(t_web_has(&r,
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    t_web_free(&r);
    free(path);
    /* 199 bytes of many words: 16 are kept, 200 answered. */
    memset(long_q, 0, 10001);
    for (int i = 0; i < 66; i++)
        strcat(long_q, "ab ");
    long_q[199] = '\0';
    path = with_arg(ed, "/editor", "q", long_q);
    assert_int_equal(t_web_status(ed, path), 200);
    free(path);
    free(long_q);
    /* Bytes that are not UTF-8, and controls. */
    recent(ed, "q=%FF%FE", 400, &r);
    assert_true(t_web_has(&r, "id=\"q-error\""));
    t_web_free(&r);
    recent(ed, "q=a%01b", 400, &r);
    t_web_free(&r);
    recent(ed, "tag=%FF", 400, &r);
    t_web_free(&r);

    /* Bad filters: the reason beside the field. */
    static const struct {
        const char *query, *field;
    } bad[] = {
        { "feed=abc", "feed-error" }, { "feed=999999", "feed-error" },
        { "feed=-1", "feed-error" }, { "tag=a,b", "tag-error" },
        { "from=2026-02-30", "from-error" }, { "from=yesterday",
                                               "from-error" },
        { "from=2026-1-05", "from-error" }, { "to=2026-13-01", "to-error" },
        { "from=2026-03-02&to=2026-03-01", "to-error" },
        { "from=+2026-03-02", "from-error" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        recent(ed, bad[i].query, 400, &r);
        char id[40];
        snprintf(id, sizeof id, "id=\"%s\"", bad[i].field);
        if (!t_web_has(&r, id))
            fail_msg("%s: no %s", bad[i].query, id);
        assert_false(t_web_has(&r, "Coaching tips"));
        t_web_free(&r);
    }
    static const char *const pages[] = { "page=0", "page=abc", "page=1001",
                                         "page=-2", "page=99999999999999" };
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        recent(ed, pages[i], 400, &r);
        t_web_free(&r);
    }
    /* A page far past the end is just empty. */
    recent(ed, "page=1000", 200, &r);
    assert_true(t_web_has(&r, "Nothing matches"));
    t_web_free(&r);
    curl_easy_cleanup(ed);
}

/* ---- Gems. ---- */

struct gem_seen {
    int found;
    char note[256], tags[256], audience[256];
    long long expires, reached, liked;
};

static int
gem_cb(void *ctx, const struct store_gem_info *g)
{
    struct gem_seen *s = ctx;
    s->found = 1;
    snprintf(s->note, sizeof s->note, "%s", g->note);
    snprintf(s->tags, sizeof s->tags, "%s", g->tags);
    snprintf(s->audience, sizeof s->audience, "%s", g->audience);
    s->expires = g->expires;
    s->reached = g->reached;
    s->liked = g->liked;
    return 0;
}

static struct gem_seen
gem_of(long long item)
{
    struct gem_seen s = { 0 };
    struct store *st = t_web_store(&in->srv);
    int rc = store_gem_get(st, item, gem_cb, &s);
    assert_true(rc == CUR_OK || rc == CUR_ENOTFOUND);
    store_close(st);
    return s;
}

struct reason_seen {
    int found;
    char reasons[1024];
};

static int
score_cb(void *ctx, const struct store_scored *s)
{
    struct reason_seen *r = ctx;
    r->found = 1;
    snprintf(r->reasons, sizeof r->reasons, "%s", s->reasons);
    return 0;
}

static void
test_gem_tagging(void **state)
{
    (void)state;
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    struct t_resp r;
    char page[64], *long_tag;
    char item[32];
    snprintf(item, sizeof item, "%lld", in->coaching);

    snprintf(page, sizeof page, "/gems?item=%lld", in->coaching);
    assert_int_equal(t_web_get(ed, page, &r), 200);
    assert_true(t_web_has(&r, "Coaching tips for new leads"));
    assert_false(t_web_has(&r, "Feedback that lands"));
    assert_true(t_web_has(&r, "name=\"tags\""));
    assert_true(t_web_has(&r, "team:NAME"));
    t_web_free(&r);
    assert_int_equal(t_web_status(ed, "/gems?item=999999"), 404);
    assert_int_equal(t_web_status(ed, "/gems?item=abc"), 404);

    /* Bad fields: the form back with the reason, nothing stored. */
    long_tag = calloc(1, 80);
    memset(long_tag, 't', 65);
    static const struct {
        const char *field, *value, *error, *text;
    } bad[] = {
        { "note", "", "note", "Write a note" },
        { "audience", "Leadership, team:Nobody", "aud",
          "no team called" },
        { "audience", "team:", "aud", "Name the team" },
        { "audience", "a\nb", "aud", "control characters" },
        { "tags", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", "tags",
          "At most 20" },
        { "tags", NULL, "tags", "at most 64 bytes" },
        { "days", "366", "days", "0 to 365" },
        { "days", "-1", "days", "0 to 365" },
        { "days", "1.5", "days", "0 to 365" },
        { "days", "x", "days", "0 to 365" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *v = bad[i].value ? bad[i].value : long_tag;
        const char *note = strcmp(bad[i].field, "note") == 0 ? v
                           : "Worth it";
        const char *tags = strcmp(bad[i].field, "tags") == 0 ? v
                           : "coaching";
        const char *aud = strcmp(bad[i].field, "audience") == 0 ? v : "";
        const char *days = strcmp(bad[i].field, "days") == 0 ? v : "7";
        char id[48];
        assert_int_equal(t_web_submit(ed, page, "/gems", &r, "item", item,
                                      "note", note, "tags", tags, "audience",
                                      aud, "days", days, (char *)NULL), 400);
        snprintf(id, sizeof id, "id=\"%s-%s-error\"", bad[i].error, item);
        if (!t_web_has(&r, id) || !t_web_has(&r, bad[i].text))
            fail_msg("%s=%s: no %s / %s", bad[i].field, v, id,
                     bad[i].text);
        t_web_free(&r);
        assert_int_equal(gem_of(in->coaching).found, 0);
    }
    free(long_tag);
    assert_int_equal(t_web_submit(ed, page, "/gems", &r, "item", "999999",
                                  "note", "x", (char *)NULL), 404);
    t_web_free(&r);
    /* Typed values come back escaped. */
    assert_int_equal(t_web_submit(ed, page, "/gems", &r, "item", item, "note",
                                  "<script>x</script>", "tags", "a", "audience",
                                  "team:<b>", "days", "1", (char *)NULL), 400);
    assert_true(t_web_has(&r, "&lt;script&gt;x&lt;/script&gt;"));
    assert_false(t_web_has(&r, "<script>x"));
    assert_false(t_web_has(&r, "<b>"));
    t_web_free(&r);

    /* A good one: tags lowercased, the team checked, expiry in days. */
    assert_int_equal(t_web_submit(ed, page, "/gems", &r, "item", item, "note",
                                  "Every new lead should read it", "tags",
                                  " Coaching , One-on-Ones,,", "audience",
                                  "Leadership, TEAM: platform", "days", "7",
                                  (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /gems?done=gem"));
    t_web_free(&r);
    struct gem_seen g = gem_of(in->coaching);
    assert_int_equal(g.found, 1);
    assert_string_equal(g.note, "Every new lead should read it");
    assert_string_equal(g.tags, "coaching,one-on-ones");
    assert_string_equal(g.audience, "Leadership,team:platform");
    long long now = (long long)time(NULL);
    assert_true(g.expires >= now + 7 * DAY - 60
                && g.expires <= now + 7 * DAY + 60);
    /* The form shows it back for editing. */
    assert_int_equal(t_web_get(ed, page, &r), 200);
    assert_true(t_web_has(&r, "Every new lead should read it"));
    assert_true(t_web_has(&r, "value=\"coaching,one-on-ones\""));
    assert_true(t_web_has(&r, "value=\"7\""));
    t_web_free(&r);

    /* It reaches the team member with the interest, not the other. */
    struct store *st = t_web_store(&in->srv);
    struct config_filter cf = { .name = "gems", .weight = 1.0 };
    struct scorer *sc;
    struct scorer_stats stats = { 0 };
    char err[256];
    assert_true(asprintf(&cf.path, "%s/filters/gems.so", t_build_dir()) > 0);
    assert_int_equal(scorer_open(&cf, 1, 14 * DAY, &sc, err, sizeof err),
                     CUR_OK);
    free(cf.path);
    assert_int_equal(scorer_load(sc, st, now, 1), CUR_OK);
    assert_int_equal(scorer_rescore_item(sc, st, in->coaching, now, &stats),
                     CUR_OK);
    struct reason_seen ra = { 0 }, re = { 0 };
    assert_int_equal(store_score_get(st, in->alice, in->coaching, score_cb,
                                     &ra), CUR_OK);
    assert_non_null(strstr(ra.reasons, "gems\t"));
    assert_non_null(strstr(ra.reasons, "Every new lead should read it"));
    int rc = store_score_get(st, in->eve, in->coaching, score_cb, &re);
    assert_true(rc == CUR_ENOTFOUND || strstr(re.reasons, "gems\t") == NULL);
    scorer_close(sc);
    store_close(st);

    /* Tagging again replaces; 0 days never expires. */
    assert_int_equal(t_web_submit(ed, page, "/gems", &r, "item", item, "note",
                                  "Still worth it", "days", "0", (char *)NULL),
                     303);
    t_web_free(&r);
    g = gem_of(in->coaching);
    assert_string_equal(g.note, "Still worth it");
    assert_string_equal(g.tags, "");
    assert_int_equal(g.expires, 0);
    curl_easy_cleanup(ed);
}

/* ---- Reach. ---- */

static void
test_reach(void **state)
{
    (void)state;
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    struct store *st = t_web_store(&in->srv);
    struct t_resp r;
    long long now = (long long)time(NULL);
    char want[160];

    /* A gem on "Feedback that lands": three ranked it, one excluded, two
     * votes of which one 👍; an expired gem on "Mentoring". */
    assert_int_equal(store_gem_put(st, in->feedback, in->ed2, "Read <this>",
                                   "feedback", "team:Platform", 0), CUR_OK);
    assert_int_equal(store_gem_put(st, in->mentoring, in->ed, "Was good",
                                   "", "", now - DAY), CUR_OK);
    assert_int_equal(store_score_put(st, in->alice, in->feedback, 3, NULL,
                                     "", now), CUR_OK);
    assert_int_equal(store_score_put(st, in->eve, in->feedback, 2, NULL, "",
                                     now), CUR_OK);
    assert_int_equal(store_score_put(st, in->sam, in->feedback, 1, NULL, "",
                                     now), CUR_OK);
    assert_int_equal(store_score_put(st, in->ad, in->feedback, -1, "mute",
                                     "", now), CUR_OK);
    assert_int_equal(store_feedback_put(st, in->alice, in->feedback, 1),
                     CUR_OK);
    assert_int_equal(store_feedback_put(st, in->eve, in->feedback, -1),
                     CUR_OK);
    assert_int_equal(store_feedback_put(st, in->sam, in->mentoring, 1),
                     CUR_OK);
    store_close(st);

    assert_int_equal(t_web_get(ed, "/editor/reach", &r), 200);
    snprintf(want, sizeof want, "<tr id=\"gem-%lld\">", in->feedback);
    const char *row = strstr(r.body.data, want);
    assert_non_null(row);
    const char *end = strstr(row, "</tr>");
    assert_non_null(end);
    char *one = strndup(row, (size_t)(end - row));
    assert_non_null(strstr(one, "<td class=\"reached\">3</td>"));
    assert_non_null(strstr(one, "<td class=\"liked\">1</td>"));
    assert_non_null(strstr(one, "Read &lt;this&gt;"));
    assert_non_null(strstr(one, "team:Platform"));
    assert_non_null(strstr(one, ">ed2<"));
    assert_non_null(strstr(one, "live"));
    free(one);
    snprintf(want, sizeof want, "<tr id=\"gem-%lld\">", in->mentoring);
    row = strstr(r.body.data, want);
    assert_non_null(row);
    assert_true(strstr(row, "expired") < strstr(row, "</tr>"));
    assert_true(strstr(row, "<td class=\"liked\">1</td>")
                < strstr(row, "</tr>"));
    /* Counts only: no reader is named. */
    assert_false(t_web_has(&r, "alice"));
    assert_false(t_web_has(&r, ">eve<"));
    assert_false(t_web_has(&r, ">sam<"));
    assert_false(t_web_has(&r, "<script"));
    t_web_free(&r);
    curl_easy_cleanup(ed);
}

/* ---- Collections. ---- */

struct subs {
    int n;
    long long feeds[16];
};

static int
sub_cb(void *ctx, const struct store_subscription *s)
{
    struct subs *x = ctx;
    if (x->n < 16)
        x->feeds[x->n] = s->feed_id;
    x->n++;
    return 0;
}

static int
subscribed(long long user, long long feed)
{
    struct subs x = { 0 };
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_subscription_list(st, user, sub_cb, &x), CUR_OK);
    store_close(st);
    for (int i = 0; i < x.n && i < 16; i++)
        if (x.feeds[i] == feed)
            return 1;
    return 0;
}

static long long
collection_id(const char *name)
{
    long long id = 0;
    struct store *st = t_web_store(&in->srv);
    int rc = store_collection_find(st, name, &id);
    store_close(st);
    return rc == CUR_OK ? id : 0;
}

static int
count_colls(void *ctx, const struct store_collection *c)
{
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

static int
n_collections(void)
{
    int n = 0;
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_collection_list(st, 0, count_colls, &n), CUR_OK);
    store_close(st);
    return n;
}

static void
test_collections(void **state)
{
    (void)state;
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    CURL *ed2 = t_web_signed_in(in->srv.port, "ed2");
    CURL *ad = t_web_signed_in(in->srv.port, "ad");
    CURL *sam = t_web_signed_in(in->srv.port, "sam");
    const char *cp = "/editor/collections";
    struct t_resp r;
    char page[96], loc[128];

    /* Names: checked, unique whatever the case, shown escaped. */
    static const char *const bad_names[] = {
        "", "   ", "a\tb", "a\nb", "0123456789012345678901234567890123456789"
        "01234567890123456789012345",
    };
    for (size_t i = 0; i < sizeof bad_names / sizeof *bad_names; i++) {
        assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "create", "name",
                                      bad_names[i], (char *)NULL), 400);
        assert_true(t_web_has(&r, "id=\"name-error\""));
        t_web_free(&r);
    }
    /* Other controls the server refuses before the page sees them. */
    assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "create", "name",
                                  "a\x01", (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(n_collections(), 0);
    assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "create", "name",
                                  " Leading <reads> ", (char *)NULL), 303);
    long long cid = collection_id("Leading <reads>");
    assert_true(cid > 0);
    snprintf(loc, sizeof loc, "Location: /editor/collections?id=%lld&"
             "done=created", cid);
    assert_true(t_web_hdr_has(&r, loc));
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "create", "name",
                                  "LEADING <READS>", (char *)NULL), 400);
    assert_true(t_web_has(&r, "exists"));
    t_web_free(&r);
    assert_int_equal(n_collections(), 1);
    assert_int_equal(t_web_get(ed, cp, &r), 200);
    assert_true(t_web_has(&r, "Leading &lt;reads&gt;"));
    assert_false(t_web_has(&r, "<reads>"));
    t_web_free(&r);

    /* Feeds in: from the list, or by the address of a known feed. */
    snprintf(page, sizeof page, "%s?id=%lld", cp, cid);
    char c[32];
    snprintf(c, sizeof c, "%lld", cid);
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "add", "collection",
                                  c, "feed", num(in->feed1), (char *)NULL),
                     303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "add", "collection",
                                  c, "feed", "", "url",
                                  "https://b.example/feed", (char *)NULL), 303);
    t_web_free(&r);
    static const struct {
        const char *feed, *url, *text;
    } bad_feeds[] = {
        { "999999", "", "no such feed" },
        { "x", "", "no such feed" },
        { "", "https://unknown.example/feed", "Sources page first" },
        { "", "javascript:alert(1)", "http:// or https://" },
        { "", "", "Choose a feed" },
    };
    for (size_t i = 0; i < sizeof bad_feeds / sizeof *bad_feeds; i++) {
        assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "add",
                                      "collection", c, "feed",
                                      bad_feeds[i].feed, "url",
                                      bad_feeds[i].url, (char *)NULL), 400);
        assert_true(t_web_has(&r, "id=\"url-error\""));
        assert_true(t_web_has(&r, bad_feeds[i].text));
        t_web_free(&r);
    }
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "add", "collection",
                                  "999999", "feed", num(in->feed1),
                                  (char *)NULL),
                     404);
    t_web_free(&r);

    /* Another editor reads it but may not change it; an admin may. */
    assert_int_equal(t_web_get(ed2, page, &r), 200);
    assert_true(t_web_has(&r, "Only its editor or an admin"));
    assert_false(t_web_has(&r, "value=\"delete\""));
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed2, page, cp, &r, "act", "add", "collection",
                                  c, "feed", num(in->feed3), (char *)NULL),
                     403);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed2, page, cp, &r, "act", "delete",
                                  "collection", c, (char *)NULL), 403);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "frobnicate",
                                  "collection", c, (char *)NULL), 400);
    t_web_free(&r);

    /* A subscriber follows it from Sources: subscribed to both feeds. */
    assert_int_equal(t_web_get(sam, "/sources", &r), 200);
    assert_true(t_web_has(&r, "Leading &lt;reads&gt;"));
    assert_true(t_web_has(&r, "value=\"follow\""));
    t_web_free(&r);
    assert_false(subscribed(in->sam, in->feed1));
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "follow", "collection", c, (char *)NULL),
                     303);
    t_web_free(&r);
    assert_true(subscribed(in->sam, in->feed1));
    assert_true(subscribed(in->sam, in->feed2));
    assert_false(subscribed(in->sam, in->feed3));
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "follow", "collection", "999999",
                                  (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(t_web_get(sam, "/sources", &r), 200);
    assert_true(t_web_has(&r, "value=\"unfollow\""));
    t_web_free(&r);
    /* The follower count, never who. */
    assert_int_equal(t_web_get(ed, page, &r), 200);
    assert_true(t_web_has(&r, "2 feeds &middot; 1 follower "));
    assert_false(t_web_has(&r, ">sam<"));
    t_web_free(&r);

    /* A feed added later (by an admin) reaches the follower. */
    assert_int_equal(t_web_submit(ad, page, cp, &r, "act", "add", "collection",
                                  c, "feed", num(in->feed3), (char *)NULL),
                     303);
    t_web_free(&r);
    assert_true(subscribed(in->sam, in->feed3));

    /* OPML, for anyone signed in; read back with the OPML parser. */
    char opml[64];
    snprintf(opml, sizeof opml, "/collections/%lld.opml", cid);
    CURL *anon = t_web_client(in->srv.port);
    assert_int_equal(t_web_status(anon, opml), 303);
    curl_easy_cleanup(anon);
    assert_int_equal(t_web_get(sam, opml, &r), 200);
    assert_true(t_web_hdr_has(&r, "Content-Type: text/x-opml"));
    struct opml_doc doc = { 0 };
    char err[256];
    assert_int_equal(opml_parse(r.body.data, r.body.len, &doc, err,
                                sizeof err), CUR_OK);
    assert_string_equal(doc.title, "Leading <reads>");
    assert_int_equal(doc.n, 3);
    int seen = 0;
    for (size_t i = 0; i < doc.n; i++) {
        seen |= strcmp(doc.v[i].url, "https://a.example/feed") == 0;
        seen |= (strcmp(doc.v[i].url, "https://b.example/feed") == 0) << 1;
        seen |= (strcmp(doc.v[i].url, "https://c.example/feed") == 0) << 2;
    }
    assert_int_equal(seen, 7);
    opml_doc_free(&doc);
    t_web_free(&r);
    static const char *const bad_opml[] = {
        "/collections/999999.opml", "/collections/x.opml",
        "/collections/1.xml", "/collections/1.opml.opml", "/collections/1",
    };
    for (size_t i = 0; i < sizeof bad_opml / sizeof *bad_opml; i++)
        assert_int_equal(t_web_status(sam, bad_opml[i]), 404);

    /* Out of the collection: nobody is unsubscribed. */
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "remove",
                                  "collection", c, "feed", num(in->feed3),
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_true(subscribed(in->sam, in->feed3));
    assert_int_equal(t_web_submit(ed, page, cp, &r, "act", "remove",
                                  "collection", c, "feed", num(in->feed3),
                                  (char *)NULL), 404);
    t_web_free(&r);

    /* Unfollowing keeps the feeds; with "drop", the collection's go
     * (but not one another followed collection holds, nor feed 3). */
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "unfollow", "collection", c, (char *)NULL),
                     303);
    t_web_free(&r);
    assert_true(subscribed(in->sam, in->feed1));
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "unfollow", "collection", c, (char *)NULL),
                     404);
    t_web_free(&r);
    assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "create", "name",
                                  "Beta only", (char *)NULL), 303);
    t_web_free(&r);
    long long beta = collection_id("Beta only");
    char bpage[96];
    snprintf(bpage, sizeof bpage, "%s?id=%lld", cp, beta);
    assert_int_equal(t_web_submit(ed, bpage, cp, &r, "act", "add", "collection",
                                  num(beta), "feed", num(in->feed2),
                                  (char *)NULL),
                     303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "follow", "collection", c, (char *)NULL),
                     303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "follow", "collection", num(beta),
                                  (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(t_web_submit(sam, "/sources", "/sources", &r, "act",
                                  "unfollow-drop", "collection", c,
                                  (char *)NULL),
                     303);
    t_web_free(&r);
    assert_false(subscribed(in->sam, in->feed1));
    assert_true(subscribed(in->sam, in->feed2));
    assert_true(subscribed(in->sam, in->feed3));

    /* Deleted: gone, its follower keeps the feeds. */
    assert_int_equal(t_web_submit(ed, bpage, cp, &r, "act", "delete",
                                  "collection", num(beta), (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /editor/collections"
                              "?done=collection-deleted"));
    t_web_free(&r);
    /* Its notice, and not the site-wide one for a deleted account. */
    assert_int_equal(t_web_get(ed, "/editor/collections?done="
                               "collection-deleted", &r), 200);
    assert_true(t_web_has(&r, "Collection deleted."));
    assert_false(t_web_has(&r, "Your account"));
    t_web_free(&r);
    assert_true(subscribed(in->sam, in->feed2));
    assert_int_equal(t_web_status(ed, bpage), 404);
    snprintf(opml, sizeof opml, "/collections/%lld.opml", beta);
    assert_int_equal(t_web_status(sam, opml), 404);
    assert_int_equal(t_web_submit(ed, cp, cp, &r, "act", "delete", "collection",
                                  num(beta), (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(n_collections(), 1);
    curl_easy_cleanup(ed);
    curl_easy_cleanup(ed2);
    curl_easy_cleanup(ad);
    curl_easy_cleanup(sam);
}

/* ---- The store: a profile carries its teams. ---- */

static void
test_profile_teams(void **state)
{
    (void)state;
    struct store *st = t_web_store(&in->srv);
    struct store_profile *p;
    long long t2;

    assert_int_equal(store_profile_load(st, in->alice, &p), CUR_OK);
    assert_true(p->view.size >= offsetof(struct curator_profile, n_teams)
                               + sizeof p->view.n_teams);
    assert_int_equal(p->view.n_teams, 1);
    assert_string_equal(p->view.teams[0], "Platform");
    assert_int_equal(p->view.n_interests, 1);
    store_profile_free(p);
    assert_int_equal(store_team_add(st, "Data <science>", &t2), CUR_OK);
    assert_int_equal(store_team_member_add(st, t2, in->alice), CUR_OK);
    assert_int_equal(store_profile_load(st, in->alice, &p), CUR_OK);
    assert_int_equal(p->view.n_teams, 2);
    assert_string_equal(p->view.teams[1], "Data <science>");
    store_profile_free(p);
    assert_int_equal(store_profile_load(st, in->eve, &p), CUR_OK);
    assert_int_equal(p->view.n_teams, 0);
    store_profile_free(p);
    store_close(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_recent),
        cmocka_unit_test(test_recent_hostile),
        cmocka_unit_test(test_gem_tagging),
        cmocka_unit_test(test_reach),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_profile_teams),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("integration: editor pages", tests,
                                         group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
