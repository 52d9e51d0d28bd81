/* libFuzzer target for curator/mime.c.
 *
 * The input is cut at NUL bytes into the subject, the From and To display
 * names, the text and HTML bodies, the To address and the List-Id
 * description; missing fields are NULL (names, HTML) or fixed values.
 * Every message composed must pass the independent checker
 * (tests/support/mime_check.c) and decode back to the normalised inputs,
 * and composing twice must give the same bytes. A refused message must
 * have an address the checker's own rules refuse too. Any failure aborts
 * with the reason and the message printed.
 */
#include "buf.h"
#include "err.h"
#include "mime.h"
#include "mime_check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FIELDS 7

static void
die(const char *what, const char *detail, const struct buf *msg)
{
    fprintf(stderr, "fuzz_mime: %s\n detail: [%s]\n message:\n%.*s\n",
            what, detail ? detail : "", msg ? (int)msg->len : 0,
            msg && msg->data ? msg->data : "");
    abort();
}

/* The address rules of mime.h (valid_email()), written again. */
static int
address_ok(const char *s)
{
    size_t n = strlen(s), ats = 0;
    if (n == 0 || n > 254 || s[0] == '@' || s[n - 1] == '@')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ats += c == '@';
        if (c <= ' ' || c >= 0x7F || strchr("<>\"(),;:\\[]", c))
            return 0;
    }
    return ats == 1;
}

static void
same_header(const char *what, const char *input, const char *got,
            const struct buf *msg)
{
    char *want = mime_check_norm_header(input);
    if (want == NULL)
        die("out of memory", NULL, NULL);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "want [%s]\ngot  [%s]\n", want, got);
        die(what, input, msg);
    }
    free(want);
}

static void
same_body(const char *what, const char *input, const char *got,
          size_t got_len, const struct buf *msg)
{
    size_t len;
    char *want = mime_check_norm_body(input, &len);
    if (want == NULL)
        die("out of memory", NULL, NULL);
    if (got == NULL || len != got_len || memcmp(want, got, len) != 0)
        die(what, input, msg);
    free(want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1), *f[N_FIELDS] = { 0 };
    char list_id[4096];
    struct buf out, again;
    struct mime_check r;
    const char *why = NULL;
    char reason[512];

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    /* Fields end at NUL bytes; the last one at the end of the input. */
    char *p = in;
    for (int i = 0; i < N_FIELDS && p <= in + size; i++) {
        f[i] = p;
        p += strlen(p) + 1;
    }
    const char *to = f[5] != NULL ? f[5] : "reader@example.org";
    snprintf(list_id, sizeof list_id, "%s <digest.example.org>",
             f[6] != NULL ? f[6] : "Curator");

    struct mime_message m = {
        .from = { f[1], "digest@example.org" },
        .to = { f[2], to },
        .subject = f[0] != NULL ? f[0] : "",
        .date = 1796000000LL + (long long)(size % 100000) * 86399,
        .message_id = "digest.42.2026-11-29@example.org",
        .list_id = list_id,
        .unsubscribe_url = size % 3 ? "https://example.org/u?t=x" : NULL,
        .unsubscribe_mailto = size % 2 ? "mailto:u@example.org" : NULL,
        .text = f[3] != NULL ? f[3] : "",
        .html = f[4],
    };
    buf_init(&out, 0);
    int rc = mime_compose(&m, &out, &why);
    if (rc != CUR_OK) {
        if (rc != CUR_EINVAL || address_ok(to))
            die("refused a valid message", why, NULL);
        buf_free(&out);
        free(in);
        return 0;
    }
    if (!address_ok(to))
        die("accepted an invalid address", to, &out);
    if (mime_check(out.data, out.len, &r, reason, sizeof reason) != 0)
        die(reason, NULL, &out);

    same_header("subject differs", m.subject, r.subject, &out);
    same_header("From name differs", m.from.name, r.from_name, &out);
    same_header("To name differs", m.to.name, r.to_name, &out);
    same_header("List-Id name differs", f[6] != NULL ? f[6] : "Curator",
                r.list_id_name, &out);
    if (strcmp(r.to_email, to) != 0 || strcmp(r.list_id,
                                              "digest.example.org") != 0)
        die("address or List-Id differs", r.to_email, &out);
    same_body("text differs", m.text, r.text, r.text_len, &out);
    if (m.html != NULL && m.html[0] != '\0')
        same_body("html differs", m.html, r.html, r.html_len, &out);
    else if (r.html != NULL)
        die("html part for no html", NULL, &out);
    if (r.date != m.date)
        die("date differs", NULL, &out);

    buf_init(&again, 0);
    if (mime_compose(&m, &again, NULL) != CUR_OK || again.len != out.len
        || memcmp(again.data, out.data, out.len) != 0)
        die("not deterministic", NULL, &out);

    mime_check_free(&r);
    buf_free(&again);
    buf_free(&out);
    free(in);
    return 0;
}
