/* Integration: digests delivered by the real `curator` and `curatord` to
 * a real SMTP server on 127.0.0.1 (tests/support/smtp_server.py, which
 * stores what it accepts as NNNN.eml). Users read the sample feeds in
 * config/samples and tests/fixtures/mail/unicode.xml (non-ASCII and
 * hostile titles), with interests that put items above the threshold.
 *
 * - A delivered digest parses back with Python's email package
 *   (tests/unit/test_digest_python.py, policy.default) into
 *   multipart/alternative with text/plain and text/html, exactly the
 *   expected headers, a deterministic Message-ID, List-Id,
 *   List-Unsubscribe (https and mailto, or mailto alone under an http
 *   base URL) with List-Unsubscribe-Post, non-ASCII text intact, and no
 *   defects; a second send in the same period sends nothing.
 * - With the server down, curatord (tick 1 s) defers every digest; once
 *   the server is up every queued digest arrives exactly once.
 * - 550 and 554 fail a message for good with the server's reply in
 *   `curator outbox list`; 451 defers it; `curator outbox retry ID`
 *   queues it again and it is then delivered, once.
 */
#define _GNU_SOURCE     /* asprintf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "smtp.h"
#include "store.h"
#include "support.h"

#define MAX_USERS 8
#define FROM_NAME "Curátor Digést — 日本"
#define FROM_ADDR "digest@curator.example.org"
#define HTTPS_BASE "https://curator.example.org/"
#define HTTP_BASE "http://curator.example.org:8080"
#define PY_HELPER "tests/unit/test_digest_python.py"

static const char *const interests[] = {
    "coaching", "feedback", "onboarding", "mentoring",
};

struct fx {
    char *dir, *cfg, *db, *maildir, *log;
    char *cli, *build, cwd[4096];
    long long uid[MAX_USERS];
    char name[MAX_USERS][16];
    int n_users;
};

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The config every command and the daemon read; rewritten when the
 * SMTP port or the base URL changes (each command reads it afresh). */
static void
write_config(struct fx *fx, unsigned smtp_port, const char *base_url)
{
    char *text;
    assert_true(asprintf(&text,
        "[store]\npath = curator.db\n"
        "[log]\nfile = curatord.log\nlevel = info\n"
        "[web]\nenabled = false\nbase_url = %s\n"
        "[poll]\ninterval = 1h\ntick = 1s\n"
        "[digest]\nspool = spool\n"
        "[mail]\nsmtp_url = smtp://127.0.0.1:%u\nfrom = " FROM_ADDR "\n"
        "from_name = " FROM_NAME "\ntimeout = 10s\n"
        "[score]\nfilter_dir = %s/filters\n[filter keyword]\n"
        "[feeds]\n"
        "onboarding = %s/config/samples/onboarding-first-ninety-days.xml\n"
        "coaching = %s/config/samples/coaching-and-feedback.xml\n"
        "mentoring = %s/config/samples/mentoring-programme-bulletin.xml\n"
        "unicode = %s/tests/fixtures/mail/unicode.xml\n",
        base_url, smtp_port, fx->build, fx->cwd, fx->cwd, fx->cwd,
        fx->cwd) > 0);
    free(fx->cfg);
    fx->cfg = t_write_file(fx->dir, "curator.ini", text);
    assert_non_null(fx->cfg);
    free(text);
}

