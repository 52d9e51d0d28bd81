/* Rendering one digest as a text/plain and a text/html body.
 *
 * Every field is first cleaned into a scratch buffer as one line of
 * valid UTF-8 (no controls, single spaces, capped), then written in one
 * pass: wrapped for the text part, escaped for the HTML part. Snippets
 * come from sanitize.h on a bounded prefix of the item, so rendering
 * costs about the same whatever the items hold; with a cache, an item's
 * snippet is rendered once for all the digests of a round. What goes in
 * the digest, the signed links and the MIME message are digest.c's and
 * mime.c's.
 */
#define _GNU_SOURCE     /* memrchr */
#include "digest_render.h"
#include "err.h"
#include "sanitize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNIP_TEXT_MAX 300       /* bytes of snippet in the text part */
#define SNIP_HTML_MAX 600       /* bytes of snippet text in the HTML */
#define SNIP_IN_MAX (16 << 10)  /* bytes of an item read for a snippet */

/* Caps on fields, in bytes of cleaned text. */
#define CAP_TITLE 400
#define CAP_NAME 200            /* feed, editor, user, heading */
#define CAP_LINE 400            /* reason, also in */
#define CAP_NOTE 1500
#define CAP_SNIP 2000           /* a snippet, already cut by sanitize */
#define CAP_HEAD 140            /* <title>: escaped (x6) it fits a line */

/* clean_append() reads 4 * max + 256 bytes of a field at most, and then
 * one more to see whether it goes on. */
_Static_assert(4 * SNIP_HTML_MAX + 256 < DIGEST_RENDER_TEXT_READ
               && 4 * SNIP_TEXT_MAX + 256 < DIGEST_RENDER_TEXT_READ,
               "snippets read past DIGEST_RENDER_TEXT_READ");

/* HTML source lines: text wraps at the first space past SRC_SOFT, a word
 * still going at SRC_HARD is broken inside a <wbr> tag. An href is at
 * most DIGEST_RENDER_HREF_MAX, so that a line holding one stays under
 * DIGEST_RENDER_LINE_MAX with the markup around it. */
#define SRC_SOFT 76
#define SRC_HARD 640

/* ------------------------------------------------------------------ */
/* Characters                                                          */

/* Length of the well-formed UTF-8 sequence at p (p < end) with its code
 * point in *cp, or 0 when the bytes there are not one. */
