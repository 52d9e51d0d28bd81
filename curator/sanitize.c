/* Sanitising untrusted HTML, and plain text out of it.
 *
 * Safe HTML: libxml2's HTML parser reads the fragment (no network, no
 * implied html/body, every white space kept) and, instead of building a
 * tree, hands its events to a walk that sees what the tree would have
 * held and writes back only what the element table below allows, in a
 * canonical form: lower-case names, attributes double-quoted with & " <
 * > and U+00A0 escaped, text with & < > and U+00A0 escaped, every
 * non-void element closed. The walk also keeps a content model that HTML5 and libxml2
 * both parse back to the same tree (no block inside p or inline
 * elements, li only in ul/ol, dt/dd only in dl, tables with their
 * sections, rows and cells, no a inside a, no leading LF in pre), adding
 * wrapper elements or unwrapping where the input broke it. So the output
 * means the same to every browser whatever the input meant to libxml2,
 * and sanitize_html(sanitize_html(x)) == sanitize_html(x).
 *
 * Plain text: a single pass over the bytes with the HTML5 tokenizer's
 * rules for tags, attributes, comments, raw-text elements and character
 * references, and no tree; fast enough to run on every item.
 *
 * URLs are resolved with the parser's RFC 3986 resolver; which schemes
 * pass is decided here.
 */
#include "sanitize.h"
#include "buf.h"
#include "err.h"
#include "parse_int.h"      /* parse_resolve_url() */

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/parserInternals.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>      /* SSE2 is in every x86-64 */
#endif

/* Output nesting above which elements are unwrapped; libxml2 refuses
 * documents deeper than 256, and the output must parse back whole. */
#define SAN_DEPTH_CAP 160
#define SAN_TEXT_ATTR_MAX 2000      /* bytes of a title or alt */
#define SAN_URL_MAX (64 << 10)      /* bytes of a URL other than data: */
#define SAN_INPUT_MAX ((size_t)256 << 20)

/* ------------------------------------------------------------------ */
/* Characters                                                          */

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
        || c == '\v';
}

/* HTML's ASCII white space. */
static int
html_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Length of the well-formed UTF-8 sequence at p (p < end) with its code
 * point in *cp, or 0 when the bytes there are not one. */
static size_t
utf8_next(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
    unsigned c = p[0], v, min;
    size_t n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* Eight bytes at a time: whether any byte of v is below 0x20, DEL or at
 * or above 0x80, or equal to one of the bytes a to d (repeat one to use
 * fewer). */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define EQ_BYTE(v, c) ((((v) ^ (ONES * (c))) - ONES) & ~((v) ^ (ONES * (c))))

static inline int
word_stops(uint64_t v, unsigned char a, unsigned char b, unsigned char c,
           unsigned char d)
{
    uint64_t t = ((v - ONES * 0x20) & ~v) | v | EQ_BYTE(v, 0x7F)
                 | EQ_BYTE(v, a) | EQ_BYTE(v, b) | EQ_BYTE(v, c)
                 | EQ_BYTE(v, d);
    return (t & HIGHS) != 0;
}

/* Where a valid UTF-8 sequence of two or more bytes at p (p < end, *p
 * >= 0x80) ends, or NULL when it is not one or is U+FFFE, U+FFFF or
 * (when 'nbsp') U+00A0: the characters every copier here treats apart
 * from the rest. */
static inline const unsigned char *
utf8_plain(const unsigned char *p, const unsigned char *end, int nbsp)
{
    unsigned cp;
    /* The commonest first: two bytes, three bytes in E1 to EC. */
    if (p[0] >= 0xC2 && p[0] <= 0xDF && end - p >= 2
        && (p[1] & 0xC0) == 0x80 && !(nbsp && p[0] == 0xC2 && p[1] == 0xA0))
        return p + 2;
    if (p[0] >= 0xE1 && p[0] <= 0xEC && end - p >= 3
        && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
        return p + 3;
    size_t n = utf8_next(p, end, &cp);
    if (n == 0 || cp == 0xFFFE || cp == 0xFFFF || (nbsp && cp == 0xA0))
        return NULL;
    return p + n;
}

/* Encode cp (a valid scalar value) at o; returns the byte count. */
static size_t
utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Code points never written out: C0 controls but TAB and LF (CR is
 * turned into LF before), DEL, and the two non-characters XML refuses. */
static int
dropped_cp(unsigned cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7F
        || cp == 0xFFFE || cp == 0xFFFF;
}

/* What a numeric character reference stands for (HTML5 8.2.4.80). */
static unsigned
numeric_ref_cp(unsigned long v)
{
    static const unsigned short win1252[32] = {
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    };
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0xFFFD;
    if (v >= 0x80 && v <= 0x9F)
        return win1252[v - 0x80];
    if (v == '\r')
        return '\n';
    return (unsigned)v;
}

/* A character reference at p ('&', p < end). Returns the bytes it takes
 * with its code point in *cp, or 0 when the '&' is a literal one. Named
 * references need their ';' and come from libxml2's HTML entity table;
 * numeric ones may lack the ';', as in a browser. */
static size_t
char_ref(const char *p, const char *end, unsigned *cp)
{
    const char *q = p + 1;

    if (q < end && *q == '#') {
        int hex = q + 1 < end && (q[1] == 'x' || q[1] == 'X');
        const char *d = q + 1 + hex, *s = d;
        unsigned long v = 0;
        while (d < end && (hex ? isxdigit((unsigned char)*d)
                               : isdigit((unsigned char)*d))) {
            if (v <= 0x10FFFF) {
                unsigned c = (unsigned char)*d;
                v = v * (hex ? 16 : 10)
                    + (isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            d++;
        }
        if (d == s)
            return 0;
        if (d < end && *d == ';')
            d++;
        *cp = numeric_ref_cp(v);
        return (size_t)(d - p);
    }
    char name[33];
    size_t n = 0;
    while (q + n < end && n < 32 && isalnum((unsigned char)q[n])) {
        name[n] = q[n];
        n++;
    }
    if (n == 0 || q + n >= end || q[n] != ';')
        return 0;
    name[n] = '\0';
    /* The common ones first: libxml2's lookup is a linear search. */
    static const struct { const char *name; unsigned cp; } common[] = {
        { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
        { "nbsp", 0xA0 }, { "apos", '\'' },
    };
    for (size_t i = 0; i < sizeof common / sizeof *common; i++) {
        if (strcmp(name, common[i].name) == 0) {
            *cp = common[i].cp;
            return n + 2;
        }
    }
    const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
    if (e == NULL)
        return 0;
    *cp = e->value;
    return n + 2;
}

/* ------------------------------------------------------------------ */
/* Cutting and squeezing                                               */

/* s (len bytes) is longer than max: cut it at a word boundary (space or
 * line break) near max - 3, never inside a UTF-8 sequence, and end it
 * with "..." (nothing at all when max < 3). */
static void
cut_words(char *s, size_t max)
{
    size_t cut = max >= 3 ? max - 3 : 0;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    size_t word = cut;
    while (word > 0 && s[word] != ' ' && s[word] != '\n')
        word--;
    if (word > cut / 2)
        cut = word;
    while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == '\n'))
        cut--;
    /* A list bullet alone on the last line goes too. */
    size_t ls = cut;
    while (ls > 0 && s[ls - 1] != '\n')
        ls--;
    size_t b = ls;
    while (b < cut && s[b] == ' ')
        b++;
    if (cut - b == 3 && memcmp(s + b, "\xe2\x80\xa2", 3) == 0)
        b = cut;
    else if (b < cut && isdigit((unsigned char)s[b])) {
        while (b < cut && isdigit((unsigned char)s[b]))
            b++;
        b += b + 1 == cut && s[b] == '.';
    }
    if (b == cut && ls < cut) {
        cut = ls;
        while (cut > 0 && (s[cut - 1] == ' ' || s[cut - 1] == '\n'))
            cut--;
    }
    if (max >= 3) {
        memcpy(s + cut, "...", 3);
        cut += 3;
    }
    s[cut] = '\0';
}

char *
sanitize_trim(char *s)
{
    size_t len = strlen(s), start = 0;
    while (start < len && is_space((unsigned char)s[start]))
        start++;
    while (len > start && is_space((unsigned char)s[len - 1]))
        len--;
    if (start > 0)
        memmove(s, s + start, len - start);
    s[len - start] = '\0';
    return s;
}

/* Whether s (len bytes) is squeezed already: no white space at either
 * end, and none inside but single spaces. Most strings are. */
static int
squeezed(const char *s, size_t len)
{
    size_t i = 0;
    int prev = 0;           /* the byte before i is a space */

    if (len > 0 && (s[0] == ' ' || s[len - 1] == ' '))
        return 0;
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), nine = _mm_set1_epi8(9);
    const __m128i four = _mm_set1_epi8(4);
    for (; len - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        /* TAB to CR: v - 9 at most 4, unsigned. */
        __m128i t = _mm_sub_epi8(v, nine);
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(t, four), t)))
            return 0;
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, sp));
        if ((m & (m >> 1)) || (prev && (m & 1)))
            return 0;
        prev = (m >> 15) & 1;
    }
#endif
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ') {
            if (prev)
                return 0;
            prev = 1;
        } else if (c >= '\t' && c <= '\r') {
            return 0;
        } else {
            prev = 0;
        }
    }
    return 1;
}

char *
sanitize_squeeze(char *s, size_t max)
{
    size_t len = strlen(s), i = 0, o = 0;
    int space = 0;

    if (squeezed(s, len)) {
        if (len > max)
            cut_words(s, max);
        return s;
    }
    while (i < len) {
        /* A run without white space moves in one piece; eight bytes at
         * a time while none is a control or a space. */
        size_t from = i;
        while (len - i >= 8) {
            uint64_t v;
            memcpy(&v, s + i, 8);
            if (((v - ONES * 0x21) & ~v & HIGHS) != 0)
                break;
            i += 8;
        }
        while (i < len && !is_space((unsigned char)s[i]))
            i++;
        if (i > from) {
            if (space) {
                s[o++] = ' ';
                space = 0;
            }
            if (o != from)
                memmove(s + o, s + from, i - from);
            o += i - from;
        }
        if (i < len) {
            space = o > 0;
            i++;
        }
    }
    s[o] = '\0';
    if (o > max)
        cut_words(s, max);
    return s;
}

/* ------------------------------------------------------------------ */
/* The element table                                                   */

enum el_kind {
    K_UNWRAP = 0,   /* drop the tag, keep what is inside */
    K_DROP,         /* drop the tag and what is inside */
    K_KEEP          /* keep (under the output name) */
};

