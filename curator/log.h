/* Logging: one line per event, "TIME level=LEVEL message key=value ...".
 *
 * Lines go to standard error until log_open() names a file. Each line is
 * written with a single write(2), so threads never interleave within a
 * line. The module keeps the process's only logging state; it does not
 * decide where logs go, the daemon and the CLI do.
 */
#ifndef CURATOR_LOG_H
#define CURATOR_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Send lines at or below 'level' to 'path' (appended, created 0640), or
 * to standard error when path is NULL or empty. 'path' is copied.
 * Returns CUR_OK or CUR_EIO (with the previous target kept). */
int log_open(const char *path, enum log_level level);

/* Reopen the file given to log_open(), for log rotation (SIGHUP).
 * Returns CUR_OK, or CUR_EIO with the old file kept. */
int log_reopen(void);

/* Close the log file and go back to standard error. */
void log_close(void);

void log_set_level(enum log_level level);

/* Parse "error", "warn", "info" or "debug". Returns CUR_OK or CUR_EINVAL. */
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
