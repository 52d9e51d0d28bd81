/* The soak test's generator (tests/soak/soak.sh):
 *
 *   soak_gen feeds DIR N ROUND [EVERY]
 *       write DIR/fNNNNN.xml for N feeds: RSS with the ten newest items
 *       of rounds 1..ROUND; with EVERY > 1, only the feeds whose number
 *       is ROUND modulo EVERY are written (a tenth of them each minute,
 *       say), each with one new item, so the server always has news;
 *   soak_gen store DB N_FEEDS N_USERS BASE_URL
 *       create the database: the feeds BASE_URL/fNNNNN.xml, and users
 *       each subscribed to 20 feeds with three interests, in one
 *       transaction through the store API (so the schema is the real
 *       one).
 *
 * Titles draw words from a fixed vocabulary with a fixed seed, so runs
 * are comparable. Not part of `make check`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "store.h"

#define ITEMS_PER_FEED 10
#define SUBS_PER_USER 20

static const char *const words[] = {
    "onboarding", "coaching", "leadership", "feedback", "mentoring",
    "hiring", "learning", "security", "privacy", "compliance", "design",
    "research", "testing", "delivery", "planning", "roadmap", "metrics",
    "culture", "remote", "meetings", "writing", "reading", "strategy",
    "product", "pricing", "sales", "support", "training", "career",
    "skills", "budget", "wellbeing", "burnout", "diversity", "inclusion",
    "ethics", "automation", "analytics", "databases", "networks", "cloud",
    "kernels", "compilers", "browsers", "mobile", "accessibility",
    "typography", "negotiation", "interviews", "promotion",
    "retention", "curriculum", "workshops", "podcasts", "newsletters",
};
#define N_WORDS (sizeof words / sizeof words[0])

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *
word_for(long long a, long long b)
{
    unsigned long long x = (unsigned long long)(a * 1000003LL + b * 7919LL);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return words[x % N_WORDS];
}

static int
write_feed(const char *dir, long feed, long round)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/f%05ld.xml", dir, feed);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               "<rss version=\"2.0\"><channel><title>Soak feed %ld</title>"
               "<link>https://soak.example.org/%ld/</link>\n", feed, feed);
    for (long r = round; r > 0 && r > round - ITEMS_PER_FEED; r--)
        fprintf(f, "<item><title>%s and %s, part %ld of feed %ld</title>"
                   "<link>https://soak.example.org/%ld/%ld</link>"
                   "<guid isPermaLink=\"false\">soak-%ld-%ld</guid>"
                   "<description>Notes on %s, %s and %s for round %ld."
                   "</description></item>\n",
                word_for(feed, r), word_for(r, feed), r, feed, feed, r,
                feed, r, word_for(feed, r), word_for(feed + 1, r),
                word_for(feed, r + 1), r);
    fprintf(f, "</channel></rss>\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return -1;
    return 0;
}

static int
feeds(const char *dir, long n, long round, long every)
{
    for (long i = 1; i <= n; i++) {
        if (every > 1 && i % every != round % every)
            continue;
        if (write_feed(dir, i, round) != 0) {
            fprintf(stderr, "soak_gen: %s: %s\n", dir, strerror(errno));
            return 1;
        }
    }
    return 0;
}

static int
fail(const char *what, int rc)
{
    fprintf(stderr, "soak_gen: %s: %s\n", what, cur_strerror(rc));
    return 1;
}

static int
store(const char *db, long n_feeds, long n_users, const char *base)
{
    struct store *st;
    long long *ids = malloc((size_t)n_feeds * sizeof *ids);
    int rc;

    if (ids == NULL)
        return fail("feeds", CUR_ENOMEM);
    if ((rc = store_open(db, &st)) != CUR_OK)
        return fail(db, rc);
    if ((rc = store_begin(st)) != CUR_OK)
        return fail("begin", rc);
    for (long i = 0; i < n_feeds; i++) {
        char url[512];
        snprintf(url, sizeof url, "%s/f%05ld.xml", base, i + 1);
        rc = store_feed_add(st, url, "cli", &ids[i]);
        if (rc != CUR_OK && rc != CUR_EEXIST)
            return fail(url, rc);
    }
    for (long u = 0; u < n_users; u++) {
        char name[32], email[64];
        long long id;
        snprintf(name, sizeof name, "soak%05ld", u);
        snprintf(email, sizeof email, "soak%05ld@example.org", u);
        if ((rc = store_user_add(st, name, email, &id)) != CUR_OK)
            return fail(name, rc);
        for (int s = 0; s < SUBS_PER_USER; s++) {
            rc = store_subscribe(st, id, ids[next((unsigned)n_feeds)]);
            if (rc != CUR_OK && rc != CUR_EEXIST)
                return fail("subscribe", rc);
        }
        for (int k = 0; k < 3; k++) {
            rc = store_interest_add(st, id, words[next(N_WORDS)],
                                    1.0 + next(3));
            if (rc != CUR_OK)
                return fail("interest", rc);
        }
    }
    if ((rc = store_commit(st)) != CUR_OK)
        return fail("commit", rc);
    store_close(st);
    free(ids);
    return 0;
}

int
main(int argc, char **argv)
{
    log_open(NULL, LOG_WARN);
    if (argc >= 5 && strcmp(argv[1], "feeds") == 0)
        return feeds(argv[2], atol(argv[3]), atol(argv[4]),
                     argc > 5 ? atol(argv[5]) : 1);
    if (argc == 6 && strcmp(argv[1], "store") == 0)
        return store(argv[2], atol(argv[3]), atol(argv[4]), argv[5]);
    fprintf(stderr, "usage: soak_gen feeds DIR N ROUND [EVERY]\n"
                    "       soak_gen store DB N_FEEDS N_USERS BASE_URL\n");
    return 2;
}
