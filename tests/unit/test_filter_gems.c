/* Unit tests for the gems filter, loaded the way the host loads it
 * (tests/support/plugin.h): matching by goal and by interest under the
 * normalisation rules, audiences of goals and of teams ("team:NAME",
 * read from profile views of ABI 1.1 only), exact scores and reasons
 * with the editor's note (cut on character boundaries, hostile bytes
 * cleaned), and the term -> users index behind want() through changes
 * and drops.
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

#define assert_double_eq(a, b) assert_true(fabs((a) - (b)) < 1e-12)

#define ELLIPSIS "\xe2\x80\xa6"
#define FFFD "\xef\xbf\xbd"
#define NOTE_1ON1 "Short, practical guide to 1:1s"

static int
group_setup(void **state)
{
    return tp_fixture_load(state, "gems");
}

static struct curator_gem
gem(const char *editor, const char *note, const char *const *tags,
    size_t n_tags, const char *const *audience, size_t n_audience)
{
    struct curator_gem g = {
        .editor = editor, .note = note, .tags = tags, .n_tags = n_tags,
        .audience = audience, .n_audience = n_audience,
    };
    return g;
}

/* Score an item carrying 'g' (may be NULL); 0 returned, finite, not
 * excluded, and at most one reason, whose contribution is the score. */
static double
score_gem(struct tp_plugin *p, const struct curator_gem *g,
          const struct curator_profile *who, struct tp_sink *s)
{
    struct curator_item it = tp_item(1, "Title", "");
    double v;

    it.gem = g;
    assert_int_equal(tp_score_ok(p, &it, who, &v, s), 0);
    assert_true(s->n <= 1);
    if (s->n == 1)
        assert_double_eq(s->contribution[0], v);
    else
        assert_double_eq(v, 0.0);
    return v;
}

/* The one reason for 'who' must be 'reason' and the score 'want'. */
static void
check_reason(struct tp_plugin *p, const struct curator_gem *g,
             const struct curator_profile *who, double want,
             const char *reason)
{
    struct tp_sink s;

    assert_double_eq(score_gem(p, g, who, &s), want);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.reason[0], reason);
}

static void
check_none(struct tp_plugin *p, const struct curator_gem *g,
           const struct curator_profile *who)
{
    struct tp_sink s;

    assert_double_eq(score_gem(p, g, who, &s), 0.0);
    assert_int_equal(s.n, 0);
}

/* add_item() of an item carrying 'g'; the users named, each once. */
static size_t
wanted(struct tp_plugin *p, const struct curator_gem *g,
       struct tp_wanted *w)
{
    struct curator_item it = tp_item(1, "Title", "");

    it.gem = g;
    assert_int_equal(tp_add(p, &it, w), 0);
    assert_true(tp_wanted_unique(w));
    return w->n;
}

static void
set_profile(struct tp_plugin *p, const struct curator_profile *who)
{
    assert_int_equal(p->f->set_profile(p->ctx, who), 0);
}

static struct curator_profile
with_goals(long long id, const char *const *goals, size_t n)
{
    struct curator_profile who = tp_profile(id, "u");
    who.goals = goals;
    who.n_goals = n;
    return who;
}

static struct curator_profile
with_interests(long long id, const struct curator_interest *in, size_t n)
{
    struct curator_profile who = tp_profile(id, "u");
    who.interests = in;
    who.n_interests = n;
    return who;
}

static void
test_entry(void **state)
{
    assert_int_equal(tp_check_entry(*state, "gems", TP_SET_PROFILE
                                    | TP_DROP_PROFILE | TP_ADD_ITEM), 0);
}

