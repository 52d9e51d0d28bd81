/* Unit tests for curator/mime.h: composing digest messages.
 *
 * Small messages are compared byte for byte; the rest are read back by
 * the independent checker (tests/support/mime_check.c), which decodes
 * the subject, names and parts for comparison with what went in, and by
 * Python's email package (tests/unit/test_mime_python.py) as a real
 * mail reader would. Hostile inputs (SECURITY.md MAIL-1, MAIL-2): header
 * injection through CR, LF, NEL, U+2028 and encoded-words, invalid
 * UTF-8, boundary-like text, leading dots and "From ", very long words
 * and multi-byte characters at fold points, bad addresses and URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "mime.h"
#include "mime_check.h"
#include "support.h"

/* 2026-11-30T00:53:20Z */
#define T0 1796000000LL

static struct mime_message
base_message(void)
{
    struct mime_message m = {
        .from = { "Curator", "digest@example.org" },
        .to = { "Ann Reader", "ann@example.org" },
        .subject = "Your weekly digest: 12 items",
        .date = T0,
        .message_id = "digest.42.2026-11-29@example.org",
        .list_id = "Curator digest <digest.example.org>",
        .unsubscribe_url = "https://example.org/u/abc",
        .unsubscribe_mailto = "mailto:unsubscribe@example.org?subject=abc",
        .text = "Hello Ann,\n\nHere are your items.\n",
        .html = NULL,
    };
    return m;
}

/* Compose 'm' into *out (initialised here) or fail the test. */
static void
compose(const struct mime_message *m, struct buf *out)
{
    const char *why = "unset";
    buf_init(out, 0);
    int rc = mime_compose(m, out, &why);
    if (rc != CUR_OK)
        fail_msg("mime_compose: %s (%s)", cur_strerror(rc),
                 why ? why : "?");
    assert_null(why);
    assert_non_null(out->data);
    assert_int_equal(strlen(out->data), out->len);
}

/* Check 'out' with the independent reader, or fail showing why. */
static void
check(const struct buf *out, struct mime_check *r)
{
    char why[512];
    if (mime_check(out->data, out->len, r, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", out->data);
        fail_msg("mime_check: %s", why);
    }
}

/* Compose, check, and compare every decoded field with the normalised
 * inputs. */
static void
round_trip(const struct mime_message *m, struct buf *out,
           struct mime_check *r)
{
    compose(m, out);
    check(out, r);

    char *want = mime_check_norm_header(m->subject);
    assert_string_equal(r->subject, want);
    free(want);
    want = mime_check_norm_header(m->from.name);
    assert_string_equal(r->from_name, want);
    free(want);
    want = mime_check_norm_header(m->to.name);
    assert_string_equal(r->to_name, want);
    free(want);
    assert_string_equal(r->from_email, m->from.email);
    assert_string_equal(r->to_email, m->to.email);
    assert_string_equal(r->message_id, m->message_id);
    assert_int_equal(r->date, m->date);

    size_t len;
    want = mime_check_norm_body(m->text, &len);
    assert_int_equal(r->text_len, len);
    assert_memory_equal(r->text, want, len);
    free(want);
    if (m->html != NULL && m->html[0] != '\0') {
        want = mime_check_norm_body(m->html, &len);
        assert_non_null(r->html);
        assert_int_equal(r->html_len, len);
        assert_memory_equal(r->html, want, len);
        free(want);
    } else {
        assert_null(r->html);
        assert_null(r->boundary);
    }
}

/* Longest line of the message, without its CRLF. */
static size_t
longest_line(const char *s)
{
    size_t best = 0;
    for (const char *p = s; *p;) {
        const char *e = strstr(p, "\r\n");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n > best)
            best = n;
        p += n + (e ? 2 : 0);
    }
    return best;
}

/* Longest line of the header block. */
static size_t
longest_header_line(const char *s)
{
    const char *end = strstr(s, "\r\n\r\n");
    char *head = strndup(s, (size_t)(end - s) + 2);
    size_t n = longest_line(head);
    free(head);
    return n;
}

