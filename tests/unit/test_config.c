/* Unit tests for curator/config.c: config_load() on files written into a
 * fresh temporary folder, and the duration, size and interest parsers.
 *
 * Every refused config is checked against the exact "PATH:LINE: message"
 * text, since that text is what a user sees. The tests at the end are
 * regression tests for bugs found and fixed in config.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "setup.h"
#include "err.h"
#include "log.h"
#include "support.h"

/* One test's temporary folder and the config loaded from it. */
struct fx {
    char *dir;                      /* the folder, as created */
    char real[PATH_MAX];            /* its real path, as config.c sees it */
    char path[PATH_MAX];            /* dir/curator.ini */
    char err[CONFIG_ERR_MAX];
    char cwd[PATH_MAX];             /* set when a test changed folder */
    struct config *cfg;
};

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    fx->dir = t_mkdtemp();
    if (fx->dir == NULL || realpath(fx->dir, fx->real) == NULL) {
        t_rmtree(fx->dir);
        free(fx->dir);
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/curator.ini", fx->dir);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;

    if (fx->cwd[0] != '\0' && chdir(fx->cwd) != 0)
        return -1;
    config_free(fx->cfg);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* snprintf() that fails the test when the text does not fit. */
static void __attribute__((format(printf, 3, 4)))
fmt(char *out, size_t size, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    int n = vsnprintf(out, size, format, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < size);
}

/* dir/rel into a buffer of PATH_MAX bytes. */
static void
fx_file(const struct fx *fx, const char *rel, char *out)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", fx->dir, rel);
    assert_true(n > 0 && n < PATH_MAX);
}

static void
fx_mkdir(const struct fx *fx, const char *rel)
{
    char p[PATH_MAX];

    fx_file(fx, rel, p);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void
fx_write(const struct fx *fx, const char *rel, const void *data, size_t len)
{
    char p[PATH_MAX];

    fx_file(fx, rel, p);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void
fx_write_str(const struct fx *fx, const char *rel, const char *text)
{
    fx_write(fx, rel, text, strlen(text));
}

static void
write_config(const struct fx *fx, const char *text)
{
    fx_write_str(fx, "curator.ini", text);
}

/* Load fx->path, dropping any config from an earlier load. */
static int
load(struct fx *fx)
{
    config_free(fx->cfg);
    fx->cfg = NULL;
    memset(fx->err, 0, sizeof fx->err);
    return config_load(fx->path, &fx->cfg, fx->err, sizeof fx->err);
}

static void
load_ok(struct fx *fx)
{
    int rc = load(fx);

    if (rc != CUR_OK)
        print_error("config_load: %s\n", fx->err);
    assert_int_equal(rc, CUR_OK);
    assert_non_null(fx->cfg);
}

static void
write_load_ok(struct fx *fx, const char *text)
{
    write_config(fx, text);
    load_ok(fx);
}

/* Write 'text' as the config, load it and check that it is refused with
 * exactly "PATH:LINE: message" ("PATH: message" when line is 0). */
static void __attribute__((format(printf, 4, 5)))
expect_error(struct fx *fx, const char *text, int line, const char *msg, ...)
{
    char want[CONFIG_ERR_MAX];
    int n;
    va_list ap;

    write_config(fx, text);
    assert_int_equal(load(fx), CUR_ECONFIG);
    assert_null(fx->cfg);
    if (line > 0)
        n = snprintf(want, sizeof want, "%s:%d: ", fx->path, line);
    else
        n = snprintf(want, sizeof want, "%s: ", fx->path);
    assert_true(n > 0 && (size_t)n < sizeof want);
    va_start(ap, msg);
    vsnprintf(want + n, sizeof want - (size_t)n, msg, ap);
    va_end(ap);
    assert_string_equal(fx->err, want);
}

/* The 1-based line of 'text' on which 'needle' starts. */
static int
line_of(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    int line = 1;

    assert_non_null(at);
    for (const char *p = text; p < at; p++)
        if (*p == '\n')
            line++;
    return line;
}

/* Loading and values. */

static void
test_full_config(void **state)
{
    struct fx *fx = *state;
    char text[4096], logdir[PATH_MAX], want[PATH_MAX];

    fx_mkdir(fx, "data");
    fx_mkdir(fx, "logs");
    fx_mkdir(fx, "spool-dir");
    fx_mkdir(fx, "feeds");
    fx_write(fx, "feeds/local.xml", "<rss/>", 6);
    fx_file(fx, "logs", logdir);
    fmt(text, sizeof text,
        "; every key of config.c's keys[] table\n"
        "[store]\n"
        "path = data/curator.db\n"
        "\n"
        "[log]\n"
        "file = %s/curator.log\n"
        "level = debug\n"
        "\n"
        "[web]\n"
        "enabled = no\n"
        "address = ::1\n"
        "port = 0\n"
        "threads = 8\n"
        "page_items = 100\n"
        "\n"
        "[poll]\n"
        "interval = 2h\n"
        "timeout = 45s\n"
        "tick = 10\n"
        "max_body = 2M\n"
        "\n"
        "[digest]\n"
        "interval = 1d\n"
        "spool = spool-dir\n"
        "max_items = 40\n"
        "\n"
        "[demo]\n"
        "user = demo.user_1\n"
        "email = demo@example.org\n"
        "interests = coaching:2, onboarding\n"
        "\n"
        "[feeds]\n"
        "local = feeds/local.xml\n"
        "remote = https://example.org/feed.xml\n", logdir);
    write_load_ok(fx, text);

    struct config *c = fx->cfg;
    assert_string_equal(c->file, fx->path);
    assert_string_equal(c->dir, fx->real);
    fmt(want, sizeof want, "%s/data/curator.db", fx->real);
    assert_string_equal(c->store_path, want);
    fmt(want, sizeof want, "%s/curator.log", logdir);
    assert_string_equal(c->log_file, want);     /* absolute: kept as is */
    assert_int_equal(c->log_level, LOG_DEBUG);
    assert_int_equal(c->web_enabled, 0);
    assert_string_equal(c->web_address, "::1");
    assert_int_equal(c->web_port, 0);
    assert_int_equal(c->web_threads, 8);
    assert_int_equal(c->web_page_items, 100);
    assert_int_equal(c->poll_interval, 7200);
    assert_int_equal(c->poll_timeout, 45);
    assert_int_equal(c->poll_tick, 10);
    assert_int_equal(c->poll_max_body, 2 << 20);
    assert_int_equal(c->digest_interval, 86400);
    fmt(want, sizeof want, "%s/spool-dir", fx->real);
    assert_string_equal(c->spool_dir, want);
    assert_int_equal(c->digest_max_items, 40);
    assert_string_equal(c->demo_user, "demo.user_1");
    assert_string_equal(c->demo_email, "demo@example.org");
    assert_string_equal(c->demo_interests, "coaching:2, onboarding");

    assert_int_equal(c->n_feeds, 2);
    assert_string_equal(c->feeds[0].name, "local");
    fmt(want, sizeof want, "file://%s/feeds/local.xml", fx->real);
    assert_string_equal(c->feeds[0].url, want);
    assert_int_equal(c->feeds[0].line, line_of(text, "local ="));
    assert_string_equal(c->feeds[1].name, "remote");
    assert_string_equal(c->feeds[1].url, "https://example.org/feed.xml");
    assert_int_equal(c->feeds[1].line, line_of(text, "remote ="));
}

static void
test_defaults_for_empty_file(void **state)
{
    struct fx *fx = *state;
    char want[PATH_MAX];

    write_load_ok(fx, "");
    struct config *c = fx->cfg;
    assert_string_equal(c->file, fx->path);
    assert_string_equal(c->dir, fx->real);
    fmt(want, sizeof want, "%s/curator.db", fx->real);
    assert_string_equal(c->store_path, want);
    assert_null(c->log_file);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_int_equal(c->web_enabled, 1);
    assert_string_equal(c->web_address, "127.0.0.1");
    assert_int_equal(c->web_port, 8080);
    assert_int_equal(c->web_threads, 4);
    assert_int_equal(c->web_page_items, 50);
    assert_int_equal(c->poll_interval, 3600);
    assert_int_equal(c->poll_timeout, 30);
    assert_int_equal(c->poll_tick, 5);
    assert_int_equal(c->poll_max_body, 16 << 20);
    assert_int_equal(c->digest_interval, 86400);
    fmt(want, sizeof want, "%s/spool", fx->real);
    assert_string_equal(c->spool_dir, want);
    assert_int_equal(c->digest_max_items, 25);
    assert_null(c->demo_user);
    assert_null(c->demo_email);
    assert_null(c->demo_interests);
    assert_null(c->feeds);
    assert_int_equal(c->n_feeds, 0);
}

/* A BOM, CRLF endings, both comment styles, inline comments, "key: value"
 * and no spaces around '=' are all ordinary inih input. */
static void
test_comments_and_syntax_variants(void **state)
{
    struct fx *fx = *state;

    write_load_ok(fx, "\xef\xbb\xbf# comment\r\n"
                      "; another\r\n"
                      "\r\n"
                      "[web]\r\n"
                      "port=8081 ; inline comment\r\n"
                      "threads : 7\r\n"
                      "   \r\n"
                      "[log]\n"
                      "level = warn\n"
                      "file =\n");
    assert_int_equal(fx->cfg->web_port, 8081);
    assert_int_equal(fx->cfg->web_threads, 7);
    assert_int_equal(fx->cfg->log_level, LOG_WARN);
    assert_null(fx->cfg->log_file);     /* empty: standard error */
}

static void
test_bool_spellings(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        { "true", 1 }, { "TRUE", 1 }, { "yes", 1 }, { "On", 1 }, { "1", 1 },
        { "false", 0 }, { "no", 0 }, { "OFF", 0 }, { "0", 0 },
        { "False", 0 },
    };
    char text[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fmt(text, sizeof text, "[web]\nenabled = %s\n", cases[i].text);
        write_load_ok(fx, text);
        assert_int_equal(fx->cfg->web_enabled, cases[i].want);
    }
}

static void
test_log_levels_and_addresses(void **state)
{
    struct fx *fx = *state;
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    static const enum log_level want[] = {
        LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG
    };
    static const char *const addrs[] = {
        "0.0.0.0", "192.168.1.20", "::", "fe80::1", "::ffff:10.0.0.1"
    };
    char text[128];

    for (size_t i = 0; i < 4; i++) {
        fmt(text, sizeof text, "[log]\nlevel = %s\n", levels[i]);
        write_load_ok(fx, text);
        assert_int_equal(fx->cfg->log_level, want[i]);
    }
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        fmt(text, sizeof text, "[web]\naddress = %s\n", addrs[i]);
        write_load_ok(fx, text);
        assert_string_equal(fx->cfg->web_address, addrs[i]);
    }
}

