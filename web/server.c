/* The libmicrohttpd side of the web page: the daemon with its thread
 * pool and limits (connections in all and per address, idle timeout,
 * header and body sizes), one store handle per worker thread, request
 * bodies collected under a cap (413 when over, told by Content-Length
 * before a byte is read), forms parsed, and answers that always carry
 * the security headers. Which page runs, for whom, is router.c's.
 */
#include "server.h"
#include "metrics.h"
#include "err.h"
#include "html.h"
#include "log.h"
#include "web.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* Generated from web/static/style.css by the Makefile. */
extern const unsigned char web_style_css[];
extern const unsigned long web_style_css_len;

/* No inline script or style anywhere; images only from here (item HTML
 * pages widen img-src themselves). */
static const char CSP[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* Chunked bodies have no length to refuse early: past this many times
 * the limit, the connection is dropped instead of read to the end. */
#define WEB_DISCARD_FACTOR 4

struct store *
web_store(struct web *w)
{
    struct store *st = pthread_getspecific(w->store_key);
    if (st != NULL)
        return st;
    if (store_open(w->store_path, &st) != CUR_OK)
        return NULL;
    /* Pages mostly read: mapping the database saves a copy per page
     * (the Today page reads many), about 30 % of its CPU. */
    store_map_reads(st, STORE_WEB_MMAP);
    pthread_mutex_lock(&w->stores_lock);
    if (w->n_stores == w->cap_stores) {
        size_t cap = w->cap_stores ? w->cap_stores * 2 : 8;
        struct store **v = realloc(w->stores, cap * sizeof *v);
        if (v == NULL) {
            pthread_mutex_unlock(&w->stores_lock);
            store_close(st);
            return NULL;
        }
        w->stores = v;
        w->cap_stores = cap;
    }
    w->stores[w->n_stores++] = st;
    pthread_mutex_unlock(&w->stores_lock);
    pthread_setspecific(w->store_key, st);
    return st;
}

const char *
web_req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, name);
}

const char *
web_query(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->c, MHD_GET_ARGUMENT_KIND, name);
}

void
web_header(struct req *r, const char *name, const char *value)
{
    char *v;
    if (r->n_headers >= WEB_MAX_HEADERS || (v = strdup(value)) == NULL)
        return;
    r->hname[r->n_headers] = name;
    r->hvalue[r->n_headers] = v;
    r->n_headers++;
}

/* The route's first path segment as a metrics label ("today",
 * "feed"...); "root" for "/", "other" when no route matched. */
static const char *
route_label(const struct req *r)
{
    static _Thread_local char label[32];
    const char *p = r->route ? r->route->path : NULL;
    size_t n = 0;
    if (p == NULL)
        return "other";
    while (*p == '/')
        p++;
    if (*p == '\0')
        return "root";
    for (; p[n] && p[n] != '/' && n < sizeof label - 1; n++)
        label[n] = (p[n] >= 'a' && p[n] <= 'z') ? p[n] : '_';
    label[n] = '\0';
    return label;
}

static enum MHD_Result
queue(struct req *r, unsigned status, struct MHD_Response *resp,
      const char *type, const char *cache)
{
    if (resp == NULL)
        return MHD_NO;
    metrics_http(route_label(r), (int)status);
    MHD_add_response_header(resp, "Content-Security-Policy",
                            r->csp ? r->csp : CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    /* Not no-referrer: with it, browsers send "Origin: null" on our own
     * form posts. Links out carry rel=noreferrer anyway. */
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy",
                            "same-origin");
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", cache);
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->hname[i], r->hvalue[i]);
    enum MHD_Result ret = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES)
        r->answered = 1;
    return ret;
}

enum MHD_Result
web_send(struct req *r, unsigned status, const char *type, struct buf *b)
{
    size_t len = b->len;
    char *body = buf_steal(b);
    if (body == NULL)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    return queue(r, status, resp, type, "no-store");
}

