/* Schedule: the user's digest settings (store_digest_*), checked as
 * `curator digest set` checks them: daily or weekly, the weekday and
 * local hour, an IANA time zone ICU knows, the caps, the threshold,
 * email on or off, HTML or text, remote images, a pause. Every field is
 * checked first; one bad value stores none of them.
 */
#include "date.h"
#include "digest_time.h"
#include "err.h"
#include "html.h"
#include "web.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekdays[] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday",
};

static const char *const zones[] = {
    "UTC", "Europe/London", "Europe/Paris", "Europe/Berlin",
    "Europe/Madrid", "Europe/Helsinki", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles",
    "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg",
};

struct sched {
    int weekly, weekday, hour, max_items, max_per_goal, email, html;
    int remote_images;
    double min_score;
    long long pause_until;
    char tz[DIGEST_TZ_MAX + 1];
    /* As typed, to show back with the errors. */
    char t_max_items[32], t_max_per_goal[32], t_min_score[40];
    char t_pause[40], t_tz[DIGEST_TZ_MAX * 2 + 1];
    const char *e_tz, *e_max_items, *e_max_per_goal, *e_min_score;
    const char *e_pause, *e_frequency, *e_weekday, *e_hour, *e_format;
    int errors;
};

static int
digest_row(void *ctx, const struct store_digest_user *u)
{
    struct sched *s = ctx;
    s->weekly = u->weekly;
    s->weekday = u->weekday;
    s->hour = u->hour;
    snprintf(s->tz, sizeof s->tz, "%s", u->tz ? u->tz : "UTC");
    snprintf(s->t_tz, sizeof s->t_tz, "%s", s->tz);
    s->max_items = u->max_items;
    s->max_per_goal = u->max_per_goal;
    s->min_score = u->min_score;
    s->email = u->email_on;
    s->html = u->html;
    s->remote_images = u->remote_images;
    s->pause_until = u->pause_until;
    snprintf(s->t_max_items, sizeof s->t_max_items, "%d", u->max_items);
    snprintf(s->t_max_per_goal, sizeof s->t_max_per_goal, "%d",
             u->max_per_goal);
    snprintf(s->t_min_score, sizeof s->t_min_score, "%g", u->min_score);
    if (u->pause_until > 0) {
        date_format(u->pause_until, s->t_pause, sizeof s->t_pause);
        s->t_pause[10] = '\0';
    }
    return 0;
}

