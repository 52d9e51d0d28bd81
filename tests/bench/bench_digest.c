/* Digest benchmark: 10,000 users with 20 scored items each, generated
 * deterministically into a real SQLite store, then the daemon's own two
 * steps end to end: digest_queue_due() (select, render text and HTML,
 * compose MIME, and queue the messages with their periods recorded, a
 * few hundred per transaction) and digest_deliver() in spool mode (each
 * message written as SPOOL/<Message-ID>.eml, durably: a batch of files
 * is written, synced, linked under its names and the folder synced,
 * then the batch is marked sent in one transaction). Prints digests per
 * second for each step and for the two together, CPU and wall time (the
 * difference is waiting for the disk, or for a CPU on a busy machine),
 * CPU per digest, and bytes per message; also composing alone
 * (digest_compose(), nothing recorded, none of a round's shared work)
 * on a slice of the users. The load average at the start is printed:
 * on a shared machine, CPU per digest is the steadier figure.
 *
 * Usage: bench_digest [USERS [ITEMS_PER_USER]]   (defaults 10000 20)
 * BENCH_DIGEST_COMPOSE_ONLY=1 stops after composing (for profiling);
 * BENCH_DIGEST_KEEP=1 keeps the store and the spool, and prints where
 * they are (to compare the messages of two builds).
 */
#define _GNU_SOURCE     /* asprintf */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "digest.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "store.h"
#include "support.h"

#define FEEDS 50
#define POOL 4000               /* distinct items the users' picks share */
#define COMPOSE_SLICE 1000
#define WINDOW (14 * 86400L)

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

static const char *const words[] = {
    "coaching", "feedback", "onboarding", "mentoring", "team", "growth",
    "listening", "questions", "goals", "review", "career", "learning",
    "remote", "meeting", "practice", "habit", "trust", "delegation",
    "planning", "retrospective", "conversation", "clarity", "focus",
    "culture", "energy", "priorities", "workshop", "reflection",
};
#define N_WORDS (sizeof words / sizeof words[0])

static char *
sentence(int n)
{
    char *s = malloc((size_t)n * 16 + 2), *p = s;
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? " " : "", words[next() % N_WORDS]);
    if (n > 0)
        s[0] = (char)(s[0] - 'a' + 'A');
    return s;
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

static int
item_row(void *ctx, const struct store_scoring_item *it)
{
    long long *ids = ctx;
    for (int i = 0; i < POOL; i++)
        if (ids[i] == 0) {
            ids[i] = it->id;
            return 0;
        }
    return 0;
}

/* Feeds with POOL items fetched an hour before 'now', and users each
 * with 'per_user' distinct scored items above the default threshold
 * (0.5), a quarter of them under a goal (the default cap per goal is
 * 5, per digest 20: all of them fit). One transaction. */
