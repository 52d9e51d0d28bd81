/* Integration: confined parsing (SECURITY.md PARSE-12, PARSE-7, DUR-6).
 * Real worker pools, started before any store is opened as the daemon
 * does, parse through the real poller (file:// feeds, a store in a
 * temporary folder):
 *
 *  - a worker is killed in the middle of a parse: that feed's poll is
 *    recorded failed with "parse: worker killed by SIGKILL", the worker
 *    is replaced (a new, confined process), the other feeds and the next
 *    round parse;
 *  - a document needing more CPU than the hard per-job limit kills its
 *    worker ("exceeded its CPU time limit"), and one needing more
 *    memory than the worker's limit fails with "out of memory"; the
 *    next feed parses either way;
 *  - each worker and the spawner show "Seccomp: 2" and NoNewPrivs, and
 *    hold no descriptor but /dev/null, standard error and their socket:
 *    no database (DUR-6); in a child confined with the parser profile,
 *    open(), socket() and execve() fail with EACCES and a call outside
 *    the allowlist is killed by SIGSYS;
 *  - every fixture and conformance document gives the same feed (or
 *    the same error) through a worker as in-process, and documents in
 *    the encodings glibc loads converters for decode right;
 *  - a worker that dies while idle is replaced without failing a feed,
 *    and stopping a pool leaves no process behind.
 *
 * In sanitizer builds the parser profile is a denylist with no memory
 * limit (sandbox.h): the SIGSYS and memory cases are skipped there. */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "feed_wire.h"
#include "log.h"
#include "parse.h"
#include "poller.h"
#include "sandbox.h"
#include "sanitize.h"
#include "store.h"
#include "support.h"
#include "worker.h"

#define CONFORMANCE_DIR "../shared/conformance/"

/* Started in main(), before any store exists. */
static struct worker_pool *pool;        /* 2 workers, default limits */
static struct worker_pool *cpu_pool;    /* 1 worker, 0.3 s CPU per job */
static struct worker_pool *mem_pool;    /* 1 worker, 24 MiB */
static struct worker_pool *spare;       /* stopped by a test */

#define TIGHT_CPU 0.3
#define TIGHT_MEM (24u << 20)

/* ---- documents ---- */

/* An RSS 2.0 feed "NAME" with n items, each carrying about 'kib' KiB of
 * HTML in content:encoded (free()). */
static char *
make_feed(const char *name, int n, int kib, size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss "
               "version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/"
               "modules/content/\"><channel><title>%s feed</title><link>"
               "https://%s.example.org/</link>\n", name, name);
    for (int i = 1; i <= n; i++) {
        buf_printf(&b, "<item><title>%s %d</title><guid>%s-%d</guid><link>"
                   "https://%s.example.org/%d</link><category>c%d</category>"
                   "<content:encoded><![CDATA[", name, i, name, i, name, i,
                   i % 3);
        for (int k = 0; k < kib * 1024 / 200; k++)
            buf_printf(&b, "<p>Para %d with <a href=\"/p/%d?q=%d&amp;r=1\">"
                       "a link</a>, <b>bold</b>, <em>em</em> and an <img "
                       "src=\"/i/%d.png\" alt=\"x\"> image.</p>\n", k, i,
                       k, k);
        buf_puts(&b, "]]></content:encoded></item>\n");
    }
    buf_puts(&b, "</channel></rss>\n");
    assert_non_null(b.data);
    *len = b.len;
    return buf_steal(&b);
}

/* ---- a store per test ---- */