/* Where a kept element may stand and what it may hold. */
enum el_cat {
    C_INLINE,       /* phrasing: holds inline content */
    C_BLOCKI,       /* block holding inline content: p, h1-h6, pre */
    C_BLOCKF,       /* block holding blocks too: div, blockquote... */
    C_LIST,         /* ul, ol: holds li */
    C_LI,
    C_DL,           /* dl: holds dt, dd */
    C_DT,           /* inline content */
    C_DD,           /* flow content */
    C_TABLE,        /* holds caption, thead, tbody, tfoot */
    C_CAPTION,      /* inline content */
    C_TSECT,        /* thead, tbody, tfoot: hold tr */
    C_TR,           /* holds td, th */
    C_CELL,         /* td, th: flow content */
    C_VOIDI,        /* br, img, wbr */
    C_HR,
    C_MEDIA,        /* video, audio: hold source */
    C_SOURCE
};

/* What an element does to plain text. */
enum el_text {
    T_INLINE = 0,   /* nothing: it may sit inside a word */
    T_LINE,         /* a line break before and after */
    T_PARA,         /* a blank line before and after */
    T_PRE,          /* T_PARA, line breaks inside kept */
    T_BR,
    T_LIST,         /* ul, ol */
    T_LI,
    T_CELL,         /* a space between cells */
    T_A,
    T_RAW,          /* raw text up to its end tag, dropped */
    T_SKIP,         /* content dropped up to the matching end tag */
    T_PLAINTEXT     /* the rest of the input is dropped */
};

#define F_VOID 1        /* never has content (libxml2 may not know it) */
#define F_ORDERED 2     /* ol */
#define F_FOREIGN 4     /* svg, math: <x/> is empty */

struct el {
    const char *name;
    const char *out;            /* output name, NULL: the same */
    unsigned char kind, cat, text, flags;
};

/* Sorted by name (strcmp) for bsearch. */
static const struct el elements[] = {
    { "a", NULL, K_KEEP, C_INLINE, T_A, 0 },
    { "abbr", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "acronym", "abbr", K_KEEP, C_INLINE, T_INLINE, 0 },
    { "address", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "applet", NULL, K_DROP, 0, T_SKIP, 0 },
    { "area", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "article", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "aside", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "audio", NULL, K_KEEP, C_MEDIA, T_SKIP, 0 },
    { "b", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "base", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "basefont", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "bdi", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "bdo", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "bgsound", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "big", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "blink", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "blockquote", NULL, K_KEEP, C_BLOCKF, T_PARA, 0 },
    { "body", NULL, K_UNWRAP, 0, T_LINE, 0 },
    { "br", NULL, K_KEEP, C_VOIDI, T_BR, F_VOID },
    { "button", NULL, K_DROP, 0, T_SKIP, 0 },
    { "canvas", NULL, K_DROP, 0, T_SKIP, 0 },
    { "caption", NULL, K_KEEP, C_CAPTION, T_LINE, 0 },
    { "center", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "cite", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "code", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "col", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "colgroup", NULL, K_DROP, 0, T_SKIP, 0 },
    { "data", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "datalist", NULL, K_DROP, 0, T_SKIP, 0 },
    { "dd", NULL, K_KEEP, C_DD, T_LINE, 0 },
    { "del", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "details", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "dfn", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "dialog", NULL, K_DROP, 0, T_SKIP, 0 },
    { "dir", "ul", K_KEEP, C_LIST, T_LIST, 0 },
    { "div", NULL, K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "dl", NULL, K_KEEP, C_DL, T_PARA, 0 },
    { "dt", NULL, K_KEEP, C_DT, T_LINE, 0 },
    { "em", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "embed", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "fieldset", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "figcaption", NULL, K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "figure", NULL, K_KEEP, C_BLOCKF, T_PARA, 0 },
    { "font", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "footer", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "form", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "frame", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "frameset", NULL, K_DROP, 0, T_SKIP, 0 },
    { "h1", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "h2", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "h3", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "h4", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "h5", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "h6", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "head", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "header", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "hgroup", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "hr", NULL, K_KEEP, C_HR, T_PARA, F_VOID },
    { "html", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "i", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "iframe", NULL, K_DROP, 0, T_RAW, 0 },
    { "image", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "img", NULL, K_KEEP, C_VOIDI, T_INLINE, F_VOID },
    { "input", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "ins", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "isindex", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "kbd", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "keygen", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "label", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "legend", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "li", NULL, K_KEEP, C_LI, T_LI, 0 },
    { "link", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "listing", "pre", K_KEEP, C_BLOCKI, T_PRE, 0 },
    { "main", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "map", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "mark", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "marquee", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "math", NULL, K_DROP, 0, T_SKIP, F_FOREIGN },
    { "menu", "ul", K_KEEP, C_LIST, T_LIST, 0 },
    { "meta", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "meter", NULL, K_DROP, 0, T_SKIP, 0 },
    { "nav", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "nobr", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "noembed", NULL, K_DROP, 0, T_RAW, 0 },
    { "noframes", NULL, K_DROP, 0, T_RAW, 0 },
    { "noscript", NULL, K_DROP, 0, T_RAW, 0 },
    { "object", NULL, K_DROP, 0, T_SKIP, 0 },
    { "ol", NULL, K_KEEP, C_LIST, T_LIST, F_ORDERED },
    { "optgroup", NULL, K_DROP, 0, T_SKIP, 0 },
    { "option", NULL, K_DROP, 0, T_SKIP, 0 },
    { "output", NULL, K_DROP, 0, T_SKIP, 0 },
    { "p", NULL, K_KEEP, C_BLOCKI, T_PARA, 0 },
    { "param", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "picture", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "plaintext", NULL, K_DROP, 0, T_PLAINTEXT, 0 },
    { "portal", NULL, K_DROP, 0, T_SKIP, 0 },
    { "pre", NULL, K_KEEP, C_BLOCKI, T_PRE, 0 },
    { "progress", NULL, K_DROP, 0, T_SKIP, 0 },
    { "q", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "rb", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "rp", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "rt", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "rtc", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "ruby", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "s", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "samp", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "script", NULL, K_DROP, 0, T_RAW, 0 },
    { "search", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "section", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "select", NULL, K_DROP, 0, T_SKIP, 0 },
    { "slot", NULL, K_UNWRAP, 0, T_INLINE, 0 },
    { "small", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "source", NULL, K_KEEP, C_SOURCE, T_INLINE, F_VOID },
    { "span", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "strike", "s", K_KEEP, C_INLINE, T_INLINE, 0 },
    { "strong", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "style", NULL, K_DROP, 0, T_RAW, 0 },
    { "sub", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "summary", "div", K_KEEP, C_BLOCKF, T_LINE, 0 },
    { "sup", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "svg", NULL, K_DROP, 0, T_SKIP, F_FOREIGN },
    { "table", NULL, K_KEEP, C_TABLE, T_PARA, 0 },
    { "tbody", NULL, K_KEEP, C_TSECT, T_LINE, 0 },
    { "td", NULL, K_KEEP, C_CELL, T_CELL, 0 },
    { "template", NULL, K_DROP, 0, T_SKIP, 0 },
    { "textarea", NULL, K_DROP, 0, T_RAW, 0 },
    { "tfoot", NULL, K_KEEP, C_TSECT, T_LINE, 0 },
    { "th", NULL, K_KEEP, C_CELL, T_CELL, 0 },
    { "thead", NULL, K_KEEP, C_TSECT, T_LINE, 0 },
    { "time", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "title", NULL, K_DROP, 0, T_RAW, 0 },
    { "tr", NULL, K_KEEP, C_TR, T_LINE, 0 },
    { "track", NULL, K_DROP, 0, T_INLINE, F_VOID },
    { "tt", "code", K_KEEP, C_INLINE, T_INLINE, 0 },
    { "u", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "ul", NULL, K_KEEP, C_LIST, T_LIST, 0 },
    { "var", NULL, K_KEEP, C_INLINE, T_INLINE, 0 },
    { "video", NULL, K_KEEP, C_MEDIA, T_SKIP, 0 },
    { "wbr", NULL, K_KEEP, C_VOIDI, T_INLINE, F_VOID },
    { "xmp", NULL, K_DROP, 0, T_RAW, 0 },
};

#define N_ELEMENTS (sizeof elements / sizeof *elements)

static int
el_cmp(const void *key, const void *member)
{
    return strcmp(key, ((const struct el *)member)->name);
}

/* The entry for a lower-case element name, or NULL: unknown elements
 * are unwrapped and count as inline. */
static const struct el *
el_find(const char *name)
{
    return bsearch(name, elements, N_ELEMENTS, sizeof *elements, el_cmp);
}

/* ------------------------------------------------------------------ */
/* URLs                                                                */

enum url_kind {
    U_LINK,         /* a href: http, https, mailto */
    U_IMG,          /* img src, srcset: http, https, data:image */
    U_MEDIA,        /* video src and poster, source src: http, https */
    U_CITE          /* cite: http, https */
};

static int
scheme_is(const char *u, size_t scheme_len, const char *name)
{
    return strlen(name) == scheme_len
        && strncasecmp(u, name, scheme_len) == 0;
}

/* Length of the scheme of u (before its ':'), or 0 when u has none: then
 * it is a relative reference. A '%' or any other character outside
 * ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) means no scheme, as in a
 * browser: percent-escapes are never decoded. */
static size_t
scheme_len(const char *u)
{
    size_t i = 0;
    if (!isalpha((unsigned char)u[0]))
        return 0;
    while (isalnum((unsigned char)u[i]) || u[i] == '+' || u[i] == '-'
           || u[i] == '.')
        i++;
    return u[i] == ':' ? i : 0;
}

static int
http_base(const char *base)
{
    return base && (strncasecmp(base, "http://", 7) == 0
                    || strncasecmp(base, "https://", 8) == 0);
}

/* A data: URL of a raster image type, at most 'max' bytes. */
static int
data_image_ok(const char *u, size_t len, size_t max)
{
    static const char *const types[] = {
        "image/png", "image/gif", "image/jpeg", "image/webp",
    };
    if (len > max)
        return 0;
    const char *t = u + 5, *comma = strchr(t, ',');
    if (comma == NULL)
        return 0;
    size_t tl = strcspn(t, ";,");
    int known = 0;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (tl == strlen(types[i]) && strncasecmp(t, types[i], tl) == 0)
            known = 1;
    /* Only ";base64" and the base64 alphabet: one spelling, nothing a
     * second pass could read differently. */
    if (!known || (size_t)(comma - (t + tl)) != 7
        || strncasecmp(t + tl, ";base64", 7) != 0)
        return 0;
    for (const char *p = comma + 1; p < u + len; p++)
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/'
            && *p != '=')
            return 0;
    return 1;
}