static int
whole(const char *v, long lo, long hi, int *out)
{
    char *end;
    long n;
    if (v == NULL || *v == '\0')
        return -1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

static void
copy(char *out, size_t len, const char *v)
{
    snprintf(out, len, "%s", v ? v : "");
}

static void
read_form(struct req *r, struct sched *s)
{
    const char *v;

    v = form_get(&r->form, "frequency");
    if (v && strcmp(v, "daily") == 0)
        s->weekly = 0;
    else if (v && strcmp(v, "weekly") == 0)
        s->weekly = 1;
    else
        s->e_frequency = "Daily or weekly.";
    if (whole(form_get(&r->form, "weekday"), 0, 6, &s->weekday))
        s->e_weekday = "Choose a day.";
    if (whole(form_get(&r->form, "hour"), 0, 23, &s->hour))
        s->e_hour = "A local hour from 0 to 23.";
    v = form_get(&r->form, "tz");
    copy(s->t_tz, sizeof s->t_tz, v);
    if (v == NULL || strlen(v) > DIGEST_TZ_MAX
        || digest_tz_valid(v) != CUR_OK)
        s->e_tz = "An IANA time zone such as Europe/London.";
    else
        copy(s->tz, sizeof s->tz, v);
    v = form_get(&r->form, "max_items");
    copy(s->t_max_items, sizeof s->t_max_items, v);
    if (whole(v, 1, 200, &s->max_items))
        s->e_max_items = "A number from 1 to 200.";
    v = form_get(&r->form, "max_per_goal");
    copy(s->t_max_per_goal, sizeof s->t_max_per_goal, v);
    if (whole(v, 1, 100, &s->max_per_goal))
        s->e_max_per_goal = "A number from 1 to 100.";
    v = form_get(&r->form, "min_score");
    copy(s->t_min_score, sizeof s->t_min_score, v);
    {
        char *end;
        errno = 0;
        double d = v ? strtod(v, &end) : 0;
        if (v == NULL || *v == '\0' || errno || *end || !isfinite(d)
            || d < -1000 || d > 1000)
            s->e_min_score = "A number from -1000 to 1000.";
        else
            s->min_score = d;
    }
    s->email = form_get(&r->form, "email") != NULL;
    s->remote_images = form_get(&r->form, "remote_images") != NULL;
    v = form_get(&r->form, "format");
    if (v && strcmp(v, "html") == 0)
        s->html = 1;
    else if (v && strcmp(v, "text") == 0)
        s->html = 0;
    else
        s->e_format = "HTML or text.";
    v = form_get(&r->form, "pause_until");
    copy(s->t_pause, sizeof s->t_pause, v);
    s->pause_until = 0;
    if (v != NULL && *v != '\0') {
        char iso[48];
        long long t;
        snprintf(iso, sizeof iso, "%.20sT00:00:00Z", v);
        if (strlen(v) != 10 || date_parse(iso, &t) != CUR_OK || t < 0)
            s->e_pause = "A date such as 2026-12-31, or empty.";
        else
            s->pause_until = t;
    }
    s->errors = !!s->e_frequency + !!s->e_weekday + !!s->e_hour + !!s->e_tz
                + !!s->e_max_items + !!s->e_max_per_goal + !!s->e_min_score
                + !!s->e_format + !!s->e_pause;
}

static int
save(struct req *r, const struct sched *s)
{
    long long uid = r->sess.user_id;
    int rc = store_begin(r->st);
    if (rc != CUR_OK)
        return rc;
    rc = store_digest_set(r->st, uid, "weekly", NULL, s->weekly);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "weekday", NULL, s->weekday);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "hour", NULL, s->hour);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "tz", s->tz, 0);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "max_items", NULL, s->max_items);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "max_per_goal", NULL,
                              s->max_per_goal);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "min_score", NULL, s->min_score);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "email", NULL, s->email);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "html", NULL, s->html);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "remote_images", NULL,
                              s->remote_images);
    if (rc == CUR_OK)
        rc = store_digest_set(r->st, uid, "pause_until", NULL,
                              (double)s->pause_until);
    if (rc == CUR_OK)
        return store_commit(r->st);
    store_rollback(r->st);
    return rc;
}

static int
select_field(struct buf *b, const char *name, const char *label,
             const char *const *labels, const char *const *values, int n,
             int chosen, const char *error)
{
    int rc = buf_printf(b, "<p class=\"field\"><label for=\"%s\">%s</label>"
                        "<select id=\"%s\" name=\"%s\">", name, label, name,
                        name);
    for (int i = 0; i < n; i++) {
        if (values)
            rc |= buf_printf(b, "<option value=\"%s\"%s>%s</option>",
                             values[i], i == chosen ? " selected" : "",
                             labels[i]);
        else
            rc |= buf_printf(b, "<option value=\"%d\"%s>%s</option>", i,
                             i == chosen ? " selected" : "", labels[i]);
    }
    rc |= buf_puts(b, "</select>");
    rc |= html_field_error(b, name, error);
    rc |= buf_puts(b, "</p>");
    return rc ? CUR_ENOMEM : CUR_OK;
}

