/* "Export everything": one JSON document with a user's profile, goals,
 * interests, mutes, source weights, subscriptions, saved items with
 * notes, journal and feedback, and its import into an account on
 * another Curator. Items are referred to by their feed's URL and their
 * guid (plus title, link and date), so they are found again, or made,
 * on the other side. The schema is in the README ("Export format").
 *
 * An import is checked whole before anything is stored (types, sizes,
 * URLs, ranges), then stored in one transaction: everything or nothing.
 * It merges: what the account has stays, what the export adds joins it;
 * saved items take the exported note, journal entries already there
 * (same time and text) are not added twice. Feeds are made as web feeds
 * when missing, except file: feeds (an admin's local files on the old
 * server): those are only matched, and what refers to a missing one is
 * left out.
 */
#ifndef CURATOR_WEB_EXPORT_H
#define CURATOR_WEB_EXPORT_H

#include <stddef.h>

#include "store.h"

#define EXPORT_FORMAT "curator-export"
#define EXPORT_VERSION 1

/* The user's export as JSON into *out (malloc'd, *len bytes). */
int export_user(struct store *st, long long user_id, long long now,
                char **out, size_t *len);

struct import_stats {
    size_t goals, interests, mutes, subscriptions, saved, journal,
           feedback;
};

/* Import 'len' bytes of JSON into the user's account. Returns CUR_OK,
 * CUR_EINVAL (err says what is wrong and where; nothing stored),
 * CUR_ENOMEM or the store's error. */
int import_user(struct store *st, long long user_id, const char *data,
                size_t len, long long now, struct import_stats *stats,
                char *err, size_t errlen);

#endif
