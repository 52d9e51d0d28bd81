/* curator.ini loading: a table of known keys drives parsing, defaults and
 * validation, so a key documented in the README is a key checked here. */
#include "config.h"
#include "err.h"
#include "valid.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum key_type {
    KEY_NAME,       /* a user name (valid.h) */
    KEY_EMAIL,      /* local@domain, no spaces or angle brackets */
    KEY_BOOL,       /* true/false, yes/no, on/off, 1/0 */
    KEY_UINT,       /* whole number in [min, max] */
    KEY_DURATION,   /* seconds in [min, max] */
    KEY_SIZE,       /* bytes in [min, max] */
    KEY_LEVEL,      /* log level */
    KEY_ADDRESS,    /* IPv4 or IPv6 literal */
    KEY_FILE_OUT,   /* path whose folder must exist; empty allowed */
    KEY_DIR,        /* existing directory */
    KEY_INTERESTS,  /* term[:weight] list */
    KEY_HOSTS,      /* comma-separated host names */
    KEY_TEXT,       /* one line of printable text, at most 200 bytes */
    KEY_URL,        /* empty, or a URL whose scheme is in the key's list */
    KEY_FILE_IN,    /* an existing readable file */
    KEY_PATH        /* a path, resolved, not checked here */
};

struct key_def {
    const char *section;
    const char *name;
    enum key_type type;
    size_t offset;
    long long min, max;
};

#define OFF(m) offsetof(struct config, m)

static const struct key_def keys[] = {
    /* KEY_FILE_OUT: min 1 means the value may not be empty. */
    { "store",  "path",       KEY_FILE_OUT,  OFF(store_path), 1, 0 },
    { "log",    "file",       KEY_FILE_OUT,  OFF(log_file), 0, 0 },
    { "log",    "level",      KEY_LEVEL,     OFF(log_level), 0, 0 },
    { "web",    "enabled",    KEY_BOOL,      OFF(web_enabled), 0, 1 },
    { "web",    "address",    KEY_ADDRESS,   OFF(web_address), 0, 0 },
    { "web",    "port",       KEY_UINT,      OFF(web_port), 0, 65535 },
    { "web",    "threads",    KEY_UINT,      OFF(web_threads), 1, 64 },
    { "web",    "page_items", KEY_UINT,      OFF(web_page_items), 1, 1000 },
    { "poll",   "interval",   KEY_DURATION,  OFF(poll_interval), 60, 7 * 86400 },
    { "poll",   "timeout",    KEY_DURATION,  OFF(poll_timeout), 1, 600 },
    { "poll",   "tick",       KEY_DURATION,  OFF(poll_tick), 1, 3600 },
    { "poll",   "max_body",   KEY_SIZE,      OFF(poll_max_body),
      1024, 1024LL << 20 },
    { "poll",   "connect_timeout", KEY_DURATION, OFF(poll_connect_timeout),
      1, 60 },
    { "poll",   "connections", KEY_UINT,     OFF(poll_connections), 1, 1024 },
    { "poll",   "per_host",   KEY_UINT,      OFF(poll_per_host), 1, 64 },
    { "poll",   "workers",    KEY_UINT,      OFF(poll_workers), 0, 64 },
    { "poll",   "min_interval", KEY_DURATION, OFF(poll_min_interval),
      60, 7 * 86400 },
    { "poll",   "max_interval", KEY_DURATION, OFF(poll_max_interval),
      60, 30 * 86400 },
    { "poll",   "backoff_max", KEY_DURATION, OFF(poll_backoff_max),
      60, 30 * 86400 },
    { "poll",   "spread",     KEY_DURATION,  OFF(poll_spread), 0, 86400 },
    { "poll",   "refuse_private", KEY_BOOL,  OFF(poll_refuse_private), 0, 1 },
    { "poll",   "refresh_gap", KEY_DURATION, OFF(poll_refresh_gap), 0, 86400 },
    { "parse",  "max_items",  KEY_UINT,      OFF(parse_max_items), 1, 100000 },
    { "parse",  "max_title",  KEY_UINT,      OFF(parse_max_title), 64, 65536 },
    { "parse",  "max_content", KEY_SIZE,     OFF(parse_max_content),
      1024, 16LL << 20 },
    { "parse",  "max_depth",  KEY_UINT,      OFF(parse_max_depth), 16, 256 },
    { "parse",  "max_attributes", KEY_UINT,  OFF(parse_max_attributes),
      8, 4096 },
    { "parse",  "cpu_time",   KEY_DURATION,  OFF(parse_cpu), 1, 600 },
    { "sanitize", "tracking_hosts", KEY_HOSTS, OFF(sanitize_tracking_hosts),
      0, 0 },
    { "sanitize", "max_data_image", KEY_SIZE, OFF(sanitize_max_data_image),
      0, 1LL << 20 },
    { "sanitize", "text_max", KEY_SIZE,      OFF(sanitize_text_max),
      256, 1LL << 20 },
    { "sanitize", "mail_remote_images", KEY_BOOL,
      OFF(sanitize_mail_images), 0, 1 },
    { "digest", "interval",   KEY_DURATION,  OFF(digest_interval),
      10, 31 * 86400 },
    { "digest", "spool",      KEY_DIR,       OFF(spool_dir), 0, 0 },
    { "digest", "max_items",  KEY_UINT,      OFF(digest_max_items), 1, 500 },
    { "digest", "team_max",   KEY_UINT,      OFF(digest_team_max), 0, 10 },
    { "score",  "window",     KEY_DURATION,  OFF(score_window),
      3600, 365 * 86400 },
    { "score",  "filter_dir", KEY_PATH,      OFF(filter_dir), 0, 0 },
    { "web",    "base_url",   KEY_URL,       OFF(web_base_url), 0, 0 },
    { "web",    "signup",     KEY_BOOL,      OFF(web_signup), 0, 1 },
    { "mail",   "smtp_url",   KEY_URL,       OFF(mail_smtp_url), 0, 0 },
    { "mail",   "from",       KEY_EMAIL,     OFF(mail_from), 0, 0 },
    { "mail",   "from_name",  KEY_TEXT,      OFF(mail_from_name), 0, 0 },
    { "mail",   "require_tls", KEY_BOOL,     OFF(mail_require_tls), 0, 1 },
    { "mail",   "secrets",    KEY_FILE_IN,   OFF(mail_secrets), 0, 0 },
    { "mail",   "timeout",    KEY_DURATION,  OFF(mail_timeout), 1, 600 },
    { "mail",   "retry_max",  KEY_DURATION,  OFF(mail_retry_max),
      60, 7 * 86400 },
    { "mail",   "retry_min",  KEY_DURATION,  OFF(mail_retry_min), 1, 3600 },
    { "mail",   "max_age",    KEY_DURATION,  OFF(mail_max_age),
      3600, 30 * 86400 },
    { "demo",   "user",       KEY_NAME,      OFF(demo_user), 0, 0 },
    { "demo",   "email",      KEY_EMAIL,     OFF(demo_email), 0, 0 },
    { "demo",   "interests",  KEY_INTERESTS, OFF(demo_interests), 0, 0 },
};

