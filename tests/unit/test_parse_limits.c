/* Unit tests: every parser limit (SECURITY.md PARSE-5 to -7) ends the
 * parse with a clear message, or cuts a field, and never crashes. */
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
#include "parse.h"

static const char head[] = "<rss version=\"2.0\"><channel><title>T</title>";

static int
parse_with(const char *doc, size_t len, const struct parse_opts *o,
           struct feed **f, char *err, size_t errlen)
{
    *f = NULL;
    return parse_feed(doc, len, o, f, err, errlen);
}

static void
test_depth_limit(void **state)
{
    struct buf b;
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    parse_opts_default(&o);
    o.max_depth = 40;
    buf_init(&b, 0);
    buf_puts(&b, head);
    for (int i = 0; i < 50; i++)
        buf_puts(&b, "<x>");
    /* The channel title came first: the feed is kept, and the problem
     * is named. */
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_OK);
    assert_true(f->recovered);
    assert_non_null(strstr(f->problems[0], "nested too deeply"));
    feed_free(f);
    /* Before anything usable: the feed fails, saying why. */
    b.len = 0;
    buf_puts(&b, "<rss version=\"2.0\">");
    for (int i = 0; i < 50; i++)
        buf_puts(&b, "<x>");
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_EPARSE);
    assert_non_null(strstr(err, "nested too deeply"));
    /* Within the limit: fine. */
    b.len = 0;
    buf_puts(&b, head);
    for (int i = 0; i < 30; i++)
        buf_puts(&b, "<x>");
    for (int i = 0; i < 30; i++)
        buf_puts(&b, "</x>");
    buf_puts(&b, "</channel></rss>");
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_OK);
    feed_free(f);
    buf_free(&b);
}

static void
test_attribute_limit(void **state)
{
    struct buf b;
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    parse_opts_default(&o);
    o.max_attributes = 10;
    buf_init(&b, 0);
    buf_puts(&b, head);
    buf_puts(&b, "<item");
    for (int i = 0; i < 11; i++)
        buf_printf(&b, " a%d=\"v\"", i);
    buf_puts(&b, "><title>x</title></item></channel></rss>");
    /* The channel title came before: the feed is kept, the item is not,
     * and the problem is named. */
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_OK);
    assert_int_equal(f->n_items, 0);
    assert_true(f->recovered);
    assert_non_null(strstr(f->problems[0], "too many attributes"));
    feed_free(f);
    buf_free(&b);
}

static void
test_item_and_size_limits(void **state)
{
    struct buf b;
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    parse_opts_default(&o);
    o.max_items = 5;
    buf_init(&b, 0);
    buf_puts(&b, head);
    for (int i = 0; i < 8; i++)
        buf_printf(&b, "<item><guid>%d</guid><title>t%d</title></item>", i,
                   i);
    buf_puts(&b, "</channel></rss>");
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_OK);
    assert_int_equal(f->n_items, 5);
    assert_string_equal(f->items[4].title, "t4");
    int said = 0;
    for (size_t i = 0; i < f->n_problems; i++)
        said |= strstr(f->problems[i], "3 items over the limit") != NULL;
    assert_true(said);
    feed_free(f);

    o.max_size = 100;
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_ETOOBIG);
    assert_non_null(strstr(err, "larger than 100 bytes"));
    assert_null(f);
    buf_free(&b);
}

static void
test_field_cut_on_utf8_boundary(void **state)
{
    struct buf b;
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    parse_opts_default(&o);
    o.max_content = 1001;
    o.max_title = 101;
    buf_init(&b, 0);
    buf_puts(&b, head);
    buf_puts(&b, "<item><guid>1</guid><title>");
    for (int i = 0; i < 200; i++)
        buf_puts(&b, "\xc3\xa9");
    buf_puts(&b, "</title><description>");
    for (int i = 0; i < 2000; i++)
        buf_puts(&b, "\xc3\xa9");
    buf_puts(&b, "</description></item></channel></rss>");
    assert_int_equal(parse_with(b.data, b.len, &o, &f, err, sizeof err),
                     CUR_OK);
    size_t tl = strlen(f->items[0].title);
    size_t cl = strlen(f->items[0].summary_html);
    assert_true(tl <= 101 && tl >= 90);
    assert_true(cl <= 1001 && cl >= 990);
    /* Whole characters only: an even number of bytes of "é". */
    assert_int_equal(cl % 2, 0);
    assert_int_equal((unsigned char)f->items[0].summary_html[cl - 1], 0xa9);
    feed_free(f);
    buf_free(&b);
}

static void
test_cpu_budget(void **state)
{
    struct buf b;
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    /* A budget no real parse fits in: the feed fails (or keeps what it
     * had) with the reason, instead of running on. */
    parse_opts_default(&o);
    o.cpu_seconds = 1e-9;
    o.max_items = 100000;
    buf_init(&b, 0);
    buf_puts(&b, head);
    for (int i = 0; i < 20000; i++)
        buf_printf(&b, "<item><guid>%d</guid><title>t</title></item>", i);
    buf_puts(&b, "</channel></rss>");
    int rc = parse_with(b.data, b.len, &o, &f, err, sizeof err);
    if (rc == CUR_OK) {
        assert_true(f->n_items < 20000);
        int said = 0;
        for (size_t i = 0; i < f->n_problems; i++)
            said |= strstr(f->problems[i], "CPU time") != NULL;
        assert_true(said);
        feed_free(f);
    } else {
        assert_int_equal(rc, CUR_EPARSE);
        assert_non_null(strstr(err, "CPU time"));
    }
    buf_free(&b);
}

static void
test_huge_text_and_names(void **state)
{
    struct parse_opts o;
    struct feed *f;
    char err[256];
    (void)state;

    parse_opts_default(&o);
    o.max_size = 64u << 20;
    /* A text node over libxml2's 10 MB limit (no XML_PARSE_HUGE). */
    size_t n = 11u << 20;
    char *doc = malloc(n + 256);
    size_t len = (size_t)sprintf(doc, "%s<item><title>", head);
    memset(doc + len, 'a', n);
    len += n;
    len += (size_t)sprintf(doc + len, "</title></item></channel></rss>");
    int rc = parse_with(doc, len, &o, &f, err, sizeof err);
    assert_int_equal(rc, CUR_OK);
    assert_int_equal(f->n_items, 0);
    assert_true(f->recovered);
    assert_non_null(strstr(f->problems[0], "text longer than 10 MB"));
    feed_free(f);
    /* An element name over 50,000 bytes. */
    len = (size_t)sprintf(doc, "%s<", head);
    memset(doc + len, 'n', 60000);
    len += 60000;
    len += (size_t)sprintf(doc + len, "/></channel></rss>");
    rc = parse_with(doc, len, &o, &f, err, sizeof err);
    assert_int_equal(rc, CUR_OK);
    assert_true(f->recovered);
    /* libxml2 or our own check, whichever sees it first. */
    assert_true(strstr(f->problems[0], "name longer than 50000")
                || strstr(f->problems[0], "Name too long"));
    feed_free(f);
    free(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_attribute_limit),
        cmocka_unit_test(test_item_and_size_limits),
        cmocka_unit_test(test_field_cut_on_utf8_boundary),
        cmocka_unit_test(test_cpu_budget),
        cmocka_unit_test(test_huge_text_and_names),
    };
    return cmocka_run_group_tests_name("parse limits", tests, NULL, NULL);
}
