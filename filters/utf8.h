/* UTF-8 decoding and encoding of one character, shared by the filters,
 * header-only (a filter links nothing from libcurator or from another
 * filter). What a character means (a letter, a separator, its lowercase)
 * is each caller's business.
 *
 * Everything here is static inline so that a filter using only part of
 * it compiles without unused-function warnings.
 */
#ifndef CURATOR_FILTER_UTF8_H
#define CURATOR_FILTER_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode one well-formed UTF-8 sequence at p (p[0] >= 0x80) into *c:
 * no overlong form, surrogate or code point above U+10FFFF. 'left' is
 * how many bytes p holds; in a NUL-terminated string any count from 4
 * up will do, since a NUL never passes for a continuation byte and the
 * bytes are read in order. Returns the sequence's length, or 0 when the
 * bytes are not well formed. */
static inline size_t
utf8_get(const unsigned char *p, size_t left, uint32_t *c)
{
    unsigned char b = p[0];

    if (b >= 0xc2 && b <= 0xdf && left >= 2 && (p[1] & 0xc0) == 0x80) {
        *c = ((uint32_t)(b & 0x1f) << 6) | (p[1] & 0x3f);
        return 2;
    }
    if (b >= 0xe0 && b <= 0xef && left >= 3 && (p[1] & 0xc0) == 0x80
        && (p[2] & 0xc0) == 0x80) {
        *c = ((uint32_t)(b & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6)
             | (p[2] & 0x3f);
        return (*c >= 0x800 && (*c < 0xd800 || *c > 0xdfff)) ? 3 : 0;
    }
    if (b >= 0xf0 && b <= 0xf4 && left >= 4 && (p[1] & 0xc0) == 0x80
        && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
        *c = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12)
             | ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
        return (*c >= 0x10000 && *c <= 0x10ffff) ? 4 : 0;
    }
    return 0;
}

/* Encode code point c (at most U+10FFFF) into o, which has room for 4
 * bytes. Returns the bytes written. */
static inline size_t
utf8_put(unsigned char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xc0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

#endif
