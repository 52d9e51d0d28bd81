/* Export and import of one user's data as JSON (see export.h), with
 * jansson. The import walks the document twice with the same code: once
 * only checking (nothing stored, the first problem reported with its
 * place), then storing inside one transaction.
 */
#include "export.h"
#include "date.h"
#include "digest_time.h"
#include "err.h"
#include "valid.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TERM_MAX 127
#define URL_MAX 2048
#define NOTE_MAX 10000
#define ENTRY_MAX 20000
#define TITLE_MAX 4096
#define GUID_MAX 2048
#define MAX_GOALS 200
#define MAX_INTERESTS 2000
#define MAX_MUTES 2000
#define MAX_SUBS 5000
#define MAX_SAVED 20000
#define MAX_JOURNAL 20000
#define MAX_FEEDBACK 200000

/* Export. */

static json_t *
str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *
time_or_null(long long t)
{
    char when[40];
    if (t <= 0)
        return json_null();
    date_format(t, when, sizeof when);
    return json_string(when);
}

static json_t *
item_ref(const struct store_item_ref *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "feed", json_string(r->feed_url));
    json_object_set_new(o, "guid", json_string(r->guid ? r->guid : ""));
    json_object_set_new(o, "title", json_string(r->title ? r->title : ""));
    json_object_set_new(o, "link", str_or_null(r->link));
    json_object_set_new(o, "published", time_or_null(r->published));
    return o;
}

struct ex {
    json_t *goals, *interests, *mute_terms, *mute_feeds, *sources, *subs,
           *saved, *journal, *feedback, *digest;
    int oom;
};

static int
ex_goal(void *ctx, long long id, const char *name)
{
    (void)id;
    struct ex *e = ctx;
    return json_array_append_new(e->goals, json_string(name)) ? e->oom = 1
                                                               : 0;
}

static int
ex_interest(void *ctx, const struct store_interest_row *in)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "term", json_string(in->term));
    json_object_set_new(o, "weight", json_real(in->weight));
    json_object_set_new(o, "goal", str_or_null(in->goal));
    json_object_set_new(o, "phrase", json_boolean(in->is_phrase));
    return json_array_append_new(e->interests, o) ? e->oom = 1 : 0;
}

static int
ex_mute(void *ctx, const struct store_mute_row *m)
{
    struct ex *e = ctx;
    if (m->term)
        return json_array_append_new(e->mute_terms, json_string(m->term))
               ? e->oom = 1 : 0;
    if (m->feed_url)
        return json_array_append_new(e->mute_feeds,
                                     json_string(m->feed_url))
               ? e->oom = 1 : 0;
    return 0;
}

static int
ex_sub(void *ctx, const struct store_subscription *s)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "url", json_string(s->url));
    json_object_set_new(o, "title", str_or_null(s->title));
    json_object_set_new(o, "site_url", str_or_null(s->site_url));
    json_object_set_new(o, "category", str_or_null(s->category));
    if (json_array_append_new(e->subs, o))
        return e->oom = 1;
    if (s->weight != 1.0) {
        json_t *w = json_object();
        json_object_set_new(w, "feed", json_string(s->url));
        json_object_set_new(w, "weight", json_real(s->weight));
        if (json_array_append_new(e->sources, w))
            return e->oom = 1;
    }
    return 0;
}

static int
ex_saved(void *ctx, const struct store_saved *s)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "item", item_ref(&s->item));
    json_object_set_new(o, "note", json_string(s->note));
    json_object_set_new(o, "saved", time_or_null(s->created));
    json_object_set_new(o, "updated", time_or_null(s->updated));
    return json_array_append_new(e->saved, o) ? e->oom = 1 : 0;
}

static int
ex_journal(void *ctx, const struct store_journal *j)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "text", json_string(j->body));
    json_object_set_new(o, "created", time_or_null(j->created));
    json_object_set_new(o, "updated", time_or_null(j->updated));
    json_object_set_new(o, "item", j->item.item_id ? item_ref(&j->item)
                                                   : json_null());
    return json_array_append_new(e->journal, o) ? e->oom = 1 : 0;
}

static int
ex_verdict(void *ctx, const struct store_verdict *v)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "item", item_ref(&v->item));
    json_object_set_new(o, "verdict", json_string(v->verdict > 0 ? "up"
                                                                 : "down"));
    json_object_set_new(o, "created", time_or_null(v->created));
    return json_array_append_new(e->feedback, o) ? e->oom = 1 : 0;
}

