/* The store on SQLite: WAL mode, foreign keys, a busy timeout, prepared
 * statements kept for the life of the handle, and a schema built from
 * numbered migrations recorded in PRAGMA user_version. */
#include "store.h"
#include "store_int.h"
#include "err.h"
#include "log.h"
#include "valid.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STORE_BUSY_TIMEOUT_MS 10000

/* Each entry moves the schema from version i to i + 1. Never edit one
 * that has shipped: append a new one. */
static const char *const migrations[] = {
    /* 1: users, feeds with polling state, subscriptions, items,
     * interests, digests. */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  email TEXT NOT NULL,"
    "  role TEXT NOT NULL DEFAULT 'subscriber'"
    "    CHECK (role IN ('subscriber', 'editor', 'admin')),"
    "  created INTEGER NOT NULL,"
    "  last_digest INTEGER NOT NULL DEFAULT 0,"
    "  digest_cursor INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE feeds ("
    "  id INTEGER PRIMARY KEY,"
    "  url TEXT NOT NULL UNIQUE,"
    "  title TEXT,"
    "  origin TEXT NOT NULL CHECK (origin IN ('config', 'cli', 'web')),"
    "  created INTEGER NOT NULL,"
    "  etag TEXT,"
    "  last_modified TEXT,"
    "  next_poll INTEGER NOT NULL DEFAULT 0,"
    "  last_poll INTEGER NOT NULL DEFAULT 0,"
    "  last_success INTEGER NOT NULL DEFAULT 0,"
    "  last_status INTEGER NOT NULL DEFAULT 0,"
    "  failures INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT"
    ");"
    "CREATE INDEX feeds_next_poll ON feeds(next_poll);"
    "CREATE TABLE subscriptions ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, feed_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX subscriptions_feed ON subscriptions(feed_id);"
    /* AUTOINCREMENT keeps ids rising even after deletes: digests use
     * the id as a cursor. */
    "CREATE TABLE items ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  guid TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  link TEXT,"
    "  author TEXT,"
    "  summary TEXT,"
    "  published INTEGER NOT NULL DEFAULT 0,"
    "  updated INTEGER NOT NULL DEFAULT 0,"
    "  fetched INTEGER NOT NULL,"
    "  UNIQUE (feed_id, guid)"
    ");"
    "CREATE INDEX items_feed ON items(feed_id, id);"
    "CREATE TABLE interests ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  term TEXT NOT NULL,"
    "  weight REAL NOT NULL DEFAULT 1.0,"
    "  UNIQUE (user_id, term)"
    ");"
    "CREATE TABLE digests ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  cursor INTEGER NOT NULL,"
    "  items INTEGER NOT NULL,"
    "  path TEXT"
    ");"
    "CREATE INDEX digests_user ON digests(user_id, created);",
    /* 2: polling state for the multi poller: health (last failure,
     * disabled by a 410 with the reason), scheduling (interval, RSS
     * ttl, skipHours, skipDays, sy:updatePeriod), the last body's hash,
     * and the OPML home page and category. The due index leaves out
     * disabled feeds. */
    "ALTER TABLE feeds ADD COLUMN site_url TEXT;"
    "ALTER TABLE feeds ADD COLUMN category TEXT;"
    "ALTER TABLE feeds ADD COLUMN body_hash TEXT;"
    "ALTER TABLE feeds ADD COLUMN last_failure INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN disabled_reason TEXT;"
    "ALTER TABLE feeds ADD COLUMN poll_interval INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN ttl INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE feeds ADD COLUMN update_period INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX feeds_next_poll;"
    "CREATE INDEX feeds_due ON feeds(next_poll) WHERE disabled_at = 0;",
    /* 3: each item's sanitised HTML (web profile, sanitize.h) beside its
     * plain text in summary; NULL for items stored before. */
    "ALTER TABLE items ADD COLUMN html TEXT;",
    /* 4: scoring. Profiles (goals, interests under goals, phrases, mutes
     * of terms or feeds, source weights) with a revision the daemon
     * watches; feedback; editors' gems; and one score row per (user,
     * item) visited, with its top reasons as "filter TAB contribution TAB
     * text" lines. Items keep their language and tags for the filters. */
    "ALTER TABLE items ADD COLUMN language TEXT;"
    "ALTER TABLE items ADD COLUMN tags TEXT;"
    "ALTER TABLE items ADD COLUMN dup_of INTEGER;"
    "ALTER TABLE users ADD COLUMN profile_rev INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE users ADD COLUMN scored_rev INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE goals ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (user_id, name)"
    ");"
    "ALTER TABLE interests ADD COLUMN goal_id INTEGER"
    "  REFERENCES goals(id) ON DELETE SET NULL;"
    "ALTER TABLE interests ADD COLUMN is_phrase INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE mutes ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  term TEXT,"
    "  feed_id INTEGER REFERENCES feeds(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  CHECK ((term IS NULL) <> (feed_id IS NULL))"
    ");"
    "CREATE UNIQUE INDEX mutes_term ON mutes(user_id, term)"
    "  WHERE term IS NOT NULL;"
    "CREATE UNIQUE INDEX mutes_feed ON mutes(user_id, feed_id)"
    "  WHERE feed_id IS NOT NULL;"
    "CREATE TABLE source_weights ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  weight REAL NOT NULL,"
    "  PRIMARY KEY (user_id, feed_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE feedback ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  verdict INTEGER NOT NULL CHECK (verdict IN (-1, 1)),"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (user_id, item_id)"
    ");"
    "CREATE TABLE gems ("
    "  item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,"
    "  editor_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  note TEXT NOT NULL,"
    "  tags TEXT NOT NULL DEFAULT '',"
    "  audience TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE scores ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  score REAL NOT NULL,"
    "  excluded_by TEXT,"
    "  reasons TEXT NOT NULL DEFAULT '',"
    "  scored INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, item_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX scores_item ON scores(item_id);"
    "CREATE INDEX items_fetched ON items(fetched);"
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ") WITHOUT ROWID;",
    /* 5: email digests. Settings per user (defaults where no row), the
     * durable outbox (one message per user and period, enforced by the
     * unique key, so a crash or restart never makes a second, different
     * one), the items each message carried, and secret keys (HMAC for
     * signed links). */
    "CREATE TABLE digest_settings ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    "  weekly INTEGER NOT NULL DEFAULT 0,"
    "  weekday INTEGER NOT NULL DEFAULT 1,"
    "  hour INTEGER NOT NULL DEFAULT 7,"
    "  tz TEXT NOT NULL DEFAULT 'UTC',"
    "  max_items INTEGER NOT NULL DEFAULT 20,"
    "  max_per_goal INTEGER NOT NULL DEFAULT 5,"
    "  min_score REAL NOT NULL DEFAULT 0.5,"
    "  email INTEGER NOT NULL DEFAULT 1,"
    "  html INTEGER NOT NULL DEFAULT 1,"
    "  pause_until INTEGER NOT NULL DEFAULT 0,"
    "  remote_images INTEGER NOT NULL DEFAULT 0,"
    "  last_period_start INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  period_key TEXT NOT NULL,"
    "  message_id TEXT NOT NULL UNIQUE,"
    "  rcpt TEXT NOT NULL,"
    "  n_items INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (status IN ('queued', 'sent', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  created INTEGER NOT NULL,"
    "  sent_at INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (user_id, period_key)"
    ");"
    "CREATE INDEX outbox_due ON outbox(next_attempt) WHERE status = 'queued';"
    /* The message apart: marking a row sent must not rewrite it. */
    "CREATE TABLE outbox_bodies ("
    "  outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
    "  body BLOB NOT NULL"
    ");"
    "CREATE TABLE sent_items ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (user_id, item_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE secret_keys ("
    "  name TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL"
    ") WITHOUT ROWID;",
    /* 6: the web page (store_web.c). Password hashes (argon2id strings)
     * on users; login sessions and invitations kept only as hashes of
     * their tokens; failed logins for rate limiting per account and per
     * address; saved items with a reflection note; journal entries, with
     * or without an item, searched through an FTS5 index that triggers
     * keep in step. */
    "ALTER TABLE users ADD COLUMN password_hash TEXT;"
    "CREATE TABLE sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  ip TEXT NOT NULL DEFAULT ''"
    ") WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE login_attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  account TEXT NOT NULL,"
    "  ip TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ");"
    "CREATE INDEX login_attempts_account ON login_attempts(account, at);"
    "CREATE INDEX login_attempts_ip ON login_attempts(ip, at);"
    "CREATE TABLE invites ("
    "  token_hash TEXT PRIMARY KEY,"
    "  role TEXT NOT NULL"
    "    CHECK (role IN ('subscriber', 'editor', 'admin')),"
    "  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0,"
    "  used_by INTEGER REFERENCES users(id) ON DELETE SET NULL"
    ");"
    "CREATE TABLE saved_items ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY (user_id, item_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX saved_items_item ON saved_items(item_id);"
    "CREATE TABLE journal ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,"
    "  body TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL"
    ");"
    "CREATE INDEX journal_user ON journal(user_id, created);"
    "CREATE INDEX journal_item ON journal(item_id);"
    "CREATE VIRTUAL TABLE journal_fts USING fts5(body, content='journal',"
    "  content_rowid='id');"
    "CREATE TRIGGER journal_ai AFTER INSERT ON journal BEGIN"
    "  INSERT INTO journal_fts (rowid, body) VALUES (new.id, new.body);"
    " END;"
    "CREATE TRIGGER journal_ad AFTER DELETE ON journal BEGIN"
    "  INSERT INTO journal_fts (journal_fts, rowid, body)"
    "  VALUES ('delete', old.id, old.body);"
    " END;"
    "CREATE TRIGGER journal_au AFTER UPDATE OF body ON journal BEGIN"
    "  INSERT INTO journal_fts (journal_fts, rowid, body)"
    "  VALUES ('delete', old.id, old.body);"
    "  INSERT INTO journal_fts (rowid, body) VALUES (new.id, new.body);"
    " END;",
    /* 7: teams and what their members share (store_team.c), and editors'
     * collections of feeds that subscribers follow as one source. */
    "CREATE TABLE teams ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE team_members ("
    "  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (team_id, user_id)"
    ") WITHOUT ROWID;"
    "CREATE INDEX team_members_user ON team_members(user_id);"
    "CREATE TABLE shares ("
    "  id INTEGER PRIMARY KEY,"
    "  team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
    "  note TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (team_id, user_id, item_id)"
    ");"
    "CREATE INDEX shares_team ON shares(team_id, created);"
    "CREATE TABLE collections ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  editor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE collection_feeds ("
    "  collection_id INTEGER NOT NULL REFERENCES collections(id)"
    "    ON DELETE CASCADE,"
    "  feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (collection_id, feed_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE collection_follows ("
    "  collection_id INTEGER NOT NULL REFERENCES collections(id)"
    "    ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (collection_id, user_id)"
    ") WITHOUT ROWID;",
    /* 8: the web's Today ranking (store_web.c, store_ranked()): each
     * user's included scores in score order, so that the best of a
     * window are read without sorting all of them. */
    ("CREATE INDEX scores_rank ON scores(user_id, score DESC, item_id DESC)"
     "  WHERE excluded_by IS NULL;"),
    /* 9: the JSON API's per-user tokens (kept hashed, like sessions),
     * and full-text search over items for the editors' Recent page:
     * title and plain-text summary. New items are indexed in bulk by
     * store_search_catch_up() after each polling round (one insert per
     * item from a trigger cost the poller as much again as parsing);
     * search_state.indexed is the last item id indexed, and edits or
     * deletes of indexed items are kept in step by triggers. */
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL,"
    "  last_used INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX api_tokens_user ON api_tokens(user_id);"
    "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary,"
    "  content='items', content_rowid='id');"
    "CREATE TABLE search_state ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  indexed INTEGER NOT NULL"
    ");"
    "INSERT INTO search_state VALUES (1, 0);"
    "CREATE TRIGGER items_fts_ad AFTER DELETE ON items"
    " WHEN old.id <= (SELECT indexed FROM search_state) BEGIN"
    "  INSERT INTO items_fts (items_fts, rowid, title, summary)"
    "  VALUES ('delete', old.id, old.title, old.summary);"
    " END;"
    "CREATE TRIGGER items_fts_au AFTER UPDATE OF title, summary ON items"
    " WHEN old.id <= (SELECT indexed FROM search_state) BEGIN"
    "  INSERT INTO items_fts (items_fts, rowid, title, summary)"
    "  VALUES ('delete', old.id, old.title, old.summary);"
    "  INSERT INTO items_fts (rowid, title, summary)"
    "  VALUES (new.id, new.title, new.summary);"
    " END;",
    /* 10: a user's teams are part of their profile (gems may name a team
     * as audience): joining or leaving one, or the team's removal (the
     * cascade deletes its members), bumps the revision so the daemon
     * rescores them. And the editors' Recent page reads the newest items
     * by their date (published, unless unknown or after arrival) from an
     * index instead of sorting every item. */
    "CREATE TRIGGER team_members_ai AFTER INSERT ON team_members BEGIN"
    "  UPDATE users SET profile_rev = profile_rev + 1 WHERE id = new.user_id;"
    " END;"
    "CREATE TRIGGER team_members_ad AFTER DELETE ON team_members BEGIN"
    "  UPDATE users SET profile_rev = profile_rev + 1 WHERE id = old.user_id;"
    " END;"
    "CREATE INDEX items_recent ON items((CASE WHEN published > 0"
    "  AND published < fetched THEN published ELSE fetched END) DESC,"
    "  id DESC);",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION must equal the number of migrations");

