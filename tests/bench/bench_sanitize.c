/* Benchmark: the sanitiser on real-shaped item HTML. Reads a file of HTML
 * fragments separated by NUL bytes (tests/bench/sanitize-bench.sh makes it
 * from the bench corpus), and times sanitize_html() (web profile),
 * sanitize_plain() and sanitize_text() over all of them, best of RUNS.
 * Prints one line per figure: "bench NAME: ..."; the script prints the
 * peer (Python bleach) on the same file beside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

#define RUNS 3

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

enum what { HTML, PLAIN, TITLE };

/* Seconds for one pass over every fragment; *out_bytes gets the output
 * size. Returns a negative number on failure. */
static double
pass(enum what w, char **frag, size_t n, size_t *out_bytes)
{
    struct sanitize_opts o;
    sanitize_opts_init(&o, SANITIZE_WEB);
    o.base_url = "https://bench.example.org/feed/";
    o.tracking_hosts = "pixel.wp.com,stats.wordpress.com";
    *out_bytes = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        char *out = NULL;
        if (w == HTML) {
            if (sanitize_html(frag[i], strlen(frag[i]), &o, &out) != 0)
                return -1;
        } else if (w == PLAIN) {
            out = sanitize_plain(frag[i], o.base_url, 4096);
        } else {
            out = sanitize_text(frag[i], 2048);
        }
        if (out == NULL)
            return -1;
        *out_bytes += strlen(out);
        free(out);
    }
    return now_s() - t0;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_sanitize FRAGMENTS\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    if (fp == NULL) {
        perror(argv[1]);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    size_t size = (size_t)ftell(fp);
    rewind(fp);
    char *data = malloc(size + 1);
    if (data == NULL || fread(data, 1, size, fp) != size) {
        fprintf(stderr, "bench_sanitize: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(fp);
    data[size] = '\0';

    size_t n = 0, cap = 1024, bytes = 0;
    char **frag = malloc(cap * sizeof *frag);
    for (size_t i = 0; i < size;) {
        size_t len = strlen(data + i);
        if (len > 0) {
            if (n == cap)
                frag = realloc(frag, (cap *= 2) * sizeof *frag);
            frag[n++] = data + i;
            bytes += len;
        }
        i += len + 1;
    }

    static const char *const names[] = { "sanitize_html", "sanitize_plain",
                                         "sanitize_text" };
    for (int w = HTML; w <= TITLE; w++) {
        double best = 0;
        size_t out_bytes = 0;
        for (int r = 0; r < RUNS; r++) {
            double s = pass((enum what)w, frag, n, &out_bytes);
            if (s < 0) {
                fprintf(stderr, "bench_sanitize: %s failed\n", names[w]);
                return 1;
            }
            if (r == 0 || s < best)
                best = s;
        }
        printf("bench %s curator: %.1f MB in %zu fragments, best of %d: "
               "%.3f s, %.1f MB/s, %.0f fragments/s (output %.1f MB)\n",
               names[w], bytes / 1e6, n, RUNS, best, bytes / 1e6 / best,
               n / best, out_bytes / 1e6);
        fflush(stdout);
    }
    free(frag);
    free(data);
    return 0;
}
