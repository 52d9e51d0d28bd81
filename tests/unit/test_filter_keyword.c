/* Unit tests for the keyword filter, loaded the way the host loads it:
 * dlopen() of build/filters/keyword.so with RTLD_NOW | RTLD_LOCAL and
 * the entry point looked up by name. Scores are checked exactly, and the
 * reasons through an explanation sink that copies what it is given.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "support.h"

#define MAX_REASONS 16

/* The loaded plugin, shared by every test of the group. */
struct plugin {
    void *handle;
    const struct curator_filter *f;
};

/* The host side of the explanation sink: copies of what was added. */
struct sink {
    struct curator_explain ex;
    size_t n;
    double contribution[MAX_REASONS];
    char reason[MAX_REASONS][256];
};

static void
sink_add(struct curator_explain *ex, double contribution, const char *reason)
{
    struct sink *s = ex->host;
    assert_ptr_equal(&s->ex, ex);
    assert_non_null(reason);
    assert_true(s->n < MAX_REASONS);
    s->contribution[s->n] = contribution;
    snprintf(s->reason[s->n], sizeof s->reason[s->n], "%s", reason);
    s->n++;
}

static void
sink_init(struct sink *s)
{
    memset(s, 0, sizeof *s);
    s->ex.host = s;
    s->ex.add = sink_add;
}

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static int
group_setup(void **state)
{
    struct plugin *p = calloc(1, sizeof *p);
    char *path;

    if (p == NULL)
        return -1;
    if (asprintf(&path, "%s/filters/keyword.so", t_build_dir()) < 0) {
        free(p);
        return -1;
    }
    p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (p->handle == NULL)
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
    free(path);
    if (p->handle == NULL) {
        free(p);
        return -1;
    }
    *state = p;
    return 0;
}

static int
group_teardown(void **state)
{
    struct plugin *p = *state;
    if (p) {
        dlclose(p->handle);
        free(p);
    }
    return 0;
}

/* The filter table, looked up once per test as the host does. */
static const struct curator_filter *
entry(void **state)
{
    struct plugin *p = *state;
    const struct curator_filter *(*fn)(void);

    /* POSIX allows the object-to-function pointer conversion. */
    *(void **)&fn = dlsym(p->handle, CURATOR_FILTER_ENTRY);
    assert_non_null(fn);
    p->f = fn();
    assert_non_null(p->f);
    return p->f;
}

/* init() with the given options; must succeed. */
static void *
init_ok(const struct curator_filter *f,
        const struct curator_filter_option *opts, size_t n)
{
    char err[256] = "";
    void *ctx = NULL;
    assert_int_equal(f->init(opts, n, &ctx, err, sizeof err), 0);
    assert_non_null(ctx);
    return ctx;
}

static struct curator_item
item(const char *title, const char *text)
{
    struct curator_item it = {
        .size = sizeof it, .id = 1,
        .feed_url = "https://example.org/feed.xml",
        .title = title, .text = text,
    };
    return it;
}

/* Score one item for 'who'; the return must be 0 and the score finite. */
static double
score(const struct curator_filter *f, void *ctx, const char *title,
      const char *text, const struct curator_profile *who, struct sink *s)
{
    struct curator_item it = item(title, text);
    double v = NAN;
    sink_init(s);
    assert_int_equal(f->score(ctx, &it, who, &v, &s->ex), 0);
    assert_true(isfinite(v));
    return v;
}

static const struct curator_interest interests[] = {
    { "coaching", 2.0, NULL },
    { "onboarding", 1.5, "grow the team" },
    { "crypto", -1.0, NULL },
};
static const char *const mutes[] = { "football", "Celebrity Gossip" };

static struct curator_profile
profile(void)
{
    struct curator_profile who = {
        .size = sizeof who, .user_id = 7,
        .interests = interests, .n_interests = 3,
        .mutes = mutes, .n_mutes = 2,
    };
    return who;
}

static void
test_entry(void **state)
{
    const struct curator_filter *f = entry(state);
    assert_int_equal(f->abi_major, CURATOR_FILTER_ABI_MAJOR);
    assert_true(f->abi_minor <= CURATOR_FILTER_ABI_MINOR);
    assert_true(f->size >= sizeof(struct curator_filter));
    assert_non_null(f->name);
    assert_string_equal(f->name, "keyword");
    assert_non_null(f->init);
    assert_non_null(f->score);
    assert_non_null(f->free);
    /* The same table every time. */
    assert_ptr_equal(entry(state), f);
}

static void
test_init_default_title_weight(void **state)
{
    const struct curator_filter *f = entry(state);
    struct curator_profile who = profile();
    struct sink s;
    void *ctx = init_ok(f, NULL, 0);

    /* Title weight 2 by default. */
    assert_double_eq(score(f, ctx, "Coaching tips", "", &who, &s), 4.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], 4.0);
    assert_string_equal(s.reason[0],
                        "title matches your interest \"coaching\"");
    f->free(ctx);
}

