/* Poll rounds: pick the feeds, fetch them together on one event loop,
 * hash each body as it arrives, parse and sanitise the new ones on a pool
 * of worker threads (each of which hands its document to a confined
 * process when the config has a worker pool), and store each outcome
 * from the loop's thread (the only one that touches the store). */
#include "poller.h"
#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "worker.h"

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLLER_HOLD_MAX (512u << 10)    /* body held per feed before it is
                                           streamed to the parser */
#define POLLER_HOLD_BUDGET (2u << 20)   /* held by all feeds at once, before
                                           new transfers wait */
#define POLLER_PARSE_QUEUE 4            /* feeds per worker handed over and
                                           not stored yet, before new
                                           transfers wait */
#define POLLER_HEAD_MAX 16384           /* body head kept for sy: hints */
#define POLLER_BATCH_FEEDS 200          /* feeds per commit at most */
#define POLLER_BATCH_SECONDS 0.5        /* age of a batch at most */
#define POLLER_PROGRESS_SECONDS 0.1
#define POLLER_HASH_BYTES 32            /* BLAKE2b-256 of the body */
#define POLLER_HASH_HEX (2 * POLLER_HASH_BYTES + 1)
#define POLLER_WORKERS_MAX 64
#define POLLER_HOST_MAX 256

/* A feed of the round, copied from the store: the row view dies when the
 * query moves on, and the store must not be written while it is read. */
struct due_feed {
    long long id;
    char *url;
    char *etag;
    char *last_modified;
    char *body_hash;
    char *host;
    int failures;
    int origin_web;
    long interval;
    long ttl;
    long update_period;
    unsigned skip_hours, skip_days;
};

struct due_list {
    struct due_feed *v;
    size_t n, cap;
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
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct due_feed *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct due_feed *d = &l->v[l->n++];
    char host[POLLER_HOST_MAX];
    *d = (struct due_feed) {
        .id = f->id,
        .url = strdup(f->url),
        .etag = dup_or_null(f->etag),
        .last_modified = dup_or_null(f->last_modified),
        .body_hash = dup_or_null(f->body_hash),
        .failures = f->failures,
        .origin_web = strcmp(f->origin, "web") == 0,
        .interval = f->poll_interval,
        .ttl = f->ttl,
        .update_period = f->update_period,
        .skip_hours = f->skip_hours,
        .skip_days = f->skip_days,
    };
    /* An unreadable URL fails when it is fetched; group it alone. */
    if (fetch_url_host(f->url, host, sizeof host) != CUR_OK)
        snprintf(host, sizeof host, "?%lld", f->id);
    d->host = strdup(host);
    if (d->url == NULL || d->host == NULL
        || (f->etag && d->etag == NULL)
        || (f->last_modified && d->last_modified == NULL)
        || (f->body_hash && d->body_hash == NULL)) {
        l->oom = 1;
        return 1;
    }
    return 0;
}

static void
due_list_free(struct due_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].url);
        free(l->v[i].etag);
        free(l->v[i].last_modified);
        free(l->v[i].body_hash);
        free(l->v[i].host);
    }
    free(l->v);
}

/* The feeds of one host, in the order they became due. */
struct host {
    size_t next, end;           /* range of round.order still to start */
    unsigned inflight;
};

struct job;

struct round {
    struct store *st;
    const struct poller_cfg *cfg;
    struct fetch *f;
    struct due_list due;
    size_t *order;              /* due indices grouped by host */
    struct host *hosts;
    size_t *open;               /* hosts with feeds left to start */
    size_t n_open, turn;
    struct job *live;           /* transfers running */
    size_t held;                /* body bytes held by all jobs */
    struct poller_stats *stats;
    int rc;                     /* the first store failure */
    int in_tx, batch_n;
    double batch_start, started;
    /* The parse workers: jobs wait on 'waiting', come back on 'done'. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *waiting, *wait_tail, *done;
    int parsing;                /* jobs handed over and not back yet */
    int quit;
    pthread_t workers[POLLER_WORKERS_MAX];
    int n_workers;
};

/* What a request came to, kept past the transfer. */
struct outcome {
    int rc, status;
    long long bytes;            /* body bytes received (decoded) */
    char error[520];            /* fetch_result.error and stop_msg */
    char *etag, *last_modified, *moved_to;
    long long retry_after, max_age;
};

