/* Fetching feeds over HTTP(S), or file:// for feeds an admin listed.
 *
 * This is the one place that makes network requests (SECURITY.md
 * FETCH-1). One libcurl multi handle drives every transfer of a round
 * from a single event loop: connections are reused, HTTP/2 streams are
 * multiplexed where the server offers it, and the total and per-host
 * connection counts are capped. Each request sends the stored validators
 * for a conditional GET, asks for every content encoding libcurl was
 * built with, follows at most FETCH_MAX_REDIRECTS redirects itself (each
 * hop checked: http and https only, the time left shrinking), caps the
 * decoded body in the write callback, and hands the body to its consumer
 * as it arrives, so nothing is held whole. For feeds users add through
 * the web, every address is checked when a socket is opened and again
 * when a kept-alive connection is reused, so loopback, private,
 * link-local, unique-local and other internal addresses are refused
 * whatever the name resolved to (FETCH-3).
 *
 * Parsing, storing and scheduling are the caller's (poller.c).
 */
#ifndef CURATOR_FETCH_H
#define CURATOR_FETCH_H

#include <stddef.h>
#include <sys/socket.h>

#define FETCH_MAX_REDIRECTS 5
#define FETCH_CONNECT_TIMEOUT 10    /* seconds, the default */
#define FETCH_PROJECT_URL "https://curator.example.org/"
#define FETCH_USER_AGENT \
    "Curator/" CURATOR_VERSION " (feed curation daemon; +" \
    FETCH_PROJECT_URL ")"

/* Settings of one event loop. */
struct fetch_cfg {
    long timeout;               /* seconds for a request, redirects
                                   included */
    long connect_timeout;       /* seconds; 0: FETCH_CONNECT_TIMEOUT */
    size_t max_body;            /* decoded bytes */
    long max_connections;       /* open connections in all; 0: no cap */
    long max_host_connections;  /* to one host; 0: no cap */
};

/* What a request came to. Strings are borrowed from the transfer: valid
 * during the callback that receives it. */
struct fetch_result {
    int rc;                     /* CUR_OK: an HTTP answer, see status;
                                   CUR_EFETCH transport failure (also a
                                   redirect loop or a refused address),
                                   CUR_ETOOBIG over max_body, or the code
                                   an on_body callback stopped with */
    int status;                 /* of the final response; 200 for a file
                                   read; 0 when there was none */
    const char *url;            /* the URL that gave the final answer */
    const char *moved_to;       /* where a chain of 301/308 redirects from
                                   the requested URL led (the last
                                   permanent hop before any temporary
                                   one), or NULL */
    const char *etag;           /* validators of the final response */
    const char *last_modified;
    const char *content_type;   /* may be NULL */
    const char *content_language;
    long long retry_after;      /* Retry-After as seconds from now (from
                                   seconds or an HTTP-date), -1 if none */
    long long max_age;          /* Cache-Control max-age, -1 if none */
    int redirects;              /* hops followed */
    int refused;                /* an address was refused (FETCH-3) */
    size_t body_len;            /* decoded bytes received */
    char error[256];            /* why it failed, when rc != CUR_OK */
};

struct fetch_req {
    const char *url;
    const char *etag;           /* sent as If-None-Match, may be NULL */
    const char *last_modified;  /* sent as If-Modified-Since, may be NULL */
    int allow_file;             /* permit file:// (admin-added feeds) */
    int refuse_private;         /* refuse internal addresses (web feeds) */
    /* The decoded body of a 2xx final answer, piece by piece; 'head'
     * has the status and headers (body_len not yet counting 'data').
     * Return CUR_OK to go on; any other code stops the transfer and
     * becomes its result. The bodies of other answers are read and
     * dropped (still capped). May be NULL. */
    int (*on_body)(void *ctx, const struct fetch_result *head,
                   const char *data, size_t len);
    /* Called exactly once when the request is over, unless the loop is
     * freed first. */
    void (*on_done)(void *ctx, const struct fetch_result *res);
    void *ctx;
};

/* Initialise libcurl; call once from main() before any thread starts. */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/* The event loop. */
struct fetch;

/* A new loop with 'cfg' (copied). Returns CUR_OK or CUR_ENOMEM. */
int fetch_new(const struct fetch_cfg *cfg, struct fetch **out);

/* Free the loop. Transfers still running are dropped without their
 * on_done. NULL is fine. */
void fetch_free(struct fetch *f);

/* Start a request (its strings are copied). Returns CUR_OK, CUR_EINVAL
 * for a URL that is not http(s) (or file when allowed), or CUR_ENOMEM;
 * on_done is not called when this fails. */
int fetch_add(struct fetch *f, const struct fetch_req *rq);

/* Requests started and not yet done. */
int fetch_active(const struct fetch *f);

/* Make progress: move every transfer on and call on_done for those that
 * ended; when none did, wait at most 'wait_ms' for network activity or
 * fetch_wakeup() (also when nothing is running). Returns CUR_OK, or
 * CUR_EFETCH when libcurl's loop itself failed. */
int fetch_run(struct fetch *f, int wait_ms);

/* Wake fetch_run() up from its wait; any thread may call it. */
void fetch_wakeup(struct fetch *f);

/* One request run to the end with its body collected (at most
 * cfg->max_body bytes), for one-off fetches (discovery). */
struct fetch_reply {
    int rc;                     /* as fetch_result.rc */
    int status;
    char *url;                  /* owned, may be NULL */
    char *content_type;         /* owned, may be NULL */
    char *body;                 /* owned, NUL-terminated; of a 2xx only */
    size_t len;
    char error[256];
};

/* Fetch 'url' with one request and wait for it. Returns reply->rc; free
 * the reply with fetch_reply_free() in every case. */
int fetch_url(const struct fetch_cfg *cfg, const char *url, int allow_file,
              int refuse_private, struct fetch_reply *reply);
void fetch_reply_free(struct fetch_reply *r);

/* The host of 'url', lower-cased, into out ("" for a file:// URL).
 * Returns CUR_OK, or CUR_EINVAL when the URL cannot be read or the host
 * does not fit. */
int fetch_url_host(const char *url, char *out, size_t size);

/* 1 when a connection to 'sa' must be refused for a web feed: loopback,
 * unspecified, private (RFC 1918), carrier-grade NAT, link-local,
 * unique-local, site-local, multicast, broadcast, documentation,
 * benchmarking and reserved ranges, and any IPv6 address embedding such
 * an IPv4 one (IPv4-mapped and -compatible, NAT64, 6to4, Teredo); also
 * any family other than IPv4 and IPv6. 0 for a public address. */
int fetch_addr_refused(const struct sockaddr *sa);

/* The same for a numeric address string ("10.0.0.1", "::1"); text that
 * is not an address is refused. */
int fetch_ip_refused(const char *ip);

/* Parse a Retry-After value at 'now': delay seconds or an HTTP-date.
 * Returns the seconds to wait (0 for a date in the past), or -1 when the
 * value is neither. */
long long fetch_parse_retry_after(const char *value, long long now);

/* The max-age of a Cache-Control value ("no-cache" and "no-store" give
 * 0), or -1 when there is none. */
long long fetch_parse_max_age(const char *value);

#endif
