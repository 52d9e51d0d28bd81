/* Deciding the encoding of an XML document and converting it, as a
 * stream, to UTF-8.
 *
 * The encoding is decided in RFC 7303 order over the WHATWG label table
 * below. A decoder checks UTF-8 by hand (the WHATWG decoder, one U+FFFD
 * per maximal invalid subpart, eight ASCII bytes at a time) and sends
 * every other encoding through glibc's iconv, with a U+FFFD for each byte
 * iconv refuses and the WHATWG mapping where glibc's differs. A sequence
 * cut by the end of a chunk waits for the next one. All output passes
 * one sink that checks UTF-8 again, drops U+0000, reads C1 controls as
 * Windows-1252, drops white space and U+FEFF before the first markup,
 * and holds back an XML declaration at the start until its encoding can
 * be rewritten to "UTF-8", so that libxml2 does not decode a second
 * time. Once past that start, valid text goes out with one append per
 * run.
 */
#include "encoding.h"
#include "buf.h"
#include "err.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>      /* SSE2 is in every x86-64 */
#endif

/* How an encoding is decoded. */
enum {
    ENC_UTF8 = 1 << 0,      /* by hand */
    ENC_UTF16 = 1 << 1,     /* iconv, skipping 2-byte code units */
    ENC_C1 = 1 << 2,        /* unmapped 0x80-0x9F are C1 controls */
    ENC_GB = 1 << 3,        /* a lone 0x80 is U+20AC */
    ENC_STATEFUL = 1 << 4,  /* never reset iconv after an error */
    ENC_REFUSED = 1 << 5    /* a WHATWG encoding we do not decode */
};

/* A byte whose WHATWG mapping differs from glibc's. */
struct fix {
    unsigned char byte;
    unsigned cp;
};

struct enc {
    const char *name;       /* WHATWG name */
    const char *iconv;      /* glibc name; NULL for UTF-8 and refused */
    unsigned flags;
    const struct fix *fix;  /* single-byte encodings only */
    size_t n_fix;
    const char *refusal;    /* why, for ENC_REFUSED */
};

/* glibc's KOI8-U lacks the Belarusian letters WHATWG puts at 0xAE and
 * 0xBE; MACINTOSH has the Apple logo in another private-use slot;
 * MAC-CYRILLIC predates the euro at 0xFF. */
static const struct fix koi8u_fix[] = { { 0xAE, 0x045E }, { 0xBE, 0x040E } };
static const struct fix mac_fix[] = { { 0xF0, 0xF8FF } };
static const struct fix maccyr_fix[] = { { 0xFF, 0x20AC } };

#define FIX(a) (a), sizeof(a) / sizeof((a)[0])

enum {
    E_UTF8, E_IBM866, E_8859_2, E_8859_3, E_8859_4, E_8859_5, E_8859_6,
    E_8859_7, E_8859_8, E_8859_8I, E_8859_10, E_8859_13, E_8859_14,
    E_8859_15, E_8859_16, E_KOI8R, E_KOI8U, E_MAC, E_W874, E_W1250,
    E_W1251, E_W1252, E_W1253, E_W1254, E_W1255, E_W1256, E_W1257,
    E_W1258, E_MACCYR, E_GBK, E_GB18030, E_BIG5, E_EUCJP, E_2022JP,
    E_SJIS, E_EUCKR, E_REPLACEMENT, E_UTF16BE, E_UTF16LE, E_USERDEF
};

/* The WHATWG encodings, with the glibc converter closest to each: CP932
 * and CP949 are the Windows code pages WHATWG describes as Shift_JIS and
 * EUC-KR, EUC-JP-MS has the same Windows mappings for JIS X 0208, and
 * BIG5-HKSCS holds the HKSCS characters of WHATWG's Big5 index. */
static const struct enc encodings[] = {
    [E_UTF8] = { "UTF-8", NULL, ENC_UTF8, NULL, 0, NULL },
    [E_IBM866] = { "IBM866", "IBM866", 0, NULL, 0, NULL },
    [E_8859_2] = { "ISO-8859-2", "ISO-8859-2", 0, NULL, 0, NULL },
    [E_8859_3] = { "ISO-8859-3", "ISO-8859-3", 0, NULL, 0, NULL },
    [E_8859_4] = { "ISO-8859-4", "ISO-8859-4", 0, NULL, 0, NULL },
    [E_8859_5] = { "ISO-8859-5", "ISO-8859-5", 0, NULL, 0, NULL },
    [E_8859_6] = { "ISO-8859-6", "ISO-8859-6", 0, NULL, 0, NULL },
    [E_8859_7] = { "ISO-8859-7", "ISO-8859-7", 0, NULL, 0, NULL },
    [E_8859_8] = { "ISO-8859-8", "ISO-8859-8", 0, NULL, 0, NULL },
    [E_8859_8I] = { "ISO-8859-8-I", "ISO-8859-8", 0, NULL, 0, NULL },
    [E_8859_10] = { "ISO-8859-10", "ISO-8859-10", 0, NULL, 0, NULL },
    [E_8859_13] = { "ISO-8859-13", "ISO-8859-13", 0, NULL, 0, NULL },
    [E_8859_14] = { "ISO-8859-14", "ISO-8859-14", 0, NULL, 0, NULL },
    [E_8859_15] = { "ISO-8859-15", "ISO-8859-15", 0, NULL, 0, NULL },
    [E_8859_16] = { "ISO-8859-16", "ISO-8859-16", 0, NULL, 0, NULL },
    [E_KOI8R] = { "KOI8-R", "KOI8-R", 0, NULL, 0, NULL },
    [E_KOI8U] = { "KOI8-U", "KOI8-U", 0, FIX(koi8u_fix), NULL },
    [E_MAC] = { "macintosh", "MACINTOSH", 0, FIX(mac_fix), NULL },
    [E_W874] = { "windows-874", "CP874", ENC_C1, NULL, 0, NULL },
    [E_W1250] = { "windows-1250", "CP1250", ENC_C1, NULL, 0, NULL },
    [E_W1251] = { "windows-1251", "CP1251", ENC_C1, NULL, 0, NULL },
    [E_W1252] = { "windows-1252", "CP1252", ENC_C1, NULL, 0, NULL },
    [E_W1253] = { "windows-1253", "CP1253", ENC_C1, NULL, 0, NULL },
    [E_W1254] = { "windows-1254", "CP1254", ENC_C1, NULL, 0, NULL },
    [E_W1255] = { "windows-1255", "CP1255", ENC_C1, NULL, 0, NULL },
    [E_W1256] = { "windows-1256", "CP1256", ENC_C1, NULL, 0, NULL },
    [E_W1257] = { "windows-1257", "CP1257", ENC_C1, NULL, 0, NULL },
    [E_W1258] = { "windows-1258", "CP1258", ENC_C1, NULL, 0, NULL },
    [E_MACCYR] = { "x-mac-cyrillic", "MAC-CYRILLIC", 0, FIX(maccyr_fix),
                   NULL },
    [E_GBK] = { "GBK", "GB18030", ENC_GB, NULL, 0, NULL },
    [E_GB18030] = { "gb18030", "GB18030", ENC_GB, NULL, 0, NULL },
    [E_BIG5] = { "Big5", "BIG5-HKSCS", 0, NULL, 0, NULL },
    [E_EUCJP] = { "EUC-JP", "EUC-JP-MS", 0, NULL, 0, NULL },
    [E_2022JP] = { "ISO-2022-JP", "ISO-2022-JP", ENC_STATEFUL, NULL, 0,
                   NULL },
    [E_SJIS] = { "Shift_JIS", "CP932", 0, NULL, 0, NULL },
    [E_EUCKR] = { "EUC-KR", "CP949", 0, NULL, 0, NULL },
    [E_REPLACEMENT] = { "replacement", NULL, ENC_REFUSED, NULL, 0,
                        "WHATWG decodes it as a single U+FFFD" },
    [E_UTF16BE] = { "UTF-16BE", "UTF-16BE", ENC_UTF16, NULL, 0, NULL },
    [E_UTF16LE] = { "UTF-16LE", "UTF-16LE", ENC_UTF16, NULL, 0, NULL },
    [E_USERDEF] = { "x-user-defined", NULL, ENC_REFUSED, NULL, 0,
                    "not a text encoding" },
};

