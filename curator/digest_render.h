/* The two bodies of one user's digest email: text/plain and text/html.
 *
 * The caller (digest.c) has already chosen the items, grouped them into
 * sections and built the signed links; this module only lays them out.
 * Composing the MIME message around the bodies is mime.c's business.
 *
 * Every string in the document is untrusted, borrowed UTF-8 and may hold
 * invalid bytes (written as U+FFFD), controls (dropped), or line breaks
 * (single-line fields: made spaces). Each field is capped (titles 400
 * bytes, notes 1500...) and cut on a word boundary with "...".
 *
 * Links (item links, feedback, web page, settings, feed, unsubscribe)
 * are written only when they are absolute http(s) URLs (scheme checked
 * without regard to case) with a host, made of printable characters
 * (no space, control or broken UTF-8), at most DIGEST_RENDER_URL_MAX
 * bytes, and in the HTML part at most DIGEST_RENDER_HREF_MAX bytes once
 * escaped (so that the line holding one stays short); other links are
 * left out (the text around them stays).
 *
 * The text part is wrapped at DIGEST_RENDER_WIDTH columns (code points)
 * on word boundaries; a word longer than that, a URL above all, stands
 * unbroken on its own line, and lines carrying a URL are never wrapped.
 * Items are numbered per section:
 *
 *     1. Title of the item
 *        Feed: Feed name
 *        Why: title matches "coaching" (goal: Leadership)
 *        Also in: Feed A, Feed B
 *        Editor's pick by alice: "note"
 *        A snippet of the text, about 300 bytes, cut on a word...
 *        https://example.org/item
 *        More like this: https://...
 *        Less like this: https://...
 *
 * Its snippet is snippet_text made one clean paragraph, or else
 * snippet_html through sanitize_text(), cut at 300 bytes.
 *
 * The HTML part is one small document with inline styles only (no
 * <style> block: mail clients drop them), a 640px-wide centred column
 * that also reads on a 360px phone. Text from feeds, users and editors
 * is escaped (& < > " '). The snippet shown under an item is, by
 * default, plain text: snippet_html reduced to one paragraph with
 * sanitize_text() (no markup, no images, no URLs), or else snippet_text,
 * escaped and cut at about 600 bytes. Only when the user opted in to
 * remote images (remote_images) is it HTML: the start of snippet_html,
 * cut after about 600 bytes of text and given a "...", put through
 * sanitize_html() with the SANITIZE_MAIL profile (remote images kept,
 * data: images dropped, tracking_hosts removed; it closes what the cut
 * left open); images get an inline max-width so they fit a phone, and
 * C1 controls go. No source line is longer than DIGEST_RENDER_LINE_MAX
 * bytes: breaks go between attributes, at spaces in text (not in
 * <pre>), or inside a "<wbr\n>" tag in a very long word; a sanitised
 * snippet that cannot be kept that short (an image URL of 900 bytes)
 * falls back to the plain one.
 *
 * Snippets read at most 16 KiB of an item's content and fields a few
 * times their cap, so a huge item costs no more than a small one. Both
 * bodies of a 20-item digest render in about 0.25 ms (plain snippets;
 * HTML ones cost a libxml2 parse each, about three times as much).
 */
#ifndef CURATOR_DIGEST_RENDER_H
#define CURATOR_DIGEST_RENDER_H

#include <stddef.h>

#include "buf.h"

#define DIGEST_RENDER_WIDTH 72      /* text part: columns of prose */
#define DIGEST_RENDER_LINE_MAX 900  /* HTML part: bytes per line */
#define DIGEST_RENDER_URL_MAX 2048  /* longest URL written, in bytes */
#define DIGEST_RENDER_HREF_MAX 820  /* longest href, escaped */
/* Bytes of an entry's snippet_text ever read: a longer text may be cut
 * to this many (on any byte) without changing either body. */
#define DIGEST_RENDER_TEXT_READ 4096

struct digest_entry {
    long long item_id;
    const char *title;          /* plain text */
    const char *link;           /* absolute http(s) URL, or NULL */
    const char *feed;           /* the feed's title */
    const char *reason;         /* one line, e.g. "title matches
                                   \"coaching\" (goal: Leadership)";
                                   or NULL */
    const char *also_in;        /* "Feed A, Feed B" for folded
                                   near-copies, or NULL */
    const char *gem_editor;     /* the editor's name for an editor's gem,
                                   else NULL */
    const char *gem_note;       /* the editor's note, or NULL */
    const char *snippet_html;   /* the item's content as sanitised HTML
                                   (web profile), or NULL: the HTML
                                   part's snippet */
    const char *snippet_text;   /* the item's content as plain text, or
                                   NULL: the text part's snippet (each
                                   part uses the other when its own is
                                   missing) */
    const char *up_url;         /* signed feedback links, or NULL */
    const char *down_url;
    double score;               /* not shown */
};

struct digest_section {
    const char *heading;        /* "Editor picks", "Goal: Leadership"... */
    const struct digest_entry *entries;
    size_t n;                   /* a section with none is not shown */
};

/* Snippets rendered once and reused: many digests of a round carry the
 * same items, and an item's snippet reads the same in all of them. An
 * entry is found by item_id and used only when its snippet_text is
 * byte for byte the one it was made from (and no snippet_html is
 * given), so a stale or wrong id costs a render, never a wrong snippet.
 * It holds at most some thousands of items and megabytes, then stops
 * growing. */
struct digest_render_cache;

/* A new, empty cache (free it with digest_render_cache_free()), or NULL
 * when out of memory. */
struct digest_render_cache *digest_render_cache_new(void);
void digest_render_cache_free(struct digest_render_cache *c);

struct digest_doc {
    const char *user_name;      /* "Hello <name>," when not NULL or "" */
    const char *title;          /* "Your Curator digest for ..." */
    const struct digest_section *sections;
    size_t n_sections;
    int n_below_threshold;      /* "N more items scored below your
                                   threshold.", 0: not said */
    int n_over_cap;             /* "N more items did not fit in this
                                   digest.", 0: not said */
    const char *web_url;        /* each link NULL when there is none */
    const char *settings_url;
    const char *unsubscribe_url;
    const char *feed_url;       /* the user's private Atom feed */
    int remote_images;          /* the user opted in to remote images */
    const char *tracking_hosts; /* "host,host": images from these are
                                   dropped (sanitize_opts); may be NULL */
    struct digest_render_cache *cache;  /* may be NULL; not for two
                                           threads at once */
};

/* Append the text/plain body of 'd' to 'out' (both borrowed): UTF-8,
 * LF line ends, ending with a line break. A document with no entries
 * says "Nothing new above your threshold today." A missing or empty
 * title is "Your Curator digest". Returns CUR_OK; CUR_ENOMEM or
 * CUR_ETOOBIG (over out's cap), and then 'out' is freed; CUR_EINVAL
 * for a NULL argument. */
int digest_render_text(const struct digest_doc *d, struct buf *out);

/* Append the text/html body of 'd' to 'out': a whole HTML document as
 * described above. Returns and frees as digest_render_text(). */
int digest_render_html(const struct digest_doc *d, struct buf *out);

#endif
