/* Unit tests for curator/digest_render.h: the text and HTML bodies of a
 * digest.
 *
 * The text part of small documents is compared byte for byte. The HTML
 * part is searched for what must and must not be there, and parsed back
 * with libxml2's HTML parser to check its structure: no script, style,
 * event handler or non-http(s) URL anywhere, images only when the user
 * asked for them. Hostile fields: markup, quotes, CR/LF and other
 * controls, invalid UTF-8, javascript: and other schemes, very long
 * words, URLs and prose.
 */
#define _GNU_SOURCE     /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "digest_render.h"
#include "err.h"

/* The body of 'd', as a new string. */
static char *
render(const struct digest_doc *d, int html)
{
    struct buf b;

    buf_init(&b, 0);
    assert_int_equal(html ? digest_render_html(d, &b)
                          : digest_render_text(d, &b), CUR_OK);
    return buf_steal(&b);
}

/* Is 's' valid UTF-8 with no C0 control but LF, and no DEL or C1? */
static int
clean_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p, cp, n, min;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n') || c == 0x7F)
                return 0;
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 2, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 3, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        for (unsigned i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)
            || (cp >= 0x80 && cp <= 0x9F))
            return 0;
        p += n;
    }
    return 1;
}

/* The longest line, in bytes. */
static size_t
longest_line(const char *s)
{
    size_t best = 0;

    while (*s) {
        size_t n = strcspn(s, "\n");
        if (n > best)
            best = n;
        s += n + (s[n] == '\n');
    }
    return best;
}

/* The longest line holding no URL, in code points. */
static size_t
widest_prose(const char *s)
{
    size_t best = 0;

    while (*s) {
        size_t n = strcspn(s, "\n"), cols = 0;
        int url = 0;
        for (size_t i = 0; i < n; i++) {
            cols += ((unsigned char)s[i] & 0xC0) != 0x80;
            url |= i + 3 <= n && memcmp(s + i, "://", 3) == 0;
        }
        if (!url && cols > best)
            best = cols;
        s += n + (s[n] == '\n');
    }
    return best;
}

/* A copy of 's' with its line breaks as spaces: where the HTML source
 * lines break does not matter to a reader (free()). */