static int
ex_digest(void *ctx, const struct store_digest_user *u)
{
    struct ex *e = ctx;
    json_t *o = json_object();
    json_object_set_new(o, "email", json_boolean(u->email_on));
    json_object_set_new(o, "frequency", json_string(u->weekly ? "weekly"
                                                              : "daily"));
    json_object_set_new(o, "weekday", json_integer(u->weekday));
    json_object_set_new(o, "hour", json_integer(u->hour));
    json_object_set_new(o, "tz", json_string(u->tz ? u->tz : "UTC"));
    json_object_set_new(o, "max_items", json_integer(u->max_items));
    json_object_set_new(o, "max_per_goal", json_integer(u->max_per_goal));
    json_object_set_new(o, "min_score", json_real(u->min_score));
    json_object_set_new(o, "format", json_string(u->html ? "html"
                                                         : "text"));
    json_object_set_new(o, "remote_images", json_boolean(u->remote_images));
    json_object_set_new(o, "pause_until", time_or_null(u->pause_until));
    e->digest = o;
    return 0;
}

int
export_user(struct store *st, long long user_id, long long now, char **out,
            size_t *len)
{
    struct store_user_info u;
    struct ex e = { .oom = 0 };
    json_t *root = NULL, *user, *mutes;
    int rc;

    *out = NULL;
    *len = 0;
    if ((rc = store_user_info(st, user_id, &u)) != CUR_OK)
        return rc;
    e.goals = json_array();
    e.interests = json_array();
    e.mute_terms = json_array();
    e.mute_feeds = json_array();
    e.sources = json_array();
    e.subs = json_array();
    e.saved = json_array();
    e.journal = json_array();
    e.feedback = json_array();
    rc = store_goal_list(st, user_id, ex_goal, &e);
    if (rc == CUR_OK)
        rc = store_interest_rows(st, user_id, ex_interest, &e);
    if (rc == CUR_OK)
        rc = store_mute_rows(st, user_id, ex_mute, &e);
    if (rc == CUR_OK)
        rc = store_subscription_list(st, user_id, ex_sub, &e);
    if (rc == CUR_OK)
        rc = store_saved_list(st, user_id, MAX_SAVED, ex_saved, &e);
    if (rc == CUR_OK)
        rc = store_journal_list(st, user_id, NULL, MAX_JOURNAL, ex_journal,
                                &e);
    if (rc == CUR_OK)
        rc = store_feedback_user(st, user_id, ex_verdict, &e);
    if (rc == CUR_OK)
        rc = store_digest_user(st, user_id, ex_digest, &e);
    if (rc == CUR_OK && e.oom)
        rc = CUR_ENOMEM;
    root = json_object();
    user = json_object();
    mutes = json_object();
    json_object_set_new(root, "format", json_string(EXPORT_FORMAT));
    json_object_set_new(root, "version", json_integer(EXPORT_VERSION));
    json_object_set_new(root, "exported", time_or_null(now));
    json_object_set_new(user, "name", json_string(u.name));
    json_object_set_new(user, "email", json_string(u.email));
    json_object_set_new(user, "role", json_string(u.role));
    json_object_set_new(user, "created", time_or_null(u.created));
    json_object_set_new(root, "user", user);
    json_object_set_new(root, "digest", e.digest ? e.digest : json_null());
    json_object_set_new(root, "goals", e.goals);
    json_object_set_new(root, "interests", e.interests);
    json_object_set_new(mutes, "terms", e.mute_terms);
    json_object_set_new(mutes, "feeds", e.mute_feeds);
    json_object_set_new(root, "mutes", mutes);
    json_object_set_new(root, "sources", e.sources);
    json_object_set_new(root, "subscriptions", e.subs);
    json_object_set_new(root, "saved", e.saved);
    json_object_set_new(root, "journal", e.journal);
    json_object_set_new(root, "feedback", e.feedback);
    if (rc == CUR_OK) {
        *out = json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII
                          | JSON_REAL_PRECISION(10));
        if (*out == NULL)
            rc = CUR_ENOMEM;
        else
            *len = strlen(*out);
    }
    json_decref(root);
    return rc;
}

