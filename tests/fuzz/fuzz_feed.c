/* libFuzzer target for the feed parser (curator/parse.h): RSS 0.9x to
 * 2.0, RSS 1.0, Atom 0.3/1.0, CDF and JSON Feed, in any encoding.
 *
 * An input whose first byte is 0x80 to 0xBF (a byte no feed starts
 * with) uses that byte to pick the options and the rest as the
 * document; any other input is a document parsed with the defaults, so
 * the seed feeds stay whole. Bits 0-3 of the option byte pick the HTTP
 * Content-Type (and so the charset hint of encoding.c), bit 4 the base
 * URL and Content-Language, bit 5 small limits, a parse pushed in
 * chunks of the document that must give the same feed as the whole
 * parse (problems aside), and an on_item callback that drops every
 * third item.
 *
 * Every parse must end without a crash, leak or undefined behaviour,
 * with an error message on failure, and on success give a feed that
 * keeps feed.h's promises: every string valid UTF-8, titles on one
 * line, limits kept, URLs absolute, every item with a guid. The feed
 * written as JSON (feed_json.h) must load with jansson and parse back
 * through the JSON Feed reader to the same items and titles. Last, the
 * feed is made safe to show (feed_sanitize(), web or mail profile by bit
 * 4): each item's text must be valid UTF-8 within its cap, its title on
 * one line, and its HTML safe by the independent checker
 * (tests/support/html_check.c).
 *
 * fuzz_json_feed.c includes this file with FUZZ_FEED_NO_ENTRY defined
 * and uses the same checks.
 */
#include "buf.h"
#include "err.h"
#include "feed.h"
#include "feed_json.h"
#include "html_check.h"
#include "parse.h"
#include "sanitize.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TIME_MAX 253402300799LL     /* 9999-12-31T23:59:59Z */
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz_feed"       /* for messages */
#endif

static const uint8_t *cur_data;     /* the input, for die() */
static size_t cur_size;

static void
die(const char *what, const char *detail)
{
    fprintf(stderr, FUZZ_NAME ": %s\n detail: [%s]\n input: %zu bytes [",
            what, detail ? detail : "(null)", cur_size);
    fwrite(cur_data, 1, cur_size < 2048 ? cur_size : 2048, stderr);
    fprintf(stderr, "]\n");
    abort();
}

static int
valid_utf8(const char *s)
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
            return 0;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need + 1;
    }
    return 1;
}

/* A string field: valid UTF-8 (it cannot hold NUL, being a C string)
 * and at most 'max' bytes (0: no limit). */
static void
check_str(const char *what, const char *s, size_t max)
{
    if (s == NULL)
        return;
    if (!valid_utf8(s))
        die("string not valid UTF-8", what);
    if (max && strlen(s) > max)
        die("string over its limit", what);
}

/* Plain text on one line (feed.h: titles). */
static void
check_line(const char *what, const char *s, size_t max)
{
    check_str(what, s, max);
    if (s && strpbrk(s, "\r\n"))
        die("line break in a one-line field", what);
}

/* An absolute URL: http(s) or mailto (parse_xml.c keeps no other), with
 * no white space. */
static void
check_url(const char *what, const char *s)
{
    check_str(what, s, 0);
    if (s == NULL)
        return;
    if (strncasecmp(s, "http://", 7) != 0
        && strncasecmp(s, "https://", 8) != 0
        && strncasecmp(s, "mailto:", 7) != 0)
        die("URL not absolute http(s) or mailto", what);
    if (strpbrk(s, " \t\r\n"))
        die("white space in a URL", what);
}

static void
check_time(const char *what, long long t)
{
    if (t < 0 || t > TIME_MAX)
        die("time out of range", what);
}

static void
check_person(const struct person *p)
{
    check_str("person name", p->name, 0);
    check_str("person email", p->email, 0);
    check_url("person uri", p->uri);
}

static void
check_scope(const struct text_scope *s)
{
    check_str("scope lang", s->lang, 0);
    check_str("scope base", s->base, 0);
}

static void
check_links(const struct link *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].href == NULL)
            die("link without href", NULL);
        check_url("link href", v[i].href);
        check_str("link rel", v[i].rel, 0);
        check_str("link type", v[i].type, 0);
        check_str("link title", v[i].title, 0);
        check_str("link hreflang", v[i].hreflang, 0);
        if (v[i].length < 0)
            die("negative link length", v[i].href);
    }
}

static void
check_categories(const struct category *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].term == NULL)
            die("category without term", NULL);
        check_str("category term", v[i].term, 0);
        check_str("category scheme", v[i].scheme, 0);
        check_str("category label", v[i].label, 0);
    }
}