#define N_KEYS (sizeof keys / sizeof keys[0])
#define LINE_MAX_CHARS 4096

/* State of one load: inih calls back with no line number, so our reader
 * counts lines and the handler reads the count. */
struct loader {
    struct config *cfg;
    FILE *fp;
    int line;
    char *err;
    size_t errlen;
    int failed;         /* line of the error in err; 0 if none yet */
    unsigned char seen[N_KEYS];
};

/* Keep the error on the earliest line: inih reports syntax errors only
 * when it is done, after the handler has seen later lines. */
static void
fail_at(struct loader *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail_at(struct loader *ld, int line, const char *fmt, ...)
{
    if (ld->failed && ld->failed <= line)
        return;
    ld->failed = line;
    int n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->cfg->file, line);
    if (n < 0 || (size_t)n >= ld->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

#define fail(ld, ...) fail_at((ld), (ld)->line, __VA_ARGS__)

static int section_known(const char *name);
static int filter_section(const char *section);
static struct config_filter *filter_get(struct loader *ld, const char *name);

/* inih's reader: one line per call, counted. Lines that are too long or
 * hold a NUL byte are refused here (inih would split or cut them), and so
 * are unknown sections, which inih never reports when they have no
 * keys. */
static char *
read_line(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    int c, len = 0, too_long = 0, nul = 0;

    while ((c = fgetc(ld->fp)) != EOF) {
        if (c == '\0')
            nul = 1;
        if (len < num - 2)
            str[len++] = (char)c;
        else if (c != '\n')
            too_long = 1;
        if (c == '\n')
            break;
    }
    if (len == 0 && c == EOF)
        return NULL;
    str[len] = '\0';
    ld->line++;
    if (nul || too_long) {
        if (nul)
            fail(ld, "line holds a NUL byte");
        else
            fail(ld, "line is longer than %d characters", num - 2);
        str[0] = '\0';
        return str;
    }
    /* "[name]" with optional spaces around: check the name now. */
    const char *p = str;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p[0] == '[' && (p == str || p[0])) {
        const char *end = strchr(p, ']');
        if (end && end > p + 1) {
            char name[64];
            size_t n = (size_t)(end - p - 1);
            if (n < sizeof name) {
                memcpy(name, p + 1, n);
                name[n] = '\0';
            }
            if (n >= sizeof name || !section_known(name))
                fail(ld, "unknown section [%.*s]", (int)n, p + 1);
            else if (filter_section(name) && filter_get(ld, name + 7)
                                             == NULL)
                fail(ld, "out of memory");
        }
    }
    return str;
}

int
config_parse_duration(const char *s, long *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return CUR_EINVAL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0)
        return CUR_EINVAL;
    long long mult = 1;
    if (*end != '\0') {
        switch (*end) {
        case 's': mult = 1; break;
        case 'm': mult = 60; break;
        case 'h': mult = 3600; break;
        case 'd': mult = 86400; break;
        case 'w': mult = 7 * 86400; break;
        default: return CUR_EINVAL;
        }
        if (end[1] != '\0')
            return CUR_EINVAL;
    }
    if (v > LONG_MAX / mult)
        return CUR_EINVAL;
    *out = (long)(v * mult);
    return CUR_OK;
}