/* Every statement the store runs, prepared once on first use. */
enum stmt_id {
    S_USER_ADD, S_USER_FIND, S_USER_LIST, S_USER_COUNT,
    S_FEED_FIND, S_FEED_REMOVE, S_FEED_GET, S_FEED_LIST,
    S_FEED_DUE, S_FEED_NEXT_DUE, S_FEED_OK, S_FEED_FAIL,
    S_FEED_IMPORT, S_FEED_MOVE, S_FEED_SPREAD, S_FEED_REFRESH, S_FEED_WHEN,
    S_ITEM_ADD, S_SUB_ADD, S_SUB_COUNT, S_INTEREST_ADD, S_INTEREST_LIST,
    S_ITEM_LIST, S_ITEM_LIST_FEED, S_ITEM_COUNT, S_ITEMS_FOR_USER,
    S_DIGEST_ADD, S_DIGEST_USER, S_USER_BUMP,
    N_STMTS
};

_Static_assert(N_STMTS <= STORE_N_BASE, "raise STORE_N_BASE");

static int tx_begin(struct store *st, int *own);
static int tx_end(struct store *st, int own, int rc);
static int each_row(struct store *st, sqlite3_stmt *s, const char *what,
                    int (*row)(sqlite3_stmt *s, void *cb, void *ctx),
                    void *cb, void *ctx);

