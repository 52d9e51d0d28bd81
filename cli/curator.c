/* curator: the command line. Each command opens the store named by the
 * config, does one thing and exits: 0 on success, 1 when the operation
 * failed (the message names what), 2 on misuse (with the usage). */
#include "cli.h"
#include "config.h"
#include "date.h"
#include "discover.h"
#include "err.h"
#include "buf.h"
#include "feed_json.h"
#include "fetch.h"
#include "log.h"
#include "opml.h"
#include "parse.h"
#include "poller.h"
#include "sanitize.h"
#include "setup.h"
#include "store.h"
#include "valid.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>


struct command {
    const char *name;           /* "feed add" */
    const char *args;           /* "URL" */
    const char *help;
    int min_args, max_args;     /* positional arguments after the name */
    int (*run)(struct cli *c, int argc, char **argv);
    int no_store;               /* runs without the config and store */
};

static const struct command *find_command(int argc, char **argv,
                                          int *words);

int
fail(const char *fmt, ...)
{
    va_list ap;
    fputs("curator: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* A whole number from a command-line word, or -1. */
long long
parse_id(const char *s)
{
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    long long v = strtoll(s, &end, 10);
    return errno || *end || v <= 0 ? -1 : v;
}

int
find_user(struct cli *c, const char *name, long long *id)
{
    int rc = store_user_find(c->st, name, id);
    if (rc == CUR_ENOTFOUND)
        return fail("no user named '%s' (see 'curator user list')", name);
    if (rc != CUR_OK)
        return fail("cannot look up user '%s': %s", name, cur_strerror(rc));
    return 0;
}

static int
cmd_init(struct cli *c, int argc, char **argv)
{
    int version = 0, added = 0;
    (void)argc;
    (void)argv;
    int rc = setup_sync_feeds(c->st, c->cfg, &added);
    if (rc == CUR_OK)
        rc = store_schema_version(c->st, &version);
    if (rc != CUR_OK)
        return fail("cannot initialise %s: %s", c->cfg->store_path,
                    cur_strerror(rc));
    printf("database %s ready (schema %d); %d feed%s added from %s\n",
           c->cfg->store_path, version, added, added == 1 ? "" : "s",
           c->config_path);
    return 0;
}

static int
cmd_user_add(struct cli *c, int argc, char **argv)
{
    long long id;
    (void)argc;
    if (!valid_user_name(argv[0]))
        return fail("user name '%s' is not valid: use 1 to %d of A-Z a-z "
                    "0-9 . _ - (not starting with . or -)", argv[0],
                    VALID_NAME_MAX);
    if (!valid_email(argv[1]))
        return fail("'%s' is not a plain email address (like "
                    "name@example.org)", argv[1]);
    int rc = store_user_add(c->st, argv[0], argv[1], &id);
    if (rc == CUR_EEXIST)
        return fail("a user named '%s' already exists", argv[0]);
    if (rc != CUR_OK)
        return fail("cannot add user '%s': %s", argv[0], cur_strerror(rc));
    printf("user %lld added: %s <%s>\n", id, argv[0], argv[1]);
    return 0;
}

static int
print_user(void *ctx, const struct store_user *u)
{
    char when[32] = "never";
    int *n = ctx;
    if (u->last_digest)
        date_format(u->last_digest, when, sizeof when);
    if ((*n)++ == 0)
        printf("%-4s %-20s %-32s %s\n", "ID", "NAME", "EMAIL", "LAST DIGEST");
    printf("%-4lld %-20s %-32s %s\n", u->id, u->name, u->email, when);
    return 0;
}

static int
cmd_user_list(struct cli *c, int argc, char **argv)
{
    int n = 0;
    (void)argc;
    (void)argv;
    int rc = store_user_list(c->st, print_user, &n);
    if (rc != CUR_OK)
        return fail("cannot list users: %s", cur_strerror(rc));
    if (n == 0)
        printf("no users yet (add one with 'curator user add NAME EMAIL')\n");
    return 0;
}

static int
valid_feed_url(const char *url)
{
    static const char *const schemes[] = { "http://", "https://", "file://" };
    int ok = 0;
    for (size_t i = 0; i < 3; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0
            && url[strlen(schemes[i])] != '\0')
            ok = 1;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            ok = 0;
    return ok && strlen(url) < 4096;
}

/* The fetch settings of one-off requests from the command line. */
static void
cli_fetch_cfg(const struct config *cfg, struct fetch_cfg *fc)
{
    memset(fc, 0, sizeof *fc);
    fc->timeout = cfg->poll_timeout;
    fc->connect_timeout = cfg->poll_connect_timeout;
    fc->max_body = cfg->poll_max_body;
    fc->max_connections = cfg->poll_connections;
    fc->max_host_connections = cfg->poll_per_host;
}

/* `feed add`: the URL is read first; a feed is added as it is, an HTML
 * page by the feed it advertises (discover.h). --as-is skips the check
 * (offline, or a server that is down for now). */
static int
cmd_feed_add(struct cli *c, int argc, char **argv)
{
    struct discover_list found = { 0 };
    struct fetch_cfg fc;
    struct parse_opts po;
    const char *url = NULL, *title = NULL;
    int list = 0, as_is = 0, rc;
    long long id;
    char err[1024];

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "--as-is") == 0)
            as_is = 1;
        else if (url == NULL && argv[i][0] != '-')
            url = argv[i];
        else if (url == NULL && argv[i][0] == '-' && argv[i][1] == '\0')
            url = argv[i];
        else
            return -2;
    }
    if (url == NULL || (list && as_is))
        return -2;
    if (!valid_feed_url(url))
        return fail("'%s' is not a feed URL: use http://, https:// or "
                    "file:// with no spaces", url);
    if (!as_is) {
        cli_fetch_cfg(c->cfg, &fc);
        po = c->poll.parse;
        fetch_global_init();
        rc = discover_feeds(&fc, &po, url, 1, 0, list, &found, err,
                            sizeof err);
        fetch_global_cleanup();
        if (rc != CUR_OK) {
            discover_list_free(&found);
            if (rc == CUR_ENOTFOUND)
                return fail("no feed found: %s", err);
            return fail("%s (to add the URL unchecked, use 'curator feed "
                        "add --as-is URL')", err);
        }
        if (list) {
            for (size_t i = 0; i < found.n; i++)
                printf("%s\t%s\t%s\n", found.v[i].url,
                       found.v[i].type ? found.v[i].type : "-",
                       found.v[i].title ? found.v[i].title : "-");
            discover_list_free(&found);
            return 0;
        }
        url = found.v[0].url;
        title = found.v[0].title;
    }
    rc = store_feed_import(c->st, url, title, NULL, NULL, "cli", &id);
    if (rc == CUR_EEXIST)
        rc = fail("feed %s is already there as feed %lld", url, id);
    else if (rc != CUR_OK)
        rc = fail("cannot add feed %s: %s", url, cur_strerror(rc));
    else if (found.n > 0 && !found.self)
        printf("feed %lld added: %s (%s %s; polled by curatord at its "
               "next tick)\n", id, url, found.guessed ? "found beside"
               : "advertised by", argv[argc - 1]);
    else
        printf("feed %lld added: %s (polled by curatord at its next "
               "tick)\n", id, url);
    discover_list_free(&found);
    return rc;
}