static size_t
utf8_dec(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
    unsigned c = p[0], v, min;
    size_t n;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

/* White space in a one-line field, line and paragraph separators too:
 * each run becomes one space. */
static int
space_cp(unsigned cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85
        || cp == 0x2028 || cp == 0x2029;
}

/* Never written: C0 and C1 controls, DEL, the two non-characters. */
static int
dropped_cp(unsigned cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFFFE
        || cp == 0xFFFF;
}

/* Append untrusted 's' (may be NULL) to 'b' as one clean line: invalid
 * UTF-8 as U+FFFD, controls dropped, white space runs as one space, no
 * space at either end. Over 'max' bytes it is cut on a word boundary
 * (or a character one, when the last word is long) with "..." in the
 * last 3 of them. */
static int
clean_append(struct buf *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t w = 0, len;
    int rc, space = 0, over;
    char *o;

    if (max < 3)
        max = 3;
    /* Read no more than could be needed: a huge field costs nothing. */
    len = strnlen((const char *)p, 4 * max + 256);
    over = p[len] != '\0';
    const unsigned char *end = p + len;
    rc = buf_reserve(b, max + 1);
    if (rc != CUR_OK)
        return rc;
    o = b->data + b->len;
    while (p < end) {
        unsigned cp;
        size_t n;
        /* A run of printable ASCII, the common case, in one piece:
         * words and the single spaces between them, which stay as they
         * are. A longer run of white space ends it, to be folded. */
        if (*p > 0x20 && *p < 0x7F) {
            const unsigned char *r = p + 1;
            for (;;) {
                while (r < end && *r > 0x20 && *r < 0x7F)
                    r++;
                if (r + 1 < end && *r == ' ' && r[1] > 0x20 && r[1] < 0x7F)
                    r += 2;
                else
                    break;
            }
            n = (size_t)(r - p);
            if (w + (size_t)space + n > max) {
                /* What fits, for the cut below to look at. */
                size_t room = max - w;
                if (space && room > 0) {
                    o[w++] = ' ';
                    room--;
                }
                memcpy(o + w, p, room < n ? room : n);
                w += room < n ? room : n;
                over = 1;
                break;
            }
            if (space)
                o[w++] = ' ';
            space = 0;
            memcpy(o + w, p, n);
            w += n;
            p = r;
            continue;
        }
        n = utf8_dec(p, end, &cp);
        if (n == 0) {
            cp = 0xFFFD;
            n = 1;
        }
        p += n;
        if (space_cp(cp)) {
            space = w > 0;
            continue;
        }
        if (dropped_cp(cp))
            continue;
        if (cp == 0xFFFD) {
            n = 3;
        }
        if (w + (size_t)space + n > max) {
            over = 1;
            break;
        }
        if (space)
            o[w++] = ' ';
        space = 0;
        if (cp == 0xFFFD)
            memcpy(o + w, "\xef\xbf\xbd", 3);
        else
            memcpy(o + w, p - n, n);
        w += n;
    }
    if (over) {
        size_t cut = w;
        if (w + 3 > max) {
            size_t word;
            cut = max - 3;
            while (cut > 0 && ((unsigned char)o[cut] & 0xC0) == 0x80)
                cut--;
            word = cut;
            while (word > 0 && o[word] != ' ')
                word--;
            if (word > cut / 2)
                cut = word;
        }
        while (cut > 0 && o[cut - 1] == ' ')
            cut--;
        memcpy(o + cut, "...", 3);
        w = cut + 3;
    }
    b->len += w;
    b->data[b->len] = '\0';
    return CUR_OK;
}

/* Is 'u' an absolute http or https URL (any case) of at most 'max'
 * bytes, printable ASCII or well-formed UTF-8 past U+009F, with a host
 * part? Spaces, controls and broken bytes would never make a working
 * link, and could break a line. */
static int
url_ok(const char *u, size_t max)
{
    const unsigned char *p, *end;

    if (u == NULL)
        return 0;
    if (strncasecmp(u, "http://", 7) == 0)
        p = (const unsigned char *)u + 7;
    else if (strncasecmp(u, "https://", 8) == 0)
        p = (const unsigned char *)u + 8;
    else
        return 0;
    if (*p == '\0' || *p == '/')
        return 0;
    end = (const unsigned char *)u + strnlen(u, max + 1);
    if (*end != '\0')
        return 0;
    while (p < end) {
        unsigned cp;
        size_t n;
        if (*p > 0x20 && *p < 0x7F) {
            p++;
            continue;
        }
        n = utf8_dec(p, end, &cp);
        if (n == 0 || cp <= 0x20 || (cp >= 0x7F && cp <= 0x9F)
            || cp == 0x2028 || cp == 0x2029)
            return 0;
        p += n;
    }
    return 1;
}

/* A NUL-terminated view of at most SNIP_IN_MAX bytes of HTML 's': 's'
 * when it is short, else a copy in 'tmp' cut on a character boundary and
 * before a character reference the cut would split. NULL when out of
 * memory. */
static const char *
bounded(const char *s, struct buf *tmp)
{
    size_t cut = strnlen(s, SNIP_IN_MAX + 1);

    if (cut <= SNIP_IN_MAX)
        return s;
    cut = SNIP_IN_MAX;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    for (size_t i = cut; i > 0 && cut - i < 40; i--) {
        if (s[i - 1] == ';' || s[i - 1] == '>')
            break;
        if (s[i - 1] == '&') {
            cut = i - 1;
            break;
        }
    }
    buf_reset(tmp);
    if (buf_append(tmp, s, cut) != CUR_OK)
        return NULL;
    return tmp->data ? tmp->data : "";
}

/* Append the snippet of 'e' to 'b' as one clean paragraph of at most
 * 'max' bytes: from its plain text, cleaned like any field, or from its
 * HTML through sanitize_text() (tags, scripts and link URLs gone,
 * references decoded). 'prefer_html' picks when both are there. */
static int
snippet_append(struct buf *b, const struct digest_entry *e, size_t max,
               int prefer_html)
{
    int html = e->snippet_html && e->snippet_html[0];
    int text = e->snippet_text && e->snippet_text[0];
    struct buf tmp;
    const char *src;
    char *plain = NULL;
    int rc;

    if (text && (!html || !prefer_html))
        return clean_append(b, e->snippet_text, max);
    if (!html)
        return CUR_OK;
    buf_init(&tmp, 0);
    src = bounded(e->snippet_html, &tmp);
    if (src != NULL)
        plain = sanitize_text(src, max);
    buf_free(&tmp);
    if (plain == NULL)
        return CUR_ENOMEM;
    rc = clean_append(b, plain, max);
    free(plain);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Snippets kept for the next digest                                   */

#define CACHE_MAX 16384         /* snippets kept; a power of two */
#define CACHE_BYTES (32 << 20)  /* bytes kept, sources and output */

enum { PART_TEXT, PART_HTML };

struct snip {
    long long item_id;          /* 0: an empty slot */
    int part;
    size_t at;                  /* the text part's indent */
    char *src;                  /* the snippet_text it came from, as far
                                   as it is ever read */
    size_t src_len;
    char *out;                  /* the bytes it wrote */
    size_t out_len, col;        /* HTML: the column after them */
};

struct digest_render_cache {
    struct snip *slot;          /* open addressing, at most half full */
    size_t cap, n, bytes;
};

struct digest_render_cache *
digest_render_cache_new(void)
{
    return calloc(1, sizeof(struct digest_render_cache));
}

void
digest_render_cache_free(struct digest_render_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i].item_id != 0) {
            free(c->slot[i].src);
            free(c->slot[i].out);
        }
    free(c->slot);
    free(c);
}

/* The slot for (id, part, at): its own, or the empty one it would
 * take. */
static struct snip *
cache_slot(const struct digest_render_cache *c, long long id, int part,
           size_t at)
{
    unsigned long long h = ((unsigned long long)id * 4 + (unsigned)part * 2
                            + at) * 0x9E3779B97F4A7C15ULL;
    size_t mask = c->cap - 1, i = (size_t)(h >> 32) & mask;

    while (c->slot[i].item_id != 0
           && !(c->slot[i].item_id == id && c->slot[i].part == part
                && c->slot[i].at == at))
        i = (i + 1) & mask;
    return &c->slot[i];
}

/* May e's snippet be cached, and from what source? Only a plain
 * snippet_text: HTML snippets depend on more than the entry. */
static const char *
cache_source(const struct digest_render_cache *c,
             const struct digest_entry *e, size_t *len)
{
    if (c == NULL || e->item_id == 0 || (e->snippet_html
                                         && e->snippet_html[0]))
        return NULL;
    *len = e->snippet_text ? strnlen(e->snippet_text,
                                     DIGEST_RENDER_TEXT_READ) : 0;
    return e->snippet_text ? e->snippet_text : "";
}

/* Append the snippet kept for e (part, at) to 'out': 1 when there was
 * one (*rc says whether the append worked), 0 when it must be
 * rendered. *col (may be NULL) gets the column after it. */
