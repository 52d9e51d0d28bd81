/* Unit tests for curator/opml.c and curator/discover.c's HTML reading:
 * OPML 1.0 and 2.0 in their common shapes, folders as categories,
 * hostile and broken documents (line and column, nothing imported), the
 * import's one transaction and its counts, export as valid OPML 2.0 that
 * reads back the same; and the feeds an HTML page advertises. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "err.h"
#include "log.h"
#include "opml.h"
#include "store.h"

static struct opml_doc
parse_ok(const char *text)
{
    struct opml_doc d;
    char err[256] = "";
    int rc = opml_parse(text, strlen(text), &d, err, sizeof err);
    if (rc != CUR_OK)
        fail_msg("opml_parse: %s", err);
    return d;
}

static void
parse_fails(const char *text, int want_rc, const char *want_err)
{
    struct opml_doc d;
    char err[256] = "";
    assert_int_equal(opml_parse(text, strlen(text), &d, err, sizeof err),
                     want_rc);
    if (strstr(err, want_err) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", want_err, err);
    assert_int_equal(d.n, 0);
    assert_null(d.v);
}

static void
test_opml_shapes(void **state)
{
    (void)state;
    /* OPML 2.0 with nested folders, an attribute category, entities. */
    struct opml_doc d = parse_ok(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<opml version=\"2.0\"><head><title> My feeds </title></head>\n"
        "<body>\n"
        "<outline text=\"News\"><outline title=\"World\">\n"
        "  <outline type=\"rss\" text=\"T &amp; U\" xmlUrl=\"https://a."
        "example/rss?x=1&amp;y=2\" htmlUrl=\"https://a.example/\"/>\n"
        "</outline>\n"
        "  <outline type=\"rss\" text=\"B\" title=\"Bee\" xmlUrl=\"https://"
        "b.example/feed\"><outline text=\"inside a feed\"/></outline>\n"
        "</outline>\n"
        "<outline text=\"a/b\"><outline xmlUrl=\"https://c.example/\"/>"
        "</outline>\n"
        "<outline xmlUrl=\" https://d.example/ \" category=\"/Tags/x,/y\"/>\n"
        "<outline><outline XMLURL=\"https://e.example/\"/></outline>\n"
        "</body></opml>\n");
    assert_string_equal(d.title, "My feeds");
    assert_int_equal(d.n, 5);
    assert_string_equal(d.v[0].url, "https://a.example/rss?x=1&y=2");
    assert_string_equal(d.v[0].title, "T & U");
    assert_string_equal(d.v[0].site_url, "https://a.example/");
    assert_string_equal(d.v[0].category, "News/World");
    assert_int_equal(d.v[0].line, 5);
    assert_string_equal(d.v[1].title, "Bee");
    assert_string_equal(d.v[1].category, "News");
    assert_string_equal(d.v[2].category, "a-b");
    assert_null(d.v[2].title);
    assert_string_equal(d.v[3].url, "https://d.example/");
    assert_string_equal(d.v[3].category, "Tags/x");
    assert_string_equal(d.v[4].url, "https://e.example/");
    assert_null(d.v[4].category);
    opml_doc_free(&d);

    /* OPML 1.0, no head, no XML declaration, an empty body. */
    d = parse_ok("<opml version=\"1.0\"><body/></opml>");
    assert_int_equal(d.n, 0);
    assert_null(d.title);
    opml_doc_free(&d);
    d = parse_ok("<opml version=\"1.1\"><body><outline xmlUrl=\"http://x."
                 "example/\"/></body></opml>");
    assert_int_equal(d.n, 1);
    opml_doc_free(&d);
    /* Outlines outside <body> are not feeds. */
    d = parse_ok("<opml version=\"2.0\"><head><outline xmlUrl=\"http://h."
                 "example/\"/></head><body/></opml>");
    assert_int_equal(d.n, 0);
    opml_doc_free(&d);
}