/* Every label of https://encoding.spec.whatwg.org/#names-and-labels,
 * lower case. A label not here is refused. */
static const struct label {
    const char *label;
    unsigned char enc;
} labels[] = {
    { "unicode-1-1-utf-8", E_UTF8 }, { "unicode11utf8", E_UTF8 },
    { "unicode20utf8", E_UTF8 }, { "utf-8", E_UTF8 }, { "utf8", E_UTF8 },
    { "x-unicode20utf8", E_UTF8 },
    { "866", E_IBM866 }, { "cp866", E_IBM866 }, { "csibm866", E_IBM866 },
    { "ibm866", E_IBM866 },
    { "csisolatin2", E_8859_2 }, { "iso-8859-2", E_8859_2 },
    { "iso-ir-101", E_8859_2 }, { "iso8859-2", E_8859_2 },
    { "iso88592", E_8859_2 }, { "iso_8859-2", E_8859_2 },
    { "iso_8859-2:1987", E_8859_2 }, { "l2", E_8859_2 },
    { "latin2", E_8859_2 },
    { "csisolatin3", E_8859_3 }, { "iso-8859-3", E_8859_3 },
    { "iso-ir-109", E_8859_3 }, { "iso8859-3", E_8859_3 },
    { "iso88593", E_8859_3 }, { "iso_8859-3", E_8859_3 },
    { "iso_8859-3:1988", E_8859_3 }, { "l3", E_8859_3 },
    { "latin3", E_8859_3 },
    { "csisolatin4", E_8859_4 }, { "iso-8859-4", E_8859_4 },
    { "iso-ir-110", E_8859_4 }, { "iso8859-4", E_8859_4 },
    { "iso88594", E_8859_4 }, { "iso_8859-4", E_8859_4 },
    { "iso_8859-4:1988", E_8859_4 }, { "l4", E_8859_4 },
    { "latin4", E_8859_4 },
    { "csisolatincyrillic", E_8859_5 }, { "cyrillic", E_8859_5 },
    { "iso-8859-5", E_8859_5 }, { "iso-ir-144", E_8859_5 },
    { "iso8859-5", E_8859_5 }, { "iso88595", E_8859_5 },
    { "iso_8859-5", E_8859_5 }, { "iso_8859-5:1988", E_8859_5 },
    { "arabic", E_8859_6 }, { "asmo-708", E_8859_6 },
    { "csiso88596e", E_8859_6 }, { "csiso88596i", E_8859_6 },
    { "csisolatinarabic", E_8859_6 }, { "ecma-114", E_8859_6 },
    { "iso-8859-6", E_8859_6 }, { "iso-8859-6-e", E_8859_6 },
    { "iso-8859-6-i", E_8859_6 }, { "iso-ir-127", E_8859_6 },
    { "iso8859-6", E_8859_6 }, { "iso88596", E_8859_6 },
    { "iso_8859-6", E_8859_6 }, { "iso_8859-6:1987", E_8859_6 },
    { "csisolatingreek", E_8859_7 }, { "ecma-118", E_8859_7 },
    { "elot_928", E_8859_7 }, { "greek", E_8859_7 }, { "greek8", E_8859_7 },
    { "iso-8859-7", E_8859_7 }, { "iso-ir-126", E_8859_7 },
    { "iso8859-7", E_8859_7 }, { "iso88597", E_8859_7 },
    { "iso_8859-7", E_8859_7 }, { "iso_8859-7:1987", E_8859_7 },
    { "sun_eu_greek", E_8859_7 },
    { "csiso88598e", E_8859_8 }, { "csisolatinhebrew", E_8859_8 },
    { "hebrew", E_8859_8 }, { "iso-8859-8", E_8859_8 },
    { "iso-8859-8-e", E_8859_8 }, { "iso-ir-138", E_8859_8 },
    { "iso8859-8", E_8859_8 }, { "iso88598", E_8859_8 },
    { "iso_8859-8", E_8859_8 }, { "iso_8859-8:1988", E_8859_8 },
    { "visual", E_8859_8 },
    { "csiso88598i", E_8859_8I }, { "iso-8859-8-i", E_8859_8I },
    { "logical", E_8859_8I },
    { "csisolatin6", E_8859_10 }, { "iso-8859-10", E_8859_10 },
    { "iso-ir-157", E_8859_10 }, { "iso8859-10", E_8859_10 },
    { "iso885910", E_8859_10 }, { "l6", E_8859_10 },
    { "latin6", E_8859_10 },
    { "iso-8859-13", E_8859_13 }, { "iso8859-13", E_8859_13 },
    { "iso885913", E_8859_13 },
    { "iso-8859-14", E_8859_14 }, { "iso8859-14", E_8859_14 },
    { "iso885914", E_8859_14 },
    { "csisolatin9", E_8859_15 }, { "iso-8859-15", E_8859_15 },
    { "iso8859-15", E_8859_15 }, { "iso885915", E_8859_15 },
    { "iso_8859-15", E_8859_15 }, { "l9", E_8859_15 },
    { "iso-8859-16", E_8859_16 },
    { "cskoi8r", E_KOI8R }, { "koi", E_KOI8R }, { "koi8", E_KOI8R },
    { "koi8-r", E_KOI8R }, { "koi8_r", E_KOI8R },
    { "koi8-ru", E_KOI8U }, { "koi8-u", E_KOI8U },
    { "csmacintosh", E_MAC }, { "mac", E_MAC }, { "macintosh", E_MAC },
    { "x-mac-roman", E_MAC },
    { "dos-874", E_W874 }, { "iso-8859-11", E_W874 },
    { "iso8859-11", E_W874 }, { "iso885911", E_W874 },
    { "tis-620", E_W874 }, { "windows-874", E_W874 },
    { "cp1250", E_W1250 }, { "windows-1250", E_W1250 },
    { "x-cp1250", E_W1250 },
    { "cp1251", E_W1251 }, { "windows-1251", E_W1251 },
    { "x-cp1251", E_W1251 },
    /* Browsers read Latin-1 and ASCII labels as windows-1252. */
    { "ansi_x3.4-1968", E_W1252 }, { "ascii", E_W1252 },
    { "cp1252", E_W1252 }, { "cp819", E_W1252 },
    { "csisolatin1", E_W1252 }, { "ibm819", E_W1252 },
    { "iso-8859-1", E_W1252 }, { "iso-ir-100", E_W1252 },
    { "iso8859-1", E_W1252 }, { "iso88591", E_W1252 },
    { "iso_8859-1", E_W1252 }, { "iso_8859-1:1987", E_W1252 },
    { "l1", E_W1252 }, { "latin1", E_W1252 }, { "us-ascii", E_W1252 },
    { "windows-1252", E_W1252 }, { "x-cp1252", E_W1252 },
    { "cp1253", E_W1253 }, { "windows-1253", E_W1253 },
    { "x-cp1253", E_W1253 },
    /* And Latin-5 as windows-1254. */
    { "cp1254", E_W1254 }, { "csisolatin5", E_W1254 },
    { "iso-8859-9", E_W1254 }, { "iso-ir-148", E_W1254 },
    { "iso8859-9", E_W1254 }, { "iso88599", E_W1254 },
    { "iso_8859-9", E_W1254 }, { "iso_8859-9:1989", E_W1254 },
    { "l5", E_W1254 }, { "latin5", E_W1254 }, { "windows-1254", E_W1254 },
    { "x-cp1254", E_W1254 },
    { "cp1255", E_W1255 }, { "windows-1255", E_W1255 },
    { "x-cp1255", E_W1255 },
    { "cp1256", E_W1256 }, { "windows-1256", E_W1256 },
    { "x-cp1256", E_W1256 },
    { "cp1257", E_W1257 }, { "windows-1257", E_W1257 },
    { "x-cp1257", E_W1257 },
    { "cp1258", E_W1258 }, { "windows-1258", E_W1258 },
    { "x-cp1258", E_W1258 },
    { "x-mac-cyrillic", E_MACCYR }, { "x-mac-ukrainian", E_MACCYR },
    { "chinese", E_GBK }, { "csgb2312", E_GBK },
    { "csiso58gb231280", E_GBK }, { "gb2312", E_GBK }, { "gb_2312", E_GBK },
    { "gb_2312-80", E_GBK }, { "gbk", E_GBK }, { "iso-ir-58", E_GBK },
    { "x-gbk", E_GBK },
    { "gb18030", E_GB18030 },
    { "big5", E_BIG5 }, { "big5-hkscs", E_BIG5 }, { "cn-big5", E_BIG5 },
    { "csbig5", E_BIG5 }, { "x-x-big5", E_BIG5 },
    { "cseucpkdfmtjapanese", E_EUCJP }, { "euc-jp", E_EUCJP },
    { "x-euc-jp", E_EUCJP },
    { "csiso2022jp", E_2022JP }, { "iso-2022-jp", E_2022JP },
    { "csshiftjis", E_SJIS }, { "ms932", E_SJIS }, { "ms_kanji", E_SJIS },
    { "shift-jis", E_SJIS }, { "shift_jis", E_SJIS }, { "sjis", E_SJIS },
    { "windows-31j", E_SJIS }, { "x-sjis", E_SJIS },
    { "cseuckr", E_EUCKR }, { "csksc56011987", E_EUCKR },
    { "euc-kr", E_EUCKR }, { "iso-ir-149", E_EUCKR }, { "korean", E_EUCKR },
    { "ks_c_5601-1987", E_EUCKR }, { "ks_c_5601-1989", E_EUCKR },
    { "ksc5601", E_EUCKR }, { "ksc_5601", E_EUCKR },
    { "windows-949", E_EUCKR },
    /* Labels of encodings that WHATWG maps to "replacement". */
    { "csiso2022kr", E_REPLACEMENT }, { "hz-gb-2312", E_REPLACEMENT },
    { "iso-2022-cn", E_REPLACEMENT }, { "iso-2022-cn-ext", E_REPLACEMENT },
    { "iso-2022-kr", E_REPLACEMENT }, { "replacement", E_REPLACEMENT },
    { "unicodefffe", E_UTF16BE }, { "utf-16be", E_UTF16BE },
    { "csunicode", E_UTF16LE }, { "iso-10646-ucs-2", E_UTF16LE },
    { "ucs-2", E_UTF16LE }, { "unicode", E_UTF16LE },
    { "unicodefeff", E_UTF16LE }, { "utf-16", E_UTF16LE },
    { "utf-16le", E_UTF16LE },
    { "x-user-defined", E_USERDEF },
};

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* White space as XML defines it. */
static int
is_xml_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* White space as the WHATWG "get an encoding" trims it. */
static int
is_label_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static unsigned char
ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ASCII case-insensitive comparison of s[0..n) with the C string 'lit'. */
static int
ascii_ieq(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lit[i] == '\0'
            || ascii_lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return 0;
    }
    return lit[i] == '\0';
}

