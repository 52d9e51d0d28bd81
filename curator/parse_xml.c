/* XML feeds with libxml2's SAX2 push parser: RSS 0.90 to 2.0, RSS 1.0
 * (RDF), Atom 0.3/1.0 and Microsoft's CDF into struct feed, without
 * building a tree.
 *
 * Each element is looked up by namespace and local name in the context
 * it appears in (feed, item, person, image, source). A field's text is
 * collected while its element is open; markup inside an HTML-bearing
 * field (XHTML content, or HTML that a feed forgot to escape) is written
 * back as HTML. Every field records the xml:lang and xml:base in effect
 * on its element; relative URLs, in URL fields and inside HTML fields,
 * are resolved against that base. An atom:source (or RSS source) is read
 * with the feed-level rules into the item's own struct feed. An item
 * joins the feed only when its end tag is seen, so a document that
 * breaks off never yields half an item.
 */
#include "parse_int.h"
#include "date.h"
#include "err.h"
#include "sanitize.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum ns {
    NS_NONE, NS_RSS090, NS_RSS10, NS_RDF, NS_ATOM10, NS_ATOM03, NS_DC,
    NS_DCTERMS, NS_CONTENT, NS_MEDIA, NS_ITUNES, NS_SLASH, NS_WFW,
    NS_GEORSS, NS_XHTML, NS_XML, NS_CC, NS_CREATIVE_COMMONS, NS_OTHER
};

static const struct {
    const char *uri;
    enum ns ns;
} namespaces[] = {
    { "http://my.netscape.com/rdf/simple/0.9/", NS_RSS090 },
    { "http://purl.org/rss/1.0/", NS_RSS10 },
    { "http://www.w3.org/1999/02/22-rdf-syntax-ns#", NS_RDF },
    { "http://www.w3.org/2005/Atom", NS_ATOM10 },
    { "http://purl.org/atom/ns#", NS_ATOM03 },
    { "http://purl.org/dc/elements/1.1/", NS_DC },
    { "http://purl.org/dc/terms/", NS_DCTERMS },
    { "http://purl.org/rss/1.0/modules/content/", NS_CONTENT },
    { "http://search.yahoo.com/mrss/", NS_MEDIA },
    { "http://search.yahoo.com/mrss", NS_MEDIA },
    { "http://www.itunes.com/dtds/podcast-1.0.dtd", NS_ITUNES },
    { "http://www.itunes.com/DTDs/Podcast-1.0.dtd", NS_ITUNES },
    { "http://purl.org/rss/1.0/modules/slash/", NS_SLASH },
    { "http://wellformedweb.org/CommentAPI/", NS_WFW },
    { "http://www.georss.org/georss", NS_GEORSS },
    { "http://www.w3.org/1999/xhtml", NS_XHTML },
    { "http://www.w3.org/XML/1998/namespace", NS_XML },
    { "http://web.resource.org/cc/", NS_CC },
    { "http://creativecommons.org/ns#", NS_CC },
    { "http://backend.userland.com/creativeCommonsRssModule",
      NS_CREATIVE_COMMONS },
    /* RSS 2.0 published with a default namespace by some tools. */
    { "http://backend.userland.com/rss2", NS_NONE },
    { "http://blogs.law.harvard.edu/tech/rss", NS_NONE },
    { "http://backend.userland.com/rss", NS_NONE },
};

#define ITUNES_URI "http://www.itunes.com/dtds/podcast-1.0.dtd"
/* The scheme feed readers give iTunes categories and keywords. */
#define ITUNES_SCHEME "http://www.itunes.com/"

static enum ns
ns_of(const xmlChar *uri)
{
    if (uri == NULL || uri[0] == '\0')
        return NS_NONE;
    for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
        if (strcmp((const char *)uri, namespaces[i].uri) == 0)
            return namespaces[i].ns;
    return NS_OTHER;
}

/* The namespaces feeds use under their usual prefixes, for an element
 * whose prefix the feed forgot to declare. */
static const struct {
    const char *prefix, *uri;
} usual_prefixes[] = {
    { "atom", "http://www.w3.org/2005/Atom" },
    { "content", "http://purl.org/rss/1.0/modules/content/" },
    { "dc", "http://purl.org/dc/elements/1.1/" },
    { "dcterms", "http://purl.org/dc/terms/" },
    { "itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd" },
    { "media", "http://search.yahoo.com/mrss/" },
    { "slash", "http://purl.org/rss/1.0/modules/slash/" },
    { "wfw", "http://wellformedweb.org/CommentAPI/" },
    { "georss", "http://www.georss.org/georss" },
    { "xhtml", "http://www.w3.org/1999/xhtml" },
};

static const xmlChar *
usual_namespace(const xmlChar *prefix)
{
    for (size_t i = 0; i < sizeof usual_prefixes / sizeof usual_prefixes[0];
         i++)
        if (strcmp((const char *)prefix, usual_prefixes[i].prefix) == 0)
            return (const xmlChar *)usual_prefixes[i].uri;
    return NULL;
}

/* RSS elements live in no namespace (0.91-2.0), or in RSS 0.90's or
 * RSS 1.0's. */
static int
is_rss_ns(enum ns ns)
{
    return ns == NS_NONE || ns == NS_RSS090 || ns == NS_RSS10;
}

static int
is_atom_ns(enum ns ns)
{
    return ns == NS_ATOM10 || ns == NS_ATOM03;
}

/* What the text of an open element is for. */
enum field {
    F_NONE,
    /* feed (or an item's source) */
    F_FEED_TITLE, F_FEED_TITLE_FALLBACK, F_FEED_LINK, F_FEED_DESC,
    F_FEED_DESC_FALLBACK, F_FEED_INFO, F_FEED_LANG, F_FEED_RIGHTS,
    F_FEED_GENERATOR, F_FEED_UPDATED, F_FEED_TTL, F_FEED_ICON, F_FEED_LOGO,
    F_FEED_ID, F_FEED_NEW_URL, F_SKIP_HOUR, F_SKIP_DAY, F_IMAGE_URL,
    /* item */
    F_TITLE, F_TITLE_FALLBACK, F_LINK, F_ID, F_SUMMARY, F_SUMMARY_FALLBACK,
    F_CONTENT, F_PUBLISHED, F_UPDATED, F_COMMENTS, F_RIGHTS, F_ITEM_LANG,
    F_SOURCE_TITLE, F_DURATION, F_EXTENSION, F_KEYWORDS,
    /* both */
    F_AUTHOR_TEXT, F_CONTRIBUTOR_TEXT, F_PUBLISHER_TEXT, F_CATEGORY,
    F_LICENSE, F_LINK_TEXT,
    /* person (atom author/contributor, itunes:owner) */
    F_PERSON_NAME, F_PERSON_EMAIL, F_PERSON_URI
};

/* How a text field is written: Atom's text constructs and their kin. */
enum kind {
    K_TEXT,         /* plain text */
    K_HTML,         /* escaped HTML */
    K_XHTML,        /* inline markup, written back as HTML */
    K_GUESS         /* text, or HTML if it looks like HTML (RSS titles) */
};

/* Where we are, as far as the feed model cares. */
enum where { IN_NONE, IN_FEED, IN_ITEM };

struct frame {
    enum ns ns;
    const xmlChar *uri; /* namespace URI (the parser's dictionary) */
    char *base;         /* xml:base in effect (owned when own_base) */
    char *lang;         /* xml:lang in effect (owned when own_lang) */
    unsigned own_base : 1, own_lang : 1;
    unsigned opens : 8; /* what this element opened: see OPEN_* */
};

#define PARSE_MAX_NAME 50000      /* bytes in an element name */
#define PARSE_MAX_TEXT (10u << 20) /* bytes of text in one field */

#define OPEN_ITEM 1
#define OPEN_PERSON 2
#define OPEN_IMAGE 4
#define OPEN_SOURCE 8
#define OPEN_SKIP_LIST 16

struct xml_feed {
    struct parse_opts o;
    xmlParserCtxtPtr ctxt;
    struct feed *f;
    struct frame *stack;
    unsigned depth, cap;
    enum where where;
    struct item cur;            /* the item being read */
    unsigned item_known;        /* elements of it we read */
    int item_title_fallback;    /* its title is from media/dc:title */
    int title_fallback;         /* the feed's is from dc:title */
    struct feed *src;           /* cur.source while an atom:source is open */
    unsigned ignore_depth;      /* ignoring this element's subtree */
    int in_image, in_skip;
    struct person *person;      /* being read: author, contributor... */
    struct person **person_v;   /* its array (NULL for a single one) */
    size_t *person_n;
    char *atom_ns;              /* a namespace read as Atom's (a <feed>
                                   root in an unknown one) */
    char *rss_ns;               /* the same for an <rss> root */
    int in_html;                /* the feed is inside an XHTML page */
    int cdf;                    /* Channel Definition Format */
    char *root_lang;            /* xml:lang of the feed element */
    /* The open field and its text. */
    enum field field;
    unsigned field_depth;
    enum kind field_kind;
    int field_base64;
    int field_strip_div;        /* Atom 1.0 xhtml: skip the wrapper <div> */
    int field_markup;           /* write child elements back as HTML */
    int field_truncated;
    size_t field_raw;           /* text bytes seen in the open field */
    struct buf text;
    char *field_attr, *field_attr2; /* attributes kept for the field */
    char ext_ns[128], ext_name[64];
    /* Problems and limits. */
    int fatal;                  /* stop: entity, limit, CPU */
    char fatal_msg[256];
    int error_line, error_col;
    char error_msg[256];
    int warn_line, warn_col;
    char warn_msg[256];
    int root_seen;
    size_t items_over;
    size_t n_emitted;           /* items completed, kept or handed out */
    unsigned long events;
    struct timespec cpu_start;
    int oom;
};

/* ---- small helpers ---- */

