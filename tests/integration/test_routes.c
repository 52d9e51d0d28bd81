/* Integration: every route of the web server's table, for every role,
 * over HTTP. The routes come from router_table() itself, not from a
 * list kept here, so a route added tomorrow is covered without touching
 * this file. The server runs in-process (web_start()) on a temporary
 * store seeded with one user of each role, a session for each made
 * directly in the store, and a feed, an item, a team and a collection
 * so that a prefix route's "1" names something real.
 *
 * For each route and role (anonymous, subscriber, editor, admin):
 * a GET below the route's role is sent to /login?next=PATH (anonymous)
 * or refused with 403 (signed in); at or above it the answer is neither
 * a refusal nor a server error. A POST without a CSRF token, with a
 * wrong one, with the right one from another site, or with a "pre"
 * token where a session's is needed is refused with 403 and changes
 * nothing in the database. Signed links (RF_NO_CSRF) and the JSON API
 * (RF_JSON) answer 4xx to every method without a valid signature or
 * token. A method a path does not take gets 405 with an Allow header
 * naming exactly what it takes. The table itself is checked for routes
 * that an earlier entry hides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "support.h"
#include "web.h"
#include "webclient.h"

#define N_ROLES 4               /* enum web_role: ROLE_ANON..ROLE_ADMIN */
#define BOGUS_TOKEN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *const role_name[N_ROLES] = {
    "anonymous", "subscriber", "editor", "admin"
};

/* What a prefix route gets after its path: something that exists, the
 * shapes of links (".opml", ".atom"), an id that does not exist, markup
 * and quotes, and a long run of digits. */
static const char *const suffixes[] = {
    "1", "1.opml", "1.atom", "999999999", "%27%3Cx%3E%22",
    "123456789012345678901234567890123456789012345678901234567890",
};

/* The methods tried for 405, with the route bits they map to. */
static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    { "GET", RM_GET }, { "POST", RM_POST }, { "PUT", RM_PUT },
    { "DELETE", RM_DELETE }, { "PATCH", RM_OTHER },
};

/* The server and who may talk to it. */
struct inst {
    struct t_web srv;
    long long uid[N_ROLES];                     /* 0 for anonymous */
    char cookie[N_ROLES][STORE_TOKEN_LEN + 1];  /* "" for anonymous */
    char csrf[N_ROLES][STORE_TOKEN_LEN + 1];
    CURL *curl;                 /* no cookie jar: each request names
                                   its own */
};

static struct inst *in;
static int failures;            /* counted, so one run names them all */
static long requests;           /* sent, for the summary line */

static void
bad(const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    print_error("FAIL %s\n", line);
    failures++;
}

/* HTTP. */

/* One request as role 'k' (its session cookie, unless 'cookie' says
 * otherwise). GET, HEAD, or with 'body' any other method. 'headers' is
 * a NULL-ended list or NULL. */
static long
request(int k, const char *method, const char *path, const char *body,
        const char *ctype, const char *cookie, const char *const *headers,
        struct t_resp *out)
{
    const char *hs[16];
    char line[512];
    size_t n = 0;

    line[0] = '\0';
    if (cookie == NULL && in->cookie[k][0] != '\0')
        snprintf(line, sizeof line, "Cookie: curator_session=%s",
                 in->cookie[k]);
    else if (cookie != NULL && cookie[0] != '\0')
        snprintf(line, sizeof line, "Cookie: %s", cookie);
    if (line[0] != '\0')
        hs[n++] = line;
    for (size_t i = 0; headers && headers[i]; i++) {
        assert_true(n + 1 < sizeof hs / sizeof hs[0]);
        hs[n++] = headers[i];
    }
    hs[n] = NULL;
    requests++;
    return t_web_http(in->curl, method, path, body, body ? strlen(body) : 0,
                      ctype, hs, out);
}

static long
form_post(int k, const char *path, const char *body, const char *cookie,
          const char *const *headers, struct t_resp *out)
{
    return request(k, "POST", path, body, T_WEB_FORM, cookie, headers, out);
}

