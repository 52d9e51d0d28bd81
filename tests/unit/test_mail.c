/* Unit tests for curator/mail.h.
 *
 * SMTP delivery runs against a real server, tests/support/smtp_server.py
 * (aiosmtpd) on 127.0.0.1, in each of its modes: the stored message and
 * envelope are compared byte for byte, and every refusal is checked for
 * its status and reply text. A port with nothing behind it and a
 * listener that never speaks give the network failures. Spool mode,
 * the secrets file, the configuration check and the classification of
 * libcurl results are checked on their own.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "mail.h"
#include "smtp.h"
#include "support.h"

#define FROM "digest@curator.test"
#define USER "curator"
#define PASSWORD "s3cret-Pa55word"

/* A digest-shaped message whose body needs dot-stuffing and tries to
 * smuggle a second transaction. */
static const char MSG[] =
    "From: Curator <digest@curator.test>\r\n"
    "To: a@example.org\r\n"
    "Subject: Your digest\r\n"
    "Message-ID: <d1@curator.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "First line\r\n"
    ".\r\n"
    "..two dots\r\n"
    ".one dot\r\n"
    "MAIL FROM:<x@evil.test>\r\n"
    "caf\xc3\xa9\r\n";

static const char *const ONE[] = { "a@example.org" };

struct fx {
    char *dir;                  /* the server's maildir, or the spool */
    struct t_smtp *smtp;
    char url[64];
    struct mail_config cfg;
    char reply[MAIL_REPLY_MAX];
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL || (fx->dir = t_mkdtemp()) == NULL)
        return -1;
    fx->cfg.connect_timeout_ms = 5000;
    fx->cfg.timeout_ms = 10000;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    t_smtp_stop(fx->smtp);
    /* test_smtp_auth logs to a file at debug level; undo that. */
    log_close();
    log_set_level(LOG_INFO);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* Point fx->cfg at smtp://127.0.0.1:port. */
static void
use_port(struct fx *fx, unsigned port)
{
    snprintf(fx->url, sizeof fx->url, "smtp://127.0.0.1:%u", port);
    fx->cfg.smtp_url = fx->url;
}

static void
start_server(struct fx *fx, const char *mode)
{
    fx->smtp = strcmp(mode, "auth") == 0
               ? t_smtp_start_auth(fx->dir, USER, PASSWORD)
               : t_smtp_start(fx->dir, mode);
    if (fx->smtp == NULL)
        fail_msg("the SMTP test server did not start (reason above); it "
                 "needs /usr/bin/python3 with aiosmtpd: make deps installs "
                 "python3-aiosmtpd");
    use_port(fx, t_smtp_port(fx->smtp));
}

static enum mail_status
send1(struct fx *fx, const char *msg)
{
    return mail_deliver(&fx->cfg, FROM, ONE, 1, "<d1@curator.test>", msg,
                        strlen(msg), fx->reply, sizeof fx->reply);
}

static long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket listening on 127.0.0.1 that never accepts: the kernel
 * completes the handshake and then nothing is ever said. */
static int
silent_listener(unsigned *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* Did anybody connect to the silent listener? */
static int
someone_connected(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int c;

    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    c = accept(fd, NULL, NULL);
    fcntl(fd, F_SETFL, fl);
    if (c >= 0) {
        close(c);
        return 1;
    }
    return 0;
}

/* ---- SMTP against the real server ---- */

static void
test_smtp_accept(void **state)
{
    struct fx *fx = *state;
    static const char *const two[] = { "a@example.org", "b@example.org" };
    size_t len;
    char *got, *env;

    start_server(fx, "accept");
    fx->cfg.helo_name = "curator.test";
    assert_int_equal(mail_deliver(&fx->cfg, FROM, two, 2, "<d1@x>", MSG,
                                  strlen(MSG), fx->reply,
                                  sizeof fx->reply), MAIL_SENT);
    assert_string_equal(fx->reply, "250 2.0.0 OK queued as 0001");

    /* One transaction; the bytes arrive unchanged once unstuffed. */
    assert_int_equal(t_smtp_count(fx->dir), 1);
    got = t_smtp_message(fx->dir, 1, &len);
    assert_non_null(got);
    assert_int_equal(len, strlen(MSG));
    assert_memory_equal(got, MSG, len);
    free(got);
    env = t_smtp_envelope(fx->dir, 1);
    assert_non_null(env);
    assert_string_equal(env, "EHLO curator.test\n"
                        "MAIL FROM:<digest@curator.test>\n"
                        "RCPT TO:<a@example.org>\n"
                        "RCPT TO:<b@example.org>\n");
    free(env);

    /* Without its final CRLF, the message gets one before the dot. */
    assert_int_equal(send1(fx, "Subject: x\r\n\r\nno end"), MAIL_SENT);
    assert_string_equal(fx->reply, "250 2.0.0 OK queued as 0002");
    got = t_smtp_message(fx->dir, 2, &len);
    assert_non_null(got);
    assert_string_equal(got, "Subject: x\r\n\r\nno end\r\n");
    free(got);

    /* A line of exactly MAIL_LINE_MAX bytes, starting with a dot. */
    char *longmsg = malloc(MAIL_LINE_MAX + 32);
    assert_non_null(longmsg);
    strcpy(longmsg, "Subject: y\r\n\r\n");
    size_t at = strlen(longmsg);
    memset(longmsg + at, 'x', MAIL_LINE_MAX);
    longmsg[at] = '.';
    strcpy(longmsg + at + MAIL_LINE_MAX, "\r\n");
    assert_int_equal(send1(fx, longmsg), MAIL_SENT);
    got = t_smtp_message(fx->dir, 3, &len);
    assert_non_null(got);
    assert_string_equal(got, longmsg);
    free(got);
    free(longmsg);
    assert_int_equal(t_smtp_count(fx->dir), 3);
}

static void
test_smtp_reject550(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "reject550");
    assert_int_equal(send1(fx, MSG), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "550 5.1.1 mailbox unavailable");
    assert_int_equal(t_smtp_count(fx->dir), 0);

    /* A short reply buffer gets a cut, terminated reply. */
    char small[8];
    memset(small, 'z', sizeof small);
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, NULL, MSG,
                                  strlen(MSG), small, sizeof small),
                     MAIL_PERMFAIL);
    assert_string_equal(small, "550 5.1");
}