static void check_feed(const struct feed *f, const struct parse_opts *o,
                       int depth);

static void
check_item(const struct item *it, const struct parse_opts *o, int depth)
{
    if (it->guid == NULL || it->guid[0] == '\0')
        die("item without guid", it->title);
    check_str("guid", it->guid, 0);
    check_str("id", it->id, 0);
    check_line("item title", it->title, o->max_title);
    check_url("item link", it->link);
    check_url("item external_url", it->external_url);
    check_str("summary", it->summary_html, o->max_content);
    check_str("content", it->content_html, o->max_content);
    check_url("item image", it->image);
    check_url("item comments", it->comments);
    check_str("item language", it->language, 0);
    check_str("source title", it->source_title, 0);
    check_url("source url", it->source_url);
    check_str("item text", it->text, 0);
    check_str("item html", it->html, 0);
    check_time("published", it->published);
    check_time("item updated", it->updated);
    for (size_t i = 0; i < it->n_authors; i++)
        check_person(&it->authors[i]);
    for (size_t i = 0; i < it->n_tags; i++) {
        if (it->tags[i] == NULL)
            die("NULL tag", NULL);
        check_str("tag", it->tags[i], 0);
    }
    for (size_t i = 0; i < it->n_enclosures; i++) {
        const struct enclosure *e = &it->enclosures[i];
        if (e->url == NULL)
            die("enclosure without url", NULL);
        check_url("enclosure url", e->url);
        check_str("enclosure type", e->type, 0);
        if (e->length < 0 || e->duration < 0)
            die("negative enclosure length or duration", e->url);
    }
    for (size_t i = 0; i < it->n_extensions; i++) {
        check_str("extension ns", it->extensions[i].ns, 0);
        check_str("extension name", it->extensions[i].name, 0);
        check_str("extension value", it->extensions[i].value, 0);
    }
    check_scope(&it->title_scope);
    check_scope(&it->summary_scope);
    check_scope(&it->content_scope);
    check_str("item rights", it->rights, 0);
    for (size_t i = 0; i < it->n_contributors; i++)
        check_person(&it->contributors[i]);
    check_person(&it->publisher);
    check_categories(it->categories, it->n_categories);
    check_links(it->links, it->n_links);
    if (it->source) {
        if (depth > 0)
            die("source inside a source", NULL);
        check_feed(it->source, o, depth + 1);
    }
}

static void
check_feed(const struct feed *f, const struct parse_opts *o, int depth)
{
    if ((unsigned)f->format > FEED_JSON)
        die("format out of range", NULL);
    check_str("format_version", f->format_version, 0);
    check_line("feed title", f->title, depth ? 0 : o->max_title);
    check_url("feed link", f->link);
    check_url("feed_url", f->feed_url);
    check_str("description", f->description, 0);
    check_str("feed language", f->language, 0);
    check_url("icon", f->icon);
    check_url("logo", f->logo);
    check_str("rights", f->rights, 0);
    check_str("generator", f->generator, 0);
    check_url("hub", f->hub);
    check_time("feed updated", f->updated);
    if (f->ttl < 0)
        die("negative ttl", NULL);
    if (f->skip_hours >> 24 || f->skip_days >> 7)
        die("skip_hours or skip_days out of range", NULL);
    for (size_t i = 0; i < f->n_authors; i++)
        check_person(&f->authors[i]);
    if (depth == 0 && f->n_items > o->max_items)
        die("more items than max_items", NULL);
    for (size_t i = 0; i < f->n_items; i++)
        check_item(&f->items[i], o, depth);
    if (f->n_problems > FEED_MAX_PROBLEMS)
        die("more problems kept than FEED_MAX_PROBLEMS", NULL);
    if (f->n_problems && !f->recovered)
        die("problems listed but not recovered", f->problems[0]);
    for (size_t i = 0; i < f->n_problems; i++)
        check_str("problem", f->problems[i], 0);
    check_str("feed id", f->id, 0);
    check_str("info", f->info, 0);
    check_url("new_url", f->new_url);
    check_str("generator_uri", f->generator_uri, 0);
    check_str("generator_version", f->generator_version, 0);
    check_scope(&f->title_scope);
    check_scope(&f->description_scope);
    check_scope(&f->rights_scope);
    check_scope(&f->info_scope);
    for (size_t i = 0; i < f->n_contributors; i++)
        check_person(&f->contributors[i]);
    check_person(&f->publisher);
    check_categories(f->categories, f->n_categories);
    check_links(f->links, f->n_links);
}

