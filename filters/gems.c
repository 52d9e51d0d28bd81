/* gems: boosts an editor's gem for the users whose goals or interests it
 * meets, and shows the editor's note as the reason.
 *
 * A gem matches a user when one of its tags equals one of the user's
 * goals or interests (weight > 0) after normalisation: ASCII lowercase,
 * '-', '_' and white space all one separator (runs folded, ends
 * trimmed), and one trailing 's' of each word dropped, so "One-on-ones"
 * is "one on one". A gem naming an audience matches only users in it:
 * an entry is a goal name, matching users having that goal, or
 * "team:NAME" (the prefix in any case), matching the members of that
 * team; team names are compared normalised like goals. Profile views
 * older than ABI 1.1 carry no teams: such users are in no team. Tags
 * choose whom a gem fits; the audience only narrows that down. A match
 * scores boost (option, default 5), plus audience_bonus (option, default
 * 1) when the gem named an audience; anything else gets no opinion. The
 * reason reads 'editor pick by alice: "NOTE" (matches your goal
 * Leadership)', with the note cleaned of control characters and cut to
 * 120 bytes on a character boundary with "…".
 *
 * set_profile() keeps each user's normalised goals, teams and interests,
 * and an index from each goal and interest to the users who hold it, so
 * add_item() names the users a gem fits by looking up its tags, whatever
 * the number of users. Who may see the item is the host's business.
 * score() reads the profile view it is given.
 */
#include "filter.h"
#include "hashmap.h"
#include "options.h"
#include "utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GEMS_MAX_OPTION 1000.0
#define GEMS_NOTE_MAX 120       /* bytes of note shown, "…" included */
#define GEMS_EDITOR_MAX 32      /* bytes of editor name shown */
#define GEMS_TERM_MAX 48        /* bytes of goal or interest shown */
#define GEMS_REASON_MAX 199     /* what curator_explain_add() keeps */

#define ELLIPSIS "\xe2\x80\xa6"

/* One user as add_item() needs it. */
struct guser {
    struct hm_id node;          /* first: id is the user id */
    char **goals;               /* normalised, non-empty */
    size_t n_goals;
    char **teams;               /* normalised, non-empty */
    size_t n_teams;
    char **keys;                /* goals and interests > 0, unique */
    size_t n_keys;
    unsigned long long seen;    /* the add_item() pass that named it */
};

/* The users holding one normalised goal or interest. */
struct term {
    struct hm_node node;        /* first: hash of key */
    char *key;
    struct guser **users;
    size_t n, cap;
};

struct gems {
    double boost;
    double audience_bonus;
    struct hm_table users;
    struct hm_table terms;
    unsigned long long pass;
};

/* ---- Hashing. ---- */

static size_t
hash_str(const char *s)
{
    return (size_t)hm_fnv_str(HM_FNV_OFFSET, s);
}

static int
term_eq(const struct hm_node *n, const void *key)
{
    return strcmp(((const struct term *)n)->key, key) == 0;
}

/* ---- Normalisation. ---- */

static int
is_sep(unsigned c)
{
    return c == ' ' || c == '-' || c == '_' || (c >= '\t' && c <= '\r');
}

/* Reads a string normalised, one byte at a time. */
struct norm {
    const unsigned char *p;
    size_t word;                /* bytes given of the current word */
};

static void
norm_start(struct norm *n, const char *s)
{
    n->p = (const unsigned char *)(s ? s : "");
    n->word = 0;
}

/* The next byte of the normalised string, or -1 at its end. */
static int
norm_next(struct norm *n)
{
    for (;;) {
        unsigned c = *n->p;

        if (c == '\0')
            return -1;
        if (is_sep(c)) {
            while (is_sep(*n->p))
                n->p++;
            /* Separators before the first word or after the last one
             * count for nothing. */
            if (*n->p == '\0' || n->word == 0)
                continue;
            n->word = 0;
            return ' ';
        }
        n->p++;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c == 's' && n->word > 0 && (*n->p == '\0' || is_sep(*n->p)))
            continue;
        n->word++;
        return (int)c;
    }
}

/* Whether 'a' and 'b' are the same non-empty term once normalised. */
static int
norm_eq(const char *a, const char *b)
{
    struct norm x, y;
    int c, first = 1;

    norm_start(&x, a);
    norm_start(&y, b);
    do {
        c = norm_next(&x);
        if (c != norm_next(&y) || (first && c == -1))
            return 0;
        first = 0;
    } while (c != -1);
    return 1;
}

/* A normalised copy of 's' (free()), "" if nothing is left, or NULL out
 * of memory. */