/* Does a line of 's' start with 'prefix'? */
static int
has_line(const char *s, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) == 0)
        return 1;
    for (const char *p = strstr(s, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (strncmp(p + 2, prefix, pl) == 0)
            return 1;
    return 0;
}

static void
test_ascii_exact(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct buf out;

    compose(&m, &out);
    assert_string_equal(out.data,
        "Date: Mon, 30 Nov 2026 00:53:20 +0000\r\n"
        "From: Curator <digest@example.org>\r\n"
        "To: Ann Reader <ann@example.org>\r\n"
        "Subject: Your weekly digest: 12 items\r\n"
        "Message-ID: <digest.42.2026-11-29@example.org>\r\n"
        "List-Id: Curator digest <digest.example.org>\r\n"
        "List-Unsubscribe: <https://example.org/u/abc>,\r\n"
        " <mailto:unsubscribe@example.org?subject=abc>\r\n"
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "Precedence: bulk\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Hello Ann,\r\n"
        "\r\n"
        "Here are your items.\r\n");
    buf_free(&out);
}

static void
test_multipart_exact(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, want;

    m.list_id = NULL;
    m.unsubscribe_url = NULL;
    m.unsubscribe_mailto = NULL;
    m.text = "Hi";
    m.html = "<p>Hi</p>\n";
    round_trip(&m, &out, &r);
    /* "=_" and 128 bits of hash in hex. */
    assert_int_equal(strlen(r.boundary), 34);
    assert_memory_equal(r.boundary, "=_", 2);
    buf_init(&want, 0);
    buf_printf(&want,
        "Date: Mon, 30 Nov 2026 00:53:20 +0000\r\n"
        "From: Curator <digest@example.org>\r\n"
        "To: Ann Reader <ann@example.org>\r\n"
        "Subject: Your weekly digest: 12 items\r\n"
        "Message-ID: <digest.42.2026-11-29@example.org>\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "Precedence: bulk\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative;\r\n"
        " boundary=\"%s\"\r\n"
        "\r\n"
        "--%s\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Hi=\r\n"
        "\r\n"
        "--%s\r\n"
        "Content-Type: text/html; charset=UTF-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "<p>Hi</p>\r\n"
        "\r\n"
        "--%s--\r\n", r.boundary, r.boundary, r.boundary, r.boundary);
    assert_string_equal(out.data, want.data);

    /* The same input gives the same message; other bodies another
     * boundary. */
    struct buf again;
    compose(&m, &again);
    assert_string_equal(again.data, out.data);
    buf_free(&again);
    m.html = "<p>Hi!</p>\n";
    compose(&m, &again);
    assert_null(strstr(again.data, r.boundary));
    buf_free(&again);

    buf_free(&want);
    mime_check_free(&r);
    buf_free(&out);
}

/* The message is appended to what the buffer holds. */
static void
test_appends(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct buf out, alone;

    buf_init(&out, 0);
    buf_puts(&out, "X");
    assert_int_equal(mime_compose(&m, &out, NULL), CUR_OK);
    compose(&m, &alone);
    assert_int_equal(out.len, alone.len + 1);
    assert_int_equal(out.data[0], 'X');
    assert_string_equal(out.data + 1, alone.data);
    buf_free(&out);
    buf_free(&alone);
}

static void
test_subject_accents(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out;

    /* Mostly multi-byte: B is shorter. */
    m.subject = "Résumé — 12 items ✓";
    round_trip(&m, &out, &r);
    assert_string_equal(mime_check_header(&r, "Subject"),
                        "=?UTF-8?B?UsOpc3Vtw6kg4oCUIDEyIGl0ZW1zIOKckw==?=");
    assert_string_equal(r.subject, "Résumé — 12 items ✓");
    mime_check_free(&r);
    buf_free(&out);

    /* Mostly ASCII: Q is shorter; spaces as '_'. */
    m.subject = "Café news for today";
    round_trip(&m, &out, &r);
    assert_string_equal(mime_check_header(&r, "Subject"),
                        "=?UTF-8?Q?Caf=C3=A9_news_for_today?=");
    mime_check_free(&r);
    buf_free(&out);
}

/* 300 Japanese characters (900 bytes): many encoded-words, each at most
 * 75 characters of whole characters, on lines of at most 78. */
static void
test_subject_japanese(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, subj;
    static const char *const kana[] = {
        "日", "本", "語", "の", "件", "名"
    };

    buf_init(&subj, 0);
    for (int i = 0; i < 300; i++)
        buf_puts(&subj, kana[i % 6]);
    assert_int_equal(subj.len, 900);
    m.subject = subj.data;
    round_trip(&m, &out, &r);
    assert_string_equal(r.subject, subj.data);
    assert_true(longest_header_line(out.data) <= 78);
    /* 900 bytes need at least 20 words of 45 bytes. */
    const char *v = mime_check_header(&r, "Subject");
    int words = 0;
    for (const char *p = strstr(v, "=?UTF-8?B?"); p;
         p = strstr(p + 1, "=?UTF-8?B?"))
        words++;
    assert_true(words >= 20 && words <= 22);
    mime_check_free(&r);
    buf_free(&out);

    /* Four-byte characters after ASCII that shifts every fold point. */
    for (int shift = 0; shift < 8; shift++) {
        buf_reset(&subj);
        for (int i = 0; i < shift; i++)
            buf_puts(&subj, "a");
        for (int i = 0; i < 60; i++)
            buf_puts(&subj, i % 2 ? "😀" : "é x");
        m.subject = subj.data;
        round_trip(&m, &out, &r);
        assert_true(longest_header_line(out.data) <= 78);
        mime_check_free(&r);
        buf_free(&out);
    }
    buf_free(&subj);
}

static void
test_long_ascii_subject(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, subj;

    /* Many short words: plain, folded between words. */
    buf_init(&subj, 0);
    for (int i = 0; i < 60; i++)
        buf_printf(&subj, "%sword%d", i ? " " : "", i);
    m.subject = subj.data;
    round_trip(&m, &out, &r);
    assert_null(strstr(out.data, "=?"));
    assert_true(longest_header_line(out.data) <= 78);
    assert_string_equal(r.subject, subj.data);
    mime_check_free(&r);
    buf_free(&out);

    /* One 500-character word cannot be folded: encoded-words can. */
    buf_reset(&subj);
    for (int i = 0; i < 500; i++)
        buf_puts(&subj, "x");
    m.subject = subj.data;
    round_trip(&m, &out, &r);
    assert_non_null(strstr(out.data, "Subject: =?UTF-8?"));
    assert_true(longest_header_line(out.data) <= 78);
    mime_check_free(&r);
    buf_free(&out);
    buf_free(&subj);

    /* Empty subject. */
    m.subject = "";
    round_trip(&m, &out, &r);
    assert_true(has_line(out.data, "Subject:\r\n"));
    assert_string_equal(r.subject, "");
    mime_check_free(&r);
    buf_free(&out);
}

static void
test_display_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *header;
    } cases[] = {
        { "Plain Name", "Plain Name <ann@example.org>" },
        { "Doe, John", "\"Doe, John\" <ann@example.org>" },
        { "John Q. Public", "\"John Q. Public\" <ann@example.org>" },
        { "He said \"hi\" \\o/", "\"He said \\\"hi\\\" \\\\o/\" "
                                "<ann@example.org>" },
        { "<evil@example.com>", "\"<evil@example.com>\" <ann@example.org>" },
        { "a;b:c@d", "\"a;b:c@d\" <ann@example.org>" },
        { "Zoë", "=?UTF-8?Q?Zo=C3=AB?= <ann@example.org>" },
        { "  spaced\t\tout  ", "spaced out <ann@example.org>" },
        { "", "ann@example.org" },
        { "\r\n", "ann@example.org" },
        /* Looks encoded: encoded again (B is shorter here). */
        { "=?UTF-8?Q?x?=", "=?UTF-8?B?PT9VVEYtOD9RP3g/PQ==?= "
                           "<ann@example.org>" },
    };
    struct mime_message m = base_message();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mime_check r;
        struct buf out;
        m.to.name = cases[i].name;
        round_trip(&m, &out, &r);
        assert_string_equal(mime_check_header(&r, "To"), cases[i].header);
        mime_check_free(&r);
        buf_free(&out);
    }

    /* NULL name; a long ASCII name with specials is encoded, not a long
     * quoted-string; a long name of atoms is folded between them. */
    struct mime_check r;
    struct buf out;
    m.to.name = NULL;
    round_trip(&m, &out, &r);
    assert_string_equal(mime_check_header(&r, "To"), "ann@example.org");
    mime_check_free(&r);
    buf_free(&out);
    m.to.name = "Department of Redundancy Department, Office of the "
                "Chief Redundancy Officer (acting)";
    round_trip(&m, &out, &r);
    assert_non_null(strstr(mime_check_header(&r, "To"), "=?UTF-8?Q?"));
    assert_true(longest_header_line(out.data) <= 78);
    mime_check_free(&r);
    buf_free(&out);
    m.to.name = "Department of Redundancy Department Office of the Chief "
                "Redundancy Officer";
    round_trip(&m, &out, &r);
    assert_null(strstr(out.data, "=?"));
    assert_true(longest_header_line(out.data) <= 78);
    mime_check_free(&r);
    buf_free(&out);
}

