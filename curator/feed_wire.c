/* Serialising requests and feeds for the parse workers, and reading them
 * back with every length checked (feed_wire.h has the format). */
#include "feed_wire.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>
#define WIRE_SSSE3 1
#endif

/* The fewest bytes an item takes on the wire: 8 string lengths, two
 * times and a tag count. Counts are checked against it before anything
 * is allocated for them. */
#define ITEM_MIN_BYTES (8 * 4 + 2 * 8 + 4)

/* ---- writing ---- */

static int
put_u8(struct buf *b, unsigned v)
{
    unsigned char x = (unsigned char)v;
    return buf_append(b, &x, 1);
}

static int
put_u32(struct buf *b, uint32_t v)
{
    unsigned char x[4] = {
        (unsigned char)v, (unsigned char)(v >> 8),
        (unsigned char)(v >> 16), (unsigned char)(v >> 24)
    };
    return buf_append(b, x, sizeof x);
}

static int
put_u64(struct buf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return buf_append(b, x, sizeof x);
}

/* Its length and its bytes in one step: most of a feed's wire form is
 * strings, one or two per field. */
static int
put_str(struct buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > FEED_WIRE_STRING_MAX) {
        buf_free(b);
        return CUR_ETOOBIG;
    }
    int rc = buf_reserve(b, 4 + n);
    if (rc != CUR_OK)
        return rc;
    unsigned char *p = (unsigned char *)b->data + b->len;
    uint32_t v = s ? (uint32_t)n : FEED_WIRE_NULL;
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    if (n > 0)
        memcpy(p + 4, s, n);
    b->len += 4 + n;
    b->data[b->len] = '\0';
    return CUR_OK;
}

int
feed_wire_put_header(struct buf *out, enum feed_wire_type type, size_t len)
{
    if (len > UINT32_MAX) {
        buf_free(out);
        return CUR_ETOOBIG;
    }
    int rc = put_u32(out, (uint32_t)len);
    return rc == CUR_OK ? put_u8(out, type) : rc;
}

void
feed_wire_get_header(const unsigned char h[FEED_WIRE_HEADER], uint32_t *len,
                     unsigned *type)
{
    *len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16
           | (uint32_t)h[3] << 24;
    *type = h[4];
}

int
feed_wire_put_request(struct buf *out, const struct parse_opts *po,
                      const struct sanitize_opts *so, size_t text_max)
{
    double cpu = po->cpu_seconds > 0 ? po->cpu_seconds * 1e6 : 0;
    int rc = put_u8(out, FEED_WIRE_VERSION);

    if (rc == CUR_OK)
        rc = put_u64(out, po->max_size);
    if (rc == CUR_OK)
        rc = put_u64(out, po->max_items);
    if (rc == CUR_OK)
        rc = put_u64(out, po->max_title);
    if (rc == CUR_OK)
        rc = put_u64(out, po->max_content);
    if (rc == CUR_OK)
        rc = put_u32(out, po->max_depth);
    if (rc == CUR_OK)
        rc = put_u32(out, po->max_attributes);
    if (rc == CUR_OK)
        rc = put_u64(out, cpu < 1e15 ? (uint64_t)cpu : (uint64_t)1e15);
    if (rc == CUR_OK)
        rc = put_str(out, po->base_url);
    if (rc == CUR_OK)
        rc = put_str(out, po->content_type);
    if (rc == CUR_OK)
        rc = put_str(out, po->content_language);
    if (rc == CUR_OK)
        rc = put_u8(out, so->profile);
    if (rc == CUR_OK)
        rc = put_u8(out, so->remote_images != 0);
    if (rc == CUR_OK)
        rc = put_u64(out, so->max_data_image);
    if (rc == CUR_OK)
        rc = put_str(out, so->base_url);
    if (rc == CUR_OK)
        rc = put_str(out, so->tracking_hosts);
    if (rc == CUR_OK)
        rc = put_u64(out, text_max);
    return rc;
}

