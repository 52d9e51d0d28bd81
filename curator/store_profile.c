/* The store's side of profiles, feedback and gems: goals, interests under
 * goals, mutes, source weights, each user's profile revision, feedback
 * verdicts and editors' gems. A loaded profile also carries the names of
 * the user's teams (gems may name a team as their audience). Every change
 * to what scores depend on bumps the user's profile revision in the same
 * statement batch, so whoever caches profiles (the daemon's scorer) can
 * tell what to reload.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sql[SX_N] = {
    [SX_GOAL_ADD] = "INSERT INTO goals (user_id, name, created)"
                    " VALUES (?, ?, ?)",
    [SX_GOAL_FIND] = "SELECT id FROM goals WHERE user_id = ? AND name = ?",
    [SX_GOAL_LIST] = "SELECT name FROM goals WHERE user_id = ? ORDER BY id",
    [SX_INTEREST_PUT] = "INSERT INTO interests (user_id, term, weight,"
                        " goal_id, is_phrase) VALUES (?1, ?2, ?3, ?4, ?5)"
                        " ON CONFLICT (user_id, term) DO UPDATE SET"
                        " weight = excluded.weight,"
                        " goal_id = coalesce(excluded.goal_id, goal_id),"
                        " is_phrase = excluded.is_phrase",
    [SX_PROFILE_INTERESTS] = "SELECT i.term, i.weight, g.name, i.is_phrase"
                             " FROM interests i LEFT JOIN goals g"
                             " ON g.id = i.goal_id WHERE i.user_id = ?"
                             " ORDER BY i.id",
    [SX_MUTE_TERM] = "INSERT INTO mutes (user_id, term, created)"
                     " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    [SX_MUTE_FEED] = "INSERT INTO mutes (user_id, feed_id, created)"
                     " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    [SX_MUTE_LIST] = "SELECT term, feed_id FROM mutes WHERE user_id = ?"
                     " ORDER BY id",
    [SX_SOURCE_PUT] = "INSERT INTO source_weights (user_id, feed_id, weight)"
                      " VALUES (?, ?, ?) ON CONFLICT DO UPDATE"
                      " SET weight = excluded.weight",
    [SX_SOURCE_LIST] = "SELECT feed_id, weight FROM source_weights"
                       " WHERE user_id = ? ORDER BY feed_id",
    [SX_PROFILE_TEAMS] = "SELECT t.name FROM team_members m"
                         " JOIN teams t ON t.id = m.team_id"
                         " WHERE m.user_id = ? ORDER BY t.id",
    [SX_USER_REVS] = "SELECT u.id, u.profile_rev, u.scored_rev,"
                     " (SELECT count(*) FROM interests i"
                     "  WHERE i.user_id = u.id),"
                     " (SELECT count(*) FROM goals g WHERE g.user_id = u.id)"
                     " FROM users u ORDER BY u.id",
    [SX_USER_SCORED] = "UPDATE users SET scored_rev = ? WHERE id = ?",
    [SX_USER_GET] = "SELECT name, profile_rev FROM users WHERE id = ?",
    [SX_USER_ROLE] = "SELECT role FROM users WHERE id = ?",
    [SX_FEEDBACK_PUT] = "INSERT INTO feedback (user_id, item_id, verdict,"
                        " created) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (user_id, item_id) DO UPDATE SET"
                        " verdict = excluded.verdict,"
                        " created = excluded.created",
    [SX_FEEDBACK_LIST] = "SELECT id, user_id, item_id, verdict FROM feedback"
                         " WHERE id > ? ORDER BY id",
    [SX_GEM_PUT] = "INSERT INTO gems (item_id, editor_id, note, tags,"
                   " audience, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT (item_id) DO UPDATE SET"
                   " editor_id = excluded.editor_id, note = excluded.note,"
                   " tags = excluded.tags, audience = excluded.audience,"
                   " created = excluded.created, expires = excluded.expires",
};

static sqlite3_stmt *
prep(struct store *st, enum store_xstmt id)
{
    return store_xstmt(st, id, sql[id]);
}

int
store_goal_add(struct store *st, long long user_id, const char *name,
               long long *id)
{
    if (name == NULL || name[0] == '\0')
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_GOAL_ADD);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, name);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    int rc = store_profile_change(st, s, user_id, "goal add", 0);
    if ((rc == CUR_OK || rc == CUR_EEXIST) && id != NULL) {
        int rc2 = store_goal_find(st, user_id, name, id);
        if (rc2 != CUR_OK)
            return rc2;
    }
    return rc;
}

int
store_goal_find(struct store *st, long long user_id, const char *name,
                long long *id)
{
    sqlite3_stmt *s = prep(st, SX_GOAL_FIND);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, name);
    return store_query_int(st, s, id, "goal find");
}

int
store_interest_put(struct store *st, long long user_id, const char *term,
                   double weight, long long goal_id, int is_phrase)
{
    if (term == NULL || term[0] == '\0' || !isfinite(weight))
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_INTEREST_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, term);
    sqlite3_bind_double(s, 3, weight);
    if (goal_id > 0)
        sqlite3_bind_int64(s, 4, goal_id);
    else
        sqlite3_bind_null(s, 4);
    sqlite3_bind_int(s, 5, is_phrase != 0);
    return store_profile_change(st, s, user_id, "interest put", 0);
}

int
store_mute_term(struct store *st, long long user_id, const char *term)
{
    if (term == NULL || term[0] == '\0')
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_MUTE_TERM);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    store_bind_text(s, 2, term);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    return store_profile_change(st, s, user_id, "mute term", 0);
}

int
store_mute_feed(struct store *st, long long user_id, long long feed_id)
{
    sqlite3_stmt *s = prep(st, SX_MUTE_FEED);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, feed_id);
    sqlite3_bind_int64(s, 3, (long long)time(NULL));
    return store_profile_change(st, s, user_id, "mute feed", 0);
}

int
store_source_weight(struct store *st, long long user_id, long long feed_id,
                    double weight)
{
    if (!isfinite(weight) || weight < 0 || weight > 10)
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_SOURCE_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, feed_id);
    sqlite3_bind_double(s, 3, weight);
    return store_profile_change(st, s, user_id, "source weight", 0);
}

/* Loading a profile: rows are gathered into growable arrays first, then
 * packed into one strings block and one arrays block so the result is
 * three allocations, whatever its size. */