/* No CR, LF or other control in a subject or name starts a header. */
static void
test_header_injection(void **state)
{
    (void)state;
    static const char *const evil[] = {
        "Hi\r\nBcc: x@y",
        "Hi\nBcc: x@y",
        "Hi\rBcc: x@y",
        "Hi\r\n\r\nBcc: x@y",
        "Hi\xC2\x85" "Bcc: x@y",            /* NEL */
        "Hi\xE2\x80\xA8" "Bcc: x@y",        /* U+2028 */
        "Hi\x0B\x0C\x1B\x7F" "Bcc: x@y",
        "Hi\r\n Bcc: x@y",                  /* looks folded */
    };
    struct mime_message m = base_message();

    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        for (int where = 0; where < 3; where++) {
            struct mime_check r;
            struct buf out;
            m = base_message();
            if (where == 0)
                m.subject = evil[i];
            else if (where == 1)
                m.from.name = evil[i];
            else
                m.to.name = evil[i];
            round_trip(&m, &out, &r);
            assert_false(has_line(out.data, "Bcc:"));
            assert_null(mime_check_header(&r, "Bcc"));
            const char *got = where == 0 ? r.subject
                              : where == 1 ? r.from_name : r.to_name;
            assert_string_equal(got, "Hi Bcc: x@y");
            mime_check_free(&r);
            buf_free(&out);
        }
    }

    /* An encoded-word decoding to CRLF is encoded again, so a reader
     * shows it literally. */
    struct mime_check r;
    struct buf out;
    m = base_message();
    m.subject = "=?UTF-8?B?SGkNCkJjYzogeEB5?=";
    round_trip(&m, &out, &r);
    assert_string_equal(r.subject, "=?UTF-8?B?SGkNCkJjYzogeEB5?=");
    assert_null(strstr(out.data, "=?UTF-8?B?SGkN"));
    mime_check_free(&r);
    buf_free(&out);
}

