/* Error codes shared by every module of libcurator.
 *
 * CUR_OK is zero and every error is negative. New codes are appended and
 * never renumbered, so a code logged by an old build still means the same.
 */
#ifndef CURATOR_ERR_H
#define CURATOR_ERR_H

enum cur_err {
    CUR_OK = 0,
    CUR_ENOMEM = -1,     /* allocation failed */
    CUR_EINVAL = -2,     /* bad argument or input value */
    CUR_EIO = -3,        /* read, write or system call failed */
    CUR_ECONFIG = -4,    /* configuration refused */
    CUR_ESTORE = -5,     /* database error */
    CUR_ESCHEMA = -6,    /* database schema newer than this build */
    CUR_ENOTFOUND = -7,  /* no such row, file or object */
    CUR_EEXIST = -8,     /* already exists */
    CUR_EPARSE = -9,     /* document could not be parsed */
    CUR_EFETCH = -10,    /* network transfer failed */
    CUR_ETOOBIG = -11,   /* input over a size limit */
    CUR_EHTTP = -12,     /* server answered with an HTTP error status */
    CUR_EUNSUPPORTED = -13, /* format or feature not supported */
    CUR_EENCODING = -14  /* character encoding refused */
};

/* A short, constant English name for 'code'; never NULL. */
const char *cur_strerror(int code);

#endif
