/* Sessions, cookies, CSRF and passwords for the web page.
 *
 * A session is a random 256-bit token in an HttpOnly, SameSite=Lax
 * cookie (__Host- prefixed and Secure when the base URL is https); the
 * store keeps only its hash, with the user, a per-session CSRF token,
 * and when it was made and last seen, so it ends after an idle spell or
 * an age whatever the cookie says. Forms shown before signing in carry
 * the token of a "pre" cookie instead (double submit). Every change
 * must also come from our own origin: Sec-Fetch-Site, when the browser
 * sends it, is same-origin or none, and Origin, when sent, is ours.
 * Password hashing (argon2id) runs at most WEB_HASHING_MAX at a time.
 */
#include "err.h"
#include "log.h"
#include "web.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int
role_of(const char *name)
{
    if (name == NULL)
        return ROLE_ANON;
    if (strcmp(name, "admin") == 0)
        return ROLE_ADMIN;
    if (strcmp(name, "editor") == 0)
        return ROLE_EDITOR;
    if (strcmp(name, "subscriber") == 0)
        return ROLE_SUBSCRIBER;
    return ROLE_ANON;
}

static const char *
session_cookie(const struct web *w)
{
    return w->secure ? "__Host-curator_session" : "curator_session";
}

static const char *
pre_cookie(const struct web *w)
{
    return w->secure ? "__Host-curator_pre" : "curator_pre";
}

/* A token as store_token_new() makes them: base64url, fixed length. */
static int
token_shape(const char *t)
{
    if (t == NULL || strlen(t) != STORE_TOKEN_LEN)
        return 0;
    for (const char *p = t; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return 0;
    return 1;
}

static void
set_cookie(struct req *r, const char *name, const char *value, long max_age)
{
    char c[256];
    snprintf(c, sizeof c, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; "
             "SameSite=Lax%s", name, value, max_age,
             r->w->secure ? "; Secure" : "");
    web_header(r, "Set-Cookie", c);
}

void
auth_load_session(struct req *r)
{
    struct web *w = r->w;
    const char *v;

    r->role = ROLE_ANON;
    v = MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND, pre_cookie(w));
    if (token_shape(v))
        memcpy(r->pre, v, STORE_TOKEN_LEN + 1);
    v = MHD_lookup_connection_value(r->c, MHD_COOKIE_KIND,
                                    session_cookie(w));
    if (!token_shape(v))
        return;
    if (store_session_get(r->st, v, r->now, w->session_idle,
                          w->session_age, &r->sess) != CUR_OK)
        return;
    r->role = role_of(r->sess.role);
    if (r->role == ROLE_ANON)
        return;
    memcpy(r->token, v, STORE_TOKEN_LEN + 1);
    /* Idle time is counted in minutes, not per request: one write every
     * few minutes per session, not one per page. */
    if (r->sess.last_seen + WEB_TOUCH_EVERY < r->now)
        store_session_touch(r->st, r->token, r->now);
}

const char *
auth_pre_token(struct req *r)
{
    if (r->pre[0] == '\0') {
        store_token_new(r->pre);
        set_cookie(r, pre_cookie(r->w), r->pre, 86400);
        r->set_pre = 1;
    }
    return r->pre;
}

/* Same origin: the browser's Sec-Fetch-Site, then Origin against the
 * base URL or the Host the request was sent to. Requests without
 * either (curl, old browsers) still need the token. */
static int
same_origin(struct req *r)
{
    const char *sfs = web_req_header(r, "Sec-Fetch-Site");
    const char *origin = web_req_header(r, "Origin");
    const char *host = web_req_header(r, "Host");
    char mine[300];

    if (sfs != NULL && strcmp(sfs, "same-origin") != 0
        && strcmp(sfs, "none") != 0)
        return 0;
    if (origin == NULL)
        return 1;
    if (strcasecmp(origin, r->w->origin) == 0)
        return 1;
    if (host == NULL)
        return 0;
    snprintf(mine, sizeof mine, "http://%s", host);
    if (strcasecmp(origin, mine) == 0)
        return 1;
    snprintf(mine, sizeof mine, "https://%s", host);
    return strcasecmp(origin, mine) == 0;
}