int
config_parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return CUR_EINVAL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return CUR_EINVAL;
    unsigned long long mult = 1;
    if (*end != '\0') {
        switch (toupper((unsigned char)*end)) {
        case 'K': mult = 1ULL << 10; break;
        case 'M': mult = 1ULL << 20; break;
        case 'G': mult = 1ULL << 30; break;
        default: return CUR_EINVAL;
        }
        if (end[1] != '\0' && strcasecmp(end + 1, "B") != 0
            && strcasecmp(end + 1, "iB") != 0)
            return CUR_EINVAL;
    }
    if (v > SIZE_MAX / mult)
        return CUR_EINVAL;
    *out = (size_t)(v * mult);
    return CUR_OK;
}

static int
parse_bool(const char *s, int *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return CUR_OK;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return CUR_OK;
        }
    }
    return CUR_EINVAL;
}

int
config_parse_interests(const char *list, struct config_interest *out,
                       size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    const char *p = list;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)p[len - 1]))
            len--;
        if (len > 0) {
            if (n == max) {
                snprintf(err, errlen, "more than %zu interests", max);
                return CUR_EINVAL;
            }
            struct config_interest *in = &out[n];
            const char *colon = memchr(p, ':', len);
            size_t tlen = colon ? (size_t)(colon - p) : len;
            while (tlen > 0 && isspace((unsigned char)p[tlen - 1]))
                tlen--;
            if (tlen == 0 || tlen >= sizeof in->term) {
                snprintf(err, errlen, "interest '%.*s': term must be 1 to "
                         "%zu bytes", (int)len, p, sizeof in->term - 1);
                return CUR_EINVAL;
            }
            memcpy(in->term, p, tlen);
            in->term[tlen] = '\0';
            in->weight = 1.0;
            if (colon) {
                char num[128];
                const char *w = colon + 1, *wend = p + len;
                while (w < wend && isspace((unsigned char)*w))
                    w++;
                size_t wlen = (size_t)(wend - w);
                char *e;
                if (wlen == 0) {
                    snprintf(err, errlen, "interest '%s': missing weight "
                             "after ':'", in->term);
                    return CUR_EINVAL;
                }
                if (wlen >= sizeof num) {
                    snprintf(err, errlen, "interest '%s': weight is not a "
                             "number from -10 to 10", in->term);
                    return CUR_EINVAL;
                }
                memcpy(num, w, wlen);
                num[wlen] = '\0';
                errno = 0;
                in->weight = strtod(num, &e);
                if (errno != 0 || *e != '\0' || e == num
                    || !isfinite(in->weight)
                    || in->weight < -10 || in->weight > 10) {
                    snprintf(err, errlen, "interest '%s': weight '%s' is "
                             "not a number from -10 to 10", in->term, num);
                    return CUR_EINVAL;
                }
            }
            n++;
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return (int)n;
}

/* Join the config's folder and a relative path; absolute ones are kept. */
static char *
resolve_path(const struct config *cfg, const char *value)
{
    if (value[0] == '/')
        return strdup(value);
    size_t dlen = strlen(cfg->dir), vlen = strlen(value);
    char *out = malloc(dlen + vlen + 2);
    if (out == NULL)
        return NULL;
    memcpy(out, cfg->dir, dlen);
    out[dlen] = '/';
    memcpy(out + dlen + 1, value, vlen + 1);
    return out;
}

