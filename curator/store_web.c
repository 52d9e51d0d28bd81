/* The store's side of the web page: passwords (argon2id through
 * libsodium), login sessions and invitations kept as hashes of their
 * tokens, failed logins for rate limiting, the portfolio of saved items,
 * the journal with its full-text index, profile rows as the pages edit
 * them, and the few reads the pages need in one query each (the Today
 * ranking above all). What a page shows and how input is checked is the
 * web's business; here every write is one statement or one nested
 * transaction, and every change to what scores depend on bumps the
 * user's profile revision, as store_profile.c does.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"
#include "valid.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REF_COLS \
    "i.id, i.feed_id, f.url, f.title, i.guid, i.title, i.link, i.published"

#define JOURNAL_COLS \
    "j.id, " REF_COLS ", j.body, j.created, j.updated FROM journal j" \
    " LEFT JOIN items i ON i.id = j.item_id" \
    " LEFT JOIN feeds f ON f.id = i.feed_id"

#define ITEM_COLS \
    "i.id, i.feed_id, f.title, i.guid, i.title, i.link, i.author," \
    " i.summary, i.published, i.fetched, i.html"

#define JOURNAL_QUERY_WORDS 16      /* words of a search kept */

static const char *const sql[SX_N] = {
    [SX_W_PW_SET] = "UPDATE users SET password_hash = ? WHERE id = ?",
    [SX_W_PW_GET] = "SELECT id, coalesce(password_hash, '') FROM users"
                    " WHERE name = ?",
    [SX_W_USER_INFO] = "SELECT id, name, email, role, created,"
                       " password_hash IS NOT NULL FROM users WHERE id = ?",
    [SX_W_USER_EMAIL] = "UPDATE users SET email = ? WHERE id = ?",
    [SX_W_USER_DEL] = "DELETE FROM users WHERE id = ?",
    [SX_W_SESS_ADD] = "INSERT INTO sessions (token_hash, user_id, csrf,"
                      " created, last_seen, ip) VALUES (?, ?, ?, ?, ?, ?)",
    [SX_W_SESS_GET] = "SELECT s.user_id, u.name, u.role, s.csrf, s.created,"
                      " s.last_seen FROM sessions s"
                      " JOIN users u ON u.id = s.user_id"
                      " WHERE s.token_hash = ?1 AND s.last_seen > ?2 - ?3"
                      " AND s.created > ?2 - ?4",
    [SX_W_SESS_TOUCH] = "UPDATE sessions SET last_seen = ?2"
                        " WHERE token_hash = ?1",
    [SX_W_SESS_DEL] = "DELETE FROM sessions WHERE token_hash = ?",
    [SX_W_SESS_DEL_USER] = "DELETE FROM sessions WHERE user_id = ?1"
                           " AND token_hash IS NOT ?2",
    [SX_W_SESS_PURGE] = "DELETE FROM sessions WHERE last_seen <= ?1 - ?2"
                        " OR created <= ?1 - ?3",
    [SX_W_LOGIN_ADD] = "INSERT INTO login_attempts (account, ip, at)"
                       " VALUES (?, ?, ?)",
    [SX_W_LOGIN_ACCOUNT] = "SELECT count(*) FROM login_attempts"
                           " WHERE account = ? AND at >= ?",
    [SX_W_LOGIN_IP] = "SELECT count(*) FROM login_attempts"
                      " WHERE ip = ? AND at >= ?",
    [SX_W_LOGIN_FORGET] = "DELETE FROM login_attempts WHERE account = ?",
    [SX_W_LOGIN_PURGE] = "DELETE FROM login_attempts WHERE at < ?",
    [SX_W_INVITE_ADD] = "INSERT INTO invites (token_hash, role, created_by,"
                        " created, expires) VALUES (?, ?, ?, ?, ?)",
    [SX_W_INVITE_CHECK] = "SELECT role FROM invites WHERE token_hash = ?"
                          " AND used = 0 AND expires > ?",
    [SX_W_INVITE_USE] = "UPDATE invites SET used = ?2, used_by = ?3"
                        " WHERE token_hash = ?1 AND used = 0"
                        " AND expires > ?2",
    [SX_W_SAVED_PUT] = "INSERT INTO saved_items (user_id, item_id, note,"
                       " created, updated)"
                       " VALUES (?1, ?2, coalesce(?3, ''), ?4, ?4)"
                       " ON CONFLICT (user_id, item_id) DO UPDATE SET"
                       " note = coalesce(?3, note),"
                       " updated = CASE WHEN ?3 IS NULL THEN updated"
                       " ELSE ?4 END",
    [SX_W_SAVED_DEL] = "DELETE FROM saved_items WHERE user_id = ?"
                       " AND item_id = ?",
    [SX_W_SAVED_LIST] = "SELECT " REF_COLS ", s.note,"
                        " substr(i.summary, 1, 600), s.created, s.updated"
                        " FROM saved_items s"
                        " JOIN items i ON i.id = s.item_id"
                        " JOIN feeds f ON f.id = i.feed_id"
                        " WHERE s.user_id = ?"
                        " ORDER BY s.created DESC, s.item_id DESC LIMIT ?",
    [SX_W_JOURNAL_ADD] = "INSERT INTO journal (user_id, item_id, body,"
                         " created, updated) VALUES (?, ?, ?, ?, ?)",
    [SX_W_JOURNAL_UPD] = "UPDATE journal SET body = ?3, updated = ?4"
                         " WHERE id = ?2 AND user_id = ?1",
    [SX_W_JOURNAL_DEL] = "DELETE FROM journal WHERE user_id = ? AND id = ?",
    [SX_W_JOURNAL_LIST] = "SELECT " JOURNAL_COLS " WHERE j.user_id = ?"
                          " ORDER BY j.created DESC, j.id DESC LIMIT ?",
    [SX_W_JOURNAL_SEARCH] = "SELECT " JOURNAL_COLS " WHERE j.user_id = ?1"
                            " AND j.id IN (SELECT rowid FROM journal_fts"
                            " WHERE journal_fts MATCH ?2)"
                            " ORDER BY j.created DESC, j.id DESC LIMIT ?3",
    [SX_W_JOURNAL_GET] = "SELECT " JOURNAL_COLS " WHERE j.user_id = ?"
                         " AND j.id = ?",
    [SX_W_GOAL_LIST] = "SELECT id, name FROM goals WHERE user_id = ?"
                       " ORDER BY id",
    [SX_W_GOAL_DEL] = "DELETE FROM goals WHERE user_id = ? AND id = ?",
    [SX_W_GOAL_OWNED] = "SELECT id FROM goals WHERE user_id = ? AND id = ?",
    [SX_W_GOAL_RENAME] = "UPDATE goals SET name = ?3 WHERE user_id = ?1"
                         " AND id = ?2",
    [SX_W_INTEREST_ROWS] = "SELECT i.id, i.term, i.weight,"
                           " coalesce(i.goal_id, 0), g.name, i.is_phrase"
                           " FROM interests i LEFT JOIN goals g"
                           " ON g.id = i.goal_id WHERE i.user_id = ?"
                           " ORDER BY i.id",
    [SX_W_INTEREST_SET] = "INSERT INTO interests (user_id, term, weight,"
                          " goal_id, is_phrase)"
                          " VALUES (?1, ?2, ?3, ?4, ?5)"
                          " ON CONFLICT (user_id, term) DO UPDATE SET"
                          " weight = excluded.weight,"
                          " goal_id = excluded.goal_id,"
                          " is_phrase = excluded.is_phrase",
    [SX_W_INTEREST_DEL] = "DELETE FROM interests WHERE user_id = ?"
                          " AND term = ?",
    [SX_W_MUTE_ROWS] = "SELECT m.id, m.term, coalesce(m.feed_id, 0),"
                       " f.title, f.url FROM mutes m"
                       " LEFT JOIN feeds f ON f.id = m.feed_id"
                       " WHERE m.user_id = ? ORDER BY m.id",
    [SX_W_MUTE_DEL] = "DELETE FROM mutes WHERE user_id = ? AND id = ?",
    [SX_W_SUB_LIST] = "SELECT f.id, f.url, f.title, f.site_url, f.category,"
                      " coalesce(w.weight, 1.0),"
                      " EXISTS (SELECT 1 FROM mutes m"
                      "  WHERE m.user_id = s.user_id AND m.feed_id = f.id),"
                      " f.last_success, f.last_error"
                      " FROM subscriptions s JOIN feeds f ON f.id = s.feed_id"
                      " LEFT JOIN source_weights w"
                      " ON w.user_id = s.user_id AND w.feed_id = s.feed_id"
                      " WHERE s.user_id = ?"
                      " ORDER BY coalesce(f.title, f.url) COLLATE NOCASE,"
                      " f.id",
    [SX_W_UNSUB] = "DELETE FROM subscriptions WHERE user_id = ?"
                   " AND feed_id = ?",
    /* The user's included scores are walked in score order (index
     * scores_rank, migration 8; '+' keeps the planner off the primary
     * key) until 'limit' fall in the window, which is an id range since
     * item ids rise with arrival; only those rows are joined to their
     * items (the summaries are the bulk). */
    [SX_W_RANKED] = "WITH top AS (SELECT s.item_id, s.score, s.reasons"
                    " FROM scores s WHERE s.user_id = ?1"
                    " AND +s.item_id >= coalesce((SELECT id FROM items"
                    "  WHERE fetched >= ?2 ORDER BY fetched, id LIMIT 1),"
                    "  9223372036854775807)"
                    " AND s.excluded_by IS NULL"
                    " ORDER BY s.score DESC, s.item_id DESC LIMIT ?4)"
                    " SELECT t.item_id, i.feed_id, i.title, i.link, f.title,"
                    " f.url, substr(i.summary, 1, 300), i.published,"
                    " i.fetched, t.score, t.reasons, coalesce(i.dup_of, 0),"
                    " coalesce(b.verdict, 0), v.item_id IS NOT NULL,"
                    " e.name, g.note"
                    " FROM top t JOIN items i ON i.id = t.item_id"
                    " JOIN feeds f ON f.id = i.feed_id"
                    " LEFT JOIN feedback b ON b.user_id = ?1"
                    "  AND b.item_id = t.item_id"
                    " LEFT JOIN saved_items v ON v.user_id = ?1"
                    "  AND v.item_id = t.item_id"
                    " LEFT JOIN gems g ON g.item_id = t.item_id"
                    "  AND (g.expires = 0 OR g.expires > ?3)"
                    " LEFT JOIN users e ON e.id = g.editor_id"
                    " WHERE i.fetched >= ?2"
                    " ORDER BY t.score DESC, t.item_id DESC",
    [SX_W_ITEM_USER] = "SELECT " ITEM_COLS " FROM items i"
                       " JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?2"
                       " AND (EXISTS (SELECT 1 FROM subscriptions s"
                       "  WHERE s.user_id = ?1 AND s.feed_id = i.feed_id)"
                       " OR EXISTS (SELECT 1 FROM scores c"
                       "  WHERE c.user_id = ?1 AND c.item_id = i.id)"
                       " OR EXISTS (SELECT 1 FROM saved_items v"
                       "  WHERE v.user_id = ?1 AND v.item_id = i.id)"
                       " OR EXISTS (SELECT 1 FROM feedback b"
                       "  WHERE b.user_id = ?1 AND b.item_id = i.id))",
    [SX_W_WINDOW_USER] = "SELECT i.id, i.feed_id, f.url, f.title, i.title,"
                         " i.link, i.author, i.summary, i.language, i.tags,"
                         " i.published, i.fetched, e.name, g.note, g.tags,"
                         " g.audience FROM items i"
                         " JOIN feeds f ON f.id = i.feed_id"
                         " JOIN subscriptions s ON s.feed_id = i.feed_id"
                         "  AND s.user_id = ?3"
                         " LEFT JOIN gems g ON g.item_id = i.id"
                         "  AND (g.expires = 0 OR g.expires > ?1)"
                         " LEFT JOIN users e ON e.id = g.editor_id"
                         " WHERE i.fetched >= ?2 ORDER BY i.id DESC LIMIT ?4",
    [SX_W_FEEDBACK_USER] = "SELECT " REF_COLS ", b.verdict, b.created"
                           " FROM feedback b JOIN items i ON i.id = b.item_id"
                           " JOIN feeds f ON f.id = i.feed_id"
                           " WHERE b.user_id = ?"
                           " ORDER BY b.created DESC, b.id DESC",
    [SX_W_ITEM_FIND] = "SELECT i.id FROM items i"
                       " JOIN feeds f ON f.id = i.feed_id"
                       " WHERE f.url = ? AND i.guid = ?",
    [SX_W_ITEM_ADD] = "INSERT INTO items (feed_id, guid, title, link,"
                      " published, fetched) VALUES (?, ?, ?, ?, ?, ?)",
};