static char *
flat(const char *s)
{
    char *f = strdup(s);
    assert_non_null(f);
    for (char *p = f; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return f;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* What the HTML parser sees in the document. */
struct tree {
    int bad;            /* script, style, handler, odd URL... */
    int imgs, links, metas, titles;
    char why[200];
};

static void
walk(xmlNode *n, struct tree *t)
{
    static const char *const banned[] = {
        "script", "style", "iframe", "object", "embed", "form", "svg",
        "math", "base", "link", "frame", "video", "audio", NULL,
    };
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        for (int i = 0; banned[i]; i++)
            if (strcasecmp(name, banned[i]) == 0) {
                t->bad = 1;
                snprintf(t->why, sizeof t->why, "element %s", name);
            }
        t->imgs += strcmp(name, "img") == 0;
        t->links += strcmp(name, "a") == 0;
        t->metas += strcmp(name, "meta") == 0;
        t->titles += strcmp(name, "title") == 0;
        for (xmlAttr *a = n->properties; a; a = a->next) {
            const char *an = (const char *)a->name;
            xmlChar *v = xmlNodeGetContent((xmlNode *)a);
            const char *vs = v ? (const char *)v : "";
            if (strncasecmp(an, "on", 2) == 0) {
                t->bad = 1;
                snprintf(t->why, sizeof t->why, "handler %s", an);
            }
            if ((strcmp(an, "href") == 0 || strcmp(an, "src") == 0)
                && strncasecmp(vs, "http://", 7) != 0
                && strncasecmp(vs, "https://", 8) != 0) {
                t->bad = 1;
                snprintf(t->why, sizeof t->why, "%s=%.100s", an, vs);
            }
            if (strcmp(an, "style") == 0 && strstr(vs, "url(") != NULL) {
                t->bad = 1;
                snprintf(t->why, sizeof t->why, "style url()");
            }
            xmlFree(v);
        }
        walk(n->children, t);
    }
}

/* Parse 'html' and check it as a browser would see it. */
static struct tree
parse(const char *html)
{
    struct tree t = { 0 };
    htmlDocPtr doc = htmlReadMemory(html, (int)strlen(html), NULL, "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR
                                    | HTML_PARSE_NOWARNING);
    assert_non_null(doc);
    walk(xmlDocGetRootElement(doc), &t);
    xmlFreeDoc(doc);
    if (t.bad)
        print_error("html: %s\n", t.why);
    return t;
}

/* ------------------------------------------------------------------ */

static const struct digest_entry picks[] = { {
    .item_id = 1,
    .title = "Coaching conversations that change behaviour in teams of "
             "every size and shape",
    .link = "https://example.org/coaching?a=1&b=2",
    .feed = "HBR Ideas",
    .reason = "title matches \"coaching\" (goal: Leadership)",
    .also_in = "Feed A, Feed B",
    .gem_editor = "alice",
    .gem_note = "Read this before\r\nMonday's one-to-ones.",
    .snippet_text = "Most managers think they coach.\n\nFew do.",
    .snippet_html = "<p>Not shown in the text part.</p>",
    .up_url = "https://c.example/fb?i=1&v=1",
    .down_url = "https://c.example/fb?i=1&v=-1",
    .score = 3.5,
} };

static const struct digest_entry goal[] = { {
    .item_id = 2,
    .title = "  Ten\tquestions \x01to ask  ",
    .link = "javascript:alert(1)",
    .feed = "Blog",
}, {
    .item_id = 3,
    .title = "",
    .link = "HTTPS://Example.org/Up",
    .feed = "Notes",
    .snippet_html = "<p>Only <b>HTML</b> &amp; no text.</p>"
                    "<script>alert(1)</script>",
} };

static const struct digest_section two_sections[] = {
    { "Editor picks", picks, 1 },
    { "Goal: Leadership", goal, 2 },
};

static struct digest_doc
two_section_doc(void)
{
    struct digest_doc d = {
        .user_name = "Ann",
        .title = "Your Curator digest for Sunday 29 November 2026",
        .sections = two_sections,
        .n_sections = 2,
        .n_below_threshold = 12,
        .n_over_cap = 1,
        .web_url = "https://c.example/",
        .settings_url = "https://c.example/settings",
        .unsubscribe_url = "https://c.example/unsub?t=x",
        .feed_url = "https://c.example/feed/x",
    };
    return d;
}

static void
test_text_exact(void **state)
{
    (void)state;
    struct digest_doc d = two_section_doc();
    char *text = render(&d, 0);

    assert_string_equal(text,
        "Your Curator digest for Sunday 29 November 2026\n"
        "===============================================\n"
        "\n"
        "Hello Ann,\n"
        "\n"
        "Editor picks\n"
        "------------\n"
        "\n"
        "1. Coaching conversations that change behaviour in teams of "
        "every size\n"
        "   and shape\n"
        "   Feed: HBR Ideas\n"
        "   Why: title matches \"coaching\" (goal: Leadership)\n"
        "   Also in: Feed A, Feed B\n"
        "   Editor's pick by alice: \"Read this before Monday's "
        "one-to-ones.\"\n"
        "   Most managers think they coach. Few do.\n"
        "   https://example.org/coaching?a=1&b=2\n"
        "   More like this: https://c.example/fb?i=1&v=1\n"
        "   Less like this: https://c.example/fb?i=1&v=-1\n"
        "\n"
        "Goal: Leadership\n"
        "----------------\n"
        "\n"
        "1. Ten questions to ask\n"
        "   Feed: Blog\n"
        "\n"
        "2. (untitled)\n"
        "   Feed: Notes\n"
        "   Only HTML & no text.\n"
        "   HTTPS://Example.org/Up\n"
        "\n"
        "12 more items scored below your threshold.\n"
        "1 more item did not fit in this digest.\n"
        "\n"
        "Read it on the web: https://c.example/\n"
        "Your private feed: https://c.example/feed/x\n"
        "Digest settings: https://c.example/settings\n"
        "Unsubscribe: https://c.example/unsub?t=x\n");
    free(text);
}

static void
test_html_document(void **state)
{
    (void)state;
    struct digest_doc d = two_section_doc();
    char *html = render(&d, 1), *f = flat(html);
    struct tree t = parse(html);

    assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
    assert_non_null(strstr(html, "<meta charset=\"utf-8\">"));
    assert_non_null(strstr(html, "<meta name=\"viewport\" "
                                 "content=\"width=device-width, "
                                 "initial-scale=1\">"));
    assert_non_null(strstr(html, "max-width:640px"));
    assert_non_null(strstr(html, "font-size:16px"));
    assert_null(strstr(html, "<style"));
    assert_false(t.bad);
    assert_int_equal(t.titles, 1);
    assert_int_equal(t.imgs, 0);
    /* The two item links, two buttons and four footer links. */
    assert_int_equal(t.links, 8);
    assert_non_null(strstr(f, " href=\"https://example.org/coaching?"
                              "a=1&amp;b=2\">Coaching conversations that "
                              "change behaviour in teams of every size and "
                              "shape</a></div>"));
    assert_non_null(strstr(f, " href=\"HTTPS://Example.org/Up\">"
                              "(untitled)</a>"));
    assert_non_null(strstr(f, ">Ten questions to ask</div>"));
    /* Feed, reason and "also in": one muted block, a line each. */
    assert_non_null(strstr(f, "\"margin:2px 0 0;font-size:14px;"
                              "color:#57606a\">HBR Ideas<br> Why: title "
                              "matches &quot;coaching&quot; (goal: "
                              "Leadership)<br> Also in: Feed A, Feed B"
                              "</div>"));
    assert_non_null(strstr(f, "color:#57606a\">Blog</div>"));
    assert_non_null(strstr(f, "><strong>Editor's pick by alice:</strong> "
                              "Read this before Monday&#39;s one-to-ones."
                              "</div>"));
    assert_non_null(strstr(f, ">Not shown in the text part.</div>"));
    assert_non_null(strstr(f, ">Only HTML &amp; no text.</div>"));
    assert_non_null(strstr(f, ">12 more items scored below your "
                              "threshold.<br> 1 more item did not fit in "
                              "this digest.</p>"));
    assert_non_null(strstr(f, " href=\"https://c.example/unsub?t=x\">"
                              "Unsubscribe</a>"));
    assert_non_null(strstr(f, ">Hello Ann,</p>"));
    assert_non_null(strstr(f, ">Editor picks</h2>"));
    assert_non_null(strstr(f, ">Goal: Leadership</h2>"));
    assert_non_null(strstr(f, "<title>Your Curator digest for Sunday 29 "
                              "November 2026</title>"));
    /* The snippet came from snippet_html, and not its script. */
    assert_null(strstr(html, "Most managers"));
    assert_null(strstr(html, "alert"));
    assert_true(clean_utf8(html));
    assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
    assert_int_equal(html[strlen(html) - 1], '\n');
    free(html);
    free(f);
}

static void
test_hostile_title(void **state)
{
    (void)state;
    const char *evil = "<script>alert(1)</script> & \"quotes\" 'single'";
    struct digest_entry e = {
        .title = evil, .link = "https://example.org/a", .feed = evil,
        .reason = evil, .also_in = evil, .gem_editor = evil,
        .gem_note = evil, .snippet_text = evil,
        .up_url = "https://c.example/up",
    };
    struct digest_section s = { evil, &e, 1 };
    struct digest_doc d = { .user_name = evil, .title = evil,
                            .sections = &s, .n_sections = 1 };
    char *html = render(&d, 1), *f = flat(html);
    struct tree t = parse(html);

    assert_false(t.bad);
    for (const char *p = html; (p = strchr(p, '<')) != NULL; p++)
        assert_true(strncasecmp(p, "<script", 7) != 0);
    assert_null(strstr(html, "alert(1)</"));
    assert_null(strstr(html, "\"quotes\""));
    /* Escaped in all 11 places: <title>, h1, name, heading, title,
     * feed, reason, also in, editor, note, snippet. */
    assert_int_equal(count(f, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
                              "&quot;quotes&quot; &#39;single&#39;"), 11);
    assert_non_null(strstr(f, "<title>&lt;script&gt;alert(1)&lt;/script"
                              "&gt; &amp; &quot;quotes&quot; &#39;single"
                              "&#39;</title>"));
    free(html);
    free(f);

    /* The text part is plain text: the same characters, as they are. */
    char *text = render(&d, 0);
    assert_non_null(strstr(text, "1. <script>alert(1)</script> & \"quotes\" "
                                 "'single'\n"));
    free(text);
}

static void
test_bad_links_dropped(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "javascript:alert(1)", "JavaScript:alert(1)", " javascript:x",
        "java\tscript:x", "vbscript:x", "data:text/html,<script>x</script>",
        "//evil.example/x", "/relative", "http:/x", "https://",
        "http:///path", "https://a.example/x y", "https://a.example/\r\nx",
        "https://a.example/\x7f", "https://a.example/\xc2\x85",
        "https://a.example/\xff", "ftp://a.example/", "mailto:a@b.example",
        "file:///etc/passwd", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct digest_entry e = {
            .title = "T", .link = bad[i], .feed = "F",
            .up_url = bad[i], .down_url = bad[i],
        };
        struct digest_section s = { "S", &e, 1 };
        struct digest_doc d = {
            .title = "D", .sections = &s, .n_sections = 1,
            .web_url = bad[i], .settings_url = bad[i],
            .unsubscribe_url = bad[i], .feed_url = bad[i],
        };
        char *html = render(&d, 1), *text = render(&d, 0);
        struct tree t = parse(html);
        assert_false(t.bad);
        assert_int_equal(t.links, 0);
        assert_null(strstr(html, "href"));
        assert_null(strcasestr(html, "script:"));
        assert_null(strstr(html, "More like this"));
        assert_null(strcasestr(text, "script:"));
        assert_null(strstr(text, "://"));
        assert_null(strstr(text, "More like this"));
        assert_null(strstr(text, "Unsubscribe"));
        assert_true(clean_utf8(text));
        free(html);
        free(text);
    }

    /* The scheme is checked without regard to case. */
    struct digest_entry e = { .title = "T", .link = "hTTp://a.example/" };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    char *html = render(&d, 1);
    assert_non_null(strstr(html, "href=\"hTTp://a.example/\">T</a>"));
    free(html);
}

