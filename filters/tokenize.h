/* Text analysis shared by the keyword and mute filters, header-only
 * (filters link nothing from each other): a UTF-8 word scanner with
 * lowercasing, Snowball stemming through libstemmer with a small memo,
 * a compact per-item analysis (distinct stems with their fields and
 * counts, plus the stem sequence for phrases), a cache of analyses keyed
 * by item id, a generic open-addressing index map, and the options a
 * filter built on these takes (language, max_items).
 *
 * Words: runs of ASCII letters and digits and of bytes >= 0x80, except
 * that a well-formed UTF-8 encoding of Unicode punctuation or space
 * separates words (U+0080..U+00BF but for the letters and digits among
 * them, U+00D7, U+00F7, U+2000..U+206F, U+2E00..U+2E7F, U+3000..U+303F,
 * U+FEFF, U+FFF0..U+FFFF), so that words in curly quotes or joined by an
 * em dash still match. Lowercasing covers ASCII, Latin-1, Latin
 * Extended-A, the Romanian and related pairs of Latin Extended-B, Latin
 * Extended Additional, Greek, Cyrillic and Armenian; other bytes, and
 * invalid UTF-8, are kept as they are. A word longer than TK_MAX_WORD
 * bytes once lowercased, or whose stem is, is skipped whole, in items
 * and in terms alike. At most TK_MAX_TOKENS words of each field are read.
 *
 * Memory: each language's stemmer has a memo of 1 MiB (calloc'd, so only
 * touched pages count); a kept analysis takes about 30 bytes per distinct
 * stem and 8 per word, some 5 KiB for an item of 150 words.
 *
 * Everything here is static inline so that a filter using only part of
 * it compiles without unused-function warnings. Nothing here is
 * thread-safe: a stemmer and its memo belong to one filter ctx, which
 * the host calls from one thread at a time.
 */
#ifndef CURATOR_FILTER_TOKENIZE_H
#define CURATOR_FILTER_TOKENIZE_H

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "hashmap.h"
#include "options.h"
#include "utf8.h"

#define TK_MAX_WORD 64          /* bytes of a lowercased word or stem */
#define TK_MAX_PHRASE 16        /* words of a term; longer never match */
#define TK_MAX_KEY (TK_MAX_PHRASE * (TK_MAX_WORD + 1))
#define TK_MAX_TOKENS 65536     /* words read per field */
#define TK_MAX_LANGS 32
#define TK_MEMO_SETS 8192       /* word -> stem memo: sets of 2 */
#define TK_NONE UINT32_MAX
#define TK_SEP UINT32_MAX       /* field boundary in a token sequence */

enum { TK_TITLE, TK_SUMMARY, TK_TEXT, TK_NFIELDS };

/* ---- hashing ---- */

/* A multiply-xor hash over 8-byte words: words are short, so this is a
 * few multiplies per call. The tail is read as overlapping whole words
 * (the length is in the seed), since a short memcpy() onto the stack
 * makes the next load wait. Only ever compared within one process. */
static inline uint32_t
tk_hash(const void *p, size_t n)
{
    const unsigned char *s = p, *end = s + n;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n * 0x9fb21c651e98df25ULL);
    uint64_t v;

    if (n > 8) {
        while (end - s > 8) {
            memcpy(&v, s, 8);
            h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
            h ^= h >> 31;
            s += 8;
        }
        memcpy(&v, end - 8, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, end - 4, 4);
        v = (uint64_t)a << 32 | b;
    } else if (n > 0) {
        v = (uint64_t)s[0] << 16 | (uint64_t)s[n / 2] << 8 | s[n - 1];
    } else {
        v = 0;
    }
    return (uint32_t)hm_mix64(h ^ v);
}

/* ---- the word scanner ---- */

/* ASCII letters and digits lowercased; 0 for everything else (bytes
 * >= 0x80 included: they take the slow path). */