/* Append u to out with spaces as %20, and, for http(s), the scheme in
 * lower case, exactly two slashes after it (browsers read "https:\\x"
 * and "https:///x" as "https://x") and backslashes in the path as
 * slashes. Returns CUR_OK or the buf error, or CUR_EINVAL when an
 * http(s) URL has no host. */
static int
url_put(struct buf *out, const char *u, size_t slen, int http)
{
    char c;
    int rc = buf_reserve(out, slen + 1);

    if (rc != CUR_OK)
        return rc;
    for (size_t i = 0; i < slen; i++)
        out->data[out->len++] = (char)tolower((unsigned char)u[i]);
    out->data[out->len++] = ':';
    out->data[out->len] = '\0';
    const char *p = u + slen + 1;
    int in_path = 0;
    if (slen == 4 && strncasecmp(u, "data", 4) == 0) {
        /* The media type in lower case too: one spelling only. */
        for (; *p && *p != ';' && *p != ',' && rc == CUR_OK; p++) {
            c = (char)tolower((unsigned char)*p);
            rc = buf_append(out, &c, 1);
        }
    }
    if (http) {
        while (*p == '/' || *p == '\\')
            p++;
        if (*p == '\0' || *p == '?' || *p == '#')
            return CUR_EINVAL;
        if (rc == CUR_OK)
            rc = buf_append(out, "//", 2);
        in_path = 1;
    }
    while (*p && rc == CUR_OK) {
        /* What is copied as it is goes in one piece. */
        const char *r = p;
        while (*r && *r != ' ' && *r != '?' && *r != '#'
               && !(in_path && *r == '\\'))
            r++;
        if (r > p) {
            rc = buf_append(out, p, (size_t)(r - p));
            p = r;
            continue;
        }
        if (*p == ' ') {
            rc = buf_append(out, "%20", 3);
        } else if (*p == '\\') {
            rc = buf_append(out, "/", 1);
        } else {
            in_path = 0;        /* the query or fragment */
            rc = buf_append(out, p, 1);
        }
        p++;
    }
    return rc;
}

/* Clean one URL: entities were decoded by the parser; leading and
 * trailing controls and spaces go, tabs and line breaks anywhere go (as
 * a browser does), any other control or invalid UTF-8 refuses it. The
 * scheme decides:
 * http and https pass, mailto for links, data:image/(png|gif|jpeg|webp)
 * up to the limit for images; a relative reference is resolved against
 * an http(s) base or refused. On success the clean URL is appended to
 * 'out' and 1 is returned; 0 when refused, -1 when out of memory. */
static int
url_clean(const struct sanitize_opts *o, const char *v, size_t len,
          enum url_kind kind, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)v;
    char *resolved = NULL;
    int ok = 0;

    while (len > 0 && p[0] <= 0x20) {
        p++;
        len--;
    }
    while (len > 0 && p[len - 1] <= 0x20)
        len--;
    if (len == 0 || len > (kind == U_IMG && o->max_data_image > SAN_URL_MAX
                           ? o->max_data_image : SAN_URL_MAX))
        return 0;
    char *u = malloc(len + 1);
    if (u == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
            continue;
        if (p[i] < 0x20 || p[i] == 0x7F)
            goto out;
        if (p[i] >= 0x80) {
            /* Non-ASCII (an IRI) must at least be valid UTF-8. */
            unsigned cp;
            size_t k = utf8_next(p + i, p + len, &cp);
            if (k == 0)
                goto out;
            memcpy(u + n, p + i, k);
            n += k;
            i += k - 1;
            continue;
        }
        u[n++] = (char)p[i];
    }
    u[n] = '\0';

    const char *abs = u;
    size_t slen = scheme_len(u);
    if (slen == 0) {
        if (!http_base(o->base_url))
            goto out;
        /* Browsers read a backslash as a slash in http(s) URLs. */
        for (char *b = u; *b && *b != '?' && *b != '#'; b++)
            if (*b == '\\')
                *b = '/';
        resolved = parse_resolve_url(u, o->base_url);
        if (resolved == NULL)
            goto out;
        abs = resolved;
        slen = scheme_len(abs);
    }
    int http = slen && (scheme_is(abs, slen, "http")
                        || scheme_is(abs, slen, "https"));
    if (http) {
        ok = 1;
    } else if (slen && scheme_is(abs, slen, "mailto")) {
        ok = kind == U_LINK;
    } else if (slen && scheme_is(abs, slen, "data")) {
        ok = kind == U_IMG && data_image_ok(abs, strlen(abs),
                                            o->max_data_image);
    }
    if (ok) {
        size_t before = out->len;
        int rc = url_put(out, abs, slen, http);
        if (rc == CUR_EINVAL) {
            out->len = before;
            if (out->data)
                out->data[before] = '\0';
            ok = 0;
        } else if (rc != CUR_OK) {
            ok = -1;
        }
    }
out:
    free(u);
    free(resolved);
    return ok;
}

/* The host of a clean http(s) URL, lower case, into h (size hlen); ""
 * when there is none. */
static void
url_host(const char *u, char *h, size_t hlen)
{
    const char *p = strstr(u, "://"), *end, *at;
    size_t n;

    h[0] = '\0';
    if (p == NULL)
        return;
    p += 3;
    end = p + strcspn(p, "/?#");
    for (at = p; at < end; at++)
        if (*at == '@')
            p = at + 1;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        end = close ? close + 1 : end;
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        if (colon)
            end = colon;
    }
    n = (size_t)(end - p);
    while (n > 0 && p[n - 1] == '.')
        n--;
    if (n >= hlen)
        return;
    for (size_t i = 0; i < n; i++)
        h[i] = (char)tolower((unsigned char)p[i]);
    h[n] = '\0';
}

/* Is the host of URL u one of 'list' ("a,b") or under one of them? */
static int
tracking_host(const char *list, const char *u)
{
    char host[256];

    if (list == NULL || list[0] == '\0')
        return 0;
    url_host(u, host, sizeof host);
    size_t hl = strlen(host);
    if (hl == 0)
        return 0;
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        if (n > 0 && n <= hl && strncasecmp(host + hl - n, p, n) == 0
            && (n == hl || host[hl - n - 1] == '.'))
            return 1;
        p += n;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Plain text                                                          */

#define TX_LISTS 16

struct tx {
    struct buf b;
    int one_line;           /* titles: spaces only, no bullets or URLs */
    const char *base;
    size_t stop;            /* enough read once b.len is over it */
    int space;              /* a space is due before the next character */
    int brk;                /* line breaks due: 0, 1 or 2 */
    int pre;                /* inside pre: line breaks are kept */
    char bullet[48];        /* due before the next character */
    int n_lists;
    struct { int ordered, n; } lists[TX_LISTS];
    struct buf href;        /* the open link's URL, or empty */
    size_t link_start;      /* where its text starts in b */
    int in_link;
    int failed;
};

static void
tx_raw(struct tx *t, const char *s, size_t n)
{
    if (!t->failed && buf_append(&t->b, s, n) != CUR_OK)
        t->failed = 1;
}

/* Write what is due before a visible character. */
static void
tx_sep(struct tx *t)
{
    if (t->b.len > 0) {
        if (t->brk && !t->one_line)
            tx_raw(t, "\n\n", t->brk >= 2 ? 2 : 1);
        else if (t->brk || t->space)
            tx_raw(t, " ", 1);
    }
    t->brk = t->space = 0;
    if (t->bullet[0]) {
        tx_raw(t, t->bullet, strlen(t->bullet));
        t->bullet[0] = '\0';
    }
}

static void
tx_break(struct tx *t, int n)
{
    if (t->one_line)
        t->space = 1;
    else if (t->brk < n)
        t->brk = n;
}

/* One code point of text. */
static void
tx_cp(struct tx *t, unsigned cp)
{
    char u[4];

    if (cp == '\n' && t->pre && !t->one_line) {
        if (t->brk < 2)
            t->brk++;
        return;
    }
    if (cp < 0x80 && html_space((unsigned char)cp)) {
        t->space = 1;
        return;
    }
    if (dropped_cp(cp))
        return;
    tx_sep(t);
    tx_raw(t, u, utf8_put(u, cp));
}

/* Text bytes from p to end, as they are (no references). */
static void
tx_text(struct tx *t, const char *p, const char *end)
{
    const unsigned char *s = (const unsigned char *)p,
                        *e = (const unsigned char *)end;
    while (s < e && !t->failed) {
        /* A run of visible characters goes in one piece, with the single
         * spaces between them (what tx_cp() and tx_sep() would make of
         * them one by one). */
        const unsigned char *r = s, *q;
        for (;;) {
            if (r >= e)
                break;
            if (*r > 0x20 && *r < 0x7F)
                r++;
            else if (*r == ' ' && r > s && e - r >= 2 && r[1] > 0x20
                     && r[1] < 0x7F)
                r += 2;
            else if (*r >= 0x80 && (q = utf8_plain(r, e, 0)) != NULL)
                r = q;
            else
                break;
        }
        if (r > s) {
            tx_sep(t);
            tx_raw(t, (const char *)s, (size_t)(r - s));
            s = r;
            continue;
        }
        unsigned cp;
        size_t n = utf8_next(s, e, &cp);
        if (n == 0) {
            cp = 0xFFFD;
            n = 1;
        }
        if (cp == '\r') {
            cp = '\n';
            if (s + 1 < e && s[1] == '\n')
                n = 2;
        }
        tx_cp(t, cp);
        s += n;
    }
}

/* Close the open link: "text <url>", or "<url>" when it has no text, or
 * only the text when the text is the URL. */
static void
tx_link_end(struct tx *t)
{
    if (!t->in_link)
        return;
    t->in_link = 0;
    if (t->href.len == 0 || t->one_line || t->failed)
        return;
    const char *url = t->href.data;
    size_t start = t->link_start;
    while (start < t->b.len && (t->b.data[start] == ' '
                                || t->b.data[start] == '\n'))
        start++;
    const char *text = t->b.data ? t->b.data + start : "";
    size_t tl = t->b.len - start;
    if ((tl == strlen(url) && memcmp(text, url, tl) == 0)
        || (strncmp(url, "mailto:", 7) == 0 && tl == strlen(url + 7)
            && memcmp(text, url + 7, tl) == 0))
        return;
    if (tl == 0)
        tx_sep(t);
    else
        tx_raw(t, " ", 1);
    tx_raw(t, "<", 1);
    tx_raw(t, url, t->href.len);
    tx_raw(t, ">", 1);
}

static void
tx_link_start(struct tx *t, const char *href, size_t len)
{
    struct sanitize_opts o;

    tx_link_end(t);
    if (t->one_line)
        return;
    sanitize_opts_init(&o, SANITIZE_WEB);
    o.base_url = t->base;
    t->href.len = 0;
    if (t->href.data)
        t->href.data[0] = '\0';
    if (href && url_clean(&o, href, len, U_LINK, &t->href) < 0) {
        t->failed = 1;
        return;
    }
    t->in_link = 1;
    t->link_start = t->b.len;
}

/* An attribute value with its references decoded, into 'out'. */
static int
decode_value(const char *p, const char *end, struct buf *out)
{
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if (buf_append(out, p, (size_t)(stop - p)) != CUR_OK)
            return -1;
        p = stop;
        if (amp) {
            unsigned cp;
            size_t n = char_ref(amp, end, &cp);
            char u[4];
            if (n == 0) {
                n = 1;
                cp = '&';
            }
            if (buf_append(out, u, utf8_put(u, cp)) != CUR_OK)
                return -1;
            p += n;
        }
    }
    return 0;
}

