/* Composing digest messages: RFC 5322 headers with RFC 2047 encoded
 * words, MIME bodies in quoted-printable or base64. See mime.h for the
 * format; this file says how.
 *
 * Every input is checked before a byte is appended, so a refused
 * message leaves the output untouched. A first pass over each body, eight
 * bytes at a time, counts the bytes quoted-printable must escape, which
 * decides the encoding, and hashes them for the boundary. The
 * quoted-printable encoder then writes the canonical form (CRLF line
 * breaks, U+FFFD for ill-formed UTF-8) straight into the reserved
 * buffer, copying runs of plain ASCII whole; base64 encodes a normalised
 * copy. A 40 KB digest takes some 40 us.
 */
#include "mime.h"
#include "err.h"
#include "valid.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Header lines are folded to stay within this (RFC 5322 2.1.1). */
#define LINE_SOFT 78
/* An encoded-word is at most this long (RFC 2047 2). */
#define EWORD_MAX 75
/* "=?UTF-8?Q?" and "?=" */
#define EWORD_OVERHEAD 12
/* A new encoded-word is started on a fresh line when less than this is
 * left on the current one: room for the overhead and one character of
 * four bytes in Q (12). */
#define EWORD_MIN 24
/* Words of plain header text longer than this are encoded instead, so
 * that each fits on a line after "Subject: ". */
#define PLAIN_WORD_MAX 66
/* A quoted-string display name is written only up to this length; it
 * cannot be folded inside, so longer ones are encoded. */
#define QUOTED_MAX 69
/* Quoted-printable: at most 75 characters before a soft break's '=',
 * so no line passes 76 (RFC 2045 6.7 rule 5). */
#define QP_LINE 75
/* Base64 input per line: 57 bytes give 76 characters. */
#define B64_CHUNK 57

static const char hex[] = "0123456789ABCDEF";

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 character at s[0..n) (n >= 1), or 0 when it
 * is ill-formed; then *bad is the length of its maximal subpart (the
 * bytes one U+FFFD replaces, Unicode 3.9 "U+FFFD substitution of maximal
 * subparts"). */
static size_t
utf8_len(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;      /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;      /* nothing past U+10FFFF */
    } else {
        *bad = 1;
        return 0;
    }
    size_t i = 1;
    for (; i <= need && i < n; i++) {
        unsigned b = s[i];
        if (b < lo || b > hi)
            break;
        lo = 0x80;
        hi = 0xBF;
    }
    if (i == need + 1)
        return i;
    *bad = i;
    return 0;
}

/* utf8_len() with the two- and three-byte characters of most scripts
 * decided inline. */
static inline size_t
utf8_len_fast(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    if (c >= 0xE1 && c <= 0xEF && c != 0xED && n >= 3
        && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80)
        return 3;
    if (c >= 0xC2 && c <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80)
        return 2;
    return utf8_len(s, n, bad);
}

/* Copy a character of 'len' (1 to 4) bytes; shorter than a memcpy()
 * call. */
static inline char *
put_char(char *o, const unsigned char *s, size_t len)
{
    o[0] = (char)s[0];
    if (len > 1)
        o[1] = (char)s[1];
    if (len > 2)
        o[2] = (char)s[2];
    if (len > 3)
        o[3] = (char)s[3];
    return o + len;
}

/* Append the header-safe form of 's' to 'b' (see mime.h): U+FFFD for
 * invalid UTF-8, controls and line separators as spaces, spaces
 * collapsed and trimmed. */
static int
norm_header(struct buf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0;
    int space = 0;      /* a space is pending before the next character */
    int rc;

    /* At most 3 bytes out per byte in (an invalid byte), plus a space. */
    rc = buf_reserve(b, 3 * n + 1);
    if (rc != CUR_OK)
        return rc;
    size_t start = b->len;
    char *o = b->data + b->len;
    while (i < n) {
        size_t bad = 0, len = utf8_len(s + i, n - i, &bad);
        uint32_t cp;
        if (len == 1)
            cp = s[i];
        else if (len == 2)
            cp = (uint32_t)(s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);
        else if (len == 3)
            cp = (uint32_t)(s[i] & 0x0F) << 12
                 | (uint32_t)(s[i + 1] & 0x3F) << 6 | (s[i + 2] & 0x3F);
        else
            cp = 0x10000;   /* four bytes, or ill-formed: not special */
        if (cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)
            || cp == 0x2028 || cp == 0x2029) {
            space = (o != b->data + start);
            i += len;
            continue;
        }
        if (space)
            *o++ = ' ';
        space = 0;
        if (len == 0) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        } else {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        }
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return CUR_OK;
}