/* Import. */

struct imp {
    struct store *st;
    long long uid, now;
    int dry;                    /* check only */
    struct import_stats *stats;
    char *err;
    size_t errlen;
    /* Journal entries already there: skipped, not doubled. */
    long long *j_created;
    char **j_body;
    size_t j_n, j_cap;
};

static int
bad(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct imp *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err, im->errlen, fmt, ap);
    va_end(ap);
    return CUR_EINVAL;
}

/* A string of 1..max bytes (0..max when 'empty'), no controls but tab
 * and line breaks when 'lines'. */
static const char *
text_of(json_t *v, size_t max, int empty, int lines)
{
    const char *s;
    size_t n;
    if (!json_is_string(v))
        return NULL;
    s = json_string_value(v);
    n = json_string_length(v);
    if (n != strlen(s) || n > max || (n == 0 && !empty))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(lines && (c == '\t' || c == '\n' || c == '\r')))
            || c == 0x7f)
            return NULL;
    }
    return s;
}

static int
url_ok(const char *u)
{
    if (u == NULL || strlen(u) > URL_MAX)
        return 0;
    const char *h = strncasecmp(u, "https://", 8) == 0 ? u + 8
                    : strncasecmp(u, "http://", 7) == 0 ? u + 7 : NULL;
    if (h == NULL || *h == '\0' || *h == '/')
        return 0;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static const char *
url_of(json_t *v)
{
    const char *s = text_of(v, URL_MAX, 0, 0);
    return url_ok(s) ? s : NULL;
}

/* A feed URL: http(s), or a file: URL of a feed an admin listed on the
 * old server, which is only ever matched, never made, here. */
static const char *
feed_url_of(json_t *v)
{
    const char *s = text_of(v, URL_MAX, 0, 0);
    if (s != NULL && strncasecmp(s, "file://", 7) == 0 && strchr(s, ' ')
                                                          == NULL)
        return s;
    return url_ok(s) ? s : NULL;
}

/* The id of the feed at 'url': made (origin "web") when it is http(s)
 * and missing; 0 when it is a file: URL this server does not have. */
static int
feed_id_of(struct imp *im, const char *url, long long *id)
{
    int rc;
    *id = 0;
    if (!url_ok(url)) {
        rc = store_feed_find(im->st, url, id);
        return rc == CUR_ENOTFOUND ? CUR_OK : rc;
    }
    rc = store_feed_add(im->st, url, "web", id);
    return rc == CUR_EEXIST ? CUR_OK : rc;
}

/* A time: RFC 3339 string or null (0). */
static int
time_of(json_t *v, long long *out)
{
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    const char *s = text_of(v, 64, 0, 0);
    return s && date_parse(s, out) == CUR_OK && *out >= 0 ? 0 : -1;
}

/* A term: 1..127 bytes, no quotes or controls. */
static const char *
term_of(json_t *v)
{
    const char *s = text_of(v, TERM_MAX, 0, 0);
    return s && !strchr(s, '"') ? s : NULL;
}

static json_t *
array_of(struct imp *im, json_t *root, const char *key, size_t max, int *rc)
{
    json_t *a = json_object_get(root, key);
    if (a == NULL || json_is_null(a))
        return NULL;
    if (!json_is_array(a))
        *rc = bad(im, "\"%s\" must be an array", key);
    else if (json_array_size(a) > max)
        *rc = bad(im, "\"%s\" has more than %zu entries", key, max);
    return *rc == CUR_OK ? a : NULL;
}

/* An item reference: found or made (apply), or only checked (dry). */
static int
item_of(struct imp *im, json_t *ref, const char *where, size_t i,
        long long *item_id)
{
    const char *feed, *guid, *title, *link = NULL;
    long long published;
    json_t *l;

    if (!json_is_object(ref))
        return bad(im, "%s[%zu].item must be an object", where, i);
    feed = feed_url_of(json_object_get(ref, "feed"));
    guid = text_of(json_object_get(ref, "guid"), GUID_MAX, 0, 0);
    title = text_of(json_object_get(ref, "title"), TITLE_MAX, 1, 0);
    l = json_object_get(ref, "link");
    if (feed == NULL)
        return bad(im, "%s[%zu].item.feed must be an http(s) URL", where, i);
    if (guid == NULL)
        return bad(im, "%s[%zu].item.guid must be a non-empty string",
                   where, i);
    if (title == NULL)
        return bad(im, "%s[%zu].item.title must be a string", where, i);
    if (l != NULL && !json_is_null(l) && (link = url_of(l)) == NULL)
        return bad(im, "%s[%zu].item.link must be an http(s) URL or null",
                   where, i);
    if (time_of(json_object_get(ref, "published"), &published))
        return bad(im, "%s[%zu].item.published must be an RFC 3339 time "
                   "or null", where, i);
    *item_id = 0;
    if (im->dry)
        return CUR_OK;
    if (!url_ok(feed)) {
        /* Only matched: an item of a local feed this server lacks is
         * left out. */
        long long fid;
        int rc = feed_id_of(im, feed, &fid);
        if (rc != CUR_OK || fid == 0)
            return rc;
    }
    return store_item_ensure(im->st, feed, "web", guid, title, link,
                             published, im->now, item_id);
}

static int
imp_digest(struct imp *im, json_t *d)
{
    static const struct { const char *key; int kind; } keys[] = {
        { "email", 'b' }, { "frequency", 'f' }, { "weekday", 'w' },
        { "hour", 'h' }, { "tz", 'z' }, { "max_items", 'm' },
        { "max_per_goal", 'g' }, { "min_score", 's' }, { "format", 'F' },
        { "remote_images", 'r' }, { "pause_until", 'p' },
    };
    int rc = CUR_OK;

    if (d == NULL || json_is_null(d))
        return CUR_OK;
    if (!json_is_object(d))
        return bad(im, "\"digest\" must be an object");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && rc == CUR_OK;
         i++) {
        json_t *v = json_object_get(d, keys[i].key);
        const char *col = keys[i].key, *text = NULL;
        double num = 0;
        long long t;
        if (v == NULL)
            continue;
        switch (keys[i].kind) {
        case 'b': case 'r':
            if (!json_is_boolean(v))
                return bad(im, "digest.%s must be true or false", col);
            num = json_is_true(v);
            break;
        case 'f':
            text = json_string_value(v);
            if (!text || (strcmp(text, "daily") && strcmp(text, "weekly")))
                return bad(im, "digest.frequency must be daily or weekly");
            col = "weekly";
            num = strcmp(text, "weekly") == 0;
            text = NULL;
            break;
        case 'F':
            text = json_string_value(v);
            if (!text || (strcmp(text, "html") && strcmp(text, "text")))
                return bad(im, "digest.format must be html or text");
            col = "html";
            num = strcmp(text, "html") == 0;
            text = NULL;
            break;
        case 'w': case 'h': case 'm': case 'g': {
            long lo = 0, hi = keys[i].kind == 'w' ? 6 : keys[i].kind == 'h'
                      ? 23 : keys[i].kind == 'm' ? 200 : 100;
            if (keys[i].kind == 'm' || keys[i].kind == 'g')
                lo = 1;
            if (!json_is_integer(v) || json_integer_value(v) < lo
                || json_integer_value(v) > hi)
                return bad(im, "digest.%s must be a whole number from %ld "
                           "to %ld", col, lo, hi);
            num = (double)json_integer_value(v);
            break;
        }
        case 'z':
            text = text_of(v, DIGEST_TZ_MAX, 0, 0);
            if (!text || digest_tz_valid(text) != CUR_OK)
                return bad(im, "digest.tz must be an IANA time zone");
            break;
        case 's':
            if (!json_is_number(v) || !isfinite(json_number_value(v))
                || fabs(json_number_value(v)) > 1000)
                return bad(im, "digest.min_score must be a number from "
                           "-1000 to 1000");
            num = json_number_value(v);
            break;
        case 'p':
            if (time_of(v, &t))
                return bad(im, "digest.pause_until must be an RFC 3339 "
                           "time or null");
            num = (double)t;
            break;
        }
        if (!im->dry)
            rc = store_digest_set(im->st, im->uid, col, text, num);
    }
    return rc;
}

