/* Unit tests: date parsing and the minimal RSS 2.0 / Atom 1.0 parser,
 * including the hostile inputs it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "err.h"
#include "parse.h"
#include "parse_int.h"
#include "support.h"

static void
test_date_rfc822(void **state)
{
    long long t;
    (void)state;
    assert_int_equal(date_parse("Tue, 03 Nov 2026 09:30:00 +0100", &t), 0);
    assert_int_equal(t, 1793694600LL);          /* 08:30:00Z */
    assert_int_equal(date_parse("03 Nov 2026 08:30:00 GMT", &t), 0);
    assert_int_equal(t, 1793694600LL);
    assert_int_equal(date_parse("Tue, 3 Nov 26 03:30 EST", &t), 0);
    assert_int_equal(t, 1793694600LL);
    assert_int_equal(date_parse("  Tue, 03 November 2026 08:30:00 Z ", &t),
                     0);
    assert_int_equal(t, 1793694600LL);
    assert_int_equal(date_parse("Tue, 03 Nov 2026 08:30:00", &t), 0);
    assert_int_equal(t, 1793694600LL);          /* no zone: UTC */
}

static void
test_date_rfc3339(void **state)
{
    long long t;
    (void)state;
    assert_int_equal(date_parse("2026-11-03T08:30:00Z", &t), 0);
    assert_int_equal(t, 1793694600LL);
    assert_int_equal(date_parse("2026-11-03T03:30:00.123-05:00", &t), 0);
    assert_int_equal(t, 1793694600LL);
    assert_int_equal(date_parse("2026-11-03", &t), 0);
    assert_int_equal(t, 1793664000LL);
    assert_int_equal(date_parse("2026-11-03t08:30:00+00:00", &t), 0);
    assert_int_equal(t, 1793694600LL);
}