/* The lowest and highest value of each ranged key load; one step beyond
 * is refused with the range in the message. */
static void
test_range_boundaries(void **state)
{
    struct fx *fx = *state;
    static const struct {
        const char *section, *key, *lo, *hi, *below, *above, *range;
    } cases[] = {
        { "web", "port", "0", "65535", NULL, "65536", "0 to 65535" },
        { "web", "threads", "1", "64", "0", "65", "1 to 64" },
        { "web", "page_items", "1", "1000", "0", "1001", "1 to 1000" },
        { "poll", "interval", "1m", "1w", "59s", "8d", "60s to 604800s" },
        { "poll", "timeout", "1", "10m", "0", "601", "1s to 600s" },
        { "poll", "tick", "1s", "1h", "0s", "3601", "1s to 3600s" },
        { "poll", "max_body", "1K", "1G", "1023", "1025M",
          "1024 to 1073741824 bytes" },
        { "digest", "interval", "10", "31d", "9s", "32d",
          "10s to 2678400s" },
        { "digest", "max_items", "1", "500", "0", "501", "1 to 500" },
    };
    char text[256];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *sec = cases[i].section, *key = cases[i].key;
        const char *bad[2] = { cases[i].below, cases[i].above };

        fmt(text, sizeof text, "[%s]\n%s = %s\n", sec, key,
                 cases[i].lo);
        write_load_ok(fx, text);
        fmt(text, sizeof text, "[%s]\n%s = %s\n", sec, key,
                 cases[i].hi);
        write_load_ok(fx, text);
        for (int b = 0; b < 2; b++) {
            if (bad[b] == NULL)
                continue;
            fmt(text, sizeof text, "[%s]\n%s = %s\n", sec, key, bad[b]);
            expect_error(fx, text, 2, "[%s] %s: %s is out of range (%s)",
                         sec, key, bad[b], cases[i].range);
        }
    }
}