static int
cache_use(const struct digest_render_cache *c, const struct digest_entry *e,
          int part, size_t at, struct buf *out, size_t *col, int *rc)
{
    const char *src;
    const struct snip *sn;
    size_t len;

    if ((src = cache_source(c, e, &len)) == NULL || c->cap == 0)
        return 0;
    sn = cache_slot(c, e->item_id, part, at);
    if (sn->item_id == 0 || sn->src_len != len
        || memcmp(sn->src, src, len) != 0)
        return 0;
    *rc = sn->out_len ? buf_append(out, sn->out, sn->out_len) : CUR_OK;
    if (col && sn->out_len)
        *col = sn->col;
    return 1;
}

/* Keep the 'n' bytes at 'bytes' that e's snippet wrote, when there is
 * room (or replace what was kept from another text). */
static void
cache_keep(struct digest_render_cache *c, const struct digest_entry *e,
           int part, size_t at, const char *bytes, size_t n, size_t col)
{
    const char *src;
    struct snip *sn, fresh;
    size_t len;

    if ((src = cache_source(c, e, &len)) == NULL)
        return;
    if (c->cap == 0 || c->n >= c->cap / 2) {
        /* Grow (doubling, rehashing) while under the caps. */
        struct snip *old = c->slot;
        size_t old_cap = c->cap, cap = old_cap ? old_cap * 2 : 256;
        if (c->n >= CACHE_MAX || c->bytes >= CACHE_BYTES
            || (c->slot = calloc(cap, sizeof *c->slot)) == NULL) {
            c->slot = old;
            if (c->cap == 0 || c->n >= c->cap / 2)
                return;
        } else {
            c->cap = cap;
            for (size_t i = 0; i < old_cap; i++)
                if (old[i].item_id != 0)
                    *cache_slot(c, old[i].item_id, old[i].part,
                                old[i].at) = old[i];
            free(old);
        }
    }
    fresh = (struct snip){ e->item_id, part, at, malloc(len + 1), len,
                           malloc(n + 1), n, col };
    if (fresh.src == NULL || fresh.out == NULL) {
        free(fresh.src);
        free(fresh.out);
        return;
    }
    memcpy(fresh.src, src, len);
    if (n > 0)
        memcpy(fresh.out, bytes, n);
    sn = cache_slot(c, e->item_id, part, at);
    if (sn->item_id != 0) {
        c->bytes -= sn->src_len + sn->out_len;
        free(sn->src);
        free(sn->out);
        c->n--;
    }
    *sn = fresh;
    c->n++;
    c->bytes += len + n;
}

/* ------------------------------------------------------------------ */
/* The text part                                                       */

struct tw {
    struct buf *out;
    struct buf tmp;         /* the field being written, cleaned */
    struct digest_render_cache *cache;
    int rc;
};

static void
tw_puts(struct tw *w, const char *s)
{
    if (w->rc == CUR_OK)
        w->rc = buf_puts(w->out, s);
}

static void
tw_chars(struct tw *w, char c, size_t n)
{
    if (w->rc != CUR_OK || (w->rc = buf_reserve(w->out, n)) != CUR_OK)
        return;
    memset(w->out->data + w->out->len, c, n);
    w->out->len += n;
    w->out->data[w->out->len] = '\0';
}

/* Start the scratch field with the constant 'label'. */
static void
tw_begin(struct tw *w, const char *label)
{
    buf_reset(&w->tmp);
    if (w->rc == CUR_OK)
        w->rc = buf_puts(&w->tmp, label);
}

/* Add constant text to the scratch field. */
static void
tw_lit(struct tw *w, const char *s)
{
    if (w->rc == CUR_OK)
        w->rc = buf_puts(&w->tmp, s);
}

/* Add cleaned untrusted text to the scratch field. */
static void
tw_add(struct tw *w, const char *s, size_t max)
{
    if (w->rc == CUR_OK)
        w->rc = clean_append(&w->tmp, s, max);
}

/* Write the scratch field as a paragraph ending in a line break: 'first'
 * spaces before its first line and 'cont' before the others, wrapped at
 * DIGEST_RENDER_WIDTH on spaces (a longer word stands alone). Returns
 * the columns of the widest line. */
static size_t
tw_para(struct tw *w, size_t first, size_t cont)
{
    const char *s = w->tmp.data ? w->tmp.data : "";
    size_t n = w->tmp.len, col = first, widest = 0, i = 0;
    int fresh = 1;
    char *o;

    /* Each space may become a line break and 'cont' spaces. */
    if (w->rc != CUR_OK
        || (w->rc = buf_reserve(w->out, first + 1 + n * (cont + 2)))
           != CUR_OK)
        return 0;
    o = w->out->data + w->out->len;
    memset(o, ' ', first);
    o += first;
    /* One pass per word: it is copied where it goes if it fits, its
     * columns counted on the way, and moved along for a line break when
     * it turns out not to (the reservation has room for that). */
    while (i < n) {
        char *word = fresh ? o : o + 1;
        char *e = word;
        size_t wc = 0;
        unsigned char c;
        while (i < n && (c = (unsigned char)s[i]) != ' ') {
            *e++ = (char)c;
            wc += (c & 0xC0) != 0x80;
            i++;
        }
        i++;
        if (!fresh && col + 1 + wc > DIGEST_RENDER_WIDTH) {
            size_t len = (size_t)(e - word);
            memmove(o + 1 + cont, word, len);
            *o++ = '\n';
            memset(o, ' ', cont);
            o += cont + len;
            col = cont + wc;
        } else {
            if (!fresh) {
                *o = ' ';
                col++;
            }
            o = e;
            col += wc;
        }
        fresh = 0;
        if (col > widest)
            widest = col;
    }
    *o++ = '\n';
    w->out->len = (size_t)(o - w->out->data);
    *o = '\0';
    return widest;
}

/* "label: untrusted" as a paragraph, when the text is not empty. */
static void
tw_field(struct tw *w, size_t indent, const char *label, const char *s,
         size_t max)
{
    size_t start = strlen(label);

    tw_begin(w, label);
    tw_add(w, s, max);
    if (w->rc == CUR_OK && w->tmp.len > start)
        tw_para(w, indent, indent);
}

