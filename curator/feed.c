/* The feed model: allocation, problems and release. */
#include "feed.h"
#include "parse_int.h"
#include "sanitize.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Grow an array by one zeroed element; NULL when out of memory. */
static void *
grow(void **v, size_t *n, size_t size)
{
    char *p = realloc(*v, (*n + 1) * size);
    if (p == NULL)
        return NULL;
    *v = p;
    memset(p + *n * size, 0, size);
    return p + (*n)++ * size;
}

struct item *
feed_add_item(struct feed *f)
{
    return grow((void **)&f->items, &f->n_items, sizeof *f->items);
}

struct person *
feed_add_person(struct person **v, size_t *n)
{
    return grow((void **)v, n, sizeof **v);
}

struct enclosure *
item_add_enclosure(struct item *it)
{
    return grow((void **)&it->enclosures, &it->n_enclosures,
                sizeof *it->enclosures);
}

struct extension *
item_add_extension(struct item *it)
{
    return grow((void **)&it->extensions, &it->n_extensions,
                sizeof *it->extensions);
}

struct link *
feed_add_link(struct link **v, size_t *n)
{
    return grow((void **)v, n, sizeof **v);
}

struct category *
feed_add_category(struct category **v, size_t *n, const char *term,
                  const char *scheme, const char *label)
{
    char *t = strdup(term);
    char *s = scheme ? strdup(scheme) : NULL;
    char *l = label ? strdup(label) : NULL;
    struct category *c = NULL;
    if (t && (s || !scheme) && (l || !label))
        c = grow((void **)v, n, sizeof **v);
    if (c == NULL) {
        free(t);
        free(s);
        free(l);
        return NULL;
    }
    c->term = t;
    c->scheme = s;
    c->label = l;
    return c;
}

int
item_add_tag(struct item *it, const char *tag)
{
    for (size_t i = 0; i < it->n_tags; i++)
        if (strcmp(it->tags[i], tag) == 0)
            return 0;
    char *copy = strdup(tag);
    char **slot = copy ? grow((void **)&it->tags, &it->n_tags,
                              sizeof *it->tags) : NULL;
    if (slot == NULL) {
        free(copy);
        return -1;
    }
    *slot = copy;
    return 0;
}

void
feed_problem(struct feed *f, int line, int col, const char *fmt, ...)
{
    char msg[512];
    int n = line > 0 ? snprintf(msg, sizeof msg, "%d:%d: ", line, col) : 0;
    va_list ap;

    f->recovered = 1;
    if (f->n_problems >= FEED_MAX_PROBLEMS)
        return;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    parse_utf8_prefix(msg);
    char *copy = strdup(msg);
    char **slot = copy ? grow((void **)&f->problems, &f->n_problems,
                              sizeof *f->problems) : NULL;
    if (slot == NULL)
        free(copy);
    else
        *slot = copy;
}

/* The fullest content of an item, whether it is plain text, and the
 * base URL in effect where it was read. */
static const char *
item_content(const struct item *it, int *is_text, const char **base)
{
    if (it->content_html) {
        *is_text = it->content_is_text;
        *base = it->content_scope.base;
        return it->content_html;
    }
    *is_text = it->summary_is_text;
    *base = it->summary_scope.base;
    return it->summary_html;
}

static int
fill_text(struct item *it, size_t max)
{
    int is_text;
    const char *base, *src = item_content(it, &is_text, &base);

    free(it->text);
    if (src == NULL)
        it->text = strdup("");
    else if (is_text)
        it->text = sanitize_plain_lines(src, max);
    else
        it->text = sanitize_plain(src, base, max);
    return it->text ? 0 : -1;
}

int
feed_fill_text(struct feed *f, size_t max)
{
    for (size_t i = 0; i < f->n_items; i++)
        if (fill_text(&f->items[i], max) != 0)
            return -1;
    return 0;
}

