/* Integration: the JSON API under /api/v1/ over HTTP with libcurl, and
 * the API tokens behind it. The server runs in-process (web_start()) on
 * a temporary store seeded through the store's own functions: two
 * subscribers, an editor and an admin, two feeds with hostile titles,
 * scored items with reasons, a near-copy and a gem. The tests cover
 * every resource and method, the roles (a subscriber cannot tag gems),
 * 401 for a missing, malformed, unknown or revoked token (and for a
 * browser session: cookies are not accepted), 404/405/413/415, other
 * users' rows, hostile JSON (deep nesting, huge numbers, wrong types,
 * invalid UTF-8, duplicate keys, NUL) answered 400 naming the field
 * with nothing stored, and tokens kept only hashed. The first test
 * drives store_api.c directly on a ":memory:" store.
 */
#define _GNU_SOURCE     /* asprintf, memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "err.h"
#include "feed.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "webclient.h"

#define JSON_CT "application/json"

struct inst {
    struct t_web srv;
    long long alice, eve, ed, ad;   /* subscriber x2, editor, admin */
    long long feed1, feed2, goal;
    long long item[6];
    char t_alice[STORE_API_TOKEN_LEN + 1];
    char t_eve[STORE_API_TOKEN_LEN + 1];
    char t_ed[STORE_API_TOKEN_LEN + 1];
    char t_ad[STORE_API_TOKEN_LEN + 1];
};

static struct inst *shared;

/* HTTP. */

/* An API call with 'token' (NULL: no Authorization header) and a JSON
 * body (NULL: none). */
static long
api(const char *token, const char *method, const char *path,
    const char *json, struct t_resp *out)
{
    char auth[128];
    const char *hs[] = { auth, NULL };
    CURL *c = t_web_client(shared->srv.port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s",
             token ? token : "");
    long st = t_web_http(c, method, path, json, json ? strlen(json) : 0,
                         json ? JSON_CT : NULL, token ? hs : NULL, out);
    curl_easy_cleanup(c);
    return st;
}

/* The same, answered with 'want'; the response is freed. */
static void
api_expect(const char *token, const char *method, const char *path,
           const char *json, long want)
{
    struct t_resp r;
    long got = api(token, method, path, json, &r);
    if (got != want)
        fprintf(stderr, "%s %s %s -> %ld (want %ld): %s\n", method, path,
                json ? json : "", got, want, r.body.data);
    assert_int_equal(got, want);
    t_web_free(&r);
}

/* The JSON string at 'key' of the body object, or NULL. */
static const char *
jget_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* An error answer: JSON with an "error" string, the API's type, and
 * (when field is not NULL) naming the field. */
static void
assert_error(const struct t_resp *r, const char *field)
{
    assert_non_null(r->json);
    assert_true(json_is_object(r->json));
    assert_non_null(jget_str(r->json, "error"));
    assert_true(t_web_hdr_has(r,
                              "Content-Type: application/json; charset=utf-8"));
    if (field != NULL) {
        assert_non_null(jget_str(r->json, "field"));
        assert_string_equal(jget_str(r->json, "field"), field);
        assert_non_null(strstr(jget_str(r->json, "error"), field));
    }
}

/* Seeding. */

static void
seed(struct inst *in)
{
    struct store *st;
    long long now = (long long)time(NULL);
    st = t_web_store(&in->srv);
    in->alice = t_web_user(st, "alice", "subscriber", T_WEB_PW);
    in->eve = t_web_user(st, "eve", "subscriber", NULL);
    in->ed = t_web_user(st, "ed", "editor", NULL);
    in->ad = t_web_user(st, "ad", "admin", NULL);
    long long feeds[2];
    t_web_seed_sample(st, now, feeds, in->item);
    in->feed1 = feeds[0];
    in->feed2 = feeds[1];
    t_web_seed_sample_profiles(st, now, in->alice, in->eve, in->ed, feeds,
                               in->item, &in->goal);
    assert_int_equal(store_api_token_create(st, in->alice, "alice's script",
                                            now, in->t_alice, NULL), CUR_OK);
    assert_int_equal(store_api_token_create(st, in->eve, "eve", now,
                                            in->t_eve, NULL), CUR_OK);
    assert_int_equal(store_api_token_create(st, in->ed, "ed", now,
                                            in->t_ed, NULL), CUR_OK);
    assert_int_equal(store_api_token_create(st, in->ad, "ad", now,
                                            in->t_ad, NULL), CUR_OK);
    store_close(st);
}

static struct inst *
inst_new(int allow_private)
{
    struct inst *in = calloc(1, sizeof *in);
    assert_non_null(in);
    t_web_init(&in->srv);
    seed(in);
    struct web_cfg wc = t_web_cfg();
    wc.allow_private = allow_private;
    t_web_start(&in->srv, &wc);
    return in;
}

static void
inst_free(struct inst *in)
{
    t_web_stop(&in->srv);
    free(in);
}

/* What a user has: counted through a second store handle. */
struct counts {
    int goals, interests, subs, saved, journal, verdicts, tokens, gems;
    int last_verdict;
    double half;                /* the weight of feed1 */
    char note[256];
};

static int
c_goal(void *ctx, long long id, const char *name)
{
    (void)id;
    (void)name;
    ((struct counts *)ctx)->goals++;
    return 0;
}

static int
c_interest(void *ctx, const struct store_interest_row *r)
{
    (void)r;
    ((struct counts *)ctx)->interests++;
    return 0;
}

static int
c_sub(void *ctx, const struct store_subscription *s)
{
    struct counts *n = ctx;
    n->subs++;
    if (s->feed_id == shared->feed1)
        n->half = s->weight;
    return 0;
}

static int
c_saved(void *ctx, const struct store_saved *s)
{
    struct counts *n = ctx;
    n->saved++;
    snprintf(n->note, sizeof n->note, "%s", s->note);
    return 0;
}

static int
c_journal(void *ctx, const struct store_journal *j)
{
    (void)j;
    ((struct counts *)ctx)->journal++;
    return 0;
}

static int
c_verdict(void *ctx, const struct store_verdict *v)
{
    struct counts *n = ctx;
    n->verdicts++;
    n->last_verdict = v->verdict;
    return 0;
}

static int
c_token(void *ctx, const struct store_api_token *t)
{
    (void)t;
    ((struct counts *)ctx)->tokens++;
    return 0;
}

static int
c_gem(void *ctx, long long a, long long b)
{
    (void)a;
    (void)b;
    ((struct counts *)ctx)->gems++;
    return 0;
}

static struct counts
counts_of(long long uid)
{
    struct counts n;
    struct store *st = t_web_store(&shared->srv);
    memset(&n, 0, sizeof n);
    assert_int_equal(store_goal_list(st, uid, c_goal, &n), CUR_OK);
    assert_int_equal(store_interest_rows(st, uid, c_interest, &n), CUR_OK);
    assert_int_equal(store_subscription_list(st, uid, c_sub, &n), CUR_OK);
    assert_int_equal(store_saved_list(st, uid, 1000, c_saved, &n), CUR_OK);
    assert_int_equal(store_journal_list(st, uid, NULL, 1000, c_journal, &n),
                     CUR_OK);
    assert_int_equal(store_feedback_user(st, uid, c_verdict, &n), CUR_OK);
    assert_int_equal(store_api_token_list(st, uid, c_token, &n), CUR_OK);
    assert_int_equal(store_gems_changed(st, 0, c_gem, &n), CUR_OK);
    store_close(st);
    return n;
}

static int
counts_equal(const struct counts *a, const struct counts *b)
{
    return a->goals == b->goals && a->interests == b->interests
           && a->subs == b->subs && a->saved == b->saved
           && a->journal == b->journal && a->verdicts == b->verdicts
           && a->tokens == b->tokens && a->gems == b->gems
           && a->half == b->half && strcmp(a->note, b->note) == 0;
}

/* The tests. */

static int
list_name(void *ctx, const struct store_api_token *t)
{
    snprintf(ctx, 80, "%s|%lld", t->name, t->last_used);
    return 0;
}