static void
test_smtp_multiline_reply(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "reject550multi");
    assert_int_equal(send1(fx, MSG), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "550 5.1.1 mailbox unavailable 5.1.1 "
                        "see https://example.org/550");
}

static void
test_smtp_reject554_after_data(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "reject554data");
    assert_int_equal(send1(fx, MSG), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "554 5.6.0 message refused");
    assert_int_equal(t_smtp_count(fx->dir), 0);
}

static void
test_smtp_tempfail451_after_data(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "tempfail451");
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_string_equal(fx->reply, "451 4.3.0 try again later");
    assert_int_equal(t_smtp_count(fx->dir), 0);
}

static void
test_smtp_tempfail451_rcpt(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "tempfail451rcpt");
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_string_equal(fx->reply, "451 4.3.0 try again later");
    assert_int_equal(t_smtp_count(fx->dir), 0);
}

static void
test_smtp_server_down(void **state)
{
    struct fx *fx = *state;
    unsigned port = t_free_port();
    char where[64];
    long t0;

    assert_true(port > 0);
    use_port(fx, port);
    t0 = now_ms();
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_true(now_ms() - t0 < 2000);
    snprintf(where, sizeof where, "127.0.0.1 port %u", port);
    if (strstr(fx->reply, where) == NULL)
        fail_msg("reply does not name the server: %s", fx->reply);
}

static void
test_smtp_silent_server_times_out(void **state)
{
    struct fx *fx = *state;
    unsigned port;
    int fd = silent_listener(&port);
    long t0, took;

    use_port(fx, port);

    /* The whole-attempt limit. */
    fx->cfg.connect_timeout_ms = 0;
    fx->cfg.timeout_ms = 700;
    t0 = now_ms();
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    took = now_ms() - t0;
    if (took < 600 || took > 2500)
        fail_msg("timeout of 700 ms took %ld ms", took);
    if (strstr(fx->reply, "timed out") == NULL)
        fail_msg("reply: %s", fx->reply);

    /* The connect limit covers the wait for the greeting too. */
    fx->cfg.connect_timeout_ms = 500;
    fx->cfg.timeout_ms = 20000;
    t0 = now_ms();
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    took = now_ms() - t0;
    if (took < 400 || took > 2500)
        fail_msg("connect timeout of 500 ms took %ld ms", took);
    close(fd);
}

static void
test_smtp_auth(void **state)
{
    struct fx *fx = *state;
    char *logpath, *log, *env;

    /* Every debug line of these attempts goes to a file, which must not
     * hold the password either (WEB-9). */
    assert_true(asprintf(&logpath, "%s/.debug.log", fx->dir) > 0);
    assert_int_equal(log_open(logpath, LOG_DEBUG), CUR_OK);

    start_server(fx, "auth");
    fx->cfg.username = USER;
    fx->cfg.password = PASSWORD;
    assert_int_equal(send1(fx, MSG), MAIL_SENT);
    assert_string_equal(fx->reply, "250 2.0.0 OK queued as 0001");
    env = t_smtp_envelope(fx->dir, 1);
    assert_non_null(env);
    assert_non_null(strstr(env, "\nAUTH curator\n"));
    free(env);

    fx->cfg.password = "wrong-" PASSWORD;
    assert_int_equal(send1(fx, MSG), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "535 5.7.8 Authentication credentials "
                        "invalid");

    /* No credentials at all: the server wants AUTH before MAIL. */
    fx->cfg.username = NULL;
    fx->cfg.password = NULL;
    assert_int_equal(send1(fx, MSG), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "530 5.7.0 Authentication required");
    assert_int_equal(t_smtp_count(fx->dir), 1);

    log_close();
    log = t_read_file(logpath, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "status=permfail"));
    assert_null(strstr(log, PASSWORD));
    free(log);
    free(logpath);
}

