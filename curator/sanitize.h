/* Untrusted HTML from feeds turned into something safe to show.
 *
 * sanitize_html() rebuilds an HTML fragment from an allowlist: libxml2's
 * tolerant HTML parser reads it, and only allowlisted elements and
 * attributes are written back, in one canonical form (every attribute
 * double-quoted, every text escaped, every element closed, nesting that
 * HTML5 and libxml2 parse back to the same tree), so that sanitising is
 * idempotent. Executable and invisible content (script, style, iframe,
 * object, forms, svg, math...) is dropped with its content; other
 * unknown markup is unwrapped. URLs are checked and made absolute.
 *
 * The plain-text functions read HTML with a small HTML5-style tokenizer
 * (no tree): tags dropped, entities decoded, white space collapsed,
 * block elements as line breaks, list items as bullets, links as
 * "text <url>", the result cut on a word boundary. What is shown where,
 * and escaping it for its context, is the caller's business.
 */
#ifndef CURATOR_SANITIZE_H
#define CURATOR_SANITIZE_H

#include <stddef.h>

enum sanitize_profile {
    SANITIZE_WEB = 0,   /* the web page: remote images and video kept */
    SANITIZE_MAIL = 1   /* email: no video or audio; remote images only
                           when remote_images is set */
};

#define SANITIZE_DATA_IMAGE_MAX (32 << 10)  /* default data:image limit */
#define SANITIZE_TEXT_MAX 4096              /* default plain-text cap */

struct sanitize_opts {
    enum sanitize_profile profile;
    const char *base_url;       /* relative URLs are resolved against it
                                   when it is http(s); else dropped */
    const char *tracking_hosts; /* "host,host,...": images from these
                                   hosts or their subdomains are removed;
                                   NULL for none */
    size_t max_data_image;      /* longest data:image URL kept, in bytes;
                                   0 drops every data: URL */
    int remote_images;          /* SANITIZE_MAIL: keep http(s) images */
};

/* Defaults for a profile: no base, no tracking hosts, data:image up to
 * SANITIZE_DATA_IMAGE_MAX, no remote images in mail. */
void sanitize_opts_init(struct sanitize_opts *o, enum sanitize_profile p);

/* The safe HTML of 'html' (borrowed, 'len' bytes; need not be
 * NUL-terminated, may hold invalid UTF-8 or NUL bytes). On CUR_OK *out
 * is a new NUL-terminated string (free()), valid UTF-8, possibly empty.
 * Returns CUR_OK or CUR_ENOMEM. */
int sanitize_html(const char *html, size_t len,
                  const struct sanitize_opts *o, char **out);

/* Safe HTML for a field that is plain text: escaped, paragraphs on blank
 * lines, <br> on single line breaks. A new string (free()), or NULL when
 * out of memory. */
char *sanitize_text_html(const char *text);

/* Multi-line plain text of an HTML fragment (borrowed), for scoring and
 * text email: blocks become line breaks (a blank line between
 * paragraphs), list items "• " or "1. " bullets, links "text <url>"
 * (http, https and mailto only; relative ones resolved against
 * 'base_url' when it is http(s)), entities decoded, runs of white space
 * one space; script, style and the other dropped elements give nothing.
 * At most 'max' bytes, cut at a word boundary ("..." appended then).
 * Returns a new string (free()), or NULL when out of memory. */
char *sanitize_plain(const char *html, const char *base_url, size_t max);

/* The same tidying for a field that is already plain text: spaces
 * collapsed within lines, at most one blank line, the cap as above. */
char *sanitize_plain_lines(const char *text, size_t max);

/* One line of plain text from an HTML fragment (borrowed), for titles:
 * tags stripped, entities decoded, no CR or LF, link URLs not added,
 * at most 'max' bytes cut at a word boundary (an ellipsis appended).
 * Script and style contents are dropped. Returns a new string (free()),
 * or NULL when out of memory. */
char *sanitize_text(const char *html, size_t max);

/* Remove white space at both ends of s, in place. Returns s. */
char *sanitize_trim(char *s);

/* Collapse runs of white space (including CR and LF) in place into one
 * space, trim both ends, and cut to 'max' bytes on a UTF-8 boundary.
 * Returns s. */
char *sanitize_squeeze(char *s, size_t max);

#endif
