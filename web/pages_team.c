/* Teams on the web. A member sees their teams (/teams) and each team's
 * page (/teams/ID): the items shared with it, newest first, each with
 * its notes and who wrote them (sharing is an act addressed to the
 * team), and "shared by N teammates" only from TEAM_AGGREGATE_MIN
 * sharers up. Nothing of anyone's reading, scores or feedback is shown,
 * and a team's page is "not found" for anyone not in it. Sharing goes
 * through POST /teams/share (the Today page's control, or the form at
 * GET /teams/share?item=ID); only a member may share, and only an item
 * they can see. Admins make and remove teams and members at
 * /admin/teams.
 */
#include "err.h"
#include "html.h"
#include "log.h"
#include "valid.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#define TEAM_AGGREGATE_MIN 3    /* no count of people under this */
#define TEAM_NOTE_MAX 1000      /* bytes, as the store allows */
#define TEAM_ITEMS_SHOWN 100
#define TEAM_OPTIONS_MAX 64     /* teams offered in a share control */

/* The "done" codes of this file's redirects. */
static const struct html_note notices[] = {
    { "shared", "Shared with the team." },
    { "team-added", "Team made." },
    { "team-removed", "Team removed, with what was shared in it." },
    { "member-added", "Member added." },
    { "member-removed", "Member removed." },
};
#define N_NOTICES (sizeof notices / sizeof notices[0])

/* The share control, for the Today page. */

struct opts_ctx {
    struct buf *b;
    long long selected;         /* the team chosen before, or 0 */
    int n;
};

static int
option_row(void *ctx, const struct store_team *t)
{
    struct opts_ctx *o = ctx;
    if (o->n >= TEAM_OPTIONS_MAX)
        return 0;
    int rc = buf_printf(o->b, "<option value=\"%lld\"%s>", t->id,
                        t->id == o->selected ? " selected" : "");
    rc |= html_escape(o->b, t->name);
    rc |= buf_puts(o->b, "</option>");
    o->n++;
    return rc ? CUR_ENOMEM : 0;
}

int
team_share_options(struct req *r, struct buf *opts)
{
    struct opts_ctx o = { opts, 0, 0 };
    return store_team_list(r->st, r->sess.user_id, option_row, &o);
}

