/* struct feed -> JSON Feed 1.1 text. Written by hand rather than through
 * jansson's object tree: building and dumping a tree per item cost more
 * than parsing the feed did. Strings are already valid UTF-8 (feed.h). */
#include "feed_json.h"
#include "date.h"
#include "err.h"
#include "sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Writer state: the buffer, the nesting level and whether the current
 * object or array has a member yet. */
struct jw {
    struct buf *b;
    int level;
    int first[16];
    int rc;
};

/* Bytes that cannot appear raw in a JSON string. */
static const unsigned char needs_escape[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
    [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1,
    [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
    [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
    [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
    [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any byte of v is below 0x20, '"', '\\' or 0x7f (a NUL ends
 * the scan too, as it is below 0x20). */
static int
has_special(uint64_t v)
{
    uint64_t below = (v - ONES * 0x20) & ~v;
    uint64_t quote = v ^ (ONES * '"'), slash = v ^ (ONES * '\\');
    uint64_t del = v ^ (ONES * 0x7f);
    return (((below) | ((quote - ONES) & ~quote) | ((slash - ONES) & ~slash)
             | ((del - ONES) & ~del)) & HIGHS) != 0;
}

static void
raw(struct jw *w, const char *s, size_t n)
{
    if (w->rc == CUR_OK)
        w->rc = buf_append(w->b, s, n);
}

static void
string(struct jw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    const unsigned char *end = p + n;

    /* Worst case every byte becomes \u00XX: reserve once, then write
     * straight into the buffer. */
    if (w->rc != CUR_OK || n > (SIZE_MAX - 2) / 6
        || (w->rc = buf_reserve(w->b, 6 * n + 2)) != CUR_OK)
        return;
    char *o = w->b->data + w->b->len;
    *o++ = '"';
    while (p < end) {
        const unsigned char *run = p;
        /* Eight bytes at a time while none needs escaping. */
        while (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (has_special(v))
                break;
            p += 8;
        }
        while (p < end && !needs_escape[*p])
            p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == end)
            break;
        switch (*p) {
        case '"': memcpy(o, "\\\"", 2); o += 2; break;
        case '\\': memcpy(o, "\\\\", 2); o += 2; break;
        case '\n': memcpy(o, "\\n", 2); o += 2; break;
        case '\r': memcpy(o, "\\r", 2); o += 2; break;
        case '\t': memcpy(o, "\\t", 2); o += 2; break;
        default:
            o += snprintf(o, 7, "\\u%04x", *p);
        }
        p++;
    }
    *o++ = '"';
    *o = '\0';
    w->b->len = (size_t)(o - w->b->data);
}

static void
newline(struct jw *w)
{
    static const char spaces[] = "                                ";
    raw(w, "\n", 1);
    int n = 2 * w->level;
    raw(w, spaces, (size_t)(n < 32 ? n : 32));
}

/* Start a member (key may be NULL inside arrays). */
static void
member(struct jw *w, const char *key)
{
    if (!w->first[w->level])
        raw(w, ",", 1);
    w->first[w->level] = 0;
    newline(w);
    if (key) {
        string(w, key);
        raw(w, ": ", 2);
    }
}

static void
open_(struct jw *w, const char *key, char bracket)
{
    member(w, key);
    raw(w, &bracket, 1);
    if (w->level < 15)
        w->level++;
    w->first[w->level] = 1;
}

static void
close_(struct jw *w, char bracket)
{
    int empty = w->first[w->level];
    if (w->level > 0)
        w->level--;
    if (!empty)
        newline(w);
    raw(w, &bracket, 1);
}

static void
put_str(struct jw *w, const char *key, const char *value)
{
    if (value && value[0]) {
        member(w, key);
        string(w, value);
    }
}

static void
put_int(struct jw *w, const char *key, long long v)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", v);
    member(w, key);
    raw(w, num, (size_t)n);
}

static void
put_date(struct jw *w, const char *key, long long t)
{
    char buf[32];
    if (t)
        put_str(w, key, date_format(t, buf, sizeof buf));
}

static void
put_authors(struct jw *w, const struct person *p, size_t n)
{
    size_t shown = 0;
    for (size_t i = 0; i < n; i++)
        shown += (p[i].name || p[i].email || p[i].uri) != 0;
    if (shown == 0)
        return;
    open_(w, "authors", '[');
    for (size_t i = 0; i < n; i++) {
        if (!(p[i].name || p[i].email || p[i].uri))
            continue;
        open_(w, NULL, '{');
        put_str(w, "name", p[i].name ? p[i].name : p[i].email);
        put_str(w, "url", p[i].uri);
        close_(w, '}');
    }
    close_(w, ']');
}

static void
item(struct jw *w, const struct item *it)
{
    const char *content = it->content_html ? it->content_html
                                           : it->summary_html;
    int is_text = it->content_html ? it->content_is_text
                                   : it->summary_is_text;

    put_str(w, "id", it->id ? it->id : it->guid);
    put_str(w, "url", it->link);
    put_str(w, "external_url", it->external_url);
    put_str(w, "title", it->title);
    put_str(w, is_text ? "content_text" : "content_html", content);
    if (it->content_html && it->summary_html
        && strcmp(it->summary_html, it->content_html) != 0) {
        /* The summary in plain text, when it is not the content. */
        char *plain = it->summary_is_text ? strdup(it->summary_html)
                                          : sanitize_text(it->summary_html,
                                                          1 << 20);
        if (plain == NULL)
            w->rc = CUR_ENOMEM;
        else
            put_str(w, "summary", sanitize_squeeze(plain, 1 << 20));
        free(plain);
    }
    put_str(w, "image", it->image);
    put_date(w, "date_published", it->published);
    put_date(w, "date_modified", it->updated);
    put_authors(w, it->authors, it->n_authors);
    if (it->n_tags) {
        open_(w, "tags", '[');
        for (size_t i = 0; i < it->n_tags; i++) {
            member(w, NULL);
            string(w, it->tags[i]);
        }
        close_(w, ']');
    }
    put_str(w, "language", it->language);
    if (it->n_enclosures) {
        open_(w, "attachments", '[');
        for (size_t i = 0; i < it->n_enclosures; i++) {
            const struct enclosure *e = &it->enclosures[i];
            open_(w, NULL, '{');
            put_str(w, "url", e->url);
            put_str(w, "mime_type", e->type);
            if (e->length)
                put_int(w, "size_in_bytes", e->length);
            if (e->duration)
                put_int(w, "duration_in_seconds", e->duration);
            close_(w, '}');
        }
        close_(w, ']');
    }
    size_t emails = 0;
    for (size_t i = 0; i < it->n_authors; i++)
        emails += it->authors[i].email != NULL;
    if (!(it->summary_html || emails || it->comments || it->source_title
          || it->source_url || it->n_extensions))
        return;
    open_(w, "_curator", '{');
    put_str(w, "summary_html", it->summary_html);
    if (emails) {
        open_(w, "author_emails", '[');
        for (size_t i = 0; i < it->n_authors; i++) {
            if (it->authors[i].email) {
                member(w, NULL);
                string(w, it->authors[i].email);
            }
        }
        close_(w, ']');
    }
    put_str(w, "comments", it->comments);
    put_str(w, "source_title", it->source_title);
    put_str(w, "source_url", it->source_url);
    if (it->n_extensions) {
        open_(w, "extensions", '[');
        for (size_t i = 0; i < it->n_extensions; i++) {
            const struct extension *e = &it->extensions[i];
            open_(w, NULL, '{');
            put_str(w, "namespace", e->ns);
            put_str(w, "name", e->name);
            put_str(w, "value", e->value);
            close_(w, '}');
        }
        close_(w, ']');
    }
    close_(w, '}');
}

int
feed_json_item(struct buf *b, const struct item *it, int level)
{
    struct jw w = { .b = b, .level = level };
    w.first[level] = 1;
    open_(&w, NULL, '{');
    item(&w, it);
    close_(&w, '}');
    return w.rc;
}

static void
feed_members(struct jw *w, const struct feed *f)
{
    static const char *const formats[] = { "unknown", "rss", "rdf", "atom",
                                           "json" };
    put_str(w, "title", f->title);
    put_str(w, "home_page_url", f->link);
    put_str(w, "feed_url", f->feed_url);
    put_str(w, "description", f->description);
    put_str(w, "icon", f->logo ? f->logo : f->icon);
    if (f->logo)
        put_str(w, "favicon", f->icon);
    put_str(w, "language", f->language);
    put_authors(w, f->authors, f->n_authors);
    open_(w, "_curator", '{');
    put_str(w, "format", formats[f->format]);
    put_str(w, "format_version", f->format_version);
    put_str(w, "rights", f->rights);
    put_str(w, "generator", f->generator);
    put_date(w, "updated", f->updated);
    put_str(w, "hub", f->hub);
    if (f->ttl)
        put_int(w, "ttl", f->ttl);
    member(w, "recovered");
    raw(w, f->recovered ? "true" : "false", f->recovered ? 4 : 5);
    if (f->n_problems) {
        open_(w, "problems", '[');
        for (size_t i = 0; i < f->n_problems; i++) {
            member(w, NULL);
            string(w, f->problems[i]);
        }
        close_(w, ']');
    }
    close_(w, '}');
}

int
feed_json_feed_members(struct buf *b, const struct feed *f)
{
    struct jw w = { .b = b, .level = 1 };
    feed_members(&w, f);
    return w.rc;
}

int
feed_json_write(FILE *out, const struct feed *f)
{
    struct buf b;
    struct jw w = { .b = &b, .level = 0 };

    buf_init(&b, 0);
    w.first[0] = 1;
    raw(&w, "{", 1);
    w.level = 1;
    w.first[1] = 1;
    put_str(&w, "version", "https://jsonfeed.org/version/1.1");
    open_(&w, "items", '[');
    for (size_t i = 0; i < f->n_items; i++) {
        open_(&w, NULL, '{');
        item(&w, &f->items[i]);
        close_(&w, '}');
    }
    close_(&w, ']');
    feed_members(&w, f);
    w.level = 0;
    newline(&w);
    raw(&w, "}\n", 2);
    int rc = w.rc == CUR_OK && fwrite(b.data, 1, b.len, out) == b.len
             ? 0 : -1;
    buf_free(&b);
    return rc;
}
