/* Atom 1.0 and OPML 2.0 output: XML escaping that also drops the
 * characters XML 1.0 cannot hold, and the frame of an Atom feed. The
 * private digest feed and the portfolio feed are written with it. */
#ifndef CURATOR_WEB_ATOM_H
#define CURATOR_WEB_ATOM_H

#include "buf.h"

/* Append 's' escaped for XML text and quoted attributes (& < > " '),
 * leaving out C0 controls other than tab, LF and CR, and U+FFFE and
 * U+FFFF. NULL appends nothing. */
int xml_escape(struct buf *b, const char *s);

/* <?xml ...?><feed> with its id, title, self and alternate links and
 * updated time (Unix; 0 is written as the epoch). */
int atom_open(struct buf *b, const char *id, const char *title,
              const char *self, const char *alternate, long long updated);

struct atom_entry {
    const char *id;             /* an IRI, e.g. "tag:...:item:12" */
    const char *title;          /* plain text */
    const char *link;           /* http(s) URL or NULL */
    const char *author;         /* NULL: the feed's source name */
    const char *summary;        /* plain text or NULL */
    const char *content;        /* plain text or NULL */
    long long published;        /* 0: not written */
    long long updated;
};

int atom_entry(struct buf *b, const struct atom_entry *e);
int atom_close(struct buf *b);

#endif