/* The label s[0..n) for a message: printable ASCII only, so a hostile
 * label cannot forge log lines, and at most ENCODING_LABEL_MAX bytes. */
static void
clean_label(char clean[ENCODING_LABEL_MAX + 1], const char *s, size_t n)
{
    size_t k;

    for (k = 0; k < n && k < ENCODING_LABEL_MAX; k++) {
        unsigned char c = (unsigned char)s[k];
        clean[k] = c > ' ' && c < 0x7f && c != '"' && c != '\\'
                   ? (char)c : '?';
    }
    clean[k] = '\0';
}

/* Refuse the label s[0..n) with a one-line reason. */
static int
refuse(char *err, size_t errlen, const char *s, size_t n, const char *why)
{
    char clean[ENCODING_LABEL_MAX + 1];

    clean_label(clean, s, n);
    set_err(err, errlen, "encoding \"%s\" is not allowed (%s)", clean, why);
    return CUR_EENCODING;
}

/* Map the label s[0..n) (any bytes) to an encoding. *e stays NULL for an
 * empty label, which counts as absent. Returns CUR_OK or CUR_EENCODING. */
static int
label_lookup(const char *s, size_t n, const struct enc **e, char *err,
             size_t errlen)
{
    *e = NULL;
    while (n > 0 && is_label_space((unsigned char)s[0])) {
        s++;
        n--;
    }
    while (n > 0 && is_label_space((unsigned char)s[n - 1]))
        n--;
    if (n == 0)
        return CUR_OK;
    if (n > ENCODING_LABEL_MAX) {
        set_err(err, errlen, "encoding label is too long (%zu bytes, at "
                "most %d)", n, ENCODING_LABEL_MAX);
        return CUR_EENCODING;
    }
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        if (ascii_ieq(s, n, labels[i].label)) {
            const struct enc *found = &encodings[labels[i].enc];
            if (found->flags & ENC_REFUSED)
                return refuse(err, errlen, s, n, found->refusal);
            *e = found;
            return CUR_OK;
        }
    }
    return refuse(err, errlen, s, n, "not a WHATWG encoding");
}

