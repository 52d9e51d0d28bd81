/* Polling: fetch each due feed, parse it, and record the outcome and the
 * new items in the store in one transaction. Failures back off
 * exponentially and never stop the other feeds. */
#ifndef CURATOR_POLLER_H
#define CURATOR_POLLER_H

#include <signal.h>
#include <stddef.h>

#include "parse.h"
#include "store.h"

#define POLLER_MAX_BACKOFF (24 * 3600)
#define POLLER_TEXT_MAX 4096    /* plain text kept per item */

struct poller_cfg {
    long interval;          /* seconds between polls of a healthy feed */
    long timeout;           /* per transfer, seconds */
    size_t max_body;        /* bytes */
    struct parse_opts parse;    /* limits; base URL and type set per feed */
};

struct poller_stats {
    int polled;
    int failed;
    int unchanged;
    int new_items;
};

/* Poll every feed due at 'now'. Stops early, returning CUR_OK, when
 * *stop becomes non-zero (stop may be NULL). Returns CUR_ESTORE only when
 * the store itself fails; feed errors are logged and recorded. */
int poller_run_due(struct store *st, const struct poller_cfg *cfg, long long now,
             volatile sig_atomic_t *stop, struct poller_stats *stats);

/* Seconds to wait after 'failures' consecutive failures. */
long poller_backoff(long interval, int failures);

#endif
