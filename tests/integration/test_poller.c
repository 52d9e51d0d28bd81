/* Integration: the real poller (poller_run on a store in a temporary
 * folder, and the real `curator` binary) against a fault-injecting HTTP
 * server this test starts on 127.0.0.1 (libmicrohttpd, a thread per
 * connection so that a route may stall). Every case asserts what was
 * stored: items, URL, health (status, failures, last error, disabled)
 * and the next poll time.
 *
 * Routes: validators (ETag only, Last-Modified only), gzip, a trickling
 * body, a body over the cap, a truncated body, a redirect loop, 301, 302,
 * 308 and 301-then-302, 410, 429 and 503 with Retry-After (seconds and
 * HTTP-date), 500 a few times then 200, a feed served as text/plain, an
 * HTML page advertising feeds and one advertising none, publisher hints
 * (ttl, sy:updatePeriod, skipHours, Cache-Control), and slow feeds to
 * watch the per-host limit. No address but 127.0.0.1 is ever used. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "opml.h"
#include "poller.h"
#include "store.h"
#include "support.h"

#define LAST_MODIFIED "Tue, 03 Nov 2026 09:30:00 GMT"
#define MAX_PATHS 128

/* ---- the server ---- */

struct srv {
    struct MHD_Daemon *mhd;
    unsigned port;
    char *dir;                  /* files made for the routes (gzip) */
    pthread_mutex_t mu;
    struct {
        char path[96];
        int hits;
    } paths[MAX_PATHS];
    int n_paths;
    int inflight, max_inflight; /* of /slow-*.xml requests */
    int flaky_left;             /* /flaky answers 500 while > 0 */
    char accept_encoding[256];  /* of the last /gzip.xml request */
    char user_agent[256];
    volatile int stopping;
};

static struct srv srv;

static int
hits(const char *path)
{
    int n = 0;
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.n_paths; i++)
        if (strcmp(srv.paths[i].path, path) == 0)
            n = srv.paths[i].hits;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static void
count_hit(const char *path)
{
    pthread_mutex_lock(&srv.mu);
    int i;
    for (i = 0; i < srv.n_paths; i++)
        if (strcmp(srv.paths[i].path, path) == 0)
            break;
    if (i == srv.n_paths && i < MAX_PATHS) {
        snprintf(srv.paths[i].path, sizeof srv.paths[i].path, "%s", path);
        srv.n_paths++;
    }
    if (i < MAX_PATHS)
        srv.paths[i].hits++;
    pthread_mutex_unlock(&srv.mu);
}

/* An RSS 2.0 document with 'n' items "PREFIX 1".."PREFIX n" and 'extra'
 * inside <channel> (free()). */
static char *
rss(const char *prefix, int n, const char *extra)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<rss version=\"2.0\" xmlns:sy=\"http://purl.org/rss/1.0/"
               "modules/syndication/\"><channel><title>%s feed</title>"
               "<link>https://%s.example.org/</link>%s\n", prefix, prefix,
               extra ? extra : "");
    for (int i = 1; i <= n; i++)
        buf_printf(&b, "<item><title>%s %d</title><guid>%s-%d</guid>"
                   "<link>https://%s.example.org/%d</link><pubDate>Tue, "
                   "%02d Nov 2026 09:30:00 GMT</pubDate><description>Item "
                   "%d of %s.</description></item>\n", prefix, i, prefix,
                   i, prefix, i, i, i, prefix);
    buf_puts(&b, "</channel></rss>\n");
    return buf_steal(&b);
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, const char *type,
          char *body, const char *h1, const char *v1)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? strlen(body) : 0, body ? body : (void *)"",
        body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (type)
        MHD_add_response_header(r, "Content-Type", type);
    if (h1)
        MHD_add_response_header(r, h1, v1);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
redirect(struct MHD_Connection *c, unsigned status, const char *to)
{
    return send_text(c, status, "text/plain", strdup("moved\n"),
                     "Location", to);
}

/* The trickling body: its head, then a byte every 100 ms, for 10 s at
 * most (the client gives up long before). */
static ssize_t
trickle(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (srv.stopping || pos >= 160)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (pos > 0) {
        struct timespec ts = { 0, 100 * 1000000L };
        nanosleep(&ts, NULL);
    }
    static const char head[] = "<?xml version=\"1.0\"?><rss version=\"2.0"
                               "\"><channel><title>slow</title>";
    if (pos < sizeof head - 1) {
        size_t n = sizeof head - 1 - (size_t)pos;
        n = n < max ? n : max;
        memcpy(buf, head + pos, n);
        return (ssize_t)n;
    }
    buf[0] = ' ';
    return 1;
}

/* The truncated body: 'cls' is the document; half of it is sent, then the
 * connection drops, though Content-Length promised it all. */
