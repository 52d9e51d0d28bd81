/* HTTP for the web tests over libcurl, and the in-process server they
 * talk to. A client remembers its server's port in the handle's private
 * pointer, so a request names only the path. Every request sets each
 * option another request may have changed, so one handle serves GET,
 * HEAD, POST and other methods in any order. What a test checks about
 * an answer stays in the test.
 */
#define _GNU_SOURCE     /* asprintf, strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "feed.h"
#include "support.h"
#include "webclient.h"

#define CSRF_MARK "name=\"csrf\" value=\""

static size_t
collect(char *data, size_t size, size_t n, void *user)
{
    return buf_append(user, data, size * n) == CUR_OK ? size * n : 0;
}

void
t_web_free(struct t_resp *r)
{
    buf_free(&r->body);
    buf_free(&r->hdr);
    json_decref(r->json);
    r->json = NULL;
}

static CURL *
handle(unsigned port)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)(uintptr_t)port);
    /* Straight to 127.0.0.1, whatever http_proxy says. */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    return c;
}

CURL *
t_web_client(unsigned port)
{
    CURL *c = handle(port);
    /* "": the cookie engine on, reading no file. */
    curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
    return c;
}

CURL *
t_web_client_nojar(unsigned port)
{
    return handle(port);
}

/* "http://127.0.0.1:PORT" + path; free() it. */
static char *
url_of(CURL *c, const char *path)
{
    char *priv = NULL, *url;
    curl_easy_getinfo(c, CURLINFO_PRIVATE, &priv);
    assert_true(asprintf(&url, "http://127.0.0.1:%u%s",
                         (unsigned)(uintptr_t)priv, path) > 0);
    return url;
}

/* Empty buffers for the answer, collected from the next transfer. */
static void
resp_begin(CURL *c, struct t_resp *out)
{
    buf_init(&out->body, 0);
    buf_init(&out->hdr, 0);
    buf_puts(&out->body, "");
    buf_puts(&out->hdr, "");
    out->json = NULL;
    out->status = 0;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->hdr);
}

static long
resp_perform(CURL *c, struct t_resp *out)
{
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (out->body.len > 0)
        out->json = json_loadb(out->body.data, out->body.len, 0, NULL);
    return out->status;
}

long
t_web_http(CURL *c, const char *method, const char *path, const char *body,
           size_t len, const char *ctype, const char *const *headers,
           struct t_resp *out)
{
    struct curl_slist *h = NULL;
    int post = body != NULL || strcmp(method, "POST") == 0;
    char *url = url_of(c, path);

    resp_begin(c, out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? len : 0));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, post ? "POST" : "GET") ? method : NULL);
    /* After the method: NOBODY 0 leaves a POST alone. */
    curl_easy_setopt(c, CURLOPT_NOBODY, (long)(strcmp(method, "HEAD") == 0));
    if (ctype != NULL) {
        char line[512];
        snprintf(line, sizeof line, "Content-Type: %s", ctype);
        h = curl_slist_append(h, line);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    /* No 100-continue round trip before a body. */
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    resp_perform(c, out);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
    curl_slist_free_all(h);
    free(url);
    return out->status;
}

long
t_web_get(CURL *c, const char *path, struct t_resp *out)
{
    return t_web_http(c, "GET", path, NULL, 0, NULL, NULL, out);
}

long
t_web_post(CURL *c, const char *path, const char *body, struct t_resp *out)
{
    return t_web_http(c, "POST", path, body, strlen(body), T_WEB_FORM, NULL,
                      out);
}

long
t_web_status(CURL *c, const char *path)
{
    struct t_resp r;
    long st = t_web_get(c, path, &r);
    t_web_free(&r);
    return st;
}

struct filler {
    size_t left;
    char byte;
};

static size_t
fill_body(char *out, size_t size, size_t n, void *user)
{
    struct filler *f = user;
    size_t k = size * n < f->left ? size * n : f->left;
    memset(out, f->byte, k);
    f->left -= k;
    return k;
}

