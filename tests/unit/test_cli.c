/* Tests of the command line: the real build/curator binary run with
 * t_run() against a config and database in a fresh temporary folder.
 *
 * Each check names the exact exit status (0 done, 1 failed, 2 misuse)
 * and what must be on standard output and standard error. Where the
 * command line says nothing about what it stored (interests,
 * subscriptions), the database is opened with the store API to look.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "feed.h"
#include "log.h"
#include "store.h"
#include "support.h"

#define MAX_ARGS 16
#define CONFIG "[store]\npath = curator.db\n"
#define FEED_URL "https://example.org/feed.xml"
#define EVIL "x'; DROP TABLE users;--"

struct fx {
    char *dir;
    char *config;       /* dir/curator.ini */
    char *db;           /* dir/curator.db */
    char bin[4096];
    char *out, *err;    /* of the last run */
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    fx->dir = t_mkdtemp();
    if (fx->dir == NULL
        || (fx->config = t_write_file(fx->dir, "curator.ini", CONFIG))
           == NULL
        || asprintf(&fx->db, "%s/curator.db", fx->dir) < 0)
        return -1;
    snprintf(fx->bin, sizeof fx->bin, "%s/curator", t_build_dir());
    if (access(fx->bin, X_OK) != 0) {
        fprintf(stderr, "%s is missing: run 'make all' first\n", fx->bin);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    free(fx->out);
    free(fx->err);
    t_rmtree(fx->dir);
    free(fx->db);
    free(fx->config);
    free(fx->dir);
    free(fx);
    return 0;
}

/* Run curator with the NULL-terminated arguments, after "-c CONFIG" when
 * 'config' is set. Returns the exit status; the output is in fx->out and
 * fx->err until the next run. */
static int
vrun(struct fx *fx, const char *config, va_list ap)
{
    char *argv[MAX_ARGS + 4];
    int n = 0;
    const char *a;

    argv[n++] = fx->bin;
    if (config) {
        argv[n++] = (char *)"-c";
        argv[n++] = (char *)config;
    }
    while ((a = va_arg(ap, const char *)) != NULL) {
        assert_true(n < MAX_ARGS);
        argv[n++] = (char *)a;
    }
    argv[n] = NULL;
    free(fx->out);
    free(fx->err);
    fx->out = fx->err = NULL;
    int rc = t_run(argv, &fx->out, &fx->err);
    assert_non_null(fx->out);
    assert_non_null(fx->err);
    return rc;
}

/* curator -c fx->config ARGS... */
static int
run(struct fx *fx, ...)
{
    va_list ap;
    va_start(ap, fx);
    int rc = vrun(fx, fx->config, ap);
    va_end(ap);
    return rc;
}

/* curator ARGS... (no -c) */
static int
run_bare(struct fx *fx, ...)
{
    va_list ap;
    va_start(ap, fx);
    int rc = vrun(fx, NULL, ap);
    va_end(ap);
    return rc;
}

#define RUN(fx, ...) run((fx), __VA_ARGS__, (const char *)NULL)
#define RUN_BARE(fx, ...) run_bare((fx), __VA_ARGS__, (const char *)NULL)