/* The feed as JSON text (feed_json_write), NUL-terminated; free(). */
static char *
to_json(const struct feed *f, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&text, &n);
    if (mem == NULL)
        die("open_memstream failed", NULL);
    if (feed_json_write(mem, f) != 0)
        die("feed_json_write failed", NULL);
    if (fclose(mem) != 0 || text == NULL)
        die("memstream failed", NULL);
    *len = n;
    return text;
}

/* JSON output must load with jansson, with one entry per item, and
 * each item alone (feed_json_item) must load too. */
static void
check_json(const struct feed *f, const char *text, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        die("feed_json_write output is not JSON", je.text);
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items) || json_array_size(items) != f->n_items)
        die("JSON items do not match the feed", NULL);
    json_decref(root);

    for (size_t i = 0; i < f->n_items && i < 8; i++) {
        struct buf b;
        buf_init(&b, 0);
        if (feed_json_item(&b, &f->items[i], 2) != CUR_OK)
            die("feed_json_item failed", NULL);
        root = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
        if (root == NULL || !json_is_object(root))
            die("feed_json_item output is not a JSON object", je.text);
        json_decref(root);
        buf_free(&b);
    }
    struct buf b;
    buf_init(&b, 0);
    if (buf_puts(&b, "{\"a\": 1") != CUR_OK
        || feed_json_feed_members(&b, f) != CUR_OK
        || buf_puts(&b, "\n}") != CUR_OK)
        die("feed_json_feed_members failed", NULL);
    root = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        die("feed_json_feed_members output is not JSON members", je.text);
    json_decref(root);
    buf_free(&b);
}

/* The JSON written for a feed parses back as a JSON Feed with the same
 * items and titles. */
static void
check_reparse(const struct feed *f, const char *text, size_t len,
              const struct parse_opts *o)
{
    struct parse_opts ro = *o;
    struct feed *g = NULL;
    char err[256] = "";

    ro.content_type = "application/feed+json";
    ro.on_item = NULL;
    ro.max_size = len + 1;
    if (parse_feed(text, len, &ro, &g, err, sizeof err) != CUR_OK)
        die("JSON output does not parse back", err);
    check_feed(g, &ro, 0);
    if (g->format != FEED_JSON || g->n_items != f->n_items)
        die("JSON output parses back to another number of items", NULL);
    for (size_t i = 0; i < f->n_items; i++) {
        const char *a = f->items[i].title, *b = g->items[i].title;
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
            die("JSON output parses back to another title", a);
    }
    const char *a = f->title, *b = g->title;
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
        die("JSON output parses back to another feed title", a);
    feed_free(g);
}

/* on_item for the drop variant: keep two items of three. */
static int
drop_third(void *ctx, const struct feed *f, const struct item *it)
{
    unsigned *n = ctx;
    (void)f;
    if (it->guid == NULL)
        die("on_item saw an item without guid", it->title);
    return ++*n % 3 != 0;
}

/* Parse 'doc' whole, check the result and return it (NULL on failure)
 * with the JSON text in *json. */
static struct feed *
parse_checked(const char *doc, size_t len, const struct parse_opts *o,
              char **json, size_t *json_len)
{
    struct feed *f = NULL;
    char err[256] = "";
    int rc = parse_feed(doc, len, o, &f, err, sizeof err);

    *json = NULL;
    if (rc != CUR_OK) {
        if (f != NULL)
            die("failed parse returned a feed", err);
        if (rc > 0 || err[0] == '\0')
            die("failed parse gave no error message or a bad code", err);
        check_str("error message", err, 0);
        return NULL;
    }
    if (f == NULL)
        die("parse_feed succeeded without a feed", NULL);
    check_feed(f, o, 0);
    *json = to_json(f, json_len);
    check_json(f, *json, *json_len);
    return f;
}

/* The JSON text of a feed without its problem list: libxml2's push
 * parser places some errors by where a chunk ended, so the positions
 * (and what else the parser met before stopping) may differ. */
static char *
to_json_no_problems(struct feed *f)
{
    size_t n, keep = f->n_problems;
    f->n_problems = 0;
    char *text = to_json(f, &n);
    f->n_problems = keep;
    return text;
}

/* The same document pushed in chunks of 'step' bytes gives the same
 * feed as the whole parse, problems aside. */
