/* XML feeds with libxml2's SAX2 push parser: RSS 0.90 to 2.0, RSS 1.0
 * (RDF) and Atom 0.3/1.0 into struct feed, without building a tree.
 *
 * Each element is looked up by namespace and local name in the context
 * it appears in (feed, item, author, image, source). A field's text is
 * collected while its element is open; markup inside an HTML-bearing
 * field (XHTML content, or HTML that a feed forgot to escape) is written
 * back as HTML. An item joins the feed only when its end tag is seen, so
 * a document that breaks off never yields half an item.
 */
#include "parse_int.h"
#include "date.h"
#include "err.h"
#include "sanitize.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/uri.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum ns {
    NS_NONE, NS_RSS090, NS_RSS10, NS_RDF, NS_ATOM10, NS_ATOM03, NS_DC,
    NS_DCTERMS, NS_CONTENT, NS_MEDIA, NS_ITUNES, NS_SLASH, NS_WFW,
    NS_GEORSS, NS_XHTML, NS_XML, NS_OTHER
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
    /* RSS 2.0 published with a default namespace by some tools. */
    { "http://backend.userland.com/rss2", NS_NONE },
    { "http://blogs.law.harvard.edu/tech/rss", NS_NONE },
    { "http://backend.userland.com/rss", NS_NONE },
};

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
    /* feed */
    F_FEED_TITLE, F_FEED_LINK, F_FEED_DESC, F_FEED_DESC_FALLBACK,
    F_FEED_LANG, F_FEED_RIGHTS, F_FEED_GENERATOR, F_FEED_UPDATED,
    F_FEED_TTL, F_FEED_ICON, F_FEED_LOGO, F_FEED_AUTHOR_TEXT,
    F_SKIP_HOUR, F_SKIP_DAY, F_IMAGE_URL,
    /* item */
    F_TITLE, F_LINK, F_ID, F_SUMMARY, F_SUMMARY_FALLBACK, F_CONTENT,
    F_PUBLISHED, F_UPDATED, F_AUTHOR_TEXT, F_CATEGORY, F_COMMENTS,
    F_SOURCE_TITLE, F_DURATION, F_EXTENSION, F_KEYWORDS,
    /* person (atom author/contributor) */
    F_PERSON_NAME, F_PERSON_EMAIL, F_PERSON_URI
};

/* Where we are, as far as the feed model cares. */
enum where { IN_NONE, IN_FEED, IN_ITEM };

struct frame {
    enum ns ns;
    char *base;         /* xml:base in effect (owned when own_base) */
    char *lang;         /* xml:lang in effect (owned when own_lang) */
    unsigned own_base : 1, own_lang : 1;
    unsigned opens : 4; /* what this element opened: see OPEN_* */
};

#define OPEN_ITEM 1
#define OPEN_PERSON 2
#define OPEN_IMAGE 4
#define OPEN_SOURCE 8

struct xml_feed {
    struct parse_opts o;
    xmlParserCtxtPtr ctxt;
    struct feed *f;
    struct frame *stack;
    unsigned depth, cap;
    enum where where;
    struct item cur;            /* the item being read */
    int in_item;
    int in_image, in_source, in_skip;
    struct person *person;      /* atom author/contributor being read */
    int person_is_feed;
    /* The open field and its text. */
    enum field field;
    unsigned field_depth;
    int field_markup;           /* write child elements back as HTML */
    int field_xhtml_wrapper;    /* skip the xhtml wrapper <div> */
    int field_is_text;          /* type="text" */
    int field_truncated;
    struct buf text;
    char *field_attr;           /* an attribute kept for the field */
    char ext_ns[128], ext_name[64];
    /* Problems and limits. */
    int fatal;                  /* stop: entity, limit, CPU */
    char fatal_msg[256];
    int error_line, error_col;
    char error_msg[256];
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

/* The value of attribute 'name' (no namespace, or 'ns'), or NULL. */
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

static const char *
cur_base(const struct xml_feed *x)
{
    return x->depth ? x->stack[x->depth - 1].base : x->o.base_url;
}

static const char *
cur_lang(const struct xml_feed *x)
{
    return x->depth ? x->stack[x->depth - 1].lang : NULL;
}

/* Resolve 'href' against the base in effect; absolute http(s) only. */
static char *
resolve(const struct xml_feed *x, const char *href)
{
    while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
        href++;
    if (*href == '\0')
        return NULL;
    const char *base = cur_base(x);
    xmlChar *abs = xmlBuildURI((const xmlChar *)href,
                               (const xmlChar *)base);
    const char *u = abs ? (const char *)abs : href;
    char *out = NULL;
    if (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0
        || (strncasecmp(u, "mailto:", 7) == 0)) {
        out = strdup(u);
        if (out)
            sanitize_squeeze(out, 8192);
        /* A URL with a space left in it was not one. */
        if (out && strchr(out, ' ')) {
            free(out);
            out = NULL;
        }
    }
    xmlFree(abs);
    return out;
}

/* Text -> one line of plain text; markup (escaped HTML) removed when the
 * field carries HTML. */
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
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    double used = (double)(now.tv_sec - x->cpu_start.tv_sec)
                + (now.tv_nsec - x->cpu_start.tv_nsec) / 1e9;
    if (used > x->o.cpu_seconds)
        stop(x, "parse used more than its CPU time budget");
}

