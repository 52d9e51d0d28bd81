/* A strict reader of sanitised HTML: see html_check.h. */
#include "html_check.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum kind { K_INLINE, K_FLOW, K_LIST, K_DL, K_TABLE, K_TSECT, K_TR,
            K_MEDIA, K_VOID };

struct elem {
    const char *name;
    enum kind holds;        /* what its content may be */
    const char *attrs;      /* " a b c " besides title, lang and dir */
};

static const struct elem elems[] = {
    { "a", K_INLINE, " href rel " }, { "abbr", K_INLINE, "" },
    { "audio", K_MEDIA, " src controls preload " }, { "b", K_INLINE, "" },
    { "bdi", K_INLINE, "" }, { "bdo", K_INLINE, "" },
    { "blockquote", K_FLOW, " cite " }, { "br", K_VOID, "" },
    { "caption", K_INLINE, "" }, { "cite", K_INLINE, "" },
    { "code", K_INLINE, "" }, { "data", K_INLINE, " value " },
    { "dd", K_FLOW, "" }, { "del", K_INLINE, " cite datetime " },
    { "dfn", K_INLINE, "" }, { "div", K_FLOW, "" }, { "dl", K_DL, "" },
    { "dt", K_INLINE, "" }, { "em", K_INLINE, "" },
    { "figcaption", K_FLOW, "" }, { "figure", K_FLOW, "" },
    { "h1", K_INLINE, "" }, { "h2", K_INLINE, "" }, { "h3", K_INLINE, "" },
    { "h4", K_INLINE, "" }, { "h5", K_INLINE, "" }, { "h6", K_INLINE, "" },
    { "hr", K_VOID, "" }, { "i", K_INLINE, "" },
    { "img", K_VOID, " src srcset alt width height " },
    { "ins", K_INLINE, " cite datetime " }, { "kbd", K_INLINE, "" },
    { "li", K_FLOW, " value " }, { "mark", K_INLINE, "" },
    { "ol", K_LIST, " start reversed type " }, { "p", K_INLINE, "" },
    { "pre", K_INLINE, "" }, { "q", K_INLINE, " cite " },
    { "s", K_INLINE, "" }, { "samp", K_INLINE, "" },
    { "small", K_INLINE, "" }, { "source", K_VOID, " src type " },
    { "span", K_INLINE, "" }, { "strong", K_INLINE, "" },
    { "sub", K_INLINE, "" }, { "sup", K_INLINE, "" },
    { "table", K_TABLE, "" }, { "tbody", K_TSECT, "" },
    { "td", K_FLOW, " colspan rowspan " }, { "tfoot", K_TSECT, "" },
    { "th", K_FLOW, " colspan rowspan scope " }, { "thead", K_TSECT, "" },
    { "time", K_INLINE, " datetime " }, { "tr", K_TR, "" },
    { "u", K_INLINE, "" }, { "ul", K_LIST, "" }, { "var", K_INLINE, "" },
    { "video", K_MEDIA, " src poster width height controls preload " },
    { "wbr", K_VOID, "" },
};

static const struct elem *
find(const char *name)
{
    for (size_t i = 0; i < sizeof elems / sizeof *elems; i++)
        if (strcmp(elems[i].name, name) == 0)
            return &elems[i];
    return NULL;
}

static int
in_list(const char *list, const char *name)
{
    char key[40];
    snprintf(key, sizeof key, " %s ", name);
    return strstr(list, key) != NULL;
}

/* Is element 'child' allowed directly in a parent holding 'k'? */
static int
allowed_in(enum kind k, const char *child)
{
    static const char inline_[] = " a abbr b bdi bdo cite code data del dfn"
        " em i ins kbd mark q s samp small span strong sub sup time u var"
        " br img wbr video audio ";
    static const char flow[] = " p h1 h2 h3 h4 h5 h6 pre div blockquote"
        " figure figcaption ul ol dl table hr ";
    switch (k) {
    case K_INLINE: return in_list(inline_, child);
    case K_FLOW: return in_list(inline_, child) || in_list(flow, child);
    case K_LIST: return strcmp(child, "li") == 0;
    case K_DL: return strcmp(child, "dt") == 0 || strcmp(child, "dd") == 0;
    case K_TABLE: return in_list(" caption thead tbody tfoot ", child);
    case K_TSECT: return strcmp(child, "tr") == 0;
    case K_TR: return strcmp(child, "td") == 0 || strcmp(child, "th") == 0;
    case K_MEDIA: return strcmp(child, "source") == 0;
    case K_VOID: return 0;
    }
    return 0;
}

