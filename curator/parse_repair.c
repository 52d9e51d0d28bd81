/* Repair of the commonest breakage in feeds before the XML parser sees
 * it: HTML entities that XML does not define (&nbsp;, &hellip;) and bare
 * ampersands ("Q&A", unescaped query strings). Comments, CDATA sections,
 * processing instructions and the DOCTYPE are passed through untouched.
 * It streams: a reference cut by a chunk boundary is held for the next
 * chunk. Numeric references to characters XML forbids are replaced, and
 * the C1 range (&#150;) is read as Windows-1252, as browsers do.
 */
#include "parse_int.h"
#include "err.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>      /* SSE2 is in every x86-64 */
#endif

enum {
    S_TEXT, S_TAG, S_TAG_DQ, S_TAG_SQ,     /* states with a fast path */
    S_LT, S_BANG, S_BANG_DASH, S_CDATA_OPEN, S_COMMENT, S_CDATA, S_PI,
    S_DOCTYPE
};

/* For the states that last, the bytes that may change something (see
 * repair_push() for comments, CDATA sections and processing
 * instructions); the others see every byte. NUL stops every scan: it
 * ends the input (see parse_int.h). */
static const unsigned char stop_text[256] = {
    [0] = 1, ['&'] = 1, ['<'] = 1 };
static const unsigned char stop_tag[256] = {
    [0] = 1, ['&'] = 1, ['"'] = 1, ['\''] = 1, ['>'] = 1 };
static const unsigned char stop_tag_dq[256] = {
    [0] = 1, ['&'] = 1, ['"'] = 1 };
static const unsigned char stop_tag_sq[256] = {
    [0] = 1, ['&'] = 1, ['\''] = 1 };
static const unsigned char stop_doctype[256] = {
    [0] = 1, ['['] = 1, [']'] = 1, ['>'] = 1 };
static const unsigned char *const stop_sets[S_DOCTYPE + 1] = {
    [S_TEXT] = stop_text, [S_TAG] = stop_tag, [S_TAG_DQ] = stop_tag_dq,
    [S_TAG_SQ] = stop_tag_sq, [S_DOCTYPE] = stop_doctype,
};

/* The first byte at or after in[i] in 'stop' (in[len] is '\0', which
 * is). Text runs are long: sixteen bytes at a time where SSE2 is. */
static size_t
skip_to_stop(const char *in, size_t i, size_t len, int state)
{
    const unsigned char *stop = stop_sets[state];
#ifdef __SSE2__
    if (state == S_TEXT) {
        const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<');
        const __m128i nul = _mm_setzero_si128();
        while (len - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
            __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, amp),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, lt),
                                                    _mm_cmpeq_epi8(v, nul)));
            if (_mm_movemask_epi8(hit) != 0)
                break;
            i += 16;
        }
    }
#endif
    while (!stop[(unsigned char)in[i]])
        i++;
    return i;
}

