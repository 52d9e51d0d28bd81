/* Feed fetching on one libcurl multi handle: the event loop, conditional
 * GET, redirects followed by hand so that each hop is checked, the body
 * cap, and the connect-time address check (SECURITY.md FETCH-1 to -8). */
#include "fetch.h"
#include "buf.h"
#include "date.h"
#include "err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FETCH_HEADER_MAX 1024   /* longest header value kept */

struct transfer {
    struct fetch *f;
    struct transfer *prev, *next;   /* the loop's list */
    CURL *easy;
    struct curl_slist *headers;
    int (*on_body)(void *ctx, const struct fetch_result *head,
                   const char *data, size_t len);
    void (*on_done)(void *ctx, const struct fetch_result *res);
    void *ctx;
    int refuse_private;
    char *url;                  /* the hop being fetched */
    char *moved_to;
    int permanent;              /* every hop so far was a 301 or 308 */
    int hops;
    double started;             /* monotonic seconds */
    /* The response being read; reset on each status line. */
    char *etag, *last_modified, *retry_after, *cache_control, *language;
    int head_seen;              /* the status is known (first body byte) */
    int take_body;              /* body goes to on_body */
    size_t body_len;
    int too_big;
    int stop_rc;                /* on_body's code when it stopped */
    char refused[64];           /* the address refused, if one was */
    struct fetch_result res;
    char errbuf[CURL_ERROR_SIZE];
};

struct fetch {
    struct fetch_cfg cfg;
    CURLM *multi;
    struct transfer *list;
    int active;
};

int
fetch_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? CUR_OK
                                                             : CUR_EFETCH;
}

void
fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- addresses (FETCH-3) ---- */

static int
v4_refused(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
    } ranges[] = {
        { 0x00000000, 0xff000000 },     /* 0/8 "this network" */
        { 0x0a000000, 0xff000000 },     /* 10/8 private */
        { 0x64400000, 0xffc00000 },     /* 100.64/10 carrier-grade NAT */
        { 0x7f000000, 0xff000000 },     /* 127/8 loopback */
        { 0xa9fe0000, 0xffff0000 },     /* 169.254/16 link-local, cloud
                                           metadata */
        { 0xac100000, 0xfff00000 },     /* 172.16/12 private */
        { 0xc0000000, 0xffffff00 },     /* 192.0.0/24 protocol
                                           assignments */
        { 0xc0000200, 0xffffff00 },     /* 192.0.2/24 documentation */
        { 0xc0586300, 0xffffff00 },     /* 192.88.99/24 6to4 relays */
        { 0xc0a80000, 0xffff0000 },     /* 192.168/16 private */
        { 0xc6120000, 0xfffe0000 },     /* 198.18/15 benchmarking */
        { 0xc6336400, 0xffffff00 },     /* 198.51.100/24 documentation */
        { 0xcb007100, 0xffffff00 },     /* 203.0.113/24 documentation */
        { 0xe0000000, 0xf0000000 },     /* 224/4 multicast */
        { 0xf0000000, 0xf0000000 },     /* 240/4 reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if ((a & ranges[i].mask) == ranges[i].net)
            return 1;
    return 0;
}

static uint32_t
v4_at(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8
           | b[3];
}

static int
v6_refused(const unsigned char *b)
{
    static const unsigned char zero[12];
    static const unsigned char siit[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
                                            0xff, 0xff, 0, 0 };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };

    /* IPv4-compatible (::a.b.c.d, which covers :: and ::1 too) and
     * IPv4-mapped (::ffff:a.b.c.d): the embedded address decides. */
    if (memcmp(b, zero, 10) == 0
        && ((b[10] == 0 && b[11] == 0) || (b[10] == 0xff && b[11] == 0xff)))
        return v4_refused(v4_at(b + 12));
    if (memcmp(b, siit, 12) == 0 || memcmp(b, nat64, 12) == 0)
        return v4_refused(v4_at(b + 12));
    /* Fail closed: only global unicast (2000::/3) may be public. This
     * refuses unique-local fc00::/7, link-local fe80::/10, site-local
     * fec0::/10, multicast ff00::/8, discard 100::/64 and local-use
     * NAT64 64:ff9b:1::/48. */
    if ((b[0] & 0xe0) != 0x20)
        return 1;
    /* 2001::/23 IETF protocol assignments: Teredo, benchmarking,
     * ORCHID; 2001:db8::/32 and 3fff::/20 documentation; 5f00::/16
     * segment routing. */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)
        return 1;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return 1;
    if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0)
        return 1;
    if (b[0] == 0x5f && b[1] == 0x00)
        return 1;
    /* 6to4 (2002::/16) carries an IPv4 address in bits 16 to 47. */
    if (b[0] == 0x20 && b[1] == 0x02)
        return v4_refused(v4_at(b + 2));
    return 0;
}

