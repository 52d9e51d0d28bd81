/* Integration: `kill -9` of curatord at random moments while it queues
 * and delivers a batch of digests to a real SMTP server on 127.0.0.1
 * (tests/support/smtp_server.py), then a restart. 30 users read the
 * sample feeds with interests that put items above the threshold, so
 * every one of them is due a digest at once.
 *
 * Each batch starts from the same prepared database with a fresh server,
 * kills the daemon KILLS_PER_BATCH times (the moments spread over the
 * time a whole batch takes, measured first by a batch without kills),
 * and lets a last start finish. Then: every user got their digest (none
 * lost); all the messages for one user carry one Message-ID and are
 * byte for byte the same (a resend, never a second message for one user
 * and period); there are no more resends than kills; the outbox says
 * every message was sent; PRAGMA integrity_check says ok.
 *
 * CURATOR_CRASH_BATCHES sets the number of batches with kills (default
 * 12, i.e. 24 kills); CURATOR_CRASH_SEED replays a run (the seed is
 * printed).
 */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "smtp.h"
#include "store.h"
#include "support.h"

#define USERS 30
#define KILLS_PER_BATCH 2
#define FROM_ADDR "digest@curator.example.org"

static const char *const interests[] = {
    "coaching", "feedback", "onboarding", "mentoring",
};

struct fx {
    char *dir, *build, *cli, *daemon, *template_db, cwd[4096];
    long long uid[USERS];
};

struct batch {
    char *dir, *cfg, *db, *maildir;
    struct t_smtp *smtp;
};

static char *
config_text(struct fx *fx, unsigned smtp_port)
{
    char *text;
    assert_true(asprintf(&text,
        "[store]\npath = curator.db\n"
        "[log]\nfile = curatord.log\nlevel = info\n"
        "[web]\nenabled = false\nbase_url = https://curator.example.org/\n"
        "[poll]\ninterval = 1h\ntick = 1s\n"
        "[digest]\nspool = spool\n"
        "[mail]\nsmtp_url = smtp://127.0.0.1:%u\nfrom = " FROM_ADDR "\n"
        "timeout = 10s\n"
        "[score]\nfilter_dir = %s/filters\n[filter keyword]\n"
        "[feeds]\n"
        "onboarding = %s/config/samples/onboarding-first-ninety-days.xml\n"
        "coaching = %s/config/samples/coaching-and-feedback.xml\n"
        "mentoring = %s/config/samples/mentoring-programme-bulletin.xml\n",
        smtp_port, fx->build, fx->cwd, fx->cwd, fx->cwd) > 0);
    return text;
}

static int
run_cli(struct fx *fx, const char *cfg, const char *a, const char *b)
{
    char *argv[] = { fx->cli, "-c", (char *)cfg, (char *)a, (char *)b,
                     NULL };
    char *err = NULL;
    int rc = t_run(argv, NULL, &err);
    if (rc != 0)
        fprintf(stderr, "curator %s: exit %d: %s", a, rc, err ? err : "");
    free(err);
    return rc;
}

static int
feed_row(void *ctx, const struct store_feed *f)
{
    long long *ids = ctx;
    for (int i = 0; i < 7; i++)
        if (ids[i] == 0) {
            ids[i] = f->id;
            break;
        }
    return 0;
}

static int
copy_file(const char *from, const char *to)
{
    size_t len;
    char *data = t_read_file(from, &len);
    FILE *f;
    int ok;

    if (data == NULL)
        return -1;
    f = fopen(to, "wb");
    ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    free(data);
    return ok ? 0 : -1;
}

/* The database every batch starts from: 30 users, scored, nothing
 * queued yet. */
