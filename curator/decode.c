/* Encoding detection (RFC 7303 order, WHATWG labels) and streaming
 * conversion to UTF-8 with iconv. */
#define _GNU_SOURCE     /* memmem */
#include "decode.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* WHATWG Encoding Standard labels we accept, with the iconv name that
 * decodes them the way browsers do. Labels not listed (UTF-7, UTF-32,
 * EBCDIC, ISO-2022-KR, HZ...) are refused. */
static const struct label {
    const char *label, *name, *iconv;
} labels[] = {
    { "utf-8", "utf-8", NULL }, { "utf8", "utf-8", NULL },
    { "unicode-1-1-utf-8", "utf-8", NULL },
    { "utf-16", "utf-16le", "UTF-16LE" }, { "utf-16le", "utf-16le",
      "UTF-16LE" }, { "utf-16be", "utf-16be", "UTF-16BE" },
    { "unicode", "utf-16le", "UTF-16LE" }, { "ucs-2", "utf-16le",
      "UTF-16LE" },
    /* Browsers read Latin-1 and ASCII labels as Windows-1252. */
    { "windows-1252", "windows-1252", "WINDOWS-1252" },
    { "cp1252", "windows-1252", "WINDOWS-1252" },
    { "x-cp1252", "windows-1252", "WINDOWS-1252" },
    { "iso-8859-1", "windows-1252", "WINDOWS-1252" },
    { "iso8859-1", "windows-1252", "WINDOWS-1252" },
    { "iso_8859-1", "windows-1252", "WINDOWS-1252" },
    { "iso88591", "windows-1252", "WINDOWS-1252" },
    { "latin1", "windows-1252", "WINDOWS-1252" },
    { "l1", "windows-1252", "WINDOWS-1252" },
    { "us-ascii", "windows-1252", "WINDOWS-1252" },
    { "ascii", "windows-1252", "WINDOWS-1252" },
    { "ansi_x3.4-1968", "windows-1252", "WINDOWS-1252" },
    { "iso-ir-100", "windows-1252", "WINDOWS-1252" },
    { "ibm819", "windows-1252", "WINDOWS-1252" },
    { "cp819", "windows-1252", "WINDOWS-1252" },
    { "csisolatin1", "windows-1252", "WINDOWS-1252" },
    { "iso-8859-9", "windows-1254", "WINDOWS-1254" },
    { "latin5", "windows-1254", "WINDOWS-1254" },
    { "iso-8859-11", "windows-874", "WINDOWS-874" },
    { "tis-620", "windows-874", "WINDOWS-874" },
    { "windows-874", "windows-874", "WINDOWS-874" },
    { "windows-1250", "windows-1250", "WINDOWS-1250" },
    { "cp1250", "windows-1250", "WINDOWS-1250" },
    { "windows-1251", "windows-1251", "WINDOWS-1251" },
    { "cp1251", "windows-1251", "WINDOWS-1251" },
    { "windows-1253", "windows-1253", "WINDOWS-1253" },
    { "windows-1254", "windows-1254", "WINDOWS-1254" },
    { "windows-1255", "windows-1255", "WINDOWS-1255" },
    { "windows-1256", "windows-1256", "WINDOWS-1256" },
    { "windows-1257", "windows-1257", "WINDOWS-1257" },
    { "windows-1258", "windows-1258", "WINDOWS-1258" },
    { "iso-8859-2", "iso-8859-2", "ISO-8859-2" },
    { "latin2", "iso-8859-2", "ISO-8859-2" },
    { "iso-8859-3", "iso-8859-3", "ISO-8859-3" },
    { "iso-8859-4", "iso-8859-4", "ISO-8859-4" },
    { "iso-8859-5", "iso-8859-5", "ISO-8859-5" },
    { "iso-8859-6", "iso-8859-6", "ISO-8859-6" },
    { "iso-8859-7", "iso-8859-7", "ISO-8859-7" },
    { "iso-8859-8", "iso-8859-8", "ISO-8859-8" },
    { "iso-8859-8-i", "iso-8859-8-i", "ISO-8859-8" },
    { "iso-8859-10", "iso-8859-10", "ISO-8859-10" },
    { "iso-8859-13", "iso-8859-13", "ISO-8859-13" },
    { "iso-8859-14", "iso-8859-14", "ISO-8859-14" },
    { "iso-8859-15", "iso-8859-15", "ISO-8859-15" },
    { "latin9", "iso-8859-15", "ISO-8859-15" },
    { "iso-8859-16", "iso-8859-16", "ISO-8859-16" },
    { "ibm866", "ibm866", "IBM866" }, { "cp866", "ibm866", "IBM866" },
    { "koi8-r", "koi8-r", "KOI8-R" }, { "koi8", "koi8-r", "KOI8-R" },
    { "koi8-u", "koi8-u", "KOI8-U" },
    { "macintosh", "macintosh", "MACINTOSH" },
    { "mac", "macintosh", "MACINTOSH" },
    { "x-mac-roman", "macintosh", "MACINTOSH" },
    { "x-mac-cyrillic", "x-mac-cyrillic", "MAC-CYRILLIC" },
    { "gbk", "gb18030", "GB18030" }, { "gb2312", "gb18030", "GB18030" },
    { "gb18030", "gb18030", "GB18030" }, { "x-gbk", "gb18030", "GB18030" },
    { "chinese", "gb18030", "GB18030" }, { "euc-cn", "gb18030",
      "GB18030" },
    { "big5", "big5", "BIG5-HKSCS" }, { "big5-hkscs", "big5",
      "BIG5-HKSCS" }, { "x-x-big5", "big5", "BIG5-HKSCS" },
    { "euc-jp", "euc-jp", "EUC-JP" }, { "x-euc-jp", "euc-jp", "EUC-JP" },
    { "iso-2022-jp", "iso-2022-jp", "ISO-2022-JP" },
    { "shift_jis", "shift_jis", "CP932" }, { "shift-jis", "shift_jis",
      "CP932" }, { "sjis", "shift_jis", "CP932" },
    { "windows-31j", "shift_jis", "CP932" }, { "ms_kanji", "shift_jis",
      "CP932" }, { "x-sjis", "shift_jis", "CP932" },
    { "euc-kr", "euc-kr", "CP949" }, { "ks_c_5601-1987", "euc-kr",
      "CP949" }, { "windows-949", "euc-kr", "CP949" },
    { "korean", "euc-kr", "CP949" },
};

