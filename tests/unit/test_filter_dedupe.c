/* Unit tests for the dedupe filter, loaded the way the host loads it
 * (tests/support/plugin.h). Texts come from a deterministic generator
 * over a 5,000-word made-up vocabulary, so every run sees the same
 * inputs and the same verdicts. A verdict is read back through score():
 * the duplicate() callback's item id and the reason, checked exactly.
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

#define VOCAB 5000
#define STORY_WORDS 200

static struct tp_plugin *plugin;
static char vocab[VOCAB][16];

/* xorshift64*: small, fixed, the same on every platform. */
static uint64_t
next_rand(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 0x2545f4914f6cdd1dULL;
}

/* Made-up words of two to five consonant-vowel syllables. */
static void
make_vocab(void)
{
    static const char cons[] = "bcdfghjklmnprstvwz";
    static const char vow[] = "aeiou";
    uint64_t st = 0x9e3779b97f4a7c15ULL;

    for (int i = 0; i < VOCAB; i++) {
        int syl = 2 + (int)(next_rand(&st) % 4);
        char *w = vocab[i];
        for (int j = 0; j < syl; j++) {
            *w++ = cons[next_rand(&st) % (sizeof cons - 1)];
            *w++ = vow[next_rand(&st) % (sizeof vow - 1)];
        }
        *w = '\0';
    }
}

/* Word indexes of a story: n words drawn from the seed. */
static void
story_words(uint64_t seed, int *w, int n)
{
    uint64_t st = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (int i = 0; i < n; i++)
        w[i] = (int)(next_rand(&st) % VOCAB);
}

/* The words as text with some punctuation; free() the result. */
static char *
render(const int *w, int n)
{
    char *s = malloc((size_t)n * 18 + 1);
    size_t len = 0;

    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        const char *sep = i % 11 == 10 ? ". " : i % 7 == 6 ? ", " : " ";
        len += (size_t)sprintf(s + len, "%s%s", vocab[w[i]],
                               i + 1 < n ? sep : ".");
    }
    s[len] = '\0';
    return s;
}

/* A story of n words drawn from 'seed'; free() the result. */
static char *
story(uint64_t seed, int n)
{
    int *w = malloc((size_t)n * sizeof *w);
    char *s;

    assert_non_null(w);
    story_words(seed, w, n);
    s = render(w, n);
    free(w);
    return s;
}

/* The story of 'seed' with 'changes' words replaced at spread-out
 * places; free() the result. */
static char *
story_edited(uint64_t seed, int n, int changes)
{
    int *w = malloc((size_t)n * sizeof *w);
    char *s;

    assert_non_null(w);
    story_words(seed, w, n);
    for (int c = 0; c < changes; c++) {
        int at = (c * 2 + 1) * n / (changes * 2);
        w[at] = (w[at] + 1 + c) % VOCAB;
    }
    s = render(w, n);
    free(w);
    return s;
}

static int
group_setup(void **state)
{
    (void)state;
    make_vocab();
    plugin = tp_load("dedupe");
    return plugin == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    tp_unload(plugin);
    return 0;
}

/* A fresh ctx with options "key", "value", ..., NULL; must succeed. */
#define INIT(...) do {                                                  \
        char init_err_[256] = "";                                       \
        int init_rc_ = tp_init(plugin, init_err_, sizeof init_err_,     \
                               __VA_ARGS__);                            \
        if (init_rc_ != 0)                                              \
            fail_msg("init: %s", init_err_);                            \
    } while (0)

/* A fresh ctx with one integer option. */
static void
init_int(const char *key, int value)
{
    char v[32];
    snprintf(v, sizeof v, "%d", value);
    INIT(key, v, NULL);
}

