/* The editors' pages (editors and admins; the route table checks the
 * role). Recent: every feed's items, newest first, searched with the
 * full-text index (what is typed is made into a safe FTS5 expression by
 * the store) and filtered by feed, tag and dates, each row linking to
 * the gem form. Reach: every gem, live and expired, with how many people
 * it reached and how many gave it 👍 (counts only; nobody's reading is
 * ever shown). Collections: named bundles of feeds that subscribers
 * follow from their Sources page; an editor makes them and changes the
 * ones they made (admins any), and anyone signed in may fetch one as
 * OPML 2.0. Removing a feed or deleting a collection unsubscribes
 * nobody; the pages say so.
 */
#include "atom.h"
#include "date.h"
#include "err.h"
#include "html.h"
#include "log.h"
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_PAGE 50
#define REACH_PAGE 100
#define PAGES_MAX 1000              /* deepest page asked for */
#define QUERY_MAX 200               /* bytes of a search */
#define TAG_MAX 64
#define NAME_MAX_BYTES 64           /* a collection's name */
#define FEEDS_LISTED 1000           /* feeds offered in a <select> */
#define URL_MAX 2048
#define RECENT_CATCH_UP 5000        /* new items indexed by a search */

int
editor_nav(struct buf *b, const char *current)
{
    static const struct html_link links[] = {
        { "recent", "Recent", "/editor" },
        { "gems", "Tag a gem", "/gems" },
        { "reach", "Reach", "/editor/reach" },
        { "collections", "Collections", "/editor/collections" },
    };
    return html_subnav(b, "meta", "Editor pages", " &middot; ", links,
                       sizeof links / sizeof links[0], current);
}

/* The "done" codes of this file's redirects (html.c knows the rest). */
static const struct html_note notices[] = {
    { "created", "Collection made. Add its feeds below." },
    { "added", "Feed added: its followers are subscribed to it." },
    { "removed", "Feed taken out of the collection. Followers keep "
                 "their subscription to it." },
    { "collection-deleted", "Collection deleted. Its followers keep the "
                            "feeds they had." },
};
#define N_NOTICES (sizeof notices / sizeof notices[0])

/* A whole number from a query argument: 'dflt' when absent, -1 when
 * not a number from 1 to 'max'. */
static long long
query_number(struct req *r, const char *name, long long dflt, long long max)
{
    const char *v = web_query(r, name);
    long long n;

    if (v == NULL || v[0] == '\0')
        return dflt;
    n = web_id(v);
    return n >= 1 && n <= max ? n : -1;
}

/* ---- Recent. ---- */

struct recent_view {
    const char *q, *feed, *tag, *from, *to;
    const char *e_q, *e_feed, *e_tag, *e_from, *e_to;
    long long feed_id;
    int page;
};

struct recent_page {
    struct req *r;
    struct buf *b;
    int n;
};

/* A day as YYYY-MM-DD (UTC midnight), strictly: 1 or 0. */
static int
day_of(const char *s, long long *t)
{
    static const char shape[] = "dddd-dd-dd";

    if (strlen(s) != sizeof shape - 1)
        return 0;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != '-')
            return 0;
    /* date_parse() range-checks the fields (no 31 June). */
    return date_parse(s, t) == CUR_OK;
}

struct feed_select {
    struct buf *b;
    long long selected;
};

static int
select_option(void *ctx, const struct store_feed_brief *f)
{
    struct feed_select *s = ctx;
    int rc = buf_printf(s->b, "<option value=\"%lld\"%s>", f->id,
                        f->id == s->selected ? " selected" : "");
    rc |= html_escape_cut(s->b, f->title && f->title[0] ? f->title : f->url,
                          80);
    rc |= buf_puts(s->b, "</option>");
    return rc ? CUR_ENOMEM : 0;
}

