/* A growable byte buffer with a hard size cap, for data from the network
 * and for rendering text. The contents are always NUL-terminated. */
#ifndef CURATOR_BUF_H
#define CURATOR_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;     /* owned; NULL until the first append */
    size_t len;
    size_t cap;     /* allocated bytes */
    size_t max;     /* hard limit on len; 0 means no limit */
};

/* Start an empty buffer that may hold at most 'max' bytes (0: no cap). */
void buf_init(struct buf *b, size_t max);

/* Append bytes. On CUR_ETOOBIG or CUR_ENOMEM the buffer is freed, so a
 * caller cannot go on with half the data. */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Make room for 'extra' more bytes (plus the NUL), for callers that
 * write into data + len themselves. Same errors as buf_append. */
int buf_reserve(struct buf *b, size_t extra);

/* Empty the buffer, keeping its memory (data stays NUL-terminated). */
void buf_reset(struct buf *b);

/* Hand the contents to the caller (free() them) and reset the buffer.
 * Returns an empty string, not NULL, for an empty buffer, or NULL when
 * out of memory. */
char *buf_steal(struct buf *b);

void buf_free(struct buf *b);

#endif
