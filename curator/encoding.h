/* Character encoding of a fetched XML document, and its conversion to
 * UTF-8 before the XML parser sees it.
 *
 * encoding_detect() decides the encoding from the first bytes in RFC 7303
 * order (byte order mark, then the charset of an XML or text
 * Content-Type, then the XML declaration or the UTF-16 pattern of "<?",
 * else UTF-8). It must be one of the WHATWG Encoding Standard, the
 * encodings a browser reads; UTF-7, UTF-32, EBCDIC and unknown labels
 * are refused (SECURITY.md PARSE-8). A decoder then converts the document
 * chunk by chunk, cut anywhere: its output is always valid UTF-8 without
 * U+0000 (PARSE-9), C1 controls read as the Windows-1252 punctuation they
 * stand for, and its XML declaration no longer names another encoding,
 * so libxml2 cannot decode a second time. encoding_to_utf8()
 * does both for a whole buffer. Parsing the result is left to the parser
 * modules.
 */
#ifndef CURATOR_ENCODING_H
#define CURATOR_ENCODING_H

#include <stddef.h>

#include "buf.h"

/* Labels longer than this are refused without a look-up. */
#define ENCODING_LABEL_MAX 40

/* A decoder holds back at most this many bytes of an XML declaration at
 * the start of the text to rewrite its encoding; a declaration still
 * open after them is dropped whole instead. */
#define ENCODING_DECL_MAX 4096

/* What encoding_detect() decided, and what decoding repaired. */
struct encoding_info {
    char name[32];          /* canonical WHATWG name, e.g.
                               "windows-1252"; "" after a refusal */
    const char *source;     /* "bom", "content-type", "xml-declaration",
                               "sniffed" or "default"; static */
    size_t skip;            /* leading bytes of the input to drop before
                               decoding: the byte order mark, and white
                               space or stray UTF-8 BOMs before "<?xml" */
    int leading_space;      /* 1 if white space or U+FEFF in front of
                               the XML declaration, or a stray U+FEFF
                               at the start, is (or was) removed */
    size_t invalid_bytes;   /* bytes not valid in that encoding, replaced
                               by U+FFFD */
    size_t stripped_nul;    /* U+0000 characters removed */
    char mismatch[160];     /* a note when the byte order mark or the
                               Content-Type and the XML declaration
                               disagree; "" when they agree */
};

/* Decide the encoding of an XML document from its first bytes.
 *
 * 'head' (borrowed, 'len' bytes, any content; 1 KiB is plenty, more is
 * fine) is the start of the body as fetched; 'content_type' is the HTTP
 * Content-Type value or NULL. A byte order mark wins; a declaration that
 * says UTF-16 in bytes that read as ASCII is taken as UTF-8, as browsers
 * do. Fills all of *info but invalid_bytes and stripped_nul, which stay 0
 * for the decoder to count; leading_space tells what 'head' shows.
 *
 * Returns CUR_OK; CUR_EENCODING with a one-line reason in 'err' for an
 * encoding outside the WHATWG Encoding Standard (UTF-7, UTF-32, EBCDIC
 * such as IBM037, the "replacement" labels, x-user-defined, unknown or
 * over-long labels), *info then zeroed except that its source tells
 * where the refused encoding came from; or CUR_EINVAL for a NULL 'info',
 * or a NULL 'head' with len > 0. 'err' (may be NULL when errlen is 0)
 * gets "" on success. */
int encoding_detect(const char *head, size_t len, const char *content_type,
                    struct encoding_info *info, char *err, size_t errlen);

struct encoding_decoder;    /* opaque */

/* A decoder for 'whatwg_name' (borrowed): a name encoding_detect() gave,
 * or any WHATWG label of an encoding it accepts. Returns NULL for an
 * unknown or refused name, when iconv has no converter, or when out of
 * memory. Free it with encoding_decoder_free(). */
struct encoding_decoder *encoding_decoder_new(const char *whatwg_name);

/* Append the UTF-8 form of the next 'len' bytes of the document ('in',
 * borrowed) to 'out'. Start at byte info.skip of the document (starting
 * at 0 works too: a byte order mark and white space at the start of the
 * text are dropped all the same). Chunks may be cut anywhere: a
 * character, a UTF-16 surrogate pair or the XML declaration cut by the
 * end of a chunk is held until the next call, so the output of a
 * document does not depend on how it was cut. 'last' (may come with
 * len 0) ends the document: what is still held goes out, a sequence cut
 * off by the end becomes one U+FFFD, and iconv gives up the letters it
 * keeps to combine with accents (windows-1258, windows-1255, Big5).
 *
 * Bytes not valid in the encoding become U+FFFD, each counted in
 * *invalid (may be NULL); U+0000 is removed; the C1 controls U+0080 to
 * U+009F read as the Windows-1252 character of the same byte where it
 * has one (in feeds they are that punctuation gone through a Latin-1
 * decoder), except where they are the WHATWG mapping of a byte that a
 * windows-125x encoding leaves undefined; white space and U+FEFF
 * before the first markup are removed; the value of every encoding
 * pseudo-attribute of an XML declaration at the start of the text is
 * rewritten to "UTF-8" (a declaration over ENCODING_DECL_MAX bytes is
 * removed instead).
 *
 * Returns CUR_OK; the error of buf_append() (CUR_ETOOBIG or CUR_ENOMEM;
 * 'out' is then freed); CUR_EIO when iconv fails; or CUR_EINVAL for NULL
 * 'd' or 'out', a NULL 'in' with len > 0, or a call after 'last'. */
int encoding_decoder_push(struct encoding_decoder *d, const char *in,
                          size_t len, int last, struct buf *out,
                          size_t *invalid);

/* Copy what the decoder dropped so far into *info: sets stripped_nul,
 * and sets leading_space when it removed white space or U+FEFF in front
 * of the XML declaration, or a U+FEFF after the first character (it
 * never clears it; white space before other markup goes unreported, as
 * libxml2 accepts it). */
void encoding_decoder_report(const struct encoding_decoder *d,
                             struct encoding_info *info);

void encoding_decoder_free(struct encoding_decoder *d);  /* NULL is fine */

/* Decide the encoding of a whole XML document and convert it to UTF-8:
 * encoding_detect() on all of 'in' (borrowed, 'len' bytes), then one
 * decoder over it from byte info.skip on, with 'last' set.
 *
 * On success *out is a new NUL-terminated UTF-8 buffer (free() it) of
 * *out_len bytes, at most 'max_out' (0: no limit). 'info' may be NULL.
 * Returns CUR_OK; CUR_EENCODING as encoding_detect(); CUR_ETOOBIG when
 * the output would pass 'max_out'; CUR_EUNSUPPORTED when iconv cannot
 * open a decoder; CUR_EIO when iconv fails; CUR_ENOMEM; or CUR_EINVAL for
 * NULL 'out', 'out_len' or 'in' with len > 0. On error *out is NULL and
 * 'info' is zeroed, except that for CUR_EENCODING its source tells where
 * the refused encoding came from. 'err' (may be NULL when errlen is 0)
 * gets "" on success. */
int encoding_to_utf8(const char *in, size_t len, const char *content_type,
                     size_t max_out, char **out, size_t *out_len,
                     struct encoding_info *info, char *err, size_t errlen);

#endif
