/* Library versions at start-up (SECURITY.md OPS-2). */
#include "version.h"
#include "err.h"
#include "log.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <microhttpd.h>
#include <sodium.h>
#include <sqlite3.h>

int
version_check(const char *program)
{
    const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

    log_info("%s starting version=%s libxml2=%s libcurl=%s "
             "libmicrohttpd=%s sqlite=%s libsodium=%s", program,
             CURATOR_VERSION, xmlParserVersion, cv->version,
             MHD_get_version(), sqlite3_libversion(),
             sodium_version_string());
    if (cv->version_num < VERSION_MIN_CURL) {
        log_err("libcurl too old version=%s need=7.85.0", cv->version);
        return CUR_EUNSUPPORTED;
    }
    return CUR_OK;
}
