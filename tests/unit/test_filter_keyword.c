/* Unit tests for the keyword filter, loaded as the host loads it
 * (tests/support/plugin.h). Scores are checked exactly on small inputs,
 * with the reasons; want() is checked to name exactly the users with a
 * hit; options are refused with the message; hostile text (huge, empty,
 * invalid UTF-8, binary) scores finitely. The English Snowball stemmer
 * really maps "coaching", "coaches", "coached" to "coach", and French
 * "économie", "économique" to "économ" where English gives "économi" and
 * "économiqu"; the tests rely on that.
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

#define assert_close(a, b)                                                  \
    do {                                                                    \
        double a_ = (a), b_ = (b);                                          \
        if (!(fabs(a_ - b_) < 1e-9))                                        \
            fail_msg("%s = %.17g, want %.17g", #a, a_, b_);                 \
    } while (0)

static struct tp_plugin *
must(struct tp_plugin *p)
{
    assert_non_null(p);
    return p;
}

/* Load and init with options "key", "value", ..., NULL; must succeed. */
#define kw_open(...) must(tp_open("keyword", __VA_ARGS__))

static double
score_ok(struct tp_plugin *p, const struct curator_item *it,
         const struct curator_profile *who, struct tp_sink *s)
{
    double v;
    assert_int_equal(tp_score_ok(p, it, who, &v, s), 0);
    return v;
}

/* Score an item with only a title. */
static double
title_score(struct tp_plugin *p, const struct curator_profile *who,
            const char *title, struct tp_sink *s)
{
    struct curator_item it = tp_item(1000, title, "");
    return score_ok(p, &it, who, s);
}

static struct curator_profile
profile_of(long long id, const struct curator_interest *in, size_t n)
{
    struct curator_profile who = tp_profile(id, "someone");
    who.interests = in;
    who.n_interests = n;
    return who;
}

static void
set_ok(struct tp_plugin *p, const struct curator_profile *who)
{
    assert_int_equal(p->f->set_profile(p->ctx, who), 0);
}

/* add_item() with a fresh want sink. */
static void
add_ok(struct tp_plugin *p, const struct curator_item *it,
       struct tp_wanted *w)
{
    assert_int_equal(tp_add(p, it, w), 0);
}

static void
test_entry(void **state)
{
    struct tp_plugin *p = tp_load("keyword");
    (void)state;
    assert_non_null(p);
    assert_int_equal(tp_check_entry(p, "keyword", TP_SET_PROFILE
                                    | TP_DROP_PROFILE | TP_ADD_ITEM
                                    | TP_DROP_ITEM), 0);
    tp_unload(p);
}

static void
test_field_weights(void **state)
{
    static const struct curator_interest in[] = {
        { "coaching", 2.0, NULL, 0 },
        { "onboarding", 1.5, "Grow the team", 0 },
    };
    struct curator_profile who = profile_of(1, in, 2);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it;
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    /* Title 3, summary 1.5, text 1 by default. */
    assert_close(title_score(p, &who, "Coaching tips", &s), 6.0);
    assert_int_equal(s.n, 1);
    assert_close(s.contribution[0], 6.0);
    assert_string_equal(s.reason[0], "title matches \"coaching\"");

    it = tp_item(2, "Tips", "");
    it.summary = "All about coaching.";
    assert_close(score_ok(p, &it, &who, &s), 3.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "summary matches \"coaching\"");

    it = tp_item(3, "Tips", "Ask the coach.");
    assert_close(score_ok(p, &it, &who, &s), 2.0);
    assert_int_equal(s.n, 1);
    assert_close(s.contribution[0], 2.0);
    assert_string_equal(s.reason[0], "text matches \"coaching\"");

    /* In every field: the title's weight, three occurrences:
     * 2 * 3 * (3/4 * 2) = 9. */
    it = tp_item(4, "Coaching", "coaching");
    it.summary = "coaching";
    assert_close(score_ok(p, &it, &who, &s), 9.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "title matches \"coaching\"");

    /* Summary and text: 2 * 1.5 * 4/3 = 4. */
    it = tp_item(5, "Tips", "coaching");
    it.summary = "coaching";
    assert_close(score_ok(p, &it, &who, &s), 4.0);
    assert_string_equal(s.reason[0], "summary matches \"coaching\"");

    /* A goal is named; two interests give two reasons, in order. */
    assert_close(title_score(p, &who, "Onboarding and coaching", &s), 10.5);
    assert_int_equal(s.n, 2);
    assert_close(s.contribution[0], 6.0);
    assert_close(s.contribution[1], 4.5);
    assert_string_equal(s.reason[1],
                        "title matches \"onboarding\" (goal: Grow the team)");
    tp_unload(p);

    /* Configured weights; the best field is the heaviest one. */
    p = kw_open("title_weight", "1", "summary_weight", "4",
                "content_weight", "0.5", NULL);
    set_ok(p, &who);
    it = tp_item(6, "Coaching", "");
    it.summary = "coaching";
    assert_close(score_ok(p, &it, &who, &s), 2.0 * 4 * 4 / 3);
    assert_string_equal(s.reason[0], "summary matches \"coaching\"");
    it = tp_item(7, "Tips", "coaching");
    assert_close(score_ok(p, &it, &who, &s), 1.0);
    tp_unload(p);

    /* A field of weight 0 gives nothing and no reason. */
    p = kw_open("content_weight", "0", NULL);
    it = tp_item(8, "Tips", "coaching");
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    assert_int_equal(s.n, 0);
    tp_unload(p);
}