static ssize_t
half(void *cls, uint64_t pos, char *buf, size_t max)
{
    const char *doc = cls;
    size_t stop = strlen(doc) / 2;
    if (pos >= stop)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = stop - (size_t)pos < max ? stop - (size_t)pos : max;
    memcpy(buf, doc + pos, n);
    return (ssize_t)n;
}

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url,
      const char *method, const char *version, const char *upload,
      size_t *upload_size, void **req)
{
    static int marker;
    (void)cls;
    (void)version;
    (void)upload;
    (void)upload_size;

    if (*req == NULL) {
        *req = &marker;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0)
        return send_text(c, 405, "text/plain", NULL, NULL, NULL);
    count_hit(url);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "If-None-Match");
    const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "If-Modified-Since");
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "User-Agent");
    pthread_mutex_lock(&srv.mu);
    snprintf(srv.user_agent, sizeof srv.user_agent, "%s", ua ? ua : "");
    pthread_mutex_unlock(&srv.mu);

    if (strcmp(url, "/etag.xml") == 0) {
        if (inm && strcmp(inm, "\"e1\"") == 0)
            return send_text(c, 304, NULL, NULL, "ETag", "\"e1\"");
        return send_text(c, 200, "application/rss+xml", rss("etag", 3, NULL),
                         "ETag", "\"e1\"");
    }
    if (strcmp(url, "/lm.xml") == 0) {
        if (ims && strcmp(ims, LAST_MODIFIED) == 0)
            return send_text(c, 304, NULL, NULL, NULL, NULL);
        return send_text(c, 200, "application/rss+xml", rss("lm", 2, NULL),
                         "Last-Modified", LAST_MODIFIED);
    }
    if (strcmp(url, "/plain.xml") == 0 || strcmp(url, "/feed.xml") == 0
        || strncmp(url, "/target", 7) == 0)
        return send_text(c, 200, strcmp(url, "/plain.xml") == 0
                         ? "text/plain" : "application/rss+xml",
                         rss(url[1] == 't' ? "target" : "plain", 2, NULL),
                         NULL, NULL);
    if (strcmp(url, "/gzip.xml") == 0) {
        const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     "Accept-Encoding");
        pthread_mutex_lock(&srv.mu);
        snprintf(srv.accept_encoding, sizeof srv.accept_encoding, "%s",
                 ae ? ae : "");
        pthread_mutex_unlock(&srv.mu);
        char *path, *gz;
        size_t len;
        assert_true(asprintf(&path, "%s/gzip.xml.gz", srv.dir) > 0);
        gz = t_read_file(path, &len);
        free(path);
        struct MHD_Response *r = MHD_create_response_from_buffer(
            len, gz, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(r, "Content-Type", "application/rss+xml");
        MHD_add_response_header(r, "Content-Encoding", "gzip");
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/slow.xml") == 0) {
        struct MHD_Response *r = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 64, trickle, NULL, NULL);
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/big.xml") == 0) {
        struct buf b;
        buf_init(&b, 0);
        char *head = rss("big", 1, NULL);
        head[strlen(head) - strlen("</channel></rss>\n")] = '\0';
        buf_puts(&b, head);
        free(head);
        buf_puts(&b, "<item><title>huge</title><description>");
        for (int i = 0; i < 200 * 1024 / 64; i++)
            buf_puts(&b, "0123456789012345678901234567890123456789012345678"
                     "90123456789abcd");
        buf_puts(&b, "</description></item></channel></rss>\n");
        return send_text(c, 200, "application/rss+xml", buf_steal(&b), NULL,
                         NULL);
    }
    if (strcmp(url, "/truncated.xml") == 0) {
        static char *doc;
        if (doc == NULL)
            doc = rss("cut", 6, NULL);     /* kept for the process */
        struct MHD_Response *r = MHD_create_response_from_callback(
            strlen(doc), 1024, half, doc, NULL);
        MHD_add_response_header(r, "Content-Type", "application/rss+xml");
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/loop") == 0)
        return redirect(c, 302, "/loop");
    if (strcmp(url, "/r301") == 0)
        return redirect(c, 301, "/target301.xml");
    if (strcmp(url, "/r308") == 0)
        return redirect(c, 308, "/target308.xml");
    if (strcmp(url, "/r302") == 0)
        return redirect(c, 302, "/target302.xml");
    if (strcmp(url, "/r301-302") == 0)
        return redirect(c, 301, "/r302b");
    if (strcmp(url, "/r302b") == 0)
        return redirect(c, 302, "/target302b.xml");
    if (strcmp(url, "/to-file") == 0)
        return redirect(c, 301, "file:///etc/passwd");
    if (strcmp(url, "/gone") == 0)
        return send_text(c, 410, "text/plain", strdup("gone\n"), NULL, NULL);
    if (strcmp(url, "/busy429") == 0)
        return send_text(c, 429, "text/plain", strdup("slow down\n"),
                         "Retry-After", "120");
    if (strcmp(url, "/busy503") == 0) {
        char date[64];
        time_t t = time(NULL) + 300;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return send_text(c, 503, "text/plain", strdup("later\n"),
                         "Retry-After", date);
    }
    if (strcmp(url, "/flaky") == 0) {
        pthread_mutex_lock(&srv.mu);
        int fail = srv.flaky_left > 0;
        if (fail)
            srv.flaky_left--;
        pthread_mutex_unlock(&srv.mu);
        if (fail)
            return send_text(c, 500, "text/plain", strdup("oops\n"), NULL,
                             NULL);
        return send_text(c, 200, "application/rss+xml", rss("flaky", 4,
                         NULL), NULL, NULL);
    }
    if (strcmp(url, "/page.html") == 0 || strcmp(url, "/nofeed.html") == 0) {
        int links = strcmp(url, "/page.html") == 0;
        char *html;
        assert_true(asprintf(&html, "<!DOCTYPE html>\n<html><head><title>A "
            "blog</title>%s</head><body><p>Hello<p>no feed here</body>"
            "</html>\n", links
            ? "<link rel=\"stylesheet\" href=\"/s.css\">"
              "<link rel=\"alternate\" type=\"application/rss+xml\" "
              "title=\"RSS\" href=\"/feed.xml\">"
              "<LINK REL=\"Alternate\" TYPE=\"application/atom+xml\" "
              "title=\"Atom\" href=\"target-atom.xml\">"
              "<link rel=\"alternate\" type=\"text/html\" href=\"/fr\">"
            : "") > 0);
        return send_text(c, 200, "text/html; charset=utf-8", html, NULL,
                         NULL);
    }
    if (strcmp(url, "/ttl.xml") == 0)
        return send_text(c, 200, "application/rss+xml",
                         rss("ttl", 2, "<ttl>180</ttl>"), NULL, NULL);
    if (strcmp(url, "/sy.xml") == 0)
        return send_text(c, 200, "application/rss+xml",
                         rss("sy", 2, "<sy:updatePeriod>daily"
                             "</sy:updatePeriod><sy:updateFrequency>2"
                             "</sy:updateFrequency>"), NULL, NULL);
    if (strcmp(url, "/maxage.xml") == 0)
        return send_text(c, 200, "application/rss+xml", rss("maxage", 2,
                         NULL), "Cache-Control", "public, max-age=7200");
    if (strcmp(url, "/skip.xml") == 0) {
        /* Every hour is skipped but 13:00 UTC. */
        struct buf b;
        buf_init(&b, 0);
        buf_puts(&b, "<skipHours>");
        for (int h = 0; h < 24; h++)
            if (h != 13)
                buf_printf(&b, "<hour>%d</hour>", h);
        buf_puts(&b, "</skipHours>");
        char *doc = rss("skip", 2, b.data);
        buf_free(&b);
        return send_text(c, 200, "application/rss+xml", doc, NULL, NULL);
    }
    if (strncmp(url, "/slow-", 6) == 0) {
        pthread_mutex_lock(&srv.mu);
        if (++srv.inflight > srv.max_inflight)
            srv.max_inflight = srv.inflight;
        pthread_mutex_unlock(&srv.mu);
        struct timespec ts = { 0, 150 * 1000000L };
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&srv.mu);
        srv.inflight--;
        pthread_mutex_unlock(&srv.mu);
        return send_text(c, 200, "application/rss+xml", rss("many", 1,
                         NULL), NULL, NULL);
    }
    return send_text(c, 404, "text/plain", strdup("not found\n"), NULL,
                     NULL);
}