/* Run `curator -c CFG args...`; stdout in *out (may be NULL). */
static int
cli_run(struct fx *fx, char **out, const char *const *args)
{
    char *argv[32], *sout = NULL, *serr = NULL;
    size_t n = 0;

    argv[n++] = fx->cli;
    argv[n++] = "-c";
    argv[n++] = fx->cfg;
    for (; *args && n < 31; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    int rc = t_run(argv, &sout, &serr);
    if (rc != 0 && getenv("CURATOR_TEST_VERBOSE"))
        fprintf(stderr, "curator %s: exit %d: %s", argv[3], rc,
                serr ? serr : "");
    if (out)
        *out = sout;
    else
        free(sout);
    free(serr);
    return rc;
}

#define CLI(fx, out, ...) \
    cli_run((fx), (out), (const char *const[]){ __VA_ARGS__, NULL })

static int
feed_row(void *ctx, const struct store_feed *f)
{
    long long *ids = ctx;
    for (int i = 0; i < 8; i++)
        if (ids[i] == 0) {
            ids[i] = f->id;
            break;
        }
    return 0;
}

/* A temp folder with a config, n users each reading every feed with the
 * four interests, the feeds polled and scored. */
static struct fx *
world(int n_users, unsigned smtp_port, const char *base_url)
{
    struct fx *fx = calloc(1, sizeof *fx);
    struct store *st;
    long long feeds[8] = { 0 };
    char *spool;

    assert_non_null(fx);
    assert_true(n_users <= MAX_USERS);
    fx->dir = t_mkdtemp();
    assert_non_null(fx->dir);
    fx->build = realpath(t_build_dir(), NULL);
    assert_non_null(fx->build);
    assert_non_null(getcwd(fx->cwd, sizeof fx->cwd));
    assert_true(asprintf(&fx->cli, "%s/curator", fx->build) > 0);
    assert_true(asprintf(&fx->db, "%s/curator.db", fx->dir) > 0);
    assert_true(asprintf(&fx->maildir, "%s/mail", fx->dir) > 0);
    assert_true(asprintf(&fx->log, "%s/curatord.log", fx->dir) > 0);
    assert_true(asprintf(&spool, "%s/spool", fx->dir) > 0);
    assert_int_equal(mkdir(fx->maildir, 0700), 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    free(spool);
    write_config(fx, smtp_port, base_url);
    assert_int_equal(CLI(fx, NULL, "init"), 0);

    assert_int_equal(store_open(fx->db, &st), CUR_OK);
    assert_int_equal(store_feed_list(st, feed_row, feeds), CUR_OK);
    assert_true(feeds[3] > 0);
    for (int u = 0; u < n_users; u++) {
        char email[64];
        static const char *const first[] = { "ann", "bob" };
        if (u < 2)
            snprintf(fx->name[u], sizeof fx->name[u], "%s", first[u]);
        else
            snprintf(fx->name[u], sizeof fx->name[u], "user%02d", u);
        snprintf(email, sizeof email, "%s@example.org", fx->name[u]);
        assert_int_equal(store_user_add(st, fx->name[u], email,
                                        &fx->uid[u]), CUR_OK);
        for (int f = 0; f < 8 && feeds[f]; f++)
            assert_int_equal(store_subscribe(st, fx->uid[u], feeds[f]),
                             CUR_OK);
        for (size_t i = 0; i < sizeof interests / sizeof *interests; i++)
            assert_int_equal(store_interest_add(st, fx->uid[u],
                                                interests[i], 1.0),
                             CUR_OK);
    }
    store_close(st);
    fx->n_users = n_users;
    assert_int_equal(CLI(fx, NULL, "poll", "--all"), 0);
    return fx;
}

static void
world_free(struct fx *fx)
{
    if (getenv("CURATOR_TEST_KEEP"))
        fprintf(stderr, "kept %s\n", fx->dir);
    else
        t_rmtree(fx->dir);
    free(fx->dir);
    free(fx->cfg);
    free(fx->db);
    free(fx->maildir);
    free(fx->log);
    free(fx->cli);
    free(fx->build);
    free(fx);
}

/* The daily period holding 'now' in UTC with the default hour (07:00):
 * its start and its key, computed here independently of digest_time.c. */
static long long
period_of(long long now, char *key, size_t len)
{
    long long start = now - 7 * 3600;
    start -= ((start % 86400) + 86400) % 86400;
    start += 7 * 3600;
    time_t t = (time_t)start;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(key, len, "%Y-%m-%d", &tm);
    return start;
}

/* Parse files with the Python helper; returns the JSON array. */
static json_t *
py_parse(char *const *files, int n)
{
    char *argv[64], *out = NULL, *err = NULL;
    json_error_t e;
    int k = 0;

    assert_true(n < 60);
    argv[k++] = "/usr/bin/python3";
    argv[k++] = PY_HELPER;
    for (int i = 0; i < n; i++)
        argv[k++] = files[i];
    argv[k] = NULL;
    int rc = t_run(argv, &out, &err);
    if (rc != 0)
        fail_msg("%s exited %d: %s", PY_HELPER, rc, err ? err : "");
    json_t *arr = json_loads(out ? out : "", 0, &e);
    if (arr == NULL || !json_is_array(arr))
        fail_msg("%s printed no JSON array: %s", PY_HELPER, out);
    free(out);
    free(err);
    return arr;
}

static const char *
js(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || !json_is_string(v))
        fail_msg("JSON member '%s' is not a string", key);
    return json_string_value(v);
}

static void
assert_has(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL)
        fail_msg("'%s' not found in:\n%s", needle, hay ? hay : "(null)");
}

