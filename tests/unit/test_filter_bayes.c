/* Unit tests for the bayes filter, loaded the way the host loads it
 * (tests/support/plugin.h). Expected scores are worked out here from
 * the filter's formula: each stem of the item seen in training adds
 * log(P(stem|liked) / P(stem|disliked)), P(s|c) = (count_c(s) + alpha) /
 * (items_c + 2 alpha), and the sum is scaled by 0.5 and clamped to +-3.
 * The stems used (English Snowball): kubernetes -> kubernet, helm,
 * charts -> chart, releases -> releas, operators -> oper, crypto,
 * prices -> price, bitcoin, exchange -> exchang, mining -> mine.
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

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* log(P(s|up) / P(s|down)) for a stem counted up/down times, with nu
 * and nd items per class and alpha 1. */
static double
w(double up, double down, double nu, double nd)
{
    return log(((up + 1) / (nu + 2)) / ((down + 1) / (nd + 2)));
}

static struct tp_plugin *
load(void)
{
    struct tp_plugin *p = tp_load("bayes");
    assert_non_null(p);
    return p;
}

/* Load and init with option k = v, or none if k is NULL. */
static struct tp_plugin *
start(const char *k, const char *v)
{
    struct tp_plugin *p = tp_open("bayes", k, v, NULL);
    assert_non_null(p);
    assert_non_null(p->ctx);
    return p;
}

static void
learn(struct tp_plugin *p, long long user, long long id, const char *title,
      int verdict)
{
    struct curator_item it = tp_item(id, title, "");
    struct curator_profile who = tp_profile(user, "u");
    p->f->learn(p->ctx, &it, &who, verdict);
}

/* Score a fresh item for 'user'; must succeed with a finite score. */
static double
score_item(struct tp_plugin *p, long long user,
           const struct curator_item *it, struct tp_sink *s)
{
    struct curator_profile who = tp_profile(user, "u");
    double v;
    assert_int_equal(tp_score_ok(p, it, &who, &v, s), 0);
    return v;
}

static double
score(struct tp_plugin *p, long long user, long long id, const char *title,
      struct tp_sink *s)
{
    struct curator_item it = tp_item(id, title, "");
    return score_item(p, user, &it, s);
}

/* add_item() and the users it named. */
static void
add(struct tp_plugin *p, long long id, const char *title,
    struct tp_wanted *tw)
{
    struct curator_item it = tp_item(id, title, "");
    assert_int_equal(tp_add(p, &it, tw), 0);
}

/* Three liked items about kubernetes and helm, three disliked about
 * crypto and bitcoin: kubernet 3/0, helm 2/0, chart, releas, oper 1/0,
 * crypto 0/2, bitcoin 0/2, price, exchang, mine 0/1. */
static void
train(struct tp_plugin *p, long long user)
{
    learn(p, user, 1, "The Kubernetes helm charts", +1);
    learn(p, user, 2, "Helm releases for the Kubernetes", +1);
    learn(p, user, 3, "Kubernetes operators", +1);
    learn(p, user, 4, "Crypto prices", -1);
    learn(p, user, 5, "The bitcoin crypto exchange", -1);
    learn(p, user, 6, "Bitcoin mining", -1);
}

static void
test_entry(void **state)
{
    struct tp_plugin *p = load();
    (void)state;
    assert_int_equal(tp_check_entry(p, "bayes", TP_SET_PROFILE
                                    | TP_DROP_PROFILE | TP_ADD_ITEM
                                    | TP_DROP_ITEM | TP_LEARN), 0);
    tp_unload(p);
}