/* store_api.c on its own. */
static void
test_store_tokens(void **state)
{
    (void)state;
    struct store *st;
    struct store_api_auth who;
    char tok[STORE_API_TOKEN_LEN + 1], tok2[STORE_API_TOKEN_LEN + 1];
    char seen[80] = "";
    long long u1, u2, id, id2;

    assert_int_equal(store_open(":memory:", &st), CUR_OK);
    assert_int_equal(store_user_add(st, "u1", "u1@example.org", &u1),
                     CUR_OK);
    assert_int_equal(store_user_add(st, "u2", "u2@example.org", &u2),
                     CUR_OK);

    /* Names: 1 to 64 characters, no controls, not only spaces. */
    assert_true(store_api_name_ok("laptop"));
    assert_true(store_api_name_ok("caf\xc3\xa9 \xe2\x98\x95"));
    char name[300];
    memset(name, 'x', 64);
    name[64] = '\0';
    assert_true(store_api_name_ok(name));
    name[64] = 'x';
    name[65] = '\0';
    assert_false(store_api_name_ok(name));
    for (int i = 0; i < 64; i++)
        memcpy(name + 3 * i, "\xe2\x82\xac", 3);      /* 64 euro signs */
    name[192] = '\0';
    assert_true(store_api_name_ok(name));
    assert_false(store_api_name_ok(""));
    assert_false(store_api_name_ok("   "));
    assert_false(store_api_name_ok(NULL));
    assert_false(store_api_name_ok("tab\there"));
    assert_false(store_api_name_ok("del\x7f"));
    assert_false(store_api_name_ok("c1\xc2\x85"));          /* NEL */
    assert_false(store_api_name_ok("bad \xff utf8"));
    assert_false(store_api_name_ok("overlong \xc0\xaf"));
    assert_false(store_api_name_ok("surrogate \xed\xa0\x80"));
    assert_false(store_api_name_ok("cut \xe2\x82"));
    assert_int_equal(store_api_token_create(st, u1, "", 100, tok, NULL),
                     CUR_EINVAL);
    assert_string_equal(tok, "");

    /* Made: "cur_" and 43 base64url characters; only the hash kept. */
    assert_int_equal(store_api_token_create(st, u1, "laptop", 100, tok, &id),
                     CUR_OK);
    assert_int_equal(strlen(tok), STORE_API_TOKEN_LEN);
    assert_int_equal(strncmp(tok, "cur_", 4), 0);
    assert_int_equal(strspn(tok + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                            "klmnopqrstuvwxyz0123456789-_"), 43);
    assert_int_equal(store_api_token_create(st, u1, "laptop", 100, tok2,
                                            &id2), CUR_OK);
    assert_string_not_equal(tok, tok2);
    assert_true(id2 > id);

    /* Checked: the user, their role now, last use recorded. */
    assert_int_equal(store_api_token_check(st, tok, 1000, &who), CUR_OK);
    assert_int_equal(who.user_id, u1);
    assert_int_equal(who.token_id, id);
    assert_string_equal(who.name, "u1");
    assert_string_equal(who.role, "subscriber");
    assert_int_equal(store_user_set_role(st, u1, "editor"), CUR_OK);
    assert_int_equal(store_api_token_check(st, tok, 1001, &who), CUR_OK);
    assert_string_equal(who.role, "editor");
    /* Newest first; the use at 1000 recorded, the one at 1001 not
     * (within STORE_API_TOUCH_EVERY), the one 300 s later again. */
    assert_int_equal(store_api_token_list(st, u1, list_name, seen), CUR_OK);
    assert_string_equal(seen, "laptop|1000");
    assert_int_equal(store_api_token_revoke(st, u1, id2), CUR_OK);
    assert_int_equal(store_api_token_list(st, u1, list_name, seen), CUR_OK);
    assert_string_equal(seen, "laptop|1000");
    assert_int_equal(store_api_token_check(st, tok, 1299, &who), CUR_OK);
    assert_int_equal(store_api_token_list(st, u1, list_name, seen), CUR_OK);
    assert_string_equal(seen, "laptop|1000");
    assert_int_equal(store_api_token_check(st, tok, 1300, &who), CUR_OK);
    assert_int_equal(store_api_token_list(st, u1, list_name, seen), CUR_OK);
    assert_string_equal(seen, "laptop|1300");

    /* Refused shapes and unknown tokens. */
    assert_int_equal(store_api_token_check(st, tok2, 1000, &who),
                     CUR_ENOTFOUND);           /* revoked */
    assert_int_equal(who.user_id, 0);
    char bad[STORE_API_TOKEN_LEN + 2];
    snprintf(bad, sizeof bad, "%s", tok);
    bad[10] ^= 1;
    assert_int_equal(store_api_token_check(st, bad, 1000, &who),
                     CUR_ENOTFOUND);
    snprintf(bad, sizeof bad, "%sA", tok);
    assert_int_equal(store_api_token_check(st, bad, 1000, &who),
                     CUR_ENOTFOUND);
    assert_int_equal(store_api_token_check(st, tok + 4, 1000, &who),
                     CUR_ENOTFOUND);
    snprintf(bad, sizeof bad, "%s", tok);
    bad[20] = '\'';
    assert_int_equal(store_api_token_check(st, bad, 1000, &who),
                     CUR_ENOTFOUND);
    assert_int_equal(store_api_token_check(st, "", 1000, &who),
                     CUR_ENOTFOUND);
    assert_int_equal(store_api_token_check(st, NULL, 1000, &who),
                     CUR_ENOTFOUND);

    /* Revoking: only one's own. */
    assert_int_equal(store_api_token_revoke(st, u2, id), CUR_ENOTFOUND);
    assert_int_equal(store_api_token_check(st, tok, 1400, &who), CUR_OK);
    assert_int_equal(store_api_token_revoke(st, u1, id), CUR_OK);
    assert_int_equal(store_api_token_revoke(st, u1, id), CUR_ENOTFOUND);
    assert_int_equal(store_api_token_check(st, tok, 1400, &who),
                     CUR_ENOTFOUND);

    /* At most STORE_API_TOKENS_MAX per user. */
    for (int i = 0; i < STORE_API_TOKENS_MAX; i++)
        assert_int_equal(store_api_token_create(st, u2, "t", 5, tok, NULL),
                         CUR_OK);
    assert_int_equal(store_api_token_create(st, u2, "t", 5, tok, NULL),
                     CUR_ETOOBIG);
    assert_string_equal(tok, "");
    assert_int_equal(store_api_token_create(st, 9999, "t", 5, tok, NULL),
                     CUR_ENOTFOUND);

    /* A deleted user's tokens go with them. */
    assert_int_equal(store_api_token_create(st, u1, "last", 5, tok, NULL),
                     CUR_OK);
    assert_int_equal(store_user_delete(st, u1), CUR_OK);
    assert_int_equal(store_api_token_check(st, tok, 1000, &who),
                     CUR_ENOTFOUND);
    store_close(st);
}

static void
test_auth(void **state)
{
    (void)state;
    struct t_resp r;
    char bad[STORE_API_TOKEN_LEN + 1];

    /* No token. */
    assert_int_equal(api(NULL, "GET", "/api/v1/me", NULL, &r), 401);
    assert_error(&r, NULL);
    assert_true(t_web_hdr_has(&r,
                              "WWW-Authenticate: Bearer realm=\"curator\""));
    assert_true(t_web_hdr_has(&r, "X-Content-Type-Options: nosniff"));
    assert_true(t_web_hdr_has(&r, "Cache-Control: no-store"));
    t_web_free(&r);
    /* Unknown, malformed, wrong scheme. */
    snprintf(bad, sizeof bad, "%s", shared->t_alice);
    bad[STORE_API_TOKEN_LEN - 1] = bad[STORE_API_TOKEN_LEN - 1] == 'A'
                                   ? 'B' : 'A';
    assert_int_equal(api(bad, "GET", "/api/v1/me", NULL, &r), 401);
    assert_error(&r, NULL);
    assert_true(t_web_hdr_has(&r, "error=\"invalid_token\""));
    t_web_free(&r);
    api_expect("cur_short", "GET", "/api/v1/me", NULL, 401);
    api_expect("", "GET", "/api/v1/me", NULL, 401);
    char basic[128];
    snprintf(basic, sizeof basic, "Authorization: Basic %s", shared->t_alice);
    const char *hs[] = { basic, NULL };
    CURL *c = t_web_client(shared->srv.port);
    assert_int_equal(t_web_http(c, "GET", "/api/v1/me", NULL, 0, NULL, hs, &r),
                     401);
    t_web_free(&r);
    curl_easy_cleanup(c);
    /* Also unauthenticated: paths that do not exist say 401 first. */
    api_expect(NULL, "GET", "/api/v1/nothing", NULL, 401);
    api_expect(NULL, "POST", "/api/v1/gems", "{}", 401);

    /* A good token: who it is. */
    assert_int_equal(api(shared->t_alice, "GET", "/api/v1/me", NULL, &r),
                     200);
    assert_true(t_web_hdr_has(&r, "Content-Type: application/json; "
                                  "charset=utf-8"));
    assert_non_null(r.json);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")),
                     shared->alice);
    assert_string_equal(jget_str(r.json, "name"), "alice");
    assert_string_equal(jget_str(r.json, "email"), "alice@example.org");
    assert_string_equal(jget_str(r.json, "role"), "subscriber");
    t_web_free(&r);
    /* Scheme case and extra spaces are tolerated, as RFC 6750 reads. */
    char lower[128];
    snprintf(lower, sizeof lower, "Authorization: bearer   %s",
             shared->t_eve);
    const char *hl[] = { lower, NULL };
    c = t_web_client(shared->srv.port);
    assert_int_equal(t_web_http(c, "GET", "/api/v1/me", NULL, 0, NULL, hl, &r),
                     200);
    assert_string_equal(jget_str(r.json, "name"), "eve");
    t_web_free(&r);
    curl_easy_cleanup(c);
}