static sqlite3_stmt *
prep(struct store *st, enum store_xstmt id)
{
    return store_xstmt(st, id, sql[id]);
}

static const char *
text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static void
copy(char *out, size_t len, const char *v)
{
    snprintf(out, len, "%s", v ? v : "");
}

void
store_token_new(char out[STORE_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, STORE_TOKEN_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void
store_token_hash(const char *token, char hash[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token,
                       strlen(token), NULL, 0);
    sodium_bin2hex(hash, 65, h, sizeof h);
    sodium_memzero(h, sizeof h);
}

void
store_token_make(const char *prefix, char *token, char hash[65])
{
    size_t n = strlen(prefix);
    memcpy(token, prefix, n);
    store_token_new(token + n);
    store_token_hash(token, hash);
}

/* Passwords. */

static int
password_ok(const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < STORE_PASSWORD_MIN || n > STORE_PASSWORD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
            return 0;
    return 1;
}

int
store_user_set_password(struct store *st, long long user_id,
                        const char *password)
{
    char hash[crypto_pwhash_STRBYTES];

    if (!password_ok(password))
        return CUR_EINVAL;
    if (sodium_init() < 0)
        return CUR_ENOMEM;
    if (crypto_pwhash_str_alg(hash, password, strlen(password),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return CUR_ENOMEM;
    return store_user_set_password_hash(st, user_id, hash);
}

int
store_user_set_password_hash(struct store *st, long long user_id,
                             const char *hash)
{
    sqlite3_stmt *s = prep(st, SX_W_PW_SET);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, hash);
    sqlite3_bind_int64(s, 2, user_id);
    return store_step_changed(st, s, "password set");
}

int
store_user_password_hash(struct store *st, const char *name,
                         long long *user_id, char *hash, size_t len)
{
    sqlite3_stmt *s = prep(st, SX_W_PW_GET);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, name);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *user_id = sqlite3_column_int64(s, 0);
        copy(hash, len, text(s, 1));
        rc = CUR_OK;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "password get");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_password_verify(const char *hash, const char *password)
{
    if (hash == NULL || password == NULL || hash[0] == '\0'
        || strlen(password) > STORE_PASSWORD_MAX)
        return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int
store_password_needs_rehash(const char *hash)
{
    if (strncmp(hash, "$argon2id$", 10) != 0)
        return 1;
    return crypto_pwhash_str_needs_rehash(hash,
                                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                          crypto_pwhash_MEMLIMIT_INTERACTIVE)
           != 0;
}

/* Accounts. */

int
store_user_info(struct store *st, long long user_id,
                struct store_user_info *out)
{
    sqlite3_stmt *s = prep(st, SX_W_USER_INFO);
    int rc;

    memset(out, 0, sizeof *out);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        copy(out->name, sizeof out->name, text(s, 1));
        copy(out->email, sizeof out->email, text(s, 2));
        copy(out->role, sizeof out->role, text(s, 3));
        out->created = sqlite3_column_int64(s, 4);
        out->has_password = sqlite3_column_int(s, 5);
        rc = CUR_OK;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "user info");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_user_set_email(struct store *st, long long user_id, const char *email)
{
    if (!valid_email(email))
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_W_USER_EMAIL);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, email);
    sqlite3_bind_int64(s, 2, user_id);
    return store_step_changed(st, s, "user email");
}

int
store_user_delete(struct store *st, long long user_id)
{
    sqlite3_stmt *s = prep(st, SX_W_USER_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    /* Foreign keys cascade to everything that is the user's. */
    int own, rc = store_nest_begin(st, &own);
    if (rc != CUR_OK) {
        sqlite3_clear_bindings(s);
        return rc;
    }
    rc = store_step_changed(st, s, "user delete");
    return store_nest_end(st, own, rc);
}

/* Sessions. */

int
store_session_add(struct store *st, const char *token, long long user_id,
                  const char *csrf, long long now, const char *ip)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_SESS_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    sqlite3_bind_int64(s, 2, user_id);
    store_bind_text(s, 3, csrf);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, now);
    store_bind_text(s, 6, ip ? ip : "");
    return store_step_done(st, s, "session add");
}

