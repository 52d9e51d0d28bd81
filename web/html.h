/* HTML output for the pages: escaping, the page frame (head, navigation,
 * footer) and sending the finished page, and the small pieces every
 * page repeats (the CSRF field, an error beside a field or atop the
 * page, a notice after a redirect, a section's sub-navigation).
 * Everything that came from a feed or a user goes through
 * html_escape(). */
#ifndef CURATOR_WEB_HTML_H
#define CURATOR_WEB_HTML_H

#include <stddef.h>
#include <microhttpd.h>

#include "buf.h"

struct req;

/* Append 's' with &, <, >, " and ' escaped; safe in text and in quoted
 * attribute values. NULL appends nothing. */
int html_escape(struct buf *b, const char *s);
/* The same for the first 'n' bytes (cut back to a whole UTF-8
 * character); "..." is added when something was cut. */
int html_escape_cut(struct buf *b, const char *s, size_t n);

/* 1 if 'url' may be put in an href: absolute http or https, no spaces
 * or controls. */
int html_safe_url(const char *url);

/* Percent-encode 's' for a query-string value. */
int html_url_encode(struct buf *b, const char *s);

/* The page frame. 'nav' names the current section ("today", ...; NULL
 * for none). The title is plain text. */
int html_open(struct buf *b, struct req *r, const char *title,
              const char *nav);
int html_close(struct buf *b);

/* Finish and answer a page built in 'b' (taken: freed in every case)
 * with 'rc' the building's result: on CUR_OK the frame is closed and
 * the page sent with 'status'; on failure it is logged and a 500 error
 * page answers instead. */
enum MHD_Result html_send(struct req *r, unsigned status, struct buf *b,
                          int rc);

/* <input type="hidden" name="csrf" value="..."> for the signed-in
 * user's forms, or the pre cookie's token when signed out. */
int html_csrf(struct buf *b, struct req *r);

/* A message after a redirect, from the "done" query argument (a known
 * code only: the text is never taken from the URL). html_notice() knows
 * the codes every page shares (html_open() writes it); a page with
 * codes of its own passes its table (n entries) to html_notice_of(). */
struct html_note {
    const char *code, *text;    /* the text is trusted HTML */
};
int html_notice(struct buf *b, struct req *r);
int html_notice_of(struct buf *b, struct req *r,
                   const struct html_note *known, size_t n);

/* An error at the top of a page (plain text); NULL writes nothing. */
int html_alert(struct buf *b, const char *msg);

/* A section's own links: <nav class="CLS" aria-label="LABEL"> with the
 * n links, 'sep' (trusted HTML) between them, and the one whose key is
 * 'current' marked as the current page. */
struct html_link {
    const char *key, *label, *href;
};
int html_subnav(struct buf *b, const char *cls, const char *label,
                const char *sep, const struct html_link *links, size_t n,
                const char *current);

/* An error beside a field; NULL writes nothing. */
int html_field_error(struct buf *b, const char *id, const char *msg);

/* A labelled <input> with its value (escaped) and its error beside it:
 * name and id are 'name'; 'attrs' (trusted, may be NULL) is added to
 * the tag, e.g. "required maxlength=\"64\"". */
int html_input(struct buf *b, const char *name, const char *label,
               const char *type, const char *value, const char *error,
               const char *attrs);

/* <time datetime="RFC 3339">YYYY-MM-DD</time>; nothing for 0. */
int html_date(struct buf *b, long long t);

/* A whole number, and a number with two decimals (a sign always when
 * 'plus'), without printf: the Today page writes hundreds of them. */
int html_int(struct buf *b, long long v);
int html_fixed2(struct buf *b, double v, int plus);

#endif
