/* Email digests: selection, composition, queueing and delivery (see
 * digest.h). Selection reads the stored scores (score.c wrote them once
 * per item), so composing a digest costs a few indexed queries and the
 * rendering, whatever the number of users.
 */
#include "digest.h"
#include "date.h"
#include "digest_render.h"
#include "digest_time.h"
#include "err.h"
#include "log.h"
#include "mail.h"
#include "metrics.h"
#include "mime.h"
#include "score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CANDIDATES 400          /* scored rows read per digest */
#define MAX_GOALS 16
#define MAX_ENTRIES 200
#define DELIVER_BATCH 50        /* outbox rows read at once */
#define MAX_TEAM 10             /* team shares per digest at most */
#define QUEUE_BATCH 64          /* digests queued per transaction */

void
digest_out_init(struct digest_out *o)
{
    memset(o, 0, sizeof *o);
    buf_init(&o->message, 0);
}

void
digest_out_free(struct digest_out *o)
{
    buf_free(&o->message);
    free(o->items);
    free(o->text);
    free(o->html);
    o->items = NULL;
    o->text = o->html = NULL;
}

/* Links. */

static void
link_base(const struct digest_cfg *c, char *out, size_t len)
{
    size_t n = strlen(c->base_url);
    snprintf(out, len, "%.*s", (int)(n && c->base_url[n - 1] == '/'
                                     ? n - 1 : n), c->base_url);
}

void
digest_unsubscribe_url(const struct digest_cfg *c, long long user_id,
                       char *out, size_t len)
{
    char base[256], tok[TOKEN_LEN + 1];
    link_base(c, base, sizeof base);
    token_make(c->key, "unsubscribe", user_id, NULL, tok);
    snprintf(out, len, "%s/unsubscribe?u=%lld&t=%s", base, user_id, tok);
}

void
digest_feedback_url(const struct digest_cfg *c, long long user_id,
                    long long item_id, int verdict, char *out, size_t len)
{
    char base[256], tok[TOKEN_LEN + 1], extra[48];
    link_base(c, base, sizeof base);
    snprintf(extra, sizeof extra, "%lld:%s", item_id, verdict > 0 ? "up"
                                                                  : "down");
    token_make(c->key, "feedback", user_id, extra, tok);
    snprintf(out, len, "%s/vote?u=%lld&i=%lld&v=%s&t=%s", base, user_id,
             item_id, verdict > 0 ? "up" : "down", tok);
}

void
digest_feed_url(const struct digest_cfg *c, long long user_id, char *out,
                size_t len)
{
    char base[256], tok[TOKEN_LEN + 1];
    link_base(c, base, sizeof base);
    token_make(c->key, "feed", user_id, NULL, tok);
    snprintf(out, len, "%s/feed/%lld/%s.atom", base, user_id, tok);
}

/* Selection. */

struct pick {
    long long item_id, group;
    double score;
    char *title, *link, *feed, *reason, *goal, *also;
    char *text, *html, *gem_editor, *gem_note;
    char up[512], down[512];
    int gem;
};

struct selection {
    const struct store_digest_user *u;
    struct store *st;
    long long since;
    struct pick *p;
    size_t n, cap;
    int below;
    int oom;
};

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The strongest positive reason's text, and the goal a keyword reason
 * names ("... (goal: NAME)"), if any. */
static void
read_reasons(const char *stored, char **reason, char **goal, int *gem)
{
    struct score_reason r[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(stored, r, SCORE_MAX_REASONS);
    *reason = NULL;
    *goal = NULL;
    *gem = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].filter, "gems") == 0 && r[i].contribution > 0)
            *gem = 1;
        if (*reason == NULL && r[i].contribution > 0)
            *reason = strdup(r[i].text);
        const char *g = strstr(r[i].text, "(goal: ");
        if (*goal == NULL && g != NULL) {
            g += 7;
            const char *e = strchr(g, ')');
            if (e != NULL && e > g)
                *goal = strndup(g, (size_t)(e - g));
        }
    }
}

struct detail {
    struct pick *p;
};

static int
detail_row(void *ctx, const struct store_scoring_item *it)
{
    struct pick *p = ctx;
    p->text = dup_or_null(it->text);
    p->gem_editor = dup_or_null(it->gem_editor);
    p->gem_note = dup_or_null(it->gem_note);
    return 0;
}