static void
test_note_controls(void **state)
{
    (void)state;
    struct digest_entry e = {
        .title = "Title\r\nBcc: victim@example.org",
        .feed = "Feed\rX",
        .gem_editor = "bob\n",
        .gem_note = "first\r\nsecond\rthird\nfourth\x01\x1b[31mred\x7f"
                    "\xc2\x85next\xe2\x80\xa8last\t\v\f end",
    };
    struct digest_section s = { "Editor picks", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    char *text = render(&d, 0), *html = render(&d, 1), *f = flat(html);

    assert_non_null(strstr(text,
        "1. Title Bcc: victim@example.org\n"
        "   Feed: Feed X\n"
        "   Editor's pick by bob: \"first second third fourth[31mred "
        "next last\n"
        "   end\"\n"));
    assert_non_null(strstr(f,
        "<strong>Editor's pick by bob:</strong> first second third fourth"
        "[31mred next last end</div>"));
    assert_non_null(strstr(f, ">Title Bcc: victim@example.org</div>"));
    free(f);
    assert_null(strchr(text, '\r'));
    assert_null(strchr(html, '\r'));
    assert_true(clean_utf8(text));
    assert_true(clean_utf8(html));
    free(text);
    free(html);

    /* A note alone, an editor alone, and both cleaned to nothing. */
    struct digest_entry only[] = {
        { .title = "A", .gem_note = "note" },
        { .title = "B", .gem_editor = "carol" },
        { .title = "C", .gem_editor = "\r\n", .gem_note = " \x01 " },
    };
    struct digest_section s2 = { "S", only, 3 };
    d.sections = &s2;
    text = render(&d, 0);
    assert_non_null(strstr(text, "1. A\n   Editor's pick: \"note\"\n\n"));
    assert_non_null(strstr(text, "2. B\n   Editor's pick by carol\n\n"));
    assert_non_null(strstr(text, "3. C\n\n"));
    html = render(&d, 1);
    assert_non_null(strstr(html, "<strong>Editor's pick:</strong> note"));
    assert_non_null(strstr(html, "<strong>Editor's pick by carol</strong>"));
    assert_int_equal(count(html, "Editor's pick"), 2);
    free(text);
    free(html);
}

static void
test_feedback_links(void **state)
{
    (void)state;
    struct digest_entry e[] = {
        { .title = "Both", .up_url = "https://c.example/u1",
          .down_url = "https://c.example/d1" },
        { .title = "None" },
        { .title = "Up only", .up_url = "https://c.example/u3" },
    };
    struct digest_section s = { "S", e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };

    char *html = render(&d, 1), *text = render(&d, 0);
    assert_non_null(strstr(html, "href=\"https://c.example/u1\">"
                                 "\xf0\x9f\x91\x8d More like this</a>"));
    assert_non_null(strstr(html, "href=\"https://c.example/d1\">"
                                 "\xf0\x9f\x91\x8e Less like this</a>"));
    assert_non_null(strstr(text, "   More like this: https://c.example/u1\n"
                                 "   Less like this: https://c.example/d1\n"));
    free(html);
    free(text);

    s.entries = &e[1];
    html = render(&d, 1);
    text = render(&d, 0);
    assert_null(strstr(html, "like this"));
    assert_null(strstr(html, "\xf0\x9f\x91"));
    assert_null(strstr(text, "like this"));
    free(html);
    free(text);

    s.entries = &e[2];
    html = render(&d, 1);
    text = render(&d, 0);
    assert_int_equal(count(html, "More like this"), 1);
    assert_null(strstr(html, "Less like this"));
    assert_non_null(strstr(text, "   More like this: https://c.example/u3\n"));
    assert_null(strstr(text, "Less like this"));
    free(html);
    free(text);
}

static void
test_empty_doc(void **state)
{
    (void)state;
    struct digest_doc d = { .unsubscribe_url = "https://c.example/u" };
    char *text = render(&d, 0), *html = render(&d, 1);

    assert_string_equal(text,
        "Your Curator digest\n"
        "===================\n"
        "\n"
        "Nothing new above your threshold today.\n"
        "\n"
        "Unsubscribe: https://c.example/u\n");
    assert_non_null(strstr(html, ">Nothing new above your threshold "
                                 "today.</p>"));
    assert_non_null(strstr(html, "<title>Your Curator digest</title>"));
    assert_false(parse(html).bad);
    free(text);
    free(html);

    /* A title and name with nothing printable are as good as none. */
    d.title = "\x01 \r\n";
    d.user_name = "\t\x7f";
    text = render(&d, 0);
    html = render(&d, 1);
    assert_int_equal(strncmp(text, "Your Curator digest\n=========", 29), 0);
    assert_null(strstr(text, "Hello"));
    assert_non_null(strstr(html, "<title>Your Curator digest</title>"));
    assert_null(strstr(html, "Hello"));
    free(text);
    free(html);
    d.title = NULL;
    d.user_name = NULL;

    /* Sections without entries are no entries, and are not shown. */
    struct digest_section empty[] = { { "Editor picks", NULL, 0 },
                                      { "More for you", NULL, 0 } };
    d.sections = empty;
    d.n_sections = 2;
    d.n_below_threshold = 3;
    text = render(&d, 0);
    html = render(&d, 1);
    assert_string_equal(text,
        "Your Curator digest\n"
        "===================\n"
        "\n"
        "Nothing new above your threshold today.\n"
        "\n"
        "3 more items scored below your threshold.\n"
        "\n"
        "Unsubscribe: https://c.example/u\n");
    assert_null(strstr(html, "Editor picks"));
    assert_non_null(strstr(html, "Nothing new above your threshold"));
    free(text);
    free(html);
}

static void
test_long_url_not_wrapped(void **state)
{
    (void)state;
    char url[700];
    memcpy(url, "https://example.org/", 20);
    for (size_t i = 20; i < sizeof url - 1; i++)
        url[i] = (char)('a' + i % 26);
    url[sizeof url - 1] = '\0';
    struct digest_entry e = { .title = "T", .link = url, .up_url = url };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1,
                            .web_url = url };
    char *text = render(&d, 0), *html = render(&d, 1);
    char line[800];

    snprintf(line, sizeof line, "\n   %s\n", url);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "\n   More like this: %s\n", url);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "\nRead it on the web: %s\n", url);
    assert_non_null(strstr(text, line));
    snprintf(line, sizeof line, "href=\"%s\">", url);
    assert_int_equal(count(html, line), 3);
    assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
    free(text);
    free(html);
}

