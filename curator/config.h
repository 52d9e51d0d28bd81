/* curator.ini: loading and validation.
 *
 * The file is read with inih; every section and key is known here, and
 * anything unknown or malformed is refused with "FILE:LINE: message".
 * Relative paths are resolved against the folder holding the file, so a
 * config can be moved together with its data. The module only reads: it
 * creates no file or directory.
 */
#ifndef CURATOR_CONFIG_H
#define CURATOR_CONFIG_H

#include <stddef.h>

#include "log.h"

#define CONFIG_ERR_MAX 1024

/* A feed listed in [feeds]: "name = URL or path". */
struct config_feed {
    char *name;
    char *url;          /* absolute URL; a path became a file:// URL */
    int line;
};

/* A [filter NAME] section: the plugin, its weight and its own keys. */
struct config_filter_opt {
    char *key;
    char *value;
};

struct config_filter {
    char *name;
    char *path;         /* resolved: absolute, or filter_dir/NAME.so */
    double weight;      /* the filter's share of a score; default 1 */
    struct config_filter_opt *opts;     /* every other key, in order */
    size_t n_opts;
    int line;           /* of the section header */
    int weight_line;    /* where weight was set, 0 if not */
};

struct config {
    char *file;                 /* the path as given */
    char *dir;                  /* absolute folder of the file */

    char *store_path;           /* [store] path */

    char *log_file;             /* [log] file; NULL: standard error */
    enum log_level log_level;   /* [log] level */

    int web_enabled;            /* [web] enabled */
    char *web_address;          /* [web] address, an IP literal */
    unsigned web_port;          /* [web] port; 0 picks a free one */
    unsigned web_threads;       /* [web] threads */
    unsigned web_page_items;    /* [web] page_items */

    long poll_interval;         /* [poll] interval, seconds */
    long poll_timeout;          /* [poll] timeout, seconds */
    long poll_tick;             /* [poll] tick, seconds between checks */
    size_t poll_max_body;       /* [poll] max_body, bytes */
    long poll_connect_timeout;  /* [poll] connect_timeout, seconds */
    unsigned poll_connections;  /* [poll] connections, all hosts */
    unsigned poll_per_host;     /* [poll] per_host, one host */
    unsigned poll_workers;      /* [poll] workers: parse threads; 0: one
                                   per CPU */
    long poll_min_interval;     /* [poll] min_interval, seconds */
    long poll_max_interval;     /* [poll] max_interval, seconds */
    long poll_backoff_max;      /* [poll] backoff_max, seconds */
    long poll_spread;           /* [poll] spread, seconds; 0: none */
    int poll_refuse_private;    /* [poll] refuse_private (web feeds) */
    long poll_refresh_gap;      /* [poll] refresh_gap: least seconds from
                                   a poll to a "refresh now" of it */

    unsigned parse_max_items;   /* [parse] max_items */
    unsigned parse_max_title;   /* [parse] max_title, bytes */
    size_t parse_max_content;   /* [parse] max_content, bytes */
    unsigned parse_max_depth;   /* [parse] max_depth */
    unsigned parse_max_attributes; /* [parse] max_attributes */
    long parse_cpu;             /* [parse] cpu_time, seconds */

    char *sanitize_tracking_hosts;  /* [sanitize] tracking_hosts: "a,b"
                                       in lower case; "" for none */
    size_t sanitize_max_data_image; /* [sanitize] max_data_image, bytes */
    size_t sanitize_text_max;   /* [sanitize] text_max, bytes */
    int sanitize_mail_images;   /* [sanitize] mail_remote_images */

    long digest_interval;       /* [digest] interval, seconds */
    char *spool_dir;            /* [digest] spool */
    unsigned digest_max_items;  /* [digest] max_items */
    unsigned digest_team_max;   /* [digest] team_max: team shares per
                                   digest */

    int web_signup;             /* [web] signup: anyone may make an
                                   account */
    char *web_base_url;         /* [web] base_url: how users reach the
                                   page, for links in email; NULL: from
                                   address and port */
    char *mail_smtp_url;        /* [mail] smtp_url; NULL: spool .eml */
    char *mail_from;            /* [mail] from */
    char *mail_from_name;       /* [mail] from_name */
    int mail_require_tls;       /* [mail] require_tls (STARTTLS) */
    char *mail_secrets;         /* [mail] secrets: file with username and
                                   password; NULL: no AUTH */
    long mail_timeout;          /* [mail] timeout, seconds */
    long mail_retry_max;        /* [mail] retry_max: longest wait between
                                   two attempts, seconds */
    long mail_retry_min;        /* [mail] retry_min: the first wait after
                                   a temporary failure, seconds */
    long mail_max_age;          /* [mail] max_age: a message still not
                                   delivered after this fails, seconds */

    long score_window;          /* [score] window, seconds: how far back
                                   a profile change rescores */
    char *filter_dir;           /* [score] filter_dir: where a [filter]
                                   without a path is looked for */
    struct config_filter *filters;  /* [filter NAME] sections, in order */
    size_t n_filters;

    char *demo_user;            /* [demo] user; NULL: no demo user */
    char *demo_email;           /* [demo] email */
    char *demo_interests;       /* [demo] interests: "term[:weight], ..." */

    struct config_feed *feeds;  /* [feeds] */
    size_t n_feeds;
};

/* Read and validate 'path'. On success *out is a new config (free it
 * with config_free()). On failure writes "FILE:LINE: message" (or
 * "FILE: message") to err and returns CUR_ECONFIG or CUR_ENOMEM. */
int config_load(const char *path, struct config **out,
                char *err, size_t errlen);

void config_free(struct config *cfg);

/* Parse a duration: a whole number with an optional unit s, m, h, d or w
 * ("90", "30s", "15m", "1d"). Returns CUR_OK or CUR_EINVAL. */
int config_parse_duration(const char *s, long *out);

/* Parse a size: a whole number with an optional unit K, M or G (powers of
 * 1024). Returns CUR_OK or CUR_EINVAL. */
int config_parse_size(const char *s, size_t *out);

/* Image hosts known for tracking pixels: the default of [sanitize]
 * tracking_hosts. */
#define CONFIG_TRACKING_HOSTS "pixel.wp.com, stats.wordpress.com, " \
    "feeds.feedburner.com, pixel.quantserve.com, www.google-analytics.com"

/* A list of host names separated by commas or spaces, checked (letters,
 * digits, '-' and '.') and put in lower case as "a,b,c" ("" for none).
 * Returns a new string (free()), or NULL when a name is not valid or out
 * of memory. */
char *config_parse_hosts(const char *list);

/* One "term[:weight]" item of a comma-separated interest list. */
struct config_interest {
    char term[128];
    double weight;
};

/* Split a list like "coaching:2, onboarding" into at most 'max' items.
 * Returns the count, or CUR_EINVAL (message in err) for a bad item. */
int config_parse_interests(const char *list, struct config_interest *out,
                           size_t max, char *err, size_t errlen);

#endif
