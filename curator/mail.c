/* Delivery of finished messages: SMTP through libcurl's easy interface,
 * one connection per message, or an atomic .eml file in a spool folder
 * (a batch of files sharing their syncs); plus the secrets file holding
 * the SMTP credentials.
 *
 * libcurl reports the last SMTP reply code but not its text, so the text
 * is taken from the debug callback, which sees every reply line (it is
 * only called with CURLOPT_VERBOSE set; the callback replaces libcurl's
 * printing to stderr, and it never looks at what we send, which holds
 * the credentials). Retrying, back-off and the outbox are the store's.
 */
#define _GNU_SOURCE     /* syncfs, asprintf */
#include "mail.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "valid.h"

#define SECRETS_MAX (64 * 1024)

static void
vformat(char *out, size_t outlen, const char *fmt, va_list ap)
{
    if (out == NULL || outlen == 0)
        return;
    vsnprintf(out, outlen, fmt, ap);
    /* Replies end up in log lines: one line, no control characters. */
    for (unsigned char *p = (unsigned char *)out; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

static void format(char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
format(char *out, size_t outlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(out, outlen, fmt, ap);
    va_end(ap);
}

/* Mask every copy of the password in 'text'. The server and libcurl
 * have no reason to echo it, but the reply is logged, so make sure. */
static void
scrub(char *text, const char *password)
{
    size_t n;
    char *p;

    if (text == NULL || password == NULL || (n = strlen(password)) == 0)
        return;
    while ((p = strstr(text, password)) != NULL)
        memset(p, '*', n);
}

/* A printable copy of an untrusted address for an error message. */
static void
escape(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    for (; *s && o + 5 < outlen; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch > 0x20 && ch < 0x7f)
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
    }
    if (*s && o + 4 <= outlen)
        o += (size_t)snprintf(out + o, outlen - o, "...");
    out[o] = '\0';
}

const char *
mail_status_name(enum mail_status s)
{
    switch (s) {
    case MAIL_SENT:     return "sent";
    case MAIL_TEMPFAIL: return "tempfail";
    case MAIL_PERMFAIL: return "permfail";
    }
    return "unknown";
}

enum mail_status
mail_classify(int curl_code, long smtp_code)
{
    if (smtp_code >= 500 && smtp_code <= 599)
        return MAIL_PERMFAIL;
    if (curl_code == CURLE_OK && smtp_code >= 200 && smtp_code <= 299)
        return MAIL_SENT;
    /* 4xx, no reply at all, or a transfer cut short (refused, timed
     * out, DNS, TLS): the message may well go through later. */
    return MAIL_TEMPFAIL;
}

/* ---- checks on what we are asked to send ---- */

static int
check_envelope(const char *from, const char *const *rcpt, size_t n_rcpt,
               char *why, size_t whylen)
{
    char shown[80];

    if (from == NULL || !valid_email(from)) {
        escape(from ? from : "(null)", shown, sizeof shown);
        format(why, whylen, "refused sender address '%s'", shown);
        return -1;
    }
    if (rcpt == NULL || n_rcpt == 0) {
        format(why, whylen, "no recipients");
        return -1;
    }
    for (size_t i = 0; i < n_rcpt; i++)
        if (rcpt[i] == NULL || !valid_email(rcpt[i])) {
            escape(rcpt[i] ? rcpt[i] : "(null)", shown, sizeof shown);
            format(why, whylen, "refused recipient address '%s'", shown);
            return -1;
        }
    return 0;
}

/* CRLF only, no NUL, short lines: a bare CR or LF could end the DATA
 * early on a lenient server (SMTP smuggling), so nothing else passes. */
static int
check_message(const char *msg, size_t len, char *why, size_t whylen)
{
    size_t line = 1;

    if (msg == NULL || len == 0) {
        format(why, whylen, "empty message");
        return -1;
    }
    /* Line by line: memchr finds each LF, strcspn-like scans are left
     * to memchr for the rare CR and NUL inside a line. A NUL is looked
     * for once in the whole message (lines are short, and a call per
     * line costs more than the scan); only then line by line, to say
     * where. */
    int nul = memchr(msg, '\0', len) != NULL;
    for (size_t pos = 0; pos < len; line++) {
        const char *lf = memchr(msg + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - msg) : len;    /* LF or the end */
        size_t body_end = end;
        if (lf != NULL) {
            if (end == pos || msg[end - 1] != '\r') {
                format(why, whylen, "message line %zu: bare LF", line);
                return -1;
            }
            body_end = end - 1;
        }
        if (nul && memchr(msg + pos, '\0', body_end - pos) != NULL) {
            format(why, whylen, "message line %zu: NUL byte", line);
            return -1;
        }
        if (memchr(msg + pos, '\r', body_end - pos) != NULL
            || (lf == NULL && body_end > pos && msg[body_end - 1] == '\r')) {
            format(why, whylen, "message line %zu: bare CR", line);
            return -1;
        }
        if (body_end - pos > MAIL_LINE_MAX) {
            format(why, whylen, "message line %zu: over %d bytes", line,
                   MAIL_LINE_MAX);
            return -1;
        }
        pos = lf ? end + 1 : len;
    }
    return 0;
}

/* ---- configuration ---- */

static int
valid_helo(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 253)
        return 0;
    if (s[0] == '[') {
        if (n < 3 || s[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
                return 0;
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

/* Is URL part 'what' of 'u' present (and not just "/" for the path)? */
static int
has_part(CURLU *u, CURLUPart what)
{
    char *v = NULL;
    int has = curl_url_get(u, what, &v, 0) == CURLUE_OK && v
              && v[0] && strcmp(v, "/") != 0;
    curl_free(v);
    return has;
}

/* Parse c->smtp_url into *out (curl_url_cleanup() it), with the EHLO
 * name as its path. The URL itself never goes into 'err': it is trusted
 * configuration, but might carry a password by mistake. */
static int
parse_url(const struct mail_config *c, CURLU **out, char *err,
          size_t errlen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *path = NULL;
    int rc = CUR_ECONFIG;

    *out = NULL;
    if (u == NULL) {
        format(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    if (curl_url_set(u, CURLUPART_URL, c->smtp_url, 0) != CURLUE_OK
        || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        format(err, errlen, "smtp_url is not a URL");
        goto out;
    }
    if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
        format(err, errlen, "smtp_url must start smtp:// or smtps://");
        goto out;
    }
    if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD)
        || has_part(u, CURLUPART_OPTIONS)) {
        format(err, errlen, "smtp_url must not hold credentials; use "
               "the secrets file");
        goto out;
    }
    if (!has_part(u, CURLUPART_HOST)) {
        format(err, errlen, "smtp_url has no host");
        goto out;
    }
    if (has_part(u, CURLUPART_PATH) || has_part(u, CURLUPART_QUERY)
        || has_part(u, CURLUPART_FRAGMENT)) {
        format(err, errlen, "smtp_url must be just scheme, host and "
               "port (the EHLO name goes in helo_name)");
        goto out;
    }
    if (c->helo_name && c->helo_name[0]) {
        size_t n = strlen(c->helo_name) + 2;
        if (!valid_helo(c->helo_name)) {
            format(err, errlen, "helo_name must be a host name or an "
                   "address literal");
            goto out;
        }
        if ((path = malloc(n)) == NULL) {
            format(err, errlen, "out of memory");
            rc = CUR_ENOMEM;
            goto out;
        }
        snprintf(path, n, "/%s", c->helo_name);
        if (curl_url_set(u, CURLUPART_PATH, path, 0) != CURLUE_OK) {
            format(err, errlen, "helo_name refused by libcurl");
            goto out;
        }
    }
    rc = CUR_OK;
    *out = u;
    u = NULL;
out:
    free(path);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

int
mail_config_check(const struct mail_config *c, char *err, size_t errlen)
{
    CURLU *u;
    int rc;

    if (c == NULL) {
        format(err, errlen, "no mail configuration");
        return CUR_ECONFIG;
    }
    if (c->connect_timeout_ms < 0 || c->timeout_ms < 0) {
        format(err, errlen, "mail timeouts must not be negative");
        return CUR_ECONFIG;
    }
    if (c->smtp_url == NULL || c->smtp_url[0] == '\0') {
        if (c->spool_dir == NULL || c->spool_dir[0] == '\0') {
            format(err, errlen, "neither smtp_url nor spool_dir is set");
            return CUR_ECONFIG;
        }
        return CUR_OK;
    }
    if ((c->username && c->username[0]) != (c->password && c->password[0])) {
        format(err, errlen, "SMTP username and password go together");
        return CUR_ECONFIG;
    }
    rc = parse_url(c, &u, err, errlen);
    curl_url_cleanup(u);
    return rc;
}

/* ---- SMTP ---- */

struct upload {
    const char *p;
    size_t left;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *userp)
{
    struct upload *up = userp;
    size_t n = size * nmemb;

    if (n > up->left)
        n = up->left;
    memcpy(dst, up->p, n);
    up->p += n;
    up->left -= n;
    return n;
}

/* The server's replies as seen by the debug callback. */
struct capture {
    char line[MAIL_REPLY_MAX];  /* the line being received */
    size_t linelen;
    char reply[MAIL_REPLY_MAX]; /* the last reply, its lines joined */
    int open;                   /* a multi-line reply goes on */
    int quitting;               /* QUIT sent: ignore "221 Bye" */
};

static void
capture_line(struct capture *cap)
{
    char *s = cap->line;
    size_t n = cap->linelen, have;
    int is_reply;

    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    s[n] = '\0';
    cap->linelen = 0;
    is_reply = n >= 3 && isdigit((unsigned char)s[0])
               && isdigit((unsigned char)s[1])
               && isdigit((unsigned char)s[2])
               && (s[3] == '\0' || s[3] == ' ' || s[3] == '-');
    if (!is_reply)
        return;
    if (!cap->open) {
        format(cap->reply, sizeof cap->reply, "%s", s);
        cap->reply[3] = cap->reply[3] == '-' ? ' ' : cap->reply[3];
    } else if ((have = strlen(cap->reply)) + 1 < sizeof cap->reply) {
        /* Continuation: keep only its text after "NNN-". */
        format(cap->reply + have, sizeof cap->reply - have, " %s",
               s[3] ? s + 4 : "");
    }
    cap->open = s[3] == '-';
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
    struct capture *cap = userp;
    (void)h;

    /* HEADER_OUT holds our commands, AUTH included: only QUIT is
     * noticed, and nothing of it is kept. */
    if (type == CURLINFO_HEADER_OUT && size >= 4
        && strncasecmp(data, "QUIT", 4) == 0)
        cap->quitting = 1;
    if (type != CURLINFO_HEADER_IN || cap->quitting)
        return 0;
    for (size_t i = 0; i < size; i++) {
        if (cap->linelen + 1 < sizeof cap->line)
            cap->line[cap->linelen++] = data[i];
        if (data[i] == '\n')
            capture_line(cap);
    }
    return 0;
}

static enum mail_status
smtp_send(const struct mail_config *c, const char *from,
          const char *const *rcpt, size_t n_rcpt, const char *msg,
          size_t len, char *reply, size_t replylen)
{
    struct upload up = { msg, len };
    struct capture cap;
    struct curl_slist *list = NULL;
    char errbuf[CURL_ERROR_SIZE] = "", addr[300];
    CURLU *u = NULL;
    CURL *h = NULL;
    CURLcode rc = CURLE_OK;
    long code = 0;
    enum mail_status st;
    int smtps;

    memset(&cap, 0, sizeof cap);
    if (parse_url(c, &u, reply, replylen) != CUR_OK)
        return MAIL_TEMPFAIL;
    for (size_t i = 0; i < n_rcpt; i++) {
        struct curl_slist *l;
        snprintf(addr, sizeof addr, "<%s>", rcpt[i]);
        if ((l = curl_slist_append(list, addr)) == NULL) {
            format(reply, replylen, "out of memory");
            st = MAIL_TEMPFAIL;
            goto out;
        }
        list = l;
    }
    if ((h = curl_easy_init()) == NULL) {
        format(reply, replylen, "curl_easy_init failed");
        st = MAIL_TEMPFAIL;
        goto out;
    }
    smtps = strncasecmp(c->smtp_url, "smtps:", 6) == 0;
    snprintf(addr, sizeof addr, "<%s>", from);

#define SET(opt, val) \
    if (rc == CURLE_OK) \
        rc = curl_easy_setopt(h, opt, val)
    SET(CURLOPT_CURLU, u);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms > 0
        ? c->connect_timeout_ms : MAIL_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, c->timeout_ms > 0 ? c->timeout_ms
                                              : MAIL_TIMEOUT_MS);
    SET(CURLOPT_USE_SSL, (long)(smtps || c->require_tls ? CURLUSESSL_ALL
                                                        : CURLUSESSL_TRY));
    if (c->username && c->username[0]) {
        SET(CURLOPT_USERNAME, c->username);
        SET(CURLOPT_PASSWORD, c->password);
    }
    SET(CURLOPT_MAIL_FROM, addr);
    SET(CURLOPT_MAIL_RCPT, list);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, &up);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_DEBUGFUNCTION, debug_cb);
    SET(CURLOPT_DEBUGDATA, &cap);
    SET(CURLOPT_VERBOSE, 1L);   /* to debug_cb only, never stderr */
#undef SET
    if (rc != CURLE_OK) {
        format(reply, replylen, "libcurl refused an option: %s",
               curl_easy_strerror(rc));
        st = MAIL_TEMPFAIL;
        goto out;
    }

    rc = curl_easy_perform(h);
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        code = 0;
    st = mail_classify((int)rc, code);

    /* Quote the server when its reply decided; otherwise libcurl. */
    if (cap.reply[0] && strtol(cap.reply, NULL, 10) == code
        && (st == MAIL_SENT || code >= 400))
        format(reply, replylen, "%s", cap.reply);
    else if (st == MAIL_SENT)
        format(reply, replylen, "%ld", code);
    else if (code > 0)
        format(reply, replylen, "%s (last SMTP reply %ld)",
               errbuf[0] ? errbuf : curl_easy_strerror(rc), code);
    else
        format(reply, replylen, "%s",
               errbuf[0] ? errbuf : curl_easy_strerror(rc));
out:
    /* Cleanup sends QUIT, still through debug_cb and 'cap'. */
    curl_easy_cleanup(h);
    curl_slist_free_all(list);
    curl_url_cleanup(u);
    return st;
}

/* ---- spool ---- */

int
mail_spool_name(const char *message_id, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n, o = 0;

    if (message_id == NULL || out == NULL || outlen == 0)
        return CUR_EINVAL;
    n = strlen(message_id);
    if (n >= 2 && message_id[0] == '<' && message_id[n - 1] == '>') {
        message_id++;
        n -= 2;
    }
    if (n == 0)
        return CUR_EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)message_id[i];
        int keep = (ch < 0x80 && isalnum(ch)) || ch == '@' || ch == '-'
                   || (ch == '.' && i > 0);
        size_t need = keep ? 1 : 3;
        if (o + need > MAIL_SPOOL_NAME_MAX || o + need + 1 > outlen)
            return CUR_EINVAL;
        if (keep) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '_';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
    return CUR_OK;
}

/* 1 if 'path' is a regular file holding exactly msg/len, 0 if it holds
 * something else, -1 (errno set) if it cannot be read. */
static int
file_matches(const char *path, const char *msg, size_t len)
{
    char chunk[8192];
    struct stat st;
    size_t off = 0;
    int fd, same = 1, saved;

    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -1;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size != len) {
        close(fd);
        return 0;
    }
    while (same && off < len) {
        size_t want = len - off < sizeof chunk ? len - off : sizeof chunk;
        ssize_t got = read(fd, chunk, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            goto fail;
        if (got == 0 || memcmp(chunk, msg + off, (size_t)got) != 0)
            same = 0;
        off += (size_t)got;
    }
    close(fd);
    return same;
fail:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static int
write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* What to say when 'path' is already there: the same message is a
 * harmless resend, another one under the same id is a bug upstream. */
static enum mail_status
spool_existing(const char *path, const char *msg, size_t len, char *reply,
               size_t replylen)
{
    int m = file_matches(path, msg, len);

    if (m == 1) {
        format(reply, replylen, "already spooled %s", path);
        return MAIL_SENT;
    }
    if (m == 0) {
        format(reply, replylen, "%s: exists with different content",
               path);
        return MAIL_PERMFAIL;
    }
    format(reply, replylen, "%s: %s", path, strerror(errno));
    return MAIL_TEMPFAIL;
}

/* The path of message_id's spool file into 'path' ('len' bytes):
 * MAIL_SENT when it fits, else the status to give, 'reply' saying why. */
static enum mail_status
spool_path(const char *dir, const char *message_id, char *path, size_t len,
           char *reply, size_t replylen)
{
    char name[MAIL_SPOOL_NAME_MAX + 1];

    if (message_id == NULL
        || mail_spool_name(message_id, name, sizeof name) != CUR_OK) {
        format(reply, replylen, "unusable Message-ID for the spool file "
               "name");
        return MAIL_PERMFAIL;
    }
    /* Room for the temporary name too, which is shorter. */
    if ((size_t)snprintf(path, len, "%s/%s.eml", dir, name) >= len
        || strlen(dir) + sizeof "/.tmp-XXXXXX" > len) {
        format(reply, replylen, "%s: spool path too long", dir);
        return MAIL_TEMPFAIL;
    }
    return MAIL_SENT;
}

/* Open a nameless file in 'dir' for spool_chunk() (O_TMPFILE): -1 with
 * errno EOPNOTSUPP when the file system, the kernel or the missing
 * /proc (which linkat() needs to give it a name) refuse it. */
static int
spool_open_anon(const char *dir, int have_proc)
{
    int fd;

    if (!have_proc) {
        errno = EOPNOTSUPP;
        return -1;
    }
    fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EISDIR || errno == EINVAL))
        errno = EOPNOTSUPP;
    return fd;
}