static void
test_match_goal(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "management", "leadership" };
    static const char *const goals[] = { "Grow the team", "Leadership" };
    struct curator_gem g = gem("alice", NOTE_1ON1, tags, 2, NULL, 0);
    struct curator_profile who = with_goals(7, goals, 2);

    check_reason(p, &g, &who, 5.0, "editor pick by alice: \"" NOTE_1ON1
                 "\" (matches your goal Leadership)");
    /* No gem, no goals: no opinion. */
    check_none(p, NULL, &who);
    who.n_goals = 1;
    check_none(p, &g, &who);
    who.goals = NULL;
    who.n_goals = 2;
    check_none(p, &g, &who);
    /* A gem without tags matches no one. */
    g = gem("alice", NOTE_1ON1, NULL, 3, NULL, 0);
    who = with_goals(7, goals, 2);
    check_none(p, &g, &who);
    g = gem("alice", NOTE_1ON1, tags, 0, NULL, 0);
    check_none(p, &g, &who);
}

static void
test_match_interest(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "one on one", "coaching" };
    static const struct curator_interest in[] = {
        { "crypto", 3.0, NULL, 0 },
        { "One-on-Ones", 2.0, "Leadership", 1 },
        { "coaching", 1.0, NULL, 0 },
    };
    static const struct curator_interest against[] = {
        { "coaching", -2.0, NULL, 0 },
        { "one on one", 0.0, NULL, 0 },
        { "one on ones", NAN, NULL, 0 },
        { NULL, 5.0, NULL, 0 },
    };
    static const char *const goals[] = { "Coaching" };
    struct curator_gem g = gem("bob", "Great read", tags, 2, NULL, 0);
    struct curator_profile who = with_interests(7, in, 3);

    /* The first interest in the user's order that meets a tag. */
    check_reason(p, &g, &who, 5.0, "editor pick by bob: \"Great read\" "
                 "(matches your interest One-on-Ones)");
    /* A goal is named before any interest. */
    who.goals = goals;
    who.n_goals = 1;
    check_reason(p, &g, &who, 5.0, "editor pick by bob: \"Great read\" "
                 "(matches your goal Coaching)");
    /* "Less of this", no weight, no term: no match. */
    who = with_interests(7, against, 4);
    check_none(p, &g, &who);
    who.interests = NULL;
    check_none(p, &g, &who);
}

/* Whether a gem tagged 'tag' matches a user with goal 'goal'. */
static int
matches(struct tp_plugin *p, const char *tag, const char *goal)
{
    const char *tags[] = { tag };
    const char *goals[] = { goal };
    struct curator_gem g = gem("e", "", tags, 1, NULL, 0);
    struct curator_profile who = with_goals(7, goals, 1);
    struct tp_sink s;
    double v = score_gem(p, &g, &who, &s);

    assert_true(v == 0.0 || v == 5.0);
    return v == 5.0;
}