static int
imp_goals(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "goals", MAX_GOALS, &rc), *v;
    size_t i;

    json_array_foreach(a, i, v) {
        const char *g = text_of(v, TERM_MAX, 0, 0);
        if (g == NULL)
            return bad(im, "goals[%zu] must be a name of 1 to 127 bytes", i);
        if (!im->dry) {
            rc = store_goal_add(im->st, im->uid, g, NULL);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
            if (rc != CUR_OK)
                return rc;
            im->stats->goals++;
        }
    }
    return rc;
}

static int
imp_interests(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "interests", MAX_INTERESTS, &rc), *v;
    size_t i;

    json_array_foreach(a, i, v) {
        json_t *w = json_object_get(v, "weight");
        json_t *g = json_object_get(v, "goal");
        json_t *p = json_object_get(v, "phrase");
        const char *term = term_of(json_object_get(v, "term"));
        const char *goal = NULL;
        long long gid = 0;
        if (!json_is_object(v) || term == NULL)
            return bad(im, "interests[%zu].term must be 1 to 127 bytes "
                       "without quotes", i);
        if (w == NULL || !json_is_number(w) || !isfinite(json_number_value(w))
            || fabs(json_number_value(w)) > 10)
            return bad(im, "interests[%zu].weight must be a number from -10 "
                       "to 10", i);
        if (g != NULL && !json_is_null(g)
            && (goal = text_of(g, TERM_MAX, 0, 0)) == NULL)
            return bad(im, "interests[%zu].goal must be a name or null", i);
        if (p != NULL && !json_is_boolean(p))
            return bad(im, "interests[%zu].phrase must be true or false",
                       i);
        if (im->dry)
            continue;
        if (goal != NULL) {
            rc = store_goal_add(im->st, im->uid, goal, &gid);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
        }
        if (rc == CUR_OK)
            rc = store_interest_set(im->st, im->uid, term,
                                    json_number_value(w), gid,
                                    json_is_true(p) || strchr(term, ' '));
        if (rc != CUR_OK)
            return rc;
        im->stats->interests++;
    }
    return rc;
}