static char *
dup_n(const xmlChar *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* SAX2 without entity substitution hands '&' in attribute values over as
 * "&#38;"; turn it back. */
static char *
attr_value(const xmlChar **a)
{
    size_t n = (size_t)(a[4] - a[3]);
    char *v = dup_n(a[3], n), *o = v;
    if (v == NULL)
        return NULL;
    for (const char *p = v; *p;) {
        if (strncmp(p, "&#38;", 5) == 0) {
            *o++ = '&';
            p += 5;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return v;
}

/* The value of attribute 'name' (no namespace, or 'ns'), or NULL. CDF
 * attributes are upper case; they are matched without case. */
static char *
get_attr(int n, const xmlChar **attrs, const char *name, enum ns ns)
{
    for (int i = 0; i < n; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (strcmp((const char *)a[0], name) == 0
            && (a[2] == NULL ? NS_NONE : ns_of(a[2])) == ns)
            return attr_value(a);
    }
    return NULL;
}

static char *
get_attr_nocase(int n, const xmlChar **attrs, const char *name)
{
    for (int i = 0; i < n; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (strcasecmp((const char *)a[0], name) == 0 && a[2] == NULL)
            return attr_value(a);
    }
    return NULL;
}

static void
set_str(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

static void
set_if_empty(char **slot, char *value)
{
    if (*slot == NULL)
        *slot = value;
    else
        free(value);
}

static char *
dup_or_null(struct xml_feed *x, const char *s)
{
    char *p = s ? strdup(s) : NULL;
    if (s && p == NULL)
        x->oom = 1;
    return p;
}

static const char *
cur_base(const struct xml_feed *x)
{
    return x->depth ? x->stack[x->depth - 1].base : x->o.base_url;
}

/* The language in effect: xml:lang, else the HTTP Content-Language. */
static const char *
cur_lang(const struct xml_feed *x)
{
    return x->depth ? x->stack[x->depth - 1].lang : x->o.content_language;
}

/* Record the lang and base in effect now (the field's element). */
static void
set_scope(struct xml_feed *x, struct text_scope *s)
{
    text_scope_clear(s);
    s->lang = dup_or_null(x, cur_lang(x));
    s->base = dup_or_null(x, cur_base(x));
}

static int
url_ok(const char *u)
{
    return strncasecmp(u, "http://", 7) == 0
        || strncasecmp(u, "https://", 8) == 0
        || strncasecmp(u, "mailto:", 7) == 0;
}

/* Resolve 'href' against the base in effect; absolute http(s) and mailto
 * only. */
static char *
resolve(const struct xml_feed *x, const char *href)
{
    while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
        href++;
    if (*href == '\0')
        return NULL;
    char *out = parse_resolve_url(href, cur_base(x));
    if (out && url_ok(out)) {
        sanitize_squeeze(out, 8192);
        /* A URL with a space left in it was not one. */
        if (strchr(out, ' ') == NULL)
            return out;
    }
    free(out);
    return NULL;
}

/* An href attribute: an empty one is the base itself (RFC 3986 5.2). */
static char *
resolve_attr(const struct xml_feed *x, const char *href)
{
    const char *p = href;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '\0' && cur_base(x))
        return resolve(x, cur_base(x));
    return resolve(x, href);
}

/* feedparser's test: an end tag, or a character reference. */
static int
looks_like_html(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '<' && (p[1] == '/' || isalpha((unsigned char)p[1]))
            && strchr(p, '>'))
            return 1;
        if (p[0] == '&') {
            const char *q = p + 1 + (p[1] == '#');
            while (isalnum((unsigned char)*q))
                q++;
            if (*q == ';' && q > p + 1 + (p[1] == '#'))
                return 1;
        }
    }
    return 0;
}

/* Text -> one line of plain text; markup removed when it is HTML. */
static char *
to_plain(const char *s, int is_html, size_t max)
{
    char *t = is_html && strpbrk(s, "<&") ? sanitize_text(s, max)
                                         : strdup(s);
    if (t) {
        sanitize_squeeze(t, max);
        if (t[0] == '\0') {
            free(t);
            t = NULL;
        }
    }
    return t;
}

static void
problem(struct xml_feed *x, const char *fmt, const char *arg)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, arg);
    feed_problem(x->f, xmlSAX2GetLineNumber(x->ctxt),
                 xmlSAX2GetColumnNumber(x->ctxt), "%s", msg);
}

static void
stop(struct xml_feed *x, const char *msg)
{
    if (!x->fatal) {
        x->fatal = 1;
        snprintf(x->fatal_msg, sizeof x->fatal_msg, "%d:%d: %s",
                 xmlSAX2GetLineNumber(x->ctxt),
                 xmlSAX2GetColumnNumber(x->ctxt), msg);
    }
    xmlStopParser(x->ctxt);
}

static void
check_cpu(struct xml_feed *x)
{
    if (++x->events % 4096 != 0)
        return;
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    double used = (double)(now.tv_sec - x->cpu_start.tv_sec)
                + (now.tv_nsec - x->cpu_start.tv_nsec) / 1e9;
    if (used > x->o.cpu_seconds)
        stop(x, "parse used more than its CPU time budget");
}

/* Base64 (RFC 4648) in place, white space skipped. Returns 0, or -1 when
 * it is not base64 or not UTF-8 text once decoded. */
static int
base64_decode(char *s)
{
    unsigned acc = 0, bits = 0;
    char *o = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=' || isspace(c))
            continue;
        else
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)((acc >> bits) & 0xFF);
        }
    }
    *o = '\0';
    if ((size_t)(o - s) != strlen(s) || !xmlCheckUTF8((const xmlChar *)s))
        return -1;
    return 0;
}

/* ---- people ---- */

static char *
trimmed_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    char *p = strndup(s, n);
    if (p) {
        sanitize_squeeze(p, 256);
        if (p[0] == '\0') {
            free(p);
            p = NULL;
        }
    }
    return p;
}

/* Fill 'p' from "jo@example.org (Jo Smith)", "Jo Smith (jo@example.org)",
 * "Jo Smith <jo@example.org>", "jo@example.org" or "Jo Smith". */
static void
person_from_text(struct person *p, const char *text)
{
    const char *lt = strchr(text, '<'), *open = strchr(text, '(');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    const char *close = open ? strrchr(open, ')') : NULL;
    size_t n = strlen(text);

    if (strncasecmp(text, "mailto:", 7) == 0) {
        text += 7;
        n -= 7;
    }
    if (lt && gt && memchr(lt, '@', (size_t)(gt - lt))) {
        p->email = trimmed_dup(lt + 1, (size_t)(gt - lt - 1));
        p->name = trimmed_dup(text, (size_t)(lt - text));
    } else if (open && close) {
        const char *in = open + 1;
        size_t in_n = (size_t)(close - in);
        /* The outside, with the parenthesis cut out. */
        char *out = malloc(n + 1);
        if (out) {
            size_t a = (size_t)(open - text);
            memcpy(out, text, a);
            strcpy(out + a, close + 1);
        }
        if (memchr(in, '@', in_n)) {
            p->email = trimmed_dup(in, in_n);
            p->name = out ? trimmed_dup(out, strlen(out)) : NULL;
        } else if (out && strchr(out, '@')) {
            p->email = trimmed_dup(out, strlen(out));
            p->name = trimmed_dup(in, in_n);
        } else {
            p->name = trimmed_dup(text, n);
        }
        free(out);
    } else if (strchr(text, '@') && !strchr(text, ' ')) {
        p->email = trimmed_dup(text, n);
    } else {
        p->name = trimmed_dup(text, n);
    }
    if (p->email && strncasecmp(p->email, "mailto:", 7) == 0)
        memmove(p->email, p->email + 7, strlen(p->email + 7) + 1);
    if (p->name && p->name[0] == '"' && p->name[strlen(p->name) - 1] == '"'
        && strlen(p->name) > 2) {
        memmove(p->name, p->name + 1, strlen(p->name) - 2);
        p->name[strlen(p->name) - 2] = '\0';
    }
}

static int
same_or_missing(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcmp(a, b) == 0;
}

/* The same name, or the same address, and nothing that differs. */
static int
same_person(const struct person *a, const struct person *b)
{
    if (a->name && b->name)
        return strcmp(a->name, b->name) == 0
            && same_or_missing(a->email, b->email);
    return a->email && b->email && strcmp(a->email, b->email) == 0;
}

/* Add a person read from text to an array; nobody is added for text
 * that names nobody, or someone already there (an RSS author repeated
 * as itunes:author and dc:creator). */
static void
add_person_text(struct xml_feed *x, struct person **v, size_t *n,
                const char *raw)
{
    char *text = to_plain(raw, 0, 512);
    if (text == NULL)
        return;
    struct person *p = feed_add_person(v, n);
    if (p == NULL) {
        x->oom = 1;
        free(text);
        return;
    }
    person_from_text(p, text);
    free(text);
    for (size_t i = 0; i + 1 < *n; i++) {
        struct person *o = &(*v)[i];
        if (!same_person(o, p))
            continue;
        if (o->name == NULL) {
            o->name = p->name;
            p->name = NULL;
        }
        if (o->email == NULL) {
            o->email = p->email;
            p->email = NULL;
        }
        person_clear(p);
        break;
    }
    if (p->name == NULL && p->email == NULL && p->uri == NULL)
        (*n)--;
}

static void
set_person_text(struct person *p, const char *raw)
{
    char *text = to_plain(raw, 0, 512);
    if (text && p->name == NULL && p->email == NULL)
        person_from_text(p, text);
    free(text);
}

/* ---- links, categories, enclosures ---- */

static struct link *
add_link(struct xml_feed *x, struct link **v, size_t *n, char *href,
         const char *rel, char *type)
{
    struct link *l = href ? feed_add_link(v, n) : NULL;
    if (l == NULL) {
        if (href)
            x->oom = 1;
        free(href);
        free(type);
        return NULL;
    }
    l->href = href;
    l->rel = strdup(rel && rel[0] ? rel : "alternate");
    l->type = type;
    if (l->rel == NULL)
        x->oom = 1;
    return l;
}

static void
add_category(struct xml_feed *x, struct feed *tf, const char *term,
             const char *scheme, const char *label)
{
    char *t = strdup(term);
    if (t == NULL) {
        x->oom = 1;
        return;
    }
    sanitize_squeeze(t, 256);
    if (t[0] == '\0') {
        free(t);
        return;
    }
    struct category **v = tf ? &tf->categories : &x->cur.categories;
    size_t *n = tf ? &tf->n_categories : &x->cur.n_categories;
    if (feed_add_category(v, n, t, scheme && scheme[0] ? scheme : NULL,
                          label && label[0] ? label : NULL) == NULL)
        x->oom = 1;
    if (tf == NULL && item_add_tag(&x->cur, t) != 0)
        x->oom = 1;
    free(t);
}

static void
add_categories_split(struct xml_feed *x, struct feed *tf, const char *text,
                     const char *seps, const char *scheme)
{
    char *copy = strdup(text), *save = NULL;
    if (copy == NULL) {
        x->oom = 1;
        return;
    }
    for (char *t = strtok_r(copy, seps, &save); t;
         t = strtok_r(NULL, seps, &save))
        add_category(x, tf, t, scheme, NULL);
    free(copy);
}

