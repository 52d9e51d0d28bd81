/* The normalised feed model that every parser fills and the rest of
 * Curator reads: one shape for RSS 0.9x/1.0/2.0, Atom 0.3/1.0, CDF and
 * JSON Feed 1.0/1.1.
 *
 * All strings are owned by the struct, valid UTF-8 and free of U+0000;
 * NULL means absent. Times are Unix seconds in UTC, 0 when absent. HTML
 * fields hold the markup as the feed gave it, with relative URLs made
 * absolute (not sanitised: sanitize.c does that before anything is
 * shown). tests/conformance/ maps feedparser's field names to these.
 */
#ifndef CURATOR_FEED_H
#define CURATOR_FEED_H

#include <stddef.h>

enum feed_format {
    FEED_UNKNOWN = 0,
    FEED_RSS,           /* RSS 0.90 to 2.0 (0.90 is RDF-shaped but old) */
    FEED_RDF,           /* RSS 1.0 */
    FEED_ATOM,          /* Atom 0.3 and 1.0 */
    FEED_JSON           /* JSON Feed 1.0 and 1.1 */
};

struct person {
    char *name;
    char *email;
    char *uri;
};

/* A link the feed or item declares: every atom:link, and an RSS link
 * (rel "alternate"), enclosure ("enclosure") or cc:license ("license")
 * listed the same way. */
struct link {
    char *href;         /* absolute */
    char *rel;          /* "alternate" when the document gave none */
    char *type;         /* MIME type, or NULL */
    char *title;
    char *hreflang;
    long long length;   /* bytes, 0 if unknown */
};

/* A category: the term, and the scheme (RSS domain) and label when given. */
struct category {
    char *term;
    char *scheme;
    char *label;
};

/* The xml:lang and xml:base in effect on the element a text field was read
 * from (the HTTP Content-Language and document URL when nothing closer
 * set them); NULL when unknown. Relative URLs in an HTML field have
 * already been resolved against its base. */
struct text_scope {
    char *lang;
    char *base;
};

struct enclosure {
    char *url;          /* absolute */
    char *type;         /* MIME type */
    long long length;   /* bytes, 0 if unknown */
    long long duration; /* seconds, 0 if unknown */
};

/* Extension data kept as it was: georss, slash, wfw, itunes extras... */
struct extension {
    char *ns;           /* namespace URI */
    char *name;         /* local name */
    char *value;        /* text */
};

struct item {
    char *guid;         /* stable identity (see parse.h) */
    char *id;           /* the feed's own guid/id verbatim, or NULL */
    char *title;        /* plain text, one line */
    char *link;         /* absolute URL of the item's page */
    char *external_url; /* the page it is about (link posts), absolute */
    char *summary_html; /* description/summary as the feed gave it */
    int summary_is_text;/* summary_html is plain text, not HTML */
    char *content_html; /* content:encoded / atom:content, the fullest */
    int content_is_text;/* content_html is plain text, not HTML */
    char *image;        /* absolute URL of an image for the item */
    char *comments;     /* absolute URL of the comments page */
    char *language;     /* xml:lang / language in effect */
    char *source_title; /* the feed it came from (RSS source, atom:source) */
    char *source_url;
    char *text;         /* plain text for scoring and digests: filled by
                           feed_fill_text() or feed_sanitize(), not by
                           parsers */
    char *html;         /* safe HTML of the fullest content (sanitize.h,
                           web profile): filled by feed_sanitize() */
    long long published;
    long long updated;
    struct person *authors;
    size_t n_authors;
    char **tags;
    size_t n_tags;
    struct enclosure *enclosures;
    size_t n_enclosures;
    struct extension *extensions;
    size_t n_extensions;
    /* Fuller detail, for readers that want it. */
    struct text_scope title_scope, summary_scope, content_scope;
    char *rights;       /* plain text */
    struct person *contributors;
    size_t n_contributors;
    struct person publisher;        /* dc:publisher; fields may be NULL */
    struct category *categories;    /* as given; tags has the terms */
    size_t n_categories;
    struct link *links;             /* every link, in document order */
    size_t n_links;
    struct feed *source;            /* what the feed it came from said
                                       about itself (atom:source, RSS
                                       source), or NULL */
};