/* The login redirect's target for 'path' as the router writes it:
 * letters, digits and "/-_." kept, every other byte as %XX. 'path' is
 * as sent, so percent-escapes in it are decoded first, as MHD does. */
static void
login_next(const char *path, char *out, size_t len)
{
    size_t o = (size_t)snprintf(out, len, "/login?next=");
    for (const char *p = path; *p && o + 4 < len; p++) {
        unsigned c = (unsigned char)*p;
        if (c == '%' && p[1] && p[2]) {
            char hex[3] = { p[1], p[2], '\0' };
            c = (unsigned)strtoul(hex, NULL, 16);
            p += 2;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || (c && strchr("/-_.", (int)c)))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
    }
    out[o] = '\0';
}

/* What the router's refusals say, so that a refusal by a handler (a
 * signed link's bad token) is told from one by the role or CSRF check. */
static int
router_refusal(const struct t_resp *r)
{
    return t_web_has(r, "Not for you") || t_web_has(r, "Sign in first")
           || t_web_has(r, "Form expired");
}

/* The database's content, table by table, to show that a refused
 * request changed nothing. Sessions are counted but not hashed: their
 * last-seen time moves on a plain page view. */

#define SNAP_TABLES 96

struct snap {
    size_t n;
    char name[SNAP_TABLES][64];
    long long rows[SNAP_TABLES];
    unsigned char hash[SNAP_TABLES][crypto_generichash_BYTES];
};

static void
snapshot(struct snap *s)
{
    sqlite3 *db;
    sqlite3_stmt *tables, *rows;
    char sql[128];

    memset(s, 0, sizeof *s);
    assert_int_equal(sqlite3_open_v2(in->srv.db, &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master"
                                        " WHERE type = 'table' ORDER BY "
                                        "name", -1, &tables, NULL),
                     SQLITE_OK);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        crypto_generichash_state h;
        assert_true(s->n < SNAP_TABLES);
        snprintf(s->name[s->n], sizeof s->name[0], "%s", t);
        snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", t);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL),
                         SQLITE_OK);
        crypto_generichash_init(&h, NULL, 0, sizeof s->hash[0]);
        int hashed = strcmp(t, "sessions") != 0;
        while (sqlite3_step(rows) == SQLITE_ROW) {
            s->rows[s->n]++;
            for (int i = 0; hashed && i < sqlite3_column_count(rows); i++) {
                unsigned char type = (unsigned char)sqlite3_column_type(rows,
                                                                        i);
                const void *v = sqlite3_column_blob(rows, i);
                unsigned len = (unsigned)sqlite3_column_bytes(rows, i);
                crypto_generichash_update(&h, &type, 1);
                crypto_generichash_update(&h, (const void *)&len,
                                          sizeof len);
                if (v != NULL)
                    crypto_generichash_update(&h, v, len);
            }
        }
        sqlite3_finalize(rows);
        crypto_generichash_final(&h, s->hash[s->n], sizeof s->hash[0]);
        s->n++;
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
}

static void
snap_compare(const struct snap *a, const struct snap *b, const char *when)
{
    if (a->n != b->n) {
        bad("%s: %zu tables before, %zu after", when, a->n, b->n);
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->rows[i] != b->rows[i])
            bad("%s: table %s had %lld rows, now %lld", when, a->name[i],
                a->rows[i], b->rows[i]);
        else if (memcmp(a->hash[i], b->hash[i], sizeof a->hash[i]) != 0)
            bad("%s: table %s changed", when, a->name[i]);
    }
}

/* The route table as the tests walk it. */

static const struct route *
table(size_t *n)
{
    const struct route *t = router_table(n);
    assert_non_null(t);
    assert_true(*n > 0);
    return t;
}

/* The paths to try for one route: its own, or for a prefix route the
 * prefix with each suffix. Returns how many were written. */
static size_t
paths_of(const struct route *rt, char (*out)[512], size_t max)
{
    size_t n = 0;
    if (!(rt->flags & RF_PREFIX)) {
        snprintf(out[n++], 512, "%s", rt->path);
        return n;
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0] && n < max;
         i++)
        snprintf(out[n++], 512, "%s%s", rt->path, suffixes[i]);
    return n;
}