struct grow {
    char *s;            /* strings, offsets recorded below */
    size_t len, cap;
};

static long
grow_str(struct grow *g, const char *v)
{
    size_t n = strlen(v) + 1;
    if (g->len + n > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        while (cap < g->len + n)
            cap *= 2;
        char *p = realloc(g->s, cap);
        if (p == NULL)
            return -1;
        g->s = p;
        g->cap = cap;
    }
    memcpy(g->s + g->len, v, n);
    g->len += n;
    return (long)(g->len - n);
}

struct raw_interest {
    long term, goal;    /* offsets; goal -1 for none */
    double weight;
    int is_phrase;
};

struct loading {
    struct grow g;
    long name;
    long *goals; size_t n_goals;
    struct raw_interest *ints; size_t n_ints;
    long *mutes; size_t n_mutes;
    long long *mfeeds; size_t n_mfeeds;
    struct curator_source_weight *srcs; size_t n_srcs;
    long *teams; size_t n_teams;
    int oom;
};

/* Append one element to a growable array of 'size'-byte elements. */
static void *
push(void **arr, size_t *n, size_t size)
{
    /* Powers of two: grow when n is one. */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 4;
        void *p = realloc(*arr, cap * size);
        if (p == NULL)
            return NULL;
        *arr = p;
    }
    return (char *)*arr + (*n)++ * size;
}

