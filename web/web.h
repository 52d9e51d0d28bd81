/* What the web's source files share: the server's state, one request
 * as the handlers see it, the route table's types, and the helpers for
 * answering. Not for use outside web/.
 */
#ifndef CURATOR_WEB_WEB_H
#define CURATOR_WEB_WEB_H

#include <microhttpd.h>
#include <pthread.h>

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "fetch.h"
#include "form.h"
#include "server.h"
#include "store.h"

#define WEB_PAGE_MAX (8u << 20)     /* largest page rendered */
#define WEB_HASHING_MAX 4           /* argon2id computations at once */
#define WEB_LOGIN_WINDOW 900        /* seconds failures are counted */
#define WEB_LOGIN_MAX_ACCOUNT 5     /* failures per account in the window */
#define WEB_LOGIN_MAX_IP 20         /* failures per address */
#define WEB_TOUCH_EVERY 300         /* seconds between session writes */
#define WEB_MAX_HEADERS 6           /* extra response headers */
#define WEB_INVITE_TTL (7 * 86400L)
#define WEB_HEAVY_MAX 2             /* discoveries and previews at once */

struct web {
    struct MHD_Daemon *mhd;
    unsigned port;
    unsigned page_items;
    char *store_path;
    char base_url[256];         /* no trailing '/' */
    char origin[256];           /* scheme://host[:port] of base_url */
    int secure;                 /* base_url is https: Secure cookies */
    int allow_signup;
    int refuse_private;
    size_t max_body, max_upload;
    long session_idle, session_age;
    long window;
    const struct config *config;    /* may be NULL */
    struct fetch_cfg fetch;         /* for discovery */
    struct digest_cfg links;        /* base_url and key for signed links */
    char css_etag[40];

    /* One store handle per worker thread, closed by web_stop(). */
    pthread_key_t store_key;
    int have_key;
    pthread_mutex_t stores_lock;
    struct store **stores;
    size_t n_stores, cap_stores;

    /* At most WEB_HASHING_MAX argon2id runs at once. */
    pthread_mutex_t hash_lock;
    pthread_cond_t hash_cond;
    int hashing;
    char dummy_hash[160];       /* verified for unknown users */

    /* Slow work for one user (feed discovery waits on the network, the
     * ranking preview scores a week) holds a worker thread: at most
     * WEB_HEAVY_MAX at once, the others are told to come back. */
    int heavy;

    /* The daemon's heartbeat and filters (server.h), or NULL. */
    struct web_status *status;
};

enum web_role {
    ROLE_ANON = 0,
    ROLE_SUBSCRIBER,
    ROLE_EDITOR,
    ROLE_ADMIN
};

struct route;

/* One request. Strings are borrowed from MHD or from the form. */
struct req {
    struct web *w;
    struct MHD_Connection *c;
    struct store *st;
    const char *method;
    const char *url;            /* the path, percent-decoded by MHD */
    int post;                   /* POST (else GET or HEAD) */
    long long now;
    char ip[64];
    const struct route *route;
    const char *rest;           /* what follows a prefix route's path */

    /* The body: collected up to the route's limit, then parsed. */
    struct buf body;
    size_t limit;
    int too_big;
    int bad_form;               /* not UTF-8, too many fields... */
    struct form form;

    /* The session, when signed in. */
    int role;                   /* enum web_role */
    struct store_session sess;
    char token[STORE_TOKEN_LEN + 1];
    char pre[STORE_TOKEN_LEN + 1];  /* the anonymous forms' CSRF cookie */
    int set_pre;

    /* Extra response headers (Set-Cookie, Location...). */
    const char *hname[WEB_MAX_HEADERS];
    char *hvalue[WEB_MAX_HEADERS];
    int n_headers;
    const char *csp;            /* NULL: the strict default */
    int answered;               /* a response is queued */
};

typedef enum MHD_Result (*route_fn)(struct req *r);

/* Route flags. */
#define RF_PREFIX 1         /* path is a prefix; r->rest gets the rest */
#define RF_NO_CSRF 2        /* signed links: the token is the proof */
#define RF_PRE_CSRF 4       /* anonymous forms: the pre cookie's token */
#define RF_UPLOAD 8         /* body up to max_upload when signed in */
#define RF_NO_SESSION 16    /* no session read (static, health) */
#define RF_JSON 32          /* the JSON API: the body is kept unparsed in
                               r->body, errors are answered as JSON */

