/* Feed discovery: the URL itself, the feeds its HTML page advertises, or
 * the common paths of its site. */
#define _GNU_SOURCE     /* strcasestr */
#include "discover.h"
#include "err.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Tried in this order when a page advertises no feed. */
static const char *const common_paths[] = {
    "/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml",
    "/feed.json", "/atom", "/feeds/posts/default",
};

/* Types of <link rel="alternate"> that name a feed. */
static const char *const feed_types[] = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/feed+json", "application/json", "application/x.atom+xml",
    "application/x-atom+xml", "text/xml", "application/xml",
};

void
discover_list_free(struct discover_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].url);
        free(l->v[i].type);
        free(l->v[i].title);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Append a feed (strings copied) unless its URL is listed already. */
static int
add_feed(struct discover_list *l, const char *url, const char *type,
         const char *title)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].url, url) == 0)
            return CUR_OK;
    struct discover_feed *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (v == NULL)
        return CUR_ENOMEM;
    l->v = v;
    v[l->n] = (struct discover_feed) {
        .url = strdup(url),
        .type = type ? strdup(type) : NULL,
        .title = title ? strdup(title) : NULL,
    };
    if (v[l->n].url == NULL || (type && v[l->n].type == NULL)
        || (title && v[l->n].title == NULL)) {
        free(v[l->n].url);
        free(v[l->n].type);
        free(v[l->n].title);
        return CUR_ENOMEM;
    }
    l->n++;
    return CUR_OK;
}

/* 'list' (space-separated tokens) holds 'token', ignoring case. */
static int
has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if ((size_t)(p - start) == n && strncasecmp(start, token, n) == 0)
            return 1;
    }
    return 0;
}

static int
is_feed_type(const char *type)
{
    size_t n = strcspn(type, ";");     /* "application/rss+xml; charset" */
    while (n > 0 && isspace((unsigned char)type[n - 1]))
        n--;
    for (size_t i = 0; i < sizeof feed_types / sizeof feed_types[0]; i++)
        if (strlen(feed_types[i]) == n
            && strncasecmp(type, feed_types[i], n) == 0)
            return 1;
    return 0;
}

static char *
attr(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* The next element in document order, without recursion: pages may nest
 * deeply. */
static xmlNodePtr
next_node(xmlNodePtr n)
{
    if (n->children)
        return n->children;
    while (n) {
        if (n->next)
            return n->next;
        n = n->parent;
        if (n && n->type == XML_HTML_DOCUMENT_NODE)
            return NULL;
    }
    return NULL;
}

int
discover_links(const char *html, size_t len, const char *base_url,
               struct discover_list *out)
{
    int rc = CUR_OK;
    char *base = NULL;

    if (len > INT32_MAX)
        return CUR_ETOOBIG;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, base_url, NULL,
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR
                                    | HTML_PARSE_NOWARNING);
    if (doc == NULL)
        return CUR_OK;          /* not even HTML: nothing advertised */
    xmlNodePtr root = xmlDocGetRootElement(doc);

    /* <base href> applies to the whole page, wherever it is. */
    for (xmlNodePtr n = root; n && base == NULL; n = next_node(n)) {
        if (n->type != XML_ELEMENT_NODE
            || strcasecmp((const char *)n->name, "base") != 0)
            continue;
        char *href = attr(n, "href");
        if (href && href[0]) {
            xmlChar *abs = xmlBuildURI((const xmlChar *)href,
                                       (const xmlChar *)base_url);
            base = abs ? strdup((const char *)abs) : NULL;
            xmlFree(abs);
        }
        xmlFree(href);
    }
    for (xmlNodePtr n = root; n && rc == CUR_OK; n = next_node(n)) {
        if (n->type != XML_ELEMENT_NODE
            || strcasecmp((const char *)n->name, "link") != 0)
            continue;
        char *rel = attr(n, "rel"), *type = attr(n, "type");
        char *href = attr(n, "href"), *title = attr(n, "title");
        if (rel && type && href && href[0] && has_token(rel, "alternate")
            && is_feed_type(type)) {
            xmlChar *abs = xmlBuildURI((const xmlChar *)href,
                                       (const xmlChar *)(base ? base
                                                         : base_url));
            /* Only web URLs: a page must not point us at file: or
             * javascript:. */
            if (abs && (strncasecmp((char *)abs, "http://", 7) == 0
                        || strncasecmp((char *)abs, "https://", 8) == 0))
                rc = add_feed(out, (const char *)abs, type,
                              title && title[0] ? title : NULL);
            xmlFree(abs);
        }
        xmlFree(rel);
        xmlFree(type);
        xmlFree(href);
        xmlFree(title);
    }
    free(base);
    xmlFreeDoc(doc);
    return rc;
}