int
store_session_get(struct store *st, const char *token, long long now,
                  long long idle, long long max_age,
                  struct store_session *out)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_SESS_GET);
    int rc;

    memset(out, 0, sizeof *out);
    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, idle);
    sqlite3_bind_int64(s, 4, max_age);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->user_id = sqlite3_column_int64(s, 0);
        copy(out->name, sizeof out->name, text(s, 1));
        copy(out->role, sizeof out->role, text(s, 2));
        copy(out->csrf, sizeof out->csrf, text(s, 3));
        out->created = sqlite3_column_int64(s, 4);
        out->last_seen = sqlite3_column_int64(s, 5);
        rc = CUR_OK;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "session get");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_session_touch(struct store *st, const char *token, long long now)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_SESS_TOUCH);
    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    sqlite3_bind_int64(s, 2, now);
    return store_step_done(st, s, "session touch");
}

int
store_session_delete(struct store *st, const char *token)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_SESS_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    return store_step_done(st, s, "session delete");
}

int
store_session_delete_user(struct store *st, long long user_id,
                          const char *keep)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_SESS_DEL_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    if (keep != NULL) {
        store_token_hash(keep, h);
        store_bind_text(s, 2, h);
    } else {
        sqlite3_bind_null(s, 2);
    }
    return store_step_done(st, s, "session delete user");
}