static char *
mail_path(struct fx *fx, int n)
{
    char *p;
    assert_true(asprintf(&p, "%s/%04d.eml", fx->maildir, n) > 0);
    return p;
}

/* The Message-ID header's value, between the angle brackets (free()). */
static char *
message_id_of(const char *msg)
{
    const char *h = msg;
    while (h && strncmp(h, "Message-ID: <", 13) != 0) {
        h = strstr(h, "\r\n");
        if (h == NULL || h[2] == '\r')
            return NULL;        /* end of the header */
        h += 2;
    }
    const char *e = strchr(h + 13, '>');
    return e ? strndup(h + 13, (size_t)(e - h - 13)) : NULL;
}

/* How many stored messages carry 'mid'; -1 if one has no Message-ID. */
static int
count_message_id(struct fx *fx, const char *mid)
{
    int n = 0, total = t_smtp_count(fx->maildir);
    for (int i = 1; i <= total; i++) {
        char *msg = t_smtp_message(fx->maildir, i, NULL);
        char *id = msg ? message_id_of(msg) : NULL;
        if (id == NULL) {
            free(msg);
            return -1;
        }
        n += strcmp(id, mid) == 0;
        free(id);
        free(msg);
    }
    return n;
}

/* The outbox as the store sees it. */
struct ob_row {
    long long id, user_id;
    char status[16], mid[256], error[512];
    int attempts;
};

struct ob_list {
    struct ob_row r[64];
    int n;
};

static int
ob_row(void *ctx, const struct store_outbox *m)
{
    struct ob_list *l = ctx;
    if (l->n == 64)
        return 0;
    struct ob_row *r = &l->r[l->n++];
    r->id = m->id;
    r->user_id = m->user_id;
    r->attempts = m->attempts;
    snprintf(r->status, sizeof r->status, "%s", m->status);
    snprintf(r->mid, sizeof r->mid, "%s", m->message_id);
    snprintf(r->error, sizeof r->error, "%s",
             m->last_error ? m->last_error : "");
    return 0;
}

static void
outbox(struct fx *fx, struct ob_list *l)
{
    struct store *st;
    memset(l, 0, sizeof *l);
    assert_int_equal(store_open(fx->db, &st), CUR_OK);
    assert_int_equal(store_outbox_list(st, 64, ob_row, l), CUR_OK);
    store_close(st);
}

/* The item count and Message-ID `curator digest preview` reports. */
static void
preview(struct fx *fx, const char *user, int *n_items, char *mid,
        size_t len, char **text)
{
    char *argv[8], *out = NULL, *err = NULL;
    argv[0] = fx->cli;
    argv[1] = "-c";
    argv[2] = fx->cfg;
    argv[3] = "digest";
    argv[4] = "preview";
    argv[5] = (char *)user;
    argv[6] = NULL;
    assert_int_equal(t_run(argv, &out, &err), 0);
    const char *p = strstr(err, "digest preview for ");
    assert_non_null(p);
    p = strchr(p, ':');
    assert_non_null(p);
    *n_items = atoi(p + 1);
    p = strstr(p, "Message-ID <");
    assert_non_null(p);
    const char *e = strchr(p + 12, '>');
    assert_non_null(e);
    snprintf(mid, len, "%.*s", (int)(e - p - 12), p + 12);
    *text = out;
    free(err);
}

