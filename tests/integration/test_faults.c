/* Integration: the real curatord under faults. For each one the daemon
 * must log a clear line, keep serving the web (/healthz answers), retry
 * later and lose nothing:
 *
 *   - a full disk under the spool (every write fails, then it frees up),
 *     and a spool folder whose fsync fails once after the file is linked;
 *   - a full disk under the database (SQLITE_FULL), then free again;
 *   - SQLITE_BUSY: the test holds a write transaction on the database
 *     for longer than the store's 10 s busy timeout;
 *   - SMTP: a server that never greets (timeout), then one answering 451,
 *     then one accepting: one message, its Message-ID unchanged;
 *   - DNS: a feed on a host that never resolves (.invalid, answered by
 *     the shim so that no query leaves the machine), beside a good feed;
 *   - a filter that returns NaN or fails (tests/plugins/nan.so), and one
 *     that takes 300 ms per item (tests/plugins/slow.so).
 *
 * Faults are injected by tests/shim/faultshim.so (LD_PRELOAD): failing
 * writes and fsyncs on matching paths while a switch file exists, and a
 * wall clock the test moves forward so retries come due at once. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "smtp.h"
#include "support.h"

/* ---- running the daemon ---- */

/* GET; the status (0: no answer), the time it took in *ms if not NULL. */
static long
http_get(unsigned port, const char *path, long long *ms)
{
    char url[256];
    long status = 0;
    long long t0 = t_now_ms();
    CURL *c = curl_easy_init();
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, t_discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (ms)
        *ms = t_now_ms() - t0;
    return status;
}

/* Make the web server's threads open their store handles now, while the
 * database is free: a handle opened while another connection holds the
 * write lock waits for it (store_open() takes the lock to check the
 * schema), which is not what these tests are about. */
static void
warm_web(unsigned port)
{
    for (int i = 0; i < 12; i++)
        assert_int_equal(http_get(port, "/healthz", NULL), 200);
}

/* An RSS feed of items PREFIX-FROM .. PREFIX-TO. */
static char *
rss(const char *prefix, int from, int to)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    fprintf(f, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
               "<title>%s</title><link>https://example.org/%s</link>\n",
            prefix, prefix);
    for (int i = to; i >= from; i--)
        fprintf(f, "<item><title>%s item %d</title><link>https://example"
                   ".org/%s/%d</link><guid isPermaLink=\"false\">%s-%d"
                   "</guid><description>Text of %s item %d.</description>"
                   "</item>\n", prefix, i, prefix, i, prefix, i, prefix, i);
    fprintf(f, "</channel></rss>\n");
    fclose(f);
    return s;
}

/* ---- a test folder with the shim ---- */

struct env {
    char *dir, *config, *log, *db, *errlog, *www, *spool, *clock, *swtch,
         *faults;
    char *vars[14];             /* the shim's environment */
    size_t n_vars;
    long long offset;           /* the daemon's clock, seconds ahead */
    unsigned web_port;
    struct t_http *http;
    pid_t pid;
};

static char *
path_in(const struct env *e, const char *name)
{
    char *p;
    assert_true(asprintf(&p, "%s/%s", e->dir, name) > 0);
    return p;
}

static void
add_var(struct env *e, const char *fmt, const char *value)
{
    assert_true(e->n_vars + 1 < sizeof e->vars / sizeof e->vars[0]);
    assert_true(asprintf(&e->vars[e->n_vars++], fmt, value) > 0);
}

/* A folder, the fixture server on its www/, and the shim's settings:
 * writes to paths holding 'fail' fail while the switch file exists
 * (after 'after' matching calls, at most 'count' times when >= 0). */
