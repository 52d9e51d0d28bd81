/* The feed model: allocation, problems and release. */
#include "feed.h"
#include "sanitize.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char *copy = strdup(msg);
    char **slot = copy ? grow((void **)&f->problems, &f->n_problems,
                              sizeof *f->problems) : NULL;
    if (slot == NULL)
        free(copy);
    else
        *slot = copy;
}

int
feed_fill_text(struct feed *f, size_t max)
{
    for (size_t i = 0; i < f->n_items; i++) {
        struct item *it = &f->items[i];
        const char *src = it->content_html ? it->content_html
                                           : it->summary_html;
        int is_text = it->content_html ? it->content_is_text
                                       : it->summary_is_text;
        free(it->text);
        if (src == NULL)
            it->text = strdup("");
        else if (is_text && (it->text = strdup(src)) != NULL)
            sanitize_squeeze(it->text, max);
        else
            it->text = sanitize_text(src, max);
        if (it->text == NULL)
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
