/* The store's side of scoring: items as the scorer reads them (with their
 * live gem), subscriptions, stored scores with their reasons, near-copy
 * links between items, and small named counters such as the scorer's
 * cursor.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCORING_COLS \
    "i.id, i.feed_id, f.url, f.title, i.title, i.link, i.author," \
    " i.summary, i.language, i.tags, i.published, i.fetched," \
    " e.name, g.note, g.tags, g.audience" \
    " FROM items i JOIN feeds f ON f.id = i.feed_id" \
    " LEFT JOIN gems g ON g.item_id = i.id" \
    "  AND (g.expires = 0 OR g.expires > ?1)" \
    " LEFT JOIN users e ON e.id = g.editor_id"

#define SCORED_SELECT \
    "s.item_id, i.feed_id, i.title, i.link, f.title, f.url, i.published," \
    " i.fetched, s.score, s.excluded_by, s.reasons, coalesce(i.dup_of, 0)"
#define SCORED_FROM \
    " FROM scores s JOIN items i ON i.id = s.item_id" \
    " JOIN feeds f ON f.id = i.feed_id"
#define SCORED_COLS SCORED_SELECT SCORED_FROM

static const char *const sql[SX_N] = {
    [SX_ITEMS_SINCE] = "SELECT " SCORING_COLS
                       " WHERE i.id > ?2 ORDER BY i.id LIMIT ?3",
    [SX_ITEMS_WINDOW] = "SELECT " SCORING_COLS
                        " WHERE i.fetched >= ?2 ORDER BY i.id",
    [SX_ITEM_GET] = "SELECT " SCORING_COLS " WHERE i.id = ?2",
    [SX_SUBS_ALL] = "SELECT user_id, feed_id FROM subscriptions",
    [SX_SCORE_PUT] = "INSERT INTO scores (user_id, item_id, score,"
                     " excluded_by, reasons, scored)"
                     " VALUES (?, ?, ?, ?, ?, ?)"
                     " ON CONFLICT DO UPDATE SET score = excluded.score,"
                     " excluded_by = excluded.excluded_by,"
                     " reasons = excluded.reasons, scored = excluded.scored",
    /* Item ids rise with arrival: the window is an id range. */
    [SX_SCORE_DEL_USER] = "DELETE FROM scores WHERE user_id = ?1"
                          " AND item_id >= coalesce((SELECT min(id) FROM"
                          " items WHERE fetched >= ?2),"
                          " 9223372036854775807)",
    [SX_SCORE_DEL_ITEM] = "DELETE FROM scores WHERE item_id = ?",
    [SX_SCORE_GET] = "SELECT " SCORED_COLS
                     " WHERE s.user_id = ?1 AND s.item_id = ?2",
    /* Included and excluded apart: "excluded_by IS NULL" as written
     * lets the included one walk the partial index scores_rank. */
    [SX_SCORE_TOP] = "SELECT " SCORED_COLS
                     " WHERE s.user_id = ?1 AND s.excluded_by IS NULL"
                     " AND i.fetched >= ?2"
                     " ORDER BY s.score DESC, i.published DESC,"
                     " s.item_id DESC LIMIT ?3",
    [SX_SCORE_EXCLUDED] = "SELECT " SCORED_COLS
                          " WHERE s.user_id = ?1"
                          " AND s.excluded_by IS NOT NULL"
                          " AND i.fetched >= ?2"
                          " ORDER BY s.score DESC, i.published DESC,"
                          " s.item_id DESC LIMIT ?3",
    /* A digest's candidates in one query: the included scores not yet
     * sent, with what the digest shows of each item. */
    [SX_DIGEST_CANDIDATES] = "SELECT " SCORED_SELECT ","
                             " i.summary, e.name, g.note" SCORED_FROM
                             " LEFT JOIN gems g ON g.item_id = i.id"
                             "  AND (g.expires = 0 OR g.expires > ?3)"
                             " LEFT JOIN users e ON e.id = g.editor_id"
                             " WHERE s.user_id = ?1"
                             " AND s.excluded_by IS NULL"
                             " AND i.fetched >= ?2"
                             " AND NOT EXISTS (SELECT 1 FROM sent_items x"
                             "  WHERE x.user_id = ?1"
                             "  AND x.item_id = s.item_id)"
                             " ORDER BY s.score DESC, i.published DESC,"
                             " s.item_id DESC LIMIT ?4",
    [SX_META_GET] = "SELECT value FROM meta WHERE key = ?",
    [SX_META_PUT] = "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT DO UPDATE SET value = excluded.value",
    [SX_ITEM_DUP] = "UPDATE items SET dup_of = ?2 WHERE id = ?1"
                    " AND dup_of IS NULL",
};

static sqlite3_stmt *
prep(struct store *st, enum store_xstmt id)
{
    return store_xstmt(st, id, sql[id]);
}

static int
scoring_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_scoring_item it = {
        .id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .feed_url = store_col_text(s, 2),
        .feed_title = store_col_text(s, 3),
        .title = store_col_text(s, 4),
        .link = store_col_text(s, 5),
        .author = store_col_text(s, 6),
        .text = store_col_text(s, 7),
        .language = store_col_text(s, 8),
        .tags = store_col_text(s, 9),
        .published = sqlite3_column_int64(s, 10),
        .fetched = sqlite3_column_int64(s, 11),
        .gem_editor = store_col_text(s, 12),
        .gem_note = store_col_text(s, 13),
        .gem_tags = store_col_text(s, 14),
        .gem_audience = store_col_text(s, 15),
    };
    if (it.title == NULL)
        it.title = "";
    /* A gem whose editor is gone is no gem. */
    if (it.gem_editor == NULL)
        it.gem_note = it.gem_tags = it.gem_audience = NULL;
    return ((store_scoring_item_cb)cb)(ctx, &it);
}

