/* XML escaping and the Atom frame (see atom.h). */
#include "atom.h"
#include "date.h"
#include "err.h"
#include "html.h"

#include <string.h>

int
xml_escape(struct buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    int rc = CUR_OK;

    if (s == NULL)
        return CUR_OK;
    for (; *p && rc == CUR_OK; p++) {
        const char *rep = NULL;
        size_t skip = 0;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                || *p == 0x7f)
                skip = 1;
            /* U+FFFE and U+FFFF: EF BF BE, EF BF BF. */
            else if (p[0] == 0xEF && p[1] == 0xBF
                     && (p[2] == 0xBE || p[2] == 0xBF))
                skip = 3;
        }
        if (rep == NULL && skip == 0)
            continue;
        rc = buf_append(b, run, (size_t)(p - run));
        if (rc == CUR_OK && rep)
            rc = buf_puts(b, rep);
        if (skip)
            p += skip - 1;
        run = p + 1;
    }
    return rc == CUR_OK ? buf_append(b, run, (size_t)(p - run)) : rc;
}

static int
stamp(struct buf *b, const char *tag, long long t)
{
    char when[40];
    date_format(t > 0 ? t : 0, when, sizeof when);
    return buf_printf(b, "<%s>%s</%s>", tag, when, tag);
}

int
atom_open(struct buf *b, const char *id, const char *title,
          const char *self, const char *alternate, long long updated)
{
    int rc = buf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>");
    rc |= xml_escape(b, id);
    rc |= buf_puts(b, "</id>\n<title>");
    rc |= xml_escape(b, title);
    rc |= buf_puts(b, "</title>\n<link rel=\"self\" type=\"application/"
                   "atom+xml\" href=\"");
    rc |= xml_escape(b, self);
    rc |= buf_puts(b, "\"/>\n<link rel=\"alternate\" type=\"text/html\" "
                   "href=\"");
    rc |= xml_escape(b, alternate);
    rc |= buf_puts(b, "\"/>\n");
    rc |= stamp(b, "updated", updated);
    rc |= buf_printf(b, "\n<author><name>Curator</name></author>\n"
                     "<generator version=\"%s\">Curator</generator>\n",
                     CURATOR_VERSION);
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
atom_entry(struct buf *b, const struct atom_entry *e)
{
    int rc = buf_puts(b, "<entry>\n<id>");
    rc |= xml_escape(b, e->id);
    rc |= buf_puts(b, "</id>\n<title type=\"text\">");
    rc |= xml_escape(b, e->title && e->title[0] ? e->title : "(untitled)");
    rc |= buf_puts(b, "</title>\n");
    if (e->link && html_safe_url(e->link)) {
        rc |= buf_puts(b, "<link rel=\"alternate\" href=\"");
        rc |= xml_escape(b, e->link);
        rc |= buf_puts(b, "\"/>\n");
    }
    rc |= stamp(b, "updated", e->updated);
    if (e->published > 0)
        rc |= stamp(b, "published", e->published);
    if (e->author && e->author[0]) {
        rc |= buf_puts(b, "\n<author><name>");
        rc |= xml_escape(b, e->author);
        rc |= buf_puts(b, "</name></author>");
    }
    if (e->summary) {
        rc |= buf_puts(b, "\n<summary type=\"text\">");
        rc |= xml_escape(b, e->summary);
        rc |= buf_puts(b, "</summary>");
    }
    if (e->content) {
        rc |= buf_puts(b, "\n<content type=\"text\">");
        rc |= xml_escape(b, e->content);
        rc |= buf_puts(b, "</content>");
    }
    rc |= buf_puts(b, "\n</entry>\n");
    return rc ? CUR_ENOMEM : CUR_OK;
}

int
atom_close(struct buf *b)
{
    return buf_puts(b, "</feed>\n");
}
