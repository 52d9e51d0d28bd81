/* The JSON API under /api/v1/: one prefix route (router.c) whose
 * handler checks the bearer token ("Authorization: Bearer cur_..."; a
 * cookie is never read, so cross-site requests have nothing to ride
 * on), finds the resource in a small table of its own, answers 405 with
 * Allow or 403 for a role, reads the body as one JSON object (jansson,
 * duplicate keys refused, nesting bounded, unknown fields refused) and
 * runs the resource's handler. Every field is checked by the same rules
 * as the page that edits it, and a bad one is answered with 400 and a
 * message naming it before anything is stored. Handlers touch only the
 * token owner's rows (WEB-7). Answers are compact JSON; errors are
 * {"error": "..."} (with "field" when one is to blame).
 */
#include "err.h"
#include "form.h"
#include "html.h"
#include "log.h"
#include "score.h"
#include "today_rows.h"
#include "web.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_PREFIX "/api/v1/"
#define API_DEPTH_MAX 8         /* nesting of a request body */
#define API_SEGMENTS 4          /* parts of a resource path */
#define TERM_MAX 127            /* as the Interests page */
#define INTERESTS_MAX 200
#define GOALS_MAX 64
#define NOTE_MAX 10000          /* as the Portfolio page */
#define ENTRY_MAX 20000         /* as the Journal page */
#define QUERY_MAX 200
#define URL_MAX 2048            /* as the Sources page */
#define GEM_NOTE_MAX 1000       /* as the Gems page */
#define GEM_LIST_MAX 1000       /* bytes of the tags or the audience */
#define GEM_DAYS_MAX 365
#define GEM_DAYS_DEFAULT 14     /* the Gems form's default */
#define TODAY_MAX 200
#define SAVED_DEFAULT 100
#define SAVED_MAX 1000
#define JOURNAL_MAX 200

/* One API request. */
struct api {
    struct req *r;
    long long uid;
    long long id;               /* the number in the path, or 0 */
    json_t *body;               /* the request's object, or NULL */
    const char *bad_field;      /* the first field refused */
    char bad_text[JSON_ERROR_TEXT_LENGTH + 64];
};

/* Answers. */

static enum MHD_Result
send_json(struct req *r, unsigned status, json_t *v)
{
    struct buf b;
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(10))
                : NULL;
    json_decref(v);
    if (s == NULL) {
        static const char oom[] = "{\"error\":\"internal error\"}";
        return web_send_static(r, MHD_HTTP_INTERNAL_SERVER_ERROR,
                               "application/json; charset=utf-8", oom,
                               sizeof oom - 1, "no-store");
    }
    buf_init(&b, 0);
    int rc = buf_puts(&b, s);
    free(s);
    if (rc != CUR_OK)
        return MHD_NO;
    return web_send(r, status, "application/json; charset=utf-8", &b);
}

/* Text for JSON: as it is when UTF-8, else with each byte that is not
 * plain ASCII shown as '?' (stored text is UTF-8 already: PARSE-9). */
static json_t *
jstr(const char *s)
{
    json_t *v;
    char *copy;

    if (s == NULL)
        return json_null();
    if ((v = json_string(s)) != NULL || (copy = strdup(s)) == NULL)
        return v;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

static json_t *
jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* Set o[k] = v (taken); non-zero when v is NULL or memory ran out. */
static int
put(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v) != 0;
}

/* Append v to a, which then owns it; non-zero on failure, when v is
 * still the caller's (NULL is a failure). */
static int
push(json_t *a, json_t *v)
{
    if (v == NULL || json_array_append(a, v) != 0)
        return 1;
    json_decref(v);
    return 0;
}

enum MHD_Result
api_error(struct req *r, unsigned status, const char *message)
{
    json_t *o = json_object();
    if (o != NULL && put(o, "error", jstr(message))) {
        json_decref(o);
        o = NULL;
    }
    return send_json(r, status, o);
}

static enum MHD_Result
fail(struct api *a, unsigned status, const char *message)
{
    return api_error(a->r, status, message);
}

static enum MHD_Result
internal(struct api *a, const char *what, int rc)
{
    log_err("api failed what=%s user=%lld err=\"%s\"", what, a->uid,
            cur_strerror(rc));
    return fail(a, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
}

/* Refuse 'field' (names come from this file, never from the request
 * but through field_name()); the first refusal is the one answered. */
static int
refuse(struct api *a, const char *field, const char *problem)
{
    if (a->bad_field == NULL) {
        a->bad_field = field;
        snprintf(a->bad_text, sizeof a->bad_text, "%s", problem);
    }
    return -1;
}

static enum MHD_Result
field_error(struct api *a, unsigned status)
{
    char msg[400];
    json_t *o = json_object();
    snprintf(msg, sizeof msg, "%s: %s", a->bad_field[0] ? a->bad_field
                                                        : "\"\"",
             a->bad_text);
    if (o != NULL && (put(o, "error", jstr(msg))
                      || put(o, "field", jstr(a->bad_field)))) {
        json_decref(o);
        o = NULL;
    }
    return send_json(a->r, status, o);
}

static enum MHD_Result
bad_request(struct api *a)
{
    return field_error(a, MHD_HTTP_BAD_REQUEST);
}

static enum MHD_Result
no_content(struct req *r)
{
    return web_send_static(r, MHD_HTTP_NO_CONTENT, NULL, "", 0, "no-store");
}

static enum MHD_Result
created(struct req *r, const char *kind, long long id, json_t *v)
{
    char where[96];
    snprintf(where, sizeof where, API_PREFIX "%s/%lld", kind, id);
    web_header(r, "Location", where);
    return send_json(r, MHD_HTTP_CREATED, v);
}

/* The request body. */

/* Nesting deeper than API_DEPTH_MAX is refused before jansson (whose
 * own limit is 2048 levels of recursion) sees it. */
static int
too_deep(const char *s, size_t n)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > API_DEPTH_MAX)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

/* A key from the request, cut to 48 bytes on a UTF-8 boundary, for a
 * message (jansson has checked that it is UTF-8). */
static const char *
field_name(const char *key, char *out, size_t len)
{
    size_t n = strlen(key);
    if (n > 48) {
        n = 48;
        while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
            n--;
    }
    if (n >= len)
        n = len - 1;
    memcpy(out, key, n);
    out[n] = '\0';
    return out;
}