/* Bytes of a body copied as they are by norm_body()'s fast path:
 * printable ASCII and TAB. */
static const unsigned char body_plain[256] = {
    ['\t'] = 1,
    [' '] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,             /* 0x70 */
};

/* Append the canonical form of body 'str' ('n' bytes) to 'b': invalid
 * UTF-8 as U+FFFD, every line break CRLF. For base64, which encodes
 * bytes as they are; quoted-printable does this on the fly. */
static int
norm_body(struct buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    int rc;

    /* A lone CR or LF doubles, an invalid byte triples. */
    rc = buf_reserve(b, 3 * n);
    if (rc != CUR_OK)
        return rc;
    char *o = b->data + b->len;
    while (i < n) {
        size_t run = i;
        while (run < n && body_plain[s[run]])
            run++;
        if (run > i) {
            memcpy(o, s + i, run - i);
            o += run - i;
            i = run;
            if (i == n)
                break;
        }
        unsigned c = s[i];
        if (c == '\r' || c == '\n') {
            *o++ = '\r';
            *o++ = '\n';
            i += (c == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
        } else if (c < 0x80) {
            *o++ = (char)c;     /* other controls and DEL */
            i++;
        } else {
            size_t bad = 0, len = utf8_len_fast(s + i, n - i, &bad);
            if (len == 0) {
                o = put_char(o, (const unsigned char *)"\xEF\xBF\xBD", 3);
                i += bad;
            } else {
                o = put_char(o, s + i, len);
                i += len;
            }
        }
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return CUR_OK;
}

/* ---- Body encoders -------------------------------------------------- */

/* Bodies are read eight bytes at a time where that helps: a digest is
 * some 40 KB, and the daemon composes thousands a second. */
#define K01 0x0101010101010101ULL
#define K20 0x2020202020202020ULL
#define K3D 0x3D3D3D3D3D3D3D3DULL
#define K7F 0x7F7F7F7F7F7F7F7FULL
#define K80 0x8080808080808080ULL

/* What a first pass learns of a body. */
struct body {
    const unsigned char *s;     /* as given */
    size_t n;
    size_t escaped;     /* bytes of 0x80 and over and '=': what
                           quoted-printable writes as "=XX" */
    uint64_t hash;      /* of the bytes, for the boundary */
    int base64;
};

static uint64_t
rotl64(uint64_t x, unsigned r)
{
    return x << r | x >> (64 - r);
}

/* 0x80 in each byte of 'w' that is 0x80 or over or '=', and only
 * there: the zero test of (w ^ '=') cannot borrow across bytes. */
static uint64_t
escaped_bytes(uint64_t w)
{
    uint64_t x = w ^ K3D;
    return (w & K80) | ~(((x & K7F) + K7F) | x | K7F);
}

/* How many bytes of 'm' hold 0x80 (and nothing else): the sum of the
 * bits, gathered in the top byte by the multiply. */
static size_t
count_bytes(uint64_t m)
{
    return (size_t)(((m >> 7) * K01) >> 56);
}

static void
body_scan(struct body *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, esc = 0;
    uint64_t h = 0x243F6A8885A308D3ULL ^ n, w;

    /* The multiply is off the dependency chain of 'h'; fmix64 (from
     * MurmurHash3) below spreads the bits. Not a cryptographic hash:
     * the boundary only needs to differ between digests. */
#ifdef __SSE2__
    /* Sixteen bytes at a time: each lane of 'acc' counts its escaped
     * bytes (a compare gives -1) for up to 255 rounds, then the lanes
     * are summed. The hash still takes eight bytes a step. */
    const __m128i eq = _mm_set1_epi8('='), zero = _mm_setzero_si128();
    while (i + 16 <= n) {
        size_t stop = n - i >= 255 * 16 ? i + 255 * 16 : n;
        __m128i acc = zero;
        for (; i + 16 <= stop; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i m = _mm_or_si128(_mm_cmplt_epi8(v, zero),
                                     _mm_cmpeq_epi8(v, eq));
            acc = _mm_sub_epi8(acc, m);
            memcpy(&w, s + i, 8);
            h = rotl64(h, 23) ^ (w * 0x9E3779B97F4A7C15ULL);
            memcpy(&w, s + i + 8, 8);
            h = rotl64(h, 23) ^ (w * 0x9E3779B97F4A7C15ULL);
        }
        acc = _mm_sad_epu8(acc, zero);
        esc += (size_t)_mm_cvtsi128_si32(acc)
               + (size_t)_mm_cvtsi128_si32(_mm_srli_si128(acc, 8));
    }
#endif
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        esc += count_bytes(escaped_bytes(w));
        h = rotl64(h, 23) ^ (w * 0x9E3779B97F4A7C15ULL);
    }
    w = 0;
    memcpy(&w, s + i, n - i);   /* zero bytes count as nothing */
    esc += count_bytes(escaped_bytes(w));
    h = rotl64(h, 23) ^ (w * 0x9E3779B97F4A7C15ULL);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    b->s = s;
    b->n = n;
    b->escaped = esc;
    b->hash = h;
}

/* Written as they are by quoted-printable: printable ASCII but '=', and
 * TAB (space and TAB before a line break are escaped apart). */
static const unsigned char qp_lit[256] = {
    ['\t'] = 1,
    [' '] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x20 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1,             /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,             /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,             /* 0x70 */
};

/* Copy the run of qp_lit bytes from s[i], at most up to 'lim', to 'o'
 * and return its end. With SSE2, sixteen bytes are tested at once (a
 * byte under 0x20 or over 0x7E, or '=', ends the run) and stored
 * whole, while they lie within the 'n' bytes of 's': up to fifteen
 * bytes past the run's end are written too, which the caller's
 * reservation covers and its next writes replace. Without SSE2, eight
 * bytes are tested at once, a false alarm (a borrow or carry next to a
 * byte that ends the run anyway) only sending the rest to the byte
 * loop. */
static size_t
literal_run(char *o, const unsigned char *s, size_t i, size_t lim,
            size_t n)
{
    size_t start = i;
#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F),
                  eq = _mm_set1_epi8('=');
    while (i < lim && i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        /* Signed compare: bytes of 0x80 and over are below 0x20 too. */
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, lo),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, del),
                                                _mm_cmpeq_epi8(v, eq)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        _mm_storeu_si128((__m128i *)(o + (i - start)), v);
        if (m == 0) {
            i += 16;
            continue;
        }
        i += (size_t)__builtin_ctz(m);
        if (i >= lim)
            return lim;
        if (s[i] != '\t')
            return i;
        i++;            /* stored already */
    }
    if (i >= lim)
        return lim;