int
store_scoring_items_after(struct store *st, long long after_id, int limit,
                          long long now, store_scoring_item_cb cb,
                          void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_ITEMS_SINCE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, after_id);
    sqlite3_bind_int(s, 3, limit);
    return store_each_row(st, s, "scoring items", scoring_row, (void *)cb,
                          ctx);
}

int
store_scoring_items_since(struct store *st, long long since, long long now,
                          store_scoring_item_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_ITEMS_WINDOW);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, since);
    return store_each_row(st, s, "scoring window", scoring_row, (void *)cb,
                          ctx);
}

int
store_scoring_item(struct store *st, long long item_id, long long now,
                   store_scoring_item_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_ITEM_GET);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, item_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = scoring_row(s, (void *)cb, ctx);
    else if (rc == SQLITE_DONE)
        rc = CUR_ENOTFOUND;
    else
        rc = store_db_error(st, "scoring item");
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

static int
pair_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((store_pair_cb)cb)(ctx, sqlite3_column_int64(s, 0),
                               sqlite3_column_int64(s, 1));
}

int
store_subscriptions_all(struct store *st, store_pair_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_SUBS_ALL);
    if (s == NULL)
        return CUR_ESTORE;
    return store_each_row(st, s, "subscriptions", pair_row, (void *)cb,
                          ctx);
}

int
store_score_put(struct store *st, long long user_id, long long item_id,
                double score, const char *excluded_by, const char *reasons,
                long long now)
{
    if (!isfinite(score))
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_SCORE_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    sqlite3_bind_double(s, 3, score);
    store_bind_text(s, 4, excluded_by);
    store_bind_text(s, 5, reasons ? reasons : "");
    sqlite3_bind_int64(s, 6, now);
    return store_step_done(st, s, "score put");
}

int
store_score_forget_user(struct store *st, long long user_id,
                        long long since)
{
    sqlite3_stmt *s = prep(st, SX_SCORE_DEL_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    return store_step_done(st, s, "score forget");
}

int
store_score_forget_item(struct store *st, long long item_id)
{
    sqlite3_stmt *s = prep(st, SX_SCORE_DEL_ITEM);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, item_id);
    return store_step_done(st, s, "score forget item");
}

int
store_item_duplicate(struct store *st, long long item_id,
                     long long of_item_id)
{
    sqlite3_stmt *s = prep(st, SX_ITEM_DUP);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, of_item_id);
    return store_step_done(st, s, "item duplicate");
}

/* The scored item in the first 12 columns of SCORED_SELECT's row; a
 * missing title or reasons as "". */
static struct store_scored
scored_of(sqlite3_stmt *s)
{
    struct store_scored r = {
        .item_id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .title = store_col_text(s, 2),
        .link = store_col_text(s, 3),
        .feed_title = store_col_text(s, 4),
        .feed_url = store_col_text(s, 5),
        .published = sqlite3_column_int64(s, 6),
        .fetched = sqlite3_column_int64(s, 7),
        .score = sqlite3_column_double(s, 8),
        .excluded_by = store_col_text(s, 9),
        .reasons = store_col_text(s, 10),
        .dup_of = sqlite3_column_int64(s, 11),
    };
    if (r.title == NULL)
        r.title = "";
    if (r.reasons == NULL)
        r.reasons = "";
    return r;
}

static int
scored_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_scored r = scored_of(s);
    return ((store_scored_cb)cb)(ctx, &r);
}

int
store_score_get(struct store *st, long long user_id, long long item_id,
                store_scored_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_SCORE_GET);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        rc = scored_row(s, (void *)cb, ctx);
    } else if (rc == SQLITE_DONE) {
        rc = CUR_ENOTFOUND;
    } else {
        rc = store_db_error(st, "score get");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_score_top(struct store *st, long long user_id, long long since,
                int excluded, int limit, store_scored_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, excluded ? SX_SCORE_EXCLUDED : SX_SCORE_TOP);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int(s, 3, limit);
    return store_each_row(st, s, "score top", scored_row, (void *)cb, ctx);
}

static int
candidate_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_candidate c = {
        .scored = scored_of(s),
        .text = store_col_text(s, 12),
        .gem_editor = store_col_text(s, 13),
        .gem_note = store_col_text(s, 14),
    };
    /* A gem whose editor is gone is no gem. */
    if (c.gem_editor == NULL)
        c.gem_note = NULL;
    return ((store_candidate_cb)cb)(ctx, &c);
}

int
store_digest_candidates(struct store *st, long long user_id, long long since,
                        long long now, int limit, store_candidate_cb cb,
                        void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_DIGEST_CANDIDATES);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int(s, 4, limit);
    return store_each_row(st, s, "digest candidates", candidate_row,
                          (void *)cb, ctx);
}

int
store_meta_get(struct store *st, const char *key, long long *value)
{
    sqlite3_stmt *s = prep(st, SX_META_GET);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, key);
    int rc = store_query_int(st, s, value, "meta get");
    if (rc == CUR_ENOTFOUND) {
        *value = 0;
        rc = CUR_OK;
    }
    return rc;
}

int
store_meta_put(struct store *st, const char *key, long long value)
{
    sqlite3_stmt *s = prep(st, SX_META_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, key);
    sqlite3_bind_int64(s, 2, value);
    return store_step_done(st, s, "meta put");
}