/* One feed being fetched, then parsed. */
struct job {
    struct round *r;
    struct job *prev, *next;    /* the transfers running */
    struct job *qnext;          /* a worker queue */
    const struct due_feed *d;
    size_t host;
    crypto_generichash_state hash;
    struct buf hold;            /* the body, until it is known to be new
                                   or grows past what may be held */
    size_t held;                /* of it, counted in round.held */
    struct buf head;            /* its first POLLER_HEAD_MAX bytes */
    struct parser *parser;      /* once the body is streamed */
    char *base_url, *content_type, *language;   /* the parser's options */
    char stop_msg[256];         /* why on_body stopped the transfer */
    struct outcome out;
    char hex[POLLER_HASH_HEX];  /* the body's hash */
    /* The parse, done by a worker. */
    struct feed *f;
    int parse_rc;
    char why[256];
};

static double
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* From the loop's thread only, like every use of round.held. */
static void
job_free(struct job *j)
{
    if (j == NULL)
        return;
    j->r->held -= j->held;
    buf_free(&j->hold);
    buf_free(&j->head);
    parser_free(j->parser);
    free(j->base_url);
    free(j->content_type);
    free(j->language);
    free(j->out.etag);
    free(j->out.last_modified);
    free(j->out.moved_to);
    feed_free(j->f);
    free(j);
}

/* ---- the body ---- */

/* Keep the response headers the parser reads: the transfer's own die
 * with it. */
static int
keep_head(struct job *j, const struct fetch_result *head)
{
    if (j->base_url)
        return CUR_OK;
    j->base_url = dup_or_null(head->url ? head->url : j->d->url);
    j->content_type = dup_or_null(head->content_type);
    j->language = dup_or_null(head->content_language);
    return j->base_url == NULL
           || (head->content_type && j->content_type == NULL)
           || (head->content_language && j->language == NULL)
           ? CUR_ENOMEM : CUR_OK;
}

/* Start the parser on what is held (keep_head() first). Any thread. */
static int
start_parser(struct job *j)
{
    struct parse_opts po = j->r->cfg->parse;

    po.base_url = j->base_url;
    po.content_type = j->content_type;
    po.content_language = j->language;
    po.max_size = j->r->cfg->max_body;
    po.on_item = NULL;
    int rc = parser_new(&po, &j->parser);
    if (rc == CUR_OK && j->hold.len)
        rc = parser_push(j->parser, j->hold.data, j->hold.len);
    buf_free(&j->hold);
    return rc;
}

static int
on_body(void *ctx, const struct fetch_result *head, const char *data,
        size_t len)
{
    struct job *j = ctx;
    struct round *r = j->r;
    int rc;

    crypto_generichash_update(&j->hash, (const unsigned char *)data, len);
    if (j->head.len < POLLER_HEAD_MAX) {
        size_t n = POLLER_HEAD_MAX - j->head.len;
        if (buf_append(&j->head, data, len < n ? len : n) != CUR_OK)
            goto oom;
    }
    /* Held whole, a body that turns out to be the same as last time is
     * never parsed; a large one is parsed as it arrives, so that memory
     * stays flat however large it is. (fill() keeps the total held
     * near POLLER_HOLD_BUDGET.) A worker process gets the body whole:
     * fetch caps it at max_body. */
    if (j->parser == NULL) {
        if (r->cfg->pool != NULL || j->hold.len + len <= POLLER_HOLD_MAX) {
            if (buf_append(&j->hold, data, len) != CUR_OK)
                goto oom;
            r->held += len;
            j->held += len;
            return CUR_OK;
        }
        if ((rc = keep_head(j, head)) != CUR_OK
            || (rc = start_parser(j)) != CUR_OK)
            goto fail;
        r->held -= j->held;
        j->held = 0;
    }
    if ((rc = parser_push(j->parser, data, len)) != CUR_OK)
        goto fail;
    return CUR_OK;
oom:
    rc = CUR_ENOMEM;
fail:
    snprintf(j->stop_msg, sizeof j->stop_msg, "%s", cur_strerror(rc));
    return rc;
}

/* Parse the body (the held bytes, or the end of the stream) and
 * sanitise it. Any thread: it touches nothing but the job. */
