/* OPML 1.0/2.0 import (SAX2, streaming) and OPML 2.0 export. */
#include "opml.h"
#include "buf.h"
#include "err.h"
#include "parse_int.h"
#include "parse.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define OPML_CHUNK (64 * 1024)
#define OPML_MAX_BYTES (256u << 20)     /* a document, at most */
#define OPML_PROGRESS_EVERY 250

/* ---- reading ---- */

struct reader {
    xmlParserCtxtPtr ctxt;
    struct opml_doc *doc;
    size_t cap;
    int depth;                  /* elements open */
    int root_seen;
    int body_depth;             /* depth of <body>, 0 outside it */
    int head_title;             /* inside head/title */
    struct buf title;
    /* Open outlines inside <body>: a folder's name, or NULL for a feed
     * (or an outline with neither). */
    char *outlines[OPML_MAX_DEPTH];
    int n_outlines;
    int stopped;
    int oom;
    size_t bytes;               /* pushed so far */
    /* The first error: the parse stops there. */
    int err_line, err_col;
    char err[256];
};

static void
stop_at(struct reader *r, const char *msg)
{
    if (r->stopped)
        return;
    r->stopped = 1;
    r->err_line = xmlSAX2GetLineNumber(r->ctxt);
    r->err_col = xmlSAX2GetColumnNumber(r->ctxt);
    snprintf(r->err, sizeof r->err, "%s", msg);
    xmlStopParser(r->ctxt);
}

/* An attribute's value (see parse_xml.c: SAX2 without entity
 * substitution hands '&' over as "&#38;"), or NULL. Names match without
 * case: OPML in the wild writes xmlurl and XMLURL too. */
static char *
get_attr(int n, const xmlChar **attrs, const char *name)
{
    for (int i = 0; i < n; i++) {
        const xmlChar **a = attrs + 5 * i;
        if (a[2] != NULL || strcasecmp((const char *)a[0], name) != 0)
            continue;
        size_t len = (size_t)(a[4] - a[3]);
        char *v = malloc(len + 1), *o = v;
        if (v == NULL)
            return NULL;
        for (const char *p = (const char *)a[3], *end = p + len; p < end;) {
            if (end - p >= 5 && memcmp(p, "&#38;", 5) == 0) {
                *o++ = '&';
                p += 5;
            } else {
                *o++ = *p++;
            }
        }
        *o = '\0';
        return v;
    }
    return NULL;
}

/* Trim white space in place; NULL for an empty result (freed). */
static char *
trimmed(char *s)
{
    if (s == NULL)
        return NULL;
    char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    memmove(s, p, n);
    s[n] = '\0';
    if (n == 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* "A/B/C" from the open folders, or NULL at the top. A '/' inside a
 * folder's name becomes '-', so the path splits back the same way. */
static char *
folder_path(struct reader *r)
{
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < r->n_outlines; i++) {
        if (r->outlines[i] == NULL)
            continue;
        if (b.len && buf_puts(&b, "/") != CUR_OK)
            return NULL;
        size_t at = b.len;
        if (buf_puts(&b, r->outlines[i]) != CUR_OK)
            return NULL;
        for (size_t k = at; k < b.len; k++)
            if (b.data[k] == '/')
                b.data[k] = '-';
    }
    return b.len ? buf_steal(&b) : NULL;
}

/* The first path of an OPML 2.0 category attribute ("/Tags/a,/b"). */
static char *
category_attr(const char *v)
{
    size_t n = strcspn(v, ",");
    while (n > 0 && (*v == '/' || isspace((unsigned char)*v))) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '/' || isspace((unsigned char)v[n - 1])))
        n--;
    return n ? strndup(v, n) : NULL;
}

