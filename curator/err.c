/* Names for the error codes in err.h. */
#include "err.h"

const char *
cur_strerror(int code)
{
    switch (code) {
    case CUR_OK:           return "ok";
    case CUR_ENOMEM:       return "out of memory";
    case CUR_EINVAL:       return "invalid argument";
    case CUR_EIO:          return "input/output error";
    case CUR_ECONFIG:      return "configuration error";
    case CUR_ESTORE:       return "database error";
    case CUR_ESCHEMA:      return "database schema is newer than this build";
    case CUR_ENOTFOUND:    return "not found";
    case CUR_EEXIST:       return "already exists";
    case CUR_EPARSE:       return "parse error";
    case CUR_EFETCH:       return "fetch failed";
    case CUR_ETOOBIG:      return "too big";
    case CUR_EHTTP:        return "HTTP error";
    case CUR_EUNSUPPORTED: return "unsupported";
    case CUR_EENCODING:    return "character encoding not allowed";
    }
    return "unknown error";
}