/* FEED_COLS_A, the item count, then FEED_COLS_B: the due query leaves
 * the count out (it runs for every feed of a round). */
#define FEED_COLS_A \
    "f.id, f.url, f.title, f.origin, f.etag, f.last_modified, f.next_poll," \
    " f.last_poll, f.last_success, f.last_status, f.failures," \
    " f.last_error, "
#define FEED_COLS_B \
    ", f.site_url, f.category, f.body_hash, f.last_failure," \
    " f.disabled_at, f.disabled_reason, f.poll_interval, f.ttl," \
    " f.skip_hours, f.skip_days, f.update_period"
#define FEED_COLS FEED_COLS_A \
    "(SELECT count(*) FROM items i WHERE i.feed_id = f.id)" FEED_COLS_B

#define ITEM_COLS \
    "i.id, i.feed_id, f.title, i.guid, i.title, i.link, i.author," \
    " i.summary, i.published, i.fetched, i.html"

static const char *const stmt_sql[N_STMTS] = {
    [S_USER_ADD] = "INSERT INTO users (name, email, created) VALUES (?, ?, ?)",
    [S_USER_FIND] = "SELECT id FROM users WHERE name = ?",
    [S_USER_LIST] = "SELECT id, name, email, created, last_digest,"
                    " digest_cursor FROM users ORDER BY id",
    [S_USER_COUNT] = "SELECT count(*) FROM users",
    [S_FEED_FIND] = "SELECT id FROM feeds WHERE url = ?",
    [S_FEED_REMOVE] = "DELETE FROM feeds WHERE id = ?",
    [S_FEED_GET] = "SELECT " FEED_COLS " FROM feeds f WHERE f.id = ?",
    [S_FEED_LIST] = "SELECT " FEED_COLS " FROM feeds f ORDER BY f.id",
    [S_FEED_DUE] = "SELECT " FEED_COLS_A "0" FEED_COLS_B " FROM feeds f"
                   " WHERE f.disabled_at = 0 AND f.next_poll <= ?"
                   " ORDER BY f.next_poll, f.id",
    [S_FEED_NEXT_DUE] = "SELECT min(next_poll) FROM feeds"
                        " WHERE disabled_at = 0",
    /* ?8: unchanged (304): validators the answer left out are kept. */
    [S_FEED_OK] = "UPDATE feeds SET last_poll = ?1, last_success = ?1,"
                  " next_poll = ?2, last_status = ?3,"
                  " etag = CASE WHEN ?8 THEN coalesce(?4, etag) ELSE ?4 END,"
                  " last_modified = CASE WHEN ?8"
                  " THEN coalesce(?5, last_modified) ELSE ?5 END,"
                  " title = coalesce(?6, title),"
                  " failures = 0, last_error = NULL,"
                  " body_hash = coalesce(?9, body_hash),"
                  " poll_interval = CASE WHEN ?10 > 0 THEN ?10"
                  " ELSE poll_interval END,"
                  " site_url = coalesce(?11, site_url),"
                  " ttl = CASE WHEN ?12 THEN ?13 ELSE ttl END,"
                  " skip_hours = CASE WHEN ?12 THEN ?14 ELSE skip_hours END,"
                  " skip_days = CASE WHEN ?12 THEN ?15 ELSE skip_days END,"
                  " update_period = CASE WHEN ?12 THEN ?16"
                  " ELSE update_period END,"
                  " disabled_at = 0, disabled_reason = NULL WHERE id = ?7",
    [S_FEED_FAIL] = "UPDATE feeds SET last_poll = ?1, next_poll = ?2,"
                    " last_status = ?3, last_error = ?4,"
                    " failures = failures + 1, last_failure = ?1,"
                    " disabled_at = CASE WHEN ?6 IS NULL THEN disabled_at"
                    " ELSE ?1 END,"
                    " disabled_reason = coalesce(?6, disabled_reason)"
                    " WHERE id = ?5",
    [S_FEED_IMPORT] = "INSERT INTO feeds (url, origin, created, title,"
                      " site_url, category) VALUES (?, ?, ?, ?, ?, ?)",
    [S_FEED_MOVE] = "UPDATE feeds SET url = ?1 WHERE id = ?2",
    /* Brought forward only when not due already and not polled within
     * the gap: repeated "refresh now" requests make one fetch. */
    [S_FEED_REFRESH] = "UPDATE feeds SET next_poll = ?2 WHERE id = ?1"
                       " AND disabled_at = 0 AND next_poll > ?2"
                       " AND last_poll <= ?2 - ?3",
    [S_FEED_WHEN] = "SELECT next_poll, last_poll, disabled_at FROM feeds"
                    " WHERE id = ?",
    /* A fixed multiplier spreads consecutive ids over the window. */
    [S_FEED_SPREAD] = "UPDATE feeds SET next_poll = ?1 + (id * 7919) % ?2"
                      " WHERE disabled_at = 0 AND next_poll < ?1"
                      " AND last_poll > 0",
    [S_ITEM_ADD] = "INSERT INTO items (feed_id, guid, title, link, author,"
                   " summary, published, updated, fetched, html, language,"
                   " tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT (feed_id, guid) DO NOTHING",
    [S_SUB_ADD] = "INSERT INTO subscriptions (user_id, feed_id, created)"
                  " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    [S_SUB_COUNT] = "SELECT count(*) FROM subscriptions WHERE user_id = ?",
    [S_INTEREST_ADD] = "INSERT INTO interests (user_id, term, weight)"
                       " VALUES (?, ?, ?) ON CONFLICT (user_id, term)"
                       " DO UPDATE SET weight = excluded.weight",
    [S_INTEREST_LIST] = "SELECT term, weight FROM interests"
                        " WHERE user_id = ? ORDER BY weight DESC, term",
    [S_ITEM_LIST] = "SELECT " ITEM_COLS " FROM items i"
                    " JOIN feeds f ON f.id = i.feed_id"
                    " ORDER BY i.id DESC LIMIT ?",
    [S_ITEM_LIST_FEED] = "SELECT " ITEM_COLS " FROM items i"
                         " JOIN feeds f ON f.id = i.feed_id"
                         " WHERE i.feed_id = ? ORDER BY i.id DESC LIMIT ?",
    [S_ITEM_COUNT] = "SELECT count(*) FROM items",
    [S_ITEMS_FOR_USER] = "SELECT " ITEM_COLS " FROM subscriptions s"
                         " JOIN items i ON i.feed_id = s.feed_id"
                         " JOIN feeds f ON f.id = i.feed_id"
                         " WHERE s.user_id = ? AND i.id > ?"
                         " ORDER BY i.id LIMIT ?",
    [S_DIGEST_ADD] = "INSERT INTO digests (user_id, created, cursor, items,"
                     " path) VALUES (?, ?, ?, ?, ?)",
    [S_USER_BUMP] = "UPDATE users SET profile_rev = profile_rev + 1"
                    " WHERE id = ?",
    [S_DIGEST_USER] = "UPDATE users SET last_digest = ?, digest_cursor ="
                      " max(digest_cursor, ?) WHERE id = ?",
};

