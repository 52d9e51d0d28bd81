/* Interests: the user's goals, interests (weight, goal, word or phrase)
 * and mutes (words, and sources muted elsewhere), edited in one form
 * with two buttons: Preview ranks the last week under the edited profile
 * without storing anything (preview.h), Save checks every field and
 * stores the whole change in one transaction, or nothing with the form
 * shown again and a message beside each bad field. Goals are added and
 * removed with their own small forms.
 */
#include "err.h"
#include "html.h"
#include "preview.h"
#include "web.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TERM_MAX 127
#define MAX_ROWS 200            /* interests in the form */
#define NEW_ROWS 3              /* blank rows for new interests */
#define MAX_GOALS 64
#define MAX_MUTES 200
#define MAX_MUTED_FEEDS 200
#define PREVIEW_DAYS 7
#define PREVIEW_TOP 20

struct irow {
    char orig[TERM_MAX + 1];    /* the stored term; "" for a new row */
    char term[TERM_MAX + 3];    /* as typed (quotes included) */
    char bare[TERM_MAX + 1];    /* without quotes */
    char weight_text[40];
    double weight;
    long long goal_id;
    int phrase, remove;
    const char *e_term, *e_weight, *e_goal;
};

struct goal {
    long long id;
    char name[TERM_MAX + 1];
};

struct mfeed {
    long long mute_id, feed_id;
    char title[200];
    int unmute;
};

struct iform {
    struct irow rows[MAX_ROWS + NEW_ROWS];
    size_t n;
    struct goal goals[MAX_GOALS];
    size_t n_goals;
    struct mfeed feeds[MAX_MUTED_FEEDS];
    size_t n_feeds;
    struct buf mutes;           /* the textarea, one word a line */
    const char *e_mutes;
    const char *e_goal_name;
    char goal_name[TERM_MAX + 1];
    long long bad_goal;         /* the goal whose new name was refused */
    int errors;
};

static int
goal_row(void *ctx, long long id, const char *name)
{
    struct iform *f = ctx;
    if (f->n_goals < MAX_GOALS) {
        f->goals[f->n_goals].id = id;
        snprintf(f->goals[f->n_goals].name, TERM_MAX + 1, "%s", name);
        f->n_goals++;
    }
    return 0;
}

static int
interest_row(void *ctx, const struct store_interest_row *in)
{
    struct iform *f = ctx;
    if (f->n >= MAX_ROWS)
        return 0;
    struct irow *r = &f->rows[f->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->orig, sizeof r->orig, "%s", in->term);
    snprintf(r->term, sizeof r->term, in->is_phrase && !strchr(in->term, ' ')
             ? "\"%s\"" : "%s", in->term);
    snprintf(r->weight_text, sizeof r->weight_text, "%g", in->weight);
    r->weight = in->weight;
    r->goal_id = in->goal_id;
    r->phrase = in->is_phrase;
    return 0;
}

static int
mute_row(void *ctx, const struct store_mute_row *m)
{
    struct iform *f = ctx;
    if (m->term != NULL) {
        if (buf_puts(&f->mutes, m->term) != CUR_OK
            || buf_puts(&f->mutes, "\n") != CUR_OK)
            return CUR_ENOMEM;
    } else if (f->n_feeds < MAX_MUTED_FEEDS) {
        struct mfeed *mf = &f->feeds[f->n_feeds++];
        mf->mute_id = m->id;
        mf->feed_id = m->feed_id;
        snprintf(mf->title, sizeof mf->title, "%s",
                 m->feed_title ? m->feed_title
                 : m->feed_url ? m->feed_url : "?");
        mf->unmute = 0;
    }
    return 0;
}

static int
load_stored(struct req *r, struct iform *f)
{
    long long uid = r->sess.user_id;
    int rc = store_goal_list(r->st, uid, goal_row, f);
    if (rc == CUR_OK)
        rc = store_interest_rows(r->st, uid, interest_row, f);
    if (rc == CUR_OK)
        rc = store_mute_rows(r->st, uid, mute_row, f);
    return rc;
}

