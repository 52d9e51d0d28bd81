/* Web benchmark helper (tests/bench/web-bench.sh drives it).
 *
 *   bench_web gen DB [USERS ITEMS SCORES]
 *       Build a store like a busy instance: USERS users (default 1,000)
 *       with two goals and interests each, ITEMS items (default 50,000)
 *       fetched over the last 13 days from 500 feeds, each user with
 *       SCORES scored items of the window (default 1,000, reasons as the
 *       scorer writes them, goals named) and a 20-feed subscription, and
 *       one signed-in session per user whose cookie is written to
 *       DB.cookies, one "Cookie:" value a line. Deterministic.
 *
 *   bench_web serve DB PORT [THREADS]
 *       Serve DB with web_start() alone (no poller, no scorer competing
 *       for the CPU) until SIGTERM or SIGINT.
 */
#define _GNU_SOURCE     /* asprintf */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "feed.h"
#include "log.h"
#include "server.h"
#include "store.h"

#define FEEDS 500
#define BATCH 100               /* items per simulated poll */
#define SUBS 20
#define SPAN (13 * 86400L)

static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t
next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static const char *const words[] = {
    "coaching", "feedback", "onboarding", "mentoring", "remote", "teams",
    "leadership", "learning", "reflection", "goals", "skills", "managers",
    "retrospective", "habits", "career", "writing", "meetings", "time",
    "culture", "hiring", "growth", "design", "review", "practice",
};
#define N_WORDS (sizeof words / sizeof words[0])

static void
sentence(char *out, size_t len, int n)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o + 16 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "",
                              words[next() % N_WORDS]);
}

static int
fail(const char *what, int rc)
{
    fprintf(stderr, "bench_web: %s: %s\n", what, cur_strerror(rc));
    return 1;
}