static void
test_normalisation(void **state)
{
    struct tp_plugin *p = *state;
    static const struct {
        const char *tag, *goal;
        int match;
    } cases[] = {
        { "leadership", "Leadership", 1 },
        { "leadership", "LEADERSHIP", 1 },
        { "leadership", "  Leadership\t", 1 },
        { "leadership", "leaderships", 1 },
        { "leaderships", "leadership", 1 },
        { "data-science", "Data_Science", 1 },
        { "data science", "data--sciences", 1 },
        { "data_science", "data \t - science", 1 },
        { "one-on-ones", "One on One", 1 },
        { "team leads", "teams-lead", 1 },
        { "s", "S", 1 },
        { "ai", "AIs", 1 },
        { "caf\xc3\xa9", "Caf\xc3\xa9", 1 },
        /* Whole terms only, and nothing beyond the rules. */
        { "lead", "leadership", 0 },
        { "leadership", "lead", 0 },
        { "leadership", "leader ship", 0 },
        { "coach", "coaches", 0 },
        { "data.science", "data science", 0 },
        { "caf\xc3\xa9", "CAF\xc3\x89", 0 },
        { "leadership", "leadershipss", 0 },
        /* Nothing left means nothing to match. */
        { "", "", 0 },
        { "---", "_", 0 },
        { " ", "leadership", 0 },
        { "s", "", 0 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (matches(p, cases[i].tag, cases[i].goal) != cases[i].match) {
            fprintf(stderr, "tag '%s' goal '%s': want %d\n", cases[i].tag,
                    cases[i].goal, cases[i].match);
            fail();
        }
    }
}

static void
test_audience(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "feedback" };
    static const char *const aud[] = { "Sales", "people-management" };
    static const struct curator_interest fb[] = {
        { "feedback", 1.0, NULL, 0 },
    };
    static const char *const goals_a[] = { "People Management" };
    static const char *const goals_d[] = { "Feedback",
                                           "people managements" };
    static const char *const goals_e[] = { "Sales" };
    struct curator_gem g = gem("carol", "", tags, 1, aud, 2);
    struct curator_profile a = with_interests(1, fb, 1);
    struct curator_profile b = with_interests(2, fb, 1);
    struct curator_profile c = with_goals(3, goals_a, 1);
    struct curator_profile d = with_goals(4, goals_d, 2);
    struct curator_profile e = with_goals(5, goals_e, 1);
    struct tp_wanted tw;
    char err[256];

    a.goals = goals_a;
    a.n_goals = 1;
    /* In the audience and meeting a tag: boost plus bonus. */
    check_reason(p, &g, &a, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_reason(p, &g, &d, 6.0, "editor pick by carol (matches your goal "
                 "Feedback)");
    /* Meeting a tag outside the audience, or the audience without a
     * tag: nothing. */
    check_none(p, &g, &b);
    check_none(p, &g, &c);
    check_none(p, &g, &e);

    set_profile(p, &a);
    set_profile(p, &b);
    set_profile(p, &c);
    set_profile(p, &d);
    set_profile(p, &e);
    assert_int_equal(wanted(p, &g, &tw), 2);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 4));

    /* Without the audience every user meeting the tag, no bonus. */
    g.n_audience = 0;
    check_reason(p, &g, &a, 5.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_reason(p, &g, &b, 5.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_none(p, &g, &c);
    assert_int_equal(wanted(p, &g, &tw), 3);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 2));
    assert_true(tp_wanted_has(&tw, 4));

    /* An audience that normalises to nothing, or is missing, reaches
     * no one. */
    static const char *const blank[] = { "--", "" };
    g = gem("carol", "", tags, 1, blank, 2);
    check_none(p, &g, &a);
    assert_int_equal(wanted(p, &g, &tw), 0);
    g = gem("carol", "", tags, 1, NULL, 2);
    check_none(p, &g, &a);
    assert_int_equal(wanted(p, &g, &tw), 0);

    /* The bonus is an option. */
    assert_int_equal(tp_init(p, err, sizeof err, "audience_bonus", "0.5",
                             "boost", "2", NULL), 0);
    g = gem("carol", "", tags, 1, aud, 2);
    check_reason(p, &g, &a, 2.5, "editor pick by carol (matches your "
                 "interest feedback)");
    g.n_audience = 0;
    check_reason(p, &g, &a, 2.0, "editor pick by carol (matches your "
                 "interest feedback)");
}

static struct curator_profile
in_teams(long long id, const struct curator_interest *in, size_t n_in,
         const char *const *teams, size_t n_teams)
{
    struct curator_profile who = with_interests(id, in, n_in);
    who.teams = teams;
    who.n_teams = n_teams;
    return who;
}

