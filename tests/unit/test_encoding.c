/* Unit tests: deciding the encoding of XML documents and converting them
 * to UTF-8 (SECURITY.md PARSE-8, PARSE-9), end to end through libxml2
 * where the declaration matters, and over random hostile input; and the
 * streaming decoder, whose output must not depend on where the chunks
 * were cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding.h"
#include "err.h"
#include "support.h"

#define MAX_OUT (1u << 20)

/* Lengths of string literals, which may hold NUL bytes. */
#define LIT(s) (s), (sizeof(s) - 1)

/* Convert or fail the test. */
static char *
conv(const char *in, size_t len, const char *ct, struct encoding_info *info,
     size_t *out_len)
{
    char err[256] = "unset";
    char *out = (char *)1;
    int rc = encoding_to_utf8(in, len, ct, MAX_OUT, &out, out_len, info,
                              err, sizeof err);
    if (rc != CUR_OK)
        fail_msg("encoding_to_utf8: %s (%s)", cur_strerror(rc), err);
    assert_non_null(out);
    assert_string_equal(err, "");
    assert_int_equal(out[*out_len], '\0');
    return out;
}

/* Compare out[0..n) with the expected bytes, showing both on failure. */
static void
expect_bytes(const char *out, size_t n, const char *want, size_t want_len)
{
    if (n == want_len && memcmp(out, want, n) == 0)
        return;
    fprintf(stderr, "got  %zu:", n);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %02X", (unsigned char)out[i]);
    fprintf(stderr, "\nwant %zu:", want_len);
    for (size_t i = 0; i < want_len; i++)
        fprintf(stderr, " %02X", (unsigned char)want[i]);
    fprintf(stderr, "\n");
    fail_msg("output differs");
}

/* Convert 'in' and expect exactly 'want'; returns the info. */
static struct encoding_info
expect_conv(const char *in, size_t len, const char *ct, const char *want,
            size_t want_len)
{
    struct encoding_info info;
    size_t n;
    char *out = conv(in, len, ct, &info, &n);
    expect_bytes(out, n, want, want_len);
    free(out);
    return info;
}

/* Expect a refusal with exactly this message. */
static void
expect_refused(const char *in, size_t len, const char *ct, const char *msg)
{
    char err[256] = "";
    char *out = (char *)1;
    size_t n = 99;
    int rc = encoding_to_utf8(in, len, ct, MAX_OUT, &out, &n, NULL, err,
                              sizeof err);
    assert_int_equal(rc, CUR_EENCODING);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_string_equal(err, msg);
}

static void
silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static void
silent_structured(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    (void)e;
}

/* Parse the output as the feed parser does and return the text of the
 * root element (free()), or NULL when libxml2 refuses the document.
 * *other_encoding tells whether libxml2 saw an encoding other than
 * UTF-8. */
static char *
xml_text(const char *out, size_t n, int *other_encoding)
{
    xmlDocPtr doc = xmlReadMemory(out, (int)n, NULL, NULL, XML_PARSE_NONET);
    char *text = NULL;

    if (other_encoding)
        *other_encoding = 0;
    if (doc == NULL)
        return NULL;
    if (other_encoding && doc->encoding
        && strcmp((const char *)doc->encoding, "UTF-8") != 0)
        *other_encoding = 1;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root) {
        xmlChar *c = xmlNodeGetContent(root);
        text = strdup(c ? (const char *)c : "");
        xmlFree(c);
    }
    xmlFreeDoc(doc);
    return text;
}

/* Convert, parse with libxml2, and expect 'want' as the root's text. */
static struct encoding_info
expect_xml_text(const char *in, size_t len, const char *ct, const char *want)
{
    struct encoding_info info;
    size_t n;
    int other;
    char *out = conv(in, len, ct, &info, &n);
    char *text = xml_text(out, n, &other);
    if (text == NULL)
        fail_msg("libxml2 refused: %s", out);
    assert_string_equal(text, want);
    assert_false(other);
    free(text);
    free(out);
    return info;
}

/* UTF-16 (LE or BE) of a valid UTF-8 string, into dst; returns bytes. */
static size_t
to_utf16(const char *utf8, size_t n, int be, unsigned char *dst)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned cp, len;
        if (s[i] < 0x80) {
            cp = s[i];
            len = 1;
        } else if (s[i] < 0xE0) {
            cp = s[i] & 0x1F;
            len = 2;
        } else if (s[i] < 0xF0) {
            cp = s[i] & 0x0F;
            len = 3;
        } else {
            cp = s[i] & 0x07;
            len = 4;
        }
        for (unsigned k = 1; k < len; k++)
            cp = cp << 6 | (s[i + k] & 0x3F);
        i += len;
        unsigned units[2], nu = 1;
        if (cp >= 0x10000) {
            units[0] = 0xD800 | ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 | ((cp - 0x10000) & 0x3FF);
            nu = 2;
        } else {
            units[0] = cp;
        }
        for (unsigned k = 0; k < nu; k++) {
            dst[o++] = (unsigned char)(be ? units[k] >> 8 : units[k] & 0xFF);
            dst[o++] = (unsigned char)(be ? units[k] & 0xFF : units[k] >> 8);
        }
    }
    return o;
}

/* ---- byte order marks ------------------------------------------------ */

static void
test_bom_utf8_beats_declaration_and_header(void **state)
{
    (void)state;
    /* PARSE-8: a UTF-8 BOM with a Latin-1 declaration stores é. */
    static const char in[] = "\xEF\xBB\xBF<?xml version=\"1.0\" "
                             "encoding=\"ISO-8859-1\"?><a>\xC3\xA9</a>";
    static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<a>\xC3\xA9</a>";
    struct encoding_info info = expect_conv(
        LIT(in), "application/rss+xml; charset=windows-1251", LIT(want));
    assert_string_equal(info.name, "UTF-8");
    assert_string_equal(info.source, "bom");
    assert_int_equal(info.invalid_bytes, 0);
    assert_int_equal(info.leading_space, 0);
    expect_xml_text(LIT(in), NULL, "\xC3\xA9");
}