static const struct label *
lookup(const char *label)
{
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcasecmp(label, labels[i].label) == 0)
            return &labels[i];
    return NULL;
}

/* Copy a label out of [s, end), trimmed and unquoted. */
static void
copy_label(char *out, size_t max, const char *s, const char *end)
{
    while (s < end && (isspace((unsigned char)*s) || *s == '"' || *s == '\''))
        s++;
    while (end > s && (isspace((unsigned char)end[-1]) || end[-1] == '"'
                       || end[-1] == '\''))
        end--;
    size_t n = (size_t)(end - s) < max - 1 ? (size_t)(end - s) : max - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* charset=... from a Content-Type value, or "" when absent. */
static void
content_type_charset(const char *ct, char *out, size_t max)
{
    out[0] = '\0';
    for (const char *p = ct ? strchr(ct, ';') : NULL; p;
         p = strchr(p + 1, ';')) {
        const char *q = p + 1;
        while (*q == ' ' || *q == '\t')
            q++;
        if (strncasecmp(q, "charset", 7) != 0)
            continue;
        q += 7;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        const char *end = strchr(q + 1, ';');
        copy_label(out, max, q + 1, end ? end : q + 1 + strlen(q + 1));
        return;
    }
}

/* encoding="..." from an XML declaration at d (ASCII-compatible). */
static void
declared_encoding(const char *d, size_t len, char *out, size_t max)
{
    out[0] = '\0';
    if (len < 6 || memcmp(d, "<?xml", 5) != 0)
        return;
    const char *end = memchr(d, '>', len);
    if (end == NULL)
        return;
    for (const char *p = d + 5; p + 8 < end; p++) {
        if (memcmp(p, "encoding", 8) != 0)
            continue;
        const char *q = p + 8;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || *q != '=')
            return;
        q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        if (q >= end || (*q != '"' && *q != '\''))
            return;
        char quote = *q++;
        const char *close = memchr(q, quote, (size_t)(end - q));
        if (close)
            copy_label(out, max, q, close);
        return;
    }
}