static void
test_url_limits(void **state)
{
    (void)state;
    /* 500 '&': fine in text, over DIGEST_RENDER_HREF_MAX escaped. */
    char amp[600], huge[DIGEST_RENDER_URL_MAX + 10];
    memcpy(amp, "https://a.example/?", 19);
    memset(amp + 19, '&', 500);
    amp[519] = '\0';
    memcpy(huge, "https://b.example/", 18);
    memset(huge + 18, 'x', sizeof huge - 19);
    huge[sizeof huge - 1] = '\0';
    struct digest_entry e[] = { { .title = "Amp", .link = amp },
                                { .title = "Huge", .link = huge } };
    struct digest_section s = { "S", e, 2 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    char *text = render(&d, 0), *html = render(&d, 1);

    assert_non_null(strstr(text, amp));
    assert_null(strstr(text, "https://b.example"));
    assert_null(strstr(html, "href"));
    assert_non_null(strstr(html, ">Amp</div>"));
    assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
    free(text);
    free(html);
}

static void
test_long_prose_wrapped(void **state)
{
    (void)state;
    char prose[3000] = "";
    while (strlen(prose) < 2500)
        strcat(prose, "Reflective practice helps na\xc3\xafve teams learn "
                      "faster than they would alone; ");
    struct digest_entry e = {
        .title = prose, .feed = prose, .reason = prose, .also_in = prose,
        .gem_editor = "alice", .gem_note = prose, .snippet_text = prose,
        .link = "https://example.org/x",
    };
    struct digest_section s = { prose, &e, 1 };
    struct digest_doc d = { .title = prose, .user_name = prose,
                            .sections = &s, .n_sections = 1 };
    char *text = render(&d, 0), *html = render(&d, 1);

    assert_true(widest_prose(text) <= 76);
    assert_true(widest_prose(text) >= 60);
    /* Continuation lines are indented under the title. */
    assert_non_null(strstr(text, "1. Reflective practice helps na\xc3\xafve "
                                 "teams learn faster than they would\n"
                                 "   alone; Reflective"));
    /* Capped fields end in "...". */
    assert_non_null(strstr(text, "...\n"));
    assert_true(strlen(text) < 12000);
    assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
    assert_true(longest_line(html) >= 200);
    assert_true(clean_utf8(text));
    assert_true(clean_utf8(html));
    free(text);
    free(html);

    /* One enormous word: alone on its line in text, broken inside a tag
     * in HTML, where the characters are the same once parsed. */
    char word[3001];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    e = (struct digest_entry){ .title = word, .gem_note = word };
    d.title = word;
    d.user_name = NULL;
    s.heading = "S";
    text = render(&d, 0);
    html = render(&d, 1);
    assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
    assert_non_null(strstr(html, "<wbr\n>"));
    assert_false(parse(html).bad);
    assert_true(clean_utf8(text));
    free(text);
    free(html);
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    const char *bad = "a\xff" "b\xc3\x28" "c\xc0\xaf" "d\xed\xa0\x80"
                      "e\xf4\x90\x80\x80" "f\xe2\x82";
    struct digest_entry e = {
        .title = bad, .feed = bad, .reason = bad, .gem_note = bad,
        .snippet_text = bad, .snippet_html = bad,
    };
    struct digest_section s = { bad, &e, 1 };
    struct digest_doc d = { .title = bad, .user_name = bad, .sections = &s,
                            .n_sections = 1 };
    char *text = render(&d, 0), *html = render(&d, 1);

    assert_true(clean_utf8(text));
    assert_true(clean_utf8(html));
    assert_non_null(strstr(text, "1. a\xef\xbf\xbd" "b\xef\xbf\xbd(c"));
    assert_non_null(strstr(html, "a\xef\xbf\xbd" "b\xef\xbf\xbd(c"));
    free(text);
    free(html);

    d.remote_images = 1;
    html = render(&d, 1);
    assert_true(clean_utf8(html));
    free(html);
}

static const char img_html[] =
    "<p>Before <img src=\"https://img.example/pic.png\" alt=\"pic\" "
    "width=\"1200\"> after "
    "<img src=\"https://tracker.example/pixel.gif\" alt=\"\"></p>"
    "<p>More text with <a href=\"https://example.org/l\">a link</a>.</p>";

static void
test_images_only_when_asked(void **state)
{
    (void)state;
    struct digest_entry e = { .title = "T", .snippet_html = img_html };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1,
                            .tracking_hosts = "tracker.example" };
    char *html = render(&d, 1);
    struct tree t = parse(html);

    assert_false(t.bad);
    assert_int_equal(t.imgs, 0);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "img.example"));
    char *f = flat(html);
    assert_non_null(strstr(f, ">Before after More text with a link."
                              "</div>"));
    free(f);
    free(html);

    d.remote_images = 1;
    html = render(&d, 1);
    t = parse(html);
    assert_false(t.bad);
    assert_int_equal(t.imgs, 1);
    assert_non_null(strstr(html, "src=\"https://img.example/pic.png\""));
    assert_non_null(strstr(html, "style=\"max-width:100%;height:auto;\""));
    assert_null(strstr(html, "tracker.example"));
    assert_non_null(strstr(html, "rel=\"noopener noreferrer nofollow\""));
    free(html);

    /* The text part never has markup. */
    char *text = render(&d, 0);
    assert_non_null(strstr(text, "   Before after More text with a "
                                 "link.\n"));
    free(text);
}