static void
pick_free(struct pick *p)
{
    free(p->title);
    free(p->link);
    free(p->feed);
    free(p->reason);
    free(p->goal);
    free(p->also);
    free(p->text);
    free(p->html);
    free(p->gem_editor);
    free(p->gem_note);
}

static int
select_row(void *ctx, const struct store_scored *s)
{
    struct selection *sel = ctx;
    long long group = s->dup_of ? s->dup_of : s->item_id;
    const char *feed = s->feed_title ? s->feed_title : s->feed_url;
    int sent;

    if (s->fetched < sel->since)
        return 0;
    if (store_item_sent(sel->st, sel->u->user_id, s->item_id, &sent)
        != CUR_OK || sent)
        return 0;
    /* Rows come best first: a near-copy folds into the kept one. */
    for (size_t i = 0; i < sel->n; i++) {
        struct pick *p = &sel->p[i];
        if (p->group != group)
            continue;
        size_t old = p->also ? strlen(p->also) : 0;
        if (old < 400) {
            char *also = realloc(p->also, old + strlen(feed) + 3);
            if (also == NULL)
                return sel->oom = CUR_ENOMEM;
            snprintf(also + old, strlen(feed) + 3, "%s%s", old ? ", " : "",
                     feed);
            p->also = also;
        }
        return 0;
    }
    char *reason, *goal;
    int gem;
    read_reasons(s->reasons, &reason, &goal, &gem);
    if (!gem && s->score < sel->u->min_score) {
        sel->below++;
        free(reason);
        free(goal);
        return 0;
    }
    if (sel->n == sel->cap) {
        size_t cap = sel->cap ? sel->cap * 2 : 32;
        struct pick *np = realloc(sel->p, cap * sizeof *np);
        if (np == NULL) {
            free(reason);
            free(goal);
            return sel->oom = CUR_ENOMEM;
        }
        sel->p = np;
        sel->cap = cap;
    }
    struct pick *p = &sel->p[sel->n++];
    memset(p, 0, sizeof *p);
    p->item_id = s->item_id;
    p->group = group;
    p->score = s->score;
    p->title = strdup(s->title);
    p->link = dup_or_null(s->link);
    p->feed = strdup(feed);
    p->reason = reason;
    p->goal = goal;
    p->gem = gem;
    if (p->title == NULL || p->feed == NULL)
        return sel->oom = CUR_ENOMEM;
    return 0;
}

/* Sections: gems, then one per goal in order of first appearance (the
 * best item first), then the rest; caps per goal and in total. */
struct plan {
    struct digest_section sec[MAX_GOALS + 3];
    struct digest_entry ent[MAX_ENTRIES];
    char headings[MAX_GOALS + 3][160];
    size_t n_sec, n_ent;
    int over_cap;
    long long ids[MAX_ENTRIES];
    /* The team section's own strings. */
    struct team_pick {
        char title[400], link[1024], feed[200], reason[400];
        char up[512], down[512];
    } team[MAX_TEAM];
};

static void
make_entry(const struct digest_cfg *c, const struct store_digest_user *u,
           struct pick *p, struct digest_entry *e)
{
    memset(e, 0, sizeof *e);
    digest_feedback_url(c, u->user_id, p->item_id, 1, p->up, sizeof p->up);
    digest_feedback_url(c, u->user_id, p->item_id, -1, p->down,
                        sizeof p->down);
    e->item_id = p->item_id;
    e->title = p->title;
    e->link = p->link;
    e->feed = p->feed;
    e->reason = p->reason;
    e->also_in = p->also;
    e->gem_editor = p->gem ? p->gem_editor : NULL;
    e->gem_note = p->gem ? p->gem_note : NULL;
    e->snippet_text = p->text;
    e->up_url = p->up;
    e->down_url = p->down;
    e->score = p->score;
}

static void
plan_sections(const struct digest_cfg *c, const struct store_digest_user *u,
              struct selection *sel, struct plan *pl)
{
    const char *goals[MAX_GOALS];
    size_t n_goals = 0, total = 0;
    size_t per_goal = u->max_per_goal > 0 ? (size_t)u->max_per_goal : 5;
    size_t cap = u->max_items > 0 ? (size_t)u->max_items : 20;

