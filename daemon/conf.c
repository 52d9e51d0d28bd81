/* What a configuration gives curatord's main loop (daemon.h): the
 * filters with every profile loaded, the poller's and the digests'
 * settings. It is built whole at start-up and again on SIGHUP; a reload
 * swaps the old for the new only when the new one was built completely,
 * so a file that does not parse, a filter that does not load or a mail
 * setting that does not check leaves the daemon exactly as it was.
 *
 * The web server is not rebuilt: it keeps serving (and keeps its
 * connections) through a reload, and the settings it was started with
 * need a restart, which the reload says. */
#include "daemon.h"
#include "err.h"
#include "log.h"
#include "setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
conf_build(struct config *cfg, int own, struct store *st,
           struct daemon_conf **out, char *err, size_t errlen)
{
    struct daemon_conf *c = calloc(1, sizeof *c);
    char why[512];
    int rc;

    *out = NULL;
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    /* Filters load before anything is served: a bad one is refused with
     * a message naming its file. */
    rc = scorer_open(cfg->filters, cfg->n_filters, cfg->score_window,
                     &c->sc, why, sizeof why);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "filter refused: %s", why);
        goto fail;
    }
    for (size_t i = 0; i < scorer_filter_count(c->sc); i++) {
        const char *name, *path;
        unsigned major, minor;
        scorer_filter_info(c->sc, i, &name, &path, &major, &minor);
        log_info("filter loaded name=%s path=%s abi=%u.%u", name, path,
                 major, minor);
    }
    rc = scorer_load(c->sc, st, (long long)time(NULL), 1);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "filter profiles not loaded: %s",
                 cur_strerror(rc));
        goto fail;
    }
    setup_poller_cfg(cfg, &c->pc);
    rc = setup_digest_cfg(cfg, st, &c->dc, c->base_url, sizeof c->base_url,
                          why, sizeof why);
    if (rc != CUR_OK) {
        snprintf(err, errlen, "mail setup failed: %s", why);
        goto fail;
    }
    c->have_dc = 1;
    c->cfg = cfg;
    c->owns_cfg = own;
    *out = c;
    return CUR_OK;
fail:
    scorer_close(c->sc);
    free(c);
    return rc;
}

void
conf_free(struct daemon_conf *c)
{
    if (c == NULL)
        return;
    if (c->have_dc)
        setup_digest_cfg_free(&c->dc);
    scorer_close(c->sc);
    if (c->owns_cfg)
        config_free(c->cfg);
    free(c);
}

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Log each setting that changed but applies only after a restart. */
static void
needs_restart(const struct config *old, const struct config *new)
{
    if (!same(old->store_path, new->store_path))
        log_warn("config reload: [store] path changed; restart curatord "
                 "to apply it");
    if (old->web_enabled != new->web_enabled
        || !same(old->web_address, new->web_address)
        || old->web_port != new->web_port)
        log_warn("config reload: [web] enabled, address or port changed; "
                 "restart curatord to apply it (the web server keeps "
                 "serving as it was)");
    if (old->web_threads != new->web_threads
        || old->web_page_items != new->web_page_items)
        log_warn("config reload: [web] threads or page_items changed; "
                 "restart curatord to apply it");
    if (!same(old->log_file, new->log_file))
        log_warn("config reload: [log] file changed; restart curatord to "
                 "apply it (SIGHUP reopens the current file)");
}

void
conf_reload(const char *path, const struct config *boot, struct store *st,
            struct daemon_conf **cur)
{
    char err[CONFIG_ERR_MAX + 64];
    struct config *cfg = NULL;
    struct daemon_conf *next = NULL;
    int rc, added = 0;

    log_info("config reload file=%s", path);
    if (config_load(path, &cfg, err, sizeof err) != CUR_OK) {
        /* err is "FILE:LINE: message" (or "FILE: message"). */
        log_err("config reload refused, keeping the running config: %s",
                err);
        return;
    }
    if ((rc = conf_build(cfg, 1, st, &next, err, sizeof err)) != CUR_OK) {
        log_err("config reload refused, keeping the running config: "
                "file=%s %s", path, err);
        config_free(cfg);
        return;
    }
    needs_restart(boot, cfg);
    conf_free(*cur);
    *cur = next;
    log_set_level(cfg->log_level);
    /* Feeds listed anew are added now; a failure here (a locked or full
     * database) is retried by the next reload. */
    if ((rc = setup_sync_feeds(st, cfg, &added)) != CUR_OK)
        log_err("config reload: feeds not added err=\"%s\"",
                cur_strerror(rc));
    log_info("config reloaded file=%s filters=%zu feeds=%zu feeds_added=%d "
             "tick=%lds", path, cfg->n_filters, cfg->n_feeds, added,
             cfg->poll_tick);
}
