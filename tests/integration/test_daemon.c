/* Integration: the real curatord against a fixture HTTP server on
 * 127.0.0.1. It must poll the feed, store the items, write a digest to
 * the spool, serve the page, reopen its log on SIGHUP and exit 0 on
 * SIGTERM. A second test runs the shipped demo config (copied, with a
 * free port) and checks the 30-second promise of `make run`. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "support.h"

struct env {
    char *dir;
    char *config;
    char *spool;
    char *db;
    char *log;
    unsigned web_port;
    pid_t pid;
};

static int
spool_has_digest(void *arg)
{
    const char *spool = arg;
    DIR *d = opendir(spool);
    struct dirent *e;
    int found = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && strstr(e->d_name, ".eml"))
            found = 1;
    closedir(d);
    return found;
}

/* The text of the first digest in the spool (free()). */
static char *
read_digest(const char *spool)
{
    DIR *d = opendir(spool);
    struct dirent *e;
    char *text = NULL;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".eml"))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", spool, e->d_name);
        text = t_read_file(path, NULL);
        break;
    }
    if (d)
        closedir(d);
    return text;
}

struct count_ctx {
    const char *db;
    long long want;
};

static int
store_has_items(void *arg)
{
    struct count_ctx *c = arg;
    struct store *st;
    long long n = 0;
    if (access(c->db, F_OK) != 0 || store_open(c->db, &st) != CUR_OK)
        return 0;
    store_item_count(st, &n);
    store_close(st);
    return n >= c->want;
}

static size_t
collect(char *data, size_t size, size_t n, void *user)
{
    return buf_append(user, data, size * n) == CUR_OK ? size * n : 0;
}

/* GET http://127.0.0.1:port/path; body and headers into the buffers. */
static long
http_get(unsigned port, const char *path, struct buf *body, struct buf *hdr)
{
    char url[256];
    long status = 0;
    CURL *c = curl_easy_init();
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hdr);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

static int
file_contains(void *arg)
{
    const char **what = arg;
    char *text = t_read_file(what[0], NULL);
    int found = text && strstr(text, what[1]) != NULL;
    free(text);
    return found;
}

struct req_ctx {
    struct t_http *http;
    unsigned want;
};

static int
http_reached(void *arg)
{
    struct req_ctx *c = arg;
    return t_http_requests(c->http) >= c->want;
}