static int
parse_body(struct job *j, struct feed **out, char *why, size_t whylen)
{
    const struct poller_cfg *cfg = j->r->cfg;
    struct feed *f = NULL;
    int rc = CUR_OK;

    *out = NULL;
    if (cfg->pool != NULL && j->parser == NULL) {
        struct parse_opts po = cfg->parse;
        struct sanitize_opts so = cfg->sanitize;
        po.base_url = j->base_url;
        po.content_type = j->content_type;
        po.content_language = j->language;
        po.max_size = cfg->max_body;
        po.on_item = NULL;
        so.base_url = j->base_url;
        return worker_parse(cfg->pool, &po, &so, cfg->text_max
                            ? cfg->text_max : POLLER_TEXT_MAX, j->hold.data,
                            j->hold.len, out, why, whylen);
    }
    if (j->parser == NULL)
        rc = start_parser(j);
    if (rc == CUR_OK)
        rc = parser_finish(j->parser, &f, why, whylen);
    else
        snprintf(why, whylen, "%s", cur_strerror(rc));
    if (rc == CUR_OK) {
        /* Items are stored safe: sanitised HTML beside plain text. */
        struct sanitize_opts so = cfg->sanitize;
        so.base_url = j->base_url;
        if (feed_sanitize(f, &so, cfg->text_max ? cfg->text_max
                                                : POLLER_TEXT_MAX) != 0)
            rc = CUR_ENOMEM;
    }
    if (rc != CUR_OK) {
        if (f)
            snprintf(why, whylen, "out of memory");
        feed_free(f);
        return rc;
    }
    *out = f;
    return CUR_OK;
}

/* ---- the store ---- */

/* Several feeds go into one commit: a commit costs a sync, and a round
 * polls thousands. Each feed's write stays all-or-none (a savepoint). */
static int
batch_begin(struct round *r)
{
    if (r->in_tx)
        return CUR_OK;
    int rc = store_begin(r->st);
    if (rc == CUR_OK) {
        r->in_tx = 1;
        r->batch_n = 0;
        r->batch_start = mono_now();
    }
    return rc;
}

static void
batch_end(struct round *r, int force)
{
    if (!r->in_tx || (!force && r->batch_n < POLLER_BATCH_FEEDS
                      && mono_now() - r->batch_start < POLLER_BATCH_SECONDS))
        return;
    r->in_tx = 0;
    int rc = store_commit(r->st);
    if (rc != CUR_OK) {
        store_rollback(r->st);
        if (r->rc == CUR_OK)
            r->rc = rc;
    }
}

/* Item times, for the observed update rate (free()). */
static long long *
item_dates(const struct feed *f, size_t *n)
{
    long long *v = f && f->n_items ? malloc(f->n_items * sizeof *v) : NULL;
    *n = 0;
    for (size_t i = 0; v && i < f->n_items; i++)
        v[(*n)++] = f->items[i].published ? f->items[i].published
                                          : f->items[i].updated;
    return v;
}

/* One line in the log per event; a feed failing again and again is
 * logged on its 1st, 2nd, 4th, 8th... failure, and at debug level in
 * between. */
static void
log_outcome(const struct due_feed *d, const struct store_poll *p,
            const struct feed *f, int n_new)
{
    long long in = p->next_poll - p->now;
    int failures = d->failures + 1;

    if (p->disable) {
        log_warn("feed disabled feed=%lld url=%s status=%d reason=\"%s\"",
                 d->id, d->url, p->status, p->disable);
    } else if (p->error) {
        enum log_level lv = (failures & (failures - 1)) == 0 ? LOG_WARN
                                                            : LOG_DEBUG;
        log_msg(lv, "poll failed feed=%lld url=%s status=%d failures=%d "
                "retry_in=%llds err=\"%s\"", d->id, d->url, p->status,
                failures, in, p->error);
    } else if (p->unchanged) {
        log_debug("poll unchanged feed=%lld url=%s status=%d next_in=%llds",
                  d->id, d->url, p->status, in);
    } else {
        log_info("poll ok feed=%lld url=%s status=%d items=%zu new=%d "
                 "next_in=%llds", d->id, d->url, p->status,
                 f ? f->n_items : 0, n_new, in);
    }
}

