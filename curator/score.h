/* The filter host: loads the filter plugins named in the config, keeps
 * every user's profile in them, and scores items incrementally: each new
 * item once, for the users some filter names (plus users who declared no
 * interests, who see everything from their feeds), never for all users.
 * A profile change or new feedback rescores only that user's window.
 *
 * Scores go to the store with their top reasons; explanations are read
 * back from there (scorer_reasons_parse()).
 */
#ifndef CURATOR_SCORE_H
#define CURATOR_SCORE_H

#include <stddef.h>

#include "config.h"
#include "filter.h"
#include "store.h"

#define SCORE_MAX_REASONS 5     /* reasons kept per stored score */

struct scorer;

/* Load and init the filters (in order). On failure returns CUR_ECONFIG
 * (or CUR_ENOMEM) and writes one line to err naming the filter's file and
 * what is wrong: missing file, missing entry symbol, wrong major ABI
 * version (both versions named), too small a table, or init()'s own
 * message. 'window' is the rescoring window in seconds. */
int scorer_open(const struct config_filter *filters, size_t n, long window,
                struct scorer **out, char *err, size_t errlen);
void scorer_close(struct scorer *sc);

/* Loaded filters, for logs and the admin page: name, path, ABI. */
size_t scorer_filter_count(const struct scorer *sc);
void scorer_filter_info(const struct scorer *sc, size_t i, const char **name,
                        const char **path, unsigned *abi_major,
                        unsigned *abi_minor);
/* A loaded filter's weight, whether it is suspended for being slow, and
 * its score() calls over the time budget so far. Read it from the thread
 * that scores. */
void scorer_filter_state(const struct scorer *sc, size_t i, double *weight,
                         int *suspended, long long *slow_calls);

/* Read every user's profile and subscriptions, replay all feedback into
 * the filters, and (warm != 0, the daemon) give the filters the items of
 * the window so later rescores are cheap. */
int scorer_load(struct scorer *sc, struct store *st, long long now, int warm);

struct scorer_stats {
    long long items;            /* items scored */
    long long pairs;            /* (item, user) pairs scored and stored */
    long long users;            /* users rescored */
    long long dropped;          /* filter results dropped (not finite or
                                   an error return) */
};

/* Score the items stored since the last call (the cursor is kept in the
 * store), in batches of one transaction each. */
int scorer_run(struct scorer *sc, struct store *st, long long now,
               struct scorer_stats *stats);

/* Notice profile changes and new feedback made by others (the CLI, the
 * web) since the last call: reload those profiles, teach the filters the
 * new feedback, and rescore each changed user's window. */
int scorer_refresh(struct scorer *sc, struct store *st, long long now,
                   struct scorer_stats *stats);

/* Reload one user's profile and rescore their window now. */
int scorer_rescore_user(struct scorer *sc, struct store *st,
                        long long user_id, long long now,
                        struct scorer_stats *stats);

/* Rescore one item for every user (an editor tagged it as a gem). */
int scorer_rescore_item(struct scorer *sc, struct store *st,
                        long long item_id, long long now,
                        struct scorer_stats *stats);

/* One reason of a stored score. */
struct score_reason {
    char filter[32];
    double contribution;
    char text[256];
};

/* Parse the stored reasons text into at most 'max' reasons; returns the
 * count. Malformed lines are skipped. */
size_t scorer_reasons_parse(const char *stored, struct score_reason *out,
                            size_t max);

#endif
