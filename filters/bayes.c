/* bayes: a per-user naive Bayes model over word stems, trained by the
 * user's feedback ("more like this" / "less like this").
 *
 * An item's words come from its title, summary and text: lowercased,
 * split on ASCII other than letters and digits and on Unicode spaces
 * and punctuation (other non-ASCII characters belong to words), English
 * stopwords and words under 3 bytes dropped, then Snowball-stemmed in
 * the item's language (option `language`, default english, when the
 * item has none or one libstemmer does not know). Each distinct stem of
 * a judged item counts once in the user's "liked" or "disliked" class.
 * The score of an item is the log-odds of its stems seen in training,
 * with Laplace smoothing, times `scale`, clamped to +-`cap`; the
 * strongest words of each side are named in the reasons, in the form
 * they first took in the item (lowercased). Until a user has judged
 * `min_feedback` items, with at least one in each class, the filter
 * has no opinion about them.
 *
 * add_item() names the users whose model scores the item above
 * `want_threshold`, so an item like those a user liked reaches them
 * even without a keyword match. It only considers users reached
 * through a stem of the item they weigh positively, and sums their
 * scores from an inverted index (stem -> each user's weight on it)
 * without opening their models.
 *
 * The model lives in memory only: the host replays every stored
 * feedback through learn() at start, so nothing is saved here. It
 * leaves interests and mutes to other filters.
 */
#include "filter.h"
#include "hashmap.h"
#include "options.h"
#include "utf8.h"

#include <libstemmer.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Words longer than this are junk (URLs, base64, hashes): skipped. */
#define BAYES_MAX_WORD 48
/* Distinct stems kept per item (title first), bounding the memory and
 * time a single hostile item can cost. */
#define BAYES_MAX_TERMS 1024
/* Surface forms remembered per item so a repeated word is stemmed once;
 * past this, words are simply stemmed again. */
#define BAYES_MAX_SEEN (4 * BAYES_MAX_TERMS)
/* Words named per side in a reason. */
#define BAYES_TOP 3

/* ------------------------------------------------------------------ */
/* Hash tables: open addressing, linear probing, backward-shift delete.
 * Each slot starts with struct slot and the caller's payload follows.
 * Slots move when the table grows or an entry is deleted, so a pointer
 * into a table is good only until that table next changes. */

struct slot {
    uint64_t hash;      /* 0 marks an empty slot */
    char *key;          /* owned string key, or NULL for integer keys */
    long long id;       /* the key of integer-keyed tables */
};

struct table {
    unsigned char *slots;
    size_t esz;         /* bytes per slot: struct slot plus payload */
    size_t cap;         /* 0 or a power of two */
    size_t n;
};

#define SLOT(t, i) ((struct slot *)(void *)((t)->slots + (i) * (t)->esz))

static void
tab_init(struct table *t, size_t esz)
{
    memset(t, 0, sizeof *t);
    t->esz = esz;
}

static void *
tab_find(const struct table *t, uint64_t h, const char *key, long long id)
{
    size_t mask, i;

    if (t->cap == 0)
        return NULL;
    mask = t->cap - 1;
    for (i = h & mask;; i = (i + 1) & mask) {
        struct slot *s = SLOT(t, i);
        if (s->hash == 0)
            return NULL;
        if (s->hash != h)
            continue;
        if (key != NULL ? s->key != NULL && strcmp(s->key, key) == 0
                        : s->key == NULL && s->id == id)
            return s;
    }
}

/* Make room for 'want' entries without another allocation. */
static int
tab_reserve(struct table *t, size_t want)
{
    size_t cap = t->cap ? t->cap : 16;
    unsigned char *old = t->slots;
    size_t oldcap = t->cap;

    while (want > cap / 4 * 3) {
        if (cap > SIZE_MAX / 2 / t->esz)
            return -1;
        cap *= 2;
    }
    if (cap == t->cap)
        return 0;
    t->slots = calloc(cap, t->esz);
    if (t->slots == NULL) {
        t->slots = old;
        return -1;
    }
    t->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        struct slot *s = (struct slot *)(void *)(old + i * t->esz);
        size_t j;
        if (s->hash == 0)
            continue;
        for (j = s->hash & (cap - 1); SLOT(t, j)->hash != 0;
             j = (j + 1) & (cap - 1))
            ;
        memcpy(SLOT(t, j), s, t->esz);
    }
    free(old);
    return 0;
}

/* Add an entry known to be absent; the string key is copied. Returns
 * the slot with its payload zeroed, or NULL when out of memory. */
static void *
tab_insert(struct table *t, uint64_t h, const char *key, long long id)
{
    char *copy = NULL;
    struct slot *s;
    size_t i;

    if (tab_reserve(t, t->n + 1) != 0)
        return NULL;
    if (key != NULL) {
        size_t len = strlen(key) + 1;
        if ((copy = malloc(len)) == NULL)
            return NULL;
        memcpy(copy, key, len);
    }
    for (i = h & (t->cap - 1); SLOT(t, i)->hash != 0;
         i = (i + 1) & (t->cap - 1))
        ;
    s = SLOT(t, i);
    memset(s, 0, t->esz);
    s->hash = h;
    s->key = copy;
    s->id = id;
    t->n++;
    return s;
}

