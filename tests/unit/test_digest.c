/* Unit tests for curator/digest.h.
 *
 * digest_match() is checked on its own. digest_run_due() runs against a
 * file-backed store and a spool folder in a fresh temporary folder; the
 * data is made with the store API, items arriving through
 * store_feed_polled() as they do from the poller. The spool is read back
 * file by file, and the users' digest state through store_user_list().
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "err.h"
#include "feed.h"
#include "log.h"
#include "store.h"
#include "support.h"

/* 2023-11-14T22:13:20Z */
#define T0 1700000000LL
#define DAY 86400L
#define MAX_FILES 16

struct fx {
    char *dir;
    char *db;
    char *spool;
    struct store *st;
    struct digest_cfg cfg;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    fx->dir = t_mkdtemp();
    if (fx->dir == NULL || asprintf(&fx->db, "%s/curator.db", fx->dir) < 0
        || asprintf(&fx->spool, "%s/spool", fx->dir) < 0
        || mkdir(fx->spool, 0700) != 0
        || store_open(fx->db, &fx->st) != CUR_OK)
        return -1;
    fx->cfg.spool_dir = fx->spool;
    fx->cfg.interval = DAY;
    fx->cfg.max_items = 10;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    t_rmtree(fx->dir);
    free(fx->spool);
    free(fx->db);
    free(fx->dir);
    free(fx);
    return 0;
}

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* 1 if s is well-formed UTF-8 (structure only: lead and continuation
 * bytes). */