static void
test_audience_team(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "feedback" };
    static const char *const aud[] = { "team:Platform" };
    static const char *const mixed[] = { "Sales", "TEAM: platform-" };
    static const struct curator_interest fb[] = {
        { "feedback", 1.0, NULL, 0 },
    };
    static const char *const platform[] = { "Data", "platform" };
    static const char *const sales[] = { "Sales" };
    struct curator_gem g = gem("carol", "", tags, 1, aud, 1);
    /* 1: in the team; 2: another team; 3: a goal named like the team;
     * 4: the team in a view too old to carry teams; 5: the team but no
     * matching tag; 6: a goal named in the mixed audience. */
    struct curator_profile u1 = in_teams(1, fb, 1, platform, 2);
    struct curator_profile u2 = in_teams(2, fb, 1, sales, 1);
    struct curator_profile u3 = in_teams(3, fb, 1, NULL, 0);
    struct curator_profile u4 = in_teams(4, fb, 1, platform, 2);
    struct curator_profile u5 = in_teams(5, NULL, 0, platform, 2);
    struct curator_profile u6 = in_teams(6, fb, 1, NULL, 0);
    static const char *const goal_platform[] = { "Platform" };
    struct tp_wanted tw;

    u3.goals = goal_platform;
    u3.n_goals = 1;
    u4.size = offsetof(struct curator_profile, teams);
    u6.goals = sales;
    u6.n_goals = 1;

    /* Boost and bonus for the member; nothing for the others. */
    check_reason(p, &g, &u1, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_none(p, &g, &u2);
    check_none(p, &g, &u3);
    check_none(p, &g, &u4);
    check_none(p, &g, &u5);
    check_none(p, &g, &u6);
    set_profile(p, &u1);
    set_profile(p, &u2);
    set_profile(p, &u3);
    set_profile(p, &u4);
    set_profile(p, &u5);
    set_profile(p, &u6);
    assert_int_equal(wanted(p, &g, &tw), 1);
    assert_int_equal(tw.user[0], 1);

    /* A goal entry does not name a team, nor a team entry a goal. */
    static const char *const goal_only[] = { "Platform" };
    g = gem("carol", "", tags, 1, goal_only, 1);
    check_none(p, &g, &u1);
    check_reason(p, &g, &u3, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    assert_int_equal(wanted(p, &g, &tw), 1);
    assert_int_equal(tw.user[0], 3);

    /* Goals and teams together; the prefix in any case, the name
     * normalised. */
    g = gem("carol", "", tags, 1, mixed, 2);
    check_reason(p, &g, &u1, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_reason(p, &g, &u6, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    check_none(p, &g, &u2);
    assert_int_equal(wanted(p, &g, &tw), 2);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 6));

    /* "team:" alone, or a team nobody is in: no one. */
    static const char *const blank[] = { "team:", "team: - ", "team:Ops" };
    g = gem("carol", "", tags, 1, blank, 3);
    check_none(p, &g, &u1);
    assert_int_equal(wanted(p, &g, &tw), 0);
    /* "teams:x" and "team x" are goal names. */
    static const char *const near[] = { "teams:platform", "team platform" };
    static const char *const near_goals[] = { "Teams:Platform" };
    g = gem("carol", "", tags, 1, near, 2);
    check_none(p, &g, &u1);
    u2.goals = near_goals;
    u2.n_goals = 1;
    check_reason(p, &g, &u2, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");

    /* Leaving the team: no longer named. */
    g = gem("carol", "", tags, 1, aud, 1);
    u1.n_teams = 1;
    set_profile(p, &u1);
    assert_int_equal(wanted(p, &g, &tw), 0);
    check_none(p, &g, &u1);
    u1.n_teams = 2;
    set_profile(p, &u1);
    assert_int_equal(wanted(p, &g, &tw), 1);
    /* A team of NULL or empty names is harmless. */
    static const char *const odd[] = { NULL, "", "Platform" };
    u5 = in_teams(5, fb, 1, odd, 3);
    set_profile(p, &u5);
    check_reason(p, &g, &u5, 6.0, "editor pick by carol (matches your "
                 "interest feedback)");
    assert_int_equal(wanted(p, &g, &tw), 2);
    assert_true(tp_wanted_has(&tw, 5));
}

static void
test_options(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "leadership" };
    static const char *const goals[] = { "leadership" };
    struct curator_gem g = gem("alice", "", tags, 1, goals, 1);
    struct curator_profile who = with_goals(7, goals, 1);
    char err[256];

    check_reason(p, &g, &who, 6.0, "editor pick by alice (matches your "
                 "goal leadership)");
    /* Zero boost and bonus: no opinion, no reason. */
    assert_int_equal(tp_init(p, err, sizeof err, "boost", "0",
                             "audience_bonus", "0", NULL), 0);
    assert_string_equal(err, "");
    check_none(p, &g, &who);
    assert_int_equal(tp_init(p, err, sizeof err, "boost", "0", NULL), 0);
    check_reason(p, &g, &who, 1.0, "editor pick by alice (matches your "
                 "goal leadership)");
    assert_int_equal(tp_init(p, err, sizeof err, "boost", "1000",
                             "audience_bonus", "1000", NULL), 0);
    check_reason(p, &g, &who, 2000.0, "editor pick by alice (matches your "
                 "goal leadership)");
}

static void
test_options_refused(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const bad[] = {
        "", "x", "-1", "nan", "inf", "1e400", "1000.5", " 5", "5 ", "5x",
    };
    char err[256], want[256];

    assert_int_equal(tp_refuses(p, "bonus", "1", "unknown option 'bonus'"),
                     0);
    assert_int_not_equal(tp_init(p, err, sizeof err, "boost", "2", "",
                                 "1", NULL), 0);
    assert_string_equal(err, "unknown option ''");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(want, sizeof want, "boost: '%s' is not a number from 0 to "
                 "1000", bad[i]);
        assert_int_equal(tp_refuses(p, "boost", bad[i], want), 0);
        snprintf(want, sizeof want, "audience_bonus: '%s' is not a number "
                 "from 0 to 1000", bad[i]);
        assert_int_equal(tp_refuses(p, "audience_bonus", bad[i], want), 0);
    }
    assert_int_equal(tp_refuses_cut(p, "boost", "x", 8, "boost: "), 0);
}

