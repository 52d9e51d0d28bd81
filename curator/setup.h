/* Bringing a store in line with the config: the feeds listed in [feeds]
 * and, on a database with no users yet, the [demo] user; and the
 * poller's settings, shared by the daemon and the command line. */
#ifndef CURATOR_SETUP_H
#define CURATOR_SETUP_H

#include "config.h"
#include "digest.h"
#include "poller.h"
#include "store.h"

/* Add each [feeds] entry that the store does not have yet (origin
 * "config"). Feeds removed from the config stay: they may have
 * subscribers. *added (may be NULL) gets the count. */
int setup_sync_feeds(struct store *st, const struct config *cfg, int *added);

/* If [demo] user is set and the store has no user, create that user with
 * its interests, subscribed to every [feeds] entry, in one transaction.
 * *created (may be NULL) is set to 1 when it did. */
int setup_seed_demo(struct store *st, const struct config *cfg,
                    int *created);

/* The poller's settings from [poll], [parse] and [sanitize]. */
void setup_poller_cfg(const struct config *cfg, struct poller_cfg *pc);

/* The sanitiser's options for a profile from [sanitize]: the web profile
 * for stored items, the mail profile for composing email. Strings are
 * borrowed from cfg; the base URL is left for the caller. */
/* The digest settings of 'cfg': base URL (from [web] when not given),
 * sender, SMTP (credentials read from [mail] secrets), and the link
 * signing key from the store. 'base_buf' (len bytes) holds a base URL
 * made up here. Release with setup_digest_cfg_free(). Returns CUR_OK, or
 * an error with 'err' saying what. */
int setup_digest_cfg(const struct config *cfg, struct store *st,
                     struct digest_cfg *dc, char *base_buf, size_t len,
                     char *err, size_t errlen);
void setup_digest_cfg_free(struct digest_cfg *dc);

void setup_sanitize_opts(const struct config *cfg, enum sanitize_profile p,
                         struct sanitize_opts *o);

#endif
