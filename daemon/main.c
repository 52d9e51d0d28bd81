/* curatord: the daemon. Reads the config, opens the store, loads the
 * filters, starts the web server, then loops: poll the due feeds, score
 * the new items, queue and deliver the due digests, sleep until the next
 * tick. Each stage beats a heartbeat that the web's /healthz reads, and
 * the loaded filters are handed to the admins' Filters page. SIGTERM/SIGINT
 * stop it within DAEMON_STOP_GRACE_MS; SIGHUP reopens the log file and
 * reloads the config (signals.c, conf.c). It stays in
 * the foreground: run it under systemd or a supervisor (README,
 * "Operations"). */
#include "config.h"
#include "daemon.h"
#include "digest.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "poller.h"
#include "score.h"
#include "worker.h"
#include "server.h"
#include "setup.h"
#include "store.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEARCH_SLICE 20000      /* items indexed per transaction */

/* The running daemon. */
struct daemon {
    const char *path;           /* the config file, read again on HUP */
    const struct config *boot;  /* the config it started with: the web
                                   server's, kept until the exit */
    struct daemon_conf *conf;   /* the current one (conf.c) */
    struct store *st;
    struct web *web;
    struct worker_pool *pool;   /* confined parse workers (worker.h) */
    sigset_t handled;
    struct web_status *status;  /* heartbeat and filters for the web */
    unsigned long long filters_sig; /* of the filters last published */
};

static void
usage(FILE *out)
{
    fprintf(out,
        "usage: curatord [-c FILE] [--check-config]\n"
        "  -c, --config FILE  configuration (default: $CURATOR_CONFIG or\n"
        "                     " CURATOR_SYSCONFDIR "/curator.ini)\n"
        "      --check-config validate the configuration and exit\n"
        "  -V, --version      print the version and exit\n"
        "  -h, --help         this help\n");
}

static const char *
default_config(void)
{
    const char *env = getenv("CURATOR_CONFIG");
    return env && env[0] ? env : CURATOR_SYSCONFDIR "/curator.ini";
}

/* How long the loop may go without a pass before /healthz calls the
 * poller stalled: three ticks, and never under a minute (a big scoring
 * batch or a slow SMTP server holds one pass that long). */
static long
stale_after(const struct config *cfg)
{
    long s = 3 * cfg->poll_tick;
    return s < 60 ? 60 : s;
}

/* Hand the loaded filters to the web's Filters page: after a (re)load,
 * and after a score round when a filter's state changed (a suspension,
 * more slow calls). The scorer is read here, on the thread that scores;
 * the web reads only the copy. */
static void
publish_filters(struct daemon *d, int force)
{
    struct scorer *sc = d->conf->sc;
    size_t n = scorer_filter_count(sc);
    unsigned long long sig = n;

    for (size_t i = 0; i < n; i++) {
        double w;
        int susp;
        long long slow;
        scorer_filter_state(sc, i, &w, &susp, &slow);
        sig = sig * 1000003u + (unsigned long long)slow * 2u
              + (unsigned)susp;
    }
    if (!force && sig == d->filters_sig)
        return;
    struct web_filter_info *f = calloc(n ? n : 1, sizeof *f);
    if (f == NULL)
        return;     /* the page keeps the older list */
    for (size_t i = 0; i < n; i++) {
        scorer_filter_info(sc, i, &f[i].name, &f[i].path, &f[i].abi_major,
                           &f[i].abi_minor);
        scorer_filter_state(sc, i, &f[i].weight, &f[i].suspended,
                            &f[i].slow_calls);
    }
    if (web_status_set_filters(d->status, f, n) == CUR_OK)
        d->filters_sig = sig;
    free(f);
}

/* The web server runs with the boot config for its whole life (it may
 * keep pointers into it); a reload leaves it and its connections alone. */
static int
start_web(struct daemon *d)
{
    const struct config *cfg = d->boot;
    if (!cfg->web_enabled)
        return CUR_OK;
    struct web_cfg wc = {
        .address = cfg->web_address, .port = cfg->web_port,
        .threads = cfg->web_threads, .page_items = cfg->web_page_items,
        .store_path = cfg->store_path, .config = cfg,
        .allow_signup = cfg->web_signup, .status = d->status,
    };
    return web_start(&wc, &d->web);
}

