/* Integration: curatord's signals, on the real binary. SIGTERM ends it
 * within 5 seconds whatever it is doing (a fetch from a server that never
 * answers, a resolver that hangs, a filter that takes seconds per item, an
 * SMTP server that never greets), exits 0 and leaves the work it did not
 * finish due, never half done. SIGHUP reloads the config without dropping
 * web connections: new filters, feeds and limits apply; a file that does
 * not parse, or names a filter that does not load, is refused with
 * FILE:LINE (or the filter's file) and the old config keeps running; a
 * changed web port is reported as needing a restart; the log is still
 * reopened. Servers are local: a black hole on 127.0.0.1 that accepts
 * and never answers, the fixture HTTP server, and tests/shim/faultshim.so
 * (LD_PRELOAD) for a hanging resolver. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "support.h"

/* ---- running the daemon ---- */

/* Kill and reap after a failed assertion would leave it running. */
static void
reap(pid_t pid)
{
    if (pid > 0 && waitpid(pid, NULL, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* GET on an existing handle (kept alive between calls). */
static long
get_on(CURL *c, unsigned port, const char *path, long *new_conns)
{
    char url[256];
    long status = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (new_conns)
        curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, new_conns);
    return status;
}

static long
http_get(unsigned port, const char *path)
{
    CURL *c = curl_easy_init();
    long status = get_on(c, port, path, NULL);
    curl_easy_cleanup(c);
    return status;
}

/* A small RSS feed: 'n' items "PREFIX item K" with guids PREFIX-K. */
static char *
rss(const char *prefix, int n)
{
    struct { char *s; size_t len; } b = { NULL, 0 };
    FILE *f = open_memstream(&b.s, &b.len);
    fprintf(f, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
               "<title>%s</title><link>https://example.org/%s</link>\n",
            prefix, prefix);
    for (int i = 1; i <= n; i++)
        fprintf(f, "<item><title>%s item %d</title><link>https://example"
                   ".org/%s/%d</link><guid isPermaLink=\"false\">%s-%d"
                   "</guid><description>Text of %s item %d.</description>"
                   "</item>\n", prefix, i, prefix, i, prefix, i, prefix, i);
    fprintf(f, "</channel></rss>\n");
    fclose(f);
    return b.s;
}

/* ---- a test folder ---- */

struct env {
    char *dir, *config, *log, *db, *errlog, *www;
    unsigned web_port;
    pid_t pid;
};

static void
env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->dir = t_mkdtemp();
    assert_non_null(e->dir);
    assert_true(asprintf(&e->log, "%s/curatord.log", e->dir) > 0);
    assert_true(asprintf(&e->db, "%s/curator.db", e->dir) > 0);
    assert_true(asprintf(&e->errlog, "%s/stderr.log", e->dir) > 0);
    assert_true(asprintf(&e->www, "%s/www", e->dir) > 0);
    assert_int_equal(mkdir(e->www, 0700), 0);
    char *spool;
    assert_true(asprintf(&spool, "%s/spool", e->dir) > 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    free(spool);
    e->web_port = t_free_port();
    assert_true(e->web_port > 0);
}

/* Write curator.ini: the common sections, then 'extra' (filters, mail,
 * feeds). */
static void
env_config(struct env *e, const char *poll, const char *extra)
{
    char *text;
    assert_true(asprintf(&text,
        "[store]\npath = curator.db\n"
        "[log]\nfile = curatord.log\nlevel = debug\n"
        "[web]\naddress = 127.0.0.1\nport = %u\nthreads = 2\n"
        "base_url = https://curator.example.org/\n"
        "[poll]\ninterval = 1h\ntick = 1s\nspread = 0\n%s"
        "[digest]\nspool = spool\n"
        "[score]\nfilter_dir = %s/filters\n"
        "%s",
        e->web_port, poll ? poll : "", t_build_abs(), extra) > 0);
    free(e->config);
    e->config = t_write_file(e->dir, "curator.ini", text);
    free(text);
}

static void
env_free(struct env *e)
{
    reap(e->pid);
    t_rmtree(e->dir);
    free(e->dir);
    free(e->config);
    free(e->log);
    free(e->db);
    free(e->errlog);
    free(e->www);
}

/* SIGTERM: the exit status, with the time it took in *ms. */
static int
term(struct env *e, int sig, long long *ms)
{
    long long t0 = t_now_ms();
    assert_int_equal(kill(e->pid, sig), 0);
    int st = t_daemon_wait(e->pid, 10000);
    *ms = t_now_ms() - t0;
    if (st >= 0)
        e->pid = 0;
    return st;
}

/* ---- the tests ---- */

/* A feed server that accepts and never answers: the poll round drops the
 * transfer at once on SIGTERM, the feed stays due. */
static void
test_term_during_fetch(void **state)
{
    (void)state;
    struct env e;
    struct t_hole *h = t_hole_start();
    char *extra;
    long long ms;
    assert_non_null(h);
    env_init(&e);
    assert_true(asprintf(&extra, "[feeds]\nstall = http://127.0.0.1:%u/feed"
                         ".xml\n", t_hole_port(h)) > 0);
    env_config(&e, "timeout = 60s\n", extra);
    free(extra);
    e.pid = t_daemon_spawn(e.config, NULL, e.errlog);
    assert_true(t_wait_for(t_hole_accepted, h, 10000));
    t_sleep_ms(300);
    assert_int_equal(term(&e, SIGTERM, &ms), 0);
    /* Prompt: the loop noticed, no watchdog was needed. */
    assert_true(ms < 2000);
    assert_int_equal(t_log_count(e.log, "curatord stopped"), 1);
    assert_int_equal(t_log_count(e.log, "stopping now"), 0);
    /* Nothing recorded for the feed: it is still due. */
    assert_int_equal(t_db_ll(e.db, "SELECT last_poll FROM feeds"), 0);
    assert_int_equal(t_db_ll(e.db, "SELECT failures FROM feeds"), 0);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 0);
    t_hole_stop(h);
    env_free(&e);
}

/* A resolver that hangs for 20 s (the shim delays getaddrinfo): the
 * daemon still ends within 5 s. */
static void
test_term_during_dns(void **state)
{
    (void)state;
    struct env e;
    char shim[4200], preload[4300];
    long long ms;
    env_init(&e);
    snprintf(shim, sizeof shim, "%s/tests/shim/faultshim.so", t_build_abs());
    assert_int_equal(access(shim, R_OK), 0);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
    const char *env[] = { preload, "ASAN_OPTIONS=verify_asan_link_order=0",
                          "CURATOR_SHIM_DNS_DELAY=hang.invalid=20000",
                          "CURATOR_SHIM_DNS_INVALID=1", NULL };
    env_config(&e, "timeout = 60s\n",
               "[feeds]\nhang = http://hang.invalid/feed.xml\n");
    e.pid = t_daemon_spawn(e.config, env, e.errlog);
    assert_true(t_log_wait(e.log, "curatord running", 1, 10000));
    t_sleep_ms(500);
    assert_int_equal(term(&e, SIGTERM, &ms), 0);
    assert_true(ms < 5000);
    assert_int_equal(t_db_ll(e.db, "SELECT last_poll FROM feeds"), 0);
    env_free(&e);
}

/* A filter that sleeps 1.5 s per item: the first SIGTERM is honoured by
 * the watchdog within its grace; a second one ends the daemon at once;
 * the items abandoned are scored after a restart with a fast filter. */
static void
test_term_during_slow_filter(void **state)
{
    (void)state;
    struct env e;
    char *extra, *feed;
    long long ms;
    struct t_http *http;
    env_init(&e);
    feed = rss("slowfeed", 4);
    free(t_write_file(e.www, "feed.xml", feed));
    free(feed);
    http = t_http_start(e.www);
    assert_non_null(http);
    for (int round = 0; round < 3; round++) {
        assert_true(asprintf(&extra,
            "[filter slow]\npath = %s/tests/plugins/slow.so\n"
            "delay_ms = %d\n"
            "[demo]\nuser = alice\nemail = alice@example.org\n"
            "[feeds]\nf = http://127.0.0.1:%u/feed.xml\n",
            t_build_abs(), round < 2 ? 1500 : 5, t_http_port(http)) > 0);
        env_config(&e, NULL, extra);
        free(extra);
        e.pid = t_daemon_spawn(e.config, NULL, e.errlog);
        if (round == 2)
            break;
        /* Scoring has begun once the items are stored (on the second
         * start, the feed is not due: scoring comes at once). */
        assert_true(t_log_wait(e.log, round == 0 ? "poll round feeds=1"
                                               : "curatord running",
                             round + 1, 10000));
        t_sleep_ms(500);
        if (round == 0) {
            assert_int_equal(term(&e, SIGTERM, &ms), 0);
            assert_true(ms < 5000);
            assert_true(ms >= 3000);    /* the grace was given */
            assert_int_equal(t_log_count(e.log, "did not end within"), 1);
        } else {
            assert_int_equal(kill(e.pid, SIGTERM), 0);
            t_sleep_ms(300);
            assert_int_equal(term(&e, SIGINT, &ms), 0);
            assert_true(ms < 1000);
            assert_int_equal(t_log_count(e.log, "second stop signal"), 1);
        }
        /* Abandoned: nothing half-scored. */
        assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores"), 0);
        assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 4);
    }
    struct t_db_wait w = { e.db, "SELECT count(*) FROM scores", 4 };
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    assert_int_equal(term(&e, SIGTERM, &ms), 0);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores"), 4);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 4);
    t_http_stop(http);
    env_free(&e);
}

