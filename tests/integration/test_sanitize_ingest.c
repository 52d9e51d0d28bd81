/* Ingest stores item HTML sanitised (SECURITY.md SAN-2, SAN-5): the real
 * `curator init` and `curator poll` on an Atom feed full of hostile HTML,
 * then the items table read back with SQLite. The HTML column must pass
 * the independent checker, the plain text must follow the plain-text
 * rules, titles must be one line. */
#define _GNU_SOURCE     /* strcasestr */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html_check.h"
#include "support.h"

static const char feed[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<feed xmlns=\"http://www.w3.org/2005/Atom\""
    " xml:base=\"https://blog.example/posts/\">\n"
    "<title>Hostile</title><id>urn:x:feed</id>"
    "<updated>2026-11-01T00:00:00Z</updated>\n"
    "<entry><id>urn:x:1</id><updated>2026-11-01T00:00:00Z</updated>"
    "<title type=\"html\">Bold &lt;b&gt;claims&lt;/b&gt;&#13;&#10;and "
    "&lt;script&gt;alert(1)&lt;/script&gt;more</title>\n"
    "<content type=\"html\">&lt;p onclick=\"x()\"&gt;Read "
    "&lt;a href=\"one\"&gt;this&lt;/a&gt; and "
    "&lt;a href=\"javascript:alert(1)\"&gt;that&lt;/a&gt;."
    "&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    "&lt;ul&gt;&lt;li&gt;first&lt;li&gt;second&lt;/ul&gt;"
    "&lt;img src=\"pic.png\" onerror=\"alert(1)\" alt=\"pic\"&gt;"
    "&lt;img src=\"https://tracker.example/p.gif\"&gt;"
    "&lt;img src=\"https://blog.example/1.gif\" width=\"1\" height=\"1\"&gt;"
    "&lt;svg onload=\"alert(1)\"&gt;&lt;/svg&gt;"
    "&lt;iframe src=\"https://evil.example/\"&gt;&lt;/iframe&gt;"
    "</content></entry>\n"
    "<entry xml:base=\"javascript:alert(1)//\"><id>urn:x:2</id>"
    "<updated>2026-11-01T00:00:00Z</updated><title>Second</title>"
    "<summary type=\"html\">&lt;a href=\"rel\"&gt;relative&lt;/a&gt; "
    "under a hostile base</summary></entry>\n"
    "</feed>\n";

struct row {
    char title[256], summary[1024], html[2048];
};

static int
read_rows(const char *db, struct row *rows, int max)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    int n = 0;

    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT title, summary, html "
                                        "FROM items ORDER BY id", -1, &s,
                                        NULL), SQLITE_OK);
    while (n < max && sqlite3_step(s) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        const char *sm = (const char *)sqlite3_column_text(s, 1);
        const char *h2 = (const char *)sqlite3_column_text(s, 2);
        snprintf(rows[n].title, sizeof rows[n].title, "%s", t ? t : "");
        snprintf(rows[n].summary, sizeof rows[n].summary, "%s",
                 sm ? sm : "");
        assert_non_null(h2);
        snprintf(rows[n].html, sizeof rows[n].html, "%s", h2);
        n++;
    }
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

static void
test_poll_stores_sanitised_items(void **state)
{
    (void)state;
    char *dir = t_mkdtemp(), curator[512], *out = NULL, *err = NULL;
    snprintf(curator, sizeof curator, "%s/curator", t_build_dir());
    free(t_write_file(dir, "hostile.xml", feed));
    char *cfg = t_write_file(dir, "curator.ini",
                             "[store]\npath = curator.db\n"
                             "[log]\nlevel = error\n"
                             "[web]\nenabled = false\n"
                             "[digest]\nspool = .\n"
                             "[sanitize]\ntracking_hosts = tracker.example\n"
                             "[feeds]\nhostile = hostile.xml\n");
    char *init[] = { curator, "-c", cfg, "init", NULL };
    if (t_run(init, &out, &err) != 0)
        fail_msg("curator init: %s%s", out, err);
    free(out);
    free(err);
    char *poll[] = { curator, "-c", cfg, "poll", "--all", NULL };
    if (t_run(poll, &out, &err) != 0)
        fail_msg("curator poll: %s%s", out, err);
    free(out);
    free(err);

    char db[1024];
    snprintf(db, sizeof db, "%s/curator.db", dir);
    struct row rows[4];
    assert_int_equal(read_rows(db, rows, 4), 2);

    /* The first item: safe HTML, links absolute against xml:base. */
    const char *h = rows[0].html;
    char why[300];
    if (html_check(h, why, sizeof why) != 0)
        fail_msg("stored HTML [%s]: %s", h, why);
    assert_string_equal(h, "<p>Read <a href=\"https://blog.example/posts/"
                        "one\" rel=\"noopener noreferrer nofollow\">this</a>"
                        " and that.</p><ul><li>first</li><li>second</li>"
                        "</ul><img src=\"https://blog.example/posts/pic.png"
                        "\" alt=\"pic\">");
    /* Its plain text: links, bullets, line breaks. */
    assert_string_equal(rows[0].summary,
                        "Read this <https://blog.example/posts/one> and "
                        "that.\n\n\xe2\x80\xa2 first\n\xe2\x80\xa2 second");
    /* The title: one line, markup gone. */
    assert_string_equal(rows[0].title, "Bold claims and more");

    /* A hostile xml:base makes no javascript: link (SAN-5). */
    assert_null(strcasestr(rows[1].html, "javascript"));
    if (html_check(rows[1].html, why, sizeof why) != 0)
        fail_msg("stored HTML [%s]: %s", rows[1].html, why);
    assert_string_equal(rows[1].title, "Second");

    free(cfg);
    t_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll_stores_sanitised_items),
    };
    return cmocka_run_group_tests_name("integration: sanitised ingest",
                                       tests, NULL, NULL);
}
