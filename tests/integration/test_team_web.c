/* Integration: teams on the web page over HTTP (libcurl), against the
 * server started in-process on a temporary store. An admin makes a team
 * and adds members at /admin/teams; a member shares an item from the
 * Today page's control with a note; another member sees it on the team
 * page, with "shared by N teammates" only from three sharers up; someone
 * outside the team gets "not found" and cannot share into it. Bad input
 * (names, notes, ids) is refused with nothing stored, and every change
 * needs the form's CSRF token.
 */
#define _GNU_SOURCE     /* asprintf, strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"

#define PW "correct horse battery"

struct inst {
    char *dir, *db;
    struct web *web;
    unsigned port;
    long long alice, bob, carol, eve, ed, ad;
    long long feed, other_feed;
    long long item[3], other_item;
};

static struct inst *in;

/* HTTP. */

struct resp {
    long status;
    struct buf body, hdr;
};

static size_t
collect(char *data, size_t size, size_t n, void *user)
{
    return buf_append(user, data, size * n) == CUR_OK ? size * n : 0;
}

static void
resp_free(struct resp *r)
{
    buf_free(&r->body);
    buf_free(&r->hdr);
}

static CURL *
client(void)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    return c;
}

/* GET when body is NULL, else a form POST; 'extra' is one more header
 * or NULL. */
static long
http(CURL *c, const char *path, const char *body, const char *extra,
     struct resp *out)
{
    char url[512];
    struct curl_slist *h = NULL;

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", in->port, path);
    buf_init(&out->body, 0);
    buf_init(&out->hdr, 0);
    buf_puts(&out->body, "");
    buf_puts(&out->hdr, "");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdr);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
        h = curl_slist_append(h, "Content-Type: "
                              "application/x-www-form-urlencoded");
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    if (extra != NULL)
        h = curl_slist_append(h, extra);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    out->status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return out->status;
}

static int
has(const struct resp *r, const char *needle)
{
    return r->body.data && strstr(r->body.data, needle) != NULL;
}

static int
hdr_has(const struct resp *r, const char *needle)
{
    return r->hdr.data && strcasestr(r->hdr.data, needle) != NULL;
}

static void
csrf_of(const struct resp *r, char *tok, size_t len)
{
    static const char mark[] = "name=\"csrf\" value=\"";
    const char *p = r->body.data ? strstr(r->body.data, mark) : NULL;
    tok[0] = '\0';
    if (p != NULL) {
        p += strlen(mark);
        snprintf(tok, len, "%.*s", (int)strcspn(p, "\""), p);
    }
}

/* GET 'page' for its CSRF token (csrf 0: leave it out), then POST the
 * name/value pairs to 'action'. Returns the status. */
static long
submit(CURL *c, const char *page, const char *action, int csrf,
       struct resp *out, ...)
{
    struct resp p;
    struct buf b;
    va_list ap;
    const char *k;
    char tok[80];

    assert_int_equal(http(c, page, NULL, NULL, &p), 200);
    csrf_of(&p, tok, sizeof tok);
    assert_true(tok[0] != '\0');
    resp_free(&p);
    buf_init(&b, 0);
    buf_puts(&b, "");
    if (csrf)
        buf_printf(&b, "csrf=%s", tok);
    va_start(ap, out);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        char *ev = curl_easy_escape(c, v, 0);
        buf_printf(&b, "%s%s=%s", b.len ? "&" : "", k, ev);
        curl_free(ev);
    }
    va_end(ap);
    long st = http(c, action, b.data, NULL, out);
    buf_free(&b);
    return st;
}

static CURL *
signed_in(const char *name)
{
    CURL *c = client();
    struct resp r;
    assert_int_equal(submit(c, "/login", "/login", 1, &r, "name", name,
                            "password", PW, (char *)NULL), 303);
    resp_free(&r);
    return c;
}

/* Seeding, through the store's own functions. */

static long long
seed_user(struct store *st, const char *name, const char *role)
{
    long long id;
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    assert_int_equal(store_user_add(st, name, email, &id), CUR_OK);
    assert_int_equal(store_user_set_role(st, id, role), CUR_OK);
    assert_int_equal(store_user_set_password(st, id, PW), CUR_OK);
    return id;
}