static int
db_error(struct store *st, const char *what)
{
    log_err("store %s failed db=%s err=%s", what, st->path,
            sqlite3_errmsg(st->db));
    return CUR_ESTORE;
}

static sqlite3_stmt *
stmt(struct store *st, enum stmt_id id)
{
    sqlite3_stmt *s = st->stmts[id];
    if (s == NULL) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
                               SQLITE_PREPARE_PERSISTENT, &s, NULL)
            != SQLITE_OK) {
            db_error(st, "prepare");
            return NULL;
        }
        st->stmts[id] = s;
    }
    return s;
}

/* Run a statement that returns no rows, then reset it. */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
    /* Extended result codes are on: the low byte is the primary code. */
    int rc = sqlite3_step(s);
    int ret = CUR_OK;

    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        ret = CUR_EEXIST;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        ret = CUR_ENOTFOUND;
    else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = db_error(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ret;
}

/* Run a one-row, one-integer query. */
static int
query_int(struct store *st, sqlite3_stmt *s, long long *out, const char *what)
{
    int rc = sqlite3_step(s);
    int ret = CUR_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else if (rc == SQLITE_DONE)
        ret = CUR_ENOTFOUND;
    else
        ret = db_error(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ret;
}

static int
exec(struct store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_err("store %s failed db=%s err=%s", what, st->path,
                msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        return CUR_ESTORE;
    }
    return CUR_OK;
}

static void
bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

sqlite3_stmt *
store_xstmt(struct store *st, enum store_xstmt slot, const char *sql)
{
    sqlite3_stmt *s = st->xstmts[slot];
    if (s == NULL) {
        if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &s, NULL) != SQLITE_OK) {
            db_error(st, "prepare");
            return NULL;
        }
        st->xstmts[slot] = s;
    }
    return s;
}

