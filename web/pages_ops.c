/* Operations: /healthz and the admins' pages for running Curator. The
 * health check answers 200 ("ok") when the store can be read and the
 * daemon's loop has passed recently (its heartbeat, kept on a monotonic
 * clock in the web_status the daemon hands to web_start()), 503 with the
 * reason otherwise; with no daemon in the process the poller is "not
 * applicable". Asked for JSON (Accept), it details every part.
 *
 * Feeds: each feed's health (status, last success, last error,
 * consecutive failures, next poll, items of the last week), the troubled
 * first, with retry (due now, failures kept) and disable or enable.
 * Outbox: the messages waiting, retrying, failed and sent, the failed and
 * retrying with the server's reply, and retry one or every failed.
 * Filters: what the daemon loaded, with versions, weights and whether a
 * filter was suspended for being slow.
 */
#include "date.h"
#include "err.h"
#include "html.h"
#include "log.h"
#include "web.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPS_FEEDS_PAGE 200      /* feeds per page */
#define OPS_PROBLEMS 200        /* outbox messages listed */
#define OPS_ERROR_SHOWN 300     /* bytes of an error message shown */

/* The daemon's side. */

struct web_status {
    pthread_mutex_t lock;
    long long beat_ms;          /* CLOCK_MONOTONIC */
    long stale_after;           /* seconds */
    struct web_filter_info *filters;    /* one block with the strings */
    size_t n_filters;
    long long filters_at;       /* wall clock of the snapshot */
    int stall_logged;           /* once per stall, not per request */
};

static long long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct web_status *
web_status_new(long stale_after)
{
    struct web_status *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    /* Alive from the start: the first pass comes within a tick. */
    s->beat_ms = mono_ms();
    s->stale_after = stale_after;
    return s;
}

void
web_status_free(struct web_status *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->filters);
    free(s);
}

void
web_status_set_stale(struct web_status *s, long stale_after)
{
    pthread_mutex_lock(&s->lock);
    s->stale_after = stale_after;
    pthread_mutex_unlock(&s->lock);
}

void
web_status_beat(struct web_status *s)
{
    long long now = mono_ms();
    pthread_mutex_lock(&s->lock);
    s->beat_ms = now;
    pthread_mutex_unlock(&s->lock);
}

static const char *
copy_str(char **at, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *out = *at;
    memcpy(out, s ? s : "", n);
    *at += n;
    return out;
}

int
web_status_set_filters(struct web_status *s, const struct web_filter_info *f,
                       size_t n)
{
    size_t len = n * sizeof *f;
    struct web_filter_info *v;
    char *at;

    for (size_t i = 0; i < n; i++)
        len += strlen(f[i].name ? f[i].name : "")
               + strlen(f[i].path ? f[i].path : "") + 2;
    if ((v = malloc(len ? len : 1)) == NULL)
        return CUR_ENOMEM;
    at = (char *)(v + n);
    for (size_t i = 0; i < n; i++) {
        v[i] = f[i];
        v[i].name = copy_str(&at, f[i].name);
        v[i].path = copy_str(&at, f[i].path);
    }
    pthread_mutex_lock(&s->lock);
    free(s->filters);
    s->filters = v;
    s->n_filters = n;
    s->filters_at = (long long)time(NULL);
    pthread_mutex_unlock(&s->lock);
    return CUR_OK;
}

/* /healthz */