/* The body differs from the last one (or was streamed before it could
 * be compared): it must be parsed. */
static int
needs_parse(const struct job *j)
{
    const char *last = j->d->body_hash;
    return j->parser != NULL || last == NULL || strcmp(j->hex, last) != 0;
}

/* The request is over (and its body parsed when it had to be): decide
 * what it means, schedule the next poll and store it all. 'j' is NULL
 * when the request could not even start. Loop thread only. */
static void
record(struct round *r, struct job *j, const struct due_feed *d,
       const char *start_error)
{
    const struct poller_cfg *cfg = r->cfg;
    const struct outcome *o = j ? &j->out : NULL;
    long long now = (long long)time(NULL);
    struct store_poll p = { .now = now, .status = o ? o->status : 0 };
    struct feed *f = NULL;
    char err[600];
    long long retry = -1;
    int changed = 0, n_new = 0, rc;

    if (o == NULL) {
        snprintf(err, sizeof err, "fetch: %s", start_error);
        p.error = err;
    } else if (o->rc != CUR_OK) {
        snprintf(err, sizeof err, "fetch: %s", o->error);
        p.error = err;
    } else if (o->status == 304) {
        p.unchanged = 1;
    } else if (o->status >= 200 && o->status <= 299) {
        int same = d->body_hash && strcmp(j->hex, d->body_hash) == 0;
        if (!needs_parse(j)) {
            p.unchanged = 1;
        } else if (j->parse_rc != CUR_OK) {
            snprintf(err, sizeof err, "parse: %s", j->why);
            p.error = err;
        } else if (same) {
            /* Streamed before it could be compared: drop the result. */
            p.unchanged = 1;
        } else {
            f = j->f;
            changed = 1;
            p.body_hash = j->hex;
            p.title = f->title;
            p.site_url = f->link;
            p.has_hints = 1;
            p.ttl = f->ttl > 0 ? (long)f->ttl * 60 : 0;
            p.skip_hours = f->skip_hours;
            p.skip_days = f->skip_days;
            p.update_period = schedule_sy_period(j->head.data, j->head.len);
        }
    } else if (o->status == 410) {
        snprintf(err, sizeof err, "HTTP 410 Gone: the server says the feed "
                 "was removed; not polled again until 'curator poll --feed "
                 "%lld' succeeds", d->id);
        p.error = p.disable = err;
    } else {
        if ((o->status == 429 || o->status == 503) && o->retry_after >= 0)
            retry = schedule_retry_after(o->retry_after);
        if (retry >= 0)
            snprintf(err, sizeof err, "HTTP %d; Retry-After %llds",
                     o->status, o->retry_after);
        else
            snprintf(err, sizeof err, "HTTP %d", o->status);
        p.error = err;
    }

    if (p.error == NULL) {
        size_t n_dates;
        long long *dates = item_dates(f, &n_dates);
        struct schedule_obs obs = {
            .prev_interval = d->interval, .changed = changed,
            .dates = dates, .n_dates = n_dates,
            .ttl = p.has_hints ? p.ttl : d->ttl,
            .period = p.has_hints ? p.update_period : d->update_period,
            .max_age = o->max_age,
        };
        p.etag = o->etag;
        p.last_modified = o->last_modified;
        p.interval = schedule_interval(&cfg->sched, &obs, now);
        p.next_poll = schedule_next(p.interval,
                                    p.has_hints ? p.skip_hours
                                                : d->skip_hours,
                                    p.has_hints ? p.skip_days : d->skip_days,
                                    now, schedule_random());
        free(dates);
    } else {
        p.next_poll = now + (retry >= 0 ? retry
                             : schedule_backoff(&cfg->sched, d->failures + 1,
                                                schedule_random()));
    }

    rc = batch_begin(r);
    if (rc == CUR_OK)
        rc = store_feed_polled(r->st, d->id, &p, f, &n_new);
    if (rc == CUR_OK && p.error == NULL && o->moved_to
        && strcmp(o->moved_to, d->url) != 0) {
        /* 301/308, and the new URL answered: from now on, poll that. */
        int mrc = store_feed_move(r->st, d->id, o->moved_to);
        if (mrc == CUR_OK)
            log_info("feed moved feed=%lld from=%s to=%s", d->id, d->url,
                     o->moved_to);
        else if (mrc == CUR_EEXIST)
            log_warn("feed moved to the URL of another feed feed=%lld "
                     "from=%s to=%s; URL kept", d->id, d->url,
                     o->moved_to);
        else if (mrc != CUR_ENOTFOUND)
            rc = mrc;
    }
    if (rc == CUR_OK) {
        log_outcome(d, &p, f, n_new);
        metrics_poll(p.status, o ? o->bytes : 0, n_new);
    }
    /* A feed removed meanwhile is not a store failure. */
    if (rc != CUR_OK && rc != CUR_ENOTFOUND && r->rc == CUR_OK)
        r->rc = rc;
    r->batch_n++;
    r->stats->polled++;
    r->stats->new_items += rc == CUR_OK ? n_new : 0;
    if (p.error)
        r->stats->failed++;
    else if (p.unchanged)
        r->stats->unchanged++;
    batch_end(r, 0);
}