static int
fail(char *why, size_t len, size_t at, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(why, len, "at byte %zu: ", at);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < len)
        vsnprintf(why + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Valid UTF-8 and no control but TAB and LF. */
static int
check_chars(const char *s, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, need, cp, min;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) {
                *bad = (size_t)(p - (const unsigned char *)s);
                return -1;
            }
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07, min = 0x10000;
        else
            goto bad;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                goto bad;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        p += need + 1;
    }
    return 0;
bad:
    *bad = (size_t)(p - (const unsigned char *)s);
    return -1;
}

/* The entity at s ('&'): its length if allowed, else 0. */
static size_t
entity(const char *s, int attr)
{
    static const char *const ok[] = { "&amp;", "&lt;", "&gt;", "&nbsp;",
                                      "&quot;" };
    for (size_t i = 0; i < 5; i++)
        if (strncmp(s, ok[i], strlen(ok[i])) == 0 && (attr || i < 4))
            return strlen(ok[i]);
    return 0;
}

/* Undo the five escapes. */
static void
unescape(const char *v, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 < outlen;) {
        if (strncmp(v + i, "&amp;", 5) == 0) {
            out[o++] = '&';
            i += 5;
        } else if (strncmp(v + i, "&lt;", 4) == 0) {
            out[o++] = '<';
            i += 4;
        } else if (strncmp(v + i, "&gt;", 4) == 0) {
            out[o++] = '>';
            i += 4;
        } else if (strncmp(v + i, "&quot;", 6) == 0) {
            out[o++] = '"';
            i += 6;
        } else if (strncmp(v + i, "&nbsp;", 6) == 0) {
            out[o++] = (char)0xC2;
            out[o++] = (char)0xA0;
            i += 6;
        } else {
            out[o++] = v[i++];
        }
    }
    out[o] = '\0';
}

/* An absolute http(s) URL with a host, mailto (links) or a raster
 * data:image (images). */
static int
url_ok(const char *u, int link, int image)
{
    const char *rest = NULL;
    if (strncmp(u, "https://", 8) == 0)
        rest = u + 8;
    else if (strncmp(u, "http://", 7) == 0)
        rest = u + 7;
    if (rest)
        return *rest && !strchr("/?#", *rest) && !strpbrk(u, " \t\n");
    if (link && strncmp(u, "mailto:", 7) == 0)
        return strpbrk(u, " \t\n") == NULL;
    if (image) {
        static const char *const types[] = { "data:image/png", "data:image/gif",
            "data:image/jpeg", "data:image/webp" };
        for (size_t i = 0; i < 4; i++) {
            size_t n = strlen(types[i]);
            if (strncmp(u, types[i], n) == 0 && (u[n] == ';' || u[n] == ','))
                return strchr(u, ',') != NULL;
        }
    }
    return 0;
}

static int
srcset_ok(const char *v)
{
    const char *p = v;
    char url[1 << 16];
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        /* As HTML reads it: a URL up to white space, trailing commas
         * not part of it (and ending the candidate). */
        size_t n = strcspn(p, " "), u = n;
        while (u > 0 && p[u - 1] == ',')
            u--;
        if (u == 0 || u >= sizeof url)
            return 0;
        memcpy(url, p, u);
        url[u] = '\0';
        if (!url_ok(url, 0, 1))
            return 0;
        p += n;
        if (u == n)
            p += strcspn(p, ",");
    }
    return 1;
}

#define MAX_DEPTH 512