static void
test_saturation(void **state)
{
    static const struct curator_interest in[] = { { "coach", 1, NULL, 0 } };
    struct curator_profile who = profile_of(1, in, 1);
    const char *ten = "coach coach coach coach coach coach coach coach "
                      "coach coach";
    struct tp_plugin *p = kw_open(NULL);
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    /* k = 1: sat(1) = 1, sat(2) = 4/3, sat(10) = 20/11. */
    assert_close(title_score(p, &who, "coach", &s), 3.0);
    assert_close(title_score(p, &who, "Coach, coach!", &s), 4.0);
    assert_close(s.contribution[0], 4.0);
    assert_int_equal(s.n, 1);
    assert_close(title_score(p, &who, ten, &s), 60.0 / 11);
    tp_unload(p);

    /* k = 0: no bonus for repeats. */
    p = kw_open("saturation", "0", NULL);
    assert_close(title_score(p, &who, "coach coach", &s), 3.0);
    assert_close(title_score(p, &who, ten, &s), 3.0);
    tp_unload(p);

    /* k = 3: sat(2) = 2/5 * 4 = 1.6, sat(10) = 10/13 * 4. */
    p = kw_open("saturation", "3", NULL);
    assert_close(title_score(p, &who, "coach coach", &s), 4.8);
    assert_close(title_score(p, &who, ten, &s), 3.0 * 40 / 13);
    tp_unload(p);
}

/* The phrase checks, for a profile stored by set_profile() or not. */
static void
check_phrase(struct tp_plugin *p, const struct curator_profile *who)
{
    struct curator_item it;
    struct tp_sink s;

    assert_close(title_score(p, who, "Machine Learning at scale", &s), 3.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "title matches \"machine learning\"");
    /* Both words, but not one after the other. */
    assert_close(title_score(p, who, "Learning machine", &s), 0.0);
    assert_int_equal(s.n, 0);
    assert_close(title_score(p, who, "machine and learning", &s), 0.0);
    assert_close(title_score(p, who, "machine machine", &s), 0.0);
    /* Not across fields. */
    it = tp_item(2, "A machine", "");
    it.summary = "learning";
    assert_close(score_ok(p, &it, who, &s), 0.0);
    it = tp_item(3, "x", "machine");
    it.summary = "learning";
    assert_close(score_ok(p, &it, who, &s), 0.0);
    /* Stemmed, and punctuation between is no word. */
    it = tp_item(4, "x", "Machines learned a lot");
    assert_close(score_ok(p, &it, who, &s), 1.0);
    assert_string_equal(s.reason[0], "text matches \"machine learning\"");
    assert_close(title_score(p, who, "\xe2\x80\x9cmachine\xe2\x80\x94"
                             "learning\xe2\x80\x9d", &s), 3.0);
    /* Two occurrences, the first word more often; title and text. */
    it = tp_item(5, "x", "machine learning, then machine machine learning");
    assert_close(score_ok(p, &it, who, &s), 4.0 / 3);
    it = tp_item(6, "Machine learning", "machine learning");
    assert_close(score_ok(p, &it, who, &s), 4.0);
    assert_string_equal(s.reason[0], "title matches \"machine learning\"");
    /* In the summary only. */
    it = tp_item(7, "x", "machine");
    it.summary = "machine learning";
    assert_close(score_ok(p, &it, who, &s), 1.5);
    assert_string_equal(s.reason[0], "summary matches \"machine learning\"");
}

