/* Test plugin: a filter that takes its time. Every user it knows is
 * named for every item, and score() sleeps 'delay_ms' milliseconds
 * (option, default 1000) before saying 1 for items whose title contains
 * 'match' (option, default: every item) and 0 for the others. It lets the
 * tests see what a slow filter does to the daemon: the web keeps
 * answering, and SIGTERM still ends it within its grace period. */
#define _POSIX_C_SOURCE 200809L    /* nanosleep() */
#include "filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOW_USERS_MAX 256

struct state {
    long delay_ms;
    char match[128];
    long long users[SLOW_USERS_MAX];
    size_t n;
};

static int
t_init(const struct curator_filter_option *o, size_t n, void **ctx,
       char *err, size_t errlen)
{
    struct state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return 1;
    s->delay_ms = 1000;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(o[i].key, "delay_ms") == 0) {
            char *end;
            s->delay_ms = strtol(o[i].value, &end, 10);
            if (*end != '\0' || s->delay_ms < 0 || s->delay_ms > 600000) {
                snprintf(err, errlen, "delay_ms: '%s' is not 0 to 600000",
                         o[i].value);
                free(s);
                return 1;
            }
        } else if (strcmp(o[i].key, "match") == 0) {
            snprintf(s->match, sizeof s->match, "%s", o[i].value);
        } else {
            snprintf(err, errlen, "unknown option '%s'", o[i].key);
            free(s);
            return 1;
        }
    }
    *ctx = s;
    return 0;
}

static int
t_score(void *ctx, const struct curator_item *it,
        const struct curator_profile *who, double *score, int *exclude,
        struct curator_explain *why)
{
    struct state *s = ctx;
    struct timespec ts = { s->delay_ms / 1000,
                           (s->delay_ms % 1000) * 1000000L };
    (void)who;
    (void)exclude;
    /* Sleep the whole delay even when a signal interrupts it. */
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    *score = s->match[0] == '\0' || strstr(it->title, s->match) ? 1.0 : 0.0;
    if (*score != 0.0)
        curator_explain_add(why, *score, "slow plugin took %ld ms",
                            s->delay_ms);
    return 0;
}

static int
t_set_profile(void *ctx, const struct curator_profile *who)
{
    struct state *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (s->users[i] == who->user_id)
            return 0;
    if (s->n < SLOW_USERS_MAX)
        s->users[s->n++] = who->user_id;
    return 0;
}

static int
t_add_item(void *ctx, const struct curator_item *it,
           struct curator_want *want)
{
    struct state *s = ctx;
    (void)it;
    for (size_t i = 0; i < s->n; i++)
        want->user(want, s->users[i]);
    return 0;
}

static void
t_free(void *ctx)
{
    free(ctx);
}

static const struct curator_filter table = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof table,
    .name = "slow",
    .init = t_init,
    .score = t_score,
    .free = t_free,
    .set_profile = t_set_profile,
    .add_item = t_add_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &table;
}