/* An RFC 7230 token character. */
static int
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
                                                            c) != NULL);
}

static const char *
skip_ows(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* The charset parameter of the Content-Type value 'ct', when its media
 * type is text/... or an XML type (.../xml, .../...+xml). The value,
 * unquoted and unescaped, goes to out (cut to size - 1 bytes); returns
 * its full length, or 0 when there is none. The first charset wins, as
 * in the WHATWG MIME type parser. */
static size_t
content_type_charset(const char *ct, char *out, size_t size)
{
    const char *p = skip_ows(ct), *type, *sub;
    size_t tlen, slen;

    type = p;
    while (is_tchar((unsigned char)*p))
        p++;
    tlen = (size_t)(p - type);
    if (tlen == 0 || *p != '/')
        return 0;
    sub = ++p;
    while (is_tchar((unsigned char)*p))
        p++;
    slen = (size_t)(p - sub);
    if (slen == 0)
        return 0;
    if (!ascii_ieq(type, tlen, "text") && !ascii_ieq(sub, slen, "xml")
        && !(slen > 4 && ascii_ieq(sub + slen - 4, 4, "+xml")))
        return 0;
    for (;;) {
        const char *name;
        size_t nlen, k = 0;
        int is_charset;

        while (*p != '\0' && *p != ';')
            p++;                /* junk after a type or a value */
        if (*p == '\0')
            return 0;
        p = skip_ows(p + 1);
        name = p;
        while (is_tchar((unsigned char)*p))
            p++;
        nlen = (size_t)(p - name);
        p = skip_ows(p);
        if (*p != '=')
            continue;
        p = skip_ows(p + 1);
        is_charset = ascii_ieq(name, nlen, "charset");
        if (*p == '"') {
            /* A quoted-string; an unterminated one runs to the end. */
            for (p++; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                if (is_charset && k + 1 < size)
                    out[k] = *p;
                k++;
            }
            if (*p == '"')
                p++;
        } else {
            const char *v = p;
            while (*p != '\0' && *p != ';')
                p++;
            const char *end = p;
            while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            k = (size_t)(end - v);
            if (is_charset)
                memcpy(out, v, k + 1 < size ? k : size - 1);
        }
        if (is_charset) {
            out[k + 1 < size ? k : size - 1] = '\0';
            return k;
        }
    }
}

/* p[0..n) starts with an XML declaration: "<?xml" and white space. */
static int
is_decl(const unsigned char *p, size_t n)
{
    return n >= 6 && memcmp(p, "<?xml", 5) == 0 && is_xml_space(p[5]);
}

/* What decl_next() found. */
enum { DECL_VALUE, DECL_END, DECL_MORE };

/* An XML name character of a pseudo-attribute. */
static int
is_decl_name(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':'
           || c == '-';
}

/* In the XML declaration at p (is_decl), find the value of the next
 * pseudo-attribute named "encoding" at or after offset 'from'. Returns
 * DECL_VALUE with the value at [*vs, *ve); DECL_END at "?>" or at the
 * first byte that breaks the declaration's syntax (the parser refuses
 * such a declaration, so it cannot switch encodings); DECL_MORE when the
 * input ends first. */
static int
decl_next(const unsigned char *p, size_t n, size_t from, size_t *vs,
          size_t *ve)
{
    size_t i = from;

    for (;;) {
        size_t name, name_end;
        const unsigned char *close;

        while (i < n && is_xml_space(p[i]))
            i++;
        name = i;
        while (i < n && is_decl_name(p[i]))
            i++;
        if (i >= n)
            return DECL_MORE;
        name_end = i;
        if (name_end == name)
            return DECL_END;    /* "?>" or junk */
        while (i < n && is_xml_space(p[i]))
            i++;
        if (i >= n)
            return DECL_MORE;
        if (p[i] != '=')
            return DECL_END;
        i++;
        while (i < n && is_xml_space(p[i]))
            i++;
        if (i >= n)
            return DECL_MORE;
        if (p[i] != '"' && p[i] != '\'')
            return DECL_END;
        close = memchr(p + i + 1, p[i], n - i - 1);
        if (close == NULL)
            return DECL_MORE;   /* cut off */
        if (name_end - name == 8 && memcmp(p + name, "encoding", 8) == 0) {
            *vs = i + 1;
            *ve = (size_t)(close - p);
            return DECL_VALUE;
        }
        i = (size_t)(close - p) + 1;
    }
}

/* The first encoding value of the XML declaration at p, as decl_next()
 * finds it. Returns 1 with the value at [*vs, *ve), else 0. */
static int
decl_encoding(const unsigned char *p, size_t n, size_t *vs, size_t *ve)
{
    return decl_next(p, n, 5, vs, ve) == DECL_VALUE;
}

/* Bytes of white space and stray UTF-8 BOMs in front of an XML
 * declaration at p, or 0 when no declaration follows them. */
static size_t
space_before_decl(const unsigned char *p, size_t n)
{
    size_t i = 0;

    for (;;) {
        if (i < n && is_xml_space(p[i]))
            i++;
        else if (n - i >= 3 && p[i] == 0xEF && p[i + 1] == 0xBB
                 && p[i + 2] == 0xBF)
            i += 3;
        else
            break;
    }
    return is_decl(p + i, n - i) ? i : 0;
}

/* Decide the encoding of p[0..n): *e, *source, and *start, the bytes of
 * BOM to skip. Returns CUR_OK, or CUR_EENCODING with *source telling
 * where the refused encoding was named. */
static int
decide(const unsigned char *p, size_t n, const char *content_type,
       const struct enc **e, const char **source, size_t *start, char *err,
       size_t errlen)
{
    char label[ENCODING_LABEL_MAX * 2 + 2];
    size_t k, d, vs, ve;
    int rc;

    *e = NULL;
    *start = 0;
    *source = "bom";

    /* 1. A byte order mark; UTF-32's and UTF-7's are refused. */
    if (n >= 4 && ((p[0] == 0xFF && p[1] == 0xFE && p[2] == 0 && p[3] == 0)
                   || (p[0] == 0 && p[1] == 0 && p[2] == 0xFE
                       && p[3] == 0xFF)))
        return refuse(err, errlen, "UTF-32", 6, "not a WHATWG encoding");
    if (n >= 4 && p[0] == '+' && p[1] == '/' && p[2] == 'v'
        && (p[3] == '8' || p[3] == '9' || p[3] == '+' || p[3] == '/'))
        return refuse(err, errlen, "UTF-7", 5, "not a WHATWG encoding");
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        *e = &encodings[E_UTF8];
        *start = 3;
        return CUR_OK;
    }
    if (n >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
        *e = &encodings[E_UTF16LE];
        *start = 2;
        return CUR_OK;
    }
    if (n >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
        *e = &encodings[E_UTF16BE];
        *start = 2;
        return CUR_OK;
    }

    /* 2. The charset of an XML or text Content-Type. */
    if (content_type != NULL) {
        k = content_type_charset(content_type, label, sizeof label);
        *source = "content-type";
        if (k >= sizeof label) {
            set_err(err, errlen, "encoding label is too long (%zu bytes, at "
                    "most %d)", k, ENCODING_LABEL_MAX);
            return CUR_EENCODING;
        }
        rc = label_lookup(label, k, e, err, errlen);
        if (rc != CUR_OK || *e != NULL)
            return rc;
    }

    /* 3. "<?" in UTF-16 (UTF-32 and EBCDIC refused), then the XML
     * declaration in ASCII. */
    *source = "sniffed";
    if (n >= 4 && p[0] == '<' && p[1] == 0 && p[2] == '?' && p[3] == 0) {
        *e = &encodings[E_UTF16LE];
        return CUR_OK;
    }
    if (n >= 4 && p[0] == 0 && p[1] == '<' && p[2] == 0 && p[3] == '?') {
        *e = &encodings[E_UTF16BE];
        return CUR_OK;
    }
    if (n >= 4 && ((p[0] == '<' && p[1] == 0 && p[2] == 0 && p[3] == 0)
                   || (p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == '<')))
        return refuse(err, errlen, "UTF-32", 6, "not a WHATWG encoding");
    if (n >= 4 && p[0] == 0x4C && p[1] == 0x6F && p[2] == 0xA7
        && p[3] == 0x94)
        return refuse(err, errlen, "EBCDIC", 6, "not a WHATWG encoding");
    d = space_before_decl(p, n);
    if (is_decl(p + d, n - d) && decl_encoding(p + d, n - d, &vs, &ve)) {
        rc = label_lookup((const char *)p + d + vs, ve - vs, e, err, errlen);
        if (rc != CUR_OK) {
            *source = "xml-declaration";
            return rc;
        }
        if (*e != NULL) {
            /* A declaration readable as ASCII cannot be in UTF-16. */
            if ((*e)->flags & ENC_UTF16)
                *e = &encodings[E_UTF8];
            *source = "xml-declaration";
            return CUR_OK;
        }
    }

    /* 4. UTF-8. */
    *e = &encodings[E_UTF8];
    *source = "default";
    return CUR_OK;
}
/* ---- detection --------------------------------------------------------- */

