/* curator commands about scoring: profiles (goals, interests, mutes,
 * source weights), feedback, gems, and reading scores back (explain,
 * top). A command that changes what scores depend on rescores at once
 * through the same filter host the daemon runs, so `top` is current
 * whether or not curatord is running.
 */
#include "cli.h"
#include "date.h"
#include "err.h"
#include "score.h"
#include "store.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TERM_MAX 127
#define TOP_MAX 1000

int
cli_score_now(struct cli *c)
{
    char err[512];
    struct scorer *sc;
    long long now = (long long)time(NULL);
    int rc = scorer_open(c->cfg->filters, c->cfg->n_filters,
                         c->cfg->score_window, &sc, err, sizeof err);
    if (rc != CUR_OK)
        return fail("%s", err);
    rc = scorer_load(sc, c->st, now, 1);
    if (rc == CUR_OK)
        rc = scorer_run(sc, c->st, now, NULL);
    if (rc == CUR_OK)
        rc = scorer_refresh(sc, c->st, now, NULL);
    scorer_close(sc);
    if (rc != CUR_OK)
        return fail("scoring failed: %s", cur_strerror(rc));
    return 0;
}

int
cmd_score(struct cli *c, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (cli_score_now(c) != 0)
        return 1;
    printf("scores are up to date\n");
    return 0;
}

int
cmd_goal_add(struct cli *c, int argc, char **argv)
{
    long long user_id, goal_id;
    (void)argc;
    if (argv[1][0] == '\0' || strlen(argv[1]) > TERM_MAX)
        return fail("goal name must be 1 to %d bytes", TERM_MAX);
    if (find_user(c, argv[0], &user_id))
        return 1;
    int rc = store_goal_add(c->st, user_id, argv[1], &goal_id);
    if (rc == CUR_EEXIST) {
        printf("%s already has the goal '%s'\n", argv[0], argv[1]);
        return 0;
    }
    if (rc != CUR_OK)
        return fail("cannot add goal '%s' for %s: %s", argv[1], argv[0],
                    cur_strerror(rc));
    printf("%s: goal '%s'\n", argv[0], argv[1]);
    return 0;
}

/* A term as typed: "quoted" or several words make a phrase. Writes the
 * bare term to 'out'. Returns 0, or 1 after a message. */
static int
parse_term(const char *what, const char *arg, char *out, size_t outlen,
           int *is_phrase)
{
    size_t n = strlen(arg);
    if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
        arg++;
        n -= 2;
        *is_phrase = 1;
    } else {
        *is_phrase = 0;
    }
    while (n > 0 && (*arg == ' ' || *arg == '\t')) {
        arg++;
        n--;
    }
    while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
        n--;
    if (n == 0 || n > TERM_MAX || n >= outlen)
        return fail("%s term must be 1 to %d bytes", what, TERM_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)arg[i] < 0x20 || arg[i] == '"')
            return fail("%s term may not contain control characters or "
                        "quotes inside", what);
    memcpy(out, arg, n);
    out[n] = '\0';
    if (strchr(out, ' ') != NULL)
        *is_phrase = 1;
    return 0;
}

static int
parse_weight(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double w = strtod(s, &end);
    if (errno || *end || end == s || !isfinite(w) || w < lo || w > hi)
        return fail("weight must be a number from %g to %g, not '%s'", lo,
                    hi, s);
    *out = w;
    return 0;
}

int
cmd_interest_add(struct cli *c, int argc, char **argv)
{
    long long user_id, goal_id = 0;
    double weight = 1.0;
    const char *goal = NULL, *weight_arg = NULL;
    char term[TERM_MAX + 1];
    int is_phrase;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--goal") == 0 && i + 1 < argc)
            goal = argv[++i];
        else if (weight_arg == NULL && strcmp(argv[i], "--goal") != 0)
            weight_arg = argv[i];   /* "-3" and "-inf" are weights too */
        else
            return -2;
    }
    if (parse_term("interest", argv[1], term, sizeof term, &is_phrase))
        return 1;
    if (weight_arg && parse_weight(weight_arg, -10, 10, &weight))
        return 1;
    if (find_user(c, argv[0], &user_id))
        return 1;
    if (goal != NULL) {
        int rc = store_goal_find(c->st, user_id, goal, &goal_id);
        if (rc == CUR_ENOTFOUND)
            return fail("%s has no goal '%s' (add it with 'curator goal add "
                        "%s \"%s\"')", argv[0], goal, argv[0], goal);
        if (rc != CUR_OK)
            return fail("cannot look up goal '%s': %s", goal,
                        cur_strerror(rc));
    }
    int rc = store_interest_put(c->st, user_id, term, weight, goal_id,
                                is_phrase);
    if (rc != CUR_OK)
        return fail("cannot add interest '%s' for %s: %s", term, argv[0],
                    cur_strerror(rc));
    if (cli_score_now(c) != 0)
        return 1;
    printf("%s: interest %s%s%s with weight %g%s%s\n", argv[0],
           is_phrase ? "phrase \"" : "'", term, is_phrase ? "\"" : "'",
           weight, goal ? " for goal " : "", goal ? goal : "");
    return 0;
}

