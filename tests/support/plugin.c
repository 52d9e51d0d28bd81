/* Test harness for filter plugins; see plugin.h. */
#define _GNU_SOURCE     /* asprintf */
#include "plugin.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

struct tp_plugin *
tp_load(const char *name)
{
    struct tp_plugin *p = calloc(1, sizeof *p);
    const struct curator_filter *(*entry)(void);
    char *path;

    if (p == NULL || asprintf(&path, "%s/filters/%s.so", t_build_dir(),
                              name) < 0) {
        free(p);
        return NULL;
    }
    p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (p->handle == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        free(path);
        free(p);
        return NULL;
    }
    free(path);
    /* POSIX allows the object-to-function pointer conversion. */
    *(void **)&entry = dlsym(p->handle, CURATOR_FILTER_ENTRY);
    if (entry == NULL || (p->f = entry()) == NULL) {
        fprintf(stderr, "%s: no usable %s\n", name, CURATOR_FILTER_ENTRY);
        dlclose(p->handle);
        free(p);
        return NULL;
    }
    return p;
}

void
tp_unload(struct tp_plugin *p)
{
    if (p == NULL)
        return;
    if (p->ctx != NULL)
        p->f->free(p->ctx);
    dlclose(p->handle);
    free(p);
}

int
tp_init(struct tp_plugin *p, char *err, size_t errlen, ...)
{
    struct curator_filter_option opts[32];
    size_t n = 0;
    char buf[256] = "";
    va_list ap;
    const char *k;
    int rc;

    va_start(ap, errlen);
    while (n < 32 && (k = va_arg(ap, const char *)) != NULL) {
        opts[n].key = k;
        opts[n].value = va_arg(ap, const char *);
        n++;
    }
    va_end(ap);
    if (p->ctx != NULL) {
        p->f->free(p->ctx);
        p->ctx = NULL;
    }
    rc = p->f->init(opts, n, &p->ctx, buf, sizeof buf);
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", buf);
    if (rc != 0)
        p->ctx = NULL;
    return rc;
}

static void
sink_add(struct curator_explain *ex, double contribution, const char *reason)
{
    struct tp_sink *s = ex->host;
    if (s->n >= TP_MAX_REASONS || reason == NULL)
        return;
    s->contribution[s->n] = contribution;
    snprintf(s->reason[s->n], sizeof s->reason[s->n], "%s", reason);
    s->n++;
}

static void
sink_duplicate(struct curator_explain *ex, long long of_item_id)
{
    struct tp_sink *s = ex->host;
    s->duplicate_of = of_item_id;
}

void
tp_sink_init(struct tp_sink *s)
{
    memset(s, 0, sizeof *s);
    s->ex.host = s;
    s->ex.add = sink_add;
    s->ex.duplicate = sink_duplicate;
}

int
tp_sink_find(const struct tp_sink *s, const char *needle)
{
    for (size_t i = 0; i < s->n; i++)
        if (strstr(s->reason[i], needle) != NULL)
            return (int)i;
    return -1;
}

static void
wanted_user(struct curator_want *w, long long user_id)
{
    struct tp_wanted *tw = w->host;
    if (tw->n < TP_MAX_WANTED)
        tw->user[tw->n++] = user_id;
}

void
tp_wanted_init(struct tp_wanted *w)
{
    memset(w, 0, sizeof *w);
    w->w.host = w;
    w->w.user = wanted_user;
}

int
tp_wanted_has(const struct tp_wanted *w, long long user_id)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->user[i] == user_id)
            return 1;
    return 0;
}

int
tp_score(struct tp_plugin *p, const struct curator_item *it,
         const struct curator_profile *who, double *score, int *exclude,
         struct tp_sink *s)
{
    tp_sink_init(s);
    *score = 0;
    *exclude = 0;
    return p->f->score(p->ctx, it, who, score, exclude, &s->ex);
}

struct curator_item
tp_item(long long id, const char *title, const char *text)
{
    struct curator_item it = {
        .size = sizeof it, .id = id, .feed_id = 1,
        .feed_url = "https://example.org/feed.xml", .feed_title = "",
        .title = title, .link = "", .author = "", .summary = "",
        .text = text, .language = "",
        .published = 1767225600, .now = 1767225600,
    };
    return it;
}

struct curator_profile
tp_profile(long long user_id, const char *name)
{
    struct curator_profile who = {
        .size = sizeof who, .user_id = user_id, .name = name,
    };
    return who;
}