    if (cap > MAX_ENTRIES)
        cap = MAX_ENTRIES;
    memset(pl, 0, sizeof *pl);
    /* Goals in the order their best item comes. */
    for (size_t i = 0; i < sel->n; i++) {
        const char *g = sel->p[i].gem ? NULL : sel->p[i].goal;
        int known = g == NULL;
        for (size_t k = 0; !known && k < n_goals; k++)
            known = strcmp(goals[k], g) == 0;
        if (!known && n_goals < MAX_GOALS)
            goals[n_goals++] = g;
    }
    /* Pass 0: gems; 1..n_goals: each goal; last: the rest. */
    for (size_t pass = 0; pass <= n_goals + 1; pass++) {
        struct digest_section *sec = &pl->sec[pl->n_sec];
        size_t in_sec = 0;
        sec->entries = &pl->ent[pl->n_ent];
        for (size_t i = 0; i < sel->n; i++) {
            struct pick *p = &sel->p[i];
            int mine;
            if (pass == 0)
                mine = p->gem;
            else if (pass <= n_goals)
                mine = !p->gem && p->goal
                       && strcmp(p->goal, goals[pass - 1]) == 0;
            else {
                int known = 0;
                for (size_t k = 0; !known && k < n_goals; k++)
                    known = p->goal && strcmp(p->goal, goals[k]) == 0;
                mine = !p->gem && !known;
            }
            if (!mine)
                continue;
            if (total >= cap || (pass > 0 && pass <= n_goals
                                 && in_sec >= per_goal)) {
                pl->over_cap++;
                continue;
            }
            store_scoring_item(sel->st, p->item_id, 0, detail_row, p);
            make_entry(c, sel->u, p, &pl->ent[pl->n_ent]);
            pl->ids[pl->n_ent] = p->item_id;
            pl->n_ent++;
            in_sec++;
            total++;
        }
        if (in_sec == 0)
            continue;
        if (pass == 0)
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     "Editor picks");
        else if (pass <= n_goals)
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     "Goal: %s", goals[pass - 1]);
        else
            snprintf(pl->headings[pl->n_sec], sizeof pl->headings[0],
                     n_goals ? "More for you" : "For you");
        sec->heading = pl->headings[pl->n_sec];
        sec->n = in_sec;
        pl->n_sec++;
    }
}

/* The "Shared by your team" section: what teammates shared since the
 * last digest, folded per item, after the editors' picks. Counts show
 * only from three sharers up (a team view never singles anyone out). */
struct team_ctx {
    const struct digest_cfg *c;
    const struct store_digest_user *u;
    struct plan *pl;
    struct store *st;
    size_t n;
};

static int
team_row(void *ctx, const struct store_team_share *sh)
{
    struct team_ctx *t = ctx;
    struct plan *pl = t->pl;
    int sent;

    if (t->n >= MAX_TEAM || pl->n_ent >= MAX_ENTRIES)
        return 0;
    for (size_t i = 0; i < pl->n_ent; i++)
        if (pl->ids[i] == sh->item_id)
            return 0;   /* already in the digest */
    if (store_item_sent(t->st, t->u->user_id, sh->item_id, &sent) != CUR_OK
        || sent)
        return 0;
    struct team_pick *p = &pl->team[t->n];
    struct digest_entry *e = &pl->ent[pl->n_ent];
    snprintf(p->title, sizeof p->title, "%s", sh->title);
    snprintf(p->link, sizeof p->link, "%s", sh->link ? sh->link : "");
    snprintf(p->feed, sizeof p->feed, "%s", sh->feed ? sh->feed : "");
    if (sh->sharers >= 3)
        snprintf(p->reason, sizeof p->reason, "shared by %d teammates in "
                 "%s%s%s%s", sh->sharers, sh->team, sh->note[0] ? ": \""
                 : "", sh->note, sh->note[0] ? "\"" : "");
    else
        snprintf(p->reason, sizeof p->reason, "shared by a teammate in "
                 "%s%s%s%s", sh->team, sh->note[0] ? ": \"" : "", sh->note,
                 sh->note[0] ? "\"" : "");
    digest_feedback_url(t->c, t->u->user_id, sh->item_id, 1, p->up,
                        sizeof p->up);
    digest_feedback_url(t->c, t->u->user_id, sh->item_id, -1, p->down,
                        sizeof p->down);
    memset(e, 0, sizeof *e);
    e->item_id = sh->item_id;
    e->title = p->title;
    e->link = p->link[0] ? p->link : NULL;
    e->feed = p->feed;
    e->reason = p->reason;
    e->up_url = p->up;
    e->down_url = p->down;
    pl->ids[pl->n_ent++] = sh->item_id;
    t->n++;
    return 0;
}