int
decode_detect(const char *head, size_t len, const char *content_type,
              struct decode_info *info, char *err, size_t errlen)
{
    const unsigned char *u = (const unsigned char *)head;
    char label[64] = "", declared[64] = "";
    const struct label *l = NULL;

    memset(info, 0, sizeof *info);
    /* 1. A byte order mark. */
    if (len >= 4 && ((u[0] == 0 && u[1] == 0 && u[2] == 0xFE && u[3] == 0xFF)
                     || (u[0] == 0xFF && u[1] == 0xFE && u[2] == 0
                         && u[3] == 0))) {
        snprintf(err, errlen, "encoding UTF-32 is not allowed (not a WHATWG "
                 "encoding)");
        return CUR_EENCODING;
    }
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        l = lookup("utf-8");
        info->skip = 3;
        info->source = "bom";
    } else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        l = lookup("utf-16le");
        info->skip = 2;
        info->source = "bom";
    } else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
        l = lookup("utf-16be");
        info->skip = 2;
        info->source = "bom";
    }
    /* 2. The HTTP charset. */
    content_type_charset(content_type, label, sizeof label);
    if (l == NULL && label[0]) {
        if ((l = lookup(label)) == NULL) {
            snprintf(err, errlen, "encoding \"%.40s\" (from Content-Type) is "
                     "not allowed (not a WHATWG encoding)", label);
            return CUR_EENCODING;
        }
        info->source = "content-type";
    }
    /* UTF-16 or UTF-32 without a BOM shows in the first bytes of "<?". */
    if (l == NULL && len >= 4) {
        if ((u[0] == '<' && u[1] == 0 && u[2] == 0 && u[3] == 0)
            || (u[0] == 0 && u[1] == 0 && u[2] == 0 && u[3] == '<')) {
            snprintf(err, errlen, "encoding UTF-32 is not allowed (not a "
                     "WHATWG encoding)");
            return CUR_EENCODING;
        }
        if (u[0] == '<' && u[1] == 0 && u[2] == '?' && u[3] == 0) {
            l = lookup("utf-16le");
            info->source = "sniffed";
        } else if (u[0] == 0 && u[1] == '<' && u[2] == 0 && u[3] == '?') {
            l = lookup("utf-16be");
            info->source = "sniffed";
        } else if (u[0] == 0x4C && u[1] == 0x6F && u[2] == 0xA7
                   && u[3] == 0x94) {
            snprintf(err, errlen, "encoding EBCDIC is not allowed (not a "
                     "WHATWG encoding)");
            return CUR_EENCODING;
        }
    }
    /* 3. The XML declaration, after any white space. */
    size_t start = info->skip;
    if (l == NULL || strncmp(l->name, "utf-16", 6) != 0) {
        while (start < len && isspace(u[start]))
            start++;
        if (start > info->skip && start + 5 <= len
            && memcmp(head + start, "<?xml", 5) == 0) {
            info->leading_space = 1;
            info->skip = start;
        }
        declared_encoding(head + start, len - start, declared,
                          sizeof declared);
    }
    if (l == NULL && declared[0]) {
        if ((l = lookup(declared)) == NULL) {
            snprintf(err, errlen, "encoding \"%.40s\" is not allowed (not a "
                     "WHATWG encoding)", declared);
            return CUR_EENCODING;
        }
        info->source = "declaration";
    } else if (l && declared[0]
               && (lookup(declared) == NULL
                   || strcmp(lookup(declared)->name, l->name) != 0)
               && strcmp(info->source, "sniffed") != 0) {
        snprintf(info->mismatch, sizeof info->mismatch, "document declares "
                 "%.40s but the %s says %s; used %s", declared,
                 strcmp(info->source, "bom") == 0 ? "byte order mark"
                 : "HTTP header", l->name, l->name);
    }
    if (l == NULL) {
        l = lookup("utf-8");
        info->source = "default";
    }
    snprintf(info->name, sizeof info->name, "%s", l->name);
    return CUR_OK;
}

