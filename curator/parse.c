/* Feed parsing front end: sniff JSON or XML, decode XML to UTF-8
 * (encoding.c), repair entities and ampersands (parse_repair.c) and hand
 * the result to the SAX parser (parse_xml.c) chunk by chunk, so a large
 * feed never sits in memory twice. JSON Feed documents are small and
 * are read whole (parse_json.c). */
#include "parse.h"
#include "parse_int.h"
#include "encoding.h"
#include "err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_HEAD 1024         /* bytes read before deciding encoding */

enum mode { M_SNIFF, M_XML, M_JSON, M_FAILED };

struct parser {
    struct parse_opts o;
    enum mode mode;
    size_t total;
    struct buf head;            /* bytes held until the encoding is known */
    struct buf json;            /* a JSON document, whole */
    struct encoding_decoder *dec;
    struct encoding_info enc;
    struct repair rep;
    struct buf utf8, fixed;     /* scratch for one chunk */
    struct xml_feed *xml;
    int rc;
    char err[256];
};

void
parse_opts_default(struct parse_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_size = 16u << 20;
    o->max_items = 1000;
    o->max_title = 2048;
    o->max_content = 1u << 20;
    o->max_depth = 256;
    o->max_attributes = 256;
    o->cpu_seconds = 5.0;
}

void
parse_cut_utf8(char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    s[max] = '\0';
}

char *
parse_hash_id(const char *title, long long date, const char *content)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[2 * sizeof h + 1], when[32];
    crypto_hash_sha256_state st;
    const char *parts[3] = { title, when, content };

    snprintf(when, sizeof when, "%lld", date);
    crypto_hash_sha256_init(&st);
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

int
parse_finish_identity(struct item *it)
{
    if (it->guid)
        return 0;
    if (it->id && it->id[0])
        it->guid = strdup(it->id);
    else if (it->link)
        it->guid = strdup(it->link);
    else
        it->guid = parse_hash_id(it->title, it->published,
                                 it->content_html ? it->content_html
                                                  : it->summary_html);
    return it->guid ? 0 : -1;
}

int
parser_new(const struct parse_opts *o, struct parser **out)
{
    struct parser *p = calloc(1, sizeof *p);
    *out = NULL;
    if (p == NULL)
        return CUR_ENOMEM;
    if (o)
        p->o = *o;
    else
        parse_opts_default(&p->o);
    buf_init(&p->head, 0);
    buf_init(&p->json, 0);
    buf_init(&p->utf8, 0);
    buf_init(&p->fixed, 0);
    repair_init(&p->rep);
    *out = p;
    return CUR_OK;
}

static void
set_error(struct parser *p, int rc, const char *msg)
{
    if (p->rc == CUR_OK) {
        p->rc = rc;
        snprintf(p->err, sizeof p->err, "%s", msg);
    }
    p->mode = M_FAILED;
}

/* Decode, repair and parse one chunk of an XML document. */
static int
push_xml(struct parser *p, const char *data, size_t len, int last)
{
    buf_reset(&p->utf8);
    buf_reset(&p->fixed);
    int rc = encoding_decoder_push(p->dec, data, len, last, &p->utf8,
                                   &p->enc.invalid_bytes);
    if (rc == CUR_OK)
        rc = repair_push(&p->rep, p->utf8.data ? p->utf8.data : "",
                         p->utf8.len, last, &p->fixed);
    if (rc == CUR_OK)
        rc = xmlfeed_push(p->xml, p->fixed.data ? p->fixed.data : "",
                          p->fixed.len, last);
    if (rc != CUR_OK)
        set_error(p, rc, cur_strerror(rc));
    return rc;
}

/* PARSE_HEAD bytes past a BOM and white space are here: as many as a
 * whole document would show start(), however it was cut. */
static int
head_ready(const struct parser *p)
{
    const char *d = p->head.data;
    size_t n = p->head.len, i = 0;

    if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r'
                     || d[i] == '\n'))
        i++;
    return n - i >= PARSE_HEAD;
}

/* Enough of the document is here to tell its format and encoding. */
static int
start(struct parser *p, int last)
{
    const char *d = p->head.data ? p->head.data : "";
    size_t n = p->head.len, i = 0;
    char err[256];

    /* Skip a UTF-8 BOM and white space to find the first character. */
    if (n >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r'
                     || d[i] == '\n'))
        i++;
    if (i < n && (d[i] == '{' || d[i] == '[')) {
        p->mode = M_JSON;
        int rc = buf_append(&p->json, d, n);
        buf_free(&p->head);
        return rc;
    }
    if (encoding_detect(d, n, p->o.content_type, &p->enc, err, sizeof err)
        != CUR_OK) {
        set_error(p, CUR_EENCODING, err);
        return p->rc;
    }
    if ((p->dec = encoding_decoder_new(p->enc.name)) == NULL) {
        set_error(p, CUR_EENCODING, "cannot start the decoder");
        return p->rc;
    }
    int rc = xmlfeed_new(&p->o, &p->xml);
    if (rc != CUR_OK) {
        set_error(p, rc, "out of memory");
        return rc;
    }
    p->mode = M_XML;
    /* The head minus the BOM and any space before "<?xml", which libxml2
     * refuses. */
    size_t skip = p->enc.skip;
    rc = push_xml(p, d + skip, n - skip, last);
    buf_free(&p->head);
    return rc;
}

