/* Online backups of the store with SQLite's backup API. The copy is made
 * a few pages at a time into FILE.tmp, so the source is read-locked only
 * for one step at a time (and in WAL mode a reader never blocks the
 * daemon's writer anyway); it is then turned into a single self-contained
 * file (rollback journal, not WAL), checked with PRAGMA integrity_check,
 * synced and renamed over FILE, so FILE is only ever absent, the old
 * file, or a complete checked copy. Restoring is the operator's job
 * (README, "Backup"). Nothing is logged: the caller gets the reason in
 * 'err' and reports it with its own context.
 */
#include "store.h"
#include "store_int.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* After this many restarts (another connection wrote between two steps)
 * the rest is copied in one step, so a busy daemon cannot starve the
 * backup; in WAL mode that step holds only a read snapshot. */
#define BACKUP_RESTARTS_MAX 3
/* How long a step may keep finding the source locked. */
#define BACKUP_BUSY_MS 10000
#define BACKUP_BUSY_SLEEP_MS 10

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* 'a' followed by 'b', or NULL when out of memory. */
static char *
concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

/* Whether 'sb' is the database file or one of its WAL, shared-memory or
 * journal files: replacing one of them would destroy the live store. */
static int
is_store_file(const struct store *st, const struct stat *sb)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    struct stat db;
    int same = 0;

    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0] && !same; i++) {
        char *p = concat(st->path, suffix[i]);
        if (p != NULL && stat(p, &db) == 0)
            same = db.st_dev == sb->st_dev && db.st_ino == sb->st_ino;
        free(p);
    }
    return same;
}

/* Refuse a destination that is the store itself or is not a plain file;
 * an existing one only with 'force'. */
static int
check_target(const struct store *st, const char *path, const char *what,
             int force, char *err, size_t errlen)
{
    struct stat sb;

    if (stat(path, &sb) == 0 && is_store_file(st, &sb)) {
        say(err, errlen, "%s is the database itself (or one of its files)",
            path);
        return CUR_EINVAL;
    }
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT)
            return CUR_OK;
        say(err, errlen, "cannot check %s: %s", path, strerror(errno));
        return CUR_EIO;
    }
    if (S_ISDIR(sb.st_mode)) {
        say(err, errlen, "%s is a directory; name a file", path);
        return CUR_EINVAL;
    }
    if (!S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode)) {
        say(err, errlen, "%s exists and is not a regular file", path);
        return CUR_EINVAL;
    }
    if (!force) {
        say(err, errlen, "%s already exists%s (use --force to replace "
            "it)", path, what);
        return CUR_EEXIST;
    }
    return CUR_OK;
}

/* Remove the side files SQLite may have left beside 'base': a stale
 * journal would otherwise be played back into the new copy. */
static void
unlink_side_files(const char *base)
{
    static const char *const suffix[] = { "-journal", "-wal", "-shm" };

    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char *p = concat(base, suffix[i]);
        if (p != NULL)
            unlink(p);
        free(p);
    }
}

/* Create 'tmp' (mode 0600: the store holds password hashes and keys),
 * replacing a left-over one only with 'force'. Returns the open fd, or
 * -1 with rc and err set. */
static int
create_tmp(const struct store *st, const char *tmp, int force, int *rc,
           char *err, size_t errlen)
{
    int fd;

    *rc = check_target(st, tmp, ": a backup may be running, or one was "
                       "interrupted", force, err, errlen);
    if (*rc != CUR_OK)
        return -1;
    if (force && unlink(tmp) != 0 && errno != ENOENT) {
        say(err, errlen, "cannot remove %s: %s", tmp, strerror(errno));
        *rc = CUR_EIO;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        say(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        *rc = errno == EEXIST ? CUR_EEXIST : CUR_EIO;
        return -1;
    }
    unlink_side_files(tmp);
    return fd;
}

/* Run a one-row text pragma on 'db' into out. */
static int
pragma_text(sqlite3 *db, const char *sql, char *out, size_t size)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

    out[0] = '\0';
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, size, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* PRAGMA integrity_check on the copy: CUR_OK when it says "ok", else
 * CUR_ESTORE with its first complaint and the count. */
static int
check_copy(sqlite3 *db, const char *tmp, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    char first[256] = "";
    int n = 0, ok = 0, rc;

    rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        if (n++ == 0) {
            snprintf(first, sizeof first, "%s", t ? t : "");
            ok = t != NULL && strcmp(t, "ok") == 0;
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    /* Damage bad enough can stop the check itself. */
    if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB) {
        say(err, errlen, "integrity_check of the copy failed (%s): the "
            "database itself may be damaged", sqlite3_errstr(rc));
        return CUR_ESTORE;
    }
    if (rc != SQLITE_DONE) {
        say(err, errlen, "integrity_check of %s could not run: %s", tmp,
            sqlite3_errmsg(db));
        return CUR_ESTORE;
    }
    if (!ok || n != 1) {
        say(err, errlen, "integrity_check of the copy failed (%d problem%s; "
            "first: %s): the database itself may be damaged", n,
            n == 1 ? "" : "s", first);
        return CUR_ESTORE;
    }
    return CUR_OK;
}

/* Copy the source into 'dst' step by step, reporting progress. */
static int
copy_pages(struct store *st, sqlite3 *dst,
           void (*progress)(void *ctx, int done, int total), void *ctx,
           char *err, size_t errlen)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", st->db, "main");
    int step = STORE_BACKUP_STEP, restarts = 0, waited = 0, prev = 0, rc;

    if (b == NULL) {
        say(err, errlen, "cannot start the backup: %s", sqlite3_errmsg(dst));
        return CUR_ESTORE;
    }
    for (;;) {
        rc = sqlite3_backup_step(b, step);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (waited >= BACKUP_BUSY_MS)
                break;
            sqlite3_sleep(BACKUP_BUSY_SLEEP_MS);
            waited += BACKUP_BUSY_SLEEP_MS;
            continue;
        }
        if (rc != SQLITE_OK && rc != SQLITE_DONE)
            break;
        waited = 0;
        int total = sqlite3_backup_pagecount(b);
        int done = total - sqlite3_backup_remaining(b);
        /* A step that did not move forward started again from page 1:
         * someone wrote to the source since the last one. */
        if (rc == SQLITE_OK && done <= prev
            && ++restarts >= BACKUP_RESTARTS_MAX)
            step = -1;
        prev = done;
        if (progress != NULL)
            progress(ctx, done, total);
        if (rc == SQLITE_DONE)
            break;
    }
    /* finish() returns the error of the failed step, if any. */
    int frc = sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE && frc == SQLITE_OK)
        return CUR_OK;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        say(err, errlen, "the database stayed locked for %d s",
            BACKUP_BUSY_MS / 1000);
    else
        say(err, errlen, "copying failed: %s", sqlite3_errstr(
            rc != SQLITE_DONE && rc != SQLITE_OK ? rc : frc));
    return CUR_ESTORE;
}

