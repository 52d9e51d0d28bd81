/* The editors' and admins' pages. Tag a gem (editors and admins): the
 * newest items, or one item (?item=ID, from the Recent and Reach pages,
 * filled in when it is a gem already), each with a form to tag it as a
 * gem: a note on why it matters and for whom, topic tags (the gem
 * reaches people whose goals or interests name one), an audience (goal
 * names, and "team:NAME" for a team's members) and the days it stays a
 * gem. Admin: the users with their roles (a change ends that user's
 * sessions, so the new role takes effect at their next sign-in), and
 * invitations: a single-use link with a role, valid for some days,
 * shown once.
 */
#include "err.h"
#include "html.h"
#include "log.h"
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GEM_ITEMS 50
#define GEM_NOTE_MAX 1000
#define GEM_LIST_MAX 1000           /* bytes of the tags or audience typed */
#define GEM_ENTRY_MAX 64            /* bytes of one tag or audience entry */
#define GEM_ENTRIES_MAX 20          /* tags, or audience entries */
#define GEM_DAYS_MAX 365

/* What one item's form shows: the values (typed, or the gem's) and the
 * errors beside them. */
struct gem_form {
    long long item;
    const char *note, *tags, *aud, *days;
    const char *e_note, *e_tags, *e_aud, *e_days;
    long long expires;              /* of the gem already there, or 0 */
    int is_gem;
};

struct gem_page {
    struct req *r;
    struct buf *b;
    const struct gem_form *f;       /* the one item, or NULL: each item
                                       gets an empty form */
    int n;
};

static int
field_error(struct buf *b, const char *what, long long id, const char *msg)
{
    char fid[48];
    if (msg == NULL)
        return CUR_OK;
    snprintf(fid, sizeof fid, "%s-%lld", what, id);
    return html_field_error(b, fid, msg);
}

