/* The ranking preview (see preview.h): the window copied into a private
 * in-memory store and scored there by a fresh filter chain, or, with no
 * filters configured, a keyword match. */
#define _GNU_SOURCE     /* strcasestr */
#include "preview.h"
#include "err.h"
#include "log.h"
#include "score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Items of the window, copied out of the real store. */
struct wcopy {
    long long id, feed_id, published;
    char *title, *link, *author, *text, *language, *tags, *feed;
};

struct window {
    struct wcopy *v;
    size_t n, cap;
    int oom;
};

static char *
dup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
window_row(void *ctx, const struct store_scoring_item *it)
{
    struct window *w = ctx;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 128;
        struct wcopy *v = realloc(w->v, cap * sizeof *v);
        if (v == NULL)
            return w->oom = CUR_ENOMEM;
        w->v = v;
        w->cap = cap;
    }
    struct wcopy *c = &w->v[w->n++];
    memset(c, 0, sizeof *c);
    c->id = it->id;
    c->feed_id = it->feed_id;
    c->published = it->published;
    c->title = dup0(it->title);
    c->link = dup0(it->link);
    c->author = dup0(it->author);
    c->text = dup0(it->text);
    c->language = dup0(it->language);
    c->tags = dup0(it->tags);
    c->feed = dup0(it->feed_title && it->feed_title[0] ? it->feed_title
                                                       : it->feed_url);
    if (c->title == NULL || c->feed == NULL)
        return w->oom = CUR_ENOMEM;
    return 0;
}

static void
window_free(struct window *w)
{
    for (size_t i = 0; i < w->n; i++) {
        struct wcopy *c = &w->v[i];
        free(c->title);
        free(c->link);
        free(c->author);
        free(c->text);
        free(c->language);
        free(c->tags);
        free(c->feed);
    }
    free(w->v);
}

void
preview_result_free(struct preview_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].title);
        free(r->v[i].link);
        free(r->v[i].feed);
        free(r->v[i].reason);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int
add_hit(struct preview_result *out, size_t top, const struct wcopy *c,
        double score, const char *reason)
{
    if (out->v == NULL && (out->v = calloc(top, sizeof *out->v)) == NULL)
        return CUR_ENOMEM;
    if (out->n >= top)
        return CUR_OK;
    struct preview_hit *h = &out->v[out->n++];
    h->item_id = c->id;
    h->title = dup0(c->title);
    h->link = dup0(c->link);
    h->feed = dup0(c->feed);
    h->score = score;
    h->reason = dup0(reason);
    return h->title && h->feed ? CUR_OK : CUR_ENOMEM;
}

/* The keyword fallback. */

static int
contains(const char *hay, const char *needle)
{
    return hay != NULL && needle[0] != '\0' && strcasestr(hay, needle);
}

struct kw {
    size_t i;
    double score;
    char reason[200];
};

static int
by_score(const void *a, const void *b)
{
    const struct kw *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int
keyword_rank(const struct window *w, const struct preview_profile *p,
             size_t top, struct preview_result *out)
{
    struct kw *k = calloc(w->n ? w->n : 1, sizeof *k);
    size_t n = 0;
    int rc = CUR_OK;

    if (k == NULL)
        return CUR_ENOMEM;
    for (size_t i = 0; i < w->n; i++) {
        const struct wcopy *c = &w->v[i];
        int muted = 0;
        double best = 0;
        for (size_t m = 0; m < p->n_muted_feeds; m++)
            muted |= p->muted_feeds[m] == c->feed_id;
        for (size_t m = 0; m < p->n_mutes && !muted; m++)
            muted = contains(c->title, p->mutes[m])
                    || contains(c->text, p->mutes[m]);
        if (muted)
            continue;
        k[n].i = i;
        k[n].score = 0;
        for (size_t t = 0; t < p->n_interests; t++) {
            const struct preview_interest *in = &p->interests[t];
            double s = contains(c->title, in->term) ? 3 * in->weight
                       : contains(c->text, in->term) ? in->weight : 0;
            k[n].score += s;
            if (s > best) {
                best = s;
                snprintf(k[n].reason, sizeof k[n].reason,
                         "%s matches \"%s\"%s%s%s",
                         contains(c->title, in->term) ? "title" : "text",
                         in->term, in->goal ? " (goal: " : "",
                         in->goal ? in->goal : "", in->goal ? ")" : "");
            }
        }
        if (k[n].score > 0)
            n++;
    }
    qsort(k, n, sizeof *k, by_score);
    for (size_t i = 0; i < n && i < top && rc == CUR_OK; i++)
        rc = add_hit(out, top, &w->v[k[i].i], k[i].score, k[i].reason);
    free(k);
    return rc;
}

/* The real scorer on a private copy. */

struct idmap {
    long long *from, *to;       /* real feed ids and the copy's */
    size_t n;
};

static long long
map_of(const struct idmap *m, long long id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->from[i] == id)
            return m->to[i];
    return 0;
}

