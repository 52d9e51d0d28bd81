/* The filter host (see score.h and filter.h).
 *
 * Incremental scoring: for a new item each filter's add_item() runs once
 * and names the users it has a signal for; only those users (if they can
 * see the item: subscribed to its feed, or the item is a gem) and users
 * with no declared interests (who see everything from their feeds) are
 * visited. For each visited pair the "selector" filters (those with
 * add_item) run first; unless one of them has something to say, or the
 * user is such a casual reader, the pair is dropped before the other
 * filters run. A rescore of one user visits that user's visible window
 * items with the same rule, so both paths store the same rows.
 *
 * Memory: plugins own their state; the host copies reasons out of the
 * sink; the profiles handed to plugins are the host's, borrowed per call.
 */
#include "score.h"
#include "err.h"
#include "idmap.h"
#include "log.h"
#include "metrics.h"

#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_ITEMS 1024
/* A score() call slower than this counts against the filter; after
 * FILTER_SLOW_MAX such calls it is suspended (logged, skipped like an
 * erroring filter) until the daemon reloads its config. */
#define FILTER_BUDGET_MS 50
#define FILTER_SLOW_MAX 20
#define PAIR_MAX_REASONS 16
#define MAX_TAGS 64

/* A member of the filter table is callable when the table is large enough
 * to hold it (a filter built against an older minor ABI is shorter) and
 * the filter set it. */
#define HAS(f, m) ((f)->size >= offsetof(struct curator_filter, m) \
                                 + sizeof((f)->m) && (f)->m != NULL)

/* Every member of ABI 1.0. */
#define ABI_1_0_SIZE (offsetof(struct curator_filter, learn) \
                      + sizeof(((struct curator_filter *)0)->learn))

struct plugin {
    void *handle;
    const struct curator_filter *f;
    void *ctx;
    char *name;
    char *path;
    double weight;
    int selector;           /* has add_item(): can select users */
    int suspended;          /* too slow too often: skipped from now on */
    long long slow_calls;   /* score() calls over FILTER_BUDGET_MS */
    int selects;            /* has named a user through want(): only
                               such filters run before the "is anyone
                               interested" cut */
    long long dropped;
};

struct user {
    long long id;
    struct store_profile *prof;
    int casual;             /* no interests and no goals: sees all */
    unsigned stamp;         /* == scorer stamp: already a candidate */
};

/* Users with no interests, per feed they subscribe to. */
struct casual_list {
    int *users;
    size_t n, cap;
};

struct window_item {
    long long id;
    long long fetched;
};

struct reason {
    int plugin;
    double contribution;
    int excludes;
    char text[200];
};

/* The explanation sink for one pair. */
struct pair {
    struct curator_explain ex;
    int plugin;             /* the filter being called */
    struct reason r[PAIR_MAX_REASONS];
    size_t n;
    long long dup_of;
};

/* A score waiting to be written: rows are written sorted by user, so
 * that consecutive inserts land on the same pages of the store. */
struct row {
    long long user_id, item_id;
    double score;
    const char *excluded_by;    /* a plugin name: lives with the scorer */
    char *reasons;
};

struct scorer {
    struct row *rows;
    size_t n_rows, cap_rows;
    struct plugin *plugins;
    size_t n_plugins;
    int *order;             /* selectors first, then the others */
    long window;
    int warm;

    struct user *users;
    size_t n_users, cap_users;
    struct idmap user_ix;   /* user id -> index in users */
    struct idmap subs;      /* (user, feed) -> 1 */
    struct idmap feed_ix;   /* feed id -> index in casual */
    struct casual_list *casual;
    size_t n_casual;
    unsigned stamp;

    long long feedback_cursor;
    long long gem_cursor;   /* gems changed before this time are scored */
    long long *gems;        /* gems to rescore (refresh) */
    size_t n_gems, cap_gems;

    struct window_item *win;    /* items given to add_item, FIFO */
    size_t win_head, win_n, win_cap;

    int *cand;
    size_t n_cand, cap_cand;
    int adding;             /* the plugin in add_item(), for want() */

    struct store *st;       /* during a call */
    long long now;
    struct scorer_stats *stats;
    struct scorer_stats scratch;
};

/* Loading. */

