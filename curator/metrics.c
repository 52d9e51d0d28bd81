/* See metrics.h. Counters are C11 atomics: HTTP threads and the daemon's
 * loop update them without locks. */
#include "metrics.h"
#include "err.h"

#include <stdatomic.h>
#include <string.h>

enum poll_class { PC_2XX, PC_304, PC_3XX, PC_4XX, PC_5XX, PC_ERROR, PC_N };
static const char *const poll_class_name[PC_N] = {
    "2xx", "304", "3xx", "4xx", "5xx", "error",
};

/* Scoring-time histogram buckets (seconds, upper bounds). */
static const double score_bounds[] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60,
};
#define N_SCORE_BOUNDS (sizeof score_bounds / sizeof score_bounds[0])

#define MAX_ROUTES 24
#define ROUTE_LEN 32
static const int http_statuses[] = { 200, 204, 302, 303, 304, 400, 401,
                                     403, 404, 405, 409, 413, 429, 500,
                                     503 };
#define N_STATUSES (sizeof http_statuses / sizeof http_statuses[0])

static atomic_llong polls[PC_N];
static atomic_llong bytes_fetched;
static atomic_llong items_new;
static atomic_llong score_runs[N_SCORE_BOUNDS + 1];
static atomic_llong score_items;
static _Atomic double score_seconds;
static atomic_llong mail_sent, mail_failed;

static char route_names[MAX_ROUTES][ROUTE_LEN];
static atomic_int n_routes;
static atomic_llong http[MAX_ROUTES][N_STATUSES + 1];   /* last: other */

static enum poll_class
classify(int status)
{
    if (status == 0)
        return PC_ERROR;
    if (status == 304)
        return PC_304;
    if (status >= 500)
        return PC_5XX;
    if (status >= 400)
        return PC_4XX;
    if (status >= 300)
        return PC_3XX;
    return PC_2XX;
}

void
metrics_poll(int status, long long bytes, int new_items)
{
    atomic_fetch_add(&polls[classify(status)], 1);
    if (bytes > 0)
        atomic_fetch_add(&bytes_fetched, bytes);
    if (new_items > 0)
        atomic_fetch_add(&items_new, new_items);
}

void
metrics_scored(double seconds, long long items)
{
    size_t b = 0;
    while (b < N_SCORE_BOUNDS && seconds > score_bounds[b])
        b++;
    atomic_fetch_add(&score_runs[b], 1);
    atomic_fetch_add(&score_items, items);
    double old = atomic_load(&score_seconds);
    while (!atomic_compare_exchange_weak(&score_seconds, &old,
                                         old + seconds))
        ;
}

void
metrics_mail(int sent, int failed)
{
    atomic_fetch_add(&mail_sent, sent);
    atomic_fetch_add(&mail_failed, failed);
}

static int
route_ok(const char *r)
{
    size_t n = 0;
    for (; r[n]; n++)
        if (!((r[n] >= 'a' && r[n] <= 'z') || r[n] == '_'))
            return 0;
    return n > 0 && n < ROUTE_LEN;
}

/* The slot of a route, registered on first use; the table only grows, so
 * a name once written is never changed (readers see it whole). */
static int
route_slot(const char *route)
{
    static atomic_flag lock = ATOMIC_FLAG_INIT;
    int n = atomic_load(&n_routes);
    for (int i = 0; i < n; i++)
        if (strcmp(route_names[i], route) == 0)
            return i;
    while (atomic_flag_test_and_set(&lock))
        ;
    n = atomic_load(&n_routes);
    int slot = -1;
    for (int i = 0; i < n && slot < 0; i++)
        if (strcmp(route_names[i], route) == 0)
            slot = i;
    if (slot < 0 && n < MAX_ROUTES) {
        memcpy(route_names[n], route, strlen(route) + 1);
        atomic_store(&n_routes, n + 1);
        slot = n;
    }
    atomic_flag_clear(&lock);
    return slot;
}

void
metrics_http(const char *route, int status)
{
    int slot = route_slot(route && route_ok(route) ? route : "other");
    size_t s = N_STATUSES;
    if (slot < 0)
        slot = route_slot("other");
    if (slot < 0)
        return;
    for (size_t i = 0; i < N_STATUSES; i++)
        if (http_statuses[i] == status)
            s = i;
    atomic_fetch_add(&http[slot][s], 1);
}

struct feed_states {
    long long ok, failing, disabled, never;
};

static int
count_feed(void *ctx, const struct store_feed *f)
{
    struct feed_states *s = ctx;
    if (f->disabled_at)
        s->disabled++;
    else if (f->last_poll == 0)
        s->never++;
    else if (f->failures > 0)
        s->failing++;
    else
        s->ok++;
    return 0;
}