/* add_item() for one item; it must succeed and name no user. */
static void
add_full(long long id, long long feed_id, const char *feed_title,
         const char *link, const char *title, const char *text)
{
    struct curator_item it = tp_item(id, title, text);
    struct tp_wanted w;

    it.feed_id = feed_id;
    it.feed_title = feed_title;
    it.link = link;
    assert_int_equal(tp_add(plugin, &it, &w), 0);
    assert_int_equal(w.n, 0);
}

static void
add(long long id, long long feed_id, const char *text)
{
    add_full(id, feed_id, "Feed", "", "Story", text);
}

/* What score() says of item 'id': the item it copies, or 0. Checks that
 * a copy gets exactly one reason and the score the penalty asks for,
 * and that anything else gets score 0 and no reason. */
static long long
copy_of(long long id, double penalty)
{
    struct curator_item it = tp_item(id, "", "");
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;
    double score;

    assert_int_equal(tp_score_ok(plugin, &it, &who, &score, &s), 0);
    if (s.duplicate_of == 0) {
        assert_int_equal(s.n, 0);
        assert_true(score == 0.0);
        return 0;
    }
    assert_int_equal(s.n, 1);
    assert_true(score == -penalty);
    assert_true(s.contribution[0] == -penalty);
    assert_non_null(strstr(s.reason[0], "same story as an item you "
                           "already have from "));
    return s.duplicate_of;
}

/* The reason score() gives for item 'id' (a copy). */
static void
reason_of(long long id, char *out, size_t outlen)
{
    struct curator_item it = tp_item(id, "", "");
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;
    double score;
    int exclude;

    assert_int_equal(tp_score(plugin, &it, &who, &score, &exclude, &s), 0);
    assert_int_equal(s.n, 1);
    snprintf(out, outlen, "%s", s.reason[0]);
}

static void
test_entry(void **state)
{
    (void)state;
    assert_int_equal(tp_check_entry(plugin, "dedupe", TP_ADD_ITEM
                                    | TP_DROP_ITEM), 0);
}

static void
test_identical_text_across_feeds(void **state)
{
    char *text = story(1, STORY_WORDS);
    struct curator_item it = tp_item(2, "", "");
    struct curator_profile who = tp_profile(7, "ann");
    struct tp_sink s;
    double score = NAN;
    int exclude = 0;

    (void)state;
    INIT(NULL);
    add_full(1, 10, "Wire One", "https://one.example/a", "Big news", text);
    add_full(2, 20, "Wire Two", "https://two.example/b", "Big news", text);

    assert_int_equal(tp_score(plugin, &it, &who, &score, &exclude, &s), 0);
    assert_int_equal(s.duplicate_of, 1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], "same story as an item you already "
                        "have from Wire One");
    /* penalty 0 by default: the reason is there, the score unchanged. */
    assert_true(s.contribution[0] == 0.0);
    assert_false(signbit(s.contribution[0]));
    assert_true(score == 0.0);
    assert_int_equal(exclude, 0);

    /* The first one is the original. */
    assert_int_equal(copy_of(1, 0), 0);
    free(text);
}

static void
test_few_changed_words(void **state)
{
    char *a = story(2, STORY_WORDS);
    char *b = story_edited(2, STORY_WORDS, 3);
    int d = -1;

    (void)state;
    assert_string_not_equal(a, b);
    /* The smallest max_distance that calls b a copy is the Hamming
     * distance of the two hashes; every larger one calls it a copy too
     * and every smaller one does not. Up to 3 the bands find matches,
     * above it the whole window is searched: both agree. */
    for (int max = 0; max <= 64; max++) {
        init_int("max_distance", max);
        add_full(1, 10, "Wire One", "", "Big news", a);
        add_full(2, 20, "Wire Two", "", "Big news", b);
        long long of = copy_of(2, 0);
        if (d < 0 && of == 1)
            d = max;
        assert_int_equal(of, d >= 0 ? 1 : 0);
    }
    /* Three changed words of 200: close, but not the same hash. */
    assert_true(d >= 1);
    assert_true(d <= 12);
    print_message("3 changed words of 200: Hamming distance %d\n", d);

    /* This pair lands 2 bits apart (a property of these texts, see the
     * rates below), so the defaults call it a copy. */
    assert_int_equal(d, 2);
    INIT(NULL);
    add_full(1, 10, "Wire One", "https://one.example/a", "Big news", a);
    add_full(2, 20, "Wire Two", "https://two.example/b", "Big news", b);
    {
        struct curator_item it = tp_item(2, "", "");
        struct curator_profile who = tp_profile(7, "ann");
        struct tp_sink s;
        double score = NAN;
        int exclude = 0;
        assert_int_equal(tp_score(plugin, &it, &who, &score, &exclude, &s),
                         0);
        assert_int_equal(s.duplicate_of, 1);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.reason[0], "same story as an item you "
                            "already have from Wire One");
        assert_true(score == 0.0);
    }
    free(a);
    free(b);
}

