/* JSON Feed 1.0 and 1.1 (jsonfeed.org) with jansson into struct feed. */
#include "parse_int.h"
#include "date.h"
#include "err.h"
#include "sanitize.h"

#include <jansson.h>
#include <libxml/uri.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *
str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *
dup_plain(const char *s, size_t max)
{
    if (s == NULL)
        return NULL;
    char *p = strdup(s);
    if (p) {
        sanitize_squeeze(p, max);
        if (p[0] == '\0') {
            free(p);
            p = NULL;
        }
    }
    return p;
}

static char *
dup_cut(const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0')
        return NULL;
    char *p = strdup(s);
    if (p)
        parse_cut_utf8(p, max);
    return p;
}

/* Absolute http(s) URL, resolved against the document's URL. */
static char *
url(const char *s, const char *base)
{
    if (s == NULL)
        return NULL;
    xmlChar *abs = xmlBuildURI((const xmlChar *)s, (const xmlChar *)base);
    const char *u = abs ? (const char *)abs : s;
    char *out = NULL;
    if ((strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0)
        && !strpbrk(u, " \t\r\n"))
        out = strdup(u);
    xmlFree(abs);
    return out;
}

static long long
date(const char *s)
{
    long long t;
    return s && date_parse(s, &t) == CUR_OK ? t : 0;
}

/* "author" (1.0) and "authors" (1.1) objects. */
static int
people(const json_t *obj, const char *base, struct person **v, size_t *n)
{
    const json_t *list = json_object_get(obj, "authors");
    const json_t *one = json_object_get(obj, "author");
    size_t count = json_is_array(list) ? json_array_size(list) : 0;
    for (size_t i = 0; i < count + (json_is_object(one) && count == 0); i++) {
        const json_t *a = i < count ? json_array_get(list, i) : one;
        if (!json_is_object(a))
            continue;
        char *name = dup_plain(str(a, "name"), 256);
        char *uri = url(str(a, "url"), base);
        if (name == NULL && uri == NULL)
            continue;
        struct person *p = feed_add_person(v, n);
        if (p == NULL) {
            free(name);
            free(uri);
            return -1;
        }
        p->name = name;
        p->uri = uri;
    }
    return 0;
}

static int
read_item(const json_t *j, const struct parse_opts *o, struct item *it)
{
    const char *base = o->base_url;
    const json_t *id = json_object_get(j, "id");
    char num[64];

    if (json_is_string(id))
        it->id = dup_cut(json_string_value(id), o->max_title);
    else if (json_is_integer(id)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(id));
        it->id = strdup(num);
    }
    it->link = url(str(j, "url"), base);
    it->external_url = url(str(j, "external_url"), base);
    it->title = dup_plain(str(j, "title"), o->max_title);
    const char *html = str(j, "content_html"), *text = str(j, "content_text");
    if (html && html[0]) {
        it->content_html = dup_cut(html, o->max_content);
    } else if (text && text[0]) {
        it->content_html = dup_cut(text, o->max_content);
        it->content_is_text = 1;
    }
    if (str(j, "summary")) {
        it->summary_html = dup_cut(str(j, "summary"), o->max_content);
        it->summary_is_text = 1;
    }
    it->image = url(str(j, "image"), base);
    if (it->image == NULL)
        it->image = url(str(j, "banner_image"), base);
    it->published = date(str(j, "date_published"));
    it->updated = date(str(j, "date_modified"));
    it->language = dup_plain(str(j, "language"), 64);
    if (people(j, base, &it->authors, &it->n_authors) != 0)
        return -1;
    const json_t *tags = json_object_get(j, "tags");
    for (size_t i = 0; json_is_array(tags) && i < json_array_size(tags);
         i++) {
        const json_t *t = json_array_get(tags, i);
        char *tag = json_is_string(t) ? dup_plain(json_string_value(t), 256)
                                      : NULL;
        if (tag && item_add_tag(it, tag) != 0) {
            free(tag);
            return -1;
        }
        free(tag);
    }
    const json_t *att = json_object_get(j, "attachments");
    for (size_t i = 0; json_is_array(att) && i < json_array_size(att); i++) {
        const json_t *a = json_array_get(att, i);
        char *u = json_is_object(a) ? url(str(a, "url"), base) : NULL;
        if (u == NULL)
            continue;
        struct enclosure *e = item_add_enclosure(it);
        if (e == NULL) {
            free(u);
            return -1;
        }
        e->url = u;
        e->type = dup_plain(str(a, "mime_type"), 128);
        const json_t *size = json_object_get(a, "size_in_bytes");
        const json_t *dur = json_object_get(a, "duration_in_seconds");
        /* Below 2^63, or the conversion is undefined. */
        if (json_is_number(size) && json_number_value(size) > 0
            && json_number_value(size) < 9223372036854775807.0)
            e->length = (long long)json_number_value(size);
        if (json_is_number(dur) && json_number_value(dur) > 0
            && json_number_value(dur) < 9223372036854775807.0)
            e->duration = (long long)json_number_value(dur);
    }
    return parse_finish_identity(it);
}