static void
test_smtp_password_masked_in_reply(void **state)
{
    struct fx *fx = *state;
    static const char *const rcpt[] = { "s3cret@example.org" };

    /* A server that quotes the recipient back would quote a password
     * equal to it; the reply masks it. */
    start_server(fx, "reject550");
    fx->cfg.username = "u";
    fx->cfg.password = "mailbox";
    assert_int_equal(mail_deliver(&fx->cfg, FROM, rcpt, 1, NULL, MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "550 5.1.1 ******* unavailable");
}

static void
test_smtp_tls_failures(void **state)
{
    struct fx *fx = *state;

    start_server(fx, "accept");

    /* Implicit TLS towards a plain-text server. */
    snprintf(fx->url, sizeof fx->url, "smtps://127.0.0.1:%u",
             t_smtp_port(fx->smtp));
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_true(fx->reply[0] != '\0');

    /* STARTTLS required, and the server offers none. */
    use_port(fx, t_smtp_port(fx->smtp));
    fx->cfg.require_tls = 1;
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    if (strstr(fx->reply, "STARTTLS") == NULL)
        fail_msg("reply: %s", fx->reply);
    assert_int_equal(t_smtp_count(fx->dir), 0);
}

static void
test_hostile_addresses_refused_offline(void **state)
{
    struct fx *fx = *state;
    static const char *const bad[] = {
        "a@b\r\nRCPT TO:<x@y>", "a@b\nDATA", "a@b\r", "<a@b>", "a@b>",
        "a@b> SIZE=1", "a b@c", "", "nodomain", "a@b@c", "a\t@b",
        "a@b\x7f", "\xc3\xa9@b",
    };
    unsigned port;
    int fd = silent_listener(&port);

    use_port(fx, port);
    fx->cfg.timeout_ms = 2000;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *rcpt[] = { "ok@example.org", bad[i] };
        assert_int_equal(mail_deliver(&fx->cfg, FROM, rcpt, 2, NULL, MSG,
                                      strlen(MSG), fx->reply,
                                      sizeof fx->reply), MAIL_PERMFAIL);
        assert_non_null(strstr(fx->reply, "refused recipient address"));
        assert_null(strpbrk(fx->reply, "\r\n"));
        assert_int_equal(mail_deliver(&fx->cfg, bad[i], ONE, 1, NULL, MSG,
                                      strlen(MSG), fx->reply,
                                      sizeof fx->reply), MAIL_PERMFAIL);
        assert_non_null(strstr(fx->reply, "refused sender address"));
    }
    /* The address is shown escaped, never raw. */
    const char *rcpt[] = { bad[0] };
    assert_int_equal(mail_deliver(&fx->cfg, FROM, rcpt, 1, NULL, MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "refused recipient address "
                        "'a@b\\x0d\\x0aRCPT\\x20TO:<x@y>'");
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 0, NULL, MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "no recipients");
    assert_int_equal(mail_deliver(&fx->cfg, NULL, ONE, 1, NULL, MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    assert_false(someone_connected(fd));
    close(fd);
}

static void
test_hostile_messages_refused_offline(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *msg;
        size_t len;
        const char *why;
    } bad[] = {
        { "Subject: a\r\n\r\nx\n.\nMAIL FROM:<e@v>\r\n", 0,
          "message line 3: bare LF" },
        { "Subject: a\r\n\r\nx\r.\r\n", 0, "message line 3: bare CR" },
        { "Subject: a\r\n\r\nx\r\n.\r", 0, "message line 4: bare CR" },
        { "\nSubject: a\r\n", 0, "message line 1: bare LF" },
        { "Subject: a\r\n\0\r\n", 15, "message line 2: NUL byte" },
        { "", 0, "empty message" },
    };
    unsigned port;
    int fd = silent_listener(&port);

    use_port(fx, port);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len = bad[i].len ? bad[i].len : strlen(bad[i].msg);
        assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, NULL,
                                      bad[i].msg, len, fx->reply,
                                      sizeof fx->reply), MAIL_PERMFAIL);
        assert_string_equal(fx->reply, bad[i].why);
    }

    /* One byte over the line limit, with and without the final CRLF. */
    char *m = malloc(MAIL_LINE_MAX + 32);
    assert_non_null(m);
    strcpy(m, "Subject: a\r\n\r\n");
    size_t at = strlen(m);
    memset(m + at, 'x', MAIL_LINE_MAX + 1);
    m[at + MAIL_LINE_MAX + 1] = '\0';
    assert_int_equal(send1(fx, m), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "message line 3: over 998 bytes");
    strcpy(m + at + MAIL_LINE_MAX + 1, "\r\n");
    assert_int_equal(send1(fx, m), MAIL_PERMFAIL);
    assert_string_equal(fx->reply, "message line 3: over 998 bytes");
    free(m);

    assert_false(someone_connected(fd));
    close(fd);
}

/* ---- spool mode ---- */

/* Names in 'dir' other than "." and "..", joined by spaces, sorted. */
static char *
listing(const char *dir)
{
    struct dirent **names;
    char *out = calloc(1, 4096);
    int n = scandir(dir, &names, NULL, alphasort);

    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
            if (out[0])
                strcat(out, " ");
            strncat(out, names[i]->d_name, 4000 - strlen(out));
        }
        free(names[i]);
    }
    free(names);
    return out;
}