/* A config named by a relative path: its folder is still made absolute,
 * and messages name the file as it was given. */
static void
test_relative_config_path(void **state)
{
    struct fx *fx = *state;
    char want[PATH_MAX];

    fx_mkdir(fx, "etc");
    fx_mkdir(fx, "etc/db");
    fx_write_str(fx, "etc/c.ini", "[store]\npath = db/x.db\n");
    assert_non_null(getcwd(fx->cwd, sizeof fx->cwd));
    assert_int_equal(chdir(fx->dir), 0);

    assert_int_equal(config_load("etc/c.ini", &fx->cfg, fx->err,
                                 sizeof fx->err), CUR_OK);
    fmt(want, sizeof want, "%s/etc", fx->real);
    assert_string_equal(fx->cfg->dir, want);
    assert_string_equal(fx->cfg->file, "etc/c.ini");
    fmt(want, sizeof want, "%s/etc/db/x.db", fx->real);
    assert_string_equal(fx->cfg->store_path, want);
    config_free(fx->cfg);
    fx->cfg = NULL;

    fx_write_str(fx, "etc/c.ini", "[web]\nport = x\n");
    assert_int_equal(config_load("etc/c.ini", &fx->cfg, fx->err,
                                 sizeof fx->err), CUR_ECONFIG);
    assert_null(fx->cfg);
    assert_string_equal(fx->err,
                        "etc/c.ini:2: [web] port: 'x' is not a whole number");
}

/* [feeds]: paths become file:// URLs of the real path (symlinks and ".."
 * resolved, unsafe bytes percent-encoded); URLs are kept as written. */
static void
test_feed_paths_and_urls(void **state)
{
    struct fx *fx = *state;
    char text[2048], abs_feed[PATH_MAX], want[PATH_MAX];

    fx_mkdir(fx, "feeds");
    fx_mkdir(fx, "other");
    fx_write(fx, "feeds/real.xml", "x", 1);
    fx_write(fx, "feeds/my feed&.xml", "x", 1);
    fx_file(fx, "feeds/link.xml", want);
    assert_int_equal(symlink("real.xml", want), 0);
    fx_file(fx, "feeds/real.xml", abs_feed);
    fmt(text, sizeof text,
             "[feeds]\n"
             "link = feeds/link.xml\n"
             "dots = other/../feeds/real.xml\n"
             "spaced = feeds/my feed&.xml\n"
             "absolute = %s\n"
             "plain = http://example.org/rss\n"
             "upper = HTTPS://Example.ORG/Atom?x=1&y=2\n"
             "file = file:///srv/feeds/a.xml\n", abs_feed);
    write_load_ok(fx, text);

    struct config *c = fx->cfg;
    assert_int_equal(c->n_feeds, 7);
    fmt(want, sizeof want, "file://%s/feeds/real.xml", fx->real);
    assert_string_equal(c->feeds[0].name, "link");
    assert_string_equal(c->feeds[0].url, want);
    assert_string_equal(c->feeds[1].url, want);
    fmt(want, sizeof want, "file://%s/feeds/my%%20feed%%26.xml",
             fx->real);
    assert_string_equal(c->feeds[2].name, "spaced");
    assert_string_equal(c->feeds[2].url, want);
    fmt(want, sizeof want, "file://%s/feeds/real.xml", fx->real);
    assert_string_equal(c->feeds[3].url, want);
    assert_string_equal(c->feeds[4].url, "http://example.org/rss");
    assert_string_equal(c->feeds[5].url,
                        "HTTPS://Example.ORG/Atom?x=1&y=2");
    assert_string_equal(c->feeds[6].url, "file:///srv/feeds/a.xml");
    for (size_t i = 0; i < c->n_feeds; i++)
        assert_int_equal(c->feeds[i].line, (int)i + 2);
}

/* Errors: the file itself. */

static void
test_missing_file(void **state)
{
    struct fx *fx = *state;

    assert_int_equal(load(fx), CUR_ECONFIG);
    assert_null(fx->cfg);
    char want[CONFIG_ERR_MAX];
    fmt(want, sizeof want, "%s: cannot open: No such file or directory",
             fx->path);
    assert_string_equal(fx->err, want);
}

static void
test_directory_as_file(void **state)
{
    struct fx *fx = *state;
    char want[CONFIG_ERR_MAX];

    assert_int_equal(config_load(fx->dir, &fx->cfg, fx->err,
                                 sizeof fx->err), CUR_ECONFIG);
    assert_null(fx->cfg);
    fmt(want, sizeof want, "%s: read error: Is a directory", fx->dir);
    assert_string_equal(fx->err, want);
}

/* Errors: sections and keys. */

static void
test_unknown_section(void **state)
{
    struct fx *fx = *state;

    /* Reported on the section's own line, keys or not. */
    expect_error(fx, "[web]\nport = 1\n\n[bogus]\nx = 1\n", 4,
                 "unknown section [bogus]");
    expect_error(fx, "[Web]\nport = 1\n", 1, "unknown section [Web]");
}

static void
test_unknown_key(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = 1\nportt = 2\n", 3,
                 "unknown key 'portt' in [web]");
    expect_error(fx, "[store]\nPath = x.db\n", 2,
                 "unknown key 'Path' in [store]");
}

static void
test_key_outside_section(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "# top\nport = 8080\n[web]\n", 2,
                 "'port' is outside any [section]");
}

static void
test_key_set_twice(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = 1\nthreads = 2\nport = 1\n", 4,
                 "[web] port: set twice");
    /* A section may be reopened, but a key is still set once. */
    expect_error(fx, "[poll]\ntick = 5\n[web]\nport = 1\n[poll]\ntick = 6\n",
                 6, "[poll] tick: set twice");
}

static void
test_first_error_is_reported(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = x\nthreads = 0\nfoo = 1\n", 2,
                 "[web] port: 'x' is not a whole number");
}

static void
test_syntax_error(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = 1\nthreads 4\n", 3,
                 "syntax error: expected '[section]' or 'key = value'");
    expect_error(fx, "# no ']'\n[web\n", 2,
                 "syntax error: expected '[section]' or 'key = value'");
}

/* inih reads lines into INI_MAX_LINE (200) bytes: 198 characters plus
 * the newline and the terminator. A longer line is refused rather than
 * split into two. */
