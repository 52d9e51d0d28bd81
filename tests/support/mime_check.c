/* A strict reader of composed messages: see mime_check.h. Written from
 * the RFCs without looking at curator/mime.c; it shares no code with it
 * (not even the buffer), so that a bug in one is not hidden by the same
 * bug in the other. */
#define _GNU_SOURCE     /* timegm */
#include "mime_check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- Small helpers -------------------------------------------------- */

/* A growable string; on allocation failure 'oom' is set and appends stop. */
struct dstr {
    char *p;
    size_t n, cap;
    int oom;
};

static void
ds_add(struct dstr *d, const void *s, size_t n)
{
    if (d->oom)
        return;
    if (d->n + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 64;
        while (cap < d->n + n + 1)
            cap *= 2;
        char *p = realloc(d->p, cap);
        if (p == NULL) {
            d->oom = 1;
            return;
        }
        d->p = p;
        d->cap = cap;
    }
    if (n > 0)
        memcpy(d->p + d->n, s, n);
    d->n += n;
    d->p[d->n] = '\0';
}

static void
ds_byte(struct dstr *d, unsigned char c)
{
    ds_add(d, &c, 1);
}

/* The string (never NULL unless out of memory); the dstr is emptied. */
static char *
ds_take(struct dstr *d, size_t *len)
{
    if (d->p == NULL && !d->oom)
        ds_add(d, "", 0);
    char *p = d->oom ? NULL : d->p;
    if (d->oom)
        free(d->p);
    if (len != NULL)
        *len = d->n;
    memset(d, 0, sizeof *d);
    return p;
}

struct ctx {
    char *why;
    size_t whylen;
};

static int
bad(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    if (c->whylen > 0) {
        va_start(ap, fmt);
        vsnprintf(c->why, c->whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char *
dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Decode one code point at s[0..n). Returns the bytes it takes, or 0
 * when ill-formed, *sub then getting how many bytes form the maximal
 * subpart. The checks are made on the partial value, so that the
 * overlong, surrogate and range limits show after the second byte. */
static size_t
dec_cp(const unsigned char *s, size_t n, uint32_t *cp, size_t *sub)
{
    unsigned c = s[0];
    size_t len;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        *sub = 1;
        return 0;
    }
    /* A lead byte that no continuation can make valid. */
    if ((len == 2 && v < 2) || (len == 4 && v > 4)) {
        *sub = 1;
        return 0;
    }
    for (size_t k = 1; k < len; k++) {
        if (k >= n || (s[k] & 0xC0) != 0x80) {
            *sub = k;
            return 0;
        }
        v = v << 6 | (s[k] & 0x3F);
        if (k == 1) {
            int ok = 1;
            if (len == 3)
                ok = v >= 0x20 && !(v >= 0x360 && v <= 0x37F);
            else if (len == 4)
                ok = v >= 0x10 && v <= 0x10F;
            if (!ok) {
                *sub = 1;
                return 0;
            }
        }
    }
    *cp = v;
    return len;
}

int
mime_check_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t sub, k = dec_cp(s + i, n - i, &cp, &sub);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

static int
is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)
           || cp == 0x2028 || cp == 0x2029;
}

char *
mime_check_norm_header(const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    struct dstr d = { 0 };
    int gap = 0;

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t sub, k = dec_cp(s + i, n - i, &cp, &sub);
        if (k > 0 && (cp == ' ' || is_control(cp))) {
            gap = 1;
            i += k;
            continue;
        }
        if (gap && d.n > 0)
            ds_byte(&d, ' ');
        gap = 0;
        if (k == 0) {
            ds_add(&d, "\xEF\xBF\xBD", 3);
            i += sub;
        } else {
            ds_add(&d, s + i, k);
            i += k;
        }
    }
    return ds_take(&d, NULL);
}

char *
mime_check_norm_body(const char *str, size_t *len)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    struct dstr d = { 0 };

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t sub, k;
        if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
            ds_add(&d, "\r\n", 2);
            i += 2;
        } else if (s[i] == '\r' || s[i] == '\n') {
            ds_add(&d, "\r\n", 2);
            i++;
        } else if ((k = dec_cp(s + i, n - i, &cp, &sub)) == 0) {
            ds_add(&d, "\xEF\xBF\xBD", 3);
            i += sub;
        } else {
            ds_add(&d, s + i, k);
            i += k;
        }
    }
    return ds_take(&d, len);
}

/* Valid UTF-8 without control characters. */
static int
clean_text(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t sub, k = dec_cp(s + i, n - i, &cp, &sub);
        if (k == 0 || is_control(cp))
            return 0;
        i += k;
    }
    return 1;
}

/* ---- Decoders ------------------------------------------------------- */

