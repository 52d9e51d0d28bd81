/* curator commands about email digests: settings, preview, send now,
 * the private feed URL, and the outbox. */
#include "cli.h"
#include "date.h"
#include "digest.h"
#include "digest_time.h"
#include "err.h"
#include "fetch.h"
#include "setup.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int
open_digest(struct cli *c, struct digest_cfg *dc, char *base, size_t len)
{
    char err[512];
    if (setup_digest_cfg(c->cfg, c->st, dc, base, len, err, sizeof err)
        != CUR_OK)
        return fail("%s", err);
    return 0;
}

static int
whole(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int
on_off(const char *s, long *out)
{
    if (!strcasecmp(s, "on") || !strcasecmp(s, "yes") || !strcmp(s, "1")
        || !strcasecmp(s, "true"))
        *out = 1;
    else if (!strcasecmp(s, "off") || !strcasecmp(s, "no")
             || !strcmp(s, "0") || !strcasecmp(s, "false"))
        *out = 0;
    else
        return -1;
    return 0;
}

static const char *const weekdays[] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday",
};

/* `digest set USER KEY VALUE`: every value checked before it is stored. */
int
cmd_digest_set(struct cli *c, int argc, char **argv)
{
    const char *key = argv[1], *val = argv[2];
    const char *column = key, *text = NULL;
    long long user_id;
    long v = 0;
    double d = 0;
    (void)argc;

    if (strcmp(key, "frequency") == 0) {
        column = "weekly";
        if (strcmp(val, "daily") == 0)
            v = 0;
        else if (strcmp(val, "weekly") == 0)
            v = 1;
        else
            return fail("frequency is daily or weekly, not '%s'", val);
        d = (double)v;
    } else if (strcmp(key, "weekday") == 0) {
        v = -1;
        for (int i = 0; i < 7; i++)
            if (strcasecmp(val, weekdays[i]) == 0
                || (strlen(val) == 3 && strncasecmp(val, weekdays[i], 3)
                                        == 0))
                v = i;
        if (v < 0)
            return fail("weekday is a day name such as monday, not '%s'",
                        val);
        d = (double)v;
    } else if (strcmp(key, "hour") == 0) {
        if (whole(val, 0, 23, &v))
            return fail("hour is a local hour from 0 to 23, not '%s'", val);
        d = (double)v;
    } else if (strcmp(key, "tz") == 0 || strcmp(key, "timezone") == 0) {
        column = "tz";
        if (digest_tz_valid(val) != CUR_OK)
            return fail("'%s' is not an IANA time zone (like Europe/London)",
                        val);
        text = val;
    } else if (strcmp(key, "max_items") == 0) {
        if (whole(val, 1, 200, &v))
            return fail("max_items is a number from 1 to 200, not '%s'",
                        val);
        d = (double)v;
    } else if (strcmp(key, "max_per_goal") == 0) {
        if (whole(val, 1, 100, &v))
            return fail("max_per_goal is a number from 1 to 100, not '%s'",
                        val);
        d = (double)v;
    } else if (strcmp(key, "min_score") == 0) {
        char *end;
        errno = 0;
        d = strtod(val, &end);
        if (errno || end == val || *end || !isfinite(d) || d < -1000
            || d > 1000)
            return fail("min_score is a number from -1000 to 1000, not "
                        "'%s'", val);
    } else if (strcmp(key, "email") == 0 || strcmp(key, "remote_images")
                                            == 0) {
        if (on_off(val, &v))
            return fail("%s is on or off, not '%s'", key, val);
        d = (double)v;
    } else if (strcmp(key, "format") == 0) {
        column = "html";
        if (strcmp(val, "html") == 0)
            d = 1;
        else if (strcmp(val, "text") == 0)
            d = 0;
        else
            return fail("format is html (HTML and text) or text, not '%s'",
                        val);
    } else if (strcmp(key, "pause_until") == 0) {
        long long t;
        if (strcmp(val, "none") == 0 || strcmp(val, "0") == 0) {
            d = 0;
        } else if (date_parse(val, &t) == CUR_OK) {
            d = (double)t;
        } else {
            char iso[40];
            snprintf(iso, sizeof iso, "%sT00:00:00Z", val);
            if (strlen(val) != 10 || date_parse(iso, &t) != CUR_OK)
                return fail("pause_until is a date (2026-12-31) or none, "
                            "not '%s'", val);
            d = (double)t;
        }
    } else {
        return fail("unknown setting '%s' (frequency, weekday, hour, tz, "
                    "max_items, max_per_goal, min_score, email, format, "
                    "pause_until, remote_images)", key);
    }
    if (find_user(c, argv[0], &user_id))
        return 1;
    int rc = store_digest_set(c->st, user_id, column, text, d);
    if (rc != CUR_OK)
        return fail("cannot set %s for %s: %s", key, argv[0],
                    cur_strerror(rc));
    printf("%s: digest %s = %s\n", argv[0], key, val);
    return 0;
}

