/* The parse worker pool (worker.h): the spawner process and its control
 * protocol, the workers' serving loop, and the client side that hands a
 * document to a worker and reads back what it says as untrusted bytes.
 * Parsing and sanitising themselves are parse.c and feed_sanitize(). */
#define _GNU_SOURCE     /* close_range, MSG_CMSG_CLOEXEC */
#include "worker.h"
#include "buf.h"
#include "encoding.h"
#include "err.h"
#include "feed_wire.h"
#include "log.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKER_CHUNK (256u << 10)       /* document bytes per DATA frame */
#define WORKER_FRAME_IN_MAX (1u << 20)  /* largest frame a worker reads */
#define WORKER_REPLY_MAX (512u << 20)   /* largest reply the pool reads */
#define WORKER_ERROR_MAX 1024           /* largest ERROR payload */
#define WORKER_SOCKBUF (1 << 20)        /* socket buffers of a channel */
#define WORKER_HELLO_SECONDS 10.0
#define WORKER_CTL_SECONDS 30.0
#define WORKER_KIDS_MAX (2 * WORKER_MAX)
#define WORKER_HEAP_KEEP (16 << 20)     /* free heap a worker keeps */
#define WORKER_RX_KEEP (1u << 20)       /* reply buffer a slot keeps */
#define WORKER_RX_FIRST (64u << 10)     /* read before a reply's length is
                                           known */

enum { CTL_SPAWN = 1, CTL_REAP = 2 };

/* One message each way on the spawner's control socket (SEQPACKET). A
 * SPAWN reply carries the worker's channel as SCM_RIGHTS. */
struct ctl_msg {
    int32_t op;
    int32_t pid;
    int32_t status;         /* REAP: the wait status */
    int32_t err;            /* errno; 0: done */
    char msg[200];          /* why, when the spawner could not confine
                               itself */
};

struct slot {
    pid_t pid;              /* 0: no worker */
    int fd;                 /* its channel; -1 with pid 0 */
    int busy;
    int started;            /* a worker ran here before */
    double busy_since;
    unsigned long jobs;
    struct buf rx;          /* replies are read into this, kept between
                               jobs up to WORKER_RX_KEEP */
};

struct worker_pool {
    pthread_mutex_t mu;     /* slots' busy flags, pids and counters */
    pthread_cond_t cv;      /* a slot became free */
    pthread_mutex_t ctl_mu; /* one exchange with the spawner at a time */
    int ctl;
    pid_t spawner;
    unsigned n;
    unsigned turn;          /* where checkout() looks first */
    double cpu_limit;       /* per job; 0: from the parse budget */
    struct slot slots[WORKER_MAX];
    unsigned long jobs, failed, restarts;
};

static double
mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The hard CPU limit of one job: the parser stops itself at its budget,
 * and sanitising gets as much again, plus a second for the rest. */
static double
job_cpu_limit(double cpu_limit, double parse_budget)
{
    if (cpu_limit > 0)
        return cpu_limit;
    if (parse_budget <= 0)
        parse_budget = 5.0;
    return 2 * parse_budget + 1;
}

static const char *
signal_name(int sig)
{
    switch (sig) {
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGTERM: return "SIGTERM";
    case SIGSYS: return "SIGSYS";
    case SIGPROF: return "SIGPROF";
    case SIGXCPU: return "SIGXCPU";
    default: return NULL;
    }
}

/* ======================================================================
 * The worker: one document at a time, confined. Blocking I/O: it has
 * nothing else to do.
 * ==================================================================== */

static int
write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* An ERROR or HELLO frame, built on the stack: it must go out even when
 * memory has run out. */
static void
send_small(int fd, enum feed_wire_type type, int code, const char *msg)
{
    unsigned char f[FEED_WIRE_HEADER + 8 + 512];
    size_t n = msg ? strnlen(msg, 511) : 0, len = 0;
    uint32_t v[2] = { (uint32_t)code, (uint32_t)n };

    if (type == FEED_WIRE_ERROR) {
        for (int w = 0; w < 2; w++)
            for (int i = 0; i < 4; i++)
                f[FEED_WIRE_HEADER + len++] = (unsigned char)(v[w] >> (8 * i));
    }
    memcpy(f + FEED_WIRE_HEADER + len, msg ? msg : "", n);
    len += n;
    for (int i = 0; i < 4; i++)
        f[i] = (unsigned char)(len >> (8 * i));
    f[4] = (unsigned char)type;
    if (write_full(fd, f, FEED_WIRE_HEADER + len) != 0)
        _exit(3);
}

struct wjob {
    int active;
    struct feed_wire_request rq;
    struct parser *parser;
    int rc;
    char why[256];
};

static void
wjob_fail(struct wjob *j, int rc, const char *why)
{
    if (j->rc != CUR_OK)
        return;
    j->rc = rc;
    snprintf(j->why, sizeof j->why, "%s", why ? why : cur_strerror(rc));
}

