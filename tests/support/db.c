/* Reading a daemon's store from a test beside it, with plain SQLite (a
 * handle of its own, waiting for the daemon's locks), and counting what
 * a daemon wrote in its log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

sqlite3 *
t_db_open(const char *db)
{
    sqlite3 *h;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 5000);
    return h;
}

long long
t_db_ll(const char *db, const char *sql)
{
    sqlite3 *h = t_db_open(db);
    sqlite3_stmt *s;
    long long v = -1;
    if (h && sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return v;
}

char *
t_db_text(const char *db, const char *sql)
{
    sqlite3 *h = t_db_open(db);
    sqlite3_stmt *s;
    char *v = NULL;
    if (h && sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            v = strdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return v;
}

int
t_db_reaches(void *arg)
{
    const struct t_db_wait *w = arg;
    return t_db_ll(w->db, w->sql) >= w->want;
}

void
t_db_assert_intact(const char *db)
{
    char *ok = t_db_text(db, "PRAGMA integrity_check");
    if (ok == NULL || strcmp(ok, "ok") != 0)
        fail_msg("%s: integrity_check: %s", db, ok ? ok : "(no answer)");
    free(ok);
}

int
t_log_count(const char *path, const char *text)
{
    char *s = t_read_file(path, NULL);
    int n = 0;
    for (const char *p = s; p && (p = strstr(p, text)) != NULL; p++)
        n++;
    free(s);
    return n;
}

int
t_log_wait(const char *path, const char *text, int times, int ms)
{
    long long end = t_now_ms() + ms;
    do {
        if (t_log_count(path, text) >= times)
            return 1;
        t_sleep_ms(20);
    } while (t_now_ms() < end);
    return 0;
}

size_t
t_discard(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}