int
store_session_purge(struct store *st, long long now, long long idle,
                    long long max_age, long long *n)
{
    sqlite3_stmt *s = prep(st, SX_W_SESS_PURGE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, idle);
    sqlite3_bind_int64(s, 3, max_age);
    int rc = store_step_done(st, s, "session purge");
    if (n)
        *n = rc == CUR_OK ? sqlite3_changes(st->db) : 0;
    return rc;
}

/* Failed logins. */

int
store_login_failed(struct store *st, const char *account, const char *ip,
                   long long now)
{
    sqlite3_stmt *s = prep(st, SX_W_LOGIN_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, account ? account : "");
    store_bind_text(s, 2, ip ? ip : "");
    sqlite3_bind_int64(s, 3, now);
    return store_step_done(st, s, "login failed");
}

int
store_login_failures(struct store *st, const char *account, const char *ip,
                     long long since, long long *by_account,
                     long long *by_ip)
{
    sqlite3_stmt *s = prep(st, SX_W_LOGIN_ACCOUNT);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, account ? account : "");
    sqlite3_bind_int64(s, 2, since);
    if ((rc = store_query_int(st, s, by_account, "login failures"))
        != CUR_OK)
        return rc;
    if ((s = prep(st, SX_W_LOGIN_IP)) == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, ip ? ip : "");
    sqlite3_bind_int64(s, 2, since);
    return store_query_int(st, s, by_ip, "login failures");
}

