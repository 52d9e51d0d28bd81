/* OPML import and export: subscription lists in and out of Curator.
 *
 * Import reads OPML 1.0 and 2.0 with libxml2's SAX2 push parser and the
 * feed parser's safety options (no network, no DTD, no entity
 * substitution; a DOCTYPE declaring any entity is refused), so a large
 * file never becomes a tree. Outlines with an xmlUrl are feeds; the
 * outlines around them are folders, kept as the feed's category ("Tech/
 * Linux"). A broken document is reported with its line and column and
 * nothing of it is stored; a good one is stored in one transaction, URLs
 * already known (or repeated) skipped, URLs that are not http(s)
 * refused. Export writes valid OPML 2.0 of every feed, folders from the
 * categories.
 */
#ifndef CURATOR_OPML_H
#define CURATOR_OPML_H

#include <stddef.h>
#include <stdio.h>

#include "store.h"

#define OPML_MAX_OUTLINES 1000000   /* feeds in one document */
#define OPML_MAX_DEPTH 64           /* folder nesting */

struct opml_outline {
    char *url;          /* xmlUrl, as given */
    char *title;        /* title, else text; may be NULL */
    char *site_url;     /* htmlUrl, may be NULL */
    char *category;     /* enclosing folders "A/B", or the outline's own
                           category attribute; NULL at the top */
    int line;           /* where it is in the document */
};

struct opml_doc {
    char *title;                /* head/title, may be NULL */
    struct opml_outline *v;
    size_t n;
};

/* Parse a whole document read from 'in' (read in chunks). On success
 * 'out' holds the feed outlines in document order; free it with
 * opml_doc_free(). Errors, with "LINE:COL: message" (or a message) in
 * err: CUR_EPARSE (not well-formed, entity declarations, not OPML),
 * CUR_ETOOBIG, CUR_EIO, CUR_ENOMEM. */
int opml_read(FILE *in, struct opml_doc *out, char *err, size_t errlen);

/* The same on a buffer. */
int opml_parse(const char *data, size_t len, struct opml_doc *out,
               char *err, size_t errlen);

void opml_doc_free(struct opml_doc *d);

struct opml_import_stats {
    size_t added;
    size_t duplicates;  /* already stored, or listed twice */
    size_t refused;     /* not an http or https URL */
    size_t categories;  /* distinct categories of the feeds added */
};

/* Called every few hundred outlines during an import. */
typedef void (*opml_progress_cb)(void *ctx, size_t done, size_t total);

/* Store the document's feeds with 'origin', in one transaction: all or
 * nothing. Returns CUR_OK or the store's error. progress may be NULL. */
int opml_import(struct store *st, const struct opml_doc *d,
                const char *origin, opml_progress_cb progress, void *ctx,
                struct opml_import_stats *stats);

/* Write every feed as OPML 2.0 to 'out', folders from categories.
 * Returns CUR_OK, CUR_EIO, CUR_ESTORE or CUR_ENOMEM. */
int opml_export(struct store *st, FILE *out);

#endif