int
parse_json_feed(const char *body, size_t len, const struct parse_opts *o,
                struct feed **out, char *err, size_t errlen)
{
    json_error_t je;
    struct feed *f = NULL;
    int rc = CUR_ENOMEM;

    *out = NULL;
    /* Reject duplicate keys and NUL in strings: both hide content. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "%d:%d: not valid JSON: %s", je.line,
                 je.column, je.text);
        return CUR_EPARSE;
    }
    const char *version = str(root, "version");
    if (!json_is_object(root) || version == NULL
        || strncmp(version, "https://jsonfeed.org/version/1", 30) != 0) {
        snprintf(err, errlen, "JSON document is not a JSON Feed (no "
                 "\"version\": \"https://jsonfeed.org/version/1...\")");
        json_decref(root);
        return CUR_EUNSUPPORTED;
    }
    if ((f = calloc(1, sizeof *f)) == NULL)
        goto out;
    f->format = FEED_JSON;
    f->format_version = strdup(strcmp(version + 30, "") == 0 ? "1.0"
                               : version + 31);
    f->title = dup_plain(str(root, "title"), o->max_title);
    f->link = url(str(root, "home_page_url"), o->base_url);
    f->feed_url = url(str(root, "feed_url"), o->base_url);
    f->description = dup_plain(str(root, "description"), o->max_content);
    f->logo = url(str(root, "icon"), o->base_url);
    f->icon = url(str(root, "favicon"), o->base_url);
    f->language = dup_plain(str(root, "language"), 64);
    if (people(root, o->base_url, &f->authors, &f->n_authors) != 0)
        goto out;
    const json_t *hubs = json_object_get(root, "hubs");
    if (json_is_array(hubs) && json_array_size(hubs) > 0)
        f->hub = url(str(json_array_get(hubs, 0), "url"), o->base_url);
    const json_t *items = json_object_get(root, "items");
    if (!json_is_array(items)) {
        feed_problem(f, 0, 0, "\"items\" is missing or not a list");
        items = NULL;
    }
    size_t over = 0;
    for (size_t i = 0; items && i < json_array_size(items); i++) {
        const json_t *j = json_array_get(items, i);
        struct item it = { 0 };
        if (!json_is_object(j)) {
            feed_problem(f, 0, 0, "item %zu is not an object", i + 1);
            continue;
        }
        if (read_item(j, o, &it) != 0) {
            item_clear(&it);
            goto out;
        }
        if (f->n_items >= o->max_items) {
            over++;
            item_clear(&it);
            continue;
        }
        if (o->on_item && !o->on_item(o->on_item_ctx, f, &it)) {
            item_clear(&it);
            continue;
        }
        struct item *slot = feed_add_item(f);
        if (slot == NULL) {
            item_clear(&it);
            goto out;
        }
        *slot = it;
    }
    if (over)
        feed_problem(f, 0, 0, "%zu items over the limit of %zu were skipped",
                     over, o->max_items);
    rc = CUR_OK;
out:
    json_decref(root);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "out of memory");
        feed_free(f);
        return rc;
    }
    *out = f;
    return CUR_OK;
}