/* Give the nameless file 'fd' the name 'path': linkat() through /proc,
 * as without CAP_DAC_READ_SEARCH AT_EMPTY_PATH is refused. */
static int
spool_link_anon(int fd, const char *path)
{
    char proc[40];

    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

/* Spool up to MAIL_SPOOL_BATCH jobs whose status is MAIL_SENT on entry
 * (the others are left alone): each new file is written nameless
 * (O_TMPFILE; where that is refused, under a temporary name) and made
 * durable before it is linked under its name (link never replaces a
 * file, unlike rename), and the folder is synced once the names are in
 * it. One new file is fsynced; several share one
 * syncfs(2) of the file system, which writes their data with a single
 * cache flush where a fsync per file would flush once each. If syncfs
 * fails, each file is fsynced, so the error lands on the job it
 * concerns. Files are created 0600: a digest is personal. */
static void
spool_chunk(const char *dir, struct mail_job *jobs, size_t n)
{
    char path[4096];
    char *tmp[MAIL_SPOOL_BATCH];        /* NULL for a nameless file */
    int fd[MAIL_SPOOL_BATCH], dfd, written = 0, named = 0;
    int have_proc = access("/proc/self/fd", X_OK) == 0;

    for (size_t i = 0; i < n; i++) {
        fd[i] = -1;
        tmp[i] = NULL;
        if (jobs[i].status == MAIL_SENT)
            jobs[i].status = spool_path(dir, jobs[i].message_id, path,
                                        sizeof path, jobs[i].reply,
                                        sizeof jobs[i].reply);
    }
    /* Opened before any write, so that syncfs() reports the write
     * errors that happen from here on. */
    if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        int e = errno;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].status == MAIL_SENT) {
                format(jobs[i].reply, sizeof jobs[i].reply, "%s: %s", dir,
                       strerror(e));
                jobs[i].status = MAIL_TEMPFAIL;
            }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct mail_job *j = &jobs[i];
        if (j->status != MAIL_SENT)
            continue;
        spool_path(dir, j->message_id, path, sizeof path, NULL, 0);
        /* A resend usually finds its file; no need to write it again. */
        if (access(path, F_OK) == 0) {
            j->status = spool_existing(path, j->msg, j->len, j->reply,
                                       sizeof j->reply);
            if (j->status == MAIL_SENT)
                named++;
            continue;
        }
        if (errno != ENOENT) {
            format(j->reply, sizeof j->reply, "%s: %s", path,
                   strerror(errno));
            j->status = MAIL_TEMPFAIL;
            continue;
        }
        if ((fd[i] = spool_open_anon(dir, have_proc)) >= 0)
            goto write;
        if (errno != EOPNOTSUPP) {
            format(j->reply, sizeof j->reply, "%s: %s", dir,
                   strerror(errno));
            j->status = MAIL_TEMPFAIL;
            continue;
        }
        if (asprintf(&tmp[i], "%s/.tmp-XXXXXX", dir) < 0) {
            tmp[i] = NULL;
            format(j->reply, sizeof j->reply, "out of memory");
            j->status = MAIL_TEMPFAIL;
            continue;
        }
        if ((fd[i] = mkstemp(tmp[i])) < 0) {
            format(j->reply, sizeof j->reply, "%s: %s", dir,
                   strerror(errno));
            j->status = MAIL_TEMPFAIL;
            goto drop;
        }