/* The methods every entry of the table matching 'decoded' takes: what
 * the server must name in Allow (computed here from the table, not by
 * asking the router). */
static unsigned
allowed_for(const char *decoded)
{
    size_t n;
    const struct route *t = table(&n);
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(t[i].path);
        if (t[i].flags & RF_PREFIX) {
            if (strncmp(decoded, t[i].path, len) == 0
                && decoded[len] != '\0')
                m |= t[i].methods;
        } else if (strcmp(decoded, t[i].path) == 0) {
            m |= t[i].methods;
        }
    }
    return m;
}

/* The path as the server sees it (percent-escapes decoded). */
static void
decode(const char *path, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = path; *p && o + 1 < len; p++) {
        if (*p == '%' && p[1] && p[2]) {
            char hex[3] = { p[1], p[2], '\0' };
            out[o++] = (char)strtoul(hex, NULL, 16);
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

/* Seeding. */

static long long
seed_user(struct store *st, const char *name, const char *role, int k)
{
    long long id = t_web_user(st, name, role, NULL);
    t_web_session(st, id, in->cookie[k], in->csrf[k]);
    return id;
}

static void
seed(void)
{
    struct store *st;
    long long now = (long long)time(NULL), feed, item, team, coll;

    st = t_web_store(&in->srv);
    in->uid[ROLE_SUBSCRIBER] = seed_user(st, "sub", "subscriber",
                                         ROLE_SUBSCRIBER);
    in->uid[ROLE_EDITOR] = seed_user(st, "ed", "editor", ROLE_EDITOR);
    in->uid[ROLE_ADMIN] = seed_user(st, "ad", "admin", ROLE_ADMIN);
    assert_int_equal(store_item_ensure(st, "https://a.example/feed", "cli",
                                       "g1", "First <b>item</b>",
                                       "https://a.example/1", now - 3600,
                                       now, &item), CUR_OK);
    assert_int_equal(store_feed_find(st, "https://a.example/feed", &feed),
                     CUR_OK);
    for (int k = ROLE_SUBSCRIBER; k < N_ROLES; k++)
        assert_int_equal(store_subscribe(st, in->uid[k], feed), CUR_OK);
    assert_int_equal(store_score_put(st, in->uid[ROLE_SUBSCRIBER], item,
                                     2.0, NULL, "keyword\t2.00\ttitle "
                                     "matches \"item\"", now), CUR_OK);
    assert_int_equal(store_team_add(st, "Crew", &team), CUR_OK);
    assert_int_equal(store_team_member_add(st, team,
                                           in->uid[ROLE_SUBSCRIBER]),
                     CUR_OK);
    assert_int_equal(store_team_member_add(st, team, in->uid[ROLE_EDITOR]),
                     CUR_OK);
    assert_int_equal(store_share_add(st, team, in->uid[ROLE_SUBSCRIBER],
                                     item, "Worth a look"), CUR_OK);
    assert_int_equal(store_collection_add(st, "Picks", in->uid[ROLE_EDITOR],
                                          &coll), CUR_OK);
    assert_int_equal(store_collection_feed_add(st, coll, feed), CUR_OK);
    store_close(st);
}

static int
group_setup(void **state)
{
    (void)state;
    in = calloc(1, sizeof *in);
    assert_non_null(in);
    t_web_init(&in->srv);
    seed();
    t_web_start(&in->srv, NULL);
    in->curl = t_web_client_nojar(in->srv.port);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    curl_easy_cleanup(in->curl);
    t_web_stop(&in->srv);
    free(in);
    return 0;
}

/* The sessions made in the store are the server's: each role sees its
 * own name, and a forged cookie is nobody. Everything below rests on
 * this. */
static void
test_sessions_work(void **state)
{
    (void)state;
    failures = 0;
    /* Pages that tell the roles apart: what each may open. */
    static const struct {
        const char *path;
        long want[N_ROLES];
    } probe[] = {
        { "/today", { 303, 200, 200, 200 } },
        { "/editor", { 303, 403, 200, 200 } },
        { "/admin", { 303, 403, 403, 200 } },
    };
    struct t_resp r;
    char cookie[128];

    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++)
        for (int k = 0; k < N_ROLES; k++) {
            assert_int_equal(request(k, "GET", probe[i].path, NULL, NULL,
                                     NULL, NULL, &r), probe[i].want[k]);
            t_web_free(&r);
        }
    snprintf(cookie, sizeof cookie, "curator_session=%s", BOGUS_TOKEN);
    assert_int_equal(request(ROLE_ANON, "GET", "/account", NULL, NULL,
                             cookie, NULL, &r), 303);
    t_web_free(&r);
}

/* The table is well formed, and no entry is hidden by an earlier one
 * for a method both take (the router takes the first match). */
static void
test_table_shape(void **state)
{
    (void)state;
    failures = 0;
    size_t n;
    const struct route *t = table(&n);

    for (size_t i = 0; i < n; i++) {
        const struct route *a = &t[i];
        size_t len = strlen(a->path);
        if (a->path[0] != '/' || a->fn == NULL || a->methods == 0
            || a->min_role < ROLE_ANON || a->min_role > ROLE_ADMIN)
            bad("route %s: path, handler, methods or role malformed",
                a->path);
        if ((a->flags & RF_PREFIX) && a->path[len - 1] != '/')
            bad("prefix route %s does not end in '/'", a->path);
        /* A change open to anonymous visitors must prove its origin
         * some other way than a session's token. */
        if ((a->methods & ~RM_GET) && a->min_role == ROLE_ANON
            && !(a->flags & (RF_PRE_CSRF | RF_NO_CSRF)))
            bad("route %s takes changes from anyone with no CSRF mode",
                a->path);
        for (size_t j = 0; j < i; j++) {
            const struct route *b = &t[j];
            if (!(a->methods & b->methods))
                continue;
            int hidden;
            if (b->flags & RF_PREFIX)
                hidden = strncmp(a->path, b->path, strlen(b->path)) == 0
                         && (a->flags & RF_PREFIX
                             ? strlen(a->path) >= strlen(b->path)
                             : strlen(a->path) > strlen(b->path));
            else
                hidden = !(a->flags & RF_PREFIX)
                         && strcmp(a->path, b->path) == 0;
            if (hidden)
                bad("route %s (entry %zu) is hidden by %s (entry %zu)",
                    a->path, i, b->path, j);
        }
    }
    if (failures)
        fail_msg("%d entries of the route table are wrong (listed above)",
                 failures);
}

/* GET (and HEAD) on every route for every role. */
static void
check_get(const struct route *rt, const char *path, int k)
{
    struct t_resp r;
    char want[1024], loc[1024];
    long st = request(k, "GET", path, NULL, NULL, NULL, NULL, &r);
    int signed_link = (rt->flags & (RF_NO_CSRF | RF_JSON)) != 0;

    if (st == 0 || st >= 500) {
        bad("GET %s as %s: %ld (no answer or server error)", path,
            role_name[k], st);
    } else if (signed_link) {
        /* No signature or token is sent: nothing may be shown. */
        if (st < 400)
            bad("GET %s as %s: %ld, want 4xx without a valid signature or "
                "token", path, role_name[k], st);
    } else if (k < rt->min_role && k == ROLE_ANON) {
        login_next(path, want, sizeof want);
        t_web_header(&r, "Location", loc, sizeof loc);
        if (st != 303 || strcmp(loc, want) != 0)
            bad("GET %s as %s: %ld to \"%s\", want 303 to \"%s\"", path,
                role_name[k], st, loc, want);
    } else if (k < rt->min_role) {
        if (st != 403 || !t_web_has(&r, "Not for you"))
            bad("GET %s as %s: %ld, want the router's 403", path,
                role_name[k], st);
    } else if (st == 405) {
        bad("GET %s as %s: 405 on a route that takes GET", path,
            role_name[k]);
    } else if (st == 403 && (rt->min_role > ROLE_ANON || router_refusal(&r))) {
        /* Only a page open to anyone may refuse by itself (a signed
         * link's bad token); a role check passed must not be undone. */
        bad("GET %s as %s: 403 though the role (%s) suffices", path,
            role_name[k], role_name[rt->min_role]);
    } else if (rt->min_role == ROLE_ANON && (rt->flags & RF_PREFIX)
               && k == ROLE_ANON && (st < 400 || st >= 500)) {
        /* What follows an open prefix is an id or a token, and none of
         * ours names anything an anonymous visitor may see. */
        bad("GET %s as %s: %ld, want 4xx for a made-up suffix", path,
            role_name[k], st);
    }
    t_web_free(&r);

    /* HEAD is GET without the body: the same status. */
    long head = request(k, "HEAD", path, NULL, NULL, NULL, NULL, &r);
    if (head != st)
        bad("HEAD %s as %s: %ld, GET gave %ld", path, role_name[k], head,
            st);
    t_web_free(&r);
}

static void
test_get_matrix(void **state)
{
    (void)state;
    failures = 0;
    size_t n;
    const struct route *t = table(&n);
    char paths[8][512];
    int tried = 0;

    for (size_t i = 0; i < n; i++) {
        if (!(t[i].methods & RM_GET))
            continue;
        size_t np = paths_of(&t[i], paths, 8);
        for (size_t p = 0; p < np; p++) {
            char dec[512];
            decode(paths[p], dec, sizeof dec);
            /* An earlier entry may answer this path (a prefix with
             * "share" after it, say): that entry's rules apply. */
            const struct route *who = &t[i];
            unsigned allowed;
            const char *rest;
            const struct route *hit = router_find(dec, RM_GET, &allowed,
                                                  &rest);
            if (hit != NULL && hit != &t[i])
                who = hit;
            for (int k = 0; k < N_ROLES; k++)
                check_get(who, paths[p], k);
            tried++;
        }
    }
    assert_true(tried > 0);
    if (failures)
        fail_msg("%d route/role combinations misbehaved (listed above)",
                 failures);
}

/* POSTs that must be refused before any handler runs. */
static void
check_post_refused(const struct route *rt, const char *path, int k,
                   const char *what, const char *body, const char *cookie,
                   const char *const *headers)
{
    struct t_resp r;
    const char *reason = k == ROLE_ANON && rt->min_role > ROLE_ANON
                         ? "Sign in first"
                         : k < rt->min_role ? "Not for you" : "Form expired";
    long st = form_post(k, path, body, cookie, headers, &r);
    if (st != 403 || !t_web_has(&r, reason))
        bad("POST %s as %s %s: %ld, want 403 \"%s\"", path, role_name[k],
            what, st, reason);
    t_web_free(&r);
}

static void
test_post_matrix(void **state)
{
    (void)state;
    failures = 0;
    size_t n;
    const struct route *t = table(&n);
    char paths[8][512], body[256], cookie[256];
    struct snap before, after;
    static const char *const cross[] = { "Sec-Fetch-Site: cross-site", NULL };
    static const char *const evil[] = { "Origin: https://evil.example",
                                        NULL };
    int tried = 0;

    snapshot(&before);
    for (size_t i = 0; i < n; i++) {
        const struct route *rt = &t[i];
        if (!(rt->methods & RM_POST) || (rt->flags & (RF_NO_CSRF | RF_JSON)))
            continue;
        size_t np = paths_of(rt, paths, 8);
        for (size_t p = 0; p < np; p++) {
            for (int k = 0; k < N_ROLES; k++) {
                check_post_refused(rt, paths[p], k, "without a token",
                                   "x=1", NULL, NULL);
                check_post_refused(rt, paths[p], k, "with a wrong token",
                                   "csrf=" BOGUS_TOKEN "&x=1", NULL, NULL);
                /* A "pre" cookie with its token in the form (double
                 * submit) opens only the forms shown before signing
                 * in. */
                if (!(rt->flags & RF_PRE_CSRF)) {
                    if (k == ROLE_ANON)
                        snprintf(cookie, sizeof cookie,
                                 "curator_pre=%s", BOGUS_TOKEN);
                    else
                        snprintf(cookie, sizeof cookie,
                                 "curator_session=%s; curator_pre=%s",
                                 in->cookie[k], BOGUS_TOKEN);
                    check_post_refused(rt, paths[p], k,
                                       "with a pre cookie's token",
                                       "csrf=" BOGUS_TOKEN "&x=1", cookie,
                                       NULL);
                }
                if (k == ROLE_ANON)
                    continue;
                /* The session's own token, from another site. */
                snprintf(body, sizeof body, "csrf=%s&x=1", in->csrf[k]);
                check_post_refused(rt, paths[p], k, "from another site",
                                   body, NULL, cross);
                check_post_refused(rt, paths[p], k, "from another origin",
                                   body, NULL, evil);
                /* Another role's token is not this session's. */
                snprintf(body, sizeof body, "csrf=%s&x=1",
                         in->csrf[k == ROLE_ADMIN ? ROLE_SUBSCRIBER
                                                  : ROLE_ADMIN]);
                check_post_refused(rt, paths[p], k,
                                   "with another session's token", body,
                                   NULL, NULL);
                /* Below the role, even the right token is refused. */
                if (k < rt->min_role) {
                    snprintf(body, sizeof body, "csrf=%s&x=1",
                             in->csrf[k]);
                    check_post_refused(rt, paths[p], k,
                                       "with its token, below the role",
                                       body, NULL, NULL);
                }
            }
            tried++;
        }
    }
    snapshot(&after);
    snap_compare(&before, &after, "after the refused POSTs");
    assert_true(tried > 0);
    if (failures)
        fail_msg("%d route/role combinations misbehaved (listed above)",
                 failures);
}

/* Signed links and the API: every method, every role, no valid
 * signature or token: 4xx, and nothing stored. */
static void
test_unsigned_refused(void **state)
{
    (void)state;
    failures = 0;
    size_t n;
    const struct route *t = table(&n);
    char paths[8][512], path[1024];
    struct snap before, after;
    static const char *const bearer[] = {
        "Authorization: Bearer cur_" BOGUS_TOKEN, NULL
    };
    static const char *const basic[] = {
        "Authorization: Basic YWQ6YWQ=", NULL
    };
    static const char *const queries[] = {
        "", "?u=1&i=1&v=up&t=" BOGUS_TOKEN, "?u=2&t=",
    };
    int tried = 0;

    snapshot(&before);
    for (size_t i = 0; i < n; i++) {
        const struct route *rt = &t[i];
        if (!(rt->flags & (RF_NO_CSRF | RF_JSON)))
            continue;
        size_t np = paths_of(rt, paths, 8);
        for (size_t p = 0; p < np; p++) {
            for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
                snprintf(path, sizeof path, "%s%s", paths[p], queries[q]);
                for (int k = 0; k < N_ROLES; k++) {
                    for (size_t m = 0; m < sizeof methods / sizeof methods[0];
                         m++) {
                        if (!(rt->methods & methods[m].bit))
                            continue;
                        int json = (rt->flags & RF_JSON) != 0;
                        const char *b = methods[m].bit == RM_GET ? NULL
                                        : json ? "{\"name\":\"x\"}"
                                        : "u=1&i=1&v=up&t=" BOGUS_TOKEN;
                        const char *ct = b == NULL ? NULL
                                         : json ? "application/json"
                                         : "application/x-www-form-"
                                           "urlencoded";
                        const char *const *hs[] = { NULL, bearer, basic };
                        for (size_t h = 0; h < (json ? 3u : 1u); h++) {
                            struct t_resp r;
                            long st = request(k, methods[m].name, path, b,
                                              ct, NULL, hs[h], &r);
                            if (st < 400 || st >= 500)
                                bad("%s %s as %s%s: %ld, want 4xx",
                                    methods[m].name, path, role_name[k],
                                    h == 1 ? " with a made-up bearer token"
                                    : h == 2 ? " with Basic auth" : "",
                                    st);
                            t_web_free(&r);
                        }
                    }
                }
            }
            tried++;
        }
    }
    snapshot(&after);
    snap_compare(&before, &after, "after the unsigned requests");
    assert_true(tried > 0);
    if (failures)
        fail_msg("%d route/role combinations misbehaved (listed above)",
                 failures);
}

