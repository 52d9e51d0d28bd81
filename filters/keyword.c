/* keyword: scores an item by the interests a user declared in it.
 *
 * Words are found, lowercased and stemmed as filters/tokenize.h says,
 * with the Snowball stemmer of the item's language: the primary subtag
 * of its BCP 47 tag (en english, fr french, de german, es spanish, it
 * italian, nl dutch, pt portuguese, sv swedish, no/nb/nn norwegian, da
 * danish, fi finnish, ru russian and the other Snowball languages); ""
 * or an unknown tag uses option `language` (an ISO 639-1 code or a
 * Snowball name, default "english"). An interest is stemmed the same way
 * in the item's language. A term of several words (a quoted phrase, or a
 * term that happens to hold several words) matches only where its stems
 * follow each other in one field.
 *
 * The score: an interest of weight w (clamped to -10..10; a non-finite
 * weight counts as 0) whose stems occur n > 0 times, all fields together,
 * contributes
 *
 *     w * F * sat(n),   sat(n) = n / (n + k) * (1 + k)
 *
 * where F is the largest weight among the fields it occurs in (options
 * title_weight 3, summary_weight 1.5 and content_weight 1 for the text;
 * on a tie the earlier of title, summary, text) and k is option
 * `saturation` (default 1: sat(1) = 1, sat(2) = 4/3, sat(10) = 20/11,
 * never above 1 + k), so a repeated word cannot dominate. The item's
 * score is the sum over the user's interests. Each contributing interest
 * gives one reason, 'title matches "coaching"', with ' (goal: NAME)'
 * after it when the interest serves a goal; "summary" or "text" name the
 * field of F instead. The number is the host's to print.
 *
 * The index: set_profile() keeps a copy of the user's interest terms.
 * For each language, built the first time an item in that language is
 * seen (from every stored profile) and kept up to date by set_profile()
 * and drop_profile() after that, every distinct stem sequence (a "term")
 * is interned once with the users holding it, and a map from a first
 * stem to the terms starting with it makes the inverted index.
 * add_item() analyses the item once (a small hash of its distinct stems
 * with fields and counts, and its stem sequence), keeps that by item id
 * (at most option max_items, default 50000; the oldest goes first), and
 * looks every distinct stem up in the index: each user holding a term
 * found in the item is named through want() once (a stamp per user).
 * score() takes the analysis kept for the id, or makes one when there is
 * none, and does one lookup per interest of the user: with the stems
 * stored by set_profile() when it is handed the same interests view
 * (the host passes the view it gave set_profile() and calls that again
 * on any change), else stemming the interests passed. Its cost does not
 * grow with the text. Phrases cost one step per occurrence of their
 * first word.
 *
 * Mutes are the mute filter's business, learning the bayes filter's.
 */
#include "filter.h"
#include "tokenize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One distinct stem sequence in one language, with its holders. */
struct kw_term {
    unsigned char *key;         /* stems joined by ' '; NULL when free */
    uint32_t len, nwords;
    uint32_t first_len, first_hash;     /* its first stem */
    uint32_t next;              /* next term with that first stem, or the
                                   next free term; TK_NONE ends */
    uint32_t *users;            /* user slots, one per interest */
    size_t n_users, cap_users;
};

struct kw_index {
    int built;
    struct kw_term *terms;
    size_t n_terms, cap_terms;
    uint32_t free_term;
    struct tk_map first;        /* first stem -> head of its term list */
};

/* What score() needs of one interest's term, side by side per user so
 * that a miss reads nothing else (the key only on a hash hit). */
struct kw_ref {
    const unsigned char *key;   /* the term's key; NULL: no word */
    uint32_t hash;              /* of its first stem */
    uint32_t len, nwords;
    uint32_t tid;
};

struct kw_user {
    long long id;
    int live;
    uint32_t next_free;
    size_t n;
    char **term;                /* n copies, in one allocation */
    const struct curator_interest *src; /* the view set_profile() had */
    struct kw_ref *ref[TK_MAX_LANGS];   /* per built language, n each */
};

