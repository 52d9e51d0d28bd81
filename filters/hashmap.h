/* Hashing and a chained hash table shared by the filters, header-only
 * (a filter links nothing from libcurator or from another filter).
 *
 * hm_mix64() is splitmix64's finaliser: ids are often sequential, and it
 * spreads them, like FNV-1a's weak low bits, over all 64 bits. hm_fnv()
 * and hm_fnv_str() are FNV-1a, going on from a hash so that pieces can
 * be chained. dedupe's SimHash is built on these two, so changing them
 * changes which items it calls copies.
 *
 * The table is intrusive: a record embeds a struct hm_node with its hash
 * set, and the caller says how keys compare; struct hm_id is the common
 * node keyed by an id. The table only links nodes, in a power-of-two
 * array of buckets that doubles once it holds as many nodes as buckets;
 * it never allocates or frees a node. Keyword and mute index through
 * tokenize.h's tk_map instead (open addressing over indices), and bayes
 * keeps its payloads in slots of its own open-addressing table.
 *
 * Everything here is static inline so that a filter using only part of
 * it compiles without unused-function warnings.
 */
#ifndef CURATOR_FILTER_HASHMAP_H
#define CURATOR_FILTER_HASHMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define HM_FNV_OFFSET 0xcbf29ce484222325ULL
#define HM_FNV_PRIME 0x100000001b3ULL

static inline uint64_t
hm_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* FNV-1a of n bytes at p, going on from h (HM_FNV_OFFSET to start). */
static inline uint64_t
hm_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= HM_FNV_PRIME;
    }
    return h;
}

/* hm_fnv() of a NUL-terminated string. */
static inline uint64_t
hm_fnv_str(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= HM_FNV_PRIME;
    }
    return h;
}

struct hm_node {
    struct hm_node *next;
    size_t hash;
};

/* A node keyed by an id. */
struct hm_id {
    struct hm_node node;
    long long id;
};

/* All zero is an empty table. */
struct hm_table {
    struct hm_node **b;
    size_t nb;                  /* 0 or a power of two */
    size_t n;
};

/* Whether node n holds 'key'; called only when the hashes agree. */
typedef int (*hm_eq_fn)(const struct hm_node *n, const void *key);

static inline struct hm_node *
hm_find(const struct hm_table *t, size_t hash, hm_eq_fn eq, const void *key)
{
    if (t->nb == 0)
        return NULL;
    for (struct hm_node *n = t->b[hash & (t->nb - 1)]; n; n = n->next)
        if (n->hash == hash && eq(n, key))
            return n;
    return NULL;
}

/* Double the buckets; on failure keep the old ones (slower, still right). */
static inline void
hm_grow(struct hm_table *t)
{
    size_t nb = t->nb ? t->nb * 2 : 16;
    struct hm_node **b;

    if (nb > SIZE_MAX / sizeof *b || (b = calloc(nb, sizeof *b)) == NULL)
        return;
    for (size_t i = 0; i < t->nb; i++) {
        struct hm_node *n = t->b[i], *next;
        for (; n; n = next) {
            next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    free(t->b);
    t->b = b;
    t->nb = nb;
}

/* Link n (its hash set; its key not in t). Returns 0, or -1 out of
 * memory. */
static inline int
hm_put(struct hm_table *t, struct hm_node *n)
{
    if (t->n >= t->nb)
        hm_grow(t);
    if (t->nb == 0)
        return -1;
    n->next = t->b[n->hash & (t->nb - 1)];
    t->b[n->hash & (t->nb - 1)] = n;
    t->n++;
    return 0;
}

/* Unlink n, which is in t. */
static inline void
hm_unlink(struct hm_table *t, struct hm_node *n)
{
    for (struct hm_node **pp = &t->b[n->hash & (t->nb - 1)]; *pp;
         pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            t->n--;
            return;
        }
    }
}

/* Hand every node to free_node, then free the buckets: t is empty. */
static inline void
hm_free(struct hm_table *t, void (*free_node)(struct hm_node *))
{
    for (size_t i = 0; i < t->nb; i++) {
        struct hm_node *n = t->b[i], *next;
        for (; n; n = next) {
            next = n->next;
            free_node(n);
        }
    }
    free(t->b);
    t->b = NULL;
    t->nb = 0;
    t->n = 0;
}

static inline int
hm_id_eq(const struct hm_node *n, const void *key)
{
    return ((const struct hm_id *)n)->id == *(const long long *)key;
}

static inline struct hm_id *
hm_find_id(const struct hm_table *t, long long id)
{
    return (struct hm_id *)hm_find(t, (size_t)hm_mix64((uint64_t)id),
                                   hm_id_eq, &id);
}

/* Give n the id (not in t) and link it. Returns 0, or -1 out of memory. */
static inline int
hm_put_id(struct hm_table *t, struct hm_id *n, long long id)
{
    n->id = id;
    n->node.hash = (size_t)hm_mix64((uint64_t)id);
    return hm_put(t, &n->node);
}

#endif