static void
add_outline(struct reader *r, int n_attrs, const xmlChar **attrs)
{
    struct opml_doc *d = r->doc;
    char *url = trimmed(get_attr(n_attrs, attrs, "xmlUrl"));
    char *title = trimmed(get_attr(n_attrs, attrs, "title"));
    char *text = trimmed(get_attr(n_attrs, attrs, "text"));
    char *folder = NULL;

    if (title == NULL) {
        title = text;
        text = NULL;
    }
    if (url == NULL) {
        /* A folder, named by its text (or title); an outline with no
         * name is a level that adds nothing to the path. */
        folder = title;
        title = NULL;
    } else if (d->n == OPML_MAX_OUTLINES) {
        stop_at(r, "more than 1000000 feeds in one document");
    } else {
        if (d->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 64;
            struct opml_outline *v = realloc(d->v, cap * sizeof *v);
            if (v == NULL) {
                r->oom = 1;
                goto out;
            }
            d->v = v;
            r->cap = cap;
        }
        struct opml_outline *o = &d->v[d->n];
        char *cat = get_attr(n_attrs, attrs, "category");
        *o = (struct opml_outline) {
            .url = url, .title = title,
            .site_url = trimmed(get_attr(n_attrs, attrs, "htmlUrl")),
            .category = folder_path(r),
            .line = xmlSAX2GetLineNumber(r->ctxt),
        };
        if (o->category == NULL && cat)
            o->category = category_attr(cat);
        free(cat);
        url = title = NULL;
        d->n++;
    }
    if (r->n_outlines == OPML_MAX_DEPTH) {
        stop_at(r, "outlines nested more than 64 deep");
        free(folder);
    } else {
        r->outlines[r->n_outlines++] = folder;
    }
out:
    free(url);
    free(title);
    free(text);
}

static void
on_start(void *ctx, const xmlChar *name, const xmlChar *prefix,
         const xmlChar *uri, int n_ns, const xmlChar **ns, int n_attrs,
         int n_defaulted, const xmlChar **attrs)
{
    struct reader *r = ctx;
    const char *el = (const char *)name;
    (void)prefix;
    (void)n_ns;
    (void)ns;
    (void)n_defaulted;

    if (r->stopped)
        return;
    r->depth++;
    if (!r->root_seen) {
        r->root_seen = 1;
        if (strcmp(el, "opml") != 0 || uri != NULL) {
            char msg[160];
            snprintf(msg, sizeof msg, "root element <%.60s> is not <opml>",
                     el);
            stop_at(r, msg);
            return;
        }
        char *v = get_attr(n_attrs, attrs, "version");
        if (v && strncmp(v, "1.", 2) != 0 && strncmp(v, "2.", 2) != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "OPML version \"%.40s\" is not 1.0 "
                     "or 2.0", v);
            stop_at(r, msg);
        }
        free(v);
        return;
    }
    if (r->depth == 2 && strcmp(el, "body") == 0 && uri == NULL)
        r->body_depth = 2;
    else if (r->depth == 3 && strcmp(el, "title") == 0 && uri == NULL
             && r->body_depth == 0 && r->doc->title == NULL)
        r->head_title = 1;
    else if (r->body_depth && strcmp(el, "outline") == 0 && uri == NULL)
        add_outline(r, n_attrs, attrs);
}

static void
on_end(void *ctx, const xmlChar *name, const xmlChar *prefix,
       const xmlChar *uri)
{
    struct reader *r = ctx;
    (void)prefix;

    if (r->stopped)
        return;
    if (r->body_depth && strcmp((const char *)name, "outline") == 0
        && uri == NULL && r->n_outlines > 0)
        free(r->outlines[--r->n_outlines]);
    if (r->head_title) {
        r->head_title = 0;
        r->doc->title = trimmed(buf_steal(&r->title));
    }
    if (r->depth == r->body_depth)
        r->body_depth = 0;
    r->depth--;
}

static void
on_text(void *ctx, const xmlChar *s, int len)
{
    struct reader *r = ctx;
    if (r->head_title && r->title.len < 1024
        && buf_append(&r->title, s, (size_t)len) != CUR_OK)
        r->oom = 1;
}

/* PARSE-2, as for feeds: a DOCTYPE that declares any entity ends it. */
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
    stop_at(ctx, "entity declarations not allowed");
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
    struct reader *r = ctx;
    if (e == NULL || e->level < XML_ERR_ERROR || r->err[0])
        return;
    r->err_line = e->line;
    r->err_col = e->int2;
    snprintf(r->err, sizeof r->err, "%s", e->message ? e->message
                                                     : "not well-formed");
    r->err[strcspn(r->err, "\n")] = '\0';
}

/* PARSE-4: nothing is ever loaded from outside the document. */
static xmlParserInputPtr
refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
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
    xmlSetExternalEntityLoader(refuse_loader);
}

