/* A real SMTP server for tests: tests/support/smtp_server.py (aiosmtpd,
 * run by /usr/bin/python3) on 127.0.0.1 and a free port. Each accepted
 * message is stored in the given folder as NNNN.eml (from 0001), with
 * its envelope in NNNN.env:
 *
 *     EHLO name
 *     AUTH login              (only after AUTH)
 *     MAIL FROM:<address>
 *     RCPT TO:<address>       (one per recipient)
 *
 * Modes: "accept"; "reject550" (RCPT gets 550 5.1.1 mailbox
 * unavailable); "reject550multi" (the same, plus a second reply line
 * "550 5.1.1 see https://example.org/550"); "tempfail451" (end of DATA
 * gets 451 4.3.0 try again later); "tempfail451rcpt" (RCPT gets it);
 * "reject554data" (end of DATA gets 554 5.6.0 message refused); "auth"
 * (needs AUTH PLAIN or LOGIN, see t_smtp_start_auth). The server's own
 * log goes to MAILDIR/.smtp-server.log. This file uses libc only. */
#ifndef CURATOR_TEST_SMTP_H
#define CURATOR_TEST_SMTP_H

#include <stddef.h>

#define T_SMTP_PYTHON "/usr/bin/python3"
#define T_SMTP_SCRIPT "tests/support/smtp_server.py"

struct t_smtp;

/* Start the server storing into 'maildir' (an existing folder) and wait
 * up to 10 s until it listens. NULL, with the reason on stderr (such as
 * a missing /usr/bin/python3 or aiosmtpd), when it does not start. */
struct t_smtp *t_smtp_start(const char *maildir, const char *mode);
/* The same in "auth" mode, accepting only 'user' and 'password'. */
struct t_smtp *t_smtp_start_auth(const char *maildir, const char *user,
                                 const char *password);
unsigned t_smtp_port(const struct t_smtp *s);
/* SIGTERM, wait for the exit (SIGKILL after 5 s) and free. NULL is
 * fine. */
void t_smtp_stop(struct t_smtp *s);

/* Number of messages stored in 'maildir' (NNNN.eml files). */
int t_smtp_count(const char *maildir);
/* Message 'n' (1 for the first) exactly as stored, NUL-terminated
 * (free()), its length in *len (may be NULL); NULL if absent. */
char *t_smtp_message(const char *maildir, int n, size_t *len);
/* The envelope of message 'n' (free()), or NULL if absent. */
char *t_smtp_envelope(const char *maildir, int n);

#endif
