/* Unit tests: the parse workers' wire format. Feeds and requests come
 * back exactly as they went in; a parsed fixture survives the trip; and
 * hostile payloads (every truncation, huge counts and lengths, invalid
 * UTF-8, NUL, a missing guid, values out of range, trailing bytes,
 * random corruption) are refused whole without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "feed.h"
#include "feed_wire.h"
#include "parse.h"
#include "sanitize.h"
#include "support.h"

/* ---- building payloads by hand ---- */

static void
w8(struct buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    assert_int_equal(buf_append(b, &c, 1), CUR_OK);
}

static void
w32(struct buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w8(b, (v >> (8 * i)) & 0xFF);
}

static void
w64(struct buf *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        w8(b, (unsigned)(v >> (8 * i)) & 0xFF);
}

/* A string of n bytes; NULL for an absent one. */
static void
wstrn(struct buf *b, const char *s, size_t n)
{
    if (s == NULL) {
        w32(b, FEED_WIRE_NULL);
        return;
    }
    w32(b, (uint32_t)n);
    assert_int_equal(buf_append(b, s, n), CUR_OK);
}

static void
wstr(struct buf *b, const char *s)
{
    wstrn(b, s, s ? strlen(s) : 0);
}

/* The feed-level part of a payload, up to and including the item count:
 * 'title' as given (n bytes), nothing else set. */
static void
feed_head(struct buf *b, const char *title, size_t n, uint32_t items)
{
    w8(b, FEED_WIRE_VERSION);
    wstrn(b, title, n);
    wstr(b, NULL);
    wstr(b, NULL);
    w32(b, 0);          /* ttl */
    w32(b, 0);          /* skip hours */
    w32(b, 0);          /* skip days */
    w8(b, 0);           /* recovered */
    w32(b, 0);          /* problems */
    w32(b, items);
}

/* One item with guid 'guid' (NULL: absent) and nothing else. */
static void
item_min(struct buf *b, const char *guid)
{
    wstr(b, guid);
    for (int i = 0; i < 7; i++)
        wstr(b, NULL);
    w64(b, 0);
    w64(b, 0);
    w32(b, 0);
}

static int
decode(const struct buf *b, size_t max_items, struct feed **f, char *err,
       size_t errlen)
{
    struct feed_wire_limits lim = { .max_items = max_items };
    return feed_wire_get_feed(b->data, b->len, &lim, f, err, errlen);
}

/* The payload must be refused with a message containing 'why'. */
static void
refused(const struct buf *b, size_t max_items, const char *why)
{
    struct feed *f = (struct feed *)1;
    char err[128];
    assert_int_equal(decode(b, max_items, &f, err, sizeof err), CUR_EINVAL);
    assert_null(f);
    if (strstr(err, why) == NULL)
        fail_msg("refused with \"%s\", expected \"%s\"", err, why);
}

/* ---- a feed with every field ---- */

static char *
dup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static struct feed *
sample_feed(void)
{
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->format = FEED_ATOM;
    f->title = dup("Caf\xc3\xa9 \xe2\x80\x94 news \xf0\x9f\x98\x80");
    f->link = dup("https://example.org/");
    f->hub = dup("https://hub.example.org/");
    f->description = dup("not sent");
    f->ttl = 90;
    f->skip_hours = (1u << 0) | (1u << 23);
    f->skip_days = 0x41;
    f->recovered = 1;
    f->problems = calloc(2, sizeof *f->problems);
    f->problems[0] = dup("3:7: undefined entity &nbsp; repaired");
    f->problems[1] = dup("9:1: document cut short");
    f->n_problems = 2;

    struct item *it = feed_add_item(f);
    it->guid = dup("tag:example.org,2026:1");
    it->title = dup("First <b>item</b>");
    it->link = dup("https://example.org/1");
    struct person *a = feed_add_person(&it->authors, &it->n_authors);
    a->name = dup("Ann \xc3\x89lise");
    a->email = dup("ann@example.org");
    a = feed_add_person(&it->authors, &it->n_authors);
    a->name = dup("second author, not sent");
    it->text = dup("Line one\n\nline two \xe2\x80\xa8 sep");
    it->html = dup("<p>Line one</p><p>line two</p>");
    it->language = dup("fr-CA");
    it->published = 1793000000LL;
    it->updated = -86400LL;         /* before 1970: kept as is */
    assert_int_equal(item_add_tag(it, "coaching"), 0);
    assert_int_equal(item_add_tag(it, "\xe6\x97\xa5\xe6\x9c\xac"), 0);
    it->content_html = dup("not sent either");

    it = feed_add_item(f);
    it->guid = dup("2");            /* every other field absent */

    it = feed_add_item(f);
    it->guid = dup("sha256:00ff");
    it->title = dup("");
    a = feed_add_person(&it->authors, &it->n_authors);
    a->email = dup("only@example.org");
    it->text = dup("");
    it->html = dup("");
    return f;
}