/* When the feed is polled next, for people: a date, "due" or
 * "disabled". */
static void
next_poll_text(const struct store_feed *f, char *out, size_t size)
{
    if (f->disabled_at)
        snprintf(out, size, "disabled");
    else if (f->next_poll <= (long long)time(NULL))
        snprintf(out, size, "due");
    else
        date_format(f->next_poll, out, size);
}

static int
print_feed(void *ctx, const struct store_feed *f)
{
    int *n = ctx;
    char when[32] = "never", next[32];
    if (f->last_success)
        date_format(f->last_success, when, sizeof when);
    next_poll_text(f, next, sizeof next);
    if ((*n)++ == 0)
        printf("%-4s %-6s %-8s %-6s %-20s %-20s %s\n", "ID", "STATUS",
               "FAILURES", "ITEMS", "LAST SUCCESS", "NEXT POLL",
               "URL / TITLE / LAST ERROR");
    printf("%-4lld %-6d %-8d %-6lld %-20s %-20s %s\n", f->id, f->last_status,
           f->failures, f->items, when, next, f->url);
    if (f->title)
        printf("%69s %s\n", "", f->title);
    if (f->disabled_at && f->disabled_reason)
        printf("%69s disabled: %s\n", "", f->disabled_reason);
    else if (f->last_error)
        printf("%69s error: %s\n", "", f->last_error);
    return 0;
}

/* A time for `feed show`: the date and how far from now. */
static void
show_time(const char *label, long long t, const char *none)
{
    char when[32];
    long long d = t - (long long)time(NULL);
    const char *dir = d <= 0 ? "ago" : "from now";

    if (t == 0) {
        printf("  %-17s %s\n", label, none);
        return;
    }
    date_format(t, when, sizeof when);
    if (d < 0)
        d = -d;
    if (d < 120)
        printf("  %-17s %s (%llds %s)\n", label, when, d, dir);
    else if (d < 7200)
        printf("  %-17s %s (%lld min %s)\n", label, when, d / 60, dir);
    else if (d < 172800)
        printf("  %-17s %s (%lld h %s)\n", label, when, d / 3600, dir);
    else
        printf("  %-17s %s (%lld days %s)\n", label, when, d / 86400, dir);
}

