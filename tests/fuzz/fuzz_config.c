/* libFuzzer target for curator.ini loading (curator/config.h).
 *
 * config_load() reads only from a path, so the input is written to
 * curator.ini in a private temporary folder made once per run (removed
 * at exit), and loaded from there. A refusal must be CUR_ECONFIG with
 * "PATH:LINE: message", LINE within the file, or one of the two
 * whole-file messages ("PATH: [poll] ..." and "PATH: [demo] ..."). A
 * config that loads must keep config.h's promises: absolute paths, poll
 * intervals in order, feed URLs of an allowed scheme with no space, host
 * lists in lower case. The first line of the input also goes through
 * the value parsers (durations, sizes, host lists, interests).
 */
#include "config.h"
#include "err.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char dir[PATH_MAX], path[PATH_MAX];
static const uint8_t *cur_data;
static size_t cur_size;

static void
die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s\n detail: [%s]\n input: %zu bytes [",
            what, detail ? detail : "(null)", cur_size);
    fwrite(cur_data, 1, cur_size < 2048 ? cur_size : 2048, stderr);
    fprintf(stderr, "]\n");
    abort();
}

static void
cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "%s/fuzz_config.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("fuzz_config: mkdtemp");
        abort();
    }
    snprintf(path, sizeof path, "%s/curator.ini", dir);
    atexit(cleanup);
    return 0;
}

/* Lines in the input as the loader counts them. */
static long
count_lines(const uint8_t *data, size_t size)
{
    long n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size > 0 && data[size - 1] != '\n');
}

static void
check_error(const char *err, long lines)
{
    size_t plen = strlen(path);
    if (strncmp(err, path, plen) != 0 || err[plen] != ':')
        die("error does not start with the path", err);
    const char *p = err + plen + 1;
    if (*p == ' ') {
        if (strncmp(p, " [poll] ", 8) != 0 && strncmp(p, " [demo] ", 8) != 0)
            die("error without a line number", err);
        return;
    }
    char *end;
    long line = strtol(p, &end, 10);
    if (end == p || strncmp(end, ": ", 2) != 0 || end[2] == '\0')
        die("error not PATH:LINE: message", err);
    if (line < 1 || line > lines)
        die("error line outside the file", err);
}

static int
absolute(const char *s)
{
    return s != NULL && s[0] == '/';
}

static void
check_config(const struct config *c)
{
    if (c->file == NULL || strcmp(c->file, path) != 0)
        die("file is not the path given", c->file);
    if (!absolute(c->dir) || !absolute(c->store_path)
        || !absolute(c->spool_dir))
        die("a path is not absolute", c->store_path);
    if (c->log_file && !absolute(c->log_file))
        die("log file is not absolute", c->log_file);
    if ((unsigned)c->log_level > LOG_DEBUG)
        die("log level out of range", NULL);
    if (c->web_address == NULL || c->web_port > 65535)
        die("web address or port out of range", c->web_address);
    if (c->poll_min_interval > c->poll_interval
        || c->poll_interval > c->poll_max_interval)
        die("poll intervals out of order", NULL);
    if (c->sanitize_tracking_hosts == NULL)
        die("tracking hosts missing", NULL);
    for (const char *p = c->sanitize_tracking_hosts; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)
              || *p == '-' || *p == '.' || *p == ','))
            die("tracking hosts not lower-case names", NULL);
    if (c->demo_user && c->demo_email == NULL)
        die("demo user without email", c->demo_user);
    if (c->n_feeds && c->feeds == NULL)
        die("feed count without feeds", NULL);
    for (size_t i = 0; i < c->n_feeds; i++) {
        const struct config_feed *f = &c->feeds[i];
        if (f->name == NULL || f->url == NULL || f->line < 1)
            die("feed without name, URL or line", f->name);
        if (strncasecmp(f->url, "http://", 7) != 0
            && strncasecmp(f->url, "https://", 8) != 0
            && strncasecmp(f->url, "file://", 7) != 0)
            die("feed URL of a scheme not allowed", f->url);
        for (const unsigned char *p = (const unsigned char *)f->url; *p;
             p++)
            if (*p <= ' ' || *p == 0x7f)
                die("feed URL with a space or control", f->url);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->feeds[j].name, f->name) == 0)
                die("feed listed twice", f->name);
    }
}

/* The value parsers on the first line of the input. */
static void
check_values(const uint8_t *data, size_t size)
{
    size_t n = 0;
    while (n < size && data[n] != '\n' && data[n] != '\0')
        n++;
    char *s = malloc(n + 1);
    if (s == NULL)
        return;
    memcpy(s, data, n);
    s[n] = '\0';

    long d = -1;
    if (config_parse_duration(s, &d) == CUR_OK && d < 0)
        die("negative duration", s);
    size_t z;
    config_parse_size(s, &z);
    char *hosts = config_parse_hosts(s);
    if (hosts) {
        for (const char *p = hosts; *p; p++)
            if (isupper((unsigned char)*p) || *p == ' ')
                die("host list not normalised", hosts);
        free(hosts);
    }
    struct config_interest in[8];
    char err[256];
    int k = config_parse_interests(s, in, 8, err, sizeof err);
    if (k > 8)
        die("more interests than room", s);
    for (int i = 0; i < k; i++)
        if (in[i].term[0] == '\0' || in[i].weight < -10
            || in[i].weight > 10)
            die("interest out of range", in[i].term);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *c = NULL;
    char err[CONFIG_ERR_MAX] = "";

    cur_data = data;
    cur_size = size;
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        die("cannot write the temporary config", path);

    int rc = config_load(path, &c, err, sizeof err);
    if (rc == CUR_OK) {
        if (c == NULL)
            die("config_load succeeded without a config", NULL);
        check_config(c);
        config_free(c);
    } else {
        if (c != NULL)
            die("config_load failed but gave a config", err);
        if (rc != CUR_ECONFIG)
            die("config_load failed with a code other than CUR_ECONFIG",
                cur_strerror(rc));
        check_error(err, count_lines(data, size));
    }
    check_values(data, size);
    return 0;
}