static void
env_init(struct env *e, const char *fail, const char *after,
         const char *count)
{
    memset(e, 0, sizeof *e);
    e->dir = t_mkdtemp();
    assert_non_null(e->dir);
    e->log = path_in(e, "curatord.log");
    e->db = path_in(e, "curator.db");
    e->errlog = path_in(e, "stderr.log");
    e->www = path_in(e, "www");
    e->spool = path_in(e, "spool");
    e->clock = path_in(e, "clock");
    e->swtch = path_in(e, "disk-full");
    e->faults = path_in(e, "faults");
    assert_int_equal(mkdir(e->www, 0700), 0);
    assert_int_equal(mkdir(e->spool, 0700), 0);
    free(t_write_file(e->dir, "clock", "0\n"));
    e->web_port = t_free_port();
    e->http = t_http_start(e->www);
    assert_non_null(e->http);

    char shim[4200];
    snprintf(shim, sizeof shim, "%s/tests/shim/faultshim.so", t_build_abs());
    assert_int_equal(access(shim, R_OK), 0);
    add_var(e, "LD_PRELOAD=%s", shim);
    add_var(e, "%s", "ASAN_OPTIONS=verify_asan_link_order=0");
    add_var(e, "CURATOR_SHIM_CLOCK=%s", e->clock);
    /* Names under .invalid fail at once, without a query leaving. */
    add_var(e, "%s", "CURATOR_SHIM_DNS_INVALID=1");
    if (fail) {
        add_var(e, "CURATOR_SHIM_FAIL=%s", fail);
        add_var(e, "CURATOR_SHIM_FAIL_SWITCH=%s", e->swtch);
        add_var(e, "CURATOR_SHIM_FAIL_LOG=%s", e->faults);
        if (after)
            add_var(e, "CURATOR_SHIM_FAIL_AFTER=%s", after);
        if (count)
            add_var(e, "CURATOR_SHIM_FAIL_COUNT=%s", count);
    }
}

/* curator.ini: common sections, [poll] extras, then 'extra'. */
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
env_start(struct env *e)
{
    e->vars[e->n_vars] = NULL;
    e->pid = t_daemon_spawn(e->config, (const char *const *)e->vars,
                            e->errlog);
    assert_true(e->pid > 0);
    assert_true(t_log_wait(e->log, "curatord running", 1, 15000));
}

/* Move the daemon's wall clock 'seconds' further ahead. */
static void
advance(struct env *e, long long seconds)
{
    char text[32];
    e->offset += seconds;
    snprintf(text, sizeof text, "%lld\n", e->offset);
    free(t_write_file(e->dir, "clock.new", text));
    char *tmp = path_in(e, "clock.new");
    assert_int_equal(rename(tmp, e->clock), 0);
    free(tmp);
}

static void
disk_full(struct env *e, int on)
{
    if (on)
        free(t_write_file(e->dir, "disk-full", ""));
    else
        assert_int_equal(unlink(e->swtch), 0);
}

static long long
faults_injected(const struct env *e)
{
    struct stat st;
    return stat(e->faults, &st) == 0 ? (long long)st.st_size : 0;
}

/* SIGTERM, a clean exit, and an intact database. */
static void
env_stop(struct env *e)
{
    assert_int_equal(kill(e->pid, SIGTERM), 0);
    assert_int_equal(t_daemon_wait(e->pid, 10000), 0);
    e->pid = 0;
    t_db_assert_intact(e->db);
}

static void
env_free(struct env *e)
{
    if (e->pid > 0) {
        kill(e->pid, SIGKILL);
        waitpid(e->pid, NULL, 0);
    }
    t_http_stop(e->http);
    t_rmtree(e->dir);
    for (size_t i = 0; i < e->n_vars; i++)
        free(e->vars[i]);
    free(e->dir);
    free(e->config);
    free(e->log);
    free(e->db);
    free(e->errlog);
    free(e->www);
    free(e->spool);
    free(e->clock);
    free(e->swtch);
    free(e->faults);
}

