/* curatord's signals: the handlers only set flags (and poke a pipe), the
 * main loop acts on them. TERM and INT stop the daemon; HUP reopens the
 * log and reloads the config. A watchdog thread bounds the stop: when the
 * work in flight (a slow filter, an SMTP server that does not answer, a
 * database locked by someone else) has not let the loop end within
 * DAEMON_STOP_GRACE_MS, or a second TERM or INT comes, it logs that and
 * ends the process. That is safe by design: everything the daemon does is
 * committed in transactions that a kill leaves whole or undone, and the
 * work not done stays due for the next start. */
#define _GNU_SOURCE     /* ppoll(), pipe2() */
#include "daemon.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t daemon_stop;
volatile sig_atomic_t daemon_hup;

/* The handlers write 's' here for each stop signal; signals_stop()
 * writes 'q' when the orderly shutdown is done. */
static int wake[2] = { -1, -1 };
static pthread_t watchdog_thread;
static int watchdog_started;
static sigset_t handled_set;

static void
on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP) {
        daemon_hup = 1;
    } else {
        daemon_stop = 1;
        if (wake[1] >= 0 && write(wake[1], "s", 1) < 0) {
            /* A full pipe already holds a wake-up. */
        }
    }
    errno = saved;
}

static long long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One byte from the pipe, waiting at most 'ms' (-1: no limit); 0 when
 * the time ran out. */
static char
next_event(int ms)
{
    long long end = mono_ms() + ms;
    for (;;) {
        struct pollfd p = { .fd = wake[0], .events = POLLIN };
        int left = ms < 0 ? -1 : (int)(end - mono_ms());
        if (ms >= 0 && left <= 0)
            return 0;
        int r = poll(&p, 1, left);
        if (r < 0 && errno != EINTR)
            return 'q';
        if (r > 0) {
            char c;
            ssize_t n = read(wake[0], &c, 1);
            if (n == 1)
                return c;
            if (n == 0 || (errno != EINTR && errno != EAGAIN))
                return 'q';
        }
    }
}

static void *
watchdog(void *arg)
{
    (void)arg;
    if (next_event(-1) != 's')
        return NULL;
    switch (next_event(DAEMON_STOP_GRACE_MS)) {
    case 'q':
        return NULL;
    case 's':
        log_warn("curatord stopping now: second stop signal; work in "
                 "flight is abandoned and stays due");
        break;
    default:
        log_warn("curatord stopping now: work in flight did not end "
                 "within %d ms of the stop signal; it is abandoned and "
                 "stays due", DAEMON_STOP_GRACE_MS);
        break;
    }
    /* No exit handlers: the main thread may be inside SQLite or libcurl,
     * and what it has not committed is redone on the next start. */
    _exit(0);
}

int
signals_start(sigset_t *handled, sigset_t *old)
{
    struct sigaction sa = { .sa_handler = on_signal };

    sigemptyset(handled);
    sigaddset(handled, SIGTERM);
    sigaddset(handled, SIGINT);
    sigaddset(handled, SIGHUP);
    /* The handlers run with all three blocked, so they never nest. */
    sa.sa_mask = *handled;
    handled_set = *handled;
    if (pipe2(wake, O_CLOEXEC) != 0) {
        log_err("cannot create the signal pipe err=\"%s\"", strerror(errno));
        return CUR_EIO;
    }
    /* The handler must never block on a full pipe. */
    fcntl(wake[1], F_SETFL, fcntl(wake[1], F_GETFL) | O_NONBLOCK);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Threads started from here on inherit a mask that blocks the
     * handled signals, so they are always delivered to the main thread. */
    pthread_sigmask(SIG_BLOCK, handled, old);
    if (pthread_create(&watchdog_thread, NULL, watchdog, NULL) != 0) {
        log_err("cannot start the shutdown watchdog");
        return CUR_EIO;
    }
    watchdog_started = 1;
    return CUR_OK;
}

void
signals_unblock(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

void
signals_sleep(long seconds, const sigset_t *handled)
{
    sigset_t during;
    struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };

    /* The signals are blocked between the flag check and the wait, and
     * ppoll() unblocks them atomically, so none is missed. */
    pthread_sigmask(SIG_BLOCK, handled, &during);
    if (!daemon_stop && !daemon_hup) {
        sigset_t waitmask = during;
        for (int s = 1; s < NSIG; s++)
            if (sigismember(handled, s))
                sigdelset(&waitmask, s);
        ppoll(NULL, 0, &ts, &waitmask);
    }
    pthread_sigmask(SIG_SETMASK, &during, NULL);
}

void
signals_stop(void)
{
    /* No handler may write to the pipe while it is closed. */
    pthread_sigmask(SIG_BLOCK, &handled_set, NULL);
    if (watchdog_started) {
        if (write(wake[1], "q", 1) < 0) {
            /* Full: the watchdog has bytes to read and will see 'q'
             * after them, or end the process on its own. */
        }
        pthread_join(watchdog_thread, NULL);
        watchdog_started = 0;
    }
    for (int i = 0; i < 2; i++) {
        if (wake[i] >= 0)
            close(wake[i]);
        wake[i] = -1;
    }
}
