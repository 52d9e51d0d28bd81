/* dedupe: finds the same story carried by several feeds.
 *
 * add_item() reduces an item's lowercased title and text to a 64-bit
 * SimHash over its 3-word shingles and looks it up among the last
 * 'window' items (option, default 20000). A match within 'max_distance'
 * bits (option, default 6) that comes from another feed, or carries the
 * same non-empty link, makes the item a copy of the earliest such item
 * (the smallest id, followed back to its original). score() then tells
 * the host through why->duplicate() and adds a reason worth -penalty
 * (option, default 0: the host folds copies, so the score stays put).
 * Items of fewer than 'min_words' words (option, default 8) are too short
 * to judge and are neither copies nor originals.
 *
 * Lookup is sub-linear by banding: the 64 bits are cut into 8 bands of 8
 * and each band value indexes a table of the items having it. Two hashes
 * at most 7 bits apart agree on at least one band, so with max_distance
 * up to 7 the bands find every match; above that they would miss some,
 * and the filter compares against the whole window instead. Buckets are
 * dense arrays carrying what a comparison needs, so that even a feed
 * repeating one text thousands of times costs a sequential scan per item
 * rather than a chase through scattered memory.
 *
 * The filter never names users to the host: a copy is a copy for all.
 * Folding and "also in" are the host's business.
 */
#include "filter.h"
#include "hashmap.h"
#include "options.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_BANDS 8
#define BAND_BITS 8
#define BAND_SLOTS (1u << BAND_BITS)
#define WINDOW_MAX 10000000LL
#define MIN_WORDS_MAX 1000000LL
#define PENALTY_MAX 1000000.0
/* Enough of a feed's name for the 200-byte reason. */
#define LABEL_MAX 150

static const char REASON_FMT[] =
    "same story as an item you already have from %s";

struct rec;

/* What a comparison needs of one item in the window, copied into each
 * bucket holding it. The root is the original the item is a copy of, or
 * the item itself. */
struct slot {
    uint64_t sim;
    long long id;
    long long root_id;
    long long root_feed;
    uint64_t root_link;         /* hash of the root's link, 0 if none */
    struct rec *rec;
};

struct vec {
    struct slot *v;
    uint32_t n;
    uint32_t cap;
};

/* What add_item() learnt about one item. */
struct rec {
    struct hm_node node;        /* first: in the id table, by key.id */
    struct slot key;            /* key.rec is this record */
    long long feed_id;
    uint64_t link;              /* hash of the item's link, 0 if none */
    char *root_label;           /* the root's feed title or URL */

    int indexed;                /* in the window and the buckets */
    uint32_t pos[N_BANDS + 1];  /* index in each band's bucket, in 'all' */
    struct rec *older;          /* window order */
    struct rec *newer;
};

struct dedupe {
    long long window;
    long long max_distance;
    long long min_words;
    double penalty;

    struct vec *band[N_BANDS];  /* BAND_SLOTS buckets each */
    struct vec all;             /* the whole window, for a full scan */
    struct rec *oldest;
    struct rec *newest;
    long long n_indexed;

    /* Every record by id: the window, plus copies pushed out of it,
     * which score() still needs until drop_item(). */
    struct hm_table ids;
};

/* --- hashing --------------------------------------------------------- */

/* The hash of a link, or 0 for none: a real hash never comes out 0. */
static uint64_t
hash_link(const char *s)
{
    uint64_t h;

    if (s[0] == '\0')
        return 0;
    h = hm_mix64(hm_fnv(HM_FNV_OFFSET, s, strlen(s)));
    return h != 0 ? h : 1;
}

/* --- tokenising and SimHash ------------------------------------------ */

static int
word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

struct word {
    const unsigned char *p;
    size_t n;
};

/* Running state of one item's SimHash: the last three words seen and
 * the per-bit vote. */
struct sim {
    struct word last[3];
    long long n_words;
    long long vote[64];
};

/* Hash one feature, words lowercased and joined by a space. */
static uint64_t
hash_words(const struct word *w, size_t n)
{
    uint64_t h = HM_FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            h = hm_fnv(h, " ", 1);
        for (size_t j = 0; j < w[i].n; j++) {
            h ^= lower(w[i].p[j]);
            h *= HM_FNV_PRIME;
        }
    }
    return hm_mix64(h);
}