/* A method a path does not take: 405 with Allow naming exactly the
 * methods the table gives that path, for anonymous visitors and
 * admins alike (it is decided before the role). */
static void
check_allow(const char *path, int k, const char *method, unsigned allowed)
{
    struct t_resp r;
    char allow[256];
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        { RM_GET, "GET" }, { RM_GET, "HEAD" }, { RM_POST, "POST" },
        { RM_PUT, "PUT" }, { RM_DELETE, "DELETE" },
    };
    long st = request(k, method, path, strcmp(method, "GET") ? "x=1" : NULL,
                      "application/x-www-form-urlencoded", NULL, NULL, &r);
    t_web_header(&r, "Allow", allow, sizeof allow);
    if (st != 405) {
        bad("%s %s as %s: %ld, want 405", method, path, role_name[k], st);
    } else {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            /* Whole names: "GET" must not be found in "GETX". */
            int listed = 0;
            char copy[256], *save = NULL;
            snprintf(copy, sizeof copy, "%s", allow);
            for (char *w = strtok_r(copy, ", ", &save); w;
                 w = strtok_r(NULL, ", ", &save))
                listed |= strcmp(w, names[i].name) == 0;
            if (listed != ((allowed & names[i].bit) != 0))
                bad("%s %s as %s: Allow \"%s\" %s %s", method, path,
                    role_name[k], allow, listed ? "names" : "lacks",
                    names[i].name);
        }
    }
    t_web_free(&r);
}