static int
gem_item(struct gem_page *p, long long id, const char *title,
         const char *feed_title, long long date)
{
    static const struct gem_form empty = { .days = "14" };
    const struct gem_form *f = p->f ? p->f : &empty;
    struct buf *b = p->b;
    int rc = buf_printf(b, "<li class=\"item\" id=\"item-%lld\"><h3>", id);

    rc |= html_escape(b, title);
    rc |= buf_puts(b, "</h3><p class=\"meta\">");
    rc |= html_escape(b, feed_title ? feed_title : "");
    rc |= buf_puts(b, " &middot; ");
    rc |= html_date(b, date);
    if (f->is_gem && f->expires > 0 && f->expires <= p->r->now) {
        rc |= buf_puts(b, " &middot; a gem until ");
        rc |= html_date(b, f->expires);
        rc |= buf_puts(b, " (expired)");
    } else if (f->is_gem) {
        rc |= buf_puts(b, " &middot; a gem now: saving replaces it");
    }
    rc |= buf_puts(b, "</p><form class=\"stack\" method=\"post\" "
                   "action=\"/gems\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"item\" value=\"%lld\">"
                     "<p class=\"field\"><label for=\"note-%lld\">Why it "
                     "matters, for whom</label><textarea id=\"note-%lld\" "
                     "name=\"note\" rows=\"2\" maxlength=\"1000\" required>",
                     id, id, id);
    rc |= html_escape(b, f->note);
    rc |= buf_puts(b, "</textarea>");
    rc |= field_error(b, "note", id, f->e_note);
    rc |= buf_printf(b, "</p><p class=\"field\"><label for=\"tags-%lld\">"
                     "Topic tags (commas): it reaches people whose goals or "
                     "interests name one</label><input id=\"tags-%lld\" "
                     "name=\"tags\" maxlength=\"1000\" value=\"", id, id);
    rc |= html_escape(b, f->tags);
    rc |= buf_puts(b, "\">");
    rc |= field_error(b, "tags", id, f->e_tags);
    rc |= buf_printf(b, "</p><p class=\"field\"><label for=\"aud-%lld\">"
                     "Audience: goal names, or team:NAME for a team "
                     "(commas; empty: everyone)</label><input "
                     "id=\"aud-%lld\" name=\"audience\" maxlength=\"1000\" "
                     "value=\"", id, id);
    rc |= html_escape(b, f->aud);
    rc |= buf_puts(b, "\">");
    rc |= field_error(b, "aud", id, f->e_aud);
    rc |= buf_printf(b, "</p><p class=\"field\"><label for=\"days-%lld\">"
                     "Days it stays a gem (0: always)</label><input "
                     "id=\"days-%lld\" name=\"days\" type=\"number\" "
                     "min=\"0\" max=\"365\" value=\"", id, id);
    rc |= html_escape(b, f->days);
    rc |= buf_puts(b, "\">");
    rc |= field_error(b, "days", id, f->e_days);
    rc |= buf_puts(b, "</p><p><button type=\"submit\">Tag as gem</button>"
                   "</p></form></li>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static int
gem_row(void *ctx, const struct store_item *it)
{
    return gem_item(ctx, it->id, it->title, it->feed_title,
                    it->published ? it->published : it->fetched);
}

static int
gem_one(void *ctx, const struct store_scoring_item *it)
{
    return gem_item(ctx, it->id, it->title, it->feed_title,
                    it->published ? it->published : it->fetched);
}

static int
scoring_exists(void *ctx, const struct store_scoring_item *it)
{
    (void)ctx;
    (void)it;
    return 0;
}

/* The page: every newest item with an empty form, or only f->item with
 * f's values (404 when there is no such item). */
static enum MHD_Result
gems_render(struct req *r, unsigned status, const struct gem_form *f)
{
    struct buf b;
    struct gem_page p = { r, &b, f, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Tag a gem", "gems");
    rc |= editor_nav(&b, "gems");
    rc |= buf_puts(&b, "<h1>Tag a gem</h1><p class=\"lead\">Tag the items "
                   "worth everyone's time, with a note on why. A gem "
                   "reaches the people whose goals or interests name one "
                   "of its tags, within its audience, and heads their "
                   "digest.</p>");
    if (f && (f->e_note || f->e_tags || f->e_aud || f->e_days))
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">The gem was not "
                       "saved: see below.</p>");
    rc |= buf_puts(&b, "<ol class=\"ranked\">");
    if (rc == CUR_OK && f == NULL) {
        rc = store_item_list(r->st, 0, GEM_ITEMS, gem_row, &p);
    } else if (rc == CUR_OK) {
        rc = store_scoring_item(r->st, f->item, r->now, gem_one, &p);
        if (rc == CUR_ENOTFOUND) {
            buf_free(&b);
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                             "That item does not exist.");
        }
    }
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No items yet.</li>");
    rc |= buf_puts(&b, "</ol>");
    if (f != NULL)
        rc |= buf_puts(&b, "<p><a href=\"/gems\">The newest items</a></p>");
    return html_send(r, status, &b, rc);
}

static int
text_ok(const char *s, size_t max)
{
    if (s == NULL || strlen(s) > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
            || *p == 0x7f)
            return 0;
    return 1;
}

/* Calls entry(ctx, start, len) for each comma-separated entry of 's',
 * white space trimmed, empty ones skipped; stops at a non-zero return.
 * Refuses more than GEM_ENTRIES_MAX entries. */
static int
each_entry(const char *s, int (*entry)(void *, const char *, size_t),
           void *ctx, char *err, size_t errlen)
{
    int n = 0;

    for (const char *p = s; *p;) {
        const char *e = strchr(p, ',');
        const char *a = p, *z = e ? e : p + strlen(p);
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (z > a) {
            if (++n > GEM_ENTRIES_MAX) {
                snprintf(err, errlen, "At most %d, separated by commas.",
                         GEM_ENTRIES_MAX);
                return CUR_EINVAL;
            }
            int rc = entry(ctx, a, (size_t)(z - a));
            if (rc != CUR_OK)
                return rc;
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    return CUR_OK;
}

struct clean {
    struct buf *out;
    struct store *st;
    char *err;
    size_t errlen;
};

/* An entry: at most GEM_ENTRY_MAX bytes, no control characters or line
 * breaks (the list is comma-joined, one line). */
static int
entry_ok(struct clean *c, const char *s, size_t n, const char *what)
{
    if (n == 0) {
        snprintf(c->err, c->errlen, "Name the %s after \"team:\".", what);
        return 0;
    }
    if (n > GEM_ENTRY_MAX) {
        snprintf(c->err, c->errlen, "Each %s is at most %d bytes.", what,
                 GEM_ENTRY_MAX);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(c->err, c->errlen, "No line breaks or control "
                     "characters in a %s.", what);
            return 0;
        }
    return 1;
}

static int
tag_entry(void *ctx, const char *s, size_t n)
{
    struct clean *c = ctx;
    int rc;

    if (!entry_ok(c, s, n, "tag"))
        return CUR_EINVAL;
    rc = c->out->len ? buf_puts(c->out, ",") : CUR_OK;
    /* Lowercase, as the filters see tags. */
    for (size_t i = 0; i < n && rc == CUR_OK; i++) {
        char ch = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        rc = buf_append(c->out, &ch, 1);
    }
    return rc;
}

/* The whole list first ('what' begins the sentence saying why not),
 * then each entry. */
static int
list_clean(struct clean *c, const char *typed, const char *what,
           int (*entry)(void *ctx, const char *s, size_t n))
{
    c->err[0] = '\0';
    if (typed == NULL)
        typed = "";
    if (!text_ok(typed, GEM_LIST_MAX)) {
        snprintf(c->err, c->errlen, "%s at most %d bytes in all, without "
                 "control characters.", what, GEM_LIST_MAX);
        return CUR_EINVAL;
    }
    return each_entry(typed, entry, c, c->err, c->errlen);
}

int
gem_tags_clean(const char *typed, struct buf *out, char *err, size_t errlen)
{
    struct clean c = { out, NULL, err, errlen };
    return list_clean(&c, typed, "Tags are", tag_entry);
}

static int
audience_entry(void *ctx, const char *s, size_t n)
{
    struct clean *c = ctx;
    int rc;

    if (n >= 5 && strncasecmp(s, "team:", 5) == 0) {
        /* A team must exist: a misspelt one would reach nobody. */
        char name[GEM_ENTRY_MAX + 1];
        const char *a = s + 5;
        size_t k = n - 5;
        long long id;
        while (k > 0 && (*a == ' ' || *a == '\t')) {
            a++;
            k--;
        }
        if (!entry_ok(c, a, k, "team"))
            return CUR_EINVAL;
        memcpy(name, a, k);
        name[k] = '\0';
        rc = store_team_find(c->st, name, &id);
        if (rc == CUR_ENOTFOUND) {
            snprintf(c->err, c->errlen, "There is no team called \"%s\".",
                     name);
            return CUR_EINVAL;
        }
        if (rc != CUR_OK)
            return rc;
        rc = buf_puts(c->out, c->out->len ? ",team:" : "team:");
        return rc == CUR_OK ? buf_puts(c->out, name) : rc;
    }
    if (!entry_ok(c, s, n, "goal"))
        return CUR_EINVAL;
    rc = c->out->len ? buf_puts(c->out, ",") : CUR_OK;
    return rc == CUR_OK ? buf_append(c->out, s, n) : rc;
}

int
gem_audience_clean(struct store *st, const char *typed, struct buf *out,
                   char *err, size_t errlen)
{
    struct clean c = { out, st, err, errlen };
    return list_clean(&c, typed, "The audience is", audience_entry);
}

struct prefill {
    struct gem_form *f;
    char days[16];
};

static int
gem_prefill(void *ctx, const struct store_gem_info *g)
{
    struct prefill *p = ctx;
    /* Borrowed strings die with the row: keep copies. */
    p->f->note = strdup(g->note);
    p->f->tags = strdup(g->tags);
    p->f->aud = strdup(g->audience);
    p->f->expires = g->expires;
    p->f->is_gem = 1;           /* the copies are freed, even partial */
    return p->f->note && p->f->tags && p->f->aud ? 0 : CUR_ENOMEM;
}

/* GET /gems?item=ID: that item's form, filled in from its gem. */
static enum MHD_Result
gems_one(struct req *r, long long item)
{
    struct gem_form f = { .item = item, .note = "", .tags = "", .aud = "",
                          .days = "14" };
    struct prefill p = { &f, "" };
    enum MHD_Result ret;
    int rc = store_gem_get(r->st, item, gem_prefill, &p);

    if (rc == CUR_OK) {
        long long left = f.expires == 0 ? 0
                         : (f.expires - r->now + 86399) / 86400;
        snprintf(p.days, sizeof p.days, "%lld",
                 f.expires == 0 ? 0 : left < 1 ? 14
                 : left > GEM_DAYS_MAX ? GEM_DAYS_MAX : left);
        f.days = p.days;
    }
    if (rc != CUR_OK && rc != CUR_ENOTFOUND)
        ret = web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                        "The page could not be built.");
    else
        ret = gems_render(r, MHD_HTTP_OK, &f);
    if (f.is_gem) {
        free((char *)f.note);
        free((char *)f.tags);
        free((char *)f.aud);
    }
    return ret;
}

enum MHD_Result
page_gems(struct req *r)
{
    struct gem_form f = {
        .item = web_id(form_get(&r->form, "item")),
        .note = form_get(&r->form, "note"),
        .tags = form_get(&r->form, "tags"),
        .aud = form_get(&r->form, "audience"),
        .days = form_get(&r->form, "days"),
    };
    struct buf tags, aud;
    char e_tags[160], e_aud[200];
    long long d = 0;
    int rc;

    if (!r->post) {
        const char *q = web_query(r, "item");
        if (q == NULL)
            return gems_render(r, MHD_HTTP_OK, NULL);
        if (web_id(q) <= 0)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                             "That item does not exist.");
        return gems_one(r, web_id(q));
    }
    if (f.item <= 0 || store_scoring_item(r->st, f.item, r->now,
                                          scoring_exists, NULL) != CUR_OK)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist.");
    if (f.note == NULL || f.note[0] == '\0' || !text_ok(f.note, GEM_NOTE_MAX))
        f.e_note = "Write a note of at most 1000 bytes.";
    if (f.days != NULL && f.days[0] != '\0') {
        d = web_id(f.days);
        if ((d <= 0 && strcmp(f.days, "0") != 0) || d > GEM_DAYS_MAX)
            f.e_days = "Days is a whole number from 0 to 365.";
    }
    buf_init(&tags, 8192);
    buf_init(&aud, 8192);
    rc = gem_tags_clean(f.tags, &tags, e_tags, sizeof e_tags);
    if (rc == CUR_EINVAL)
        f.e_tags = e_tags;
    if (rc == CUR_OK || rc == CUR_EINVAL) {
        rc = gem_audience_clean(r->st, f.aud, &aud, e_aud, sizeof e_aud);
        if (rc == CUR_EINVAL)
            f.e_aud = e_aud;
    }
    if (rc != CUR_OK && rc != CUR_EINVAL) {
        buf_free(&tags);
        buf_free(&aud);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The gem could not be checked.");
    }
    if (f.e_note || f.e_tags || f.e_aud || f.e_days) {
        /* The form back as typed; the values are checked for display
         * by html_escape() only. */
        if (f.note == NULL)
            f.note = "";
        if (f.tags == NULL)
            f.tags = "";
        if (f.aud == NULL)
            f.aud = "";
        if (f.days == NULL)
            f.days = "";
        buf_free(&tags);
        buf_free(&aud);
        return gems_render(r, MHD_HTTP_BAD_REQUEST, &f);
    }
    rc = store_gem_put(r->st, f.item, r->sess.user_id, f.note,
                       tags.data ? tags.data : "", aud.data ? aud.data : "",
                       d > 0 ? r->now + d * 86400 : 0);
    buf_free(&tags);
    buf_free(&aud);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The gem could not be saved.");
    log_info("web gem item=%lld editor=%lld", f.item, r->sess.user_id);
    return web_redirect(r, "/gems?done=gem");
}

/* Admin. */

struct users_page {
    struct req *r;
    struct buf *b;
    int rc;
};

static int
user_row(void *ctx, const struct store_user *u)
{
    static const char *const roles[] = { "subscriber", "editor", "admin" };
    struct users_page *p = ctx;
    struct buf *b = p->b;
    const char *role = "subscriber";
    store_user_role(p->r->st, u->id, &role);
    int rc = buf_puts(b, "<tr><td>");
    rc |= html_escape(b, u->name);
    rc |= buf_puts(b, "</td><td class=\"url\">");
    rc |= html_escape(b, u->email);
    rc |= buf_puts(b, "</td><td><form class=\"row\" method=\"post\" "
                   "action=\"/admin\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"user\" value=\"%lld\">"
                     "<label class=\"sr\" for=\"role-%lld\">Role</label>"
                     "<select id=\"role-%lld\" name=\"role\">", u->id, u->id,
                     u->id);
    for (size_t i = 0; i < 3; i++)
        rc |= buf_printf(b, "<option%s>%s</option>",
                         strcmp(role, roles[i]) == 0 ? " selected" : "",
                         roles[i]);
    rc |= buf_puts(b, "</select><button type=\"submit\" name=\"act\" "
                   "value=\"role\">Set</button></form></td></tr>\n");
    return p->rc = rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
admin_render(struct req *r, unsigned status, const char *invite,
             const char *error)
{
    struct buf b;
    struct users_page p = { r, &b, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Admin", "admin");
    rc |= buf_puts(&b, "<h1>Admin</h1>");
    rc |= ops_admin_nav(&b, "users");
    rc |= html_alert(&b, error);
    rc |= buf_puts(&b, "<section><h2>Invite someone</h2>");
    if (invite) {
        rc |= buf_puts(&b, "<p class=\"notice\" role=\"status\">Send this "
                       "link to the person invited; it works once and is "
                       "not shown again:</p><p class=\"url\" "
                       "id=\"invite-link\">");
        rc |= html_escape(&b, invite);
        rc |= buf_puts(&b, "</p>");
    }
    rc |= buf_puts(&b, "<form class=\"row\" method=\"post\" "
                   "action=\"/admin\">");
    rc |= html_csrf(&b, r);
    rc |= buf_puts(&b, "<p class=\"field\"><label for=\"irole\">Role</label>"
                   "<select id=\"irole\" name=\"role\"><option selected>"
                   "subscriber</option><option>editor</option><option>"
                   "admin</option></select></p><p class=\"field\"><label "
                   "for=\"idays\">Valid for days</label><input id=\"idays\" "
                   "name=\"days\" type=\"number\" min=\"1\" max=\"90\" "
                   "value=\"7\"></p><button type=\"submit\" name=\"act\" "
                   "value=\"invite\">Make an invitation link</button></form>"
                   "</section><section><h2>Users</h2><table class=\"users\">"
                   "<thead><tr><th>Name</th><th>Email</th><th>Role</th></tr>"
                   "</thead><tbody>");
    if (rc == CUR_OK)
        rc = store_user_list(r->st, user_row, &p);
    rc |= buf_puts(&b, "</tbody></table></section>");
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_admin(struct req *r)
{
    const char *act = form_get(&r->form, "act");
    const char *role = form_get(&r->form, "role");
    int rc;

    if (!r->post)
        return admin_render(r, MHD_HTTP_OK, NULL, NULL);
    if (role == NULL || role_of(role) == ROLE_ANON)
        return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL,
                            "Choose subscriber, editor or admin.");
    if (act != NULL && strcmp(act, "invite") == 0) {
        const char *days = form_get(&r->form, "days");
        long long d = web_id(days);
        char token[STORE_TOKEN_LEN + 1], link[512];
        if (d < 1 || d > 90)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL,
                                "An invitation is valid for 1 to 90 days.");
        rc = store_invite_create(r->st, role, r->now + d * 86400,
                                 r->sess.user_id, token);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The invitation could not be made.");
        snprintf(link, sizeof link, "%s/invite/%s", r->w->base_url, token);
        log_info("web invite made by=%lld role=%s days=%lld",
                 r->sess.user_id, role, d);
        return admin_render(r, MHD_HTTP_OK, link, NULL);
    }
    if (act != NULL && strcmp(act, "role") == 0) {
        long long uid = web_id(form_get(&r->form, "user"));
        if (uid == r->sess.user_id && strcmp(role, "admin") != 0)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL,
                                "You cannot take away your own admin role; "
                                "ask another admin.");
        rc = store_user_set_role(r->st, uid, role);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such user",
                             "That user does not exist.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The role could not be saved.");
        /* A role change rotates the user's sessions (WEB-3). */
        if (uid != r->sess.user_id)
            store_session_delete_user(r->st, uid, NULL);
        log_info("web role set user=%lld role=%s by=%lld", uid, role,
                 r->sess.user_id);
        return web_redirect(r, "/admin?done=role");
    }
    return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                     "That action is unknown.");
}