/* The reply to END: the feed, or why not. */
static void
wjob_finish(int fd, struct wjob *j, size_t mem_limit, struct buf *out)
{
    struct feed *f = NULL;
    int rc = j->rc;

    if (rc == CUR_OK)
        rc = parser_finish(j->parser, &f, j->why, sizeof j->why);
    parser_free(j->parser);
    j->parser = NULL;
    if (rc == CUR_OK) {
        struct sanitize_opts so = j->rq.sanitize;
        size_t text_max = j->rq.text_max ? j->rq.text_max
                                         : SANITIZE_TEXT_MAX;
        if (feed_sanitize(f, &so, text_max) != 0)
            rc = CUR_ENOMEM;
    }
    if (rc == CUR_OK) {
        /* The header goes first, its length patched in after. */
        buf_reset(out);
        rc = buf_append(out, "\0\0\0\0\0", FEED_WIRE_HEADER);
        if (rc == CUR_OK)
            rc = feed_wire_put_feed(out, f);
        if (rc == CUR_OK && out->len - FEED_WIRE_HEADER > WORKER_REPLY_MAX) {
            rc = CUR_ETOOBIG;
            snprintf(j->why, sizeof j->why, "the parsed feed is over %u "
                     "MiB", WORKER_REPLY_MAX >> 20);
        }
    }
    feed_free(f);
    if (rc == CUR_ENOMEM) {
        if (mem_limit > 0 && sandbox_strict())
            snprintf(j->why, sizeof j->why, "out of memory (the worker's "
                     "limit is %zu MiB)", mem_limit >> 20);
        else
            snprintf(j->why, sizeof j->why, "out of memory");
    }
    if (rc == CUR_OK) {
        size_t len = out->len - FEED_WIRE_HEADER;
        for (int i = 0; i < 4; i++)
            out->data[i] = (char)(unsigned char)(len >> (8 * i));
        out->data[4] = FEED_WIRE_FEED;
        if (write_full(fd, out->data, out->len) != 0)
            _exit(3);
    } else {
        send_small(fd, FEED_WIRE_ERROR, rc, j->why[0] ? j->why
                                                      : cur_strerror(rc));
    }
    /* A large reply's memory goes back rather than staying with us. */
    if (out->cap > WORKER_FRAME_IN_MAX)
        buf_free(out);
    feed_wire_request_clear(&j->rq);
    j->active = 0;
}

/* The worker's input side: frames taken from a buffer that each read
 * fills as far as it can, so that a small document's request, body and
 * end, sent together, come in with one read rather than two per frame.
 * Room for two of the largest frames keeps the moves of a frame cut by
 * the buffer's end rare. */
#define WORKER_RBUF (2 * (WORKER_FRAME_IN_MAX + FEED_WIRE_HEADER))

struct rbuf {
    int fd;
    char *p;                /* WORKER_RBUF bytes */
    size_t lo, hi;          /* the bytes read and not yet used */
};

/* Have n bytes (at most WORKER_RBUF) at p + lo. 0: done, 1: end of file
 * before any of them, -1: error or cut. */