/* Files in a folder (dot files too), by name. */
static int
files_in(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (suffix == NULL || (len > strlen(suffix)
                               && strcmp(de->d_name + len - strlen(suffix),
                                         suffix) == 0))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* The config for one user reading one feed, keyword-scored. */
static void
mail_config(struct env *e, const char *mail)
{
    char *extra;
    assert_true(asprintf(&extra, "%s"
        "[filter keyword]\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = news:2\n"
        "[feeds]\nnews = http://127.0.0.1:%u/news.xml\n",
        mail ? mail : "", t_http_port(e->http)) > 0);
    env_config(e, NULL, extra);
    free(extra);
}

static void
publish(struct env *e, const char *name, const char *prefix, int from,
        int to)
{
    char *feed = rss(prefix, from, to);
    free(t_write_file(e->www, name, feed));
    free(feed);
}

/* ---- the tests ---- */

/* The spool's disk is full: the digest is deferred, no stray file is
 * left; once there is room again it is written once. */
static void
test_spool_full(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "/spool/", NULL, NULL);
    publish(&e, "news.xml", "news", 1, 3);
    mail_config(&e, NULL);
    disk_full(&e, 1);
    env_start(&e);
    assert_true(t_log_wait(e.log, "digest deferred", 1, 15000));
    assert_true(t_log_count(e.log, "No space left on device") >= 1);
    assert_true(faults_injected(&e) >= 1);
    assert_int_equal(http_get(e.web_port, "/healthz", NULL), 200);
    assert_int_equal(files_in(e.spool, NULL), 0);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM outbox WHERE "
                                 "status = 'queued' AND attempts = 1"), 1);

    /* Room again; the back-off (a minute or so) passes. */
    disk_full(&e, 0);
    advance(&e, 2 * 3600);
    assert_true(t_log_wait(e.log, "digest sent", 1, 15000));
    assert_int_equal(files_in(e.spool, NULL), 1);
    char *mid = t_db_text(e.db, "SELECT message_id FROM outbox");
    assert_non_null(mid);
    assert_int_equal(files_in(e.spool, ".eml"), 1);
    char *name;
    assert_true(asprintf(&name, "%s/%s.eml", e.spool, mid) > 0);
    char *text = t_read_file(name, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "news item 3"));
    free(text);
    free(name);
    free(mid);
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM outbox WHERE "
                                 "status = 'sent'"), 1);
    env_free(&e);
}

/* The spool folder's fsync fails once, after the file is in place: the
 * attempt counts as failed, and the retry finds the same file and counts
 * it sent; there is still exactly one file. */
static void
test_spool_dir_sync_fails(void **state)
{
    (void)state;
    struct env e;
    /* Matching calls: write and fsync of the temporary file, then the
     * folder's fsync, which is the one that fails. */
    env_init(&e, "/spool", "2", "1");
    publish(&e, "news.xml", "news", 1, 2);
    mail_config(&e, NULL);
    disk_full(&e, 1);
    env_start(&e);
    assert_true(t_log_wait(e.log, "digest deferred", 1, 15000));
    assert_int_equal(faults_injected(&e), 1);
    assert_int_equal(files_in(e.spool, ".eml"), 1);
    advance(&e, 2 * 3600);
    assert_true(t_log_wait(e.log, "digest sent", 1, 15000));
    assert_int_equal(files_in(e.spool, NULL), 1);
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT attempts FROM outbox"), 2);
    env_free(&e);
}

/* The database's disk is full while new items come: the poll fails to
 * store them (SQLITE_FULL), the web keeps answering, and once there is
 * room the same feed is stored, every item once. */
static void
test_db_full(void **state)
{
    (void)state;
    struct env e;
    env_init(&e, "curator.db", NULL, NULL);
    publish(&e, "news.xml", "news", 1, 3);
    mail_config(&e, NULL);
    env_start(&e);
    struct t_db_wait w = { e.db, "SELECT count(*) FROM items", 3 };
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    assert_true(t_log_wait(e.log, "mail round", 1, 15000));

    disk_full(&e, 1);
    publish(&e, "news.xml", "news", 1, 6);
    advance(&e, 2 * 3600);
    assert_true(t_log_wait(e.log, "poll round failed", 1, 15000));
    assert_true(t_log_count(e.log, "database or disk is full") >= 1);
    assert_true(faults_injected(&e) >= 1);
    assert_int_equal(http_get(e.web_port, "/healthz", NULL), 200);
    assert_int_equal(http_get(e.web_port, "/", NULL), 200);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 3);

    /* Room again: the feed, still due, is stored at the next tick. */
    disk_full(&e, 0);
    w.want = 6;
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 6);
    assert_int_equal(t_db_ll(e.db, "SELECT count(DISTINCT guid) FROM items"),
                     6);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items WHERE guid "
                                 "BETWEEN 'news-1' AND 'news-6'"), 6);
    env_free(&e);
}