static int
token_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL || strlen(a) != STORE_TOKEN_LEN
        || strlen(b) != STORE_TOKEN_LEN)
        return 0;
    return sodium_memcmp(a, b, STORE_TOKEN_LEN) == 0;
}

int
auth_csrf_ok(struct req *r, int pre)
{
    const char *t = form_get(&r->form, "csrf");
    if (!same_origin(r))
        return 0;
    if (r->role > ROLE_ANON && token_eq(t, r->sess.csrf))
        return 1;
    return pre && r->pre[0] != '\0' && token_eq(t, r->pre);
}

int
auth_login(struct req *r, long long user_id)
{
    char token[STORE_TOKEN_LEN + 1], csrf[STORE_TOKEN_LEN + 1];
    struct store_session s;
    int rc;

    /* A new token at every login: a planted cookie never becomes a
     * signed-in one. */
    if (r->token[0] != '\0')
        store_session_delete(r->st, r->token);
    store_session_purge(r->st, r->now, r->w->session_idle,
                        r->w->session_age, NULL);
    store_token_new(token);
    store_token_new(csrf);
    rc = store_session_add(r->st, token, user_id, csrf, r->now, r->ip);
    if (rc == CUR_OK)
        rc = store_session_get(r->st, token, r->now, r->w->session_idle,
                               r->w->session_age, &s);
    if (rc != CUR_OK) {
        sodium_memzero(token, sizeof token);
        return rc;
    }
    r->sess = s;
    r->role = role_of(s.role);
    memcpy(r->token, token, sizeof token);
    set_cookie(r, session_cookie(r->w), token, r->w->session_age);
    sodium_memzero(token, sizeof token);
    return CUR_OK;
}

void
auth_logout(struct req *r)
{
    if (r->token[0] != '\0')
        store_session_delete(r->st, r->token);
    set_cookie(r, session_cookie(r->w), "", 0);
    memset(r->token, 0, sizeof r->token);
    memset(&r->sess, 0, sizeof r->sess);
    r->role = ROLE_ANON;
}

static void
hash_enter(struct web *w)
{
    pthread_mutex_lock(&w->hash_lock);
    while (w->hashing >= WEB_HASHING_MAX)
        pthread_cond_wait(&w->hash_cond, &w->hash_lock);
    w->hashing++;
    pthread_mutex_unlock(&w->hash_lock);
}

static void
hash_leave(struct web *w)
{
    pthread_mutex_lock(&w->hash_lock);
    w->hashing--;
    pthread_cond_signal(&w->hash_cond);
    pthread_mutex_unlock(&w->hash_lock);
}

int
auth_verify(struct web *w, const char *hash, const char *password)
{
    /* No hash (unknown user, no password set): the dummy costs the same,
     * so timing does not tell whether a name exists. */
    const char *h = hash && hash[0] ? hash : w->dummy_hash;
    hash_enter(w);
    int ok = store_password_verify(h, password);
    hash_leave(w);
    return ok && h != w->dummy_hash;
}

int
auth_set_password(struct req *r, long long user_id, const char *password)
{
    hash_enter(r->w);
    int rc = store_user_set_password(r->st, user_id, password);
    hash_leave(r->w);
    return rc;
}

int
auth_hash(struct web *w, const char *password, char *out, size_t len)
{
    if (len < crypto_pwhash_STRBYTES)
        return CUR_EINVAL;
    hash_enter(w);
    int rc = crypto_pwhash_str_alg(out, password, strlen(password),
                                   crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                   crypto_pwhash_ALG_ARGON2ID13);
    hash_leave(w);
    return rc == 0 ? CUR_OK : CUR_ENOMEM;
}

const char *
auth_password_problem(const char *pw, const char *again)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < STORE_PASSWORD_MIN)
        return "Use at least 8 characters.";
    if (n > STORE_PASSWORD_MAX)
        return "Use at most 1024 bytes.";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
            return "Control characters are not allowed.";
    if (again != NULL && strcmp(pw, again) != 0)
        return "The two passwords differ.";
    return NULL;
}
