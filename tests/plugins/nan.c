/* Test plugin: selects every user it knows and scores NaN for items
 * whose title contains "nan", -1 on error for "error", else 1. The host
 * must drop the NaN and the error and score the pair without them. */
#include "filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct state {
    long long users[64];
    size_t n;
};

static int
t_init(const struct curator_filter_option *o, size_t n, void **ctx,
       char *err, size_t errlen)
{
    (void)o;
    (void)n;
    (void)err;
    (void)errlen;
    *ctx = calloc(1, sizeof(struct state));
    return *ctx == NULL;
}

static int
t_score(void *ctx, const struct curator_item *it,
        const struct curator_profile *who, double *score, int *exclude,
        struct curator_explain *why)
{
    (void)ctx;
    (void)who;
    (void)exclude;
    if (strstr(it->title, "error"))
        return -1;
    *score = strstr(it->title, "nan") ? NAN : 1.0;
    curator_explain_add(why, *score, "nan plugin says %g", *score);
    return 0;
}

static int
t_set_profile(void *ctx, const struct curator_profile *who)
{
    struct state *s = ctx;
    if (s->n < 64)
        s->users[s->n++] = who->user_id;
    return 0;
}

static int
t_add_item(void *ctx, const struct curator_item *it,
           struct curator_want *want)
{
    struct state *s = ctx;
    (void)it;
    for (size_t i = 0; i < s->n; i++)
        want->user(want, s->users[i]);
    return 0;
}

static void
t_free(void *ctx)
{
    free(ctx);
}

static const struct curator_filter table = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof table,
    .name = "nan",
    .init = t_init,
    .score = t_score,
    .free = t_free,
    .set_profile = t_set_profile,
    .add_item = t_add_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &table;
}