struct holder {
    const char *db;
    int ms;
    int ok;
};

/* Hold a write transaction for h->ms milliseconds. */
static void *
hold_lock(void *arg)
{
    struct holder *h = arg;
    sqlite3 *db = t_db_open(h->db);
    if (db && sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO meta (key, "
                           "value) VALUES ('test.lock', 1) ON CONFLICT DO "
                           "NOTHING", NULL, NULL, NULL) == SQLITE_OK) {
        __atomic_store_n(&h->ok, 1, __ATOMIC_SEQ_CST);
        t_sleep_ms(h->ms);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    } else {
        __atomic_store_n(&h->ok, -1, __ATOMIC_SEQ_CST);
    }
    sqlite3_close(db);
    return NULL;
}

static int
holder_ready(void *arg)
{
    return __atomic_load_n(&((struct holder *)arg)->ok, __ATOMIC_SEQ_CST);
}

/* Another writer holds the database past the busy timeout: the round
 * fails with "locked", the web answers meanwhile, and the feed is stored
 * once the lock is gone. */
static void
test_db_busy(void **state)
{
    (void)state;
    struct env e;
    pthread_t th;
    env_init(&e, NULL, NULL, NULL);
    publish(&e, "news.xml", "news", 1, 2);
    mail_config(&e, NULL);
    env_start(&e);
    struct t_db_wait w = { e.db, "SELECT count(*) FROM items", 2 };
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    assert_true(t_log_wait(e.log, "mail round", 1, 15000));
    warm_web(e.web_port);

    /* 11.5 s: over the store's 10 s busy timeout (store_sqlite.c). */
    struct holder h = { e.db, 11500, 0 };
    assert_int_equal(pthread_create(&th, NULL, hold_lock, &h), 0);
    assert_true(t_wait_for(holder_ready, &h, 5000));
    assert_int_equal(h.ok, 1);
    publish(&e, "news.xml", "news", 1, 4);
    advance(&e, 2 * 3600);
    t_sleep_ms(3000);
    long long ms;
    assert_int_equal(http_get(e.web_port, "/healthz", &ms), 200);
    assert_true(ms < 2000);
    assert_true(t_log_wait(e.log, "database is locked", 1, 15000));
    pthread_join(th, NULL);
    w.want = 4;
    assert_true(t_wait_for(t_db_reaches, &w, 20000));
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 4);
    assert_int_equal(t_db_ll(e.db, "SELECT count(DISTINCT guid) FROM items"),
                     4);
    env_free(&e);
}

/* SMTP: no greeting (timeout), then 451, then acceptance; the config is
 * reloaded (SIGHUP) to point at each server in turn. One message goes
 * out, with the Message-ID it was queued with. */