static void
test_snippet_cut(void **state)
{
    (void)state;
    static char html[40000], text[40000];
    html[0] = text[0] = '\0';
    while (strlen(html) < 30000) {
        strcat(html, "<p>Some <b>bold</b> words &amp; more words in a "
                     "paragraph.</p><script>alert(1)</script>");
        strcat(text, "Some plain words in a paragraph. ");
    }
    struct digest_entry e = { .title = "T", .snippet_html = html,
                              .snippet_text = text };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    char *out = render(&d, 0);

    /* The text snippet: about 300 bytes of the plain text, cut on a
     * word, then "...". */
    const char *p = strstr(out, "   Some plain words");
    assert_non_null(p);
    const char *end = strstr(p, "...\n");
    assert_non_null(end);
    assert_true(end - p > 250 && end - p < 340);
    assert_true(end[-1] != ' ');
    free(out);

    out = render(&d, 1);
    char *f = flat(out);
    p = strstr(f, ">Some bold words &amp; more");
    assert_non_null(p);
    end = strstr(p, "...</div>");
    assert_non_null(end);
    assert_true(end - p > 500 && end - p < 720);
    assert_null(strstr(out, "alert"));
    free(out);
    free(f);

    d.remote_images = 1;
    out = render(&d, 1);
    struct tree t = parse(out);
    assert_false(t.bad);
    p = strstr(out, "<p>Some <b>bold</b>");
    assert_non_null(p);
    end = strstr(p, "...</p>");
    assert_non_null(end);
    assert_true(end - p > 600 && end - p < 1400);
    assert_null(strstr(out, "alert"));
    assert_true(longest_line(out) <= DIGEST_RENDER_LINE_MAX);
    free(out);
}

