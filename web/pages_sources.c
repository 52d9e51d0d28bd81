/* Sources: the user's subscriptions with their health and weight, adding
 * a source from a feed or page URL (discovery, fetched through fetch.h
 * with internal addresses refused unless the config allows them), and
 * OPML import and export of the user's own subscriptions, and the
 * editors' collections to follow as one source (following subscribes to
 * the collection's feeds, now and as its editor adds more; unfollowing
 * keeps them unless the user asks to drop those no other followed
 * collection holds). Feeds added here have origin "web": the poller
 * checks their addresses again at every connection (FETCH-3).
 */
#include "atom.h"
#include "date.h"
#include "discover.h"
#include "err.h"
#include "fetch.h"
#include "html.h"
#include "log.h"
#include "opml.h"
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 2048
#define OPML_IMPORT_MAX 1000

int
sources_url_ok(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    const char *host;
    if (n == 0 || n > URL_MAX)
        return 0;
    if (strncasecmp(u, "http://", 7) == 0)
        host = u + 7;
    else if (strncasecmp(u, "https://", 8) == 0)
        host = u + 8;
    else
        return 0;
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
        return 0;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '\\' || *p == '"' || *p == '<'
            || *p == '>')
            return 0;
    return 1;
}

/* See web.h. Names are checked by the poller at every connection
 * (FETCH-3); this refuses the obvious at once. */
int
sources_url_internal(const char *url)
{
    char host[300], text[INET6_ADDRSTRLEN];
    struct in_addr a4;
    struct in6_addr a6;
    size_t n;

    if (fetch_url_host(url, host, sizeof host) != CUR_OK || host[0] == '\0')
        return 1;
    n = strlen(host);
    if (host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
        n -= 2;
    }
    while (n > 0 && host[n - 1] == '.')
        host[--n] = '\0';
    if (strcmp(host, "localhost") == 0
        || (n > 10 && strcmp(host + n - 10, ".localhost") == 0))
        return 1;
    if (inet_pton(AF_INET6, host, &a6) == 1 || strchr(host, '%'))
        return fetch_ip_refused(host);
    if (inet_aton(host, &a4) != 0
        && inet_ntop(AF_INET, &a4, text, sizeof text) != NULL)
        return fetch_ip_refused(text);
    return 0;
}

struct owns {
    long long feed_id;
    int found;
};

static int
owns_row(void *ctx, const struct store_subscription *s)
{
    struct owns *o = ctx;
    if (s->feed_id == o->feed_id)
        o->found = 1;
    return 0;
}

int
sources_subscribe(struct store *st, long long user_id, const char *url,
                  const char *title, long long *feed_id, int *had)
{
    struct owns o = { 0, 0 };
    long long fid = 0;
    int own, rc;

    /* Origin "web": the poller checks the address at every connection.
     * The feed and the subscription are stored together or not at all. */
    if ((rc = store_nest_begin(st, &own)) != CUR_OK)
        return rc;
    rc = store_feed_import(st, url, title, NULL, NULL, "web", &fid);
    if (rc == CUR_EEXIST)
        rc = CUR_OK;
    if (rc == CUR_OK && had != NULL) {
        o.feed_id = fid;
        rc = store_subscription_list(st, user_id, owns_row, &o);
    }
    if (rc == CUR_OK)
        rc = store_subscribe(st, user_id, fid);
    rc = store_nest_end(st, own, rc);
    if (rc == CUR_OK && feed_id != NULL)
        *feed_id = fid;
    if (rc == CUR_OK && had != NULL)
        *had = o.found;
    return rc;
}

struct sub_page {
    struct req *r;
    struct buf *b;
    int n;
};

