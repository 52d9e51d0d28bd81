/* See token.h. */
#include "token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

void
token_make(const unsigned char key[TOKEN_KEY_LEN], const char *purpose,
           long long user_id, const char *extra, char *out)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state h;
    char head[96];
    int n = snprintf(head, sizeof head, "%s:%lld:", purpose, user_id);

    crypto_auth_hmacsha256_init(&h, key, TOKEN_KEY_LEN);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)head,
                                  (unsigned long long)n);
    if (extra != NULL)
        crypto_auth_hmacsha256_update(&h, (const unsigned char *)extra,
                                      strlen(extra));
    crypto_auth_hmacsha256_final(&h, mac);
    sodium_bin2base64(out, TOKEN_LEN + 1, mac, 16,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
token_check(const unsigned char key[TOKEN_KEY_LEN], const char *purpose,
            long long user_id, const char *extra, const char *token)
{
    char want[TOKEN_LEN + 1];
    if (token == NULL || strlen(token) != TOKEN_LEN)
        return 0;
    token_make(key, purpose, user_id, extra, want);
    return sodium_memcmp(want, token, TOKEN_LEN) == 0;
}