static void
test_init_title_weight_3(void **state)
{
    const struct curator_filter *f = entry(state);
    struct curator_filter_option opts[] = { { "title_weight", "3" } };
    struct curator_profile who = profile();
    struct sink s;
    void *ctx = init_ok(f, opts, 1);

    assert_double_eq(score(f, ctx, "Coaching tips", "", &who, &s), 6.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], 6.0);
    /* A text match is not multiplied. */
    assert_double_eq(score(f, ctx, "Tips", "about coaching", &who, &s), 2.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], 2.0);
    assert_string_equal(s.reason[0],
                        "text matches your interest \"coaching\"");
    /* A negative weight in the title: -1 * 3. */
    assert_double_eq(score(f, ctx, "Crypto winter", "", &who, &s), -3.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], -3.0);
    f->free(ctx);

    /* Fractional values and both options at once. */
    struct curator_filter_option two[] = {
        { "title_weight", "0.5" }, { "mute_penalty", "7.25" },
    };
    ctx = init_ok(f, two, 2);
    assert_double_eq(score(f, ctx, "Coaching", "", &who, &s), 1.0);
    assert_double_eq(score(f, ctx, "Coaching", "football", &who, &s), -7.25);
    f->free(ctx);
}

/* init() must refuse and say why in err. */
static void
check_init_fails(const struct curator_filter *f, const char *key,
                 const char *value, const char *want_err)
{
    struct curator_filter_option opt = { key, value };
    char err[256] = "";
    void *ctx = NULL;
    assert_int_not_equal(f->init(&opt, 1, &ctx, err, sizeof err), 0);
    assert_string_equal(err, want_err);
}

static void
test_init_refuses(void **state)
{
    const struct curator_filter *f = entry(state);

    check_init_fails(f, "colour", "blue", "unknown option 'colour'");
    check_init_fails(f, "Title_Weight", "2", "unknown option 'Title_Weight'");
    check_init_fails(f, "title_weight", "abc",
                     "title_weight: 'abc' is not a number >= 0");
    check_init_fails(f, "title_weight", "",
                     "title_weight: '' is not a number >= 0");
    check_init_fails(f, "title_weight", "2x",
                     "title_weight: '2x' is not a number >= 0");
    check_init_fails(f, "title_weight", "-1",
                     "title_weight: '-1' is not a number >= 0");
    check_init_fails(f, "title_weight", "inf",
                     "title_weight: 'inf' is not a number >= 0");
    check_init_fails(f, "mute_penalty", "nan",
                     "mute_penalty: 'nan' is not a number >= 0");

    /* A good option before a bad one: still refused, nothing leaks. */
    struct curator_filter_option opts[] = {
        { "title_weight", "3" }, { "nope", "1" },
    };
    char err[256] = "";
    void *ctx = NULL;
    assert_int_not_equal(f->init(opts, 2, &ctx, err, sizeof err), 0);
    assert_string_equal(err, "unknown option 'nope'");

    /* A tiny err buffer is cut, still terminated. */
    char small[8];
    memset(small, 'X', sizeof small);
    struct curator_filter_option bad = { "colour", "blue" };
    assert_int_not_equal(f->init(&bad, 1, &ctx, small, sizeof small), 0);
    assert_string_equal(small, "unknown");
}

static void
test_title_and_text(void **state)
{
    const struct curator_filter *f = entry(state);
    struct curator_profile who = profile();
    struct sink s;
    void *ctx = init_ok(f, NULL, 0);

    /* Text only: the weight once; a goal is named as such. */
    assert_double_eq(score(f, ctx, "News", "We are onboarding new hires",
                           &who, &s), 1.5);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], 1.5);
    assert_string_equal(s.reason[0],
                        "text matches your goal \"onboarding\"");

    /* Two interests in the title: one reason each, in profile order. A
     * term in both title and text counts once, as a title match. */
    assert_double_eq(score(f, ctx, "Onboarding and coaching",
                           "coaching onboarding", &who, &s), 7.0);
    assert_int_equal(s.n, 2);
    assert_double_eq(s.contribution[0], 4.0);
    assert_string_equal(s.reason[0],
                        "title matches your interest \"coaching\"");
    assert_double_eq(s.contribution[1], 3.0);
    assert_string_equal(s.reason[1],
                        "title matches your goal \"onboarding\"");

    /* Title, text and a negative weight together: 4 + 1.5 - 1. */
    assert_double_eq(score(f, ctx, "Coaching", "onboarding, crypto.", &who,
                           &s), 4.5);
    assert_int_equal(s.n, 3);
    assert_double_eq(s.contribution[2], -1.0);
    assert_string_equal(s.reason[2],
                        "text matches your interest \"crypto\"");

    /* Nothing matches: 0 and no reason. */
    assert_double_eq(score(f, ctx, "Weather", "rain", &who, &s), 0.0);
    assert_int_equal(s.n, 0);
    f->free(ctx);
}