int
store_login_forget(struct store *st, const char *account)
{
    sqlite3_stmt *s = prep(st, SX_W_LOGIN_FORGET);
    if (s == NULL)
        return CUR_ESTORE;
    store_bind_text(s, 1, account ? account : "");
    return store_step_done(st, s, "login forget");
}

int
store_login_purge(struct store *st, long long before)
{
    sqlite3_stmt *s = prep(st, SX_W_LOGIN_PURGE);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, before);
    return store_step_done(st, s, "login purge");
}

/* Invitations. */

static const char *
role_static(const char *role)
{
    static const char *const roles[] = { "subscriber", "editor", "admin" };
    for (size_t i = 0; role && i < 3; i++)
        if (strcmp(role, roles[i]) == 0)
            return roles[i];
    return NULL;
}

int
store_invite_create(struct store *st, const char *role, long long expires,
                    long long created_by, char token[STORE_TOKEN_LEN + 1])
{
    char h[65];
    sqlite3_stmt *s;

    token[0] = '\0';
    if (role_static(role) == NULL)
        return CUR_EINVAL;
    if (sodium_init() < 0 || (s = prep(st, SX_W_INVITE_ADD)) == NULL)
        return CUR_ESTORE;
    store_token_make("", token, h);
    store_bind_text(s, 1, h);
    store_bind_text(s, 2, role);
    if (created_by > 0)
        sqlite3_bind_int64(s, 3, created_by);
    else
        sqlite3_bind_null(s, 3);
    sqlite3_bind_int64(s, 4, (long long)time(NULL));
    sqlite3_bind_int64(s, 5, expires);
    int rc = store_step_done(st, s, "invite add");
    if (rc != CUR_OK)
        token[0] = '\0';
    return rc;
}

int
store_invite_check(struct store *st, const char *token, long long now,
                   const char **role)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_INVITE_CHECK);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    sqlite3_bind_int64(s, 2, now);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *role = role_static(text(s, 0));
        rc = *role ? CUR_OK : CUR_ENOTFOUND;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "invite check");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_invite_use(struct store *st, const char *token, long long now,
                 long long user_id)
{
    char h[65];
    sqlite3_stmt *s = prep(st, SX_W_INVITE_USE);
    if (s == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, user_id);
    return store_step_changed(st, s, "invite use");
}

/* Saved items. */

static void
ref_of(sqlite3_stmt *s, int i, struct store_item_ref *r)
{
    r->item_id = sqlite3_column_int64(s, i);
    r->feed_id = sqlite3_column_int64(s, i + 1);
    r->feed_url = text(s, i + 2);
    r->feed_title = text(s, i + 3);
    r->guid = text(s, i + 4);
    r->title = text(s, i + 5);
    r->link = text(s, i + 6);
    r->published = sqlite3_column_int64(s, i + 7);
    if (r->item_id != 0 && r->title == NULL)
        r->title = "";
}

int
store_saved_put(struct store *st, long long user_id, long long item_id,
                const char *note, long long now)
{
    sqlite3_stmt *s = prep(st, SX_W_SAVED_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    store_bind_text(s, 3, note);
    sqlite3_bind_int64(s, 4, now);
    return store_step_done(st, s, "saved put");
}

int
store_saved_remove(struct store *st, long long user_id, long long item_id)
{
    sqlite3_stmt *s = prep(st, SX_W_SAVED_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    return store_step_changed(st, s, "saved remove");
}

static int
saved_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_saved v;
    ref_of(s, 0, &v.item);
    v.note = text(s, 8);
    v.summary = text(s, 9);
    v.created = sqlite3_column_int64(s, 10);
    v.updated = sqlite3_column_int64(s, 11);
    if (v.note == NULL)
        v.note = "";
    return ((store_saved_cb)cb)(ctx, &v);
}

int
store_saved_list(struct store *st, long long user_id, int limit,
                 store_saved_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_SAVED_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int(s, 2, limit);
    return store_each_row(st, s, "saved list", saved_row, (void *)cb, ctx);
}

/* The journal. */

int
store_journal_add(struct store *st, long long user_id, long long item_id,
                  const char *body, long long now, long long *id)
{
    if (body == NULL)
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_W_JOURNAL_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    if (item_id > 0)
        sqlite3_bind_int64(s, 2, item_id);
    else
        sqlite3_bind_null(s, 2);
    store_bind_text(s, 3, body);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, now);
    int rc = store_step_done(st, s, "journal add");
    if (rc == CUR_OK && id)
        *id = sqlite3_last_insert_rowid(st->db);
    return rc;
}