struct fx {
    char *dir;
    struct store *st;
    struct poller_cfg cfg;
    struct poller_stats stats;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    char *db;
    if (fx == NULL || (fx->dir = t_mkdtemp()) == NULL
        || asprintf(&db, "%s/curator.db", fx->dir) < 0)
        return -1;
    int rc = store_open(db, &fx->st);
    free(db);
    if (rc != CUR_OK)
        return -1;
    fx->cfg = (struct poller_cfg) {
        .sched = { .interval = 3600, .min_interval = 600,
                   .max_interval = 86400, .backoff_max = 86400 },
        .timeout = 20, .connect_timeout = 5, .max_body = 64u << 20,
        .connections = 8, .per_host = 8, .workers = 2, .pool = pool,
    };
    parse_opts_default(&fx->cfg.parse);
    sanitize_opts_init(&fx->cfg.sanitize, SANITIZE_WEB);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* Write a feed file and add it to the store (origin cli: file:// is
 * allowed). Returns the feed id. */
static long long
add_feed(struct fx *fx, const char *file, const char *doc)
{
    char *path = t_write_file(fx->dir, file, doc), *url;
    long long id;
    assert_non_null(path);
    assert_true(asprintf(&url, "file://%s", path) > 0);
    assert_int_equal(store_feed_add(fx->st, url, "cli", &id), CUR_OK);
    free(url);
    free(path);
    return id;
}

struct row {
    int failures;
    long long items;
    char last_error[640];
};

static int
copy_row(void *ctx, const struct store_feed *f)
{
    struct row *r = ctx;
    r->failures = f->failures;
    r->items = f->items;
    snprintf(r->last_error, sizeof r->last_error, "%s",
             f->last_error ? f->last_error : "");
    return 0;
}

static struct row
feed_row(struct fx *fx, long long id)
{
    struct row r = { 0 };
    assert_int_equal(store_feed_get(fx->st, id, copy_row, &r), CUR_OK);
    return r;
}

/* ---- looking at processes ---- */

/* The value of "Key:" in /proc/pid/status, or -1. */
static long
status_field(long pid, const char *key)
{
    char path[64], line[256];
    long v = -1;
    size_t k = strlen(key);
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            v = strtol(line + k + 1, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* Each descriptor of pid is /dev/null, a socket, or fd 2 (the test's
 * standard error): nothing opened from the store. Returns the count. */
static int
assert_fds_clean(long pid)
{
    char path[64];
    int n = 0, sockets = 0;
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char link[512], target[512];
        snprintf(link, sizeof link, "%s/%s", path, e->d_name);
        ssize_t k = readlink(link, target, sizeof target - 1);
        assert_true(k > 0);
        target[k] = '\0';
        int fd = atoi(e->d_name);
        n++;
        if (strstr(target, ".db") || strstr(target, "curator-test"))
            fail_msg("pid %ld holds fd %d -> %s", pid, fd, target);
        if (strncmp(target, "socket:", 7) == 0)
            sockets++;
        else if (fd != 2 && strcmp(target, "/dev/null") != 0)
            fail_msg("pid %ld holds fd %d -> %s", pid, fd, target);
    }
    closedir(d);
    assert_int_equal(sockets, 1);
    return n;
}

static void
assert_confined(long pid)
{
    assert_true(pid > 0);
    assert_int_equal(status_field(pid, "Seccomp"), 2);
    assert_int_equal(status_field(pid, "NoNewPrivs"), 1);
    assert_true(assert_fds_clean(pid) <= 4);
}

static int
alive(long pid)
{
    return kill((pid_t)pid, 0) == 0;
}

/* ---- the poll round with a killer ---- */

struct killer {
    struct worker_pool *pool;
    long killed;
};

/* Kill a worker that has been on one document for 50 ms: only the big
 * document takes that long. */
static void
kill_busy(void *ctx, const struct poller_stats *s)
{
    struct killer *k = ctx;
    struct worker_info wi[WORKER_MAX];
    (void)s;
    if (k->killed)
        return;
    size_t n = worker_pool_info(k->pool, wi, WORKER_MAX, NULL);
    for (size_t i = 0; i < n; i++)
        if (wi[i].busy && wi[i].pid > 0 && wi[i].busy_seconds > 0.05) {
            assert_int_equal(kill((pid_t)wi[i].pid, SIGKILL), 0);
            k->killed = wi[i].pid;
            return;
        }
}

static void
test_kill_mid_parse(void **state)
{
    struct fx *fx = *state;
    size_t len;
    char *big = make_feed("big", 400, 48, &len), *small;
    struct worker_info before[WORKER_MAX], after[WORKER_MAX];
    struct worker_stats st0, st1;
    struct killer k = { .pool = pool };

    long long id_big = add_feed(fx, "big.xml", big);
    free(big);
    small = make_feed("one", 3, 1, &len);
    long long id_one = add_feed(fx, "one.xml", small);
    free(small);
    small = make_feed("two", 2, 1, &len);
    long long id_two = add_feed(fx, "two.xml", small);
    free(small);
    size_t n = worker_pool_info(pool, before, WORKER_MAX, &st0);
    assert_int_equal(n, 2);

    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ALL, 0,
                                (long long)time(NULL), NULL, kill_busy, &k,
                                &fx->stats), CUR_OK);
    if (k.killed == 0)
        fail_msg("the big document parsed before it could be killed");
    assert_int_equal(fx->stats.polled, 3);
    assert_int_equal(fx->stats.failed, 1);

