/* Growable, capped byte buffer. */
#include "buf.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int
reserve(struct buf *b, size_t extra)
{
    if (b->max != 0 && (extra > b->max || b->len > b->max - extra)) {
        buf_free(b);
        return CUR_ETOOBIG;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return CUR_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        buf_free(b);
        return CUR_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return CUR_OK;
}

int
buf_reserve(struct buf *b, size_t extra)
{
    return reserve(b, extra);
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);
    if (rc != CUR_OK)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return CUR_OK;
}

int
buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CUR_EINVAL;
    int rc = reserve(b, (size_t)n);
    if (rc != CUR_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CUR_OK;
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *
buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : strdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void
buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
