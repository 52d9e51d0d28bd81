/* Internals of curatord shared by its files: the signal flags and the
 * shutdown watchdog (signals.c), and what one configuration gives the
 * main loop, built at start-up and rebuilt on SIGHUP (conf.c). main.c
 * holds the loop itself. Nothing here is part of libcurator. */
#ifndef CURATOR_DAEMON_H
#define CURATOR_DAEMON_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "digest.h"
#include "poller.h"
#include "score.h"
#include "store.h"

/* After SIGTERM or SIGINT, in-flight work has this long to finish before
 * the watchdog abandons it (SIGTERM must end the daemon within 5 s; the
 * rest is for the exit itself). Abandoning is safe: every step commits
 * or leaves its work due (DUR-3, DUR-7). */
#define DAEMON_STOP_GRACE_MS 4000

/* Set by the handlers, read and cleared by the main loop. */
extern volatile sig_atomic_t daemon_stop;      /* TERM or INT */
extern volatile sig_atomic_t daemon_hup;       /* HUP: reopen, reload */

/* Install the handlers for TERM, INT and HUP (and ignore PIPE), and
 * block those signals in the calling thread, so that threads started
 * afterwards inherit the block; 'handled' gets the set and 'old' the mask
 * to restore with signals_unblock() once the threads are up. Starts the
 * watchdog thread. Returns CUR_OK or CUR_EIO. */
int signals_start(sigset_t *handled, sigset_t *old);

/* Restore the mask saved by signals_start() in this thread. */
void signals_unblock(const sigset_t *old);

/* Sleep up to 'seconds', waking at once for a handled signal. */
void signals_sleep(long seconds, const sigset_t *handled);

/* The orderly shutdown is over: stop the watchdog. */
void signals_stop(void);

/* What one configuration gives the main loop. The daemon keeps one at a
 * time and replaces it whole on a reload, so a bad file changes nothing. */
struct daemon_conf {
    struct config *cfg;         /* owned when 'owns_cfg' */
    int owns_cfg;
    struct scorer *sc;          /* the filters, loaded with profiles */
    struct poller_cfg pc;
    struct digest_cfg dc;       /* borrows from cfg and base_url */
    int have_dc;
    char base_url[300];
};

/* Build a conf from 'cfg' against the open store: load the filters (each
 * logged), their profiles and the window, the poller and digest
 * settings. 'own' says whether the conf takes cfg (freed with it). On
 * failure returns the error with 'err' (errlen bytes) saying what, and
 * *out stays NULL; cfg is then still the caller's. */
int conf_build(struct config *cfg, int own, struct store *st,
               struct daemon_conf **out, char *err, size_t errlen);
void conf_free(struct daemon_conf *c);        /* NULL is fine */

/* Reload the file 'path' on SIGHUP: on success *cur is replaced by a conf
 * built from it (the old one freed), the log level applied, and feeds new
 * in [feeds] added; on any failure the error is logged (FILE:LINE for the
 * file) and *cur is left as it was. Settings that need a restart ([store]
 * path, [web], [log] file) and differ from 'boot', the config the daemon
 * started with, are logged as such and not applied. */
void conf_reload(const char *path, const struct config *boot,
                 struct store *st, struct daemon_conf **cur);

#endif