static int
b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64 of s[0..n) (no line breaks): whole quanta, padding only
 * in the last, zero bits after the data. Returns 0 or -1. */
static int
b64_dec(const char *s, size_t n, struct dstr *out)
{
    if (n % 4 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + k];
            if (c == '=') {
                if (i + 4 != n || k < 2)
                    return -1;
                pad++;
                v[k] = 0;
            } else {
                if (pad)
                    return -1;
                v[k] = b64_val(c);
                if (v[k] < 0)
                    return -1;
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12
                     | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        if ((pad == 2 && (x & 0xFFFF)) || (pad == 1 && (x & 0xFF)))
            return -1;
        ds_byte(out, (unsigned char)(x >> 16));
        if (pad < 2)
            ds_byte(out, (unsigned char)(x >> 8));
        if (pad < 1)
            ds_byte(out, (unsigned char)x);
    }
    return 0;
}

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;     /* lower case is legal but never written */
}

/* Body lines: [start, end) of each line, without the CRLF. */
struct line {
    const char *s;
    size_t n;
    int crlf;       /* ended by CRLF (else the last, unterminated) */
};

/* Strict quoted-printable body (RFC 2045 6.7) to bytes. */
static int
qp_body(struct ctx *c, const char *s, size_t n, struct dstr *out)
{
    size_t i = 0;
    while (i < n) {
        const char *e = memchr(s + i, '\r', n - i);
        size_t ln = e ? (size_t)(e - (s + i)) : n - i;
        const char *l = s + i;
        int soft = 0;

        if (ln > 76)
            return bad(c, "quoted-printable line of %zu characters", ln);
        if (ln > 0 && (l[ln - 1] == ' ' || l[ln - 1] == '\t'))
            return bad(c, "quoted-printable line ends in white space");
        for (size_t k = 0; k < ln; k++) {
            unsigned char ch = (unsigned char)l[k];
            if (ch == '=') {
                if (k + 1 == ln) {
                    soft = 1;
                    break;
                }
                int hi, lo;
                if (k + 2 >= ln)
                    return bad(c, "cut quoted-printable escape");
                hi = hexval((unsigned char)l[k + 1]);
                lo = hexval((unsigned char)l[k + 2]);
                if (hi < 0 || lo < 0)
                    return bad(c, "bad quoted-printable escape \"%.3s\"",
                               l + k);
                ds_byte(out, (unsigned char)(hi << 4 | lo));
                k += 2;
            } else if (ch == '\t' || (ch >= 0x20 && ch <= 0x7E)) {
                ds_byte(out, ch);
            } else {
                return bad(c, "raw byte 0x%02X in quoted-printable", ch);
            }
        }
        i += ln;
        if (e != NULL) {
            i += 2;     /* CRLF was checked for the whole message */
            if (!soft)
                ds_add(out, "\r\n", 2);
        }
    }
    return 0;
}

/* Strict base64 body: lines of at most 76 characters. */
static int
b64_body(struct ctx *c, const char *s, size_t n, struct dstr *out)
{
    struct dstr all = { 0 };
    size_t i = 0;
    int rc = 0;

    while (i < n) {
        const char *e = memchr(s + i, '\r', n - i);
        size_t ln = e ? (size_t)(e - (s + i)) : n - i;
        if (ln > 76) {
            rc = bad(c, "base64 line of %zu characters", ln);
            break;
        }
        ds_add(&all, s + i, ln);
        i += ln + (e ? 2 : 0);
    }
    if (rc == 0 && b64_dec(all.p ? all.p : "", all.n, out) != 0)
        rc = bad(c, "invalid base64 body");
    free(all.p);
    return rc;
}

/* Characters Q may leave as they are in a phrase (RFC 2047 5 (3)). */
static int
q_phrase_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9') || strchr("!*+-/", ch) != NULL;
}

/* Does w[0..n) look like an encoded-word at all? */
static int
looks_encoded(const char *w, size_t n)
{
    return n >= 2 && w[0] == '=' && w[1] == '?';
}

/* Decode encoded-word w[0..n) strictly, appending its bytes. 'phrase'
 * restricts Q to the phrase alphabet. */
static int
ew_decode(struct ctx *c, const char *w, size_t n, int phrase,
          struct dstr *out)
{
    struct dstr d = { 0 };
    int rc = 0;

