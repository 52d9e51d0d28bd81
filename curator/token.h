/* Signed tokens for links that act without a login: one-click
 * unsubscribe, 👍/👎 from an email, the private Atom feed. A token is
 * the first 16 bytes of HMAC-SHA-256 (libsodium) over "purpose:user:
 * extra" under the instance's secret key, in URL-safe base64; checking
 * compares in constant time. */
#ifndef CURATOR_TOKEN_H
#define CURATOR_TOKEN_H

#include <stddef.h>

#define TOKEN_KEY_LEN 32
#define TOKEN_LEN 22            /* characters, without the NUL */

/* Write the token (TOKEN_LEN + 1 bytes with the NUL) to out. 'extra' may
 * be NULL. */
void token_make(const unsigned char key[TOKEN_KEY_LEN], const char *purpose,
                long long user_id, const char *extra, char *out);
/* 1 when 'token' is the one token_make() gives, else 0. */
int token_check(const unsigned char key[TOKEN_KEY_LEN], const char *purpose,
                long long user_id, const char *extra, const char *token);

#endif
