/* HTML output helpers for the pages. */
#ifndef CURATOR_WEB_HTML_H
#define CURATOR_WEB_HTML_H

#include "buf.h"

/* Append 's' with &, <, >, " and ' escaped; safe in text and in quoted
 * attribute values. NULL appends nothing. */
int html_escape(struct buf *b, const char *s);

/* 1 if 'url' may be put in an href: absolute http or https only. */
int html_safe_url(const char *url);

#endif