static void
test_bom_utf16(void **state)
{
    (void)state;
    static const char doc[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                              "<a>\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E</a>";
    static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<a>\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E</a>";
    unsigned char in[256];
    for (int be = 0; be <= 1; be++) {
        in[0] = be ? 0xFE : 0xFF;
        in[1] = be ? 0xFF : 0xFE;
        size_t n = 2 + to_utf16(LIT(doc), be, in + 2);
        struct encoding_info info = expect_conv(
            (const char *)in, n, "text/xml; charset=koi8-r", LIT(want));
        assert_string_equal(info.name, be ? "UTF-16BE" : "UTF-16LE");
        assert_string_equal(info.source, "bom");
        info = expect_xml_text((const char *)in, n, NULL,
                               "\xC3\xA9\xE2\x82\xAC\xF0\x9D\x84\x9E");
        assert_int_equal(info.invalid_bytes, 0);
    }
}

static void
test_utf16_sniffed_without_bom(void **state)
{
    (void)state;
    static const char doc[] = "<?xml version='1.0' encoding='UTF-16'?>"
                              "<a>\xD0\x96</a>";
    static const char want[] = "<?xml version='1.0' encoding='UTF-8'?>"
                               "<a>\xD0\x96</a>";
    unsigned char in[256];
    for (int be = 0; be <= 1; be++) {
        size_t n = to_utf16(LIT(doc), be, in);
        struct encoding_info info = expect_conv((const char *)in, n, NULL,
                                                LIT(want));
        assert_string_equal(info.name, be ? "UTF-16BE" : "UTF-16LE");
        assert_string_equal(info.source, "sniffed");
        expect_xml_text((const char *)in, n, NULL, "\xD0\x96");
    }
}

static void
test_utf16_invalid_units(void **state)
{
    (void)state;
    /* A lone low surrogate, a high one before 'A', an odd last byte. */
    static const char in[] = "\xFF\xFE<\0a\0>\0\x00\xDC" "A\0\x3D\xD8"
                             "B\0<\0/\0a\0>\0" "C";
    struct encoding_info info = expect_conv(
        LIT(in), NULL,
        LIT("<a>\xEF\xBF\xBD" "A\xEF\xBF\xBD" "B</a>\xEF\xBF\xBD"));
    assert_int_equal(info.invalid_bytes, 5);
}

/* ---- Content-Type, declaration, default ------------------------------ */

static void
test_content_type_beats_declaration(void **state)
{
    (void)state;
    static const char in[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                             "<a>\xE9</a>";
    static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<a>\xC3\xA9</a>";
    struct encoding_info info = expect_conv(
        LIT(in), "application/rss+xml; charset=\"ISO-8859-1\"", LIT(want));
    assert_string_equal(info.name, "windows-1252");
    assert_string_equal(info.source, "content-type");
    expect_xml_text(LIT(in), "application/rss+xml; charset=\"ISO-8859-1\"",
                    "\xC3\xA9");
}

static void
test_content_type_syntax(void **state)
{
    (void)state;
    /* 0xCF 0xF0 is "Пр" in windows-1251 and "order" in nothing else. */
    static const char in[] = "<?xml version=\"1.0\" encoding=\"koi8-r\"?>"
                             "<a>\xCF\xF0</a>";
    static const char *const cp1251[] = {
        "text/xml;charset=windows-1251",
        "  Application/Atom+XML ; CharSet = \"Windows-1251\" ; x=y",
        "application/xml; foo=\"a;charset=utf-7\"; charset=cp1251",
        "application/xml; charset=\"win\\dows-1251\"",
        "application/x-rss+xml;charset=x-cp1251;charset=utf-7",
        "text/html; charset=\" windows-1251 \"",
        "application/rdf+xml; junk; charset=windows-1251",
    };
    for (size_t i = 0; i < sizeof cp1251 / sizeof cp1251[0]; i++) {
        struct encoding_info info =
            expect_xml_text(LIT(in), cp1251[i], "\xD0\x9F\xD1\x80");
        if (strcmp(info.source, "content-type") != 0)
            fail_msg("'%s' gave %s", cp1251[i], info.source);
        assert_string_equal(info.name, "windows-1251");
    }
    /* Not an XML or text type, or no charset: the declaration decides. */
    static const char *const ignored[] = {
        NULL, "", "application/octet-stream; charset=windows-1251",
        "application/json; charset=utf-7", "application/xml",
        "application/xml; charset=", "application/xml; charset=\"\"",
        "application/xmlfoo; charset=utf-7", "text; charset=utf-7",
        "/xml; charset=utf-7", "application/xml; charset",
    };
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        struct encoding_info info =
            expect_xml_text(LIT(in), ignored[i], "\xD0\xBE\xD0\x9F");
        assert_string_equal(info.source, "xml-declaration");
        assert_string_equal(info.name, "KOI8-R");
    }
}

static void
test_declaration_alone(void **state)
{
    (void)state;
    static const char in[] = "<?xml version='1.0' encoding='windows-1251' "
                             "standalone='yes'?><a>\xCF\xF0\xE8</a>";
    static const char want[] = "<?xml version='1.0' encoding='UTF-8' "
                               "standalone='yes'?><a>\xD0\x9F\xD1\x80\xD0\xB8"
                               "</a>";
    struct encoding_info info = expect_conv(LIT(in), NULL, LIT(want));
    assert_string_equal(info.name, "windows-1251");
    assert_string_equal(info.source, "xml-declaration");
    expect_xml_text(LIT(in), NULL, "\xD0\x9F\xD1\x80\xD0\xB8");

    /* Spaces around '=' and inside the quotes; any case. */
    static const char in2[] = "<?xml version = \"1.0\"\n encoding =\t\" "
                              "Latin1 \"?><a>\xE9</a>";
    static const char want2[] = "<?xml version = \"1.0\"\n encoding =\t"
                                "\"UTF-8\"?><a>\xC3\xA9</a>";
    info = expect_conv(LIT(in2), NULL, LIT(want2));
    assert_string_equal(info.name, "windows-1252");
    expect_xml_text(LIT(in2), NULL, "\xC3\xA9");
}

static void
test_default_utf8(void **state)
{
    (void)state;
    struct encoding_info info =
        expect_conv(LIT("<a>\xC3\xA9</a>"), NULL, LIT("<a>\xC3\xA9</a>"));
    assert_string_equal(info.name, "UTF-8");
    assert_string_equal(info.source, "default");
    info = expect_conv(LIT("<?xml version=\"1.0\"?><a/>"), "text/xml",
                       LIT("<?xml version=\"1.0\"?><a/>"));
    assert_string_equal(info.source, "default");
    info = expect_conv("", 0, NULL, "", 0);
    assert_string_equal(info.source, "default");
    info = expect_conv(NULL, 0, NULL, "", 0);
    assert_string_equal(info.name, "UTF-8");
}

static void
test_declared_utf16_in_ascii_is_utf8(void **state)
{
    (void)state;
    /* Bytes that spell the declaration in ASCII are not UTF-16. */
    static const char in[] = "<?xml version=\"1.0\" encoding=\"utf-16\"?>"
                             "<a>\xC3\xA9</a>";
    struct encoding_info info = expect_xml_text(LIT(in), NULL, "\xC3\xA9");
    assert_string_equal(info.name, "UTF-8");
    assert_string_equal(info.source, "xml-declaration");
}

/* ---- legacy encodings ------------------------------------------------ */

/* Decode body[] declared as 'label' and expect want[] as the text. */
static struct encoding_info
legacy(const char *label, const char *body, size_t body_len,
       const char *want)
{
    char in[512];
    int k = snprintf(in, sizeof in, "<?xml version=\"1.0\" encoding=\"%s\"?>"
                     "<a>", label);
    memcpy(in + k, body, body_len);
    memcpy(in + k + body_len, "</a>", 4);
    return expect_xml_text(in, (size_t)k + body_len + 4, NULL, want);
}

static void
test_latin1_is_windows1252(void **state)
{
    (void)state;
    /* 0x80-0x9F are windows-1252 characters, not C1 controls, except the
     * five holes, which WHATWG maps to the C1 control of the same value. */
    struct encoding_info info =
        legacy("ISO-8859-1", LIT("\x93q\x94 \x80 \xE9 \x81"),
               "\xE2\x80\x9Cq\xE2\x80\x9D \xE2\x82\xAC \xC3\xA9 \xC2\x81");
    assert_string_equal(info.name, "windows-1252");
    assert_int_equal(info.invalid_bytes, 0);
    for (const char *const *l = (const char *const[]){ "us-ascii", "ascii",
             "latin1", "l1", "iso_8859-1:1987", "ANSI_X3.4-1968", "cp819",
             NULL }; *l; l++) {
        info = legacy(*l, LIT("\x93"), "\xE2\x80\x9C");
        assert_string_equal(info.name, "windows-1252");
    }
    /* iso-8859-9 is windows-1254, iso-8859-11 windows-874. */
    info = legacy("iso-8859-9", LIT("\xFD\x80"), "\xC4\xB1\xE2\x82\xAC");
    assert_string_equal(info.name, "windows-1254");
    info = legacy("ISO-8859-11", LIT("\xA1"), "\xE0\xB8\x81");
    assert_string_equal(info.name, "windows-874");
    info = legacy("l9", LIT("\xA4"), "\xE2\x82\xAC");
    assert_string_equal(info.name, "ISO-8859-15");
}

static void
test_single_byte_samples(void **state)
{
    (void)state;
    struct encoding_info info;

    /* "Привет" */
    info = legacy("koi8-r", LIT("\xF0\xD2\xC9\xD7\xC5\xD4"),
                  "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
    assert_string_equal(info.name, "KOI8-R");
    /* KOI8-U: є and ў (WHATWG's table has the Belarusian letters). */
    info = legacy("koi8-u", LIT("\xA4\xAE\xBE"),
                  "\xD1\x94\xD1\x9E\xD0\x8E");
    assert_string_equal(info.name, "KOI8-U");
    info = legacy("IBM866", LIT("\x80\xAF"), "\xD0\x90\xD0\xBF");
    info = legacy("macintosh", LIT("\x8E\xF0"), "\xC3\xA9\xEF\xA3\xBF");
    info = legacy("x-mac-ukrainian", LIT("\x80\xFF"),
                  "\xD0\x90\xE2\x82\xAC");
    assert_string_equal(info.name, "x-mac-cyrillic");
    info = legacy("iso-8859-7", LIT("\xE1\xA4"), "\xCE\xB1\xE2\x82\xAC");
    info = legacy("logical", LIT("\xE0"), "\xD7\x90");
    assert_string_equal(info.name, "ISO-8859-8-I");
    /* glibc holds the last letter of windows-1255 back: it must come out
     * at the end of the input too. */
    expect_conv(LIT("\xF9"), "text/plain; charset=windows-1255",
                LIT("\xD7\xA9"));
    /* Holes in windows-1253: 0xAA has no character, 0x81 is U+0081. */
    info = legacy("windows-1253", LIT("\xAA\x81\xE1"),
                  "\xEF\xBF\xBD\xC2\x81\xCE\xB1");
    assert_int_equal(info.invalid_bytes, 1);
}

static void
test_multi_byte_samples(void **state)
{
    (void)state;
    struct encoding_info info;

    /* 日本 and the half-width katakana ｱ. */
    info = legacy("shift_jis", LIT("\x93\xFA\x96\x7B\xB1"),
                  "\xE6\x97\xA5\xE6\x9C\xAC\xEF\xBD\xB1");
    assert_string_equal(info.name, "Shift_JIS");
    info = legacy("euc-jp", LIT("\xC6\xFC\xCB\xDC\x8E\xB1"),
                  "\xE6\x97\xA5\xE6\x9C\xAC\xEF\xBD\xB1");
    assert_string_equal(info.name, "EUC-JP");
    info = legacy("ISO-2022-JP", LIT("\x1B$B\x46\x7C\x4B\x5C\x1B(B!"),
                  "\xE6\x97\xA5\xE6\x9C\xAC!");
    assert_string_equal(info.name, "ISO-2022-JP");
    /* 中文; GBK labels decode as gb18030, four-byte forms included (ß;
     * U+0080 would read as the euro of Windows-1252, see test_c1). */
    info = legacy("gb2312", LIT("\xD6\xD0\xCE\xC4\x80\x81\x30\x89\x38"),
                  "\xE4\xB8\xAD\xE6\x96\x87\xE2\x82\xAC\xC3\x9F");
    assert_string_equal(info.name, "GBK");
    info = legacy("GB18030", LIT("\xD6\xD0"), "\xE4\xB8\xAD");
    assert_string_equal(info.name, "gb18030");
    info = legacy("big5", LIT("\xA4\xA4\xA4\xE5"), "\xE4\xB8\xAD\xE6\x96\x87");
    assert_string_equal(info.name, "Big5");
    /* 한국 */
    info = legacy("euc-kr", LIT("\xC7\xD1\xB1\xB9"),
                  "\xED\x95\x9C\xEA\xB5\xAD");
    assert_string_equal(info.name, "EUC-KR");
    assert_int_equal(info.invalid_bytes, 0);
}

static void
test_multi_byte_invalid(void **state)
{
    (void)state;
    struct encoding_info info;

    /* A lead byte before a space: U+FFFD, and the space stays. */
    info = legacy("shift_jis", LIT("\x81 x"), "\xEF\xBF\xBD x");
    assert_int_equal(info.invalid_bytes, 1);
    /* A sequence cut off by the end of the document. */
    info = expect_conv(LIT("<a>\xC6"), "text/xml; charset=euc-jp",
                       LIT("<a>\xEF\xBF\xBD"));
    assert_int_equal(info.invalid_bytes, 1);
    info = expect_conv(LIT("<a>\x81\x30\x81"), "text/xml; charset=gb18030",
                       LIT("<a>\xEF\xBF\xBD"));
    assert_int_equal(info.invalid_bytes, 3);
}

/* ---- refused encodings ----------------------------------------------- */

static void
test_refused(void **state)
{
    (void)state;
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"UTF-7\"?><a/>"),
                   NULL, "encoding \"UTF-7\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding='utf-32'?><a/>"),
                   NULL, "encoding \"utf-32\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"UCS-4\"?><a/>"),
                   NULL, "encoding \"UCS-4\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"IBM037\"?><a/>"),
                   NULL, "encoding \"IBM037\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"cp500\"?><a/>"),
                   NULL, "encoding \"cp500\" is not allowed (not a WHATWG "
                   "encoding)");
    /* Not a WHATWG label, although a common name for ISO-8859-15. */
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"latin9\"?><a/>"),
                   NULL, "encoding \"latin9\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<a/>"), "application/xml; charset=x-unknown",
                   "encoding \"x-unknown\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<a/>"), "text/xml; charset=\"UTF-7\"",
                   "encoding \"UTF-7\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"ISO-2022-KR\"?>"),
                   NULL, "encoding \"ISO-2022-KR\" is not allowed (WHATWG "
                   "decodes it as a single U+FFFD)");
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"hz-gb-2312\"?>"),
                   NULL, "encoding \"hz-gb-2312\" is not allowed (WHATWG "
                   "decodes it as a single U+FFFD)");
    expect_refused(LIT("<a/>"), "text/xml; charset=x-user-defined",
                   "encoding \"x-user-defined\" is not allowed (not a text "
                   "encoding)");
    /* A hostile label does not reach the message as it is. */
    expect_refused(LIT("<?xml version=\"1.0\" encoding=\"a\nb\x1B\xC3\xA9"
                       "\"?>"), NULL,
                   "encoding \"a?b???\" is not allowed (not a WHATWG "
                   "encoding)");
    /* Byte order marks and patterns of UTF-32, UTF-7 and EBCDIC. */
    expect_refused(LIT("\xFF\xFE\0\0<\0\0\0"), NULL,
                   "encoding \"UTF-32\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("\0\0\xFE\xFF\0\0\0<"), NULL,
                   "encoding \"UTF-32\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("<\0\0\0?\0\0\0"), NULL,
                   "encoding \"UTF-32\" is not allowed (not a WHATWG "
                   "encoding)");
    expect_refused(LIT("+/v8-<?xml version=\"1.0\"?>"), NULL,
                   "encoding \"UTF-7\" is not allowed (not a WHATWG "
                   "encoding)");
    /* "<?xml version" in IBM037. */
    expect_refused(LIT("\x4C\x6F\xA7\x94\x93\x40\xA5\x85\x99\xA2"), NULL,
                   "encoding \"EBCDIC\" is not allowed (not a WHATWG "
                   "encoding)");
}