#else
    while (i + 8 <= lim) {
        uint64_t w, x;
        memcpy(&w, s + i, 8);
        x = w ^ K3D;
        if (((w | (w + K01)) | ((w - K20) & ~w) | ((x - K01) & ~x)) & K80)
            break;
        memcpy(o + (i - start), s + i, 8);
        i += 8;
    }
    (void)n;
#endif
    while (i < lim && qp_lit[s[i]]) {
        o[i - start] = (char)s[i];
        i++;
    }
    return i;
}

/* Input bytes encoded per buffer reservation; an item (a character, a
 * line break) may run 3 bytes past, each byte giving at most 12
 * characters (an ill-formed byte: "=EF=BF=BD" and a soft break). */
#define QP_SLICE 4096

/* Append body 's' (n bytes, any content) as quoted-printable, writing
 * it in canonical form on the way: line breaks as CRLF, ill-formed
 * UTF-8 as U+FFFD. Output lines end with CRLF, the last with a soft
 * break when 's' does not end with a line break. */
static int
qp_encode(struct buf *b, const unsigned char *s, size_t n)
{
    size_t i = 0, col = 0;
    int rc;

    while (i < n) {
        size_t end = n - i > QP_SLICE ? i + QP_SLICE : n;
        rc = buf_reserve(b, 12 * (end - i + 4) + 16);
        if (rc != CUR_OK)
            return rc;
        char *o = b->data + b->len;
        while (i < end) {
            unsigned c = s[i];
            if (c == '\r' || c == '\n') {
                *o++ = '\r';
                *o++ = '\n';
                col = 0;
                i += (c == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
                continue;
            }
            int brk = i + 1 == n || s[i + 1] == '\r' || s[i + 1] == '\n';
            if (qp_lit[c] && !(brk && (c == ' ' || c == '\t'))) {
                if (col >= QP_LINE) {
                    memcpy(o, "=\r\n", 3);
                    o += 3;
                    col = 0;
                }
                /* Keep "." and "From " off the start of lines (see
                 * mime.h). */
                if (col == 0 && (c == '.' || (c == 'F' && n - i >= 5
                                 && memcmp(s + i, "From ", 5) == 0))) {
                    o[0] = '=';
                    o[1] = hex[c >> 4];
                    o[2] = hex[c & 15];
                    o += 3;
                    col = 3;
                    i++;
                    continue;
                }
                size_t lim = i + (QP_LINE - col);
                *o = (char)c;
                size_t j = literal_run(o + 1, s, i + 1,
                                       lim < end ? lim : end, n);
                /* White space right before a line break or the end is
                 * escaped in the next round (RFC 2045 6.7 rule 3). */
                if ((j == n || s[j] == '\r' || s[j] == '\n')
                    && (s[j - 1] == ' ' || s[j - 1] == '\t'))
                    j--;
                o += j - i;
                col += j - i;
                i = j;
                continue;
            }
            /* One escaped byte, or a whole character kept on one line,
             * or U+FFFD for an ill-formed sequence. */
            const unsigned char *p = s + i;
            size_t len = 1, adv = 1;
            if (c >= 0x80) {
                size_t bad = 0;
                len = utf8_len_fast(p, n - i, &bad);
                adv = len;
                if (len == 0) {
                    p = (const unsigned char *)"\xEF\xBF\xBD";
                    len = 3;
                    adv = bad;
                }
            }
            if (col + 3 * len > QP_LINE) {
                memcpy(o, "=\r\n", 3);
                o += 3;
                col = 0;
            }
            for (size_t k = 0; k < len; k++) {
                o[0] = '=';
                o[1] = hex[p[k] >> 4];
                o[2] = hex[p[k] & 15];
                o += 3;
            }
            col += 3 * len;
            i += adv;
        }
        b->len = (size_t)(o - b->data);
        b->data[b->len] = '\0';
    }
    if (col > 0)
        return buf_append(b, "=\r\n", 3);
    return CUR_OK;
}

/* Length of qp_encode()'s output, estimated from the escaped count:
 * exact but for line breaks, controls, soft breaks and line starts. */
static size_t
qp_estimate(size_t n, size_t escaped)
{
    size_t len = n + 2 * escaped;
    return len + len / QP_LINE * 3;
}

static size_t
b64_length(size_t n)
{
    size_t lines = (n + B64_CHUNK - 1) / B64_CHUNK;
    return (n + 2) / 3 * 4 + 2 * lines;
}

/* Base64 of s[0..n) at 'o' (no line breaks, no NUL); returns the end.
 * Not sodium_bin2base64(): its constant-time code takes 200 us on a
 * 40 KB digest, where this takes a few, and digests are not secret. */
static char *
b64_put(char *o, const unsigned char *s, size_t n)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        o[0] = a[v >> 18];
        o[1] = a[v >> 12 & 63];
        o[2] = a[v >> 6 & 63];
        o[3] = a[v & 63];
        o += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        o[0] = a[v >> 18];
        o[1] = a[v >> 12 & 63];
        o[2] = '=';
        o[3] = '=';
        o += 4;
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        o[0] = a[v >> 18];
        o[1] = a[v >> 12 & 63];
        o[2] = a[v >> 6 & 63];
        o[3] = '=';
        o += 4;
    }
    return o;
}