static void
test_spool_write(void **state)
{
    struct fx *fx = *state;
    char *path, *got, *ls, want[4200];
    struct stat st;
    size_t len;

    fx->cfg.spool_dir = fx->dir;
    assert_int_equal(send1(fx, MSG), MAIL_SENT);
    assert_true(asprintf(&path, "%s/d1@curator.test.eml", fx->dir) > 0);
    snprintf(want, sizeof want, "spooled %s", path);
    assert_string_equal(fx->reply, want);
    got = t_read_file(path, &len);
    assert_non_null(got);
    assert_int_equal(len, strlen(MSG));
    assert_memory_equal(got, MSG, len);
    free(got);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* No temporary file is left behind. */
    ls = listing(fx->dir);
    assert_string_equal(ls, "d1@curator.test.eml");
    free(ls);
    free(path);
}

static void
test_spool_resend_is_idempotent(void **state)
{
    struct fx *fx = *state;
    char *path, *got, *ls, want[4200];

    fx->cfg.spool_dir = fx->dir;
    assert_int_equal(send1(fx, MSG), MAIL_SENT);
    assert_int_equal(send1(fx, MSG), MAIL_SENT);
    assert_true(asprintf(&path, "%s/d1@curator.test.eml", fx->dir) > 0);
    snprintf(want, sizeof want, "already spooled %s", path);
    assert_string_equal(fx->reply, want);

    /* Another message under the same Message-ID is refused, and the
     * first stays as it was. */
    assert_int_equal(send1(fx, "Subject: other\r\n\r\nx\r\n"),
                     MAIL_PERMFAIL);
    snprintf(want, sizeof want, "%s: exists with different content", path);
    assert_string_equal(fx->reply, want);
    /* Same length, different bytes. */
    char *twin = strdup(MSG);
    twin[strlen(twin) - 3] ^= 1;
    assert_int_equal(send1(fx, twin), MAIL_PERMFAIL);
    free(twin);
    got = t_read_file(path, NULL);
    assert_string_equal(got, MSG);
    free(got);
    ls = listing(fx->dir);
    assert_string_equal(ls, "d1@curator.test.eml");
    free(ls);
    free(path);
}

static void
test_spool_names(void **state)
{
    static const struct {
        const char *id, *name;
    } ok[] = {
        { "<abc.123@curator.test>", "abc.123@curator.test" },
        { "abc@x", "abc@x" },
        { "../../x", "_2E._2F.._2Fx" },
        { "<a/b>", "a_2Fb" },
        { "a_b", "a_5Fb" },
        { "a b\r\n", "a_20b_0D_0A" },
        { "<<a>>", "_3Ca_3E" },
        { "caf\xc3\xa9", "caf_C3_A9" },
        { ".hidden", "_2Ehidden" },
        { "<", "_3C" },
    };
    char out[MAIL_SPOOL_NAME_MAX + 1], big[MAIL_SPOOL_NAME_MAX + 2];
    (void)state;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(mail_spool_name(ok[i].id, out, sizeof out), CUR_OK);
        assert_string_equal(out, ok[i].name);
    }
    assert_int_equal(mail_spool_name("", out, sizeof out), CUR_EINVAL);
    assert_int_equal(mail_spool_name("<>", out, sizeof out), CUR_EINVAL);
    assert_int_equal(mail_spool_name(NULL, out, sizeof out), CUR_EINVAL);
    /* At the cap, and one over it; and an output buffer too small. */
    memset(big, 'a', MAIL_SPOOL_NAME_MAX);
    big[MAIL_SPOOL_NAME_MAX] = '\0';
    assert_int_equal(mail_spool_name(big, out, sizeof out), CUR_OK);
    big[MAIL_SPOOL_NAME_MAX] = 'a';
    big[MAIL_SPOOL_NAME_MAX + 1] = '\0';
    assert_int_equal(mail_spool_name(big, out, sizeof out), CUR_EINVAL);
    assert_int_equal(mail_spool_name("abcd", out, 4), CUR_EINVAL);
    assert_int_equal(mail_spool_name("abc", out, 4), CUR_OK);
}

static void
test_spool_cannot_escape(void **state)
{
    struct fx *fx = *state;
    char *spool, *ls;

    /* The spool is a subfolder, so an escape would show up in fx->dir. */
    assert_true(asprintf(&spool, "%s/spool", fx->dir) > 0);
    assert_int_equal(mkdir(spool, 0700), 0);
    fx->cfg.spool_dir = spool;
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, "../../x", MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_SENT);
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, "<../y>", MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_SENT);
    ls = listing(fx->dir);
    assert_string_equal(ls, "spool");
    free(ls);
    ls = listing(spool);
    assert_string_equal(ls, "_2E._2F.._2Fx.eml _2E._2Fy.eml");
    free(ls);

    /* No usable id: refused without writing. */
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, "<>", MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, NULL, MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_PERMFAIL);
    ls = listing(spool);
    assert_string_equal(ls, "_2E._2F.._2Fx.eml _2E._2Fy.eml");
    free(ls);
    free(spool);
}