/* A feed given as an ID or a stored URL. */
static int
find_feed(struct cli *c, const char *arg, long long *id)
{
    *id = parse_id(arg);
    if (*id > 0)
        return 0;
    int rc = store_feed_find(c->st, arg, id);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed %s (see 'curator feed list')", arg);
    if (rc != CUR_OK)
        return fail("cannot look up feed %s: %s", arg, cur_strerror(rc));
    return 0;
}

int
cmd_mute_add(struct cli *c, int argc, char **argv)
{
    long long user_id, feed_id;
    char term[TERM_MAX + 1];
    int is_phrase, rc;

    if (find_user(c, argv[0], &user_id))
        return 1;
    if (strcmp(argv[1], "--feed") == 0) {
        if (argc != 3)
            return -2;
        if (find_feed(c, argv[2], &feed_id))
            return 1;
        rc = store_mute_feed(c->st, user_id, feed_id);
        if (rc == CUR_ENOTFOUND)
            return fail("no feed with ID %lld", feed_id);
        if (rc != CUR_OK)
            return fail("cannot mute feed %lld: %s", feed_id,
                        cur_strerror(rc));
        if (cli_score_now(c) != 0)
            return 1;
        printf("%s: feed %lld muted\n", argv[0], feed_id);
        return 0;
    }
    if (argc != 2)
        return -2;
    if (parse_term("mute", argv[1], term, sizeof term, &is_phrase))
        return 1;
    rc = store_mute_term(c->st, user_id, term);
    if (rc != CUR_OK)
        return fail("cannot mute '%s': %s", term, cur_strerror(rc));
    if (cli_score_now(c) != 0)
        return 1;
    printf("%s: '%s' muted\n", argv[0], term);
    return 0;
}

int
cmd_source_weight(struct cli *c, int argc, char **argv)
{
    long long user_id, feed_id;
    double w;
    (void)argc;
    if (find_user(c, argv[0], &user_id) || find_feed(c, argv[1], &feed_id)
        || parse_weight(argv[2], 0, 10, &w))
        return 1;
    int rc = store_source_weight(c->st, user_id, feed_id, w);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld", feed_id);
    if (rc != CUR_OK)
        return fail("cannot weigh feed %lld: %s", feed_id, cur_strerror(rc));
    if (cli_score_now(c) != 0)
        return 1;
    printf("%s: feed %lld weighs %g\n", argv[0], feed_id, w);
    return 0;
}

int
cmd_feedback(struct cli *c, int argc, char **argv)
{
    long long user_id, item_id = parse_id(argv[1]);
    int verdict;
    (void)argc;
    if (item_id < 0)
        return fail("'%s' is not an item ID", argv[1]);
    if (strcmp(argv[2], "up") == 0 || strcmp(argv[2], "+1") == 0)
        verdict = 1;
    else if (strcmp(argv[2], "down") == 0 || strcmp(argv[2], "-1") == 0)
        verdict = -1;
    else
        return fail("feedback is 'up' or 'down', not '%s'", argv[2]);
    if (find_user(c, argv[0], &user_id))
        return 1;
    int rc = store_feedback_put(c->st, user_id, item_id, verdict);
    if (rc == CUR_ENOTFOUND)
        return fail("no item with ID %lld (see 'curator items')", item_id);
    if (rc != CUR_OK)
        return fail("cannot record feedback: %s", cur_strerror(rc));
    if (cli_score_now(c) != 0)
        return 1;
    printf("%s: %s on item %lld\n", argv[0], verdict > 0 ? "up" : "down",
           item_id);
    return 0;
}