static int
srv_start(void **state)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    (void)state;
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.mu, NULL);
    srv.dir = t_mkdtemp();
    if (srv.dir == NULL)
        return -1;
    /* The gzip route's body, compressed once by gzip(1). */
    char *doc = rss("gzip", 5, NULL), *path, cmd[4200];
    free(t_write_file(srv.dir, "gzip.xml", doc));
    free(doc);
    if (asprintf(&path, "%s/gzip.xml", srv.dir) < 0)
        return -1;
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s.gz'", path, path);
    free(path);
    if (system(cmd) != 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD
                               | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                               NULL, serve, NULL, MHD_OPTION_SOCK_ADDR,
                               (struct sockaddr *)&a, MHD_OPTION_END);
    if (srv.mhd == NULL)
        return -1;
    srv.port = MHD_get_daemon_info(srv.mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int
srv_stop(void **state)
{
    (void)state;
    srv.stopping = 1;
    MHD_stop_daemon(srv.mhd);
    t_rmtree(srv.dir);
    free(srv.dir);
    pthread_mutex_destroy(&srv.mu);
    return 0;
}

/* ---- a store per test ---- */

struct fx {
    char *dir;
    char *db;
    struct store *st;
    struct poller_cfg cfg;
    struct poller_stats stats;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (fx == NULL || (fx->dir = t_mkdtemp()) == NULL
        || asprintf(&fx->db, "%s/curator.db", fx->dir) < 0
        || store_open(fx->db, &fx->st) != CUR_OK)
        return -1;
    fx->cfg = (struct poller_cfg) {
        .sched = { .interval = 3600, .min_interval = 600,
                   .max_interval = 86400, .backoff_max = 86400 },
        .timeout = 2, .connect_timeout = 2, .max_body = 64 * 1024,
        .connections = 8, .per_host = 4, .refuse_private = 1,
    };
    parse_opts_default(&fx->cfg.parse);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    t_rmtree(fx->dir);
    free(fx->db);
    free(fx->dir);
    free(fx);
    return 0;
}

/* A copy of one feed row. */
struct row {
    long long id, next_poll, last_poll, last_success, last_failure, items;
    long long disabled_at;
    long interval, ttl, update_period;
    unsigned skip_hours;
    int last_status, failures;
    char url[256], etag[64], last_modified[64], last_error[640];
    char disabled_reason[640], title[128];
};

static int
copy_row(void *ctx, const struct store_feed *f)
{
    struct row *r = ctx;
    memset(r, 0, sizeof *r);
    r->id = f->id;
    r->next_poll = f->next_poll;
    r->last_poll = f->last_poll;
    r->last_success = f->last_success;
    r->last_failure = f->last_failure;
    r->items = f->items;
    r->disabled_at = f->disabled_at;
    r->interval = f->poll_interval;
    r->ttl = f->ttl;
    r->update_period = f->update_period;
    r->skip_hours = f->skip_hours;
    r->last_status = f->last_status;
    r->failures = f->failures;
    snprintf(r->url, sizeof r->url, "%s", f->url);
    snprintf(r->etag, sizeof r->etag, "%s", f->etag ? f->etag : "");
    snprintf(r->last_modified, sizeof r->last_modified, "%s",
             f->last_modified ? f->last_modified : "");
    snprintf(r->last_error, sizeof r->last_error, "%s",
             f->last_error ? f->last_error : "");
    snprintf(r->disabled_reason, sizeof r->disabled_reason, "%s",
             f->disabled_reason ? f->disabled_reason : "");
    snprintf(r->title, sizeof r->title, "%s", f->title ? f->title : "");
    return 0;
}

static struct row
feed_row(struct fx *fx, long long id)
{
    struct row r;
    assert_int_equal(store_feed_get(fx->st, id, copy_row, &r), CUR_OK);
    return r;
}

static char *
url_of(const char *path)
{
    char *u;
    assert_true(asprintf(&u, "http://127.0.0.1:%u%s", srv.port, path) > 0);
    return u;
}

static long long
add(struct fx *fx, const char *path, const char *origin)
{
    char *u = url_of(path);
    long long id;
    assert_int_equal(store_feed_add(fx->st, u, origin, &id), CUR_OK);
    free(u);
    return id;
}

/* Poll one feed now; returns the time just before. */
static long long
poll_one(struct fx *fx, long long id)
{
    long long before = (long long)time(NULL);
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ONE, id, before,
                                NULL, NULL, NULL, &fx->stats), CUR_OK);
    assert_int_equal(fx->stats.polled, 1);
    return before;
}