static void
contains(const char *hay, const char *needle)
{
    if (hay == NULL || strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void
lacks(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL)
        fail_msg("did not expect \"%s\" in:\n%s", needle, hay);
}

/* A failure: status 1, nothing on stdout, "curator: MESSAGE" on stderr
 * ('want' is part of the message). */
static void
check_fails(struct fx *fx, int rc, const char *want)
{
    assert_int_equal(rc, 1);
    assert_string_equal(fx->out, "");
    contains(fx->err, want);
}

/* Misuse: status 2 and the usage on stderr. */
static void
check_misuse(struct fx *fx, int rc, const char *want)
{
    assert_int_equal(rc, 2);
    assert_string_equal(fx->out, "");
    contains(fx->err, want);
    contains(fx->err, "usage: curator [-c FILE] ");
}

static const char *const all_commands[] = {
    "  init ",
    "  user add NAME EMAIL ",
    "  user list ",
    "  feed add [--list] [--as-is] URL ",
    "  feed list ",
    "  feed show ID ",
    "  feed remove ID ",
    "  subscribe USER FEED ",
    "  interest add USER TERM [WEIGHT] [--goal NAME] ",
    "  items [--feed ID] [--limit N] ",
    "  poll [--all] [--feed ID] ",
    "  opml import FILE ",
    "  opml export [FILE] ",
    "  parse [--base-url URL] [--content-type TYPE] FILE|- ",
    "  help [COMMAND] ",
};

static void
test_misuse(void **state)
{
    struct fx *fx = *state;

    /* No command at all, with or without a config. */
    check_misuse(fx, run_bare(fx, (const char *)NULL),
                 "curator: no command given\n");
    check_misuse(fx, run(fx, (const char *)NULL), "no command given");
    contains(fx->err, "usage: curator [-c FILE] COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof all_commands / sizeof *all_commands; i++)
        contains(fx->err, all_commands[i]);

    check_misuse(fx, RUN(fx, "bogus"), "curator: unknown command 'bogus'\n");
    check_misuse(fx, RUN(fx, "user"), "curator: unknown command 'user'\n");
    check_misuse(fx, RUN(fx, "user", "delete", "alice"),
                 "unknown command 'user'");
    check_misuse(fx, RUN_BARE(fx, "--bogus", "init"),
                 "curator: unknown option '--bogus'\n");
    check_misuse(fx, RUN_BARE(fx, "-x"), "unknown option '-x'");
    /* -c needs a value. */
    check_misuse(fx, RUN_BARE(fx, "-c"), "unknown option '-c'");
    /* Nothing was created by any of that. */
    assert_int_not_equal(access(fx->db, F_OK), 0);
}

static void
test_help(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN_BARE(fx, "help"), 0);
    assert_string_equal(fx->err, "");
    static const char head[] = "usage: curator [-c FILE] COMMAND [ARGS]\n";
    assert_int_equal(strncmp(fx->out, head, strlen(head)), 0);
    for (size_t i = 0; i < sizeof all_commands / sizeof *all_commands; i++)
        contains(fx->out, all_commands[i]);
    contains(fx->out, "'curator COMMAND --help' shows one command.\n");
    char *full = strdup(fx->out);
    assert_non_null(full);

    assert_int_equal(RUN_BARE(fx, "--help"), 0);
    assert_string_equal(fx->out, full);
    assert_int_equal(RUN_BARE(fx, "-h"), 0);
    assert_string_equal(fx->out, full);
    free(full);

    /* One command's usage, to stdout. */
    static const char user_add[] = "usage: curator [-c FILE] user add NAME "
                                   "EMAIL\n  add a user\n";
    assert_int_equal(RUN_BARE(fx, "user", "add", "--help"), 0);
    assert_string_equal(fx->out, user_add);
    assert_string_equal(fx->err, "");
    assert_int_equal(RUN_BARE(fx, "user", "add", "alice", "-h"), 0);
    assert_string_equal(fx->out, user_add);
    assert_int_equal(RUN_BARE(fx, "help", "user", "add"), 0);
    assert_string_equal(fx->out, user_add);
    assert_int_equal(RUN_BARE(fx, "help", "init"), 0);
    assert_string_equal(fx->out, "usage: curator [-c FILE] init\n  create "
                        "or upgrade the database and add the config's "
                        "feeds\n");
    assert_int_equal(RUN_BARE(fx, "feed", "remove", "--help"), 0);
    contains(fx->out, "usage: curator [-c FILE] feed remove ID\n");
    check_misuse(fx, RUN_BARE(fx, "help", "nope"),
                 "curator: no command 'nope'\n");
    /* --help needs no config or database. */
    assert_int_equal(RUN_BARE(fx, "-c", "/nonexistent/curator.ini", "items",
                              "--help"), 0);
    contains(fx->out, "usage: curator [-c FILE] items [--feed ID] "
             "[--limit N]\n");
}

static void
test_argument_counts(void **state)
{
    struct fx *fx = *state;

    check_misuse(fx, RUN(fx, "user", "add", "alice"),
                 "curator: user add: expected NAME EMAIL\n"
                 "usage: curator [-c FILE] user add NAME EMAIL\n");
    check_misuse(fx, RUN(fx, "user", "add"), "user add: expected NAME EMAIL");
    check_misuse(fx, RUN(fx, "user", "add", "a", "a@example.org", "x"),
                 "user add: expected NAME EMAIL");
    check_misuse(fx, RUN(fx, "user", "list", "x"),
                 "curator: user list: expected no arguments\n");
    check_misuse(fx, RUN(fx, "init", "now"), "init: expected no arguments");
    check_misuse(fx, RUN(fx, "feed", "add"),
                 "feed add: expected [--list] [--as-is] URL\n");
    check_misuse(fx, RUN(fx, "feed", "remove"), "feed remove: expected ID");
    check_misuse(fx, RUN(fx, "subscribe", "alice"),
                 "subscribe: expected USER FEED");
    check_misuse(fx, RUN(fx, "interest", "add", "alice"),
                 "interest add: expected USER TERM [WEIGHT] [--goal NAME]");
    check_misuse(fx, RUN(fx, "interest", "add", "a", "b", "1", "--goal",
                         "g", "2"),
                 "interest add: expected USER TERM [WEIGHT] [--goal NAME]");
    check_misuse(fx, RUN(fx, "parse"), "parse: expected");
    /* Misuse is found before the database is touched. */
    assert_int_not_equal(access(fx->db, F_OK), 0);
}

static void
test_init(void **state)
{
    struct fx *fx = *state;
    char want[4096];

    assert_int_equal(RUN(fx, "init"), 0);
    assert_string_equal(fx->err, "");
    snprintf(want, sizeof want, "database %s ready (schema %d); 0 feeds "
             "added from %s\n", fx->db, STORE_SCHEMA_VERSION, fx->config);
    assert_string_equal(fx->out, want);
    /* The store path is relative to the config's folder. */
    assert_int_equal(access(fx->db, F_OK), 0);
    /* Again: nothing to do, still fine. */
    assert_int_equal(RUN(fx, "init"), 0);
    assert_string_equal(fx->out, want);

    /* The config's feeds are added once. */
    free(t_write_file(fx->dir, "curator.ini", CONFIG "[feeds]\n"
                      "one = https://example.org/one.xml\n"
                      "two = https://example.org/two.xml\n"));
    assert_int_equal(RUN(fx, "init"), 0);
    contains(fx->out, " feeds added from ");
    contains(fx->out, "; 2 feeds added from ");
    assert_int_equal(RUN(fx, "init"), 0);
    contains(fx->out, "; 0 feeds added from ");
    assert_int_equal(RUN(fx, "feed", "list"), 0);
    contains(fx->out, "https://example.org/one.xml\n");
    contains(fx->out, "https://example.org/two.xml\n");
}

static void
test_users(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN(fx, "user", "list"), 0);
    assert_string_equal(fx->out, "no users yet (add one with 'curator user "
                        "add NAME EMAIL')\n");

    assert_int_equal(RUN(fx, "user", "add", "alice", "alice@example.org"),
                     0);
    assert_string_equal(fx->out, "user 1 added: alice <alice@example.org>\n");
    assert_string_equal(fx->err, "");
    check_fails(fx, RUN(fx, "user", "add", "alice", "other@example.org"),
                "curator: a user named 'alice' already exists\n");
    assert_int_equal(RUN(fx, "user", "add", "bob.smith_2-x",
                         "bob+tag@mail.example.org"), 0);
    assert_string_equal(fx->out, "user 2 added: bob.smith_2-x "
                        "<bob+tag@mail.example.org>\n");

    /* Bad names. */
    static const char *const names[] = {
        "bad name", ".dot", "-dash", "", "a/b", "caf\xc3\xa9", "a;b",
        "12345678901234567890123456789012345678901234567890123456789012345",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char want[256];
        snprintf(want, sizeof want, "curator: user name '%s' is not valid",
                 names[i]);
        check_fails(fx, RUN(fx, "user", "add", names[i], "x@example.org"),
                    want);
    }
    /* 64 characters is the most. */
    assert_int_equal(RUN(fx, "user", "add", "123456789012345678901234567890"
                         "1234567890123456789012345678901234", "x@x.org"),
                     0);

    /* Bad email addresses. */
    static const char *const emails[] = {
        "a@b>c", "no-at-sign", "a@b@c", "@example.org", "alice@", "a b@c.d",
        "\"q\"@x.org", "a@b,c", "<a@b.c>", "a@b\nBcc: x@y.z", "",
    };
    for (size_t i = 0; i < sizeof emails / sizeof *emails; i++) {
        char want[256];
        snprintf(want, sizeof want, "curator: '%s' is not a plain email "
                 "address", emails[i]);
        check_fails(fx, RUN(fx, "user", "add", "carol", emails[i]), want);
    }

    assert_int_equal(RUN(fx, "user", "list"), 0);
    assert_string_equal(fx->err, "");
    contains(fx->out, "ID   NAME");
    contains(fx->out, "\n1    alice                alice@example.org"
             "                never\n");
    contains(fx->out, "\n2    bob.smith_2-x        bob+tag@mail.example.org");
    lacks(fx->out, "carol");
}