write:
        if (write_all(fd[i], j->msg, j->len) != 0
            || (n == 1 && fsync(fd[i]) != 0)) {
            format(j->reply, sizeof j->reply, "%s: %s",
                   tmp[i] != NULL ? tmp[i] : dir, strerror(errno));
            j->status = MAIL_TEMPFAIL;
            goto drop;
        }
        written++;
        continue;
drop:
        if (fd[i] >= 0) {
            close(fd[i]);
            if (tmp[i] != NULL)
                unlink(tmp[i]);
        }
        fd[i] = -1;
    }

    /* One new file (n == 1 synced it already) is fsynced on its own. */
    if (n > 1 && written > 0 && (written == 1 || syncfs(dfd) != 0)) {
        for (size_t i = 0; i < n; i++)
            if (fd[i] >= 0 && fsync(fd[i]) != 0) {
                format(jobs[i].reply, sizeof jobs[i].reply, "%s: %s",
                       tmp[i] != NULL ? tmp[i] : dir, strerror(errno));
                jobs[i].status = MAIL_TEMPFAIL;
                close(fd[i]);
                if (tmp[i] != NULL)
                    unlink(tmp[i]);
                fd[i] = -1;
            }
    }

    for (size_t i = 0; i < n; i++) {
        struct mail_job *j = &jobs[i];
        if (fd[i] < 0)
            continue;
        spool_path(dir, j->message_id, path, sizeof path, NULL, 0);
        if (tmp[i] == NULL) {
            /* Nameless: linked while open, its data durable already. */
            if (spool_link_anon(fd[i], path) == 0) {
                if (close(fd[i]) == 0) {
                    format(j->reply, sizeof j->reply, "spooled %s", path);
                    named++;
                } else {
                    format(j->reply, sizeof j->reply, "%s: %s", path,
                           strerror(errno));
                    j->status = MAIL_TEMPFAIL;
                    unlink(path);
                }
            } else {
                int e = errno;
                close(fd[i]);
                if (e == EEXIST) {
                    /* Someone spooled it between our check and now. */
                    j->status = spool_existing(path, j->msg, j->len,
                                               j->reply, sizeof j->reply);
                    named += j->status == MAIL_SENT;
                } else {
                    format(j->reply, sizeof j->reply, "%s: %s", path,
                           strerror(e));
                    j->status = MAIL_TEMPFAIL;
                }
            }
            fd[i] = -1;
            continue;
        }
        if (close(fd[i]) != 0) {
            format(j->reply, sizeof j->reply, "%s: %s", tmp[i],
                   strerror(errno));
            j->status = MAIL_TEMPFAIL;
        } else if (link(tmp[i], path) == 0) {
            format(j->reply, sizeof j->reply, "spooled %s", path);
            named++;
        } else if (errno == EEXIST) {
            /* Someone spooled it between our check and now. */
            j->status = spool_existing(path, j->msg, j->len, j->reply,
                                       sizeof j->reply);
            named += j->status == MAIL_SENT;
        } else if (rename(tmp[i], path) == 0) {
            /* rename() is the fallback for file systems without links. */
            format(j->reply, sizeof j->reply, "spooled %s", path);
            named++;
            fd[i] = -1;
            continue;
        } else {
            format(j->reply, sizeof j->reply, "%s: %s", path,
                   strerror(errno));
            j->status = MAIL_TEMPFAIL;
        }
        unlink(tmp[i]);
        fd[i] = -1;
    }

    /* A name is durable only once the folder is synced: a file found
     * already there too, which a crash may have left unsynced. */
    if (named > 0 && fsync(dfd) != 0) {
        int e = errno;
        for (size_t i = 0; i < n; i++)
            if (jobs[i].status == MAIL_SENT) {
                format(jobs[i].reply, sizeof jobs[i].reply, "%s: %s", dir,
                       strerror(e));
                jobs[i].status = MAIL_TEMPFAIL;
            }
    }
    close(dfd);
    for (size_t i = 0; i < n; i++)
        free(tmp[i]);
}