static void
starts_with(const char *s, const char *prefix)
{
    if (s == NULL || strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("expected \"%s\" to start with \"%s\"", s ? s : "(null)",
                 prefix);
}

static void
contains(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* The next poll after a success lies within the schedule's bounds. */
static void
next_poll_scheduled(const struct fx *fx, const struct row *r,
                    long long before)
{
    long long now = (long long)time(NULL);
    assert_true(r->interval >= fx->cfg.sched.min_interval);
    assert_true(r->interval <= fx->cfg.sched.max_interval);
    assert_true(r->next_poll >= before + r->interval * 9 / 10 - 1);
    assert_true(r->next_poll <= now + r->interval * 11 / 10 + 1);
}

/* After the n-th failure in a row, the back-off: min_interval doubled
 * per failure, with +-20 % jitter. */
static void
next_poll_backoff(const struct fx *fx, const struct row *r, long long before,
                  int n)
{
    long long wait = fx->cfg.sched.min_interval;
    long long now = (long long)time(NULL);
    for (int i = 1; i < n; i++)
        wait *= 2;
    assert_true(r->next_poll >= before + wait * 8 / 10 - 1);
    assert_true(r->next_poll <= now + wait * 12 / 10 + 1);
}

static long long
item_count(struct fx *fx)
{
    long long n;
    assert_int_equal(store_item_count(fx->st, &n), CUR_OK);
    return n;
}

/* ---- cases ---- */

static void
test_200_then_304_etag(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/etag.xml", "cli");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(r.items, 3);
    assert_string_equal(r.etag, "\"e1\"");
    assert_string_equal(r.title, "etag feed");
    assert_int_equal(r.failures, 0);
    assert_true(r.last_success >= before);
    next_poll_scheduled(fx, &r, before);
    assert_int_equal(fx->stats.new_items, 3);

    /* The validator goes back; a 304 stores nothing but the poll. */
    before = poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.last_status, 304);
    assert_int_equal(r.items, 3);
    assert_string_equal(r.etag, "\"e1\"");
    assert_int_equal(fx->stats.unchanged, 1);
    assert_int_equal(fx->stats.new_items, 0);
    assert_true(r.last_success >= before);
    next_poll_scheduled(fx, &r, before);
    assert_int_equal(hits("/etag.xml"), 2);
    /* The User-Agent names Curator, its version and its URL. */
    contains(srv.user_agent, "Curator/" CURATOR_VERSION);
    contains(srv.user_agent, FETCH_PROJECT_URL);
}

static void
test_304_last_modified(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/lm.xml", "cli");

    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_string_equal(r.last_modified, LAST_MODIFIED);
    assert_int_equal(r.etag[0], '\0');
    long long before = poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.last_status, 304);
    assert_string_equal(r.last_modified, LAST_MODIFIED);
    assert_int_equal(r.items, 2);
    assert_int_equal(fx->stats.unchanged, 1);
    next_poll_scheduled(fx, &r, before);
}

/* Without validators, the same bytes again are not parsed: unchanged. */
static void
test_same_body_unchanged(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/plain.xml", "cli");

    poll_one(fx, id);
    assert_int_equal(fx->stats.new_items, 2);
    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(fx->stats.unchanged, 1);
    assert_int_equal(fx->stats.new_items, 0);
    assert_int_equal(r.items, 2);
}