/* Find an encoding by its WHATWG name, in any case, or NULL. */
static const struct enc *
enc_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof encodings / sizeof encodings[0]; i++) {
        const char *a = name, *b = encodings[i].name;

        while (*a != '\0' && ascii_lower((unsigned char)*a)
                             == ascii_lower((unsigned char)*b)) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return &encodings[i];
    }
    return NULL;
}

/* The big-endian value of the UTF-16 code unit at p, in e. */
static unsigned
utf16_unit(const struct enc *e, const unsigned char *p)
{
    return e == &encodings[E_UTF16BE] ? (unsigned)p[0] << 8 | p[1]
                                      : (unsigned)p[1] << 8 | p[0];
}

/* The ASCII of the UTF-16 text p[0..n) in e, up to the first other
 * character, into ascii[0..size) with U+FEFF as EF BB BF. Returns its
 * length. */
static size_t
utf16_ascii(const struct enc *e, const unsigned char *p, size_t n,
            unsigned char *ascii, size_t size)
{
    size_t k = 0;

    for (size_t i = 0; i + 1 < n && k + 3 <= size; i += 2) {
        unsigned u = utf16_unit(e, p + i);
        if (u == 0xFEFF) {
            memcpy(ascii + k, "\xEF\xBB\xBF", 3);
            k += 3;
        } else if (u != 0 && u < 0x80) {
            ascii[k++] = (unsigned char)u;
        } else {
            break;
        }
    }
    return k;
}

/* Whether a decoder given p[0..n) (ASCII-compatible; EF BB BF is U+FEFF
 * when 'feff') will drop at its start what libxml2 would refuse: white
 * space or U+FEFF in front of an XML declaration, or a U+FEFF that is
 * not the first character. White space alone before other markup is
 * dropped too, but that is no repair. */
static int
leading_repair(const unsigned char *p, size_t n, int feff)
{
    size_t i = 0, items = 0;
    int bom_first = 0;

    for (;; items++) {
        if (i < n && is_xml_space(p[i])) {
            i++;
        } else if (feff && n - i >= 3 && p[i] == 0xEF && p[i + 1] == 0xBB
                   && p[i + 2] == 0xBF) {
            if (items > 0)
                return 1;
            bom_first = 1;
            i += 3;
        } else {
            break;
        }
    }
    return items > (size_t)bom_first && is_decl(p + i, n - i);
}

/* Write a note to info->mismatch when the XML declaration at the start
 * of p (n bytes in e, past any byte order mark) names another encoding
 * than e, which the byte order mark or the Content-Type chose. */
static void
note_mismatch(struct encoding_info *info, const struct enc *e,
              const unsigned char *p, size_t n)
{
    unsigned char ascii[512];
    char clean[ENCODING_LABEL_MAX + 1];
    const struct enc *de;
    size_t d, vs, ve;

    if (e->flags & ENC_UTF16) {
        /* The declaration is ASCII: read it out of the code units. */
        n = utf16_ascii(e, p, n, ascii, sizeof ascii);
        p = ascii;
    }
    d = space_before_decl(p, n);
    if (!is_decl(p + d, n - d) || !decl_encoding(p + d, n - d, &vs, &ve))
        return;
    p += d;
    if (label_lookup((const char *)p + vs, ve - vs, &de, NULL, 0)
        == CUR_OK) {
        if (de == NULL)
            return;             /* an empty label names nothing */
        if ((de->flags & ENC_UTF16) && (e->flags & ENC_UTF16))
            return;             /* the byte order mark tells which one */
        if (de->flags & ENC_UTF16)
            de = &encodings[E_UTF8];    /* read as decide() reads it */
        if (de == e)
            return;
    }
    clean_label(clean, (const char *)p + vs, ve - vs);
    snprintf(info->mismatch, sizeof info->mismatch,
             "document declares %s but the %s says %s; used %s", clean,
             strcmp(info->source, "bom") == 0 ? "byte order mark"
                                              : "HTTP header",
             e->name, e->name);
}

int
encoding_detect(const char *head, size_t len, const char *content_type,
                struct encoding_info *info, char *err, size_t errlen)
{
    const unsigned char *p = (const unsigned char *)head;
    const struct enc *e = NULL;
    const char *source = NULL;
    size_t start = 0;
    int rc;

    set_err(err, errlen, "%s", "");
    if (info != NULL)
        memset(info, 0, sizeof *info);
    if (info == NULL || (head == NULL && len > 0)) {
        set_err(err, errlen, "invalid argument");
        return CUR_EINVAL;
    }
    if (p == NULL)
        p = (const unsigned char *)"";