static int
populate(struct store *st, int n_users, int per_user, long long now)
{
    static long long item_ids[POOL];
    long long feed_ids[FEEDS];
    char url[128], reasons[256];
    int rc = store_begin(st);

    for (int f = 0; f < FEEDS && rc == CUR_OK; f++) {
        struct feed *fd = calloc(1, sizeof *fd);
        char title[64];
        snprintf(url, sizeof url, "https://bench.example.org/%d.xml", f);
        snprintf(title, sizeof title, "Bench feed %d", f);
        rc = store_feed_add(st, url, "cli", &feed_ids[f]);
        for (int i = f; i < POOL && rc == CUR_OK; i += FEEDS) {
            struct item *it = feed_add_item(fd);
            char guid[32], link[96];
            snprintf(guid, sizeof guid, "item-%d", i);
            snprintf(link, sizeof link, "https://bench.example.org/%d/%d",
                     f, i);
            it->guid = strdup(guid);
            it->title = sentence(8);
            it->link = strdup(link);
            it->text = sentence(60);
            it->published = now - 7200 - i;
        }
        struct store_poll p = { .now = now - 3600, .next_poll = now,
                                .status = 200, .title = title };
        if (rc == CUR_OK)
            rc = store_feed_polled(st, feed_ids[f], &p, fd, NULL);
        feed_free(fd);
    }
    memset(item_ids, 0, sizeof item_ids);
    if (rc == CUR_OK)
        rc = store_scoring_items_after(st, 0, POOL, now, item_row,
                                       item_ids);
    if (rc == CUR_OK && item_ids[POOL - 1] == 0)
        rc = CUR_EINVAL;
    for (int u = 0; u < n_users && rc == CUR_OK; u++) {
        char name[32], email[64];
        long long uid;
        snprintf(name, sizeof name, "user%d", u);
        snprintf(email, sizeof email, "user%d@bench.example.org", u);
        rc = store_user_add(st, name, email, &uid);
        for (int k = 0; k < per_user && rc == CUR_OK; k++) {
            /* Distinct for k < POOL / 199 (20 users' worth fits). */
            long long item = item_ids[((long long)u * 37 + (long long)k
                                       * 199) % POOL];
            const char *w = words[next() % N_WORDS];
            double score = 1.0 + (double)(next() % 400) / 100;
            if (k % 4 == 1)
                snprintf(reasons, sizeof reasons, "keyword\t%.2f\ttitle "
                         "matches \"%s\" (goal: Growth)\n", score, w);
            else
                snprintf(reasons, sizeof reasons, "keyword\t%.2f\ttitle "
                         "matches \"%s\"\n", score, w);
            rc = store_score_put(st, uid, item, score, NULL, reasons, now);
        }
    }
    if (rc == CUR_OK)
        return store_commit(st);
    store_rollback(st);
    return rc;
}

/* Count and total size of the .eml files in 'dir'. */
static void
spool_size(const char *dir, long long *files, long long *bytes)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    *files = *bytes = 0;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char path[4096];
        struct stat sb;
        if (e->d_name[0] == '.' || n < 5
            || strcmp(e->d_name + n - 4, ".eml") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0) {
            ++*files;
            *bytes += sb.st_size;
        }
    }
    if (d)
        closedir(d);
}

