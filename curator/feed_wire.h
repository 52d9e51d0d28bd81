/* The bytes that pass between the daemon and its parse workers
 * (worker.c): frames, the parse request, and a parsed and sanitised
 * feed cut down to what the poller and the store use.
 *
 * A frame is a 4-byte little-endian payload length, a type byte, then
 * the payload. Integers inside are little-endian and fixed-width; a
 * string is a 4-byte length then its bytes (no NUL), FEED_WIRE_NULL for
 * an absent one.
 *
 * A feed on the wire holds: title, home page, hub, ttl, skip hours and
 * days, the recovered flag and problems, and per item guid, title, link,
 * first author (name and email), plain text, safe HTML, language,
 * published, updated and tags. Everything else the parser produces stays
 * in the worker.
 *
 * The decoder is written for bytes from a process that may have been
 * taken over: every length and count is checked against what is left
 * and against the limits, nothing is allocated before the bytes that
 * justify it have been seen, strings must be valid UTF-8 without NUL
 * (PARSE-9 holds whatever the worker sends), and a feed that breaks any
 * rule is refused whole.
 */
#ifndef CURATOR_FEED_WIRE_H
#define CURATOR_FEED_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "feed.h"
#include "parse.h"
#include "sanitize.h"

#define FEED_WIRE_VERSION 1
#define FEED_WIRE_HEADER 5              /* length (4) and type (1) */
#define FEED_WIRE_NULL 0xFFFFFFFFu      /* the length of an absent string */
#define FEED_WIRE_STRING_MAX (64u << 20)    /* one string, bytes */

/* Frame types. */
enum feed_wire_type {
    FEED_WIRE_HELLO = 1,    /* worker: started; payload empty, or why
                               it could not confine itself */
    FEED_WIRE_BEGIN = 2,    /* daemon: a request (feed_wire_put_request) */
    FEED_WIRE_DATA = 3,     /* daemon: the next bytes of the document */
    FEED_WIRE_END = 4,      /* daemon: the document is complete */
    FEED_WIRE_FEED = 5,     /* worker: the result (feed_wire_put_feed) */
    FEED_WIRE_ERROR = 6     /* worker: int32 code, string message */
};

/* Append a frame header for 'len' payload bytes of 'type' to 'out'. */
int feed_wire_put_header(struct buf *out, enum feed_wire_type type,
                         size_t len);

/* Read a frame header from 5 bytes. */
void feed_wire_get_header(const unsigned char h[FEED_WIRE_HEADER],
                          uint32_t *len, unsigned *type);

/* ---- the request ---- */

/* What a worker needs to parse and sanitise like parse_body() in
 * poller.c: parse options (on_item is not sent), the sanitiser's options
 * and the plain-text cap. Appended to 'out' as a BEGIN payload (no
 * header). Returns CUR_OK or the error of buf_append(). */
int feed_wire_put_request(struct buf *out, const struct parse_opts *po,
                          const struct sanitize_opts *so, size_t text_max);

/* A decoded request; its strings are owned (feed_wire_request_clear()). */
struct feed_wire_request {
    struct parse_opts parse;
    struct sanitize_opts sanitize;
    size_t text_max;
    char *strings[5];       /* what the pointers above point into */
};

/* Decode a BEGIN payload. Returns CUR_OK, CUR_EINVAL for a malformed
 * one, or CUR_ENOMEM; on error *rq is cleared. */
int feed_wire_get_request(const void *data, size_t len,
                          struct feed_wire_request *rq);
void feed_wire_request_clear(struct feed_wire_request *rq);

/* ---- the feed ---- */

/* Append the wire form of 'f' (borrowed) to 'out' as a FEED payload.
 * Returns CUR_OK, CUR_ETOOBIG for a string over FEED_WIRE_STRING_MAX,
 * or the error of buf_append(). */
int feed_wire_put_feed(struct buf *out, const struct feed *f);

struct feed_wire_limits {
    size_t max_items;       /* more items: refused; 0: no limit but
                               the bytes */
    size_t max_string;      /* longest string; 0: FEED_WIRE_STRING_MAX */
};

/* Decode a FEED payload of 'len' bytes (untrusted). On CUR_OK *out is a
 * new feed (feed_free()) with the fields listed above filled; format is
 * FEED_UNKNOWN. Returns CUR_EINVAL, with the first rule broken in 'err'
 * (may be NULL when errlen is 0), or CUR_ENOMEM; *out is then NULL. */
int feed_wire_get_feed(const void *data, size_t len,
                       const struct feed_wire_limits *lim,
                       struct feed **out, char *err, size_t errlen);

/* 1 when s[0..len) is valid UTF-8 (no overlong forms, surrogates or
 * code points past U+10FFFF) and holds no NUL byte. */
int feed_wire_utf8_ok(const char *s, size_t len);

#endif