int
metrics_render(struct store *st, struct buf *out)
{
    struct feed_states fs = { 0 };
    long long queued = 0, failed = 0;
    int rc = CUR_OK;

    if (st != NULL) {
        if ((rc = store_feed_list(st, count_feed, &fs)) != CUR_OK
            || (rc = store_outbox_depth(st, &queued, &failed)) != CUR_OK)
            return rc;
    }
    rc |= buf_printf(out, "# HELP curator_feeds Feeds by polling state.\n"
                     "# TYPE curator_feeds gauge\n"
                     "curator_feeds{state=\"ok\"} %lld\n"
                     "curator_feeds{state=\"failing\"} %lld\n"
                     "curator_feeds{state=\"disabled\"} %lld\n"
                     "curator_feeds{state=\"never_polled\"} %lld\n",
                     fs.ok, fs.failing, fs.disabled, fs.never);
    rc |= buf_printf(out, "# HELP curator_polls_total Feed polls by HTTP "
                     "status class.\n# TYPE curator_polls_total counter\n");
    for (int i = 0; i < PC_N; i++)
        rc |= buf_printf(out, "curator_polls_total{status=\"%s\"} %lld\n",
                         poll_class_name[i], atomic_load(&polls[i]));
    rc |= buf_printf(out, "# HELP curator_fetched_bytes_total Bytes "
                     "fetched.\n# TYPE curator_fetched_bytes_total counter\n"
                     "curator_fetched_bytes_total %lld\n"
                     "# HELP curator_items_new_total New items stored.\n"
                     "# TYPE curator_items_new_total counter\n"
                     "curator_items_new_total %lld\n",
                     atomic_load(&bytes_fetched), atomic_load(&items_new));
    rc |= buf_printf(out, "# HELP curator_scoring_seconds Time of one "
                     "scoring run.\n# TYPE curator_scoring_seconds "
                     "histogram\n");
    long long cum = 0;
    for (size_t b = 0; b < N_SCORE_BOUNDS; b++) {
        cum += atomic_load(&score_runs[b]);
        rc |= buf_printf(out, "curator_scoring_seconds_bucket{le=\"%g\"} "
                         "%lld\n", score_bounds[b], cum);
    }
    cum += atomic_load(&score_runs[N_SCORE_BOUNDS]);
    rc |= buf_printf(out, "curator_scoring_seconds_bucket{le=\"+Inf\"} "
                     "%lld\ncurator_scoring_seconds_sum %.6f\n"
                     "curator_scoring_seconds_count %lld\n"
                     "# HELP curator_items_scored_total Items scored.\n"
                     "# TYPE curator_items_scored_total counter\n"
                     "curator_items_scored_total %lld\n", cum,
                     atomic_load(&score_seconds), cum,
                     atomic_load(&score_items));
    rc |= buf_printf(out, "# HELP curator_digests_total Digest deliveries."
                     "\n# TYPE curator_digests_total counter\n"
                     "curator_digests_total{result=\"sent\"} %lld\n"
                     "curator_digests_total{result=\"failed\"} %lld\n"
                     "# HELP curator_outbox Messages in the outbox.\n"
                     "# TYPE curator_outbox gauge\n"
                     "curator_outbox{status=\"queued\"} %lld\n"
                     "curator_outbox{status=\"failed\"} %lld\n",
                     atomic_load(&mail_sent), atomic_load(&mail_failed),
                     queued, failed);
    rc |= buf_printf(out, "# HELP curator_http_requests_total HTTP requests "
                     "by route and status.\n"
                     "# TYPE curator_http_requests_total counter\n");
    int n = atomic_load(&n_routes);
    for (int r = 0; r < n; r++)
        for (size_t s = 0; s <= N_STATUSES; s++) {
            long long v = atomic_load(&http[r][s]);
            if (v == 0)
                continue;
            if (s < N_STATUSES)
                rc |= buf_printf(out, "curator_http_requests_total{route="
                                 "\"%s\",status=\"%d\"} %lld\n",
                                 route_names[r], http_statuses[s], v);
            else
                rc |= buf_printf(out, "curator_http_requests_total{route="
                                 "\"%s\",status=\"other\"} %lld\n",
                                 route_names[r], v);
        }
    return rc ? CUR_ENOMEM : CUR_OK;
}

void
metrics_reset(void)
{
    for (int i = 0; i < PC_N; i++)
        atomic_store(&polls[i], 0);
    atomic_store(&bytes_fetched, 0);
    atomic_store(&items_new, 0);
    for (size_t b = 0; b <= N_SCORE_BOUNDS; b++)
        atomic_store(&score_runs[b], 0);
    atomic_store(&score_items, 0);
    atomic_store(&score_seconds, 0.0);
    atomic_store(&mail_sent, 0);
    atomic_store(&mail_failed, 0);
    for (int r = 0; r < MAX_ROUTES; r++)
        for (size_t s = 0; s <= N_STATUSES; s++)
            atomic_store(&http[r][s], 0);
}