static void
add_enclosure(struct xml_feed *x, const char *url, const char *type,
              const char *length, const char *duration)
{
    if (url == NULL)
        return;
    for (size_t i = 0; i < x->cur.n_enclosures; i++)
        if (strcmp(x->cur.enclosures[i].url, url) == 0)
            return;     /* media:content repeating an enclosure */
    struct enclosure *e = item_add_enclosure(&x->cur);
    if (e == NULL || (e->url = strdup(url)) == NULL) {
        x->oom = 1;
        return;
    }
    e->type = dup_or_null(x, type);
    if (length && strtoll(length, NULL, 10) > 0)
        e->length = strtoll(length, NULL, 10);
    if (duration) {
        long long d;
        if (date_parse_duration(duration, &d) == CUR_OK)
            e->duration = d;
    }
}

static void
add_extension(struct xml_feed *x, const char *ns, const char *name,
              const char *raw)
{
    struct extension *e = item_add_extension(&x->cur);
    if (e == NULL) {
        x->oom = 1;
        return;
    }
    e->ns = strdup(ns);
    e->name = strdup(name);
    /* The comment API's values are URLs: made absolute like the rest. */
    if (strcmp(ns, "http://wellformedweb.org/CommentAPI/") == 0)
        e->value = resolve(x, raw);
    if (e->value == NULL)
        e->value = to_plain(raw, 0, 4096);
    if (e->ns == NULL || e->name == NULL)
        x->oom = 1;
}

/* ---- fields ---- */

/* The feed that feed-level fields go to: the feed, or the source being
 * read; NULL inside an item (item fields). */
static struct feed *
feed_target(const struct xml_feed *x)
{
    if (x->src)
        return x->src;
    return x->where == IN_ITEM ? NULL : x->f;
}

static void
open_field(struct xml_feed *x, enum field field, enum kind kind, int markup)
{
    x->field = field;
    x->field_depth = x->depth;
    x->field_kind = kind;
    x->field_base64 = 0;
    x->field_strip_div = 0;
    x->field_markup = markup;
    x->field_truncated = 0;
    x->field_raw = 0;
    buf_free(&x->text);
    buf_init(&x->text, 0);
    free(x->field_attr);
    free(x->field_attr2);
    x->field_attr = x->field_attr2 = NULL;
}

/* A text construct: Atom's type (text, html, xhtml or a MIME type) and
 * Atom 0.3's mode (xml, escaped, base64) decide how it is read. */
static void
open_construct(struct xml_feed *x, enum field field, enum ns ns, int n,
               const xmlChar **attrs)
{
    char *type = get_attr(n, attrs, "type", NS_NONE);
    char *mode = get_attr(n, attrs, "mode", NS_NONE);
    enum kind k = K_TEXT;
    int b64 = 0;

    if (type) {
        sanitize_squeeze(type, 128);
        size_t len = strlen(type);
        if (strcasecmp(type, "html") == 0
            || strcasecmp(type, "text/html") == 0)
            k = K_HTML;
        else if (strcasecmp(type, "xhtml") == 0
                 || strcasecmp(type, "application/xhtml+xml") == 0)
            k = K_XHTML;
        else if (strcasecmp(type, "text") == 0
                 || strncasecmp(type, "text/", 5) == 0)
            k = K_TEXT;
        else if ((len > 4 && strcasecmp(type + len - 4, "+xml") == 0)
                 || (len > 4 && strcasecmp(type + len - 4, "/xml") == 0))
            k = K_XHTML;
        else if (ns == NS_ATOM10 && strchr(type, '/'))
            b64 = 1;    /* RFC 4287 4.1.3.3: other media types */
    }
    if (mode && strcasecmp(mode, "escaped") == 0 && k == K_XHTML)
        k = K_HTML;
    else if (mode && strcasecmp(mode, "base64") == 0)
        b64 = 1;
    open_field(x, field, k, 1);
    x->field_base64 = b64;
    x->field_strip_div = k == K_XHTML && ns == NS_ATOM10;
    free(type);
    free(mode);
}

/* The text of the closing field, base64 decoded; *is_html says whether
 * it is HTML. Owned by x->text. */
static char *
field_value(struct xml_feed *x, int *is_html)
{
    char *raw = x->text.data ? x->text.data : "";
    if (x->field_base64 && raw[0] && base64_decode(raw) != 0)
        raw[0] = '\0';      /* not text we could show */
    switch (x->field_kind) {
    case K_HTML:
    case K_XHTML:
        *is_html = 1;
        break;
    case K_GUESS:
        *is_html = looks_like_html(raw);
        break;
    default:
        /* Markup in a text field: the feed meant HTML. */
        *is_html = x->field_markup == 2;
        break;
    }
    return raw;
}

/* The field's text (raw, from field_value()) kept as given: trimmed,
 * cut to the limit, and its relative URLs resolved when it is HTML.
 * NULL if empty. The text is taken from the field, not copied: the
 * field is closing. */
static char *
keep_html(struct xml_feed *x, const char *raw, int is_html)
{
    char *v = raw == x->text.data ? buf_steal(&x->text) : strdup(raw);
    if (v == NULL) {
        x->oom = 1;
        return NULL;
    }
    sanitize_trim(v);
    parse_cut_utf8(v, x->o.max_content);
    if (v[0] == '\0') {
        free(v);
        return NULL;
    }
    if (x->field_truncated)
        problem(x, "%s cut to the field size limit", "content");
    if (is_html && cur_base(x)) {
        char *abs = parse_resolve_html(v, cur_base(x));
        if (abs == NULL)
            x->oom = 1;
        if (abs != v)
            free(v);
        v = abs;
    }
    return v;
}

/* An Atom link, or one like it: kept in the list, and the ones the model
 * names put in their place. Takes 'href' (resolved). */
static void
apply_link(struct xml_feed *x, char *href, const char *rel, char *type,
           char *title, char *hreflang, const char *length)
{
    struct feed *tf = feed_target(x);
    struct item *it = &x->cur;
    const char *r = rel && rel[0] ? rel : "alternate";
    struct link *l;

    if (href == NULL) {
        free(type);
        free(title);
        free(hreflang);
        return;
    }
    if (tf == NULL && strcmp(r, "enclosure") == 0)
        add_enclosure(x, href, type, length, NULL);
    char *copy = strdup(href);
    if (copy == NULL)
        x->oom = 1;
    else if (tf && strcmp(r, "alternate") == 0)
        set_if_empty(&tf->link, copy);
    else if (tf && strcmp(r, "self") == 0)
        set_if_empty(&tf->feed_url, copy);
    else if (tf && strcmp(r, "hub") == 0)
        set_if_empty(&tf->hub, copy);
    else if (!tf && strcmp(r, "alternate") == 0)
        set_if_empty(&it->link, copy);
    else if (!tf && strcmp(r, "related") == 0)
        set_if_empty(&it->external_url, copy);
    else if (!tf && strcmp(r, "replies") == 0)
        set_if_empty(&it->comments, copy);
    else
        free(copy);
    l = tf ? add_link(x, &tf->links, &tf->n_links, href, r, type)
           : add_link(x, &it->links, &it->n_links, href, r, type);
    if (l) {
        if (title)
            sanitize_squeeze(title, 512);
        l->title = title && title[0] ? title : NULL;
        if (l->title == NULL)
            free(title);
        l->hreflang = hreflang;
        if (length && strtoll(length, NULL, 10) > 0)
            l->length = strtoll(length, NULL, 10);
    } else {
        free(title);
        free(hreflang);
    }
}