/* Append 's' as base64, 76 characters and CRLF per line. */
static int
b64_encode(struct buf *b, const unsigned char *s, size_t n)
{
    int rc = buf_reserve(b, b64_length(n));
    if (rc != CUR_OK)
        return rc;
    char *o = b->data + b->len;
    for (size_t i = 0; i < n; i += B64_CHUNK) {
        o = b64_put(o, s + i, n - i < B64_CHUNK ? n - i : B64_CHUNK);
        *o++ = '\r';
        *o++ = '\n';
    }
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return CUR_OK;
}

/* ---- Header writer -------------------------------------------------- */

/* A header field being written. The first error sticks in 'rc' and makes
 * later calls do nothing, so callers check once at the end. */
struct hw {
    struct buf *b;
    size_t col;     /* characters on the current line */
    int words;      /* words written in this field */
    int rc;
};

static void
hw_put(struct hw *h, const char *s, size_t n)
{
    if (h->rc == CUR_OK)
        h->rc = buf_append(h->b, s, n);
}

static void
hw_start(struct hw *h, const char *name)
{
    size_t n = strlen(name);
    hw_put(h, name, n);
    hw_put(h, ":", 1);
    h->col = n + 1;
    h->words = 0;
}

static void
hw_end(struct hw *h)
{
    hw_put(h, "\r\n", 2);
}

