/* Unit tests for the mute filter, loaded as the host loads it
 * (tests/support/plugin.h): muted words, phrases, stemmed variants and
 * feeds exclude with the exact reason and a score of 0; near misses
 * (substrings, words apart, other feeds) do not; add_item() names
 * nobody; options are refused with the message; hostile text is safe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "plugin.h"

static struct tp_plugin *
mute_open(void)
{
    struct tp_plugin *p = tp_open("mute", NULL);
    assert_non_null(p);
    return p;
}

/* Score 'it' for 'who'; returns *exclude and checks the score is 0. */
static int
excluded(struct tp_plugin *p, const struct curator_item *it,
         const struct curator_profile *who, struct tp_sink *s)
{
    double v = NAN;
    int ex = -1;
    assert_int_equal(tp_score(p, it, who, &v, &ex, s), 0);
    assert_true(v == 0.0);
    assert_true(ex == 0 || ex == 1);
    if (ex == 0)
        assert_int_equal(s->n, 0);
    else
        assert_int_equal(s->n, 1);
    return ex;
}

static int
title_excluded(struct tp_plugin *p, const struct curator_profile *who,
               const char *title, struct tp_sink *s)
{
    struct curator_item it = tp_item(1000, title, "");
    return excluded(p, &it, who, s);
}

static const char *const mutes[] = {
    "crypto", "Meeting", "celebrity gossip", "",
};

static struct curator_profile
muter(void)
{
    struct curator_profile who = tp_profile(1, "muter");
    who.mutes = mutes;
    who.n_mutes = 4;
    return who;
}

static void
test_entry(void **state)
{
    struct tp_plugin *p = tp_load("mute");
    (void)state;
    assert_non_null(p);
    assert_int_equal(tp_check_entry(p, "mute", TP_ADD_ITEM | TP_DROP_ITEM),
                     0);
    tp_unload(p);
}

static void
test_word(void **state)
{
    struct curator_profile who = muter();
    struct tp_plugin *p = mute_open();
    struct curator_item it;
    struct tp_sink s;

    (void)state;
    assert_int_equal(title_excluded(p, &who, "Crypto rally", &s), 1);
    assert_string_equal(s.reason[0], "mentions \"crypto\", which you muted");
    assert_true(s.contribution[0] == 0.0);
    /* Any case, any field. */
    it = tp_item(1, "News", "all about CRYPTO.");
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    it = tp_item(2, "News", "");
    it.summary = "(crypto)";
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    /* Substrings are other words. */
    assert_int_equal(title_excluded(p, &who, "scrypto", &s), 0);
    assert_int_equal(title_excluded(p, &who, "cryptocurrency", &s), 0);
    assert_int_equal(title_excluded(p, &who, "crypto2", &s), 0);
    assert_int_equal(title_excluded(p, &who, "Gardening", &s), 0);
    tp_unload(p);
}

static void
test_stem_and_phrase(void **state)
{
    struct curator_profile who = muter();
    struct tp_plugin *p = mute_open();
    struct curator_item it;
    struct tp_sink s;

    (void)state;
    /* "Meeting" mutes "meetings" (both stem to "meet"). */
    assert_int_equal(title_excluded(p, &who, "Too many meetings", &s), 1);
    assert_string_equal(s.reason[0],
                        "mentions \"Meeting\", which you muted");
    /* A phrase: its words one after the other, in one field. */
    assert_int_equal(title_excluded(p, &who, "Celebrity Gossip today", &s),
                     1);
    assert_string_equal(s.reason[0],
                        "mentions \"celebrity gossip\", which you muted");
    assert_int_equal(title_excluded(p, &who, "gossip about a celebrity", &s),
                     0);
    it = tp_item(1, "A celebrity", "gossip");
    assert_int_equal(excluded(p, &it, &who, &s), 0);
    it = tp_item(2, "x", "Celebrities' gossip");
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    /* The first mute found is the one named. */
    assert_int_equal(title_excluded(p, &who, "meetings on crypto", &s), 1);
    assert_string_equal(s.reason[0], "mentions \"crypto\", which you muted");
    tp_unload(p);
}

static void
test_feed(void **state)
{
    static const long long feeds[] = { 7, 42 };
    struct curator_profile who = muter();
    struct tp_plugin *p = mute_open();
    struct curator_item it = tp_item(1, "Crypto", "");
    struct tp_sink s;

    (void)state;
    who.muted_feeds = feeds;
    who.n_muted_feeds = 2;
    it.feed_id = 42;
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    assert_string_equal(s.reason[0], "from a source you muted");
    it.feed_id = 43;
    it.title = "Fine";
    assert_int_equal(excluded(p, &it, &who, &s), 0);
    /* No mutes at all. */
    struct curator_profile none = tp_profile(2, "none");
    it.title = "Crypto meetings";
    assert_int_equal(excluded(p, &it, &none, &s), 0);
    tp_unload(p);
}