static void
test_neutral_with_little_data(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_wanted tw;
    struct tp_sink s;
    (void)state;

    /* A user never seen. */
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s), 0.0);
    assert_int_equal(s.n, 0);

    /* Three judged items: under min_feedback 4. */
    learn(p, 1, 1, "Kubernetes helm", +1);
    learn(p, 1, 2, "Kubernetes operators", +1);
    learn(p, 1, 3, "Crypto prices", -1);
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s), 0.0);
    assert_int_equal(s.n, 0);
    add(p, 10, "Kubernetes helm operators", &tw);
    assert_int_equal(tw.n, 0);

    /* Four, but none disliked: still nothing to compare. */
    for (long long id = 1; id <= 4; id++)
        learn(p, 2, id, "Kubernetes helm", +1);
    assert_double_eq(score(p, 2, 10, "Kubernetes", &s), 0.0);
    assert_int_equal(s.n, 0);

    /* The fourth item, disliked: now it speaks. kubernet 2/0 of 2/2. */
    learn(p, 1, 4, "Bitcoin", -1);
    assert_double_eq(score(p, 1, 11, "Kubernetes", &s),
                     0.5 * w(2, 0, 2, 2));
    assert_int_equal(s.n, 1);
    tp_unload(p);

    /* min_feedback 2: one item each way is enough. helm 1/0 of 1/1. */
    p = start("min_feedback", "2");
    learn(p, 1, 1, "Helm", +1);
    assert_double_eq(score(p, 1, 10, "Helm", &s), 0.0);
    learn(p, 1, 2, "Crypto", -1);
    assert_double_eq(score(p, 1, 10, "Helm", &s), 0.5 * log(2));
    tp_unload(p);
}

static void
test_scores(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_sink s;
    double pos, neg, v;
    (void)state;

    train(p, 1);

    /* A new kubernetes item leans up, a crypto item down. */
    v = score(p, 1, 10, "Kubernetes news", &s);
    assert_true(v > 0);
    assert_double_eq(v, 0.5 * w(3, 0, 3, 3));
    assert_double_eq(v, 0.5 * log(4));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "you liked items about \"kubernetes\"");
    assert_double_eq(s.contribution[0], v);

    v = score(p, 1, 11, "Crypto news", &s);
    assert_true(v < 0);
    assert_double_eq(v, 0.5 * w(0, 2, 3, 3));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "you disliked items about \"crypto\"");

    /* Both sides: helm + chart - bitcoin; one reason per side. */
    pos = 0.5 * (w(2, 0, 3, 3) + w(1, 0, 3, 3));
    neg = 0.5 * w(0, 2, 3, 3);
    v = score(p, 1, 12, "Helm charts and bitcoin", &s);
    assert_double_eq(v, pos + neg);
    assert_double_eq(v, 0.5 * log(2));
    assert_int_equal(s.n, 2);
    assert_string_equal(s.reason[0],
                        "you liked items about \"helm\", \"charts\"");
    assert_double_eq(s.contribution[0], pos);
    assert_string_equal(s.reason[1], "you disliked items about \"bitcoin\"");
    assert_double_eq(s.contribution[1], neg);

    /* The strongest three words by weight, ties in the item's order;
     * the reason carries all five stems' weight. The first surface
     * form of a stem is the one named. */
    v = score(p, 1, 13,
              "Operators, releases, charts, CHART, helm and Kubernetes",
              &s);
    assert_double_eq(v, 0.5 * log(4 * 3 * 2 * 2 * 2));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "you liked items about "
                        "\"kubernetes\", \"helm\", \"operators\"");
    assert_double_eq(s.contribution[0], v);

    /* Words never judged weigh nothing; stopwords and short words are
     * not words (the liked titles held "the" and "for"). */
    assert_double_eq(score(p, 1, 14, "Weather report", &s), 0.0);
    assert_int_equal(s.n, 0);
    assert_double_eq(score(p, 1, 15, "The for THE of k8", &s), 0.0);
    assert_int_equal(s.n, 0);

    /* Summary and text count too, once per stem. */
    struct curator_item it = tp_item(16, "News", "helm HELM helm");
    it.summary = "Kubernetes";
    assert_double_eq(score_item(p, 1, &it, &s),
                     0.5 * (w(2, 0, 3, 3) + w(3, 0, 3, 3)));

    /* Another user has no opinion. */
    assert_double_eq(score(p, 2, 10, "Kubernetes news", &s), 0.0);
    assert_int_equal(s.n, 0);

    /* No sink: still scored. */
    struct curator_profile who = tp_profile(1, "u");
    struct curator_item k = tp_item(17, "Kubernetes", "");
    int ex = 0;
    v = 0;
    assert_int_equal(p->f->score(p->ctx, &k, &who, &v, &ex, NULL), 0);
    assert_double_eq(v, 0.5 * log(4));
    tp_unload(p);
}

