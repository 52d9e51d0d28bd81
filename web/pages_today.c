/* Today: the user's ranked items of the window, grouped as the digest
 * groups them (editors' gems, then one section per goal in the order its
 * best item comes, then the rest), each with its reasons and the buttons
 * that teach the ranking (👍, 👎, less from this source, save), and for
 * members of a team a "Share to team" control (pages_team.c). One
 * indexed query reads the rows with the user's verdicts, saves and gems;
 * the page is rendered into one buffer. Also the item page (the item's
 * sanitised HTML) and the actions' handler.
 */
#include "err.h"
#include "html.h"
#include "score.h"
#include "today_rows.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

/* A string literal appended without strlen(): the hot path of the page. */
#define PUT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)
#define SNIPPET_MAX 240

/* What the page shows of a row beside its key (today_rows.h): strings
 * are offsets into the keys' arena. */
struct trow {
    long long item_id, feed_id, published;
    double score;
    int verdict, saved;
    size_t title, link, feed, snippet, gem_editor, gem_note, reasons;
};

struct today {
    struct today_rows g;    /* keys, sections, trows and their strings */
    const struct trow *rows;    /* g.rows, once all are read */
    const struct buf *share;    /* the user's teams as <option>s, read
                                   once; NULL: in no team */
};

static size_t
keep(struct today *t, const char *s)
{
    return today_rows_keep(&t->g, s);
}

static const char *
str(const struct today *t, size_t at)
{
    return today_rows_str(&t->g, at);
}

static int
today_row(void *ctx, const struct store_ranked *s)
{
    struct today *t = ctx;
    struct trow *r = today_rows_add(&t->g, s);

    if (r == NULL)
        return t->g.rc;
    r->item_id = s->item_id;
    r->feed_id = s->feed_id;
    r->published = s->published ? s->published : s->fetched;
    r->score = s->score;
    r->verdict = s->verdict;
    r->saved = s->saved;
    r->title = keep(t, s->title);
    r->link = keep(t, html_safe_url(s->link) ? s->link : NULL);
    r->feed = keep(t, s->feed_title && s->feed_title[0] ? s->feed_title
                                                        : s->feed_url);
    r->snippet = keep(t, s->snippet);
    r->gem_editor = keep(t, s->gem_editor);
    r->gem_note = keep(t, s->gem_note);
    r->reasons = keep(t, s->reasons);
    return t->g.rc;
}