static char *
norm_dup(const char *s)
{
    struct norm n;
    size_t len = 0;
    char *out;

    norm_start(&n, s);
    while (norm_next(&n) != -1)
        len++;
    if ((out = malloc(len + 1)) == NULL)
        return NULL;
    norm_start(&n, s);
    for (size_t i = 0; i < len; i++)
        out[i] = (char)norm_next(&n);
    out[len] = '\0';
    return out;
}

/* A copy of 's' (free()), or NULL out of memory. */
static char *
dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* ---- Reasons. ---- */

/* The next character of 'pp' made safe to show, into 'out': control
 * characters and line separators become one space, invisible and
 * direction-changing ones nothing (0 returned), bytes that are not UTF-8
 * U+FFFD. Returns the bytes in 'out'. */
static size_t
take_char(const unsigned char **pp, unsigned char out[4])
{
    const unsigned char *p = *pp;
    unsigned c = p[0];
    uint32_t cp;
    size_t n;

    if (c < 0x80) {
        *pp = p + 1;
        out[0] = c < 0x20 || c == 0x7f ? ' ' : (unsigned char)c;
        return 1;
    }
    /* 4 will do: the string ends at a NUL, which utf8_get() stops at. */
    if ((n = utf8_get(p, 4, &cp)) == 0) {
        *pp = p + 1;
        memcpy(out, "\xef\xbf\xbd", 3);
        return 3;
    }
    *pp = p + n;
    if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029) {
        out[0] = ' ';
        return 1;
    }
    if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e)
        || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff)
        return 0;
    memcpy(out, p, n);
    return n;
}

/* Copy 'src' into 'dst' (limit + 1 bytes, limit >= 3) made safe to show,
 * white space folded and trimmed; text longer than 'limit' bytes is cut
 * on a character boundary and ends with "…" within the limit. Reads no
 * further than it writes, whatever the length of 'src'. Returns the
 * length written. */
static size_t
put_clean(char *dst, size_t limit, const char *src)
{
    const unsigned char *p = (const unsigned char *)(src ? src : "");
    size_t len = 0, safe = 0;
    int space = 0;

    while (*p) {
        unsigned char ch[4];
        size_t n = take_char(&p, ch), need;

        if (n == 0)
            continue;
        if (n == 1 && ch[0] == ' ') {
            space = 1;
            continue;
        }
        need = n + (space && len > 0);
        if (len + need > limit) {
            /* A space is only ever written before a character, so
             * the cut never leaves one before the "…". */
            len = safe;
            memcpy(dst + len, ELLIPSIS, 3);
            len += 3;
            break;
        }
        if (space && len > 0)
            dst[len++] = ' ';
        space = 0;
        memcpy(dst + len, ch, n);
        len += n;
        /* The longest text that still leaves room for "…". */
        if (len + 3 <= limit)
            safe = len;
    }
    dst[len] = '\0';
    return len;
}

struct text {
    char *s;
    size_t len, cap;            /* cap counts the NUL */
};

