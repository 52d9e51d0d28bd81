/* URL resolution for the parsers: a reference against a base URL (RFC
 * 3986 section 5.2), and the relative URLs inside an HTML field.
 *
 * The resolver works on bytes, so an IRI keeps its non-ASCII characters
 * as the feed wrote them (libxml2's xmlBuildURI refuses those). It does
 * not judge schemes: resolve() in parse_xml.c keeps only http(s) and
 * mailto for the fields it fills, and what HTML may link to is for the
 * sanitiser to decide. In HTML only the URL attributes are rewritten,
 * and only when relative; everything else is copied byte for byte.
 */
#include "parse_int.h"
#include "err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A URL cut into its five parts (RFC 3986 section 3); a part that is
 * absent has len -1 (as opposed to present and empty, len 0). */
struct part {
    const char *s;
    long len;
};

struct url {
    struct part scheme, authority, path, query, fragment;
};

static void
split(const char *u, struct url *p)
{
    const char *s = u;
    memset(p, 0, sizeof *p);
    p->scheme.len = p->authority.len = p->query.len = p->fragment.len = -1;
    if (isalpha((unsigned char)*s)) {
        const char *c = s + 1;
        while (isalnum((unsigned char)*c) || *c == '+' || *c == '-'
               || *c == '.')
            c++;
        if (*c == ':') {
            p->scheme.s = s;
            p->scheme.len = c - s;
            s = c + 1;
        }
    }
    if (s[0] == '/' && s[1] == '/') {
        s += 2;
        p->authority.s = s;
        p->authority.len = (long)strcspn(s, "/?#");
        s += p->authority.len;
    }
    p->path.s = s;
    p->path.len = (long)strcspn(s, "?#");
    s += p->path.len;
    if (*s == '?') {
        p->query.s = ++s;
        p->query.len = (long)strcspn(s, "#");
        s += p->query.len;
    }
    if (*s == '#') {
        p->fragment.s = s + 1;
        p->fragment.len = (long)strlen(s + 1);
    }
}

/* RFC 3986 section 5.2.4, in place on a NUL-terminated path. */
static void
remove_dots(char *in)
{
    char *out = in, *r = in;
    while (*r) {
        if (strncmp(r, "../", 3) == 0)
            r += 3;
        else if (strncmp(r, "./", 2) == 0)
            r += 2;
        else if (strncmp(r, "/./", 3) == 0)
            r += 2;
        else if (strcmp(r, "/.") == 0)
            r[1] = '\0';
        else if (strncmp(r, "/../", 4) == 0 || strcmp(r, "/..") == 0) {
            r += 3;
            if (*r == '\0') {
                r--;
                *r = '/';
            }
            while (out > in && out[-1] != '/')
                out--;
            if (out > in)
                out--;
        } else if (strcmp(r, ".") == 0 || strcmp(r, "..") == 0) {
            r += strlen(r);
        } else {
            do
                *out++ = *r++;
            while (*r && *r != '/');
        }
    }
    *out = '\0';
}

static char *
append(char *o, const char *s, long len)
{
    memcpy(o, s, (size_t)len);
    return o + len;
}

char *
parse_resolve_url(const char *ref, const char *base)
{
    struct url r, b;
    split(ref, &r);
    if (r.scheme.len < 0 && (base == NULL || base[0] == '\0'))
        return NULL;
    if (r.scheme.len < 0)
        split(base, &b);
    else
        b = r;
    if (b.scheme.len < 0)
        return NULL;        /* the base is not absolute either */

    /* The merged path can be at most base path + ref path + '/'. */
    size_t cap = strlen(ref) + (base ? strlen(base) : 0) + 8;
    char *path = malloc(cap), *out = malloc(cap);
    if (path == NULL || out == NULL) {
        free(path);
        free(out);
        return NULL;
    }
    struct part authority = b.authority, query = r.query;
    char *p = path;
    if (r.scheme.len >= 0 || r.authority.len >= 0) {
        authority = r.authority;
        p = append(p, r.path.s, r.path.len);
    } else if (r.path.len == 0) {
        p = append(p, b.path.s, b.path.len);
        if (query.len < 0)
            query = b.query;
    } else if (r.path.s[0] == '/') {
        p = append(p, r.path.s, r.path.len);
    } else {
        if (b.authority.len >= 0 && b.path.len == 0) {
            *p++ = '/';
        } else {
            const char *slash = b.path.s + b.path.len;
            while (slash > b.path.s && slash[-1] != '/')
                slash--;
            p = append(p, b.path.s, slash - b.path.s);
        }
        p = append(p, r.path.s, r.path.len);
    }
    *p = '\0';
    remove_dots(path);

    char *o = out;
    o = append(o, b.scheme.s, b.scheme.len);
    *o++ = ':';
    if (authority.len >= 0) {
        *o++ = '/';
        *o++ = '/';
        o = append(o, authority.s, authority.len);
    }
    o = append(o, path, (long)strlen(path));
    if (query.len >= 0) {
        *o++ = '?';
        o = append(o, query.s, query.len);
    }
    if (r.fragment.len >= 0) {
        *o++ = '#';
        o = append(o, r.fragment.s, r.fragment.len);
    }
    *o = '\0';
    free(path);
    return out;
}