/* How often one changed word in 200 keeps the hashes within reach, for
 * 200 different stories. SimHash over 3-word shingles is approximate: a
 * changed word alters 3 shingles of 198, which moves each bit with a
 * probability near 5.5 %: at a max_distance of 3 only about half of such
 * pairs are found, at the default of 6 nearly all. The bounds catch a
 * hash gone bad either way (never close, or always close). */
static void
test_one_changed_word_rates(void **state)
{
    int found_3 = 0, found_default = 0;

    (void)state;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 0)
            init_int("max_distance", 3);
        else
            INIT(NULL);
        for (int i = 0; i < 200; i++) {
            char *a = story(1000 + (uint64_t)i, STORY_WORDS);
            char *b = story_edited(1000 + (uint64_t)i, STORY_WORDS, 1);
            add(2 * i + 1, 1, a);
            add(2 * i + 2, 2, b);
            if (copy_of(2 * i + 2, 0) == 2 * i + 1)
                *(pass == 0 ? &found_3 : &found_default) += 1;
            free(a);
            free(b);
        }
    }
    print_message("1 changed word of 200 found: %d/200 at max_distance 3, "
                  "%d/200 at the default 6\n", found_3, found_default);
    assert_in_range(found_3, 70, 150);
    assert_in_range(found_default, 180, 200);
}

static void
test_penalty_and_feed_url(void **state)
{
    char *text = story(3, STORY_WORDS);
    char reason[256];

    (void)state;
    INIT("penalty", "2.5", NULL);
    {
        struct curator_item it = tp_item(1, "T", text);
        struct tp_wanted w;
        it.feed_id = 10;
        it.feed_url = "https://one.example/feed.xml";
        tp_wanted_init(&w);
        assert_int_equal(plugin->f->add_item(plugin->ctx, &it, &w.w), 0);
    }
    add(2, 20, text);
    /* Copies of copies point at the original. */
    add(3, 30, text);
    assert_int_equal(copy_of(2, 2.5), 1);
    assert_int_equal(copy_of(3, 2.5), 1);
    /* No feed title: the feed's URL names it. */
    reason_of(3, reason, sizeof reason);
    assert_string_equal(reason, "same story as an item you already have "
                        "from https://one.example/feed.xml");
    assert_int_equal(copy_of(1, 2.5), 0);
    free(text);
}

/* The reason for a copy whose original's feed is called 'title'. */
static void
reason_for_title(const char *title, char *reason, size_t len)
{
    char *text = story(4, 20);

    INIT(NULL);
    add_full(1, 10, title, "", "T", text);
    add_full(2, 20, "Other", "", "T", text);
    reason_of(2, reason, len);
    free(text);
}

