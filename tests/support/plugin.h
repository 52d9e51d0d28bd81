/* Test harness for filter plugins: loads build/filters/NAME.so the way
 * the host does (dlopen RTLD_NOW | RTLD_LOCAL, entry looked up by name),
 * and gives the host side of the explanation sink and of want(), which
 * copy what they are given so tests can check reasons exactly. It also
 * holds the checks every filter's tests make (the entry table, refused
 * options, a plain score): each returns 0 or -1 and says on stderr what
 * was wrong, so that a test asserts the result and the harness needs
 * nothing but libc. */
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
/* tp_load() then tp_init() with options "key", "value", ..., NULL; NULL
 * (with a message on stderr) if either fails. */
struct tp_plugin *tp_open(const char *name, ...);

/* cmocka fixtures around one plugin in *state: a group setup calls
 * tp_fixture_load() with the name; tp_fixture_unload() is the group
 * teardown, tp_fixture_init() a test setup (init() with no options). */
int tp_fixture_load(void **state, const char *name);
int tp_fixture_unload(void **state);
int tp_fixture_init(void **state);

/* Members of struct curator_filter after init, score and free. */
#define TP_SET_PROFILE 1u
#define TP_DROP_PROFILE 2u
#define TP_ADD_ITEM 4u
#define TP_DROP_ITEM 8u
#define TP_LEARN 16u

/* 0 if p's table has this header's ABI version and size and the name
 * 'name', init, score and free, and of the later members exactly those
 * in 'has' (TP_*); else -1 with what differs on stderr. */
int tp_check_entry(const struct tp_plugin *p, const char *name,
                   unsigned has);

/* 0 if init() refuses the one option key = value with exactly 'want' in
 * its err, again with no err buffer at all, and leaves no ctx; else -1
 * with what happened on stderr. Any ctx p held is freed first.
 * tp_refuses_cut() passes an err of 'errlen' bytes (at most 256), so
 * 'want' is the message cut to fit. */
int tp_refuses(struct tp_plugin *p, const char *key, const char *value,
               const char *want);
int tp_refuses_cut(struct tp_plugin *p, const char *key, const char *value,
                   size_t errlen, const char *want);

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
/* 0 if s holds no reason when 'reason' is NULL, else exactly one,
 * 'reason', worth 'contribution' (within 1e-12); else -1 with what s
 * holds on stderr. */
int tp_sink_is(const struct tp_sink *s, double contribution,
               const char *reason);

/* The host side of want(): the users named, in call order. */
struct tp_wanted {
    struct curator_want w;
    size_t n;
    long long user[TP_MAX_WANTED];
};
void tp_wanted_init(struct tp_wanted *w);
int tp_wanted_has(const struct tp_wanted *w, long long user_id);
/* 1 if no user is named twice in w, else 0. */
int tp_wanted_unique(const struct tp_wanted *w);
/* add_item() with w set up afresh; returns what add_item() returned. */
int tp_add(struct tp_plugin *p, const struct curator_item *it,
           struct tp_wanted *w);

/* Score one pair through p->f->score with a fresh sink; returns the
 * score() return value and fills *score, *exclude and 's'. */
int tp_score(struct tp_plugin *p, const struct curator_item *it,
             const struct curator_profile *who, double *score,
             int *exclude, struct tp_sink *s);
/* tp_score() of a pair that must get a plain opinion: 0 if score()
 * returned 0 with a finite score in *score and no exclusion, else -1
 * with what happened on stderr. */
int tp_score_ok(struct tp_plugin *p, const struct curator_item *it,
                const struct curator_profile *who, double *score,
                struct tp_sink *s);

/* 'n' copies of 's' (free() it); exits the process out of memory. */
char *tp_repeat(const char *s, size_t n);

/* A zeroed item view with sizes set and every string "" (title as
 * given), feed_id 1, id 'id', now = published = 1767225600 (2026-01-01). */
struct curator_item tp_item(long long id, const char *title,
                            const char *text);
/* A zeroed profile view with size set. */
struct curator_profile tp_profile(long long user_id, const char *name);

#endif