static int
plan_team(struct store *st, const struct digest_cfg *c,
          const struct store_digest_user *u, long long now, struct plan *pl)
{
    struct team_ctx t = { c, u, pl, st, 0 };
    size_t first = pl->n_ent;
    long long since = u->last_period_start > 0 ? u->last_period_start
                                               : now - c->window;
    int rc = store_team_shares_for_user(st, u->user_id, since,
                                        c->team_max > 0 ? c->team_max : 3,
                                        team_row, &t);
    if (rc != CUR_OK || t.n == 0)
        return rc;
    /* After the editors' picks, before the goals. */
    size_t at = pl->n_sec > 0 && strcmp(pl->headings[0], "Editor picks")
                                 == 0 ? 1 : 0;
    memmove(&pl->sec[at + 1], &pl->sec[at],
            (pl->n_sec - at) * sizeof pl->sec[0]);
    memmove(pl->headings[at + 1], pl->headings[at],
            (pl->n_sec - at) * sizeof pl->headings[0]);
    for (size_t i = at + 1; i <= pl->n_sec; i++)
        pl->sec[i].heading = pl->headings[i];
    snprintf(pl->headings[at], sizeof pl->headings[0],
             "Shared by your team");
    pl->sec[at].heading = pl->headings[at];
    pl->sec[at].entries = &pl->ent[first];
    pl->sec[at].n = t.n;
    pl->n_sec++;
    return CUR_OK;
}

struct user_copy {
    struct store_digest_user u;
    char name[128], email[320], tz[80];
    int found;
};

static int
user_row(void *ctx, const struct store_digest_user *u)
{
    struct user_copy *c = ctx;
    c->u = *u;
    snprintf(c->name, sizeof c->name, "%s", u->name ? u->name : "");
    snprintf(c->email, sizeof c->email, "%s", u->email ? u->email : "");
    snprintf(c->tz, sizeof c->tz, "%s", u->tz ? u->tz : "UTC");
    c->u.name = c->name;
    c->u.email = c->email;
    c->u.tz = c->tz;
    c->found = 1;
    return 0;
}

static void
list_domain(const struct digest_cfg *c, char *out, size_t len)
{
    const char *at = strchr(c->from_email, '@');
    snprintf(out, len, "%s", at ? at + 1 : "localhost.localdomain");
}

/* Compose for a user whose settings are 'u'. */
static int
compose(struct store *st, const struct digest_cfg *c,
        const struct store_digest_user *u, long long now, int html,
        struct digest_out *out)
{
    struct digest_when when = { u->weekly, u->weekday, u->hour, u->tz };
    struct selection sel = { .u = u, .st = st };
    struct plan *pl = NULL;
    struct buf text, body;
    char subject[256], unsub[512], feed[512], web[300], domain[100];
    char list_id[300], label[64], mailto[400];
    int rc;

    if (digest_period(&when, now, &out->period_start, NULL, out->period_key,
                      sizeof out->period_key) != CUR_OK) {
        /* A zone ICU no longer knows: fall back to UTC, say so. */
        log_warn("digest schedule invalid user=%lld tz=%s: using UTC",
                 u->user_id, u->tz);
        when.tz = "UTC";
        if (digest_period(&when, now, &out->period_start, NULL,
                          out->period_key, sizeof out->period_key) != CUR_OK)
            return CUR_EINVAL;
    }
    sel.since = now - c->window;
    rc = store_score_top(st, u->user_id, sel.since, 0, CANDIDATES,
                         select_row, &sel);
    if (rc == CUR_OK && sel.oom)
        rc = sel.oom;
    if (rc == CUR_OK && (pl = malloc(sizeof *pl)) == NULL)
        rc = CUR_ENOMEM;
    if (rc != CUR_OK)
        goto done;
    plan_sections(c, u, &sel, pl);
    if ((rc = plan_team(st, c, u, now, pl)) != CUR_OK)
        goto done;
    out->n_below = sel.below;
    out->n_items = pl->n_ent;
    if (pl->n_ent > 0) {
        out->items = malloc(pl->n_ent * sizeof *out->items);
        if (out->items == NULL) {
            rc = CUR_ENOMEM;
            goto done;
        }
        memcpy(out->items, pl->ids, pl->n_ent * sizeof *out->items);
    }