static void
test_method_not_allowed(void **state)
{
    (void)state;
    failures = 0;
    size_t n;
    const struct route *t = table(&n);
    char paths[8][512];
    struct snap before, after;
    int tried = 0;

    snapshot(&before);
    for (size_t i = 0; i < n; i++) {
        size_t np = paths_of(&t[i], paths, 8);
        for (size_t p = 0; p < np; p++) {
            char dec[512];
            decode(paths[p], dec, sizeof dec);
            unsigned allowed = allowed_for(dec);
            for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
                if (allowed & methods[m].bit)
                    continue;
                check_allow(paths[p], ROLE_ANON, methods[m].name, allowed);
                check_allow(paths[p], ROLE_ADMIN, methods[m].name, allowed);
                tried++;
            }
        }
    }
    snapshot(&after);
    snap_compare(&before, &after, "after the refused methods");
    assert_true(tried > 0);
    if (failures)
        fail_msg("%d route/method combinations misbehaved (listed above)",
                 failures);
}

/* A path in no route is 404 for everyone, whatever the method. */
static void
test_unknown_path(void **state)
{
    (void)state;
    failures = 0;
    static const char *const paths[] = {
        "/nowhere", "/admin/", "/todayx", "/api/v2/me", "//admin",
        "/%3Cscript%3E",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char dec[512];
        decode(paths[i], dec, sizeof dec);
        if (allowed_for(dec) != 0)
            continue;       /* someone made it a route since */
        for (int k = 0; k < N_ROLES; k++) {
            struct t_resp r;
            long st = request(k, "GET", paths[i], NULL, NULL, NULL, NULL,
                              &r);
            if (st != 404)
                bad("GET %s as %s: %ld, want 404", paths[i], role_name[k],
                    st);
            t_web_free(&r);
            st = form_post(k, paths[i], "x=1", NULL, NULL, &r);
            if (st != 404)
                bad("POST %s as %s: %ld, want 404", paths[i],
                    role_name[k], st);
            t_web_free(&r);
        }
    }
    if (failures)
        fail_msg("%d unknown-path requests misbehaved (listed above)",
                 failures);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_work),
        cmocka_unit_test(test_table_shape),
        cmocka_unit_test(test_get_matrix),
        cmocka_unit_test(test_post_matrix),
        cmocka_unit_test(test_unsigned_refused),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_unknown_path),
    };
    if (sodium_init() < 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: routes", tests,
                                         group_setup, group_teardown);
    size_t n;
    router_table(&n);
    print_message("%zu routes walked with %ld requests\n", n, requests);
    curl_global_cleanup();
    return rc;
}