    struct row r = feed_row(fx, id_big);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    assert_string_equal(r.last_error, "parse: worker killed by SIGKILL");
    r = feed_row(fx, id_one);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 3);
    r = feed_row(fx, id_two);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 2);

    /* Replaced at once, by a confined process; the dead one is reaped. */
    worker_pool_info(pool, after, WORKER_MAX, &st1);
    assert_int_equal(st1.restarts, st0.restarts + 1);
    assert_int_equal(st1.failed, st0.failed + 1);
    assert_false(alive(k.killed));
    for (size_t i = 0; i < n; i++) {
        assert_true(after[i].pid != k.killed);
        assert_false(after[i].busy);
        assert_confined(after[i].pid);
    }

    /* The daemon carries on: the next round parses, and a failed feed
     * that now parses is recorded fine. */
    small = make_feed("three", 4, 1, &len);
    long long id_three = add_feed(fx, "three.xml", small);
    free(small);
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ONE, id_three,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    r = feed_row(fx, id_three);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 4);
    char *path;
    assert_true(asprintf(&path, "%s/big.xml", fx->dir) > 0);
    small = make_feed("big", 5, 1, &len);
    free(t_write_file(fx->dir, "big.xml", small));
    free(small);
    free(path);
    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ONE, id_big,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    r = feed_row(fx, id_big);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 5);
}

/* A document that needs more CPU than cpu_pool's 0.3 s per job:
 * the timer kills the worker; the next feed parses on its replacement. */
static void
test_cpu_limit(void **state)
{
    struct fx *fx = *state;
    size_t len;
    char *big = make_feed("cpu", 400, 48, &len), *small;

    fx->cfg.pool = cpu_pool;
    /* The parser's own budget must not stop it first. */
    fx->cfg.parse.cpu_seconds = 60;
    long long id_big = add_feed(fx, "cpu.xml", big);
    free(big);
    small = make_feed("after", 2, 1, &len);
    long long id_small = add_feed(fx, "after.xml", small);
    free(small);
    struct worker_info wi;
    worker_pool_info(cpu_pool, &wi, 1, NULL);
    long first = wi.pid;

    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ALL, 0,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    struct row r = feed_row(fx, id_big);
    assert_int_equal(r.failures, 1);
    assert_string_equal(r.last_error, "parse: worker exceeded its CPU time "
                        "limit (0.3 s)");
    r = feed_row(fx, id_small);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 2);
    worker_pool_info(cpu_pool, &wi, 1, NULL);
    assert_true(wi.pid != first);
    assert_confined(wi.pid);
}

/* The parser's own CPU budget, through a worker: the parser stops
 * itself and keeps the items read so far (a recovered feed, as
 * in-process), the problem crosses the wire, and the worker lives on. */