static int
show_feed(void *ctx, const struct store_feed *f)
{
    static const char *const days[] = { "Monday", "Tuesday", "Wednesday",
        "Thursday", "Friday", "Saturday", "Sunday" };
    (void)ctx;

    printf("feed %lld: %s\n", f->id, f->url);
    printf("  %-17s %s\n", "title", f->title ? f->title : "-");
    printf("  %-17s %s\n", "site", f->site_url ? f->site_url : "-");
    printf("  %-17s %s\n", "category", f->category ? f->category : "-");
    printf("  %-17s %s\n", "added by", f->origin);
    printf("  %-17s %lld\n", "items", f->items);
    if (f->disabled_at) {
        show_time("disabled", f->disabled_at, "");
        printf("  %-17s %s\n", "reason",
               f->disabled_reason ? f->disabled_reason : "-");
    } else if (f->next_poll <= (long long)time(NULL)) {
        printf("  %-17s due now\n", "next poll");
    } else {
        show_time("next poll", f->next_poll, "");
    }
    show_time("last poll", f->last_poll, "never");
    if (f->last_status)
        printf("  %-17s %d\n", "last status", f->last_status);
    else
        printf("  %-17s %s\n", "last status", f->last_poll
               ? "no answer" : "-");
    show_time("last success", f->last_success, "never");
    show_time("last failure", f->last_failure, "never");
    printf("  %-17s %d\n", "failures in a row", f->failures);
    printf("  %-17s %s\n", "last error", f->last_error ? f->last_error : "-");
    if (f->poll_interval)
        printf("  %-17s %lds\n", "interval", f->poll_interval);
    else
        printf("  %-17s %s\n", "interval", "- (not polled yet)");
    printf("  %-17s %s\n", "etag", f->etag ? f->etag : "-");
    printf("  %-17s %s\n", "last modified",
           f->last_modified ? f->last_modified : "-");
    printf("  %-17s", "publisher hints");
    int any = 0;
    if (f->ttl) {
        printf(" ttl %ld min;", f->ttl / 60);
        any = 1;
    }
    if (f->update_period) {
        printf(" sy:updatePeriod %lds;", f->update_period);
        any = 1;
    }
    if (f->skip_hours) {
        printf(" skipHours");
        for (int h = 0; h < 24; h++)
            if (f->skip_hours & (1u << h))
                printf(" %d", h);
        printf(";");
        any = 1;
    }
    if (f->skip_days) {
        printf(" skipDays");
        for (int d = 0; d < 7; d++)
            if (f->skip_days & (1u << d))
                printf(" %s", days[d]);
        printf(";");
        any = 1;
    }
    printf("%s\n", any ? "" : " none");
    return 0;
}

static int
cmd_feed_show(struct cli *c, int argc, char **argv)
{
    (void)argc;
    long long id = parse_id(argv[0]);
    if (id < 0)
        return fail("feed ID must be a positive whole number, not '%s'",
                    argv[0]);
    int rc = store_feed_get(c->st, id, show_feed, NULL);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld (see 'curator feed list')", id);
    if (rc != CUR_OK)
        return fail("cannot read feed %lld: %s", id, cur_strerror(rc));
    return 0;
}

/* `poll`: one round in the foreground. Ctrl-C stops it; the feeds not
 * done stay due. */
static volatile sig_atomic_t poll_stop;

static void
on_poll_signal(int sig)
{
    (void)sig;
    poll_stop = 1;
}

static void
poll_progress(void *ctx, const struct poller_stats *s)
{
    (void)ctx;
    fprintf(stderr, "\rpolling: %d/%d feeds done, %d in progress, %d new "
            "items, %d errors, %.1f s\033[K", s->polled, s->total, s->active,
            s->new_items, s->failed, s->seconds);
    fflush(stderr);
}

static int
cmd_poll(struct cli *c, int argc, char **argv)
{
    enum poller_select which = POLLER_DUE;
    struct poller_stats ps;
    struct sigaction sa = { .sa_handler = on_poll_signal };
    long long feed_id = 0;
    int tty = isatty(STDERR_FILENO);

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0 && which == POLLER_DUE) {
            which = POLLER_ALL;
        } else if (strcmp(argv[i], "--feed") == 0 && which == POLLER_DUE
                   && i + 1 < argc) {
            which = POLLER_ONE;
            feed_id = parse_id(argv[++i]);
            if (feed_id < 0)
                return fail("feed ID must be a positive whole number, not "
                            "'%s'", argv[i]);
        } else {
            return -2;
        }
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Each feed's outcome is in the store ('feed list'); the terminal
     * gets the progress and the summary, not a line per failure. */
    log_set_level(LOG_ERR);
    if (fetch_global_init() != CUR_OK)
        return fail("cannot start libcurl");
    int rc = poller_run(c->st, &c->poll, which, feed_id,
                        (long long)time(NULL), &poll_stop,
                        tty ? poll_progress : NULL, NULL, &ps);
    fetch_global_cleanup();
    if (tty)
        fputs("\r\033[K", stderr);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld (see 'curator feed list')",
                    feed_id);
    if (rc != CUR_OK)
        return fail("polling failed after %d feeds: %s", ps.polled,
                    cur_strerror(rc));
    printf("polled %d feeds: %d new items, %d unchanged (304), %d errors "
           "in %.2f s\n", ps.polled, ps.new_items, ps.unchanged, ps.failed,
           ps.seconds);
    if (poll_stop)
        return fail("interrupted: %d feeds were not polled and stay due",
                    ps.total - ps.polled);
    /* New items are indexed for search and scored as the daemon would. */
    if (ps.new_items > 0) {
        long long n;
        do
            rc = store_search_catch_up(c->st, 20000, &n);
        while (rc == CUR_OK && n == 20000);
        if (rc != CUR_OK)
            return fail("cannot index the new items for search: %s",
                        cur_strerror(rc));
    }
    return ps.new_items > 0 ? cli_score_now(c) : 0;
}

