/* libmicrohttpd server: routes, security headers and the item list. */
#include "server.h"
#include "buf.h"
#include "date.h"
#include "err.h"
#include "html.h"
#include "log.h"
#include "store.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WEB_CONN_LIMIT 256
#define WEB_PER_IP_LIMIT 16
#define WEB_IDLE_TIMEOUT 30
#define WEB_CONN_MEMORY (64 * 1024)
#define WEB_PAGE_MAX (4u << 20)
#define WEB_SUMMARY_MAX 280

/* Generated from web/static/style.css by the Makefile. */
extern const unsigned char web_style_css[];
extern const unsigned long web_style_css_len;

struct web {
    struct MHD_Daemon *mhd;
    struct store *st;
    pthread_mutex_t lock;       /* one request at a time uses st */
    unsigned page_items;
    unsigned port;
};

static const char CSP[] =
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static void
add_security_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result
send_page(struct MHD_Connection *c, unsigned status, const char *type,
          char *body, size_t len, int owned, const char *cache)
{
    struct MHD_Response *r = owned
        ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
        : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    add_security_headers(r);
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", cache);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return send_page(c, status, "text/plain; charset=utf-8", (char *)text,
                     strlen(text), 0, "no-store");
}

struct page {
    struct buf b;
    unsigned n;
};

static int
render_item(void *ctx, const struct store_item *it)
{
    struct page *p = ctx;
    struct buf *b = &p->b;
    char when[32];
    int rc = buf_puts(b, "<li><h2>");

    if (html_safe_url(it->link)) {
        rc |= buf_puts(b, "<a rel=\"noopener noreferrer nofollow\" href=\"");
        rc |= html_escape(b, it->link);
        rc |= buf_puts(b, "\">");
        rc |= html_escape(b, it->title);
        rc |= buf_puts(b, "</a>");
    } else {
        rc |= html_escape(b, it->title);
    }
    rc |= buf_puts(b, "</h2><p class=\"meta\">");
    rc |= html_escape(b, it->feed_title ? it->feed_title : "(untitled feed)");
    if (it->published) {
        date_format(it->published, when, sizeof when);
        rc |= buf_printf(b, " &middot; <time datetime=\"%s\">%.10s</time>",
                         when, when);
    }
    rc |= buf_puts(b, "</p>");
    if (it->summary && it->summary[0]) {
        char cut[WEB_SUMMARY_MAX + 4];
        size_t len = strlen(it->summary);
        if (len > WEB_SUMMARY_MAX) {
            /* Cut between UTF-8 characters, never inside one. */
            len = WEB_SUMMARY_MAX;
            while (len > 0 && ((unsigned char)it->summary[len] & 0xC0) == 0x80)
                len--;
            snprintf(cut, sizeof cut, "%.*s...", (int)len, it->summary);
        } else {
            snprintf(cut, sizeof cut, "%s", it->summary);
        }
        rc |= buf_puts(b, "<p class=\"summary\">");
        rc |= html_escape(b, cut);
        rc |= buf_puts(b, "</p>");
    }
    rc |= buf_puts(b, "</li>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
page_index(struct web *w, struct MHD_Connection *c)
{
    struct page p = { .n = 0 };
    long long items = 0;
    int rc;

    buf_init(&p.b, WEB_PAGE_MAX);
    rc = buf_puts(&p.b,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\"><title>Curator: latest items</title>"
        "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body>"
        "<header><h1>Curator</h1><p>The latest items from every feed."
        "</p></header><main><ol class=\"items\">\n");
    pthread_mutex_lock(&w->lock);
    if (rc == CUR_OK)
        rc = store_item_list(w->st, 0, (int)w->page_items, render_item, &p);
    if (rc == CUR_OK)
        rc = store_item_count(w->st, &items);
    pthread_mutex_unlock(&w->lock);
    if (rc == CUR_OK && p.n == 0)
        rc = buf_puts(&p.b, "<li class=\"empty\">No items yet: the feeds "
                      "have not been polled, or they are empty.</li>");
    if (rc == CUR_OK)
        rc = buf_printf(&p.b, "</ol></main><footer>%u of %lld items shown. "
                        "Curator %s</footer></body></html>\n", p.n, items,
                        CURATOR_VERSION);
    if (rc != CUR_OK) {
        buf_free(&p.b);
        log_err("web page failed route=/ err=\"%s\"", cur_strerror(rc));
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         "Internal error: the page could not be built.\n");
    }
    size_t len = p.b.len;
    return send_page(c, MHD_HTTP_OK, "text/html; charset=utf-8",
                     buf_steal(&p.b), len, 1, "no-store");
}

static enum MHD_Result
page_health(struct web *w, struct MHD_Connection *c)
{
    long long n;
    pthread_mutex_lock(&w->lock);
    int rc = store_item_count(w->st, &n);
    pthread_mutex_unlock(&w->lock);
    if (rc != CUR_OK)
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "store: error\n");
    return send_text(c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **req)
{
    struct web *w = cls;
    (void)version;
    (void)upload;

    /* First call: headers only. Answer on the second, once any body has
     * been refused. */
    if (*req == NULL) {
        *req = (void *)1;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        *upload_size = 0;       /* nothing here takes a body */
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (r == NULL)
            return MHD_NO;
        add_security_headers(r);
        MHD_add_response_header(r, "Allow", "GET, HEAD");
        enum MHD_Result ret = MHD_queue_response(
            c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/") == 0)
        return page_index(w, c);
    if (strcmp(url, "/healthz") == 0)
        return page_health(w, c);
    if (strcmp(url, "/static/style.css") == 0)
        return send_page(c, MHD_HTTP_OK, "text/css; charset=utf-8",
                         (char *)web_style_css, web_style_css_len, 0,
                         "public, max-age=3600");
    return send_text(c, MHD_HTTP_NOT_FOUND, "Not found.\n");
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_warn("web: %s", msg);
}

int
web_start(const struct web_cfg *cfg, struct web **out)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG
                   | MHD_USE_POLL;
    int rc;

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
    pthread_mutex_init(&w->lock, NULL);
    w->page_items = cfg->page_items;
    if ((rc = store_open(cfg->store_path, &w->st)) != CUR_OK) {
        web_stop(w);
        return rc;
    }
    w->mhd = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, w,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEB_PER_IP_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_IDLE_TIMEOUT,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_CONN_MEMORY,
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
    log_info("web listening address=%s port=%u url=http://%s%s%s:%u/",
             cfg->address, w->port, strchr(cfg->address, ':') ? "[" : "",
             cfg->address, strchr(cfg->address, ':') ? "]" : "", w->port);
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
    store_close(w->st);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
