/* Poll due feeds: fetch -> parse -> store, one feed at a time. */
#include "poller.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long
poller_backoff(long interval, int failures)
{
    long wait = interval;
    for (int i = 0; i < failures && wait < POLLER_MAX_BACKOFF; i++)
        wait *= 2;
    return wait < POLLER_MAX_BACKOFF ? wait : POLLER_MAX_BACKOFF;
}

/* A copy of a due feed: the row view dies when the query moves on, and
 * the store must not be written while it is being read. */
struct due_feed {
    long long id;
    char *url;
    char *etag;
    char *last_modified;
    int failures;
    int origin_web;
};

struct due_list {
    struct due_feed *v;
    size_t n;
    int oom;
};

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
collect_due(void *ctx, const struct store_feed *f)
{
    struct due_list *l = ctx;
    struct due_feed *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (v == NULL) {
        l->oom = 1;
        return 1;
    }
    l->v = v;
    v[l->n] = (struct due_feed) {
        .id = f->id,
        .url = strdup(f->url),
        .etag = dup_or_null(f->etag),
        .last_modified = dup_or_null(f->last_modified),
        .failures = f->failures,
        .origin_web = strcmp(f->origin, "web") == 0,
    };
    l->n++;
    return 0;
}

static void
due_list_free(struct due_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].url);
        free(l->v[i].etag);
        free(l->v[i].last_modified);
    }
    free(l->v);
}

static int
poll_one(struct store *st, const struct poller_cfg *cfg, long long now,
         const struct due_feed *d, struct poller_stats *stats)
{
    struct fetch_request rq = {
        .url = d->url,
        .etag = d->etag,
        .last_modified = d->last_modified,
        .timeout = cfg->timeout,
        .max_body = cfg->max_body,
        .allow_file = !d->origin_web,
    };
    struct fetch_result res;
    struct feed *f = NULL;
    struct store_poll p = { .now = now, .next_poll = now + cfg->interval };
    char err[300];
    int n_new = 0, rc;

    rc = fetch_url(&rq, &res);
    p.status = res.status;
    if (rc != CUR_OK) {
        snprintf(err, sizeof err, "fetch: %s", res.error);
        p.error = err;
    } else if (res.status == 304) {
        stats->unchanged++;
    } else if (res.status < 200 || res.status > 299) {
        snprintf(err, sizeof err, "HTTP status %d", res.status);
        p.error = err;
    } else {
        char why[256];
        struct parse_opts po = cfg->parse;
        po.base_url = res.final_url ? res.final_url : d->url;
        po.content_type = res.content_type;
        po.max_size = cfg->max_body;
        rc = parse_feed(res.body, res.len, &po, &f, why, sizeof why);
        if (rc == CUR_OK && feed_fill_text(f, POLLER_TEXT_MAX) != 0)
            rc = CUR_ENOMEM;
        if (rc != CUR_OK) {
            snprintf(err, sizeof err, "parse: %s", why);
            p.error = err;
        } else {
            p.title = f->title;
        }
    }
    if (p.error == NULL) {
        p.etag = res.etag;
        p.last_modified = res.last_modified;
    } else {
        p.next_poll = now + poller_backoff(cfg->interval, d->failures + 1);
        stats->failed++;
        log_warn("poll failed feed=%lld url=%s status=%d failures=%d "
                 "retry_in=%llds err=\"%s\"", d->id, d->url, res.status,
                 d->failures + 1, p.next_poll - now, p.error);
    }
    rc = store_feed_polled(st, d->id, &p, f, &n_new);
    if (rc == CUR_OK && p.error == NULL)
        log_info("poll ok feed=%lld url=%s status=%d items=%zu new=%d",
                 d->id, d->url, res.status, f ? f->n_items : 0, n_new);
    stats->polled++;
    stats->new_items += n_new;
    feed_free(f);
    fetch_result_free(&res);
    /* A feed removed meanwhile is not a store failure. */
    return rc == CUR_ENOTFOUND ? CUR_OK : rc;
}

int
poller_run_due(struct store *st, const struct poller_cfg *cfg, long long now,
         volatile sig_atomic_t *stop, struct poller_stats *stats)
{
    struct due_list due = { 0 };
    int rc;

    memset(stats, 0, sizeof *stats);
    rc = store_feed_due(st, now, collect_due, &due);
    if (due.oom)
        rc = CUR_ENOMEM;
    for (size_t i = 0; rc == CUR_OK && i < due.n; i++) {
        if (stop && *stop)
            break;
        if (due.v[i].url == NULL) {
            rc = CUR_ENOMEM;
            break;
        }
        /* Each feed is stamped when it is fetched, not when the batch
         * started: a slow batch must not make feeds due early. */
        rc = poll_one(st, cfg, (long long)time(NULL), &due.v[i], stats);
    }
    due_list_free(&due);
    return rc;
}