static int
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder part of 'path' (a new string). */
static char *
parent_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static void
set_string(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

static int
set_key(struct loader *ld, const struct key_def *k, const char *value)
{
    struct config *cfg = ld->cfg;
    char *base = (char *)cfg + k->offset;
    const char *sec = k->section, *name = k->name;

    switch (k->type) {
    case KEY_NAME:
        if (!valid_user_name(value)) {
            fail(ld, "[%s] %s: '%s' is not a user name (1 to %d of A-Z a-z "
                 "0-9 . _ -)", sec, name, value, VALID_NAME_MAX);
            return 0;
        }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    case KEY_EMAIL:
        if (!valid_email(value)) {
            fail(ld, "[%s] %s: '%s' is not an email address", sec, name,
                 value);
            return 0;
        }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    case KEY_BOOL:
        if (parse_bool(value, (int *)base) != CUR_OK) {
            fail(ld, "[%s] %s: '%s' is not true or false", sec, name, value);
            return 0;
        }
        return 1;
    case KEY_UINT: {
        char *end;
        errno = 0;
        long long v = isdigit((unsigned char)value[0])
                      ? strtoll(value, &end, 10) : -1;
        if (v < 0 || errno != 0 || *end != '\0') {
            fail(ld, "[%s] %s: '%s' is not a whole number", sec, name, value);
            return 0;
        }
        if (v < k->min || v > k->max) {
            fail(ld, "[%s] %s: %lld is out of range (%lld to %lld)", sec,
                 name, v, k->min, k->max);
            return 0;
        }
        *(unsigned *)base = (unsigned)v;
        return 1;
    }
    case KEY_DURATION: {
        long v;
        if (config_parse_duration(value, &v) != CUR_OK) {
            fail(ld, "[%s] %s: '%s' is not a duration (like 90s, 15m, 2h, "
                 "1d)", sec, name, value);
            return 0;
        }
        if (v < k->min || v > k->max) {
            fail(ld, "[%s] %s: %s is out of range (%llds to %llds)", sec,
                 name, value, k->min, k->max);
            return 0;
        }
        *(long *)base = v;
        return 1;
    }
    case KEY_SIZE: {
        size_t v;
        if (config_parse_size(value, &v) != CUR_OK) {
            fail(ld, "[%s] %s: '%s' is not a size (like 512K, 16M)", sec,
                 name, value);
            return 0;
        }
        if (v < (size_t)k->min || v > (size_t)k->max) {
            fail(ld, "[%s] %s: %s is out of range (%lld to %lld bytes)", sec,
                 name, value, k->min, k->max);
            return 0;
        }
        *(size_t *)base = v;
        return 1;
    }
    case KEY_LEVEL:
        if (log_level_parse(value, (enum log_level *)base) != CUR_OK) {
            fail(ld, "[%s] %s: '%s' is not one of error, warn, info, debug",
                 sec, name, value);
            return 0;
        }
        return 1;
    case KEY_ADDRESS: {
        unsigned char tmp[16];
        if (inet_pton(AF_INET, value, tmp) != 1
            && inet_pton(AF_INET6, value, tmp) != 1) {
            fail(ld, "[%s] %s: '%s' is not an IPv4 or IPv6 address", sec,
                 name, value);
            return 0;
        }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    }
    case KEY_FILE_OUT: {
        if (value[0] == '\0' && k->min == 0) {
            set_string((char **)base, NULL);
            return 1;
        }
        size_t vlen = strlen(value);
        if (vlen == 0 || value[vlen - 1] == '/') {
            fail(ld, "[%s] %s: needs a file name%s", sec, name,
                 vlen ? ", not a folder" : "");
            return 0;
        }
        char *path = resolve_path(cfg, value);
        char *dir = path ? parent_of(path) : NULL;
        char *real = dir && is_dir(dir) ? realpath(dir, NULL) : NULL;
        char *full = NULL;
        if (path && dir && real == NULL)
            fail(ld, "[%s] %s: directory '%s' does not exist", sec, name, dir);
        if (real) {
            /* Keep the canonical folder so logs show a clean path. */
            const char *file = strrchr(path, '/') + 1;
            full = malloc(strlen(real) + strlen(file) + 2);
            if (full)
                sprintf(full, "%s/%s", strcmp(real, "/") ? real : "", file);
        }
        free(dir);
        free(path);
        free(real);
        if (full == NULL)
            return 0;
        set_string((char **)base, full);
        return 1;
    }
    case KEY_DIR: {
        char *path = resolve_path(cfg, value);
        char *real = path && is_dir(path) ? realpath(path, NULL) : NULL;
        if (path && real == NULL)
            fail(ld, "[%s] %s: directory '%s' does not exist", sec, name,
                 path);
        free(path);
        if (real == NULL)
            return 0;
        set_string((char **)base, real);
        return 1;
    }
    case KEY_TEXT:
        if (strlen(value) > 200) {
            fail(ld, "[%s] %s: longer than 200 bytes", sec, name);
            return 0;
        }
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                fail(ld, "[%s] %s: control characters are not allowed", sec,
                     name);
                return 0;
            }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    case KEY_URL: {
        if (value[0] == '\0') {
            set_string((char **)base, NULL);
            return 1;
        }
        /* Mail goes over SMTP; everything else is a web address. */
        const char *schemes = strcmp(sec, "mail") == 0 ? "smtp,smtps"
                                                       : "http,https";
        const char *colon = strstr(value, "://");
        int ok = 0;
        if (colon != NULL && colon > value) {
            size_t n = (size_t)(colon - value);
            const char *list = schemes;
            while (*list) {
                const char *comma = strchr(list, ',');
                size_t len = comma ? (size_t)(comma - list) : strlen(list);
                if (len == n && strncasecmp(list, value, n) == 0)
                    ok = 1;
                list += len + (comma != NULL);
            }
        }
        for (const char *p = value; ok && *p; p++)
            if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<'
                || *p == '>' || *p == '"')
                ok = 0;
        if (!ok || colon[3] == '\0') {
            fail(ld, "[%s] %s: '%s' is not a %s URL", sec, name, value,
                 schemes);
            return 0;
        }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    }
    case KEY_PATH: {
        char *path = resolve_path(cfg, value);
        if (path == NULL)
            return 0;
        set_string((char **)base, path);
        return 1;
    }
    case KEY_FILE_IN: {
        char *path = resolve_path(cfg, value);
        if (path == NULL)
            return 0;
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            fail(ld, "[%s] %s: cannot read %s: %s", sec, name, path,
                 strerror(errno));
            free(path);
            return 0;
        }
        fclose(f);
        set_string((char **)base, path);
        return 1;
    }
    case KEY_HOSTS: {
        char *list = config_parse_hosts(value);
        if (list == NULL) {
            fail(ld, "[%s] %s: '%s' is not a list of host names (like "
                 "pixel.example.com, stats.example.org)", sec, name, value);
            return 0;
        }
        set_string((char **)base, list);
        return 1;
    }
    case KEY_INTERESTS: {
        struct config_interest tmp[64];
        char msg[256];
        if (config_parse_interests(value, tmp, 64, msg, sizeof msg) < 0) {
            fail(ld, "[%s] %s: %s", sec, name, msg);
            return 0;
        }
        set_string((char **)base, strdup(value));
        return *(char **)base != NULL;
    }
    }
    return 0;
}