/* `opml import`: the whole file is read and checked before anything is
 * stored, then stored in one transaction. */
static void
import_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rimporting: %zu/%zu feeds\033[K", done, total);
    fflush(stderr);
}

static int
cmd_opml_import(struct cli *c, int argc, char **argv)
{
    struct opml_doc doc;
    struct opml_import_stats is;
    char err[512];
    const char *path = argv[0];
    (void)argc;

    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (in == NULL)
        return fail("cannot open %s: %s", path, strerror(errno));
    int rc = opml_read(in, &doc, err, sizeof err);
    if (in != stdin)
        fclose(in);
    if (rc != CUR_OK)
        return fail("%s:%s; nothing was imported", path, err);
    /* A progress line only where someone watches, and only when it is
     * worth one. */
    int tty = isatty(STDERR_FILENO) && doc.n >= 1000;
    rc = opml_import(c->st, &doc, "cli", tty ? import_progress : NULL, NULL,
                     &is);
    if (tty)
        fputs("\r\033[K", stderr);
    if (rc != CUR_OK) {
        opml_doc_free(&doc);
        return fail("cannot import %s: %s; nothing was imported", path,
                    cur_strerror(rc));
    }
    printf("imported %zu feeds from %s: %zu added in %zu categories, %zu "
           "already there, %zu refused (not http or https)\n", doc.n, path,
           is.added, is.categories, is.duplicates, is.refused);
    opml_doc_free(&doc);
    return 0;
}

static int
cmd_opml_export(struct cli *c, int argc, char **argv)
{
    FILE *out = stdout;
    if (argc == 1 && strcmp(argv[0], "-") != 0
        && (out = fopen(argv[0], "w")) == NULL)
        return fail("cannot create %s: %s", argv[0], strerror(errno));
    int rc = opml_export(c->st, out);
    if (out != stdout && fclose(out) != 0 && rc == CUR_OK)
        rc = CUR_EIO;
    if (rc != CUR_OK)
        return fail("cannot export: %s", cur_strerror(rc));
    return 0;
}

static int
cmd_feed_list(struct cli *c, int argc, char **argv)
{
    int n = 0;
    (void)argc;
    (void)argv;
    int rc = store_feed_list(c->st, print_feed, &n);
    if (rc != CUR_OK)
        return fail("cannot list feeds: %s", cur_strerror(rc));
    if (n == 0)
        printf("no feeds yet (add one with 'curator feed add URL')\n");
    return 0;
}

static int
cmd_feed_remove(struct cli *c, int argc, char **argv)
{
    (void)argc;
    long long id = parse_id(argv[0]);
    if (id < 0)
        return fail("feed ID must be a positive whole number, not '%s'",
                    argv[0]);
    int rc = store_feed_remove(c->st, id);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld (see 'curator feed list')", id);
    if (rc != CUR_OK)
        return fail("cannot remove feed %lld: %s", id, cur_strerror(rc));
    printf("feed %lld removed with its items and subscriptions\n", id);
    return 0;
}

/* Ask the daemon to poll feeds at its next tick; a feed polled within
 * [poll] refresh_gap is left alone (FETCH-9). */
static int
cmd_feed_refresh(struct cli *c, int argc, char **argv)
{
    long long now = (long long)time(NULL);
    long gap = c->cfg->poll_refresh_gap;
    int bad = 0;

    for (int i = 0; i < argc; i++) {
        long long id = parse_id(argv[i]), when = 0;
        if (id < 0) {
            bad = fail("feed ID must be a positive whole number, not '%s'",
                       argv[i]);
            continue;
        }
        int rc = store_feed_refresh(c->st, id, now, gap, &when);
        if (rc == CUR_OK)
            printf("feed %lld: due now; the daemon polls it at its next "
                   "tick\n", id);
        else if (rc == CUR_EEXIST && when <= now)
            printf("feed %lld: already due\n", id);
        else if (rc == CUR_EEXIST)
            printf("feed %lld: polled less than %lds ago; a refresh is "
                   "taken again in %llds\n", id, gap, when - now);
        else if (rc == CUR_EINVAL)
            bad = fail("feed %lld is disabled (see 'curator feed show %lld')",
                       id, id);
        else if (rc == CUR_ENOTFOUND)
            bad = fail("no feed with ID %lld (see 'curator feed list')", id);
        else
            bad = fail("cannot refresh feed %lld: %s", id, cur_strerror(rc));
    }
    return bad;
}