int
store_journal_update(struct store *st, long long user_id, long long id,
                     const char *body, long long now)
{
    if (body == NULL)
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_W_JOURNAL_UPD);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, id);
    store_bind_text(s, 3, body);
    sqlite3_bind_int64(s, 4, now);
    return store_step_changed(st, s, "journal update");
}

int
store_journal_remove(struct store *st, long long user_id, long long id)
{
    sqlite3_stmt *s = prep(st, SX_W_JOURNAL_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s, "journal remove");
}

static int
journal_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_journal j;
    j.id = sqlite3_column_int64(s, 0);
    ref_of(s, 1, &j.item);
    j.body = text(s, 9);
    j.created = sqlite3_column_int64(s, 10);
    j.updated = sqlite3_column_int64(s, 11);
    if (j.body == NULL)
        j.body = "";
    return ((store_journal_cb)cb)(ctx, &j);
}

/* An FTS5 query from what a person typed: each word (letters, digits,
 * and any non-ASCII byte) as a quoted prefix term, all required. The
 * words are quoted, so no FTS5 syntax in the input means anything. */
static int
fts_query(const char *in, char *out, size_t len)
{
    size_t o = 0;
    int words = 0;
    const unsigned char *p = (const unsigned char *)in;

    while (*p && words < JOURNAL_QUERY_WORDS) {
        while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9')
                       || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
            p++;
        const unsigned char *w = p;
        while (*p >= 0x80 || (*p >= '0' && *p <= '9')
               || ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
            p++;
        size_t n = (size_t)(p - w);
        if (n == 0)
            break;
        if (o + n + 6 >= len)
            break;
        if (words)
            out[o++] = ' ';
        out[o++] = '"';
        memcpy(out + o, w, n);
        o += n;
        out[o++] = '"';
        out[o++] = '*';
        words++;
    }
    out[o] = '\0';
    return words;
}

int
store_journal_list(struct store *st, long long user_id, const char *query,
                   int limit, store_journal_cb cb, void *ctx)
{
    sqlite3_stmt *s;

    if (query != NULL && query[0] != '\0') {
        char q[1024];
        if (fts_query(query, q, sizeof q) == 0)
            return CUR_OK;      /* nothing searchable: nothing found */
        if ((s = prep(st, SX_W_JOURNAL_SEARCH)) == NULL)
            return CUR_ESTORE;
        sqlite3_bind_int64(s, 1, user_id);
        store_bind_text(s, 2, q);
        sqlite3_bind_int(s, 3, limit);
    } else {
        if ((s = prep(st, SX_W_JOURNAL_LIST)) == NULL)
            return CUR_ESTORE;
        sqlite3_bind_int64(s, 1, user_id);
        sqlite3_bind_int(s, 2, limit);
    }
    return store_each_row(st, s, "journal list", journal_row, (void *)cb,
                          ctx);
}

/* Count rows, so that a get can tell "none" from "stopped". */
struct one_journal {
    store_journal_cb cb;
    void *ctx;
    int found;
};

static int
one_journal(void *ctx, const struct store_journal *j)
{
    struct one_journal *o = ctx;
    o->found = 1;
    return o->cb(o->ctx, j);
}

int
store_journal_get(struct store *st, long long user_id, long long id,
                  store_journal_cb cb, void *ctx)
{
    struct one_journal o = { cb, ctx, 0 };
    sqlite3_stmt *s = prep(st, SX_W_JOURNAL_GET);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, id);
    int rc = store_each_row(st, s, "journal get", journal_row,
                            (void *)one_journal, &o);
    if (rc == CUR_OK && !o.found)
        return CUR_ENOTFOUND;
    return rc;
}

/* Profiles. */

static int
goal_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((store_goal_cb)cb)(ctx, sqlite3_column_int64(s, 0), text(s, 1));
}

int
store_goal_list(struct store *st, long long user_id, store_goal_cb cb,
                void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_GOAL_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "goal list", goal_row, (void *)cb, ctx);
}

