/* The store's side of email digests: per-user settings, the durable
 * outbox, the items each message carried, and secret keys for signed
 * links. The outbox's unique (user, period) key is what makes "at most
 * one digest per user and period" hold across crashes and restarts: a
 * message is queued in the same transaction that records the period as
 * done, and delivery only ever resends that same stored message.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <sodium.h>
#include <string.h>

#define DIGEST_COLS \
    "u.id, u.name, u.email, coalesce(d.weekly, 0)," \
    " coalesce(d.weekday, 1), coalesce(d.hour, 7), coalesce(d.tz, 'UTC')," \
    " coalesce(d.max_items, 20), coalesce(d.max_per_goal, 5)," \
    " coalesce(d.min_score, 0.5), coalesce(d.email, 1)," \
    " coalesce(d.html, 1), coalesce(d.remote_images, 0)," \
    " coalesce(d.pause_until, 0), coalesce(d.last_period_start, 0)" \
    " FROM users u LEFT JOIN digest_settings d ON d.user_id = u.id"

#define OUTBOX_COLS \
    "o.id, o.user_id, o.period_key, o.message_id, o.rcpt, %s, o.n_items," \
    " o.status, o.attempts, o.next_attempt, o.last_error, o.created," \
    " o.sent_at FROM outbox o"

static const char *const sql[SX_N] = {
    [SX_DIGEST_USERS] = "SELECT " DIGEST_COLS " ORDER BY u.id",
    [SX_DIGEST_USER] = "SELECT " DIGEST_COLS " WHERE u.id = ?",
    [SX_DIGEST_ENSURE] = "INSERT INTO digest_settings (user_id) VALUES (?)"
                         " ON CONFLICT DO NOTHING",
    [SX_OUTBOX_ADD] = "INSERT INTO outbox (user_id, period_key, message_id,"
                      " rcpt, n_items, created, next_attempt)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
    [SX_OUTBOX_BODY] = "INSERT INTO outbox_bodies (outbox_id, body)"
                       " VALUES (?, ?)",
    [SX_OUTBOX_FIND] = "SELECT id FROM outbox WHERE user_id = ?"
                       " AND period_key = ?",
    [SX_SENT_ADD] = "INSERT INTO sent_items (user_id, item_id, outbox_id)"
                    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    [SX_DIGEST_PERIOD] = "UPDATE digest_settings SET last_period_start = ?"
                         " WHERE user_id = ?",
    [SX_OUTBOX_SENT] = "UPDATE outbox SET status = 'sent', sent_at = ?,"
                       " attempts = attempts + 1, last_error = NULL"
                       " WHERE id = ?",
    [SX_OUTBOX_FAILED] = "UPDATE outbox SET status = CASE WHEN ?1"
                         " THEN 'failed' ELSE 'queued' END,"
                         " attempts = attempts + 1, last_error = ?2,"
                         " next_attempt = ?3 WHERE id = ?4",
    [SX_OUTBOX_RETRY] = "UPDATE outbox SET status = 'queued',"
                        " next_attempt = ? WHERE id = ? AND status <> 'sent'",
    [SX_OUTBOX_DEPTH] = "SELECT count(*) FILTER (WHERE status = 'queued'),"
                        " count(*) FILTER (WHERE status = 'failed')"
                        " FROM outbox",
    [SX_ITEM_SENT] = "SELECT 1 FROM sent_items WHERE user_id = ?"
                     " AND item_id = ?",
    [SX_SECRET_GET] = "SELECT value FROM secret_keys WHERE name = ?",
    [SX_SECRET_PUT] = "INSERT INTO secret_keys (name, value) VALUES (?, ?)"
                      " ON CONFLICT DO NOTHING",
};

static sqlite3_stmt *
prep(struct store *st, enum store_xstmt id)
{
    return store_xstmt(st, id, sql[id]);
}

static int
digest_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_digest_user u = {
        .user_id = sqlite3_column_int64(s, 0),
        .name = store_col_text(s, 1),
        .email = store_col_text(s, 2),
        .weekly = sqlite3_column_int(s, 3),
        .weekday = sqlite3_column_int(s, 4),
        .hour = sqlite3_column_int(s, 5),
        .tz = store_col_text(s, 6),
        .max_items = sqlite3_column_int(s, 7),
        .max_per_goal = sqlite3_column_int(s, 8),
        .min_score = sqlite3_column_double(s, 9),
        .email_on = sqlite3_column_int(s, 10),
        .html = sqlite3_column_int(s, 11),
        .remote_images = sqlite3_column_int(s, 12),
        .pause_until = sqlite3_column_int64(s, 13),
        .last_period_start = sqlite3_column_int64(s, 14),
    };
    return ((store_digest_user_cb)cb)(ctx, &u);
}

int
store_digest_users(struct store *st, store_digest_user_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_DIGEST_USERS);
    if (s == NULL)
        return CUR_ESTORE;
    return store_each_row(st, s, "digest users", digest_row, (void *)cb,
                          ctx);
}

int
store_digest_user(struct store *st, long long user_id,
                  store_digest_user_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_DIGEST_USER);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = digest_row(s, (void *)cb, ctx);
    else if (rc == SQLITE_DONE)
        rc = CUR_ENOTFOUND;
    else
        rc = store_db_error(st, "digest user");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static int
ensure_row(struct store *st, long long user_id)
{
    sqlite3_stmt *s = prep(st, SX_DIGEST_ENSURE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_step_done(st, s, "digest settings");
}

int
store_digest_set(struct store *st, long long user_id, const char *column,
                 const char *text_value, double number)
{
    static const char *const columns[] = {
        "weekly", "weekday", "hour", "tz", "max_items", "max_per_goal",
        "min_score", "email", "html", "pause_until", "remote_images",
        "last_period_start",
    };
    char q[128];
    sqlite3_stmt *s;
    int known = 0, own, rc;

    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(column, columns[i]) == 0)
            known = 1;
    if (!known)
        return CUR_EINVAL;
    /* The column name comes from the list above, never from input. */
    snprintf(q, sizeof q, "UPDATE digest_settings SET %s = ?"
             " WHERE user_id = ?", column);
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    rc = ensure_row(st, user_id);
    if (rc == CUR_OK) {
        if (sqlite3_prepare_v2(st->db, q, -1, &s, NULL) != SQLITE_OK) {
            rc = store_db_error(st, "digest set");
        } else {
            if (text_value != NULL)
                store_bind_text(s, 1, text_value);
            else
                sqlite3_bind_double(s, 1, number);
            sqlite3_bind_int64(s, 2, user_id);
            rc = store_step_done(st, s, "digest set");
            sqlite3_finalize(s);
        }
    }
    return store_nest_end(st, own, rc);
}