static void
test_feeds(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN(fx, "feed", "list"), 0);
    assert_string_equal(fx->out, "no feeds yet (add one with 'curator feed "
                        "add URL')\n");
    assert_int_equal(RUN(fx, "feed", "add", "--as-is", FEED_URL), 0);
    assert_string_equal(fx->out, "feed 1 added: " FEED_URL " (polled by "
                        "curatord at its next tick)\n");
    assert_string_equal(fx->err, "");
    check_fails(fx, RUN(fx, "feed", "add", "--as-is", FEED_URL),
                "curator: feed " FEED_URL " is already there as feed 1\n");
    /* Checked (the default), a URL that cannot be read is refused with
     * the way round it. */
    check_fails(fx, RUN(fx, "feed", "add", "file:///nonexistent/feed.xml"),
                "(to add the URL unchecked, use 'curator feed add --as-is "
                "URL')\n");
    check_misuse(fx, RUN(fx, "feed", "add", "--bogus", FEED_URL),
                 "feed add: bad arguments");
    check_misuse(fx, RUN(fx, "feed", "add", "--list", "--as-is", FEED_URL),
                 "feed add: bad arguments");

    static const char *const bad[] = {
        "ftp://x", "http://a b", "http://", "https://", "file://",
        "example.org/feed.xml", "javascript:alert(1)", "http://a\tb",
        "http://a\nb", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        snprintf(want, sizeof want, "curator: '%s' is not a feed URL",
                 bad[i]);
        check_fails(fx, RUN(fx, "feed", "add", bad[i]), want);
    }
    assert_int_equal(RUN(fx, "feed", "add", "--as-is",
                         "file:///tmp/feed.xml"), 0);
    assert_string_equal(fx->out, "feed 2 added: file:///tmp/feed.xml "
                        "(polled by curatord at its next tick)\n");

    assert_int_equal(RUN(fx, "feed", "list"), 0);
    contains(fx->out, "ID   STATUS FAILURES ITEMS  LAST SUCCESS         "
             "NEXT POLL            URL");
    contains(fx->out, "\n1    0      0        0      never"
             "                due                  " FEED_URL "\n");
    contains(fx->out, " file:///tmp/feed.xml\n");

    check_fails(fx, RUN(fx, "feed", "remove", "999"),
                "curator: no feed with ID 999 (see 'curator feed list')\n");
    static const char *const ids[] = {
        "abc", "0", "-1", "1x", " 1", "99999999999999999999", "",
    };
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char want[256];
        snprintf(want, sizeof want, "curator: feed ID must be a positive "
                 "whole number, not '%s'\n", ids[i]);
        check_fails(fx, RUN(fx, "feed", "remove", ids[i]), want);
    }
    assert_int_equal(RUN(fx, "feed", "remove", "2"), 0);
    assert_string_equal(fx->out, "feed 2 removed with its items and "
                        "subscriptions\n");
    check_fails(fx, RUN(fx, "feed", "remove", "2"), "no feed with ID 2");
    assert_int_equal(RUN(fx, "feed", "list"), 0);
    contains(fx->out, FEED_URL);
    lacks(fx->out, "file:///tmp/feed.xml");
}

