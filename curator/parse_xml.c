/* RSS 2.0 and Atom 1.0 parsing with libxml2's tree parser.
 *
 * The document is parsed without entity substitution, DTD loading or
 * network access, and a SAX hook refuses any entity declaration before
 * the tree is built. Text is reduced to plain text here; the parser keeps
 * no HTML.
 */
#include "parse.h"
#include "date.h"
#include "err.h"
#include "sanitize.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ATOM_NS "http://www.w3.org/2005/Atom"
#define DC_NS "http://purl.org/dc/elements/1.1/"

int
parse_xml_options(void)
{
    /* Never NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE, HUGE, RECOVER. */
    return XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
         | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
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

/* PARSE-2: a DOCTYPE that declares any entity stops the parse. */
static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
               const xmlChar *public_id, const xmlChar *system_id,
               xmlChar *content)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    *(int *)ctxt->_private = 1;
    xmlStopParser(ctxt);
}

static int
is(const xmlNode *n, const char *name, const char *ns)
{
    if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name))
        return 0;
    if (ns == NULL)
        return n->ns == NULL;
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static xmlNode *
child(const xmlNode *parent, const char *name, const char *ns)
{
    for (xmlNode *n = parent->children; n; n = n->next)
        if (is(n, name, ns))
            return n;
    return NULL;
}

/* The element's text as one line of plain text, or NULL if empty.
 * Markup inside (escaped HTML in RSS, xhtml in Atom) is removed. */
static char *
plain(const xmlNode *n, size_t max)
{
    if (n == NULL)
        return NULL;
    char *raw = (char *)xmlNodeGetContent(n);
    if (raw == NULL)
        return NULL;
    char *text = strpbrk(raw, "<&") ? sanitize_text(raw, max) : strdup(raw);
    xmlFree(raw);
    if (text)
        sanitize_squeeze(text, max);
    if (text && text[0] == '\0') {
        free(text);
        return NULL;
    }
    return text;
}

/* Resolve 'href' against the element's base (xml:base and the document
 * URL) and keep it only if the result is http or https. */
static char *
absolute_link(xmlDoc *doc, xmlNode *n, const char *href)
{
    char *out = NULL;
    xmlChar *base = xmlNodeGetBase(doc, n);
    xmlChar *abs = xmlBuildURI((const xmlChar *)href, base);
    const char *u = (const char *)(abs ? abs : (const xmlChar *)href);

    while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
        u++;
    if (strncasecmp(u, "http://", 7) == 0
        || strncasecmp(u, "https://", 8) == 0) {
        out = strdup(u);
        if (out)
            sanitize_squeeze(out, 4096);
    }
    xmlFree(abs);
    xmlFree(base);
    return out;
}

static long long
date_of(const xmlNode *n)
{
    long long t = 0;
    if (n == NULL)
        return 0;
    char *raw = (char *)xmlNodeGetContent(n);
    if (raw && date_parse(raw, &t) != 0)
        t = 0;
    xmlFree(raw);
    return t;
}

/* Identity when the feed gives none: a hash of what makes the item. */
static char *
hashed_guid(const struct item *it)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1];
    crypto_hash_sha256_state st;
    char when[32];

    snprintf(when, sizeof when, "%lld", it->published);
    crypto_hash_sha256_init(&st);
    const char *parts[] = { it->title, when, it->summary };
    for (size_t i = 0; i < 3; i++) {
        const char *p = parts[i] ? parts[i] : "";
        crypto_hash_sha256_update(&st, (const unsigned char *)p, strlen(p));
        crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    }
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    char *out = malloc(7 + sizeof hex);
    if (out)
        snprintf(out, 7 + sizeof hex, "sha256:%s", hex);
    return out;
}

/* Fill in what every item needs; 0 when out of memory. */
static int
finish_item(struct item *it)
{
    if (it->title == NULL)
        it->title = strdup(it->summary ? it->summary : "(untitled)");
    if (it->title)
        sanitize_squeeze(it->title, PARSE_MAX_TITLE);
    if (it->guid == NULL)
        it->guid = it->link ? strdup(it->link) : hashed_guid(it);
    return it->title != NULL && it->guid != NULL;
}

static int
parse_rss_item(xmlDoc *doc, xmlNode *n, struct item *it)
{
    xmlNode *e;

    it->title = plain(child(n, "title", NULL), PARSE_MAX_TITLE);
    if ((e = child(n, "link", NULL)) != NULL) {
        char *href = (char *)xmlNodeGetContent(e);
        if (href)
            it->link = absolute_link(doc, e, href);
        xmlFree(href);
    }
    it->guid = plain(child(n, "guid", NULL), PARSE_MAX_TITLE);
    it->summary = plain(child(n, "description", NULL), PARSE_MAX_SUMMARY);
    it->author = plain(child(n, "author", NULL), 256);
    if (it->author == NULL)
        it->author = plain(child(n, "creator", DC_NS), 256);
    it->published = date_of(child(n, "pubDate", NULL));
    if (it->published == 0)
        it->published = date_of(child(n, "date", DC_NS));
    return finish_item(it);
}