static void
test_digest_parses_back(void **state)
{
    (void)state;
    struct fx *fx = world(2, 1, HTTPS_BASE);
    struct t_smtp *smtp = t_smtp_start(fx->maildir, "accept");
    assert_non_null(smtp);
    write_config(fx, t_smtp_port(smtp), HTTPS_BASE);

    /* What the preview promises is what is sent. */
    int n_items;
    char want_mid[256], key[16], *ptext, *feed_url = NULL;
    long long at_preview = (long long)time(NULL);
    preview(fx, "ann", &n_items, want_mid, sizeof want_mid, &ptext);
    assert_true(n_items >= 10);
    assert_has(ptext, "Hello ann,");
    free(ptext);
    assert_int_equal(CLI(fx, &feed_url, "digest", "feed-url", "ann"), 0);
    feed_url[strcspn(feed_url, "\n")] = '\0';
    assert_int_equal(strncmp(feed_url, "https://curator.example.org/feed/",
                             33), 0);

    long long before = (long long)time(NULL);
    char *out = NULL;
    assert_int_equal(CLI(fx, &out, "digest", "send", "ann"), 0);
    assert_has(out, "outbox: 1 sent, 0 failed");
    free(out);
    long long after = (long long)time(NULL);
    assert_int_equal(t_smtp_count(fx->maildir), 1);

    /* Message-ID digest.UID.PERIODKEY.START@domain, from the clock here
     * (either side of the call, in case it crossed 07:00 UTC). */
    char mid_a[256], mid_b[256];
    long long start = period_of(before, key, sizeof key);
    snprintf(mid_a, sizeof mid_a, "<digest.%lld.%s.%lld@curator.example.org>",
             fx->uid[0], key, start);
    start = period_of(after, key, sizeof key);
    snprintf(mid_b, sizeof mid_b, "<digest.%lld.%s.%lld@curator.example.org>",
             fx->uid[0], key, start);

    /* The envelope: our From, one recipient, nothing from the feeds. */
    char *env = t_smtp_envelope(fx->maildir, 1);
    assert_non_null(env);
    assert_has(env, "\nMAIL FROM:<" FROM_ADDR ">\nRCPT TO:<ann@example.org>"
               "\n");
    assert_null(strstr(env, "evil"));
    assert_null(strstr(strstr(env, "RCPT") + 4, "RCPT"));
    free(env);

    char *files[1] = { mail_path(fx, 1) };
    json_t *arr = py_parse(files, 1), *m = json_array_get(arr, 0);
    assert_non_null(m);

    /* Exactly these headers, in this order: no Bcc from a title. */
    static const char *const names[] = {
        "Date", "From", "To", "Subject", "Message-ID", "List-Id",
        "List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted",
        "Precedence", "MIME-Version", "Content-Type",
    };
    json_t *hn = json_object_get(m, "header_names");
    assert_int_equal(json_array_size(hn), sizeof names / sizeof *names);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_string_equal(json_string_value(json_array_get(hn, i)),
                            names[i]);
    assert_int_equal(json_array_size(json_object_get(m, "defects")), 0);
    assert_true(json_is_true(json_object_get(m, "crlf_only")));
    assert_true(json_integer_value(json_object_get(m, "longest_line"))
                <= 998);

    /* Structure. */
    assert_string_equal(js(m, "content_type"), "multipart/alternative");
    json_t *types = json_object_get(m, "types");
    assert_int_equal(json_array_size(types), 3);
    assert_string_equal(json_string_value(json_array_get(types, 1)),
                        "text/plain");
    assert_string_equal(json_string_value(json_array_get(types, 2)),
                        "text/html");

    /* Headers, decoded. */
    const char *mid = js(m, "message_id");
    if (strcmp(mid, mid_a) != 0 && strcmp(mid, mid_b) != 0)
        fail_msg("Message-ID %s, expected %s", mid, mid_a);
    char bracketed[300], subject[128], key0[16], sent_mid[256];
    snprintf(sent_mid, sizeof sent_mid, "%.*s", (int)strlen(mid) - 2,
             mid + 1);
    if (period_of(at_preview, key0, sizeof key0) == start) {
        /* Not across 07:00 UTC: the preview was of this very digest. */
        snprintf(bracketed, sizeof bracketed, "<%s>", want_mid);
        assert_string_equal(mid, bracketed);
        snprintf(subject, sizeof subject, "Curator digest %s: %d items",
                 key, n_items);
        assert_string_equal(js(m, "subject"), subject);
    }
    snprintf(subject, sizeof subject, "Curator digest %s: ", key);
    assert_int_equal(strncmp(js(m, "subject"), subject, strlen(subject)),
                     0);
    json_t *from = json_array_get(json_object_get(m, "from"), 0);
    assert_string_equal(js(from, "name"), FROM_NAME);
    assert_string_equal(js(from, "addr"), FROM_ADDR);
    assert_int_equal(json_array_size(json_object_get(m, "to")), 1);
    json_t *to = json_array_get(json_object_get(m, "to"), 0);
    assert_string_equal(js(to, "name"), "ann");
    assert_string_equal(js(to, "addr"), "ann@example.org");
    long long date = json_integer_value(json_object_get(m, "date"));
    assert_true(date >= before && date <= after);
    assert_string_equal(js(m, "list_id"),
                        "Curator digest <digest.curator.example.org>");
    json_t *lu = json_object_get(m, "list_unsubscribe");
    assert_int_equal(json_array_size(lu), 2);
    const char *unsub = json_string_value(json_array_get(lu, 0));
    char prefix[96];
    snprintf(prefix, sizeof prefix,
             "https://curator.example.org/unsubscribe?u=%lld&t=",
             fx->uid[0]);
    assert_int_equal(strncmp(unsub, prefix, strlen(prefix)), 0);
    assert_true(strlen(unsub) > strlen(prefix) + 16);
    assert_string_equal(json_string_value(json_array_get(lu, 1)),
                        "mailto:" FROM_ADDR "?subject=unsubscribe");
    assert_string_equal(js(m, "list_unsubscribe_post"),
                        "List-Unsubscribe=One-Click");

    /* Bodies: the items, non-ASCII intact, the links. */
    static const char *const titles[] = {
        "Coaching à la française: ça marche — 日本語のコーチング 🎯",
        "Feedback über Grenzen: Ærøskøbing, Łódź, Ελληνικά",
        "Ünïcödé Mentoring — 日本語 Café",
        "Ask, then wait: the underrated skill of silence in coaching",
        "Mentor drop-in session: bring a stuck conversation",
    };
    const char *text = js(m, "text_flat"), *html = js(m, "html_text");
    for (size_t i = 0; i < sizeof titles / sizeof *titles; i++) {
        assert_has(text, titles[i]);
        assert_has(html, titles[i]);
    }
    assert_has(text, "Hello ann,");
    assert_has(text, ".last line after dots");
    assert_has(text, unsub);
    assert_has(text, feed_url);
    assert_has(text, "https://unicode.example.org/coaching");
    assert_has(js(m, "text"), js(m, "subject"));
    /* The hostile title is text in the body, not a header. */
    assert_has(text, "Bcc: intruder@evil.example");
    json_t *links = json_object_get(m, "html_links");
    size_t i;
    json_t *l;
    int found = 0;
    json_array_foreach(links, i, l) {
        const char *href = json_string_value(l);
        assert_int_equal(strncmp(href, "https://", 8), 0);
        found += strcmp(href, "https://unicode.example.org/feedback") == 0;
    }
    assert_int_equal(found, 1);
    assert_null(strstr(js(m, "html"), "<script"));
    json_decref(arr);
    free(files[0]);

    /* The same period again: nothing more is sent. */
    out = NULL;
    assert_int_equal(CLI(fx, &out, "digest", "send", "ann"), 0);
    assert_has(out, "outbox: 0 sent, 0 failed");
    free(out);
    assert_int_equal(t_smtp_count(fx->maildir), 1);

    /* Under an http base URL, List-Unsubscribe is the mailto alone and
     * there is no one-click header (RFC 8058 needs https). */
    write_config(fx, t_smtp_port(smtp), HTTP_BASE);
    assert_int_equal(CLI(fx, NULL, "digest", "send", "bob"), 0);
    assert_int_equal(t_smtp_count(fx->maildir), 2);
    files[0] = mail_path(fx, 2);
    arr = py_parse(files, 1);
    m = json_array_get(arr, 0);
    to = json_array_get(json_object_get(m, "to"), 0);
    assert_string_equal(js(to, "addr"), "bob@example.org");
    lu = json_object_get(m, "list_unsubscribe");
    assert_int_equal(json_array_size(lu), 1);
    assert_string_equal(json_string_value(json_array_get(lu, 0)),
                        "mailto:" FROM_ADDR "?subject=unsubscribe");
    assert_true(json_is_null(json_object_get(m, "list_unsubscribe_post")));
    snprintf(prefix, sizeof prefix, HTTP_BASE "/unsubscribe?u=%lld&t=",
             fx->uid[1]);
    assert_has(js(m, "text_flat"), prefix);
    assert_int_equal(json_array_size(json_object_get(m, "defects")), 0);
    json_decref(arr);
    free(files[0]);

    struct ob_list ob;
    outbox(fx, &ob);
    assert_int_equal(ob.n, 2);
    for (int k = 0; k < ob.n; k++) {
        assert_string_equal(ob.r[k].status, "sent");
        assert_int_equal(ob.r[k].attempts, 1);
    }
    out = NULL;
    assert_int_equal(CLI(fx, &out, "outbox", "list"), 0);
    assert_has(out, sent_mid);
    assert_has(out, "sent");
    free(out);

    free(feed_url);
    t_smtp_stop(smtp);
    world_free(fx);
}