    rc = decide(p, len, content_type, &e, &source, &start, err, errlen);
    info->source = source;
    if (rc != CUR_OK)
        return rc;
    info->skip = start;
    if (!(e->flags & ENC_UTF16))
        /* Before decoding, so that a stray UTF-8 BOM in front of the
         * declaration of a windows-1252 document goes too. */
        info->skip += space_before_decl(p + start, len - start);
    if (e->flags & ENC_UTF16) {
        unsigned char ascii[512];
        size_t k = utf16_ascii(e, p + start, len - start, ascii,
                               sizeof ascii);
        info->leading_space = leading_repair(ascii, k, 1);
    } else {
        info->leading_space = info->skip > start
                              || leading_repair(p + info->skip,
                                                len - info->skip,
                                                (e->flags & ENC_UTF8) != 0);
    }
    snprintf(info->name, sizeof info->name, "%s", e->name);
    if (strcmp(source, "bom") == 0 || strcmp(source, "content-type") == 0)
        note_mismatch(info, e, p + start, len - start);
    return CUR_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* Where a decoder is in the text it puts out. */
enum {
    P_LEAD,                 /* dropping white space and U+FEFF */
    P_DECL,                 /* holding back what may be a declaration */
    P_DROP,                 /* dropping a declaration too long to hold */
    P_PASS                  /* past the start: text goes straight out */
};

/* Input bytes held between chunks, at most: a cut UTF-8 sequence, gb18030
 * sequence, UTF-16 surrogate pair or ISO-2022-JP escape takes 3. */
#define HOLD_MAX 8

struct encoding_decoder {
    const struct enc *e;
    iconv_t cd;                 /* (iconv_t)-1 for UTF-8 */
    unsigned fix[256];          /* the WHATWG code point of a byte glibc
                                   maps differently, else 0 */
    unsigned char held[HOLD_MAX];   /* a sequence cut by a chunk's end */
    size_t n_held;
    int phase;
    int drop_q;                 /* P_DROP: the last byte was '?' */
    int leading;                /* dropped what libxml2 refuses */
    size_t lead_n;              /* white space and U+FEFF dropped */
    int lead_bom;               /* the first of them was U+FEFF */
    int finished;               /* 'last' came */
    size_t nul;                 /* U+0000 dropped */
    size_t n_decl;
    unsigned char decl[ENCODING_DECL_MAX];  /* P_DECL: held back */
};

/* What the text held back at the start is. */
enum { HEAD_NONE, HEAD_DECL, HEAD_MORE };

static int
head_state(const unsigned char *p, size_t n)
{
    size_t from = 5, vs, ve;
    int r;

    if (memcmp(p, "<?xml", n < 5 ? n : 5) != 0)
        return HEAD_NONE;
    if (n < 6)
        return HEAD_MORE;
    if (!is_xml_space(p[5]))
        return HEAD_NONE;       /* "<?xml-stylesheet", say */
    while ((r = decl_next(p, n, from, &vs, &ve)) == DECL_VALUE)
        from = ve + 1;
    return r == DECL_END ? HEAD_DECL : HEAD_MORE;
}

/* Put out the text held back at the start, with the value of every
 * encoding pseudo-attribute of an XML declaration in it rewritten to
 * "UTF-8": the text is UTF-8 now, and another name would make libxml2
 * decode it again. */
static int
flush_head(struct encoding_decoder *d, struct buf *out)
{
    const unsigned char *p = d->decl;
    size_t n = d->n_decl, at = 0, from = 5, vs, ve;
    int rc;

    d->n_decl = 0;
    d->phase = P_PASS;
    if (is_decl(p, n)) {
        if (d->lead_n > (size_t)d->lead_bom)
            d->leading = 1;     /* libxml2 would refuse the space */
        while (decl_next(p, n, from, &vs, &ve) == DECL_VALUE) {
            if ((rc = buf_append(out, p + at, vs - at)) != CUR_OK
                || (rc = buf_append(out, "UTF-8", 5)) != CUR_OK)
                return rc;
            at = ve;
            from = ve + 1;
        }
    }
    return buf_append(out, p + at, n - at);
}

/* put() for the start of the text. */
static int
put_start(struct encoding_decoder *d, const unsigned char *p, size_t n,
          struct buf *out)
{
    int rc;

    while (n > 0) {
        size_t k;

        switch (d->phase) {
        case P_LEAD:
            /* libxml2 wants "<?xml" first, and no U+FEFF but a BOM. */
            if (is_xml_space(p[0])) {
                k = 1;
            } else if (p[0] == 0xEF && n >= 3 && p[1] == 0xBB
                       && p[2] == 0xBF) {
                k = 3;
                if (d->lead_n == 0)
                    d->lead_bom = 1;
                else
                    d->leading = 1;
            } else {
                d->phase = P_DECL;
                continue;
            }
            d->lead_n++;
            break;
        case P_DECL:
            k = ENCODING_DECL_MAX - d->n_decl;
            if (k > n)
                k = n;
            memcpy(d->decl + d->n_decl, p, k);
            d->n_decl += k;
            switch (head_state(d->decl, d->n_decl)) {
            case HEAD_MORE:
                if (d->n_decl < ENCODING_DECL_MAX)
                    break;      /* all of p is held */
                /* Nobody writes such a declaration: drop it whole, so
                 * that libxml2 cannot read an encoding in its rest. */
                if (d->lead_n > (size_t)d->lead_bom)
                    d->leading = 1;
                d->drop_q = d->decl[d->n_decl - 1] == '?';
                d->n_decl = 0;
                d->phase = P_DROP;
                break;
            default:
                if ((rc = flush_head(d, out)) != CUR_OK)
                    return rc;
                break;
            }
            break;
        case P_DROP:
            /* Up to and with the first "?>". */
            k = n;
            if (d->drop_q && p[0] == '>') {
                k = 1;
                d->phase = P_PASS;
                break;
            }
            d->drop_q = p[n - 1] == '?';
            for (const unsigned char *q = p;
                 (q = memchr(q, '?', (size_t)(p + n - q))) != NULL; q++) {
                if (q + 1 < p + n && q[1] == '>') {
                    k = (size_t)(q + 2 - p);
                    d->phase = P_PASS;
                    break;
                }
            }
            break;
        default:
            return buf_append(out, p, n);
        }
        p += k;
        n -= k;
    }
    return CUR_OK;
}

/* Put out p[0..n): whole UTF-8 characters, without U+0000. */
static inline int
put(struct encoding_decoder *d, const unsigned char *p, size_t n,
    struct buf *out)
{
    if (n == 0)
        return CUR_OK;
    if (d->phase == P_PASS)
        return buf_append(out, p, n);
    return put_start(d, p, n, out);
}

static int
put_fffd(struct encoding_decoder *d, size_t bad_bytes, struct buf *out,
         size_t *invalid)
{
    *invalid += bad_bytes;
    return put(d, (const unsigned char *)"\xEF\xBF\xBD", 3, out);
}

/* Put out the code point cp, 0 < cp < U+10000. */
static int
put_cp(struct encoding_decoder *d, unsigned cp, struct buf *out)
{
    unsigned char u[3];
    size_t n;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;                  /* the fix-ups are all in the BMP */
    }
    return put(d, u, n, out);
}