    if (n > 75)
        return bad(c, "encoded-word of %zu characters", n);
    if (n < 10 || w[n - 2] != '?' || w[n - 1] != '=')
        return bad(c, "malformed encoded-word \"%.*s\"", (int)n, w);
    if (strncasecmp(w, "=?UTF-8?", 8) != 0)
        return bad(c, "encoded-word not in UTF-8: \"%.*s\"", (int)n, w);
    char enc = w[8];
    if (w[9] != '?' || (enc != 'B' && enc != 'Q' && enc != 'b'
                        && enc != 'q'))
        return bad(c, "bad encoded-word encoding \"%.*s\"", (int)n, w);
    const char *t = w + 10;
    size_t tn = n - 12;
    if (memchr(t, '?', tn) != NULL || tn == 0)
        return bad(c, "bad encoded-word text \"%.*s\"", (int)n, w);
    if (enc == 'B' || enc == 'b') {
        if (b64_dec(t, tn, &d) != 0)
            rc = bad(c, "bad base64 in encoded-word \"%.*s\"", (int)n, w);
    } else {
        for (size_t k = 0; k < tn && rc == 0; k++) {
            unsigned char ch = (unsigned char)t[k];
            if (ch == '_') {
                ds_byte(&d, ' ');
            } else if (ch == '=') {
                int hi = k + 2 < tn ? hexval((unsigned char)t[k + 1]) : -1;
                int lo = k + 2 < tn ? hexval((unsigned char)t[k + 2]) : -1;
                if (hi < 0 || lo < 0)
                    rc = bad(c, "bad Q escape in \"%.*s\"", (int)n, w);
                else
                    ds_byte(&d, (unsigned char)(hi << 4 | lo));
                k += 2;
            } else if (phrase ? q_phrase_char(ch)
                              : (ch > 0x20 && ch < 0x7F)) {
                ds_byte(&d, ch);
            } else {
                rc = bad(c, "bad Q character 0x%02X", ch);
            }
        }
    }
    if (rc == 0 && !mime_check_utf8(d.p ? d.p : "", d.n))
        rc = bad(c, "encoded-word \"%.*s\" is not whole UTF-8 characters",
                 (int)n, w);
    if (rc == 0)
        ds_add(out, d.p ? d.p : "", d.n);
    free(d.p);
    return rc;
}

/* Unstructured text (RFC 5322 3.2.5 with RFC 2047 6.2): white space
 * between two encoded-words is dropped, other white space kept. */
static int
unstructured(struct ctx *c, const char *v, struct dstr *out)
{
    const char *p = v;
    const char *ws = NULL;
    size_t wsn = 0;
    int prev_ew = 0;

    while (*p) {
        const char *s = p;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;          /* trailing white space is not text */
        ws = s;
        wsn = (size_t)(p - s);
        s = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - s);
        int ew = looks_encoded(s, n);
        if (!(ew && prev_ew))
            ds_add(out, ws, wsn);
        if (ew) {
            if (ew_decode(c, s, n, 0, out) != 0)
                return -1;
        } else {
            ds_add(out, s, n);
        }
        prev_ew = ew;
    }
    return 0;
}

static int
atext(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9')
           || (ch && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* An addr-spec as mime.c may write one. */
static int
addr_ok(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    if (at == NULL || at == s || at == s + n - 1
        || memchr(at + 1, '@', (size_t)(s + n - at - 1)) != NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7F || strchr("<>()[]\\,;:\"", ch))
            return 0;
    }
    return 1;
}

/* The phrase v[0..end) (RFC 5322 3.2.5: atoms, quoted-strings and, per
 * RFC 2047 5 (3), encoded-words) decoded into *out: words joined by one
 * space, but encoded-words next to each other joined directly. */
static int
phrase(struct ctx *c, const char *v, const char *end, const char *field,
       char **out)
{
    struct dstr d = { 0 };
    const char *p = v;
    int words = 0, prev_ew = 0, rc = 0;

    while (rc == 0) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        if (*p == '"') {
            if (words > 0)
                ds_byte(&d, ' ');
            for (p++; p < end && *p != '"'; p++) {
                if (*p == '\\')
                    p++;
                if (p == end)
                    break;
                ds_byte(&d, (unsigned char)*p);
            }
            if (p == end) {
                rc = bad(c, "%s: open quoted-string in \"%s\"", field, v);
                break;
            }
            p++;
            prev_ew = 0;
        } else if (atext((unsigned char)*p)) {
            const char *s = p;
            while (p < end && atext((unsigned char)*p))
                p++;
            size_t n = (size_t)(p - s);
            int ew = looks_encoded(s, n);
            if (words > 0 && !(ew && prev_ew))
                ds_byte(&d, ' ');
            if (ew)
                rc = ew_decode(c, s, n, 1, &d);
            else
                ds_add(&d, s, n);
            prev_ew = ew;
        } else {
            rc = bad(c, "%s: unexpected '%c' in \"%s\"", field, *p, v);
            break;
        }
        words++;
        if (rc == 0 && p < end && *p != ' ')
            rc = bad(c, "%s: words run together in \"%s\"", field, v);
    }
    if (rc != 0) {
        free(d.p);
        return -1;
    }
    *out = ds_take(&d, NULL);
    if (*out == NULL)
        return bad(c, "out of memory");
    if (!clean_text(*out))
        return bad(c, "%s: name has control characters or bad UTF-8",
                   field);
    return 0;
}