/* Refusals leave the output as it was and say why. */
static void
test_refused(void **state)
{
    (void)state;
    static const char *const bad_addr[] = {
        "", "no-at", "two@@example.org", "a@b@c", "@example.org",
        "ann@", "ann @example.org", "ann\r\n@example.org",
        "<ann@example.org>", "ann@example.org>", "a,b@example.org",
        "ann@example.org\nBcc: x@y", "\"ann\"@example.org",
        "ann@exa\x7Fmple.org", "ann@ex\xC3\xA4mple.org",
    };
    struct mime_message m;
    struct buf out;
    const char *why;

    buf_init(&out, 0);
    buf_puts(&out, "kept");
    for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
        for (int to = 0; to < 2; to++) {
            m = base_message();
            if (to)
                m.to.email = bad_addr[i];
            else
                m.from.email = bad_addr[i];
            why = NULL;
            assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
            assert_string_equal(why, to ? "invalid To address"
                                        : "invalid From address");
            assert_string_equal(out.data, "kept");
        }
    }
    m = base_message();
    m.to.email = NULL;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);

    static const char *const bad_url[] = {
        "http://example.org/u", "https://", "https://example.org/u>x",
        "https://example.org/ u", "https://example.org/u\r\nBcc: x@y",
        "https://example.org/\x01", "https://example.org/a,b",
        "https://example.org/<", "https://ex\xC3\xA4mple.org/",
        "mailto:x@example.org", "javascript:alert(1)",
    };
    for (size_t i = 0; i < sizeof bad_url / sizeof bad_url[0]; i++) {
        m = base_message();
        m.unsubscribe_url = bad_url[i];
        assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
        assert_string_equal(why, "invalid unsubscribe URL");
    }
    static const char *const bad_mailto[] = {
        "https://example.org/u", "mailto:", "mailto:a@b>",
        "mailto:a@b\nX: y", "mailto:a b@c",
    };
    for (size_t i = 0; i < sizeof bad_mailto / sizeof bad_mailto[0]; i++) {
        m = base_message();
        m.unsubscribe_mailto = bad_mailto[i];
        assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
        assert_string_equal(why, "invalid unsubscribe mailto");
    }
    /* Over MIME_URL_MAX. */
    char longurl[MIME_URL_MAX + 2];
    memset(longurl, 'a', sizeof longurl - 1);
    longurl[sizeof longurl - 1] = '\0';
    memcpy(longurl, "https://", 8);
    m = base_message();
    m.unsubscribe_url = longurl;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
    longurl[MIME_URL_MAX] = '\0';
    assert_int_equal(mime_compose(&m, &out, &why), CUR_OK);
    buf_reset(&out);
    buf_puts(&out, "kept");

    static const char *const bad_id[] = {
        "", "no-at", "<a@b>", "a@b@c", "a b@c", "a@b\r\nX: y", ".a@b",
        "a..b@c", "a@", "@b",
    };
    for (size_t i = 0; i < sizeof bad_id / sizeof bad_id[0]; i++) {
        m = base_message();
        m.message_id = bad_id[i];
        assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
        assert_string_equal(why, "invalid Message-ID");
    }
    static const char *const bad_list[] = {
        "", "nodot", "Desc <nodot>", "Desc <a.b", "Desc <a b.c>",
        "Desc <a.b>\r\nX: y", "Desc <a@b.c>", "Desc <.a.b>",
    };
    for (size_t i = 0; i < sizeof bad_list / sizeof bad_list[0]; i++) {
        m = base_message();
        m.list_id = bad_list[i];
        assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
        assert_string_equal(why, "invalid List-Id");
    }
    m = base_message();
    m.text = NULL;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
    assert_string_equal(why, "no text body");
    m = base_message();
    m.subject = NULL;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
    m = base_message();
    m.date = -1;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
    m.date = 253402300800LL;
    assert_int_equal(mime_compose(&m, &out, &why), CUR_EINVAL);
    assert_string_equal(why, "date out of range");
    assert_int_equal(mime_compose(NULL, &out, NULL), CUR_EINVAL);
    assert_int_equal(mime_compose(&m, NULL, NULL), CUR_EINVAL);
    assert_string_equal(out.data, "kept");
    buf_free(&out);
}

static void
test_dates(void **state)
{
    (void)state;
    static const struct {
        long long t;
        const char *s;
    } cases[] = {
        { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
        { 1796000000, "Mon, 30 Nov 2026 00:53:20 +0000" },
        { 253402300799LL, "Fri, 31 Dec 9999 23:59:59 +0000" },
    };
    struct mime_message m = base_message();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mime_check r;
        struct buf out;
        m.date = cases[i].t;
        round_trip(&m, &out, &r);
        assert_string_equal(mime_check_header(&r, "Date"), cases[i].s);
        mime_check_free(&r);
        buf_free(&out);
    }
}