static void
test_add_item(void **state)
{
    struct curator_profile who = muter();
    struct tp_plugin *p = mute_open();
    struct curator_item it = tp_item(5, "Crypto", "");
    struct tp_wanted w;
    struct tp_sink s;

    (void)state;
    /* Mutes only exclude: nobody is named. */
    assert_int_equal(tp_add(p, &it, &w), 0);
    assert_int_equal(w.n, 0);
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    /* Kept, dropped, analysed again: the same answer. */
    p->f->drop_item(p->ctx, 5);
    p->f->drop_item(p->ctx, 5);
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    /* Added again with other text: the new text counts. */
    assert_int_equal(p->f->add_item(p->ctx, &it, &w.w), 0);
    it.title = "Gardening";
    assert_int_equal(p->f->add_item(p->ctx, &it, &w.w), 0);
    assert_int_equal(excluded(p, &it, &who, &s), 0);
    /* A French item is stemmed in French. */
    static const char *const fr[] = { "\xc3\xa9" "conomie" };
    struct curator_profile fw = tp_profile(3, "fr");
    fw.mutes = fr;
    fw.n_mutes = 1;
    it = tp_item(6, "L'\xc3\xa9" "conomique", "");
    it.language = "fr";
    assert_int_equal(p->f->add_item(p->ctx, &it, &w.w), 0);
    assert_int_equal(excluded(p, &it, &fw, &s), 1);
    it.id = 7;
    it.language = "en";
    assert_int_equal(excluded(p, &it, &fw, &s), 0);
    tp_unload(p);
}

static void
test_options(void **state)
{
    struct tp_plugin *p = tp_load("mute");
    char err[256];

    (void)state;
    assert_non_null(p);
    assert_int_equal(tp_refuses(p, "colour", "x",
                                "unknown option 'colour'"), 0);
    assert_int_equal(tp_refuses(p, "max_items", "-3", "max_items: '-3' is "
                                "not a whole number >= 0"), 0);
    assert_int_equal(tp_refuses(p, "language", "elvish", "language: "
                                "'elvish' is not a language the stemmer "
                                "knows"), 0);
    assert_int_equal(tp_init(p, err, sizeof err, "language", "de",
                             "max_items", "0", NULL), 0);
    /* max_items 0: nothing kept, still right. */
    struct curator_profile who = muter();
    struct curator_item it = tp_item(1, "crypto", "");
    struct tp_sink s;
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);
    assert_int_equal(excluded(p, &it, &who, &s), 1);
    tp_unload(p);
}

static void
test_hostile(void **state)
{
    static const char *const odd[] = { "", "!!!", "%s%n", "\xff\xfe" };
    struct curator_profile who = tp_profile(1, "odd");
    struct tp_plugin *p = mute_open();
    struct curator_item it;
    struct tp_sink s;
    char *big;

    (void)state;
    who.mutes = odd;
    who.n_mutes = 4;
    assert_int_equal(title_excluded(p, &who, "", &s), 0);
    assert_int_equal(title_excluded(p, &who, "!!! ... ???", &s), 0);
    assert_int_equal(title_excluded(p, &who, "50%s%n", &s), 1);
    assert_string_equal(s.reason[0], "mentions \"%s%n\", which you muted");
    assert_int_equal(title_excluded(p, &who, "a \xff\xfe b", &s), 1);
    assert_int_equal(title_excluded(p, &who, "a \xff\xfe\xfd b", &s), 0);

    /* 1 MB of one word, and 1 MB of binary junk. */
    struct curator_profile m = muter();
    big = malloc((1 << 20) + 1);
    assert_non_null(big);
    for (size_t i = 0; i < 1 << 20; i++)
        big[i] = "crypto "[i % 7];
    big[1 << 20] = '\0';
    it = tp_item(1, "x", big);
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);
    assert_int_equal(excluded(p, &it, &m, &s), 1);
    uint32_t x = 99;
    for (size_t i = 0; i < 1 << 20; i++) {
        x = x * 1103515245 + 12345;
        big[i] = (char)(1 + (x >> 16) % 255);
    }
    it = tp_item(2, big, big);
    it.summary = big;
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);
    (void)excluded(p, &it, &m, &s);
    free(big);
    tp_unload(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_word),
        cmocka_unit_test(test_stem_and_phrase),
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_add_item),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests_name("unit: filter mute", tests, NULL,
                                       NULL);
}