/* Read the body into a->body: CUR_OK (a->body NULL when there is none),
 * or CUR_EINVAL with the answer sent in *ret. */
static int
read_body(struct api *a, enum MHD_Result *ret)
{
    struct req *r = a->r;
    const char *ct = web_req_header(r, "Content-Type");
    json_error_t je;
    char clean[JSON_ERROR_TEXT_LENGTH];

    if (r->body.len == 0)
        return CUR_OK;
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0
        || (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
        *ret = fail(a, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                    "body: send JSON with Content-Type: application/json");
        return CUR_EINVAL;
    }
    if (too_deep(r->body.data, r->body.len)) {
        snprintf(a->bad_text, sizeof a->bad_text, "nested more than %d "
                 "levels deep", API_DEPTH_MAX);
        a->bad_field = "body";
        *ret = bad_request(a);
        return CUR_EINVAL;
    }
    /* NUL (\u0000) and invalid UTF-8 are refused by jansson itself. */
    a->body = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES,
                         &je);
    if (a->body == NULL) {
        /* The parser's text may quote the request: ASCII only. */
        size_t i;
        for (i = 0; je.text[i] && i < sizeof clean - 1; i++)
            clean[i] = (je.text[i] >= 0x20 && je.text[i] < 0x7f)
                       ? je.text[i] : '?';
        clean[i] = '\0';
        snprintf(a->bad_text, sizeof a->bad_text, "not valid JSON: %s "
                 "(line %d, column %d)", clean, je.line, je.column);
        a->bad_field = "body";
        *ret = bad_request(a);
        return CUR_EINVAL;
    }
    if (!json_is_object(a->body)) {
        refuse(a, "body", "expected a JSON object");
        *ret = bad_request(a);
        return CUR_EINVAL;
    }
    return CUR_OK;
}

/* Refuse members of the body other than 'known' (NULL-ended). */
static int
only_fields(struct api *a, const char *const *known)
{
    const char *key;
    json_t *v;
    static _Thread_local char name[64];

    if (a->body == NULL)
        return 0;
    json_object_foreach(a->body, key, v) {
        size_t i;
        for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
            ;
        if (known[i] == NULL)
            return refuse(a, field_name(key, name, sizeof name),
                          "unknown field");
    }
    return 0;
}

/* Text without NUL or control characters other than tab, CR and LF
 * (multi), or none at all; jansson has checked the UTF-8. */
static int
text_ok(const char *s, int multi)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(multi && (*p == '\n' || *p == '\r'
                                      || *p == '\t'))) || *p == 0x7f)
            return 0;
    return 1;
}

/* A string member: *out is NULL when absent (refused if 'required'). */
static int
get_text(struct api *a, const char *key, int required, size_t max,
         int multi, const char **out)
{
    json_t *v = a->body ? json_object_get(a->body, key) : NULL;
    char why[80];

    *out = NULL;
    if (v == NULL)
        return required ? refuse(a, key, "required") : 0;
    if (!json_is_string(v))
        return refuse(a, key, "expected a string");
    if (json_string_length(v) > max) {
        snprintf(why, sizeof why, "at most %zu bytes", max);
        return refuse(a, key, why);
    }
    if (!text_ok(json_string_value(v), multi))
        return refuse(a, key, multi ? "no control characters but tab and "
                                      "line breaks"
                                    : "no control characters");
    *out = json_string_value(v);
    return 0;
}