static void
test_clamp_and_options(void **state)
{
    struct tp_plugin *p = start("cap", "0.5");
    struct tp_sink s;
    double pos, neg, k, v;
    char err[256];
    (void)state;

    train(p, 1);
    /* kubernet + helm - crypto = log 4, scaled 0.69, clamped to 0.5; the
     * reasons shrink in proportion and still add up. */
    pos = 0.5 * (log(4) + log(3));
    neg = 0.5 * -log(3);
    k = 0.5 / (pos + neg);
    v = score(p, 1, 10, "Kubernetes helm crypto", &s);
    assert_double_eq(v, 0.5);
    assert_int_equal(s.n, 2);
    assert_double_eq(s.contribution[0], pos * k);
    assert_double_eq(s.contribution[1], neg * k);
    assert_double_eq(s.contribution[0] + s.contribution[1], 0.5);
    /* And on the other side. */
    assert_double_eq(score(p, 1, 11, "Crypto bitcoin mining", &s), -0.5);
    assert_double_eq(s.contribution[0], -0.5);
    tp_unload(p);

    /* alpha 0.5 and scale 2: helm 2/0 of 3/3. */
    p = load();
    assert_int_equal(tp_init(p, err, sizeof err, "alpha", "0.5", "scale",
                             "2", "cap", "100", NULL), 0);
    train(p, 1);
    assert_double_eq(score(p, 1, 10, "Helm", &s),
                     2 * log(((2 + 0.5) / (3 + 1)) / ((0 + 0.5) / (3 + 1))));
    tp_unload(p);

    /* The extremes allowed stay finite: kubernet 3/0 of 3/3 weighs
     * log((3 + a) / a) = 14.9, times 1000, capped. */
    p = load();
    assert_int_equal(tp_init(p, err, sizeof err, "alpha", "0.000001",
                             "scale", "1000", "cap", "1000", NULL), 0);
    train(p, 1);
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s), 1000);
    assert_double_eq(score(p, 1, 11, "Kubernetes crypto", &s),
                     1000 * (log((3 + 1e-6) / 1e-6)
                             - log((2 + 1e-6) / 1e-6)));
    tp_unload(p);

    /* The default language for items without one. */
    p = load();
    assert_int_equal(tp_init(p, err, sizeof err, "language", "french",
                             "min_feedback", "2", NULL), 0);
    learn(p, 1, 1, "Marcher", +1);
    learn(p, 1, 2, "Bitcoin", -1);
    assert_double_eq(score(p, 1, 10, "March\xc3\xa9", &s), 0.5 * log(2));
    tp_unload(p);
}

static void
test_language(void **state)
{
    struct tp_plugin *p = start("min_feedback", "2");
    struct curator_item it;
    struct tp_sink s;
    (void)state;

    /* French stems "marcher" and "marché" alike; English does not. The
     * capital É is lowercased before stemming. */
    it = tp_item(1, "Marcher", "");
    it.language = "fr";
    p->f->learn(p->ctx, &it, &(struct curator_profile){
        .size = sizeof(struct curator_profile), .user_id = 1 }, +1);
    learn(p, 1, 2, "Bitcoin", -1);

    it = tp_item(10, "MARCH\xc3\x89", "");
    it.language = "fr-CA";
    assert_double_eq(score_item(p, 1, &it, &s), 0.5 * log(2));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0],
                        "you liked items about \"march\xc3\xa9\"");

    it.language = "";
    assert_double_eq(score_item(p, 1, &it, &s), 0.0);
    /* Tags libstemmer does not know fall back to english. */
    it.language = "xx";
    assert_double_eq(score_item(p, 1, &it, &s), 0.0);
    it.language = "french";
    assert_double_eq(score_item(p, 1, &it, &s), 0.0);
    it.language = "f\xc3\xa9";
    assert_double_eq(score_item(p, 1, &it, &s), 0.0);
    it.language = "FR";
    assert_double_eq(score_item(p, 1, &it, &s), 0.5 * log(2));
    tp_unload(p);
}