/* An item's categories ('\n'-separated) as "a, b", each cut short. */
static int
tags_line(struct buf *b, const char *tags)
{
    int rc = CUR_OK, n = 0;

    for (const char *p = tags; *p && n < 10;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char one[256];
        if (len > 0) {
            snprintf(one, sizeof one, "%.*s", (int)(len < 255 ? len : 255),
                     p);
            rc |= n++ ? buf_puts(b, ", ") : CUR_OK;
            rc |= html_escape_cut(b, one, 60);
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
    return rc;
}

static int
recent_row(void *ctx, const struct store_recent *it)
{
    struct recent_page *p = ctx;
    struct buf *b = p->b;
    int rc;

    /* One row more than shown says there is a next page. */
    if (++p->n > RECENT_PAGE)
        return 0;
    rc = buf_printf(b, "<li class=\"item\" id=\"item-%lld\"><h3>",
                    it->item_id);
    if (html_safe_url(it->link)) {
        rc |= buf_puts(b, "<a href=\"");
        rc |= html_escape(b, it->link);
        rc |= buf_puts(b, "\" rel=\"noopener noreferrer nofollow\">");
        rc |= html_escape(b, it->title);
        rc |= buf_puts(b, "</a>");
    } else {
        rc |= html_escape(b, it->title);
    }
    rc |= buf_puts(b, "</h3><p class=\"meta\">");
    rc |= html_escape(b, it->feed_title && it->feed_title[0]
                         ? it->feed_title : it->feed_url);
    rc |= buf_puts(b, " &middot; ");
    rc |= html_date(b, it->date);
    if (it->tags && it->tags[0]) {
        rc |= buf_puts(b, " &middot; ");
        rc |= tags_line(b, it->tags);
    }
    if (it->gem_note != NULL)
        rc |= buf_puts(b, it->gem_expires > 0 && it->gem_expires
                       <= p->r->now ? " &middot; gem (expired)"
                                    : " &middot; <strong>gem</strong>");
    rc |= buf_puts(b, "</p>");
    if (it->summary && it->summary[0]) {
        rc |= buf_puts(b, "<p>");
        rc |= html_escape_cut(b, it->summary, 240);
        rc |= buf_puts(b, "</p>");
    }
    rc |= buf_printf(b, "<p><a href=\"/gems?item=%lld\">%s</a></p></li>\n",
                     it->item_id, it->gem_note ? "Edit the gem"
                                               : "Tag as a gem");
    return rc ? CUR_ENOMEM : 0;
}

/* The search's arguments for a link to another page of it. */
static int
recent_link(struct buf *b, const struct recent_view *v, int page)
{
    const char *names[] = { "q", "feed", "tag", "from", "to" };
    const char *vals[] = { v->q, v->feed, v->tag, v->from, v->to };
    int rc = buf_printf(b, "/editor?page=%d", page);

    for (size_t i = 0; i < 5; i++) {
        if (vals[i] == NULL || vals[i][0] == '\0')
            continue;
        rc |= buf_printf(b, "&amp;%s=", names[i]);
        rc |= html_url_encode(b, vals[i]);
    }
    return rc ? CUR_ENOMEM : CUR_OK;
}

static enum MHD_Result
recent_render(struct req *r, unsigned status, const struct recent_view *v,
              const struct store_recent_filter *f)
{
    struct buf b;
    struct recent_page p = { r, &b, 0 };
    struct feed_select sel = { &b, v->feed_id };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Recent", "gems");
    rc |= editor_nav(&b, "recent");
    rc |= buf_puts(&b, "<h1>Recent</h1><p class=\"lead\">Items from every "
                   "feed, newest first. Search words must all appear; "
                   "\"a phrase\" in quotes, word* for words starting so, "
                   "-word to leave out.</p><form class=\"row search\" "
                   "method=\"get\" action=\"/editor\" role=\"search\">");
    rc |= html_input(&b, "q", "Search", "search", v->q, v->e_q,
                     "maxlength=\"200\"");
    rc |= buf_puts(&b, "<p class=\"field\"><label for=\"feed\">Feed</label>"
                   "<select id=\"feed\" name=\"feed\"");
    if (v->e_feed)
        rc |= buf_puts(&b, " aria-invalid=\"true\" "
                       "aria-describedby=\"feed-error\"");
    rc |= buf_puts(&b, "><option value=\"\">Every feed</option>");
    if (rc == CUR_OK)
        rc = store_feed_briefs(r->st, 0, FEEDS_LISTED, select_option, &sel);
    rc |= buf_puts(&b, "</select>");
    rc |= html_field_error(&b, "feed", v->e_feed);
    rc |= buf_puts(&b, "</p>");
    rc |= html_input(&b, "tag", "Tag", "text", v->tag, v->e_tag,
                     "maxlength=\"64\"");
    rc |= html_input(&b, "from", "From (YYYY-MM-DD)", "date", v->from,
                     v->e_from, NULL);
    rc |= html_input(&b, "to", "To (YYYY-MM-DD)", "date", v->to, v->e_to,
                     NULL);
    rc |= buf_puts(&b, "<button type=\"submit\">Search</button></form>"
                   "<ol class=\"ranked\">");
    if (rc == CUR_OK && f != NULL) {
        /* curatord indexes new items after each round; a search also
         * takes in what came since (a failure only makes it less
         * fresh, and is logged by the store). */
        if (f->query != NULL && f->query[0] != '\0')
            store_search_catch_up(r->st, RECENT_CATCH_UP, NULL);
        rc = store_recent(r->st, f, recent_row, &p);
        if (rc == CUR_EINVAL) {
            /* The store refused the expression: say so, no 500. */
            buf_free(&b);
            struct recent_view w = *v;
            w.e_q = "That search could not be run: try plain words.";
            return recent_render(r, MHD_HTTP_BAD_REQUEST, &w, NULL);
        }
    }
    if (p.n == 0)
        rc |= buf_puts(&b, f ? "<li class=\"empty\">Nothing matches.</li>"
                             : "<li class=\"empty\">Fix the search above."
                               "</li>");
    rc |= buf_puts(&b, "</ol>");
    if (f != NULL && (v->page > 1 || p.n > RECENT_PAGE)) {
        rc |= buf_puts(&b, "<p class=\"buttons\">");
        if (v->page > 1) {
            rc |= buf_puts(&b, "<a rel=\"prev\" href=\"");
            rc |= recent_link(&b, v, v->page - 1);
            rc |= buf_puts(&b, "\">Newer</a> ");
        }
        if (p.n > RECENT_PAGE && v->page < PAGES_MAX) {
            rc |= buf_puts(&b, "<a rel=\"next\" href=\"");
            rc |= recent_link(&b, v, v->page + 1);
            rc |= buf_puts(&b, "\">Older</a>");
        }
        rc |= buf_puts(&b, "</p>");
    }
    return html_send(r, status, &b, rc);
}

static int
feed_exists(void *ctx, const struct store_feed *f)
{
    (void)f;
    *(int *)ctx = 1;
    return 0;
}

/* Text from a query argument: UTF-8 without controls, at most 'max'
 * bytes. */
static int
query_text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max || !form_text_ok(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return 0;
    return 1;
}

enum MHD_Result
page_editor_recent(struct req *r)
{
    struct recent_view v = {
        .q = web_query(r, "q"), .feed = web_query(r, "feed"),
        .tag = web_query(r, "tag"), .from = web_query(r, "from"),
        .to = web_query(r, "to"),
    };
    struct store_recent_filter f = { .limit = RECENT_PAGE + 1 };
    char fts[1024];
    long long page = query_number(r, "page", 1, PAGES_MAX);

    if (page < 0)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad page",
                         "A page is a whole number from 1 to 1000.");
    v.page = (int)page;
    f.offset = (v.page - 1) * RECENT_PAGE;
    if (v.q && v.q[0]) {
        int n = 0;
        if (!query_text_ok(v.q, QUERY_MAX))
            v.e_q = "A search is at most 200 bytes of text.";
        else if ((n = store_recent_query(v.q, fts, sizeof fts)) < 0)
            v.e_q = "Say what to look for, not only what to leave out.";
        else if (n == 0)
            v.e_q = "Nothing to search for: type words (letters or "
                    "digits).";
        else
            f.query = fts;
        if (v.e_q && !query_text_ok(v.q, QUERY_MAX))
            v.q = NULL;         /* not shown back: it is not text */
    }
    if (v.feed && v.feed[0]) {
        int found = 0;
        v.feed_id = web_id(v.feed);
        if (v.feed_id <= 0
            || store_feed_get(r->st, v.feed_id, feed_exists, &found)
               != CUR_OK || !found) {
            v.e_feed = "There is no such feed.";
            v.feed_id = 0;
        }
        f.feed_id = v.feed_id;
    }
    if (v.tag && v.tag[0]) {
        if (!query_text_ok(v.tag, TAG_MAX) || strchr(v.tag, ',')) {
            v.e_tag = "A tag is at most 64 bytes, without commas.";
            v.tag = NULL;
        }
        f.tag = v.tag;
    }
    if (v.from && v.from[0] && !day_of(v.from, &f.from)) {
        v.e_from = "A day as YYYY-MM-DD.";
        v.from = NULL;
    }
    if (v.to && v.to[0]) {
        if (!day_of(v.to, &f.to)) {
            v.e_to = "A day as YYYY-MM-DD.";
            v.to = NULL;
        } else if (f.from && f.to < f.from) {
            v.e_to = "The last day is before the first.";
        } else {
            f.to += 86400;      /* the whole last day */
        }
    }
    if (v.e_q || v.e_feed || v.e_tag || v.e_from || v.e_to)
        return recent_render(r, MHD_HTTP_BAD_REQUEST, &v, NULL);
    return recent_render(r, MHD_HTTP_OK, &v, &f);
}

/* ---- Reach. ---- */

struct reach_page {
    struct req *r;
    struct buf *b;
    int n;
};

static int
reach_row(void *ctx, const struct store_gem_info *g)
{
    struct reach_page *p = ctx;
    struct buf *b = p->b;
    int expired = g->expires > 0 && g->expires <= p->r->now;
    int rc = buf_printf(b, "<tr id=\"gem-%lld\"><td>", g->item_id);

    if (html_safe_url(g->link)) {
        rc |= buf_puts(b, "<a href=\"");
        rc |= html_escape(b, g->link);
        rc |= buf_puts(b, "\" rel=\"noopener noreferrer nofollow\">");
        rc |= html_escape(b, g->title);
        rc |= buf_puts(b, "</a>");
    } else {
        rc |= html_escape(b, g->title);
    }
    rc |= buf_puts(b, "<br><span class=\"meta\">");
    rc |= html_escape(b, g->feed_title ? g->feed_title : "");
    rc |= buf_puts(b, "</span></td><td>");
    rc |= html_escape(b, g->editor ? g->editor : "(gone)");
    rc |= buf_puts(b, "</td><td>");
    rc |= html_escape_cut(b, g->note, 300);
    if (g->tags[0]) {
        rc |= buf_puts(b, "<br><span class=\"meta\">Tags: ");
        rc |= html_escape(b, g->tags);
        rc |= buf_puts(b, "</span>");
    }
    if (g->audience[0]) {
        rc |= buf_puts(b, "<br><span class=\"meta\">For: ");
        rc |= html_escape(b, g->audience);
        rc |= buf_puts(b, "</span>");
    }
    rc |= buf_puts(b, "</td><td>");
    rc |= html_date(b, g->created);
    rc |= buf_puts(b, "</td><td>");
    if (expired) {
        rc |= buf_puts(b, "expired ");
        rc |= html_date(b, g->expires);
    } else if (g->expires > 0) {
        rc |= buf_puts(b, "live until ");
        rc |= html_date(b, g->expires);
    } else {
        rc |= buf_puts(b, "live");
    }
    rc |= buf_printf(b, "</td><td class=\"reached\">%lld</td>"
                     "<td class=\"liked\">%lld</td><td><a "
                     "href=\"/gems?item=%lld\">Edit</a></td></tr>\n",
                     g->reached, g->liked, g->item_id);
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_editor_reach(struct req *r)
{
    struct buf b;
    struct reach_page p = { r, &b, 0 };
    long long page = query_number(r, "page", 1, PAGES_MAX), total = 0;
    int rc;

    if (page < 0)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad page",
                         "A page is a whole number from 1 to 1000.");
    buf_init(&b, WEB_PAGE_MAX);
    rc = store_gem_count(r->st, &total);
    rc |= html_open(&b, r, "Reach", "gems");
    rc |= editor_nav(&b, "reach");
    rc |= buf_printf(&b, "<h1>Reach</h1><p class=\"lead\">Every gem, live "
                     "and expired (%lld in all), last tagged first: how many "
                     "people it reached (it was ranked for them) and how "
                     "many of them gave it &#x1F44D;. Counts only: nobody's "
                     "reading is shown.</p><table class=\"users\"><thead>"
                     "<tr><th>Item</th><th>Editor</th><th>Note</th>"
                     "<th>Tagged</th><th>Status</th><th>Reached</th>"
                     "<th>&#x1F44D;</th><th></th></tr></thead><tbody>",
                     total);
    if (rc == CUR_OK)
        rc = store_gem_list(r->st, REACH_PAGE, (int)(page - 1) * REACH_PAGE,
                            reach_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<tr><td colspan=\"8\" class=\"empty\">No gems "
                       "here.</td></tr>");
    rc |= buf_puts(&b, "</tbody></table>");
    if (page > 1 || page * REACH_PAGE < total) {
        rc |= buf_puts(&b, "<p class=\"buttons\">");
        if (page > 1)
            rc |= buf_printf(&b, "<a rel=\"prev\" href=\"/editor/reach?"
                             "page=%lld\">Later gems</a> ", page - 1);
        if (page * REACH_PAGE < total && page < PAGES_MAX)
            rc |= buf_printf(&b, "<a rel=\"next\" href=\"/editor/reach?"
                             "page=%lld\">Earlier gems</a>", page + 1);
        rc |= buf_puts(&b, "</p>");
    }
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

/* ---- Collections. ---- */

/* A copy of one collection row (the store's strings are borrowed). */
struct coll {
    long long id, editor_id, n_feeds, n_followers;
    char name[NAME_MAX_BYTES + 1];
    char editor[STORE_NAME_MAX + 1];
    int found;
};

static int
coll_copy(void *ctx, const struct store_collection *c)
{
    struct coll *o = ctx;
    o->id = c->id;
    o->editor_id = c->editor_id;
    o->n_feeds = c->n_feeds;
    o->n_followers = c->n_followers;
    snprintf(o->name, sizeof o->name, "%s", c->name);
    snprintf(o->editor, sizeof o->editor, "%s", c->editor ? c->editor : "");
    o->found = 1;
    return 0;
}

/* Whether the signed-in user may change the collection: its editor, or
 * an admin. */
static int
may_change(const struct req *r, const struct coll *c)
{
    return r->role >= ROLE_ADMIN
           || (c->editor_id != 0 && c->editor_id == r->sess.user_id);
}

struct coll_view {
    const char *name;               /* typed in the new-collection form */
    const char *e_name;
    const char *url;                /* typed in the add form */
    const char *e_feed;
};

struct coll_list {
    struct req *r;
    struct buf *b;
    int n;
};

static int
coll_row(void *ctx, const struct store_collection *c)
{
    struct coll_list *p = ctx;
    struct buf *b = p->b;
    int rc = buf_printf(b, "<li class=\"source\" id=\"collection-%lld\"><h3>"
                        "<a href=\"/editor/collections?id=%lld\">", c->id,
                        c->id);
    rc |= html_escape(b, c->name);
    rc |= buf_puts(b, "</a></h3><p class=\"meta\">by ");
    rc |= html_escape(b, c->editor ? c->editor : "(gone)");
    rc |= buf_printf(b, " &middot; %lld feed%s &middot; %lld follower%s "
                     "&middot; <a href=\"/collections/%lld.opml\" download>"
                     "OPML</a></p></li>\n", c->n_feeds,
                     c->n_feeds == 1 ? "" : "s", c->n_followers,
                     c->n_followers == 1 ? "" : "s", c->id);
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
colls_render(struct req *r, unsigned status, const struct coll_view *v)
{
    struct buf b;
    struct coll_list p = { r, &b, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Collections", "gems");
    rc |= editor_nav(&b, "collections");
    rc |= html_notice_of(&b, r, notices, N_NOTICES);
    rc |= buf_puts(&b, "<h1>Collections</h1><p class=\"lead\">Named bundles "
                   "of feeds that subscribers follow as one source from "
                   "their Sources page. Followers are subscribed to every "
                   "feed in it, and to each feed added later.</p>"
                   "<section><h2>New collection</h2><form class=\"row\" "
                   "method=\"post\" action=\"/editor/collections\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "name", "Name", "text", v->name, v->e_name,
                     "required maxlength=\"64\"");
    rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" "
                   "value=\"create\">Make it</button></form></section>"
                   "<section><h2>All collections</h2><ul class=\"sources\">");
    if (rc == CUR_OK)
        rc = store_collection_list(r->st, 0, coll_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No collections yet.</li>");
    rc |= buf_puts(&b, "</ul></section>");
    return html_send(r, status, &b, rc);
}

struct coll_feeds {
    struct req *r;
    struct buf *b;
    const struct coll *c;
    int mine, n;
};

static int
coll_feed_row(void *ctx, const struct store_feed_brief *f)
{
    struct coll_feeds *p = ctx;
    struct buf *b = p->b;
    int rc = buf_printf(b, "<li class=\"source\" id=\"feed-%lld\"><h3>",
                        f->id);

    rc |= html_escape(b, f->title && f->title[0] ? f->title : f->url);
    rc |= buf_puts(b, "</h3><p class=\"meta url\">");
    rc |= html_escape(b, f->url);
    rc |= buf_puts(b, "</p>");
    if (p->mine) {
        rc |= buf_puts(b, "<form class=\"row\" method=\"post\" "
                       "action=\"/editor/collections\">");
        rc |= html_csrf(b, p->r);
        rc |= buf_printf(b, "<input type=\"hidden\" name=\"collection\" "
                         "value=\"%lld\"><input type=\"hidden\" name=\"feed\" "
                         "value=\"%lld\"><button type=\"submit\" name=\"act\" "
                         "value=\"remove\" class=\"secondary\">Take out"
                         "</button></form>", p->c->id, f->id);
    }
    rc |= buf_puts(b, "</li>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

static enum MHD_Result
coll_render(struct req *r, unsigned status, const struct coll *c,
            const struct coll_view *v)
{
    struct buf b;
    struct coll_feeds p = { r, &b, c, may_change(r, c), 0 };
    struct feed_select sel = { &b, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, c->name, "gems");
    rc |= editor_nav(&b, "collections");
    rc |= html_notice_of(&b, r, notices, N_NOTICES);
    rc |= buf_puts(&b, "<h1>");
    rc |= html_escape(&b, c->name);
    rc |= buf_puts(&b, "</h1><p class=\"meta\">by ");
    rc |= html_escape(&b, c->editor[0] ? c->editor : "(gone)");
    rc |= buf_printf(&b, " &middot; %lld feed%s &middot; %lld follower%s "
                     "&middot; <a href=\"/collections/%lld.opml\" download>"
                     "OPML</a></p><p class=\"lead\">Followers are subscribed "
                     "to each feed added here. Taking a feed out, or "
                     "deleting the collection, unsubscribes nobody: "
                     "followers keep the feeds they have.</p>",
                     c->n_feeds, c->n_feeds == 1 ? "" : "s", c->n_followers,
                     c->n_followers == 1 ? "" : "s", c->id);
    if (p.mine) {
        rc |= buf_puts(&b, "<section><h2>Add a feed</h2><form class=\"row\" "
                       "method=\"post\" action=\"/editor/collections\">");
        rc |= html_csrf(&b, r);
        rc |= buf_printf(&b, "<input type=\"hidden\" name=\"collection\" "
                         "value=\"%lld\"><p class=\"field\"><label "
                         "for=\"feed\">A known feed</label><select "
                         "id=\"feed\" name=\"feed\"><option value=\"\">"
                         "(by address)</option>", c->id);
        if (rc == CUR_OK)
            rc = store_feed_briefs(r->st, 0, FEEDS_LISTED, select_option,
                                   &sel);
        rc |= buf_puts(&b, "</select></p>");
        rc |= html_input(&b, "url", "or its address", "url", v->url,
                         v->e_feed, "maxlength=\"2048\"");
        rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" "
                       "value=\"add\">Add</button></form></section>");
    } else {
        rc |= buf_puts(&b, "<p class=\"meta\">Only its editor or an admin "
                       "changes this collection.</p>");
    }
    rc |= buf_puts(&b, "<section><h2>Its feeds</h2><ul class=\"sources\">");
    if (rc == CUR_OK)
        rc = store_feed_briefs(r->st, c->id, 100000, coll_feed_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No feeds yet.</li>");
    rc |= buf_puts(&b, "</ul></section>");
    if (p.mine) {
        rc |= buf_puts(&b, "<section><h2>Delete</h2><form method=\"post\" "
                       "action=\"/editor/collections\">");
        rc |= html_csrf(&b, r);
        rc |= buf_printf(&b, "<input type=\"hidden\" name=\"collection\" "
                         "value=\"%lld\"><button type=\"submit\" name=\"act\" "
                         "value=\"delete\" class=\"danger\">Delete this "
                         "collection</button></form></section>", c->id);
    }
    rc |= buf_puts(&b, "<p><a href=\"/editor/collections\">All collections"
                   "</a></p>");
    return html_send(r, status, &b, rc);
}

/* The collection 'id' into *c: CUR_OK, CUR_ENOTFOUND or the store's
 * error. */
static int
coll_load(struct req *r, long long id, struct coll *c)
{
    memset(c, 0, sizeof *c);
    if (id <= 0)
        return CUR_ENOTFOUND;
    return store_collection_get(r->st, id, r->sess.user_id, coll_copy, c);
}

static enum MHD_Result
no_collection(struct req *r)
{
    return web_error(r, MHD_HTTP_NOT_FOUND, "No such collection",
                     "That collection does not exist.");
}

/* A name: 1 to 64 bytes once trimmed, no control characters. Returns
 * the trimmed copy in 'out', or NULL. */
static const char *
name_clean(const char *s, char *out, size_t len)
{
    size_t n;

    if (s == NULL)
        return NULL;
    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n > NAME_MAX_BYTES || n >= len)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return NULL;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

static enum MHD_Result
coll_redirect(struct req *r, long long id, const char *done)
{
    char path[96];
    snprintf(path, sizeof path, "/editor/collections?id=%lld&done=%s", id,
             done);
    return web_redirect(r, path);
}

static enum MHD_Result
coll_create(struct req *r)
{
    struct coll_view v = { .name = form_get(&r->form, "name") };
    char name[NAME_MAX_BYTES + 1];
    long long id;
    int rc;

    if (name_clean(v.name, name, sizeof name) == NULL) {
        v.e_name = "A name of 1 to 64 bytes, without control characters.";
        return colls_render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    rc = store_collection_add(r->st, name, r->sess.user_id, &id);
    if (rc == CUR_EEXIST) {
        v.e_name = "A collection of that name exists.";
        return colls_render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The collection could not be made.");
    log_info("web collection made id=%lld by=%lld", id, r->sess.user_id);
    return coll_redirect(r, id, "created");
}

static enum MHD_Result
coll_add(struct req *r, const struct coll *c)
{
    struct coll_view v = { .url = form_get(&r->form, "url") };
    const char *feed = form_get(&r->form, "feed");
    long long fid = 0;
    int rc, found = 0;

    if (feed != NULL && feed[0] != '\0') {
        fid = web_id(feed);
        if (fid <= 0 || store_feed_get(r->st, fid, feed_exists, &found)
                        != CUR_OK || !found)
            v.e_feed = "There is no such feed.";
    } else if (v.url != NULL && v.url[0] != '\0') {
        if (strlen(v.url) > URL_MAX || !html_safe_url(v.url))
            v.e_feed = "Give a full http:// or https:// address.";
        else if ((rc = store_feed_find(r->st, v.url, &fid)) == CUR_ENOTFOUND)
            v.e_feed = "No known feed has that address: subscribe to it on "
                       "the Sources page first.";
        else if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The feed could not be looked up.");
    } else {
        v.e_feed = "Choose a feed, or give the address of a known feed.";
    }
    if (v.e_feed) {
        if (v.url && (strlen(v.url) > URL_MAX
                      || !query_text_ok(v.url, URL_MAX)))
            v.url = NULL;
        return coll_render(r, MHD_HTTP_BAD_REQUEST, c, &v);
    }
    rc = store_collection_feed_add(r->st, c->id, fid);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The feed could not be added.");
    log_info("web collection feed added id=%lld feed=%lld by=%lld", c->id,
             fid, r->sess.user_id);
    return coll_redirect(r, c->id, "added");
}

enum MHD_Result
page_editor_collections(struct req *r)
{
    struct coll_view v = { .name = NULL };
    const char *act = form_get(&r->form, "act");
    struct coll c;
    int rc;

    if (!r->post) {
        const char *q = web_query(r, "id");
        if (q == NULL)
            return colls_render(r, MHD_HTTP_OK, &v);
        rc = coll_load(r, web_id(q), &c);
        if (rc == CUR_ENOTFOUND)
            return no_collection(r);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The page could not be built.");
        return coll_render(r, MHD_HTTP_OK, &c, &v);
    }
    if (act != NULL && strcmp(act, "create") == 0)
        return coll_create(r);
    if (act == NULL || (strcmp(act, "add") != 0 && strcmp(act, "remove") != 0
                        && strcmp(act, "delete") != 0))
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action is unknown.");
    rc = coll_load(r, web_id(form_get(&r->form, "collection")), &c);
    if (rc == CUR_ENOTFOUND)
        return no_collection(r);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The collection could not be read.");
    if (!may_change(r, &c))
        return web_error(r, MHD_HTTP_FORBIDDEN, "Not yours",
                         "Only its editor or an admin changes this "
                         "collection.");
    if (act[0] == 'a')
        return coll_add(r, &c);
    if (act[0] == 'r') {
        long long fid = web_id(form_get(&r->form, "feed"));
        rc = store_collection_feed_remove(r->st, c.id, fid);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "Not in it",
                             "That feed is not in this collection.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The feed could not be taken out.");
        log_info("web collection feed removed id=%lld feed=%lld by=%lld",
                 c.id, fid, r->sess.user_id);
        return coll_redirect(r, c.id, "removed");
    }
    rc = store_collection_delete(r->st, c.id);
    if (rc == CUR_ENOTFOUND)
        return no_collection(r);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The collection could not be deleted.");
    log_info("web collection deleted id=%lld by=%lld", c.id,
             r->sess.user_id);
    return web_redirect(r, "/editor/collections?done=collection-deleted");
}

/* ---- A collection as OPML. ---- */

static int
opml_feed(void *ctx, const struct store_feed_brief *f)
{
    struct buf *b = ctx;
    const char *title = f->title && f->title[0] ? f->title : f->url;
    int rc = buf_puts(b, "<outline type=\"rss\" text=\"");
    rc |= xml_escape(b, title);
    rc |= buf_puts(b, "\" title=\"");
    rc |= xml_escape(b, title);
    rc |= buf_puts(b, "\" xmlUrl=\"");
    rc |= xml_escape(b, f->url);
    rc |= buf_puts(b, "\"");
    if (f->site_url && html_safe_url(f->site_url)) {
        rc |= buf_puts(b, " htmlUrl=\"");
        rc |= xml_escape(b, f->site_url);
        rc |= buf_puts(b, "\"");
    }
    rc |= buf_puts(b, "/>\n");
    return rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_collection_opml(struct req *r)
{
    const char *rest = r->rest ? r->rest : "";
    const char *dot = strchr(rest, '.');
    char digits[24], when[40], disp[96];
    struct coll c;
    struct buf b;
    int rc;

    /* "ID.opml" exactly. */
    if (dot == NULL || strcmp(dot, ".opml") != 0
        || (size_t)(dot - rest) >= sizeof digits)
        return no_collection(r);
    memcpy(digits, rest, (size_t)(dot - rest));
    digits[dot - rest] = '\0';
    rc = coll_load(r, web_id(digits), &c);
    if (rc == CUR_ENOTFOUND)
        return no_collection(r);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The OPML could not be built.");
    date_format(r->now, when, sizeof when);
    buf_init(&b, WEB_PAGE_MAX);
    rc = buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                  "<opml version=\"2.0\"><head><title>");
    rc |= xml_escape(&b, c.name);
    rc |= buf_printf(&b, "</title><dateCreated>%s</dateCreated>", when);
    if (c.editor[0]) {
        rc |= buf_puts(&b, "<ownerName>");
        rc |= xml_escape(&b, c.editor);
        rc |= buf_puts(&b, "</ownerName>");
    }
    rc |= buf_puts(&b, "</head><body>\n");
    if (rc == CUR_OK)
        rc = store_feed_briefs(r->st, c.id, 100000, opml_feed, &b);
    if (rc == CUR_OK)
        rc = buf_puts(&b, "</body></opml>\n");
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The OPML could not be built.");
    }
    snprintf(disp, sizeof disp, "attachment; filename=\"curator-collection-"
             "%lld.opml\"", c.id);
    web_header(r, "Content-Disposition", disp);
    return web_send(r, MHD_HTTP_OK, "text/x-opml; charset=utf-8", &b);
}