int
cmd_digest_preview(struct cli *c, int argc, char **argv)
{
    struct digest_cfg dc;
    struct digest_out out;
    char base[300];
    long long user_id;
    int html = -1, raw = 0, text_only = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--html") == 0)
            html = 1;
        else if (strcmp(argv[i], "--text") == 0)
            text_only = 1;
        else if (strcmp(argv[i], "--raw") == 0)
            raw = 1;
        else
            return -2;
    }
    if (find_user(c, argv[0], &user_id) || open_digest(c, &dc, base,
                                                       sizeof base))
        return 1;
    digest_out_init(&out);
    if (text_only)
        html = 0;
    int rc = digest_compose(c->st, &dc, user_id, (long long)time(NULL),
                            html, &out);
    setup_digest_cfg_free(&dc);
    if (rc != CUR_OK) {
        digest_out_free(&out);
        return fail("cannot compose the digest of %s: %s", argv[0],
                    cur_strerror(rc));
    }
    if (raw)
        fwrite(out.message.data, 1, out.message.len, stdout);
    else if (html == 1 && out.html)
        fputs(out.html, stdout);
    else if (out.text)
        fputs(out.text, stdout);
    fprintf(stderr, "digest preview for %s: %zu items, %d below the "
            "threshold, period %s, Message-ID <%s> (nothing recorded)\n",
            argv[0], out.n_items, out.n_below, out.period_key,
            out.message_id);
    digest_out_free(&out);
    return 0;
}

int
cmd_digest_send(struct cli *c, int argc, char **argv)
{
    struct digest_cfg dc;
    char base[300];
    long long user_id, queued = 0;
    int sent = 0, failed = 0;
    (void)argc;

    if (find_user(c, argv[0], &user_id) || open_digest(c, &dc, base,
                                                       sizeof base))
        return 1;
    long long now = (long long)time(NULL);
    if (fetch_global_init() != CUR_OK) {
        setup_digest_cfg_free(&dc);
        return fail("cannot initialise libcurl");
    }
    int rc = digest_queue_now(c->st, &dc, user_id, now, &queued);
    if (rc == CUR_EEXIST) {
        printf("%s already has this period's digest in the outbox (see "
               "'curator outbox list')\n", argv[0]);
        rc = CUR_OK;
    } else if (rc == CUR_OK && queued == 0) {
        printf("%s has nothing above the threshold: no digest this "
               "period\n", argv[0]);
    }
    if (rc == CUR_OK)
        rc = digest_deliver(c->st, &dc, now, &sent, &failed);
    setup_digest_cfg_free(&dc);
    if (rc != CUR_OK)
        return fail("cannot send the digest of %s: %s", argv[0],
                    cur_strerror(rc));
    printf("outbox: %d sent, %d failed or deferred\n", sent, failed);
    return failed ? 1 : 0;
}

int
cmd_digest_feed_url(struct cli *c, int argc, char **argv)
{
    struct digest_cfg dc;
    char base[300], url[600];
    long long user_id;
    (void)argc;
    if (find_user(c, argv[0], &user_id) || open_digest(c, &dc, base,
                                                       sizeof base))
        return 1;
    digest_feed_url(&dc, user_id, url, sizeof url);
    setup_digest_cfg_free(&dc);
    printf("%s\n", url);
    return 0;
}

static int
outbox_row(void *ctx, const struct store_outbox *m)
{
    int *n = ctx;
    char when[32] = "-";
    if ((*n)++ == 0)
        printf("%-5s %-7s %-4s %-20s %-28s %s\n", "ID", "STATUS", "TRY",
               "CREATED", "TO", "MESSAGE-ID / LAST ERROR");
    date_format(m->created, when, sizeof when);
    printf("%-5lld %-7s %-4d %-20s %-28s %s\n", m->id, m->status,
           m->attempts, when, m->rcpt, m->message_id);
    if (m->last_error && strcmp(m->status, "sent") != 0)
        printf("%67s %s\n", "", m->last_error);
    return 0;
}

int
cmd_outbox_list(struct cli *c, int argc, char **argv)
{
    int n = 0;
    (void)argc;
    (void)argv;
    int rc = store_outbox_list(c->st, 200, outbox_row, &n);
    if (rc != CUR_OK)
        return fail("cannot list the outbox: %s", cur_strerror(rc));
    if (n == 0)
        printf("the outbox is empty\n");
    return 0;
}

int
cmd_outbox_retry(struct cli *c, int argc, char **argv)
{
    long long id = parse_id(argv[0]);
    (void)argc;
    if (id < 0)
        return fail("'%s' is not an outbox ID", argv[0]);
    int rc = store_outbox_retry(c->st, id, (long long)time(NULL));
    if (rc == CUR_ENOTFOUND)
        return fail("no unsent message %lld in the outbox", id);
    if (rc != CUR_OK)
        return fail("cannot retry %lld: %s", id, cur_strerror(rc));
    printf("message %lld is queued again; curatord sends it on its next "
           "tick\n", id);
    return 0;
}