static int
sub_row(void *ctx, const struct store_subscription *s)
{
    struct sub_page *p = ctx;
    struct buf *b = p->b;
    /* Not 0: a weight scales the score, muting is its own button. */
    static const double weights[] = { 0.25, 0.5, 1, 2, 4 };
    int rc = buf_printf(b, "<li class=\"source\" id=\"feed-%lld\"><h3>",
                        s->feed_id);

    rc |= html_escape(b, s->title && s->title[0] ? s->title : s->url);
    rc |= buf_puts(b, "</h3><p class=\"meta url\">");
    rc |= html_escape(b, s->url);
    rc |= buf_puts(b, "</p><p class=\"meta\">");
    if (s->last_error && s->last_error[0]) {
        rc |= buf_puts(b, "<span class=\"bad\">Last poll failed: ");
        rc |= html_escape_cut(b, s->last_error, 160);
        rc |= buf_puts(b, "</span>");
    } else if (s->last_success > 0) {
        rc |= buf_puts(b, "Last read ");
        rc |= html_date(b, s->last_success);
    } else {
        rc |= buf_puts(b, "Not read yet");
    }
    if (s->muted)
        rc |= buf_puts(b, " &middot; muted");
    rc |= buf_puts(b, "</p><form class=\"row\" method=\"post\" "
                   "action=\"/sources\">");
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"feed\" value=\"%lld\">"
                     "<label for=\"w%lld\">Weight</label><select id=\"w%lld\" "
                     "name=\"weight\">", s->feed_id, s->feed_id, s->feed_id);
    int listed = 0;
    for (size_t i = 0; i < sizeof weights / sizeof weights[0]; i++) {
        int sel = fabs(s->weight - weights[i]) < 1e-9;
        listed |= sel;
        rc |= buf_printf(b, "<option value=\"%g\"%s>%g</option>", weights[i],
                         sel ? " selected" : "", weights[i]);
    }
    if (!listed)
        rc |= buf_printf(b, "<option value=\"%g\" selected>%g</option>",
                         s->weight, s->weight);
    rc |= buf_printf(b, "</select><button type=\"submit\" name=\"act\" "
                     "value=\"weight\">Set</button><button type=\"submit\" "
                     "name=\"act\" value=\"%s\" class=\"secondary\">%s"
                     "</button><button type=\"submit\" name=\"act\" "
                     "value=\"refresh\" class=\"secondary\">Refresh now"
                     "</button><button type=\"submit\" name=\"act\" "
                     "value=\"unsubscribe\" class=\"secondary\">Unsubscribe"
                     "</button></form></li>\n", s->muted ? "unmute" : "mute",
                     s->muted ? "Unmute" : "Mute");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

/* A collection the user may follow. */
static int
collection_row(void *ctx, const struct store_collection *c)
{
    struct sub_page *p = ctx;
    struct buf *b = p->b;
    int rc = buf_printf(b, "<li class=\"source\" id=\"collection-%lld\">"
                        "<h3>", c->id);

    rc |= html_escape(b, c->name);
    rc |= buf_puts(b, "</h3><p class=\"meta\">");
    if (c->editor) {
        rc |= buf_puts(b, "by ");
        rc |= html_escape(b, c->editor);
        rc |= buf_puts(b, " &middot; ");
    }
    rc |= buf_printf(b, "%lld feed%s%s &middot; <a "
                     "href=\"/collections/%lld.opml\" download>OPML</a></p>"
                     "<form class=\"row\" method=\"post\" "
                     "action=\"/sources\">", c->n_feeds,
                     c->n_feeds == 1 ? "" : "s",
                     c->following ? " &middot; following" : "", c->id);
    rc |= html_csrf(b, p->r);
    rc |= buf_printf(b, "<input type=\"hidden\" name=\"collection\" "
                     "value=\"%lld\">", c->id);
    if (c->following)
        rc |= buf_puts(b, "<button type=\"submit\" name=\"act\" "
                       "value=\"unfollow\" class=\"secondary\">Unfollow, "
                       "keep its feeds</button><button type=\"submit\" "
                       "name=\"act\" value=\"unfollow-drop\" "
                       "class=\"secondary\">Unfollow and unsubscribe from "
                       "its feeds</button>");
    else
        rc |= buf_puts(b, "<button type=\"submit\" name=\"act\" "
                       "value=\"follow\">Follow</button>");
    rc |= buf_puts(b, "</form></li>\n");
    p->n++;
    return rc ? CUR_ENOMEM : 0;
}

struct sources_view {
    const char *url;            /* as typed */
    const char *e_url;
    const char *e_opml;
    const struct discover_list *found;
};

