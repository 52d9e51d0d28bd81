/* The links a digest carries, which work without signing in because they
 * are signed (token.h): one-click unsubscribe (RFC 8058: a POST turns
 * the email off, a GET only shows a button), the 👍/👎 votes (a GET
 * shows a confirm page, so that link scanners in mail systems never
 * vote; the POST records it), and the private Atom feed of the user's
 * ranked items. A token off by one byte, or for another user, gets 403;
 * checks compare in constant time.
 */
#include "atom.h"
#include "err.h"
#include "html.h"
#include "log.h"
#include "token.h"
#include "web.h"

#include <stdio.h>
#include <string.h>

#define FEED_ITEMS 50

static enum MHD_Result
bad_link(struct req *r)
{
    return web_error(r, MHD_HTTP_FORBIDDEN, "Link not valid",
                     "This link is not valid: it may be cut short or "
                     "changed. Use the link from your latest digest.");
}

enum MHD_Result
page_unsubscribe(struct req *r)
{
    long long uid = web_id(web_query(r, "u"));
    const char *t = web_query(r, "t");
    struct buf b;
    int rc;

    if (uid <= 0 || !token_check(r->w->links.key, "unsubscribe", uid, NULL,
                                 t))
        return bad_link(r);
    buf_init(&b, WEB_PAGE_MAX);
    if (!r->post) {
        rc = html_open(&b, r, "Unsubscribe", NULL);
        rc |= buf_printf(&b, "<h1>Stop the digest email?</h1><p>Press the "
                         "button to stop receiving Curator digests by "
                         "email. Your account, interests and saved items "
                         "stay; you can turn the email on again on the "
                         "Schedule page.</p><form method=\"post\" "
                         "action=\"/unsubscribe?u=%lld&amp;t=%s\">"
                         "<input type=\"hidden\" name=\"List-Unsubscribe\" "
                         "value=\"One-Click\"><button type=\"submit\">"
                         "Unsubscribe</button></form>", uid, t);
        return html_send(r, MHD_HTTP_OK, &b, rc);
    }
    /* RFC 8058: a POST (the mail provider's, with List-Unsubscribe=
     * One-Click, or our button's) is the whole of it. */
    rc = store_digest_set(r->st, uid, "email", NULL, 0);
    if (rc == CUR_ENOTFOUND) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such account",
                         "This account no longer exists.");
    }
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "That did not work; try again in a minute.");
    }
    log_info("web unsubscribed user=%lld", uid);
    rc = html_open(&b, r, "Unsubscribed", NULL);
    rc |= buf_puts(&b, "<h1>You are unsubscribed</h1><p>No more digest "
                   "email will be sent. You can turn it on again on the "
                   "Schedule page after signing in.</p>");
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

struct vote_item {
    char title[512];
    int found;
};

static int
vote_item(void *ctx, const struct store_item *it)
{
    struct vote_item *v = ctx;
    snprintf(v->title, sizeof v->title, "%s", it->title);
    v->found = 1;
    return 0;
}

enum MHD_Result
page_vote(struct req *r)
{
    long long uid = web_id(web_query(r, "u"));
    long long item = web_id(web_query(r, "i"));
    const char *v = web_query(r, "v");
    const char *t = web_query(r, "t");
    struct vote_item vi = { "", 0 };
    char extra[48];
    struct buf b;
    int rc, up;

    if (uid <= 0 || item <= 0 || v == NULL
        || (strcmp(v, "up") != 0 && strcmp(v, "down") != 0))
        return bad_link(r);
    up = v[0] == 'u';
    snprintf(extra, sizeof extra, "%lld:%s", item, v);
    if (!token_check(r->w->links.key, "feedback", uid, extra, t))
        return bad_link(r);
    rc = store_item_for_user(r->st, uid, item, vote_item, &vi);
    if (rc == CUR_ENOTFOUND)
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such item",
                         "That item is no longer here.");
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "That did not work; try again in a minute.");
    buf_init(&b, WEB_PAGE_MAX);
    if (!r->post) {
        rc = html_open(&b, r, "Your vote", NULL);
        rc |= buf_printf(&b, "<h1>%s</h1><p class=\"lead\">",
                         up ? "More like this?" : "Less like this?");
        rc |= html_escape(&b, vi.title);
        rc |= buf_printf(&b, "</p><form method=\"post\" action=\"/vote?u=%lld"
                         "&amp;i=%lld&amp;v=%s&amp;t=%s\"><button "
                         "type=\"submit\">%s</button></form>", uid, item, v,
                         t, up ? "\xF0\x9F\x91\x8D Yes, more like this"
                               : "\xF0\x9F\x91\x8E Yes, less like this");
        return html_send(r, MHD_HTTP_OK, &b, rc);
    }
    rc = store_feedback_put(r->st, uid, item, up ? 1 : -1);
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "That did not work; try again in a minute.");
    }
    rc = html_open(&b, r, "Thank you", NULL);
    rc |= buf_puts(&b, "<h1>Thank you</h1><p>Your next digests take it "
                   "into account.</p>");
    return html_send(r, MHD_HTTP_OK, &b, rc);
}