char *
config_parse_hosts(const char *list)
{
    size_t len = strlen(list);
    char *out = malloc(len + 1), *o = out;
    const char *p = list;

    if (out == NULL)
        return NULL;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, " \t,");
        /* Letters, digits, '-' and '.', no empty label, at most 253. */
        int ok = n <= 253 && p[0] != '.' && p[n - 1] != '.';
        for (size_t i = 0; i < n && ok; i++)
            ok = isalnum((unsigned char)p[i]) || p[i] == '-'
                 || (p[i] == '.' && p[i + 1] != '.');
        if (!ok) {
            free(out);
            return NULL;
        }
        if (o > out)
            *o++ = ',';
        for (size_t i = 0; i < n; i++)
            *o++ = (char)tolower((unsigned char)p[i]);
        p += n;
    }
    *o = '\0';
    return out;
}

/* Percent-encode a path for a file:// URL. */
static char *
file_url(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *out = malloc(7 + 3 * len + 1), *o = out;
    if (out == NULL)
        return NULL;
    o += sprintf(o, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

static int
add_feed(struct loader *ld, const char *name, const char *value)
{
    struct config *cfg = ld->cfg;
    char *url;

    for (size_t i = 0; i < cfg->n_feeds; i++) {
        if (strcmp(cfg->feeds[i].name, name) == 0) {
            fail(ld, "[feeds] %s: listed twice (first on line %d)", name,
                 cfg->feeds[i].line);
            return 0;
        }
    }
    if (value[0] == '\0') {
        fail(ld, "[feeds] %s: needs a URL or a path", name);
        return 0;
    }
    const char *scheme_end = strstr(value, "://");
    if (scheme_end) {
        size_t slen = (size_t)(scheme_end - value);
        if (!((slen == 4 && strncasecmp(value, "http", 4) == 0)
              || (slen == 5 && strncasecmp(value, "https", 5) == 0)
              || (slen == 4 && strncasecmp(value, "file", 4) == 0))) {
            fail(ld, "[feeds] %s: '%s': only http, https and file URLs are "
                 "allowed", name, value);
            return 0;
        }
        int is_file = slen == 4 && strncasecmp(value, "file", 4) == 0;
        if (scheme_end[3] == '\0' || (!is_file && scheme_end[3] == '/')) {
            fail(ld, "[feeds] %s: '%s' has no host", name, value);
            return 0;
        }
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
            if (*p <= ' ' || *p == 0x7f) {
                fail(ld, "[feeds] %s: URL has a space or control character",
                     name);
                return 0;
            }
        url = strdup(value);
    } else {
        char *path = resolve_path(cfg, value);
        char *real = path ? realpath(path, NULL) : NULL;
        if (path && real == NULL)
            fail(ld, "[feeds] %s: file '%s' does not exist", name, path);
        free(path);
        if (real == NULL)
            return 0;
        url = file_url(real);
        free(real);
    }
    if (url == NULL)
        return 0;
    struct config_feed *f = realloc(cfg->feeds,
                                    (cfg->n_feeds + 1) * sizeof *f);
    char *dup = strdup(name);
    if (f == NULL || dup == NULL) {
        if (f)
            cfg->feeds = f;
        free(url);
        free(dup);
        return 0;
    }
    cfg->feeds = f;
    f[cfg->n_feeds].name = dup;
    f[cfg->n_feeds].url = url;
    f[cfg->n_feeds].line = ld->line;
    cfg->n_feeds++;
    return 1;
}

/* "filter NAME" with NAME of a-z 0-9 _ -: a filter section. */
static int
filter_section(const char *section)
{
    if (strncmp(section, "filter ", 7) != 0 || section[7] == '\0')
        return 0;
    for (const char *p = section + 7; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p)
              || *p == '_' || *p == '-'))
            return 0;
    return strlen(section + 7) <= 32;
}

