/* The editors' and admins' pages. Gems (editors and admins): the newest
 * items, each with a form to tag it as a gem with a note on why it
 * matters and for which goals. Admin: the users with their roles (a
 * change ends that user's sessions, so the new role takes effect at
 * their next sign-in), and invitations: a single-use link with a role,
 * valid for some days, shown once.
 */
#include "err.h"
#include "html.h"
#include "log.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#define GEM_ITEMS 50
#define GEM_NOTE_MAX 1000
#define GEM_LIST_MAX 200

struct gem_page {
    struct req *r;
    struct buf *b;
    long long bad_item;
    const char *e_note;
    int n;
};

static int
gem_row(void *ctx, const struct store_item *it)
{
    struct gem_page *p = ctx;
    struct buf *b = p->b;
    long long id = it->id;
    int rc = buf_printf(b, "<li class=\"item\" id=\"item-%lld\"><h3>", id);
    rc |= html_escape(b, it->title);
    rc |= buf_puts(b, "</h3><p class=\"meta\">");
    rc |= html_escape(b, it->feed_title ? it->feed_title : "");
    rc |= buf_puts(b, " &middot; ");
    rc |= html_date(b, it->published ? it->published : it->fetched);
    rc |= buf_puts(b, "</p><form class=\"stack\" method=\"post\" "
                   "action=\"/gems\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"item\" value=\"%lld\">"
                     "<p class=\"field\"><label for=\"note-%lld\">Why it "
                     "matters, for whom</label><textarea id=\"note-%lld\" "
                     "name=\"note\" rows=\"2\" maxlength=\"1000\" required>"
                     "</textarea>", id, id, id);
    if (p->bad_item == id) {
        char fid[40];
        snprintf(fid, sizeof fid, "note-%lld", id);
        rc |= html_field_error(b, fid, p->e_note);
    }
    rc |= buf_printf(b, "</p><p class=\"field\"><label for=\"aud-%lld\">"
                     "Goals it is for (commas; empty: everyone)</label>"
                     "<input id=\"aud-%lld\" name=\"audience\" "
                     "maxlength=\"200\"></p><p class=\"field\"><label "
                     "for=\"days-%lld\">Days it stays a gem (0: always)"
                     "</label><input id=\"days-%lld\" name=\"days\" "
                     "type=\"number\" min=\"0\" max=\"365\" value=\"14\"></p>"
                     "<p><button type=\"submit\">Tag as gem</button></p>"
                     "</form></li>\n", id, id, id, id);
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
gems_render(struct req *r, unsigned status, long long bad_item,
            const char *e_note)
{
    struct buf b;
    struct gem_page p = { r, &b, bad_item, e_note, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Gems", "gems");
    rc |= buf_puts(&b, "<h1>Gems</h1><p class=\"lead\">Tag the items worth "
                   "everyone's time, with a note on why; they reach the "
                   "people whose goals they fit.</p>");
    if (e_note)
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">The gem was not "
                       "saved: see below.</p>");
    rc |= buf_puts(&b, "<ol class=\"ranked\">");
    if (rc == CUR_OK)
        rc = store_item_list(r->st, 0, GEM_ITEMS, gem_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No items yet.</li>");
    rc |= buf_puts(&b, "</ol>");
    if (rc == CUR_OK)
        rc = html_close(&b);
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The page could not be built.");
    }
    return web_send(r, status, "text/html; charset=utf-8", &b);
}

static int
exists(void *ctx, const struct store_scoring_item *it)
{
    (void)ctx;
    (void)it;
    return 0;
}

static int
text_ok(const char *s, size_t max)
{
    if (s == NULL || strlen(s) > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
            return 0;
    return 1;
}

enum MHD_Result
page_gems(struct req *r)
{
    long long item = web_id(form_get(&r->form, "item"));
    const char *note = form_get(&r->form, "note");
    const char *aud = form_get(&r->form, "audience");
    const char *days = form_get(&r->form, "days");
    long long d = days && days[0] ? web_id(days) : 0;

    if (!r->post)
        return gems_render(r, MHD_HTTP_OK, 0, NULL);
    if (item <= 0 || store_scoring_item(r->st, item, r->now, exists, NULL)
                     != CUR_OK)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist.");
    if (note == NULL || note[0] == '\0' || !text_ok(note, GEM_NOTE_MAX))
        return gems_render(r, MHD_HTTP_BAD_REQUEST, item,
                           "Write a note of at most 1000 bytes.");
    if (aud != NULL && !text_ok(aud, GEM_LIST_MAX))
        return gems_render(r, MHD_HTTP_BAD_REQUEST, item,
                           "The goals list is at most 200 bytes.");
    if ((days && days[0] && strcmp(days, "0") != 0 && d <= 0) || d > 365)
        return gems_render(r, MHD_HTTP_BAD_REQUEST, item,
                           "Days is a number from 0 to 365.");
    if (store_gem_put(r->st, item, r->sess.user_id, note, "",
                      aud ? aud : "", d > 0 ? r->now + d * 86400 : 0)
        != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The gem could not be saved.");
    log_info("web gem item=%lld editor=%lld", item, r->sess.user_id);
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
    if (error) {
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">");
        rc |= html_escape(&b, error);
        rc |= buf_puts(&b, "</p>");
    }
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
    if (rc == CUR_OK)
        rc = html_close(&b);
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The page could not be built.");
    }
    return web_send(r, status, "text/html; charset=utf-8", &b);
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
