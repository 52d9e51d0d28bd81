/* An independent, strict reader of the messages curator/mime.c writes,
 * for the unit tests and the fuzzer. It knows RFC 5322, RFC 2045-2047,
 * RFC 2369 and RFC 8058, not mime.c, and accepts only the subset mime.c
 * promises to write (SECURITY.md MAIL-1, MAIL-2), decoding everything
 * back so that tests can compare it with what went in.
 */
#ifndef CURATOR_TEST_MIME_CHECK_H
#define CURATOR_TEST_MIME_CHECK_H

#include <stddef.h>

#define MIME_CHECK_MAX_HEADERS 32

/* What a message decodes to. Strings are NUL-terminated, owned by the
 * result (mime_check_free()). */
struct mime_check {
    char *subject;          /* RFC 2047 decoded, UTF-8 */
    char *from_name;        /* display name decoded; "" when none */
    char *from_email;
    char *to_name;
    char *to_email;
    char *message_id;       /* without angle brackets */
    long long date;         /* Unix time */
    char *list_id_name;     /* List-Id description decoded, "" when none;
                               both NULL without List-Id */
    char *list_id;          /* inside the angle brackets */
    char *boundary;         /* NULL for a single text/plain part */
    char *text;             /* the text/plain part decoded */
    size_t text_len;
    char *html;             /* the text/html part decoded, or NULL */
    size_t html_len;
    int text_base64;        /* 1 base64, 0 quoted-printable */
    int html_base64;
    size_t n_headers;       /* top-level fields, in order */
    struct {
        char *name;         /* as written */
        char *value;        /* unfolded, leading white space removed */
    } headers[MIME_CHECK_MAX_HEADERS];
};

/* Read 'msg' ('len' bytes). Returns 0 with *r filled when the message
 * is: 7-bit, every line ended by CRLF, no line over 998 octets nor one
 * starting with "." or "From "; header fields printable ASCII, each a
 * name and colon or a continuation holding more than white space, only
 * Date, From, To, Subject, Message-ID, List-Id, List-Unsubscribe,
 * List-Unsubscribe-Post, Auto-Submitted, Precedence, MIME-Version,
 * Content-Type and Content-Transfer-Encoding, none twice, the first six
 * and MIME-Version required; Subject lines at most 78 octets;
 * encoded-words well-formed UTF-8 B or Q, each at most 75 characters
 * and decoding to whole characters; the decoded subject and names valid
 * UTF-8 without control characters; a strict RFC 5322 UTC Date;
 * "<https:...>, <mailto:...>" unsubscribe lists and One-Click only with
 * an https one; and a body that is one text/plain part or a
 * multipart/alternative of text/plain then text/html, each charset
 * UTF-8, in strict quoted-printable (lines <= 76, no trailing white
 * space, "=XX" in upper case) or base64 (lines <= 76, padding only at
 * the end), decoding to valid UTF-8. Otherwise -1 with the reason in
 * 'why' (may be NULL when whylen is 0); *r is then empty. */
int mime_check(const char *msg, size_t len, struct mime_check *r,
               char *why, size_t whylen);

void mime_check_free(struct mime_check *r);

/* The unfolded value of top-level field 'name' (any case), or NULL. */
const char *mime_check_header(const struct mime_check *r, const char *name);

/* What mime.c promises a header text decodes back to: invalid UTF-8 as
 * U+FFFD (one per maximal subpart), control characters (C0, DEL, C1)
 * and U+2028/U+2029 as spaces, runs of spaces as one, trimmed. NULL is
 * read as "". A new string (free()), or NULL when out of memory. */
char *mime_check_norm_header(const char *s);

/* What a body decodes back to: invalid UTF-8 as U+FFFD, every line
 * break (CRLF, CR, LF) as CRLF. A new string (free()) of *len bytes. */
char *mime_check_norm_body(const char *s, size_t *len);

/* 1 if s[0..n) is well-formed UTF-8. */
int mime_check_utf8(const char *s, size_t n);

#endif
