/* The store's side of the admins' operations pages: feed health with
 * each feed's items of the last week (one grouped query for the whole
 * page), disabling or enabling a feed by hand (a retry is
 * store_feed_refresh() with no gap), and the outbox's totals, its
 * failed and retrying messages and a retry of every failed one. What is
 * shown and who may change it is the web's business. These run when an
 * admin opens a page, so statements are prepared per call.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <string.h>

#define WEEK (7 * 86400LL)

/* Prepare 'sql' or log why not. */
static sqlite3_stmt *
prepare(struct store *st, const char *sql, const char *what)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        store_db_error(st, what);
        return NULL;
    }
    return s;
}

/* Run a statement that changes rows; *changed gets how many. */
static int
change(struct store *st, sqlite3_stmt *s, const char *what,
       long long *changed)
{
    int rc = store_step_done(st, s, what);
    if (rc == CUR_OK && changed != NULL)
        *changed = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

static int
feed_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_feed_health h = {
        .id = sqlite3_column_int64(s, 0),
        .url = store_col_text(s, 1),
        .title = store_col_text(s, 2),
        .origin = store_col_text(s, 3),
        .last_poll = sqlite3_column_int64(s, 4),
        .last_success = sqlite3_column_int64(s, 5),
        .last_failure = sqlite3_column_int64(s, 6),
        .last_status = sqlite3_column_int(s, 7),
        .failures = sqlite3_column_int(s, 8),
        .last_error = store_col_text(s, 9),
        .next_poll = sqlite3_column_int64(s, 10),
        .disabled_at = sqlite3_column_int64(s, 11),
        .disabled_reason = store_col_text(s, 12),
        .items_week = sqlite3_column_int64(s, 13),
    };
    if (h.url == NULL)
        h.url = "";
    if (h.origin == NULL)
        h.origin = "";
    return ((store_feed_health_cb)cb)(ctx, &h);
}

int
store_ops_feeds(struct store *st, long long now, int limit,
                long long offset, store_feed_health_cb cb, void *ctx)
{
    /* The week's counts in one pass over the items_fetched index,
     * joined to the page of feeds, never a count per feed. */
    static const char sql[] =
        "SELECT f.id, f.url, f.title, f.origin, f.last_poll,"
        " f.last_success, f.last_failure, f.last_status, f.failures,"
        " f.last_error, f.next_poll, f.disabled_at, f.disabled_reason,"
        " coalesce(w.n, 0)"
        " FROM feeds f LEFT JOIN (SELECT feed_id, count(*) AS n"
        "  FROM items WHERE fetched >= ?1 GROUP BY feed_id) w"
        "  ON w.feed_id = f.id"
        " ORDER BY f.failures DESC, f.disabled_at > 0 DESC, f.id"
        " LIMIT ?2 OFFSET ?3";
    sqlite3_stmt *s;
    int rc;

    if (limit <= 0 || offset < 0)
        return CUR_EINVAL;
    if ((s = prepare(st, sql, "ops feeds")) == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now - WEEK);
    sqlite3_bind_int(s, 2, limit);
    sqlite3_bind_int64(s, 3, offset);
    rc = store_each_row(st, s, "ops feeds", feed_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

int
store_ops_feed_totals(struct store *st, struct store_feed_totals *out)
{
    sqlite3_stmt *s = prepare(st, "SELECT count(*),"
                              " count(*) FILTER (WHERE failures > 0"
                              "  AND disabled_at = 0),"
                              " count(*) FILTER (WHERE disabled_at > 0)"
                              " FROM feeds", "ops feed totals");
    int rc;

    memset(out, 0, sizeof *out);
    if (s == NULL)
        return CUR_ESTORE;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->feeds = sqlite3_column_int64(s, 0);
        out->failing = sqlite3_column_int64(s, 1);
        out->disabled = sqlite3_column_int64(s, 2);
        rc = CUR_OK;
    } else {
        rc = store_db_error(st, "ops feed totals");
    }
    sqlite3_finalize(s);
    return rc;
}

/* After an UPDATE that matched nothing: CUR_ENOTFOUND when the feed is
 * gone, else CUR_OK. */
static int
feed_missing(struct store *st, long long id)
{
    sqlite3_stmt *s = prepare(st, "SELECT 1 FROM feeds WHERE id = ?",
                              "ops feed");
    long long one;
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    rc = store_query_int(st, s, &one, "ops feed");
    sqlite3_finalize(s);
    return rc;
}

int
store_ops_feed_disable(struct store *st, long long id, long long now,
                       const char *reason)
{
    /* A feed disabled already keeps its time and reason. */
    sqlite3_stmt *s = prepare(st, "UPDATE feeds SET disabled_at = ?2,"
                              " disabled_reason = ?3"
                              " WHERE id = ?1 AND disabled_at = 0",
                              "ops feed disable");
    long long n = 0;
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now > 0 ? now : 1);
    store_bind_text(s, 3, reason);
    rc = change(st, s, "ops feed disable", &n);
    if (rc == CUR_OK && n == 0)
        rc = feed_missing(st, id);
    return rc;
}

