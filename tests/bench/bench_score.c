/* Scoring benchmark: 20,000 items against 1,000 users with 20 interests
 * each, generated deterministically, through the real filter host and
 * the shipped filters (keyword, mute, source, gems, bayes, recency,
 * dedupe) on a real SQLite store. Prints item-user pairs per second
 * (every item against every user, the work a naive scorer does),
 * milliseconds per new item, and the time to rescore one user's 14-day
 * window after a profile change; beside a naive baseline measured in the
 * same run: every user's every interest searched for in every item
 * (whole-word, case-insensitive), timed on a slice of the items.
 *
 * Usage: bench_score [ITEMS USERS]   (defaults 20000 1000)
 */
#define _GNU_SOURCE     /* asprintf */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "score.h"
#include "store.h"
#include "support.h"

#define VOCAB 50000
#define INTERESTS 20
#define FEEDS 50
#define TITLE_WORDS 8
#define TEXT_WORDS 110
#define WINDOW (14 * 86400L)

static const char *const filter_names[] = {
    "keyword", "mute", "source", "gems", "bayes", "recency", "dedupe",
};
#define N_FILTERS (sizeof filter_names / sizeof filter_names[0])

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next(void)
{
    /* xorshift64*: deterministic across runs and machines. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static char vocab[VOCAB][12];

static void
make_vocab(void)
{
    static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";
    for (int i = 0; i < VOCAB; i++) {
        /* Distinct pseudo-words: the index spelled in syllables. */
        int v = i, k = 0;
        do {
            vocab[i][k++] = cons[v % 18];
            v /= 18;
            vocab[i][k++] = vow[v % 5];
            v /= 5;
        } while (v > 0 && k < 10);
        vocab[i][k++] = 'x';
        vocab[i][k] = '\0';
    }
}

static const char *
word(void)
{
    return vocab[next() % VOCAB];
}

static double
seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double
cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *
words(int n)
{
    char *s = malloc((size_t)n * 13 + 1), *p = s;
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? " " : "", word());
    return s;
}

/* Users with interests, feeds, subscriptions (everyone reads every feed:
 * the worst case for visibility), and items spread over two weeks. */
static void
populate(struct store *st, int n_items, int n_users, long long now,
         char ***titles, char ***texts)
{
    long long feed_ids[FEEDS];
    char url[128], name[32], email[64];

    store_begin(st);
    for (int f = 0; f < FEEDS; f++) {
        snprintf(url, sizeof url, "https://bench.example.org/%d.xml", f);
        store_feed_add(st, url, "cli", &feed_ids[f]);
    }
    for (int u = 0; u < n_users; u++) {
        long long id, goal;
        snprintf(name, sizeof name, "user%d", u);
        snprintf(email, sizeof email, "user%d@example.org", u);
        store_user_add(st, name, email, &id);
        store_goal_add(st, id, "growth", &goal);
        for (int i = 0; i < INTERESTS; i++) {
            char phrase[32];
            const char *term = word();
            int is_phrase = i >= INTERESTS - 2;
            if (is_phrase) {
                snprintf(phrase, sizeof phrase, "%s %s", term, word());
                term = phrase;
            }
            store_interest_put(st, id, term, 1.0 + (double)(next() % 20) / 10,
                               i % 2 ? goal : 0, is_phrase);
        }
        for (int f = 0; f < FEEDS; f++)
            store_subscribe(st, id, feed_ids[f]);
    }
    store_commit(st);

    *titles = calloc((size_t)n_items, sizeof **titles);
    *texts = calloc((size_t)n_items, sizeof **texts);
    int per_feed = n_items / FEEDS;
    for (int f = 0; f < FEEDS; f++) {
        /* Each feed polled 20 times over the window. */
        for (int poll = 0; poll < 20; poll++) {
            struct feed *fd = calloc(1, sizeof *fd);
            int lo = f * per_feed + poll * per_feed / 20;
            int hi = f * per_feed + (poll + 1) * per_feed / 20;
            long long at = now - WINDOW + 3600 + (long long)poll
                           * (WINDOW - 7200) / 20;
            for (int i = lo; i < hi; i++) {
                struct item *it = feed_add_item(fd);
                char guid[32];
                snprintf(guid, sizeof guid, "item-%d", i);
                (*titles)[i] = words(TITLE_WORDS);
                (*texts)[i] = words(TEXT_WORDS);
                it->guid = strdup(guid);
                it->title = strdup((*titles)[i]);
                it->text = strdup((*texts)[i]);
                it->published = at - 600;
            }
            struct store_poll p = { .now = at, .next_poll = at + 3600,
                                    .status = 200, .title = "Bench feed" };
            int added;
            store_feed_polled(st, feed_ids[f], &p, fd, &added);
            feed_free(fd);
        }
    }
}

/* The naive baseline: whole-word, ASCII case-insensitive search. */
static int
has_word(const char *hay, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = hay; *p; p++) {
        if (p > hay && isalnum((unsigned char)p[-1]))
            continue;
        if (strncasecmp(p, w, n) == 0 && !isalnum((unsigned char)p[n]))
            return 1;
    }
    return 0;
}

struct naive_user {
    char *term[INTERESTS];
    double weight[INTERESTS];
};

