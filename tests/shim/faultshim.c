/* An LD_PRELOAD shim that lets the integration tests inject faults into
 * the real curatord without touching its code. Everything is off unless
 * its environment variable is set:
 *
 *   CURATOR_SHIM_FAIL=TEXT       write(), pwrite(), writev(), pwritev(),
 *                                fsync() and fdatasync() on a file whose
 *                                path contains TEXT fail (a full disk);
 *   CURATOR_SHIM_FAIL_SWITCH=F   ... only while the file F exists, so a
 *                                test can fill and free the disk at will;
 *   CURATOR_SHIM_FAIL_AFTER=N    ... after N matching calls succeeded;
 *   CURATOR_SHIM_FAIL_COUNT=K    ... K times, then never again;
 *   CURATOR_SHIM_FAIL_ERRNO=E    ENOSPC (default), EIO or EDQUOT;
 *   CURATOR_SHIM_CLOCK=F         the wall clock (time(), gettimeofday(),
 *                                clock_gettime() REALTIME) runs ahead by
 *                                the number of seconds written in F, read
 *                                again every 100 ms, so a test can let
 *                                days pass; the monotonic clock is left
 *                                alone;
 *   CURATOR_SHIM_DNS_DELAY=H=MS  getaddrinfo() for host H first sleeps
 *                                MS milliseconds (a hanging resolver);
 *   CURATOR_SHIM_DNS_INVALID=1   getaddrinfo() answers EAI_NONAME for
 *                                names under .invalid without asking the
 *                                resolver (RFC 6761 says so; glibc would
 *                                send the query), so no test traffic
 *                                leaves the machine.
 *
 * Each injected failure is counted in the file named by
 * CURATOR_SHIM_FAIL_LOG (one byte appended per failure) when set, so a
 * test can tell that its fault really happened. The shim is built
 * without sanitizers; under ASan set ASAN_OPTIONS=verify_asan_link_order=0.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -O1 -g -fPIC -shared
 *        tests/shim/faultshim.c -o BUILD/tests/shim/faultshim.so -ldl
 */
#define _GNU_SOURCE     /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CLOCK_REREAD_NS 100000000LL

static const char *fail_text;
static const char *fail_switch;
static const char *fail_log;
static long fail_after;
static long fail_count = -1;    /* -1: no end */
static int fail_errno = ENOSPC;
static const char *clock_file;
static char dns_host[256];
static long dns_delay_ms;
static int dns_invalid;

static long matched;            /* matching calls while active */
static long failed;

static long long clock_offset;
static long long clock_read_at = -CLOCK_REREAD_NS;

__attribute__((constructor)) static void
shim_init(void)
{
    const char *v;

    fail_text = getenv("CURATOR_SHIM_FAIL");
    if (fail_text && fail_text[0] == '\0')
        fail_text = NULL;
    fail_switch = getenv("CURATOR_SHIM_FAIL_SWITCH");
    fail_log = getenv("CURATOR_SHIM_FAIL_LOG");
    if ((v = getenv("CURATOR_SHIM_FAIL_AFTER")) != NULL)
        fail_after = strtol(v, NULL, 10);
    if ((v = getenv("CURATOR_SHIM_FAIL_COUNT")) != NULL)
        fail_count = strtol(v, NULL, 10);
    if ((v = getenv("CURATOR_SHIM_FAIL_ERRNO")) != NULL)
        fail_errno = strcmp(v, "EIO") == 0 ? EIO
                     : strcmp(v, "EDQUOT") == 0 ? EDQUOT : ENOSPC;
    clock_file = getenv("CURATOR_SHIM_CLOCK");
    dns_invalid = getenv("CURATOR_SHIM_DNS_INVALID") != NULL;
    if ((v = getenv("CURATOR_SHIM_DNS_DELAY")) != NULL) {
        const char *eq = strchr(v, '=');
        if (eq && (size_t)(eq - v) < sizeof dns_host) {
            memcpy(dns_host, v, (size_t)(eq - v));
            dns_host[eq - v] = '\0';
            dns_delay_ms = strtol(eq + 1, NULL, 10);
        }
    }
}

/* The next definition of 'name' after this library's. */
static void *
next_sym(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (p == NULL) {
        p = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    }
    return p;
}