struct keyword {
    double field_w[TK_NFIELDS];
    double k;
    struct tk_langs langs;
    struct kw_index ix[TK_MAX_LANGS];
    struct kw_user *users;
    size_t n_users, cap_users;
    uint32_t *stamp;            /* per slot: == gen once named for an item;
                                   apart from users to keep want() dense */
    size_t cap_stamp;
    uint32_t free_user;
    struct tk_map by_id;        /* user id -> slot */
    uint32_t gen;
    struct tk_scratch scratch;
    struct tk_cache cache;
};

static const char *const kw_field[TK_NFIELDS] = { "title", "summary",
                                                  "text" };

/* A stem to look up in a first-stem map. */
struct kw_stem {
    const unsigned char *s;
    uint32_t n, h;
};

static uint32_t
term_hash(const void *ctx, uint32_t v)
{
    const struct kw_index *ix = ctx;
    return ix->terms[v].first_hash;
}

static int
term_eq(const void *ctx, uint32_t v, const void *key)
{
    const struct kw_term *t = &((const struct kw_index *)ctx)->terms[v];
    const struct kw_stem *k = key;
    return t->first_hash == k->h && t->first_len == k->n
           && memcmp(t->key, k->s, k->n) == 0;
}

static uint32_t
user_hash(const void *ctx, uint32_t v)
{
    const struct keyword *kw = ctx;
    return (uint32_t)hm_mix64((uint64_t)kw->users[v].id);
}

static int
user_eq(const void *ctx, uint32_t v, const void *key)
{
    const struct keyword *kw = ctx;
    return kw->users[v].id == *(const long long *)key;
}

static uint32_t *
user_find(const struct keyword *kw, long long id)
{
    return tk_map_find(&kw->by_id, (uint32_t)hm_mix64((uint64_t)id),
                       user_eq, kw, &id);
}

/* The id of the term 'key' in ix, added with no holder if new, or
 * TK_NONE out of memory. */
static uint32_t
term_intern(struct kw_index *ix, const unsigned char *key, size_t len,
            size_t nwords)
{
    struct kw_stem k;
    struct kw_term *t;
    unsigned char *copy;
    uint32_t *at, id;
    size_t fl = 0;

    while (fl < len && key[fl] != ' ')
        fl++;
    k = (struct kw_stem){ key, (uint32_t)fl, tk_hash(key, fl) };
    at = tk_map_find(&ix->first, k.h, term_eq, ix, &k);
    if (at != NULL) {
        for (id = *at - 1; id != TK_NONE; id = ix->terms[id].next)
            if (ix->terms[id].len == len
                && memcmp(ix->terms[id].key, key, len) == 0)
                return id;
    } else if (tk_map_reserve(&ix->first, term_hash, ix) != 0) {
        return TK_NONE;
    }
    if ((copy = malloc(len + 1)) == NULL)
        return TK_NONE;
    memcpy(copy, key, len);
    copy[len] = '\0';
    if (ix->free_term != TK_NONE) {
        id = ix->free_term;
        ix->free_term = ix->terms[id].next;
    } else {
        t = ix->n_terms < TK_NONE - 1
            ? tk_grow(ix->terms, &ix->cap_terms, ix->n_terms + 1, sizeof *t)
            : NULL;
        if (t == NULL) {
            free(copy);
            return TK_NONE;
        }
        ix->terms = t;
        id = (uint32_t)ix->n_terms++;
    }
    t = &ix->terms[id];
    *t = (struct kw_term){ .key = copy, .len = (uint32_t)len,
                           .nwords = (uint32_t)nwords,
                           .first_len = (uint32_t)fl, .first_hash = k.h,
                           .next = TK_NONE };
    if (at != NULL) {
        /* After the head, so the map slot stays as it is. */
        t->next = ix->terms[*at - 1].next;
        ix->terms[*at - 1].next = id;
    } else {
        tk_map_put(&ix->first, k.h, id);
    }
    return id;
}