CURLcode
t_web_chunked(CURL *c, const char *path, size_t len, char fill,
              const char *const *headers, struct t_resp *out)
{
    struct filler f = { len, fill };
    struct curl_slist *h = curl_slist_append(NULL,
                                             "Transfer-Encoding: chunked");
    char *url = url_of(c, path);

    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    resp_begin(c, out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, fill_body);
    curl_easy_setopt(c, CURLOPT_READDATA, &f);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, NULL);
    curl_easy_setopt(c, CURLOPT_READDATA, NULL);
    curl_slist_free_all(h);
    free(url);
    return cc;
}

int
t_web_has(const struct t_resp *r, const char *needle)
{
    return r->body.data && strstr(r->body.data, needle) != NULL;
}

int
t_web_hdr_has(const struct t_resp *r, const char *needle)
{
    return r->hdr.data && strcasestr(r->hdr.data, needle) != NULL;
}

void
t_web_header(const struct t_resp *r, const char *name, char *out,
             size_t len)
{
    char want[64];
    const char *p;

    out[0] = '\0';
    snprintf(want, sizeof want, "\n%s:", name);
    p = r->hdr.data ? strcasestr(r->hdr.data, want) : NULL;
    if (p == NULL)
        return;
    p += strlen(want);
    p += strspn(p, " ");
    snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
}

const char *
t_web_csrf_of(const struct t_resp *r, char *tok, size_t len)
{
    const char *p = r->body.data ? strstr(r->body.data, CSRF_MARK) : NULL;
    tok[0] = '\0';
    if (p != NULL) {
        p += strlen(CSRF_MARK);
        size_t n = strcspn(p, "\"");
        if (n < len)
            snprintf(tok, len, "%.*s", (int)n, p);
    }
    return tok;
}

long
t_web_csrf(CURL *c, const char *page, char *tok, size_t len)
{
    struct t_resp p;
    long st = t_web_get(c, page, &p);
    t_web_csrf_of(&p, tok, len);
    t_web_free(&p);
    return st;
}

char *
t_web_vencode(const char *csrf, va_list ap)
{
    struct buf b;
    const char *k;

    buf_init(&b, 0);
    buf_puts(&b, "");
    if (csrf != NULL) {
        char *e = curl_easy_escape(NULL, csrf, 0);
        buf_printf(&b, "csrf=%s", e);
        curl_free(e);
    }
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        char *ek = curl_easy_escape(NULL, k, 0);
        char *ev = curl_easy_escape(NULL, v, 0);
        buf_printf(&b, "%s%s=%s", b.len ? "&" : "", ek, ev);
        curl_free(ek);
        curl_free(ev);
    }
    char *s = buf_steal(&b);
    assert_non_null(s);
    return s;
}

char *
t_web_encode(const char *csrf, ...)
{
    va_list ap;
    va_start(ap, csrf);
    char *s = t_web_vencode(csrf, ap);
    va_end(ap);
    return s;
}

long
t_web_vform(CURL *c, const char *action, const char *csrf,
            struct t_resp *out, va_list ap)
{
    char *body = t_web_vencode(csrf, ap);
    long st = t_web_post(c, action, body, out);
    free(body);
    return st;
}

long
t_web_form(CURL *c, const char *action, const char *csrf,
           struct t_resp *out, ...)
{
    va_list ap;
    va_start(ap, out);
    long st = t_web_vform(c, action, csrf, out, ap);
    va_end(ap);
    return st;
}

long
t_web_submit(CURL *c, const char *page, const char *action,
             struct t_resp *out, ...)
{
    char tok[128];
    va_list ap;

    t_web_csrf(c, page, tok, sizeof tok);
    va_start(ap, out);
    long st = t_web_vform(c, action, tok, out, ap);
    va_end(ap);
    return st;
}