static const unsigned char tk_ascii[256] = {
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
    ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
    ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
    ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
    ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
    ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
    ['Z'] = 'z',
    ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
    ['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
    ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
    ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
    ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
    ['z'] = 'z',
};

static inline int
tk_is_punct(uint32_t c)
{
    if (c >= 0x80 && c <= 0xbf)
        return !(c == 0xaa || c == 0xb2 || c == 0xb3 || c == 0xb5
                 || c == 0xb9 || c == 0xba || (c >= 0xbc && c <= 0xbe));
    return c == 0xd7 || c == 0xf7 || (c >= 0x2000 && c <= 0x206f)
           || (c >= 0x2e00 && c <= 0x2e7f) || (c >= 0x3000 && c <= 0x303f)
           || c == 0xfeff || (c >= 0xfff0 && c <= 0xffff);
}

/* Simple lowercase mapping for the scripts named in the opening note. */
static inline uint32_t
tk_lower(uint32_t c)
{
    if (c < 0x100)
        return (c >= 0xc0 && c <= 0xde && c != 0xd7) ? c + 0x20 : c;
    if (c < 0x180) {
        if (c == 0x130)
            return 'i';
        if (c == 0x178)
            return 0xff;
        if ((c < 0x138 || (c >= 0x14a && c < 0x178)) && c % 2 == 0)
            return c + 1;
        if (((c >= 0x139 && c < 0x149) || (c >= 0x179 && c < 0x17f))
            && c % 2 == 1)
            return c + 1;
        return c;
    }
    if (c >= 0x200 && c < 0x234 && c != 0x220 && c != 0x221 && c % 2 == 0)
        return c + 1;
    if (c >= 0x370 && c < 0x400) {
        if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
            return c + 0x20;
        if (c == 0x386)
            return 0x3ac;
        if (c >= 0x388 && c <= 0x38a)
            return c + 0x25;
        if (c == 0x38c)
            return 0x3cc;
        if (c == 0x38e || c == 0x38f)
            return c + 0x3f;
        return c;
    }
    if (c >= 0x400 && c < 0x530) {
        if (c < 0x410)
            return c + 0x50;
        if (c < 0x430)
            return c + 0x20;
        if (((c >= 0x460 && c < 0x482) || (c >= 0x48a && c < 0x4c0)
             || c >= 0x4d0) && c % 2 == 0)
            return c + 1;
        if (c >= 0x4c1 && c < 0x4cf && c % 2 == 1)
            return c + 1;
        return c;
    }
    if (c >= 0x531 && c <= 0x556)
        return c + 0x30;
    if (c == 0x1e9e)
        return 0xdf;
    if (((c >= 0x1e00 && c < 0x1e96) || (c >= 0x1ea0 && c < 0x1f00))
        && c % 2 == 0)
        return c + 1;
    return c;
}

/* The next word of [*pp, end), lowercased into out (TK_MAX_WORD bytes).
 * Returns its length, or 0 at the end; *pp moves past the word. */
static inline size_t
tk_word(const unsigned char **pp, const unsigned char *end,
        unsigned char *out)
{
    const unsigned char *p = *pp;

    for (;;) {
        size_t n = 0;
        int over = 0;
        uint32_t c;
        size_t l;

        /* Separators. */
        while (p < end && !tk_ascii[*p]) {
            if (*p < 0x80)
                p++;
            else if ((l = utf8_get(p, (size_t)(end - p), &c)) > 0
                     && tk_is_punct(c))
                p += l;
            else
                break;
        }
        if (p >= end) {
            *pp = p;
            return 0;
        }
        /* The word. */
        while (p < end) {
            unsigned char enc[4];
            const unsigned char *src;

            /* The common case first: ASCII letters and digits. */
            while (p < end && n < TK_MAX_WORD && tk_ascii[*p])
                out[n++] = tk_ascii[*p++];
            if (p >= end)
                break;
            if (*p < 0x80) {
                if (!tk_ascii[*p])
                    break;
                over = 1;       /* a letter with the word already full */
                p++;
                continue;
            }
            l = utf8_get(p, (size_t)(end - p), &c);
            if (l == 0) {
                /* Invalid UTF-8: a word byte, kept as it is. */
                src = p;
                l = 1;
                p++;
            } else if (tk_is_punct(c)) {
                break;
            } else {
                p += l;
                l = utf8_put(enc, tk_lower(c));
                src = enc;
            }
            if (n + l <= TK_MAX_WORD) {
                memcpy(out + n, src, l);
                n += l;
            } else {
                over = 1;
            }
        }
        if (!over) {
            *pp = p;
            return n;
        }
    }
}

/* ---- languages and stemming ---- */

struct tk_memo {
    uint32_t hash;              /* of the word */
    uint32_t shash;             /* of the stem */
    unsigned char wlen, slen;
    unsigned char buf[54];      /* word then stem */
};

struct tk_lang {
    char algo[24];
    struct sb_stemmer *st;
    struct tk_memo *memo;       /* may be NULL (no memory): no memo */
};

struct tk_langs {
    struct tk_lang l[TK_MAX_LANGS];
    size_t n;                   /* l[0] is the default language */
};

/* ISO 639-1 code -> Snowball algorithm, sorted by code. */
static const char *const tk_iso[][2] = {
    { "ar", "arabic" }, { "ca", "catalan" }, { "da", "danish" },
    { "de", "german" }, { "el", "greek" }, { "en", "english" },
    { "es", "spanish" }, { "eu", "basque" }, { "fi", "finnish" },
    { "fr", "french" }, { "ga", "irish" }, { "hi", "hindi" },
    { "hu", "hungarian" }, { "hy", "armenian" }, { "id", "indonesian" },
    { "it", "italian" }, { "lt", "lithuanian" }, { "nb", "norwegian" },
    { "ne", "nepali" }, { "nl", "dutch" }, { "nn", "norwegian" },
    { "no", "norwegian" }, { "pt", "portuguese" }, { "ro", "romanian" },
    { "ru", "russian" }, { "sr", "serbian" }, { "sv", "swedish" },
    { "ta", "tamil" }, { "tr", "turkish" }, { "yi", "yiddish" },
};

/* The Snowball algorithm for a BCP 47 tag ("fr-CA" -> "french"), or NULL
 * when the primary language is not one we map. */
static inline const char *
tk_algo_for(const char *tag)
{
    char code[3];
    size_t n = 0;

    if (tag == NULL)
        return NULL;
    while (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_') {
        if (n == 2)
            return NULL;
        code[n] = (char)(tag[n] >= 'A' && tag[n] <= 'Z' ? tag[n] + 32
                                                         : tag[n]);
        n++;
    }
    if (n != 2)
        return NULL;
    code[2] = '\0';
    for (size_t i = 0; i < sizeof tk_iso / sizeof tk_iso[0]; i++)
        if (strcmp(tk_iso[i][0], code) == 0)
            return tk_iso[i][1];
    return NULL;
}

static inline int
tk_lang_open(struct tk_lang *l, const char *algo)
{
    if (strlen(algo) >= sizeof l->algo)
        return -1;
    l->st = sb_stemmer_new(algo, NULL);
    if (l->st == NULL)
        return -1;
    strcpy(l->algo, algo);
    l->memo = calloc(TK_MEMO_SETS * 2, sizeof *l->memo);
    return 0;
}

/* Set up with the default language: an ISO 639-1 code or a Snowball
 * algorithm name. Returns 0, or -1 if libstemmer knows neither. */
static inline int
tk_langs_init(struct tk_langs *ls, const char *deflt)
{
    const char *algo = tk_algo_for(deflt);
    memset(ls, 0, sizeof *ls);
    if (tk_lang_open(&ls->l[0], algo != NULL ? algo : deflt) != 0)
        return -1;
    ls->n = 1;
    return 0;
}

static inline void
tk_langs_free(struct tk_langs *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        sb_stemmer_delete(ls->l[i].st);
        free(ls->l[i].memo);
    }
    ls->n = 0;
}

