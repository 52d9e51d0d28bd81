/* Tests of online backups (store_backup(), curator/store_backup.c) and
 * of `curator backup`.
 *
 * Each test has a store in a fresh temporary folder holding a user, a
 * feed and ITEMS items of about 2 KB (a few steps' worth of pages), and
 * a second, plain sqlite3 connection standing for the daemon: it writes
 * between and during steps. Copies are checked with their own plain
 * connection: integrity_check, journal mode, schema version and exact
 * row counts.
 */
#define _GNU_SOURCE     /* asprintf */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "store.h"
#include "support.h"

#define ITEMS 2000
#define MAX_CALLS 4096

struct fx {
    char *dir;
    char *db;           /* dir/curator.db */
    char *out;          /* dir/backup.db */
    char *tmp;          /* dir/backup.db.tmp */
    struct store *st;
    sqlite3 *writer;    /* another connection to db */
    char err[1024];
};

/* What the progress callback saw, and what it did. */
struct calls {
    int n;
    int done[MAX_CALLS], total[MAX_CALLS];
    sqlite3 *writer;    /* when set, insert one item per call... */
    int writes;         /* ...counting those made before the last step */
};

static void
exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

static long long
query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    long long v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void
query_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *s;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
}

static int
exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* One more item, committed by the other connection. */
static void
insert_item(sqlite3 *db, int n)
{
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO items (feed_id, guid, title,"
             " summary, fetched) VALUES (1, 'late-%d', 'late', "
             "hex(randomblob(500)), 1)", n);
    exec_ok(db, sql);
}