static void
test_phrase(void **state)
{
    static const struct curator_interest in[] = {
        { "machine learning", 1, NULL, 1 },
    };
    static const struct curator_interest again[] = {
        { "machine learning", 1, NULL, 1 },
    };
    static const struct curator_interest loose[] = {
        { "machine learning", 1, NULL, 0 },
    };
    struct curator_profile who = profile_of(1, in, 1);
    struct curator_profile who2 = profile_of(2, loose, 1);
    struct curator_profile fresh = profile_of(3, again, 1);
    struct tp_plugin *p = kw_open(NULL);
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    check_phrase(p, &who);
    /* Never stored: stemmed on the fly, the same answers. */
    check_phrase(p, &fresh);
    /* A term of two words not marked as a phrase matches the same way. */
    set_ok(p, &who2);
    assert_close(title_score(p, &who2, "Machine learning", &s), 3.0);
    assert_close(title_score(p, &who2, "Learning machine", &s), 0.0);
    tp_unload(p);
}

static void
test_stemming_and_case(void **state)
{
    static const struct curator_interest in[] = {
        { "coaching", 1, NULL, 0 }, { "Meetings", 1, NULL, 0 },
    };
    struct curator_profile who = profile_of(1, in, 2);
    struct tp_plugin *p = kw_open(NULL);
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    assert_close(title_score(p, &who, "Coaches", &s), 3.0);
    assert_string_equal(s.reason[0], "title matches \"coaching\"");
    assert_close(title_score(p, &who, "she coached", &s), 3.0);
    assert_close(title_score(p, &who, "COACH", &s), 3.0);
    assert_close(title_score(p, &who, "one meeting", &s), 3.0);
    assert_string_equal(s.reason[0], "title matches \"Meetings\"");
    /* Whole words only. */
    assert_close(title_score(p, &who, "Coachella", &s), 0.0);
    assert_close(title_score(p, &who, "autocoach precoaching", &s), 0.0);
    assert_close(title_score(p, &who, "coach2", &s), 0.0);
    /* A non-ASCII letter is part of the word. */
    assert_close(title_score(p, &who, "coach\xc3\xa9", &s), 0.0);
    tp_unload(p);
}

static void
test_languages(void **state)
{
    static const struct curator_interest in[] = {
        { "économie", 1, NULL, 0 }, { "экономика", 2, NULL, 0 },
    };
    struct curator_profile who = profile_of(1, in, 2);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it;
    struct tp_wanted w;
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    /* French: "économie" and "ÉCONOMIQUE" both stem to "économ". */
    it = tp_item(1, "L'\xc3\x89" "CONOMIQUE", "");
    it.language = "fr-CA";
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.user[0], 1);
    assert_close(score_ok(p, &it, &who, &s), 3.0);
    assert_string_equal(s.reason[0], "title matches \"économie\"");
    /* In English they stay apart ("économi", "économiqu"). */
    it.id = 2;
    it.language = "en";
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    /* Unknown and empty tags use the default, English. */
    it.language = "xx";
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    it.language = "";
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    /* Russian, with Cyrillic capitals lowercased. */
    it = tp_item(3, "\xd0\xad\xd0\x9a\xd0\x9e\xd0\x9d\xd0\x9e\xd0\x9c\xd0\x98"
                 "\xd0\x9a\xd0\x98 \xd1\x80\xd0\xbe\xd1\x81\xd1\x82", "");
    it.language = "ru";
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_close(score_ok(p, &it, &who, &s), 6.0);
    assert_string_equal(s.reason[0], "title matches \"экономика\"");
    tp_unload(p);

    /* The default language as a code or a Snowball name. */
    p = kw_open("language", "fr", NULL);
    it = tp_item(4, "\xc3\x89" "conomique", "");
    assert_close(score_ok(p, &it, &who, &s), 3.0);
    it.language = "en-GB";
    it.id = 5;
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    tp_unload(p);
    p = kw_open("language", "french", NULL);
    it = tp_item(6, "\xc3\x89" "conomique", "");
    assert_close(score_ok(p, &it, &who, &s), 3.0);
    tp_unload(p);
}