int
store_each_row(struct store *st, sqlite3_stmt *s, const char *what,
               int (*row)(sqlite3_stmt *s, void *cb, void *ctx), void *cb,
               void *ctx)
{
    return each_row(st, s, what, row, cb, ctx);
}

int
store_relaxed(struct store *st, int relaxed)
{
    return exec(st, relaxed ? "PRAGMA synchronous = NORMAL"
                            : "PRAGMA synchronous = FULL", "synchronous");
}

int
store_nest_begin(struct store *st, int *own)
{
    return tx_begin(st, own);
}

int
store_nest_end(struct store *st, int own, int rc)
{
    return tx_end(st, own, rc);
}

int
store_db_error(struct store *st, const char *what)
{
    return db_error(st, what);
}

int
store_query_int(struct store *st, sqlite3_stmt *s, long long *out,
                const char *what)
{
    return query_int(st, s, out, what);
}

int
store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
    return step_done(st, s, what);
}

int
store_step_changed(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = step_done(st, s, what);
    if (rc == CUR_OK && sqlite3_changes(st->db) == 0)
        rc = CUR_ENOTFOUND;
    return rc;
}

int
store_profile_bump(struct store *st, long long user_id)
{
    sqlite3_stmt *s = stmt(st, S_USER_BUMP);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_step_changed(st, s, "profile revision");
}

int
store_profile_change(struct store *st, sqlite3_stmt *s, long long user_id,
                     const char *what, int must_change)
{
    int own, rc = store_nest_begin(st, &own);
    if (rc != CUR_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return rc;
    }
    rc = must_change ? store_step_changed(st, s, what)
                     : step_done(st, s, what);
    if (rc == CUR_OK)
        rc = store_profile_bump(st, user_id);
    return store_nest_end(st, own, rc);
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    bind_text(s, i, v);
}

char *
store_join_tags(const char *const *tags, size_t n)
{
    size_t len = 0;
    char *out, *p;

    for (size_t i = 0; i < n; i++)
        len += strlen(tags[i]) + 1;
    if (len == 0 || (out = malloc(len)) == NULL)
        return NULL;
    p = out;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(tags[i]);
        memcpy(p, tags[i], k);
        p += k;
        *p++ = '\n';
    }
    p[-1] = '\0';
    return out;
}

static int
pragma_text(struct store *st, const char *sql, char *out, size_t len)
{
    sqlite3_stmt *s;
    int ret = CUR_ESTORE;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_error(st, "pragma");
    if (sqlite3_step(s) == SQLITE_ROW && col_text(s, 0)) {
        snprintf(out, len, "%s", col_text(s, 0));
        ret = CUR_OK;
    } else {
        db_error(st, "pragma");
    }
    sqlite3_finalize(s);
    return ret;
}

int
store_schema_version(struct store *st, int *version)
{
    char v[32];
    int rc = pragma_text(st, "PRAGMA user_version", v, sizeof v);
    if (rc == CUR_OK)
        *version = atoi(v);
    return rc;
}

static int
migrate(struct store *st)
{
    int version, rc;

    /* Up to date: no write lock needed (another connection may hold
     * it for a while, and opening must not wait for it). */
    if ((rc = store_schema_version(st, &version)) != CUR_OK)
        return rc;
    if (version == N_MIGRATIONS)
        return CUR_OK;
    /* IMMEDIATE: two processes starting at once must not both migrate. */
    if ((rc = exec(st, "BEGIN IMMEDIATE", "migration")) != CUR_OK)
        return rc;
    if ((rc = store_schema_version(st, &version)) != CUR_OK)
        goto fail;
    if (version > N_MIGRATIONS) {
        log_err("store schema too new db=%s schema=%d known=%d hint=\"this "
                "database was written by a newer Curator; run that version "
                "or restore a backup\"", st->path, version, N_MIGRATIONS);
        rc = CUR_ESCHEMA;
        goto fail;
    }
    for (int v = version; v < N_MIGRATIONS; v++) {
        char sql[64];
        if ((rc = exec(st, migrations[v], "migration")) != CUR_OK)
            goto fail;
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
        if ((rc = exec(st, sql, "migration")) != CUR_OK)
            goto fail;
        log_info("store migrated db=%s schema=%d", st->path, v + 1);
    }
    return exec(st, "COMMIT", "migration");
fail:
    exec(st, "ROLLBACK", "migration rollback");
    return rc;
}

