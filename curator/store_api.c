/* The store's side of the JSON API's bearer tokens: making one (256
 * random bits, shown once, kept only as a BLAKE2b hash like session
 * tokens), listing and revoking a user's own, and looking a token up on
 * each request with the owner's current role. The last use is written
 * at most every few minutes, so reads through the API do not each
 * become a write. How tokens travel and what they may do is the web's
 * business.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const sql[SX_N] = {
    [SX_A_ADD] = "INSERT INTO api_tokens (user_id, name, token_hash,"
                 " created, last_used) VALUES (?, ?, ?, ?, 0)",
    [SX_A_COUNT] = "SELECT count(*) FROM api_tokens WHERE user_id = ?",
    [SX_A_LIST] = "SELECT id, name, created, last_used FROM api_tokens"
                  " WHERE user_id = ? ORDER BY created DESC, id DESC",
    [SX_A_DEL] = "DELETE FROM api_tokens WHERE user_id = ? AND id = ?",
    [SX_A_GET] = "SELECT t.id, t.user_id, t.last_used, u.name, u.role"
                 " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                 " WHERE t.token_hash = ?",
    [SX_A_TOUCH] = "UPDATE api_tokens SET last_used = ?2 WHERE id = ?1",
};

static sqlite3_stmt *
prep(struct store *st, enum store_xstmt id)
{
    return store_xstmt(st, id, sql[id]);
}

/* "cur_" and STORE_TOKEN_LEN base64url characters, nothing else. */
static int
token_shape(const char *t)
{
    size_t pre = strlen(STORE_API_PREFIX);
    if (t == NULL || strlen(t) != STORE_API_TOKEN_LEN
        || strncmp(t, STORE_API_PREFIX, pre) != 0)
        return 0;
    for (const char *p = t + pre; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int
store_api_name_ok(const char *name)
{
    size_t chars = 0;
    int visible = 0;

    if (name == NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p;) {
        size_t n;
        if (*p < 0x80)
            n = 1;
        else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
            n = 2;
        else if ((*p & 0xf0) == 0xe0)
            n = 3;
        else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
            n = 4;
        else
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return 0;
        /* Overlong forms, surrogates and code points past U+10FFFF. */
        if ((n == 3 && ((*p == 0xe0 && p[1] < 0xa0)
                        || (*p == 0xed && p[1] >= 0xa0)))
            || (n == 4 && ((*p == 0xf0 && p[1] < 0x90)
                           || (*p == 0xf4 && p[1] >= 0x90))))
            return 0;
        /* C0, DEL and C1 controls. */
        if (*p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0))
            return 0;
        if (*p != ' ')
            visible = 1;
        p += n;
        if (++chars > STORE_API_NAME_MAX)
            return 0;
    }
    return chars > 0 && visible;
}

int
store_api_token_create(struct store *st, long long user_id,
                       const char *name, long long now,
                       char token[STORE_API_TOKEN_LEN + 1], long long *id)
{
    char h[65];
    long long n = 0;
    int own, rc;
    sqlite3_stmt *s;

    token[0] = '\0';
    if (!store_api_name_ok(name))
        return CUR_EINVAL;
    /* Counting and adding in one transaction keeps the cap exact. */
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    if ((s = prep(st, SX_A_COUNT)) == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    sqlite3_bind_int64(s, 1, user_id);
    if ((rc = store_query_int(st, s, &n, "api token count")) != CUR_OK)
        goto out;
    if (n >= STORE_API_TOKENS_MAX) {
        rc = CUR_ETOOBIG;
        goto out;
    }
    if ((s = prep(st, SX_A_ADD)) == NULL) {
        rc = CUR_ESTORE;
        goto out;
    }
    store_token_make(STORE_API_PREFIX, token, h);
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, name);
    store_bind_text(s, 3, h);
    sqlite3_bind_int64(s, 4, now);
    rc = store_step_done(st, s, "api token add");
    if (rc == CUR_OK && id != NULL)
        *id = sqlite3_last_insert_rowid(st->db);
out:
    rc = store_nest_end(st, own, rc);
    if (rc != CUR_OK)
        sodium_memzero(token, STORE_API_TOKEN_LEN + 1);
    return rc;
}

static int
token_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_api_token t = {
        .id = sqlite3_column_int64(s, 0),
        .name = store_col_text(s, 1),
        .created = sqlite3_column_int64(s, 2),
        .last_used = sqlite3_column_int64(s, 3),
    };
    if (t.name == NULL)
        t.name = "";
    return ((store_api_token_cb)cb)(ctx, &t);
}

int
store_api_token_list(struct store *st, long long user_id,
                     store_api_token_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_A_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "api token list", token_row, (void *)cb,
                          ctx);
}

int
store_api_token_revoke(struct store *st, long long user_id, long long id)
{
    sqlite3_stmt *s = prep(st, SX_A_DEL);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, id);
    return store_step_changed(st, s, "api token revoke");
}

int
store_api_token_check(struct store *st, const char *token, long long now,
                      struct store_api_auth *out)
{
    char h[65];
    long long last_used = 0;
    sqlite3_stmt *s;
    int rc;

    memset(out, 0, sizeof *out);
    if (!token_shape(token))
        return CUR_ENOTFOUND;
    if ((s = prep(st, SX_A_GET)) == NULL)
        return CUR_ESTORE;
    store_token_hash(token, h);
    store_bind_text(s, 1, h);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        out->token_id = sqlite3_column_int64(s, 0);
        out->user_id = sqlite3_column_int64(s, 1);
        last_used = sqlite3_column_int64(s, 2);
        snprintf(out->name, sizeof out->name, "%s",
                 store_col_text(s, 3) ? store_col_text(s, 3) : "");
        snprintf(out->role, sizeof out->role, "%s",
                 store_col_text(s, 4) ? store_col_text(s, 4) : "");
        rc = CUR_OK;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "api token check");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != CUR_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    /* A clock set back makes last_used lie in the future: write then. */
    if (last_used + STORE_API_TOUCH_EVERY > now && last_used <= now)
        return CUR_OK;
    rc = CUR_ESTORE;
    if ((s = prep(st, SX_A_TOUCH)) != NULL) {
        sqlite3_bind_int64(s, 1, out->token_id);
        sqlite3_bind_int64(s, 2, now);
        rc = store_step_done(st, s, "api token touch");
    }
    if (rc != CUR_OK)
        log_warn("api token use not recorded token_id=%lld",
                 out->token_id);
    return CUR_OK;
}