/* Look into the database the command line wrote. */
static long long
subscriptions(struct fx *fx, long long user)
{
    struct store *st;
    long long n = -1;
    assert_int_equal(store_open(fx->db, &st), CUR_OK);
    assert_int_equal(store_subscription_count(st, user, &n), CUR_OK);
    store_close(st);
    return n;
}

static void
test_subscribe(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN(fx, "user", "add", "alice", "alice@example.org"),
                     0);
    assert_int_equal(RUN(fx, "feed", "add", "--as-is", FEED_URL), 0);
    assert_int_equal(RUN(fx, "feed", "add", "--as-is",
                         "https://example.org/2.xml"), 0);

    assert_int_equal(RUN(fx, "subscribe", "alice", "1"), 0);
    assert_string_equal(fx->out, "alice is subscribed to feed 1\n");
    assert_string_equal(fx->err, "");
    assert_int_equal(subscriptions(fx, 1), 1);
    /* Twice is not an error, and still one subscription. */
    assert_int_equal(RUN(fx, "subscribe", "alice", "1"), 0);
    assert_int_equal(subscriptions(fx, 1), 1);

    check_fails(fx, RUN(fx, "subscribe", "bob", "1"),
                "curator: no user named 'bob' (see 'curator user list')\n");
    check_fails(fx, RUN(fx, "subscribe", "alice", "42"),
                "curator: no feed with ID 42 (see 'curator feed list')\n");
    check_fails(fx, RUN(fx, "subscribe", "alice",
                        "https://example.org/nope.xml"),
                "curator: no feed with URL https://example.org/nope.xml "
                "(add it first with 'curator feed add')\n");
    assert_int_equal(subscriptions(fx, 1), 1);

    /* By URL. */
    assert_int_equal(RUN(fx, "subscribe", "alice",
                         "https://example.org/2.xml"), 0);
    assert_string_equal(fx->out, "alice is subscribed to feed 2\n");
    assert_int_equal(subscriptions(fx, 1), 2);
    assert_int_equal(RUN(fx, "subscribe", "alice", FEED_URL), 0);
    assert_string_equal(fx->out, "alice is subscribed to feed 1\n");
    assert_int_equal(subscriptions(fx, 1), 2);
}