static void
test_daemon_end_to_end(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), *www, *spool, *cfg_text, *logpath, *db;
    assert_non_null(dir);
    assert_true(asprintf(&www, "%s/www", dir) > 0);
    assert_true(asprintf(&spool, "%s/spool", dir) > 0);
    assert_true(asprintf(&logpath, "%s/curatord.log", dir) > 0);
    assert_true(asprintf(&db, "%s/curator.db", dir) > 0);
    assert_int_equal(mkdir(www, 0700), 0);
    assert_int_equal(mkdir(spool, 0700), 0);

    char *fixture = t_read_file("tests/fixtures/rss2-basic.xml", NULL);
    assert_non_null(fixture);
    free(t_write_file(www, "feed.xml", fixture));
    free(fixture);

    struct t_http *http = t_http_start(www);
    assert_non_null(http);
    unsigned web_port = t_free_port();
    assert_true(web_port > 0);
    assert_true(asprintf(&cfg_text,
        "[store]\npath = curator.db\n"
        "[log]\nfile = curatord.log\nlevel = debug\n"
        "[web]\naddress = 127.0.0.1\nport = %u\nthreads = 2\n"
        "base_url = https://curator.example.org/\n"
        "[poll]\ninterval = 1h\ntick = 1s\ntimeout = 10s\n"
        "refresh_gap = 2s\n"
        "[digest]\ninterval = 1d\nspool = spool\nmax_items = 10\n"
        "[score]\nfilter_dir = %s/filters\n"
        "[filter keyword]\n[filter mute]\n[filter recency]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = fixture:2, last\n"
        "[feeds]\nfixture = http://127.0.0.1:%u/feed.xml\n",
        web_port, t_build_abs(), t_http_port(http)) > 0);
    char *config = t_write_file(dir, "curator.ini", cfg_text);
    free(cfg_text);

    pid_t pid = t_daemon_spawn(config, NULL, NULL);
    assert_true(pid > 0);

    /* Polled, stored, digested: within 20 s. */
    struct count_ctx cc = { db, 3 };
    assert_true(t_wait_for(store_has_items, &cc, 20000));
    assert_true(t_wait_for(spool_has_digest, spool, 20000));
    assert_true(t_http_requests(http) >= 1);

    /* FETCH-9: two quick "refresh now" make one request, and one right
     * after that poll is put off until [poll] refresh_gap has passed. */
    sleep(3);
    unsigned before = t_http_requests(http);
    char cli[4096];
    snprintf(cli, sizeof cli, "%s/curator", t_build_dir());
    char *refresh[] = { cli, "-c", config, "feed", "refresh", "1", NULL };
    char *out = NULL, *err = NULL;
    assert_int_equal(t_run(refresh, &out, &err), 0);
    assert_non_null(strstr(out, "feed 1: due now"));
    free(out);
    free(err);
    assert_int_equal(t_run(refresh, &out, &err), 0);
    assert_non_null(strstr(out, "feed 1: already due"));
    free(out);
    free(err);
    struct req_ctx rc = { http, before + 1 };
    assert_true(t_wait_for(http_reached, &rc, 10000));
    assert_int_equal(t_run(refresh, &out, &err), 0);
    /* (Already due until the poll's outcome is stored.) */
    assert_true(strstr(out, "polled less than 2s ago")
                || strstr(out, "already due"));
    free(out);
    free(err);
    sleep(2);
    assert_int_equal(t_http_requests(http), before + 1);

    char *digest = read_digest(spool);
    assert_non_null(digest);
    assert_non_null(strstr(digest, "To: alice <alice@example.org>"));
    assert_non_null(strstr(digest, "Subject: Curator digest"));
    assert_non_null(strstr(digest, "Message-ID: <digest."));
    assert_non_null(strstr(digest, "List-Unsubscribe-Post: "
                                   "List-Unsubscribe=One-Click"));
    assert_non_null(strstr(digest, "First fixture item"));
    assert_non_null(strstr(digest, "https://fixture.example.org/1"));
    free(digest);

    /* The page lists the items, escaped, with the security headers. */
    struct buf body, hdr;
    buf_init(&body, 0);
    buf_init(&hdr, 0);
    assert_int_equal(http_get(web_port, "/", &body, &hdr), 200);
    assert_non_null(strstr(body.data, "First fixture item"));
    assert_non_null(strstr(body.data, "Third &amp; last item"));
    assert_non_null(strstr(body.data, "Fixture RSS"));
    assert_non_null(strstr(hdr.data, "Content-Security-Policy: "
                           "default-src 'none'"));
    assert_non_null(strstr(hdr.data, "X-Content-Type-Options: nosniff"));
    assert_non_null(strstr(hdr.data, "frame-ancestors 'none'"));
    buf_free(&body);
    buf_free(&hdr);
    buf_init(&body, 0);
    buf_init(&hdr, 0);
    assert_int_equal(http_get(web_port, "/nope", &body, &hdr), 404);
    assert_int_equal(http_get(web_port, "/healthz", &body, &hdr), 200);
    buf_free(&body);
    buf_free(&hdr);

    /* SIGHUP reopens the log: after a rename, a new file appears. */
    char *rotated;
    assert_true(asprintf(&rotated, "%s.1", logpath) > 0);
    assert_int_equal(rename(logpath, rotated), 0);
    assert_int_equal(kill(pid, SIGHUP), 0);
    const char *want_reopen[] = { logpath, "log reopened" };
    assert_true(t_wait_for(file_contains, want_reopen, 10000));

    /* SIGTERM: a clean exit with status 0. */
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_int_equal(t_daemon_wait(pid, 15000), 0);
    const char *want_stop[] = { logpath, "curatord stopped" };
    assert_true(file_contains(want_stop));
    const char *want_poll[] = { rotated, "poll ok feed=1" };
    assert_true(file_contains(want_poll));

    t_http_stop(http);
    t_rmtree(dir);
    free(rotated);
    free(config);
    free(db);
    free(logpath);
    free(spool);
    free(www);
    free(dir);
}

/* Copy the shipped config folder, move the web port to a free one, and
 * check what `make run` promises: items on the page and a digest in the
 * spool within 30 seconds. */
