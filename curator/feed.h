/* The normalised feed model that every parser fills and the store reads.
 *
 * All strings are owned by the struct and are valid UTF-8 without NUL.
 * Times are Unix seconds in UTC, 0 when the feed did not give one.
 */
#ifndef CURATOR_FEED_H
#define CURATOR_FEED_H

#include <stddef.h>

struct item {
    char *guid;         /* stable identity: guid/id, else link, else hash */
    char *title;        /* plain text */
    char *link;         /* absolute URL or NULL */
    char *author;       /* plain text or NULL */
    char *summary;      /* plain text or NULL */
    long long published;
    long long updated;
};

struct feed {
    char *title;        /* plain text or NULL */
    char *link;         /* home page URL or NULL */
    char *description;  /* plain text or NULL */
    struct item *items;
    size_t n_items;
};

/* Append an empty item to f; returns it, or NULL when out of memory. */
struct item *feed_add_item(struct feed *f);

/* Remove the last item (a parser drops a half-read one this way). */
void feed_drop_last_item(struct feed *f);

void item_clear(struct item *it);

/* Free the feed and everything it holds. NULL is fine. */
void feed_free(struct feed *f);

#endif
