/* Curator filter plugin ABI: the only header a filter includes.
 *
 * A filter is a shared object exporting one function,
 *
 *     const struct curator_filter *curator_filter_entry(void);
 *
 * that returns a constant table. The host checks the table's major ABI
 * version (it must equal CURATOR_FILTER_ABI_MAJOR) and its size (it must
 * cover every member of ABI 1.0), and refuses the file otherwise, naming
 * it and both versions. Members added in later minor versions go at the
 * end only; the host calls one only when the table's size covers it and
 * it is not NULL, so a filter built against an older minor version keeps
 * loading.
 *
 * Memory never changes owner across this boundary: everything the host
 * passes is borrowed for the duration of the call, and a filter's state
 * lives behind its opaque ctx until free() is called. Strings are UTF-8.
 *
 * Build a filter out of tree with only this header:
 *     cc -std=c11 -shared -fPIC -o myfilter.so myfilter.c
 */
#ifndef CURATOR_FILTER_H
#define CURATOR_FILTER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define CURATOR_FILTER_ABI_MAJOR 1  /* bumped only on incompatible change */
#define CURATOR_FILTER_ABI_MINOR 0  /* bumped when members are appended */

/* One "key = value" of the filter's [filter NAME] config section. */
struct curator_filter_option {
    const char *key;
    const char *value;
};

/* Read-only view of one item. */
struct curator_item {
    size_t size;                /* sizeof(struct curator_item) of the host */
    long long id;
    const char *feed_url;
    const char *feed_title;     /* may be NULL */
    const char *title;          /* plain text, never NULL */
    const char *link;           /* absolute http(s) URL or NULL */
    const char *author;         /* may be NULL */
    const char *text;           /* plain text of summary/content, or "" */
    long long published;        /* Unix time UTC, 0 if unknown */
    const char *const *tags;    /* categories */
    size_t n_tags;
    const char *gem_note;       /* an editor's note if it is a gem, or NULL */
};

/* One declared interest; 'goal' names the goal it serves, or NULL. */
struct curator_interest {
    const char *term;
    double weight;              /* -10 .. 10; negative means "less of this" */
    const char *goal;
};

/* Read-only view of one user. */
struct curator_profile {
    size_t size;                /* sizeof(struct curator_profile) of host */
    long long user_id;
    const struct curator_interest *interests;
    size_t n_interests;
    const char *const *mutes;   /* terms the user never wants */
    size_t n_mutes;
};

/* The explanation sink: short human-readable reasons with their share of
 * the score. The host owns it and copies what is added. */
struct curator_explain {
    void *host;
    void (*add)(struct curator_explain *ex, double contribution,
                const char *reason);
};

/* printf-style helper for filters: curator_explain_add(why, 2.1,
 * "title matches your goal %s", term). */
static inline void
curator_explain_add(struct curator_explain *ex, double contribution,
                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
curator_explain_add(struct curator_explain *ex, double contribution,
                    const char *fmt, ...)
{
    char reason[200];
    va_list ap;
    if (ex == NULL || ex->add == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    ex->add(ex, contribution, reason);
}

struct curator_filter {
    unsigned abi_major;         /* CURATOR_FILTER_ABI_MAJOR */
    unsigned abi_minor;         /* CURATOR_FILTER_ABI_MINOR */
    size_t size;                /* sizeof(struct curator_filter) */
    const char *name;           /* short, lowercase, e.g. "keyword" */

    /* Set up from the filter's options. Return 0 and set *ctx (opaque to
     * the host), or non-zero to refuse; 'err' (errlen bytes) says why. */
    int (*init)(const struct curator_filter_option *opts, size_t n_opts,
                void **ctx, char *err, size_t errlen);

    /* Score one item for one user: set *score (finite; 0 means no
     * opinion) and add reasons to 'why'. Return 0, or non-zero to be
     * skipped for this item. Called from one thread at a time per ctx. */
    int (*score)(void *ctx, const struct curator_item *it,
                 const struct curator_profile *who, double *score,
                 struct curator_explain *why);

    /* Release everything init() made. */
    void (*free)(void *ctx);

    /* Optional (may be NULL): the user gave feedback on an item, +1 for
     * "more like this", -1 for "less like this". */
    void (*learn)(void *ctx, const struct curator_item *it,
                  const struct curator_profile *who, int verdict);

    /* Members added in ABI 1.x, x > 0, go here only. */
};

/* The one symbol a filter exports. */
const struct curator_filter *curator_filter_entry(void);

#define CURATOR_FILTER_ENTRY "curator_filter_entry"

#endif