static void
test_long_feed_title(void **state)
{
    const size_t prefix = strlen("same story as an item you already have "
                                 "from ");
    char title[400], reason[256];

    (void)state;
    /* A feed's name is kept to 150 bytes, never cut inside a character,
     * so the reason fits the host's 200 bytes whole. */
    memset(title, 'e', 148);
    strcpy(title + 148, "\xc3\xa9\xc3\xa9 and the rest");
    reason_for_title(title, reason, sizeof reason);
    assert_int_equal(strlen(reason), prefix + 150);
    assert_memory_equal(reason + prefix + 148, "\xc3\xa9", 2);

    /* One byte on, byte 150 would split the second character. */
    memset(title, 'e', 149);
    strcpy(title + 149, "\xc3\xa9\xc3\xa9 and the rest");
    reason_for_title(title, reason, sizeof reason);
    assert_int_equal(strlen(reason), prefix + 149);
    assert_int_equal(reason[prefix + 148], 'e');

    /* Exactly 150 bytes: kept whole. */
    memset(title, 'f', 150);
    title[150] = '\0';
    reason_for_title(title, reason, sizeof reason);
    assert_int_equal(strlen(reason), prefix + 150);
    assert_string_equal(reason + prefix, title);
}

static void
test_earliest_original(void **state)
{
    char *text = story(5, STORY_WORDS);

    (void)state;
    INIT(NULL);
    /* Two originals in one feed (different links), then a copy in
     * another feed: it copies the smaller id whatever the order. */
    add_full(10, 1, "Feed", "https://a.example/10", "T", text);
    add_full(5, 1, "Feed", "https://a.example/5", "T", text);
    add_full(7, 2, "Other", "https://b.example/7", "T", text);
    assert_int_equal(copy_of(10, 0), 0);
    assert_int_equal(copy_of(5, 0), 0);
    assert_int_equal(copy_of(7, 0), 5);
    free(text);
}

static void
test_different_stories(void **state)
{
    char *a = story(6, STORY_WORDS);
    char *b = story(7, STORY_WORDS);

    (void)state;
    INIT(NULL);
    add_full(1, 10, "One", "", "Same headline", a);
    add_full(2, 20, "Two", "", "Same headline", b);
    assert_int_equal(copy_of(2, 0), 0);
    /* At 64 bits any item of another feed is within reach: the option
     * takes effect, and the first verdict was no accident. */
    init_int("max_distance", 64);
    add_full(1, 10, "One", "", "Same headline", a);
    add_full(2, 20, "Two", "", "Same headline", b);
    assert_int_equal(copy_of(2, 0), 1);
    free(a);
    free(b);
}

static void
test_same_feed(void **state)
{
    char *text = story(8, STORY_WORDS);

    (void)state;
    INIT(NULL);
    /* Same text, same feed, different links: the feed's own business. */
    add_full(1, 10, "One", "https://one.example/a", "T", text);
    add_full(2, 10, "One", "https://one.example/b", "T", text);
    assert_int_equal(copy_of(2, 0), 0);
    /* Same feed, no links at all: still not a copy. */
    add_full(3, 10, "One", "", "T", text);
    assert_int_equal(copy_of(3, 0), 0);
    /* Same feed and the same link: a copy. */
    add_full(4, 10, "One", "https://one.example/a", "T", text);
    assert_int_equal(copy_of(4, 0), 1);
    free(text);
}

static void
test_short_items(void **state)
{
    (void)state;
    INIT(NULL);
    /* Seven words: too little text to judge, whatever the feeds. */
    add_full(1, 10, "F", "", "", "one two three four five six seven");
    add_full(2, 20, "G", "", "", "one two three four five six seven");
    assert_int_equal(copy_of(2, 0), 0);
    assert_int_equal(copy_of(1, 0), 0);
    /* The title counts: "Story" plus seven words is eight. */
    add_full(3, 10, "F", "", "Story", "one two three four five six seven");
    add_full(4, 20, "G", "", "Story", "one two three four five six seven");
    assert_int_equal(copy_of(4, 0), 3);
    /* Case and punctuation do not matter. */
    add_full(5, 30, "H", "", "STORY", "One, two; three four: five-six SEVEN!");
    assert_int_equal(copy_of(5, 0), 3);

    /* Below three words the words themselves are the features. */
    INIT("min_words", "1", NULL);
    add_full(1, 10, "F", "", "", "Hello");
    add_full(2, 20, "G", "", "", "hello");
    add_full(3, 30, "H", "", "", "world");
    add_full(4, 40, "I", "", "Hello", "world");
    add_full(5, 50, "J", "", "hello", "WORLD");
    assert_int_equal(copy_of(2, 0), 1);
    assert_int_equal(copy_of(3, 0), 0);
    assert_int_equal(copy_of(4, 0), 0);
    assert_int_equal(copy_of(5, 0), 4);
}

