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

static void
person_clear(struct person *p)
{
    free(p->name);
    free(p->email);
    free(p->uri);
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
    for (size_t i = 0; i < it->n_authors; i++)
        person_clear(&it->authors[i]);
    free(it->authors);
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
    for (size_t i = 0; i < f->n_authors; i++)
        person_clear(&f->authors[i]);
    free(f->authors);
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
    free(f);
}
