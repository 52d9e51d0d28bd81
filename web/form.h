/* Form bodies: application/x-www-form-urlencoded and multipart/form-data
 * parsed from a body already collected under the server's size cap.
 * Text fields must be UTF-8 without NUL or other C0 controls than tab,
 * CR and LF; a file part keeps its bytes as they came. What each field
 * means and whether its value is good is the page's business.
 */
#ifndef CURATOR_WEB_FORM_H
#define CURATOR_WEB_FORM_H

#include <stddef.h>

#define FORM_MAX_FIELDS 512
#define FORM_MAX_NAME 128           /* bytes of a field name */

struct form_field {
    char *name;
    char *value;                /* NUL-terminated (a file may hold NULs) */
    size_t len;
    char *filename;             /* multipart file parts, else NULL */
};

struct form {
    struct form_field *v;
    size_t n;
};

/* Parse 'len' bytes of 'data' (borrowed) into 'f' (zeroed by the
 * caller or by form_free()). Returns CUR_OK, CUR_EINVAL for a malformed
 * body, text that is not UTF-8, or more than FORM_MAX_FIELDS fields, or
 * CUR_ENOMEM; on error 'f' holds nothing. */
int form_parse_urlencoded(struct form *f, const char *data, size_t len);
/* 'content_type' is the request's header, carrying the boundary. */
int form_parse_multipart(struct form *f, const char *content_type,
                         const char *data, size_t len);

/* The first field called 'name' (its value), or NULL. */
const char *form_get(const struct form *f, const char *name);
const struct form_field *form_field(const struct form *f, const char *name);

void form_free(struct form *f);

/* 1 when s[0..len) is UTF-8 with no NUL and no C0 control but tab, CR
 * and LF. */
int form_text_ok(const char *s, size_t len);

/* Decode %XX and '+' of 'len' bytes into a new string (free()), *outlen
 * its length; NULL when out of memory. A '%' not followed by two hex
 * digits stays as it is. */
char *form_url_decode(const char *s, size_t len, size_t *outlen);

#endif