/* A TCP relay from a fixed port to the SMTP server's, so the daemon's
 * configured port can be dead first and alive later. One connection at
 * a time, which is how curatord delivers. */
struct relay {
    int lfd, stop[2];
    unsigned upstream;
    pthread_t th;
};

static void
pump(int a, int b)
{
    struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
    char buf[8192];
    for (;;) {
        if (poll(p, 2, 30000) <= 0)
            return;
        for (int k = 0; k < 2; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[k].fd, buf, sizeof buf);
            if (n <= 0)
                return;
            for (ssize_t w = 0; w < n;) {
                ssize_t m = write(p[1 - k].fd, buf + w, (size_t)(n - w));
                if (m <= 0)
                    return;
                w += m;
            }
        }
    }
}

static void *
relay_main(void *arg)
{
    struct relay *r = arg;
    for (;;) {
        struct pollfd p[2] = { { r->lfd, POLLIN, 0 },
                               { r->stop[0], POLLIN, 0 } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        int c = accept(r->lfd, NULL, NULL);
        if (c < 0)
            continue;
        int u = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons(r->upstream) };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (u >= 0 && connect(u, (struct sockaddr *)&sa, sizeof sa) == 0)
            pump(c, u);
        if (u >= 0)
            close(u);
        close(c);
    }
    return NULL;
}

