/* The store's side of teams (members, shares folded per item for the
 * digests, the listings and removals the team pages need), editors'
 * collections of feeds (following one subscribes to its feeds, now and
 * later), and gem reach aggregates. These run rarely, so statements
 * are prepared per call; but the team shares run once per digest, so
 * that one is kept prepared.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <string.h>
#include <time.h>

static int
name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

/* Prepare 'sql', bind up to three integers (then 'text' if not NULL),
 * run it to completion. */
static int
run(struct store *st, const char *sql, const char *what, int n_ints,
    long long a, long long b, long long c, const char *text)
{
    sqlite3_stmt *s;
    long long v[3] = { a, b, c };
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, what);
    for (int i = 0; i < n_ints; i++)
        sqlite3_bind_int64(s, i + 1, v[i]);
    if (text != NULL)
        store_bind_text(s, n_ints + 1, text);
    rc = store_step_done(st, s, what);
    sqlite3_finalize(s);
    return rc;
}

static int
find(struct store *st, const char *sql, const char *name, long long *id)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "find");
    store_bind_text(s, 1, name);
    rc = store_query_int(st, s, id, "find");
    sqlite3_finalize(s);
    return rc;
}

int
store_team_add(struct store *st, const char *name, long long *id)
{
    if (!name_ok(name))
        return CUR_EINVAL;
    int rc = run(st, "INSERT INTO teams (created, name) VALUES (?, ?)",
                 "team add", 1, (long long)time(NULL), 0, 0, name);
    if (rc == CUR_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int
store_team_find(struct store *st, const char *name, long long *id)
{
    return find(st, "SELECT id FROM teams WHERE name = ?", name, id);
}

int
store_team_member_add(struct store *st, long long team_id,
                      long long user_id)
{
    return run(st, "INSERT INTO team_members (team_id, user_id)"
               " VALUES (?, ?) ON CONFLICT DO NOTHING", "team member", 2,
               team_id, user_id, 0, NULL);
}

int
store_team_member(struct store *st, long long team_id, long long user_id,
                  int *is_member)
{
    sqlite3_stmt *s;
    long long one;
    int rc;
    if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM team_members WHERE"
                           " team_id = ? AND user_id = ?", -1, &s, NULL)
        != SQLITE_OK)
        return store_db_error(st, "team member");
    sqlite3_bind_int64(s, 1, team_id);
    sqlite3_bind_int64(s, 2, user_id);
    rc = store_query_int(st, s, &one, "team member");
    sqlite3_finalize(s);
    *is_member = rc == CUR_OK;
    return rc == CUR_ENOTFOUND ? CUR_OK : rc;
}

int
store_share_add(struct store *st, long long team_id, long long user_id,
                long long item_id, const char *note)
{
    if (note == NULL)
        note = "";
    if (strlen(note) > 1000)
        return CUR_EINVAL;
    return run(st, "INSERT INTO shares (team_id, user_id, item_id, created,"
               " note) VALUES (?, ?, ?, strftime('%s', 'now'), ?)"
               " ON CONFLICT DO UPDATE SET note = excluded.note,"
               " created = excluded.created", "share", 3, team_id, user_id,
               item_id, note);
}

static int
share_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_team_share r = {
        .item_id = sqlite3_column_int64(s, 0),
        .title = store_col_text(s, 1),
        .link = store_col_text(s, 2),
        .feed = store_col_text(s, 3),
        .team = store_col_text(s, 4),
        .note = store_col_text(s, 5),
        .sharers = sqlite3_column_int(s, 6),
        .latest = sqlite3_column_int64(s, 7),
    };
    if (r.title == NULL)
        r.title = "";
    if (r.note == NULL)
        r.note = "";
    return ((store_team_share_cb)cb)(ctx, &r);
}

int
store_team_shares_for_user(struct store *st, long long user_id,
                           long long since, int limit,
                           store_team_share_cb cb, void *ctx)
{
    /* Teammates only: what the user shared is not news to them. */
    static const char sql[] =
        "SELECT sh.item_id, i.title, i.link, coalesce(f.title, f.url),"
        " min(t.name),"
        " (SELECT s2.note FROM shares s2 WHERE s2.item_id = sh.item_id"
        "  AND s2.team_id = sh.team_id AND s2.note <> ''"
        "  ORDER BY s2.created DESC LIMIT 1),"
        " count(DISTINCT sh.user_id), max(sh.created)"
        " FROM team_members me"
        " JOIN shares sh ON sh.team_id = me.team_id AND sh.user_id <> ?1"
        " JOIN teams t ON t.id = sh.team_id"
        " JOIN items i ON i.id = sh.item_id"
        " JOIN feeds f ON f.id = i.feed_id"
        " WHERE me.user_id = ?1 AND sh.created >= ?2"
        " GROUP BY sh.item_id"
        " ORDER BY count(DISTINCT sh.user_id) DESC, max(sh.created) DESC"
        " LIMIT ?3";
    sqlite3_stmt *s = store_xstmt(st, SX_TEAM_SHARES, sql);

    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int(s, 3, limit);
    return store_each_row(st, s, "team shares", share_row, (void *)cb,
                          ctx);
}