/* "addr" or "phrase <addr>": the decoded phrase and the address. */
static int
mailbox(struct ctx *c, const char *v, const char *field, char **name,
        char **addr)
{
    const char *lt = strrchr(v, '<');
    size_t n = strlen(v);

    if (lt == NULL) {
        if (!addr_ok(v, n))
            return bad(c, "%s: bad address \"%s\"", field, v);
        *name = dupn("", 0);
        *addr = dupn(v, n);
    } else {
        if (v[n - 1] != '>' || !addr_ok(lt + 1, (size_t)(v + n - lt - 2)))
            return bad(c, "%s: bad angle address in \"%s\"", field, v);
        if (phrase(c, v, lt, field, name) != 0)
            return -1;
        *addr = dupn(lt + 1, (size_t)(v + n - lt - 2));
    }
    if (*name == NULL || *addr == NULL)
        return bad(c, "out of memory");
    return 0;
}

/* "phrase <label.namespace>" (RFC 2919). */
static int
list_id(struct ctx *c, const char *v, char **name, char **id)
{
    const char *lt = strrchr(v, '<');
    size_t n = strlen(v);

    if (lt == NULL || v[n - 1] != '>' || v + n - lt < 5)
        return bad(c, "List-Id: no <identifier> in \"%s\"", v);
    const char *s = lt + 1, *e = v + n - 1;
    int dot = 0;
    if (*s == '.' || e[-1] == '.')
        return bad(c, "List-Id: bad identifier in \"%s\"", v);
    for (const char *q = s; q < e; q++) {
        if (*q == '.') {
            if (q[1] == '.')
                return bad(c, "List-Id: bad identifier in \"%s\"", v);
            dot = 1;
        } else if (!atext((unsigned char)*q)) {
            return bad(c, "List-Id: bad identifier in \"%s\"", v);
        }
    }
    if (!dot)
        return bad(c, "List-Id: identifier without a dot in \"%s\"", v);
    if (phrase(c, v, lt, "List-Id", name) != 0)
        return -1;
    *id = dupn(s, (size_t)(e - s));
    return *id == NULL ? bad(c, "out of memory") : 0;
}

static int
digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* "Www, DD Mon YYYY HH:MM:SS +0000" */
static int
parse_date(struct ctx *c, const char *v, long long *out)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char wd[4], mon[4];
    int d, y, h, mi, s, used = 0;
    struct tm tm = { 0 };

    if (strlen(v) != 31 || !digits(v + 5, 2) || !digits(v + 12, 4)
        || !digits(v + 17, 2) || !digits(v + 20, 2) || !digits(v + 23, 2)
        || sscanf(v, "%3c, %2d %3c %4d %2d:%2d:%2d +0000%n", wd, &d, mon,
                  &y, &h, &mi, &s, &used) != 7 || used != 31
        || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' '
        || v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25] != ' ')
        return bad(c, "Date: not RFC 5322 UTC: \"%s\"", v);
    wd[3] = mon[3] = '\0';
    const char *m = strstr(months, mon);
    if (m == NULL || (m - months) % 3 != 0)
        return bad(c, "Date: bad month \"%s\"", mon);
    tm.tm_year = y - 1900;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d || back.tm_mon != tm.tm_mon || back.tm_hour != h
        || back.tm_min != mi || back.tm_sec != s
        || memcmp(days + 3 * back.tm_wday, wd, 3) != 0)
        return bad(c, "Date: impossible or wrong weekday \"%s\"", v);
    *out = (long long)t;
    return 0;
}

/* ---- Header blocks -------------------------------------------------- */

struct field {
    const char *name;
    size_t nlen;
    char *value;        /* unfolded */
};

/* Read header fields from lines[0..nl) up to the empty line; *used gets
 * the lines consumed (the empty line included). */
