/* The ranking preview of the Interests page: how the last days' items
 * of a user's subscriptions would rank under a profile that is being
 * edited and not yet saved.
 *
 * With the config's filters at hand, the preview is the real thing: a
 * fresh scorer (score.h) with the same filter chain scores a copy of
 * the window in a private in-memory store (the user's subscriptions,
 * source weights and feedback copied in, the edited goals, interests
 * and mutes in place of the stored ones), so nothing reaches the real
 * store. Without a config it falls back to a plain keyword match (title
 * three times the text), and says so.
 */
#ifndef CURATOR_WEB_PREVIEW_H
#define CURATOR_WEB_PREVIEW_H

#include <stddef.h>

#include "config.h"
#include "store.h"

#define PREVIEW_MAX_ITEMS 1500      /* newest items of the window used */

struct preview_interest {
    const char *term;
    double weight;
    const char *goal;           /* NULL: none */
    int is_phrase;
};

struct preview_profile {
    const char *const *goals;
    size_t n_goals;
    const struct preview_interest *interests;
    size_t n_interests;
    const char *const *mutes;
    size_t n_mutes;
    const long long *muted_feeds;
    size_t n_muted_feeds;
};

struct preview_hit {
    long long item_id;          /* in the real store */
    char *title;
    char *link;                 /* may be NULL */
    char *feed;
    double score;
    char *reason;               /* the strongest reason, may be NULL */
};

struct preview_result {
    struct preview_hit *v;
    size_t n;
    size_t considered;          /* items of the window looked at */
    int scorer;                 /* 1: the filter chain; 0: keywords */
};

/* Rank the user's items fetched since 'since' under 'p' and keep the
 * best 'top' in 'out' (free it with preview_result_free() in every
 * case). 'cfg' may be NULL. Returns CUR_OK or an error. */
int preview_rank(struct store *st, const struct config *cfg,
                 long long user_id, const struct preview_profile *p,
                 long long since, long long now, size_t top,
                 struct preview_result *out);

void preview_result_free(struct preview_result *r);

#endif