/* Windows-1252 for 0x80-0x9F; 0 where it has no character. */
static const unsigned short cp1252_c1[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Put out p[0..n) as UTF-8 with the WHATWG UTF-8 decoder: one U+FFFD for
 * each maximal subpart of an invalid sequence (overlong forms,
 * surrogates, past U+10FFFF, cut off), U+0000 dropped, valid runs in one
 * piece. The C1 controls U+0080-U+009F become the Windows-1252 character
 * of the same byte where it has one: in a feed they are always that
 * punctuation gone through a Latin-1 decoder ("don\u0092t" is "don't"
 * with U+2019, as browsers read &#146;). *used gets the bytes used: all
 * of them when 'last', else all but a sequence cut off by the end (at
 * most 3 bytes). */
static int
utf8_feed(struct encoding_decoder *d, const unsigned char *p, size_t n,
          int last, struct buf *out, size_t *invalid, size_t *used)
{
    size_t i = 0, run = 0;
    int rc;

    *used = n;
    while (i < n) {
        unsigned char c, lo = 0x80, hi = 0xBF;
        size_t need, k;

#ifdef __SSE2__
        /* Sixteen bytes at a time while none has the high bit or is 0. */
        while (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
            __m128i z = _mm_cmpeq_epi8(v, _mm_setzero_si128());
            if (_mm_movemask_epi8(_mm_or_si128(v, z)) != 0)
                break;
            i += 16;
        }
#endif
        /* Eight bytes at a time while none has the high bit or is 0. */
        while (n - i >= 8) {
            uint64_t v;
            memcpy(&v, p + i, 8);
            if ((v | ((v - ONES) & ~v)) & HIGHS)
                break;
            i += 8;
        }
        /* Then the ASCII bytes before the one that stopped it. */
        while (i < n && p[i] - 1u < 0x7Fu)
            i++;
        if (i >= n)
            break;
        c = p[i];
        /* The common valid sequences first: two bytes past the C1
         * range, three bytes in the BMP but surrogates. */
        if (c >= 0xC2 && c <= 0xDF && n - i >= 2
            && (p[i + 1] & 0xC0) == 0x80 && (c != 0xC2 || p[i + 1] >= 0xA0)) {
            i += 2;
            continue;
        }
        if (c >= 0xE1 && c <= 0xEF && c != 0xED && n - i >= 3
            && (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        if (c < 0x80) {
            if (c != 0) {
                i++;
                continue;
            }
            if ((rc = put(d, p + run, i - run, out)) != CUR_OK)
                return rc;
            d->nul++;
            run = ++i;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;      /* overlong */
            else if (c == 0xED)
                hi = 0x9F;      /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;      /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;      /* past U+10FFFF */
        } else {
            need = 0;           /* continuation, C0, C1, F5-FF */
        }
        for (k = 1; k <= need && i + k < n; k++) {
            if (p[i + k] < lo || p[i + k] > hi)
                break;
            lo = 0x80;
            hi = 0xBF;
        }
        if (need > 0 && k > need) {
            if (c == 0xC2 && p[i + 1] <= 0x9F && cp1252_c1[p[i + 1] - 0x80]) {
                if ((rc = put(d, p + run, i - run, out)) != CUR_OK
                    || (rc = put_cp(d, cp1252_c1[p[i + 1] - 0x80], out))
                       != CUR_OK)
                    return rc;
                run = i + 2;
            }
            i += k;
            continue;
        }
        if ((rc = put(d, p + run, i - run, out)) != CUR_OK)
            return rc;
        if (need > 0 && i + k >= n && !last) {
            *used = i;          /* the rest comes with the next chunk */
            return CUR_OK;
        }
        if ((rc = put_fffd(d, k, out, invalid)) != CUR_OK)
            return rc;
        i += k;
        run = i;
    }
    return put(d, p + run, n - run, out);
}

/* Write out what iconv holds back (glibc's CP1255, CP1258 and
 * BIG5-HKSCS keep the last letter to combine it with an accent). */
static int
iconv_flush(struct encoding_decoder *d, struct buf *out, size_t *invalid)
{
    char tmp[64], *op = tmp;
    size_t ol = sizeof tmp, used;

    if (iconv(d->cd, NULL, NULL, &op, &ol) == (size_t)-1)
        return CUR_EIO;
    return utf8_feed(d, (const unsigned char *)tmp, (size_t)(op - tmp), 1,
                     out, invalid, &used);
}

/* Decode p[0..n) with iconv. A refused byte (a 2-byte unit in UTF-16)
 * becomes U+FFFD, or the WHATWG mapping when glibc has none. A sequence
 * cut off by the end is left out of *used, unless 'last': then it
 * becomes one U+FFFD. */
static int
iconv_span(struct encoding_decoder *d, const unsigned char *p, size_t n,
           int last, struct buf *out, size_t *invalid, size_t *used)
{
    const struct enc *e = d->e;
    size_t unit = (e->flags & ENC_UTF16) ? 2 : 1, u;
    char *ip = (char *)p;
    size_t il = n;
    int rc;

    while (il > 0) {
        char tmp[8192], *op = tmp;
        size_t ol = sizeof tmp;
        size_t r = iconv(d->cd, &ip, &il, &op, &ol);
        int saved = errno;

        /* iconv's output is checked again, and loses its U+0000. */
        rc = utf8_feed(d, (const unsigned char *)tmp, (size_t)(op - tmp), 1,
                       out, invalid, &u);
        if (rc != CUR_OK)
            return rc;
        if (r != (size_t)-1)
            break;
        if (saved == E2BIG && op != tmp)
            continue;
        if (saved == EILSEQ) {
            unsigned char b = (unsigned char)*ip;
            size_t skip = il < unit ? il : unit;

            /* Keep the order of text: out with a held-back letter first. */
            if (!(e->flags & ENC_STATEFUL)
                && (rc = iconv_flush(d, out, invalid)) != CUR_OK)
                return rc;
            if ((e->flags & ENC_C1) && b >= 0x80 && b <= 0x9F)
                rc = put_cp(d, b, out);
            else if ((e->flags & ENC_GB) && b == 0x80)
                rc = put_cp(d, 0x20AC, out);
            else
                rc = put_fffd(d, skip, out, invalid);
            if (rc != CUR_OK)
                return rc;
            ip += skip;
            il -= skip;
            continue;
        }
        if (saved == EINVAL) {
            /* A sequence cut off by the end of the input. */
            if (!last && il <= HOLD_MAX)
                break;          /* the rest comes with the next chunk */
            if ((rc = put_fffd(d, il, out, invalid)) != CUR_OK)
                return rc;
            ip += il;
            il = 0;
            break;
        }
        return CUR_EIO;
    }
    *used = (size_t)(ip - (char *)p);
    return CUR_OK;
}

static int
iconv_feed(struct encoding_decoder *d, const unsigned char *p, size_t n,
           int last, struct buf *out, size_t *invalid, size_t *used)
{
    size_t i = 0, u;
    int rc;

    if (d->e->n_fix == 0)
        return iconv_span(d, p, n, last, out, invalid, used);
    /* A single-byte encoding: up to each byte glibc maps differently. */
    while (i < n) {
        size_t end = i;

        while (end < n && d->fix[p[end]] == 0)
            end++;
        if (end > i && (rc = iconv_span(d, p + i, end - i, 1, out, invalid,
                                        &u)) != CUR_OK)
            return rc;
        if (end < n) {
            if ((rc = iconv_flush(d, out, invalid)) != CUR_OK
                || (rc = put_cp(d, d->fix[p[end]], out)) != CUR_OK)
                return rc;
            end++;
        }
        i = end;
    }
    *used = n;
    return CUR_OK;
}

static int
feed(struct encoding_decoder *d, const unsigned char *p, size_t n, int last,
     struct buf *out, size_t *invalid, size_t *used)
{
    if (d->cd == (iconv_t)-1)
        return utf8_feed(d, p, n, last, out, invalid, used);
    return iconv_feed(d, p, n, last, out, invalid, used);
}

static int
decoder_open(const struct enc *e, struct encoding_decoder **out)
{
    struct encoding_decoder *d;

    *out = NULL;
    if (e == NULL || (e->flags & ENC_REFUSED))
        return CUR_EINVAL;
    d = calloc(1, sizeof *d);
    if (d == NULL)
        return CUR_ENOMEM;
    d->e = e;
    d->cd = (iconv_t)-1;
    d->phase = P_LEAD;
    if (e->iconv != NULL) {
        d->cd = iconv_open("UTF-8", e->iconv);
        if (d->cd == (iconv_t)-1) {
            free(d);
            return CUR_EUNSUPPORTED;
        }
    }
    for (size_t j = 0; j < e->n_fix; j++)
        d->fix[e->fix[j].byte] = e->fix[j].cp;
    *out = d;
    return CUR_OK;
}

struct encoding_decoder *
encoding_decoder_new(const char *whatwg_name)
{
    struct encoding_decoder *d = NULL;
    const struct enc *e;

    if (whatwg_name == NULL)
        return NULL;
    e = enc_by_name(whatwg_name);
    if (e == NULL && label_lookup(whatwg_name, strlen(whatwg_name), &e,
                                  NULL, 0) != CUR_OK)
        return NULL;
    decoder_open(e, &d);
    return d;
}

int
encoding_decoder_push(struct encoding_decoder *d, const char *in,
                      size_t len, int last, struct buf *out, size_t *invalid)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t scratch = 0, used;
    int rc;

    if (d == NULL || out == NULL || (in == NULL && len > 0) || d->finished)
        return CUR_EINVAL;
    if (invalid == NULL)
        invalid = &scratch;
    if (last)
        d->finished = 1;

    /* A sequence cut by the end of the last chunk: finish it with the
     * first bytes of this one, then go on in this one where it ended. */
    while (d->n_held > 0 && (len > 0 || last)) {
        unsigned char tmp[2 * HOLD_MAX];
        size_t h = d->n_held, m = len < HOLD_MAX ? len : HOLD_MAX;

        memcpy(tmp, d->held, h);
        if (m > 0)
            memcpy(tmp + h, p, m);
        d->n_held = 0;
        rc = feed(d, tmp, h + m, last && m == len, out, invalid, &used);
        if (rc != CUR_OK)
            return rc;
        if (used >= h) {
            p += used - h;
            len -= used - h;
            break;
        }
        /* Still cut off: tmp holds all that came. */
        d->n_held = h + m - used;
        memcpy(d->held, tmp + used, d->n_held);
        p += m;
        len -= m;
    }
    if (len > 0) {
        rc = feed(d, p, len, last, out, invalid, &used);
        if (rc != CUR_OK)
            return rc;
        d->n_held = len - used;         /* at most HOLD_MAX */
        memcpy(d->held, p + used, d->n_held);
    }
    if (last) {
        if (d->cd != (iconv_t)-1
            && (rc = iconv_flush(d, out, invalid)) != CUR_OK)
            return rc;
        if (d->phase == P_LEAD || d->phase == P_DECL)
            return flush_head(d, out);
    }
    return CUR_OK;
}

void
encoding_decoder_report(const struct encoding_decoder *d,
                        struct encoding_info *info)
{
    if (d == NULL || info == NULL)
        return;
    info->stripped_nul = d->nul;
    if (d->leading)
        info->leading_space = 1;
}

void
encoding_decoder_free(struct encoding_decoder *d)
{
    if (d == NULL)
        return;
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    free(d);
}

/* ---- whole documents --------------------------------------------------- */

int
encoding_to_utf8(const char *in, size_t len, const char *content_type,
                 size_t max_out, char **out, size_t *out_len,
                 struct encoding_info *info, char *err, size_t errlen)
{
    struct encoding_info scratch;
    struct encoding_decoder *d = NULL;
    const struct enc *e;
    struct buf b;
    int rc;

    set_err(err, errlen, "%s", "");
    if (info == NULL)
        info = &scratch;
    memset(info, 0, sizeof *info);
    if (out != NULL)
        *out = NULL;
    if (out_len != NULL)
        *out_len = 0;
    if (out == NULL || out_len == NULL || (in == NULL && len > 0)) {
        set_err(err, errlen, "invalid argument");
        return CUR_EINVAL;
    }
    if (in == NULL)
        in = "";

    rc = encoding_detect(in, len, content_type, info, err, errlen);
    if (rc != CUR_OK)
        return rc;
    e = enc_by_name(info->name);
    rc = decoder_open(e, &d);
    if (rc == CUR_OK) {
        buf_init(&b, max_out);
        rc = encoding_decoder_push(d, in + info->skip, len - info->skip, 1,
                                   &b, &info->invalid_bytes);
        if (rc == CUR_OK) {
            encoding_decoder_report(d, info);
            *out_len = b.len;
            if ((*out = buf_steal(&b)) == NULL)
                rc = CUR_ENOMEM;
        }
        buf_free(&b);
        encoding_decoder_free(d);
    }
    if (rc == CUR_OK)
        return CUR_OK;
    *out_len = 0;
    memset(info, 0, sizeof *info);
    if (rc == CUR_ETOOBIG)
        set_err(err, errlen, "document is over %zu bytes in UTF-8", max_out);
    else if (rc == CUR_EUNSUPPORTED)
        set_err(err, errlen, "iconv cannot decode %s", e->iconv);
    else if (rc == CUR_EIO)
        set_err(err, errlen, "iconv failed for %s", e->iconv);
    else
        set_err(err, errlen, "out of memory");
    return rc;
}