/* Fold before the next word when 'need' more characters would pass the
 * soft limit, but never before the first word of a field. */
static void
hw_fold(struct hw *h, size_t need)
{
    if (h->words > 0 && h->col + need > LINE_SOFT) {
        hw_put(h, "\r\n", 2);
        h->col = 0;
    }
}

/* One unbreakable word, after a space. */
static void
hw_word(struct hw *h, const char *w, size_t n)
{
    hw_fold(h, 1 + n);
    hw_put(h, " ", 1);
    hw_put(h, w, n);
    h->col += 1 + n;
    h->words++;
}

static void
hw_field(struct hw *h, const char *name, const char *value)
{
    hw_start(h, name);
    hw_word(h, value, strlen(value));
    hw_end(h);
}

/* Q may leave these as they are in any header context, phrases included
 * (RFC 2047 5 (3)); a space becomes '_'. */
static int
q_safe(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+'
           || c == '-' || c == '/' || c == ' ';
}

static size_t
utf8_char_len(unsigned lead)
{
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/* 's' (valid UTF-8, n > 0) as encoded-words, B or Q whichever is
 * shorter, each filling what is left of its line up to 75 characters and
 * holding whole characters. Their concatenation decodes to 's' exactly:
 * white space between encoded-words is not part of the text. */
static void
hw_encoded(struct hw *h, const unsigned char *s, size_t n)
{
    size_t qcost = 0;
    for (size_t i = 0; i < n; i++)
        qcost += q_safe(s[i]) ? 1 : 3;
    int use_b = (n + 2) / 3 * 4 < qcost;
    size_t i = 0;

    while (i < n && h->rc == CUR_OK) {
        char w[EWORD_MAX + 1];
        size_t wl, j = i;

        hw_fold(h, 1 + EWORD_MIN);
        size_t avail = LINE_SOFT - h->col - 1;
        if (avail > EWORD_MAX)
            avail = EWORD_MAX;
        size_t room = avail - EWORD_OVERHEAD;
        memcpy(w, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
        wl = 10;
        if (use_b) {
            size_t max = room / 4 * 3;
            while (j < n) {
                size_t cl = utf8_char_len(s[j]);
                if (j + cl - i > max)
                    break;
                j += cl;
            }
            wl = (size_t)(b64_put(w + wl, s + i, j - i) - w);
        } else {
            size_t used = 0;
            while (j < n) {
                size_t cl = utf8_char_len(s[j]), cost = 0;
                for (size_t k = 0; k < cl; k++)
                    cost += q_safe(s[j + k]) ? 1 : 3;
                if (used + cost > room)
                    break;
                for (size_t k = 0; k < cl; k++) {
                    unsigned c = s[j + k];
                    if (c == ' ')
                        w[wl++] = '_';
                    else if (q_safe(c))
                        w[wl++] = (char)c;
                    else {
                        w[wl++] = '=';
                        w[wl++] = hex[c >> 4];
                        w[wl++] = hex[c & 15];
                    }
                }
                used += cost;
                j += cl;
            }
        }
        if (j == i)
            break;      /* cannot happen: EWORD_MIN fits any character */
        w[wl++] = '?';
        w[wl++] = '=';
        hw_word(h, w, wl);
        i = j;
    }
}

/* Printable ASCII without "=?", which a reader would try to decode. */
static int
plain_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7E || (c == '=' && s[i + 1] == '?'))
            return 0;
    }
    return 1;
}

/* The longest run of non-spaces. */
static size_t
longest_word(const char *s, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        cur = s[i] == ' ' ? 0 : cur + 1;
        if (cur > best)
            best = cur;
    }
    return best;
}

/* Words of normalised plain text: single spaces between them. */
static void
hw_words(struct hw *h, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        hw_word(h, s + i, j - i);
        i = j + 1;
    }
}