enum MHD_Result
page_health(struct req *r)
{
    struct web_status *s = r->w->status;
    long long n, age = 0;
    long limit = 0;
    int store_ok = store_item_count(r->st, &n) == CUR_OK, poller_ok = 1;
    int report = 0;
    struct buf b;

    if (s != NULL) {
        pthread_mutex_lock(&s->lock);
        age = (mono_ms() - s->beat_ms) / 1000;
        limit = s->stale_after;
        poller_ok = age <= limit;
        report = !poller_ok && !s->stall_logged;
        s->stall_logged = !poller_ok;
        pthread_mutex_unlock(&s->lock);
    }
    /* Store errors are logged by the store; a stall once. */
    if (report)
        log_warn("health poller stalled last_pass=%llds limit=%lds", age,
                 limit);
    int ok = store_ok && poller_ok, rc;
    const char *poller = s == NULL ? "not applicable"
                         : poller_ok ? "alive" : "stalled";
    const char *accept = web_req_header(r, "Accept");
    buf_init(&b, 4096);
    if (accept != NULL && strstr(accept, "application/json") != NULL) {
        /* Every part, for monitors that read them; no string here comes
         * from outside, so none needs escaping. */
        rc = buf_printf(&b, "{\"status\":\"%s\",\"store\":\"%s\","
                        "\"poller\":\"%s\"", ok ? "ok" : "unhealthy",
                        store_ok ? "ok" : "unreachable", poller);
        if (s != NULL)
            rc |= buf_printf(&b, ",\"poller_last_pass_seconds\":%lld,"
                             "\"poller_limit_seconds\":%ld", age, limit);
        rc |= buf_puts(&b, "}\n");
        if (rc != CUR_OK) {
            buf_free(&b);
            return MHD_NO;
        }
        return web_send(r, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                        "application/json", &b);
    }
    /* Text: "ok" alone when healthy (what monitors have always read),
     * else each part with the reason. */
    if (ok) {
        buf_free(&b);
        static const char text[] = "ok\n";
        return web_send_static(r, MHD_HTTP_OK, "text/plain; charset=utf-8",
                               text, sizeof text - 1, "no-store");
    }
    rc = buf_puts(&b, "unhealthy\n");
    rc |= buf_puts(&b, store_ok ? "store: ok\n" : "store: unreachable\n");
    if (s == NULL)
        rc |= buf_puts(&b, "poller: not applicable (no daemon in this "
                       "process)\n");
    else
        rc |= buf_printf(&b, "poller: %s (last pass %llds ago, limit %lds)"
                         "\n", poller, age, limit);
    if (rc != CUR_OK) {
        buf_free(&b);
        return MHD_NO;
    }
    return web_send(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                    "text/plain; charset=utf-8", &b);
}

/* Pieces of the admins' pages. */

int
ops_admin_nav(struct buf *b, const char *current)
{
    static const struct html_link links[] = {
        { "users", "Users and invitations", "/admin" },
        { "feeds", "Feeds", "/admin/feeds" },
        { "outbox", "Outbox", "/admin/outbox" },
        { "filters", "Filters", "/admin/filters" },
        { "teams", "Teams", "/admin/teams" },
    };
    return html_subnav(b, "sub", "Admin", " ", links,
                       sizeof links / sizeof links[0], current);
}