static int
section_known(const char *name)
{
    if (filter_section(name))
        return 1;
    if (strcmp(name, "feeds") == 0)
        return 1;
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, name) == 0)
            return 1;
    return 0;
}

/* The filter section 'name', added when first seen (sections come in
 * file order, so filters run in that order). NULL when out of memory. */
static struct config_filter *
filter_get(struct loader *ld, const char *name)
{
    struct config *c = ld->cfg;
    for (size_t i = 0; i < c->n_filters; i++)
        if (strcmp(c->filters[i].name, name) == 0)
            return &c->filters[i];
    struct config_filter *f = realloc(c->filters,
                                      (c->n_filters + 1) * sizeof *f);
    if (f == NULL)
        return NULL;
    c->filters = f;
    f = &c->filters[c->n_filters];
    memset(f, 0, sizeof *f);
    if ((f->name = strdup(name)) == NULL)
        return NULL;
    f->weight = 1.0;
    f->line = ld->line;
    c->n_filters++;
    return f;
}

/* One key of a [filter NAME] section: path, weight, or the plugin's own
 * (checked by the plugin when it loads). Returns 0 when out of memory. */
static int
filter_key(struct loader *ld, const char *fname, const char *key,
           const char *value)
{
    struct config_filter *f = filter_get(ld, fname);
    if (f == NULL)
        return 0;
    if ((strcmp(key, "path") == 0 && f->path != NULL)
        || (strcmp(key, "weight") == 0 && f->weight_line != 0)) {
        fail(ld, "[filter %s] %s: set twice", fname, key);
        return 1;
    }
    for (size_t i = 0; i < f->n_opts; i++)
        if (strcmp(f->opts[i].key, key) == 0) {
            fail(ld, "[filter %s] %s: set twice", fname, key);
            return 1;
        }
    if (strcmp(key, "path") == 0) {
        if (value[0] == '\0') {
            fail(ld, "[filter %s] path: empty", fname);
            return 1;
        }
        f->path = strdup(value);
        return f->path != NULL;
    }
    if (strcmp(key, "weight") == 0) {
        char *end;
        errno = 0;
        double w = strtod(value, &end);
        if (end == value || *end != '\0' || errno != 0 || !isfinite(w)
            || w < -100 || w > 100) {
            fail(ld, "[filter %s] weight: '%s' is not a number from -100 "
                 "to 100", fname, value);
            return 1;
        }
        f->weight = w;
        f->weight_line = ld->line;
        return 1;
    }
    struct config_filter_opt *o = realloc(f->opts,
                                          (f->n_opts + 1) * sizeof *o);
    if (o == NULL)
        return 0;
    f->opts = o;
    o = &f->opts[f->n_opts];
    o->key = strdup(key);
    o->value = strdup(value);
    if (o->key == NULL || o->value == NULL) {
        free(o->key);
        free(o->value);
        return 0;
    }
    f->n_opts++;
    return 1;
}