/* ---- people ---- */

/* "jo@example.org (Jo Smith)", "Jo Smith <jo@example.org>", "Jo". */
static int
add_person_text(struct xml_feed *x, struct person **v, size_t *n,
                const char *text)
{
    struct person *p = feed_add_person(v, n);
    if (p == NULL)
        return -1;
    const char *open = strchr(text, '('), *lt = strchr(text, '<');
    const char *at = strchr(text, '@');
    (void)x;
    if (at && open && strchr(open, ')') && at < open) {
        p->email = strndup(text, (size_t)(open - text));
        p->name = strndup(open + 1, (size_t)(strrchr(open, ')') - open - 1));
    } else if (lt && strchr(lt, '>') && at && at > lt) {
        p->name = strndup(text, (size_t)(lt - text));
        p->email = strndup(lt + 1, (size_t)(strchr(lt, '>') - lt - 1));
    } else if (at && !strchr(text, ' ')) {
        p->email = strdup(text);
    } else {
        p->name = strdup(text);
    }
    if (p->name) {
        sanitize_squeeze(p->name, 256);
        if (p->name[0] == '\0') {
            free(p->name);
            p->name = NULL;
        }
    }
    if (p->email) {
        sanitize_squeeze(p->email, 256);
        if (p->email[0] == '\0') {
            free(p->email);
            p->email = NULL;
        }
    }
    if (p->name == NULL && p->email == NULL)
        (*n)--;
    return 0;
}

/* ---- fields ---- */

static void
open_field(struct xml_feed *x, enum field field, int markup, int is_text)
{
    x->field = field;
    x->field_depth = x->depth;
    x->field_markup = markup;
    x->field_xhtml_wrapper = 0;
    x->field_is_text = is_text;
    x->field_truncated = 0;
    buf_free(&x->text);
    buf_init(&x->text, 0);
}

/* The Atom text construct type: 0 text, 1 html, 2 xhtml. */
static int
atom_type(int n, const xmlChar **attrs)
{
    char *type = get_attr(n, attrs, "type", NS_NONE);
    char *mode = get_attr(n, attrs, "mode", NS_NONE);     /* Atom 0.3 */
    int t = 0;
    if (type && (strcasecmp(type, "html") == 0
                 || strcasecmp(type, "text/html") == 0))
        t = 1;
    else if (type && (strcasecmp(type, "xhtml") == 0
                      || strcasecmp(type, "application/xhtml+xml") == 0))
        t = 2;
    if (mode && strcasecmp(mode, "escaped") == 0 && t == 0
        && type == NULL)
        t = 1;
    if (mode && strcasecmp(mode, "xml") == 0)
        t = 2;
    free(type);
    free(mode);
    return t;
}

static void
add_enclosure(struct xml_feed *x, char *url, char *type, const char *length,
              const char *duration)
{
    if (url == NULL) {
        free(type);
        return;
    }
    for (size_t i = 0; i < x->cur.n_enclosures; i++) {
        if (strcmp(x->cur.enclosures[i].url, url) == 0) {
            free(url);      /* media:content repeating an enclosure */
            free(type);
            return;
        }
    }
    struct enclosure *e = item_add_enclosure(&x->cur);
    if (e == NULL) {
        free(url);
        free(type);
        x->oom = 1;
        return;
    }
    e->url = url;
    e->type = type;
    if (length)
        e->length = strtoll(length, NULL, 10) > 0 ? strtoll(length, NULL, 10)
                                                  : 0;
    if (duration) {
        long long d;
        if (date_parse_duration(duration, &d) == CUR_OK)
            e->duration = d;
    }
}

static void
add_tags_split(struct xml_feed *x, const char *text, const char *seps)
{
    char *copy = strdup(text), *save = NULL;
    if (copy == NULL) {
        x->oom = 1;
        return;
    }
    for (char *t = strtok_r(copy, seps, &save); t;
         t = strtok_r(NULL, seps, &save)) {
        sanitize_squeeze(t, 256);
        if (t[0] && item_add_tag(&x->cur, t) != 0)
            x->oom = 1;
    }
    free(copy);
}

