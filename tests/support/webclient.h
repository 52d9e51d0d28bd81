/* The web tests' side of HTTP: a libcurl client bound to one server on
 * 127.0.0.1 (with or without a cookie jar), requests that keep the whole
 * answer, forms posted with the CSRF token a page hands out, signing in,
 * and the in-process server on a temporary store with users of each
 * role (passwords or sessions made directly in the store). The helpers
 * fail the running cmocka test when the set-up itself goes wrong; what
 * the server answers is left to the tests to check. */
#ifndef CURATOR_TEST_WEBCLIENT_H
#define CURATOR_TEST_WEBCLIENT_H

#include <stdarg.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "server.h"
#include "store.h"

/* The password t_web_signed_in() signs in with. */
#define T_WEB_PW "correct horse battery"
/* The type of a form body. */
#define T_WEB_FORM "application/x-www-form-urlencoded"

/* One answer. body and hdr (all header lines, the status line first)
 * are NUL-terminated, "" when empty; free with t_web_free(). */
struct t_resp {
    long status;                /* 0 when no answer came */
    struct buf body, hdr;
    json_t *json;               /* the body parsed as JSON, else NULL */
};

void t_web_free(struct t_resp *r);

/* A client for http://127.0.0.1:PORT with a cookie jar of its own, as a
 * browser would be; t_web_client_nojar() keeps none, so that a test sets
 * every cookie itself. Free with curl_easy_cleanup(). */
CURL *t_web_client(unsigned port);
CURL *t_web_client_nojar(unsigned port);

/* One request to 'path' on the client's server. A body ('len' bytes) is
 * sent when 'body' is not NULL or the method is POST (NULL: empty).
 * 'ctype' (may be NULL) is the Content-Type, 'headers' more header lines
 * (NULL-ended, may be NULL). Redirects are not followed. Returns the
 * status, also in out->status. */
long t_web_http(CURL *c, const char *method, const char *path,
                const char *body, size_t len, const char *ctype,
                const char *const *headers, struct t_resp *out);
long t_web_get(CURL *c, const char *path, struct t_resp *out);
/* POST 'body' as application/x-www-form-urlencoded. */
long t_web_post(CURL *c, const char *path, const char *body,
                struct t_resp *out);
/* GET and keep only the status. */
long t_web_status(CURL *c, const char *path);

/* POST 'len' bytes of 'fill' with Transfer-Encoding: chunked, so that
 * the server learns the size only as the body arrives, and the extra
 * header lines (NULL-ended, may be NULL). Returns the transfer's result;
 * out->status is the status when it is CURLE_OK, else 0. */
CURLcode t_web_chunked(CURL *c, const char *path, size_t len, char fill,
                       const char *const *headers, struct t_resp *out);

/* Whether the body holds 'needle'; whether the headers do (any case). */
int t_web_has(const struct t_resp *r, const char *needle);
int t_web_hdr_has(const struct t_resp *r, const char *needle);
/* The value of the first header 'name' into out ("" when absent). */
void t_web_header(const struct t_resp *r, const char *name, char *out,
                  size_t len);

/* The value of the page's first name="csrf" field into tok ("" when
 * there is none or it does not fit); returns tok. */
const char *t_web_csrf_of(const struct t_resp *r, char *tok, size_t len);
/* GET 'page' for its token (as t_web_csrf_of()); returns the status. */
long t_web_csrf(CURL *c, const char *page, char *tok, size_t len);

/* The NULL-ended name/value pairs as a form body, percent-encoded, after
 * "csrf=TOKEN" when 'csrf' is not NULL. free() the result. */
char *t_web_encode(const char *csrf, ...);
char *t_web_vencode(const char *csrf, va_list ap);
/* POST the pairs (t_web_encode()) to 'action'. */
long t_web_form(CURL *c, const char *action, const char *csrf,
                struct t_resp *out, ...);
long t_web_vform(CURL *c, const char *action, const char *csrf,
                 struct t_resp *out, va_list ap);