    digest_unsubscribe_url(c, u->user_id, unsub, sizeof unsub);
    digest_feed_url(c, u->user_id, feed, sizeof feed);
    link_base(c, web, sizeof web);
    date_format(out->period_start, label, sizeof label);
    label[10] = '\0';   /* the date part of RFC 3339 */
    snprintf(subject, sizeof subject, "Curator digest %s: %zu item%s",
             u->weekly ? out->period_key : label, pl->n_ent,
             pl->n_ent == 1 ? "" : "s");
    struct digest_doc doc = {
        .user_name = u->name,
        .title = subject,
        .sections = pl->sec,
        .n_sections = pl->n_sec,
        .n_below_threshold = sel.below,
        .n_over_cap = pl->over_cap,
        .web_url = web,
        .unsubscribe_url = unsub,
        .feed_url = feed,
        .remote_images = u->remote_images,
    };
    buf_init(&text, 0);
    buf_init(&body, 0);
    rc = digest_render_text(&doc, &text);
    if (rc == CUR_OK && (html > 0 || (html < 0 && u->html)))
        rc = digest_render_html(&doc, &body);
    if (rc == CUR_OK && (buf_puts(&text, "") != CUR_OK
                         || buf_puts(&body, "") != CUR_OK))
        rc = CUR_ENOMEM;
    if (rc != CUR_OK) {
        buf_free(&text);
        buf_free(&body);
        goto done;
    }
    list_domain(c, domain, sizeof domain);
    snprintf(out->message_id, sizeof out->message_id,
             "digest.%lld.%s.%lld@%s", u->user_id, out->period_key,
             out->period_start, domain);
    snprintf(list_id, sizeof list_id, "Curator digest <digest.%s>", domain);
    snprintf(mailto, sizeof mailto, "mailto:%s?subject=unsubscribe",
             c->from_email);
    struct mime_message m = {
        .from = { c->from_name, c->from_email },
        .to = { u->name, u->email },
        .subject = subject,
        .date = now,
        .message_id = out->message_id,
        .list_id = list_id,
        /* RFC 8058 one-click needs HTTPS; over plain http only the
         * mailto is offered in the header (the body keeps the link). */
        .unsubscribe_url = strncmp(unsub, "https://", 8) == 0 ? unsub
                                                               : NULL,
        .unsubscribe_mailto = mailto,
        .text = text.data ? text.data : "",
        .html = body.len ? body.data : NULL,
    };
    const char *why = NULL;
    rc = mime_compose(&m, &out->message, &why);
    if (rc != CUR_OK)
        log_warn("digest compose failed user=%lld why=\"%s\"", u->user_id,
                 why ? why : cur_strerror(rc));
    out->text = buf_steal(&text);
    out->html = body.len ? buf_steal(&body) : NULL;
    buf_free(&text);
    buf_free(&body);
done:
    for (size_t i = 0; i < sel.n; i++)
        pick_free(&sel.p[i]);
    free(sel.p);
    free(pl);
    return rc;
}

int
digest_compose(struct store *st, const struct digest_cfg *c,
               long long user_id, long long now, int html,
               struct digest_out *out)
{
    struct user_copy u = { 0 };
    int rc = store_digest_user(st, user_id, user_row, &u);
    if (rc != CUR_OK)
        return rc;
    return compose(st, c, &u.u, now, html, out);
}

