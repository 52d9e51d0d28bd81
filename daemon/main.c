/* curatord: the daemon. Reads the config, opens the store, starts the web
 * server, then loops: poll the due feeds, write the due digests, sleep
 * until the next tick. SIGTERM/SIGINT stop it cleanly; SIGHUP reopens the
 * log file. It stays in the foreground: run it under systemd or a
 * supervisor (README, "Operations"). */
#define _GNU_SOURCE     /* ppoll() */
#include "config.h"
#include "digest.h"
#include "score.h"
#include "err.h"
#include "fetch.h"
#include "log.h"
#include "poller.h"
#include "server.h"
#include "setup.h"
#include "store.h"
#include "version.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        reopen_requested = 1;
    else
        stop_requested = 1;
}

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

/* Sleep up to 'seconds', waking at once for a signal. The signals are
 * blocked between the flag check and the wait, and ppoll() unblocks them
 * atomically, so none is missed. */
static void
sleep_tick(long seconds, const sigset_t *handled)
{
    sigset_t during;
    struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };

    sigprocmask(SIG_BLOCK, handled, &during);
    if (!stop_requested && !reopen_requested) {
        sigset_t waitmask = during;
        for (int s = 1; s < NSIG; s++)
            if (sigismember(handled, s))
                sigdelset(&waitmask, s);
        ppoll(NULL, 0, &ts, &waitmask);
    }
    sigprocmask(SIG_SETMASK, &during, NULL);
}

/* Score new items, then notice profile changes and feedback made through
 * the CLI or the web and rescore those users. A failure is logged and
 * retried next tick: the cursor only moves with committed scores. */
static void
score_round(struct scorer *sc, struct store *st)
{
    struct scorer_stats s = { 0 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = scorer_run(sc, st, (long long)time(NULL), &s);
    if (rc == CUR_OK)
        rc = scorer_refresh(sc, st, (long long)time(NULL), &s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != CUR_OK)
        log_err("scoring failed err=\"%s\"", cur_strerror(rc));
    else if (s.items > 0 || s.users > 0)
        log_info("scored items=%lld users_rescored=%lld pairs=%lld "
                 "dropped=%lld seconds=%.3f", s.items, s.users, s.pairs,
                 s.dropped, (double)(t1.tv_sec - t0.tv_sec)
                            + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* Queue the digests that are due, then deliver what the outbox holds.
 * Failures are logged where they happen and retried next tick. */
static void
mail_round(struct store *st, const struct digest_cfg *dc)
{
    int queued = 0, sent = 0, failed = 0;
    long long now = (long long)time(NULL);
    if (digest_queue_due(st, dc, now, &queued) != CUR_OK)
        log_err("digest queueing failed; retrying next tick");
    if (digest_deliver(st, dc, now, &sent, &failed) != CUR_OK)
        log_err("digest delivery failed; retrying next tick");
    if (queued || sent || failed)
        log_info("mail round queued=%d sent=%d failed=%d", queued, sent,
                 failed);
}

static int
run(const struct config *cfg)
{
    struct store *st = NULL;
    struct web *web = NULL;
    struct scorer *sc = NULL;
    int have_dc = 0;
    sigset_t handled, old;
    struct sigaction sa = { .sa_handler = on_signal };
    int rc, added, created;

    if ((rc = version_check("curatord")) != CUR_OK)
        return rc;
    if (sodium_init() < 0 || fetch_global_init() != CUR_OK) {
        log_err("library initialisation failed");
        return CUR_EIO;
    }
    sigemptyset(&handled);
    sigaddset(&handled, SIGTERM);
    sigaddset(&handled, SIGINT);
    sigaddset(&handled, SIGHUP);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Threads started from here on inherit a mask that blocks the
     * handled signals, so they are always delivered to this thread. */
    sigprocmask(SIG_BLOCK, &handled, &old);

    if ((rc = store_open(cfg->store_path, &st)) != CUR_OK)
        goto out;
    log_info("store open db=%s", cfg->store_path);
    if ((rc = setup_sync_feeds(st, cfg, &added)) != CUR_OK
        || (rc = setup_seed_demo(st, cfg, &created)) != CUR_OK)
        goto out;
    /* Filters load before anything is served: a bad one stops the start
     * with a message naming its file. */
    char err[512];
    if ((rc = scorer_open(cfg->filters, cfg->n_filters, cfg->score_window,
                          &sc, err, sizeof err)) != CUR_OK) {
        log_err("filter refused: %s", err);
        goto out;
    }
    for (size_t i = 0; i < scorer_filter_count(sc); i++) {
        const char *name, *path;
        unsigned major, minor;
        scorer_filter_info(sc, i, &name, &path, &major, &minor);
        log_info("filter loaded name=%s path=%s abi=%u.%u", name, path,
                 major, minor);
    }
    if ((rc = scorer_load(sc, st, (long long)time(NULL), 1)) != CUR_OK)
        goto out;
    if (cfg->web_enabled) {
        struct web_cfg wc = {
            .address = cfg->web_address, .port = cfg->web_port,
            .threads = cfg->web_threads, .page_items = cfg->web_page_items,
            .store_path = cfg->store_path,
        };
        if ((rc = web_start(&wc, &web)) != CUR_OK)
            goto out;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);

    struct poller_cfg pc;
    setup_poller_cfg(cfg, &pc);
    /* No thundering herd after a restart: feeds that are overdue are
     * spread over [poll] spread; feeds never polled go first. */
    long long spread = 0;
    if (store_feed_spread(st, (long long)time(NULL), cfg->poll_spread,
                          &spread) == CUR_OK && spread > 0)
        log_info("overdue feeds spread feeds=%lld over=%lds", spread,
                 cfg->poll_spread);
    struct digest_cfg dc;
    char base_url[300];
    if ((rc = setup_digest_cfg(cfg, st, &dc, base_url, sizeof base_url, err,
                               sizeof err)) != CUR_OK) {
        log_err("mail setup failed: %s", err);
        goto out;
    }
    have_dc = 1;
    log_info("curatord running feeds=%zu spool=%s tick=%lds", cfg->n_feeds,
             cfg->spool_dir, cfg->poll_tick);
    while (!stop_requested) {
        if (reopen_requested) {
            reopen_requested = 0;
            if (log_reopen() != CUR_OK)
                log_err("log reopen failed file=%s err=\"%s\"",
                        cfg->log_file ? cfg->log_file : "-",
                        strerror(errno));
            else
                log_info("log reopened");
        }
        struct poller_stats ps;
        rc = poller_run_due(st, &pc, (long long)time(NULL), &stop_requested, &ps);
        if (rc == CUR_OK && ps.polled > 0)
            log_info("poll round feeds=%d failed=%d unchanged=%d new=%d "
                     "seconds=%.2f", ps.polled, ps.failed, ps.unchanged,
                     ps.new_items, ps.seconds);
        if (!stop_requested)
            score_round(sc, st);
        if (!stop_requested)
            mail_round(st, &dc);
        /* A store error (disk full, locked) is logged where it happened;
         * the daemon keeps going and tries again next tick. */
        if (!stop_requested)
            sleep_tick(cfg->poll_tick, &handled);
    }
    rc = CUR_OK;
    log_info("curatord stopping signal=term");
out:
    web_stop(web);
    if (have_dc)
        setup_digest_cfg_free(&dc);
    scorer_close(sc);
    store_close(st);
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
    int rc = run(cfg);
    config_free(cfg);
    log_close();
    return rc == CUR_OK ? 0 : 1;
}
