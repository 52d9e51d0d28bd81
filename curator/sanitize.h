/* Untrusted HTML from feeds turned into something safe to show.
 *
 * For now this module makes plain text: tags dropped, entities decoded,
 * white space collapsed, the result cut on a UTF-8 boundary.
 */
#ifndef CURATOR_SANITIZE_H
#define CURATOR_SANITIZE_H

#include <stddef.h>

/* Plain text of an HTML fragment (borrowed), at most 'max' bytes, cut at
 * a word boundary when it is longer (an ellipsis is appended then).
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