static void
test_gzip(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/gzip.xml", "cli");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(r.items, 5);
    contains(srv.accept_encoding, "gzip");
    next_poll_scheduled(fx, &r, before);
}

static void
test_slow_body_times_out(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/slow.xml", "cli");

    time_t t0 = time(NULL);
    long long before = poll_one(fx, id);
    assert_true(time(NULL) - t0 <= 4);      /* timeout = 2 s */
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    assert_true(r.last_failure >= before);
    assert_int_equal(r.last_success, 0);
    contains(r.last_error, "fetch: ");
    contains(r.last_error, "imed out");
    next_poll_backoff(fx, &r, before, 1);
}

static void
test_body_over_limit(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/big.xml", "cli");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    contains(r.last_error, "body larger than 65536 bytes");
    next_poll_backoff(fx, &r, before, 1);
}

/* A body cut short stores nothing of it (PARSE-10, DUR-7). */
static void
test_truncated_body(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/truncated.xml", "cli");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    assert_int_equal(item_count(fx), 0);
    contains(r.last_error, "fetch: ");
    next_poll_backoff(fx, &r, before, 1);
}

static void
test_redirect_loop(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/loop", "cli");
    char *u = url_of("/loop");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    assert_string_equal(r.url, u);
    contains(r.last_error, "more than 5 redirects");
    /* The request and five hops: never more (FETCH-4). */
    assert_int_equal(hits("/loop"), 6);
    next_poll_backoff(fx, &r, before, 1);
    free(u);
}

static void
check_moved(struct fx *fx, const char *from, const char *to, int moved)
{
    long long id = add(fx, from, "cli");
    char *want = url_of(moved ? to : from);

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 2);
    assert_string_equal(r.url, want);
    next_poll_scheduled(fx, &r, before);
    free(want);
}

static void
test_redirects(void **state)
{
    struct fx *fx = *state;
    /* 301 and 308 move the feed once the new URL has answered; 302 (and
     * 307) do not; a 301 then a 302 moves it to where the 301 pointed. */
    check_moved(fx, "/r301", "/target301.xml", 1);
    check_moved(fx, "/r308", "/target308.xml", 1);
    check_moved(fx, "/r302", "/target302.xml", 0);
    check_moved(fx, "/r301-302", "/r302b", 1);

    /* A redirect out of http(s) is refused, even for an admin's feed. */
    long long id = add(fx, "/to-file", "cli");
    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    contains(r.last_error, "not http or https refused");
    assert_int_equal(r.items, 0);
}

static void
test_410_disables(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/gone", "cli");

    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 410);
    assert_true(r.disabled_at >= before);
    contains(r.disabled_reason, "HTTP 410 Gone");
    assert_int_equal(r.failures, 1);
    /* Disabled feeds are left out of every round, due or all... */
    int n = hits("/gone");
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ALL, 0,
                                before + 10 * 86400, NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    assert_int_equal(fx->stats.total, 0);
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_DUE, 0,
                                before + 10 * 86400, NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    assert_int_equal(fx->stats.total, 0);
    assert_int_equal(hits("/gone"), n);
    /* ...but an admin can still poll one by hand. */
    poll_one(fx, id);
    assert_int_equal(hits("/gone"), n + 1);
}

static void
test_429_and_503_retry_after(void **state)
{
    struct fx *fx = *state;
    long long a = add(fx, "/busy429", "cli");
    long long b = add(fx, "/busy503", "cli");

    long long before = poll_one(fx, a);
    long long after = (long long)time(NULL);
    struct row r = feed_row(fx, a);
    assert_int_equal(r.last_status, 429);
    assert_int_equal(r.failures, 1);
    assert_true(r.disabled_at == 0);
    contains(r.last_error, "Retry-After 120s");
    assert_true(r.next_poll >= before + 120 && r.next_poll <= after + 120);

    before = poll_one(fx, b);
    after = (long long)time(NULL);
    r = feed_row(fx, b);
    assert_int_equal(r.last_status, 503);
    assert_int_equal(r.failures, 1);
    /* An HTTP-date 300 s ahead (to the second, so allow one). */
    assert_true(r.next_poll >= before + 298 && r.next_poll <= after + 301);
}

static void
test_500_repeated_then_recovered(void **state)
{
    struct fx *fx = *state;
    long long id = add(fx, "/flaky", "cli");

    pthread_mutex_lock(&srv.mu);
    srv.flaky_left = 3;
    pthread_mutex_unlock(&srv.mu);
    long long prev_next = 0;
    for (int i = 1; i <= 3; i++) {
        long long before = poll_one(fx, id);
        struct row r = feed_row(fx, id);
        assert_int_equal(r.last_status, 500);
        assert_int_equal(r.failures, i);
        assert_string_equal(r.last_error, "HTTP 500");
        assert_int_equal(r.items, 0);
        assert_true(r.disabled_at == 0);    /* never abandoned */
        next_poll_backoff(fx, &r, before, i);
        assert_true(r.next_poll > prev_next);
        prev_next = r.next_poll;
    }
    long long before = poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(r.failures, 0);
    assert_string_equal(r.last_error, "");
    assert_int_equal(r.items, 4);
    assert_true(r.last_failure > 0 && r.last_failure <= before);
    next_poll_scheduled(fx, &r, before);
}