static int
cmd_subscribe(struct cli *c, int argc, char **argv)
{
    long long user_id, feed_id = parse_id(argv[1]);
    (void)argc;
    if (find_user(c, argv[0], &user_id))
        return 1;
    if (feed_id < 0) {
        /* Not an ID: a URL, which must already be a feed. */
        int rc = store_feed_find(c->st, argv[1], &feed_id);
        if (rc == CUR_ENOTFOUND)
            return fail("no feed with URL %s (add it first with 'curator "
                        "feed add')", argv[1]);
        if (rc != CUR_OK)
            return fail("cannot look up feed %s: %s", argv[1],
                        cur_strerror(rc));
    }
    int rc = store_subscribe(c->st, user_id, feed_id);
    if (rc == CUR_ENOTFOUND)
        return fail("no feed with ID %lld (see 'curator feed list')",
                    feed_id);
    if (rc != CUR_OK)
        return fail("cannot subscribe %s to feed %lld: %s", argv[0], feed_id,
                    cur_strerror(rc));
    printf("%s is subscribed to feed %lld\n", argv[0], feed_id);
    return 0;
}

static int
print_item(void *ctx, const struct store_item *it)
{
    int *n = ctx;
    char when[32] = "-";
    if (it->published)
        date_format(it->published, when, sizeof when);
    if ((*n)++ == 0)
        printf("%-6s %-5s %-20s %s\n", "ID", "FEED", "PUBLISHED",
               "TITLE / LINK");
    printf("%-6lld %-5lld %-20s %s\n", it->id, it->feed_id, when, it->title);
    if (it->link)
        printf("%33s %s\n", "", it->link);
    return 0;
}

static int
cmd_items(struct cli *c, int argc, char **argv)
{
    long long feed_id = 0, limit = 20;
    int n = 0;

    for (int i = 0; i < argc; i += 2) {
        long long *slot;
        if (strcmp(argv[i], "--feed") == 0)
            slot = &feed_id;
        else if (strcmp(argv[i], "--limit") == 0)
            slot = &limit;
        else
            return -2;          /* misuse: the caller prints the usage */
        if (i + 1 >= argc)
            return -2;
        *slot = parse_id(argv[i + 1]);
        if (*slot < 0 || *slot > 100000)
            return fail("%s needs a whole number from 1 to 100000, not '%s'",
                        argv[i], argv[i + 1]);
    }
    int rc = store_item_list(c->st, feed_id, (int)limit, print_item, &n);
    if (rc != CUR_OK)
        return fail("cannot list items: %s", cur_strerror(rc));
    if (n == 0)
        printf("no items%s yet\n", feed_id ? " in that feed" : "");
    return 0;
}

/* `curator parse`: items are printed as they complete, so a feed of any
 * size is parsed in constant memory. */
struct parse_out {
    FILE *out;
    struct buf b;
    int started;
    int failed;
};

static int
print_parsed_item(void *ctx, const struct feed *f, const struct item *it)
{
    struct parse_out *po = ctx;
    (void)f;
    po->b.len = 0;
    if (!po->started)
        buf_puts(&po->b, "{\n  \"version\": "
                 "\"https://jsonfeed.org/version/1.1\",\n  \"items\": [");
    else
        buf_puts(&po->b, ",");
    po->started = 1;
    if (feed_json_item(&po->b, it, 2) != CUR_OK
        || fwrite(po->b.data, 1, po->b.len, po->out) != po->b.len)
        po->failed = 1;
    return 0;                   /* printed: the feed need not keep it */
}

