/* Integration: teams on the web page over HTTP (libcurl), against the
 * server started in-process on a temporary store. An admin makes a team
 * and adds members at /admin/teams; a member shares an item from the
 * Today page's control with a note; another member sees it on the team
 * page, with "shared by N teammates" only from three sharers up; someone
 * outside the team gets "not found" and cannot share into it. Bad input
 * (names, notes, ids) is refused with nothing stored, and every change
 * needs the form's CSRF token.
 */
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

#include "err.h"
#include "feed.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "webclient.h"

struct inst {
    struct t_web srv;
    long long alice, bob, carol, eve, ed, ad;
    long long feed, other_feed;
    long long item[3], other_item;
};

static struct inst *in;

/* HTTP. */

/* GET 'page', which must offer a CSRF token, then POST the name/value
 * pairs to 'action' with it (csrf 0: leave it out). Returns the status. */
static long
submit(CURL *c, const char *page, const char *action, int csrf,
       struct t_resp *out, ...)
{
    char tok[80];
    va_list ap;

    assert_int_equal(t_web_csrf(c, page, tok, sizeof tok), 200);
    assert_true(tok[0] != '\0');
    va_start(ap, out);
    long st = t_web_vform(c, action, csrf ? tok : NULL, out, ap);
    va_end(ap);
    return st;
}

/* Seeding, through the store's own functions. */

static int
setup(void **state)
{
    static const struct t_seed_item titles[] = {
        { "Coaching <b>well</b> & often", NULL, "Some text.", NULL, NULL,
          3600 },
        { "Second item", NULL, "Some text.", NULL, NULL, 3600 },
        { "Third item", NULL, "Some text.", NULL, NULL, 3600 },
    };
    static const struct t_seed_item other[] = {
        { "Not for alice", NULL, "Some text.", NULL, NULL, 3600 },
    };
    struct store *st;
    long long now = (long long)time(NULL);
    (void)state;

    in = calloc(1, sizeof *in);
    assert_non_null(in);
    t_web_init(&in->srv);
    st = t_web_store(&in->srv);
    in->alice = t_web_user(st, "alice", "subscriber", T_WEB_PW);
    in->bob = t_web_user(st, "bob", "subscriber", T_WEB_PW);
    in->carol = t_web_user(st, "carol", "subscriber", T_WEB_PW);
    in->eve = t_web_user(st, "eve", "subscriber", T_WEB_PW);
    in->ed = t_web_user(st, "ed", "editor", T_WEB_PW);
    in->ad = t_web_user(st, "ad", "admin", T_WEB_PW);
    in->feed = t_web_seed_feed(st, "https://team.example/feed",
                               "Team <Feed>", titles, 3, now, in->item);
    in->other_feed = t_web_seed_feed(st, "https://other.example/feed",
                                     "Team <Feed>", other, 1, now,
                                     &in->other_item);
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
    struct store *st = t_web_store(&in->srv);
    int n = 0;
    assert_int_equal(store_team_list(st, 0, count_team, &n), CUR_OK);
    store_close(st);
    return n;
}

static int
is_member(long long team, long long user)
{
    struct store *st = t_web_store(&in->srv);
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
    struct store *st = t_web_store(&in->srv);
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
    struct store *st = t_web_store(&in->srv);
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
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_team_remove(st, id), CUR_OK);
    store_close(st);
}

/* The tests. */