struct terms {
    size_t n;
    char term[8][160];
    double weight[8];
};

static int
term_cb(void *ctx, const struct store_interest *in)
{
    struct terms *t = ctx;
    assert_true(t->n < 8);
    snprintf(t->term[t->n], sizeof t->term[0], "%s", in->term);
    t->weight[t->n] = in->weight;
    t->n++;
    return 0;
}

/* The weight of 'term' for user 1; fails when it is not there. */
static double
weight_of(struct fx *fx, const char *term, size_t *n_terms)
{
    struct store *st;
    struct terms t = { 0 };
    assert_int_equal(store_open(fx->db, &st), CUR_OK);
    assert_int_equal(store_interest_list(st, 1, term_cb, &t), CUR_OK);
    store_close(st);
    if (n_terms)
        *n_terms = t.n;
    for (size_t i = 0; i < t.n; i++)
        if (strcmp(t.term[i], term) == 0)
            return t.weight[i];
    fail_msg("no interest '%s'", term);
    return 0;
}

static void
test_interests(void **state)
{
    struct fx *fx = *state;
    size_t n;

    assert_int_equal(RUN(fx, "user", "add", "alice", "alice@example.org"),
                     0);
    assert_int_equal(RUN(fx, "interest", "add", "alice", "coaching", "2.5"),
                     0);
    assert_string_equal(fx->out, "alice: interest 'coaching' with weight "
                        "2.5\n");
    assert_string_equal(fx->err, "");
    assert_true(weight_of(fx, "coaching", &n) == 2.5);
    assert_int_equal(n, 1);

    /* Default weight 1; the bounds are allowed. */
    assert_int_equal(RUN(fx, "interest", "add", "alice", "onboarding"), 0);
    assert_string_equal(fx->out, "alice: interest 'onboarding' with weight "
                        "1\n");
    assert_int_equal(RUN(fx, "interest", "add", "alice", "low", "-10"), 0);
    assert_int_equal(RUN(fx, "interest", "add", "alice", "high", "1e1"), 0);
    assert_string_equal(fx->out, "alice: interest 'high' with weight 10\n");
    assert_true(weight_of(fx, "low", NULL) == -10);

    /* Changing a weight keeps one interest. */
    assert_int_equal(RUN(fx, "interest", "add", "alice", "coaching", "-3"),
                     0);
    assert_true(weight_of(fx, "coaching", &n) == -3);
    assert_int_equal(n, 4);

    static const char *const bad[] = {
        "abc", "11", "-10.5", "10.001", "nan", "inf", "-inf", "", "2x",
        "1e400",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[256];
        snprintf(want, sizeof want, "curator: weight must be a number from "
                 "-10 to 10, not '%s'\n", bad[i]);
        check_fails(fx, RUN(fx, "interest", "add", "alice", "x", bad[i]),
                    want);
    }
    check_fails(fx, RUN(fx, "interest", "add", "bob", "x"),
                "curator: no user named 'bob'");
    check_fails(fx, RUN(fx, "interest", "add", "alice", ""),
                "curator: interest term must be 1 to 127 bytes\n");
    char big[129];
    memset(big, 't', 128);
    big[128] = '\0';
    check_fails(fx, RUN(fx, "interest", "add", "alice", big),
                "interest term must be 1 to 127 bytes");
    big[127] = '\0';
    assert_int_equal(RUN(fx, "interest", "add", "alice", big), 0);
    weight_of(fx, "coaching", &n);
    assert_int_equal(n, 5);
}