/* A positive whole number member (null allowed when 'nullable': *out 0). */
static int
get_id(struct api *a, const char *key, int required, int nullable,
       long long *out)
{
    json_t *v = a->body ? json_object_get(a->body, key) : NULL;

    *out = 0;
    if (v == NULL)
        return required ? refuse(a, key, "required") : 0;
    if (nullable && json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return refuse(a, key, "expected a positive whole number");
    *out = json_integer_value(v);
    return 0;
}

/* Strings joined with commas: a string as it is, or an array of
 * strings without commas. *out (free()) is NULL when absent. */
static int
get_list(struct api *a, const char *key, size_t max, char **out)
{
    json_t *v = a->body ? json_object_get(a->body, key) : NULL;
    const char *s;
    struct buf b;
    size_t i;
    json_t *e;
    char why[80];

    *out = NULL;
    if (v == NULL)
        return 0;
    snprintf(why, sizeof why, "at most %zu bytes", max);
    if (json_is_string(v)) {
        if (get_text(a, key, 1, max, 0, &s) != 0)
            return -1;
        return (*out = strdup(s)) ? 0 : refuse(a, key, "out of memory");
    }
    if (!json_is_array(v))
        return refuse(a, key, "expected a string or an array of strings");
    buf_init(&b, max);
    if (buf_puts(&b, "") != CUR_OK)
        return refuse(a, key, "out of memory");
    json_array_foreach(v, i, e) {
        if (!json_is_string(e)) {
            buf_free(&b);
            return refuse(a, key, "expected an array of strings");
        }
        s = json_string_value(e);
        if (!text_ok(s, 0) || strchr(s, ',') != NULL) {
            buf_free(&b);
            return refuse(a, key, "no commas or control characters in an "
                                  "entry");
        }
        if ((i > 0 && buf_puts(&b, ",") != CUR_OK)
            || buf_puts(&b, s) != CUR_OK)
            return refuse(a, key, why);     /* buf_* freed it */
    }
    *out = buf_steal(&b);
    return *out ? 0 : refuse(a, key, "out of memory");
}

/* A whole-number query argument from lo to hi, 'dflt' when absent. */
static int
query_int(struct api *a, const char *key, long long lo, long long hi,
          long long dflt, long long *out)
{
    const char *s = web_query(a->r, key);
    char why[80];

    *out = dflt;
    if (s == NULL)
        return 0;
    *out = web_id(s);
    if (*out < lo || *out > hi) {
        snprintf(why, sizeof why, "a whole number from %lld to %lld", lo,
                 hi);
        return refuse(a, key, why);
    }
    return 0;
}

/* Items the user may see (from a subscription, or scored, saved or
 * voted on). */
struct seen {
    long long feed_id;
    int found;
};

static int
seen_row(void *ctx, const struct store_item *it)
{
    struct seen *s = ctx;
    s->feed_id = it->feed_id;
    s->found = 1;
    return 0;
}

static json_t *
item_ref(const struct store_item_ref *it)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    if (put(o, "id", json_integer(it->item_id))
        | put(o, "title", jstr(it->title))
        | put(o, "link", jstr(html_safe_url(it->link) ? it->link : NULL))
        | put(o, "feed_id", json_integer(it->feed_id))
        | put(o, "feed_title", jstr(it->feed_title))
        | put(o, "feed_url", jstr(it->feed_url))
        | put(o, "published", json_integer(it->published))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* GET me. */

static enum MHD_Result
api_me(struct api *a)
{
    struct store_user_info u;
    int rc = store_user_info(a->r->st, a->uid, &u);
    json_t *o;

    if (rc != CUR_OK)
        return internal(a, "me", rc);
    if ((o = json_object()) == NULL
        || put(o, "id", json_integer(u.id)) | put(o, "name", jstr(u.name))
           | put(o, "email", jstr(u.email)) | put(o, "role", jstr(u.role))
           | put(o, "created", json_integer(u.created))) {
        json_decref(o);
        return internal(a, "me", CUR_ENOMEM);
    }
    return send_json(a->r, MHD_HTTP_OK, o);
}

/* GET today: the ranked items grouped as the Today page groups them
 * (today_rows.h). */

struct trow {
    json_t *item;
    size_t feed;                /* in the keys' arena, for "also_in" */
};

static json_t *
reasons_json(const char *stored)
{
    struct score_reason rs[SCORE_MAX_REASONS];
    size_t n = scorer_reasons_parse(stored, rs, SCORE_MAX_REASONS);
    json_t *v = json_array();

    for (size_t i = 0; v != NULL && i < n; i++) {
        json_t *o = json_object();
        if (o == NULL || put(o, "filter", jstr(rs[i].filter))
                         | put(o, "contribution",
                               jreal(rs[i].contribution))
                         | put(o, "text", jstr(rs[i].text))
            || push(v, o)) {
            json_decref(o);
            json_decref(v);
            return NULL;
        }
    }
    return v;
}

static json_t *
ranked_json(const struct store_ranked *s, int is_gem)
{
    json_t *o = json_object(), *feed = json_object(), *gem = json_null();
    int bad = o == NULL || feed == NULL;

    if (!bad && is_gem && s->gem_editor != NULL) {
        gem = json_object();
        bad = gem == NULL || put(gem, "editor", jstr(s->gem_editor))
                             | put(gem, "note", jstr(s->gem_note));
    }
    if (!bad)
        bad = put(feed, "id", json_integer(s->feed_id))
              | put(feed, "title", jstr(s->feed_title))
              | put(feed, "url", jstr(s->feed_url));
    if (bad) {
        json_decref(o);
        json_decref(feed);
        json_decref(gem);
        return NULL;
    }
    bad = put(o, "id", json_integer(s->item_id))
          | put(o, "title", jstr(s->title))
          | put(o, "link", jstr(html_safe_url(s->link) ? s->link : NULL))
          | put(o, "feed", feed)
          | put(o, "snippet", jstr(s->snippet))
          | put(o, "published", json_integer(s->published))
          | put(o, "fetched", json_integer(s->fetched))
          | put(o, "score", jreal(s->score))
          | put(o, "reasons", reasons_json(s->reasons))
          | put(o, "verdict", s->verdict > 0 ? jstr("up")
                              : s->verdict < 0 ? jstr("down") : json_null())
          | put(o, "saved", json_boolean(s->saved))
          | put(o, "gem", gem);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int
today_row(void *ctx, const struct store_ranked *s)
{
    struct today_rows *t = ctx;
    struct trow *w = today_rows_add(t, s);

    if (w == NULL)
        return t->rc;
    w->feed = today_rows_keep(t, s->feed_title && s->feed_title[0]
                                 ? s->feed_title : s->feed_url);
    w->item = ranked_json(s, t->keys[t->n - 1].gem);
    if (w->item == NULL)
        t->rc = CUR_ENOMEM;
    return t->rc;
}

static void
today_free(struct today_rows *t)
{
    struct trow *rows = t->rows;
    for (size_t i = 0; i < t->n; i++)
        json_decref(rows[i].item);
    today_rows_free(t);
}

/* Section 's' with its rows, "also_in" added; none when it is empty. */
static int
today_section(const struct today_rows *t, json_t *groups, size_t s)
{
    const struct trow *rows = t->rows;
    json_t *sec = json_object(), *items = json_array();
    int bad = sec == NULL || items == NULL;

    for (size_t i = 0; !bad && i < t->n; i++) {
        if (t->keys[i].section != s)
            continue;
        json_t *also = json_array();
        for (size_t j = today_rows_also(t, i, i); also != NULL && j < t->n;
             j = today_rows_also(t, i, j)) {
            json_t *o;
            if ((o = json_object()) == NULL
                || put(o, "id", json_deep_copy(json_object_get(rows[j].item,
                                                               "id")))
                   | put(o, "feed", jstr(today_rows_str(t, rows[j].feed)))
                || push(also, o)) {
                json_decref(o);
                bad = 1;
                break;
            }
        }
        json_t *copy = also ? json_copy(rows[i].item) : NULL;
        if (copy == NULL || put(copy, "also_in", also) || push(items, copy)) {
            if (copy == NULL)
                json_decref(also);
            json_decref(copy);
            bad = 1;
        }
    }
    if (bad || json_array_size(items) == 0) {
        json_decref(sec);
        json_decref(items);
        return bad;
    }
    const char *heading, *goal;
    const char *kind = today_rows_section(t, s, &heading, &goal);
    char title[TERM_MAX + 16];
    snprintf(title, sizeof title, "%s%s", heading, goal ? goal : "");
    bad = put(sec, "kind", jstr(kind)) | put(sec, "title", jstr(title))
          | put(sec, "goal", jstr(goal)) | put(sec, "items", items);
    if (bad || push(groups, sec)) {
        json_decref(sec);
        return 1;
    }
    return 0;
}

static enum MHD_Result
api_today(struct api *a)
{
    struct req *r = a->r;
    struct today_rows t;
    size_t n_sections;
    long long limit;
    long long since = r->now - r->w->window;
    json_t *o, *groups;
    int rc, bad;

    if (query_int(a, "limit", 1, TODAY_MAX, r->w->page_items, &limit))
        return bad_request(a);
    today_rows_init(&t, sizeof(struct trow));
    rc = store_ranked(r->st, a->uid, since, r->now, (int)limit, today_row,
                      &t);
    if (rc == CUR_OK)
        rc = t.rc;
    if (rc != CUR_OK) {
        today_free(&t);
        return internal(a, "today", rc);
    }
    n_sections = today_rows_sections(&t);
    o = json_object();
    groups = json_array();
    bad = o == NULL || groups == NULL;
    for (size_t s = 0; !bad && s < n_sections; s++)
        bad = today_section(&t, groups, s);
    if (!bad)
        bad = put(o, "since", json_integer(since))
              | put(o, "count", json_integer((long long)t.shown))
              | put(o, "groups", groups);
    else
        json_decref(groups);
    today_free(&t);
    if (bad) {
        json_decref(o);
        return internal(a, "today", CUR_ENOMEM);
    }
    return send_json(r, MHD_HTTP_OK, o);
}

/* POST items/ID/feedback. */

static enum MHD_Result
api_feedback(struct api *a)
{
    static const char *const known[] = { "vote", NULL };
    struct req *r = a->r;
    struct seen s = { 0, 0 };
    const char *vote;
    json_t *o;
    int rc;

    if (only_fields(a, known) || get_text(a, "vote", 1, 8, 0, &vote))
        return bad_request(a);
    if (strcmp(vote, "up") != 0 && strcmp(vote, "down") != 0
        && strcmp(vote, "less") != 0) {
        refuse(a, "vote", "one of \"up\", \"down\" or \"less\"");
        return bad_request(a);
    }
    rc = store_item_for_user(r->st, a->uid, a->id, seen_row, &s);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such item");
    if (rc != CUR_OK)
        return internal(a, "feedback", rc);
    if (strcmp(vote, "less") == 0)
        rc = store_source_weight(r->st, a->uid, s.feed_id, 0.5);
    else
        rc = store_feedback_put(r->st, a->uid, a->id,
                                vote[0] == 'u' ? 1 : -1);
    if (rc != CUR_OK)
        return internal(a, "feedback", rc);
    o = json_object();
    if (o == NULL || put(o, "item", json_integer(a->id))
                     | put(o, "vote", jstr(vote))) {
        json_decref(o);
        return internal(a, "feedback", CUR_ENOMEM);
    }
    return send_json(r, MHD_HTTP_OK, o);
}

/* PUT and DELETE items/ID/saved. */

static enum MHD_Result
api_saved_item(struct api *a)
{
    static const char *const known[] = { "note", NULL };
    struct req *r = a->r;
    struct seen s = { 0, 0 };
    const char *note;
    int rc;

    if (strcmp(r->method, "DELETE") == 0) {
        rc = store_saved_remove(r->st, a->uid, a->id);
        if (rc == CUR_ENOTFOUND)
            return fail(a, MHD_HTTP_NOT_FOUND, "that item is not saved");
        if (rc != CUR_OK)
            return internal(a, "unsave", rc);
        return no_content(r);
    }
    if (only_fields(a, known) || get_text(a, "note", 0, NOTE_MAX, 1, &note))
        return bad_request(a);
    rc = store_item_for_user(r->st, a->uid, a->id, seen_row, &s);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such item");
    if (rc == CUR_OK)
        rc = store_saved_put(r->st, a->uid, a->id, note, r->now);
    if (rc != CUR_OK)
        return internal(a, "save", rc);
    return no_content(r);
}

/* GET saved. */

struct list {
    json_t *v;
    int rc;
};

static int
saved_row(void *ctx, const struct store_saved *s)
{
    struct list *l = ctx;
    json_t *o = json_object();
    if (o == NULL || put(o, "item", item_ref(&s->item))
                     | put(o, "note", jstr(s->note))
                     | put(o, "summary", jstr(s->summary))
                     | put(o, "created", json_integer(s->created))
                     | put(o, "updated", json_integer(s->updated))
        || push(l->v, o)) {
        json_decref(o);
        return l->rc = CUR_ENOMEM;
    }
    return 0;
}

/* Answer {key: [rows]} from 'rc' and the list. */
static enum MHD_Result
send_list(struct api *a, const char *key, struct list *l, int rc,
          const char *what)
{
    json_t *o;
    if (rc == CUR_OK)
        rc = l->rc;
    if (rc != CUR_OK) {
        json_decref(l->v);
        return internal(a, what, rc);
    }
    if ((o = json_object()) == NULL)
        json_decref(l->v);
    if (o == NULL || put(o, key, l->v)) {
        json_decref(o);
        return internal(a, what, CUR_ENOMEM);
    }
    return send_json(a->r, MHD_HTTP_OK, o);
}

static enum MHD_Result
api_saved(struct api *a)
{
    struct list l = { json_array(), CUR_OK };
    long long limit;
    int rc;

    if (query_int(a, "limit", 1, SAVED_MAX, SAVED_DEFAULT, &limit)) {
        json_decref(l.v);
        return bad_request(a);
    }
    rc = l.v ? store_saved_list(a->r->st, a->uid, (int)limit, saved_row, &l)
             : CUR_ENOMEM;
    return send_list(a, "saved", &l, rc, "saved");
}

/* Goals. */

static json_t *
goal_json(long long id, const char *name)
{
    json_t *o = json_object();
    if (o == NULL || put(o, "id", json_integer(id))
                     | put(o, "name", jstr(name))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int
goal_row(void *ctx, long long id, const char *name)
{
    struct list *l = ctx;
    json_t *o = goal_json(id, name);
    if (push(l->v, o)) {
        json_decref(o);
        return l->rc = CUR_ENOMEM;
    }
    return 0;
}

/* A goal name as the Interests page takes it: trimmed, 1 to 127 bytes,
 * no control characters; into out. */
static int
goal_name(struct api *a, char *out, size_t len)
{
    static const char *const known[] = { "name", NULL };
    const char *v;
    size_t n;

    if (only_fields(a, known) || get_text(a, "name", 1, 4096, 0, &v))
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0)
        return refuse(a, "name", "give the goal a name");
    if (n > TERM_MAX || n >= len)
        return refuse(a, "name", "at most 127 bytes");
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

static int
count_one(void *ctx, long long id, const char *name)
{
    (void)id;
    (void)name;
    (*(long long *)ctx)++;
    return 0;
}

/* ctx: { goal id, found }. */
static int
goal_owned(void *ctx, long long id, const char *name)
{
    long long *want = ctx;
    (void)name;
    if (id == want[0])
        want[1] = 1;
    return 0;
}

static enum MHD_Result
api_goals(struct api *a)
{
    struct req *r = a->r;
    char name[TERM_MAX + 1];
    long long id, n = 0;
    int rc;

    if (strcmp(r->method, "POST") != 0) {
        struct list l = { json_array(), CUR_OK };
        rc = l.v ? store_goal_list(r->st, a->uid, goal_row, &l) : CUR_ENOMEM;
        return send_list(a, "goals", &l, rc, "goals");
    }
    if (goal_name(a, name, sizeof name))
        return bad_request(a);
    if ((rc = store_goal_list(r->st, a->uid, count_one, &n)) != CUR_OK)
        return internal(a, "goal add", rc);
    if (n >= GOALS_MAX) {
        refuse(a, "name", "at most 64 goals: remove one first");
        return bad_request(a);
    }
    rc = store_goal_add(r->st, a->uid, name, &id);
    if (rc == CUR_EEXIST) {
        refuse(a, "name", "you have that goal already");
        return field_error(a, MHD_HTTP_CONFLICT);
    }
    if (rc != CUR_OK)
        return internal(a, "goal add", rc);
    return created(r, "goals", id, goal_json(id, name));
}

static enum MHD_Result
api_goal(struct api *a)
{
    struct req *r = a->r;
    char name[TERM_MAX + 1];
    int rc;

    if (strcmp(r->method, "DELETE") == 0) {
        rc = store_goal_remove(r->st, a->uid, a->id);
        if (rc == CUR_ENOTFOUND)
            return fail(a, MHD_HTTP_NOT_FOUND, "no such goal");
        if (rc != CUR_OK)
            return internal(a, "goal remove", rc);
        return no_content(r);
    }
    if (goal_name(a, name, sizeof name))
        return bad_request(a);
    rc = store_goal_rename(r->st, a->uid, a->id, name);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such goal");
    if (rc == CUR_EEXIST) {
        refuse(a, "name", "you have that goal already");
        return field_error(a, MHD_HTTP_CONFLICT);
    }
    if (rc != CUR_OK)
        return internal(a, "goal rename", rc);
    return send_json(r, MHD_HTTP_OK, goal_json(a->id, name));
}

/* Interests. */

static json_t *
interest_json(const struct store_interest_row *in)
{
    json_t *o = json_object(), *goal = json_null();
    if (o != NULL && in->goal_id > 0)
        goal = goal_json(in->goal_id, in->goal);
    if (o == NULL || put(o, "id", json_integer(in->id))
                     | put(o, "term", jstr(in->term))
                     | put(o, "weight", jreal(in->weight))
                     | put(o, "goal", goal)
                     | put(o, "phrase", json_boolean(in->is_phrase))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int
interest_row(void *ctx, const struct store_interest_row *in)
{
    struct list *l = ctx;
    json_t *o = interest_json(in);
    if (push(l->v, o)) {
        json_decref(o);
        return l->rc = CUR_ENOMEM;
    }
    return 0;
}

/* Finding one of the user's interests by id or by term. */
struct find_interest {
    long long id;
    const char *term;
    long long n;                /* rows seen */
    json_t *found;
    char found_term[TERM_MAX + 1];
};

static int
find_interest(void *ctx, const struct store_interest_row *in)
{
    struct find_interest *f = ctx;
    f->n++;
    if (f->found == NULL && ((f->id > 0 && in->id == f->id)
                             || (f->term && strcmp(in->term, f->term) == 0))) {
        snprintf(f->found_term, sizeof f->found_term, "%s", in->term);
        if ((f->found = interest_json(in)) == NULL)
            return CUR_ENOMEM;
    }
    return 0;
}

/* A term as the Interests page takes it: trimmed, 1 to 127 bytes, no
 * quotes or control characters; several words make a phrase. */
static int
check_term(struct api *a, char *out, size_t len, int *phrase)
{
    const char *v;
    size_t n;

    if (get_text(a, "term", 1, 4096, 0, &v))
        return -1;
    while (*v == ' ')
        v++;
    n = strlen(v);
    while (n > 0 && v[n - 1] == ' ')
        n--;
    if (n == 0)
        return refuse(a, "term", "give a word or a phrase");
    if (n > TERM_MAX || n >= len)
        return refuse(a, "term", "at most 127 bytes");
    if (memchr(v, '"', n) != NULL)
        return refuse(a, "term", "no quotes: set \"phrase\" instead");
    memcpy(out, v, n);
    out[n] = '\0';
    if (strchr(out, ' ') != NULL)
        *phrase = 1;
    return 0;
}

static enum MHD_Result
api_interests(struct api *a)
{
    static const char *const known[] = { "term", "weight", "goal", "phrase",
                                         NULL };
    struct req *r = a->r;
    char term[TERM_MAX + 1];
    double weight = 1.0;
    long long goal = 0;
    int phrase = 0, rc;
    json_t *v;

    if (strcmp(r->method, "POST") != 0) {
        struct list l = { json_array(), CUR_OK };
        rc = l.v ? store_interest_rows(r->st, a->uid, interest_row, &l)
                 : CUR_ENOMEM;
        return send_list(a, "interests", &l, rc, "interests");
    }
    if (only_fields(a, known))
        return bad_request(a);
    v = a->body ? json_object_get(a->body, "phrase") : NULL;
    if (v != NULL && !json_is_boolean(v))
        refuse(a, "phrase", "expected true or false");
    else if (v != NULL)
        phrase = json_is_true(v);
    if (check_term(a, term, sizeof term, &phrase))
        return bad_request(a);
    v = a->body ? json_object_get(a->body, "weight") : NULL;
    if (v != NULL && (!json_is_number(v) || !isfinite(json_number_value(v))
                      || fabs(json_number_value(v)) > 10)) {
        refuse(a, "weight", "a number from -10 to 10");
        return bad_request(a);
    }
    if (v != NULL)
        weight = json_number_value(v);
    if (get_id(a, "goal", 0, 1, &goal))
        return bad_request(a);
    if (a->bad_field)
        return bad_request(a);
    if (goal > 0) {
        long long want[2] = { goal, 0 };
        rc = store_goal_list(r->st, a->uid, goal_owned, want);
        if (rc != CUR_OK)
            return internal(a, "interest add", rc);
        if (!want[1]) {
            refuse(a, "goal", "not one of your goals");
            return bad_request(a);
        }
    }
    struct find_interest f = { .term = term };
    rc = store_interest_rows(r->st, a->uid, find_interest, &f);
    if (rc != CUR_OK)
        return internal(a, "interest add", rc);
    int existed = f.found != NULL;
    json_decref(f.found);
    if (!existed && f.n >= INTERESTS_MAX) {
        refuse(a, "term", "at most 200 interests: remove one first");
        return bad_request(a);
    }
    rc = store_interest_set(r->st, a->uid, term, weight, goal, phrase);
    if (rc != CUR_OK)
        return internal(a, "interest add", rc);
    struct find_interest g = { .term = term };
    rc = store_interest_rows(r->st, a->uid, find_interest, &g);
    if (rc != CUR_OK || g.found == NULL) {
        json_decref(g.found);
        return internal(a, "interest add", rc ? rc : CUR_ENOTFOUND);
    }
    if (existed)
        return send_json(r, MHD_HTTP_OK, g.found);
    return created(r, "interests",
                   json_integer_value(json_object_get(g.found, "id")),
                   g.found);
}

static enum MHD_Result
api_interest(struct api *a)
{
    struct req *r = a->r;
    struct find_interest f = { .id = a->id };
    int rc = store_interest_rows(r->st, a->uid, find_interest, &f);

    if (rc != CUR_OK) {
        json_decref(f.found);
        return internal(a, "interest remove", rc);
    }
    if (f.found == NULL)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such interest");
    json_decref(f.found);
    rc = store_interest_remove(r->st, a->uid, f.found_term);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such interest");
    if (rc != CUR_OK)
        return internal(a, "interest remove", rc);
    return no_content(r);
}

/* Subscriptions. */

static int
sub_row(void *ctx, const struct store_subscription *s)
{
    struct list *l = ctx;
    json_t *o = json_object();
    if (o == NULL || put(o, "id", json_integer(s->feed_id))
                     | put(o, "url", jstr(s->url))
                     | put(o, "title", jstr(s->title))
                     | put(o, "site_url", jstr(html_safe_url(s->site_url)
                                               ? s->site_url : NULL))
                     | put(o, "category", jstr(s->category))
                     | put(o, "weight", jreal(s->weight))
                     | put(o, "muted", json_boolean(s->muted))
                     | put(o, "last_success", json_integer(s->last_success))
                     | put(o, "last_error", jstr(s->last_error))
        || push(l->v, o)) {
        json_decref(o);
        return l->rc = CUR_ENOMEM;
    }
    return 0;
}

static enum MHD_Result
api_subscriptions(struct api *a)
{
    static const char *const known[] = { "url", NULL };
    struct req *r = a->r;
    const char *url;
    long long fid;
    json_t *o;
    int had = 0, rc;

    if (strcmp(r->method, "POST") != 0) {
        struct list l = { json_array(), CUR_OK };
        rc = l.v ? store_subscription_list(r->st, a->uid, sub_row, &l)
                 : CUR_ENOMEM;
        return send_list(a, "subscriptions", &l, rc, "subscriptions");
    }
    if (only_fields(a, known) || get_text(a, "url", 1, URL_MAX, 0, &url))
        return bad_request(a);
    if (!sources_url_ok(url)) {
        refuse(a, "url", "give a full http:// or https:// feed address");
        return bad_request(a);
    }
    if (r->w->refuse_private && sources_url_internal(url)) {
        log_info("api subscription refused user=%lld reason=internal",
                 a->uid);
        refuse(a, "url", "that address is internal: it is not fetched for "
                         "web users");
        return bad_request(a);
    }
    rc = sources_subscribe(r->st, a->uid, url, NULL, &fid, &had);
    if (rc != CUR_OK)
        return internal(a, "subscribe", rc);
    o = json_object();
    if (o == NULL || put(o, "id", json_integer(fid))
                     | put(o, "url", jstr(url))) {
        json_decref(o);
        return internal(a, "subscribe", CUR_ENOMEM);
    }
    if (had)
        return send_json(r, MHD_HTTP_OK, o);
    return created(r, "subscriptions", fid, o);
}

static enum MHD_Result
api_subscription(struct api *a)
{
    int rc = store_unsubscribe(a->r->st, a->uid, a->id);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such subscription");
    if (rc != CUR_OK)
        return internal(a, "unsubscribe", rc);
    return no_content(a->r);
}

/* The journal. */

static json_t *
entry_json(const struct store_journal *j)
{
    json_t *o = json_object();
    if (o == NULL || put(o, "id", json_integer(j->id))
                     | put(o, "body", jstr(j->body))
                     | put(o, "created", json_integer(j->created))
                     | put(o, "updated", json_integer(j->updated))
                     | put(o, "item", j->item.item_id ? item_ref(&j->item)
                                                      : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int
entry_row(void *ctx, const struct store_journal *j)
{
    struct list *l = ctx;
    json_t *o = entry_json(j);
    if (push(l->v, o)) {
        json_decref(o);
        return l->rc = CUR_ENOMEM;
    }
    return 0;
}

static int
entry_one(void *ctx, const struct store_journal *j)
{
    json_t **out = ctx;
    json_decref(*out);
    *out = entry_json(j);
    return *out ? 0 : CUR_ENOMEM;
}

/* The entry 'id' as JSON with 'status' (and Location when created). */
static enum MHD_Result
send_entry(struct api *a, long long id, unsigned status)
{
    json_t *o = NULL;
    int rc = store_journal_get(a->r->st, a->uid, id, entry_one, &o);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such entry");
    if (rc != CUR_OK || o == NULL) {
        json_decref(o);
        return internal(a, "journal read", rc ? rc : CUR_ENOMEM);
    }
    if (status == MHD_HTTP_CREATED)
        return created(a->r, "journal", id, o);
    return send_json(a->r, status, o);
}

/* A journal entry's body: not only white space, at most ENTRY_MAX. */
static int
entry_body(struct api *a, const char **body)
{
    const char *p;
    if (get_text(a, "body", 1, ENTRY_MAX, 1, body))
        return -1;
    for (p = *body; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';)
        p++;
    if (*p == '\0')
        return refuse(a, "body", "write something first");
    return 0;
}

static enum MHD_Result
api_journal(struct api *a)
{
    static const char *const known[] = { "body", "item", NULL };
    struct req *r = a->r;
    const char *body;
    long long item, id, limit;
    int rc;

    if (strcmp(r->method, "POST") != 0) {
        const char *q = web_query(r, "q");
        struct list l = { NULL, CUR_OK };
        if (q != NULL && strlen(q) > QUERY_MAX)
            refuse(a, "q", "at most 200 bytes");
        if (query_int(a, "limit", 1, JOURNAL_MAX, JOURNAL_MAX, &limit)
            || a->bad_field)
            return bad_request(a);
        l.v = json_array();
        rc = l.v ? store_journal_list(r->st, a->uid, q, (int)limit,
                                      entry_row, &l)
                 : CUR_ENOMEM;
        return send_list(a, "entries", &l, rc, "journal");
    }
    if (only_fields(a, known) || entry_body(a, &body)
        || get_id(a, "item", 0, 1, &item))
        return bad_request(a);
    if (item > 0) {
        struct seen s = { 0, 0 };
        rc = store_item_for_user(r->st, a->uid, item, seen_row, &s);
        if (rc == CUR_ENOTFOUND) {
            refuse(a, "item", "no such item");
            return field_error(a, MHD_HTTP_NOT_FOUND);
        }
        if (rc != CUR_OK)
            return internal(a, "journal add", rc);
    }
    rc = store_journal_add(r->st, a->uid, item, body, r->now, &id);
    if (rc != CUR_OK)
        return internal(a, "journal add", rc);
    return send_entry(a, id, MHD_HTTP_CREATED);
}

static enum MHD_Result
api_journal_entry(struct api *a)
{
    static const char *const known[] = { "body", NULL };
    struct req *r = a->r;
    const char *body;
    int rc;

    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        return send_entry(a, a->id, MHD_HTTP_OK);
    if (strcmp(r->method, "DELETE") == 0) {
        rc = store_journal_remove(r->st, a->uid, a->id);
        if (rc == CUR_ENOTFOUND)
            return fail(a, MHD_HTTP_NOT_FOUND, "no such entry");
        if (rc != CUR_OK)
            return internal(a, "journal remove", rc);
        return no_content(r);
    }
    if (only_fields(a, known) || entry_body(a, &body))
        return bad_request(a);
    rc = store_journal_update(r->st, a->uid, a->id, body, r->now);
    if (rc == CUR_ENOTFOUND)
        return fail(a, MHD_HTTP_NOT_FOUND, "no such entry");
    if (rc != CUR_OK)
        return internal(a, "journal update", rc);
    return send_entry(a, a->id, MHD_HTTP_OK);
}

/* POST gems (editors and admins). */

static int
gem_item(void *ctx, const struct store_scoring_item *it)
{
    (void)ctx;
    (void)it;
    return 0;
}

/* Tags or audience through the Gems page's own rules (pages_admin.c):
 * *out (free()) gets what the store keeps. */
static int
gem_clean(struct api *a, const char *key, const char *typed, char **out)
{
    struct buf b;
    char err[200];
    int rc;

    *out = NULL;
    buf_init(&b, 8192);
    rc = strcmp(key, "tags") == 0
         ? gem_tags_clean(typed, &b, err, sizeof err)
         : gem_audience_clean(a->r->st, typed, &b, err, sizeof err);
    if (rc == CUR_OK && (*out = buf_steal(&b)) != NULL)
        return CUR_OK;
    buf_free(&b);
    if (rc == CUR_EINVAL) {
        refuse(a, key, err);
        return CUR_EINVAL;
    }
    return rc == CUR_OK ? CUR_ENOMEM : rc;
}

static enum MHD_Result
api_gems(struct api *a)
{
    static const char *const known[] = { "item", "note", "tags",
                                         "audience", "days", NULL };
    struct req *r = a->r;
    const char *note;
    char *typed_tags = NULL, *typed_aud = NULL;
    char *tags = NULL, *audience = NULL;
    long long item, days = GEM_DAYS_DEFAULT, expires;
    json_t *v, *o;
    enum MHD_Result ret;
    int rc;

    if (only_fields(a, known) || get_id(a, "item", 1, 0, &item)
        || get_text(a, "note", 1, GEM_NOTE_MAX, 1, &note)
        || get_list(a, "tags", GEM_LIST_MAX, &typed_tags)
        || get_list(a, "audience", GEM_LIST_MAX, &typed_aud))
        goto bad;
    if (note[0] == '\0') {
        refuse(a, "note", "write why it matters");
        goto bad;
    }
    v = json_object_get(a->body, "days");
    if (v != NULL) {
        if (!json_is_integer(v) || json_integer_value(v) < 0
            || json_integer_value(v) > GEM_DAYS_MAX) {
            refuse(a, "days", "a whole number from 0 (always) to 365");
            goto bad;
        }
        days = json_integer_value(v);
    }
    rc = store_scoring_item(r->st, item, r->now, gem_item, NULL);
    if (rc == CUR_ENOTFOUND) {
        refuse(a, "item", "no such item");
        ret = field_error(a, MHD_HTTP_NOT_FOUND);
        goto out;
    }
    if (rc == CUR_OK) {
        rc = gem_clean(a, "tags", typed_tags, &tags);
        if (rc == CUR_OK)
            rc = gem_clean(a, "audience", typed_aud, &audience);
        if (rc == CUR_EINVAL)
            goto bad;
    }
    expires = days > 0 ? r->now + days * 86400 : 0;
    if (rc == CUR_OK)
        rc = store_gem_put(r->st, item, a->uid, note, tags ? tags : "",
                           audience ? audience : "", expires);
    if (rc != CUR_OK) {
        ret = internal(a, "gem", rc);
        goto out;
    }
    log_info("api gem item=%lld editor=%lld", item, a->uid);
    o = json_object();
    if (o == NULL || put(o, "item", json_integer(item))
                     | put(o, "note", jstr(note))
                     | put(o, "tags", jstr(tags ? tags : ""))
                     | put(o, "audience", jstr(audience ? audience : ""))
                     | put(o, "expires", json_integer(expires))) {
        json_decref(o);
        ret = internal(a, "gem", CUR_ENOMEM);
        goto out;
    }
    ret = send_json(r, MHD_HTTP_CREATED, o);
    goto out;
bad:
    ret = bad_request(a);
out:
    free(typed_tags);
    free(typed_aud);
    free(tags);
    free(audience);
    return ret;
}

/* The resources. In a pattern "#" stands for a positive whole number
 * (a->id). */
struct api_route {
    const char *pattern;
    unsigned methods;
    int min_role;
    enum MHD_Result (*fn)(struct api *a);
};

static const struct api_route api_routes[] = {
    { "me", RM_GET, ROLE_SUBSCRIBER, api_me },
    { "today", RM_GET, ROLE_SUBSCRIBER, api_today },
    { "items/#/feedback", RM_POST, ROLE_SUBSCRIBER, api_feedback },
    { "items/#/saved", RM_PUT | RM_DELETE, ROLE_SUBSCRIBER, api_saved_item },
    { "saved", RM_GET, ROLE_SUBSCRIBER, api_saved },
    { "goals", RM_GET | RM_POST, ROLE_SUBSCRIBER, api_goals },
    { "goals/#", RM_PUT | RM_DELETE, ROLE_SUBSCRIBER, api_goal },
    { "interests", RM_GET | RM_POST, ROLE_SUBSCRIBER, api_interests },
    { "interests/#", RM_DELETE, ROLE_SUBSCRIBER, api_interest },
    { "subscriptions", RM_GET | RM_POST, ROLE_SUBSCRIBER,
      api_subscriptions },
    { "subscriptions/#", RM_DELETE, ROLE_SUBSCRIBER, api_subscription },
    { "journal", RM_GET | RM_POST, ROLE_SUBSCRIBER, api_journal },
    { "journal/#", RM_GET | RM_PUT | RM_DELETE, ROLE_SUBSCRIBER,
      api_journal_entry },
    { "gems", RM_POST, ROLE_EDITOR, api_gems },
};

/* Whether 'path' fits 'pattern'; *id gets the number "#" matched. */
static int
path_match(const char *pattern, const char *path, long long *id)
{
    *id = 0;
    while (*pattern && *path) {
        size_t pn = strcspn(pattern, "/"), n = strcspn(path, "/");
        if (pn == 1 && pattern[0] == '#') {
            char num[24];
            if (n == 0 || n >= sizeof num)
                return 0;
            memcpy(num, path, n);
            num[n] = '\0';
            if ((*id = web_id(num)) <= 0)
                return 0;
        } else if (pn != n || strncmp(pattern, path, n) != 0) {
            return 0;
        }
        pattern += pn;
        path += n;
        if ((*pattern == '/') != (*path == '/'))
            return 0;
        if (*pattern == '/') {
            pattern++;
            path++;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

static unsigned
method_bit(const char *m)
{
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return RM_GET;
    if (strcmp(m, "POST") == 0)
        return RM_POST;
    if (strcmp(m, "PUT") == 0)
        return RM_PUT;
    if (strcmp(m, "DELETE") == 0)
        return RM_DELETE;
    return RM_OTHER;
}

static enum MHD_Result
not_allowed(struct req *r, unsigned methods)
{
    char allow[64] = "";
    static const struct {
        unsigned bit;
        const char *names;
    } m[] = {
        { RM_GET, "GET, HEAD" }, { RM_POST, "POST" }, { RM_PUT, "PUT" },
        { RM_DELETE, "DELETE" },
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (methods & m[i].bit)
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow),
                     "%s%s", allow[0] ? ", " : "", m[i].names);
    web_header(r, "Allow", allow);
    return api_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
                     "this resource does not take that method");
}

static enum MHD_Result
unauthorized(struct req *r, const char *message, int invalid)
{
    web_header(r, "WWW-Authenticate", invalid
               ? "Bearer realm=\"curator\", error=\"invalid_token\""
               : "Bearer realm=\"curator\"");
    return api_error(r, MHD_HTTP_UNAUTHORIZED, message);
}

/* The bearer token of the request: the user behind it, or an answer. */
static int
authenticate(struct api *a, enum MHD_Result *ret)
{
    struct req *r = a->r;
    const char *h = web_req_header(r, "Authorization");
    struct store_api_auth who;
    int rc;

    if (h == NULL) {
        *ret = unauthorized(r, "send an API token: Authorization: Bearer "
                               "TOKEN", 0);
        return CUR_EINVAL;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        *ret = unauthorized(r, "the Authorization header must be Bearer "
                               "TOKEN", 1);
        return CUR_EINVAL;
    }
    for (h += 7; *h == ' '; h++)
        ;
    rc = store_api_token_check(r->st, h, r->now, &who);
    if (rc == CUR_OK && role_of(who.role) == ROLE_ANON)
        rc = CUR_ENOTFOUND;
    if (rc == CUR_ENOTFOUND) {
        /* The token itself is never logged (WEB-9). */
        log_info("api token refused ip=%s", r->ip);
        *ret = unauthorized(r, "that API token is not valid (revoked, or "
                               "never made)", 1);
        return CUR_EINVAL;
    }
    if (rc != CUR_OK) {
        web_header(r, "Retry-After", "5");
        *ret = api_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
                         "the database is not available; try again");
        return rc;
    }
    a->uid = who.user_id;
    r->role = role_of(who.role);
    r->sess.user_id = who.user_id;
    snprintf(r->sess.name, sizeof r->sess.name, "%s", who.name);
    snprintf(r->sess.role, sizeof r->sess.role, "%s", who.role);
    return CUR_OK;
}

enum MHD_Result
page_api(struct req *r)
{
    struct api a = { .r = r };
    const struct api_route *hit = NULL;
    enum MHD_Result ret;
    unsigned m = method_bit(r->method);

    if (authenticate(&a, &ret) != CUR_OK)
        return ret;
    for (size_t i = 0; hit == NULL
                       && i < sizeof api_routes / sizeof api_routes[0]; i++)
        if (path_match(api_routes[i].pattern, r->rest ? r->rest : "",
                       &a.id))
            hit = &api_routes[i];
    if (hit == NULL)
        return api_error(r, MHD_HTTP_NOT_FOUND, "no such resource");
    if (!(hit->methods & m))
        return not_allowed(r, hit->methods);
    if (r->role < hit->min_role)
        return api_error(r, MHD_HTTP_FORBIDDEN, hit->min_role == ROLE_EDITOR
                         ? "this needs the editor or admin role"
                         : "your role does not open this");
    if ((m == RM_POST || m == RM_PUT) && read_body(&a, &ret) != CUR_OK) {
        json_decref(a.body);
        return ret;
    }
    ret = hit->fn(&a);
    json_decref(a.body);
    return ret;
}