/* An SMTP server that accepts and never greets: the delivery in flight is
 * abandoned within 5 s and the message stays queued, never lost. */
static void
test_term_during_smtp(void **state)
{
    (void)state;
    struct env e;
    struct t_hole *h = t_hole_start();
    struct t_http *http;
    char *extra, *feed;
    long long ms;
    assert_non_null(h);
    env_init(&e);
    feed = rss("mailfeed", 2);
    free(t_write_file(e.www, "feed.xml", feed));
    free(feed);
    http = t_http_start(e.www);
    assert_non_null(http);
    assert_true(asprintf(&extra,
        "[mail]\nsmtp_url = smtp://127.0.0.1:%u\ntimeout = 60s\n"
        "[filter keyword]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = mailfeed:2\n"
        "[feeds]\nf = http://127.0.0.1:%u/feed.xml\n",
        t_hole_port(h), t_http_port(http)) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    e.pid = t_daemon_spawn(e.config, NULL, e.errlog);
    assert_true(t_wait_for(t_hole_accepted, h, 15000));
    t_sleep_ms(200);
    assert_int_equal(term(&e, SIGTERM, &ms), 0);
    assert_true(ms < 5000);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM outbox WHERE "
                                 "status = 'queued'"), 1);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM outbox WHERE "
                                 "status <> 'queued'"), 0);
    t_http_stop(http);
    t_hole_stop(h);
    env_free(&e);
}