static void
vote(struct sim *s, uint64_t h)
{
    for (int b = 0; b < 64; b++)
        s->vote[b] += (h >> b) & 1 ? 1 : -1;
}

static void
add_word(struct sim *s, const unsigned char *p, size_t n)
{
    s->last[0] = s->last[1];
    s->last[1] = s->last[2];
    s->last[2].p = p;
    s->last[2].n = n;
    s->n_words++;
    if (s->n_words >= 3)
        vote(s, hash_words(s->last, 3));
}

static void
add_text(struct sim *s, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;

    while (*p != '\0') {
        while (*p != '\0' && !word_byte(*p))
            p++;
        const unsigned char *start = p;
        while (word_byte(*p))
            p++;
        if (p > start)
            add_word(s, start, (size_t)(p - start));
    }
}

/* SimHash of "title text"; *n_words gets the number of words. */
static uint64_t
simhash(const char *title, const char *text, long long *n_words)
{
    struct sim s;
    uint64_t h = 0;

    memset(&s, 0, sizeof s);
    /* The two are joined by a space, so the title's last word and the
     * text's first never merge: tokenising them in turn is the same. */
    add_text(&s, title);
    add_text(&s, text);
    /* Too few words for one shingle: the words themselves. */
    if (s.n_words < 3)
        for (long long i = 3 - s.n_words; i < 3; i++)
            vote(&s, hash_words(&s.last[i], 1));
    for (int b = 0; b < 64; b++)
        if (s.vote[b] > 0)
            h |= 1ULL << b;
    *n_words = s.n_words;
    return h;
}

static int
hamming(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ b;
    /* Bits set, counted in parallel in ever wider fields. */
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

static unsigned
band_of(uint64_t sim, int b)
{
    return (unsigned)(sim >> (b * BAND_BITS)) & (BAND_SLOTS - 1);
}

/* --- the id table ---------------------------------------------------- */

static int
rec_eq(const struct hm_node *n, const void *key)
{
    return ((const struct rec *)n)->key.id == *(const long long *)key;
}

static struct rec *
find_rec(const struct dedupe *d, long long id)
{
    return (struct rec *)hm_find(&d->ids, (size_t)hm_mix64((uint64_t)id),
                                 rec_eq, &id);
}

/* --- the window and the buckets ------------------------------------ */

/* Room for one more slot; on failure the vector is as it was. */
static int
vec_reserve(struct vec *v)
{
    uint32_t cap;
    struct slot *t;

    if (v->n < v->cap)
        return 0;
    cap = v->cap == 0 ? 4 : v->cap * 2;
    if (cap <= v->cap)
        return -1;
    t = realloc(v->v, (size_t)cap * sizeof *t);
    if (t == NULL)
        return -1;
    v->v = t;
    v->cap = cap;
    return 0;
}

/* Remove slot i by moving the last one into its place ('which' says
 * which of the record's positions the vector keeps). */
static void
vec_remove(struct vec *v, uint32_t i, int which)
{
    v->n--;
    if (i != v->n) {
        v->v[i] = v->v[v->n];
        v->v[i].rec->pos[which] = i;
    }
    if (v->n == 0) {
        /* A burst of one text leaves no big array behind. */
        free(v->v);
        v->v = NULL;
        v->cap = 0;
    }
}

static struct vec *
bucket(const struct dedupe *d, int b, uint64_t sim)
{
    return &d->band[b][band_of(sim, b)];
}

/* Make room in every vector r will join; on failure nothing changes but
 * spare capacity. */
static int
reserve_rec(struct dedupe *d, const struct rec *r)
{
    for (int b = 0; b < N_BANDS; b++)
        if (vec_reserve(bucket(d, b, r->key.sim)) != 0)
            return -1;
    return vec_reserve(&d->all);
}

/* Index r (room reserved by reserve_rec()) as the newest item. */
static void
index_rec(struct dedupe *d, struct rec *r)
{
    for (int b = 0; b <= N_BANDS; b++) {
        struct vec *v = b < N_BANDS ? bucket(d, b, r->key.sim) : &d->all;
        r->pos[b] = v->n;
        v->v[v->n++] = r->key;
    }
    r->older = d->newest;
    r->newer = NULL;
    if (d->newest != NULL)
        d->newest->newer = r;
    else
        d->oldest = r;
    d->newest = r;
    r->indexed = 1;
    d->n_indexed++;
}

static void
unindex_rec(struct dedupe *d, struct rec *r)
{
    if (!r->indexed)
        return;
    for (int b = 0; b <= N_BANDS; b++) {
        struct vec *v = b < N_BANDS ? bucket(d, b, r->key.sim) : &d->all;
        vec_remove(v, r->pos[b], b);
    }
    if (r->older != NULL)
        r->older->newer = r->newer;
    else
        d->oldest = r->newer;
    if (r->newer != NULL)
        r->newer->older = r->older;
    else
        d->newest = r->older;
    r->indexed = 0;
    d->n_indexed--;
}

static void
free_rec(struct rec *r)
{
    free(r->root_label);
    free(r);
}

static void
free_rec_node(struct hm_node *n)
{
    free_rec((struct rec *)n);
}

/* Push the oldest item out of the window. An original is forgotten;
 * a copy's verdict stays for score() until drop_item(). */
static void
evict_oldest(struct dedupe *d)
{
    struct rec *r = d->oldest;
    unindex_rec(d, r);
    if (r->key.root_id == r->key.id) {
        hm_unlink(&d->ids, &r->node);
        free_rec(r);
    }
}

/* --- options --------------------------------------------------------- */

static int
set_option(struct dedupe *d, const struct curator_filter_option *o,
           char *err, size_t errlen)
{
    const char *key = o->key != NULL ? o->key : "";
    const char *val = o->value != NULL ? o->value : "";
    const struct {
        const char *key;
        long long lo, hi;
        long long *slot;
    } ints[] = {
        { "window", 1, WINDOW_MAX, &d->window },
        { "max_distance", 0, 64, &d->max_distance },
        { "min_words", 1, MIN_WORDS_MAX, &d->min_words },
    };

    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(key, ints[i].key) == 0)
            return opt_whole(key, val, ints[i].lo, ints[i].hi, ints[i].slot,
                             err, errlen);
    if (strcmp(key, "penalty") == 0)
        return opt_number(key, val, OPT_UNSIGNED, 0, PENALTY_MAX,
                          &d->penalty, err, errlen);
    return opt_unknown(key, err, errlen);
}

