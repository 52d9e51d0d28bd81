/* Message delivery for digests: one attempt to hand one finished message
 * to an SMTP server through libcurl, or, with no server configured, to
 * write it as SPOOL/<message id>.eml (mail_spool_many() writes a batch of
 * them with shared disk syncs). Each attempt says whether it worked,
 * whether a later retry may work, or whether retrying is pointless.
 *
 * Composing the message is mime.c's job, and the durable outbox (what is
 * due, retries, back-off, marking rows sent) is the store's; this module
 * keeps no state between calls and logs only at debug level, so the
 * caller logs the outcome once with its own context and 'reply'.
 *
 * SMTP is at-least-once: a connection lost after the final dot leaves the
 * outcome unknown and is reported as MAIL_TEMPFAIL, so the caller resends
 * with the same Message-ID. The password is never logged nor copied into
 * 'reply' or any error text. libcurl must have been set up once with
 * curl_global_init() (fetch_global_init()) before threads start; after
 * that mail_deliver() may run in several threads at once.
 */
#ifndef CURATOR_MAIL_H
#define CURATOR_MAIL_H

#include <stddef.h>

#define MAIL_CONNECT_TIMEOUT_MS 10000L  /* default: TCP, greeting, TLS */
#define MAIL_TIMEOUT_MS 120000L         /* default: the whole attempt */
#define MAIL_REPLY_MAX 512              /* enough for any 'reply' */
#define MAIL_LINE_MAX 998               /* RFC 5322 line limit, no CRLF */
#define MAIL_SPOOL_NAME_MAX 200         /* sanitised id, before ".eml" */
#define MAIL_SPOOL_BATCH 64             /* spool files synced together */

struct mail_config {
    /* "smtp://host[:port]" or "smtps://host[:port]" (no credentials,
     * path, query or fragment), or NULL or "" for spool mode. */
    const char *smtp_url;
    /* smtp:// only: STARTTLS is required (CURLUSESSL_ALL). When 0 it is
     * used if offered (CURLUSESSL_TRY), and then the certificate is
     * verified all the same; without it, credentials go in clear, so
     * set this for any relay not on loopback. */
    int require_tls;
    const char *username;       /* NULL or "": no AUTH */
    const char *password;       /* needed with username; never logged */
    long connect_timeout_ms;    /* 0: MAIL_CONNECT_TIMEOUT_MS */
    long timeout_ms;            /* 0: MAIL_TIMEOUT_MS */
    const char *spool_dir;      /* an existing folder, for spool mode */
    /* The name given in EHLO (libcurl takes it from the URL path);
     * letters, digits, '.' and '-', or an address literal "[...]".
     * NULL or "": libcurl's default. */
    const char *helo_name;
};

enum mail_status {
    MAIL_SENT = 0,      /* 2xx after the final dot, or spooled */
    MAIL_TEMPFAIL,      /* may work later: 4xx, network, TLS, timeouts,
                           a full disk, a configuration to fix */
    MAIL_PERMFAIL       /* will not work: 5xx, or refused here */
};

/* "sent", "tempfail" or "permfail", for logs. */
const char *mail_status_name(enum mail_status s);

/* Check a configuration without connecting, so the daemon can refuse
 * it at start-up. Returns CUR_OK, or CUR_ECONFIG (or CUR_ENOMEM) with
 * the reason in 'err' (errlen bytes; may be NULL when errlen is 0). */
int mail_config_check(const struct mail_config *c, char *err,
                      size_t errlen);

