/* Portfolio: the items the user saved, each with a reflection note they
 * can edit, and the same list as an Atom feed (notes as content) for
 * taking elsewhere.
 */
#include "atom.h"
#include "err.h"
#include "html.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#define NOTE_MAX 10000
#define PORTFOLIO_MAX 1000

struct pf {
    struct req *r;
    struct buf *b;
    long long bad_item;         /* the item whose note was refused */
    const char *bad_note;
    const char *e_note;
    int n;
};

static int
saved_row(void *ctx, const struct store_saved *s)
{
    struct pf *p = ctx;
    struct buf *b = p->b;
    long long id = s->item.item_id;
    int bad = p->bad_item == id;
    int rc = buf_printf(b, "<li class=\"item\" id=\"item-%lld\"><h3>", id);

    if (html_safe_url(s->item.link)) {
        rc |= buf_puts(b, "<a rel=\"noopener noreferrer nofollow\" href=\"");
        rc |= html_escape(b, s->item.link);
        rc |= buf_puts(b, "\">");
        rc |= html_escape(b, s->item.title);
        rc |= buf_puts(b, "</a>");
    } else {
        rc |= html_escape(b, s->item.title);
    }
    rc |= buf_puts(b, "</h3><p class=\"meta\">");
    rc |= html_escape(b, s->item.feed_title ? s->item.feed_title
                                            : s->item.feed_url);
    rc |= buf_puts(b, " &middot; saved ");
    rc |= html_date(b, s->created);
    rc |= buf_printf(b, " &middot; <a href=\"/item/%lld\">Read here</a>"
                     " &middot; <a href=\"/journal?item=%lld\">Write in "
                     "the journal</a></p>", id, id);
    rc |= buf_puts(b, "<form class=\"stack\" method=\"post\" "
                   "action=\"/portfolio\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"item\" value=\"%lld\">"
                     "<p class=\"field\"><label for=\"note-%lld\">Why it "
                     "matters to me</label><textarea id=\"note-%lld\" "
                     "name=\"note\" rows=\"3\" maxlength=\"10000\">", id, id,
                     id);
    rc |= html_escape(b, bad ? p->bad_note : s->note);
    rc |= buf_puts(b, "</textarea>");
    if (bad) {
        char fid[40];
        snprintf(fid, sizeof fid, "note-%lld", id);
        rc |= html_field_error(b, fid, p->e_note);
    }
    rc |= buf_puts(b, "</p><p class=\"buttons\"><button type=\"submit\" "
                   "name=\"act\" value=\"note\">Save note</button> <button "
                   "type=\"submit\" name=\"act\" value=\"remove\" "
                   "class=\"secondary\">Remove</button></p></form></li>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
render(struct req *r, unsigned status, long long bad_item,
       const char *bad_note, const char *e_note)
{
    struct buf b;
    struct pf p = { r, &b, bad_item, bad_note, e_note, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Portfolio", "portfolio");
    rc |= buf_puts(&b, "<h1>Portfolio</h1><p class=\"lead\">What you saved, "
                   "with your notes. <a href=\"/portfolio.atom\">Atom feed"
                   "</a> of it.</p>");
    if (e_note)
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">The note was "
                       "not saved: see below.</p>");
    rc |= buf_puts(&b, "<ol class=\"saved\">");
    if (rc == CUR_OK)
        rc = store_saved_list(r->st, r->sess.user_id, PORTFOLIO_MAX,
                              saved_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">Nothing saved yet: use Save "
                       "on the <a href=\"/today\">Today</a> page.</li>");
    rc |= buf_puts(&b, "</ol>");
    return html_send(r, status, &b, rc);
}

static int
seen(void *ctx, const struct store_item *it)
{
    (void)ctx;
    (void)it;
    return 0;
}

enum MHD_Result
page_portfolio(struct req *r)
{
    long long uid = r->sess.user_id;
    long long item = web_id(form_get(&r->form, "item"));
    const char *act = form_get(&r->form, "act");
    int rc;

    if (!r->post)
        return render(r, MHD_HTTP_OK, 0, NULL, NULL);
    if (item <= 0 || act == NULL)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action names no item.");
    if (strcmp(act, "remove") == 0) {
        rc = store_saved_remove(r->st, uid, item);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "Not saved",
                             "That item is not in your portfolio.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        return web_redirect(r, "/portfolio?done=unsaved");
    }
    if (strcmp(act, "note") != 0)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action is unknown.");
    const char *note = form_get(&r->form, "note");
    if (note == NULL)
        note = "";
    if (strlen(note) > NOTE_MAX)
        return render(r, MHD_HTTP_BAD_REQUEST, item, "",
                      "A note is at most 10,000 bytes.");
    if (store_item_for_user(r->st, uid, item, seen, NULL) != CUR_OK)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist or is not yours to "
                         "see.");
    if (store_saved_put(r->st, uid, item, note, r->now) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The note could not be saved.");
    char where[80];
    snprintf(where, sizeof where, "/portfolio?done=note#item-%lld", item);
    return web_redirect(r, where);
}

struct pf_atom {
    struct buf *b;
    const char *base;
    int rc;
};

static int
atom_row(void *ctx, const struct store_saved *s)
{
    struct pf_atom *a = ctx;
    char id[320];
    snprintf(id, sizeof id, "%s/item/%lld", a->base, s->item.item_id);
    struct atom_entry e = {
        .id = id, .title = s->item.title, .link = s->item.link,
        .author = s->item.feed_title ? s->item.feed_title
                                     : s->item.feed_url,
        .summary = s->summary, .content = s->note[0] ? s->note : NULL,
        .published = s->item.published, .updated = s->updated,
    };
    return a->rc = atom_entry(a->b, &e);
}

enum MHD_Result
page_portfolio_atom(struct req *r)
{
    struct buf b;
    struct pf_atom a = { &b, r->w->base_url, CUR_OK };
    char id[320], self[320], alt[320], title[160];

    snprintf(id, sizeof id, "%s/portfolio/%lld", r->w->base_url,
             r->sess.user_id);
    snprintf(self, sizeof self, "%s/portfolio.atom", r->w->base_url);
    snprintf(alt, sizeof alt, "%s/portfolio", r->w->base_url);
    snprintf(title, sizeof title, "%s's Curator portfolio", r->sess.name);
    buf_init(&b, WEB_PAGE_MAX);
    int rc = atom_open(&b, id, title, self, alt, r->now);
    if (rc == CUR_OK)
        rc = store_saved_list(r->st, r->sess.user_id, PORTFOLIO_MAX,
                              atom_row, &a);
    if (rc == CUR_OK)
        rc = a.rc;
    if (rc == CUR_OK)
        rc = atom_close(&b);
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The feed could not be built.");
    }
    return web_send(r, MHD_HTTP_OK, "application/atom+xml; charset=utf-8",
                    &b);
}