struct feed {
    enum feed_format format;
    char *format_version;   /* "2.0", "0.91", "1.0", "0.3", "1.1"... */
    char *title;            /* plain text */
    char *link;             /* home page URL */
    char *feed_url;         /* the feed's own URL (rel=self) */
    char *description;      /* plain text */
    char *language;
    char *icon;
    char *logo;
    char *rights;
    char *generator;
    char *hub;              /* WebSub hub URL */
    long long updated;
    int ttl;                /* minutes, 0 if absent */
    unsigned skip_hours;    /* bit h set: skip hour h (0-23, UTC) */
    unsigned skip_days;     /* bit 0 Monday ... bit 6 Sunday */
    struct person *authors;
    size_t n_authors;
    struct item *items;
    size_t n_items;
    int recovered;          /* the document had problems we got past */
    char **problems;        /* "line:col: message", at most FEED_MAX_PROBLEMS */
    size_t n_problems;
    /* Fuller detail, for readers that want it. */
    char *id;               /* atom:id verbatim */
    char *info;             /* Atom 0.3 info (about the feed), plain */
    char *new_url;          /* where the feed says it moved to
                               (itunes:new-feed-url, RSS redirect) */
    char *generator_uri;
    char *generator_version;
    struct text_scope title_scope, description_scope, rights_scope,
                      info_scope;
    struct person *contributors;
    size_t n_contributors;
    struct person publisher;    /* webMaster, dc:publisher, itunes:owner */
    struct category *categories;
    size_t n_categories;
    struct link *links;         /* every link, in document order */
    size_t n_links;
};

#define FEED_MAX_PROBLEMS 50

/* Append an empty item/person/enclosure/...; returns it, or NULL when out
 * of memory. */
struct item *feed_add_item(struct feed *f);
struct person *feed_add_person(struct person **v, size_t *n);
struct enclosure *item_add_enclosure(struct item *it);
struct extension *item_add_extension(struct item *it);
struct link *feed_add_link(struct link **v, size_t *n);
/* Append a category (strings copied; scheme and label may be NULL).
 * Returns it, or NULL when out of memory. */
struct category *feed_add_category(struct category **v, size_t *n,
                                   const char *term, const char *scheme,
                                   const char *label);
/* Append a copy of 'tag' unless the item already has it. Returns 0, or
 * -1 when out of memory. */
int item_add_tag(struct item *it, const char *tag);

/* Record a problem ("line:col: message", copied) and mark the feed
 * recovered. Past FEED_MAX_PROBLEMS problems are counted, not kept. */
void feed_problem(struct feed *f, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Remove the last item (a parser drops a half-read one this way). */
void feed_drop_last_item(struct feed *f);

/* Fill each item's 'text': the plain text of its fullest content
 * (sanitize_plain(): line breaks, bullets, "text <url>" links), at most
 * 'max' bytes. Returns 0, or -1 when out of memory. */
int feed_fill_text(struct feed *f, size_t max);

/* Make every item safe to store and show: 'text' as feed_fill_text()
 * does, 'html' the sanitised HTML of the same content under 'o' (the
 * item's xml:base, when http(s), stands in for o->base_url), and the
 * title on one line. Returns 0, or -1 when out of memory. */
struct sanitize_opts;
int feed_sanitize(struct feed *f, const struct sanitize_opts *o,
                  size_t text_max);

void person_clear(struct person *p);
void text_scope_clear(struct text_scope *s);
void item_clear(struct item *it);
void feed_free(struct feed *f);    /* NULL is fine */

#endif