int
store_outbox_add(struct store *st, long long user_id, const char *period_key,
                 long long period_start, const char *message_id,
                 const char *rcpt, const char *body, size_t len,
                 const long long *items, size_t n_items, long long now)
{
    sqlite3_stmt *s;
    int own, rc;
    long long id;

    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    if ((s = prep(st, SX_OUTBOX_ADD)) == NULL) {
        rc = CUR_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, period_key);
    store_bind_text(s, 3, message_id);
    store_bind_text(s, 4, rcpt);
    sqlite3_bind_int(s, 5, (int)n_items);
    sqlite3_bind_int64(s, 6, now);
    sqlite3_bind_int64(s, 7, now);
    if ((rc = store_step_done(st, s, "outbox add")) != CUR_OK)
        goto done;
    id = sqlite3_last_insert_rowid(st->db);
    if ((s = prep(st, SX_OUTBOX_BODY)) == NULL) {
        rc = CUR_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_blob64(s, 2, body, len, SQLITE_STATIC);
    if ((rc = store_step_done(st, s, "outbox body")) != CUR_OK)
        goto done;
    if ((s = prep(st, SX_SENT_ADD)) == NULL) {
        rc = CUR_ESTORE;
        goto done;
    }
    for (size_t i = 0; i < n_items && rc == CUR_OK; i++) {
        sqlite3_bind_int64(s, 1, user_id);
        sqlite3_bind_int64(s, 2, items[i]);
        sqlite3_bind_int64(s, 3, id);
        rc = store_step_done(st, s, "sent item");
    }
    if (rc == CUR_OK)
        rc = ensure_row(st, user_id);
    if (rc == CUR_OK) {
        if ((s = prep(st, SX_DIGEST_PERIOD)) == NULL) {
            rc = CUR_ESTORE;
        } else {
            sqlite3_bind_int64(s, 1, period_start);
            sqlite3_bind_int64(s, 2, user_id);
            rc = store_step_done(st, s, "digest period");
        }
    }
done:
    return store_nest_end(st, own, rc);
}

static int
outbox_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_outbox m = {
        .id = sqlite3_column_int64(s, 0),
        .user_id = sqlite3_column_int64(s, 1),
        .period_key = store_col_text(s, 2),
        .message_id = store_col_text(s, 3),
        .rcpt = store_col_text(s, 4),
        .body = sqlite3_column_blob(s, 5),
        .len = (size_t)sqlite3_column_bytes(s, 5),
        .n_items = sqlite3_column_int(s, 6),
        .status = store_col_text(s, 7),
        .attempts = sqlite3_column_int(s, 8),
        .next_attempt = sqlite3_column_int64(s, 9),
        .last_error = store_col_text(s, 10),
        .created = sqlite3_column_int64(s, 11),
        .sent_at = sqlite3_column_int64(s, 12),
    };
    if (sqlite3_column_type(s, 5) != SQLITE_BLOB) {
        m.body = NULL;
        m.len = 0;
    }
    return ((store_outbox_cb)cb)(ctx, &m);
}

