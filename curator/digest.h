/* Digests: for each user whose period has come, the items that arrived
 * in their subscriptions since their last digest, ranked by how well they
 * match the user's interests, written as a plain-text file to the spool
 * directory. */
#ifndef CURATOR_DIGEST_H
#define CURATOR_DIGEST_H

#include "store.h"

struct digest_cfg {
    const char *spool_dir;
    long interval;              /* seconds between two digests of a user */
    unsigned max_items;         /* shown per digest */
};

/* Write the digests due at 'now'. A user with nothing new gets none and
 * is checked again next time. *written (may be NULL) gets the count.
 * Returns CUR_OK, or the first store or file error (logged). */
int digest_run_due(struct store *st, const struct digest_cfg *cfg,
                   long long now, int *written);

/* How well 'title' and 'text' match: the sum of the weights of the
 * interests found (case-insensitively; a title match counts double).
 * 'matched' (may be NULL) receives the matching terms, comma-separated,
 * cut to 'len' bytes. */
double digest_match(const struct store_interest *in, size_t n,
                    const char *title, const char *text,
                    char *matched, size_t len);

#endif
