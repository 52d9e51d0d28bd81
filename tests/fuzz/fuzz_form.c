/* libFuzzer target for the web layer's request bodies (web/form.c):
 * application/x-www-form-urlencoded and multipart/form-data. The first
 * input byte picks the parser; for multipart, the first line is the
 * Content-Type header. Whatever the input: no crash, and on success every
 * field obeys the form's rules (names bounded, text fields valid UTF-8
 * without controls, at most FORM_MAX_FIELDS), form_get() finds the first
 * of a name, and URL decoding never grows its input. Cookies are parsed
 * by libmicrohttpd, not by Curator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct form *f)
{
    if (f->n > FORM_MAX_FIELDS)
        abort();
    for (size_t i = 0; i < f->n; i++) {
        const struct form_field *x = &f->v[i];
        if (x->name == NULL || x->value == NULL
            || strlen(x->name) > FORM_MAX_NAME
            || !form_text_ok(x->name, strlen(x->name)))
            abort();
        if (x->filename == NULL && !form_text_ok(x->value, x->len))
            abort();
        if (form_get(f, x->name) != form_field(f, x->name)->value)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct form f = { 0 };
    const char *p = (const char *)data;

    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) {
        if (form_parse_urlencoded(&f, p + 1, size - 1) == CUR_OK)
            check(&f);
        form_free(&f);
        size_t n;
        char *d = form_url_decode(p + 1, size - 1, &n);
        if (d == NULL || n > size - 1)
            abort();
        free(d);
        return 0;
    }
    const char *eol = memchr(p + 1, '\n', size - 1);
    if (eol == NULL)
        return 0;
    char *ct = strndup(p + 1, (size_t)(eol - p - 1));
    if (ct == NULL)
        return 0;
    const char *body = eol + 1;
    if (form_parse_multipart(&f, ct, body, size - (size_t)(body - p))
        == CUR_OK)
        check(&f);
    form_free(&f);
    free(ct);
    return 0;
}