static void
text_add(struct text *t, const char *s)
{
    size_t n = strlen(s);

    if (n > t->cap - 1 - t->len)
        n = t->cap - 1 - t->len;
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* 'editor pick by ED: "NOTE" (matches your goal TERM)', at most
 * GEMS_REASON_MAX bytes: the note gives way to a long name or term. */
static void
explain_gem(struct curator_explain *why, double v,
            const struct curator_gem *gem, const char *term, int is_goal)
{
    char editor[GEMS_EDITOR_MAX + 1], shown[GEMS_TERM_MAX + 1];
    char note[GEMS_NOTE_MAX + 1], reason[GEMS_REASON_MAX + 1];
    const char *what = is_goal ? " (matches your goal "
                               : " (matches your interest ";
    struct text t = { reason, 0, sizeof reason };
    size_t elen, tlen, fixed, budget;

    elen = put_clean(editor, GEMS_EDITOR_MAX, gem->editor);
    tlen = put_clean(shown, GEMS_TERM_MAX, term);
    fixed = strlen("editor pick") + (elen ? strlen(" by ") + elen : 0)
            + strlen(": \"\"") + strlen(what) + tlen + strlen(")");
    budget = GEMS_REASON_MAX - fixed;
    if (budget > GEMS_NOTE_MAX)
        budget = GEMS_NOTE_MAX;
    put_clean(note, budget, gem->note);

    reason[0] = '\0';
    text_add(&t, "editor pick");
    if (elen) {
        text_add(&t, " by ");
        text_add(&t, editor);
    }
    if (note[0]) {
        text_add(&t, ": \"");
        text_add(&t, note);
        text_add(&t, "\"");
    }
    text_add(&t, what);
    text_add(&t, shown);
    text_add(&t, ")");
    curator_explain_add(why, v, "%s", reason);
}

/* ---- The filter. ---- */

static int
gems_init(const struct curator_filter_option *opts, size_t n_opts,
          void **ctx, char *err, size_t errlen)
{
    struct gems *g = calloc(1, sizeof *g);

    if (g == NULL)
        return opt_error(err, errlen, "out of memory");
    g->boost = 5.0;
    g->audience_bonus = 1.0;
    for (size_t i = 0; i < n_opts; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";
        int rc;

        if (strcmp(key, "boost") == 0)
            rc = opt_number(key, value, 0, 0, GEMS_MAX_OPTION, &g->boost,
                            err, errlen);
        else if (strcmp(key, "audience_bonus") == 0)
            rc = opt_number(key, value, 0, 0, GEMS_MAX_OPTION,
                            &g->audience_bonus, err, errlen);
        else
            rc = opt_unknown(key, err, errlen);
        if (rc != 0) {
            free(g);
            return -1;
        }
    }
    *ctx = g;
    return 0;
}

/* The item's gem, or NULL. */
static const struct curator_gem *
item_gem(const struct curator_item *it)
{
    if (it->size < offsetof(struct curator_item, gem) + sizeof it->gem)
        return NULL;
    return it->gem;
}

/* The team an audience entry names ("team:NAME", the prefix in any
 * case), or NULL when it names a goal. */
static const char *
audience_team(const char *entry)
{
    static const char prefix[] = "team:";

    if (entry == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof prefix - 1; i++) {
        unsigned c = (unsigned char)entry[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != (unsigned char)prefix[i])
            return NULL;
    }
    return entry + sizeof prefix - 1;
}

/* The user's teams: none in a view older than ABI 1.1. */
static size_t
profile_teams(const struct curator_profile *who, const char *const **teams)
{
    if (who->size < offsetof(struct curator_profile, n_teams)
                    + sizeof who->n_teams || who->teams == NULL)
        return 0;
    *teams = who->teams;
    return who->n_teams;
}

/* Whether the user is in the audience the gem names. */
static int
profile_in_audience(const struct curator_profile *who,
                    const struct curator_gem *gem)
{
    const char *const *teams = NULL;
    size_t n_teams = profile_teams(who, &teams);
    size_t n_goals = who->goals ? who->n_goals : 0;

    for (size_t j = 0; gem->audience && j < gem->n_audience; j++) {
        const char *team = audience_team(gem->audience[j]);
        if (team != NULL) {
            for (size_t i = 0; i < n_teams; i++)
                if (norm_eq(teams[i], team))
                    return 1;
        } else {
            for (size_t i = 0; i < n_goals; i++)
                if (norm_eq(who->goals[i], gem->audience[j]))
                    return 1;
        }
    }
    return 0;
}

/* Whether some tag of 'gem' is 'term' once normalised. */
static int
gem_has_tag(const struct curator_gem *gem, const char *term)
{
    if (gem->tags == NULL)
        return 0;
    for (size_t i = 0; i < gem->n_tags; i++)
        if (norm_eq(gem->tags[i], term))
            return 1;
    return 0;
}

static int
gems_score(void *ctx, const struct curator_item *it,
           const struct curator_profile *who, double *score, int *exclude,
           struct curator_explain *why)
{
    const struct gems *g = ctx;
    const struct curator_gem *gem = item_gem(it);
    size_t n_goals = who->goals ? who->n_goals : 0;
    size_t n_interests = who->interests ? who->n_interests : 0;
    const char *match = NULL;
    int is_goal = 0, in_audience = 0;
    double v;

    (void)exclude;
    *score = 0;
    if (gem == NULL)
        return 0;
    if (gem->n_audience > 0) {
        in_audience = profile_in_audience(who, gem);
        if (!in_audience)
            return 0;
    }
    /* Name a goal rather than an interest when both match. */
    for (size_t i = 0; i < n_goals && match == NULL; i++)
        if (gem_has_tag(gem, who->goals[i])) {
            match = who->goals[i];
            is_goal = 1;
        }
    for (size_t i = 0; i < n_interests && match == NULL; i++) {
        const struct curator_interest *in = &who->interests[i];
        if (in->weight > 0 && gem_has_tag(gem, in->term))
            match = in->term;
    }
    if (match == NULL)
        return 0;
    v = g->boost + (in_audience ? g->audience_bonus : 0);
    if (v == 0)
        return 0;
    *score = v;
    explain_gem(why, v, gem, match, is_goal);
    return 0;
}

static void
user_free(struct guser *u)
{
    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n_goals; i++)
        free(u->goals[i]);
    for (size_t i = 0; i < u->n_teams; i++)
        free(u->teams[i]);
    for (size_t i = 0; i < u->n_keys; i++)
        free(u->keys[i]);
    free(u->goals);
    free(u->teams);
    free(u->keys);
    free(u);
}

