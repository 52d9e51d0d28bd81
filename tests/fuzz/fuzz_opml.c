/* libFuzzer target for OPML import (curator/opml.h).
 *
 * The input is an OPML document. opml_parse() on the buffer and
 * opml_read() on the same bytes as a stream must agree; a failure must
 * say why and leave the document empty; a success must give outlines
 * that keep opml.h's promises (a trimmed URL, valid UTF-8, a category
 * without empty ends, lines in document order). A parsed document of
 * up to 200 feeds is then imported into a fresh in-memory store, where
 * the counts must add up, and exported: the export must parse again and
 * list exactly the feeds added, with their titles and site URLs.
 */
#include "err.h"
#include "log.h"
#include "opml.h"
#include "store.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_MAX 200

static const uint8_t *cur_data;
static size_t cur_size;

static void
die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_opml: %s\n detail: [%s]\n input: %zu bytes [",
            what, detail ? detail : "(null)", cur_size);
    fwrite(cur_data, 1, cur_size < 2048 ? cur_size : 2048, stderr);
    fprintf(stderr, "]\n");
    abort();
}

static int
valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, need, cp, min;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need + 1;
    }
    return 1;
}

/* Non-empty, valid UTF-8, no white space at either end. */
static void
check_trimmed(const char *what, const char *s)
{
    if (s == NULL)
        return;
    size_t n = strlen(s);
    if (n == 0 || !valid_utf8(s))
        die("empty or not valid UTF-8", what);
    if (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]))
        die("not trimmed", what);
}

static void
check_doc(const struct opml_doc *d)
{
    int line = 1;

    if (d->n > OPML_MAX_OUTLINES || (d->n && d->v == NULL))
        die("outline count out of range", NULL);
    check_trimmed("head title", d->title);
    for (size_t i = 0; i < d->n; i++) {
        const struct opml_outline *o = &d->v[i];
        if (o->url == NULL)
            die("outline without URL", NULL);
        check_trimmed("url", o->url);
        check_trimmed("title", o->title);
        check_trimmed("site_url", o->site_url);
        check_trimmed("category", o->category);
        if (o->category) {
            size_t n = strlen(o->category);
            if (o->category[0] == '/' || o->category[n - 1] == '/')
                die("category with an empty end", o->category);
        }
        if (o->line < line)
            die("outline lines out of order", o->url);
        line = o->line;
    }
}

static int
same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void
check_same(const struct opml_doc *a, const struct opml_doc *b)
{
    if (a->n != b->n || !same_str(a->title, b->title))
        die("opml_parse and opml_read disagree", NULL);
    for (size_t i = 0; i < a->n; i++) {
        const struct opml_outline *x = &a->v[i], *y = &b->v[i];
        if (!same_str(x->url, y->url) || !same_str(x->title, y->title)
            || !same_str(x->site_url, y->site_url)
            || !same_str(x->category, y->category) || x->line != y->line)
            die("opml_parse and opml_read disagree on an outline", x->url);
    }
}

/* An http(s) URL with a host and no space or control character, as
 * opml_import() takes. */
static int
web_url(const char *url)
{
    size_t skip = strncasecmp(url, "http://", 7) == 0 ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
    if (skip == 0 || url[skip] == '\0' || url[skip] == '/'
        || strlen(url) >= 4096)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* The first outline of 'd' with this URL, or NULL. */
static const struct opml_outline *
find_url(const struct opml_doc *d, const char *url, size_t before)
{
    for (size_t i = 0; i < before; i++)
        if (strcmp(d->v[i].url, url) == 0)
            return &d->v[i];
    return NULL;
}

static void
check_import(const struct opml_doc *d)
{
    struct store *st;
    struct opml_import_stats stats;
    char err[256] = "";
    size_t added = 0, dups = 0, refused = 0;

    if (store_open(":memory:", &st) != CUR_OK)
        die("store_open failed", NULL);
    int rc = opml_import(st, d, "web", NULL, NULL, &stats);
    if (rc != CUR_OK)
        die("opml_import failed", cur_strerror(rc));
    for (size_t i = 0; i < d->n; i++) {
        if (!web_url(d->v[i].url))
            refused++;
        else if (find_url(d, d->v[i].url, i))
            dups++;
        else
            added++;
    }
    if (stats.added != added || stats.duplicates != dups
        || stats.refused != refused)
        die("import counts do not add up", NULL);

    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL)
        die("open_memstream failed", NULL);
    rc = opml_export(st, mem);
    if (fclose(mem) != 0 || rc != CUR_OK)
        die("opml_export failed", cur_strerror(rc));
    store_close(st);

    struct opml_doc back;
    if (opml_parse(text, len, &back, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "export:\n%s\n", text);
        die("the export does not parse", err);
    }
    check_doc(&back);
    if (back.n != added)
        die("the export lists another number of feeds", NULL);
    for (size_t i = 0; i < back.n; i++) {
        const struct opml_outline *b = &back.v[i];
        const struct opml_outline *a = find_url(d, b->url, d->n);
        if (a == NULL || !web_url(a->url))
            die("the export lists a feed that was not added", b->url);
        if ((a->title && !same_str(a->title, b->title))
            || !same_str(a->site_url, b->site_url)) {
            fprintf(stderr, "export:\n%s\n", text);
            die("the export changed a title or site URL", b->url);
        }
    }
    opml_doc_free(&back);
    free(text);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The store logs each migration: keep the fuzzer's output clean. */
    log_set_level(LOG_ERR);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct opml_doc a, b;
    char err_a[256] = "", err_b[256] = "";

    cur_data = data;
    cur_size = size;
    int rc_a = opml_parse((const char *)data, size, &a, err_a, sizeof err_a);
    if (rc_a != CUR_OK) {
        if (err_a[0] == '\0' || !valid_utf8(err_a))
            die("refusal without a valid message", err_a);
        if (a.n != 0 || a.v != NULL || a.title != NULL)
            die("refused document not emptied", err_a);
    } else {
        check_doc(&a);
    }

    /* The same bytes as a stream (fmemopen() wants at least one). */
    if (size > 0) {
        FILE *in = fmemopen((void *)data, size, "rb");
        if (in == NULL)
            die("fmemopen failed", NULL);
        int rc_b = opml_read(in, &b, err_b, sizeof err_b);
        fclose(in);
        if (rc_b != rc_a || strcmp(err_a, err_b) != 0)
            die("opml_parse and opml_read disagree on the result", err_b);
        if (rc_a == CUR_OK)
            check_same(&a, &b);
        opml_doc_free(&b);
    }

    if (rc_a == CUR_OK && a.n > 0 && a.n <= IMPORT_MAX)
        check_import(&a);
    opml_doc_free(&a);
    return 0;
}