static int
cmd_parse(struct cli *c, int argc, char **argv)
{
    struct parse_opts o;
    struct parse_out po = { .out = stdout };
    const char *path = NULL;
    (void)c;

    buf_init(&po.b, 0);
    parse_opts_default(&o);
    o.on_item = print_parsed_item;
    o.on_item_ctx = &po;
    o.max_size = (size_t)1 << 30;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--base-url") == 0 && i + 1 < argc)
            o.base_url = argv[++i];
        else if (strcmp(argv[i], "--content-type") == 0 && i + 1 < argc)
            o.content_type = argv[++i];
        else if (path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0'))
            path = argv[i];
        else
            return -2;
    }
    if (path == NULL)
        return -2;
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (in == NULL)
        return fail("cannot open %s: %s", path, strerror(errno));

    struct parser *p;
    struct feed *f = NULL;
    char err[512], chunk[1 << 16];
    size_t n;
    int rc = parser_new(&o, &p);
    while (rc == CUR_OK && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
        rc = parser_push(p, chunk, n);
    int read_failed = ferror(in);
    if (in != stdin)
        fclose(in);
    if (read_failed) {
        parser_free(p);
        buf_free(&po.b);
        return fail("cannot read %s: %s", path, strerror(errno));
    }
    rc = parser_finish(p, &f, err, sizeof err);
    parser_free(p);
    if (rc != CUR_OK) {
        if (po.started)
            fputs("\n  ]\n}\n", stdout);
        buf_free(&po.b);
        return fail("%s: %s", path, err);
    }
    if (!po.started) {
        rc = feed_json_write(stdout, f);
    } else {
        /* The feed's own members follow the items. */
        po.b.len = 0;
        rc = buf_puts(&po.b, "\n  ]");
        if (rc == CUR_OK)
            rc = feed_json_feed_members(&po.b, f);
        if (rc == CUR_OK)
            rc = buf_puts(&po.b, "\n}\n");
        if (rc != CUR_OK
            || fwrite(po.b.data, 1, po.b.len, stdout) != po.b.len)
            rc = -1;
    }
    feed_free(f);
    buf_free(&po.b);
    if (rc != 0 || po.failed || fflush(stdout) != 0)
        return fail("cannot write the output: %s", strerror(errno));
    return 0;
}

/* `curator sanitize`: untrusted HTML in, safe HTML (or plain text) out,
 * with the built-in defaults (no tracking hosts: there is no config). */
static int
cmd_sanitize(struct cli *c, int argc, char **argv)
{
    struct sanitize_opts o;
    const char *path = NULL, *base = NULL;
    int text = 0, mail = 0;
    (void)c;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--base-url") == 0 && i + 1 < argc) {
            base = argv[++i];
        } else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "mail") == 0)
                mail = 1;
            else if (strcmp(argv[i], "web") != 0)
                return -2;      /* misuse: the usage says web|mail */
        } else if (strcmp(argv[i], "--text") == 0) {
            text = 1;
        } else if (path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0')) {
            path = argv[i];
        } else {
            return -2;
        }
    }
    if (path == NULL)
        path = "-";
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (in == NULL)
        return fail("cannot open %s: %s", path, strerror(errno));
    struct buf b;
    char chunk[1 << 16];
    size_t n;
    int rc = CUR_OK;
    buf_init(&b, (size_t)64 << 20);
    while (rc == CUR_OK && (n = fread(chunk, 1, sizeof chunk, in)) > 0)
        rc = buf_append(&b, chunk, n);
    int read_failed = ferror(in);
    if (in != stdin)
        fclose(in);
    if (read_failed)
        return fail("cannot read %s: %s", path, strerror(errno));
    if (rc != CUR_OK)
        return fail("%s: %s (at most 64 MiB)", path, cur_strerror(rc));
    if (b.data == NULL && buf_append(&b, "", 0) != CUR_OK)
        return fail("out of memory");

    char *out = NULL;
    if (text) {
        /* The plain text stops at the first NUL, as stored text would. */
        out = sanitize_plain(b.data ? b.data : "", base, (size_t)-1);
        rc = out ? CUR_OK : CUR_ENOMEM;
    } else {
        sanitize_opts_init(&o, mail ? SANITIZE_MAIL : SANITIZE_WEB);
        o.base_url = base;
        rc = sanitize_html(b.data ? b.data : "", b.len, &o, &out);
    }
    buf_free(&b);
    if (rc != CUR_OK)
        return fail("%s: %s", path, cur_strerror(rc));
    int werr = printf("%s\n", out) < 0 || fflush(stdout) != 0;
    free(out);
    if (werr)
        return fail("cannot write the output: %s", strerror(errno));
    return 0;
}

static int cmd_help(struct cli *c, int argc, char **argv);