/* The index in ls of the stemmer for an item's language tag, opened the
 * first time it is needed; the default (0) for "", unknown tags, or when
 * the stemmer cannot be had (remembered as an entry without stemmer, so
 * that an older libstemmer is not asked again for every item). */
static inline size_t
tk_langs_get(struct tk_langs *ls, const char *tag)
{
    const char *algo = tk_algo_for(tag);

    if (algo == NULL)
        return 0;
    for (size_t i = 0; i < ls->n; i++)
        if (strcmp(ls->l[i].algo, algo) == 0)
            return ls->l[i].st != NULL ? i : 0;
    if (ls->n == TK_MAX_LANGS)
        return 0;
    if (tk_lang_open(&ls->l[ls->n], algo) != 0) {
        memset(&ls->l[ls->n], 0, sizeof ls->l[ls->n]);
        strcpy(ls->l[ls->n].algo, algo);    /* table names are short */
        ls->n++;
        return 0;
    }
    return ls->n++;
}

/* Stem a lowercased word: the stem (living until the next call), its
 * length in *out and its tk_hash() in *sh. Falls back to the word itself
 * if libstemmer runs out of memory. Stemming costs ~2000 instructions,
 * the memo (two ways, the newer word first) a few dozen. */
static inline const unsigned char *
tk_stem(struct tk_lang *l, const unsigned char *w, size_t n, size_t *out,
        uint32_t *sh)
{
    uint32_t h = tk_hash(w, n);
    struct tk_memo *m = NULL;
    const sb_symbol *s;
    size_t sn;

    if (l->memo != NULL) {
        m = &l->memo[(h & (TK_MEMO_SETS - 1)) * 2];
        for (int way = 0; way < 2; way++) {
            if (m[way].hash == h && m[way].wlen == n && n > 0
                && memcmp(m[way].buf, w, n) == 0) {
                *out = m[way].slen;
                *sh = m[way].shash;
                return m[way].buf + n;
            }
        }
    }
    s = sb_stemmer_stem(l->st, w, (int)n);
    if (s == NULL) {
        s = w;
        sn = n;
    } else {
        sn = (size_t)sb_stemmer_length(l->st);
    }
    *out = sn;
    *sh = tk_hash(s, sn);
    if (m != NULL && n + sn <= sizeof m->buf) {
        m[1] = m[0];
        m->hash = h;
        m->shash = *sh;
        m->wlen = (unsigned char)n;
        m->slen = (unsigned char)sn;
        memcpy(m->buf, w, n);
        memcpy(m->buf + n, s, sn);
    }
    return s;
}