static void
test_spool_write_failures(void **state)
{
    struct fx *fx = *state;
    char *path, *ls;
    struct rlimit old, small;

    /* A folder that is not there. */
    assert_true(asprintf(&path, "%s/missing", fx->dir) > 0);
    fx->cfg.spool_dir = path;
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_non_null(strstr(fx->reply, path));
    assert_non_null(strstr(fx->reply, strerror(ENOENT)));
    free(path);

    /* A file where the folder should be. */
    path = t_write_file(fx->dir, "file", "x");
    fx->cfg.spool_dir = path;
    assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
    assert_non_null(strstr(fx->reply, path));
    assert_non_null(strstr(fx->reply, strerror(ENOTDIR)));
    unlink(path);
    free(path);

    /* A folder we may not write to (root may write anywhere). */
    assert_true(asprintf(&path, "%s/ro", fx->dir) > 0);
    assert_int_equal(mkdir(path, 0500), 0);
    fx->cfg.spool_dir = path;
    if (geteuid() != 0) {
        assert_int_equal(send1(fx, MSG), MAIL_TEMPFAIL);
        assert_non_null(strstr(fx->reply, path));
        assert_non_null(strstr(fx->reply, strerror(EACCES)));
    }
    chmod(path, 0700);

    /* A write that fails half-way, as on a full disk: a file size
     * limit makes write() fail with EFBIG. The temporary file goes. */
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    enum mail_status st = send1(fx, MSG);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(st, MAIL_TEMPFAIL);
    assert_non_null(strstr(fx->reply, path));
    assert_non_null(strstr(fx->reply, strerror(EFBIG)));
    ls = listing(path);
    assert_string_equal(ls, "");
    free(ls);

    /* Space again: the retry works. */
    assert_int_equal(send1(fx, MSG), MAIL_SENT);
    free(path);
}

/* ---- spool batches ---- */

#define MANY 150                /* over two of mail_spool_many()'s chunks */

/* Message number i of a batch: distinct bytes, "<m<i>@curator.test>". */
static char *
batch_msg(int i)
{
    char *m;
    assert_true(asprintf(&m, "Subject: number %d\r\n\r\nBody %d\r\n.\r\n",
                         i, i) > 0);
    return m;
}

/* Files in 'dir' whose name starts with '.': temporary ones left. */
static int
dot_files(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), dots = 0;

    assert_true(n >= 0);
    for (int i = 0; i < n; i++) {
        dots += names[i]->d_name[0] == '.' && strcmp(names[i]->d_name, ".")
                && strcmp(names[i]->d_name, "..");
        free(names[i]);
    }
    free(names);
    return dots;
}

static void
test_spool_many_batch(void **state)
{
    struct fx *fx = *state;
    static struct mail_job jobs[MANY];
    char *msgs[MANY], ids[MANY][40], want[4200];

    fx->cfg.spool_dir = fx->dir;
    for (int i = 0; i < MANY; i++) {
        msgs[i] = batch_msg(i);
        snprintf(ids[i], sizeof ids[i], "<m%d@curator.test>", i);
        jobs[i] = (struct mail_job){ .rcpt = ONE[0], .message_id = ids[i],
                                     .msg = msgs[i],
                                     .len = strlen(msgs[i]) };
    }
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, MANY), CUR_OK);
    for (int i = 0; i < MANY; i++) {
        char *path, *got;
        size_t len;
        assert_int_equal(jobs[i].status, MAIL_SENT);
        assert_true(asprintf(&path, "%s/m%d@curator.test.eml", fx->dir,
                             i) > 0);
        snprintf(want, sizeof want, "spooled %s", path);
        assert_string_equal(jobs[i].reply, want);
        got = t_read_file(path, &len);
        assert_non_null(got);
        assert_int_equal(len, strlen(msgs[i]));
        assert_memory_equal(got, msgs[i], len);
        free(got);
        free(path);
    }
    assert_int_equal(dot_files(fx->dir), 0);

    /* The same batch again (a crash before the outcome was recorded):
     * every file is found as it is, nothing is written twice. */
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, MANY), CUR_OK);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(jobs[i].status, MAIL_SENT);
        assert_non_null(strstr(jobs[i].reply, "already spooled "));
        free(msgs[i]);
    }
    assert_int_equal(dot_files(fx->dir), 0);
    /* Nothing to do is fine too. */
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, 0), CUR_OK);
}