static int
enqueue(struct store *st, const struct digest_cfg *c,
        const struct store_digest_user *u, long long now, long long *id)
{
    struct digest_out out;
    int rc;

    digest_out_init(&out);
    rc = compose(st, c, u, now, -1, &out);
    if (rc == CUR_OK && out.n_items == 0) {
        /* Nothing worth a message: the period is done all the same. */
        rc = store_digest_set(st, u->user_id, "last_period_start", NULL,
                              (double)out.period_start);
        if (id)
            *id = 0;
    } else if (rc == CUR_OK) {
        rc = store_outbox_add(st, u->user_id, out.period_key,
                              out.period_start, out.message_id, u->email,
                              out.message.data, out.message.len, out.items,
                              out.n_items, now);
        if (rc == CUR_OK && id)
            *id = 1;
        if (rc == CUR_OK)
            log_info("digest queued user=%lld period=%s items=%zu bytes=%zu",
                     u->user_id, out.period_key, out.n_items,
                     out.message.len);
    }
    digest_out_free(&out);
    return rc;
}

struct due_ctx {
    struct store *st;
    const struct digest_cfg *c;
    long long now;
    struct store_digest_user *due;
    size_t n, cap;
    char **strings;
};

static int
due_row(void *ctx, const struct store_digest_user *u)
{
    struct due_ctx *d = ctx;
    struct digest_when when = { u->weekly, u->weekday, u->hour, u->tz };
    int due = 0;

    if (!u->email_on || u->pause_until > d->now)
        return 0;
    if (digest_due(&when, u->last_period_start, d->now, &due, NULL, NULL, 0)
        != CUR_OK) {
        when.tz = "UTC";
        if (digest_due(&when, u->last_period_start, d->now, &due, NULL, NULL,
                       0) != CUR_OK)
            return 0;
    }
    if (!due)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct store_digest_user *nd = realloc(d->due, cap * sizeof *nd);
        char **ns = realloc(d->strings, cap * 3 * sizeof *ns);
        if (nd)
            d->due = nd;
        if (ns)
            d->strings = ns;
        if (nd == NULL || ns == NULL)
            return CUR_ENOMEM;
        d->cap = cap;
    }
    struct store_digest_user *c = &d->due[d->n];
    *c = *u;
    c->name = d->strings[d->n * 3] = strdup(u->name);
    c->email = d->strings[d->n * 3 + 1] = strdup(u->email);
    c->tz = d->strings[d->n * 3 + 2] = strdup(u->tz);
    d->n++;
    return c->name && c->email && c->tz ? 0 : CUR_ENOMEM;
}

int
digest_queue_due(struct store *st, const struct digest_cfg *c, long long now,
                 int *queued)
{
    struct due_ctx d = { .st = st, .c = c, .now = now };
    int rc = store_digest_users(st, due_row, &d), n = 0;

    /* Users are read first and queued after, so no statement is open
     * across the writes. */
    /* QUEUE_BATCH users per transaction, each its own savepoint: one
     * sync per batch, and a crash loses only digests queued again on the
     * next tick (their periods are not recorded either). */
    for (size_t i = 0; i < d.n && rc == CUR_OK; i += QUEUE_BATCH) {
        if ((rc = store_begin(st)) != CUR_OK)
            break;
        for (size_t k = i; k < d.n && k < i + QUEUE_BATCH && rc == CUR_OK;
             k++) {
            long long id;
            rc = enqueue(st, c, &d.due[k], now, &id);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
            else if (rc == CUR_OK && id)
                n++;
        }
        if (rc == CUR_OK)
            rc = store_commit(st);
        else
            store_rollback(st);
    }
    for (size_t i = 0; i < d.n * 3; i++)
        free(d.strings[i]);
    free(d.strings);
    free(d.due);
    if (queued)
        *queued = n;
    return rc;
}

int
digest_queue_now(struct store *st, const struct digest_cfg *c,
                 long long user_id, long long now, long long *outbox_id)
{
    struct user_copy u = { 0 };
    char key[32];
    long long id;
    int rc = store_digest_user(st, user_id, user_row, &u);
    if (rc != CUR_OK)
        return rc;
    /* This period's message may be queued already: say so, rather than
     * compose one that finds every item sent. */
    struct digest_when when = { u.u.weekly, u.u.weekday, u.u.hour, u.u.tz };
    if (digest_period(&when, now, NULL, NULL, key, sizeof key) == CUR_OK
        && store_outbox_find(st, user_id, key, &id) == CUR_OK)
        return CUR_EEXIST;
    return enqueue(st, c, &u.u, now, outbox_id);
}

/* Delivery. */

struct pending {
    long long id;
    long long created;
    int attempts;
    char *rcpt, *message_id, *body;
    size_t len;
};