/* Declares real_NAME, the next NAME, of type NAME_fn. */
#define REAL(name) \
    static void *real_##name##_slot; \
    name##_fn real_##name = (name##_fn)next_sym(&real_##name##_slot, #name)

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*fsync_fn)(int);
typedef int (*fdatasync_fn)(int);
typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*getaddrinfo_fn)(const char *, const char *,
                              const struct addrinfo *, struct addrinfo **);

/* Whether this call on 'fd' fails; sets errno when it does. The path is
 * read from /proc on every call: slow, but only tests load the shim. */
static int
should_fail(int fd)
{
    char link[64], path[4096];
    ssize_t n;

    if (fail_text == NULL)
        return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = '\0';
    if (strstr(path, fail_text) == NULL)
        return 0;
    if (fail_switch && access(fail_switch, F_OK) != 0)
        return 0;
    if (__atomic_add_fetch(&matched, 1, __ATOMIC_SEQ_CST) <= fail_after)
        return 0;
    if (fail_count >= 0
        && __atomic_add_fetch(&failed, 1, __ATOMIC_SEQ_CST) > fail_count)
        return 0;
    if (fail_log) {
        int lfd = open(fail_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                       0600);
        if (lfd >= 0) {
            REAL(write);
            if (real_write(lfd, "x", 1) < 0)
                fail_log = NULL;
            close(lfd);
        }
    }
    errno = fail_errno;
    return 1;
}

ssize_t
write(int fd, const void *buf, size_t len)
{
    REAL(write);
    if (should_fail(fd))
        return -1;
    return real_write(fd, buf, len);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
    REAL(pwrite);
    if (should_fail(fd))
        return -1;
    return real_pwrite(fd, buf, len, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    REAL(pwrite64);
    if (should_fail(fd))
        return -1;
    return real_pwrite64(fd, buf, len, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int n)
{
    REAL(writev);
    if (should_fail(fd))
        return -1;
    return real_writev(fd, iov, n);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    REAL(pwritev);
    if (should_fail(fd))
        return -1;
    return real_pwritev(fd, iov, n, off);
}

int
fsync(int fd)
{
    REAL(fsync);
    if (should_fail(fd))
        return -1;
    return real_fsync(fd);
}

int
fdatasync(int fd)
{
    REAL(fdatasync);
    if (should_fail(fd))
        return -1;
    return real_fdatasync(fd);
}

/* ---- the wall clock ---- */

static int
real_clock(clockid_t id, struct timespec *ts)
{
    REAL(clock_gettime);
    return real_clock_gettime(id, ts);
}

/* The offset in seconds, from CURATOR_SHIM_CLOCK, cached 100 ms. */
static long long
offset(void)
{
    struct timespec now;
    long long ns, last;

    if (clock_file == NULL || real_clock(CLOCK_MONOTONIC, &now) != 0)
        return 0;
    ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
    last = __atomic_load_n(&clock_read_at, __ATOMIC_ACQUIRE);
    if (ns - last >= CLOCK_REREAD_NS) {
        char text[64];
        ssize_t n = -1;
        int fd = open(clock_file, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            n = read(fd, text, sizeof text - 1);
            close(fd);
        }
        if (n > 0) {
            text[n] = '\0';
            __atomic_store_n(&clock_offset, strtoll(text, NULL, 10),
                             __ATOMIC_RELEASE);
        }
        __atomic_store_n(&clock_read_at, ns, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&clock_offset, __ATOMIC_ACQUIRE);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = real_clock(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += (time_t)offset();
    return rc;
}

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timespec ts;
    (void)tz;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t
time(time_t *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (time_t)-1;
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}

/* ---- name resolution ---- */

int
getaddrinfo(const char *node, const char *service,
            const struct addrinfo *hints, struct addrinfo **res)
{
    REAL(getaddrinfo);
    if (dns_delay_ms > 0 && node && strcmp(node, dns_host) == 0) {
        struct timespec ts = { dns_delay_ms / 1000,
                               (dns_delay_ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    if (dns_invalid && node) {
        size_t n = strlen(node);
        if (n >= 8 && strcasecmp(node + n - 8, ".invalid") == 0)
            return EAI_NONAME;
    }
    return real_getaddrinfo(node, service, hints, res);
}
