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
 * loading. The views below carry their own size for the same reason: a
 * filter reads a member added after 1.0 only when view->size covers it.
 * ABI 1.1 added the user's teams to struct curator_profile.
 *
 * How the host drives a filter
 *
 *   init()            once, with the [filter NAME] keys other than path
 *                     and weight.
 *   set_profile()     for every user at start and again whenever a user's
 *                     interests, goals, mutes or source weights change;
 *                     drop_profile() when a user goes away. A filter that
 *                     indexes users (all users' stems in one table, say)
 *                     builds its index here.
 *   learn()           for every stored feedback at start (oldest first)
 *                     and for each new one: +1 "more like this", -1 "less".
 *   add_item()        once per item, when it is first scored or when it
 *                     enters the rescoring window at start. The filter
 *                     analyses the item once (tokenises it, say), may keep
 *                     that analysis keyed by it->id until drop_item(), and
 *                     names through want() the users it has something to
 *                     say about. Only users named by some filter (or that
 *                     have declared no interests at all) are scored, so an
 *                     item's cost does not grow with the number of users.
 *   score()           per (item, user) pair the host visits: the filter's
 *                     opinion, finite, 0 for none. Reasons go to 'why'.
 *                     Setting *exclude (with a reason) removes the item
 *                     from that user's digest and page whatever the total.
 *   drop_item()       the item left the window; forget what add_item kept.
 *   free()            release everything.
 *
 * The final score of a pair is the sum over filters of the filter's
 * configured weight times its score. All calls for one ctx come from one
 * thread at a time.
 *
 * Memory never changes owner across this boundary: everything the host
 * passes is borrowed for the duration of the call, and a filter's state
 * lives behind its opaque ctx until free() is called. Strings are UTF-8
 * and never NULL unless the comment says so.
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
#define CURATOR_FILTER_ABI_MINOR 1  /* bumped when members are appended */

/* One "key = value" of the filter's [filter NAME] config section. */
struct curator_filter_option {
    const char *key;
    const char *value;
};

/* An editor's gem: an item an editor marked as worth everyone's time. */
struct curator_gem {
    const char *editor;         /* the editor's user name */
    const char *note;           /* why it matters, for whom; may be "" */
    const char *const *tags;    /* topic tags, lowercase */
    size_t n_tags;
    const char *const *audience;/* who it is meant for, none = all: goal
                                   names, and "team:NAME" for a team */
    size_t n_audience;
};

/* Read-only view of one item. */
struct curator_item {
    size_t size;                /* sizeof(struct curator_item) of the host */
    long long id;
    long long feed_id;
    const char *feed_url;
    const char *feed_title;     /* may be "" */
    const char *title;          /* plain text */
    const char *link;           /* absolute http(s) URL, or "" */
    const char *author;         /* may be "" */
    const char *summary;        /* plain text of the summary, or "" */
    const char *text;           /* plain text of the fullest content, or "" */
    const char *language;       /* BCP 47 tag such as "en" or "fr-CA", or
                                   "" when unknown */
    long long published;        /* Unix time UTC, 0 if unknown */
    long long now;              /* the time the host scores at */
    const char *const *tags;    /* categories */
    size_t n_tags;
    const struct curator_gem *gem;  /* NULL unless an editor tagged it */
};

/* One declared interest: a word or a "quoted phrase" (stored without the
 * quotes; is_phrase says which) serving the goal named, or no goal. */
struct curator_interest {
    const char *term;
    double weight;              /* -10 .. 10; negative means "less of this" */
    const char *goal;           /* may be NULL */
    int is_phrase;
};

/* A weight the user gave one source (a feed): > 1 more, < 1 less. */
struct curator_source_weight {
    long long feed_id;
    double weight;              /* 0 .. 10 */
};

/* Read-only view of one user. */
struct curator_profile {
    size_t size;                /* sizeof(struct curator_profile) of host */
    long long user_id;
    const char *name;
    const char *const *goals;   /* the user's named professional goals */
    size_t n_goals;
    const struct curator_interest *interests;
    size_t n_interests;
    const char *const *mutes;   /* words or phrases the user never wants */
    size_t n_mutes;
    const long long *muted_feeds;
    size_t n_muted_feeds;
    const struct curator_source_weight *sources;
    size_t n_sources;
    /* ABI 1.1: read only when size covers them. */
    const char *const *teams;   /* names of the teams the user is in */
    size_t n_teams;
};

/* The explanation sink: short human-readable reasons with their share of
 * the score. The host owns it and copies what is added. */
struct curator_explain {
    void *host;
    void (*add)(struct curator_explain *ex, double contribution,
                const char *reason);
    /* The item is a near-copy of an earlier item 'of_item_id': the host
     * folds the two and shows the best one with "also in: ...". */
    void (*duplicate)(struct curator_explain *ex, long long of_item_id);
};

/* printf-style helper for filters: curator_explain_add(why, 2.1,
 * "title matches your goal %s", term). Reasons are cut at 200 bytes. */
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

/* add_item() names the users a filter has an opinion about. */
struct curator_want {
    void *host;
    void (*user)(struct curator_want *w, long long user_id);
};

struct curator_filter {
    unsigned abi_major;         /* CURATOR_FILTER_ABI_MAJOR */
    unsigned abi_minor;         /* CURATOR_FILTER_ABI_MINOR */
    size_t size;                /* sizeof(struct curator_filter) */
    const char *name;           /* short, lowercase, e.g. "keyword" */

    /* Set up from the filter's options. Return 0 and set *ctx (opaque to
     * the host), or non-zero to refuse; 'err' (errlen bytes) says why,
     * naming the option. */
    int (*init)(const struct curator_filter_option *opts, size_t n_opts,
                void **ctx, char *err, size_t errlen);

    /* Score one item for one user: set *score (finite; 0 means no
     * opinion), add reasons to 'why', and set *exclude to 1 to keep the
     * item from the user whatever the total (a mute, say; give a reason).
     * Return 0, or non-zero to be skipped for this pair. */
    int (*score)(void *ctx, const struct curator_item *it,
                 const struct curator_profile *who, double *score,
                 int *exclude, struct curator_explain *why);

    /* Release everything init() made. */
    void (*free)(void *ctx);

    /* Each of the following may be NULL. */

    /* A user's profile is new or changed (replace what you had). */
    int (*set_profile)(void *ctx, const struct curator_profile *who);
    void (*drop_profile)(void *ctx, long long user_id);

    /* An item enters scoring: analyse it once, call want->user() for each
     * user with a signal. Return non-zero on failure (the filter is then
     * skipped for this item). */
    int (*add_item)(void *ctx, const struct curator_item *it,
                    struct curator_want *want);
    void (*drop_item)(void *ctx, long long item_id);

    /* Feedback: verdict +1 for "more like this", -1 for "less". */
    void (*learn)(void *ctx, const struct curator_item *it,
                  const struct curator_profile *who, int verdict);

    /* Members added in ABI 1.x, x > 0, go here only. */
};

/* The one symbol a filter exports. */
const struct curator_filter *curator_filter_entry(void);

#define CURATOR_FILTER_ENTRY "curator_filter_entry"

#endif