static void
test_line_too_long(void **state)
{
    struct fx *fx = *state;
    char text[1024], line[512];

    /* 198 characters: loads, and the value at its end is read. */
    fmt(line, sizeof line, "port =%*s", 198 - 6, "8081");
    assert_int_equal(strlen(line), 198);
    fmt(text, sizeof text, "[web]\n%s\n", line);
    write_load_ok(fx, text);
    assert_int_equal(fx->cfg->web_port, 8081);

    /* 199 characters: refused. */
    fmt(line, sizeof line, "port =%*s", 199 - 6, "8081");
    fmt(text, sizeof text, "[web]\n%s\n", line);
    expect_error(fx, text, 2, "line is longer than 198 characters");

    /* The tail of a long line is not read as a line of its own: if it
     * were, "xx...port = x" would be an unknown key in [web]. */
    memset(line, 'x', 250);
    memcpy(line + 250, "port = x\n", 10);
    fmt(text, sizeof text, "[web]\n#%s", line);
    expect_error(fx, text, 2, "line is longer than 198 characters");

    /* The long line wins over the bad value it starts with. */
    memset(line, '9', 300);
    line[300] = '\0';
    fmt(text, sizeof text, "[web]\nport = %s\nthreads = 2\n", line);
    expect_error(fx, text, 2, "line is longer than 198 characters");

    /* Also on a last line without a newline. */
    memset(line, 'x', 250);
    line[250] = '\0';
    fmt(text, sizeof text, "[web]\n#%s", line);
    expect_error(fx, text, 2, "line is longer than 198 characters");
}

/* Errors: values. */

static void
test_bad_whole_number(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = 80x\n", 2,
                 "[web] port: '80x' is not a whole number");
    expect_error(fx, "[web]\nthreads = -1\n", 2,
                 "[web] threads: '-1' is not a whole number");
    expect_error(fx, "[web]\npage_items =\n", 2,
                 "[web] page_items: '' is not a whole number");
    expect_error(fx, "[digest]\nmax_items = 99999999999999999999\n", 2,
                 "[digest] max_items: '99999999999999999999' is not a "
                 "whole number");
}

static void
test_number_out_of_range(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nport = 70000\n", 2,
                 "[web] port: 70000 is out of range (0 to 65535)");
    expect_error(fx, "[web]\nthreads = 9223372036854775807\n", 2,
                 "[web] threads: 9223372036854775807 is out of range "
                 "(1 to 64)");
}

static void
test_bad_duration(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[poll]\ninterval = 1.5h\n", 2,
                 "[poll] interval: '1.5h' is not a duration (like 90s, 15m, "
                 "2h, 1d)");
    expect_error(fx, "[poll]\ntimeout = 30 s\n", 2,
                 "[poll] timeout: '30 s' is not a duration (like 90s, 15m, "
                 "2h, 1d)");
    expect_error(fx, "[digest]\ninterval = 99999999999999999999w\n", 2,
                 "[digest] interval: '99999999999999999999w' is not a "
                 "duration (like 90s, 15m, 2h, 1d)");
    expect_error(fx, "[poll]\ninterval = 30s\n", 2,
                 "[poll] interval: 30s is out of range (60s to 604800s)");
}

static void
test_bad_size(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[poll]\nmax_body = 16X\n", 2,
                 "[poll] max_body: '16X' is not a size (like 512K, 16M)");
    expect_error(fx, "[poll]\nmax_body = 99999999999999999999G\n", 2,
                 "[poll] max_body: '99999999999999999999G' is not a size "
                 "(like 512K, 16M)");
    expect_error(fx, "[poll]\nmax_body = 2G\n", 2,
                 "[poll] max_body: 2G is out of range (1024 to 1073741824 "
                 "bytes)");
}

static void
test_bad_bool(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\nenabled = maybe\n", 2,
                 "[web] enabled: 'maybe' is not true or false");
    expect_error(fx, "[web]\nenabled = 2\n", 2,
                 "[web] enabled: '2' is not true or false");
}

static void
test_bad_log_level(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[log]\nlevel = verbose\n", 2,
                 "[log] level: 'verbose' is not one of error, warn, info, "
                 "debug");
    expect_error(fx, "[log]\nlevel = DEBUG\n", 2,
                 "[log] level: 'DEBUG' is not one of error, warn, info, "
                 "debug");
}

static void
test_bad_address(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[web]\naddress = localhost\n", 2,
                 "[web] address: 'localhost' is not an IPv4 or IPv6 address");
    expect_error(fx, "[web]\naddress = 256.1.1.1\n", 2,
                 "[web] address: '256.1.1.1' is not an IPv4 or IPv6 address");
    expect_error(fx, "[web]\naddress = 127.0.0.1:80\n", 2,
                 "[web] address: '127.0.0.1:80' is not an IPv4 or IPv6 "
                 "address");
}

static void
test_missing_directories(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[store]\npath = nodir/curator.db\n", 2,
                 "[store] path: directory '%s/nodir' does not exist",
                 fx->real);
    expect_error(fx, "[log]\nfile = /nonexistent-curator/x.log\n", 2,
                 "[log] file: directory '/nonexistent-curator' does not "
                 "exist");
    expect_error(fx, "[digest]\nspool = nospool\n", 2,
                 "[digest] spool: directory '%s/nospool' does not exist",
                 fx->real);
    /* A regular file is not a folder. */
    fx_write(fx, "plain", "x", 1);
    expect_error(fx, "[digest]\nspool = plain\n", 2,
                 "[digest] spool: directory '%s/plain' does not exist",
                 fx->real);
}

static void
test_feed_errors(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[feeds]\na = missing.xml\n", 2,
                 "[feeds] a: file '%s/missing.xml' does not exist",
                 fx->real);
    expect_error(fx, "[feeds]\na = ftp://example.org/feed.xml\n", 2,
                 "[feeds] a: 'ftp://example.org/feed.xml': only http, "
                 "https and file URLs are allowed");
    expect_error(fx, "[feeds]\na = javascript://x\n", 2,
                 "[feeds] a: 'javascript://x': only http, https and file "
                 "URLs are allowed");
    expect_error(fx, "[feeds]\na = https://example.org/1\n"
                     "b = https://example.org/2\n"
                     "a = https://example.org/3\n", 4,
                 "[feeds] a: listed twice (first on line 2)");
    expect_error(fx, "[feeds]\na =\n", 2, "[feeds] a: needs a URL or a path");
    expect_error(fx, "[feeds]\na = https://example.org/a b\n", 2,
                 "[feeds] a: URL has a space or control character");
    expect_error(fx, "[feeds]\na = https://example.org/\x01\n", 2,
                 "[feeds] a: URL has a space or control character");
}