static void
test_negative_and_odd_weights(void **state)
{
    static const struct curator_interest in[] = {
        { "coaching", 2, NULL, 0 }, { "crypto", -1.5, "Focus", 0 },
    };
    struct curator_interest odd[] = {
        { "coaching", 50, NULL, 0 }, { "crypto", NAN, NULL, 0 },
        { "gardening", 0, NULL, 0 }, { "news", -INFINITY, NULL, 0 },
    };
    struct curator_profile who = profile_of(1, in, 2);
    struct curator_profile who2 = profile_of(2, odd, 4);
    struct tp_plugin *p = kw_open(NULL);
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    assert_close(title_score(p, &who, "Crypto winter", &s), -4.5);
    assert_int_equal(s.n, 1);
    assert_close(s.contribution[0], -4.5);
    assert_string_equal(s.reason[0], "title matches \"crypto\" (goal: Focus)");
    assert_close(title_score(p, &who, "Crypto coaching", &s), 1.5);
    assert_int_equal(s.n, 2);
    assert_close(s.contribution[0], 6.0);
    assert_close(s.contribution[1], -4.5);
    /* Clamped to 10; NaN, infinities and 0 count as nothing. */
    set_ok(p, &who2);
    assert_close(title_score(p, &who2, "Coaching crypto gardening", &s),
                 30.0);
    assert_int_equal(s.n, 1);
    assert_close(title_score(p, &who2, "News", &s), 0.0);
    assert_int_equal(s.n, 0);
    tp_unload(p);
}

static void
test_want(void **state)
{
    static const struct curator_interest a[] = { { "coaching", 2, NULL, 0 } };
    static const struct curator_interest b[] = {
        { "machine learning", 1, NULL, 1 },
    };
    static const struct curator_interest c[] = {
        { "gardening", 1, NULL, 0 }, { "crypto", -1, NULL, 0 },
    };
    struct curator_profile u1 = profile_of(1, a, 1);
    struct curator_profile u2 = profile_of(2, b, 1);
    struct curator_profile u3 = profile_of(3, c, 2);
    struct curator_profile u4 = profile_of(4, NULL, 0);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it;
    struct tp_wanted w;

    (void)state;
    set_ok(p, &u1);
    set_ok(p, &u2);
    set_ok(p, &u3);
    set_ok(p, &u4);
    it = tp_item(1, "Coaching tips", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.user[0], 1);

    it = tp_item(2, "Machine learning for coaches", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 2);
    assert_true(tp_wanted_has(&w, 1));
    assert_true(tp_wanted_has(&w, 2));

    /* The phrase's words apart: not a hit. */
    it = tp_item(3, "Learning about the machine", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);

    /* Two hits (one negative) for one user: named once. */
    it = tp_item(4, "Crypto gardens", "gardening");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.user[0], 3);
    it = tp_item(5, "coach coach", "coaching");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);

    /* Nothing matches; an empty item. */
    it = tp_item(6, "Weather", "rain");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    it = tp_item(7, "", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    /* A NULL want is allowed. */
    it = tp_item(8, "Coaching", "");
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);

    /* A dropped user is no longer named; unknown ids are harmless. */
    p->f->drop_profile(p->ctx, 1);
    p->f->drop_profile(p->ctx, 12345);
    it = tp_item(9, "Coaching with machine learning", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.user[0], 2);

    /* A changed profile replaces the old one. */
    u3 = profile_of(3, a, 1);
    set_ok(p, &u3);
    it = tp_item(10, "Coaching", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.user[0], 3);
    it = tp_item(11, "Gardening and crypto", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    /* And a dropped user can come back. */
    set_ok(p, &u1);
    it = tp_item(12, "Coaching", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 2);
    assert_true(tp_wanted_has(&w, 1));
    assert_true(tp_wanted_has(&w, 3));
    tp_unload(p);
}

