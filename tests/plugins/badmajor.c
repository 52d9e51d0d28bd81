/* Test plugin: claims filter ABI 99.3; the host must refuse it, naming
 * the file and both versions. */
#include "filter.h"

static int
t_init(const struct curator_filter_option *o, size_t n, void **ctx,
       char *err, size_t errlen)
{
    (void)o; (void)n; (void)ctx; (void)err; (void)errlen;
    return -1;
}

static const struct curator_filter table = {
    .abi_major = 99,
    .abi_minor = 3,
    .size = sizeof table,
    .name = "badmajor",
    .init = t_init,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &table;
}