static int
load_error(char *err, size_t errlen, const char *name, const char *path,
           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
load_error(char *err, size_t errlen, const char *name, const char *path,
           const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(err, errlen, "filter %s: %s: ", name, path);
    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return CUR_ECONFIG;
}

static int
plugin_load(struct plugin *p, const struct config_filter *cf, char *err,
            size_t errlen)
{
    const struct curator_filter *(*entry)(void);
    const struct curator_filter *f;
    struct curator_filter_option *opts;
    char msg[256] = "";

    p->weight = cf->weight;
    if ((p->name = strdup(cf->name)) == NULL
        || (p->path = strdup(cf->path)) == NULL)
        return CUR_ENOMEM;
    p->handle = dlopen(cf->path, RTLD_NOW | RTLD_LOCAL);
    if (p->handle == NULL)
        return load_error(err, errlen, cf->name, cf->path, "cannot load: %s",
                          dlerror());
    /* POSIX allows the object-to-function pointer conversion. */
    *(void **)&entry = dlsym(p->handle, CURATOR_FILTER_ENTRY);
    if (entry == NULL)
        return load_error(err, errlen, cf->name, cf->path, "no %s symbol: "
                          "not a Curator filter", CURATOR_FILTER_ENTRY);
    if ((f = entry()) == NULL)
        return load_error(err, errlen, cf->name, cf->path,
                          "%s returned NULL", CURATOR_FILTER_ENTRY);
    if (f->abi_major != CURATOR_FILTER_ABI_MAJOR)
        return load_error(err, errlen, cf->name, cf->path, "built for "
                          "filter ABI %u.%u, this Curator has ABI %d.%d: "
                          "rebuild it against this curator/filter.h",
                          f->abi_major, f->abi_minor,
                          CURATOR_FILTER_ABI_MAJOR, CURATOR_FILTER_ABI_MINOR);
    if (f->size < ABI_1_0_SIZE)
        return load_error(err, errlen, cf->name, cf->path, "its filter table "
                          "is %zu bytes (ABI %u.%u), ABI %d.0 needs at least "
                          "%zu", f->size, f->abi_major, f->abi_minor,
                          CURATOR_FILTER_ABI_MAJOR, (size_t)ABI_1_0_SIZE);
    if (f->init == NULL || f->score == NULL || f->free == NULL)
        return load_error(err, errlen, cf->name, cf->path, "its table lacks "
                          "init, score or free");
    opts = calloc(cf->n_opts + 1, sizeof *opts);
    if (opts == NULL)
        return CUR_ENOMEM;
    for (size_t i = 0; i < cf->n_opts; i++) {
        opts[i].key = cf->opts[i].key;
        opts[i].value = cf->opts[i].value;
    }
    int rc = f->init(opts, cf->n_opts, &p->ctx, msg, sizeof msg);
    free(opts);
    if (rc != 0) {
        p->ctx = NULL;
        msg[sizeof msg - 1] = '\0';
        return load_error(err, errlen, cf->name, cf->path, "refused its "
                          "configuration: %s", msg[0] ? msg : "(no reason)");
    }
    p->f = f;
    p->selector = HAS(f, add_item);
    return CUR_OK;
}

int
scorer_open(const struct config_filter *filters, size_t n, long window,
            struct scorer **out, char *err, size_t errlen)
{
    struct scorer *sc = calloc(1, sizeof *sc);
    int rc = CUR_ENOMEM;

    *out = NULL;
    if (sc == NULL)
        goto fail;
    sc->window = window > 0 ? window : 14 * 86400;
    sc->adding = -1;
    sc->plugins = calloc(n + 1, sizeof *sc->plugins);
    sc->order = calloc(n + 1, sizeof *sc->order);
    if (sc->plugins == NULL || sc->order == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        rc = plugin_load(&sc->plugins[i], &filters[i], err, errlen);
        sc->n_plugins = i + 1;
        if (rc != CUR_OK)
            goto fail;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (sc->plugins[i].selector)
            sc->order[k++] = (int)i;
    for (size_t i = 0; i < n; i++)
        if (!sc->plugins[i].selector)
            sc->order[k++] = (int)i;
    *out = sc;
    return CUR_OK;
fail:
    if (rc == CUR_ENOMEM)
        snprintf(err, errlen, "filters: out of memory");
    scorer_close(sc);
    return rc;
}

static void
forget_users(struct scorer *sc)
{
    for (size_t i = 0; i < sc->n_users; i++)
        store_profile_free(sc->users[i].prof);
    free(sc->users);
    sc->users = NULL;
    sc->n_users = sc->cap_users = 0;
    idmap_free(&sc->user_ix);
}

static void
forget_subscriptions(struct scorer *sc)
{
    for (size_t i = 0; i < sc->n_casual; i++)
        free(sc->casual[i].users);
    free(sc->casual);
    sc->casual = NULL;
    sc->n_casual = 0;
    idmap_free(&sc->subs);
    idmap_free(&sc->feed_ix);
}

void
scorer_close(struct scorer *sc)
{
    if (sc == NULL)
        return;
    for (size_t i = 0; i < sc->n_plugins; i++) {
        struct plugin *p = &sc->plugins[i];
        if (p->ctx != NULL)
            p->f->free(p->ctx);
        if (p->handle != NULL)
            dlclose(p->handle);
        free(p->name);
        free(p->path);
    }
    free(sc->plugins);
    free(sc->order);
    forget_users(sc);
    forget_subscriptions(sc);
    for (size_t i = 0; i < sc->n_rows; i++)
        free(sc->rows[i].reasons);
    free(sc->rows);
    free(sc->gems);
    free(sc->win);
    free(sc->cand);
    free(sc);
}

size_t
scorer_filter_count(const struct scorer *sc)
{
    return sc->n_plugins;
}

void
scorer_filter_info(const struct scorer *sc, size_t i, const char **name,
                   const char **path, unsigned *abi_major,
                   unsigned *abi_minor)
{
    const struct plugin *p = &sc->plugins[i];
    *name = p->name;
    *path = p->path;
    *abi_major = p->f->abi_major;
    *abi_minor = p->f->abi_minor;
}

void
scorer_filter_state(const struct scorer *sc, size_t i, double *weight,
                    int *suspended, long long *slow_calls)
{
    const struct plugin *p = &sc->plugins[i];
    *weight = p->weight;
    *suspended = p->suspended;
    *slow_calls = p->slow_calls;
}

/* Users and subscriptions. */

static struct user *
user_of(struct scorer *sc, long long id)
{
    int i = idmap_get(&sc->user_ix, (uint64_t)id);
    return i < 0 ? NULL : &sc->users[i];
}

/* Load (or reload) one user's profile into the host and every filter. */
static int
user_load(struct scorer *sc, struct store *st, long long id)
{
    struct store_profile *prof;
    struct user *u = user_of(sc, id);
    int rc = store_profile_load(st, id, &prof);

    if (rc != CUR_OK)
        return rc;
    if (u == NULL) {
        if (sc->n_users == sc->cap_users) {
            size_t cap = sc->cap_users ? sc->cap_users * 2 : 64;
            struct user *nu = realloc(sc->users, cap * sizeof *nu);
            if (nu == NULL) {
                store_profile_free(prof);
                return CUR_ENOMEM;
            }
            sc->users = nu;
            sc->cap_users = cap;
        }
        u = &sc->users[sc->n_users];
        memset(u, 0, sizeof *u);
        u->id = id;
        if (idmap_put(&sc->user_ix, (uint64_t)id, (int)sc->n_users) != 0) {
            store_profile_free(prof);
            return CUR_ENOMEM;
        }
        sc->n_users++;
    }
    store_profile_free(u->prof);
    u->prof = prof;
    u->casual = prof->view.n_interests == 0 && prof->view.n_goals == 0;
    for (size_t i = 0; i < sc->n_plugins; i++) {
        struct plugin *p = &sc->plugins[i];
        if (HAS(p->f, set_profile)
            && p->f->set_profile(p->ctx, &prof->view) != 0)
            log_warn("filter set_profile failed filter=%s user=%lld",
                     p->name, id);
    }
    return CUR_OK;
}

static uint64_t
pair_key(long long user_id, long long feed_id)
{
    return ((uint64_t)user_id << 32) ^ (uint64_t)feed_id;
}

static int
subscription_row(void *ctx, long long user_id, long long feed_id)
{
    struct scorer *sc = ctx;
    struct user *u = user_of(sc, user_id);

    if (idmap_put(&sc->subs, pair_key(user_id, feed_id), 1) != 0)
        return CUR_ENOMEM;
    if (u == NULL || !u->casual)
        return 0;
    int fi = idmap_get(&sc->feed_ix, (uint64_t)feed_id);
    if (fi < 0) {
        struct casual_list *c = realloc(sc->casual, (sc->n_casual + 1)
                                                    * sizeof *c);
        if (c == NULL)
            return CUR_ENOMEM;
        sc->casual = c;
        memset(&c[sc->n_casual], 0, sizeof *c);
        fi = (int)sc->n_casual++;
        if (idmap_put(&sc->feed_ix, (uint64_t)feed_id, fi) != 0)
            return CUR_ENOMEM;
    }
    struct casual_list *l = &sc->casual[fi];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        int *nu = realloc(l->users, cap * sizeof *nu);
        if (nu == NULL)
            return CUR_ENOMEM;
        l->users = nu;
        l->cap = cap;
    }
    l->users[l->n++] = (int)(u - sc->users);
    return 0;
}

static int
load_subscriptions(struct scorer *sc, struct store *st)
{
    forget_subscriptions(sc);
    return store_subscriptions_all(st, subscription_row, sc);
}

static int
subscribed(const struct scorer *sc, long long user_id, long long feed_id)
{
    return idmap_get(&sc->subs, pair_key(user_id, feed_id)) > 0;
}

/* Item views. */

/* An item view and the storage behind its arrays. */
struct view {
    struct curator_item it;
    struct curator_gem gem;
    const char *tags[MAX_TAGS];
    const char *gem_tags[MAX_TAGS];
    const char *audience[MAX_TAGS];
    char buf[4096];         /* tag strings, split in place */
    size_t used;
};

/* Split 'list' at 'sep' into trimmed, non-empty parts copied into the
 * view's buffer (lowercased when 'lower'). Returns the count. */
static size_t
split(struct view *v, const char *list, char sep, int lower,
      const char **out)
{
    size_t n = 0;
    if (list == NULL)
        return 0;
    for (const char *p = list; *p && n < MAX_TAGS;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a && v->used + (size_t)(b - a) + 1 <= sizeof v->buf) {
            char *dst = v->buf + v->used;
            for (size_t i = 0; i < (size_t)(b - a); i++)
                dst[i] = lower ? (char)tolower((unsigned char)a[i]) : a[i];
            dst[b - a] = '\0';
            v->used += (size_t)(b - a) + 1;
            out[n++] = dst;
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    return n;
}

static void
view_of(struct view *v, const struct store_scoring_item *s, long long now)
{
    struct curator_item *it = &v->it;

    memset(it, 0, sizeof *it);
    v->used = 0;
    it->size = sizeof *it;
    it->id = s->id;
    it->feed_id = s->feed_id;
    it->feed_url = s->feed_url ? s->feed_url : "";
    it->feed_title = s->feed_title ? s->feed_title : "";
    it->title = s->title ? s->title : "";
    it->link = s->link ? s->link : "";
    it->author = s->author ? s->author : "";
    /* The store keeps one plain text per item: the fullest content. */
    it->summary = "";
    it->text = s->text ? s->text : "";
    it->language = s->language ? s->language : "";
    it->published = s->published;
    it->now = now;
    it->tags = v->tags;
    it->n_tags = split(v, s->tags, '\n', 0, v->tags);
    if (s->gem_editor != NULL) {
        v->gem.editor = s->gem_editor;
        v->gem.note = s->gem_note ? s->gem_note : "";
        v->gem.tags = v->gem_tags;
        v->gem.n_tags = split(v, s->gem_tags, ',', 1, v->gem_tags);
        v->gem.audience = v->audience;
        v->gem.n_audience = split(v, s->gem_audience, ',', 0, v->audience);
        it->gem = &v->gem;
    }
}

/* Scoring one pair. */

/* A reason cut at a byte limit may end inside a UTF-8 character: drop
 * that incomplete tail. */
static void
trim_partial_utf8(char *s, size_t len)
{
    size_t i = len, cont = 0;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && cont < 3) {
        i--;
        cont++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (lead >= 0xC0 && cont < need)
        s[i - 1] = '\0';
}

static void
sink_add(struct curator_explain *ex, double contribution, const char *text)
{
    struct pair *pr = ex->host;
    if (pr->n >= PAIR_MAX_REASONS || text == NULL)
        return;
    struct reason *r = &pr->r[pr->n++];
    r->plugin = pr->plugin;
    r->contribution = contribution;
    r->excludes = 0;
    /* Reasons are one line: tabs and newlines would break storage. */
    size_t i = 0;
    for (; text[i] && i < sizeof r->text - 1; i++)
        r->text[i] = (text[i] == '\t' || text[i] == '\n'
                      || text[i] == '\r') ? ' ' : text[i];
    r->text[i] = '\0';
    trim_partial_utf8(r->text, i);
}

static void
sink_duplicate(struct curator_explain *ex, long long of_item_id)
{
    struct pair *pr = ex->host;
    if (pr->dup_of == 0 && of_item_id > 0)
        pr->dup_of = of_item_id;
}

struct result {
    double total;
    const char *excluded_by;
    int selected;
};

static void
drop_result(struct scorer *sc, struct plugin *p, const struct user *u,
            const struct curator_item *it, const char *why)
{
    p->dropped++;
    sc->stats->dropped++;
    /* A broken filter could say this for every pair: log the first few
     * and then every thousandth. */
    if (p->dropped <= 5 || p->dropped % 1000 == 0)
        log_warn("filter result dropped filter=%s item=%lld user=%lld "
                 "reason=\"%s\" count=%lld", p->name, it->id, u->id, why,
                 p->dropped);
}

/* One filter's opinion of a pair, added to 'res'. */
static void
run_filter(struct scorer *sc, int i, const struct curator_item *it,
           const struct user *u, struct pair *pr, struct result *res)
{
    struct plugin *p = &sc->plugins[i];
    double s = 0;
    int excl = 0;
    size_t before = pr->n;

    if (p->suspended)
        return;
    pr->plugin = i;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t0);
    int rc = p->f->score(p->ctx, it, &u->prof->view, &s, &excl, &pr->ex);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t1);
    long ms = (long)(t1.tv_sec - t0.tv_sec) * 1000
              + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms > FILTER_BUDGET_MS && ++p->slow_calls >= FILTER_SLOW_MAX) {
        p->suspended = 1;
        log_err("filter suspended filter=%s path=%s reason=\"%lld calls "
                "over %d ms, the last %ld ms\" hint=\"fix or remove it, then "
                "reload (SIGHUP)\"", p->name, p->path, p->slow_calls,
                FILTER_BUDGET_MS, ms);
    }
    if (rc != 0 || !isfinite(s)) {
        drop_result(sc, p, u, it, rc != 0 ? "error return"
                                          : "score not finite");
        pr->n = before;
        return;
    }
    res->total += p->weight * s;
    for (size_t j = before; j < pr->n; j++) {
        pr->r[j].contribution *= p->weight;
        if (!isfinite(pr->r[j].contribution))
            pr->r[j].contribution = 0;
        pr->r[j].excludes = excl;
    }
    if (p->selects && (s != 0 || pr->n > before))
        res->selected = 1;
    if (excl && res->excluded_by == NULL)
        res->excluded_by = p->name;
}