/* Many users sharing one term and each holding one of their own, then
 * half of them dropped: the index stays exact through its deletions. */
static void
test_want_many(void **state)
{
    enum { N = 1000 };
    static char terms[N][24];
    static struct curator_interest in[N][2];
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it;
    struct tp_wanted w;

    (void)state;
    for (int i = 0; i < N; i++) {
        struct curator_profile who;
        snprintf(terms[i], sizeof terms[i], "topic%d", i);
        in[i][0] = (struct curator_interest){ "coaching", 1, NULL, 0 };
        in[i][1] = (struct curator_interest){ terms[i], 1, NULL, 0 };
        who = profile_of(100 + i, in[i], 2);
        set_ok(p, &who);
    }
    it = tp_item(1, "Coaching", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, N);
    it = tp_item(2, "topic17 and topic999, topic1000", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 2);
    assert_true(tp_wanted_has(&w, 117));
    assert_true(tp_wanted_has(&w, 1099));

    for (int i = 0; i < N; i += 2)
        p->f->drop_profile(p->ctx, 100 + i);
    it = tp_item(3, "Coaching", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, N / 2);
    for (size_t i = 0; i < w.n; i++)
        assert_int_equal((w.user[i] - 100) % 2, 1);
    it = tp_item(4, "topic16 topic17 topic18 topic999", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 2);
    assert_true(tp_wanted_has(&w, 117));
    assert_true(tp_wanted_has(&w, 1099));
    tp_unload(p);
}

static void
test_cache_and_drop_item(void **state)
{
    static const struct curator_interest in[] = { { "coaching", 2, NULL, 0 } };
    static const struct curator_interest other[] = {
        { "gardening", 1, NULL, 0 },
    };
    struct curator_profile who = profile_of(1, in, 1);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it = tp_item(5, "Coaching", "coach");
    struct tp_wanted w;
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    add_ok(p, &it, &w);
    assert_close(score_ok(p, &it, &who, &s), 8.0);
    p->f->drop_item(p->ctx, 5);
    p->f->drop_item(p->ctx, 5);
    p->f->drop_item(p->ctx, 424242);
    /* Analysed on the fly: the same. */
    assert_close(score_ok(p, &it, &who, &s), 8.0);
    assert_string_equal(s.reason[0], "title matches \"coaching\"");
    /* Never added at all. */
    it.id = 6;
    assert_close(score_ok(p, &it, &who, &s), 8.0);
    /* A user never stored, and a stored user whose profile passed here
     * differs from the stored one: the profile passed is what counts. */
    struct curator_profile stranger = profile_of(77, in, 1);
    assert_close(score_ok(p, &it, &stranger, &s), 8.0);
    struct curator_profile changed = profile_of(1, other, 1);
    it = tp_item(7, "Gardening", "");
    add_ok(p, &it, &w);
    assert_close(score_ok(p, &it, &changed, &s), 3.0);
    /* add_item() again for an id replaces what was kept. */
    it = tp_item(8, "Coaching", "");
    add_ok(p, &it, &w);
    it.title = "Gardening";
    add_ok(p, &it, &w);
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    tp_unload(p);

    /* max_items 1: the older item goes, and still scores right. */
    p = kw_open("max_items", "1", NULL);
    set_ok(p, &who);
    struct curator_item a = tp_item(1, "Coaching", "");
    struct curator_item b = tp_item(2, "x", "coaching");
    add_ok(p, &a, &w);
    add_ok(p, &b, &w);
    assert_close(score_ok(p, &a, &who, &s), 6.0);
    assert_close(score_ok(p, &b, &who, &s), 2.0);
    tp_unload(p);

    /* max_items 0 keeps nothing. */
    p = kw_open("max_items", "0", NULL);
    set_ok(p, &who);
    add_ok(p, &a, &w);
    assert_int_equal(w.n, 1);
    assert_close(score_ok(p, &a, &who, &s), 6.0);
    tp_unload(p);
}