struct route {
    const char *path;
    unsigned methods;       /* RM_GET | RM_POST */
    int min_role;
    unsigned flags;
    route_fn fn;
};

#define RM_GET 1
#define RM_POST 2
#define RM_PUT 4
#define RM_DELETE 8
#define RM_OTHER 16         /* any other method (the API answers 405) */

/* router.c: find the route for a path and method. *allowed gets the
 * methods the path takes (0: no such path). */
const struct route *router_find(const char *path, unsigned method,
                                unsigned *allowed, const char **rest);
/* The whole table, in order, with its length in *n (for tests that
 * walk every route). */
const struct route *router_table(size_t *n);
/* Check role and CSRF, then run the handler. */
enum MHD_Result router_run(struct req *r);

/* server.c: answering. Each adds the security headers and r's extra
 * headers. 'b' is taken (freed in every case). */
enum MHD_Result web_send(struct req *r, unsigned status, const char *type,
                         struct buf *b);
enum MHD_Result web_send_static(struct req *r, unsigned status,
                                const char *type, const void *data,
                                size_t len, const char *cache);
/* 303 See Other to a local path (anything else becomes "/"). */
enum MHD_Result web_redirect(struct req *r, const char *path);
/* A friendly page with a heading and a sentence, both plain text. */
enum MHD_Result web_error(struct req *r, unsigned status, const char *title,
                          const char *message);
/* Queue a header for the answer (the value is copied). */
void web_header(struct req *r, const char *name, const char *value);
/* The worker thread's store handle (opened on first use), or NULL. */
struct store *web_store(struct web *w);
/* A request header, or NULL. */
const char *web_req_header(struct req *r, const char *name);
/* A query-string argument, or NULL. */
const char *web_query(struct req *r, const char *name);
/* Take one of the WEB_HEAVY_MAX places for slow work: 1, or 0 when all
 * are taken (answer with web_busy()). web_heavy_leave() gives it back. */
int web_heavy_enter(struct web *w);
void web_heavy_leave(struct web *w);
enum MHD_Result web_busy(struct req *r);

/* auth.c: sessions, cookies, CSRF and passwords. */
void auth_load_session(struct req *r);
/* Whether the request may change state: same origin, and the form's
 * csrf field matches (the session's, or for RF_PRE_CSRF the pre
 * cookie's). */
int auth_csrf_ok(struct req *r, int pre);
/* The pre cookie's token, made (and queued as a cookie) if missing. */
const char *auth_pre_token(struct req *r);
/* Start a session for the user (rotating any old one). */
int auth_login(struct req *r, long long user_id);
void auth_logout(struct req *r);
/* argon2id under the server's limit of concurrent runs. */
int auth_verify(struct web *w, const char *hash, const char *password);
int auth_set_password(struct req *r, long long user_id,
                      const char *password);
/* An argon2id hash of 'password' into out (len >= 128), as the store
 * makes them, for accounts made in one transaction. */
int auth_hash(struct web *w, const char *password, char *out, size_t len);
/* Why a new password is refused, or NULL when it is acceptable. */
const char *auth_password_problem(const char *pw, const char *again);
int role_of(const char *name);

/* pages_today.c: a positive whole number from a form or query value
 * (at most 18 digits, nothing else), else 0. */
long long web_id(const char *s);

/* The pages (pages_*.c). */
enum MHD_Result page_home(struct req *r);
enum MHD_Result page_health(struct req *r);
enum MHD_Result page_metrics(struct req *r);
enum MHD_Result page_style(struct req *r);
enum MHD_Result page_login(struct req *r);
enum MHD_Result page_logout(struct req *r);
enum MHD_Result page_signup(struct req *r);
enum MHD_Result page_invite(struct req *r);
enum MHD_Result page_today(struct req *r);
enum MHD_Result page_today_act(struct req *r);
enum MHD_Result page_item(struct req *r);
enum MHD_Result page_interests(struct req *r);
enum MHD_Result page_goals(struct req *r);
enum MHD_Result page_sources(struct req *r);
enum MHD_Result page_sources_opml(struct req *r);
enum MHD_Result page_schedule(struct req *r);
enum MHD_Result page_portfolio(struct req *r);
enum MHD_Result page_portfolio_atom(struct req *r);
enum MHD_Result page_journal(struct req *r);
enum MHD_Result page_account(struct req *r);
enum MHD_Result page_account_password(struct req *r);
/* The Account page with an error beside the import field. */
enum MHD_Result page_account_render(struct req *r, unsigned status,
                                    const char *e_import);