/* Store two items in feed 1 as the poller would. */
static void
store_items(struct fx *fx)
{
    struct store *st;
    struct feed *f = calloc(1, sizeof *f);
    static const char *const titles[] = { "Older item", "Newer item" };

    assert_non_null(f);
    for (int i = 0; i < 2; i++) {
        struct item *it = feed_add_item(f);
        assert_non_null(it);
        it->guid = strdup(titles[i]);
        it->title = strdup(titles[i]);
        it->link = strdup(i ? "https://example.org/new"
                            : "https://example.org/old");
        it->text = strdup("text");
        it->published = 1700000000LL + i * 3600;
    }
    struct store_poll p = { .now = 1700010000LL, .next_poll = 1700013600LL,
                            .status = 200, .title = "Example" };
    int added = 0;
    assert_int_equal(store_open(fx->db, &st), CUR_OK);
    assert_int_equal(store_feed_polled(st, 1, &p, f, &added), CUR_OK);
    assert_int_equal(added, 2);
    store_close(st);
    feed_free(f);
}

static void
test_items(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN(fx, "items"), 0);
    assert_string_equal(fx->out, "no items yet\n");
    assert_string_equal(fx->err, "");
    check_fails(fx, RUN(fx, "items", "--limit", "0"),
                "curator: --limit needs a whole number from 1 to 100000, "
                "not '0'\n");
    check_fails(fx, RUN(fx, "items", "--limit", "100001"),
                "--limit needs a whole number from 1 to 100000");
    check_fails(fx, RUN(fx, "items", "--feed", "x"),
                "curator: --feed needs a whole number from 1 to 100000, "
                "not 'x'\n");
    check_misuse(fx, RUN(fx, "items", "--bogus"),
                 "curator: items: bad arguments\n");
    check_misuse(fx, RUN(fx, "items", "--limit"), "items: bad arguments");
    check_misuse(fx, RUN(fx, "items", "5"), "items: bad arguments");

    assert_int_equal(RUN(fx, "feed", "add", "--as-is", FEED_URL), 0);
    assert_int_equal(RUN(fx, "items", "--feed", "1"), 0);
    assert_string_equal(fx->out, "no items in that feed yet\n");

    store_items(fx);
    assert_int_equal(RUN(fx, "items"), 0);
    contains(fx->out, "ID     FEED  PUBLISHED            TITLE / LINK\n");
    contains(fx->out, "1      1     2023-11-14T22:13:20Z Older item\n");
    contains(fx->out, "2      1     2023-11-14T23:13:20Z Newer item\n");
    contains(fx->out, "https://example.org/new\n");
    /* Newest first; --limit keeps the newest. */
    assert_true(strstr(fx->out, "Newer item") < strstr(fx->out,
                                                       "Older item"));
    assert_int_equal(RUN(fx, "items", "--limit", "1", "--feed", "1"), 0);
    contains(fx->out, "Newer item");
    lacks(fx->out, "Older item");
    assert_int_equal(RUN(fx, "items", "--feed", "2"), 0);
    assert_string_equal(fx->out, "no items in that feed yet\n");
}

static void
test_config_problems(void **state)
{
    struct fx *fx = *state;
    char want[4096];

    assert_int_equal(RUN_BARE(fx, "-c", "/nonexistent/curator.ini", "user",
                              "list"), 1);
    assert_string_equal(fx->out, "");
    assert_string_equal(fx->err, "/nonexistent/curator.ini: cannot open: No "
                        "such file or directory\n");

    char *bad = t_write_file(fx->dir, "bad.ini", CONFIG "\n[web]\n"
                             "port = eighty\n");
    assert_non_null(bad);
    assert_int_equal(RUN_BARE(fx, "-c", bad, "user", "list"), 1);
    assert_string_equal(fx->out, "");
    snprintf(want, sizeof want, "%s:5: [web] port: 'eighty' is not a whole "
             "number\n", bad);
    assert_string_equal(fx->err, want);
    free(bad);

    bad = t_write_file(fx->dir, "bad2.ini", "[nowhere]\nx = 1\n");
    assert_non_null(bad);
    assert_int_equal(RUN_BARE(fx, "--config", bad, "init"), 1);
    snprintf(want, sizeof want, "%s:1: ", bad);
    assert_int_equal(strncmp(fx->err, want, strlen(want)), 0);
    contains(fx->err, "[nowhere]");
    free(bad);

    /* --config=FILE, and $CURATOR_CONFIG when there is no -c. */
    char *opt;
    assert_true(asprintf(&opt, "--config=%s", fx->config) > 0);
    assert_int_equal(RUN_BARE(fx, opt, "user", "list"), 0);
    contains(fx->out, "no users yet");
    free(opt);
    assert_int_equal(setenv("CURATOR_CONFIG", fx->config, 1), 0);
    assert_int_equal(RUN_BARE(fx, "user", "add", "env", "env@example.org"),
                     0);
    assert_int_equal(unsetenv("CURATOR_CONFIG"), 0);
    assert_int_equal(RUN(fx, "user", "list"), 0);
    contains(fx->out, "env@example.org");
}