int
fetch_addr_refused(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return v4_refused(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return v6_refused(in6->sin6_addr.s6_addr);
    }
    return 1;
}

int
fetch_ip_refused(const char *ip)
{
    char text[INET6_ADDRSTRLEN + 1];
    struct sockaddr_in in = { .sin_family = AF_INET };
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

    if (ip == NULL || strlen(ip) >= sizeof text)
        return 1;
    snprintf(text, sizeof text, "%s", ip);
    text[strcspn(text, "%")] = '\0';    /* a zone: "fe80::1%eth0" */
    if (inet_pton(AF_INET, text, &in.sin_addr) == 1)
        return fetch_addr_refused((const struct sockaddr *)&in);
    if (inet_pton(AF_INET6, text, &in6.sin6_addr) == 1)
        return fetch_addr_refused((const struct sockaddr *)&in6);
    return 1;
}

/* Every socket curl opens goes through here: the address it is about to
 * connect to is the one checked, whatever the name resolved to. */
static curl_socket_t
open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
    struct transfer *t = user;
    (void)purpose;
    if (t->refuse_private && fetch_addr_refused(&a->addr)) {
        char ip[INET6_ADDRSTRLEN] = "?";
        if (a->family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&a->addr)->sin_addr,
                      ip, sizeof ip);
        else if (a->family == AF_INET6)
            inet_ntop(AF_INET6,
                      &((struct sockaddr_in6 *)&a->addr)->sin6_addr, ip,
                      sizeof ip);
        snprintf(t->refused, sizeof t->refused, "%s", ip);
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

/* A kept-alive connection opened for another feed may be reused: check
 * its address before the request goes out. */
static int
before_request(void *user, char *primary_ip, char *local_ip,
               int primary_port, int local_port)
{
    struct transfer *t = user;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (t->refuse_private && fetch_ip_refused(primary_ip)) {
        snprintf(t->refused, sizeof t->refused, "%s",
                 primary_ip ? primary_ip : "?");
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

/* ---- header values ---- */

long long
fetch_parse_retry_after(const char *value, long long now)
{
    long long t;
    const char *p = value;

    while (*p == ' ' || *p == '\t')
        p++;
    if (isdigit((unsigned char)*p)) {
        long long v = 0;
        for (; isdigit((unsigned char)*p); p++) {
            if (v > 100000000000LL)
                return -1;
            v = v * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        return *p == '\0' ? v : -1;
    }
    if (date_parse(value, &t) != CUR_OK)
        return -1;
    return t > now ? t - now : 0;
}

long long
fetch_parse_max_age(const char *value)
{
    long long max_age = -1;
    int no_cache = 0;
    const char *p = value;

    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != '=')
            p++;
        size_t n = (size_t)(p - tok);
        while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
            n--;
        const char *val = NULL;
        if (*p == '=') {
            val = ++p;
            while (*p && *p != ',')
                p++;
        }
        if (n == 7 && strncasecmp(tok, "max-age", 7) == 0 && val) {
            while (*val == ' ' || *val == '"')
                val++;
            if (isdigit((unsigned char)*val)) {
                long long v = 0;
                for (; isdigit((unsigned char)*val) && v < 1000000000LL;
                     val++)
                    v = v * 10 + (*val - '0');
                max_age = v;
            }
        } else if ((n == 8 && strncasecmp(tok, "no-cache", 8) == 0)
                   || (n == 8 && strncasecmp(tok, "no-store", 8) == 0)) {
            no_cache = 1;
        }
    }
    if (max_age < 0 && no_cache)
        max_age = 0;
    return max_age;
}

/* ---- one transfer ---- */

static double
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
clear_response(struct transfer *t)
{
    free(t->etag);
    free(t->last_modified);
    free(t->retry_after);
    free(t->cache_control);
    free(t->language);
    t->etag = t->last_modified = t->retry_after = t->cache_control = NULL;
    t->language = NULL;
    t->head_seen = t->take_body = 0;
    t->body_len = 0;
}

/* A copy of a header's value, trimmed, or NULL if 'line' is not 'name'. */
static char *
header_value(const char *line, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0
        || line[nlen] != ':')
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '
                       || end[-1] == '\t'))
        end--;
    if (end == v || end - v > FETCH_HEADER_MAX
        || memchr(v, '\0', (size_t)(end - v)))
        return NULL;
    return strndup(v, (size_t)(end - v));
}