static int
imp_mutes(struct imp *im, json_t *root)
{
    json_t *m = json_object_get(root, "mutes"), *a, *v;
    int rc = CUR_OK;
    size_t i;

    if (m == NULL || json_is_null(m))
        return CUR_OK;
    if (!json_is_object(m))
        return bad(im, "\"mutes\" must be an object");
    if ((a = array_of(im, m, "terms", MAX_MUTES, &rc)) == NULL
        && rc != CUR_OK)
        return rc;
    json_array_foreach(a, i, v) {
        const char *t = term_of(v);
        if (t == NULL)
            return bad(im, "mutes.terms[%zu] must be 1 to 127 bytes without "
                       "quotes", i);
        if (!im->dry) {
            if ((rc = store_mute_term(im->st, im->uid, t)) != CUR_OK)
                return rc;
            im->stats->mutes++;
        }
    }
    if ((a = array_of(im, m, "feeds", MAX_MUTES, &rc)) == NULL
        && rc != CUR_OK)
        return rc;
    json_array_foreach(a, i, v) {
        const char *u = feed_url_of(v);
        long long fid;
        if (u == NULL)
            return bad(im, "mutes.feeds[%zu] must be an http(s) URL", i);
        if (!im->dry) {
            rc = feed_id_of(im, u, &fid);
            if (rc == CUR_OK && fid > 0)
                rc = store_mute_feed(im->st, im->uid, fid);
            if (rc != CUR_OK)
                return rc;
            im->stats->mutes++;
        }
    }
    return rc;
}