/* --- the filter ------------------------------------------------------ */

static void dedupe_free(void *ctx);

static int
dedupe_init(const struct curator_filter_option *opts, size_t n, void **ctx,
            char *err, size_t errlen)
{
    struct dedupe *d = calloc(1, sizeof *d);

    if (d == NULL)
        goto oom;
    d->window = 20000;
    /* One changed word moves about 3 of 200 shingles; 6 bits catches
     * nearly every such edit while unrelated texts sit ~32 bits apart. */
    d->max_distance = 6;
    d->min_words = 8;
    d->penalty = 0;
    for (size_t i = 0; i < n; i++) {
        if (set_option(d, &opts[i], err, errlen) != 0) {
            dedupe_free(d);
            return -1;
        }
    }
    for (int b = 0; b < N_BANDS; b++) {
        d->band[b] = calloc(BAND_SLOTS, sizeof *d->band[b]);
        if (d->band[b] == NULL)
            goto oom;
    }
    *ctx = d;
    return 0;

oom:
    dedupe_free(d);
    return opt_error(err, errlen, "out of memory");
}

/* A copy of at most LABEL_MAX bytes, cut before a UTF-8 continuation
 * byte so that a character is never split. */
static char *
label_dup(const char *s)
{
    size_t n = strlen(s);
    char *out;

    if (n > LABEL_MAX) {
        n = LABEL_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* Does new item r copy the story of window slot c? The feed and link
 * are compared with the original c leads to. */
static int
copies(const struct rec *r, const struct slot *c)
{
    if (c->id == r->key.id || c->root_id == r->key.id)
        return 0;
    return c->root_feed != r->feed_id
           || (r->link != 0 && c->root_link == r->link);
}

static void
consider(const struct dedupe *d, const struct rec *r, const struct slot *c,
         const struct slot **best)
{
    if (hamming(r->key.sim, c->sim) > d->max_distance || !copies(r, c))
        return;
    if (*best == NULL || c->root_id < (*best)->root_id)
        *best = c;
}

/* The window slot leading to the earliest original r copies, or NULL.
 * The pointer is good until the window changes. */
static const struct slot *
lookup(const struct dedupe *d, const struct rec *r)
{
    const struct slot *best = NULL;
    uint64_t sim = r->key.sim;

    if (d->max_distance >= N_BANDS) {
        for (uint32_t i = 0; i < d->all.n; i++)
            consider(d, r, &d->all.v[i], &best);
        return best;
    }
    for (int b = 0; b < N_BANDS; b++) {
        const struct vec *v = bucket(d, b, sim);
        for (uint32_t i = 0; i < v->n; i++) {
            const struct slot *c = &v->v[i];
            int seen = 0;
            /* A slot sharing an earlier band was seen there. */
            for (int e = 0; e < b && !seen; e++)
                seen = band_of(c->sim, e) == band_of(sim, e);
            if (!seen)
                consider(d, r, c, &best);
        }
    }
    return best;
}

static const char *
str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static int
dedupe_add_item(void *ctx, const struct curator_item *it,
                struct curator_want *want)
{
    struct dedupe *d = ctx;
    const char *label = str_or_empty(it->feed_title);
    const struct slot *orig;
    struct rec *r;
    long long n_words;
    uint64_t sim;

    (void)want;
    /* Added once per item; a repeat keeps the first verdict. */
    if (find_rec(d, it->id) != NULL)
        return 0;
    sim = simhash(str_or_empty(it->title), str_or_empty(it->text),
                  &n_words);
    if (n_words < d->min_words)
        return 0;

    r = calloc(1, sizeof *r);
    if (r == NULL)
        return -1;
    r->node.hash = (size_t)hm_mix64((uint64_t)it->id);
    r->key.sim = sim;
    r->key.id = it->id;
    r->key.rec = r;
    r->feed_id = it->feed_id;
    r->link = hash_link(str_or_empty(it->link));

    /* Copy what the match says now: evicting may free its record. */
    orig = lookup(d, r);
    if (orig != NULL) {
        r->key.root_id = orig->root_id;
        r->key.root_feed = orig->root_feed;
        r->key.root_link = orig->root_link;
        r->root_label = label_dup(orig->rec->root_label);
    } else {
        if (label[0] == '\0')
            label = str_or_empty(it->feed_url);
        r->key.root_id = r->key.id;
        r->key.root_feed = r->feed_id;
        r->key.root_link = r->link;
        r->root_label = label_dup(label);
    }
    if (r->root_label == NULL) {
        free_rec(r);
        return -1;
    }
    /* Evicting first: it may free a vector reserve_rec() would grow. A
     * failure after it leaves the window one item short, no worse. */
    if (d->n_indexed >= d->window)
        evict_oldest(d);
    if (reserve_rec(d, r) != 0 || hm_put(&d->ids, &r->node) != 0) {
        free_rec(r);
        return -1;
    }
    index_rec(d, r);
    return 0;
}

static void
dedupe_drop_item(void *ctx, long long item_id)
{
    struct dedupe *d = ctx;
    struct rec *r = find_rec(d, item_id);

    if (r == NULL)
        return;
    unindex_rec(d, r);
    hm_unlink(&d->ids, &r->node);
    free_rec(r);
}

static int
dedupe_score(void *ctx, const struct curator_item *it,
             const struct curator_profile *who, double *score,
             int *exclude, struct curator_explain *why)
{
    const struct dedupe *d = ctx;
    const struct rec *r = find_rec(d, it->id);

    (void)who;
    (void)exclude;
    *score = 0;
    if (r == NULL || r->key.root_id == r->key.id)
        return 0;
    /* 0 - 0 would read "-0" in a reason's contribution. */
    *score = d->penalty > 0 ? -d->penalty : 0.0;
    if (why != NULL && why->duplicate != NULL)
        why->duplicate(why, r->key.root_id);
    curator_explain_add(why, *score, REASON_FMT, r->root_label);
    return 0;
}

static void
dedupe_free(void *ctx)
{
    struct dedupe *d = ctx;

    if (d == NULL)
        return;
    hm_free(&d->ids, free_rec_node);
    for (int b = 0; b < N_BANDS; b++) {
        if (d->band[b] == NULL)
            continue;
        for (size_t i = 0; i < BAND_SLOTS; i++)
            free(d->band[b][i].v);
        free(d->band[b]);
    }
    free(d->all.v);
    free(d);
}

static const struct curator_filter dedupe_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "dedupe",
    .init = dedupe_init,
    .score = dedupe_score,
    .free = dedupe_free,
    .add_item = dedupe_add_item,
    .drop_item = dedupe_drop_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &dedupe_filter;
}
