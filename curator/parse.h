/* Feed parsing: bytes of an RSS 0.90-2.0, RSS 1.0 (RDF), Atom 0.3/1.0,
 * CDF or JSON Feed 1.0/1.1 document -> struct feed (feed.h).
 *
 * The format is detected from the content. XML is parsed by streaming
 * (libxml2's SAX2 push parser): bytes are decoded to UTF-8 first
 * (encoding.c), white space before the XML declaration is dropped,
 * undefined HTML entities and bare '&' are repaired, an undeclared
 * prefix (content:, dc:...) is read as its usual namespace, a feed
 * wrapped in an XHTML page is found, and a document that breaks off
 * keeps the items completed before the break; each time feed->recovered
 * is set and the problem listed. xml:base and xml:lang are honoured on
 * every element (the Content-Language option stands in for a missing
 * xml:lang). Parsing never touches
 * the network or the file system: no external entity, DTD or XInclude is
 * loaded, and a DOCTYPE that declares any entity is refused
 * (SECURITY.md PARSE-1 to -10).
 *
 * Item identity (item->guid): the feed's guid/id when present, else the
 * absolute link, else "sha256:" of title, date and content.
 */
#ifndef CURATOR_PARSE_H
#define CURATOR_PARSE_H

#include <stddef.h>

#include "feed.h"

struct parse_opts {
    const char *base_url;       /* the document's URL (Content-Location
                                   when the server gave one): resolves
                                   relative URLs; may be NULL */
    const char *content_type;   /* HTTP Content-Type value; may be NULL */
    const char *content_language;   /* HTTP Content-Language: the
                                       language when the document says
                                       none; may be NULL */
    size_t max_size;            /* document bytes */
    size_t max_items;           /* items kept; later ones are counted */
    size_t max_title;           /* bytes, cut on a UTF-8 boundary */
    size_t max_content;         /* bytes per HTML/text field */
    unsigned max_depth;         /* element nesting */
    unsigned max_attributes;    /* attributes per element */
    double cpu_seconds;         /* CPU time one parse may use */
    /* Called with each item as it completes (may be NULL). Return 1 to
     * keep it in the feed, 0 to drop it (it has been used). 'f' has the
     * feed-level fields seen so far. */
    int (*on_item)(void *ctx, const struct feed *f, const struct item *it);
    void *on_item_ctx;
};

/* Defaults: 16 MiB, 1000 items, 2 KiB titles, 1 MiB fields, depth 256,
 * 256 attributes, 5 s of CPU. */
void parse_opts_default(struct parse_opts *o);

/* The libxml2 options every XML parse uses; exposed for a test. */
int parse_xml_options(void);

/* Incremental parsing: push the document in chunks of any size. */
struct parser;

/* Start a parse with 'o' (copied; its strings are borrowed until
 * parser_free). Returns CUR_OK or CUR_ENOMEM. */
int parser_new(const struct parse_opts *o, struct parser **out);

/* Push the next 'len' bytes. Returns CUR_OK (also after a problem that
 * will be reported by parser_finish), or CUR_ETOOBIG past max_size. */
int parser_push(struct parser *p, const char *data, size_t len);

/* End the document. On success *out is the feed (feed_free()); it may be
 * recovered (see feed->problems). Errors, with a one-line message naming
 * the problem and its position in err: CUR_EPARSE (nothing usable),
 * CUR_EUNSUPPORTED (not a feed), CUR_EENCODING, CUR_ETOOBIG,
 * CUR_ENOMEM. */
int parser_finish(struct parser *p, struct feed **out, char *err,
                  size_t errlen);

void parser_free(struct parser *p);     /* NULL is fine */

/* The whole document at once: parser_new + push + finish. 'o' may be
 * NULL for the defaults. */
int parse_feed(const char *body, size_t len, const struct parse_opts *o,
               struct feed **out, char *err, size_t errlen);

#endif