int
store_goal_remove(struct store *st, long long user_id, long long goal_id)
{
    sqlite3_stmt *s = prep(st, SX_W_GOAL_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, goal_id);
    return store_profile_change(st, s, user_id, "goal remove", 1);
}

int
store_goal_rename(struct store *st, long long user_id, long long goal_id,
                  const char *name)
{
    if (name == NULL || name[0] == '\0')
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_W_GOAL_RENAME);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, goal_id);
    store_bind_text(s, 3, name);
    return store_profile_change(st, s, user_id, "goal rename", 1);
}

static int
interest_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_interest_row r = {
        .id = sqlite3_column_int64(s, 0),
        .term = text(s, 1),
        .weight = sqlite3_column_double(s, 2),
        .goal_id = sqlite3_column_int64(s, 3),
        .goal = text(s, 4),
        .is_phrase = sqlite3_column_int(s, 5),
    };
    if (r.term == NULL)
        r.term = "";
    return ((store_interest_row_cb)cb)(ctx, &r);
}

int
store_interest_rows(struct store *st, long long user_id,
                    store_interest_row_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_INTEREST_ROWS);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "interest rows", interest_row, (void *)cb,
                          ctx);
}

int
store_interest_set(struct store *st, long long user_id, const char *term,
                   double weight, long long goal_id, int is_phrase)
{
    sqlite3_stmt *s;
    long long found;
    int rc;

    if (term == NULL || term[0] == '\0' || !isfinite(weight))
        return CUR_EINVAL;
    if (goal_id > 0) {
        /* Another user's goal is as good as none. */
        if ((s = prep(st, SX_W_GOAL_OWNED)) == NULL)
            return CUR_ESTORE;
        sqlite3_bind_int64(s, 1, user_id);
        sqlite3_bind_int64(s, 2, goal_id);
        if ((rc = store_query_int(st, s, &found, "goal owned")) != CUR_OK)
            return rc;
    }
    if ((s = prep(st, SX_W_INTEREST_SET)) == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, term);
    sqlite3_bind_double(s, 3, weight);
    if (goal_id > 0)
        sqlite3_bind_int64(s, 4, goal_id);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_int(s, 5, is_phrase != 0);
    return store_profile_change(st, s, user_id, "interest set", 1);
}

int
store_interest_remove(struct store *st, long long user_id, const char *term)
{
    sqlite3_stmt *s = prep(st, SX_W_INTEREST_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, term);
    return store_profile_change(st, s, user_id, "interest remove", 1);
}

static int
mute_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_mute_row m = {
        .id = sqlite3_column_int64(s, 0),
        .term = text(s, 1),
        .feed_id = sqlite3_column_int64(s, 2),
        .feed_title = text(s, 3),
        .feed_url = text(s, 4),
    };
    return ((store_mute_row_cb)cb)(ctx, &m);
}

int
store_mute_rows(struct store *st, long long user_id, store_mute_row_cb cb,
                void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_MUTE_ROWS);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "mute rows", mute_row, (void *)cb, ctx);
}

int
store_mute_remove(struct store *st, long long user_id, long long mute_id)
{
    sqlite3_stmt *s = prep(st, SX_W_MUTE_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, mute_id);
    return store_profile_change(st, s, user_id, "mute remove", 1);
}

/* Subscriptions. */

static int
subscription_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_subscription v = {
        .feed_id = sqlite3_column_int64(s, 0),
        .url = text(s, 1),
        .title = text(s, 2),
        .site_url = text(s, 3),
        .category = text(s, 4),
        .weight = sqlite3_column_double(s, 5),
        .muted = sqlite3_column_int(s, 6),
        .last_success = sqlite3_column_int64(s, 7),
        .last_error = text(s, 8),
    };
    return ((store_subscription_cb)cb)(ctx, &v);
}

int
store_subscription_list(struct store *st, long long user_id,
                        store_subscription_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_SUB_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "subscription list", subscription_row,
                          (void *)cb, ctx);
}

int
store_unsubscribe(struct store *st, long long user_id, long long feed_id)
{
    sqlite3_stmt *s = prep(st, SX_W_UNSUB);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, feed_id);
    return store_profile_change(st, s, user_id, "unsubscribe", 1);
}

/* Reads for the pages. */

static int
ranked_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_ranked r = {
        .item_id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .title = text(s, 2),
        .link = text(s, 3),
        .feed_title = text(s, 4),
        .feed_url = text(s, 5),
        .snippet = text(s, 6),
        .published = sqlite3_column_int64(s, 7),
        .fetched = sqlite3_column_int64(s, 8),
        .score = sqlite3_column_double(s, 9),
        .reasons = text(s, 10),
        .dup_of = sqlite3_column_int64(s, 11),
        .verdict = sqlite3_column_int(s, 12),
        .saved = sqlite3_column_int(s, 13),
        .gem_editor = text(s, 14),
        .gem_note = text(s, 15),
    };
    if (r.title == NULL)
        r.title = "";
    if (r.reasons == NULL)
        r.reasons = "";
    return ((store_ranked_cb)cb)(ctx, &r);
}