static int
rbuf_fill(struct rbuf *r, size_t n)
{
    if (r->hi - r->lo >= n)
        return 0;
    if (r->lo == r->hi) {
        r->lo = r->hi = 0;
    } else if (WORKER_RBUF - r->lo < n) {
        memmove(r->p, r->p + r->lo, r->hi - r->lo);
        r->hi -= r->lo;
        r->lo = 0;
    }
    while (r->hi - r->lo < n) {
        ssize_t k = read(r->fd, r->p + r->hi, WORKER_RBUF - r->hi);
        if (k > 0)
            r->hi += (size_t)k;
        else if (k == 0)
            return r->hi == r->lo ? 1 : -1;
        else if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Serve until the channel closes. A frame out of order means the pool
 * is confused or the channel broken: exit, and the pool says so. */
static void __attribute__((noreturn))
worker_serve(struct rbuf *in, size_t mem_limit, double cpu_limit)
{
    struct buf out;
    struct wjob j = { 0 };
    int fd = in->fd;

    buf_init(&out, 0);
    for (;;) {
        uint32_t len;
        unsigned type;
        int r = rbuf_fill(in, FEED_WIRE_HEADER);
        if (r == 1)
            _exit(0);
        if (r != 0)
            _exit(3);
        feed_wire_get_header((const unsigned char *)in->p + in->lo, &len,
                             &type);
        in->lo += FEED_WIRE_HEADER;
        if (len > WORKER_FRAME_IN_MAX)
            _exit(2);
        if (rbuf_fill(in, len) != 0)
            _exit(3);
        const char *data = in->p + in->lo;
        in->lo += len;
        switch (type) {
        case FEED_WIRE_BEGIN:
            if (j.active
                || feed_wire_get_request(data, len, &j.rq) != CUR_OK)
                _exit(2);
            j.active = 1;
            j.rc = CUR_OK;
            j.why[0] = '\0';
            j.rq.parse.on_item = NULL;
            sandbox_cpu_timer(job_cpu_limit(cpu_limit,
                                            j.rq.parse.cpu_seconds));
            r = parser_new(&j.rq.parse, &j.parser);
            if (r != CUR_OK)
                wjob_fail(&j, r, NULL);
            break;
        case FEED_WIRE_DATA:
            if (!j.active)
                _exit(2);
            if (j.rc == CUR_OK && len > 0) {
                r = parser_push(j.parser, data, len);
                if (r != CUR_OK)
                    wjob_fail(&j, r, NULL);
            }
            break;
        case FEED_WIRE_END:
            if (!j.active)
                _exit(2);
            wjob_finish(fd, &j, mem_limit, &out);
            sandbox_cpu_timer(0);
            break;
        default:
            _exit(2);
        }
    }
}

/* ======================================================================
 * The spawner: single-threaded, no database, confined; forks workers.
 * ==================================================================== */

static size_t spawner_vm_base;
static size_t spawner_mem_limit;
static double spawner_cpu_limit;
static char spawner_why[200];   /* why it could not confine itself */

/* Decoders kept open for the life of the spawner and its workers: glibc
 * loads a converter module from disk on first use and may unload it when
 * no descriptor needs it, and a confined worker cannot load it again. */
static const char *const warm_encodings[] = {
    "IBM866", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
    "ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-8-I",
    "ISO-8859-10", "ISO-8859-13", "ISO-8859-14", "ISO-8859-15",
    "ISO-8859-16", "KOI8-R", "KOI8-U", "macintosh", "windows-874",
    "windows-1250", "windows-1251", "windows-1252", "windows-1253",
    "windows-1254", "windows-1255", "windows-1256", "windows-1257",
    "windows-1258", "x-mac-cyrillic", "GBK", "gb18030", "Big5", "EUC-JP",
    "ISO-2022-JP", "Shift_JIS", "EUC-KR", "UTF-16BE", "UTF-16LE",
};
static struct encoding_decoder *warm_decoders[sizeof warm_encodings
                                              / sizeof warm_encodings[0]];

/* Run every part of parsing once while files can still be opened:
 * libxml2's set-up, the JSON parser's hash seed (from /dev/urandom), the
 * HTML sanitiser, the character converters. */
static void
warm_up(void)
{
    static const char *const docs[] = {
        "<?xml version=\"1.0\" encoding=\"windows-1252\"?>"
        "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/"
        "modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<channel><title>w</title><link>http://w.example/</link><ttl>5"
        "</ttl><skipHours><hour>1</hour></skipHours><item><title>a &amp; "
        "\xe9</title><link>/a</link><dc:creator>x</dc:creator><category>c"
        "</category><pubDate>Tue, 03 Nov 2026 09:30:00 +0100</pubDate>"
        "<enclosure url=\"/e.mp3\" type=\"audio/mpeg\" length=\"1\"/>"
        "<description>&lt;p&gt;x&lt;/p&gt;</description><content:encoded>"
        "<![CDATA[<p>a <a href=\"/b\">b</a> <img src=\"data:image/png;"
        "base64,iVBORw0KGgo=\"> <ul><li>i</li></ul><table><tr><td>t</td>"
        "</tr></table><script>x</script></p>]]></content:encoded></item>"
        "</channel></rss>",
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" "
        "xml:base=\"http://w.example/\" xml:lang=\"en\"><title type=\"html\">"
        "w</title><updated>2026-11-03T09:30:00Z</updated><entry><id>x</id>"
        "<title>t</title><updated>2026-11-03T09:30:00+02:00</updated>"
        "<author><name>n</name><email>e@w.example</email></author><content "
        "type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x"
        "</p></div></content></entry></feed>",
        "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": "
        "\"w\", \"items\": [{\"id\": \"1\", \"content_html\": \"<p>x</p>\", "
        "\"date_published\": \"2026-11-03T09:30:00Z\", \"tags\": [\"t\"]}]}",
    };
    struct sanitize_opts so;

    sanitize_opts_init(&so, SANITIZE_WEB);
    so.base_url = "http://w.example/";
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct feed *f = NULL;
        if (parse_feed(docs[i], strlen(docs[i]), NULL, &f, NULL, 0)
            == CUR_OK)
            feed_sanitize(f, &so, SANITIZE_TEXT_MAX);
        feed_free(f);
    }
    for (size_t i = 0; i < sizeof warm_encodings / sizeof warm_encodings[0];
         i++)
        warm_decoders[i] = encoding_decoder_new(warm_encodings[i]);
}

/* Close every descriptor but 0-2 and 'keep'. */
static void
close_others(int keep)
{
    if ((keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0)
        && close_range((unsigned)keep + 1, ~0U, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = 3; fd < max; fd++)
        if (fd != keep)
            close(fd);
}

static void
worker_start(int fd, pid_t spawner)
{
    char why[200];

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != spawner)
        _exit(0);
    /* Each job frees all it allocated: by default glibc would hand the
     * heap back after each one and fault it in again for the next, a
     * tenth of the parse time on small feeds. Keep some of it, and take
     * buffers up to WORKER_HEAP_KEEP from the heap, not fresh mmaps. */
    mallopt(M_MMAP_THRESHOLD, WORKER_HEAP_KEEP);
    mallopt(M_TRIM_THRESHOLD, WORKER_HEAP_KEEP);
    struct sandbox_cfg sc = {
        .profile = SANDBOX_PARSER, .mem_limit = spawner_mem_limit,
        .vm_base = spawner_vm_base,
    };
    if (sandbox_enter(&sc, why, sizeof why) != CUR_OK) {
        send_small(fd, FEED_WIRE_HELLO, 0, why);
        _exit(1);
    }
    /* Allocated now, so that no frame waits for memory the parser may
     * have taken. */
    struct rbuf in = { .fd = fd, .p = malloc(WORKER_RBUF) };
    if (in.p == NULL) {
        send_small(fd, FEED_WIRE_HELLO, 0, "out of memory");
        _exit(1);
    }
    send_small(fd, FEED_WIRE_HELLO, 0, NULL);
    worker_serve(&in, spawner_mem_limit, spawner_cpu_limit);
}

static int
reply_ctl(int ctl, const struct ctl_msg *m, int fd)
{
    struct iovec iov = { (void *)m, sizeof *m };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    while (sendmsg(ctl, &mh, MSG_NOSIGNAL) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static void
spawn_one(int ctl, pid_t *kids, size_t *n_kids)
{
    struct ctl_msg m = { .op = CTL_SPAWN };
    int sv[2];

    if (spawner_why[0]) {
        m.err = EPERM;
        snprintf(m.msg, sizeof m.msg, "%s", spawner_why);
        reply_ctl(ctl, &m, -1);
        return;
    }
    if (*n_kids == WORKER_KIDS_MAX) {
        m.err = EAGAIN;
        reply_ctl(ctl, &m, -1);
        return;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        m.err = errno;
        reply_ctl(ctl, &m, -1);
        return;
    }
    int size = WORKER_SOCKBUF;
    for (int i = 0; i < 2; i++) {
        setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    pid_t me = getpid(), pid = fork();
    if (pid == 0) {
        close(ctl);
        close(sv[0]);
        worker_start(sv[1], me);
        _exit(1);
    }
    if (pid < 0) {
        m.err = errno;
    } else {
        kids[(*n_kids)++] = pid;
        m.pid = pid;
    }
    reply_ctl(ctl, &m, pid > 0 ? sv[0] : -1);
    close(sv[0]);
    close(sv[1]);
}

static void
reap_one(int ctl, pid_t pid, pid_t *kids, size_t *n_kids)
{
    struct ctl_msg m = { .op = CTL_REAP, .pid = pid, .err = ECHILD };
    for (size_t i = 0; i < *n_kids; i++) {
        if (kids[i] != pid)
            continue;
        int st = 0;
        pid_t r;
        while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
            ;
        if (r == pid) {
            m.err = 0;
            m.status = st;
        }
        kids[i] = kids[--*n_kids];
        break;
    }
    reply_ctl(ctl, &m, -1);
}

static void __attribute__((noreturn))
spawner_main(int ctl, pid_t parent)
{
    pid_t kids[WORKER_KIDS_MAX];
    size_t n_kids = 0;
    struct sigaction sa = { .sa_handler = SIG_IGN };
    sigset_t none;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    /* Signals to the daemon's process group are not for us: we end when
     * the daemon closes our socket, or dies. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);  /* keep zombies: pids stay ours */
    sigaction(SIGPROF, &sa, NULL);  /* the job CPU timer ends a worker */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* The daemon's log file is not ours to write. */
    log_close();
    if (ctl < 3) {
        int moved = fcntl(ctl, F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
            _exit(1);
        close(ctl);
        ctl = moved;
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        if (null > 2)
            close(null);
    }
    close_others(ctl);
    warm_up();
    spawner_vm_base = sandbox_vm_size();
    struct sandbox_cfg sc = { .profile = SANDBOX_SPAWNER };
    if (sandbox_enter(&sc, spawner_why, sizeof spawner_why) != CUR_OK
        && spawner_why[0] == '\0')
        snprintf(spawner_why, sizeof spawner_why, "sandbox failed");

    for (;;) {
        struct ctl_msg m;
        ssize_t k = recv(ctl, &m, sizeof m, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k != (ssize_t)sizeof m)
            break;
        if (m.op == CTL_SPAWN)
            spawn_one(ctl, kids, &n_kids);
        else if (m.op == CTL_REAP)
            reap_one(ctl, m.pid, kids, &n_kids);
        else
            break;
    }
    for (size_t i = 0; i < n_kids; i++)
        kill(kids[i], SIGKILL);
    for (size_t i = 0; i < n_kids; i++)
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
    _exit(0);
}

/* ======================================================================
 * The pool, in the daemon.
 * ==================================================================== */

/* Wait until fd is ready for 'events' or the deadline passes (errno
 * ETIMEDOUT). */
static int
wait_fd(int fd, short events, double deadline)
{
    for (;;) {
        double left = deadline - mono();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pf = { .fd = fd, .events = events };
        int ms = left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1;
        int n = poll(&pf, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* One request and its reply on the control socket. A spawner that does
 * not answer in WORKER_CTL_SECONDS is cut off (its socket closed, which
 * ends it and its workers): a late answer would be taken for the next
 * one. */
static int
ctl_call(struct worker_pool *p, struct ctl_msg *m, int *fd)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { m, sizeof *m };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = cbuf, .msg_controllen = sizeof cbuf,
    };
    int op = m->op, rc = -1;
    ssize_t k;

    if (fd)
        *fd = -1;
    pthread_mutex_lock(&p->ctl_mu);
    if (p->ctl < 0)
        goto out;
    while ((k = send(p->ctl, m, sizeof *m, MSG_NOSIGNAL)) < 0
           && errno == EINTR)
        ;
    if (k != (ssize_t)sizeof *m)
        goto out;
    if (wait_fd(p->ctl, POLLIN, mono() + WORKER_CTL_SECONDS) != 0) {
        log_err("parse worker spawner did not answer in %g s; cut off",
                WORKER_CTL_SECONDS);
        close(p->ctl);
        p->ctl = -1;
        goto out;
    }
    while ((k = recvmsg(p->ctl, &mh, MSG_CMSG_CLOEXEC)) < 0
           && errno == EINTR)
        ;
    if (k != (ssize_t)sizeof *m || m->op != op)
        goto out;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
            && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd && *fd < 0)
                *fd = got;
            else
                close(got);
        }
    rc = 0;
out:
    pthread_mutex_unlock(&p->ctl_mu);
    if (rc != 0 && fd && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

/* Send the n buffers of v (changed on the way) before the deadline. */
static int
send_all(int fd, struct iovec *v, size_t cnt, double deadline)
{
    while (cnt > 0 && v->iov_len == 0) {
        v++;
        cnt--;
    }
    while (cnt > 0) {
        struct msghdr mh = { .msg_iov = v, .msg_iovlen = cnt };
        ssize_t k = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK)
                && wait_fd(fd, POLLOUT, deadline) == 0)
                continue;
            return -1;
        }
        size_t done = (size_t)k;
        while (cnt > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            cnt--;
        }
        if (cnt > 0) {
            v->iov_base = (char *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return 0;
}

/* 0: read, 1: end of file, -1: error (errno; ETIMEDOUT past the
 * deadline). */
static int
recv_all(int fd, void *buf, size_t n, double deadline)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = recv(fd, p + got, n - got, MSG_DONTWAIT);
        if (k > 0) {
            got += (size_t)k;
        } else if (k == 0) {
            return 1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(fd, POLLIN, deadline) != 0)
                return -1;
        } else if (errno != EINTR) {
            return -1;
        }
    }
    return 0;
}

/* How a worker ended, for a message: "worker killed by SIGSEGV". */
static void
describe_end(int status, int have, double cpu, char *out, size_t len)
{
    if (!have) {
        snprintf(out, len, "worker ended (status unknown)");
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char *name = signal_name(sig);
        if (sig == SIGPROF || sig == SIGXCPU)
            snprintf(out, len, "worker exceeded its CPU time limit (%g s)",
                     cpu);
        else if (sig == SIGSYS)
            snprintf(out, len, "worker killed by SIGSYS (a system call "
                     "its sandbox forbids)");
        else if (name)
            snprintf(out, len, "worker killed by %s", name);
        else
            snprintf(out, len, "worker killed by signal %d", sig);
    } else if (WIFEXITED(status)) {
        snprintf(out, len, "worker exited with status %d",
                 WEXITSTATUS(status));
    } else {
        snprintf(out, len, "worker ended (status %#x)", (unsigned)status);
    }
}

/* The worker of slot i failed: kill it (it may be alive and hostile),
 * have the spawner reap it, and free the slot for a new one. 'reason'
 * NULL: say how it ended; else say 'reason'. Caller owns the slot. */
static void
slot_kill(struct worker_pool *p, struct slot *s, const char *reason,
          double cpu, char *why, size_t whylen)
{
    struct ctl_msg m = { .op = CTL_REAP, .pid = s->pid };
    char how[160];
    int have;

    /* Never 0 or -1 here: those would signal whole groups. */
    if (s->pid > 0)
        kill(s->pid, SIGKILL);
    have = ctl_call(p, &m, NULL) == 0 && m.err == 0;
    describe_end(m.status, have, cpu, how, sizeof how);
    if (reason)
        snprintf(why, whylen, "%s", reason);
    else
        snprintf(why, whylen, "%s", how);
    log_warn("parse worker failed pid=%ld err=\"%s\" end=\"%s\"; it will "
             "be replaced", (long)s->pid, why, how);
    close(s->fd);
    pthread_mutex_lock(&p->mu);
    s->fd = -1;
    s->pid = 0;
    pthread_mutex_unlock(&p->mu);
}

/* Start a worker in slot s (owned by the caller) and wait for its hello.
 * Returns CUR_OK, or CUR_EIO with 'why'. */
static int
slot_spawn(struct worker_pool *p, struct slot *s, char *why, size_t whylen)
{
    struct ctl_msg m = { .op = CTL_SPAWN };
    int fd;

    if (ctl_call(p, &m, &fd) != 0) {
        snprintf(why, whylen, "the worker spawner is gone");
        log_err("parse worker spawner is gone; parsing fails until "
                "curatord restarts");
        return CUR_EIO;
    }
    if (m.err != 0 || fd < 0 || m.pid <= 0) {
        if (fd >= 0)
            close(fd);
        m.msg[sizeof m.msg - 1] = '\0';
        snprintf(why, whylen, "worker not started: %s", m.msg[0] ? m.msg
                 : strerror(m.err ? m.err : EPROTO));
        log_err("parse worker not started err=\"%s\"", why);
        return CUR_EIO;
    }
    pthread_mutex_lock(&p->mu);
    if (s->started)
        p->restarts++;
    s->started = 1;
    s->pid = m.pid;
    s->fd = fd;
    s->jobs = 0;
    pthread_mutex_unlock(&p->mu);

    unsigned char h[FEED_WIRE_HEADER];
    char msg[200];
    uint32_t len = 0;
    unsigned type = 0;
    double deadline = mono() + WORKER_HELLO_SECONDS;
    int r = recv_all(fd, h, sizeof h, deadline);
    if (r == 0) {
        feed_wire_get_header(h, &len, &type);
        if (type != FEED_WIRE_HELLO || len >= sizeof msg)
            r = -1;
        else if (len > 0)       /* it could not confine itself */
            r = recv_all(fd, msg, len, deadline) == 0 ? 2 : -1;
    }
    if (r == 0)
        return CUR_OK;
    char reason[300];
    if (r == 2) {
        msg[len] = '\0';
        for (uint32_t i = 0; i < len; i++)
            if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7E)
                msg[i] = '?';
        snprintf(reason, sizeof reason, "worker could not confine itself: "
                 "%s", msg);
    } else {
        snprintf(reason, sizeof reason, "worker did not start");
    }
    slot_kill(p, s, r == 2 || r == -1 ? reason : NULL, 0, why, whylen);
    return CUR_EIO;
}

/* Take a free slot, waiting for one: the next in turn, so that work
 * and memory spread over the workers (and one that died idle is found
 * soon); one with a worker before one without. */
static struct slot *
checkout(struct worker_pool *p)
{
    struct slot *s = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        for (unsigned k = 0; k < p->n; k++) {
            struct slot *c = &p->slots[(p->turn + k) % p->n];
            if (c->busy)
                continue;
            if (s == NULL || (s->pid == 0 && c->pid != 0))
                s = c;
        }
        if (s)
            break;
        pthread_cond_wait(&p->cv, &p->mu);
    }
    p->turn = (unsigned)(s - p->slots) + 1;
    s->busy = 1;
    s->busy_since = mono();
    p->jobs++;
    pthread_mutex_unlock(&p->mu);
    return s;
}

static void
checkin(struct worker_pool *p, struct slot *s, int failed)
{
    pthread_mutex_lock(&p->mu);
    s->busy = 0;
    if (failed)
        p->failed++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* An idle worker has nothing to say: if its channel is readable, it died
 * (or misbehaves) while waiting. */
static int
idle_ok(const struct slot *s)
{
    struct pollfd pf = { .fd = s->fd, .events = POLLIN };
    return poll(&pf, 1, 0) == 0;
}

/* The message of an ERROR reply, kept printable and valid UTF-8. */
static void
copy_message(const char *src, size_t n, char *why, size_t whylen)
{
    int utf8 = feed_wire_utf8_ok(src, n);
    size_t o = 0;
    if (whylen == 0)
        return;
    for (size_t i = 0; i < n && o + 1 < whylen; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8))
            c = '?';
        why[o++] = (char)c;
    }
    /* A character cut by the end of 'why' goes whole. */
    while (o > 0 && ((unsigned char)why[o - 1] & 0x80)
           && !feed_wire_utf8_ok(why, o))
        o--;
    why[o] = '\0';
    if (o == 0)
        snprintf(why, whylen, "worker gave no reason");
}

