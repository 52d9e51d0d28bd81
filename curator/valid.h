/* Checks for the few identifiers that users type: user names and email
 * addresses. Shared by the config, the store and the command line so that
 * all three accept exactly the same things. */
#ifndef CURATOR_VALID_H
#define CURATOR_VALID_H

#define VALID_NAME_MAX 64

/* 1 to 64 of A-Z a-z 0-9 . _ - , not starting with '.' or '-'. */
int valid_user_name(const char *s);

/* A plain addr-spec: one '@' with text on both sides, no spaces, control
 * characters, quotes, commas or angle brackets, at most 254 bytes. It is
 * deliberately strict: the address goes into mail headers. */
int valid_email(const char *s);

#endif