static void
assert_str_or_null(const char *got, const char *want)
{
    if (want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, want);
}

/* The fields the wire carries are equal. */
static void
assert_same(const struct feed *got, const struct feed *want)
{
    assert_str_or_null(got->title, want->title);
    assert_str_or_null(got->link, want->link);
    assert_str_or_null(got->hub, want->hub);
    assert_int_equal(got->ttl, want->ttl);
    assert_int_equal(got->skip_hours, want->skip_hours);
    assert_int_equal(got->skip_days, want->skip_days);
    assert_int_equal(got->recovered, want->recovered);
    assert_int_equal(got->n_problems, want->n_problems);
    for (size_t i = 0; i < want->n_problems; i++)
        assert_string_equal(got->problems[i], want->problems[i]);
    assert_int_equal(got->n_items, want->n_items);
    for (size_t i = 0; i < want->n_items; i++) {
        const struct item *g = &got->items[i], *w = &want->items[i];
        assert_string_equal(g->guid, w->guid);
        assert_str_or_null(g->title, w->title);
        assert_str_or_null(g->link, w->link);
        assert_str_or_null(g->text, w->text);
        assert_str_or_null(g->html, w->html);
        assert_str_or_null(g->language, w->language);
        assert_true(g->published == w->published);
        assert_true(g->updated == w->updated);
        assert_int_equal(g->n_authors, w->n_authors ? 1 : 0);
        if (w->n_authors) {
            assert_str_or_null(g->authors[0].name, w->authors[0].name);
            assert_str_or_null(g->authors[0].email, w->authors[0].email);
        }
        assert_int_equal(g->n_tags, w->n_tags);
        for (size_t t = 0; t < w->n_tags; t++)
            assert_string_equal(g->tags[t], w->tags[t]);
    }
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct feed *f = sample_feed(), *back = NULL;
    struct buf b, again;
    char err[128];

    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_feed(&b, f), CUR_OK);
    assert_int_equal(decode(&b, 3, &back, err, sizeof err), CUR_OK);
    assert_string_equal(err, "");
    assert_same(back, f);
    /* Only the wire's fields cross. */
    assert_null(back->description);
    assert_null(back->items[0].content_html);
    assert_int_equal(back->format, FEED_UNKNOWN);
    assert_string_equal(back->items[0].authors[0].name, "Ann \xc3\x89lise");
    assert_string_equal(back->items[0].tags[1], "\xe6\x97\xa5\xe6\x9c\xac");
    assert_null(back->items[1].authors);
    assert_null(back->items[2].authors[0].name);
    /* The same bytes again: the format has one form per feed. */
    buf_init(&again, 0);
    assert_int_equal(feed_wire_put_feed(&again, back), CUR_OK);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);
    buf_free(&again);
    buf_free(&b);
    feed_free(back);
    feed_free(f);
}

static void
test_empty_feed(void **state)
{
    (void)state;
    struct feed f = { 0 }, *back = NULL;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_feed(&b, &f), CUR_OK);
    /* version, 3 absent strings, ttl, hours, days, flag, 2 counts */
    assert_int_equal(b.len, 1 + 3 * 4 + 3 * 4 + 1 + 2 * 4);
    assert_int_equal(decode(&b, 0, &back, NULL, 0), CUR_OK);
    assert_null(back->title);
    assert_int_equal(back->n_items, 0);
    assert_null(back->items);
    feed_free(back);
    buf_free(&b);
}