static struct relay *
relay_start(unsigned port, unsigned upstream)
{
    struct relay *r = calloc(1, sizeof *r);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons(port) };
    int one = 1;

    assert_non_null(r);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->upstream = upstream;
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(r->lfd >= 0);
    setsockopt(r->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(r->lfd, 16), 0);
    assert_int_equal(pipe(r->stop), 0);
    assert_int_equal(pthread_create(&r->th, NULL, relay_main, r), 0);
    return r;
}

static void
relay_stop(struct relay *r)
{
    assert_int_equal(write(r->stop[1], "x", 1), 1);
    pthread_join(r->th, NULL);
    close(r->lfd);
    close(r->stop[0]);
    close(r->stop[1]);
    free(r);
}

static pid_t
spawn_daemon(struct fx *fx)
{
    char *path, *errlog;
    assert_true(asprintf(&path, "%s/curatord", fx->build) > 0);
    assert_true(asprintf(&errlog, "%s/curatord.stderr", fx->dir) > 0);
    pid_t pid = fork();
    if (pid == 0) {
        if (freopen(errlog, "a", stderr) == NULL)
            _exit(126);
        execl(path, path, "-c", fx->cfg, (char *)NULL);
        _exit(127);
    }
    free(errlog);
    free(path);
    assert_true(pid > 0);
    return pid;
}

static int
wait_exit(pid_t pid, int ms)
{
    for (int waited = 0; waited <= ms; waited += 50) {
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid)
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        sleep_ms(50);
    }
    return -1;
}

struct deferred_ctx {
    struct fx *fx;
    int want;
};