static int
read_fields(struct ctx *c, const struct line *lines, size_t nl,
            struct field *f, size_t max, size_t *nf, size_t *used,
            const char *where)
{
    size_t i = 0, n = 0;
    struct dstr d = { 0 };

    /* *nf follows n, so the caller frees what was read on failure. */
    *nf = 0;
    for (; i < nl && lines[i].n > 0; i++) {
        const struct line *l = &lines[i];
        for (size_t k = 0; k < l->n; k++)
            if (l->s[k] < 0x20 || l->s[k] > 0x7E)
                goto badbyte;
        if (l->s[l->n - 1] == ' ')
            goto trailing;
        if (l->s[0] == ' ') {
            size_t k = 0;
            while (k < l->n && l->s[k] == ' ')
                k++;
            if (n == 0 || k == l->n) {
                free(d.p);
                return bad(c, "%s: stray or empty continuation line",
                           where);
            }
            ds_add(&d, l->s, l->n);
            continue;
        }
        const char *colon = memchr(l->s, ':', l->n);
        if (colon == NULL || colon == l->s) {
            free(d.p);
            return bad(c, "%s: not a header field: \"%.*s\"", where,
                       (int)l->n, l->s);
        }
        if (n > 0)
            f[n - 1].value = ds_take(&d, NULL);
        if (n == max) {
            free(d.p);
            return bad(c, "%s: too many header fields", where);
        }
        f[n].name = l->s;
        f[n].nlen = (size_t)(colon - l->s);
        f[n].value = NULL;
        *nf = n + 1;
        for (const char *q = l->s; q < colon; q++)
            if (*q <= 0x20 || *q >= 0x7F) {
                free(d.p);
                return bad(c, "%s: bad field name", where);
            }
        const char *v = colon + 1;
        while (v < l->s + l->n && *v == ' ')
            v++;
        ds_add(&d, v, (size_t)(l->s + l->n - v));
        n++;
    }
    if (n > 0)
        f[n - 1].value = ds_take(&d, NULL);
    free(d.p);
    if (i == nl)
        return bad(c, "%s: no empty line after the header", where);
    for (size_t k = 0; k < n; k++)
        if (f[k].value == NULL)
            return bad(c, "out of memory");
    *nf = n;
    *used = i + 1;
    return 0;
badbyte:
    free(d.p);
    return bad(c, "%s: header line %zu is not printable ASCII", where, i);
trailing:
    free(d.p);
    return bad(c, "%s: header line %zu ends in a space", where, i);
}

static const char *
field_get(const struct field *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(name) == f[i].nlen
            && strncasecmp(f[i].name, name, f[i].nlen) == 0)
            return f[i].value;
    return NULL;
}

/* A Content-Type of 'want' (a type/subtype, any case) with the one
 * parameter 'param' (quoted or not), whose value goes to *pv. */
static int
content_type(struct ctx *c, const char *v, const char *want,
             const char *param, char **pv)
{
    size_t wl = strlen(want), pl = strlen(param);
    const char *p = v;

    *pv = NULL;
    if (strncasecmp(p, want, wl) != 0 || p[wl] != ';')
        return bad(c, "Content-Type \"%s\" is not %s", v, want);
    p += wl + 1;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, param, pl) != 0 || p[pl] != '=')
        return bad(c, "Content-Type \"%s\": no %s", v, param);
    p += pl + 1;
    if (*p == '"') {
        const char *e = strchr(p + 1, '"');
        if (e == NULL || e[1] != '\0'
            || memchr(p + 1, '\\', (size_t)(e - p - 1)) != NULL)
            return bad(c, "Content-Type \"%s\": bad quoted value", v);
        *pv = dupn(p + 1, (size_t)(e - p - 1));
    } else {
        for (const char *q = p; *q; q++)
            if (*q <= ' ' || strchr("()<>@,;:\\\"/[]?=", *q))
                return bad(c, "Content-Type \"%s\": bad token", v);
        *pv = dupn(p, strlen(p));
    }
    return *pv == NULL ? bad(c, "out of memory") : 0;
}

/* Content-Type text/<sub>; charset=UTF-8 and its transfer encoding;
 * decode body s[0..n). */
static int
text_part(struct ctx *c, const struct field *f, size_t nf, const char *sub,
          const char *s, size_t n, char **out, size_t *outlen, int *b64)
{
    char want[16], *cs = NULL;
    const char *ct = field_get(f, nf, "Content-Type");
    const char *te = field_get(f, nf, "Content-Transfer-Encoding");
    struct dstr d = { 0 };

    snprintf(want, sizeof want, "text/%s", sub);
    if (ct == NULL || te == NULL)
        return bad(c, "text/%s part without Content-Type or "
                   "Content-Transfer-Encoding", sub);
    if (content_type(c, ct, want, "charset", &cs) != 0)
        return -1;
    int utf8 = strcasecmp(cs, "UTF-8") == 0;
    free(cs);
    if (!utf8)
        return bad(c, "text/%s part not in UTF-8", sub);
    if (strcasecmp(te, "quoted-printable") == 0)
        *b64 = 0;
    else if (strcasecmp(te, "base64") == 0)
        *b64 = 1;
    else
        return bad(c, "text/%s: transfer encoding \"%s\"", sub, te);
    if ((*b64 ? b64_body(c, s, n, &d) : qp_body(c, s, n, &d)) != 0) {
        free(d.p);
        return -1;
    }
    *out = ds_take(&d, outlen);
    if (*out == NULL)
        return bad(c, "out of memory");
    if (!mime_check_utf8(*out, *outlen))
        return bad(c, "text/%s part is not valid UTF-8", sub);
    return 0;
}