static void
test_bad_demo_values(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[demo]\nuser = bad name\n", 2,
                 "[demo] user: 'bad name' is not a user name (1 to 64 of "
                 "A-Z a-z 0-9 . _ -)");
    expect_error(fx, "[demo]\nuser = -dash\n", 2,
                 "[demo] user: '-dash' is not a user name (1 to 64 of "
                 "A-Z a-z 0-9 . _ -)");
    expect_error(fx, "[demo]\nuser = ann\nemail = ann at example.org\n", 3,
                 "[demo] email: 'ann at example.org' is not an email "
                 "address");
    expect_error(fx, "[demo]\nemail = <ann@example.org>\n", 2,
                 "[demo] email: '<ann@example.org>' is not an email "
                 "address");
    expect_error(fx, "[demo]\ninterests = coaching:2, x:abc\n", 2,
                 "[demo] interests: interest 'x': weight 'abc' is not a "
                 "number from -10 to 10");
    expect_error(fx, "[demo]\ninterests = x:11\n", 2,
                 "[demo] interests: interest 'x': weight '11' is not a "
                 "number from -10 to 10");
}

static void
test_demo_user_without_email(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[demo]\nuser = ann\ninterests = x\n", 0,
                 "[demo] user is set but [demo] email is not");
    /* An email alone is fine: there is no demo user then. */
    write_load_ok(fx, "[demo]\nemail = ann@example.org\n");
    assert_null(fx->cfg->demo_user);
    assert_string_equal(fx->cfg->demo_email, "ann@example.org");
}

/* A buffer too small for the message gets a cut, terminated prefix. */
static void
test_small_error_buffer(void **state)
{
    struct fx *fx = *state;
    char small[12];

    write_config(fx, "[web]\nport = x\n");
    memset(small, '#', sizeof small);
    assert_int_equal(config_load(fx->path, &fx->cfg, small, sizeof small),
                     CUR_ECONFIG);
    assert_null(fx->cfg);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, fx->path, sizeof small - 1);
}

/* Hostile input: whatever the bytes, config_load returns a config or a
 * "PATH:..." message, and never crashes (run this under valgrind). */

static void
check_load_survives(struct fx *fx, const void *data, size_t len)
{
    fx_write(fx, "curator.ini", data, len);
    int rc = load(fx);
    if (rc == CUR_OK) {
        assert_non_null(fx->cfg);
        return;
    }
    assert_int_equal(rc, CUR_ECONFIG);
    assert_null(fx->cfg);
    size_t plen = strlen(fx->path);
    assert_memory_equal(fx->err, fx->path, plen);
    assert_int_equal(fx->err[plen], ':');
}

#define SURVIVE(fx, lit) check_load_survives((fx), (lit), sizeof(lit) - 1)

static void
test_hostile_nul_bytes(void **state)
{
    struct fx *fx = *state;

    SURVIVE(fx, "\0");
    SURVIVE(fx, "[web]\nport = 80\0 81\nthreads = 9\n");
    SURVIVE(fx, "[web]\n\0port = 80\n");
    SURVIVE(fx, "[we\0b]\nport = 1\n");
    SURVIVE(fx, "[feeds]\na\0b = https://example.org/\n");
    SURVIVE(fx, "[demo]\nuser = ann\0\nemail = a@example.org\n");
    SURVIVE(fx, "[web]\nport = 1\0");
}

static void
test_hostile_invalid_utf8(void **state)
{
    struct fx *fx = *state;

    SURVIVE(fx, "[feeds]\n\xff\xfe = https://example.org/\n");
    SURVIVE(fx, "[feeds]\nx = https://example.org/\xc3\x28\n");
    SURVIVE(fx, "[demo]\nuser = ann\nemail = a@example.org\n"
                "interests = \xed\xa0\x80:2, \xc0\xaf\n");

    /* Where a value is checked, bad bytes are refused. */
    SURVIVE(fx, "[demo]\nuser = \xc3\x28\n");
    assert_null(fx->cfg);
    assert_non_null(strstr(fx->err, ":2: [demo] user: '\xc3\x28' is not a "
                                    "user name"));
    SURVIVE(fx, "[demo]\nuser = ann\nemail = \xc0\xaf@example.org\n");
    assert_null(fx->cfg);
    SURVIVE(fx, "[\xff\xfe]\nx = 1\n");
    assert_null(fx->cfg);
    SURVIVE(fx, "[web]\naddress = 127.0.0.\xb1\n");
    assert_null(fx->cfg);
}

/* Random bytes biased towards INI syntax, from a fixed seed. */
static void
test_hostile_random_input(void **state)
{
    struct fx *fx = *state;
    static const char alphabet[] =
        "[]=:;# \t\r\n\n\n\nwebportthreadsfeedsdemouserpolldigest"
        "0123456789.-/\\'\"%\x01\x7f\x80\xc3\xff";
    unsigned long long x = 0x9e3779b97f4a7c15ULL;
    char buf[700];

    fx_mkdir(fx, "spool");
    for (int round = 0; round < 300; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t len = (size_t)(x % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Include the alphabet's terminating NUL now and then. */
            buf[i] = alphabet[x % sizeof alphabet];
        }
        check_load_survives(fx, buf, len);
    }
}

/* config_parse_duration. */

