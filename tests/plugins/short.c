/* Test plugin: a table that says it is 16 bytes long, shorter than any
 * ABI 1.0 table; the host must refuse it. */
#include "filter.h"

static const struct curator_filter table = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = 0,
    .size = 16,
    .name = "short",
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &table;
}