struct decoder {
    iconv_t cd;                 /* (iconv_t)-1 for UTF-8 */
    unsigned char held[8];      /* a sequence cut by the chunk end */
    size_t n_held;
    int started;                /* the XML declaration check is done */
    int in_decl;                /* dropping the XML declaration */
};

struct decoder *
decoder_new(const char *name)
{
    struct decoder *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->cd = (iconv_t)-1;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        if (strcmp(labels[i].name, name) == 0 && labels[i].iconv) {
            d->cd = iconv_open("UTF-8", labels[i].iconv);
            if (d->cd == (iconv_t)-1) {
                free(d);
                return NULL;
            }
            break;
        }
    }
    return d;
}

void
decoder_free(struct decoder *d)
{
    if (d == NULL)
        return;
    if (d->cd != (iconv_t)-1)
        iconv_close(d->cd);
    free(d);
}

/* Length of the valid UTF-8 sequence at s (n bytes available): 1-4,
 * 0 if invalid, -1 if it may continue past the end. */
static int
utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    int len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;      /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return -1;
        unsigned b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
            return 0;
    }
    return len;
}

/* Windows-1252 for 0x80-0x9F; 0 where it has no character. */
static const unsigned short cp1252_c1[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Append the UTF-8 form of U+0080-U+009F 'c1' as Windows-1252 reads the
 * byte: those C1 controls never mean themselves in a feed, they are
 * Windows-1252 punctuation that went through a Latin-1 decoder (browsers
 * read &#146; the same way). One with no such character is kept. */
static int
append_c1(struct buf *out, unsigned c1)
{
    unsigned c = cp1252_c1[c1 - 0x80];
    char u[3];
    if (c == 0) {
        u[0] = (char)0xC2;
        u[1] = (char)c1;
        return buf_append(out, u, 2);
    }
    if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        return buf_append(out, u, 2);
    }
    u[0] = (char)(0xE0 | (c >> 12));
    u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
    u[2] = (char)(0x80 | (c & 0x3F));
    return buf_append(out, u, 3);
}

/* Append valid UTF-8 from 'in', replacing what is not, dropping NUL and
 * reading C1 controls as Windows-1252 (append_c1).
 * Returns the bytes consumed (a cut sequence at the end is left). */
static size_t
append_utf8(const unsigned char *in, size_t len, int last, struct buf *out,
            size_t *invalid, int *rc)
{
    size_t i = 0, run = 0;
    while (i < len && *rc == CUR_OK) {
        /* Eight ASCII bytes at a time: no high bit set, none below 0x20
         * (checked below only when one might be NUL). */
        while (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, in + i, 8);
            if ((v & 0x8080808080808080ULL)
                || ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        if (in[i] != 0 && in[i] < 0x80) {
            i++;
            continue;
        }
        int n = in[i] == 0 ? 0 : utf8_seq(in + i, len - i);
        if (n == -1 && !last)
            break;
        if (n == 2 && in[i] == 0xC2 && in[i + 1] < 0xA0) {
            *rc = buf_append(out, in + run, i - run);
            if (*rc == CUR_OK)
                *rc = append_c1(out, in[i + 1]);
            i += 2;
            run = i;
            continue;
        }
        if (n > 0) {
            i += (size_t)n;
            continue;
        }
        *rc = buf_append(out, in + run, i - run);
        if (in[i] != 0) {
            if (*rc == CUR_OK)
                *rc = buf_append(out, "\xEF\xBF\xBD", 3);
            (*invalid)++;
        }
        i++;
        run = i;
    }
    if (*rc == CUR_OK)
        *rc = buf_append(out, in + run, i - run);
    return i;
}

static int
convert(struct decoder *d, const char *in, size_t len, int last,
        struct buf *out, size_t *invalid)
{
    int rc = CUR_OK;
    if (d->cd == (iconv_t)-1) {
        size_t used = append_utf8((const unsigned char *)in, len, last, out,
                                  invalid, &rc);
        d->n_held = len - used;     /* < 4 */
        memcpy(d->held, in + used, d->n_held);
        return rc;
    }
    char tmp[8192];
    char *src = (char *)in;
    size_t left = len;
    while (left > 0 && rc == CUR_OK) {
        char *dst = tmp;
        size_t room = sizeof tmp;
        size_t r = iconv(d->cd, &src, &left, &dst, &room);
        int e = r == (size_t)-1 ? errno : 0;
        size_t got = sizeof tmp - room;
        /* iconv output is valid UTF-8; NUL is still to be dropped. */
        size_t dummy = 0;
        append_utf8((const unsigned char *)tmp, got, 1, out, &dummy, &rc);
        if (e == EILSEQ) {
            src++;
            left--;
            (*invalid)++;
            rc = rc == CUR_OK ? buf_append(out, "\xEF\xBF\xBD", 3) : rc;
        } else if (e == EINVAL) {
            if (!last && left < sizeof d->held) {
                memcpy(d->held, src, left);
                d->n_held = left;
                left = 0;
            } else {
                (*invalid)++;
                rc = rc == CUR_OK ? buf_append(out, "\xEF\xBF\xBD", 3) : rc;
                src++;
                left--;
            }
        }
    }
    return rc;
}

int
decoder_push(struct decoder *d, const char *in, size_t len, int last,
             struct buf *out, size_t *invalid)
{
    size_t start = out->len;
    int rc = CUR_OK;

    char *joined = NULL;
    if (d->n_held) {
        /* A sequence cut by the last chunk: decode it with this one. */
        joined = malloc(d->n_held + len);
        if (joined == NULL)
            return CUR_ENOMEM;
        memcpy(joined, d->held, d->n_held);
        memcpy(joined + d->n_held, in, len);
        in = joined;
        len += d->n_held;
        d->n_held = 0;
    }
    if (len || last)
        rc = convert(d, in, len, last, out, invalid);
    free(joined);
    if (rc == CUR_OK && last && d->n_held) {
        (*invalid)++;
        d->n_held = 0;
        rc = buf_append(out, "\xEF\xBF\xBD", 3);
    }
    if (rc == CUR_OK && !d->started && out->len > start) {
        /* Drop the XML declaration: the text is UTF-8 now, and a
         * declaration naming another encoding would make libxml2 decode
         * it again. The line break after it stays, so lines still
         * count right. */
        d->started = 1;
        char *s = out->data + start;
        size_t n = out->len - start;
        if (n >= 6 && memcmp(s, "<?xml", 5) == 0
            && (s[5] == ' ' || s[5] == '\t' || s[5] == '\r' || s[5] == '\n')) {
            char *end = memmem(s, n, "?>", 2);
            if (end) {
                size_t cut = (size_t)(end + 2 - s);
                memmove(s, s + cut, n - cut);
                out->len -= cut;
                out->data[out->len] = '\0';
            }
        }
    }
    return rc;
}
