/* Confined parsing (SECURITY.md PARSE-12): fetched documents are parsed
 * and sanitised in separate worker processes with no database handle,
 * no network and no file access, each job under a CPU-time and a memory
 * limit. A crash, a kill or a time-out there fails that one document;
 * the worker is replaced and the caller carries on.
 *
 * worker_pool_start() forks one small "spawner" process, which must
 * happen while the caller is still single-threaded and holds no database
 * handle (DUR-6: no handle crosses fork()): the daemon calls it before
 * store_open(). The spawner loads what parsing needs (libxml2, the
 * character converters), confines itself (SANDBOX_SPAWNER: no files,
 * sockets or exec) and from then on forks the workers when the pool asks,
 * passing each worker's end of a socket pair back over its control
 * socket. So a worker is replaced at any time without the daemon, which
 * by then has threads and an open store, ever forking again.
 *
 * A worker confines itself (SANDBOX_PARSER) before it says hello, then
 * serves one document at a time over its socket (feed_wire.h): a
 * request, the body in chunks, then the parsed and sanitised feed or an
 * error. Each job arms a CPU timer of twice the parse budget plus one
 * second (the parser stops itself at the budget; sanitising gets as much
 * again); the pool adds a wall-clock deadline, and kills a worker that
 * passes it, dies, or answers anything but a well-formed reply, which it
 * reads as untrusted bytes.
 *
 * The spawner and the workers die with the process that started them
 * (PR_SET_PDEATHSIG), and ignore SIGINT, SIGHUP and SIGTERM: they end
 * when their channels close. If the spawner itself dies, every later
 * parse fails, logged, until the pool is started again.
 */
#ifndef CURATOR_WORKER_H
#define CURATOR_WORKER_H

#include <stddef.h>

#include "feed.h"
#include "parse.h"
#include "sanitize.h"

#define WORKER_MAX 64
#define WORKER_MEM_DEFAULT ((size_t)256 << 20)  /* PARSE-7 */

struct worker_pool;

struct worker_cfg {
    unsigned workers;       /* processes; 0: one per CPU; at most
                               WORKER_MAX */
    size_t mem_limit;       /* address space a worker may add to what it
                               starts with; 0: WORKER_MEM_DEFAULT */
    double cpu_limit;       /* CPU seconds one job may use before the
                               worker is killed; 0: twice the request's
                               parse budget plus one */
};

/* Fork the spawner and start the workers. Call it before any thread is
 * started or database opened. Returns CUR_OK with *out set, or an error
 * with the reason in 'err' (may be NULL when errlen is 0): CUR_EIO when a
 * process or socket cannot be made or the first worker cannot confine
 * itself (no seccomp, say), CUR_ENOMEM. */
int worker_pool_start(const struct worker_cfg *cfg, struct worker_pool **out,
                      char *err, size_t errlen);

/* Close every channel, end the spawner and the workers and wait for the
 * spawner. No worker_parse() may be running. NULL is fine. */
void worker_pool_stop(struct worker_pool *p);

/* Parse 'body' ('len' bytes, borrowed) under 'po' and sanitise its items
 * under 'so' with plain text cut at 'text_max', in a worker: what
 * parse_body() in poller.c does in-process (po->on_item is not used).
 * Thread-safe; blocks while every worker is busy. On CUR_OK *out is the
 * feed with the fields feed_wire.h lists (feed_free()). Otherwise *out
 * is NULL and 'why' gets a one-line reason: the parser's own error
 * (CUR_EPARSE, CUR_EUNSUPPORTED, CUR_EENCODING, CUR_ETOOBIG, CUR_ENOMEM),
 * or CUR_EIO when the worker failed: it died ("worker killed by SIGSEGV",
 * "worker exceeded its CPU time limit (11 s)"), timed out, broke its
 * sandbox or sent a malformed reply; it has been replaced then. */
int worker_parse(struct worker_pool *p, const struct parse_opts *po,
                 const struct sanitize_opts *so, size_t text_max,
                 const char *body, size_t len, struct feed **out, char *why,
                 size_t whylen);

/* One worker, for tests and the health page. */
struct worker_info {
    long pid;               /* 0: not running (started on next use) */
    int busy;               /* on a job now */
    double busy_seconds;    /* how long this job has run */
    unsigned long jobs;     /* done by this process */
};

struct worker_stats {
    unsigned workers;       /* slots */
    unsigned long jobs;     /* documents handed to workers */
    unsigned long failed;   /* jobs whose worker failed (died, timed
                               out, malformed reply) */
    unsigned long restarts; /* workers started to replace one */
    long spawner_pid;
};

/* Fill up to n entries of v (may be NULL when n is 0) and *st (may be
 * NULL). Returns the number of workers. */
size_t worker_pool_info(struct worker_pool *p, struct worker_info *v,
                        size_t n, struct worker_stats *st);

#endif