/* ---- The message ---------------------------------------------------- */

static const char *const allowed[] = {
    "Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
    "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
    "Auto-Submitted", "Precedence", "Content-Type",
    "Content-Transfer-Encoding",
};
#define N_REQUIRED 6    /* the first six */

static int
unsubscribe(struct ctx *c, const char *v, int *https)
{
    int seen_https = 0, seen_mailto = 0;
    const char *p = v;

    for (;;) {
        if (*p != '<')
            return bad(c, "List-Unsubscribe: expected '<' in \"%s\"", v);
        const char *e = strchr(p, '>');
        if (e == NULL)
            return bad(c, "List-Unsubscribe: open '<' in \"%s\"", v);
        for (const char *q = p + 1; q < e; q++)
            if (*q <= ' ' || *q >= 0x7F || *q == '<' || *q == ',')
                return bad(c, "List-Unsubscribe: bad URL character");
        if (strncasecmp(p + 1, "https://", 8) == 0 && !seen_https)
            seen_https = 1;
        else if (strncasecmp(p + 1, "mailto:", 7) == 0 && !seen_mailto)
            seen_mailto = 1;
        else
            return bad(c, "List-Unsubscribe: unexpected URL in \"%s\"", v);
        p = e + 1;
        if (*p == '\0')
            break;
        if (*p != ',')
            return bad(c, "List-Unsubscribe: expected ',' in \"%s\"", v);
        p++;
        while (*p == ' ')
            p++;
    }
    *https = seen_https;
    return 0;
}

static int
check_headers(struct ctx *c, const struct field *f, size_t nf,
              struct mime_check *r)
{
    size_t na = sizeof allowed / sizeof allowed[0];
    const char *v;
    struct dstr d = { 0 };

    for (size_t i = 0; i < nf; i++) {
        size_t k = 0;
        while (k < na && !(strlen(allowed[k]) == f[i].nlen
                           && strncasecmp(allowed[k], f[i].name,
                                          f[i].nlen) == 0))
            k++;
        if (k == na)
            return bad(c, "unexpected header field \"%.*s\"",
                       (int)f[i].nlen, f[i].name);
        for (size_t j = 0; j < i; j++)
            if (f[j].nlen == f[i].nlen
                && strncasecmp(f[j].name, f[i].name, f[i].nlen) == 0)
                return bad(c, "header field \"%.*s\" twice",
                           (int)f[i].nlen, f[i].name);
    }
    for (size_t k = 0; k < N_REQUIRED; k++)
        if (field_get(f, nf, allowed[k]) == NULL)
            return bad(c, "no %s header field", allowed[k]);

    if (parse_date(c, field_get(f, nf, "Date"), &r->date) != 0)
        return -1;
    if (mailbox(c, field_get(f, nf, "From"), "From", &r->from_name,
                &r->from_email) != 0
        || mailbox(c, field_get(f, nf, "To"), "To", &r->to_name,
                   &r->to_email) != 0)
        return -1;
    if (unstructured(c, field_get(f, nf, "Subject"), &d) != 0) {
        free(d.p);
        return -1;
    }
    r->subject = ds_take(&d, NULL);
    if (r->subject == NULL)
        return bad(c, "out of memory");
    if (!clean_text(r->subject))
        return bad(c, "Subject has control characters or bad UTF-8");

    v = field_get(f, nf, "Message-ID");
    size_t n = strlen(v);
    if (n < 5 || v[0] != '<' || v[n - 1] != '>' || !addr_ok(v + 1, n - 2))
        return bad(c, "Message-ID: bad \"%s\"", v);
    r->message_id = dupn(v + 1, n - 2);

    v = field_get(f, nf, "MIME-Version");
    if (strcmp(v, "1.0") != 0)
        return bad(c, "MIME-Version: \"%s\"", v);

    if ((v = field_get(f, nf, "List-Id")) != NULL
        && list_id(c, v, &r->list_id_name, &r->list_id) != 0)
        return -1;

    int https = 0;
    if ((v = field_get(f, nf, "List-Unsubscribe")) != NULL
        && unsubscribe(c, v, &https) != 0)
        return -1;
    v = field_get(f, nf, "List-Unsubscribe-Post");
    if ((v != NULL) != https)
        return bad(c, "List-Unsubscribe-Post without an https "
                   "List-Unsubscribe, or not with one");
    if (v != NULL && strcmp(v, "List-Unsubscribe=One-Click") != 0)
        return bad(c, "List-Unsubscribe-Post: \"%s\"", v);
    if ((v = field_get(f, nf, "Auto-Submitted")) != NULL
        && strcmp(v, "auto-generated") != 0)
        return bad(c, "Auto-Submitted: \"%s\"", v);
    if ((v = field_get(f, nf, "Precedence")) != NULL
        && strcmp(v, "bulk") != 0)
        return bad(c, "Precedence: \"%s\"", v);
    return 0;
}

