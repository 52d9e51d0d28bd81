/* source: scores an item by the weight its user gave the item's feed.
 *
 * Weights run from 0 to 10 with 1 neutral. An item from a weighted feed
 * scores log2(weight) * scale (option, default 2), so weight 2 gives +2
 * and 0.5 gives -2. Weight 0 means "never from this source" and scores
 * -floor (option, default 10), which is also the lowest score any weight
 * gives; the item is pushed down, never excluded. A weight outside 0..10
 * or not finite is ignored, and of two weights for one feed the first
 * valid one counts.
 *
 * set_profile() keeps a sorted copy of each user's weights and indexes,
 * feed -> users, those above 1, so that add_item() names the users who
 * want items from the item's feed without looking at anyone else.
 * score() reads the profile view it is given; the copy is for want().
 */
#include "filter.h"
#include "hashmap.h"
#include "options.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_MAX_SCALE 100.0
#define SOURCE_MAX_FLOOR 1000.0

/* One user's valid weights, sorted by feed, one per feed. */
struct user {
    struct hm_id node;          /* first: id is the user id */
    struct curator_source_weight *w;
    size_t n;
};

/* The users who weighted one feed above 1. */
struct feed {
    struct hm_id node;          /* first: id is the feed id */
    long long *users;
    size_t n, cap;
};

struct source {
    double scale;
    double floor;
    struct hm_table users;
    struct hm_table feeds;
};

static int
valid_weight(double w)
{
    return isfinite(w) && w >= 0 && w <= 10;
}

/* The opinion of one weight: 0 for none. */
static double
weight_score(const struct source *s, double w)
{
    double v;

    if (w == 0)
        return -s->floor;
    v = log2(w) * s->scale;
    return v < -s->floor ? -s->floor : v;
}

static int
source_init(const struct curator_filter_option *opts, size_t n_opts,
            void **ctx, char *err, size_t errlen)
{
    struct source *s = calloc(1, sizeof *s);

    if (s == NULL)
        return opt_error(err, errlen, "out of memory");
    s->scale = 2.0;
    s->floor = 10.0;
    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";
        int rc;

        if (strcmp(key, "scale") == 0)
            rc = opt_number(key, value, 0, 0, SOURCE_MAX_SCALE, &s->scale,
                            err, errlen);
        else if (strcmp(key, "floor") == 0)
            rc = opt_number(key, value, 0, 0, SOURCE_MAX_FLOOR, &s->floor,
                            err, errlen);
        else
            rc = opt_unknown(key, err, errlen);
        if (rc != 0) {
            free(s);
            return -1;
        }
    }
    *ctx = s;
    return 0;
}

/* The first valid weight for 'feed_id' in an unsorted view, or NULL. */
static const struct curator_source_weight *
view_weight(const struct curator_source_weight *w, size_t n,
            long long feed_id)
{
    if (w == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (w[i].feed_id == feed_id && valid_weight(w[i].weight))
            return &w[i];
    return NULL;
}

static int
cmp_weight(const void *a, const void *b)
{
    const struct curator_source_weight *x = a, *y = b;
    return (x->feed_id > y->feed_id) - (x->feed_id < y->feed_id);
}

/* The weight for 'feed_id' in a stored (sorted) copy, or NULL. */
static const struct curator_source_weight *
stored_weight(const struct source *s, long long user_id, long long feed_id)
{
    const struct user *u = (const struct user *)hm_find_id(&s->users,
                                                           user_id);
    struct curator_source_weight key = { .feed_id = feed_id };

    if (u == NULL || u->n == 0)
        return NULL;
    return bsearch(&key, u->w, u->n, sizeof *u->w, cmp_weight);
}

static int
source_score(void *ctx, const struct curator_item *it,
             const struct curator_profile *who, double *score,
             int *exclude, struct curator_explain *why)
{
    const struct source *s = ctx;
    const struct curator_source_weight *w;
    double v;

    (void)exclude;
    *score = 0;
    /* The view is the truth; the stored copy serves only a host whose
     * view is too old to carry the weights. */
    if (who->size >= offsetof(struct curator_profile, n_sources)
                     + sizeof who->n_sources)
        w = view_weight(who->sources, who->n_sources, it->feed_id);
    else
        w = stored_weight(s, who->user_id, it->feed_id);
    if (w == NULL)
        return 0;
    v = weight_score(s, w->weight);
    if (v == 0)
        return 0;
    *score = v;
    curator_explain_add(why, v, "%s", v > 0 ? "you rated this source more"
                                            : "you rated this source less");
    return 0;
}

/* Sort index of a weight, so that the first of duplicates wins. */
struct ranked {
    struct curator_source_weight w;
    size_t i;
};

static int
cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->w.feed_id != y->w.feed_id)
        return (x->w.feed_id > y->w.feed_id) - (x->w.feed_id < y->w.feed_id);
    return (x->i > y->i) - (x->i < y->i);
}