enum MHD_Result
web_send_static(struct req *r, unsigned status, const char *type,
                const void *data, size_t len, const char *cache)
{
    return queue(r, status, MHD_create_response_from_buffer(
                     len, (void *)data, MHD_RESPMEM_PERSISTENT),
                 type, cache);
}

enum MHD_Result
web_redirect(struct req *r, const char *path)
{
    /* Only local paths: "//host" and "/\host" leave the site. A
     * relative Location keeps whatever host the browser used. */
    if (path == NULL || path[0] != '/' || path[1] == '/' || path[1] == '\\')
        path = "/";
    web_header(r, "Location", path);
    return web_send_static(r, MHD_HTTP_SEE_OTHER, "text/plain; "
                           "charset=utf-8", "", 0, "no-store");
}

enum MHD_Result
web_error(struct req *r, unsigned status, const char *title,
          const char *message)
{
    struct buf b;
    if (r->route != NULL && (r->route->flags & RF_JSON))
        return api_error(r, status, message);
    buf_init(&b, WEB_PAGE_MAX);
    int rc = html_open(&b, r, title, NULL);
    rc |= buf_puts(&b, "<section class=\"problem\"><h1>");
    rc |= html_escape(&b, title);
    rc |= buf_puts(&b, "</h1><p>");
    rc |= html_escape(&b, message);
    rc |= buf_printf(&b, "</p><p><a href=\"%s\">Go to the start page</a>"
                     "</p></section>", r->role > ROLE_ANON ? "/today" : "/");
    rc |= html_close(&b);
    if (rc != CUR_OK) {
        buf_free(&b);
        static const char oom[] = "Internal error.\n";
        return web_send_static(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "text/plain; charset=utf-8", oom,
                               sizeof oom - 1, "no-store");
    }
    /* Error pages may echo what a request carried: sandbox them. */
    r->csp = "default-src 'none'; style-src 'self'; img-src 'self'; "
             "base-uri 'none'; form-action 'self'; frame-ancestors 'none';"
             " sandbox allow-forms allow-same-origin";
    return web_send(r, status, "text/html; charset=utf-8", &b);
}

int
web_heavy_enter(struct web *w)
{
    int ok;
    pthread_mutex_lock(&w->hash_lock);
    ok = w->heavy < WEB_HEAVY_MAX;
    if (ok)
        w->heavy++;
    pthread_mutex_unlock(&w->hash_lock);
    return ok;
}

void
web_heavy_leave(struct web *w)
{
    pthread_mutex_lock(&w->hash_lock);
    w->heavy--;
    pthread_mutex_unlock(&w->hash_lock);
}

enum MHD_Result
web_busy(struct req *r)
{
    web_header(r, "Retry-After", "5");
    return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Busy",
                     "The server is busy with other searches and previews. "
                     "Try again in a few seconds.");
}

enum MHD_Result
page_style(struct req *r)
{
    char etag[48];
    const char *inm = web_req_header(r, "If-None-Match");
    snprintf(etag, sizeof etag, "\"%s\"", r->w->css_etag);
    web_header(r, "ETag", etag);
    if (inm != NULL && strstr(inm, etag) != NULL)
        return web_send_static(r, MHD_HTTP_NOT_MODIFIED, NULL, "", 0,
                               "public, max-age=86400");
    /* The URL carries the version (?v=ETAG), so a long life is safe. */
    return web_send_static(r, MHD_HTTP_OK, "text/css; charset=utf-8",
                           web_style_css, web_style_css_len,
                           "public, max-age=86400");
}

/* page_health (/healthz) is pages_ops.c's: it reads the daemon's
 * heartbeat. */