static enum MHD_Result
render(struct req *r, unsigned status, const struct sched *s)
{
    static const char *const freq_l[] = { "Daily", "Weekly" };
    static const char *const freq_v[] = { "daily", "weekly" };
    static const char *const fmt_l[] = { "Text only", "HTML and text" };
    static const char *const fmt_v[] = { "text", "html" };
    const char *hours[24];
    char hour_text[24][16];
    struct buf b;
    int rc;

    for (int i = 0; i < 24; i++) {
        snprintf(hour_text[i], sizeof hour_text[i], "%02d:00", i);
        hours[i] = hour_text[i];
    }
    buf_init(&b, WEB_PAGE_MAX);
    rc = html_open(&b, r, "Schedule", "schedule");
    rc |= buf_puts(&b, "<h1>Schedule</h1><p class=\"lead\">When your digest "
                   "comes, and what it holds.</p>");
    if (s->errors)
        rc |= buf_puts(&b, "<p class=\"error\" role=\"alert\">Nothing was "
                       "saved: fix the fields marked below.</p>");
    rc |= buf_puts(&b, "<form class=\"stack\" method=\"post\" "
                   "action=\"/schedule\">");
    rc |= html_csrf(&b, r);
    rc |= buf_printf(&b, "<p class=\"field check\"><label><input "
                     "type=\"checkbox\" name=\"email\" value=\"on\"%s> Send "
                     "me the digest by email</label></p>",
                     s->email ? " checked" : "");
    rc |= select_field(&b, "frequency", "How often", freq_l, freq_v, 2,
                       s->weekly, s->e_frequency);
    rc |= select_field(&b, "weekday", "Day (weekly digests)", weekdays, NULL,
                       7, s->weekday, s->e_weekday);
    rc |= select_field(&b, "hour", "Local hour", hours, NULL, 24, s->hour,
                       s->e_hour);
    rc |= html_input(&b, "tz", "Time zone (IANA name)", "text", s->t_tz,
                     s->e_tz, "list=\"zones\" maxlength=\"64\" required "
                     "autocapitalize=\"none\"");
    rc |= buf_puts(&b, "<datalist id=\"zones\">");
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        rc |= buf_printf(&b, "<option value=\"%s\">", zones[i]);
    rc |= buf_puts(&b, "</datalist>");
    rc |= html_input(&b, "max_items", "Most items in a digest", "number",
                     s->t_max_items, s->e_max_items,
                     "min=\"1\" max=\"200\" required");
    rc |= html_input(&b, "max_per_goal", "Most items per goal", "number",
                     s->t_max_per_goal, s->e_max_per_goal,
                     "min=\"1\" max=\"100\" required");
    rc |= html_input(&b, "min_score", "Lowest score included", "text",
                     s->t_min_score, s->e_min_score,
                     "inputmode=\"decimal\" required");
    rc |= select_field(&b, "format", "Email format", fmt_l, fmt_v, 2,
                       s->html, s->e_format);
    rc |= buf_printf(&b, "<p class=\"field check\"><label><input "
                     "type=\"checkbox\" name=\"remote_images\" value=\"on\""
                     "%s> Show remote images in email</label></p>",
                     s->remote_images ? " checked" : "");
    rc |= html_input(&b, "pause_until", "Pause until (empty: no pause)",
                     "date", s->t_pause, s->e_pause, NULL);
    rc |= buf_puts(&b, "<p><button type=\"submit\">Save</button></p>"
                   "</form>");
    return html_send(r, status, &b, rc);
}

enum MHD_Result
page_schedule(struct req *r)
{
    struct sched s;

    memset(&s, 0, sizeof s);
    if (store_digest_user(r->st, r->sess.user_id, digest_row, &s) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your settings could not be read.");
    if (!r->post)
        return render(r, MHD_HTTP_OK, &s);
    read_form(r, &s);
    if (s.errors)
        return render(r, MHD_HTTP_BAD_REQUEST, &s);
    if (save(r, &s) != CUR_OK)
        return web_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Error",
                         "Your settings could not be saved.");
    return web_redirect(r, "/schedule?done=schedule");
}
