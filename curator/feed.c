/* The feed model: allocation and release. */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

struct item *
feed_add_item(struct feed *f)
{
    struct item *items = realloc(f->items, (f->n_items + 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    f->items = items;
    memset(&items[f->n_items], 0, sizeof items[0]);
    return &items[f->n_items++];
}

void
item_clear(struct item *it)
{
    free(it->guid);
    free(it->title);
    free(it->link);
    free(it->author);
    free(it->summary);
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
    free(f->title);
    free(f->link);
    free(f->description);
    free(f);
}