static void
test_version(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN_BARE(fx, "-V"), 0);
    assert_string_equal(fx->out, "curator 0.1.0\n");
    assert_string_equal(fx->err, "");
    assert_int_equal(RUN_BARE(fx, "--version"), 0);
    assert_string_equal(fx->out, "curator 0.1.0\n");
    /* It needs no config. */
    assert_int_equal(RUN_BARE(fx, "-c", "/nonexistent/curator.ini", "-V"),
                     0);
    assert_string_equal(fx->out, "curator 0.1.0\n");
}

static void
test_hostile_input(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(RUN(fx, "user", "add", "alice", "alice@example.org"),
                     0);
    /* A name with a quote is refused as a name, not run as SQL. */
    check_fails(fx, RUN(fx, "user", "add", EVIL, "e@example.org"),
                "curator: user name '" EVIL "' is not valid");
    check_fails(fx, RUN(fx, "subscribe", EVIL, "1"),
                "curator: no user named '" EVIL "'");

    /* As an interest term it is text like any other. */
    assert_int_equal(RUN(fx, "interest", "add", "alice", EVIL, "2"), 0);
    /* It has spaces: a phrase. */
    assert_string_equal(fx->out, "alice: interest phrase \"" EVIL "\" with "
                        "weight 2\n");
    assert_true(weight_of(fx, EVIL, NULL) == 2);
    /* printf directives are echoed, not interpreted. */
    assert_int_equal(RUN(fx, "interest", "add", "alice", "%s%n%x%p"), 0);
    assert_string_equal(fx->out, "alice: interest '%s%n%x%p' with weight "
                        "1\n");
    assert_true(weight_of(fx, "%s%n%x%p", NULL) == 1);

    /* A URL with a quote is a URL. */
    static const char url[] = "https://example.org/?q=';DROP%20TABLE%20"
                              "feeds;--";
    assert_int_equal(RUN(fx, "feed", "add", "--as-is", url), 0);
    assert_int_equal(RUN(fx, "subscribe", "alice", url), 0);
    assert_string_equal(fx->out, "alice is subscribed to feed 1\n");
    check_fails(fx, RUN(fx, "subscribe", "alice", "' OR 1=1 --"),
                "curator: no feed with URL ' OR 1=1 --");

    /* Everything is still there. */
    assert_int_equal(RUN(fx, "user", "list"), 0);
    contains(fx->out, "\n1    alice                alice@example.org");
    assert_int_equal(RUN(fx, "feed", "list"), 0);
    contains(fx->out, url);
    assert_int_equal(subscriptions(fx, 1), 1);
}

/* poll, feed show and opml without a network: file:// feeds (an admin
 * may add them) and the misuse of each. The HTTP behaviour is in
 * tests/integration/test_poller.c. */