/* GET 'page' for its CSRF token, then POST it and the pairs to 'action',
 * as a browser submits the page's form ("csrf=" when it had none). */
long t_web_submit(CURL *c, const char *page, const char *action,
                  struct t_resp *out, ...);
/* A multipart POST of one file field and the CSRF token from 'page'. */
long t_web_upload(CURL *c, const char *page, const char *action,
                  const char *field, const char *filename, const char *data,
                  size_t len, struct t_resp *out);

/* Submit the login form; returns the status (303 when signed in). */
long t_web_login(CURL *c, const char *name, const char *password);
/* A new client signed in as 'name' with T_WEB_PW; the test fails if the
 * login page or the login does not answer as it should. */
CURL *t_web_signed_in(unsigned port, const char *name);

/* A server in-process on a temporary store. */
struct t_web {
    char *dir;                  /* temporary folder */
    char *db;                   /* dir/curator.db, made by the test */
    struct web *web;            /* NULL until started */
    unsigned port;
};

/* Make the folder and name the store in it. */
void t_web_init(struct t_web *w);
/* The usual test server: 127.0.0.1, a free port, 2 threads, 50 items a
 * page, feeds on private addresses allowed. */
struct web_cfg t_web_cfg(void);
/* Start on w->db with 'cfg' (NULL: t_web_cfg()); store_path is set. */
void t_web_start(struct t_web *w, const struct web_cfg *cfg);
/* Stop the server (if started), remove the folder, free the names. */
void t_web_stop(struct t_web *w);
/* Another handle on the store; close it with store_close(). */
struct store *t_web_store(const struct t_web *w);

/* A user "NAME" <NAME@example.org> with 'role' and 'password' (NULL:
 * none); returns the id. */
long long t_web_user(struct store *st, const char *name, const char *role,
                     const char *password);
/* A session for 'uid' made in the store: its cookie value and CSRF
 * token. */
void t_web_session(struct store *st, long long uid,
                   char cookie[STORE_TOKEN_LEN + 1],
                   char csrf[STORE_TOKEN_LEN + 1]);

/* One item of t_web_seed_feed(): NULL link means URL/item/N, NULL text
 * and html none; 'tag' (may be NULL) its one category; 'age' seconds
 * before 'now' is when it was published. */
struct t_seed_item {
    const char *title;
    const char *link;
    const char *text;
    const char *html;
    const char *tag;
    long long age;
};
/* A feed at 'url' added and polled at 'now' (next poll an hour later)
 * with the title 'title' and 'n' items whose GUIDs are g0, g1, ...;
 * their ids go to 'ids' (may be NULL). Returns the feed's id. */
long long t_web_seed_feed(struct store *st, const char *url,
                          const char *title, const struct t_seed_item *items,
                          size_t n, long long now, long long *ids);

/* The web tests' two sample feeds, polled at 'now': "Alpha <News>" at
 * https://a.example/feed and "Beta" at https://b.example/feed, three
 * items each (hostile markup in titles, a javascript: link second in
 * each, text with markup, and a sanitised HTML body), published one,
 * two and three hours before 'now'. Their ids go to feed[0..1] and the
 * six items' to item[0..5]. */
void t_web_seed_sample(struct store *st, long long now, long long feed[2],
                       long long item[6]);

/* On t_web_seed_sample()'s feeds: 'alice' subscribed to both and 'eve'
 * to the second; alice's goal "Leadership" (its id to *goal) with the
 * interest "coaching"; item 5 an editor's pick by 'ed'; and scores as
 * the scorer writes them, with reasons: alice's items 0, 1, 4 (a
 * duplicate of 0) and 5 ranked, item 2 muted, and eve's item 3. */
void t_web_seed_sample_profiles(struct store *st, long long now,
                                long long alice, long long eve,
                                long long ed, const long long feed[2],
                                const long long item[6], long long *goal);

#endif