static long long
seed_feed(struct store *st, const char *url, const char *const *titles,
          size_t n, long long now, long long *ids)
{
    long long fid;
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(store_feed_add(st, url, "cli", &fid), CUR_OK);
    for (size_t i = 0; i < n; i++) {
        struct item *it = feed_add_item(f);
        char guid[32], link[160];
        snprintf(guid, sizeof guid, "g%zu", i);
        snprintf(link, sizeof link, "%s/%zu", url, i);
        it->guid = strdup(guid);
        it->title = strdup(titles[i]);
        it->link = strdup(link);
        it->text = strdup("Some text.");
        it->published = now - 3600;
    }
    struct store_poll poll = { .now = now, .next_poll = now + 3600,
                               .status = 200, .title = "Team <Feed>" };
    assert_int_equal(store_feed_polled(st, fid, &poll, f, NULL), CUR_OK);
    feed_free(f);
    for (size_t i = 0; i < n; i++) {
        char guid[32];
        snprintf(guid, sizeof guid, "g%zu", i);
        assert_int_equal(store_item_ensure(st, url, "cli", guid, NULL, NULL,
                                           0, now, &ids[i]), CUR_OK);
    }
    return fid;
}

static int
setup(void **state)
{
    static const char *const titles[] = {
        "Coaching <b>well</b> & often", "Second item", "Third item",
    };
    static const char *const other[] = { "Not for alice" };
    struct store *st;
    long long now = (long long)time(NULL);
    (void)state;

    in = calloc(1, sizeof *in);
    assert_non_null(in);
    in->dir = t_mkdtemp();
    assert_true(asprintf(&in->db, "%s/curator.db", in->dir) > 0);
    assert_int_equal(store_open(in->db, &st), CUR_OK);
    in->alice = seed_user(st, "alice", "subscriber");
    in->bob = seed_user(st, "bob", "subscriber");
    in->carol = seed_user(st, "carol", "subscriber");
    in->eve = seed_user(st, "eve", "subscriber");
    in->ed = seed_user(st, "ed", "editor");
    in->ad = seed_user(st, "ad", "admin");
    in->feed = seed_feed(st, "https://team.example/feed", titles, 3, now,
                         in->item);
    in->other_feed = seed_feed(st, "https://other.example/feed", other, 1,
                               now, &in->other_item);
    long long users[] = { in->alice, in->bob, in->carol, in->eve };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(store_subscribe(st, users[i], in->feed), CUR_OK);
    assert_int_equal(store_subscribe(st, in->eve, in->other_feed), CUR_OK);
    /* Alice's Today page ranks all three items. */
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(store_score_put(st, in->alice, in->item[i],
                                         3.0 - (double)i, NULL,
                                         "keyword\t1.00\ttitle matches",
                                         now), CUR_OK);
    /* Alice's own feedback: never to be shown to her team. */
    assert_int_equal(store_feedback_put(st, in->alice, in->item[0], 1),
                     CUR_OK);
    store_close(st);

    struct web_cfg wc = {
        .address = "127.0.0.1", .port = 0, .threads = 2,
        .page_items = 50, .store_path = in->db, .allow_private = 1,
    };
    assert_int_equal(web_start(&wc, &in->web), CUR_OK);
    in->port = web_port(in->web);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    web_stop(in->web);
    t_rmtree(in->dir);
    free(in->dir);
    free(in->db);
    free(in);
    return 0;
}

static struct store *
db(void)
{
    struct store *st;
    assert_int_equal(store_open(in->db, &st), CUR_OK);
    return st;
}

static int
count_team(void *ctx, const struct store_team *t)
{
    (void)t;
    (*(int *)ctx)++;
    return 0;
}

static int
teams_now(void)
{
    struct store *st = db();
    int n = 0;
    assert_int_equal(store_team_list(st, 0, count_team, &n), CUR_OK);
    store_close(st);
    return n;
}