/* "3 min ago", "in 2 h", "never", in a <time> with the exact time. */
static int
rel_time(struct buf *b, long long t, long long now)
{
    char when[40];
    long long d = now - t, a;
    const char *unit;
    int rc;

    if (t <= 0)
        return buf_puts(b, "never");
    a = d < 0 ? -d : d;
    date_format(t, when, sizeof when);
    rc = buf_printf(b, "<time datetime=\"%s\" title=\"%s\">", when, when);
    if (a < 60) {
        rc |= buf_puts(b, d < 0 ? "in under a minute" : "just now");
        return rc | buf_puts(b, "</time>");
    }
    if (a < 3600) {
        a /= 60;
        unit = "min";
    } else if (a < 2 * 86400) {
        a /= 3600;
        unit = "h";
    } else {
        a /= 86400;
        unit = "d";
    }
    rc |= buf_printf(b, d < 0 ? "in %lld %s" : "%lld %s ago", a, unit);
    rc |= buf_puts(b, "</time>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* The "done" codes of this file's redirects. */
static const struct html_note notices[] = {
    { "retry", "The feed is due now: it is polled at the next tick." },
    { "disable", "The feed is disabled." },
    { "enable", "The feed is enabled and due now." },
    { "resend", "The message is queued again." },
    { "resend-all", "The failed messages are queued again." },
};
#define N_NOTICES (sizeof notices / sizeof notices[0])

/* Feeds. */

struct feeds_page {
    struct req *r;
    struct buf *b;
    int n;
};

static int
feed_row(void *ctx, const struct store_feed_health *h)
{
    struct feeds_page *p = ctx;
    struct buf *b = p->b;
    long long now = p->r->now;
    int rc = buf_printf(b, "<tr id=\"feed-%lld\"><td>", h->id);

    rc |= html_escape_cut(b, h->title && h->title[0] ? h->title : h->url,
                          120);
    rc |= buf_puts(b, "<br><span class=\"url\">");
    rc |= html_escape_cut(b, h->url, 200);
    rc |= buf_puts(b, "</span></td><td>");
    if (h->disabled_at > 0) {
        rc |= buf_puts(b, "<strong>Disabled</strong> ");
        rc |= rel_time(b, h->disabled_at, now);
        if (h->disabled_reason && h->disabled_reason[0]) {
            rc |= buf_puts(b, ": ");
            rc |= html_escape_cut(b, h->disabled_reason, OPS_ERROR_SHOWN);
        }
    } else if (h->failures > 0) {
        rc |= buf_puts(b, "<strong>Failing</strong>");
    } else if (h->last_poll == 0) {
        rc |= buf_puts(b, "Not polled yet");
    } else {
        rc |= buf_puts(b, "OK");
    }
    if (h->last_status > 0)
        rc |= buf_printf(b, " (HTTP %d)", h->last_status);
    rc |= buf_puts(b, "</td><td>");
    rc |= rel_time(b, h->last_success, now);
    rc |= buf_puts(b, "</td><td>");
    if (h->last_error && h->last_error[0]) {
        rc |= html_escape_cut(b, h->last_error, OPS_ERROR_SHOWN);
        if (h->last_failure > 0) {
            rc |= buf_puts(b, " (");
            rc |= rel_time(b, h->last_failure, now);
            rc |= buf_puts(b, ")");
        }
    } else {
        rc |= buf_puts(b, "none");
    }
    rc |= buf_printf(b, "</td><td class=\"num\">%d</td><td>", h->failures);
    if (h->disabled_at > 0)
        rc |= buf_puts(b, "not polled");
    else if (h->next_poll <= now)
        rc |= buf_puts(b, "due");
    else
        rc |= rel_time(b, h->next_poll, now);
    rc |= buf_printf(b, "</td><td class=\"num\">%lld</td><td>"
                     "<form class=\"row\" method=\"post\" "
                     "action=\"/admin/feeds\">", h->items_week);
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"feed\" "
                     "value=\"%lld\">", h->id);
    if (h->disabled_at > 0)
        rc |= buf_puts(b, "<button type=\"submit\" name=\"act\" "
                       "value=\"enable\">Enable</button>");
    else
        rc |= buf_puts(b, "<button type=\"submit\" name=\"act\" "
                       "value=\"retry\">Retry now</button> <button "
                       "type=\"submit\" name=\"act\" value=\"disable\" "
                       "class=\"secondary\">Disable</button>");
    rc |= buf_puts(b, "</form></td></tr>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
feeds_render(struct req *r, unsigned status, long long page,
             const char *error)
{
    struct buf b;
    struct feeds_page p = { r, &b, 0 };
    struct store_feed_totals t;
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = store_ops_feed_totals(r->st, &t);
    if (rc == CUR_OK)
        rc = html_open(&b, r, "Feed health", "admin");
    if (rc == CUR_OK) {
        rc |= buf_puts(&b, "<h1>Feed health</h1>");
        rc |= ops_admin_nav(&b, "feeds");
        rc |= html_notice_of(&b, r, notices, N_NOTICES);
        rc |= html_alert(&b, error);
        rc |= buf_printf(&b, "<p class=\"lead\">%lld feed%s: %lld failing, "
                         "%lld disabled. The troubled come first. Retry "
                         "makes a feed due at the next tick and keeps its "
                         "failure count.</p>", t.feeds,
                         t.feeds == 1 ? "" : "s", t.failing, t.disabled);
        rc |= buf_puts(&b, "<table class=\"feeds\"><thead><tr><th>Feed</th>"
                       "<th>Status</th><th>Last success</th><th>Last "
                       "error</th><th>Failures in a row</th><th>Next poll"
                       "</th><th>Items per week</th><th>Actions</th></tr>"
                       "</thead><tbody>");
    }
    if (rc == CUR_OK)
        rc = store_ops_feeds(r->st, r->now, OPS_FEEDS_PAGE,
                             (page - 1) * OPS_FEEDS_PAGE, feed_row, &p);
    if (rc == CUR_OK) {
        if (p.n == 0)
            rc |= buf_puts(&b, "<tr><td colspan=\"8\" class=\"empty\">No "
                           "feeds here.</td></tr>");
        rc |= buf_puts(&b, "</tbody></table><p>");
        if (page > 1)
            rc |= buf_printf(&b, "<a href=\"/admin/feeds?page=%lld\">"
                             "Previous</a> ", page - 1);
        if ((page - 1) * OPS_FEEDS_PAGE + p.n < t.feeds)
            rc |= buf_printf(&b, "<a href=\"/admin/feeds?page=%lld\">Next"
                             "</a>", page + 1);
        rc |= buf_puts(&b, "</p>");
    }
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_admin_feeds(struct req *r)
{
    const char *act, *pg = web_query(r, "page");
    long long page = 1, id;
    int rc;

    if (pg != NULL && ((page = web_id(pg)) < 1 || page > 1000000))
        return feeds_render(r, MHD_HTTP_BAD_REQUEST, 1,
                            "The page number is a whole number from 1.");
    if (!r->post)
        return feeds_render(r, MHD_HTTP_OK, page, NULL);
    act = form_get(&r->form, "act");
    id = web_id(form_get(&r->form, "feed"));
    if (id <= 0)
        return feeds_render(r, MHD_HTTP_BAD_REQUEST, 1,
                            "That action names no feed.");
    if (act != NULL && strcmp(act, "retry") == 0) {
        /* No refresh gap: an admin's retry is never held back; a feed
         * due already stays so (CUR_EEXIST). */
        rc = store_feed_refresh(r->st, id, r->now, 0, NULL);
        if (rc == CUR_EEXIST)
            rc = CUR_OK;
        if (rc == CUR_EINVAL)
            return feeds_render(r, MHD_HTTP_BAD_REQUEST, 1,
                                "That feed is disabled: enable it to poll "
                                "it again.");
    } else if (act != NULL && strcmp(act, "disable") == 0) {
        char why[128];
        snprintf(why, sizeof why, "disabled by admin %s", r->sess.name);
        rc = store_ops_feed_disable(r->st, id, r->now, why);
    } else if (act != NULL && strcmp(act, "enable") == 0) {
        rc = store_ops_feed_enable(r->st, id, r->now);
    } else {
        return feeds_render(r, MHD_HTTP_BAD_REQUEST, 1,
                            "That action is unknown.");
    }
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such feed",
                         "That feed does not exist (any more).");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "That could not be saved; try again.");
    log_info("web feed %s feed=%lld by=%lld", act, id, r->sess.user_id);
    char where[64];
    snprintf(where, sizeof where, "/admin/feeds?done=%s#feed-%lld", act, id);
    return web_redirect(r, where);
}

/* Outbox. */

struct outbox_page {
    struct req *r;
    struct buf *b;
    int n;
};

static int
problem_row(void *ctx, const struct store_outbox_problem *m)
{
    struct outbox_page *p = ctx;
    struct buf *b = p->b;
    int failed = strcmp(m->status, "failed") == 0;
    int rc = buf_printf(b, "<tr id=\"msg-%lld\"><td>", m->id);

    rc |= html_escape(b, m->user);
    rc |= buf_puts(b, "<br><span class=\"url\">");
    rc |= html_escape(b, m->rcpt);
    rc |= buf_puts(b, "</span></td><td>");
    rc |= html_escape(b, m->period_key);
    rc |= buf_printf(b, "</td><td>%s</td><td class=\"num\">%d</td><td>",
                     failed ? "<strong>Failed</strong>" : "Retrying",
                     m->attempts);
    if (m->last_error && m->last_error[0])
        rc |= html_escape_cut(b, m->last_error, OPS_ERROR_SHOWN);
    else
        rc |= buf_puts(b, "no reply recorded");
    rc |= buf_puts(b, "</td><td>");
    rc |= rel_time(b, m->created, p->r->now);
    rc |= buf_puts(b, "</td><td>");
    if (failed)
        rc |= buf_puts(b, "given up");
    else if (m->next_attempt <= p->r->now)
        rc |= buf_puts(b, "due");
    else
        rc |= rel_time(b, m->next_attempt, p->r->now);
    rc |= buf_puts(b, "</td><td><form class=\"row\" method=\"post\" "
                   "action=\"/admin/outbox\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
                     "<button type=\"submit\" name=\"act\" value=\"retry\">"
                     "Retry now</button></form></td></tr>\n", m->id);
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
outbox_render(struct req *r, unsigned status, const char *error)
{
    struct buf b;
    struct outbox_page p = { r, &b, 0 };
    struct store_outbox_totals t;
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = store_ops_outbox_totals(r->st, &t);
    if (rc == CUR_OK)
        rc = html_open(&b, r, "Outbox", "admin");
    if (rc == CUR_OK) {
        rc |= buf_puts(&b, "<h1>Outbox</h1>");
        rc |= ops_admin_nav(&b, "outbox");
        rc |= html_notice_of(&b, r, notices, N_NOTICES);
        rc |= html_alert(&b, error);
        rc |= buf_printf(&b, "<dl class=\"counts\"><dt>Queued</dt><dd "
                         "id=\"n-queued\">%lld</dd><dt>Retrying after a "
                         "failed attempt</dt><dd id=\"n-retrying\">%lld</dd>"
                         "<dt>Failed</dt><dd id=\"n-failed\">%lld</dd><dt>"
                         "Sent</dt><dd id=\"n-sent\">%lld</dd></dl>",
                         t.queued, t.retrying, t.failed, t.sent);
        if (t.failed > 0) {
            rc |= buf_puts(&b, "<form method=\"post\" "
                           "action=\"/admin/outbox\">");
            rc |= html_csrf(&b, r);
            rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" "
                           "value=\"retry-all\">Retry every failed message"
                           "</button></form>");
        }
        rc |= buf_puts(&b, "<h2>Failed and retrying</h2><p>A retry sends "
                       "the same message again, with the same "
                       "Message-ID.</p><table class=\"outbox\"><thead><tr>"
                       "<th>User</th><th>Period</th><th>Status</th><th>"
                       "Attempts</th><th>Reason</th><th>Queued</th><th>Next "
                       "attempt</th><th>Action</th></tr></thead><tbody>");
    }
    if (rc == CUR_OK)
        rc = store_ops_outbox_problems(r->st, OPS_PROBLEMS, problem_row,
                                       &p);
    if (rc == CUR_OK) {
        if (p.n == 0)
            rc |= buf_puts(&b, "<tr><td colspan=\"8\" class=\"empty\">"
                           "Nothing failed.</td></tr>");
        rc |= buf_puts(&b, "</tbody></table>");
    }
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_admin_outbox(struct req *r)
{
    const char *act = form_get(&r->form, "act");
    long long id, n = 0;
    int rc;

    if (!r->post)
        return outbox_render(r, MHD_HTTP_OK, NULL);
    if (act != NULL && strcmp(act, "retry-all") == 0) {
        rc = store_ops_outbox_retry_failed(r->st, r->now, &n);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved; try again.");
        log_info("web outbox retry all messages=%lld by=%lld", n,
                 r->sess.user_id);
        return web_redirect(r, "/admin/outbox?done=resend-all");
    }
    if (act == NULL || strcmp(act, "retry") != 0)
        return outbox_render(r, MHD_HTTP_BAD_REQUEST,
                             "That action is unknown.");
    if ((id = web_id(form_get(&r->form, "id"))) <= 0)
        return outbox_render(r, MHD_HTTP_BAD_REQUEST,
                             "That action names no message.");
    rc = store_outbox_retry(r->st, id, r->now);
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such message",
                         "That message does not exist or was sent.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "That could not be saved; try again.");
    log_info("web outbox retry outbox=%lld by=%lld", id, r->sess.user_id);
    return web_redirect(r, "/admin/outbox?done=resend");
}

/* Filters. */

enum MHD_Result
page_admin_filters(struct req *r)
{
    struct web_status *s = r->w->status;
    struct buf b;
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Filters", "admin");
    rc |= buf_puts(&b, "<h1>Filters</h1>");
    rc |= ops_admin_nav(&b, "filters");
    if (s == NULL) {
        rc |= buf_puts(&b, "<p class=\"empty\">No daemon runs in this "
                       "process: filters are loaded by curatord, and this "
                       "web server runs without it.</p>");
        return html_send(r, MHD_HTTP_OK, &b, rc);
    }
    rc |= buf_puts(&b, "<p class=\"lead\">The filter chain curatord "
                   "loaded, in order (reloaded on SIGHUP). A filter too "
                   "slow too often is suspended until the next reload."
                   "</p><table class=\"filters\"><thead><tr><th>Name</th>"
                   "<th>File</th><th>ABI version</th><th>Weight</th><th>"
                   "State</th><th>Slow calls</th></tr></thead><tbody>");
    /* Rendered under the lock: the list is small and only the daemon's
     * reload or score round waits for it. */
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_filters && rc == CUR_OK; i++) {
        const struct web_filter_info *f = &s->filters[i];
        rc |= buf_puts(&b, "<tr><td>");
        rc |= html_escape(&b, f->name);
        rc |= buf_puts(&b, "</td><td class=\"url\">");
        rc |= html_escape(&b, f->path);
        rc |= buf_printf(&b, "</td><td>%u.%u</td><td class=\"num\">",
                         f->abi_major, f->abi_minor);
        rc |= html_fixed2(&b, f->weight, 0);
        rc |= buf_printf(&b, "</td><td>%s</td><td class=\"num\">%lld</td>"
                         "</tr>\n", f->suspended ? "<strong>Suspended"
                         "</strong>" : "Active", f->slow_calls);
    }
    if (s->n_filters == 0)
        rc |= buf_puts(&b, "<tr><td colspan=\"6\" class=\"empty\">No "
                       "filters are loaded.</td></tr>");
    long long at = s->filters_at;
    pthread_mutex_unlock(&s->lock);
    rc |= buf_puts(&b, "</tbody></table>");
    if (at > 0) {
        rc |= buf_puts(&b, "<p class=\"meta\">As of ");
        rc |= rel_time(&b, at, r->now);
        rc |= buf_puts(&b, ".</p>");
    }
    return html_send(r, MHD_HTTP_OK, &b, rc);
}
