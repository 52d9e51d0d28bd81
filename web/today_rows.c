/* The Today grouping shared by the page and the JSON API: keys read from
 * each ranked row, and the sections they fall into (today_rows.h). No
 * allocation per row: the keys and the caller's rows grow by doubling,
 * and the strings go into the one arena.
 */
#include "today_rows.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

void
today_rows_init(struct today_rows *t, size_t size)
{
    memset(t, 0, sizeof *t);
    buf_init(&t->arena, 0);
    t->size = size;
}

void
today_rows_free(struct today_rows *t)
{
    buf_free(&t->arena);
    free(t->keys);
    free(t->rows);
    t->keys = NULL;
    t->rows = NULL;
    t->n = t->cap = 0;
}

size_t
today_rows_keep(struct today_rows *t, const char *s)
{
    if (s == NULL)
        return TODAY_NONE;
    size_t at = t->arena.len;
    if (buf_append(&t->arena, s, strlen(s) + 1) != CUR_OK) {
        t->rc = CUR_ENOMEM;
        return TODAY_NONE;
    }
    return at;
}

/* The first 'n' bytes of 's', NUL-ended, as today_rows_keep(). */
static size_t
keep_n(struct today_rows *t, const char *s, size_t n)
{
    size_t at = t->arena.len;
    if (buf_append(&t->arena, s, n) != CUR_OK
        || buf_append(&t->arena, "", 1) != CUR_OK) {
        t->rc = CUR_ENOMEM;
        return TODAY_NONE;
    }
    return at;
}

void *
today_rows_add(struct today_rows *t, const struct store_ranked *s)
{
    struct today_key *k;
    char *row;

    if (t->rc != CUR_OK)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct today_key *v = realloc(t->keys, cap * sizeof *v);
        if (v != NULL)
            t->keys = v;
        void *w = v ? realloc(t->rows, cap * t->size) : NULL;
        if (w == NULL) {
            t->rc = CUR_ENOMEM;
            return NULL;
        }
        t->rows = w;
        t->cap = cap;
    }
    k = &t->keys[t->n];
    row = (char *)t->rows + t->n * t->size;
    memset(row, 0, t->size);
    k->group = s->dup_of ? s->dup_of : s->item_id;
    k->goal = TODAY_NONE;
    k->section = TODAY_NONE;
    k->gem = 0;
    k->folded = 0;
    /* A gem for this user (the gems filter, which weighs the gem's tags
     * and audience, counted it for them), and the goal the first
     * keyword reason names, as the digest decides. A live gem meant for
     * others is an ordinary item here. */
    for (const char *p = s->reasons; p && *p;) {
        const char *eol = strchr(p, '\n');
        const char *end = eol ? eol : p + strlen(p);
        if (strncmp(p, "gems\t", 5) == 0 && strtod(p + 5, NULL) > 0)
            k->gem = 1;
        const char *g = strstr(p, "(goal: ");
        if (k->goal == TODAY_NONE && g != NULL && g < end) {
            const char *e = memchr(g + 7, ')', (size_t)(end - g - 7));
            if (e != NULL && e > g + 7)
                k->goal = keep_n(t, g + 7, (size_t)(e - g - 7));
        }
        p = eol ? eol + 1 : NULL;
    }
    /* A near-copy folds into the better row already kept. */
    for (size_t i = 0; i < t->n; i++)
        if (t->keys[i].group == k->group && !t->keys[i].folded) {
            k->folded = 1;
            break;
        }
    if (t->rc != CUR_OK)
        return NULL;
    t->n++;
    return row;
}

/* The section of goal 'g' (NULL: none), the rest when it has none. */
static size_t
goal_section(const struct today_rows *t, const char *g)
{
    for (size_t s = 0; g != NULL && s < t->n_goals; s++)
        if (strcmp(today_rows_str(t, t->goals[s]), g) == 0)
            return s + 1;
    return t->n_goals + 1;
}

size_t
today_rows_sections(struct today_rows *t)
{
    t->n_goals = 0;
    t->shown = 0;
    /* The goals in the order their best row comes. */
    for (size_t i = 0; i < t->n; i++) {
        const struct today_key *k = &t->keys[i];
        if (k->folded || k->gem || k->goal == TODAY_NONE)
            continue;
        if (t->n_goals < TODAY_MAX_GOALS
            && goal_section(t, today_rows_str(t, k->goal)) > t->n_goals)
            t->goals[t->n_goals++] = k->goal;
    }
    for (size_t i = 0; i < t->n; i++) {
        struct today_key *k = &t->keys[i];
        if (k->folded) {
            k->section = TODAY_NONE;
            continue;
        }
        t->shown++;
        k->section = k->gem ? 0 : goal_section(t, today_rows_str(t,
                                                                 k->goal));
    }
    return t->n_goals + 2;
}

const char *
today_rows_section(const struct today_rows *t, size_t s,
                   const char **heading, const char **goal)
{
    *goal = NULL;
    if (s == 0) {
        *heading = "Editor picks";
        return "gems";
    }
    if (s <= t->n_goals) {
        *heading = "Goal: ";
        *goal = today_rows_str(t, t->goals[s - 1]);
        return "goal";
    }
    *heading = t->n_goals ? "More for you" : "For you";
    return "rest";
}

size_t
today_rows_also(const struct today_rows *t, size_t i, size_t j)
{
    for (j++; j < t->n; j++)
        if (t->keys[j].group == t->keys[i].group && t->keys[j].folded)
            return j;
    return t->n;
}
