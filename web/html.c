/* Escaping, the page frame and the small pieces shared by every page. */
#include "html.h"
#include "date.h"
#include "err.h"
#include "log.h"
#include "web.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int
html_escape(struct buf *b, const char *s)
{
    int rc = CUR_OK;

    if (s == NULL)
        return CUR_OK;
    /* Runs between the characters that need escaping go in one copy;
     * strcspn() finds them fast, and most text has none. */
    for (;;) {
        size_t n = strcspn(s, "&<>\"'");
        if (n > 0 && (rc = buf_append(b, s, n)) != CUR_OK)
            return rc;
        s += n;
        switch (*s) {
        case '\0': return CUR_OK;
        case '&': rc = buf_append(b, "&amp;", 5); break;
        case '<': rc = buf_append(b, "&lt;", 4); break;
        case '>': rc = buf_append(b, "&gt;", 4); break;
        case '"': rc = buf_append(b, "&quot;", 6); break;
        default: rc = buf_append(b, "&#39;", 5); break;
        }
        if (rc != CUR_OK)
            return rc;
        s++;
    }
}

int
html_escape_cut(struct buf *b, const char *s, size_t n)
{
    char cut[2048];
    size_t len;

    if (s == NULL)
        return CUR_OK;
    len = strlen(s);
    if (len <= n)
        return html_escape(b, s);
    if (n >= sizeof cut - 4)
        n = sizeof cut - 4;
    /* Back to the start of a character, then to a space if one is near. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    size_t sp = n;
    while (sp > n / 2 && s[sp] != ' ')
        sp--;
    if (sp > n / 2)
        n = sp;
    memcpy(cut, s, n);
    memcpy(cut + n, "...", 4);
    return html_escape(b, cut);
}

int
html_safe_url(const char *url)
{
    if (url == NULL)
        return 0;
    if (strncasecmp(url, "http://", 7) != 0
        && strncasecmp(url, "https://", 8) != 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

int
html_url_encode(struct buf *b, const char *s)
{
    static const char hexd[] = "0123456789ABCDEF";
    int rc = CUR_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
            || (*p >= '0' && *p <= '9') || strchr("-_.~/", *p)) {
            rc = buf_append(b, p, 1);
        } else {
            char e[3] = { '%', hexd[*p >> 4], hexd[*p & 15] };
            rc = buf_append(b, e, 3);
        }
    }
    return rc;
}

static const struct {
    const char *key, *label, *href;
    int role;
} nav_items[] = {
    { "today", "Today", "/today", ROLE_SUBSCRIBER },
    { "interests", "Interests", "/interests", ROLE_SUBSCRIBER },
    { "sources", "Sources", "/sources", ROLE_SUBSCRIBER },
    { "schedule", "Schedule", "/schedule", ROLE_SUBSCRIBER },
    { "portfolio", "Portfolio", "/portfolio", ROLE_SUBSCRIBER },
    { "journal", "Journal", "/journal", ROLE_SUBSCRIBER },
    { "account", "Account", "/account", ROLE_SUBSCRIBER },
    { "teams", "Teams", "/teams", ROLE_SUBSCRIBER },
    { "gems", "Editor", "/editor", ROLE_EDITOR },
    { "admin", "Admin", "/admin", ROLE_ADMIN },
};

int
html_open(struct buf *b, struct req *r, const char *title, const char *nav)
{
    int rc = buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                      "<meta charset=\"utf-8\"><meta name=\"viewport\" "
                      "content=\"width=device-width, initial-scale=1\">"
                      "<title>");
    rc |= html_escape(b, title);
    rc |= buf_printf(b, " &middot; Curator</title><link rel=\"stylesheet\" "
                     "href=\"/static/style.css?v=%s\"></head><body>"
                     "<header class=\"top\"><a class=\"brand\" href=\"/\">"
                     "Curator</a>", r->w->css_etag);
    if (r->role > ROLE_ANON) {
        rc |= buf_puts(b, "<nav aria-label=\"Sections\">");
        for (size_t i = 0; i < sizeof nav_items / sizeof nav_items[0]; i++) {
            if (r->role < nav_items[i].role)
                continue;
            rc |= buf_printf(b, "<a href=\"%s\"%s>%s</a>", nav_items[i].href,
                             nav && strcmp(nav, nav_items[i].key) == 0
                             ? " aria-current=\"page\"" : "",
                             nav_items[i].label);
        }
        rc |= buf_puts(b, "</nav><form class=\"signout\" method=\"post\" "
                       "action=\"/logout\">");
        rc |= html_csrf(b, r);
        rc |= buf_puts(b, "<span class=\"who\">");
        rc |= html_escape(b, r->sess.name);
        rc |= buf_puts(b, "</span> <button type=\"submit\">Sign out</button>"
                       "</form>");
    } else {
        rc |= buf_puts(b, "<nav aria-label=\"Account\"><a href=\"/login\">"
                       "Sign in</a>");
        if (r->w->allow_signup)
            rc |= buf_puts(b, "<a href=\"/signup\">Sign up</a>");
        rc |= buf_puts(b, "</nav>");
    }
    rc |= buf_puts(b, "</header><main>");
    rc |= html_notice(b, r);
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_close(struct buf *b)
{
    return buf_printf(b, "</main><footer>Curator %s</footer></body>"
                      "</html>\n", CURATOR_VERSION);
}

enum MHD_Result
html_send(struct req *r, unsigned status, struct buf *b, int rc)
{
    if (rc == CUR_OK)
        rc = html_close(b);
    if (rc != CUR_OK) {
        buf_free(b);
        log_err("web page failed route=%s user=%lld err=\"%s\"", r->url,
                r->sess.user_id, cur_strerror(rc));
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "The page could not be built.");
    }
    return web_send(r, status, "text/html; charset=utf-8", b);
}

int
html_csrf(struct buf *b, struct req *r)
{
    const char *t = r->role > ROLE_ANON ? r->sess.csrf : auth_pre_token(r);
    int rc = buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    rc |= buf_puts(b, t);
    rc |= buf_append(b, "\">", 2);
    return rc ? CUR_ENOMEM : CUR_OK;
}

static const struct html_note notices[] = {
    { "up", "Thanks: more like this." },
    { "down", "Thanks: less like this." },
    { "less", "You will see less from that source." },
    { "saved", "Saved to your portfolio." },
    { "unsaved", "Removed from your portfolio." },
    { "note", "Note saved." },
    { "profile", "Your interests are saved. Rankings update within a "
                 "minute." },
    { "goal", "Goal added." },
    { "goal-removed", "Goal removed." },
    { "subscribed", "Subscribed. New items arrive after the next poll." },
    { "unsubscribed", "Unsubscribed." },
    { "weight", "Source saved." },
    { "refresh", "It will be read at the daemon's next round, in a few "
                 "seconds." },
    { "refresh-due", "It is being read already." },
    { "refresh-recent", "It was read a moment ago: try again in a minute." },
    { "imported", "Import done." },
    { "schedule", "Schedule saved." },
    { "journal", "Journal entry saved." },
    { "journal-removed", "Journal entry removed." },
    { "password", "Password changed. Other sessions were signed out." },
    { "email", "Email address saved." },
    { "signed-out", "You are signed out." },
    { "deleted", "Your account and everything in it were deleted." },
    { "gem", "Gem saved." },
    { "role", "Role changed." },
    { "welcome", "Welcome to Curator." },
};

int
html_notice(struct buf *b, struct req *r)
{
    return html_notice_of(b, r, notices, sizeof notices / sizeof notices[0]);
}

int
html_notice_of(struct buf *b, struct req *r, const struct html_note *known,
               size_t n)
{
    const char *code = web_query(r, "done");
    if (code == NULL)
        return CUR_OK;
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, known[i].code) == 0)
            return buf_printf(b, "<p class=\"notice\" role=\"status\">%s"
                              "</p>", known[i].text);
    return CUR_OK;
}

int
html_alert(struct buf *b, const char *msg)
{
    if (msg == NULL)
        return CUR_OK;
    int rc = buf_puts(b, "<p class=\"error\" role=\"alert\">");
    rc |= html_escape(b, msg);
    rc |= buf_puts(b, "</p>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_subnav(struct buf *b, const char *cls, const char *label,
            const char *sep, const struct html_link *links, size_t n,
            const char *current)
{
    int rc = buf_printf(b, "<nav class=\"%s\" aria-label=\"%s\">", cls,
                        label);
    for (size_t i = 0; i < n; i++)
        rc |= buf_printf(b, "%s<a href=\"%s\"%s>%s</a>", i ? sep : "",
                         links[i].href, strcmp(current, links[i].key) == 0
                         ? " aria-current=\"page\"" : "", links[i].label);
    rc |= buf_puts(b, "</nav>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_field_error(struct buf *b, const char *id, const char *msg)
{
    if (msg == NULL)
        return CUR_OK;
    int rc = buf_printf(b, "<span class=\"error\" id=\"%s-error\">", id);
    rc |= html_escape(b, msg);
    rc |= buf_puts(b, "</span>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_input(struct buf *b, const char *name, const char *label,
           const char *type, const char *value, const char *error,
           const char *attrs)
{
    int rc = buf_printf(b, "<p class=\"field\"><label for=\"%s\">%s</label>"
                        "<input id=\"%s\" name=\"%s\" type=\"%s\"", name,
                        label, name, name, type);
    if (value != NULL) {
        rc |= buf_puts(b, " value=\"");
        rc |= html_escape(b, value);
        rc |= buf_puts(b, "\"");
    }
    if (error != NULL)
        rc |= buf_printf(b, " aria-invalid=\"true\" "
                         "aria-describedby=\"%s-error\"", name);
    if (attrs != NULL)
        rc |= buf_printf(b, " %s", attrs);
    rc |= buf_puts(b, ">");
    rc |= html_field_error(b, name, error);
    rc |= buf_puts(b, "</p>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_date(struct buf *b, long long t)
{
    char when[40];
    if (t <= 0)
        return CUR_OK;
    date_format(t, when, sizeof when);
    int rc = buf_append(b, "<time datetime=\"", 16);
    rc |= buf_puts(b, when);
    rc |= buf_append(b, "\">", 2);
    rc |= buf_append(b, when, strlen(when) >= 10 ? 10 : strlen(when));
    rc |= buf_append(b, "</time>", 7);
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
html_int(struct buf *b, long long v)
{
    char d[24];
    int n = 0, neg = v < 0;
    unsigned long long u = neg ? 0ULL - (unsigned long long)v
                               : (unsigned long long)v;
    do {
        d[sizeof d - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (neg)
        d[sizeof d - 1 - n++] = '-';
    return buf_append(b, d + sizeof d - n, (size_t)n);
}

int
html_fixed2(struct buf *b, double v, int plus)
{
    int rc;
    if (!(v == v) || v > 1e15 || v < -1e15)
        return buf_puts(b, "?");
    long long c = (long long)(v * 100 + (v < 0 ? -0.5 : 0.5));
    long long a = c < 0 ? -c : c;
    char frac[3] = { (char)('0' + a % 100 / 10), (char)('0' + a % 10),
                     '\0' };
    if (c < 0)
        rc = buf_append(b, "-", 1);
    else
        rc = plus ? buf_append(b, "+", 1) : CUR_OK;
    rc |= html_int(b, a / 100);
    rc |= buf_append(b, ".", 1);
    rc |= buf_append(b, frac, 2);
    return rc ? CUR_ENOMEM : CUR_OK;
}