static void
test_poll_show_opml(void **state)
{
    struct fx *fx = *state;
    char url[4200], want[4400];

    /* Nothing to poll yet: a summary all the same. */
    assert_int_equal(RUN(fx, "poll"), 0);
    assert_string_equal(fx->err, "");
    assert_int_equal(strncmp(fx->out, "polled 0 feeds: 0 new items, 0 "
                             "unchanged (304), 0 errors in ", 51), 0);
    check_misuse(fx, RUN(fx, "poll", "--all", "--feed", "1"),
                 "poll: expected [--all] [--feed ID]");
    check_misuse(fx, RUN(fx, "poll", "--all", "--all"),
                 "poll: bad arguments");
    check_misuse(fx, RUN(fx, "poll", "now"), "poll: bad arguments");
    check_fails(fx, RUN(fx, "poll", "--feed", "x"),
                "curator: feed ID must be a positive whole number, not "
                "'x'\n");
    check_fails(fx, RUN(fx, "poll", "--feed", "7"),
                "curator: no feed with ID 7 (see 'curator feed list')\n");
    check_fails(fx, RUN(fx, "feed", "show", "7"),
                "curator: no feed with ID 7 (see 'curator feed list')\n");
    check_fails(fx, RUN(fx, "feed", "show", "-1"),
                "curator: feed ID must be a positive whole number");

    /* A local feed, checked and added; polled; shown. */
    char *feed = t_write_file(fx->dir, "local.xml",
        "<rss version=\"2.0\"><channel><title>Local</title><link>https://"
        "local.example/</link><ttl>120</ttl><skipDays><day>Sunday</day>"
        "</skipDays><item><title>One</title><guid>1</guid></item><item>"
        "<title>Two</title><guid>2</guid></item></channel></rss>\n");
    snprintf(url, sizeof url, "file://%s", feed);
    assert_int_equal(RUN(fx, "feed", "add", url), 0);
    snprintf(want, sizeof want, "feed 1 added: %s (polled by curatord at "
             "its next tick)\n", url);
    assert_string_equal(fx->out, want);
    assert_int_equal(RUN(fx, "poll"), 0);
    assert_int_equal(strncmp(fx->out, "polled 1 feeds: 2 new items, 0 "
                             "unchanged (304), 0 errors in ", 51), 0);
    assert_int_equal(RUN(fx, "poll", "--feed", "1"), 0);
    assert_int_equal(strncmp(fx->out, "polled 1 feeds: 0 new items, 1 "
                             "unchanged (304), 0 errors in ", 51), 0);
    assert_int_equal(RUN(fx, "feed", "show", "1"), 0);
    snprintf(want, sizeof want, "feed 1: %s\n", url);
    contains(fx->out, want);
    contains(fx->out, "  title             Local\n");
    contains(fx->out, "  site              https://local.example/\n");
    contains(fx->out, "  added by          cli\n");
    contains(fx->out, "  items             2\n");
    contains(fx->out, "  failures in a row 0\n");
    contains(fx->out, "  publisher hints   ttl 120 min; skipDays Sunday;\n");
    assert_int_equal(RUN(fx, "feed", "list"), 0);
    contains(fx->out, "\n1    200    0        2      ");
    lacks(fx->out, " due ");

    /* A local page that advertises a feed: that one is added, unread. */
    char *page = t_write_file(fx->dir, "page.html",
        "<html><head><link rel=alternate type=application/atom+xml "
        "title=Blog href=\"https://blog.example/atom.xml\"></head></html>");
    snprintf(url, sizeof url, "file://%s", page);
    assert_int_equal(RUN(fx, "feed", "add", "--list", url), 0);
    assert_string_equal(fx->out, "https://blog.example/atom.xml\t"
                        "application/atom+xml\tBlog\n");
    assert_int_equal(RUN(fx, "feed", "add", url), 0);
    snprintf(want, sizeof want, "feed 2 added: https://blog.example/atom.xml"
             " (advertised by %s; polled by curatord at its next tick)\n",
             url);
    assert_string_equal(fx->out, want);
    /* Not a feed, not a page. */
    char *junk = t_write_file(fx->dir, "junk.txt", "hello\n");
    snprintf(url, sizeof url, "file://%s", junk);
    check_fails(fx, RUN(fx, "feed", "add", url), "curator: no feed found: ");

    /* OPML. */
    check_fails(fx, RUN(fx, "opml", "import", "/nonexistent.opml"),
                "curator: cannot open /nonexistent.opml: ");
    check_misuse(fx, RUN(fx, "opml", "import"), "opml import: expected FILE");
    check_misuse(fx, RUN(fx, "opml"), "unknown command 'opml'");
    assert_int_equal(RUN(fx, "opml", "export"), 0);
    contains(fx->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    contains(fx->out, "<opml version=\"2.0\">");
    contains(fx->out, "xmlUrl=\"https://blog.example/atom.xml\"");
    contains(fx->out, "title=\"Local\"");
    char *out_path;
    assert_true(asprintf(&out_path, "%s/out.opml", fx->dir) > 0);
    assert_int_equal(RUN(fx, "opml", "export", out_path), 0);
    assert_string_equal(fx->out, "");
    char *written = t_read_file(out_path, NULL);
    assert_non_null(written);
    contains(written, "<opml version=\"2.0\">");
    free(written);
    check_fails(fx, RUN(fx, "opml", "export", "/nonexistent/dir/x.opml"),
                "curator: cannot create /nonexistent/dir/x.opml: ");
    free(out_path);
    free(junk);
    free(page);
    free(feed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_argument_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feeds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_problems, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_poll_show_opml, setup,
                                        teardown),
    };
    /* A value from the caller's environment must not pick the config. */
    unsetenv("CURATOR_CONFIG");
    log_open(NULL, LOG_ERR);
    return cmocka_run_group_tests_name("unit: curator command line", tests,
                                       NULL, NULL);
}