int
main(int argc, char **argv)
{
    int n_users = argc > 1 ? atoi(argv[1]) : 10000;
    int per_user = argc > 2 ? atoi(argv[2]) : 20;
    long long now = 1767258000;     /* 2026-01-01 09:00 UTC: all due */
    char *db, *spool, *dir = t_mkdtemp();
    struct store *st;

    if (n_users < 1 || per_user < 1 || per_user > 20 || dir == NULL) {
        fprintf(stderr, "usage: bench_digest [USERS [ITEMS_PER_USER "
                "(1-20)]]\n");
        return 2;
    }
    log_open(NULL, LOG_ERR);
    FILE *la = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (la != NULL) {
        if (fgets(load, sizeof load, la) != NULL)
            load[strcspn(load, " ")] = '\0';
        fclose(la);
    }
    if (asprintf(&db, "%s/bench.db", dir) < 0
        || asprintf(&spool, "%s/spool", dir) < 0 || mkdir(spool, 0700) != 0
        || store_open(db, &st) != CUR_OK) {
        fprintf(stderr, "bench: cannot set up %s\n", dir);
        return 1;
    }
    double t0 = seconds();
    if (populate(st, n_users, per_user, now) != CUR_OK) {
        fprintf(stderr, "bench: populating the store failed\n");
        return 1;
    }
    fprintf(stderr, "bench digest: generated %d users x %d scored items "
            "(%d distinct items) in %.1f s\n", n_users, per_user, POOL,
            seconds() - t0);

    struct digest_cfg dc = {
        .base_url = "https://curator.example.org",
        .from_email = "digest@curator.example.org",
        .from_name = "Curator",
        .smtp_url = NULL,
        .timeout = 30,
        .retry_max = 3600,
        .spool_dir = spool,
        .window = WINDOW,
    };
    memset(dc.key, 7, sizeof dc.key);

    /* Composing alone, nothing recorded: the CPU cost of one digest. */
    int slice = n_users < COMPOSE_SLICE ? n_users : COMPOSE_SLICE;
    size_t composed_bytes = 0, composed_items = 0;
    t0 = seconds();
    double c0 = cpu_seconds();
    for (int u = 1; u <= slice; u++) {
        struct digest_out out;
        digest_out_init(&out);
        if (digest_compose(st, &dc, u, now, -1, &out) != CUR_OK) {
            fprintf(stderr, "bench: composing for user %d failed\n", u);
            return 1;
        }
        composed_bytes += out.message.len;
        composed_items += out.n_items;
        digest_out_free(&out);
    }
    double compose = seconds() - t0, compose_cpu = cpu_seconds() - c0;
    if (composed_items != (size_t)slice * (size_t)per_user) {
        fprintf(stderr, "bench: composed %zu items, expected %d\n",
                composed_items, slice * per_user);
        return 1;
    }

    if (getenv("BENCH_DIGEST_COMPOSE_ONLY")) {
        printf("bench digest_compose (curator): %d digests in %.2f s: %.0f "
               "digests/s\n", slice, compose, slice / compose);
        return 0;
    }

    /* The daemon's mail round: queue everything due, then deliver. */
    int queued = 0, sent = 0, failed = 0;
    t0 = seconds();
    c0 = cpu_seconds();
    if (digest_queue_due(st, &dc, now, &queued) != CUR_OK
        || queued != n_users) {
        fprintf(stderr, "bench: queued %d of %d\n", queued, n_users);
        return 1;
    }
    double queue = seconds() - t0, queue_cpu = cpu_seconds() - c0;
    t0 = seconds();
    c0 = cpu_seconds();
    for (;;) {
        int s = 0, f = 0;
        if (digest_deliver(st, &dc, now, &s, &f) != CUR_OK) {
            fprintf(stderr, "bench: delivery failed\n");
            return 1;
        }
        sent += s;
        failed += f;
        if (s + f == 0)
            break;
    }
    double deliver = seconds() - t0, deliver_cpu = cpu_seconds() - c0;
    long long files, bytes;
    spool_size(spool, &files, &bytes);
    if (sent != n_users || failed != 0 || files != n_users) {
        fprintf(stderr, "bench: sent %d, failed %d, %lld files for %d "
                "users\n", sent, failed, files, n_users);
        return 1;
    }
    long long queued_left, failed_left;
    store_outbox_depth(st, &queued_left, &failed_left);
    if (queued_left != 0 || failed_left != 0) {
        fprintf(stderr, "bench: outbox not empty: %lld queued, %lld "
                "failed\n", queued_left, failed_left);
        return 1;
    }

    double total = queue + deliver, total_cpu = queue_cpu + deliver_cpu;
    printf("bench digest_compose (curator): %d digests of %d items "
           "composed alone (text + HTML + MIME, nothing recorded) in %.2f "
           "s: %.0f digests/s, %.0f bytes per message, %.3f ms of CPU "
           "each\n", slice, per_user, compose, slice / compose,
           (double)composed_bytes / slice, compose_cpu * 1e3 / slice);
    printf("bench digest_queue (curator): %d users' digests composed and "
           "queued in %.2f s (%.2f s of CPU, %.3f ms each): %.0f "
           "digests/s\n", n_users, queue, queue_cpu,
           queue_cpu * 1e3 / n_users, n_users / queue);
    printf("bench digest_deliver_spool (curator): %d messages written to "
           "the spool (synced) and marked sent in %.2f s (%.2f s of CPU, "
           "%.3f ms each): %.0f digests/s\n", n_users, deliver,
           deliver_cpu, deliver_cpu * 1e3 / n_users, n_users / deliver);
    printf("bench digest_end_to_end (curator): %d users x %d items queued "
           "and spooled in %.2f s (%.2f s of CPU, %.3f ms each; load "
           "average %s at the start): %.0f digests/s, %.0f bytes per digest "
           "(target >= 2,000 digests/s on one core)\n", n_users, per_user,
           total, total_cpu, total_cpu * 1e3 / n_users, load,
           n_users / total, (double)bytes / (double)files);

    store_close(st);
    if (getenv("BENCH_DIGEST_KEEP"))
        printf("bench digest: kept %s\n", dir);
    else
        t_rmtree(dir);
    free(dir);
    free(db);
    free(spool);
    return 0;
}
