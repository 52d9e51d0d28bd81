/* Config -> store: listed feeds and the demo user. */
#include "setup.h"
#include "err.h"
#include "log.h"
#include "mail.h"

#include <sodium.h>

#include <stdio.h>
#include <string.h>

int
setup_sync_feeds(struct store *st, const struct config *cfg, int *added)
{
    int n = 0;
    for (size_t i = 0; i < cfg->n_feeds; i++) {
        int rc = store_feed_add(st, cfg->feeds[i].url, "config", NULL);
        if (rc == CUR_OK) {
            n++;
            log_info("feed added from config name=%s url=%s",
                     cfg->feeds[i].name, cfg->feeds[i].url);
        } else if (rc != CUR_EEXIST) {
            return rc;
        }
    }
    if (added)
        *added = n;
    return CUR_OK;
}

int
setup_seed_demo(struct store *st, const struct config *cfg, int *created)
{
    struct config_interest in[64];
    char err[256];
    long long users, user_id, feed_id;
    int n, rc;

    if (created)
        *created = 0;
    if (cfg->demo_user == NULL)
        return CUR_OK;
    n = config_parse_interests(cfg->demo_interests ? cfg->demo_interests
                               : "", in, 64, err, sizeof err);
    if (n < 0)
        return CUR_ECONFIG;     /* config_load() already refused it */
    if ((rc = store_begin(st)) != CUR_OK)
        return rc;
    if ((rc = store_user_count(st, &users)) != CUR_OK || users > 0)
        goto out;
    rc = store_user_add(st, cfg->demo_user, cfg->demo_email, &user_id);
    for (int i = 0; rc == CUR_OK && i < n; i++)
        rc = store_interest_add(st, user_id, in[i].term, in[i].weight);
    for (size_t i = 0; rc == CUR_OK && i < cfg->n_feeds; i++) {
        rc = store_feed_add(st, cfg->feeds[i].url, "config", &feed_id);
        if (rc == CUR_EEXIST)
            rc = CUR_OK;
        if (rc == CUR_OK)
            rc = store_subscribe(st, user_id, feed_id);
    }
    if (rc == CUR_OK) {
        log_info("demo user created user=%s interests=%d feeds=%zu",
                 cfg->demo_user, n, cfg->n_feeds);
        if (created)
            *created = 1;
    }
out:
    if (rc == CUR_OK)
        return store_commit(st);
    store_rollback(st);
    return rc;
}

void
setup_poller_cfg(const struct config *cfg, struct poller_cfg *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->sched.interval = cfg->poll_interval;
    pc->sched.min_interval = cfg->poll_min_interval;
    pc->sched.max_interval = cfg->poll_max_interval;
    pc->sched.backoff_max = cfg->poll_backoff_max;
    pc->timeout = cfg->poll_timeout;
    pc->connect_timeout = cfg->poll_connect_timeout;
    pc->max_body = cfg->poll_max_body;
    pc->connections = cfg->poll_connections;
    pc->per_host = cfg->poll_per_host;
    pc->workers = cfg->poll_workers;
    pc->refuse_private = cfg->poll_refuse_private;
    parse_opts_default(&pc->parse);
    pc->parse.max_items = cfg->parse_max_items;
    pc->parse.max_title = cfg->parse_max_title;
    pc->parse.max_content = cfg->parse_max_content;
    pc->parse.max_depth = cfg->parse_max_depth;
    pc->parse.max_attributes = cfg->parse_max_attributes;
    pc->parse.cpu_seconds = (double)cfg->parse_cpu;
    setup_sanitize_opts(cfg, SANITIZE_WEB, &pc->sanitize);
    pc->text_max = cfg->sanitize_text_max;
}

void
setup_sanitize_opts(const struct config *cfg, enum sanitize_profile p,
                    struct sanitize_opts *o)
{
    sanitize_opts_init(o, p);
    o->tracking_hosts = cfg->sanitize_tracking_hosts;
    o->max_data_image = cfg->sanitize_max_data_image;
    o->remote_images = p == SANITIZE_MAIL && cfg->sanitize_mail_images;
}

int
setup_digest_cfg(const struct config *cfg, struct store *st,
                 struct digest_cfg *dc, char *base_buf, size_t len,
                 char *err, size_t errlen)
{
    char *user = NULL, *password = NULL;
    int rc;

    memset(dc, 0, sizeof *dc);
    if (cfg->web_base_url != NULL) {
        dc->base_url = cfg->web_base_url;
    } else {
        int v6 = strchr(cfg->web_address, ':') != NULL;
        snprintf(base_buf, len, "http://%s%s%s:%u", v6 ? "[" : "",
                 cfg->web_address, v6 ? "]" : "", cfg->web_port);
        dc->base_url = base_buf;
    }
    dc->from_email = cfg->mail_from;
    dc->from_name = cfg->mail_from_name;
    dc->smtp_url = cfg->mail_smtp_url;
    dc->require_tls = cfg->mail_require_tls;
    dc->timeout = cfg->mail_timeout;
    dc->retry_max = cfg->mail_retry_max;
    dc->max_age = cfg->mail_max_age;
    dc->retry_min = cfg->mail_retry_min;
    dc->spool_dir = cfg->spool_dir;
    dc->window = cfg->score_window;
    dc->team_max = (int)cfg->digest_team_max;
    dc->tracking_hosts = cfg->sanitize_tracking_hosts;
    if (cfg->mail_secrets != NULL) {
        rc = mail_secrets_load(cfg->mail_secrets, &user, &password, err,
                               errlen);
        if (rc != CUR_OK)
            return rc;
        dc->smtp_user = user;
        dc->smtp_password = password;
    }
    struct mail_config mc = {
        .smtp_url = dc->smtp_url, .require_tls = dc->require_tls,
        .username = dc->smtp_user, .password = dc->smtp_password,
        .spool_dir = dc->spool_dir,
    };
    if ((rc = mail_config_check(&mc, err, errlen)) != CUR_OK) {
        setup_digest_cfg_free(dc);
        return rc;
    }
    rc = store_secret(st, "link_hmac", dc->key, sizeof dc->key);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "cannot read the link signing key: %s",
                 cur_strerror(rc));
        setup_digest_cfg_free(dc);
    }
    return rc;
}

void
setup_digest_cfg_free(struct digest_cfg *dc)
{
    mail_secret_free((char *)dc->smtp_user);
    mail_secret_free((char *)dc->smtp_password);
    dc->smtp_user = dc->smtp_password = NULL;
    sodium_memzero(dc->key, sizeof dc->key);
}