static int
setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    long long id;

    if (fx == NULL || (fx->dir = t_mkdtemp()) == NULL
        || asprintf(&fx->db, "%s/curator.db", fx->dir) < 0
        || asprintf(&fx->out, "%s/backup.db", fx->dir) < 0
        || asprintf(&fx->tmp, "%s/backup.db.tmp", fx->dir) < 0)
        return -1;
    if (store_open(fx->db, &fx->st) != CUR_OK
        || store_user_add(fx->st, "alice", "alice@example.org", &id)
           != CUR_OK
        || store_feed_add(fx->st, "https://example.org/feed.xml", "cli",
                          &id) != CUR_OK || id != 1)
        return -1;
    if (sqlite3_open(fx->db, &fx->writer) != SQLITE_OK)
        return -1;
    sqlite3_busy_timeout(fx->writer, 10000);
    char sql[512];
    snprintf(sql, sizeof sql, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
             " SELECT x + 1 FROM c WHERE x < %d) INSERT INTO items"
             " (feed_id, guid, title, summary, fetched) SELECT 1, 'g' || x,"
             " 'item ' || x, hex(randomblob(1000)), 1 FROM c", ITEMS);
    if (sqlite3_exec(fx->writer, sql, NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    sqlite3_close(fx->writer);
    t_rmtree(fx->dir);
    free(fx->dir);
    free(fx->db);
    free(fx->out);
    free(fx->tmp);
    free(fx);
    return 0;
}

static void
on_progress(void *ctx, int done, int total)
{
    struct calls *c = ctx;
    assert_true(c->n < MAX_CALLS);
    c->done[c->n] = done;
    c->total[c->n] = total;
    c->n++;
    if (c->writer != NULL && done < total) {
        insert_item(c->writer, c->writes);
        c->writes++;
    }
}

/* Open a copy and check it as a restore would: integrity, one file
 * (no WAL), this build's schema, mode 0600; returns its item count. */
static long long
check_copy(const char *path)
{
    sqlite3 *db;
    struct stat sb;
    char text[64];

    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    query_text(db, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
    query_text(db, "PRAGMA journal_mode", text, sizeof text);
    assert_string_equal(text, "delete");
    assert_int_equal(query_int(db, "PRAGMA user_version"),
                     STORE_SCHEMA_VERSION);
    assert_int_equal(query_int(db, "SELECT count(*) FROM users"
                               " WHERE name = 'alice'"), 1);
    long long n = query_int(db, "SELECT count(*) FROM items");
    sqlite3_close(db);
    return n;
}

/* A quiet database: one pass, a progress call per step with exact
 * counts, an exact copy, nothing left behind. */
static void
test_backup_copies_in_steps(void **state)
{
    struct fx *fx = *state;
    struct calls c = { 0 };

    int pages = (int)query_int(fx->writer, "PRAGMA page_count");
    assert_true(pages > 2 * STORE_BACKUP_STEP);
    assert_int_equal(store_backup(fx->st, fx->out, 0, on_progress, &c,
                                  fx->err, sizeof fx->err), CUR_OK);
    assert_string_equal(fx->err, "");
    assert_int_equal(c.n, (pages + STORE_BACKUP_STEP - 1)
                          / STORE_BACKUP_STEP);
    for (int i = 0; i < c.n; i++) {
        int want = (i + 1) * STORE_BACKUP_STEP;
        assert_int_equal(c.done[i], want < pages ? want : pages);
        assert_int_equal(c.total[i], pages);
    }
    assert_int_equal(check_copy(fx->out), ITEMS);
    assert_false(exists(fx->tmp));
    /* The store still works, and a restored copy opens as a store. */
    struct store *copy;
    long long id;
    assert_int_equal(store_open(fx->out, &copy), CUR_OK);
    assert_int_equal(store_user_find(copy, "alice", &id), CUR_OK);
    assert_int_equal(id, 1);
    store_close(copy);
    assert_int_equal(store_user_add(fx->st, "bob", "bob@example.org", NULL),
                     CUR_OK);
}

/* The other connection commits between every two steps: the copy starts
 * again, gives up stepping after a few restarts and still ends, holding
 * exactly what was committed before its last step. */
static void
test_backup_while_another_connection_writes(void **state)
{
    struct fx *fx = *state;
    struct calls c = { .writer = fx->writer };

    assert_int_equal(store_backup(fx->st, fx->out, 0, on_progress, &c,
                                  fx->err, sizeof fx->err), CUR_OK);
    assert_true(c.writes >= 1);
    assert_int_equal(c.done[c.n - 1], c.total[c.n - 1]);
    /* Finished within a few restarts, not after MAX_CALLS. */
    assert_true(c.n < 10);
    assert_int_equal(check_copy(fx->out), ITEMS + c.writes);
    assert_int_equal(query_int(fx->writer, "SELECT count(*) FROM items"),
                     ITEMS + c.writes);
}

/* A writer thread committing as fast as it can for the whole backup. */
struct busy {
    char *db;
    volatile int stop;
    int commits;
    int failed;
};

static void *
busy_writer(void *arg)
{
    struct busy *b = arg;
    sqlite3 *db;
    char sql[256];

    if (sqlite3_open(b->db, &db) != SQLITE_OK) {
        b->failed = 1;
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    while (!__atomic_load_n(&b->stop, __ATOMIC_SEQ_CST)) {
        snprintf(sql, sizeof sql, "INSERT INTO items (feed_id, guid, title,"
                 " fetched) VALUES (1, 'thread-%d', 'x', 1)", b->commits);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            b->failed = 1;
            break;
        }
        __atomic_add_fetch(&b->commits, 1, __ATOMIC_SEQ_CST);
    }
    sqlite3_close(db);
    return NULL;
}

static void
test_backup_beside_writer_thread(void **state)
{
    struct fx *fx = *state;
    struct busy b = { .db = fx->db };
    pthread_t t;

    assert_int_equal(pthread_create(&t, NULL, busy_writer, &b), 0);
    /* Start the copy only once the writer is committing. */
    for (int i = 0; i < 500 && __atomic_load_n(&b.commits,
                                               __ATOMIC_SEQ_CST) < 1; i++)
        usleep(10000);
    int before = __atomic_load_n(&b.commits, __ATOMIC_SEQ_CST);
    int rc = store_backup(fx->st, fx->out, 0, NULL, NULL, fx->err,
                          sizeof fx->err);
    int during = __atomic_load_n(&b.commits, __ATOMIC_SEQ_CST) - before;
    __atomic_store_n(&b.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    assert_int_equal(rc, CUR_OK);
    assert_false(b.failed);
    assert_true(before >= 1);
    /* The writer was never shut out for the whole copy. */
    assert_true(during >= 1);
    long long n = check_copy(fx->out);
    assert_true(n >= ITEMS + before);
    assert_true(n <= ITEMS + b.commits);
}

/* An existing file stays as it was without force; with it, it is
 * replaced. */
static void
test_refuse_then_force(void **state)
{
    struct fx *fx = *state;
    char *keep = t_write_file(fx->dir, "backup.db", "keep me\n");
    size_t len;

    assert_non_null(keep);
    free(keep);
    assert_int_equal(store_backup(fx->st, fx->out, 0, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EEXIST);
    assert_non_null(strstr(fx->err, fx->out));
    assert_non_null(strstr(fx->err, "already exists"));
    assert_non_null(strstr(fx->err, "--force"));
    char *text = t_read_file(fx->out, &len);
    assert_string_equal(text, "keep me\n");
    free(text);
    assert_false(exists(fx->tmp));

    assert_int_equal(store_backup(fx->st, fx->out, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_OK);
    assert_int_equal(check_copy(fx->out), ITEMS);
    assert_false(exists(fx->tmp));
}

/* A left-over FILE.tmp (an interrupted backup, or one running) is not
 * touched without force; with force it and its stale journal go. */
static void
test_leftover_tmp(void **state)
{
    struct fx *fx = *state;
    char *tmp = t_write_file(fx->dir, "backup.db.tmp", "half a copy");
    char *jrnl = t_write_file(fx->dir, "backup.db.tmp-journal",
                              "stale journal bytes");
    size_t len;

    assert_non_null(tmp);
    assert_non_null(jrnl);
    assert_int_equal(store_backup(fx->st, fx->out, 0, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EEXIST);
    assert_non_null(strstr(fx->err, "backup.db.tmp already exists"));
    assert_false(exists(fx->out));
    char *text = t_read_file(tmp, &len);
    assert_string_equal(text, "half a copy");
    free(text);

    assert_int_equal(store_backup(fx->st, fx->out, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_OK);
    assert_int_equal(check_copy(fx->out), ITEMS);
    assert_false(exists(tmp));
    assert_false(exists(jrnl));
    free(tmp);
    free(jrnl);
}

/* Destinations that cannot be written: a missing folder, a path through
 * a regular file, a read-only folder (not for root, who may write
 * anyway). Nothing is left behind. */
static void
test_unwritable_destination(void **state)
{
    struct fx *fx = *state;
    char *path;

    assert_true(asprintf(&path, "%s/missing/backup.db", fx->dir) > 0);
    assert_int_equal(store_backup(fx->st, path, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EIO);
    assert_non_null(strstr(fx->err, "cannot create"));
    assert_non_null(strstr(fx->err, "No such file or directory"));
    free(path);

    char *file = t_write_file(fx->dir, "plain", "x");
    assert_true(asprintf(&path, "%s/backup.db", file) > 0);
    assert_int_not_equal(store_backup(fx->st, path, 1, NULL, NULL, fx->err,
                                      sizeof fx->err), CUR_OK);
    assert_non_null(strstr(fx->err, "Not a directory"));
    free(path);
    free(file);

    if (geteuid() != 0) {
        char *ro;
        assert_true(asprintf(&ro, "%s/ro", fx->dir) > 0);
        assert_int_equal(mkdir(ro, 0500), 0);
        assert_true(asprintf(&path, "%s/backup.db", ro) > 0);
        assert_int_equal(store_backup(fx->st, path, 0, NULL, NULL, fx->err,
                                      sizeof fx->err), CUR_EIO);
        assert_non_null(strstr(fx->err, "Permission denied"));
        assert_false(exists(path));
        chmod(ro, 0700);
        free(path);
        free(ro);
    }
    /* The store is untouched and still writable. */
    assert_int_equal(store_user_add(fx->st, "bob", "bob@example.org", NULL),
                     CUR_OK);
}

/* Never over the database's own files, nor over a folder, even with
 * force; never inside a transaction. */
static void
test_refused_targets(void **state)
{
    struct fx *fx = *state;
    char *path;

    assert_int_equal(store_backup(fx->st, fx->db, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);
    assert_non_null(strstr(fx->err, "is the database itself"));
    /* Another name for the same file. */
    assert_true(asprintf(&path, "%s/./curator.db", fx->dir) > 0);
    assert_int_equal(store_backup(fx->st, path, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);
    free(path);
    assert_true(asprintf(&path, "%s-wal", fx->db) > 0);
    assert_true(exists(path));
    assert_int_equal(store_backup(fx->st, path, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);
    free(path);
    assert_int_equal(store_backup(fx->st, fx->dir, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);
    assert_non_null(strstr(fx->err, "is a directory"));
    assert_int_equal(store_backup(fx->st, "", 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);

    assert_int_equal(store_begin(fx->st), CUR_OK);
    assert_int_equal(store_backup(fx->st, fx->out, 0, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_EINVAL);
    assert_non_null(strstr(fx->err, "transaction"));
    store_rollback(fx->st);
    assert_false(exists(fx->out));
    assert_false(exists(fx->tmp));
    /* The database is whole. */
    assert_int_equal(query_int(fx->writer, "SELECT count(*) FROM items"),
                     ITEMS);
    char text[64];
    query_text(fx->writer, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
}

/* Close the store and the writer (folding the WAL into the file), damage
 * page 'page' of the file with 'damage', open the store again. */
static void
damage_page(struct fx *fx, long long page, void (*damage)(char *, size_t))
{
    long long psize = query_int(fx->writer, "PRAGMA page_size");
    char buf[65536];

    assert_true(page > 1);
    assert_true(psize > 0 && psize <= (long long)sizeof buf);
    store_close(fx->st);
    sqlite3_close(fx->writer);
    fx->st = NULL;
    fx->writer = NULL;
    int fd = open(fx->db, O_RDWR);
    assert_true(fd >= 0);
    off_t at = (off_t)((page - 1) * psize);
    assert_int_equal(pread(fd, buf, (size_t)psize, at), psize);
    damage(buf, (size_t)psize);
    assert_int_equal(pwrite(fd, buf, (size_t)psize, at), psize);
    close(fd);
    assert_int_equal(store_open(fx->db, &fx->st), CUR_OK);
}

static void
zero_page(char *page, size_t size)
{
    memset(page, 0, size);
}

/* Flip the bytes at the end of a page, where its cells are. */
static void
flip_cells(char *page, size_t size)
{
    for (size_t i = size - 96; i < size - 6; i++)
        page[i] ^= 0x55;
}

/* The backup over an older one fails and leaves it as it was. */
static void
backup_fails_check(struct fx *fx)
{
    size_t len;
    char *old = t_write_file(fx->dir, "backup.db", "older backup");

    free(old);
    assert_int_equal(store_backup(fx->st, fx->out, 1, NULL, NULL, fx->err,
                                  sizeof fx->err), CUR_ESTORE);
    assert_non_null(strstr(fx->err, "integrity_check of the copy failed"));
    assert_non_null(strstr(fx->err, "the database itself may be damaged"));
    char *text = t_read_file(fx->out, &len);
    assert_string_equal(text, "older backup");
    free(text);
    assert_false(exists(fx->tmp));
}

/* A damaged source: an index whose root page is zeroed stops the check
 * itself ("malformed"); the copy is removed. */
static void
test_damaged_source_malformed(void **state)
{
    struct fx *fx = *state;

    damage_page(fx, query_int(fx->writer, "SELECT rootpage FROM"
                              " sqlite_master WHERE name = 'items_feed'"),
                zero_page);
    backup_fails_check(fx);
    assert_non_null(strstr(fx->err, "malformed"));
}

/* A leaf of the index with garbled cells: the check lists problems. */
static void
test_damaged_source_problems(void **state)
{
    struct fx *fx = *state;

    damage_page(fx, query_int(fx->writer, "SELECT max(pageno) FROM dbstat"
                              " WHERE name = 'items_feed'"
                              " AND pagetype = 'leaf'"), flip_cells);
    backup_fails_check(fx);
    assert_non_null(strstr(fx->err, "problems; first: "));
}

/* An in-memory store backs up like any other. */
static void
test_memory_store(void **state)
{
    struct fx *fx = *state;
    struct store *mem;
    struct calls c = { 0 };

    assert_int_equal(store_open(":memory:", &mem), CUR_OK);
    assert_int_equal(store_user_add(mem, "alice", "a@example.org", NULL),
                     CUR_OK);
    assert_int_equal(store_backup(mem, fx->out, 0, on_progress, &c, NULL,
                                  0), CUR_OK);
    store_close(mem);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.done[0], c.total[0]);
    assert_int_equal(check_copy(fx->out), 0);
}

/* `curator backup`, once the command is in the command table. */
static void
test_cli(void **state)
{
    struct fx *fx = *state;
    char bin[4096], *ini, *out = NULL, *err = NULL;

    snprintf(bin, sizeof bin, "%s/curator", t_build_dir());
    char *help[] = { bin, "help", "backup", NULL };
    if (t_run(help, &out, &err) != 0) {
        free(out);
        free(err);
        fprintf(stderr, "%s has no 'backup' command yet\n", bin);
        skip();
    }
    free(out);
    free(err);
    ini = t_write_file(fx->dir, "curator.ini",
                       "[store]\npath = curator.db\n");
    assert_non_null(ini);

    char *run[] = { bin, "-c", ini, "backup", fx->out, NULL };
    assert_int_equal(t_run(run, &out, &err), 0);
    assert_non_null(strstr(out, "written to"));
    assert_non_null(strstr(out, "integrity_check ok"));
    assert_string_equal(err, "");
    free(out);
    free(err);
    assert_int_equal(check_copy(fx->out), ITEMS);

    assert_int_equal(t_run(run, &out, &err), 1);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "already exists"));
    assert_non_null(strstr(err, "--force"));
    free(out);
    free(err);

    char *force[] = { bin, "-c", ini, "backup", "--force", fx->out, NULL };
    assert_int_equal(t_run(force, &out, &err), 0);
    free(out);
    free(err);

    char *none[] = { bin, "-c", ini, "backup", NULL };
    assert_int_equal(t_run(none, &out, &err), 2);
    free(out);
    free(err);
    char *two[] = { bin, "-c", ini, "backup", "a.db", "b.db", NULL };
    assert_int_equal(t_run(two, &out, &err), 2);
    free(out);
    free(err);
    char *opt[] = { bin, "-c", ini, "backup", "--fast", "a.db", NULL };
    assert_int_equal(t_run(opt, &out, &err), 2);
    free(out);
    free(err);
    free(ini);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_backup_copies_in_steps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_backup_while_another_connection_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_beside_writer_thread,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_then_force, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_leftover_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_destination, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_targets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_source_malformed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_source_problems,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
    };

    log_open(NULL, LOG_ERR);
    return cmocka_run_group_tests_name("backup", tests, NULL, NULL);
}