/* ---- HTML ---- */

/* The attributes that hold a URL, with their elements (HTML 4 and 5;
 * the list feed readers use). */
#define UA(e, a) { e, a, sizeof e - 1, sizeof a - 1 }
static const struct {
    const char *element, *attribute;
    size_t el_len, at_len;
} url_attrs[] = {
    UA("a", "href"), UA("applet", "codebase"), UA("area", "href"),
    UA("audio", "src"), UA("blockquote", "cite"), UA("body", "background"),
    UA("del", "cite"), UA("embed", "src"), UA("form", "action"),
    UA("frame", "longdesc"), UA("frame", "src"), UA("iframe", "longdesc"),
    UA("iframe", "src"), UA("head", "profile"), UA("img", "longdesc"),
    UA("img", "src"), UA("img", "usemap"), UA("input", "src"),
    UA("input", "usemap"), UA("ins", "cite"), UA("link", "href"),
    UA("object", "classid"), UA("object", "codebase"), UA("object", "data"),
    UA("object", "usemap"), UA("q", "cite"), UA("script", "src"),
    UA("source", "src"), UA("track", "src"), UA("video", "poster"),
    UA("video", "src"),
};
#undef UA

/* Whether element 'el' has an attribute that holds a URL at all. */
static int
is_url_element(const char *el, size_t el_len)
{
    for (size_t i = 0; i < sizeof url_attrs / sizeof url_attrs[0]; i++)
        if (url_attrs[i].el_len == el_len
            && strncasecmp(url_attrs[i].element, el, el_len) == 0)
            return 1;
    return 0;
}

static int
is_url_attr(const char *el, size_t el_len, const char *at, size_t at_len)
{
    for (size_t i = 0; i < sizeof url_attrs / sizeof url_attrs[0]; i++)
        if (url_attrs[i].el_len == el_len && url_attrs[i].at_len == at_len
            && strncasecmp(url_attrs[i].element, el, el_len) == 0
            && strncasecmp(url_attrs[i].attribute, at, at_len) == 0)
            return 1;
    return 0;
}

static int
has_scheme(const char *s)
{
    if (!isalpha((unsigned char)*s))
        return 0;
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
        s++;
    return *s == ':';
}

/* An attribute value with the character references a URL needs decoded:
 * &amp; &quot; &apos; &lt; &gt; and numeric ASCII ones. */