static void
test_relearn_and_flip(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_sink s;
    double before;
    (void)state;

    train(p, 1);
    before = score(p, 1, 10, "Kubernetes operators crypto", &s);
    assert_double_eq(before, 0.5 * (log(4) + log(2) - log(3)));

    /* The same verdict again, even with another strength: no change. */
    learn(p, 1, 3, "Kubernetes operators", +1);
    learn(p, 1, 3, "Kubernetes operators", +2);
    learn(p, 1, 4, "Crypto prices", -1);
    learn(p, 1, 4, "Crypto prices", 0);
    assert_true(score(p, 1, 10, "Kubernetes operators crypto", &s)
                == before);

    /* Item 3 flips to disliked: 2 liked, 4 disliked; kubernet 2/1,
     * oper 0/1, crypto 0/2. */
    learn(p, 1, 3, "Kubernetes operators", -1);
    assert_double_eq(score(p, 1, 10, "Kubernetes operators crypto", &s),
                     0.5 * (w(2, 1, 2, 4) + w(0, 1, 2, 4)
                            + w(0, 2, 2, 4)));
    assert_double_eq(score(p, 1, 11, "Helm", &s), 0.5 * w(2, 0, 2, 4));
    /* Again the same way: no change. */
    learn(p, 1, 3, "Kubernetes operators", -1);
    assert_double_eq(score(p, 1, 11, "Helm", &s), 0.5 * w(2, 0, 2, 4));

    /* And back: exactly where it was. */
    learn(p, 1, 3, "Kubernetes operators", +1);
    assert_double_eq(score(p, 1, 10, "Kubernetes operators crypto", &s),
                     before);
    tp_unload(p);
}

static void
test_want(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_wanted tw;
    struct tp_sink s;
    (void)state;

    train(p, 1);
    /* User 2 sees it the other way round. */
    learn(p, 2, 1, "Kubernetes helm charts", -1);
    learn(p, 2, 2, "Helm releases", -1);
    learn(p, 2, 4, "Crypto prices", +1);
    learn(p, 2, 5, "Bitcoin crypto mining exchange", +1);
    /* User 3 is neutral (one item). */
    learn(p, 3, 1, "Kubernetes helm charts", +1);

    /* A neighbour of user 1's likes: helm + chart + kubernet scores
     * 0.5 log 24 = 1.59 > 1 with no keyword in sight. */
    add(p, 30, "Helm charts for Kubernetes clusters", &tw);
    assert_int_equal(tw.n, 1);
    assert_true(tp_wanted_has(&tw, 1));
    assert_double_eq(score(p, 1, 30, "ignored: cached", &s),
                     0.5 * log(24));

    /* Crypto reaches user 2 only: crypto 2/0, bitcoin and mine 1/0 of
     * 2/2 give 0.5 log 12 = 1.24. */
    add(p, 31, "Bitcoin crypto mining", &tw);
    assert_int_equal(tw.n, 1);
    assert_true(tp_wanted_has(&tw, 2));

    /* Positive, but not above want_threshold 1: kubernet alone 0.69. */
    add(p, 32, "Kubernetes", &tw);
    assert_int_equal(tw.n, 0);
    /* Nothing known. */
    add(p, 33, "Weather report", &tw);
    assert_int_equal(tw.n, 0);

    /* User 1 turns against kubernetes: items 1-3 now disliked, nothing
     * liked, so neutral, and the index follows. */
    learn(p, 1, 1, "The Kubernetes helm charts", -1);
    learn(p, 1, 2, "Helm releases for the Kubernetes", -1);
    learn(p, 1, 3, "Kubernetes operators", -1);
    add(p, 34, "Helm charts for Kubernetes clusters", &tw);
    assert_int_equal(tw.n, 0);
    /* One crypto item liked, 1/5: crypto 1/1 and price 1/0 give
     * 0.5 log(98 / 9) = 1.19 for user 1; user 2 has 0.5 log 6 = 0.9. */
    learn(p, 1, 4, "Crypto prices", +1);
    add(p, 35, "Crypto prices", &tw);
    assert_int_equal(tw.n, 1);
    assert_true(tp_wanted_has(&tw, 1));
    assert_double_eq(score(p, 1, 35, "", &s),
                     0.5 * (w(1, 1, 1, 5) + w(1, 0, 1, 5)));

    /* want_threshold -100: anyone reached through a positive stem. */
    tp_unload(p);
    p = start("want_threshold", "-100");
    train(p, 1);
    add(p, 32, "Kubernetes", &tw);
    assert_int_equal(tw.n, 1);
    /* Reached by helm, scored by all: 0.5 (log 3 - 2 log 3) < 0, still
     * above -100. */
    add(p, 36, "Helm crypto bitcoin", &tw);
    assert_int_equal(tw.n, 1);
    /* Only disliked stems: not reached at all. */
    add(p, 37, "Crypto bitcoin", &tw);
    assert_int_equal(tw.n, 0);
    tp_unload(p);
}

