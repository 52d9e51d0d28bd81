/* struct feed -> JSON Feed 1.1 with jansson. */
#include "feed_json.h"
#include "date.h"
#include "sanitize.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void
put_str(json_t *o, const char *key, const char *value)
{
    if (value && value[0])
        json_object_set_new(o, key, json_string(value));
}

static void
put_date(json_t *o, const char *key, long long t)
{
    char buf[32];
    if (t)
        json_object_set_new(o, key, json_string(date_format(t, buf,
                                                            sizeof buf)));
}

/* [{"name", "url"}]; NULL when there is nobody with either. */
static json_t *
authors(const struct person *p, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *a = json_object();
        put_str(a, "name", p[i].name ? p[i].name : p[i].email);
        put_str(a, "url", p[i].uri);
        if (json_object_size(a))
            json_array_append_new(list, a);
        else
            json_decref(a);
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *
feed_json_item(const struct item *it)
{
    json_t *o = json_object(), *ext = json_object();
    const char *content = it->content_html ? it->content_html
                                           : it->summary_html;
    int is_text = it->content_html ? it->content_is_text
                                   : it->summary_is_text;

    put_str(o, "id", it->id ? it->id : it->guid);
    put_str(o, "url", it->link);
    put_str(o, "external_url", it->external_url);
    put_str(o, "title", it->title);
    put_str(o, is_text ? "content_text" : "content_html", content);
    if (it->content_html && it->summary_html) {
        /* The summary in plain text, when it is not the content. */
        char *plain = it->summary_is_text ? strdup(it->summary_html)
                                          : sanitize_text(it->summary_html,
                                                          1 << 20);
        if (plain) {
            sanitize_squeeze(plain, 1 << 20);
            if (strcmp(it->summary_html, it->content_html) != 0)
                put_str(o, "summary", plain);
            free(plain);
        }
    }
    put_str(o, "image", it->image);
    put_date(o, "date_published", it->published);
    put_date(o, "date_modified", it->updated);
    json_t *a = authors(it->authors, it->n_authors);
    if (a)
        json_object_set_new(o, "authors", a);
    if (it->n_tags) {
        json_t *tags = json_array();
        for (size_t i = 0; i < it->n_tags; i++)
            json_array_append_new(tags, json_string(it->tags[i]));
        json_object_set_new(o, "tags", tags);
    }
    put_str(o, "language", it->language);
    if (it->n_enclosures) {
        json_t *att = json_array();
        for (size_t i = 0; i < it->n_enclosures; i++) {
            const struct enclosure *e = &it->enclosures[i];
            json_t *x = json_object();
            put_str(x, "url", e->url);
            put_str(x, "mime_type", e->type);
            if (e->length)
                json_object_set_new(x, "size_in_bytes",
                                    json_integer(e->length));
            if (e->duration)
                json_object_set_new(x, "duration_in_seconds",
                                    json_integer(e->duration));
            json_array_append_new(att, x);
        }
        json_object_set_new(o, "attachments", att);
    }
    put_str(ext, "summary_html", it->summary_html);
    json_t *emails = json_array();
    for (size_t i = 0; i < it->n_authors; i++)
        if (it->authors[i].email)
            json_array_append_new(emails, json_string(it->authors[i].email));
    if (json_array_size(emails))
        json_object_set_new(ext, "author_emails", emails);
    else
        json_decref(emails);
    put_str(ext, "comments", it->comments);
    put_str(ext, "source_title", it->source_title);
    put_str(ext, "source_url", it->source_url);
    if (it->n_extensions) {
        json_t *x = json_array();
        for (size_t i = 0; i < it->n_extensions; i++) {
            const struct extension *e = &it->extensions[i];
            json_t *one = json_object();
            put_str(one, "namespace", e->ns);
            put_str(one, "name", e->name);
            put_str(one, "value", e->value);
            json_array_append_new(x, one);
        }
        json_object_set_new(ext, "extensions", x);
    }
    if (json_object_size(ext))
        json_object_set_new(o, "_curator", ext);
    else
        json_decref(ext);
    return o;
}

json_t *
feed_json_feed(const struct feed *f)
{
    static const char *const formats[] = { "unknown", "rss", "rdf", "atom",
                                           "json" };
    json_t *o = json_object(), *ext = json_object();

    json_object_set_new(o, "version",
                        json_string("https://jsonfeed.org/version/1.1"));
    put_str(o, "title", f->title);
    put_str(o, "home_page_url", f->link);
    put_str(o, "feed_url", f->feed_url);
    put_str(o, "description", f->description);
    put_str(o, "icon", f->logo ? f->logo : f->icon);
    if (f->logo)
        put_str(o, "favicon", f->icon);
    put_str(o, "language", f->language);
    json_t *a = authors(f->authors, f->n_authors);
    if (a)
        json_object_set_new(o, "authors", a);
    json_object_set_new(ext, "format", json_string(formats[f->format]));
    put_str(ext, "format_version", f->format_version);
    put_str(ext, "rights", f->rights);
    put_str(ext, "generator", f->generator);
    put_date(ext, "updated", f->updated);
    put_str(ext, "hub", f->hub);
    if (f->ttl)
        json_object_set_new(ext, "ttl", json_integer(f->ttl));
    json_object_set_new(ext, "recovered", json_boolean(f->recovered));
    if (f->n_problems) {
        json_t *p = json_array();
        for (size_t i = 0; i < f->n_problems; i++)
            json_array_append_new(p, json_string(f->problems[i]));
        json_object_set_new(ext, "problems", p);
    }
    json_object_set_new(o, "_curator", ext);
    return o;
}

int
feed_json_write(FILE *out, const struct feed *f)
{
    json_t *o = feed_json_feed(f), *items = json_array();
    for (size_t i = 0; i < f->n_items; i++)
        json_array_append_new(items, feed_json_item(&f->items[i]));
    json_object_set_new(o, "items", items);
    int rc = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER
                        | JSON_ENSURE_ASCII * 0);
    json_decref(o);
    if (rc == 0 && fputc('\n', out) == EOF)
        rc = -1;
    return rc;
}
