/* Feed discovery: given a URL, the feeds it stands for.
 *
 * A URL that is itself a feed stands for itself. An HTML page stands for
 * the feeds it advertises with <link rel="alternate"> and an RSS, Atom,
 * RDF or JSON Feed type, in document order, resolved against the page's
 * <base> and URL; a page that advertises none is tried at the common
 * feed paths of its site (/feed, /rss, /atom.xml...). Pages are read
 * with libxml2's HTML parser with no network access; every request goes
 * through fetch.h.
 */
#ifndef CURATOR_DISCOVER_H
#define CURATOR_DISCOVER_H

#include <stddef.h>

#include "fetch.h"
#include "parse.h"

struct discover_feed {
    char *url;          /* absolute */
    char *type;         /* MIME type as advertised, or NULL */
    char *title;        /* as advertised, or the feed's own, or NULL */
};

struct discover_list {
    struct discover_feed *v;
    size_t n;
    int self;           /* the URL asked about is a feed itself */
    int guessed;        /* found at a common path, not advertised */
};

/* The feeds an HTML document (borrowed) advertises, appended to 'out'
 * without duplicates. Returns CUR_OK (maybe with none), or CUR_ENOMEM. */
int discover_links(const char *html, size_t len, const char *base_url,
                   struct discover_list *out);

/* Find the feeds of 'url' (see above), fetching with 'fc' and checking
 * candidates by parsing them with 'po' (may be NULL for the defaults).
 * Common paths are tried in order until one is a feed, or all of them
 * when 'all' is set. Returns CUR_OK with at least one feed; CUR_ENOTFOUND
 * when there is none, CUR_EFETCH or CUR_EHTTP when the URL itself cannot
 * be read, CUR_ENOMEM; err says why. Free 'out' with
 * discover_list_free() in every case. */
int discover_feeds(const struct fetch_cfg *fc, const struct parse_opts *po,
                   const char *url, int allow_file, int refuse_private,
                   int all, struct discover_list *out, char *err,
                   size_t errlen);

void discover_list_free(struct discover_list *l);

#endif