/* A new user holding the valid weights of 'who', or NULL. */
static struct user *
user_new(const struct curator_profile *who)
{
    struct user *u = calloc(1, sizeof *u);
    struct ranked *r = NULL;
    size_t n = 0;

    if (u == NULL)
        return NULL;
    if (who->sources == NULL || who->n_sources == 0)
        return u;
    if (who->n_sources > SIZE_MAX / sizeof *r
        || (r = malloc(who->n_sources * sizeof *r)) == NULL
        || (u->w = malloc(who->n_sources * sizeof *u->w)) == NULL) {
        free(r);
        free(u);
        return NULL;
    }
    for (size_t i = 0; i < who->n_sources; i++) {
        if (!valid_weight(who->sources[i].weight))
            continue;
        r[n].w = who->sources[i];
        r[n].i = i;
        n++;
    }
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || r[i - 1].w.feed_id != r[i].w.feed_id)
            u->w[u->n++] = r[i].w;
    free(r);
    return u;
}

static int
feed_add(struct source *s, long long feed_id, long long user_id)
{
    struct feed *f = (struct feed *)hm_find_id(&s->feeds, feed_id);

    if (f == NULL) {
        if ((f = calloc(1, sizeof *f)) == NULL)
            return -1;
        if (hm_put_id(&s->feeds, &f->node, feed_id) != 0) {
            free(f);
            return -1;
        }
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        long long *p;
        if (cap > SIZE_MAX / sizeof *p
            || (p = realloc(f->users, cap * sizeof *p)) == NULL)
            return -1;
        f->users = p;
        f->cap = cap;
    }
    f->users[f->n++] = user_id;
    return 0;
}

/* Forget 'user_id' under 'feed_id'; absent is fine. */
static void
feed_remove(struct source *s, long long feed_id, long long user_id)
{
    struct feed *f = (struct feed *)hm_find_id(&s->feeds, feed_id);

    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        if (f->users[i] == user_id) {
            f->users[i] = f->users[--f->n];
            break;
        }
    }
    if (f->n == 0) {
        hm_unlink(&s->feeds, &f->node.node);
        free(f->users);
        free(f);
    }
}

static void
user_free(struct user *u)
{
    if (u != NULL) {
        free(u->w);
        free(u);
    }
}

/* Unindex and free a user; unknown ids are fine. */
static void
user_drop(struct source *s, long long user_id)
{
    struct user *u = (struct user *)hm_find_id(&s->users, user_id);

    if (u == NULL)
        return;
    hm_unlink(&s->users, &u->node.node);
    for (size_t i = 0; i < u->n; i++)
        if (u->w[i].weight > 1)
            feed_remove(s, u->w[i].feed_id, user_id);
    user_free(u);
}

/* Replace the user's weights. Out of memory, the user is dropped. */
static int
source_set_profile(void *ctx, const struct curator_profile *who)
{
    struct source *s = ctx;
    struct user *u;

    user_drop(s, who->user_id);
    if (who->size < offsetof(struct curator_profile, n_sources)
                    + sizeof who->n_sources)
        return 0;
    if ((u = user_new(who)) == NULL)
        return -1;
    if (hm_put_id(&s->users, &u->node, who->user_id) != 0) {
        user_free(u);
        return -1;
    }
    for (size_t i = 0; i < u->n; i++) {
        if (u->w[i].weight > 1
            && feed_add(s, u->w[i].feed_id, u->node.id) != 0) {
            user_drop(s, who->user_id);
            return -1;
        }
    }
    return 0;
}

static void
source_drop_profile(void *ctx, long long user_id)
{
    user_drop(ctx, user_id);
}

static int
source_add_item(void *ctx, const struct curator_item *it,
                struct curator_want *want)
{
    const struct source *s = ctx;
    const struct feed *f = (const struct feed *)hm_find_id(&s->feeds,
                                                           it->feed_id);

    if (f == NULL || want == NULL || want->user == NULL)
        return 0;
    for (size_t i = 0; i < f->n; i++)
        want->user(want, f->users[i]);
    return 0;
}

static void
free_user_node(struct hm_node *n)
{
    user_free((struct user *)n);
}

static void
free_feed_node(struct hm_node *n)
{
    struct feed *f = (struct feed *)n;
    free(f->users);
    free(f);
}

static void
source_free(void *ctx)
{
    struct source *s = ctx;

    if (s == NULL)
        return;
    hm_free(&s->users, free_user_node);
    hm_free(&s->feeds, free_feed_node);
    free(s);
}

static const struct curator_filter source_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "source",
    .init = source_init,
    .score = source_score,
    .free = source_free,
    .set_profile = source_set_profile,
    .drop_profile = source_drop_profile,
    .add_item = source_add_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &source_filter;
}