int
store_collection_add(struct store *st, const char *name, long long editor_id,
                     long long *id)
{
    if (!name_ok(name))
        return CUR_EINVAL;
    int rc = run(st, "INSERT INTO collections (editor_id, created, name)"
                 " VALUES (?, ?, ?)", "collection add", 2, editor_id,
                 (long long)time(NULL), 0, name);
    if (rc == CUR_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int
store_collection_find(struct store *st, const char *name, long long *id)
{
    return find(st, "SELECT id FROM collections WHERE name = ?", name, id);
}

int
store_collection_feed_add(struct store *st, long long collection_id,
                          long long feed_id)
{
    int own, rc = store_nest_begin(st, &own);
    if (rc != CUR_OK)
        return rc;
    rc = run(st, "INSERT INTO collection_feeds (collection_id, feed_id)"
             " VALUES (?, ?) ON CONFLICT DO NOTHING", "collection feed", 2,
             collection_id, feed_id, 0, NULL);
    /* Followers get the new feed; their revision moves so the scorer
     * looks at them again. */
    if (rc == CUR_OK)
        rc = run(st, "INSERT INTO subscriptions (user_id, feed_id, created)"
                 " SELECT user_id, ?2, strftime('%s', 'now')"
                 " FROM collection_follows WHERE collection_id = ?1"
                 " ON CONFLICT DO NOTHING", "collection sync", 2,
                 collection_id, feed_id, 0, NULL);
    if (rc == CUR_OK)
        rc = run(st, "UPDATE users SET profile_rev = profile_rev + 1"
                 " WHERE id IN (SELECT user_id FROM collection_follows"
                 " WHERE collection_id = ?)", "collection sync", 1,
                 collection_id, 0, 0, NULL);
    return store_nest_end(st, own, rc);
}

int
store_collection_follow(struct store *st, long long collection_id,
                        long long user_id)
{
    int own, rc = store_nest_begin(st, &own);
    if (rc != CUR_OK)
        return rc;
    rc = run(st, "INSERT INTO collection_follows (collection_id, user_id)"
             " VALUES (?, ?) ON CONFLICT DO NOTHING", "collection follow", 2,
             collection_id, user_id, 0, NULL);
    if (rc == CUR_OK)
        rc = run(st, "INSERT INTO subscriptions (user_id, feed_id, created)"
                 " SELECT ?2, feed_id, strftime('%s', 'now')"
                 " FROM collection_feeds WHERE collection_id = ?1"
                 " ON CONFLICT DO NOTHING", "collection follow", 2,
                 collection_id, user_id, 0, NULL);
    if (rc == CUR_OK)
        rc = store_profile_bump(st, user_id);
    return store_nest_end(st, own, rc);
}

static int
id_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((store_id_cb)cb)(ctx, sqlite3_column_int64(s, 0));
}

int
store_collection_feeds(struct store *st, long long collection_id,
                       store_id_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db, "SELECT feed_id FROM collection_feeds"
                           " WHERE collection_id = ? ORDER BY feed_id", -1,
                           &s, NULL) != SQLITE_OK)
        return store_db_error(st, "collection feeds");
    sqlite3_bind_int64(s, 1, collection_id);
    rc = store_each_row(st, s, "collection feeds", id_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

int
store_gem_reach(struct store *st, long long item_id, long long *reached,
                long long *liked)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db, "SELECT (SELECT count(*) FROM scores"
                           " WHERE item_id = ?1 AND excluded_by IS NULL),"
                           " (SELECT count(*) FROM feedback WHERE"
                           " item_id = ?1 AND verdict = 1)", -1, &s, NULL)
        != SQLITE_OK)
        return store_db_error(st, "gem reach");
    sqlite3_bind_int64(s, 1, item_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *reached = sqlite3_column_int64(s, 0);
        *liked = sqlite3_column_int64(s, 1);
        rc = CUR_OK;
    } else {
        rc = store_db_error(st, "gem reach");
    }
    sqlite3_finalize(s);
    return rc;
}

static int
gem_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((store_pair_cb)cb)(ctx, sqlite3_column_int64(s, 0),
                               sqlite3_column_int64(s, 1));
}

int
store_gems_changed(struct store *st, long long since, store_pair_cb cb,
                   void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db, "SELECT item_id, created FROM gems"
                           " WHERE created >= ? ORDER BY created, item_id",
                           -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "gems changed");
    sqlite3_bind_int64(s, 1, since);
    rc = store_each_row(st, s, "gems changed", gem_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

/* Listing and changing teams, for the team pages and the admins'. */

static int
team_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_team t = {
        .id = sqlite3_column_int64(s, 0),
        .name = store_col_text(s, 1),
        .created = sqlite3_column_int64(s, 2),
        .members = sqlite3_column_int64(s, 3),
    };
    if (t.name == NULL)
        t.name = "";
    return ((store_team_cb)cb)(ctx, &t);
}

#define TEAM_COLS \
    "SELECT t.id, t.name, t.created," \
    " (SELECT count(*) FROM team_members m WHERE m.team_id = t.id)" \
    " FROM teams t"