static void
tx_start_tag(struct tx *t, const struct el *e, const char *href,
             size_t href_len)
{
    int k = e ? e->text : T_INLINE;

    switch (k) {
    case T_LINE:
        tx_break(t, 1);
        break;
    case T_PARA:
        tx_break(t, 2);
        break;
    case T_PRE:
        tx_break(t, 2);
        t->pre++;
        break;
    case T_BR:
        if (t->one_line)
            t->space = 1;
        else if (t->brk < 2)
            t->brk++;
        break;
    case T_LIST:
        tx_break(t, t->n_lists ? 1 : 2);
        if (t->n_lists < TX_LISTS) {
            t->lists[t->n_lists].ordered = (e->flags & F_ORDERED) != 0;
            t->lists[t->n_lists].n = 0;
        }
        t->n_lists++;
        break;
    case T_LI:
        tx_break(t, 1);
        if (!t->one_line) {
            int depth = t->n_lists > 0 ? t->n_lists - 1 : 0;
            int indent = depth < 8 ? 2 * depth : 16;
            int ordered = 0, n = 0;
            if (t->n_lists > 0 && t->n_lists <= TX_LISTS) {
                ordered = t->lists[t->n_lists - 1].ordered;
                n = ++t->lists[t->n_lists - 1].n;
            }
            if (ordered)
                snprintf(t->bullet, sizeof t->bullet, "%*s%d. ", indent, "",
                         n);
            else
                snprintf(t->bullet, sizeof t->bullet, "%*s\xe2\x80\xa2 ",
                         indent, "");
        }
        break;
    case T_CELL:
        t->space = 1;
        break;
    case T_A:
        tx_link_start(t, href, href_len);
        break;
    default:
        break;
    }
}

static void
tx_end_tag(struct tx *t, const struct el *e)
{
    int k = e ? e->text : T_INLINE;

    switch (k) {
    case T_LINE:
    case T_LI:
        tx_break(t, 1);
        break;
    case T_PARA:
        tx_break(t, 2);
        break;
    case T_PRE:
        tx_break(t, 2);
        if (t->pre > 0)
            t->pre--;
        break;
    case T_BR:
        /* </br> is a <br> in HTML5. */
        tx_start_tag(t, e, NULL, 0);
        break;
    case T_LIST:
        if (t->n_lists > 0)
            t->n_lists--;
        tx_break(t, t->n_lists ? 1 : 2);
        break;
    case T_CELL:
        t->space = 1;
        break;
    case T_A:
        tx_link_end(t);
        break;
    default:
        break;
    }
}

/* Find "</name" (any case) followed by a character that ends a tag
 * name, from p; returns it, or end. */
static const char *
find_end_tag(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) >= n + 2 && p[1] == '/'
            && strncasecmp(p + 2, name, n) == 0
            && (p + 2 + n == end || html_space((unsigned char)p[2 + n])
                || p[2 + n] == '/' || p[2 + n] == '>'))
            return p;
        p++;
    }
    return end;
}

/* The tokenizer. 'plain': the input is text, not HTML. */
static char *
tx_run(const char *html, int one_line, int plain, const char *base,
       size_t max)
{
    struct tx t;
    const char *p = html, *end = html + strlen(html);
    char skip[16] = "";         /* name of the element being skipped */
    int skip_depth = 0;

    memset(&t, 0, sizeof t);
    buf_init(&t.b, 0);
    buf_init(&t.href, 0);
    t.one_line = one_line;
    t.base = base;
    t.stop = max;
    if (plain)
        t.pre = 1;

    while (p < end && !t.failed && t.b.len <= t.stop) {
        const char *lt = plain ? NULL : strpbrk(p, "<&");
        const char *stop = lt ? lt : end;
        if (!skip[0])
            tx_text(&t, p, stop);
        p = stop;
        if (p >= end)
            break;
        if (*p == '&') {
            unsigned cp;
            size_t n = char_ref(p, end, &cp);
            if (n == 0) {
                n = 1;
                cp = '&';
            }
            if (!skip[0])
                tx_cp(&t, cp);
            p += n;
            continue;
        }
        /* '<': what follows decides. */
        const char *q = p + 1;
        if (q < end && *q == '!') {
            if (end - q >= 3 && q[1] == '-' && q[2] == '-') {
                /* A comment; "<!-->", "<!--->", "-->" and "--!>" end it. */
                const char *c = q + 3;
                if (c < end && *c == '>') {
                    p = c + 1;
                    continue;
                }
                if (end - c >= 2 && c[0] == '-' && c[1] == '>') {
                    p = c + 2;
                    continue;
                }
                for (;;) {
                    const char *d = memchr(c, '-', (size_t)(end - c));
                    if (d == NULL || end - d < 3) {
                        c = end;
                        break;
                    }
                    if (d[1] == '-' && d[2] == '>') {
                        c = d + 3;
                        break;
                    }
                    if (d[1] == '-' && end - d >= 4 && d[2] == '!'
                        && d[3] == '>') {
                        c = d + 4;
                        break;
                    }
                    c = d + 1;
                }
                p = c;
                continue;
            }
            /* DOCTYPE, CDATA and the rest: a bogus comment. */
            const char *gt = memchr(q, '>', (size_t)(end - q));
            p = gt ? gt + 1 : end;
            continue;
        }
        if (q < end && *q == '?') {
            const char *gt = memchr(q, '>', (size_t)(end - q));
            p = gt ? gt + 1 : end;
            continue;
        }
        int is_end = q < end && *q == '/';
        if (is_end)
            q++;
        if (q >= end || !isalpha((unsigned char)*q)) {
            if (is_end && q < end) {
                /* "</>" is nothing, "</3..." a bogus comment. */
                const char *gt = memchr(q, '>', (size_t)(end - q));
                p = gt ? gt + 1 : end;
                continue;
            }
            /* A '<' that starts no tag is text. */
            if (!skip[0])
                tx_cp(&t, '<');
            p++;
            continue;
        }
        /* A tag: its name, then attributes up to the '>'. */
        char name[16];
        size_t nl = 0;
        while (q < end && !html_space((unsigned char)*q) && *q != '/'
               && *q != '>') {
            if (nl < sizeof name - 1)
                name[nl++] = (char)tolower((unsigned char)*q);
            else
                nl = sizeof name;   /* too long for any name we know */
            q++;
        }
        if (nl >= sizeof name)
            nl = 0;
        name[nl < sizeof name ? nl : 0] = '\0';
        const char *href = NULL, *href_end = NULL;
        int self_closing = 0, closed = 0;
        while (q < end) {
            while (q < end && (html_space((unsigned char)*q) || *q == '/')) {
                self_closing = *q == '/';
                q++;
            }
            if (q >= end)
                break;
            if (*q == '>') {
                closed = 1;
                q++;
                break;
            }
            self_closing = 0;
            const char *an = q;
            q++;    /* the first character may be '=' */
            while (q < end && !html_space((unsigned char)*q) && *q != '/'
                   && *q != '>' && *q != '=')
                q++;
            size_t anl = (size_t)(q - an);
            while (q < end && html_space((unsigned char)*q))
                q++;
            const char *v = NULL, *ve = NULL;
            if (q < end && *q == '=') {
                q++;
                while (q < end && html_space((unsigned char)*q))
                    q++;
                if (q < end && (*q == '"' || *q == '\'')) {
                    const char *close = memchr(q + 1, *q,
                                               (size_t)(end - q - 1));
                    v = q + 1;
                    ve = close ? close : end;
                    q = close ? close + 1 : end;
                } else {
                    v = q;
                    while (q < end && !html_space((unsigned char)*q)
                           && *q != '>')
                        q++;
                    ve = q;
                }
            }
            if (anl == 4 && strncasecmp(an, "href", 4) == 0 && !href) {
                href = v ? v : q;
                href_end = v ? ve : q;
            }
        }
        if (!closed)
            break;      /* a tag cut by the end of input is dropped */
        p = q;
        const struct el *e = name[0] ? el_find(name) : NULL;
        if (skip[0]) {
            /* Inside dropped content: only nesting of the same element
             * and raw-text elements (whose end must be found) count. */
            if (strcmp(name, skip) == 0 && !(self_closing && e
                                             && (e->flags & F_FOREIGN)))
                skip_depth += is_end ? -1 : 1;
            if (skip_depth == 0)
                skip[0] = '\0';
            else if (!is_end && e && e->text == T_RAW)
                p = find_end_tag(p, end, name);
            continue;
        }
        if (is_end) {
            tx_end_tag(&t, e);
            continue;
        }
        if (e && e->text == T_RAW) {
            p = find_end_tag(p, end, name);
            continue;
        }
        if (e && e->text == T_PLAINTEXT)
            break;
        if (e && e->text == T_SKIP) {
            if (!(self_closing && (e->flags & F_FOREIGN))) {
                snprintf(skip, sizeof skip, "%s", name);
                skip_depth = 1;
            }
            continue;
        }
        if (e && e->text == T_A && href) {
            struct buf v;
            buf_init(&v, 0);
            if (decode_value(href, href_end, &v) != 0) {
                t.failed = 1;
            } else {
                tx_start_tag(&t, e, v.data ? v.data : "", v.len);
            }
            buf_free(&v);
            continue;
        }
        tx_start_tag(&t, e, NULL, 0);
    }
    if (t.b.len <= t.stop)
        tx_link_end(&t);
    buf_free(&t.href);
    if (t.failed) {
        buf_free(&t.b);
        return NULL;
    }
    char *s = buf_steal(&t.b);
    if (s && strlen(s) > max)
        cut_words(s, max);
    return s;
}

char *
sanitize_plain(const char *html, const char *base_url, size_t max)
{
    return tx_run(html, 0, 0, base_url, max);
}