static int
gen(const char *db, long users, long items, long scores)
{
    struct store *st;
    long long now = (long long)time(NULL), first_id = 0;
    long long *feed = calloc(FEEDS, sizeof *feed);
    char *cookies;
    FILE *cf;
    int rc;

    unlink(db);
    if ((rc = store_open(db, &st)) != CUR_OK)
        return fail("open", rc);
    store_relaxed(st, 1);
    if ((rc = store_begin(st)) != CUR_OK)
        return fail("begin", rc);
    for (int f = 0; f < FEEDS && rc == CUR_OK; f++) {
        char url[64], title[64];
        snprintf(url, sizeof url, "https://feed%03d.example/rss", f);
        snprintf(title, sizeof title, "Feed number %d", f);
        rc = store_feed_import(st, url, title, NULL, NULL, "cli", &feed[f]);
    }
    /* Items arrive in polls of BATCH, oldest first, over SPAN. */
    long polls = (items + BATCH - 1) / BATCH;
    for (long p = 0; p < polls && rc == CUR_OK; p++) {
        struct feed *fd = calloc(1, sizeof *fd);
        for (long i = 0; i < BATCH && p * BATCH + i < items; i++) {
            struct item *it = feed_add_item(fd);
            char buf[512];
            snprintf(buf, sizeof buf, "g%ld", p * BATCH + i);
            it->guid = strdup(buf);
            sentence(buf, sizeof buf, 8);
            buf[0] = (char)(buf[0] - 32);
            it->title = strdup(buf);
            snprintf(buf, sizeof buf, "https://site.example/%ld",
                     p * BATCH + i);
            it->link = strdup(buf);
            sentence(buf, sizeof buf, 60);
            it->text = strdup(buf);
            it->published = now - SPAN + p * (SPAN / polls);
        }
        struct store_poll poll = { .now = now - SPAN + p * (SPAN / polls),
                                   .next_poll = now + 3600, .status = 200 };
        rc = store_feed_polled(st, feed[p % FEEDS], &poll, fd, NULL);
        feed_free(fd);
    }
    if (rc == CUR_OK)
        rc = store_commit(st);
    if (rc != CUR_OK)
        return fail("items", rc);
    first_id = 1;       /* AUTOINCREMENT counts from 1 in a new file */

    if (asprintf(&cookies, "%s.cookies", db) < 0
        || (cf = fopen(cookies, "w")) == NULL)
        return fail("cookies file", CUR_EIO);
    for (long u = 0; u < users; u++) {
        char name[32], email[64], token[STORE_TOKEN_LEN + 1];
        char csrf[STORE_TOKEN_LEN + 1], reasons[300];
        long long uid, g1, g2;
        if ((rc = store_begin(st)) != CUR_OK)
            return fail("begin", rc);
        snprintf(name, sizeof name, "user%ld", u);
        snprintf(email, sizeof email, "user%ld@example.org", u);
        rc = store_user_add(st, name, email, &uid);
        if (rc == CUR_OK)
            rc = store_goal_add(st, uid, "Leadership", &g1);
        if (rc == CUR_OK)
            rc = store_goal_add(st, uid, "Remote teams", &g2);
        for (int k = 0; k < 4 && rc == CUR_OK; k++)
            rc = store_interest_put(st, uid, words[(u + k) % N_WORDS],
                                    1 + k, k < 2 ? g1 : g2, 0);
        for (int k = 0; k < SUBS && rc == CUR_OK; k++)
            rc = store_subscribe(st, uid, feed[(u * 7 + k) % FEEDS]);
        for (long k = 0; k < scores && rc == CUR_OK; k++) {
            long long item = first_id + (long long)(next() % (uint64_t)items);
            int goal = (int)(next() % 3);
            snprintf(reasons, sizeof reasons,
                     "keyword\t%.2f\ttitle matches \"%s\"%s\n"
                     "recency\t0.40\tpublished 2 days ago",
                     1 + (double)(next() % 800) / 100,
                     words[next() % N_WORDS], goal == 0
                     ? " (goal: Leadership)" : goal == 1
                     ? " (goal: Remote teams)" : "");
            rc = store_score_put(st, uid, item,
                                 (double)(next() % 1000) / 100, NULL,
                                 reasons, now);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
        }
        /* A known session per user: the cookie is the token. */
        snprintf(token, sizeof token, "bench%038ld", u);
        snprintf(csrf, sizeof csrf, "csrf%039ld", u);
        if (rc == CUR_OK)
            rc = store_session_add(st, token, uid, csrf, now, "127.0.0.1");
        if (rc == CUR_OK)
            rc = store_commit(st);
        else
            store_rollback(st);
        if (rc != CUR_OK)
            return fail("users", rc);
        fprintf(cf, "curator_session=%s\n", token);
    }
    fclose(cf);
    store_relaxed(st, 0);
    store_close(st);
    printf("bench_web: %ld users, %ld items, %ld scores each -> %s\n",
           users, items, scores, db);
    free(cookies);
    free(feed);
    return 0;
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int
serve(const char *db, unsigned port, unsigned threads)
{
    struct web *w;
    struct web_cfg wc = {
        .address = "127.0.0.1", .port = port, .threads = threads,
        .page_items = 50, .store_path = db,
        .per_ip = 10000, .max_connections = 10000,
    };
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    int rc = web_start(&wc, &w);
    if (rc != CUR_OK)
        return fail("web_start", rc);
    printf("bench_web: serving %s on port %u with %u threads\n", db,
           web_port(w), threads);
    fflush(stdout);
    while (!stop)
        pause();
    web_stop(w);
    return 0;
}

int
main(int argc, char **argv)
{
    log_open(NULL, LOG_WARN);
    if (argc >= 3 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2], argc > 3 ? atol(argv[3]) : 1000,
                   argc > 4 ? atol(argv[4]) : 50000,
                   argc > 5 ? atol(argv[5]) : 1000);
    if (argc >= 4 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], (unsigned)atoi(argv[3]),
                     argc > 4 ? (unsigned)atoi(argv[4]) : 2);
    fprintf(stderr, "usage: bench_web gen DB [USERS ITEMS SCORES]\n"
                    "       bench_web serve DB PORT [THREADS]\n");
    return 2;
}
