/* The store's side of the editors' pages: the Recent search over every
 * feed's items (full text through the items_fts index of schema 9, with
 * feed, tag and date filters), gems listed with how far they reached
 * (counts only, never who), and collections listed, emptied of a feed,
 * deleted and unfollowed.
 *
 * Subscriptions carry no record of where they came from, so the rules
 * are: removing a feed from a collection, or deleting a collection,
 * unsubscribes nobody; unfollowing keeps the subscriptions unless the
 * follower asks to drop them, and then drops the collection's feeds that
 * no other collection they follow holds (their own subscriptions to
 * those feeds too: they chose it). These pages are used rarely, so
 * statements are prepared per call.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"
#include "log.h"

#include <string.h>

/* Query words and phrases kept from what was typed. */
#define RECENT_QUERY_TERMS 16

/* ---- The Recent query. ---- */

static int
word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9')
           || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

struct fts_out {
    char *s;
    size_t len, cap;
    int full;
};

static void
fts_put(struct fts_out *o, const char *p, size_t n)
{
    if (o->full || o->len + n + 1 > o->cap) {
        o->full = 1;
        return;
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = '\0';
}

/* One term: the words of [p, end) as a quoted phrase (a word alone is a
 * phrase of one), '*' after it when 'prefix'. Returns whether it held a
 * word. Only word bytes and single spaces go inside the quotes, so
 * nothing typed can close them. */
static int
fts_term(struct fts_out *o, const unsigned char *p, const unsigned char *end,
         int prefix)
{
    int words = 0;

    for (;;) {
        while (p < end && !word_byte(*p))
            p++;
        if (p == end)
            break;
        const unsigned char *w = p;
        while (p < end && word_byte(*p))
            p++;
        fts_put(o, words ? " " : "\"", 1);
        fts_put(o, (const char *)w, (size_t)(p - w));
        words++;
    }
    if (words) {
        fts_put(o, "\"", 1);
        if (prefix)
            fts_put(o, "*", 1);
    }
    return words > 0;
}

/* Whether a '-' at p negates: at the start or after white space, so
 * that "e-mail" stays two words wanted. */
static int
negates(const unsigned char *typed, const unsigned char *p)
{
    return p == typed || p[-1] == ' ' || (p[-1] >= '\t' && p[-1] <= '\r');
}

int
store_recent_query(const char *typed, char *out, size_t len)
{
    /* Two passes over the input: the terms wanted, then those
     * excluded, so the expression reads ("a" "b") NOT "c" NOT "d". */
    const unsigned char *in = (const unsigned char *)typed;
    struct fts_out o = { out, 0, len, len == 0 };
    int wanted = 0, negs = 0;

    if (len > 0)
        out[0] = '\0';
    if (typed == NULL)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        const unsigned char *p = in;
        int terms = 0;

        if (pass == 1 && wanted == 0)
            break;
        if (pass == 0)
            fts_put(&o, "(", 1);
        while (*p && terms < RECENT_QUERY_TERMS) {
            const unsigned char *start, *end;
            int neg = 0, prefix = 0;

            if (*p == '-' && negates(in, p)) {
                neg = 1;
                p++;
            }
            if (*p == '"') {
                /* A phrase runs to the closing quote, or to the end. */
                start = ++p;
                while (*p && *p != '"')
                    p++;
                end = p;
                if (*p == '"')
                    p++;
            } else if (word_byte(*p)) {
                start = p;
                while (word_byte(*p))
                    p++;
                end = p;
            } else {
                if (!neg && *p)
                    p++;
                continue;
            }
            if (*p == '*') {
                prefix = 1;
                p++;
            }
            if (neg != pass) {
                for (const unsigned char *q = start; q < end; q++)
                    negs += pass == 0 && word_byte(*q);
                continue;
            }
            size_t mark = o.len;
            if (pass == 1)
                fts_put(&o, " NOT ", 5);
            else if (wanted > 0)
                fts_put(&o, " ", 1);
            if (fts_term(&o, start, end, prefix)) {
                terms++;
                wanted += pass == 0;
            } else if (!o.full) {
                o.len = mark;       /* nothing searchable in it */
                o.s[o.len] = '\0';
            }
        }
        if (pass == 0)
            fts_put(&o, ")", 1);
    }
    if (o.full || wanted == 0) {
        if (len > 0)
            out[0] = '\0';
        /* Too long for 'out' reads as nothing: callers cap the input. */
        return !o.full && negs > 0 ? -1 : 0;
    }
    return wanted;
}