/* Read one reply. Returns CUR_OK with *out, the worker's error code with
 * 'why', or -100 when the worker failed (malformed, cut, silent), with
 * 'reason' set when it was not its death that ended the exchange. */
#define WORKER_BROKEN (-100)

static int
read_reply(struct slot *s, const struct parse_opts *po, double deadline,
           struct feed **out, char *why, size_t whylen, char *reason,
           size_t reasonlen)
{
    struct buf *b = &s->rx;
    size_t total = 0;       /* the reply's size once its header is in */
    uint32_t len = 0;
    unsigned type = 0;
    int rc;

    /* The worker is parsing: wait, then take what has come in as few
     * reads as it allows, the whole reply usually. Memory follows the
     * bytes that arrive, not the length announced. */
    b->len = 0;
    if (wait_fd(s->fd, POLLIN, deadline) != 0)
        goto io;
    while (total == 0 || b->len < total) {
        size_t want = total ? total - b->len : WORKER_RX_FIRST;
        if (want > (8u << 20))
            want = 8u << 20;
        if (b->cap < b->len + want + 1 && buf_reserve(b, want) != CUR_OK) {
            snprintf(why, whylen, "out of memory");
            /* The rest of the reply is still in the channel. */
            snprintf(reason, reasonlen, "out of memory reading a reply");
            return WORKER_BROKEN;
        }
        size_t room = b->cap - b->len - 1;
        if (total && room > total - b->len)
            room = total - b->len;
        ssize_t k = recv(s->fd, b->data + b->len, room, MSG_DONTWAIT);
        if (k == 0) {
            errno = EPIPE;
            goto io;
        }
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK)
                && wait_fd(s->fd, POLLIN, deadline) == 0)
                continue;
            goto io;
        }
        b->len += (size_t)k;
        if (total == 0 && b->len >= FEED_WIRE_HEADER) {
            feed_wire_get_header((const unsigned char *)b->data, &len,
                                 &type);
            if (type == FEED_WIRE_ERROR
                && (len < 8 || len > WORKER_ERROR_MAX)) {
                snprintf(reason, reasonlen, "worker sent a malformed reply "
                         "(error of %u bytes)", len);
                return WORKER_BROKEN;
            }
            if (type != FEED_WIRE_ERROR && type != FEED_WIRE_FEED) {
                snprintf(reason, reasonlen, "worker sent a malformed reply "
                         "(frame type %u)", type);
                return WORKER_BROKEN;
            }
            if (len > WORKER_REPLY_MAX) {
                snprintf(reason, reasonlen, "worker sent a malformed reply "
                         "(%u bytes, over %u MiB)", len,
                         WORKER_REPLY_MAX >> 20);
                return WORKER_BROKEN;
            }
            total = FEED_WIRE_HEADER + (size_t)len;
        }
    }
    /* One reply per request: anything after it is the worker's fault. */
    if (b->len > total) {
        snprintf(reason, reasonlen, "worker sent a malformed reply (bytes "
                 "after it)");
        return WORKER_BROKEN;
    }
    const char *msg = b->data + FEED_WIRE_HEADER;
    if (type == FEED_WIRE_ERROR) {
        int32_t code = (int32_t)((uint32_t)(unsigned char)msg[0]
                                 | (uint32_t)(unsigned char)msg[1] << 8
                                 | (uint32_t)(unsigned char)msg[2] << 16
                                 | (uint32_t)(unsigned char)msg[3] << 24);
        uint32_t n = (uint32_t)(unsigned char)msg[4]
                     | (uint32_t)(unsigned char)msg[5] << 8
                     | (uint32_t)(unsigned char)msg[6] << 16
                     | (uint32_t)(unsigned char)msg[7] << 24;
        if (n != len - 8) {
            snprintf(reason, reasonlen, "worker sent a malformed reply "
                     "(error message length)");
            return WORKER_BROKEN;
        }
        copy_message(msg + 8, n, why, whylen);
        /* Only the parser's own errors pass through. */
        switch (code) {
        case CUR_EPARSE: case CUR_EUNSUPPORTED: case CUR_EENCODING:
        case CUR_ETOOBIG: case CUR_ENOMEM: case CUR_EINVAL:
            rc = code;
            break;
        default:
            rc = CUR_EPARSE;
            break;
        }
    } else {
        char err[128];
        struct feed_wire_limits lim = { .max_items = po->max_items };
        rc = feed_wire_get_feed(msg, len, &lim, out, err, sizeof err);
        if (rc == CUR_ENOMEM) {
            snprintf(why, whylen, "out of memory");
        } else if (rc != CUR_OK) {
            snprintf(reason, reasonlen, "worker sent a malformed reply "
                     "(%s)", err);
            rc = WORKER_BROKEN;
        }
    }
    return rc;