/* A real fixture, parsed and sanitised as the worker does. */
static void
test_parsed_fixture(void **state)
{
    (void)state;
    size_t len;
    char *doc = t_read_file("tests/fixtures/rss2-basic.xml", &len);
    struct feed *f = NULL, *back = NULL;
    struct sanitize_opts so;
    struct buf b;

    assert_non_null(doc);
    assert_int_equal(parse_feed(doc, len, NULL, &f, NULL, 0), CUR_OK);
    sanitize_opts_init(&so, SANITIZE_WEB);
    assert_int_equal(feed_sanitize(f, &so, 4096), 0);
    assert_int_equal(f->n_items, 3);
    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_feed(&b, f), CUR_OK);
    assert_int_equal(decode(&b, 1000, &back, NULL, 0), CUR_OK);
    assert_same(back, f);
    assert_string_equal(back->items[0].title, "First fixture item");
    feed_free(back);
    feed_free(f);
    buf_free(&b);
    free(doc);
}

static void
test_request_round_trip(void **state)
{
    (void)state;
    struct parse_opts po;
    struct sanitize_opts so;
    struct feed_wire_request rq;
    struct buf b;

    parse_opts_default(&po);
    po.max_size = 12345678;
    po.max_items = 77;
    po.max_title = 100;
    po.max_content = 1 << 19;
    po.max_depth = 64;
    po.max_attributes = 9;
    po.cpu_seconds = 2.5;
    po.base_url = "https://example.org/feed?x=\xc3\xa9";
    po.content_type = NULL;
    po.content_language = "de";
    sanitize_opts_init(&so, SANITIZE_MAIL);
    so.base_url = "https://example.org/";
    so.tracking_hosts = "t.example,pixel.example";
    so.max_data_image = 999;
    so.remote_images = 1;
    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_request(&b, &po, &so, 321), CUR_OK);
    assert_int_equal(feed_wire_get_request(b.data, b.len, &rq), CUR_OK);
    assert_int_equal(rq.parse.max_size, 12345678);
    assert_int_equal(rq.parse.max_items, 77);
    assert_int_equal(rq.parse.max_title, 100);
    assert_int_equal(rq.parse.max_content, 1 << 19);
    assert_int_equal(rq.parse.max_depth, 64);
    assert_int_equal(rq.parse.max_attributes, 9);
    assert_true(rq.parse.cpu_seconds == 2.5);
    assert_string_equal(rq.parse.base_url, po.base_url);
    assert_null(rq.parse.content_type);
    assert_string_equal(rq.parse.content_language, "de");
    assert_null(rq.parse.on_item);
    assert_int_equal(rq.sanitize.profile, SANITIZE_MAIL);
    assert_string_equal(rq.sanitize.base_url, "https://example.org/");
    assert_string_equal(rq.sanitize.tracking_hosts,
                        "t.example,pixel.example");
    assert_int_equal(rq.sanitize.max_data_image, 999);
    assert_int_equal(rq.sanitize.remote_images, 1);
    assert_int_equal(rq.text_max, 321);
    feed_wire_request_clear(&rq);
    assert_null(rq.strings[0]);

    /* Every cut of it, and a byte too many, are refused. */
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_equal(feed_wire_get_request(b.data, cut, &rq),
                         CUR_EINVAL);
    assert_int_equal(buf_append(&b, "x", 1), CUR_OK);
    assert_int_equal(feed_wire_get_request(b.data, b.len, &rq), CUR_EINVAL);
    /* An unknown sanitiser profile. */
    buf_reset(&b);
    so.profile = (enum sanitize_profile)7;
    assert_int_equal(feed_wire_put_request(&b, &po, &so, 1), CUR_OK);
    assert_int_equal(feed_wire_get_request(b.data, b.len, &rq), CUR_EINVAL);
    buf_free(&b);
}

static void
test_header(void **state)
{
    (void)state;
    struct buf b;
    uint32_t len;
    unsigned type;
    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_header(&b, FEED_WIRE_DATA, 0x01020304),
                     CUR_OK);
    assert_int_equal(b.len, FEED_WIRE_HEADER);
    assert_memory_equal(b.data, "\x04\x03\x02\x01\x03", 5);
    feed_wire_get_header((const unsigned char *)b.data, &len, &type);
    assert_int_equal(len, 0x01020304);
    assert_int_equal(type, FEED_WIRE_DATA);
    buf_free(&b);
}

/* ---- hostile payloads ---- */