/* The item's date: when it was published, unless unknown or after it
 * arrived (a feed's future dates would keep it on top for ever). */
#define RECENT_DATE \
    "(CASE WHEN i.published > 0 AND i.published < i.fetched" \
    " THEN i.published ELSE i.fetched END)"

#define RECENT_SELECT \
    "SELECT i.id, i.feed_id, f.title, f.url, i.title, i.link," \
    " substr(i.summary, 1, 400), i.tags, " RECENT_DATE ", g.note," \
    " g.expires FROM items i JOIN feeds f ON f.id = i.feed_id" \
    " LEFT JOIN gems g ON g.item_id = i.id" \
    " WHERE (?1 = 0 OR i.feed_id = ?1)" \
    " AND (?2 = 0 OR " RECENT_DATE " >= ?2)" \
    " AND (?3 = 0 OR " RECENT_DATE " < ?3)" \
    " AND (?4 IS NULL" \
    "  OR instr(char(10) || lower(coalesce(i.tags, '')) || char(10)," \
    "           char(10) || lower(?4) || char(10)) > 0" \
    "  OR instr(',' || replace(lower(coalesce(g.tags, '')), ', ', ',')" \
    "           || ',', ',' || lower(?4) || ',') > 0)"

#define RECENT_ORDER \
    " ORDER BY " RECENT_DATE " DESC, i.id DESC LIMIT ?5 OFFSET ?6"

static const char recent_all[] = RECENT_SELECT RECENT_ORDER;
static const char recent_search[] =
    RECENT_SELECT " AND i.id IN (SELECT rowid FROM items_fts"
    " WHERE items_fts MATCH ?7)" RECENT_ORDER;

int
store_recent(struct store *st, const struct store_recent_filter *f,
             store_recent_cb cb, void *ctx)
{
    int search = f->query != NULL && f->query[0] != '\0';
    sqlite3_stmt *s;
    int rc, ret = CUR_OK;

    if (sqlite3_prepare_v2(st->db, search ? recent_search : recent_all, -1,
                           &s, NULL) != SQLITE_OK)
        return store_db_error(st, "recent");
    sqlite3_bind_int64(s, 1, f->feed_id);
    sqlite3_bind_int64(s, 2, f->from);
    sqlite3_bind_int64(s, 3, f->to);
    if (f->tag != NULL && f->tag[0] != '\0')
        store_bind_text(s, 4, f->tag);
    sqlite3_bind_int(s, 5, f->limit);
    sqlite3_bind_int(s, 6, f->offset);
    if (search)
        store_bind_text(s, 7, f->query);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_recent r = {
            .item_id = sqlite3_column_int64(s, 0),
            .feed_id = sqlite3_column_int64(s, 1),
            .feed_title = store_col_text(s, 2),
            .feed_url = store_col_text(s, 3),
            .title = store_col_text(s, 4),
            .link = store_col_text(s, 5),
            .summary = store_col_text(s, 6),
            .tags = store_col_text(s, 7),
            .date = sqlite3_column_int64(s, 8),
            .gem_note = store_col_text(s, 9),
            .gem_expires = sqlite3_column_int64(s, 10),
        };
        if (r.title == NULL)
            r.title = "";
        if ((ret = cb(ctx, &r)) != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        /* A search expression SQLite refuses is the query's fault, not
         * the store's: say so, log it quietly. */
        if (search && (rc & 0xff) == SQLITE_ERROR) {
            log_info("store recent query refused err=\"%s\"",
                     sqlite3_errmsg(st->db));
            ret = CUR_EINVAL;
        } else {
            ret = store_db_error(st, "recent");
        }
    }
    sqlite3_finalize(s);
    return ret;
}

