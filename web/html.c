/* Escaping for HTML text and attributes. */
#include "html.h"
#include "err.h"

#include <string.h>
#include <strings.h>

int
html_escape(struct buf *b, const char *s)
{
    if (s == NULL)
        return CUR_OK;
    const char *run = s;
    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        int rc = buf_append(b, run, (size_t)(s - run));
        if (rc == CUR_OK)
            rc = buf_puts(b, rep);
        if (rc != CUR_OK)
            return rc;
        run = s + 1;
    }
    return buf_append(b, run, (size_t)(s - run));
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