/* ---- the entry points ---- */

/* Is 'c' spool mode? */
static int
spool_mode(const struct mail_config *c)
{
    return c->smtp_url == NULL || c->smtp_url[0] == '\0';
}

enum mail_status
mail_deliver(const struct mail_config *c, const char *from,
             const char *const *rcpt, size_t n_rcpt,
             const char *message_id, const char *msg, size_t len,
             char *reply, size_t replylen)
{
    enum mail_status st;
    int spool;

    if (reply && replylen)
        reply[0] = '\0';
    if (check_envelope(from, rcpt, n_rcpt, reply, replylen) != 0
        || check_message(msg, len, reply, replylen) != 0)
        return MAIL_PERMFAIL;
    if (mail_config_check(c, reply, replylen) != CUR_OK)
        return MAIL_TEMPFAIL;

    spool = spool_mode(c);
    if (spool) {
        struct mail_job j = {
            .message_id = message_id, .msg = msg, .len = len,
            .status = MAIL_SENT,
        };
        spool_chunk(c->spool_dir, &j, 1);
        st = j.status;
        format(reply, replylen, "%s", j.reply);
    } else {
        st = smtp_send(c, from, rcpt, n_rcpt, msg, len, reply, replylen);
    }
    if (reply && replylen)
        scrub(reply, c->password);
    log_debug("mail attempt via=%s status=%s reply=%s",
              spool ? "spool" : "smtp", mail_status_name(st),
              reply && replylen ? reply : "");
    return st;
}