static int
imp_subs(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "subscriptions", MAX_SUBS, &rc), *v;
    size_t i;

    json_array_foreach(a, i, v) {
        const char *u = feed_url_of(json_object_get(v, "url"));
        json_t *t = json_object_get(v, "title");
        json_t *s = json_object_get(v, "site_url");
        json_t *c = json_object_get(v, "category");
        const char *title = NULL, *site = NULL, *cat = NULL;
        long long fid;
        if (!json_is_object(v) || u == NULL)
            return bad(im, "subscriptions[%zu].url must be an http(s) URL",
                       i);
        if (t && !json_is_null(t)
            && (title = text_of(t, TITLE_MAX, 1, 0)) == NULL)
            return bad(im, "subscriptions[%zu].title must be a string or "
                       "null", i);
        if (s && !json_is_null(s) && (site = url_of(s)) == NULL)
            return bad(im, "subscriptions[%zu].site_url must be an http(s) "
                       "URL or null", i);
        if (c && !json_is_null(c)
            && (cat = text_of(c, TITLE_MAX, 1, 0)) == NULL)
            return bad(im, "subscriptions[%zu].category must be a string "
                       "or null", i);
        if (im->dry)
            continue;
        if (url_ok(u)) {
            rc = store_feed_import(im->st, u, title, site, cat, "web", &fid);
            if (rc == CUR_EEXIST)
                rc = CUR_OK;
        } else {
            rc = feed_id_of(im, u, &fid);
            if (rc == CUR_OK && fid == 0)
                continue;       /* a local feed this server lacks */
        }
        if (rc == CUR_OK)
            rc = store_subscribe(im->st, im->uid, fid);
        if (rc != CUR_OK)
            return rc;
        im->stats->subscriptions++;
    }
    if (rc != CUR_OK)
        return rc;
    a = array_of(im, root, "sources", MAX_SUBS, &rc);
    json_array_foreach(a, i, v) {
        const char *u = feed_url_of(json_object_get(v, "feed"));
        json_t *w = json_object_get(v, "weight");
        long long fid;
        if (!json_is_object(v) || u == NULL)
            return bad(im, "sources[%zu].feed must be an http(s) URL", i);
        if (w == NULL || !json_is_number(w) || !isfinite(json_number_value(w))
            || json_number_value(w) < 0 || json_number_value(w) > 10)
            return bad(im, "sources[%zu].weight must be a number from 0 to "
                       "10", i);
        if (im->dry)
            continue;
        rc = feed_id_of(im, u, &fid);
        if (rc == CUR_OK && fid > 0)
            rc = store_source_weight(im->st, im->uid, fid,
                                     json_number_value(w));
        if (rc != CUR_OK)
            return rc;
    }
    return rc;
}

static int
imp_saved(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "saved", MAX_SAVED, &rc), *v;
    size_t i;

    json_array_foreach(a, i, v) {
        json_t *n = json_object_get(v, "note");
        const char *note = "";
        long long item = 0;
        if (!json_is_object(v))
            return bad(im, "saved[%zu] must be an object", i);
        if (n != NULL && !json_is_null(n)
            && (note = text_of(n, NOTE_MAX, 1, 1)) == NULL)
            return bad(im, "saved[%zu].note must be text of at most 10000 "
                       "bytes", i);
        if ((rc = item_of(im, json_object_get(v, "item"), "saved", i,
                          &item)) != CUR_OK)
            return rc;
        if (im->dry || item == 0)
            continue;
        if ((rc = store_saved_put(im->st, im->uid, item, note, im->now))
            != CUR_OK)
            return rc;
        im->stats->saved++;
    }
    return rc;
}

static int
j_known(void *ctx, const struct store_journal *j)
{
    struct imp *im = ctx;
    if (im->j_n == im->j_cap) {
        size_t cap = im->j_cap ? im->j_cap * 2 : 64;
        long long *c = realloc(im->j_created, cap * sizeof *c);
        if (c == NULL)
            return CUR_ENOMEM;
        im->j_created = c;
        char **b = realloc(im->j_body, cap * sizeof *b);
        if (b == NULL)
            return CUR_ENOMEM;
        im->j_body = b;
        im->j_cap = cap;
    }
    if ((im->j_body[im->j_n] = strdup(j->body)) == NULL)
        return CUR_ENOMEM;
    im->j_created[im->j_n++] = j->created;
    return 0;
}

static int
imp_journal(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "journal", MAX_JOURNAL, &rc), *v;
    size_t i;

    if (a != NULL && !im->dry
        && (rc = store_journal_list(im->st, im->uid, NULL, MAX_JOURNAL,
                                    j_known, im)) != CUR_OK)
        return rc;
    json_array_foreach(a, i, v) {
        const char *text = text_of(json_object_get(v, "text"), ENTRY_MAX, 0,
                                   1);
        json_t *ref = json_object_get(v, "item");
        long long created, item = 0;
        int dup = 0;
        if (!json_is_object(v) || text == NULL)
            return bad(im, "journal[%zu].text must be text of 1 to 20000 "
                       "bytes", i);
        if (time_of(json_object_get(v, "created"), &created))
            return bad(im, "journal[%zu].created must be an RFC 3339 time",
                       i);
        if (ref != NULL && !json_is_null(ref)
            && (rc = item_of(im, ref, "journal", i, &item)) != CUR_OK)
            return rc;
        if (im->dry)
            continue;
        if (created == 0)
            created = im->now;
        for (size_t k = 0; k < im->j_n && !dup; k++)
            dup = im->j_created[k] == created
                  && strcmp(im->j_body[k], text) == 0;
        if (dup)
            continue;
        if ((rc = store_journal_add(im->st, im->uid, item, text, created,
                                    NULL)) != CUR_OK)
            return rc;
        im->stats->journal++;
    }
    return rc;
}

