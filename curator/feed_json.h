/* The feed model written as JSON Feed 1.1 (jsonfeed.org/version/1.1),
 * with Curator's extra fields in "_curator" objects. Used by `curator
 * parse`. Absent values are left out, never written empty. */
#ifndef CURATOR_FEED_JSON_H
#define CURATOR_FEED_JSON_H

#include <stdio.h>

#include "feed.h"

/* A new JSON object for one item (json_decref() it), or NULL. */
struct json_t;
struct json_t *feed_json_item(const struct item *it);

/* The feed-level members, without "items". */
struct json_t *feed_json_feed(const struct feed *f);

/* Write the whole feed, items included, as indented JSON and a newline.
 * Returns 0, or -1 on a write error or out of memory. */
int feed_json_write(FILE *out, const struct feed *f);

#endif