int
store_ops_feed_enable(struct store *st, long long id, long long now)
{
    sqlite3_stmt *s = prepare(st, "UPDATE feeds SET disabled_at = 0,"
                              " disabled_reason = NULL,"
                              " next_poll = CASE WHEN disabled_at > 0"
                              "  THEN ?2 ELSE next_poll END"
                              " WHERE id = ?1", "ops feed enable");
    long long n = 0;
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    rc = change(st, s, "ops feed enable", &n);
    if (rc == CUR_OK && n == 0)
        rc = CUR_ENOTFOUND;
    return rc;
}

int
store_ops_outbox_totals(struct store *st, struct store_outbox_totals *out)
{
    sqlite3_stmt *s = prepare(st, "SELECT"
                              " count(*) FILTER (WHERE status = 'queued'"
                              "  AND attempts = 0),"
                              " count(*) FILTER (WHERE status = 'queued'"
                              "  AND attempts > 0),"
                              " count(*) FILTER (WHERE status = 'failed'),"
                              " count(*) FILTER (WHERE status = 'sent')"
                              " FROM outbox", "ops outbox totals");
    int rc;

    memset(out, 0, sizeof *out);
    if (s == NULL)
        return CUR_ESTORE;
    if (sqlite3_step(s) == SQLITE_ROW) {
        out->queued = sqlite3_column_int64(s, 0);
        out->retrying = sqlite3_column_int64(s, 1);
        out->failed = sqlite3_column_int64(s, 2);
        out->sent = sqlite3_column_int64(s, 3);
        rc = CUR_OK;
    } else {
        rc = store_db_error(st, "ops outbox totals");
    }
    sqlite3_finalize(s);
    return rc;
}

static int
problem_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_outbox_problem p = {
        .id = sqlite3_column_int64(s, 0),
        .user_id = sqlite3_column_int64(s, 1),
        .user = store_col_text(s, 2),
        .rcpt = store_col_text(s, 3),
        .period_key = store_col_text(s, 4),
        .status = store_col_text(s, 5),
        .attempts = sqlite3_column_int(s, 6),
        .last_error = store_col_text(s, 7),
        .created = sqlite3_column_int64(s, 8),
        .next_attempt = sqlite3_column_int64(s, 9),
    };
    if (p.user == NULL)
        p.user = "";
    if (p.rcpt == NULL)
        p.rcpt = "";
    if (p.period_key == NULL)
        p.period_key = "";
    if (p.status == NULL)
        p.status = "";
    return ((store_outbox_problem_cb)cb)(ctx, &p);
}

int
store_ops_outbox_problems(struct store *st, int limit,
                          store_outbox_problem_cb cb, void *ctx)
{
    sqlite3_stmt *s = prepare(st, "SELECT o.id, o.user_id, u.name, o.rcpt,"
                              " o.period_key, o.status, o.attempts,"
                              " o.last_error, o.created, o.next_attempt"
                              " FROM outbox o JOIN users u"
                              "  ON u.id = o.user_id"
                              " WHERE o.status = 'failed'"
                              "  OR (o.status = 'queued' AND o.attempts > 0)"
                              " ORDER BY o.status = 'failed' DESC, o.id DESC"
                              " LIMIT ?", "ops outbox problems");
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int(s, 1, limit);
    rc = store_each_row(st, s, "ops outbox problems", problem_row,
                        (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

int
store_ops_outbox_retry_failed(struct store *st, long long now,
                              long long *n)
{
    /* The same message goes again (its Message-ID unchanged); its
     * attempts are kept, so a new failure backs off from there. */
    sqlite3_stmt *s = prepare(st, "UPDATE outbox SET status = 'queued',"
                              " next_attempt = ? WHERE status = 'failed'",
                              "ops outbox retry");
    long long changed = 0;
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    rc = change(st, s, "ops outbox retry", &changed);
    if (n != NULL)
        *n = rc == CUR_OK ? changed : 0;
    return rc;
}