static void
prepare(struct fx *fx)
{
    char *tdir, *cfg, *text, *db;
    long long feeds[8] = { 0 };
    struct store *st;

    fx->dir = t_mkdtemp();
    assert_non_null(fx->dir);
    fx->build = realpath(t_build_dir(), NULL);
    assert_non_null(fx->build);
    assert_non_null(getcwd(fx->cwd, sizeof fx->cwd));
    assert_true(asprintf(&fx->cli, "%s/curator", fx->build) > 0);
    assert_true(asprintf(&fx->daemon, "%s/curatord", fx->build) > 0);
    assert_true(asprintf(&tdir, "%s/template", fx->dir) > 0);
    assert_int_equal(mkdir(tdir, 0700), 0);
    assert_true(asprintf(&text, "%s/spool", tdir) > 0);
    assert_int_equal(mkdir(text, 0700), 0);
    free(text);
    text = config_text(fx, 1);
    cfg = t_write_file(tdir, "curator.ini", text);
    free(text);
    assert_int_equal(run_cli(fx, cfg, "init", NULL), 0);

    assert_true(asprintf(&db, "%s/curator.db", tdir) > 0);
    assert_int_equal(store_open(db, &st), CUR_OK);
    assert_int_equal(store_feed_list(st, feed_row, feeds), CUR_OK);
    assert_true(feeds[2] > 0);
    assert_int_equal(store_begin(st), CUR_OK);
    for (int u = 0; u < USERS; u++) {
        char name[16], email[64];
        snprintf(name, sizeof name, "user%02d", u);
        snprintf(email, sizeof email, "%s@example.org", name);
        assert_int_equal(store_user_add(st, name, email, &fx->uid[u]),
                         CUR_OK);
        for (int f = 0; f < 8 && feeds[f]; f++)
            assert_int_equal(store_subscribe(st, fx->uid[u], feeds[f]),
                             CUR_OK);
        for (size_t i = 0; i < sizeof interests / sizeof *interests; i++)
            assert_int_equal(store_interest_add(st, fx->uid[u],
                                                interests[i], 1.0),
                             CUR_OK);
    }
    assert_int_equal(store_commit(st), CUR_OK);
    store_close(st);
    assert_int_equal(run_cli(fx, cfg, "poll", "--all"), 0);
    /* The last handle closed checkpointed the WAL: one file. */
    char *wal;
    assert_true(asprintf(&wal, "%s-wal", db) > 0);
    assert_int_not_equal(access(wal, F_OK), 0);
    free(wal);
    fx->template_db = db;
    free(cfg);
    free(tdir);
}

static void
batch_start(struct fx *fx, int n, struct batch *b)
{
    char *spool, *text;

    memset(b, 0, sizeof *b);
    assert_true(asprintf(&b->dir, "%s/batch%02d", fx->dir, n) > 0);
    assert_int_equal(mkdir(b->dir, 0700), 0);
    assert_true(asprintf(&b->db, "%s/curator.db", b->dir) > 0);
    assert_true(asprintf(&b->maildir, "%s/mail", b->dir) > 0);
    assert_true(asprintf(&spool, "%s/spool", b->dir) > 0);
    assert_int_equal(mkdir(b->maildir, 0700), 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    free(spool);
    assert_int_equal(copy_file(fx->template_db, b->db), 0);
    b->smtp = t_smtp_start(b->maildir, "accept");
    assert_non_null(b->smtp);
    text = config_text(fx, t_smtp_port(b->smtp));
    b->cfg = t_write_file(b->dir, "curator.ini", text);
    free(text);
}

static void
batch_end(struct batch *b)
{
    t_smtp_stop(b->smtp);
    if (!getenv("CURATOR_TEST_KEEP"))
        t_rmtree(b->dir);
    free(b->dir);
    free(b->cfg);
    free(b->db);
    free(b->maildir);
}

static pid_t
spawn(struct fx *fx, struct batch *b)
{
    char *errlog;
    assert_true(asprintf(&errlog, "%s/curatord.stderr", b->dir) > 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(errlog, "a", stderr) == NULL)
            _exit(126);
        execl(fx->daemon, fx->daemon, "-c", b->cfg, (char *)NULL);
        _exit(127);
    }
    free(errlog);
    assert_true(pid > 0);
    return pid;
}

static int
reap(pid_t pid, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid)
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        t_sleep_ms(10);
    }
    return -1;
}

struct counts {
    int rows, sent, failed;
};

static int
count_row(void *ctx, const struct store_outbox *m)
{
    struct counts *c = ctx;
    c->rows++;
    c->sent += strcmp(m->status, "sent") == 0;
    c->failed += strcmp(m->status, "failed") == 0;
    return 0;
}

static struct counts
outbox_counts(const char *db)
{
    struct counts c = { 0, 0, 0 };
    struct store *st;
    if (store_open(db, &st) != CUR_OK)
        fail_msg("cannot open %s", db);
    assert_int_equal(store_outbox_list(st, 1000, count_row, &c), CUR_OK);
    store_close(st);
    return c;
}

static int
batch_done(void *arg)
{
    struct batch *b = arg;
    struct counts c = outbox_counts(b->db);
    return c.sent == USERS && t_smtp_count(b->maildir) >= USERS;
}