static int
imp_feedback(struct imp *im, json_t *root)
{
    int rc = CUR_OK;
    json_t *a = array_of(im, root, "feedback", MAX_FEEDBACK, &rc), *v;
    size_t i;

    json_array_foreach(a, i, v) {
        const char *verdict = json_string_value(json_object_get(v,
                                                                "verdict"));
        long long item = 0;
        if (!json_is_object(v) || verdict == NULL
            || (strcmp(verdict, "up") != 0 && strcmp(verdict, "down") != 0))
            return bad(im, "feedback[%zu].verdict must be up or down", i);
        if ((rc = item_of(im, json_object_get(v, "item"), "feedback", i,
                          &item)) != CUR_OK)
            return rc;
        if (im->dry || item == 0)
            continue;
        if ((rc = store_feedback_put(im->st, im->uid, item,
                                     verdict[0] == 'u' ? 1 : -1)) != CUR_OK)
            return rc;
        im->stats->feedback++;
    }
    return rc;
}

static int
walk(struct imp *im, json_t *root)
{
    int rc = imp_digest(im, json_object_get(root, "digest"));
    if (rc == CUR_OK)
        rc = imp_goals(im, root);
    if (rc == CUR_OK)
        rc = imp_interests(im, root);
    if (rc == CUR_OK)
        rc = imp_subs(im, root);
    if (rc == CUR_OK)
        rc = imp_mutes(im, root);
    if (rc == CUR_OK)
        rc = imp_saved(im, root);
    if (rc == CUR_OK)
        rc = imp_journal(im, root);
    if (rc == CUR_OK)
        rc = imp_feedback(im, root);
    return rc;
}

int
import_user(struct store *st, long long user_id, const char *data,
            size_t len, long long now, struct import_stats *stats,
            char *err, size_t errlen)
{
    struct imp im = { st, user_id, now, 1, stats, err, errlen,
                      NULL, NULL, 0, 0 };
    json_error_t je;
    json_t *root;
    int rc;

    memset(stats, 0, sizeof *stats);
    err[0] = '\0';
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        snprintf(err, errlen, "not JSON: line %d column %d: %s", je.line,
                 je.column, je.text);
        return CUR_EINVAL;
    }
    const char *fmt = json_string_value(json_object_get(root, "format"));
    json_t *ver = json_object_get(root, "version");
    if (!json_is_object(root) || fmt == NULL
        || strcmp(fmt, EXPORT_FORMAT) != 0) {
        json_decref(root);
        snprintf(err, errlen, "not a Curator export (\"format\" is not "
                 "\"%s\")", EXPORT_FORMAT);
        return CUR_EINVAL;
    }
    if (!json_is_integer(ver) || json_integer_value(ver) != EXPORT_VERSION) {
        json_decref(root);
        snprintf(err, errlen, "export version not supported (this Curator "
                 "reads version %d)", EXPORT_VERSION);
        return CUR_EINVAL;
    }
    rc = walk(&im, root);
    if (rc == CUR_OK) {
        im.dry = 0;
        rc = store_begin(st);
        if (rc == CUR_OK) {
            rc = walk(&im, root);
            if (rc == CUR_OK)
                rc = store_commit(st);
            else
                store_rollback(st);
        }
        if (rc != CUR_OK) {
            memset(stats, 0, sizeof *stats);
            if (err[0] == '\0')
                snprintf(err, errlen, "the import could not be stored: %s",
                         cur_strerror(rc));
        }
    }
    for (size_t i = 0; i < im.j_n; i++)
        free(im.j_body[i]);
    free(im.j_body);
    free(im.j_created);
    json_decref(root);
    return rc;
}