static void
test_wrong_content_type(void **state)
{
    struct fx *fx = *state;
    /* Served as text/plain: read by its content all the same. */
    long long id = add(fx, "/plain.xml", "cli");
    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(r.items, 2);

    /* An HTML page polled as a feed fails, and says why. */
    id = add(fx, "/page.html", "cli");
    long long before = poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    contains(r.last_error, "parse: ");
    next_poll_backoff(fx, &r, before, 1);
}

/* FETCH-3: a feed added through the web may not reach loopback, in any
 * spelling; the server never sees the request. The same URL added by an
 * admin is fine. */
static void
test_private_address_refused(void **state)
{
    struct fx *fx = *state;
    static const char *const hosts[] = {
        "127.0.0.1", "localhost", "2130706433", "0x7f000001", "0177.0.0.1",
        "127.1", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0",
    };
    char url[256];

    int before_hits = hits("/feed.xml");
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        long long id;
        snprintf(url, sizeof url, "http://%s:%u/feed.xml", hosts[i],
                 srv.port);
        if (store_feed_add(fx->st, url, "web", &id) != CUR_OK)
            fail_msg("cannot add %s", url);
        long long before = poll_one(fx, id);
        struct row r = feed_row(fx, id);
        if (r.failures != 1)
            fail_msg("%s was not refused: %s", url, r.last_error);
        assert_int_equal(r.items, 0);
        assert_int_equal(r.last_status, 0);
        contains(r.last_error, "fetch: refused: ");
        contains(r.last_error, " is a loopback, private or reserved "
                 "address");
        next_poll_backoff(fx, &r, before, 1);
    }
    assert_int_equal(hits("/feed.xml"), before_hits);

    /* A web feed may not read files either. */
    long long id;
    assert_int_equal(store_feed_add(fx->st, "file:///etc/passwd", "web",
                                    &id), CUR_OK);
    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.failures, 1);
    contains(r.last_error, "only http and https");

    id = add(fx, "/feed.xml?admin", "cli");
    poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
    assert_int_equal(hits("/feed.xml"), before_hits + 1);

    /* A kept-alive connection an admin's feed opened is checked again
     * before a web feed's request goes out on it: one connection to the
     * host, the admin's feed first. */
    long long admin = add(fx, "/etag.xml", "cli");
    char *lm = url_of("/lm.xml");
    long long web;
    assert_int_equal(store_feed_add(fx->st, lm, "web", &web), CUR_OK);
    free(lm);
    int lm_hits = hits("/lm.xml");
    fx->cfg.per_host = 1;
    fx->cfg.connections = 1;
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ALL, 0,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    assert_int_equal(feed_row(fx, admin).last_status, 200);
    r = feed_row(fx, web);
    contains(r.last_error, "fetch: refused: 127.0.0.1 is a loopback");
    assert_int_equal(hits("/lm.xml"), lm_hits);

    /* With the refusal turned off ([poll] refuse_private = false), a web
     * feed may be local too. */
    fx->cfg.refuse_private = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/feed.xml?web", srv.port);
    assert_int_equal(store_feed_add(fx->st, url, "web", &id), CUR_OK);
    poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.last_status, 200);
}

static void
test_publisher_hints(void **state)
{
    struct fx *fx = *state;

    /* ttl 180 minutes: no sooner than that. */
    long long id = add(fx, "/ttl.xml", "cli");
    poll_one(fx, id);
    struct row r = feed_row(fx, id);
    assert_int_equal(r.ttl, 180 * 60);
    assert_true(r.interval >= 180 * 60);

    /* sy:updatePeriod daily, twice a day: 12 h at least. */
    id = add(fx, "/sy.xml", "cli");
    poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.update_period, 43200);
    assert_true(r.interval >= 43200);

    /* Cache-Control max-age 2 h. */
    id = add(fx, "/maxage.xml", "cli");
    poll_one(fx, id);
    r = feed_row(fx, id);
    assert_true(r.interval >= 7200);

    /* skipHours: only 13:00 UTC is allowed. */
    id = add(fx, "/skip.xml", "cli");
    poll_one(fx, id);
    r = feed_row(fx, id);
    assert_int_equal(r.skip_hours, 0xffffffu & ~(1u << 13));
    time_t t = (time_t)r.next_poll;
    struct tm tm;
    gmtime_r(&t, &tm);
    assert_int_equal(tm.tm_hour, 13);
}

/* Many feeds on one host: never more than per_host at once, and all of
 * them polled in one round. */
static void
test_per_host_limit(void **state)
{
    struct fx *fx = *state;
    char path[64];

    for (int i = 0; i < 16; i++) {
        snprintf(path, sizeof path, "/slow-%d.xml", i);
        add(fx, path, "cli");
    }
    pthread_mutex_lock(&srv.mu);
    srv.max_inflight = 0;
    pthread_mutex_unlock(&srv.mu);
    fx->cfg.per_host = 3;
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_DUE, 0,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    assert_int_equal(fx->stats.total, 16);
    assert_int_equal(fx->stats.polled, 16);
    assert_int_equal(fx->stats.failed, 0);
    assert_int_equal(fx->stats.new_items, 16);
    assert_true(srv.max_inflight >= 2);
    assert_true(srv.max_inflight <= 3);
    /* And nothing is due any more. */
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_DUE, 0,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    assert_int_equal(fx->stats.total, 0);
}