static void
test_item_cache(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_wanted tw;
    struct tp_sink s;
    (void)state;

    train(p, 1);
    /* Between add_item and drop_item the first analysis is used. */
    add(p, 40, "Kubernetes", &tw);
    assert_double_eq(score(p, 1, 40, "Crypto", &s), 0.5 * log(4));
    p->f->drop_item(p->ctx, 40);
    assert_double_eq(score(p, 1, 40, "Crypto", &s), -0.5 * log(3));
    /* Dropping twice, or an unknown item, is harmless. */
    p->f->drop_item(p->ctx, 40);
    p->f->drop_item(p->ctx, 12345);
    /* add_item again replaces the analysis. */
    add(p, 41, "Kubernetes", &tw);
    add(p, 41, "Crypto", &tw);
    assert_double_eq(score(p, 1, 41, "Kubernetes", &s), -0.5 * log(3));
    tp_unload(p);

    /* max_items 2: the oldest goes first. */
    p = start("max_items", "2");
    train(p, 1);
    add(p, 50, "Kubernetes", &tw);
    add(p, 51, "Kubernetes", &tw);
    add(p, 52, "Kubernetes", &tw);
    assert_double_eq(score(p, 1, 50, "Crypto", &s), -0.5 * log(3));
    assert_double_eq(score(p, 1, 51, "Crypto", &s), 0.5 * log(4));
    assert_double_eq(score(p, 1, 52, "Crypto", &s), 0.5 * log(4));
    p->f->drop_item(p->ctx, 51);
    add(p, 53, "Kubernetes", &tw);
    assert_double_eq(score(p, 1, 52, "Crypto", &s), 0.5 * log(4));
    tp_unload(p);

    /* max_items 0: nothing cached, want() still works. */
    p = start("max_items", "0");
    train(p, 1);
    add(p, 60, "Helm charts for Kubernetes", &tw);
    assert_int_equal(tw.n, 1);
    assert_double_eq(score(p, 1, 60, "Crypto", &s), -0.5 * log(3));
    tp_unload(p);
}

static void
test_drop_profile(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct tp_wanted tw;
    struct tp_sink s;
    (void)state;

    train(p, 1);
    train(p, 2);
    add(p, 30, "Helm charts for Kubernetes", &tw);
    assert_int_equal(tw.n, 2);

    p->f->drop_profile(p->ctx, 1);
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s), 0.0);
    assert_int_equal(s.n, 0);
    add(p, 31, "Helm charts for Kubernetes", &tw);
    assert_int_equal(tw.n, 1);
    assert_true(tp_wanted_has(&tw, 2));
    assert_double_eq(score(p, 2, 10, "Kubernetes", &s), 0.5 * log(4));

    /* Unknown users, twice: harmless. */
    p->f->drop_profile(p->ctx, 1);
    p->f->drop_profile(p->ctx, 999);
    assert_int_equal(p->f->set_profile(p->ctx, &(struct curator_profile){
        .size = sizeof(struct curator_profile), .user_id = 1 }), 0);

    /* A new start: earlier feedback is gone, relearning counts. */
    learn(p, 1, 1, "Kubernetes", +1);
    learn(p, 1, 4, "Crypto", -1);
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s), 0.0);
    learn(p, 1, 2, "Kubernetes", +1);
    learn(p, 1, 5, "Crypto", -1);
    assert_double_eq(score(p, 1, 10, "Kubernetes", &s),
                     0.5 * w(2, 0, 2, 2));

    /* Free with users, index and cache all populated. */
    add(p, 32, "Kubernetes crypto", &tw);
    tp_unload(p);
}

/* A small deterministic generator, so failures repeat. */
static unsigned
rnd(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fff;
}

/* Random words over 40 stems ("kx" and two consonants, which the
 * stemmer leaves alone). */