static void
test_want(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "leadership", "one-on-ones" };
    static const char *const cooking_tag[] = { "cooking" };
    static const char *const lead[] = { "Leadership" };
    static const char *const cook[] = { "Cooking", "COOKING" };
    static const struct curator_interest in2[] = {
        { "leadership", 3.0, NULL, 0 }, { "leaderships", 1.0, NULL, 0 },
    };
    static const struct curator_interest in3[] = {
        { "leadership", -2.0, NULL, 0 },
    };
    static const struct curator_interest in5[] = {
        { "one on one", 1.0, NULL, 1 }, { "leadership", 1.0, NULL, 0 },
    };
    struct curator_gem g = gem("alice", NOTE_1ON1, tags, 2, NULL, 0);
    struct curator_gem gc = gem("alice", "", cooking_tag, 1, NULL, 0);
    struct curator_profile u1 = with_goals(1, lead, 1);
    struct curator_profile u2 = with_interests(2, in2, 2);
    struct curator_profile u3 = with_interests(3, in3, 1);
    struct curator_profile u4 = with_goals(4, cook, 2);
    struct curator_profile u5 = with_goals(5, lead, 1);
    struct curator_item it = tp_item(1, "Title", "");
    struct tp_wanted tw;

    assert_int_equal(wanted(p, &g, &tw), 0);
    u5.interests = in5;
    u5.n_interests = 2;
    set_profile(p, &u1);
    set_profile(p, &u2);
    set_profile(p, &u3);
    set_profile(p, &u4);
    set_profile(p, &u5);
    /* User 5 meets both tags through three terms: named once. */
    assert_int_equal(wanted(p, &g, &tw), 3);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 2));
    assert_true(tp_wanted_has(&tw, 5));
    assert_int_equal(wanted(p, &gc, &tw), 1);
    assert_int_equal(tw.user[0], 4);
    /* Again: the same answer, each pass on its own. */
    assert_int_equal(wanted(p, &g, &tw), 3);
    /* No gem, or a view too old to carry one: nobody. */
    assert_int_equal(wanted(p, NULL, &tw), 0);
    it.gem = &g;
    it.size = offsetof(struct curator_item, gem);
    tp_wanted_init(&tw);
    assert_int_equal(p->f->add_item(p->ctx, &it, &tw.w), 0);
    assert_int_equal(tw.n, 0);
    struct tp_sink s;
    double v = NAN;
    int exclude = 0;
    assert_int_equal(tp_score(p, &it, &u1, &v, &exclude, &s), 0);
    assert_double_eq(v, 0.0);
    assert_int_equal(s.n, 0);
    it.size = sizeof it;
    assert_int_equal(p->f->add_item(p->ctx, &it, NULL), 0);

    /* A changed profile replaces the old one, in both directions. */
    u1.goals = cook;
    set_profile(p, &u1);
    assert_int_equal(wanted(p, &g, &tw), 2);
    assert_false(tp_wanted_has(&tw, 1));
    assert_int_equal(wanted(p, &gc, &tw), 2);
    assert_true(tp_wanted_has(&tw, 1));
    assert_true(tp_wanted_has(&tw, 4));
    set_profile(p, &u1);

    /* Dropped users go; twice, or unknown, is harmless. */
    p->f->drop_profile(p->ctx, 2);
    p->f->drop_profile(p->ctx, 2);
    p->f->drop_profile(p->ctx, 999);
    assert_int_equal(wanted(p, &g, &tw), 1);
    assert_int_equal(tw.user[0], 5);
    /* Emptied goals and interests: no longer indexed. */
    u5 = tp_profile(5, "u");
    set_profile(p, &u5);
    assert_int_equal(wanted(p, &g, &tw), 0);
    p->f->drop_profile(p->ctx, 1);
    assert_int_equal(wanted(p, &gc, &tw), 1);
    assert_int_equal(tw.user[0], 4);
    /* A dropped user is still scored from the view given. */
    u2 = with_interests(2, in2, 2);
    check_reason(p, &g, &u2, 5.0, "editor pick by alice: \"" NOTE_1ON1
                 "\" (matches your interest leadership)");
}