static void
tab_delete(struct table *t, void *entry)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)((unsigned char *)entry - t->slots) / t->esz;
    size_t j = i;

    free(SLOT(t, i)->key);
    /* Pull back later entries of the run that may live in the hole. */
    for (;;) {
        size_t home;
        j = (j + 1) & mask;
        if (SLOT(t, j)->hash == 0)
            break;
        home = SLOT(t, j)->hash & mask;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        memcpy(SLOT(t, i), SLOT(t, j), t->esz);
        i = j;
    }
    memset(SLOT(t, i), 0, t->esz);
    t->n--;
}

/* Empty the table, keeping its storage. */
static void
tab_clear(struct table *t)
{
    if (t->n == 0)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(SLOT(t, i)->key);
    memset(t->slots, 0, t->cap * t->esz);
    t->n = 0;
}

static void
tab_free(struct table *t)
{
    tab_clear(t);
    free(t->slots);
    tab_init(t, t->esz);
}

/* ------------------------------------------------------------------ */
/* State */

/* One analysed item: its distinct stems with the first surface form of
 * each, as offsets into a string pool. */
struct term {
    uint32_t stem;
    uint32_t surface;
};

struct view {
    size_t n;
    const struct term *t;
    const char *pool;
};

/* An item kept from add_item() to drop_item(), in one allocation. */
struct citem {
    long long id;
    struct citem *older, *newer;
    size_t n;
    struct term *t;
    char *pool;
};

struct user {
    long long id;
    uint32_t ord;               /* its place in the per-ordinal arrays */
    unsigned n_up, n_down;      /* judged items per class */
    struct table model;         /* stem -> struct mword */
    struct table learned;       /* item id -> struct lslot */
    int dirty;                  /* index entries need refreshing */
};

struct mword {
    struct slot s;
    unsigned up, down;          /* judged items holding the stem */
    uint32_t pos;               /* its posting under the stem, if indexed */
    int indexed;                /* listed under the stem in the index */
};

/* A user's weight on a stem, kept with the stem so add_item() can sum
 * each user's score without opening their model. */
struct posting {
    double w;
    uint32_t ord;
};

struct lslot {
    struct slot s;
    int verdict;                /* +1 or -1 */
};

struct uslot {
    struct slot s;
    struct user *u;
};

struct islot {                  /* stem -> users who judged it */
    struct slot s;
    struct posting *p;
    uint32_t n, cap;
};

struct cslot {
    struct slot s;
    struct citem *item;
};

struct stemmer {
    char code[4];               /* ISO 639 code from an item's language */
    struct sb_stemmer *st;
};

struct bayes {
    /* options */
    double alpha, scale, cap, want_threshold;
    unsigned long min_feedback;
    size_t max_items;

    uint64_t seed;
    struct sb_stemmer *fallback;        /* from option `language` */
    struct stemmer *stemmers;           /* per item language, made lazily */
    size_t n_stemmers;

    struct table users;                 /* id -> struct uslot */
    struct table index;                 /* stem -> struct islot */
    long long *dirty;                   /* users whose index is stale */
    size_t n_dirty, cap_dirty;

    /* Per user ordinal (dense, reused after drop_profile): the user,
     * and add_item()'s running sum of their weights. */
    struct user **by_ord;
    double *acc;
    unsigned char *reached;             /* a positive weight was summed */
    unsigned long *acc_round;           /* the add_item() acc is from */
    uint32_t *touched;                  /* ordinals reached by an item */
    uint32_t *free_ord;                 /* ordinals of dropped users */
    size_t n_ord, n_free, cap_ord;
    unsigned long round;

    struct table cache;                 /* id -> struct cslot */
    struct citem *oldest, *newest;

    /* scratch for analysing one item */
    struct term *terms;
    size_t n_terms;
    char *pool;
    size_t pool_len, pool_cap;
    struct table stems;                 /* stems of the item so far */
    struct table seen;                  /* surface forms handled so far */
};

/* ------------------------------------------------------------------ */
/* Hashing */

/* hm_mix64(), but never 0, which marks an empty slot. */
static uint64_t
mix64(uint64_t x)
{
    x = hm_mix64(x);
    return x ? x : 1;
}

static uint64_t
hash_str(const struct bayes *b, const char *s)
{
    return mix64(hm_fnv_str(HM_FNV_OFFSET ^ b->seed, s));
}

static uint64_t
hash_id(const struct bayes *b, long long id)
{
    return mix64((uint64_t)id ^ b->seed);
}

/* ------------------------------------------------------------------ */
/* Tokenising */

/* English stopwords of 3 bytes or more (shorter words go anyway),
 * sorted for bsearch. */