static void
test_list_headers(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out;

    /* mailto only: no One-Click (RFC 8058 needs https). */
    m.unsubscribe_url = NULL;
    round_trip(&m, &out, &r);
    assert_string_equal(mime_check_header(&r, "List-Unsubscribe"),
                        "<mailto:unsubscribe@example.org?subject=abc>");
    assert_null(mime_check_header(&r, "List-Unsubscribe-Post"));
    mime_check_free(&r);
    buf_free(&out);

    /* https only. */
    m = base_message();
    m.unsubscribe_mailto = NULL;
    round_trip(&m, &out, &r);
    assert_string_equal(mime_check_header(&r, "List-Unsubscribe"),
                        "<https://example.org/u/abc>");
    assert_string_equal(mime_check_header(&r, "List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click");
    mime_check_free(&r);
    buf_free(&out);

    /* Neither; a List-Id of just the identifier; a description with
     * specials and one in UTF-8. */
    m = base_message();
    m.unsubscribe_url = NULL;
    m.unsubscribe_mailto = NULL;
    m.list_id = "digest.example.org";
    round_trip(&m, &out, &r);
    assert_null(mime_check_header(&r, "List-Unsubscribe"));
    assert_null(mime_check_header(&r, "List-Unsubscribe-Post"));
    assert_string_equal(mime_check_header(&r, "List-Id"),
                        "<digest.example.org>");
    assert_string_equal(r.list_id, "digest.example.org");
    assert_string_equal(r.list_id_name, "");
    mime_check_free(&r);
    buf_free(&out);
    m.list_id = "Curator <weekly>, \"team\" <digest.example.org>";
    round_trip(&m, &out, &r);
    assert_string_equal(r.list_id_name, "Curator <weekly>, \"team\"");
    assert_string_equal(r.list_id, "digest.example.org");
    mime_check_free(&r);
    buf_free(&out);
    m.list_id = "Curator — Übersicht\r\nBcc: x@y <digest.example.org>";
    round_trip(&m, &out, &r);
    assert_string_equal(r.list_id_name, "Curator — Übersicht Bcc: x@y");
    assert_false(has_line(out.data, "Bcc:"));
    mime_check_free(&r);
    buf_free(&out);
}

static void
test_text_only_and_empty_html(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out;

    m.html = NULL;
    round_trip(&m, &out, &r);
    assert_null(r.boundary);
    assert_string_equal(mime_check_header(&r, "Content-Type"),
                        "text/plain; charset=UTF-8");
    mime_check_free(&r);
    buf_free(&out);

    /* "" would be a blank message in clients that prefer HTML. */
    m.html = "";
    round_trip(&m, &out, &r);
    assert_null(r.boundary);
    assert_null(strstr(out.data, "multipart"));
    mime_check_free(&r);
    buf_free(&out);

    /* Empty text, with and without HTML. */
    m.text = "";
    round_trip(&m, &out, &r);
    assert_int_equal(r.text_len, 0);
    assert_true(out.len > 4
                && strcmp(out.data + out.len - 4, "\r\n\r\n") == 0);
    mime_check_free(&r);
    buf_free(&out);
    m.html = "<p>only html</p>";
    round_trip(&m, &out, &r);
    assert_int_equal(r.text_len, 0);
    assert_non_null(r.boundary);
    mime_check_free(&r);
    buf_free(&out);
}

static void
test_encoding_choice(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, jp;

    m.text = "Ünïcödé here and there, but mostly plain English text.\n";
    m.html = "<p>Plain &amp; simple</p>";
    round_trip(&m, &out, &r);
    assert_int_equal(r.text_base64, 0);
    assert_int_equal(r.html_base64, 0);
    assert_non_null(strstr(out.data, "=C3=9Cn=C3=AFc=C3=B6d=C3=A9 here"));
    mime_check_free(&r);
    buf_free(&out);

    buf_init(&jp, 0);
    for (int i = 0; i < 200; i++)
        buf_puts(&jp, i % 40 == 39 ? "。\n" : "日本語");
    m.text = jp.data;
    m.html = "<p>Plain</p>";
    round_trip(&m, &out, &r);
    assert_int_equal(r.text_base64, 1);
    assert_int_equal(r.html_base64, 0);
    assert_true(longest_line(out.data) <= 76);
    mime_check_free(&r);
    buf_free(&out);

    /* Text-only base64 too. */
    m.html = NULL;
    round_trip(&m, &out, &r);
    assert_int_equal(r.text_base64, 1);
    assert_string_equal(mime_check_header(&r, "Content-Transfer-Encoding"),
                        "base64");
    mime_check_free(&r);
    buf_free(&out);
    buf_free(&jp);
}

/* Lines longer than 76 are soft-broken, never an "=XX" cut. */
static void
test_long_lines(void **state)
{
    (void)state;
    static const char *const units[] = { "x", "=", "é", " ", "\t", "😀" };
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, text;

    buf_init(&text, 0);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        buf_reset(&text);
        for (int i = 0; i < 5000; i++)
            buf_puts(&text, units[u]);
        m.text = text.data;
        m.html = text.data;
        round_trip(&m, &out, &r);
        assert_true(longest_line(out.data) <= 76);
        mime_check_free(&r);
        buf_free(&out);
    }
    /* 75 characters and a line break fit on a line; 76 take a soft
     * break. */
    buf_reset(&text);
    for (int i = 0; i < 75; i++)
        buf_puts(&text, "y");
    buf_puts(&text, "\n");
    m.text = text.data;
    m.html = NULL;
    compose(&m, &out);
    assert_non_null(strstr(out.data, "\r\n\r\nyyyyy"));
    assert_null(strstr(out.data, "y=\r\n"));
    buf_free(&out);
    buf_reset(&text);
    for (int i = 0; i < 76; i++)
        buf_puts(&text, "y");
    m.text = text.data;
    compose(&m, &out);
    assert_non_null(strstr(out.data, "y=\r\ny=\r\n"));
    buf_free(&out);
    buf_free(&text);
}

/* Text that looks like the boundary cannot end a part: quoted-printable
 * writes its '=' as "=3D", base64 has no '_'. */
static void
test_boundary_like_text(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r, r2;
    struct buf out, out2, text;

    m.text = "a";
    m.html = "<p>b</p>";
    round_trip(&m, &out, &r);
    buf_init(&text, 0);
    buf_printf(&text, "--%s\n--%s--\n--=_\n", r.boundary, r.boundary);
    /* Put that boundary and its close delimiter in the text of a second
     * message (whose own boundary then differs, the text being hashed):
     * the text must come out as "--=3D_", and only real delimiters may
     * start with "--=_". */
    m.text = text.data;
    round_trip(&m, &out2, &r2);
    assert_null(strstr(out2.data, "\r\n--=_\r\n"));
    assert_non_null(strstr(out2.data, "--=3D_"));
    int delims = 0;
    for (const char *p = strstr(out2.data, "\r\n--=_"); p;
         p = strstr(p + 1, "\r\n--=_")) {
        assert_memory_equal(p + 4, r2.boundary, strlen(r2.boundary));
        delims++;
    }
    assert_int_equal(delims, 3);
    mime_check_free(&r2);
    buf_free(&out2);

    /* And in base64. */
    buf_reset(&text);
    for (int i = 0; i < 50; i++)
        buf_printf(&text, "日本語日本語日本語 --%s\n", r.boundary);
    m.text = text.data;
    m.html = text.data;
    round_trip(&m, &out2, &r2);
    assert_int_equal(r2.text_base64, 1);
    mime_check_free(&r2);
    buf_free(&out2);

    mime_check_free(&r);
    buf_free(&out);
    buf_free(&text);
}

static void
test_invalid_utf8(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out;

    m.subject = "\xFF\xFE" "AB\xC3";
    m.to.name = "Bad \xC0\xAF name";
    m.text = "a\xE2\x82" "b\xED\xA0\x80" "c\xF4\x90\x80\x80" "d\xF0\x9F\x98";
    m.html = "<p>\x80</p>";
    round_trip(&m, &out, &r);
    assert_string_equal(r.subject, "\xEF\xBF\xBD\xEF\xBF\xBD" "AB"
                                   "\xEF\xBF\xBD");
    assert_string_equal(r.to_name, "Bad \xEF\xBF\xBD\xEF\xBF\xBD name");
    /* One U+FFFD per maximal subpart: E2 82 is one; ED A0 80 three
     * (ED never takes A0); F4 90 80 80 four; F0 9F 98 one. */
    const char *want = "a\xEF\xBF\xBD" "b"
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "c"
        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d"
        "\xEF\xBF\xBD";
    assert_int_equal(r.text_len, strlen(want));
    assert_memory_equal(r.text, want, strlen(want));
    assert_string_equal(r.html, "<p>\xEF\xBF\xBD</p>");
    mime_check_free(&r);
    buf_free(&out);
}