/* Every user's digest is queued and was tried (and deferred) once. */
static int
all_deferred(void *arg)
{
    struct deferred_ctx *d = arg;
    struct ob_list l;
    int n = 0;
    outbox(d->fx, &l);
    for (int i = 0; i < l.n; i++)
        n += strcmp(l.r[i].status, "queued") == 0 && l.r[i].attempts >= 1
             && l.r[i].error[0] != '\0';
    return n == d->want && l.n == d->want;
}

static int
all_sent(void *arg)
{
    struct deferred_ctx *d = arg;
    struct ob_list l;
    int n = 0;
    outbox(d->fx, &l);
    for (int i = 0; i < l.n; i++)
        n += strcmp(l.r[i].status, "sent") == 0;
    return n == d->want && t_smtp_count(d->fx->maildir) >= d->want;
}

static void
test_server_down_then_up(void **state)
{
    (void)state;
    enum { USERS = 6 };
    unsigned port = t_free_port();
    struct fx *fx = world(USERS, port, HTTPS_BASE);
    struct deferred_ctx d = { fx, USERS };

    /* Nothing listens on 'port' yet: every attempt is refused. */
    pid_t pid = spawn_daemon(fx);
    if (!t_wait_for(all_deferred, &d, 20000)) {
        char *log = t_read_file(fx->log, NULL);
        fail_msg("digests not queued and deferred; log:\n%s", log);
    }
    struct ob_list ob;
    outbox(fx, &ob);
    for (int i = 0; i < ob.n; i++) {
        assert_int_equal(ob.r[i].attempts, 1);
        assert_non_null(strstr(ob.r[i].error, "onnect"));
    }

    /* The server comes up. The backoff (first retry 45-75 s after the
     * failure) keeps the daemon away for now... */
    struct t_smtp *smtp = t_smtp_start(fx->maildir, "accept");
    assert_non_null(smtp);
    struct relay *r = relay_start(port, t_smtp_port(smtp));
    sleep_ms(2500);
    assert_int_equal(t_smtp_count(fx->maildir), 0);

    /* ...so force the retry, as an operator would. */
    for (int i = 0; i < ob.n; i++) {
        char id[24], *out = NULL;
        snprintf(id, sizeof id, "%lld", ob.r[i].id);
        assert_int_equal(CLI(fx, &out, "outbox", "retry", id), 0);
        assert_has(out, "queued again");
        free(out);
    }
    if (!t_wait_for(all_sent, &d, 20000))
        fail_msg("only %d of %d digests arrived",
                 t_smtp_count(fx->maildir), USERS);
    /* A few more ticks: still exactly one each. */
    sleep_ms(2500);
    assert_int_equal(t_smtp_count(fx->maildir), USERS);
    outbox(fx, &ob);
    assert_int_equal(ob.n, USERS);
    for (int i = 0; i < ob.n; i++) {
        assert_string_equal(ob.r[i].status, "sent");
        assert_int_equal(ob.r[i].attempts, 2);
        assert_int_equal(count_message_id(fx, ob.r[i].mid), 1);
    }
    /* And each user got their own. */
    for (int u = 0; u < USERS; u++) {
        char want[64];
        int got = 0;
        snprintf(want, sizeof want, "RCPT TO:<%s@example.org>",
                 fx->name[u]);
        for (int n = 1; n <= USERS; n++) {
            char *env = t_smtp_envelope(fx->maildir, n);
            got += env && strstr(env, want) != NULL;
            free(env);
        }
        assert_int_equal(got, 1);
    }

    kill(pid, SIGTERM);
    assert_int_equal(wait_exit(pid, 10000), 0);
    relay_stop(r);
    t_smtp_stop(smtp);
    world_free(fx);
}

/* Send ann's digest to a server in 'mode'; returns the outbox row. */
static void
send_refused(struct fx *fx, const char *mode, int want_rc,
             struct ob_row *row)
{
    struct t_smtp *smtp = t_smtp_start(fx->maildir, mode);
    struct ob_list ob;
    char *out = NULL;