static double
naive_pairs_per_second(int n_users, char **titles, char **texts,
                       int n_items)
{
    struct naive_user *users = calloc((size_t)n_users, sizeof *users);
    uint64_t saved = rng;
    volatile double sink = 0;
    int slice = n_items < 200 ? n_items : 200;

    rng = 12345;
    for (int u = 0; u < n_users; u++)
        for (int i = 0; i < INTERESTS; i++) {
            users[u].term[i] = strdup(word());
            users[u].weight[i] = 1.0;
        }
    double t0 = seconds();
    for (int it = 0; it < slice; it++)
        for (int u = 0; u < n_users; u++) {
            double s = 0;
            for (int i = 0; i < INTERESTS; i++)
                if (has_word(titles[it], users[u].term[i]) ||
                    has_word(texts[it], users[u].term[i]))
                    s += users[u].weight[i];
            sink += s;
        }
    double dt = seconds() - t0;
    for (int u = 0; u < n_users; u++)
        for (int i = 0; i < INTERESTS; i++)
            free(users[u].term[i]);
    free(users);
    rng = saved;
    (void)sink;
    return (double)slice * n_users / dt;
}

static int
count_row(void *ctx, const struct store_scoring_item *it)
{
    (void)it;
    ++*(long long *)ctx;
    return 0;
}

int
main(int argc, char **argv)
{
    int n_items = argc > 2 ? atoi(argv[1]) : 20000;
    int n_users = argc > 2 ? atoi(argv[2]) : 1000;
    struct config_filter cf[N_FILTERS];
    struct scorer *sc;
    struct store *st;
    char err[512], *db, *dir = t_mkdtemp();
    char **titles, **texts;
    long long now = 1767225600;     /* fixed: deterministic recency */

    log_open(NULL, LOG_ERR);
    make_vocab();
    if (asprintf(&db, "%s/bench.db", dir) < 0
        || store_open(db, &st) != CUR_OK) {
        fprintf(stderr, "bench: cannot open %s\n", db);
        return 1;
    }
    double t0 = seconds();
    populate(st, n_items, n_users, now, &titles, &texts);
    fprintf(stderr, "bench score: generated %d users x %d interests, %d "
            "items in %.1f s\n", n_users, INTERESTS, n_items,
            seconds() - t0);

    memset(cf, 0, sizeof cf);
    for (size_t i = 0; i < N_FILTERS; i++) {
        cf[i].name = (char *)filter_names[i];
        cf[i].weight = 1.0;
        if (asprintf(&cf[i].path, "%s/filters/%s.so", t_build_dir(),
                     filter_names[i]) < 0)
            return 1;
    }
    if (scorer_open(cf, N_FILTERS, WINDOW, &sc, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    t0 = seconds();
    if (scorer_load(sc, st, now, 1) != CUR_OK)
        return 1;
    double load = seconds() - t0;

    struct scorer_stats s = { 0 };
    t0 = seconds();
    double c0 = cpu_seconds();
    if (scorer_run(sc, st, now, &s) != CUR_OK) {
        fprintf(stderr, "bench: scoring failed\n");
        return 1;
    }
    double run = seconds() - t0, run_cpu = cpu_seconds() - c0;
    double pairs = (double)n_items * n_users;

    /* One user's profile changes: rescore their window (warm). */
    long long uid;
    store_user_find(st, "user7", &uid);
    store_interest_put(st, uid, vocab[42], 2.0, 0, 0);
    struct scorer_stats r = { 0 };
    t0 = seconds();
    c0 = cpu_seconds();
    if (scorer_refresh(sc, st, now, &r) != CUR_OK || r.users != 1) {
        fprintf(stderr, "bench: rescore failed (users %lld)\n", r.users);
        return 1;
    }
    double rescore = seconds() - t0, rescore_cpu = cpu_seconds() - c0;
    for (int k = 0; getenv("BENCH_RESCORE_LOOP") && k < 30; k++) {
        store_interest_put(st, uid, vocab[43 + k], 2.0, 0, 0);
        scorer_refresh(sc, st, now, &r);
    }

    /* What part of a rescore is reading the window back. */
    long long seen = 0;
    t0 = seconds();
    store_scoring_items_since(st, now - WINDOW, now, count_row, &seen);
    double read_window = seconds() - t0;
    fprintf(stderr, "bench score: reading the %lld-item window back takes "
            "%.1f ms\n", seen, read_window * 1e3);

    double naive = getenv("BENCH_SKIP_NAIVE") ? 1
                   : naive_pairs_per_second(n_users, titles, texts, n_items);

    printf("bench score_load (curator): %d users' profiles into %zu filters "
           "in %.0f ms\n", n_users, N_FILTERS, load * 1e3);
    printf("bench score_items (curator): %d items x %d users in %.2f s: "
           "%.2f M item-user pairs/s, %.3f ms per new item, %lld pairs "
           "stored, %.2f s of CPU (target >= 2 M pairs/s)\n", n_items,
           n_users, run, pairs / run / 1e6, run * 1e3 / n_items, s.pairs,
           run_cpu);
    printf("bench score_items (peer: naive every-interest substring scan, "
           "same run): %.3f M item-user pairs/s; curator is %.0fx "
           "(target >= 20x)\n", naive / 1e6, pairs / run / naive);
    printf("bench score_rescore_user (curator): one user's 14-day window "
           "(%d items) in %.1f ms, %.1f ms of CPU (target < 100 ms)\n",
           n_items, rescore * 1e3, rescore_cpu * 1e3);

    scorer_close(sc);
    store_close(st);
    for (size_t i = 0; i < N_FILTERS; i++)
        free(cf[i].path);
    for (int i = 0; i < n_items; i++) {
        free(titles[i]);
        free(texts[i]);
    }
    free(titles);
    free(texts);
    t_rmtree(dir);
    free(dir);
    free(db);
    return 0;
}