static int
valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t need = *p < 0x80 ? 0 : *p >= 0xC2 && *p <= 0xDF ? 1
                    : *p >= 0xE0 && *p <= 0xEF ? 2
                    : *p >= 0xF0 && *p <= 0xF4 ? 3 : 99;
        if (need == 99)
            return 0;
        p++;
        for (size_t i = 0; i < need; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

/* ---- digest_match ---- */

static const struct store_interest interests[] = {
    { "coaching", 2.0 },
    { "Onboarding", 1.0 },
    { "crypto", -1.5 },
    { "", 5.0 },                /* an empty term never matches */
};
#define N_INTERESTS (sizeof interests / sizeof *interests)

static void
test_match_title_counts_double(void **state)
{
    char m[128];
    (void)state;

    assert_double_eq(digest_match(interests, N_INTERESTS, "Coaching tips",
                                  NULL, m, sizeof m), 4.0);
    assert_string_equal(m, "coaching");
    assert_double_eq(digest_match(interests, N_INTERESTS, "Tips",
                                  "about coaching", m, sizeof m), 2.0);
    assert_string_equal(m, "coaching");
    /* In both: 2 * 2 + 2. */
    assert_double_eq(digest_match(interests, N_INTERESTS, "coaching",
                                  "more coaching", m, sizeof m), 6.0);
    assert_string_equal(m, "coaching");
    /* Nothing: 0 and an empty list. */
    strcpy(m, "stale");
    assert_double_eq(digest_match(interests, N_INTERESTS, "Weather", "rain",
                                  m, sizeof m), 0.0);
    assert_string_equal(m, "");
    assert_double_eq(digest_match(interests, N_INTERESTS, NULL, NULL, m,
                                  sizeof m), 0.0);
    assert_string_equal(m, "");
    assert_double_eq(digest_match(interests, 0, "coaching", "coaching", m,
                                  sizeof m), 0.0);
    assert_string_equal(m, "");
}

static void
test_match_case_and_list(void **state)
{
    char m[128];
    (void)state;

    /* Case-insensitive both ways; the term is listed as the user wrote
     * it, in the order of the interests. */
    assert_double_eq(digest_match(interests, N_INTERESTS, "x",
                                  "ONBOARDING", m, sizeof m), 1.0);
    assert_string_equal(m, "Onboarding");
    assert_double_eq(digest_match(interests, N_INTERESTS,
                                  "onboarding and COACHING", NULL, m,
                                  sizeof m), 6.0);
    assert_string_equal(m, "coaching, Onboarding");
    /* A negative weight pulls down: 4 + 2 - 1.5. */
    assert_double_eq(digest_match(interests, N_INTERESTS,
                                  "Coaching, onboarding", "crypto news", m,
                                  sizeof m), 4.5);
    assert_string_equal(m, "coaching, Onboarding, crypto");
    assert_double_eq(digest_match(interests, N_INTERESTS, "Crypto", "crypto",
                                  m, sizeof m), -4.5);
    assert_string_equal(m, "crypto");
    /* 'matched' may be NULL. */
    assert_double_eq(digest_match(interests, N_INTERESTS, "coaching",
                                  "onboarding", NULL, 0), 5.0);
    assert_double_eq(digest_match(interests, N_INTERESTS, "coaching",
                                  "onboarding", NULL, 100), 5.0);
}

/* digest_match into a buffer of 'len' bytes inside a larger one: the
 * result is 'want' and nothing past 'len' is touched. */
static void
check_truncated(size_t len, const char *want)
{
    char m[64];
    memset(m, '#', sizeof m);
    double v = digest_match(interests, N_INTERESTS,
                            "coaching onboarding crypto", NULL, m, len);
    assert_double_eq(v, 3.0);  /* 2 * (2 + 1 - 1.5) */
    for (size_t i = len; i < sizeof m; i++)
        assert_int_equal(m[i], '#');
    if (len > 0) {
        assert_non_null(memchr(m, '\0', len));
        assert_string_equal(m, want);
    }
}

static void
test_match_truncates(void **state)
{
    (void)state;
    check_truncated(0, NULL);
    check_truncated(1, "");
    check_truncated(2, "c");
    check_truncated(5, "coac");
    check_truncated(9, "coaching");
    check_truncated(10, "coaching,");
    check_truncated(12, "coaching, O");
    check_truncated(20, "coaching, Onboardin");
    check_truncated(21, "coaching, Onboarding");
    check_truncated(22, "coaching, Onboarding,");
    check_truncated(29, "coaching, Onboarding, crypto");
    check_truncated(64, "coaching, Onboarding, crypto");
}

/* ---- digest_run_due ---- */

static long long
add_user(struct fx *fx, const char *name)
{
    char email[128];
    long long id = 0;
    snprintf(email, sizeof email, "%s@example.org", name);
    assert_int_equal(store_user_add(fx->st, name, email, &id), CUR_OK);
    assert_true(id > 0);
    return id;
}

static long long
add_feed(struct fx *fx, const char *url)
{
    long long id = 0;
    assert_int_equal(store_feed_add(fx->st, url, "cli", &id), CUR_OK);
    assert_true(id > 0);
    return id;
}

static void
interest(struct fx *fx, long long user, const char *term, double weight)
{
    assert_int_equal(store_interest_add(fx->st, user, term, weight), CUR_OK);
}

static void
subscribe(struct fx *fx, long long user, long long feed)
{
    assert_int_equal(store_subscribe(fx->st, user, feed), CUR_OK);
}

/* One item to poll in: title and plain text. */
struct new_item {
    const char *title;
    const char *text;
};

/* Store 'n' items in 'feed' as a successful poll at 'now'. The guid is
 * the title, so each title must be new to the feed. */
static void
poll_in(struct fx *fx, long long feed, long long now,
        const struct new_item *items, size_t n)
{
    struct feed *f = calloc(1, sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        struct item *it = feed_add_item(f);
        char link[256];
        assert_non_null(it);
        snprintf(link, sizeof link, "https://example.org/%lld/%lld/%zu",
                 feed, now, i);
        it->guid = strdup(items[i].title);
        it->title = strdup(items[i].title);
        it->link = strdup(link);
        it->text = strdup(items[i].text);
        it->published = now - 3600;
        assert_non_null(it->guid);
        assert_non_null(it->title);
        assert_non_null(it->link);
        assert_non_null(it->text);
    }
    struct store_poll p = {
        .now = now, .next_poll = now + 3600, .status = 200,
        .title = "Example feed",
    };
    int added = -1;
    assert_int_equal(store_feed_polled(fx->st, feed, &p, f, &added),
                     CUR_OK);
    assert_int_equal(added, (int)n);
    feed_free(f);
}

/* The names in the spool, sorted; hidden files too. */
struct listing {
    size_t n;
    char name[MAX_FILES][256];
};

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void
list_spool(const char *spool, struct listing *l)
{
    DIR *d = opendir(spool);
    struct dirent *e;
    assert_non_null(d);
    l->n = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(l->n < MAX_FILES);
        snprintf(l->name[l->n++], sizeof l->name[0], "%s", e->d_name);
    }
    closedir(d);
    qsort(l->name, l->n, sizeof l->name[0], cmp_name);
}