static void
random_title(unsigned *state, char *out, size_t len)
{
    static const char c[] = "bcdfghjklm";
    size_t n = 3 + rnd(state) % 6, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 6 < len; i++) {
        unsigned k = rnd(state) % 40;
        used += (size_t)snprintf(out + used, len - used, "kx%c%c ",
                                 c[k / 10], c[k % 10]);
    }
}

/* want() must name exactly the users whose score() is above the
 * threshold and who weigh some stem of the item positively, through
 * flips, dropped users and reused slots. */
static void
check_want_matches_score(const char *threshold)
{
    struct tp_plugin *p = start("want_threshold", threshold);
    double thr = atof(threshold);
    unsigned seed = 7;
    char titles[60][64];
    size_t named = 0, passed_over = 0;

    for (int i = 0; i < 60; i++)
        random_title(&seed, titles[i], sizeof titles[i]);
    for (int round = 0; round < 150; round++) {
        struct tp_wanted tw;
        char title[64];
        for (int k = 0; k < 8; k++) {
            unsigned id = rnd(&seed) % 60;
            learn(p, 1 + rnd(&seed) % 30, id, titles[id],
                  rnd(&seed) % 2 ? 1 : -1);
        }
        if (rnd(&seed) % 10 == 0)
            p->f->drop_profile(p->ctx, 1 + rnd(&seed) % 30);
        random_title(&seed, title, sizeof title);
        add(p, 1000 + round, title, &tw);
        for (long long u = 1; u <= 30; u++) {
            struct tp_sink s;
            double v = score(p, u, 1000 + round, title, &s);
            int want = v > thr && tp_sink_find(&s, "you liked") >= 0;
            assert_int_equal(tp_wanted_has(&tw, u), want);
            if (want)
                named++;
            else if (s.n > 0)
                passed_over++;
        }
        p->f->drop_item(p->ctx, 1000 + round);
    }
    /* Both outcomes happened many times. */
    assert_true(named > 100);
    assert_true(passed_over > 100);
    tp_unload(p);
}

static void
test_want_matches_score(void **state)
{
    (void)state;
    check_want_matches_score("1");
    check_want_matches_score("0.2");
    check_want_matches_score("-0.5");
}

static void
test_hostile_input(void **state)
{
    struct tp_plugin *p = start(NULL, NULL);
    struct curator_profile who = tp_profile(1, "u");
    struct curator_item it;
    struct tp_wanted tw;
    struct tp_sink s;
    char *big;
    (void)state;

    train(p, 1);

    /* Empty item: no words, no opinion; learning it counts an item. */
    assert_double_eq(score(p, 1, 70, "", &s), 0.0);
    assert_int_equal(s.n, 0);
    add(p, 70, "", &tw);
    assert_int_equal(tw.n, 0);

    /* A megabyte in one word is dropped; one word a hundred thousand
     * times counts once. */
    big = tp_repeat("a", 1 << 20);
    it = tp_item(71, "x", big);
    assert_double_eq(score_item(p, 1, &it, &s), 0.0);
    free(big);
    big = tp_repeat("kubernetes helm ", 100000);
    it = tp_item(72, "", big);
    assert_double_eq(score_item(p, 1, &it, &s), 0.5 * log(12));
    /* Worth a want(), but there is no sink to take it. */
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);
    free(big);

    /* Bytes that are not UTF-8 spoil only their own word; reasons stay
     * valid UTF-8. Overlong, surrogate, stray continuation, truncated. */
    assert_double_eq(score(p, 1, 73,
                           "Kubernetes \xff\xfe\xc3 helm\x80x "
                           "h\xc0\xa5lm \xed\xa0\x80helm crypt\xe2\x80",
                           &s), 0.5 * log(4));
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "you liked items about \"kubernetes\"");
    /* Unicode punctuation separates words: em dash, curly quotes, NBSP. */
    assert_double_eq(score(p, 1, 74,
                           "\xe2\x80\x9cKubernetes\xe2\x80\x9d\xe2\x80\x94"
                           "helm\xc2\xa0" "crypto", &s),
                     0.5 * (log(4) + log(3) - log(3)));

    /* 10,000 distinct junk words: bounded, and words past the first
     * 1024 distinct stems are not read. */
    big = malloc(10000 * 8 + 16);
    assert_non_null(big);
    char *end = big;
    for (int i = 0; i < 10000; i++)
        end += sprintf(end, "zq%d ", i);
    strcpy(end, "crypto");
    it = tp_item(75, "Kubernetes", big);
    assert_double_eq(score_item(p, 1, &it, &s), 0.5 * log(4));
    tp_wanted_init(&tw);
    assert_int_equal(p->f->add_item(p->ctx, &it, &tw.w), 0);
    assert_int_equal(tw.n, 0);
    assert_double_eq(score_item(p, 1, &it, &s), 0.5 * log(4));
    p->f->learn(p->ctx, &it, &who, -1);
    p->f->learn(p->ctx, &it, &who, +1);
    it.id = 76;
    p->f->learn(p->ctx, &it, &who, -1);
    assert_true(isfinite(score_item(p, 1, &it, &s)));
    free(big);

    /* Learned empty and junk items still count as judged items: now 4
     * liked (1-3, 75), 5 disliked (4-6, 70, 76). */
    it = tp_item(70, "", "");
    p->f->learn(p->ctx, &it, &who, -1);
    assert_double_eq(score(p, 1, 77, "Helm", &s), 0.5 * w(2, 0, 4, 5));
    tp_unload(p);
}