int
parser_push(struct parser *p, const char *data, size_t len)
{
    if (p->mode == M_FAILED)
        return p->rc;
    if (p->total + len > p->o.max_size || p->total + len < p->total) {
        char msg[128];
        snprintf(msg, sizeof msg, "document larger than %zu bytes",
                 p->o.max_size);
        set_error(p, CUR_ETOOBIG, msg);
        return p->rc;
    }
    p->total += len;
    switch (p->mode) {
    case M_SNIFF:
        if (buf_append(&p->head, data, len) != CUR_OK) {
            set_error(p, CUR_ENOMEM, "out of memory");
            return p->rc;
        }
        return head_ready(p) ? start(p, 0) : CUR_OK;
    case M_JSON:
        if (buf_append(&p->json, data, len) != CUR_OK)
            set_error(p, CUR_ENOMEM, "out of memory");
        return p->rc;
    case M_XML:
        return push_xml(p, data, len, 0);
    case M_FAILED:
        break;
    }
    return p->rc;
}

void
parse_utf8_prefix(char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, need, cp, min;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07, min = 0x10000;
        else
            break;
        unsigned i;
        for (i = 1; i <= need && (p[i] & 0xC0) == 0x80; i++)
            cp = cp << 6 | (p[i] & 0x3F);
        if (i <= need || cp < min || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            break;
        p += need + 1;
    }
    *(char *)p = '\0';
}

static int finish(struct parser *p, struct feed **out, char *err,
                  size_t errlen);

int
parser_finish(struct parser *p, struct feed **out, char *err, size_t errlen)
{
    int rc = finish(p, out, err, errlen);
    /* Messages quote the document and are cut to fit 'err': they must
     * stay valid UTF-8 for the log, the store and the pages. */
    if (rc != CUR_OK && err && errlen)
        parse_utf8_prefix(err);
    return rc;
}

static int
finish(struct parser *p, struct feed **out, char *err, size_t errlen)
{
    char dummy[1];
    int rc;

    if (err == NULL) {
        err = dummy;
        errlen = sizeof dummy;
    }
    *out = NULL;
    if (p->mode == M_SNIFF) {
        if (p->head.len == 0) {
            snprintf(err, errlen, "empty document");
            return CUR_EPARSE;
        }
        start(p, 1);
    } else if (p->mode == M_XML) {
        push_xml(p, "", 0, 1);
    }
    if (p->mode == M_FAILED) {
        snprintf(err, errlen, "%s", p->err);
        return p->rc;
    }
    if (p->mode == M_JSON)
        return parse_json_feed(p->json.data, p->json.len, &p->o, out, err,
                               errlen);
    rc = xmlfeed_finish(p->xml, out, err, errlen);
    if (rc != CUR_OK)
        return rc;
    /* What was repaired on the way in is part of the report. */
    struct feed *f = *out;
    encoding_decoder_report(p->dec, &p->enc);
    if (p->enc.leading_space)
        feed_problem(f, 1, 1, "white space or a stray byte order mark "
                     "before the XML declaration removed");
    if (p->enc.invalid_bytes)
        feed_problem(f, 0, 0, "%zu bytes invalid in %s replaced by U+FFFD",
                     p->enc.invalid_bytes, p->enc.name);
    if (p->enc.mismatch[0])
        feed_problem(f, 0, 0, "%s", p->enc.mismatch);
    if (p->rep.fixed_entities)
        feed_problem(f, 0, 0, "%lu undefined entities "
                     "(first: %s) read as HTML", p->rep.fixed_entities,
                     p->rep.first_entity);
    if (p->rep.fixed_amps)
        feed_problem(f, 0, 0, "%lu bare '&' read as literal ampersands",
                     p->rep.fixed_amps);
    return CUR_OK;
}

void
parser_free(struct parser *p)
{
    if (p == NULL)
        return;
    buf_free(&p->head);
    buf_free(&p->json);
    buf_free(&p->utf8);
    buf_free(&p->fixed);
    encoding_decoder_free(p->dec);
    xmlfeed_free(p->xml);
    free(p);
}

int
parse_feed(const char *body, size_t len, const struct parse_opts *o,
           struct feed **out, char *err, size_t errlen)
{
    struct parser *p;
    int rc = parser_new(o, &p);
    *out = NULL;
    if (rc != CUR_OK)
        return rc;
    rc = parser_push(p, body, len);
    if (rc == CUR_OK || p->mode != M_FAILED)
        rc = parser_finish(p, out, err, errlen);
    else if (err) {
        snprintf(err, errlen, "%s", p->err);
        parse_utf8_prefix(err);
    }
    parser_free(p);
    return rc;
}