/* A browser session is not an API credential: no cookie is read. */
static void
test_cookie_not_accepted(void **state)
{
    (void)state;
    struct t_resp r;

    /* Sign in through the page. */
    CURL *c = t_web_signed_in(shared->srv.port, "alice");
    assert_int_equal(t_web_get(c, "/today", &r), 200);
    t_web_free(&r);
    /* The same client on the API, with its cookie: 401. */
    struct counts before = counts_of(shared->alice);
    assert_int_equal(t_web_get(c, "/api/v1/me", &r), 401);
    t_web_free(&r);
    assert_int_equal(t_web_http(c, "POST", "/api/v1/goals", "{\"name\":\"x\"}",
                                12, JSON_CT, NULL, &r), 401);
    t_web_free(&r);
    struct counts after = counts_of(shared->alice);
    assert_true(counts_equal(&before, &after));
    curl_easy_cleanup(c);
}

/* 404 and 405 (with Allow), as JSON. */
static void
test_not_found_and_methods(void **state)
{
    (void)state;
    struct t_resp r;
    const char *t = shared->t_alice;

    assert_int_equal(api(t, "GET", "/api/v1/nothing", NULL, &r), 404);
    assert_error(&r, NULL);
    t_web_free(&r);
    api_expect(t, "GET", "/api/v1/goals/", NULL, 404);
    api_expect(t, "GET", "/api/v1/me/", NULL, 404);
    api_expect(t, "GET", "/api/v1//me", NULL, 404);
    api_expect(t, "POST", "/api/v1/items/abc/feedback", "{\"vote\":\"up\"}",
               404);
    api_expect(t, "POST", "/api/v1/items/0/feedback", "{\"vote\":\"up\"}",
               404);
    api_expect(t, "POST", "/api/v1/items/-1/feedback", "{\"vote\":\"up\"}",
               404);
    api_expect(t, "POST", "/api/v1/items/99999999999999999999/feedback",
               "{\"vote\":\"up\"}", 404);
    api_expect(t, "POST", "/api/v1/items/1/feedback/x", "{\"vote\":\"up\"}",
               404);

    assert_int_equal(api(t, "PATCH", "/api/v1/goals", "{}", &r), 405);
    assert_error(&r, NULL);
    assert_true(t_web_hdr_has(&r, "Allow: GET, HEAD, POST\r\n"));
    t_web_free(&r);
    assert_int_equal(api(t, "POST", "/api/v1/me", "{}", &r), 405);
    assert_true(t_web_hdr_has(&r, "Allow: GET, HEAD\r\n"));
    t_web_free(&r);
    assert_int_equal(api(t, "GET", "/api/v1/journal/1", NULL, &r), 404);
    t_web_free(&r);
    assert_int_equal(api(t, "POST", "/api/v1/journal/1", "{}", &r), 405);
    assert_true(t_web_hdr_has(&r, "Allow: GET, HEAD, PUT, DELETE\r\n"));
    t_web_free(&r);
    assert_int_equal(api(t, "GET", "/api/v1/items/1/saved", NULL, &r), 405);
    assert_true(t_web_hdr_has(&r, "Allow: PUT, DELETE\r\n"));
    t_web_free(&r);
    assert_int_equal(api(t, "OPTIONS", "/api/v1/today", NULL, &r), 405);
    t_web_free(&r);
    /* HEAD is GET without the body. */
    assert_int_equal(api(t, "HEAD", "/api/v1/me", NULL, &r), 200);
    assert_int_equal(r.body.len, 0);
    t_web_free(&r);
    /* The pages still refuse other methods with their own Allow. */
    CURL *c = t_web_client(shared->srv.port);
    assert_int_equal(t_web_http(c, "PUT", "/today", "x", 1, "text/plain", NULL,
                                &r), 405);
    assert_true(t_web_hdr_has(&r, "Allow: GET, HEAD\r\n"));
    t_web_free(&r);
    assert_int_equal(t_web_http(c, "DELETE", "/journal", NULL, 0, NULL, NULL,
                                &r),
                     405);
    t_web_free(&r);
    curl_easy_cleanup(c);
}

/* Every route for every role: what each may reach. */
static void
test_route_matrix(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path, *body;
        long sub, editor, admin;
    } m[] = {
        { "GET", "/api/v1/me", NULL, 200, 200, 200 },
        { "GET", "/api/v1/today", NULL, 200, 200, 200 },
        { "GET", "/api/v1/saved", NULL, 200, 200, 200 },
        { "GET", "/api/v1/goals", NULL, 200, 200, 200 },
        { "GET", "/api/v1/interests", NULL, 200, 200, 200 },
        { "GET", "/api/v1/subscriptions", NULL, 200, 200, 200 },
        { "GET", "/api/v1/journal", NULL, 200, 200, 200 },
        /* Rows that are not the caller's: 404 for everyone. */
        { "DELETE", "/api/v1/goals/999999", NULL, 404, 404, 404 },
        { "DELETE", "/api/v1/interests/999999", NULL, 404, 404, 404 },
        { "DELETE", "/api/v1/subscriptions/999999", NULL, 404, 404, 404 },
        { "GET", "/api/v1/journal/999999", NULL, 404, 404, 404 },
        { "DELETE", "/api/v1/items/999999/saved", NULL, 404, 404, 404 },
        { "POST", "/api/v1/items/999999/feedback", "{\"vote\":\"up\"}",
          404, 404, 404 },
        /* The editors' route: a subscriber gets 403 even with a body
         * that would be refused, and before the item is looked up. */
        { "POST", "/api/v1/gems", "{\"item\":999999,\"note\":\"n\"}",
          403, 404, 404 },
        { "POST", "/api/v1/gems", "not json", 403, 400, 400 },
        { "GET", "/api/v1/gems", NULL, 405, 405, 405 },
    };
    const char *tok[3] = { shared->t_eve, shared->t_ed, shared->t_ad };

    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        long want[3] = { m[i].sub, m[i].editor, m[i].admin };
        for (int k = 0; k < 3; k++) {
            struct t_resp r;
            long got = api(tok[k], m[i].method, m[i].path, m[i].body, &r);
            if (got != want[k])
                fprintf(stderr, "role %d %s %s -> %ld, want %ld\n", k,
                        m[i].method, m[i].path, got, want[k]);
            assert_int_equal(got, want[k]);
            if (got != 200)
                assert_error(&r, NULL);
            t_web_free(&r);
        }
    }
}

static json_t *
group_of(json_t *groups, const char *kind, size_t *at)
{
    for (size_t i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        if (strcmp(jget_str(g, "kind"), kind) == 0) {
            *at = i;
            return g;
        }
    }
    return NULL;
}

static void
test_today(void **state)
{
    (void)state;
    struct t_resp r;
    size_t at_gems = 9, at_goal = 9, at_rest = 9;

    assert_int_equal(api(shared->t_alice, "GET", "/api/v1/today", NULL, &r),
                     200);
    assert_non_null(r.json);
    /* item0 with its near-copy item4 folded in, item1, item5 (gem);
     * item2 was excluded by a filter. */
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")),
                     3);
    json_t *groups = json_object_get(r.json, "groups");
    assert_int_equal(json_array_size(groups), 3);
    json_t *gems = group_of(groups, "gems", &at_gems);
    json_t *goal = group_of(groups, "goal", &at_goal);
    json_t *rest = group_of(groups, "rest", &at_rest);
    assert_non_null(gems);
    assert_non_null(goal);
    assert_non_null(rest);
    assert_true(at_gems < at_goal && at_goal < at_rest);
    assert_string_equal(jget_str(goal, "goal"), "Leadership");
    assert_string_equal(jget_str(goal, "title"), "Goal: Leadership");
    assert_string_equal(jget_str(rest, "title"), "More for you");

    json_t *g = json_array_get(json_object_get(gems, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(g, "id")),
                     shared->item[5]);
    json_t *gem = json_object_get(g, "gem");
    assert_string_equal(jget_str(gem, "editor"), "ed");
    assert_string_equal(jget_str(gem, "note"), "Worth <it>");

    assert_int_equal(json_array_size(json_object_get(goal, "items")), 1);
    json_t *top = json_array_get(json_object_get(goal, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(top, "id")),
                     shared->item[0]);
    /* Text as stored: markup is data in JSON, not escaped for HTML. */
    assert_string_equal(jget_str(top, "title"),
                        "Coaching <script>alert(1)</script> tips");
    assert_string_equal(jget_str(top, "link"),
                        "https://a.example/feed/item/0");
    assert_true(json_real_value(json_object_get(top, "score")) == 4.5);
    json_t *feed = json_object_get(top, "feed");
    assert_string_equal(jget_str(feed, "title"), "Alpha <News>");
    assert_int_equal(json_integer_value(json_object_get(feed, "id")),
                     shared->feed1);
    json_t *reasons = json_object_get(top, "reasons");
    assert_int_equal(json_array_size(reasons), 2);
    json_t *r0 = json_array_get(reasons, 0);
    assert_string_equal(jget_str(r0, "filter"), "keyword");
    assert_true(json_real_value(json_object_get(r0, "contribution"))
                == 4.0);
    assert_string_equal(jget_str(r0, "text"),
                        "title matches \"coaching\" (goal: Leadership)");
    assert_true(json_is_null(json_object_get(top, "verdict")));
    assert_true(json_is_false(json_object_get(top, "saved")));
    json_t *also = json_object_get(top, "also_in");
    assert_int_equal(json_array_size(also), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(also, 0), "id")), shared->item[4]);
    assert_string_equal(jget_str(json_array_get(also, 0), "feed"), "Beta");

    json_t *second = json_array_get(json_object_get(rest, "items"), 0);
    assert_int_equal(json_integer_value(json_object_get(second, "id")),
                     shared->item[1]);
    /* A javascript: link is not handed out. */
    assert_true(json_is_null(json_object_get(second, "link")));
    t_web_free(&r);

    /* limit: 1 to 200. */
    assert_int_equal(api(shared->t_alice, "GET", "/api/v1/today?limit=1",
                         NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")),
                     1);
    t_web_free(&r);
    assert_int_equal(api(shared->t_alice, "GET", "/api/v1/today?limit=0",
                         NULL, &r), 400);
    assert_error(&r, "limit");
    t_web_free(&r);
    api_expect(shared->t_alice, "GET", "/api/v1/today?limit=201", NULL, 400);
    api_expect(shared->t_alice, "GET", "/api/v1/today?limit=x", NULL, 400);
    /* Another user sees only their own ranking. */
    assert_int_equal(api(shared->t_eve, "GET", "/api/v1/today", NULL, &r),
                     200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")),
                     1);
    assert_non_null(strstr(r.body.data, "Mentoring"));
    assert_null(strstr(r.body.data, "Coaching"));
    t_web_free(&r);
}