/* The text of spool/name (free()). */
static char *
read_spool(struct fx *fx, const char *name)
{
    char *path, *text;
    assert_true(asprintf(&path, "%s/%s", fx->spool, name) > 0);
    text = t_read_file(path, NULL);
    free(path);
    assert_non_null(text);
    return text;
}

static int
run(struct fx *fx, long long now)
{
    int written = -1;
    assert_int_equal(digest_run_due(fx->st, &fx->cfg, now, &written),
                     CUR_OK);
    return written;
}

/* A user's digest state. */
struct user_state {
    const char *name;
    int found;
    long long last_digest, cursor;
};

static int
find_user_cb(void *ctx, const struct store_user *u)
{
    struct user_state *s = ctx;
    if (strcmp(u->name, s->name) == 0) {
        s->found = 1;
        s->last_digest = u->last_digest;
        s->cursor = u->digest_cursor;
    }
    return 0;
}

static struct user_state
user_state(struct fx *fx, const char *name)
{
    struct user_state s = { .name = name };
    assert_int_equal(store_user_list(fx->st, find_user_cb, &s), CUR_OK);
    assert_true(s.found);
    return s;
}

/* Position of 'needle' in 'hay'; fails if absent. */
static size_t
pos(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    if (p == NULL)
        fail_msg("\"%s\" not found in:\n%s", needle, hay);
    return (size_t)(p - hay);
}

static const struct new_item first[] = {
    { "Weather today", "rain and wind" },
    { "Onboarding guide", "how to welcome people" },
    { "Coaching and onboarding", "a coaching session" },
};

/* alice and dave read feed 1; bob reads nothing; carol reads feed 2,
 * which has no items. */
static void
populate(struct fx *fx, long long *feed1)
{
    long long alice = add_user(fx, "alice");
    add_user(fx, "bob");
    long long carol = add_user(fx, "carol");
    long long dave = add_user(fx, "dave");
    long long f1 = add_feed(fx, "https://example.org/one.xml");
    long long f2 = add_feed(fx, "https://example.org/two.xml");
    interest(fx, alice, "coaching", 2.0);
    interest(fx, alice, "onboarding", 1.0);
    subscribe(fx, alice, f1);
    subscribe(fx, dave, f1);
    subscribe(fx, carol, f2);
    poll_in(fx, f1, T0 - 600, first, 3);
    *feed1 = f1;
}

static void
test_run_one_file_per_user(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    long long f1;

    populate(fx, &f1);
    assert_int_equal(run(fx, T0), 2);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.name[0], "20231114T221320Z-alice.txt");
    assert_string_equal(l.name[1], "20231114T221320Z-dave.txt");

    char *a = read_spool(fx, l.name[0]);
    assert_int_equal(pos(a, "To: alice <alice@example.org>\n"), 0);
    pos(a, "\nDate: 2023-11-14T22:13:20Z\n");
    pos(a, "\nSubject: Your Curator digest: 3 new items\n");
    pos(a, "\nHello alice,\n");
    /* Ranked: 4 + 2 + 2 = 8, then 2, then 0. */
    size_t p1 = pos(a, "\n1. Coaching and onboarding\n");
    size_t p2 = pos(a, "\n2. Onboarding guide\n");
    size_t p3 = pos(a, "\n3. Weather today\n");
    assert_true(p1 < p2 && p2 < p3);
    assert_true(pos(a, "   Matches your interests: coaching, onboarding\n")
                > p1);
    assert_true(pos(a, "   Matches your interests: onboarding\n") > p2);
    /* The item that matches nothing says nothing about interests. */
    assert_null(strstr(a + p3, "Matches your interests"));
    pos(a, "   Example feed - 2023-11-14\n");
    pos(a, "   a coaching session\n");
    pos(a, "   https://example.org/");
    assert_null(strstr(a, "more item"));
    assert_null(strstr(a, " since "));
    free(a);

    /* No interests: arrival order. */
    char *d = read_spool(fx, l.name[1]);
    assert_int_equal(pos(d, "To: dave <dave@example.org>\n"), 0);
    size_t q1 = pos(d, "\n1. Weather today\n");
    size_t q2 = pos(d, "\n2. Onboarding guide\n");
    size_t q3 = pos(d, "\n3. Coaching and onboarding\n");
    assert_true(q1 < q2 && q2 < q3);
    assert_null(strstr(d, "Matches your interests"));
    free(d);

    /* The store remembers; bob and carol were not touched. */
    struct user_state s = user_state(fx, "alice");
    assert_int_equal(s.last_digest, T0);
    assert_true(s.cursor > 0);
    assert_int_equal(user_state(fx, "dave").cursor, s.cursor);
    assert_int_equal(user_state(fx, "bob").last_digest, 0);
    assert_int_equal(user_state(fx, "carol").last_digest, 0);
}