/* Each job of a batch gets what mail_deliver() would give it alone. */
static void
test_spool_many_mixed(void **state)
{
    struct fx *fx = *state;
    char *ls, *got;

    fx->cfg.spool_dir = fx->dir;
    /* Already there: one with the same bytes, one with others. */
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, "<same@t>", MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_SENT);
    assert_int_equal(mail_deliver(&fx->cfg, FROM, ONE, 1, "<other@t>", MSG,
                                  strlen(MSG), fx->reply, sizeof fx->reply),
                     MAIL_SENT);
    struct mail_job jobs[] = {
        { .rcpt = ONE[0], .message_id = "<new@t>", .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<>", .msg = MSG },
        { .rcpt = "a@b\r\nRCPT TO:<x@evil.test>", .message_id = "<r@t>",
          .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<lf@t>", .msg = "a\nb\r\n" },
        { .rcpt = ONE[0], .message_id = "<same@t>", .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<other@t>",
          .msg = "Subject: x\r\n\r\ny\r\n" },
        /* One id twice in a batch: the second finds the first. */
        { .rcpt = ONE[0], .message_id = "<twice@t>", .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<twice@t>", .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<twice@t>",
          .msg = "Subject: x\r\n\r\ny\r\n" },
    };
    const size_t n = sizeof jobs / sizeof jobs[0];
    static const enum mail_status want[] = {
        MAIL_SENT, MAIL_PERMFAIL, MAIL_PERMFAIL, MAIL_PERMFAIL, MAIL_SENT,
        MAIL_PERMFAIL, MAIL_SENT, MAIL_SENT, MAIL_PERMFAIL,
    };
    static const char *const reply[] = {
        "spooled ", "unusable Message-ID for the spool file name",
        "refused recipient address", "message line 1: bare LF",
        "already spooled ", "exists with different content", "spooled ",
        "already spooled ", "exists with different content",
    };
    for (size_t i = 0; i < n; i++) {
        jobs[i].len = strlen(jobs[i].msg);
        jobs[i].status = MAIL_TEMPFAIL;     /* overwritten */
    }
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, n), CUR_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(jobs[i].status, want[i]);
        assert_non_null(strstr(jobs[i].reply, reply[i]));
    }
    ls = listing(fx->dir);
    assert_string_equal(ls, "new@t.eml other@t.eml same@t.eml twice@t.eml");
    free(ls);
    char *path;
    assert_true(asprintf(&path, "%s/other@t.eml", fx->dir) > 0);
    got = t_read_file(path, NULL);
    assert_string_equal(got, MSG);      /* left as it was */
    free(got);
    free(path);

    /* A bad sender refuses every job, and writes nothing. */
    for (size_t i = 0; i < n; i++)
        jobs[i].message_id = "<never@t>";
    assert_int_equal(mail_spool_many(&fx->cfg, "not an address", jobs, n),
                     CUR_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(jobs[i].status, MAIL_PERMFAIL);
        assert_non_null(strstr(jobs[i].reply, "refused sender address"));
    }
    ls = listing(fx->dir);
    assert_string_equal(ls, "new@t.eml other@t.eml same@t.eml twice@t.eml");
    free(ls);
}

static void
test_spool_many_refused(void **state)
{
    struct fx *fx = *state;
    struct mail_job jobs[2] = {
        { .rcpt = ONE[0], .message_id = "<a@t>", .msg = MSG },
        { .rcpt = ONE[0], .message_id = "<>", .msg = MSG },
    };
    char *path;

    jobs[0].len = jobs[1].len = strlen(MSG);
    /* Not for SMTP, nor without a configuration: no job is touched. */
    use_port(fx, 25);
    jobs[0].status = jobs[1].status = MAIL_PERMFAIL;
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, 2), CUR_EINVAL);
    assert_int_equal(mail_spool_many(NULL, FROM, jobs, 2), CUR_EINVAL);
    assert_int_equal(jobs[0].status, MAIL_PERMFAIL);
    fx->cfg.smtp_url = NULL;

    /* A folder that is not there: the message is not at fault. */
    assert_true(asprintf(&path, "%s/missing", fx->dir) > 0);
    fx->cfg.spool_dir = path;
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs, 2), CUR_OK);
    assert_int_equal(jobs[0].status, MAIL_TEMPFAIL);
    assert_non_null(strstr(jobs[0].reply, path));
    assert_non_null(strstr(jobs[0].reply, strerror(ENOENT)));
    assert_int_equal(jobs[1].status, MAIL_PERMFAIL);
    free(path);
}

/* A write failing half-way fails that job only, and leaves no
 * temporary file; the retry works. */
static void
test_spool_many_write_failure(void **state)
{
    struct fx *fx = *state;
    struct rlimit old, small;
    char big[200];
    struct mail_job jobs[3] = {
        { .rcpt = ONE[0], .message_id = "<small1@t>",
          .msg = "Subject: s\r\n\r\n1\r\n" },
        { .rcpt = ONE[0], .message_id = "<big@t>", .msg = big },
        { .rcpt = ONE[0], .message_id = "<small2@t>",
          .msg = "Subject: s\r\n\r\n2\r\n" },
    };
    char *ls;

    memset(big, 'x', sizeof big);
    memcpy(big, "Subject: b\r\n\r\n", 14);
    memcpy(big + sizeof big - 3, "\r\n", 3);
    for (int i = 0; i < 3; i++)
        jobs[i].len = strlen(jobs[i].msg);
    fx->cfg.spool_dir = fx->dir;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = mail_spool_many(&fx->cfg, FROM, jobs, 3);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, CUR_OK);
    assert_int_equal(jobs[0].status, MAIL_SENT);
    assert_int_equal(jobs[1].status, MAIL_TEMPFAIL);
    assert_non_null(strstr(jobs[1].reply, strerror(EFBIG)));
    assert_int_equal(jobs[2].status, MAIL_SENT);
    ls = listing(fx->dir);
    assert_string_equal(ls, "small1@t.eml small2@t.eml");
    free(ls);
    assert_int_equal(mail_spool_many(&fx->cfg, FROM, jobs + 1, 1), CUR_OK);
    assert_int_equal(jobs[1].status, MAIL_SENT);
}

/* ---- secrets ---- */