static void
test_feedback(void **state)
{
    (void)state;
    struct t_resp r;
    char path[96];
    const char *t = shared->t_alice;

    snprintf(path, sizeof path, "/api/v1/items/%lld/feedback",
             shared->item[1]);
    struct counts before = counts_of(shared->alice);
    /* Bad votes: nothing stored. */
    assert_int_equal(api(t, "POST", path, "{\"vote\":\"meh\"}", &r), 400);
    assert_error(&r, "vote");
    t_web_free(&r);
    assert_int_equal(api(t, "POST", path, "{\"vote\":1}", &r), 400);
    assert_error(&r, "vote");
    t_web_free(&r);
    assert_int_equal(api(t, "POST", path, "{}", &r), 400);
    assert_error(&r, "vote");
    t_web_free(&r);
    assert_int_equal(api(t, "POST", path, "", &r), 400);
    assert_error(&r, "vote");
    t_web_free(&r);
    assert_int_equal(api(t, "POST", path, "{\"vote\":\"up\",\"x\":1}", &r),
                     400);
    assert_error(&r, "x");
    t_web_free(&r);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    assert_int_equal(api(t, "POST", path, "{\"vote\":\"up\"}", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "item")),
                     shared->item[1]);
    assert_string_equal(jget_str(r.json, "vote"), "up");
    t_web_free(&r);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.verdicts, before.verdicts + 1);
    assert_int_equal(n.last_verdict, 1);
    api_expect(t, "POST", path, "{\"vote\":\"down\"}", 200);
    n = counts_of(shared->alice);
    assert_int_equal(n.verdicts, before.verdicts + 1);     /* replaced */
    assert_int_equal(n.last_verdict, -1);
    /* The Today answer shows it. */
    assert_int_equal(api(t, "GET", "/api/v1/today", NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "\"verdict\":\"down\""));
    t_web_free(&r);
    /* "less": half weight for the item's source. */
    assert_true(n.half == 1.0);
    api_expect(t, "POST", path, "{\"vote\":\"less\"}", 200);
    n = counts_of(shared->alice);
    assert_true(n.half == 0.5);

    /* eve cannot see feed1's items: 404, nothing stored for her. */
    struct counts e0 = counts_of(shared->eve);
    snprintf(path, sizeof path, "/api/v1/items/%lld/feedback",
             shared->item[0]);
    assert_int_equal(api(shared->t_eve, "POST", path, "{\"vote\":\"up\"}",
                         &r), 404);
    assert_error(&r, NULL);
    t_web_free(&r);
    struct counts e1 = counts_of(shared->eve);
    assert_true(counts_equal(&e0, &e1));
}

static void
test_saved(void **state)
{
    (void)state;
    struct t_resp r;
    char path[96];
    const char *t = shared->t_alice;

    snprintf(path, sizeof path, "/api/v1/items/%lld/saved", shared->item[2]);
    struct counts before = counts_of(shared->alice);
    /* A note too long, of the wrong type, with a NUL: nothing saved. */
    char *big = malloc(10020);
    memcpy(big, "{\"note\":\"", 9);
    memset(big + 9, 'n', 10001);
    memcpy(big + 10010, "\"}", 3);
    assert_int_equal(api(t, "PUT", path, big, &r), 400);
    assert_error(&r, "note");
    t_web_free(&r);
    free(big);
    assert_int_equal(api(t, "PUT", path, "{\"note\":[]}", &r), 400);
    assert_error(&r, "note");
    t_web_free(&r);
    assert_int_equal(api(t, "PUT", path, "{\"note\":\"a\\u0001b\"}", &r),
                     400);
    assert_error(&r, "note");
    t_web_free(&r);
    api_expect(t, "PUT", path, "{\"note\":\"a\\u0000b\"}", 400);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    /* Saved with a note; saved again without one keeps it. */
    api_expect(t, "PUT", path, "{\"note\":\"Why:\\n\\tit <matters>\"}", 204);
    api_expect(t, "PUT", path, NULL, 204);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.saved, before.saved + 1);
    assert_string_equal(n.note, "Why:\n\tit <matters>");
    assert_int_equal(api(t, "GET", "/api/v1/saved", NULL, &r), 200);
    json_t *list = json_object_get(r.json, "saved");
    assert_int_equal(json_array_size(list), before.saved + 1);
    json_t *s0 = json_array_get(list, 0);
    assert_string_equal(jget_str(s0, "note"), "Why:\n\tit <matters>");
    json_t *item = json_object_get(s0, "item");
    assert_int_equal(json_integer_value(json_object_get(item, "id")),
                     shared->item[2]);
    assert_string_equal(jget_str(item, "title"),
                        "Onboarding in ninety days");
    t_web_free(&r);
    api_expect(t, "GET", "/api/v1/saved?limit=0", NULL, 400);
    api_expect(t, "GET", "/api/v1/saved?limit=1001", NULL, 400);

    /* eve: not her item, not her save. */
    assert_int_equal(api(shared->t_eve, "PUT", path, "{\"note\":\"x\"}",
                         &r), 404);
    t_web_free(&r);
    api_expect(shared->t_eve, "DELETE", path, NULL, 404);
    n = counts_of(shared->alice);
    assert_int_equal(n.saved, before.saved + 1);

    api_expect(t, "DELETE", path, NULL, 204);
    api_expect(t, "DELETE", path, NULL, 404);
    n = counts_of(shared->alice);
    assert_int_equal(n.saved, before.saved);
}

static void
test_goals(void **state)
{
    (void)state;
    struct t_resp r;
    char path[64];
    const char *t = shared->t_alice;
    struct counts before = counts_of(shared->alice);

    /* Refused: nothing stored. */
    assert_int_equal(api(t, "POST", "/api/v1/goals", "{\"name\":\"  \"}",
                         &r), 400);
    assert_error(&r, "name");
    t_web_free(&r);
    char big[200];
    snprintf(big, sizeof big, "{\"name\":\"%0128d\"}", 0);
    api_expect(t, "POST", "/api/v1/goals", big, 400);
    api_expect(t, "POST", "/api/v1/goals", "{\"name\":\"a\\nb\"}", 400);
    api_expect(t, "POST", "/api/v1/goals", "{\"name\":null}", 400);
    api_expect(t, "POST", "/api/v1/goals", "{\"title\":\"x\"}", 400);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    assert_int_equal(api(t, "POST", "/api/v1/goals",
                         "{\"name\":\"  Mentoring  \"}", &r), 201);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    assert_true(id > 0);
    assert_string_equal(jget_str(r.json, "name"), "Mentoring");
    snprintf(path, sizeof path, "/api/v1/goals/%lld", id);
    char loc[96];
    snprintf(loc, sizeof loc, "Location: %s\r\n", path);
    assert_true(t_web_hdr_has(&r, loc));
    t_web_free(&r);
    /* The same name again (case aside): 409. */
    assert_int_equal(api(t, "POST", "/api/v1/goals",
                         "{\"name\":\"mentoring\"}", &r), 409);
    assert_error(&r, "name");
    t_web_free(&r);

    assert_int_equal(api(t, "GET", "/api/v1/goals", NULL, &r), 200);
    json_t *goals = json_object_get(r.json, "goals");
    assert_int_equal(json_array_size(goals), before.goals + 1);
    assert_string_equal(jget_str(json_array_get(goals, 0), "name"),
                        "Leadership");
    t_web_free(&r);

    /* Renamed; a clash is 409; eve cannot touch it. */
    assert_int_equal(api(t, "PUT", path, "{\"name\":\"Mentoring well\"}",
                         &r), 200);
    assert_string_equal(jget_str(r.json, "name"), "Mentoring well");
    t_web_free(&r);
    api_expect(t, "PUT", path, "{\"name\":\"Leadership\"}", 409);
    api_expect(shared->t_eve, "PUT", path, "{\"name\":\"Mine\"}", 404);
    api_expect(shared->t_eve, "DELETE", path, NULL, 404);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.goals, before.goals + 1);
    api_expect(t, "DELETE", path, NULL, 204);
    api_expect(t, "DELETE", path, NULL, 404);
    n = counts_of(shared->alice);
    assert_int_equal(n.goals, before.goals);
}