/* /metrics: Prometheus text format (aggregates only). */
enum MHD_Result
page_metrics(struct req *r)
{
    struct buf b;
    buf_init(&b, 1u << 20);
    if (metrics_render(r->st, &b) != CUR_OK) {
        buf_free(&b);
        static const char bad[] = "metrics: store error\n";
        return web_send_static(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "text/plain; charset=utf-8", bad,
                               sizeof bad - 1, "no-store");
    }
    return web_send(r, MHD_HTTP_OK, "text/plain; version=0.0.4; "
                    "charset=utf-8", &b);
}

static void
client_ip(struct req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->ip, sizeof r->ip, "?");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    /* The socket's address: X-Forwarded-For is never believed. */
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)
                  ->sin_addr, r->ip, sizeof r->ip);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)
                  ->sin6_addr, r->ip, sizeof r->ip);
}

static void
req_free(struct req *r)
{
    if (r == NULL)
        return;
    buf_free(&r->body);
    form_free(&r->form);
    for (int i = 0; i < r->n_headers; i++)
        free(r->hvalue[i]);
    sodium_memzero(r->token, sizeof r->token);
    free(r);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_free(*con_cls);
    *con_cls = NULL;
}

/* The first call, with the headers only: pick the route, read the
 * session (which decides the body limit), and refuse early what can
 * be refused before the body. */
static enum MHD_Result
begin(struct web *w, struct MHD_Connection *c, const char *url,
      const char *method, void **con_cls)
{
    unsigned m = 0, allowed;
    struct req *r = calloc(1, sizeof *r);

    if (r == NULL)
        return MHD_NO;
    *con_cls = r;
    r->w = w;
    r->c = c;
    r->method = method;
    r->url = url;
    r->now = (long long)time(NULL);
    buf_init(&r->body, 0);
    client_ip(r);
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        m = RM_GET;
    else if (strcmp(method, "POST") == 0)
        m = RM_POST;
    else if (strcmp(method, "PUT") == 0)
        m = RM_PUT;
    else if (strcmp(method, "DELETE") == 0)
        m = RM_DELETE;
    else
        m = RM_OTHER;
    /* Anything but GET and HEAD changes state: the CSRF checks apply. */
    r->post = m != RM_GET;
    r->route = router_find(url, m, &allowed, &r->rest);
    r->st = web_store(w);
    if (r->st == NULL)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "The database cannot be opened right now. Try "
                         "again in a minute.");
    if (r->route == NULL || !(r->route->flags & RF_NO_SESSION))
        auth_load_session(r);
    if (allowed == 0)
        return web_error(r, MHD_HTTP_NOT_FOUND, "Page not found",
                         "There is no page at this address.");
    if (r->route == NULL) {
        web_header(r, "Allow", (allowed & RM_POST) && (allowed & RM_GET)
                   ? "GET, HEAD, POST" : (allowed & RM_POST) ? "POST"
                   : "GET, HEAD");
        return web_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Not allowed",
                         "This page does not take that kind of request.");
    }
    r->limit = (r->route->flags & RF_UPLOAD) && r->role > ROLE_ANON
               ? w->max_upload : w->max_body;
    const char *cl = web_req_header(r, "Content-Length");
    if (cl != NULL) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end == cl || *end != '\0' || n > r->limit) {
            r->too_big = 1;
            return web_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
                             "That request is larger than this server "
                             "accepts.");
        }
    }
    return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    struct web *w = cls;
    struct req *r = *con_cls;
    (void)version;

    if (r == NULL)
        return begin(w, c, url, method, con_cls);
    if (r->answered) {
        *upload_size = 0;       /* answered early: the rest is dropped */
        return MHD_YES;
    }
    if (*upload_size != 0) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (!r->too_big && (r->body.len + n > r->limit
                            || buf_append(&r->body, upload, n) != CUR_OK)) {
            r->too_big = 1;
            buf_free(&r->body);
        }
        if (r->too_big) {
            r->body.len += n;       /* counted, not kept */
            if (r->body.len > WEB_DISCARD_FACTOR * r->limit)
                return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->too_big)
        return web_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "Too large",
                         "That request is larger than this server "
                         "accepts.");
    if (r->post && r->body.len > 0 && !(r->route->flags & RF_JSON)) {
        const char *ct = web_req_header(r, "Content-Type");
        int rc = CUR_EINVAL;
        if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33)
                  == 0)
            rc = form_parse_urlencoded(&r->form, r->body.data, r->body.len);
        else if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0)
            rc = form_parse_multipart(&r->form, ct, r->body.data,
                                      r->body.len);
        buf_free(&r->body);
        if (rc == CUR_ENOMEM)
            return MHD_NO;
        if (rc != CUR_OK && !(r->route->flags & RF_NO_CSRF))
            return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad form",
                             "The form could not be read: it is malformed "
                             "or holds text that is not UTF-8.");
    }
    return router_run(r);
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    log_warn("web: %s", msg);
}