/* Windows-1252 for 0x80-0x9F; 0 where it has no character. */
static const unsigned short cp1252[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

void
repair_init(struct repair *r)
{
    memset(r, 0, sizeof *r);
    r->state = S_TEXT;
}

static int
valid_xml_char(unsigned long c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
        || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

static void
note(struct repair *r, const char *ref, int amp)
{
    if (amp)
        r->fixed_amps++;
    else
        r->fixed_entities++;
    if (r->first_entity[0] == '\0') {
        snprintf(r->first_entity, sizeof r->first_entity, "%s", ref);
    }
}

/* Decide what to write for a held "&..." that ends here ('ended' says
 * whether a ';' closed it). */
static int
flush_ref(struct repair *r, int ended, struct buf *out)
{
    char *h = r->held;
    size_t n = r->n_held;
    char rep[16];
    int rc;

    h[n] = '\0';
    r->n_held = 0;
    if (ended && n >= 3 && h[1] == '#') {
        /* &#N; or &#xN; */
        char *end;
        unsigned long c = h[2] == 'x' || h[2] == 'X'
                          ? strtoul(h + 3, &end, 16) : strtoul(h + 2, &end, 10);
        if (end == h + n - 1 && end > h + 2 + (h[2] == 'x' || h[2] == 'X')) {
            if (c >= 0x80 && c <= 0x9F && cp1252[c - 0x80]) {
                /* Well-formed, only read as browsers read it: not a
                 * problem with the document. */
                snprintf(rep, sizeof rep, "&#%u;", cp1252[c - 0x80]);
                return buf_puts(out, rep);
            }
            if (valid_xml_char(c) && h[2] == 'X') {
                /* "&#X41;": HTML allows the capital X, XML does not. */
                note(r, h, 0);
                snprintf(rep, sizeof rep, "&#%lu;", c);
                return buf_puts(out, rep);
            }
            if (valid_xml_char(c))
                return buf_append(out, h, n);
            note(r, h, 0);
            return buf_puts(out, "&#xFFFD;");
        }
    } else if (ended && n >= 3) {
        char name[40];
        memcpy(name, h + 1, n - 2);
        name[n - 2] = '\0';
        if (strcmp(name, "amp") == 0 || strcmp(name, "lt") == 0
            || strcmp(name, "gt") == 0 || strcmp(name, "quot") == 0
            || strcmp(name, "apos") == 0)
            return buf_append(out, h, n);
        const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
        if (e != NULL) {
            snprintf(rep, sizeof rep, "&#%u;", e->value);
            note(r, h, 0);
            return buf_puts(out, rep);
        }
    }
    /* Not a reference XML knows: the '&' was meant literally. */
    note(r, "&", 1);
    rc = buf_puts(out, "&amp;");
    return rc == CUR_OK ? buf_append(out, h + 1, n - 1) : rc;
}

/* The length of the reference at in[0] ('&', n bytes available) when it
 * stays as it is (flush_ref() would write it back unchanged): one of
 * XML's five entities, or a decimal or lower-case hexadecimal
 * reference to a character XML allows that is not read as
 * Windows-1252. 0 for anything else, or a reference the chunk cuts:
 * those take the slow way. */
static size_t
plain_ref(const char *in, size_t n)
{
    if (n >= 2 && in[1] != '#') {
        /* in[n] is '\0' (see parse_int.h): comparing stops there. */
        const char *a = in + 1;
        if (a[0] == 'l' && a[1] == 't' && a[2] == ';')
            return 4;
        if (a[0] == 'g' && a[1] == 't' && a[2] == ';')
            return 4;
        if (a[0] == 'a' && a[1] == 'm' && a[2] == 'p' && a[3] == ';')
            return 5;
        if (a[0] == 'q' && a[1] == 'u' && a[2] == 'o' && a[3] == 't'
            && a[4] == ';')
            return 6;
        if (a[0] == 'a' && a[1] == 'p' && a[2] == 'o' && a[3] == 's'
            && a[4] == ';')
            return 6;
        return 0;
    }
    int hex = n >= 3 && in[2] == 'x';
    size_t i = 2 + (size_t)hex, digits = 0;
    unsigned long c = 0;
    for (; i < n && digits <= 8; i++, digits++) {
        unsigned char d = (unsigned char)in[i];
        if (d >= '0' && d <= '9')
            c = c * (hex ? 16 : 10) + (d - '0');
        else if (hex && (d | 0x20) >= 'a' && (d | 0x20) <= 'f')
            c = c * 16 + ((d | 0x20) - 'a' + 10);
        else
            break;
    }
    if (digits == 0 || digits > 8 || i >= n || in[i] != ';'
        || !valid_xml_char(c) || (c >= 0x80 && c <= 0x9F && cp1252[c - 0x80]))
        return 0;
    return i + 1;
}

static int
name_char(unsigned char c)
{
    return isalnum(c) || c == '#' || c == '_' || c == '-' || c == '.'
        || c == ':';
}

int
repair_push(struct repair *r, const char *in, size_t len, int last,
            struct buf *out)
{
    static const char cdata[] = "CDATA[";
    size_t run = 0;     /* start of the bytes not yet copied */
    int rc = CUR_OK;

    for (size_t i = 0; i < len && rc == CUR_OK; i++) {
        /* Most bytes change nothing: skip them without the switch. */
        if (r->n_held == 0 && (r->state == S_COMMENT || r->state == S_CDATA
                               || r->state == S_PI)) {
            /* Only a '-', ']' or '?' may start the end: '>' matters only
             * right after them, and then count is not 0. */
            if (r->count == 0) {
                int stop = r->state == S_CDATA ? ']'
                         : r->state == S_COMMENT ? '-' : '?';
                const char *hit = memchr(in + i, stop, len - i);
                if (hit == NULL) {
                    i = len;
                    break;
                }
                i = (size_t)(hit - in);
            }
        } else if (r->n_held == 0 && (r->state <= S_TAG_SQ
                                      || r->state == S_DOCTYPE)) {
            /* A NUL inside just stops the scan early. */
            i = skip_to_stop(in, i, len, r->state);
            if (i >= len) {
                i = len;
                break;
            }
        }
        unsigned char c = (unsigned char)in[i];
        if (r->n_held) {
            /* Inside "&...": collect the name, then decide. */
            if (c == ';' || !name_char(c)
                || r->n_held >= sizeof r->held - 2) {
                int ended = c == ';';
                if (ended && r->n_held < sizeof r->held - 1)
                    r->held[r->n_held++] = ';';
                rc = flush_ref(r, ended, out);
                run = ended ? i + 1 : i;
                if (ended)
                    continue;
            } else {
                r->held[r->n_held++] = (char)c;
                run = i + 1;
                continue;
            }
        }
        switch (r->state) {
        case S_TEXT:
        case S_TAG:
        case S_TAG_DQ:
        case S_TAG_SQ:
            if (c == '&') {
                size_t k = plain_ref(in + i, len - i);
                if (k > 0) {
                    i += k - 1;     /* left in the run, as it is */
                    break;
                }
                rc = buf_append(out, in + run, i - run);
                r->held[0] = '&';
                r->n_held = 1;
                run = i + 1;
            } else if (r->state == S_TEXT && c == '<') {
                r->state = S_LT;
            } else if (r->state == S_TAG && c == '"') {
                r->state = S_TAG_DQ;
            } else if (r->state == S_TAG && c == '\'') {
                r->state = S_TAG_SQ;
            } else if (r->state == S_TAG_DQ && c == '"') {
                r->state = S_TAG;
            } else if (r->state == S_TAG_SQ && c == '\'') {
                r->state = S_TAG;
            } else if (r->state == S_TAG && c == '>') {
                r->state = S_TEXT;
            }
            break;
        case S_LT:
            r->state = c == '!' ? S_BANG : c == '?' ? S_PI
                     : c == '>' ? S_TEXT : S_TAG;
            if (c == '&') {     /* "<&": a stray '<'; let XML say so */
                r->state = S_TEXT;
                i--;
            }
            break;
        case S_BANG:
            r->state = c == '-' ? S_BANG_DASH : c == '[' ? S_CDATA_OPEN
                     : (c == 'D' || c == 'd') ? S_DOCTYPE : S_TAG;
            r->count = 0;   /* CDATA: letters matched; DOCTYPE: depth */
            break;
        case S_BANG_DASH:
            r->state = c == '-' ? S_COMMENT : S_TAG;
            r->count = 0;
            break;
        case S_CDATA_OPEN: {
            unsigned k = r->count;
            if (k < 6 && c == (unsigned char)cdata[k]) {
                k++;
                r->count = k;
                if (k == 6) {
                    r->state = S_CDATA;
                    r->count = 0;
                }
            } else {
                r->state = S_TAG;
            }
            break;
        }
        case S_COMMENT: {
            /* held[last] counts the '-' seen just before. */
            unsigned d = r->count;
            if (c == '>' && d >= 2)
                r->state = S_TEXT;
            r->count = c == '-' ? (d < 2 ? d + 1 : 2) : 0;
            break;
        }
        case S_CDATA: {
            unsigned d = r->count;
            if (c == '>' && d >= 2)
                r->state = S_TEXT;
            r->count = c == ']' ? (d < 2 ? d + 1 : 2) : 0;
            break;
        }
        case S_PI: {
            unsigned d = r->count;
            if (c == '>' && d)
                r->state = S_TEXT;
            r->count = c == '?';
            break;
        }
        case S_DOCTYPE: {
            unsigned d = r->count;
            if (c == '[')
                d++;
            else if (c == ']' && d)
                d--;
            else if (c == '>' && d == 0)
                r->state = S_TEXT;
            r->count = d;
            break;
        }
        }
    }
    if (rc == CUR_OK && run < len)
        rc = buf_append(out, in + run, len - run);
    if (rc == CUR_OK && last && r->n_held)
        rc = flush_ref(r, 0, out);
    return rc;
}