/* Where each filter's shared object is: a path with a '/' is taken
 * relative to the config's folder; no path, or a bare name, means
 * filter_dir/NAME.so. */
static int
resolve_filters(struct config *c)
{
    for (size_t i = 0; i < c->n_filters; i++) {
        struct config_filter *f = &c->filters[i];
        char *p;
        if (f->path != NULL && strchr(f->path, '/') != NULL) {
            p = resolve_path(c, f->path);
        } else {
            const char *base = f->path ? f->path : f->name;
            size_t n = strlen(c->filter_dir) + strlen(base) + 5;
            if ((p = malloc(n)) != NULL)
                snprintf(p, n, "%s/%s%s", c->filter_dir, base,
                         strstr(base, ".so") ? "" : ".so");
        }
        if (p == NULL)
            return 0;
        free(f->path);
        f->path = p;
    }
    return 1;
}

/* Always returns 1: errors are recorded in the loader, so that inih's
 * own return value means a syntax error. */
static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;

    if (strcmp(section, "feeds") == 0) {
        if (!add_feed(ld, name, value))
            fail(ld, "out of memory");  /* kept only if nothing said why */
        return 1;
    }
    if (filter_section(section)) {
        if (!filter_key(ld, section + 7, name, value))
            fail(ld, "out of memory");
        return 1;
    }

    int known_section = 0;
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strcmp(keys[i].section, section) != 0)
            continue;
        known_section = 1;
        if (strcmp(keys[i].name, name) != 0)
            continue;
        if (ld->seen[i]) {
            fail(ld, "[%s] %s: set twice", section, name);
            return 1;
        }
        ld->seen[i] = 1;
        int before = ld->failed;
        if (!set_key(ld, &keys[i], value) && ld->failed == before)
            fail(ld, "out of memory");
        return 1;
    }
    if (section[0] == '\0')
        fail(ld, "'%s' is outside any [section]", name);
    else if (!known_section)
        ;       /* read_line() reported the section itself */
    else
        fail(ld, "unknown key '%s' in [%s]", name, section);
    return 1;
}

static int
set_defaults(struct config *cfg)
{
    cfg->store_path = resolve_path(cfg, "curator.db");
    cfg->log_level = LOG_INFO;
    cfg->web_enabled = 1;
    cfg->web_address = strdup("127.0.0.1");
    cfg->web_port = 8080;
    cfg->web_threads = 4;
    cfg->web_page_items = 50;
    cfg->poll_interval = 3600;
    cfg->poll_timeout = 30;
    cfg->poll_tick = 5;
    cfg->poll_max_body = 16u << 20;
    cfg->poll_connect_timeout = 10;
    cfg->poll_connections = 64;
    cfg->poll_per_host = 6;
    cfg->poll_min_interval = 0;     /* set from interval when not given */
    cfg->poll_max_interval = 0;
    cfg->poll_backoff_max = 86400;
    cfg->poll_spread = 600;
    cfg->poll_refuse_private = 1;
    cfg->poll_refresh_gap = 60;
    cfg->parse_max_items = 1000;
    cfg->parse_max_title = 2048;
    cfg->parse_max_content = 1u << 20;
    cfg->parse_max_depth = 256;
    cfg->parse_max_attributes = 256;
    cfg->parse_cpu = 5;
    cfg->sanitize_tracking_hosts = config_parse_hosts(CONFIG_TRACKING_HOSTS);
    cfg->sanitize_max_data_image = 32u << 10;
    cfg->sanitize_text_max = 4096;
    cfg->sanitize_mail_images = 0;
    cfg->digest_interval = 86400;
    cfg->spool_dir = resolve_path(cfg, "spool");
    cfg->digest_max_items = 25;
    cfg->digest_team_max = 3;
    cfg->score_window = 14 * 86400;
    cfg->mail_from = strdup("curator@localhost.localdomain");
    cfg->mail_from_name = strdup("Curator");
    cfg->mail_timeout = 30;
    cfg->mail_retry_max = 6 * 3600;
    cfg->mail_max_age = 3 * 86400;
    cfg->mail_retry_min = 60;
    cfg->filter_dir = strdup(CURATOR_FILTERDIR);
    return cfg->mail_from && cfg->mail_from_name && cfg->filter_dir
        && cfg->store_path && cfg->web_address && cfg->spool_dir
        && cfg->sanitize_tracking_hosts;
}