/* Bytes from the start of lines[a] to the CRLF that ends lines[b - 1]
 * (excluded), within 'base'; empty when a == b. */
static void
span(const struct line *lines, size_t a, size_t b, const char **s,
     size_t *n)
{
    if (a >= b) {
        *s = lines[a].s;
        *n = 0;
        return;
    }
    *s = lines[a].s;
    *n = (size_t)(lines[b - 1].s + lines[b - 1].n - lines[a].s);
}

/* The body of a multipart/alternative (RFC 2046 5.1.1) from
 * lines[first..nl): text/plain then text/html, nothing after the close
 * delimiter. */
static int
multipart(struct ctx *c, const struct line *lines, size_t first, size_t nl,
          struct mime_check *r)
{
    const char *b = r->boundary;
    size_t bl = strlen(b);
    size_t delim[4], nd = 0, close = 0;
    int closed = 0;

    if (bl == 0 || bl > 70 || b[bl - 1] == ' ')
        return bad(c, "bad boundary \"%s\"", b);
    for (const char *q = b; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z')
              || (*q >= 'A' && *q <= 'Z') || strchr("'()+_,-./:=? ", *q)))
            return bad(c, "bad boundary character '%c'", *q);
    for (size_t i = first; i < nl; i++) {
        const struct line *l = &lines[i];
        if (l->n < 2 + bl || memcmp(l->s, "--", 2) != 0
            || memcmp(l->s + 2, b, bl) != 0)
            continue;
        if (closed)
            return bad(c, "boundary line after the close delimiter");
        if (l->n == 2 + bl) {
            if (nd == 3)
                return bad(c, "more than two parts");
            delim[nd++] = i;
        } else if (l->n == 4 + bl && memcmp(l->s + 2 + bl, "--", 2) == 0) {
            closed = 1;
            close = i;
        } else {
            return bad(c, "line %zu starts with the boundary", i);
        }
    }
    if (!closed || nd != 2)
        return bad(c, "expected two parts and a close delimiter, got %zu%s",
                   nd, closed ? "" : " and no close");
    /* Nothing but the final CRLF after the close delimiter. */
    if (close + 1 != nl || lines[close].crlf == 0)
        return bad(c, "epilogue after the close delimiter");
    delim[2] = close;
    for (int p = 0; p < 2; p++) {
        struct field f[4];
        size_t nf = 0, used = 0;
        const char *s;
        size_t n;
        if (read_fields(c, lines + delim[p] + 1, delim[p + 1] - delim[p] - 1,
                        f, 4, &nf, &used, p ? "html part" : "text part")
            != 0)
            return -1;
        int rc = 0;
        for (size_t k = 0; k < nf && rc == 0; k++)
            if (!(f[k].nlen == 12 && !strncasecmp(f[k].name, "Content-Type",
                                                  12))
                && !(f[k].nlen == 25
                     && !strncasecmp(f[k].name, "Content-Transfer-Encoding",
                                     25)))
                rc = bad(c, "unexpected part field \"%.*s\"",
                         (int)f[k].nlen, f[k].name);
        if (rc == 0 && nf != 2)
            rc = bad(c, "part with %zu header fields", nf);
        if (rc == 0) {
            span(lines, delim[p] + 1 + used, delim[p + 1], &s, &n);
            if (p == 0)
                rc = text_part(c, f, nf, "plain", s, n, &r->text,
                               &r->text_len, &r->text_base64);
            else
                rc = text_part(c, f, nf, "html", s, n, &r->html,
                               &r->html_len, &r->html_base64);
        }
        for (size_t k = 0; k < nf; k++)
            free(f[k].value);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Split into lines and check what holds for every line. */
static int
split_lines(struct ctx *c, const char *msg, size_t len, struct line **out,
            size_t *nl)
{
    size_t n = 0, cap = 64;
    struct line *l = malloc(cap * sizeof *l);
    size_t i = 0;

    if (l == NULL)
        return bad(c, "out of memory");
    if (len < 2 || msg[len - 2] != '\r' || msg[len - 1] != '\n') {
        free(l);
        return bad(c, "message does not end with CRLF");
    }
    while (i < len) {
        size_t s = i;
        while (i < len && msg[i] != '\r' && msg[i] != '\n') {
            unsigned char ch = (unsigned char)msg[i];
            if ((ch < 0x20 && ch != '\t') || ch >= 0x7F) {
                free(l);
                return bad(c, "byte 0x%02X at %zu", ch, i);
            }
            i++;
        }
        if (i + 1 >= len || msg[i] != '\r' || msg[i + 1] != '\n') {
            free(l);
            return bad(c, "bare CR or LF at %zu", i);
        }
        if (i - s > 998) {
            free(l);
            return bad(c, "line of %zu octets at %zu", i - s, s);
        }
        if ((i - s >= 1 && msg[s] == '.')
            || (i - s >= 5 && memcmp(msg + s, "From ", 5) == 0)) {
            free(l);
            return bad(c, "line at %zu starts with \".\" or \"From \"", s);
        }
        if (n == cap) {
            struct line *m = realloc(l, 2 * cap * sizeof *l);
            if (m == NULL) {
                free(l);
                return bad(c, "out of memory");
            }
            l = m;
            cap *= 2;
        }
        l[n].s = msg + s;
        l[n].n = i - s;
        l[n].crlf = 1;
        n++;
        i += 2;
    }
    /* A sentinel empty line at the very end for span(). */
    if (n == cap) {
        struct line *m = realloc(l, (cap + 1) * sizeof *l);
        if (m == NULL) {
            free(l);
            return bad(c, "out of memory");
        }
        l = m;
    }
    l[n].s = msg + len;
    l[n].n = 0;
    l[n].crlf = 0;
    *out = l;
    *nl = n;
    return 0;
}

static int
run(struct ctx *c, const char *msg, size_t len, struct mime_check *r,
    struct field *f, size_t *nf)
{
    struct line *lines = NULL;
    size_t nl = 0, used = 0;
    int rc = -1;

    if (msg == NULL)
        return bad(c, "no message");
    if (split_lines(c, msg, len, &lines, &nl) != 0)
        return -1;
    if (read_fields(c, lines, nl, f, MIME_CHECK_MAX_HEADERS, nf, &used,
                    "message") != 0)
        goto out;
    for (size_t i = 0; i < *nf; i++) {
        r->headers[i].name = dupn(f[i].name, f[i].nlen);
        r->headers[i].value = dupn(f[i].value, strlen(f[i].value));
        r->n_headers++;
        if (r->headers[i].name == NULL || r->headers[i].value == NULL) {
            bad(c, "out of memory");
            goto out;
        }
    }
    /* Subject lines fit in 78 octets: its folding is all mime.c's. */
    int in_subject = 0;
    for (size_t i = 0; i + 1 < used; i++) {
        if (lines[i].s[0] != ' ')
            in_subject = lines[i].n >= 8
                         && strncasecmp(lines[i].s, "Subject:", 8) == 0;
        if (in_subject && lines[i].n > 78) {
            bad(c, "Subject line of %zu octets", lines[i].n);
            goto out;
        }
    }
    if (check_headers(c, f, *nf, r) != 0)
        goto out;

    const char *ct = field_get(f, *nf, "Content-Type");
    const char *te = field_get(f, *nf, "Content-Transfer-Encoding");
    if (ct == NULL) {
        bad(c, "no Content-Type");
        goto out;
    }
    if (strncasecmp(ct, "multipart/", 10) == 0) {
        if (te != NULL) {
            bad(c, "Content-Transfer-Encoding on a multipart");
            goto out;
        }
        if (content_type(c, ct, "multipart/alternative", "boundary",
                         &r->boundary) != 0
            || multipart(c, lines, used, nl, r) != 0)
            goto out;
    } else {
        /* All that follows the empty line, the last CRLF included: only
         * a multipart delimiter takes the CRLF before it. */
        const char *s = lines[used].s;
        size_t n = (size_t)(msg + len - s);
        if (text_part(c, f, *nf, "plain", s, n, &r->text, &r->text_len,
                      &r->text_base64) != 0)
            goto out;
    }
    rc = 0;
out:
    free(lines);
    return rc;
}

int
mime_check(const char *msg, size_t len, struct mime_check *r, char *why,
           size_t whylen)
{
    struct ctx c = { why, whylen };
    struct field f[MIME_CHECK_MAX_HEADERS];
    size_t nf = 0;

    memset(r, 0, sizeof *r);
    if (whylen > 0)
        why[0] = '\0';
    int rc = run(&c, msg, len, r, f, &nf);
    for (size_t i = 0; i < nf; i++)
        free(f[i].value);
    if (rc != 0)
        mime_check_free(r);
    return rc;
}

void
mime_check_free(struct mime_check *r)
{
    free(r->subject);
    free(r->from_name);
    free(r->from_email);
    free(r->to_name);
    free(r->to_email);
    free(r->message_id);
    free(r->list_id_name);
    free(r->list_id);
    free(r->boundary);
    free(r->text);
    free(r->html);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    memset(r, 0, sizeof *r);
}

const char *
mime_check_header(const struct mime_check *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}