/* The end of a field's element: put its text where it belongs. */
static void
close_field(struct xml_feed *x)
{
    struct feed *tf = feed_target(x);
    struct item *it = &x->cur;
    enum field field = x->field;
    int html;
    char *raw = field_value(x, &html);
    long long t;

    x->field = F_NONE;
    if (tf == NULL && field != F_NONE)
        x->item_known++;
    switch (field) {
    case F_NONE:
        break;
    case F_FEED_TITLE:
    case F_FEED_TITLE_FALLBACK:
        /* dc:title stands in for a missing title, never over one. */
        if (tf->title == NULL || (field == F_FEED_TITLE && x->title_fallback
                                  && tf == x->f)) {
            set_str(&tf->title, to_plain(raw, html, x->o.max_title));
            set_scope(x, &tf->title_scope);
            if (tf == x->f)
                x->title_fallback = field == F_FEED_TITLE_FALLBACK;
        }
        break;
    case F_FEED_LINK: {
        char *u = resolve(x, raw);
        if (u)
            apply_link(x, u, "alternate", NULL, NULL, NULL, NULL);
        break;
    }
    case F_FEED_DESC:
    case F_FEED_DESC_FALLBACK:
        if (field == F_FEED_DESC_FALLBACK && tf->description)
            break;
        set_str(&tf->description, to_plain(raw, html, x->o.max_content));
        set_scope(x, &tf->description_scope);
        break;
    case F_FEED_INFO:
        if (tf->info == NULL) {
            tf->info = to_plain(raw, html, x->o.max_content);
            set_scope(x, &tf->info_scope);
        }
        break;
    case F_FEED_LANG:
        set_if_empty(&tf->language, to_plain(raw, 0, 64));
        break;
    case F_FEED_RIGHTS:
        if (tf->rights == NULL) {
            tf->rights = to_plain(raw, html, x->o.max_title);
            set_scope(x, &tf->rights_scope);
        }
        break;
    case F_FEED_GENERATOR:
        set_if_empty(&tf->generator, to_plain(raw, 0, 256));
        break;
    case F_FEED_UPDATED:
        if (date_parse(raw, &t) == CUR_OK && tf->updated == 0)
            tf->updated = t;
        break;
    case F_FEED_TTL: {
        long v = strtol(raw, NULL, 10);
        if (v > 0 && v < 1000000)
            tf->ttl = (int)v;
        break;
    }
    case F_FEED_ICON:
        set_if_empty(&tf->icon, resolve(x, raw));
        break;
    case F_FEED_LOGO:
    case F_IMAGE_URL:
        set_if_empty(&tf->logo, resolve(x, raw));
        break;
    case F_FEED_ID:
        set_if_empty(&tf->id, to_plain(raw, 0, x->o.max_title));
        break;
    case F_FEED_NEW_URL:
        set_if_empty(&x->f->new_url, resolve(x, raw));
        break;
    case F_SKIP_HOUR: {
        char *end;
        long h = strtol(raw, &end, 10);
        if (end != raw && h >= 0 && h <= 24)
            tf->skip_hours |= 1u << (h % 24);
        break;
    }
    case F_SKIP_DAY: {
        static const char *const days[] = { "Monday", "Tuesday",
            "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };
        char *d = to_plain(raw, 0, 32);
        for (int i = 0; d && i < 7; i++)
            if (strcasecmp(d, days[i]) == 0)
                tf->skip_days |= 1u << i;
        free(d);
        break;
    }
    case F_TITLE:
    case F_TITLE_FALLBACK:
        if (it->title == NULL || (field == F_TITLE
                                  && x->item_title_fallback)) {
            set_str(&it->title, to_plain(raw, html, x->o.max_title));
            set_scope(x, &it->title_scope);
            x->item_title_fallback = field == F_TITLE_FALLBACK;
        }
        break;
    case F_LINK: {
        char *u = resolve(x, raw);
        if (u)
            apply_link(x, u, "alternate", NULL, NULL, NULL, NULL);
        break;
    }
    case F_ID: {
        char *id = to_plain(raw, 0, x->o.max_title);
        /* RSS guid isPermaLink (default true): the guid is a link too. */
        if (id && x->field_attr && it->link == NULL)
            it->link = resolve(x, id);
        set_if_empty(&it->id, id);
        break;
    }
    case F_SUMMARY:
    case F_SUMMARY_FALLBACK:
    case F_CONTENT: {
        int content = field == F_CONTENT;
        char **slot = content ? &it->content_html : &it->summary_html;
        if (field == F_SUMMARY_FALLBACK && *slot)
            break;
        char *v = keep_html(x, raw, html);
        if (v == NULL)
            break;
        set_str(slot, v);
        if (content) {
            it->content_is_text = !html;
            set_scope(x, &it->content_scope);
        } else {
            it->summary_is_text = !html;
            set_scope(x, &it->summary_scope);
        }
        /* The item's language, if it has none, is its text's. */
        if (it->language == NULL)
            it->language = dup_or_null(x, cur_lang(x));
        break;
    }
    case F_PUBLISHED:
    case F_UPDATED: {
        long long *slot = field == F_PUBLISHED ? &it->published
                                               : &it->updated;
        if (date_parse(raw, &t) == CUR_OK) {
            if (*slot == 0)
                *slot = t;
        } else if (raw[0]) {
            problem(x, "unreadable date \"%.60s\" left out", raw);
        }
        break;
    }
    case F_COMMENTS:
        set_if_empty(&it->comments, resolve(x, raw));
        break;
    case F_RIGHTS:
        set_if_empty(&it->rights, to_plain(raw, html, x->o.max_title));
        break;
    case F_ITEM_LANG:
        set_str(&it->language, to_plain(raw, 0, 64));
        break;
    case F_SOURCE_TITLE:
        set_if_empty(&it->source_title, to_plain(raw, html, x->o.max_title));
        if (it->source && it->source->title == NULL) {
            it->source->title = dup_or_null(x, it->source_title);
            set_scope(x, &it->source->title_scope);
        }
        break;
    case F_DURATION: {
        long long d;
        if (date_parse_duration(raw, &d) == CUR_OK && it->n_enclosures
            && it->enclosures[0].duration == 0)
            it->enclosures[0].duration = d;
        add_extension(x, ITUNES_URI, "duration", raw);
        break;
    }
    case F_EXTENSION:
        add_extension(x, x->ext_ns, x->ext_name, raw);
        break;
    case F_KEYWORDS:
        add_categories_split(x, tf, raw, ",", ITUNES_SCHEME);
        break;
    case F_AUTHOR_TEXT:
        if (tf)
            add_person_text(x, &tf->authors, &tf->n_authors, raw);
        else
            add_person_text(x, &it->authors, &it->n_authors, raw);
        break;
    case F_CONTRIBUTOR_TEXT:
        if (tf)
            add_person_text(x, &tf->contributors, &tf->n_contributors, raw);
        else
            add_person_text(x, &it->contributors, &it->n_contributors, raw);
        break;
    case F_PUBLISHER_TEXT:
        set_person_text(tf ? &tf->publisher : &it->publisher, raw);
        break;
    case F_CATEGORY: {
        char *term = to_plain(raw, 0, 256);
        if (term)
            add_category(x, tf, term, x->field_attr, x->field_attr2);
        free(term);
        break;
    }
    case F_LICENSE:
        apply_link(x, resolve(x, raw), "license", NULL, NULL, NULL, NULL);
        break;
    case F_LINK_TEXT:
        apply_link(x, resolve(x, raw), x->field_attr, x->field_attr2, NULL,
                   NULL, NULL);
        x->field_attr2 = NULL;
        break;
    case F_PERSON_NAME:
        if (x->person)
            set_if_empty(&x->person->name, to_plain(raw, 0, 256));
        break;
    case F_PERSON_EMAIL:
        if (x->person)
            set_if_empty(&x->person->email, to_plain(raw, 0, 256));
        break;
    case F_PERSON_URI:
        if (x->person)
            set_if_empty(&x->person->uri, resolve(x, raw));
        break;
    }
    free(x->field_attr);
    free(x->field_attr2);
    x->field_attr = x->field_attr2 = NULL;
    buf_free(&x->text);
}

/* ---- elements ---- */

/* The namespace of an element: a <feed> root in a namespace we do not
 * know (or none) is read as Atom, and so are the elements in it. */
static enum ns
ns_in(const struct xml_feed *x, const xmlChar *uri)
{
    enum ns ns = ns_of(uri);
    if (x->rss_ns && (ns == NS_OTHER || ns == NS_NONE)
        && strcmp(uri ? (const char *)uri : "", x->rss_ns) == 0)
        return NS_NONE;
    if (x->atom_ns && (ns == NS_OTHER || ns == NS_NONE)
        && strcmp(uri ? (const char *)uri : "", x->atom_ns) == 0)
        return x->f->format_version
               && strcmp(x->f->format_version, "0.3") == 0 ? NS_ATOM03
                                                           : NS_ATOM10;
    return ns;
}

/* The first element. Returns 1 when it is itself an item (an Atom Entry
 * Document) and must be read as one. */
static int
detect_root(struct xml_feed *x, enum ns *ns, const xmlChar *uri,
            const char *name, int n, const xmlChar **attrs)
{
    struct feed *f = x->f;
    char *version = get_attr(n, attrs, "version", NS_NONE);

    x->root_seen = 1;
    if ((*ns == NS_NONE || *ns == NS_OTHER) && strcmp(name, "rss") == 0) {
        if (*ns == NS_OTHER) {
            /* RSS with a namespace of its own ("rss2.1"...). */
            x->rss_ns = strdup((const char *)uri);
            if (x->rss_ns == NULL)
                x->oom = 1;
            *ns = NS_NONE;
        }
        f->format = FEED_RSS;
        f->format_version = version ? version : strdup("2.0");
        return 0;
    }
    if (*ns == NS_RDF && strcmp(name, "RDF") == 0) {
        f->format = FEED_RDF;   /* 0.90 or 1.0: told by the channel's ns */
    } else if (strcmp(name, "feed") == 0 || strcmp(name, "entry") == 0) {
        if (!is_atom_ns(*ns)) {
            /* Early Atom drafts and copies used other namespaces, or
             * none: a <feed> is still Atom. */
            x->atom_ns = strdup(uri ? (const char *)uri : "");
            if (x->atom_ns == NULL)
                x->oom = 1;
            *ns = version && strcmp(version, "0.3") == 0 ? NS_ATOM03
                                                         : NS_ATOM10;
        }
        f->format = FEED_ATOM;
        f->format_version = strdup(*ns == NS_ATOM10 ? "1.0" : "0.3");
        set_if_empty(&x->root_lang, dup_or_null(x, cur_lang(x)));
        if (strcmp(name, "entry") == 0) {
            x->where = IN_FEED;
            free(version);
            return 1;
        }
    } else if (*ns == NS_NONE && strcmp(name, "channel") == 0) {
        f->format = FEED_RSS;   /* a bare channel: very old RSS */
        f->format_version = strdup("0.9x");
        x->where = IN_FEED;
        set_if_empty(&x->root_lang, dup_or_null(x, cur_lang(x)));
    } else if (*ns == NS_NONE && strcasecmp(name, "channel") == 0) {
        /* Microsoft's Channel Definition Format (1997). */
        struct frame *fr = &x->stack[x->depth - 1];
        f->format = FEED_RSS;
        f->format_version = strdup("cdf");
        x->cdf = 1;
        x->where = IN_FEED;
        char *href = get_attr_nocase(n, attrs, "href");
        char *mod = get_attr_nocase(n, attrs, "lastmod");
        char *base = get_attr_nocase(n, attrs, "base");
        long long t;
        if (base) {
            char *abs = parse_resolve_url(base, fr->base);
            if (abs && (strncasecmp(abs, "http://", 7) == 0
                        || strncasecmp(abs, "https://", 8) == 0)) {
                if (fr->own_base)
                    free(fr->base);
                fr->base = abs;
                fr->own_base = 1;
            } else {
                free(abs);
            }
            free(base);
        }
        if (href)
            apply_link(x, resolve(x, href), "alternate", NULL, NULL, NULL,
                       NULL);
        if (mod && date_parse(mod, &t) == CUR_OK)
            f->updated = t;
        free(href);
        free(mod);
    } else if (!x->in_html && x->depth == 1 && strcmp(name, "html") == 0
               && (*ns == NS_XHTML || *ns == NS_NONE)) {
        /* A feed served inside an XHTML page: look for it. */
        x->in_html = 1;
        x->root_seen = 0;
    } else if (x->in_html) {
        x->root_seen = 0;       /* still looking */
    } else {
        char msg[200];
        snprintf(msg, sizeof msg, "root element <%.60s> is not an RSS, "
                 "RDF or Atom feed", name);
        stop(x, msg);
    }
    free(version);
    return 0;
}

static void
start_item(struct xml_feed *x, struct frame *fr)
{
    item_clear(&x->cur);
    x->item_known = 0;
    x->item_title_fallback = 0;
    x->where = IN_ITEM;
    fr->opens |= OPEN_ITEM;
    if (cur_lang(x))
        x->cur.language = dup_or_null(x, cur_lang(x));
}

/* CDF: CHANNEL > ITEM, with TITLE and ABSTRACT, HREF and LASTMOD. */
static int
cdf_element(struct xml_feed *x, const char *name, int n,
            const xmlChar **attrs)
{
    struct frame *fr = &x->stack[x->depth - 1];
    int in_item = x->where == IN_ITEM;
    if (strcasecmp(name, "item") == 0 && !in_item) {
        char *href = get_attr_nocase(n, attrs, "href");
        char *mod = get_attr_nocase(n, attrs, "lastmod");
        long long t;
        start_item(x, fr);
        if (href)
            apply_link(x, resolve(x, href), "alternate", NULL, NULL, NULL,
                       NULL);
        if (mod && date_parse(mod, &t) == CUR_OK)
            x->cur.updated = t;
        x->item_known += href != NULL || mod != NULL;
        free(href);
        free(mod);
    } else if (strcasecmp(name, "title") == 0) {
        open_field(x, in_item ? F_TITLE : F_FEED_TITLE, K_GUESS, 1);
    } else if (strcasecmp(name, "abstract") == 0) {
        open_field(x, in_item ? F_SUMMARY : F_FEED_DESC, K_GUESS, 1);
    } else {
        return 0;
    }
    return 1;
}

/* A person in an array, or a single one (publisher). */
static void
open_person(struct xml_feed *x, struct frame *fr, struct person **v,
            size_t *n, struct person *single)
{
    x->person = single ? single : feed_add_person(v, n);
    x->person_v = single ? NULL : v;
    x->person_n = single ? NULL : n;
    if (x->person == NULL)
        x->oom = 1;
    else
        fr->opens |= OPEN_PERSON;
}

static void
close_person(struct xml_feed *x)
{
    struct person *p = x->person;
    x->person = NULL;
    if (p && p->name == NULL && p->email == NULL && p->uri == NULL
        && x->person_v)
        (*x->person_n)--;
}

static void
atom_link(struct xml_feed *x, int n, const xmlChar **attrs)
{
    char *rel = get_attr(n, attrs, "rel", NS_NONE);
    char *href = get_attr(n, attrs, "href", NS_NONE);
    char *type = get_attr(n, attrs, "type", NS_NONE);
    if (rel)
        sanitize_squeeze(rel, 256);
    if (href == NULL) {
        /* Some feeds put the URL in the text. */
        open_field(x, F_LINK_TEXT, K_TEXT, 0);
        x->field_attr = rel;
        x->field_attr2 = type;
        return;
    }
    char *length = get_attr(n, attrs, "length", NS_NONE);
    apply_link(x, resolve_attr(x, href), rel, type,
               get_attr(n, attrs, "title", NS_NONE),
               get_attr(n, attrs, "hreflang", NS_NONE), length);
    free(length);
    free(href);
    free(rel);
}

/* Feed-level elements (also those of an item's source). */
static int
feed_element(struct xml_feed *x, struct feed *tf, enum ns ns,
             const char *name, int n, const xmlChar **attrs)
{
    int atom = is_atom_ns(ns), rss = is_rss_ns(ns);

    if ((rss || atom) && strcmp(name, "title") == 0) {
        if (atom)
            open_construct(x, F_FEED_TITLE, ns, n, attrs);
        else
            open_field(x, F_FEED_TITLE, K_GUESS, 1);
    } else if (ns == NS_DC && strcmp(name, "title") == 0)
        open_field(x, F_FEED_TITLE_FALLBACK, K_GUESS, 1);
    else if (rss && strcmp(name, "link") == 0)
        open_field(x, F_FEED_LINK, K_TEXT, 0);
    else if (rss && strcmp(name, "description") == 0)
        open_field(x, F_FEED_DESC, K_GUESS, 1);
    else if (atom && (strcmp(name, "subtitle") == 0
                      || strcmp(name, "tagline") == 0))
        open_construct(x, F_FEED_DESC, ns, n, attrs);
    else if ((ns == NS_ITUNES && (strcmp(name, "summary") == 0
                                  || strcmp(name, "subtitle") == 0))
             || (ns == NS_DC && strcmp(name, "description") == 0))
        open_field(x, F_FEED_DESC_FALLBACK, K_TEXT, 1);
    else if (atom && strcmp(name, "info") == 0)
        open_construct(x, F_FEED_INFO, ns, n, attrs);
    else if ((rss && strcmp(name, "language") == 0)
             || (ns == NS_DC && strcmp(name, "language") == 0))
        open_field(x, F_FEED_LANG, K_TEXT, 0);
    else if ((rss && strcmp(name, "copyright") == 0)
             || (ns == NS_DC && strcmp(name, "rights") == 0))
        open_field(x, F_FEED_RIGHTS, K_GUESS, 1);
    else if (atom && (strcmp(name, "rights") == 0
                      || strcmp(name, "copyright") == 0))
        open_construct(x, F_FEED_RIGHTS, ns, n, attrs);
    else if ((rss || atom) && strcmp(name, "generator") == 0) {
        char *uri = get_attr(n, attrs, atom ? "uri" : "url", NS_NONE);
        if (uri == NULL)
            uri = get_attr(n, attrs, "url", NS_NONE);
        if (uri)
            set_if_empty(&tf->generator_uri, resolve(x, uri));
        set_if_empty(&tf->generator_version,
                     get_attr(n, attrs, "version", NS_NONE));
        free(uri);
        open_field(x, F_FEED_GENERATOR, K_TEXT, 0);
    } else if ((rss && (strcmp(name, "lastBuildDate") == 0
                        || strcmp(name, "pubDate") == 0))
               || (atom && (strcmp(name, "updated") == 0
                            || strcmp(name, "modified") == 0))
               || (ns == NS_DC && strcmp(name, "date") == 0)
               || (ns == NS_DCTERMS && (strcmp(name, "modified") == 0
                                        || strcmp(name, "issued") == 0
                                        || strcmp(name, "created") == 0)))
        open_field(x, F_FEED_UPDATED, K_TEXT, 0);
    else if (rss && strcmp(name, "ttl") == 0)
        open_field(x, F_FEED_TTL, K_TEXT, 0);
    else if (atom && strcmp(name, "icon") == 0)
        open_field(x, F_FEED_ICON, K_TEXT, 0);
    else if (atom && strcmp(name, "logo") == 0)
        open_field(x, F_FEED_LOGO, K_TEXT, 0);
    else if (atom && strcmp(name, "id") == 0)
        open_field(x, F_FEED_ID, K_TEXT, 0);
    else if (ns == NS_ITUNES && strcmp(name, "image") == 0) {
        /* Podcast artwork: the feed's logo unless it has one. */
        char *href = get_attr(n, attrs, "href", NS_NONE);
        if (href == NULL)
            href = get_attr(n, attrs, "url", NS_NONE);
        if (href)
            set_if_empty(&tf->logo, resolve(x, href));
        free(href);
    } else if (ns == NS_ITUNES && strcmp(name, "new-feed-url") == 0)
        open_field(x, F_FEED_NEW_URL, K_TEXT, 0);
    else if ((rss && (strcmp(name, "managingEditor") == 0
                      || strcmp(name, "author") == 0))
             || (ns == NS_DC && (strcmp(name, "creator") == 0
                                 || strcmp(name, "author") == 0))
             || (ns == NS_ITUNES && strcmp(name, "author") == 0))
        open_field(x, F_AUTHOR_TEXT, K_TEXT, 0);
    else if (rss && strcmp(name, "webMaster") == 0)
        open_field(x, F_PUBLISHER_TEXT, K_TEXT, 0);
    else
        return 0;
    return 1;
}

/* Item-level elements. */
static int
item_element(struct xml_feed *x, enum ns ns, const char *name, int n,
             const xmlChar **attrs)
{
    int atom = is_atom_ns(ns), rss = is_rss_ns(ns);

    if (rss && strcmp(name, "title") == 0)
        open_field(x, F_TITLE, K_GUESS, 1);
    else if ((ns == NS_DC || ns == NS_MEDIA) && strcmp(name, "title") == 0)
        open_field(x, F_TITLE_FALLBACK, K_GUESS, 1);
    else if (atom && strcmp(name, "title") == 0)
        open_construct(x, F_TITLE, ns, n, attrs);
    else if (rss && strcmp(name, "link") == 0)
        open_field(x, F_LINK, K_TEXT, 0);
    else if (rss && strcmp(name, "guid") == 0) {
        char *perma = get_attr(n, attrs, "isPermaLink", NS_NONE);
        open_field(x, F_ID, K_TEXT, 0);
        if (perma == NULL || strcasecmp(perma, "true") == 0)
            x->field_attr = strdup("permalink");
        free(perma);
    } else if (atom && strcmp(name, "id") == 0)
        open_field(x, F_ID, K_TEXT, 0);
    else if ((rss && strcmp(name, "description") == 0)
             || (ns == NS_DC && strcmp(name, "description") == 0))
        open_field(x, F_SUMMARY, K_HTML, 1);
    else if (atom && strcmp(name, "summary") == 0)
        open_construct(x, F_SUMMARY, ns, n, attrs);
    else if ((ns == NS_ITUNES && strcmp(name, "summary") == 0)
             || (ns == NS_MEDIA && strcmp(name, "description") == 0))
        open_field(x, F_SUMMARY_FALLBACK, K_TEXT, 1);
    else if ((ns == NS_CONTENT && strcmp(name, "encoded") == 0)
             || (rss && strcmp(name, "fullitem") == 0))
        open_field(x, F_CONTENT, K_HTML, 1);
    else if ((ns == NS_XHTML || rss) && strcmp(name, "body") == 0)
        open_field(x, F_CONTENT, K_XHTML, 1);
    else if (atom && strcmp(name, "content") == 0) {
        char *src = get_attr(n, attrs, "src", NS_NONE);
        if (src) {
            set_if_empty(&x->cur.external_url, resolve(x, src));
            free(src);
            x->item_known++;
            return 1;
        }
        open_construct(x, F_CONTENT, ns, n, attrs);
    } else if ((rss && strcmp(name, "pubDate") == 0)
               || (atom && (strcmp(name, "published") == 0
                            || strcmp(name, "issued") == 0
                            || strcmp(name, "created") == 0))
               || (ns == NS_DC && strcmp(name, "date") == 0)
               || (ns == NS_DCTERMS && (strcmp(name, "issued") == 0
                                        || strcmp(name, "created") == 0)))
        open_field(x, F_PUBLISHED, K_TEXT, 0);
    else if ((atom && (strcmp(name, "updated") == 0
                      || strcmp(name, "modified") == 0))
             || (ns == NS_DCTERMS && strcmp(name, "modified") == 0))
        open_field(x, F_UPDATED, K_TEXT, 0);
    else if ((rss && strcmp(name, "author") == 0)
             || (ns == NS_DC && (strcmp(name, "creator") == 0
                                 || strcmp(name, "author") == 0))
             || (ns == NS_ITUNES && strcmp(name, "author") == 0))
        open_field(x, F_AUTHOR_TEXT, K_TEXT, 0);
    else if (rss && strcmp(name, "comments") == 0)
        open_field(x, F_COMMENTS, K_TEXT, 0);
    else if ((atom && (strcmp(name, "rights") == 0
                       || strcmp(name, "copyright") == 0)))
        open_construct(x, F_RIGHTS, ns, n, attrs);
    else if (ns == NS_DC && strcmp(name, "rights") == 0)
        open_field(x, F_RIGHTS, K_GUESS, 1);
    else if (ns == NS_DC && strcmp(name, "language") == 0)
        open_field(x, F_ITEM_LANG, K_TEXT, 0);
    else if (rss && strcmp(name, "enclosure") == 0) {
        char *url = get_attr(n, attrs, "url", NS_NONE);
        char *len = get_attr(n, attrs, "length", NS_NONE);
        apply_link(x, url ? resolve(x, url) : NULL, "enclosure",
                   get_attr(n, attrs, "type", NS_NONE), NULL, NULL, len);
        free(url);
        free(len);
    } else if (ns == NS_MEDIA && strcmp(name, "content") == 0) {
        char *url = get_attr(n, attrs, "url", NS_NONE);
        char *abs = url ? resolve(x, url) : NULL;
        char *type = get_attr(n, attrs, "type", NS_NONE);
        char *size = get_attr(n, attrs, "fileSize", NS_NONE);
        char *dur = get_attr(n, attrs, "duration", NS_NONE);
        add_enclosure(x, abs, type, size, dur);
        free(url);
        free(abs);
        free(type);
        free(size);
        free(dur);
    } else if ((ns == NS_MEDIA && strcmp(name, "thumbnail") == 0)
               || (ns == NS_ITUNES && strcmp(name, "image") == 0)) {
        char *url = get_attr(n, attrs, ns == NS_MEDIA ? "url" : "href",
                             NS_NONE);
        if (url == NULL)
            url = get_attr(n, attrs, "url", NS_NONE);
        if (url)
            set_if_empty(&x->cur.image, resolve(x, url));
        free(url);
    } else if (ns == NS_ITUNES && strcmp(name, "duration") == 0)
        open_field(x, F_DURATION, K_TEXT, 0);
    else if (ns == NS_SLASH || ns == NS_WFW || ns == NS_GEORSS
             || (ns == NS_ITUNES && (strcmp(name, "explicit") == 0
                                     || strcmp(name, "subtitle") == 0))) {
        const char *uri = "";
        for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
            if (namespaces[i].ns == ns) {
                uri = namespaces[i].uri;
                break;
            }
        snprintf(x->ext_ns, sizeof x->ext_ns, "%s", uri);
        snprintf(x->ext_name, sizeof x->ext_name, "%s", name);
        open_field(x, F_EXTENSION, K_TEXT, 0);
    } else {
        return 0;
    }
    return 1;
}

/* An element inside a feed or item that we read; returns 1 if handled. */
static int
start_known(struct xml_feed *x, enum ns ns, const char *name, int n,
            const xmlChar **attrs)
{
    struct frame *fr = &x->stack[x->depth - 1];
    int in_item = x->where == IN_ITEM;
    int atom = is_atom_ns(ns), rss = is_rss_ns(ns) && !atom;
    struct feed *tf = feed_target(x);
    int done = 1;

    if (x->cdf)
        return cdf_element(x, name, n, attrs);
    /* Containers. */
    if ((rss && strcmp(name, "item") == 0)
        || (atom && (strcmp(name, "entry") == 0
                     || strcmp(name, "item") == 0))) {
        if (x->where != IN_FEED)
            return 0;
        start_item(x, fr);
        if (ns == NS_RSS10 || ns == NS_RSS090)
            x->cur.id = get_attr(n, attrs, "about", NS_RDF);
        return 1;
    }
    if (rss && strcmp(name, "channel") == 0 && x->where == IN_NONE) {
        x->where = IN_FEED;
        if (x->f->format == FEED_RDF && ns == NS_RSS090) {
            x->f->format = FEED_RSS;
            x->f->format_version = strdup("0.90");
        } else if (x->f->format == FEED_RDF && x->f->format_version == NULL) {
            x->f->format_version = strdup("1.0");
        }
        set_if_empty(&x->root_lang, dup_or_null(x, cur_lang(x)));
        return 1;
    }
    if (x->in_image) {
        if (rss && strcmp(name, "url") == 0 && tf)
            open_field(x, F_IMAGE_URL, K_TEXT, 0);
        return 1;       /* the image's title and link are not the feed's */
    }
    if (rss && strcmp(name, "image") == 0 && tf) {
        x->in_image = 1;
        fr->opens |= OPEN_IMAGE;
        return 1;
    }
    if (rss && (strcasecmp(name, "textInput") == 0
                || strcmp(name, "cloud") == 0)) {
        x->ignore_depth = x->depth;     /* not about the feed's content */
        return 1;
    }
    if (rss && tf && (strcmp(name, "skipHours") == 0
                      || strcmp(name, "skipDays") == 0)) {
        x->in_skip = 1;
        fr->opens |= OPEN_SKIP_LIST;
        return 1;
    }
    if (x->in_skip) {
        if (rss && strcmp(name, "hour") == 0)
            open_field(x, F_SKIP_HOUR, K_TEXT, 0);
        else if (rss && strcmp(name, "day") == 0)
            open_field(x, F_SKIP_DAY, K_TEXT, 0);
        return 1;
    }

    /* People. */
    if (x->person) {
        if ((atom || ns == NS_ITUNES) && strcmp(name, "name") == 0)
            open_field(x, F_PERSON_NAME, K_TEXT, 0);
        else if ((atom || ns == NS_ITUNES) && strcmp(name, "email") == 0)
            open_field(x, F_PERSON_EMAIL, K_TEXT, 0);
        else if (atom && (strcmp(name, "uri") == 0
                          || strcmp(name, "url") == 0
                          || strcmp(name, "homepage") == 0))
            open_field(x, F_PERSON_URI, K_TEXT, 0);
        return 1;
    }
    if (atom && strcmp(name, "author") == 0)
        open_person(x, fr, tf ? &tf->authors : &x->cur.authors,
                    tf ? &tf->n_authors : &x->cur.n_authors, NULL);
    else if (atom && strcmp(name, "contributor") == 0)
        open_person(x, fr, tf ? &tf->contributors : &x->cur.contributors,
                    tf ? &tf->n_contributors : &x->cur.n_contributors,
                    NULL);
    else if (ns == NS_ITUNES && strcmp(name, "owner") == 0 && tf)
        open_person(x, fr, NULL, NULL, &tf->publisher);
    else if (ns == NS_DC && strcmp(name, "contributor") == 0)
        open_field(x, F_CONTRIBUTOR_TEXT, K_TEXT, 0);
    else if (ns == NS_DC && strcmp(name, "publisher") == 0)
        open_field(x, F_PUBLISHER_TEXT, K_TEXT, 0);

    /* An item's source: the feed it came from, read as a feed. */
    else if (in_item && !x->src && atom && strcmp(name, "source") == 0) {
        if (x->cur.source == NULL
            && (x->cur.source = calloc(1, sizeof *x->cur.source)) == NULL) {
            x->oom = 1;
            return 1;
        }
        x->src = x->cur.source;
        x->src->format = FEED_ATOM;
        fr->opens |= OPEN_SOURCE;
    } else if (in_item && !x->src && rss && strcmp(name, "source") == 0) {
        char *url = get_attr(n, attrs, "url", NS_NONE);
        char *abs = url ? resolve(x, url) : NULL;
        if (x->cur.source == NULL)
            x->cur.source = calloc(1, sizeof *x->cur.source);
        if (x->cur.source == NULL) {
            x->oom = 1;
        } else {
            x->cur.source->format = FEED_RSS;
            set_if_empty(&x->cur.source->feed_url, dup_or_null(x, abs));
        }
        set_if_empty(&x->cur.source_url, abs);
        free(url);
        open_field(x, F_SOURCE_TITLE, K_GUESS, 1);
    }

    /* Links. */
    else if (atom && strcmp(name, "link") == 0)
        atom_link(x, n, attrs);
    else if (ns == NS_CC && strcmp(name, "license") == 0) {
        char *res = get_attr(n, attrs, "resource", NS_RDF);
        if (res)
            apply_link(x, resolve(x, res), "license", NULL, NULL, NULL,
                       NULL);
        else
            open_field(x, F_LICENSE, K_TEXT, 0);
        free(res);
    } else if (ns == NS_CREATIVE_COMMONS && strcmp(name, "license") == 0)
        open_field(x, F_LICENSE, K_TEXT, 0);

    /* Categories. */
    else if (atom && strcmp(name, "category") == 0) {
        char *term = get_attr(n, attrs, "term", NS_NONE);
        char *scheme = get_attr(n, attrs, "scheme", NS_NONE);
        char *label = get_attr(n, attrs, "label", NS_NONE);
        if (label)
            sanitize_squeeze(label, 256);
        if (term)
            add_category(x, tf, term, scheme, label);
        else if (label)
            add_category(x, tf, label, scheme, NULL);
        else {
            open_field(x, F_CATEGORY, K_TEXT, 0);
            x->field_attr = scheme;
            scheme = NULL;
        }
        free(term);
        free(scheme);
        free(label);
    } else if ((rss && strcmp(name, "category") == 0)
               || (ns == NS_DC && strcmp(name, "subject") == 0)) {
        open_field(x, F_CATEGORY, K_TEXT, 0);
        if (rss)
            x->field_attr = get_attr(n, attrs, "domain", NS_NONE);
    } else if (ns == NS_MEDIA && strcmp(name, "category") == 0) {
        open_field(x, F_CATEGORY, K_TEXT, 0);
        x->field_attr = get_attr(n, attrs, "scheme", NS_NONE);
        if (x->field_attr == NULL)     /* Media RSS's default scheme */
            x->field_attr =
                strdup("http://search.yahoo.com/mrss/category_schema");
        x->field_attr2 = get_attr(n, attrs, "label", NS_NONE);
    } else if (ns == NS_ITUNES && strcmp(name, "link") == 0) {
        /* The first iTunes spec gave artwork as a link. */
        char *rel = get_attr(n, attrs, "rel", NS_NONE);
        char *href = get_attr(n, attrs, "href", NS_NONE);
        if (rel && href && strcmp(rel, "image") == 0)
            set_if_empty(tf ? &tf->logo : &x->cur.image, resolve(x, href));
        free(rel);
        free(href);
    } else if (ns == NS_ITUNES && strcmp(name, "category") == 0) {
        char *text = get_attr(n, attrs, "text", NS_NONE);
        if (text)
            add_category(x, tf, text, ITUNES_SCHEME, NULL);
        free(text);
    } else if (ns == NS_ITUNES && strcmp(name, "keywords") == 0)
        open_field(x, F_KEYWORDS, K_TEXT, 0);
    else
        done = 0;
    if (done) {
        if (tf == NULL)
            x->item_known++;
        return 1;
    }
    if (tf)
        return feed_element(x, tf, ns, name, n, attrs);
    done = item_element(x, ns, name, n, attrs);
    x->item_known += done;
    return done;
}

/* Is 'uri' HTML's own namespace in this field: XHTML, none, or the
 * feed's (markup the feed did not put in XHTML's)? */
static int
is_html_ns(const struct xml_feed *x, const xmlChar *uri)
{
    const xmlChar *own = x->stack[x->field_depth - 1].uri;
    return uri == NULL || uri[0] == '\0'
        || strcmp((const char *)uri, "http://www.w3.org/1999/xhtml") == 0
        || (own && strcmp((const char *)uri, (const char *)own) == 0);
}

static void
put_attr_value(struct buf *b, const char *v, int *rc)
{
    for (const char *p = v; *p && *rc == CUR_OK; p++) {
        switch (*p) {
        case '&': *rc = buf_puts(b, "&amp;"); break;
        case '"': *rc = buf_puts(b, "&quot;"); break;
        case '<': *rc = buf_puts(b, "&lt;"); break;
        default: *rc = buf_append(b, p, 1);
        }
    }
}

/* Write an element start back as HTML into the open field. Prefixes are
 * dropped; an element in another namespace than its parent (inline SVG
 * or MathML) says so with xmlns, and a prefixed attribute (xlink:href)
 * declares its prefix. */
static void
markup_start(struct xml_feed *x, const char *name, const xmlChar *uri,
             int n, const xmlChar **attrs)
{
    struct buf *b = &x->text;
    const struct frame *parent = &x->stack[x->depth - 2];
    /* The field's own element, or the wrapper div, is HTML's context. */
    int top = x->depth - 1 == x->field_depth
              || (x->field_strip_div && x->depth - 1 == x->field_depth + 1);
    const xmlChar *puri = top ? NULL : parent->uri;
    int rc = buf_printf(b, "<%s", name);

    if (rc == CUR_OK && !(is_html_ns(x, uri) && is_html_ns(x, puri))
        && !(uri && puri && strcmp((const char *)uri,
                                   (const char *)puri) == 0))
        rc = buf_printf(b, " xmlns=\"%s\"", is_html_ns(x, uri)
                        ? "http://www.w3.org/1999/xhtml"
                        : (const char *)uri);
    for (int i = 0; i < n && rc == CUR_OK; i++) {
        const xmlChar **a = attrs + 5 * i;
        char *v = attr_value(a);
        if (v == NULL) {
            x->oom = 1;
            return;
        }
        if (a[1])
            rc = buf_printf(b, " %s:%s=\"", (const char *)a[1],
                            (const char *)a[0]);
        else
            rc = buf_printf(b, " %s=\"", (const char *)a[0]);
        put_attr_value(b, v, &rc);
        rc = rc == CUR_OK ? buf_puts(b, "\"") : rc;
        free(v);
        if (rc == CUR_OK && a[1] && a[2] && strcmp((const char *)a[1], "xml")
            != 0) {
            int declared = 0;
            for (int k = 0; k < i; k++)
                if (attrs[5 * k + 1]
                    && strcmp((const char *)attrs[5 * k + 1],
                              (const char *)a[1]) == 0)
                    declared = 1;
            if (!declared) {
                rc = buf_printf(b, " xmlns:%s=\"", (const char *)a[1]);
                put_attr_value(b, (const char *)a[2], &rc);
                rc = rc == CUR_OK ? buf_puts(b, "\"") : rc;
            }
        }
    }
    if (rc == CUR_OK)
        rc = buf_puts(b, ">");
    if (rc != CUR_OK)
        x->field_truncated = 1;
}

static int
is_void_element(const char *name)
{
    static const char *const voids[] = { "area", "base", "br", "col",
        "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr" };
    for (size_t i = 0; i < sizeof voids / sizeof voids[0]; i++)
        if (strcasecmp(name, voids[i]) == 0)
            return 1;
    return 0;
}

/* Is this element the wrapper <div> of Atom 1.0 XHTML content? */
static int
is_wrapper_div(const struct xml_feed *x, enum ns ns, const char *name)
{
    return x->field_strip_div && x->depth == x->field_depth + 1
        && ns == NS_XHTML && strcmp(name, "div") == 0;
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
         const xmlChar *uri, int nb_namespaces, const xmlChar **nss,
         int nb_attributes, int nb_defaulted, const xmlChar **attrs)
{
    struct xml_feed *x = ctx;
    const char *name = (const char *)localname;
    if (uri == NULL && prefix)      /* undeclared: libxml2 said so */
        uri = usual_namespace(prefix);
    enum ns ns = ns_in(x, uri);
    (void)nb_namespaces;
    (void)nss;
    (void)nb_defaulted;

    check_cpu(x);
    if (x->fatal)
        return;
    if (x->depth >= x->o.max_depth) {
        stop(x, "elements nested too deeply");
        return;
    }
    if ((unsigned)nb_attributes > x->o.max_attributes) {
        stop(x, "too many attributes on one element");
        return;
    }
    /* PARSE-5: libxml2's own name limit does not hold in push mode. */
    if (strnlen((const char *)localname, PARSE_MAX_NAME + 1)
        > PARSE_MAX_NAME) {
        stop(x, "element name longer than 50000 bytes");
        return;
    }
    if (x->depth == x->cap) {
        unsigned cap = x->cap ? x->cap * 2 : 32;
        struct frame *s = realloc(x->stack, cap * sizeof *s);
        if (s == NULL) {
            x->oom = 1;
            stop(x, "out of memory");
            return;
        }
        x->stack = s;
        x->cap = cap;
    }
    struct frame *fr = &x->stack[x->depth];
    memset(fr, 0, sizeof *fr);
    fr->uri = uri;
    fr->base = (char *)cur_base(x);
    fr->lang = (char *)cur_lang(x);
    char *base = get_attr(nb_attributes, attrs, "base", NS_XML);
    if (base) {
        sanitize_squeeze(base, 8192);
        char *abs = parse_resolve_url(base, fr->base);
        free(base);
        /* SAN-5: a base is only ever http(s). */
        if (abs && (strncasecmp(abs, "http://", 7) == 0
                    || strncasecmp(abs, "https://", 8) == 0)) {
            fr->base = abs;
            fr->own_base = 1;
        } else {
            free(abs);          /* a bad base is ignored */
        }
    }
    char *lang = get_attr(nb_attributes, attrs, "lang", NS_XML);
    if (lang) {
        sanitize_squeeze(lang, 64);
        /* en_US is a common slip for en-US. */
        for (char *p = lang; *p; p++)
            if (*p == '_')
                *p = '-';
        fr->lang = lang;
        fr->own_lang = 1;
    }
    x->depth++;

    if (!x->root_seen) {
        if (detect_root(x, &ns, uri, name, nb_attributes, attrs))
            start_known(x, ns, name, nb_attributes, attrs);
        fr->ns = ns;
        return;
    }
    fr->ns = ns;
    if (x->ignore_depth)
        return;
    if (x->field != F_NONE) {
        /* Inside a field: markup is content. */
        if (x->field_markup && !is_wrapper_div(x, ns, name)) {
            markup_start(x, name, uri, nb_attributes, attrs);
            x->field_markup = 2;
        }
        return;
    }
    if (is_rss_ns(ns) && strcmp(name, "newLocation") == 0) {
        open_field(x, F_FEED_NEW_URL, K_TEXT, 0);
        return;
    }
    if (x->where == IN_NONE && x->f->format == FEED_ATOM)
        x->where = IN_FEED;
    if (x->where == IN_NONE && !(is_rss_ns(ns)
                                 && strcmp(name, "channel") == 0)) {
        /* RSS 1.0 items are siblings of the channel, under rdf:RDF; some
         * RSS 0.9x feeds have no channel at all. */
        if ((x->f->format == FEED_RDF || x->f->format == FEED_RSS)
            && is_rss_ns(ns) && strcmp(name, "item") == 0)
            x->where = IN_FEED;
        else if (x->f->format == FEED_RDF && is_rss_ns(ns)
                 && strcmp(name, "image") == 0) {
            x->in_image = 1;
            fr->opens |= OPEN_IMAGE;
            return;
        } else if (x->f->format == FEED_RDF && is_rss_ns(ns)
                   && strcasecmp(name, "textinput") == 0) {
            x->ignore_depth = x->depth;
            return;
        } else if (!x->in_image) {
            return;
        }
    }
    start_known(x, ns, name, nb_attributes, attrs);
}

static void
finish_item(struct xml_feed *x)
{
    struct item *it = &x->cur;
    x->where = IN_FEED;
    if (x->item_known == 0 && it->id == NULL) {
        item_clear(it);         /* nothing in it */
        return;
    }
    if (parse_finish_identity(it) != 0) {
        x->oom = 1;
        item_clear(it);
        return;
    }
    if (x->f->n_items >= x->o.max_items) {
        x->items_over++;
        item_clear(it);
        return;
    }
    int keep = 1;
    x->n_emitted++;
    if (x->o.on_item)
        keep = x->o.on_item(x->o.on_item_ctx, x->f, it);
    if (!keep) {
        item_clear(it);
        return;
    }
    struct item *slot = feed_add_item(x->f);
    if (slot == NULL) {
        x->oom = 1;
        item_clear(it);
        return;
    }
    *slot = *it;
    memset(it, 0, sizeof *it);
}

/* The end of an atom:source: the item's source title and URL. */
static void
finish_source(struct xml_feed *x)
{
    struct feed *s = x->src;
    x->src = NULL;
    x->item_known++;
    set_if_empty(&x->cur.source_title, dup_or_null(x, s->title));
    set_if_empty(&x->cur.source_url,
                 dup_or_null(x, s->link ? s->link : s->feed_url));
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
       const xmlChar *uri)
{
    struct xml_feed *x = ctx;
    const char *name = (const char *)localname;
    (void)prefix;
    (void)uri;

    if (x->depth == 0)
        return;
    struct frame *fr = &x->stack[x->depth - 1];
    if (x->ignore_depth) {
        if (x->depth == x->ignore_depth)
            x->ignore_depth = 0;
    } else if (x->field != F_NONE) {
        if (x->depth == x->field_depth) {
            close_field(x);
        } else if (x->field_markup && !is_wrapper_div(x, fr->ns, name)
                   && !is_void_element(name)) {
            if (buf_printf(&x->text, "</%s>", name))
                x->field_truncated = 1;
        }
    }
    if (fr->opens & OPEN_PERSON)
        close_person(x);
    if (fr->opens & OPEN_SOURCE)
        finish_source(x);
    if (fr->opens & OPEN_ITEM)
        finish_item(x);
    if (fr->opens & OPEN_IMAGE)
        x->in_image = 0;
    if (fr->opens & OPEN_SKIP_LIST)
        x->in_skip = 0;
    if (fr->own_base)
        free(fr->base);
    if (fr->own_lang)
        free(fr->lang);
    x->depth--;
}

static void
on_text(void *ctx, const xmlChar *s, int len)
{
    struct xml_feed *x = ctx;
    if (x->field == F_NONE || x->fatal || x->ignore_depth || len <= 0)
        return;
    /* PARSE-5: libxml2 does not bound text in push mode; we do. */
    x->field_raw += (size_t)len;
    if (x->field_raw > PARSE_MAX_TEXT) {
        stop(x, "text longer than 10 MB in one element");
        return;
    }
    if (x->text.len > x->o.max_content + 8) {
        x->field_truncated = 1;
        return;
    }
    int rc;
    if ((x->field_markup && x->depth > x->field_depth)
        || x->field_kind == K_XHTML) {
        /* Text inside markup we write back: escape it again. */
        rc = CUR_OK;
        for (int i = 0, run = 0; i <= len && rc == CUR_OK; i++) {
            const char *esc = i == len ? NULL : s[i] == '<' ? "&lt;"
                            : s[i] == '&' ? "&amp;" : s[i] == '>' ? "&gt;"
                            : NULL;
            if (esc == NULL && i < len)
                continue;
            rc = buf_append(&x->text, s + run, (size_t)(i - run));
            if (rc == CUR_OK && esc)
                rc = buf_puts(&x->text, esc);
            run = i + 1;
        }
    } else if (x->text.cap - x->text.len > (size_t)len) {
        /* libxml2 hands text over in many small pieces (one per
         * reference): most fit without a call. */
        memcpy(x->text.data + x->text.len, s, (size_t)len);
        x->text.len += (size_t)len;
        x->text.data[x->text.len] = '\0';
        rc = CUR_OK;
    } else {
        rc = buf_append(&x->text, s, (size_t)len);
    }
    if (rc != CUR_OK)
        x->oom = 1;
}

/* PARSE-2: a DOCTYPE that declares any entity ends the parse. */
static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
               const xmlChar *public_id, const xmlChar *system_id,
               xmlChar *content)
{
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    stop(ctx, "entity declarations not allowed");
}