/* An image whose URL alone would overflow a line: the plain snippet is
 * shown instead of the HTML one. */
static void
test_unbreakable_snippet(void **state)
{
    (void)state;
    static char html[2000];
    char src[1100];
    memcpy(src, "https://img.example/", 20);
    memset(src + 20, 'p', 1000);
    src[1020] = '\0';
    snprintf(html, sizeof html, "<p>Words <img src=\"%s\"> more.</p>", src);
    struct digest_entry e = { .title = "T", .snippet_html = html };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1,
                            .remote_images = 1 };
    char *out = render(&d, 1);

    assert_null(strstr(out, "<img"));
    assert_non_null(strstr(out, ">Words more.</div>"));
    assert_true(longest_line(out) <= DIGEST_RENDER_LINE_MAX);
    free(out);

    /* A long link after a line of text: the tag breaks before it. */
    char url[760];
    memcpy(url, "https://l.example/", 18);
    memset(url + 18, 'q', 700);
    url[718] = '\0';
    snprintf(html, sizeof html, "<p>A line of seventy-odd bytes of text "
             "to start with, and then: <a href=\"%s\">the link</a>.</p>",
             url);
    out = render(&d, 1);
    char *f = flat(out);
    assert_non_null(strstr(f, "then: <a href=\"https://l.example/qqq"));
    assert_non_null(strstr(f, "\" rel=\"noopener noreferrer nofollow\">the "
                              "link</a>.</p>"));
    assert_true(longest_line(out) <= DIGEST_RENDER_LINE_MAX);
    free(out);
    free(f);
}