struct feed_ctx {
    struct buf *b;
    const struct web *w;
    int rc;
};

static int
feed_row(void *ctx, const struct store_ranked *s)
{
    struct feed_ctx *f = ctx;
    char id[300], reason[300] = "";
    const char *t1 = strchr(s->reasons, '\t');
    const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

    if (s->dup_of)
        return 0;
    if (t2 != NULL)
        snprintf(reason, sizeof reason, "Why: %.*s\n\n",
                 (int)strcspn(t2 + 1, "\n"), t2 + 1);
    snprintf(id, sizeof id, "%s/item/%lld", f->w->base_url, s->item_id);
    struct buf sum;
    buf_init(&sum, 0);
    int rc = buf_puts(&sum, reason);
    if (s->snippet)
        rc |= buf_puts(&sum, s->snippet);
    struct atom_entry e = {
        .id = id, .title = s->title, .link = s->link,
        .author = s->feed_title ? s->feed_title : s->feed_url,
        .summary = rc == CUR_OK ? sum.data : reason,
        .published = s->published,
        .updated = s->published ? s->published : s->fetched,
    };
    rc |= atom_entry(f->b, &e);
    buf_free(&sum);
    return f->rc = rc ? CUR_ENOMEM : 0;
}

enum MHD_Result
page_feed(struct req *r)
{
    /* /feed/UID/TOKEN.atom */
    long long uid = 0;
    char num[24], tok[TOKEN_LEN + 8], self[512], id[300];
    const char *slash = strchr(r->rest, '/');
    size_t n = slash ? (size_t)(slash - r->rest) : 0;
    struct buf b;
    int rc;

    if (slash == NULL || n == 0 || n >= sizeof num)
        return bad_link(r);
    memcpy(num, r->rest, n);
    num[n] = '\0';
    uid = web_id(num);
    size_t tl = strlen(slash + 1);
    if (uid <= 0 || tl != TOKEN_LEN + 5
        || strcmp(slash + 1 + TOKEN_LEN, ".atom") != 0)
        return bad_link(r);
    memcpy(tok, slash + 1, TOKEN_LEN);
    tok[TOKEN_LEN] = '\0';
    if (!token_check(r->w->links.key, "feed", uid, NULL, tok))
        return bad_link(r);
    snprintf(self, sizeof self, "%s/feed/%lld/%s.atom", r->w->base_url, uid,
             tok);
    /* The feed's id must not change when the token does. */
    snprintf(id, sizeof id, "%s/feed/%lld", r->w->base_url, uid);
    buf_init(&b, WEB_PAGE_MAX);
    rc = atom_open(&b, id, "Curator: ranked for you", self, r->w->base_url,
                   r->now);
    struct feed_ctx f = { &b, r->w, CUR_OK };
    if (rc == CUR_OK)
        rc = store_ranked(r->st, uid, r->now - r->w->window, r->now,
                          FEED_ITEMS, feed_row, &f);
    if (rc == CUR_OK)
        rc = f.rc;
    if (rc == CUR_OK)
        rc = atom_close(&b);
    if (rc != CUR_OK) {
        buf_free(&b);
        return web_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Unavailable",
                         "The feed could not be built.");
    }
    return web_send(r, MHD_HTTP_OK, "application/atom+xml; charset=utf-8",
                    &b);
}