/* A comma list as typed, checked: no control characters, each part 1 to
 * 64 bytes. Returns 0, or 1 after a message naming 'what'. */
static int
check_list(const char *what, const char *s)
{
    size_t part = 0;
    for (const char *p = s;; p++) {
        if (*p == ',' || *p == '\0') {
            if (part > 64)
                return fail("%s: each entry must be at most 64 bytes", what);
            part = 0;
            if (*p == '\0')
                return 0;
            continue;
        }
        if ((unsigned char)*p < 0x20)
            return fail("%s: control characters are not allowed", what);
        part++;
    }
}

int
cmd_gem_add(struct cli *c, int argc, char **argv)
{
    long long item_id = parse_id(argv[0]), editor_id;
    const char *editor = NULL, *note = NULL, *tags = "", *audience = "";
    long long expires = 0;
    const char *role;
    char err[512];
    struct scorer *sc;

    if (item_id < 0)
        return fail("'%s' is not an item ID", argv[0]);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return -2;
        if (strcmp(argv[i], "--editor") == 0) {
            editor = argv[++i];
        } else if (strcmp(argv[i], "--note") == 0) {
            note = argv[++i];
        } else if (strcmp(argv[i], "--tags") == 0) {
            tags = argv[++i];
        } else if (strcmp(argv[i], "--audience") == 0) {
            audience = argv[++i];
        } else if (strcmp(argv[i], "--expires") == 0) {
            long d;
            if (config_parse_duration(argv[++i], &d) != CUR_OK || d <= 0)
                return fail("--expires: '%s' is not a duration (like 7d)",
                            argv[i]);
            expires = (long long)time(NULL) + d;
        } else {
            return -2;
        }
    }
    if (editor == NULL || note == NULL)
        return -2;
    if (strlen(note) > 1000)
        return fail("--note: at most 1000 bytes");
    for (const char *p = note; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            return fail("--note: control characters are not allowed");
    if (check_list("--tags", tags) || check_list("--audience", audience))
        return 1;
    if (find_user(c, editor, &editor_id))
        return 1;
    if (store_user_role(c->st, editor_id, &role) != CUR_OK
        || strcmp(role, "subscriber") == 0)
        return fail("%s is not an editor (an admin can make them one with "
                    "'curator user role %s editor')", editor, editor);
    int rc = store_gem_put(c->st, item_id, editor_id, note, tags, audience,
                           expires);
    if (rc == CUR_ENOTFOUND)
        return fail("no item with ID %lld (see 'curator items')", item_id);
    if (rc != CUR_OK)
        return fail("cannot tag item %lld: %s", item_id, cur_strerror(rc));
    /* A gem reaches people beyond the feed's subscribers: score it again
     * for everyone. */
    long long now = (long long)time(NULL);
    rc = scorer_open(c->cfg->filters, c->cfg->n_filters,
                     c->cfg->score_window, &sc, err, sizeof err);
    if (rc != CUR_OK)
        return fail("%s", err);
    rc = scorer_load(sc, c->st, now, 1);
    if (rc == CUR_OK)
        rc = scorer_rescore_item(sc, c->st, item_id, now, NULL);
    scorer_close(sc);
    if (rc != CUR_OK)
        return fail("scoring item %lld failed: %s", item_id,
                    cur_strerror(rc));
    printf("item %lld is a gem by %s\n", item_id, editor);
    return 0;
}

/* Reading scores back. */