static json_t *
interest_named(json_t *list, const char *term)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(jget_str(json_array_get(list, i), "term"), term) == 0)
            return json_array_get(list, i);
    return NULL;
}

static void
test_interests(void **state)
{
    (void)state;
    struct t_resp r;
    char body[256], path[64];
    const char *t = shared->t_alice;
    struct counts before = counts_of(shared->alice);
    long long eve_goal;

    struct store *st = t_web_store(&shared->srv);
    assert_int_equal(store_goal_add(st, shared->eve, "Eve's", &eve_goal),
                     CUR_OK);
    store_close(st);

    /* Refused, each naming its field; nothing stored. */
    static const struct {
        const char *body, *field;
    } bad[] = {
        { "{\"weight\":2}", "term" },
        { "{\"term\":\"\"}", "term" },
        { "{\"term\":\"say \\\"hi\\\"\"}", "term" },
        { "{\"term\":\"a\\tb\"}", "term" },
        { "{\"term\":5}", "term" },
        { "{\"term\":\"ok\",\"weight\":11}", "weight" },
        { "{\"term\":\"ok\",\"weight\":-10.5}", "weight" },
        { "{\"term\":\"ok\",\"weight\":\"2\"}", "weight" },
        { "{\"term\":\"ok\",\"weight\":null}", "weight" },
        { "{\"term\":\"ok\",\"weight\":1e308}", "weight" },
        { "{\"term\":\"ok\",\"goal\":\"Leadership\"}", "goal" },
        { "{\"term\":\"ok\",\"goal\":1.5}", "goal" },
        { "{\"term\":\"ok\",\"goal\":-3}", "goal" },
        { "{\"term\":\"ok\",\"phrase\":\"yes\"}", "phrase" },
        { "{\"term\":\"ok\",\"colour\":\"red\"}", "colour" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(api(t, "POST", "/api/v1/interests", bad[i].body,
                             &r), 400);
        assert_error(&r, bad[i].field);
        t_web_free(&r);
    }
    /* Another user's goal is not one of hers. */
    snprintf(body, sizeof body, "{\"term\":\"ok\",\"goal\":%lld}", eve_goal);
    assert_int_equal(api(t, "POST", "/api/v1/interests", body, &r), 400);
    assert_error(&r, "goal");
    t_web_free(&r);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    /* Added: 201 with the row; several words make a phrase. */
    snprintf(body, sizeof body, "{\"term\":\" team rituals \",\"weight\":"
             "-2.5,\"goal\":%lld}", shared->goal);
    assert_int_equal(api(t, "POST", "/api/v1/interests", body, &r), 201);
    assert_string_equal(jget_str(r.json, "term"), "team rituals");
    assert_true(json_real_value(json_object_get(r.json, "weight")) == -2.5);
    assert_true(json_is_true(json_object_get(r.json, "phrase")));
    assert_string_equal(jget_str(json_object_get(r.json, "goal"), "name"),
                        "Leadership");
    long long id = json_integer_value(json_object_get(r.json, "id"));
    t_web_free(&r);
    /* Changed: 200, the goal dropped with null. */
    assert_int_equal(api(t, "POST", "/api/v1/interests",
                         "{\"term\":\"team rituals\",\"weight\":3,"
                         "\"goal\":null}", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
    assert_true(json_is_null(json_object_get(r.json, "goal")));
    assert_true(json_number_value(json_object_get(r.json, "weight")) == 3);
    t_web_free(&r);
    api_expect(t, "POST", "/api/v1/interests",
               "{\"term\":\"retro\",\"phrase\":true}", 201);

    assert_int_equal(api(t, "GET", "/api/v1/interests", NULL, &r), 200);
    json_t *list = json_object_get(r.json, "interests");
    assert_int_equal(json_array_size(list), before.interests + 2);
    json_t *c = interest_named(list, "coaching");
    assert_non_null(c);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(c, "goal"), "id")), shared->goal);
    assert_true(json_is_true(json_object_get(interest_named(list, "retro"),
                                             "phrase")));
    t_web_free(&r);

    /* Removed by id; eve cannot. */
    snprintf(path, sizeof path, "/api/v1/interests/%lld", id);
    api_expect(shared->t_eve, "DELETE", path, NULL, 404);
    api_expect(t, "DELETE", path, NULL, 204);
    api_expect(t, "DELETE", path, NULL, 404);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.interests, before.interests + 1);
}

static void
test_subscriptions(void **state)
{
    (void)state;
    struct t_resp r;
    char path[64];
    const char *t = shared->t_eve;
    struct counts before = counts_of(shared->eve);

    static const char *const bad[] = {
        "{\"url\":\"ftp://example.org/feed\"}",
        "{\"url\":\"file:///etc/passwd\"}",
        "{\"url\":\"javascript:alert(1)\"}",
        "{\"url\":\"https://\"}",
        "{\"url\":\"https://ex ample.org/\"}",
        "{\"url\":\"example.org/feed\"}",
        "{\"url\":\"\"}",
        "{\"url\":42}",
        "{}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(api(t, "POST", "/api/v1/subscriptions", bad[i],
                             &r), 400);
        assert_error(&r, "url");
        t_web_free(&r);
    }
    struct counts same = counts_of(shared->eve);
    assert_true(counts_equal(&before, &same));

    assert_int_equal(api(t, "POST", "/api/v1/subscriptions",
                         "{\"url\":\"https://c.example/feed.xml\"}", &r),
                     201);
    long long fid = json_integer_value(json_object_get(r.json, "id"));
    assert_true(fid > 0);
    assert_string_equal(jget_str(r.json, "url"),
                        "https://c.example/feed.xml");
    t_web_free(&r);
    /* Again: already subscribed, 200. An existing feed: 201 for her. */
    api_expect(t, "POST", "/api/v1/subscriptions",
               "{\"url\":\"https://c.example/feed.xml\"}", 200);
    assert_int_equal(api(t, "POST", "/api/v1/subscriptions",
                         "{\"url\":\"https://a.example/feed\"}", &r), 201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")),
                     shared->feed1);
    t_web_free(&r);

    assert_int_equal(api(t, "GET", "/api/v1/subscriptions", NULL, &r), 200);
    json_t *subs = json_object_get(r.json, "subscriptions");
    assert_int_equal(json_array_size(subs), before.subs + 2);
    int seen_new = 0;
    for (size_t i = 0; i < json_array_size(subs); i++) {
        json_t *s = json_array_get(subs, i);
        if (json_integer_value(json_object_get(s, "id")) == fid) {
            seen_new = 1;
            assert_true(json_is_null(json_object_get(s, "title")));
            assert_true(json_number_value(json_object_get(s, "weight"))
                        == 1.0);
        }
    }
    assert_true(seen_new);
    t_web_free(&r);

    /* Unsubscribing: only one's own. */
    snprintf(path, sizeof path, "/api/v1/subscriptions/%lld", fid);
    api_expect(shared->t_alice, "DELETE", path, NULL, 404);
    api_expect(t, "DELETE", path, NULL, 204);
    api_expect(t, "DELETE", path, NULL, 404);
    snprintf(path, sizeof path, "/api/v1/subscriptions/%lld", shared->feed1);
    api_expect(t, "DELETE", path, NULL, 204);
    struct counts n = counts_of(shared->eve);
    assert_int_equal(n.subs, before.subs);
    /* Alice still has feed1. */
    n = counts_of(shared->alice);
    assert_int_equal(n.subs, 2);
}

/* With private addresses refused (the default without a config),
 * address literals of internal hosts are refused at once, and nothing
 * is fetched or stored. */