/* ---- the command line ---- */

/* Run build/curator -c CONFIG ARGS...; output in *out and *err. */
static int
curator(const char *config, char **out, char **err, ...)
{
    char bin[4096];
    char *argv[16];
    int n = 0;
    va_list ap;
    const char *a;

    snprintf(bin, sizeof bin, "%s/curator", t_build_dir());
    argv[n++] = bin;
    argv[n++] = (char *)"-c";
    argv[n++] = (char *)config;
    va_start(ap, err);
    while ((a = va_arg(ap, const char *)) != NULL && n < 15)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    return t_run(argv, out, err);
}

#define CURATOR(cfg, out, err, ...) \
    curator((cfg), (out), (err), __VA_ARGS__, (const char *)NULL)

static char *
write_config(struct fx *fx)
{
    return t_write_file(fx->dir, "curator.ini",
                        "[store]\npath = curator.db\n"
                        "[poll]\ntimeout = 5s\nmin_interval = 10m\n");
}

static void
test_cli_poll_and_show(void **state)
{
    struct fx *fx = *state;
    char *config = write_config(fx), *out, *err;

    add(fx, "/etag.xml", "cli");
    add(fx, "/lm.xml", "cli");
    add(fx, "/gone", "cli");
    assert_int_equal(CURATOR(config, &out, &err, "poll"), 0);
    /* Not a terminal: no progress line, only the summary. */
    assert_string_equal(err, "");
    starts_with(out, "polled 3 feeds: 5 new items, 0 "
                             "unchanged (304), 1 errors in ");
    assert_int_equal(out[strlen(out) - 1], '\n');
    contains(out, " s\n");
    free(out);
    free(err);
    /* Nothing is due now. */
    assert_int_equal(CURATOR(config, &out, &err, "poll"), 0);
    starts_with(out, "polled 0 feeds: 0 new items, 0 "
                             "unchanged (304), 0 errors in ");
    free(out);
    free(err);
    /* --all: the two healthy ones again, both 304; the 410 stays out. */
    assert_int_equal(CURATOR(config, &out, &err, "poll", "--all"), 0);
    starts_with(out, "polled 2 feeds: 0 new items, 2 "
                             "unchanged (304), 0 errors in ");
    free(out);
    free(err);

    assert_int_equal(CURATOR(config, &out, &err, "feed", "list"), 0);
    contains(out, "NEXT POLL");
    contains(out, "disabled");
    contains(out, "disabled: HTTP 410 Gone");
    free(out);
    free(err);
    assert_int_equal(CURATOR(config, &out, &err, "feed", "show", "1"), 0);
    contains(out, "feed 1: http://127.0.0.1:");
    contains(out, "  title             etag feed\n");
    contains(out, "  last status       304\n");
    contains(out, "  failures in a row 0\n");
    contains(out, "  etag              \"e1\"\n");
    contains(out, "  next poll         ");
    free(out);
    free(err);
    assert_int_equal(CURATOR(config, &out, &err, "feed", "show", "3"), 0);
    contains(out, "  disabled          ");
    contains(out, "  reason            HTTP 410 Gone");
    free(out);
    free(err);
    assert_int_equal(CURATOR(config, &out, &err, "poll", "--feed", "9"), 1);
    contains(err, "no feed with ID 9");
    free(out);
    free(err);
    assert_int_equal(CURATOR(config, &out, &err, "poll", "--bogus"), 2);
    free(out);
    free(err);
    free(config);
}

static void
test_cli_discovery(void **state)
{
    struct fx *fx = *state;
    char *config = write_config(fx), *out, *err;
    char *page = url_of("/page.html"), *rss_url = url_of("/feed.xml");
    char *atom_url = url_of("/target-atom.xml");
    char want[1024];

    /* --list: every feed the page advertises, in order, nothing added. */
    assert_int_equal(CURATOR(config, &out, &err, "feed", "add", "--list",
                             page), 0);
    snprintf(want, sizeof want, "%s\tapplication/rss+xml\tRSS\n%s\t"
             "application/atom+xml\tAtom\n", rss_url, atom_url);
    assert_string_equal(out, want);
    free(out);
    free(err);
    /* Without --list: the first is added. */
    assert_int_equal(CURATOR(config, &out, &err, "feed", "add", page), 0);
    snprintf(want, sizeof want, "feed 1 added: %s (advertised by %s; "
             "polled by curatord at its next tick)\n", rss_url, page);
    assert_string_equal(out, want);
    free(out);
    free(err);
    struct row r = feed_row(fx, 1);
    assert_string_equal(r.url, rss_url);
    assert_string_equal(r.title, "RSS");
    /* A page that advertises none: the site's usual paths. */
    char *nofeed = url_of("/nofeed.html");
    assert_int_equal(CURATOR(config, &out, &err, "feed", "add", "--list",
                             nofeed), 0);
    snprintf(want, sizeof want, "%s\t-\tplain feed\n", rss_url);
    assert_string_equal(out, want);
    free(out);
    free(err);
    /* A feed URL is added as it is. */
    char *etag = url_of("/etag.xml");
    assert_int_equal(CURATOR(config, &out, &err, "feed", "add", etag), 0);
    snprintf(want, sizeof want, "feed 2 added: %s (polled by curatord at "
             "its next tick)\n", etag);
    assert_string_equal(out, want);
    free(out);
    free(err);
    /* A URL that answers 404 is refused, with the way round it. */
    char *missing = url_of("/missing.xml");
    assert_int_equal(CURATOR(config, &out, &err, "feed", "add", missing), 1);
    contains(err, "HTTP status 404");
    contains(err, "--as-is");
    free(out);
    free(err);
    free(missing);
    free(etag);
    free(nofeed);
    free(page);
    free(rss_url);
    free(atom_url);
    free(config);
}