char *
sanitize_plain_lines(const char *text, size_t max)
{
    return tx_run(text, 0, 1, NULL, max);
}

char *
sanitize_text(const char *html, size_t max)
{
    const unsigned char *p = (const unsigned char *)html;
    char *text;

    while (*p >= 0x20 && *p < 0x7F && *p != '<' && *p != '&')
        p++;
    if (*p != '\0')
        return tx_run(html, 1, 0, NULL, max);   /* one line, cut */
    /* Printable ASCII: plain text already. */
    text = strdup(html);
    return text ? sanitize_squeeze(text, max) : NULL;
}

/* ------------------------------------------------------------------ */
/* Safe HTML                                                           */

void
sanitize_opts_init(struct sanitize_opts *o, enum sanitize_profile p)
{
    memset(o, 0, sizeof *o);
    o->profile = p;
    o->max_data_image = SANITIZE_DATA_IMAGE_MAX;
}

/* Append text escaped for an element's content (attr 0) or a
 * double-quoted attribute value (attr 1), normalised: CR and CRLF as LF,
 * controls dropped, invalid UTF-8 as U+FFFD, U+00A0 as &nbsp;. */
static int
put_escaped(struct buf *b, const char *s, size_t len, int attr)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int rc = CUR_OK;

    while (p < end && rc == CUR_OK) {
        /* What stays as it is goes in one piece: printable ASCII but the
         * escaped bytes, TAB, LF, and UTF-8 but U+00A0 and the
         * non-characters. */
        const unsigned char *r = p, *q;
        for (;;) {
            while (end - r >= 8) {
                uint64_t v;
                memcpy(&v, r, 8);
                if (word_stops(v, '&', '<', '>', attr ? '"' : '>'))
                    break;
                r += 8;
            }
            if (r >= end)
                break;
            unsigned char c = *r;
            if (c < 0x80) {
                if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F
                    || c == '&' || c == '<' || c == '>' || (c == '"' && attr))
                    break;
                r++;
            } else if ((q = utf8_plain(r, end, 1)) != NULL) {
                r = q;
            } else {
                break;
            }
        }
        if (r > p) {
            rc = buf_append(b, p, (size_t)(r - p));
            p = r;
            continue;
        }
        unsigned cp;
        size_t n = utf8_next(p, end, &cp);
        if (n == 0) {
            cp = 0xFFFD;
            n = 1;
        }
        if (cp == '\r') {
            cp = '\n';
            if (p + 1 < end && p[1] == '\n')
                n = 2;
        }
        p += n;
        if (dropped_cp(cp))
            continue;
        switch (cp) {
        case '&': rc = buf_append(b, "&amp;", 5); break;
        case '<': rc = buf_append(b, "&lt;", 4); break;
        case '>': rc = buf_append(b, "&gt;", 4); break;
        case 0xA0: rc = buf_append(b, "&nbsp;", 6); break;
        case '"':
            rc = attr ? buf_append(b, "&quot;", 6) : buf_append(b, "\"", 1);
            break;
        default: {
            char u[4];
            rc = buf_append(b, u, utf8_put(u, cp));
        }
        }
    }
    return rc;
}

/* Where the walk is writing. */
enum ctx_kind { X_FLOW, X_INLINE, X_LIST, X_DL, X_TABLE, X_TSECT, X_TR,
                X_MEDIA };

/* Wrapper elements the walk adds where the input left them out. */
enum wrap { W_LI, W_DD, W_TBODY, W_TR, W_TD };
static const char *const wrap_names[] = { "li", "dd", "tbody", "tr", "td" };

struct ctx {
    unsigned char kind;
    unsigned char in_a;         /* inside a link: no link in it */
    unsigned char pre_first;    /* nothing yet written in this pre */
    unsigned char n_wrap;       /* wrappers open in this container */
    unsigned char wrap[3];
    struct ctx *inner;          /* the context inside the wrappers */
};

/* An element open in the input, and what the walk made of it. */
enum fr_kind {
    FR_PASS,        /* unwrapped (or void): its content goes to c */
    FR_SKIP,        /* dropped with its content */
    FR_KEEP         /* written out: its content goes to cc */
};

struct frame {
    unsigned char kind;
    const char *name;           /* FR_KEEP: the output name */
    struct ctx *c;              /* FR_PASS: the context of its content */
    struct ctx cc, inner;       /* FR_KEEP: its own, and inside wrappers */
};

/* libxml2's tree builder refuses an element past 257 open ones and
 * stops the parse there; the walk does the same, so it never holds
 * more frames than that. The first few are kept in place, the rest come
 * in one block when needed: a frame never moves, for contexts point
 * into them. */
#define SAN_MAX_OPEN 257
#define SAN_NEAR_FRAMES 32

struct san {
    const struct sanitize_opts *o;
    struct buf out;
    struct buf attrs;           /* the attributes of the current tag */
    struct buf val;             /* one attribute value */
    struct buf url;             /* one clean URL */
    int depth;                  /* elements open in out */
    int rc;
    /* The walk over the parser's events. */
    htmlParserCtxtPtr ctxt;
    struct ctx root, root_inner;
    struct frame near[SAN_NEAR_FRAMES];
    struct frame *far;          /* SAN_MAX_OPEN - SAN_NEAR_FRAMES */
    int n_open;                 /* elements open in the input */
    int wrapper_seen;
    int halted;
    /* Text not yet written: the parser hands it over in pieces, where
     * the tree held each text node whole. */
    struct buf text;
    int text_cdata;             /* it is a CDATA block's */
};

static void
put(struct san *s, const char *str, size_t n)
{
    if (s->rc == CUR_OK)
        s->rc = buf_append(&s->out, str, n);
}

static void
puts_(struct san *s, const char *str)
{
    put(s, str, strlen(str));
}

static void
open_tag(struct san *s, const char *name, const char *attrs, size_t alen)
{
    put(s, "<", 1);
    puts_(s, name);
    if (alen)
        put(s, attrs, alen);
    put(s, ">", 1);
}

static void
close_tag(struct san *s, const char *name)
{
    put(s, "</", 2);
    puts_(s, name);
    put(s, ">", 1);
}

/* Make the wrappers open in container c exactly 'want' (n of them), and
 * return the context to write into: c itself, or c->inner. */
static struct ctx *
need_wrap(struct san *s, struct ctx *c, const unsigned char *want, int n)
{
    int keep = 0;
    while (keep < c->n_wrap && keep < n && c->wrap[keep] == want[keep])
        keep++;
    if (keep == n && c->n_wrap == n)
        return n ? c->inner : c;      /* already as wanted */
    while (c->n_wrap > keep) {
        close_tag(s, wrap_names[c->wrap[--c->n_wrap]]);
        s->depth--;
    }
    if (n == 0)
        return c;
    if (c->inner == NULL)
        return NULL;
    while (c->n_wrap < n) {
        unsigned char w = want[c->n_wrap];
        open_tag(s, wrap_names[w], NULL, 0);
        s->depth++;
        c->wrap[c->n_wrap++] = w;
    }
    /* Another innermost wrapper: a fresh context inside it. */
    unsigned char last = c->wrap[n - 1];
    memset(c->inner, 0, sizeof *c->inner);
    c->inner->in_a = c->in_a;
    c->inner->kind = last == W_TBODY ? X_TSECT : last == W_TR ? X_TR
                                                                : X_FLOW;
    return c->inner;
}

/* Is this text only HTML white space (which may stand anywhere)? */
static int
blank(const char *t)
{
    for (; *t; t++)
        if (!html_space((unsigned char)*t))
            return 0;
    return 1;
}

static void
put_text(struct san *s, const char *text, struct ctx *c)
{
    static const unsigned char li[] = { W_LI }, dd[] = { W_DD },
        cell[] = { W_TBODY, W_TR, W_TD }, row_cell[] = { W_TR, W_TD },
        td[] = { W_TD };

    if (text[0] == '\0' || c->kind == X_MEDIA)
        return;
    switch (c->kind) {
    case X_LIST: case X_DL: case X_TABLE: case X_TSECT: case X_TR:
        if (blank(text)) {
            if (c->n_wrap)
                c = c->inner;
            break;
        }
        c = need_wrap(s, c, c->kind == X_LIST ? li : c->kind == X_DL ? dd
                            : c->kind == X_TABLE ? cell
                            : c->kind == X_TSECT ? row_cell : td,
                      c->kind == X_TABLE ? 3 : c->kind == X_TSECT ? 2 : 1);
        if (c == NULL)
            return;
        break;
    default:
        break;
    }
    if (c->pre_first) {
        /* HTML drops a line feed right after <pre>: none may be left
         * there, even behind characters put_escaped() drops. */
        for (;;) {
            unsigned char ch = (unsigned char)*text;
            if (ch == '\n' || ch == '\r' || (ch < 0x20 && ch != '\t'
                                              && ch != '\0')
                || ch == 0x7F)
                text++;
            else if (ch == 0xEF && (unsigned char)text[1] == 0xBF
                     && ((unsigned char)text[2] == 0xBE
                         || (unsigned char)text[2] == 0xBF))
                text += 3;
            else
                break;
        }
        if (*text == '\0')
            return;
        c->pre_first = 0;
    }
    if (s->rc == CUR_OK)
        s->rc = put_escaped(&s->out, text, strlen(text), 0);
}

/* The value of the attribute at a (a name and value pair of the
 * parser's list), in s->val (NUL-terminated): what libxml2's tree
 * builder would store, so a boolean attribute without a value has its
 * own name as its value. */
static const char *
attr_value(struct san *s, const xmlChar **a)
{
    const xmlChar *v = a[1];
    if (v == NULL && htmlIsBooleanAttr(a[0]))
        v = a[0];
    s->val.len = 0;
    if (s->val.data)
        s->val.data[0] = '\0';
    if (v && s->rc == CUR_OK)
        s->rc = buf_puts(&s->val, (const char *)v);
    return s->val.data ? s->val.data : "";
}

/* An HTML non-negative integer ("rules for parsing non-negative
 * integers"), or -1. */
static long
attr_uint(const char *v)
{
    long n = 0;
    while (html_space((unsigned char)*v))
        v++;
    if (*v == '+')
        v++;
    if (!isdigit((unsigned char)*v))
        return -1;
    for (; isdigit((unsigned char)*v); v++)
        if ((n = n * 10 + (*v - '0')) > 1000000000L)
            return -1;
    return n;
}

static long
attr_int(const char *v, int *ok)
{
    int neg = 0;
    while (html_space((unsigned char)*v))
        v++;
    if (*v == '-' || *v == '+')
        neg = *v++ == '-';
    long n = attr_uint(v);
    *ok = n >= 0 && !html_space((unsigned char)*v);
    return neg ? -n : n;
}

