/* Validation of user names and email addresses. */
#include "valid.h"

#include <ctype.h>
#include <string.h>

int
valid_user_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > VALID_NAME_MAX || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return 0;
    }
    return 1;
}

int
valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
        return 0;
    if (strlen(s) > 254)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || strchr("<>\"(),;:\\[]", *p))
            return 0;
    return 1;
}