enum MHD_Result page_account_delete(struct req *r);
enum MHD_Result page_export(struct req *r);
enum MHD_Result page_import(struct req *r);
enum MHD_Result page_unsubscribe(struct req *r);
enum MHD_Result page_vote(struct req *r);
enum MHD_Result page_feed(struct req *r);
enum MHD_Result page_gems(struct req *r);
enum MHD_Result page_admin(struct req *r);
/* pages_account.c: make or revoke an API token. */
enum MHD_Result page_account_tokens(struct req *r);
/* api.c: the JSON API under /api/v1/ (RF_JSON), and its errors as
 * {"error": message} (web_error() answers with it on RF_JSON routes). */
enum MHD_Result page_api(struct req *r);
enum MHD_Result api_error(struct req *r, unsigned status,
                         const char *message);
/* pages_ops.c: the admins' operations pages (page_health is there too),
 * and the links between the admin pages ('current': "users", "feeds",
 * "outbox", "filters" or "teams"). */
enum MHD_Result page_admin_feeds(struct req *r);
enum MHD_Result page_admin_outbox(struct req *r);
enum MHD_Result page_admin_filters(struct req *r);
int ops_admin_nav(struct buf *b, const char *current);
/* pages_team.c: teams for members and admins; and the Today page's
 * "Share to team" control: the user's teams as <option>s (read once per
 * page; empty: in no team), the control for one item (its fields belong
 * to the item's form), and that form, outside the page's own form. */
enum MHD_Result page_teams(struct req *r);
enum MHD_Result page_team(struct req *r);
enum MHD_Result page_team_share(struct req *r);
enum MHD_Result page_admin_teams(struct req *r);
int team_share_options(struct req *r, struct buf *opts);
int team_share_control(struct buf *b, long long item_id,
                       const struct buf *opts);
int team_share_form(struct buf *b, struct req *r, long long item_id);
/* pages_editor.c: the editors' pages (Recent, Reach, Collections), a
 * collection as OPML, and the links between the editors' pages
 * ('current': "recent", "gems", "reach" or "collections"). */
enum MHD_Result page_editor_recent(struct req *r);
enum MHD_Result page_editor_reach(struct req *r);
enum MHD_Result page_editor_collections(struct req *r);
enum MHD_Result page_collection_opml(struct req *r);
int editor_nav(struct buf *b, const char *current);
/* pages_sources.c, for the Sources page and the API alike: whether
 * 'url' is a feed address they take (absolute http or https with a
 * host, printable, at most 2048 bytes; NULL is not); and subscribing a
 * user to it, the feed added with origin "web" when new and
 * 'title' (may be NULL), both in one write (nested in the caller's
 * transaction if there is one). *feed_id gets the feed and *had whether
 * the user was subscribed already (either may be NULL). CUR_OK or the
 * store's error. */
int sources_url_ok(const char *url);
/* Whether 'url' names an internal host outright: localhost, or an
 * address literal (in any form inet_aton() reads) that fetch.h refuses.
 * A URL whose host cannot be read counts as internal. */
int sources_url_internal(const char *url);
int sources_subscribe(struct store *st, long long user_id, const char *url,
                      const char *title, long long *feed_id, int *had);
/* pages_admin.c: a gem's topic tags and audience as typed, checked and
 * made what the store keeps: comma-joined into 'out', tags lowercased,
 * "team:NAME" entries (prefix in any case) naming existing teams. At
 * most 20 entries of 64 bytes, 1000 bytes in all, no control
 * characters. CUR_EINVAL with why in 'err' (a sentence), or the
 * store's error. */
int gem_tags_clean(const char *typed, struct buf *out, char *err,
                   size_t errlen);
int gem_audience_clean(struct store *st, const char *typed, struct buf *out,
                       char *err, size_t errlen);

#endif