static char *
decode_value(const char *s, size_t len)
{
    static const struct {
        const char *ref;
        char c;
    } named[] = { { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
                  { "&lt;", '<' }, { "&gt;", '>' } };
    char *out = malloc(len + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t k, n = 0;
        if (s[i] == '&') {
            for (k = 0; k < sizeof named / sizeof named[0]; k++) {
                n = strlen(named[k].ref);
                if (i + n <= len && strncmp(s + i, named[k].ref, n) == 0)
                    break;
            }
            if (k < sizeof named / sizeof named[0]) {
                *o++ = named[k].c;
                i += n;
                continue;
            }
            if (i + 2 < len && s[i + 1] == '#') {
                char *end;
                int hex = s[i + 2] == 'x' || s[i + 2] == 'X';
                unsigned long c = strtoul(s + i + 2 + hex, &end,
                                          hex ? 16 : 10);
                if ((size_t)(end - s) < len && *end == ';' && c > 0x20
                    && c < 0x7F && end > s + i + 2 + hex) {
                    *o++ = (char)c;
                    i = (size_t)(end - s) + 1;
                    continue;
                }
            }
        }
        *o++ = s[i++];
    }
    *o = '\0';
    return out;
}

/* Write 'url' as a double-quoted attribute value. */
static int
put_value(struct buf *b, const char *url)
{
    int rc = buf_puts(b, "\"");
    for (const char *p = url; *p && rc == CUR_OK; p++) {
        if (*p == '&')
            rc = buf_puts(b, "&amp;");
        else if (*p == '"')
            rc = buf_puts(b, "&quot;");
        else if (*p == '<')
            rc = buf_puts(b, "&lt;");
        else
            rc = buf_append(b, p, 1);
    }
    return rc == CUR_OK ? buf_puts(b, "\"") : rc;
}

static int
html_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Copy one start tag at html[i] ('<' then a letter) to 'b', rewriting
 * its relative URL attributes, and count them in *rewritten; returns the
 * index after it. With 'b' NULL, only count. */
static size_t
copy_tag(const char *html, size_t i, const char *base, struct buf *b,
         int *rc, unsigned *rewritten)
{
    size_t el = i + 1, el_len = 0, run = i;
    while (html[el + el_len] && !html_space(html[el + el_len])
           && html[el + el_len] != '>' && html[el + el_len] != '/')
        el_len++;
    i = el + el_len;
    /* Most elements have no URL: their attributes are only skipped.
     * Found out at the first attribute (most tags have none). */
    int url_el = -1;
    while (html[i] && html[i] != '>' && *rc == CUR_OK) {
        if (html_space(html[i]) || html[i] == '/') {
            i++;
            continue;
        }
        size_t at = i, at_len = 0;
        while (html[i] && !html_space(html[i]) && html[i] != '='
               && html[i] != '>' && html[i] != '/') {
            i++;
            at_len++;
        }
        if (at_len == 0) {
            i++;
            continue;
        }
        size_t j = i;
        while (html_space(html[j]))
            j++;
        if (html[j] != '=')
            continue;
        j++;
        while (html_space(html[j]))
            j++;
        size_t v, v_len;
        char q = html[j];
        if (q == '"' || q == '\'') {
            v = j + 1;
            const char *close = strchr(html + v, q);
            v_len = close ? (size_t)(close - (html + v)) : strlen(html + v);
            i = v + v_len + (close != NULL);
        } else {
            v = j;
            v_len = 0;
            while (html[v + v_len] && !html_space(html[v + v_len])
                   && html[v + v_len] != '>')
                v_len++;
            i = v + v_len;
        }
        if (url_el < 0)
            url_el = is_url_element(html + el, el_len);
        if (!url_el || !is_url_attr(html + el, el_len, html + at, at_len))
            continue;
        size_t sp = v;
        while (sp < v + v_len && html_space(html[sp]))
            sp++;
        if (sp == v + v_len || has_scheme(html + sp))
            continue;       /* empty or absolute: left alone */
        if (b == NULL) {
            (*rewritten)++;
            continue;
        }
        char *value = decode_value(html + v, v_len);
        if (value == NULL) {
            *rc = CUR_ENOMEM;
            break;
        }
        char *start = value, *end = value + strlen(value);
        while (html_space(*start))
            start++;
        while (end > start && html_space(end[-1]))
            *--end = '\0';
        char *abs = NULL;
        if (*start && !has_scheme(start))
            abs = parse_resolve_url(start, base);
        if (abs) {
            /* Everything up to the '=' and its spaces, then the value. */
            *rc = buf_append(b, html + run, j - run);
            if (*rc == CUR_OK)
                *rc = put_value(b, abs);
            run = i;
            (*rewritten)++;
        }
        free(abs);
        free(value);
    }
    if (html[i] == '>')
        i++;
    if (*rc == CUR_OK && b)
        *rc = buf_append(b, html + run, i - run);
    return i;
}

/* Where the next tag or comment starts at or after html[i], or the end. */
static size_t
next_markup(const char *html, size_t i)
{
    const char *lt = strchr(html + i, '<');
    return lt ? (size_t)(lt - html) : i + strlen(html + i);
}

char *
parse_resolve_html(char *html, const char *base)
{
    struct buf b;
    size_t i, run;
    unsigned rewritten = 0;
    int rc = CUR_OK;

    if (base == NULL || base[0] == '\0')
        return html;
    /* Most HTML has no relative URL: find the first tag with one before
     * copying anything. */
    for (i = next_markup(html, 0); html[i]; i = next_markup(html, i)) {
        if (strncmp(html + i, "<!--", 4) == 0) {
            const char *end = strstr(html + i + 4, "-->");
            i = end ? (size_t)(end + 3 - html) : strlen(html);
        } else if (isalpha((unsigned char)html[i + 1])) {
            size_t next = copy_tag(html, i, base, NULL, &rc, &rewritten);
            if (rewritten)
                break;
            i = next;
        } else {
            i++;
        }
    }
    if (rewritten == 0)
        return html;
    buf_init(&b, 0);
    rc = buf_append(&b, html, i);
    run = i;
    while (html[i] && rc == CUR_OK) {
        if (html[i] != '<') {
            i = next_markup(html, i);
            continue;
        }
        if (strncmp(html + i, "<!--", 4) == 0) {
            const char *end = strstr(html + i + 4, "-->");
            i = end ? (size_t)(end + 3 - html) : strlen(html);
        } else if (isalpha((unsigned char)html[i + 1])) {
            rc = buf_append(&b, html + run, i - run);
            if (rc == CUR_OK)
                i = copy_tag(html, i, base, &b, &rc, &rewritten);
            run = i;
        } else {
            i++;
        }
    }
    if (rc == CUR_OK)
        rc = buf_append(&b, html + run, i - run);
    if (rc != CUR_OK) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}