/* The Message-ID's value without brackets (free()), or NULL. */
static char *
message_id_of(const char *msg)
{
    const char *h = msg;
    while (h && strncmp(h, "Message-ID: <", 13) != 0) {
        h = strstr(h, "\r\n");
        if (h == NULL || h[2] == '\r')
            return NULL;
        h += 2;
    }
    const char *e = strchr(h + 13, '>');
    return e ? strndup(h + 13, (size_t)(e - h - 13)) : NULL;
}

/* How many different Message-IDs the server holds. */
static int
distinct_mail(struct batch *b)
{
    int n = t_smtp_count(b->maildir), distinct = 0;
    char **ids = calloc((size_t)n + 1, sizeof *ids);

    assert_non_null(ids);
    for (int i = 1; i <= n; i++) {
        char *msg = t_smtp_message(b->maildir, i, NULL);
        ids[i - 1] = msg ? message_id_of(msg) : NULL;
        free(msg);
        int seen = ids[i - 1] == NULL;
        for (int j = 0; j < i - 1 && !seen; j++)
            seen = ids[j] && strcmp(ids[j], ids[i - 1]) == 0;
        distinct += !seen;
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return distinct;
}

/* Every user has mail; one user's messages are copies of one message;
 * returns how many resends there were. */
static int
check_mail(struct fx *fx, struct batch *b)
{
    char *first[USERS] = { NULL };
    size_t first_len[USERS] = { 0 };
    int n = t_smtp_count(b->maildir), resends = 0;

    for (int i = 1; i <= n; i++) {
        size_t len;
        char *msg = t_smtp_message(b->maildir, i, &len);
        char *mid = msg ? message_id_of(msg) : NULL;
        long long uid;
        int at = -1;
        if (mid == NULL)
            fail_msg("%s: message %d has no Message-ID", b->maildir, i);
        if (sscanf(mid, "digest.%lld.", &uid) != 1)
            fail_msg("%s: odd Message-ID %s", b->maildir, mid);
        for (int u = 0; u < USERS; u++)
            if (fx->uid[u] == uid)
                at = u;
        if (at < 0)
            fail_msg("%s: Message-ID %s names no user", b->maildir, mid);
        char *env = t_smtp_envelope(b->maildir, i), want[64];
        snprintf(want, sizeof want, "RCPT TO:<user%02d@example.org>", at);
        if (env == NULL || strstr(env, want) == NULL)
            fail_msg("%s: message %d (%s) went to the wrong address",
                     b->maildir, i, mid);
        free(env);
        if (first[at] == NULL) {
            first[at] = msg;
            first_len[at] = len;
        } else {
            char *mid0 = message_id_of(first[at]);
            if (strcmp(mid0, mid) != 0)
                fail_msg("%s: two different digests for one user: %s and "
                         "%s", b->maildir, mid0, mid);
            if (len != first_len[at] || memcmp(msg, first[at], len) != 0)
                fail_msg("%s: a resend of %s differs from the first copy",
                         b->maildir, mid);
            free(mid0);
            free(msg);
            resends++;
        }
        free(mid);
    }
    for (int u = 0; u < USERS; u++) {
        if (first[u] == NULL)
            fail_msg("%s: user%02d got no digest (lost)", b->maildir, u);
        free(first[u]);
    }
    return resends;
}

struct running {
    const char *log;
    int before;
};

/* How many times the daemon's log says it started its loop. */
static int
starts(const char *log)
{
    char *text = t_read_file(log, NULL);
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, "curatord running"));
         p++)
        n++;
    free(text);
    return n;
}

static int
started(void *arg)
{
    struct running *r = arg;
    return starts(r->log) > r->before;
}

/* Let the last start finish, stop it, check everything. With 'took_ms'
 * (the batch without kills) also watch a tick more: nothing else goes
 * out. */