/* Free term id once nobody holds it. */
static void
term_release(struct kw_index *ix, uint32_t id)
{
    struct kw_term *t = &ix->terms[id];
    struct kw_stem k = { t->key, t->first_len, t->first_hash };
    uint32_t *at;

    if (t->n_users > 0)
        return;
    at = tk_map_find(&ix->first, k.h, term_eq, ix, &k);
    if (at != NULL && *at - 1 == id) {
        if (t->next != TK_NONE)
            *at = t->next + 1;
        else
            tk_map_erase(&ix->first, at, term_hash, ix);
    } else if (at != NULL) {
        uint32_t p = *at - 1;
        while (p != TK_NONE && ix->terms[p].next != id)
            p = ix->terms[p].next;
        if (p != TK_NONE)
            ix->terms[p].next = t->next;
    }
    free(t->key);
    free(t->users);
    *t = (struct kw_term){ .next = ix->free_term };
    ix->free_term = id;
}

static void
term_unref(struct kw_index *ix, uint32_t id, uint32_t slot)
{
    struct kw_term *t = &ix->terms[id];
    for (size_t i = t->n_users; i-- > 0;) {
        if (t->users[i] == slot) {
            t->users[i] = t->users[--t->n_users];
            break;
        }
    }
    term_release(ix, id);
}

static void
user_unindex(struct keyword *kw, size_t li, uint32_t slot)
{
    struct kw_user *u = &kw->users[slot];
    struct kw_ref *ref = u->ref[li];

    if (ref == NULL)
        return;
    for (size_t i = 0; i < u->n; i++)
        if (ref[i].key != NULL)
            term_unref(&kw->ix[li], ref[i].tid, slot);
    free(ref);
    u->ref[li] = NULL;
}

/* Add the user's terms to the index of language li. On failure what was
 * added stays, for user_unindex(). */
static int
user_index(struct keyword *kw, size_t li, uint32_t slot)
{
    struct kw_user *u = &kw->users[slot];
    struct kw_index *ix = &kw->ix[li];
    unsigned char key[TK_MAX_KEY];
    struct kw_ref *ref;

    if (u->n == 0)
        return 0;
    if ((ref = calloc(u->n, sizeof *ref)) == NULL)
        return -1;
    u->ref[li] = ref;
    for (size_t i = 0; i < u->n; i++) {
        size_t len, nw = tk_compile(&kw->langs.l[li], u->term[i], key, &len);
        struct kw_term *t;
        uint32_t id, *nu;

        if (nw == 0)
            continue;           /* no word: never matches */
        if ((id = term_intern(ix, key, len, nw)) == TK_NONE)
            return -1;
        t = &ix->terms[id];
        nu = tk_grow(t->users, &t->cap_users, t->n_users + 1, sizeof *nu);
        if (nu == NULL) {
            term_release(ix, id);
            return -1;
        }
        t->users = nu;
        t->users[t->n_users++] = slot;
        ref[i] = (struct kw_ref){ .key = t->key, .hash = t->first_hash,
                                  .len = t->len, .nwords = t->nwords,
                                  .tid = id };
    }
    return 0;
}

/* The language of an item's tag with its index built; -1 if it cannot
 * be (out of memory). */
static int
kw_lang(struct keyword *kw, const char *tag)
{
    size_t li = tk_langs_get(&kw->langs, tag);

    if (kw->ix[li].built)
        return (int)li;
    for (uint32_t s = 0; s < kw->n_users; s++) {
        if (kw->users[s].live && user_index(kw, li, s) != 0) {
            for (uint32_t r = 0; r <= s; r++)
                user_unindex(kw, li, r);
            return -1;
        }
    }
    kw->ix[li].built = 1;
    return (int)li;
}

/* Forget a user's terms, keeping the slot. */
static void
user_clear(struct keyword *kw, uint32_t slot)
{
    struct kw_user *u = &kw->users[slot];
    for (size_t li = 0; li < kw->langs.n; li++)
        user_unindex(kw, li, slot);
    free(u->term);
    u->term = NULL;
    u->n = 0;
}