static void
test_parse_budget(void **state)
{
    (void)state;
    struct worker_stats st0, st1;
    struct worker_info wi0[WORKER_MAX], wi1[WORKER_MAX];
    struct parse_opts po;
    struct sanitize_opts so;
    struct feed *f = NULL;
    char why[256];
    struct buf b;

    /* Many small elements: the parser checks its budget as it goes. */
    buf_init(&b, 0);
    buf_puts(&b, "<rss version=\"2.0\"><channel><title>b</title>");
    for (int i = 0; i < 100000; i++)
        buf_printf(&b, "<item><guid>g%d</guid><title>t</title><category>a"
                   "</category><category>b</category></item>", i);
    buf_puts(&b, "</channel></rss>");
    assert_non_null(b.data);
    parse_opts_default(&po);
    po.cpu_seconds = 0.01;
    sanitize_opts_init(&so, SANITIZE_WEB);
    size_t n = worker_pool_info(pool, wi0, WORKER_MAX, &st0);
    assert_int_equal(worker_parse(pool, &po, &so, 4096, b.data, b.len, &f,
                                  why, sizeof why), CUR_OK);
    assert_int_equal(f->recovered, 1);
    /* Then, maybe, "N items over the limit of 1000 were skipped". */
    assert_true(f->n_problems >= 1 && f->n_problems <= 2);
    if (strstr(f->problems[0], "parse used more than its CPU time budget")
        == NULL)
        fail_msg("problem: %s", f->problems[0]);
    assert_true(f->n_items > 0 && f->n_items <= 1000);
    assert_string_equal(f->items[0].guid, "g0");
    feed_free(f);
    buf_free(&b);
    worker_pool_info(pool, wi1, WORKER_MAX, &st1);
    assert_int_equal(st1.restarts, st0.restarts);
    assert_int_equal(st1.failed, st0.failed);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(wi1[i].pid, wi0[i].pid);
}

/* A document whose parse needs more than mem_pool's 24 MiB: the
 * allocation fails inside the worker and the feed fails with a clear
 * reason (or, had a library not coped, its death would say so). */
static void
test_memory_limit(void **state)
{
    struct fx *fx = *state;
    size_t len;
    char *big, *small;

    if (!sandbox_strict())
        skip();     /* no memory limit under the sanitizers */
    fx->cfg.pool = mem_pool;
    /* 40 items of 1 MiB: 40 MiB of content held at once. */
    big = make_feed("mem", 40, 1000, &len);
    long long id_big = add_feed(fx, "mem.xml", big);
    free(big);
    small = make_feed("fine", 3, 1, &len);
    long long id_small = add_feed(fx, "fine.xml", small);
    free(small);

    assert_int_equal(poller_run(fx->st, &fx->cfg, POLLER_ALL, 0,
                                (long long)time(NULL), NULL, NULL, NULL,
                                &fx->stats), CUR_OK);
    struct row r = feed_row(fx, id_big);
    print_message("over the memory limit: %s\n", r.last_error);
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.items, 0);
    if (strcmp(r.last_error, "parse: out of memory (the worker's limit is "
               "24 MiB)") != 0 && strncmp(r.last_error, "parse: worker "
               "killed by", 25) != 0)
        fail_msg("last_error: %s", r.last_error);
    r = feed_row(fx, id_small);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.items, 3);
}

/* The pool's processes are confined and hold nothing of the store. */
static void
test_workers_confined(void **state)
{
    (void)state;
    struct worker_info wi[WORKER_MAX];
    struct worker_stats st;
    size_t n = worker_pool_info(pool, wi, WORKER_MAX, &st);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_confined(wi[i].pid);
    /* The spawner: confined too, with its control socket only. */
    assert_confined(st.spawner_pid);
    assert_true(st.spawner_pid != getpid());
}