/* Random mixes of hostile pieces in every field: the invariants hold. */
static void
test_random(void **state)
{
    (void)state;
    static const char *const bits[] = {
        "<script>", "</script>", "alert(1)", "&", "\"", "'", "<", ">",
        "<img src=\"https://i.example/a.png\" onerror=\"alert(1)\">",
        "<img src=x>", "javascript:", "JaVaScRiPt:", "\r\n", "\r", "\n",
        "\x01", "\x1b", "\x7f", "\xff", "\xc3", "\xe2\x82", "\xe2\x80\xa8",
        "\xc2\x85", "\xc3\xa9", "\xf0\x9f\x91\x8d", "word ", "  ", "\t",
        "https://", "<a href=\"javascript:x\">", "<a href=\"https://l.example/"
        "\">", "</a>", "<p>", "</p>", "&amp;", "&#x3c;", "&#0;", "&lt;",
        "<pre>", "</pre>", "<wbr>", "<!--", "-->", "<style>", "</style>",
        "<svg onload=alert(1)>", "<b>", "</b>", "\xef\xbf\xbe", "...",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    static const char *const urls[] = {
        "https://ok.example/a?b=c&d=\"e\"", "javascript:alert(1)",
        "http://ok.example/<x>", "HTTPS://OK.EXAMPLE/'", NULL, "",
        "data:text/html,x", "https://ok.example/\x01",
    };
    enum { N_BITS = sizeof bits / sizeof *bits,
           N_URLS = sizeof urls / sizeof *urls, FIELDS = 11, LEN = 400 };
    static char f[FIELDS][LEN * 2];
    unsigned seed = 12345;

    for (int round = 0; round < 300; round++) {
        for (int k = 0; k < FIELDS; k++) {
            f[k][0] = '\0';
            size_t n = 0;
            while (n < LEN) {
                seed = seed * 1103515245u + 12345u;
                const char *b = bits[(seed >> 8) % N_BITS];
                size_t bl = strlen(b);
                memcpy(f[k] + n, b, bl + 1);
                n += bl;
                if ((seed >> 20) % 7 == 0)
                    break;
            }
        }
        seed = seed * 1103515245u + 12345u;
        struct digest_entry e[2] = { {
            .title = f[0], .feed = f[1], .reason = f[2], .also_in = f[3],
            .gem_editor = f[4], .gem_note = f[5], .snippet_html = f[6],
            .snippet_text = f[7], .link = urls[(seed >> 4) % N_URLS],
            .up_url = urls[(seed >> 8) % N_URLS],
            .down_url = urls[(seed >> 12) % N_URLS],
        }, { .title = f[8], .snippet_html = f[9] } };
        struct digest_section s = { f[10], e, 2 };
        struct digest_doc d = {
            .title = f[8], .user_name = f[9], .sections = &s,
            .n_sections = 1, .remote_images = (seed >> 16) & 1,
            .web_url = urls[(seed >> 20) % N_URLS],
            .unsubscribe_url = urls[(seed >> 24) % N_URLS],
        };
        char *text = render(&d, 0), *html = render(&d, 1);
        struct tree t = parse(html);
        assert_false(t.bad);
        assert_true(clean_utf8(text));
        assert_true(clean_utf8(html));
        assert_true(longest_line(html) <= DIGEST_RENDER_LINE_MAX);
        for (const char *p = html; (p = strchr(p, '<')) != NULL; p++) {
            assert_true(strncasecmp(p, "<script", 7) != 0);
            assert_true(strncasecmp(p, "<svg", 4) != 0);
            assert_true(d.remote_images || strncasecmp(p, "<img", 4) != 0);
        }
        /* (Feed text may say "javascript:"; parse() checked the URLs.) */
        assert_null(strcasestr(html, "href=\"javascript"));
        assert_null(strcasestr(html, "src=\"javascript"));
        free(text);
        free(html);
    }
}

static void
test_appends_and_cap(void **state)
{
    (void)state;
    struct digest_doc d = two_section_doc();
    struct buf b;
    char *alone = render(&d, 0);

    buf_init(&b, 0);
    assert_int_equal(buf_puts(&b, "before\n"), CUR_OK);
    assert_int_equal(digest_render_text(&d, &b), CUR_OK);
    assert_int_equal(strncmp(b.data, "before\n", 7), 0);
    assert_string_equal(b.data + 7, alone);
    buf_free(&b);
    free(alone);

    /* Over the buffer's cap: an error, and the buffer is freed. */
    buf_init(&b, 200);
    assert_int_equal(digest_render_text(&d, &b), CUR_ETOOBIG);
    assert_null(b.data);
    buf_init(&b, 500);
    assert_int_equal(digest_render_html(&d, &b), CUR_ETOOBIG);
    assert_null(b.data);
    buf_init(&b, 0);
    assert_int_equal(digest_render_html(NULL, &b), CUR_EINVAL);
}

/* Snippets kept in a cache read exactly as rendered afresh, for both
 * parts and both indents (items 1-9 and 10 up); a changed text under
 * the same item id is rendered again, never taken from the cache; items
 * with HTML or without an id are not kept. */
static void
test_snippet_cache(void **state)
{
    (void)state;
    struct digest_entry e[12];
    char texts[12][64];
    struct digest_section s = { "Goal: X", e, 12 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    struct digest_render_cache *c = digest_render_cache_new();
    char *plain[2], *cached[2];

    assert_non_null(c);
    memset(e, 0, sizeof e);
    for (int i = 0; i < 12; i++) {
        snprintf(texts[i], sizeof texts[i], "Snippet <%d> & more words to "
                 "wrap %d", i, i % 3);
        e[i].item_id = 100 + i % 6;     /* ids repeat: 10 and up too */
        e[i].title = "T";
        e[i].snippet_text = texts[i % 6];
    }
    e[11].item_id = 0;
    e[10].snippet_html = "<p>rich</p>";
    for (int html = 0; html < 2; html++)
        plain[html] = render(&d, html);
    d.cache = c;
    for (int round = 0; round < 3; round++)
        for (int html = 0; html < 2; html++) {
            cached[html] = render(&d, html);
            assert_string_equal(cached[html], plain[html]);
            free(cached[html]);
        }

    /* Item 100's text changes: the new one shows, in both parts. */
    snprintf(texts[0], sizeof texts[0], "A different snippet");
    for (int html = 0; html < 2; html++) {
        d.cache = NULL;
        free(plain[html]);
        plain[html] = render(&d, html);
        d.cache = c;
        cached[html] = render(&d, html);
        assert_string_equal(cached[html], plain[html]);
        assert_non_null(strstr(cached[html], "A different snippet"));
        assert_null(strstr(cached[html], "Snippet &lt;0&gt;"));
        assert_null(strstr(cached[html], "Snippet <0>"));
        free(cached[html]);
        free(plain[html]);
    }
    digest_render_cache_free(c);
    digest_render_cache_free(NULL);
}

/* White space folding and the cap, exactly: single spaces between words
 * are copied with them, other runs fold to one space, and a title over
 * its 400 bytes is cut on the last space before byte 397. */
static void
test_spaces_and_cut(void **state)
{
    (void)state;
    struct digest_entry e = { .title = " a  b\tc d\r\n e  f g\xc2\x85h ",
                              .link = "https://example.org/x" };
    struct digest_section s = { "S", &e, 1 };
    struct digest_doc d = { .title = "D", .sections = &s, .n_sections = 1 };
    char *out = render(&d, 0);
    assert_non_null(strstr(out, "1. a b c d e f g h\n"));
    free(out);

    char title[700] = "", want[700] = "";
    for (int i = 0; i < 150; i++)
        strcat(title, "abc ");
    for (int i = 0; i < 99; i++)
        strcat(want, i ? " abc" : ">abc");
    strcat(want, "...<");
    e.title = title;
    out = render(&d, 1);
    char *f = flat(out);
    assert_non_null(strstr(f, want));
    free(out);
    free(f);

    /* A space at the very end of the cap: the cut drops it. */
    memset(title, 'x', 396);
    strcpy(title + 396, " yyyyyyyyyy");
    out = render(&d, 1);
    f = flat(out);
    memset(want, 'x', 396);
    strcpy(want + 396, "...<");
    assert_non_null(strstr(f, want));
    free(out);
    free(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_exact),
        cmocka_unit_test(test_html_document),
        cmocka_unit_test(test_hostile_title),
        cmocka_unit_test(test_bad_links_dropped),
        cmocka_unit_test(test_note_controls),
        cmocka_unit_test(test_feedback_links),
        cmocka_unit_test(test_empty_doc),
        cmocka_unit_test(test_long_url_not_wrapped),
        cmocka_unit_test(test_url_limits),
        cmocka_unit_test(test_long_prose_wrapped),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_images_only_when_asked),
        cmocka_unit_test(test_snippet_cut),
        cmocka_unit_test(test_unbreakable_snippet),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_appends_and_cap),
        cmocka_unit_test(test_snippet_cache),
        cmocka_unit_test(test_spaces_and_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
