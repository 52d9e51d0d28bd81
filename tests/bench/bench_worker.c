/* Benchmark: the cost of confined parsing (worker.h) against parsing in
 * the daemon's own process, on the same documents in the same run. Both
 * sides do what the poller does with a new body: parse, then sanitise
 * every item; the worker side adds the request, the body's trip over the
 * socket, serialising the result, and reading it back as untrusted bytes
 * (bounds and UTF-8 checks, copies).
 *
 *     bench_worker [BIG.xml [CORPUS_DIR]]
 *
 * BIG is one large feed (the bench corpus's 50 MB big.xml; limits as the
 * daemon's, max_size raised to fit), CORPUS_DIR a folder of feeds (its
 * 2,000 feeds, parsed one after another, as a poll round's parses come).
 * Without arguments a 1000-item feed is generated. One worker process;
 * the two sides alternate (the corpus in blocks of BLOCK feeds), and the
 * least time of the runs counts, noise only ever adding to it. Two
 * measures: wall time, and CPU time (the calling thread's, plus the
 * worker process's for the worker side), which a busy machine disturbs
 * less. The corpus runs twice: as the scheduler places the two
 * processes, then with both on one CPU. Prints one line per figure, with
 * the overheads beside the < 10 % target. */
#define _GNU_SOURCE     /* asprintf, clock_getcpuclockid, sched_getcpu */
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "parse.h"
#include "sanitize.h"
#include "support.h"
#include "worker.h"

#define RUNS 9
#define CORPUS_RUNS 3
#define BLOCK 100               /* corpus feeds per turn of each side */
#define CHUNK (256u << 10)
#define TEXT_MAX 4096

struct doc {
    char *data;
    size_t len;
};

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* parse_body() in poller.c, in-process: the parser fed in chunks as a
 * transfer would, then the items sanitised. Returns the item count, or
 * -1. */
static long
in_process(const struct doc *d, const struct parse_opts *po,
           const struct sanitize_opts *so)
{
    struct parser *p = NULL;
    struct feed *f = NULL;
    char why[256];
    int rc = parser_new(po, &p);
    for (size_t off = 0; rc == CUR_OK && off < d->len; off += CHUNK)
        rc = parser_push(p, d->data + off, d->len - off < CHUNK
                                           ? d->len - off : CHUNK);
    if (rc == CUR_OK)
        rc = parser_finish(p, &f, why, sizeof why);
    parser_free(p);
    if (rc == CUR_OK && feed_sanitize(f, so, TEXT_MAX) != 0)
        rc = CUR_ENOMEM;
    long n = rc == CUR_OK ? (long)f->n_items : -1;
    feed_free(f);
    return n;
}

static long
in_worker(struct worker_pool *pool, const struct doc *d,
          const struct parse_opts *po, const struct sanitize_opts *so)
{
    struct feed *f = NULL;
    char why[256];
    int rc = worker_parse(pool, po, so, TEXT_MAX, d->data, d->len, &f, why,
                          sizeof why);
    if (rc != CUR_OK && rc != CUR_EPARSE && rc != CUR_EUNSUPPORTED
        && rc != CUR_EENCODING) {
        fprintf(stderr, "bench: worker failed: %s\n", why);
        return -2;
    }
    long n = rc == CUR_OK ? (long)f->n_items : -1;
    feed_free(f);
    return n;
}