static int
goal_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct loading *l = ctx;
    long *slot;
    (void)cb;
    if ((slot = push((void **)&l->goals, &l->n_goals, sizeof *slot)) == NULL
        || (*slot = grow_str(&l->g, (const char *)sqlite3_column_text(s, 0)))
           < 0)
        return l->oom = CUR_ENOMEM;
    return 0;
}

static int
team_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct loading *l = ctx;
    long *slot;
    (void)cb;
    if ((slot = push((void **)&l->teams, &l->n_teams, sizeof *slot)) == NULL
        || (*slot = grow_str(&l->g, (const char *)sqlite3_column_text(s, 0)))
           < 0)
        return l->oom = CUR_ENOMEM;
    return 0;
}

static int
interest_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct loading *l = ctx;
    struct raw_interest *in;
    (void)cb;
    if ((in = push((void **)&l->ints, &l->n_ints, sizeof *in)) == NULL)
        return l->oom = CUR_ENOMEM;
    in->term = grow_str(&l->g, (const char *)sqlite3_column_text(s, 0));
    in->weight = sqlite3_column_double(s, 1);
    in->goal = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1
               : grow_str(&l->g, (const char *)sqlite3_column_text(s, 2));
    in->is_phrase = sqlite3_column_int(s, 3);
    if (in->term < 0 || (in->goal < 0 && sqlite3_column_type(s, 2)
                                         != SQLITE_NULL))
        return l->oom = CUR_ENOMEM;
    return 0;
}

static int
mute_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct loading *l = ctx;
    (void)cb;
    if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
        long *slot = push((void **)&l->mutes, &l->n_mutes, sizeof *slot);
        if (slot == NULL || (*slot = grow_str(&l->g, (const char *)
                                              sqlite3_column_text(s, 0)))
                            < 0)
            return l->oom = CUR_ENOMEM;
    } else {
        long long *f = push((void **)&l->mfeeds, &l->n_mfeeds, sizeof *f);
        if (f == NULL)
            return l->oom = CUR_ENOMEM;
        *f = sqlite3_column_int64(s, 1);
    }
    return 0;
}

static int
source_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct loading *l = ctx;
    struct curator_source_weight *w;
    (void)cb;
    if ((w = push((void **)&l->srcs, &l->n_srcs, sizeof *w)) == NULL)
        return l->oom = CUR_ENOMEM;
    w->feed_id = sqlite3_column_int64(s, 0);
    w->weight = sqlite3_column_double(s, 1);
    return 0;
}

static int
rows(struct store *st, enum store_xstmt id, long long user_id,
     int (*row)(sqlite3_stmt *, void *, void *), struct loading *l)
{
    sqlite3_stmt *s = prep(st, id);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    return store_each_row(st, s, "profile load", row, NULL, l);
}

/* Pack what was loaded into one block of arrays pointing into the
 * strings block. */