    assert_non_null(smtp);
    write_config(fx, t_smtp_port(smtp), HTTPS_BASE);
    assert_int_equal(CLI(fx, &out, "digest", "send", "ann"), want_rc);
    free(out);
    t_smtp_stop(smtp);
    assert_int_equal(t_smtp_count(fx->maildir), 0);
    outbox(fx, &ob);
    assert_int_equal(ob.n, 1);
    *row = ob.r[0];
}

static void
test_refusals_and_retry(void **state)
{
    (void)state;
    struct fx *fx = world(1, 1, HTTPS_BASE);
    struct ob_row row;
    char id[24], *out = NULL;

    /* 550 at RCPT: failed for good, the reply kept. */
    send_refused(fx, "reject550", 1, &row);
    assert_string_equal(row.status, "failed");
    assert_int_equal(row.attempts, 1);
    assert_string_equal(row.error, "550 5.1.1 mailbox unavailable");
    assert_int_equal(CLI(fx, &out, "outbox", "list"), 0);
    assert_has(out, "failed");
    assert_has(out, "550 5.1.1 mailbox unavailable");
    assert_has(out, row.mid);
    free(out);
    const struct ob_row first = row;

    /* Retried while the server still refuses: the same message, the
     * same answer, no second row. */
    snprintf(id, sizeof id, "%lld", first.id);
    assert_int_equal(CLI(fx, NULL, "outbox", "retry", id), 0);
    send_refused(fx, "reject550multi", 1, &row);
    assert_int_equal(row.id, first.id);
    assert_string_equal(row.mid, first.mid);
    assert_string_equal(row.status, "failed");
    assert_int_equal(row.attempts, 2);
    assert_has(row.error, "550 5.1.1 mailbox unavailable");
    assert_has(row.error, "https://example.org/550");

    /* 554 after DATA: failed too. */
    assert_int_equal(CLI(fx, NULL, "outbox", "retry", id), 0);
    send_refused(fx, "reject554data", 1, &row);
    assert_string_equal(row.status, "failed");
    assert_string_equal(row.error, "554 5.6.0 message refused");

    /* 451: deferred, not failed. */
    assert_int_equal(CLI(fx, NULL, "outbox", "retry", id), 0);
    send_refused(fx, "tempfail451", 1, &row);
    assert_string_equal(row.status, "queued");
    assert_int_equal(row.attempts, 4);
    assert_string_equal(row.error, "451 4.3.0 try again later");

    /* Broken ids are refused. */
    assert_int_not_equal(CLI(fx, NULL, "outbox", "retry", "999"), 0);
    assert_int_not_equal(CLI(fx, NULL, "outbox", "retry", "abc"), 0);
    assert_int_not_equal(CLI(fx, NULL, "outbox", "retry", "-1"), 0);
    assert_int_not_equal(CLI(fx, NULL, "outbox", "retry", ""), 0);

    /* Re-queued and delivered to a server that accepts, once. */
    struct t_smtp *smtp = t_smtp_start(fx->maildir, "accept");
    assert_non_null(smtp);
    write_config(fx, t_smtp_port(smtp), HTTPS_BASE);
    assert_int_equal(CLI(fx, &out, "outbox", "retry", id), 0);
    assert_has(out, "queued again");
    free(out);
    struct ob_list ob;
    outbox(fx, &ob);
    assert_string_equal(ob.r[0].status, "queued");
    assert_int_equal(CLI(fx, &out, "digest", "send", "ann"), 0);
    assert_has(out, "outbox: 1 sent, 0 failed");
    free(out);
    assert_int_equal(t_smtp_count(fx->maildir), 1);
    assert_int_equal(count_message_id(fx, first.mid), 1);
    outbox(fx, &ob);
    assert_int_equal(ob.n, 1);
    assert_string_equal(ob.r[0].status, "sent");
    assert_int_equal(ob.r[0].attempts, 5);

    /* A sent message is not retried. */
    assert_int_not_equal(CLI(fx, NULL, "outbox", "retry", id), 0);
    assert_int_equal(CLI(fx, NULL, "digest", "send", "ann"), 0);
    assert_int_equal(t_smtp_count(fx->maildir), 1);

    t_smtp_stop(smtp);
    world_free(fx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_parses_back),
        cmocka_unit_test(test_server_down_then_up),
        cmocka_unit_test(test_refusals_and_retry),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