/* CPU time of a clock, in ms. */
static double
cpu_ms(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return 0;
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The worker's CPU clock (one worker: slot 0). Looked up again after a
 * job, in case the worker was replaced. */
static clockid_t
worker_clock(struct worker_pool *pool)
{
    struct worker_info wi;
    clockid_t c = CLOCK_THREAD_CPUTIME_ID;
    if (worker_pool_info(pool, &wi, 1, NULL) == 1 && wi.pid > 0)
        clock_getcpuclockid((pid_t)wi.pid, &c);
    return c;
}

/* Wall and CPU time of both sides. */
struct cost {
    double wall_in, wall_wk, cpu_in, cpu_wk;
};

/* One document each way, added to *c. Returns 0, or -1 when the two
 * disagree or the worker failed. */
static int
measure(struct worker_pool *pool, const struct doc *d,
        const struct parse_opts *po, const struct sanitize_opts *so,
        struct cost *c, long *items)
{
    clockid_t wc = worker_clock(pool);
    double w0 = now_ms(), c0 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    long ka = in_process(d, po, so);
    double w1 = now_ms(), c1 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    double k0 = cpu_ms(wc);
    long kb = in_worker(pool, d, po, so);
    double w2 = now_ms(), c2 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    double k1 = cpu_ms(wc);
    if (kb == -2 || ka != kb) {
        fprintf(stderr, "bench: %ld items in-process, %ld in the worker\n",
                ka, kb);
        return -1;
    }
    c->wall_in += w1 - w0;
    c->wall_wk += w2 - w1;
    c->cpu_in += c1 - c0;
    c->cpu_wk += (c2 - c1) + (k1 >= k0 ? k1 - k0 : 0);
    *items = ka;
    return 0;
}

static char *
generated(size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version="
             "\"2.0\"><channel><title>Bench</title><link>https://bench."
             "example.org/</link>\n");
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "<item><title>Item %d about coaching &amp; feedback"
                   "</title><link>https://bench.example.org/%d</link><guid>"
                   "bench-%d</guid><pubDate>Tue, 03 Nov 2026 09:30:00 +0100"
                   "</pubDate><description>&lt;p&gt;Paragraph one of item "
                   "%d, with &lt;b&gt;bold&lt;/b&gt; text and a &lt;a href="
                   "\"https://x.example.org/\"&gt;link&lt;/a&gt;.&lt;/p&gt;"
                   "</description></item>\n", i, i, i, i);
    buf_puts(&b, "</channel></rss>\n");
    *len = b.len;
    return buf_steal(&b);
}

/* Keep in *m the least of each figure of *m and *c (first: copy). */
static void
report_min(struct cost *m, const struct cost *c, int first)
{
    if (first) {
        *m = *c;
        return;
    }
    m->wall_in = c->wall_in < m->wall_in ? c->wall_in : m->wall_in;
    m->wall_wk = c->wall_wk < m->wall_wk ? c->wall_wk : m->wall_wk;
    m->cpu_in = c->cpu_in < m->cpu_in ? c->cpu_in : m->cpu_in;
    m->cpu_wk = c->cpu_wk < m->cpu_wk ? c->cpu_wk : m->cpu_wk;
}

/* The least of n runs on each side (noise only ever adds time), and the
 * line. */
static void
report(const char *name, const char *what, const struct cost *c, int n)
{
    struct cost m;
    for (int r = 0; r < n; r++)
        report_min(&m, &c[r], r == 0);
    double ow = (m.wall_wk - m.wall_in) / m.wall_in * 100;
    double oc = (m.cpu_wk - m.cpu_in) / m.cpu_in * 100;
    printf("bench %s: wall in-process %.1f ms, worker %.1f ms (%+.1f%%); "
           "CPU in-process %.1f ms, worker %.1f ms with the daemon's side "
           "(%+.1f%%); target < 10%%: %s (%s)\n", name, m.wall_in,
           m.wall_wk, ow, m.cpu_in, m.cpu_wk, oc,
           ow < 10 && oc < 10 ? "met" : ow < 10 || oc < 10
           ? "met on one measure" : "MISSED", what);
}

static int
bench_one(struct worker_pool *pool, const struct doc *d, const char *label,
          const struct parse_opts *po, const struct sanitize_opts *so)
{
    struct cost c[RUNS];
    long items = 0;
    for (int r = 0; r < RUNS; r++) {
        c[r] = (struct cost) { 0 };
        if (measure(pool, d, po, so, &c[r], &items) != 0)
            return 1;
    }
    char what[256];
    snprintf(what, sizeof what, "%s, %.1f MB, %ld items kept, best of %d",
             label, d->len / 1e6, items, RUNS);
    report("worker_parse_big", what, c, RUNS);
    return 0;
}