static enum MHD_Result
render(struct req *r, unsigned status, const struct sources_view *v)
{
    struct buf b;
    struct sub_page p = { r, &b, 0 };
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Sources", "sources");
    rc |= buf_puts(&b, "<h1>Sources</h1><section><h2>Add a source</h2>"
                   "<form class=\"row\" method=\"post\" "
                   "action=\"/sources\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "url", "Feed or web page address", "url", v->url,
                     v->e_url, "required maxlength=\"2048\" "
                     "placeholder=\"https://example.org/\"");
    rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" value=\"find\">"
                   "Find feeds</button></form>");
    if (v->found != NULL && v->found->n > 0) {
        rc |= buf_printf(&b, "<h3>%s</h3><ul class=\"found\">",
                         v->found->guessed ? "Found at a usual address"
                                           : "Feeds this page offers");
        for (size_t i = 0; i < v->found->n; i++) {
            const struct discover_feed *d = &v->found->v[i];
            rc |= buf_puts(&b, "<li><form class=\"row\" method=\"post\" "
                           "action=\"/sources\">");
            rc |= html_csrf(&b, r);
            rc |= buf_puts(&b, "<input type=\"hidden\" name=\"url\" "
                           "value=\"");
            rc |= html_escape(&b, d->url);
            rc |= buf_puts(&b, "\"><span><strong>");
            rc |= html_escape(&b, d->title ? d->title : "(no title)");
            rc |= buf_puts(&b, "</strong><br><span class=\"meta url\">");
            rc |= html_escape(&b, d->url);
            rc |= buf_puts(&b, "</span></span><button type=\"submit\" "
                           "name=\"act\" value=\"subscribe\">Subscribe"
                           "</button></form></li>");
        }
        rc |= buf_puts(&b, "</ul>");
    }
    rc |= buf_puts(&b, "</section><section><h2>Your sources</h2>"
                   "<ul class=\"sources\">");
    if (rc == CUR_OK)
        rc = store_subscription_list(r->st, r->sess.user_id, sub_row, &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No sources yet.</li>");
    rc |= buf_puts(&b, "</ul></section><section><h2>Collections</h2>"
                   "<p class=\"lead\">Bundles of feeds your editors "
                   "keep. Following one subscribes you to its feeds, and "
                   "to those added later; unsubscribing from one of them "
                   "stays your choice.</p><ul class=\"sources\">");
    p.n = 0;
    if (rc == CUR_OK)
        rc = store_collection_list(r->st, r->sess.user_id, collection_row,
                                   &p);
    if (p.n == 0)
        rc |= buf_puts(&b, "<li class=\"empty\">No collections yet.</li>");
    rc |= buf_puts(&b, "</ul></section><section><h2>OPML</h2><p><a "
                   "href=\"/sources/opml\" download>Export your sources as "
                   "OPML</a></p><form method=\"post\" action=\"/sources/opml\""
                   " enctype=\"multipart/form-data\" class=\"stack\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "opml", "Import an OPML file", "file", NULL,
                     v->e_opml, "accept=\".opml,.xml,text/x-opml,"
                     "application/xml,text/xml\" required");
    rc |= buf_puts(&b, "<p><button type=\"submit\">Import</button></p>"
                   "</form></section>");
    return html_send(r, status, &b, rc);
}

struct unmute {
    long long feed_id, mute_id;
};

static int
mute_of(void *ctx, const struct store_mute_row *m)
{
    struct unmute *u = ctx;
    if (m->term == NULL && m->feed_id == u->feed_id)
        u->mute_id = m->id;
    return 0;
}

static int
collection_found(void *ctx, const struct store_collection *c)
{
    *(int *)ctx = c->following ? 2 : 1;
    return 0;
}

/* Follow or unfollow a collection (act "follow", "unfollow" or
 * "unfollow-drop"). */
static enum MHD_Result
follow(struct req *r, const char *act)
{
    long long cid = web_id(form_get(&r->form, "collection"));
    long long uid = r->sess.user_id;
    int state = 0, rc;

    rc = cid > 0 ? store_collection_get(r->st, cid, uid, collection_found,
                                        &state) : CUR_ENOTFOUND;
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such collection",
                         "That collection does not exist.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "That could not be saved.");
    if (strcmp(act, "follow") == 0) {
        rc = store_collection_follow(r->st, cid, uid);
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        log_info("web collection followed id=%lld user=%lld", cid, uid);
        return web_redirect(r, "/sources?done=subscribed");
    }
    rc = store_collection_unfollow(r->st, cid, uid,
                                   strcmp(act, "unfollow-drop") == 0);
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "Not followed",
                         "You do not follow that collection.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "That could not be saved.");
    log_info("web collection unfollowed id=%lld user=%lld drop=%d", cid,
             uid, strcmp(act, "unfollow-drop") == 0);
    return web_redirect(r, "/sources?done=unsubscribed");
}