int
feed_sanitize(struct feed *f, const struct sanitize_opts *o,
              size_t text_max)
{
    for (size_t i = 0; i < f->n_items; i++) {
        struct item *it = &f->items[i];
        struct sanitize_opts io = *o;
        int is_text;
        const char *base, *src = item_content(it, &is_text, &base);

        if (fill_text(it, text_max) != 0)
            return -1;
        /* Titles are plain text already; make sure of one line. */
        if (it->title)
            sanitize_squeeze(it->title, strlen(it->title));
        free(it->html);
        it->html = NULL;
        if (src == NULL)
            continue;
        if (is_text) {
            it->html = sanitize_text_html(src);
        } else {
            if (base && (strncasecmp(base, "http://", 7) == 0
                         || strncasecmp(base, "https://", 8) == 0))
                io.base_url = base;
            if (sanitize_html(src, strlen(src), &io, &it->html) != 0)
                it->html = NULL;
        }
        if (it->html == NULL)
            return -1;
    }
    return 0;
}

void
person_clear(struct person *p)
{
    free(p->name);
    free(p->email);
    free(p->uri);
    p->name = p->email = p->uri = NULL;
}

void
text_scope_clear(struct text_scope *s)
{
    free(s->lang);
    free(s->base);
    s->lang = s->base = NULL;
}

static void
people_free(struct person *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        person_clear(&v[i]);
    free(v);
}

static void
links_free(struct link *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].href);
        free(v[i].rel);
        free(v[i].type);
        free(v[i].title);
        free(v[i].hreflang);
    }
    free(v);
}

static void
categories_free(struct category *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].term);
        free(v[i].scheme);
        free(v[i].label);
    }
    free(v);
}

void
item_clear(struct item *it)
{
    free(it->guid);
    free(it->id);
    free(it->title);
    free(it->link);
    free(it->external_url);
    free(it->summary_html);
    free(it->content_html);
    free(it->image);
    free(it->comments);
    free(it->language);
    free(it->source_title);
    free(it->source_url);
    free(it->text);
    free(it->html);
    people_free(it->authors, it->n_authors);
    for (size_t i = 0; i < it->n_tags; i++)
        free(it->tags[i]);
    free(it->tags);
    for (size_t i = 0; i < it->n_enclosures; i++) {
        free(it->enclosures[i].url);
        free(it->enclosures[i].type);
    }
    free(it->enclosures);
    for (size_t i = 0; i < it->n_extensions; i++) {
        free(it->extensions[i].ns);
        free(it->extensions[i].name);
        free(it->extensions[i].value);
    }
    free(it->extensions);
    text_scope_clear(&it->title_scope);
    text_scope_clear(&it->summary_scope);
    text_scope_clear(&it->content_scope);
    free(it->rights);
    people_free(it->contributors, it->n_contributors);
    person_clear(&it->publisher);
    categories_free(it->categories, it->n_categories);
    links_free(it->links, it->n_links);
    feed_free(it->source);
    memset(it, 0, sizeof *it);
}

void
feed_drop_last_item(struct feed *f)
{
    if (f->n_items > 0)
        item_clear(&f->items[--f->n_items]);
}

void
feed_free(struct feed *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_items; i++)
        item_clear(&f->items[i]);
    free(f->items);
    people_free(f->authors, f->n_authors);
    for (size_t i = 0; i < f->n_problems; i++)
        free(f->problems[i]);
    free(f->problems);
    free(f->format_version);
    free(f->title);
    free(f->link);
    free(f->feed_url);
    free(f->description);
    free(f->language);
    free(f->icon);
    free(f->logo);
    free(f->rights);
    free(f->generator);
    free(f->hub);
    free(f->id);
    free(f->info);
    free(f->new_url);
    free(f->generator_uri);
    free(f->generator_version);
    text_scope_clear(&f->title_scope);
    text_scope_clear(&f->description_scope);
    text_scope_clear(&f->rights_scope);
    text_scope_clear(&f->info_scope);
    people_free(f->contributors, f->n_contributors);
    person_clear(&f->publisher);
    categories_free(f->categories, f->n_categories);
    links_free(f->links, f->n_links);
    free(f);
}