static void
test_whole_word_and_case(void **state)
{
    const struct curator_filter *f = entry(state);
    static const struct curator_interest coach[] = { { "coach", 1.0, NULL } };
    struct curator_profile who = {
        .size = sizeof who, .interests = coach, .n_interests = 1,
    };
    struct curator_profile full = profile();
    struct sink s;
    void *ctx = init_ok(f, NULL, 0);

    /* Whole words only. */
    assert_double_eq(score(f, ctx, "Coaching", "coaching coaches", &who, &s),
                     0.0);
    assert_int_equal(s.n, 0);
    assert_double_eq(score(f, ctx, "Autocoach", "precoach", &who, &s), 0.0);
    assert_double_eq(score(f, ctx, "coach2", "xcoach9", &who, &s), 0.0);
    /* Punctuation and the ends of the string are boundaries. */
    assert_double_eq(score(f, ctx, "coach", "", &who, &s), 2.0);
    assert_double_eq(score(f, ctx, "The coach, again", "", &who, &s), 2.0);
    assert_double_eq(score(f, ctx, "x", "(coach)", &who, &s), 1.0);
    assert_double_eq(score(f, ctx, "x", "best-coach", &who, &s), 1.0);
    /* A non-ASCII letter is part of the word. */
    assert_double_eq(score(f, ctx, "coach\xc3\xa9", "", &who, &s), 0.0);
    /* A second occurrence is a whole word even if the first is not. */
    assert_double_eq(score(f, ctx, "coaches and a coach", "", &who, &s),
                     2.0);

    /* ASCII case does not matter, either way round. */
    assert_double_eq(score(f, ctx, "COACH", "", &who, &s), 2.0);
    assert_double_eq(score(f, ctx, "x", "CoAcH", &who, &s), 1.0);
    assert_double_eq(score(f, ctx, "ONBOARDING", "", &full, &s), 3.0);
    assert_string_equal(s.reason[0],
                        "title matches your goal \"onboarding\"");
    f->free(ctx);
}

static void
test_mutes(void **state)
{
    const struct curator_filter *f = entry(state);
    struct curator_profile who = profile();
    struct sink s;
    void *ctx = init_ok(f, NULL, 0);

    /* A muted word wins over any interest: -100 by default, one reason. */
    assert_double_eq(score(f, ctx, "Coaching football players",
                           "onboarding", &who, &s), -100.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], -100.0);
    assert_string_equal(s.reason[0],
                        "mentions \"football\", which you muted");

    /* In the text, any case; a muted phrase matches as a whole. */
    assert_double_eq(score(f, ctx, "Coaching", "celebrity gossip today",
                           &who, &s), -100.0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0],
                        "mentions \"Celebrity Gossip\", which you muted");

    /* Whole words: "footballer" is not "football". */
    assert_double_eq(score(f, ctx, "Coaching a footballer", "", &who, &s),
                     4.0);
    assert_int_equal(s.n, 1);
    f->free(ctx);

    struct curator_filter_option opts[] = {
        { "mute_penalty", "50" }, { "title_weight", "3" },
    };
    ctx = init_ok(f, opts, 2);
    assert_double_eq(score(f, ctx, "News", "FOOTBALL", &who, &s), -50.0);
    assert_int_equal(s.n, 1);
    assert_double_eq(s.contribution[0], -50.0);
    f->free(ctx);
}

static void
test_no_sink_and_empty_profile(void **state)
{
    const struct curator_filter *f = entry(state);
    struct curator_profile who = profile();
    struct curator_profile nobody = { .size = sizeof nobody };
    struct curator_item it = item("Coaching", "onboarding");
    struct sink s;
    double v = NAN;
    void *ctx = init_ok(f, NULL, 0);

    /* No sink, or a sink without add(): the score is still right. */
    assert_int_equal(f->score(ctx, &it, &who, &v, NULL), 0);
    assert_double_eq(v, 5.5);
    struct curator_explain mute = { NULL, NULL };
    v = NAN;
    assert_int_equal(f->score(ctx, &it, &who, &v, &mute), 0);
    assert_double_eq(v, 5.5);

    /* No interests, no mutes: no opinion. */
    assert_double_eq(score(f, ctx, "Coaching", "onboarding", &nobody, &s),
                     0.0);
    assert_int_equal(s.n, 0);
    f->free(ctx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test(test_init_default_title_weight),
        cmocka_unit_test(test_init_title_weight_3),
        cmocka_unit_test(test_init_refuses),
        cmocka_unit_test(test_title_and_text),
        cmocka_unit_test(test_whole_word_and_case),
        cmocka_unit_test(test_mutes),
        cmocka_unit_test(test_no_sink_and_empty_profile),
    };
    return cmocka_run_group_tests_name("unit: filter keyword", tests,
                                       group_setup, group_teardown);
}