static char *
secrets_file(const char *dir, const char *text, mode_t mode)
{
    char *path = t_write_file(dir, "secrets", text);
    assert_non_null(path);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void
test_secrets_good(void **state)
{
    struct fx *fx = *state;
    char *path, *user, *pass, err[256];

    path = secrets_file(fx->dir, "# SMTP relay\r\n"
                        "\r\n"
                        "  username =  curator@example.org \r\n"
                        "; the password may hold = # and ;\n"
                        "password\t=\tp=w #x ;y\n", 0600);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_OK);
    assert_string_equal(user, "curator@example.org");
    assert_string_equal(pass, "p=w #x ;y");
    mail_secret_free(user);
    mail_secret_free(pass);

    /* Owner-only modes other than 0600 are fine too. */
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_OK);
    mail_secret_free(user);
    mail_secret_free(pass);
    mail_secret_free(NULL);
    unlink(path);
    free(path);
}

static void
test_secrets_refused(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *text;
        mode_t mode;
        int rc;
        const char *why;        /* after "PATH" */
    } bad[] = {
        { "username = u\npassword = hunter2\n", 0644, CUR_ECONFIG,
          ": mode 0644 lets group or others at the SMTP password; "
          "chmod 600 it" },
        { "username = u\npassword = hunter2\n", 0620, CUR_ECONFIG,
          ": mode 0620 lets group or others at the SMTP password; "
          "chmod 600 it" },
        { "username = u\npassword = hunter2\n", 0604, CUR_ECONFIG,
          ": mode 0604 lets group or others at the SMTP password; "
          "chmod 600 it" },
        { "username = u\n\nhunter2\n", 0600, CUR_ECONFIG,
          ":3: expected 'username = ...' or 'password = ...'" },
        { "username = u\nhunter2 = x\n", 0600, CUR_ECONFIG,
          ":2: unknown key (only username and password)" },
        { "[smtp]\nusername = u\n", 0600, CUR_ECONFIG,
          ":1: expected 'username = ...' or 'password = ...'" },
        { "username = u\nusername = v\npassword = p\n", 0600, CUR_ECONFIG,
          ":2: username given twice" },
        { "username = u\npassword =   \n", 0600, CUR_ECONFIG,
          ":2: password is empty" },
        { "username = u\npassword = hun\033ter2\n", 0600, CUR_ECONFIG,
          ":2: control character in password" },
        { "username = u\npassword = hun\rter2\n", 0600, CUR_ECONFIG,
          ":2: control character in password" },
        { "username = u\n", 0600, CUR_ECONFIG, ": no password" },
        { "password = hunter2", 0600, CUR_ECONFIG, ": no username" },
        { "", 0600, CUR_ECONFIG, ": no username" },
        { "Username = u\npassword = p\n", 0600, CUR_ECONFIG,
          ":1: unknown key (only username and password)" },
    };
    char *path, *user, *pass, err[512], want[512];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = secrets_file(fx->dir, bad[i].text, bad[i].mode);
        user = pass = (char *)"junk";
        assert_int_equal(mail_secrets_load(path, &user, &pass, err,
                                           sizeof err), bad[i].rc);
        assert_null(user);
        assert_null(pass);
        snprintf(want, sizeof want, "%s%s", path, bad[i].why);
        assert_string_equal(err, want);
        assert_null(strstr(err, "hunter2"));
        unlink(path);
        free(path);
    }

    /* A NUL inside a value. */
    path = secrets_file(fx->dir, "", 0600);
    FILE *f = fopen(path, "wb");
    fwrite("username = u\npassword = a\0b\n", 1, 28, f);
    fclose(f);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_ECONFIG);
    snprintf(want, sizeof want, "%s:2: control character in password",
             path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);

    /* Missing, a folder, and too big. */
    assert_true(asprintf(&path, "%s/none", fx->dir) > 0);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_EIO);
    snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
    assert_string_equal(err, want);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_ECONFIG);
    snprintf(want, sizeof want, "%s: not a regular file", path);
    assert_string_equal(err, want);
    free(path);
    char *huge = malloc(70000);
    memset(huge, '#', 69999);
    huge[69999] = '\0';
    path = secrets_file(fx->dir, huge, 0600);
    free(huge);
    assert_int_equal(mail_secrets_load(path, &user, &pass, err, sizeof err),
                     CUR_ECONFIG);
    snprintf(want, sizeof want, "%s: over 65536 bytes", path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);
}

/* ---- configuration and classification ---- */

