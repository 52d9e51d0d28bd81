/* Versions: Curator's own and the libraries it runs on. */
#ifndef CURATOR_VERSION_H
#define CURATOR_VERSION_H

/* libcurl older than this lacks CURLOPT_PROTOCOLS_STR. */
#define VERSION_MIN_CURL 0x075500   /* 7.85.0 */

/* Log one line naming Curator's and every library's version. Returns
 * CUR_OK, or CUR_EUNSUPPORTED (logged) when a library is too old. */
int version_check(const char *program);

#endif