static void
test_window_eviction(void **state)
{
    char *a = story(9, STORY_WORDS);
    char *other[4];

    (void)state;
    for (int i = 0; i < 4; i++)
        other[i] = story(100 + (uint64_t)i, STORY_WORDS);

    /* Window of 3: the original leaves when the 4th item arrives. */
    INIT("window", "3", NULL);
    add(1, 10, a);
    add(2, 20, other[0]);
    add(3, 30, other[1]);
    add(4, 40, other[2]);
    add(5, 50, a);
    assert_int_equal(copy_of(5, 0), 0);

    /* Window of 4: still there. */
    INIT("window", "4", NULL);
    add(1, 10, a);
    add(2, 20, other[0]);
    add(3, 30, other[1]);
    add(4, 40, other[2]);
    add(5, 50, a);
    assert_int_equal(copy_of(5, 0), 1);

    /* A copy pushed out of the window stays a copy until dropped. */
    INIT("window", "2", NULL);
    add(1, 10, a);
    add(2, 20, a);
    for (int i = 0; i < 4; i++)
        add(3 + i, 30 + i, other[i]);
    assert_int_equal(copy_of(2, 0), 1);
    plugin->f->drop_item(plugin->ctx, 2);
    assert_int_equal(copy_of(2, 0), 0);

    /* Window of 1 and many items: only the last is compared. */
    INIT("window", "1", NULL);
    for (int i = 0; i < 50; i++)
        add(1 + i, 1 + i, i % 2 ? a : other[0]);
    for (int i = 0; i < 50; i++)
        assert_int_equal(copy_of(1 + i, 0), 0);
    add(100, 100, other[0]);
    assert_int_equal(copy_of(100, 0), 0);
    add(101, 101, other[0]);
    assert_int_equal(copy_of(101, 0), 100);

    free(a);
    for (int i = 0; i < 4; i++)
        free(other[i]);
}

static void
test_drop_item(void **state)
{
    char *a = story(10, STORY_WORDS);

    (void)state;
    INIT(NULL);
    add(1, 10, a);
    add(2, 20, a);
    assert_int_equal(copy_of(2, 0), 1);
    /* Dropping the original does not change what was decided... */
    plugin->f->drop_item(plugin->ctx, 1);
    assert_int_equal(copy_of(2, 0), 1);
    /* ...and a later copy still leads to it through the copy. */
    add(3, 30, a);
    assert_int_equal(copy_of(3, 0), 1);
    /* Drop everything: a new item has nothing to copy. */
    plugin->f->drop_item(plugin->ctx, 2);
    plugin->f->drop_item(plugin->ctx, 3);
    assert_int_equal(copy_of(2, 0), 0);
    assert_int_equal(copy_of(3, 0), 0);
    add(4, 40, a);
    assert_int_equal(copy_of(4, 0), 0);
    /* Unknown ids and repeats are fine. */
    plugin->f->drop_item(plugin->ctx, 999);
    plugin->f->drop_item(plugin->ctx, 3);
    plugin->f->drop_item(plugin->ctx, -1);
    /* A dropped id can come back, and is an original again. */
    plugin->f->drop_item(plugin->ctx, 4);
    add(4, 40, a);
    add(5, 50, a);
    assert_int_equal(copy_of(4, 0), 0);
    assert_int_equal(copy_of(5, 0), 4);

    /* Many adds and drops in a small window keep the tables whole. */
    INIT("window", "16", NULL);
    for (int i = 1; i <= 400; i++) {
        char *t = story(200 + (uint64_t)(i % 37), 30);
        add(i, i, t);
        if (i % 3 == 0)
            plugin->f->drop_item(plugin->ctx, i - 1);
        free(t);
    }
    free(a);
}

