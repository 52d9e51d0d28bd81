/* Journal: dated reflection entries, about an item or not, newest
 * first, searchable (every word, prefixes too, through the store's
 * full-text index), each editable and removable.
 */
#include "err.h"
#include "html.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#define ENTRY_MAX 20000
#define JOURNAL_SHOWN 200
#define QUERY_MAX 200

struct jview {
    struct req *r;
    struct buf *b;
    long long edit;             /* the entry shown as a form, or 0 */
    const char *edit_text;      /* its text when refused */
    const char *e_edit;
    int n;
};

static int
entry_row(void *ctx, const struct store_journal *j)
{
    struct jview *v = ctx;
    struct buf *b = v->b;
    int rc = buf_printf(b, "<li class=\"entry\" id=\"entry-%lld\">"
                        "<p class=\"meta\">", j->id);

    rc |= html_date(b, j->created);
    if (j->updated > j->created + 60) {
        rc |= buf_puts(b, " (edited ");
        rc |= html_date(b, j->updated);
        rc |= buf_puts(b, ")");
    }
    if (j->item.item_id) {
        rc |= buf_printf(b, " &middot; about <a href=\"/item/%lld\">",
                         j->item.item_id);
        rc |= html_escape(b, j->item.title);
        rc |= buf_puts(b, "</a>");
    }
    rc |= buf_puts(b, "</p>");
    if (v->edit == j->id) {
        rc |= buf_puts(b, "<form class=\"stack\" method=\"post\" "
                       "action=\"/journal\">");
        rc |= html_csrf(b, v->r);
        rc |= buf_printf(b, "<input type=\"hidden\" name=\"id\" "
                         "value=\"%lld\"><p class=\"field\"><label "
                         "for=\"body-%lld\">Entry</label><textarea "
                         "id=\"body-%lld\" name=\"body\" rows=\"6\" "
                         "maxlength=\"20000\">", j->id, j->id, j->id);
        rc |= html_escape(b, v->edit_text ? v->edit_text : j->body);
        rc |= buf_puts(b, "</textarea>");
        if (v->e_edit) {
            char id[40];
            snprintf(id, sizeof id, "body-%lld", j->id);
            rc |= html_field_error(b, id, v->e_edit);
        }
        rc |= buf_puts(b, "</p><p class=\"buttons\"><button type=\"submit\" "
                       "name=\"act\" value=\"update\">Save</button> <button "
                       "type=\"submit\" name=\"act\" value=\"delete\" "
                       "class=\"secondary\">Delete</button> <a "
                       "href=\"/journal\">Cancel</a></p></form>");
    } else {
        rc |= buf_puts(b, "<div class=\"body\">");
        rc |= html_escape(b, j->body);
        rc |= buf_printf(b, "</div><p><a href=\"/journal?edit=%lld#entry-%lld"
                         "\">Edit</a></p>", j->id, j->id);
    }
    rc |= buf_puts(b, "</li>\n");
    v->n++;
    return rc ? CUR_ENOMEM : 0;
}

struct about {
    char title[400];
    int found;
};

static int
about_row(void *ctx, const struct store_item *it)
{
    struct about *a = ctx;
    snprintf(a->title, sizeof a->title, "%s", it->title);
    a->found = 1;
    return 0;
}