/* Where a refused encoding was named. */
static const char *
refused_source(const char *in, size_t len, const char *ct)
{
    struct encoding_info info;
    char *out;
    size_t n;
    assert_int_equal(encoding_to_utf8(in, len, ct, 0, &out, &n, &info, NULL,
                                      0), CUR_EENCODING);
    assert_string_equal(info.name, "");
    return info.source;
}

static void
test_refused_source(void **state)
{
    (void)state;
    assert_string_equal(refused_source(LIT("<?xml version='1.0' encoding="
                                           "'utf-7'?>"), NULL),
                        "xml-declaration");
    assert_string_equal(refused_source(LIT("<a/>"), "text/xml;charset=utf-7"),
                        "content-type");
    assert_string_equal(refused_source(LIT("\xFF\xFE\0\0"), NULL), "bom");
    assert_string_equal(refused_source(LIT("\x4C\x6F\xA7\x94"), NULL),
                        "sniffed");
}

static void
test_label_length(void **state)
{
    (void)state;
    char in[256], label[64];

    memset(label, 'a', 41);
    label[41] = '\0';
    snprintf(in, sizeof in, "<?xml version=\"1.0\" encoding=\"%s\"?>",
             label);
    expect_refused(in, strlen(in), NULL,
                   "encoding label is too long (41 bytes, at most 40)");
    snprintf(in, sizeof in, "text/xml; charset=%s", label);
    expect_refused(LIT("<a/>"), in,
                   "encoding label is too long (41 bytes, at most 40)");
    label[40] = '\0';
    snprintf(in, sizeof in, "<?xml version=\"1.0\" encoding=\"%s\"?>",
             label);
    expect_refused(in, strlen(in), NULL,
                   "encoding \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is "
                   "not allowed (not a WHATWG encoding)");

    /* A megabyte of label in the header or the declaration. */
    size_t big = 1 << 20;
    char *huge = malloc(big + 64);
    assert_non_null(huge);
    memcpy(huge, "text/xml; charset=\"", 19);
    memset(huge + 19, 'x', big);
    strcpy(huge + 19 + big, "\"");
    expect_refused(LIT("<a/>"), huge,
                   "encoding label is too long (1048576 bytes, at most 40)");
    memcpy(huge, "<?xml version='1.0' encoding='", 30);
    memset(huge + 30, 'x', big);
    memcpy(huge + 30 + big, "'?>", 3);
    expect_refused(huge, 30 + big + 3, NULL,
                   "encoding label is too long (1048576 bytes, at most 40)");
    free(huge);
}

/* ---- UTF-8 checks, NUL, leading space -------------------------------- */

static void
test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        size_t in_len, want_len, invalid;
    } cases[] = {
#define C(i, w, n) { i, w, sizeof(i) - 1, sizeof(w) - 1, n }
        C("<a>\x80</a>", "<a>\xEF\xBF\xBD</a>", 1),     /* lone trail */
        C("<a>\xC0\xAF</a>", "<a>\xEF\xBF\xBD\xEF\xBF\xBD</a>", 2),
        C("<a>\xE0\x80\xAF</a>",
          "<a>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</a>", 3),
        C("<a>\xED\xA0\x80</a>",                         /* surrogate */
          "<a>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</a>", 3),
        C("<a>\xF4\x90\x80\x80</a>",                     /* > U+10FFFF */
          "<a>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</a>", 4),
        C("<a>\xF5\x80\xFF</a>",
          "<a>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD</a>", 3),
        C("<a>\xE2\x82" "A</a>", "<a>\xEF\xBF\xBD" "A</a>", 2),
        C("<a>x\xE2\x82", "<a>x\xEF\xBF\xBD", 2),       /* cut at end */
        C("<a>x\xF0\x9F\x92", "<a>x\xEF\xBF\xBD", 3),
        C("<a>\xF0\x9F\x92\xA9\xEF\xBF\xBF</a>",         /* all valid */
          "<a>\xF0\x9F\x92\xA9\xEF\xBF\xBF</a>", 0),
#undef C
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct encoding_info info = expect_conv(
            cases[i].in, cases[i].in_len, NULL, cases[i].want,
            cases[i].want_len);
        if (info.invalid_bytes != cases[i].invalid)
            fail_msg("case %zu: %zu invalid bytes", i, info.invalid_bytes);
    }
}

/* Each kind of sequence after every length of ASCII run from 0 to 40
 * bytes, so that it falls at every place of the 16- and 8-byte paths,
 * and with ASCII after it. */
static void
test_utf8_fast_paths(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
        size_t in_len, want_len, invalid;
    } cases[] = {
#define C(i, w, n) { i, w, sizeof(i) - 1, sizeof(w) - 1, n }
        C("\xC3\xA9", "\xC3\xA9", 0),
        C("\xDF\xBF", "\xDF\xBF", 0),
        C("\xC2\xA0", "\xC2\xA0", 0),
        C("\xC2\x80", "\xE2\x82\xAC", 0),              /* C1 as cp1252 */
        C("\xC2\x81", "\xC2\x81", 0),                  /* none there */
        C("\xE2\x80\x99", "\xE2\x80\x99", 0),
        C("\xE0\xA0\x80", "\xE0\xA0\x80", 0),
        C("\xED\x9F\xBF", "\xED\x9F\xBF", 0),
        C("\xEF\xBF\xBF", "\xEF\xBF\xBF", 0),
        C("\xF0\x9F\x92\xA9", "\xF0\x9F\x92\xA9", 0),
        C("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", 3),
        C("\xE2\x80", "\xEF\xBF\xBD", 2),
        C("\xC3", "\xEF\xBF\xBD", 1),
        C("\x80", "\xEF\xBF\xBD", 1),
        C("\0", "", 0),
#undef C
    };
    char in[128], want[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t run = 0; run <= 40; run++) {
            size_t n = 0, m = 0;
            memcpy(in, "<a>", 3);
            memset(in + 3, 'x', run);
            n = 3 + run;
            memcpy(in + n, cases[i].in, cases[i].in_len);
            n += cases[i].in_len;
            memcpy(in + n, "yyyyyyyyyyyyyyyyyyyy</a>", 24);
            n += 24;
            memcpy(want, in, 3 + run);
            m = 3 + run;
            memcpy(want + m, cases[i].want, cases[i].want_len);
            m += cases[i].want_len;
            memcpy(want + m, "yyyyyyyyyyyyyyyyyyyy</a>", 24);
            m += 24;
            struct encoding_info info = expect_conv(in, n, NULL, want, m);
            if (info.invalid_bytes != cases[i].invalid)
                fail_msg("case %zu after %zu: %zu invalid bytes", i, run,
                         info.invalid_bytes);
        }
    }
}