/* ---- the round ---- */

/* A worker: parse and sanitise the jobs handed over, until told to
 * quit. It touches nothing but its job (the store is the loop's). */
static void *
worker(void *arg)
{
    struct round *r = arg;

    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->waiting == NULL && !r->quit)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->quit)
            break;
        struct job *j = r->waiting;
        r->waiting = j->qnext;
        if (r->waiting == NULL)
            r->wait_tail = NULL;
        pthread_mutex_unlock(&r->mu);
        j->parse_rc = parse_body(j, &j->f, j->why, sizeof j->why);
        pthread_mutex_lock(&r->mu);
        j->qnext = r->done;
        r->done = j;
        fetch_wakeup(r->f);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Record the jobs the workers have parsed. */
static void
drain(struct round *r)
{
    pthread_mutex_lock(&r->mu);
    struct job *j = r->done;
    r->done = NULL;
    pthread_mutex_unlock(&r->mu);
    while (j) {
        struct job *next = j->qnext;
        r->parsing--;
        record(r, j, j->d, NULL);
        job_free(j);
        j = next;
    }
}

/* What the transfer came to, copied: it is freed after on_done. */
static int
keep_outcome(struct job *j, const struct fetch_result *res)
{
    struct outcome *o = &j->out;

    o->rc = res->rc;
    o->status = res->status;
    o->bytes = (long long)res->body_len;
    o->retry_after = res->retry_after;
    o->max_age = res->max_age;
    snprintf(o->error, sizeof o->error, "%s%s%s", res->error,
             j->stop_msg[0] ? ": " : "", j->stop_msg);
    o->etag = dup_or_null(res->etag);
    o->last_modified = dup_or_null(res->last_modified);
    o->moved_to = dup_or_null(res->moved_to);
    if ((res->etag && o->etag == NULL)
        || (res->last_modified && o->last_modified == NULL)
        || (res->moved_to && o->moved_to == NULL)) {
        o->rc = CUR_ENOMEM;
        snprintf(o->error, sizeof o->error, "out of memory");
        return CUR_ENOMEM;
    }
    return CUR_OK;
}

static void
on_done(void *ctx, const struct fetch_result *res)
{
    struct job *j = ctx;
    struct round *r = j->r;

    r->hosts[j->host].inflight--;
    r->stats->active--;
    if (j->prev)
        j->prev->next = j->next;
    else
        r->live = j->next;
    if (j->next)
        j->next->prev = j->prev;
    if (keep_outcome(j, res) == CUR_OK && res->status >= 200
        && res->status <= 299 && res->rc == CUR_OK) {
        unsigned char h[POLLER_HASH_BYTES];
        crypto_generichash_final(&j->hash, h, sizeof h);
        sodium_bin2hex(j->hex, sizeof j->hex, h, sizeof h);
        if (needs_parse(j)) {
            if (keep_head(j, res) != CUR_OK) {
                j->parse_rc = CUR_ENOMEM;
                snprintf(j->why, sizeof j->why, "out of memory");
            } else if (r->n_workers > 0) {
                pthread_mutex_lock(&r->mu);
                if (r->wait_tail)
                    r->wait_tail->qnext = j;
                else
                    r->waiting = j;
                r->wait_tail = j;
                pthread_cond_signal(&r->cv);
                pthread_mutex_unlock(&r->mu);
                r->parsing++;
                return;
            } else {
                j->parse_rc = parse_body(j, &j->f, j->why, sizeof j->why);
            }
        }
    }
    record(r, j, j->d, NULL);
    job_free(j);
}