static void
check_chunked(const char *doc, size_t len, const struct parse_opts *o,
              size_t step, struct feed *whole)
{
    struct parser *p;
    struct feed *f = NULL;
    char err[256] = "";
    int rc = parser_new(o, &p);

    if (rc != CUR_OK)
        die("parser_new failed", NULL);
    for (size_t at = 0; rc == CUR_OK && at < len; at += step)
        rc = parser_push(p, doc + at, len - at < step ? len - at : step);
    if (rc == CUR_OK)
        rc = parser_finish(p, &f, err, sizeof err);
    parser_free(p);
    if ((rc == CUR_OK) != (whole != NULL))
        die("chunked parse and whole parse disagree on success", err);
    if (f) {
        check_feed(f, o, 0);
        char *a = to_json_no_problems(whole), *b = to_json_no_problems(f);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "whole:\n%s\nchunked:\n%s\n", a, b);
            die("chunked parse gave another feed", NULL);
        }
        free(a);
        free(b);
        feed_free(f);
    }
}

/* Content-Type values: no hint, plain types, and a charset of every
 * kind encoding.c meets (single-byte, UTF-16, CJK, refused). */
static const char *const content_types[16] = {
    NULL,
    "application/rss+xml",
    "application/atom+xml; charset=utf-8",
    "text/xml; charset=iso-8859-1",
    "text/xml; charset=windows-1251",
    "application/xml; charset=UTF-16",
    "application/xml; charset=\"utf-16le\"",
    "text/xml;charset=Shift_JIS",
    "text/xml; charset=gb18030",
    "text/xml; charset=big5",
    "application/xml; charset=euc-kr",
    "text/xml; charset=koi8-r",
    "text/xml; charset=utf-7",
    "text/html; charset=iso-2022-jp",
    "application/feed+json",
    "text/plain; charset=x-user-defined",
};

static void
pick_options(unsigned sel, struct parse_opts *o, unsigned *dropped)
{
    parse_opts_default(o);
    o->content_type = content_types[sel & 15];
    if (sel & 16) {
        o->base_url = "https://example.com/a/b/feed.xml?x=1#top";
        o->content_language = "de-AT";
    } else {
        o->base_url = sel & 32 ? NULL : "http://example.org/blog/";
    }
    if (sel & 32) {
        o->max_items = 3;
        o->max_title = 24;
        o->max_content = 200;
        o->max_depth = 12;
        o->max_attributes = 4;
        o->on_item = drop_third;
        o->on_item_ctx = dropped;
    }
}

/* feed_sanitize() on a parsed feed: what the store and the pages get. */
static void
check_sanitized(struct feed *f, const struct parse_opts *o, unsigned sel)
{
    struct sanitize_opts so;
    size_t text_max = sel & 32 ? 64 : 4096;
    char why[512];

    sanitize_opts_init(&so, sel & 16 ? SANITIZE_MAIL : SANITIZE_WEB);
    so.base_url = o->base_url;
    so.tracking_hosts = "pixel.example,track.example.net";
    so.max_data_image = 256;
    if (feed_sanitize(f, &so, text_max) != 0)
        die("feed_sanitize failed", NULL);
    for (size_t i = 0; i < f->n_items; i++) {
        const struct item *it = &f->items[i];
        if (it->text == NULL)
            die("sanitised item without text", it->title);
        check_str("sanitised text", it->text, text_max);
        check_line("sanitised title", it->title, o->max_title);
        if ((it->html == NULL)
            != (it->content_html == NULL && it->summary_html == NULL))
            die("sanitised HTML missing, or made from nothing", it->title);
        if (it->html && html_check(it->html, why, sizeof why) != 0) {
            fprintf(stderr, "html:\n%s\n", it->html);
            die("sanitised HTML not safe", why);
        }
    }
}

#ifndef FUZZ_FEED_NO_ENTRY
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned sel = 0, dropped = 0;
    struct parse_opts o;

    cur_data = data;
    cur_size = size;
    if (size > 0 && (data[0] & 0xC0) == 0x80) {
        sel = data[0] & 0x3F;
        data++;
        size--;
    }
    pick_options(sel, &o, &dropped);
    const char *doc = (const char *)data;

    char *json;
    size_t json_len;
    struct feed *f = parse_checked(doc, size, &o, &json, &json_len);
    if (f)
        check_reparse(f, json, json_len, &o);
    if (sel & 32) {
        /* Chunks from 1 to 64 bytes, so that every cut point (inside a
         * character, a BOM, an entity, a tag) is met. */
        size_t step = 1 + (size ? data[size - 1] % 64 : 0);
        o.on_item_ctx = &(unsigned){ 0 };
        check_chunked(doc, size, &o, step, f);
    }
    if (f)
        check_sanitized(f, &o, sel);
    free(json);
    feed_free(f);
    return 0;
}
#endif