static void
test_every_truncation(void **state)
{
    (void)state;
    struct feed *f = sample_feed();
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_feed(&b, f), CUR_OK);
    for (size_t cut = 0; cut < b.len; cut++) {
        struct feed *back = (struct feed *)1;
        struct feed_wire_limits lim = { 0 };
        assert_int_equal(feed_wire_get_feed(b.data, cut, &lim, &back, NULL,
                                            0), CUR_EINVAL);
        assert_null(back);
    }
    /* One byte too many. */
    assert_int_equal(buf_append(&b, "", 1), CUR_OK);
    refused(&b, 0, "bytes after the end");
    buf_free(&b);
    feed_free(f);
}

static void
test_counts_and_lengths(void **state)
{
    (void)state;
    struct buf b;

    /* Four billion items announced, none there: refused before any
     * allocation. */
    buf_init(&b, 0);
    feed_head(&b, "t", 1, 0xFFFFFFFEu);
    refused(&b, 0, "too many items");
    /* More items than the parser may keep. */
    buf_reset(&b);
    feed_head(&b, "t", 1, 3);
    item_min(&b, "a");
    item_min(&b, "b");
    item_min(&b, "c");
    refused(&b, 2, "too many items");
    struct feed *f = NULL;
    assert_int_equal(decode(&b, 3, &f, NULL, 0), CUR_OK);
    assert_int_equal(f->n_items, 3);
    assert_string_equal(f->items[2].guid, "c");
    feed_free(f);
    /* A string longer than the payload. */
    buf_reset(&b);
    w8(&b, FEED_WIRE_VERSION);
    w32(&b, 0x7FFFFFFF);
    assert_int_equal(buf_append(&b, "abc", 3), CUR_OK);
    refused(&b, 0, "string past the end");
    /* A string over the caller's limit. */
    buf_reset(&b);
    feed_head(&b, "0123456789", 10, 0);
    struct feed_wire_limits lim = { .max_string = 9 };
    assert_int_equal(feed_wire_get_feed(b.data, b.len, &lim, &f, NULL, 0),
                     CUR_EINVAL);
    lim.max_string = 10;
    assert_int_equal(feed_wire_get_feed(b.data, b.len, &lim, &f, NULL, 0),
                     CUR_OK);
    feed_free(f);
    /* Tags announced past the end. */
    buf_reset(&b);
    feed_head(&b, "t", 1, 1);
    wstr(&b, "g");
    for (int i = 0; i < 7; i++)
        wstr(&b, NULL);
    w64(&b, 0);
    w64(&b, 0);
    w32(&b, 1000000);
    refused(&b, 0, "tag count past the end");
    /* An absent tag. */
    buf_reset(&b);
    feed_head(&b, "t", 1, 1);
    wstr(&b, "g");
    for (int i = 0; i < 7; i++)
        wstr(&b, NULL);
    w64(&b, 0);
    w64(&b, 0);
    w32(&b, 1);
    wstr(&b, NULL);
    refused(&b, 0, "absent tag");
    /* 51 problems: the parser keeps 50. */
    buf_reset(&b);
    w8(&b, FEED_WIRE_VERSION);
    for (int i = 0; i < 3; i++)
        wstr(&b, NULL);
    w32(&b, 0);
    w32(&b, 0);
    w32(&b, 0);
    w8(&b, 1);
    w32(&b, FEED_MAX_PROBLEMS + 1);
    for (int i = 0; i <= FEED_MAX_PROBLEMS; i++)
        wstr(&b, "p");
    w32(&b, 0);
    refused(&b, 0, "too many problems");
    buf_free(&b);
}