static void
print_reasons(const char *stored, const char *indent)
{
    struct score_reason r[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(stored, r, SCORE_MAX_REASONS);
    for (size_t i = 0; i < n; i++)
        printf("%s%+6.2f  %-8s %s\n", indent, r[i].contribution, r[i].filter,
               r[i].text);
}

struct explained {
    int found;
};

static int
explain_row(void *ctx, const struct store_scored *s)
{
    struct explained *e = ctx;
    e->found = 1;
    printf("item %lld: %s\n", s->item_id, s->title);
    printf("from: %s\n", s->feed_title ? s->feed_title : s->feed_url);
    if (s->link)
        printf("link: %s\n", s->link);
    if (s->excluded_by)
        printf("excluded by %s (score %.2f)\n", s->excluded_by, s->score);
    else
        printf("score: %.2f\n", s->score);
    print_reasons(s->reasons, "  ");
    return 0;
}

struct probe {
    long long feed_id;
    int gem;
};

static int
probe_row(void *ctx, const struct store_scoring_item *s)
{
    struct probe *p = ctx;
    p->feed_id = s->feed_id;
    p->gem = s->gem_editor != NULL;
    return 0;
}

struct sub_probe {
    long long user_id, feed_id;
    int found;
};

static int
sub_row(void *ctx, long long user_id, long long feed_id)
{
    struct sub_probe *p = ctx;
    if (user_id == p->user_id && feed_id == p->feed_id)
        p->found = 1;
    return 0;
}

int
cmd_explain(struct cli *c, int argc, char **argv)
{
    long long user_id, item_id = parse_id(argv[1]);
    struct explained e = { 0 };
    (void)argc;
    if (item_id < 0)
        return fail("'%s' is not an item ID", argv[1]);
    if (find_user(c, argv[0], &user_id))
        return 1;
    int rc = store_score_get(c->st, user_id, item_id, explain_row, &e);
    if (rc == CUR_OK)
        return 0;
    if (rc != CUR_ENOTFOUND)
        return fail("cannot read the score: %s", cur_strerror(rc));
    /* No score: say why, as far as the store can tell. */
    struct probe p = { 0 };
    rc = store_scoring_item(c->st, item_id, (long long)time(NULL), probe_row,
                            &p);
    if (rc == CUR_ENOTFOUND)
        return fail("no item with ID %lld (see 'curator items')", item_id);
    if (rc != CUR_OK)
        return fail("cannot read item %lld: %s", item_id, cur_strerror(rc));
    struct sub_probe sp = { user_id, p.feed_id, 0 };
    store_subscriptions_all(c->st, sub_row, &sp);
    if (!sp.found && !p.gem)
        printf("item %lld has no score for %s: %s is not subscribed to its "
               "feed (%lld) and it is not a gem\n", item_id, argv[0],
               argv[0], p.feed_id);
    else
        printf("item %lld has no score for %s: none of the filters found "
               "anything of %s's interests in it (or it is older than the "
               "scoring window)\n", item_id, argv[0], argv[0]);
    return 0;
}

/* Ranked rows, folded: a near-copy joins the best of its group. */
struct ranked {
    long long item_id, group;
    double score;
    char *title, *link, *feed, *reasons, *excluded_by;
    char *also;             /* "Feed A, Feed B" of folded copies */
};

struct ranking {
    struct ranked *r;
    size_t n, cap;
    int oom;
};

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int
rank_row(void *ctx, const struct store_scored *s)
{
    struct ranking *k = ctx;
    long long group = s->dup_of ? s->dup_of : s->item_id;
    const char *feed = s->feed_title ? s->feed_title : s->feed_url;

    /* Rows come best first: a later copy folds into the earlier one. */
    for (size_t i = 0; i < k->n; i++) {
        struct ranked *r = &k->r[i];
        if (r->group != group)
            continue;
        size_t old = r->also ? strlen(r->also) : 0;
        char *also = realloc(r->also, old + strlen(feed) + 3);
        if (also == NULL)
            return k->oom = CUR_ENOMEM;
        sprintf(also + old, "%s%s", old ? ", " : "", feed);
        r->also = also;
        return 0;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 32;
        struct ranked *nr = realloc(k->r, cap * sizeof *nr);
        if (nr == NULL)
            return k->oom = CUR_ENOMEM;
        k->r = nr;
        k->cap = cap;
    }
    struct ranked *r = &k->r[k->n++];
    memset(r, 0, sizeof *r);
    r->item_id = s->item_id;
    r->group = group;
    r->score = s->score;
    r->title = strdup(s->title);
    r->link = dup_or_null(s->link);
    r->feed = strdup(feed);
    r->reasons = strdup(s->reasons);
    r->excluded_by = dup_or_null(s->excluded_by);
    if (r->title == NULL || r->feed == NULL || r->reasons == NULL)
        return k->oom = CUR_ENOMEM;
    return 0;
}

static void
ranking_free(struct ranking *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->r[i].title);
        free(k->r[i].link);
        free(k->r[i].feed);
        free(k->r[i].reasons);
        free(k->r[i].excluded_by);
        free(k->r[i].also);
    }
    free(k->r);
}