static void
test_cli_opml(void **state)
{
    struct fx *fx = *state;
    char *config = write_config(fx), *out, *err;
    char *path = t_write_file(fx->dir, "subs.opml",
        "<?xml version=\"1.0\"?>\n<opml version=\"1.0\"><head><title>Mine"
        "</title></head><body>\n"
        "<outline text=\"Tech\">\n"
        "  <outline text=\"Linux\">\n"
        "    <outline type=\"rss\" text=\"LWN\" xmlUrl=\"https://lwn.net/"
        "headlines/rss\" htmlUrl=\"https://lwn.net/\"/>\n"
        "  </outline>\n"
        "  <outline type=\"rss\" text=\"A &amp; B\" xmlurl=\"https://ab."
        "example.org/feed?a=1&amp;b=2\"/>\n"
        "</outline>\n"
        "<outline type=\"rss\" title=\"Top\" xmlUrl=\"https://top.example."
        "org/rss\"/>\n"
        "<outline type=\"rss\" text=\"again\" xmlUrl=\"https://lwn.net/"
        "headlines/rss\"/>\n"
        "<outline type=\"rss\" text=\"local\" xmlUrl=\"file:///etc/"
        "passwd\"/>\n"
        "</body></opml>\n");

    assert_int_equal(CURATOR(config, &out, &err, "opml", "import", path), 0);
    char want[1024];
    snprintf(want, sizeof want, "imported 5 feeds from %s: 3 added in 2 "
             "categories, 1 already there, 1 refused (not http or https)\n",
             path);
    assert_string_equal(out, want);
    free(out);
    free(err);
    struct row r = feed_row(fx, 1);
    assert_string_equal(r.url, "https://lwn.net/headlines/rss");
    assert_string_equal(r.title, "LWN");
    r = feed_row(fx, 2);
    assert_string_equal(r.url, "https://ab.example.org/feed?a=1&b=2");

    /* Broken: line and column, and nothing stored. */
    char *bad = t_write_file(fx->dir, "bad.opml",
        "<opml version=\"2.0\"><body>\n"
        "<outline xmlUrl=\"https://new.example.org/1\"/>\n"
        "<outline xmlUrl=\"https://new.example.org/2\">\n"
        "</body></opml>\n");
    assert_int_equal(CURATOR(config, &out, &err, "opml", "import", bad), 1);
    snprintf(want, sizeof want, "curator: %s:4:", bad);
    contains(err, want);
    contains(err, "nothing was imported");
    free(out);
    free(err);
    long long n = -1;
    assert_int_equal(store_feed_find(fx->st, "https://new.example.org/1",
                                     &n), CUR_ENOTFOUND);

    /* Export, then import into a fresh database: the same feeds. */
    assert_int_equal(CURATOR(config, &out, &err, "opml", "export"), 0);
    contains(out, "<opml version=\"2.0\">");
    contains(out, "<outline text=\"Tech\">");
    contains(out, "<outline text=\"Linux\">");
    contains(out, "xmlUrl=\"https://ab.example.org/feed?a=1&amp;b=2\"");
    struct opml_doc doc;
    char perr[256];
    assert_int_equal(opml_parse(out, strlen(out), &doc, perr, sizeof perr),
                     CUR_OK);
    assert_int_equal(doc.n, 3);
    int found = 0;
    for (size_t i = 0; i < doc.n; i++)
        if (strcmp(doc.v[i].url, "https://lwn.net/headlines/rss") == 0) {
            assert_string_equal(doc.v[i].category, "Tech/Linux");
            assert_string_equal(doc.v[i].site_url, "https://lwn.net/");
            found = 1;
        }
    assert_true(found);
    opml_doc_free(&doc);
    free(out);
    free(err);
    free(bad);
    free(path);
    free(config);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_200_then_304_etag),
        T(test_304_last_modified),
        T(test_same_body_unchanged),
        T(test_gzip),
        T(test_slow_body_times_out),
        T(test_body_over_limit),
        T(test_truncated_body),
        T(test_redirect_loop),
        T(test_redirects),
        T(test_410_disables),
        T(test_429_and_503_retry_after),
        T(test_500_repeated_then_recovered),
        T(test_wrong_content_type),
        T(test_private_address_refused),
        T(test_publisher_hints),
        T(test_per_host_limit),
        T(test_cli_poll_and_show),
        T(test_cli_discovery),
        T(test_cli_opml),
#undef T
    };
    fetch_global_init();
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: poller", tests,
                                         srv_start, srv_stop);
    fetch_global_cleanup();
    return rc;
}