static int
cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A new user holding the normalised goals, teams and terms of 'who', or
 * NULL. */
static struct guser *
user_new(const struct curator_profile *who)
{
    size_t n_goals = who->goals ? who->n_goals : 0;
    size_t n_interests = who->interests ? who->n_interests : 0;
    const char *const *teams = NULL;
    size_t n_teams = profile_teams(who, &teams);
    struct guser *u = calloc(1, sizeof *u);
    size_t n = 0;

    if (u == NULL)
        return NULL;
    if (n_interests >= SIZE_MAX / sizeof(char *)
        || n_goals >= SIZE_MAX / sizeof(char *) - n_interests
        || n_teams >= SIZE_MAX / sizeof(char *)
        || (u->goals = calloc(n_goals + 1, sizeof(char *))) == NULL
        || (u->teams = calloc(n_teams + 1, sizeof(char *))) == NULL
        || (u->keys = calloc(n_goals + n_interests + 1,
                             sizeof(char *))) == NULL)
        goto fail;
    for (size_t i = 0; i < n_teams; i++) {
        char *t = norm_dup(teams[i]);
        if (t == NULL)
            goto fail;
        if (t[0] == '\0')
            free(t);
        else
            u->teams[u->n_teams++] = t;
    }
    for (size_t i = 0; i < n_goals; i++) {
        char *s = norm_dup(who->goals[i]), *k;
        if (s == NULL)
            goto fail;
        if (s[0] == '\0') {
            free(s);
            continue;
        }
        u->goals[u->n_goals++] = s;
        if ((k = dup_str(s)) == NULL)
            goto fail;
        u->keys[u->n_keys++] = k;
    }
    for (size_t i = 0; i < n_interests; i++) {
        const struct curator_interest *in = &who->interests[i];
        char *k;
        if (!(in->weight > 0) || in->term == NULL)
            continue;
        if ((k = norm_dup(in->term)) == NULL)
            goto fail;
        if (k[0] == '\0') {
            free(k);
            continue;
        }
        u->keys[u->n_keys++] = k;
    }
    /* One index entry per term, however often the user gave it. */
    qsort(u->keys, u->n_keys, sizeof *u->keys, cmp_key);
    for (size_t i = 0; i < u->n_keys; i++) {
        if (n > 0 && strcmp(u->keys[n - 1], u->keys[i]) == 0)
            free(u->keys[i]);
        else
            u->keys[n++] = u->keys[i];
    }
    u->n_keys = n;
    return u;
fail:
    user_free(u);
    return NULL;
}

static int
term_add(struct gems *g, const char *key, struct guser *u)
{
    size_t h = hash_str(key);
    struct term *t = (struct term *)hm_find(&g->terms, h, term_eq, key);

    if (t == NULL) {
        if ((t = calloc(1, sizeof *t)) == NULL)
            return -1;
        t->node.hash = h;
        if ((t->key = dup_str(key)) == NULL
            || hm_put(&g->terms, &t->node) != 0) {
            free(t->key);
            free(t);
            return -1;
        }
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4;
        struct guser **p;
        if (cap > SIZE_MAX / sizeof *p
            || (p = realloc(t->users, cap * sizeof *p)) == NULL)
            return -1;
        t->users = p;
        t->cap = cap;
    }
    t->users[t->n++] = u;
    return 0;
}

/* Forget 'u' under 'key'; absent is fine. */
static void
term_remove(struct gems *g, const char *key, const struct guser *u)
{
    struct term *t = (struct term *)hm_find(&g->terms, hash_str(key),
                                            term_eq, key);

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        if (t->users[i] == u) {
            t->users[i] = t->users[--t->n];
            break;
        }
    }
    if (t->n == 0) {
        hm_unlink(&g->terms, &t->node);
        free(t->users);
        free(t->key);
        free(t);
    }
}

/* Unindex and free a user; unknown ids are fine. */
static void
user_drop(struct gems *g, long long user_id)
{
    struct guser *u = (struct guser *)hm_find_id(&g->users, user_id);

    if (u == NULL)
        return;
    for (size_t i = 0; i < u->n_keys; i++)
        term_remove(g, u->keys[i], u);
    hm_unlink(&g->users, &u->node.node);
    user_free(u);
}

