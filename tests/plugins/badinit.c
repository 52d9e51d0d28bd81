/* Test plugin: init() refuses its configuration, naming the key; the host
 * must stop with that message and the file. */
#include "filter.h"

#include <stdio.h>

static int
t_init(const struct curator_filter_option *o, size_t n, void **ctx,
       char *err, size_t errlen)
{
    (void)ctx;
    snprintf(err, errlen, "unknown option '%s'", n ? o[0].key : "(none)");
    return -1;
}

static int
t_score(void *ctx, const struct curator_item *it,
        const struct curator_profile *who, double *score, int *exclude,
        struct curator_explain *why)
{
    (void)ctx; (void)it; (void)who; (void)score; (void)exclude; (void)why;
    return 0;
}

static void
t_free(void *ctx)
{
    (void)ctx;
}

static const struct curator_filter table = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof table,
    .name = "badinit",
    .init = t_init,
    .score = t_score,
    .free = t_free,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &table;
}
