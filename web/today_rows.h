/* The Today grouping, shared by the page (pages_today.c) and the JSON
 * API (api.c) so that both group as the digest does: the user's ranked
 * rows, in the store's order, each read for its group (a near-copy
 * folds into the better row before it), whether the gems filter counted
 * a gem for the user (a "gems\t" reason with a positive contribution),
 * and the goal the first reason naming one gives ("... (goal: NAME)").
 * Then the sections: editors' gems first, one per goal in the order its
 * best row comes (at most TODAY_MAX_GOALS; rows of further goals go to
 * the rest), then the rest. What each caller shows of a row, and how, is
 * its own business: it gets a row of its own beside each key (a struct
 * of the size it gave), and may keep its strings in the arena.
 */
#ifndef CURATOR_WEB_TODAY_ROWS_H
#define CURATOR_WEB_TODAY_ROWS_H

#include <stddef.h>

#include "buf.h"
#include "store.h"

#define TODAY_MAX_GOALS 16
#define TODAY_NONE ((size_t)-1)    /* no string; a folded row's section */

struct today_key {
    long long group;        /* the item, or the item it is a copy of */
    size_t goal;            /* the goal's name in the arena, or NONE */
    size_t section;         /* after today_rows_sections(); NONE when
                               folded */
    int gem;                /* a gem for this user */
    int folded;             /* a near-copy of a row before it */
};

struct today_rows {
    struct buf arena;       /* NUL-ended strings, addressed by offset */
    struct today_key *keys;
    void *rows;             /* the caller's, indexed as keys */
    size_t size;            /* of one of the caller's rows */
    size_t n, cap;
    int rc;                 /* CUR_ENOMEM once an append failed */
    /* After today_rows_sections(): */
    size_t goals[TODAY_MAX_GOALS];  /* the goal sections' names */
    size_t n_goals;
    size_t shown;           /* rows not folded */
};

/* An empty list whose caller's rows are 'size' bytes each;
 * today_rows_free() releases it (what the caller's rows point to is the
 * caller's to free first). */
void today_rows_init(struct today_rows *t, size_t size);
void today_rows_free(struct today_rows *t);

/* Add row 's' (borrowed): its key as keys[t->n - 1], and the caller's
 * row beside it, zeroed, returned for the caller to fill. NULL when
 * memory ran out (t->rc is CUR_ENOMEM and the row is not added). */
void *today_rows_add(struct today_rows *t, const struct store_ranked *s);

/* Copy 's' into the arena: its offset, or TODAY_NONE when 's' is NULL
 * or memory ran out (then t->rc is CUR_ENOMEM). */
size_t today_rows_keep(struct today_rows *t, const char *s);

/* The string at offset 'at' (valid until the next append), or NULL for
 * TODAY_NONE. */
static inline const char *
today_rows_str(const struct today_rows *t, size_t at)
{
    return at == TODAY_NONE ? NULL : t->arena.data + at;
}

/* Once every row is added: give each row its section (0: gems, 1 to
 * n_goals: goals[section - 1], n_goals + 1: the rest); returns how many
 * sections there are, n_goals + 2. */
size_t today_rows_sections(struct today_rows *t);

/* Section 's': its kind ("gems", "goal" or "rest") and heading (the
 * goal's is "Goal: " followed by the name in *goal, NULL for the
 * others). */
const char *today_rows_section(const struct today_rows *t, size_t s,
                               const char **heading, const char **goal);

/* The next row after 'j' folded into row 'i' (start with j = i), or
 * t->n when there is none. */
size_t today_rows_also(const struct today_rows *t, size_t i, size_t j);

#endif