int
store_open(const char *path, struct store **out)
{
    struct store *st = calloc(1, sizeof *st);
    int rc = CUR_ENOMEM;
    char mode[32];

    *out = NULL;
    if (st == NULL || (st->path = strdup(path)) == NULL)
        goto fail;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE
                        | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        rc = db_error(st, "open");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 1);
    rc = pragma_text(st, "PRAGMA journal_mode = WAL", mode, sizeof mode);
    if (rc != CUR_OK)
        goto fail;
    if (strcmp(mode, "wal") != 0 && strcmp(path, ":memory:") != 0) {
        log_err("store cannot use WAL db=%s journal_mode=%s", path, mode);
        rc = CUR_ESTORE;
        goto fail;
    }
    /* A larger page cache than SQLite's 2 MB: scoring writes rows for
     * many users at once and reads them back by user. Each handle has
     * its own, and curatord holds several: it stays small. */
    rc = exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
              " PRAGMA cache_size = -8192;",
              "pragma");
    if (rc != CUR_OK)
        goto fail;
    if ((rc = migrate(st)) != CUR_OK)
        goto fail;
    *out = st;
    return CUR_OK;
fail:
    store_close(st);
    return rc;
}

void
store_close(struct store *st)
{
    if (st == NULL)
        return;
    for (int i = 0; i < N_STMTS; i++)
        sqlite3_finalize(st->stmts[i]);
    for (int i = 0; i < SX_N; i++)
        sqlite3_finalize(st->xstmts[i]);
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

void
store_map_reads(struct store *st, long long bytes)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA mmap_size = %lld", bytes);
    exec(st, sql, "pragma");     /* without it, reads are copied: slower */
}

int
store_begin(struct store *st)
{
    return exec(st, "BEGIN IMMEDIATE", "begin");
}

int
store_commit(struct store *st)
{
    return exec(st, "COMMIT", "commit");
}

void
store_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        exec(st, "ROLLBACK", "rollback");
}

/* Begin a write: a transaction, or a savepoint inside the caller's, so
 * that a failed call undoes all of its own work and nothing else; *own
 * says whether the transaction is ours. */
static int
tx_begin(struct store *st, int *own)
{
    *own = sqlite3_get_autocommit(st->db);
    return *own ? store_begin(st) : exec(st, "SAVEPOINT store_call",
                                         "savepoint");
}

static int
tx_end(struct store *st, int own, int rc)
{
    if (!own) {
        if (rc != CUR_OK)
            exec(st, "ROLLBACK TO store_call", "rollback to savepoint");
        int rrc = exec(st, "RELEASE store_call", "release savepoint");
        return rc != CUR_OK ? rc : rrc;
    }
    if (rc == CUR_OK)
        return store_commit(st);
    store_rollback(st);
    return rc;
}