/* A line holding a URL, never wrapped; nothing for a refused URL. */
static void
tw_url(struct tw *w, size_t indent, const char *label, const char *url)
{
    if (!url_ok(url, DIGEST_RENDER_URL_MAX))
        return;
    tw_chars(w, ' ', indent);
    tw_puts(w, label);
    tw_puts(w, url);
    tw_puts(w, "\n");
}

/* The snippet paragraph, indented 'ind'. */
static void
tw_snippet(struct tw *w, const struct digest_entry *e, size_t ind)
{
    size_t mark = w->out->len;

    if (w->rc != CUR_OK
        || cache_use(w->cache, e, PART_TEXT, ind, w->out, NULL, &w->rc))
        return;
    tw_begin(w, "");
    if (w->rc == CUR_OK)
        w->rc = snippet_append(&w->tmp, e, SNIP_TEXT_MAX, 0);
    if (w->rc == CUR_OK && w->tmp.len > 0)
        tw_para(w, ind, ind);
    if (w->rc == CUR_OK)
        cache_keep(w->cache, e, PART_TEXT, ind, w->out->data + mark,
                   w->out->len - mark, 0);
}

static void
tw_entry(struct tw *w, const struct digest_entry *e, size_t num)
{
    char prefix[32];
    size_t ind;

    ind = (size_t)snprintf(prefix, sizeof prefix, "%zu. ", num);
    tw_begin(w, prefix);
    tw_add(w, e->title, CAP_TITLE);
    if (w->rc == CUR_OK && w->tmp.len == ind)
        tw_add(w, "(untitled)", CAP_TITLE);
    tw_para(w, 0, ind);
    tw_field(w, ind, "Feed: ", e->feed, CAP_NAME);
    tw_field(w, ind, "Why: ", e->reason, CAP_LINE);
    tw_field(w, ind, "Also in: ", e->also_in, CAP_LINE);
    if ((e->gem_editor && e->gem_editor[0])
        || (e->gem_note && e->gem_note[0])) {
        static const char pick[] = "Editor's pick";
        size_t before;
        tw_begin(w, pick);
        before = w->tmp.len;
        tw_lit(w, " by ");
        tw_add(w, e->gem_editor, CAP_NAME);
        if (w->rc == CUR_OK && w->tmp.len == before + 4)
            w->tmp.len = before;        /* no name left once cleaned */
        before = w->tmp.len;
        tw_lit(w, ": \"");
        tw_add(w, e->gem_note, CAP_NOTE);
        tw_lit(w, "\"");
        if (w->rc == CUR_OK && w->tmp.len == before + 4)
            w->tmp.len = before;
        if (w->rc == CUR_OK && w->tmp.len > sizeof pick - 1) {
            w->tmp.data[w->tmp.len] = '\0';
            tw_para(w, ind, ind);
        }
    }
    tw_snippet(w, e, ind);
    tw_url(w, ind, "", e->link);
    tw_url(w, ind, "More like this: ", e->up_url);
    tw_url(w, ind, "Less like this: ", e->down_url);
}

/* A heading underlined with 'rule'; 0 when nothing is left of 's'. */
static int
tw_heading(struct tw *w, const char *s, size_t max, char rule)
{
    size_t width;

    tw_begin(w, "");
    tw_add(w, s, max);
    if (w->rc != CUR_OK || w->tmp.len == 0)
        return 0;
    width = tw_para(w, 0, 0);
    tw_chars(w, rule, width);
    tw_puts(w, "\n\n");
    return 1;
}

/* Does the document hold any entry? */
static int
has_entries(const struct digest_doc *d)
{
    for (size_t i = 0; i < d->n_sections; i++)
        if (d->sections[i].n > 0)
            return 1;
    return 0;
}

static void
tw_count(struct tw *w, int n, const char *what)
{
    char line[160];

    if (n <= 0)
        return;
    snprintf(line, sizeof line, "%d more item%s %s\n", n, n == 1 ? "" : "s",
             what);
    tw_puts(w, line);
}

int
digest_render_text(const struct digest_doc *d, struct buf *out)
{
    struct tw w = { .out = out, .rc = CUR_OK };

    if (d == NULL || out == NULL)
        return CUR_EINVAL;
    w.cache = d->cache;
    buf_init(&w.tmp, 0);
    if (!tw_heading(&w, d->title, CAP_TITLE, '='))
        tw_heading(&w, "Your Curator digest", CAP_TITLE, '=');
    tw_begin(&w, "Hello ");
    tw_add(&w, d->user_name, CAP_NAME);
    if (w.rc == CUR_OK && w.tmp.len > 6) {
        tw_lit(&w, ",");
        tw_para(&w, 0, 0);
        tw_puts(&w, "\n");
    }
    if (!has_entries(d))
        tw_puts(&w, "Nothing new above your threshold today.\n\n");
    for (size_t i = 0; i < d->n_sections && w.rc == CUR_OK; i++) {
        const struct digest_section *sec = &d->sections[i];
        if (sec->n == 0)
            continue;
        tw_heading(&w, sec->heading, CAP_NAME, '-');
        for (size_t k = 0; k < sec->n && w.rc == CUR_OK; k++) {
            tw_entry(&w, &sec->entries[k], k + 1);
            tw_puts(&w, "\n");
        }
    }
    tw_count(&w, d->n_below_threshold, "scored below your threshold.");
    tw_count(&w, d->n_over_cap, "did not fit in this digest.");
    if (d->n_below_threshold > 0 || d->n_over_cap > 0)
        tw_puts(&w, "\n");
    tw_url(&w, 0, "Read it on the web: ", d->web_url);
    tw_url(&w, 0, "Your private feed: ", d->feed_url);
    tw_url(&w, 0, "Digest settings: ", d->settings_url);
    tw_url(&w, 0, "Unsubscribe: ", d->unsubscribe_url);
    buf_free(&w.tmp);
    if (w.rc != CUR_OK)
        buf_free(out);
    return w.rc;
}

