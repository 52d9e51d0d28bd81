/* Account: who you are, your email address, a new password (the
 * current one first; other sessions end), your private feed link, the
 * exports (everything as JSON, sources as OPML, the portfolio as Atom),
 * importing an export from another Curator, API tokens for the JSON API
 * (named, shown once when made, listed with when they were last used,
 * revoked here), and deleting the account with everything in it.
 */
#include "date.h"
#include "digest.h"
#include "err.h"
#include "export.h"
#include "html.h"
#include "log.h"
#include "valid.h"
#include "web.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct acc_view {
    const char *email;          /* as typed */
    const char *e_email, *e_current, *e_new, *e_delete, *e_import;
    const char *token_name;     /* as typed, when refused */
    const char *e_token_name;
    const char *new_token;      /* made just now: shown this once */
};

/* Password managers (and browsers) want the account's name in a form
 * that asks for its password. */
static int
username_field(struct buf *b, const char *name)
{
    int rc = buf_puts(b, "<input type=\"text\" name=\"username\" "
                      "autocomplete=\"username\" hidden readonly value=\"");
    rc |= html_escape(b, name);
    rc |= buf_puts(b, "\">");
    return rc ? CUR_ENOMEM : CUR_OK;
}

struct token_list {
    struct buf *b;
    struct req *r;
    int n;
};

static int
token_row(void *ctx, const struct store_api_token *t)
{
    struct token_list *l = ctx;
    struct buf *b = l->b;
    int rc = buf_puts(b, "<tr><td>");
    rc |= html_escape(b, t->name);
    rc |= buf_puts(b, "</td><td>");
    rc |= html_date(b, t->created);
    rc |= buf_puts(b, "</td><td>");
    if (t->last_used > 0)
        rc |= html_date(b, t->last_used);
    else
        rc |= buf_puts(b, "never");
    rc |= buf_puts(b, "</td><td><form class=\"row\" method=\"post\" "
                   "action=\"/account/tokens\">");
    rc |= html_csrf(b, l->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
                     "<button type=\"submit\" name=\"act\" value=\"revoke\" "
                     "class=\"secondary\">Revoke</button></form></td></tr>\n",
                     t->id);
    l->n++;
    return rc ? CUR_ENOMEM : 0;
}

/* The API tokens section: the one just made (shown once), the list,
 * and the form to make another. */