long
t_web_upload(CURL *c, const char *page, const char *action,
             const char *field, const char *filename, const char *data,
             size_t len, struct t_resp *out)
{
    char tok[128];
    t_web_csrf(c, page, tok, sizeof tok);
    curl_mime *m = curl_mime_init(c);
    curl_mimepart *part = curl_mime_addpart(m);
    curl_mime_name(part, "csrf");
    curl_mime_data(part, tok, CURL_ZERO_TERMINATED);
    part = curl_mime_addpart(m);
    curl_mime_name(part, field);
    curl_mime_filename(part, filename);
    curl_mime_data(part, data, len);

    char *url = url_of(c, action);
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    resp_begin(c, out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, m);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    resp_perform(c, out);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    curl_mime_free(m);
    free(url);
    return out->status;
}

long
t_web_login(CURL *c, const char *name, const char *password)
{
    struct t_resp r;
    long st = t_web_submit(c, "/login", "/login", &r, "name", name,
                           "password", password, (char *)NULL);
    t_web_free(&r);
    return st;
}

CURL *
t_web_signed_in(unsigned port, const char *name)
{
    CURL *c = t_web_client(port);
    struct t_resp r;
    char tok[128];

    assert_int_equal(t_web_csrf(c, "/login", tok, sizeof tok), 200);
    assert_true(tok[0] != '\0');
    assert_int_equal(t_web_form(c, "/login", tok, &r, "name", name,
                                "password", T_WEB_PW, (char *)NULL), 303);
    t_web_free(&r);
    return c;
}

/* The server. */

void
t_web_init(struct t_web *w)
{
    memset(w, 0, sizeof *w);
    w->dir = t_mkdtemp();
    assert_non_null(w->dir);
    assert_true(asprintf(&w->db, "%s/curator.db", w->dir) > 0);
}

struct web_cfg
t_web_cfg(void)
{
    struct web_cfg wc = {
        .address = "127.0.0.1", .port = 0, .threads = 2,
        .page_items = 50, .allow_private = 1,
    };
    return wc;
}

void
t_web_start(struct t_web *w, const struct web_cfg *cfg)
{
    struct web_cfg wc = cfg ? *cfg : t_web_cfg();
    wc.store_path = w->db;
    assert_int_equal(web_start(&wc, &w->web), CUR_OK);
    w->port = web_port(w->web);
}

void
t_web_stop(struct t_web *w)
{
    if (w->web != NULL)
        web_stop(w->web);
    w->web = NULL;
    if (w->dir != NULL)
        t_rmtree(w->dir);
    free(w->dir);
    free(w->db);
    w->dir = w->db = NULL;
}

struct store *
t_web_store(const struct t_web *w)
{
    struct store *st;
    assert_int_equal(store_open(w->db, &st), CUR_OK);
    return st;
}

long long
t_web_user(struct store *st, const char *name, const char *role,
           const char *password)
{
    long long id;
    char email[128];
    snprintf(email, sizeof email, "%s@example.org", name);
    assert_int_equal(store_user_add(st, name, email, &id), CUR_OK);
    assert_int_equal(store_user_set_role(st, id, role), CUR_OK);
    if (password != NULL)
        assert_int_equal(store_user_set_password(st, id, password), CUR_OK);
    return id;
}

void
t_web_session(struct store *st, long long uid,
              char cookie[STORE_TOKEN_LEN + 1],
              char csrf[STORE_TOKEN_LEN + 1])
{
    store_token_new(cookie);
    store_token_new(csrf);
    assert_int_equal(store_session_add(st, cookie, uid, csrf,
                                       (long long)time(NULL), "127.0.0.1"),
                     CUR_OK);
}

