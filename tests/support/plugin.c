/* Test harness for filter plugins; see plugin.h. */
#define _GNU_SOURCE     /* asprintf */
#include "plugin.h"

#include <dlfcn.h>
#include <math.h>
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

static void
free_ctx(struct tp_plugin *p)
{
    if (p->ctx != NULL) {
        p->f->free(p->ctx);
        p->ctx = NULL;
    }
}

static int
vinit(struct tp_plugin *p, char *err, size_t errlen, va_list ap)
{
    struct curator_filter_option opts[32];
    size_t n = 0;
    char buf[256] = "";
    const char *k;
    int rc;

    while (n < 32 && (k = va_arg(ap, const char *)) != NULL) {
        opts[n].key = k;
        opts[n].value = va_arg(ap, const char *);
        n++;
    }
    free_ctx(p);
    rc = p->f->init(opts, n, &p->ctx, buf, sizeof buf);
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", buf);
    if (rc != 0)
        p->ctx = NULL;
    return rc;
}

int
tp_init(struct tp_plugin *p, char *err, size_t errlen, ...)
{
    va_list ap;
    int rc;

    va_start(ap, errlen);
    rc = vinit(p, err, errlen, ap);
    va_end(ap);
    return rc;
}

struct tp_plugin *
tp_open(const char *name, ...)
{
    struct tp_plugin *p = tp_load(name);
    char err[256];
    va_list ap;
    int rc;

    if (p == NULL)
        return NULL;
    va_start(ap, name);
    rc = vinit(p, err, sizeof err, ap);
    va_end(ap);
    if (rc != 0) {
        fprintf(stderr, "%s: init: %s\n", name, err);
        tp_unload(p);
        return NULL;
    }
    return p;
}

int
tp_fixture_load(void **state, const char *name)
{
    *state = tp_load(name);
    return *state == NULL ? -1 : 0;
}

int
tp_fixture_unload(void **state)
{
    tp_unload(*state);
    return 0;
}

int
tp_fixture_init(void **state)
{
    return tp_init(*state, NULL, 0, NULL);
}

int
tp_check_entry(const struct tp_plugin *p, const char *name, unsigned has)
{
    const struct curator_filter *f = p->f;
    const struct {
        unsigned bit;
        const char *member;
        int set;
    } later[] = {
        { TP_SET_PROFILE, "set_profile", f->set_profile != NULL },
        { TP_DROP_PROFILE, "drop_profile", f->drop_profile != NULL },
        { TP_ADD_ITEM, "add_item", f->add_item != NULL },
        { TP_DROP_ITEM, "drop_item", f->drop_item != NULL },
        { TP_LEARN, "learn", f->learn != NULL },
    };
    int rc = 0;

    if (f->abi_major != CURATOR_FILTER_ABI_MAJOR
        || f->abi_minor != CURATOR_FILTER_ABI_MINOR) {
        fprintf(stderr, "%s: ABI %u.%u, want %u.%u\n", name, f->abi_major,
                f->abi_minor, CURATOR_FILTER_ABI_MAJOR,
                CURATOR_FILTER_ABI_MINOR);
        rc = -1;
    }
    if (f->size != sizeof(struct curator_filter)) {
        fprintf(stderr, "%s: size %zu, want %zu\n", name, f->size,
                sizeof(struct curator_filter));
        rc = -1;
    }
    if (f->name == NULL || strcmp(f->name, name) != 0) {
        fprintf(stderr, "%s: the table names '%s'\n", name,
                f->name != NULL ? f->name : "(null)");
        rc = -1;
    }
    if (f->init == NULL || f->score == NULL || f->free == NULL) {
        fprintf(stderr, "%s: init, score or free is NULL\n", name);
        rc = -1;
    }
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
        if (later[i].set != ((has & later[i].bit) != 0)) {
            fprintf(stderr, "%s: %s is %s\n", name, later[i].member,
                    later[i].set ? "set" : "NULL");
            rc = -1;
        }
    }
    return rc;
}

int
tp_refuses_cut(struct tp_plugin *p, const char *key, const char *value,
               size_t errlen, const char *want)
{
    struct curator_filter_option opt = { key, value };
    char err[256];
    int rc;

    if (errlen > sizeof err)
        errlen = sizeof err;
    memset(err, 'X', sizeof err);
    free_ctx(p);
    rc = p->f->init(&opt, 1, &p->ctx, err, errlen);
    if (rc == 0 || p->ctx != NULL) {
        fprintf(stderr, "init(%s = '%s') took it, want '%s'\n", key, value,
                want);
        free_ctx(p);
        return -1;
    }
    if (errlen == 0 || memchr(err, '\0', errlen) == NULL
        || strcmp(err, want) != 0) {
        fprintf(stderr, "init(%s = '%s') said '%.*s', want '%s'\n", key,
                value, (int)errlen, err, want);
        return -1;
    }
    rc = p->f->init(&opt, 1, &p->ctx, NULL, 0);
    if (rc == 0 || p->ctx != NULL) {
        fprintf(stderr, "init(%s = '%s') without err: returned %d, ctx %p\n",
                key, value, rc, p->ctx);
        free_ctx(p);
        return -1;
    }
    return 0;
}

int
tp_refuses(struct tp_plugin *p, const char *key, const char *value,
           const char *want)
{
    return tp_refuses_cut(p, key, value, 256, want);
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

int
tp_sink_is(const struct tp_sink *s, double contribution, const char *reason)
{
    if (reason == NULL ? s->n == 0
                       : s->n == 1 && strcmp(s->reason[0], reason) == 0
                         && fabs(s->contribution[0] - contribution) < 1e-12)
        return 0;
    fprintf(stderr, "want %s%s%s, have %zu reason%s", reason ? "'" : "",
            reason ? reason : "no reason", reason ? "'" : "", s->n,
            s->n == 1 ? "" : "s");
    for (size_t i = 0; i < s->n; i++)
        fprintf(stderr, "%s'%s' (%g)", i ? ", " : ": ", s->reason[i],
                s->contribution[i]);
    fputc('\n', stderr);
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
tp_wanted_unique(const struct tp_wanted *w)
{
    for (size_t i = 0; i < w->n; i++)
        for (size_t j = i + 1; j < w->n; j++)
            if (w->user[i] == w->user[j])
                return 0;
    return 1;
}

int
tp_add(struct tp_plugin *p, const struct curator_item *it,
       struct tp_wanted *w)
{
    tp_wanted_init(w);
    return p->f->add_item(p->ctx, it, &w->w);
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

int
tp_score_ok(struct tp_plugin *p, const struct curator_item *it,
            const struct curator_profile *who, double *score,
            struct tp_sink *s)
{
    int exclude, rc = tp_score(p, it, who, score, &exclude, s);

    if (rc != 0 || !isfinite(*score) || exclude != 0) {
        fprintf(stderr, "%s: item %lld, user %lld: score() returned %d, "
                "score %g, exclude %d\n", p->f->name, it->id, who->user_id,
                rc, *score, exclude);
        return -1;
    }
    return 0;
}

char *
tp_repeat(const char *s, size_t n)
{
    size_t len = strlen(s);
    char *out = malloc(len * n + 1);

    if (out == NULL) {
        fprintf(stderr, "tp_repeat: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, s, len);
    out[len * n] = '\0';
    return out;
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