/* The parser profile in a child: files, sockets and exec fail with
 * EACCES; executable memory too; a call outside the allowlist kills. */
static void
test_sandbox_denies(void **state)
{
    (void)state;
    size_t base = sandbox_vm_size();
    assert_true(base > 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct sandbox_cfg sc = {
            .profile = SANDBOX_PARSER, .mem_limit = 64u << 20,
            .vm_base = base,
        };
        char err[200];
        if (sandbox_enter(&sc, err, sizeof err) != CUR_OK)
            _exit(10);
        errno = 0;
        if (open("/etc/passwd", O_RDONLY) != -1 || errno != EACCES)
            _exit(11);
        if (openat(AT_FDCWD, "/tmp", O_RDONLY | O_DIRECTORY) != -1
            || errno != EACCES)
            _exit(12);
        if (socket(AF_INET, SOCK_STREAM, 0) != -1 || errno != EACCES)
            _exit(13);
        if (socket(AF_UNIX, SOCK_STREAM, 0) != -1 || errno != EACCES)
            _exit(14);
        char *argv[] = { "/bin/true", NULL };
        if (execve("/bin/true", argv, NULL) != -1 || errno != EACCES)
            _exit(15);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != -1)
            _exit(16);
        if (!sandbox_strict())
            _exit(0);       /* the lenient profile stops here */
        if (mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED
            || errno != EACCES)
            _exit(17);
        /* Past the address-space limit, allocation fails. */
        if (malloc(128u << 20) != NULL)
            _exit(18);
        void *ok = malloc(8u << 20);
        if (ok == NULL)
            _exit(19);
        free(ok);
        /* Not on the allowlist: SIGSYS. */
        syscall(SYS_getppid);
        _exit(20);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (sandbox_strict()) {
        if (!WIFSIGNALED(st))
            fail_msg("child exited with %d, expected SIGSYS",
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        assert_int_equal(WTERMSIG(st), SIGSYS);
    } else {
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
}

/* What parse_body() does in-process, as wire bytes (or the error). */
static int
in_process(const char *doc, size_t len, const struct parse_opts *po,
           const struct sanitize_opts *so, struct buf *out, char *why,
           size_t whylen)
{
    struct parser *p = NULL;
    struct feed *f = NULL;
    int rc = parser_new(po, &p);
    if (rc == CUR_OK)
        rc = parser_push(p, doc, len);
    if (rc == CUR_OK)
        rc = parser_finish(p, &f, why, whylen);
    else
        snprintf(why, whylen, "%s", cur_strerror(rc));
    parser_free(p);
    if (rc == CUR_OK) {
        assert_int_equal(feed_sanitize(f, so, 4096), 0);
        assert_int_equal(feed_wire_put_feed(out, f), CUR_OK);
    }
    feed_free(f);
    return rc;
}

static int n_same, n_errors;

static void
compare_one(const char *path)
{
    size_t len;
    char *doc = t_read_file(path, &len);
    struct parse_opts po;
    struct sanitize_opts so;
    struct buf a, b;
    char why_a[256] = "", why_b[256] = "";
    struct feed *f = NULL;

    assert_non_null(doc);
    parse_opts_default(&po);
    po.base_url = "http://example.org/feeds/x.xml";
    sanitize_opts_init(&so, SANITIZE_WEB);
    so.base_url = po.base_url;
    buf_init(&a, 0);
    buf_init(&b, 0);
    int rc_a = in_process(doc, len, &po, &so, &a, why_a, sizeof why_a);
    int rc_b = worker_parse(pool, &po, &so, 4096, doc, len, &f, why_b,
                            sizeof why_b);
    if (rc_a != rc_b || strcmp(why_a, rc_b == CUR_OK ? "" : why_b) != 0)
        fail_msg("%s: in-process %d \"%s\", worker %d \"%s\"", path, rc_a,
                 why_a, rc_b, why_b);
    if (rc_b == CUR_OK) {
        assert_int_equal(feed_wire_put_feed(&b, f), CUR_OK);
        if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
            fail_msg("%s: the worker's feed differs", path);
        n_same++;
    } else {
        n_errors++;
    }
    feed_free(f);
    buf_free(&a);
    buf_free(&b);
    free(doc);
}

static void
compare_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        assert_true(asprintf(&path, "%s/%s", dir, e->d_name) > 0);
        size_t k = strlen(e->d_name);
        if (e->d_type == DT_DIR && depth < 4)
            compare_tree(path, depth + 1);
        else if (k > 4 && (strcmp(e->d_name + k - 4, ".xml") == 0
                           || strcmp(e->d_name + k - 4, ".rss") == 0
                           || strcmp(e->d_name + k - 5, ".atom") == 0
                           || strcmp(e->d_name + k - 5, ".json") == 0))
            compare_one(path);
        free(path);
    }
    closedir(d);
}