io:
    if (errno == ETIMEDOUT)
        snprintf(reason, reasonlen, "worker timed out");
    return WORKER_BROKEN;
}

int
worker_parse(struct worker_pool *p, const struct parse_opts *po,
             const struct sanitize_opts *so, size_t text_max,
             const char *body, size_t len, struct feed **out, char *why,
             size_t whylen)
{
    struct slot *s = checkout(p);
    double cpu = job_cpu_limit(p->cpu_limit, po->cpu_seconds);
    double wall = 2 * cpu + 10;
    char reason[200] = "";
    struct buf req;
    int rc;

    *out = NULL;
    if (s->pid != 0 && !idle_ok(s))
        slot_kill(p, s, NULL, cpu, why, whylen);
    if (s->pid == 0 && (rc = slot_spawn(p, s, why, whylen)) != CUR_OK) {
        checkin(p, s, 1);
        return rc;
    }
    buf_init(&req, 0);
    rc = feed_wire_put_header(&req, FEED_WIRE_BEGIN, 0);
    if (rc == CUR_OK)
        rc = feed_wire_put_request(&req, po, so, text_max);
    if (rc != CUR_OK) {
        snprintf(why, whylen, "%s", cur_strerror(rc));
        checkin(p, s, 0);
        return rc;
    }
    /* The BEGIN payload's length, now that it is known. */
    size_t plen = req.len - FEED_WIRE_HEADER;
    for (int i = 0; i < 4; i++)
        req.data[i] = (char)(unsigned char)(plen >> (8 * i));

    /* The request, the body in chunks and the end, in as few sends as
     * the chunks allow: a small document wakes the worker once. */
    double deadline = mono() + wall;
    unsigned char end[FEED_WIRE_HEADER] = { 0, 0, 0, 0, FEED_WIRE_END };
    size_t off = 0;
    int ok = 1, first = 1;
    do {
        size_t n = len - off < WORKER_CHUNK ? len - off : WORKER_CHUNK;
        unsigned char h[FEED_WIRE_HEADER] = {
            (unsigned char)n, (unsigned char)(n >> 8),
            (unsigned char)(n >> 16), (unsigned char)(n >> 24),
            FEED_WIRE_DATA
        };
        struct iovec v[4] = {
            { req.data, first ? req.len : 0 },
            { h, n ? sizeof h : 0 },
            { n ? (void *)(body + off) : NULL, n },
            { end, off + n == len ? sizeof end : 0 },
        };
        ok = send_all(s->fd, v, 4, deadline) == 0;
        off += n;
        first = 0;
    } while (ok && off < len);
    buf_free(&req);
    if (!ok && errno == ETIMEDOUT)
        snprintf(reason, sizeof reason, "worker timed out");
    if (ok) {
        rc = read_reply(s, po, deadline, out, why, whylen, reason,
                        sizeof reason);
    } else {
        rc = WORKER_BROKEN;
    }
    /* A large reply's memory goes back rather than staying with us. */
    if (s->rx.cap > WORKER_RX_KEEP)
        buf_free(&s->rx);
    if (rc == WORKER_BROKEN) {
        if (strcmp(reason, "worker timed out") == 0)
            snprintf(reason, sizeof reason, "worker timed out after %g s",
                     wall);
        slot_kill(p, s, reason[0] ? reason : NULL, cpu, why, whylen);
        /* Replaced now, not when next needed: the next document should
         * not wait for it. A failure here is logged, and retried then. */
        char spawn_why[300];
        slot_spawn(p, s, spawn_why, sizeof spawn_why);
        checkin(p, s, 1);
        return CUR_EIO;
    }
    pthread_mutex_lock(&p->mu);
    s->jobs++;
    pthread_mutex_unlock(&p->mu);
    checkin(p, s, 0);
    return rc;
}