struct copy_ctx {
    struct store *mem;
    long long uid;
    struct idmap feeds;
    int rc;
};

static int
copy_subscription(void *ctx, const struct store_subscription *s)
{
    struct copy_ctx *c = ctx;
    long long id;
    int rc = store_feed_import(c->mem, s->url, s->title, s->site_url,
                               s->category, "web", &id);
    if (rc != CUR_OK && rc != CUR_EEXIST)
        return c->rc = rc;
    long long *f = realloc(c->feeds.from, (c->feeds.n + 1) * sizeof *f);
    if (f == NULL)
        return c->rc = CUR_ENOMEM;
    c->feeds.from = f;
    long long *t = realloc(c->feeds.to, (c->feeds.n + 1) * sizeof *t);
    if (t == NULL)
        return c->rc = CUR_ENOMEM;
    c->feeds.to = t;
    c->feeds.from[c->feeds.n] = s->feed_id;
    c->feeds.to[c->feeds.n++] = id;
    rc = store_subscribe(c->mem, c->uid, id);
    if (rc == CUR_OK && s->weight != 1.0)
        rc = store_source_weight(c->mem, c->uid, id, s->weight);
    return c->rc = rc;
}

/* The copy's items carry the real id as their guid. */
struct back {
    long long *mem_id, *real_id;
    size_t n, cap;
    int oom;
};

static int
back_row(void *ctx, const struct store_item *it)
{
    struct back *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        long long *m = realloc(b->mem_id, cap * sizeof *m);
        if (m == NULL)
            return b->oom = CUR_ENOMEM;
        b->mem_id = m;
        long long *r = realloc(b->real_id, cap * sizeof *r);
        if (r == NULL)
            return b->oom = CUR_ENOMEM;
        b->real_id = r;
        b->cap = cap;
    }
    b->mem_id[b->n] = it->id;
    b->real_id[b->n++] = strtoll(it->guid, NULL, 10);
    return 0;
}

struct fb_ctx {
    struct store *mem;
    long long uid;
    const struct back *back;
};

static int
copy_feedback(void *ctx, const struct store_verdict *v)
{
    struct fb_ctx *f = ctx;
    for (size_t i = 0; i < f->back->n; i++)
        if (f->back->real_id[i] == v->item.item_id)
            return store_feedback_put(f->mem, f->uid, f->back->mem_id[i],
                                      v->verdict);
    return 0;
}

/* One struct feed per subscribed feed, holding its window items. */
static int
copy_items(struct store *mem, const struct window *w,
           const struct idmap *feeds, long long now)
{
    int rc = CUR_OK;

    for (size_t f = 0; f < feeds->n && rc == CUR_OK; f++) {
        struct feed *fd = calloc(1, sizeof *fd);
        if (fd == NULL)
            return CUR_ENOMEM;
        for (size_t i = 0; i < w->n && rc == CUR_OK; i++) {
            const struct wcopy *c = &w->v[i];
            if (c->feed_id != feeds->from[f])
                continue;
            struct item *it = feed_add_item(fd);
            char guid[32];
            if (it == NULL) {
                rc = CUR_ENOMEM;
                break;
            }
            snprintf(guid, sizeof guid, "%lld", c->id);
            it->guid = strdup(guid);
            it->title = dup0(c->title);
            it->link = dup0(c->link);
            it->text = dup0(c->text);
            it->language = dup0(c->language);
            it->published = c->published;
            if (c->author) {
                struct person *p = feed_add_person(&it->authors,
                                                   &it->n_authors);
                if (p == NULL || (p->name = strdup(c->author)) == NULL)
                    rc = CUR_ENOMEM;
            }
            for (const char *t = c->tags; t && *t && rc == CUR_OK;) {
                const char *e = strchr(t, '\n');
                size_t k = e ? (size_t)(e - t) : strlen(t);
                char **v = realloc(it->tags, (it->n_tags + 1) * sizeof *v);
                if (v == NULL || (v[it->n_tags] = strndup(t, k)) == NULL) {
                    if (v)
                        it->tags = v;
                    rc = CUR_ENOMEM;
                    break;
                }
                it->tags = v;
                it->n_tags++;
                t = e ? e + 1 : NULL;
            }
            if (it->guid == NULL || it->title == NULL)
                rc = CUR_ENOMEM;
        }
        if (rc == CUR_OK && fd->n_items > 0) {
            struct store_poll poll = { .now = now, .next_poll = now + 3600,
                                       .status = 200 };
            rc = store_feed_polled(mem, feeds->to[f], &poll, fd, NULL);
        }
        feed_free(fd);
    }
    return rc;
}

struct top_ctx {
    const struct back *back;
    const struct window *w;
    struct preview_result *out;
    size_t top;
    int rc;
};

