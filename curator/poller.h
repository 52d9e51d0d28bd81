/* Polling: one round fetches the feeds that are due (or all, or one)
 * concurrently on one event loop (fetch.h), within the total and
 * per-host limits, taking hosts in turn; each body is hashed as it
 * arrives and parsed only when it differs from the last one (a 304 is
 * not parsed at all); the outcome and the new items of each feed are
 * stored atomically, several feeds to a commit. The next poll follows
 * schedule.h; failures back off with jitter and never stop the other
 * feeds; 301/308 move the feed, 410 disables it, 429/503 wait for
 * Retry-After. With a worker pool (worker.h) each body is held whole
 * (up to max_body) and parsed in a confined process; a worker that dies
 * or times out fails that feed only. */
#ifndef CURATOR_POLLER_H
#define CURATOR_POLLER_H

#include <signal.h>
#include <stddef.h>

#include "parse.h"
#include "sanitize.h"
#include "schedule.h"
#include "store.h"

#define POLLER_TEXT_MAX 4096    /* plain text kept per item, default */

struct worker_pool;

struct poller_cfg {
    struct schedule_cfg sched;  /* intervals and back-off */
    long timeout;               /* per request, redirects included, s */
    long connect_timeout;       /* seconds */
    size_t max_body;            /* decoded bytes */
    unsigned connections;       /* transfers at once, all hosts */
    unsigned per_host;          /* transfers at once to one host */
    unsigned workers;           /* threads parsing and sanitising; 0: one
                                   per CPU */
    int refuse_private;         /* refuse internal addresses for feeds
                                   added through the web (FETCH-3) */
    struct parse_opts parse;    /* limits; base URL and type set per feed */
    struct sanitize_opts sanitize;  /* items' HTML (web profile); the
                                       base URL is set per feed */
    size_t text_max;            /* plain text per item; 0: POLLER_TEXT_MAX */
    struct worker_pool *pool;   /* parse in these confined processes
                                   (worker.h; borrowed); NULL: parse on
                                   this process's threads */
};

struct poller_stats {
    int total;          /* feeds in the round */
    int polled;         /* done, whatever the outcome */
    int active;         /* being fetched now */
    int failed;
    int unchanged;      /* 304, or the same body as last time */
    int new_items;
    double seconds;     /* since the round began */
};

/* Which feeds a round polls. */
enum poller_select {
    POLLER_DUE,         /* due at 'now', not disabled */
    POLLER_ALL,         /* every feed not disabled */
    POLLER_ONE          /* the feed 'feed_id', even a disabled one */
};

/* Called after each event-loop turn (about ten times a second) and once
 * at the end, with the counts so far. */
typedef void (*poller_progress_cb)(void *ctx, const struct poller_stats *s);

/* Run one polling round. Stops early, returning CUR_OK, when *stop
 * becomes non-zero (stop may be NULL): the feeds not finished stay due.
 * Returns CUR_ENOTFOUND for POLLER_ONE with no such feed, CUR_ESTORE
 * when the store itself fails, CUR_ENOMEM; feed errors are logged and
 * recorded, never returned. progress may be NULL. */
int poller_run(struct store *st, const struct poller_cfg *cfg,
               enum poller_select which, long long feed_id, long long now,
               volatile sig_atomic_t *stop, poller_progress_cb progress,
               void *progress_ctx, struct poller_stats *stats);

/* poller_run(POLLER_DUE) without progress. */
int poller_run_due(struct store *st, const struct poller_cfg *cfg, long long now,
             volatile sig_atomic_t *stop, struct poller_stats *stats);

#endif