/* init() must refuse with exactly this message. */
static void
refused(const char *key, const char *value, const char *want)
{
    struct tp_plugin *p = tp_load("keyword");
    assert_non_null(p);
    assert_int_equal(tp_refuses(p, key, value, want), 0);
    tp_unload(p);
}

static void
test_options(void **state)
{
    static const char *const bad[] = {
        "abc", "", "2x", "-1", "inf", "nan", " 1", "0x10", "1e999", "+1",
        "1,5",
    };
    static const char *const keys[] = {
        "title_weight", "summary_weight", "content_weight", "saturation",
    };
    char want[256];

    (void)state;
    refused("colour", "blue", "unknown option 'colour'");
    refused("Title_Weight", "2", "unknown option 'Title_Weight'");
    refused("mute_penalty", "2", "unknown option 'mute_penalty'");
    for (size_t k = 0; k < 4; k++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(want, sizeof want, "%s: '%s' is not a number >= 0",
                     keys[k], bad[i]);
            refused(keys[k], bad[i], want);
        }
    }
    refused("max_items", "-1", "max_items: '-1' is not a whole number >= 0");
    refused("max_items", "1.5",
            "max_items: '1.5' is not a whole number >= 0");
    refused("max_items", "", "max_items: '' is not a whole number >= 0");
    refused("max_items", "99999999999",
            "max_items: '99999999999' is not a whole number >= 0");
    refused("language", "klingon",
            "language: 'klingon' is not a language the stemmer knows");
    refused("language", "", "language: '' is not a language the stemmer "
            "knows");

    /* Good values are taken. */
    struct tp_plugin *p = kw_open("title_weight", "0", "summary_weight",
                                  ".5", "content_weight", "1e1",
                                  "saturation", "2.25", "max_items", "7",
                                  "language", "de", NULL);
    tp_unload(p);

    /* A good option before a bad one: refused all the same. */
    p = tp_load("keyword");
    char err[256] = "";
    assert_int_not_equal(tp_init(p, err, sizeof err, "title_weight", "3",
                                 "nope", "1", NULL), 0);
    assert_string_equal(err, "unknown option 'nope'");
    /* A tiny buffer is cut and terminated. */
    assert_int_equal(tp_refuses_cut(p, "colour", "blue", 8, "unknown"), 0);
    tp_unload(p);
}

static char *
repeat(const char *word, size_t total)
{
    size_t n = strlen(word);
    char *s = malloc(total + 1);
    assert_non_null(s);
    for (size_t i = 0; i < total; i++)
        s[i] = word[i % n];
    s[total] = '\0';
    return s;
}