static int
pack(struct loading *l, struct store_profile *p)
{
    struct curator_profile *v = &p->view;
    size_t goals = l->n_goals * sizeof(char *);
    size_t ints = l->n_ints * sizeof(struct curator_interest);
    size_t mutes = l->n_mutes * sizeof(char *);
    size_t mfeeds = l->n_mfeeds * sizeof(long long);
    size_t srcs = l->n_srcs * sizeof(struct curator_source_weight);
    size_t teams = l->n_teams * sizeof(char *);
    char *a = malloc(goals + ints + mutes + mfeeds + srcs + teams + 1);

    if (a == NULL)
        return CUR_ENOMEM;
    p->arrays = a;
    p->strings = l->g.s;
    l->g.s = NULL;

    const char **gv = (const char **)a;
    for (size_t i = 0; i < l->n_goals; i++)
        gv[i] = p->strings + l->goals[i];
    struct curator_interest *iv = (struct curator_interest *)(a + goals);
    for (size_t i = 0; i < l->n_ints; i++) {
        iv[i].term = p->strings + l->ints[i].term;
        iv[i].weight = l->ints[i].weight;
        iv[i].goal = l->ints[i].goal < 0 ? NULL
                     : p->strings + l->ints[i].goal;
        iv[i].is_phrase = l->ints[i].is_phrase;
    }
    const char **mv = (const char **)(a + goals + ints);
    for (size_t i = 0; i < l->n_mutes; i++)
        mv[i] = p->strings + l->mutes[i];
    long long *fv = (long long *)(a + goals + ints + mutes);
    if (mfeeds)
        memcpy(fv, l->mfeeds, mfeeds);
    struct curator_source_weight *sv =
        (struct curator_source_weight *)(a + goals + ints + mutes + mfeeds);
    if (srcs)
        memcpy(sv, l->srcs, srcs);
    /* Pointers after the 8-byte elements: still aligned. */
    const char **tv = (const char **)(a + goals + ints + mutes + mfeeds
                                      + srcs);
    for (size_t i = 0; i < l->n_teams; i++)
        tv[i] = p->strings + l->teams[i];

    v->size = sizeof *v;
    v->name = p->strings + l->name;
    v->goals = gv;
    v->n_goals = l->n_goals;
    v->interests = iv;
    v->n_interests = l->n_ints;
    v->mutes = mv;
    v->n_mutes = l->n_mutes;
    v->muted_feeds = fv;
    v->n_muted_feeds = l->n_mfeeds;
    v->sources = sv;
    v->n_sources = l->n_srcs;
    v->teams = tv;
    v->n_teams = l->n_teams;
    return CUR_OK;
}

int
store_profile_load(struct store *st, long long user_id,
                   struct store_profile **out)
{
    struct loading l = {0};
    struct store_profile *p = calloc(1, sizeof *p);
    sqlite3_stmt *s;
    int rc = CUR_ENOMEM;

    *out = NULL;
    if (p == NULL)
        return CUR_ENOMEM;
    p->view.user_id = user_id;
    if ((s = prep(st, SX_USER_GET)) == NULL) {
        rc = CUR_ESTORE;
        goto done;
    }
    sqlite3_bind_int64(s, 1, user_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        l.name = grow_str(&l.g, (const char *)sqlite3_column_text(s, 0));
        p->rev = sqlite3_column_int64(s, 1);
        rc = l.name < 0 ? CUR_ENOMEM : CUR_OK;
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "profile load");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == CUR_OK)
        rc = rows(st, SX_GOAL_LIST, user_id, goal_row, &l);
    if (rc == CUR_OK)
        rc = rows(st, SX_PROFILE_INTERESTS, user_id, interest_row, &l);
    if (rc == CUR_OK)
        rc = rows(st, SX_MUTE_LIST, user_id, mute_row, &l);
    if (rc == CUR_OK)
        rc = rows(st, SX_SOURCE_LIST, user_id, source_row, &l);
    if (rc == CUR_OK)
        rc = rows(st, SX_PROFILE_TEAMS, user_id, team_row, &l);
    if (rc == CUR_OK)
        rc = pack(&l, p);
done:
    free(l.g.s);
    free(l.goals);
    free(l.ints);
    free(l.mutes);
    free(l.mfeeds);
    free(l.srcs);
    free(l.teams);
    if (rc != CUR_OK) {
        store_profile_free(p);
        return rc;
    }
    *out = p;
    return CUR_OK;
}

void
store_profile_free(struct store_profile *p)
{
    if (p == NULL)
        return;
    free(p->strings);
    free(p->arrays);
    free(p);
}

static int
rev_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_user_rev r = {
        .user_id = sqlite3_column_int64(s, 0),
        .profile_rev = sqlite3_column_int64(s, 1),
        .scored_rev = sqlite3_column_int64(s, 2),
        .n_interests = sqlite3_column_int(s, 3),
        .n_goals = sqlite3_column_int(s, 4),
    };
    return ((store_user_rev_cb)cb)(ctx, &r);
}