static void
test_repeat_and_unknown(void **state)
{
    char *a = story(11, STORY_WORDS);

    (void)state;
    INIT(NULL);
    /* Never added: not a copy. */
    assert_int_equal(copy_of(42, 0), 0);
    /* The same item added twice is not a copy of itself. */
    add(1, 10, a);
    add(1, 10, a);
    assert_int_equal(copy_of(1, 0), 0);
    add(2, 20, a);
    add(2, 20, a);
    assert_int_equal(copy_of(2, 0), 1);
    /* score() with no sink methods does not crash. */
    {
        struct curator_item it = tp_item(2, "", "");
        struct curator_profile who = tp_profile(7, "ann");
        struct curator_explain ex = { NULL, NULL, NULL };
        double score = NAN;
        int exclude = 0;
        assert_int_equal(plugin->f->score(plugin->ctx, &it, &who, &score,
                                          &exclude, &ex), 0);
        assert_true(score == 0.0);
    }
    free(a);
}

static void
test_hostile_input(void **state)
{
    const size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    char *one_word = malloc(big + 1);
    char *no_words = malloc(big + 1);
    size_t len = 0;
    uint64_t st = 77;

    (void)state;
    assert_non_null(huge);
    assert_non_null(one_word);
    assert_non_null(no_words);
    while (len + 16 < big) {
        const char *w = vocab[next_rand(&st) % VOCAB];
        size_t n = strlen(w);
        memcpy(huge + len, w, n);
        huge[len + n] = ' ';
        len += n + 1;
    }
    huge[len] = '\0';
    memset(one_word, 'a', big);
    one_word[big] = '\0';
    memset(no_words, '.', big);
    no_words[big] = '\0';

    INIT(NULL);
    /* Empty items: nothing to compare. */
    add_full(1, 10, "", "", "", "");
    add_full(2, 20, "", "", "", "");
    assert_int_equal(copy_of(2, 0), 0);
    /* Invalid UTF-8 bytes are word bytes like any other >= 0x80. */
    add_full(3, 10, "\xff", "", "\xc3",
             "\xff\xfe \x80\x80 \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 "
             "\xc0\xaf \xfe \xff\xff\xff zzz");
    add_full(4, 20, "\xfe", "", "\xc3",
             "\xff\xfe \x80\x80 \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 "
             "\xc0\xaf \xfe \xff\xff\xff ZZZ");
    assert_int_equal(copy_of(4, 0), 3);
    /* 1 MB of text: the same hash in another feed, so a copy. */
    add(5, 10, huge);
    add(6, 20, huge);
    assert_int_equal(copy_of(6, 0), 5);
    /* 1 MB of one word, or of no words: too short to judge. */
    add(7, 10, one_word);
    add(8, 20, one_word);
    assert_int_equal(copy_of(8, 0), 0);
    add(9, 10, no_words);
    add(10, 20, no_words);
    assert_int_equal(copy_of(10, 0), 0);
    /* Control bytes separate words. */
    add(11, 30, "a\x01" "b\tc\nd\re\x7f" "f g h");
    add(12, 40, "a b c d e f g h");
    assert_int_equal(copy_of(12, 0), 11);
    free(huge);
    free(one_word);
    free(no_words);
}