static void
test_same_as_in_process(void **state)
{
    (void)state;
    struct worker_stats st0, st1;
    worker_pool_info(pool, NULL, 0, &st0);
    n_same = n_errors = 0;
    compare_tree("tests/fixtures", 0);
    int fixtures = n_same + n_errors;
    assert_true(fixtures >= 8);
    assert_true(n_errors >= 3);     /* the entity bomb, garbage... */
    compare_tree(CONFORMANCE_DIR, 0);
    worker_pool_info(pool, NULL, 0, &st1);
    /* No worker died on the way (a forbidden call would have). */
    assert_int_equal(st1.failed, st0.failed);
    assert_int_equal(st1.restarts, st0.restarts);
    print_message("compared %d documents (%d with errors), %d from the "
                  "conformance set\n", n_same + n_errors, n_errors,
                  n_same + n_errors - fixtures);
}

/* Documents in encodings glibc converts with modules it loads from disk:
 * loaded before the sandbox closed the file system, they still work. */
static void
test_encodings(void **state)
{
    (void)state;
    static const struct {
        const char *label, *bytes, *utf8;
    } enc[] = {
        { "windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2",
          "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
        { "KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4",
          "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
        { "ISO-8859-7", "\xe1\xe2", "\xce\xb1\xce\xb2" },
        { "Shift_JIS", "\x93\xfa\x96\x7b", "\xe6\x97\xa5\xe6\x9c\xac" },
        { "EUC-JP", "\xc6\xfc\xcb\xdc", "\xe6\x97\xa5\xe6\x9c\xac" },
        { "ISO-2022-JP", "\x1b$BF|K\\\x1b(B",
          "\xe6\x97\xa5\xe6\x9c\xac" },
        { "EUC-KR", "\xc7\xd1\xb1\xb9", "\xed\x95\x9c\xea\xb5\xad" },
        { "Big5", "\xa4\xa4\xa4\xe5", "\xe4\xb8\xad\xe6\x96\x87" },
        { "gb18030", "\xd6\xd0\xce\xc4", "\xe4\xb8\xad\xe6\x96\x87" },
    };
    struct parse_opts po;
    struct sanitize_opts so;
    parse_opts_default(&po);
    sanitize_opts_init(&so, SANITIZE_WEB);
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        char *doc;
        struct feed *f = NULL;
        char why[256];
        struct buf a;
        assert_true(asprintf(&doc, "<?xml version=\"1.0\" encoding=\"%s\"?>"
                             "<rss version=\"2.0\"><channel><title>%s"
                             "</title><item><guid>1</guid><title>%s</title>"
                             "</item></channel></rss>", enc[i].label,
                             enc[i].bytes, enc[i].bytes) > 0);
        int rc = worker_parse(pool, &po, &so, 4096, doc, strlen(doc), &f,
                              why, sizeof why);
        if (rc != CUR_OK)
            fail_msg("%s: %s", enc[i].label, why);
        assert_string_equal(f->title, enc[i].utf8);
        assert_string_equal(f->items[0].title, enc[i].utf8);
        feed_free(f);
        /* And the same in-process. */
        buf_init(&a, 0);
        assert_int_equal(in_process(doc, strlen(doc), &po, &so, &a, why,
                                    sizeof why), CUR_OK);
        buf_free(&a);
        free(doc);
    }
}

/* A worker killed while idle is noticed before it is given a document. */
static void
test_idle_death(void **state)
{
    (void)state;
    struct worker_info wi[WORKER_MAX];
    struct worker_stats st0, st1;
    size_t n = worker_pool_info(pool, wi, WORKER_MAX, &st0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kill((pid_t)wi[i].pid, SIGKILL), 0);
    /* Let them die. */
    struct timespec ts = { 0, 100 * 1000000L };
    nanosleep(&ts, NULL);
    const char *doc = "<rss version=\"2.0\"><channel><title>t</title><item>"
                      "<guid>g</guid><title>x</title></item></channel>"
                      "</rss>";
    struct parse_opts po;
    struct sanitize_opts so;
    parse_opts_default(&po);
    sanitize_opts_init(&so, SANITIZE_WEB);
    for (size_t i = 0; i < n; i++) {
        struct feed *f = NULL;
        char why[256];
        assert_int_equal(worker_parse(pool, &po, &so, 4096, doc,
                                      strlen(doc), &f, why, sizeof why),
                         CUR_OK);
        assert_int_equal(f->n_items, 1);
        assert_string_equal(f->items[0].title, "x");
        feed_free(f);
    }
    worker_pool_info(pool, NULL, 0, &st1);
    assert_int_equal(st1.failed, st0.failed);
    assert_true(st1.restarts >= st0.restarts + 1);
    for (size_t i = 0; i < n; i++)
        assert_false(alive(wi[i].pid));
}

/* Stopping a pool ends its spawner and workers. */
static void
test_stop(void **state)
{
    (void)state;
    struct worker_info wi[WORKER_MAX];
    struct worker_stats st;
    size_t n = worker_pool_info(spare, wi, WORKER_MAX, &st);
    assert_int_equal(n, 1);
    assert_true(alive(st.spawner_pid) && alive(wi[0].pid));
    worker_pool_stop(spare);
    spare = NULL;
    /* The spawner is reaped by the stop; its workers by the spawner. */
    assert_false(alive(st.spawner_pid));
    assert_false(alive(wi[0].pid));
}

int
main(void)
{
    char err[300];
    struct worker_cfg wc = { .workers = 2 };
    struct worker_cfg cc = { .workers = 1, .cpu_limit = TIGHT_CPU };
    struct worker_cfg mc = { .workers = 1, .mem_limit = TIGHT_MEM };
    struct worker_cfg sc = { .workers = 1 };

    log_open(NULL, LOG_ERR);
    /* As the daemon does: before any store or thread. */
    if (worker_pool_start(&wc, &pool, err, sizeof err) != CUR_OK
        || worker_pool_start(&cc, &cpu_pool, err, sizeof err) != CUR_OK
        || worker_pool_start(&mc, &mem_pool, err, sizeof err) != CUR_OK
        || worker_pool_start(&sc, &spare, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "worker pool: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_workers_confined, setup,
                                        teardown),
        cmocka_unit_test(test_sandbox_denies),
        cmocka_unit_test_setup_teardown(test_kill_mid_parse, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cpu_limit, setup, teardown),
        cmocka_unit_test(test_parse_budget),
        cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
        cmocka_unit_test(test_same_as_in_process),
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_idle_death),
        cmocka_unit_test(test_stop),
    };
    int failed = cmocka_run_group_tests_name("worker", tests, NULL, NULL);
    worker_pool_stop(pool);
    worker_pool_stop(cpu_pool);
    worker_pool_stop(mem_pool);
    worker_pool_stop(spare);
    return failed;
}