/* Unstructured text (normalised): Subject. */
static void
hw_text(struct hw *h, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (plain_ascii(s, n) && longest_word(s, n) <= PLAIN_WORD_MAX)
        hw_words(h, s, n);
    else
        hw_encoded(h, (const unsigned char *)s, n);
}

/* atext of RFC 5322 3.2.3. */
static int
is_atext(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~",
                                                     (int)c) != NULL);
}

/* A display name or List-Id description (normalised, n > 0): atoms,
 * a quoted-string or encoded-words. */
static void
hw_phrase(struct hw *h, const char *s, size_t n)
{
    if (plain_ascii(s, n)) {
        int atoms = 1;
        size_t quoted = n + 2;
        for (size_t i = 0; i < n; i++) {
            unsigned c = (unsigned char)s[i];
            if (c != ' ' && !is_atext(c))
                atoms = 0;
            if (c == '"' || c == '\\')
                quoted++;
        }
        if (atoms && longest_word(s, n) <= PLAIN_WORD_MAX) {
            hw_words(h, s, n);
            return;
        }
        if (quoted <= QUOTED_MAX) {
            char q[QUOTED_MAX];
            size_t ql = 0;
            q[ql++] = '"';
            for (size_t i = 0; i < n; i++) {
                if (s[i] == '"' || s[i] == '\\')
                    q[ql++] = '\\';
                q[ql++] = s[i];
            }
            q[ql++] = '"';
            hw_word(h, q, ql);
            return;
        }
    }
    hw_encoded(h, (const unsigned char *)s, n);
}

/* "phrase <addr>", or the bare address without a name. */
static void
hw_mailbox(struct hw *h, const char *name, size_t nlen, const char *email)
{
    size_t el = strlen(email);
    if (nlen == 0) {
        hw_word(h, email, el);
        return;
    }
    hw_phrase(h, name, nlen);
    hw_fold(h, 3 + el);
    hw_put(h, " <", 2);
    hw_put(h, email, el);
    hw_put(h, ">", 1);
    h->col += 3 + el;
    h->words++;
}

/* ---- Checks --------------------------------------------------------- */

/* dot-atom-text of RFC 5322: atoms joined by single dots. */
static int
dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c == '.' ? s[i + 1] == '.' : !is_atext(c))
            return 0;
    }
    return 1;
}

static int
valid_msgid(const char *s)
{
    size_t n = strlen(s);
    const char *at = strchr(s, '@');
    if (n > MIME_ID_MAX || at == NULL)
        return 0;
    size_t l = (size_t)(at - s);
    return dot_atom(s, l) && dot_atom(at + 1, n - l - 1);
}

/* Split "Description <id>" or "id"; *desc and *dlen get the description
 * (not trimmed), *id and *idlen the identifier. */
static int
split_list_id(const char *s, const char **desc, size_t *dlen,
              const char **id, size_t *idlen)
{
    const char *lt = strrchr(s, '<');   /* the identifier has none */
    size_t n = strlen(s);

    if (lt == NULL) {
        *desc = s;
        *dlen = 0;
        *id = s;
        *idlen = n;
    } else {
        if (n < 2 || s[n - 1] != '>')
            return 0;
        *desc = s;
        *dlen = (size_t)(lt - s);
        *id = lt + 1;
        *idlen = (size_t)(s + n - 1 - *id);
    }
    return *idlen <= MIME_ID_MAX && dot_atom(*id, *idlen)
           && memchr(*id, '.', *idlen) != NULL;
}

/* A List-Unsubscribe URL: 'scheme' (either case), then printable ASCII
 * but for what would end or split the <...> list (RFC 2369 asks for
 * commas to be percent-encoded). */
static int
valid_list_url(const char *s, const char *scheme)
{
    size_t n = strlen(s), sl = strlen(scheme);
    if (n > MIME_URL_MAX || n <= sl || strncasecmp(s, scheme, sl) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7F || strchr("<>\",\\", (int)c) != NULL)
            return 0;
    }
    return 1;
}

/* 9999-12-31T23:59:59Z */
#define DATE_LAST 253402300799LL

static int
format_date(long long t, char *out, size_t len)
{
    static const char days[7][4] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
    };
    static const char months[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    struct tm tm;
    time_t tt = (time_t)t;

    if (t < 0 || t > DATE_LAST || gmtime_r(&tt, &tm) == NULL)
        return 0;
    snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return 1;
}