static char *
atom_link(xmlDoc *doc, const xmlNode *parent)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (!is(n, "link", ATOM_NS))
            continue;
        xmlChar *rel = xmlGetProp(n, (const xmlChar *)"rel");
        xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");
        char *out = NULL;
        if (href && (rel == NULL || strcmp((char *)rel, "alternate") == 0))
            out = absolute_link(doc, n, (const char *)href);
        xmlFree(rel);
        xmlFree(href);
        if (out)
            return out;
    }
    return NULL;
}

static int
parse_atom_entry(xmlDoc *doc, xmlNode *n, struct item *it)
{
    xmlNode *author = child(n, "author", ATOM_NS);

    it->title = plain(child(n, "title", ATOM_NS), PARSE_MAX_TITLE);
    it->link = atom_link(doc, n);
    it->guid = plain(child(n, "id", ATOM_NS), PARSE_MAX_TITLE);
    it->summary = plain(child(n, "summary", ATOM_NS), PARSE_MAX_SUMMARY);
    if (it->summary == NULL)
        it->summary = plain(child(n, "content", ATOM_NS), PARSE_MAX_SUMMARY);
    if (author)
        it->author = plain(child(author, "name", ATOM_NS), 256);
    it->published = date_of(child(n, "published", ATOM_NS));
    it->updated = date_of(child(n, "updated", ATOM_NS));
    if (it->published == 0)
        it->published = it->updated;
    return finish_item(it);
}

/* Parse each matching child of 'parent' as an item. */
static int
parse_items(xmlDoc *doc, xmlNode *parent, const char *name, const char *ns,
            int (*one)(xmlDoc *, xmlNode *, struct item *), struct feed *f)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (!is(n, name, ns))
            continue;
        if (f->n_items == PARSE_MAX_ITEMS)
            break;
        struct item *it = feed_add_item(f);
        if (it == NULL)
            return CUR_ENOMEM;
        if (!one(doc, n, it)) {
            feed_drop_last_item(f);
            return CUR_ENOMEM;
        }
    }
    return CUR_OK;
}

int
parse_feed(const char *body, size_t len, const char *base_url,
           struct feed **out, char *err, size_t errlen)
{
    char dummy[1];
    int entity_declared = 0, rc;
    struct feed *f = NULL;
    xmlDoc *doc = NULL;
    xmlParserCtxtPtr ctxt;

    if (err == NULL) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    if (len > (size_t)INT32_MAX) {
        snprintf(err, errlen, "document too large");
        return CUR_ETOOBIG;
    }
    pthread_once(&init_once, init_libxml);
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        return CUR_ENOMEM;
    ctxt->_private = &entity_declared;
    ctxt->sax->entityDecl = on_entity_decl;

    doc = xmlCtxtReadMemory(ctxt, body, (int)len, base_url, NULL,
                            parse_xml_options());
    if (entity_declared) {
        snprintf(err, errlen, "document declares entities; refused");
        rc = CUR_EPARSE;
        goto out;
    }
    if (doc == NULL) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        snprintf(err, errlen, "not well-formed XML: line %d: %s",
                 e ? e->line : 0, e && e->message ? e->message : "?");
        /* libxml2 messages end with a newline. */
        err[strcspn(err, "\n")] = '\0';
        rc = CUR_EPARSE;
        goto out;
    }

    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *channel = NULL;
    f = calloc(1, sizeof *f);
    rc = CUR_ENOMEM;
    if (f == NULL)
        goto out;
    if (root && is(root, "rss", NULL)
        && (channel = child(root, "channel", NULL)) != NULL) {
        f->title = plain(child(channel, "title", NULL), PARSE_MAX_TITLE);
        f->description = plain(child(channel, "description", NULL),
                               PARSE_MAX_SUMMARY);
        xmlNode *link = child(channel, "link", NULL);
        if (link) {
            char *href = (char *)xmlNodeGetContent(link);
            if (href)
                f->link = absolute_link(doc, link, href);
            xmlFree(href);
        }
        rc = parse_items(doc, channel, "item", NULL, parse_rss_item, f);
    } else if (root && is(root, "feed", ATOM_NS)) {
        f->title = plain(child(root, "title", ATOM_NS), PARSE_MAX_TITLE);
        f->description = plain(child(root, "subtitle", ATOM_NS),
                               PARSE_MAX_SUMMARY);
        f->link = atom_link(doc, root);
        rc = parse_items(doc, root, "entry", ATOM_NS, parse_atom_entry, f);
    } else {
        snprintf(err, errlen, "root element <%s> is not an RSS 2.0 or Atom "
                 "1.0 feed", root ? (const char *)root->name : "");
        rc = CUR_EUNSUPPORTED;
    }
out:
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    if (rc != CUR_OK) {
        feed_free(f);
        return rc;
    }
    *out = f;
    return CUR_OK;
}