static void
start(struct round *r, size_t host, const struct due_feed *d)
{
    struct job *j = calloc(1, sizeof *j);
    int rc = CUR_ENOMEM;

    if (j != NULL) {
        j->r = r;
        j->d = d;
        j->host = host;
        buf_init(&j->hold, 0);
        buf_init(&j->head, 0);
        crypto_generichash_init(&j->hash, NULL, 0, POLLER_HASH_BYTES);
        struct fetch_req rq = {
            .url = d->url, .etag = d->etag,
            .last_modified = d->last_modified,
            .allow_file = !d->origin_web,
            .refuse_private = d->origin_web && r->cfg->refuse_private,
            .on_body = on_body, .on_done = on_done, .ctx = j,
        };
        rc = fetch_add(r->f, &rq);
    }
    if (rc != CUR_OK) {
        free(j);
        record(r, NULL, d, rc == CUR_EINVAL
               ? (d->origin_web ? "only http and https URLs may be polled"
                  : "only http, https and file URLs may be polled")
               : "out of memory");
        return;
    }
    r->hosts[host].inflight++;
    r->stats->active++;
    j->next = r->live;
    if (r->live)
        r->live->prev = j;
    r->live = j;
}

/* Start transfers while there is room, taking the hosts in turn, each
 * below its own limit. */
static void
fill(struct round *r)
{
    /* Bodies waiting for a worker count against the budget, and parsed
     * feeds waiting to be stored against the queue: when parsing or
     * storing lags, fetching waits for it, and memory stays flat. */
    int queue = POLLER_PARSE_QUEUE * (r->n_workers > 0 ? r->n_workers : 1);
    while (r->rc == CUR_OK && r->n_open > 0 && r->held < POLLER_HOLD_BUDGET
           && r->parsing < queue
           && (unsigned)fetch_active(r->f) < r->cfg->connections) {
        size_t k = 0, tried;
        for (tried = 0; tried < r->n_open; tried++) {
            k = r->turn++ % r->n_open;
            if (r->hosts[r->open[k]].inflight < r->cfg->per_host)
                break;
        }
        if (tried == r->n_open)
            return;                 /* every host is at its limit */
        size_t hi = r->open[k];
        struct host *h = &r->hosts[hi];
        const struct due_feed *d = &r->due.v[r->order[h->next++]];
        if (h->next == h->end)
            r->open[k] = r->open[--r->n_open];
        start(r, hi, d);
    }
}

struct host_key {
    const char *host;
    size_t index;
};

static int
by_host(const void *a, const void *b)
{
    const struct host_key *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Group the feeds by host, keeping the due order within each. */
static int
group_hosts(struct round *r)
{
    size_t n = r->due.n, n_hosts = 0;
    struct host_key *keys = malloc(n * sizeof *keys);

    r->order = malloc(n * sizeof *r->order);
    r->hosts = calloc(n, sizeof *r->hosts);
    r->open = malloc(n * sizeof *r->open);
    if (keys == NULL || r->order == NULL || r->hosts == NULL
        || r->open == NULL) {
        free(keys);
        return CUR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (struct host_key) { r->due.v[i].host, i };
    qsort(keys, n, sizeof *keys, by_host);
    for (size_t i = 0; i < n; i++)
        r->order[i] = keys[i].index;
    free(keys);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(r->due.v[r->order[i]].host,
                             r->due.v[r->order[i - 1]].host) != 0) {
            r->hosts[n_hosts].next = i;
            r->open[n_hosts] = n_hosts;
            n_hosts++;
        }
        r->hosts[n_hosts - 1].end = i + 1;
    }
    r->n_open = n_hosts;
    return CUR_OK;
}