/* The next stem of [*pp, end) with its length and hash: the word
 * scanner then the stemmer, the one path for items and terms so that
 * both tokenise alike. Returns NULL at the end. */
static inline const unsigned char *
tk_next_stem(struct tk_lang *l, const unsigned char **pp,
             const unsigned char *end, size_t *len, uint32_t *hash)
{
    unsigned char w[TK_MAX_WORD];
    size_t n;

    while ((n = tk_word(pp, end, w)) > 0) {
        const unsigned char *s = tk_stem(l, w, n, len, hash);
        if (*len > 0 && *len <= TK_MAX_WORD)
            return s;
    }
    return NULL;
}

/* Stem the words of a term and join them with ' ' into key (TK_MAX_KEY
 * bytes). Returns the number of words, 0 when there is none or more than
 * TK_MAX_PHRASE (such a term never matches). */
static inline size_t
tk_compile(struct tk_lang *l, const char *term, unsigned char *key,
           size_t *len)
{
    const unsigned char *p = (const unsigned char *)(term ? term : "");
    const unsigned char *end = p + strlen((const char *)p);
    const unsigned char *s;
    size_t sn, nw = 0, n = 0;
    uint32_t h;

    while ((s = tk_next_stem(l, &p, end, &sn, &h)) != NULL) {
        if (nw == TK_MAX_PHRASE)
            return 0;
        if (nw > 0)
            key[n++] = ' ';
        memcpy(key + n, s, sn);
        n += sn;
        nw++;
    }
    *len = n;
    return nw;
}

/* ---- a generic open-addressing map of uint32_t values ---- */

/* Slots hold value + 1 (0 is empty); linear probing, at most half full,
 * deletion by backward shift. The caller keeps the keys: it passes the
 * hash, an equality test and, to grow or erase, the hash of a value. */
struct tk_map {
    uint32_t *slot;
    uint32_t mask;
    uint32_t n;
};

typedef uint32_t (*tk_hash_fn)(const void *ctx, uint32_t v);
typedef int (*tk_eq_fn)(const void *ctx, uint32_t v, const void *key);

static inline uint32_t *
tk_map_find(const struct tk_map *m, uint32_t h, tk_eq_fn eq,
            const void *ctx, const void *key)
{
    if (m->slot == NULL)
        return NULL;
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        uint32_t s = m->slot[i];
        if (s == 0)
            return NULL;
        if (eq(ctx, s - 1, key))
            return &m->slot[i];
    }
}

/* Make room for one more value. Returns 0, or -1 out of memory. */
static inline int
tk_map_reserve(struct tk_map *m, tk_hash_fn hash, const void *ctx)
{
    size_t cap = m->slot ? (size_t)m->mask + 1 : 0;
    size_t ncap = cap ? cap * 2 : 16;
    uint32_t *ns;

    if (((size_t)m->n + 1) * 2 <= cap)
        return 0;
    if (ncap > ((size_t)1 << 31))
        return -1;
    ns = calloc(ncap, sizeof *ns);
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < cap; i++) {
        uint32_t s = m->slot[i], j;
        if (s == 0)
            continue;
        for (j = hash(ctx, s - 1) & (uint32_t)(ncap - 1); ns[j] != 0;
             j = (j + 1) & (uint32_t)(ncap - 1))
            ;
        ns[j] = s;
    }
    free(m->slot);
    m->slot = ns;
    m->mask = (uint32_t)(ncap - 1);
    return 0;
}

/* Add v, known absent, after tk_map_reserve(). */
static inline void
tk_map_put(struct tk_map *m, uint32_t h, uint32_t v)
{
    uint32_t i;
    for (i = h & m->mask; m->slot[i] != 0; i = (i + 1) & m->mask)
        ;
    m->slot[i] = v + 1;
    m->n++;
}

