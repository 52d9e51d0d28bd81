/* One feed fetch with libcurl's easy interface. */
#include "fetch.h"
#include "buf.h"
#include "err.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct transfer {
    struct buf body;
    int too_big;
    char *etag;
    char *last_modified;
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

static size_t
on_body(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    /* buf_append frees the buffer past its cap; returning short makes
     * curl abort the transfer. */
    if (buf_append(&t->body, data, size * n) != CUR_OK) {
        t->too_big = 1;
        return 0;
    }
    return size * n;
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
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (end == v || end - v > 1024)
        return NULL;
    return strndup(v, (size_t)(end - v));
}

static size_t
on_header(char *data, size_t size, size_t n, void *user)
{
    struct transfer *t = user;
    size_t len = size * n;
    char *v;

    /* A new status line starts a new response (after a redirect): keep
     * only the last response's validators. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        free(t->etag);
        free(t->last_modified);
        t->etag = t->last_modified = NULL;
    } else if ((v = header_value(data, len, "ETag")) != NULL) {
        free(t->etag);
        t->etag = v;
    } else if ((v = header_value(data, len, "Last-Modified")) != NULL) {
        free(t->last_modified);
        t->last_modified = v;
    }
    return len;
}

int
fetch_url(const struct fetch_request *rq, struct fetch_result *res)
{
    struct transfer t = { 0 };
    struct curl_slist *headers = NULL;
    char line[1100];
    int rc = CUR_OK;

    memset(res, 0, sizeof *res);
    buf_init(&t.body, rq->max_body);
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(res->error, sizeof res->error, "cannot start a transfer");
        return CUR_ENOMEM;
    }
    if (rq->etag && strlen(rq->etag) < 1024) {
        snprintf(line, sizeof line, "If-None-Match: %s", rq->etag);
        headers = curl_slist_append(headers, line);
    }
    if (rq->last_modified && strlen(rq->last_modified) < 1024) {
        snprintf(line, sizeof line, "If-Modified-Since: %s",
                 rq->last_modified);
        headers = curl_slist_append(headers, line);
    }

    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
                     rq->allow_file ? "http,https,file" : "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRECTS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_USERAGENT, FETCH_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    /* FETCH-7: proxies only when configured, never from the environment. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);

    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        rc = t.too_big ? CUR_ETOOBIG : CUR_EFETCH;
        if (t.too_big)
            snprintf(res->error, sizeof res->error,
                     "body larger than %zu bytes", rq->max_body);
        else
            snprintf(res->error, sizeof res->error, "%s",
                     curl_easy_strerror(cc));
        goto out;
    }
    long status = 0;
    char *final_url = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &final_url);
    res->status = status == 0 ? 200 : (int)status;   /* file:// has none */
    res->final_url = final_url ? strdup(final_url) : NULL;
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    res->content_type = ct ? strdup(ct) : NULL;
    if (res->status != 304) {
        res->len = t.body.len;
        res->body = buf_steal(&t.body);
    }
    res->etag = t.etag;
    res->last_modified = t.last_modified;
    t.etag = t.last_modified = NULL;
out:
    buf_free(&t.body);
    free(t.etag);
    free(t.last_modified);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc;
}

void
fetch_result_free(struct fetch_result *res)
{
    free(res->body);
    free(res->etag);
    free(res->last_modified);
    free(res->final_url);
    free(res->content_type);
    res->body = res->etag = res->last_modified = res->final_url = NULL;
    res->content_type = NULL;
}