int
html_check(const char *html, char *why, size_t whylen)
{
    const char *stack[MAX_DEPTH];
    int depth = 0, in_a = 0, pre_start = 0;
    size_t bad;
    const char *p = html;
    static char value[1 << 17];

    if (check_chars(html, &bad) != 0)
        return fail(why, whylen, bad, "invalid UTF-8 or a control");
    while (*p) {
        size_t at = (size_t)(p - html);
        const struct elem *parent = depth ? find(stack[depth - 1]) : NULL;
        enum kind holds = parent ? parent->holds : K_FLOW;
        if (*p != '<') {
            /* Text. */
            const char *t = p;
            while (*p && *p != '<') {
                if (*p == '>')
                    return fail(why, whylen, at, "raw '>' in text");
                if (*p == '&') {
                    size_t n = entity(p, 0);
                    if (!n)
                        return fail(why, whylen, (size_t)(p - html),
                                    "unknown reference in text");
                    p += n;
                } else {
                    p++;
                }
            }
            int blank = 1;
            for (const char *q = t; q < p; q++)
                if (!strchr(" \t\n", *q))
                    blank = 0;
            if (holds == K_MEDIA)
                return fail(why, whylen, at, "text in %s", stack[depth - 1]);
            if (!blank && holds != K_INLINE && holds != K_FLOW)
                return fail(why, whylen, at, "text in %s", stack[depth - 1]);
            if (pre_start && *t == '\n')
                return fail(why, whylen, at, "pre starts with a line feed");
            pre_start = 0;
            continue;
        }
        pre_start = 0;
        if (p[1] == '/') {
            const char *name = p + 2;
            size_t n = strcspn(name, ">");
            if (name[n] != '>' || depth == 0
                || strlen(stack[depth - 1]) != n
                || strncmp(stack[depth - 1], name, n) != 0)
                return fail(why, whylen, at, "end tag out of place");
            if (strcmp(stack[depth - 1], "a") == 0)
                in_a = 0;
            depth--;
            p = name + n + 1;
            continue;
        }
        /* A start tag: lower-case name, attributes, '>'. */
        char name[16];
        size_t n = 0;
        p++;
        while (islower((unsigned char)*p) || isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof name)
                return fail(why, whylen, at, "long tag name");
            name[n++] = *p++;
        }
        name[n] = '\0';
        const struct elem *e = find(name);
        if (e == NULL)
            return fail(why, whylen, at, "element '%s' not allowed", name);
        if (!allowed_in(holds, name))
            return fail(why, whylen, at, "<%s> inside <%s>", name,
                        depth ? stack[depth - 1] : "(root)");
        if (strcmp(name, "a") == 0 && in_a)
            return fail(why, whylen, at, "link inside a link");
        int rel_ok = 0;
        char seen[512] = " ";
        while (*p == ' ') {
            const char *an = ++p;
            while (islower((unsigned char)*p))
                p++;
            size_t anl = (size_t)(p - an);
            char aname[24];
            if (anl == 0 || anl >= sizeof aname || p[0] != '=' || p[1] != '"')
                return fail(why, whylen, (size_t)(an - html),
                            "attribute not name=\"value\"");
            memcpy(aname, an, anl);
            aname[anl] = '\0';
            if (!in_list(e->attrs, aname) && strcmp(aname, "title")
                && strcmp(aname, "lang") && strcmp(aname, "dir"))
                return fail(why, whylen, (size_t)(an - html),
                            "attribute '%s' not allowed on <%s>", aname,
                            name);
            if (in_list(seen, aname))
                return fail(why, whylen, (size_t)(an - html),
                            "attribute '%s' twice", aname);
            if (strlen(seen) + anl + 2 < sizeof seen) {
                strcat(seen, aname);
                strcat(seen, " ");
            }
            p += 2;
            const char *v = p;
            while (*p && *p != '"') {
                if (*p == '<' || *p == '>')
                    return fail(why, whylen, (size_t)(p - html),
                                "raw '%c' in a value", *p);
                if (*p == '&') {
                    size_t k = entity(p, 1);
                    if (!k)
                        return fail(why, whylen, (size_t)(p - html),
                                    "unknown reference in a value");
                    p += k;
                } else {
                    p++;
                }
            }
            if (*p != '"')
                return fail(why, whylen, (size_t)(v - html),
                            "unterminated value");
            unescape(v, (size_t)(p - v), value, sizeof value);
            p++;
            int link = strcmp(aname, "href") == 0;
            int img_src = strcmp(name, "img") == 0
                          && strcmp(aname, "src") == 0;
            if ((link || strcmp(aname, "src") == 0
                 || strcmp(aname, "poster") == 0
                 || strcmp(aname, "cite") == 0)
                && !url_ok(value, link, img_src))
                return fail(why, whylen, (size_t)(v - html),
                            "URL '%.80s' not allowed", value);
            if (strcmp(aname, "srcset") == 0 && !srcset_ok(value))
                return fail(why, whylen, (size_t)(v - html),
                            "srcset '%.80s' not allowed", value);
            if (strcmp(aname, "rel") == 0) {
                if (strcmp(value, "noopener noreferrer nofollow") != 0)
                    return fail(why, whylen, (size_t)(v - html),
                                "rel is '%s'", value);
                rel_ok = 1;
            }
        }
        if (*p != '>')
            return fail(why, whylen, (size_t)(p - html), "bad tag syntax");
        p++;
        if (strcmp(name, "a") == 0) {
            if (!rel_ok || !in_list(seen, "href"))
                return fail(why, whylen, at, "link without href and rel");
            in_a = 1;
        }
        if (e->holds == K_VOID)
            continue;
        if (depth == MAX_DEPTH)
            return fail(why, whylen, at, "nesting too deep");
        stack[depth++] = e->name;
        pre_start = strcmp(name, "pre") == 0;
    }
    if (depth)
        return fail(why, whylen, strlen(html), "<%s> not closed",
                    stack[depth - 1]);
    return 0;
}