static void
test_hostile(void **state)
{
    static const struct curator_interest in[] = {
        { "coach", 1, NULL, 0 }, { "", 5, NULL, 0 }, { "!!! ...", 5, NULL, 1 },
        { "%s%n", 1, "%s", 1 },
    };
    struct curator_profile who = profile_of(1, in, 4);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it;
    struct tp_wanted w;
    struct tp_sink s;
    double v;
    int ex;

    (void)state;
    set_ok(p, &who);
    /* Empty everything. */
    it = tp_item(1, "", "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    assert_int_equal(s.n, 0);

    /* Format characters are text, in the match and in the reason. */
    assert_close(title_score(p, &who, "100%s%n", &s), 3.0);
    assert_string_equal(s.reason[0], "title matches \"%s%n\" (goal: %s)");

    /* 1 MB title of one word repeated: the first 65536 words count. */
    char *big = repeat("coach ", 1 << 20);
    it = tp_item(2, big, big);
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 1);
    assert_close(score_ok(p, &it, &who, &s),
                 3.0 * 131072.0 / 131073 * 2);
    free(big);

    /* 1 MB without a separator: one word too long to be a word. */
    big = repeat("coach", 1 << 20);
    it = tp_item(3, big, "");
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    free(big);
    /* 64 bytes is still a word, 65 is not. */
    static struct curator_interest longw[2];
    char w64[65], w65[66];
    memset(w64, 'q', 64);
    w64[64] = '\0';
    memset(w65, 'r', 65);
    w65[65] = '\0';
    longw[0] = (struct curator_interest){ w64, 1, NULL, 0 };
    longw[1] = (struct curator_interest){ w65, 1, NULL, 0 };
    struct curator_profile lw = profile_of(9, longw, 2);
    set_ok(p, &lw);
    char title[200];
    snprintf(title, sizeof title, "%s %s", w64, w65);
    assert_close(title_score(p, &lw, title, &s), 3.0);

    /* Invalid UTF-8 around and inside words. */
    assert_close(title_score(p, &who, "\xff\xfe coach \xc3(", &s), 3.0);
    assert_close(title_score(p, &who, "coach\x80 \xc0\xaf" "coach", &s),
                 0.0);
    assert_close(title_score(p, &who, "\xe2\x80 coach \xf4\x90\x80\x80",
                             &s), 3.0);

    /* Binary junk without NUL, everywhere. */
    char *junk = malloc(65537);
    uint32_t x = 12345;
    assert_non_null(junk);
    for (size_t i = 0; i < 65536; i++) {
        x = x * 1103515245 + 12345;
        junk[i] = (char)(1 + (x >> 16) % 255);
    }
    junk[65536] = '\0';
    it = tp_item(4, junk, junk);
    it.summary = junk;
    it.language = junk;
    add_ok(p, &it, &w);
    assert_int_equal(tp_score(p, &it, &who, &v, &ex, &s), 0);
    assert_true(isfinite(v));
    free(junk);

    /* A term of 16 words matches; of 17, never. */
    static const struct curator_interest words[] = {
        { "a b c d e f g h i j k l m n o p", 1, NULL, 1 },
        { "a b c d e f g h i j k l m n o p q", 1, NULL, 1 },
    };
    struct curator_profile wp = profile_of(10, words, 2);
    set_ok(p, &wp);
    assert_close(title_score(p, &wp, "a b c d e f g h i j k l m n o p q",
                             &s), 3.0);
    assert_int_equal(s.n, 1);

    /* No sink, or a sink without add(): the score is still right. */
    it = tp_item(5, "coach", "");
    v = NAN;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &ex, NULL), 0);
    assert_close(v, 3.0);
    struct curator_explain none = { NULL, NULL, NULL };
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &ex, &none), 0);
    assert_close(v, 3.0);
    tp_unload(p);
}

static void
test_empty_profile(void **state)
{
    struct curator_profile who = profile_of(1, NULL, 0);
    struct tp_plugin *p = kw_open(NULL);
    struct curator_item it = tp_item(1, "Coaching", "anything");
    struct tp_wanted w;
    struct tp_sink s;

    (void)state;
    set_ok(p, &who);
    add_ok(p, &it, &w);
    assert_int_equal(w.n, 0);
    assert_close(score_ok(p, &it, &who, &s), 0.0);
    assert_int_equal(s.n, 0);
    p->f->drop_profile(p->ctx, 1);
    /* Free with profiles and items still held: no leak (ASan run). */
    static const struct curator_interest in[] = { { "coach", 1, NULL, 0 } };
    who = profile_of(2, in, 1);
    set_ok(p, &who);
    add_ok(p, &it, &w);
    tp_unload(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_field_weights),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_phrase),
        cmocka_unit_test(test_stemming_and_case),
        cmocka_unit_test(test_languages),
        cmocka_unit_test(test_negative_and_odd_weights),
        cmocka_unit_test(test_want),
        cmocka_unit_test(test_want_many),
        cmocka_unit_test(test_cache_and_drop_item),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_empty_profile),
    };
    return cmocka_run_group_tests_name("unit: filter keyword", tests, NULL,
                                       NULL);
}