/* The end of a field's element: put its text where it belongs. */
static void
close_field(struct xml_feed *x)
{
    struct feed *f = x->f;
    struct item *it = &x->cur;
    char *raw = x->text.data ? x->text.data : "";
    enum field field = x->field;
    int html = !x->field_is_text;
    long long t;

    x->field = F_NONE;
    switch (field) {
    case F_NONE:
        break;
    case F_FEED_TITLE:
        set_if_empty(&f->title, to_plain(raw, html, x->o.max_title));
        break;
    case F_FEED_LINK:
        set_if_empty(&f->link, resolve(x, raw));
        break;
    case F_FEED_DESC:
        set_str(&f->description, to_plain(raw, html, x->o.max_content));
        break;
    case F_FEED_DESC_FALLBACK:
        set_if_empty(&f->description, to_plain(raw, html, x->o.max_content));
        break;
    case F_FEED_LANG:
        set_if_empty(&f->language, to_plain(raw, 0, 64));
        break;
    case F_FEED_RIGHTS:
        set_if_empty(&f->rights, to_plain(raw, html, x->o.max_title));
        break;
    case F_FEED_GENERATOR:
        set_if_empty(&f->generator, to_plain(raw, 0, 256));
        break;
    case F_FEED_UPDATED:
        if (date_parse(raw, &t) == CUR_OK && f->updated == 0)
            f->updated = t;
        break;
    case F_FEED_TTL: {
        long v = strtol(raw, NULL, 10);
        if (v > 0 && v < 1000000)
            f->ttl = (int)v;
        break;
    }
    case F_FEED_ICON:
        set_if_empty(&f->icon, resolve(x, raw));
        break;
    case F_FEED_LOGO:
        set_if_empty(&f->logo, resolve(x, raw));
        break;
    case F_IMAGE_URL:
        set_if_empty(&f->logo, resolve(x, raw));
        break;
    case F_FEED_AUTHOR_TEXT: {
        char *plain = to_plain(raw, 0, 512);
        if (plain && add_person_text(x, &f->authors, &f->n_authors, plain))
            x->oom = 1;
        free(plain);
        break;
    }
    case F_SKIP_HOUR: {
        char *end;
        long h = strtol(raw, &end, 10);
        if (end != raw && h >= 0 && h <= 24)
            f->skip_hours |= 1u << (h % 24);
        break;
    }
    case F_SKIP_DAY: {
        static const char *const days[] = { "Monday", "Tuesday",
            "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };
        char *d = to_plain(raw, 0, 32);
        for (int i = 0; d && i < 7; i++)
            if (strcasecmp(d, days[i]) == 0)
                f->skip_days |= 1u << i;
        free(d);
        break;
    }
    case F_TITLE:
        set_if_empty(&it->title, to_plain(raw, html, x->o.max_title));
        break;
    case F_LINK:
        set_if_empty(&it->link, resolve(x, raw));
        break;
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
        char **slot = field == F_CONTENT ? &it->content_html
                                         : &it->summary_html;
        if (field == F_SUMMARY_FALLBACK && *slot)
            break;
        char *v = strdup(raw);
        if (v == NULL) {
            x->oom = 1;
            break;
        }
        /* Keep HTML as given, only trimmed; cut to the field limit. */
        sanitize_trim(v);
        parse_cut_utf8(v, x->o.max_content);
        if (v[0] == '\0') {
            free(v);
            break;
        }
        if (x->field_truncated)
            problem(x, "%s cut to the field size limit", "content");
        set_str(slot, v);
        if (field == F_CONTENT)
            it->content_is_text = x->field_is_text;
        else
            it->summary_is_text = x->field_is_text;
        if (it->language == NULL && cur_lang(x))
            it->language = strdup(cur_lang(x));
        break;
    }
    case F_PUBLISHED:
        if (date_parse(raw, &t) == CUR_OK) {
            if (it->published == 0)
                it->published = t;
        } else if (raw[0]) {
            problem(x, "unreadable date \"%.60s\" left out", raw);
        }
        break;
    case F_UPDATED:
        if (date_parse(raw, &t) == CUR_OK) {
            if (it->updated == 0)
                it->updated = t;
        } else if (raw[0]) {
            problem(x, "unreadable date \"%.60s\" left out", raw);
        }
        break;
    case F_AUTHOR_TEXT: {
        char *plain = to_plain(raw, 0, 512);
        if (plain && add_person_text(x, &it->authors, &it->n_authors, plain))
            x->oom = 1;
        free(plain);
        break;
    }
    case F_CATEGORY: {
        char *tag = to_plain(raw, 0, 256);
        if (tag && item_add_tag(it, tag) != 0)
            x->oom = 1;
        free(tag);
        break;
    }
    case F_KEYWORDS:
        add_tags_split(x, raw, ",");
        break;
    case F_COMMENTS:
        set_if_empty(&it->comments, resolve(x, raw));
        break;
    case F_SOURCE_TITLE:
        set_if_empty(&it->source_title, to_plain(raw, html, x->o.max_title));
        break;
    case F_DURATION: {
        long long d;
        if (date_parse_duration(raw, &d) == CUR_OK && it->n_enclosures
            && it->enclosures[0].duration == 0)
            it->enclosures[0].duration = d;
        struct extension *e = item_add_extension(it);
        if (e) {
            e->ns = strdup("http://www.itunes.com/dtds/podcast-1.0.dtd");
            e->name = strdup("duration");
            e->value = to_plain(raw, 0, 64);
        }
        break;
    }
    case F_EXTENSION: {
        struct extension *e = item_add_extension(it);
        if (e == NULL) {
            x->oom = 1;
            break;
        }
        e->ns = strdup(x->ext_ns);
        e->name = strdup(x->ext_name);
        e->value = to_plain(raw, 0, 4096);
        break;
    }
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
    x->field_attr = NULL;
    buf_free(&x->text);
}

/* ---- elements ---- */

static void
detect_root(struct xml_feed *x, enum ns ns, const char *name, int n,
            const xmlChar **attrs)
{
    struct feed *f = x->f;
    x->root_seen = 1;
    if (ns == NS_NONE && strcmp(name, "rss") == 0) {
        f->format = FEED_RSS;
        f->format_version = get_attr(n, attrs, "version", NS_NONE);
        if (f->format_version == NULL)
            f->format_version = strdup("2.0");
    } else if (ns == NS_RDF && strcmp(name, "RDF") == 0) {
        f->format = FEED_RDF;   /* 0.90 or 1.0: told by the channel's ns */
    } else if (is_atom_ns(ns) && strcmp(name, "feed") == 0) {
        f->format = FEED_ATOM;
        f->format_version = strdup(ns == NS_ATOM10 ? "1.0" : "0.3");
    } else if (ns == NS_NONE && strcmp(name, "channel") == 0) {
        f->format = FEED_RSS;   /* a bare channel: very old RSS */
        f->format_version = strdup("0.9x");
        x->where = IN_FEED;
    } else {
        char msg[200];
        snprintf(msg, sizeof msg, "root element <%.60s> is not an RSS, "
                 "RDF or Atom feed", name);
        stop(x, msg);
    }
}

/* An element inside a feed or item that we read; returns 1 if handled. */
static int
start_known(struct xml_feed *x, enum ns ns, const char *name, int n,
            const xmlChar **attrs)
{
    struct frame *fr = &x->stack[x->depth - 1];
    int in_item = x->where == IN_ITEM;
    int atom = is_atom_ns(ns), rss = is_rss_ns(ns) && !atom;

    /* Containers. */
    if ((rss && (strcmp(name, "item") == 0))
        || (atom && strcmp(name, "entry") == 0)) {
        if (x->where != IN_FEED)
            return 0;
        memset(&x->cur, 0, sizeof x->cur);
        x->where = IN_ITEM;
        x->in_item = 1;
        fr->opens |= OPEN_ITEM;
        if (ns == NS_RSS10 || ns == NS_RSS090) {
            char *about = get_attr(n, attrs, "about", NS_RDF);
            if (about) {
                x->cur.id = about;
            }
        }
        if (cur_lang(x))
            x->cur.language = strdup(cur_lang(x));
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
        if (cur_lang(x) && x->f->language == NULL)
            x->f->language = strdup(cur_lang(x));
        return 1;
    }
    if (rss && strcmp(name, "image") == 0 && !in_item) {
        x->in_image = 1;
        fr->opens |= OPEN_IMAGE;
        return 1;
    }
    if (x->in_image) {
        if (rss && strcmp(name, "url") == 0)
            open_field(x, F_IMAGE_URL, 0, 1);
        return 1;       /* image title/link are not the feed's */
    }
    if (rss && (strcmp(name, "skipHours") == 0
                || strcmp(name, "skipDays") == 0)) {
        x->in_skip = 1;
        return 1;
    }
    if (x->in_skip) {
        if (rss && strcmp(name, "hour") == 0)
            open_field(x, F_SKIP_HOUR, 0, 1);
        else if (rss && strcmp(name, "day") == 0)
            open_field(x, F_SKIP_DAY, 0, 1);
        return 1;
    }
    if (atom && (strcmp(name, "author") == 0
                 || strcmp(name, "contributor") == 0)) {
        int is_author = strcmp(name, "author") == 0;
        struct person **v = in_item ? &x->cur.authors : &x->f->authors;
        size_t *cnt = in_item ? &x->cur.n_authors : &x->f->n_authors;
        if (!is_author || x->in_source)
            return 1;   /* contributors and source authors: not ours */
        x->person = feed_add_person(v, cnt);
        if (x->person == NULL)
            x->oom = 1;
        x->person_is_feed = !in_item;
        fr->opens |= OPEN_PERSON;
        return 1;
    }
    if (x->person && atom) {
        if (strcmp(name, "name") == 0)
            open_field(x, F_PERSON_NAME, 0, 1);
        else if (strcmp(name, "email") == 0)
            open_field(x, F_PERSON_EMAIL, 0, 1);
        else if (strcmp(name, "uri") == 0 || strcmp(name, "url") == 0)
            open_field(x, F_PERSON_URI, 0, 1);
        return 1;
    }
    if (in_item && ((atom && strcmp(name, "source") == 0)
                    || (rss && strcmp(name, "source") == 0))) {
        if (rss) {
            char *url = get_attr(n, attrs, "url", NS_NONE);
            if (url) {
                set_if_empty(&x->cur.source_url, resolve(x, url));
                free(url);
            }
            open_field(x, F_SOURCE_TITLE, 0, 1);
            return 1;
        }
        x->in_source = 1;
        fr->opens |= OPEN_SOURCE;
        return 1;
    }
    if (x->in_source) {
        if (atom && strcmp(name, "title") == 0)
            open_field(x, F_SOURCE_TITLE, 0, atom_type(n, attrs) == 0);
        else if (atom && strcmp(name, "link") == 0) {
            char *rel = get_attr(n, attrs, "rel", NS_NONE);
            char *href = get_attr(n, attrs, "href", NS_NONE);
            if (href && (rel == NULL || strcmp(rel, "alternate") == 0
                         || strcmp(rel, "self") == 0))
                set_if_empty(&x->cur.source_url, resolve(x, href));
            free(rel);
            free(href);
        }
        return 1;
    }

    /* Atom links carry everything in attributes. */
    if (atom && strcmp(name, "link") == 0) {
        char *rel = get_attr(n, attrs, "rel", NS_NONE);
        char *href = get_attr(n, attrs, "href", NS_NONE);
        if (href == NULL) {
            free(rel);
            return 1;
        }
        const char *r = rel ? rel : "alternate";
        char *url = resolve(x, href);
        if (url == NULL) {
            /* keep nothing */
        } else if (in_item && strcmp(r, "alternate") == 0) {
            set_if_empty(&x->cur.link, url);
            url = NULL;
        } else if (in_item && strcmp(r, "related") == 0) {
            set_if_empty(&x->cur.external_url, url);
            url = NULL;
        } else if (in_item && strcmp(r, "replies") == 0) {
            set_if_empty(&x->cur.comments, url);
            url = NULL;
        } else if (in_item && strcmp(r, "enclosure") == 0) {
            add_enclosure(x, url, get_attr(n, attrs, "type", NS_NONE),
                          NULL, NULL);
            char *len = get_attr(n, attrs, "length", NS_NONE);
            if (len && x->cur.n_enclosures) {
                long long l = strtoll(len, NULL, 10);
                struct enclosure *e =
                    &x->cur.enclosures[x->cur.n_enclosures - 1];
                if (e->length == 0 && l > 0)
                    e->length = l;
            }
            free(len);
            url = NULL;
        } else if (!in_item && strcmp(r, "alternate") == 0) {
            set_if_empty(&x->f->link, url);
            url = NULL;
        } else if (!in_item && strcmp(r, "self") == 0) {
            set_if_empty(&x->f->feed_url, url);
            url = NULL;
        } else if (!in_item && strcmp(r, "hub") == 0) {
            set_if_empty(&x->f->hub, url);
            url = NULL;
        }
        free(url);
        free(rel);
        free(href);
        return 1;
    }
    if (atom && strcmp(name, "category") == 0) {
        char *term = get_attr(n, attrs, "term", NS_NONE);
        if (term == NULL)
            term = get_attr(n, attrs, "label", NS_NONE);
        if (term && in_item) {
            sanitize_squeeze(term, 256);
            if (term[0] && item_add_tag(&x->cur, term) != 0)
                x->oom = 1;
        }
        free(term);
        if (term == NULL && in_item)
            open_field(x, F_CATEGORY, 0, 1);
        return 1;
    }

    if (!in_item) {
        int type = atom ? atom_type(n, attrs) : 1;
        if ((rss || atom) && strcmp(name, "title") == 0)
            open_field(x, F_FEED_TITLE, type == 2, type == 0);
        else if (rss && strcmp(name, "link") == 0)
            open_field(x, F_FEED_LINK, 0, 1);
        else if ((rss && strcmp(name, "description") == 0)
                 || (atom && (strcmp(name, "subtitle") == 0
                              || strcmp(name, "tagline") == 0)))
            open_field(x, F_FEED_DESC, type == 2, type == 0);
        else if ((ns == NS_ITUNES && strcmp(name, "summary") == 0)
                 || (ns == NS_DC && strcmp(name, "description") == 0))
            open_field(x, F_FEED_DESC_FALLBACK, 0, 1);
        else if ((rss && strcmp(name, "language") == 0)
                 || (ns == NS_DC && strcmp(name, "language") == 0))
            open_field(x, F_FEED_LANG, 0, 1);
        else if ((rss && strcmp(name, "copyright") == 0)
                 || (atom && (strcmp(name, "rights") == 0
                              || strcmp(name, "copyright") == 0))
                 || (ns == NS_DC && strcmp(name, "rights") == 0))
            open_field(x, F_FEED_RIGHTS, type == 2, type == 0);
        else if ((rss || atom) && strcmp(name, "generator") == 0)
            open_field(x, F_FEED_GENERATOR, 0, 1);
        else if ((rss && (strcmp(name, "lastBuildDate") == 0
                          || strcmp(name, "pubDate") == 0))
                 || (atom && (strcmp(name, "updated") == 0
                              || strcmp(name, "modified") == 0))
                 || (ns == NS_DC && strcmp(name, "date") == 0)
                 || (ns == NS_DCTERMS && strcmp(name, "modified") == 0))
            open_field(x, F_FEED_UPDATED, 0, 1);
        else if (rss && strcmp(name, "ttl") == 0)
            open_field(x, F_FEED_TTL, 0, 1);
        else if (atom && strcmp(name, "icon") == 0)
            open_field(x, F_FEED_ICON, 0, 1);
        else if (atom && strcmp(name, "logo") == 0)
            open_field(x, F_FEED_LOGO, 0, 1);
        else if (ns == NS_ITUNES && strcmp(name, "image") == 0) {
            char *href = get_attr(n, attrs, "href", NS_NONE);
            if (href)
                set_if_empty(&x->f->icon, resolve(x, href));
            free(href);
        } else if ((rss && (strcmp(name, "managingEditor") == 0))
                   || (ns == NS_DC && strcmp(name, "creator") == 0)
                   || (ns == NS_ITUNES && strcmp(name, "author") == 0))
            open_field(x, F_FEED_AUTHOR_TEXT, 0, 1);
        else
            return 0;
        return 1;
    }

    /* Item fields. */
    if (rss && strcmp(name, "title") == 0)
        open_field(x, F_TITLE, 0, 0);
    else if (atom && strcmp(name, "title") == 0) {
        int type = atom_type(n, attrs);
        open_field(x, F_TITLE, type == 2, type == 0);
    } else if (rss && strcmp(name, "link") == 0)
        open_field(x, F_LINK, 0, 1);
    else if (rss && strcmp(name, "guid") == 0) {
        char *perma = get_attr(n, attrs, "isPermaLink", NS_NONE);
        open_field(x, F_ID, 0, 1);
        if (perma == NULL || strcasecmp(perma, "true") == 0)
            x->field_attr = strdup("permalink");
        free(perma);
    } else if (atom && strcmp(name, "id") == 0)
        open_field(x, F_ID, 0, 1);
    else if ((rss && strcmp(name, "description") == 0)
             || (ns == NS_DC && strcmp(name, "description") == 0))
        open_field(x, F_SUMMARY, 1, 0);
    else if (atom && strcmp(name, "summary") == 0) {
        int type = atom_type(n, attrs);
        open_field(x, F_SUMMARY, 1, type == 0);
        x->field_xhtml_wrapper = type == 2;
    } else if ((ns == NS_ITUNES && strcmp(name, "summary") == 0)
               || (ns == NS_MEDIA && strcmp(name, "description") == 0))
        open_field(x, F_SUMMARY_FALLBACK, 0, 1);
    else if (ns == NS_CONTENT && strcmp(name, "encoded") == 0)
        open_field(x, F_CONTENT, 1, 0);
    else if (atom && strcmp(name, "content") == 0) {
        int type = atom_type(n, attrs);
        char *src = get_attr(n, attrs, "src", NS_NONE);
        if (src) {
            set_if_empty(&x->cur.external_url, resolve(x, src));
            free(src);
            return 1;
        }
        open_field(x, F_CONTENT, 1, type == 0);
        x->field_xhtml_wrapper = type == 2;
    } else if ((rss && strcmp(name, "pubDate") == 0)
               || (atom && (strcmp(name, "published") == 0
                            || strcmp(name, "issued") == 0
                            || strcmp(name, "created") == 0))
               || (ns == NS_DC && strcmp(name, "date") == 0)
               || (ns == NS_DCTERMS && (strcmp(name, "issued") == 0
                                        || strcmp(name, "created") == 0)))
        open_field(x, F_PUBLISHED, 0, 1);
    else if ((atom && (strcmp(name, "updated") == 0
                      || strcmp(name, "modified") == 0))
             || (ns == NS_DCTERMS && strcmp(name, "modified") == 0))
        open_field(x, F_UPDATED, 0, 1);
    else if ((rss && strcmp(name, "author") == 0)
             || (ns == NS_DC && strcmp(name, "creator") == 0)
             || (ns == NS_ITUNES && strcmp(name, "author") == 0))
        open_field(x, F_AUTHOR_TEXT, 0, 1);
    else if ((rss && strcmp(name, "category") == 0)
             || (ns == NS_DC && strcmp(name, "subject") == 0))
        open_field(x, F_CATEGORY, 0, 1);
    else if (ns == NS_ITUNES && strcmp(name, "keywords") == 0)
        open_field(x, F_KEYWORDS, 0, 1);
    else if (rss && strcmp(name, "comments") == 0)
        open_field(x, F_COMMENTS, 0, 1);
    else if (rss && strcmp(name, "enclosure") == 0) {
        char *url = get_attr(n, attrs, "url", NS_NONE);
        char *len = get_attr(n, attrs, "length", NS_NONE);
        add_enclosure(x, url ? resolve(x, url) : NULL,
                      get_attr(n, attrs, "type", NS_NONE), len, NULL);
        free(url);
        free(len);
    } else if (ns == NS_MEDIA && strcmp(name, "content") == 0) {
        char *url = get_attr(n, attrs, "url", NS_NONE);
        char *size = get_attr(n, attrs, "fileSize", NS_NONE);
        char *dur = get_attr(n, attrs, "duration", NS_NONE);
        add_enclosure(x, url ? resolve(x, url) : NULL,
                      get_attr(n, attrs, "type", NS_NONE), size, dur);
        free(url);
        free(size);
        free(dur);
    } else if ((ns == NS_MEDIA && strcmp(name, "thumbnail") == 0)
               || (ns == NS_ITUNES && strcmp(name, "image") == 0)) {
        char *url = get_attr(n, attrs, ns == NS_MEDIA ? "url" : "href",
                             NS_NONE);
        if (url)
            set_if_empty(&x->cur.image, resolve(x, url));
        free(url);
    } else if (ns == NS_ITUNES && strcmp(name, "duration") == 0)
        open_field(x, F_DURATION, 0, 1);
    else if (ns == NS_SLASH || ns == NS_WFW || ns == NS_GEORSS
             || (ns == NS_ITUNES && strcmp(name, "explicit") == 0)) {
        const xmlChar *uri = NULL;
        for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
            if (namespaces[i].ns == ns) {
                uri = (const xmlChar *)namespaces[i].uri;
                break;
            }
        snprintf(x->ext_ns, sizeof x->ext_ns, "%s", (const char *)uri);
        snprintf(x->ext_name, sizeof x->ext_name, "%s", name);
        open_field(x, F_EXTENSION, 0, 1);
    } else {
        return 0;
    }
    return 1;
}

/* Write an element start back as HTML into the open field. */
static void
markup_start(struct xml_feed *x, const char *name, int n,
             const xmlChar **attrs)
{
    struct buf *b = &x->text;
    int rc = buf_printf(b, "<%s", name);
    for (int i = 0; i < n && rc == CUR_OK; i++) {
        const xmlChar **a = attrs + 5 * i;
        char *v = attr_value(a);
        if (v == NULL) {
            x->oom = 1;
            return;
        }
        rc = buf_printf(b, " %s=\"", (const char *)a[0]);
        for (const char *p = v; *p && rc == CUR_OK; p++) {
            switch (*p) {
            case '&': rc = buf_puts(b, "&amp;"); break;
            case '"': rc = buf_puts(b, "&quot;"); break;
            case '<': rc = buf_puts(b, "&lt;"); break;
            default: rc = buf_append(b, p, 1);
            }
        }
        rc = rc == CUR_OK ? buf_puts(b, "\"") : rc;
        free(v);
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

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
         const xmlChar *uri, int nb_namespaces, const xmlChar **nss,
         int nb_attributes, int nb_defaulted, const xmlChar **attrs)
{
    struct xml_feed *x = ctx;
    const char *name = (const char *)localname;
    enum ns ns = ns_of(uri);
    (void)prefix;
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
    fr->ns = ns;
    fr->base = (char *)cur_base(x);
    fr->lang = (char *)cur_lang(x);
    char *base = get_attr(nb_attributes, attrs, "base", NS_XML);
    if (base) {
        xmlChar *abs = xmlBuildURI((const xmlChar *)base,
                                   (const xmlChar *)fr->base);
        free(base);
        /* SAN-5: a base is only ever http(s). */
        if (abs && (strncasecmp((char *)abs, "http://", 7) == 0
                    || strncasecmp((char *)abs, "https://", 8) == 0)) {
            fr->base = strdup((char *)abs);
            fr->own_base = fr->base != NULL;
        } else {
            fr->base = NULL;    /* a bad base leaves relative URLs alone */
        }
        xmlFree(abs);
    }
    char *lang = get_attr(nb_attributes, attrs, "lang", NS_XML);
    if (lang) {
        sanitize_squeeze(lang, 64);
        fr->lang = lang;
        fr->own_lang = 1;
    }
    x->depth++;

    if (!x->root_seen) {
        detect_root(x, ns, name, nb_attributes, attrs);
        return;
    }
    if (x->field != F_NONE) {
        /* Inside a field: markup is content. */
        if (x->field_xhtml_wrapper && x->depth == x->field_depth + 1
            && ns == NS_XHTML && strcmp(name, "div") == 0) {
            return;
        }
        if (x->field_markup)
            markup_start(x, name, nb_attributes, attrs);
        return;
    }
    if (x->where == IN_NONE && x->f->format == FEED_ATOM)
        x->where = IN_FEED;
    if (x->where == IN_NONE && !(is_rss_ns(ns)
                                 && strcmp(name, "channel") == 0)) {
        /* RSS 1.0 items are siblings of the channel, under rdf:RDF. */
        if (x->f->format == FEED_RDF && is_rss_ns(ns)
            && strcmp(name, "item") == 0)
            x->where = IN_FEED;
        else if (x->f->format == FEED_RDF && is_rss_ns(ns)
                 && strcmp(name, "image") == 0) {
            x->in_image = 1;
            fr->opens |= OPEN_IMAGE;
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
    x->in_item = 0;
    x->where = IN_FEED;
    if (it->title == NULL && it->summary_html == NULL
        && it->content_html == NULL && it->link == NULL && it->id == NULL) {
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

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
       const xmlChar *uri)
{
    struct xml_feed *x = ctx;
    (void)prefix;
    (void)uri;

    if (x->depth == 0)
        return;
    struct frame *fr = &x->stack[x->depth - 1];
    if (x->field != F_NONE) {
        if (x->depth == x->field_depth) {
            close_field(x);
        } else if (x->field_markup
                   && !(x->field_xhtml_wrapper
                        && x->depth == x->field_depth + 1
                        && fr->ns == NS_XHTML
                        && strcmp((const char *)localname, "div") == 0)
                   && !is_void_element((const char *)localname)) {
            if (buf_printf(&x->text, "</%s>", (const char *)localname))
                x->field_truncated = 1;
        }
    }
    if (fr->opens & OPEN_ITEM)
        finish_item(x);
    if (fr->opens & OPEN_PERSON) {
        struct person *p = x->person;
        x->person = NULL;
        if (p && p->name == NULL && p->email == NULL && p->uri == NULL) {
            if (x->person_is_feed)
                x->f->n_authors--;
            else
                x->cur.n_authors--;
        }
    }
    if (fr->opens & OPEN_IMAGE)
        x->in_image = 0;
    if (fr->opens & OPEN_SOURCE)
        x->in_source = 0;
    if (is_rss_ns(fr->ns) && (strcmp((const char *)localname, "skipHours") == 0
                              || strcmp((const char *)localname,
                                        "skipDays") == 0))
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
    if (x->field == F_NONE || x->fatal || len <= 0)
        return;
    if (x->text.len > x->o.max_content + 8) {
        x->field_truncated = 1;
        return;
    }
    int rc;
    if (x->field_markup && x->depth > x->field_depth) {
        /* Text inside markup we write back: escape it again. */
        rc = CUR_OK;
        for (int i = 0; i < len && rc == CUR_OK; i++) {
            if (s[i] == '<')
                rc = buf_puts(&x->text, "&lt;");
            else if (s[i] == '&')
                rc = buf_puts(&x->text, "&amp;");
            else if (s[i] == '>')
                rc = buf_puts(&x->text, "&gt;");
            else
                rc = buf_append(&x->text, s + i, 1);
        }
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

static void
on_error(void *ctx, xmlErrorPtr e)
{
    struct xml_feed *x = ctx;
    if (e == NULL || e->level < XML_ERR_ERROR || x->error_msg[0])
        return;
    x->error_line = e->line;
    x->error_col = e->int2;
    snprintf(x->error_msg, sizeof x->error_msg, "%s",
             e->message ? e->message : "error");
    x->error_msg[strcspn(x->error_msg, "\n")] = '\0';
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
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &x->cpu_start);
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
    int broken = x->fatal || !x->ctxt->wellFormed || x->error_msg[0];

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
                         "this point were lost", x->error_msg);
        if (x->n_emitted == 0 && f->title == NULL) {
            snprintf(err, errlen, "%s", f->problems ? f->problems[0]
                     : "broken document");
            return CUR_EPARSE;
        }
    }
    if (x->items_over)
        feed_problem(f, 0, 0, "%zu items over the limit of %zu were "
                     "skipped", x->items_over, x->o.max_items);
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