static void
test_opml_refused(void **state)
{
    (void)state;
    parse_fails("", CUR_EPARSE, "empty document");
    parse_fails("<opml version=\"2.0\"><body>\n<outline xmlUrl=\"x\">\n"
                "</body></opml>", CUR_EPARSE, "3:");
    parse_fails("<rss version=\"2.0\"/>", CUR_EPARSE,
                "1:19: root element <rss> is not <opml>");
    parse_fails("<opml version=\"3.0\"/>", CUR_EPARSE,
                "OPML version \"3.0\" is not 1.0 or 2.0");
    /* PARSE-2: entity declarations end it, internal or external. */
    parse_fails("<!DOCTYPE opml [<!ENTITY a \"aaaaaaaaaa\">]>\n"
                "<opml version=\"2.0\"><body><outline text=\"&a;\" "
                "xmlUrl=\"http://x/\"/></body></opml>", CUR_EPARSE,
                "entity declarations not allowed");
    parse_fails("<!DOCTYPE opml [<!ENTITY x SYSTEM \"file:///etc/passwd\">"
                "]>\n<opml version=\"2.0\"><body><outline text=\"&x;\" "
                "xmlUrl=\"http://x/\"/></body></opml>", CUR_EPARSE,
                "entity declarations not allowed");
    parse_fails("<opml version=\"2.0\"><body><outline text=\"&nbsp;\" "
                "xmlUrl=\"http://x/\"/></body></opml>", CUR_EPARSE,
                "1:");
    /* Bare ampersands: not XML. */
    parse_fails("<opml version=\"2.0\"><body>\n\n<outline xmlUrl=\"http://"
                "x/?a=1&b=2\"/></body></opml>", CUR_EPARSE, "3:");
    /* Nesting past the limit. */
    char deep[4096] = "<opml version=\"2.0\"><body>";
    for (int i = 0; i < 70; i++)
        strcat(deep, "<outline text=\"f\">");
    parse_fails(deep, CUR_EPARSE, "nested more than 64 deep");
}

static void
test_opml_import_export(void **state)
{
    struct store *st;
    struct opml_import_stats is;
    (void)state;

    assert_int_equal(store_open(":memory:", &st), CUR_OK);
    assert_int_equal(store_feed_add(st, "https://known.example/", "cli",
                                    NULL), CUR_OK);
    struct opml_doc d = parse_ok(
        "<opml version=\"2.0\"><body>"
        "<outline text=\"Dev\"><outline text=\"C\">"
        "<outline text=\"One\" xmlUrl=\"https://one.example/\" htmlUrl="
        "\"https://one.example/home\"/></outline>"
        "<outline text=\"Two &lt;2&gt;\" xmlUrl=\"https://two.example/\"/>"
        "</outline>"
        "<outline text=\"Known\" xmlUrl=\"https://known.example/\"/>"
        "<outline text=\"Twice\" xmlUrl=\"https://one.example/\"/>"
        "<outline text=\"Local\" xmlUrl=\"file:///etc/passwd\"/>"
        "<outline text=\"Script\" xmlUrl=\"javascript:alert(1)\"/>"
        "<outline text=\"Spaced\" xmlUrl=\"https://a b.example/\"/>"
        "<outline text=\"Top\" xmlUrl=\"http://top.example/\"/>"
        "</body></opml>");
    assert_int_equal(opml_import(st, &d, "cli", NULL, NULL, &is), CUR_OK);
    assert_int_equal(is.added, 3);
    assert_int_equal(is.duplicates, 2);
    assert_int_equal(is.refused, 3);
    assert_int_equal(is.categories, 2);
    opml_doc_free(&d);

    /* Export: valid OPML 2.0 that reads back with the same folders. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(opml_export(st, out), CUR_OK);
    fclose(out);
    assert_non_null(strstr(text, "<opml version=\"2.0\">"));
    assert_non_null(strstr(text, "<dateCreated>"));
    assert_non_null(strstr(text, "text=\"Two &lt;2&gt;\""));
    d = parse_ok(text);
    assert_int_equal(d.n, 4);
    /* By category, feeds with none first, then by id. */
    assert_string_equal(d.v[0].url, "https://known.example/");
    assert_string_equal(d.v[0].title, "https://known.example/");
    assert_null(d.v[0].category);
    assert_string_equal(d.v[1].url, "http://top.example/");
    assert_string_equal(d.v[2].url, "https://two.example/");
    assert_string_equal(d.v[2].category, "Dev");
    assert_string_equal(d.v[2].title, "Two <2>");
    assert_string_equal(d.v[3].url, "https://one.example/");
    assert_string_equal(d.v[3].category, "Dev/C");
    assert_string_equal(d.v[3].site_url, "https://one.example/home");

    /* Importing the export again adds nothing. */
    assert_int_equal(opml_import(st, &d, "cli", NULL, NULL, &is), CUR_OK);
    assert_int_equal(is.added, 0);
    assert_int_equal(is.duplicates, 4);
    opml_doc_free(&d);
    free(text);
    store_close(st);
}