static void
test_subscriptions_private(void **state)
{
    (void)state;
    struct inst *keep = shared;
    shared = inst_new(0);
    char *www, url[300], body[400];
    struct t_resp r;

    assert_true(asprintf(&www, "%s/www", shared->srv.dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    assert_non_null(fixture);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);
    struct t_http *h = t_http_start(www);
    struct counts before = counts_of(shared->eve);
    const char *hosts[] = {
        "127.0.0.1:%u", "localhost:%u", "LOCALHOST.:%u", "127.1:%u",
        "2130706433:%u", "0x7f.0.0.1:%u", "[::1]:%u",
        "[::ffff:127.0.0.1]:%u", "10.0.0.8:%u", "169.254.169.254:%u",
        "0.0.0.0:%u", "sub.localhost:%u",
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char host[64];
        snprintf(host, sizeof host, hosts[i], t_http_port(h));
        snprintf(url, sizeof url, "http://%s/feed.xml", host);
        snprintf(body, sizeof body, "{\"url\":\"%s\"}", url);
        long st = api(shared->t_eve, "POST", "/api/v1/subscriptions", body,
                      &r);
        if (st != 400)
            fprintf(stderr, "%s -> %ld\n", url, st);
        assert_int_equal(st, 400);
        assert_error(&r, "url");
        t_web_free(&r);
    }
    assert_int_equal(t_http_requests(h), 0);
    struct counts after = counts_of(shared->eve);
    assert_true(counts_equal(&before, &after));
    /* A public name is taken (the poller checks it at connect time). */
    api_expect(shared->t_eve, "POST", "/api/v1/subscriptions",
               "{\"url\":\"https://feeds.example.org/rss\"}", 201);
    t_http_stop(h);
    free(www);
    inst_free(shared);
    shared = keep;
}

static void
test_journal(void **state)
{
    (void)state;
    struct t_resp r;
    char body[256], path[64];
    const char *t = shared->t_alice;
    struct counts before = counts_of(shared->alice);

    /* Refused. */
    api_expect(t, "POST", "/api/v1/journal", "{\"body\":\" \\n\\t \"}", 400);
    api_expect(t, "POST", "/api/v1/journal", "{}", 400);
    api_expect(t, "POST", "/api/v1/journal", "{\"body\":\"x\",\"item\":"
               "\"3\"}", 400);
    api_expect(t, "POST", "/api/v1/journal", "{\"body\":\"x\\u001b[31m\"}",
               400);
    char *big = malloc(20100);
    snprintf(big, 20100, "{\"body\":\"%020001d\"}", 0);
    assert_int_equal(api(t, "POST", "/api/v1/journal", big, &r), 400);
    assert_error(&r, "body");
    t_web_free(&r);
    free(big);
    /* An item she cannot see: 404 naming it. */
    snprintf(body, sizeof body, "{\"body\":\"about it\",\"item\":%lld}",
             shared->item[3]);
    assert_int_equal(api(shared->t_ed, "POST", "/api/v1/journal", body, &r),
                     404);
    assert_error(&r, "item");
    t_web_free(&r);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    /* Written, about an item; found by a word prefix. */
    snprintf(body, sizeof body, "{\"body\":\"Tried the retrospective "
             "format\\nworked <well>\",\"item\":%lld}", shared->item[0]);
    assert_int_equal(api(t, "POST", "/api/v1/journal", body, &r), 201);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    assert_string_equal(jget_str(r.json, "body"),
                        "Tried the retrospective format\nworked <well>");
    json_t *item = json_object_get(r.json, "item");
    assert_int_equal(json_integer_value(json_object_get(item, "id")),
                     shared->item[0]);
    snprintf(path, sizeof path, "/api/v1/journal/%lld", id);
    char loc[96];
    snprintf(loc, sizeof loc, "Location: %s\r\n", path);
    assert_true(t_web_hdr_has(&r, loc));
    t_web_free(&r);
    assert_int_equal(api(t, "POST", "/api/v1/journal",
                         "{\"body\":\"Unrelated note\",\"item\":null}", &r),
                     201);
    assert_true(json_is_null(json_object_get(r.json, "item")));
    t_web_free(&r);

    assert_int_equal(api(t, "GET", "/api/v1/journal?q=retro", NULL, &r),
                     200);
    json_t *entries = json_object_get(r.json, "entries");
    assert_int_equal(json_array_size(entries), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(entries, 0), "id")), id);
    t_web_free(&r);
    assert_int_equal(api(t, "GET", "/api/v1/journal", NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "entries")),
                     before.journal + 2);
    t_web_free(&r);
    char q[300] = "/api/v1/journal?q=";
    memset(q + strlen(q), 'a', 201);
    assert_int_equal(api(t, "GET", q, NULL, &r), 400);
    assert_error(&r, "q");
    t_web_free(&r);

    /* Read, changed, removed: only by her. */
    assert_int_equal(api(t, "GET", path, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
    t_web_free(&r);
    api_expect(shared->t_eve, "GET", path, NULL, 404);
    api_expect(shared->t_eve, "PUT", path, "{\"body\":\"mine now\"}", 404);
    api_expect(shared->t_eve, "DELETE", path, NULL, 404);
    api_expect(t, "PUT", path, "{\"body\":\"\"}", 400);
    api_expect(t, "PUT", path, "{\"body\":\"x\",\"item\":1}", 400);
    assert_int_equal(api(t, "PUT", path, "{\"body\":\"Edited\"}", &r), 200);
    assert_string_equal(jget_str(r.json, "body"), "Edited");
    t_web_free(&r);
    api_expect(t, "DELETE", path, NULL, 204);
    api_expect(t, "GET", path, NULL, 404);
    api_expect(t, "PUT", path, "{\"body\":\"gone\"}", 404);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.journal, before.journal + 1);
}

struct gem_copy {
    char note[128], tags[128], audience[256];
    long long expires;
    int found;
};

static int
gem_copy(void *ctx, const struct store_scoring_item *it)
{
    struct gem_copy *g = ctx;
    g->found = it->gem_editor != NULL;
    snprintf(g->note, sizeof g->note, "%s", it->gem_note ? it->gem_note
                                                         : "");
    snprintf(g->tags, sizeof g->tags, "%s", it->gem_tags ? it->gem_tags
                                                         : "");
    snprintf(g->audience, sizeof g->audience, "%s",
             it->gem_audience ? it->gem_audience : "");
    return 0;
}

static struct gem_copy
gem_of(long long item)
{
    struct gem_copy g;
    memset(&g, 0, sizeof g);
    struct store *st = t_web_store(&shared->srv);
    assert_int_equal(store_scoring_item(st, item, (long long)time(NULL),
                                        gem_copy, &g), CUR_OK);
    store_close(st);
    return g;
}

static void
test_gems(void **state)
{
    (void)state;
    struct t_resp r;
    char body[512];
    long long item = shared->item[1];

    /* A subscriber: 403, nothing tagged. */
    snprintf(body, sizeof body, "{\"item\":%lld,\"note\":\"Good\"}", item);
    assert_int_equal(api(shared->t_alice, "POST", "/api/v1/gems", body, &r),
                     403);
    assert_error(&r, NULL);
    t_web_free(&r);
    assert_false(gem_of(item).found);

    /* Refused fields. */
    static const struct {
        const char *fmt, *field;
    } bad[] = {
        { "{\"item\":%lld}", "note" },
        { "{\"item\":%lld,\"note\":\"\"}", "note" },
        { "{\"item\":%lld,\"note\":\"x\",\"days\":366}", "days" },
        { "{\"item\":%lld,\"note\":\"x\",\"days\":-1}", "days" },
        { "{\"item\":%lld,\"note\":\"x\",\"days\":1.5}", "days" },
        { "{\"item\":%lld,\"note\":\"x\",\"audience\":[1]}", "audience" },
        { "{\"item\":%lld,\"note\":\"x\",\"audience\":[\"a,b\"]}",
          "audience" },
        { "{\"item\":%lld,\"note\":\"x\",\"tags\":{}}", "tags" },
        { "{\"item\":%lld,\"note\":\"x\",\"editor\":1}", "editor" },
        /* The Gems page's rules: teams must exist, at most 20 entries of
         * 64 bytes. */
        { "{\"item\":%lld,\"note\":\"x\",\"audience\":\"team:Nope\"}",
          "audience" },
        { "{\"item\":%lld,\"note\":\"x\",\"tags\":\"a,b,c,d,e,f,g,h,i,j,"
          "k,l,m,n,o,p,q,r,s,t,u\"}", "tags" },
        { "{\"item\":%lld,\"note\":\"x\",\"tags\":[\"a\\nb\"]}",
          "tags" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, bad[i].fmt, item);
        assert_int_equal(api(shared->t_ed, "POST", "/api/v1/gems", body, &r),
                         400);
        assert_error(&r, bad[i].field);
        t_web_free(&r);
    }
    api_expect(shared->t_ed, "POST", "/api/v1/gems",
               "{\"item\":\"1\",\"note\":\"x\"}", 400);
    char *big = malloc(1200);
    snprintf(big, 1200, "{\"item\":%lld,\"note\":\"%01001d\"}", item, 0);
    api_expect(shared->t_ed, "POST", "/api/v1/gems", big, 400);
    snprintf(big, 1200, "{\"item\":%lld,\"note\":\"x\",\"audience\":\""
             "%065d\"}", item, 0);
    api_expect(shared->t_ed, "POST", "/api/v1/gems", big, 400);
    free(big);
    assert_int_equal(api(shared->t_ed, "POST", "/api/v1/gems",
                         "{\"item\":999999,\"note\":\"x\"}", &r), 404);
    assert_error(&r, "item");
    t_web_free(&r);
    assert_false(gem_of(item).found);

    /* An editor tags it; the answer says until when. */
    long long now = (long long)time(NULL);
    snprintf(body, sizeof body, "{\"item\":%lld,\"note\":\"Read this\\nnow\","
             "\"tags\":[\"Craft\",\" teams \"],\"audience\":[\"Leadership\","
             "\"New managers\"],\"days\":7}", item);
    assert_int_equal(api(shared->t_ed, "POST", "/api/v1/gems", body, &r),
                     201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "item")),
                     item);
    long long exp = json_integer_value(json_object_get(r.json, "expires"));
    assert_true(exp >= now + 7 * 86400 && exp <= now + 7 * 86400 + 5);
    t_web_free(&r);
    struct gem_copy g = gem_of(item);
    assert_true(g.found);
    assert_string_equal(g.note, "Read this\nnow");
    assert_string_equal(g.tags, "craft,teams");
    assert_string_equal(g.audience, "Leadership,New managers");
    /* An admin too; strings for lists; 0 days: always. */
    snprintf(body, sizeof body, "{\"item\":%lld,\"note\":\"Again\","
             "\"audience\":\"Leadership\",\"days\":0}", item);
    assert_int_equal(api(shared->t_ad, "POST", "/api/v1/gems", body, &r),
                     201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "expires")),
                     0);
    t_web_free(&r);
    g = gem_of(item);
    assert_string_equal(g.note, "Again");
    assert_string_equal(g.audience, "Leadership");
}