/* init() must refuse, naming the option and value. */
static void
refused(const char *key, const char *value, const char *want)
{
    struct tp_plugin *p = load();
    assert_int_equal(tp_refuses(p, key, value, want), 0);
    tp_unload(p);
}

static void
test_options(void **state)
{
    struct tp_plugin *p;
    char err[256] = "";
    (void)state;

    refused("colour", "blue", "unknown option 'colour'");
    refused("Alpha", "1", "unknown option 'Alpha'");
    refused("alpha", "abc",
            "alpha: 'abc' is not a number from 0.000001 to 1000");
    refused("alpha", "0", "alpha: '0' is not a number from 0.000001 to 1000");
    refused("alpha", "", "alpha: '' is not a number from 0.000001 to 1000");
    refused("alpha", "5e-324",
            "alpha: '5e-324' is not a number from 0.000001 to 1000");
    refused("alpha", "1e308",
            "alpha: '1e308' is not a number from 0.000001 to 1000");
    refused("scale", "-1", "scale: '-1' is not a number from 0 to 1000");
    refused("scale", "1x", "scale: '1x' is not a number from 0 to 1000");
    refused("scale", "1001", "scale: '1001' is not a number from 0 to 1000");
    refused("cap", "nan", "cap: 'nan' is not a number from 0 to 1000");
    refused("cap", "inf", "cap: 'inf' is not a number from 0 to 1000");
    refused("want_threshold", "high",
            "want_threshold: 'high' is not a number");
    refused("want_threshold", "1e999",
            "want_threshold: '1e999' is not a number");
    refused("min_feedback", "-1", "min_feedback: '-1' is not a whole "
            "number from 0 to 1000000000");
    refused("min_feedback", "2.5", "min_feedback: '2.5' is not a whole "
            "number from 0 to 1000000000");
    refused("min_feedback", " 3", "min_feedback: ' 3' is not a whole "
            "number from 0 to 1000000000");
    refused("max_items", "99999999999999999999999", "max_items: "
            "'99999999999999999999999' is not a whole number from 0 to "
            "100000000");
    refused("language", "klingon",
            "language: 'klingon' has no Snowball stemmer");

    /* A good option before a bad one: refused, nothing leaks. */
    p = load();
    assert_int_not_equal(tp_init(p, err, sizeof err, "alpha", "2",
                                 "language", "", NULL), 0);
    assert_string_equal(err, "language: '' has no Snowball stemmer");
    /* Every option at once, the last of a repeated key winning. */
    assert_int_equal(tp_init(p, err, sizeof err, "language", "german",
                             "alpha", "0.1", "scale", "1", "cap", "2",
                             "want_threshold", "0", "min_feedback", "0",
                             "max_items", "10", "language", "en", NULL), 0);
    tp_unload(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_neutral_with_little_data),
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_clamp_and_options),
        cmocka_unit_test(test_language),
        cmocka_unit_test(test_relearn_and_flip),
        cmocka_unit_test(test_want),
        cmocka_unit_test(test_want_matches_score),
        cmocka_unit_test(test_item_cache),
        cmocka_unit_test(test_drop_profile),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