static void
test_date_rejects_garbage(void **state)
{
    static const char *const bad[] = {
        "", "   ", "yesterday", "2026-13-01T00:00:00Z", "2026-02-30",
        "Tue, 32 Nov 2026 08:30:00 GMT", "Tue, 03 Foo 2026 08:30:00 GMT",
        "2026-11-03T25:61:00Z", "2026-11-03T08:30:00+99:00",
        "03 Nov 2026 08:30:00 GMT trailing", "0000-00-00",
        "99999999999999999999999999", "2026-11-03T08:30:00Zjunk",
    };
    long long t = 42;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (date_parse(bad[i], &t) != CUR_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
    }
    char huge[4096];
    memset(huge, '9', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(date_parse(huge, &t), CUR_EINVAL);
    assert_int_equal(t, 42);
}

static void
test_date_format(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(date_format(1793694600LL, buf, sizeof buf),
                        "2026-11-03T08:30:00Z");
}

/* parse_feed() with the default options and a base URL. */
static int
parse_with_base(const char *body, size_t len, const char *base,
                struct feed **f, char *err, size_t errlen)
{
    struct parse_opts o;
    parse_opts_default(&o);
    o.base_url = base;
    return parse_feed(body, len, &o, f, err, errlen);
}

static struct feed *
parse_fixture(const char *name, const char *base, int expect_rc,
              char *err, size_t errlen)
{
    char path[512];
    size_t len;
    struct feed *f = NULL;
    snprintf(path, sizeof path, "tests/fixtures/%s", name);
    char *body = t_read_file(path, &len);
    assert_non_null(body);
    assert_int_equal(parse_with_base(body, len, base, &f, err, errlen),
                     expect_rc);
    free(body);
    return f;
}

static void
test_parse_rss2(void **state)
{
    char err[256];
    (void)state;
    struct feed *f = parse_fixture("rss2-basic.xml", NULL, CUR_OK, err,
                                   sizeof err);
    assert_non_null(f);
    assert_string_equal(f->title, "Fixture RSS");
    assert_int_equal(f->n_items, 3);
    assert_string_equal(f->items[0].title, "First fixture item");
    assert_string_equal(f->items[0].guid, "fixture-rss-item-1");
    assert_string_equal(f->items[0].link, "https://fixture.example.org/1");
    assert_true(f->items[0].published > 1700000000LL);
    assert_string_equal(f->items[2].title, "Third & last item");
    /* Escaped HTML in the description is kept as HTML. */
    assert_non_null(strstr(f->items[1].summary_html, "<strong>escaped"));
    assert_string_equal(f->items[0].authors[0].name, "Fixture Author");
    assert_int_equal(f->format, FEED_RSS);
    assert_string_equal(f->format_version, "2.0");
    assert_false(f->recovered);
    feed_free(f);
}

static void
test_parse_atom(void **state)
{
    char err[256];
    (void)state;
    struct feed *f = parse_fixture("atom-basic.xml", NULL, CUR_OK, err,
                                   sizeof err);
    assert_non_null(f);
    assert_string_equal(f->title, "Fixture Atom");
    assert_int_equal(f->n_items, 2);
    assert_string_equal(f->items[0].title, "Atom entry one");
    assert_string_equal(f->items[1].title, "Atom entry two");
    assert_non_null(f->items[0].link);
    assert_int_equal(strncmp(f->items[0].guid, "urn:uuid:", 9), 0);
    /* xhtml content: the markup inside the wrapper div. */
    assert_non_null(f->items[1].content_html);
    assert_null(strstr(f->items[1].content_html, "<div"));
    assert_int_equal(f->format, FEED_ATOM);
    assert_true(f->items[1].published > 0);
    feed_free(f);
}

static void
test_parse_identity_fallbacks(void **state)
{
    char err[256];
    (void)state;
    struct feed *f = parse_fixture("rss2-noguid.xml", NULL, CUR_OK, err,
                                   sizeof err);
    assert_int_equal(f->n_items, 3);
    /* No guid: the link is the identity. */
    assert_string_equal(f->items[0].guid, f->items[0].link);
    /* Neither: a hash, stable across parses. */
    assert_int_equal(strncmp(f->items[2].guid, "sha256:", 7), 0);
    assert_int_equal(strlen(f->items[2].guid), 7 + 64);
    struct feed *g = parse_fixture("rss2-noguid.xml", NULL, CUR_OK, err,
                                   sizeof err);
    assert_string_equal(f->items[2].guid, g->items[2].guid);
    feed_free(g);
    feed_free(f);
}

static void
test_parse_relative_links_and_base(void **state)
{
    const char *doc =
        "<rss version=\"2.0\"><channel><title>T</title>"
        "<item><title>rel</title><link>/a/b</link></item>"
        "<item><title>js</title><link>javascript:alert(1)</link></item>"
        "</channel></rss>";
    const char *atom =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" "
        "xml:base=\"https://base.example.org/dir/\"><title>A</title>"
        "<entry><id>1</id><title>x</title><link href=\"post\"/></entry>"
        "<entry xml:base=\"javascript:alert(1)//\"><id>2</id><title>y</title>"
        "<link href=\"z\"/></entry></feed>";
    struct feed *f;
    (void)state;
    assert_int_equal(parse_with_base(doc, strlen(doc),
                                     "https://site.example.org/feed.xml", &f,
                                     NULL, 0), CUR_OK);
    assert_string_equal(f->items[0].link, "https://site.example.org/a/b");
    assert_null(f->items[1].link);      /* never a javascript: link */
    feed_free(f);
    assert_int_equal(parse_feed(atom, strlen(atom), NULL, &f, NULL, 0),
                     CUR_OK);
    assert_string_equal(f->items[0].link,
                        "https://base.example.org/dir/post");
    /* A javascript: base is ignored: the parent's base holds. */
    assert_string_equal(f->items[1].link, "https://base.example.org/dir/z");
    feed_free(f);
}

static void
test_parse_refuses_entities(void **state)
{
    char err[256];
    (void)state;
    assert_null(parse_fixture("entity-bomb.xml", NULL, CUR_EPARSE, err,
                              sizeof err));
    assert_non_null(strstr(err, "entity declarations not allowed"));
    assert_null(parse_fixture("external-entity.xml", NULL, CUR_EPARSE, err,
                              sizeof err));
    assert_non_null(strstr(err, "entity declarations not allowed"));
    const char *param =
        "<!DOCTYPE rss [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/x\"> %p;]>"
        "<rss version=\"2.0\"><channel><title>T</title></channel></rss>";
    struct feed *f = NULL;
    assert_int_equal(parse_feed(param, strlen(param), NULL, &f, err,
                                sizeof err), CUR_EPARSE);
    assert_null(f);
}

static void
test_parse_public_doctype_ok(void **state)
{
    /* RSS 0.91 style public DOCTYPE without entity declarations: parsed,
     * and the DTD is not fetched (NONET, no DTDLOAD). */
    const char *doc =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss PUBLIC \"-//Netscape "
        "Communications//DTD RSS 0.91//EN\" "
        "\"http://127.0.0.1:9/rss-0.91.dtd\">\n"
        "<rss version=\"2.0\"><channel><title>Old</title><item>"
        "<title>caf\xc3\xa9</title><guid>1</guid></item></channel></rss>";
    struct feed *f;
    (void)state;
    assert_int_equal(parse_feed(doc, strlen(doc), NULL, &f, NULL, 0),
                     CUR_OK);
    assert_string_equal(f->items[0].title, "caf\xc3\xa9");
    feed_free(f);
}

static void
test_parse_broken_documents(void **state)
{
    char err[256];
    (void)state;
    /* Cut mid-item: the complete items, never half an item, and the
     * problem said. */
    struct feed *t = parse_fixture("truncated.xml", NULL, CUR_OK, err,
                                   sizeof err);
    assert_int_equal(t->n_items, 1);
    assert_string_equal(t->items[0].title, "Complete first item");
    assert_true(t->recovered);
    assert_true(t->n_problems >= 1);
    feed_free(t);
    assert_null(parse_fixture("garbage.txt", NULL, CUR_EPARSE, err,
                              sizeof err));
    assert_null(parse_fixture("not-a-feed.xml", NULL, CUR_EUNSUPPORTED, err,
                              sizeof err));
    assert_non_null(strstr(err, "<html>"));
    struct feed *f = NULL;
    assert_int_equal(parse_feed("", 0, NULL, &f, err, sizeof err),
                     CUR_EPARSE);
    /* U+0000 cannot be in XML: it is dropped, never stored. */
    const char nul[] = "<rss version=\"2.0\"><channel><title>a\0b</title>"
                       "</channel></rss>";
    assert_int_equal(parse_feed(nul, sizeof nul - 1, NULL, &f, err,
                                sizeof err), CUR_OK);
    assert_string_equal(f->title, "ab");
    feed_free(f);
}

static void
test_parse_limits(void **state)
{
    /* More items than the cap: the cap is kept. Deep nesting fails. */
    size_t n = 1000 + 50, cap = n * 64 + 256, len = 0;
    char *doc = malloc(cap);
    struct feed *f;
    (void)state;
    len += (size_t)sprintf(doc + len, "<rss version=\"2.0\"><channel>");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(doc + len, "<item><guid>%zu</guid>"
                               "<title>t</title></item>", i);
    len += (size_t)sprintf(doc + len, "</channel></rss>");
    assert_int_equal(parse_feed(doc, len, NULL, &f, NULL, 0), CUR_OK);
    assert_int_equal(f->n_items, 1000);
    feed_free(f);
    free(doc);

    size_t depth = 100000;
    doc = malloc(depth * 7 + 64);
    len = (size_t)sprintf(doc, "<rss>");
    for (size_t i = 0; i < depth; i++)
        len += (size_t)sprintf(doc + len, "<a>");
    assert_int_equal(parse_feed(doc, len, NULL, &f, NULL, 0), CUR_EPARSE);
    free(doc);

    /* A title longer than the cap is cut, on a character boundary. */
    size_t tlen = 2048 * 3;
    doc = malloc(tlen * 2 + 256);
    len = (size_t)sprintf(doc, "<rss version=\"2.0\"><channel><item>"
                          "<guid>1</guid><title>");
    for (size_t i = 0; i < tlen; i++) {
        memcpy(doc + len, "\xc3\xa9", 2);
        len += 2;
    }
    len += (size_t)sprintf(doc + len, "</title></item></channel></rss>");
    assert_int_equal(parse_feed(doc, len, NULL, &f, NULL, 0), CUR_OK);
    assert_true(strlen(f->items[0].title) <= 2048);
    assert_true(xmlCheckUTF8((const unsigned char *)f->items[0].title));
    feed_free(f);
    free(doc);
}

/* RFC 3986 section 5.4: every example, and IRIs kept as they are. */
static void
test_parse_resolve_url(void **state)
{
    static const char *const cases[][2] = {
        { "g:h", "g:h" }, { "g", "http://a/b/c/g" },
        { "./g", "http://a/b/c/g" }, { "g/", "http://a/b/c/g/" },
        { "/g", "http://a/g" }, { "//g", "http://g" },
        { "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
        { "#s", "http://a/b/c/d;p?q#s" }, { "g#s", "http://a/b/c/g#s" },
        { "g?y#s", "http://a/b/c/g?y#s" }, { ";x", "http://a/b/c/;x" },
        { "g;x", "http://a/b/c/g;x" }, { "g;x?y#s", "http://a/b/c/g;x?y#s" },
        { "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" },
        { "./", "http://a/b/c/" }, { "..", "http://a/b/" },
        { "../", "http://a/b/" }, { "../g", "http://a/b/g" },
        { "../..", "http://a/" }, { "../../", "http://a/" },
        { "../../g", "http://a/g" }, { "../../../g", "http://a/g" },
        { "../../../../g", "http://a/g" }, { "/./g", "http://a/g" },
        { "/../g", "http://a/g" }, { "g.", "http://a/b/c/g." },
        { ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." },
        { "..g", "http://a/b/c/..g" }, { "./../g", "http://a/b/g" },
        { "./g/.", "http://a/b/c/g/" }, { "g/./h", "http://a/b/c/g/h" },
        { "g/../h", "http://a/b/c/h" },
        { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
        { "g;x=1/../y", "http://a/b/c/y" },
        { "g?y/./x", "http://a/b/c/g?y/./x" },
        { "g#s/../x", "http://a/b/c/g#s/../x" }, { "http:g", "http:g" },
        { "caf\xc3\xa9", "http://a/b/c/caf\xc3\xa9" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *r = parse_resolve_url(cases[i][0], "http://a/b/c/d;p?q");
        if (r == NULL || strcmp(r, cases[i][1]) != 0)
            fail_msg("'%s' gave '%s', not '%s'", cases[i][0],
                     r ? r : "(null)", cases[i][1]);
        free(r);
    }
    assert_null(parse_resolve_url("g", NULL));
    assert_null(parse_resolve_url("g", "relative/base"));

    /* In HTML only relative URL attributes change. */
    char *html = strdup("<p><a href=\"/x?a=1&amp;b=2\">x</a>"
                        "<img src='https://cdn.example/i.png' alt=\"/no\">"
                        "<!-- <a href=\"/c\"> --></p>");
    char *r = parse_resolve_html(html, "https://site.example/feed");
    assert_string_equal(r, "<p><a href=\"https://site.example/x?a=1&amp;b=2"
                        "\">x</a><img src='https://cdn.example/i.png' "
                        "alt=\"/no\"><!-- <a href=\"/c\"> --></p>");
    assert_true(r != html);
    free(r);
    free(html);
    html = strdup("<b>nothing relative</b>");
    assert_true(parse_resolve_html(html, "https://site.example/") == html);
    free(html);
}

/* What feeds do wrong, and what the parser makes of it. */
static void
test_parse_recovery_and_detail(void **state)
{
    /* An undeclared prefix, a C1 control for a quote, xml:lang and
     * xml:base on the fields, an atom:source. */
    const char *rss =
        "<rss version=\"2.0\"><channel xml:lang=\"de\"><title>T</title>"
        "<item><title>don\xc2\x92t</title><link>http://e.example/1</link>"
        "<content:encoded>&lt;a href=\"p\"&gt;x&lt;/a&gt;</content:encoded>"
        "</item></channel></rss>";
    const char *atom =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\" "
        "xml:base=\"http://e.example/dir/\"><title>A</title>"
        "<entry><id>1</id><title xml:lang=\"fr\">t</title>"
        "<link rel=\"enclosure\" href=\"a.mp3\" length=\"7\"/>"
        "<category term=\"c\" scheme=\"s\"/>"
        "<contributor><name>C</name></contributor>"
        "<source><title>S</title><id>sid</id>"
        "<link href=\"http://s.example/\"/></source></entry></feed>";
    struct feed *f;
    (void)state;
    assert_int_equal(parse_feed(rss, strlen(rss), NULL, &f, NULL, 0), CUR_OK);
    assert_true(f->recovered);          /* the undeclared prefix */
    assert_string_equal(f->items[0].title, "don\xe2\x80\x99t");
    assert_string_equal(f->items[0].content_html, "<a href=\"p\">x</a>");
    assert_string_equal(f->language, "de");
    assert_string_equal(f->items[0].content_scope.lang, "de");
    feed_free(f);

    assert_int_equal(parse_feed(atom, strlen(atom), NULL, &f, NULL, 0),
                     CUR_OK);
    assert_false(f->recovered);
    struct item *it = &f->items[0];
    assert_string_equal(f->language, "en");
    assert_string_equal(it->title_scope.lang, "fr");
    assert_string_equal(it->title_scope.base, "http://e.example/dir/");
    assert_int_equal(it->n_links, 1);   /* not the source's link */
    assert_string_equal(it->links[0].rel, "enclosure");
    assert_string_equal(it->links[0].href, "http://e.example/dir/a.mp3");
    assert_int_equal(it->links[0].length, 7);
    assert_int_equal(it->n_enclosures, 1);
    assert_string_equal(it->categories[0].scheme, "s");
    assert_string_equal(it->tags[0], "c");
    assert_string_equal(it->contributors[0].name, "C");
    assert_non_null(it->source);
    assert_string_equal(it->source->title, "S");
    assert_string_equal(it->source->id, "sid");
    assert_string_equal(it->source_url, "http://s.example/");
    feed_free(f);

    /* A feed inside an XHTML page is found, and said to be. */
    const char *page =
        "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body>"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>In</title>"
        "<entry><id>1</id><title>e</title></entry></feed></body></html>";
    assert_int_equal(parse_feed(page, strlen(page), NULL, &f, NULL, 0),
                     CUR_OK);
    assert_int_equal(f->n_items, 1);
    assert_true(f->recovered);
    feed_free(f);
}

/* repair_push() on 'in' cut into chunks of at most 'step' bytes (and,
 * when 'cut' is not 0, first at byte 'cut'): each chunk NUL-terminated
 * as the parser hands it over. The repaired text, in a new string. */
static char *
repair_in_chunks(const char *in, size_t cut, size_t step, struct repair *r)
{
    struct buf out, chunk;
    size_t len = strlen(in), off = 0;

    buf_init(&out, 0);
    buf_init(&chunk, 0);
    repair_init(r);
    while (off < len) {
        size_t n = cut > off ? cut - off : step;
        if (n > len - off)
            n = len - off;
        buf_reset(&chunk);
        assert_int_equal(buf_append(&chunk, in + off, n), CUR_OK);
        off += n;
        assert_int_equal(repair_push(r, chunk.data, n, off == len, &out),
                         CUR_OK);
    }
    buf_free(&chunk);
    char *s = buf_steal(&out);
    assert_non_null(s);
    return s;
}

/* The repair before the XML parser: references XML lacks become
 * numeric ones, bare '&' literal ones, the rest untouched, however the
 * input is cut (a reference cut by a chunk end is held). */
static void
test_parse_repair_chunks(void **state)
{
    static const char in[] =
        "<a x=\"1&2\" y='&lt;'>T&amp;A &lt; &gt; &quot; &apos; &#65; "
        "&#x41; &#X41; &#150; &#x96; &#129; &#0; &#xD800; &nbsp; &hellip; "
        "& &bogus; &#12345678901; &#-5;</a><!-- a & b -- -> -->"
        "<![CDATA[ x & y ]] ]> ]]><?pi & ?>&copy;&lt";
    static const char want[] =
        "<a x=\"1&amp;2\" y='&lt;'>T&amp;A &lt; &gt; &quot; &apos; &#65; "
        "&#x41; &#65; &#8211; &#8211; &#129; &#xFFFD; &#xFFFD; &#160; "
        "&#8230; &amp; &amp;bogus; &#xFFFD; &#xFFFD;</a><!-- a & b -- -> -->"
        "<![CDATA[ x & y ]] ]> ]]><?pi & ?>&#169;&amp;lt";
    struct repair r;
    (void)state;

    char *got = repair_in_chunks(in, 0, sizeof in, &r);
    assert_string_equal(got, want);
    assert_int_equal(r.fixed_entities, 8);
    assert_int_equal(r.fixed_amps, 4);
    assert_string_equal(r.first_entity, "&");
    free(got);
    for (size_t step = 1; step <= 5; step++) {
        got = repair_in_chunks(in, 0, step, &r);
        assert_string_equal(got, want);
        assert_int_equal(r.fixed_entities, 8);
        assert_int_equal(r.fixed_amps, 4);
        free(got);
    }
    for (size_t cut = 1; cut < sizeof in - 1; cut++) {
        got = repair_in_chunks(in, cut, sizeof in, &r);
        if (strcmp(got, want) != 0)
            fail_msg("cut at %zu: [%s]", cut, got);
        free(got);
    }
}

/* Text inside XHTML content is escaped again as it is written back. */
static void
test_parse_xhtml_text(void **state)
{
    const char *atom =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title>"
        "<entry><id>1</id><title>t</title><content type=\"xhtml\">"
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>a &lt; b &amp; c "
        "&gt; d</p>x&lt;y<br/>&amp;</div></content></entry></feed>";
    struct feed *f;
    (void)state;
    assert_int_equal(parse_feed(atom, strlen(atom), NULL, &f, NULL, 0),
                     CUR_OK);
    assert_string_equal(f->items[0].content_html,
                        "<p>a &lt; b &amp; c &gt; d</p>x&lt;y<br>&amp;");
    feed_free(f);
}

static void
test_parse_option_mask(void **state)
{
    int opts = parse_xml_options();
    (void)state;
    /* SECURITY.md PARSE-1. */
    assert_true(opts & XML_PARSE_NONET);
    assert_false(opts & (XML_PARSE_NOENT | XML_PARSE_DTDLOAD
                         | XML_PARSE_DTDATTR | XML_PARSE_DTDVALID
                         | XML_PARSE_XINCLUDE | XML_PARSE_HUGE
                         | XML_PARSE_RECOVER));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_rfc822),
        cmocka_unit_test(test_date_rfc3339),
        cmocka_unit_test(test_date_rejects_garbage),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_parse_rss2),
        cmocka_unit_test(test_parse_atom),
        cmocka_unit_test(test_parse_identity_fallbacks),
        cmocka_unit_test(test_parse_relative_links_and_base),
        cmocka_unit_test(test_parse_refuses_entities),
        cmocka_unit_test(test_parse_public_doctype_ok),
        cmocka_unit_test(test_parse_broken_documents),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_resolve_url),
        cmocka_unit_test(test_parse_recovery_and_detail),
        cmocka_unit_test(test_parse_repair_chunks),
        cmocka_unit_test(test_parse_xhtml_text),
        cmocka_unit_test(test_parse_option_mask),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