static const char *const stopwords[] = {
    "about", "above", "after", "again", "against", "all", "also", "and",
    "any", "are", "because", "been", "before", "being", "below",
    "between", "both", "but", "can", "could", "did", "does", "doing",
    "down", "during", "each", "few", "for", "from", "further", "had",
    "has", "have", "having", "her", "here", "hers", "herself", "him",
    "himself", "his", "how", "into", "its", "itself", "just", "more",
    "most", "myself", "nor", "not", "now", "off", "once", "only",
    "other", "our", "ours", "ourselves", "out", "over", "own", "same",
    "she", "should", "some", "such", "than", "that", "the", "their",
    "theirs", "them", "themselves", "then", "there", "these", "they",
    "this", "those", "through", "too", "under", "until", "very", "was",
    "were", "what", "when", "where", "which", "while", "who", "whom",
    "why", "will", "with", "would", "you", "your", "yours", "yourself",
    "yourselves",
};

static int
cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static int
is_stopword(const char *w)
{
    return bsearch(w, stopwords, sizeof stopwords / sizeof stopwords[0],
                   sizeof stopwords[0], cmp_word) != NULL;
}

/* Non-ASCII characters that separate words: Latin-1 punctuation and
 * spaces, general punctuation (dashes, curly quotes, ellipsis), CJK
 * punctuation, the BOM and the replacement character. */
static int
is_separator(uint32_t c)
{
    if (c < 0x80)
        return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                 || (c >= 'A' && c <= 'Z'));
    if (c <= 0xbf)
        return c != 0xaa && c != 0xb5 && c != 0xba;
    return c == 0xd7 || c == 0xf7 || (c >= 0x2000 && c <= 0x206f)
           || (c >= 0x2e00 && c <= 0x2e7f) || (c >= 0x3000 && c <= 0x303f)
           || c == 0xfeff || c == 0xfffd;
}

/* Lowercase ASCII and the capitals of Latin-1, Latin Extended-A, Greek
 * and Cyrillic, which keep their UTF-8 length. */
static uint32_t
lower(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0xc0)
        return c;
    if (c <= 0xde && c != 0xd7)
        return c + 0x20;
    if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137)
        || (c >= 0x14a && c <= 0x177))
        return c | 1;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return c & 1 ? c + 1 : c;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
        return c + 0x20;
    if (c >= 0x410 && c <= 0x42f)
        return c + 0x20;
    if (c >= 0x400 && c <= 0x40f)
        return c + 0x50;
    return c;
}

/* The stemmer for an item's BCP 47 language tag: its primary subtag, if
 * two or three letters libstemmer knows, else the configured language.
 * Only stemmers that exist are cached, so the cache stays as small as
 * libstemmer's list whatever tags feeds send. */
static struct sb_stemmer *
stemmer_for(struct bayes *b, const char *tag)
{
    char code[4];
    size_t n = 0;
    struct sb_stemmer *st;
    struct stemmer *grown;

    while (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_') {
        char c = tag[n];
        if (n == 3)
            return b->fallback;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c < 'a' || c > 'z')
            return b->fallback;
        code[n++] = c;
    }
    if (n < 2)
        return b->fallback;
    code[n] = '\0';
    for (size_t i = 0; i < b->n_stemmers; i++)
        if (strcmp(b->stemmers[i].code, code) == 0)
            return b->stemmers[i].st;
    st = sb_stemmer_new(code, "UTF_8");
    if (st == NULL)
        return b->fallback;
    grown = realloc(b->stemmers, (b->n_stemmers + 1) * sizeof *grown);
    if (grown == NULL) {
        sb_stemmer_delete(st);
        return b->fallback;
    }
    b->stemmers = grown;
    memcpy(grown[b->n_stemmers].code, code, sizeof code);
    grown[b->n_stemmers++].st = st;
    return st;
}

/* Append a NUL-terminated copy of s[0..len) to the scratch pool;
 * returns its offset or -1. */
static long
pool_add(struct bayes *b, const char *s, size_t len)
{
    size_t off = b->pool_len;
    if (b->pool_cap - b->pool_len < len + 1) {
        size_t cap = b->pool_cap ? b->pool_cap : 4096;
        char *p;
        while (cap - b->pool_len < len + 1)
            cap *= 2;
        if (cap > UINT32_MAX || (p = realloc(b->pool, cap)) == NULL)
            return -1;
        b->pool = p;
        b->pool_cap = cap;
    }
    memcpy(b->pool + off, s, len);
    b->pool[off + len] = '\0';
    b->pool_len += len + 1;
    return (long)off;
}

