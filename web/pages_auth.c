/* The pages around accounts: the start page, signing in and out, signing
 * up (when the config allows it) and accepting an invitation. Failed
 * sign-ins are counted per account and per address (WEB-6): over the
 * limit the answer is 429 with Retry-After, whether or not the account
 * exists, and an unknown name costs the same argon2id check as a known
 * one. */
#include "err.h"
#include "html.h"
#include "log.h"
#include "valid.h"
#include "web.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define LATEST_SUMMARY 280

/* A form field with white space trimmed, into out; "" when missing. */
static const char *
trimmed(struct req *r, const char *name, char *out, size_t len)
{
    const char *v = form_get(&r->form, name);
    size_t n;
    if (v == NULL)
        v = "";
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'
                     || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return out;
}

/* Where to go after signing in: a local path, else /today. */
static const char *
next_path(const char *next)
{
    if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\'
        || strncmp(next, "/login", 6) == 0 || strlen(next) > 512)
        return "/today";
    for (const char *p = next; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return "/today";
    return next;
}

/* The start page: signed in, Today; signed out, the newest items from
 * every feed and a way in. */
struct latest {
    struct buf *b;
    unsigned n;
    int rc;
};

static int
latest_item(void *ctx, const struct store_item *it)
{
    struct latest *l = ctx;
    struct buf *b = l->b;
    int rc = buf_puts(b, "<li><h2>");
    if (html_safe_url(it->link)) {
        rc |= buf_puts(b, "<a rel=\"noopener noreferrer nofollow\" href=\"");
        rc |= html_escape(b, it->link);
        rc |= buf_puts(b, "\">");
        rc |= html_escape(b, it->title);
        rc |= buf_puts(b, "</a>");
    } else {
        rc |= html_escape(b, it->title);
    }
    rc |= buf_puts(b, "</h2><p class=\"meta\">");
    rc |= html_escape(b, it->feed_title ? it->feed_title
                                        : "(untitled feed)");
    if (it->published) {
        rc |= buf_puts(b, " &middot; ");
        rc |= html_date(b, it->published);
    }
    rc |= buf_puts(b, "</p>");
    if (it->summary && it->summary[0]) {
        rc |= buf_puts(b, "<p class=\"summary\">");
        rc |= html_escape_cut(b, it->summary, LATEST_SUMMARY);
        rc |= buf_puts(b, "</p>");
    }
    rc |= buf_puts(b, "</li>\n");
    l->n++;
    return l->rc = rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_home(struct req *r)
{
    struct buf b;
    struct latest l = { &b, 0, 0 };
    long long items = 0;

    if (r->role > ROLE_ANON)
        return web_redirect(r, "/today");
    buf_init(&b, WEB_PAGE_MAX);
    int rc = html_open(&b, r, "Latest items", NULL);
    rc |= buf_puts(&b, "<h1>Latest items</h1><p class=\"lead\">The newest "
                   "items from every feed. <a href=\"/login\">Sign in</a> "
                   "to see them ranked for your goals and interests.</p>"
                   "<ol class=\"items\">\n");
    if (rc == CUR_OK)
        rc = store_item_list(r->st, 0, (int)r->w->page_items, latest_item,
                             &l);
    if (rc == CUR_OK)
        rc = store_item_count(r->st, &items);
    if (rc == CUR_OK && l.n == 0)
        rc = buf_puts(&b, "<li class=\"empty\">No items yet: the feeds "
                      "have not been polled, or they are empty.</li>");
    if (rc == CUR_OK)
        rc = buf_printf(&b, "</ol><p class=\"meta\">%u of %lld items "
                        "shown.</p>", l.n, items);
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

/* Signing in. */

static enum MHD_Result
login_form(struct req *r, unsigned status, const char *name,
           const char *error)
{
    struct buf b;
    buf_init(&b, WEB_PAGE_MAX);
    const char *next = form_get(&r->form, "next");
    if (next == NULL)
        next = web_query(r, "next");
    int rc = html_open(&b, r, "Sign in", NULL);
    rc |= buf_puts(&b, "<h1>Sign in</h1>");
    rc |= html_alert(&b, error);
    rc |= buf_puts(&b, "<form class=\"stack\" method=\"post\" "
                   "action=\"/login\">");
    rc |= html_csrf(&b, r);
    rc |= buf_puts(&b, "<input type=\"hidden\" name=\"next\" value=\"");
    rc |= html_escape(&b, next_path(next));
    rc |= buf_puts(&b, "\">");
    rc |= html_input(&b, "name", "Name", "text", name, NULL,
                     "required autocomplete=\"username\" maxlength=\"64\" "
                     "autocapitalize=\"none\"");
    rc |= html_input(&b, "password", "Password", "password", NULL, NULL,
                     "required autocomplete=\"current-password\"");
    rc |= buf_puts(&b, "<p><button type=\"submit\">Sign in</button></p>"
                   "</form>");
    if (r->w->allow_signup)
        rc |= buf_puts(&b, "<p>No account? <a href=\"/signup\">Sign up</a>."
                       "</p>");
    else
        rc |= buf_puts(&b, "<p>No account? Ask an admin for an "
                       "invitation.</p>");
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_login(struct req *r)
{
    char name[80], account[80], hash[256];
    long long uid = 0, n_account = 0, n_ip = 0;
    const char *pw;

    if (!r->post)
        return r->role > ROLE_ANON ? web_redirect(r, "/today")
                                   : login_form(r, MHD_HTTP_OK, NULL, NULL);
    trimmed(r, "name", name, sizeof name);
    pw = form_get(&r->form, "password");
    if (name[0] == '\0' || pw == NULL || pw[0] == '\0')
        return login_form(r, MHD_HTTP_BAD_REQUEST, name,
                          "Give your name and password.");
    /* Refused before any hashing: a huge password costs nothing. */
    if (strlen(pw) > STORE_PASSWORD_MAX)
        return login_form(r, MHD_HTTP_BAD_REQUEST, name,
                          "Passwords are at most 1024 bytes.");
    /* Counted case-blind: "Alice" and "alice" share the budget. */
    for (size_t i = 0; i <= strlen(name); i++)
        account[i] = (char)tolower((unsigned char)name[i]);
    if (store_login_failures(r->st, account, r->ip,
                             r->now - WEB_LOGIN_WINDOW, &n_account, &n_ip)
        != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "Signing in is not possible right now.");
    if (n_account >= WEB_LOGIN_MAX_ACCOUNT || n_ip >= WEB_LOGIN_MAX_IP) {
        char after[16];
        snprintf(after, sizeof after, "%d", WEB_LOGIN_WINDOW);
        web_header(r, "Retry-After", after);
        log_warn("web login throttled ip=%s", r->ip);
        return web_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "Too many attempts",
                         "Too many failed sign-ins for this account or "
                         "from this address. Wait 15 minutes and try "
                         "again.");
    }
    hash[0] = '\0';
    if (store_user_password_hash(r->st, name, &uid, hash, sizeof hash)
        != CUR_OK)
        hash[0] = '\0';
    if (!auth_verify(r->w, hash, pw)) {
        store_login_failed(r->st, account, r->ip, r->now);
        store_login_purge(r->st, r->now - 86400);
        log_info("web login failed ip=%s", r->ip);
        return login_form(r, MHD_HTTP_UNAUTHORIZED, name,
                          "Wrong name or password.");
    }
    store_login_forget(r->st, account);
    if (store_password_needs_rehash(hash))
        auth_set_password(r, uid, pw);
    if (auth_login(r, uid) != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "Signing in is not possible right now.");
    log_info("web login user=%lld ip=%s", uid, r->ip);
    return web_redirect(r, next_path(form_get(&r->form, "next")));
}

enum MHD_Result
page_logout(struct req *r)
{
    auth_logout(r);
    return web_redirect(r, "/?done=signed-out");
}

/* Making an account: by sign-up or by invitation. */

struct account_form {
    char name[80], email[300];
    const char *e_name, *e_email, *e_password;
};

static enum MHD_Result
account_page(struct req *r, unsigned status, const char *action,
             const char *role, const struct account_form *f)
{
    struct buf b;
    buf_init(&b, WEB_PAGE_MAX);
    int rc = html_open(&b, r, "Make your account", NULL);
    rc |= buf_puts(&b, "<h1>Make your account</h1>");
    if (role && strcmp(role, "subscriber") != 0)
        rc |= buf_printf(&b, "<p>This invitation makes you an %s.</p>",
                         role);
    rc |= buf_puts(&b, "<form class=\"stack\" method=\"post\" action=\"");
    rc |= html_escape(&b, action);
    rc |= buf_puts(&b, "\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "name", "Name (letters, digits, . _ -)", "text",
                     f->name, f->e_name, "required maxlength=\"64\" "
                     "autocomplete=\"username\" autocapitalize=\"none\"");
    rc |= html_input(&b, "email", "Email", "email", f->email, f->e_email,
                     "required maxlength=\"254\" autocomplete=\"email\"");
    rc |= html_input(&b, "password", "Password (8 characters or more)",
                     "password", NULL, f->e_password,
                     "required minlength=\"8\" "
                     "autocomplete=\"new-password\"");
    rc |= html_input(&b, "password2", "Password again", "password", NULL,
                     NULL, "required autocomplete=\"new-password\"");
    rc |= buf_puts(&b, "<p><button type=\"submit\">Make my account</button>"
                   "</p></form>");
    return html_send(r, status, &b, rc);
}

/* Check the form; on success make the user (with 'role', using the
 * invitation 'invite' when not NULL) and sign them in. */
static enum MHD_Result
account_make(struct req *r, const char *action, const char *role,
             const char *invite)
{
    struct account_form f = { .e_name = NULL };
    const char *pw = form_get(&r->form, "password");
    char hash[256];
    long long uid;
    int rc;

    trimmed(r, "name", f.name, sizeof f.name);
    trimmed(r, "email", f.email, sizeof f.email);
    if (!valid_user_name(f.name))
        f.e_name = "Use 1 to 64 letters, digits, dots, underscores or "
                   "hyphens, not starting with a dot or hyphen.";
    if (!valid_email(f.email))
        f.e_email = "Give an email address such as name@example.org.";
    f.e_password = auth_password_problem(pw, form_get(&r->form,
                                                      "password2"));
    if (f.e_name || f.e_email || f.e_password)
        return account_page(r, MHD_HTTP_BAD_REQUEST, action, role, &f);
    if (auth_hash(r->w, pw, hash, sizeof hash) != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "The account could not be made right now.");
    /* All or nothing: the user, the password, the role, the invitation
     * used up. */
    if ((rc = store_begin(r->st)) == CUR_OK) {
        rc = store_user_add(r->st, f.name, f.email, &uid);
        if (rc == CUR_OK)
            rc = store_user_set_password_hash(r->st, uid, hash);
        if (rc == CUR_OK && strcmp(role, "subscriber") != 0)
            rc = store_user_set_role(r->st, uid, role);
        if (rc == CUR_OK && invite != NULL) {
            rc = store_invite_use(r->st, invite, r->now, uid);
            if (rc == CUR_ENOTFOUND)
                rc = CUR_EPARSE;    /* told apart from a taken name */
        }
        if (rc == CUR_OK)
            rc = store_commit(r->st);
        else
            store_rollback(r->st);
    }
    if (rc == CUR_EEXIST) {
        f.e_name = "That name is taken; choose another.";
        return account_page(r, MHD_HTTP_BAD_REQUEST, action, role, &f);
    }
    if (rc == CUR_EPARSE)
        return web_error(r, MHD_HTTP_NOT_FOUND, "Invitation not valid",
                         "This invitation is unknown, used or expired.");
    if (rc != CUR_OK || auth_login(r, uid) != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "The account could not be made right now.");
    log_info("web account made user=%lld role=%s by=%s", uid, role,
             invite ? "invite" : "signup");
    return web_redirect(r, "/today?done=welcome");
}

enum MHD_Result
page_signup(struct req *r)
{
    struct account_form f = { .e_name = NULL };

    if (!r->w->allow_signup)
        return web_error(r, MHD_HTTP_NOT_FOUND, "Sign-up is closed",
                         "This Curator makes accounts by invitation only. "
                         "Ask an admin for an invitation link.");
    if (r->role > ROLE_ANON)
        return web_redirect(r, "/today");
    if (!r->post)
        return account_page(r, MHD_HTTP_OK, "/signup", NULL, &f);
    return account_make(r, "/signup", "subscriber", NULL);
}

enum MHD_Result
page_invite(struct req *r)
{
    struct account_form f = { .e_name = NULL };
    const char *role;
    char action[128];

    if (strlen(r->rest) != STORE_TOKEN_LEN
        || store_invite_check(r->st, r->rest, r->now, &role) != CUR_OK)
        return web_error(r, MHD_HTTP_NOT_FOUND, "Invitation not valid",
                         "This invitation is unknown, used or expired.");
    if (r->role > ROLE_ANON)
        return web_error(r, MHD_HTTP_FORBIDDEN, "Already signed in",
                         "Sign out first to make a new account with this "
                         "invitation.");
    snprintf(action, sizeof action, "/invite/%s", r->rest);
    if (!r->post)
        return account_page(r, MHD_HTTP_OK, action, role, &f);
    return account_make(r, action, role, r->rest);
}