static size_t
on_header(char *data, size_t size, size_t n, void *user)
{
    static const struct {
        const char *name;
        size_t offset;
    } kept[] = {
        { "ETag", offsetof(struct transfer, etag) },
        { "Last-Modified", offsetof(struct transfer, last_modified) },
        { "Retry-After", offsetof(struct transfer, retry_after) },
        { "Cache-Control", offsetof(struct transfer, cache_control) },
        { "Content-Language", offsetof(struct transfer, language) },
    };
    struct transfer *t = user;
    size_t len = size * n;

    /* A status line starts a new response (after a 1xx): keep only the
     * last response's headers. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        clear_response(t);
        return len;
    }
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        char *v = header_value(data, len, kept[i].name);
        if (v) {
            char **slot = (char **)((char *)t + kept[i].offset);
            free(*slot);
            *slot = v;
            break;
        }
    }
    return len;
}

static int
is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307
           || status == 308;
}

/* Fill t->res with what is known of the response so far. */
static void
fill_result(struct transfer *t, long status)
{
    char *ct = NULL;
    long long now = (long long)time(NULL);

    curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
    t->res.status = status == 0 ? 200 : (int)status;   /* file:// */
    t->res.url = t->url;
    t->res.moved_to = t->moved_to;
    t->res.etag = t->etag;
    t->res.last_modified = t->last_modified;
    t->res.content_type = ct;
    t->res.content_language = t->language;
    t->res.retry_after = t->retry_after
                         ? fetch_parse_retry_after(t->retry_after, now) : -1;
    t->res.max_age = t->cache_control
                     ? fetch_parse_max_age(t->cache_control) : -1;
    t->res.redirects = t->hops;
    t->res.refused = t->refused[0] != '\0';
}

static size_t
on_write(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;

    /* FETCH-6: decoded bytes, counted here, since libcurl's own cap
     * neither stops a running transfer nor sees decoded sizes. */
    if (len > t->f->cfg.max_body || t->body_len > t->f->cfg.max_body - len) {
        t->too_big = 1;
        return 0;
    }
    if (!t->head_seen) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        t->head_seen = 1;
        t->take_body = t->on_body != NULL
                       && (status == 0 || (status >= 200 && status < 300));
        fill_result(t, status);
    }
    if (t->take_body) {
        t->res.body_len = t->body_len;
        int rc = t->on_body(t->ctx, &t->res, data, len);
        if (rc != CUR_OK) {
            t->stop_rc = rc;
            return 0;
        }
    }
    t->body_len += len;
    return len;
}

static void
transfer_free(struct transfer *t)
{
    if (t == NULL)
        return;
    clear_response(t);
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    free(t->url);
    free(t->moved_to);
    free(t);
}