static int
has_log(void *arg)
{
    const char **w = arg;
    return t_log_count(w[0], w[1]) > 0;
}

/* SIGHUP: reload; the web connection stays open throughout. */
static void
test_hup_reload(void **state)
{
    (void)state;
    struct env e;
    struct t_http *http;
    char *extra, *feed, *bad;
    long conns = -1;
    env_init(&e);
    feed = rss("one", 2);
    free(t_write_file(e.www, "one.xml", feed));
    free(feed);
    feed = rss("two", 3);
    free(t_write_file(e.www, "two.xml", feed));
    free(feed);
    http = t_http_start(e.www);
    assert_non_null(http);
    unsigned hp = t_http_port(http);

    assert_true(asprintf(&extra, "[filter keyword]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = one\n"
        "[feeds]\none = http://127.0.0.1:%u/one.xml\n", hp) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    e.pid = t_daemon_spawn(e.config, NULL, e.errlog);
    struct t_db_wait w = { e.db, "SELECT count(*) FROM items", 2 };
    assert_true(t_wait_for(t_db_reaches, &w, 15000));

    CURL *c = curl_easy_init();
    assert_int_equal(get_on(c, e.web_port, "/healthz", &conns), 200);
    assert_int_equal(conns, 1);

    /* A good new config: one more filter, one more feed, other limits. */
    assert_true(asprintf(&extra, "[filter keyword]\n[filter recency]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = one\n"
        "[feeds]\none = http://127.0.0.1:%u/one.xml\n"
        "two = http://127.0.0.1:%u/two.xml\n", hp, hp) > 0);
    env_config(&e, "connections = 8\n", extra);
    free(extra);
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    assert_true(t_log_wait(e.log, "config reloaded", 1, 10000));
    assert_int_equal(t_log_count(e.log, "feeds_added=1"), 1);
    assert_int_equal(t_log_count(e.log, "filter loaded name=recency"), 1);
    assert_int_equal(t_log_count(e.log, "log reopened"), 1);
    w.want = 5;
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM feeds"), 2);
    /* The same connection, reused: nothing was dropped. */
    assert_int_equal(get_on(c, e.web_port, "/healthz", &conns), 200);
    assert_int_equal(conns, 0);

    /* A file that does not parse: refused with FILE:LINE, old kept. */
    bad = t_write_file(e.dir, "curator.ini",
                       "[store]\npath = curator.db\n[web]\nport = eighty\n");
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    assert_true(t_log_wait(e.log, "config reload refused", 1, 10000));
    char want[4400];
    snprintf(want, sizeof want, "config reload refused, keeping the running "
             "config: %s:4: [web] port: 'eighty' is not a whole number", bad);
    assert_int_equal(t_log_count(e.log, want), 1);
    free(bad);

    /* A filter that does not load: refused, naming the file; the feed it
     * would add is not added. */
    assert_true(asprintf(&extra, "[filter keyword]\n"
        "[filter ghost]\npath = %s/ghost.so\n"
        "[feeds]\nthree = http://127.0.0.1:%u/three.xml\n", e.dir, hp) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    assert_true(t_log_wait(e.log, "config reload refused", 2, 10000));
    assert_int_equal(t_log_count(e.log, "filter refused:"), 1);
    assert_true(t_log_count(e.log, "ghost.so") >= 1);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM feeds"), 2);

    /* A new web port needs a restart: said, and the old port serves on;
     * the log is reopened after a rotation. */
    char *rotated;
    assert_true(asprintf(&rotated, "%s.1", e.log) > 0);
    assert_int_equal(rename(e.log, rotated), 0);
    unsigned old_port = e.web_port;
    e.web_port = t_free_port();
    assert_true(asprintf(&extra, "[filter keyword]\n"
        "[feeds]\none = http://127.0.0.1:%u/one.xml\n", hp) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    const char *reloaded[] = { e.log, "config reloaded" };
    assert_true(t_wait_for(has_log, reloaded, 10000));
    assert_int_equal(t_log_count(e.log, "log reopened"), 1);
    assert_int_equal(t_log_count(e.log, "[web] enabled, address or port "
                              "changed; restart curatord"), 1);
    assert_int_equal(get_on(c, old_port, "/healthz", &conns), 200);
    assert_int_equal(conns, 0);
    assert_int_equal(http_get(e.web_port, "/healthz"), 0);
    curl_easy_cleanup(c);

    long long ms;
    assert_int_equal(term(&e, SIGTERM, &ms), 0);
    assert_int_equal(t_log_count(e.log, "curatord stopped"), 1);
    free(rotated);
    t_http_stop(http);
    env_free(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_term_during_fetch, t_daemon_teardown),
        cmocka_unit_test_teardown(test_term_during_dns, t_daemon_teardown),
        cmocka_unit_test_teardown(test_term_during_slow_filter,
                                  t_daemon_teardown),
        cmocka_unit_test_teardown(test_term_during_smtp, t_daemon_teardown),
        cmocka_unit_test_teardown(test_hup_reload, t_daemon_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    /* CURATOR_TEST_ONLY=pattern runs the matching tests alone. */
    if (getenv("CURATOR_TEST_ONLY"))
        cmocka_set_test_filter(getenv("CURATOR_TEST_ONLY"));
    int rc = cmocka_run_group_tests_name("integration: curatord signals",
                                         tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