int
store_ranked(struct store *st, long long user_id, long long since,
             long long now, int limit, store_ranked_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_RANKED);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int64(s, 3, now);
    sqlite3_bind_int(s, 4, limit);
    return store_each_row(st, s, "ranked", ranked_row, (void *)cb, ctx);
}

static int
item_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_item it = {
        .id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .feed_title = text(s, 2),
        .guid = text(s, 3),
        .title = text(s, 4),
        .link = text(s, 5),
        .author = text(s, 6),
        .summary = text(s, 7),
        .published = sqlite3_column_int64(s, 8),
        .fetched = sqlite3_column_int64(s, 9),
        .html = text(s, 10),
    };
    if (it.title == NULL)
        it.title = "";
    return ((store_item_cb)cb)(ctx, &it);
}

struct one_item {
    store_item_cb cb;
    void *ctx;
    int found;
};

static int
one_item(void *ctx, const struct store_item *it)
{
    struct one_item *o = ctx;
    o->found = 1;
    return o->cb(o->ctx, it);
}

int
store_item_for_user(struct store *st, long long user_id, long long item_id,
                    store_item_cb cb, void *ctx)
{
    struct one_item o = { cb, ctx, 0 };
    sqlite3_stmt *s = prep(st, SX_W_ITEM_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    int rc = store_each_row(st, s, "item for user", item_row,
                            (void *)one_item, &o);
    if (rc == CUR_OK && !o.found)
        return CUR_ENOTFOUND;
    return rc;
}

static int
window_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_scoring_item it = {
        .id = sqlite3_column_int64(s, 0),
        .feed_id = sqlite3_column_int64(s, 1),
        .feed_url = text(s, 2),
        .feed_title = text(s, 3),
        .title = text(s, 4),
        .link = text(s, 5),
        .author = text(s, 6),
        .text = text(s, 7),
        .language = text(s, 8),
        .tags = text(s, 9),
        .published = sqlite3_column_int64(s, 10),
        .fetched = sqlite3_column_int64(s, 11),
        .gem_editor = text(s, 12),
        .gem_note = text(s, 13),
        .gem_tags = text(s, 14),
        .gem_audience = text(s, 15),
    };
    if (it.title == NULL)
        it.title = "";
    return ((store_scoring_item_cb)cb)(ctx, &it);
}

int
store_items_window_user(struct store *st, long long user_id,
                        long long since, long long now, int limit,
                        store_scoring_item_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_WINDOW_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int64(s, 3, user_id);
    sqlite3_bind_int(s, 4, limit);
    return store_each_row(st, s, "window items", window_row, (void *)cb,
                          ctx);
}

static int
verdict_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_verdict v;
    ref_of(s, 0, &v.item);
    v.verdict = sqlite3_column_int(s, 8);
    v.created = sqlite3_column_int64(s, 9);
    return ((store_verdict_cb)cb)(ctx, &v);
}

int
store_feedback_user(struct store *st, long long user_id, store_verdict_cb cb,
                    void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_W_FEEDBACK_USER);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "feedback of user", verdict_row,
                          (void *)cb, ctx);
}

int
store_item_ensure(struct store *st, const char *feed_url, const char *origin,
                  const char *guid, const char *title, const char *link,
                  long long published, long long now, long long *item_id)
{
    long long feed_id;
    sqlite3_stmt *s;
    int own, rc;

    if (feed_url == NULL || guid == NULL || guid[0] == '\0')
        return CUR_EINVAL;
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    if ((s = prep(st, SX_W_ITEM_FIND)) == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    store_bind_text(s, 1, feed_url);
    store_bind_text(s, 2, guid);
    rc = store_query_int(st, s, item_id, "item find");
    if (rc != CUR_ENOTFOUND)
        goto out;
    rc = store_feed_add(st, feed_url, origin, &feed_id);
    if (rc != CUR_OK && rc != CUR_EEXIST)
        goto out;
    if ((s = prep(st, SX_W_ITEM_ADD)) == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    sqlite3_bind_int64(s, 1, feed_id);
    store_bind_text(s, 2, guid);
    store_bind_text(s, 3, title ? title : "");
    store_bind_text(s, 4, link);
    sqlite3_bind_int64(s, 5, published);
    sqlite3_bind_int64(s, 6, now);
    rc = store_step_done(st, s, "item add");
    if (rc == CUR_OK)
        *item_id = sqlite3_last_insert_rowid(st->db);
out:
    return store_nest_end(st, own, rc);
}