/* Hostile bodies: 400 (or 413, 415) with a JSON message, nothing
 * stored. */
static void
test_hostile_json(void **state)
{
    (void)state;
    struct t_resp r;
    const char *t = shared->t_alice;
    struct counts before = counts_of(shared->alice);
    char *deep = malloc(40000);

    /* Deep nesting, inside a field and at the top. */
    strcpy(deep, "{\"name\":");
    memset(deep + 8, '[', 10000);
    deep[10008] = '\0';
    assert_int_equal(api(t, "POST", "/api/v1/goals", deep, &r), 400);
    assert_error(&r, "body");
    t_web_free(&r);
    memset(deep, '[', 30000);
    memset(deep + 30000, ']', 9000);
    deep[39000] = '\0';
    api_expect(t, "POST", "/api/v1/goals", deep, 400);
    /* Nine levels: over the API's limit though jansson would take it. */
    assert_int_equal(api(t, "POST", "/api/v1/goals",
                         "{\"name\":[[[[[[[[\"x\"]]]]]]]]}", &r), 400);
    assert_error(&r, "body");
    assert_non_null(strstr(jget_str(r.json, "error"), "nested more than 8"));
    t_web_free(&r);
    /* Brackets inside strings are text, not nesting. */
    assert_int_equal(api(t, "POST", "/api/v1/journal",
                         "{\"body\":\"[[[[[[[[[[{{{{{{{{{{\"}", &r), 201);
    long long jid = json_integer_value(json_object_get(r.json, "id"));
    t_web_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/journal/%lld", jid);
    api_expect(t, "DELETE", path, NULL, 204);
    free(deep);

    static const struct {
        const char *body;
        size_t len;             /* 0: strlen */
        long status;
        const char *field;      /* NULL: the body */
    } cases[] = {
        /* Not JSON, or not an object. */
        { "", 0, 400, "name" },
        { "{", 0, 400, NULL },
        { "{\"name\":\"x\"", 0, 400, NULL },
        { "{\"name\":\"x\"} trailing", 0, 400, NULL },
        { "[\"name\"]", 0, 400, NULL },
        { "\"name\"", 0, 400, NULL },
        { "null", 0, 400, NULL },
        { "{'name':'x'}", 0, 400, NULL },
        { "{\"name\":\"x\",}", 0, 400, NULL },
        { "{\"name\":NaN}", 0, 400, NULL },
        { "{\"name\":Infinity}", 0, 400, NULL },
        /* Duplicate keys: which one would win is not guessed. */
        { "{\"name\":\"a\",\"name\":\"b\"}", 0, 400, NULL },
        /* Invalid UTF-8, raw and escaped; lone surrogates; NUL. */
        { "{\"name\":\"\xff\xfe\"}", 0, 400, NULL },
        { "{\"name\":\"\xc0\xaf\"}", 0, 400, NULL },
        { "{\"name\":\"\xed\xa0\x80\"}", 0, 400, NULL },
        { "{\"na\xffme\":\"x\"}", 0, 400, NULL },
        { "{\"name\":\"\\ud800\"}", 0, 400, NULL },
        { "{\"name\":\"a\\u0000b\"}", 0, 400, NULL },
        { "{\"name\":\"a\0b\"}", 14, 400, NULL },
        /* Huge numbers. */
        { "{\"name\":1e999}", 0, 400, NULL },
        { "{\"name\":123456789012345678901234567890}", 0, 400, NULL },
        { "{\"name\":-1e999}", 0, 400, NULL },
        /* Wrong types. */
        { "{\"name\":1}", 0, 400, "name" },
        { "{\"name\":true}", 0, 400, "name" },
        { "{\"name\":[\"x\"]}", 0, 400, "name" },
        { "{\"name\":{\"x\":1}}", 0, 400, "name" },
        { "{\"name\":null}", 0, 400, "name" },
        /* Fields that are not the resource's, however they look. */
        { "{\"name\":\"x\",\"id\":5}", 0, 400, "id" },
        { "{\"name\":\"x\",\"\":5}", 0, 400, "" },
        { "{\"name\":\"x\",\"\\u0001\":5}", 0, 400, "\x01" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        CURL *c = t_web_client(shared->srv.port);
        char auth[128];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", t);
        const char *hs[] = { auth, NULL };
        long st = t_web_http(c, "POST", "/api/v1/goals", cases[i].body, len,
                             JSON_CT, hs, &r);
        curl_easy_cleanup(c);
        if (st != cases[i].status)
            fprintf(stderr, "case %zu -> %ld: %s\n", i, st, r.body.data);
        assert_int_equal(st, cases[i].status);
        assert_error(&r, cases[i].field ? cases[i].field : "body");
        t_web_free(&r);
    }
    /* A long unknown key is named, cut short. */
    char longkey[400];
    snprintf(longkey, sizeof longkey, "{\"name\":\"x\",\"%0300d\":1}", 0);
    assert_int_equal(api(t, "POST", "/api/v1/goals", longkey, &r), 400);
    assert_true(strlen(jget_str(r.json, "field")) <= 48);
    t_web_free(&r);

    /* Not JSON by its type: 415. */
    CURL *c = t_web_client(shared->srv.port);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", t);
    const char *hs[] = { auth, NULL };
    static const char *const types[] = {
        "text/plain", "application/x-www-form-urlencoded",
        "application/jsonp", "multipart/form-data; boundary=x",
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        assert_int_equal(t_web_http(c, "POST", "/api/v1/goals",
                                    "{\"name\":\"x\"}", 12, types[i], hs, &r),
                         415);
        assert_error(&r, NULL);
        t_web_free(&r);
    }
    /* With a charset parameter it is JSON. */
    assert_int_equal(t_web_http(c, "POST", "/api/v1/goals",
                                "{\"name\":\"Charset\"}", 18,
                                "application/json; charset=utf-8", hs, &r),
                     201);
    snprintf(path, sizeof path, "/api/v1/goals/%lld",
             json_integer_value(json_object_get(r.json, "id")));
    t_web_free(&r);
    curl_easy_cleanup(c);
    api_expect(t, "DELETE", path, NULL, 204);

    struct counts after = counts_of(shared->alice);
    assert_true(counts_equal(&before, &after));
}

/* Bodies over the limit: 413 as JSON when the length is told. */
static void
test_too_large(void **state)
{
    (void)state;
    struct t_resp r;
    size_t big = 2u << 20;
    char *body = malloc(big + 1);
    struct counts before = counts_of(shared->alice);

    memset(body, ' ', big);
    memcpy(body, "{\"body\":\"x\"}", 12);
    body[big] = '\0';
    CURL *c = t_web_client(shared->srv.port);
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", shared->t_alice);
    const char *hs[] = { auth, NULL };
    long st = t_web_http(c, "POST", "/api/v1/journal", body, big, JSON_CT, hs,
                         &r);
    /* The answer comes as soon as the length is known; a client still
     * sending may see the connection reset first on a slow build. */
    assert_true(st == 413 || st == 0);
    if (st == 413)
        assert_error(&r, NULL);
    t_web_free(&r);
    /* Chunked: counted as it arrives. */
    const char *ch[] = { "Content-Type: application/json", auth, NULL };
    CURLcode cc = t_web_chunked(c, "/api/v1/journal", big, ' ', ch, &r);
    long code = r.status;
    assert_true(code == 413 || cc == CURLE_SEND_ERROR
                || cc == CURLE_RECV_ERROR);
    if (code == 413)
        assert_non_null(strstr(r.body.data, "\"error\""));
    t_web_free(&r);
    curl_easy_cleanup(c);
    free(body);
    struct counts after = counts_of(shared->alice);
    assert_true(counts_equal(&before, &after));
}

/* The whole file and its WAL: the token must not be in it. */
static int
db_holds(const char *db, const char *needle)
{
    static const char *const ext[] = { "", "-wal" };
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        size_t len = 0;
        snprintf(path, sizeof path, "%s%s", db, ext[i]);
        char *data = t_read_file(path, &len);
        if (data == NULL)
            continue;
        int found = memmem(data, len, needle, strlen(needle)) != NULL;
        free(data);
        if (found)
            return 1;
    }
    return 0;
}