static xmlEntityPtr
on_get_entity(void *ctx, const xmlChar *name)
{
    (void)ctx;
    return xmlGetPredefinedEntity(name);
}

/* The first fatal error (the parse stops there) and the first other
 * one (an undeclared prefix: the parse goes on). */
static void
on_error(void *ctx, xmlErrorPtr e)
{
    struct xml_feed *x = ctx;
    if (e == NULL || e->level < XML_ERR_ERROR)
        return;
    int fatal = e->level == XML_ERR_FATAL;
    char *msg = fatal ? x->error_msg : x->warn_msg;
    size_t size = fatal ? sizeof x->error_msg : sizeof x->warn_msg;
    if (msg[0])
        return;
    if (fatal) {
        x->error_line = e->line;
        x->error_col = e->int2;
    } else {
        x->warn_line = e->line;
        x->warn_col = e->int2;
    }
    snprintf(msg, size, "%s", e->message ? e->message : "error");
    msg[strcspn(msg, "\n")] = '\0';
    parse_utf8_prefix(msg);
}

int
parse_xml_options(void)
{
    /* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE, RECOVER. */
    return XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
         | XML_PARSE_NOCDATA;
}

/* PARSE-4: nothing is ever loaded from outside the document. */
static xmlParserInputPtr
refuse_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url;
    (void)id;
    (void)ctxt;
    return NULL;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init_libxml(void)
{
    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_entity_loader);
}