/* scheme://host[:port] of a URL, for Origin checks. */
static void
origin_of(const char *url, char *out, size_t len)
{
    const char *p = strstr(url, "://");
    size_t n = p ? (size_t)(p + 3 - url) : 0;
    if (p != NULL)
        n += strcspn(p + 3, "/?#");
    snprintf(out, len, "%.*s", (int)n, url);
    for (char *q = out; *q; q++)
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q + 32);
}

static int
settings(struct web *w, const struct web_cfg *cfg)
{
    const struct config *c = cfg->config;
    const char *base = cfg->base_url;

    w->config = c;
    w->page_items = cfg->page_items ? cfg->page_items : 50;
    if (w->page_items > 200)
        w->page_items = 200;
    if (base == NULL && c != NULL)
        base = c->web_base_url;
    if (base != NULL) {
        size_t n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
            n--;
        if (n >= sizeof w->base_url)
            return CUR_EINVAL;
        snprintf(w->base_url, sizeof w->base_url, "%.*s", (int)n, base);
    } else {
        int v6 = strchr(cfg->address, ':') != NULL;
        snprintf(w->base_url, sizeof w->base_url, "http://%s%s%s:%u",
                 v6 ? "[" : "", cfg->address, v6 ? "]" : "", w->port);
    }
    origin_of(w->base_url, w->origin, sizeof w->origin);
    w->secure = strncasecmp(w->base_url, "https://", 8) == 0;
    w->allow_signup = cfg->allow_signup;
    w->refuse_private = c ? c->poll_refuse_private : !cfg->allow_private;
    w->max_body = cfg->max_body ? cfg->max_body : WEB_DEFAULT_MAX_BODY;
    w->max_upload = cfg->max_upload ? cfg->max_upload
                                    : WEB_DEFAULT_MAX_UPLOAD;
    if (w->max_upload < w->max_body)
        w->max_upload = w->max_body;
    w->session_idle = cfg->session_idle ? cfg->session_idle
                                        : WEB_DEFAULT_SESSION_IDLE;
    w->session_age = cfg->session_age ? cfg->session_age
                                      : WEB_DEFAULT_SESSION_AGE;
    w->window = cfg->window ? cfg->window
                : c && c->score_window ? c->score_window : 14 * 86400L;
    w->fetch.timeout = c && c->poll_timeout ? c->poll_timeout : 20;
    if (w->fetch.timeout > 20)
        w->fetch.timeout = 20;      /* a page waits on it */
    w->fetch.connect_timeout = c ? c->poll_connect_timeout : 0;
    w->fetch.max_body = c && c->poll_max_body ? c->poll_max_body : 4u << 20;
    w->fetch.max_connections = 4;
    w->fetch.max_host_connections = 2;
    w->links.base_url = w->base_url;
    w->links.window = w->window;
    w->status = cfg->status;
    return CUR_OK;
}

/* The link key (the digests' signing key, from the store), the dummy
 * hash that unknown users are checked against, and the stylesheet's
 * ETag. */