long long
t_web_seed_feed(struct store *st, const char *url, const char *title,
                const struct t_seed_item *items, size_t n, long long now,
                long long *ids)
{
    long long fid;
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(store_feed_add(st, url, "cli", &fid), CUR_OK);
    for (size_t i = 0; i < n; i++) {
        const struct t_seed_item *s = &items[i];
        struct item *it = feed_add_item(f);
        char guid[32], link[300];
        assert_non_null(it);
        snprintf(guid, sizeof guid, "g%zu", i);
        snprintf(link, sizeof link, "%s/item/%zu", url, i);
        it->guid = strdup(guid);
        it->title = strdup(s->title);
        it->link = strdup(s->link ? s->link : link);
        it->text = s->text ? strdup(s->text) : NULL;
        it->html = s->html ? strdup(s->html) : NULL;
        it->published = now - s->age;
        if (s->tag)
            assert_int_equal(item_add_tag(it, s->tag), CUR_OK);
    }
    struct store_poll poll = { .now = now, .next_poll = now + 3600,
                               .status = 200, .title = title };
    assert_int_equal(store_feed_polled(st, fid, &poll, f, NULL), CUR_OK);
    feed_free(f);
    for (size_t i = 0; ids && i < n; i++) {
        char guid[32];
        snprintf(guid, sizeof guid, "g%zu", i);
        assert_int_equal(store_item_ensure(st, url, "cli", guid, NULL, NULL,
                                           0, now, &ids[i]), CUR_OK);
    }
    return fid;
}

void
t_web_seed_sample(struct store *st, long long now, long long feed[2],
                  long long item[6])
{
#define SAMPLE(title, link, age) \
    { title, link, "Plain text about coaching & <b>feedback</b>.", \
      "<p>Safe <em>HTML</em> body</p>", NULL, age }
    static const struct t_seed_item alpha[] = {
        SAMPLE("Coaching <script>alert(1)</script> tips", NULL, 3600),
        SAMPLE("Feedback that lands", "javascript:alert(1)", 7200),
        SAMPLE("Onboarding in ninety days", NULL, 10800),
    };
    static const struct t_seed_item beta[] = {
        SAMPLE("Mentoring programmes & you", NULL, 3600),
        SAMPLE("Coaching copy elsewhere", "javascript:alert(1)", 7200),
        SAMPLE("Leadership notes", NULL, 10800),
    };
#undef SAMPLE
    feed[0] = t_web_seed_feed(st, "https://a.example/feed", "Alpha <News>",
                              alpha, 3, now, item);
    feed[1] = t_web_seed_feed(st, "https://b.example/feed", "Beta", beta, 3,
                              now, item + 3);
}

void
t_web_seed_sample_profiles(struct store *st, long long now, long long alice,
                           long long eve, long long ed,
                           const long long feed[2], const long long item[6],
                           long long *goal)
{
    assert_int_equal(store_subscribe(st, alice, feed[0]), CUR_OK);
    assert_int_equal(store_subscribe(st, alice, feed[1]), CUR_OK);
    assert_int_equal(store_subscribe(st, eve, feed[1]), CUR_OK);
    assert_int_equal(store_goal_add(st, alice, "Leadership", goal), CUR_OK);
    assert_int_equal(store_interest_put(st, alice, "coaching", 2, *goal, 0),
                     CUR_OK);
    assert_int_equal(store_gem_put(st, item[5], ed, "Worth <it>", "", "", 0),
                     CUR_OK);
    assert_int_equal(store_score_put(st, alice, item[0], 4.5, NULL,
        "keyword\t4.00\ttitle matches \"coaching\" (goal: Leadership)\n"
        "recency\t0.50\tpublished 1 hours ago", now), CUR_OK);
    assert_int_equal(store_score_put(st, alice, item[1], 1.5, NULL,
        "keyword\t1.50\ttext matches \"feedback\"", now), CUR_OK);
    assert_int_equal(store_score_put(st, alice, item[2], -1, "mute",
        "mute\t0\tmuted word \"ninety\"", now), CUR_OK);
    assert_int_equal(store_score_put(st, alice, item[4], 4.0, NULL,
        "keyword\t4.00\ttitle matches \"coaching\" (goal: Leadership)",
        now), CUR_OK);
    assert_int_equal(store_item_duplicate(st, item[4], item[0]), CUR_OK);
    assert_int_equal(store_score_put(st, alice, item[5], 6.0, NULL,
        "gems\t5.00\teditor's pick by ed\nkeyword\t1.00\ttitle matches "
        "\"leadership\"", now), CUR_OK);
    assert_int_equal(store_score_put(st, eve, item[3], 2.0, NULL,
        "keyword\t2.00\ttitle matches \"mentoring\"", now), CUR_OK);
}