static int
finish(struct fx *fx, struct batch *b, int kills, double *took_ms)
{
    char *log;
    assert_true(asprintf(&log, "%s/curatord.log", b->dir) > 0);
    struct running r = { log, starts(log) };
    double t0 = t_now_ms();
    pid_t pid = spawn(fx, b);
    if (!t_wait_for(batch_done, b, 30000)) {
        struct counts c = outbox_counts(b->db);
        kill(pid, SIGKILL);
        reap(pid, 5000);
        fail_msg("%s: batch not finished: %d rows, %d sent, %d failed, %d "
                 "messages", b->dir, c.rows, c.sent, c.failed,
                 t_smtp_count(b->maildir));
    }
    if (took_ms) {
        *took_ms = t_now_ms() - t0;
        int before = t_smtp_count(b->maildir);
        t_sleep_ms(1200);
        assert_int_equal(t_smtp_count(b->maildir), before);
    }
    /* The work may have been done before this start: a TERM must find
     * the daemon past its start-up to mean an orderly stop. */
    assert_true(t_wait_for(started, &r, 10000));
    free(log);
    kill(pid, SIGTERM);
    assert_int_equal(reap(pid, 10000), 0);

    struct counts c = outbox_counts(b->db);
    assert_int_equal(c.rows, USERS);
    assert_int_equal(c.sent, USERS);
    int resends = check_mail(fx, b);
    if (resends > kills)
        fail_msg("%s: %d resends after %d kills", b->dir, resends, kills);
    t_db_assert_intact(b->db);
    return resends;
}

static unsigned long long rng;

static double
uniform(void)
{
    /* xorshift64*: a run is replayed from its seed. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void
test_kill_during_batch(void **state)
{
    (void)state;
    struct fx fx;
    struct batch b;
    const char *env = getenv("CURATOR_CRASH_BATCHES");
    int batches = env ? atoi(env) : 12;
    double span;

    memset(&fx, 0, sizeof fx);
    env = getenv("CURATOR_CRASH_SEED");
    rng = env ? strtoull(env, NULL, 10) : (unsigned long long)time(NULL)
                                          ^ ((unsigned long long)getpid()
                                             << 32);
    if (rng == 0)
        rng = 1;
    fprintf(stderr, "crash test: CURATOR_CRASH_SEED=%llu\n", rng);
    prepare(&fx);

    /* A batch without kills: it must work, and it says how long the
     * start, the queueing and the delivery take together. */
    batch_start(&fx, 0, &b);
    assert_int_equal(finish(&fx, &b, 0, &span), 0);
    batch_end(&b);
    fprintf(stderr, "crash test: a whole batch takes %.0f ms\n", span);

    /* Kill moments as fractions of the span spread evenly over it (and
     * a little past it), each with a random offset, then shuffled. */
    int n_kills = batches * KILLS_PER_BATCH;
    double *at = calloc((size_t)n_kills + 1, sizeof *at);
    assert_non_null(at);
    for (int k = 0; k < n_kills; k++)
        at[k] = ((double)k + uniform()) * 1.1 / n_kills;
    for (int k = n_kills - 1; k > 0; k--) {
        int j = (int)(uniform() * (k + 1));
        double t = at[k];
        at[k] = at[j];
        at[j] = t;
    }

    int phase[4] = { 0 }, unmarked = 0, resends = 0, k = 0;
    for (int n = 1; n <= batches; n++) {
        batch_start(&fx, n, &b);
        for (int i = 0; i < KILLS_PER_BATCH; i++, k++) {
            pid_t pid = spawn(&fx, &b);
            t_sleep_ms((long)(at[k] * span));
            kill(pid, SIGKILL);
            assert_int_equal(reap(pid, 10000), 128 + SIGKILL);
            /* Where the kill landed. */
            struct counts c = outbox_counts(b.db);
            int p = c.rows == 0 ? 0 : c.rows < USERS ? 1
                    : c.sent < USERS ? 2 : 3;
            phase[p]++;
            /* The machine may be faster or slower than when the span
             * was measured: a first kill of a batch that found all done
             * early on, or nothing begun late on, corrects it. */
            if (i == 0 && p == 3 && at[k] < 0.9)
                span *= 0.85;
            else if (i == 0 && p == 0 && at[k] > 0.3)
                span *= 1.15;
            unmarked += distinct_mail(&b) > c.sent;
            assert_int_equal(c.failed, 0);
        }
        resends += finish(&fx, &b, KILLS_PER_BATCH, NULL);
        batch_end(&b);
    }
    fprintf(stderr, "crash test: %d kills: %d before queueing, %d while "
            "queueing, %d while delivering, %d after; %d left mail sent "
            "but not marked; %d resends (same Message-ID, same bytes)\n",
            n_kills, phase[0], phase[1], phase[2], phase[3], unmarked,
            resends);
    free(at);

    if (!getenv("CURATOR_TEST_KEEP"))
        t_rmtree(fx.dir);
    free(fx.dir);
    free(fx.build);
    free(fx.cli);
    free(fx.daemon);
    free(fx.template_db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_batch),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