static const struct command commands[] = {
    { "init", "", "create or upgrade the database and add the config's "
      "feeds", 0, 0, cmd_init, 0 },
    { "user add", "NAME EMAIL", "add a user", 2, 2, cmd_user_add, 0 },
    { "user list", "", "list users", 0, 0, cmd_user_list, 0 },
    { "user role", "NAME subscriber|editor|admin", "set a user's role", 2,
      2, cmd_user_role, 0 },
    { "user password", "NAME", "set a user's web password, read from "
      "standard input (8 to 1024 bytes)", 1, 1, cmd_user_password, 0 },
    { "invite", "[--role ROLE] [--days N]", "print a one-use link to make "
      "an account (default subscriber, 7 days)", 0, 4, cmd_invite, 0 },
    { "feed add", "[--list] [--as-is] URL", "add a feed (http, https or "
      "file URL); given a web page, the feed it advertises (--list: list "
      "them; --as-is: add the URL without reading it)", 1, 3, cmd_feed_add,
      0 },
    { "feed list", "", "list feeds with their polling health", 0, 0,
      cmd_feed_list, 0 },
    { "feed show", "ID", "show one feed: health, schedule, validators", 1,
      1, cmd_feed_show, 0 },
    { "feed remove", "ID", "remove a feed, its items and subscriptions", 1,
      1, cmd_feed_remove, 0 },
    { "feed refresh", "ID...", "have the daemon poll feeds at its next tick "
      "(not one polled within [poll] refresh_gap)", 1, 64, cmd_feed_refresh,
      0 },
    { "subscribe", "USER FEED", "subscribe a user to a feed (ID or URL)", 2,
      2, cmd_subscribe, 0 },
    { "goal add", "USER NAME", "add a professional goal that interests "
      "can serve", 2, 2, cmd_goal_add, 0 },
    { "interest add", "USER TERM [WEIGHT] [--goal NAME]", "add an interest "
      "(a word, or a phrase of several; weight -10 to 10, default 1) or "
      "change it", 2, 5, cmd_interest_add, 0 },
    { "mute add", "USER TERM | USER --feed ID", "never show the user items "
      "that mention TERM, or items from a feed", 2, 3, cmd_mute_add, 0 },
    { "source weight", "USER FEED WEIGHT", "weigh a feed for a user: 1 "
      "neutral, 2 more, 0.5 less, 0 never (0 to 10)", 3, 3,
      cmd_source_weight, 0 },
    { "feedback", "USER ITEM up|down", "more or less like this item: "
      "teaches the bayes filter and rescores the user", 3, 3, cmd_feedback,
      0 },
    { "gem add", "ITEM --editor USER --note TEXT [--tags a,b] [--audience "
      "GOAL,...] [--expires DURATION]", "tag an item as an editor's gem",
      5, 11, cmd_gem_add, 0 },
    { "gem reach", "ITEM", "how many people a gem reached and liked "
      "(counts only)", 1, 1, cmd_gem_reach, 0 },
    { "team add", "NAME", "add a team", 1, 1, cmd_team_add, 0 },
    { "team member", "TEAM USER", "add a user to a team", 2, 2,
      cmd_team_member, 0 },
    { "share", "ITEM --user USER --team TEAM [--note TEXT]", "share an item "
      "with a team: it shows in the teammates' digests", 5, 7, cmd_share,
      0 },
    { "collection add", "NAME [--editor USER]", "add an editor's collection "
      "of feeds", 1, 3, cmd_collection_add, 0 },
    { "collection feed", "NAME FEED", "add a feed to a collection (its "
      "followers are subscribed)", 2, 2, cmd_collection_feed, 0 },
    { "collection follow", "NAME USER", "follow a collection: subscribe to "
      "its feeds, now and as it grows", 2, 2, cmd_collection_follow, 0 },
    { "score", "", "score new items and rescore changed profiles now", 0, 0,
      cmd_score, 0 },
    { "explain", "USER ITEM", "why the item scored what it did for the "
      "user", 2, 2, cmd_explain, 0 },
    { "top", "USER [--since DURATION] [--limit N] [--json] [--why-not]",
      "the user's ranked items with reasons (--why-not: the best excluded "
      "ones and what excluded them)", 1, 7, cmd_top, 0 },
    { "items", "[--feed ID] [--limit N]", "list the newest items (default "
      "20)", 0, 4, cmd_items, 0 },
    { "poll", "[--all] [--feed ID]", "poll the due feeds now (--all: every "
      "feed; --feed: that one, even disabled) and print a summary", 0, 2,
      cmd_poll, 0 },
    { "opml import", "FILE", "add the feeds of an OPML 1.0 or 2.0 file (- "
      "for standard input), folders as categories", 1, 1, cmd_opml_import,
      0 },
    { "opml export", "[FILE]", "write every feed as OPML 2.0 (default: "
      "standard output)", 0, 1, cmd_opml_export, 0 },
    { "parse", "[--base-url URL] [--content-type TYPE] FILE|-", "parse a "
      "feed file and print it as JSON Feed 1.1", 1, 5, cmd_parse, 1 },
    { "sanitize", "[--base-url URL] [--profile web|mail] [--text] "
      "[FILE|-]", "print the safe HTML of an HTML fragment (or with "
      "--text its plain text)", 0, 6, cmd_sanitize, 1 },
    { "digest set", "USER KEY VALUE", "digest settings: frequency "
      "daily|weekly, weekday, hour (0-23 local), tz (IANA), max_items, "
      "max_per_goal, min_score, email on|off, format html|text, "
      "pause_until DATE|none, remote_images on|off", 3, 3, cmd_digest_set,
      0 },
    { "digest preview", "USER [--html|--text|--raw]", "print the digest the "
      "user would get now (text part by default), recording nothing", 1, 2,
      cmd_digest_preview, 0 },
    { "digest send", "USER", "queue the user's digest for this period now "
      "and deliver the outbox", 1, 1, cmd_digest_send, 0 },
    { "digest feed-url", "USER", "print the user's private Atom feed URL",
      1, 1, cmd_digest_feed_url, 0 },
    { "outbox list", "", "list queued, sent and failed messages", 0, 0,
      cmd_outbox_list, 0 },
    { "outbox retry", "ID", "queue a failed message again", 1, 1,
      cmd_outbox_retry, 0 },
    { "backup", "[--force] FILE", "copy the database to FILE, safely "
      "while curatord runs, and check the copy (--force: replace FILE)", 1,
      2, cmd_backup, 0 },
    { "help", "[COMMAND]", "show this help, or one command's", 0, 2,
      cmd_help, 1 },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *out)
{
    fprintf(out, "usage: curator [-c FILE] COMMAND [ARGS]\n\n"
            "  -c, --config FILE  configuration (default: $CURATOR_CONFIG "
            "or\n                     " CURATOR_SYSCONFDIR "/curator.ini)\n"
            "  -V, --version      print the version\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof left, "%s %s", commands[i].name,
                 commands[i].args);
        fprintf(out, "  %-34s %s\n", left, commands[i].help);
    }
    fprintf(out, "\n'curator COMMAND --help' shows one command.\n");
}