static void
test_run_not_due_and_nothing_new(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    long long f1;

    populate(fx, &f1);
    assert_int_equal(run(fx, T0), 2);

    /* Same time again, or just before the interval: nobody is due. */
    assert_int_equal(run(fx, T0), 0);
    assert_int_equal(run(fx, T0 + DAY - 1), 0);
    /* After the interval with nothing new: no file, nothing recorded. */
    assert_int_equal(run(fx, T0 + DAY), 0);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(user_state(fx, "alice").last_digest, T0);

    /* New items: the user is still due, and the second digests hold only
     * the new items. */
    static const struct new_item second[] = {
        { "Lunch menu", "soup" },
        { "Coaching for managers", "leaders" },
    };
    poll_in(fx, f1, T0 + DAY + 100, second, 2);
    assert_int_equal(run(fx, T0 + DAY + 200), 2);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.name[0], "20231114T221320Z-alice.txt");
    assert_string_equal(l.name[1], "20231114T221320Z-dave.txt");
    assert_string_equal(l.name[2], "20231115T221640Z-alice.txt");
    assert_string_equal(l.name[3], "20231115T221640Z-dave.txt");
    char *a = read_spool(fx, "20231115T221640Z-alice.txt");
    pos(a, "Subject: Your Curator digest: 2 new items\n");
    pos(a, "\n2 new items in your feeds since 2023-11-14T22:13:20Z, ");
    size_t p1 = pos(a, "\n1. Coaching for managers\n");
    size_t p2 = pos(a, "\n2. Lunch menu\n");
    assert_true(p1 < p2);
    assert_null(strstr(a, "Weather today"));
    assert_null(strstr(a, "Onboarding guide"));
    assert_null(strstr(a, "Coaching and onboarding"));
    free(a);
    assert_int_equal(user_state(fx, "alice").last_digest, T0 + DAY + 200);

    /* A new item right after a digest waits for the next interval. */
    static const struct new_item third[] = { { "Late news", "late" } };
    poll_in(fx, f1, T0 + DAY + 250, third, 1);
    assert_int_equal(run(fx, T0 + DAY + 300), 0);
    assert_int_equal(run(fx, T0 + 2 * DAY + 199), 0);
    assert_int_equal(run(fx, T0 + 2 * DAY + 200), 2);
    a = read_spool(fx, "20231116T221640Z-alice.txt");
    pos(a, "Subject: Your Curator digest: 1 new item\n");
    pos(a, "\n1. Late news\n");
    assert_null(strstr(a, "\n2. "));
    assert_null(strstr(a, "Lunch menu"));
    free(a);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 6);

    /* written may be NULL. */
    assert_int_equal(digest_run_due(fx->st, &fx->cfg, T0 + 9 * DAY, NULL),
                     CUR_OK);
}

static void
test_max_items(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    long long alice = add_user(fx, "alice");
    long long f = add_feed(fx, "https://example.org/many.xml");
    static const struct new_item many[] = {
        { "One", "plain" },
        { "Two", "coaching" },
        { "Three", "plain" },
        { "Four coaching", "plain" },
        { "Five", "plain" },
    };

    interest(fx, alice, "coaching", 1.0);
    subscribe(fx, alice, f);
    poll_in(fx, f, T0 - 60, many, 5);
    fx->cfg.max_items = 2;
    assert_int_equal(run(fx, T0), 1);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 1);
    char *a = read_spool(fx, l.name[0]);
    pos(a, "Subject: Your Curator digest: 5 new items\n");
    size_t p1 = pos(a, "\n1. Four coaching\n");
    size_t p2 = pos(a, "\n2. Two\n");
    assert_true(p1 < p2);
    assert_null(strstr(a, "\n3. "));
    assert_null(strstr(a, "One"));
    assert_null(strstr(a, "Five"));
    pos(a, "\n3 more items not shown (at most 2 per digest).\n");
    free(a);

    /* Every item counted as sent: nothing is left for next time. */
    assert_int_equal(run(fx, T0 + DAY), 0);

    static const struct new_item two[] = {
        { "Six", "plain" }, { "Seven", "plain" },
    };
    poll_in(fx, f, T0 + DAY + 1, two, 2);
    fx->cfg.max_items = 1;
    assert_int_equal(run(fx, T0 + DAY + 2), 1);
    a = read_spool(fx, "20231115T221322Z-alice.txt");
    pos(a, "\n1. Six\n");
    assert_null(strstr(a, "Seven"));
    pos(a, "\n1 more item not shown (at most 1 per digest).\n");
    free(a);
}

