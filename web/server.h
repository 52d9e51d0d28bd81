/* The web page: a libmicrohttpd server with its own thread pool. It
 * serves the subscribers' pages (Today, Interests, Sources, Schedule,
 * Portfolio, Journal, Account), the editors' and admins' pages, the
 * signed links that digests carry (one-click unsubscribe, votes, the
 * private Atom feed) and its stylesheet. Every worker thread opens its
 * own store handle on first use (SQLite in WAL mode lets them read
 * beside the daemon's writer), so no handle is ever shared.
 */
#ifndef CURATOR_WEB_SERVER_H
#define CURATOR_WEB_SERVER_H

#include <stddef.h>

struct config;
struct web;
struct web_status;

/* Limits left at 0 take the defaults below. */
#define WEB_DEFAULT_CONNECTIONS 256     /* open connections in all */
#define WEB_DEFAULT_PER_IP 16           /* from one address */
#define WEB_DEFAULT_TIMEOUT 30          /* idle seconds */
#define WEB_DEFAULT_MAX_BODY (1u << 20) /* request body, bytes */
#define WEB_DEFAULT_MAX_UPLOAD (8u << 20) /* OPML and export imports */
#define WEB_DEFAULT_MAX_HEADER (32u << 10)  /* request line + headers */
#define WEB_DEFAULT_SESSION_IDLE (7 * 86400L)
#define WEB_DEFAULT_SESSION_AGE (30 * 86400L)

struct web_cfg {
    const char *address;        /* IP literal to bind */
    unsigned port;              /* 0 picks a free port */
    unsigned threads;
    unsigned page_items;        /* items on the Today page */
    const char *store_path;

    /* Everything below may be left 0 or NULL. */
    const struct config *config;    /* borrowed for the server's life:
                                       [web] base_url, [score] window and
                                       filters (for the ranking preview),
                                       [poll] limits for feed discovery
                                       and refuse_private; NULL: defaults
                                       and the fields below */
    const char *base_url;       /* how users reach the page (links, the
                                   cookie's Secure flag); NULL: from the
                                   config, else http://address:port */
    int allow_signup;           /* anyone may make an account */
    int allow_private;          /* with no config: let feeds found here
                                   be on internal addresses (tests);
                                   with a config, [poll] refuse_private
                                   decides */
    unsigned max_connections;
    unsigned per_ip;
    unsigned timeout;           /* seconds */
    size_t max_body;            /* bytes; over it: 413 */
    size_t max_upload;          /* bytes, for signed-in imports */
    size_t max_header;          /* bytes of request line and headers */
    long session_idle;          /* seconds */
    long session_age;           /* seconds */
    long window;                /* seconds of items shown (Today, feed);
                                   0: the config's [score] window, or
                                   14 days */
    struct web_status *status;  /* the daemon's (below), borrowed for the
                                   server's life; NULL: no daemon in this
                                   process (tests), and /healthz says the
                                   poller is not applicable */
};

/* What curatord tells its web server about itself, for /healthz and
 * the admins' Filters page: made by the daemon before web_start(),
 * updated from its loop, freed after web_stop(). Every call is
 * thread-safe (pages_ops.c). */
struct web_status;

/* A loaded filter as the admins' page shows it. */
struct web_filter_info {
    const char *name;
    const char *path;
    unsigned abi_major, abi_minor;
    double weight;
    int suspended;              /* too slow too often: skipped */
    long long slow_calls;       /* score() calls over the time budget */
};

/* A new status whose poller counts as alive while its heartbeat is at
 * most 'stale_after' seconds old. NULL when out of memory. */
struct web_status *web_status_new(long stale_after);
void web_status_free(struct web_status *s);     /* NULL is fine */
void web_status_set_stale(struct web_status *s, long stale_after);
/* The daemon's loop is alive now (a monotonic clock: a wall clock
 * moved by hand neither ages nor freshens it). */
void web_status_beat(struct web_status *s);
/* Replace the list of loaded filters (copied). CUR_OK or CUR_ENOMEM
 * (the old list stays). */
int web_status_set_filters(struct web_status *s,
                           const struct web_filter_info *f, size_t n);

/* Start serving. On success *out is the running server. Errors are
 * logged (address, port and reason). */
int web_start(const struct web_cfg *cfg, struct web **out);

/* The port actually bound (useful with port 0). */
unsigned web_port(const struct web *w);

/* Stop accepting, finish requests in flight, free everything. */
void web_stop(struct web *w);

#endif