int
xmlfeed_new(const struct parse_opts *o, struct xml_feed **out)
{
    static xmlSAXHandler sax;
    struct xml_feed *x = calloc(1, sizeof *x);

    *out = NULL;
    pthread_once(&init_once, init_libxml);
    if (x == NULL || (x->f = calloc(1, sizeof *x->f)) == NULL) {
        free(x);
        return CUR_ENOMEM;
    }
    x->o = *o;
    buf_init(&x->text, 0);
    if (sax.initialized == 0) {
        xmlSAXVersion(&sax, 2);
        sax.startElementNs = on_start;
        sax.endElementNs = on_end;
        sax.characters = on_text;
        sax.cdataBlock = on_text;
        sax.ignorableWhitespace = on_text;
        sax.entityDecl = on_entity_decl;
        sax.getEntity = on_get_entity;
        sax.getParameterEntity = NULL;
        sax.serror = on_error;
        sax.error = NULL;
        sax.warning = NULL;
        sax.comment = NULL;
        sax.processingInstruction = NULL;
        sax.startDocument = NULL;
        sax.endDocument = NULL;
        sax.reference = NULL;
        sax.externalSubset = NULL;
        sax.internalSubset = NULL;
        sax.attributeDecl = NULL;
        sax.elementDecl = NULL;
        sax.notationDecl = NULL;
        sax.unparsedEntityDecl = NULL;
        sax.setDocumentLocator = NULL;
        sax.resolveEntity = NULL;
    }
    x->ctxt = xmlCreatePushParserCtxt(&sax, x, NULL, 0, o->base_url);
    if (x->ctxt == NULL) {
        xmlfeed_free(x);
        return CUR_ENOMEM;
    }
    xmlCtxtUseOptions(x->ctxt, parse_xml_options());
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &x->cpu_start);
    *out = x;
    return CUR_OK;
}