static void
test_demo_config_within_30s(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), cmd[8192], *spool, *db, *config;
    unsigned port = t_free_port();
    assert_non_null(dir);
    snprintf(cmd, sizeof cmd,
             "cp -R config '%s/config' && mkdir -p '%s/var/spool' && "
             "sed -i 's/^port = .*/port = %u/; s|^filter_dir = .*|"
             "filter_dir = %s/filters|' '%s/config/curator.ini'",
             dir, dir, port, t_build_abs(), dir);
    assert_int_equal(system(cmd), 0);
    assert_true(asprintf(&spool, "%s/var/spool", dir) > 0);
    assert_true(asprintf(&db, "%s/var/curator.db", dir) > 0);
    assert_true(asprintf(&config, "%s/config/curator.ini", dir) > 0);

    char *errlog;
    assert_true(asprintf(&errlog, "%s/stderr.log", dir) > 0);
    time_t start = time(NULL);
    pid_t pid = t_daemon_spawn(config, NULL, errlog);
    assert_true(pid > 0);
    struct count_ctx cc = { db, 30 };
    assert_true(t_wait_for(store_has_items, &cc, 30000));
    assert_true(t_wait_for(spool_has_digest, spool, 30000));
    assert_true(time(NULL) - start <= 30);

    struct buf body, hdr;
    buf_init(&body, 0);
    buf_init(&hdr, 0);
    assert_int_equal(http_get(port, "/", &body, &hdr), 200);
    assert_non_null(strstr(body.data, "<ol class=\"items\">"));
    assert_null(strstr(body.data, "No items yet"));
    buf_free(&body);
    buf_free(&hdr);

    /* /metrics: Prometheus text with what this run did. */
    buf_init(&body, 0);
    buf_init(&hdr, 0);
    assert_int_equal(http_get(port, "/metrics", &body, &hdr), 200);
    assert_non_null(strstr(hdr.data, "text/plain; version=0.0.4"));
    assert_non_null(strstr(body.data, "curator_feeds{state=\"ok\"} 6\n"));
    assert_non_null(strstr(body.data, "curator_items_new_total 37\n"));
    assert_non_null(strstr(body.data, "curator_digests_total{result=\"sent\"} 1\n"));
    assert_non_null(strstr(body.data, "curator_http_requests_total{route="
                                      "\"root\",status=\"200\"} 1\n"));
    buf_free(&body);
    buf_free(&hdr);

    char *digest = read_digest(spool);
    assert_non_null(digest);
    assert_non_null(strstr(digest, "To: demo <demo@localhost.localdomain>"));
    assert_non_null(strstr(digest, "Subject: Curator digest"));
    free(digest);

    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(t_daemon_wait(pid, 15000), 0);
    const char *want_stop[] = { errlog, "curatord stopped" };
    assert_true(file_contains(want_stop));
    free(errlog);
    t_rmtree(dir);
    free(spool);
    free(db);
    free(config);
    free(dir);
}

static void
test_check_config(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), *out = NULL, *err = NULL, path[4096];
    snprintf(path, sizeof path, "%s/curatord", t_build_dir());

    char *good = t_write_file(dir, "good.ini", "[web]\nport = 9000\n");
    char *argv1[] = { path, "--check-config", "-c", good, NULL };
    assert_int_equal(t_run(argv1, &out, &err), 0);
    assert_non_null(strstr(out, "ok"));
    free(out);
    free(err);

    char *bad = t_write_file(dir, "curator.ini",
                             "[web]\n; comment\nport = eighty\n");
    char *argv2[] = { path, "--check-config", "-c", bad, NULL };
    assert_int_equal(t_run(argv2, &out, &err), 1);
    char want[4200];
    snprintf(want, sizeof want, "%s:3: [web] port: 'eighty' is not a whole "
             "number\n", bad);
    assert_string_equal(err, want);
    free(out);
    free(err);

    /* The shipped config is valid where `make run` runs it: with var/
     * and var/spool beside config/; without them, the missing folder is
     * named. */
    char cmd[8192], shipped[4200];
    snprintf(cmd, sizeof cmd, "cp -R config '%s/config'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(shipped, sizeof shipped, "%s/config/curator.ini", dir);
    char *argv3[] = { path, "--check-config", "-c", shipped, NULL };
    assert_int_equal(t_run(argv3, &out, &err), 1);
    assert_non_null(strstr(err, "curator.ini:7: [store] path: directory"));
    assert_non_null(strstr(err, "/var' does not exist"));
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/var/spool'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(t_run(argv3, &out, &err), 0);
    free(out);
    free(err);

    char *argv4[] = { path, "--bogus", NULL };
    assert_int_equal(t_run(argv4, &out, &err), 2);
    assert_non_null(strstr(err, "usage: curatord"));
    free(out);
    free(err);

    t_rmtree(dir);
    free(good);
    free(bad);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_config),
        cmocka_unit_test(test_daemon_end_to_end),
        cmocka_unit_test(test_demo_config_within_30s),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    int rc = cmocka_run_group_tests_name("integration: curatord", tests,
                                         NULL, NULL);
    curl_global_cleanup();
    return rc;
}