static void
test_smtp_timeout_then_4xx(void **state)
{
    (void)state;
    struct env e;
    struct t_hole *h = t_hole_start();
    char *mail, *maildir, *mid;
    assert_non_null(h);
    env_init(&e, NULL, NULL, NULL);
    maildir = path_in(&e, "maildir");
    assert_int_equal(mkdir(maildir, 0700), 0);
    publish(&e, "news.xml", "news", 1, 2);
    assert_true(asprintf(&mail, "[mail]\nsmtp_url = smtp://127.0.0.1:%u\n"
                         "timeout = 2s\n", t_hole_port(h)) > 0);
    mail_config(&e, mail);
    free(mail);
    env_start(&e);
    assert_true(t_log_wait(e.log, "digest deferred", 1, 20000));
    assert_true(t_log_count(e.log, "timed out") >= 1);
    assert_int_equal(http_get(e.web_port, "/healthz", NULL), 200);
    mid = t_db_text(e.db, "SELECT message_id FROM outbox");
    assert_non_null(mid);

    struct t_smtp *s451 = t_smtp_start(maildir, "tempfail451");
    assert_non_null(s451);
    assert_true(asprintf(&mail, "[mail]\nsmtp_url = smtp://127.0.0.1:%u\n"
                         "timeout = 5s\n", t_smtp_port(s451)) > 0);
    mail_config(&e, mail);
    free(mail);
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    assert_true(t_log_wait(e.log, "config reloaded", 1, 10000));
    advance(&e, 2 * 3600);
    assert_true(t_log_wait(e.log, "digest deferred", 2, 15000));
    assert_true(t_log_count(e.log, "451") >= 1);
    assert_int_equal(t_smtp_count(maildir), 0);
    t_smtp_stop(s451);

    struct t_smtp *ok = t_smtp_start(maildir, "accept");
    assert_non_null(ok);
    assert_true(asprintf(&mail, "[mail]\nsmtp_url = smtp://127.0.0.1:%u\n",
                         t_smtp_port(ok)) > 0);
    mail_config(&e, mail);
    free(mail);
    assert_int_equal(kill(e.pid, SIGHUP), 0);
    assert_true(t_log_wait(e.log, "config reloaded", 2, 10000));
    advance(&e, 4 * 3600);
    assert_true(t_log_wait(e.log, "digest sent", 1, 15000));
    env_stop(&e);
    assert_int_equal(t_smtp_count(maildir), 1);
    char *msg = t_smtp_message(maildir, 1, NULL), want[600];
    assert_non_null(msg);
    snprintf(want, sizeof want, "Message-ID: <%s>", mid);
    assert_non_null(strstr(msg, want));
    assert_non_null(strstr(msg, "news item 2"));
    free(msg);
    assert_int_equal(t_db_ll(e.db, "SELECT attempts FROM outbox"), 3);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM outbox WHERE "
                                 "status = 'sent'"), 1);
    t_smtp_stop(ok);
    t_hole_stop(h);
    free(mid);
    free(maildir);
    env_free(&e);
}

/* A feed whose host never resolves: logged with its URL, backed off and
 * retried; the good feed beside it is stored. */
static void
test_dns_failure(void **state)
{
    (void)state;
    struct env e;
    char *extra;
    env_init(&e, NULL, NULL, NULL);
    publish(&e, "news.xml", "news", 1, 2);
    assert_true(asprintf(&extra,
        "[feeds]\nnews = http://127.0.0.1:%u/news.xml\n"
        "lost = http://nonexistent.invalid/feed.xml\n",
        t_http_port(e.http)) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    env_start(&e);
    assert_true(t_log_wait(e.log, "poll failed feed=2 url=http://nonexistent"
                         ".invalid/feed.xml status=0 failures=1", 1, 15000));
    assert_true(t_log_count(e.log, "resolve") >= 1);
    struct t_db_wait w = { e.db, "SELECT count(*) FROM items", 2 };
    assert_true(t_wait_for(t_db_reaches, &w, 15000));
    assert_int_equal(http_get(e.web_port, "/healthz", NULL), 200);
    assert_int_equal(t_db_ll(e.db, "SELECT failures FROM feeds WHERE id = 2"),
                     1);
    assert_true(t_db_ll(e.db, "SELECT next_poll - last_poll FROM feeds WHERE "
                            "id = 2") >= 600);
    /* Later: tried again, failing again, backing off further. */
    advance(&e, 86400);
    assert_true(t_log_wait(e.log, "failures=2", 1, 15000));
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT failures FROM feeds WHERE id = 2"),
                     2);
    assert_int_equal(t_db_ll(e.db, "SELECT failures FROM feeds WHERE id = 1"),
                     0);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM items"), 2);
    env_free(&e);
}

/* A filter answering NaN, or failing, is dropped for that pair and
 * logged; the pair is scored by the others, and the digest goes out. */