int
mail_spool_many(const struct mail_config *c, const char *from,
                struct mail_job *jobs, size_t n)
{
    char why[MAIL_REPLY_MAX];
    int config_ok;

    if (c == NULL || !spool_mode(c) || (n > 0 && jobs == NULL))
        return CUR_EINVAL;
    config_ok = mail_config_check(c, why, sizeof why) == CUR_OK;
    /* The checks mail_deliver() makes, job by job; those that pass
     * start out MAIL_SENT, which spool_chunk() takes for "to do". */
    for (size_t i = 0; i < n; i++) {
        struct mail_job *j = &jobs[i];
        const char *rcpt[1] = { j->rcpt };
        j->reply[0] = '\0';
        if (check_envelope(from, rcpt, 1, j->reply, sizeof j->reply) != 0
            || check_message(j->msg, j->len, j->reply, sizeof j->reply)
               != 0) {
            j->status = MAIL_PERMFAIL;
        } else if (!config_ok) {
            format(j->reply, sizeof j->reply, "%s", why);
            j->status = MAIL_TEMPFAIL;
        } else {
            j->status = MAIL_SENT;
        }
    }
    for (size_t i = 0; config_ok && i < n; i += MAIL_SPOOL_BATCH)
        spool_chunk(c->spool_dir, jobs + i,
                    n - i < MAIL_SPOOL_BATCH ? n - i : MAIL_SPOOL_BATCH);
    for (size_t i = 0; i < n; i++)
        log_debug("mail attempt via=spool status=%s reply=%s",
                  mail_status_name(jobs[i].status), jobs[i].reply);
    return CUR_OK;
}