enum MHD_Result
page_sources(struct req *r)
{
    struct sources_view v = { .url = NULL };
    const char *act = form_get(&r->form, "act");
    long long uid = r->sess.user_id;
    int rc;

    if (!r->post)
        return render(r, MHD_HTTP_OK, &v);
    if (act == NULL)
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action is unknown.");
    if (strcmp(act, "find") == 0 || strcmp(act, "subscribe") == 0) {
        const char *url = form_get(&r->form, "url");
        v.url = url;
        if (!sources_url_ok(url)) {
            v.e_url = "Give a full http:// or https:// address.";
            return render(r, MHD_HTTP_BAD_REQUEST, &v);
        }
        if (strcmp(act, "subscribe") == 0) {
            if (r->w->refuse_private && sources_url_internal(url)) {
                log_info("web subscription refused user=%lld "
                         "reason=internal", uid);
                v.e_url = "That address is internal: it is not fetched "
                          "for web users.";
                return render(r, MHD_HTTP_BAD_REQUEST, &v);
            }
            rc = sources_subscribe(r->st, uid, url, NULL, NULL, NULL);
            if (rc != CUR_OK)
                return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                                 "The subscription could not be saved.");
            return web_redirect(r, "/sources?done=subscribed");
        }
        struct discover_list found;
        char err[512] = "";
        if (!web_heavy_enter(r->w))
            return web_busy(r);
        rc = discover_feeds(&r->w->fetch, NULL, url, 0, r->w->refuse_private,
                            0, &found, err, sizeof err);
        web_heavy_leave(r->w);
        if (rc == CUR_OK && found.self && found.n == 1) {
            rc = sources_subscribe(r->st, uid, found.v[0].url,
                                   found.v[0].title, NULL, NULL);
            discover_list_free(&found);
            if (rc != CUR_OK)
                return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                                 "The subscription could not be saved.");
            return web_redirect(r, "/sources?done=subscribed");
        }
        if (rc != CUR_OK) {
            log_info("web discovery failed user=%lld err=\"%s\"", uid,
                     cur_strerror(rc));
            v.e_url = err[0] ? err : "No feed was found there.";
            enum MHD_Result ret = render(r, MHD_HTTP_BAD_REQUEST, &v);
            discover_list_free(&found);
            return ret;
        }
        v.found = &found;
        enum MHD_Result ret = render(r, MHD_HTTP_OK, &v);
        discover_list_free(&found);
        return ret;
    }
    if (strcmp(act, "follow") == 0 || strcmp(act, "unfollow") == 0
        || strcmp(act, "unfollow-drop") == 0)
        return follow(r, act);
    long long feed = web_id(form_get(&r->form, "feed"));
    if (strcmp(act, "unsubscribe") == 0) {
        rc = store_unsubscribe(r->st, uid, feed);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such source",
                             "You are not subscribed to that source.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        return web_redirect(r, "/sources?done=unsubscribed");
    }
    if (strcmp(act, "refresh") == 0) {
        /* FETCH-9: a feed due already, or read within [poll]
         * refresh_gap, is left alone: clicks make one request. */
        struct owns o = { feed, 0 };
        long gap = r->w->config ? r->w->config->poll_refresh_gap : 60;
        long long when = 0;
        if (store_subscription_list(r->st, uid, owns_row, &o) != CUR_OK
            || !o.found)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such source",
                             "You are not subscribed to that source.");
        rc = store_feed_refresh(r->st, feed, r->now, gap, &when);
        if (rc == CUR_EINVAL)
            return web_error(r, MHD_HTTP_CONFLICT, "Source disabled",
                             "That source is disabled (it answered that it "
                             "is gone); an admin can enable it again.");
        if (rc != CUR_OK && rc != CUR_EEXIST)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        return web_redirect(r, rc == CUR_OK ? "/sources?done=refresh"
                               : when <= r->now
                               ? "/sources?done=refresh-due"
                               : "/sources?done=refresh-recent");
    }
    if (strcmp(act, "mute") == 0 || strcmp(act, "unmute") == 0) {
        struct owns o = { feed, 0 };
        if (store_subscription_list(r->st, uid, owns_row, &o) != CUR_OK
            || !o.found)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such source",
                             "You are not subscribed to that source.");
        if (act[0] == 'm') {
            rc = store_mute_feed(r->st, uid, feed);
        } else {
            struct unmute u = { feed, 0 };
            rc = store_mute_rows(r->st, uid, mute_of, &u);
            if (rc == CUR_OK && u.mute_id > 0)
                rc = store_mute_remove(r->st, uid, u.mute_id);
        }
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        return web_redirect(r, "/sources?done=weight");
    }
    if (strcmp(act, "weight") == 0) {
        const char *ws = form_get(&r->form, "weight");
        struct owns o = { feed, 0 };
        char *end;
        double w;
        errno = 0;
        w = ws ? strtod(ws, &end) : -1;
        if (ws == NULL || errno || end == ws || *end || !isfinite(w)
            || w < 0 || w > 10)
            return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad weight",
                             "A source weight is a number from 0 to 10.");
        if (store_subscription_list(r->st, uid, owns_row, &o) != CUR_OK
            || !o.found)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such source",
                             "You are not subscribed to that source.");
        if (store_source_weight(r->st, uid, feed, w) != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "That could not be saved.");
        return web_redirect(r, "/sources?done=weight");
    }
    return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                     "That action is unknown.");
}