static int
is_member(long long team, long long user)
{
    struct store *st = db();
    int m = -1;
    assert_int_equal(store_team_member(st, team, user, &m), CUR_OK);
    store_close(st);
    return m;
}

struct share_count {
    int shares;
    char note[1100];
};

static int
count_share(void *ctx, const struct store_team_item_share *s)
{
    struct share_count *c = ctx;
    c->shares++;
    snprintf(c->note, sizeof c->note, "%s", s->note);
    return 0;
}

static int
shares_in(long long team, char *last_note, size_t len)
{
    struct store *st = db();
    struct share_count c = { 0, "" };
    assert_int_equal(store_team_item_shares(st, team, 100, count_share, &c),
                     CUR_OK);
    store_close(st);
    if (last_note)
        snprintf(last_note, len, "%s", c.note);
    return c.shares;
}

/* A team made through the store, for the tests that are not about
 * making one. */
static long long
team_of(const char *name, const long long *members, size_t n)
{
    struct store *st = db();
    long long id;
    assert_int_equal(store_team_add(st, name, &id), CUR_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(store_team_member_add(st, id, members[i]), CUR_OK);
    store_close(st);
    return id;
}

static void
drop_team(long long id)
{
    struct store *st = db();
    assert_int_equal(store_team_remove(st, id), CUR_OK);
    store_close(st);
}

/* The tests. */

static void
test_admin_makes_team(void **state)
{
    (void)state;
    CURL *c = signed_in("ad");
    struct resp r;
    long long team, uid;
    char path[64], num[24];

    assert_int_equal(http(c, "/admin/teams", NULL, NULL, &r), 200);
    assert_true(has(&r, "No teams yet."));
    assert_true(has(&r, "href=\"/admin/feeds\""));
    resp_free(&r);

    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "create", "name", "Readers <b>",
                            (char *)NULL), 303);
    assert_true(hdr_has(&r, "Location: /admin/teams?done=team-added"));
    resp_free(&r);
    struct store *st = db();
    assert_int_equal(store_team_find(st, "Readers <b>", &team), CUR_OK);
    store_close(st);
    assert_int_equal(http(c, "/admin/teams?done=team-added", NULL, NULL, &r),
                     200);
    assert_true(has(&r, "Readers &lt;b&gt;"));
    assert_false(has(&r, "Readers <b>"));
    assert_true(has(&r, "Team made."));
    resp_free(&r);

    /* Bad names: each refused with its message, nothing stored. */
    static const struct {
        const char *name, *msg;
    } bad[] = {
        { "", "Give the team a name." },
        { " lead", "does not start or end with a space" },
        { "tab\there", "one line of text" },
        { "readers <B>", "already a team of that name" },
        { "x123456789x123456789x123456789x123456789x123456789x123456789x12"
          "34", "at most 64 bytes" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r,
                                "act", "create", "name", bad[i].name,
                                (char *)NULL), 400);
        assert_true(has(&r, bad[i].msg));
        assert_true(has(&r, "id=\"name-error\""));
        resp_free(&r);
    }
    assert_int_equal(teams_now(), 1);

    /* Members by user name. */
    snprintf(num, sizeof num, "%lld", team);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "alice",
                            (char *)NULL), 303);
    resp_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "bob",
                            (char *)NULL), 303);
    resp_free(&r);
    assert_int_equal(is_member(team, in->alice), 1);
    assert_int_equal(is_member(team, in->bob), 1);
    assert_int_equal(is_member(team, in->carol), 0);
    assert_int_equal(http(c, "/admin/teams", NULL, NULL, &r), 200);
    assert_true(has(&r, "(2 members)"));
    assert_true(has(&r, "alice"));
    resp_free(&r);
    /* Unknown and malformed users, a team that does not exist. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "nobody",
                            (char *)NULL), 400);
    assert_true(has(&r, "There is no user of that name."));
    resp_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "a<b>'",
                            (char *)NULL), 400);
    assert_true(has(&r, "a&lt;b&gt;&#39;"));
    assert_false(has(&r, "a<b>'"));
    resp_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", "999999", "member", "carol",
                            (char *)NULL), 404);
    resp_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "bogus", "team", num, (char *)NULL), 400);
    resp_free(&r);
    assert_int_equal(is_member(team, in->carol), 0);

    /* Without the CSRF token, or from another site: refused. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 0, &r, "act",
                            "add", "team", num, "member", "carol",
                            (char *)NULL), 403);
    resp_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 0, &r, "act",
                            "create", "name", "Sneaky", (char *)NULL), 403);
    resp_free(&r);
    assert_int_equal(is_member(team, in->carol), 0);
    assert_int_equal(teams_now(), 1);

    /* Remove a member; again: not a member. */
    snprintf(path, sizeof path, "%lld", in->bob);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "remove", "team", num, "user", path,
                            (char *)NULL), 303);
    resp_free(&r);
    assert_int_equal(is_member(team, in->bob), 0);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "remove", "team", num, "user", path,
                            (char *)NULL), 404);
    resp_free(&r);

    /* Removing the team takes the box ticked. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "delete", "team", num, (char *)NULL), 400);
    resp_free(&r);
    assert_int_equal(teams_now(), 1);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "delete", "team", num, "confirm", "yes",
                            (char *)NULL), 303);
    resp_free(&r);
    assert_int_equal(teams_now(), 0);
    st = db();
    assert_int_equal(store_user_find(st, "alice", &uid), CUR_OK);
    store_close(st);
    curl_easy_cleanup(c);
}

/* Only admins manage teams; members see their own. */
static void
test_roles(void **state)
{
    (void)state;
    long long m[] = { in->alice };
    long long team = team_of("Roles", m, 1);
    char path[64];
    struct resp r;
    CURL *anon = client(), *alice = signed_in("alice");
    CURL *ed = signed_in("ed"), *eve = signed_in("eve");

    snprintf(path, sizeof path, "/teams/%lld", team);
    assert_int_equal(http(anon, "/admin/teams", NULL, NULL, &r), 303);
    assert_true(hdr_has(&r, "Location: /login?next=/admin/teams"));
    resp_free(&r);
    assert_int_equal(http(anon, path, NULL, NULL, &r), 303);
    resp_free(&r);
    assert_int_equal(http(alice, "/admin/teams", NULL, NULL, &r), 403);
    resp_free(&r);
    assert_int_equal(http(ed, "/admin/teams", NULL, NULL, &r), 403);
    resp_free(&r);
    assert_int_equal(http(alice, "/teams", NULL, NULL, &r), 200);
    assert_true(has(&r, path));
    resp_free(&r);
    assert_int_equal(http(alice, path, NULL, NULL, &r), 200);
    assert_true(has(&r, "<h1>Roles</h1>"));
    resp_free(&r);
    /* Not a member: not found, as for a team that does not exist. */
    assert_int_equal(http(eve, "/teams", NULL, NULL, &r), 200);
    assert_true(has(&r, "You are in no team yet"));
    assert_false(has(&r, path));
    resp_free(&r);
    assert_int_equal(http(eve, path, NULL, NULL, &r), 404);
    assert_false(has(&r, "Roles"));
    resp_free(&r);
    assert_int_equal(http(eve, "/teams/999999", NULL, NULL, &r), 404);
    resp_free(&r);
    assert_int_equal(http(eve, "/teams/abc", NULL, NULL, &r), 404);
    resp_free(&r);
    assert_int_equal(http(ed, path, NULL, NULL, &r), 404);
    resp_free(&r);
    CURL *ad = signed_in("ad");
    assert_int_equal(http(ad, path, NULL, NULL, &r), 404);
    resp_free(&r);
    curl_easy_cleanup(ad);
    drop_team(team);
    curl_easy_cleanup(anon);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(ed);
    curl_easy_cleanup(eve);
}