static const char *
goal_name(const struct iform *f, long long id)
{
    for (size_t i = 0; i < f->n_goals; i++)
        if (f->goals[i].id == id)
            return f->goals[i].name;
    return NULL;
}

/* A term as typed: "quoted" or several words make a phrase; quotes and
 * control characters inside are refused. Returns an error or NULL. */
static const char *
check_term(const char *in, char *bare, size_t len, int *phrase)
{
    size_t n = strlen(in);
    *phrase = 0;
    if (n >= 2 && in[0] == '"' && in[n - 1] == '"') {
        in++;
        n -= 2;
        *phrase = 1;
    }
    while (n > 0 && (*in == ' ' || *in == '\t')) {
        in++;
        n--;
    }
    while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
        n--;
    if (n == 0)
        return "Give a word or a phrase.";
    if (n > TERM_MAX || n >= len)
        return "At most 127 bytes.";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == '"')
            return "No quotes or control characters inside.";
    memcpy(bare, in, n);
    bare[n] = '\0';
    if (strchr(bare, ' ') != NULL)
        *phrase = 1;
    return NULL;
}

static const char *
check_weight(const char *s, double *out)
{
    char *end;
    if (s == NULL || *s == '\0') {
        *out = 1.0;
        return NULL;
    }
    errno = 0;
    double w = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (errno || end == s || *end || !isfinite(w) || w < -10 || w > 10)
        return "A number from -10 to 10.";
    *out = w;
    return NULL;
}

static void
copy_trim(char *out, size_t len, const char *v)
{
    size_t n;
    if (v == NULL)
        v = "";
    while (*v == ' ' || *v == '\t')
        v++;
    n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

/* Read and check the posted form into f (goals and muted feeds come from
 * the store). Returns the number of errors, or -1 for a malformed form. */
static int
read_form(struct req *r, struct iform *f)
{
    char key[32];
    long long rows = web_id(form_get(&r->form, "rows"));
    const char *mutes = form_get(&r->form, "mutes");

    if (rows > MAX_ROWS + NEW_ROWS)
        return -1;
    f->n = 0;
    for (long long i = 0; i < rows; i++) {
        struct irow *w = &f->rows[f->n];
        const char *v;
        memset(w, 0, sizeof *w);
        snprintf(key, sizeof key, "orig.%lld", i);
        copy_trim(w->orig, sizeof w->orig, form_get(&r->form, key));
        snprintf(key, sizeof key, "term.%lld", i);
        v = form_get(&r->form, key);
        if (v && strlen(v) > sizeof w->term - 1) {
            w->e_term = "At most 127 bytes.";
            f->errors++;
        }
        copy_trim(w->term, sizeof w->term, v);
        snprintf(key, sizeof key, "weight.%lld", i);
        copy_trim(w->weight_text, sizeof w->weight_text,
                  form_get(&r->form, key));
        snprintf(key, sizeof key, "goal.%lld", i);
        v = form_get(&r->form, key);
        w->goal_id = web_id(v);
        snprintf(key, sizeof key, "remove.%lld", i);
        w->remove = form_get(&r->form, key) != NULL;
        if (w->term[0] == '\0' && w->orig[0] == '\0')
            continue;           /* an unused blank row */
        if (w->term[0] == '\0')
            w->remove = 1;      /* emptied: the same as removing */
        f->n++;
        if (w->remove)
            continue;
        if (!w->e_term)
            w->e_term = check_term(w->term, w->bare, sizeof w->bare,
                                   &w->phrase);
        w->e_weight = check_weight(w->weight_text, &w->weight);
        if (v != NULL && v[0] != '\0' && (w->goal_id <= 0
                                          || !goal_name(f, w->goal_id)))
            w->e_goal = "Choose one of your goals.";
        f->errors += (w->e_term != NULL) + (w->e_weight != NULL)
                     + (w->e_goal != NULL);
    }
    /* The same term twice would store one of them silently. */
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = 0; j < i; j++)
            if (!f->rows[i].remove && !f->rows[j].remove
                && !f->rows[i].e_term && !f->rows[j].e_term
                && strcmp(f->rows[i].bare, f->rows[j].bare) == 0) {
                f->rows[i].e_term = "This term is listed twice.";
                f->errors++;
                break;
            }
    for (size_t i = 0; i < f->n_feeds; i++) {
        snprintf(key, sizeof key, "unmute.%lld", f->feeds[i].mute_id);
        f->feeds[i].unmute = form_get(&r->form, key) != NULL;
    }
    buf_reset(&f->mutes);
    if (mutes != NULL && buf_puts(&f->mutes, mutes) != CUR_OK)
        return -1;
    /* Each line a word or phrase. */
    int lines = 0;
    for (const char *p = mutes; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[TERM_MAX + 3], bare[TERM_MAX + 1];
        int phrase;
        if (n < sizeof line) {
            memcpy(line, p, n);
            line[n] = '\0';
            copy_trim(line, sizeof line, line);
            while (strlen(line) && line[strlen(line) - 1] == '\r')
                line[strlen(line) - 1] = '\0';
            if (line[0] != '\0') {
                const char *err = check_term(line, bare, sizeof bare,
                                             &phrase);
                if (err != NULL && f->e_mutes == NULL) {
                    f->e_mutes = "Each line one word or phrase, at most "
                                 "127 bytes, without quotes inside.";
                    f->errors++;
                }
                lines++;
            }
        } else if (f->e_mutes == NULL) {
            f->e_mutes = "Each line one word or phrase, at most 127 bytes.";
            f->errors++;
        }
        p = e ? e + 1 : NULL;
    }
    if (lines > MAX_MUTES && f->e_mutes == NULL) {
        f->e_mutes = "At most 200 muted words.";
        f->errors++;
    }
    return f->errors;
}

