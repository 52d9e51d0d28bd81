/* Composing a digest as an RFC 5322 / MIME message, ready for SMTP or a
 * spool file. Sending it, the outbox and dot-stuffing are mail.c's and
 * libcurl's business; what goes in the message (rendering, sanitising the
 * HTML per MAIL-3) is the caller's.
 *
 * The output is 7-bit ASCII with CRLF line ends only, no line over 998
 * octets (bodies: 76; headers folded at 78 where a token allows it):
 *
 *   Date, From, To, Subject, Message-ID, List-Id (if given),
 *   List-Unsubscribe and, with an https URL, List-Unsubscribe-Post:
 *   List-Unsubscribe=One-Click (RFC 2369, RFC 8058), Auto-Submitted:
 *   auto-generated (RFC 3834) and Precedence: bulk (not a standard, but
 *   what vacation(1), Exchange and other old auto-responders look at to
 *   stay quiet), MIME-Version: 1.0, then either one text/plain part or
 *   multipart/alternative with text/plain and text/html, both
 *   charset=UTF-8.
 *
 * Header text (subject, display names, the List-Id description) is made
 * safe first: invalid UTF-8 becomes U+FFFD (one per maximal ill-formed
 * subpart, as Unicode and WHATWG say), C0 and C1 controls, DEL, U+2028
 * and U+2029 become spaces, runs of spaces become one and both ends are
 * trimmed, so nothing a feed puts in a title can start a new header
 * line. It is then written as is when it is printable ASCII made of
 * short words with no "=?"; as a quoted-string when it is a short ASCII
 * display name with specials (",", "\"", "." ...); else as RFC 2047
 * UTF-8 encoded-words, Q or B whichever is shorter, each at most 75
 * characters and holding whole characters, one per folded line. An
 * encoded "=?" means a literal "=?" can never be decoded by a reader.
 *
 * Bodies get invalid UTF-8 replaced the same way and every line break
 * (CRLF, lone CR, lone LF) made CRLF, as text/ MIME canonical form asks;
 * nothing else is changed. Each is quoted-printable, or base64 when that
 * is shorter (mostly non-Latin text). Quoted-printable lines end with a
 * soft break when the text does not end with a line break, so every line
 * of the message ends with CRLF and decoding gives the text back exactly.
 * A "." or "From " at the start of a quoted-printable line is encoded
 * ("=2E", "=46rom "), so the message needs no dot-stuffing to survive a
 * spool file or a naive tool and no mbox ">From" munging; SMTP
 * dot-stuffing is still done by libcurl on the wire.
 *
 * The boundary is "=_" and a hash of the bodies. Quoted-printable writes
 * '=' only before two hex digits or a line break, and base64 has no '_'
 * (and '=' only as final padding), so no encoded line can ever begin
 * with "--=_": the boundary cannot occur in a part, whatever the text,
 * without having to search for it. Hashing (rather than random bytes)
 * makes the output a pure function of the input: a message recomposed
 * for a resend is the same message.
 */
#ifndef CURATOR_MIME_H
#define CURATOR_MIME_H

#include "buf.h"

/* Longest URL (https: or mailto:) accepted in List-Unsubscribe, so that
 * its header line stays under 998 octets. */
#define MIME_URL_MAX 900

/* Longest Message-ID (without brackets) and List-Id identifier. */
#define MIME_ID_MAX 250

struct mime_address {
    const char *name;   /* display name, UTF-8 (any bytes), may be NULL */
    const char *email;  /* addr-spec, checked with valid_email() */
};

struct mime_message {
    struct mime_address from, to;
    const char *subject;        /* UTF-8 (any bytes); required, may be "" */
    long long date;             /* Unix time, written in UTC ("+0000");
                                   0 to 9999-12-31T23:59:59Z */
    const char *message_id;     /* without angle brackets, dot-atom "@"
                                   dot-atom, e.g.
                                   "digest.42.2026-11-29@example.org" */
    const char *list_id;        /* "Description <label.example.org>" or
                                   just "label.example.org"; the
                                   description is UTF-8 (any bytes), the
                                   identifier a dot-atom with a dot; may
                                   be NULL */
    const char *unsubscribe_url;    /* "https://...", may be NULL */
    const char *unsubscribe_mailto; /* "mailto:...", may be NULL */
    const char *text;           /* text/plain body, UTF-8; required */
    const char *html;           /* text/html body, UTF-8, or NULL (or "",
                                   which would show as a blank message
                                   in most clients) for text only */
};

/* Append the whole message for 'm' (borrowed) to 'out'.
 *
 * Returns CUR_OK; CUR_EINVAL for a NULL 'm', 'out', subject or text, an
 * invalid email address, Message-ID, List-Id identifier or date, or an
 * unsubscribe URL that does not start with its scheme ("https://",
 * "mailto:", either case) or holds anything but printable ASCII other
 * than '<', '>', '"', ',' and '\\', or is over MIME_URL_MAX bytes; 'out'
 * is then unchanged, and *why (when 'why' is not NULL) a constant
 * phrase naming the field. Or CUR_ENOMEM or CUR_ETOOBIG from the buffer,
 * which is then freed (see buf.h); the quoted-printable encoder reserves
 * up to 50 KB more than it writes, so a capped 'out' needs that much
 * headroom. */
int mime_compose(const struct mime_message *m, struct buf *out,
                 const char **why);

#endif