/* The share control's form for one item, posted as a browser would:
 * the item's own form (csrf, item) with the control's team and note. */
static long
share(CURL *c, long long team, long long item, const char *note,
      struct resp *out)
{
    char t[24], i[24];
    snprintf(t, sizeof t, "%lld", team);
    snprintf(i, sizeof i, "%lld", item);
    return submit(c, "/today", "/teams/share", 1, out, "item", i, "team", t,
                  "note", note, (char *)NULL);
}

static void
test_share_and_team_page(void **state)
{
    (void)state;
    long long m[] = { in->alice, in->bob, in->carol };
    long long team = team_of("Crew", m, 3);
    CURL *alice = signed_in("alice"), *bob = signed_in("bob");
    CURL *carol = signed_in("carol");
    char path[64], want[160];
    struct resp r;

    /* Alice's Today page: a share control per item, her team offered,
     * each item's form outside the page's form. */
    assert_int_equal(http(alice, "/today", NULL, NULL, &r), 200);
    assert_true(has(&r, "<summary>Share to team</summary>"));
    snprintf(want, sizeof want, "<option value=\"%lld\">Crew</option>",
             team);
    assert_true(has(&r, want));
    snprintf(want, sizeof want, "<form id=\"share-%lld\" method=\"post\" "
             "action=\"/teams/share\">", in->item[0]);
    assert_true(has(&r, want));
    snprintf(want, sizeof want, "form=\"share-%lld\">Share</button>",
             in->item[0]);
    assert_true(has(&r, want));
    const char *end_of_main = strstr(r.body.data, "</form><form id=\"share-");
    assert_non_null(end_of_main);
    resp_free(&r);

    /* Alice shares with a note: back to the team page. */
    assert_int_equal(share(alice, team, in->item[0], "Read this <now> & "
                           "then", &r), 303);
    snprintf(want, sizeof want, "Location: /teams/%lld?done=shared#item-%lld",
             team, in->item[0]);
    assert_true(hdr_has(&r, want));
    resp_free(&r);
    char note[1100];
    assert_int_equal(shares_in(team, note, sizeof note), 1);
    assert_string_equal(note, "Read this <now> & then");

    /* Bob sees it: the title, the note escaped, who shared it; no
     * count under three, nothing of Alice's feedback. */
    snprintf(path, sizeof path, "/teams/%lld", team);
    assert_int_equal(http(bob, path, NULL, NULL, &r), 200);
    assert_true(has(&r, "Coaching &lt;b&gt;well&lt;/b&gt; &amp; often"));
    assert_true(has(&r, "&ldquo;Read this &lt;now&gt; &amp; then&rdquo;"));
    assert_true(has(&r, "<span class=\"who\">alice</span>"));
    assert_true(has(&r, "href=\"https://team.example/feed/0\""));
    assert_false(has(&r, "Shared by"));
    assert_false(has(&r, "<b>well"));
    assert_false(has(&r, "\xF0\x9F\x91\x8D"));
    assert_false(has(&r, "liked"));
    resp_free(&r);

    /* Two sharers: still no count. */
    assert_int_equal(share(bob, team, in->item[0], "", &r), 303);
    resp_free(&r);
    assert_int_equal(http(carol, path, NULL, NULL, &r), 200);
    assert_false(has(&r, "Shared by"));
    assert_false(has(&r, "2 teammates"));
    assert_true(has(&r, "<span class=\"who\">bob</span> shared it"));
    resp_free(&r);
    /* Three: the count shows, the item once. */
    assert_int_equal(share(carol, team, in->item[0], "Agreed", &r), 303);
    resp_free(&r);
    assert_int_equal(http(alice, path, NULL, NULL, &r), 200);
    assert_true(has(&r, "Shared by 3 teammates"));
    snprintf(want, sizeof want, "id=\"item-%lld\"", in->item[0]);
    const char *first = strstr(r.body.data, want);
    assert_non_null(first);
    assert_null(strstr(first + 1, want));
    resp_free(&r);
    /* Sharing again replaces the note: still three sharers. */
    assert_int_equal(share(alice, team, in->item[0], "Updated", &r), 303);
    resp_free(&r);
    assert_int_equal(shares_in(team, NULL, 0), 3);

    /* The standalone form for one item. */
    snprintf(want, sizeof want, "/teams/share?item=%lld", in->item[1]);
    assert_int_equal(http(alice, want, NULL, NULL, &r), 200);
    assert_true(has(&r, "Second item"));
    assert_true(has(&r, ">Crew</option>"));
    resp_free(&r);

    drop_team(team);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(bob);
    curl_easy_cleanup(carol);
}

