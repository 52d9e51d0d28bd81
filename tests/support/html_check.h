/* An independent checker of the sanitiser's output, for the unit tests
 * and the fuzzer: it knows the allowlist from SECURITY.md (SAN-2), not
 * from curator/sanitize.c, and reads the output strictly.
 */
#ifndef CURATOR_TEST_HTML_CHECK_H
#define CURATOR_TEST_HTML_CHECK_H

#include <stddef.h>

/* 0 when 'html' is safe, canonical sanitiser output: valid UTF-8 with no
 * NUL, CR or other control but TAB and LF; only allowlisted elements,
 * each closed (void ones never); only allowlisted attributes, every one
 * double-quoted; text and values escaped (& only as &amp; &lt; &gt;
 * &quot; &nbsp;, no raw < or >); no comment, doctype or processing
 * instruction; URLs absolute and http(s), mailto for links,
 * data:image/(png|gif|jpeg|webp) for images; every link with
 * rel="noopener noreferrer nofollow"; a nesting HTML5 parses back
 * unchanged (no block in p or inline, li in ul/ol only, cells in rows in
 * sections in tables, no link in a link). Otherwise -1, with the reason
 * and its byte offset in 'why'. */
int html_check(const char *html, char *why, size_t whylen);

#endif