/* The mute words of the textarea, checked already: calls fn for each. */
static int
each_mute(const char *text, int (*fn)(void *ctx, const char *bare),
          void *ctx)
{
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char line[TERM_MAX + 3], bare[TERM_MAX + 1];
        int phrase, rc;
        if (n < sizeof line) {
            memcpy(line, p, n);
            line[n] = '\0';
            copy_trim(line, sizeof line, line);
            while (strlen(line) && line[strlen(line) - 1] == '\r')
                line[strlen(line) - 1] = '\0';
            if (line[0] != '\0'
                && check_term(line, bare, sizeof bare, &phrase) == NULL
                && (rc = fn(ctx, bare)) != 0)
                return rc;
        }
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* Saving. */

struct mute_sync {
    struct req *r;
    const char *text;
    int rc;
};

static int
mute_listed(void *ctx, const char *bare)
{
    return strcmp(ctx, bare) == 0;
}

static int
drop_unlisted(void *ctx, const struct store_mute_row *m)
{
    struct mute_sync *s = ctx;
    if (m->term != NULL && !each_mute(s->text, mute_listed, (void *)m->term))
        s->rc = store_mute_remove(s->r->st, s->r->sess.user_id, m->id);
    return s->rc;
}

static int
add_mute(void *ctx, const char *bare)
{
    struct mute_sync *s = ctx;
    return s->rc = store_mute_term(s->r->st, s->r->sess.user_id, bare);
}

static int
save(struct req *r, struct iform *f)
{
    long long uid = r->sess.user_id;
    struct mute_sync ms = { r, f->mutes.data ? f->mutes.data : "", CUR_OK };
    int rc = store_begin(r->st);

    if (rc != CUR_OK)
        return rc;
    for (size_t i = 0; i < f->n && rc == CUR_OK; i++) {
        struct irow *w = &f->rows[i];
        if (w->orig[0] != '\0' && (w->remove || strcmp(w->orig, w->bare)))
            rc = store_interest_remove(r->st, uid, w->orig);
        if (rc == CUR_ENOTFOUND)
            rc = CUR_OK;
    }
    for (size_t i = 0; i < f->n && rc == CUR_OK; i++) {
        struct irow *w = &f->rows[i];
        if (!w->remove)
            rc = store_interest_set(r->st, uid, w->bare, w->weight,
                                    w->goal_id, w->phrase);
    }
    if (rc == CUR_OK) {
        rc = store_mute_rows(r->st, uid, drop_unlisted, &ms);
        if (rc == CUR_OK)
            rc = ms.rc;
    }
    if (rc == CUR_OK) {
        each_mute(ms.text, add_mute, &ms);
        rc = ms.rc;
    }
    for (size_t i = 0; i < f->n_feeds && rc == CUR_OK; i++)
        if (f->feeds[i].unmute)
            rc = store_mute_remove(r->st, uid, f->feeds[i].mute_id);
    if (rc == CUR_OK)
        return store_commit(r->st);
    store_rollback(r->st);
    return rc;
}

/* Rendering. */

static int
render_goal_select(struct buf *b, const struct iform *f, size_t i,
                   long long goal_id)
{
    int rc = buf_printf(b, "<label class=\"sr\" for=\"goal.%zu\">Goal</label>"
                        "<select id=\"goal.%zu\" name=\"goal.%zu\">"
                        "<option value=\"\">(no goal)</option>", i, i, i);
    for (size_t g = 0; g < f->n_goals; g++) {
        rc |= buf_printf(b, "<option value=\"%lld\"%s>", f->goals[g].id,
                         f->goals[g].id == goal_id ? " selected" : "");
        rc |= html_escape(b, f->goals[g].name);
        rc |= buf_puts(b, "</option>");
    }
    rc |= buf_puts(b, "</select>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

static int
render_row(struct buf *b, const struct iform *f, size_t i,
           const struct irow *w)
{
    int rc = buf_printf(b, "<div class=\"irow\"><input type=\"hidden\" "
                        "name=\"orig.%zu\" value=\"", i);
    rc |= html_escape(b, w ? w->orig : "");
    rc |= buf_printf(b, "\"><span class=\"cell term\"><label class=\"sr\" "
                     "for=\"term.%zu\">Word or phrase</label><input "
                     "id=\"term.%zu\" name=\"term.%zu\" maxlength=\"129\" "
                     "placeholder=\"word or &quot;a phrase&quot;\" "
                     "value=\"", i, i, i);
    rc |= html_escape(b, w ? w->term : "");
    rc |= buf_puts(b, "\">");
    if (w) {
        char id[40];
        snprintf(id, sizeof id, "term.%zu", i);
        rc |= html_field_error(b, id, w->e_term);
    }
    rc |= buf_printf(b, "</span><span class=\"cell weight\"><label "
                     "class=\"sr\" for=\"weight.%zu\">Weight</label><input "
                     "id=\"weight.%zu\" name=\"weight.%zu\" "
                     "inputmode=\"decimal\" size=\"5\" value=\"", i, i, i);
    rc |= html_escape(b, w ? w->weight_text : "1");
    rc |= buf_puts(b, "\">");
    if (w) {
        char id[40];
        snprintf(id, sizeof id, "weight.%zu", i);
        rc |= html_field_error(b, id, w->e_weight);
    }
    rc |= buf_puts(b, "</span><span class=\"cell goal\">");
    rc |= render_goal_select(b, f, i, w ? w->goal_id : 0);
    if (w) {
        char id[40];
        snprintf(id, sizeof id, "goal.%zu", i);
        rc |= html_field_error(b, id, w->e_goal);
    }
    rc |= buf_puts(b, "</span>");
    if (w && w->orig[0])
        rc |= buf_printf(b, "<span class=\"cell rm\"><label><input "
                         "type=\"checkbox\" name=\"remove.%zu\" value=\"1\""
                         "%s> Remove</label></span>", i,
                         w->remove ? " checked" : "");
    rc |= buf_puts(b, "</div>\n");
    return rc ? CUR_ENOMEM : CUR_OK;
}

static int
render_hits(struct buf *b, const char *heading, const struct preview_hit *v,
            size_t n)
{
    int rc = buf_puts(b, "<div class=\"col\"><h3>");
    rc |= html_escape(b, heading);
    rc |= buf_puts(b, "</h3>");
    if (n == 0)
        rc |= buf_puts(b, "<p class=\"empty\">Nothing ranks.</p>");
    else
        rc |= buf_puts(b, "<ol class=\"preview\">");
    for (size_t i = 0; i < n; i++) {
        rc |= buf_puts(b, "<li><span class=\"t\">");
        rc |= html_escape(b, v[i].title);
        rc |= buf_printf(b, "</span> <span class=\"contrib\">%.2f</span>"
                         "<br><span class=\"meta\">", v[i].score);
        rc |= html_escape(b, v[i].feed);
        if (v[i].reason) {
            rc |= buf_puts(b, " &middot; ");
            rc |= html_escape(b, v[i].reason);
        }
        rc |= buf_puts(b, "</span></li>");
    }
    if (n > 0)
        rc |= buf_puts(b, "</ol>");
    rc |= buf_puts(b, "</div>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

/* The stored ranking of the same days, for the "now" column. */
struct now_ctx {
    struct preview_hit v[PREVIEW_TOP];
    size_t n;
    struct buf strings;
    int rc;
};

static int
now_row(void *ctx, const struct store_ranked *s)
{
    struct now_ctx *c = ctx;
    if (c->n >= PREVIEW_TOP || s->dup_of)
        return 0;
    struct preview_hit *h = &c->v[c->n++];
    h->item_id = s->item_id;
    h->title = strdup(s->title);
    h->feed = strdup(s->feed_title ? s->feed_title : s->feed_url);
    h->score = s->score;
    h->link = NULL;
    h->reason = NULL;
    const char *t1 = strchr(s->reasons, '\t');
    const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (t2 != NULL)
        h->reason = strndup(t2 + 1, strcspn(t2 + 1, "\n"));
    if (h->title == NULL || h->feed == NULL)
        c->rc = CUR_ENOMEM;
    return c->rc;
}

static int
render_preview(struct buf *b, struct req *r, const struct iform *f)
{
    const char *goals[MAX_GOALS];
    struct preview_interest *ins = calloc(f->n + 1, sizeof *ins);
    const char **mutes = calloc(MAX_MUTES + 1, sizeof *mutes);
    char (*mute_store)[TERM_MAX + 1] = calloc(MAX_MUTES + 1,
                                              sizeof *mute_store);
    long long muted[MAX_MUTED_FEEDS];
    struct preview_profile p = { .goals = goals };
    struct preview_result res;
    struct now_ctx now = { .n = 0 };
    long long since = r->now - PREVIEW_DAYS * 86400L;
    int rc = CUR_OK;

    if (ins == NULL || mutes == NULL || mute_store == NULL) {
        rc = CUR_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < f->n_goals; i++)
        goals[p.n_goals++] = f->goals[i].name;
    for (size_t i = 0; i < f->n; i++) {
        if (f->rows[i].remove)
            continue;
        ins[p.n_interests].term = f->rows[i].bare;
        ins[p.n_interests].weight = f->rows[i].weight;
        ins[p.n_interests].goal = goal_name(f, f->rows[i].goal_id);
        ins[p.n_interests].is_phrase = f->rows[i].phrase;
        p.n_interests++;
    }
    p.interests = ins;
    for (const char *q = f->mutes.data; q && *q && p.n_mutes < MAX_MUTES;) {
        const char *e = strchr(q, '\n');
        size_t n = e ? (size_t)(e - q) : strlen(q);
        char line[TERM_MAX + 3];
        int phrase;
        if (n < sizeof line) {
            memcpy(line, q, n);
            line[n] = '\0';
            copy_trim(line, sizeof line, line);
            line[strcspn(line, "\r")] = '\0';
            if (line[0] && check_term(line, mute_store[p.n_mutes],
                                      TERM_MAX + 1, &phrase) == NULL) {
                mutes[p.n_mutes] = mute_store[p.n_mutes];
                p.n_mutes++;
            }
        }
        q = e ? e + 1 : NULL;
    }
    p.mutes = mutes;
    for (size_t i = 0; i < f->n_feeds; i++)
        if (!f->feeds[i].unmute)
            muted[p.n_muted_feeds++] = f->feeds[i].feed_id;
    p.muted_feeds = muted;

    rc = preview_rank(r->st, r->w->config, r->sess.user_id, &p, since,
                      r->now, PREVIEW_TOP, &res);
    if (rc == CUR_OK)
        rc = store_ranked(r->st, r->sess.user_id, since, r->now,
                          PREVIEW_TOP * 2, now_row, &now);
    if (rc == CUR_OK)
        rc = now.rc;
    if (rc == CUR_OK) {
        rc |= buf_printf(b, "<section class=\"preview\" id=\"preview\"><h2>"
                         "Preview: the last %d days</h2><p class=\"meta\">"
                         "%zu items of your sources, ranked %s. Nothing is "
                         "saved until you press Save.</p><div class=\"cols\">",
                         PREVIEW_DAYS, res.considered, res.scorer
                         ? "by the same filters as your digest"
                         : "by a plain keyword match (title three times the "
                           "text), as no filters are configured");
        rc |= render_hits(b, "Now", now.v, now.n);
        rc |= render_hits(b, "With your changes", res.v, res.n);
        rc |= buf_puts(b, "</div></section>");
        rc = rc ? CUR_ENOMEM : CUR_OK;
    }
    preview_result_free(&res);
out:
    for (size_t i = 0; i < now.n; i++) {
        free(now.v[i].title);
        free(now.v[i].feed);
        free(now.v[i].reason);
    }
    free(ins);
    free(mutes);
    free(mute_store);
    return rc;
}

static enum MHD_Result
render(struct req *r, unsigned status, struct iform *f, int preview)
{
    struct buf b;
    int rc;

    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Interests", "interests");
    rc |= buf_puts(&b, "<h1>Interests</h1><p class=\"lead\">Goals group "
                   "your interests; weights from -10 to 10 say how much "
                   "(negative: less of this). Muted words never show.</p>");
    if (f->errors)
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">Nothing was "
                       "saved: fix the fields marked below.</p>");

    /* Goals. */
    rc |= buf_puts(&b, "<section><h2>Goals</h2>");
    if (f->n_goals == 0)
        rc |= buf_puts(&b, "<p class=\"empty\">No goals yet.</p>");
    else
        rc |= buf_puts(&b, "<ul class=\"goals\">");
    for (size_t i = 0; i < f->n_goals; i++) {
        long long id = f->goals[i].id;
        int bad = f->bad_goal == id;
        rc |= buf_puts(&b, "<li><form class=\"row\" method=\"post\" "
                       "action=\"/interests/goals\">");
        rc |= html_csrf(&b, r);
        rc |= buf_printf(&b, "<input type=\"hidden\" name=\"goal\" "
                         "value=\"%lld\"><label class=\"sr\" "
                         "for=\"goal-%lld\">Goal name</label><input "
                         "id=\"goal-%lld\" name=\"goal_name\" maxlength=\"127\""
                         " required value=\"", id, id, id);
        rc |= html_escape(&b, bad ? f->goal_name : f->goals[i].name);
        rc |= buf_puts(&b, "\"><button type=\"submit\" name=\"act\" "
                       "value=\"rename\" class=\"secondary\">Rename</button>"
                       "<button type=\"submit\" name=\"act\" value=\"remove\""
                       " class=\"secondary\" formnovalidate>Remove</button>");
        if (bad) {
            char fid[40];
            snprintf(fid, sizeof fid, "goal-%lld", id);
            rc |= html_field_error(&b, fid, f->e_goal_name);
        }
        rc |= buf_puts(&b, "</form></li>");
    }
    if (f->n_goals > 0)
        rc |= buf_puts(&b, "</ul>");
    rc |= buf_puts(&b, "<form class=\"row\" method=\"post\" "
                   "action=\"/interests/goals\">");
    rc |= html_csrf(&b, r);
    rc |= html_input(&b, "goal_name", "New goal", "text",
                     f->bad_goal ? NULL : f->goal_name,
                     f->bad_goal ? NULL : f->e_goal_name,
                     "maxlength=\"127\" required");
    rc |= buf_puts(&b, "<button type=\"submit\" name=\"act\" value=\"add\">"
                   "Add goal</button></form></section>");

    /* Interests and mutes. */
    rc |= buf_puts(&b, "<section><h2>Interests and mutes</h2>"
                   "<form method=\"post\" action=\"/interests\" "
                   "class=\"profile\">");
    rc |= html_csrf(&b, r);
    rc |= buf_printf(&b, "<input type=\"hidden\" name=\"rows\" "
                     "value=\"%zu\"><div class=\"irow head\" "
                     "aria-hidden=\"true\"><span class=\"cell term\">Word or "
                     "phrase</span><span class=\"cell weight\">Weight</span>"
                     "<span class=\"cell goal\">Goal</span></div>",
                     f->n + NEW_ROWS);
    for (size_t i = 0; i < f->n; i++)
        rc |= render_row(&b, f, i, &f->rows[i]);
    for (size_t i = 0; i < NEW_ROWS; i++)
        rc |= render_row(&b, f, f->n + i, NULL);
    rc |= buf_puts(&b, "<p class=\"field\"><label for=\"mutes\">Muted words "
                   "and phrases, one a line</label><textarea id=\"mutes\" "
                   "name=\"mutes\" rows=\"4\">");
    rc |= html_escape(&b, f->mutes.data ? f->mutes.data : "");
    rc |= buf_puts(&b, "</textarea>");
    rc |= html_field_error(&b, "mutes", f->e_mutes);
    rc |= buf_puts(&b, "</p>");
    if (f->n_feeds > 0) {
        rc |= buf_puts(&b, "<fieldset><legend>Muted sources</legend>");
        for (size_t i = 0; i < f->n_feeds; i++) {
            rc |= buf_printf(&b, "<label><input type=\"checkbox\" "
                             "name=\"unmute.%lld\" value=\"1\"%s> Unmute ",
                             f->feeds[i].mute_id,
                             f->feeds[i].unmute ? " checked" : "");
            rc |= html_escape(&b, f->feeds[i].title);
            rc |= buf_puts(&b, "</label>");
        }
        rc |= buf_puts(&b, "</fieldset>");
    }
    rc |= buf_puts(&b, "<p class=\"buttons\"><button type=\"submit\" "
                   "name=\"action\" value=\"preview\" class=\"secondary\">"
                   "Preview</button> <button type=\"submit\" name=\"action\" "
                   "value=\"save\">Save</button></p></form></section>");
    if (preview && f->errors == 0 && rc == CUR_OK)
        rc = render_preview(&b, r, f);
    buf_free(&f->mutes);
    free(f);
    return html_send(r, status, &b, rc);
}

static struct iform *
iform_new(void)
{
    struct iform *f = calloc(1, sizeof *f);
    if (f != NULL)
        buf_init(&f->mutes, 64 << 10);
    return f;
}

enum MHD_Result
page_interests(struct req *r)
{
    struct iform *f = iform_new();
    const char *action = form_get(&r->form, "action");
    int rc;

    if (f == NULL)
        return MHD_NO;
    rc = load_stored(r, f);
    if (rc != CUR_OK) {
        buf_free(&f->mutes);
        free(f);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your profile could not be read.");
    }
    if (!r->post)
        return render(r, MHD_HTTP_OK, f, 0);
    int errors = read_form(r, f);
    if (errors < 0) {
        buf_free(&f->mutes);
        free(f);
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad form",
                         "That form is not one this page makes.");
    }
    if (errors > 0)
        return render(r, MHD_HTTP_BAD_REQUEST, f, 0);
    if (action != NULL && strcmp(action, "preview") == 0) {
        if (!web_heavy_enter(r->w)) {
            buf_free(&f->mutes);
            free(f);
            return web_busy(r);
        }
        enum MHD_Result ret = render(r, MHD_HTTP_OK, f, 1);
        web_heavy_leave(r->w);
        return ret;
    }
    rc = save(r, f);
    buf_free(&f->mutes);
    free(f);
    if (rc != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your profile could not be saved.");
    return web_redirect(r, "/interests?done=profile");
}

/* Why a goal name is refused, or NULL; the trimmed name into out. */
static const char *
goal_problem(const char *v, char *out, size_t len)
{
    copy_trim(out, len, v);
    if (v != NULL && strlen(v) > TERM_MAX)
        return "At most 127 bytes.";
    if (out[0] == '\0')
        return "Give the goal a name.";
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20)
            return "No control characters.";
    return NULL;
}

enum MHD_Result
page_goals(struct req *r)
{
    const char *act = form_get(&r->form, "act");
    long long uid = r->sess.user_id;
    long long goal = web_id(form_get(&r->form, "goal"));
    int rc;

    if (act != NULL && strcmp(act, "remove") == 0) {
        rc = store_goal_remove(r->st, uid, goal);
        if (rc == CUR_ENOTFOUND)
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such goal",
                             "That goal is not one of yours.");
        if (rc != CUR_OK)
            return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                             "The goal could not be removed.");
        return web_redirect(r, "/interests?done=goal-removed");
    }
    if (act == NULL || (strcmp(act, "add") != 0
                        && strcmp(act, "rename") != 0))
        return web_error(r, MHD_HTTP_BAD_REQUEST, "Bad request",
                         "That action is unknown.");
    int rename = act[0] == 'r';
    struct iform *f = iform_new();
    if (f == NULL)
        return MHD_NO;
    f->e_goal_name = goal_problem(form_get(&r->form, "goal_name"),
                                  f->goal_name, sizeof f->goal_name);
    if (f->e_goal_name == NULL) {
        long long id;
        rc = rename ? store_goal_rename(r->st, uid, goal, f->goal_name)
                    : store_goal_add(r->st, uid, f->goal_name, &id);
        if (rc == CUR_EEXIST) {
            f->e_goal_name = "You have that goal already.";
        } else if (rc == CUR_ENOTFOUND && rename) {
            buf_free(&f->mutes);
            free(f);
            return web_error(r, MHD_HTTP_NOT_FOUND, "No such goal",
                             "That goal is not one of yours.");
        } else {
            buf_free(&f->mutes);
            free(f);
            if (rc != CUR_OK)
                return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                                 "The goal could not be saved.");
            return web_redirect(r, rename ? "/interests?done=profile"
                                          : "/interests?done=goal");
        }
    }
    char keep[TERM_MAX + 1];
    const char *err = f->e_goal_name;
    memcpy(keep, f->goal_name, sizeof keep);
    if (load_stored(r, f) != CUR_OK) {
        buf_free(&f->mutes);
        free(f);
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your profile could not be read.");
    }
    if (rename && goal_name(f, goal) == NULL) {
        buf_free(&f->mutes);
        free(f);
        return web_error(r, MHD_HTTP_NOT_FOUND, "No such goal",
                         "That goal is not one of yours.");
    }
    memcpy(f->goal_name, keep, sizeof keep);
    f->e_goal_name = err;
    f->bad_goal = rename ? goal : 0;
    f->errors = 1;
    return render(r, MHD_HTTP_BAD_REQUEST, f, 0);
}