/* Remove the value in slot 'at' (from tk_map_find()). */
static inline void
tk_map_erase(struct tk_map *m, uint32_t *at, tk_hash_fn hash,
             const void *ctx)
{
    uint32_t i = (uint32_t)(at - m->slot), j = i;

    for (;;) {
        uint32_t k;
        j = (j + 1) & m->mask;
        if (m->slot[j] == 0)
            break;
        k = hash(ctx, m->slot[j] - 1) & m->mask;
        /* Move j into the hole unless its home lies in (i, j]. */
        if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
            m->slot[i] = m->slot[j];
            i = j;
        }
    }
    m->slot[i] = 0;
    m->n--;
}

static inline void
tk_map_free(struct tk_map *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* ---- the analysis of one item ---- */

/* One distinct stem of an item. */
struct tk_entry {
    uint32_t hash;
    uint32_t off;               /* into bytes */
    uint32_t count;             /* occurrences, all fields */
    uint32_t first;             /* its first position in tok */
    unsigned char len;
    unsigned char fields;       /* bit TK_TITLE, TK_SUMMARY, TK_TEXT */
};

/* A read-only view: a hash of stems (slot holds entry index + 1), the
 * stem sequence (entry indices, TK_SEP at the two field boundaries, at
 * positions bound[]) and, per position, the next position of the same
 * stem (TK_NONE ends), so that a phrase check visits only the places
 * where its first word occurs. */
struct tk_text {
    const struct tk_entry *e;
    const uint32_t *slot;
    const uint32_t *tok;
    const uint32_t *nxt;
    const unsigned char *bytes;
    uint32_t n_entries, mask, n_tokens;
    uint32_t bound[2];
};

/* Growable buffers the analysis is built in, reused across items. */
struct tk_scratch {
    struct tk_entry *e;
    uint32_t n_e, mask;
    size_t cap_e;
    uint32_t *slot;
    size_t cap_slot;
    uint32_t *last;             /* per entry: its latest position */
    size_t cap_last;
    uint32_t *tok, *nxt;
    size_t n_tok, cap_tok, cap_nxt;
    uint32_t bound[2];
    unsigned char *bytes;
    size_t n_bytes, cap_bytes;
};

static inline void
tk_scratch_free(struct tk_scratch *s)
{
    free(s->e);
    free(s->slot);
    free(s->last);
    free(s->tok);
    free(s->nxt);
    free(s->bytes);
    memset(s, 0, sizeof *s);
}

/* Array p of *cap elements made to hold 'need' (>= 1) by doubling:
 * returns p or its new place, or NULL (p untouched) out of memory. */
static inline void *
tk_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    size_t n;
    void *np;

    if (need <= *cap)
        return p;
    n = *cap ? *cap : 16;
    while (n < need) {
        if (n > SIZE_MAX / 2 / elem)
            return NULL;
        n *= 2;
    }
    np = realloc(p, n * elem);
    if (np != NULL)
        *cap = n;
    return np;
}

/* The index of the entry for stem s, or TK_NONE. */
static inline uint32_t
tk_find(const struct tk_text *t, const unsigned char *s, size_t n,
        uint32_t h)
{
    if (t->n_entries == 0)
        return TK_NONE;
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint32_t v = t->slot[i];
        const struct tk_entry *e;
        if (v == 0)
            return TK_NONE;
        e = &t->e[v - 1];
        if (e->hash == h && e->len == n
            && memcmp(t->bytes + e->off, s, n) == 0)
            return v - 1;
    }
}

static inline int
tk_scratch_rehash(struct tk_scratch *s, size_t cap)
{
    uint32_t *ns = tk_grow(s->slot, &s->cap_slot, cap, sizeof *ns);

    if (ns == NULL)
        return -1;
    s->slot = ns;
    s->mask = (uint32_t)(cap - 1);
    memset(s->slot, 0, cap * sizeof *s->slot);
    for (uint32_t k = 0; k < s->n_e; k++) {
        uint32_t i;
        for (i = s->e[k].hash & s->mask; s->slot[i] != 0;
             i = (i + 1) & s->mask)
            ;
        s->slot[i] = k + 1;
    }
    return 0;
}

/* Room for k more tokens and k more entries, so that adding one needs
 * no check. Returns 0, or -1 out of memory. */