/* One transaction: when the store fails part way, nothing is left. */
static void
test_opml_import_all_or_nothing(void **state)
{
    struct store *st;
    struct opml_import_stats is;
    (void)state;

    assert_int_equal(store_open(":memory:", &st), CUR_OK);
    struct opml_doc d = parse_ok(
        "<opml version=\"2.0\"><body>"
        "<outline text=\"a\" xmlUrl=\"https://a.example/\"/>"
        "<outline text=\"b\" xmlUrl=\"https://b.example/\"/>"
        "</body></opml>");
    /* An origin the schema refuses makes the first insert fail. */
    assert_int_not_equal(opml_import(st, &d, "nobody", NULL, NULL, &is),
                         CUR_OK);
    assert_int_equal(is.added, 0);
    long long id;
    assert_int_equal(store_feed_find(st, "https://a.example/", &id),
                     CUR_ENOTFOUND);
    /* And the store is usable afterwards. */
    assert_int_equal(opml_import(st, &d, "cli", NULL, NULL, &is), CUR_OK);
    assert_int_equal(is.added, 2);
    opml_doc_free(&d);
    store_close(st);
}

static void
test_discover_links(void **state)
{
    struct discover_list l = { 0 };
    (void)state;

    static const char page[] =
        "<!DOCTYPE html><html><head><title>Blog</title>"
        "<link rel=stylesheet href=/s.css>"
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"RSS\" "
        "href=\"/feed.xml\">"
        "<link rel=\"ALTERNATE feed\" type=\"Application/Atom+XML; "
        "charset=utf-8\" href=\"atom.xml\">"
        "<link rel=alternate type=application/feed+json href="
        "\"https://cdn.example/feed.json\" title=\"\">"
        "<link rel=alternate type=text/html hreflang=fr href=/fr/>"
        "<link rel=alternate type=application/rss+xml href=\"javascript:"
        "alert(1)\">"
        "<link rel=alternate type=application/rss+xml href=\"file:///etc/"
        "passwd\">"
        "<link rel=alternate type=application/rss+xml href=\"/feed.xml\">"
        "<link rel=alternate type=application/rss+xml>"
        "</head><body><p>x</body></html>";
    assert_int_equal(discover_links(page, strlen(page),
                                    "https://blog.example/posts/1", &l),
                     CUR_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].url, "https://blog.example/feed.xml");
    assert_string_equal(l.v[0].type, "application/rss+xml");
    assert_string_equal(l.v[0].title, "RSS");
    assert_string_equal(l.v[1].url, "https://blog.example/posts/atom.xml");
    assert_null(l.v[1].title);
    assert_string_equal(l.v[2].url, "https://cdn.example/feed.json");
    discover_list_free(&l);

    /* <base href> applies, wherever it is. */
    static const char based[] =
        "<html><head><link rel=alternate type=application/atom+xml "
        "href=feed><base href=\"https://other.example/dir/\"></head></html>";
    assert_int_equal(discover_links(based, strlen(based),
                                    "https://blog.example/", &l), CUR_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].url, "https://other.example/dir/feed");
    discover_list_free(&l);

    /* Nothing there, or not HTML at all. */
    assert_int_equal(discover_links("<p>hi", 5, "https://x.example/", &l),
                     CUR_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(discover_links("", 0, "https://x.example/", &l),
                     CUR_OK);
    assert_int_equal(l.n, 0);
    discover_list_free(&l);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opml_shapes),
        cmocka_unit_test(test_opml_refused),
        cmocka_unit_test(test_opml_import_export),
        cmocka_unit_test(test_opml_import_all_or_nothing),
        cmocka_unit_test(test_discover_links),
    };
    log_open(NULL, LOG_ERR);
    return cmocka_run_group_tests_name("unit: opml and discovery", tests,
                                       NULL, NULL);
}