static void
user_remove(struct keyword *kw, uint32_t slot)
{
    struct kw_user *u = &kw->users[slot];
    uint32_t *at;

    user_clear(kw, slot);
    if ((at = user_find(kw, u->id)) != NULL)
        tk_map_erase(&kw->by_id, at, user_hash, kw);
    u->live = 0;
    u->next_free = kw->free_user;
    kw->free_user = slot;
}

static int
kw_set_profile(void *ctx, const struct curator_profile *who)
{
    struct keyword *kw = ctx;
    size_t n = who->interests != NULL ? who->n_interests : 0, bytes;
    uint32_t *at = user_find(kw, who->user_id), slot;
    struct kw_user *u;
    char *p;

    if (at != NULL) {
        slot = *at - 1;
        user_clear(kw, slot);
    } else {
        if (tk_map_reserve(&kw->by_id, user_hash, kw) != 0)
            return -1;
        if (kw->free_user != TK_NONE) {
            slot = kw->free_user;
            kw->free_user = kw->users[slot].next_free;
        } else {
            uint32_t *st;
            u = kw->n_users < TK_NONE - 1
                ? tk_grow(kw->users, &kw->cap_users, kw->n_users + 1,
                          sizeof *u)
                : NULL;
            if (u == NULL)
                return -1;
            kw->users = u;
            st = tk_grow(kw->stamp, &kw->cap_stamp, kw->n_users + 1,
                         sizeof *st);
            if (st == NULL)
                return -1;
            kw->stamp = st;
            slot = (uint32_t)kw->n_users++;
        }
        kw->stamp[slot] = 0;
        kw->users[slot] = (struct kw_user){ .id = who->user_id, .live = 1 };
        tk_map_put(&kw->by_id, (uint32_t)hm_mix64((uint64_t)who->user_id),
                   slot);
    }
    u = &kw->users[slot];
    if (n > 0) {
        if (n > SIZE_MAX / 4 / sizeof *u->term)
            goto fail;
        bytes = n * sizeof *u->term;
        for (size_t i = 0; i < n; i++) {
            const char *t = who->interests[i].term;
            size_t l = strlen(t != NULL ? t : "") + 1;
            if (bytes > SIZE_MAX - l)
                goto fail;
            bytes += l;
        }
        if ((u->term = malloc(bytes)) == NULL)
            goto fail;
        p = (char *)(u->term + n);
        for (size_t i = 0; i < n; i++) {
            const char *t = who->interests[i].term;
            size_t l = strlen(t != NULL ? t : "") + 1;
            memcpy(p, t != NULL ? t : "", l);
            u->term[i] = p;
            p += l;
        }
        u->n = n;
    }
    u->src = who->interests;
    for (size_t li = 0; li < kw->langs.n; li++)
        if (kw->ix[li].built && user_index(kw, li, slot) != 0)
            goto fail;
    return 0;
fail:
    user_remove(kw, slot);
    return -1;
}

static void
kw_drop_profile(void *ctx, long long user_id)
{
    struct keyword *kw = ctx;
    uint32_t *at = user_find(kw, user_id);
    if (at != NULL)
        user_remove(kw, *at - 1);
}