static enum MHD_Result
render(struct req *r, unsigned status, long long item, const char *text,
       const char *e_text, long long edit, const char *edit_text,
       const char *e_edit)
{
    struct buf b;
    struct jview v = { r, &b, edit, edit_text, e_edit, 0 };
    const char *q = web_query(r, "q");
    struct about a = { "", 0 };
    int rc;

    if (q != NULL && strlen(q) > QUERY_MAX)
        q = NULL;
    if (item > 0 && store_item_for_user(r->st, r->sess.user_id, item,
                                        about_row, &a) != CUR_OK)
        item = 0;
    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Journal", "journal");
    rc |= buf_puts(&b, "<h1>Journal</h1><form class=\"row search\" "
                   "method=\"get\" action=\"/journal\" role=\"search\">");
    rc |= html_input(&b, "q", "Search your journal", "search", q, NULL,
                     "maxlength=\"200\"");
    rc |= buf_puts(&b, "<button type=\"submit\">Search</button></form>");
    rc |= buf_puts(&b, "<section><h2>New entry</h2><form class=\"stack\" "
                   "method=\"post\" action=\"/journal\">");
    rc |= html_csrf(&b, r);
    if (item > 0) {
        rc |= buf_printf(&b, "<input type=\"hidden\" name=\"item\" "
                         "value=\"%lld\"><p class=\"meta\">About: ", item);
        rc |= html_escape(&b, a.title);
        rc |= buf_puts(&b, "</p>");
    }
    rc |= buf_puts(&b, "<p class=\"field\"><label for=\"body\">What did you "
                   "learn, try or decide?</label><textarea id=\"body\" "
                   "name=\"body\" rows=\"5\" maxlength=\"20000\" required>");
    rc |= html_escape(&b, text ? text : "");
    rc |= buf_puts(&b, "</textarea>");
    rc |= html_field_error(&b, "body", e_text);
    rc |= buf_puts(&b, "</p><p><button type=\"submit\" name=\"act\" "
                   "value=\"add\">Add entry</button></p></form></section>");
    rc |= buf_puts(&b, "<section><h2>");
    if (q && q[0]) {
        rc |= buf_puts(&b, "Entries matching &ldquo;");
        rc |= html_escape(&b, q);
        rc |= buf_puts(&b, "&rdquo;");
    } else {
        rc |= buf_puts(&b, "Entries");
    }
    rc |= buf_puts(&b, "</h2><ol class=\"journal\">");
    if (rc == CUR_OK)
        rc = store_journal_list(r->st, r->sess.user_id, q, JOURNAL_SHOWN,
                                entry_row, &v);
    if (v.n == 0)
        rc |= buf_puts(&b, q && q[0] ? "<li class=\"empty\">No entry "
                       "matches.</li>" : "<li class=\"empty\">No entries "
                       "yet.</li>");
    rc |= buf_puts(&b, "</ol></section>");
    return html_send(r, status, &b, rc);
}

/* A non-empty entry of at most ENTRY_MAX bytes, or why not. */
static const char *
entry_problem(const char *body)
{
    if (body == NULL)
        return "Write something first.";
    const char *p = body;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    if (*p == '\0')
        return "Write something first.";
    if (strlen(body) > ENTRY_MAX)
        return "An entry is at most 20,000 bytes.";
    return NULL;
}

enum MHD_Result
page_journal(struct req *r)
{
    long long uid = r->sess.user_id;
    const char *act = form_get(&r->form, "act");
    const char *body = form_get(&r->form, "body");
    const char *err;
    int rc;

    if (!r->post)
        return render(r, MHD_HTTP_OK, web_id(web_query(r, "item")), NULL,
                      NULL, web_id(web_query(r, "edit")), NULL, NULL);
    if (act != NULL && strcmp(act, "add") == 0) {
        long long item = web_id(form_get(&r->form, "item"));
        if ((err = entry_problem(body)) != NULL)
            return render(r, MHD_HTTP_BAD_REQUEST, item,
                          body && strlen(body) <= ENTRY_MAX ? body : NULL,
                          err, 0, NULL, NULL);
        if (item > 0 && store_item_for_user(r->st, uid, item, about_row,
                                            &(struct about){ "", 0 })
                        != CUR_OK)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                             "That item does not exist or is not yours to "
                             "see.");
        if (store_journal_add(r->st, uid, item, body, r->now, NULL)
            != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The entry could not be saved.");
        return web_redirect(r, "/journal?done=journal");
    }
    long long id = web_id(form_get(&r->form, "id"));
    if (act != NULL && strcmp(act, "delete") == 0) {
        rc = store_journal_remove(r->st, uid, id);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such entry",
                             "That entry is not in your journal.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The entry could not be removed.");
        return web_redirect(r, "/journal?done=journal-removed");
    }
    if (act != NULL && strcmp(act, "update") == 0) {
        if ((err = entry_problem(body)) != NULL)
            return render(r, MHD_HTTP_BAD_REQUEST, 0, NULL, NULL, id,
                          body && strlen(body) <= ENTRY_MAX ? body : "", err);
        rc = store_journal_update(r->st, uid, id, body, r->now);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such entry",
                             "That entry is not in your journal.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The entry could not be saved.");
        char where[80];
        snprintf(where, sizeof where, "/journal?done=journal#entry-%lld", id);
        return web_redirect(r, where);
    }
    return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                     "That action is unknown.");
}