int
store_user_add(struct store *st, const char *name, const char *email,
               long long *id)
{
    if (!valid_user_name(name) || !valid_email(email))
        return CUR_EINVAL;
    sqlite3_stmt *s = stmt(st, S_USER_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    bind_text(s, 1, name);
    bind_text(s, 2, email);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    int rc = step_done(st, s, "user add");
    if (rc == CUR_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int
store_user_find(struct store *st, const char *name, long long *id)
{
    sqlite3_stmt *s = stmt(st, S_USER_FIND);
    if (s == NULL)
        return CUR_ESTORE;
    bind_text(s, 1, name);
    return query_int(st, s, id, "user find");
}

int
store_user_count(struct store *st, long long *n)
{
    sqlite3_stmt *s = stmt(st, S_USER_COUNT);
    return s ? query_int(st, s, n, "user count") : CUR_ESTORE;
}

/* Step through rows, calling 'row' for each; ends with a reset. */
static int
each_row(struct store *st, sqlite3_stmt *s, const char *what,
         int (*row)(sqlite3_stmt *s, void *cb, void *ctx), void *cb,
         void *ctx)
{
    int rc, ret = CUR_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ret = row(s, cb, ctx);
        if (ret != 0)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = db_error(st, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ret;
}

static int
user_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_user u = {
        .id = sqlite3_column_int64(s, 0),
        .name = col_text(s, 1),
        .email = col_text(s, 2),
        .created = sqlite3_column_int64(s, 3),
        .last_digest = sqlite3_column_int64(s, 4),
        .digest_cursor = sqlite3_column_int64(s, 5),
    };
    return ((store_user_cb)cb)(ctx, &u);
}

int
store_user_list(struct store *st, store_user_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, S_USER_LIST);
    return s ? each_row(st, s, "user list", user_row, (void *)cb, ctx)
             : CUR_ESTORE;
}

int
store_feed_add(struct store *st, const char *url, const char *origin,
               long long *id)
{
    return store_feed_import(st, url, NULL, NULL, NULL, origin, id);
}

int
store_feed_find(struct store *st, const char *url, long long *id)
{
    sqlite3_stmt *s = stmt(st, S_FEED_FIND);
    if (s == NULL)
        return CUR_ESTORE;
    bind_text(s, 1, url);
    return query_int(st, s, id, "feed find");
}

int
store_feed_remove(struct store *st, long long id)
{
    sqlite3_stmt *s = stmt(st, S_FEED_REMOVE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = step_done(st, s, "feed remove");
    if (rc == CUR_OK && sqlite3_changes(st->db) == 0)
        return CUR_ENOTFOUND;
    return rc;
}

static int
feed_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_feed f = {
        .id = sqlite3_column_int64(s, 0),
        .url = col_text(s, 1),
        .title = col_text(s, 2),
        .origin = col_text(s, 3),
        .etag = col_text(s, 4),
        .last_modified = col_text(s, 5),
        .next_poll = sqlite3_column_int64(s, 6),
        .last_poll = sqlite3_column_int64(s, 7),
        .last_success = sqlite3_column_int64(s, 8),
        .last_status = sqlite3_column_int(s, 9),
        .failures = sqlite3_column_int(s, 10),
        .last_error = col_text(s, 11),
        .items = sqlite3_column_int64(s, 12),
        .site_url = col_text(s, 13),
        .category = col_text(s, 14),
        .body_hash = col_text(s, 15),
        .last_failure = sqlite3_column_int64(s, 16),
        .disabled_at = sqlite3_column_int64(s, 17),
        .disabled_reason = col_text(s, 18),
        .poll_interval = (long)sqlite3_column_int64(s, 19),
        .ttl = (long)sqlite3_column_int64(s, 20),
        .skip_hours = (unsigned)sqlite3_column_int64(s, 21),
        .skip_days = (unsigned)sqlite3_column_int64(s, 22),
        .update_period = (long)sqlite3_column_int64(s, 23),
    };
    return ((store_feed_cb)cb)(ctx, &f);
}

/* Counts rows so store_feed_get can tell "none" from "stopped". */
struct one_feed {
    store_feed_cb cb;
    void *ctx;
    int found;
};

static int
one_feed_row(void *ctx, const struct store_feed *f)
{
    struct one_feed *o = ctx;
    o->found = 1;
    return o->cb(o->ctx, f);
}

int
store_feed_get(struct store *st, long long id, store_feed_cb cb, void *ctx)
{
    struct one_feed o = { cb, ctx, 0 };
    sqlite3_stmt *s = stmt(st, S_FEED_GET);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    int rc = each_row(st, s, "feed get", feed_row, (void *)one_feed_row, &o);
    if (rc == CUR_OK && !o.found)
        return CUR_ENOTFOUND;
    return rc;
}

int
store_feed_list(struct store *st, store_feed_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, S_FEED_LIST);
    return s ? each_row(st, s, "feed list", feed_row, (void *)cb, ctx)
             : CUR_ESTORE;
}

int
store_feed_due(struct store *st, long long now, store_feed_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, S_FEED_DUE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    return each_row(st, s, "feed due", feed_row, (void *)cb, ctx);
}

int
store_feed_next_due(struct store *st, long long *when)
{
    sqlite3_stmt *s = stmt(st, S_FEED_NEXT_DUE);
    if (s == NULL)
        return CUR_ESTORE;
    *when = 0;
    return query_int(st, s, when, "feed next due");
}

int
store_feed_import(struct store *st, const char *url, const char *title,
                  const char *site_url, const char *category,
                  const char *origin, long long *id)
{
    sqlite3_stmt *s = stmt(st, S_FEED_IMPORT);
    if (s == NULL)
        return CUR_ESTORE;
    bind_text(s, 1, url);
    bind_text(s, 2, origin);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    bind_text(s, 4, title);
    bind_text(s, 5, site_url);
    bind_text(s, 6, category);
    int rc = step_done(st, s, "feed import");
    if (rc == CUR_OK) {
        if (id)
            *id = sqlite3_last_insert_rowid(st->db);
    } else if (rc == CUR_EEXIST && id) {
        int frc = store_feed_find(st, url, id);
        if (frc != CUR_OK)
            return frc;
    }
    return rc;
}

int
store_feed_move(struct store *st, long long id, const char *url)
{
    sqlite3_stmt *s = stmt(st, S_FEED_MOVE);
    if (s == NULL)
        return CUR_ESTORE;
    bind_text(s, 1, url);
    sqlite3_bind_int64(s, 2, id);
    int rc = step_done(st, s, "feed move");
    if (rc == CUR_OK && sqlite3_changes(st->db) == 0)
        return CUR_ENOTFOUND;
    return rc;
}

int
store_feed_refresh(struct store *st, long long id, long long now, long gap,
                   long long *when)
{
    sqlite3_stmt *s = stmt(st, S_FEED_REFRESH);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, gap);
    int rc = step_done(st, s, "feed refresh");
    if (rc != CUR_OK)
        return rc;
    if (sqlite3_changes(st->db) == 1) {
        if (when)
            *when = now;
        return CUR_OK;
    }
    /* Why not: gone, disabled, due already, or polled a moment ago. */
    if ((s = stmt(st, S_FEED_WHEN)) == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : db_error(st, "feed refresh");
        sqlite3_reset(s);
        return rc;
    }
    long long next = sqlite3_column_int64(s, 0);
    long long last = sqlite3_column_int64(s, 1);
    long long disabled = sqlite3_column_int64(s, 2);
    sqlite3_reset(s);
    if (disabled)
        return CUR_EINVAL;
    if (when)
        *when = next <= now ? next : last + gap;
    return CUR_EEXIST;
}

int
store_feed_spread(struct store *st, long long now, long window,
                  long long *n)
{
    if (n)
        *n = 0;
    if (window <= 0)
        return CUR_OK;
    sqlite3_stmt *s = stmt(st, S_FEED_SPREAD);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, window);
    int rc = step_done(st, s, "feed spread");
    if (rc == CUR_OK && n)
        *n = sqlite3_changes(st->db);
    return rc;
}