static void
test_many_users(void **state)
{
    struct tp_plugin *p = *state;
    static const char *const tags[] = { "topic-7", "nothing" };
    static const char *const aud[] = { "goal 1" };
    struct curator_gem g = gem("alice", "", tags, 2, NULL, 0);
    struct curator_interest in;
    char term[32], goal[32];
    const char *goals[1] = { goal };
    struct tp_wanted tw;

    /* 5000 users: user u holds "Topic u%100" and goal "goal u%3". */
    for (long long u = 0; u < 5000; u++) {
        struct curator_profile who = with_interests(u, &in, 1);
        snprintf(term, sizeof term, "Topic %lld", u % 100);
        snprintf(goal, sizeof goal, "goal_%lld", u % 3);
        in = (struct curator_interest){ term, 1.0, NULL, 0 };
        who.goals = goals;
        who.n_goals = 1;
        set_profile(p, &who);
    }
    assert_int_equal(wanted(p, &g, &tw), 50);
    for (size_t i = 0; i < tw.n; i++)
        assert_int_equal(tw.user[i] % 100, 7);
    g.audience = aud;
    g.n_audience = 1;
    assert_int_equal(wanted(p, &g, &tw), 17);
    for (size_t i = 0; i < tw.n; i++) {
        assert_int_equal(tw.user[i] % 100, 7);
        assert_int_equal(tw.user[i] % 3, 1);
    }
    /* Drop 7, 207, 407, ...: 107, 307, ... are left. */
    for (long long u = 7; u < 5000; u += 200)
        p->f->drop_profile(p->ctx, u);
    assert_int_equal(wanted(p, &g, &tw), 8);
    for (size_t i = 0; i < tw.n; i++)
        assert_int_equal(tw.user[i] % 200, 107);
    g.n_audience = 0;
    assert_int_equal(wanted(p, &g, &tw), 25);
    for (size_t i = 0; i < tw.n; i++)
        assert_int_equal(tw.user[i] % 200, 107);
}

/* The reason for a gem by alice with 'note' matching goal Leadership. */
static void
check_note(struct tp_plugin *p, const char *note, const char *shown)
{
    static const char *const tags[] = { "leadership" };
    static const char *const goals[] = { "Leadership" };
    struct curator_gem g = gem("alice", note, tags, 1, NULL, 0);
    struct curator_profile who = with_goals(7, goals, 1);
    char want[512];

    if (shown[0] == '\0')
        snprintf(want, sizeof want, "editor pick by alice (matches your "
                 "goal Leadership)");
    else
        snprintf(want, sizeof want, "editor pick by alice: \"%s\" (matches "
                 "your goal Leadership)", shown);
    check_reason(p, &g, &who, 5.0, want);
}