static void
test_admin_makes_team(void **state)
{
    (void)state;
    CURL *c = t_web_signed_in(in->srv.port, "ad");
    struct t_resp r;
    long long team, uid;
    char path[64], num[24];

    assert_int_equal(t_web_get(c, "/admin/teams", &r), 200);
    assert_true(t_web_has(&r, "No teams yet."));
    assert_true(t_web_has(&r, "href=\"/admin/feeds\""));
    t_web_free(&r);

    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "create", "name", "Readers <b>",
                            (char *)NULL), 303);
    assert_true(t_web_hdr_has(&r, "Location: /admin/teams?done=team-added"));
    t_web_free(&r);
    struct store *st = t_web_store(&in->srv);
    assert_int_equal(store_team_find(st, "Readers <b>", &team), CUR_OK);
    store_close(st);
    assert_int_equal(t_web_get(c, "/admin/teams?done=team-added", &r), 200);
    assert_true(t_web_has(&r, "Readers &lt;b&gt;"));
    assert_false(t_web_has(&r, "Readers <b>"));
    assert_true(t_web_has(&r, "Team made."));
    t_web_free(&r);

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
        assert_true(t_web_has(&r, bad[i].msg));
        assert_true(t_web_has(&r, "id=\"name-error\""));
        t_web_free(&r);
    }
    assert_int_equal(teams_now(), 1);

    /* Members by user name. */
    snprintf(num, sizeof num, "%lld", team);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "alice",
                            (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "bob",
                            (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(is_member(team, in->alice), 1);
    assert_int_equal(is_member(team, in->bob), 1);
    assert_int_equal(is_member(team, in->carol), 0);
    assert_int_equal(t_web_get(c, "/admin/teams", &r), 200);
    assert_true(t_web_has(&r, "(2 members)"));
    assert_true(t_web_has(&r, "alice"));
    t_web_free(&r);
    /* Unknown and malformed users, a team that does not exist. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "nobody",
                            (char *)NULL), 400);
    assert_true(t_web_has(&r, "There is no user of that name."));
    t_web_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", num, "member", "a<b>'",
                            (char *)NULL), 400);
    assert_true(t_web_has(&r, "a&lt;b&gt;&#39;"));
    assert_false(t_web_has(&r, "a<b>'"));
    t_web_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "add", "team", "999999", "member", "carol",
                            (char *)NULL), 404);
    t_web_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "bogus", "team", num, (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(is_member(team, in->carol), 0);

    /* Without the CSRF token, or from another site: refused. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 0, &r, "act",
                            "add", "team", num, "member", "carol",
                            (char *)NULL), 403);
    t_web_free(&r);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 0, &r, "act",
                            "create", "name", "Sneaky", (char *)NULL), 403);
    t_web_free(&r);
    assert_int_equal(is_member(team, in->carol), 0);
    assert_int_equal(teams_now(), 1);

    /* Remove a member; again: not a member. */
    snprintf(path, sizeof path, "%lld", in->bob);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "remove", "team", num, "user", path,
                            (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(is_member(team, in->bob), 0);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "remove", "team", num, "user", path,
                            (char *)NULL), 404);
    t_web_free(&r);

    /* Removing the team takes the box ticked. */
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "delete", "team", num, (char *)NULL), 400);
    t_web_free(&r);
    assert_int_equal(teams_now(), 1);
    assert_int_equal(submit(c, "/admin/teams", "/admin/teams", 1, &r, "act",
                            "delete", "team", num, "confirm", "yes",
                            (char *)NULL), 303);
    t_web_free(&r);
    assert_int_equal(teams_now(), 0);
    st = t_web_store(&in->srv);
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
    struct t_resp r;
    CURL *anon = t_web_client(in->srv.port);
    CURL *alice = t_web_signed_in(in->srv.port, "alice");
    CURL *ed = t_web_signed_in(in->srv.port, "ed");
    CURL *eve = t_web_signed_in(in->srv.port, "eve");

    snprintf(path, sizeof path, "/teams/%lld", team);
    assert_int_equal(t_web_get(anon, "/admin/teams", &r), 303);
    assert_true(t_web_hdr_has(&r, "Location: /login?next=/admin/teams"));
    t_web_free(&r);
    assert_int_equal(t_web_get(anon, path, &r), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(alice, "/admin/teams", &r), 403);
    t_web_free(&r);
    assert_int_equal(t_web_get(ed, "/admin/teams", &r), 403);
    t_web_free(&r);
    assert_int_equal(t_web_get(alice, "/teams", &r), 200);
    assert_true(t_web_has(&r, path));
    t_web_free(&r);
    assert_int_equal(t_web_get(alice, path, &r), 200);
    assert_true(t_web_has(&r, "<h1>Roles</h1>"));
    t_web_free(&r);
    /* Not a member: not found, as for a team that does not exist. */
    assert_int_equal(t_web_get(eve, "/teams", &r), 200);
    assert_true(t_web_has(&r, "You are in no team yet"));
    assert_false(t_web_has(&r, path));
    t_web_free(&r);
    assert_int_equal(t_web_get(eve, path, &r), 404);
    assert_false(t_web_has(&r, "Roles"));
    t_web_free(&r);
    assert_int_equal(t_web_get(eve, "/teams/999999", &r), 404);
    t_web_free(&r);
    assert_int_equal(t_web_get(eve, "/teams/abc", &r), 404);
    t_web_free(&r);
    assert_int_equal(t_web_get(ed, path, &r), 404);
    t_web_free(&r);
    CURL *ad = t_web_signed_in(in->srv.port, "ad");
    assert_int_equal(t_web_get(ad, path, &r), 404);
    t_web_free(&r);
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
      struct t_resp *out)
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
    CURL *alice = t_web_signed_in(in->srv.port, "alice");
    CURL *bob = t_web_signed_in(in->srv.port, "bob");
    CURL *carol = t_web_signed_in(in->srv.port, "carol");
    char path[64], want[160];
    struct t_resp r;

    /* Alice's Today page: a share control per item, her team offered,
     * each item's form outside the page's form. */
    assert_int_equal(t_web_get(alice, "/today", &r), 200);
    assert_true(t_web_has(&r, "<summary>Share to team</summary>"));
    snprintf(want, sizeof want, "<option value=\"%lld\">Crew</option>",
             team);
    assert_true(t_web_has(&r, want));
    snprintf(want, sizeof want, "<form id=\"share-%lld\" method=\"post\" "
             "action=\"/teams/share\">", in->item[0]);
    assert_true(t_web_has(&r, want));
    snprintf(want, sizeof want, "form=\"share-%lld\">Share</button>",
             in->item[0]);
    assert_true(t_web_has(&r, want));
    const char *end_of_main = strstr(r.body.data, "</form><form id=\"share-");
    assert_non_null(end_of_main);
    t_web_free(&r);

    /* Alice shares with a note: back to the team page. */
    assert_int_equal(share(alice, team, in->item[0], "Read this <now> & "
                           "then", &r), 303);
    snprintf(want, sizeof want, "Location: /teams/%lld?done=shared#item-%lld",
             team, in->item[0]);
    assert_true(t_web_hdr_has(&r, want));
    t_web_free(&r);
    char note[1100];
    assert_int_equal(shares_in(team, note, sizeof note), 1);
    assert_string_equal(note, "Read this <now> & then");

    /* Bob sees it: the title, the note escaped, who shared it; no
     * count under three, nothing of Alice's feedback. */
    snprintf(path, sizeof path, "/teams/%lld", team);
    assert_int_equal(t_web_get(bob, path, &r), 200);
    assert_true(t_web_has(&r, "Coaching &lt;b&gt;well&lt;/b&gt; &amp; often"));
    assert_true(t_web_has(&r,
                          "&ldquo;Read this &lt;now&gt; &amp; then&rdquo;"));
    assert_true(t_web_has(&r, "<span class=\"who\">alice</span>"));
    assert_true(t_web_has(&r, "href=\"https://team.example/feed/item/0\""));
    assert_false(t_web_has(&r, "Shared by"));
    assert_false(t_web_has(&r, "<b>well"));
    assert_false(t_web_has(&r, "\xF0\x9F\x91\x8D"));
    assert_false(t_web_has(&r, "liked"));
    t_web_free(&r);

    /* Two sharers: still no count. */
    assert_int_equal(share(bob, team, in->item[0], "", &r), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(carol, path, &r), 200);
    assert_false(t_web_has(&r, "Shared by"));
    assert_false(t_web_has(&r, "2 teammates"));
    assert_true(t_web_has(&r, "<span class=\"who\">bob</span> shared it"));
    t_web_free(&r);
    /* Three: the count shows, the item once. */
    assert_int_equal(share(carol, team, in->item[0], "Agreed", &r), 303);
    t_web_free(&r);
    assert_int_equal(t_web_get(alice, path, &r), 200);
    assert_true(t_web_has(&r, "Shared by 3 teammates"));
    snprintf(want, sizeof want, "id=\"item-%lld\"", in->item[0]);
    const char *first = strstr(r.body.data, want);
    assert_non_null(first);
    assert_null(strstr(first + 1, want));
    t_web_free(&r);
    /* Sharing again replaces the note: still three sharers. */
    assert_int_equal(share(alice, team, in->item[0], "Updated", &r), 303);
    t_web_free(&r);
    assert_int_equal(shares_in(team, NULL, 0), 3);

    /* The standalone form for one item. */
    snprintf(want, sizeof want, "/teams/share?item=%lld", in->item[1]);
    assert_int_equal(t_web_get(alice, want, &r), 200);
    assert_true(t_web_has(&r, "Second item"));
    assert_true(t_web_has(&r, ">Crew</option>"));
    t_web_free(&r);

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
    CURL *alice = t_web_signed_in(in->srv.port, "alice");
    CURL *eve = t_web_signed_in(in->srv.port, "eve");
    char t[24], i[24], big[1200];
    struct t_resp r;

    snprintf(t, sizeof t, "%lld", team);
    snprintf(i, sizeof i, "%lld", in->item[1]);
    memset(big, 'x', 1001);
    big[1001] = '\0';
    /* A note too long, on two lines: the form back, beside the field. */
    assert_int_equal(share(alice, team, in->item[1], big, &r), 400);
    assert_true(t_web_has(&r, "id=\"note-error\""));
    assert_true(t_web_has(&r, "at most 1000 bytes"));
    t_web_free(&r);
    assert_int_equal(share(alice, team, in->item[1], "two\nlines", &r), 400);
    assert_true(t_web_has(&r, "one line of text"));
    t_web_free(&r);
    /* A team that is not hers, none, or not a number. */
    assert_int_equal(share(alice, other, in->item[1], "hi", &r), 403);
    assert_true(t_web_has(&r, "id=\"team-error\""));
    t_web_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            i, "team", "abc", (char *)NULL), 400);
    assert_true(t_web_has(&r, "Choose one of your teams."));
    t_web_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            i, (char *)NULL), 400);
    t_web_free(&r);
    /* Items she cannot see, or none. */
    assert_int_equal(share(alice, team, in->other_item, "hi", &r), 404);
    t_web_free(&r);
    assert_int_equal(share(alice, team, 0, "hi", &r), 404);
    t_web_free(&r);
    assert_int_equal(submit(alice, "/today", "/teams/share", 1, &r, "item",
                            "1e3", "team", t, (char *)NULL), 404);
    t_web_free(&r);
    /* No CSRF token, or a cross-site post. */
    assert_int_equal(submit(alice, "/today", "/teams/share", 0, &r, "item",
                            i, "team", t, (char *)NULL), 403);
    t_web_free(&r);
    {
        static const char *const xsite[] = {
            "Sec-Fetch-Site: cross-site", NULL
        };
        char tok[80], body[256];
        assert_int_equal(t_web_csrf(alice, "/today", tok, sizeof tok), 200);
        snprintf(body, sizeof body, "csrf=%s&item=%s&team=%s", tok, i, t);
        assert_int_equal(t_web_http(alice, "POST", "/teams/share", body,
                                    strlen(body), T_WEB_FORM, xsite, &r),
                         403);
        t_web_free(&r);
    }
    /* Eve, in no team: she may not share into Alice's. */
    snprintf(i, sizeof i, "%lld", in->item[2]);
    assert_int_equal(submit(eve, "/teams", "/teams/share", 1, &r, "item", i,
                            "team", t, "note", "let me in",
                            (char *)NULL), 403);
    assert_true(t_web_has(&r, "You are in no team"));
    t_web_free(&r);
    /* Anonymous: sign in first. */
    CURL *anon = t_web_client(in->srv.port);
    assert_int_equal(t_web_post(anon, "/teams/share", "item=1&team=1", &r),
                     403);
    t_web_free(&r);
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
    CURL *alice = t_web_signed_in(in->srv.port, "alice");
    struct t_resp r;
    assert_int_equal(teams_now(), 0);
    assert_int_equal(t_web_get(alice, "/today", &r), 200);
    assert_true(t_web_has(&r, "Coaching &lt;b&gt;well"));
    assert_false(t_web_has(&r, "Share to team"));
    assert_false(t_web_has(&r, "action=\"/teams/share\""));
    t_web_free(&r);
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