static void
test_parse_limits(void **state)
{
    struct fx *fx = *state;

    write_config(fx, "[parse]\nmax_items = 50\nmax_title = 100\n"
                 "max_content = 64K\nmax_depth = 32\nmax_attributes = 16\n"
                 "cpu_time = 2s\n");
    load_ok(fx);
    assert_int_equal(fx->cfg->parse_max_items, 50);
    assert_int_equal(fx->cfg->parse_max_title, 100);
    assert_int_equal(fx->cfg->parse_max_content, 64 * 1024);
    assert_int_equal(fx->cfg->parse_max_depth, 32);
    assert_int_equal(fx->cfg->parse_max_attributes, 16);
    assert_int_equal(fx->cfg->parse_cpu, 2);
    write_config(fx, "");
    load_ok(fx);
    assert_int_equal(fx->cfg->parse_max_items, 1000);
    assert_int_equal(fx->cfg->parse_max_depth, 256);
    expect_error(fx, "[parse]\nmax_depth = 1000\n", 2,
                 "[parse] max_depth: 1000 is out of range (16 to 256)");
    expect_error(fx, "[parse]\nmax_items = 0\n", 2,
                 "[parse] max_items: 0 is out of range (1 to 100000)");
    expect_error(fx, "[parse]\ncpu_time = forever\n", 2,
                 "[parse] cpu_time: 'forever' is not a duration (like 90s, "
                 "15m, 2h, 1d)");
}

static void
test_sanitize_settings(void **state)
{
    struct fx *fx = *state;

    write_config(fx, "[sanitize]\ntracking_hosts = Pixel.Example.COM,"
                 " stats.example.org  t-1.example\nmax_data_image = 0\n"
                 "text_max = 16K\nmail_remote_images = yes\n");
    load_ok(fx);
    assert_string_equal(fx->cfg->sanitize_tracking_hosts,
                        "pixel.example.com,stats.example.org,t-1.example");
    assert_int_equal(fx->cfg->sanitize_max_data_image, 0);
    assert_int_equal(fx->cfg->sanitize_text_max, 16 * 1024);
    assert_int_equal(fx->cfg->sanitize_mail_images, 1);
    /* What the poller and the mail composer get from it. */
    struct sanitize_opts o;
    setup_sanitize_opts(fx->cfg, SANITIZE_MAIL, &o);
    assert_int_equal(o.profile, SANITIZE_MAIL);
    assert_int_equal(o.remote_images, 1);
    assert_int_equal(o.max_data_image, 0);
    assert_string_equal(o.tracking_hosts,
                        "pixel.example.com,stats.example.org,t-1.example");
    struct poller_cfg pc;
    setup_poller_cfg(fx->cfg, &pc);
    assert_int_equal(pc.sanitize.profile, SANITIZE_WEB);
    assert_int_equal(pc.sanitize.remote_images, 0);
    assert_int_equal(pc.text_max, 16 * 1024);
    /* The defaults. */
    write_config(fx, "");
    load_ok(fx);
    assert_non_null(strstr(fx->cfg->sanitize_tracking_hosts,
                           "pixel.wp.com"));
    assert_int_equal(fx->cfg->sanitize_max_data_image, 32 * 1024);
    assert_int_equal(fx->cfg->sanitize_text_max, 4096);
    assert_int_equal(fx->cfg->sanitize_mail_images, 0);
    /* An empty list turns the host check off. */
    write_config(fx, "[sanitize]\ntracking_hosts =\n");
    load_ok(fx);
    assert_string_equal(fx->cfg->sanitize_tracking_hosts, "");
    expect_error(fx, "[sanitize]\ntracking_hosts = ok.example, bad/host\n",
                 2, "[sanitize] tracking_hosts: 'ok.example, bad/host' is "
                 "not a list of host names (like pixel.example.com, "
                 "stats.example.org)");
    expect_error(fx, "[sanitize]\ntracking_hosts = a..b\n", 2,
                 "[sanitize] tracking_hosts: 'a..b' is not a list of host "
                 "names (like pixel.example.com, stats.example.org)");
    expect_error(fx, "[sanitize]\ntext_max = 100\n", 2,
                 "[sanitize] text_max: 100 is out of range (256 to 1048576 "
                 "bytes)");
    expect_error(fx, "[sanitize]\nmax_data_image = 2M\n", 2,
                 "[sanitize] max_data_image: 2M is out of range (0 to "
                 "1048576 bytes)");
    expect_error(fx, "[sanitize]\nstyle = on\n", 2,
                 "unknown key 'style' in [sanitize]");
}

/* [poll]: concurrency, timeouts, the scheduling bounds and the web
 * feeds' address check. */