static int
select_feeds(struct round *r, enum poller_select which, long long feed_id,
             long long now)
{
    int rc;
    switch (which) {
    case POLLER_DUE:
        rc = store_feed_due(r->st, now, collect_due, &r->due);
        break;
    case POLLER_ALL:
        rc = store_feed_due(r->st, LLONG_MAX, collect_due, &r->due);
        break;
    case POLLER_ONE:
    default:
        rc = store_feed_get(r->st, feed_id, collect_due, &r->due);
        break;
    }
    return r->due.oom ? CUR_ENOMEM : rc;
}

/* As many workers as configured, or one per CPU; none when there is one
 * CPU or a thread cannot start (the loop parses then). */
static void
start_workers(struct round *r)
{
    long n = r->cfg->workers;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 1)
        return;
    if (n > POLLER_WORKERS_MAX)
        n = POLLER_WORKERS_MAX;
    /* The parser sets itself up on first use (libxml2, its SAX table):
     * do that here, before threads race to it. */
    struct feed *f = NULL;
    parse_feed("<rss version=\"2.0\"><channel/></rss>", 36, NULL, &f, NULL,
               0);
    feed_free(f);
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&r->cv, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        return;
    }
    while (r->n_workers < n
           && pthread_create(&r->workers[r->n_workers], NULL, worker, r)
              == 0)
        r->n_workers++;
    if (r->n_workers == 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
    }
}

static void
stop_workers(struct round *r)
{
    if (r->n_workers == 0)
        return;
    pthread_mutex_lock(&r->mu);
    r->quit = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    for (int i = 0; i < r->n_workers; i++)
        pthread_join(r->workers[i], NULL);
    r->n_workers = 0;
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

int
poller_run(struct store *st, const struct poller_cfg *cfg,
           enum poller_select which, long long feed_id, long long now,
           volatile sig_atomic_t *stop, poller_progress_cb progress,
           void *progress_ctx, struct poller_stats *stats)
{
    struct round r = { .st = st, .cfg = cfg, .stats = stats };
    struct fetch_cfg fc = {
        .timeout = cfg->timeout, .connect_timeout = cfg->connect_timeout,
        .max_body = cfg->max_body,
        .max_connections = (long)cfg->connections,
        .max_host_connections = (long)cfg->per_host,
    };
    double last_progress = 0;
    int rc;

    memset(stats, 0, sizeof *stats);
    r.started = mono_now();
    rc = select_feeds(&r, which, feed_id, now);
    if (rc == CUR_OK && r.due.n > 0)
        rc = group_hosts(&r);
    if (rc == CUR_OK && r.due.n > 0)
        rc = fetch_new(&fc, &r.f);
    if (rc == CUR_OK && r.due.n > 1)
        start_workers(&r);
    stats->total = (int)r.due.n;
    while (rc == CUR_OK && r.f) {
        fill(&r);
        if ((fetch_active(r.f) == 0 && r.parsing == 0) || (stop && *stop))
            break;
        if (fetch_run(r.f, 100) != CUR_OK) {
            log_err("poll round failed: the transfer loop broke");
            rc = CUR_EFETCH;
        }
        drain(&r);
        batch_end(&r, 0);
        stats->seconds = mono_now() - r.started;
        if (progress && stats->seconds - last_progress
                        >= POLLER_PROGRESS_SECONDS) {
            last_progress = stats->seconds;
            progress(progress_ctx, stats);
        }
    }
    /* Stopped early: the transfers still running and the parses not
     * done are dropped, and their feeds stay due. */
    stop_workers(&r);
    fetch_free(r.f);
    while (r.live) {
        struct job *j = r.live;
        r.live = j->next;
        job_free(j);
    }
    for (int q = 0; q < 2; q++) {
        struct job *j = q ? r.done : r.waiting;
        while (j) {
            struct job *next = j->qnext;
            job_free(j);
            j = next;
        }
    }
    stats->active = 0;
    batch_end(&r, 1);
    stats->seconds = mono_now() - r.started;
    if (progress)
        progress(progress_ctx, stats);
    if (rc == CUR_OK)
        rc = r.rc;
    due_list_free(&r.due);
    free(r.order);
    free(r.hosts);
    free(r.open);
    return rc;
}

int
poller_run_due(struct store *st, const struct poller_cfg *cfg, long long now,
         volatile sig_atomic_t *stop, struct poller_stats *stats)
{
    return poller_run(st, cfg, POLLER_DUE, 0, now, stop, NULL, NULL, stats);
}
