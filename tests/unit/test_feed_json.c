/* Unit tests: the JSON Feed writer's output parses back (with jansson)
 * to exactly the values put in, whatever the strings hold. */
#define _GNU_SOURCE     /* open_memstream */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "feed.h"
#include "feed_json.h"

static const char *const nasty[] = {
    "plain", "quote \" and backslash \\ and /slash",
    "controls \x01\x02\x1f and \t tab \n newline \r cr \x7f del",
    "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80 \xe2\x80\xa8 line sep",
    "12345678\"12345678\\1234567\x01", "<script>alert(1)</script>",
    "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
};

static json_t *
render(const struct feed *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    assert_int_equal(feed_json_write(m, f), 0);
    fclose(m);
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (j == NULL)
        fail_msg("output is not JSON: %s at %d:%d\n%s", e.text, e.line,
                 e.column, text);
    free(text);
    return j;
}

static void
test_strings_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
        struct feed *f = calloc(1, sizeof *f);
        f->format = FEED_RSS;
        f->title = strdup(nasty[i]);
        struct item *it = feed_add_item(f);
        it->guid = strdup("g");
        it->id = strdup(nasty[i]);
        it->title = strdup(nasty[i]);
        it->content_html = strdup(nasty[i]);
        assert_int_equal(item_add_tag(it, nasty[i]), 0);
        json_t *j = render(f);
        assert_string_equal(json_string_value(json_object_get(j, "title")),
                            nasty[i]);
        json_t *item = json_array_get(json_object_get(j, "items"), 0);
        assert_string_equal(json_string_value(json_object_get(item, "id")),
                            nasty[i]);
        assert_string_equal(json_string_value(
            json_object_get(item, "content_html")), nasty[i]);
        assert_string_equal(json_string_value(json_array_get(
            json_object_get(item, "tags"), 0)), nasty[i]);
        json_decref(j);
        feed_free(f);
    }
}

static void
test_fields_and_absent_values(void **state)
{
    (void)state;
    struct feed *f = calloc(1, sizeof *f);
    f->format = FEED_ATOM;
    f->format_version = strdup("1.0");
    f->title = strdup("T");
    f->link = strdup("https://example.org/");
    f->updated = 1793694600LL;
    f->ttl = 60;
    feed_problem(f, 3, 7, "bare '&' read as %s", "text");
    struct item *it = feed_add_item(f);
    it->guid = strdup("sha256:x");
    it->title = strdup("Item");
    it->link = strdup("https://example.org/1");
    it->summary_html = strdup("<p>Short &amp; sweet</p>");
    it->content_html = strdup("<p>Long</p>");
    it->published = 1793694600LL;
    struct person *p = feed_add_person(&it->authors, &it->n_authors);
    p->name = strdup("Ann");
    p->email = strdup("ann@example.org");
    struct enclosure *e = item_add_enclosure(it);
    e->url = strdup("https://example.org/a.mp3");
    e->type = strdup("audio/mpeg");
    e->length = 1234;
    e->duration = 61;

    json_t *j = render(f);
    assert_string_equal(json_string_value(json_object_get(j, "version")),
                        "https://jsonfeed.org/version/1.1");
    assert_null(json_object_get(j, "description"));    /* absent: left out */
    json_t *ext = json_object_get(j, "_curator");
    assert_string_equal(json_string_value(json_object_get(ext, "format")),
                        "atom");
    assert_string_equal(json_string_value(json_object_get(ext, "updated")),
                        "2026-11-03T08:30:00Z");
    assert_true(json_is_true(json_object_get(ext, "recovered")));
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(ext, "problems"), 0)), "3:7: bare '&' read as text");
    assert_int_equal(json_integer_value(json_object_get(ext, "ttl")), 60);
    json_t *item = json_array_get(json_object_get(j, "items"), 0);
    /* No feed id: the stable identity stands in. */
    assert_string_equal(json_string_value(json_object_get(item, "id")),
                        "sha256:x");
    assert_string_equal(json_string_value(json_object_get(item, "summary")),
                        "Short & sweet");
    assert_string_equal(json_string_value(
        json_object_get(item, "date_published")), "2026-11-03T08:30:00Z");
    assert_null(json_object_get(item, "date_modified"));
    json_t *a = json_array_get(json_object_get(item, "attachments"), 0);
    assert_int_equal(json_integer_value(json_object_get(a, "size_in_bytes")),
                     1234);
    assert_int_equal(json_integer_value(
        json_object_get(a, "duration_in_seconds")), 61);
    json_t *iext = json_object_get(item, "_curator");
    assert_string_equal(json_string_value(json_array_get(
        json_object_get(iext, "author_emails"), 0)), "ann@example.org");
    assert_string_equal(json_string_value(
        json_object_get(iext, "summary_html")), "<p>Short &amp; sweet</p>");
    json_decref(j);
    feed_free(f);
}

static void
test_item_alone(void **state)
{
    (void)state;
    struct item it = { 0 };
    struct buf b;
    it.guid = strdup("1");
    it.summary_html = strdup("just text");
    it.summary_is_text = 1;
    buf_init(&b, 0);
    assert_int_equal(feed_json_item(&b, &it, 0), CUR_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j,
                        "content_text")), "just text");
    assert_null(json_object_get(j, "content_html"));
    json_decref(j);
    buf_free(&b);
    item_clear(&it);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_round_trip),
        cmocka_unit_test(test_fields_and_absent_values),
        cmocka_unit_test(test_item_alone),
    };
    return cmocka_run_group_tests_name("feed_json", tests, NULL, NULL);
}