/* The note made of 'n' copies of 'unit' shows as 'k' copies then "…",
 * or whole when k == n. */
static void
check_cut(struct tp_plugin *p, const char *unit, size_t n, size_t k)
{
    char *note = tp_repeat(unit, n), *kept = tp_repeat(unit, k);
    char shown[512];

    snprintf(shown, sizeof shown, "%s%s", kept, k < n ? ELLIPSIS : "");
    assert_true(strlen(shown) <= 120);
    check_note(p, note, shown);
    free(note);
    free(kept);
}

static void
test_note_cut(void **state)
{
    struct tp_plugin *p = *state;

    /* 120 bytes fit; from 121 on, at most 117 and "…". */
    check_cut(p, "a", 120, 120);
    check_cut(p, "a", 121, 117);
    check_cut(p, "a", 100000, 117);
    /* Never inside a character: 2, 3 and 4 bytes. */
    check_cut(p, "\xc3\xa9", 60, 60);
    check_cut(p, "\xc3\xa9", 61, 58);
    check_cut(p, "\xe2\x82\xac", 40, 40);
    check_cut(p, "\xe2\x82\xac", 50, 39);
    check_cut(p, "\xf0\x9f\x98\x80", 30, 30);
    check_cut(p, "\xf0\x9f\x98\x80", 40, 29);
    check_cut(p, "\xf0\x9f\x98\x80" "a", 24, 24);
    check_cut(p, "\xf0\x9f\x98\x80" "a", 25, 23);
    /* The cut falls between characters, inside a word if need be. */
    char *words = tp_repeat("abcd ", 30), *kept = tp_repeat("abcd ", 23);
    char shown[256];
    snprintf(shown, sizeof shown, "%sab" ELLIPSIS, kept);
    check_note(p, words, shown);
    free(words);
    free(kept);
    check_note(p, "", "");
}

static void
test_note_hostile(void **state)
{
    struct tp_plugin *p = *state;
    char *note, *shown, *x;

    /* Controls and line breaks fold into single spaces, ends trimmed. */
    check_note(p, "\r\n line one\r\nBcc: x@example.org\t\x01" "end\x7f\n",
               "line one Bcc: x@example.org end");
    /* C1 controls and line separators too; direction and invisible
     * characters go. */
    check_note(p, "a\xe2\x80\xae" "b\xe2\x80\x8b" "c\xe2\x80\xa8" "d\xc2\x85"
               "e\xef\xbb\xbf" "f\xe2\x81\xa6" "g",
               "abc d efg");
    /* Bytes that are not UTF-8 show as U+FFFD, one each. */
    check_note(p, "\xff\xfe ok \xc0\xaf \xed\xa0\x80 \xf5\x80\x80\x80",
               FFFD FFFD " ok " FFFD FFFD " " FFFD FFFD FFFD " "
               FFFD FFFD FFFD FFFD);
    check_note(p, "overlong \xe0\x80\xaf \xf0\x80\x80\xaf",
               "overlong " FFFD FFFD FFFD " " FFFD FFFD FFFD FFFD);
    check_note(p, "cut \xe2\x82", "cut " FFFD FFFD);
    check_note(p, "cut \xf0\x9f\x98", "cut " FFFD FFFD FFFD);
    /* Nothing but controls: no note at all. */
    check_note(p, "\x01\x02 \t\r\n\xe2\x80\x8b", "");

    /* 100 KB of controls between letters, cut like any note. */
    note = tp_repeat("\x01x", 50000);
    x = tp_repeat("x ", 58);
    shown = malloc(512);
    assert_non_null(shown);
    snprintf(shown, 512, "%sx" ELLIPSIS, x);
    check_note(p, note, shown);
    free(note);
    free(x);
    /* 100 KB of invalid bytes: each shows as 3, 39 of them fit. */
    note = tp_repeat("\xff", 100000);
    x = tp_repeat(FFFD, 39);
    snprintf(shown, 512, "%s" ELLIPSIS, x);
    check_note(p, note, shown);
    free(note);
    free(x);
    free(shown);
}