/* Line breaks of every kind become CRLF; no line starts with "." or
 * "From ", even after a soft break; trailing white space survives. */
static void
test_line_starts(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out, text;

    m.text = ".\n..\r\n.hidden\rFrom me\nFrom\nFromage \t\n";
    round_trip(&m, &out, &r);
    assert_non_null(strstr(out.data,
        "\r\n\r\n=2E\r\n=2E.\r\n=2Ehidden\r\n=46rom me\r\nFrom\r\n"
        "Fromage =09\r\n"));
    assert_string_equal(r.text,
        ".\r\n..\r\n.hidden\r\nFrom me\r\nFrom\r\nFromage \t\r\n");
    mime_check_free(&r);
    buf_free(&out);

    /* Dots and "From " where the soft breaks fall. */
    buf_init(&text, 0);
    for (int i = 0; i < 300; i++)
        buf_puts(&text, i % 3 ? "." : "From ");
    m.text = text.data;
    round_trip(&m, &out, &r);
    assert_false(has_line(out.data, "."));
    assert_false(has_line(out.data, "From "));
    mime_check_free(&r);
    buf_free(&out);
    buf_free(&text);
}

/* A capped buffer: the error of buf_append, the buffer freed. */
static void
test_cap(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct buf out;

    buf_init(&out, 100);
    assert_int_equal(mime_compose(&m, &out, NULL), CUR_ETOOBIG);
    assert_null(out.data);
    assert_int_equal(out.len, 0);
}

/* Random fields, as the fuzzer does, for a run of `make check`. */
static void
test_random(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "a", " ", "\r", "\n", "\r\n", "=", "?", "=?", "?=", "_", ".",
        "From ", "\"", "\\", ",", "<", ">", "\t", "\x01", "\x7F", "é",
        "—", "😀", "\xC2\x85", "\xE2\x80\xA8", "\xFF", "\xC3", "\xE2\x82",
        "\xED\xA0\x80", "--=_", "日本語", "word", "Bcc: x@y",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    unsigned seed = 12345;
    struct buf f[5];

    for (int i = 0; i < 5; i++)
        buf_init(&f[i], 0);
    for (int iter = 0; iter < 400; iter++) {
        struct mime_message m = base_message();
        struct mime_check r;
        struct buf out;
        for (int i = 0; i < 5; i++) {
            buf_reset(&f[i]);
            buf_puts(&f[i], "");
            seed = seed * 1103515245 + 12345;
            int n = (int)((seed >> 16) % (i >= 3 ? 400 : 60));
            for (int k = 0; k < n; k++) {
                seed = seed * 1103515245 + 12345;
                buf_puts(&f[i], pieces[(seed >> 16) % np]);
            }
        }
        m.subject = f[0].data;
        m.from.name = f[1].data;
        m.to.name = f[2].data;
        m.text = f[3].data;
        m.html = iter % 4 ? f[4].data : NULL;
        round_trip(&m, &out, &r);
        mime_check_free(&r);
        buf_free(&out);
    }
    for (int i = 0; i < 5; i++)
        buf_free(&f[i]);
}

/* The reference for the quoted-printable encoder: byte by byte, on the
 * normalised body (CRLF breaks, valid UTF-8), the rules of mime.h with
 * none of the encoder's shortcuts. */
static void
ref_qp(struct buf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0, i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r') {        /* always followed by '\n' here */
            buf_append(o, "\r\n", 2);
            col = 0;
            i += 2;
            continue;
        }
        int brk = i + 1 == n || s[i + 1] == '\r';
        int lit = c == '\t' || (c >= 0x20 && c <= 0x7E && c != '=');
        if (lit && !(brk && (c == ' ' || c == '\t'))) {
            if (col >= 75) {
                buf_append(o, "=\r\n", 3);
                col = 0;
            }
            if (col == 0 && (c == '.' || (n - i >= 5
                             && memcmp(s + i, "From ", 5) == 0))) {
                char e[3] = { '=', hex[c >> 4], hex[c & 15] };
                buf_append(o, e, 3);
                col = 3;
            } else {
                buf_append(o, (const char *)&c, 1);
                col++;
            }
            i++;
            continue;
        }
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (col + 3 * len > 75) {
            buf_append(o, "=\r\n", 3);
            col = 0;
        }
        for (size_t k = 0; k < len; k++) {
            unsigned char b = (unsigned char)s[i + k];
            char e[3] = { '=', hex[b >> 4], hex[b & 15] };
            buf_append(o, e, 3);
        }
        col += 3 * len;
        i += len;
    }
    if (col > 0)
        buf_append(o, "=\r\n", 3);
}

/* Compose 'text' alone and compare its body with ref_qp()'s: 1 when
 * the encoder chose quoted-printable (and matched), 0 for base64. */