/* Whether the file set [section] name. */
static int
key_seen(const struct loader *ld, const char *section, const char *name)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].section, section) == 0
            && strcmp(keys[i].name, name) == 0)
            return ld->seen[i];
    return 0;
}

/* The poll intervals left out default around [poll] interval (15 min and
 * a day at most and least); those given must hold it between them. */
static int
check_intervals(struct loader *ld, char *err, size_t errlen)
{
    struct config *c = ld->cfg;
    int have_min = key_seen(ld, "poll", "min_interval");
    int have_max = key_seen(ld, "poll", "max_interval");

    if (!have_min)
        c->poll_min_interval = c->poll_interval < 900 ? c->poll_interval
                                                      : 900;
    if (!have_max)
        c->poll_max_interval = c->poll_interval > 86400 ? c->poll_interval
                                                        : 86400;
    if (c->poll_min_interval > c->poll_max_interval) {
        snprintf(err, errlen, "%s: [poll] min_interval (%lds) is more than "
                 "max_interval (%lds)", c->file, c->poll_min_interval,
                 c->poll_max_interval);
        return 0;
    }
    if (c->poll_interval < c->poll_min_interval
        || c->poll_interval > c->poll_max_interval) {
        snprintf(err, errlen, "%s: [poll] interval (%lds) must lie between "
                 "min_interval (%lds) and max_interval (%lds)", c->file,
                 c->poll_interval, c->poll_min_interval,
                 c->poll_max_interval);
        return 0;
    }
    return 1;
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
    struct config *cfg = calloc(1, sizeof *cfg);
    struct loader ld = { .cfg = cfg, .err = err, .errlen = errlen };
    int rc = CUR_ENOMEM;

    *out = NULL;
    if (cfg == NULL || (cfg->file = strdup(path)) == NULL)
        goto fail;

    ld.fp = fopen(path, "r");
    if (ld.fp == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        rc = CUR_ECONFIG;
        goto fail;
    }
    char *folder = parent_of(path);
    cfg->dir = folder ? realpath(folder, NULL) : NULL;
    free(folder);
    if (cfg->dir == NULL || !set_defaults(cfg))
        goto fail;

    int line = ini_parse_stream(read_line, &ld, on_key, &ld);
    if (ferror(ld.fp)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = CUR_ECONFIG;
        goto fail;
    }
    if (line > 0)
        fail_at(&ld, line, "syntax error: expected '[section]' or "
                "'key = value'");
    if (ld.failed) {
        rc = CUR_ECONFIG;
        goto fail;
    }
    if (!check_intervals(&ld, err, errlen)) {
        rc = CUR_ECONFIG;
        goto fail;
    }
    if (cfg->demo_user && cfg->demo_email == NULL) {
        snprintf(err, errlen, "%s: [demo] user is set but [demo] email is "
                 "not", path);
        rc = CUR_ECONFIG;
        goto fail;
    }
    if (!resolve_filters(cfg))
        goto fail;
    fclose(ld.fp);
    *out = cfg;
    return CUR_OK;

fail:
    if (ld.fp)
        fclose(ld.fp);
    if (rc == CUR_ENOMEM)
        snprintf(err, errlen, "%s: out of memory", path);
    config_free(cfg);
    return rc;
}

void
config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        free(cfg->feeds[i].name);
        free(cfg->feeds[i].url);
    }
    free(cfg->feeds);
    for (size_t i = 0; i < cfg->n_filters; i++) {
        struct config_filter *f = &cfg->filters[i];
        for (size_t j = 0; j < f->n_opts; j++) {
            free(f->opts[j].key);
            free(f->opts[j].value);
        }
        free(f->opts);
        free(f->name);
        free(f->path);
    }
    free(cfg->filters);
    free(cfg->filter_dir);
    free(cfg->web_base_url);
    free(cfg->mail_smtp_url);
    free(cfg->mail_from);
    free(cfg->mail_from_name);
    free(cfg->mail_secrets);
    free(cfg->file);
    free(cfg->dir);
    free(cfg->store_path);
    free(cfg->log_file);
    free(cfg->web_address);
    free(cfg->spool_dir);
    free(cfg->demo_user);
    free(cfg->demo_email);
    free(cfg->demo_interests);
    free(cfg->sanitize_tracking_hosts);
    free(cfg);
}