static void
command_usage(FILE *out, const struct command *cmd)
{
    fprintf(out, "usage: curator [-c FILE] %s%s%s\n  %s\n", cmd->name,
            cmd->args[0] ? " " : "", cmd->args, cmd->help);
}

static int
cmd_help(struct cli *c, int argc, char **argv)
{
    int words;
    (void)c;
    const struct command *cmd = argc ? find_command(argc, argv, &words)
                                     : NULL;
    if (argc && cmd == NULL) {
        fprintf(stderr, "curator: no command '%s'\n", argv[0]);
        usage(stderr);
        return 2;
    }
    if (cmd)
        command_usage(stdout, cmd);
    else
        usage(stdout);
    return 0;
}

/* The command named by the first one or two words. */
static const struct command *
find_command(int argc, char **argv, int *words)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const char *name = commands[i].name, *space = strchr(name, ' ');
        if (space == NULL && strcmp(argv[0], name) == 0) {
            *words = 1;
            return &commands[i];
        }
        if (space && argc >= 2
            && strncmp(argv[0], name, (size_t)(space - name)) == 0
            && argv[0][space - name] == '\0'
            && strcmp(argv[1], space + 1) == 0) {
            *words = 2;
            return &commands[i];
        }
    }
    return NULL;
}

static int
open_store(struct cli *c)
{
    char err[CONFIG_ERR_MAX];
    const char *env = getenv("CURATOR_CONFIG");

    if (c->config_path == NULL)
        c->config_path = env && env[0] ? env
                                       : CURATOR_SYSCONFDIR "/curator.ini";
    if (config_load(c->config_path, &c->cfg, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    setup_poller_cfg(c->cfg, &c->poll);
    int rc = store_open(c->cfg->store_path, &c->st);
    if (rc != CUR_OK)
        return fail("cannot open database %s: %s", c->cfg->store_path,
                    cur_strerror(rc));
    return 0;
}

int
main(int argc, char **argv)
{
    struct cli c = { 0 };
    int i = 1, words, rc;

    log_open(NULL, LOG_WARN);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
            && i + 1 < argc) {
            c.config_path = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            c.config_path = argv[i] + 9;
        } else if (strcmp(argv[i], "-V") == 0
                   || strcmp(argv[i], "--version") == 0) {
            printf("curator %s\n", CURATOR_VERSION);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0
                   || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "curator: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i == argc) {
        fprintf(stderr, "curator: no command given\n");
        usage(stderr);
        return 2;
    }
    const struct command *cmd = find_command(argc - i, argv + i, &words);
    if (cmd == NULL) {
        fprintf(stderr, "curator: unknown command '%s'\n", argv[i]);
        usage(stderr);
        return 2;
    }
    int nargs = argc - i - words;
    char **args = argv + i + words;
    for (int k = 0; k < nargs; k++) {
        if (strcmp(args[k], "--help") == 0 || strcmp(args[k], "-h") == 0) {
            command_usage(stdout, cmd);
            return 0;
        }
    }
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        fprintf(stderr, "curator: %s: expected %s\n", cmd->name,
                cmd->args[0] ? cmd->args : "no arguments");
        command_usage(stderr, cmd);
        return 2;
    }
    if (cmd->run == cmd_help)
        return cmd_help(&c, nargs, args);
    if (cmd->no_store) {
        rc = cmd->run(&c, nargs, args);
        if (rc == -2) {
            fprintf(stderr, "curator: %s: bad arguments\n", cmd->name);
            command_usage(stderr, cmd);
            rc = 2;
        }
        return rc;
    }
    if (open_store(&c) != 0) {
        rc = 1;
    } else {
        rc = cmd->run(&c, nargs, args);
        if (rc == -2) {
            fprintf(stderr, "curator: %s: bad arguments\n", cmd->name);
            command_usage(stderr, cmd);
            rc = 2;
        }
    }
    store_close(c.st);
    config_free(c.cfg);
    return rc;
}