/* The poller's event loop turns about ten times a second: each turn is
 * a sign of life, however long the round. */
static void
poll_progress(void *ctx, const struct poller_stats *s)
{
    struct daemon *d = ctx;
    (void)s;
    web_status_beat(d->status);
}

/* Fetch the feeds that are due. The round ends early, within about a
 * tenth of a second, when a stop signal comes: the feeds not finished
 * stay due. */
static void
poll_round(struct daemon *d)
{
    struct poller_stats ps;
    struct poller_cfg pc = d->conf->pc;
    pc.pool = d->pool;                  /* confined parsing (PARSE-12) */
    int rc = poller_run(d->st, &pc, POLLER_DUE, 0, (long long)time(NULL),
                        &daemon_stop, poll_progress, d, &ps);
    if (rc == CUR_OK && ps.polled > 0)
        log_info("poll round feeds=%d failed=%d unchanged=%d new=%d "
                 "seconds=%.2f", ps.polled, ps.failed, ps.unchanged,
                 ps.new_items, ps.seconds);
    else if (rc != CUR_OK)
        log_err("poll round failed err=\"%s\"; retrying next tick",
                cur_strerror(rc));
}

/* Index new items for the editors' search, in slices, so that a stop
 * signal or a heartbeat comes between them. */
static void
search_round(struct daemon *d)
{
    long long n = 0;
    int rc;
    do {
        web_status_beat(d->status);
        rc = store_search_catch_up(d->st, SEARCH_SLICE, &n);
    } while (rc == CUR_OK && n == SEARCH_SLICE && !daemon_stop);
    if (rc != CUR_OK)
        log_err("search index catch-up failed err=\"%s\"; retrying next "
                "tick", cur_strerror(rc));
}

/* Score new items, then notice profile changes and feedback made through
 * the CLI or the web and rescore those users. A failure is logged and
 * retried next tick: the cursor only moves with committed scores. */