/* OPML of the user's own subscriptions, folders from categories kept
 * flat as the category attribute. */
static int
opml_row(void *ctx, const struct store_subscription *s)
{
    struct buf *b = ctx;
    const char *title = s->title && s->title[0] ? s->title : s->url;
    int rc = buf_puts(b, "<outline type=\"rss\" text=\"");
    rc |= xml_escape(b, title);
    rc |= buf_puts(b, "\" title=\"");
    rc |= xml_escape(b, title);
    rc |= buf_puts(b, "\" xmlUrl=\"");
    rc |= xml_escape(b, s->url);
    rc |= buf_puts(b, "\"");
    if (s->site_url && html_safe_url(s->site_url)) {
        rc |= buf_puts(b, " htmlUrl=\"");
        rc |= xml_escape(b, s->site_url);
        rc |= buf_puts(b, "\"");
    }
    if (s->category && s->category[0]) {
        rc |= buf_puts(b, " category=\"");
        rc |= xml_escape(b, s->category);
        rc |= buf_puts(b, "\"");
    }
    rc |= buf_puts(b, "/>\n");
    return rc ? CUR_ENOMEM : 0;
}

static int
sources_opml(struct req *r, struct buf *b)
{
    char when[40];
    date_format(r->now, when, sizeof when);
    int rc = buf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<opml version=\"2.0\"><head><title>");
    rc |= xml_escape(b, r->sess.name);
    rc |= buf_printf(b, "'s Curator sources</title><dateCreated>%s"
                     "</dateCreated></head><body>\n", when);
    if (rc == CUR_OK)
        rc = store_subscription_list(r->st, r->sess.user_id, opml_row, b);
    if (rc == CUR_OK)
        rc = buf_puts(b, "</body></opml>\n");
    return rc;
}

enum MHD_Result
page_sources_opml(struct req *r)
{
    struct buf b;
    int rc;

    if (!r->post) {
        buf_init(&b, WEB_PAGE_MAX);
        if (sources_opml(r, &b) != CUR_OK) {
            buf_free(&b);
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The OPML could not be built.");
        }
        web_header(r, "Content-Disposition", "attachment; filename=\""
                   "curator-sources.opml\"");
        return web_send(r, MHD_HTTP_OK, "text/x-opml; charset=utf-8", &b);
    }
    const struct form_field *f = form_field(&r->form, "opml");
    struct sources_view v = { .url = NULL };
    struct opml_doc doc = { 0 };
    char err[512];

    if (f == NULL || f->len == 0) {
        v.e_opml = "Choose an OPML file.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    if (opml_parse(f->value, f->len, &doc, err, sizeof err) != CUR_OK) {
        v.e_opml = err;
        enum MHD_Result ret = render(r, MHD_HTTP_BAD_REQUEST, &v);
        opml_doc_free(&doc);
        return ret;
    }
    if (doc.n > OPML_IMPORT_MAX) {
        opml_doc_free(&doc);
        v.e_opml = "At most 1000 feeds per import.";
        return render(r, MHD_HTTP_BAD_REQUEST, &v);
    }
    size_t added = 0, refused = 0;
    /* All or nothing. */
    rc = store_begin(r->st);
    for (size_t i = 0; i < doc.n && rc == CUR_OK; i++) {
        const struct opml_outline *o = &doc.v[i];
        long long fid;
        if (!sources_url_ok(o->url)) {
            refused++;
            continue;
        }
        rc = store_feed_import(r->st, o->url, o->title,
                               sources_url_ok(o->site_url) ? o->site_url
                                                           : NULL,
                               o->category, "web", &fid);
        if (rc == CUR_EEXIST)
            rc = CUR_OK;
        if (rc == CUR_OK)
            rc = store_subscribe(r->st, r->sess.user_id, fid);
        added++;
    }
    if (rc == CUR_OK)
        rc = store_commit(r->st);
    else
        store_rollback(r->st);
    opml_doc_free(&doc);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The import could not be saved.");
    log_info("web opml import user=%lld feeds=%zu refused=%zu",
             r->sess.user_id, added, refused);
    return web_redirect(r, "/sources?done=imported");
}