static int
check(const struct mime_message *m, const char **why)
{
    const char *d, *id;
    size_t dl, il;

#define REFUSE(what) do { *why = (what); return CUR_EINVAL; } while (0)
    if (m->subject == NULL)
        REFUSE("no subject");
    if (m->text == NULL)
        REFUSE("no text body");
    if (m->from.email == NULL || !valid_email(m->from.email))
        REFUSE("invalid From address");
    if (m->to.email == NULL || !valid_email(m->to.email))
        REFUSE("invalid To address");
    if (m->message_id == NULL || !valid_msgid(m->message_id))
        REFUSE("invalid Message-ID");
    if (m->date < 0 || m->date > DATE_LAST)
        REFUSE("date out of range");
    if (m->list_id != NULL && !split_list_id(m->list_id, &d, &dl, &id, &il))
        REFUSE("invalid List-Id");
    if (m->unsubscribe_url != NULL
        && !valid_list_url(m->unsubscribe_url, "https://"))
        REFUSE("invalid unsubscribe URL");
    if (m->unsubscribe_mailto != NULL
        && !valid_list_url(m->unsubscribe_mailto, "mailto:"))
        REFUSE("invalid unsubscribe mailto");
#undef REFUSE
    return CUR_OK;
}

/* ---- The message ---------------------------------------------------- */

/* Scratch space for one composition. */
struct work {
    struct buf hdr;     /* normalised header texts, NUL-separated */
    struct buf body;    /* a body normalised for base64 */
};

/* Append the normalised form of 's' to w->hdr; *off gets where it
 * starts and *len its length. */
static int
norm_into(struct work *w, const char *s, size_t *off, size_t *len)
{
    int rc;
    *off = w->hdr.len;
    rc = norm_header(&w->hdr, s != NULL ? s : "");
    if (rc != CUR_OK)
        return rc;
    *len = w->hdr.len - *off;
    return buf_append(&w->hdr, "", 1);
}

static void
write_part_headers(struct hw *h, const char *type, int base64)
{
    hw_field(h, "Content-Type", type);
    hw_field(h, "Content-Transfer-Encoding",
             base64 ? "base64" : "quoted-printable");
}

/* Choose the shorter encoding for a scanned body. */
static void
body_choose(struct body *b)
{
    b->base64 = b64_length(b->n) < qp_estimate(b->n, b->escaped);
}

static int
encode_body(struct buf *out, struct work *w, const struct body *b)
{
    int rc;

    if (!b->base64)
        return qp_encode(out, b->s, b->n);
    buf_reset(&w->body);
    rc = norm_body(&w->body, (const char *)b->s, b->n);
    if (rc != CUR_OK)
        return rc;
    return b64_encode(out, (const unsigned char *)w->body.data,
                      w->body.len);
}