static void
unlink_transfer(struct fetch *f, struct transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        f->list = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* The scheme of 'url' is one of the comma-separated 'allowed'. */
static int
scheme_allowed(const char *url, const char *allowed)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    int ok = 0;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK
        && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
        size_t n = strlen(scheme);
        for (const char *p = allowed; *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len == n && strncasecmp(p, scheme, n) == 0)
                ok = 1;
            p += len + (end != NULL);
        }
    }
    curl_free(scheme);
    curl_url_cleanup(u);
    return ok;
}

int
fetch_url_host(const char *url, char *out, size_t size)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int rc = CUR_EINVAL;

    if (size == 0)
        return CUR_EINVAL;
    out[0] = '\0';
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        CURLUcode hc = curl_url_get(u, CURLUPART_HOST, &host, 0);
        if (hc == CURLUE_NO_HOST || (hc == CURLUE_OK && host[0] == '\0')) {
            rc = CUR_OK;
        } else if (hc == CURLUE_OK && strlen(host) < size) {
            for (size_t i = 0; host[i]; i++)
                out[i] = (char)tolower((unsigned char)host[i]);
            out[strlen(host)] = '\0';
            rc = CUR_OK;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* Point the transfer at its next hop and (re)start it. */
static int
start_hop(struct fetch *f, struct transfer *t, const char *protocols)
{
    long left = (long)((f->cfg.timeout - (mono_now() - t->started)) * 1000);
    if (left < 1)
        left = 1;
    clear_response(t);
    t->errbuf[0] = '\0';
    curl_easy_setopt(t->easy, CURLOPT_URL, t->url);
    curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, left);
    return curl_multi_add_handle(f->multi, t->easy) == CURLM_OK
           ? CUR_OK : CUR_ENOMEM;
}

static void
fail(struct transfer *t, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct transfer *t, int rc, const char *fmt, ...)
{
    va_list ap;
    t->res.rc = rc;
    va_start(ap, fmt);
    vsnprintf(t->res.error, sizeof t->res.error, fmt, ap);
    va_end(ap);
}

/* The transfer is over: tell the consumer and free it. */
static void
deliver(struct fetch *f, struct transfer *t)
{
    unlink_transfer(f, t);
    f->active--;
    if (t->on_done)
        t->on_done(t->ctx, &t->res);
    transfer_free(t);
}

/* A 3xx with a Location: follow it, or fail the request. Returns 1 when
 * the transfer goes on. */
static int
follow(struct fetch *f, struct transfer *t, long status, const char *loc)
{
    if (t->hops >= FETCH_MAX_REDIRECTS) {
        fail(t, CUR_EFETCH, "more than %d redirects (last to %.150s)",
             FETCH_MAX_REDIRECTS, loc);
        return 0;
    }
    /* FETCH-2: a redirect never leaves http and https, not even for an
     * admin's file:// feed. */
    if (!scheme_allowed(loc, "http,https")) {
        fail(t, CUR_EFETCH, "redirect to a URL that is not http or https "
             "refused: %.150s", loc);
        return 0;
    }
    if (mono_now() - t->started >= (double)f->cfg.timeout) {
        fail(t, CUR_EFETCH, "timed out after %d redirects", t->hops);
        return 0;
    }
    char *next = strdup(loc);
    if (next == NULL) {
        fail(t, CUR_ENOMEM, "out of memory");
        return 0;
    }
    if (t->permanent && (status == 301 || status == 308)) {
        free(t->moved_to);
        t->moved_to = strdup(next);
    } else {
        t->permanent = 0;
    }
    curl_multi_remove_handle(f->multi, t->easy);
    free(t->url);
    t->url = next;
    t->hops++;
    if (start_hop(f, t, "http,https") != CUR_OK) {
        fail(t, CUR_ENOMEM, "cannot restart the transfer");
        return 0;
    }
    return 1;
}