static void
test_bad_values(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);

    /* Unknown version. */
    w8(&b, FEED_WIRE_VERSION + 1);
    refused(&b, 0, "unknown version");
    /* A ttl that would be negative as an int. */
    buf_reset(&b);
    w8(&b, FEED_WIRE_VERSION);
    for (int i = 0; i < 3; i++)
        wstr(&b, NULL);
    w32(&b, 0x80000000u);
    w32(&b, 0);
    w32(&b, 0);
    w8(&b, 0);
    w32(&b, 0);
    w32(&b, 0);
    refused(&b, 0, "ttl out of range");
    /* Hour 24 and day 7 do not exist. */
    uint32_t hd[2][2] = { { 1u << 24, 0 }, { 0, 1u << 7 } };
    for (int k = 0; k < 2; k++) {
        buf_reset(&b);
        w8(&b, FEED_WIRE_VERSION);
        for (int i = 0; i < 3; i++)
            wstr(&b, NULL);
        w32(&b, 0);
        w32(&b, hd[k][0]);
        w32(&b, hd[k][1]);
        w8(&b, 0);
        w32(&b, 0);
        w32(&b, 0);
        refused(&b, 0, "skip hours or days out of range");
    }
    /* A recovered flag that is neither 0 nor 1. */
    buf_reset(&b);
    w8(&b, FEED_WIRE_VERSION);
    for (int i = 0; i < 3; i++)
        wstr(&b, NULL);
    w32(&b, 0);
    w32(&b, 0);
    w32(&b, 0);
    w8(&b, 2);
    w32(&b, 0);
    w32(&b, 0);
    refused(&b, 0, "recovered flag out of range");
    /* Items without a guid, or with an empty one: the store needs it. */
    buf_reset(&b);
    feed_head(&b, NULL, 0, 1);
    item_min(&b, NULL);
    refused(&b, 0, "item without a guid");
    buf_reset(&b);
    feed_head(&b, NULL, 0, 1);
    item_min(&b, "");
    refused(&b, 0, "item without a guid");
    buf_free(&b);
}

static void
test_bad_text(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t n;
    } bad[] = {
        { "a\0b", 3 },                  /* NUL (PARSE-9) */
        { "\xc0\xaf", 2 },              /* overlong '/' */
        { "\xe0\x80\xaf", 3 },          /* overlong, 3 bytes */
        { "\xf0\x80\x80\xaf", 4 },      /* overlong, 4 bytes */
        { "\xed\xa0\x80", 3 },          /* a UTF-16 surrogate */
        { "\xf4\x90\x80\x80", 4 },      /* past U+10FFFF */
        { "\xf8\x88\x80\x80\x80", 5 },  /* 5-byte form */
        { "abc\xe2\x82", 5 },           /* cut at the end */
        { "\x80", 1 },                  /* lone continuation */
        { "\xc3\x28", 2 },              /* bad continuation */
        { "\xff", 1 },
        { "12345678\x80", 9 },          /* after the 8-byte fast path */
        { "1234567\0abcdefgh", 16 },    /* NUL inside a fast-path word */
    };
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(feed_wire_utf8_ok(bad[i].s, bad[i].n));
        buf_reset(&b);
        feed_head(&b, bad[i].s, bad[i].n, 0);
        refused(&b, 0, "string not UTF-8 or holding NUL");
        /* In an item's field too. */
        buf_reset(&b);
        feed_head(&b, "ok", 2, 1);
        wstr(&b, "g");
        wstr(&b, NULL);
        wstr(&b, NULL);
        wstr(&b, NULL);
        wstr(&b, NULL);
        wstr(&b, NULL);
        wstrn(&b, bad[i].s, bad[i].n);      /* html */
        wstr(&b, NULL);
        w64(&b, 0);
        w64(&b, 0);
        w32(&b, 0);
        refused(&b, 0, "string not UTF-8 or holding NUL");
    }
    static const char *const good[] = {
        "", "plain ASCII that is long enough for the fast path",
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
        "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf", "caf\xc3\xa9 12345678 \xf0\x9f\x98\x80",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(feed_wire_utf8_ok(good[i], strlen(good[i])));
    buf_free(&b);
}

static void
check_against_ref(const unsigned char *s, size_t len)
{
    int want = t_utf8_valid(s, len), got = feed_wire_utf8_ok((const char *)s,
                                                            len);
    if (want != got) {
        fprintf(stderr, "utf8 mismatch len=%zu want=%d:", len, want);
        for (size_t i = 0; i < len; i++)
            fprintf(stderr, " %02x", s[i]);
        fprintf(stderr, "\n");
    }
    assert_int_equal(got, want);
}

/* The validator against the reference: every two-byte pair and a set of
 * three- and four-byte shapes at every offset of strings long enough
 * for the 16-byte path (across block edges and at the very end), then
 * random mixes of good and bad characters. */