/* ---- Feeds in short. ---- */

static int
brief_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_feed_brief b = {
        .id = sqlite3_column_int64(s, 0),
        .url = store_col_text(s, 1),
        .title = store_col_text(s, 2),
        .site_url = store_col_text(s, 3),
    };
    if (b.url == NULL)
        b.url = "";
    return ((store_feed_brief_cb)cb)(ctx, &b);
}

int
store_feed_briefs(struct store *st, long long collection_id, int limit,
                  store_feed_brief_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;
    static const char all[] =
        "SELECT id, url, title, site_url FROM feeds"
        " ORDER BY coalesce(title, url) COLLATE NOCASE, id LIMIT ?2";
    static const char in[] =
        "SELECT f.id, f.url, f.title, f.site_url FROM collection_feeds c"
        " JOIN feeds f ON f.id = c.feed_id WHERE c.collection_id = ?1"
        " ORDER BY coalesce(f.title, f.url) COLLATE NOCASE, f.id LIMIT ?2";

    if (sqlite3_prepare_v2(st->db, collection_id ? in : all, -1, &s, NULL)
        != SQLITE_OK)
        return store_db_error(st, "feed briefs");
    if (collection_id)
        sqlite3_bind_int64(s, 1, collection_id);
    sqlite3_bind_int(s, 2, limit);
    rc = store_each_row(st, s, "feed briefs", brief_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

/* ---- Gems and their reach. ---- */

/* Reached: users the item was scored for and not excluded from; liked:
 * users who gave it 👍 (store_gem_reach()'s counts). Feedback has no
 * index by item, so the 👍 are counted in one grouped pass. */
#define GEM_SELECT \
    "SELECT g.item_id, i.title, i.link, f.title, u.name, g.note, g.tags," \
    " g.audience, g.created, g.expires," \
    " (SELECT count(*) FROM scores s WHERE s.item_id = g.item_id" \
    "  AND s.excluded_by IS NULL)," \
    " coalesce(l.n, 0)" \
    " FROM gems g JOIN items i ON i.id = g.item_id" \
    " JOIN feeds f ON f.id = i.feed_id" \
    " LEFT JOIN users u ON u.id = g.editor_id" \
    " LEFT JOIN (SELECT item_id, count(*) AS n FROM feedback" \
    "  WHERE verdict = 1 AND item_id IN (SELECT item_id FROM gems)" \
    "  GROUP BY item_id) l ON l.item_id = g.item_id"

static int
gem_info_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_gem_info g = {
        .item_id = sqlite3_column_int64(s, 0),
        .title = store_col_text(s, 1),
        .link = store_col_text(s, 2),
        .feed_title = store_col_text(s, 3),
        .editor = store_col_text(s, 4),
        .note = store_col_text(s, 5),
        .tags = store_col_text(s, 6),
        .audience = store_col_text(s, 7),
        .created = sqlite3_column_int64(s, 8),
        .expires = sqlite3_column_int64(s, 9),
        .reached = sqlite3_column_int64(s, 10),
        .liked = sqlite3_column_int64(s, 11),
    };
    if (g.title == NULL)
        g.title = "";
    if (g.note == NULL)
        g.note = "";
    if (g.tags == NULL)
        g.tags = "";
    if (g.audience == NULL)
        g.audience = "";
    return ((store_gem_info_cb)cb)(ctx, &g);
}

int
store_gem_list(struct store *st, int limit, int offset,
               store_gem_info_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(st->db, GEM_SELECT " ORDER BY g.created DESC,"
                           " g.item_id DESC LIMIT ? OFFSET ?", -1, &s, NULL)
        != SQLITE_OK)
        return store_db_error(st, "gem list");
    sqlite3_bind_int(s, 1, limit);
    sqlite3_bind_int(s, 2, offset);
    rc = store_each_row(st, s, "gem list", gem_info_row, (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

struct one {
    void *cb;
    void *ctx;
    int found;
    int (*row)(sqlite3_stmt *, void *, void *);
};

static int
one_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct one *o = ctx;
    (void)cb;
    o->found = 1;
    return o->row(s, o->cb, o->ctx);
}

/* Run 's' (bound) for at most one row: CUR_ENOTFOUND when there is
 * none. Finalizes 's'. */
static int
get_one(struct store *st, sqlite3_stmt *s, const char *what,
        int (*row)(sqlite3_stmt *, void *, void *), void *cb, void *ctx)
{
    struct one o = { cb, ctx, 0, row };
    int rc = store_each_row(st, s, what, one_row, NULL, &o);
    sqlite3_finalize(s);
    if (rc == CUR_OK && !o.found)
        rc = CUR_ENOTFOUND;
    return rc;
}

int
store_gem_get(struct store *st, long long item_id, store_gem_info_cb cb,
              void *ctx)
{
    sqlite3_stmt *s;

    if (sqlite3_prepare_v2(st->db, GEM_SELECT " WHERE g.item_id = ?", -1,
                           &s, NULL) != SQLITE_OK)
        return store_db_error(st, "gem get");
    sqlite3_bind_int64(s, 1, item_id);
    return get_one(st, s, "gem get", gem_info_row, (void *)cb, ctx);
}

int
store_gem_count(struct store *st, long long *n)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM gems", -1, &s,
                           NULL) != SQLITE_OK)
        return store_db_error(st, "gem count");
    rc = store_query_int(st, s, n, "gem count");
    sqlite3_finalize(s);
    return rc;
}

