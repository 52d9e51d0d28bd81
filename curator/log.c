/* Logging to standard error or a file that can be reopened for rotation. */
#include "log.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static int log_fd = -1;                 /* -1: standard error */
static char *log_path;
static volatile enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int
open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_open(const char *path, enum log_level level)
{
    log_threshold = level;
    if (path == NULL || path[0] == '\0') {
        log_close();
        return CUR_OK;
    }
    int fd = open_file(path);
    if (fd < 0)
        return CUR_EIO;
    char *copy = strdup(path);
    if (copy == NULL) {
        close(fd);
        return CUR_ENOMEM;
    }
    log_close();
    log_fd = fd;
    log_path = copy;
    return CUR_OK;
}

int
log_reopen(void)
{
    if (log_path == NULL)
        return CUR_OK;
    int fd = open_file(log_path);
    if (fd < 0)
        return CUR_EIO;
    /* dup2 swaps the target atomically: a thread writing now goes to
     * either the old or the new file, never to a closed descriptor. */
    if (dup2(fd, log_fd) < 0) {
        close(fd);
        return CUR_EIO;
    }
    close(fd);
    return CUR_OK;
}

void
log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    free(log_path);
    log_path = NULL;
}

void
log_set_level(enum log_level level)
{
    log_threshold = level;
}

int
log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return CUR_OK;
        }
    }
    return CUR_EINVAL;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > log_threshold)
        return;

    int saved_errno = errno;
    char line[LOG_LINE_MAX];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ level=%s ",
                          ts.tv_nsec / 1000000L, level_names[level]);

    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += (size_t)m;
    if (n > sizeof line - 2)
        n = sizeof line - 2;        /* truncated: still one line */
    /* A message must stay on one line whatever a feed put in it. */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';

    ssize_t w = write(log_fd >= 0 ? log_fd : STDERR_FILENO, line, n);
    (void)w;
    errno = saved_errno;
}