/* Name each user holding a term found in t, once. */
static void
kw_want(struct keyword *kw, const struct kw_index *ix,
        const struct tk_text *t, struct curator_want *want)
{
    size_t named = 0;

    if (ix->first.n == 0)
        return;
    if (++kw->gen == 0) {
        memset(kw->stamp, 0, kw->n_users * sizeof *kw->stamp);
        kw->gen = 1;
    }
    for (uint32_t i = 0; i < t->n_entries; i++) {
        const struct tk_entry *e = &t->e[i];
        struct kw_stem k = { t->bytes + e->off, e->len, e->hash };
        const uint32_t *at = tk_map_find(&ix->first, e->hash, term_eq, ix,
                                         &k);
        if (at == NULL)
            continue;
        for (uint32_t id = *at - 1; id != TK_NONE; id = ix->terms[id].next) {
            const struct kw_term *term = &ix->terms[id];
            unsigned fields;
            size_t j = 0;

            /* A phrase is checked only if it would name someone new. */
            if (term->nwords > 1) {
                while (j < term->n_users
                       && kw->stamp[term->users[j]] == kw->gen)
                    j++;
                if (j == term->n_users
                    || tk_count(t, term->key, term->len, term->nwords,
                                &fields) == 0)
                    continue;
            }
            for (; j < term->n_users; j++) {
                uint32_t slot = term->users[j];
                if (kw->stamp[slot] == kw->gen)
                    continue;
                kw->stamp[slot] = kw->gen;
                want->user(want, kw->users[slot].id);
                if (++named == kw->by_id.n)
                    return;     /* everyone is named */
            }
        }
    }
}

static int
kw_add_item(void *ctx, const struct curator_item *it,
            struct curator_want *want)
{
    struct keyword *kw = ctx;
    struct tk_text t;
    int li = kw_lang(kw, it->language);

    if (li < 0 || tk_analyse(&kw->scratch, &kw->langs.l[li], it, &t) != 0)
        return -1;
    if (want != NULL && want->user != NULL)
        kw_want(kw, &kw->ix[li], &t, want);
    /* Failing to keep it only means score() analyses it again. */
    (void)tk_cache_put(&kw->cache, it->id, (uint32_t)li, &t);
    return 0;
}

static void
kw_drop_item(void *ctx, long long item_id)
{
    struct keyword *kw = ctx;
    tk_cache_drop(&kw->cache, item_id);
}

static int
kw_score(void *ctx, const struct curator_item *it,
         const struct curator_profile *who, double *score, int *exclude,
         struct curator_explain *why)
{
    struct keyword *kw = ctx;
    size_t n = who->interests != NULL ? who->n_interests : 0, li;
    const struct tk_cached *cached;
    const struct tk_text *t;
    const struct kw_ref *ref = NULL;
    const uint32_t *at;
    struct tk_text tmp;
    double total = 0;

    (void)exclude;
    *score = 0;
    if (n == 0)
        return 0;
    if ((cached = tk_cache_get(&kw->cache, it->id)) != NULL) {
        t = &cached->t;
        li = cached->lang;
    } else {
        int l = kw_lang(kw, it->language);
        if (l < 0
            || tk_analyse(&kw->scratch, &kw->langs.l[l], it, &tmp) != 0)
            return -1;
        t = &tmp;
        li = (size_t)l;
    }
    if (t->n_entries == 0)
        return 0;
    /* The host hands score() the view it gave set_profile() and calls
     * set_profile() again on any change; anything else is stemmed now. */
    if ((at = user_find(kw, who->user_id)) != NULL
        && kw->users[*at - 1].src == who->interests
        && kw->users[*at - 1].n == n)
        ref = kw->users[*at - 1].ref[li];
    for (size_t i = 0; i < n; i++) {
        const struct curator_interest *in = &who->interests[i];
        const char *term = in->term != NULL ? in->term : "";
        double w = in->weight, c;
        unsigned fields = 0, f = TK_NFIELDS;
        uint32_t count;

        if (!isfinite(w) || w == 0)
            continue;
        w = w > 10 ? 10 : w < -10 ? -10 : w;
        if (ref != NULL) {
            const struct kw_ref *r = &ref[i];
            uint32_t e;
            if (r->key == NULL)
                continue;
            if (r->nwords > 1) {
                count = tk_count(t, r->key, r->len, r->nwords, &fields);
            } else if ((e = tk_find(t, r->key, r->len, r->hash)) != TK_NONE) {
                count = t->e[e].count;
                fields = t->e[e].fields;
            } else {
                count = 0;
            }
        } else {
            /* Not the stored view: stem it now. */
            unsigned char key[TK_MAX_KEY];
            size_t len, nw = tk_compile(&kw->langs.l[li], term, key, &len);
            count = nw > 0 ? tk_count(t, key, len, nw, &fields) : 0;
        }
        if (count == 0)
            continue;
        for (unsigned j = 0; j < TK_NFIELDS; j++)
            if ((fields & (1u << j))
                && (f == TK_NFIELDS || kw->field_w[j] > kw->field_w[f]))
                f = j;
        c = w * kw->field_w[f] * ((double)count / (count + kw->k))
            * (1 + kw->k);
        if (c == 0)
            continue;
        total += c;
        if (in->goal != NULL && in->goal[0] != '\0')
            curator_explain_add(why, c, "%s matches \"%s\" (goal: %s)",
                                kw_field[f], term, in->goal);
        else
            curator_explain_add(why, c, "%s matches \"%s\"", kw_field[f],
                                term);
    }
    if (!isfinite(total))
        return -1;
    *score = total;
    return 0;
}