static int
qp_matches_ref(const char *text)
{
    struct mime_message m = base_message();
    struct buf out, want;
    size_t len;
    char *norm = mime_check_norm_body(text, &len);
    int qp;

    m.text = text;
    compose(&m, &out);
    const char *body = strstr(out.data, "\r\n\r\n");
    assert_non_null(body);
    body += 4;
    qp = strstr(out.data, "Content-Transfer-Encoding: quoted-printable")
         != NULL;
    if (qp) {
        buf_init(&want, 0);
        buf_puts(&want, "");
        ref_qp(&want, norm, len);
        if (strcmp(body, want.data) != 0) {
            fprintf(stderr, "input: [%s]\ngot:\n%s\nwant:\n%s\n", text,
                    body, want.data);
            fail_msg("quoted-printable differs from the reference");
        }
        buf_free(&want);
    }
    free(norm);
    buf_free(&out);
    return qp;
}

/* The fast encoder (sixteen bytes at a time) against the reference:
 * lines around the 75-character limit, white space before breaks and
 * the end, '=', dots and "From " at line starts, tabs inside runs,
 * CR/LF/CRLF mixes, non-ASCII and ill-formed bytes at every offset. */
static void
test_qp_reference(void **state)
{
    (void)state;
    static const char *const fixed[] = {
        "", "a", " ", "\t", "=", ".", "From ", "From", "\r", "\n", "\r\n",
        "a \n", "a\t\r\nb", "a \r", "x  ", "x\t", ".\n.\r\n.", "é", "\xFF",
        "a=b=c\n=", "tab\there\tand\tthere", "\r\r\n\n\r", "From me\nFrom ",
    };
    static const char *const pieces[] = {
        "a", "b", "word ", " ", "  ", "\t", "\r", "\n", "\r\n", "=", ".",
        "From ", "é", "—", "😀", "\xFF", "\xC3", "\xE2\x82", "\x01",
        "\x7F", "0123456789abcdef", "the quick brown fox jumps ",
    };
    const size_t np = sizeof pieces / sizeof pieces[0];
    struct buf t;
    unsigned seed = 4242;
    int qp = 0, total = 0;

    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        qp += qp_matches_ref(fixed[i]);
        total++;
    }
    buf_init(&t, 0);
    /* Lines of 70 to 80 characters, each ending in every way. */
    for (size_t len = 70; len <= 80; len++) {
        static const char *const ends[] = {
            "", "\n", "\r\n", "\r", " ", " \n", "\t\r\n", "=", "é\n",
        };
        for (size_t e = 0; e < sizeof ends / sizeof ends[0]; e++) {
            buf_reset(&t);
            buf_puts(&t, "");
            for (size_t k = 0; k < len; k++)
                buf_append(&t, k % 17 == 16 ? "\t" : "x", 1);
            buf_puts(&t, ends[e]);
            buf_puts(&t, ".next line ");
            for (size_t k = 0; k < len; k++)
                buf_append(&t, "y", 1);
            buf_puts(&t, ends[e]);
            qp += qp_matches_ref(t.data);
            total++;
        }
    }
    /* Long lines, and random mixes. */
    buf_reset(&t);
    buf_puts(&t, "");
    for (int k = 0; k < 5000; k++)
        buf_append(&t, &"abcdefghij"[k % 10], 1);
    qp += qp_matches_ref(t.data);
    total++;
    for (int iter = 0; iter < 2000; iter++) {
        buf_reset(&t);
        buf_puts(&t, "");
        seed = seed * 1103515245 + 12345;
        int n = (int)((seed >> 16) % 300);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245 + 12345;
            unsigned r = (seed >> 16) % (np + 8);
            /* Mostly plain words, so that most bodies stay QP. */
            buf_puts(&t, r < np ? pieces[r] : "plain ");
        }
        qp += qp_matches_ref(t.data);
        total++;
    }
    buf_free(&t);
    /* The comparison must have run on nearly all of them. */
    assert_true(qp > total * 9 / 10);
}

/* The checker itself refuses what it must, so that passing it means
 * something. */
static void
test_checker_refuses(void **state)
{
    (void)state;
    struct mime_message m = base_message();
    struct mime_check r;
    struct buf out;
    char why[256];
    static const struct {
        const char *from, *to;
    } edits[] = {
        { "Subject: Your", "Subject: Your\nX" },          /* bare LF */
        { "Precedence: bulk\r\n", "Precedence: bulk\r\nBcc: x@y\r\n" },
        { "Precedence: bulk\r\n", "Precedence: bulk\r\nSubject: b\r\n" },
        { "Date: Mon", "Date: Tue" },                     /* weekday */
        { "Here are", "Here\x80" "are" },                 /* 8-bit */
        { "Here are", "Here=4 are" },                     /* bad escape */
        { "Here are", "Here=e9are" },                     /* lower hex */
        { "your items.", "your items. " },                /* trailing */
        { "Hello Ann,", ".Hello Ann," },                  /* leading dot */
        { "Subject: Your", "Subject: =?UTF-8?Q?a=0D=0A?= Your" },
        { "Subject: Your", "Subject: =?ISO-8859-1?Q?a?= Your" },
        { "Subject: Your", "Subject: =?UTF-8?Q?=C3?= Your" },   /* cut */
        { "To: Ann Reader", "To: Ann, Reader" },
        { "MIME-Version: 1.0\r\n", "" },
        { "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", "" },
    };

    compose(&m, &out);
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *p = strstr(out.data, edits[i].from);
        assert_non_null(p);
        struct buf e;
        buf_init(&e, 0);
        buf_append(&e, out.data, (size_t)(p - out.data));
        buf_puts(&e, edits[i].to);
        buf_puts(&e, p + strlen(edits[i].from));
        if (mime_check(e.data, e.len, &r, why, sizeof why) == 0)
            fail_msg("checker accepted edit %zu: %s", i, e.data);
        assert_true(why[0] != '\0');
        buf_free(&e);
    }
    /* A line of 999 octets, and an encoded-word of 76 characters. */
    struct buf e;
    buf_init(&e, 0);
    char *head = strstr(out.data, "Here are");
    buf_append(&e, out.data, (size_t)(head - out.data));
    for (int i = 0; i < 999; i++)
        buf_puts(&e, "h");
    buf_puts(&e, "\r\n");
    assert_int_equal(mime_check(e.data, e.len, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "999"));
    buf_free(&e);
    buf_free(&out);

    m.html = "<p>x</p>";
    compose(&m, &out);
    check(&out, &r);
    /* A part body line that starts with the boundary. */
    char *p = strstr(out.data, "<p>x</p>");
    buf_init(&e, 0);
    buf_append(&e, out.data, (size_t)(p - out.data));
    buf_printf(&e, "--%s\r\n", r.boundary);
    buf_puts(&e, p);
    mime_check_free(&r);
    assert_int_equal(mime_check(e.data, e.len, &r, why, sizeof why), -1);
    buf_free(&e);
    mime_check_free(&r);
    buf_free(&out);
}