static void
test_poll_limits(void **state)
{
    struct fx *fx = *state;

    write_config(fx, "[poll]\nconnections = 200\nper_host = 2\n"
                 "connect_timeout = 5s\ninterval = 2h\nmin_interval = 30m\n"
                 "max_interval = 2d\nbackoff_max = 12h\nspread = 0\n"
                 "refuse_private = no\nworkers = 3\nrefresh_gap = 5m\n");
    load_ok(fx);
    assert_int_equal(fx->cfg->poll_refresh_gap, 300);
    assert_int_equal(fx->cfg->poll_connections, 200);
    assert_int_equal(fx->cfg->poll_per_host, 2);
    assert_int_equal(fx->cfg->poll_connect_timeout, 5);
    assert_int_equal(fx->cfg->poll_min_interval, 1800);
    assert_int_equal(fx->cfg->poll_max_interval, 2 * 86400);
    assert_int_equal(fx->cfg->poll_backoff_max, 12 * 3600);
    assert_int_equal(fx->cfg->poll_spread, 0);
    assert_int_equal(fx->cfg->poll_refuse_private, 0);
    assert_int_equal(fx->cfg->poll_workers, 3);
    struct poller_cfg pc;
    setup_poller_cfg(fx->cfg, &pc);
    assert_int_equal(pc.connections, 200);
    assert_int_equal(pc.per_host, 2);
    assert_int_equal(pc.sched.interval, 7200);
    assert_int_equal(pc.sched.min_interval, 1800);
    assert_int_equal(pc.sched.max_interval, 2 * 86400);
    assert_int_equal(pc.sched.backoff_max, 12 * 3600);
    assert_int_equal(pc.refuse_private, 0);
    assert_int_equal(pc.workers, 3);

    /* Defaults; the bounds left out follow [poll] interval. */
    write_config(fx, "");
    load_ok(fx);
    assert_int_equal(fx->cfg->poll_connections, 64);
    assert_int_equal(fx->cfg->poll_per_host, 6);
    assert_int_equal(fx->cfg->poll_connect_timeout, 10);
    assert_int_equal(fx->cfg->poll_min_interval, 900);
    assert_int_equal(fx->cfg->poll_max_interval, 86400);
    assert_int_equal(fx->cfg->poll_backoff_max, 86400);
    assert_int_equal(fx->cfg->poll_spread, 600);
    assert_int_equal(fx->cfg->poll_refuse_private, 1);
    assert_int_equal(fx->cfg->poll_workers, 0);
    assert_int_equal(fx->cfg->poll_refresh_gap, 60);
    write_config(fx, "[poll]\ninterval = 5m\n");
    load_ok(fx);
    assert_int_equal(fx->cfg->poll_min_interval, 300);
    write_config(fx, "[poll]\ninterval = 1w\n");
    load_ok(fx);
    assert_int_equal(fx->cfg->poll_max_interval, 7 * 86400);

    expect_error(fx, "[poll]\nconnections = 0\n", 2,
                 "[poll] connections: 0 is out of range (1 to 1024)");
    expect_error(fx, "[poll]\nper_host = 65\n", 2,
                 "[poll] per_host: 65 is out of range (1 to 64)");
    expect_error(fx, "[poll]\nworkers = 65\n", 2,
                 "[poll] workers: 65 is out of range (0 to 64)");
    expect_error(fx, "[poll]\nconnect_timeout = 2m\n", 2,
                 "[poll] connect_timeout: 2m is out of range (1s to 60s)");
    expect_error(fx, "[poll]\nmin_interval = 30s\n", 2,
                 "[poll] min_interval: 30s is out of range (60s to "
                 "604800s)");
    expect_error(fx, "[poll]\nrefresh_gap = -1s\n", 2,
                 "[poll] refresh_gap: '-1s' is not a duration (like 90s, "
                 "15m, 2h, 1d)");
    expect_error(fx, "[poll]\nspread = 2d\n", 2,
                 "[poll] spread: 2d is out of range (0s to 86400s)");
    expect_error(fx, "[poll]\nrefuse_private = maybe\n", 2,
                 "[poll] refuse_private: 'maybe' is not true or false");
    expect_error(fx, "[poll]\nmin_interval = 2h\nmax_interval = 1h\n", 0,
                 "[poll] min_interval (7200s) is more than max_interval "
                 "(3600s)");
    expect_error(fx, "[poll]\ninterval = 2d\nmax_interval = 1d\n", 0,
                 "[poll] interval (172800s) must lie between min_interval "
                 "(900s) and max_interval (86400s)");
    expect_error(fx, "[poll]\ninterval = 10m\nmin_interval = 1h\n", 0,
                 "[poll] interval (600s) must lie between min_interval "
                 "(3600s) and max_interval (86400s)");
}

static void
test_parse_duration(void **state)
{
    static const struct {
        const char *s;
        long want;
    } good[] = {
        { "0", 0 }, { "90", 90 }, { "30s", 30 }, { "15m", 900 },
        { "2h", 7200 }, { "1d", 86400 }, { "1w", 604800 },
        { "007m", 420 }, { "9223372036854775807", LONG_MAX },
    };
    static const char *const bad[] = {
        "", "s", "-5", "+5", " 5", "5 ", "1.5h", "5x", "5ms", "1H", "1D",
        "99999999999999999999", "9223372036854775807s1",
        "9223372036854775807w", "1537228672809129302w", "0x10",
    };
    long v;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        v = -1;
        if (config_parse_duration(good[i].s, &v) != CUR_OK)
            fail_msg("duration '%s' refused", good[i].s);
        assert_int_equal(v, good[i].want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = -12345;
        if (config_parse_duration(bad[i], &v) != CUR_EINVAL)
            fail_msg("duration '%s' accepted", bad[i]);
        assert_int_equal(v, -12345);        /* untouched on failure */
    }
}

/* config_parse_size. */

static void
test_parse_size(void **state)
{
    static const struct {
        const char *s;
        unsigned long long want;
    } good[] = {
        { "0", 0 }, { "512", 512 }, { "1K", 1024 }, { "1k", 1024 },
        { "512K", 512 << 10 }, { "16M", 16 << 20 }, { "1G", 1ULL << 30 },
        { "2KB", 2048 }, { "2KiB", 2048 }, { "3MiB", 3 << 20 },
#if SIZE_MAX == UINT64_MAX
        { "17179869183G", 17179869183ULL << 30 },
        { "18446744073709551615", UINT64_MAX },
#endif
    };
    static const char *const bad[] = {
        "", "K", "-1", "+1", " 1", "1 ", "1T", "1KBB", "1.5M",
        "99999999999999999999G", "99999999999999999999",
        "18446744073709551616",
#if SIZE_MAX == UINT64_MAX
        "17179869184G", "18014398509481984K",
#endif
    };
    size_t v;

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        v = 1;
        if (config_parse_size(good[i].s, &v) != CUR_OK)
            fail_msg("size '%s' refused", good[i].s);
        assert_true(v == good[i].want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 12345;
        if (config_parse_size(bad[i], &v) != CUR_EINVAL)
            fail_msg("size '%s' accepted", bad[i]);
        assert_int_equal(v, 12345);
    }
}

/* config_parse_interests. */

static void
test_parse_interests(void **state)
{
    struct config_interest in[8];
    char err[256];

    (void)state;
    memset(in, 0, sizeof in);
    assert_int_equal(config_parse_interests("coaching:2, onboarding , "
                                            "feedback:-1.5", in, 8, err,
                                            sizeof err), 3);
    assert_string_equal(in[0].term, "coaching");
    assert_true(in[0].weight == 2.0);
    assert_string_equal(in[1].term, "onboarding");
    assert_true(in[1].weight == 1.0);
    assert_string_equal(in[2].term, "feedback");
    assert_true(in[2].weight == -1.5);

    /* Empty items are skipped; spaces inside a term and after ':' are
     * kept and skipped. (Spaces before ':': see test_regression_*.) */
    assert_int_equal(config_parse_interests(", ,a,,  b c: 0.5 ,", in, 8,
                                            err, sizeof err), 2);
    assert_string_equal(in[0].term, "a");
    assert_true(in[0].weight == 1.0);
    assert_string_equal(in[1].term, "b c");
    assert_true(in[1].weight == 0.5);
    assert_int_equal(config_parse_interests("", in, 8, err, sizeof err), 0);
    assert_int_equal(config_parse_interests(" , ,", in, 8, err, sizeof err),
                     0);

    /* The weight range is inclusive. */
    assert_int_equal(config_parse_interests("lo:-10,hi:10,e:1e1", in, 8, err,
                                            sizeof err), 3);
    assert_true(in[0].weight == -10.0);
    assert_true(in[1].weight == 10.0);
    assert_true(in[2].weight == 10.0);
}

