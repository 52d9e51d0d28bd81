/* Form bodies: urlencoded pairs and multipart parts (see form.h). The
 * whole body is in memory already (the server capped it on arrival), so
 * both parsers work on one buffer and copy each field out. */
#define _GNU_SOURCE     /* memmem */
#include "form.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
form_text_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;

    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n')
                || c == 0x7f)
                return 0;
            p++;
            continue;
        }
        size_t n;
        unsigned min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            min = 0x10000;
        } else {
            return 0;
        }
        if ((size_t)(end - p) <= n)
            return 0;
        unsigned cp = c & (0x3f >> n);
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int
hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *
form_url_decode(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    size_t o = 0;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int h, l;
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < len
                   && (h = hex((unsigned char)s[i + 1])) >= 0
                   && (l = hex((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(h << 4 | l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return out;
}

static int
add(struct form *f, char *name, char *value, size_t len, char *filename)
{
    if (f->n >= FORM_MAX_FIELDS)
        goto fail;
    if ((f->n & (f->n - 1)) == 0) {
        size_t cap = f->n ? f->n * 2 : 8;
        struct form_field *v = realloc(f->v, cap * sizeof *v);
        if (v == NULL)
            goto fail;
        f->v = v;
    }
    f->v[f->n++] = (struct form_field){ name, value, len, filename };
    return CUR_OK;
fail:
    free(name);
    free(value);
    free(filename);
    return f->n >= FORM_MAX_FIELDS ? CUR_EINVAL : CUR_ENOMEM;
}

void
form_free(struct form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].name);
        free(f->v[i].value);
        free(f->v[i].filename);
    }
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

int
form_parse_urlencoded(struct form *f, const char *data, size_t len)
{
    size_t i = 0;
    int rc = CUR_OK;

    while (i < len && rc == CUR_OK) {
        size_t end = i;
        while (end < len && data[end] != '&')
            end++;
        if (end > i) {
            const char *eq = memchr(data + i, '=', end - i);
            size_t nlen = eq ? (size_t)(eq - (data + i)) : end - i;
            size_t vlen = eq ? end - i - nlen - 1 : 0;
            size_t nl, vl;
            char *name = form_url_decode(data + i, nlen, &nl);
            char *value = form_url_decode(eq ? eq + 1 : "", vlen, &vl);
            if (name == NULL || value == NULL) {
                free(name);
                free(value);
                rc = CUR_ENOMEM;
            } else if (nl == 0 || nl > FORM_MAX_NAME
                       || !form_text_ok(name, nl)
                       || !form_text_ok(value, vl)) {
                free(name);
                free(value);
                rc = CUR_EINVAL;
            } else {
                rc = add(f, name, value, vl, NULL);
            }
        }
        i = end + 1;
    }
    if (rc != CUR_OK)
        form_free(f);
    return rc;
}

/* The value of parameter 'key' in a header value such as
 * 'form-data; name="a"; filename="b.xml"', into out. Quoted values may
 * hold backslash escapes. Returns 1 when found. */
static int
param(const char *h, size_t hlen, const char *key, char *out, size_t len)
{
    size_t klen = strlen(key), i = 0;

    while (i < hlen) {
        while (i < hlen && h[i] != ';')
            i++;
        if (i >= hlen)
            return 0;
        i++;
        while (i < hlen && (h[i] == ' ' || h[i] == '\t'))
            i++;
        if (i + klen + 1 > hlen || strncasecmp(h + i, key, klen) != 0
            || h[i + klen] != '=')
            continue;
        i += klen + 1;
        size_t o = 0;
        if (i < hlen && h[i] == '"') {
            for (i++; i < hlen && h[i] != '"'; i++) {
                if (h[i] == '\\' && i + 1 < hlen)
                    i++;
                if (o + 1 < len)
                    out[o++] = h[i];
            }
        } else {
            for (; i < hlen && h[i] != ';' && h[i] != ' '; i++)
                if (o + 1 < len)
                    out[o++] = h[i];
        }
        out[o] = '\0';
        return 1;
    }
    return 0;
}

int
form_parse_multipart(struct form *f, const char *content_type,
                     const char *data, size_t len)
{
    char boundary[80], delim[84];
    const char *p, *end = data + len;
    size_t dlen;
    int rc = CUR_EINVAL;

    if (content_type == NULL
        || strncasecmp(content_type, "multipart/form-data", 19) != 0
        || !param(content_type, strlen(content_type), "boundary", boundary,
                  sizeof boundary)
        || boundary[0] == '\0' || strlen(boundary) > 70)
        return CUR_EINVAL;
    dlen = (size_t)snprintf(delim, sizeof delim, "\r\n--%s", boundary);

    /* The first delimiter may open the body without its CRLF. */
    if (len >= dlen - 2 && memcmp(data, delim + 2, dlen - 2) == 0) {
        p = data + dlen - 2;
    } else {
        p = memmem(data, len, delim, dlen);
        if (p == NULL)
            goto out;
        p += dlen;
    }
    for (;;) {
        /* After a delimiter: "--" ends the body, CRLF starts a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            rc = CUR_OK;
            break;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            goto out;
        p += 2;
        const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        const char *bodyp, *next;
        char name[FORM_MAX_NAME + 1], filename[256];
        int have_name = 0, have_file = 0;
        if (hend == NULL) {
            /* A part with no header at all starts with the blank line. */
            if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
                hend = p - 2;
            else
                goto out;
        }
        for (const char *h = p; h < hend;) {
            const char *eol = memmem(h, (size_t)(hend - h), "\r\n", 2);
            if (eol == NULL)
                eol = hend;
            size_t hl = (size_t)(eol - h);
            if (hl > 20 && strncasecmp(h, "Content-Disposition:", 20) == 0) {
                have_name = param(h, hl, "name", name, sizeof name);
                have_file = param(h, hl, "filename", filename,
                                  sizeof filename);
            }
            h = eol + 2;
        }
        bodyp = hend + 4;
        if (bodyp > end)
            goto out;
        next = memmem(bodyp, (size_t)(end - bodyp), delim, dlen);
        if (next == NULL)
            goto out;
        size_t vlen = (size_t)(next - bodyp);
        if (have_name && name[0] != '\0') {
            size_t nl = strlen(name);
            if (!form_text_ok(name, nl)
                || (!have_file && !form_text_ok(bodyp, vlen))
                || (have_file && !form_text_ok(filename, strlen(filename))))
                goto out;
            char *n = strdup(name), *v = malloc(vlen + 1);
            char *fn = have_file ? strdup(filename) : NULL;
            if (n == NULL || v == NULL || (have_file && fn == NULL)) {
                free(n);
                free(v);
                free(fn);
                rc = CUR_ENOMEM;
                goto out;
            }
            memcpy(v, bodyp, vlen);
            v[vlen] = '\0';
            if ((rc = add(f, n, v, vlen, fn)) != CUR_OK)
                goto out;
            rc = CUR_EINVAL;
        }
        p = next + dlen;
    }
out:
    if (rc != CUR_OK)
        form_free(f);
    return rc;
}

const struct form_field *
form_field(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].name, name) == 0)
            return &f->v[i];
    return NULL;
}

const char *
form_get(const struct form *f, const char *name)
{
    const struct form_field *v = form_field(f, name);
    return v ? v->value : NULL;
}