static int
compose(const struct mime_message *m, struct work *w, struct buf *out)
{
    size_t subj, subj_len, from, from_len, to, to_len, ld = 0, ld_len = 0;
    const char *desc = NULL, *id = NULL;
    size_t dl = 0, il = 0;
    char date[64];
    int rc;

    if (m->list_id != NULL)
        split_list_id(m->list_id, &desc, &dl, &id, &il);
    if ((rc = norm_into(w, m->subject, &subj, &subj_len)) != CUR_OK
        || (rc = norm_into(w, m->from.name, &from, &from_len)) != CUR_OK
        || (rc = norm_into(w, m->to.name, &to, &to_len)) != CUR_OK)
        return rc;
    if (desc != NULL) {
        /* The description is copied to end at its '<'. */
        char *copy = strndup(desc, dl);
        if (copy == NULL)
            return CUR_ENOMEM;
        rc = norm_into(w, copy, &ld, &ld_len);
        free(copy);
        if (rc != CUR_OK)
            return rc;
    }
    struct body text, html = { 0 };
    int multipart = m->html != NULL && m->html[0] != '\0';
    body_scan(&text, m->text);
    body_choose(&text);
    if (multipart) {
        body_scan(&html, m->html);
        body_choose(&html);
    }
    format_date(m->date, date, sizeof date);

    const char *hd = w->hdr.data;
    struct hw h = { out, 0, 0, CUR_OK };

    hw_field(&h, "Date", date);
    hw_start(&h, "From");
    hw_mailbox(&h, hd + from, from_len, m->from.email);
    hw_end(&h);
    hw_start(&h, "To");
    hw_mailbox(&h, hd + to, to_len, m->to.email);
    hw_end(&h);
    hw_start(&h, "Subject");
    hw_text(&h, hd + subj, subj_len);
    hw_end(&h);
    hw_start(&h, "Message-ID");
    hw_put(&h, " <", 2);
    hw_put(&h, m->message_id, strlen(m->message_id));
    hw_put(&h, ">", 1);
    hw_end(&h);
    if (m->list_id != NULL) {
        hw_start(&h, "List-Id");
        if (ld_len > 0)
            hw_phrase(&h, hd + ld, ld_len);
        hw_fold(&h, 3 + il);
        hw_put(&h, " <", 2);
        hw_put(&h, id, il);
        hw_put(&h, ">", 1);
        hw_end(&h);
    }
    if (m->unsubscribe_url != NULL || m->unsubscribe_mailto != NULL) {
        hw_start(&h, "List-Unsubscribe");
        const char *u[2] = { m->unsubscribe_url, m->unsubscribe_mailto };
        for (int i = 0; i < 2; i++) {
            if (u[i] == NULL)
                continue;
            size_t ul = strlen(u[i]);
            int comma = (i == 0 && u[1] != NULL);
            if (h.words > 0) {
                hw_put(&h, ",", 1);
                h.col++;
            }
            hw_fold(&h, 3 + ul + comma);
            hw_put(&h, " <", 2);
            hw_put(&h, u[i], ul);
            hw_put(&h, ">", 1);
            h.col += 3 + ul;
            h.words++;
        }
        hw_end(&h);
        if (m->unsubscribe_url != NULL)
            hw_field(&h, "List-Unsubscribe-Post",
                     "List-Unsubscribe=One-Click");
    }
    hw_field(&h, "Auto-Submitted", "auto-generated");
    hw_field(&h, "Precedence", "bulk");
    hw_field(&h, "MIME-Version", "1.0");
    if (h.rc != CUR_OK)
        return h.rc;

    if (!multipart) {
        write_part_headers(&h, "text/plain; charset=UTF-8", text.base64);
        hw_put(&h, "\r\n", 2);
        if (h.rc != CUR_OK)
            return h.rc;
        return encode_body(out, w, &text);
    }

    /* The boundary: "=_" (see mime.h) and a hash of each body. */
    char boundary[2 + 32 + 1];
    snprintf(boundary, sizeof boundary, "=_%016llx%016llx",
             (unsigned long long)text.hash, (unsigned long long)html.hash);

    hw_start(&h, "Content-Type");
    hw_word(&h, "multipart/alternative;", 22);
    hw_put(&h, "\r\n boundary=\"", 13);
    hw_put(&h, boundary, strlen(boundary));
    hw_put(&h, "\"\r\n\r\n--", 7);
    hw_put(&h, boundary, strlen(boundary));
    hw_put(&h, "\r\n", 2);
    write_part_headers(&h, "text/plain; charset=UTF-8", text.base64);
    hw_put(&h, "\r\n", 2);
    if (h.rc != CUR_OK)
        return h.rc;
    if ((rc = encode_body(out, w, &text)) != CUR_OK)
        return rc;
    hw_put(&h, "\r\n--", 4);
    hw_put(&h, boundary, strlen(boundary));
    hw_put(&h, "\r\n", 2);
    write_part_headers(&h, "text/html; charset=UTF-8", html.base64);
    hw_put(&h, "\r\n", 2);
    if (h.rc != CUR_OK)
        return h.rc;
    if ((rc = encode_body(out, w, &html)) != CUR_OK)
        return rc;
    hw_put(&h, "\r\n--", 4);
    hw_put(&h, boundary, strlen(boundary));
    hw_put(&h, "--\r\n", 4);
    return h.rc;
}

int
mime_compose(const struct mime_message *m, struct buf *out,
             const char **why)
{
    const char *reason = NULL;
    struct work w;
    int rc;

    if (why == NULL)
        why = &reason;
    *why = NULL;
    if (m == NULL || out == NULL) {
        *why = "no message or output";
        return CUR_EINVAL;
    }
    rc = check(m, why);
    if (rc != CUR_OK)
        return rc;
    buf_init(&w.hdr, 0);
    buf_init(&w.body, 0);
    rc = compose(m, &w, out);
    if (rc != CUR_OK) {
        buf_free(out);
        *why = "out of memory or over the output cap";
    }
    buf_free(&w.hdr);
    buf_free(&w.body);
    return rc;
}
