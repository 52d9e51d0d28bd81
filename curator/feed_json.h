/* The feed model written as JSON Feed 1.1 (jsonfeed.org/version/1.1),
 * with Curator's extra fields in "_curator" objects. Used by `curator
 * parse`. Absent values are left out, never written empty.
 *
 * The writer renders straight into a buffer (no object tree), so a feed
 * can be printed item by item as it is parsed, as fast as it is parsed.
 */
#ifndef CURATOR_FEED_JSON_H
#define CURATOR_FEED_JSON_H

#include <stdio.h>

#include "buf.h"
#include "feed.h"

/* Append one item as a JSON object, indented for nesting level 'level'
 * (2 spaces each). Returns CUR_OK or the buf error. */
int feed_json_item(struct buf *b, const struct item *it, int level);

/* Append the feed-level members (not "version", not "items"), each
 * preceded by ",\n" and indented one level. */
int feed_json_feed_members(struct buf *b, const struct feed *f);

/* Write the whole feed, items included, and a newline. Returns 0, or -1
 * on a write error or out of memory. */
int feed_json_write(FILE *out, const struct feed *f);

#endif
