/* A map from 64-bit ids (non-zero) to int values: open addressing with
 * linear probing, for the host's in-memory indexes (user id -> slot,
 * (user, feed) pairs). Not for outside input sizes it was not built for:
 * it grows by doubling and keeps load under one half. */
#ifndef CURATOR_IDMAP_H
#define CURATOR_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap {
    uint64_t *keys;     /* 0 = empty */
    int *vals;
    size_t cap, n;      /* cap is a power of two */
};

/* The value for 'key' or -1. */
int idmap_get(const struct idmap *m, uint64_t key);
/* Set key -> val (key != 0). Returns 0, or -1 when out of memory. */
int idmap_put(struct idmap *m, uint64_t key, int val);
void idmap_free(struct idmap *m);

#endif