static void
test_utf8_matches_reference(void **state)
{
    (void)state;
    unsigned char s[80];
    static const unsigned char edge[] = {
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
        0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF,
    };
    static const unsigned char last[] = { 0x41, 0x00, 0x80, 0xBF, 0xC2 };
    const size_t ne = sizeof edge;

    for (size_t len = 32; len <= 50; len += 18) {
        for (size_t at = 0; at + 2 <= len; at += (at < 12 || at > 28
                                                    || len - at < 5) ? 1 : 5)
            for (unsigned v = 0; v < 65536; v++) {
                memset(s, 'a', len);
                s[at] = (unsigned char)(v >> 8);
                s[at + 1] = (unsigned char)v;
                check_against_ref(s, len);
            }
    }
    for (size_t len = 32; len <= 48; len += 16)
        for (size_t at = 0; at + 4 <= len; at++)
            for (unsigned lead = 0x80; lead < 0x100; lead++)
                for (size_t b = 0; b < ne; b++)
                    for (size_t c = 0; c < ne; c++)
                        for (size_t d = 0; d < sizeof last; d++) {
                            memset(s, 'a', len);
                            s[at] = (unsigned char)lead;
                            s[at + 1] = edge[b];
                            s[at + 2] = edge[c];
                            s[at + 3] = last[d];
                            check_against_ref(s, len);
                            /* Cut at each of its bytes. */
                            check_against_ref(s, at + 1 + d % 3);
                        }
    static const char *const piece[] = {
        "a", "plain words ", "\xc3\xa9", "\xe2\x80\x9c", "\xf0\x9f\x98\x80",
        "\xed\x9f\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "\x80", "\xc3",
        "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xff",
    };
    unsigned seed = 777;
    for (int round = 0; round < 200000; round++) {
        size_t len = 0, want = 20 + (size_t)rand_r(&seed) % 50;
        /* Mostly good pieces, so that a bad one is found anywhere. */
        int bad_ok = rand_r(&seed) % 2;
        while (len < want) {
            size_t k = (size_t)rand_r(&seed) % (bad_ok ? 15 : 8);
            size_t n = strlen(piece[k]);
            if (len + n > sizeof s)
                break;
            memcpy(s + len, piece[k], n);
            len += n;
        }
        if (rand_r(&seed) % 16 == 0)
            s[(size_t)rand_r(&seed) % len] = 0;
        check_against_ref(s, len);
    }
}

/* Random corruption of a valid payload: decoding returns, and whatever
 * it accepts holds only valid text (ASan and UBSan watch the rest). */
static void
test_random_corruption(void **state)
{
    (void)state;
    struct feed *f = sample_feed();
    struct buf b;
    unsigned seed = 12345;
    int accepted = 0;

    buf_init(&b, 0);
    assert_int_equal(feed_wire_put_feed(&b, f), CUR_OK);
    char *copy = malloc(b.len);
    assert_non_null(copy);
    for (int round = 0; round < 20000; round++) {
        memcpy(copy, b.data, b.len);
        int flips = 1 + (int)(rand_r(&seed) % 4);
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand_r(&seed) % b.len;
            copy[at] = (char)(rand_r(&seed) & 0xFF);
        }
        size_t len = b.len - (rand_r(&seed) % 8 == 0
                              ? (size_t)rand_r(&seed) % b.len : 0);
        struct feed *back = NULL;
        struct feed_wire_limits lim = { .max_items = 1000 };
        int rc = feed_wire_get_feed(copy, len, &lim, &back, NULL, 0);
        assert_true(rc == CUR_OK || rc == CUR_EINVAL);
        if (rc != CUR_OK) {
            assert_null(back);
            continue;
        }
        accepted++;
        if (back->title)
            assert_true(feed_wire_utf8_ok(back->title,
                                          strlen(back->title)));
        for (size_t i = 0; i < back->n_items; i++) {
            assert_non_null(back->items[i].guid);
            assert_true(back->items[i].guid[0] != '\0');
            if (back->items[i].html)
                assert_true(feed_wire_utf8_ok(back->items[i].html,
                                              strlen(back->items[i].html)));
        }
        feed_free(back);
    }
    /* Flips inside text or numbers leave valid payloads: some pass. */
    assert_true(accepted > 0);
    free(copy);
    buf_free(&b);
    feed_free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_empty_feed),
        cmocka_unit_test(test_parsed_fixture),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_counts_and_lengths),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_utf8_matches_reference),
        cmocka_unit_test(test_random_corruption),
    };
    return cmocka_run_group_tests_name("feed_wire", tests, NULL, NULL);
}