int
store_outbox_due(struct store *st, long long now, int limit,
                 store_outbox_cb cb, void *ctx)
{
    char q[512];
    sqlite3_stmt *s = st->xstmts[SX_OUTBOX_DUE];
    if (s == NULL) {
        snprintf(q, sizeof q, "SELECT " OUTBOX_COLS " JOIN outbox_bodies b"
                 " ON b.outbox_id = o.id WHERE o.status = 'queued'"
                 " AND o.next_attempt <= ? ORDER BY o.next_attempt, o.id"
                 " LIMIT ?", "b.body");
        if ((s = store_xstmt(st, SX_OUTBOX_DUE, q)) == NULL)
            return CUR_ESTORE;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int(s, 2, limit);
    return store_each_row(st, s, "outbox due", outbox_row, (void *)cb, ctx);
}

int
store_outbox_list(struct store *st, int limit, store_outbox_cb cb, void *ctx)
{
    char q[512];
    sqlite3_stmt *s = st->xstmts[SX_OUTBOX_LIST];
    if (s == NULL) {
        snprintf(q, sizeof q, "SELECT " OUTBOX_COLS " ORDER BY o.id DESC"
                 " LIMIT ?", "NULL");
        if ((s = store_xstmt(st, SX_OUTBOX_LIST, q)) == NULL)
            return CUR_ESTORE;
    }
    sqlite3_bind_int(s, 1, limit);
    return store_each_row(st, s, "outbox list", outbox_row, (void *)cb,
                          ctx);
}

int
store_outbox_find(struct store *st, long long user_id,
                  const char *period_key, long long *id)
{
    sqlite3_stmt *s = prep(st, SX_OUTBOX_FIND);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, period_key);
    return store_query_int(st, s, id, "outbox find");
}

int
store_outbox_sent(struct store *st, long long id, long long now)
{
    sqlite3_stmt *s = prep(st, SX_OUTBOX_SENT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return store_step_done(st, s, "outbox sent");
}

int
store_outbox_failed(struct store *st, long long id, int permanent,
                    const char *error, long long next_attempt)
{
    sqlite3_stmt *s = prep(st, SX_OUTBOX_FAILED);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int(s, 1, permanent != 0);
    store_bind_text(s, 2, error);
    sqlite3_bind_int64(s, 3, next_attempt);
    sqlite3_bind_int64(s, 4, id);
    return store_step_done(st, s, "outbox failed");
}

int
store_outbox_retry(struct store *st, long long id, long long now)
{
    sqlite3_stmt *s = prep(st, SX_OUTBOX_RETRY);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s, "outbox retry");
}

int
store_outbox_depth(struct store *st, long long *queued, long long *failed)
{
    sqlite3_stmt *s = prep(st, SX_OUTBOX_DEPTH);
    int rc;
    if (s == NULL)
        return CUR_ESTORE;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *queued = sqlite3_column_int64(s, 0);
        *failed = sqlite3_column_int64(s, 1);
        rc = CUR_OK;
    } else {
        rc = store_db_error(st, "outbox depth");
    }
    sqlite3_reset(s);
    return rc;
}

int
store_item_sent(struct store *st, long long user_id, long long item_id,
                int *sent)
{
    long long one;
    sqlite3_stmt *s = prep(st, SX_ITEM_SENT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    int rc = store_query_int(st, s, &one, "item sent");
    *sent = rc == CUR_OK;
    return rc == CUR_ENOTFOUND ? CUR_OK : rc;
}

int
store_secret(struct store *st, const char *name, unsigned char *out,
             size_t len)
{
    unsigned char fresh[64];
    sqlite3_stmt *s;
    int rc;

    if (len > sizeof fresh)
        return CUR_EINVAL;
    /* Insert-if-absent first, so two processes agree on one key. */
    randombytes_buf(fresh, len);
    if ((s = prep(st, SX_SECRET_PUT)) == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, name);
    sqlite3_bind_blob(s, 2, fresh, (int)len, SQLITE_STATIC);
    rc = store_step_done(st, s, "secret put");
    sodium_memzero(fresh, sizeof fresh);
    if (rc != CUR_OK)
        return rc;
    if ((s = prep(st, SX_SECRET_GET)) == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, name);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) == len) {
        memcpy(out, sqlite3_column_blob(s, 0), len);
        rc = CUR_OK;
    } else {
        rc = rc == SQLITE_ROW ? CUR_EINVAL : store_db_error(st, "secret");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}