static void
test_share_refused(void **state)
{
    (void)state;
    long long m[] = { in->alice };
    long long team = team_of("Solo", m, 1);
    long long other = team_of("Others", NULL, 0);
    CURL *alice = signed_in("alice"), *eve = signed_in("eve");
    char t[24], i[24], big[1200];
    struct resp r;

    snprintf(t, sizeof t, "%lld", team);
    snprintf(i, sizeof i, "%lld", in->item[1]);
    memset(big, 'x', 1001);
    big[1001] = '\0';
    /* A note too long, on two lines: the form back, beside the field. */
    assert_int_equal(share(alice, team, in->item[1], big, &r), 400);
    assert_true(has(&r, "id=\"note-error\""));
    assert_true(has(&r, "at most 1000 bytes"));
    resp_free(&r);
    assert_int_equal(share(alice, team, in->item[1], "two\nlines", &r), 400);
    assert_true(has(&r, "one line of text"));
    resp_free(&r);
    /* A team that is not hers, none, or not a number. */
    assert_int_equal(share(alice, other, in->item[1], "hi", &r), 403);
    assert_true(has(&r, "id=\"team-error\""));
    resp_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            i, "team", "abc", (char *)NULL), 400);
    assert_true(has(&r, "Choose one of your teams."));
    resp_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            i, (char *)NULL), 400);
    resp_free(&r);
    /* Items she cannot see, or none. */
    assert_int_equal(share(alice, team, in->other_item, "hi", &r), 404);
    resp_free(&r);
    assert_int_equal(share(alice, team, 0, "hi", &r), 404);
    resp_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            "1e3", "team", t, (char *)NULL), 404);
    resp_free(&r);
    /* No CSRF token, or a cross-site post. */
    assert_int_equal(submit(alice, "/today", "/teams/share", 0, &r, "item",
                            i, "team", t, (char *)NULL), 403);
    resp_free(&r);
    {
        struct resp p;
        char tok[80], body[256];
        assert_int_equal(http(alice, "/today", NULL, NULL, &p), 200);
        csrf_of(&p, tok, sizeof tok);
        resp_free(&p);
        snprintf(body, sizeof body, "csrf=%s&item=%s&team=%s", tok, i, t);
        assert_int_equal(http(alice, "/teams/share", body,
                              "Sec-Fetch-Site: cross-site", &r), 403);
        resp_free(&r);
    }
    /* Eve, in no team: she may not share into Alice's. */
    snprintf(i, sizeof i, "%lld", in->item[2]);
    assert_int_equal(submit(eve, "/teams", "/teams/share", 1, &r, "item", i,
                            "team", t, "note", "let me in",
                            (char *)NULL), 403);
    assert_true(has(&r, "You are in no team"));
    resp_free(&r);
    /* Anonymous: sign in first. */
    CURL *anon = client();
    assert_int_equal(http(anon, "/teams/share", "item=1&team=1", NULL, &r),
                     403);
    resp_free(&r);
    curl_easy_cleanup(anon);

    assert_int_equal(shares_in(team, NULL, 0), 0);
    assert_int_equal(shares_in(other, NULL, 0), 0);
    drop_team(team);
    drop_team(other);
    curl_easy_cleanup(alice);
    curl_easy_cleanup(eve);
}

/* Someone in no team gets no share control at all. */
static void
test_today_without_team(void **state)
{
    (void)state;
    CURL *alice = signed_in("alice");
    struct resp r;
    assert_int_equal(teams_now(), 0);
    assert_int_equal(http(alice, "/today", NULL, NULL, &r), 200);
    assert_true(has(&r, "Coaching &lt;b&gt;well"));
    assert_false(has(&r, "Share to team"));
    assert_false(has(&r, "action=\"/teams/share\""));
    resp_free(&r);
    curl_easy_cleanup(alice);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_today_without_team),
        cmocka_unit_test(test_admin_makes_team),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_share_and_team_page),
        cmocka_unit_test(test_share_refused),
    };
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: teams on the web",
                                         tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
