/* Fetching a feed over HTTP(S), or file:// for feeds an admin listed.
 *
 * This is the one place that makes network requests (SECURITY.md
 * FETCH-1). It sends the stored validators for a conditional GET, follows
 * at most FETCH_MAX_REDIRECTS redirects over http and https only, and caps
 * the decoded body in the write callback.
 */
#ifndef CURATOR_FETCH_H
#define CURATOR_FETCH_H

#include <stddef.h>

#define FETCH_MAX_REDIRECTS 5
#define FETCH_USER_AGENT \
    "Curator/" CURATOR_VERSION " (feed curation daemon; +https://curator.example.org/)"

struct fetch_request {
    const char *url;
    const char *etag;           /* sent as If-None-Match, may be NULL */
    const char *last_modified;  /* sent as If-Modified-Since, may be NULL */
    long timeout;               /* whole transfer, seconds */
    size_t max_body;            /* decoded bytes */
    int allow_file;             /* permit file:// (admin-added feeds) */
};

struct fetch_result {
    int status;                 /* HTTP status; 200 for a file read */
    char *body;                 /* owned, NUL-terminated; NULL on 304 */
    size_t len;
    char *etag;                 /* owned, may be NULL */
    char *last_modified;        /* owned, may be NULL */
    char *final_url;            /* owned: the URL after redirects */
    char *content_type;         /* owned: Content-Type, may be NULL */
    char error[256];            /* why it failed, when it did */
};

/* Initialise libcurl; call once from main() before any thread starts. */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/* Fetch rq->url. CUR_OK for any HTTP answer (check res->status: 304
 * means unchanged), CUR_EFETCH for a transport failure and CUR_ETOOBIG
 * over the body cap, with res->error set. Free res with
 * fetch_result_free() in every case. */
int fetch_url(const struct fetch_request *rq, struct fetch_result *res);
void fetch_result_free(struct fetch_result *res);

#endif
