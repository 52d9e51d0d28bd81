/* Plain-text extraction with libxml2's tolerant HTML parser. */
#include "sanitize.h"
#include "buf.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
        || c == '\v';
}

char *
sanitize_trim(char *s)
{
    size_t len = strlen(s), start = 0;
    while (start < len && is_space((unsigned char)s[start]))
        start++;
    while (len > start && is_space((unsigned char)s[len - 1]))
        len--;
    memmove(s, s + start, len - start);
    s[len - start] = '\0';
    return s;
}

char *
sanitize_squeeze(char *s, size_t max)
{
    size_t o = 0;
    int space = 0;

    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_space(c)) {
            space = o > 0;
            continue;
        }
        if (space) {
            s[o++] = ' ';
            space = 0;
        }
        s[o++] = (char)c;
    }
    s[o] = '\0';
    if (o > max) {
        /* Cut on a word boundary if one is near, never inside a UTF-8
         * sequence, and say that text was cut. */
        size_t cut = max >= 3 ? max - 3 : 0;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        size_t word = cut;
        while (word > 0 && s[word] != ' ')
            word--;
        if (word > cut / 2)
            cut = word;
        while (cut > 0 && s[cut - 1] == ' ')
            cut--;
        if (max >= 3) {
            memcpy(s + cut, "...", 3);
            cut += 3;
        }
        s[cut] = '\0';
    }
    return s;
}

static int
is_inline(const char *name)
{
    static const char *const inline_elements[] = {
        "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em",
        "font", "i", "kbd", "mark", "q", "s", "samp", "small", "span",
        "strong", "sub", "sup", "time", "tt", "u", "var",
    };
    for (size_t i = 0; i < sizeof inline_elements / sizeof *inline_elements;
         i++)
        if (strcmp(name, inline_elements[i]) == 0)
            return 1;
    return 0;
}

static void
collect_text(xmlNode *node, struct buf *b)
{
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content && buf_puts(b, (const char *)n->content) != 0)
                return;
        } else if (n->type == XML_ELEMENT_NODE) {
            const char *name = (const char *)n->name;
            if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0
                || strcmp(name, "template") == 0)
                continue;
            /* Blocks separate words that the markup kept apart; inline
             * elements may sit inside a word. */
            int block = !is_inline(name);
            if (block && buf_puts(b, " ") != 0)
                return;
            collect_text(n->children, b);
            if (block && buf_puts(b, " ") != 0)
                return;
        }
    }
}

char *
sanitize_text(const char *html, size_t max)
{
    struct buf b, wrapped;
    buf_init(&b, 0);
    buf_init(&wrapped, 0);
    if (strpbrk(html, "<&") == NULL) {
        /* No markup and no references: it is plain text already. */
        char *copy = strdup(html);
        return copy ? sanitize_squeeze(copy, max) : NULL;
    }
    /* NONET: no fetch; NOIMPLIED: no invented html/body/p. The fragment
     * goes inside a <div>, or libxml2 would nest everything after a
     * leading element inside it. */
    if (buf_puts(&wrapped, "<div>") != 0 || buf_puts(&wrapped, html) != 0
        || buf_puts(&wrapped, "</div>") != 0)
        return NULL;
    htmlDocPtr doc = htmlReadMemory(wrapped.data, (int)wrapped.len, NULL,
                                    "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR
                                    | HTML_PARSE_NOWARNING
                                    | HTML_PARSE_NOIMPLIED
                                    | HTML_PARSE_NOBLANKS);
    buf_free(&wrapped);
    if (doc != NULL) {
        collect_text(doc->children, &b);
        xmlFreeDoc(doc);
    }
    char *text = buf_steal(&b);
    return text ? sanitize_squeeze(text, max) : NULL;
}
