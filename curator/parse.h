/* Feed parsing: bytes of an RSS 2.0 or Atom 1.0 document -> struct feed.
 *
 * Parsing never touches the network or the file system: external
 * entities are refused, and any DOCTYPE that declares an entity makes the
 * whole document fail (SECURITY.md PARSE-1, -2, -4).
 */
#ifndef CURATOR_PARSE_H
#define CURATOR_PARSE_H

#include <stddef.h>

#include "feed.h"

#define PARSE_MAX_ITEMS 1000
#define PARSE_MAX_TITLE 2048
#define PARSE_MAX_SUMMARY 4096

/* The libxml2 options every feed parse uses; exposed for a test. */
int parse_xml_options(void);

/* Parse 'body' (borrowed, 'len' bytes). 'base_url' (may be NULL)
 * resolves relative links. On success *out is a new feed (feed_free()).
 * Errors: CUR_EPARSE with a one-line reason in err (may be NULL),
 * CUR_EUNSUPPORTED for XML that is not a feed, CUR_ENOMEM. */
int parse_feed(const char *body, size_t len, const char *base_url,
               struct feed **out, char *err, size_t errlen);

#endif