/* Tokens made and revoked on the Account page. */
static void
test_account_tokens(void **state)
{
    (void)state;
    struct t_resp r, p;
    char *form, csrf[64], token[STORE_API_TOKEN_LEN + 1];
    const char *at;

    /* Sign in. */
    CURL *c = t_web_signed_in(shared->srv.port, "alice");

    /* The section, with the seeded token listed by name. */
    assert_int_equal(t_web_get(c, "/account", &p), 200);
    assert_non_null(strstr(p.body.data, "<h2>API tokens</h2>"));
    assert_non_null(strstr(p.body.data, "alice&#39;s script"));
    assert_true(t_web_csrf_of(&p, csrf, sizeof csrf)[0] != '\0');
    assert_null(strstr(p.body.data, shared->t_alice));
    t_web_free(&p);
    struct counts before = counts_of(shared->alice);

    /* Bad names: the form again with the message, nothing made. */
    char long_name[96];
    snprintf(long_name, sizeof long_name, "token_name=%065d", 0);
    const char *const bad[] = {
        "token_name=", "token_name=+++", long_name, "token_name=a%C2%85b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_true(asprintf(&form, "csrf=%s&act=create&%s", csrf, bad[i])
                    > 0);
        assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 400);
        assert_non_null(strstr(r.body.data, "token_name-error"));
        assert_null(strstr(r.body.data, "id=\"new-token\""));
        t_web_free(&r);
        free(form);
    }
    /* A control character is refused by the form parser itself. */
    assert_true(asprintf(&form, "csrf=%s&act=create&token_name=a%%01b",
                         csrf) > 0);
    assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 400);
    t_web_free(&r);
    free(form);
    /* Without the CSRF token: 403. */
    assert_int_equal(t_web_post(c, "/account/tokens", "act=create&token_name=x",
                                &r),
                     403);
    t_web_free(&r);
    struct counts same = counts_of(shared->alice);
    assert_true(counts_equal(&before, &same));

    /* Made: shown once. */
    assert_true(asprintf(&form, "csrf=%s&act=create&token_name=%s", csrf,
                         "My+%3Cphone%3E") > 0);
    assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 200);
    free(form);
    at = strstr(r.body.data, "<code id=\"new-token\">");
    assert_non_null(at);
    at += strlen("<code id=\"new-token\">");
    assert_int_equal(strcspn(at, "<"), STORE_API_TOKEN_LEN);
    snprintf(token, sizeof token, "%.*s", STORE_API_TOKEN_LEN, at);
    assert_int_equal(strncmp(token, "cur_", 4), 0);
    assert_non_null(strstr(r.body.data, "My &lt;phone&gt;"));
    assert_true(t_web_hdr_has(&r, "Cache-Control: no-store"));
    t_web_free(&r);
    struct counts n = counts_of(shared->alice);
    assert_int_equal(n.tokens, before.tokens + 1);

    /* It works, and is kept only as a hash. */
    assert_int_equal(api(token, "GET", "/api/v1/me", NULL, &r), 200);
    assert_string_equal(jget_str(r.json, "name"), "alice");
    t_web_free(&r);
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(shared->srv.db, &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT token_hash, name,"
                                        " last_used FROM api_tokens"
                                        " WHERE user_id = ?", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, shared->alice);
    int rows = 0, mine = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(s, 0);
        rows++;
        assert_int_equal(strlen(h), 64);
        assert_int_equal(strspn(h, "0123456789abcdef"), 64);
        assert_null(strstr(h, token + 4));
        if (strcmp((const char *)sqlite3_column_text(s, 1), "My <phone>")
            == 0) {
            mine = 1;
            assert_true(sqlite3_column_int64(s, 2) > 0);    /* just used */
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_int_equal(rows, n.tokens);
    assert_true(mine);
    assert_false(db_holds(shared->srv.db, token + 4));
    assert_false(db_holds(shared->srv.db, shared->t_alice + 4));

    /* Not shown again; listed with its last use. */
    assert_int_equal(t_web_get(c, "/account", &p), 200);
    assert_null(strstr(p.body.data, token));
    assert_null(strstr(p.body.data, "id=\"new-token\""));
    assert_non_null(strstr(p.body.data, "My &lt;phone&gt;"));
    /* The revoke form of the newest token comes first. */
    at = strstr(p.body.data, "name=\"id\" value=\"");
    assert_non_null(at);
    long long tid = atoll(at + strlen("name=\"id\" value=\""));
    t_web_free(&p);

    /* Another user's token cannot be revoked from here. */
    struct store *st = t_web_store(&shared->srv);
    char other[STORE_API_TOKEN_LEN + 1];
    long long other_id;
    assert_int_equal(store_api_token_create(st, shared->eve, "eve 2",
                                            (long long)time(NULL), other,
                                            &other_id), CUR_OK);
    store_close(st);
    assert_true(asprintf(&form, "csrf=%s&act=revoke&id=%lld", csrf,
                         other_id) > 0);
    assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 404);
    t_web_free(&r);
    free(form);
    api_expect(other, "GET", "/api/v1/me", NULL, 200);

    /* Revoked: 401 at once. */
    assert_true(asprintf(&form, "csrf=%s&act=revoke&id=%lld", csrf, tid)
                > 0);
    assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 303);
    assert_true(t_web_hdr_has(&r, "Location: /account?done=token-revoked"));
    t_web_free(&r);
    free(form);
    assert_int_equal(api(token, "GET", "/api/v1/me", NULL, &r), 401);
    assert_error(&r, NULL);
    assert_true(t_web_hdr_has(&r, "error=\"invalid_token\""));
    t_web_free(&r);
    api_expect(token, "POST", "/api/v1/goals", "{\"name\":\"after\"}", 401);
    n = counts_of(shared->alice);
    assert_int_equal(n.tokens, before.tokens);
    assert_int_equal(n.goals, before.goals);
    assert_int_equal(t_web_get(c, "/account?done=token-revoked", &p), 200);
    assert_non_null(strstr(p.body.data, "Token revoked."));
    assert_null(strstr(p.body.data, "My &lt;phone&gt;"));
    t_web_free(&p);

    /* The cap: 20 a user, then the form says so. */
    st = t_web_store(&shared->srv);
    for (int i = n.tokens; i < STORE_API_TOKENS_MAX; i++)
        assert_int_equal(store_api_token_create(st, shared->alice, "filler",
                                                (long long)time(NULL), other,
                                                NULL), CUR_OK);
    store_close(st);
    assert_true(asprintf(&form, "csrf=%s&act=create&token_name=one+more",
                         csrf) > 0);
    assert_int_equal(t_web_post(c, "/account/tokens", form, &r), 400);
    assert_non_null(strstr(r.body.data, "revoke one first"));
    t_web_free(&r);
    free(form);
    curl_easy_cleanup(c);
}

/* A role change takes effect on the next call; a deleted user's
 * tokens are gone. */
static void
test_role_change_and_delete(void **state)
{
    (void)state;
    struct store *st;
    long long uid;
    char tok[STORE_API_TOKEN_LEN + 1], body[128];

    st = t_web_store(&shared->srv);
    assert_int_equal(store_user_add(st, "temp", "temp@example.org", &uid),
                     CUR_OK);
    assert_int_equal(store_api_token_create(st, uid, "t",
                                            (long long)time(NULL), tok,
                                            NULL), CUR_OK);
    store_close(st);
    snprintf(body, sizeof body, "{\"item\":%lld,\"note\":\"x\"}",
             shared->item[3]);
    api_expect(tok, "POST", "/api/v1/gems", body, 403);
    st = t_web_store(&shared->srv);
    assert_int_equal(store_user_set_role(st, uid, "editor"), CUR_OK);
    store_close(st);
    api_expect(tok, "POST", "/api/v1/gems", body, 201);
    st = t_web_store(&shared->srv);
    assert_int_equal(store_user_set_role(st, uid, "subscriber"), CUR_OK);
    store_close(st);
    api_expect(tok, "POST", "/api/v1/gems", body, 403);
    st = t_web_store(&shared->srv);
    assert_int_equal(store_user_delete(st, uid), CUR_OK);
    store_close(st);
    api_expect(tok, "GET", "/api/v1/me", NULL, 401);
}

static int
group_setup(void **state)
{
    (void)state;
    shared = inst_new(1);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    inst_free(shared);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_tokens),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_cookie_not_accepted),
        cmocka_unit_test(test_not_found_and_methods),
        cmocka_unit_test(test_route_matrix),
        cmocka_unit_test(test_today),
        cmocka_unit_test(test_feedback),
        cmocka_unit_test(test_saved),
        cmocka_unit_test(test_goals),
        cmocka_unit_test(test_interests),
        cmocka_unit_test(test_subscriptions),
        cmocka_unit_test(test_subscriptions_private),
        cmocka_unit_test(test_journal),
        cmocka_unit_test(test_gems),
        cmocka_unit_test(test_hostile_json),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_account_tokens),
        cmocka_unit_test(test_role_change_and_delete),
    };
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: api", tests,
                                         group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
