/* libFuzzer target for curator/sanitize.c.
 *
 * Each input is sanitised with both profiles and must come out valid and
 * safe by the independent checker (tests/support/html_check.c), and
 * sanitising the output again must give it back byte for byte. The
 * plain-text extractors must give valid UTF-8 within their cap and, for
 * titles, no line break. Any failure aborts with the input and both
 * outputs printed.
 */
#include "html_check.h"
#include "sanitize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
die(const char *what, const char *in, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_sanitize: %s\n input: [%s]\n first: [%s]\n"
            " again: [%s]\n", what, in, a ? a : "(null)", b ? b : "(null)");
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

static void
one_profile(const char *in, size_t len, enum sanitize_profile prof)
{
    struct sanitize_opts o;
    char *a = NULL, *b = NULL, why[512];

    sanitize_opts_init(&o, prof);
    o.base_url = "https://example.org/base/";
    o.tracking_hosts = "pixel.example,track.example.net";
    o.max_data_image = 256;
    if (sanitize_html(in, len, &o, &a) != 0)
        die("sanitize_html failed", in, NULL, NULL);
    if (html_check(a, why, sizeof why) != 0)
        die(why, in, a, NULL);
    if (sanitize_html(a, strlen(a), &o, &b) != 0)
        die("sanitize_html failed on its own output", in, a, NULL);
    if (strcmp(a, b) != 0)
        die("not idempotent", in, a, b);
    free(a);
    free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';

    one_profile(in, size, SANITIZE_WEB);
    one_profile(in, size, SANITIZE_MAIL);

    size_t max = 1 + size % 300;
    char *t = sanitize_plain(in, "https://example.org/", max);
    if (t == NULL || strlen(t) > max || !valid_utf8(t))
        die("sanitize_plain: too long or not UTF-8", in, t, NULL);
    free(t);
    t = sanitize_text(in, max);
    if (t == NULL || strlen(t) > max || !valid_utf8(t)
        || strpbrk(t, "\r\n") != NULL)
        die("sanitize_text: too long, not UTF-8 or not one line", in, t,
            NULL);
    free(t);
    free(in);
    return 0;
}