static int
bench_corpus(struct worker_pool *pool, const char *dir, const char *name,
             const struct parse_opts *po, const struct sanitize_opts *so)
{
    struct doc *docs = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        perror(dir);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
            return 1;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            docs = realloc(docs, cap * sizeof *docs);
            if (docs == NULL)
                return 1;
        }
        docs[n].data = t_read_file(path, &docs[n].len);
        free(path);
        if (docs[n].data) {
            bytes += docs[n].len;
            n++;
        }
    }
    closedir(d);
    if (n == 0)
        return 1;
    size_t n_blocks = (n + BLOCK - 1) / BLOCK;
    struct cost *best = calloc(n_blocks, sizeof *best), total = { 0 };
    long items = 0;
    if (best == NULL)
        return 1;
    /* In blocks of BLOCK feeds, one side then the other: caches warm up
     * within a block as in a poll round, a slower moment of the machine
     * weighs on both sides alike, and each block's best run counts. */
    for (int r = 0; r < CORPUS_RUNS; r++) {
        items = 0;
        for (size_t i = 0, b = 0; i < n; i += BLOCK, b++) {
            size_t end = i + BLOCK < n ? i + BLOCK : n;
            clockid_t wc = worker_clock(pool);
            double w0 = now_ms(), c0 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
            long ka = 0, kb = 0;
            for (size_t k = i; k < end; k++)
                ka += in_process(&docs[k], po, so);
            double w1 = now_ms(), c1 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
            double k0 = cpu_ms(wc);
            for (size_t k = i; k < end; k++) {
                long got = in_worker(pool, &docs[k], po, so);
                if (got == -2)
                    return 1;
                kb += got;
            }
            double w2 = now_ms(), c2 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
            double k1 = cpu_ms(wc);
            if (ka != kb) {
                fprintf(stderr, "bench: corpus: %ld items in-process, %ld "
                        "in the worker\n", ka, kb);
                return 1;
            }
            items += ka;
            struct cost run = {
                w1 - w0, w2 - w1, c1 - c0,
                (c2 - c1) + (k1 >= k0 ? k1 - k0 : 0),
            };
            report_min(&best[b], &run, r == 0);
        }
    }
    for (size_t b = 0; b < n_blocks; b++) {
        total.wall_in += best[b].wall_in;
        total.wall_wk += best[b].wall_wk;
        total.cpu_in += best[b].cpu_in;
        total.cpu_wk += best[b].cpu_wk;
    }
    free(best);
    char what[256];
    snprintf(what, sizeof what, "%zu feeds one after another, %.1f MB, %ld "
             "items, best of %d per block of %d", n, bytes / 1e6, items,
             CORPUS_RUNS, BLOCK);
    report(name, what, &total, 1);
    for (size_t i = 0; i < n; i++)
        free(docs[i].data);
    free(docs);
    return 0;
}

/* Put this process and the worker on the CPU this thread is on.
 * Returns 0, or -1 (the figure is then left out). */
static int
pin_both(struct worker_pool *pool)
{
    struct worker_info wi;
    cpu_set_t one;
    int cpu = sched_getcpu();

    if (cpu < 0 || worker_pool_info(pool, &wi, 1, NULL) != 1 || wi.pid <= 0)
        return -1;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0
        || sched_setaffinity((pid_t)wi.pid, sizeof one, &one) != 0)
        return -1;
    return 0;
}

int
main(int argc, char **argv)
{
    struct worker_cfg wc = { .workers = 1 };
    struct worker_pool *pool;
    struct parse_opts po;
    struct sanitize_opts so;
    struct doc big;
    char err[300];
    int rc = 0;

    log_open(NULL, LOG_WARN);
    /* First, as the daemon does: nothing open, no threads. */
    if (worker_pool_start(&wc, &pool, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "bench: worker pool: %s\n", err);
        return 1;
    }
    parse_opts_default(&po);
    po.base_url = "https://bench.example.org/feed.xml";
    sanitize_opts_init(&so, SANITIZE_WEB);
    so.base_url = po.base_url;
    if (argc > 1) {
        big.data = t_read_file(argv[1], &big.len);
        if (big.data == NULL) {
            perror(argv[1]);
            return 1;
        }
    } else {
        big.data = generated(&big.len);
    }
    if (big.len > po.max_size)
        po.max_size = big.len;
    /* Once each, unmeasured: page cache, libxml2's set-up, the heap. */
    in_process(&big, &po, &so);
    in_worker(pool, &big, &po, &so);
    rc |= bench_one(pool, &big, argc > 1 ? argv[1] : "generated", &po,
                    &so);
    if (rc == 0 && argc > 2) {
        parse_opts_default(&po);
        po.base_url = so.base_url;
        rc |= bench_corpus(pool, argv[2], "worker_parse_corpus", &po, &so);
        /* Again with this process and the worker on one CPU: what is
         * left is the wire and the switches, without a hand-over to
         * another CPU's cold caches. */
        if (rc == 0 && pin_both(pool) == 0)
            rc |= bench_corpus(pool, argv[2], "worker_parse_corpus_one_cpu",
                               &po, &so);
    }
    free(big.data);
    worker_pool_stop(pool);
    return rc;
}