/* Attribute types. */
enum atype { A_NONE, A_TEXT, A_LANG, A_DIR, A_LINK, A_IMG, A_MEDIA, A_CITE,
             A_SRCSET, A_DIM, A_INT, A_SPAN, A_ROWSPAN, A_BOOL, A_OLTYPE,
             A_SCOPE, A_MIME };

/* What attribute 'an' is on (output) element 'el'; A_NONE: not kept. */
static enum atype
attr_type(const char *el, const char *an)
{
    static const struct { const char *el, *an; enum atype t; } table[] = {
        { "a", "href", A_LINK },
        { "img", "src", A_IMG }, { "img", "srcset", A_SRCSET },
        { "img", "alt", A_TEXT }, { "img", "width", A_DIM },
        { "img", "height", A_DIM },
        { "video", "src", A_MEDIA }, { "video", "poster", A_MEDIA },
        { "video", "width", A_DIM }, { "video", "height", A_DIM },
        { "audio", "src", A_MEDIA },
        { "source", "src", A_MEDIA }, { "source", "type", A_MIME },
        { "blockquote", "cite", A_CITE }, { "q", "cite", A_CITE },
        { "del", "cite", A_CITE }, { "ins", "cite", A_CITE },
        { "del", "datetime", A_TEXT }, { "ins", "datetime", A_TEXT },
        { "time", "datetime", A_TEXT }, { "data", "value", A_TEXT },
        { "ol", "start", A_INT }, { "ol", "reversed", A_BOOL },
        { "ol", "type", A_OLTYPE }, { "li", "value", A_INT },
        { "td", "colspan", A_SPAN }, { "td", "rowspan", A_ROWSPAN },
        { "th", "colspan", A_SPAN }, { "th", "rowspan", A_ROWSPAN },
        { "th", "scope", A_SCOPE },
    };
    if (strcmp(an, "title") == 0)
        return A_TEXT;
    if (strcmp(an, "lang") == 0)
        return A_LANG;
    if (strcmp(an, "dir") == 0)
        return A_DIR;
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i].an, an) == 0 && strcmp(table[i].el, el) == 0)
            return table[i].t;
    return A_NONE;
}

static int
is_img_url_remote(const char *u)
{
    return strncmp(u, "http", 4) == 0;
}

/* Clean a srcset into s->url: bad candidates (refused URL, tracking
 * host, remote in mail without remote images, odd descriptor) go.
 * Returns the number kept, or -1 when out of memory. */