static void
test_no_temp_file_left(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    long long f1;

    populate(fx, &f1);
    assert_int_equal(run(fx, T0), 2);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < l.n; i++) {
        assert_true(l.name[i][0] != '.');
        assert_null(strstr(l.name[i], ".tmp"));
        /* YYYYMMDDTHHMMSSZ-USER.txt */
        assert_int_equal(l.name[i][8], 'T');
        assert_int_equal(l.name[i][15], 'Z');
        assert_int_equal(l.name[i][16], '-');
        for (size_t k = 0; k < 15; k++)
            if (k != 8)
                assert_true(l.name[i][k] >= '0' && l.name[i][k] <= '9');
    }
    assert_string_equal(l.name[0] + 16, "-alice.txt");
    assert_string_equal(l.name[1] + 16, "-dave.txt");
}

static void
test_missing_spool(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    long long f1;
    char *missing;
    int written = -1;

    populate(fx, &f1);
    assert_true(asprintf(&missing, "%s/no-such-dir", fx->dir) > 0);
    fx->cfg.spool_dir = missing;
    assert_int_not_equal(digest_run_due(fx->st, &fx->cfg, T0, &written),
                         CUR_OK);
    assert_int_equal(written, 0);
    /* Nothing recorded: the cursor did not move. */
    struct user_state s = user_state(fx, "alice");
    assert_int_equal(s.last_digest, 0);
    assert_int_equal(s.cursor, 0);
    s = user_state(fx, "dave");
    assert_int_equal(s.last_digest, 0);
    assert_int_equal(s.cursor, 0);

    /* With the spool back, the next run has every item. */
    fx->cfg.spool_dir = fx->spool;
    assert_int_equal(run(fx, T0 + 60), 2);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.name[0], "20231114T221420Z-alice.txt");
    char *a = read_spool(fx, l.name[0]);
    pos(a, "Subject: Your Curator digest: 3 new items\n");
    pos(a, "\n1. Coaching and onboarding\n");
    pos(a, "\n2. Onboarding guide\n");
    pos(a, "\n3. Weather today\n");
    free(a);
    free(missing);
}

/* KNOWN BUG: render() in digest.c shows at most DIGEST_SUMMARY_MAX (300)
 * bytes of a summary with "%.*s", which cuts inside a UTF-8 character
 * (and inside a word). Summaries are stored up to POLLER_TEXT_MAX (4096)
 * bytes, so a long non-ASCII summary makes the digest invalid UTF-8. */
static void
test_regression_summary_cut_utf8(void **state)
{
    struct fx *fx = *state;
    struct listing l;
    char text[512] = "x";

    for (int i = 0; i < 200; i++)
        strcat(text, "\xc3\xa9");
    long long alice = add_user(fx, "alice");
    long long f = add_feed(fx, "https://example.org/utf8.xml");
    subscribe(fx, alice, f);
    struct new_item it = { "Accents", text };
    poll_in(fx, f, T0 - 60, &it, 1);
    assert_int_equal(run(fx, T0), 1);
    list_spool(fx->spool, &l);
    assert_int_equal(l.n, 1);
    char *a = read_spool(fx, l.name[0]);
    pos(a, "   x\xc3\xa9\xc3\xa9");
    assert_true(valid_utf8(a));
    free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_title_counts_double),
        cmocka_unit_test(test_match_case_and_list),
        cmocka_unit_test(test_match_truncates),
        cmocka_unit_test_setup_teardown(test_run_one_file_per_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_not_due_and_nothing_new,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temp_file_left, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_spool, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regression_summary_cut_utf8,
                                        setup, teardown),
    };
    /* Errors only: the missing-spool test logs the two it expects. */
    log_open(NULL, LOG_ERR);
    return cmocka_run_group_tests_name("unit: digest", tests, NULL, NULL);
}