/* ---- Collections. ---- */

#define COLLECTION_SELECT \
    "SELECT c.id, c.name, coalesce(c.editor_id, 0), u.name, c.created," \
    " (SELECT count(*) FROM collection_feeds cf" \
    "  WHERE cf.collection_id = c.id)," \
    " (SELECT count(*) FROM collection_follows fo" \
    "  WHERE fo.collection_id = c.id)," \
    " EXISTS (SELECT 1 FROM collection_follows me" \
    "  WHERE me.collection_id = c.id AND me.user_id = ?1)" \
    " FROM collections c LEFT JOIN users u ON u.id = c.editor_id"

static int
collection_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_collection c = {
        .id = sqlite3_column_int64(s, 0),
        .name = store_col_text(s, 1),
        .editor_id = sqlite3_column_int64(s, 2),
        .editor = store_col_text(s, 3),
        .created = sqlite3_column_int64(s, 4),
        .n_feeds = sqlite3_column_int64(s, 5),
        .n_followers = sqlite3_column_int64(s, 6),
        .following = sqlite3_column_int(s, 7),
    };
    if (c.name == NULL)
        c.name = "";
    return ((store_collection_cb)cb)(ctx, &c);
}

int
store_collection_list(struct store *st, long long user_id,
                      store_collection_cb cb, void *ctx)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(st->db, COLLECTION_SELECT " ORDER BY c.name,"
                           " c.id", -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "collection list");
    sqlite3_bind_int64(s, 1, user_id);
    rc = store_each_row(st, s, "collection list", collection_row,
                        (void *)cb, ctx);
    sqlite3_finalize(s);
    return rc;
}

int
store_collection_get(struct store *st, long long collection_id,
                     long long user_id, store_collection_cb cb, void *ctx)
{
    sqlite3_stmt *s;

    if (sqlite3_prepare_v2(st->db, COLLECTION_SELECT " WHERE c.id = ?2", -1,
                           &s, NULL) != SQLITE_OK)
        return store_db_error(st, "collection get");
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, collection_id);
    return get_one(st, s, "collection get", collection_row, (void *)cb,
                   ctx);
}

/* Run 'sql' with two integers bound; *changes (may be NULL) gets the
 * rows it changed. */
static int
run2(struct store *st, const char *sql, const char *what, long long a,
     long long b, int *changes)
{
    sqlite3_stmt *s;
    int rc;

    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, what);
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    rc = store_step_done(st, s, what);
    if (changes != NULL)
        *changes = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

int
store_collection_feed_remove(struct store *st, long long collection_id,
                             long long feed_id)
{
    int n = 0;
    int rc = run2(st, "DELETE FROM collection_feeds WHERE collection_id = ?"
                  " AND feed_id = ?", "collection feed remove",
                  collection_id, feed_id, &n);
    return rc == CUR_OK && n == 0 ? CUR_ENOTFOUND : rc;
}