static void
finish(struct fetch *f, struct transfer *t, CURLcode cc)
{
    long status = 0;

    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK && is_redirect(status)) {
        char *loc = NULL;
        curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc);
        if (loc) {
            if (follow(f, t, status, loc))
                return;
            fill_result(t, status);
            t->res.status = (int)status;
            goto out;
        }
    }
    fill_result(t, status);
    t->res.body_len = t->body_len;
    if (cc == CURLE_OK) {
        t->res.rc = CUR_OK;
    } else if (t->refused[0]) {
        fail(t, CUR_EFETCH, "refused: %s is a loopback, private or "
             "reserved address", t->refused);
    } else if (t->too_big) {
        fail(t, CUR_ETOOBIG, "body larger than %zu bytes",
             f->cfg.max_body);
    } else if (t->stop_rc != CUR_OK) {
        fail(t, t->stop_rc, "stopped while reading the body");
    } else {
        fail(t, CUR_EFETCH, "%s", t->errbuf[0] ? t->errbuf
                                             : curl_easy_strerror(cc));
        t->res.error[strcspn(t->res.error, "\n")] = '\0';
    }
    if (cc != CURLE_OK && !t->head_seen)
        t->res.status = (int)status;    /* 0: no answer at all */
out:
    curl_multi_remove_handle(f->multi, t->easy);
    deliver(f, t);
}

/* ---- the loop ---- */

int
fetch_new(const struct fetch_cfg *cfg, struct fetch **out)
{
    struct fetch *f = calloc(1, sizeof *f);

    *out = NULL;
    if (f == NULL)
        return CUR_ENOMEM;
    f->cfg = *cfg;
    if (f->cfg.connect_timeout <= 0)
        f->cfg.connect_timeout = FETCH_CONNECT_TIMEOUT;
    if ((f->multi = curl_multi_init()) == NULL) {
        free(f);
        return CUR_ENOMEM;
    }
    curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    if (cfg->max_connections > 0)
        curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          cfg->max_connections);
    if (cfg->max_host_connections > 0)
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          cfg->max_host_connections);
    *out = f;
    return CUR_OK;
}

void
fetch_free(struct fetch *f)
{
    if (f == NULL)
        return;
    while (f->list) {
        struct transfer *t = f->list;
        curl_multi_remove_handle(f->multi, t->easy);
        unlink_transfer(f, t);
        transfer_free(t);
    }
    curl_multi_cleanup(f->multi);
    free(f);
}

int
fetch_active(const struct fetch *f)
{
    return f->active;
}

static int
add_header(struct curl_slist **list, const char *name, const char *value)
{
    char line[FETCH_HEADER_MAX + 64];
    /* A stored validator came from a server: keep it one clean line. */
    if (value == NULL || strlen(value) > FETCH_HEADER_MAX
        || strpbrk(value, "\r\n"))
        return CUR_OK;
    snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL)
        return CUR_ENOMEM;
    *list = l;
    return CUR_OK;
}

int
fetch_add(struct fetch *f, const struct fetch_req *rq)
{
    const char *protocols = rq->allow_file ? "http,https,file" : "http,https";

    if (!scheme_allowed(rq->url, protocols))
        return CUR_EINVAL;
    struct transfer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return CUR_ENOMEM;
    t->f = f;
    t->on_body = rq->on_body;
    t->on_done = rq->on_done;
    t->ctx = rq->ctx;
    t->refuse_private = rq->refuse_private;
    t->permanent = 1;
    t->res.retry_after = t->res.max_age = -1;
    t->started = mono_now();
    t->url = strdup(rq->url);
    t->easy = curl_easy_init();
    if (t->url == NULL || t->easy == NULL
        || add_header(&t->headers, "If-None-Match", rq->etag) != CUR_OK
        || add_header(&t->headers, "If-Modified-Since", rq->last_modified)
           != CUR_OK) {
        transfer_free(t);
        return CUR_ENOMEM;
    }
    CURL *c = t->easy;
    curl_easy_setopt(c, CURLOPT_PRIVATE, t);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);   /* follow() does */
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, f->cfg.connect_timeout);
    /* FETCH-5: give up on a server trickling under 1 KiB/s for 30 s. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075700
    /* A transfer dropped mid-resolve must not wait for the resolver. */
    curl_easy_setopt(c, CURLOPT_QUICK_EXIT, 1L);