/* ------------------------------------------------------------------ */
/* The HTML part                                                       */

#define FONT "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto," \
             "Helvetica,Arial,sans-serif"
/* Mail clients drop <style> blocks, so each element carries its own
 * style: kept short, as every item repeats them. */
#define MUTED "margin:2px 0 0;font-size:14px;color:#57606a"
#define BUTTON "display:inline-block;margin:0 8px 6px 0;padding:4px 12px;" \
               "border:1px solid #d0d7de;border-radius:16px;" \
               "color:#1f2328;background-color:#f6f8fa;" \
               "text-decoration:none"

struct hw {
    struct buf *out;
    struct buf tmp;         /* the field being written, cleaned */
    size_t col;             /* bytes on the current line */
    int rc;
};

/* Markup of ours, n bytes: written as is. */
static void
hw_rawn(struct hw *w, const char *s, size_t n)
{
    const char *nl;

    if (w->rc != CUR_OK || (w->rc = buf_append(w->out, s, n)) != CUR_OK)
        return;
    nl = memrchr(s, '\n', n);
    w->col = nl ? n - (size_t)(nl + 1 - s) : w->col + n;
}

static void
hw_raw(struct hw *w, const char *s)
{
    hw_rawn(w, s, strlen(s));
}

/* The same for a string literal, its length known at compile time. */
#define HW_LIT(w, lit) hw_rawn((w), "" lit, sizeof(lit) - 1)

/* What each byte becomes in HTML text or an attribute value: how many
 * bytes more than itself (0: written as is). */
static const unsigned char esc_extra[256] = {
    ['&'] = 4, ['<'] = 3, ['>'] = 3, ['"'] = 5, ['\''] = 4,
};

/* Bytes hw_flush() copies as they are. */
static int
plain_byte(unsigned char c)
{
    return c != ' ' && esc_extra[c] == 0;
}

/* Escape the clean one-line text in the scratch field. 'wbr': a long
 * word may be broken by a "<wbr\n>" (not inside <title>). */
static void
hw_flush(struct hw *w, int wbr)
{
    const unsigned char *s = (const unsigned char *)w->tmp.data;
    size_t n = w->tmp.len, col = w->col, i = 0;
    char *o;

    if (w->rc != CUR_OK || n == 0)
        return;
    /* At most 6 bytes a byte, and a break per SRC_HARD - 6 of them. */
    w->rc = buf_reserve(w->out, n * 6 + 7 * (n / 64 + 1));
    if (w->rc != CUR_OK)
        return;
    o = w->out->data + w->out->len;
    while (i < n) {
        unsigned char c = s[i];
        const char *rep = NULL;
        if (c == ' ') {
            *o++ = col >= SRC_SOFT ? '\n' : ' ';
            col = col >= SRC_SOFT ? 0 : col + 1;
            i++;
            continue;
        }
        if (wbr && col >= SRC_HARD && (c & 0xC0) != 0x80) {
            memcpy(o, "<wbr\n>", 6);
            o += 6;
            col = 1;
        }
        if (esc_extra[c]) {
            switch (c) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            default: rep = "&#39;"; break;
            }
            memcpy(o, rep, 1u + esc_extra[c]);
            o += 1u + esc_extra[c];
            col += 1u + esc_extra[c];
            i++;
            continue;
        }
        /* A run of bytes as they are (spaces too while no line break
         * is due), up to where a <wbr> may be due. */
        size_t lim = !wbr ? n : col >= SRC_HARD ? i + 1
                                                : i + (SRC_HARD - col);
        size_t j = i + 1;
        while (j < n && j < lim
               && (plain_byte(s[j])
                   || (s[j] == ' ' && col + (j - i) < SRC_SOFT)))
            j++;
        memcpy(o, s + i, j - i);
        o += j - i;
        col += j - i;
        i = j;
    }
    *o = '\0';
    w->out->len = (size_t)(o - w->out->data);
    w->col = col;
}

/* Clean untrusted 's' into the scratch field: is anything left? */
static int
hw_clean(struct hw *w, const char *s, size_t max)
{
    buf_reset(&w->tmp);
    if (w->rc == CUR_OK)
        w->rc = clean_append(&w->tmp, s, max);
    return w->rc == CUR_OK && w->tmp.len > 0;
}

/* Untrusted text, cleaned and escaped. */
static void
hw_text(struct hw *w, const char *s, size_t max)
{
    hw_clean(w, s, max);
    hw_flush(w, 1);
}

/* '<open>text</close>' for untrusted text that is not empty once
 * cleaned. */
static void
hw_block(struct hw *w, const char *open, const char *s, size_t max,
         const char *close)
{
    if (!hw_clean(w, s, max))
        return;
    hw_raw(w, open);
    hw_flush(w, 1);
    hw_raw(w, close);
}

/* Does sanitised HTML show anything: text or an image? */
static int
html_visible(const char *h)
{
    int in_tag = 0;

    for (; *h; h++) {
        if (*h == '<') {
            in_tag = 1;
            if (strncmp(h, "<img", 4) == 0)
                return 1;
        } else if (*h == '>') {
            in_tag = 0;
        } else if (!in_tag && (unsigned char)*h > 0x20) {
            return 1;
        }
    }
    return 0;
}

/* Escaped length of a URL in an attribute. */
static size_t
href_len(const char *u)
{
    const unsigned char *p = (const unsigned char *)u;
    size_t n = 0;

    for (; *p; p++)
        n += esc_extra[*p];
    return n + (size_t)(p - (const unsigned char *)u);
}

/* May 'u' go in an href? */
static int
href_ok(const char *u)
{
    return url_ok(u, DIGEST_RENDER_URL_MAX)
        && href_len(u) <= DIGEST_RENDER_HREF_MAX;
}