/* One lowercased word: stem it and keep it if its stem is new. */
static void
add_word(struct bayes *b, struct sb_stemmer *st, const char *w, size_t len)
{
    const sb_symbol *stem;
    uint64_t h;
    long so, wo;
    int slen;

    if (len < 3 || is_stopword(w))
        return;
    h = hash_str(b, w);
    if (tab_find(&b->seen, h, w, 0) != NULL)
        return;
    if (b->seen.n < BAYES_MAX_SEEN)
        (void)tab_insert(&b->seen, h, w, 0);
    stem = sb_stemmer_stem(st, (const sb_symbol *)w, (int)len);
    slen = stem != NULL ? sb_stemmer_length(st) : 0;
    if (slen <= 0)
        return;
    /* The stem goes in the pool first so it is NUL-terminated there. */
    if ((so = pool_add(b, (const char *)stem, (size_t)slen)) < 0)
        return;
    h = hash_str(b, b->pool + so);
    if (tab_find(&b->stems, h, b->pool + so, 0) != NULL
        || tab_insert(&b->stems, h, b->pool + so, 0) == NULL) {
        b->pool_len = (size_t)so;
        return;
    }
    wo = strcmp(b->pool + so, w) == 0 ? so : pool_add(b, w, len);
    if (wo < 0) {
        b->pool_len = (size_t)so;
        return;
    }
    b->terms[b->n_terms].stem = (uint32_t)so;
    b->terms[b->n_terms].surface = (uint32_t)wo;
    b->n_terms++;
}

/* Split one field into words and feed them to add_word(). Words with
 * bytes that are not UTF-8, or longer than BAYES_MAX_WORD, are dropped. */
static void
scan_field(struct bayes *b, struct sb_stemmer *st, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    char word[BAYES_MAX_WORD + 1];
    size_t len = 0;
    int bad = 0;

    if (p == NULL)
        return;
    while (b->n_terms < BAYES_MAX_TERMS) {
        uint32_t c = *p;
        /* 4 will do: the text ends at a NUL, which utf8_get() stops at. */
        size_t n = *p < 0x80 ? 1 : utf8_get(p, 4, &c);
        if (*p == '\0' || (n > 0 && is_separator(c))) {
            if (len > 0 && !bad) {
                word[len] = '\0';
                add_word(b, st, word, len);
            }
            if (*p == '\0')
                break;
            len = 0;
            bad = 0;
            p += n;
            continue;
        }
        if (n == 0) {
            bad = 1;            /* swallow the rest of this word */
            p++;
            continue;
        }
        p += n;
        /* lower() keeps the UTF-8 length, so n bytes are written. */
        if (len + n > BAYES_MAX_WORD)
            bad = 1;
        if (!bad)
            len += utf8_put((unsigned char *)word + len, lower(c));
    }
}

/* Analyse an item into the scratch area; the view points into it and
 * is good until the next analysis. */