static int
render_reasons(struct buf *b, const char *stored)
{
    struct score_reason rs[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(stored, rs, SCORE_MAX_REASONS);
    int rc = CUR_OK;

    if (n == 0)
        return PUT(b, "<p class=\"reasons none\">No reason recorded."
                        "</p>");
    rc |= PUT(b, "<ul class=\"reasons\" aria-label=\"Why\">");
    for (size_t i = 0; i < n; i++) {
        rc |= buf_puts(b, rs[i].contribution < 0 ? "<li class=\"minus\">"
                                                 : "<li class=\"plus\">");
        rc |= html_escape(b, rs[i].text);
        rc |= PUT(b, " <span class=\"contrib\">");
        rc |= html_fixed2(b, rs[i].contribution, 1);
        rc |= PUT(b, "</span></li>");
    }
    rc |= PUT(b, "</ul>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* One button of an item: name "act", value "VERB:ITEM". */
static int
button(struct buf *b, const char *verb, long long item_id, const char *title,
       int pressed, const char *label)
{
    int rc = PUT(b, "<button type=\"submit\" name=\"act\" value=\"");
    rc |= buf_puts(b, verb);
    rc |= buf_append(b, ":", 1);
    rc |= html_int(b, item_id);
    rc |= buf_append(b, "\"", 1);
    if (title != NULL) {
        rc |= PUT(b, " title=\"");
        rc |= buf_puts(b, title);
        rc |= buf_puts(b, pressed ? "\" aria-pressed=\"true\">"
                                  : "\" aria-pressed=\"false\">");
    } else {
        rc |= buf_append(b, ">", 1);
    }
    rc |= buf_puts(b, label);
    rc |= PUT(b, "</button>");
    return rc;
}

/* The buttons that teach the ranking. They submit the form around them
 * (the page's one form on Today: one CSRF field for all items). */
static int
render_buttons(struct buf *b, long long item_id, int verdict, int saved)
{
    int rc = PUT(b, "<div class=\"actions\">");
    rc |= button(b, "up", item_id, "More like this", verdict > 0,
                 "\xF0\x9F\x91\x8D More");
    rc |= button(b, "down", item_id, "Less like this", verdict < 0,
                 "\xF0\x9F\x91\x8E Less");
    rc |= button(b, "less", item_id, NULL, 0, "Less from this source");
    rc |= button(b, saved ? "unsave" : "save", item_id, NULL, 0,
                 saved ? "Saved \xE2\x9C\x93" : "Save");
    rc |= PUT(b, "</div>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* A form of its own, for one item outside Today. */
static int
render_actions(struct buf *b, struct req *r, long long item_id, int verdict,
               int saved, const char *back)
{
    int rc = PUT(b, "<form class=\"actions\" method=\"post\" "
                      "action=\"/today/act\">");
    rc |= html_csrf(b, r);
    rc |= PUT(b, "<input type=\"hidden\" name=\"back\" value=\"");
    rc |= buf_puts(b, back);
    rc |= PUT(b, "\">");
    rc |= render_buttons(b, item_id, verdict, saved);
    rc |= PUT(b, "</form>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

static int
render_row(struct buf *b, const struct today *t, size_t i)
{
    const struct trow *w = &t->rows[i];
    const char *link = str(t, w->link);
    int rc = PUT(b, "<li class=\"item\" id=\"item-");
    rc |= html_int(b, w->item_id);
    rc |= PUT(b, "\"><h3>");
    if (link) {
        rc |= PUT(b, "<a rel=\"noopener noreferrer nofollow\" href=\"");
        rc |= html_escape(b, link);
        rc |= PUT(b, "\">");
        rc |= html_escape(b, str(t, w->title));
        rc |= PUT(b, "</a>");
    } else {
        rc |= html_escape(b, str(t, w->title));
    }
    rc |= PUT(b, "</h3><p class=\"meta\">");
    rc |= html_escape(b, str(t, w->feed));
    rc |= PUT(b, " &middot; ");
    rc |= html_date(b, w->published);
    rc |= PUT(b, " &middot; <a href=\"/item/");
    rc |= html_int(b, w->item_id);
    rc |= PUT(b, "\">Read here</a></p>");
    if (t->g.keys[i].gem) {
        rc |= PUT(b, "<p class=\"gem\">Editor&#39;s pick");
        if (str(t, w->gem_editor)) {
            rc |= PUT(b, " by ");
            rc |= html_escape(b, str(t, w->gem_editor));
        }
        if (str(t, w->gem_note) && str(t, w->gem_note)[0]) {
            rc |= PUT(b, ": &ldquo;");
            rc |= html_escape(b, str(t, w->gem_note));
            rc |= PUT(b, "&rdquo;");
        }
        rc |= PUT(b, "</p>");
    }
    if (str(t, w->snippet) && str(t, w->snippet)[0]) {
        rc |= PUT(b, "<p class=\"snippet\">");
        rc |= html_escape_cut(b, str(t, w->snippet), SNIPPET_MAX);
        rc |= PUT(b, "</p>");
    }
    rc |= render_reasons(b, str(t, w->reasons));
    int also = 0;
    for (size_t j = today_rows_also(&t->g, i, i); j < t->g.n;
         j = today_rows_also(&t->g, i, j)) {
        rc |= buf_puts(b, also++ ? ", " : "<p class=\"also\">Also in: ");
        rc |= html_escape(b, str(t, t->rows[j].feed));
    }
    if (also)
        rc |= PUT(b, "</p>");
    rc |= render_buttons(b, w->item_id, w->verdict, w->saved);
    if (t->share != NULL)
        rc |= team_share_control(b, w->item_id, t->share);
    rc |= PUT(b, "</li>\n");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* The rows section by section (today_rows.h), as the digest groups
 * them. */
static int
render_sections(struct buf *b, struct today *t)
{
    size_t n_sections = today_rows_sections(&t->g);
    int rc = CUR_OK;

    for (size_t s = 0; s < n_sections && rc == CUR_OK; s++) {
        int open = 0;
        for (size_t i = 0; i < t->g.n; i++) {
            if (t->g.keys[i].section != s)
                continue;
            if (!open) {
                const char *heading, *goal;
                today_rows_section(&t->g, s, &heading, &goal);
                rc |= buf_puts(b, "<section class=\"group\"><h2>");
                rc |= buf_puts(b, heading);
                rc |= html_escape(b, goal);
                rc |= buf_puts(b, "</h2><ol class=\"ranked\">\n");
                open = 1;
            }
            rc |= render_row(b, t, i);
        }
        if (open)
            rc |= buf_puts(b, "</ol></section>\n");
    }
    return rc ? CUR_ENOMEM : CUR_OK;
}

enum MHD_Result
page_today(struct req *r)
{
    struct today t = { .rows = NULL };
    struct buf b, teams;
    int limit = (int)r->w->page_items;
    const char *more = web_query(r, "more");
    int rc;

    if (more != NULL && strcmp(more, "1") == 0)
        limit = 200;
    today_rows_init(&t.g, sizeof(struct trow));
    rc = store_ranked(r->st, r->sess.user_id, r->now - r->w->window, r->now,
                      limit, today_row, &t);
    if (rc == CUR_OK)
        rc = t.g.rc;
    t.rows = t.g.rows;
    buf_init(&teams, 1u << 20);
    if (rc == CUR_OK && t.g.n > 0)
        rc = team_share_options(r, &teams);
    if (teams.len > 0)
        t.share = &teams;
    buf_init(&b, WEB_PAGE_MAX);
    if (rc == CUR_OK)       /* one allocation */
        rc = buf_reserve(&b, 2048 + t.g.n * (1200 + (t.share ? 700
                                                     + teams.len : 0)));
    if (rc == CUR_OK) {
        rc = html_open(&b, r, "Today", "today");
        rc |= buf_printf(&b, "<h1>Today</h1><p class=\"lead\">Ranked for you "
                         "from the last %ld days: %zu item%s.</p>",
                         r->w->window / 86400, t.g.n, t.g.n == 1 ? "" : "s");
        if (t.g.n == 0)
            rc |= buf_puts(&b, "<p class=\"empty\">Nothing ranked yet. Add "
                           "<a href=\"/interests\">goals and interests</a> "
                           "and <a href=\"/sources\">sources</a>; items are "
                           "scored as they arrive.</p>");
        else {
            /* One form for the page: one CSRF field, buttons per item. */
            rc |= buf_puts(&b, "<form class=\"today\" method=\"post\" "
                           "action=\"/today/act\">");
            rc |= html_csrf(&b, r);
            rc |= buf_puts(&b, "<input type=\"hidden\" name=\"back\" "
                           "value=\"today\">");
            rc |= render_sections(&b, &t);
            rc |= buf_puts(&b, "</form>");
            /* Each item's share form, outside the page's form. */
            for (size_t i = 0; t.share && i < t.g.n; i++)
                if (!t.g.keys[i].folded)
                    rc |= team_share_form(&b, r, t.rows[i].item_id);
        }
        if ((int)t.g.n == limit && limit < 200)
            rc |= buf_puts(&b, "<p><a href=\"/today?more=1\">Show more</a>"
                           "</p>");
    }
    today_rows_free(&t.g);
    buf_free(&teams);
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

/* A positive whole number from a form or query value, else 0. */
long long
web_id(const char *s)
{
    long long v = 0;
    if (s == NULL || *s == '\0' || strlen(s) > 18)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v;
}

struct item_copy {
    long long feed_id;
    int found;
};

static int
item_found(void *ctx, const struct store_item *it)
{
    struct item_copy *c = ctx;
    c->feed_id = it->feed_id;
    c->found = 1;
    return 0;
}

enum MHD_Result
page_today_act(struct req *r)
{
    long long uid = r->sess.user_id;
    long long item = web_id(form_get(&r->form, "item"));
    const char *given = form_get(&r->form, "act");
    const char *back = form_get(&r->form, "back");
    const char *done;
    struct item_copy ic = { 0, 0 };
    char where[128], act[16] = "";
    int rc;

    /* "VERB:ITEM" from a button, or VERB with an item field. */
    if (given != NULL) {
        const char *colon = strchr(given, ':');
        size_t n = colon ? (size_t)(colon - given) : strlen(given);
        if (n < sizeof act) {
            memcpy(act, given, n);
            act[n] = '\0';
        }
        if (colon != NULL)
            item = web_id(colon + 1);
    }
    if (item <= 0 || act[0] == '\0')
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action names no item.");
    /* Only items this user may see. */
    rc = store_item_for_user(r->st, uid, item, item_found, &ic);
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist or is not yours to "
                         "see.");
    if (rc == CUR_OK) {
        if (strcmp(act, "up") == 0 || strcmp(act, "down") == 0) {
            rc = store_feedback_put(r->st, uid, item, act[0] == 'u' ? 1
                                                                    : -1);
            done = act[0] == 'u' ? "up" : "down";
        } else if (strcmp(act, "less") == 0) {
            rc = store_source_weight(r->st, uid, ic.feed_id, 0.5);
            done = "less";
        } else if (strcmp(act, "save") == 0) {
            rc = store_saved_put(r->st, uid, item, NULL, r->now);
            done = "saved";
        } else if (strcmp(act, "unsave") == 0) {
            rc = store_saved_remove(r->st, uid, item);
            if (rc == CUR_ENOTFOUND)
                rc = CUR_OK;
            done = "unsaved";
        } else {
            return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                             "That action is unknown.");
        }
    }
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "That could not be saved.");
    if (back != NULL && strcmp(back, "portfolio") == 0)
        snprintf(where, sizeof where, "/portfolio?done=%s", done);
    else if (back != NULL && strcmp(back, "item") == 0)
        snprintf(where, sizeof where, "/item/%lld?done=%s", item, done);
    else
        snprintf(where, sizeof where, "/today?done=%s#item-%lld", done,
                 item);
    return web_redirect(r, where);
}

/* The item page: its sanitised HTML (stored with the web profile), or
 * its plain text. Remote images in it are allowed over https only. */
struct item_page {
    struct req *r;
    struct buf *b;
    int rc;
};

static int
item_page_row(void *ctx, const struct store_item *it)
{
    struct item_page *p = ctx;
    struct buf *b = p->b;
    int rc = html_open(b, p->r, it->title, "today");
    rc |= buf_puts(b, "<article class=\"read\"><h1>");
    rc |= html_escape(b, it->title);
    rc |= buf_puts(b, "</h1><p class=\"meta\">");
    rc |= html_escape(b, it->feed_title ? it->feed_title : "");
    if (it->author && it->author[0]) {
        rc |= buf_puts(b, " &middot; ");
        rc |= html_escape(b, it->author);
    }
    rc |= buf_puts(b, " &middot; ");
    rc |= html_date(b, it->published ? it->published : it->fetched);
    if (html_safe_url(it->link)) {
        rc |= buf_puts(b, " &middot; <a rel=\"noopener noreferrer nofollow\""
                       " href=\"");
        rc |= html_escape(b, it->link);
        rc |= buf_puts(b, "\">Original</a>");
    }
    rc |= buf_puts(b, "</p><div class=\"content\">");
    if (it->html && it->html[0])
        rc |= buf_puts(b, it->html);    /* sanitised when stored */
    else if (it->summary)
        rc |= html_escape(b, it->summary);
    rc |= buf_puts(b, "</div></article>");
    p->rc = rc ? CUR_ENOMEM : CUR_OK;
    return 0;
}

enum MHD_Result
page_item(struct req *r)
{
    long long id = web_id(r->rest);
    struct buf b;
    struct item_page p = { r, &b, CUR_OK };
    int rc;

    if (id <= 0)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "There is no item at this address.");
    buf_init(&b, WEB_PAGE_MAX);
    rc = store_item_for_user(r->st, r->sess.user_id, id, item_page_row, &p);
    if (rc == CUR_ENOTFOUND) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item does not exist or is not yours to "
                         "see.");
    }
    if (rc == CUR_OK)
        rc = p.rc;
    if (rc == CUR_OK)
        rc = render_actions(&b, r, id, 0, 0, "item");
    /* Should the page fail, the error page sets its own policy. */
    r->csp = "default-src 'none'; style-src 'self'; img-src 'self' https: "
             "data:; media-src https:; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'";
    return html_send(r, MHD_HTTP_OK, &b, rc);
}