static int
put_items(struct store *st, long long feed_id, const struct feed *f,
          long long now, int *n_new)
{
    sqlite3_stmt *s = stmt(st, S_ITEM_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    for (size_t i = 0; i < f->n_items; i++) {
        const struct item *it = &f->items[i];
        sqlite3_bind_int64(s, 1, feed_id);
        bind_text(s, 2, it->guid);
        bind_text(s, 3, it->title ? it->title : "");
        bind_text(s, 4, it->link);
        bind_text(s, 5, it->n_authors ? (it->authors[0].name
                                         ? it->authors[0].name
                                         : it->authors[0].email) : NULL);
        bind_text(s, 6, it->text);
        sqlite3_bind_int64(s, 7, it->published);
        sqlite3_bind_int64(s, 8, it->updated);
        sqlite3_bind_int64(s, 9, now);
        bind_text(s, 10, it->html);
        bind_text(s, 11, it->language);
        char *tags = store_join_tags((const char *const *)it->tags,
                                     it->n_tags);
        bind_text(s, 12, tags);
        free(tags);
        int rc = step_done(st, s, "item add");
        if (rc != CUR_OK)
            return rc;
        *n_new += sqlite3_changes(st->db);
    }
    return CUR_OK;
}

int
store_feed_polled(struct store *st, long long feed_id,
                  const struct store_poll *p, const struct feed *f,
                  int *n_new)
{
    int own, rc, added = 0;
    sqlite3_stmt *s;

    if ((rc = tx_begin(st, &own)) != CUR_OK)
        return rc;
    if (p->error == NULL) {
        s = stmt(st, S_FEED_OK);
        if (s == NULL) {
            rc = CUR_ESTORE;
            goto out;
        }
        sqlite3_bind_int64(s, 1, p->now);
        sqlite3_bind_int64(s, 2, p->next_poll);
        sqlite3_bind_int(s, 3, p->status);
        bind_text(s, 4, p->etag);
        bind_text(s, 5, p->last_modified);
        bind_text(s, 6, p->title);
        sqlite3_bind_int64(s, 7, feed_id);
        sqlite3_bind_int(s, 8, p->unchanged);
        bind_text(s, 9, p->body_hash);
        sqlite3_bind_int64(s, 10, p->interval);
        bind_text(s, 11, p->site_url);
        sqlite3_bind_int(s, 12, p->has_hints);
        sqlite3_bind_int64(s, 13, p->ttl);
        sqlite3_bind_int64(s, 14, p->skip_hours);
        sqlite3_bind_int64(s, 15, p->skip_days);
        sqlite3_bind_int64(s, 16, p->update_period);
    } else {
        s = stmt(st, S_FEED_FAIL);
        if (s == NULL) {
            rc = CUR_ESTORE;
            goto out;
        }
        sqlite3_bind_int64(s, 1, p->now);
        sqlite3_bind_int64(s, 2, p->next_poll);
        sqlite3_bind_int(s, 3, p->status);
        bind_text(s, 4, p->error);
        sqlite3_bind_int64(s, 5, feed_id);
        bind_text(s, 6, p->disable);
    }
    rc = step_done(st, s, "feed poll update");
    if (rc == CUR_OK && sqlite3_changes(st->db) == 0)
        rc = CUR_ENOTFOUND;     /* removed while it was being fetched */
    if (rc == CUR_OK && p->error == NULL && f != NULL)
        rc = put_items(st, feed_id, f, p->now, &added);
out:
    rc = tx_end(st, own, rc);
    if (n_new)
        *n_new = rc == CUR_OK ? added : 0;
    return rc;
}

int
store_subscribe(struct store *st, long long user_id, long long feed_id)
{
    sqlite3_stmt *s = stmt(st, S_SUB_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    int own, rc = store_nest_begin(st, &own);
    if (rc != CUR_OK)
        return rc;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, feed_id);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    rc = step_done(st, s, "subscribe");
    /* What a user sees changed: their scores need a look. */
    if (rc == CUR_OK && sqlite3_changes(st->db) > 0)
        rc = store_profile_bump(st, user_id);
    return store_nest_end(st, own, rc);
}

int
store_subscription_count(struct store *st, long long user_id, long long *n)
{
    sqlite3_stmt *s = stmt(st, S_SUB_COUNT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return query_int(st, s, n, "subscription count");
}

int
store_interest_add(struct store *st, long long user_id, const char *term,
                   double weight)
{
    return store_interest_put(st, user_id, term, weight, 0, 0);
}

static int
interest_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_interest in = {
        .term = col_text(s, 0),
        .weight = sqlite3_column_double(s, 1),
    };
    return ((store_interest_cb)cb)(ctx, &in);
}

int
store_interest_list(struct store *st, long long user_id,
                    store_interest_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, S_INTEREST_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return each_row(st, s, "interest list", interest_row, (void *)cb, ctx);
}

static int
item_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_item it = {
        .id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .feed_title = col_text(s, 2),
        .guid = col_text(s, 3),
        .title = col_text(s, 4),
        .link = col_text(s, 5),
        .author = col_text(s, 6),
        .summary = col_text(s, 7),
        .published = sqlite3_column_int64(s, 8),
        .fetched = sqlite3_column_int64(s, 9),
        .html = col_text(s, 10),
    };
    return ((store_item_cb)cb)(ctx, &it);
}

int
store_item_list(struct store *st, long long feed_id, int limit,
                store_item_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, feed_id ? S_ITEM_LIST_FEED : S_ITEM_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    int i = 1;
    if (feed_id)
        sqlite3_bind_int64(s, i++, feed_id);
    sqlite3_bind_int(s, i, limit);
    return each_row(st, s, "item list", item_row, (void *)cb, ctx);
}

int
store_item_count(struct store *st, long long *n)
{
    sqlite3_stmt *s = stmt(st, S_ITEM_COUNT);
    return s ? query_int(st, s, n, "item count") : CUR_ESTORE;
}

int
store_items_for_user(struct store *st, long long user_id, long long after_id,
                     int limit, store_item_cb cb, void *ctx)
{
    sqlite3_stmt *s = stmt(st, S_ITEMS_FOR_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, after_id);
    sqlite3_bind_int(s, 3, limit);
    return each_row(st, s, "items for user", item_row, (void *)cb, ctx);
}

int
store_digest_done(struct store *st, long long user_id, long long now,
                  long long cursor, int n_items, const char *path)
{
    int own, rc;
    if ((rc = tx_begin(st, &own)) != CUR_OK)
        return rc;
    sqlite3_stmt *s = stmt(st, S_DIGEST_ADD);
    if (s == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, cursor);
    sqlite3_bind_int(s, 4, n_items);
    bind_text(s, 5, path);
    if ((rc = step_done(st, s, "digest add")) != CUR_OK)
        goto out;
    s = stmt(st, S_DIGEST_USER);
    if (s == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, cursor);
    sqlite3_bind_int64(s, 3, user_id);
    rc = step_done(st, s, "digest user update");
out:
    return tx_end(st, own, rc);
}