/* The body looks like an HTML page rather than a feed. */
static int
looks_like_html(const char *content_type, const char *body, size_t len)
{
    if (content_type && strcasestr(content_type, "html")
        && !strcasestr(content_type, "xhtml+xml"))
        return 1;
    size_t i = 0;
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    return (len - i >= 9 && strncasecmp(body + i, "<!doctype", 9) == 0
            && len - i >= 14 && strncasecmp(body + i + 10, "html", 4) == 0)
           || (len - i >= 5 && strncasecmp(body + i, "<html", 5) == 0);
}

/* Fetch 'url' and parse it as a feed: CUR_OK with *f set, else the
 * fetch or parse error with 'reply' kept for a look at the body. */
static int
try_feed(const struct fetch_cfg *fc, const struct parse_opts *po,
         const char *url, int allow_file, int refuse_private,
         struct fetch_reply *reply, struct feed **f, char *err,
         size_t errlen)
{
    struct parse_opts o;

    *f = NULL;
    if (po)
        o = *po;
    else
        parse_opts_default(&o);
    int rc = fetch_url(fc, url, allow_file, refuse_private, reply);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "%s", reply->error);
        return rc;
    }
    if (reply->status < 200 || reply->status > 299) {
        snprintf(err, errlen, "HTTP status %d", reply->status);
        return CUR_EHTTP;
    }
    o.base_url = reply->url ? reply->url : url;
    o.content_type = reply->content_type;
    o.max_size = fc->max_body;
    o.on_item = NULL;
    return parse_feed(reply->body, reply->len, &o, f, err, errlen);
}

int
discover_feeds(const struct fetch_cfg *fc, const struct parse_opts *po,
               const char *url, int allow_file, int refuse_private, int all,
               struct discover_list *out, char *err, size_t errlen)
{
    struct fetch_reply reply;
    struct feed *f;
    char why[256];

    memset(out, 0, sizeof *out);
    int rc = try_feed(fc, po, url, allow_file, refuse_private, &reply, &f,
                      why, sizeof why);
    if (rc == CUR_OK) {
        out->self = 1;
        rc = add_feed(out, url, NULL, f->title);
        feed_free(f);
        fetch_reply_free(&reply);
        return rc;
    }
    if (reply.body == NULL) {
        snprintf(err, errlen, "cannot read %s: %s", url, why);
        fetch_reply_free(&reply);
        return rc == CUR_EHTTP ? CUR_EHTTP : CUR_EFETCH;
    }
    if (!looks_like_html(reply.content_type, reply.body, reply.len)) {
        snprintf(err, errlen, "%s is neither a feed nor an HTML page: %s",
                 url, why);
        fetch_reply_free(&reply);
        return CUR_ENOTFOUND;
    }
    const char *page = reply.url ? reply.url : url;
    rc = discover_links(reply.body, reply.len, page, out);
    if (rc != CUR_OK || out->n > 0) {
        fetch_reply_free(&reply);
        return rc;
    }
    /* Nothing advertised: the site's usual places. */
    for (size_t i = 0; i < sizeof common_paths / sizeof common_paths[0];
         i++) {
        xmlChar *abs = xmlBuildURI((const xmlChar *)common_paths[i],
                                   (const xmlChar *)page);
        struct fetch_reply r2;
        if (abs == NULL)
            continue;
        if (try_feed(fc, po, (const char *)abs, 0, refuse_private, &r2, &f,
                     why, sizeof why) == CUR_OK) {
            out->guessed = 1;
            rc = add_feed(out, (const char *)abs, NULL, f->title);
            feed_free(f);
        }
        fetch_reply_free(&r2);
        xmlFree(abs);
        if (rc != CUR_OK || (out->n > 0 && !all))
            break;
    }
    if (rc == CUR_OK && out->n == 0) {
        snprintf(err, errlen, "%s is an HTML page that advertises no feed, "
                 "and none was found at %s, %s, %s and the other usual "
                 "paths", page, common_paths[0], common_paths[1],
                 common_paths[2]);
        rc = CUR_ENOTFOUND;
    }
    fetch_reply_free(&reply);
    return rc;
}