static void
expect_interest_error(const char *list, size_t max, const char *want)
{
    struct config_interest in[4];
    char err[256] = "";

    if (config_parse_interests(list, in, max, err, sizeof err) != CUR_EINVAL)
        fail_msg("interests '%s' accepted", list);
    assert_string_equal(err, want);
}

static void
test_parse_interests_errors(void **state)
{
    char term[200];

    (void)state;
    expect_interest_error("x:abc", 4,
                          "interest 'x': weight 'abc' is not a number from "
                          "-10 to 10");
    expect_interest_error("ok, x:2y", 4,
                          "interest 'x': weight '2y' is not a number from "
                          "-10 to 10");
    expect_interest_error("x:10.5", 4,
                          "interest 'x': weight '10.5' is not a number from "
                          "-10 to 10");
    expect_interest_error("x:nan", 4,
                          "interest 'x': weight 'nan' is not a number from "
                          "-10 to 10");
    expect_interest_error("x:-inf", 4,
                          "interest 'x': weight '-inf' is not a number from "
                          "-10 to 10");
    expect_interest_error("x:1:2", 4,
                          "interest 'x': weight '1:2' is not a number from "
                          "-10 to 10");
    expect_interest_error("x:", 4, "interest 'x': missing weight after ':'");
    expect_interest_error("x: ,y", 4,
                          "interest 'x': missing weight after ':'");
    expect_interest_error(":2", 4,
                          "interest ':2': term must be 1 to 127 bytes");
    expect_interest_error("a,b,c", 2, "more than 2 interests");

    /* A term of 127 bytes fits, 128 does not. */
    struct config_interest in[1];
    char err[256];
    memset(term, 't', 127);
    term[127] = '\0';
    assert_int_equal(config_parse_interests(term, in, 1, err, sizeof err), 1);
    assert_string_equal(in[0].term, term);
    memset(term, 't', 128);
    term[128] = '\0';
    assert_int_equal(config_parse_interests(term, in, 1, err, sizeof err),
                     CUR_EINVAL);
}

/* Known bugs in config.c; see the comment on each. */

/* Regression: an empty [store] path loaded as NULL and crashed the
 * store; only [log] file may be empty. */
static void
test_regression_empty_store_path(void **state)
{
    struct fx *fx = *state;

    expect_error(fx, "[store]\npath =\n", 2,
                 "[store] path: needs a file name");
    expect_error(fx, "[store]\npath = data/\n", 2,
                 "[store] path: needs a file name, not a folder");
}

/* Regression: an unknown section with no keys was accepted (inih calls
 * the handler for keys only). */
static void
test_regression_unknown_empty_section(void **state)
{
    struct fx *fx = *state;
    char want[CONFIG_ERR_MAX];

    write_config(fx, "[fedds]\n; a = https://example.org/\n");
    assert_int_equal(load(fx), CUR_ECONFIG);
    fmt(want, sizeof want, "%s:1: unknown section [fedds]", fx->path);
    assert_string_equal(fx->err, want);
}

/* Regression: a later bad value was reported instead of an earlier
 * syntax error or over-long line. */
static void
test_regression_first_error_order(void **state)
{
    struct fx *fx = *state;
    char text[1024], pad[300];

    expect_error(fx, "[web]\nport 1\nthreads = 0\n", 2,
                 "syntax error: expected '[section]' or 'key = value'");
    expect_error(fx, "[web\nport = 1\n", 1,
                 "syntax error: expected '[section]' or 'key = value'");
    memset(pad, 'x', 250);
    pad[250] = '\0';
    fmt(text, sizeof text, "[web]\n#%s\nthreads = 0\n", pad);
    expect_error(fx, text, 2, "line is longer than 198 characters");
}

/* Regression: a NUL byte was reported as an over-long line and the
 * next line was swallowed. */
static void
test_regression_nul_byte_message(void **state)
{
    struct fx *fx = *state;

    SURVIVE(fx, "[web]\nport = 80\0x\nthreads = 2\n");
    assert_int_equal(load(fx), CUR_ECONFIG);
    assert_non_null(strstr(fx->err, ":2: line holds a NUL byte"));
}

/* Regression: a weight of 64 or more characters was reported as
 * "missing weight". */
static void
test_regression_long_weight_message(void **state)
{
    struct config_interest in[1];
    char list[128], err[256] = "";

    (void)state;
    fmt(list, sizeof list, "x:%064d", 1);
    int n = config_parse_interests(list, in, 1, err, sizeof err);
    if (n != 1)
        assert_null(strstr(err, "missing weight"));
}

/* Regression: spaces before ':' made the weight be read past the end
 * of the item (and of the string). */
static void
test_regression_interest_space_before_colon(void **state)
{
    struct config_interest in[4];
    char err[256] = "";

    (void)state;
    assert_int_equal(config_parse_interests("coaching : 2, onboarding", in,
                                            4, err, sizeof err), 2);
    assert_string_equal(in[0].term, "coaching");
    assert_true(in[0].weight == 2.0);
    expect_interest_error("x :", 4, "interest 'x': missing weight after ':'");

    char *heap = strdup("x       :2");
    assert_non_null(heap);
    int n = config_parse_interests(heap, in, 4, err, sizeof err);
    free(heap);
    assert_int_equal(n, 1);
    assert_true(in[0].weight == 2.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_for_empty_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_comments_and_syntax_variants,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_spellings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_log_levels_and_addresses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_range_boundaries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_relative_config_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_paths_and_urls, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_as_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_section, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_outside_section, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_key_set_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_error_is_reported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_whole_number, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_number_out_of_range, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_log_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directories, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_feed_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_demo_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_demo_user_without_email, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_small_error_buffer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_nul_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_invalid_utf8, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostile_random_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parse_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poll_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sanitize_settings, setup,
                                        teardown),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_interests),
        cmocka_unit_test(test_parse_interests_errors),
        cmocka_unit_test_setup_teardown(test_regression_empty_store_path, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regression_unknown_empty_section, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regression_first_error_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_regression_nul_byte_message, setup,
                                        teardown),
        cmocka_unit_test(test_regression_long_weight_message),
        cmocka_unit_test(test_regression_interest_space_before_colon),
    };

    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