static int
render_tokens(struct buf *b, struct req *r, const struct acc_view *v)
{
    static const struct html_note revoked[] = {
        { "token-revoked", "Token revoked." },
    };
    struct token_list l = { b, r, 0 };
    int rc = buf_puts(b, "<section id=\"api-tokens\"><h2>API tokens</h2>"
                      "<p>A token lets a program use the JSON API under "
                      "<code>/api/v1/</code> as you: send it as "
                      "<code>Authorization: Bearer TOKEN</code>. Only a "
                      "hash of it is kept.</p>");
    if (v->new_token != NULL) {
        rc |= buf_puts(b, "<p class=\"notice\" role=\"status\">Your new "
                       "token. Copy it now: it is not shown again.</p>"
                       "<p class=\"url\"><code id=\"new-token\">");
        rc |= html_escape(b, v->new_token);
        rc |= buf_puts(b, "</code></p>");
    } else {
        rc |= html_notice_of(b, r, revoked, 1);
    }
    rc |= buf_puts(b, "<table class=\"tokens\"><thead><tr><th>Name</th>"
                   "<th>Made</th><th>Last used</th><th></th></tr></thead>"
                   "<tbody>");
    if (rc == CUR_OK)
        rc = store_api_token_list(r->st, r->sess.user_id, token_row, &l);
    if (l.n == 0)
        rc |= buf_puts(b, "<tr><td colspan=\"4\" class=\"empty\">No "
                       "tokens yet.</td></tr>");
    rc |= buf_puts(b, "</tbody></table><form class=\"row\" method=\"post\" "
                   "action=\"/account/tokens\">");
    rc |= html_csrf(b, r);
    rc |= html_input(b, "token_name", "Name of a new token (what uses it)",
                     "text", v->token_name, v->e_token_name,
                     "required maxlength=\"64\"");
    rc |= buf_puts(b, "<button type=\"submit\" name=\"act\" "
                   "value=\"create\">Make a token</button></form>"
                   "</section>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

static enum MHD_Result
render(struct req *r, unsigned status, const struct acc_view *v)
{
    struct store_user_info u;
    char feed[600];
    struct buf b;
    int rc;

    if (store_user_info(r->st, r->sess.user_id, &u) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your account could not be read.");
    digest_feed_url(&r->w->links, r->sess.user_id, feed, sizeof feed);
    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Account", "account");
    rc |= buf_puts(&b, "<h1>Account</h1><dl class=\"facts\"><dt>Name</dt>"
                   "<dd>");
    rc |= html_escape(&b, u.name);
    rc |= buf_printf(&b, "</dd><dt>Role</dt><dd>%s</dd><dt>Since</dt><dd>",
                     u.role);
    rc |= html_date(&b, u.created);
    rc |= buf_puts(&b, "</dd></dl>");

    rc |= buf_puts(&b, "<section><h2>Email</h2><form class=\"row\" "
                   "method=\"post\" action=\"/account\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "email", "Email address", "email",
                     v->email ? v->email : u.email, v->e_email,
                     "required maxlength=\"254\" autocomplete=\"email\"");
    rc |= buf_puts(&b, "<button type=\"submit\">Save</button></form>"
                   "</section>");

    rc |= buf_puts(&b, "<section><h2>Password</h2><form class=\"stack\" "
                   "method=\"post\" action=\"/account/password\">");
    rc |= html_csrf(&b, r);
    rc |= username_field(&b, u.name);
    rc |= html_input(&b, "current", "Current password", "password", NULL,
                     v->e_current, "required "
                     "autocomplete=\"current-password\"");
    rc |= html_input(&b, "password", "New password (8 characters or more)",
                     "password", NULL, v->e_new, "required minlength=\"8\" "
                     "autocomplete=\"new-password\"");
    rc |= html_input(&b, "password2", "New password again", "password",
                     NULL, NULL, "required autocomplete=\"new-password\"");
    rc |= buf_puts(&b, "<p><button type=\"submit\">Change password</button>"
                   "</p></form></section>");

    rc |= buf_puts(&b, "<section><h2>Your private feed</h2><p>Your ranked "
                   "items in any feed reader. Keep this address to "
                   "yourself: it works without signing in.</p>"
                   "<p class=\"url\"><a href=\"");
    rc |= html_escape(&b, feed);
    rc |= buf_puts(&b, "\">");
    rc |= html_escape(&b, feed);
    rc |= buf_puts(&b, "</a></p></section>");

    rc |= buf_puts(&b, "<section><h2>Take your data with you</h2><ul>"
                   "<li><a href=\"/account/export.json\" download>Export "
                   "everything</a> (JSON: profile, goals, interests, mutes, "
                   "sources, saved items with notes, journal, feedback)</li>"
                   "<li><a href=\"/sources/opml\" download>Sources as OPML"
                   "</a></li><li><a href=\"/portfolio.atom\">Portfolio as "
                   "Atom</a></li></ul><form class=\"stack\" method=\"post\" "
                   "action=\"/account/import\" "
                   "enctype=\"multipart/form-data\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "export", "Import an export from another Curator",
                     "file", NULL, v->e_import,
                     "accept=\".json,application/json\" required");
    rc |= buf_puts(&b, "<p><button type=\"submit\">Import</button></p>"
                   "</form></section>");
    if (rc == CUR_OK)
        rc = render_tokens(&b, r, v);

    rc |= buf_puts(&b, "<section class=\"danger\"><h2>Delete your account"
                   "</h2><p>This deletes your account and everything in it: "
                   "interests, sources, saved items, journal, feedback. It "
                   "cannot be undone; export first if you want a copy.</p>"
                   "<form class=\"stack\" method=\"post\" "
                   "action=\"/account/delete\">");
    rc |= html_csrf(&b, r);
    rc |= username_field(&b, u.name);
    rc |= html_input(&b, "current_delete", "Your password", "password", NULL,
                     v->e_delete, "required "
                     "autocomplete=\"current-password\"");
    rc |= buf_puts(&b, "<p class=\"field check\"><label><input "
                   "type=\"checkbox\" name=\"confirm\" value=\"yes\" "
                   "required> Yes, delete everything</label></p><p><button "
                   "type=\"submit\" class=\"danger\">Delete my account"
                   "</button></p></form></section>");
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_account_render(struct req *r, unsigned status, const char *e_import)
{
    struct acc_view v = { .e_import = e_import };
    return render(r, status, &v);
}

enum MHD_Result
page_account(struct req *r)
{
    struct acc_view v = { .email = NULL };
    const char *email = form_get(&r->form, "email");

    if (!r->post)
        return render(r, MHD_HTTP_OK, &v);
    if (email == NULL || !valid_email(email)) {
        v.email = email;
        v.e_email = "Give an email address such as name@example.org.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    if (store_user_set_email(r->st, r->sess.user_id, email) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The address could not be saved.");
    return web_redirect(r, "/account?done=email");
}

/* The current password, counted like sign-ins (a stolen session must
 * not be a way to guess it). Returns 1 when it is right, 0 when wrong,
 * -1 when throttled. */
static int
check_current(struct req *r, const char *pw)
{
    char account[80], hash[256];
    long long uid, n_account = 0, n_ip = 0;

    snprintf(account, sizeof account, "%s", r->sess.name);
    for (char *p = account; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (store_login_failures(r->st, account, r->ip,
                             r->now - WEB_LOGIN_WINDOW, &n_account, &n_ip)
        != CUR_OK || n_account >= WEB_LOGIN_MAX_ACCOUNT
        || n_ip >= WEB_LOGIN_MAX_IP)
        return -1;
    if (pw == NULL || strlen(pw) > STORE_PASSWORD_MAX
        || store_user_password_hash(r->st, r->sess.name, &uid, hash,
                                    sizeof hash) != CUR_OK
        || uid != r->sess.user_id || !auth_verify(r->w, hash, pw)) {
        store_login_failed(r->st, account, r->ip, r->now);
        return 0;
    }
    return 1;
}

static enum MHD_Result
throttled(struct req *r)
{
    char after[16];
    snprintf(after, sizeof after, "%d", WEB_LOGIN_WINDOW);
    web_header(r, "Retry-After", after);
    return web_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "Too many attempts",
                     "Too many wrong passwords. Wait 15 minutes and try "
                     "again.");
}

enum MHD_Result
page_account_password(struct req *r)
{
    struct acc_view v = { .email = NULL };
    const char *pw = form_get(&r->form, "password");
    int ok;

    v.e_new = auth_password_problem(pw, form_get(&r->form, "password2"));
    if (v.e_new != NULL)
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    ok = check_current(r, form_get(&r->form, "current"));
    if (ok < 0)
        return throttled(r);
    if (!ok) {
        v.e_current = "That is not your current password.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    if (auth_set_password(r, r->sess.user_id, pw) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The password could not be saved.");
    /* Anyone else signed in as this user is out. */
    store_session_delete_user(r->st, r->sess.user_id, r->token);
    log_info("web password changed user=%lld", r->sess.user_id);
    return web_redirect(r, "/account?done=password");
}

enum MHD_Result
page_account_delete(struct req *r)
{
    struct acc_view v = { .email = NULL };
    const char *confirm = form_get(&r->form, "confirm");
    long long uid = r->sess.user_id;
    int ok;

    if (confirm == NULL || strcmp(confirm, "yes") != 0) {
        v.e_delete = "Tick the box to confirm.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    ok = check_current(r, form_get(&r->form, "current_delete"));
    if (ok < 0)
        return throttled(r);
    if (!ok) {
        v.e_delete = "That is not your password.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    if (store_user_delete(r->st, uid) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The account could not be deleted.");
    log_info("web account deleted user=%lld", uid);
    /* The sessions went with the user; the cookie goes now. */
    memset(r->token, 0, sizeof r->token);
    auth_logout(r);
    return web_redirect(r, "/?done=deleted");
}

/* Why a token name is refused, or NULL; the name trimmed into out. */
static const char *
token_name_problem(const char *v, char *out, size_t len)
{
    size_t n, chars = 0;

    out[0] = '\0';
    if (v == NULL)
        return "Give the token a name.";
    while (*v == ' ')
        v++;
    n = strlen(v);
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n == 0)
        return "Give the token a name.";
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)v[i] & 0xc0) != 0x80;
    if (chars > STORE_API_NAME_MAX || n >= len)
        return "At most 64 characters.";
    memcpy(out, v, n);
    out[n] = '\0';
    if (!store_api_name_ok(out))
        return "No control characters.";
    return NULL;
}

enum MHD_Result
page_account_tokens(struct req *r)
{
    struct acc_view v = { .email = NULL };
    const char *act = form_get(&r->form, "act");
    char name[STORE_API_NAME_MAX * 4 + 1];
    char token[STORE_API_TOKEN_LEN + 1];
    long long id;
    int rc;

    if (act != NULL && strcmp(act, "revoke") == 0) {
        id = web_id(form_get(&r->form, "id"));
        rc = store_api_token_revoke(r->st, r->sess.user_id, id);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such token",
                             "That token is not one of yours.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The token could not be revoked.");
        log_info("web api token revoked user=%lld id=%lld", r->sess.user_id,
                 id);
        return web_redirect(r, "/account?done=token-revoked#api-tokens");
    }
    if (act == NULL || strcmp(act, "create") != 0)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action is unknown.");
    v.e_token_name = token_name_problem(form_get(&r->form, "token_name"),
                                        name, sizeof name);
    if (v.e_token_name == NULL) {
        rc = store_api_token_create(r->st, r->sess.user_id, name, r->now,
                                    token, &id);
        if (rc == CUR_ETOOBIG) {
            v.e_token_name = "You have 20 tokens already: revoke one "
                             "first.";
        } else if (rc != CUR_OK) {
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The token could not be made.");
        } else {
            /* Shown on this answer only (no-store): never logged. */
            log_info("web api token made user=%lld id=%lld",
                     r->sess.user_id, id);
            v.new_token = token;
            enum MHD_Result ret = render(r, MHD_HTTP_OK, &v);
            sodium_memzero(token, sizeof token);
            return ret;
        }
    }
    v.token_name = form_get(&r->form, "token_name");
    if (v.token_name != NULL && strlen(v.token_name) > 1024)
        v.token_name = NULL;
    return render(r, MHD_HTTP_BAD_REQUEST, &v);
}

enum MHD_Result
page_export(struct req *r)
{
    char *json;
    size_t len;
    char disp[160], day[40];
    struct buf b;

    if (export_user(r->st, r->sess.user_id, r->now, &json, &len) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The export could not be built.");
    date_format(r->now, day, sizeof day);
    snprintf(disp, sizeof disp, "attachment; filename=\"curator-%s-%.10s"
             ".json\"", r->sess.name, day);
    web_header(r, "Content-Disposition", disp);
    buf_init(&b, 0);
    int rc = buf_append(&b, json, len);
    free(json);
    if (rc != CUR_OK)
        return MHD_NO;
    return web_send(r, MHD_HTTP_OK, "application/json; charset=utf-8", &b);
}

enum MHD_Result
page_import(struct req *r)
{
    const struct form_field *f = form_field(&r->form, "export");
    struct import_stats st;
    char err[512];
    int rc;

    if (f == NULL || f->len == 0)
        return page_account_render(r, MHD_HTTP_BAD_REQUEST,
                                   "Choose an export file.");
    rc = import_user(r->st, r->sess.user_id, f->value, f->len, r->now, &st,
                     err, sizeof err);
    if (rc == CUR_EINVAL)
        return page_account_render(r, MHD_HTTP_BAD_REQUEST, err);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The import could not be stored.");
    log_info("web import user=%lld goals=%zu interests=%zu mutes=%zu "
             "subscriptions=%zu saved=%zu journal=%zu feedback=%zu",
             r->sess.user_id, st.goals, st.interests, st.mutes,
             st.subscriptions, st.saved, st.journal, st.feedback);
    return web_redirect(r, "/account?done=imported");
}
