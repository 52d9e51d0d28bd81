/* Inside the SQLite store: the handle and the small helpers that the
 * store's source files share (store_sqlite.c for feeds, items and users;
 * store_profile.c for profiles, feedback and gems; store_score.c for
 * scores; store_web.c for tokens). Not for use outside
 * curator/store_*.c. */
#ifndef CURATOR_STORE_INT_H
#define CURATOR_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

#define STORE_N_BASE 64     /* room for store_sqlite.c's statements */

/* Statements of the other store files, prepared once on first use. */
enum store_xstmt {
    SX_GOAL_ADD, SX_GOAL_FIND, SX_GOAL_LIST, SX_INTEREST_PUT,
    SX_INTEREST_DEL, SX_PROFILE_INTERESTS, SX_MUTE_TERM, SX_MUTE_FEED,
    SX_MUTE_LIST, SX_SOURCE_PUT, SX_SOURCE_LIST,
    SX_USER_REVS, SX_USER_SCORED, SX_FEEDBACK_PUT, SX_FEEDBACK_LIST,
    SX_GEM_PUT, SX_GEM_GET, SX_ITEM_GET, SX_USER_GET,
    SX_SUBS_ALL, SX_ITEMS_SINCE, SX_ITEMS_WINDOW, SX_ITEMS_WINDOW_USER,
    SX_SCORE_PUT, SX_SCORE_DEL_USER, SX_SCORE_DEL_ITEM, SX_SCORE_GET,
    SX_SCORE_TOP, SX_SCORE_EXCLUDED, SX_META_GET, SX_META_PUT,
    SX_ITEM_DUP, SX_USER_ROLE,
    SX_DIGEST_USERS, SX_DIGEST_USER, SX_DIGEST_ENSURE, SX_OUTBOX_ADD,
    SX_SENT_ADD, SX_DIGEST_PERIOD, SX_OUTBOX_DUE, SX_OUTBOX_LIST,
    SX_OUTBOX_SENT, SX_OUTBOX_FAILED, SX_OUTBOX_RETRY, SX_OUTBOX_DEPTH,
    SX_ITEM_SENT, SX_SECRET_GET, SX_SECRET_PUT, SX_OUTBOX_BODY,
    SX_OUTBOX_FIND,
    /* store_web.c */
    SX_W_PW_SET, SX_W_PW_GET, SX_W_USER_INFO, SX_W_USER_EMAIL,
    SX_W_USER_DEL, SX_W_SESS_ADD, SX_W_SESS_GET, SX_W_SESS_TOUCH,
    SX_W_SESS_DEL, SX_W_SESS_DEL_USER, SX_W_SESS_PURGE, SX_W_LOGIN_ADD,
    SX_W_LOGIN_ACCOUNT, SX_W_LOGIN_IP, SX_W_LOGIN_FORGET, SX_W_LOGIN_PURGE,
    SX_W_INVITE_ADD, SX_W_INVITE_CHECK, SX_W_INVITE_USE, SX_W_SAVED_PUT,
    SX_W_SAVED_DEL, SX_W_SAVED_LIST, SX_W_JOURNAL_ADD, SX_W_JOURNAL_UPD,
    SX_W_JOURNAL_DEL, SX_W_JOURNAL_LIST, SX_W_JOURNAL_SEARCH,
    SX_W_JOURNAL_GET, SX_W_GOAL_LIST, SX_W_GOAL_DEL, SX_W_GOAL_OWNED,
    SX_W_INTEREST_ROWS, SX_W_INTEREST_SET, SX_W_INTEREST_DEL,
    SX_W_MUTE_ROWS, SX_W_MUTE_DEL, SX_W_SUB_LIST, SX_W_UNSUB, SX_W_RANKED,
    SX_W_ITEM_USER, SX_W_WINDOW_USER, SX_W_FEEDBACK_USER, SX_W_ITEM_FIND,
    SX_W_ITEM_ADD, SX_W_GOAL_RENAME,
    /* store_api.c */
    SX_A_ADD, SX_A_COUNT, SX_A_LIST, SX_A_DEL, SX_A_GET, SX_A_TOUCH,
    /* store_profile.c: the teams of a profile */
    SX_PROFILE_TEAMS,
    /* store_team.c: a user's team shares, once per digest */
    SX_TEAM_SHARES,
    /* store_score.c: a digest's candidates */
    SX_DIGEST_CANDIDATES,
    SX_N
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmts[STORE_N_BASE];
    sqlite3_stmt *xstmts[SX_N];
};

/* The statement in 'slot', prepared from 'sql' the first time; NULL
 * (logged) on error. */
sqlite3_stmt *store_xstmt(struct store *st, enum store_xstmt slot,
                          const char *sql);
/* Log the database's last error for 'what'; returns CUR_ESTORE. */
int store_db_error(struct store *st, const char *what);
/* Step a statement that returns no rows, then reset it: CUR_OK,
 * CUR_EEXIST (unique), CUR_ENOTFOUND (foreign key) or CUR_ESTORE. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what);
/* The same, CUR_ENOTFOUND when it changed no row. */
int store_step_changed(struct store *st, sqlite3_stmt *s, const char *what);
/* Bump the user's profile revision, so that the daemon rescores them:
 * CUR_ENOTFOUND when there is no such user. */
int store_profile_bump(struct store *st, long long user_id);
/* Run 's' (bound by the caller) and bump the user's revision, both or
 * neither (nested in the caller's transaction if there is one); with
 * 'must_change', a statement that changed no row is CUR_ENOTFOUND. */
int store_profile_change(struct store *st, sqlite3_stmt *s, long long user_id,
                         const char *what, int must_change);
/* Step through rows calling row(s, cb, ctx) for each until it returns
 * non-zero (that value is returned); ends with a reset. */
int store_each_row(struct store *st, sqlite3_stmt *s, const char *what,
                   int (*row)(sqlite3_stmt *s, void *cb, void *ctx),
                   void *cb, void *ctx);
/* Run a one-row, one-integer query: CUR_OK, CUR_ENOTFOUND or
 * CUR_ESTORE. */
int store_query_int(struct store *st, sqlite3_stmt *s, long long *out,
                    const char *what);
/* A text column, or NULL. */
static inline const char *
store_col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* Bind a string, or NULL. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Tags joined with '\n' (malloc'd), or NULL when there are none. */
char *store_join_tags(const char *const *tags, size_t n);

/* Tokens (store_web.c), kept only as hashes: the hex BLAKE2b-256 of
 * 'token', what the tables keep; and a new token, 'prefix' (may be "")
 * then STORE_TOKEN_LEN random base64url characters, into 'token' (room
 * for both and the NUL), with its hash into 'hash'. */
void store_token_hash(const char *token, char hash[65]);
void store_token_make(const char *prefix, char *token, char hash[65]);

#endif