/* Append 's' escaped at 'o'; returns the end. */
static char *
put_escaped(char *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (;;) {
        const unsigned char *run = p;
        while (*p && esc_extra[*p] == 0)
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        switch (*p) {
        case '\0': return o;
        case '&': memcpy(o, "&amp;", 5); break;
        case '"': memcpy(o, "&quot;", 6); break;
        case '\'': memcpy(o, "&#39;", 5); break;
        case '<': memcpy(o, "&lt;", 4); break;
        default: memcpy(o, "&gt;", 4); break;
        }
        o += 1 + esc_extra[*p++];
    }
}

/* ' href="u">' closing a start tag of ours; 'u' passed href_ok(). The
 * attribute starts a line of its own when it would not fit this one. */
static void
hw_href(struct hw *w, const char *u)
{
    size_t n = href_len(u);
    char *o;

    if (w->rc != CUR_OK || (w->rc = buf_reserve(w->out, n + 10)) != CUR_OK)
        return;
    o = w->out->data + w->out->len;
    if (w->col + n + 9 > SRC_HARD) {
        *o++ = '\n';
        w->col = 0;
    } else {
        *o++ = ' ';
        w->col++;
    }
    memcpy(o, "href=\"", 6);
    o = put_escaped(o + 6, u);
    memcpy(o, "\">", 2);
    o += 2;
    *o = '\0';
    w->col += n + 8;
    w->out->len = (size_t)(o - w->out->data);
}

/* '<a style="style" href="u">label</a>'; 'u' passed href_ok(), 'style'
 * and 'label' are ours. */
#define hw_link(w, style, u, label) \
    do { \
        HW_LIT((w), "<a style=\"" style "\""); \
        hw_href((w), (u)); \
        HW_LIT((w), label "</a>"); \
    } while (0)

/* Is a C1 control (which the sanitiser lets through) at p? */
static int
c1_at(const char *p)
{
    return (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] >= 0x80
        && (unsigned char)p[1] <= 0x9F;
}

/* Bytes of the attribute starting at p, up to the space or '>' after
 * it (outside quotes). */
static size_t
attr_len(const char *p)
{
    size_t n = 0;
    int quote = 0;

    for (; p[n] && (quote || (p[n] != ' ' && p[n] != '>')); n++)
        if (p[n] == '"')
            quote = !quote;
    return n;
}

/* Copy sanitised HTML 'h' into the output with its lines kept short:
 * breaks go between attributes, before a start tag's '>', at spaces in
 * text outside <pre>, or inside a "<wbr\n>" in a long word. Images get
 * an inline max-width; C1 controls go, tabs become spaces. Returns 0,
 * or -1 (output unchanged) when a line would still be too long: an
 * attribute value longer than a line. */
static int
hw_copy_html(struct hw *w, const char *h)
{
    static const char img_style[] = "style=\"max-width:100%;height:auto;\"";
    size_t start = w->out->len, col = w->col, n = strlen(h), imgs = 0;
    int pre = 0;
    char *o;

    for (const char *p = h; (p = strstr(p, "<img")) != NULL; p++)
        imgs++;
    /* Each byte may need a "<wbr\n>" before it; images their style. */
    if (w->rc != CUR_OK
        || (w->rc = buf_reserve(w->out, n * 7 + imgs * sizeof img_style
                                        + 1)) != CUR_OK)
        return 0;
    o = w->out->data + start;
    for (size_t i = 0; i < n;) {
        if (h[i] == '<') {
            size_t name = i + 1 + (h[i + 1] == '/'), j = name;
            int end_tag = h[i + 1] == '/', quote = 0;
            while (h[j] && h[j] != '>' && h[j] != ' ')
                j++;
            size_t nl = j - name;
            int is_img = !end_tag && nl == 3 && strncmp(h + name, "img", 3)
                                                  == 0;
            if (nl == 3 && strncmp(h + name, "pre", 3) == 0)
                pre += end_tag ? (pre > 0 ? -1 : 0) : 1;
            for (; i < n; i++) {
                char c = h[i] == '\t' ? ' ' : h[i];
                if (c1_at(h + i)) {
                    i++;
                    continue;
                }
                if (c == '"')
                    quote = !quote;
                if (!quote && c == '>' && is_img) {
                    *o++ = col >= SRC_SOFT ? '\n' : ' ';
                    col = col >= SRC_SOFT ? 0 : col + 1;
                    memcpy(o, img_style, sizeof img_style - 1);
                    o += sizeof img_style - 1;
                    col += sizeof img_style - 1;
                }
                if (!quote && c == ' '
                    && (col >= SRC_SOFT
                        || col + attr_len(h + i + 1) >= SRC_HARD)) {
                    *o++ = '\n';
                    col = 0;
                } else {
                    *o++ = c;
                    col++;
                }
                if (col > DIGEST_RENDER_LINE_MAX)
                    goto too_long;
                if (!quote && c == '>') {
                    i++;
                    break;
                }
            }
            continue;
        }
        /* Text up to the next tag. */
        int ref = 0;
        for (; i < n && h[i] != '<'; i++) {
            unsigned char c = h[i] == '\t' ? ' ' : (unsigned char)h[i];
            if (c1_at(h + i)) {
                i++;
                continue;
            }
            if (c == '\n') {
                *o++ = '\n';
                col = 0;
                continue;
            }
            if (c == ' ' && !pre && col >= SRC_SOFT) {
                *o++ = '\n';
                col = 0;
                continue;
            }
            if (c == '&')
                ref = 1;
            if (!ref && col >= SRC_HARD && (c & 0xC0) != 0x80) {
                memcpy(o, "<wbr\n>", 6);
                o += 6;
                col = 1;
            }
            if (c == ';')
                ref = 0;
            *o++ = (char)c;
            col++;
            if (col > DIGEST_RENDER_LINE_MAX)
                goto too_long;
        }
    }
    *o = '\0';
    w->out->len = (size_t)(o - w->out->data);
    w->col = col;
    return 0;
too_long:
    w->out->len = start;
    w->out->data[start] = '\0';
    return -1;
}