/* Run the chain for one pair; returns whether the pair is kept. The
 * filters that select users run first: when none of them has anything
 * to say (and the user is no casual reader), the pair is dropped before
 * the others run. */
static int
score_pair(struct scorer *sc, const struct curator_item *it,
           const struct user *u, struct pair *pr, struct result *res)
{
    res->total = 0;
    res->excluded_by = NULL;
    res->selected = u->casual;
    pr->n = 0;
    pr->dup_of = 0;
    pr->ex.host = pr;
    pr->ex.add = sink_add;
    pr->ex.duplicate = sink_duplicate;

    for (size_t k = 0; k < sc->n_plugins; k++)
        if (sc->plugins[sc->order[k]].selects)
            run_filter(sc, sc->order[k], it, u, pr, res);
    if (!res->selected)
        return 0;
    for (size_t k = 0; k < sc->n_plugins; k++)
        if (!sc->plugins[sc->order[k]].selects)
            run_filter(sc, sc->order[k], it, u, pr, res);
    return 1;
}

static int
by_weight(const void *a, const void *b)
{
    const struct reason *x = a, *y = b;
    /* Exclusions first: they are the reason. */
    if (x->excludes != y->excludes)
        return y->excludes - x->excludes;
    double dx = fabs(x->contribution), dy = fabs(y->contribution);
    return (dx < dy) - (dx > dy);
}