/* Deliver one complete message 'msg' (len bytes, all borrowed: headers,
 * blank line, body; CRLF line ends, lines of at most MAIL_LINE_MAX
 * bytes, no NUL) from 'from' to the n_rcpt addresses in 'rcpt'. libcurl
 * does the dot-stuffing. In spool mode 'message_id' (with or without
 * its angle brackets) names the file; a file already there with the
 * same bytes counts as sent, so a resend is harmless. A refusal of any
 * one recipient fails the whole message, so a retry goes to all.
 *
 * Addresses must pass valid_email() and the message the checks above;
 * otherwise the result is MAIL_PERMFAIL without connecting. A broken
 * configuration gives MAIL_TEMPFAIL (the message is not at fault).
 *
 * 'reply' (replylen bytes, NUL-terminated, may be NULL when replylen is
 * 0) receives one line: the server's last reply ("250 2.0.0 OK ...",
 * "550 5.1.1 ..."), libcurl's error, the spool path, or why the message
 * was refused here. */
enum mail_status mail_deliver(const struct mail_config *c, const char *from,
                              const char *const *rcpt, size_t n_rcpt,
                              const char *message_id, const char *msg,
                              size_t len, char *reply, size_t replylen);

/* One message of a batch for mail_spool_many(). */
struct mail_job {
    const char *rcpt;           /* its one recipient (borrowed) */
    const char *message_id;     /* names the file (borrowed) */
    const char *msg;            /* the message, as for mail_deliver() */
    size_t len;
    enum mail_status status;    /* out */
    char reply[MAIL_REPLY_MAX]; /* out: as mail_deliver()'s 'reply' */
};

/* Spool mode only: deliver the n messages in 'jobs' from 'from' as
 * mail_deliver() would one by one, each getting its status and reply,
 * but with the disk syncs shared: up to MAIL_SPOOL_BATCH new files at a
 * time are written under temporary names, the file system is synced once
 * (syncfs(2), or fsync per file should that fail), the files are linked
 * under their names, and the folder is synced once. A job is MAIL_SENT
 * only when its file and its name are on disk, as with mail_deliver();
 * a batch costs two syncs instead of two per message. Returns CUR_OK
 * (each job says how it went), or CUR_EINVAL, touching no job, when 'c'
 * is NULL or names an SMTP server. */
int mail_spool_many(const struct mail_config *c, const char *from,
                    struct mail_job *jobs, size_t n);

/* The status for a finished libcurl transfer: 'curl_code' is its
 * CURLcode and 'smtp_code' the last SMTP reply code (0 if none). A 2xx
 * with success is MAIL_SENT, any 5xx MAIL_PERMFAIL, everything else
 * (4xx, no reply, connection, DNS, TLS, timeouts) MAIL_TEMPFAIL. */
enum mail_status mail_classify(int curl_code, long smtp_code);

/* The spool file name for 'message_id', without folder or ".eml": one
 * pair of enclosing angle brackets is dropped, A-Z a-z 0-9 '.' '@' '-'
 * are kept (but not a leading '.'), and every other byte becomes "_XX"
 * (hex), so distinct ids give distinct names and no name holds '/'.
 * Returns CUR_OK, or CUR_EINVAL for an empty id or a name longer than
 * MAIL_SPOOL_NAME_MAX or than outlen - 1. */
int mail_spool_name(const char *message_id, char *out, size_t outlen);

/* Read SMTP credentials from 'path': lines "username = VALUE" and
 * "password = VALUE" (space around '=' and at the ends is trimmed; the
 * value may hold '=', '#' and ';'), blank lines, and comment lines
 * starting with '#' or ';'. Both keys are needed, once each. The file
 * must be a regular file that group and others can neither read nor
 * write (mode & 077 == 0).
 *
 * On success *username and *password are new strings; release them with
 * mail_secret_free(). Returns CUR_OK, CUR_EIO (cannot open or read),
 * CUR_ECONFIG (mode or content; "PATH:LINE: reason" in 'err', which
 * never quotes a value) or CUR_ENOMEM. */
int mail_secrets_load(const char *path, char **username, char **password,
                      char *err, size_t errlen);

/* Overwrite a string from mail_secrets_load() and free it. NULL is
 * fine. */
void mail_secret_free(char *s);

#endif