/* Cut the canonical sanitised HTML 'h' after about SNIP_HTML_MAX bytes
 * of text, on a space in text when there is one, and put "..." there:
 * sanitize_html() closes what the cut left open. Into 'b'. */
static int
cut_html(const char *h, struct buf *b)
{
    size_t i = 0, text = 0;
    int in_tag = 0, quote = 0, ref = 0;

    buf_reset(b);
    for (; h[i]; i++) {
        char c = h[i];
        if (in_tag) {
            if (c == '"')
                quote = !quote;
            else if (c == '>' && !quote)
                in_tag = 0;
            continue;
        }
        if (c == '<') {
            /* A tag that starts past the input budget is not read. */
            if (i >= SNIP_IN_MAX)
                break;
            in_tag = 1;
            continue;
        }
        if (ref) {
            ref = c != ';';
            continue;
        }
        /* Here a character starts: a place the cut may go. */
        if (((unsigned char)c & 0xC0) != 0x80
            && ((text >= SNIP_HTML_MAX && c == ' ')
                || text >= SNIP_HTML_MAX + 80 || i >= SNIP_IN_MAX))
            break;
        ref = c == '&';
        text++;
    }
    if (buf_append(b, h, i) != CUR_OK)
        return CUR_ENOMEM;
    if (h[i] != '\0' && buf_puts(b, "...") != CUR_OK)
        return CUR_ENOMEM;
    return CUR_OK;
}

/* The snippet as mail-sanitised HTML with its images, or -1 when it
 * cannot be had (then the plain one is used). */
static int
hw_snippet_html(struct hw *w, const struct digest_doc *d,
                const struct digest_entry *e)
{
    struct sanitize_opts o;
    struct buf cut;
    char *safe = NULL;
    int rc, ret = -1;

    buf_init(&cut, 0);
    rc = cut_html(e->snippet_html, &cut);
    if (rc == CUR_OK) {
        sanitize_opts_init(&o, SANITIZE_MAIL);
        o.remote_images = 1;
        o.max_data_image = 0;   /* long lines, and poorly shown in mail */
        o.tracking_hosts = d->tracking_hosts;
        rc = sanitize_html(cut.data ? cut.data : "", cut.len, &o, &safe);
    }
    buf_free(&cut);
    if (rc != CUR_OK) {
        if (rc == CUR_ENOMEM)
            w->rc = rc;
        return -1;
    }
    if (html_visible(safe)) {
        size_t mark = w->out->len, col = w->col;
        HW_LIT(w, "\n<div style=\"margin:10px 0 0\">\n");
        if (w->rc == CUR_OK && hw_copy_html(w, safe) == 0) {
            HW_LIT(w, "\n</div>");
            ret = 0;
        } else if (w->rc == CUR_OK) {
            w->out->len = mark;
            w->out->data[mark] = '\0';
            w->col = col;
        }
    } else {
        ret = 0;    /* nothing to show either way */
    }
    free(safe);
    return ret;
}

static void
hw_snippet(struct hw *w, const struct digest_doc *d,
           const struct digest_entry *e)
{
    size_t mark = w->out->len;

    if (d->remote_images && e->snippet_html && e->snippet_html[0]
        && hw_snippet_html(w, d, e) == 0)
        return;
    /* What follows starts a line of its own, so it reads the same
     * wherever the line before ended: kept with 'at' 0. */
    if (w->rc != CUR_OK
        || cache_use(d->cache, e, PART_HTML, 0, w->out, &w->col, &w->rc))
        return;
    buf_reset(&w->tmp);
    if (w->rc == CUR_OK)
        w->rc = snippet_append(&w->tmp, e, SNIP_HTML_MAX, 1);
    if (w->rc == CUR_OK && w->tmp.len > 0) {
        HW_LIT(w, "\n<div style=\"margin:10px 0 0\">");
        hw_flush(w, 1);
        HW_LIT(w, "</div>");
    }
    if (w->rc == CUR_OK)
        cache_keep(d->cache, e, PART_HTML, 0, w->out->data + mark,
                   w->out->len - mark, w->col);
}

/* The feed, the reason and the "also in" feeds: a line each, in one
 * muted block. */
static void
hw_meta(struct hw *w, const struct digest_entry *e)
{
    const struct {
        const char *text, *label;
        size_t cap;
    } line[] = {
        { e->feed, "", CAP_NAME },
        { e->reason, "Why: ", CAP_LINE },
        { e->also_in, "Also in: ", CAP_LINE },
    };
    int open = 0;

    for (size_t i = 0; i < sizeof line / sizeof line[0]; i++) {
        if (!hw_clean(w, line[i].text, line[i].cap))
            continue;
        if (open)
            HW_LIT(w, "<br>\n");
        else
            HW_LIT(w, "\n<div style=\"" MUTED "\">");
        hw_raw(w, line[i].label);
        hw_flush(w, 1);
        open = 1;
    }
    if (open)
        HW_LIT(w, "</div>");
}

