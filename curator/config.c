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
    KEY_INTERESTS   /* term[:weight] list */
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
    { "store",  "path",       KEY_FILE_OUT,  OFF(store_path), 0, 0 },
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
    { "digest", "interval",   KEY_DURATION,  OFF(digest_interval),
      10, 31 * 86400 },
    { "digest", "spool",      KEY_DIR,       OFF(spool_dir), 0, 0 },
    { "digest", "max_items",  KEY_UINT,      OFF(digest_max_items), 1, 500 },
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
    int too_long;
    char *err;
    size_t errlen;
    int failed;
    unsigned char seen[N_KEYS];
};

static void
fail(struct loader *ld, const char *fmt, ...)
{
    if (ld->failed)
        return;         /* the first error is the one to fix first */
    ld->failed = 1;
    int n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->cfg->file, ld->line);
    if (n < 0 || (size_t)n >= ld->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static char *
read_line(char *str, int num, void *stream)
{
    struct loader *ld = stream;
    if (fgets(str, num, ld->fp) == NULL)
        return NULL;
    ld->line++;
    size_t len = strlen(str);
    if (len > 0 && str[len - 1] != '\n' && !feof(ld->fp)) {
        /* inih would treat the rest as a new line; refuse instead. */
        ld->too_long = ld->line;
        int c;
        while ((c = fgetc(ld->fp)) != EOF && c != '\n')
            ;
        str[0] = '\0';
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
        if (end[1] != '\0' && strcmp(end + 1, "B") != 0
            && strcmp(end + 1, "iB") != 0)
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
                char num[64];
                size_t wlen = len - tlen - 1;
                const char *w = colon + 1;
                while (wlen > 0 && isspace((unsigned char)*w)) {
                    w++;
                    wlen--;
                }
                char *e;
                if (wlen == 0 || wlen >= sizeof num) {
                    snprintf(err, errlen, "interest '%s': missing weight "
                             "after ':'", in->term);
                    return CUR_EINVAL;
                }
                memcpy(num, w, wlen);
                num[wlen] = '\0';
                errno = 0;
                in->weight = strtod(num, &e);
                if (errno != 0 || *e != '\0' || !isfinite(in->weight)
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
        if (value[0] == '\0') {
            set_string((char **)base, NULL);
            return 1;
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

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *ld = user;

    if (ld->failed)
        return 1;       /* keep inih quiet; the first error is kept */
    if (strcmp(section, "feeds") == 0)
        return add_feed(ld, name, value) || ld->failed;

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
        if (!set_key(ld, &keys[i], value) && !ld->failed)
            fail(ld, "out of memory");
        return 1;
    }
    if (section[0] == '\0')
        fail(ld, "'%s' is outside any [section]", name);
    else if (!known_section)
        fail(ld, "unknown section [%s]", section);
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
    cfg->digest_interval = 86400;
    cfg->spool_dir = resolve_path(cfg, "spool");
    cfg->digest_max_items = 25;
    return cfg->store_path && cfg->web_address && cfg->spool_dir;
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
    if (ld.too_long && (!ld.failed || ld.too_long < line)) {
        ld.failed = 0;
        ld.line = ld.too_long;
        fail(&ld, "line is longer than %d characters", INI_MAX_LINE - 2);
    } else if (line > 0 && !ld.failed) {
        ld.line = line;
        fail(&ld, "syntax error: expected '[section]' or 'key = value'");
    }
    if (ld.failed) {
        rc = CUR_ECONFIG;
        goto fail;
    }
    if (cfg->demo_user && cfg->demo_email == NULL) {
        snprintf(err, errlen, "%s: [demo] user is set but [demo] email is "
                 "not", path);
        rc = CUR_ECONFIG;
        goto fail;
    }
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
    free(cfg->file);
    free(cfg->dir);
    free(cfg->store_path);
    free(cfg->log_file);
    free(cfg->web_address);
    free(cfg->spool_dir);
    free(cfg->demo_user);
    free(cfg->demo_email);
    free(cfg->demo_interests);
    free(cfg);
}