static inline int
tk_scratch_reserve(struct tk_scratch *s, size_t k)
{
    uint32_t *nt, *nn, *nl;
    struct tk_entry *ne;

    if (s->n_tok + k >= UINT32_MAX - 1)
        return -1;
    if ((nt = tk_grow(s->tok, &s->cap_tok, s->n_tok + k, sizeof *nt))
        == NULL)
        return -1;
    s->tok = nt;
    if ((nn = tk_grow(s->nxt, &s->cap_nxt, s->n_tok + k, sizeof *nn))
        == NULL)
        return -1;
    s->nxt = nn;
    if ((ne = tk_grow(s->e, &s->cap_e, (size_t)s->n_e + k, sizeof *ne))
        == NULL)
        return -1;
    s->e = ne;
    if ((nl = tk_grow(s->last, &s->cap_last, (size_t)s->n_e + k,
                      sizeof *nl)) == NULL)
        return -1;
    s->last = nl;
    return 0;
}

/* Append v to the token sequence (reserved); its next link is empty. */
static inline void
tk_scratch_push(struct tk_scratch *s, uint32_t v)
{
    s->tok[s->n_tok] = v;
    s->nxt[s->n_tok] = TK_NONE;
    s->n_tok++;
}

/* Count one occurrence of stem st (hash h) in field f; room for the
 * token and entry is reserved. */
static inline int
tk_scratch_add(struct tk_scratch *s, const unsigned char *st, size_t n,
               uint32_t h, unsigned f)
{
    uint32_t i, v, pos = (uint32_t)s->n_tok;
    unsigned char *nb;

    for (i = h & s->mask;; i = (i + 1) & s->mask) {
        v = s->slot[i];
        if (v == 0)
            break;
        if (s->e[v - 1].hash == h && s->e[v - 1].len == n
            && memcmp(s->bytes + s->e[v - 1].off, st, n) == 0)
            goto found;
    }
    /* New stem: keep the table at most half full. */
    if (((size_t)s->n_e + 1) * 2 > (size_t)s->mask + 1) {
        if (tk_scratch_rehash(s, ((size_t)s->mask + 1) * 2) != 0)
            return -1;
        for (i = h & s->mask; s->slot[i] != 0; i = (i + 1) & s->mask)
            ;
    }
    if (s->n_bytes + n > UINT32_MAX
        || (nb = tk_grow(s->bytes, &s->cap_bytes, s->n_bytes + n, 1))
        == NULL)
        return -1;
    s->bytes = nb;
    memcpy(s->bytes + s->n_bytes, st, n);
    tk_scratch_push(s, s->n_e);
    s->e[s->n_e] = (struct tk_entry){ .hash = h, .off = (uint32_t)s->n_bytes,
                                      .first = pos, .len = (unsigned char)n };
    s->last[s->n_e] = pos;
    s->n_bytes += n;
    v = ++s->n_e;
    s->slot[i] = v;
    goto counted;
found:
    tk_scratch_push(s, v - 1);
    s->nxt[s->last[v - 1]] = pos;
    s->last[v - 1] = pos;
counted:
    s->e[v - 1].count++;
    s->e[v - 1].fields |= (unsigned char)(1u << f);
    return 0;
}

/* Analyse title, summary and text of 'it' in language l into s; *out
 * views s until the next call. Returns 0, or -1 out of memory. */
static inline int
tk_analyse(struct tk_scratch *s, struct tk_lang *l,
           const struct curator_item *it, struct tk_text *out)
{
    const char *field[TK_NFIELDS] = { it->title, it->summary, it->text };

    s->n_e = 0;
    s->n_tok = 0;
    s->n_bytes = 0;
    if (tk_scratch_rehash(s, 256) != 0)
        return -1;
    for (unsigned f = 0; f < TK_NFIELDS; f++) {
        const unsigned char *p = (const unsigned char *)(field[f] ? field[f]
                                                                  : "");
        size_t len = strlen((const char *)p), n, words = 0;
        const unsigned char *end = p + len, *st;
        uint32_t h;

        /* A word takes a byte and a separator: at most len / 2 + 1. */
        if (tk_scratch_reserve(s, 1 + (len / 2 + 1 < TK_MAX_TOKENS
                                       ? len / 2 + 1 : TK_MAX_TOKENS))
            != 0)
            return -1;
        if (f > 0) {
            s->bound[f - 1] = (uint32_t)s->n_tok;
            tk_scratch_push(s, TK_SEP);
        }
        while (words < TK_MAX_TOKENS
               && (st = tk_next_stem(l, &p, end, &n, &h)) != NULL) {
            if (tk_scratch_add(s, st, n, h, f) != 0)
                return -1;
            words++;
        }
    }
    *out = (struct tk_text){ .e = s->e, .slot = s->slot, .tok = s->tok,
                             .nxt = s->nxt, .bytes = s->bytes,
                             .n_entries = s->n_e, .mask = s->mask,
                             .n_tokens = (uint32_t)s->n_tok,
                             .bound = { s->bound[0], s->bound[1] } };
    return 0;
}