static void
hw_entry(struct hw *w, const struct digest_doc *d,
         const struct digest_entry *e)
{
    int up = href_ok(e->up_url), down = href_ok(e->down_url);
    int link = href_ok(e->link), note, editor;

    HW_LIT(w, "\n<div style=\"margin:0 0 28px\">\n"
              "<div style=\"font-size:18px;font-weight:bold;"
              "line-height:1.35\">");
    if (link) {
        HW_LIT(w, "<a style=\"color:#0b57d0;text-decoration:none\"");
        hw_href(w, e->link);
    }
    if (hw_clean(w, e->title, CAP_TITLE))
        hw_flush(w, 1);
    else
        HW_LIT(w, "(untitled)");
    hw_raw(w, link ? "</a></div>" : "</div>");
    hw_meta(w, e);
    note = hw_clean(w, e->gem_note, CAP_NOTE);
    editor = hw_clean(w, e->gem_editor, CAP_NAME);
    if (note || editor) {
        HW_LIT(w, "\n<div style=\"margin:10px 0 0;padding:8px 12px;"
                  "background-color:#fff8c5;border-left:4px solid #bf8700;"
                  "color:#1f2328\"><strong>Editor's pick");
        if (editor) {
            HW_LIT(w, " by ");
            hw_flush(w, 1);
        }
        hw_raw(w, note ? ":</strong> " : "</strong>");
        if (note)
            hw_text(w, e->gem_note, CAP_NOTE);
        HW_LIT(w, "</div>");
    }
    hw_snippet(w, d, e);
    if (up || down) {
        HW_LIT(w, "\n<div style=\"margin:12px 0 0;font-size:14px\">\n");
        if (up)
            hw_link(w, BUTTON, e->up_url, "\xf0\x9f\x91\x8d More like this");
        if (up && down)
            HW_LIT(w, "\n");
        if (down)
            hw_link(w, BUTTON, e->down_url,
                    "\xf0\x9f\x91\x8e Less like this");
        HW_LIT(w, "\n</div>");
    }
    HW_LIT(w, "\n</div>");
}

static void
hw_count(struct hw *w, int n, const char *what, int *first)
{
    char line[160];

    if (n <= 0)
        return;
    hw_raw(w, *first ? "\n<p style=\"margin:24px 0 0;font-size:14px;"
                       "color:#57606a\">"
                     : "<br>\n");
    snprintf(line, sizeof line, "%d more item%s %s", n, n == 1 ? "" : "s",
             what);
    hw_raw(w, line);
    *first = 0;
}

/* The footer's links, separated by middle dots. */
static void
hw_footer_link(struct hw *w, const char *u, const char *label, int *n)
{
    if (!href_ok(u))
        return;
    if (*n > 0)
        HW_LIT(w, " \xc2\xb7");
    HW_LIT(w, "\n");
    HW_LIT(w, "<a style=\"color:#57606a;text-decoration:underline\"");
    hw_href(w, u);
    hw_raw(w, label);
    HW_LIT(w, "</a>");
    (*n)++;
}

int
digest_render_html(const struct digest_doc *d, struct buf *out)
{
    struct hw w = { .out = out, .rc = CUR_OK };
    const char *title;
    int first = 1, links = 0;

    if (d == NULL || out == NULL)
        return CUR_EINVAL;
    /* Appending: the line already started counts. */
    while (w.col < out->len && out->data[out->len - w.col - 1] != '\n')
        w.col++;
    buf_init(&w.tmp, 0);
    title = hw_clean(&w, d->title, CAP_TITLE) ? d->title
                                              : "Your Curator digest";
    HW_LIT(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
               "<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, "
               "initial-scale=1\">\n"
               "<meta name=\"color-scheme\" content=\"light\">\n"
               "<title>");
    hw_clean(&w, title, CAP_HEAD);
    hw_flush(&w, 0);
    HW_LIT(&w, "</title>\n</head>\n"
               "<body style=\"margin:0;padding:0;"
               "background-color:#f3f4f6\">\n"
               "<div style=\"max-width:640px;margin:0 auto;"
               "padding:24px 16px;background-color:#ffffff;color:#1f2328;"
               "font-family:" FONT ";font-size:16px;line-height:1.5;"
               "overflow-wrap:break-word;word-wrap:break-word\">\n"
               "<h1 style=\"margin:0 0 16px;font-size:24px;"
               "line-height:1.25\">");
    hw_text(&w, title, CAP_TITLE);
    HW_LIT(&w, "</h1>");
    hw_block(&w, "\n<p style=\"margin:0 0 16px\">Hello ", d->user_name,
             CAP_NAME, ",</p>");
    if (!has_entries(d))
        HW_LIT(&w, "\n<p style=\"margin:16px 0\">Nothing new above your "
                   "threshold today.</p>");
    for (size_t i = 0; i < d->n_sections && w.rc == CUR_OK; i++) {
        const struct digest_section *sec = &d->sections[i];
        if (sec->n == 0)
            continue;
        hw_block(&w, "\n<h2 style=\"margin:32px 0 16px;padding:0 0 4px;"
                     "border-bottom:1px solid #d0d7de;font-size:20px;"
                     "line-height:1.3\">", sec->heading, CAP_NAME,
                 "</h2>");
        for (size_t k = 0; k < sec->n && w.rc == CUR_OK; k++)
            hw_entry(&w, d, &sec->entries[k]);
    }
    hw_count(&w, d->n_below_threshold, "scored below your threshold.",
             &first);
    hw_count(&w, d->n_over_cap, "did not fit in this digest.", &first);
    if (!first)
        HW_LIT(&w, "</p>");
    if (href_ok(d->web_url) || href_ok(d->feed_url)
        || href_ok(d->settings_url) || href_ok(d->unsubscribe_url)) {
        HW_LIT(&w, "\n<p style=\"margin:24px 0 0;padding:12px 0 0;"
                   "border-top:1px solid #d0d7de;font-size:13px;"
                   "color:#57606a\">");
        hw_footer_link(&w, d->web_url, "Read it on the web", &links);
        hw_footer_link(&w, d->feed_url, "Your private feed", &links);
        hw_footer_link(&w, d->settings_url, "Digest settings", &links);
        hw_footer_link(&w, d->unsubscribe_url, "Unsubscribe", &links);
        HW_LIT(&w, "\n</p>");
    }
    HW_LIT(&w, "\n</div>\n</body>\n</html>\n");
    buf_free(&w.tmp);
    if (w.rc != CUR_OK)
        buf_free(out);
    return w.rc;
}
