/* Test harness for filter plugins: loads build/filters/NAME.so the way
 * the host does (dlopen RTLD_NOW | RTLD_LOCAL, entry looked up by name),
 * and gives the host side of the explanation sink and of want(), which
 * copy what they are given so tests can check reasons exactly. */
#ifndef CURATOR_TEST_PLUGIN_H
#define CURATOR_TEST_PLUGIN_H

#include <stddef.h>

#include "filter.h"

#define TP_MAX_REASONS 32
#define TP_MAX_WANTED 1024

struct tp_plugin {
    void *handle;
    const struct curator_filter *f;
    void *ctx;                  /* from init(), NULL until tp_init() */
};

/* Load build/filters/NAME.so; NULL (with a message on stderr) on error. */
struct tp_plugin *tp_load(const char *name);
/* free() the ctx if any, dlclose, free. */
void tp_unload(struct tp_plugin *p);
/* init() with options given as "key", "value", ..., NULL. Returns the
 * init() result; on failure 'err' (may be NULL) receives the message. */
int tp_init(struct tp_plugin *p, char *err, size_t errlen, ...);

/* The host side of the explanation sink. */
struct tp_sink {
    struct curator_explain ex;
    size_t n;
    double contribution[TP_MAX_REASONS];
    char reason[TP_MAX_REASONS][256];
    long long duplicate_of;     /* 0 unless duplicate() was called */
};
void tp_sink_init(struct tp_sink *s);
/* Index of the first reason containing 'needle', or -1. */
int tp_sink_find(const struct tp_sink *s, const char *needle);

/* The host side of want(): the users named, in call order. */
struct tp_wanted {
    struct curator_want w;
    size_t n;
    long long user[TP_MAX_WANTED];
};
void tp_wanted_init(struct tp_wanted *w);
int tp_wanted_has(const struct tp_wanted *w, long long user_id);

/* Score one pair through p->f->score with a fresh sink; returns the
 * score() return value and fills *score, *exclude and 's'. */
int tp_score(struct tp_plugin *p, const struct curator_item *it,
             const struct curator_profile *who, double *score,
             int *exclude, struct tp_sink *s);

/* A zeroed item view with sizes set and every string "" (title as
 * given), feed_id 1, id 'id', now = published = 1767225600 (2026-01-01). */
struct curator_item tp_item(long long id, const char *title,
                            const char *text);
/* A zeroed profile view with size set. */
struct curator_profile tp_profile(long long user_id, const char *name);

#endif