/* ---- secrets ---- */

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(err, errlen, fmt, ap);
    va_end(ap);
}

void
mail_secret_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static int
is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Parse the file's bytes (a hand-written loop rather than inih: inih
 * cuts values at " ;", and a password may hold that). */
static int
parse_secrets(const char *path, const char *data, size_t size,
              char **username, char **password, char *err, size_t errlen)
{
    const char *p = data, *end = data + size;
    int lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *eq, *k, *ke, *v, *ve;
        char **slot;
        const char *key;

        lineno++;
        if (e > p && e[-1] == '\r')
            e--;
        while (p < e && is_blank(*p))
            p++;
        if (p == e || *p == '#' || *p == ';')
            goto next;
        if ((eq = memchr(p, '=', (size_t)(e - p))) == NULL) {
            errf(err, errlen, "%s:%d: expected 'username = ...' or "
                 "'password = ...'", path, lineno);
            return CUR_ECONFIG;
        }
        k = p;
        ke = eq;
        while (ke > k && is_blank(ke[-1]))
            ke--;
        v = eq + 1;
        ve = e;
        while (v < ve && is_blank(*v))
            v++;
        while (ve > v && is_blank(ve[-1]))
            ve--;
        if (ke - k == 8 && memcmp(k, "username", 8) == 0) {
            slot = username;
            key = "username";
        } else if (ke - k == 8 && memcmp(k, "password", 8) == 0) {
            slot = password;
            key = "password";
        } else {
            /* The key is not quoted: it might be a mistyped secret. */
            errf(err, errlen, "%s:%d: unknown key (only username and "
                 "password)", path, lineno);
            return CUR_ECONFIG;
        }
        if (*slot) {
            errf(err, errlen, "%s:%d: %s given twice", path, lineno, key);
            return CUR_ECONFIG;
        }
        if (v == ve) {
            errf(err, errlen, "%s:%d: %s is empty", path, lineno, key);
            return CUR_ECONFIG;
        }
        for (const char *q = v; q < ve; q++)
            if ((unsigned char)*q < 0x20 || *q == 0x7f) {
                errf(err, errlen, "%s:%d: control character in %s", path,
                     lineno, key);
                return CUR_ECONFIG;
            }
        if ((*slot = strndup(v, (size_t)(ve - v))) == NULL) {
            errf(err, errlen, "out of memory");
            return CUR_ENOMEM;
        }
next:
        p = nl ? nl + 1 : end;
    }
    if (*username == NULL || *password == NULL) {
        errf(err, errlen, "%s: no %s", path,
             *username == NULL ? "username" : "password");
        return CUR_ECONFIG;
    }
    return CUR_OK;
}