/* Python's email package, as a mail client would read the message. */
static void
test_python_email(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0) {
        fprintf(stderr, "skipped: /usr/bin/python3 is missing\n");
        skip();
    }
    struct mime_message m = base_message();
    struct buf out, jp;
    char *dir = t_mkdtemp();
    assert_non_null(dir);

    buf_init(&jp, 0);
    for (int i = 0; i < 100; i++)
        buf_puts(&jp, i % 30 == 29 ? "。\n" : "日本語");
    for (int variant = 0; variant < 3; variant++) {
        m = base_message();
        m.from.name = "Curator, the digest";
        m.to.name = "Zoë \"Z\" Ünal";
        m.subject = "Résumé — 12 items ✓\r\nBcc: x@y";
        if (variant == 0) {
            m.text = "Hello Zoë,\n.\nFrom here =3D\n";
            m.html = "<p>Hello Zo&euml;</p>\n<p>--=_x</p>";
        } else if (variant == 1) {
            m.text = jp.data;
            m.html = NULL;
        } else {
            m.text = "bad \xFF utf-8\r";
            m.html = jp.data;
            m.unsubscribe_url = NULL;
        }
        compose(&m, &out);
        char *path = t_write_file(dir, "m.eml", out.data);
        assert_non_null(path);
        char *argv[] = { "/usr/bin/python3", "tests/unit/test_mime_python.py",
                         path, NULL };
        char *sout = NULL, *serr = NULL;
        int rc = t_run(argv, &sout, &serr);
        if (rc != 0)
            fail_msg("python: status %d: %s", rc, serr ? serr : "");
        json_error_t jerr;
        json_t *j = json_loads(sout, 0, &jerr);
        if (j == NULL)
            fail_msg("python output is not JSON: %s", sout);

        assert_int_equal(json_array_size(json_object_get(j, "defects")), 0);
        assert_string_equal(json_string_value(json_object_get(j, "subject")),
                            "Résumé — 12 items ✓ Bcc: x@y");
        json_t *from = json_array_get(json_object_get(j, "from"), 0);
        json_t *to = json_array_get(json_object_get(j, "to"), 0);
        assert_int_equal(json_array_size(json_object_get(j, "to")), 1);
        assert_string_equal(json_string_value(json_object_get(from, "name")),
                            "Curator, the digest");
        assert_string_equal(json_string_value(json_object_get(from, "addr")),
                            "digest@example.org");
        assert_string_equal(json_string_value(json_object_get(to, "name")),
                            "Zoë \"Z\" Ünal");
        assert_string_equal(json_string_value(json_object_get(to, "addr")),
                            "ann@example.org");
        assert_string_equal(
            json_string_value(json_object_get(j, "message_id")),
            "<digest.42.2026-11-29@example.org>");
        assert_string_equal(json_string_value(json_object_get(j, "date")),
                            "2026-11-30T00:53:20+00:00");
        json_t *post = json_object_get(j, "list_unsubscribe_post");
        if (variant == 2)
            assert_true(json_is_null(post));
        else
            assert_string_equal(json_string_value(post),
                                "List-Unsubscribe=One-Click");

        size_t len;
        char *want = mime_check_norm_body(m.text, &len);
        assert_string_equal(json_string_value(json_object_get(j, "text")),
                            want);
        free(want);
        json_t *types = json_object_get(j, "types");
        if (m.html == NULL) {
            assert_int_equal(json_array_size(types), 1);
            assert_string_equal(json_string_value(json_array_get(types, 0)),
                                "text/plain");
            assert_true(json_is_null(json_object_get(j, "html")));
        } else {
            assert_int_equal(json_array_size(types), 3);
            assert_string_equal(json_string_value(json_array_get(types, 0)),
                                "multipart/alternative");
            assert_string_equal(json_string_value(json_array_get(types, 1)),
                                "text/plain");
            assert_string_equal(json_string_value(json_array_get(types, 2)),
                                "text/html");
            want = mime_check_norm_body(m.html, &len);
            assert_string_equal(
                json_string_value(json_object_get(j, "html")), want);
            free(want);
        }
        json_decref(j);
        free(sout);
        free(serr);
        free(path);
        buf_free(&out);
    }
    buf_free(&jp);
    t_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_exact),
        cmocka_unit_test(test_multipart_exact),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_subject_accents),
        cmocka_unit_test(test_subject_japanese),
        cmocka_unit_test(test_long_ascii_subject),
        cmocka_unit_test(test_display_names),
        cmocka_unit_test(test_header_injection),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_list_headers),
        cmocka_unit_test(test_text_only_and_empty_html),
        cmocka_unit_test(test_encoding_choice),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_boundary_like_text),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_line_starts),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_qp_reference),
        cmocka_unit_test(test_checker_refuses),
        cmocka_unit_test(test_python_email),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