int
store_user_revs(struct store *st, store_user_rev_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_USER_REVS);
    if (s == NULL)
        return CUR_ESTORE;
    return store_each_row(st, s, "user revisions", rev_row, (void *)cb,
                          ctx);
}

int
store_user_scored(struct store *st, long long user_id, long long rev)
{
    sqlite3_stmt *s = prep(st, SX_USER_SCORED);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, rev);
    sqlite3_bind_int64(s, 2, user_id);
    return store_step_done(st, s, "user scored");
}

int
store_user_role(struct store *st, long long user_id, const char **role)
{
    static const char *const roles[] = { "subscriber", "editor", "admin" };
    sqlite3_stmt *s = prep(st, SX_USER_ROLE);
    int rc;

    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        rc = CUR_ENOTFOUND;
        for (size_t i = 0; i < 3 && r; i++)
            if (strcmp(r, roles[i]) == 0) {
                *role = roles[i];
                rc = CUR_OK;
            }
    } else {
        rc = rc == SQLITE_DONE ? CUR_ENOTFOUND
                               : store_db_error(st, "user role");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

int
store_user_set_role(struct store *st, long long user_id, const char *role)
{
    sqlite3_stmt *s;
    int rc;

    if (role == NULL || (strcmp(role, "subscriber") != 0
                         && strcmp(role, "editor") != 0
                         && strcmp(role, "admin") != 0))
        return CUR_EINVAL;
    /* Rare: not worth a persistent statement. */
    if (sqlite3_prepare_v2(st->db, "UPDATE users SET role = ? WHERE id = ?",
                           -1, &s, NULL) != SQLITE_OK)
        return store_db_error(st, "user role");
    store_bind_text(s, 1, role);
    sqlite3_bind_int64(s, 2, user_id);
    rc = store_step_changed(st, s, "user role");
    sqlite3_finalize(s);
    return rc;
}

int
store_feedback_put(struct store *st, long long user_id, long long item_id,
                   int verdict)
{
    if (verdict != 1 && verdict != -1)
        return CUR_EINVAL;
    sqlite3_stmt *s = prep(st, SX_FEEDBACK_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, item_id);
    sqlite3_bind_int(s, 3, verdict);
    sqlite3_bind_int64(s, 4, (long long)time(NULL));
    return store_profile_change(st, s, user_id, "feedback", 0);
}

static int
feedback_row(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_feedback f = {
        .id = sqlite3_column_int64(s, 0),
        .user_id = sqlite3_column_int64(s, 1),
        .item_id = sqlite3_column_int64(s, 2),
        .verdict = sqlite3_column_int(s, 3),
    };
    return ((store_feedback_cb)cb)(ctx, &f);
}

int
store_feedback_list(struct store *st, long long after_id,
                    store_feedback_cb cb, void *ctx)
{
    sqlite3_stmt *s = prep(st, SX_FEEDBACK_LIST);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, after_id);
    return store_each_row(st, s, "feedback list", feedback_row, (void *)cb,
                          ctx);
}

int
store_gem_put(struct store *st, long long item_id, long long editor_id,
              const char *note, const char *tags, const char *audience,
              long long expires)
{
    sqlite3_stmt *s = prep(st, SX_GEM_PUT);
    if (s == NULL)
        return CUR_ESTORE;
    sqlite3_bind_int64(s, 1, item_id);
    sqlite3_bind_int64(s, 2, editor_id);
    store_bind_text(s, 3, note ? note : "");
    store_bind_text(s, 4, tags ? tags : "");
    store_bind_text(s, 5, audience ? audience : "");
    sqlite3_bind_int64(s, 6, (long long)time(NULL));
    sqlite3_bind_int64(s, 7, expires);
    return store_step_done(st, s, "gem put");
}