int
mail_secrets_load(const char *path, char **username, char **password,
                  char *err, size_t errlen)
{
    struct stat st;
    char *data = NULL;
    size_t size = 0;
    int fd, rc;

    *username = *password = NULL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        return CUR_EIO;
    }
    if (fstat(fd, &st) != 0) {
        errf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return CUR_EIO;
    }
    /* Checked on the open file, so a swap after the check is moot. */
    if (!S_ISREG(st.st_mode)) {
        errf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return CUR_ECONFIG;
    }
    if (st.st_mode & 077) {
        errf(err, errlen, "%s: mode %04o lets group or others at the SMTP "
             "password; chmod 600 it", path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return CUR_ECONFIG;
    }
    if (st.st_size > SECRETS_MAX) {
        errf(err, errlen, "%s: over %d bytes", path, SECRETS_MAX);
        close(fd);
        return CUR_ECONFIG;
    }
    if ((data = malloc(SECRETS_MAX + 1)) == NULL) {
        errf(err, errlen, "out of memory");
        close(fd);
        return CUR_ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, data + size, SECRETS_MAX + 1 - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            errf(err, errlen, "%s: %s", path, strerror(errno));
            rc = CUR_EIO;
            goto out;
        }
        if (n == 0)
            break;
        size += (size_t)n;
        if (size > SECRETS_MAX) {
            errf(err, errlen, "%s: over %d bytes", path, SECRETS_MAX);
            rc = CUR_ECONFIG;
            goto out;
        }
    }
    rc = parse_secrets(path, data, size, username, password, err, errlen);
out:
    close(fd);
    explicit_bzero(data, SECRETS_MAX + 1);
    free(data);
    if (rc != CUR_OK) {
        mail_secret_free(*username);
        mail_secret_free(*password);
        *username = *password = NULL;
    }
    return rc;
}