struct pending_list {
    struct pending *p;
    size_t n, cap;
};

static int
pending_row(void *ctx, const struct store_outbox *m)
{
    struct pending_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct pending *np = realloc(l->p, cap * sizeof *np);
        if (np == NULL)
            return CUR_ENOMEM;
        l->p = np;
        l->cap = cap;
    }
    struct pending *p = &l->p[l->n++];
    p->id = m->id;
    p->created = m->created;
    p->attempts = m->attempts;
    p->rcpt = strdup(m->rcpt);
    p->message_id = strdup(m->message_id);
    p->body = malloc(m->len + 1);
    p->len = m->len;
    if (p->rcpt == NULL || p->message_id == NULL || p->body == NULL)
        return CUR_ENOMEM;
    memcpy(p->body, m->body, m->len);
    p->body[m->len] = '\0';
    return 0;
}

/* Exponential backoff with jitter: retry_min (1 min), twice that, four
 * times ... up to retry_max. */
static long long
backoff(const struct digest_cfg *c, int attempts)
{
    double first = c->retry_min > 0 ? (double)c->retry_min : 60.0;
    double wait = first * pow(2.0, attempts < 20 ? attempts : 20);
    if (wait > (double)c->retry_max)
        wait = (double)c->retry_max;
    return (long long)(wait * (0.75 + 0.5 * (double)(rand() % 1000) / 1000));
}

/* One batch of the due messages: deliver each, record the outcome.
 * *n gets how many were due. */
static int
deliver_batch(struct store *st, const struct digest_cfg *c,
              const struct mail_config *mc, long long now, int *n_sent,
              int *n_failed, size_t *n)
{
    struct pending_list l = { 0 };
    int rc = store_outbox_due(st, now, DELIVER_BATCH, pending_row, &l);

    *n = l.n;
    /* Each outcome commits at once: a crash can resend only the one
     * message between the server's 250 and that commit (DUR-3). */
    for (size_t i = 0; i < l.n && rc == CUR_OK; i++) {
        struct pending *p = &l.p[i];
        const char *rcpt[1] = { p->rcpt };
        char reply[512] = "";
        enum mail_status ms = mail_deliver(mc, c->from_email, rcpt, 1,
                                           p->message_id, p->body, p->len,
                                           reply, sizeof reply);
        if (ms == MAIL_SENT) {
            rc = store_outbox_sent(st, p->id, now);
            (*n_sent)++;
            log_info("digest sent outbox=%lld message_id=%s", p->id,
                     p->message_id);
        } else {
            /* A message that could not go out for max_age is given up
             * (DUR-4): the reply says why. */
            int perm = ms == MAIL_PERMFAIL
                       || now - p->created >= (c->max_age > 0 ? c->max_age
                                                              : 3 * 86400);
            rc = store_outbox_failed(st, p->id, perm, reply,
                                     now + backoff(c, p->attempts));
            (*n_failed)++;
            log_warn("digest %s outbox=%lld message_id=%s attempt=%d "
                     "reply=\"%s\"", perm ? "failed" : "deferred", p->id,
                     p->message_id, p->attempts + 1, reply);
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        free(l.p[i].rcpt);
        free(l.p[i].message_id);
        free(l.p[i].body);
    }
    free(l.p);
    return rc;
}

int
digest_deliver(struct store *st, const struct digest_cfg *c, long long now,
               int *sent, int *failed)
{
    struct mail_config mc = {
        .smtp_url = c->smtp_url,
        .require_tls = c->require_tls,
        .username = c->smtp_user,
        .password = c->smtp_password,
        .connect_timeout_ms = c->timeout * 1000,
        .timeout_ms = c->timeout * 1000,
        .spool_dir = c->spool_dir,
    };
    int n_sent = 0, n_failed = 0, rc;
    size_t n;

    /* Until nothing due is left: a failure is rescheduled, so each batch
     * holds new messages and the loop ends. */
    do
        rc = deliver_batch(st, c, &mc, now, &n_sent, &n_failed, &n);
    while (rc == CUR_OK && n == DELIVER_BATCH);
    metrics_mail(n_sent, n_failed);
    if (sent)
        *sent = n_sent;
    if (failed)
        *failed = n_failed;
    return rc;
}