int
feed_wire_put_feed(struct buf *b, const struct feed *f)
{
    int rc = put_u8(b, FEED_WIRE_VERSION);

#define PUT(call) do { if (rc == CUR_OK) rc = (call); } while (0)
    PUT(put_str(b, f->title));
    PUT(put_str(b, f->link));
    PUT(put_str(b, f->hub));
    PUT(put_u32(b, (uint32_t)(f->ttl > 0 ? f->ttl : 0)));
    PUT(put_u32(b, f->skip_hours & 0xFFFFFFu));
    PUT(put_u32(b, f->skip_days & 0x7Fu));
    PUT(put_u8(b, f->recovered != 0));
    size_t np = f->n_problems < FEED_MAX_PROBLEMS ? f->n_problems
                                                  : FEED_MAX_PROBLEMS;
    PUT(put_u32(b, (uint32_t)np));
    for (size_t i = 0; i < np; i++)
        PUT(put_str(b, f->problems[i]));
    PUT(put_u32(b, (uint32_t)f->n_items));
    for (size_t i = 0; i < f->n_items && rc == CUR_OK; i++) {
        const struct item *it = &f->items[i];
        const struct person *a = it->n_authors ? &it->authors[0] : NULL;
        PUT(put_str(b, it->guid));
        PUT(put_str(b, it->title));
        PUT(put_str(b, it->link));
        PUT(put_str(b, a ? a->name : NULL));
        PUT(put_str(b, a ? a->email : NULL));
        PUT(put_str(b, it->text));
        PUT(put_str(b, it->html));
        PUT(put_str(b, it->language));
        PUT(put_u64(b, (uint64_t)it->published));
        PUT(put_u64(b, (uint64_t)it->updated));
        PUT(put_u32(b, (uint32_t)it->n_tags));
        for (size_t t = 0; t < it->n_tags; t++)
            PUT(put_str(b, it->tags[t]));
    }
#undef PUT
    return rc;
}

/* ---- reading ---- */

struct rd {
    const unsigned char *p;
    size_t left;
    size_t max_string;
    const char *bad;        /* the first rule broken; static */
    int oom;
};

static void
fail(struct rd *r, const char *why)
{
    if (r->bad == NULL)
        r->bad = why;
}

static unsigned
get_u8(struct rd *r)
{
    if (r->bad || r->left < 1) {
        fail(r, "cut short");
        return 0;
    }
    r->left--;
    return *r->p++;
}

