/* Internal interfaces between the parse_*.c files; not for other modules. */
#ifndef CURATOR_PARSE_INT_H
#define CURATOR_PARSE_INT_H

#include <stddef.h>

#include "buf.h"
#include "feed.h"
#include "parse.h"

/* XML feeds (parse_xml.c): a SAX2 push parser fed with UTF-8. */
struct xml_feed;
int xmlfeed_new(const struct parse_opts *o, struct xml_feed **out);
/* Push UTF-8 bytes; 'last' ends the document. Never fails for document
 * problems (they are reported by xmlfeed_finish); CUR_ENOMEM only. */
int xmlfeed_push(struct xml_feed *x, const char *utf8, size_t len,
                 int last);
int xmlfeed_finish(struct xml_feed *x, struct feed **out, char *err,
                   size_t errlen);
void xmlfeed_free(struct xml_feed *x);

/* JSON Feed 1.0/1.1 (parse_json.c), from a whole UTF-8 document. */
int parse_json_feed(const char *body, size_t len, const struct parse_opts *o,
                    struct feed **out, char *err, size_t errlen);

/* Repair of XML text before the parser sees it (parse_repair.c): a named
 * entity that XML does not define becomes its character reference
 * (&nbsp; -> &#160;, from the HTML entity set) and a bare '&' becomes
 * &amp;, outside comments, CDATA sections and processing instructions.
 * Streaming: a reference cut by a chunk end is held for the next call. */
struct repair {
    int state;          /* where in the markup the last chunk ended */
    unsigned count;     /* state detail: '-' or ']' seen, depth */
    char held[40];      /* an '&...' not yet complete */
    size_t n_held;
    unsigned long fixed_entities;
    unsigned long fixed_amps;
    char first_entity[40];      /* the first one repaired, for the report */
};
void repair_init(struct repair *r);
/* Append the repaired form of 'in' to 'out'; 'last' flushes what is
 * held. in[len] must be '\0' (a struct buf's data is). Returns CUR_OK
 * or the buf error. */
int repair_push(struct repair *r, const char *in, size_t len, int last,
                struct buf *out);

/* URLs (parse_url.c). */
/* 'ref' resolved against 'base' (RFC 3986 section 5.2), on bytes, so
 * IRIs keep their characters. Returns a new string (free()), or NULL
 * when neither gives a scheme or out of memory. */
char *parse_resolve_url(const char *ref, const char *base);
/* 'html' with the relative URLs of its URL attributes (a href, img
 * src...) resolved against 'base', the rest unchanged: 'html' itself
 * when nothing was relative, else a new string (free() both); NULL when
 * out of memory. */
char *parse_resolve_html(char *html, const char *base);

/* Shared helpers (parse.c). */
/* Cut 's' in place before its first byte that does not begin a whole,
 * valid UTF-8 character (what snprintf() cut, or a library message). */
void parse_utf8_prefix(char *s);
/* Cut 's' in place to at most 'max' bytes on a UTF-8 boundary. */
void parse_cut_utf8(char *s, size_t max);
/* "sha256:<hex>" of the given parts, or NULL when out of memory. */
char *parse_hash_id(const char *title, long long date, const char *content);
/* Fill item->guid from id, link or the hash. 0, or -1 out of memory. */
int parse_finish_identity(struct item *it);

#endif
