/* Streaming decoding of XML feeds to UTF-8.
 *
 * decode_detect() picks the encoding from the first bytes (BOM, then the
 * HTTP charset, then the XML declaration, else UTF-8: RFC 7303) and
 * accepts only encodings of the WHATWG Encoding Standard, the ones a
 * browser shares (encoding.h has the label table). A decoder then turns
 * chunks of any size into UTF-8 with invalid bytes replaced by U+FFFD
 * and U+0000 dropped, so the parser only ever sees valid UTF-8. The C1
 * controls U+0080-U+009F, which in feeds are always Windows-1252
 * punctuation gone through a Latin-1 decoder, are read as that
 * punctuation ("don\u0092t" -> "don\u2019t").
 */
#ifndef CURATOR_DECODE_H
#define CURATOR_DECODE_H

#include <stddef.h>

#include "buf.h"

struct decode_info {
    char name[32];          /* WHATWG name, e.g. "windows-1252" */
    const char *source;     /* "bom", "content-type", "declaration",
                               "sniffed", "default" */
    size_t skip;            /* leading bytes to drop: BOM, white space */
    int leading_space;      /* white space before "<?xml" was dropped */
    size_t invalid_bytes;   /* replaced by U+FFFD so far */
    char mismatch[160];     /* a note when the sources disagreed */
};

/* Decide the encoding from 'head' (the first bytes, up to ~1 KiB) and the
 * Content-Type value (may be NULL). Returns CUR_OK, or CUR_EENCODING
 * with a one-line reason in err. */
int decode_detect(const char *head, size_t len, const char *content_type,
                  struct decode_info *info, char *err, size_t errlen);

struct decoder;

/* A decoder for a name decode_detect() gave; NULL when out of memory. */
struct decoder *decoder_new(const char *name);

/* Append the UTF-8 form of 'in' to 'out'. A sequence cut by the chunk end
 * is held for the next call; 'last' flushes it (as U+FFFD). *invalid is
 * increased by the bytes replaced. The XML declaration at the very start
 * is removed, so the parser cannot decode a second time. Returns CUR_OK
 * or the buf error. */
int decoder_push(struct decoder *d, const char *in, size_t len, int last,
                 struct buf *out, size_t *invalid);

void decoder_free(struct decoder *d);   /* NULL is fine */

#endif