static void
test_filter_nan(void **state)
{
    (void)state;
    struct env e;
    char *extra, *feed;
    env_init(&e, NULL, NULL, NULL);
    feed = rss("news", 1, 1);
    /* Titles that make nan.so answer NaN and -1. */
    char *p = strstr(feed, "</channel>");
    assert_non_null(p);
    *p = '\0';
    char *full;
    assert_true(asprintf(&full, "%s<item><title>news nan item</title><guid>"
        "n1</guid></item><item><title>news error item</title><guid>e1"
        "</guid></item></channel></rss>\n", feed) > 0);
    free(t_write_file(e.www, "news.xml", full));
    free(full);
    free(feed);
    assert_true(asprintf(&extra, "[filter keyword]\n"
        "[filter nan]\npath = %s/tests/plugins/nan.so\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "interests = news:2\n"
        "[feeds]\nnews = http://127.0.0.1:%u/news.xml\n",
        t_build_abs(), t_http_port(e.http)) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    env_start(&e);
    assert_true(t_log_wait(e.log, "digest sent", 1, 15000));
    assert_int_equal(t_log_count(e.log, "filter result dropped filter=nan"), 2);
    assert_true(t_log_count(e.log, "dropped=2") >= 1);
    assert_int_equal(http_get(e.web_port, "/healthz", NULL), 200);
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores"), 3);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores WHERE score "
                                 "IS NULL OR score <> score"), 0);
    assert_int_equal(files_in(e.spool, ".eml"), 1);
    env_free(&e);
}

/* A filter taking 300 ms per item: the web answers fast meanwhile, and
 * every item is scored in the end. */
static void
test_filter_slow(void **state)
{
    (void)state;
    struct env e;
    char *extra;
    env_init(&e, NULL, NULL, NULL);
    publish(&e, "news.xml", "news", 1, 0);
    assert_true(asprintf(&extra,
        "[filter slow]\npath = %s/tests/plugins/slow.so\ndelay_ms = 300\n"
        "[demo]\nuser = alice\nemail = alice@example.org\n"
        "[feeds]\nnews = http://127.0.0.1:%u/news.xml\n",
        t_build_abs(), t_http_port(e.http)) > 0);
    env_config(&e, NULL, extra);
    free(extra);
    env_start(&e);
    /* An empty feed first, so the web is warm before scoring starts. */
    assert_true(t_log_wait(e.log, "poll ok feed=1", 1, 15000));
    warm_web(e.web_port);
    publish(&e, "news.xml", "news", 1, 8);
    advance(&e, 2 * 3600);
    assert_true(t_log_wait(e.log, "poll round feeds=1", 2, 15000));
    t_sleep_ms(300);
    long long ms;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(http_get(e.web_port, "/healthz", &ms), 200);
        assert_true(ms < 500);
        t_sleep_ms(200);
    }
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores"), 0);
    assert_true(t_log_wait(e.log, "scored items=8", 1, 15000));
    env_stop(&e);
    assert_int_equal(t_db_ll(e.db, "SELECT count(*) FROM scores"), 8);
    env_free(&e);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_spool_full, t_daemon_teardown),
        cmocka_unit_test_teardown(test_spool_dir_sync_fails, t_daemon_teardown),
        cmocka_unit_test_teardown(test_db_full, t_daemon_teardown),
        cmocka_unit_test_teardown(test_db_busy, t_daemon_teardown),
        cmocka_unit_test_teardown(test_smtp_timeout_then_4xx,
                                  t_daemon_teardown),
        cmocka_unit_test_teardown(test_dns_failure, t_daemon_teardown),
        cmocka_unit_test_teardown(test_filter_nan, t_daemon_teardown),
        cmocka_unit_test_teardown(test_filter_slow, t_daemon_teardown),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_open(NULL, LOG_ERR);
    /* CURATOR_TEST_ONLY=pattern runs the matching tests alone. */
    if (getenv("CURATOR_TEST_ONLY"))
        cmocka_set_test_filter(getenv("CURATOR_TEST_ONLY"));
    int rc = cmocka_run_group_tests_name("integration: curatord faults",
                                         tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