/* Make the rename of 'path' durable: sync its folder. */
static int
sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? strdup(".")
                : slash == path ? strdup("/")
                : strndup(path, (size_t)(slash - path));
    int fd, rc = -1;

    if (dir == NULL)
        return -1;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    free(dir);
    return rc;
}

int
store_backup(struct store *st, const char *path, int force,
             void (*progress)(void *ctx, int done, int total), void *ctx,
             char *err, size_t errlen)
{
    sqlite3 *dst = NULL;
    char *tmp = NULL, mode[32];
    int fd = -1, rc;

    say(err, errlen, "%s", "");
    if (path == NULL || path[0] == '\0') {
        say(err, errlen, "no file name given");
        return CUR_EINVAL;
    }
    if (!sqlite3_get_autocommit(st->db)) {
        /* The copy would miss the open transaction's work, or wait on
         * it for ever. */
        say(err, errlen, "cannot back up inside a transaction");
        return CUR_EINVAL;
    }
    if ((rc = check_target(st, path, "", force, err, errlen)) != CUR_OK)
        return rc;
    if ((tmp = concat(path, ".tmp")) == NULL) {
        say(err, errlen, "out of memory");
        return CUR_ENOMEM;
    }
    if ((fd = create_tmp(st, tmp, force, &rc, err, errlen)) < 0)
        goto out_free;

    /* NOFOLLOW: the name must still be the file just created. */
    if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE
                        | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
        say(err, errlen, "cannot open %s: %s", tmp,
            dst ? sqlite3_errmsg(dst) : "out of memory");
        rc = CUR_ESTORE;
        goto out_remove;
    }
    sqlite3_extended_result_codes(dst, 1);
    if ((rc = copy_pages(st, dst, progress, ctx, err, errlen)) != CUR_OK)
        goto out_remove;
    /* The copy inherits the source's WAL flag; one file with a rollback
     * journal can be copied, mailed or restored as it is (store_open()
     * turns WAL on again). */
    if (pragma_text(dst, "PRAGMA journal_mode = DELETE", mode, sizeof mode)
        != SQLITE_OK || strcmp(mode, "delete") != 0) {
        say(err, errlen, "cannot leave WAL mode in %s: %s", tmp,
            sqlite3_errmsg(dst));
        rc = CUR_ESTORE;
        goto out_remove;
    }
    if ((rc = check_copy(dst, tmp, err, errlen)) != CUR_OK)
        goto out_remove;
    if (sqlite3_close(dst) != SQLITE_OK) {
        say(err, errlen, "cannot close %s: %s", tmp, sqlite3_errmsg(dst));
        rc = CUR_ESTORE;
        goto out_remove;
    }
    dst = NULL;
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        say(err, errlen, "cannot sync %s: %s", tmp, strerror(errno));
        rc = CUR_EIO;
        goto out_remove;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        say(err, errlen, "cannot rename %s to %s: %s", tmp, path,
            strerror(errno));
        rc = CUR_EIO;
        goto out_remove;
    }
    if (sync_dir_of(path) != 0) {
        say(err, errlen, "cannot sync the folder of %s: %s", path,
            strerror(errno));
        rc = CUR_EIO;
        goto out_free;
    }
    rc = CUR_OK;
    goto out_free;

out_remove:
    if (dst != NULL)
        sqlite3_close(dst);
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    unlink_side_files(tmp);
out_free:
    free(tmp);
    return rc;
}
