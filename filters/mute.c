/* mute: keeps from a user every item that mentions a word or phrase they
 * muted, or that comes from a source (feed) they muted.
 *
 * Such an item is excluded (*exclude = 1, score 0) with one reason,
 * 'from a source you muted' or 'mentions "crypto", which you muted'
 * (the first muted term found, as the user wrote it). Mutes match on
 * stems, the way the keyword filter matches interests (tokenize.h, and
 * the stemmer of the item's language): case does not matter, "meeting"
 * mutes "meetings", a muted phrase matches only its words following each
 * other in one field, and a word never matches inside another word
 * ("crypto" does not mute "scrypto"). Title, summary and text are read.
 *
 * Mutes only exclude, so add_item() names nobody through want(): it
 * analyses the item once and keeps the analysis by item id (at most
 * option max_items, default 50000; the oldest goes first), so that
 * score() costs one stem lookup per muted word. Mutes are read from the
 * profile passed to score() and stemmed there, through the stemmer's
 * memo; no profile is stored. Option `language`: the stemmer for items
 * of unknown language (an ISO 639-1 code or a Snowball name, default
 * "english").
 */
#include "filter.h"
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

struct mute {
    struct tk_langs langs;
    struct tk_scratch scratch;
    struct tk_cache cache;
};

static int
mute_add_item(void *ctx, const struct curator_item *it,
              struct curator_want *want)
{
    struct mute *m = ctx;
    size_t li = tk_langs_get(&m->langs, it->language);
    struct tk_text t;

    (void)want;
    if (tk_analyse(&m->scratch, &m->langs.l[li], it, &t) != 0)
        return -1;
    /* Failing to keep it only means score() analyses it again. */
    (void)tk_cache_put(&m->cache, it->id, (uint32_t)li, &t);
    return 0;
}

static void
mute_drop_item(void *ctx, long long item_id)
{
    struct mute *m = ctx;
    tk_cache_drop(&m->cache, item_id);
}

static int
mute_score(void *ctx, const struct curator_item *it,
           const struct curator_profile *who, double *score, int *exclude,
           struct curator_explain *why)
{
    struct mute *m = ctx;
    const struct tk_cached *cached;
    const struct tk_text *t;
    struct tk_text tmp;
    size_t li;

    *score = 0;
    if (who->muted_feeds != NULL) {
        for (size_t i = 0; i < who->n_muted_feeds; i++) {
            if (who->muted_feeds[i] == it->feed_id) {
                *exclude = 1;
                curator_explain_add(why, 0, "from a source you muted");
                return 0;
            }
        }
    }
    if (who->mutes == NULL || who->n_mutes == 0)
        return 0;
    if ((cached = tk_cache_get(&m->cache, it->id)) != NULL) {
        t = &cached->t;
        li = cached->lang;
    } else {
        li = tk_langs_get(&m->langs, it->language);
        if (tk_analyse(&m->scratch, &m->langs.l[li], it, &tmp) != 0)
            return -1;
        t = &tmp;
    }
    for (size_t i = 0; i < who->n_mutes && t->n_entries > 0; i++) {
        unsigned char key[TK_MAX_KEY];
        unsigned fields;
        size_t len, nw = tk_compile(&m->langs.l[li], who->mutes[i], key,
                                    &len);
        if (nw > 0 && tk_count(t, key, len, nw, &fields) > 0) {
            *exclude = 1;
            curator_explain_add(why, 0, "mentions \"%s\", which you muted",
                                who->mutes[i]);
            return 0;
        }
    }
    return 0;
}

static void
mute_free(void *ctx)
{
    struct mute *m = ctx;
    if (m == NULL)
        return;
    tk_scratch_free(&m->scratch);
    tk_cache_free(&m->cache);
    tk_langs_free(&m->langs);
    free(m);
}

static int
mute_init(const struct curator_filter_option *opts, size_t n_opts,
          void **ctx, char *err, size_t errlen)
{
    struct tk_options o = TK_OPTIONS_DEFAULT;
    struct mute *m;

    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key != NULL ? opts[i].key : "";
        const char *value = opts[i].value != NULL ? opts[i].value : "";
        int rc = tk_option(&o, key, value, err, errlen);

        if (rc <= 0)
            return rc < 0 ? -1 : opt_unknown(key, err, errlen);
    }
    if ((m = calloc(1, sizeof *m)) == NULL)
        return opt_error(err, errlen, "out of memory");
    if (tk_langs_open(&m->langs, &o, err, errlen) != 0) {
        free(m);
        return -1;
    }
    m->cache.max = o.max_items;
    *ctx = m;
    return 0;
}

static const struct curator_filter mute_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "mute",
    .init = mute_init,
    .score = mute_score,
    .free = mute_free,
    .add_item = mute_add_item,
    .drop_item = mute_drop_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &mute_filter;
}