static void
test_no_false_positives(void **state)
{
    const int n = 10000;
    int copies = 0;

    (void)state;
    INIT(NULL);
    for (int i = 0; i < n; i++) {
        uint64_t st = 5000 + (uint64_t)i;
        int words = 20 + (int)(next_rand(&st) % 181);
        char *t = story(5000 + (uint64_t)i, words);
        add(1 + i, 1 + i, t);
        free(t);
    }
    for (int i = 0; i < n; i++)
        if (copy_of(1 + i, 0) != 0)
            copies++;
    assert_int_equal(copies, 0);
}

static void
check_init_fails(const char *key, const char *value, const char *want)
{
    assert_int_equal(tp_refuses(plugin, key, value, want), 0);
}

static void
test_options(void **state)
{
    (void)state;
    check_init_fails("colour", "blue", "unknown option 'colour'");
    check_init_fails("Window", "5", "unknown option 'Window'");
    check_init_fails("window", "0",
                     "window: '0' is not a whole number from 1 to 10000000");
    check_init_fails("window", "-5",
                     "window: '-5' is not a whole number from 1 to 10000000");
    check_init_fails("window", "",
                     "window: '' is not a whole number from 1 to 10000000");
    check_init_fails("window", "12abc",
                     "window: '12abc' is not a whole number from 1 to "
                     "10000000");
    check_init_fails("window", " 5",
                     "window: ' 5' is not a whole number from 1 to "
                     "10000000");
    check_init_fails("window", "99999999999999999999999",
                     "window: '99999999999999999999999' is not a whole "
                     "number from 1 to 10000000");
    check_init_fails("max_distance", "65",
                     "max_distance: '65' is not a whole number from 0 to "
                     "64");
    check_init_fails("max_distance", "2.5",
                     "max_distance: '2.5' is not a whole number from 0 to "
                     "64");
    check_init_fails("min_words", "0",
                     "min_words: '0' is not a whole number from 1 to "
                     "1000000");
    check_init_fails("penalty", "-1",
                     "penalty: '-1' is not a number from 0 to 1000000");
    check_init_fails("penalty", "nan",
                     "penalty: 'nan' is not a number from 0 to 1000000");
    check_init_fails("penalty", "inf",
                     "penalty: 'inf' is not a number from 0 to 1000000");
    check_init_fails("penalty", "1e9",
                     "penalty: '1e9' is not a number from 0 to 1000000");
    check_init_fails("penalty", "3x",
                     "penalty: '3x' is not a number from 0 to 1000000");

    /* A good option before a bad one: refused all the same. */
    {
        char err[256] = "";
        assert_int_not_equal(tp_init(plugin, err, sizeof err, "window", "5",
                                     "nope", "1", NULL), 0);
        assert_string_equal(err, "unknown option 'nope'");
    }
    /* A tiny err buffer is cut and terminated. */
    assert_int_equal(tp_refuses_cut(plugin, "colour", "blue", 8, "unknown"),
                     0);
    /* Every option at its limits. */
    INIT("window", "1", "max_distance", "0", "min_words", "1",
         "penalty", "0", NULL);
    INIT("window", "10000000", "max_distance", "64",
         "min_words", "1000000", "penalty", "1000000", NULL);
    INIT("penalty", "0.25", NULL);
    INIT("penalty", ".5", NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_identical_text_across_feeds),
        cmocka_unit_test(test_few_changed_words),
        cmocka_unit_test(test_one_changed_word_rates),
        cmocka_unit_test(test_penalty_and_feed_url),
        cmocka_unit_test(test_long_feed_title),
        cmocka_unit_test(test_earliest_original),
        cmocka_unit_test(test_different_stories),
        cmocka_unit_test(test_same_feed),
        cmocka_unit_test(test_short_items),
        cmocka_unit_test(test_window_eviction),
        cmocka_unit_test(test_drop_item),
        cmocka_unit_test(test_repeat_and_unknown),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_no_false_positives),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