/* "filter TAB contribution TAB text" lines, strongest first. */
static void
reasons_text(const struct scorer *sc, struct pair *pr, char *out,
             size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    qsort(pr->r, pr->n, sizeof pr->r[0], by_weight);
    for (size_t i = 0; i < pr->n && i < SCORE_MAX_REASONS; i++) {
        int n = snprintf(out + len, outlen - len, "%s\t%.4g\t%s\n",
                         sc->plugins[pr->r[i].plugin].name,
                         pr->r[i].contribution, pr->r[i].text);
        if (n < 0 || (size_t)n >= outlen - len) {
            out[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
}

/* Score one pair and queue its row; returns a CUR_ code. */
static int
pair_store(struct scorer *sc, const struct curator_item *it,
           const struct user *u, long long *dup_of)
{
    struct pair pr;
    struct result res;
    char reasons[SCORE_MAX_REASONS * 300];

    if (!score_pair(sc, it, u, &pr, &res))
        return CUR_OK;
    if (pr.dup_of != 0 && *dup_of == 0)
        *dup_of = pr.dup_of;
    reasons_text(sc, &pr, reasons, sizeof reasons);
    if (!isfinite(res.total))
        res.total = 0;
    if (sc->n_rows == sc->cap_rows) {
        size_t cap = sc->cap_rows ? sc->cap_rows * 2 : 1024;
        struct row *r = realloc(sc->rows, cap * sizeof *r);
        if (r == NULL)
            return CUR_ENOMEM;
        sc->rows = r;
        sc->cap_rows = cap;
    }
    struct row *r = &sc->rows[sc->n_rows];
    if ((r->reasons = strdup(reasons)) == NULL)
        return CUR_ENOMEM;
    r->user_id = u->id;
    r->item_id = it->id;
    r->score = res.total;
    r->excluded_by = res.excluded_by;
    sc->n_rows++;
    sc->stats->pairs++;
    return CUR_OK;
}

static int
by_user_item(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->user_id != y->user_id)
        return x->user_id < y->user_id ? -1 : 1;
    return (x->item_id > y->item_id) - (x->item_id < y->item_id);
}

/* Write the queued rows (inside the caller's transaction). */
static int
rows_flush(struct scorer *sc)
{
    int rc = CUR_OK;
    if (sc->n_rows == 0)
        return CUR_OK;
    qsort(sc->rows, sc->n_rows, sizeof *sc->rows, by_user_item);
    for (size_t i = 0; i < sc->n_rows; i++) {
        struct row *r = &sc->rows[i];
        if (rc == CUR_OK)
            rc = store_score_put(sc->st, r->user_id, r->item_id, r->score,
                                 r->excluded_by, r->reasons, sc->now);
        free(r->reasons);
    }
    sc->n_rows = 0;
    return rc;
}

/* Incremental path. */

static void
want_user(struct curator_want *w, long long user_id)
{
    struct scorer *sc = w->host;
    int i = idmap_get(&sc->user_ix, (uint64_t)user_id);
    if (sc->adding >= 0)
        sc->plugins[sc->adding].selects = 1;
    if (i < 0 || sc->users[i].stamp == sc->stamp)
        return;
    sc->users[i].stamp = sc->stamp;
    if (sc->n_cand == sc->cap_cand) {
        size_t cap = sc->cap_cand ? sc->cap_cand * 2 : 256;
        int *c = realloc(sc->cand, cap * sizeof *c);
        if (c == NULL)
            return;     /* the user misses this item; logged by caller */
        sc->cand = c;
        sc->cap_cand = cap;
    }
    sc->cand[sc->n_cand++] = i;
}

/* Warming up: a filter naming someone is still a selector. */
static void
want_nobody(struct curator_want *w, long long user_id)
{
    struct scorer *sc = w->host;
    (void)user_id;
    if (sc != NULL && sc->adding >= 0)
        sc->plugins[sc->adding].selects = 1;
}

static int
window_push(struct scorer *sc, long long id, long long fetched)
{
    if (sc->win_n == sc->win_cap) {
        size_t cap = sc->win_cap ? sc->win_cap * 2 : 1024;
        struct window_item *w = malloc(cap * sizeof *w);
        if (w == NULL)
            return CUR_ENOMEM;
        for (size_t i = 0; i < sc->win_n; i++)
            w[i] = sc->win[(sc->win_head + i) % sc->win_cap];
        free(sc->win);
        sc->win = w;
        sc->win_head = 0;
        sc->win_cap = cap;
    }
    sc->win[(sc->win_head + sc->win_n) % sc->win_cap] =
        (struct window_item){ id, fetched };
    sc->win_n++;
    return CUR_OK;
}

/* Tell the filters about items that left the window. */
static void
window_trim(struct scorer *sc, long long now)
{
    long long since = now - sc->window;
    while (sc->win_n > 0 && sc->win[sc->win_head].fetched < since) {
        long long id = sc->win[sc->win_head].id;
        for (size_t i = 0; i < sc->n_plugins; i++) {
            struct plugin *p = &sc->plugins[i];
            if (HAS(p->f, drop_item))
                p->f->drop_item(p->ctx, id);
        }
        sc->win_head = (sc->win_head + 1) % sc->win_cap;
        sc->win_n--;
    }
}

/* add_item() of every filter, candidates collected through 'w'. */
static void
add_item_all(struct scorer *sc, const struct curator_item *it,
             struct curator_want *w)
{
    for (size_t i = 0; i < sc->n_plugins; i++) {
        struct plugin *p = &sc->plugins[i];
        sc->adding = (int)i;
        if (p->selector && p->f->add_item(p->ctx, it, w) != 0)
            log_warn("filter add_item failed filter=%s item=%lld", p->name,
                     it->id);
    }
    sc->adding = -1;
}

/* Score a new item for every user who should see it. */
static int
score_new(struct scorer *sc, const struct store_scoring_item *s)
{
    struct view v;
    struct curator_want w = { .host = sc, .user = want_user };
    long long dup_of = 0;
    int rc = CUR_OK;

    view_of(&v, s, sc->now);
    if (++sc->stamp == 0) {
        for (size_t i = 0; i < sc->n_users; i++)
            sc->users[i].stamp = 0;
        sc->stamp = 1;
    }
    sc->n_cand = 0;
    add_item_all(sc, &v.it, &w);
    if (window_push(sc, s->id, s->fetched) != CUR_OK)
        return CUR_ENOMEM;
    /* Casual readers of this feed see everything from it. */
    int fi = idmap_get(&sc->feed_ix, (uint64_t)s->feed_id);
    if (fi >= 0) {
        const struct casual_list *l = &sc->casual[fi];
        for (size_t i = 0; i < l->n; i++)
            want_user(&w, sc->users[l->users[i]].id);
    }
    for (size_t k = 0; k < sc->n_cand && rc == CUR_OK; k++) {
        const struct user *u = &sc->users[sc->cand[k]];
        if (v.it.gem == NULL && !subscribed(sc, u->id, s->feed_id))
            continue;
        rc = pair_store(sc, &v.it, u, &dup_of);
    }
    if (rc == CUR_OK && dup_of != 0)
        rc = store_item_duplicate(sc->st, s->id, dup_of);
    sc->stats->items++;
    return rc;
}

struct run_ctx {
    struct scorer *sc;
    long long last_id;
    int n;
};

static int
run_row(void *ctx, const struct store_scoring_item *s)
{
    struct run_ctx *r = ctx;
    r->last_id = s->id;
    r->n++;
    /* Items already out of the window are not worth a score. */
    if (s->fetched < r->sc->now - r->sc->window)
        return 0;
    return score_new(r->sc, s);
}

static void
begin_call(struct scorer *sc, struct store *st, long long now,
           struct scorer_stats *stats)
{
    sc->st = st;
    sc->now = now;
    sc->stats = stats ? stats : &sc->scratch;
}

static int run_batches(struct scorer *sc, struct store *st, long long now,
                       long long cursor);

int
scorer_run(struct scorer *sc, struct store *st, long long now,
           struct scorer_stats *stats)
{
    long long cursor;
    int rc;

    begin_call(sc, st, now, stats);
    window_trim(sc, now);
    if ((rc = store_meta_get(st, "score_cursor", &cursor)) != CUR_OK)
        return rc;
    /* Scores can be redone: no fsync per batch (DUR-1 asks FULL only
     * where sends are marked). */
    if ((rc = store_relaxed(st, 1)) != CUR_OK)
        return rc;
    struct timespec t0, t1;
    long long items = sc->stats->items;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_batches(sc, st, now, cursor);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (sc->stats->items > items)
        metrics_scored((double)(t1.tv_sec - t0.tv_sec)
                       + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                       sc->stats->items - items);
    int rc2 = store_relaxed(st, 0);
    return rc != CUR_OK ? rc : rc2;
}

static int
run_batches(struct scorer *sc, struct store *st, long long now,
            long long cursor)
{
    int rc;
    for (;;) {
        struct run_ctx r = { .sc = sc, .last_id = cursor };
        if ((rc = store_begin(st)) != CUR_OK)
            return rc;
        rc = store_scoring_items_after(st, cursor, BATCH_ITEMS, now, run_row,
                                       &r);
        int frc = rows_flush(sc);
        if (rc == CUR_OK)
            rc = frc;
        if (rc == CUR_OK && r.n > 0)
            rc = store_meta_put(st, "score_cursor", r.last_id);
        if (rc != CUR_OK) {
            store_rollback(st);
            return rc;
        }
        if ((rc = store_commit(st)) != CUR_OK)
            return rc;
        if (r.n < BATCH_ITEMS)
            return CUR_OK;
        cursor = r.last_id;
    }
}

/* Loading everything. */

static int
user_row(void *ctx, const struct store_user_rev *r)
{
    struct scorer *sc = ctx;
    return user_load(sc, sc->st, r->user_id);
}

struct learn_ctx {
    struct scorer *sc;
    const struct store_feedback *fb;
};

static int
learn_item(void *ctx, const struct store_scoring_item *s)
{
    struct learn_ctx *l = ctx;
    struct scorer *sc = l->sc;
    const struct user *u = user_of(sc, l->fb->user_id);
    struct view v;

    if (u == NULL)
        return 0;
    view_of(&v, s, sc->now);
    for (size_t i = 0; i < sc->n_plugins; i++) {
        struct plugin *p = &sc->plugins[i];
        if (HAS(p->f, learn))
            p->f->learn(p->ctx, &v.it, &u->prof->view, l->fb->verdict);
    }
    return 0;
}

static int
feedback_row(void *ctx, const struct store_feedback *fb)
{
    struct scorer *sc = ctx;
    struct learn_ctx l = { sc, fb };
    sc->feedback_cursor = fb->id;
    /* The item may be gone: nothing to learn from then. */
    int rc = store_scoring_item(sc->st, fb->item_id, sc->now, learn_item, &l);
    return rc == CUR_ENOTFOUND ? 0 : rc;
}

struct warm_ctx {
    struct scorer *sc;
    long long upto;
};

static int
warm_row(void *ctx, const struct store_scoring_item *s)
{
    struct warm_ctx *w = ctx;
    struct curator_want nobody = { .host = w->sc, .user = want_nobody };
    struct view v;

    if (s->id > w->upto)
        return 0;
    view_of(&v, s, w->sc->now);
    add_item_all(w->sc, &v.it, &nobody);
    return window_push(w->sc, s->id, s->fetched);
}

int
scorer_load(struct scorer *sc, struct store *st, long long now, int warm)
{
    int rc;

    begin_call(sc, st, now, NULL);
    sc->warm = warm;
    /* Gems tagged from now on are rescored by scorer_refresh(); the CLI
     * rescores the gems it tags itself. */
    sc->gem_cursor = now;
    if ((rc = store_user_revs(st, user_row, sc)) != CUR_OK)
        return rc;
    /* Nothing scored yet (a new or upgraded database): no score can be
     * stale, so every profile counts as scored; scorer_run() scores the
     * window with the profiles as they are. */
    long long cursor;
    if ((rc = store_meta_get(st, "score_cursor", &cursor)) != CUR_OK)
        return rc;
    if (cursor == 0 && sc->n_users > 0) {
        int own;
        if ((rc = store_nest_begin(st, &own)) != CUR_OK)
            return rc;
        for (size_t i = 0; i < sc->n_users && rc == CUR_OK; i++)
            rc = store_user_scored(st, sc->users[i].id,
                                   sc->users[i].prof->rev);
        if ((rc = store_nest_end(st, own, rc)) != CUR_OK)
            return rc;
    }
    if ((rc = load_subscriptions(sc, st)) != CUR_OK)
        return rc;
    if ((rc = store_feedback_list(st, 0, feedback_row, sc)) != CUR_OK)
        return rc;
    if (warm) {
        struct warm_ctx w = { sc, 0 };
        if ((rc = store_meta_get(st, "score_cursor", &w.upto)) != CUR_OK)
            return rc;
        rc = store_scoring_items_since(st, now - sc->window, now, warm_row,
                                       &w);
    }
    return rc;
}

/* Rescoring one user. */

struct rescore_ctx {
    struct scorer *sc;
    const struct user *u;
};

static int
rescore_row(void *ctx, const struct store_scoring_item *s)
{
    struct rescore_ctx *r = ctx;
    struct scorer *sc = r->sc;
    struct view v;
    long long dup_of = 0;

    if (s->gem_editor == NULL && !subscribed(sc, r->u->id, s->feed_id))
        return 0;
    view_of(&v, s, sc->now);
    if (!sc->warm) {
        /* A cold host (the CLI) has not seen the window yet. */
        struct curator_want nobody = { .host = sc, .user = want_nobody };
        add_item_all(sc, &v.it, &nobody);
    }
    return pair_store(sc, &v.it, r->u, &dup_of);
}

static int
rescore(struct scorer *sc, long long user_id)
{
    struct store *st = sc->st;
    int own, rc = user_load(sc, st, user_id);
    const struct user *u;

    if (rc != CUR_OK)
        return rc;
    u = user_of(sc, user_id);
    struct rescore_ctx r = { sc, u };
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    rc = store_score_forget_user(st, user_id, sc->now - sc->window);
    if (rc == CUR_OK)
        rc = store_scoring_items_since(st, sc->now - sc->window, sc->now,
                                       rescore_row, &r);
    int frc = rows_flush(sc);
    if (rc == CUR_OK)
        rc = frc;
    if (rc == CUR_OK)
        rc = store_user_scored(st, user_id, u->prof->rev);
    sc->stats->users++;
    return store_nest_end(st, own, rc);
}

int
scorer_rescore_user(struct scorer *sc, struct store *st, long long user_id,
                    long long now, struct scorer_stats *stats)
{
    begin_call(sc, st, now, stats);
    int rc = load_subscriptions(sc, st);
    return rc != CUR_OK ? rc : rescore(sc, user_id);
}

struct refresh_ctx {
    struct scorer *sc;
    long long *todo;
    size_t n, cap;
    int subs_changed;
};

static int
refresh_row(void *ctx, const struct store_user_rev *r)
{
    struct refresh_ctx *f = ctx;
    const struct user *u = user_of(f->sc, r->user_id);

    if (u != NULL && u->prof->rev == r->profile_rev
        && r->scored_rev == r->profile_rev)
        return 0;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        long long *t = realloc(f->todo, cap * sizeof *t);
        if (t == NULL)
            return CUR_ENOMEM;
        f->todo = t;
        f->cap = cap;
    }
    f->todo[f->n++] = r->user_id;
    return 0;
}

static int
gem_changed_row(void *ctx, long long item_id, long long changed)
{
    struct scorer *sc = ctx;
    (void)changed;
    if (sc->n_gems == sc->cap_gems) {
        size_t cap = sc->cap_gems ? sc->cap_gems * 2 : 16;
        long long *g = realloc(sc->gems, cap * sizeof *g);
        if (g == NULL)
            return CUR_ENOMEM;
        sc->gems = g;
        sc->cap_gems = cap;
    }
    sc->gems[sc->n_gems++] = item_id;
    return 0;
}

/* Gems tagged by others (the web page) since the last look: a gem
 * reaches people beyond its feed's subscribers, so it is scored again
 * for everyone. */
static int
refresh_gems(struct scorer *sc, struct store *st, long long now)
{
    int rc;
    sc->n_gems = 0;
    if ((rc = store_gems_changed(st, sc->gem_cursor, gem_changed_row, sc))
        != CUR_OK)
        return rc;
    /* A gem changed in the same second as the cursor is looked at twice
     * at most: harmless. */
    sc->gem_cursor = now;
    for (size_t i = 0; i < sc->n_gems && rc == CUR_OK; i++) {
        rc = scorer_rescore_item(sc, st, sc->gems[i], now, sc->stats);
        if (rc == CUR_ENOTFOUND)
            rc = CUR_OK;
    }
    return rc;
}

int
scorer_refresh(struct scorer *sc, struct store *st, long long now,
               struct scorer_stats *stats)
{
    struct refresh_ctx f = { .sc = sc };
    int rc;

    begin_call(sc, st, now, stats);
    /* Feedback first: the rescores below should see what it taught. */
    if ((rc = store_feedback_list(st, sc->feedback_cursor, feedback_row,
                                  sc)) != CUR_OK)
        return rc;
    if ((rc = refresh_gems(sc, st, now)) != CUR_OK)
        return rc;
    begin_call(sc, st, now, stats);
    if ((rc = store_user_revs(st, refresh_row, &f)) != CUR_OK)
        goto done;
    if (f.n == 0)
        goto done;
    /* A new user or a subscription change: re-read who sees what. Loading
     * the profiles first lets a new user's casual status count. */
    for (size_t i = 0; i < f.n && rc == CUR_OK; i++)
        rc = user_load(sc, st, f.todo[i]);
    if (rc == CUR_OK)
        rc = load_subscriptions(sc, st);
    for (size_t i = 0; i < f.n && rc == CUR_OK; i++)
        rc = rescore(sc, f.todo[i]);
done:
    free(f.todo);
    return rc;
}

/* Rescoring one item (a gem was tagged). */

static int
rescore_item_row(void *ctx, const struct store_scoring_item *s)
{
    struct scorer *sc = ctx;
    for (size_t i = 0; i < sc->n_plugins; i++) {
        struct plugin *p = &sc->plugins[i];
        if (HAS(p->f, drop_item))
            p->f->drop_item(p->ctx, s->id);
    }
    return score_new(sc, s);
}

int
scorer_rescore_item(struct scorer *sc, struct store *st, long long item_id,
                    long long now, struct scorer_stats *stats)
{
    int own, rc;

    begin_call(sc, st, now, stats);
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    rc = store_score_forget_item(st, item_id);
    if (rc == CUR_OK)
        rc = store_scoring_item(st, item_id, now, rescore_item_row, sc);
    int frc = rows_flush(sc);
    if (rc == CUR_OK)
        rc = frc;
    return store_nest_end(st, own, rc);
}

size_t
scorer_reasons_parse(const char *stored, struct score_reason *out,
                     size_t max)
{
    size_t n = 0;
    const char *p = stored;

    while (p != NULL && *p && n < max) {
        const char *eol = strchr(p, '\n');
        const char *t1 = strchr(p, '\t');
        const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        const char *end = eol ? eol : p + strlen(p);
        if (t1 && t2 && t2 < end && (size_t)(t1 - p) < sizeof out->filter) {
            struct score_reason *r = &out[n];
            char num[64];
            size_t k = (size_t)(t2 - t1 - 1);
            memcpy(r->filter, p, (size_t)(t1 - p));
            r->filter[t1 - p] = '\0';
            if (k < sizeof num) {
                memcpy(num, t1 + 1, k);
                num[k] = '\0';
                r->contribution = strtod(num, NULL);
                k = (size_t)(end - t2 - 1);
                if (k >= sizeof r->text)
                    k = sizeof r->text - 1;
                memcpy(r->text, t2 + 1, k);
                r->text[k] = '\0';
                n++;
            }
        }
        p = eol ? eol + 1 : NULL;
    }
    return n;
}