int
xmlfeed_push(struct xml_feed *x, const char *utf8, size_t len, int last)
{
    /* After a stop, libxml2 ignores further input. */
    while (len > 0 || last) {
        int chunk = len > (1u << 20) ? 1 << 20 : (int)len;
        int end = last && (size_t)chunk == len;
        xmlParseChunk(x->ctxt, utf8, chunk, end);
        utf8 += chunk;
        len -= (size_t)chunk;
        if (end || x->fatal || x->ctxt->disableSAX)
            break;
    }
    return x->oom ? CUR_ENOMEM : CUR_OK;
}

int
xmlfeed_finish(struct xml_feed *x, struct feed **out, char *err,
               size_t errlen)
{
    struct feed *f = x->f;
    int broken = x->fatal || x->error_msg[0]
                 || (!x->ctxt->wellFormed && !x->warn_msg[0]);

    *out = NULL;
    if (x->oom) {
        snprintf(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    if (x->fatal && strstr(x->fatal_msg, "entity declarations")) {
        snprintf(err, errlen, "%s", x->fatal_msg);
        return CUR_EPARSE;
    }
    if (x->fatal && strstr(x->fatal_msg, "root element")) {
        snprintf(err, errlen, "%s", x->fatal_msg);
        return CUR_EUNSUPPORTED;
    }
    if (x->in_html && f->format == FEED_UNKNOWN) {
        snprintf(err, errlen, "root element <html> is not an RSS, RDF or "
                 "Atom feed");
        return CUR_EUNSUPPORTED;
    }
    if (!x->root_seen || f->format == FEED_UNKNOWN) {
        if (x->error_msg[0])
            snprintf(err, errlen, "%d:%d: not well-formed XML: %s",
                     x->error_line, x->error_col, x->error_msg);
        else
            snprintf(err, errlen, "no feed found in the document");
        return CUR_EPARSE;
    }
    if (broken) {
        /* Keep what was complete before the break, and say so. */
        if (x->fatal)
            feed_problem(f, 0, 0, "%s", x->fatal_msg);
        else
            feed_problem(f, x->error_line, x->error_col, "%s; items after "
                         "this point were lost", x->error_msg[0]
                         ? x->error_msg : "not well-formed");
        if (x->n_emitted == 0 && f->title == NULL && f->link == NULL
            && f->description == NULL && f->id == NULL) {
            snprintf(err, errlen, "%s", f->problems ? f->problems[0]
                     : "broken document");
            return CUR_EPARSE;
        }
    }
    if (x->warn_msg[0])
        feed_problem(f, x->warn_line, x->warn_col, "%s", x->warn_msg);
    if (x->items_over)
        feed_problem(f, 0, 0, "%zu items over the limit of %zu were "
                     "skipped", x->items_over, x->o.max_items);
    if (x->in_html)
        feed_problem(f, 0, 0, "the feed was inside an XHTML page");
    /* The feed's language: its own element, else xml:lang on the feed
     * element, else the HTTP Content-Language. */
    if (f->language == NULL)
        f->language = dup_or_null(x, x->root_lang ? x->root_lang
                                                  : x->o.content_language);
    x->f = NULL;
    *out = f;
    return CUR_OK;
}

void
xmlfeed_free(struct xml_feed *x)
{
    if (x == NULL)
        return;
    while (x->depth > 0) {
        struct frame *fr = &x->stack[--x->depth];
        if (fr->own_base)
            free(fr->base);
        if (fr->own_lang)
            free(fr->lang);
    }
    free(x->stack);
    item_clear(&x->cur);
    free(x->field_attr);
    free(x->field_attr2);
    free(x->atom_ns);
    free(x->rss_ns);
    free(x->root_lang);
    buf_free(&x->text);
    if (x->ctxt) {
        /* libxml2 makes a document for a DOCTYPE even under SAX. */
        xmlFreeDoc(x->ctxt->myDoc);
        x->ctxt->myDoc = NULL;
        xmlFreeParserCtxt(x->ctxt);
    }
    feed_free(x->f);
    free(x);
}