static void
test_nul_removed(void **state)
{
    (void)state;
    struct encoding_info info =
        expect_conv(LIT("<a>x\0y\0\0</a>\0"), NULL, LIT("<a>xy</a>"));
    assert_int_equal(info.stripped_nul, 4);
    info = expect_conv(LIT("\xFF\xFE<\0a\0>\0\0\0b\0<\0/\0a\0>\0"), NULL,
                       LIT("<a>b</a>"));
    assert_string_equal(info.source, "bom");
    assert_int_equal(info.stripped_nul, 1);
    info = expect_conv(LIT("<a>\0\xE9</a>"), "text/xml; charset=latin1",
                       LIT("<a>\xC3\xA9</a>"));
    assert_int_equal(info.stripped_nul, 1);
    info = expect_xml_text(LIT("\0<?xml version=\"1.0\"?><a>\0ok</a>"), NULL,
                           "ok");
    assert_int_equal(info.stripped_nul, 2);
}

static void
test_leading_space(void **state)
{
    (void)state;
    struct encoding_info info = expect_conv(
        LIT(" \r\n\t<?xml version=\"1.0\"?><a>x</a>"), NULL,
        LIT("<?xml version=\"1.0\"?><a>x</a>"));
    assert_int_equal(info.leading_space, 1);
    /* A stray UTF-8 BOM after a line break, in front of the declaration
     * of a windows-1252 document. */
    static const char in[] = "\n\xEF\xBB\xBF<?xml version=\"1.0\" "
                             "encoding=\"windows-1252\"?><a>\xE9</a>";
    static const char want[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<a>\xC3\xA9</a>";
    info = expect_conv(LIT(in), NULL, LIT(want));
    assert_string_equal(info.source, "xml-declaration");
    assert_int_equal(info.leading_space, 1);
    expect_xml_text(LIT(in), NULL, "\xC3\xA9");
    /* After a real BOM, and in UTF-16. A stray U+FEFF is a repair; white
     * space alone before other markup goes too, but libxml2 would have
     * taken it, so it is not reported. */
    info = expect_conv(LIT("\xEF\xBB\xBF\n\xEF\xBB\xBF <a/>"), NULL,
                       LIT("<a/>"));
    assert_int_equal(info.leading_space, 1);
    info = expect_conv(LIT("\xFF\xFE \0\n\0<\0?\0x\0m\0l\0 \0?\0>\0"),
                       NULL, LIT("<?xml ?>"));
    assert_int_equal(info.leading_space, 1);
    info = expect_conv(LIT("\xFF\xFE \0\n\0<\0a\0/\0>\0"), NULL,
                       LIT("<a/>"));
    assert_int_equal(info.leading_space, 0);
    info = expect_conv(LIT("\n\t<a/>"), NULL, LIT("<a/>"));
    assert_int_equal(info.leading_space, 0);
    info = expect_conv(LIT("<a> x </a>"), NULL, LIT("<a> x </a>"));
    assert_int_equal(info.leading_space, 0);
}

/* ---- the declaration after conversion -------------------------------- */

static void
test_declaration_rewritten_for_libxml2(void **state)
{
    (void)state;
    char big[4096];

    /* Without the rewrite libxml2 would read these bytes as Latin-1, or
     * refuse the declaration. */
    expect_xml_text(LIT("<?xml version=\"1.0\" encoding=\"koi8-r\"?>"
                        "<a>\xF0</a>"), NULL, "\xD0\x9F");
    expect_xml_text(LIT("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                        "<a>\xC3\xA9</a>"), "text/xml; charset=utf-8",
                    "\xC3\xA9");
    expect_xml_text(LIT("<?xml version=\"1.0\" encoding=\"UTF-7\"?>"
                        "<a>+AGEAYgBj-</a>"), "text/xml; charset=utf-8",
                    "+AGEAYgBj-");
    /* A label over 40 bytes under a BOM is just rewritten. */
    int k = snprintf(big, sizeof big, "\xEF\xBB\xBF<?xml version=\"1.0\" "
                     "encoding=\"%0100d\"?><a>ok</a>", 0);
    expect_xml_text(big, (size_t)k, NULL, "ok");
    /* Two encodings (libxml2 refuses it, but neither survives). */
    struct encoding_info info = expect_conv(
        LIT("<?xml version=\"1.0\" encoding=\"koi8-r\" encoding='utf-7'?>"),
        NULL, LIT("<?xml version=\"1.0\" encoding=\"UTF-8\" "
                  "encoding='UTF-8'?>"));
    assert_string_equal(info.name, "KOI8-R");
    /* A stylesheet PI is not a declaration. */
    static const char pi[] = "<?xml-stylesheet href='s' encoding='utf-7'?>"
                             "<a/>";
    info = expect_conv(LIT(pi), NULL, LIT(pi));
    assert_string_equal(info.source, "default");
}

static void
test_hostile_declarations(void **state)
{
    (void)state;
    static const char *const same[] = {
        "<?xml",
        "<?xml ",
        "<?xml version=\"1.0\" encoding=\"ISO-8859",
        "<?xml version=\"1.0\" encoding=",
        "<?xml version=\"1.0\" encoding",
        "<?xml version=\"1.0\"?",
        "<?xml version=\"1.0 encoding=\"koi8-r\"?><a/>",
        "<?xml =\"1\" encoding=\"koi8-r\"?><a/>",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct encoding_info info = expect_conv(
            same[i], strlen(same[i]), NULL, same[i], strlen(same[i]));
        assert_string_equal(info.source, "default");
    }
    /* An empty label counts as none, and is rewritten all the same. */
    struct encoding_info info = expect_conv(
        LIT("<?xml version=\"1.0\" encoding=\"\"?><a/>"), NULL,
        LIT("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>"));
    assert_string_equal(info.source, "default");
    /* Quotes missing: not a declaration libxml2 accepts, so it stays,
     * the bytes are read as UTF-8 and libxml2 refuses the document. */
    static const char noq[] = "<?xml version=\"1.0\" encoding=ISO-8859-1?>"
                              "<a>\xE9</a>";
    static const char noq_want[] = "<?xml version=\"1.0\" encoding="
                                   "ISO-8859-1?><a>\xEF\xBF\xBD</a>";
    size_t n;
    char *out = conv(LIT(noq), NULL, NULL, &n);
    expect_bytes(out, n, LIT(noq_want));
    assert_null(xml_text(out, n, NULL));
    free(out);
}

/* ---- limits and arguments -------------------------------------------- */

static void
test_max_out(void **state)
{
    (void)state;
    char err[128], *out;
    size_t n;

    /* 8 bytes in, 9 out. */
    assert_int_equal(encoding_to_utf8(LIT("<a>\xE9</a>"),
                                      "text/xml; charset=latin1", 9, &out,
                                      &n, NULL, err, sizeof err), CUR_OK);
    assert_int_equal(n, 9);
    free(out);
    out = (char *)1;
    assert_int_equal(encoding_to_utf8(LIT("<a>\xE9</a>"),
                                      "text/xml; charset=latin1", 8, &out,
                                      &n, NULL, err, sizeof err),
                     CUR_ETOOBIG);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_string_equal(err, "document is over 8 bytes in UTF-8");

    /* The rewritten declaration counts: "l1" becomes "UTF-8". */
    static const char in[] = "<?xml version=\"1.0\" encoding=\"l1\"?><a/>";
    size_t want = sizeof in - 1 + 3;
    assert_int_equal(encoding_to_utf8(LIT(in), NULL, want - 1, &out, &n,
                                      NULL, err, sizeof err), CUR_ETOOBIG);
    assert_null(out);
    assert_int_equal(encoding_to_utf8(LIT(in), NULL, want, &out, &n, NULL,
                                      err, sizeof err), CUR_OK);
    assert_int_equal(n, want);
    free(out);

    /* UTF-16 of a megabyte of text against a 1 MiB cap. */
    size_t big = 1 << 20;
    char *u16 = malloc(2 * big + 2);
    assert_non_null(u16);
    u16[0] = '\xFF';
    u16[1] = '\xFE';
    for (size_t i = 0; i < big; i++) {
        u16[2 + 2 * i] = 'x';
        u16[3 + 2 * i] = 0;
    }
    assert_int_equal(encoding_to_utf8(u16, 2 * big + 2, NULL, big, &out, &n,
                                      NULL, err, sizeof err), CUR_OK);
    assert_int_equal(n, big);
    free(out);
    assert_int_equal(encoding_to_utf8(u16, 2 * big + 2, NULL, big - 1, &out,
                                      &n, NULL, err, sizeof err),
                     CUR_ETOOBIG);
    assert_null(out);
    /* Valid UTF-8 with a 0 cap: no limit. */
    assert_int_equal(encoding_to_utf8(u16 + 2, big, NULL, 0, &out, &n, NULL,
                                      NULL, 0), CUR_OK);
    free(u16);
    free(out);
}

static void
test_arguments(void **state)
{
    (void)state;
    char *out = (char *)1, err[64];
    size_t n;

    assert_int_equal(encoding_to_utf8(NULL, 3, NULL, 0, &out, &n, NULL, err,
                                      sizeof err), CUR_EINVAL);
    assert_null(out);
    assert_int_equal(encoding_to_utf8("a", 1, NULL, 0, NULL, &n, NULL, NULL,
                                      0), CUR_EINVAL);
    assert_int_equal(encoding_to_utf8("a", 1, NULL, 0, &out, NULL, NULL, NULL,
                                      0), CUR_EINVAL);
    assert_string_not_equal(cur_strerror(CUR_EENCODING), "unknown error");
}

/* ---- random input ---------------------------------------------------- */

static const char *const random_labels[] = {
    "utf-8", "UTF-16", "utf-16be", "windows-1252", "latin1", "koi8-r",
    "shift_jis", "euc-jp", "iso-2022-jp", "gbk", "gb18030", "big5",
    "euc-kr", "windows-1255", "windows-1258", "x-mac-cyrillic", "ibm866",
    "macintosh", "iso-8859-8-i", "utf-7", "utf-32", "", "  ", "x",
};

static unsigned char
random_byte(void)
{
    /* Mostly markup and high bytes, some NUL and ASCII. */
    static const char markup[] = "<?>/=\"' \n\r\t\x1B$(B";
    int r = rand() % 8;
    if (r == 0)
        return 0;
    if (r == 1)
        return (unsigned char)markup[rand() % (int)(sizeof markup - 1)];
    if (r < 5)
        return (unsigned char)(0x80 + rand() % 128);
    return (unsigned char)(rand() % 256);
}

static void
test_random_output_is_utf8(void **state)
{
    (void)state;
    unsigned char in[1024];
    char ct[128], err[256];
    int n_ok = 0, n_refused = 0, n_big = 0;

    srand(1);
    for (int iter = 0; iter < 1000; iter++) {
        size_t len = 0;
        const char *label = random_labels[rand() % (int)(sizeof random_labels
                                          / sizeof random_labels[0])];
        switch (rand() % 8) {
        case 0: memcpy(in, "\xEF\xBB\xBF", 3); len = 3; break;
        case 1: memcpy(in, "\xFF\xFE", 2); len = 2; break;
        case 2: memcpy(in, "\xFE\xFF", 2); len = 2; break;
        case 3: memcpy(in, "<\0?\0", 4); len = 4; break;
        case 4:
        case 5:
            len = (size_t)snprintf((char *)in, 200, "%s<?xml version=\"1.0\" "
                                   "encoding=\"%s\"?>",
                                   rand() % 2 ? "" : "\n \xEF\xBB\xBF",
                                   label);
            break;
        default: break;
        }
        size_t body = (size_t)(rand() % 600);
        for (size_t i = 0; i < body; i++)
            in[len++] = random_byte();
        /* Sometimes cut anywhere, even inside the declaration. */
        if (rand() % 4 == 0 && len > 0)
            len = (size_t)rand() % len;

        const char *ctp = NULL;
        switch (rand() % 4) {
        case 0:
            snprintf(ct, sizeof ct, "application/rss+xml; charset=\"%s\"",
                     random_labels[rand() % (int)(sizeof random_labels
                                                / sizeof random_labels[0])]);
            ctp = ct;
            break;
        case 1:
            for (int i = 0; i < 40; i++)
                ct[i] = (char)(1 + rand() % 255);
            ct[40] = '\0';
            ctp = ct;
            break;
        default:
            break;
        }
        size_t max_out = rand() % 4 == 0 ? (size_t)(rand() % 800) : 0;

        char *out = (char *)1;
        size_t n = 7;
        struct encoding_info info;
        int rc = encoding_to_utf8((const char *)in, len, ctp, max_out, &out,
                                  &n, &info, err, sizeof err);
        if (rc == CUR_EENCODING || rc == CUR_ETOOBIG) {
            assert_null(out);
            assert_int_equal(n, 0);
            assert_true(err[0] != '\0');
            for (const char *c = err; *c; c++)
                assert_true(*c >= ' ' && *c < 0x7f);
            if (rc == CUR_EENCODING)
                n_refused++;
            else
                n_big++;
            continue;
        }
        if (rc != CUR_OK)
            fail_msg("iteration %d: %s (%s)", iter, cur_strerror(rc), err);
        n_ok++;
        assert_non_null(out);
        assert_int_equal(out[n], '\0');
        if (!t_utf8_valid((const unsigned char *)out, n))
            fail_msg("iteration %d: output is not UTF-8", iter);
        if (max_out > 0)
            assert_true(n <= max_out);
        assert_non_null(info.source);
        assert_true(n == 0 || (out[0] != ' ' && out[0] != '\n'
                               && memcmp(out, "\xEF\xBB\xBF", 3) != 0));
        /* libxml2 either refuses the output or reads it as UTF-8. */
        int other;
        char *text = xml_text(out, n, &other);
        assert_false(other);
        if (text)
            assert_true(t_utf8_valid((const unsigned char *)text,
                                   strlen(text)));
        free(text);
        free(out);
    }
    /* The mix reached every outcome. */
    assert_true(n_ok > 300);
    assert_true(n_refused > 20);
    assert_true(n_big > 20);
}

/* Random text in single-byte encodings where every byte is defined:
 * libxml2 must parse the output and see exactly the converted text. */
static void
test_random_single_byte_end_to_end(void **state)
{
    (void)state;
    static const char *const labels[] = {
        "windows-1252", "koi8-r", "ibm866", "windows-1251", "iso-8859-5",
        "koi8-u", "windows-1256",
    };
    char in[512];
    srand(1);
    for (int iter = 0; iter < 200; iter++) {
        const char *label = labels[iter % (int)(sizeof labels
                                               / sizeof labels[0])];
        int k = snprintf(in, sizeof in, "<?xml version=\"1.0\" encoding=\"%s\""
                         "?><a>", label);
        size_t start = (size_t)k;
        /* Text starts with a letter: leading white space would go. */
        in[k++] = 'x';
        for (int i = 0; i < 200; i++) {
            unsigned char c = (unsigned char)(rand() % 256);
            if (c < 0x20 || c == '<' || c == '&' || c == ']' || c == 0x7F)
                c = 'x';
            in[k++] = (char)c;
        }
        size_t end = (size_t)k;
        memcpy(in + k, "</a>", 4);
        k += 4;

        /* The expected text: the body alone, converted the same way. */
        char ctype[64], *body;
        size_t body_len;
        snprintf(ctype, sizeof ctype, "text/plain; charset=%s", label);
        body = conv(in + start, end - start, ctype, NULL, &body_len);
        struct encoding_info info = expect_xml_text(in, (size_t)k, NULL,
                                                    body);
        assert_int_equal(info.invalid_bytes, 0);
        free(body);
    }
}

/* ---- encoding_detect() ----------------------------------------------- */

/* Detect or fail the test. */
static struct encoding_info
detect(const char *in, size_t len, const char *ct)
{
    struct encoding_info info;
    char err[256] = "unset";
    int rc = encoding_detect(in, len, ct, &info, err, sizeof err);
    if (rc != CUR_OK)
        fail_msg("encoding_detect: %s (%s)", cur_strerror(rc), err);
    assert_string_equal(err, "");
    return info;
}

static void
test_detect(void **state)
{
    (void)state;
    struct encoding_info info;
    char err[128];

    /* skip: the byte order mark, then white space and stray UTF-8 BOMs
     * in front of "<?xml". */
    info = detect(LIT("\xEF\xBB\xBF \n<?xml version=\"1.0\"?><a/>"), NULL);
    assert_string_equal(info.name, "UTF-8");
    assert_string_equal(info.source, "bom");
    assert_int_equal(info.skip, 5);
    assert_int_equal(info.leading_space, 1);
    assert_string_equal(info.mismatch, "");
    info = detect(LIT("\n\xEF\xBB\xBF<?xml version=\"1.0\" "
                      "encoding=\"windows-1252\"?><a/>"), NULL);
    assert_string_equal(info.name, "windows-1252");
    assert_string_equal(info.source, "xml-declaration");
    assert_int_equal(info.skip, 4);
    assert_int_equal(info.leading_space, 1);
    /* Space before other markup is left to the decoder, which drops it:
     * no repair, as libxml2 takes it; a stray U+FEFF is one. */
    info = detect(LIT("\r\n<rss/>"), NULL);
    assert_string_equal(info.source, "default");
    assert_int_equal(info.skip, 0);
    assert_int_equal(info.leading_space, 0);
    info = detect(LIT("\xEF\xBB\xBF\r\n\xEF\xBB\xBF<rss/>"), NULL);
    assert_int_equal(info.skip, 3);
    assert_int_equal(info.leading_space, 1);
    info = detect(LIT("<rss/>"), NULL);
    assert_int_equal(info.skip, 0);
    assert_int_equal(info.leading_space, 0);
    /* UTF-16: the byte order mark only. */
    info = detect(LIT("\xFE\xFF\0 \0<\0?\0x\0m\0l\0 "), NULL);
    assert_string_equal(info.name, "UTF-16BE");
    assert_int_equal(info.skip, 2);
    assert_int_equal(info.leading_space, 1);
    info = detect(LIT("\xFE\xFF\0 \0<\0a"), NULL);
    assert_int_equal(info.skip, 2);
    assert_int_equal(info.leading_space, 0);
    info = detect(LIT("<\0?\0x\0m\0l\0"), "text/xml");
    assert_string_equal(info.name, "UTF-16LE");
    assert_string_equal(info.source, "sniffed");
    assert_int_equal(info.skip, 0);
    assert_int_equal(info.leading_space, 0);
    info = detect(LIT("<a/>"), "application/atom+xml; charset=KOI8-U");
    assert_string_equal(info.name, "KOI8-U");
    assert_string_equal(info.source, "content-type");
    assert_int_equal(info.invalid_bytes, 0);
    assert_int_equal(info.stripped_nul, 0);
    info = detect(NULL, 0, NULL);
    assert_string_equal(info.name, "UTF-8");

    /* A refusal keeps where it came from. */
    assert_int_equal(encoding_detect(LIT("<?xml version='1.0' encoding="
                                         "'utf-7'?>"), NULL, &info, err,
                                     sizeof err), CUR_EENCODING);
    assert_string_equal(err, "encoding \"utf-7\" is not allowed (not a "
                        "WHATWG encoding)");
    assert_string_equal(info.name, "");
    assert_string_equal(info.source, "xml-declaration");
    assert_int_equal(info.skip, 0);
    assert_int_equal(encoding_detect(NULL, 1, NULL, &info, err, sizeof err),
                     CUR_EINVAL);
    assert_int_equal(encoding_detect("a", 1, NULL, NULL, NULL, 0),
                     CUR_EINVAL);
}

/* The mismatch note for 'in' under 'ct'. */
static const char *
mismatch(const char *in, size_t len, const char *ct)
{
    static struct encoding_info info;
    info = detect(in, len, ct);
    return info.mismatch;
}

static void
test_detect_mismatch(void **state)
{
    (void)state;
    unsigned char u16[256];
    static const char decl[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\""
                               "?><a/>";
    static const char decl16[] = "<?xml version='1.0' encoding='UTF-16'?>";

    assert_string_equal(mismatch(LIT("\xEF\xBB\xBF<?xml version=\"1.0\" "
                                     "encoding=\"ISO-8859-1\"?>"), NULL),
                        "document declares ISO-8859-1 but the byte order "
                        "mark says UTF-8; used UTF-8");
    assert_string_equal(mismatch(LIT("<?xml version='1.0' encoding="
                                     "'koi8-r'?>"),
                                 "text/xml; charset=windows-1251"),
                        "document declares koi8-r but the HTTP header says "
                        "windows-1251; used windows-1251");
    /* Refused and unknown labels are noted too, in printable ASCII. */
    assert_string_equal(mismatch(LIT("<?xml version='1.0' encoding="
                                     "'utf-7\x1B'?>"),
                                 "text/xml; charset=utf-8"),
                        "document declares utf-7? but the HTTP header says "
                        "UTF-8; used UTF-8");
    /* Two labels of one encoding agree, and so do a UTF-8 BOM and UTF-16
     * declared in ASCII; no declaration or an empty label says nothing,
     * and neither does a declaration that decided alone. */
    assert_string_equal(mismatch(LIT("<?xml version='1.0' encoding="
                                     "'latin1'?>"),
                                 "text/xml; charset=windows-1252"), "");
    assert_string_equal(mismatch(LIT("\xEF\xBB\xBF<?xml version='1.0' "
                                     "encoding='utf-16'?>"), NULL), "");
    assert_string_equal(mismatch(LIT("\xEF\xBB\xBF<a/>"), NULL), "");
    assert_string_equal(mismatch(LIT("<?xml version='1.0' encoding=''?>"),
                                 "text/xml; charset=utf-8"), "");
    assert_string_equal(mismatch(LIT("<?xml version='1.0' encoding="
                                     "'koi8-r'?>"), NULL), "");
    /* Under a UTF-16 byte order mark the declaration is read in UTF-16. */
    for (int be = 0; be <= 1; be++) {
        u16[0] = be ? 0xFE : 0xFF;
        u16[1] = be ? 0xFF : 0xFE;
        size_t n = 2 + to_utf16(LIT(decl), be, u16 + 2);
        assert_string_equal(mismatch((const char *)u16, n, NULL),
                            be ? "document declares ISO-8859-1 but the byte "
                                 "order mark says UTF-16BE; used UTF-16BE"
                               : "document declares ISO-8859-1 but the byte "
                                 "order mark says UTF-16LE; used UTF-16LE");
        n = 2 + to_utf16(LIT(decl16), be, u16 + 2);
        assert_string_equal(mismatch((const char *)u16, n, NULL), "");
    }
}

/* ---- streaming ------------------------------------------------------- */

/* Decode 'in' as the parser does: encoding_detect(), then one decoder
 * from byte info.skip on, in chunks of 'step' bytes (0: random sizes
 * from 1 to 13), with 'last' on the final chunk, or on an empty push
 * after it when 'last_alone'. Returns the output (free()) of *out_len
 * bytes, and the counts in *info. */
static char *
stream(const char *in, size_t len, const char *ct, size_t step,
       int last_alone, struct encoding_info *info, size_t *out_len)
{
    struct encoding_decoder *d;
    struct buf b;
    char *out;

    *info = detect(in, len, ct);
    d = encoding_decoder_new(info->name);
    if (d == NULL)
        fail_msg("no decoder for %s", info->name);
    buf_init(&b, 0);
    for (size_t i = info->skip; i < len;) {
        size_t k = step ? step : 1 + (size_t)(rand() % 13);
        if (k > len - i)
            k = len - i;
        assert_int_equal(encoding_decoder_push(d, in + i, k,
                                               !last_alone && i + k == len,
                                               &b, &info->invalid_bytes),
                         CUR_OK);
        i += k;
    }
    if (last_alone || info->skip >= len)
        assert_int_equal(encoding_decoder_push(d, NULL, 0, 1, &b,
                                               &info->invalid_bytes),
                         CUR_OK);
    encoding_decoder_report(d, info);
    encoding_decoder_free(d);
    *out_len = b.len;
    out = buf_steal(&b);
    assert_non_null(out);
    return out;
}

/* The output and counts of 'in' decoded whole must come out the same in
 * chunks of 1, 2, 3 and 7 bytes and of random sizes. */
static void
expect_stream_same(const char *in, size_t len, const char *ct)
{
    static const size_t steps[] = { 1, 2, 3, 7, 0, 0, 0, 0, 0 };
    struct encoding_info whole, info;
    size_t n, m;
    char *want = conv(in, len, ct, &whole, &n);

    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        for (int alone = 0; alone <= 1; alone++) {
            char *got = stream(in, len, ct, steps[s], alone, &info, &m);
            if (m != n || memcmp(got, want, n) != 0
                || info.invalid_bytes != whole.invalid_bytes
                || info.stripped_nul != whole.stripped_nul
                || info.leading_space != whole.leading_space) {
                fprintf(stderr, "%s in chunks of %zu%s: invalid %zu, whole "
                        "%zu; NUL %zu, whole %zu; leading %d, whole %d\n",
                        whole.name, steps[s], alone ? ", last alone" : "",
                        info.invalid_bytes, whole.invalid_bytes,
                        info.stripped_nul, whole.stripped_nul,
                        info.leading_space, whole.leading_space);
                expect_bytes(got, m, want, n);
                fail_msg("counts differ");
            }
            free(got);
        }
    }
    free(want);
}

/* Append s[0..n) to doc (of 'size' bytes) at *k. */
static void
add(char *doc, size_t size, size_t *k, const char *s, size_t n)
{
    assert_true(n <= size - *k);
    memcpy(doc + *k, s, n);
    *k += n;
}

static void
test_stream_utf8(void **state)
{
    (void)state;
    char doc[8192];
    size_t k = 0;

    srand(7);
    /* Leading space and BOMs, a declaration, runs of ASCII long enough
     * for the eight-byte path, sequences of every length, invalid ones
     * of every kind, U+0000, and a sequence cut off at the end. */
    add(doc, sizeof doc, &k, LIT(" \n\xEF\xBB\xBF<?xml version=\"1.0\" "
                                 "encoding=\"utf-8\"?>\n<a>"));
    for (int r = 0; r < 30; r++) {
        add(doc, sizeof doc, &k, LIT("plain ASCII text, long enough for "
                                     "the eight-byte path; "));
        add(doc, sizeof doc, &k, LIT("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92"
                                     "\xA9 \xEF\xBB\xBF\xD0\x96"));
    }
    add(doc, sizeof doc, &k, LIT("\0x\0\xC0\xAF \xE2\x82" "A \xED\xA0\x80 "
                                 "\xF4\x90\x80\x80 \xF5\x80\xFF \x80 \xE0"
                                 "\x80\xAF \xF0\x9F\xE2\x82\xAC</a>\xF0\x9F"
                                 "\x92"));
    expect_stream_same(doc, k, NULL);
    /* A BOM without a declaration, and text that ends cut off. */
    expect_stream_same(LIT("\xEF\xBB\xBF\xEF\xBB\xBF <a>\xE6\x97\xA5\xE6\x9C"
                           "\xAC</a>\xE6\x97"), "text/xml; charset=utf-8");
    /* Nothing but what the start drops. */
    expect_stream_same(LIT(" \xEF\xBB\xBF\0\n"), NULL);
    expect_stream_same("", 0, NULL);
}

/* Append the UTF-16 code unit u to in at *n. */
static void
unit16(unsigned char *in, size_t *n, int be, unsigned u)
{
    in[(*n)++] = (unsigned char)(be ? u >> 8 : u & 0xFF);
    in[(*n)++] = (unsigned char)(be ? u & 0xFF : u >> 8);
}

static void
test_stream_utf16(void **state)
{
    (void)state;
    static const char text[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
                               "\n<a>caf\xC3\xA9 \xF0\x9D\x84\x9E\xF0\x9F"
                               "\x92\xA9 \xE2\x82\xAC x</a>";
    unsigned char in[1024];

    srand(16);
    for (int be = 0; be <= 1; be++) {
        for (int bom = 0; bom <= 1; bom++) {
            size_t n = 0;
            if (bom)
                unit16(in, &n, be, 0xFEFF);
            n += to_utf16(LIT(text), be, in + n);
            struct encoding_info info = detect((const char *)in, n, NULL);
            assert_string_equal(info.name, be ? "UTF-16BE" : "UTF-16LE");
            assert_string_equal(info.source, bom ? "bom" : "sniffed");
            expect_stream_same((const char *)in, n, NULL);
            expect_xml_text((const char *)in, n, NULL,
                            "caf\xC3\xA9 \xF0\x9D\x84\x9E\xF0\x9F\x92\xA9 "
                            "\xE2\x82\xAC x");
            /* Then a lone low surrogate, a high one before 'B', U+0000,
             * a pair, and a high surrogate and an odd byte at the end. */
            unit16(in, &n, be, 0xDC00);
            unit16(in, &n, be, 0xD83D);
            unit16(in, &n, be, 'B');
            unit16(in, &n, be, 0);
            unit16(in, &n, be, 0xD834);
            unit16(in, &n, be, 0xDD1E);
            unit16(in, &n, be, 0xD834);
            in[n++] = 'C';
            expect_stream_same((const char *)in, n, NULL);
            /* White space first: dropped, under a BOM or a header. */
            n = 0;
            if (bom)
                unit16(in, &n, be, 0xFEFF);
            unit16(in, &n, be, ' ');
            unit16(in, &n, be, 0xFEFF);
            n += to_utf16(LIT("\n<a>\xF0\x9D\x84\x9E</a>"), be, in + n);
            expect_stream_same((const char *)in, n,
                               bom ? NULL : be ? "text/xml; charset=utf-16be"
                                               : "text/xml; charset=utf-16");
        }
    }
}

static void
test_stream_legacy(void **state)
{
    (void)state;
    static const struct {
        const char *label, *body, *tail;
        size_t body_len, tail_len;
    } docs[] = {
#define D(l, b, t) { l, b, t, sizeof(b) - 1, sizeof(t) - 1 }
        D("windows-1252", "\x93q\x94 \x80 \xE9 \x81\x8D\x8F\x90\x9D caf\xE9",
          "\xE9"),
        D("shift_jis", "\x93\xFA\x96\x7B\xB1 \x81 x \x82\xA0\x82\xA2 \xFF"
          "\x80\xA0 \x81\x7F", "\x93"),
        D("euc-jp", "\xC6\xFC\xCB\xDC\x8E\xB1\x8F\xB0\xA1 \xC6 x \x8E",
          "\x8F\xB0"),
        D("iso-2022-jp", "\x1B$B\x46\x7C\x4B\x5C\x1B(B! \x1B(J\x5C~\x1B(B "
          "\x1B$B\x46\x7C\x1B(I\x31\x1B(B", "\x1B$B\x46"),
        D("gb18030", "\xD6\xD0\xCE\xC4\x80\x81\x30\x81\x30\x95\x32\x82\x36 "
          "\x81 x \xFF \x84\x31\xA4\x39", "\x81\x30\x81"),
        D("gb2312", "\xD6\xD0\xCE\xC4\x80", "\x81"),
        D("big5", "\xA4\xA4\xA4\xE5\x88\x62\x88\x64\x88\x66\x88\x66\xA4 x "
          "\x80 \x88\x66", "\xA4"),
        D("windows-1258", "Vi\xD2\xAAt Nam a\xEC e\xDE o\xD2\xF5\xEC \xD2",
          "a"),
        D("windows-1255", "\xF9\xD1\xE5\xC4 \xCA \xF9\xD1", "\xF9"),
        D("koi8-u", "\xA4\xAE\xBE\xF0\xD2\xAE", "\xBE"),
        D("macintosh", "\x8E\xF0\xF0\x8E", "\xF0"),
        D("x-mac-cyrillic", "\x80\xFF", "\xFF"),
        D("euc-kr", "\xC7\xD1\xB1\xB9 \xC7 x", "\xC7"),
        D("windows-1253", "\xAA\x81\xE1", "\xAA"),
        D("ISO-8859-8-I", "\xE0\xFA", "\xFF"),
#undef D
    };
    char in[512], ct[64];

    srand(1252);
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        size_t k = (size_t)snprintf(in, sizeof in, "\n<?xml version=\"1.0\" "
                                    "encoding=\"%s\"?><a>", docs[i].label);
        add(in, sizeof in, &k, docs[i].body, docs[i].body_len);
        add(in, sizeof in, &k, LIT("</a>"));
        expect_stream_same(in, k, NULL);
        add(in, sizeof in, &k, docs[i].tail, docs[i].tail_len);
        expect_stream_same(in, k, NULL);
        /* The same named by the header alone. */
        snprintf(ct, sizeof ct, "text/xml; charset=%s", docs[i].label);
        k = 0;
        add(in, sizeof in, &k, LIT("<a>"));
        add(in, sizeof in, &k, docs[i].body, docs[i].body_len);
        add(in, sizeof in, &k, docs[i].tail, docs[i].tail_len);
        expect_stream_same(in, k, ct);
    }
}

/* Push s (a string) and expect the buffer to hold 'want' after it. */
static void
push_expect(struct encoding_decoder *d, const char *s, int last,
            struct buf *b, const char *want)
{
    size_t bad = 0;
    assert_int_equal(encoding_decoder_push(d, s, strlen(s), last, b, &bad),
                     CUR_OK);
    expect_bytes(b->data ? b->data : "", b->len, want, strlen(want));
}

static void
test_stream_declaration_split(void **state)
{
    (void)state;
    struct encoding_decoder *d = encoding_decoder_new("KOI8-R");
    struct buf b;

    /* Held back until the declaration ends, then out rewritten. */
    buf_init(&b, 0);
    assert_non_null(d);
    push_expect(d, "\n <?x", 0, &b, "");
    push_expect(d, "ml version=\"1.0\" enc", 0, &b, "");
    push_expect(d, "oding=\"koi8-r\"", 0, &b, "");
    push_expect(d, " standalone='yes'", 0, &b, "");
    push_expect(d, "?", 0, &b, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
                "standalone='yes'?");
    push_expect(d, "><a>\xF0</a>", 1, &b, "<?xml version=\"1.0\" encoding="
                "\"UTF-8\" standalone='yes'?><a>\xD0\x9F</a>");
    char *text = xml_text(b.data, b.len, NULL);
    assert_non_null(text);
    assert_string_equal(text, "\xD0\x9F");
    free(text);
    buf_free(&b);
    encoding_decoder_free(d);

    /* No declaration: out at the first byte that tells. */
    d = encoding_decoder_new("UTF-8");
    assert_non_null(d);
    push_expect(d, "\xEF\xBB", 0, &b, "");
    push_expect(d, "\xBF <", 0, &b, "");
    push_expect(d, "r", 0, &b, "<r");
    push_expect(d, "ss>", 1, &b, "<rss>");
    buf_free(&b);
    encoding_decoder_free(d);
    d = encoding_decoder_new("UTF-8");
    push_expect(d, "<?xm", 0, &b, "");
    push_expect(d, "l-stylesheet", 0, &b, "<?xml-stylesheet");
    buf_free(&b);
    encoding_decoder_free(d);
    /* A declaration cut off by the end goes out as it is. */
    d = encoding_decoder_new("UTF-8");
    push_expect(d, "<?xml version='1.0' encoding='koi8-r' ", 0, &b, "");
    push_expect(d, "", 1, &b, "<?xml version='1.0' encoding='UTF-8' ");
    buf_free(&b);
    encoding_decoder_free(d);

    /* And split at every byte, in every encoding of test_stream_*. */
    expect_stream_same(LIT("<?xml version = '1.0' encoding = 'koi8-r' "
                           "encoding='l1' ?><a>\xF0</a>"), NULL);
}

static void
test_stream_declaration_too_long(void **state)
{
    (void)state;
    char in[8192];
    int k;

    srand(4096);
    /* Too long to hold: dropped up to its "?>". */
    k = snprintf(in, sizeof in, "<?xml version=\"1.0\"%*s encoding=\"koi8-r\""
                 "?><a>\xF0</a>", 5000, "");
    struct encoding_info info = expect_conv(in, (size_t)k, NULL,
                                            LIT("<a>\xD0\x9F</a>"));
    assert_string_equal(info.name, "KOI8-R");
    expect_xml_text(in, (size_t)k, NULL, "\xD0\x9F");
    expect_stream_same(in, (size_t)k, NULL);
    /* The limit falls between the '?' and the '>'. */
    k = snprintf(in, sizeof in, "<?xml version='1.0%*s?><a>x</a>",
                 ENCODING_DECL_MAX - 19, "");
    assert_int_equal(in[ENCODING_DECL_MAX - 1], '?');
    expect_conv(in, (size_t)k, NULL, LIT("<a>x</a>"));
    expect_stream_same(in, (size_t)k, NULL);
    /* Never closed: all of it goes. */
    k = snprintf(in, sizeof in, "<?xml version='1.0' encoding='%5000s",
                 "x?");
    expect_conv(in, (size_t)k, NULL, "", 0);
    expect_stream_same(in, (size_t)k, NULL);
    /* Just under the limit: held, and rewritten. */
    k = snprintf(in, sizeof in, "<?xml version='1.0' encoding='koi8-r'%*s?>"
                 "<a>\xF0</a>", ENCODING_DECL_MAX - 39, "");
    assert_int_equal(in[ENCODING_DECL_MAX - 2], '?');
    expect_xml_text(in, (size_t)k, NULL, "\xD0\x9F");
    expect_stream_same(in, (size_t)k, NULL);
}

static void
test_stream_iconv_flush(void **state)
{
    (void)state;
    struct encoding_decoder *d;
    struct buf b;

    /* glibc keeps the last letter in case an accent follows: it comes
     * out with 'last', even on an empty push. */
    buf_init(&b, 0);
    d = encoding_decoder_new("windows-1258");
    assert_non_null(d);
    push_expect(d, "<a>x</a>a", 0, &b, "<a>x</a>");
    push_expect(d, "\xEC", 0, &b, "<a>x</a>\xC3\xA1");
    push_expect(d, "e", 0, &b, "<a>x</a>\xC3\xA1");
    push_expect(d, "", 1, &b, "<a>x</a>\xC3\xA1" "e");
    buf_free(&b);
    encoding_decoder_free(d);
    d = encoding_decoder_new("windows-1255");
    assert_non_null(d);
    push_expect(d, "<a>\xF9", 0, &b, "<a>");
    push_expect(d, "", 1, &b, "<a>\xD7\xA9");
    buf_free(&b);
    encoding_decoder_free(d);
    /* A cut sequence at the end is one U+FFFD, counted. */
    d = encoding_decoder_new("gb18030");
    size_t bad = 0;
    assert_int_equal(encoding_decoder_push(d, LIT("<a>\x81\x30"), 0, &b,
                                           &bad), CUR_OK);
    assert_int_equal(encoding_decoder_push(d, LIT("\x81"), 1, &b, &bad),
                     CUR_OK);
    expect_bytes(b.data, b.len, LIT("<a>\xEF\xBF\xBD"));
    assert_int_equal(bad, 3);
    buf_free(&b);
    encoding_decoder_free(d);
}

/* Decoding from byte 0 drops what info.skip would have skipped, where the
 * skipped bytes are a BOM and white space of the same encoding, and
 * reports the same repair. */
static void
test_stream_from_byte_0(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } docs[] = {
#define D(s) { s, sizeof(s) - 1 }
        D("\xEF\xBB\xBF \n<?xml version='1.0' encoding='latin1'?><a/>"),
        D("\xFF\xFE \0<\0a\0/\0>\0"),
        D("\xFE\xFF\0<\0?\0x\0m\0l\0 \0?\0>\0<\0a\0/\0>"),
        D("\t<a/>"),
#undef D
    };

    for (size_t i = 0; i < 2 * sizeof docs / sizeof docs[0]; i++) {
        const char *in = docs[i / 2].in;
        size_t len = docs[i / 2].len, step = i % 2 ? 1 : len;
        struct encoding_info info = detect(in, len, NULL);
        struct encoding_decoder *d = encoding_decoder_new(info.name);
        struct encoding_info whole;
        struct buf b;
        size_t n;
        char *want = conv(in, len, NULL, &whole, &n);

        assert_non_null(d);
        buf_init(&b, 0);
        for (size_t k = 0; k < len; k += step)
            assert_int_equal(encoding_decoder_push(d, in + k, step, 0, &b,
                                                   NULL), CUR_OK);
        assert_int_equal(encoding_decoder_push(d, "", 0, 1, &b, NULL),
                         CUR_OK);
        expect_bytes(b.data, b.len, want, n);
        info.leading_space = 0;
        encoding_decoder_report(d, &info);
        assert_int_equal(info.leading_space, whole.leading_space);
        assert_int_equal(info.leading_space, i / 2 == 0);
        free(want);
        buf_free(&b);
        encoding_decoder_free(d);
    }
}

static void
test_decoder_arguments(void **state)
{
    (void)state;
    struct encoding_decoder *d;
    struct encoding_info info;
    struct buf b;

    assert_null(encoding_decoder_new(NULL));
    assert_null(encoding_decoder_new(""));
    assert_null(encoding_decoder_new("utf-7"));
    assert_null(encoding_decoder_new("UTF-32"));
    assert_null(encoding_decoder_new("replacement"));
    assert_null(encoding_decoder_new("iso-2022-kr"));
    assert_null(encoding_decoder_new("x-user-defined"));
    encoding_decoder_free(NULL);
    encoding_decoder_report(NULL, &info);

    /* Any label of an accepted encoding, in any case. */
    buf_init(&b, 0);
    d = encoding_decoder_new("Latin1");
    assert_non_null(d);
    push_expect(d, "<a>\xE9</a>", 1, &b, "<a>\xC3\xA9</a>");
    assert_int_equal(encoding_decoder_push(d, "x", 1, 0, &b, NULL),
                     CUR_EINVAL);
    assert_int_equal(encoding_decoder_push(d, "", 0, 1, &b, NULL),
                     CUR_EINVAL);
    encoding_decoder_free(d);
    buf_free(&b);
    d = encoding_decoder_new("utf-16be");
    assert_non_null(d);
    assert_int_equal(encoding_decoder_push(NULL, "x", 1, 0, &b, NULL),
                     CUR_EINVAL);
    assert_int_equal(encoding_decoder_push(d, NULL, 1, 0, &b, NULL),
                     CUR_EINVAL);
    assert_int_equal(encoding_decoder_push(d, "x", 1, 0, NULL, NULL),
                     CUR_EINVAL);
    push_expect(d, "", 0, &b, "");
    assert_int_equal(encoding_decoder_push(d, LIT("\0"), 0, &b, NULL),
                     CUR_OK);
    push_expect(d, "<", 0, &b, "");         /* "<?xml" perhaps */
    assert_int_equal(encoding_decoder_push(d, LIT("\0a"), 0, &b, NULL),
                     CUR_OK);
    expect_bytes(b.data, b.len, LIT("<a"));
    encoding_decoder_free(d);
    buf_free(&b);

    /* The cap of the output buffer holds, and the buffer is freed. */
    buf_init(&b, 4);
    d = encoding_decoder_new("UTF-8");
    assert_int_equal(encoding_decoder_push(d, LIT("<a>xyz</a>"), 0, &b,
                                           NULL), CUR_ETOOBIG);
    assert_null(b.data);
    encoding_decoder_free(d);
}

/* Random documents as in test_random_output_is_utf8: cut at random, they
 * decode as they do whole. */
static void
test_random_streams(void **state)
{
    (void)state;
    unsigned char in[1024];
    char ct[128];
    int n_same = 0;

    srand(2);
    for (int iter = 0; iter < 600; iter++) {
        size_t len = 0;
        const char *label = random_labels[rand() % (int)(sizeof random_labels
                                          / sizeof random_labels[0])];
        const char *ctp = NULL;
        struct encoding_info info;

        switch (rand() % 8) {
        case 0: memcpy(in, "\xEF\xBB\xBF", 3); len = 3; break;
        case 1: memcpy(in, "\xFF\xFE", 2); len = 2; break;
        case 2: memcpy(in, "\xFE\xFF", 2); len = 2; break;
        case 3: memcpy(in, "<\0?\0", 4); len = 4; break;
        case 4:
        case 5:
            len = (size_t)snprintf((char *)in, 200, "%s<?xml version=\"1.0\" "
                                   "encoding=\"%s\"?>",
                                   rand() % 2 ? "" : "\n \xEF\xBB\xBF",
                                   label);
            break;
        default: break;
        }
        size_t body = (size_t)(rand() % 600);
        for (size_t i = 0; i < body; i++)
            in[len++] = random_byte();
        if (rand() % 3 == 0) {
            snprintf(ct, sizeof ct, "text/xml; charset=%s",
                     random_labels[rand() % (int)(sizeof random_labels
                                                / sizeof random_labels[0])]);
            ctp = ct;
        }
        if (encoding_detect((const char *)in, len, ctp, &info, NULL, 0)
            != CUR_OK)
            continue;
        expect_stream_same((const char *)in, len, ctp);
        n_same++;
    }
    assert_true(n_same > 300);
}

/* C1 controls are Windows-1252 punctuation that went through a Latin-1
 * decoder: read as that punctuation, from any encoding; but a byte a
 * windows-125x encoding leaves undefined stays its WHATWG C1 control. */
static void
test_c1(void **state)
{
    (void)state;
    unsigned char u16[64];
    struct encoding_info info;

    info = expect_conv(LIT("<a>don\xC2\x92t \xC2\x80\xC2\x85 \xC2\x81\xC2\x9D"
                           "</a>"), NULL,
                       LIT("<a>don\xE2\x80\x99t \xE2\x82\xAC\xE2\x80\xA6 "
                           "\xC2\x81\xC2\x9D</a>"));
    assert_int_equal(info.invalid_bytes, 0);
    expect_xml_text(LIT("<a>\xC2\x93q\xC2\x94</a>"), NULL,
                    "\xE2\x80\x9Cq\xE2\x80\x9D");
    /* From UTF-16 and from iconv (ISO-8859-2 maps 0x96 to U+0096). */
    size_t n = to_utf16(LIT("<a>\xC2\x96</a>"), 1, u16);
    expect_conv((const char *)u16, n, "text/xml; charset=utf-16be",
                LIT("<a>\xE2\x80\x93</a>"));
    legacy("iso-8859-2", LIT("\x96\xB1"), "\xE2\x80\x93\xC4\x85");
    legacy("gb18030", LIT("\x81\x30\x81\x30"), "\xE2\x82\xAC");
    /* windows-1253 has no 0x88, which WHATWG maps to U+0088; Windows-1252's
     * circumflex there would be a guess. */
    legacy("windows-1253", LIT("\x88\x93"), "\xC2\x88\xE2\x80\x9C");
    legacy("windows-1250", LIT("\x83\x96"), "\xC2\x83\xE2\x80\x93");
    /* Cut between its two bytes, or at the end. */
    expect_stream_same(LIT("<a>don\xC2\x92t\xC2\x80</a>\xC2"), NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bom_utf8_beats_declaration_and_header),
        cmocka_unit_test(test_bom_utf16),
        cmocka_unit_test(test_utf16_sniffed_without_bom),
        cmocka_unit_test(test_utf16_invalid_units),
        cmocka_unit_test(test_content_type_beats_declaration),
        cmocka_unit_test(test_content_type_syntax),
        cmocka_unit_test(test_declaration_alone),
        cmocka_unit_test(test_default_utf8),
        cmocka_unit_test(test_declared_utf16_in_ascii_is_utf8),
        cmocka_unit_test(test_latin1_is_windows1252),
        cmocka_unit_test(test_single_byte_samples),
        cmocka_unit_test(test_multi_byte_samples),
        cmocka_unit_test(test_multi_byte_invalid),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_refused_source),
        cmocka_unit_test(test_label_length),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_utf8_fast_paths),
        cmocka_unit_test(test_nul_removed),
        cmocka_unit_test(test_c1),
        cmocka_unit_test(test_leading_space),
        cmocka_unit_test(test_declaration_rewritten_for_libxml2),
        cmocka_unit_test(test_hostile_declarations),
        cmocka_unit_test(test_max_out),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_random_output_is_utf8),
        cmocka_unit_test(test_random_single_byte_end_to_end),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_detect_mismatch),
        cmocka_unit_test(test_stream_utf8),
        cmocka_unit_test(test_stream_utf16),
        cmocka_unit_test(test_stream_legacy),
        cmocka_unit_test(test_stream_declaration_split),
        cmocka_unit_test(test_stream_declaration_too_long),
        cmocka_unit_test(test_stream_iconv_flush),
        cmocka_unit_test(test_stream_from_byte_0),
        cmocka_unit_test(test_decoder_arguments),
        cmocka_unit_test(test_random_streams),
    };
    xmlSetGenericErrorFunc(NULL, silent);
    xmlSetStructuredErrorFunc(NULL, silent_structured);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