static int
secrets(struct web *w)
{
    struct store *st;
    char pw[STORE_TOKEN_LEN + 1];
    unsigned char h[8];
    int rc;

    if (sodium_init() < 0)
        return CUR_ENOMEM;
    if ((rc = store_open(w->store_path, &st)) != CUR_OK)
        return rc;
    rc = store_secret(st, "link_hmac", w->links.key, sizeof w->links.key);
    store_close(st);
    if (rc != CUR_OK)
        return rc;
    store_token_new(pw);
    if (crypto_pwhash_str_alg(w->dummy_hash, pw, strlen(pw),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return CUR_ENOMEM;
    crypto_generichash(h, sizeof h, web_style_css, web_style_css_len, NULL,
                       0);
    sodium_bin2hex(w->css_etag, sizeof w->css_etag, h, sizeof h);
    return CUR_OK;
}

int
web_start(const struct web_cfg *cfg, struct web **out)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG
                     | MHD_USE_TURBO;
    size_t header_max;
    int rc = CUR_ENOMEM;

    *out = NULL;
    if (inet_pton(AF_INET, cfg->address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        log_err("web address invalid address=%s", cfg->address);
        return CUR_EINVAL;
    }

    struct web *w = calloc(1, sizeof *w);
    if (w == NULL)
        return CUR_ENOMEM;
    pthread_mutex_init(&w->stores_lock, NULL);
    pthread_mutex_init(&w->hash_lock, NULL);
    pthread_cond_init(&w->hash_cond, NULL);
    if (pthread_key_create(&w->store_key, NULL) != 0) {
        web_stop(w);
        return CUR_ENOMEM;
    }
    w->have_key = 1;
    w->port = cfg->port;
    if ((w->store_path = strdup(cfg->store_path)) == NULL
        || (rc = settings(w, cfg)) != CUR_OK
        || (rc = secrets(w)) != CUR_OK) {
        log_err("web setup failed db=%s err=\"%s\"", cfg->store_path,
                cur_strerror(w->store_path ? rc : CUR_ENOMEM));
        web_stop(w);
        return w->store_path ? rc : CUR_ENOMEM;
    }
    /* Headers live in the connection's memory pool with the read
     * buffer: the pool's size is what caps them. */
    header_max = cfg->max_header ? cfg->max_header
                                 : WEB_DEFAULT_MAX_HEADER;
    w->mhd = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, w,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cfg->threads ? cfg->threads : 4),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections
            ? cfg->max_connections : WEB_DEFAULT_CONNECTIONS),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)(cfg->per_ip
            ? cfg->per_ip : WEB_DEFAULT_PER_IP),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout
            ? cfg->timeout : WEB_DEFAULT_TIMEOUT),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, header_max,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_END);
    if (w->mhd == NULL) {
        log_err("web cannot listen address=%s port=%u hint=\"is the port in "
                "use? set [web] port\"", cfg->address, cfg->port);
        web_stop(w);
        return CUR_EIO;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
    w->port = info ? info->port : cfg->port;
    if (cfg->base_url == NULL && (cfg->config == NULL
                                  || cfg->config->web_base_url == NULL))
        settings(w, cfg);   /* the port is known now */
    log_info("web listening address=%s port=%u url=%s/", cfg->address,
             w->port, w->base_url);
    *out = w;
    return CUR_OK;
}

unsigned
web_port(const struct web *w)
{
    return w->port;
}

void
web_stop(struct web *w)
{
    if (w == NULL)
        return;
    if (w->mhd)
        MHD_stop_daemon(w->mhd);
    /* The worker threads are gone: their handles can close. */
    for (size_t i = 0; i < w->n_stores; i++)
        store_close(w->stores[i]);
    free(w->stores);
    if (w->have_key)
        pthread_key_delete(w->store_key);
    pthread_mutex_destroy(&w->stores_lock);
    pthread_mutex_destroy(&w->hash_lock);
    pthread_cond_destroy(&w->hash_cond);
    sodium_memzero(w->links.key, sizeof w->links.key);
    free(w->store_path);
    free(w);
}