static void
test_reason_bounds(void **state)
{
    struct tp_plugin *p = *state;
    char *editor = tp_repeat("E", 100000), *goal = tp_repeat("g", 100000);
    char *note = tp_repeat("n", 100000);
    char *e = tp_repeat("E", 29), *gg = tp_repeat("g", 45);
    char *nn = tp_repeat("n", 76);
    const char *tags[] = { goal };
    const char *goals[] = { goal };
    struct curator_gem g = gem(editor, note, tags, 1, NULL, 0);
    struct curator_profile who = with_goals(7, goals, 1);
    char want[512];

    /* Long names give way first (32 and 48 bytes), then the note shrinks
     * so that the reason keeps its end within 199 bytes. */
    snprintf(want, sizeof want, "editor pick by %s" ELLIPSIS ": \"%s"
             ELLIPSIS "\" (matches your goal %s" ELLIPSIS ")", e, nn, gg);
    assert_int_equal(strlen(want), 199);
    check_reason(p, &g, &who, 5.0, want);

    /* The same through an interest: four bytes more of label. */
    struct curator_interest in = { goal, 1.0, NULL, 0 };
    who = with_interests(7, &in, 1);
    free(nn);
    nn = tp_repeat("n", 72);
    snprintf(want, sizeof want, "editor pick by %s" ELLIPSIS ": \"%s"
             ELLIPSIS "\" (matches your interest %s" ELLIPSIS ")", e, nn,
             gg);
    assert_int_equal(strlen(want), 199);
    check_reason(p, &g, &who, 5.0, want);

    /* No editor name, or a blank one. */
    static const char *const tag[] = { "leadership" };
    static const char *const lead[] = { "Leadership" };
    who = with_goals(7, lead, 1);
    g = gem("", "Read it", tag, 1, NULL, 0);
    check_reason(p, &g, &who, 5.0, "editor pick: \"Read it\" (matches your "
                 "goal Leadership)");
    g = gem("\t\x01", "Read it", tag, 1, NULL, 0);
    check_reason(p, &g, &who, 5.0, "editor pick: \"Read it\" (matches your "
                 "goal Leadership)");
    g = gem("a\nb", "x\"y", tag, 1, NULL, 0);
    check_reason(p, &g, &who, 5.0, "editor pick by a b: \"x\"y\" (matches "
                 "your goal Leadership)");

    /* No sink, or one without add(): the score alone. */
    struct curator_item it = tp_item(1, "Title", "");
    struct curator_explain mute = { NULL, NULL, NULL };
    double v = NAN;
    int exclude = 0;
    it.gem = &g;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, NULL), 0);
    assert_double_eq(v, 5.0);
    v = NAN;
    assert_int_equal(p->f->score(p->ctx, &it, &who, &v, &exclude, &mute),
                     0);
    assert_double_eq(v, 5.0);

    free(editor);
    free(goal);
    free(note);
    free(e);
    free(gg);
    free(nn);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry),
        cmocka_unit_test_setup(test_match_goal, tp_fixture_init),
        cmocka_unit_test_setup(test_match_interest, tp_fixture_init),
        cmocka_unit_test_setup(test_normalisation, tp_fixture_init),
        cmocka_unit_test_setup(test_audience, tp_fixture_init),
        cmocka_unit_test_setup(test_audience_team, tp_fixture_init),
        cmocka_unit_test_setup(test_options, tp_fixture_init),
        cmocka_unit_test_setup(test_options_refused, tp_fixture_init),
        cmocka_unit_test_setup(test_want, tp_fixture_init),
        cmocka_unit_test_setup(test_many_users, tp_fixture_init),
        cmocka_unit_test_setup(test_note_cut, tp_fixture_init),
        cmocka_unit_test_setup(test_note_hostile, tp_fixture_init),
        cmocka_unit_test_setup(test_reason_bounds, tp_fixture_init),
    };
    return cmocka_run_group_tests_name("unit: filter gems", tests,
                                       group_setup, tp_fixture_unload);
}