/* Occurrences of the stems of 'key' (from tk_compile(), nw words) as
 * consecutive words of one field; *fields gets the fields they are in. */
static inline uint32_t
tk_count(const struct tk_text *t, const unsigned char *key, size_t len,
         size_t nw, unsigned *fields)
{
    uint32_t idx[TK_MAX_PHRASE], count = 0;
    size_t k = 0, start = 0;

    *fields = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && key[i] != ' ')
            continue;
        if (k == TK_MAX_PHRASE)
            return 0;
        idx[k] = tk_find(t, key + start, i - start,
                         tk_hash(key + start, i - start));
        if (idx[k] == TK_NONE)
            return 0;
        k++;
        start = i + 1;
    }
    if (k != nw || k == 0)
        return 0;
    if (k == 1) {
        *fields = t->e[idx[0]].fields;
        return t->e[idx[0]].count;
    }
    /* Where the first word occurs; TK_SEP ends a field. */
    for (uint32_t j = t->e[idx[0]].first; j != TK_NONE && j + k <= t->n_tokens;
         j = t->nxt[j]) {
        size_t m;
        for (m = 1; m < k && t->tok[j + m] == idx[m]; m++)
            ;
        if (m == k) {
            count++;
            *fields |= 1u << ((j > t->bound[0]) + (j > t->bound[1]));
        }
    }
    return count;
}

/* ---- analyses kept by item id ---- */

struct tk_cached {
    long long id;
    struct tk_cached *older, *newer;
    uint32_t vec;               /* index in the cache's vector */
    uint32_t lang;
    struct tk_text t;           /* views the rest of this allocation */
};

struct tk_cache {
    struct tk_cached **vec;     /* map values index this */
    uint32_t n_vec, n_free;
    size_t cap_vec, cap_free;
    uint32_t *free;             /* unused indices of vec */
    struct tk_map map;
    struct tk_cached *oldest, *newest;
    size_t count, max;
};

static inline uint32_t
tk_cache_hash(const void *ctx, uint32_t v)
{
    const struct tk_cache *c = ctx;
    return (uint32_t)hm_mix64((uint64_t)c->vec[v]->id);
}

static inline int
tk_cache_eq(const void *ctx, uint32_t v, const void *key)
{
    const struct tk_cache *c = ctx;
    return c->vec[v]->id == *(const long long *)key;
}

static inline const struct tk_cached *
tk_cache_get(const struct tk_cache *c, long long id)
{
    uint32_t *at = tk_map_find(&c->map, (uint32_t)hm_mix64((uint64_t)id),
                               tk_cache_eq, c, &id);
    return at ? c->vec[*at - 1] : NULL;
}

static inline void
tk_cache_drop(struct tk_cache *c, long long id)
{
    uint32_t *at = tk_map_find(&c->map, (uint32_t)hm_mix64((uint64_t)id),
                               tk_cache_eq, c, &id);
    struct tk_cached *x;

    if (at == NULL)
        return;
    x = c->vec[*at - 1];
    tk_map_erase(&c->map, at, tk_cache_hash, c);
    /* The free stack has room: it never holds more than n_vec. */
    c->free[c->n_free++] = x->vec;
    c->vec[x->vec] = NULL;
    if (x->older)
        x->older->newer = x->newer;
    else
        c->oldest = x->newer;
    if (x->newer)
        x->newer->older = x->older;
    else
        c->newest = x->older;
    c->count--;
    free(x);
}

/* Keep a compact copy of t for item id (replacing any), then drop the
 * oldest beyond c->max. Returns 0, or -1 out of memory (nothing kept). */