int
store_collection_delete(struct store *st, long long collection_id)
{
    int n = 0;
    /* Its feeds and follows go by cascade; subscriptions stay. */
    int rc = run2(st, "DELETE FROM collections WHERE id = ?1 AND ?2 = 0",
                  "collection delete", collection_id, 0, &n);
    return rc == CUR_OK && n == 0 ? CUR_ENOTFOUND : rc;
}

int
store_collection_unfollow(struct store *st, long long collection_id,
                          long long user_id, int drop_feeds)
{
    int own, n = 0, rc = store_nest_begin(st, &own);

    if (rc != CUR_OK)
        return rc;
    /* The feeds first, while the follow still says which they are. */
    if (drop_feeds)
        rc = run2(st, "DELETE FROM subscriptions WHERE user_id = ?2"
                  " AND EXISTS (SELECT 1 FROM collection_follows"
                  "  WHERE collection_id = ?1 AND user_id = ?2)"
                  " AND feed_id IN (SELECT feed_id FROM collection_feeds"
                  "  WHERE collection_id = ?1)"
                  " AND feed_id NOT IN (SELECT cf.feed_id"
                  "  FROM collection_follows fo JOIN collection_feeds cf"
                  "  ON cf.collection_id = fo.collection_id"
                  "  WHERE fo.user_id = ?2 AND fo.collection_id <> ?1)",
                  "collection unfollow", collection_id, user_id, NULL);
    if (rc == CUR_OK)
        rc = run2(st, "DELETE FROM collection_follows"
                  " WHERE collection_id = ? AND user_id = ?",
                  "collection unfollow", collection_id, user_id, &n);
    if (rc == CUR_OK && n == 0)
        rc = CUR_ENOTFOUND;
    /* The scorer looks at the user again. */
    if (rc == CUR_OK)
        rc = store_profile_bump(st, user_id);
    return store_nest_end(st, own, rc);
}

/* ---- Keeping the search index up to date. ---- */

int
store_search_catch_up(struct store *st, int limit, long long *n)
{
    sqlite3_stmt *s = NULL;
    long long from = 0, to = 0;
    int own, rc;

    if (n)
        *n = 0;
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    if (sqlite3_prepare_v2(st->db, "SELECT indexed, (SELECT max(id) FROM"
                           " (SELECT id FROM items WHERE id > indexed"
                           " ORDER BY id LIMIT ?)) FROM search_state", -1,
                           &s, NULL) != SQLITE_OK) {
        rc = store_db_error(st, "search catch-up");
        goto out;
    }
    sqlite3_bind_int(s, 1, limit);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = store_db_error(st, "search catch-up");
        goto out;
    }
    from = sqlite3_column_int64(s, 0);
    to = sqlite3_column_int64(s, 1);    /* 0 (NULL): nothing new */
    sqlite3_finalize(s);
    s = NULL;
    if (to <= from)
        goto out;
    /* One statement for the lot: FTS5 builds one segment from it. */
    if (sqlite3_prepare_v2(st->db, "INSERT INTO items_fts (rowid, title,"
                           " summary) SELECT id, title, summary FROM items"
                           " WHERE id > ?1 AND id <= ?2", -1, &s, NULL)
        != SQLITE_OK) {
        rc = store_db_error(st, "search catch-up");
        goto out;
    }
    sqlite3_bind_int64(s, 1, from);
    sqlite3_bind_int64(s, 2, to);
    if ((rc = store_step_done(st, s, "search catch-up")) != CUR_OK)
        goto out;
    if (n)
        *n = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    s = NULL;
    if (sqlite3_prepare_v2(st->db, "UPDATE search_state SET indexed = ?",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = store_db_error(st, "search catch-up");
        goto out;
    }
    sqlite3_bind_int64(s, 1, to);
    rc = store_step_done(st, s, "search catch-up");
out:
    sqlite3_finalize(s);
    return store_nest_end(st, own, rc);
}
