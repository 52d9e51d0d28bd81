/* Benchmark: parse a generated 1000-item RSS 2.0 feed and store its items.
 * Prints one line per figure: "bench NAME: VALUE UNIT". tests/bench/run.sh
 * prints a peer's figures for the same file beside ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "support.h"

#define ITEMS 1000
#define RUNS 20

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *
make_feed(size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<rss version=\"2.0\"><channel><title>Bench</title>"
             "<link>https://bench.example.org/</link>"
             "<description>generated</description>\n");
    for (int i = 0; i < ITEMS; i++)
        buf_printf(&b, "<item><title>Item %d about coaching &amp; "
                   "feedback</title><link>https://bench.example.org/%d</link>"
                   "<guid>bench-%d</guid><pubDate>Tue, 03 Nov 2026 09:30:00 "
                   "+0100</pubDate><description>&lt;p&gt;Paragraph one of "
                   "item %d, with &lt;b&gt;bold&lt;/b&gt; text and a "
                   "&lt;a href=\"https://x.example.org/\"&gt;link&lt;/a&gt;"
                   ".&lt;/p&gt;&lt;p&gt;Paragraph two says more about "
                   "onboarding and mentoring.&lt;/p&gt;</description>"
                   "</item>\n", i, i, i, i);
    buf_puts(&b, "</channel></rss>\n");
    *len = b.len;
    return buf_steal(&b);
}

int
main(int argc, char **argv)
{
    size_t len;
    char *doc = make_feed(&len);
    double t[RUNS];

    log_open(NULL, LOG_ERR);
    if (argc > 1) {
        /* Write the document for the peer to parse. */
        FILE *f = fopen(argv[1], "w");
        if (f == NULL || fwrite(doc, 1, len, f) != len) {
            perror(argv[1]);
            return 1;
        }
        fclose(f);
    }
    for (int r = 0; r < RUNS; r++) {
        struct feed *f;
        double start = now_ms();
        if (parse_feed(doc, len, NULL, &f, NULL, 0) != CUR_OK
            || f->n_items != ITEMS) {
            fprintf(stderr, "bench: parse failed\n");
            return 1;
        }
        t[r] = now_ms() - start;
        feed_free(f);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    printf("bench parse_1000_items (curator): median %.2f ms, %.0f items/s "
           "(%zu KiB)\n", t[RUNS / 2], ITEMS / (t[RUNS / 2] / 1e3),
           len / 1024);

    /* Ingest into a file-backed store: a new feed each run, so every
     * item is new; then the same feed again, where nothing is. */
    char *dir = t_mkdtemp(), path[4096];
    struct store *st;
    struct feed *f;
    snprintf(path, sizeof path, "%s/bench.db", dir);
    if (store_open(path, &st) != CUR_OK
        || parse_feed(doc, len, NULL, &f, NULL, 0) != CUR_OK)
        return 1;
    double t_new[RUNS], t_again[RUNS];
    for (int r = 0; r < RUNS; r++) {
        char url[64];
        long long id;
        int n_new;
        struct store_poll p = { .now = 1, .next_poll = 2, .status = 200 };
        snprintf(url, sizeof url, "https://bench.example.org/%d.xml", r);
        store_feed_add(st, url, "cli", &id);
        double start = now_ms();
        store_feed_polled(st, id, &p, f, &n_new);
        t_new[r] = now_ms() - start;
        if (n_new != ITEMS)
            return 1;
        start = now_ms();
        store_feed_polled(st, id, &p, f, &n_new);
        t_again[r] = now_ms() - start;
        if (n_new != 0)
            return 1;
    }
    qsort(t_new, RUNS, sizeof t_new[0], cmp_double);
    qsort(t_again, RUNS, sizeof t_again[0], cmp_double);
    printf("bench store_1000_new_items (curator): median %.2f ms, %.0f "
           "items/s\n", t_new[RUNS / 2], ITEMS / (t_new[RUNS / 2] / 1e3));
    printf("bench store_1000_known_items (curator): median %.2f ms\n",
           t_again[RUNS / 2]);
    feed_free(f);
    store_close(st);
    t_rmtree(dir);
    free(dir);
    free(doc);
    return 0;
}