int
worker_pool_start(const struct worker_cfg *cfg, struct worker_pool **out,
                  char *err, size_t errlen)
{
    struct worker_pool *p = calloc(1, sizeof *p);
    int sv[2];
    long n = cfg->workers;

    *out = NULL;
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    if (n > WORKER_MAX)
        n = WORKER_MAX;
    p->n = (unsigned)n;
    p->cpu_limit = cfg->cpu_limit;
    p->ctl = -1;
    for (unsigned i = 0; i < WORKER_MAX; i++) {
        p->slots[i].fd = -1;
        buf_init(&p->slots[i].rx, 0);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_mutex_init(&p->ctl_mu, NULL);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        worker_pool_stop(p);
        return CUR_EIO;
    }
    /* What the spawner's workers inherit. */
    spawner_mem_limit = cfg->mem_limit ? cfg->mem_limit : WORKER_MEM_DEFAULT;
    spawner_cpu_limit = cfg->cpu_limit;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        spawner_main(sv[1], parent);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        snprintf(err, errlen, "fork: %s", strerror(errno));
        worker_pool_stop(p);
        return CUR_EIO;
    }
    p->ctl = sv[0];
    p->spawner = pid;
    /* Every worker now, so that a sandbox this kernel refuses shows at
     * start-up and the first round does not wait for them. */
    for (unsigned i = 0; i < p->n; i++) {
        char why[300];
        if (slot_spawn(p, &p->slots[i], why, sizeof why) != CUR_OK) {
            snprintf(err, errlen, "%s", why);
            worker_pool_stop(p);
            return CUR_EIO;
        }
    }
    if (sandbox_strict())
        log_info("parse workers started workers=%u spawner=%ld "
                 "sandbox=seccomp mem_limit=%zuMiB", p->n, (long)pid,
                 spawner_mem_limit >> 20);
    else
        log_warn("parse workers started workers=%u spawner=%ld "
                 "sandbox=lenient: a sanitizer build, so the workers' "
                 "seccomp filter only refuses files, sockets and exec, and "
                 "there is no memory limit", p->n, (long)pid);
    *out = p;
    return CUR_OK;
}

void
worker_pool_stop(struct worker_pool *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < WORKER_MAX; i++) {
        if (p->slots[i].fd >= 0)
            close(p->slots[i].fd);
        buf_free(&p->slots[i].rx);
    }
    if (p->ctl >= 0)
        close(p->ctl);
    if (p->spawner > 0)
        while (waitpid(p->spawner, NULL, 0) < 0 && errno == EINTR)
            ;
    pthread_mutex_destroy(&p->ctl_mu);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

size_t
worker_pool_info(struct worker_pool *p, struct worker_info *v, size_t n,
                 struct worker_stats *st)
{
    double now = mono();
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < n && i < p->n; i++) {
        const struct slot *s = &p->slots[i];
        v[i] = (struct worker_info) {
            .pid = s->pid, .busy = s->busy, .jobs = s->jobs,
            .busy_seconds = s->busy ? now - s->busy_since : 0,
        };
    }
    if (st)
        *st = (struct worker_stats) {
            .workers = p->n, .jobs = p->jobs, .failed = p->failed,
            .restarts = p->restarts, .spawner_pid = p->spawner,
        };
    pthread_mutex_unlock(&p->mu);
    return p->n;
}