static json_t *
ranked_json(const struct ranked *r)
{
    struct score_reason rs[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(r->reasons, rs, SCORE_MAX_REASONS);
    json_t *reasons = json_array();
    json_t *o = json_object();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(reasons, json_pack(
            "{s:s, s:f, s:s}", "filter", rs[i].filter, "contribution",
            round(rs[i].contribution * 1e4) / 1e4, "text", rs[i].text));
    json_object_set_new(o, "item_id", json_integer(r->item_id));
    json_object_set_new(o, "title", json_string(r->title));
    json_object_set_new(o, "url", r->link ? json_string(r->link)
                                          : json_null());
    json_object_set_new(o, "feed", json_string(r->feed));
    json_object_set_new(o, "score", json_real(round(r->score * 1e4) / 1e4));
    json_object_set_new(o, "reasons", reasons);
    if (r->excluded_by)
        json_object_set_new(o, "excluded_by", json_string(r->excluded_by));
    if (r->also)
        json_object_set_new(o, "also_in", json_string(r->also));
    return o;
}

int
cmd_top(struct cli *c, int argc, char **argv)
{
    long long user_id, limit = 20;
    long since = c->cfg->score_window;
    int json = 0, why_not = 0;
    struct ranking k = { 0 };

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--why-not") == 0) {
            why_not = 1;
        } else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
            if (config_parse_duration(argv[++i], &since) != CUR_OK
                || since <= 0)
                return fail("--since: '%s' is not a duration (like 2d, 12h)",
                            argv[i]);
        } else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            limit = parse_id(argv[++i]);
            if (limit < 1 || limit > TOP_MAX)
                return fail("--limit: a number from 1 to %d, not '%s'",
                            TOP_MAX, argv[i]);
        } else {
            return -2;
        }
    }
    if (find_user(c, argv[0], &user_id))
        return 1;
    /* Fetch more than asked: folded copies do not count. */
    int rc = store_score_top(c->st, user_id, (long long)time(NULL) - since,
                             why_not, (int)(limit * 3), rank_row, &k);
    if (rc == CUR_OK && k.oom)
        rc = k.oom;
    if (rc != CUR_OK) {
        ranking_free(&k);
        return fail("cannot read scores: %s", cur_strerror(rc));
    }
    size_t shown = k.n < (size_t)limit ? k.n : (size_t)limit;
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < shown; i++)
            json_array_append_new(arr, ranked_json(&k.r[i]));
        char *out = json_dumps(arr, JSON_INDENT(2));
        json_decref(arr);
        if (out == NULL) {
            ranking_free(&k);
            return fail("out of memory");
        }
        printf("%s\n", out);
        free(out);
    } else if (shown == 0) {
        printf("%s: no %s items in the last %ld hours\n", argv[0],
               why_not ? "excluded" : "scored", since / 3600);
    } else {
        for (size_t i = 0; i < shown; i++) {
            const struct ranked *r = &k.r[i];
            printf("%2zu. %6.2f  [%lld] %s\n", i + 1, r->score, r->item_id,
                   r->title);
            printf("              %s%s%s\n", r->feed,
                   r->excluded_by ? " - excluded by " : "",
                   r->excluded_by ? r->excluded_by : "");
            if (r->also)
                printf("              also in: %s\n", r->also);
            print_reasons(r->reasons, "              ");
        }
    }
    ranking_free(&k);
    return 0;
}

int
cmd_user_role(struct cli *c, int argc, char **argv)
{
    long long user_id;
    (void)argc;
    if (find_user(c, argv[0], &user_id))
        return 1;
    int rc = store_user_set_role(c->st, user_id, argv[1]);
    if (rc == CUR_EINVAL)
        return fail("role must be subscriber, editor or admin, not '%s'",
                    argv[1]);
    if (rc != CUR_OK)
        return fail("cannot set the role of %s: %s", argv[0],
                    cur_strerror(rc));
    printf("%s is now %s %s\n", argv[0],
           argv[1][0] == 'a' || argv[1][0] == 'e' ? "an" : "a", argv[1]);
    return 0;
}