static int
reader_new(struct reader *r, struct opml_doc *out)
{
    static xmlSAXHandler sax;

    pthread_once(&init_once, init_libxml);
    memset(r, 0, sizeof *r);
    memset(out, 0, sizeof *out);
    r->doc = out;
    buf_init(&r->title, 0);
    if (sax.initialized == 0) {
        xmlSAXVersion(&sax, 2);
        sax.startElementNs = on_start;
        sax.endElementNs = on_end;
        sax.characters = on_text;
        sax.cdataBlock = on_text;
        sax.entityDecl = on_entity_decl;
        sax.getEntity = on_get_entity;
        sax.getParameterEntity = NULL;
        sax.resolveEntity = NULL;
        sax.externalSubset = NULL;
        sax.internalSubset = NULL;
        sax.attributeDecl = NULL;
        sax.elementDecl = NULL;
        sax.notationDecl = NULL;
        sax.unparsedEntityDecl = NULL;
        sax.reference = NULL;
        sax.comment = NULL;
        sax.processingInstruction = NULL;
        sax.ignorableWhitespace = NULL;
        sax.setDocumentLocator = NULL;
        sax.startDocument = NULL;
        sax.endDocument = NULL;
        sax.serror = on_error;
        sax.error = NULL;
        sax.warning = NULL;
    }
    r->ctxt = xmlCreatePushParserCtxt(&sax, r, NULL, 0, NULL);
    if (r->ctxt == NULL)
        return CUR_ENOMEM;
    xmlCtxtUseOptions(r->ctxt, parse_xml_options());
    return CUR_OK;
}

static int
reader_push(struct reader *r, const char *data, size_t len, int last)
{
    r->bytes += len;
    if (!r->stopped)
        xmlParseChunk(r->ctxt, data, (int)len, last);
    return r->oom ? CUR_ENOMEM : CUR_OK;
}

/* End the parse: CUR_OK, or CUR_EPARSE with the place and reason. */
static int
reader_finish(struct reader *r, char *err, size_t errlen)
{
    int rc = CUR_OK;

    if (r->oom) {
        snprintf(err, errlen, "out of memory");
        rc = CUR_ENOMEM;
    } else if (r->bytes == 0) {
        snprintf(err, errlen, "empty document");
        rc = CUR_EPARSE;
    } else if (r->err[0]) {
        snprintf(err, errlen, "%d:%d: %s", r->err_line, r->err_col, r->err);
        rc = CUR_EPARSE;
    } else if (!r->root_seen) {
        snprintf(err, errlen, "empty document");
        rc = CUR_EPARSE;
    } else if (!r->ctxt->wellFormed) {
        snprintf(err, errlen, "%d:%d: not well-formed",
                 xmlSAX2GetLineNumber(r->ctxt),
                 xmlSAX2GetColumnNumber(r->ctxt));
        rc = CUR_EPARSE;
    }
    if (rc != CUR_OK)
        parse_utf8_prefix(err);
    while (r->n_outlines > 0)
        free(r->outlines[--r->n_outlines]);
    buf_free(&r->title);
    xmlFreeDoc(r->ctxt->myDoc);
    r->ctxt->myDoc = NULL;
    xmlFreeParserCtxt(r->ctxt);
    r->ctxt = NULL;
    if (rc != CUR_OK)
        opml_doc_free(r->doc);
    return rc;
}

int
opml_parse(const char *data, size_t len, struct opml_doc *out, char *err,
           size_t errlen)
{
    struct reader r;
    int rc = reader_new(&r, out);

    if (rc != CUR_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    for (size_t at = 0; rc == CUR_OK && at < len && !r.stopped;) {
        size_t n = len - at < OPML_CHUNK ? len - at : OPML_CHUNK;
        rc = reader_push(&r, data + at, n, 0);
        at += n;
    }
    if (rc == CUR_OK)
        rc = reader_push(&r, "", 0, 1);
    int frc = reader_finish(&r, err, errlen);
    return rc != CUR_OK ? rc : frc;
}

int
opml_read(FILE *in, struct opml_doc *out, char *err, size_t errlen)
{
    struct reader r;
    char *chunk = malloc(OPML_CHUNK);
    size_t total = 0, n;
    int rc = chunk ? reader_new(&r, out) : CUR_ENOMEM;

    if (rc != CUR_OK) {
        free(chunk);
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    while (rc == CUR_OK && !r.stopped
           && (n = fread(chunk, 1, OPML_CHUNK, in)) > 0) {
        total += n;
        if (total > OPML_MAX_BYTES)
            rc = CUR_ETOOBIG;
        else
            rc = reader_push(&r, chunk, n, 0);
    }
    if (rc == CUR_OK && ferror(in))
        rc = CUR_EIO;
    if (rc == CUR_OK)
        rc = reader_push(&r, "", 0, 1);
    free(chunk);
    if (rc == CUR_ETOOBIG || rc == CUR_EIO) {
        snprintf(err, errlen, rc == CUR_EIO ? "read error"
                 : "document larger than 256 MiB");
        reader_finish(&r, err + strlen(err), 0);
        opml_doc_free(out);
        return rc;
    }
    int frc = reader_finish(&r, err, errlen);
    return rc != CUR_OK ? rc : frc;
}

void
opml_doc_free(struct opml_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].url);
        free(d->v[i].title);
        free(d->v[i].site_url);
        free(d->v[i].category);
    }
    free(d->v);
    free(d->title);
    memset(d, 0, sizeof *d);
}