static inline int
tk_cache_put(struct tk_cache *c, long long id, uint32_t lang,
             const struct tk_text *t)
{
    size_t cap = 8, sz, off_e, off_s, off_k, off_n, off_b, nbytes = 0;
    struct tk_cached *x;
    struct tk_entry *e;
    uint32_t *slot, *tok, *nxt, v;
    unsigned char *b;

    tk_cache_drop(c, id);
    if (c->max == 0)
        return 0;
    while (cap < (size_t)t->n_entries * 2)
        cap *= 2;
    for (uint32_t i = 0; i < t->n_entries; i++)
        nbytes += t->e[i].len;
    off_e = sizeof *x;
    off_s = off_e + (size_t)t->n_entries * sizeof *e;
    off_k = off_s + cap * sizeof *slot;
    off_n = off_k + (size_t)t->n_tokens * sizeof *tok;
    off_b = off_n + (size_t)t->n_tokens * sizeof *nxt;
    sz = off_b + nbytes;
    /* The free stack always has room for every index of vec. */
    if (c->n_free == 0) {
        struct tk_cached **nv = tk_grow(c->vec, &c->cap_vec,
                                        (size_t)c->n_vec + 1, sizeof *nv);
        uint32_t *nf;
        if (nv == NULL)
            return -1;
        c->vec = nv;
        nf = tk_grow(c->free, &c->cap_free, (size_t)c->n_vec + 1,
                     sizeof *nf);
        if (nf == NULL)
            return -1;
        c->free = nf;
    }
    if (tk_map_reserve(&c->map, tk_cache_hash, c) != 0
        || (x = malloc(sz)) == NULL)
        return -1;
    e = (struct tk_entry *)((char *)x + off_e);
    slot = (uint32_t *)((char *)x + off_s);
    tok = (uint32_t *)((char *)x + off_k);
    nxt = (uint32_t *)((char *)x + off_n);
    b = (unsigned char *)x + off_b;
    memset(slot, 0, cap * sizeof *slot);
    nbytes = 0;
    for (uint32_t i = 0; i < t->n_entries; i++) {
        uint32_t j;
        e[i] = t->e[i];
        e[i].off = (uint32_t)nbytes;
        memcpy(b + nbytes, t->bytes + t->e[i].off, e[i].len);
        nbytes += e[i].len;
        for (j = e[i].hash & (uint32_t)(cap - 1); slot[j] != 0;
             j = (j + 1) & (uint32_t)(cap - 1))
            ;
        slot[j] = i + 1;
    }
    if (t->n_tokens > 0) {
        memcpy(tok, t->tok, (size_t)t->n_tokens * sizeof *tok);
        memcpy(nxt, t->nxt, (size_t)t->n_tokens * sizeof *nxt);
    }
    x->id = id;
    x->lang = lang;
    x->t = (struct tk_text){ .e = e, .slot = slot, .tok = tok, .nxt = nxt,
                             .bytes = b, .n_entries = t->n_entries,
                             .mask = (uint32_t)(cap - 1),
                             .n_tokens = t->n_tokens,
                             .bound = { t->bound[0], t->bound[1] } };
    v = c->n_free > 0 ? c->free[--c->n_free] : c->n_vec++;
    x->vec = v;
    c->vec[v] = x;
    tk_map_put(&c->map, (uint32_t)hm_mix64((uint64_t)id), v);
    x->older = c->newest;
    x->newer = NULL;
    if (c->newest)
        c->newest->newer = x;
    else
        c->oldest = x;
    c->newest = x;
    c->count++;
    while (c->count > c->max)
        tk_cache_drop(c, c->oldest->id);
    return 0;
}

static inline void
tk_cache_free(struct tk_cache *c)
{
    struct tk_cached *x = c->oldest;
    while (x != NULL) {
        struct tk_cached *next = x->newer;
        free(x);
        x = next;
    }
    free(c->vec);
    free(c->free);
    tk_map_free(&c->map);
    memset(c, 0, sizeof *c);
}

/* ---- options ---- */

/* The options of a filter built on this file, with their defaults. */
struct tk_options {
    const char *language;       /* for items of unknown language */
    size_t max_items;           /* analyses kept by item id */
};

#define TK_OPTIONS_DEFAULT { "english", 50000 }

/* Take option key = value if it is one of struct tk_options. Returns 1
 * if it is, 0 if the key is not one, -1 (err set) for a bad value. */
static inline int
tk_option(struct tk_options *o, const char *key, const char *value,
          char *err, size_t errlen)
{
    long long n;

    if (strcmp(key, "language") == 0) {
        o->language = value;
        return 1;
    }
    if (strcmp(key, "max_items") != 0)
        return 0;
    if (opt_parse_whole(value, 0, 1000000000, &n) != 0)
        return opt_refuse(key, value, "a whole number >= 0", err, errlen);
    o->max_items = (size_t)n;
    return 1;
}

/* tk_langs_init() with o->language. Returns 0, or -1 with err set. */
static inline int
tk_langs_open(struct tk_langs *ls, const struct tk_options *o, char *err,
              size_t errlen)
{
    if (tk_langs_init(ls, o->language) == 0)
        return 0;
    return opt_refuse("language", o->language, "a language the stemmer "
                      "knows", err, errlen);
}

#endif