/* Replace the user's goals and interests. Out of memory, the user is
 * dropped. */
static int
gems_set_profile(void *ctx, const struct curator_profile *who)
{
    struct gems *g = ctx;
    struct guser *u;

    user_drop(g, who->user_id);
    if ((u = user_new(who)) == NULL)
        return -1;
    if (hm_put_id(&g->users, &u->node, who->user_id) != 0) {
        user_free(u);
        return -1;
    }
    for (size_t i = 0; i < u->n_keys; i++) {
        if (term_add(g, u->keys[i], u) != 0) {
            user_drop(g, who->user_id);
            return -1;
        }
    }
    return 0;
}

static void
gems_drop_profile(void *ctx, long long user_id)
{
    user_drop(ctx, user_id);
}

static void
free_keys(char **k, size_t n)
{
    for (size_t i = 0; i < n && k != NULL; i++)
        free(k[i]);
    free(k);
}

/* Whether one of the user's goals or teams is among 'aud' (normalised;
 * is_team[j] says which entry is a team). */
static int
user_in_audience(const struct guser *u, char *const *aud,
                 const char *is_team, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        char *const *mine = is_team[j] ? u->teams : u->goals;
        size_t n_mine = is_team[j] ? u->n_teams : u->n_goals;
        for (size_t i = 0; i < n_mine; i++)
            if (strcmp(mine[i], aud[j]) == 0)
                return 1;
    }
    return 0;
}

static int
gems_add_item(void *ctx, const struct curator_item *it,
              struct curator_want *want)
{
    struct gems *g = ctx;
    const struct curator_gem *gem = item_gem(it);
    size_t n_aud, n_tags;
    char **aud = NULL, *is_team = NULL;
    int rc = 0, restricted;

    if (gem == NULL || want == NULL || want->user == NULL)
        return 0;
    n_tags = gem->tags ? gem->n_tags : 0;
    n_aud = gem->audience ? gem->n_audience : 0;
    restricted = gem->n_audience > 0;
    /* The same normalised form as the index: empty entries match no
     * goal, so an audience of those reaches no one, as in score(). */
    if (restricted) {
        if ((aud = calloc(n_aud + 1, sizeof *aud)) == NULL
            || (is_team = calloc(n_aud + 1, 1)) == NULL) {
            free(aud);
            return -1;
        }
        for (size_t i = 0; i < n_aud; i++) {
            const char *team = audience_team(gem->audience[i]);
            is_team[i] = team != NULL;
            if ((aud[i] = norm_dup(team ? team : gem->audience[i]))
                == NULL) {
                free_keys(aud, i);
                free(is_team);
                return -1;
            }
        }
    }
    g->pass++;
    for (size_t i = 0; i < n_tags; i++) {
        char *key = norm_dup(gem->tags[i]);
        const struct term *t;

        if (key == NULL) {
            rc = -1;
            break;
        }
        t = (const struct term *)hm_find(&g->terms, hash_str(key),
                                         term_eq, key);
        free(key);
        for (size_t j = 0; t != NULL && j < t->n; j++) {
            struct guser *u = t->users[j];
            if (u->seen == g->pass)
                continue;
            u->seen = g->pass;
            if (restricted && !user_in_audience(u, aud, is_team, n_aud))
                continue;
            want->user(want, u->node.id);
        }
    }
    free_keys(aud, n_aud);
    free(is_team);
    return rc;
}

static void
free_user_node(struct hm_node *n)
{
    user_free((struct guser *)n);
}

static void
free_term_node(struct hm_node *n)
{
    struct term *t = (struct term *)n;

    free(t->users);
    free(t->key);
    free(t);
}

static void
gems_free(void *ctx)
{
    struct gems *g = ctx;

    if (g == NULL)
        return;
    hm_free(&g->users, free_user_node);
    hm_free(&g->terms, free_term_node);
    free(g);
}

static const struct curator_filter gems_filter = {
    .abi_major = CURATOR_FILTER_ABI_MAJOR,
    .abi_minor = CURATOR_FILTER_ABI_MINOR,
    .size = sizeof(struct curator_filter),
    .name = "gems",
    .init = gems_init,
    .score = gems_score,
    .free = gems_free,
    .set_profile = gems_set_profile,
    .drop_profile = gems_drop_profile,
    .add_item = gems_add_item,
};

const struct curator_filter *
curator_filter_entry(void)
{
    return &gems_filter;
}
