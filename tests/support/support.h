/* Helpers shared by the test programs: temporary folders, files, running
 * the real binaries, and a fixture HTTP server on 127.0.0.1. */
#ifndef CURATOR_TEST_SUPPORT_H
#define CURATOR_TEST_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

/* The build folder ($CURATOR_BUILD, default "build") and the source tree
 * (the current directory: tests run from the project root). */
const char *t_build_dir(void);

/* A new empty folder under $TMPDIR (or /tmp); free() the result. */
char *t_mkdtemp(void);
/* Remove a folder and everything in it. */
void t_rmtree(const char *path);

/* Write 'text' to dir/name; returns the full path (free()). */
char *t_write_file(const char *dir, const char *name, const char *text);
/* The whole file, NUL-terminated (free()), or NULL. */
char *t_read_file(const char *path, size_t *len);

/* Run argv (argv[0] is a path) with stdin from /dev/null; capture stdout
 * and stderr (each may be NULL; free() them). Returns the exit status, or
 * 128 + signal, or -1 if it could not run. */
int t_run(char *const argv[], char **out, char **err);

/* A fixture HTTP server on 127.0.0.1 and a free port, serving files
 * from 'root' at "/NAME" with ETag/Last-Modified and 304 support. It
 * counts requests. */
struct t_http;
struct t_http *t_http_start(const char *root);
unsigned t_http_port(const struct t_http *h);
unsigned t_http_requests(const struct t_http *h);
void t_http_stop(struct t_http *h);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
unsigned t_free_port(void);

/* Wait up to 'ms' milliseconds for pred(arg) to return non-zero,
 * checking every 50 ms. Returns its last value. */
int t_wait_for(int (*pred)(void *), void *arg, int ms);

/* The build folder as an absolute path (configs live in temp folders). */
const char *t_build_abs(void);
/* A monotonic clock in milliseconds, and a sleep that resumes after
 * signals. */
long long t_now_ms(void);
void t_sleep_ms(long ms);

/* Start $BUILD/curatord -c config with the extra environment 'env'
 * ("K=V", NULL-terminated, may be NULL); its standard output goes to
 * /dev/null, its standard error to 'errlog' (NULL: /dev/null). The
 * daemon is remembered until reaped, so that t_daemon_teardown() (a
 * cmocka teardown) kills it when an assertion ends a test early. */
pid_t t_daemon_spawn(const char *config, const char *const *env,
                     const char *errlog);
/* Remember a daemon started some other way, for t_daemon_teardown(). */
void t_daemon_started(pid_t pid);
/* Its exit status within 'ms' (128 + signal), or -1 if still running. */
int t_daemon_wait(pid_t pid, int ms);
int t_daemon_teardown(void **state);

/* A black hole on 127.0.0.1 (hole.c): accepts connections on a free
 * port and never answers. NULL if it cannot start. t_hole_accepted()
 * (a t_wait_for() predicate) says whether a connection came. */
struct t_hole;
struct t_hole *t_hole_start(void);
unsigned t_hole_port(const struct t_hole *h);
int t_hole_accepted(void *hole);
void t_hole_stop(struct t_hole *h);

/* A store read beside a running daemon (db.c), on a read-write handle
 * of its own that waits for the daemon's locks: the first column of the
 * first row of 'sql' as a number (-1 when there is none or on error) or
 * as text (free() it; NULL likewise). t_db_reaches() is a t_wait_for()
 * predicate: whether t_db_ll(db, sql) reached 'want'. */
struct sqlite3;
struct sqlite3 *t_db_open(const char *db);  /* NULL on error */
long long t_db_ll(const char *db, const char *sql);
char *t_db_text(const char *db, const char *sql);
struct t_db_wait {
    const char *db, *sql;
    long long want;
};
int t_db_reaches(void *wait);
/* Fail the test unless PRAGMA integrity_check says "ok". */
void t_db_assert_intact(const char *db);
/* How many times 'text' is in the file at 'path' (a log), and waiting
 * up to 'ms' for it to be there 'times' times (whether it was). */
int t_log_count(const char *path, const char *text);
int t_log_wait(const char *path, const char *text, int times, int ms);
/* A libcurl write callback that drops the body. */
size_t t_discard(char *data, size_t size, size_t n, void *user);

/* Strict UTF-8, the reference for the tests of faster checks: no NUL,
 * no overlong forms, surrogates, or code points past U+10FFFF. */
int t_utf8_valid(const unsigned char *s, size_t n);

#endif