int
store_team_list(struct store *st, long long user_id, store_team_cb cb,
                void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    const char *sql = user_id > 0
        ? TEAM_COLS " JOIN team_members me ON me.team_id = t.id"
          " WHERE me.user_id = ? ORDER BY t.name, t.id"
        : TEAM_COLS " ORDER BY t.name, t.id";

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "team list");
    if (user_id > 0)
        sqlite3_bind_int64(s, 1, user_id);
    rc = store_each_row(st, s, "team list", team_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

/* Counts a row; the iteration's result is the callback's. */
struct one_team {
    store_team_cb cb;
    void *ctx;
    int found;
};

static int
one_team_row(void *ctx, const struct store_team *t)
{
    struct one_team *o = ctx;
    o->found = 1;
    return o->cb(o->ctx, t);
}

int
store_team_get(struct store *st, long long team_id, store_team_cb cb,
               void *ctx)
{
    sqlite3_stmt *s;
    struct one_team o = { cb, ctx, 0 };
    int rc;

    if (sqlite3_prepare_v2(st->db, TEAM_COLS " WHERE t.id = ?", -1, &s,
                           NULL) != SQLITE_OK)
        return store_db_error(st, "team get");
    sqlite3_bind_int64(s, 1, team_id);
    rc = store_each_row(st, s, "team get", team_row, (void *)one_team_row,
                        &o);
    sqlite3_finalize(s);
    return rc == CUR_OK && !o.found ? CUR_ENOTFOUND : rc;
}

static int
member_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    const char *name = store_col_text(s, 1);
    return ((store_team_member_cb)cb)(ctx, sqlite3_column_int64(s, 0),
                                      name ? name : "");
}

int
store_team_members(struct store *st, long long team_id,
                   store_team_member_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    if (sqlite3_prepare_v2(st->db, "SELECT u.id, u.name FROM team_members m"
                           " JOIN users u ON u.id = m.user_id"
                           " WHERE m.team_id = ? ORDER BY u.name", -1, &s,
                           NULL) != SQLITE_OK)
        return store_db_error(st, "team members");
    sqlite3_bind_int64(s, 1, team_id);
    rc = store_each_row(st, s, "team members", member_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

/* Run a DELETE by up to two ids: CUR_ENOTFOUND when it removed nothing. */
static int
remove_rows(struct store *st, const char *sql, const char *what, int n_ints,
            long long a, long long b)
{
    int rc = run(st, sql, what, n_ints, a, b, 0, NULL);
    if (rc == CUR_OK && sqlite3_changes(st->db) == 0)
        rc = CUR_ENOTFOUND;
    return rc;
}

int
store_team_member_remove(struct store *st, long long team_id,
                         long long user_id)
{
    /* What the member shared stays with the team: it was given to it. */
    return remove_rows(st, "DELETE FROM team_members WHERE team_id = ?"
                       " AND user_id = ?", "team member remove", 2, team_id,
                       user_id);
}

int
store_team_remove(struct store *st, long long team_id)
{
    /* Members and shares go with it (ON DELETE CASCADE). */
    return remove_rows(st, "DELETE FROM teams WHERE id = ?", "team remove",
                       1, team_id, 0);
}

static int
item_share_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_team_item_share r = {
        .item_id = sqlite3_column_int64(s, 0),
        .title = store_col_text(s, 1),
        .link = store_col_text(s, 2),
        .feed = store_col_text(s, 3),
        .sharers = sqlite3_column_int(s, 4),
        .latest = sqlite3_column_int64(s, 5),
        .user = store_col_text(s, 6),
        .note = store_col_text(s, 7),
        .created = sqlite3_column_int64(s, 8),
    };
    if (r.title == NULL)
        r.title = "";
    if (r.feed == NULL)
        r.feed = "";
    if (r.user == NULL)
        r.user = "";
    if (r.note == NULL)
        r.note = "";
    return ((store_team_item_share_cb)cb)(ctx, &r);
}

int
store_team_item_shares(struct store *st, long long team_id, int limit,
                       store_team_item_share_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    /* The newest items first (by their latest share), then every share
     * of each, oldest first: the page folds them per item. */
    static const char sql[] =
        "SELECT sh.item_id, i.title, i.link, coalesce(f.title, f.url),"
        " a.n, a.latest, u.name, sh.note, sh.created"
        " FROM (SELECT item_id, count(DISTINCT user_id) AS n,"
        "  max(created) AS latest FROM shares WHERE team_id = ?1"
        "  GROUP BY item_id ORDER BY latest DESC, item_id DESC LIMIT ?2) a"
        " JOIN shares sh ON sh.team_id = ?1 AND sh.item_id = a.item_id"
        " JOIN items i ON i.id = sh.item_id"
        " JOIN feeds f ON f.id = i.feed_id"
        " JOIN users u ON u.id = sh.user_id"
        " ORDER BY a.latest DESC, a.item_id DESC, sh.created, sh.id";

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "team item shares");
    sqlite3_bind_int64(s, 1, team_id);
    sqlite3_bind_int(s, 2, limit);
    rc = store_each_row(st, s, "team item shares", item_share_row,
                        (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}