static uint32_t
get_u32(struct rd *r)
{
    if (r->bad || r->left < 4) {
        fail(r, "cut short");
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8
                 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    r->left -= 4;
    return v;
}

static uint64_t
get_u64(struct rd *r)
{
    if (r->bad || r->left < 8) {
        fail(r, "cut short");
        return 0;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | r->p[i];
    r->p += 8;
    r->left -= 8;
    return v;
}

/* A count of elements that take at least 'min' bytes each, at most
 * 'max' (0: no limit but the bytes). */
static size_t
get_count(struct rd *r, size_t min, size_t max, const char *what)
{
    uint32_t n = get_u32(r);
    if (r->bad)
        return 0;
    if ((max && n > max) || n > r->left / min) {
        fail(r, what);
        return 0;
    }
    return n;
}

/* A string, copied and NUL-terminated; NULL for an absent one (and on
 * error, with r->bad or r->oom set). */
static char *
get_str(struct rd *r)
{
    uint32_t n = get_u32(r);
    if (r->bad || n == FEED_WIRE_NULL)
        return NULL;
    if (n > r->left)
        fail(r, "string past the end");
    else if (n > r->max_string)
        fail(r, "string over the limit");
    else if (!feed_wire_utf8_ok((const char *)r->p, n))
        fail(r, "string not UTF-8 or holding NUL");
    if (r->bad)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        r->oom = 1;
        fail(r, "out of memory");
        return NULL;
    }
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    r->left -= n;
    return s;
}

int
feed_wire_get_request(const void *data, size_t len,
                      struct feed_wire_request *rq)
{
    struct rd r = {
        .p = data, .left = len, .max_string = FEED_WIRE_STRING_MAX,
    };

    memset(rq, 0, sizeof *rq);
    if (get_u8(&r) != FEED_WIRE_VERSION)
        fail(&r, "unknown version");
    rq->parse.max_size = (size_t)get_u64(&r);
    rq->parse.max_items = (size_t)get_u64(&r);
    rq->parse.max_title = (size_t)get_u64(&r);
    rq->parse.max_content = (size_t)get_u64(&r);
    rq->parse.max_depth = get_u32(&r);
    rq->parse.max_attributes = get_u32(&r);
    rq->parse.cpu_seconds = (double)get_u64(&r) / 1e6;
    rq->strings[0] = get_str(&r);
    rq->strings[1] = get_str(&r);
    rq->strings[2] = get_str(&r);
    unsigned profile = get_u8(&r);
    if (profile != SANITIZE_WEB && profile != SANITIZE_MAIL)
        fail(&r, "unknown sanitiser profile");
    rq->sanitize.profile = (enum sanitize_profile)profile;
    rq->sanitize.remote_images = get_u8(&r) != 0;
    rq->sanitize.max_data_image = (size_t)get_u64(&r);
    rq->strings[3] = get_str(&r);
    rq->strings[4] = get_str(&r);
    rq->text_max = (size_t)get_u64(&r);
    if (r.left != 0)
        fail(&r, "bytes after the end");
    if (r.bad) {
        int rc = r.oom ? CUR_ENOMEM : CUR_EINVAL;
        feed_wire_request_clear(rq);
        return rc;
    }
    rq->parse.base_url = rq->strings[0];
    rq->parse.content_type = rq->strings[1];
    rq->parse.content_language = rq->strings[2];
    rq->sanitize.base_url = rq->strings[3];
    rq->sanitize.tracking_hosts = rq->strings[4];
    return CUR_OK;
}

void
feed_wire_request_clear(struct feed_wire_request *rq)
{
    for (size_t i = 0; i < sizeof rq->strings / sizeof rq->strings[0]; i++)
        free(rq->strings[i]);
    memset(rq, 0, sizeof *rq);
}

static void
get_item(struct rd *r, struct item *it)
{
    char *name, *email;

    it->guid = get_str(r);
    if (!r->bad && (it->guid == NULL || it->guid[0] == '\0'))
        fail(r, "item without a guid");
    it->title = get_str(r);
    it->link = get_str(r);
    name = get_str(r);
    email = get_str(r);
    if (name || email) {
        it->authors = calloc(1, sizeof *it->authors);
        if (it->authors == NULL) {
            free(name);
            free(email);
            r->oom = 1;
            fail(r, "out of memory");
        } else {
            it->authors[0].name = name;
            it->authors[0].email = email;
            it->n_authors = 1;
        }
    }
    it->text = get_str(r);
    it->html = get_str(r);
    it->language = get_str(r);
    it->published = (long long)get_u64(r);
    it->updated = (long long)get_u64(r);
    size_t n = get_count(r, 4, 0, "tag count past the end");
    if (n > 0) {
        it->tags = calloc(n, sizeof *it->tags);
        if (it->tags == NULL) {
            r->oom = 1;
            fail(r, "out of memory");
            return;
        }
        /* Counted as they arrive, so that feed_free() frees just those. */
        for (size_t t = 0; t < n && !r->bad; t++) {
            char *s = get_str(r);
            if (s == NULL) {
                fail(r, "absent tag");
                break;
            }
            it->tags[it->n_tags++] = s;
        }
    }
}

int
feed_wire_get_feed(const void *data, size_t len,
                   const struct feed_wire_limits *lim, struct feed **out,
                   char *err, size_t errlen)
{
    struct rd r = {
        .p = data, .left = len,
        .max_string = lim && lim->max_string ? lim->max_string
                                             : FEED_WIRE_STRING_MAX,
    };
    struct feed *f = calloc(1, sizeof *f);

    *out = NULL;
    if (f == NULL) {
        snprintf(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    if (get_u8(&r) != FEED_WIRE_VERSION)
        fail(&r, "unknown version");
    f->title = get_str(&r);
    f->link = get_str(&r);
    f->hub = get_str(&r);
    uint32_t ttl = get_u32(&r);
    if (ttl > 0x7FFFFFFFu)
        fail(&r, "ttl out of range");
    f->ttl = (int)ttl;
    f->skip_hours = get_u32(&r);
    f->skip_days = get_u32(&r);
    if (f->skip_hours > 0xFFFFFFu || f->skip_days > 0x7Fu)
        fail(&r, "skip hours or days out of range");
    unsigned rec = get_u8(&r);
    if (rec > 1)
        fail(&r, "recovered flag out of range");
    f->recovered = (int)rec;
    size_t np = get_count(&r, 4, FEED_MAX_PROBLEMS, "too many problems");
    if (np > 0 && (f->problems = calloc(np, sizeof *f->problems)) == NULL) {
        r.oom = 1;
        fail(&r, "out of memory");
    }
    for (size_t i = 0; i < np && !r.bad; i++) {
        char *s = get_str(&r);
        if (s == NULL)
            fail(&r, "absent problem");
        else
            f->problems[f->n_problems++] = s;
    }
    size_t ni = get_count(&r, ITEM_MIN_BYTES, lim ? lim->max_items : 0,
                          "too many items");
    if (ni > 0 && (f->items = calloc(ni, sizeof *f->items)) == NULL) {
        r.oom = 1;
        fail(&r, "out of memory");
    }
    /* Counted before it is read: a half-read item is freed with the
     * feed. */
    for (size_t i = 0; i < ni && !r.bad; i++)
        get_item(&r, &f->items[f->n_items++]);
    if (!r.bad && r.left != 0)
        fail(&r, "bytes after the end");
    if (r.bad) {
        snprintf(err, errlen, "%s", r.bad);
        feed_free(f);
        return r.oom ? CUR_ENOMEM : CUR_EINVAL;
    }
    if (errlen > 0)
        err[0] = '\0';
    *out = f;
    return CUR_OK;
}

/* How many bytes from s on are ASCII other than NUL, 8 at a time. */
static size_t
ascii_run(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w & 0x8080808080808080ull)
            || ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
            break;
        i += 8;
    }
    while (i < len && s[i] != 0 && s[i] < 0x80)
        i++;
    return i;
}

/* One character at a time: short strings, and machines without SSSE3. */
static int
utf8_ok_scalar(const unsigned char *s, size_t len)
{
    size_t i = 0;

    for (;;) {
        i += ascii_run(s + i, len - i);
        if (i == len)
            return 1;
        unsigned c = s[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;          /* overlong */
            else if (c == 0xED)
                hi = 0x9F;          /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;          /* overlong */
            else if (c == 0xF4)
                hi = 0x8F;          /* past U+10FFFF */
        } else {
            return 0;               /* NUL, a stray continuation, C0/C1,
                                       F5-FF */
        }
        if (len - i <= n)
            return 0;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += n + 1;
    }
}

#ifdef WIRE_SSSE3
/* 16 bytes at a time without a branch on the data: feed text is mostly
 * ASCII with a quote mark or dash every few dozen bytes, which costs the
 * scalar loop a mispredicted branch each time. Each byte is judged with
 * the one before it by three table look-ups (the high and low nibble of
 * the previous byte, the high nibble of this one); the bits that survive
 * the AND name a rule broken. A continuation after a continuation is
 * right only as the third or fourth byte of a sequence, which the bytes
 * two and three back say. */
#define E_SHORT 0x01        /* lead byte not followed by a continuation */
#define E_LONG 0x02         /* continuation after ASCII */
#define E_OVER3 0x04        /* E0 80-9F */
#define E_LARGE 0x08        /* F4 90-BF, F5-FF 90-BF */
#define E_SURR 0x10         /* ED A0-BF */
#define E_OVER2 0x20        /* C0, C1 */
#define E_LARGE1000 0x40    /* F5-FF 80-8F; also F0 80-8F (overlong) */
#define E_CONTS 0x80        /* continuation after continuation */
#define E_CARRY (E_SHORT | E_LONG | E_CONTS)

__attribute__((target("ssse3"))) static int
utf8_ok_ssse3(const unsigned char *s, size_t len)
{
    const __m128i prev_hi_tab = _mm_setr_epi8(
        E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG, E_LONG,
        E_CONTS, E_CONTS, E_CONTS, E_CONTS,
        E_SHORT | E_OVER2, E_SHORT, E_SHORT | E_OVER3 | E_SURR,
        (char)(E_SHORT | E_LARGE | E_LARGE1000));
    const __m128i prev_lo_tab = _mm_setr_epi8(
        (char)(E_CARRY | E_OVER3 | E_OVER2 | E_LARGE1000),
        (char)(E_CARRY | E_OVER2), (char)E_CARRY, (char)E_CARRY,
        (char)(E_CARRY | E_LARGE),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000 | E_SURR),
        (char)(E_CARRY | E_LARGE | E_LARGE1000),
        (char)(E_CARRY | E_LARGE | E_LARGE1000));
    const __m128i cur_hi_tab = _mm_setr_epi8(
        E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT, E_SHORT,
        E_SHORT,
        (char)(E_LONG | E_OVER2 | E_CONTS | E_OVER3 | E_LARGE1000),
        (char)(E_LONG | E_OVER2 | E_CONTS | E_OVER3 | E_LARGE),
        (char)(E_LONG | E_OVER2 | E_CONTS | E_SURR | E_LARGE),
        (char)(E_LONG | E_OVER2 | E_CONTS | E_SURR | E_LARGE),
        E_SHORT, E_SHORT, E_SHORT, E_SHORT);
    const __m128i nib = _mm_set1_epi8(0x0F);
    const __m128i zero = _mm_setzero_si128();
    __m128i prev = _mm_set1_epi8(' '), err = zero;
    unsigned char tail[16];
    size_t i = 0;

    /* The last partial block padded with spaces, then one of spaces
     * only: a sequence cut by the end meets ASCII and fails. */
    for (int last = 0; last < 2;) {
        __m128i cur;
        if (len - i >= 16) {
            cur = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            i += 16;
        } else {
            memset(tail, ' ', sizeof tail);
            memcpy(tail, s + i, len - i);
            i = len;
            cur = _mm_loadu_si128((const __m128i *)(const void *)tail);
            last++;
        }
        __m128i p1 = _mm_alignr_epi8(cur, prev, 15);
        __m128i sc = _mm_and_si128(
            _mm_and_si128(
                _mm_shuffle_epi8(prev_hi_tab,
                                 _mm_and_si128(_mm_srli_epi16(p1, 4), nib)),
                _mm_shuffle_epi8(prev_lo_tab, _mm_and_si128(p1, nib))),
            _mm_shuffle_epi8(cur_hi_tab,
                             _mm_and_si128(_mm_srli_epi16(cur, 4), nib)));
        __m128i p2 = _mm_alignr_epi8(cur, prev, 14);
        __m128i p3 = _mm_alignr_epi8(cur, prev, 13);
        /* Top bit set where p2 >= E0 or p3 >= F0. */
        __m128i must23 = _mm_and_si128(
            _mm_or_si128(_mm_subs_epu8(p2, _mm_set1_epi8(0x60)),
                         _mm_subs_epu8(p3, _mm_set1_epi8(0x70))),
            _mm_set1_epi8((char)0x80));
        err = _mm_or_si128(err, _mm_xor_si128(must23, sc));
        err = _mm_or_si128(err, _mm_cmpeq_epi8(cur, zero));
        prev = cur;
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi8(err, zero)) == 0xFFFF;
}
#endif

int
feed_wire_utf8_ok(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
#ifdef WIRE_SSSE3
    if (len >= 32 && __builtin_cpu_supports("ssse3"))
        return utf8_ok_ssse3(s, len);
#endif
    return utf8_ok_scalar(s, len);
}