#endif
    /* "": every encoding this libcurl decodes (gzip, deflate, br,
     * zstd...). */
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, FETCH_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    /* Wait for a connection that can multiplex rather than open
     * another one to the same server. */
    curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
    /* FETCH-7: proxies only when configured, never from the environment. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, before_request);
    curl_easy_setopt(c, CURLOPT_PREREQDATA, t);
    if (start_hop(f, t, protocols) != CUR_OK) {
        transfer_free(t);
        return CUR_ENOMEM;
    }
    t->next = f->list;
    if (f->list)
        f->list->prev = t;
    f->list = t;
    f->active++;
    return CUR_OK;
}

int
fetch_run(struct fetch *f, int wait_ms)
{
    int running, left;
    CURLMsg *m;

    if (curl_multi_perform(f->multi, &running) != CURLM_OK)
        return CUR_EFETCH;
    int ended = 0;
    while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        ended++;
        char *priv = NULL;
        CURLcode cc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        finish(f, (struct transfer *)(void *)priv, cc);
    }
    /* Back to the caller at once when something ended (it may start
     * more); with nothing to transfer this still waits, for
     * fetch_wakeup(). */
    if (ended == 0 && wait_ms > 0
        && curl_multi_poll(f->multi, NULL, 0, wait_ms, NULL) != CURLM_OK)
        return CUR_EFETCH;
    return CUR_OK;
}

void
fetch_wakeup(struct fetch *f)
{
    curl_multi_wakeup(f->multi);
}

/* ---- one request, waited for ---- */

struct collect {
    struct buf body;
    struct fetch_reply *reply;
};

static int
collect_body(void *ctx, const struct fetch_result *head, const char *data,
             size_t len)
{
    struct collect *c = ctx;
    (void)head;
    return buf_append(&c->body, data, len);
}

static void
collect_done(void *ctx, const struct fetch_result *res)
{
    struct collect *c = ctx;
    struct fetch_reply *r = c->reply;

    r->rc = res->rc;
    r->status = res->status;
    r->url = res->url ? strdup(res->url) : NULL;
    r->content_type = res->content_type ? strdup(res->content_type) : NULL;
    snprintf(r->error, sizeof r->error, "%s", res->error);
    if (res->rc == CUR_OK && res->status >= 200 && res->status < 300) {
        r->len = c->body.len;
        r->body = buf_steal(&c->body);
        if (r->body == NULL) {
            r->rc = CUR_ENOMEM;
            snprintf(r->error, sizeof r->error, "out of memory");
        }
    }
}

int
fetch_url(const struct fetch_cfg *cfg, const char *url, int allow_file,
          int refuse_private, struct fetch_reply *reply)
{
    struct collect c = { .reply = reply };
    struct fetch *f;
    struct fetch_req rq = {
        .url = url, .allow_file = allow_file,
        .refuse_private = refuse_private, .on_body = collect_body,
        .on_done = collect_done, .ctx = &c,
    };
    int rc;

    memset(reply, 0, sizeof *reply);
    reply->rc = CUR_EFETCH;
    buf_init(&c.body, cfg->max_body);
    if ((rc = fetch_new(cfg, &f)) != CUR_OK) {
        reply->rc = rc;
        snprintf(reply->error, sizeof reply->error, "out of memory");
        return rc;
    }
    rc = fetch_add(f, &rq);
    if (rc == CUR_EINVAL)
        snprintf(reply->error, sizeof reply->error, "not an %s URL",
                 allow_file ? "http, https or file" : "http or https");
    else if (rc != CUR_OK)
        snprintf(reply->error, sizeof reply->error, "out of memory");
    while (rc == CUR_OK && fetch_active(f) > 0)
        rc = fetch_run(f, 1000);
    if (rc != CUR_OK)
        reply->rc = rc;
    fetch_free(f);
    buf_free(&c.body);
    return reply->rc;
}

void
fetch_reply_free(struct fetch_reply *r)
{
    free(r->url);
    free(r->body);
    free(r->content_type);
    r->url = r->body = r->content_type = NULL;
}