static int
srcset_clean(struct san *s, const char *v, int no_remote)
{
    const char *p = v;
    int kept = 0;
    struct buf one;

    buf_init(&one, 0);
    s->url.len = 0;
    if (s->url.data)
        s->url.data[0] = '\0';
    while (*p) {
        while (html_space((unsigned char)*p) || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *u = p;
        while (*p && !html_space((unsigned char)*p))
            p++;
        const char *ue = p, *d = p, *de = p;
        if (ue[-1] == ',') {
            while (ue > u && ue[-1] == ',')
                ue--;
        } else {
            int paren = 0;
            while (html_space((unsigned char)*p))
                p++;
            d = p;
            while (*p && (*p != ',' || paren)) {
                paren += *p == '(' ? 1 : *p == ')' && paren ? -1 : 0;
                p++;
            }
            de = p;
            while (de > d && html_space((unsigned char)de[-1]))
                de--;
        }
        if (ue == u)
            continue;
        /* A descriptor: a width ("300w") or a density ("1.5x"). */
        int desc_ok = 1;
        if (de > d) {
            const char *x = d;
            while (x < de - 1 && isdigit((unsigned char)*x))
                x++;
            if (x < de - 1 && *x == '.' && x > d) {
                x++;
                while (x < de - 1 && isdigit((unsigned char)*x))
                    x++;
            }
            desc_ok = x == de - 1 && x > d && isdigit((unsigned char)x[-1])
                      && (*x == 'w' || *x == 'x');
        }
        one.len = 0;
        int ok = desc_ok ? url_clean(s->o, u, (size_t)(ue - u), U_IMG, &one)
                         : 0;
        if (ok < 0) {
            buf_free(&one);
            return -1;
        }
        if (ok && (one.data[one.len - 1] == ','
                   || tracking_host(s->o->tracking_hosts, one.data)
                   || (no_remote && is_img_url_remote(one.data))))
            ok = 0;
        if (ok) {
            int rc = kept ? buf_append(&s->url, ", ", 2) : CUR_OK;
            if (rc == CUR_OK)
                rc = buf_append(&s->url, one.data, one.len);
            if (rc == CUR_OK && de > d) {
                rc = buf_append(&s->url, " ", 1);
                if (rc == CUR_OK)
                    rc = buf_append(&s->url, d, (size_t)(de - d));
            }
            if (rc != CUR_OK) {
                buf_free(&one);
                return -1;
            }
            kept++;
        }
    }
    buf_free(&one);
    return kept;
}

/* Append ' name="value"' (value escaped) to s->attrs. */
static void
add_attr(struct san *s, const char *name, const char *value, size_t len)
{
    if (s->rc == CUR_OK)
        s->rc = buf_printf(&s->attrs, " %s=\"", name);
    if (s->rc == CUR_OK)
        s->rc = put_escaped(&s->attrs, value, len, 1);
    if (s->rc == CUR_OK)
        s->rc = buf_append(&s->attrs, "\"", 1);
}

/* What to do with an element after looking at its attributes. */
enum verdict { V_KEEP, V_UNWRAP, V_DROP, V_ALT };

/* Write the kept attributes of element n (output name 'el') to s->attrs
 * and say what becomes of it. For V_ALT, s->val holds the alt text. */
static enum verdict
put_attrs(struct san *s, const char *el, const xmlChar **atts)
{
    const struct sanitize_opts *o = s->o;
    int is_a = strcmp(el, "a") == 0, is_img = strcmp(el, "img") == 0;
    int no_remote = o->profile == SANITIZE_MAIL && !o->remote_images;
    int has_src = 0, has_srcset = 0, remote_dropped = 0, have_alt = 0;
    int has_url = 0;
    long w = -1, h = -1;
    const char *seen[16];
    size_t n_seen = 0;

    s->attrs.len = 0;
    if (s->attrs.data)
        s->attrs.data[0] = '\0';
    for (const xmlChar **a = atts; a && a[0] && s->rc == CUR_OK; a += 2) {
        const char *an = (const char *)a[0];
        enum atype t = attr_type(el, an);
        if (t == A_NONE)
            continue;
        /* The first of two equal attributes wins, as in HTML5. */
        int dup = 0;
        for (size_t i = 0; i < n_seen; i++)
            dup |= strcmp(seen[i], an) == 0;
        if (dup)
            continue;
        if (n_seen < sizeof seen / sizeof *seen)
            seen[n_seen++] = an;
        const char *v = attr_value(s, a);
        switch (t) {
        case A_TEXT: {
            size_t len = strlen(v);
            if (len > SAN_TEXT_ATTR_MAX) {
                len = SAN_TEXT_ATTR_MAX;
                while (len > 0 && ((unsigned char)v[len] & 0xC0) == 0x80)
                    len--;
            }
            add_attr(s, an, v, len);
            if (strcmp(an, "alt") == 0)
                have_alt = 1;
            break;
        }
        case A_LANG: {
            size_t len = strspn(v, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
            if (len > 0 && len <= 35 && v[len] == '\0')
                add_attr(s, an, v, len);
            break;
        }
        case A_DIR:
            if (strcasecmp(v, "ltr") == 0 || strcasecmp(v, "rtl") == 0
                || strcasecmp(v, "auto") == 0) {
                char low[5];
                size_t i;
                for (i = 0; v[i]; i++)
                    low[i] = (char)tolower((unsigned char)v[i]);
                add_attr(s, an, low, i);
            }
            break;
        case A_LINK: case A_IMG: case A_MEDIA: case A_CITE: {
            enum url_kind k = t == A_LINK ? U_LINK : t == A_IMG ? U_IMG
                              : t == A_MEDIA ? U_MEDIA : U_CITE;
            s->url.len = 0;
            int ok = url_clean(o, v, strlen(v), k, &s->url);
            if (ok < 0) {
                s->rc = CUR_ENOMEM;
                break;
            }
            if (!ok)
                break;
            if ((t == A_IMG || t == A_MEDIA)
                && tracking_host(o->tracking_hosts, s->url.data))
                return V_DROP;
            if (t == A_IMG && no_remote && is_img_url_remote(s->url.data)) {
                remote_dropped = 1;
                break;
            }
            add_attr(s, an, s->url.data, s->url.len);
            has_src |= t == A_IMG;
            has_url |= t == A_LINK || strcmp(an, "src") == 0;
            break;
        }
        case A_SRCSET: {
            int k = srcset_clean(s, v, no_remote);
            if (k < 0) {
                s->rc = CUR_ENOMEM;
            } else if (k > 0) {
                add_attr(s, an, s->url.data, s->url.len);
                has_srcset = 1;
            } else if (no_remote) {
                remote_dropped = 1;
            }
            break;
        }
        case A_DIM: {
            long d = attr_uint(v);
            if (strcmp(an, "width") == 0)
                w = d;
            else
                h = d;
            if (d >= 0 && d <= 100000) {
                char num[24];
                add_attr(s, an, num, (size_t)snprintf(num, sizeof num, "%ld",
                                                      d));
            }
            break;
        }
        case A_INT: case A_SPAN: case A_ROWSPAN: {
            int ok;
            long d = attr_int(v, &ok);
            if (t == A_SPAN)
                ok = ok && d >= 1 && d <= 1000;
            else if (t == A_ROWSPAN)
                ok = ok && d >= 0 && d <= 65534;
            else
                ok = ok && d >= -1000000000L && d <= 1000000000L;
            if (ok) {
                char num[24];
                add_attr(s, an, num, (size_t)snprintf(num, sizeof num, "%ld",
                                                      d));
            }
            break;
        }
        case A_BOOL:
            add_attr(s, an, "", 0);
            break;
        case A_OLTYPE:
            if (strlen(v) == 1 && strchr("1aAiI", v[0]))
                add_attr(s, an, v, 1);
            break;
        case A_SCOPE:
            if (strcasecmp(v, "row") == 0 || strcasecmp(v, "col") == 0
                || strcasecmp(v, "rowgroup") == 0
                || strcasecmp(v, "colgroup") == 0) {
                char low[9];
                size_t i;
                for (i = 0; v[i]; i++)
                    low[i] = (char)tolower((unsigned char)v[i]);
                add_attr(s, an, low, i);
            }
            break;
        case A_MIME: {
            size_t len = strspn(v, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                   "/+.-;= ");
            if (len > 0 && len <= 100 && v[len] == '\0')
                add_attr(s, an, v, len);
            break;
        }
        case A_NONE:
            break;
        }
    }
    if (s->rc != CUR_OK)
        return V_DROP;
    if (is_a) {
        if (!has_url)
            return V_UNWRAP;
        s->rc = buf_puts(&s->attrs, " rel=\"noopener noreferrer nofollow\"");
    } else if (is_img) {
        /* A tracking pixel: an image one pixel (or none) wide or high. */
        if ((w >= 0 && w <= 1) || (h >= 0 && h <= 1))
            return V_DROP;
        if (!has_src && !has_srcset) {
            if (!remote_dropped)
                return V_DROP;
            /* Mail without remote images: its alt text stands in. */
            for (const xmlChar **a = atts; a && a[0]; a += 2)
                if (have_alt && strcmp((const char *)a[0], "alt") == 0) {
                    attr_value(s, a);
                    return V_ALT;
                }
            return V_DROP;
        }
    } else if (strcmp(el, "source") == 0) {
        if (!has_url)
            return V_DROP;
    } else if (strcmp(el, "video") == 0 || strcmp(el, "audio") == 0) {
        s->rc = buf_puts(&s->attrs, " controls=\"\" preload=\"none\"");
    }
    return s->rc == CUR_OK ? V_KEEP : V_DROP;
}

static struct frame *
frame_at(struct san *s, int i)
{
    return i < SAN_NEAR_FRAMES ? &s->near[i] : &s->far[i - SAN_NEAR_FRAMES];
}

/* Where the content of the innermost open element goes, or NULL when it
 * is dropped (or nothing is open: libxml2 keeps no text there). */
static struct ctx *
content_ctx(struct san *s)
{
    if (s->n_open == 0)
        return NULL;
    struct frame *f = frame_at(s, s->n_open - 1);
    return f->kind == FR_KEEP ? &f->cc : f->kind == FR_PASS ? f->c : NULL;
}

/* Write the text held so far where it belongs. */
static void
flush_text(struct san *s)
{
    if (s->text.len == 0)
        return;
    struct ctx *c = content_ctx(s);
    if (c && s->rc == CUR_OK)
        put_text(s, s->text.data, c);
    s->text.len = 0;
    s->text.data[0] = '\0';
}

/* An element of the input starts, in context c: decide what becomes of
 * it, write its start tag if it is kept, and fill frame f for what
 * comes inside it. */
static void
el_start(struct san *s, struct frame *f, const char *in_name,
         const xmlChar **atts, struct ctx *c)
{
    static const unsigned char li[] = { W_LI }, dd[] = { W_DD },
        tbody[] = { W_TBODY }, cell[] = { W_TBODY, W_TR, W_TD },
        row_cell[] = { W_TR, W_TD }, td[] = { W_TD };
    const struct el *e = el_find(in_name);
    int mail = s->o->profile == SANITIZE_MAIL;
    int cat;
    const char *name;

    f->kind = FR_PASS;
    f->c = c;
    if (e == NULL || e->kind == K_UNWRAP
        || (mail && e->kind == K_KEEP && e->cat == C_MEDIA))
        return;
    if (e->kind == K_DROP || (mail && e->cat == C_SOURCE)) {
        /* libxml2 nests what follows an element it does not know to be
         * void inside it: that belongs to the parent. */
        if (!(e->flags & F_VOID))
            f->kind = FR_SKIP;
        return;
    }
again:
    cat = e->cat;
    name = e->out ? e->out : e->name;
    f->c = c;
    /* Where may it stand? Add wrappers, unwrap or drop where not. */
    switch (c->kind) {
    case X_LIST:
        if (cat != C_LI) {
            if ((c = need_wrap(s, c, li, 1)) != NULL)
                goto again;
            f->kind = FR_SKIP;
            return;
        }
        need_wrap(s, c, NULL, 0);
        break;
    case X_DL:
        if (cat != C_DT && cat != C_DD) {
            if ((c = need_wrap(s, c, dd, 1)) != NULL)
                goto again;
            f->kind = FR_SKIP;
            return;
        }
        need_wrap(s, c, NULL, 0);
        break;
    case X_TABLE:
        if (cat == C_TR || (cat != C_CAPTION && cat != C_TSECT)) {
            c = cat == C_TR ? need_wrap(s, c, tbody, 1)
                            : need_wrap(s, c, cell, 3);
            if (c != NULL)
                goto again;
            f->kind = FR_SKIP;
            return;
        }
        need_wrap(s, c, NULL, 0);
        break;
    case X_TSECT:
        if (cat != C_TR) {
            if ((c = need_wrap(s, c, row_cell, 2)) != NULL)
                goto again;
            f->kind = FR_SKIP;
            return;
        }
        need_wrap(s, c, NULL, 0);
        break;
    case X_TR:
        if (cat != C_CELL) {
            if ((c = need_wrap(s, c, td, 1)) != NULL)
                goto again;
            f->kind = FR_SKIP;
            return;
        }
        need_wrap(s, c, NULL, 0);
        break;
    case X_MEDIA:
        /* Fallback content is not shown where video works. */
        if (cat != C_SOURCE) {
            f->kind = FR_SKIP;
            return;
        }
        break;
    case X_INLINE:
        if (cat == C_HR || cat == C_SOURCE)
            return;
        if (cat != C_INLINE && cat != C_VOIDI && cat != C_MEDIA)
            return;
        break;
    case X_FLOW:
        if (cat == C_SOURCE)
            return;
        if (cat == C_LI || cat == C_DT || cat == C_DD || cat == C_CELL
            || cat == C_TR || cat == C_TSECT || cat == C_CAPTION) {
            /* Out of its parent: a plain block. */
            cat = C_BLOCKF;
            name = "div";
        }
        break;
    }
    /* No link in a link; nothing opens past the depth cap, lists and
     * tables not near it (their wrappers need room). */
    int structural = c->kind == X_LIST || c->kind == X_DL
                     || c->kind == X_TABLE || c->kind == X_TSECT
                     || c->kind == X_TR || c->kind == X_MEDIA;
    if ((cat == C_INLINE && c->in_a && strcmp(name, "a") == 0)
        || (!structural && !(e->flags & F_VOID)
            && s->depth >= SAN_DEPTH_CAP - ((cat == C_LIST || cat == C_DL
                                             || cat == C_TABLE) ? 4 : 0)))
        return;

    enum verdict v = put_attrs(s, name, atts);
    if (s->rc != CUR_OK) {
        f->kind = FR_SKIP;
        return;
    }
    if (v == V_UNWRAP)
        return;
    if (v == V_ALT) {
        put_text(s, s->val.data ? s->val.data : "", c);
        return;
    }
    if (v == V_DROP) {
        if (!(e->flags & F_VOID))
            f->kind = FR_SKIP;
        return;
    }
    c->pre_first = 0;
    open_tag(s, name, s->attrs.data, s->attrs.len);
    if (e->flags & F_VOID)
        return;
    f->kind = FR_KEEP;
    f->name = name;
    memset(&f->cc, 0, sizeof f->cc);
    memset(&f->inner, 0, sizeof f->inner);
    f->cc.in_a = c->in_a || strcmp(name, "a") == 0;
    switch (cat) {
    case C_INLINE: case C_BLOCKI: case C_DT: case C_CAPTION:
        f->cc.kind = X_INLINE;
        f->cc.pre_first = strcmp(name, "pre") == 0;
        break;
    case C_MEDIA: f->cc.kind = X_MEDIA; break;
    case C_LIST: f->cc.kind = X_LIST; break;
    case C_DL: f->cc.kind = X_DL; break;
    case C_TABLE: f->cc.kind = X_TABLE; break;
    case C_TSECT: f->cc.kind = X_TSECT; break;
    case C_TR: f->cc.kind = X_TR; break;
    default: f->cc.kind = X_FLOW; break;
    }
    f->cc.inner = &f->inner;
    s->depth++;
}

/* The innermost open element ends. */
static void
el_end(struct san *s)
{
    struct frame *f = frame_at(s, --s->n_open);
    if (f->kind == FR_KEEP) {
        need_wrap(s, &f->cc, NULL, 0);
        close_tag(s, f->name);
        s->depth--;
    }
}

/* After an error, or where libxml2 would stop: nothing more is read. */
static void
halt(struct san *s)
{
    s->halted = 1;
    xmlStopParser(s->ctxt);
}

/* The parser's events. The walk sees what libxml2's tree builder would
 * have built (the element names cut after a namespace prefix, the text
 * of a node in one piece, the depth limit) without the tree. */
static void
sax_start(void *ud, const xmlChar *qname, const xmlChar **atts)
{
    struct san *s = ud;
    const char *name = (const char *)qname, *colon;

    if (s->halted)
        return;
    flush_text(s);
    /* "o:p" is a "p" to the tree builder (xmlSplitQName()); ":p" and
     * "p:" keep their names. */
    if (name[0] != ':' && (colon = strchr(name, ':')) != NULL
        && colon[1] != '\0')
        name = colon + 1;
    if (s->n_open >= SAN_MAX_OPEN) {
        /* The tree builder drops this one and stops the parse. */
        halt(s);
        return;
    }
    if (s->n_open == SAN_NEAR_FRAMES && s->far == NULL
        && (s->far = malloc((SAN_MAX_OPEN - SAN_NEAR_FRAMES)
                            * sizeof *s->far)) == NULL) {
        s->rc = CUR_ENOMEM;
        halt(s);
        return;
    }
    struct frame *f = frame_at(s, s->n_open);
    struct ctx *c = content_ctx(s);
    if (s->n_open == 0 && !s->wrapper_seen && strcmp(name, "div") == 0) {
        /* The <div> clean_input() put first: its content is the root's. */
        s->wrapper_seen = 1;
        f->kind = FR_PASS;
        f->c = &s->root;
    } else if (s->n_open == 0) {
        el_start(s, f, name, atts, &s->root);
    } else if (c == NULL) {
        f->kind = FR_SKIP;
    } else {
        el_start(s, f, name, atts, c);
    }
    s->n_open++;
    if (s->rc != CUR_OK)
        halt(s);
}

static void
sax_end(void *ud, const xmlChar *name)
{
    struct san *s = ud;
    (void)name;
    if (s->halted || s->n_open == 0)
        return;
    flush_text(s);
    el_end(s);
    if (s->rc != CUR_OK)
        halt(s);
}

static void
add_text(struct san *s, const xmlChar *t, int len, int cdata)
{
    if (s->halted || s->n_open == 0 || len <= 0)
        return;
    /* Text and a CDATA block make two nodes, not one. */
    if (s->text_cdata != cdata)
        flush_text(s);
    s->text_cdata = cdata;
    if (s->rc == CUR_OK)
        s->rc = buf_append(&s->text, t, (size_t)len);
    if (s->rc != CUR_OK)
        halt(s);
}

static void
sax_text(void *ud, const xmlChar *t, int len)
{
    add_text(ud, t, len, 0);
}

static void
sax_cdata(void *ud, const xmlChar *t, int len)
{
    add_text(ud, t, len, 1);
}

/* A comment or processing instruction is a node of its own: text
 * before it and after it are two. */
static void
sax_comment(void *ud, const xmlChar *t)
{
    struct san *s = ud;
    (void)t;
    if (!s->halted)
        flush_text(s);
}

static void
sax_pi(void *ud, const xmlChar *target, const xmlChar *data)
{
    (void)target;
    (void)data;
    sax_comment(ud, NULL);
}

/* The input as libxml2 gets it: after a <div> (or a leading element
 * would swallow the rest), valid UTF-8 (invalid bytes as U+FFFD), and
 * without the characters XML refuses (NUL, most C0 controls, U+FFFE,
 * U+FFFF; FF as a space). */
static int
clean_input(const char *in, size_t len, struct buf *b)
{
    const unsigned char *p = (const unsigned char *)in, *end = p + len;
    int rc = buf_append(b, "<div>", 5);

    if (rc == CUR_OK)
        rc = buf_reserve(b, len);
    while (p < end && rc == CUR_OK) {
        /* Printable ASCII, TAB, LF, CR and UTF-8 but the non-characters
         * go in one piece. */
        const unsigned char *r = p, *q;
        for (;;) {
            while (end - r >= 8) {
                uint64_t v;
                memcpy(&v, r, 8);
                /* DEL passes too, but it is rare. */
                if (word_stops(v, 0x7F, 0x7F, 0x7F, 0x7F))
                    break;
                r += 8;
            }
            if (r >= end)
                break;
            if ((*r >= 0x20 && *r < 0x80) || *r == '\t' || *r == '\n'
                || *r == '\r')
                r++;
            else if (*r >= 0x80 && (q = utf8_plain(r, end, 0)) != NULL)
                r = q;
            else
                break;
        }
        if (r > p) {
            rc = buf_append(b, p, (size_t)(r - p));
            p = r;
            continue;
        }
        if (*p < 0x80) {
            if (*p == '\f')
                rc = buf_append(b, " ", 1);
            p++;
            continue;
        }
        unsigned cp;
        size_t n = utf8_next(p, end, &cp);
        if (n == 0)
            rc = buf_append(b, "\xef\xbf\xbd", 3);
        else if (cp != 0xFFFE && cp != 0xFFFF)
            rc = buf_append(b, p, n);
        p += n ? n : 1;
    }
    /* No </div>: an attribute left open at the end would take it in. */
    return rc;
}

/* One HTML parser context per thread, kept between calls: making one
 * (its dictionary, its SAX table, its stacks) cost as much as parsing a
 * short item. It is reset before and after each use, so no input stays
 * held, and replaced once its dictionary of names has grown large. */
#define SAN_CTXT_MAX_NAMES 4096

static pthread_key_t ctxt_key;
static int ctxt_key_ok;
static pthread_once_t ctxt_once = PTHREAD_ONCE_INIT;

static void
ctxt_destroy(void *c)
{
    htmlFreeParserCtxt(c);
}

static void
ctxt_key_init(void)
{
    ctxt_key_ok = pthread_key_create(&ctxt_key, ctxt_destroy) == 0;
}

static htmlParserCtxtPtr
ctxt_get(void)
{
    htmlParserCtxtPtr c = NULL;

    pthread_once(&ctxt_once, ctxt_key_init);
    if (ctxt_key_ok && (c = pthread_getspecific(ctxt_key)) != NULL) {
        pthread_setspecific(ctxt_key, NULL);
        return c;
    }
    if ((c = htmlNewParserCtxt()) == NULL)
        return NULL;
    /* The walk's own handlers: no tree is built. */
    xmlSAXHandlerPtr h = c->sax;
    h->startElement = sax_start;
    h->endElement = sax_end;
    h->characters = sax_text;
    /* Keep all white space: libxml2 would drop some it thinks is only
     * indentation, and the output would no longer be a fixed point. */
    h->ignorableWhitespace = sax_text;
    h->cdataBlock = sax_cdata;
    h->comment = sax_comment;
    h->processingInstruction = sax_pi;
    h->startDocument = NULL;
    h->endDocument = NULL;
    h->internalSubset = NULL;
    h->externalSubset = NULL;
    h->setDocumentLocator = NULL;
    h->reference = NULL;
    return c;
}

static void
ctxt_put(htmlParserCtxtPtr c)
{
    if (c == NULL)
        return;
    htmlCtxtReset(c);
    if (!ctxt_key_ok || c->dict == NULL
        || xmlDictSize(c->dict) > SAN_CTXT_MAX_NAMES
        || pthread_getspecific(ctxt_key) != NULL
        || pthread_setspecific(ctxt_key, c) != 0)
        htmlFreeParserCtxt(c);
}

/* Parse 'html' (len bytes, valid UTF-8, as clean_input() makes it),
 * the walk writing out what it allows as the events come: what
 * htmlCtxtReadMemory() does, less the tree and a pass of the whole
 * input through an UTF-8 "decoder". The input is read as UTF-8 and the
 * encoding is fixed (IGNORE_ENC, and an encoding set on the input), so
 * a <meta charset> inside cannot change it; NONET: nothing is ever
 * fetched. */
static void
read_html(struct san *s, const char *html, size_t len)
{
    htmlParserCtxtPtr ctxt = s->ctxt;
    xmlParserInputBufferPtr ib;
    xmlParserInputPtr st;

    htmlCtxtReset(ctxt);
    /* Not CreateStatic: libxml2 2.9 mishandles shrinking such a buffer. */
    ib = xmlParserInputBufferCreateMem(html, (int)len, XML_CHAR_ENCODING_NONE);
    if (ib == NULL)
        goto oom;
    /* XML_CHAR_ENCODING_UTF8: no decoder, the bytes are read as UTF-8. */
    st = xmlNewIOInputStream(ctxt, ib, XML_CHAR_ENCODING_UTF8);
    if (st == NULL) {
        xmlFreeParserInputBuffer(ib);
        goto oom;
    }
    st->encoding = xmlStrdup((const xmlChar *)"UTF-8");
    if (st->encoding == NULL) {
        xmlFreeInputStream(st);
        goto oom;
    }
    if (inputPush(ctxt, st) < 0)
        goto oom;               /* it freed the input */
    htmlCtxtUseOptions(ctxt, HTML_PARSE_NONET | HTML_PARSE_NOERROR
                             | HTML_PARSE_NOWARNING | HTML_PARSE_NOIMPLIED
                             | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
    ctxt->html = 1;
    ctxt->userData = s;
    htmlParseDocument(ctxt);
    ctxt->userData = ctxt;
    /* What is still open ends with the input. */
    if (s->rc == CUR_OK)
        flush_text(s);
    while (s->n_open > 0 && s->rc == CUR_OK)
        el_end(s);
    return;
oom:
    s->rc = CUR_ENOMEM;
}

int
sanitize_html(const char *html, size_t len, const struct sanitize_opts *o,
              char **out)
{
    struct san *s;
    struct buf in;
    int rc;

    *out = NULL;
    if (len > SAN_INPUT_MAX)
        return CUR_ETOOBIG;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return CUR_ENOMEM;
    s->o = o;
    s->root.kind = X_FLOW;
    s->root.inner = &s->root_inner;
    buf_init(&s->out, 0);
    buf_init(&s->attrs, 0);
    buf_init(&s->val, 0);
    buf_init(&s->url, 0);
    buf_init(&s->text, 0);
    buf_init(&in, 0);
    s->rc = clean_input(html, len, &in);
    if (s->rc != CUR_OK)
        goto done;
    if (memchr(html, '<', len) == NULL && memchr(html, '&', len) == NULL) {
        /* Nothing for a parser to do: the text, escaped. */
        put_text(s, in.data + 5, &s->root);
        goto done;
    }
    if (in.len > INT_MAX) {
        s->rc = CUR_ETOOBIG;
        goto done;
    }
    s->ctxt = ctxt_get();
    if (s->ctxt == NULL) {
        s->rc = CUR_ENOMEM;
        goto done;
    }
    read_html(s, in.data, in.len);
    need_wrap(s, &s->root, NULL, 0);

done:
    ctxt_put(s->ctxt);
    buf_free(&in);
    buf_free(&s->attrs);
    buf_free(&s->val);
    buf_free(&s->url);
    buf_free(&s->text);
    free(s->far);
    if (s->rc == CUR_OK) {
        *out = buf_steal(&s->out);
        if (*out == NULL)
            s->rc = CUR_ENOMEM;
    }
    buf_free(&s->out);
    rc = s->rc;
    free(s);
    return rc == CUR_ETOOBIG ? CUR_ETOOBIG : rc == CUR_OK ? CUR_OK
                                                          : CUR_ENOMEM;
}

char *
sanitize_text_html(const char *text)
{
    struct buf b;
    const char *p = text;
    int rc = CUR_OK, open = 0;

    buf_init(&b, 0);
    while (*p && rc == CUR_OK) {
        /* One paragraph: up to a blank line. */
        while (*p && is_space((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        const char *end = p;
        for (;;) {
            const char *nl = strchr(end, '\n');
            if (nl == NULL) {
                end = p + strlen(p);
                break;
            }
            const char *q = nl + 1;
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            if (*q == '\n' || *q == '\0') {
                end = nl;
                break;
            }
            end = q;
        }
        rc = buf_append(&b, "<p>", 3);
        open = 1;
        const char *line = p;
        while (line < end && rc == CUR_OK) {
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            const char *le = nl ? nl : end;
            const char *ls = line;
            while (ls < le && is_space((unsigned char)*ls))
                ls++;
            while (le > ls && is_space((unsigned char)le[-1]))
                le--;
            if (ls < le) {
                if (line != p)
                    rc = buf_append(&b, "<br>", 4);
                if (rc == CUR_OK)
                    rc = put_escaped(&b, ls, (size_t)(le - ls), 0);
            }
            line = nl ? nl + 1 : end;
        }
        if (rc == CUR_OK)
            rc = buf_append(&b, "</p>", 4);
        open = 0;
        p = end;
    }
    (void)open;
    if (rc != CUR_OK)
        return NULL;
    return buf_steal(&b);
}