static void
test_config_check(void **state)
{
    static const struct {
        const char *url, *helo, *user, *pass;
        const char *why;        /* NULL: accepted */
    } cases[] = {
        { "smtp://127.0.0.1:25", NULL, NULL, NULL, NULL },
        { "smtps://mail.example.org", "curator.example.org", "u", "p",
          NULL },
        { "smtp://[::1]:2525/", "[127.0.0.1]", NULL, NULL, NULL },
        { "http://example.org", NULL, NULL, NULL,
          "smtp_url must start smtp:// or smtps://" },
        { "file:///etc/passwd", NULL, NULL, NULL,
          "smtp_url must start smtp:// or smtps://" },
        { "example.org:25", NULL, NULL, NULL, "smtp_url is not a URL" },
        { "smtp://u:topsecret@example.org", NULL, NULL, NULL,
          "smtp_url must not hold credentials; use the secrets file" },
        { "smtp://;AUTH=PLAIN@example.org", NULL, NULL, NULL,
          "smtp_url must not hold credentials; use the secrets file" },
        { "smtp://example.org/helo.name", NULL, NULL, NULL,
          "smtp_url must be just scheme, host and port (the EHLO name "
          "goes in helo_name)" },
        { "smtp://example.org/?x=1", NULL, NULL, NULL,
          "smtp_url must be just scheme, host and port (the EHLO name "
          "goes in helo_name)" },
        { "smtp://example.org", "bad name", NULL, NULL,
          "helo_name must be a host name or an address literal" },
        { "smtp://example.org", "a/b", NULL, NULL,
          "helo_name must be a host name or an address literal" },
        { "smtp://example.org", NULL, "u", NULL,
          "SMTP username and password go together" },
        { "smtp://example.org", NULL, NULL, "p",
          "SMTP username and password go together" },
        { NULL, NULL, NULL, NULL, "neither smtp_url nor spool_dir is set" },
    };
    struct mail_config c;
    char err[256], reply[MAIL_REPLY_MAX];
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&c, 0, sizeof c);
        c.smtp_url = cases[i].url;
        c.helo_name = cases[i].helo;
        c.username = cases[i].user;
        c.password = cases[i].pass;
        err[0] = '\0';
        if (cases[i].why == NULL) {
            if (mail_config_check(&c, err, sizeof err) != CUR_OK)
                fail_msg("%s refused: %s", cases[i].url, err);
            continue;
        }
        assert_int_equal(mail_config_check(&c, err, sizeof err),
                         CUR_ECONFIG);
        assert_string_equal(err, cases[i].why);
        /* Delivery with it is deferred, not failed for good. */
        assert_int_equal(mail_deliver(&c, FROM, ONE, 1, "<a@b>", MSG,
                                      strlen(MSG), reply, sizeof reply),
                         MAIL_TEMPFAIL);
        assert_string_equal(reply, cases[i].why);
    }

    memset(&c, 0, sizeof c);
    c.spool_dir = "/nonexistent";
    assert_int_equal(mail_config_check(&c, err, sizeof err), CUR_OK);
    c.timeout_ms = -1;
    assert_int_equal(mail_config_check(&c, err, sizeof err), CUR_ECONFIG);
    assert_string_equal(err, "mail timeouts must not be negative");
    assert_int_equal(mail_config_check(NULL, err, sizeof err), CUR_ECONFIG);
    /* A NULL reply buffer is allowed. */
    assert_int_equal(mail_deliver(&c, FROM, ONE, 1, "<a@b>", MSG,
                                  strlen(MSG), NULL, 0), MAIL_TEMPFAIL);
}

static void
test_classify(void **state)
{
    (void)state;
    assert_int_equal(mail_classify(CURLE_OK, 250), MAIL_SENT);
    assert_int_equal(mail_classify(CURLE_OK, 0), MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_SEND_ERROR, 550), MAIL_PERMFAIL);
    assert_int_equal(mail_classify(CURLE_WEIRD_SERVER_REPLY, 554),
                     MAIL_PERMFAIL);
    assert_int_equal(mail_classify(CURLE_LOGIN_DENIED, 535), MAIL_PERMFAIL);
    assert_int_equal(mail_classify(CURLE_SEND_ERROR, 451), MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_WEIRD_SERVER_REPLY, 421),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_COULDNT_CONNECT, 0), MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_COULDNT_RESOLVE_HOST, 0),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_OPERATION_TIMEDOUT, 250),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_SSL_CONNECT_ERROR, 0),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_PEER_FAILED_VERIFICATION, 220),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_USE_SSL_FAILED, 250),
                     MAIL_TEMPFAIL);
    assert_int_equal(mail_classify(CURLE_RECV_ERROR, 354), MAIL_TEMPFAIL);
    assert_string_equal(mail_status_name(MAIL_SENT), "sent");
    assert_string_equal(mail_status_name(MAIL_TEMPFAIL), "tempfail");
    assert_string_equal(mail_status_name(MAIL_PERMFAIL), "permfail");
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_smtp_accept),
        T(test_smtp_reject550),
        T(test_smtp_multiline_reply),
        T(test_smtp_reject554_after_data),
        T(test_smtp_tempfail451_after_data),
        T(test_smtp_tempfail451_rcpt),
        T(test_smtp_server_down),
        T(test_smtp_silent_server_times_out),
        T(test_smtp_auth),
        T(test_smtp_password_masked_in_reply),
        T(test_smtp_tls_failures),
        T(test_hostile_addresses_refused_offline),
        T(test_hostile_messages_refused_offline),
        T(test_spool_write),
        T(test_spool_resend_is_idempotent),
        cmocka_unit_test(test_spool_names),
        T(test_spool_cannot_escape),
        T(test_spool_write_failures),
        T(test_spool_many_batch),
        T(test_spool_many_mixed),
        T(test_spool_many_refused),
        T(test_spool_many_write_failure),
        T(test_secrets_good),
        T(test_secrets_refused),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_classify),
    };
#undef T
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("mail", tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
