/* The route table: every path the server answers, the methods it takes,
 * the least role it needs and how a change through it proves it came
 * from our own form. router_run() is the one place those checks are
 * made, before any handler runs, so no page can forget them. Handlers
 * still check ownership of what they touch (WEB-7).
 */
#include "err.h"
#include "log.h"
#include "web.h"

#include <string.h>

static const struct route routes[] = {
    { "/", RM_GET, ROLE_ANON, 0, page_home },
    { "/healthz", RM_GET, ROLE_ANON, RF_NO_SESSION, page_health },
    { "/metrics", RM_GET, ROLE_ANON, RF_NO_SESSION, page_metrics },
    { "/static/style.css", RM_GET, ROLE_ANON, RF_NO_SESSION, page_style },
    { "/login", RM_GET | RM_POST, ROLE_ANON, RF_PRE_CSRF, page_login },
    { "/logout", RM_POST, ROLE_SUBSCRIBER, 0, page_logout },
    { "/signup", RM_GET | RM_POST, ROLE_ANON, RF_PRE_CSRF, page_signup },
    { "/invite/", RM_GET | RM_POST, ROLE_ANON, RF_PREFIX | RF_PRE_CSRF,
      page_invite },
    { "/today", RM_GET, ROLE_SUBSCRIBER, 0, page_today },
    { "/today/act", RM_POST, ROLE_SUBSCRIBER, 0, page_today_act },
    { "/item/", RM_GET, ROLE_SUBSCRIBER, RF_PREFIX, page_item },
    { "/interests", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_interests },
    { "/interests/goals", RM_POST, ROLE_SUBSCRIBER, 0, page_goals },
    { "/sources", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_sources },
    { "/sources/opml", RM_GET | RM_POST, ROLE_SUBSCRIBER, RF_UPLOAD,
      page_sources_opml },
    { "/schedule", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_schedule },
    { "/portfolio", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_portfolio },
    { "/portfolio.atom", RM_GET, ROLE_SUBSCRIBER, 0, page_portfolio_atom },
    { "/journal", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_journal },
    { "/account", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0, page_account },
    { "/account/password", RM_POST, ROLE_SUBSCRIBER, 0,
      page_account_password },
    { "/account/delete", RM_POST, ROLE_SUBSCRIBER, 0, page_account_delete },
    { "/account/export.json", RM_GET, ROLE_SUBSCRIBER, 0, page_export },
    { "/account/import", RM_POST, ROLE_SUBSCRIBER, RF_UPLOAD, page_import },
    { "/unsubscribe", RM_GET | RM_POST, ROLE_ANON, RF_NO_CSRF,
      page_unsubscribe },
    { "/vote", RM_GET | RM_POST, ROLE_ANON, RF_NO_CSRF, page_vote },
    { "/feed/", RM_GET, ROLE_ANON, RF_PREFIX, page_feed },
    { "/gems", RM_GET | RM_POST, ROLE_EDITOR, 0, page_gems },
    { "/admin", RM_GET | RM_POST, ROLE_ADMIN, 0, page_admin },
    { "/account/tokens", RM_POST, ROLE_SUBSCRIBER, 0, page_account_tokens },
    /* The bearer token is the proof, and cookies are not read: CSRF
     * cannot apply. Every method reaches the handler, which checks the
     * token, the role and the method per resource. */
    { "/api/v1/", RM_GET | RM_POST | RM_PUT | RM_DELETE | RM_OTHER,
      ROLE_ANON, RF_PREFIX | RF_NO_CSRF | RF_NO_SESSION | RF_JSON, page_api },
    /* Teams: "/teams/share" before the "/teams/" prefix, which it also
     * matches. Handlers check membership. */
    { "/teams", RM_GET, ROLE_SUBSCRIBER, 0, page_teams },
    { "/teams/share", RM_GET | RM_POST, ROLE_SUBSCRIBER, 0,
      page_team_share },
    { "/teams/", RM_GET, ROLE_SUBSCRIBER, RF_PREFIX, page_team },
    /* Operations. */
    { "/admin/feeds", RM_GET | RM_POST, ROLE_ADMIN, 0, page_admin_feeds },
    { "/admin/outbox", RM_GET | RM_POST, ROLE_ADMIN, 0, page_admin_outbox },
    { "/admin/filters", RM_GET, ROLE_ADMIN, 0, page_admin_filters },
    { "/admin/teams", RM_GET | RM_POST, ROLE_ADMIN, 0, page_admin_teams },
    /* Editors' pages (editors and admins); a collection's OPML for
     * anyone signed in, who may follow it. */
    { "/editor", RM_GET, ROLE_EDITOR, 0, page_editor_recent },
    { "/editor/reach", RM_GET, ROLE_EDITOR, 0, page_editor_reach },
    { "/editor/collections", RM_GET | RM_POST, ROLE_EDITOR, 0,
      page_editor_collections },
    { "/collections/", RM_GET, ROLE_SUBSCRIBER, RF_PREFIX,
      page_collection_opml },
};

const struct route *
router_find(const char *path, unsigned method, unsigned *allowed,
            const char **rest)
{
    const struct route *hit = NULL;

    *allowed = 0;
    *rest = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        size_t n = strlen(rt->path);
        if (rt->flags & RF_PREFIX) {
            if (strncmp(path, rt->path, n) != 0 || path[n] == '\0')
                continue;
        } else if (strcmp(path, rt->path) != 0) {
            continue;
        }
        *allowed |= rt->methods;
        if (hit == NULL && (rt->methods & method)) {
            hit = rt;
            *rest = (rt->flags & RF_PREFIX) ? path + n : NULL;
        }
    }
    return hit;
}

const struct route *
router_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

enum MHD_Result
router_run(struct req *r)
{
    const struct route *rt = r->route;

    if (r->role < rt->min_role) {
        if (r->role > ROLE_ANON)
            return web_error(r, MHD_HTTP_FORBIDDEN, "Not for you",
                             "Your account's role does not open this "
                             "page.");
        if (!r->post) {
            /* Back here after signing in. */
            struct buf b;
            buf_init(&b, 2048);
            int rc = buf_puts(&b, "/login?next=");
            for (const char *p = r->url; rc == CUR_OK && *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                    || (*p >= '0' && *p <= '9') || strchr("/-_.", *p))
                    rc = buf_append(&b, p, 1);
                else
                    rc = buf_printf(&b, "%%%02X", (unsigned char)*p);
            }
            enum MHD_Result ret = rc == CUR_OK ? web_redirect(r, b.data)
                                               : web_redirect(r, "/login");
            buf_free(&b);
            return ret;
        }
        return web_error(r, MHD_HTTP_FORBIDDEN, "Sign in first",
                         "You are not signed in (or your session ended). "
                         "Sign in and try again.");
    }
    if (r->post && !(rt->flags & RF_NO_CSRF)
        && !auth_csrf_ok(r, (rt->flags & RF_PRE_CSRF) != 0)) {
        log_info("web csrf refused path=%s ip=%s", r->url, r->ip);
        return web_error(r, MHD_HTTP_FORBIDDEN, "Form expired",
                         "This form expired or came from another site. "
                         "Reload the page and try again.");
    }
    return rt->fn(r);
}