static void
kw_free(void *ctx)
{
    struct keyword *kw = ctx;

    if (kw == NULL)
        return;
    for (size_t li = 0; li < TK_MAX_LANGS; li++) {
        struct kw_index *ix = &kw->ix[li];
        for (size_t i = 0; i < ix->n_terms; i++) {
            free(ix->terms[i].key);
            free(ix->terms[i].users);
        }
        free(ix->terms);
        tk_map_free(&ix->first);
    }
    for (size_t s = 0; s < kw->n_users; s++) {
        free(kw->users[s].term);
        for (size_t li = 0; li < TK_MAX_LANGS; li++)
            free(kw->users[s].ref[li]);
    }
    free(kw->users);
    free(kw->stamp);
    tk_map_free(&kw->by_id);
    tk_scratch_free(&kw->scratch);
    tk_cache_free(&kw->cache);
    tk_langs_free(&kw->langs);
    free(kw);
}

static int
kw_init(const struct curator_filter_option *opts, size_t n_opts,
        void **ctx, char *err, size_t errlen)
{
    static const char *const num_key[] = { "title_weight", "summary_weight",
                                           "content_weight", "saturation" };
    double num[] = { 3, 1.5, 1, 1 };
    struct tk_options o = TK_OPTIONS_DEFAULT;
    struct keyword *kw;

    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key != NULL ? opts[i].key : "";
        const char *value = opts[i].value != NULL ? opts[i].value : "";
        size_t j;
        int rc;

        for (j = 0; j < 4 && strcmp(key, num_key[j]) != 0; j++)
            ;
        if (j < 4) {
            if (opt_parse_number(value, OPT_UNSIGNED | OPT_DECIMAL, 0, 1e300,
                                 &num[j]) != 0)
                return opt_refuse(key, value, "a number >= 0", err, errlen);
        } else if ((rc = tk_option(&o, key, value, err, errlen)) <= 0) {
            return rc < 0 ? -1 : opt_unknown(key, err, errlen);
        }
    }
    if ((kw = calloc(1, sizeof *kw)) == NULL)
        return opt_error(err, errlen, "out of memory");
    if (tk_langs_open(&kw->langs, &o, err, errlen) != 0) {
        free(kw);
        return -1;
    }
    for (size_t f = 0; f < TK_NFIELDS; f++)
        kw->field_w[f] = num[f];
    kw->k = num[3];
    kw->cache.max = o.max_items;
    kw->free_user = TK_NONE;
    for (size_t li = 0; li < TK_MAX_LANGS; li++)
        kw->ix[li].free_term = TK_NONE;
    *ctx = kw;
    return 0;
}

static const struct curator_filter keyword_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "keyword",
    .init = kw_init,
    .score = kw_score,
    .free = kw_free,
    .set_profile = kw_set_profile,
    .drop_profile = kw_drop_profile,
    .add_item = kw_add_item,
    .drop_item = kw_drop_item,
    .learn = NULL,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &keyword_filter;
}