static int
analyse(struct bayes *b, const struct curator_item *it, struct view *v)
{
    struct sb_stemmer *st;

    if (b->terms == NULL
        && (b->terms = malloc(BAYES_MAX_TERMS * sizeof *b->terms)) == NULL)
        return -1;
    b->n_terms = 0;
    b->pool_len = 0;
    st = stemmer_for(b, it->language != NULL ? it->language : "");
    scan_field(b, st, it->title);
    scan_field(b, st, it->summary);
    scan_field(b, st, it->text);
    tab_clear(&b->stems);
    tab_clear(&b->seen);
    v->n = b->n_terms;
    v->t = b->terms;
    v->pool = b->pool;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The item cache */

static struct citem *
cache_get(const struct bayes *b, long long id)
{
    struct cslot *cs = tab_find(&b->cache, hash_id(b, id), NULL, id);
    return cs != NULL ? cs->item : NULL;
}

static void
cache_drop(struct bayes *b, long long id)
{
    struct cslot *cs = tab_find(&b->cache, hash_id(b, id), NULL, id);
    struct citem *ci;

    if (cs == NULL)
        return;
    ci = cs->item;
    tab_delete(&b->cache, cs);
    if (ci->older != NULL)
        ci->older->newer = ci->newer;
    else
        b->oldest = ci->newer;
    if (ci->newer != NULL)
        ci->newer->older = ci->older;
    else
        b->newest = ci->older;
    free(ci);
}

/* Keep the scratch analysis as item 'id', evicting the oldest past
 * max_items. On failure the item is simply not cached. */
static void
cache_put(struct bayes *b, long long id, const struct view *v)
{
    size_t tsize = v->n * sizeof(struct term);
    struct citem *ci;
    struct cslot *cs;

    if (b->max_items == 0)
        return;
    ci = malloc(sizeof *ci + tsize + b->pool_len);
    if (ci == NULL)
        return;
    cs = tab_insert(&b->cache, hash_id(b, id), NULL, id);
    if (cs == NULL) {
        free(ci);
        return;
    }
    cs->item = ci;
    ci->id = id;
    ci->n = v->n;
    ci->t = (struct term *)(void *)(ci + 1);
    ci->pool = (char *)ci->t + tsize;
    memcpy(ci->t, v->t, tsize);
    memcpy(ci->pool, v->pool, b->pool_len);
    ci->older = b->newest;
    ci->newer = NULL;
    if (b->newest != NULL)
        b->newest->newer = ci;
    else
        b->oldest = ci;
    b->newest = ci;
    while (b->cache.n > b->max_items)
        cache_drop(b, b->oldest->id);
}

/* The analysis of an item: cached by add_item(), or made now. */
static int
item_view(struct bayes *b, const struct curator_item *it, struct view *v)
{
    struct citem *ci = cache_get(b, it->id);
    if (ci != NULL) {
        v->n = ci->n;
        v->t = ci->t;
        v->pool = ci->pool;
        return 0;
    }
    return analyse(b, it, v);
}

/* ------------------------------------------------------------------ */
/* Users and the inverted index */

static int
grow(void *arrayp, size_t n, size_t size)
{
    void **array = arrayp;
    void *p = realloc(*array, n * size);
    if (p == NULL)
        return -1;
    *array = p;
    return 0;
}

/* Give a new user an ordinal, reusing a dropped user's. */
static int
ord_take(struct bayes *b, struct user *u)
{
    if (b->n_free > 0) {
        u->ord = b->free_ord[--b->n_free];
    } else {
        if (b->n_ord == b->cap_ord) {
            size_t cap = b->cap_ord ? b->cap_ord * 2 : 64;
            /* Each array grown stays grown; cap_ord moves when all are. */
            if (cap > UINT32_MAX
                || grow(&b->by_ord, cap, sizeof *b->by_ord) != 0
                || grow(&b->acc, cap, sizeof *b->acc) != 0
                || grow(&b->reached, cap, sizeof *b->reached) != 0
                || grow(&b->acc_round, cap, sizeof *b->acc_round) != 0
                || grow(&b->touched, cap, sizeof *b->touched) != 0
                || grow(&b->free_ord, cap, sizeof *b->free_ord) != 0)
                return -1;
            b->cap_ord = cap;
        }
        u->ord = (uint32_t)b->n_ord++;
    }
    b->by_ord[u->ord] = u;
    b->acc_round[u->ord] = 0;
    return 0;
}

static struct user *
user_get(struct bayes *b, long long id, int create)
{
    uint64_t h = hash_id(b, id);
    struct uslot *us = tab_find(&b->users, h, NULL, id);
    struct user *u;

    if (us != NULL || !create)
        return us != NULL ? us->u : NULL;
    if ((u = calloc(1, sizeof *u)) == NULL)
        return NULL;
    if (ord_take(b, u) != 0
        || (us = tab_insert(&b->users, h, NULL, id)) == NULL) {
        if (b->by_ord != NULL && b->by_ord[u->ord] == u) {
            b->by_ord[u->ord] = NULL;
            b->free_ord[b->n_free++] = u->ord;
        }
        free(u);
        return NULL;
    }
    u->id = id;
    tab_init(&u->model, sizeof(struct mword));
    tab_init(&u->learned, sizeof(struct lslot));
    us->u = u;
    return u;
}

/* Too little feedback to say anything. */
static int
user_neutral(const struct bayes *b, const struct user *u)
{
    return (unsigned long)u->n_up + u->n_down < b->min_feedback
           || u->n_up < 1 || u->n_down < 1;
}

/* log(P(stem|liked) / P(stem|disliked)), Laplace-smoothed. */
static double
weight(const struct bayes *b, const struct user *u, const struct mword *w)
{
    double pu = (w->up + b->alpha) / (u->n_up + 2 * b->alpha);
    double pd = (w->down + b->alpha) / (u->n_down + 2 * b->alpha);
    return log(pu / pd);
}

static int
index_add(struct bayes *b, struct mword *w, const struct user *u,
          double wt)
{
    struct islot *is = tab_find(&b->index, w->s.hash, w->s.key, 0);

    if (is == NULL
        && (is = tab_insert(&b->index, w->s.hash, w->s.key, 0)) == NULL)
        return -1;
    if (is->n == is->cap) {
        uint32_t cap = is->cap ? is->cap * 2 : 4;
        if (is->cap > UINT32_MAX / 2 || grow(&is->p, cap, sizeof *is->p)) {
            if (is->n == 0)
                tab_delete(&b->index, is);
            return -1;
        }
        is->cap = cap;
    }
    is->p[is->n].ord = u->ord;
    is->p[is->n].w = wt;
    w->pos = is->n++;
    return 0;
}

static void
index_set(struct bayes *b, const struct mword *w, double wt)
{
    struct islot *is = tab_find(&b->index, w->s.hash, w->s.key, 0);
    if (is != NULL && w->pos < is->n)
        is->p[w->pos].w = wt;
}

/* Take a user's posting out from under a stem: the last posting fills
 * the hole, and its user's word learns where it went. */
static void
index_remove(struct bayes *b, const struct mword *w)
{
    struct islot *is = tab_find(&b->index, w->s.hash, w->s.key, 0);
    uint32_t i = w->pos;

    if (is == NULL || i >= is->n)
        return;
    if (i != --is->n) {
        struct posting moved = is->p[is->n];
        struct user *m = b->by_ord[moved.ord];
        struct mword *mw = m != NULL ? tab_find(&m->model, w->s.hash,
                                                w->s.key, 0) : NULL;
        is->p[i] = moved;
        if (mw != NULL)
            mw->pos = i;
    }
    if (is->n == 0) {
        free(is->p);
        tab_delete(&b->index, is);
    }
}

/* Bring a user's postings in line with the model. Any feedback changes
 * the class sizes and so every weight, which is why this runs over the
 * whole model, once per add_item() after learning rather than once per
 * learn() (the start-up replay). Neutral users have no postings. */
static void
user_reindex(struct bayes *b, struct user *u)
{
    int neutral = user_neutral(b, u);

    for (size_t i = 0; i < u->model.cap; i++) {
        struct mword *w = (struct mword *)SLOT(&u->model, i);
        int seen = !neutral && w->up + w->down > 0;
        double wt;
        if (w->s.hash == 0)
            continue;
        wt = seen ? weight(b, u, w) : 0;
        if (seen && w->indexed) {
            index_set(b, w, wt);
        } else if (seen) {
            w->indexed = index_add(b, w, u, wt) == 0;
        } else if (w->indexed) {
            index_remove(b, w);
            w->indexed = 0;
        }
    }
    u->dirty = 0;
}

static void
mark_dirty(struct bayes *b, struct user *u)
{
    if (u->dirty)
        return;
    if (b->n_dirty == b->cap_dirty) {
        size_t cap = b->cap_dirty ? b->cap_dirty * 2 : 16;
        long long *p = realloc(b->dirty, cap * sizeof *p);
        if (p == NULL)
            return;     /* the index stays stale for this user */
        b->dirty = p;
        b->cap_dirty = cap;
    }
    b->dirty[b->n_dirty++] = u->id;
    u->dirty = 1;
}

static void
reindex_dirty(struct bayes *b)
{
    for (size_t i = 0; i < b->n_dirty; i++) {
        struct user *u = user_get(b, b->dirty[i], 0);
        if (u != NULL && u->dirty)
            user_reindex(b, u);
    }
    b->n_dirty = 0;
}

static void
user_free(struct user *u)
{
    tab_free(&u->model);
    tab_free(&u->learned);
    free(u);
}

/* ------------------------------------------------------------------ */
/* Scoring */

struct side {
    double sum;                 /* unscaled log-odds of this side */
    size_t n;
    size_t top[BAYES_TOP];      /* terms of the view, strongest first */
    double c[BAYES_TOP];
};

static void
side_add(struct side *sd, size_t term, double c)
{
    size_t i;

    sd->sum += c;
    c = fabs(c);
    /* Strictly stronger moves up, so ties keep the item's word order. */
    for (i = sd->n; i > 0 && c > sd->c[i - 1]; i--) {
        if (i < BAYES_TOP) {
            sd->top[i] = sd->top[i - 1];
            sd->c[i] = sd->c[i - 1];
        }
    }
    if (i < BAYES_TOP) {
        sd->top[i] = term;
        sd->c[i] = c;
        if (sd->n < BAYES_TOP)
            sd->n++;
    }
}

/* Sum the item's stems seen in the user's training, per side. */
static void
user_sums(const struct bayes *b, const struct user *u, const struct view *v,
          struct side *pos, struct side *neg)
{
    memset(pos, 0, sizeof *pos);
    memset(neg, 0, sizeof *neg);
    for (size_t i = 0; i < v->n; i++) {
        const char *stem = v->pool + v->t[i].stem;
        const struct mword *w = tab_find(&u->model, hash_str(b, stem),
                                         stem, 0);
        double c;
        if (w == NULL || w->up + w->down == 0)
            continue;
        c = weight(b, u, w);
        if (c > 0)
            side_add(pos, i, c);
        else if (c < 0)
            side_add(neg, i, c);
    }
}

static double
clamp(const struct bayes *b, double s)
{
    return s > b->cap ? b->cap : s < -b->cap ? -b->cap : s;
}

/* One reason for a side: its words, quoted, as many as fit. */
static void
explain_side(struct curator_explain *why, double contribution,
             const char *lead, const struct side *sd, const struct view *v)
{
    char reason[200];
    size_t len = (size_t)snprintf(reason, sizeof reason, "%s", lead);

    for (size_t i = 0; i < sd->n; i++) {
        const char *w = v->pool + v->t[sd->top[i]].surface;
        size_t need = strlen(w) + (i > 0 ? 4 : 2);
        if (len + need >= sizeof reason)
            break;
        len += (size_t)snprintf(reason + len, sizeof reason - len,
                                "%s\"%s\"", i > 0 ? ", " : "", w);
    }
    curator_explain_add(why, contribution, "%s", reason);
}

/* ------------------------------------------------------------------ */
/* The filter's entry points */

/* A finite number, as strtod() reads it whole. Unlike
 * opt_parse_number(), leading space passes and underflow fails: this
 * is how bayes has always read its options. */
static int
parse_double(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int
bayes_init(const struct curator_filter_option *opts, size_t n, void **ctx,
           char *err, size_t errlen)
{
    struct bayes *b = calloc(1, sizeof *b);
    const char *language = "english";
    long long count = 0;

    if (b == NULL)
        return opt_error(err, errlen, "out of memory");
    b->alpha = 1.0;
    b->scale = 0.5;
    b->cap = 3.0;
    b->want_threshold = 1.0;
    b->min_feedback = 4;
    b->max_items = 50000;
    for (size_t i = 0; i < n; i++) {
        const char *k = opts[i].key ? opts[i].key : "";
        const char *v = opts[i].value ? opts[i].value : "";
        const char *want = NULL;
        int rc = 0;

        if (strcmp(k, "language") == 0) {
            language = v;
        } else if (strcmp(k, "alpha") == 0) {
            /* Bounded so every log() stays finite. */
            if (parse_double(v, &b->alpha) != 0 || b->alpha < 1e-6
                || b->alpha > 1000)
                want = "a number from 0.000001 to 1000";
        } else if (strcmp(k, "scale") == 0) {
            if (parse_double(v, &b->scale) != 0 || b->scale < 0
                || b->scale > 1000)
                want = "a number from 0 to 1000";
        } else if (strcmp(k, "cap") == 0) {
            if (parse_double(v, &b->cap) != 0 || b->cap < 0 || b->cap > 1000)
                want = "a number from 0 to 1000";
        } else if (strcmp(k, "want_threshold") == 0) {
            if (parse_double(v, &b->want_threshold) != 0)
                want = "a number";
        } else if (strcmp(k, "min_feedback") == 0) {
            if ((rc = opt_whole(k, v, 0, 1000000000, &count, err,
                                errlen)) == 0)
                b->min_feedback = (unsigned long)count;
        } else if (strcmp(k, "max_items") == 0) {
            if ((rc = opt_whole(k, v, 0, 100000000, &count, err,
                                errlen)) == 0)
                b->max_items = (size_t)count;
        } else {
            rc = opt_unknown(k, err, errlen);
        }
        if (want != NULL)
            rc = opt_refuse(k, v, want, err, errlen);
        if (rc != 0) {
            free(b);
            return -1;
        }
    }
    b->fallback = sb_stemmer_new(language, "UTF_8");
    if (b->fallback == NULL) {
        opt_error(err, errlen, "language: '%s' has no Snowball stemmer",
                  language);
        free(b);
        return -1;
    }
    /* Seeded hashes keep crafted words from piling into one bucket. */
    b->seed = mix64((uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)b);
    tab_init(&b->users, sizeof(struct uslot));
    tab_init(&b->index, sizeof(struct islot));
    tab_init(&b->cache, sizeof(struct cslot));
    tab_init(&b->stems, sizeof(struct slot));
    tab_init(&b->seen, sizeof(struct slot));
    *ctx = b;
    return 0;
}

static int
bayes_score(void *ctx, const struct curator_item *it,
            const struct curator_profile *who, double *score, int *exclude,
            struct curator_explain *why)
{
    struct bayes *b = ctx;
    struct user *u = user_get(b, who->user_id, 0);
    struct side pos, neg;
    struct view v;
    double raw, s, k;

    (void)exclude;
    *score = 0;
    if (u == NULL || user_neutral(b, u))
        return 0;
    if (item_view(b, it, &v) != 0)
        return -1;
    user_sums(b, u, &v, &pos, &neg);
    raw = (pos.sum + neg.sum) * b->scale;
    s = clamp(b, raw);
    /* Shrink the reasons with the score so they still add up to it. */
    k = raw != 0 ? s / raw : 1;
    *score = s;
    if (pos.n > 0)
        explain_side(why, pos.sum * b->scale * k, "you liked items about ",
                     &pos, &v);
    if (neg.n > 0)
        explain_side(why, neg.sum * b->scale * k,
                     "you disliked items about ", &neg, &v);
    return 0;
}

static int
bayes_add_item(void *ctx, const struct curator_item *it,
               struct curator_want *want)
{
    struct bayes *b = ctx;
    struct view v;
    size_t n;

    reindex_dirty(b);
    cache_drop(b, it->id);
    if (analyse(b, it, &v) != 0)
        return -1;
    /* Sum each user's weights over the item's stems, in item order as
     * score() does, noting who has a positive weight on one of them. */
    b->round++;
    n = 0;
    for (size_t i = 0; i < v.n; i++) {
        const char *stem = v.pool + v.t[i].stem;
        struct islot *is = tab_find(&b->index, hash_str(b, stem), stem, 0);
        for (uint32_t j = 0; is != NULL && j < is->n; j++) {
            uint32_t ord = is->p[j].ord;
            if (b->acc_round[ord] != b->round) {
                b->acc_round[ord] = b->round;
                b->acc[ord] = 0;
                b->reached[ord] = 0;
                b->touched[n++] = ord;
            }
            b->acc[ord] += is->p[j].w;
            b->reached[ord] |= is->p[j].w > 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t ord = b->touched[i];
        struct user *u = b->by_ord[ord];
        double s = b->acc[ord] * b->scale;
        if (!b->reached[ord])
            continue;
        /* score() adds the two sides apart, so a hair's difference in
         * rounding is settled by asking it. */
        if (fabs(s - b->want_threshold) < 1e-9 * (1 + fabs(s))) {
            struct side pos, neg;
            user_sums(b, u, &v, &pos, &neg);
            s = (pos.sum + neg.sum) * b->scale;
        }
        if (clamp(b, s) > b->want_threshold && want != NULL
            && want->user != NULL)
            want->user(want, u->id);
    }
    cache_put(b, it->id, &v);
    return 0;
}

static void
bayes_drop_item(void *ctx, long long item_id)
{
    cache_drop(ctx, item_id);
}

static void
bayes_learn(void *ctx, const struct curator_item *it,
            const struct curator_profile *who, int verdict)
{
    struct bayes *b = ctx;
    int up = verdict > 0;
    uint64_t h = hash_id(b, it->id);
    struct user *u;
    struct lslot *ls;
    struct view v;

    if (verdict == 0 || (u = user_get(b, who->user_id, 1)) == NULL)
        return;
    ls = tab_find(&u->learned, h, NULL, it->id);
    if (ls != NULL && (ls->verdict > 0) == up)
        return;                 /* already counted this way */
    if (item_view(b, it, &v) != 0
        || tab_reserve(&u->model, u->model.n + v.n) != 0)
        return;
    if (ls == NULL) {
        if ((ls = tab_insert(&u->learned, h, NULL, it->id)) == NULL)
            return;
    } else {
        /* A changed verdict moves the item to the other class. */
        if (up && u->n_down > 0)
            u->n_down--;
        else if (!up && u->n_up > 0)
            u->n_up--;
    }
    for (size_t i = 0; i < v.n; i++) {
        const char *stem = v.pool + v.t[i].stem;
        uint64_t sh = hash_str(b, stem);
        struct mword *w = tab_find(&u->model, sh, stem, 0);
        if (w == NULL && (w = tab_insert(&u->model, sh, stem, 0)) == NULL)
            continue;
        if (up) {
            if (ls->verdict < 0 && w->down > 0)
                w->down--;
            w->up++;
        } else {
            if (ls->verdict > 0 && w->up > 0)
                w->up--;
            w->down++;
        }
    }
    if (up)
        u->n_up++;
    else
        u->n_down++;
    ls->verdict = up ? 1 : -1;
    mark_dirty(b, u);
}

static int
bayes_set_profile(void *ctx, const struct curator_profile *who)
{
    /* The model depends on feedback alone. */
    (void)ctx;
    (void)who;
    return 0;
}

static void
bayes_drop_profile(void *ctx, long long user_id)
{
    struct bayes *b = ctx;
    struct uslot *us = tab_find(&b->users, hash_id(b, user_id), NULL,
                                user_id);
    struct user *u;

    if (us == NULL)
        return;
    u = us->u;
    tab_delete(&b->users, us);
    for (size_t i = 0; i < u->model.cap; i++) {
        struct mword *w = (struct mword *)SLOT(&u->model, i);
        if (w->s.hash != 0 && w->indexed)
            index_remove(b, w);
    }
    b->by_ord[u->ord] = NULL;
    b->free_ord[b->n_free++] = u->ord;
    user_free(u);
}

static void
bayes_free(void *ctx)
{
    struct bayes *b = ctx;

    if (b == NULL)
        return;
    for (size_t i = 0; i < b->index.cap; i++) {
        struct islot *is = (struct islot *)SLOT(&b->index, i);
        if (is->s.hash != 0)
            free(is->p);
    }
    tab_free(&b->index);
    for (size_t i = 0; i < b->users.cap; i++) {
        struct uslot *us = (struct uslot *)SLOT(&b->users, i);
        if (us->s.hash != 0)
            user_free(us->u);
    }
    tab_free(&b->users);
    while (b->oldest != NULL)
        cache_drop(b, b->oldest->id);
    tab_free(&b->cache);
    tab_free(&b->stems);
    tab_free(&b->seen);
    for (size_t i = 0; i < b->n_stemmers; i++)
        sb_stemmer_delete(b->stemmers[i].st);
    free(b->stemmers);
    sb_stemmer_delete(b->fallback);
    free(b->dirty);
    free(b->by_ord);
    free(b->acc);
    free(b->reached);
    free(b->acc_round);
    free(b->touched);
    free(b->free_ord);
    free(b->terms);
    free(b->pool);
    free(b);
}

static const struct curator_filter bayes_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "bayes",
    .init = bayes_init,
    .score = bayes_score,
    .free = bayes_free,
    .set_profile = bayes_set_profile,
    .drop_profile = bayes_drop_profile,
    .add_item = bayes_add_item,
    .drop_item = bayes_drop_item,
    .learn = bayes_learn,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &bayes_filter;
}
