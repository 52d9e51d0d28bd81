/* Running the real curatord from a test: start it with a config and
 * extra environment, wait for its exit with a deadline, and kill the one
 * left running when an assertion ends a test early (cmocka's teardown).
 * Also the clock helpers the daemon tests share.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

/* The daemon started last and not yet reaped. */
static pid_t live;

const char *
t_build_abs(void)
{
    static char path[PATH_MAX];
    if (path[0] == '\0' && realpath(t_build_dir(), path) == NULL)
        snprintf(path, sizeof path, "%s", t_build_dir());
    return path;
}

long long
t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
t_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

pid_t
t_daemon_spawn(const char *config, const char *const *env,
               const char *errlog)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/curatord", t_build_abs());
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        /* Not the test's output: a daemon left behind would hold it. */
        if (freopen("/dev/null", "w", stdout) == NULL
            || freopen(errlog ? errlog : "/dev/null", "a", stderr) == NULL)
            _exit(126);
        execl(path, path, "-c", config, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        live = pid;
    return pid;
}

void
t_daemon_started(pid_t pid)
{
    live = pid;
}

int
t_daemon_wait(pid_t pid, int ms)
{
    long long end = t_now_ms() + ms;
    do {
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            if (pid == live)
                live = 0;
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        }
        t_sleep_ms(5);
    } while (t_now_ms() < end);
    return -1;
}

int
t_daemon_teardown(void **state)
{
    (void)state;
    if (live > 0) {
        kill(live, SIGKILL);
        waitpid(live, NULL, 0);
        live = 0;
    }
    return 0;
}