/* ---- import ---- */

/* An http(s) URL with a host and no space or control character. */
static int
web_url(const char *url)
{
    size_t skip = strncasecmp(url, "http://", 7) == 0 ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
    if (skip == 0 || url[skip] == '\0' || url[skip] == '/'
        || strlen(url) >= 4096)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
opml_import(struct store *st, const struct opml_doc *d, const char *origin,
            opml_progress_cb progress, void *ctx,
            struct opml_import_stats *stats)
{
    const char **cats = calloc(d->n ? d->n : 1, sizeof *cats);
    size_t n_cats = 0;
    int rc;

    memset(stats, 0, sizeof *stats);
    if (cats == NULL)
        return CUR_ENOMEM;
    if ((rc = store_begin(st)) != CUR_OK) {
        free(cats);
        return rc;
    }
    for (size_t i = 0; rc == CUR_OK && i < d->n; i++) {
        const struct opml_outline *o = &d->v[i];
        if (!web_url(o->url)) {
            stats->refused++;
        } else {
            rc = store_feed_import(st, o->url, o->title, o->site_url,
                                   o->category, origin, NULL);
            if (rc == CUR_EEXIST) {
                stats->duplicates++;
                rc = CUR_OK;
            } else if (rc == CUR_OK) {
                stats->added++;
                if (o->category)
                    cats[n_cats++] = o->category;
            }
        }
        if (progress && (i + 1) % OPML_PROGRESS_EVERY == 0)
            progress(ctx, i + 1, d->n);
    }
    if (rc == CUR_OK)
        rc = store_commit(st);
    if (rc != CUR_OK) {
        store_rollback(st);
        memset(stats, 0, sizeof *stats);
    } else {
        qsort(cats, n_cats, sizeof *cats, cmp_str);
        for (size_t i = 0; i < n_cats; i++)
            if (i == 0 || strcmp(cats[i], cats[i - 1]) != 0)
                stats->categories++;
        if (progress)
            progress(ctx, d->n, d->n);
    }
    free(cats);
    return rc;
}

/* ---- export ---- */

struct export_feed {
    char *url, *title, *site_url, *category;
    long long id;
};

struct export_list {
    struct export_feed *v;
    size_t n;
    int oom;
};

/* A copy that XML 1.0 can carry: control characters other than tab,
 * newline and carriage return become spaces. */
static char *
xml_safe(const char *s)
{
    if (s == NULL)
        return NULL;
    char *c = strdup(s);
    for (unsigned char *p = (unsigned char *)c; p && *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            *p = ' ';
    return c;
}

static int
collect_feed(void *ctx, const struct store_feed *f)
{
    struct export_list *l = ctx;
    struct export_feed *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (v == NULL) {
        l->oom = 1;
        return 1;
    }
    l->v = v;
    v[l->n] = (struct export_feed) {
        .url = xml_safe(f->url), .title = xml_safe(f->title),
        .site_url = xml_safe(f->site_url),
        .category = xml_safe(f->category), .id = f->id,
    };
    if (v[l->n].url == NULL)
        l->oom = 1;
    l->n++;
    return l->oom;
}

/* By category (feeds with none first), then id. */
static int
cmp_export(const void *a, const void *b)
{
    const struct export_feed *x = a, *y = b;
    int c = strcmp(x->category ? x->category : "",
                   y->category ? y->category : "");
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Length of the first 'depth' components of "A/B/C" (depth >= 1). */
static size_t
prefix_len(const char *path, int depth)
{
    const char *p = path;
    for (int i = 0; i < depth; i++) {
        p = strchr(p, '/');
        if (p == NULL)
            return strlen(path);
        if (i + 1 < depth)
            p++;
    }
    return (size_t)(p - path);
}

static int
components(const char *path)
{
    if (path == NULL || path[0] == '\0')
        return 0;
    int n = 1;
    for (const char *p = path; *p; p++)
        n += *p == '/';
    return n;
}

/* Levels two category paths share. */
static int
shared_levels(const char *a, const char *b)
{
    int n = 0, na = components(a), nb = components(b);
    while (n < na && n < nb) {
        size_t la = prefix_len(a, n + 1), lb = prefix_len(b, n + 1);
        if (la != lb || strncmp(a, b, la) != 0)
            break;
        n++;
    }
    return n;
}

#define W(call) do { if ((call) < 0) goto fail; } while (0)

int
opml_export(struct store *st, FILE *out)
{
    struct export_list l = { 0 };
    xmlBufferPtr xb = NULL;
    xmlTextWriterPtr w = NULL;
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    int rc = store_feed_list(st, collect_feed, &l), open = 0;
    const char *prev = NULL;

    if (rc == CUR_OK && l.oom)
        rc = CUR_ENOMEM;
    if (rc != CUR_OK)
        goto out;
    if (l.n > 1)        /* qsort() may not be given NULL */
        qsort(l.v, l.n, sizeof *l.v, cmp_export);
    rc = CUR_ENOMEM;
    if ((xb = xmlBufferCreate()) == NULL
        || (w = xmlNewTextWriterMemory(xb, 0)) == NULL)
        goto out;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    W(xmlTextWriterSetIndent(w, 1));
    W(xmlTextWriterSetIndentString(w, BAD_CAST "  "));
    W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    W(xmlTextWriterStartElement(w, BAD_CAST "opml"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
    W(xmlTextWriterStartElement(w, BAD_CAST "head"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "title",
                                BAD_CAST "Curator subscriptions"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "dateCreated", BAD_CAST date));
    W(xmlTextWriterWriteElement(w, BAD_CAST "docs",
                                BAD_CAST "http://opml.org/spec2.opml"));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "body"));
    for (size_t i = 0; i < l.n; i++) {
        const struct export_feed *f = &l.v[i];
        int want = components(f->category);
        int keep = prev ? shared_levels(prev, f->category) : 0;
        for (; open > keep; open--)
            W(xmlTextWriterEndElement(w));
        /* Open the folders down to this feed's category. */
        for (; open < want; open++) {
            size_t start = open ? prefix_len(f->category, open) + 1 : 0;
            size_t end = prefix_len(f->category, open + 1);
            char *name = strndup(f->category + start, end - start);
            if (name == NULL)
                goto fail;
            int wrc = xmlTextWriterStartElement(w, BAD_CAST "outline");
            if (wrc >= 0)
                wrc = xmlTextWriterWriteAttribute(w, BAD_CAST "text",
                                                  BAD_CAST name);
            free(name);
            if (wrc < 0)
                goto fail;
        }
        prev = f->category;
        const char *text = f->title && f->title[0] ? f->title : f->url;
        W(xmlTextWriterStartElement(w, BAD_CAST "outline"));
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "rss"));
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "text", BAD_CAST text));
        if (f->title && f->title[0])
            W(xmlTextWriterWriteAttribute(w, BAD_CAST "title",
                                          BAD_CAST f->title));
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlUrl",
                                      BAD_CAST f->url));
        if (f->site_url)
            W(xmlTextWriterWriteAttribute(w, BAD_CAST "htmlUrl",
                                          BAD_CAST f->site_url));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(w);
    w = NULL;
    rc = fwrite(xmlBufferContent(xb), 1, (size_t)xmlBufferLength(xb), out)
         == (size_t)xmlBufferLength(xb) && fflush(out) == 0 ? CUR_OK
                                                            : CUR_EIO;
    goto out;
fail:
    rc = CUR_ENOMEM;
out:
    xmlFreeTextWriter(w);
    xmlBufferFree(xb);
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].url);
        free(l.v[i].title);
        free(l.v[i].site_url);
        free(l.v[i].category);
    }
    free(l.v);
    return rc;
}