static int
top_row(void *ctx, const struct store_scored *s)
{
    struct top_ctx *t = ctx;
    struct score_reason rs[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(s->reasons, rs, SCORE_MAX_REASONS);
    const char *reason = NULL;
    long long real = 0;

    for (size_t i = 0; i < n && reason == NULL; i++)
        if (rs[i].contribution > 0)
            reason = rs[i].text;
    for (size_t i = 0; i < t->back->n && real == 0; i++)
        if (t->back->mem_id[i] == s->item_id)
            real = t->back->real_id[i];
    for (size_t i = 0; i < t->w->n; i++)
        if (t->w->v[i].id == real)
            return t->rc = add_hit(t->out, t->top, &t->w->v[i], s->score,
                                   reason);
    return 0;
}

static int
scorer_rank(struct store *st, const struct config *cfg, long long user_id,
            const struct preview_profile *p, const struct window *w,
            long long since, long long now, size_t top,
            struct preview_result *out)
{
    struct store *mem = NULL;
    struct scorer *sc = NULL;
    struct copy_ctx cc = { .rc = CUR_OK };
    struct back back = { .n = 0 };
    char err[512];
    int rc;

    if ((rc = store_open(":memory:", &mem)) != CUR_OK)
        return rc;
    cc.mem = mem;
    if ((rc = store_begin(mem)) != CUR_OK)
        goto out;
    rc = store_user_add(mem, "preview", "preview@localhost", &cc.uid);
    if (rc == CUR_OK)
        rc = store_subscription_list(st, user_id, copy_subscription, &cc);
    if (rc == CUR_OK)
        rc = cc.rc;
    if (rc == CUR_OK)
        rc = copy_items(mem, w, &cc.feeds, now);
    for (size_t i = 0; i < p->n_goals && rc == CUR_OK; i++) {
        rc = store_goal_add(mem, cc.uid, p->goals[i], NULL);
        if (rc == CUR_EEXIST)
            rc = CUR_OK;
    }
    for (size_t i = 0; i < p->n_interests && rc == CUR_OK; i++) {
        const struct preview_interest *in = &p->interests[i];
        long long gid = 0;
        if (in->goal && store_goal_find(mem, cc.uid, in->goal, &gid)
                        != CUR_OK)
            gid = 0;
        rc = store_interest_put(mem, cc.uid, in->term, in->weight, gid,
                                in->is_phrase);
    }
    for (size_t i = 0; i < p->n_mutes && rc == CUR_OK; i++)
        rc = store_mute_term(mem, cc.uid, p->mutes[i]);
    for (size_t i = 0; i < p->n_muted_feeds && rc == CUR_OK; i++) {
        long long f = map_of(&cc.feeds, p->muted_feeds[i]);
        if (f > 0)
            rc = store_mute_feed(mem, cc.uid, f);
    }
    if (rc == CUR_OK)
        rc = store_item_list(mem, 0, PREVIEW_MAX_ITEMS + 1, back_row, &back);
    if (rc == CUR_OK)
        rc = back.oom;
    if (rc == CUR_OK) {
        struct fb_ctx fb = { mem, cc.uid, &back };
        rc = store_feedback_user(st, user_id, copy_feedback, &fb);
    }
    if (rc == CUR_OK)
        rc = store_commit(mem);
    else
        store_rollback(mem);
    if (rc != CUR_OK)
        goto out;
    rc = scorer_open(cfg->filters, cfg->n_filters, now - since + 60, &sc,
                     err, sizeof err);
    if (rc != CUR_OK) {
        log_warn("web preview filters refused: %s", err);
        goto out;
    }
    rc = scorer_load(sc, mem, now, 0);
    if (rc == CUR_OK)
        rc = scorer_run(sc, mem, now, NULL);
    if (rc == CUR_OK) {
        struct top_ctx t = { &back, w, out, top, CUR_OK };
        rc = store_score_top(mem, cc.uid, since - 60, 0, (int)top, top_row,
                             &t);
        if (rc == CUR_OK)
            rc = t.rc;
    }
    out->scorer = 1;
out:
    scorer_close(sc);
    store_close(mem);
    free(cc.feeds.from);
    free(cc.feeds.to);
    free(back.mem_id);
    free(back.real_id);
    return rc;
}

int
preview_rank(struct store *st, const struct config *cfg, long long user_id,
             const struct preview_profile *p, long long since,
             long long now, size_t top, struct preview_result *out)
{
    struct window w = { .n = 0 };
    int rc;

    memset(out, 0, sizeof *out);
    if (top == 0)
        return CUR_OK;
    rc = store_items_window_user(st, user_id, since, now, PREVIEW_MAX_ITEMS,
                                 window_row, &w);
    if (rc == CUR_OK)
        rc = w.oom;
    out->considered = w.n;
    if (rc == CUR_OK) {
        if (cfg != NULL && cfg->n_filters > 0)
            rc = scorer_rank(st, cfg, user_id, p, &w, since, now, top, out);
        else
            rc = keyword_rank(&w, p, top, out);
    }
    window_free(&w);
    return rc;
}