int
team_share_control(struct buf *b, long long item_id, const struct buf *opts)
{
    char id[24];
    int rc;

    snprintf(id, sizeof id, "%lld", item_id);
    /* The fields belong to the item's own form (form="share-ID"), made
     * by team_share_form() outside the page's form: forms do not
     * nest. */
    rc = buf_puts(b, "<details class=\"share\"><summary>Share to team"
                  "</summary><label for=\"share-team-");
    rc |= buf_printf(b, "%s\">Team</label><select id=\"share-team-%s\" "
                     "name=\"team\" form=\"share-%s\">", id, id, id);
    rc |= buf_append(b, opts->data, opts->len);
    rc |= buf_printf(b, "</select> <label for=\"share-note-%s\">Note</label>"
                     "<input id=\"share-note-%s\" name=\"note\" "
                     "maxlength=\"1000\" form=\"share-%s\"> <button "
                     "type=\"submit\" form=\"share-%s\">Share</button>"
                     "</details>", id, id, id, id);
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
team_share_form(struct buf *b, struct req *r, long long item_id)
{
    int rc = buf_printf(b, "<form id=\"share-%lld\" method=\"post\" "
                        "action=\"/teams/share\">", item_id);
    rc |= html_csrf(b, r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"item\" "
                     "value=\"%lld\"></form>", item_id);
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* /teams */

struct list_ctx {
    struct buf *b;
    int n;
};

static int
team_link_row(void *ctx, const struct store_team *t)
{
    struct list_ctx *l = ctx;
    int rc = buf_printf(l->b, "<li><a href=\"/teams/%lld\">", t->id);
    rc |= html_escape(l->b, t->name);
    rc |= buf_puts(l->b, "</a></li>");
    l->n++;
    return rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_teams(struct req *r)
{
    struct buf b;
    struct list_ctx l = { &b, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Teams", "teams");
    rc |= buf_puts(&b, "<h1>Your teams</h1><p class=\"lead\">What members "
                   "share with a team shows on its page and in their "
                   "digests. Nobody sees what you read or how you rate "
                   "items.</p><ul class=\"teams\">");
    if (rc == CUR_OK)
        rc = store_team_list(r->st, r->sess.user_id, team_link_row, &l);
    if (l.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">You are in no team yet: an "
                       "admin adds members.</li>");
    rc |= buf_puts(&b, "</ul>");
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

/* /teams/ID */

struct team_info {
    char name[STORE_NAME_MAX + 1];
    long long members;
};

static int
team_info_row(void *ctx, const struct store_team *t)
{
    struct team_info *ti = ctx;
    snprintf(ti->name, sizeof ti->name, "%s", t->name);
    ti->members = t->members;
    return 0;
}

/* The team 'id' if the signed-in user is in it: CUR_OK, CUR_ENOTFOUND
 * (no such team, or not theirs: the same answer), or a store error. */
static int
my_team(struct req *r, long long id, struct team_info *ti)
{
    int member = 0;
    int rc = id > 0 ? store_team_member(r->st, id, r->sess.user_id, &member)
                    : CUR_ENOTFOUND;
    if (rc == CUR_OK && !member)
        rc = CUR_ENOTFOUND;
    if (rc == CUR_OK)
        rc = store_team_get(r->st, id, team_info_row, ti);
    return rc;
}

struct shares_ctx {
    struct buf *b;
    long long item;             /* the item open, 0: none */
    int n;
};

static int
close_item(struct shares_ctx *s)
{
    if (s->item == 0)
        return CUR_OK;
    s->item = 0;
    return buf_puts(s->b, "</ul></li>\n");
}

static int
share_row(void *ctx, const struct store_team_item_share *sh)
{
    struct shares_ctx *s = ctx;
    struct buf *b = s->b;
    int rc = CUR_OK;

    if (sh->item_id != s->item) {
        rc |= close_item(s);
        s->item = sh->item_id;
        s->n++;
        rc |= buf_printf(b, "<li class=\"item\" id=\"item-%lld\"><h3>",
                         sh->item_id);
        if (html_safe_url(sh->link)) {
            rc |= buf_puts(b, "<a rel=\"noopener noreferrer nofollow\" "
                           "href=\"");
            rc |= html_escape(b, sh->link);
            rc |= buf_puts(b, "\">");
            rc |= html_escape(b, sh->title);
            rc |= buf_puts(b, "</a>");
        } else {
            rc |= html_escape(b, sh->title);
        }
        rc |= buf_puts(b, "</h3><p class=\"meta\">");
        rc |= html_escape(b, sh->feed);
        rc |= buf_puts(b, " &middot; last shared ");
        rc |= html_date(b, sh->latest);
        rc |= buf_puts(b, "</p>");
        /* A count of people only from the threshold up. */
        if (sh->sharers >= TEAM_AGGREGATE_MIN)
            rc |= buf_printf(b, "<p class=\"fold\">Shared by %d teammates"
                             "</p>", sh->sharers);
        rc |= buf_puts(b, "<ul class=\"notes\">");
    }
    rc |= buf_puts(b, "<li><span class=\"who\">");
    rc |= html_escape(b, sh->user);
    rc |= buf_puts(b, "</span>");
    if (sh->note[0]) {
        rc |= buf_puts(b, ": &ldquo;");
        rc |= html_escape(b, sh->note);
        rc |= buf_puts(b, "&rdquo;");
    } else {
        rc |= buf_puts(b, " shared it");
    }
    rc |= buf_puts(b, " &middot; ");
    rc |= html_date(b, sh->created);
    rc |= buf_puts(b, "</li>");
    return rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_team(struct req *r)
{
    long long id = web_id(r->rest);
    struct team_info ti = { "", 0 };
    struct buf b;
    struct shares_ctx s = { &b, 0, 0 };
    int rc = my_team(r, id, &ti);

    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such team",
                         "There is no team of yours at this address.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "The team could not be read; try again in a "
                         "minute.");
    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, ti.name, "teams");
    rc |= buf_puts(&b, "<h1>");
    rc |= html_escape(&b, ti.name);
    rc |= buf_puts(&b, "</h1>");
    rc |= html_notice_of(&b, r, notices, N_NOTICES);
    rc |= buf_puts(&b, "<p class=\"lead\">What members shared with the "
                   "team, newest first. Share items from your <a "
                   "href=\"/today\">Today</a> page.</p><ol class=\"shared\">");
    if (rc == CUR_OK)
        rc = store_team_item_shares(r->st, id, TEAM_ITEMS_SHOWN, share_row,
                                    &s);
    if (rc == CUR_OK)
        rc = close_item(&s);
    if (s.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">Nothing shared yet.</li>");
    rc |= buf_puts(&b, "</ol>");
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

/* /teams/share */

struct item_title {
    char title[512];
};

static int
item_title_row(void *ctx, const struct store_item *it)
{
    struct item_title *t = ctx;
    snprintf(t->title, sizeof t->title, "%s", it->title);
    return 0;
}

/* The share form for one item, with the values sent and their
 * errors. */
static enum MHD_Result
share_render(struct req *r, unsigned status, long long item,
             const char *title, long long team, const char *note,
             const char *e_team, const char *e_note)
{
    struct buf b, opts;
    struct opts_ctx o = { &opts, team, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    buf_init(&opts, 1u << 20);
    rc = store_team_list(r->st, r->sess.user_id, option_row, &o);
    rc |= html_open(&b, r, "Share to team", "teams");
    rc |= buf_puts(&b, "<h1>Share to team</h1><p class=\"lead\">");
    rc |= html_escape(&b, title);
    rc |= buf_puts(&b, "</p>");
    if (e_team || e_note)
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">Nothing was "
                       "shared: see below.</p>");
    if (o.n == 0) {
        rc |= buf_puts(&b, "<p class=\"empty\">You are in no team: an admin "
                       "adds members.</p>");
    } else {
        rc |= buf_puts(&b, "<form class=\"stack\" method=\"post\" "
                       "action=\"/teams/share\">");
        rc |= html_csrf(&b, r);
        rc |= buf_printf(&b, "<input type=\"hidden\" name=\"item\" "
                         "value=\"%lld\"><p class=\"field\"><label "
                         "for=\"team\">Team</label><select id=\"team\" "
                         "name=\"team\"%s>", item, e_team ? " aria-invalid="
                         "\"true\" aria-describedby=\"team-error\"" : "");
        rc |= buf_append(&b, opts.data, opts.len);
        rc |= buf_puts(&b, "</select>");
        rc |= html_field_error(&b, "team", e_team);
        rc |= buf_puts(&b, "</p>");
        rc |= html_input(&b, "note", "Note for the team (optional)", "text",
                         note, e_note, "maxlength=\"1000\"");
        rc |= buf_puts(&b, "<p><button type=\"submit\">Share</button></p>"
                       "</form>");
    }
    buf_free(&opts);
    return html_send(r, status, &b, rc);
}

/* Why a note is refused, or NULL. One line of at most TEAM_NOTE_MAX
 * bytes (the form already refused invalid UTF-8 and NUL). */
static const char *
note_problem(const char *note)
{
    if (note == NULL)
        return NULL;
    if (strlen(note) > TEAM_NOTE_MAX)
        return "A note is at most 1000 bytes.";
    for (const unsigned char *p = (const unsigned char *)note; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return "A note is one line of text.";
    return NULL;
}

enum MHD_Result
page_team_share(struct req *r)
{
    const char *src = r->post ? form_get(&r->form, "item")
                              : web_query(r, "item");
    long long item = web_id(src);
    const char *team_s = form_get(&r->form, "team");
    const char *note = form_get(&r->form, "note");
    long long team = web_id(team_s);
    struct item_title it = { "" };
    struct team_info ti = { "", 0 };
    const char *e_note;
    char where[64];
    int rc;

    /* Only items this user may see. */
    rc = item > 0 ? store_item_for_user(r->st, r->sess.user_id, item,
                                        item_title_row, &it)
                  : CUR_ENOTFOUND;
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist or is not yours to "
                         "see.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "That did not work; try again in a minute.");
    if (!r->post)
        return share_render(r, MHD_HTTP_OK, item, it.title, 0, NULL, NULL,
                            NULL);
    if (team <= 0)
        return share_render(r, MHD_HTTP_BAD_REQUEST, item, it.title, 0,
                            note, "Choose one of your teams.", NULL);
    rc = my_team(r, team, &ti);
    if (rc == CUR_ENOTFOUND)
        return share_render(r, MHD_HTTP_FORBIDDEN, item, it.title, 0, note,
                            "You are not a member of that team.", NULL);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "That did not work; try again in a minute.");
    if ((e_note = note_problem(note)) != NULL)
        return share_render(r, MHD_HTTP_BAD_REQUEST, item, it.title, team,
                            note, NULL, e_note);
    rc = store_share_add(r->st, team, r->sess.user_id, item, note);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The share could not be saved.");
    log_info("web share team=%lld item=%lld user=%lld", team, item,
             r->sess.user_id);
    snprintf(where, sizeof where, "/teams/%lld?done=shared#item-%lld", team,
             item);
    return web_redirect(r, where);
}

/* /admin/teams */

struct admin_view {
    struct req *r;
    struct buf *b;
    long long bad_team;         /* the team whose member field erred */
    const char *member;         /* its value */
    const char *e_member;
    int n;
    int rc;
};

struct members_ctx {
    struct admin_view *v;
    long long team;
    int n;
};

static int
member_row(void *ctx, long long user_id, const char *name)
{
    struct members_ctx *m = ctx;
    struct buf *b = m->v->b;
    int rc = buf_puts(b, "<li><form class=\"row\" method=\"post\" "
                      "action=\"/admin/teams\">");
    rc |= html_escape(b, name);
    rc |= buf_puts(b, " ");
    rc |= html_csrf(b, m->v->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"team\" value=\"%lld\">"
                     "<input type=\"hidden\" name=\"user\" value=\"%lld\">"
                     "<button type=\"submit\" name=\"act\" value=\"remove\" "
                     "class=\"secondary\">Remove</button></form></li>",
                     m->team, user_id);
    m->n++;
    return rc ? CUR_ENOMEM : 0;
}

static int
admin_team_row(void *ctx, const struct store_team *t)
{
    struct admin_view *v = ctx;
    struct buf *b = v->b;
    struct members_ctx m = { v, t->id, 0 };
    char fid[40];
    int erred = v->bad_team == t->id;
    int rc = buf_printf(b, "<section class=\"team\" id=\"team-%lld\"><h3>",
                        t->id);

    rc |= html_escape(b, t->name);
    rc |= buf_printf(b, " <span class=\"meta\">(%lld member%s)</span></h3>"
                     "<ul class=\"members\">", t->members,
                     t->members == 1 ? "" : "s");
    if (rc == CUR_OK)
        rc = store_team_members(v->r->st, t->id, member_row, &m);
    if (m.n == 0)
        rc |= buf_puts(b, "<li class=\"empty\">No members yet.</li>");
    snprintf(fid, sizeof fid, "member-%lld", t->id);
    rc |= buf_puts(b, "</ul><form class=\"row\" method=\"post\" "
                   "action=\"/admin/teams\">");
    rc |= html_csrf(b, v->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"team\" value=\"%lld\">"
                     "<p class=\"field\"><label for=\"%s\">Add a member "
                     "(user name)</label><input id=\"%s\" name=\"member\" "
                     "maxlength=\"64\" required", t->id, fid, fid);
    if (erred) {
        rc |= buf_printf(b, " aria-invalid=\"true\" aria-describedby=\""
                         "%s-error\" value=\"", fid);
        rc |= html_escape(b, v->member);
        rc |= buf_puts(b, "\"");
    }
    rc |= buf_puts(b, ">");
    if (erred)
        rc |= html_field_error(b, fid, v->e_member);
    rc |= buf_puts(b, "</p><button type=\"submit\" name=\"act\" "
                   "value=\"add\">Add</button></form><form class=\"row\" "
                   "method=\"post\" action=\"/admin/teams\">");
    rc |= html_csrf(b, v->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"team\" value=\"%lld\">"
                     "<p class=\"field\"><input type=\"checkbox\" "
                     "id=\"confirm-%lld\" name=\"confirm\" value=\"yes\" "
                     "required> <label for=\"confirm-%lld\">Also delete "
                     "what was shared in it</label></p><button "
                     "type=\"submit\" name=\"act\" value=\"delete\" "
                     "class=\"secondary\">Remove the team</button></form>"
                     "</section>\n", t->id, t->id, t->id);
    v->n++;
    return v->rc = rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
admin_render(struct req *r, unsigned status, const char *name,
             const char *e_name, long long bad_team, const char *member,
             const char *e_member, const char *error)
{
    struct buf b;
    struct admin_view v = { r, &b, bad_team, member, e_member, 0, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Teams", "admin");
    rc |= buf_puts(&b, "<h1>Teams</h1>");
    rc |= ops_admin_nav(&b, "teams");
    rc |= html_notice_of(&b, r, notices, N_NOTICES);
    rc |= html_alert(&b, error);
    rc |= buf_puts(&b, "<section><h2>Make a team</h2><form class=\"row\" "
                   "method=\"post\" action=\"/admin/teams\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "name", "Name", "text", name, e_name,
                     "maxlength=\"64\" required");
    rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" value=\"create\">"
                   "Make the team</button></form></section><section><h2>"
                   "Teams and members</h2>");
    if (rc == CUR_OK)
        rc = store_team_list(r->st, 0, admin_team_row, &v);
    if (v.n == 0)
        rc |= buf_puts(&b, "<p class=\"empty\">No teams yet.</p>");
    rc |= buf_puts(&b, "</section>");
    return html_send(r, status, &b, rc);
}

/* Why a team name is refused, or NULL: 1 to 64 bytes, no control
 * characters, no spaces at either end. */
static const char *
team_name_problem(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return "Give the team a name.";
    if (n > 64)
        return "A team name is at most 64 bytes.";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return "A team name is one line of text.";
    if (name[0] == ' ' || name[n - 1] == ' ')
        return "A team name does not start or end with a space.";
    return NULL;
}

enum MHD_Result
page_admin_teams(struct req *r)
{
    const char *act = form_get(&r->form, "act");
    long long team = web_id(form_get(&r->form, "team")), id;
    const char *why;
    int rc;

    if (!r->post)
        return admin_render(r, MHD_HTTP_OK, NULL, NULL, 0, NULL, NULL, NULL);
    if (act != NULL && strcmp(act, "create") == 0) {
        const char *name = form_get(&r->form, "name");
        if ((why = team_name_problem(name)) != NULL)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, name, why, 0, NULL,
                                NULL, NULL);
        rc = store_team_add(r->st, name, &id);
        if (rc == CUR_EEXIST)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, name,
                                "There is already a team of that name.", 0,
                                NULL, NULL, NULL);
        if (rc == CUR_EINVAL)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, name,
                                "That name is not allowed.", 0, NULL, NULL,
                                NULL);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The team could not be made.");
        log_info("web team added team=%lld by=%lld", id, r->sess.user_id);
        return web_redirect(r, "/admin/teams?done=team-added");
    }
    if (act == NULL || (strcmp(act, "add") != 0 && strcmp(act, "remove") != 0
                        && strcmp(act, "delete") != 0))
        return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL, NULL, 0, NULL,
                            NULL, "That action is unknown.");
    if (team <= 0 || store_team_get(r->st, team, team_info_row,
                                    &(struct team_info){ "", 0 })
                     == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such team",
                         "That team does not exist (any more).");
    if (strcmp(act, "add") == 0) {
        const char *member = form_get(&r->form, "member");
        long long uid;
        if (member == NULL || !valid_user_name(member))
            return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL, NULL, team,
                                member, "Type a user name (letters, digits, "
                                ". _ -).", NULL);
        rc = store_user_find(r->st, member, &uid);
        if (rc == CUR_ENOTFOUND)
            return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL, NULL, team,
                                member, "There is no user of that name.",
                                NULL);
        if (rc == CUR_OK)
            rc = store_team_member_add(r->st, team, uid);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The member could not be added.");
        log_info("web team member added team=%lld user=%lld by=%lld", team,
                 uid, r->sess.user_id);
        return web_redirect(r, "/admin/teams?done=member-added");
    }
    if (strcmp(act, "remove") == 0) {
        long long uid = web_id(form_get(&r->form, "user"));
        rc = uid > 0 ? store_team_member_remove(r->st, team, uid)
                     : CUR_ENOTFOUND;
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "Not a member",
                             "That user is not in the team.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The member could not be removed.");
        log_info("web team member removed team=%lld user=%lld by=%lld",
                 team, uid, r->sess.user_id);
        return web_redirect(r, "/admin/teams?done=member-removed");
    }
    /* delete */
    const char *confirm = form_get(&r->form, "confirm");
    if (confirm == NULL || strcmp(confirm, "yes") != 0)
        return admin_render(r, MHD_HTTP_BAD_REQUEST, NULL, NULL, 0, NULL,
                            NULL, "Tick the box to remove a team with what "
                            "was shared in it.");
    rc = store_team_remove(r->st, team);
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such team",
                         "That team does not exist (any more).");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The team could not be removed.");
    log_info("web team removed team=%lld by=%lld", team, r->sess.user_id);
    return web_redirect(r, "/admin/teams?done=team-removed");
}