static void
score_round(struct daemon *d)
{
    struct scorer_stats s = { 0 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = scorer_run(d->conf->sc, d->st, (long long)time(NULL), &s);
    if (rc == CUR_OK && !daemon_stop)
        rc = scorer_refresh(d->conf->sc, d->st, (long long)time(NULL), &s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != CUR_OK)
        log_err("scoring failed err=\"%s\"; retrying next tick",
                cur_strerror(rc));
    else if (s.items > 0 || s.users > 0)
        log_info("scored items=%lld users_rescored=%lld pairs=%lld "
                 "dropped=%lld seconds=%.3f", s.items, s.users, s.pairs,
                 s.dropped, (double)(t1.tv_sec - t0.tv_sec)
                            + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Queue the digests that are due, then deliver what the outbox holds.
 * Failures are logged where they happen and retried next tick. */
static void
mail_round(struct daemon *d)
{
    int queued = 0, sent = 0, failed = 0;
    long long now = (long long)time(NULL);
    if (digest_queue_due(d->st, &d->conf->dc, now, &queued) != CUR_OK)
        log_err("digest queueing failed; retrying next tick");
    if (!daemon_stop
        && digest_deliver(d->st, &d->conf->dc, now, &sent, &failed)
           != CUR_OK)
        log_err("digest delivery failed; retrying next tick");
    if (queued || sent || failed)
        log_info("mail round queued=%d sent=%d failed=%d", queued, sent,
                 failed);
}

/* SIGHUP: reopen the log first, so the reload is logged to the new
 * file, then reload the config. */
static void
hangup(struct daemon *d)
{
    if (log_reopen() != CUR_OK)
        log_err("log reopen failed file=%s err=\"%s\"",
                d->boot->log_file ? d->boot->log_file : "-",
                strerror(errno));
    else
        log_info("log reopened");
    conf_reload(d->path, d->boot, d->st, &d->conf);
    web_status_set_stale(d->status, stale_after(d->conf->cfg));
    publish_filters(d, 1);
}

/* A store error (disk full, locked) is logged where it happened; the
 * daemon keeps going and tries again next tick. */
static void
loop(struct daemon *d)
{
    while (!daemon_stop) {
        /* A heartbeat before each stage: /healthz measures the longest
         * one, not the whole pass. */
        web_status_beat(d->status);
        if (daemon_hup) {
            daemon_hup = 0;
            hangup(d);
        }
        poll_round(d);
        web_status_beat(d->status);
        if (!daemon_stop) {
            score_round(d);
            publish_filters(d, 0);
        }
        if (!daemon_stop)
            search_round(d);
        web_status_beat(d->status);
        if (!daemon_stop)
            mail_round(d);
        web_status_beat(d->status);
        if (!daemon_stop)
            signals_sleep(d->conf->cfg->poll_tick, &d->handled);
    }
}

static int
run(const char *path, struct config *cfg)
{
    struct daemon d = { .path = path, .boot = cfg };
    sigset_t old;
    char err[CONFIG_ERR_MAX + 64];
    int rc, added, created, signals = 0;

    if ((rc = version_check("curatord")) != CUR_OK)
        return rc;
    if (sodium_init() < 0 || fetch_global_init() != CUR_OK) {
        log_err("library initialisation failed");
        return CUR_EIO;
    }
    /* The parse workers fork here: before any thread exists and before
     * the store opens, so no database handle crosses fork() (DUR-6). */
    struct worker_cfg wkc = { .workers = cfg->poll_workers };
    if ((rc = worker_pool_start(&wkc, &d.pool, err, sizeof err)) != CUR_OK) {
        log_err("parse workers not started: %s", err);
        goto out;
    }

    /* From here until signals_unblock() the handled signals are blocked,
     * so the threads started meanwhile never take them. */
    if ((rc = signals_start(&d.handled, &old)) != CUR_OK)
        goto out;
    signals = 1;
    if ((rc = store_open(cfg->store_path, &d.st)) != CUR_OK)
        goto out;
    log_info("store open db=%s", cfg->store_path);
    if ((rc = setup_sync_feeds(d.st, cfg, &added)) != CUR_OK
        || (rc = setup_seed_demo(d.st, cfg, &created)) != CUR_OK)
        goto out;
    /* The boot config stays main()'s: the web server may keep pointers
     * into it. */
    if ((rc = conf_build(cfg, 0, d.st, &d.conf, err, sizeof err))
        != CUR_OK) {
        log_err("%s", err);
        goto out;
    }
    if ((d.status = web_status_new(stale_after(cfg))) == NULL) {
        rc = CUR_ENOMEM;
        goto out;
    }
    publish_filters(&d, 1);
    if ((rc = start_web(&d)) != CUR_OK)
        goto out;
    signals_unblock(&old);

    /* No thundering herd after a restart: feeds that are overdue are
     * spread over [poll] spread; feeds never polled go first. */
    long long spread = 0;
    if (store_feed_spread(d.st, (long long)time(NULL), cfg->poll_spread,
                          &spread) == CUR_OK && spread > 0)
        log_info("overdue feeds spread feeds=%lld over=%lds", spread,
                 cfg->poll_spread);
    log_info("curatord running feeds=%zu spool=%s tick=%lds", cfg->n_feeds,
             cfg->spool_dir, cfg->poll_tick);
    loop(&d);
    rc = CUR_OK;
    log_info("curatord stopping signal=term");
out:
    web_stop(d.web);
    web_status_free(d.status);      /* after the server that reads it */
    conf_free(d.conf);
    store_close(d.st);
    worker_pool_stop(d.pool);
    /* The watchdog covers the shutdown above too: it ends here. */
    if (signals)
        signals_stop();
    fetch_global_cleanup();
    if (rc == CUR_OK)
        log_info("curatord stopped");
    else
        log_err("curatord failed err=\"%s\"", cur_strerror(rc));
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 'C' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = NULL;
    int check_only = 0, c;
    char err[CONFIG_ERR_MAX];
    struct config *cfg;

    while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'C': check_only = 1; break;
        case 'V': printf("curatord %s\n", CURATOR_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "curatord: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (path == NULL)
        path = default_config();
    if (config_load(path, &cfg, err, sizeof err) != CUR_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (check_only) {
        printf("%s: ok (%zu feeds)\n", path, cfg->n_feeds);
        config_free(cfg);
        return 0;
    }
    if (log_open(cfg->log_file, cfg->log_level) != CUR_OK) {
        fprintf(stderr, "curatord: cannot open log file %s: %s\n",
                cfg->log_file, strerror(errno));
        config_free(cfg);
        return 1;
    }
    int rc = run(path, cfg);
    config_free(cfg);
    log_close();
    return rc == CUR_OK ? 0 : 1;
}
